"""Person-level cohort difference-in-differences: eligible people by when they were first eligible,
compared within district before and after go-live.

Part of [`foundation_eval.evaluation.designs`][foundation_eval.evaluation.designs]; import from there.
"""
from __future__ import annotations

from dataclasses import replace

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
from foundation_eval.frames.washout import first_eligible, lookback_washout
from foundation_eval.impact import (
    ImputationResult,
    imputation_did,
)

__all__ = [
    "cohort_frame",
    "cohort_did",
]


def cohort_frame(ds: Dataset, window_months: int = 12, exclude_lockdown: bool = False,
                 washout_months: int | None = None) -> pd.DataFrame:
    """Eligible people for the person-level cohort DiD, indexed at their first eligible month.

    One row per person who ever met every criterion, in the district where they first did, with their
    DA reoffending in the `window_months` after the start of that month (offences after the index
    date, up to and including the close date). Each person falls in one group: "after go-live" (first
    eligible once the district was live, so listed at once), "before go-live" (the whole window
    closed before go-live), "straddles go-live" (left out of the comparison) or "already eligible at
    the data start" (first seen eligible within `washout_months` of the first month of the data: they
    may have been eligible before, so they are not new cohorts and are left out;
    [`lookback_washout`][foundation_eval.frames.washout.lookback_washout]).

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    window_months : int
        Length of the outcome window in months.
    exclude_lockdown : bool
        Flag people whose index month is a lockdown month `observed=False`, so that they are left out.
    washout_months : int, optional
        Look-back washout after the data start; default the programme's `[evaluation] washout_months`.

    Returns
    -------
    DataFrame
        `person_id, first_eligible, district_id, first_listed, go_live, index_date, close_date, group,
        index_q` (study quarter of the index month, from 1), `go_q` (study quarter of go-live),
        `treated` (group "after go-live"), `observed` (window fully observed: it closes by the extract
        date with no exit before), `da_count` and `harm_days` (DA offences and their Crime Harm Index
        days in the window) and `outcome` (1 if any DA offence in the window).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> f = cohort_frame(open_snapshot().dataset)
    >>> bool(f.person_id.is_unique), len(f)
    (True, 2573)
    >>> f.group.value_counts().to_dict()          # a 12-month washout (the programme's washout_months)
    {'after go-live': 1333, 'already eligible at the data start': 498, 'before go-live': 385, 'straddles go-live': 357}
    >>> int(f.observed.sum())                     # whole 12-month window observed
    1891
    """
    prog = ds.programme
    f = first_eligible(ds)
    wash = lookback_washout(f, ds.screening.month.min(),
                            prog.evaluation.washout_months if washout_months is None else washout_months)
    go = go_live_months(ds)
    f["go_live"] = f.district_id.map(go)
    f["index_date"] = f.first_eligible.dt.start_time
    f["close_date"] = f.index_date + pd.DateOffset(months=int(window_months))
    since_go = months_between(f.go_live, f.first_eligible)  # index month - go-live month
    after = since_go >= 0
    before = since_go + int(window_months) <= 0
    f["group"] = np.where(after, "after go-live", np.where(before, "before go-live", "straddles go-live"))
    f.loc[wash.frame.left_truncated.to_numpy(), "group"] = "already eligible at the data start"
    q0 = prog.study_start.asfreq("Q").ordinal
    f["index_q"] = pd.PeriodIndex(f.first_eligible, freq="M").asfreq("Q").asi8 - q0 + 1
    f["go_q"] = pd.PeriodIndex(f.go_live, freq="M").asfreq("Q").asi8 - q0 + 1
    f["treated"] = f.group.eq("after go-live").to_numpy()
    ex = ds.exits.set_index("person_id").exit_date
    exit_date = f.person_id.map(ex)
    extract = pd.Timestamp(ds.extract_date)
    f["observed"] = (f.close_date <= extract) & (exit_date.isna() | (exit_date >= f.close_date))
    if exclude_lockdown:
        f["observed"] &= ~f.first_eligible.isin(list(prog.lockdown_months))
    who, _, harm = da_offences_of(ds, f.person_id, f.index_date, f.close_date)
    f["da_count"] = np.bincount(who, minlength=len(f)).astype(int)
    f["harm_days"] = np.bincount(who, np.where(np.isnan(harm), 0.0, harm), minlength=len(f))
    f["outcome"] = (f.da_count > 0).astype(int)
    return f


def cohort_did(ds: Dataset, window_months: int = 12, *, adjust: bool = False, frame: pd.DataFrame | None = None,
               outcome: str = "outcome", level: float = 0.95) -> ImputationResult:
    r"""Eligible cohorts before vs after go-live within district: difference in `window_months` reoffending.

    People first eligible once their district was live (all listed at once) are compared with people
    in the same district whose whole window closed before go-live: each district's earlier cohorts
    give the expected risk without the programme (a district effect fitted to them, then averaged
    over the later cohorts with equal weight per person; the imputation estimator of Borusyak,
    Jaravel & Spiess 2024 without period effects):

    $$\hat\tau = \frac{1}{N_A} \sum_{i \in A} \bigl(Y_i - \hat\alpha_{d(i)} - X_i'\hat\gamma\bigr),$$

    with $A$ the people first eligible after go-live, $\hat\alpha_d$ district $d$'s effect fitted to its
    earlier cohorts (their mean outcome when there are no covariates $X$). People whose window
    straddles go-live, people already eligible when the data start (the look-back washout of
    [`cohort_frame`][foundation_eval.evaluation.designs.cohort_frame]) and people whose window is not
    fully observed, are left out. Jackknife over
    districts, Student-t on G - 1 df.

    There is no concurrent comparison group: anything else that changed reoffending between the
    earlier and later cohorts (recording practice, the pandemic) is attributed to the programme, so
    this is Maryland SMS level 2. Calendar effects cannot be separated with district and period
    effects here: a 12-month window must close before go-live, so few comparison people share a
    period with the programme cohorts (on the synthetic force such an estimate had a standard error
    about six times larger). `adjust=True` adds the share of the window in lockdown months and the
    season of the index month to the model of the comparison cohorts.

    Estimand: the risk difference (programme minus none) in `window_months`-month DA reoffending for
    people listed when they first met the criteria; the 12-month version is scored against
    `reoffending_12m_rd_programme` (which averages over all listed people).

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    window_months : int
        Length of the outcome window in months.
    adjust : bool
        Add the share of the window in lockdown months and the season of the index month as
        covariates.
    frame : DataFrame, optional
        A [`cohort_frame`][foundation_eval.evaluation.designs.cohort_frame] already built (with the same
        `window_months`).
    outcome : {"outcome", "da_count", "harm_days"}
        Any DA reoffence in the window (a risk), the number of DA offences, or their Crime Harm Index
        days.
    level : float
        Confidence level of the interval.

    Returns
    -------
    ImputationResult
        The difference (programme minus none) as a share for `outcome="outcome"` (`display_scale` 100
        gives percentage points), with `n_treated` and `n_untreated` people; `truth_name` is
        `reoffending_12m_rd_programme` for the unadjusted 12-month risk.

    Raises
    ------
    ValueError
        When no one first eligible after go-live, or no one whose window closed before go-live, has a
        complete window.

    Examples
    --------
    On the synthetic force, whose true 12-month risk difference is -0.063:

    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ds = open_snapshot().dataset
    >>> res = cohort_did(ds)
    >>> res.truth_name, res.n_treated, res.n_untreated, res.df, res.sms_level
    ('reoffending_12m_rd_programme', 814, 333, 13, 2)
    >>> round(res.estimate, 4), round(res.ci_low, 4), round(res.ci_high, 4)
    (-0.113, -0.2249, -0.0011)
    >>> cohort_did(ds, 60)
    Traceback (most recent call last):
    ...
    ValueError: no people first eligible after go-live with a complete 60-month window
    """
    f = cohort_frame(ds, window_months) if frame is None else frame
    f = f[f.observed & f.group.isin(["before go-live", "after go-live"])].copy()
    n_b, n_a = int((f.group == "before go-live").sum()), int((f.group == "after go-live").sum())
    covs: list[str] = []
    if adjust:
        lock = [pd.Period(m, "M").ordinal for m in ds.programme.lockdown_months]
        start = period_ordinal(f.first_eligible)
        f["lockdown_share"] = sum(np.isin(start + k, lock) for k in range(int(window_months))) / window_months
        moy = start % 12 + 1
        for k in (1, 2, 3):
            f[f"season_q{k + 1}"] = ((moy - 1) // 3 == k).astype(float)
        covs = ["lockdown_share", "season_q2", "season_q3", "season_q4"]
    diag = (("People", f"{n_a:,} first eligible after go-live; {n_b:,} whose {window_months}-month window closed "
             "before go-live"),)
    if n_a == 0 or n_b == 0:
        raise ValueError(f"no people {'first eligible after go-live' if n_a == 0 else 'whose window closed before go-live'}"
                         f" with a complete {window_months}-month window")
    label = {"outcome": f"DA reoffending within {window_months} months (risk)",
             "da_count": f"DA offences within {window_months} months per person",
             "harm_days": f"Crime Harm Index days within {window_months} months per person"}.get(outcome, outcome)
    res = imputation_did(
        f, "district_id", "index_q", "go_q", outcome, treated="treated", covariates=covs, time_effects=False,
        df="clusters", level=level, name=f"cohort_{outcome}_{window_months}m" + ("_adjusted" if adjust else ""),
        outcome_label=label,
        design="eligible cohorts before vs after go-live within district" + (
            " (adjusted for lockdown months and season)" if adjust else ""),
        estimand=f"difference in {label} for people first eligible once their district was live (listed at once), "
                 "programme minus no programme",
        comparison=f"people in the same district whose first {window_months} months ended before go-live",
        assumptions=(
            "Without the programme, later cohorts in a district would have reoffended as often as its earlier "
            "cohorts (nothing else changed over time).",
            "Who meets the criteria did not change at go-live.",
            "People whose window straddles go-live are left out, so partly exposed people do not dilute the "
            "comparison.",
            "Follow-up is complete for everyone included (people who exit before the window closes are left out; "
            "unbiased only if exits are unrelated to reoffending).",
        ),
        sms_level=2, diagnostics=diag,
        truth_name="reoffending_12m_rd_programme" if (window_months == 12 and outcome == "outcome"
                                                      and not adjust) else None,
    )
    if outcome == "outcome":  # a risk: few people can give an interval past what a risk can change by
        lo, hi, cut = risk_interval(res.ci_low, res.ci_high, level)
        res = replace(res, ci_low=lo, ci_high=hi, notes=tuple(res.notes) + cut)
    return replace(res, **maryland_fields("cohort_before_after"), **(display_fields("risk") if outcome == "outcome" else {}),
                   population="people first eligible once their district was live (all listed at once)",
                   window=f"{window_months} months from first eligibility",
                   unit="risk (share)" if outcome == "outcome" else label)
