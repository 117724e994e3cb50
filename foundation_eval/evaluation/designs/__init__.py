r"""Pilot-versus-rollout impact evaluation built from a validated [`Dataset`][foundation_eval.data.load.Dataset].

This module turns the programme's tables into the analysis frames of each design and runs the
estimators of [`foundation_eval.impact`][foundation_eval.impact] on them. Every estimate carries its design,
estimand, comparison group, assumptions, diagnostics and Maryland Scientific Methods Scale (SMS)
level; [`Evaluation.headline`][foundation_eval.evaluation.designs.Evaluation.headline] lists the headline
ones under the names of the synthetic generator's `truth.json` so that any run on synthetic data can be
scored.

The designs:

1. **Staggered difference-in-differences on a district x quarter panel** (headline,
    `did_att_da_rate`): DA offences per eligible person-month. The estimate is the imputation
    estimator of Borusyak, Jaravel & Spiess (2024, *Rev Econ Stud* 91:3253-3285): district and quarter
    effects are fitted to the district-quarters before go-live, each live district-quarter's
    untreated outcome is imputed from them (by least squares weighted by eligible person-months), and the
    gaps are averaged with equal weight over live district-quarters from go-live, in the quarters in which
    at least `min_comparison_districts` districts were not yet live. That is the Callaway &
    Sant'Anna (2021) "simple" aggregate with not-yet-treated controls, but each district's baseline is
    the mean of *all* its pre-go-live quarters rather than the single quarter before go-live, which
    is what makes it usable with 5 to 25 eligible people a district-month. Callaway & Sant'Anna's
    group-time effects ([`staggered_did`][foundation_eval.impact.staggered_did]) give the event study,
    the pre-trend test and a second estimate of the same quantity.

    *Inference with few districts* (14 in the shipped programme): the one small-sample rule of every
    design identified by the staggered go-live (the DiDs, the placebo and anticipation checks, the
    event study, the cohort comparison and the Cox model): a leave-one-district-out jackknife standard
    error (the Cox model: the district-clustered sandwich times G/(G-1)) with Student-t critical values
    on G - 1 degrees of freedom, G the number of districts. It was chosen on the synthetic force's
    `realistic` scenario (district effects and trends, autocorrelated district-by-quarter shocks,
    effects that build up and differ by wave, people already eligible when the data start), where it
    kept every one of these 95% intervals within 93-97% coverage, while the go-live-wave rules (3 or 4
    degrees of freedom) over-covered (up to 100%) and the normal interval under-covered
    (`benchmarks/coverage.py`; the design x scenario table is in `benchmarks/README.md`). A
    randomisation test over go-live dates (Fisher's sharp null of no effect in any district) is
    reported beside it.
2. **Naive two-way fixed effects** beside it, with the Goodman-Bacon (2021) decomposition.
3. **Person-level cohort DiD** (`reoffending_12m_rd_programme`): eligible people by the quarter they
    were first eligible, compared within district before and after go-live. People first eligible
    after go-live (all listed at once) are compared with people whose whole outcome window closed
    before go-live, within district (the imputation estimator at person level with district effects
    only: period effects cannot be separated when the comparison windows must close before go-live);
    people whose window straddles go-live are left out. No concurrent comparison group: SMS 2.
4. **Cox model with time-varying exposure** (`reoffending_hr_programme`): eligible people followed
    from first eligibility; exposed from the month they were first listed (listing only happens while
    the district is live); baseline hazards stratified by district; calendar-quarter effects. It is
    identified by the same staggered timing as the district comparison and held to the same
    small-sample rule (Student-t on G - 1 degrees of freedom); Maryland level 3, as listing within a live
    district is selective.
5. **Interrupted time series** per district and force-wide (segmented regression, seasonality,
    Newey-West errors): SMS 2, no concurrent comparison group.
6. **Regression discontinuity** at the upper age limit (screens of people meeting every other
    criterion in a live district; age in months; those over the limit are not listed) and at the PPIT
    priority threshold, each with a McCrary density check.
7. **Naive comparisons** that show what the designs protect against: listed vs never-listed,
    engaged vs not engaged, before-and-after in the pilot districts.

Sensitivity analyses, value for money ([`foundation_eval.evaluation.value`][foundation_eval.evaluation.value])
and power are computed from the same objects. Maryland levels come from one table
([`maryland_level`][foundation_eval.impact.maryland.maryland_level]); the verdict follows the programme
file's pre-specified primary analysis ([`foundation_eval.evaluation.verdict`][foundation_eval.evaluation.verdict]);
threats to validity are in [`foundation_eval.evaluation.threats`][foundation_eval.evaluation.threats]. A design
the data cannot support is a [`NotEstimable`][foundation_eval.impact.NotEstimable] result, never an
exception.

The examples in this module's docstrings run on the built-in synthetic force
([`open_snapshot()`][foundation_eval.evaluation.snapshot.open_snapshot], cached on disk after the first
call); its true effects are in the generator's `truth.json` (for instance `did_att_da_rate` = -0.0168
DA offences per eligible person-month and `reoffending_hr_programme` = 0.823).
"""
from foundation_eval.evaluation.designs._common import (
    DISPLAY_UNITS,
    HEADLINE,
    TRUTH_NAMES,
    balanced_panel,
    did_panel,
)
from foundation_eval.evaluation.designs.cohort import cohort_did, cohort_frame
from foundation_eval.evaluation.designs.cox import (
    cox_frame,
    cox_implied_risk_difference,
    cox_listed_live,
    listed_window_risk,
)
from foundation_eval.evaluation.designs.did import (
    AnticipationCheck,
    anticipation_check,
    comparison_districts,
    cs_event_study,
    cs_jackknife,
    did_callaway_santanna,
    did_imputation,
    did_randomization,
    did_twfe,
    placebo_did,
)
from foundation_eval.evaluation.designs.evaluation import HEADLINE_ATTRS, MEASURED_COVERAGE, Evaluation
from foundation_eval.evaluation.designs.its import its_all_districts, its_district, its_force, its_series
from foundation_eval.evaluation.designs.naive import naive_comparisons
from foundation_eval.evaluation.designs.power import PowerAnalysis, power_analysis
from foundation_eval.evaluation.designs.rd import rd_age, rd_age_frame, rd_ppit, rd_ppit_frame
from foundation_eval.evaluation.designs.sensitivity import (
    PrimarySensitivity,
    event_study_covariance,
    person_e_values,
    primary_sensitivity,
)
from foundation_eval.evaluation.value import Costs
from foundation_eval.impact import EvalEstimate, ImputationResult, NotEstimable, imputation_did

__all__ = [
    "EvalEstimate",
    "ImputationResult",
    "imputation_did",
    "did_panel",
    "balanced_panel",
    "did_imputation",
    "did_randomization",
    "did_callaway_santanna",
    "cs_jackknife",
    "cs_event_study",
    "listed_window_risk",
    "cox_implied_risk_difference",
    "did_twfe",
    "placebo_did",
    "AnticipationCheck",
    "anticipation_check",
    "PrimarySensitivity",
    "primary_sensitivity",
    "event_study_covariance",
    "person_e_values",
    "cohort_frame",
    "cohort_did",
    "cox_frame",
    "cox_listed_live",
    "its_series",
    "its_district",
    "its_force",
    "its_all_districts",
    "rd_age_frame",
    "rd_age",
    "rd_ppit_frame",
    "rd_ppit",
    "naive_comparisons",
    "Costs",
    "power_analysis",
    "PowerAnalysis",
    "Evaluation",
    "MEASURED_COVERAGE",
    "TRUTH_NAMES",
    "HEADLINE",
    "HEADLINE_ATTRS",
    "DISPLAY_UNITS",
    "NotEstimable",
    "comparison_districts",
]
