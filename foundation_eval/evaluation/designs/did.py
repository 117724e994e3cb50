"""District-panel difference-in-differences: the imputation estimator (the headline), the randomisation
test over go-live dates, Callaway & Sant'Anna with its jackknife and event study, the districts
that serve as comparisons, naive two-way fixed effects and the placebo go-live.

Part of [`foundation_eval.evaluation.designs`][foundation_eval.evaluation.designs]; import from there.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.data.load import Dataset
from foundation_eval.evaluation.designs._common import (
    DISPLAY_UNITS,
    OUTCOME_LABELS,
    PERIOD_NAMES,
    balanced_panel,
    did_panel,
    display_fields,
    maryland_fields,
)
from foundation_eval.impact import (
    EvalEstimate,
    ImputationResult,
    bacon_decomposition,
    imputation_att,
    imputation_did,
    permutation_p_value,
    staggered_did,
    twfe,
)
from foundation_eval.stats import t_value

__all__ = [
    "AnticipationCheck",
    "anticipation_check",
    "did_imputation",
    "did_randomization",
    "did_callaway_santanna",
    "cs_jackknife",
    "cs_event_study",
    "did_twfe",
    "placebo_did",
    "comparison_districts",
]


def did_imputation(ds: Dataset, outcome: str = "da_rate", *, freq: str = "Q", exclude_lockdown: bool = False,
                   panel: pd.DataFrame | None = None, pretrend_p: float | None = None,
                   min_comparisons: int | None = None, per_person_month: bool = False,
                   level: float = 0.95) -> ImputationResult:
    r"""Headline staggered DiD on the district x period panel (imputation estimator, jackknife-t).

    The estimand is the average effect on `outcome` over live district-periods from go-live, equally
    weighted, **in the periods in which at least `min_comparisons` districts were not yet live** (the
    programme file's `[evaluation] min_comparison_districts`, 2 in the shipped programme): a
    counterfactual resting on a single comparison district is that district's noise extrapolated to
    all the others. This is `did_att_da_rate` in `truth.json` for `outcome="da_rate"`, quarterly
    periods, lockdown months kept. The estimator is Borusyak, Jaravel &
    Spiess (2024, *Rev Econ Stud* 91:3253-3285), through
    [`imputation_did`][foundation_eval.impact.imputation_did]: district and period effects are fitted to
    the district-periods before go-live by least squares weighted by eligible person-months (a cell of
    9 person-months is not as informative as one of 70), $Y_{it} = \alpha_i + \beta_t + \varepsilon_{it}$, and

    $$\hat\tau = \frac{1}{|\Omega_1|} \sum_{(i,t) \in \Omega_1} \bigl(Y_{it} - \hat\alpha_i - \hat\beta_t\bigr)$$

    over the live district-periods $\Omega_1$ that can be imputed. The standard error is the
    leave-one-district-out jackknife, $SE^2 = \frac{G-1}{G}\sum_g (\hat\tau_{(g)} - \bar\tau_{(\cdot)})^2$,
    and the interval uses Student-t on G - 1 degrees of freedom, G the number of districts: the one
    small-sample rule of the staggered designs (see the package docstring for the coverage study behind
    it).

    `pretrend_p` (the p-value of a pre-trend test;
    [`Evaluation`][foundation_eval.evaluation.designs.Evaluation] passes the randomisation test of the
    Callaway & Sant'Anna pre-period effects, because the Wald test's covariance is singular with 14
    districts and many pre-periods and it over-rejects) sets the SMS level: 4 when there is no evidence
    against parallel pre-trends, 3 when it rejects
    ([`maryland_level`][foundation_eval.impact.maryland.maryland_level]; when not given the level stays 4
    and the missing check is flagged in `level_flags`).

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    outcome : {"da_rate", "engaged_rate", "referral_rate"}
        Panel column: DA offences, person-months with an engaged contact, or referral starts, each per
        eligible person-month.
    freq : {"Q", "M"}
        Quarterly (default) or monthly periods.
    exclude_lockdown : bool
        Leave the lockdown months out of the panel.
    panel : DataFrame, optional
        A [`did_panel`][foundation_eval.evaluation.designs.did_panel] already built, used as it is (its
        `attrs["freq"]` names the periods); pass the `exclude_lockdown` it was built with, which still
        decides whether the result carries the truth name.
    pretrend_p : float, optional
        p-value of the pre-trend test that sets the Maryland level.
    min_comparisons : int, optional
        Least number of districts not yet live in a period for its live districts to enter the
        estimand; default the programme's `min_comparison_districts`.
    per_person_month : bool
        Weight the cells of the estimand by their eligible person-months: the average effect per
        eligible person-month over the same cells (`did_att_da_rate_pm` in `truth.json`), the quantity
        value for money multiplies by the cells' person-months. Default: equal weight per cell.
    level : float
        Confidence level of the interval.

    Returns
    -------
    ImputationResult
        The estimate in `outcome` units per eligible person-month (`display_scale` 100 turns it into
        per 100 person-months), its jackknife interval, `df`, the relative change against the live
        districts' level before go-live, and `truth_name="did_att_da_rate"` for the primary
        specification.

    Raises
    ------
    ValueError
        When no live district-period can be imputed: none has both its district observed before
        go-live and its period shared with a district not yet live.

    Examples
    --------
    On the synthetic force, whose true effect is -0.0168 DA offences per eligible person-month:

    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ds = open_snapshot().dataset
    >>> res = did_imputation(ds)
    >>> res.truth_name, res.n_clusters, res.df
    ('did_att_da_rate', 14, 13)
    >>> round(res.estimate, 4), round(res.ci_low, 4), round(res.ci_high, 4)
    (0.0034, -0.0364, 0.0432)
    >>> bool(res.ci_low < -0.0168 < res.ci_high)
    True
    >>> res.sms_level, res.level_flags
    (4, ('pre-trend check not run for this result',))
    >>> did_imputation(ds, pretrend_p=0.01).sms_level        # evidence against parallel pre-trends
    3
    """
    p = did_panel(ds, freq, exclude_lockdown) if panel is None else panel
    per = PERIOD_NAMES[p.attrs.get("freq", freq)]
    empty = p[outcome].isna()
    diag = [("Districts", f"{p.district_id.nunique()} districts, {p.t.nunique()} {per}s")]
    if empty.any():
        diag.append(("Empty cells", f"{int(empty.sum())} district-{per}s with nobody eligible are left out"))
        attrs = dict(p.attrs)
        p = p[~empty].reset_index(drop=True)
        p.attrs.update(attrs)
    if pretrend_p is not None and not math.isnan(pretrend_p):
        diag.append(("Pre-trends", f"randomisation test of the Callaway & Sant'Anna pre-period effects, "
                                   f"p = {pretrend_p:.3f}"))
    k = int(ds.programme.evaluation.min_comparison_districts if min_comparisons is None else min_comparisons)
    primary = (outcome == "da_rate" and p.attrs.get("freq", freq) == "Q" and not exclude_lockdown
               and k == ds.programme.evaluation.min_comparison_districts)
    fewer = "one district" if k == 1 else f"{k} districts"
    pm = "_pm" if per_person_month else ""
    res = imputation_did(
        p, "district_id", "t", "first_treated", outcome, level=level, fe_weights="eligible", min_comparisons=k,
        att_weights="eligible" if per_person_month else None,
        name=f"did_imputation_{outcome}{pm}" + ("" if p.attrs.get("freq", freq) == "Q" else f"_{per}ly"),
        outcome_label=OUTCOME_LABELS.get(outcome, outcome),
        design=f"staggered difference-in-differences, district x {per} panel (imputation estimator)",
        estimand=f"average effect on {OUTCOME_LABELS.get(outcome, outcome)} over live district-{per}s from "
                 f"go-live, in {per}s with at least {fewer} not yet live, "
                 + ("weighted by eligible person-months" if per_person_month else "equally weighted"),
        comparison=f"districts not yet live, through district and {per} effects fitted to the {per}s before "
                   "go-live (weighted by eligible person-months)",
        sms_level=3, diagnostics=tuple(diag), truth_name=f"did_att_da_rate{pm}" if primary else None,
    )
    cells = res.cells
    span = (f"{_period_label(p, cells.time.min())} to {_period_label(p, cells.time.max())}"
            if len(cells) else "none")
    return replace(res, **maryland_fields("staggered_did", pre_trend_p=pretrend_p), **display_fields(
        outcome if outcome in DISPLAY_UNITS else "da_rate"),
        population=f"everyone eligible in districts once live, {per}s {span}",
        window=f"{len(cells)} live district-{per}s ({span}) in {per}s with at least {fewer} not yet live to compare "
               f"with; later {per}s rest on fewer comparisons and are outside the estimate",
        unit=OUTCOME_LABELS.get(outcome, outcome))


def _period_label(panel: pd.DataFrame, t: int) -> str:
    """The calendar period of panel index `t` (e.g. "2021Q1")."""
    return str(panel.loc[panel.t == t, "period"].iloc[0])


def did_randomization(ds: Dataset, outcome: str = "da_rate", *, freq: str = "Q", exclude_lockdown: bool = False,
                      panel: pd.DataFrame | None = None, n_perm: int = 499, seed: int = 0):
    r"""Randomisation test of the imputation DiD over go-live dates.

    The districts' go-live periods are re-assigned at random (cohort sizes kept) `n_perm` times and
    the point estimate of [`did_imputation`][foundation_eval.evaluation.designs.did_imputation]
    recomputed; the p-value is the share of re-assignments giving an effect at least as large in
    absolute value, with the correction of Phipson & Smyth (2010, *Stat Appl Genet Mol Biol* 9:39):
    $p = (1 + \#\{b : |\hat\tau_b| \ge |\hat\tau|\}) / (B + 1)$. It tests Fisher's sharp null that the
    programme changed no district's outcome, exactly if go-live order were random; a real rollout
    order is planned, so read it as how unusual the observed effect is among the effects other orders
    would have produced from the same data.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    outcome : str
        Panel column (`"da_rate"` by default).
    freq : {"Q", "M"}
        Quarterly (default) or monthly periods.
    exclude_lockdown : bool
        Leave the lockdown months out of the panel.
    panel : DataFrame, optional
        A [`did_panel`][foundation_eval.evaluation.designs.did_panel] already built.
    n_perm : int
        Random re-assignments of the go-live dates.
    seed : int
        Seed of the re-assignments.

    Returns
    -------
    RandomizationResult
        The observed estimate, the null distribution of the re-assigned estimates (re-assignments
        that leave nothing to impute are skipped), the two-sided p-value and the number of distinct
        assignments (`n_assignments`, the multinomial count of go-live orders).

    Raises
    ------
    ValueError
        When the observed panel has no live district-period that can be imputed.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ri = did_randomization(open_snapshot().dataset, n_perm=99, seed=1)
    >>> round(ri.observed, 4), ri.n_draws, ri.p_value
    (0.0034, 99, 0.79)
    >>> ri.n_assignments          # 14! / (2! 4! 4! 3! 1!) ways to give 14 districts the 5 go-live waves
    12612600
    """
    from foundation_eval.impact import RandomizationResult

    p = did_panel(ds, freq, exclude_lockdown) if panel is None else panel
    p = p[p[outcome].notna()]
    units = p.groupby("district_id").first_treated.first()
    k = ds.programme.evaluation.min_comparison_districts

    def att(q):
        return imputation_att(q, "district_id", "t", "first_treated", outcome, fe_weights="eligible",
                              min_comparisons=k)

    obs = att(p)
    rng = np.random.default_rng(seed)
    null = []
    for _ in range(n_perm):
        perm = pd.Series(rng.permutation(units.to_numpy()), index=units.index)
        q = p.assign(first_treated=p.district_id.map(perm))
        try:
            null.append(att(q))
        except ValueError:
            continue
    null = np.asarray(null)
    return RandomizationResult(observed=float(obs), null_distribution=null,
                               p_value=permutation_p_value(obs, null), exact=False,
                               n_assignments=_n_assignments(units.to_numpy()),
                               description=f"go-live dates re-assigned across {len(units)} districts, imputation DiD")


def _n_assignments(labels) -> int:
    from foundation_eval.impact.inference import n_distinct_permutations

    return int(n_distinct_permutations(labels))


def did_callaway_santanna(ds: Dataset, outcome: str = "da_rate", *, freq: str = "Q", exclude_lockdown: bool = False,
                          control_group: str = "not_yet_treated", panel: pd.DataFrame | None = None,
                          n_boot: int = 999, seed: int = 0):
    r"""Callaway & Sant'Anna (2021) group-time effects on the district panel (event study, pre-trends).

    Callaway & Sant'Anna (2021, *J Econometrics* 225:200-230), through
    [`staggered_did`][foundation_eval.impact.staggered_did] on the
    [`balanced_panel`][foundation_eval.evaluation.designs.balanced_panel]: for go-live cohort $g$ and
    period $t$,
    $ATT(g,t) = E[Y_t - Y_{g-1} \mid G = g] - E[Y_t - Y_{g-1} \mid \text{not live by } t, G \ne g]$
    with not-yet-treated controls (or never-treated ones), aggregated by the result's `aggregate`
    method (`"simple"`, `"group"`, `"calendar"`, `"dynamic"`); its `pretrend_test` checks the
    pre-period effects.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    outcome : str
        Panel column (`"da_rate"` by default).
    freq : {"Q", "M"}
        Quarterly (default) or monthly periods.
    exclude_lockdown : bool
        Leave the lockdown months out of the panel.
    control_group : {"not_yet_treated", "never_treated"}
        The comparison districts.
    panel : DataFrame, optional
        A [`did_panel`][foundation_eval.evaluation.designs.did_panel] already built.
    n_boot : int
        Multiplier-bootstrap draws for simultaneous bands (0 for none).
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    StaggeredDiDResult
        The group-time effects with their aggregations and pre-trend tests.

    Raises
    ------
    ValueError
        When the control group does not exist (e.g. `"never_treated"` when every district goes live
        within the study).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ds = open_snapshot().dataset
    >>> cs = did_callaway_santanna(ds, n_boot=0)
    >>> round(cs.aggregate("simple").estimate, 4)
    0.0274
    >>> did_callaway_santanna(ds, control_group="never_treated", n_boot=0)
    Traceback (most recent call last):
    ...
    ValueError: no never-treated units: use control_group='not_yet_treated'
    """
    p = did_panel(ds, freq, exclude_lockdown) if panel is None else panel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return staggered_did(balanced_panel(p), "district_id", "t", "first_treated", outcome,
                             control_group=control_group, n_boot=n_boot, seed=seed)


def cs_jackknife(panel: pd.DataFrame, outcome: str = "da_rate", control_group: str = "not_yet_treated",
                 level: float = 0.95, *, min_comparisons: int = 1, pretrend_p: float | None = None) -> EvalEstimate:
    r"""Callaway & Sant'Anna simple ATT with the headline's leave-one-district-out jackknife-t interval.

    The "simple" aggregate of the group-time effects (Callaway & Sant'Anna 2021) on the balanced panel,
    over the same cells as the headline (periods with at least `min_comparisons` districts not yet
    live; the cohort-size weights of "simple" weight every live district-period equally), with the same
    inference as [`did_imputation`][foundation_eval.evaluation.designs.did_imputation] and the same
    Maryland level from the same pre-trend check, for a like-for-like comparison of the two estimators:
    $SE^2 = \frac{G-1}{G}\sum_g (\hat\tau_{(g)} - \bar\tau_{(\cdot)})^2$ over the districts left out
    one at a time, and Student-t on districts - 1 (the one small-sample rule). The analytic influence-function interval, too narrow with
    so few districts, is kept among the diagnostics.

    Parameters
    ----------
    panel : DataFrame
        A [`did_panel`][foundation_eval.evaluation.designs.did_panel].
    outcome : str
        Panel column (`"da_rate"` by default).
    control_group : {"not_yet_treated", "never_treated"}
        The comparison districts.
    level : float
        Confidence level of the interval.
    min_comparisons : int
        Least number of districts not yet live in a period for its cells to enter the estimand.
    pretrend_p : float, optional
        p-value of the family's pre-trend check, which sets the Maryland level.

    Returns
    -------
    EvalEstimate
        Named `did_cs_simple_<outcome>`, in the units of `outcome`, with the same estimand as the
        headline DiD.

    Raises
    ------
    ValueError
        When the group-time effects cannot be estimated on the full panel (no comparison group).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> est = cs_jackknife(did_panel(open_snapshot().dataset))
    >>> est.name, round(est.estimate, 4), round(est.ci_low, 4), round(est.ci_high, 4)
    ('did_cs_simple_da_rate', 0.0274, -0.0302, 0.0851)
    >>> est.interval_method
    'leave-one-district-out jackknife SE, Student-t with 13 df'
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        panel = balanced_panel(panel)
    go = panel.groupby("district_id").first_treated.first()
    periods = np.sort(panel.t.unique())
    waiting = np.array([int(((go == 0) | (go > t)).sum()) for t in periods])
    max_time = int(periods[waiting >= max(int(min_comparisons), 1)].max())

    def est(q):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return staggered_did(q, "district_id", "t", "first_treated", outcome, control_group=control_group,
                                 n_boot=0).aggregate("simple", max_time=max_time)

    full = est(panel)
    vals = []
    for d in panel.district_id.unique():
        try:
            vals.append(est(panel[panel.district_id != d]).estimate)
        except ValueError:
            continue
    v = np.asarray(vals)
    se = float(math.sqrt((v.size - 1) / v.size * np.sum((v - v.mean()) ** 2)))
    dof = max(len(vals) - 1, 1)  # the one small-sample rule: districts (jackknife clusters) - 1
    crit = t_value(level, dof)
    per = PERIOD_NAMES[panel.attrs.get("freq", "Q")]
    return EvalEstimate(
        name=f"did_cs_simple_{outcome}", estimate=full.estimate, se=se, ci_low=full.estimate - crit * se,
        ci_high=full.estimate + crit * se, level=level, p_value=float(2 * _st.t.sf(abs(full.estimate / se), dof)),
        design=f"staggered difference-in-differences, district x {per} panel (Callaway & Sant'Anna 2021)",
        estimand=full.estimand + (f", in {PERIOD_NAMES[panel.attrs.get('freq', 'Q')]}s with at least {int(min_comparisons)} "
                                  "districts not yet live" if int(min_comparisons) > 1 else ""),
        comparison=full.comparison, assumptions=full.assumptions,
        **maryland_fields("staggered_did", pre_trend_p=pretrend_p), **display_fields(outcome if outcome in DISPLAY_UNITS else "da_rate"),
        unit=OUTCOME_LABELS.get(outcome, outcome),
        outcome=OUTCOME_LABELS.get(outcome, outcome),
        interval_method=f"leave-one-district-out jackknife SE, Student-t with {dof} df",
        diagnostics=(("Analytic interval", f"{full.ci_low:.4f} to {full.ci_high:.4f} (influence function, normal; "
                      f"too narrow with {panel.district_id.nunique()} districts)"),), n=len(panel))


def comparison_districts(panel: pd.DataFrame, event_times) -> pd.Series:
    """Distinct districts serving as not-yet-live comparisons at each event time (union over go-live cohorts).

    For cohort `g` at event time `e` the comparison districts are those not live by period
    `g + e` (never live, or going live later), other than cohort `g` itself; the count at `e` is the
    number of distinct districts in the union of these sets over the cohorts whose period `g + e` lies
    in the panel. A point of an event study resting on one or two districts is fragile however narrow
    its interval.

    Parameters
    ----------
    panel : DataFrame
        A district panel with `district_id, t, first_treated` (0 for never live), e.g. a
        [`did_panel`][foundation_eval.evaluation.designs.did_panel].
    event_times : iterable of int
        Periods relative to go-live (0 is the go-live period, negative before).

    Returns
    -------
    Series
        `n_comparison`, indexed by event time.

    Examples
    --------
    District A goes live in period 3, B in period 5, C never:

    >>> import pandas as pd
    >>> panel = pd.DataFrame({"district_id": list("AAAAAABBBBBBCCCCCC"), "t": list(range(1, 7)) * 3,
    ...                       "first_treated": [3] * 6 + [5] * 6 + [0] * 6})
    >>> comparison_districts(panel, [-3, 0, 2]).to_dict()     # at e = 2 only C is not yet live
    {-3: 2, 0: 2, 2: 1}
    """
    first = panel.groupby("district_id").first_treated.first()
    tmin, tmax = int(panel.t.min()), int(panel.t.max())
    out = {}
    for e in event_times:
        ids = set()
        for g in sorted(set(first[first > 0])):
            t = int(g) + int(e)
            if t < tmin or t > tmax:
                continue
            ctrl = first[((first == 0) | (first > t)) & (first != g)].index
            ids |= set(ctrl)
        out[int(e)] = len(ids)
    return pd.Series(out, name="n_comparison")


def cs_event_study(panel: pd.DataFrame, outcome: str = "da_rate", control_group: str = "not_yet_treated",
                   min_event: int = -8, max_event: int | None = None, level: float = 0.95,
                   min_comparison: int = 2) -> pd.DataFrame:
    r"""Callaway & Sant'Anna dynamic (event-study) effects with leave-one-district-out jackknife-t intervals.

    The group-time effects of Callaway & Sant'Anna (2021) averaged by periods since go-live,
    $\theta(e) = \sum_g w_g\, ATT(g, g + e)$ with weights proportional to cohort size, on the balanced
    panel. Each point's standard error is the leave-one-district-out jackknife and its interval uses
    Student-t on districts - 1, as for the headline (the one small-sample rule). Event times before
    `min_event` rest on the last cohorts alone and are dropped. Pre-period effects (`pre`) compare
    consecutive periods before go-live (R `did`'s varying base period): they should scatter around
    zero if trends were parallel.

    Parameters
    ----------
    panel : DataFrame
        A [`did_panel`][foundation_eval.evaluation.designs.did_panel].
    outcome : str
        Panel column (`"da_rate"` by default).
    control_group : {"not_yet_treated", "never_treated"}
        The comparison districts.
    min_event, max_event : int
        First and last event time kept (`max_event=None` keeps all after go-live).
    level : float
        Confidence level of the intervals.
    min_comparison : int
        Points resting on fewer comparison districts than this are marked `few_comparisons` (the
        programme file's `[evaluation] min_comparison_districts`), for a report to grey or leave out.

    Returns
    -------
    DataFrame
        One row per event time: `event_time, att, se` (jackknife), `ci_low, ci_high, pre` (True before
        go-live), `se_analytic` (influence-function SE), `n_comparison` (comparison districts behind
        the point, from [`comparison_districts`][foundation_eval.evaluation.designs.comparison_districts])
        and `few_comparisons`.

    Raises
    ------
    ValueError
        When the group-time effects cannot be estimated on the full panel.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> es = cs_event_study(did_panel(open_snapshot().dataset), min_event=-4, max_event=3)
    >>> es[["event_time", "att", "ci_low", "ci_high", "n_comparison"]].round(3)
       event_time    att  ci_low  ci_high  n_comparison
    0          -4  0.004  -0.068    0.077            14
    1          -3  0.019  -0.039    0.077            14
    2          -2 -0.025  -0.111    0.062            12
    3          -1 -0.017  -0.089    0.055            12
    4           0 -0.003  -0.057    0.051            12
    5           1  0.033  -0.009    0.074            12
    6           2 -0.012  -0.082    0.058             8
    7           3  0.031  -0.033    0.094             8
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        panel = balanced_panel(panel)

    def dyn(q):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = staggered_did(q, "district_id", "t", "first_treated", outcome, control_group=control_group, n_boot=0)
            return res.aggregate("dynamic").table().set_index("event_time")

    full = dyn(panel)
    jk = []
    for d in panel.district_id.unique():
        try:
            jk.append(dyn(panel[panel.district_id != d]).att)
        except ValueError:
            continue
    J = pd.concat(jk, axis=1).reindex(full.index)
    n = J.notna().sum(axis=1)
    se = np.sqrt((n - 1) / n * ((J.sub(J.mean(axis=1), axis=0)) ** 2).sum(axis=1))
    crit = t_value(level, max(int(n.max()) - 1, 1))  # the one small-sample rule: districts - 1
    out = pd.DataFrame({"event_time": full.index, "att": full.att.to_numpy(), "se": se.to_numpy(),
                        "pre": full.pre.to_numpy(), "se_analytic": full.se.to_numpy()})
    out["ci_low"] = out.att - crit * out.se
    out["ci_high"] = out.att + crit * out.se
    keep = out.event_time >= min_event
    if max_event is not None:
        keep &= out.event_time <= max_event
    out["n_comparison"] = out.event_time.map(comparison_districts(panel, out.event_time)).astype(int)
    out["few_comparisons"] = out.n_comparison < int(min_comparison)
    cols = ["event_time", "att", "se", "ci_low", "ci_high", "pre", "se_analytic", "n_comparison", "few_comparisons"]
    return out[keep][cols].reset_index(drop=True)


def did_twfe(ds: Dataset, outcome: str = "da_rate", *, freq: str = "Q", panel: pd.DataFrame | None = None,
             n_boot: int = 1999, seed: int = 0):
    r"""Naive two-way fixed effects and the Goodman-Bacon decomposition on the district panel.

    The regression $Y_{it} = \alpha_i + \lambda_t + \beta D_{it} + \varepsilon_{it}$ with $D_{it}$ = 1
    once district $i$ is live, with cluster-robust and wild cluster bootstrap intervals
    ([`TWFEResult`][foundation_eval.impact.TWFEResult]), beside its decomposition into the 2 x 2 before-and-after
    comparisons between go-live groups, $\hat\beta = \sum_k s_k \hat\beta_k$ (Goodman-Bacon 2021,
    *J Econometrics* 225:254-277; [`bacon_decomposition`][foundation_eval.impact.bacon_decomposition],
    on the balanced panel). Comparisons that use districts already live as the control carry a
    "forbidden" weight: with effects that change over time they bias $\hat\beta$.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    outcome : str
        Panel column (`"da_rate"` by default).
    freq : {"Q", "M"}
        Quarterly (default) or monthly periods.
    panel : DataFrame, optional
        A [`did_panel`][foundation_eval.evaluation.designs.did_panel] already built.
    n_boot : int
        Wild cluster bootstrap draws.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    tuple
        `(TWFEResult, BaconDecomposition, note)` where `note` explains in plain words why the
        number can mislead under staggered adoption, using the decomposition's own weights.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> tw, bacon, note = did_twfe(open_snapshot().dataset, n_boot=99)
    >>> round(tw.estimate, 4), round(bacon.twfe_estimate, 4)     # the decomposition adds up to the regression
    (-0.0037, -0.0037)
    >>> round(bacon.forbidden_weight, 2)                          # weight on already-live comparisons
    0.52
    >>> note.startswith("The two-way fixed-effects regression gives -0.0037.")
    True
    """

    p = did_panel(ds, freq) if panel is None else panel
    res = twfe(p, "district_id", "t", "first_treated", outcome, n_boot=n_boot, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        bacon = bacon_decomposition(balanced_panel(p), "district_id", "t", "first_treated", outcome)
    by = bacon.by_type().set_index("type")
    fw = bacon.forbidden_weight
    note = (f"The two-way fixed-effects regression gives {res.estimate:.4f}. It is a weighted average of "
            f"{len(bacon.table())} simple before-and-after comparisons between go-live groups; {fw:.0%} of the weight "
            "falls on comparisons that use districts already running the programme as the comparison for districts "
            "that start later. If the programme's effect grows or fades with time since go-live, those comparisons "
            "subtract part of the effect, so the regression can understate it or even reverse its sign "
            "(Goodman-Bacon 2021). The staggered difference-in-differences avoids them by comparing only with "
            "districts not yet live.")
    if "later vs earlier (already treated)" in by.index:
        note += (f" Here those comparisons average {by.loc['later vs earlier (already treated)', 'estimate']:.4f}, "
                 f"against {by.drop('later vs earlier (already treated)').estimate.mean():.4f} for the others.")
    return res, bacon, note


def placebo_did(ds: Dataset, shift_months: int = 12, outcome: str = "da_rate", *, freq: str = "Q",
                level: float = 0.95) -> ImputationResult:
    """Placebo test: pretend every district went live `shift_months` early, using pre-programme data only.

    The panel is cut at the first real go-live, so no period is affected by the programme; districts
    whose placebo go-live falls after the cut are "not yet live" throughout. The imputation estimator
    of [`did_imputation`][foundation_eval.evaluation.designs.did_imputation] is then run on the placebo
    dates. An effect clearly different from zero would point to differential trends that the DiD would
    mistake for a programme effect. The interval follows the one small-sample rule (jackknife,
    Student-t on districts - 1).

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    shift_months : int
        How many months earlier the placebo go-live is (a whole number of quarters with `freq="Q"`).
    outcome : str
        Panel column (`"da_rate"` by default).
    freq : {"Q", "M"}
        Quarterly (default) or monthly periods.
    level : float
        Confidence level of the interval.

    Returns
    -------
    ImputationResult
        The placebo effect (zero if trends were parallel) in `outcome` units, with no Maryland level
        (`sms_level=None`, `design_key="placebo"`): it is a check of the design, not an estimate.

    Raises
    ------
    ValueError
        When no placebo go-live falls inside the pre-programme period.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ds = open_snapshot().dataset
    >>> pl = placebo_did(ds)
    >>> pl.name, pl.df, pl.sms_level
    ('placebo_da_rate_12m', 13, None)
    >>> round(pl.estimate, 4), round(pl.ci_low, 4), round(pl.ci_high, 4)     # no placebo effect
    (-0.0171, -0.0763, 0.042)
    >>> placebo_did(ds, shift_months=60)
    Traceback (most recent call last):
    ...
    ValueError: no placebo go-live falls inside the pre-programme period
    """
    p = did_panel(ds, freq)
    first_real = p.loc[p.first_treated > 0, "first_treated"].min()
    shift = int(shift_months) // (3 if freq == "Q" else 1)
    q = p[(p.t < first_real) & p[outcome].notna()].copy()
    fake = q.first_treated - shift
    q["first_treated"] = np.where((fake > 1) & (fake < first_real), fake, 0)
    if not (q.first_treated > 0).any():
        raise ValueError("no placebo go-live falls inside the pre-programme period")
    q.attrs.update(p.attrs)
    per = PERIOD_NAMES[freq]
    res = imputation_did(
        q, "district_id", "t", "first_treated", outcome, level=level, name=f"placebo_{outcome}_{shift_months}m",
        df="clusters", fe_weights="eligible", min_comparisons=ds.programme.evaluation.min_comparison_districts,
        outcome_label=OUTCOME_LABELS.get(outcome, outcome),
        design=f"placebo staggered DiD: go-live moved {shift_months} months earlier, pre-programme {per}s only",
        estimand="placebo effect (zero if trends were parallel)",
        comparison="districts whose placebo go-live had not yet come", sms_level=None)
    return replace(res, design_key="placebo", **display_fields(outcome if outcome in DISPLAY_UNITS else "da_rate"))


@dataclass(frozen=True)
class AnticipationCheck:
    """Did offending change in the period before a district went live? And the primary without that period.

    Built by [`anticipation_check`][foundation_eval.evaluation.designs.anticipation_check].

    Attributes
    ----------
    before : EvalEstimate
        The average imputed effect in the period before go-live (no effect expected without
        anticipation), with the primary's jackknife-t interval; a check, with no Maryland level.
    adjusted : ImputationResult
        The primary re-estimated with the period before each district's go-live left out of the
        comparison (step-1) rows.
    flagged : bool
        True when the interval of `before` excludes no effect.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> chk = anticipation_check(open_snapshot().dataset)
    >>> chk.flagged, chk.before.sms_level, chk.adjusted.name
    (False, None, 'did_imputation_da_rate')
    """

    before: EvalEstimate
    adjusted: ImputationResult
    flagged: bool

    def table(self) -> pd.DataFrame:
        """The check and the adjusted primary, one row each.

        Returns
        -------
        DataFrame
            `analysis, estimate, ci_low, ci_high` in the outcome's units.
        """
        return pd.DataFrame([
            {"analysis": "effect in the period before go-live", "estimate": self.before.estimate,
             "ci_low": self.before.ci_low, "ci_high": self.before.ci_high},
            {"analysis": "primary without the period before go-live", "estimate": self.adjusted.estimate,
             "ci_low": self.adjusted.ci_low, "ci_high": self.adjusted.ci_high}])


def anticipation_check(ds: Dataset, outcome: str = "da_rate", *, freq: str = "Q", panel: pd.DataFrame | None = None,
                       level: float = 0.95) -> AnticipationCheck:
    r"""Anticipation check of the staggered DiD: the period before go-live, tested and then left out.

    No anticipation (one of the design's assumptions) means the period just before a district went
    live is an ordinary untreated period. Two analyses check it (Borusyak, Jaravel & Spiess 2024,
    section 4.4, test pre-trends and anticipation by imputing the periods before go-live from the
    other untreated periods):

    1. every go-live is moved one period earlier and the imputation estimator run as for the primary;
       its effect at the moved go-live, $\hat\tau_{-1}$, the mean of $Y_{it} - \hat Y_{it}(0)$ over the
       districts' last period before go-live, is zero without anticipation (jackknife-t interval);
    2. the primary re-estimated without that period among the comparison rows, so an anticipation
       dip cannot lower the counterfactual.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    outcome : str
        Panel column (`"da_rate"` by default).
    freq : {"Q", "M"}
        Quarterly (default) or monthly periods.
    panel : DataFrame, optional
        A [`did_panel`][foundation_eval.evaluation.designs.did_panel] already built.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    AnticipationCheck
        The effect in the period before go-live, the adjusted primary, and whether the check flags
        anticipation.

    Raises
    ------
    ValueError
        When either model cannot be estimated (e.g. no comparison left in the period before go-live).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> chk = anticipation_check(open_snapshot().dataset)
    >>> chk.table().analysis.tolist()
    ['effect in the period before go-live', 'primary without the period before go-live']
    """
    p = did_panel(ds, freq) if panel is None else panel
    p = p[p[outcome].notna()].reset_index(drop=True)
    k = ds.programme.evaluation.min_comparison_districts
    shifted = p.assign(first_treated=np.where(p.first_treated > 0, p.first_treated - 1, 0))
    res = imputation_did(shifted, "district_id", "t", "first_treated", outcome, level=level, fe_weights="eligible",
                         min_comparisons=k, name=f"anticipation_{outcome}", sms_level=None)
    row = res.dynamic[res.dynamic.event_time == 0]
    if not len(row):
        raise ValueError("no district has a period before go-live with a comparison")
    r = row.iloc[0]
    before = EvalEstimate(
        name=f"anticipation_{outcome}", estimate=float(r.att), se=float(r.se), ci_low=float(r.ci_low),
        ci_high=float(r.ci_high), level=level, p_value=float("nan"),
        design="anticipation check: the period before go-live imputed from the other untreated periods",
        estimand=f"average imputed effect on {OUTCOME_LABELS.get(outcome, outcome)} in each district's last "
                 f"{PERIOD_NAMES[p.attrs.get('freq', freq)]} before go-live (zero without anticipation)",
        comparison="districts not yet live", assumptions=(), sms_level=None, design_key="placebo",
        **display_fields(outcome if outcome in DISPLAY_UNITS else "da_rate"), interval_method=res.interval_method)
    pre = (p.first_treated > 0) & (p.t == p.first_treated - 1)
    q = p[~pre].reset_index(drop=True)
    q.attrs.update(p.attrs)
    adjusted = did_imputation(ds, outcome, freq=freq, panel=q, level=level)
    return AnticipationCheck(before=before, adjusted=adjusted,
                             flagged=bool(before.ci_low > 0 or before.ci_high < 0))
