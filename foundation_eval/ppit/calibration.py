r"""Calibration: does the observed outcome rate match the score band or the predicted risk?

* `calibration_table`: observed proportion with the outcome by score band (or by
  quantile group of a predicted probability), each with a Wilson interval.
* `calibration_in_the_large_and_slope`: logistic recalibration of predicted
  probabilities (Cox 1958, *Biometrika* 45:562-565; Van Calster et al. 2016, *J Clin
  Epidemiol* 74:167-176).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.checks import as_binary, as_float, as_probability, check_level, same_length
from foundation_eval.ppit._common import logit, readonly
from foundation_eval.results import Result
from foundation_eval.stats import wilson_interval, z_value

__all__ = [
    "CalibrationTable",
    "CalibrationResult",
    "calibration_table",
    "calibration_in_the_large_and_slope",
]


@dataclass(frozen=True, eq=False)
class CalibrationTable(Result):
    """Observed outcome proportion by band (see `calibration_table`).

    Attributes
    ----------
    level : float
        Confidence level of the Wilson intervals.
    is_probability : bool
        Whether the input values were probabilities (then `plot` draws the diagonal).

    Examples
    --------
    >>> ct = calibration_table([1, 1, 2, 2, 2, 3, 3, 3, 3, 3], [0, 0, 0, 1, 0, 1, 1, 0, 1, 1], bins="unique")
    >>> ct.table()[["band", "n", "events"]].values.tolist()
    [['1', 2, 0], ['2', 3, 1], ['3', 5, 4]]
    """

    level: float
    is_probability: bool
    _table: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """One row per band.

        Returns
        -------
        DataFrame
            ``band, lower, upper, n, events, observed`` (proportion), ``ci_low, ci_high`` (Wilson) and
            ``mean_predicted`` (mean input value in the band: a probability, or the mean score).
        """
        return self._table.copy()

    def plot(self, ax=None, **kwargs):
        """Observed proportion (with Wilson intervals) against the band's mean input value.

        For probabilities the line of perfect calibration is drawn.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.
        **kwargs
            Passed to ``Axes.errorbar``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(5, 4))
        t = self._table
        yerr = np.vstack([t["observed"] - t["ci_low"], t["ci_high"] - t["observed"]])
        ax.errorbar(t["mean_predicted"], t["observed"], yerr=yerr, fmt="o", capsize=3, **kwargs)
        if self.is_probability:
            ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
            ax.set_xlabel("Mean predicted probability")
            ax.set_xlim(0, 1)
        else:
            ax.set_xlabel("Mean score in band")
        ax.set_ylabel("Observed proportion with outcome")
        ax.set_ylim(0, 1)
        return ax


def calibration_table(
    predicted_or_score, outcomes, bins=10, level: float = 0.95, labels=None
) -> CalibrationTable:
    """Observed proportion with the outcome by score band, with Wilson intervals.

    Parameters
    ----------
    predicted_or_score : array-like
        A score (e.g. PPIT total) or a predicted probability.
    outcomes : array-like of 0/1
        Observed binary outcome.
    bins : int, "unique" or sequence of band edges
        * int: that many groups of (nearly) equal size by quantile; tied values are never split,
          so fewer groups may result.
        * ``"unique"``: one band per distinct value (natural for a short integer score).
        * sequence of edges ``[e0, e1, ..., ek]``: bands ``e0 <= x < e1``, ..., the last band
          closed on the right (``e_{k-1} <= x <= ek``). Values outside the edges raise an error.
    level : float
        Confidence level.
    labels : sequence of str, optional
        Names of the bands when edges are given.

    Returns
    -------
    CalibrationTable

    Notes
    -----
    Wilson (1927) score intervals from `foundation_eval.stats.wilson_interval`.
    Bands with few people should be merged or suppressed before publication
    (see the disclosure module).

    Examples
    --------
    One band per PPIT-like score; the observed share in band 3 is 4/5 with its Wilson interval:

    >>> ct = calibration_table([1, 1, 2, 2, 2, 3, 3, 3, 3, 3], [0, 0, 0, 1, 0, 1, 1, 0, 1, 1], bins="unique")
    >>> [round(float(v), 4) for v in ct.table().loc[2, ["observed", "ci_low", "ci_high"]]]
    [0.8, 0.3755, 0.9638]
    """
    x = as_float(predicted_or_score, "predicted_or_score")
    y = as_binary(outcomes, require_both=False)
    same_length(predicted_or_score=x, outcomes=y)
    check_level(level)
    if isinstance(bins, str):
        if bins != "unique":
            raise ValueError(f"bins must be an int, 'unique' or a sequence of edges, got {bins!r}")
        band = pd.Categorical(x)
        lower = upper = np.asarray(band.categories, dtype=float)
        names = [f"{v:g}" for v in band.categories]
        codes = band.codes
    elif np.ndim(bins) == 0:
        q = int(bins)
        if q < 1:
            raise ValueError("bins must be at least 1")
        codes, edges = pd.qcut(x, q, labels=False, retbins=True, duplicates="drop")
        codes = np.asarray(codes)
        lower, upper = edges[:-1], edges[1:]
        names = [f"Q{i + 1}" for i in range(lower.size)]
    else:
        edges = np.asarray(bins, dtype=float)
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError("bin edges must be an increasing sequence of at least two values")
        outside = (x < edges[0]) | (x > edges[-1])
        if outside.any():
            raise ValueError(
                f"{int(outside.sum())} value(s) fall outside the band edges [{edges[0]:g}, {edges[-1]:g}]"
            )
        codes = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, edges.size - 2)
        lower, upper = edges[:-1], edges[1:]
        names = [
            f"[{lo:g}, {hi:g}{']' if i == edges.size - 2 else ')'}"
            for i, (lo, hi) in enumerate(zip(lower, upper, strict=True))
        ]
    if labels is not None:
        if len(labels) != len(names):
            raise ValueError(f"labels has {len(labels)} entries but there are {len(names)} bands")
        names = list(map(str, labels))
    k = len(names)
    n = np.bincount(codes, minlength=k)
    events = np.bincount(codes, weights=y, minlength=k).astype(int)
    sums = np.bincount(codes, weights=x, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = np.where(n > 0, events / np.maximum(n, 1), np.nan)
        mean_pred = np.where(n > 0, sums / np.maximum(n, 1), np.nan)
    lo, hi = wilson_interval(events, n, level)
    table = pd.DataFrame(
        {
            "band": names,
            "lower": lower,
            "upper": upper,
            "n": n,
            "events": events,
            "observed": observed,
            "ci_low": lo,
            "ci_high": hi,
            "mean_predicted": mean_pred,
        }
    )
    is_prob = bool(((x >= 0) & (x <= 1)).all() and not np.all(np.mod(x, 1) == 0))
    return CalibrationTable(level=float(level), is_probability=is_prob, _table=table)


@dataclass(frozen=True, eq=False)
class CalibrationResult(Result):
    """Calibration-in-the-large and calibration slope with Wald intervals.

    Attributes
    ----------
    intercept, intercept_se, intercept_ci_low, intercept_ci_high : float
        Calibration-in-the-large $a$ (0 when the average risk is right; > 0 when risk is
        under-predicted).
    slope, slope_se, slope_ci_low, slope_ci_high : float
        Calibration slope $b$ (1 when ideal; < 1 when predictions are too extreme, the
        signature of overfitting).
    observed, expected : float
        Observed events and the sum of predicted probabilities; ``oe_ratio`` = observed/expected.

    intercept_p_value, slope_p_value : float
        Tests of intercept = 0 and slope = 1.
    oe_ratio : float
    n : int
    level : float

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> eta = rng.normal(-1, 1, 2000)
    >>> y = rng.uniform(size=2000) < 1 / (1 + np.exp(-eta))        # outcomes drawn from the predictions
    >>> res = calibration_in_the_large_and_slope(1 / (1 + np.exp(-eta)), y)
    >>> res.intercept_ci_low < 0 < res.intercept_ci_high, res.slope_ci_low < 1 < res.slope_ci_high
    (True, True)
    """

    intercept: float
    intercept_se: float
    intercept_ci_low: float
    intercept_ci_high: float
    intercept_p_value: float
    slope: float
    slope_se: float
    slope_ci_low: float
    slope_ci_high: float
    slope_p_value: float
    observed: int
    expected: float
    oe_ratio: float
    n: int
    level: float
    _p: np.ndarray = field(repr=False, compare=False)
    _y: np.ndarray = field(repr=False, compare=False)

    def table(self) -> pd.DataFrame:
        """Both measures with their intervals.

        Returns
        -------
        DataFrame
            Rows ``calibration_in_the_large`` and ``calibration_slope``; columns ``estimate, se, ci_low,
            ci_high, ideal, p_value`` (``p_value`` tests intercept = 0 and slope = 1 respectively).
        """
        return pd.DataFrame(
            {
                "estimate": [self.intercept, self.slope],
                "se": [self.intercept_se, self.slope_se],
                "ci_low": [self.intercept_ci_low, self.slope_ci_low],
                "ci_high": [self.intercept_ci_high, self.slope_ci_high],
                "ideal": [0.0, 1.0],
                "p_value": [self.intercept_p_value, self.slope_p_value],
            },
            index=pd.Index(["calibration_in_the_large", "calibration_slope"]),
        )

    def plot(self, ax=None, bins: int = 10, **kwargs):
        """Calibration plot: decile groups with Wilson intervals, a LOWESS smooth, the diagonal.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.
        bins : int
            Number of quantile groups.
        **kwargs
            Passed to the group markers.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from statsmodels.nonparametric.smoothers_lowess import lowess

        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(5, 4))
        calibration_table(self._p, self._y, bins=bins, level=self.level).plot(ax=ax, **kwargs)
        smooth = lowess(self._y, self._p, frac=2 / 3, it=0, return_sorted=True)
        ax.plot(smooth[:, 0], smooth[:, 1], color="C1", label="LOWESS")
        ax.set_title(f"Calibration: intercept {self.intercept:.2f}, slope {self.slope:.2f}")
        return ax


def calibration_in_the_large_and_slope(predicted_prob, outcomes, level: float = 0.95) -> CalibrationResult:
    r"""Calibration-in-the-large and calibration slope of predicted probabilities.

    With $\eta_i = \mathrm{logit}(\hat p_i)$:

    * slope $b$ from the logistic regression
      $\mathrm{logit}\,P(Y_i = 1) = a' + b\,\eta_i$ (Cox 1958);
    * calibration-in-the-large $a$ from
      $\mathrm{logit}\,P(Y_i = 1) = a + \eta_i$, i.e. the slope fixed at 1 through an
      offset (Van Calster et al. 2016, level "mean calibration").

    Both are maximum-likelihood fits (statsmodels GLM, binomial family); intervals and p-values
    are Wald (the slope's tests $b = 1$). When every $\hat p_i = p_0$ the
    intercept is exactly $\mathrm{logit}(\bar y) - \mathrm{logit}(p_0)$.

    Parameters
    ----------
    predicted_prob : array-like
        Predicted probabilities in (0, 1).
    outcomes : array-like of 0/1
        Observed binary outcome.
    level : float
        Confidence level.

    Returns
    -------
    CalibrationResult

    Examples
    --------
    Every prediction 0.3 and 5 of 10 outcomes: the intercept is logit(0.5) - logit(0.3) = 0.8473
    (the slope is not identified and is NaN):

    >>> import numpy as np
    >>> res = calibration_in_the_large_and_slope(np.full(10, 0.3), [0, 0, 0, 1, 0, 1, 1, 0, 1, 1])
    >>> round(res.intercept, 4)
    0.8473
    """
    import statsmodels.api as sm

    p = as_probability(predicted_prob)
    y = as_binary(outcomes)
    same_length(predicted_prob=p, outcomes=y)
    z = z_value(level)
    eta = logit(p)
    fit_a = sm.GLM(y, np.ones((y.size, 1)), family=sm.families.Binomial(), offset=eta).fit()
    a, a_se = float(fit_a.params[0]), float(fit_a.bse[0])
    if np.ptp(eta) > 0:
        fit_b = sm.GLM(y, sm.add_constant(eta), family=sm.families.Binomial()).fit()
        b, b_se = float(fit_b.params[1]), float(fit_b.bse[1])
    else:
        b, b_se = float("nan"), float("nan")
    return CalibrationResult(
        intercept=a,
        intercept_se=a_se,
        intercept_ci_low=a - z * a_se,
        intercept_ci_high=a + z * a_se,
        intercept_p_value=float(2 * _st.norm.sf(abs(a / a_se))),
        slope=b,
        slope_se=b_se,
        slope_ci_low=b - z * b_se,
        slope_ci_high=b + z * b_se,
        slope_p_value=float(2 * _st.norm.sf(abs((b - 1) / b_se))),
        observed=int(y.sum()),
        expected=float(p.sum()),
        oe_ratio=float(y.sum() / p.sum()),
        n=int(y.size),
        level=float(level),
        _p=readonly(p),
        _y=readonly(y),
    )
