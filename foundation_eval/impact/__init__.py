"""Impact designs for the pilot-versus-rollout evaluation (DESIGN.md section 5).

* [`imputation_did`][foundation_eval.impact.imputation_did] - the imputation DiD of Borusyak,
  Jaravel & Spiess (2024) with a leave-one-cluster-out jackknife and t on the number of go-live
  cohorts (module `imputation`).
* [`maryland_level`][foundation_eval.impact.maryland_level] and
  [`level_table`][foundation_eval.impact.level_table] - the one table from design and diagnostics
  to Maryland level (Farrington et al. 2002; module `maryland`).
* [`staggered_did`][foundation_eval.impact.staggered_did] - Callaway & Sant'Anna (2021) group-time
  effects, aggregations, pre-trend test, multiplier bootstrap and randomisation inference over
  go-live dates (module `did`).
* `twfe` and
  [`bacon_decomposition`][foundation_eval.impact.bacon_decomposition] - naive two-way fixed effects
  with wild cluster bootstrap, and the Goodman-Bacon (2021) decomposition that shows why it
  misleads (module `twfe`).
* [`interrupted_time_series`][foundation_eval.impact.interrupted_time_series] - segmented regression
  with seasonality and Newey-West (1987) errors (module `its`).
* [`regression_discontinuity`][foundation_eval.impact.regression_discontinuity] and
  [`density_test`][foundation_eval.impact.density_test] - sharp local-linear RD with the CCT
  bandwidth and robust bias-corrected interval; McCrary density test (module `rd`).
* [`honest_did`][foundation_eval.impact.honest_did] - Rambachan & Roth (2023) confidence sets under
  smoothness or relative-magnitude bounds on the violation of parallel trends, with the breakdown
  value; [`fixed_length_ci`][foundation_eval.impact.fixed_length_ci] and
  [`original_ci`][foundation_eval.impact.original_ci] (module `honest`).
* [`pretrend_power`][foundation_eval.impact.pretrend_power] and
  [`slope_for_power`][foundation_eval.impact.slope_for_power] - Roth (2022): power of the pre-trend
  test against a linear or given violation, and the bias that survives passing it (module
  `pretrends`).
* [`evalue_rr`][foundation_eval.impact.evalue_rr], [`evalue_hr`][foundation_eval.impact.evalue_hr],
  [`evalue_or`][foundation_eval.impact.evalue_or], [`evalue_rd`][foundation_eval.impact.evalue_rd] and
  [`e_value`][foundation_eval.impact.e_value] - VanderWeele & Ding (2017) E-values for unmeasured
  confounding of the person-level designs (module `evalue`).
* [`minimum_detectable_effect`][foundation_eval.impact.minimum_detectable_effect],
  [`power_curve`][foundation_eval.impact.power_curve],
  [`simulate_power_staggered`][foundation_eval.impact.simulate_power_staggered] (module `power`).
* [`wild_cluster_bootstrap`][foundation_eval.impact.wild_cluster_bootstrap],
  [`multiplier_bootstrap`][foundation_eval.impact.multiplier_bootstrap] and randomisation helpers
  (module `inference`).

Every estimate carries ``design``, ``estimand``, ``comparison``, ``assumptions``, ``sms_level``
(Maryland Scientific Methods Scale, see [`SMS_LEVELS`][foundation_eval.impact.SMS_LEVELS]) and
``summary_sentence()`` (see [`ImpactEstimate`][foundation_eval.impact.ImpactEstimate]).
"""
from foundation_eval.impact._base import SMS_LEVELS, EvalEstimate, ImpactEstimate, NotEstimable
from foundation_eval.impact.did import (
    AggregateResult,
    PretrendTest,
    StaggeredDiDResult,
    randomization_inference,
    staggered_did,
)
from foundation_eval.impact.evalue import EValue, e_value, evalue_hr, evalue_or, evalue_rd, evalue_rr
from foundation_eval.impact.honest import (
    FLCIResult,
    HonestDiDResult,
    fixed_length_ci,
    honest_did,
    original_ci,
)
from foundation_eval.impact.imputation import (
    DID_ASSUMPTIONS,
    ImputationResult,
    imputation_att,
    imputation_did,
    impute_untreated,
)
from foundation_eval.impact.inference import (
    MultiplierBootstrap,
    RandomizationResult,
    WildBootstrapResult,
    bootstrap_weights,
    multiplier_bootstrap,
    permutation_p_value,
    wild_cluster_bootstrap,
)
from foundation_eval.impact.its import ITSResult, interrupted_time_series, newey_west_cov
from foundation_eval.impact.maryland import DESIGN_LEVELS, MarylandLevel, level_table, maryland_level
from foundation_eval.impact.power import (
    MDEResult,
    PowerCurve,
    SimulatedPower,
    design_effect,
    mde_multiplier,
    minimum_detectable_effect,
    power_curve,
    simulate_power_staggered,
    simulate_staggered_panel,
)
from foundation_eval.impact.pretrends import PretrendPower, pretrend_power, slope_for_power
from foundation_eval.impact.rd import (
    DensityTest,
    RDResult,
    density_test,
    mse_bandwidth,
    regression_discontinuity,
)
from foundation_eval.impact.twfe import BaconDecomposition, TWFEResult, bacon_decomposition, twfe

__all__ = [
    "SMS_LEVELS",
    "DESIGN_LEVELS",
    "MarylandLevel",
    "maryland_level",
    "level_table",
    "ImpactEstimate",
    "EvalEstimate",
    "NotEstimable",
    "imputation_did",
    "imputation_att",
    "impute_untreated",
    "ImputationResult",
    "DID_ASSUMPTIONS",
    "staggered_did",
    "StaggeredDiDResult",
    "AggregateResult",
    "PretrendTest",
    "randomization_inference",
    "twfe",
    "TWFEResult",
    "bacon_decomposition",
    "BaconDecomposition",
    "honest_did",
    "HonestDiDResult",
    "fixed_length_ci",
    "FLCIResult",
    "original_ci",
    "pretrend_power",
    "PretrendPower",
    "slope_for_power",
    "e_value",
    "evalue_rr",
    "evalue_hr",
    "evalue_or",
    "evalue_rd",
    "EValue",
    "interrupted_time_series",
    "ITSResult",
    "newey_west_cov",
    "regression_discontinuity",
    "RDResult",
    "mse_bandwidth",
    "density_test",
    "DensityTest",
    "minimum_detectable_effect",
    "MDEResult",
    "mde_multiplier",
    "design_effect",
    "power_curve",
    "PowerCurve",
    "simulate_power_staggered",
    "simulate_staggered_panel",
    "SimulatedPower",
    "wild_cluster_bootstrap",
    "WildBootstrapResult",
    "multiplier_bootstrap",
    "MultiplierBootstrap",
    "bootstrap_weights",
    "permutation_p_value",
    "RandomizationResult",
]
