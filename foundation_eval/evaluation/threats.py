r"""Threats to validity a reviewer will ask about, each as a short analysis or a stated limitation.

* **COVID-19 lockdowns** overlapping the pilot's go-live: how many lockdown months fall in the year
  around the first go-live, and the primary analysis with lockdown months left out.
* **Spill-overs** between neighbouring districts: perpetrators and victims move between districts,
  and police teams share staff. With a neighbour table (``[evaluation.neighbours]``) the primary
  district comparison is re-estimated without the comparison district-periods that had a live
  neighbour (:func:`spillover_did`, in the spirit of Butts 2021, "Difference-in-differences
  estimation with spatial spillovers", arXiv:2105.03737); without one it is a stated limitation,
  with the direction of the bias.
* **Multiplicity**: how many results were examined, and which non-primary results survive a
  Bonferroni correction (Bland & Altman 1995, *BMJ* 310:170); the primary was pre-specified.
* **Regression to the mean at listing**: people are listed just after an offence, so their offending
  falls afterwards whatever is done (Barnett, van der Pols & Dobson 2005, *Int J Epidemiol*
  34:215-220). The analysis measures that fall among people first eligible before any district went
  live (untouched by the programme).

Statements carry values (rates, months, numbers of results), never counts of people.
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
        ``"lockdown"``, ``"spillover"``, ``"multiplicity"``, ``"regression_to_mean"``.
    title : str
    kind : {"analysis", "limitation"}
    template : str
        Plain-English statement with ``{name}`` fields.
    values : dict
        The numbers of the statement.
    """

    key: str
    title: str
    kind: str
    template: str
    values: dict = field(default_factory=dict)

    def text(self) -> str:
        vals = {k: (f"{v:.2f}" if isinstance(v, float) else v) for k, v in self.values.items()}
        return self.template.format(**vals)


@dataclass(frozen=True)
class Threats:
    """The threats of one evaluation (see the module docstring)."""

    items: tuple[Threat, ...]

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"key": t.key, "title": t.title, "kind": t.kind, "statement": t.text()}
                             for t in self.items])

    def __getitem__(self, key: str) -> Threat:
        return next(t for t in self.items if t.key == key)


def lockdown_threat(programme, primary, excluded=None) -> Threat:
    """Lockdown months within six months either side of the first go-live, and the primary analysis without them.

    ``excluded`` is the primary design re-estimated with lockdown months left out (or None).
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


def spillover_did(panel: pd.DataFrame, neighbours_of, outcome: str = "da_rate", level: float = 0.95):
    """The imputation DiD without comparison district-periods that had a live neighbour.

    ``panel`` is the district panel (``district_id, t, first_treated`` and ``outcome``);
    ``neighbours_of(district)`` gives a district's neighbours. A not-yet-live district-period is
    dropped when any neighbour was live in that period, so the untreated outcomes are fitted only to
    districts whose neighbours had not started either. Returns the ImputationResult (or raises
    ValueError when too little is left).
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
                         design="staggered DiD without comparison periods next to a live district", sms_level=None)
    return res, int(drop.sum())


def spillover_threat(programme, panel: pd.DataFrame | None = None, primary=None) -> Threat:
    """Spill-overs between districts: an analysis when the programme file lists neighbours, else a limitation."""
    from foundation_eval.evaluation.verdict import finding

    plan = programme.evaluation
    if plan.neighbours and panel is not None and primary is not None and getattr(primary, "estimable", True):
        try:
            res, dropped = spillover_did(panel, plan.neighbours_of)
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
    """How many results were examined and which non-primary ones survive a Bonferroni correction.

    ``results`` maps names to estimates with ``p_value``; the primary is excluded from the family.
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
    """DA offences per 100 person-months in the ``months`` before and after first eligibility, among people
    first eligible before any district went live (no one of them was listed then).

    Returns ``{"before", "after", "months"}``; NaN when no such people exist. Exits and the extract date
    are ignored (the windows are short and close long before the extract date for these people).
    """
    scr = ds.screening
    el = scr[scr.eligible.astype(bool)].sort_values(["person_id", "month"]).drop_duplicates("person_id")
    first_go = min(d.go_live for d in ds.programme.districts)
    el = el[el.month + months <= first_go][["person_id", "month"]]
    if not len(el):
        return {"before": float("nan"), "after": float("nan"), "months": months}
    off = ds.offences
    da = off[off.da_flag.astype(bool)][["person_id", "offence_date"]].merge(el, on="person_id")
    start = da.month.dt.start_time
    before = (da.offence_date < start) & (da.offence_date >= start - pd.DateOffset(months=months))
    after = (da.offence_date >= start + pd.DateOffset(months=1)) & (
        da.offence_date < start + pd.DateOffset(months=months + 1))
    pm = len(el) * months
    return {"before": 100 * float(before.sum()) / pm, "after": 100 * float(after.sum()) / pm, "months": months}


def regression_to_mean_threat(ds, months: int = 6) -> Threat:
    """The fall in offending after first eligibility without the programme, and which designs it affects."""
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
