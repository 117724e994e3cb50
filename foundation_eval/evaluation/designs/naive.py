"""Naive comparisons that show what the designs protect against.

Part of [`foundation_eval.evaluation.designs`][foundation_eval.evaluation.designs]; import from there.
"""
from __future__ import annotations

import math

from scipy import stats as _st

from foundation_eval.data.load import Dataset
from foundation_eval.evaluation.designs._common import OUTCOME_LABELS, display_fields, maryland_fields
from foundation_eval.frames.panel import district_period_panel
from foundation_eval.impact import (
    EvalEstimate,
)
from foundation_eval.stats import newcombe_difference, z_value

__all__ = [
    "naive_comparisons",
]


def naive_comparisons(ds: Dataset, window_months: int = 12, level: float = 0.95) -> list[EvalEstimate]:
    r"""Comparisons a descriptive evaluation might make, with the bias each carries.

    1. Listed people vs eligible people never listed (risk difference, SMS 1): the never-listed were
        eligible only before go-live, at a different point in their offending, in a different period.
    2. Listed people who engaged within the engagement window vs those who did not (SMS 1): people
        choose to engage and lower-risk people engage more; in the synthetic force engagement has no
        effect of its own, so the truth is zero.
    3. Before vs after go-live in the pilot districts, DA offences per eligible person-month (SMS 2):
        no comparison for changes over time.

    The risk differences use Newcombe's hybrid score interval (Newcombe 1998, *Stat Med* 17:873-890;
    [`newcombe_difference`][foundation_eval.stats.newcombe_difference]) among people whose
    `window_months` window is fully observed; the rate difference $r_a - r_b$ uses the Poisson normal
    interval with $SE = \sqrt{d_a / E_a^2 + d_b / E_b^2}$ ($d$ offences, $E$ eligible person-months).
    A comparison whose groups are empty is left out.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    window_months : int
        Length of the outcome window in months.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    list of EvalEstimate
        `naive_listed_vs_not_<w>m`, `naive_engaged_vs_not_<w>m` (risk differences as shares) and
        `naive_pilot_before_after` (DA offences per eligible person-month), each with its Maryland level.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> [(e.name, round(float(e.estimate), 3), e.sms_level) for e in naive_comparisons(open_snapshot().dataset)]
    [('naive_listed_vs_not_12m', -0.093, 1),
     ('naive_engaged_vs_not_12m', -0.107, 1),
     ('naive_pilot_before_after', 0.013, 2)]

    Engaging has no effect in the synthetic force, so the -0.107 of engaged people is selection.
    """
    from foundation_eval.frames.cohort import person_frame
    from foundation_eval.frames.outcomes import fixed_window, reoffending_frame

    out = []
    p = reoffending_frame(ds, person_frame(ds))
    w = fixed_window(p, window_months, ds.extract_date).frame
    g1, g0 = w[w.listed], w[~w.listed]
    if len(g1) and len(g0):
        d, lo, hi = newcombe_difference(int(g1.outcome.sum()), len(g1), int(g0.outcome.sum()), len(g0), level)
        out.append(EvalEstimate(
            name=f"naive_listed_vs_not_{window_months}m", estimate=d, se=float("nan"), ci_low=lo, ci_high=hi,
            level=level, p_value=float("nan"), design="naive comparison: listed vs never-listed eligible people",
            estimand=f"difference in the risk of DA reoffending within {window_months} months",
            comparison="eligible people never listed (eligible only before go-live)",
            assumptions=("None that hold: the groups differ in period and in the stage of their offending.",),
            outcome=f"DA reoffending within {window_months} months (risk)", **maryland_fields("cross_section"),
            **display_fields("risk"), population="eligible people", window=f"{window_months} months", unit="risk (share)",
            interval_method="Newcombe hybrid score interval", n=len(g1) + len(g0),
            diagnostics=(("Groups", f"{len(g1):,} listed, {len(g0):,} never listed"),)))
    con = ds.contacts
    eng = con[con.outcome == "engaged"][["person_id", "contact_date"]].merge(g1[["person_id", "index_date"]])
    win = ds.programme.engagement_window_days
    ok = (eng.contact_date >= eng.index_date) & ((eng.contact_date - eng.index_date).dt.days <= win)
    engaged = g1.person_id.isin(eng[ok].person_id)
    e1, e0 = g1[engaged], g1[~engaged]
    if len(e1) and len(e0):
        d, lo, hi = newcombe_difference(int(e1.outcome.sum()), len(e1), int(e0.outcome.sum()), len(e0), level)
        out.append(EvalEstimate(
            name=f"naive_engaged_vs_not_{window_months}m", estimate=d, se=float("nan"), ci_low=lo, ci_high=hi,
            level=level, p_value=float("nan"), design="naive comparison: listed people who engaged vs those who did not",
            estimand=f"difference in the risk of DA reoffending within {window_months} months",
            comparison=f"listed people with no engaged contact within {win} days",
            assumptions=("None that hold: people choose to engage, and lower-risk people engage more.",),
            outcome=f"DA reoffending within {window_months} months (risk)", **maryland_fields("self_selected"),
            **display_fields("risk"), population="listed people", window=f"{window_months} months from first listing",
            unit="risk (share)",
            interval_method="Newcombe hybrid score interval", n=len(e1) + len(e0),
            diagnostics=(("Groups", f"{len(e1):,} engaged, {len(e0):,} not engaged"),)))
    pil = [d.id for d in ds.programme.districts if d.pilot]
    if pil:
        panel = district_period_panel(ds, "M")
        sub = panel[panel.district_id.isin(pil)]
        a, b = sub[sub.live], sub[~sub.live]
        ra, rb = a.da_events.sum() / a.eligible.sum(), b.da_events.sum() / b.eligible.sum()
        se = math.sqrt(a.da_events.sum() / a.eligible.sum() ** 2 + b.da_events.sum() / b.eligible.sum() ** 2)
        z = z_value(level)
        out.append(EvalEstimate(
            name="naive_pilot_before_after", estimate=ra - rb, se=se, ci_low=ra - rb - z * se, ci_high=ra - rb + z * se,
            level=level, p_value=float(2 * _st.norm.sf(abs((ra - rb) / se))),
            design="naive before-and-after comparison in the pilot districts",
            estimand="difference in DA offences per eligible person-month, after vs before go-live",
            comparison="the same districts before go-live, with no allowance for change over time",
            assumptions=("Nothing but the programme changed between the two periods.",), **maryland_fields("before_after"),
            **display_fields("da_rate"), population="everyone eligible in the pilot districts", unit=OUTCOME_LABELS["da_rate"],
            outcome=OUTCOME_LABELS["da_rate"], interval_method="Poisson rate difference, normal",
            n=int(len(sub))))
    return out
