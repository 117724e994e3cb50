"""Regression discontinuity at the upper age limit and at the PPIT priority threshold.

Part of [`foundation_eval.evaluation.designs`][foundation_eval.evaluation.designs]; import from there.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.evaluation.designs._common import (
    display_fields,
    go_live_months,
    maryland_fields,
    months_between,
    period_ordinal,
    risk_interval,
)
from foundation_eval.frames.outcomes import da_offences_of
from foundation_eval.impact import (
    EvalEstimate,
    density_test,
    regression_discontinuity,
)

__all__ = [
    "rd_age_frame",
    "rd_age",
    "rd_ppit_frame",
    "rd_ppit",
]


def _age_criterion() -> str:
    from foundation_eval import config

    return getattr(config, "AGE_CRITERION", "crit_age")


def _has_age_band(prog) -> bool:
    return getattr(prog, "age_max", None) is not None


def _has_risk_tool(prog) -> bool:
    return bool(getattr(prog, "ppit_items", ()))


def _window_outcome(ds: Dataset, frame: pd.DataFrame, window_months: int) -> pd.DataFrame:
    """Add `close_date, observed, outcome` for windows starting at `index_date`."""
    f = frame.copy()
    f["close_date"] = f.index_date + pd.DateOffset(months=int(window_months))
    ex = ds.exits.set_index("person_id").exit_date
    exit_date = f.person_id.map(ex)
    f["observed"] = (f.close_date <= pd.Timestamp(ds.extract_date)) & (exit_date.isna() | (exit_date >= f.close_date))
    who, _, _ = da_offences_of(ds, f.person_id, f.index_date, f.close_date)
    outcome = np.zeros(len(f), dtype=int)
    outcome[who] = 1
    f["outcome"] = outcome
    return f


def rd_age_frame(ds: Dataset, window_months: int = 12, span_years: int = 6) -> pd.DataFrame:
    """Screens for the age-limit RD: each person's first screen in a live district meeting every other criterion.

    Age is counted in whole months from the birth month to the screen month; the outcome is any DA
    offence in the `window_months` after the start of the screen month. Limited to ages within
    `span_years` of the upper limit, and to windows fully observed (closing by the extract date with no
    exit before).

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    window_months : int
        Length of the outcome window in months.
    span_years : int
        Years either side of the age limit kept.

    Returns
    -------
    DataFrame
        `person_id, district_id, month, listed` (bool), `age_months, index_date, close_date, observed`
        and `outcome` (1 if any DA offence in the window).

    Raises
    ------
    ValueError
        When the programme has no upper age limit.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ds = open_snapshot().dataset
    >>> f = rd_age_frame(ds)
    >>> len(f), int(f.age_months.min()), int(f.age_months.max())
    (628, 300, 442)
    >>> cut = (ds.programme.age_max + 1) * 12            # 372 months: the 31st birthday
    >>> f.groupby(f.age_months >= cut).listed.mean().to_dict()    # sharp: nobody over the limit is listed
    {False: 1.0, True: 0.0}
    """
    prog = ds.programme
    if not _has_age_band(prog):
        raise ValueError("the programme has no upper age limit")
    scr = ds.screening
    age_col = _age_criterion()
    other = [c for c, _ in prog.criteria if c != age_col]
    ok = np.ones(len(scr), dtype=bool)
    for c in other:
        ok &= scr[c].astype(bool).to_numpy()
    # month ordinals: comparing Period objects row by row takes seconds on a national extract
    go = go_live_months(ds).map(lambda p: p.ordinal)
    live = period_ordinal(scr.month) >= scr.district_id.map(go).to_numpy(dtype=np.int64)
    s = scr[ok & live].sort_values(["person_id", "month"]).drop_duplicates("person_id")
    birth = ds.people.set_index("person_id").birth_ym
    f = s[["person_id", "district_id", "month", "listed"]].copy()
    f["age_months"] = months_between(f.person_id.map(birth), f.month)
    f["listed"] = f.listed.astype(bool)
    f["index_date"] = f.month.dt.start_time
    cut = (prog.age_max + 1) * 12
    f = f[(f.age_months >= cut - 12 * span_years) & (f.age_months < cut + 12 * span_years)]
    f = _window_outcome(ds, f, window_months)
    return f[f.observed].reset_index(drop=True)


def _rd(frame, running, cutoff, side, name, estimand, comparison, extra_diag, density_cut, bin_width, level,
        min_mass_points: int = 0, design_key: str = "rd", population: str = ""):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = regression_discontinuity(frame, running, "outcome", cutoff, side=side, level=level)
        if min_mass_points and min(res.n_mass_points_left, res.n_mass_points_right) < min_mass_points:
            # discrete score: widen the window to min_mass_points support points on each side
            caught.clear()
            h = float(min_mass_points) + 0.5
            res = regression_discontinuity(frame, running, "outcome", cutoff, bandwidth=h, side=side, level=level)
            extra_diag = tuple(extra_diag) + (("Discrete score", f"the data-driven bandwidth held fewer than "
                                               f"{min_mass_points} score values on a side; widened to {h:g} points"),)
    dens = density_test(frame[running].to_numpy(dtype=float), density_cut, bin_width=bin_width)
    lo, hi, cut = risk_interval(res.ci_low, res.ci_high, level)  # few people near the cut-off
    notes = tuple(str(w.message) for w in caught) + cut
    diag = (("Bandwidth", f"{res.bandwidth:.1f} either side; {res.n_eff_left} and {res.n_eff_right} observations "
             "inside it"),
            ("Density (McCrary)", dens.summary_sentence()),) + tuple(extra_diag)
    est = EvalEstimate(
        name=name, estimate=res.estimate_bc, se=res.se_robust, ci_low=lo, ci_high=hi, level=level,
        p_value=res.p_value, design="regression discontinuity (sharp, local linear, robust bias-corrected)",
        estimand=estimand, comparison=comparison, assumptions=res.assumptions,
        **maryland_fields(design_key, density_p=dens.p_value), **display_fields("risk"), population=population,
        window=f"{name.rsplit('_', 1)[-1].rstrip('m')} months", unit="risk (share)",
        outcome=res.outcome, interval_method=res.interval_method, notes=notes, diagnostics=diag,
        n=int(res.n_left + res.n_right))
    return res, dens, est


def rd_age(ds: Dataset, window_months: int = 12, level: float = 0.95):
    r"""Regression discontinuity at the upper age limit: the effect of being listed on DA reoffending.

    Running variable: age in months at the person's first screen in a live district meeting the
    other criteria ([`rd_age_frame`][foundation_eval.evaluation.designs.rd_age_frame]); people aged
    above the limit (31 or older for an upper limit of 30) are not listed.
    Estimand: the effect of being listed on DA reoffending within `window_months` of that screen,
    for people at the age limit. Age itself has no jump there, so a jump in reoffending can only come
    through listing. Age cannot be manipulated, so a jump in the density reflects who comes to police
    attention at each age (the synthetic force has fewer people over 30 by design), not sorting.

    The estimate is a sharp local-linear regression discontinuity with the MSE-optimal bandwidth
    and the robust bias-corrected interval of Calonico, Cattaneo & Titiunik (2014, *Econometrica*
    82:2295-2326), through [`regression_discontinuity`][foundation_eval.impact.regression_discontinuity]:
    the jump $\lim_{x \to c^{\pm}} E[Y \mid X = x]$ treated side minus untreated side, and a McCrary
    (2008, *J Econometrics* 142:698-714) density test at the cut-off
    ([`density_test`][foundation_eval.impact.density_test]).

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    window_months : int
        Length of the outcome window in months.
    level : float
        Confidence level of the interval.

    Returns
    -------
    tuple
        `(RDResult, DensityTest, EvalEstimate)`; the estimate, named `rd_age_<window_months>m`, is a
        risk difference (listed minus not listed) as a share.

    Raises
    ------
    ValueError
        When the programme has no upper age limit, or too few screens lie on a side of it.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> rd, dens, est = rd_age(open_snapshot().dataset)
    >>> est.name, round(float(est.estimate), 4), round(float(est.ci_low), 4), round(float(est.ci_high), 4)
    ('rd_age_12m', 0.0302, -0.3232, 0.3836)
    >>> round(float(dens.p_value), 3)         # fewer people over 30 by design, not sorting
    0.006
    """
    prog = ds.programme
    f = rd_age_frame(ds, window_months)
    f["outcome"] = f.outcome.astype(float)
    cut = (prog.age_max + 1) * 12
    left, right = f[f.age_months < cut], f[f.age_months >= cut]
    sharp = (f"{left.listed.mean():.0%} listed below the limit, {right.listed.mean():.0%} above"
             if len(left) and len(right) else "n/a")
    return _rd(f, "age_months", cut, "left", f"rd_age_{window_months}m",
               f"effect of being listed on DA reoffending within {window_months} months, for people at the age limit "
               f"({prog.age_max} years and 11 months vs {prog.age_max + 1} years)",
               "people just over the age limit meeting every other criterion in a live district",
               (("Sharp assignment", sharp),), cut, 1.0, level, design_key="rd",
               population="people at the upper age limit meeting every other criterion in a live district")


def rd_ppit_frame(ds: Dataset, window_months: int = 12) -> pd.DataFrame:
    """Listed people with a first PPIT rating, and their DA reoffending within the window from first listing.

    From [`person_frame`][foundation_eval.frames.cohort.person_frame]: listed people whose first PPIT
    total is known, kept when the whole window is observed (closing by the extract date with no exit
    before).

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    window_months : int
        Length of the outcome window in months.

    Returns
    -------
    DataFrame
        `person_id, district_id, index_date` (first listing), `ppit_total` (float), `close_date,
        observed` and `outcome` (1 if any DA offence in the window).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> f = rd_ppit_frame(open_snapshot().dataset)
    >>> len(f), float(f.ppit_total.min()), float(f.ppit_total.max())
    (827, 0.0, 20.0)
    >>> round(float(f.outcome.mean()), 3)        # 12-month DA reoffending among them
    0.437
    """
    from foundation_eval.frames.cohort import person_frame

    p = person_frame(ds)
    p = p[p.listed & p.ppit_total.notna()][["person_id", "district_id", "index_date", "ppit_total"]].copy()
    p["ppit_total"] = p.ppit_total.astype(float)
    f = _window_outcome(ds, p, window_months)
    return f[f.observed].reset_index(drop=True)


def rd_ppit(ds: Dataset, window_months: int = 12, level: float = 0.95):
    r"""Regression discontinuity at the PPIT priority threshold: the effect of a priority flag on DA reoffending.

    Estimand: the effect of being flagged a priority perpetrator (and managed as one) on DA
    reoffending within `window_months` of listing, for listed people at the threshold (running
    variable: the first PPIT total, from
    [`rd_ppit_frame`][foundation_eval.evaluation.designs.rd_ppit_frame]). The PPIT total takes few
    values, so the local-linear fit extrapolates between mass points and the interval can under-cover
    (Kolesar & Rothe 2018, *Am Econ Rev* 108:2277-2304): read it as descriptive unless the notes are
    empty. When the data-driven bandwidth holds fewer than 5 score values on a side it is widened to
    5.5 points (said among the diagnostics). In the synthetic force the priority flag changes the
    content of risk management plans but not reoffending, so the true jump is zero.

    The estimate is a sharp local-linear regression discontinuity with the MSE-optimal bandwidth
    and the robust bias-corrected interval of Calonico, Cattaneo & Titiunik (2014, *Econometrica*
    82:2295-2326), through [`regression_discontinuity`][foundation_eval.impact.regression_discontinuity]:
    the jump $\lim_{x \to c^{\pm}} E[Y \mid X = x]$ treated side minus untreated side, and a McCrary
    (2008, *J Econometrics* 142:698-714) density test at the cut-off
    ([`density_test`][foundation_eval.impact.density_test]).

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    window_months : int
        Length of the outcome window in months.
    level : float
        Confidence level of the interval.

    Returns
    -------
    tuple
        `(RDResult, DensityTest, EvalEstimate)`; the estimate, named `rd_ppit_<window_months>m`, is a
        risk difference (flagged minus not flagged) as a share.

    Raises
    ------
    ValueError
        When the programme has no risk tool, or too few people lie on a side of the threshold.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> rd, dens, est = rd_ppit(open_snapshot().dataset)
    >>> est.name, round(float(est.estimate), 4), round(float(est.ci_low), 4), round(float(est.ci_high), 4)
    ('rd_ppit_12m', 0.1294, -0.2028, 0.4616)
    >>> round(float(dens.p_value), 3)         # no sign of sorting at the threshold (the true jump is 0)
    0.925
    >>> est.notes[0].startswith("only 5 distinct running-variable values")
    True
    """
    if not _has_risk_tool(ds.programme):
        raise ValueError("the programme has no risk tool")
    thr = ds.programme.ppit_threshold
    f = rd_ppit_frame(ds, window_months)
    f["outcome"] = f.outcome.astype(float)
    return _rd(f, "ppit_total", thr, "right", f"rd_ppit_{window_months}m",
               f"effect of a priority flag on DA reoffending within {window_months} months of listing, for listed "
               f"people at the threshold ({thr})",
               "listed people scoring just below the priority threshold", (), thr, 1.0, level, min_mass_points=5,
               design_key="rd_risk_flag", population="listed people scoring at the priority threshold")
