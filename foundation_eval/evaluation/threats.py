r"""Threats to validity a reviewer will ask about, each as a short analysis or a stated limitation.

* **COVID-19 lockdowns** overlapping the pilot's go-live: how many lockdown months fall in the year
  around the first go-live, and the primary analysis with lockdown months left out.
* **Spill-overs** between neighbouring districts: perpetrators and victims move between districts,
  and police teams share staff. With a neighbour table (``[evaluation.neighbours]``) the primary
  district comparison is re-estimated without the comparison district-periods that had a live
  neighbour ([`spillover_did`][foundation_eval.evaluation.threats.spillover_did], in the spirit of
  Butts 2021, "Difference-in-differences estimation with spatial spillovers", arXiv:2105.03737);
  without one it is a stated limitation, with the direction of the bias.
* **Multiplicity**: how many results were examined, and which non-primary results survive a
  Bonferroni correction (Bland & Altman 1995, *BMJ* 310:170); the primary was pre-specified.
* **Regression to the mean at listing**: people are listed just after an offence, so their offending
  falls afterwards whatever is done (Barnett, van der Pols & Dobson 2005, *Int J Epidemiol*
  34:215-220). The analysis measures that fall among people first eligible before any district went
  live (untouched by the programme).

Statements carry values (rates, months, numbers of results), never counts of people.

`Evaluation.threats` in `foundation_eval.evaluation.designs` gathers the four into a
[`Threats`][foundation_eval.evaluation.threats.Threats] for the pilot-versus-rollout report.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Threat", "Threats", "lockdown_threat", "spillover_threat", "spillover_did", "multiplicity_threat",
           "regression_to_mean", "regression_to_mean_threat"]


@dataclass(frozen=True)
class Threat:
    """One threat to validity.

    Attributes
    ----------
    key : str
        `"lockdown"`, `"spillover"`, `"multiplicity"`, `"regression_to_mean"`.
    title : str
        Heading for the report.
    kind : {"analysis", "limitation"}
        "analysis" when the threat was tested on the data, "limitation" when it is only stated.
    template : str
        Plain-English statement with `{name}` fields.
    values : dict
        The numbers of the statement (never counts of people).

    Examples
    --------
    >>> t = Threat("multiplicity", "Primary and exploratory results", "analysis",
    ...            "{n} other results; Bonferroni threshold {threshold}.", {"n": 3, "threshold": 0.05 / 3})
    >>> t.text()
    '3 other results; Bonferroni threshold 0.02.'
    """

    key: str
    title: str
    kind: str
    template: str
    values: dict = field(default_factory=dict)

    def text(self) -> str:
        """The statement with its values filled in.

        Returns
        -------
        str
            `template` formatted with `values`; floats are written to two decimals.
        """
        vals = {k: (f"{v:.2f}" if isinstance(v, float) else v) for k, v in self.values.items()}
        return self.template.format(**vals)


@dataclass(frozen=True)
class Threats:
    """The threats of one evaluation (see the module docstring).

    `threats["lockdown"]` gives the threat with that key (StopIteration when there is none).

    Attributes
    ----------
    items : tuple of Threat
        In report order.

    Examples
    --------
    >>> th = Threats((multiplicity_threat("did_att_da_rate", {}),))
    >>> th["multiplicity"].kind, th.table().columns.tolist()
    ('analysis', ['key', 'title', 'kind', 'statement'])
    """

    items: tuple[Threat, ...]

    def table(self) -> pd.DataFrame:
        """One row per threat, for the report.

        Returns
        -------
        DataFrame
            `key, title, kind, statement` (the statement as text).
        """
        return pd.DataFrame([{"key": t.key, "title": t.title, "kind": t.kind, "statement": t.text()}
                             for t in self.items])

    def __getitem__(self, key: str) -> Threat:
        return next(t for t in self.items if t.key == key)


def lockdown_threat(programme, primary, excluded=None) -> Threat:
    """Lockdown months within six months either side of the first go-live, and the primary analysis without them.

    Counts the programme's `lockdown_months` within six months of the earliest go-live. When there
    are some and the primary re-estimated without them is available, the threat is an analysis that
    sets the two intervals and findings side by side; otherwise a limitation.

    Parameters
    ----------
    programme : Programme
        The programme definition ([`Programme`][foundation_eval.config.Programme]); its districts'
        go-live months and `lockdown_months` are read.
    primary : EvalEstimate
        The primary result (its finding is quoted).
    excluded : EvalEstimate, optional
        The primary design re-estimated with lockdown months left out (or None).

    Returns
    -------
    Threat
        Key `"lockdown"`; values `months`, `first_go_live` and, for an analysis, `low`, `high`
        (in the display unit of `excluded`), `finding` and `primary_finding`.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from foundation_eval.config import load_programme
    >>> primary = SimpleNamespace(estimate=0.015, ci_low=-0.041, ci_high=0.071)
    >>> without = SimpleNamespace(estimate=0.02, ci_low=-0.03, ci_high=0.08)
    >>> t = lockdown_threat(load_programme("hiow"), primary, without)
    >>> t.kind, t.values["months"], t.values["first_go_live"]
    ('analysis', 4, '2021-01')
    >>> t.text().split(": ")[0]
    '4 lockdown months fall within six months of the first go-live (2021-01)'
    """
    from foundation_eval.evaluation.verdict import finding

    first = min(d.go_live for d in programme.districts)
    near = [m for m in programme.lockdown_months if abs((m - first).n) <= 6]
    vals = {"months": len(near), "first_go_live": str(first)}
    if not near:
        return Threat("lockdown", "COVID-19 lockdowns", "limitation",
                      "No lockdown month falls within six months of the first go-live ({first_go_live}).", vals)
    tpl = ("{months} lockdown months fall within six months of the first go-live ({first_go_live}): offending and "
           "its recording changed then in every district.")
    if excluded is not None and getattr(excluded, "estimable", True) and getattr(primary, "estimable", True):
        lo, hi = excluded.displayed()[1:] if hasattr(excluded, "displayed") else (excluded.ci_low, excluded.ci_high)
        vals.update(low=float(lo), high=float(hi), finding=finding(excluded), primary_finding=finding(primary))
        tpl += (" With lockdown months left out the primary analysis gives {low} to {high} ({finding}; with them: "
                "{primary_finding}).")
        return Threat("lockdown", "COVID-19 lockdowns", "analysis", tpl, vals)
    return Threat("lockdown", "COVID-19 lockdowns", "limitation", tpl + " The analysis without them could not be run.",
                  vals)


def spillover_did(panel: pd.DataFrame, neighbours_of, outcome: str = "da_rate", level: float = 0.95, *,
                  min_comparisons: int = 1, weights: str | None = None):
    """The imputation DiD without comparison district-periods that had a live neighbour.

    A not-yet-live district-period is dropped when any neighbour was live in that period, so the
    untreated outcomes are fitted only to districts whose neighbours had not started either; the
    imputation estimator (Borusyak, Jaravel & Spiess 2024, "Revisiting event-study designs: robust and
    efficient estimation", *Review of Economic Studies* 91:3253-3285) is then run on what is left.
    If the programme also changed offending next door, the estimate moves away from the full-panel
    one (Butts 2021, arXiv:2105.03737).

    Parameters
    ----------
    panel : DataFrame
        The district panel: `district_id`, `t` (period number), `first_treated` (period of go-live,
        0 for never) and the `outcome` column; rows with a missing outcome are ignored.
    neighbours_of : callable
        `neighbours_of(district)` gives an iterable of the district's neighbours.
    outcome : str
        Outcome column (default `"da_rate"`).
    level : float
        Confidence level of the interval (0.95 for 95%).
    min_comparisons : int
        As in the primary: live district-periods enter the estimand only in periods with at least this
        many comparison districts.
    weights : str, optional
        Column of step-1 weights, as in the primary (eligible person-months).

    Returns
    -------
    result : ImputationResult
        The staggered DiD on the reduced panel (named `spillover_<outcome>`, no Maryland level).
    dropped : int
        Number of comparison district-periods left out.

    Raises
    ------
    ValueError
        When too little is left to estimate the effect.

    Examples
    --------
    A noise-free panel with an effect of -0.5: dropping B's periods next to live A leaves it unchanged.

    >>> import pandas as pd
    >>> first = {"A": 3, "B": 5, "C": 0, "D": 0}
    >>> base = {"A": 1.0, "B": 2.0, "C": 3.0, "D": 4.0}
    >>> panel = pd.DataFrame([{"district_id": d, "t": t, "first_treated": first[d],
    ...                        "da_rate": base[d] + 0.1 * t - (0.5 if first[d] and t >= first[d] else 0.0)}
    ...                       for d in "ABCD" for t in range(1, 7)])
    >>> neighbours = {"A": ("B",), "B": ("A",), "C": ("D",), "D": ("C",)}
    >>> res, dropped = spillover_did(panel, neighbours.get)
    >>> dropped, round(res.estimate, 3)
    (2, -0.5)
    """
    from foundation_eval.impact import imputation_did

    p = panel[panel[outcome].notna()].copy()
    first = p.groupby("district_id").first_treated.first()
    live_at = {d: (int(g) if g > 0 else None) for d, g in first.items()}
    untreated = (p.first_treated == 0) | (p.t < p.first_treated)

    def exposed(d, t):
        return any(live_at.get(n) is not None and t >= live_at[n] for n in neighbours_of(d))

    drop = untreated & np.array([exposed(d, t) for d, t in zip(p.district_id, p.t, strict=True)])
    q = p[~drop]
    res = imputation_did(q, "district_id", "t", "first_treated", outcome, level=level, name=f"spillover_{outcome}",
                         design="staggered DiD without comparison periods next to a live district", sms_level=None,
                         min_comparisons=min_comparisons, fe_weights=weights)
    return res, int(drop.sum())


def spillover_threat(programme, panel: pd.DataFrame | None = None, primary=None) -> Threat:
    """Spill-overs between districts: an analysis when the programme file lists neighbours, else a limitation.

    With a neighbour table (`[evaluation.neighbours]`), a panel and an estimable primary, the primary is
    re-estimated with [`spillover_did`][foundation_eval.evaluation.threats.spillover_did] and the two
    are set side by side (in the primary's display unit). Otherwise the threat states the direction of
    the possible bias: spill-overs into districts not yet live understate the effect, displacement
    into them overstates it.

    Parameters
    ----------
    programme : Programme
        The programme definition; its `evaluation.neighbours` and districts are read.
    panel : DataFrame, optional
        The district panel of the primary design (see
        [`spillover_did`][foundation_eval.evaluation.threats.spillover_did]).
    primary : EvalEstimate, optional
        The primary result, fitted on `panel`.

    Returns
    -------
    Threat
        Key `"spillover"`; an analysis with values `dropped`, `estimate`, `low`, `high`, `finding`,
        `primary_estimate`, `primary_finding`, or a limitation with `n_waves` and `n_districts` (or the
        reason the analysis failed).

    Examples
    --------
    >>> from foundation_eval.config import load_programme
    >>> t = spillover_threat(load_programme("change-that-lasts"))      # no neighbour table
    >>> t.kind, t.values
    ('limitation', {'n_waves': 3, 'n_districts': 13})
    """
    from foundation_eval.evaluation.verdict import finding

    plan = programme.evaluation
    if plan.neighbours and panel is not None and primary is not None and getattr(primary, "estimable", True):
        try:
            res, dropped = spillover_did(panel, plan.neighbours_of, min_comparisons=plan.min_comparison_districts,
                                          weights="eligible")
        except ValueError as exc:
            return Threat("spillover", "Spill-overs between neighbouring districts", "limitation",
                          "The comparison without districts next to a live one could not be estimated ({reason}).",
                          {"reason": str(exc)})
        k = getattr(primary, "display_scale", 1.0)
        return Threat(
            "spillover", "Spill-overs between neighbouring districts", "analysis",
            "Leaving out the {dropped} comparison district-periods that had a live neighbour, the primary analysis "
            "gives {estimate} ({low} to {high}; {finding}), against {primary_estimate} with them ({primary_finding}). "
            "A large shift would point to spill-overs or displacement into neighbouring districts.",
            {"dropped": dropped, "estimate": k * res.estimate, "low": k * res.ci_low, "high": k * res.ci_high,
             "finding": finding(res), "primary_estimate": k * primary.estimate, "primary_finding": finding(primary)})
    return Threat(
        "spillover", "Spill-overs between neighbouring districts", "limitation",
        "Perpetrators, victims and police staff move between neighbouring districts. If the programme in live "
        "districts also lowered offending in districts not yet live (shared teams, people moving), the comparison "
        "understates its effect; if it displaced offending into them, it overstates it. The programme file has no "
        "table of neighbouring districts, so this was not tested; go-live in {n_waves} waves across {n_districts} "
        "districts limits how much any one neighbour can weigh.",
        {"n_waves": len({d.go_live for d in programme.districts}), "n_districts": len(programme.districts)})


def multiplicity_threat(primary_name: str, results: dict, alpha: float = 0.05) -> Threat:
    r"""How many results were examined and which non-primary ones survive a Bonferroni correction.

    The family is every estimable result except the pre-specified primary; with $k$ of them having a
    finite p-value, a result survives when $p < \alpha / k$ (Bland & Altman 1995, "Multiple
    significance tests: the Bonferroni method", *BMJ* 310:170).

    Parameters
    ----------
    primary_name : str
        Name of the pre-specified primary result (left out of the family).
    results : dict
        Result name to a result with `p_value` (None or NaN when it has none).
    alpha : float
        Family-wise error rate (0.05).

    Returns
    -------
    Threat
        Key `"multiplicity"`, kind "analysis"; values `primary`, `n_results`, `threshold` (text, four
        decimals), `n_survive`, `verb` and `names` (the surviving results).

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> results = {"did_att_da_rate": R(p_value=0.6), "cohort": R(p_value=0.001),
    ...            "cox": R(p_value=0.03), "its": R(p_value=None)}
    >>> t = multiplicity_threat("did_att_da_rate", results)
    >>> t.values["n_results"], t.values["threshold"], t.values["n_survive"]
    (3, '0.0250', 1)
    >>> t.text().split(". ")[-1]
    'With a Bonferroni correction over them (p below 0.0250), 1 remains distinguishable from no effect: cohort.'
    """
    others = {n: r for n, r in results.items() if n != primary_name and getattr(r, "estimable", True)}
    ps = {n: float(r.p_value) for n, r in others.items() if r.p_value is not None and np.isfinite(r.p_value)}
    k = max(len(ps), 1)
    thr = alpha / k
    survive = sorted(n for n, p in ps.items() if p < thr)
    return Threat(
        "multiplicity", "Primary and exploratory results", "analysis",
        "The verdict rests on one pre-specified primary analysis ({primary}). {n_results} other results were "
        "examined; read them as supporting or exploratory. With a Bonferroni correction over them (p below "
        "{threshold}), {n_survive} {verb} distinguishable from no effect{names}.",
        {"primary": primary_name, "n_results": len(others), "threshold": f"{thr:.4f}", "n_survive": len(survive),
         "verb": "remains" if len(survive) == 1 else "remain",
         "names": (": " + ", ".join(survive)) if survive else ""})


def regression_to_mean(ds, months: int = 6) -> dict:
    r"""DA offences per 100 person-months in the `months` before and after first eligibility, among people
    first eligible before any district went live (no one of them was listed then).

    For the $N$ people whose first eligible month $m_0$ satisfies $m_0 + \text{months} \le$ the first
    go-live, rate before $= 100 \times$ (DA offences in the `months` before the start of $m_0$)
    $/ (N \times \text{months})$, and rate after the same over the `months` starting one month
    after $m_0$ (the listing month itself is left out). Exits and the extract date are ignored (the
    windows are short and close long before the extract date for these people). The fall from before
    to after is regression to the mean (Barnett, van der Pols & Dobson 2005, *Int J Epidemiol*
    34:215-220), untouched by the programme.

    Parameters
    ----------
    ds : Dataset
        The extract: its `screening` and `offences` tables and the districts' go-live months are
        read.
    months : int
        Length of each window, in months.

    Returns
    -------
    dict
        `{"before": float, "after": float, "months": int}`, rates per 100 person-months; NaN rates
        when no such people exist.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> r = regression_to_mean(open_snapshot().dataset)
    >>> round(r["before"], 1), round(r["after"], 1), r["months"]
    (17.9, 8.3, 6)
    """
    from foundation_eval.frames.outcomes import da_offences_of
    from foundation_eval.frames.washout import first_eligible

    first_go = min(d.go_live for d in ds.programme.districts)
    el = first_eligible(ds)[["person_id", "first_eligible"]]
    el = el[el.first_eligible + months <= first_go]
    if not len(el):
        return {"before": float("nan"), "after": float("nan"), "months": months}
    who, when, _ = da_offences_of(ds, el.person_id)
    # the windows start and end on the first of a month: compared as month numbers (months since 1970-01)
    start = el.first_eligible.array.asi8[who]
    month = np.asarray(when, dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    before = (month < start) & (month >= start - months)
    after = (month >= start + 1) & (month <= start + months)
    pm = len(el) * months
    return {"before": 100 * float(before.sum()) / pm, "after": 100 * float(after.sum()) / pm, "months": months}


def regression_to_mean_threat(ds, months: int = 6) -> Threat:
    """The fall in offending after first eligibility without the programme, and which designs it affects.

    Quotes [`regression_to_mean`][foundation_eval.evaluation.threats.regression_to_mean] and says that
    the district comparison, the cohort comparison and the Cox model are not biased by it (everyone
    is indexed at first eligibility on both sides), while a before-and-after comparison of listed
    people alone would be.

    Parameters
    ----------
    ds : Dataset
        The extract.
    months : int
        Length of each window, in months.

    Returns
    -------
    Threat
        Key `"regression_to_mean"`: an analysis with values `before`, `after` and `months`, or a
        limitation when no one was first eligible early enough.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> t = regression_to_mean_threat(open_snapshot().dataset)
    >>> t.kind, round(t.values["after"], 2)
    ('analysis', 8.28)
    >>> "from 17.95 per 100 person-months in the 6 months before first eligibility to 8.28" in t.text()
    True
    """
    r = regression_to_mean(ds, months)
    if not np.isfinite(r["before"]):
        return Threat("regression_to_mean", "Regression to the mean at listing", "limitation",
                      "People are listed just after an offence, so their offending falls afterwards whatever is done. "
                      "No one was first eligible early enough before go-live to measure the fall here.", {})
    return Threat(
        "regression_to_mean", "Regression to the mean at listing", "analysis",
        "People are listed just after an offence, so their offending falls afterwards whatever is done: among people "
        "first eligible before any district went live, DA offences went from {before} per 100 person-months in the "
        "{months} months before first eligibility to {after} in the {months} months after. The district comparison, "
        "the cohort comparison and the Cox model index everyone at first eligibility, so the fall is common to both "
        "sides; a before-and-after comparison of listed people alone would mistake it for an effect.",
        {"before": r["before"], "after": r["after"], "months": months})
