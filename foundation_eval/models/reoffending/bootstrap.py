"""Person-level bootstrap of a (weighted) mean or a ratio of sums, e.g. harm per person-year.

Part of [`foundation_eval.models.reoffending`][foundation_eval.models.reoffending]; import from there.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from foundation_eval import stats as _fstats
from foundation_eval.checks import as_float
from foundation_eval.models.reoffending._common import as_weights, set_readonly
from foundation_eval.results import IntervalEstimate

__all__ = [
    "BootstrapResult",
    "bootstrap_mean",
    "bootstrap_ratio",
]


@dataclass(frozen=True)
class BootstrapResult(IntervalEstimate):
    """Bootstrap estimate and interval (see `bootstrap_mean`, `bootstrap_ratio`).

    Attributes
    ----------
    estimate, se, ci_low, ci_high : float
        Estimate, SD of the replicates and the interval.
    level : float
    method : str
        ``"bca"``, ``"percentile"`` or ``"normal"``.
    n : int
        Units resampled.
    n_boot : int
        Replicates drawn.
    statistic : str
        What was estimated (``"mean"``, ``"weighted mean"``, ``"ratio of sums"``).
    replicates : ndarray
        The bootstrap replicates (read-only).

    Examples
    --------
    >>> res = bootstrap_mean([94, 197, 16, 38, 99, 141, 23], n_boot=1000, seed=3)
    >>> res.statistic, res.n, res.replicates.size
    ('mean', 7, 1000)
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    level: float
    method: str
    n: int
    n_boot: int
    statistic: str
    replicates: np.ndarray = field(repr=False)

    def table(self) -> pd.DataFrame:
        """The estimate as a one-row table.

        Returns
        -------
        DataFrame
            ``statistic, estimate, se, ci_low, ci_high, method, n, n_boot``.
        """
        return pd.DataFrame([{"statistic": self.statistic, "estimate": self.estimate, "se": self.se,
                              "ci_low": self.ci_low, "ci_high": self.ci_high, "method": self.method,
                              "n": self.n, "n_boot": self.n_boot}])

    def plot(self, ax=None):
        """Histogram of the bootstrap replicates with the estimate and interval marked.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(6, 4))
        ax.hist(self.replicates, bins=40, color="lightgrey", edgecolor="white")
        ax.axvline(self.estimate, color="black")
        for v in (self.ci_low, self.ci_high):
            ax.axvline(v, color="black", linestyle="--")
        ax.set_xlabel(self.statistic)
        ax.set_ylabel("bootstrap replicates")
        return ax


def _boot(num, den, n_boot, level, seed, method, statistic) -> BootstrapResult:
    out = _fstats.bootstrap_ratio_of_sums(num, den, n_boot=n_boot, level=level, seed=seed, method=method)
    reps = out["replicates"]
    set_readonly(reps)
    return BootstrapResult(out["estimate"], out["se"], out["ci_low"], out["ci_high"], level, method, int(num.size),
                           int(n_boot), statistic, reps)


def bootstrap_mean(values, weights=None, n_boot: int = 2000, level: float = 0.95, seed=0,
                   method: str = "bca") -> BootstrapResult:
    r"""Mean (or weighted mean $\sum w_i x_i / \sum w_i$) with a bootstrap interval that resamples people.

    For example Cambridge Crime Harm Index days per person. Harm is highly skewed (a few serious offences
    dominate), so the default interval is BCa (Efron 1987), which corrects the percentile interval for
    bias and skewness; see `foundation_eval.stats.bootstrap_ratio_of_sums` for the formulas.

    Parameters
    ----------
    values : array-like
        One value per person.
    weights : array-like, optional
        Case weights (e.g. inverse-probability weights).
    n_boot : int
        Replicates.
    level : float
        Confidence level.
    seed : int
        Fixes the draws.
    method : {"bca", "percentile", "normal"}
        Interval method.

    Returns
    -------
    BootstrapResult

    Examples
    --------
    Efron and Tibshirani (1993) Table 2.1, mouse treatment group: mean 86.86, ideal bootstrap SE 23.36
    (their Table 6.1):

    >>> res = bootstrap_mean([94, 197, 16, 38, 99, 141, 23], n_boot=4000, seed=3)
    >>> round(res.estimate, 2), abs(res.se - 23.36) < 1.0
    (86.86, True)
    """
    x = as_float(values, "values")
    w = np.ones(x.size) if weights is None else as_weights(weights, x.size)
    return _boot(w * x, w, n_boot, level, seed, method, "weighted mean" if weights is not None else "mean")


def bootstrap_ratio(numerator, denominator, n_boot: int = 2000, level: float = 0.95, seed=0,
                    method: str = "bca") -> BootstrapResult:
    r"""Ratio of sums $\sum_i a_i / \sum_i b_i$ with a bootstrap interval resampling people.

    For example harm per person-year (a = harm of person i, b = their years at risk). Unlike the Poisson
    interval this allows for people who offend repeatedly. BCa by default; formulas in
    `foundation_eval.stats.bootstrap_ratio_of_sums`.

    Parameters
    ----------
    numerator, denominator : array-like
        One value per person; denominators non-negative with a positive total.
    n_boot : int
        Replicates.
    level : float
        Confidence level.
    seed : int
        Fixes the draws.
    method : {"bca", "percentile", "normal"}
        Interval method.

    Returns
    -------
    BootstrapResult

    Examples
    --------
    >>> res = bootstrap_ratio([0, 30, 0, 180, 20], [1.0, 2.0, 0.5, 1.5, 1.0], n_boot=500, seed=1)
    >>> round(res.estimate, 2), res.ci_low < res.estimate < res.ci_high
    (38.33, True)
    """
    a = as_float(numerator, "numerator")
    b = as_float(denominator, "denominator")
    if b.size != a.size:
        raise ValueError(f"denominator has length {b.size} but numerator has length {a.size}")
    if (b < 0).any() or b.sum() <= 0:
        raise ValueError("denominator must be non-negative with a positive total")
    return _boot(a, b, n_boot, level, seed, method, "ratio of sums")
