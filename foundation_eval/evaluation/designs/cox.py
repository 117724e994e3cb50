"""Cox model with time-varying exposure (listing) and its translation to a risk difference.

Part of [`foundation_eval.evaluation.designs`][foundation_eval.evaluation.designs]; import from there.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.data.load import Dataset
from foundation_eval.evaluation.designs._common import display_fields, maryland_fields, period_ordinal
from foundation_eval.frames.outcomes import da_offences_of, person_month_counts
from foundation_eval.frames.washout import first_eligible
from foundation_eval.impact import (
    EvalEstimate,
)
from foundation_eval.stats import t_value

__all__ = [
    "listed_window_risk",
    "cox_implied_risk_difference",
    "cox_frame",
    "cox_listed_live",
]


def cox_frame(ds: Dataset, exposure: str = "ever_listed", collapse: bool = False) -> pd.DataFrame:
    """Start/stop person-months of eligible people from first eligibility to first DA reoffence.

    The counting-process layout of a Cox model with time-varying exposure (Andersen & Gill 1982,
    *Ann Stat* 10:1100-1120): one row per person and calendar month from the first eligible month to the
    first DA offence after it, the person's exit or the extract date, whichever comes first.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    exposure : {"ever_listed", "on_list"}
        `"ever_listed"`: exposed from the month first listed (listing only happens while the district
        is live) to the end of follow-up; `"on_list"`: exposed only in months on the list.
    collapse : bool
        Merge person-months without an event that share district, month, interval and exposure into
        one row with their number in `n` (and a `person_id` naming the group; `people` and
        `people_outside_lockdown` count the people whose follow-up, or whose follow-up outside
        lockdown months, starts on the rows).
        [`cox_time_varying`][foundation_eval.models.reoffending.cox_time_varying] with `counts="n"`
        fits them exactly as the uncollapsed rows. The panel is then built a block of districts at a
        time, so a national extract (about 20 million person-months, 1.1 million rows collapsed)
        never holds in memory at once.

    Returns
    -------
    DataFrame
        `person_id, district_id, month, start, stop` (days since the first eligible month began),
        `event` (1 in the interval holding the first DA reoffence), `exposed` (0 or 1), `cal_q`
        (calendar quarter, e.g. `"2021Q3"`) and `lockdown` (1 in lockdown months); with `collapse`
        also `n, people, people_outside_lockdown`.

    Raises
    ------
    ValueError
        When `exposure` is neither `"ever_listed"` nor `"on_list"`.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> fr = cox_frame(open_snapshot().dataset)
    >>> fr.person_id.nunique(), int(fr.event.sum())           # eligible people, first reoffences
    (2573, 1504)
    >>> int(fr.groupby("person_id").event.sum().max())         # at most one event a person
    1
    >>> bool((fr.stop > fr.start).all())
    True
    >>> short = cox_frame(open_snapshot().dataset, collapse=True)
    >>> int(short.n.sum()) == len(fr), int(short.people.sum())   # the same person-months and people
    (True, 2573)
    """
    if exposure not in ("ever_listed", "on_list"):
        raise ValueError("exposure must be 'ever_listed' or 'on_list'")
    f = first_eligible(ds)
    f["index_date"] = f.first_eligible.dt.start_time
    ex = ds.exits.set_index("person_id").exit_date
    extract = pd.Timestamp(ds.extract_date)
    exit_date = f.person_id.map(ex)
    f["end_date"] = exit_date.where(exit_date.notna() & (exit_date < extract), extract)
    who, when, _ = da_offences_of(ds, f.person_id, f.index_date, f.end_date)
    first = pd.Series(when).groupby(who).min()
    f["event_date"] = first.reindex(np.arange(len(f))).to_numpy()
    f["stop_date"] = f.event_date.fillna(f.end_date)
    on = None
    if exposure == "on_list":
        scr = ds.screening
        on = scr[scr.listed.astype(bool)][["person_id", "month"]].assign(exposed=1)
    lockdown = {pd.Period(m, "M").ordinal for m in ds.programme.lockdown_months}
    if not collapse:
        return _cox_rows(f, on, lockdown)
    months = (period_ordinal(f.stop_date.dt.to_period("M")) - period_ordinal(f.first_eligible) + 1).clip(1)
    sizes = pd.Series(months).groupby(f.district_id.to_numpy()).sum()
    block = (sizes.cumsum() // _BLOCK_PERSON_MONTHS).rename("block")
    merged, events = [], []
    for _, districts in block.groupby(block):
        m, e = _collapse_cox_rows(_cox_rows(f[f.district_id.isin(districts.index)], on, lockdown))
        merged.append(m)
        events.append(e)
    # the same rows in the same order whatever the blocks: the merged rows by district (blocks are runs of
    # districts in order) and numbered after, then the events in the people's order
    merged = pd.concat(merged, ignore_index=True)
    merged["person_id"] = "rows:" + merged.district_id.astype(str) + ":" + pd.Series(
        np.arange(len(merged))).astype(str).to_numpy()
    events = pd.concat(events, ignore_index=True)
    events = events.iloc[np.argsort(pd.Index(f.person_id).get_indexer(events.person_id), kind="stable")]
    return pd.concat([merged, events], ignore_index=True)


# person-months expanded at a time when collapsing: each block's rows take about 0.2 kB apiece before
# they are merged, so this bounds the frame's transient (benchmarks/README.md)
_BLOCK_PERSON_MONTHS = 500_000


def _cox_rows(f: pd.DataFrame, on: pd.DataFrame | None, lockdown: set) -> pd.DataFrame:
    """The person-month rows of `cox_frame` for the people of ``f``."""
    m0 = period_ordinal(f.first_eligible)
    n = np.clip(period_ordinal(f.stop_date.dt.to_period("M")) - m0 + 1, 1, None)
    idx = np.repeat(np.arange(len(f)), n)
    k = np.arange(idx.size) - np.repeat(np.cumsum(n) - n, n)
    month = m0[idx] + k
    day = np.datetime64("1970-01-01", "D")
    start_of = (month.astype("datetime64[M]").astype("datetime64[D]") - day).astype(np.int64)
    end_of = ((month + 1).astype("datetime64[M]").astype("datetime64[D]") - day).astype(np.int64)
    index_day = (m0.astype("datetime64[M]").astype("datetime64[D]") - day).astype(np.int64)[idx]
    stop_day = ((f.stop_date.to_numpy().astype("datetime64[D]") - day).astype(np.int64))[idx]
    ev = f.event_date.to_numpy().astype("datetime64[D]")
    has_event = ~np.isnat(ev)[idx]
    event_day = np.where(np.isnat(ev), 0, (ev - day).astype(np.int64))[idx]
    start = np.maximum(start_of, index_day) - index_day
    stop = np.minimum(end_of, stop_day) - index_day
    event = (has_event & (event_day >= start_of) & (event_day < end_of)).astype(int)
    listed = f.first_listed
    listed_from = np.where(listed.isna(), np.iinfo(np.int64).max,
                           listed.array.asi8 if len(f) else np.zeros(0, np.int64))
    if on is None:
        exposed = (month >= listed_from[idx]).astype(int)
    else:
        # the person-months on the list, by (person's row, month) rather than merged on identifiers
        listed_months = person_month_counts(idx, month, pd.Index(f.person_id).get_indexer(on.person_id),
                                            period_ordinal(on.month))
        exposed = (listed_months > 0).astype(int)
    rep = pd.DataFrame({
        "person_id": f.person_id.to_numpy()[idx], "district_id": f.district_id.to_numpy()[idx],
        "month": pd.PeriodIndex.from_ordinals(month, freq="M"),
        "start": start, "stop": stop, "event": event, "exposed": exposed,
    })
    rep = rep[stop > start].reset_index(drop=True)
    q = rep.month.array.asi8
    # labels made once per distinct month, not once per person-month (20 million at national scale)
    months, at = np.unique(q, return_inverse=True)
    labels = np.array([f"{1970 + m // 12}Q{m % 12 // 3 + 1}" for m in months.tolist()], dtype=object)
    rep["cal_q"] = labels[at.reshape(-1)]
    rep["lockdown"] = np.isin(months, list(lockdown)).astype(int)[at.reshape(-1)]
    cols = ["person_id", "district_id", "month", "start", "stop", "event", "exposed", "cal_q", "lockdown"]
    return rep[cols]


def _collapse_cox_rows(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of `_cox_rows` with the event-free ones merged by district, month, interval and exposure
    (column ``n``: how many person-months each row stands for), and the events, one row each."""
    pid = rows.person_id.to_numpy()
    first = np.r_[True, pid[1:] != pid[:-1]]  # rows come person by person, in month order
    outside = rows.lockdown.to_numpy() == 0
    open_pid = pid[outside]
    first_outside = np.zeros(len(rows), dtype=bool)
    first_outside[np.flatnonzero(outside)] = np.r_[True, open_pid[1:] != open_pid[:-1]]
    rows = rows.assign(n=1, people=first.astype(int), people_outside_lockdown=first_outside.astype(int))
    events = rows[rows.event == 1]
    free = rows[rows.event == 0]
    # grouped on whole numbers (district code, month ordinal): the calendar quarter and lockdown flag follow
    # from the month, and the districts' codes keep their names' order
    code, names = pd.factorize(free.district_id, sort=True)
    ints = pd.DataFrame({"d": code, "m": free.month.array.asi8, "start": free.start.to_numpy(),
                         "stop": free.stop.to_numpy(), "exposed": free.exposed.to_numpy(),
                         "n": 1, "people": free.people.to_numpy(),
                         "people_outside_lockdown": free.people_outside_lockdown.to_numpy()})
    sums = ints.groupby(["d", "m", "start", "stop", "exposed"], sort=True).sum().reset_index()
    month_of = free.drop_duplicates("month")
    month_of = month_of.set_index(month_of.month.array.asi8)
    grouped = pd.DataFrame({
        "district_id": names.to_numpy()[sums.d.to_numpy()],
        "month": pd.PeriodIndex.from_ordinals(sums.m.to_numpy(), freq="M"),
        "start": sums.start.to_numpy(), "stop": sums.stop.to_numpy(), "exposed": sums.exposed.to_numpy(),
        "cal_q": month_of.cal_q.reindex(sums.m.to_numpy()).to_numpy(),
        "lockdown": month_of.lockdown.reindex(sums.m.to_numpy()).to_numpy(),
        "n": sums.n.to_numpy(), "people": sums.people.to_numpy(),
        "people_outside_lockdown": sums.people_outside_lockdown.to_numpy()})
    grouped["person_id"] = ""  # named once every block is merged (`cox_frame`)
    grouped["event"] = 0
    cols = ["person_id", "district_id", "month", "start", "stop", "event", "exposed", "cal_q", "lockdown", "n",
            "people", "people_outside_lockdown"]
    return grouped[cols], events[cols]


def cox_listed_live(ds: Dataset, *, exposure: str = "ever_listed", frame: pd.DataFrame | None = None,
                    exclude_lockdown: bool = False, level: float = 0.95, df: int | str = "clusters") -> EvalEstimate:
    r"""Cox model of first DA reoffence with time-varying exposure "listed while the district is live".

    Eligible people are followed from their first eligible month (time since then is the time scale,
    so the high risk just after an incident sits in the baseline hazard); baseline hazards are
    stratified by district; calendar-quarter indicators absorb seasonality, lockdowns and any
    force-wide trend, so the exposure effect is identified from the staggered go-live dates (a
    survival-analysis DiD):

    $$h_i(s) = h_{0,d(i)}(s)\, \exp\bigl(\beta E_i(s) + \gamma_{q(i,s)}\bigr),$$

    with $E_i(s)$ the exposure at time $s$ since first eligibility, $d(i)$ the district and $q(i,s)$ the
    calendar quarter (Cox 1972, *J R Stat Soc B* 34:187-220). The hazard ratio is $e^{\hat\beta}$ with
    interval $\exp(\hat\beta \pm t_{df,1-\alpha/2}\, SE)$. Errors are clustered by district with the
    G/(G-1) factor.

    Small-sample inference follows the one rule of the designs identified by the staggered go-live:
    `df="clusters"` (default) is Student-t on G - 1 degrees of freedom (13 in the shipped programme),
    chosen on the synthetic force's `realistic` scenario (`benchmarks/coverage.py`, table in
    `benchmarks/README.md`); `df="waves"` (go-live waves - 1) is kept for sensitivity. Its Maryland
    level is 3 and does not borrow the district comparison's pre-trend check: exposure is listing, and
    who is listed within a live district is selected
    ([`maryland_level`][foundation_eval.impact.maryland.maryland_level]).

    Scored against `reoffending_hr_programme` (the marginal hazard ratio for listed people). The
    Cox model estimates a hazard ratio conditional on the calendar quarter and district; with
    unmeasured differences in risk between people the two differ slightly.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    exposure : {"ever_listed", "on_list"}
        Exposed from first listing on, or only in months on the list (see
        [`cox_frame`][foundation_eval.evaluation.designs.cox_frame]).
    frame : DataFrame, optional
        A [`cox_frame`][foundation_eval.evaluation.designs.cox_frame] already built (with the same
        `exposure`), collapsed or not; by default the collapsed one, which gives the same fit, built here
        (the evaluation builds the headline's once for it and its lockdown variant).
    exclude_lockdown : bool
        Leave person-months in lockdown months out.
    level : float
        Confidence level of the interval.
    df : {"clusters", "waves"} or int
        Degrees of freedom of the Student-t interval: districts - 1, go-live waves - 1, or a number.

    Returns
    -------
    EvalEstimate
        The hazard ratio (exposed vs not yet exposed) with its interval, `scale="ratio"`, the
        proportional-hazards test among the diagnostics, and `truth_name="reoffending_hr_programme"`
        for `exposure="ever_listed"` with lockdown months kept.

    Raises
    ------
    ValueError
        When the model does not converge or gives no finite estimate, with fewer than two districts, or
        when `df` is not `"waves"`, `"clusters"` or an integer.

    Examples
    --------
    On the synthetic force, whose true hazard ratio is 0.823:

    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> hr = cox_listed_live(open_snapshot().dataset)
    >>> hr.truth_name, round(hr.estimate, 3), round(hr.ci_low, 3), round(hr.ci_high, 3)
    ('reoffending_hr_programme', 0.784, 0.631, 0.973)
    >>> hr.interval_method
    'cluster-robust (district) sandwich x G/(G-1), Student-t with 13 df (districts - 1)'
    """
    from foundation_eval.models.reoffending import cox_time_varying

    # a caller fitting several variants of one frame builds it once and passes it (read only)
    f = cox_frame(ds, exposure, collapse=True) if frame is None else frame
    if exclude_lockdown:
        f = f[f.lockdown == 0]
    collapsed = "n" in f.columns
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = cox_time_varying(f, "person_id", "start", "stop", "event", ["exposed", "cal_q"], cluster="district_id",
                               strata="district_id", level=level, self_selected=False,
                               counts="n" if collapsed else None)
    if collapsed:
        res = replace(res, n=int(f["people_outside_lockdown" if exclude_lockdown else "people"].sum()))
    if not getattr(res, "converged", True):
        raise ValueError("the Cox model did not converge (too few events or a covariate that separates them), so "
                         "its estimate is not published")
    row = res.table().loc["exposed"]
    if not (math.isfinite(row.coef) and math.isfinite(row.se) and row.se > 0):
        raise ValueError("the Cox model gave no finite estimate for exposure")
    G = int(f.district_id.nunique())
    if G < 2:
        raise ValueError("need at least two districts")
    present = set(pd.unique(f.district_id))
    waves = len({d.go_live for d in ds.programme.districts if d.id in present})
    dof = {"waves": max(waves - 1, 1), "clusters": G - 1}.get(df, df) if isinstance(df, str) else int(df)
    if isinstance(dof, str):
        raise ValueError("df must be 'waves', 'clusters' or an integer")
    se = float(row.se) * math.sqrt(G / (G - 1))
    crit = t_value(level, dof)
    hr, lo, hi = math.exp(row.coef), math.exp(row.coef - crit * se), math.exp(row.coef + crit * se)
    try:
        ph = res.ph_test().loc["exposed"]
        ph_txt = f"proportional-hazards test for exposure p = {ph.p:.3f}"
    except Exception:  # noqa: BLE001 - a diagnostic must never stop the report
        ph_txt = "proportional-hazards test not available"
    label = "listed (from first listing on)" if exposure == "ever_listed" else "on the list that month"
    return EvalEstimate(
        name=f"cox_tv_{exposure}", estimate=hr, se=se, ci_low=lo, ci_high=hi, level=level,
        p_value=float(2 * _st.t.sf(abs(row.coef / se), dof)),
        design="Cox model with time-varying exposure, stratified by district, calendar-quarter effects",
        estimand=f"hazard ratio of first DA reoffence, time {label} vs time not yet listed, among eligible people",
        comparison="eligible people's time before their district went live (or before they were listed), in the "
                   "same district and calendar quarter as other districts' live time",
        assumptions=(
            "The hazard ratio is constant over follow-up (proportional hazards).",
            "Given district and calendar quarter, time before listing is a fair comparison for time after: "
            "go-live dates are unrelated to changes in the district's reoffending (as for DiD).",
            "Censoring at exit or the extract date is unrelated to reoffending.",
        ),
        outcome="first DA reoffence", scale="ratio",
        interval_method=f"cluster-robust (district) sandwich x G/(G-1), Student-t with {dof} df "
                        f"({'go-live waves with a comparison' if df == 'waves' else 'districts - 1'})",
        **maryland_fields("cox_staggered"), **display_fields("ratio"),
        population="everyone eligible, followed from first eligibility",
        window="from first eligibility to the first DA reoffence, exit or the extract date",
        unit="hazard ratio",
        diagnostics=(("Data", f"{res.n:,} people, {res.events:,} first reoffences, {G} districts"),
                     ("Proportional hazards", ph_txt)),
        n=int(res.n),
        truth_name="reoffending_hr_programme" if (exposure == "ever_listed" and not exclude_lockdown) else None,
    )


def listed_window_risk(ds: Dataset, window_months: int = 12) -> tuple[int, int]:
    """Listed people with the whole window from first listing observed, and how many reoffended in it.

    The observed risk $S_1$ that
    [`cox_implied_risk_difference`][foundation_eval.evaluation.designs.cox_implied_risk_difference]
    needs, from [`fixed_window`][foundation_eval.frames.outcomes.fixed_window]: people whose window
    closes after the extract date or who exit before it closes are left out.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    window_months : int
        Length of the window from first listing, in months.

    Returns
    -------
    tuple of int
        `(people, reoffenders)`: listed people observed for the whole window, and how many of them had
        a DA offence in it.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> listed_window_risk(open_snapshot().dataset)         # 394 of 907 (43%) reoffended within 12 months
    (907, 394)
    """
    from foundation_eval.frames.cohort import person_frame
    from foundation_eval.frames.outcomes import fixed_window, reoffending_frame

    p = reoffending_frame(ds, person_frame(ds))
    w = fixed_window(p, window_months, ds.extract_date).frame
    w = w[w.listed]
    return int(len(w)), int(w.outcome.sum())


def cox_implied_risk_difference(cox_hr: EvalEstimate, n_listed: int, n_events: int,
                                window_months: int = 12) -> EvalEstimate:
    r"""Risk difference in `window_months` reoffending implied by the Cox hazard ratio.

    Under proportional hazards the survival of listed people without the programme is
    $S_0 = S_1^{1/\theta}$, with $S_1$ the observed share of listed people not reoffending
    within the window (from first listing) and $\theta$ the hazard ratio; the risk difference
    is $S_0 - S_1$ (programme minus none). The interval maps the hazard-ratio interval through
    this monotone function; the sampling error of $S_1$ is negligible beside it.

    Parameters
    ----------
    cox_hr : EvalEstimate
        A hazard ratio with its interval, e.g. from
        [`cox_listed_live`][foundation_eval.evaluation.designs.cox_listed_live].
    n_listed : int
        Listed people observed for the whole window (see
        [`listed_window_risk`][foundation_eval.evaluation.designs.listed_window_risk]).
    n_events : int
        How many of them reoffended within it.
    window_months : int
        Length of the window in months.

    Returns
    -------
    EvalEstimate
        Named `cox_implied_rd_<window_months>m`: the risk difference as a share (`display_scale` 100
        gives percentage points), with the hazard ratio's p-value, level and Maryland level.

    Examples
    --------
    A hazard ratio of 0.8 (0.64 to 1.0) among listed people of whom 40% reoffended:

    >>> hr = EvalEstimate(name="hr", estimate=0.8, se=0.1, ci_low=0.64, ci_high=1.0, level=0.95, p_value=0.05,
    ...                   design="Cox", estimand="hazard ratio", comparison="not yet listed", assumptions=(),
    ...                   sms_level=4)
    >>> rd = cox_implied_risk_difference(hr, n_listed=1000, n_events=400)
    >>> round(rd.estimate, 4), round(0.6 ** (1 / 0.8) - 0.6, 4)      # S1 ** (1 / HR) - S1
    (-0.0719, -0.0719)
    >>> round(rd.ci_low, 4), rd.ci_high                                # a hazard ratio of 1 is no difference
    (-0.1498, 0.0)
    """
    s1 = 1 - n_events / n_listed

    def rd(theta):
        return s1 ** (1 / theta) - s1

    return EvalEstimate(
        name=f"cox_implied_rd_{window_months}m", estimate=rd(cox_hr.estimate), se=float("nan"),
        ci_low=rd(cox_hr.ci_low), ci_high=rd(cox_hr.ci_high), level=cox_hr.level, p_value=cox_hr.p_value,
        design="Cox model with time-varying exposure, translated to the risk scale",
        estimand=f"difference in the risk of DA reoffending within {window_months} months of first listing, listed "
                 "people, programme minus no programme",
        comparison=cox_hr.comparison, assumptions=cox_hr.assumptions + (
            "The hazard ratio applies throughout the window (proportional hazards).",),
        sms_level=cox_hr.sms_level, outcome=f"DA reoffending within {window_months} months (risk)",
        level_flags=cox_hr.level_flags, design_key=cox_hr.design_key, **display_fields("risk"),
        population="listed people", window=f"{window_months} months from first listing", unit="risk (share)",
        interval_method="hazard-ratio interval mapped through S1^(1/HR) - S1",
        diagnostics=(("Listed people", f"{n_listed:,} observed for {window_months} months; "
                      f"{100 * (1 - s1):.0f}% reoffended"),),
        n=n_listed)
