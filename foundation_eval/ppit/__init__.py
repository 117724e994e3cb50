"""Validity of the Priority Perpetrator Identification Tool (PPIT): pure statistics.

Every function takes arrays or DataFrames (no knowledge of the input tables) and returns an
immutable result with plain attributes, a tidy ``.table()`` and, where a figure helps, a
``.plot(ax=None)`` that returns the matplotlib Axes.

| concept | functions |
| --- | --- |
| Discrimination | `auc`, `delong_test`, `delong_covariance` |
| Time-to-event | `harrell_c`, `time_dependent_auc` |
| Calibration | `calibration_table`, `calibration_in_the_large_and_slope` |
| Thresholds | `threshold_table`, `decision_curve` |
| Reliability | `icc`, `weighted_kappa`, `agreement` |
| Internal structure | `item_analysis`, `cronbach_alpha`, `feldt_interval`, `omega`, `compare_factor_structures` |
| Equity | `auc_by_group`, `calibration_by_group`, `differential_prediction`, `flag_rate_parity` |
| Incremental value | `incremental_value`, `nri_idi` |
"""
from foundation_eval.ppit.calibration import (
    CalibrationResult,
    CalibrationTable,
    calibration_in_the_large_and_slope,
    calibration_table,
)
from foundation_eval.ppit.discrimination import (
    AUCResult,
    DeLongTestResult,
    auc,
    delong_covariance,
    delong_test,
)
from foundation_eval.ppit.equity import (
    DifferentialPrediction,
    FlagRateParity,
    GroupAUC,
    GroupCalibration,
    auc_by_group,
    calibration_by_group,
    differential_prediction,
    flag_rate_parity,
)
from foundation_eval.ppit.incremental import IncrementalValue, incremental_value, nri_idi
from foundation_eval.ppit.reliability import (
    AgreementResult,
    ICCResult,
    KappaResult,
    agreement,
    icc,
    weighted_kappa,
)
from foundation_eval.ppit.structure import (
    AlphaResult,
    FactorComparison,
    ItemAnalysis,
    OmegaResult,
    compare_factor_structures,
    cronbach_alpha,
    feldt_interval,
    item_analysis,
    omega,
)
from foundation_eval.ppit.thresholds import DecisionCurve, ThresholdTable, decision_curve, threshold_table
from foundation_eval.ppit.time_to_event import (
    ConcordanceResult,
    TimeDependentAUCResult,
    harrell_c,
    time_dependent_auc,
)

__all__ = [
    "AUCResult",
    "AgreementResult",
    "AlphaResult",
    "CalibrationResult",
    "CalibrationTable",
    "ConcordanceResult",
    "DeLongTestResult",
    "DecisionCurve",
    "DifferentialPrediction",
    "FactorComparison",
    "FlagRateParity",
    "GroupAUC",
    "GroupCalibration",
    "ICCResult",
    "IncrementalValue",
    "ItemAnalysis",
    "KappaResult",
    "OmegaResult",
    "ThresholdTable",
    "TimeDependentAUCResult",
    "agreement",
    "auc",
    "auc_by_group",
    "calibration_by_group",
    "calibration_in_the_large_and_slope",
    "calibration_table",
    "compare_factor_structures",
    "cronbach_alpha",
    "decision_curve",
    "delong_covariance",
    "delong_test",
    "differential_prediction",
    "feldt_interval",
    "flag_rate_parity",
    "harrell_c",
    "icc",
    "incremental_value",
    "item_analysis",
    "nri_idi",
    "omega",
    "threshold_table",
    "time_dependent_auc",
    "weighted_kappa",
]
