r"""PPIT validity study: the analysis frames and a report that reads like a research paper.

Two layers, following the one-way flow of the design handbook:

1. **Analysis frames** built from a validated :class:`~foundation_eval.data.load.Dataset`:

   * :func:`validation_frame`: one row per listed person with a first PPIT rating, their items,
     assessor, the outcome within a fixed window after the index date, the time-to-event columns,
     the number of DA offences in the two years before the index date and a
     recency-frequency-gravity score (:func:`rfg_scores`);
   * :func:`reliability_frame`: one row per double-scored person (first and second rating).

2. :class:`PpitValidityReport`: every table, figure and sentence of the validity report, already
   through disclosure control, as HTML strings the notebook only displays, and :meth:`headline`
   for ``results.json``.

The statistics themselves live in :mod:`foundation_eval.ppit`; this module chooses samples,
pools small groups and writes the text.

Outcome definitions (``outcome=``)
----------------------------------
``"any_da"``
    Any police-recorded domestic-abuse (DA) offence after the index date.
``"violent_da"``
    A DA offence whose offence type has ``severity >= violent_severity`` in the programme's
    offence types (default :data:`VIOLENT_SEVERITY` = 4; with the default programme's types: actual
    bodily harm, non-fatal strangulation, grievous bodily harm and sexual assault, i.e. violence
    with injury and sexual violence). Common assault (severity 2) is not counted because the
    severity scale ranks it with breach of orders; lower the cut to include it.
``"harm_above"``
    The Cambridge Crime Harm Index (Sherman, Neyroud & Neyroud 2016) of DA offences after the
    index date, summed, exceeds ``harm_threshold`` days (default
    :data:`DEFAULT_HARM_THRESHOLD` = 365, a year of recommended imprisonment). The event date is
    the date of the offence that takes the running total above the threshold.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from foundation_eval import ppit as pv
from foundation_eval.data.load import Dataset
from foundation_eval.frames.cohort import person_frame
from foundation_eval.frames.outcomes import offence_frame
from foundation_eval.reporting.disclosure import Protected, protect, rule_text
from foundation_eval.reporting.district_report import count_phrase, provenance_rows, report_css, table_html
from foundation_eval.reporting.figures import GREY, PALETTE, new_axes, to_html
from foundation_eval.stats import wilson_interval

__all__ = [
    "OUTCOMES",
    "VIOLENT_SEVERITY",
    "DEFAULT_HARM_THRESHOLD",
    "BENCHMARKS",
    "OutcomeDefinition",
    "outcome_definition",
    "rfg_scores",
    "validation_frame",
    "reliability_frame",
    "safe_bands",
    "PpitValidityReport",
    "report_css",
]

OUTCOMES = ("any_da", "violent_da", "harm_above")
VIOLENT_SEVERITY = 4
DEFAULT_HARM_THRESHOLD = 365.0
LOOKBACK_YEARS = 2
DAYS_PER_MONTH = 365.25 / 12
HORIZONS_MONTHS = (6, 12, 24)
POOLED = "Other groups (pooled)"

#: Published areas under the ROC curve of domestic-abuse risk tools that the PPIT is judged against.
BENCHMARKS = (
    ("ODARA", 0.67, "Ontario Domestic Assault Risk Assessment, mean AUC over validation studies "
                    "(Messing & Thaller 2013, meta-analysis)"),
    ("SARA", 0.63, "Spousal Assault Risk Assessment guide, mean AUC over validation studies "
                   "(Messing & Thaller 2013, meta-analysis)"),
    ("police-history models", 0.75, "models built from police records of prior offending, about 0.75 "
                                    "(e.g. Grogger, Gupta, Ivandic & Kirchmaier 2021)"),
)

# recency points by days between the most recent prior DA offence and the index date
_RECENCY = ((30, 3), (182, 2))  # at most 30 days: 3; 31-182 days: 2; older, within the lookback: 1


# ------------------------------------------------------------------------------------------ outcomes
@dataclass(frozen=True)
class OutcomeDefinition:
    """Which offences after the index date count as the outcome.

    Attributes
    ----------
    key : str
        One of :data:`OUTCOMES`.
    label : str
        Noun phrase for sentences ("a further domestic-abuse offence").
    types : tuple of str or None
        Offence types that qualify (None: every DA offence).
    harm_threshold : float or None
        Crime Harm Index days the running total must exceed (``harm_above`` only).
    violent_severity : int
    """

    key: str
    label: str
    types: tuple[str, ...] | None
    harm_threshold: float | None
    violent_severity: int

    @property
    def short(self) -> str:
        if self.key == "harm_above":
            return f"DA harm above {self.harm_threshold:,.0f} CHI days"
        return {"any_da": "any DA offence", "violent_da": "a violent or sexual DA offence"}[self.key]


def outcome_definition(programme, outcome: str = "any_da", harm_threshold: float | None = None,
                       violent_severity: int = VIOLENT_SEVERITY) -> OutcomeDefinition:
    """The :class:`OutcomeDefinition` for one of :data:`OUTCOMES` under a programme's offence types."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
    if outcome == "any_da":
        return OutcomeDefinition("any_da", "a further domestic-abuse offence", None, None, violent_severity)
    if outcome == "violent_da":
        types = tuple(o.id for o in programme.offence_types if o.da_possible and o.severity >= violent_severity)
        if not types:
            raise ValueError(f"no DA offence type has severity >= {violent_severity} in programme {programme.id!r}")
        return OutcomeDefinition("violent_da", "a further violent or sexual domestic-abuse offence", types, None,
                                 violent_severity)
    h = DEFAULT_HARM_THRESHOLD if harm_threshold is None else float(harm_threshold)
    if not np.isfinite(h) or h < 0:
        raise ValueError(f"harm_threshold must be a non-negative number of days, got {harm_threshold!r}")
    return OutcomeDefinition("harm_above", f"further domestic abuse with a total Crime Harm Index above {h:,.0f} "
                                           "days", None, h, violent_severity)


# ------------------------------------------------------------------------------------------ baseline
def _recency_points(days: pd.Series) -> pd.Series:
    out = pd.Series(1, index=days.index, dtype=int)
    for limit, pts in reversed(_RECENCY):
        out[days <= limit] = pts
    return out


def _frequency_points(n: pd.Series) -> pd.Series:
    return pd.Series(np.select([n <= 0, n == 1, n <= 3], [0, 1, 2], 3), index=n.index).astype(int)


def rfg_scores(offences: pd.DataFrame, persons: pd.DataFrame, offence_types,
               lookback_years: int = LOOKBACK_YEARS) -> pd.DataFrame:
    r"""Recency-frequency-gravity (RFG) score from DA offences before each person's index date.

    Police forces in England and Wales rank domestic-abuse perpetrators for multi-agency
    management by the *recency*, *frequency* and *gravity* of their recorded offending, e.g.
    the RFG process behind Northumbria Police's Multi-Agency Tasking and Coordination (MATAC;
    Davies & Biddle 2018, *European Journal of Criminology* 15:468-488), an idea taken from
    recency-frequency-monetary scoring in direct marketing; the Welsh review that led to the
    PPIT describes forces' RFG matrices (Clancy, Robinson & Hanks 2014). Forces' point schemes
    differ and are not all published, so this is a transparent version built only from data
    every extract holds. Over the DA offences dated in
    :math:`[\text{index} - \text{lookback}, \text{index})`:

    * **Recency** R: 3 if the most recent was at most 30 days before the index date, 2 if 31 to
      182 days, 1 if older (within the lookback), 0 if there was none;
    * **Frequency** F: 0, 1, 2 or 3 for 0, 1, 2-3 and 4 or more offences (the bands of the
      cohort's prior-offending table);
    * **Gravity** G: :math:`\lceil 3 s / s_{max} \rceil` for the highest severity :math:`s` among
      them, :math:`s_{max}` the highest severity in the programme's offence types (for a maximum of 6,
      severities 1-2, 3-4, 5-6 give 1, 2, 3); 0 if there was none;

    and ``rfg_score`` = R + F + G (0 to 9), equal weights as in the RFG matrices.

    Parameters
    ----------
    offences : DataFrame
        The offences table (``person_id, offence_date, offence_type, da_flag``).
    persons : DataFrame
        ``person_id`` and ``index_date``.
    offence_types : sequence of OffenceType
        The programme's offence types (``id``, ``severity``).
    lookback_years : int

    Returns
    -------
    DataFrame
        ``person_id, prior_da, days_since_last_da, max_severity, rfg_recency, rfg_frequency,
        rfg_gravity, rfg_score``, one row per person in ``persons`` (in its order).
    """
    sev = {o.id: int(o.severity) for o in offence_types}
    s_max = max(sev.values())
    p = persons[["person_id", "index_date"]].reset_index(drop=True)
    da = offences[offences.da_flag.astype(bool)][["person_id", "offence_date", "offence_type"]]
    m = da.merge(p, on="person_id")
    m = m[(m.offence_date < m.index_date) & (m.offence_date >= m.index_date - pd.DateOffset(years=lookback_years))]
    m = m.assign(days=(m.index_date - m.offence_date).dt.days, severity=m.offence_type.map(sev))
    g = m.groupby("person_id").agg(prior_da=("days", "size"), days_since_last_da=("days", "min"),
                                   max_severity=("severity", "max"))
    out = p[["person_id"]].merge(g, left_on="person_id", right_index=True, how="left")
    out["prior_da"] = out.prior_da.fillna(0).astype(int)
    has = out.prior_da > 0
    out["rfg_recency"] = np.where(has, _recency_points(out.days_since_last_da.fillna(10**6)), 0).astype(int)
    out["rfg_frequency"] = _frequency_points(out.prior_da)
    grav = np.ceil(3 * out.max_severity.astype(float) / s_max)
    out["rfg_gravity"] = np.where(has & out.max_severity.notna(), grav.fillna(0), 0).astype(int)
    out["rfg_score"] = out.rfg_recency + out.rfg_frequency + out.rfg_gravity
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------------------------ frames
def _first_ratings(ds: Dataset) -> pd.DataFrame:
    pp = ds.ppit_assessments
    first = pp[pp.rating == "first"].sort_values(["person_id", "assessment_date", "assessment_id"])
    return first.drop_duplicates("person_id")


def _event_dates(off: pd.DataFrame, spec: OutcomeDefinition) -> pd.Series:
    """Date of the first qualifying event per person among observed DA offences (sorted by date)."""
    da = off[off.da_flag.astype(bool) & off.observed]
    if spec.key == "any_da":
        return da.groupby("person_id").offence_date.min()
    if spec.key == "violent_da":
        return da[da.offence_type.isin(spec.types)].groupby("person_id").offence_date.min()
    running = da.groupby("person_id").chi_days.cumsum()
    return da[running > spec.harm_threshold].groupby("person_id").offence_date.min()


def validation_frame(ds: Dataset, outcome: str = "any_da", window_months: int = 12,
                     min_followup_months: int | None = None, harm_threshold: float | None = None,
                     violent_severity: int = VIOLENT_SEVERITY, lookback_years: int = LOOKBACK_YEARS) -> pd.DataFrame:
    """Listed people with a first PPIT rating, their baseline predictors and outcomes.

    Sample: people listed at least once (index date = first listing, see
    :mod:`foundation_eval.frames.cohort`) whose first rating (``rating == "first"``, earliest) exists and
    whose index date is at least ``min_followup_months`` before the extract date (default
    ``window_months``), so that everyone could have been followed that long.

    Columns: ``person_id, district_id, index_date, end_date, exit_reason, sex, ethnicity_group,
    age_band, assessor_id, assessment_date, <item ids>, ppit_total, ppit_priority, prior_da_2y``, the
    RFG columns of :func:`rfg_scores`, then

    * ``window_close``: index date + ``window_months``;
    * ``window_observed``: the whole window is observed (it closes by the extract date and the
      person did not exit before it closed), as in :func:`foundation_eval.frames.outcomes.fixed_window`;
    * ``outcome``: 1 if the outcome event (see :func:`outcome_definition`) happened after the
      index date and by ``window_close``; missing (``<NA>``) when the window is not observed;
    * ``window_da_count``, ``window_harm_days``: DA offences and their Crime Harm Index days in the
      window (missing when the window is not observed);
    * ``event_date``, ``event`` (1 if the outcome event was observed during follow-up) and
      ``time_days`` (days from the index date to the event, or to the end of follow-up: exit or
      extract date): the time-to-event columns for Harrell's C and time-dependent AUC.

    Binary analyses use the rows with ``window_observed``; dropping people who exit is unbiased
    only if exits are unrelated to the outcome.
    """
    spec = outcome_definition(ds.programme, outcome, harm_threshold, violent_severity)
    if int(window_months) != window_months or window_months < 1:
        raise ValueError(f"window_months must be a positive whole number, got {window_months!r}")
    min_fu = int(window_months if min_followup_months is None else min_followup_months)
    if min_fu < 0:
        raise ValueError(f"min_followup_months must be non-negative, got {min_followup_months!r}")
    prog = ds.programme
    items = list(prog.ppit_item_ids)
    persons = person_frame(ds)
    persons = persons[persons.listed].drop(columns=["ppit_total", "ppit_priority"])
    first = _first_ratings(ds)[["person_id", "assessor_id", "assessment_date", *items, "total", "priority"]]
    first = first.rename(columns={"total": "ppit_total", "priority": "ppit_priority"})
    p = persons.merge(first, on="person_id", how="inner")
    extract = pd.Timestamp(ds.extract_date)
    p = p[p.index_date + pd.DateOffset(months=min_fu) <= extract].reset_index(drop=True)
    rfg = rfg_scores(ds.offences, p, prog.offence_types, lookback_years)
    p = p.merge(rfg.drop(columns=["prior_da"]), on="person_id", how="left")
    close = p.index_date + pd.DateOffset(months=int(window_months))
    p["window_close"] = close
    p["window_observed"] = (close <= extract) & (p.exit_date.isna() | (p.exit_date >= close))
    off = offence_frame(ds, p)
    event_date = p.person_id.map(_event_dates(off, spec))
    p["event_date"] = event_date
    p["event"] = event_date.notna().astype(int)
    stop = event_date.where(event_date.notna(), p.end_date)
    p["time_days"] = (stop - p.index_date).dt.days.clip(lower=0).astype(float)
    hit = (p.event == 1) & (event_date <= close)
    p["outcome"] = pd.array(np.where(p.window_observed, hit.astype(int), 0), dtype="Int64")
    p.loc[~p.window_observed, "outcome"] = pd.NA
    da = off[off.da_flag.astype(bool) & off.observed]
    da = da[da.offence_date <= da.person_id.map(p.set_index("person_id").window_close)]
    cnt = p.person_id.map(da.groupby("person_id").size()).fillna(0).astype(int)
    harm = p.person_id.map(da.groupby("person_id").chi_days.sum()).fillna(0.0)
    p["window_da_count"] = pd.array(cnt, dtype="Int64")
    p["window_harm_days"] = harm.where(p.window_observed)
    p.loc[~p.window_observed, "window_da_count"] = pd.NA
    cols = (["person_id", "district_id", "index_month", "index_date", "end_date", "exit_date", "exit_reason", "sex",
             "ethnicity_group", "age_band", "assessor_id", "assessment_date", *items, "ppit_total", "ppit_priority",
             "prior_da_2y", "days_since_last_da", "max_severity", "rfg_recency", "rfg_frequency", "rfg_gravity",
             "rfg_score", "window_close", "window_observed", "outcome", "window_da_count", "window_harm_days",
             "event_date", "event", "time_days"])
    out = p[cols].sort_values(["index_date", "person_id"]).reset_index(drop=True)
    out["ppit_total"] = out.ppit_total.astype(int)
    out["ppit_priority"] = out.ppit_priority.astype(bool)
    out.attrs.update(outcome=spec.key, window_months=int(window_months), min_followup_months=min_fu,
                     harm_threshold=spec.harm_threshold, violent_severity=violent_severity)
    return out


def reliability_frame(ds: Dataset) -> pd.DataFrame:
    """One row per double-scored person: the first and the second rating side by side.

    Columns: ``person_id, assessor_first, assessor_second, date_first, date_second, days_between``,
    ``<item>_first`` and ``<item>_second`` for every item, ``total_first, total_second,
    priority_first, priority_second, same_assessor``. The earliest rating of each kind is used.
    Pairs scored twice by the same assessor (``same_assessor``) are not independent; the report
    leaves them out.
    """
    items = list(ds.programme.ppit_item_ids)
    pp = ds.ppit_assessments
    keep = ["person_id", "assessor_id", "assessment_date", *items, "total", "priority"]
    first = _first_ratings(ds)[keep]
    second = pp[pp.rating == "second"].sort_values(["person_id", "assessment_date", "assessment_id"])
    second = second.drop_duplicates("person_id")[keep]
    m = first.merge(second, on="person_id", suffixes=("_first", "_second"))
    m = m.rename(columns={"assessor_id_first": "assessor_first", "assessor_id_second": "assessor_second",
                          "assessment_date_first": "date_first", "assessment_date_second": "date_second"})
    m["days_between"] = (m.date_second - m.date_first).dt.days
    m["same_assessor"] = m.assessor_first == m.assessor_second
    for c in ("total_first", "total_second", *[f"{i}_{s}" for i in items for s in ("first", "second")]):
        m[c] = m[c].astype(int)
    for c in ("priority_first", "priority_second"):
        m[c] = m[c].astype(bool)
    cols = (["person_id", "assessor_first", "assessor_second", "date_first", "date_second", "days_between"]
            + [f"{i}_first" for i in items] + [f"{i}_second" for i in items]
            + ["total_first", "total_second", "priority_first", "priority_second", "same_assessor"])
    return m[cols].sort_values("person_id").reset_index(drop=True)


# ------------------------------------------------------------------------------------------ disclosure helpers
def _safe(e: float, ne: float, t: int) -> bool:
    return (e == 0 or e >= t) and (ne == 0 or ne >= t) and (e + ne) > 0


def _greedy(values, ev, ne, t):
    """Bands of consecutive values (from the top) with events and non-events 0 or >= t; None if impossible."""
    bands: list[list] = []
    cur: list = []
    ce = cn = 0
    for v in values[::-1]:
        cur.append(v)
        ce += ev[v]
        cn += ne[v]
        if _safe(ce, cn, t):
            bands.append(cur)
            cur, ce, cn = [], 0, 0
    while cur:
        if not bands:
            return None
        last = bands.pop()
        cur = last + cur
        ce, cn = sum(ev[v] for v in cur), sum(ne[v] for v in cur)
        if _safe(ce, cn, t):
            bands.append(cur)
            cur = []
    return [min(b) for b in bands][::-1]


def safe_bands(scores, outcomes, threshold: int, force_edge: float | None = None) -> list[float]:
    """Lower edges of bands of adjacent score values that are safe to publish.

    Every band (``edge_i <= score < edge_{i+1}``) holds 0 or at least ``threshold`` people with
    the outcome and 0 or at least ``threshold`` without it, so cumulative counts at the edges (a
    threshold table, a ROC curve) and their differences never reveal a small number. Adjacent
    values are merged greedily from the top of the scale. With ``force_edge`` (e.g. the priority
    threshold) the bands are built separately on each side of it when both sides can be made safe.
    Returns an empty list when no safe banding exists (too few events or non-events overall).
    """
    x = np.asarray(scores, dtype=float)
    y = np.asarray(outcomes, dtype=int)
    vals = np.unique(x)
    ev = {v: int(y[x == v].sum()) for v in vals}
    ne = {v: int((x == v).sum()) - ev[v] for v in vals}
    t = max(int(threshold), 1)
    if force_edge is not None and vals.min() < force_edge <= vals.max():
        lo = _greedy(vals[vals < force_edge], ev, ne, t)
        hi = _greedy(vals[vals >= force_edge], ev, ne, t)
        if lo is not None and hi is not None:
            return [float(v) for v in lo] + [float(force_edge)] + [float(v) for v in hi[1:]]
    out = _greedy(vals, ev, ne, t)
    return [] if out is None else [float(v) for v in out]


def _band_index(x: np.ndarray, edges: list[float]) -> np.ndarray:
    return np.searchsorted(np.asarray(edges), x, side="right") - 1


def _band_labels(edges: list[float], top: float) -> list[str]:
    out = []
    for i, lo in enumerate(edges):
        hi = (edges[i + 1] - 1) if i + 1 < len(edges) else top
        out.append(f"{lo:g}" if hi <= lo else f"{lo:g}-{hi:g}")
    return out


def _protect_rows(frame: pd.DataFrame, cells, derived, threshold: int, additive: bool = True) -> Protected:
    """Disclosure control for rows whose count cells are complementary (e.g. events and non-events).

    A row is withheld whole (its counts and everything derived from them) when any of its cells
    holds 1 to ``threshold - 1``; with ``additive`` (rows add up to a published total) a second row
    is withheld when exactly one is, so the total cannot give it away. Goes through
    :func:`foundation_eval.reporting.disclosure.protect`, the single gate.
    """
    f = frame.reset_index(drop=True).copy()
    vals = f[list(cells)].apply(pd.to_numeric, errors="coerce").fillna(0)
    f["_key"] = vals.where(vals > 0).min(axis=1).fillna(0)
    prot = protect(f, {"_key": list(cells) + list(derived)}, threshold, additive=additive)
    return Protected(prot.table.drop(columns="_key"), prot.suppressed.drop(columns="_key"), prot.threshold,
                     prot.n_primary, prot.n_secondary)


def _pool_groups(labels: pd.Series, y: np.ndarray, flags: np.ndarray, threshold: int):
    """Pool small groups until every group has at least ``threshold`` people with and without the
    outcome and with and without the flag. Returns (labels, pooled names) or (None, names) when
    fewer than two groups remain."""
    lab = labels.fillna("not recorded").astype(str).reset_index(drop=True)
    y = np.asarray(y, int)
    f = np.asarray(flags, int)

    def unsafe(mask):
        n, e, k = int(mask.sum()), int(y[mask].sum()), int(f[mask].sum())
        return min(n, e, n - e, k, n - k) < threshold

    order = list(lab.value_counts().index)
    pooled = [g for g in order if unsafe((lab == g).to_numpy())]
    while pooled and unsafe(lab.isin(pooled).to_numpy()):
        rest = [g for g in order if g not in pooled]
        if not rest:
            break
        pooled.append(rest[-1])
    out = lab.where(~lab.isin(pooled), POOLED) if len(pooled) > 1 else lab
    if len(pooled) == 1:  # a single small group cannot be pooled with nothing: drop the comparison
        return None, pooled
    groups = out.unique()
    if len(groups) < 2 or any(unsafe((out == g).to_numpy()) for g in groups):
        return None, pooled
    return out, pooled


# ------------------------------------------------------------------------------------------ formatting
def _f(v, fmt="{:.2f}") -> str:
    return "n/a" if v is None or not np.isfinite(v) else fmt.format(v)


def _ci(est, lo, hi, fmt="{:.2f}") -> str:
    if est is None or not np.isfinite(est):
        return "n/a"
    if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)):
        return fmt.format(est)
    return f"{fmt.format(est)} ({fmt.format(lo)} to {fmt.format(hi)})"


def _ci95(est, lo, hi, fmt="{:.2f}") -> str:
    """'0.70 (95% interval 0.67 to 0.74)' for sentences."""
    if est is None or not np.isfinite(est):
        return "n/a"
    return f"{fmt.format(est)} (95% interval {fmt.format(lo)} to {fmt.format(hi)})"


def _icc_words(v: float) -> str:
    """Koo & Li (2016) reading of an ICC: poor < 0.5 <= moderate < 0.75 <= good < 0.9 <= excellent."""
    return "poor" if v < 0.5 else "moderate" if v < 0.75 else "good" if v < 0.9 else "excellent"


def _and(words) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _pct(est, lo=None, hi=None) -> str:
    if est is None or not np.isfinite(est):
        return "n/a"
    if lo is None or not np.isfinite(lo):
        return f"{100 * est:.0f}%"
    return f"{100 * est:.0f}% ({100 * lo:.0f}% to {100 * hi:.0f}%)"


def _p(p) -> str:
    if p is None or not np.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _esc(s) -> str:
    return html.escape(str(s))


def _para(*sentences) -> str:
    return "<p>" + " ".join(_esc(s) for s in sentences if s) + "</p>"


def _compare_benchmarks(lo: float, hi: float) -> str:
    parts = []
    for name, value, _ in BENCHMARKS:
        if hi < value:
            rel = "below"
        elif lo > value:
            rel = "above"
        else:
            rel = "in line with"
        parts.append(f"{rel} {name} ({value:.2f})")
    return _and(parts)


# ------------------------------------------------------------------------------------------ the report
@dataclass
class PpitValidityReport:
    """All content of the PPIT validity report, as HTML sections.

    Parameters
    ----------
    ds : Dataset
    outcome : {"any_da", "violent_da", "harm_above"}
    window_months : int
        Outcome window after the index date (first listing).
    min_followup_months : int, optional
        Minimum possible follow-up (index date to extract date) to enter the sample; default the
        window.
    harm_threshold : float, optional
        Crime Harm Index days for ``outcome="harm_above"`` (default 365).
    violent_severity : int
        Severity cut for ``outcome="violent_da"``.
    n_boot : int
        Bootstrap replicates for the time-dependent AUC and omega (at least 100), and five times as
        many for the bootstrap check of the AUC; 0 skips the bootstrap (point estimates only there).
    level : float
        Confidence level of every interval.
    """

    ds: Dataset
    outcome: str = "any_da"
    window_months: int = 12
    min_followup_months: int | None = None
    harm_threshold: float | None = None
    violent_severity: int = VIOLENT_SEVERITY
    n_boot: int = 200
    level: float = 0.95
    _published: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        prog = self.ds.programme
        self.spec = outcome_definition(prog, self.outcome, self.harm_threshold, self.violent_severity)
        self.window_months = int(self.window_months)
        if self.min_followup_months == "":
            self.min_followup_months = None
        self.threshold = prog.disclosure_threshold
        self.items = list(prog.ppit_item_ids)
        self.item_labels = {i.id: i.label for i in prog.ppit_items}
        self.priority = prog.ppit_threshold
        self.max_score = prog.ppit_max

    # ================================================================== frames
    @cached_property
    def frame(self) -> pd.DataFrame:
        """The validation frame (see :func:`validation_frame`)."""
        return validation_frame(self.ds, self.outcome, self.window_months, self.min_followup_months,
                                self.spec.harm_threshold, self.violent_severity)

    @cached_property
    def binary(self) -> pd.DataFrame:
        """People whose whole outcome window is observed, ``outcome`` as int."""
        b = self.frame[self.frame.window_observed].copy().reset_index(drop=True)
        b["outcome"] = b.outcome.astype(int)
        return b

    @property
    def n_events(self) -> int:
        return int(self.binary.outcome.sum())

    @property
    def hide_total(self) -> bool:
        """True when the assessed sample and the binary sample differ by 1 to threshold - 1 people, so that
        publishing both sizes would reveal a small count: the larger is then never published."""
        d = len(self.frame) - len(self.binary)
        return 0 < d < self.threshold

    @property
    def can_discriminate(self) -> bool:
        n, e = len(self.binary), self.n_events
        return min(e, n - e) >= max(self.threshold, 2)

    @cached_property
    def pairs(self) -> pd.DataFrame:
        """Double-scored people, pairs by two different assessors."""
        r = reliability_frame(self.ds)
        return r[~r.same_assessor].reset_index(drop=True)

    # ================================================================== results
    def _y(self):
        return self.binary.outcome.to_numpy()

    @cached_property
    def auc_ppit(self) -> pv.AUCResult:
        return pv.auc(self.binary.ppit_total.astype(float), self._y(), level=self.level)

    @cached_property
    def auc_ppit_boot(self) -> pv.AUCResult | None:
        if not self.n_boot:
            return None
        return pv.auc(self.binary.ppit_total.astype(float), self._y(), level=self.level, method="bootstrap",
                      n_boot=max(self.n_boot, 200) * 5, seed=1)

    @cached_property
    def auc_baselines(self) -> dict:
        b = self.binary
        return {"prior_da_2y": pv.auc(b.prior_da_2y.astype(float), self._y(), level=self.level),
                "rfg_score": pv.auc(b.rfg_score.astype(float), self._y(), level=self.level)}

    @cached_property
    def delong(self) -> dict:
        b = self.binary
        return {k: pv.delong_test(b.ppit_total.astype(float), b[k].astype(float), self._y(), level=self.level)
                for k in ("prior_da_2y", "rfg_score")}

    @cached_property
    def harrell(self) -> dict:
        f = self.frame
        out = {}
        if f.event.sum() == 0:
            return out
        for k in ("ppit_total", "prior_da_2y", "rfg_score"):
            out[k] = pv.harrell_c(f.time_days.to_numpy(), f.event.to_numpy(), f[k].astype(float).to_numpy(),
                                  level=self.level)
        return out

    @cached_property
    def td_auc(self) -> pv.TimeDependentAUCResult | None:
        f = self.frame
        t, e = f.time_days.to_numpy(), f.event.to_numpy()
        ok = []
        for m in HORIZONS_MONTHS:
            h = m * DAYS_PER_MONTH
            cases, ctrl = int(((t <= h) & (e == 1)).sum()), int((t > h).sum())
            if min(cases, ctrl) >= self.threshold:
                ok.append(h)
        if not ok or e.sum() == 0:
            return None
        try:
            return pv.time_dependent_auc(t, e, f.ppit_total.astype(float).to_numpy(), ok, level=self.level,
                                         n_boot=max(self.n_boot, 100) if self.n_boot else 0, seed=2)
        except ValueError:
            return None

    @cached_property
    def incremental(self) -> pv.IncrementalValue:
        b = self.binary
        return pv.incremental_value(self._y(), b[["prior_da_2y", "rfg_score"]].astype(float),
                                    b.ppit_total.astype(float).rename("ppit_total"), level=self.level)

    @cached_property
    def logistic(self):
        """Logistic regression of the outcome on the PPIT total (everyone in the binary sample)."""
        import statsmodels.api as sm

        b = self.binary
        return sm.GLM(self._y(), sm.add_constant(b.ppit_total.astype(float).to_numpy()),
                      family=sm.families.Binomial()).fit()

    @cached_property
    def predicted(self) -> np.ndarray:
        """Predicted probability of the outcome from the PPIT total (in-sample logistic model)."""
        p = np.asarray(self.logistic.fittedvalues, dtype=float)
        return np.clip(p, 1e-6, 1 - 1e-6)

    @cached_property
    def bands(self) -> list[float]:
        """Safe bands of the PPIT total (priority threshold kept as an edge where possible)."""
        b = self.binary
        return safe_bands(b.ppit_total, b.outcome, self.threshold, force_edge=self.priority)

    @cached_property
    def temporal(self) -> dict | None:
        """Temporal validation: score-to-risk model fitted on the earlier half, checked on the later."""
        import statsmodels.api as sm

        b = self.binary.sort_values("index_date").reset_index(drop=True)
        cut = b.index_date.iloc[len(b) // 2]
        dev, val = b[b.index_date < cut], b[b.index_date >= cut]
        for part in (dev, val):
            e = int(part.outcome.sum())
            if min(e, len(part) - e) < max(self.threshold, 2):
                return None
        fit = sm.GLM(dev.outcome.to_numpy(), sm.add_constant(dev.ppit_total.astype(float).to_numpy()),
                     family=sm.families.Binomial()).fit()
        pred = fit.predict(sm.add_constant(val.ppit_total.astype(float).to_numpy(), has_constant="add"))
        pred = np.clip(np.asarray(pred, float), 1e-6, 1 - 1e-6)
        res = pv.calibration_in_the_large_and_slope(pred, val.outcome.to_numpy(), level=self.level)
        return {"cut": cut, "n_dev": len(dev), "n_val": len(val), "result": res,
                "dev_start": dev.index_month.min(), "dev_end": dev.index_month.max(),
                "val_start": val.index_month.min(), "val_end": val.index_month.max()}

    @cached_property
    def icc(self) -> pv.ICCResult | None:
        r = self.pairs
        if len(r) < max(self.threshold, 3):
            return None
        long = pd.concat([
            pd.DataFrame({"target": r.index, "rating": 0, "total": r.total_first.astype(float)}),
            pd.DataFrame({"target": r.index, "rating": 1, "total": r.total_second.astype(float)}),
        ]).sort_values(["target", "rating"], kind="stable")
        return pv.icc(long, target="target", rater="rating", score="total", level=self.level, design="positions")

    @cached_property
    def items_first(self) -> pd.DataFrame:
        """Item scores of every assessed listed person's first rating (internal structure sample)."""
        return self.frame[self.items].astype(float).reset_index(drop=True)

    @cached_property
    def alpha(self) -> pv.AlphaResult:
        return pv.cronbach_alpha(self.items_first, level=self.level)

    @cached_property
    def omega(self) -> pv.OmegaResult:
        return pv.omega(self.items_first, level=self.level, n_boot=max(self.n_boot, 100) if self.n_boot else 0,
                        seed=3)

    @cached_property
    def factors(self) -> pv.FactorComparison | None:
        groups = {}
        for it in self.ds.programme.ppit_items:
            groups.setdefault(it.domain, []).append(it.id)
        if len(groups) < 2 or any(len(v) < 2 for v in groups.values()):
            return None
        return pv.compare_factor_structures(self.items_first, groups)

    # ================================================================== publishing helpers
    def _publish(self, name: str, prot: Protected, counts: list[str], formats=None, rename=None,
                 caption: str | None = None) -> str:
        """Record a protected table (for checks) and return its HTML."""
        self._published[name] = (prot, list(counts))
        return table_html(prot, formats, caption=caption, rename=rename)

    def published_tables(self) -> list[tuple[str, Protected, list[str]]]:
        """Every table shown so far: (name, Protected table, count columns)."""
        return [(k, p, c) for k, (p, c) in self._published.items()]

    def save_workbook(self, path) -> str:
        """Write every table this report published to an XLSX workbook (call after the sections)."""
        from foundation_eval.reporting.export import write_workbook

        tables = {name: prot.display() for name, prot, _ in self.published_tables()}
        tables["Disclosure rule"] = pd.DataFrame({"rule": [rule_text(self.threshold)]})
        write_workbook(tables, path)
        return ""

    def _too_few(self, what: str) -> str:
        return (f"<p>Too few people to publish {_esc(what)}: fewer than {self.threshold} with or without the "
                "outcome.</p>")

    # ================================================================== sections
    @property
    def is_synthetic(self) -> bool:
        return self.ds.programme.illustrative

    def title(self) -> str:
        prog = self.ds.programme
        sub = (f"{prog.name}, {prog.force}. Outcome: {self.spec.label} within {self.window_months} months of first "
               f"listing.")
        if self.is_synthetic:
            sub += " Synthetic demonstration data: no real person is described."
        return (f"<h1>How well does the {_esc(prog.ppit_name)} predict further domestic abuse?</h1>"
                f"<p class='fe-sub'>{_esc(sub)}</p>")

    def summary(self) -> str:
        """Abstract: 3-6 plain-English sentences with numbers and intervals."""
        t = self.threshold
        b = self.binary
        s = []
        n_events = self.n_events
        lo, hi = wilson_interval(n_events, len(b), self.level)
        rate_ok = min(n_events, len(b) - n_events) >= t
        s.append(f"Of {count_phrase(None if self.hide_total else len(self.frame), t, 'listed people')} scored on "
                 "the PPIT, "
                 f"{count_phrase(len(b), t)} were followed for the whole {self.window_months} months"
                 + (f", and {_pct(n_events / len(b), lo, hi)} of them went on to commit "
                    f"{self.spec.label} in that time." if rate_ok else "."))
        if not self.can_discriminate:
            s.append("Too few people had (or did not have) the outcome to judge how well the score predicts it.")
        else:
            a = self.auc_ppit
            s.append(f"The PPIT total told apart those who did and did not with an area under the ROC curve (AUC) of "
                     f"{_ci95(a.estimate, a.ci_low, a.ci_high)}: {_compare_benchmarks(a.ci_low, a.ci_high)} in "
                     "published studies.")
            inc = self.incremental
            d_prior, d_rfg = self.delong["prior_da_2y"], self.delong["rfg_score"]
            adds = "added" if inc.lr_p_value < 0.05 else "did not detectably add"
            lead = ("The PPIT did better than police records alone" if d_prior.ci_low > 0 and d_rfg.ci_low > 0
                    else "The PPIT did not do detectably better than police records alone")
            s.append(f"{lead} (AUC {_f(d_prior.auc_b)} for the count of prior DA offences, {_f(d_rfg.auc_b)} for a "
                     f"recency-frequency-gravity score), and the PPIT {adds} information to them (AUC "
                     f"{_f(inc.auc_base)} to {_f(inc.auc_full)}, likelihood-ratio p {_p(inc.lr_p_value)}).")
        if self.icc is not None:
            row = self.icc.table().loc["ICC2"]
            s.append(f"Agreement between two assessors scoring the same person was {_icc_words(row.ci_low)} to "
                     f"{_icc_words(row.ci_high)}: ICC(2,1) {_ci95(row.icc, row.ci_low, row.ci_high)} over "
                     f"{count_phrase(len(self.pairs), t)} scored twice."
                     if _icc_words(row.ci_low) != _icc_words(row.ci_high) else
                     f"Agreement between two assessors scoring the same person was {_icc_words(row.icc)}: ICC(2,1) "
                     f"{_ci95(row.icc, row.ci_low, row.ci_high)} over {count_phrase(len(self.pairs), t)} scored "
                     "twice.")
        else:
            s.append(f"Fewer than {t} people were scored twice, so agreement between assessors is not reported.")
        eq = self._equity_results()
        tested = [(name, r["auc"].heterogeneity_p_value) for name, r in eq.items() if r is not None]
        if tested and self.can_discriminate:
            worst = min(tested, key=lambda x: x[1] if np.isfinite(x[1]) else 1)
            if np.isfinite(worst[1]) and worst[1] < 0.05:
                s.append(f"Accuracy differed by {worst[0].lower()} (test of equal AUCs p {_p(worst[1])}); see the "
                         "equity section.")
            else:
                untested = [n.lower() for n, r in eq.items() if r is None]
                s.append(f"Accuracy did not differ detectably by {_and(n.lower() for n, _ in tested)} (smallest "
                         f"p {_p(worst[1])}), though small groups give wide intervals"
                         + (f"; {_and(untested)} could not be compared (groups too small)." if untested else "."))
        if self.is_synthetic:
            s.append("All figures come from synthetic demonstration data.")
        return "<div class='fe-summary'><h2>Summary</h2><p>" + " ".join(_esc(x) for x in s[:6]) + "</p></div>"

    # ------------------------------------------------------------------ methods
    def methods(self) -> str:
        prog = self.ds.programme
        f = self.frame
        t = self.threshold
        excluded = len(f) - len(self.binary)
        exited = int((~f.window_observed & f.exit_date.notna() & (f.exit_date < f.window_close)).sum())
        min_fu = f.attrs.get("min_followup_months", self.window_months)
        why = (f"{count_phrase(exited, t)} because they exited (custody, moved away or died) before it closed"
               + ("" if exited == excluded else ", the rest because the extract ended first"))
        items = "".join(f"<li>{_esc(i.label)} ({_esc(i.domain)}, {_esc(i.time)})</li>" for i in prog.ppit_items)
        parts = ["<h2>Methods</h2>", "<h3>Sample</h3>",
                 _para(f"People put on the {prog.name} list at least once and scored on the PPIT. The index date is the "
                       "first day of the month of first listing; the first rating (the one used in practice) is "
                       f"analysed. People listed less than {min_fu} months before the extract date "
                       f"({pd.Timestamp(self.ds.extract_date).date()}) are left out. Accuracy for the binary outcome "
                       f"uses the {count_phrase(len(self.binary), t)} whose whole {self.window_months}-month window "
                       f"was observed; {count_phrase(excluded, t)} were left out, {why}. "
                       "Time-to-event measures use everyone, censored at exit or the extract date."),
                 "<h3>Outcome</h3>", _para(self._outcome_text()),
                 "<h3>The score and the police-data baselines</h3>",
                 f"<p>The {_esc(prog.ppit_name)} (PPIT; Robinson & Clancy 2015) has {len(prog.ppit_items)} items "
                 f"scored {min(prog.ppit_scale)} to {max(prog.ppit_scale)}"
                 + (f" ({_esc(', '.join(prog.ppit_scale_labels))})" if prog.ppit_scale_labels else "")
                 + f"; the total runs from 0 to {self.max_score} and {self.priority} or more marks a priority "
                 f"perpetrator.</p><ul>{items}</ul>",
                 _para("Two baselines use only police records before the index date, to ask whether the PPIT adds "
                       "anything to what police data already say: the number of DA offences in the previous two "
                       "years, and a recency-frequency-gravity (RFG) score in the spirit of the RFG matrices forces "
                       "use to rank DA perpetrators (e.g. Northumbria's MATAC process; Davies & Biddle 2018; "
                       "Clancy, Robinson & Hanks 2014). Over the DA offences of the previous two years, recency scores "
                       "3 if the latest was at most 30 days before the index date, 2 if 31 to 182 days, 1 if older; "
                       "frequency scores 1, 2 or 3 for 1, 2-3 or 4 or more offences; gravity scores 1 to 3 for the "
                       "highest offence severity in the lower, middle or upper third of the programme's severity "
                       "scale. RFG is the sum (0 to 9; 0 for no prior DA offence)."),
                 "<h3>Statistical analysis</h3>",
                 "<ul>"
                 "<li>Discrimination: area under the ROC curve with the DeLong, DeLong & Clarke-Pearson (1988) "
                 "interval (a stratified bootstrap percentile interval as a check); paired DeLong comparison with the "
                 "baselines; Harrell's C for time to the outcome (Harrell, Lee & Mark 1996; jackknife interval); "
                 "cumulative/dynamic AUC at 6, 12 and 24 months with inverse-probability-of-censoring weights "
                 "(Uno et al. 2007; bootstrap intervals).</li>"
                 "<li>Incremental value: logistic models with and without the PPIT total over the two baselines; "
                 "likelihood-ratio test (the valid test of added information for nested models; Pepe et al. "
                 "2013).</li>"
                 "<li>Calibration: observed outcome by score band with Wilson (1927) intervals; a logistic model of "
                 "the outcome on the total fitted to people listed in the earlier half of the period and checked "
                 "on the later half (calibration-in-the-large and slope; Cox 1958; Van Calster et al. 2016).</li>"
                 "<li>Thresholds: sensitivity, specificity, positive and negative predictive values and the share "
                 "flagged at each cut-off (Wilson intervals); decision curve of net benefit (Vickers & Elkin "
                 "2006).</li>"
                 "<li>Reliability, on people scored independently by two assessors: the six intraclass correlations "
                 "of Shrout & Fleiss (1979) with McGraw & Wong (1996) intervals for the total; linearly weighted "
                 "kappa per item (Cohen 1968; Fleiss, Cohen & Everitt 1969); agreement on the priority flag.</li>"
                 "<li>Internal structure: item endorsement, corrected item-total correlations, Cronbach's (1951) "
                 "alpha with the Feldt (1965) interval, McDonald's (1999) omega (bootstrap interval), and "
                 "maximum-likelihood confirmatory factor models comparing one factor with two correlated factors "
                 "(offending and offender items).</li>"
                 "<li>Equity: AUC and calibration by sex, ethnic group, age band and district (Cochran's Q test of "
                 "equal AUCs); differential prediction by logistic regression with score-by-group terms (Cleary "
                 "1968); share flagged as priority by group (Katz et al. 1978 intervals).</li>"
                 "</ul>",
                 _para(f"All intervals are {int(self.level * 100)}% intervals. Groups with fewer than {t} people with "
                       "or without the outcome or the priority flag are pooled; adjacent score values are pooled into "
                       "bands so that no published count falls between 1 and "
                       f"{t - 1}.")]
        return "".join(parts)

    def _outcome_text(self) -> str:
        prog = self.ds.programme
        w = self.window_months
        if self.spec.key == "any_da":
            what = "any police-recorded domestic-abuse (DA) offence"
        elif self.spec.key == "violent_da":
            labels = [o.label for o in prog.offence_types if o.id in self.spec.types]
            what = (f"a DA offence of a type with severity {self.violent_severity} or more on the programme's scale "
                    f"({', '.join(labels)})")
        else:
            what = (f"DA offences whose Cambridge Crime Harm Index weights (days of recommended imprisonment; Sherman, "
                    f"Neyroud & Neyroud 2016) add up to more than {self.spec.harm_threshold:,.0f} days")
        return (f"The outcome is {what} dated after the index date and within {w} months of it. Offences are "
                "counted from police records, so abuse that is not reported is missed.")

    # ------------------------------------------------------------------ discrimination
    def _threshold_protected(self, scores, y, edges, mark=None) -> tuple[Protected, pd.DataFrame]:
        tt = pv.threshold_table(scores, y, thresholds=edges, level=self.level).table()
        tab = pd.DataFrame({
            "cutoff": tt.threshold.astype(int),
            "current": ["current priority threshold" if mark is not None and c == mark else "" for c in tt.threshold],
            "flagged": tt.flagged.astype(int), "tp": tt.tp.astype(int), "fp": tt.fp.astype(int),
            "fn": tt.fn.astype(int), "tn": tt.tn.astype(int),
            "share": [_pct(a, b, c) for a, b, c in zip(tt.share_flagged, tt.share_flagged_ci_low,
                                                       tt.share_flagged_ci_high, strict=True)],
            "sens": [_pct(a, b, c) for a, b, c in zip(tt.sensitivity, tt.sensitivity_ci_low, tt.sensitivity_ci_high,
                                                      strict=True)],
            "spec": [_pct(a, b, c) for a, b, c in zip(tt.specificity, tt.specificity_ci_low, tt.specificity_ci_high,
                                                      strict=True)],
            "ppv": [_pct(a, b, c) for a, b, c in zip(tt.ppv, tt.ppv_ci_low, tt.ppv_ci_high, strict=True)],
            "npv": [_pct(a, b, c) for a, b, c in zip(tt.npv, tt.npv_ci_low, tt.npv_ci_high, strict=True)],
        })
        prot = _protect_rows(tab, ["tp", "fp", "fn", "tn"], ["flagged", "share", "sens", "spec", "ppv", "npv"],
                             self.threshold, additive=False)
        return prot, tt

    def _roc_points(self, col: str) -> pd.DataFrame:
        b = self.binary
        edges = safe_bands(b[col], b.outcome, self.threshold)
        if not edges:
            return pd.DataFrame(columns=["fpr", "tpr", "cutoff"])
        prot, tt = self._threshold_protected(b[col].astype(float), self._y(), edges)
        self._published[f"roc-{col}"] = (prot, ["tp", "fp", "fn", "tn"])
        t = prot.table
        ok = t.tp.notna()
        pts = pd.DataFrame({"fpr": (t.fp / (t.fp + t.tn))[ok], "tpr": (t.tp / (t.tp + t.fn))[ok],
                            "cutoff": t.cutoff[ok]})
        return pd.concat([pd.DataFrame({"fpr": [0.0], "tpr": [0.0], "cutoff": [np.inf]}), pts.iloc[::-1],
                          pd.DataFrame({"fpr": [1.0], "tpr": [1.0], "cutoff": [-np.inf]})], ignore_index=True)

    def roc_figure(self) -> str:
        ax = new_axes(figsize=(5.2, 4.6))
        names = {"ppit_total": "PPIT total", "prior_da_2y": "Prior DA offences (2 years)", "rfg_score": "RFG score"}
        aucs = {"ppit_total": self.auc_ppit, **self.auc_baselines}
        for (col, label), colour in zip(names.items(), (PALETTE[0], PALETTE[1], PALETTE[2]), strict=True):
            pts = self._roc_points(col)
            if len(pts) < 3:
                continue
            a = aucs[col]
            ax.plot(pts.fpr, pts.tpr, marker="o", ms=3.5, color=colour,
                    label=f"{label}: AUC {a.estimate:.2f} ({a.ci_low:.2f}-{a.ci_high:.2f})")
            if col == "ppit_total":
                cur = pts[pts.cutoff == self.priority]
                if len(cur):
                    ax.plot(cur.fpr, cur.tpr, marker="D", ms=8, color=PALETTE[3], ls="none",
                            label=f"Priority threshold ({self.priority}+)")
        ax.plot([0, 1], [0, 1], color=GREY, ls=":", lw=1)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("1 - specificity (share of people without the outcome flagged)")
        ax.set_ylabel("Sensitivity (share of people with the outcome flagged)")
        ax.set_title("ROC curves")
        ax.legend(loc="lower right", fontsize=8)
        return to_html(ax, f"ROC curves of the PPIT total, the count of prior DA offences and the RFG score for "
                           f"{self.spec.short} within {self.window_months} months, drawn through cut-offs whose counts "
                           "are safe to publish; the current priority threshold is marked.",
                       "ROC curves through cut-offs that pass disclosure control (adjacent scores pooled).")

    def discrimination_section(self) -> str:
        if not self.can_discriminate:
            return "<h2>Discrimination</h2>" + self._too_few("discrimination")
        a, boot = self.auc_ppit, self.auc_ppit_boot
        rows = [{"predictor": "PPIT total", "auc": _ci(a.estimate, a.ci_low, a.ci_high),
                 "diff": "", "p": ""}]
        names = {"prior_da_2y": "Prior DA offences (2 years)", "rfg_score": "Recency-frequency-gravity score"}
        for k, label in names.items():
            r, d = self.auc_baselines[k], self.delong[k]
            rows.append({"predictor": label, "auc": _ci(r.estimate, r.ci_low, r.ci_high),
                         "diff": _ci(d.difference, d.ci_low, d.ci_high, "{:+.2f}"), "p": _p(d.p_value)})
        tab = pd.DataFrame(rows)
        tab.insert(1, "n", len(self.binary))
        tab.insert(2, "events", self.n_events)
        tab.insert(3, "non_events", len(self.binary) - self.n_events)
        prot = _protect_rows(tab, ["events", "non_events"], ["auc", "diff", "p"], self.threshold, additive=False)
        html_tab = self._publish("discrimination", prot, ["n", "events", "non_events"],
                                 rename={"predictor": "Predictor", "n": "People", "events": "With outcome",
                                         "non_events": "Without", "auc": "AUC (95% interval)",
                                         "diff": "PPIT minus this predictor", "p": "p (paired DeLong)"})
        check = f"; stratified bootstrap {boot.ci_low:.2f} to {boot.ci_high:.2f}" if boot is not None else ""
        text = _para(f"The PPIT total reached an AUC of {_ci(a.estimate, a.ci_low, a.ci_high)} (DeLong interval"
                     f"{check}). An AUC of 0.5 is chance and 1 is "
                     f"perfect; it is the probability that a person who went on to commit {self.spec.label} scored "
                     f"higher than one who did not. Published DA risk tools: "
                     + "; ".join(f"{n} {v:.2f}" for n, v, _ in BENCHMARKS) + f". Here the PPIT is "
                     f"{_compare_benchmarks(a.ci_low, a.ci_high)}.")
        parts = ["<h2>Discrimination</h2>", text, html_tab, self.roc_figure()]
        # time to event
        parts.append("<h3>Time to the outcome</h3>")
        if self.harrell:
            hrows = []
            labels = {"ppit_total": "PPIT total", **names}
            for k, r in self.harrell.items():
                hrows.append({"predictor": labels[k], "c": _ci(r.estimate, r.ci_low, r.ci_high)})
            htab = pd.DataFrame(hrows)
            f = self.frame
            htab.insert(1, "people", len(f))
            htab.insert(2, "events", int(f.event.sum()))
            htab.insert(3, "censored", len(f) - int(f.event.sum()))
            if self.hide_total:
                htab = htab.drop(columns="people")
            prot = _protect_rows(htab, ["events", "censored"], ["c"] + (["people"] if "people" in htab else []),
                                 self.threshold, additive=False)
            parts.append(_para("Using everyone's whole follow-up (median time to the outcome or censoring "
                               f"{f.time_days.median() / DAYS_PER_MONTH:.0f} months), Harrell's C is the share of usable pairs in which the person with the higher "
                               "score had the outcome sooner."))
            parts.append(self._publish("harrell", prot, [c for c in ("people", "events", "censored") if c in htab],
                                       rename={"predictor": "Predictor", "people": "People", "events": "With outcome",
                                               "censored": "Censored without it",
                                               "c": "Harrell's C (95% interval)"}))
        td = self.td_auc
        if td is not None:
            tt = td.table()
            n_all = len(self.frame)
            ttab = pd.DataFrame({"months": [round(x / DAYS_PER_MONTH) for x in tt.time],
                                 "cases": tt.n_cases.astype(int), "controls": tt.n_controls.astype(int),
                                 "censored": n_all - tt.n_cases.astype(int) - tt.n_controls.astype(int),
                                 "auc": [_ci(x, lo, hi) for x, lo, hi in zip(tt.auc, tt.ci_low, tt.ci_high,
                                                                            strict=True)]})
            prot = _protect_rows(ttab, ["cases", "controls", "censored"], ["auc"], self.threshold, additive=False)
            parts.append(_para("Cumulative/dynamic AUC at fixed horizons compares people with the outcome by then "
                               "with people still free of it, weighting for censoring."))
            parts.append(self._publish("td_auc", prot, ["cases", "controls", "censored"],
                                       rename={"months": "Months after listing", "cases": "Outcome by then",
                                               "controls": "Still free of it", "censored": "Censored before then",
                                               "auc": "AUC(t) (bootstrap 95% interval)" if td.n_boot else "AUC(t)"}))
        parts.append(self._incremental_html())
        return "".join(parts)

    def _incremental_html(self) -> str:
        inc = self.incremental
        t = inc.auc_test
        coef = inc.added_coefficients.iloc[0]
        rows = pd.DataFrame([
            {"model": "Police data: prior DA count + RFG score", "auc": _f(inc.auc_base), "stat": ""},
            {"model": "Police data + PPIT total", "auc": _f(inc.auc_full), "stat": ""},
            {"model": "Difference (full - police data)", "auc": _ci(t.difference, t.ci_low, t.ci_high, "{:+.3f}"),
             "stat": f"DeLong p {_p(t.p_value)} (descriptive)"},
            {"model": "Likelihood-ratio test of the PPIT", "auc": "",
             "stat": f"chi-square {inc.lr_statistic:.1f} on {inc.lr_df} df, p {_p(inc.lr_p_value)}"},
            {"model": "Odds ratio per PPIT point, adjusted", "auc": "",
             "stat": _ci(coef.odds_ratio, math.exp(coef.ci_low), math.exp(coef.ci_high))},
        ])
        prot = protect(rows, [], self.threshold)
        verdict = ("adds information beyond police records" if inc.lr_p_value < 0.05 else
                   "does not detectably add information beyond police records")
        return ("<h3>Does the PPIT add to police data?</h3>"
                + _para(f"In {count_phrase(inc.n, self.threshold)}, the PPIT total {verdict} (likelihood-ratio p "
                        f"{_p(inc.lr_p_value)}). AUCs of fitted models are in-sample and slightly optimistic for the "
                        "larger model.")
                + self._publish("incremental", prot, [], rename={"model": "Model", "auc": "AUC",
                                                                   "stat": "Test or estimate"}))

    # ------------------------------------------------------------------ calibration
    @cached_property
    def band_table(self) -> Protected:
        """Observed outcome by fixed PPIT bands (below half the threshold, below it, priority, high)."""
        b = self.binary
        half, top = self.priority // 2, (self.priority + self.max_score + 1) // 2
        edges = [0, half, self.priority, top, self.max_score + 1]
        labels = [f"0-{half - 1} (low)", f"{half}-{self.priority - 1} (moderate)",
                  f"{self.priority}-{top - 1} (priority)", f"{top}-{self.max_score} (high priority)"]
        ct = pv.calibration_table(b.ppit_total.astype(float), b.outcome, bins=edges, labels=labels,
                                  level=self.level).table()
        tab = pd.DataFrame({"band": ct.band, "n": ct.n, "events": ct.events, "non_events": ct.n - ct.events,
                            "observed": [_pct(o, lo, hi) for o, lo, hi in zip(ct.observed, ct.ci_low, ct.ci_high,
                                                                                strict=True)],
                            "obs": ct.observed, "ci_low": ct.ci_low, "ci_high": ct.ci_high,
                            "mean_score": ct.mean_predicted})
        return _protect_rows(tab, ["events", "non_events"], ["n", "observed", "obs", "ci_low", "ci_high",
                                                              "mean_score"], self.threshold)

    @cached_property
    def score_table(self) -> Protected:
        """Observed outcome by PPIT total, adjacent totals pooled into safe bands."""
        b = self.binary
        edges = self.bands
        if not edges:
            return protect(pd.DataFrame(columns=["band", "n", "events"]), ["n", "events"], self.threshold)
        top = float(b.ppit_total.max())
        ct = pv.calibration_table(b.ppit_total.astype(float), b.outcome, bins=[*edges, top + 1],
                                  labels=_band_labels(edges, top), level=self.level).table()
        x = b.ppit_total.astype(float).to_numpy()
        idx = _band_index(x, edges)
        pred = np.array([self.predicted[idx == i].mean() for i in range(len(edges))])
        tab = pd.DataFrame({"band": ct.band, "n": ct.n, "events": ct.events, "non_events": ct.n - ct.events,
                            "observed": [_pct(o, lo, hi) for o, lo, hi in zip(ct.observed, ct.ci_low, ct.ci_high,
                                                                                strict=True)],
                            "model": [_pct(v) for v in pred],
                            "obs": ct.observed, "ci_low": ct.ci_low, "ci_high": ct.ci_high,
                            "mean_score": ct.mean_predicted, "pred": pred})
        return _protect_rows(tab, ["events", "non_events"], ["n", "observed", "model", "obs", "ci_low", "ci_high",
                                                              "mean_score", "pred"], self.threshold)

    def calibration_figure(self) -> str:
        t = self.score_table.table
        ax = new_axes(figsize=(6.4, 4.0))
        ok = t.obs.notna() if "obs" in t else pd.Series([], dtype=bool)
        if ok.any():
            s = t[ok]
            ax.errorbar(s.mean_score, 100 * s.obs, yerr=[100 * (s.obs - s.ci_low), 100 * (s.ci_high - s.obs)],
                        fmt="o", color=PALETTE[0], capsize=3, label="Observed (pooled scores, 95% interval)")
        grid = np.linspace(0, self.max_score, 101)
        lp = self.logistic.params
        ax.plot(grid, 100 / (1 + np.exp(-(lp[0] + lp[1] * grid))), color=PALETTE[1], label="Logistic model")
        ax.axvline(self.priority - 0.5, color=GREY, ls="--", lw=1)
        ax.annotate(f"priority ({self.priority}+)", (self.priority - 0.4, 2), color=GREY, fontsize=8)
        ax.set_xlim(-0.5, self.max_score + 0.5)
        step = 1 if self.max_score <= 12 else 2
        ax.set_xticks(np.arange(0, self.max_score + 1, step))
        ax.set_ylim(0, 100)
        ax.set_xlabel("PPIT total score")
        ax.set_ylabel(f"Percent with the outcome within {self.window_months} months")
        ax.set_title("Observed outcome by PPIT total")
        ax.legend(loc="upper left", fontsize=8)
        return to_html(ax, f"Percent of people with {self.spec.short} within {self.window_months} months at each "
                           "(pooled) PPIT total with 95% intervals, and the fitted logistic curve.",
                       "Scores with few people are pooled with their neighbours before plotting.")

    def calibration_section(self) -> str:
        if not self.can_discriminate:
            return "<h2>Calibration</h2>" + self._too_few("calibration")
        fmt_rename = {"band": "PPIT total", "n": "People", "events": "With outcome", "non_events": "Without",
                      "observed": "Observed (95% interval)", "model": "Logistic model",
                      "mean_score": "Mean score"}
        st = self.score_table
        sd = Protected(st.table.drop(columns=["obs", "ci_low", "ci_high", "pred"]),
                       st.suppressed.drop(columns=["obs", "ci_low", "ci_high", "pred"]), st.threshold,
                       st.n_primary, st.n_secondary)
        bt = self.band_table
        bd = Protected(bt.table.drop(columns=["obs", "ci_low", "ci_high"]),
                       bt.suppressed.drop(columns=["obs", "ci_low", "ci_high"]), bt.threshold, bt.n_primary,
                       bt.n_secondary)
        fit = self.logistic
        or_, lo, hi = (math.exp(v) for v in (fit.params[1], *fit.conf_int(1 - self.level)[1]))
        parts = ["<h2>Calibration</h2>",
                 _para(f"Each extra PPIT point multiplied the odds of the outcome by {_ci(or_, lo, hi)}. The "
                       "tables show how often people at each score went on to the outcome, the first with "
                       "adjacent totals pooled so that every cell is safe to publish."),
                 self._publish("calibration_by_score", sd, ["n", "events", "non_events"],
                               {"mean_score": "{:.1f}"}, fmt_rename),
                 self.calibration_figure(),
                 self._publish("calibration_by_band", bd, ["n", "events", "non_events"], {"mean_score": "{:.1f}"},
                               {**fmt_rename, "band": "PPIT band"})]
        tv = self.temporal
        if tv is None:
            parts.append(_para("Too few people with or without the outcome in one half of the period for a temporal "
                               "check of calibration."))
        else:
            r = tv["result"]
            rows = pd.DataFrame([
                {"measure": "Calibration-in-the-large (ideal 0)",
                 "estimate": _ci(r.intercept, r.intercept_ci_low, r.intercept_ci_high)},
                {"measure": "Calibration slope (ideal 1)", "estimate": _ci(r.slope, r.slope_ci_low, r.slope_ci_high)},
                {"measure": "Observed / expected events", "estimate": _f(r.oe_ratio)},
            ])
            prot = protect(rows, [], self.threshold)
            slope_txt = ("the spread of risk across scores held up" if r.slope_ci_low <= 1 <= r.slope_ci_high else
                         ("scores separated risk less than in the earlier period" if r.slope < 1 else
                          "scores separated risk more than in the earlier period"))
            level_txt = ("the overall level of risk was about right" if r.intercept_ci_low <= 0 <= r.intercept_ci_high
                         else ("risk was under-predicted" if r.intercept > 0 else "risk was over-predicted"))
            parts += ["<h3>Temporal validation</h3>",
                      _para(f"A logistic model of the outcome on the PPIT total fitted to the "
                            f"{count_phrase(tv['n_dev'], self.threshold)} first listed {tv['dev_start']} to "
                            f"{tv['dev_end']} was applied to the {count_phrase(tv['n_val'], self.threshold)} listed "
                            f"{tv['val_start']} to {tv['val_end']}: {level_txt} and {slope_txt}. The later period "
                            "also covers districts that joined later, so this checks transport in time and place."),
                      self._publish("temporal_calibration", prot, [],
                                    rename={"measure": "Later period", "estimate": "Estimate (95% interval)"})]
        return "".join(parts)

    # ------------------------------------------------------------------ thresholds
    @cached_property
    def threshold_protected(self) -> Protected:
        b = self.binary
        prot, _ = self._threshold_protected(b.ppit_total.astype(float), self._y(), self.bands, mark=self.priority)
        return prot

    @cached_property
    def decision(self) -> pv.DecisionCurve:
        """Decision curve with risks from the logistic model, averaged within the safe score bands."""
        b = self.binary
        idx = _band_index(b.ppit_total.astype(float).to_numpy(), self.bands)
        p = pd.Series(self.predicted).groupby(idx).transform("mean").to_numpy()
        return pv.decision_curve(p, self._y(), thresholds=np.arange(2, 91) / 100)

    def thresholds_section(self) -> str:
        if not self.can_discriminate or not self.bands:
            return "<h2>Thresholds</h2>" + self._too_few("threshold trade-offs")
        prot = self.threshold_protected
        cur = prot.table[prot.table.current != ""]
        parts = ["<h2>Thresholds</h2>"]
        if len(cur) and pd.notna(cur.iloc[0].tp):
            r = cur.iloc[0]
            parts.append(_para(f"At the current priority threshold ({self.priority} or more), {r['share']} of people "
                               f"were flagged; the flag caught {r['sens']} of those who went on to {self.spec.short} "
                               f"(sensitivity), and {r['ppv']} of those flagged did so (positive predictive value). "
                               "Intervals are Wilson 95% intervals; predictive values depend on how common the "
                               "outcome is."))
        else:
            parts.append(_para(f"The current priority threshold ({self.priority} or more) falls inside a pooled band "
                               "or flags too few people to publish its counts."))
        parts.append(self._publish("thresholds", prot, ["flagged", "tp", "fp", "fn", "tn"],
                                   rename={"cutoff": "Flag at score >=", "current": "", "flagged": "Flagged",
                                           "tp": "Flagged, outcome", "fp": "Flagged, no outcome",
                                           "fn": "Not flagged, outcome", "tn": "Not flagged, no outcome",
                                           "share": "Share flagged", "sens": "Sensitivity", "spec": "Specificity",
                                           "ppv": "PPV", "npv": "NPV"},
                                   caption="Cut-offs are the edges of pooled score bands, so every count is safe to "
                                           "publish."))
        dc = self.decision.table()
        ax = new_axes(figsize=(6.4, 3.8))
        ax.plot(dc.threshold * 100, dc.net_benefit, color=PALETTE[0], label="Act on PPIT-based risk")
        ax.plot(dc.threshold * 100, dc.treat_all, color=PALETTE[1], ls="--", label="Act on everyone")
        ax.plot(dc.threshold * 100, dc.treat_none, color="black", ls=":", label="Act on no one")
        top = max(self.decision.prevalence, float(dc.net_benefit.max()))
        ax.set_ylim(-0.05 * max(top, 0.01), top * 1.15 + 1e-9)
        ax.set_xlabel("Risk at which intensive management is worth it (%)")
        ax.set_ylabel("Net benefit")
        ax.set_title("Decision curve")
        ax.legend(fontsize=8)
        fig = to_html(ax, "Decision curve: net benefit of managing people whose PPIT-based risk exceeds each threshold, "
                          "against managing everyone or no one.",
                      "Risks from the logistic model of the outcome on the PPIT total, averaged within pooled score "
                      "bands.")
        sel = dc[np.isclose(dc.threshold * 100 % 10, 0) | np.isclose(dc.threshold * 100 % 10, 10)]
        sel = sel[(sel.threshold >= 0.1) & (sel.threshold <= 0.6)]
        dtab = pd.DataFrame({"pt": [f"{100 * v:.0f}%" for v in sel.threshold],
                             "nb": [f"{v:.3f}" for v in sel.net_benefit],
                             "all": [f"{v:.3f}" for v in sel.treat_all],
                             "avoided": [f"{v:.0f}" for v in sel.interventions_avoided_per_100]})
        dprot = protect(dtab, [], self.threshold)
        parts += ["<h3>Decision curve</h3>",
                  _para("Net benefit counts true positives minus false positives weighted by how much one is willing "
                        "to trade (Vickers & Elkin 2006). Where the PPIT line is above both reference lines, acting "
                        "on the score does more good than acting on everyone or no one."),
                  fig,
                  self._publish("decision_curve", dprot, [],
                                rename={"pt": "Threshold risk", "nb": "Net benefit (PPIT)", "all": "Net benefit (all)",
                                        "avoided": "Interventions avoided per 100"})]
        return "".join(parts)

    # ------------------------------------------------------------------ reliability
    def reliability_section(self) -> str:
        r = self.pairs
        t = self.threshold
        parts = ["<h2>Reliability between assessors</h2>"]
        if self.icc is None:
            return "".join(parts) + _para(f"Fewer than {t} people were scored independently by two assessors.")
        it = self.icc.table()
        rows = pd.DataFrame({"form": it.index, "description": it.description,
                             "icc": [_ci(a, b, c) for a, b, c in zip(it.icc, it.ci_low, it.ci_high, strict=True)]})
        diff = (r.total_second - r.total_first).astype(float)
        md, sd = diff.mean(), diff.std(ddof=1)
        icc2 = it.loc["ICC2"]
        parts.append(_para(
            f"{count_phrase(len(r), t)} were scored independently by two different assessors (median "
            f"{r.days_between.median():.0f} days apart). Assessors differ between people, so each person's ratings "
            "are arranged as first and second: ICC1 (one-way) is the reliability of a single assessment by a randomly "
            "chosen assessor; ICC2 adds the systematic difference between first and second ratings, ICC3 ignores it "
            f"(Shrout & Fleiss 1979). ICC(2,1) was {_ci(icc2.icc, icc2.ci_low, icc2.ci_high)}, "
            f"{_icc_words(icc2.icc)} on the reading of Koo & Li (2016). The second total "
            f"averaged {md:+.2f} points against the first (95% limits of agreement {md - 1.96 * sd:+.1f} to "
            f"{md + 1.96 * sd:+.1f}; Bland & Altman 1986)."))
        parts.append(self._publish("icc", protect(rows, [], t), [],
                                   rename={"form": "Form", "description": "Model",
                                           "icc": "ICC (95% interval)"}))
        scale = list(self.ds.programme.ppit_scale)
        krows = []
        for i in self.items:
            try:
                k = pv.weighted_kappa(r[f"{i}_first"], r[f"{i}_second"], weights="linear", categories=scale,
                                      level=self.level)
                txt = _ci(k.kappa, k.ci_low, k.ci_high)
            except ValueError:
                txt = "n/a"
            krows.append({"item": i.replace("ppit_", "Item "), "label": self.item_labels[i], "kappa": txt})
        parts.append("<h3>Agreement on each item</h3>")
        parts.append(self._publish("kappa", protect(pd.DataFrame(krows), [], t), [],
                                   rename={"item": "Item", "label": "Wording",
                                           "kappa": "Weighted kappa (95% interval)"}))
        a, b = r.priority_first.astype(int), r.priority_second.astype(int)
        both, neither = int(((a == 1) & (b == 1)).sum()), int(((a == 0) & (b == 0)).sum())
        disc = len(r) - both - neither
        ag = pv.agreement(a, b, level=self.level)
        cells = pd.DataFrame({"cell": ["Both priority", "Neither priority", "Assessors disagreed"],
                              "people": [both, neither, disc]})
        cprot = _protect_rows(cells, ["people"], [], t)
        parts.append("<h3>Agreement on the priority flag</h3>")
        parts.append(self._publish("priority_agreement", cprot, ["people"],
                                   rename={"cell": "Priority flag", "people": "People"}))
        if cprot.suppressed.people.any():
            parts.append(_para("Percent agreement is withheld because a cell is too small to publish; Cohen's kappa "
                               f"was {_ci(ag.kappa.kappa, ag.kappa.ci_low, ag.kappa.ci_high)}."))
        else:
            parts.append(_para(f"The two assessors agreed on the priority flag for "
                               f"{_pct(ag.percent_agreement, ag.ci_low, ag.ci_high)} of people; Cohen's kappa "
                               f"{_ci(ag.kappa.kappa, ag.kappa.ci_low, ag.kappa.ci_high)}."))
        return "".join(parts)

    # ------------------------------------------------------------------ internal structure
    def structure_section(self) -> str:
        t = self.threshold
        x = self.items_first
        ia = pv.item_analysis(x).table()
        low = min(self.ds.programme.ppit_scale)
        endorsed = (x > low).sum().astype(int)
        tab = pd.DataFrame({
            "item": [i.replace("ppit_", "Item ") for i in ia.index],
            "label": [self.item_labels[i] for i in ia.index],
            "domain": [next(it.domain for it in self.ds.programme.ppit_items if it.id == i) for i in ia.index],
            "mean": ia["mean"].to_numpy(), "sd": ia["sd"].to_numpy(),
            "endorsed": endorsed.reindex(ia.index).to_numpy(),
            "not_endorsed": (len(x) - endorsed.reindex(ia.index)).to_numpy(),
            "pct": [f"{100 * v:.0f}%" for v in ia.endorsement],
            "r": ia.item_total_r.to_numpy(), "aid": ia.alpha_if_deleted.to_numpy(),
        })
        if self.hide_total:
            tab = tab.drop(columns=["endorsed", "not_endorsed"])
            prot = protect(tab, [], t)
        else:
            prot = _protect_rows(tab, ["endorsed", "not_endorsed"], ["pct"], t, additive=False)
        al, om = self.alpha, self.omega
        parts = ["<h2>Internal structure</h2>",
                 _para(f"Item statistics for the first ratings of "
                       f"{'the assessed people' if self.hide_total else count_phrase(len(x), t)}. 'Scored above "
                       f"{low}' is the share with the item at least partly present; the corrected item-total "
                       "correlation is each item's correlation with the sum of the others (below 0.3 is usually read "
                       "as weak)."),
                 self._publish("item_analysis", prot, [c for c in ("endorsed", "not_endorsed") if c in tab],
                               {"mean": "{:.2f}", "sd": "{:.2f}", "r": "{:.2f}", "aid": "{:.3f}"},
                               {"item": "Item", "label": "Wording", "domain": "Domain", "mean": "Mean", "sd": "SD",
                                "endorsed": f"Scored above {low}", "not_endorsed": f"Scored {low}",
                                "pct": f"% above {low}", "r": "Item-total r", "aid": "Alpha if deleted"}),
                 _para(f"Cronbach's alpha was {_ci(al.alpha, al.ci_low, al.ci_high)} (Feldt interval) and McDonald's "
                       f"omega {_ci(om.omega, om.ci_low, om.ci_high)}{' (bootstrap interval)' if self.n_boot else ''}."
                       + (f" Residual variances at their bound (Heywood cases): {', '.join(om.heywood)}."
                          if om.heywood else ""))]
        fc = self.factors
        if fc is not None:
            ft = fc.table()
            names = {"one_factor": "One factor",
                     ft.index[1]: f"{len(fc.groups)} correlated factors ({', '.join(fc.groups)})"}
            frows = pd.DataFrame({"model": [names[i] for i in ft.index],
                                  "chi2": [f"{v:.1f}" for v in ft.chi2], "df": ft.df.astype(int).to_numpy(),
                                  "cfi": [f"{v:.3f}" for v in ft.cfi], "tli": [f"{v:.3f}" for v in ft.tli],
                                  "rmsea": [f"{v:.3f}" for v in ft.rmsea], "srmr": [f"{v:.3f}" for v in ft.srmr],
                                  "bic": [f"{v:.1f}" for v in ft.bic]})
            corr = fc.factor_correlations.iloc[0, 1]
            better = fc.lr_p_value < 0.05 and ft.bic.iloc[1] < ft.bic.iloc[0]
            om_f = "; ".join(f"{k} {v:.2f}" for k, v in fc.omega_by_factor.items())
            parts += ["<h3>One factor or two?</h3>",
                      _para(f"Confirmatory factor models fitted by maximum likelihood. The two-factor model "
                            f"({' and '.join(fc.groups)} items) {'fits better' if better else 'does not fit clearly better'}"
                            f" than one general factor (chi-square difference {max(fc.lr_statistic, 0):.1f} on "
                            f"{fc.lr_df} df, "
                            f"p {_p(fc.lr_p_value)}; BIC {ft.bic.iloc[1] - ft.bic.iloc[0]:+.1f}); the factors "
                            f"correlate {corr:.2f} and their omegas are {om_f}. Items have few categories, so fit "
                            "indices from Pearson covariances are best read comparatively."),
                      self._publish("factor_fit", protect(frows, [], t), [],
                                    rename={"model": "Model", "chi2": "Chi-square", "df": "df", "cfi": "CFI",
                                            "tli": "TLI", "rmsea": "RMSEA", "srmr": "SRMR", "bic": "BIC"})]
            ax = new_axes(figsize=(7.0, 3.8))
            ld = fc.loadings()
            y = np.arange(len(ld))[::-1]
            ax.plot(ld.iloc[:, 0], y + 0.15, "o", color=PALETTE[0], label="One factor")
            ax.plot(ld.iloc[:, 1:].abs().max(axis=1), y - 0.15, "s", color=PALETTE[1],
                    label=f"Own factor ({' / '.join(fc.groups)})")
            ax.set_yticks(y, [f"{i.replace('ppit_', 'Item ')}: {self.item_labels[i]}" for i in ld.index],
                          fontsize=7)
            ax.set_xlabel("Standardized loading")
            ax.set_xlim(0, 1)
            ax.set_title("Factor loadings")
            ax.legend(fontsize=8, loc="lower right")
            parts.append(to_html(ax, "Standardized loadings of each PPIT item under the one-factor and the "
                                     "two-factor models."))
        return "".join(parts)

    # ------------------------------------------------------------------ equity
    _CHARACTERISTICS = (("Sex", "sex"), ("Ethnic group", "ethnicity_group"), ("Age band", "age_band"),
                        ("District", "district"))

    def _group_labels(self, col: str) -> pd.Series:
        b = self.binary
        if col == "district":
            names = {d.id: d.name for d in self.ds.programme.districts}
            return b.district_id.map(names).fillna(b.district_id)
        return b[col].astype(object)

    def _equity_results(self) -> dict:
        return self.equity_results

    @cached_property
    def equity_results(self) -> dict:
        """Per characteristic: pooled labels and the AUC, calibration, flag-rate and differential-prediction
        results (None where fewer than two safe groups remain)."""
        out = {}
        if not self.can_discriminate:
            return out
        b = self.binary
        y, flags = self._y(), b.ppit_priority.astype(int).to_numpy()
        x = b.ppit_total.astype(float).to_numpy()
        for name, col in self._CHARACTERISTICS:
            labels, pooled = _pool_groups(self._group_labels(col), y, flags, self.threshold)
            if labels is None:
                out[name] = None
                continue
            t = self.threshold
            res = {"pooled": pooled, "labels": labels,
                   "auc": pv.auc_by_group(x, y, labels, min_count=t, level=self.level),
                   "cal": pv.calibration_by_group(self.predicted, y, labels, min_count=t, level=self.level),
                   "flag": pv.flag_rate_parity(flags, labels, min_count=t, level=self.level)}
            try:
                res["dp"] = pv.differential_prediction(x, y, labels, min_count=t, level=self.level)
            except (ValueError, np.linalg.LinAlgError):
                res["dp"] = None
            out[name] = res
        return out

    def equity_section(self) -> str:
        t = self.threshold
        parts = ["<h2>Equity</h2>",
                 _para("Does the score work equally well, and flag people at similar rates, across groups? For each "
                       "characteristic: AUC within each group, observed against expected outcome rates from the "
                       "single logistic model of the outcome on the PPIT total (O/E above 1 means the score "
                       "under-states risk in that group), and the share flagged as a priority. Groups with fewer than "
                       f"{t} people with or without the outcome or the flag are pooled.")]
        if not self.can_discriminate:
            return "".join(parts) + self._too_few("equity checks")
        res = self._equity_results()
        tests = []
        forest = []
        for name, _ in self._CHARACTERISTICS:
            r = res.get(name)
            parts.append(f"<h3>{_esc(name)}</h3>")
            if r is None:
                parts.append(_para(f"Not shown: after pooling small groups fewer than two groups of at least {t} "
                                   "people with and without the outcome remain."))
                continue
            a, c, fl = r["auc"].table(), r["cal"].table(), r["flag"].table()
            groups = [g for g in a.index if g != "All"]
            rows = []
            for g in [*groups, "All"]:
                rows.append({"group": g if name == "District" else _cap(g), "n": int(a.at[g, "n"]), "events": int(a.at[g, "events"]),
                             "non_events": int(a.at[g, "n"] - a.at[g, "events"]),
                             "flagged": int(fl.at[g, "flagged"]), "unflagged": int(fl.at[g, "n"] - fl.at[g, "flagged"]),
                             "auc": _ci(a.at[g, "auc"], a.at[g, "ci_low"], a.at[g, "ci_high"]),
                             "observed": _pct(c.at[g, "observed"], c.at[g, "ci_low"], c.at[g, "ci_high"]),
                             "expected": _pct(c.at[g, "expected"]),
                             "oe": _ci(c.at[g, "oe_ratio"], c.at[g, "oe_ci_low"], c.at[g, "oe_ci_high"]),
                             "flag_rate": _pct(fl.at[g, "rate"], fl.at[g, "ci_low"], fl.at[g, "ci_high"]),
                             "ratio": _ci(fl.at[g, "ratio_to_rest"], fl.at[g, "ratio_ci_low"],
                                          fl.at[g, "ratio_ci_high"]) if g != "All" else ""})
                if g != "All":
                    forest.append((name, g if name == "District" else _cap(g), a.at[g, "auc"], a.at[g, "ci_low"], a.at[g, "ci_high"]))
            tab = pd.DataFrame(rows)
            prot = _protect_rows(tab, ["events", "non_events", "flagged", "unflagged"],
                                 ["n", "auc", "observed", "expected", "oe", "flag_rate", "ratio"], t, additive=False)
            if r["pooled"]:
                parts.append(_para(f"Pooled into '{POOLED}': {', '.join(sorted(r['pooled']))}."))
            parts.append(self._publish(f"equity-{name}", prot, ["n", "events", "non_events", "flagged", "unflagged"],
                                       rename={"group": name, "n": "People", "events": "With outcome",
                                               "non_events": "Without", "flagged": "Priority", "unflagged": "Not priority",
                                               "auc": "AUC (95% interval)", "observed": "Observed",
                                               "expected": "Expected", "oe": "O/E (95% interval)",
                                               "flag_rate": "Share priority", "ratio": "Priority rate vs rest"}))
            dp = r["dp"]
            tests.append({"characteristic": name, "auc_q": _p(r["auc"].heterogeneity_p_value),
                          "slopes": _p(dp.slope_p_value) if dp else "n/a",
                          "intercepts": _p(dp.intercept_p_value) if dp else "n/a"})
        if tests:
            parts += ["<h3>Tests</h3>",
                      _para("Equal AUCs across groups: Cochran's Q. Differential prediction (Cleary 1968): "
                            "likelihood-ratio tests that the score's slope, then (given equal slopes) its intercept, "
                            "differ by group; a small p means the same score carries a different risk in different "
                            "groups. Several tests are run, so one p below 0.05 is weak evidence on its own."),
                      self._publish("equity-tests", protect(pd.DataFrame(tests), [], t), [],
                                    rename={"characteristic": "Characteristic", "auc_q": "Equal AUC p",
                                            "slopes": "Equal slopes p", "intercepts": "Equal intercepts p"})]
        if forest:
            ax = new_axes(figsize=(6.4, max(2.5, 0.28 * len(forest) + 1)))
            yy = np.arange(len(forest))[::-1]
            est = np.array([f[2] for f in forest])
            lo = np.array([f[3] for f in forest])
            hi = np.array([f[4] for f in forest])
            colours = [PALETTE[i % len(PALETTE)] for i, _ in enumerate(self._CHARACTERISTICS)]
            cmap = {n: colours[i] for i, (n, _) in enumerate(self._CHARACTERISTICS)}
            for k, f in enumerate(forest):
                ax.errorbar(est[k], yy[k], xerr=[[est[k] - lo[k]], [hi[k] - est[k]]], fmt="o", color=cmap[f[0]],
                            capsize=2, ms=4)
            ax.axvline(self.auc_ppit.estimate, color=GREY, ls="--", lw=1)
            ax.axvline(0.5, color=GREY, ls=":", lw=1)
            ax.set_yticks(yy, [f"{f[0]}: {f[1]}" for f in forest], fontsize=7)
            ax.set_xlim(0.3, 1)
            ax.set_xlabel("AUC (95% interval); dashed line: everyone")
            ax.set_title("Discrimination by group")
            parts.append(to_html(ax, "Forest plot of the PPIT AUC within each group of sex, ethnic group, age band and "
                                     "district (small groups pooled), with the overall AUC as a dashed line."))
        return "".join(parts)

    # ------------------------------------------------------------------ closing sections
    def limitations(self) -> str:
        f = self.frame
        exited = int((~f.window_observed & f.exit_date.notna() & (f.exit_date < f.window_close)).sum())
        items = [
            "The outcome is police-recorded offending: abuse that victims do not report is missed, and recording "
            "practice may differ between districts and over time.",
            "The PPIT is used to decide who is managed most intensively. If that management works, it lowers "
            "reoffending most among high scorers and makes the score look less predictive than it is (the treatment "
            "paradox); the AUC here is the tool's accuracy as used, not in an untreated population.",
            f"{_cap(count_phrase(exited, self.threshold))} who exited (custody, moved away, died) before their window "
            "closed are left out of the binary analyses; this is unbiased only if exits are unrelated to reoffending. Time-to-event measures "
            "keep them, censored.",
            "Intercepts and slopes checked in the later period come from a model fitted in the earlier one; other "
            "calibration figures and the incremental-value AUCs are in-sample and slightly optimistic.",
            "Double scoring covers a subsample; if those people were not chosen at random, reliability may differ "
            "for everyone else. Assessors differ between people, so rater effects cannot be separated from the "
            "rating order.",
            "Factor models treat short ordinal items as continuous; read fit indices comparatively.",
            "Equity comparisons have little power for small groups and several tests are run; a difference that "
            "is not detected is not shown to be absent.",
            "The baselines use police records only; a comparison with other published tools on the same people "
            "would need those tools to be scored too.",
        ]
        if self.is_synthetic:
            items.append("These results are from synthetic demonstration data generated with known truth: they "
                         "show what the report will contain, not how the PPIT performs in practice.")
        return "<h2>Limitations</h2><ul>" + "".join(f"<li>{_esc(i)}</li>" for i in items) + "</ul>"

    def disclosure(self) -> str:
        n1 = sum(p.n_primary for p, _ in self._published.values())
        n2 = sum(p.n_secondary for p, _ in self._published.values())
        extra = ("Score values with few people are pooled with their neighbours (tables, ROC curves, calibration and "
                 "decision curves), and groups with fewer than "
                 f"{self.threshold} people with or without the outcome or the priority flag are pooled into "
                 f"'{POOLED}' or not shown.")
        if self._published:
            extra += f" In the sections above, {n1} cells were suppressed as small and {n2} to protect them."
        return f"<h2>Disclosure control</h2>{_para(rule_text(self.threshold), extra)}"

    def parameters(self) -> dict:
        return {"outcome": self.spec.key, "window_months": self.window_months,
                "min_followup_months": self.frame.attrs.get("min_followup_months"),
                "harm_threshold": self.spec.harm_threshold, "violent_severity": self.violent_severity,
                "n_boot": self.n_boot, "level": self.level}

    def provenance(self, parameters: dict | None = None) -> str:
        params = parameters or self.parameters()
        rows = provenance_rows(self.ds, params)
        body = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows)
        refs = list(REFERENCES)
        own = self.ds.programme.ppit_reference
        if own and not any(r.startswith(own[:20]) for r in refs):
            refs.append(own)
        refs = "".join(f"<li>{_esc(r)}</li>" for r in sorted(refs))
        return (f"<h2>Provenance</h2><table class='fe-table'>{body}</table>"
                f"<h2>References</h2><ul class='fe-refs'>{refs}</ul>")

    def sections(self) -> list[str]:
        """Every section in reading order (the notebook shows the same, cell by cell)."""
        return [report_css() + self.title() + self.summary(), self.methods(), self.discrimination_section(),
                self.calibration_section(), self.thresholds_section(), self.reliability_section(),
                self.structure_section(), self.equity_section(), self.limitations(), self.disclosure(),
                self.provenance()]

    def html(self) -> str:
        return "".join(self.sections())

    # ------------------------------------------------------------------ results.json
    def headline(self) -> pd.DataFrame:
        """Key estimates: ``name, estimate, ci_low, ci_high, design, sms_level, n``.

        With the default outcome and window (any DA offence within 12 months) the AUC is named
        ``ppit_auc_12m``, the name the generator's ``truth.json`` uses; otherwise
        ``ppit_auc_<outcome>_<window>m``. ``ppit_icc2_total`` is ICC(2,1) of the total.
        """
        rows = []
        default = self.spec.key == "any_da"
        suffix = f"{self.window_months}m" if default else f"{self.spec.key}_{self.window_months}m"
        design = f"Predictive validity: assessed listed people observed for {self.window_months} months"
        if self.can_discriminate:
            a = self.auc_ppit
            rows.append(("ppit_auc_" + suffix, a.estimate, a.ci_low, a.ci_high, design, a.n))
            for k, nm in (("prior_da_2y", "prior_da"), ("rfg_score", "rfg")):
                d = self.delong[k]
                rows.append((f"ppit_auc_minus_{nm}_{suffix}", d.difference, d.ci_low, d.ci_high,
                             design + ", paired DeLong", d.n))
            if "ppit_total" in self.harrell:
                c = self.harrell["ppit_total"]
                hname = "ppit_harrell_c" if default else f"ppit_harrell_c_{self.spec.key}"
                rows.append((hname, c.estimate, c.ci_low, c.ci_high, "Time to outcome, all follow-up", c.n))
        if self.icc is not None:
            r = self.icc.table().loc["ICC2"]
            rows.append(("ppit_icc2_total", r.icc, r.ci_low, r.ci_high,
                         "Reliability: double-scored assessments, two-way random effects", self.icc.n_targets))
        al, om = self.alpha, self.omega
        rows.append(("ppit_alpha", al.alpha, al.ci_low, al.ci_high, "Internal consistency, first ratings", al.n))
        rows.append(("ppit_omega", om.omega, om.ci_low, om.ci_high, "Internal consistency, first ratings", om.n))
        out = pd.DataFrame(rows, columns=["name", "estimate", "ci_low", "ci_high", "design", "n"])
        out.insert(5, "sms_level", None)
        return out

    def headline_records(self) -> list[dict]:
        """:meth:`headline` as plain records for ``results.json``."""
        return [{k: (None if isinstance(v, float) and not np.isfinite(v) else
                     (round(float(v), 6) if isinstance(v, (float, np.floating)) else
                      (int(v) if isinstance(v, (np.integer,)) else v)))
                 for k, v in rec.items()} for rec in self.headline().to_dict("records")]


REFERENCES = (
    "Bland, J. M. and Altman, D. G. (1986). Statistical methods for assessing agreement between two methods of "
    "clinical measurement. Lancet 327: 307-310.",
    "Clancy, A., Robinson, A. L. and Hanks, S. (2014). Defining and Profiling Serial Domestic Abuse Perpetrators: "
    "An All-Wales Feasibility Review. Cardiff University.",
    "Cleary, T. A. (1968). Test bias: prediction of grades of Negro and white students in integrated colleges. "
    "Journal of Educational Measurement 5: 115-124.",
    "Cohen, J. (1968). Weighted kappa. Psychological Bulletin 70: 213-220.",
    "Cox, D. R. (1958). Two further applications of a model for binary regression. Biometrika 45: 562-565.",
    "Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. Psychometrika 16: 297-334.",
    "Davies, P. A. and Biddle, P. (2018). Implementing a perpetrator-focused partnership approach to tackling "
    "domestic abuse. European Journal of Criminology 15: 468-488.",
    "DeLong, E. R., DeLong, D. M. and Clarke-Pearson, D. L. (1988). Comparing the areas under two or more correlated "
    "receiver operating characteristic curves. Biometrics 44: 837-845.",
    "Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson reliability coefficient twenty. "
    "Psychometrika 30: 357-370.",
    "Fleiss, J. L., Cohen, J. and Everitt, B. S. (1969). Large sample standard errors of kappa and weighted kappa. "
    "Psychological Bulletin 72: 323-327.",
    "Grogger, J., Gupta, S., Ivandic, R. and Kirchmaier, T. (2021). Comparing conventional and machine-learning "
    "approaches to risk assessment in domestic abuse cases. Journal of Empirical Legal Studies 18: 90-130.",
    "Koo, T. K. and Li, M. Y. (2016). A guideline of selecting and reporting intraclass correlation coefficients for "
    "reliability research. Journal of Chiropractic Medicine 15: 155-163.",
    "Harrell, F. E., Lee, K. L. and Mark, D. B. (1996). Multivariable prognostic models. Statistics in Medicine 15: "
    "361-387.",
    "Katz, D., Baptista, J., Azen, S. P. and Pike, M. C. (1978). Obtaining confidence intervals for the risk ratio "
    "in cohort studies. Biometrics 34: 469-474.",
    "McDonald, R. P. (1999). Test Theory: A Unified Treatment. Erlbaum.",
    "McGraw, K. O. and Wong, S. P. (1996). Forming inferences about some intraclass correlation coefficients. "
    "Psychological Methods 1: 30-46.",
    "Messing, J. T. and Thaller, J. (2013). The average predictive validity of intimate partner violence risk "
    "assessment instruments. Journal of Interpersonal Violence 28: 1537-1558.",
    "Pepe, M. S., Kerr, K. F., Longton, G. and Wang, Z. (2013). Testing for improvement in prediction model "
    "performance. Statistics in Medicine 32: 1467-1482.",
    "Robinson, A. and Clancy, A. (2015). Development of the Priority Perpetrator Identification Tool (PPIT) for "
    "domestic abuse. Cardiff University.",
    "Sherman, L., Neyroud, P. W. and Neyroud, E. (2016). The Cambridge Crime Harm Index: measuring total harm from "
    "crime based on sentencing guidelines. Policing 10: 171-183.",
    "Shrout, P. E. and Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater reliability. "
    "Psychological Bulletin 86: 420-428.",
    "Uno, H., Cai, T., Tian, L. and Wei, L. J. (2007). Evaluating prediction rules for t-year survivors with "
    "censored regression models. Journal of the American Statistical Association 102: 527-537.",
    "Van Calster, B., Nieboer, D., Vergouwe, Y., De Cock, B., Pencina, M. J. and Steyerberg, E. W. (2016). A "
    "calibration hierarchy for risk models was defined: from utopia to empirical data. Journal of Clinical "
    "Epidemiology 74: 167-176.",
    "Vickers, A. J. and Elkin, E. B. (2006). Decision curve analysis: a novel method for evaluating prediction "
    "models. Medical Decision Making 26: 565-574.",
    "Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. Journal of the "
    "American Statistical Association 22: 209-212.",
)
