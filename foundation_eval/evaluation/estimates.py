"""The person-level headline estimates, under their names in the registry.

Each function takes a validated [`Dataset`][foundation_eval.data.load.Dataset], builds its analysis
frame and returns an [`Estimate`][foundation_eval.evaluation.estimates.Estimate] that states its design,
comparison and Maryland Scientific Methods Scale (SMS) level.
[`headline_estimates`][foundation_eval.evaluation.estimates.headline_estimates] runs them all. Where a
stronger design answers the same question (the reoffending estimands), the estimate here carries its
own name as an alternative (`reoffending_*_listed_vs_prelive`);
[`REGISTRY`][foundation_eval.evaluation.registry.REGISTRY] gives the `truth.json` name each one is
scored against.

Designs here are the person-level comparisons of the outcome-model layer: people listed once their
district was live against eligible people whose whole outcome window fell before their district went
live (historical comparison, SMS 2). The staggered-adoption designs of `foundation_eval.impact`
are stronger and are reported beside these.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.frames.cohort import person_frame
from foundation_eval.frames.outcomes import fixed_window, reoffending_frame
from foundation_eval.impact.maryland import DESIGN_LEVELS
from foundation_eval.stats import cluster_jackknife_difference, newcombe_difference, t_value, z_value

__all__ = ["Estimate", "headline_estimates", "not_estimable", "results_json", "engagement_rd_practitioner",
           "referral_start_rd_programme", "reoffending_12m_rd_listed_vs_prelive", "reoffending_hr_listed_vs_prelive",
           "ppit_auc_12m", "ppit_icc2_total", "analysis_frame", "estimators_for"]


@dataclass(frozen=True)
class Estimate:
    """One headline estimate, in the vocabulary of `truth.json`.

    A small immutable record: the value, its interval, the design that produced it and its Maryland
    Scientific Methods Scale level. Differences are proportions (0.05 is 5 percentage points), ratios
    are hazard ratios, and measures (AUC, ICC) are on their own 0-1 scale.

    Attributes
    ----------
    name : str
        Registry name (see [`REGISTRY`][foundation_eval.evaluation.registry.REGISTRY]).
    estimate : float
        Point estimate.
    ci_low, ci_high : float
        Lower and upper limits of the confidence interval (95% unless another level was asked for).
    design : str
        The design in plain words.
    sms_level : int or None
        Maryland Scientific Methods Scale level (1-5); None for measures that are not effects
        (AUC, ICC).
    comparison : str
        Who the programme group is compared with ("" when there is no comparison).
    n : int
        People (or assessments) behind the estimate.
    notes : tuple of str
        Counts and side results in plain words (person-level: for analysts, not for publication).

    Examples
    --------
    >>> e = Estimate("ppit_auc_12m", 0.7016602665, 0.6664501163, 0.7368704168,
    ...              design="Predictive validity", sms_level=None, n=827)
    >>> e.record()["estimate"], e.record()["notes"]
    (0.70166, [])
    >>> e.covers(0.70), e.covers(0.75)
    (True, False)
    """

    name: str
    estimate: float
    ci_low: float
    ci_high: float
    design: str
    sms_level: int | None
    comparison: str = ""
    n: int = 0
    notes: tuple[str, ...] = field(default=())

    def record(self) -> dict:
        """The estimate as a plain dict, as written to `results.json`.

        Returns
        -------
        dict
            Every field; `estimate`, `ci_low` and `ci_high` rounded to 6 decimals (None when not
            finite), `notes` as a list.
        """
        d = asdict(self)
        d["notes"] = list(self.notes)
        for k in ("estimate", "ci_low", "ci_high"):
            d[k] = None if d[k] is None or not np.isfinite(d[k]) else round(float(d[k]), 6)
        return d

    def covers(self, truth: float) -> bool:
        """Whether the interval contains a value (limits included).

        Parameters
        ----------
        truth : float
            The value to test, usually the synthetic generator's true effect from `truth.json`.

        Returns
        -------
        bool
            True when `ci_low <= truth <= ci_high`.
        """
        return bool(self.ci_low <= truth <= self.ci_high)


def analysis_frame(ds: Dataset) -> pd.DataFrame:
    r"""Eligible people with reoffending outcomes and the comparison flags used below.

    One row per eligible person: the person frame of `foundation_eval.frames.cohort` with the
    reoffending outcomes of `foundation_eval.frames.outcomes`, plus three columns used by the
    estimators of this module. Every estimator accepts it as `frame`, so several estimates can share
    one computation.

    Parameters
    ----------
    ds : Dataset
        A validated extract.

    Returns
    -------
    DataFrame
        The person frame with reoffending outcomes (`index_date`, `listed`, `event`, `time_days`,
        ...) and: `programme` (1 when listed, else 0); `pre_live_12m` (never listed and the whole
        12-month window after the index date closed before the district went live: an unexposed
        historical comparison); `log_months_on_screen` ($\log(1 + m)$, $m$ the months from the person's
        first screening to the index month: risk is highest just after an incident). Person-level:
        never publish it.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ds = open_snapshot().dataset                  # the built-in synthetic force
    >>> frame = analysis_frame(ds)
    >>> frame.columns[-3:].tolist()
    ['programme', 'pre_live_12m', 'log_months_on_screen']
    >>> bool((frame.programme == frame.listed).all()), bool((frame.listed & frame.pre_live_12m).any())
    (True, False)
    """
    p = reoffending_frame(ds, person_frame(ds))
    go = pd.Series({d.id: d.go_live.start_time for d in ds.programme.districts})
    window_end = p.index_date + pd.DateOffset(months=12)
    p["programme"] = p.listed.astype(int)
    p["pre_live_12m"] = (~p.listed) & (window_end <= p.district_id.map(go))
    # months since the person first appeared on the screen: risk is highest just after an incident
    first_screen = ds.screening.groupby("person_id").month.min()
    since = (pd.PeriodIndex(p.index_month, freq="M").asi8
             - pd.PeriodIndex(p.person_id.map(first_screen), freq="M").asi8)
    p["log_months_on_screen"] = np.log1p(np.asarray(since, dtype=float))
    return p


def _frame(ds: Dataset, frame: pd.DataFrame | None) -> pd.DataFrame:
    return analysis_frame(ds) if frame is None else frame


def engagement_rd_practitioner(ds: Dataset, frame: pd.DataFrame | None = None, level: float = 0.95) -> Estimate:
    r"""Engagement within the engagement window: practitioners on the team vs police alone.

    Listed people whose first listing came after practitioners joined their district are compared with
    those listed while the police team worked alone. A person is engaged when they have an "engaged"
    contact within the programme's `engagement_window_days` of first listing. The estimate is the
    difference of proportions $\hat d = x_1/n_1 - x_0/n_0$ (with practitioners minus police alone).
    Engagement varies between districts and from quarter to quarter within a district, so people are
    not independent: the interval is the leave-one-district-out jackknife with Student-t on districts - 1
    degrees of freedom ([`cluster_jackknife_difference`][foundation_eval.stats.cluster_jackknife_difference]),
    the project's one small-sample rule (coverage by scenario in `benchmarks/README.md`); Newcombe's
    interval for independent people (Newcombe 1998, *Statistics in Medicine* 17:873-890) is in the
    notes. A before-and-after comparison within districts: Maryland level 2.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    frame : DataFrame, optional
        The output of [`analysis_frame`][foundation_eval.evaluation.estimates.analysis_frame] for `ds`,
        to share it between estimates; computed here when None.
    level : float
        Confidence level of the interval (0.95 for 95%).

    Returns
    -------
    Estimate
        Named `engagement_rd_practitioner`, a difference of proportions (0.10 is 10
        percentage points); the notes give the two counts.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> e = engagement_rd_practitioner(open_snapshot().dataset)
    >>> e.notes[0]
    'engaged within 90 days: 663/1181 with practitioners, 76/263 police alone'
    >>> round(e.estimate, 4) == round(663 / 1181 - 76 / 263, 4), e.sms_level
    (True, 2)
    >>> bool(e.ci_low < e.estimate < e.ci_high), e.notes[1].split(":")[0]
    (True, 'Newcombe interval for independent people')
    """
    p = _frame(ds, frame)
    p = p[p.listed]
    prac = pd.Series({d.id: d.practitioner_from for d in ds.programme.districts})
    with_prac = p.index_month.values >= prac.reindex(p.district_id).values
    con = ds.contacts
    eng = con[con.outcome == "engaged"][["person_id", "contact_date"]].merge(p[["person_id", "index_date"]])
    window = ds.programme.engagement_window_days
    ok = (eng.contact_date >= eng.index_date) & ((eng.contact_date - eng.index_date).dt.days <= window)
    engaged = p.person_id.isin(eng[ok].person_id).to_numpy()
    x1, n1 = int(engaged[with_prac].sum()), int(with_prac.sum())
    x0, n0 = int(engaged[~with_prac].sum()), int((~with_prac).sum())
    return _clustered(p, engaged, with_prac, level, "engagement_rd_practitioner", (x1, n1, x0, n0),
                      design="Listed people before vs after practitioners joined their district's team",
                      sms_level=DESIGN_LEVELS["before_after"].level, comparison="listed while police worked alone",
                      note=f"engaged within {window} days: {x1}/{n1} with practitioners, {x0}/{n0} police alone")


def _clustered(p: pd.DataFrame, outcome, group, level: float, name: str, counts, *, design: str, sms_level,
               comparison: str, note: str) -> Estimate:
    """A difference of proportions with the district jackknife-t interval (Newcombe's in the notes)."""
    x1, n1, x0, n0 = counts
    nd, nlo, nhi = newcombe_difference(x1, n1, x0, n0, level)
    d, lo, hi, _, G = cluster_jackknife_difference(np.asarray(outcome, float), np.asarray(group, bool),
                                                   p.district_id.to_numpy(), level)
    if not (np.isfinite(lo) and np.isfinite(hi)):  # too few districts for the jackknife: independent people
        lo, hi = nlo, nhi
    return Estimate(name, d, lo, hi, design=design, sms_level=sms_level, comparison=comparison, n=n1 + n0,
                    notes=(note, f"Newcombe interval for independent people: {nlo:.3f} to {nhi:.3f}; reported: "
                                 f"leave-one-district-out jackknife, Student-t with {G - 1} df"))


def referral_start_rd_programme(ds: Dataset, frame: pd.DataFrame | None = None, level: float = 0.95) -> Estimate:
    r"""Starting any referral within 12 months of the index date: listed vs historical comparison.

    Among people whose whole 12-month window closed by the extract date, the share of listed people who
    started a referred service within 12 months of their index date is compared with the share among
    eligible people whose 12 months ended before their district went live (`pre_live_12m`):
    $\hat d = x_1/n_1 - x_0/n_0$ with Newcombe's (1998, *Statistics in Medicine* 17:873-890) hybrid
    score interval in the notes; the reported interval is the leave-one-district-out jackknife with
    Student-t on districts - 1 degrees of freedom, which allows for referral take-up varying between
    districts and periods (the project's one small-sample rule). A historical comparison: Maryland level 2.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    frame : DataFrame, optional
        The output of [`analysis_frame`][foundation_eval.evaluation.estimates.analysis_frame] for `ds`,
        to share it between estimates; computed here when None.
    level : float
        Confidence level of the interval (0.95 for 95%).

    Returns
    -------
    Estimate
        Named `referral_start_rd_programme`, a difference of proportions; the notes give
        the two counts.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> e = referral_start_rd_programme(open_snapshot().dataset)
    >>> e.notes[0]
    'started within 12 months: 291/1030 listed, 28/868 comparison'
    >>> round(e.estimate, 3), bool(e.ci_low < e.estimate < e.ci_high)
    (0.25, True)
    """
    p = _frame(ds, frame)
    extract = pd.Timestamp(ds.extract_date)
    end = p.index_date + pd.DateOffset(months=12)
    full = end <= extract
    ref = ds.referrals
    st = ref[ref.started_date.notna()][["person_id", "started_date"]].merge(p[["person_id", "index_date"]])
    ok = (st.started_date >= st.index_date) & (st.started_date < st.index_date + pd.DateOffset(months=12))
    started = p.person_id.isin(st[ok].person_id)
    g1 = p.listed & full
    g0 = p.pre_live_12m & full
    x1, n1, x0, n0 = int(started[g1].sum()), int(g1.sum()), int(started[g0].sum()), int(g0.sum())
    both = (g1 | g0).to_numpy()
    return _clustered(p[both], started.to_numpy()[both], g1.to_numpy()[both], level, "referral_start_rd_programme",
                      (x1, n1, x0, n0),
                      design="Listed people vs eligible people whose first 12 months ended before go-live",
                      sms_level=DESIGN_LEVELS["historical_comparison"].level,
                      comparison="eligible before the district went live",
                      note=f"started within 12 months: {x1}/{n1} listed, {x0}/{n0} comparison")


def reoffending_12m_rd_listed_vs_prelive(ds: Dataset, frame: pd.DataFrame | None = None, level: float = 0.95) -> Estimate:
    r"""Any DA reoffence within 12 months: listed vs historical comparison, whole window observed.

    Regression-adjusted risk difference: a linear probability model of the 12-month outcome,
    $y_i = \alpha + \beta\,\mathrm{programme}_i + \gamma \log(1 + m_i) + \varepsilon_i$ with $m_i$ the
    months on the screen at index, fitted by least squares with HC1 robust errors (MacKinnon & White
    1985, *Journal of Econometrics* 29:305-325); the estimate is $\hat\beta$ with the normal interval
    $\hat\beta \pm z\,\mathrm{se}$. Risk is highest just after an incident, and people listed when
    their district went live were often mid-spell, so without the adjustment the programme looks better
    than it is. (Adjusting also for the share of the window in lockdown months over-corrects on the
    synthetic force: it is nearly collinear with the comparison period.) The unadjusted Newcombe
    difference is kept in the notes. Only people observed for the whole 12 months count; a historical
    comparison, Maryland level 2. An alternative to the registry's primary
    `reoffending_12m_rd_programme`, scored against the same truth.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    frame : DataFrame, optional
        The output of [`analysis_frame`][foundation_eval.evaluation.estimates.analysis_frame] for `ds`,
        to share it between estimates; computed here when None.
    level : float
        Confidence level of the interval (0.95 for 95%).

    Returns
    -------
    Estimate
        Named `reoffending_12m_rd_listed_vs_prelive`, a risk difference (negative: fewer
        reoffended among listed people).

    Raises
    ------
    ValueError
        When no one in one of the two groups was observed for the whole window (from the model fit).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> e = reoffending_12m_rd_listed_vs_prelive(open_snapshot().dataset)
    >>> [round(float(x), 3) for x in (e.estimate, e.ci_low, e.ci_high)], e.n
    ([-0.093, -0.142, -0.045], 1659)
    >>> e.notes[0]
    'reoffended within 12 months: 394/907 listed, 401/752 comparison; unadjusted difference -0.099 (-0.147 to -0.051)'
    """
    import statsmodels.api as sm

    p = _frame(ds, frame)
    w = fixed_window(p, 12, ds.extract_date).frame
    w = w[w.listed | w.pre_live_12m].copy()
    g1, g0 = w[w.listed], w[w.pre_live_12m]
    d0, lo0, hi0 = newcombe_difference(int(g1.outcome.sum()), len(g1), int(g0.outcome.sum()), len(g0), level)
    X = pd.DataFrame({"const": 1.0, "programme": w.listed.astype(float),
                      "log_months_on_screen": w.log_months_on_screen})
    fit = sm.OLS(w.outcome.astype(float).to_numpy(), X).fit(cov_type="HC1")
    z = z_value(level)
    d, se = float(fit.params["programme"]), float(fit.bse["programme"])
    return Estimate("reoffending_12m_rd_listed_vs_prelive", d, d - z * se, d + z * se,
                    design="Listed people vs eligible people whose first 12 months ended before go-live; "
                           "regression-adjusted for months on the screen", sms_level=DESIGN_LEVELS["historical_comparison"].level,
                    comparison="eligible before the district went live", n=len(w),
                    notes=(f"reoffended within 12 months: {int(g1.outcome.sum())}/{len(g1)} listed, "
                           f"{int(g0.outcome.sum())}/{len(g0)} comparison; unadjusted difference {d0:.3f} "
                           f"({lo0:.3f} to {hi0:.3f})",))


def reoffending_hr_listed_vs_prelive(ds: Dataset, frame: pd.DataFrame | None = None, level: float = 0.95) -> Estimate:
    r"""Hazard ratio of first DA reoffence: listed vs eligible before go-live (Cox, Efron ties, robust SE).

    A Cox proportional-hazards model (Cox 1972, *JRSS B* 34:187-220; Efron's method for ties) of the
    time from the index date to the first DA reoffence, on programme and $\log(1 + m)$ months on the
    screen, with errors clustered by district. The comparison group is followed from first eligibility
    and censored at the go-live of its district, so no comparison person-time is spent on the
    programme. With few clusters the sandwich variance is inflated by $G/(G-1)$ and the interval uses
    a $t$ distribution with $G-1$ degrees of freedom, $G$ the number of districts (Cameron & Miller
    2015, *Journal of Human Resources* 50:317-372): $\exp(\hat\beta \pm t_{G-1}\,\mathrm{se})$.
    A historical comparison, Maryland level 2; an alternative to the registry's primary
    `reoffending_hr_programme`.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    frame : DataFrame, optional
        The output of [`analysis_frame`][foundation_eval.evaluation.estimates.analysis_frame] for `ds`,
        to share it between estimates; computed here when None.
    level : float
        Confidence level of the interval (0.95 for 95%).

    Returns
    -------
    Estimate
        Named `reoffending_hr_listed_vs_prelive`, a hazard ratio (below 1: a lower rate of
        first reoffence among listed people).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> e = reoffending_hr_listed_vs_prelive(open_snapshot().dataset)
    >>> round(e.estimate, 2), round(e.ci_low, 2), round(e.ci_high, 2)
    (0.8, 0.69, 0.93)
    >>> e.notes
    ('1351 first DA reoffences',)
    """
    from foundation_eval.models.reoffending import cox

    p = _frame(ds, frame).copy()
    go = p.district_id.map(pd.Series({d.id: d.go_live.start_time for d in ds.programme.districts}))
    comp = (~p.listed) & (p.index_date < go)
    cut = (go - p.index_date).dt.days
    t = p.time_days.where(~comp, np.minimum(p.time_days, cut))
    e = p.event.where(~comp, ((p.event == 1) & (p.time_days <= cut)).astype(int))
    f = pd.DataFrame({"time": t / 30.4375, "event": e, "programme": p.programme, "district": p.district_id,
                      "log_months_on_screen": p.log_months_on_screen})
    f = f[(p.listed | comp) & (f.time > 0)]
    res = cox(f, "time", "event", ["programme", "log_months_on_screen"], cluster="district", level=level)
    row = res.table().loc["programme"]
    # few clusters: inflate the sandwich by G/(G-1) and use t with G-1 degrees of freedom (Cameron & Miller 2015)
    g = f.district.nunique()
    se = float(row.se) * np.sqrt(g / (g - 1))
    crit = t_value(level, g - 1)
    lo, hi = np.exp(row.coef - crit * se), np.exp(row.coef + crit * se)
    return Estimate("reoffending_hr_listed_vs_prelive", float(row.hr), float(lo), float(hi),
                    design="Cox model, listed people vs eligible people before go-live, errors clustered by district "
                           "(small-sample corrected)",
                    sms_level=DESIGN_LEVELS["historical_comparison"].level, comparison="eligible before the district went live", n=len(f),
                    notes=(f"{int(f.event.sum())} first DA reoffences",))


def ppit_auc_12m(ds: Dataset, frame: pd.DataFrame | None = None, level: float = 0.95) -> Estimate:
    """AUC of the first-rating PPIT total for DA reoffending within 12 months (DeLong interval).

    Among listed people with a PPIT total who were observed for the whole 12 months, the area under
    the ROC curve of the total for a further DA offence within 12 months: the probability that a
    randomly chosen reoffender scored higher than a randomly chosen non-reoffender (ties count a
    half), with the DeLong, DeLong & Clarke-Pearson (1988, *Biometrics* 44:837-845) interval. A
    measure of predictive validity, not an effect: no Maryland level.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    frame : DataFrame, optional
        The output of [`analysis_frame`][foundation_eval.evaluation.estimates.analysis_frame] for `ds`,
        to share it between estimates; computed here when None.
    level : float
        Confidence level of the interval (0.95 for 95%).

    Returns
    -------
    Estimate
        Named `ppit_auc_12m`, on the 0-1 scale (0.5: no better than chance).

    Raises
    ------
    ValueError
        When no assessed person, or only one outcome class, is observed for the whole window.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> e = ppit_auc_12m(open_snapshot().dataset)
    >>> round(e.estimate, 3), round(e.ci_low, 3), round(e.ci_high, 3), e.n, e.sms_level
    (0.702, 0.666, 0.737, 827, None)
    """
    from foundation_eval.ppit import auc

    p = _frame(ds, frame)
    w = fixed_window(p, 12, ds.extract_date).frame
    w = w[w.listed & w.ppit_total.notna()]
    res = auc(w.ppit_total.astype(float).to_numpy(), w.outcome.to_numpy(), level=level)
    return Estimate("ppit_auc_12m", res.estimate, res.ci_low, res.ci_high,
                    design="Predictive validity: assessed listed people observed for 12 months", sms_level=None,
                    comparison="", n=len(w))


def ppit_icc2_total(ds: Dataset, frame: pd.DataFrame | None = None, level: float = 0.95) -> Estimate:
    r"""ICC(2,1) of the PPIT total on double-scored assessments (Shrout & Fleiss 1979).

    Agreement between two assessors on the same people: the two-way random-effects, absolute-agreement,
    single-rater intraclass correlation
    $\mathrm{ICC}(2,1) = \frac{MS_R - MS_E}{MS_R + (k-1)MS_E + k(MS_C - MS_E)/n}$ (Shrout & Fleiss
    1979, "Intraclass correlations: uses in assessing rater reliability", *Psychological Bulletin*
    86:420-428) with the McGraw & Wong (1996, *Psychological Methods* 1:30-46) interval (Satterthwaite
    approximation), over the people with exactly two ratings. A measure of
    reliability: no Maryland level.

    Parameters
    ----------
    ds : Dataset
        A validated extract with `ppit_assessments`.
    frame : DataFrame, optional
        Accepted for a common signature with the other estimators; not used.
    level : float
        Confidence level of the interval (0.95 for 95%).

    Returns
    -------
    Estimate
        Named `ppit_icc2_total`; `n` is the number of double-scored people.

    Raises
    ------
    ValueError
        When too few people were scored twice.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> e = ppit_icc2_total(open_snapshot().dataset)
    >>> round(e.estimate, 3), round(e.ci_low, 3), round(e.ci_high, 3), e.n
    (0.886, 0.846, 0.917, 148)
    """
    from foundation_eval.ppit import icc

    pp = ds.ppit_assessments
    both = pp.groupby("person_id").rating.transform("nunique") == 2
    long = pp[both][["person_id", "rating", "total"]].astype({"total": float})
    res = icc(long, target="person_id", rater="rating", score="total", level=level)
    row = res.table().loc["ICC2"]
    return Estimate("ppit_icc2_total", float(row.icc), float(row.ci_low), float(row.ci_high),
                    design="Reliability: double-scored assessments, two-way random effects", sms_level=None,
                    n=int(long.person_id.nunique()))


ESTIMATORS = (engagement_rd_practitioner, referral_start_rd_programme, reoffending_12m_rd_listed_vs_prelive,
              reoffending_hr_listed_vs_prelive, ppit_auc_12m, ppit_icc2_total)
RISK_TOOL_ESTIMATORS = (ppit_auc_12m, ppit_icc2_total)


def estimators_for(programme) -> tuple:
    """The headline estimators that apply to a programme: without a risk tool, none of the risk-tool ones.

    Parameters
    ----------
    programme : Programme
        The programme definition ([`Programme`][foundation_eval.config.Programme]); only
        `has_risk_tool` is read.

    Returns
    -------
    tuple of callable
        The estimator functions of this module, in a fixed order; `ppit_auc_12m` and
        `ppit_icc2_total` only when the programme has a risk tool.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> [f.__name__ for f in estimators_for(SimpleNamespace(has_risk_tool=False))]
    ['engagement_rd_practitioner', 'referral_start_rd_programme', 'reoffending_12m_rd_listed_vs_prelive', 'reoffending_hr_listed_vs_prelive']
    >>> len(estimators_for(SimpleNamespace(has_risk_tool=True)))
    6
    """
    return tuple(f for f in ESTIMATORS if programme.has_risk_tool or f not in RISK_TOOL_ESTIMATORS)


def headline_estimates(ds: Dataset, level: float = 0.95) -> list[Estimate]:
    """Every headline estimate the extract supports, computed from one shared analysis frame.

    An estimate the data cannot support (e.g. no risk-tool assessments, no comparison group) is left
    out rather than failing the others;
    [`not_estimable`][foundation_eval.evaluation.estimates.not_estimable] says which. A programme without
    a risk tool has no risk-tool estimands at all
    ([`estimators_for`][foundation_eval.evaluation.estimates.estimators_for]).

    A render fits them once, in its snapshot (`foundation_eval.evaluation.snapshot`), and every
    report reads them from there; call this only outside a render.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    level : float
        Confidence level of every interval (0.95 for 95%).

    Returns
    -------
    list of Estimate
        In the order of [`estimators_for`][foundation_eval.evaluation.estimates.estimators_for], the
        ones the data cannot support left out.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ds = open_snapshot().dataset
    >>> est = headline_estimates(ds)
    >>> [e.name for e in est][:2], len(est)
    (['engagement_rd_practitioner', 'referral_start_rd_programme'], 6)
    >>> not_estimable(ds, est)
    []
    """
    frame = analysis_frame(ds)
    out = []
    for f in estimators_for(ds.programme):
        try:
            out.append(f(ds, frame, level))
        except (ValueError, KeyError, ZeroDivisionError, np.linalg.LinAlgError):
            continue
    return out


def not_estimable(ds: Dataset, estimates: list[Estimate]) -> list[str]:
    """Names of headline estimands missing from `estimates`.

    Parameters
    ----------
    ds : Dataset
        The extract the estimates were fitted on (its programme decides which estimands apply).
    estimates : list of Estimate
        What was fitted, e.g. the output of
        [`headline_estimates`][foundation_eval.evaluation.estimates.headline_estimates].

    Returns
    -------
    list of str
        Names of the applicable estimators with no estimate in `estimates`, in estimator order.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> snap = open_snapshot()
    >>> not_estimable(snap.dataset, [snap.estimate("ppit_auc_12m")])
    ['engagement_rd_practitioner', 'referral_start_rd_programme', 'reoffending_12m_rd_listed_vs_prelive', 'reoffending_hr_listed_vs_prelive', 'ppit_icc2_total']
    """
    have = {e.name for e in estimates}
    return [f.__name__ for f in estimators_for(ds.programme) if f.__name__ not in have]


def results_json(estimates: list[Estimate]) -> str:
    r"""`{"estimates": [...]}` with sorted keys, identical for identical inputs.

    Parameters
    ----------
    estimates : list of Estimate
        The estimates to write, in the order given.

    Returns
    -------
    str
        JSON text, indented by 2, ending with a newline: one
        [`Estimate.record`][foundation_eval.evaluation.estimates.Estimate.record] per estimate.

    Examples
    --------
    >>> e = Estimate("ppit_icc2_total", 0.8864518, 0.8462442, 0.9166173, design="Reliability",
    ...              sms_level=None, n=148)
    >>> text = results_json([e])
    >>> print("\n".join(text.splitlines()[:4]))
    {
      "estimates": [
        {
          "ci_high": 0.916617,
    >>> text == results_json([e]), text.endswith("\n")
    (True, True)
    """
    return json.dumps({"estimates": [e.record() for e in estimates]}, indent=2, sort_keys=True) + "\n"
