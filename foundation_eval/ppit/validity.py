r"""The PPIT validity study's analysis frames and the small statistics its report needs.

Frames, built from a validated [`Dataset`][foundation_eval.data.load.Dataset]:

* [`validation_frame`][foundation_eval.ppit.validity.validation_frame]: one row per listed person with
  a first PPIT rating, their items, assessor, the outcome within a fixed window after the index date,
  the time-to-event columns, the number of DA offences in the two years before the index date and a
  recency-frequency-gravity score ([`rfg_scores`][foundation_eval.ppit.validity.rfg_scores]);
* [`reliability_frame`][foundation_eval.ppit.validity.reliability_frame]: one row per double-scored
  person (first and second rating);
* [`double_scored`][foundation_eval.ppit.validity.double_scored]: the long frame of the registered
  reliability estimate (every rating of people scored both first and second).

Statistics (pure functions of arrays):
[`score_risk_model`][foundation_eval.ppit.validity.score_risk_model] (logistic model of the outcome
on the score, Cox 1958), [`temporal_validation`][foundation_eval.ppit.validity.temporal_validation]
(fit on the earlier half, check on the later; Van Calster et al. 2016),
[`limits_of_agreement`][foundation_eval.ppit.validity.limits_of_agreement] (Bland & Altman 1986) and
[`band_means`][foundation_eval.ppit.validity.band_means].

The outcomes (the ``outcome=`` argument of
[`validation_frame`][foundation_eval.ppit.validity.validation_frame] and
[`outcome_definition`][foundation_eval.ppit.validity.outcome_definition]):

* ``"any_da"``: any police-recorded domestic-abuse (DA) offence after the index date.
* ``"violent_da"``: a DA offence whose offence type has ``severity >= violent_severity`` in the
  programme's offence types (default [`VIOLENT_SEVERITY`][foundation_eval.ppit.validity.VIOLENT_SEVERITY]
  = 4; with the default programme's types: actual bodily harm, non-fatal strangulation, grievous
  bodily harm and sexual assault, i.e. violence with injury and sexual violence). Common assault
  (severity 2) is not counted because the severity scale ranks it with breach of orders; lower the
  cut to include it.
* ``"harm_above"``: the Cambridge Crime Harm Index (Sherman, Neyroud & Neyroud 2016) of DA offences
  after the index date, summed, exceeds ``harm_threshold`` days (default
  [`DEFAULT_HARM_THRESHOLD`][foundation_eval.ppit.validity.DEFAULT_HARM_THRESHOLD] = 365, a year of
  recommended imprisonment). The event date is the date of the offence that takes the running
  total above the threshold.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.frames.cohort import person_frame
from foundation_eval.frames.outcomes import offence_frame
from foundation_eval.stats import z_value

__all__ = [
    "OUTCOMES", "VIOLENT_SEVERITY", "DEFAULT_HARM_THRESHOLD", "LOOKBACK_YEARS", "DAYS_PER_MONTH",
    "OutcomeDefinition", "outcome_definition", "rfg_scores", "validation_frame", "reliability_frame",
    "double_scored", "ScoreRiskModel", "score_risk_model", "TemporalValidation", "temporal_validation",
    "LimitsOfAgreement", "limits_of_agreement", "band_index", "band_means",
]

OUTCOMES = ("any_da", "violent_da", "harm_above")
"""The outcome keys [`validation_frame`][foundation_eval.ppit.validity.validation_frame] accepts."""
VIOLENT_SEVERITY = 4
"""Default lowest offence-type severity counted by the ``violent_da`` outcome."""
DEFAULT_HARM_THRESHOLD = 365.0
"""Default Crime Harm Index days (a year of recommended imprisonment) for the ``harm_above`` outcome."""
LOOKBACK_YEARS = 2
"""Years before the index date over which prior DA offences and the RFG score are counted."""
DAYS_PER_MONTH = 365.25 / 12
"""Average days in a month, to turn follow-up horizons in months into days."""
HORIZONS_MONTHS = (6, 12, 24)

# recency points by days between the most recent prior DA offence and the index date
_RECENCY = ((30, 3), (182, 2))  # at most 30 days: 3; 31-182 days: 2; older, within the lookback: 1


# ------------------------------------------------------------------------------------------ outcomes
@dataclass(frozen=True)
class OutcomeDefinition:
    """Which offences after the index date count as the outcome.

    Attributes
    ----------
    key : str
        One of [`OUTCOMES`][foundation_eval.ppit.validity.OUTCOMES].
    label : str
        Noun phrase for sentences ("a further domestic-abuse offence").
    types : tuple of str or None
        Offence types that qualify (None: every DA offence).
    harm_threshold : float or None
        Crime Harm Index days the running total must exceed (``harm_above`` only).
    violent_severity : int
        The lowest offence-type severity counted as violent or sexual (used by ``violent_da``; recorded
        for every outcome so that a report can state it).

    Examples
    --------
    Built by [`outcome_definition`][foundation_eval.ppit.validity.outcome_definition] from a
    programme's offence types:

    >>> from foundation_eval.config import load_programme
    >>> spec = outcome_definition(load_programme("hiow"), "violent_da")
    >>> spec.types
    ('abh', 'strangulation', 'gbh', 'sexual_assault')
    >>> spec.label
    'a further violent or sexual domestic-abuse offence'
    >>> outcome_definition(load_programme("hiow"), "harm_above", harm_threshold=730).short
    'DA harm above 730 CHI days'
    """

    key: str
    label: str
    types: tuple[str, ...] | None
    harm_threshold: float | None
    violent_severity: int

    @property
    def short(self) -> str:
        """Short name for table headings and figure labels (e.g. ``"any DA offence"``)."""
        if self.key == "harm_above":
            return f"DA harm above {self.harm_threshold:,.0f} CHI days"
        return {"any_da": "any DA offence", "violent_da": "a violent or sexual DA offence"}[self.key]


def outcome_definition(programme, outcome: str = "any_da", harm_threshold: float | None = None,
                       violent_severity: int = VIOLENT_SEVERITY) -> OutcomeDefinition:
    """The [`OutcomeDefinition`][foundation_eval.ppit.validity.OutcomeDefinition] of one of
    [`OUTCOMES`][foundation_eval.ppit.validity.OUTCOMES] under a programme's offence types.

    ``"any_da"`` counts every DA offence; ``"violent_da"`` the DA-possible offence types of the
    programme with ``severity >= violent_severity``; ``"harm_above"`` a running total of Crime Harm
    Index days (Sherman, Neyroud & Neyroud 2016, *Policing* 10:171-183) above ``harm_threshold``.
    See the module's description of the outcomes.

    Parameters
    ----------
    programme : Programme
        The programme (from [`load_programme`][foundation_eval.config.load_programme]); its offence
        types decide which count as violent or sexual.
    outcome : str
        One of [`OUTCOMES`][foundation_eval.ppit.validity.OUTCOMES]: ``"any_da"``, ``"violent_da"``
        or ``"harm_above"``.
    harm_threshold : float or None
        Crime Harm Index days the running total must exceed (``"harm_above"`` only; default
        [`DEFAULT_HARM_THRESHOLD`][foundation_eval.ppit.validity.DEFAULT_HARM_THRESHOLD] = 365).
    violent_severity : int
        Lowest severity counted as violent or sexual (default
        [`VIOLENT_SEVERITY`][foundation_eval.ppit.validity.VIOLENT_SEVERITY] = 4).

    Returns
    -------
    OutcomeDefinition
        Its key, a noun phrase for sentences, the qualifying offence types (``None``: every DA
        offence), the harm threshold (``harm_above`` only) and the severity cut.

    Raises
    ------
    ValueError
        When ``outcome`` is not one of the three, when no DA offence type of the programme reaches
        ``violent_severity`` (``violent_da``), or when ``harm_threshold`` is negative or not finite.

    Examples
    --------
    >>> from foundation_eval.config import load_programme
    >>> hiow = load_programme("hiow")
    >>> outcome_definition(hiow).label
    'a further domestic-abuse offence'
    >>> outcome_definition(hiow, "violent_da", violent_severity=6).types   # the two gravest types only
    ('gbh', 'sexual_assault')
    >>> outcome_definition(hiow, "harm_above").harm_threshold
    365.0
    >>> outcome_definition(hiow, "violent_da", violent_severity=7)
    Traceback (most recent call last):
    ...
    ValueError: no DA offence type has severity >= 7 in programme 'hiow'
    """
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
    $[\text{index} - \text{lookback}, \text{index})$:

    * **Recency** R: 3 if the most recent was at most 30 days before the index date, 2 if 31 to
      182 days, 1 if older (within the lookback), 0 if there was none;
    * **Frequency** F: 0, 1, 2 or 3 for 0, 1, 2-3 and 4 or more offences (the bands of the
      cohort's prior-offending table);
    * **Gravity** G: $\lceil 3 s / s_{max} \rceil$ for the highest severity $s$ among
      them, $s_{max}$ the highest severity in the programme's offence types (for a maximum of 6,
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
        Years before the index date in which offences count (default
        [`LOOKBACK_YEARS`][foundation_eval.ppit.validity.LOOKBACK_YEARS] = 2). Offences on or after
        the index date never count.

    Returns
    -------
    DataFrame
        ``person_id, prior_da, days_since_last_da, max_severity, rfg_recency, rfg_frequency,
        rfg_gravity, rfg_score``, one row per person in ``persons`` (in its order);
        ``days_since_last_da`` and ``max_severity`` are missing for people with no DA offence in the
        lookback.

    Examples
    --------
    A hand-checked case (the programme's highest severity is 6): A's latest DA offence was 14 days
    before the index date (R = 3), A has two in the lookback (F = 2; the 2020 one is too old) and
    the worst is ABH, severity 4 (G = $\lceil 3 \cdot 4/6 \rceil$ = 2); B has one harassment 273 days
    before (R = F = G = 1); C has none.

    >>> import pandas as pd
    >>> from foundation_eval.config import load_programme
    >>> persons = pd.DataFrame({"person_id": ["A", "B", "C"],
    ...                         "index_date": pd.to_datetime(["2022-03-01"] * 3)})
    >>> offences = pd.DataFrame({
    ...     "person_id": ["A", "A", "A", "B"],
    ...     "offence_date": pd.to_datetime(["2022-02-15", "2021-10-01", "2020-01-01", "2021-06-01"]),
    ...     "offence_type": ["common_assault", "abh", "gbh", "harassment"],
    ...     "da_flag": [True, True, True, True]})
    >>> rfg = rfg_scores(offences, persons, load_programme("hiow").offence_types)
    >>> rfg[["person_id", "prior_da", "rfg_recency", "rfg_frequency", "rfg_gravity", "rfg_score"]]
      person_id  prior_da  rfg_recency  rfg_frequency  rfg_gravity  rfg_score
    0         A         2            3              2            2          7
    1         B         1            1              1            1          3
    2         C         0            0              0            0          0
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
    [`foundation_eval.frames.cohort`][foundation_eval.frames.cohort]) whose first rating
    (``rating == "first"``, earliest) exists and
    whose index date is at least ``min_followup_months`` before the extract date (default
    ``window_months``), so that everyone could have been followed that long.

    Columns: ``person_id, district_id, index_date, end_date, exit_reason, sex, ethnicity_group,
    age_band, assessor_id, assessment_date, <item ids>, ppit_total, ppit_priority, prior_da_2y``, the
    RFG columns of [`rfg_scores`][foundation_eval.ppit.validity.rfg_scores], then

    * ``window_close``: index date + ``window_months``;
    * ``window_observed``: the whole window is observed (it closes by the extract date and the
      person did not exit before it closed), as in
      [`fixed_window`][foundation_eval.frames.outcomes.fixed_window];
    * ``outcome``: 1 if the outcome event (see
      [`outcome_definition`][foundation_eval.ppit.validity.outcome_definition]) happened after the
      index date and by ``window_close``; missing (``<NA>``) when the window is not observed;
    * ``window_da_count``, ``window_harm_days``: DA offences and their Crime Harm Index days in the
      window (missing when the window is not observed);
    * ``event_date``, ``event`` (1 if the outcome event was observed during follow-up) and
      ``time_days`` (days from the index date to the event, or to the end of follow-up: exit or
      extract date): the time-to-event columns for Harrell's C and time-dependent AUC.

    Binary analyses use the rows with ``window_observed``; dropping people who exit is unbiased
    only if exits are unrelated to the outcome.

    Parameters
    ----------
    ds : Dataset
        A validated extract ([`load_dataset`][foundation_eval.data.load.load_dataset]).
    outcome : str
        One of [`OUTCOMES`][foundation_eval.ppit.validity.OUTCOMES] (see
        [`outcome_definition`][foundation_eval.ppit.validity.outcome_definition]).
    window_months : int
        Length of the fixed outcome window after the index date, in whole months (at least 1).
    min_followup_months : int or None
        Months between the index date and the extract date needed to enter the sample (default:
        ``window_months``; 0 keeps everyone with a first rating).
    harm_threshold : float or None
        Crime Harm Index days for ``outcome="harm_above"`` (default 365).
    violent_severity : int
        Lowest severity counted for ``outcome="violent_da"`` (default 4).
    lookback_years : int
        Years before the index date over which ``prior_da_2y`` and the RFG score are counted.

    Returns
    -------
    DataFrame
        One row per person, sorted by index date then ``person_id``, with the columns above;
        ``outcome`` and ``window_da_count`` are nullable integers (``Int64``), ``time_days`` is in
        days. ``attrs`` records ``outcome``, ``window_months``, ``min_followup_months``,
        ``harm_threshold`` and ``violent_severity``.

    Raises
    ------
    ValueError
        When ``outcome`` is unknown, ``window_months`` is not a positive whole number,
        ``min_followup_months`` is negative, or ``harm_threshold`` is invalid.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> frame = validation_frame(ds, outcome="any_da", window_months=12)
    >>> frame.attrs["outcome"], frame.attrs["window_months"], frame.person_id.is_unique
    ('any_da', 12, True)

    The outcome is known exactly where the whole window is observed, and is 1 only for an event by
    the window's close:

    >>> bool(frame.outcome.isna().eq(~frame.window_observed).all())
    True
    >>> hit = frame[frame.outcome.eq(1).fillna(False)]
    >>> bool((hit.event_date <= hit.window_close).all())
    True

    Violent or sexual DA is a narrower outcome on the same sample:

    >>> violent = validation_frame(ds, outcome="violent_da")
    >>> bool(violent.person_id.equals(frame.person_id))
    True
    >>> int(violent.outcome.sum()) < int(frame.outcome.sum())
    True
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
    # only these people's offences: at national scale a few per cent of the table
    rfg = rfg_scores(ds.read("offences", where={"person_id": p.person_id.to_numpy()}), p, prog.offence_types,
                     lookback_years)
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

    Parameters
    ----------
    ds : Dataset
        A validated extract ([`load_dataset`][foundation_eval.data.load.load_dataset]).

    Returns
    -------
    DataFrame
        One row per person with both a ``"first"`` and a ``"second"`` rating, sorted by
        ``person_id``; ``days_between`` is the second rating's date minus the first's, in days.
        Items and totals are integers, the priority flags booleans.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> pairs = reliability_frame(demo_dataset(seed=1, scale=0.1))
    >>> pairs.columns[:6].tolist()
    ['person_id', 'assessor_first', 'assessor_second', 'date_first', 'date_second', 'days_between']
    >>> pairs.person_id.is_unique, bool((pairs.days_between >= 0).all())
    (True, True)

    Each pair can feed [`limits_of_agreement`][foundation_eval.ppit.validity.limits_of_agreement]:

    >>> loa = limits_of_agreement(pairs.total_first, pairs.total_second)
    >>> loa.n == len(pairs), loa.lower < loa.mean_difference < loa.upper
    (True, True)
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




def double_scored(ppit_assessments: pd.DataFrame) -> pd.DataFrame:
    """Every rating of the people scored both a first and a second time (long format).

    The sample of the registered reliability estimate ``ppit_icc2_total``
    ([`ppit_icc2_total`][foundation_eval.evaluation.estimates.ppit_icc2_total]): rows of people whose ratings
    include both ``"first"`` and ``"second"``; columns ``person_id, rating, total`` (float). Pass it
    to [`icc`][foundation_eval.ppit.icc] with ``target="person_id", rater="rating", score="total"``.
    Unlike [`reliability_frame`][foundation_eval.ppit.validity.reliability_frame] it keeps every
    rating of those people (a person rated a second time twice keeps all three rows).

    Parameters
    ----------
    ppit_assessments : DataFrame
        The ``ppit_assessments`` table (at least ``person_id``, ``rating`` and ``total``).

    Returns
    -------
    DataFrame
        ``person_id, rating, total`` for those people, in the table's order (``total`` as float).

    Examples
    --------
    B was rated only once and is left out; C keeps both second ratings:

    >>> import pandas as pd
    >>> pp = pd.DataFrame({"person_id": ["A", "A", "B", "C", "C", "C"],
    ...                    "rating": ["first", "second", "first", "first", "second", "second"],
    ...                    "total": [10, 12, 9, 5, 6, 7]})
    >>> d = double_scored(pp)
    >>> d.person_id.tolist(), d.total.dtype.name
    (['A', 'A', 'C', 'C', 'C'], 'float64')
    """
    pp = ppit_assessments
    both = pp.groupby("person_id").rating.transform("nunique") == 2
    return pp[both][["person_id", "rating", "total"]].astype({"total": float})


# ------------------------------------------------------------------------------------------ statistics
@dataclass(frozen=True, eq=False)
class ScoreRiskModel:
    r"""Logistic model of a binary outcome on a score: $\mathrm{logit}\,P(Y=1) = \beta_0 + \beta_1 s$.

    Attributes
    ----------
    intercept, slope : float
        $\hat\beta_0$, $\hat\beta_1$ (maximum likelihood).
    slope_se : float
        Standard error of the slope (inverse information).
    odds_ratio, or_ci_low, or_ci_high : float
        $e^{\hat\beta_1}$ with the Wald interval $e^{\hat\beta_1 \pm z\,\mathrm{se}}$:
        the multiplication of the odds of the outcome per score point.
    n, n_events : int
        People in the fit and those among them with the outcome.
    level : float
        Confidence level of the interval (e.g. 0.95).
    predicted : ndarray
        Each person's fitted probability, in the input order, clipped to [1e-6, 1 - 1e-6].

    Examples
    --------
    Fitted by [`score_risk_model`][foundation_eval.ppit.validity.score_risk_model]; ``predict`` gives
    the risk at any score:

    >>> import numpy as np
    >>> scores = np.r_[np.zeros(40), np.ones(60)]
    >>> outcomes = np.r_[np.ones(10), np.zeros(30), np.ones(30), np.zeros(30)]
    >>> model = score_risk_model(scores, outcomes)
    >>> model.predict([0, 1]).round(3).tolist()
    [0.25, 0.5]
    >>> model.n, model.n_events
    (100, 40)
    """

    intercept: float
    slope: float
    slope_se: float
    odds_ratio: float
    or_ci_low: float
    or_ci_high: float
    n: int
    n_events: int
    level: float
    predicted: np.ndarray = field(repr=False)

    def predict(self, scores) -> np.ndarray:
        r"""Predicted probability of the outcome at each score, $1 / (1 + e^{-(\hat\beta_0 + \hat\beta_1 s)})$.

        Parameters
        ----------
        scores : array-like of float
            Scores at which to predict (any shape).

        Returns
        -------
        ndarray
            Probabilities between 0 and 1, the shape of ``scores`` (not clipped).
        """
        s = np.asarray(scores, dtype=float)
        return 1.0 / (1.0 + np.exp(-(self.intercept + self.slope * s)))


def score_risk_model(scores, outcomes, level: float = 0.95) -> ScoreRiskModel:
    r"""Fit the logistic model of the outcome on the score (Cox 1958, *Biometrika* 45:562-565).

    Maximum likelihood fit of $\mathrm{logit}\,P(Y=1 \mid s) = \beta_0 + \beta_1 s$ (a binomial GLM),
    with the Wald interval of the odds ratio per score point $e^{\hat\beta_1}$. ``predicted`` holds
    each person's fitted probability, clipped to [1e-6, 1 - 1e-6] so that it can be fed to
    [`decision_curve`][foundation_eval.ppit.decision_curve] and the calibration functions.

    Parameters
    ----------
    scores : array-like of float
        One score per person (e.g. the PPIT total).
    outcomes : array-like of {0, 1}
        The binary outcome, same length.
    level : float
        Confidence level of the odds-ratio interval (between 0 and 1).

    Returns
    -------
    ScoreRiskModel
        Intercept, slope and its standard error, odds ratio with interval, counts and fitted
        probabilities.

    Raises
    ------
    ValueError
        When the outcome does not take both values, when the inputs are not one-dimensional arrays
        of the same length, or when ``level`` is not between 0 and 1.

    Examples
    --------
    With a binary score the slope is the log odds ratio of the 2-by-2 table and its standard error
    is Woolf's $\sqrt{1/a + 1/b + 1/c + 1/d}$ (Woolf 1955, *Annals of Human Genetics* 19:251-253):
    here 10 of 40 with score 0 and 30 of 60 with score 1 had the outcome, so the odds ratio is
    $(30/30)/(10/30) = 3$ and the standard error $\sqrt{1/10 + 1/30 + 1/30 + 1/30} = 0.447$ (the
    hand-computed check in the tests).

    >>> import numpy as np
    >>> scores = np.r_[np.zeros(40), np.ones(60)]
    >>> outcomes = np.r_[np.ones(10), np.zeros(30), np.ones(30), np.zeros(30)]
    >>> m = score_risk_model(scores, outcomes)
    >>> round(m.odds_ratio, 3), round(m.slope_se, 3), round(m.or_ci_low, 2), round(m.or_ci_high, 2)
    (3.0, 0.447, 1.25, 7.21)
    >>> score_risk_model([1, 2, 3], [0, 0, 0])
    Traceback (most recent call last):
    ...
    ValueError: the outcome must include people with and without it
    """
    import statsmodels.api as sm

    x = np.asarray(scores, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("scores and outcomes must be one-dimensional and of the same length")
    if not (np.any(y == 1) and np.any(y == 0)):
        raise ValueError("the outcome must include people with and without it")
    fit = sm.GLM(y, sm.add_constant(x, has_constant="add"), family=sm.families.Binomial()).fit()
    b0, b1 = (float(v) for v in fit.params)
    se = float(fit.bse[1])
    z = z_value(level)
    p = np.clip(np.asarray(fit.fittedvalues, dtype=float), 1e-6, 1 - 1e-6)
    return ScoreRiskModel(b0, b1, se, math.exp(b1), math.exp(b1 - z * se), math.exp(b1 + z * se), int(x.size),
                          int(y.sum()), float(level), p)


@dataclass(frozen=True, eq=False)
class TemporalValidation:
    """A score-to-risk model fitted on the earlier half of a period and checked on the later half.

    Attributes
    ----------
    cut : Timestamp
        First date of the later (validation) part.
    n_development, n_validation : int
        People in the earlier and the later part.
    development_dates, validation_dates : tuple of Timestamp
        First and last date of each part.
    model : ScoreRiskModel
        Fitted on the earlier part.
    result : foundation_eval.ppit.CalibrationResult
        Calibration-in-the-large, slope and observed/expected ratio in the later part.

    Examples
    --------
    Returned by [`temporal_validation`][foundation_eval.ppit.validity.temporal_validation]; the two
    parts meet at ``cut``:

    >>> import numpy as np
    >>> import pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> scores = rng.integers(0, 21, 400).astype(float)
    >>> dates = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1000, 400), unit="D")
    >>> outcomes = (rng.random(400) < 1 / (1 + np.exp(-(-2 + 0.15 * scores)))).astype(int)
    >>> tv = temporal_validation(scores, outcomes, dates)
    >>> tv.n_development, tv.n_validation, str(tv.cut.date())
    (200, 200, '2022-05-30')
    >>> tv.development_dates[1] < tv.cut <= tv.validation_dates[0]
    True
    """

    cut: pd.Timestamp
    n_development: int
    n_validation: int
    development_dates: tuple
    validation_dates: tuple
    model: ScoreRiskModel
    result: object


def temporal_validation(scores, outcomes, dates, min_count: int = 10, level: float = 0.95) -> TemporalValidation:
    """Temporal validation of the logistic score-to-risk model (Van Calster et al. 2016).

    People are ordered by ``dates`` and split at the date of the middle person: the model of
    [`score_risk_model`][foundation_eval.ppit.validity.score_risk_model] is fitted on those before it and
    its predictions are checked on the rest with
    [`calibration_in_the_large_and_slope`][foundation_eval.ppit.calibration_in_the_large_and_slope]
    (Cox 1958). A model that transports to the later period has calibration intercept near 0 and
    slope near 1 there (Van Calster et al. 2016, *Journal of Clinical Epidemiology* 74:167-176).
    People sharing the cut date all fall in the later part.

    Parameters
    ----------
    scores : array-like of float
        One score per person.
    outcomes : array-like of {0, 1}
        The binary outcome, same length.
    dates : array-like of dates
        Each person's index date (anything ``pandas.to_datetime`` reads).
    min_count : int
        Fewest people with, and without, the outcome that each part must have (at least 2 is
        enforced).
    level : float
        Confidence level of the intervals (between 0 and 1).

    Returns
    -------
    TemporalValidation
        The cut date, the two parts' sizes and date ranges, the model fitted on the earlier part and
        its calibration in the later part.

    Raises
    ------
    ValueError
        When there are fewer than four people, or either part has fewer than ``min_count`` (at
        least 2) people with or without the outcome.

    Examples
    --------
    Outcomes drawn from a model that does not change over time (intercept -2, slope 0.15): the
    later half's calibration slope is close to 1 and its interval covers 1.

    >>> import numpy as np
    >>> import pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> scores = rng.integers(0, 21, 400).astype(float)
    >>> dates = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1000, 400), unit="D")
    >>> outcomes = (rng.random(400) < 1 / (1 + np.exp(-(-2 + 0.15 * scores)))).astype(int)
    >>> tv = temporal_validation(scores, outcomes, dates)
    >>> round(tv.model.slope, 2), round(tv.result.slope, 2)
    (0.19, 1.0)
    >>> bool(tv.result.slope_ci_low <= 1 <= tv.result.slope_ci_high)
    True
    >>> temporal_validation(scores, np.where(dates >= tv.cut, 0, outcomes), dates)
    Traceback (most recent call last):
    ...
    ValueError: the later half has fewer than 10 people with or without the outcome
    """
    from foundation_eval.ppit.calibration import calibration_in_the_large_and_slope

    f = pd.DataFrame({"x": np.asarray(scores, float), "y": np.asarray(outcomes, int),
                      "d": pd.to_datetime(pd.Series(dates).to_numpy())}).sort_values("d", kind="stable")
    f = f.reset_index(drop=True)
    if len(f) < 4:
        raise ValueError("fewer than four people: no temporal split is possible")
    cut = f.d.iloc[len(f) // 2]
    dev, val = f[f.d < cut], f[f.d >= cut]
    need = max(int(min_count), 2)
    for name, part in (("earlier", dev), ("later", val)):
        e = int(part.y.sum())
        if min(e, len(part) - e) < need:
            raise ValueError(f"the {name} half has fewer than {need} people with or without the outcome")
    model = score_risk_model(dev.x, dev.y, level)
    pred = np.clip(model.predict(val.x), 1e-6, 1 - 1e-6)
    res = calibration_in_the_large_and_slope(pred, val.y.to_numpy(), level=level)
    return TemporalValidation(cut, len(dev), len(val), (dev.d.min(), dev.d.max()), (val.d.min(), val.d.max()),
                              model, res)


@dataclass(frozen=True)
class LimitsOfAgreement:
    """Bland-Altman summary of the differences ``second - first``: mean, SD and limits of agreement.

    Attributes
    ----------
    mean_difference : float
        Mean of ``second - first`` (the bias of the second measurement), in score points.
    sd : float
        Standard deviation of the differences (n - 1 denominator).
    lower, upper : float
        Limits of agreement, ``mean_difference -/+ z * sd``: about ``level`` of the differences fall
        between them.
    n : int
        Number of pairs.
    level : float
        Share of differences the limits are meant to cover (e.g. 0.95).

    Examples
    --------
    Returned by [`limits_of_agreement`][foundation_eval.ppit.validity.limits_of_agreement]:

    >>> loa = limits_of_agreement([10, 12, 14, 16], [11, 12, 16, 15])
    >>> loa.n, loa.mean_difference, round(loa.upper - loa.lower, 2)
    (4, 0.5, 5.06)
    """

    mean_difference: float
    sd: float
    lower: float
    upper: float
    n: int
    level: float


def limits_of_agreement(first, second, level: float = 0.95) -> LimitsOfAgreement:
    r"""Limits of agreement of two measurements of the same people (Bland & Altman 1986, *Lancet* 327:307-310).

    With differences $d_i = \text{second}_i - \text{first}_i$, mean $\bar d$ and standard
    deviation $s_d$ (n - 1 denominator), the limits are $\bar d \pm z\,s_d$
    ($z = 1.96$ for 95%). They describe how far apart two ratings of one person can be expected to
    lie; they assume the differences do not depend on the size of the score.

    Parameters
    ----------
    first, second : array-like of float
        The two measurements of each person, same length (e.g. the first and second PPIT totals).
    level : float
        Share of differences the limits should cover (between 0 and 1).

    Returns
    -------
    LimitsOfAgreement
        Mean difference, its SD, the lower and upper limits, the number of pairs and the level.

    Raises
    ------
    ValueError
        When there are fewer than two pairs, the lengths differ, or ``level`` is not between 0 and 1.

    Examples
    --------
    Differences 1, 0, 2, -1: mean 0.5, SD $\sqrt{5/3} = 1.291$, limits $0.5 \pm 1.96 \times 1.291$:

    >>> loa = limits_of_agreement([10, 12, 14, 16], [11, 12, 16, 15])
    >>> round(loa.sd, 3), round(loa.lower, 2), round(loa.upper, 2)
    (1.291, -2.03, 3.03)
    """
    a = np.asarray(first, dtype=float)
    b = np.asarray(second, dtype=float)
    if a.shape != b.shape or a.size < 2:
        raise ValueError("need at least two pairs of measurements of equal length")
    d = b - a
    md, sd = float(d.mean()), float(d.std(ddof=1))
    z = z_value(level)
    return LimitsOfAgreement(md, sd, md - z * sd, md + z * sd, int(d.size), float(level))


def band_index(scores, edges) -> np.ndarray:
    """Index of the band (``edges[i] <= score < edges[i + 1]``) of each score; -1 below the first edge.

    The last band is open above: scores at or beyond the last edge get ``len(edges) - 1``.

    Parameters
    ----------
    scores : array-like of float
        The scores to place.
    edges : array-like of float
        Increasing lower edges of the bands.

    Returns
    -------
    ndarray of int
        One band index per score.

    Examples
    --------
    >>> band_index([0, 1, 2, 5, 6, 9, -1], [0, 2, 6]).tolist()
    [0, 0, 1, 1, 2, 2, -1]
    """
    return np.searchsorted(np.asarray(edges, dtype=float), np.asarray(scores, dtype=float), side="right") - 1


def band_means(values, scores, edges) -> np.ndarray:
    """Mean of ``values`` within each band of ``scores`` (NaN for an empty band).

    Used to average a model's predicted risks within published score bands, so that a curve drawn
    from them (calibration, decision curve) carries no more detail than the bands.

    Parameters
    ----------
    values : array-like of float
        The values to average (e.g. predicted risks), one per score.
    scores : array-like of float
        The scores that place each value in a band (see
        [`band_index`][foundation_eval.ppit.validity.band_index]).
    edges : array-like of float
        Increasing lower edges of the bands; scores below the first edge are ignored.

    Returns
    -------
    ndarray of float
        One mean per band (``len(edges)`` of them).

    Examples
    --------
    >>> band_means([1, 3, 5, 7, 9, 11], [0, 1, 2, 5, 6, 9], [0, 2, 6]).tolist()
    [2.0, 6.0, 10.0]
    >>> band_means([1.0], [0], [0, 5]).tolist()      # nobody scored 5 or more
    [1.0, nan]
    """
    v = np.asarray(values, dtype=float)
    idx = band_index(scores, edges)
    out = np.full(len(edges), np.nan)
    for i in range(len(edges)):
        m = idx == i
        if m.any():
            out[i] = v[m].mean()
    return out
