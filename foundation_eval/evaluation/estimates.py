"""The person-level headline estimates, under their names in the registry.

Each function takes a validated :class:`~foundation_eval.data.load.Dataset`, builds its analysis frame and
returns an :class:`Estimate` that states its design, comparison and Maryland Scientific Methods
Scale (SMS) level. :func:`headline_estimates` runs them all. Where a stronger design answers the same
question (the reoffending estimands), the estimate here carries its own name as an alternative
(``reoffending_*_listed_vs_prelive``); :data:`foundation_eval.evaluation.registry.REGISTRY` gives the
``truth.json`` name each one is scored against.

Designs here are the person-level comparisons of the outcome-model layer: people listed once their
district was live against eligible people whose whole outcome window fell before their district went
live (historical comparison, SMS 2). The staggered-adoption designs of :mod:`foundation_eval.impact`
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
from foundation_eval.stats import newcombe_difference

__all__ = ["Estimate", "headline_estimates", "not_estimable", "results_json", "engagement_rd_practitioner",
           "referral_start_rd_programme", "reoffending_12m_rd_listed_vs_prelive", "reoffending_hr_listed_vs_prelive",
           "ppit_auc_12m", "ppit_icc2_total", "analysis_frame", "estimators_for"]


@dataclass(frozen=True)
class Estimate:
    """One headline estimate, in the vocabulary of ``truth.json``."""

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
        d = asdict(self)
        d["notes"] = list(self.notes)
        for k in ("estimate", "ci_low", "ci_high"):
            d[k] = None if d[k] is None or not np.isfinite(d[k]) else round(float(d[k]), 6)
        return d

    def covers(self, truth: float) -> bool:
        return bool(self.ci_low <= truth <= self.ci_high)


def analysis_frame(ds: Dataset) -> pd.DataFrame:
    """Eligible people with reoffending outcomes and the comparison flags used below.

    ``programme``: listed. ``pre_live_12m``: never listed within 12 months of index and the whole
    12-month window closed before the district went live (an unexposed historical comparison).
    """
    p = reoffending_frame(ds, person_frame(ds))
    go = pd.Series({d.id: d.go_live.start_time for d in ds.programme.districts})
    window_end = p.index_date + pd.DateOffset(months=12)
    p["programme"] = p.listed.astype(int)
    p["pre_live_12m"] = (~p.listed) & (window_end <= p.district_id.map(go))
    # months since the person first appeared on the screen: risk is highest just after an incident
    first_screen = ds.screening.groupby("person_id").month.min()
    since = [(i.ordinal - f.ordinal) for i, f in zip(p.index_month, p.person_id.map(first_screen), strict=True)]
    p["log_months_on_screen"] = np.log1p(np.asarray(since, dtype=float))
    return p


def _frame(ds: Dataset, frame: pd.DataFrame | None) -> pd.DataFrame:
    return analysis_frame(ds) if frame is None else frame


def engagement_rd_practitioner(ds: Dataset, frame: pd.DataFrame | None = None, level: float = 0.95) -> Estimate:
    """Engagement within the engagement window: practitioners on the team vs police alone.

    Listed people whose first listing came after practitioners joined their district are compared with
    those listed while the police team worked alone; difference of proportions with Newcombe's (1998)
    hybrid score interval.
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
    d, lo, hi = newcombe_difference(x1, n1, x0, n0, level)
    return Estimate("engagement_rd_practitioner", d, lo, hi,
                    design="Listed people before vs after practitioners joined their district's team",
                    sms_level=DESIGN_LEVELS["before_after"].level,
                    comparison="listed while police worked alone", n=n1 + n0,
                    notes=(f"engaged within {window} days: {x1}/{n1} with practitioners, {x0}/{n0} police alone",))


def referral_start_rd_programme(ds: Dataset, frame: pd.DataFrame | None = None, level: float = 0.95) -> Estimate:
    """Starting any referral within 12 months of the index date: listed vs historical comparison."""
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
    d, lo, hi = newcombe_difference(x1, n1, x0, n0, level)
    return Estimate("referral_start_rd_programme", d, lo, hi,
                    design="Listed people vs eligible people whose first 12 months ended before go-live", sms_level=DESIGN_LEVELS["historical_comparison"].level,
                    comparison="eligible before the district went live", n=n1 + n0,
                    notes=(f"started within 12 months: {x1}/{n1} listed, {x0}/{n0} comparison",))


def reoffending_12m_rd_listed_vs_prelive(ds: Dataset, frame: pd.DataFrame | None = None, level: float = 0.95) -> Estimate:
    """Any DA reoffence within 12 months: listed vs historical comparison, whole window observed.

    Regression-adjusted risk difference: a linear probability model of the 12-month outcome on
    programme and log(1 + months on the screen at index), with HC1 robust errors. Risk is highest
    just after an incident, and people listed when their district went live were often mid-spell,
    so without the adjustment the programme looks better than it is. (Adjusting also for the share
    of the window in lockdown months over-corrects on the synthetic force: it is nearly collinear
    with the comparison period.) The unadjusted Newcombe difference is kept in the notes.
    """
    import statsmodels.api as sm
    from scipy import stats

    p = _frame(ds, frame)
    w = fixed_window(p, 12, ds.extract_date).frame
    w = w[w.listed | w.pre_live_12m].copy()
    g1, g0 = w[w.listed], w[w.pre_live_12m]
    d0, lo0, hi0 = newcombe_difference(int(g1.outcome.sum()), len(g1), int(g0.outcome.sum()), len(g0), level)
    X = pd.DataFrame({"const": 1.0, "programme": w.listed.astype(float),
                      "log_months_on_screen": w.log_months_on_screen})
    fit = sm.OLS(w.outcome.astype(float).to_numpy(), X).fit(cov_type="HC1")
    z = stats.norm.ppf(0.5 + level / 2)
    d, se = float(fit.params["programme"]), float(fit.bse["programme"])
    return Estimate("reoffending_12m_rd_listed_vs_prelive", d, d - z * se, d + z * se,
                    design="Listed people vs eligible people whose first 12 months ended before go-live; "
                           "regression-adjusted for months on the screen", sms_level=DESIGN_LEVELS["historical_comparison"].level,
                    comparison="eligible before the district went live", n=len(w),
                    notes=(f"reoffended within 12 months: {int(g1.outcome.sum())}/{len(g1)} listed, "
                           f"{int(g0.outcome.sum())}/{len(g0)} comparison; unadjusted difference {d0:.3f} "
                           f"({lo0:.3f} to {hi0:.3f})",))


def reoffending_hr_listed_vs_prelive(ds: Dataset, frame: pd.DataFrame | None = None, level: float = 0.95) -> Estimate:
    """Hazard ratio of first DA reoffence: listed vs eligible before go-live (Cox, Efron ties, robust SE).

    The comparison group is followed from first eligibility and censored at the go-live of its district,
    so no comparison person-time is spent on the programme.
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
    from scipy import stats

    g = f.district.nunique()
    se = float(row.se) * np.sqrt(g / (g - 1))
    crit = stats.t.ppf(0.5 + level / 2, g - 1)
    lo, hi = np.exp(row.coef - crit * se), np.exp(row.coef + crit * se)
    return Estimate("reoffending_hr_listed_vs_prelive", float(row.hr), float(lo), float(hi),
                    design="Cox model, listed people vs eligible people before go-live, errors clustered by district "
                           "(small-sample corrected)",
                    sms_level=DESIGN_LEVELS["historical_comparison"].level, comparison="eligible before the district went live", n=len(f),
                    notes=(f"{int(f.event.sum())} first DA reoffences",))


def ppit_auc_12m(ds: Dataset, frame: pd.DataFrame | None = None, level: float = 0.95) -> Estimate:
    """AUC of the first-rating PPIT total for DA reoffending within 12 months (DeLong interval)."""
    from foundation_eval.ppit import auc

    p = _frame(ds, frame)
    w = fixed_window(p, 12, ds.extract_date).frame
    w = w[w.listed & w.ppit_total.notna()]
    res = auc(w.ppit_total.astype(float).to_numpy(), w.outcome.to_numpy(), level=level)
    return Estimate("ppit_auc_12m", res.estimate, res.ci_low, res.ci_high,
                    design="Predictive validity: assessed listed people observed for 12 months", sms_level=None,
                    comparison="", n=len(w))


def ppit_icc2_total(ds: Dataset, frame: pd.DataFrame | None = None, level: float = 0.95) -> Estimate:
    """ICC(2,1) of the PPIT total on double-scored assessments (Shrout & Fleiss 1979)."""
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
    """The headline estimators that apply to a programme: without a risk tool, none of the risk-tool ones."""
    return tuple(f for f in ESTIMATORS if programme.has_risk_tool or f not in RISK_TOOL_ESTIMATORS)


def headline_estimates(ds: Dataset, level: float = 0.95) -> list[Estimate]:
    """Every headline estimate the extract supports, computed from one shared analysis frame.

    An estimate the data cannot support (e.g. no risk-tool assessments, no comparison group) is left
    out rather than failing the others; :func:`not_estimable` says which and why. A programme without a
    risk tool has no risk-tool estimands at all (:func:`estimators_for`).

    A render fits them once, in its snapshot (:mod:`foundation_eval.evaluation.snapshot`), and every
    report reads them from there.
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
    """Names of headline estimands missing from ``estimates``."""
    have = {e.name for e in estimates}
    return [f.__name__ for f in estimators_for(ds.programme) if f.__name__ not in have]


def results_json(estimates: list[Estimate]) -> str:
    """``{"estimates": [...]}`` with sorted keys, identical for identical inputs."""
    return json.dumps({"estimates": [e.record() for e in estimates]}, indent=2, sort_keys=True) + "\n"
