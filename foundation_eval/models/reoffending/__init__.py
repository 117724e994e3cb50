"""Reoffending estimators: survival, recurrence, counts and harm.

Pure functions on arrays and DataFrames; nothing here knows the programme's data tables.
Every function returns a small immutable result (a frozen dataclass) with plain attributes,
a tidy ``.table()`` and a ``.plot(ax=None)`` that returns the matplotlib Axes.

Contents
--------
kaplan_meier       Kaplan-Meier curve, Greenwood variance, log(-log) interval, median.
logrank            k-sample log-rank test (Mantel 1966; Peto & Peto 1972).
risk_difference    Difference in cumulative incidence 1 - S(t) at a fixed horizon, Greenwood SE.
cox                Cox proportional-hazards model, Efron ties, cluster-robust (sandwich) SEs,
                   strata, case weights, Schoenfeld-residual PH test (as R ``cox.zph``).
cox_time_varying   The same model on start/stop (counting-process) data.
ipw_weights        Stabilised inverse-probability-of-treatment weights with a balance table.
event_rate         Events per person-year with an exact (Garwood) Poisson interval.
negative_binomial  NB2 count model with a log(exposure) offset (as R ``MASS::glm.nb``).
bootstrap_mean     Person-level bootstrap of a (weighted) mean, e.g. harm per person.
bootstrap_ratio    Person-level bootstrap of a ratio of sums, e.g. harm per person-year.

One module per family, each name imported from here: `survival` (Kaplan-Meier, log-rank, risk
difference), `coxph` (both Cox models), `ipw`, `rates`, `negbin` and `bootstrap`.

The Cox engine is written here (vectorised numpy, module `coxph`) rather than borrowed, because no single library
offers Efron ties + start/stop data + case weights + cluster-robust errors + the exact score test
of proportional hazards that R's ``survival`` package (3.x) uses; the tests check it against
published values and against ``lifelines`` and ``statsmodels`` where those overlap.
"""
from foundation_eval.models.reoffending.bootstrap import BootstrapResult, bootstrap_mean, bootstrap_ratio
from foundation_eval.models.reoffending.coxph import CONFOUNDING_WARNING, CoxResult, cox, cox_time_varying
from foundation_eval.models.reoffending.ipw import IPWResult, ipw_weights
from foundation_eval.models.reoffending.negbin import NegativeBinomialResult, negative_binomial
from foundation_eval.models.reoffending.rates import EventRateResult, event_rate
from foundation_eval.models.reoffending.survival import (
    KaplanMeierResult,
    LogRankResult,
    RiskDifferenceResult,
    kaplan_meier,
    logrank,
    risk_difference,
)

__all__ = [
    "CONFOUNDING_WARNING",
    "BootstrapResult",
    "CoxResult",
    "EventRateResult",
    "IPWResult",
    "KaplanMeierResult",
    "LogRankResult",
    "NegativeBinomialResult",
    "RiskDifferenceResult",
    "bootstrap_mean",
    "bootstrap_ratio",
    "cox",
    "cox_time_varying",
    "event_rate",
    "ipw_weights",
    "kaplan_meier",
    "logrank",
    "negative_binomial",
    "risk_difference",
]
