"""[`Evaluation`][foundation_eval.evaluation.designs.Evaluation]: every design for one dataset,
computed on first use, with sensitivity analyses, value for money, verdict and threats.

Part of [`foundation_eval.evaluation.designs`][foundation_eval.evaluation.designs]; import from there.
"""
from __future__ import annotations

import warnings
from dataclasses import replace
from functools import cached_property

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.evaluation.designs._common import (
    HEADLINE,
    OUTCOME_LABELS,
    PERIOD_NAMES,
    balanced_panel,
    did_panel,
    display_fields,
    maryland_fields,
    risk_interval,
)
from foundation_eval.evaluation.designs.cohort import cohort_did, cohort_frame
from foundation_eval.evaluation.designs.cox import (
    cox_frame,
    cox_implied_risk_difference,
    cox_listed_live,
    listed_window_risk,
)
from foundation_eval.evaluation.designs.did import (
    anticipation_check,
    cs_event_study,
    cs_jackknife,
    did_callaway_santanna,
    did_imputation,
    did_randomization,
    did_twfe,
    placebo_did,
)
from foundation_eval.evaluation.designs.its import its_all_districts, its_force
from foundation_eval.evaluation.designs.naive import naive_comparisons
from foundation_eval.evaluation.designs.power import PowerAnalysis, power_analysis
from foundation_eval.evaluation.designs.rd import rd_age, rd_ppit
from foundation_eval.evaluation.designs.sensitivity import person_e_values, primary_sensitivity
from foundation_eval.evaluation.value import Costs
from foundation_eval.impact import (
    EvalEstimate,
    ImputationResult,
    NotEstimable,
)

__all__ = [
    "Evaluation",
    "MEASURED_COVERAGE",
    "HEADLINE_ATTRS",
]


def _row(analysis: str, est, note: str = "", n=None) -> dict:
    return {"analysis": analysis, "estimate": est.estimate, "ci_low": est.ci_low, "ci_high": est.ci_high,
            "sms_level": est.sms_level, "n": np.nan if n is None else n, "note": note}


_ERRORS = (ValueError, KeyError, IndexError, ZeroDivisionError, np.linalg.LinAlgError)


def _safe(name: str, design: str, key: str, fn):
    """`fn()`, or a `NotEstimable` saying why the data do not support the design."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn()
    except _ERRORS as exc:
        return NotEstimable(name=name, design=design, reason=str(exc) or type(exc).__name__, design_key=key)


MEASURED_COVERAGE = {"its_pilot": 0.872, "its_force": 0.792, "matched": 0.916}
"""Coverage of the nominal 95% intervals that do not hold their level, measured over 250 synthetic forces
of the `realistic` scenario (`benchmarks/coverage.py`; table in `benchmarks/README.md`): the interrupted
time series of the pilot districts and of the whole force (Newey-West errors on one series whose
district-by-quarter shocks and build-up of the effect the segmented regression does not model), and the
matched comparison (its estimand, the listed people with a comparable person, differs from everyone
listed when the effect varies by wave). Each result carries its figure (`measured_coverage`) and pages
print it beside the interval, never the interval as a plain 95%."""


def _with_coverage(res, key: str):
    """A `(result, EvalEstimate)` pair or an estimate with the measured coverage of its interval."""
    if isinstance(res, tuple):
        return (res[0], replace(res[1], measured_coverage=MEASURED_COVERAGE[key]))
    return replace(res, measured_coverage=MEASURED_COVERAGE[key])


def _ok(x) -> bool:
    return getattr(x, "estimable", True) and not isinstance(x, str)


HEADLINE_ATTRS = {"did_att_da_rate": "did", "reoffending_12m_rd_programme": "cohort",
                  "reoffending_hr_programme": "cox"}
"""Headline result names and the attribute of [`Evaluation`][foundation_eval.evaluation.designs.Evaluation]
that holds each (the same mapping as [`HEADLINE`][foundation_eval.evaluation.designs.HEADLINE])."""


class Evaluation:
    """Every design of the pilot-versus-rollout evaluation for one dataset, computed on first use.

    Each design is an attribute computed the first time it is read and kept (`did`, `cohort`, `cox`
    for the three headline results; `did_cs_simple`, `twfe_estimate`, `placebo`, `its_pilot`,
    `rd_age`, `naive`, `sensitivity`, `power`, `value`, `verdict`, `threats` and the others below), so
    a report pays only for what it shows. A design the data cannot support (too few periods,
    districts or events) is a [`NotEstimable`][foundation_eval.impact.NotEstimable] result with the
    reason, never an exception:
    [`not_estimable`][foundation_eval.evaluation.designs.Evaluation.not_estimable] lists them. The
    regression discontinuities keep their earlier form (a string "not estimable: ...").

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    freq : {"Q", "M"}
        Period of the district panel (quarters by default: monthly district rates rest on 5 to 25
        people and some districts have months with nobody eligible).
    exclude_lockdown : bool
        Leave COVID-19 lockdown months out of the district panel and the Cox model (the cohort
        comparison is then adjusted for the share of each window in lockdown instead).
    window_months : int
        Outcome window of the person-level comparisons (12 by default; 6 and 24 in the sensitivity table).
    costs : Costs, optional
        Programme and unit costs for value for money (the illustrative `Costs()` when None).
    n_perm : int
        Re-assignments of go-live dates for the randomisation tests.
    seed : int
        Seed of the randomisation tests and bootstraps.
    level : float
        Confidence level.

    Raises
    ------
    ValueError
        When `freq` is neither `"Q"` nor `"M"`.

    Examples
    --------
    The three headline results on the synthetic force (true values -0.0168, -0.063 and 0.823), with
    fewer re-assignments of go-live dates than the default to keep the example quick:

    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ev = Evaluation(open_snapshot().dataset, n_perm=99)
    >>> [(r["name"], round(r["estimate"], 3), r["sms_level"]) for r in ev.headline()]
    [('did_att_da_rate', 0.003, 4),
     ('reoffending_12m_rd_programme', -0.113, 2),
     ('reoffending_hr_programme', 0.784, 3)]
    >>> [e.name for e in ev.estimates()][3:8]            # after the three headline results
    ['did_cs_simple_da_rate', 'cox_implied_rd_12m', 'reoffending_12m_rd_matched',
     'did_imputation_engaged_rate', 'did_imputation_referral_rate']
    >>> len(ev.records()), ev.not_estimable(), [c.name for c in ev.checks()]
    (16, [], ['placebo_da_rate_12m'])
    >>> sorted(ev.statements())
    ['did_att_da_rate', 'naive_engaged_vs_not_12m', 'rd_age_12m', 'rd_ppit_12m',
     'reoffending_12m_rd_programme', 'reoffending_hr_programme']
    >>> print(ev.synthetic_notes()[0])
    In the synthetic data engaging has no effect of its own, so any difference between people who
    engaged and people who did not is selection.
    """

    def __init__(self, ds: Dataset, *, freq: str = "Q", exclude_lockdown: bool = False, window_months: int = 12,
                 costs: Costs | None = None, n_perm: int = 499, seed: int = 0, level: float = 0.95):
        if freq not in ("Q", "M"):
            raise ValueError("freq must be 'Q' or 'M'")
        self.ds = ds
        self.freq = freq
        self.exclude_lockdown = bool(exclude_lockdown)
        self.window_months = int(window_months)
        self.costs = costs or Costs()
        self.n_perm = int(n_perm)
        self.seed = int(seed)
        self.level = level

    @property
    def plan(self):
        """The programme file's pre-specified primary analysis ([`EvaluationPlan`][foundation_eval.config.EvaluationPlan])."""
        return self.ds.programme.evaluation

    # ---------------------------------------------------------------- district panel designs
    @cached_property
    def panel(self) -> pd.DataFrame:
        """The district x period panel ([`did_panel`][foundation_eval.evaluation.designs.did_panel])."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return did_panel(self.ds, self.freq, self.exclude_lockdown)

    @cached_property
    def unbalanced_districts(self) -> list[str]:
        """Districts left out of the balanced panel used by Callaway & Sant'Anna and the Bacon decomposition."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return list(balanced_panel(self.panel).attrs.get("dropped_districts", []))

    @cached_property
    def cs(self):
        """Callaway & Sant'Anna group-time effects, not-yet-treated controls (event study, pre-trends)."""
        return _safe("did_cs", "Callaway & Sant'Anna group-time effects", "staggered_did",
                     lambda: did_callaway_santanna(self.ds, panel=self.panel, seed=self.seed))

    @cached_property
    def cs_never(self):
        """The same with never-treated controls, or the reason it cannot be estimated."""
        try:
            return did_callaway_santanna(self.ds, panel=self.panel, control_group="never_treated", seed=self.seed)
        except ValueError as exc:
            return str(exc)

    @cached_property
    def pretrend(self):
        """Wald test that the Callaway & Sant'Anna pre-period effects are zero, or None."""
        return self.cs.pretrend_test() if _ok(self.cs) else None

    @cached_property
    def pretrend_ri(self):
        """Randomisation test of the pre-period effects over go-live dates (sets the Maryland level), or None."""
        if not _ok(self.cs):
            return None
        try:
            return self.cs.pretrend_test("randomization", n_perm=self.n_perm, seed=self.seed)
        except _ERRORS:
            return None

    @property
    def _pretrend_p(self) -> float | None:
        pt = self.pretrend_ri
        if pt is None or getattr(pt, "df", 1) == 0:
            return None
        return float(pt.p_value)

    @cached_property
    def did(self) -> ImputationResult:
        """Headline: imputation DiD on the DA rate (`did_att_da_rate`)."""
        def fit():
            res = did_imputation(self.ds, "da_rate", freq=self.freq, exclude_lockdown=self.exclude_lockdown,
                                 panel=self.panel, pretrend_p=self._pretrend_p, level=self.level)
            ri = self.did_ri
            if _ok(ri):
                res = replace(res, diagnostics=res.diagnostics + (
                    ("Randomisation test", f"p = {ri.p_value:.3f} over {ri.n_draws} re-assigned go-live orders"),))
            return res

        return _safe("did_att_da_rate", "staggered difference-in-differences, district panel", "staggered_did", fit)

    @cached_property
    def did_pm(self) -> ImputationResult:
        """The headline's cells weighted by eligible person-months (`did_att_da_rate_pm`): the effect per
        person-month that value for money multiplies by the cells' person-months."""
        return _safe("did_att_da_rate_pm", "staggered difference-in-differences, per person-month", "staggered_did",
                     lambda: did_imputation(self.ds, "da_rate", freq=self.freq, exclude_lockdown=self.exclude_lockdown,
                                            panel=self.panel, pretrend_p=self._pretrend_p, per_person_month=True,
                                            level=self.level))

    @cached_property
    def event_study(self) -> pd.DataFrame:
        """Callaway & Sant'Anna event study (jackknife-t intervals), two years either side of go-live, with the
        number of comparison districts behind each point (`n_comparison`, `few_comparisons`)."""
        per_year = 4 if self.freq == "Q" else 12
        return _safe("event_study", "event study", "event_study", lambda: cs_event_study(
            self.panel, "da_rate", min_event=-2 * per_year, max_event=2 * per_year - 1, level=self.level,
            min_comparison=self.plan.min_comparison_districts))

    @cached_property
    def did_ri(self):
        """Randomisation test of the headline DiD over go-live dates
        ([`did_randomization`][foundation_eval.evaluation.designs.did_randomization])."""
        return _safe("did_ri", "randomisation test over go-live dates", "randomisation_test",
                     lambda: did_randomization(self.ds, panel=self.panel, n_perm=self.n_perm, seed=self.seed))

    @cached_property
    def did_cs_simple(self) -> EvalEstimate:
        """Callaway & Sant'Anna simple ATT with the headline's jackknife-t interval
        ([`cs_jackknife`][foundation_eval.evaluation.designs.cs_jackknife])."""
        return _safe("did_cs_simple_da_rate", "staggered difference-in-differences (Callaway & Sant'Anna 2021)",
                     "staggered_did", lambda: cs_jackknife(self.panel, "da_rate", level=self.level,
                                                           min_comparisons=self.plan.min_comparison_districts,
                                                           pretrend_p=self._pretrend_p))

    @cached_property
    def did_engaged(self) -> ImputationResult:
        """Imputation DiD on the share of eligible person-months with an engaged contact."""
        return _safe("did_imputation_engaged_rate", "staggered difference-in-differences, engagement",
                     "staggered_did", lambda: did_imputation(self.ds, "engaged_rate", freq=self.freq, panel=self.panel,
                                                             level=self.level, pretrend_p=None))

    @cached_property
    def did_referral(self) -> ImputationResult:
        """Imputation DiD on the share of eligible person-months with a referral start."""
        return _safe("did_imputation_referral_rate", "staggered difference-in-differences, referral starts",
                     "staggered_did", lambda: did_imputation(self.ds, "referral_rate", freq=self.freq,
                                                             panel=self.panel, level=self.level, pretrend_p=None))

    @cached_property
    def twfe(self):
        """`(TWFEResult, BaconDecomposition, note)`, or NotEstimable."""
        return _safe("twfe_da_rate", "two-way fixed effects", "twfe",
                     lambda: did_twfe(self.ds, panel=self.panel, seed=self.seed))

    @cached_property
    def twfe_estimate(self) -> EvalEstimate:
        """The naive TWFE estimate with its Bacon decomposition and wild bootstrap as diagnostics."""
        if not _ok(self.twfe):
            return self.twfe
        tw, bacon, _ = self.twfe
        diag = (("Bacon decomposition", bacon.summary_sentence()),)
        if tw.wild is not None:
            diag += (("Wild cluster bootstrap", f"95% interval {tw.wild.ci_low:.4f} to {tw.wild.ci_high:.4f}, "
                                                f"p = {tw.wild.p_value:.3f} ({tw.wild.weights} weights)"),)
        return EvalEstimate(
            name=tw.name, estimate=tw.estimate, se=tw.se, ci_low=tw.ci_low, ci_high=tw.ci_high, level=tw.level,
            p_value=tw.p_value, design=tw.design, estimand=tw.estimand, comparison=tw.comparison,
            assumptions=tw.assumptions, outcome=OUTCOME_LABELS["da_rate"], **maryland_fields("twfe"), **display_fields("da_rate"),
            unit=OUTCOME_LABELS["da_rate"],
            interval_method=tw.interval_method, notes=tw.notes, diagnostics=diag, n=tw.n_obs)

    @cached_property
    def placebo(self) -> ImputationResult:
        """Placebo go-live 12 months early (a check of the design: no Maryland level)."""
        return _safe("placebo_da_rate_12m", "placebo staggered DiD", "placebo",
                     lambda: placebo_did(self.ds, 12, freq=self.freq, level=self.level))

    # ---------------------------------------------------------------- person-level designs
    @cached_property
    def cohorts(self) -> pd.DataFrame:
        """The person-level cohort frame ([`cohort_frame`][foundation_eval.evaluation.designs.cohort_frame])."""
        return cohort_frame(self.ds, self.window_months)

    @cached_property
    def cohort(self) -> ImputationResult:
        """Eligible cohorts before vs after go-live within district (`reoffending_12m_rd_programme`)."""
        return _safe("reoffending_12m_rd_programme", "eligible cohorts before vs after go-live within district",
                     "cohort_before_after", lambda: cohort_did(self.ds, self.window_months, adjust=self.exclude_lockdown,
                                                               frame=self.cohorts, level=self.level))

    @cached_property
    def _cox_frame(self) -> pd.DataFrame:
        # the headline's person-months, kept until its lockdown variant is fitted (`_sensitivity` drops it)
        return cox_frame(self.ds, "ever_listed", collapse=True)

    @cached_property
    def cox(self) -> EvalEstimate:
        """Cox model, time-varying exposure, stratified by district (`reoffending_hr_programme`); t on
        G - 1 df (coverage checked by simulation); Maryland level read with the district pre-trend check."""
        return _safe("reoffending_hr_programme", "Cox model with time-varying exposure", "cox_staggered",
                     lambda: cox_listed_live(self.ds, frame=self._cox_frame, exclude_lockdown=self.exclude_lockdown,
                                             level=self.level))

    @cached_property
    def cox_risk_difference(self) -> EvalEstimate:
        """The risk difference implied by the Cox hazard ratio over the outcome window
        ([`cox_implied_risk_difference`][foundation_eval.evaluation.designs.cox_implied_risk_difference])."""
        if not _ok(self.cox):
            return self.cox
        n, k = listed_window_risk(self.ds, self.window_months)
        return _safe(f"cox_implied_rd_{self.window_months}m", "Cox model translated to the risk scale",
                     "cox_staggered", lambda: cox_implied_risk_difference(self.cox, n, k, self.window_months))

    # ---------------------------------------------------------------- ITS and RD
    @cached_property
    def its_pilot(self):
        """`(ITSResult, EvalEstimate)` for the pilot districts (quarterly when some months have nobody
        eligible), or NotEstimable."""
        def fit():
            try:
                return _with_coverage(its_force(self.ds, "pilot", "M", self.level), "its_pilot")
            except ValueError:
                return _with_coverage(its_force(self.ds, "pilot", "Q", self.level), "its_pilot")
        return _safe("its_pilot", "interrupted time series, pilot districts", "its", fit)

    @cached_property
    def its_force(self):
        """`(ITSResult, EvalEstimate)` for the whole force (quarterly when some months have nobody eligible),
        or NotEstimable."""
        def fit():
            try:
                return _with_coverage(its_force(self.ds, "force", "M", self.level), "its_force")
            except ValueError:
                return _with_coverage(its_force(self.ds, "force", "Q", self.level), "its_force")
        return _safe("its_force", "interrupted time series, whole force", "its", fit)

    @cached_property
    def its_districts(self) -> pd.DataFrame:
        """Level change at go-live for every district
        ([`its_all_districts`][foundation_eval.evaluation.designs.its_all_districts])."""
        return its_all_districts(self.ds, "Q", self.level)

    @cached_property
    def rd_age(self):
        """`(RDResult, DensityTest, EvalEstimate)` or the reason the data do not support it."""
        try:
            return rd_age(self.ds, self.window_months, self.level)
        except _ERRORS as exc:
            return f"not estimable: {exc}"

    @cached_property
    def rd_ppit(self):
        """`(RDResult, DensityTest, EvalEstimate)` at the PPIT threshold, or the reason the data do not support it."""
        try:
            return rd_ppit(self.ds, self.window_months, self.level)
        except _ERRORS as exc:
            return f"not estimable: {exc}"

    @cached_property
    def naive(self) -> list[EvalEstimate]:
        """The naive comparisons ([`naive_comparisons`][foundation_eval.evaluation.designs.naive_comparisons])."""
        res = _safe("naive", "naive comparisons", "cross_section",
                    lambda: naive_comparisons(self.ds, self.window_months, self.level))
        return res if isinstance(res, list) else []

    # ---------------------------------------------------------------- what a reviewer asks
    @cached_property
    def anticipation(self):
        """The anticipation check of the primary ([`anticipation_check`][foundation_eval.evaluation.designs.anticipation_check]),
        or NotEstimable."""
        return _safe("anticipation", "anticipation check", "placebo",
                     lambda: anticipation_check(self.ds, freq=self.freq, panel=self.panel, level=self.level))

    @cached_property
    def honest(self):
        """HonestDiD bounds and pre-trend power of the primary
        ([`primary_sensitivity`][foundation_eval.evaluation.designs.primary_sensitivity]), or NotEstimable."""
        return _safe("honest_did", "sensitivity to violations of parallel trends", "event_study",
                     lambda: primary_sensitivity(self.panel, min_comparison=self.plan.min_comparison_districts))

    @cached_property
    def e_values(self) -> pd.DataFrame:
        """E-values of the person-level designs ([`person_e_values`][foundation_eval.evaluation.designs.person_e_values])."""
        res = {"reoffending_12m_rd_programme": self.cohort, "reoffending_hr_programme": self.cox}
        base = {}
        if _ok(self.cohort):
            base["reoffending_12m_rd_programme"] = self.cohort.counterfactual_mean
        if _ok(self.matched_estimate):
            res["reoffending_12m_rd_matched"] = self.matched_estimate
            row = self.matched.table().set_index("outcome").loc["reoffended"]
            base["reoffending_12m_rd_matched"] = float(row.mean_treated - row.estimate)
        return person_e_values(res, base)

    @cached_property
    def matched(self):
        """The Justice Data Lab-style matched comparison
        ([`matched_comparison`][foundation_eval.evaluation.matched.matched_comparison]), or NotEstimable."""
        from foundation_eval.evaluation.matched import matched_comparison

        return _safe("reoffending_12m_rd_matched", "matched comparison", "matched",
                     lambda: matched_comparison(self.ds, self.window_months, self.plan.washout_months))

    @cached_property
    def matched_estimate(self) -> EvalEstimate:
        """The matched comparison's effect on the share reoffending within the window, with its Maryland level
        (3, lowered to 2 when balance is not achieved)."""
        mc = self.matched
        if not _ok(mc):
            return mc
        row = mc.table().set_index("outcome").loc["reoffended"]
        n = int(row.n_treated)
        lo, hi, cut = risk_interval(row.ci_low, row.ci_high, self.level)  # a normal interval of a risk difference
        return EvalEstimate(
            name=f"reoffending_{self.window_months}m_rd_matched", estimate=float(row.estimate), se=float(row.se),
            ci_low=lo, ci_high=hi, level=self.level, p_value=float("nan"),
            design="propensity-score matched comparison (Justice Data Lab style)",
            estimand=f"difference in the share with a further DA offence within {self.window_months} months, among "
                     "listed people with a matched comparison",
            comparison=mc.comparison, assumptions=(
                "No unrecorded difference between listed and comparison people affects reoffending "
                "(selection on recorded characteristics only).",
                "Every listed person matched has comparable eligible people not yet listed (overlap)."),
            outcome=f"DA reoffending within {self.window_months} months (risk)",
            **maryland_fields("matched", balanced=bool(mc.balanced)), **display_fields("risk"),
            population=mc.population, window=f"{self.window_months} months from the index date",
            interval_method="Abadie-Imbens (2006) variance for matching with replacement, normal interval",
            notes=tuple(mc.caveats) + ((mc.label,) if mc.label else ()) + cut, n=n,
            measured_coverage=MEASURED_COVERAGE["matched"])

    # ---------------------------------------------------------------- sensitivity, VfM, power
    @cached_property
    def _sensitivity(self):
        ds, lv = self.ds, self.level
        per = PERIOD_NAMES[self.freq]
        rows: list[dict] = []
        variants: dict[str, list] = {k: [] for k in HEADLINE_ATTRS}

        def add(group, label, est, note="", n=None, variant_of=None, level=True):
            if not _ok(est):
                reason = est.reason if hasattr(est, "reason") else str(est)
                rows.append({"group": group, "analysis": label, "note": f"not estimable: {reason}"})
                return
            r = _row(label, est, note, n=n)
            if not level:
                r["sms_level"] = np.nan
            r["group"] = group
            rows.append(r)
            if variant_of:
                variants[variant_of].append((label, est))

        def fit(fn, name, design, key):
            return _safe(name, design, key, fn)

        g = "DA offences per eligible person-month (district panel)"
        did = self.did
        add(g, f"Primary: imputation DiD, district x {per}" + (", lockdown months excluded" if self.exclude_lockdown
                                                               else ""), did, n=getattr(did, "n", None))
        add(g, f"Callaway & Sant'Anna, base = {per} before go-live", self.did_cs_simple, n=len(self.panel),
            variant_of="did_att_da_rate")
        other_freq = "M" if self.freq == "Q" else "Q"
        alt = fit(lambda: did_imputation(ds, freq=other_freq, exclude_lockdown=self.exclude_lockdown, level=lv,
                                         pretrend_p=self._pretrend_p), "did_alt_freq", "district panel", "staggered_did")
        empty = [v for k, v in getattr(alt, "diagnostics", ()) if k == "Empty cells"]
        add(g, f"{PERIOD_NAMES[other_freq].capitalize()}ly panel", alt, empty[0] if empty else "", n=getattr(alt, "n", None),
            variant_of="did_att_da_rate")
        alt = fit(lambda: did_imputation(ds, freq=self.freq, exclude_lockdown=not self.exclude_lockdown, level=lv,
                                         pretrend_p=self._pretrend_p), "did_lockdown", "district panel", "staggered_did")
        self._lockdown_variant = alt
        add(g, "Lockdown months " + ("included" if self.exclude_lockdown else "excluded"), alt,
            n=getattr(alt, "n", None), variant_of="did_att_da_rate")
        add(g, "Placebo: go-live 12 months early, pre-programme data only", self.placebo, "should be close to zero",
            n=getattr(self.placebo, "n", None), level=False)
        if _ok(did):
            jk = did.jackknife.dropna(subset=["estimate"])
            names = {d.id: d.name for d in ds.programme.districts}
            if len(jk):
                for lab, idx in (("smallest", jk.estimate.idxmin()), ("largest", jk.estimate.idxmax())):
                    r = jk.loc[idx]
                    rows.append({"group": g, "analysis": f"Leaving one district out: {lab} estimate",
                                 "estimate": r.estimate, "ci_low": np.nan, "ci_high": np.nan, "sms_level": np.nan,
                                 "n": np.nan, "note": f"without {names.get(r.left_out, r.left_out)}"})
        if _ok(self.twfe):
            tw = self.twfe[0]
            r = _row("Naive two-way fixed effects (for contrast)", self.twfe_estimate, "cluster-robust interval",
                     n=tw.n_obs)
            if tw.wild is not None:
                r.update(ci_low=tw.wild.ci_low, ci_high=tw.wild.ci_high, note="wild cluster bootstrap interval")
            r["group"] = g
            rows.append(r)
        else:
            add(g, "Naive two-way fixed effects (for contrast)", self.twfe)
        g2 = "Risk of DA reoffending (people)"
        coh = self.cohort
        add(g2, f"Cohorts before vs after go-live, {self.window_months} months", coh,
            n=(coh.n_treated + coh.n_untreated) if _ok(coh) else None)
        for w in sorted({6, 12, 24} - {self.window_months}):
            r = fit(lambda w=w: cohort_did(ds, w, level=lv), f"cohort_{w}m", "cohorts", "cohort_before_after")
            add(g2, f"Cohorts before vs after go-live, {w} months", r,
                n=(r.n_treated + r.n_untreated) if _ok(r) else None)
        r = fit(lambda: cohort_did(ds, self.window_months, adjust=not self.exclude_lockdown, frame=self.cohorts,
                                   level=lv), "cohort_adjusted", "cohorts", "cohort_before_after")
        add(g2, "Cohorts, " + ("unadjusted" if self.exclude_lockdown else "adjusted for lockdown months and season"), r,
            n=(r.n_treated + r.n_untreated) if _ok(r) else None, variant_of="reoffending_12m_rd_programme")
        add(g2, f"Implied by the Cox hazard ratio, {self.window_months} months", self.cox_risk_difference,
            n=getattr(self.cox_risk_difference, "n", None))
        g3 = "Hazard ratio of first DA reoffence (people)"
        add(g3, "Cox, listed from first listing on" + (", lockdown months excluded" if self.exclude_lockdown else ""),
            self.cox, n=getattr(self.cox, "n", None))
        # the headline's lockdown variant first, so that its person-months are let go before the on-list
        # exposure's are built (at national scale each is about a third of a gigabyte)
        lockdown = fit(lambda: cox_listed_live(ds, frame=self._cox_frame, exclude_lockdown=not self.exclude_lockdown,
                                               level=lv), "cox_lockdown", "Cox", "cox_staggered")
        self.__dict__.pop("_cox_frame", None)
        r = fit(lambda: cox_listed_live(ds, exposure="on_list", exclude_lockdown=self.exclude_lockdown, level=lv),
              "cox_on_list", "Cox", "cox_staggered")
        add(g3, "Cox, exposed only while on the list", r, n=getattr(r, "n", None), variant_of="reoffending_hr_programme")
        add(g3, "Cox, lockdown months " + ("included" if self.exclude_lockdown else "excluded"), lockdown,
            n=getattr(lockdown, "n", None), variant_of="reoffending_hr_programme")
        out = pd.DataFrame(rows)
        cols = ["group", "analysis", "estimate", "ci_low", "ci_high", "sms_level", "n", "note"]
        out = out.reindex(columns=cols)
        out["note"] = out.note.fillna("")
        return out, variants

    @property
    def sensitivity(self) -> pd.DataFrame:
        """Every sensitivity analysis in one table (`group, analysis, estimate, ci_low, ci_high, sms_level,
        n, note`). Checks (placebo, leave-one-out) carry no level; analyses that cannot be estimated say why."""
        return self._sensitivity[0]

    @property
    def sensitivity_variants(self) -> dict:
        """Headline name to the `(label, result)` sensitivity analyses of the same estimand."""
        return self._sensitivity[1]

    @cached_property
    def value(self):
        """Value for money under every headline design, led by the pre-specified primary
        ([`ValueAnalysis`][foundation_eval.evaluation.value.ValueAnalysis])."""
        from foundation_eval.evaluation.value import value_analysis

        res = {"did_att_da_rate": self.did, "reoffending_12m_rd_programme": self.cohort,
               f"cox_implied_rd_{self.window_months}m": self.cox_risk_difference}
        primary = self.plan.primary
        if primary == "reoffending_hr_programme":
            primary = f"cox_implied_rd_{self.window_months}m"
        pw = self.power if _ok(self.power) else None
        return value_analysis(self.ds, res, primary=primary, power=pw, costs=self.costs,
                              window_months=self.window_months,
                              primary_per_person_month=self.did_pm if _ok(self.did_pm) else None)

    @cached_property
    def power(self) -> PowerAnalysis:
        """What the evaluation can detect ([`PowerAnalysis`][foundation_eval.evaluation.designs.PowerAnalysis]),
        or NotEstimable."""
        if not _ok(self.did):
            return NotEstimable("power", "power analysis", "the district comparison is not estimable")
        p = self.panel
        per_month = p.eligible.sum() / (len(self.ds.programme.months))
        return _safe("power", "power analysis", "", lambda: power_analysis(
            self.did, self.cohorts, p.district_id.nunique(), per_month, self.window_months,
            plausible_effect=self.plan.plausible_effect))

    # ---------------------------------------------------------------- verdict, statements, threats
    def headline_results(self) -> dict:
        """The three headline results by name (NotEstimable where the data do not support one).

        Returns
        -------
        dict
            `did_att_da_rate`, `reoffending_12m_rd_programme` and `reoffending_hr_programme` to their
            results (see [`HEADLINE_ATTRS`][foundation_eval.evaluation.designs.HEADLINE_ATTRS]).
        """
        return {n: getattr(self, a) for n, a in HEADLINE_ATTRS.items()}

    @cached_property
    def verdict(self):
        """The verdict from the pre-specified primary analysis ([`Verdict`][foundation_eval.evaluation.verdict.Verdict]).

        Supporting designs: the other headline results, the Callaway & Sant'Anna estimate, the
        regression discontinuities and the engaged-versus-not comparison (descriptive), each with its
        level and flagged when its significance is lost under this evaluation's sensitivity analyses.
        """
        from foundation_eval.evaluation.verdict import verdict

        head = self.headline_results()
        primary = head.get(self.plan.primary)
        if primary is None:
            primary = NotEstimable(self.plan.primary, self.plan.primary, "the primary named in the programme file "
                                   "is not one of this evaluation's headline results")
        sup = {n: r for n, r in head.items() if n != self.plan.primary}
        sup["did_cs_simple_da_rate"] = self.did_cs_simple
        for rd in (self.rd_age, self.rd_ppit):
            if _ok(rd):
                sup[rd[2].name] = rd[2]
        for e in self.naive:
            if e.design_key == "self_selected":
                sup[e.name] = e
        self.sensitivity  # noqa: B018 - fills the variants
        return verdict(self.plan.primary, primary, sup, self.sensitivity_variants)

    def statements(self) -> dict:
        """"You can say / you cannot say" statements per headline result.

        Built by [`statements`][foundation_eval.evaluation.verdict.statements] for the three headline
        results, the regression discontinuities that could be estimated and the engaged-versus-not
        comparison.

        Returns
        -------
        dict
            Result name to a tuple of [`Statement`][foundation_eval.evaluation.verdict.Statement].
        """
        from foundation_eval.evaluation.verdict import statements

        age = self.ds.programme.age_max
        out = {}
        for name, est in self.headline_results().items():
            out[name] = statements(name, est, window_months=self.window_months, age_limit=age)
        for rd in (self.rd_age, self.rd_ppit):
            if _ok(rd):
                out[rd[2].name] = statements(rd[2].name, rd[2], window_months=self.window_months, age_limit=age)
        for e in self.naive:
            if e.design_key == "self_selected":
                out[e.name] = statements(e.name, e, window_months=self.window_months)
        return out

    @cached_property
    def threats(self):
        """Lockdowns, spill-overs, multiplicity and regression to the mean
        ([`Threats`][foundation_eval.evaluation.threats.Threats])."""
        from foundation_eval.evaluation.threats import (
            Threats,
            lockdown_threat,
            multiplicity_threat,
            regression_to_mean_threat,
            spillover_threat,
        )

        prog = self.ds.programme
        self.sensitivity  # noqa: B018 - computes the lockdown variant
        head = self.headline_results()
        primary = head.get(self.plan.primary, self.did)
        ex = getattr(self, "_lockdown_variant", None) if self.plan.primary == "did_att_da_rate" else None
        results = {e.name: e for e in self.estimates()}
        results.update({n: r for n, r in head.items() if _ok(r)})
        return Threats((lockdown_threat(prog, primary, None if self.exclude_lockdown else ex),
                        spillover_threat(prog, self.panel, self.did if self.plan.primary == "did_att_da_rate"
                                         else None),
                        multiplicity_threat(self.plan.primary, results),
                        regression_to_mean_threat(self.ds)))

    def synthetic_notes(self) -> tuple[str, ...]:
        """Sentences true only of the synthetic generator, for programmes marked illustrative.

        Returns
        -------
        tuple of str
            What the generator builds in (engaging has no effect of its own; the priority flag does not
            change reoffending; fewer people over the age limit), empty for a real programme.
        """
        prog = self.ds.programme
        if not prog.illustrative:
            return ()
        notes = ["In the synthetic data engaging has no effect of its own, so any difference between people who "
                 "engaged and people who did not is selection."]
        if prog.has_risk_tool:
            notes.append("In the synthetic data the priority flag changes risk management plans but not reoffending.")
        if prog.has_age_criterion:
            notes.append("In the synthetic data fewer people over the upper age limit come to police attention, so "
                         "the density check at the age limit can fail without any sorting.")
        return tuple(notes)

    # ---------------------------------------------------------------- outputs
    def estimates(self) -> list[EvalEstimate]:
        """Every estimable scalar estimate (headline first), for `results.json` and the methods appendix.

        Checks of the design (placebo, leave-one-out) are in
        [`checks`][foundation_eval.evaluation.designs.Evaluation.checks]; designs the data cannot support
        are in [`not_estimable`][foundation_eval.evaluation.designs.Evaluation.not_estimable].

        Returns
        -------
        list of EvalEstimate
            The three headline results, then the alternative DiDs, the Cox-implied risk difference,
            the naive regression, the interrupted time series, the regression discontinuities and the
            naive comparisons, each under its own name.
        """
        out = [self.did, self.cohort, self.cox, self.did_cs_simple, self.cox_risk_difference, self.matched_estimate,
               self.did_engaged, self.did_referral, self.twfe_estimate]
        out += [x[1] if _ok(x) else x for x in (self.its_pilot, self.its_force)]
        for rd in (self.rd_age, self.rd_ppit):
            if _ok(rd):
                out.append(rd[2])
        out.extend(self.naive)
        return [e for e in out if _ok(e)]

    def checks(self) -> list:
        """Checks of the design, with no Maryland level: the placebo go-live.

        Returns
        -------
        list of ImputationResult
            The placebo DiD when it could be estimated, else empty.
        """
        return [x for x in (self.placebo,) if _ok(x)]

    def not_estimable(self) -> list[NotEstimable]:
        """Every design the data do not support, with the reason.

        Returns
        -------
        list of NotEstimable
            One per design that could not be estimated (empty when every design was); the regression
            discontinuities count only when the programme has an age limit or a risk tool.
        """
        out = [x for x in (self.did, self.cohort, self.cox, self.did_cs_simple, self.cox_risk_difference, self.did_engaged,
                           self.did_referral, self.twfe_estimate, self.its_pilot, self.its_force, self.placebo,
                           self.event_study) if isinstance(x, NotEstimable)]
        prog = self.ds.programme
        for name, design, rd, applies in (
                ("rd_age", "regression discontinuity at the age limit", self.rd_age, prog.has_age_criterion),
                ("rd_ppit", "regression discontinuity at the risk-tool threshold", self.rd_ppit, prog.has_risk_tool)):
            if applies and isinstance(rd, str):
                out.append(NotEstimable(name, design, rd.removeprefix("not estimable: "),
                                        "rd" if name == "rd_age" else "rd_risk_flag"))
        return out

    def headline(self) -> list[dict]:
        """Headline records under the `truth.json` names, for scoring a synthetic run.

        The district DiD (`did_att_da_rate`), the cohort comparison (`reoffending_12m_rd_programme`,
        only with a 12-month window) and the Cox hazard ratio (`reoffending_hr_programme`);
        not-estimable ones are left out. With the defaults (quarterly panel, lockdown months kept) the
        estimands are exactly the truth's; with `exclude_lockdown` or monthly periods they differ
        slightly, and the `design` field says so.

        Returns
        -------
        list of dict
            `{"name", "estimate", "ci_low", "ci_high", "design", "sms_level"}` per headline result.
        """
        out = []
        for name, attr in HEADLINE.items():
            est = getattr(self, attr)
            if _ok(est) and (attr != "cohort" or self.window_months == 12):
                out.append({**est.record(), "name": name})
        if self.exclude_lockdown:
            for r in out:
                r["design"] += " (lockdown months excluded)" if "cohort" not in r["design"] else ""
        return out

    def records(self) -> list[dict]:
        """`results.json` records for every estimate (truth names where they apply, own names otherwise).

        Returns
        -------
        list of dict
            `{"name", "estimate", "ci_low", "ci_high", "design", "sms_level"}` per entry of
            [`estimates`][foundation_eval.evaluation.designs.Evaluation.estimates].
        """
        return [e.record() for e in self.estimates()]
