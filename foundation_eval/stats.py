"""Small-sample interval estimators shared by every module.

Intervals here are the ones DESIGN.md names: Wilson score intervals for proportions and exact
(Garwood) Poisson intervals for rates.
"""
from __future__ import annotations

import functools

import numpy as np
from scipy import stats as _st

from foundation_eval.checks import check_level

__all__ = ["z_value", "t_value", "wilson_interval", "poisson_rate_interval", "bootstrap_ratio_of_sums",
           "newcombe_difference", "cluster_jackknife_difference"]


def z_value(level: float) -> float:
    r"""Two-sided standard normal critical value for a confidence level, $z_{(1 + \text{level}) / 2}$.

    The one place the library turns a confidence level into a normal quantile (1.96 for 0.95): a
    `level`-interval is the estimate plus or minus `z_value(level)` standard errors.

    Parameters
    ----------
    level : float
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    float
        The $(1 + \text{level}) / 2$ quantile of the standard normal distribution.

    Raises
    ------
    ValueError
        When `level` is not a number strictly between 0 and 1.

    Examples
    --------
    The values printed in every table of the normal distribution:

    >>> round(z_value(0.95), 4), round(z_value(0.90), 4), round(z_value(0.99), 4)
    (1.96, 1.6449, 2.5758)
    """
    check_level(level)
    return _normal_quantile(float(level))


@functools.lru_cache(maxsize=64)
def _normal_quantile(level: float) -> float:
    # a page asks for the same few levels thousands of times; scipy's ppf costs 0.1 ms a call
    return float(_st.norm.ppf(0.5 + level / 2))


def t_value(level: float, df: float) -> float:
    r"""Two-sided Student-t critical value for a confidence level, $t_{(1 + \text{level}) / 2,\,\nu}$.

    Parameters
    ----------
    level : float
        Confidence level, strictly between 0 and 1.
    df : float
        Degrees of freedom $\nu$ (positive).

    Returns
    -------
    float
        The $(1 + \text{level}) / 2$ quantile of Student's t on `df` degrees of freedom.

    Raises
    ------
    ValueError
        When `level` is not a number strictly between 0 and 1.

    Examples
    --------
    The values printed in every table of Student's t (Fisher & Yates): 2.776 on 4 df, 2.228 on 10 df.

    >>> round(t_value(0.95, 4), 3), round(t_value(0.95, 10), 3)
    (2.776, 2.228)
    """
    check_level(level)
    return float(_st.t.ppf(0.5 + level / 2, df))


def wilson_interval(successes, n, level: float = 0.95):
    r"""Wilson score interval for a binomial proportion.

    $$
    \frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}
    $$

    Wilson (1927), *J Am Stat Assoc* 22:209-212; method 3 of Newcombe (1998), *Stat Med* 17:857-872,
    whose Table I gives the reference values used in the tests.

    Parameters
    ----------
    successes, n : int or array-like
        Number of successes and trials. ``n == 0`` gives ``(nan, nan)``.
    level : float
        Confidence level.

    Returns
    -------
    low : float or numpy.ndarray
        Lower bound of the interval for the proportion; an array (elementwise) when the inputs are arrays.
    high : float or numpy.ndarray
        Upper bound, likewise.

    Raises
    ------
    ValueError
        When ``successes`` is negative or exceeds ``n``, or ``level`` is not in (0, 1).

    Examples
    --------
    Newcombe (1998) Table I, 81 of 263:

    >>> low, high = wilson_interval(81, 263)
    >>> round(low, 4), round(high, 4)
    (0.2553, 0.3662)
    >>> wilson_interval([0, 5], [10, 10])[1].round(4)
    array([0.2775, 0.7634])
    """
    x = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    if np.any(x < 0) or np.any(x > m):
        raise ValueError("successes must lie between 0 and n")
    z = z_value(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / m
        denom = 1 + z**2 / m
        centre = (p + z**2 / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / denom
        low = np.where(m > 0, np.clip(centre - half, 0, 1), np.nan)
        high = np.where(m > 0, np.clip(centre + half, 0, 1), np.nan)
    # exact bounds at the edges (the formula gives them up to rounding)
    low = np.where((x == 0) & (m > 0), 0.0, low)
    high = np.where((x == m) & (m > 0), 1.0, high)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def poisson_rate_interval(events, exposure, level: float = 0.95):
    r"""Rate with exact (Garwood) Poisson interval.

    For ``k`` events in exposure ``T`` the bounds are

    $$
    \frac{\chi^2_{2k,\,\alpha/2}}{2T}, \qquad \frac{\chi^2_{2k+2,\,1-\alpha/2}}{2T}
    $$

    Garwood (1936), *Biometrika* 28:437-442; tabulated in Ulm (1990), *Am J Epidemiol* 131:373-375.

    Parameters
    ----------
    events : int or array-like
        Number of events ``k`` (non-negative).
    exposure : float or array-like
        Exposure ``T`` (positive), e.g. person-years.
    level : float
        Confidence level.

    Returns
    -------
    rate : float or numpy.ndarray
        Events per unit of exposure, $k / T$ (e.g. per person-year when exposure is in years); an array
        (elementwise) when the inputs are arrays.
    low : float or numpy.ndarray
        Lower bound of the interval for the rate, in the same units.
    high : float or numpy.ndarray
        Upper bound, likewise.

    Raises
    ------
    ValueError
        For negative events or non-positive exposure.

    Examples
    --------
    Ulm (1990): 3 events give exact limits 0.619 and 8.77 (per unit exposure):

    >>> rate, low, high = poisson_rate_interval(3, 1.0)
    >>> round(low, 3), round(high, 2)
    (0.619, 8.77)
    >>> poisson_rate_interval(0, 10.0)[2].__round__(4)   # upper limit with no event: 3.689 / 10
    0.3689
    """
    k = np.asarray(events, dtype=float)
    t = np.asarray(exposure, dtype=float)
    if np.any(k < 0):
        raise ValueError("events must be non-negative")
    if np.any(t <= 0):
        raise ValueError("exposure must be positive")
    alpha = 1 - level
    check_level(level)
    low = np.where(k > 0, _st.chi2.ppf(alpha / 2, 2 * k) / 2, 0.0) / t
    high = _st.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2 / t
    rate = k / t
    if np.ndim(rate) == 0:
        return float(rate), float(low), float(high)
    return rate, low, high


def bootstrap_ratio_of_sums(numerator, denominator, n_boot: int = 2000, level: float = 0.95, seed=0,
                            method: str = "bca"):
    r"""Nonparametric bootstrap of $\hat\theta = \sum_i a_i / \sum_i b_i$, resampling units i.

    A (weighted) mean is the case $a_i = w_i x_i,\ b_i = w_i$; harm per person-year is
    $a_i$ = harm, $b_i$ = years at risk of person i.

    Intervals (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, ch. 13-14):
    ``"percentile"`` takes the $\alpha/2$ and $1-\alpha/2$ quantiles of the replicates;
    ``"bca"`` adjusts those quantiles for bias $z_0 = \Phi^{-1}(\#\{\theta^* < \hat\theta\}/B)$
    and acceleration $a = \sum d_i^3 / (6 (\sum d_i^2)^{3/2})$, $d_i = \bar\theta_{(\cdot)} - \theta_{(i)}$,
    from the leave-one-out values, which for a ratio of sums are exact in closed form
    $\theta_{(i)} = (A - a_i)/(B - b_i)$ (so no O(n^2) jackknife is needed);
    ``"normal"`` is $\hat\theta \pm z\,\mathrm{SD}(\theta^*)$.

    Parameters
    ----------
    numerator, denominator : array-like
        One value per unit, $a_i$ and $b_i$ (one-dimensional, same length, finite; the
        denominators non-negative with a positive total).
    n_boot : int
        Bootstrap replicates (at least 100).
    level : float
        Confidence level.
    seed : int or numpy Generator seed
        Random seed; the same seed gives the same interval.
    method : {"bca", "percentile", "normal"}
        Interval method.

    Returns
    -------
    dict
        ``estimate``, ``se`` (SD of the replicates), ``ci_low``, ``ci_high`` and ``replicates``.

    Examples
    --------
    Harm days per person-year for five people:

    >>> res = bootstrap_ratio_of_sums([0, 30, 0, 180, 20], [1.0, 2.0, 0.5, 1.5, 1.0], n_boot=500, seed=1)
    >>> round(res["estimate"], 2)
    38.33
    >>> res["ci_low"] < res["estimate"] < res["ci_high"]
    True
    """
    a = np.asarray(numerator, dtype=float)
    b = np.asarray(denominator, dtype=float)
    if a.ndim != 1 or b.shape != a.shape:
        raise ValueError("numerator and denominator must be one-dimensional and of equal length")
    if a.size < 2:
        raise ValueError("the bootstrap needs at least two units")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("numerator and denominator must be finite (no missing values)")
    if (b < 0).any() or b.sum() <= 0:
        raise ValueError("denominator must be non-negative with a positive total")
    if method not in ("bca", "percentile", "normal"):
        raise ValueError(f"method must be 'bca', 'percentile' or 'normal', got {method!r}")
    if int(n_boot) < 100:
        raise ValueError("n_boot must be at least 100")
    z = z_value(level)
    alpha = 1 - level
    n = a.size
    A, B = a.sum(), b.sum()
    est = A / B
    rng = np.random.default_rng(seed)
    reps = np.empty(int(n_boot))
    chunk = max(1, int(4_000_000 // n))
    done = 0
    while done < reps.size:
        k = min(chunk, reps.size - done)
        idx = rng.integers(0, n, size=(k, n))
        with np.errstate(invalid="ignore", divide="ignore"):
            reps[done:done + k] = a[idx].sum(axis=1) / b[idx].sum(axis=1)
        done += k
    reps = reps[np.isfinite(reps)]
    se = float(reps.std(ddof=1))
    if method == "normal":
        low, high = est - z * se, est + z * se
    elif method == "percentile":
        low, high = np.quantile(reps, [alpha / 2, 1 - alpha / 2])
    else:
        prop = np.mean(reps < est) + 0.5 * np.mean(reps == est)
        prop = min(max(prop, 1 / (reps.size + 1)), 1 - 1 / (reps.size + 1))
        z0 = _st.norm.ppf(prop)
        with np.errstate(invalid="ignore", divide="ignore"):
            loo = (A - a) / (B - b)
        loo = loo[np.isfinite(loo)]
        d = loo.mean() - loo
        denom = 6 * (d**2).sum() ** 1.5
        acc = (d**3).sum() / denom if denom > 0 else 0.0
        q = []
        for zz in (-z, z):
            q.append(_st.norm.cdf(z0 + (z0 + zz) / (1 - acc * (z0 + zz))))
        low, high = np.quantile(reps, q)
    return {"estimate": float(est), "se": se, "ci_low": float(low), "ci_high": float(high), "replicates": reps}


def newcombe_difference(x1, n1, x2, n2, level: float = 0.95) -> tuple[float, float, float]:
    r"""Difference of two independent proportions with Newcombe's hybrid score interval.

    With $\hat\theta = p_1 - p_2$ and Wilson limits $(l_i, u_i)$ of each proportion,

    $$
    \left(\hat\theta - \sqrt{(p_1 - l_1)^2 + (u_2 - p_2)^2},\;
          \hat\theta + \sqrt{(u_1 - p_1)^2 + (p_2 - l_2)^2}\right)
    $$

    Method 10 of Newcombe (1998), *Stat Med* 17:873-890, whose Table II gives the reference values
    used in the tests.

    Parameters
    ----------
    x1, n1 : int
        Successes and trials in the first group.
    x2, n2 : int
        Successes and trials in the second group.
    level : float
        Confidence level.

    Returns
    -------
    difference : float
        ``p1 - p2``, the difference of the two proportions; ``nan`` when a group is empty.
    low : float
        Lower bound of its interval; ``nan`` when a group is empty.
    high : float
        Upper bound, likewise.

    Examples
    --------
    Newcombe (1998) Table II, example (a): 56/70 against 48/80 gives 0.0524 to 0.3339:

    >>> d, low, high = newcombe_difference(56, 70, 48, 80)
    >>> round(d, 2), round(low, 4), round(high, 4)
    (0.2, 0.0524, 0.3339)
    """
    if n1 <= 0 or n2 <= 0:
        return float("nan"), float("nan"), float("nan")
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, level)
    l2, u2 = wilson_interval(x2, n2, level)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return float(d), float(low), float(high)


def cluster_jackknife_difference(outcome, group, cluster, level: float = 0.95) -> tuple[float, float, float, float, int]:
    r"""Difference of two means (or proportions) with a leave-one-cluster-out jackknife-t interval.

    $\hat d = \bar y_1 - \bar y_0$ over the rows with `group` true and false. With clusters $g = 1..G$
    (districts), $\hat d_{(g)}$ is the difference with cluster $g$ left out and

    $$SE^2 = \frac{G-1}{G} \sum_g (\hat d_{(g)} - \bar d_{(\cdot)})^2,$$

    the delete-one-group jackknife (Efron & Stein 1981, *Ann Stat* 9:586-596; for clustered data,
    MacKinnon, Nielsen & Webb 2023, *J Econometrics* 232:272-299, the CV3 variance); the interval is
    $\hat d \pm t_{G-1, 1-\alpha/2} SE$. It allows for outcomes correlated within a cluster (district
    effects, district-by-period shocks), which an interval for independent people (Newcombe's) does not.

    Parameters
    ----------
    outcome : array-like of float
        The outcome of each row (0/1 for a proportion).
    group : array-like of bool
        True for the first group, False for the second.
    cluster : array-like
        The cluster of each row.
    level : float
        Confidence level.

    Returns
    -------
    tuple of (float, float, float, float, int)
        `(difference, ci_low, ci_high, se, clusters)`; the interval is NaN with fewer than two clusters
        or when leaving a cluster out empties a group.

    Raises
    ------
    ValueError
        When the arrays differ in length or a group is empty.

    Examples
    --------
    Four clusters of one person in each group: the difference is 3/4 - 1/4 = 0.5; leaving out each
    cluster in turn gives 1/3, 1/3, 1/3 and 1, mean 1/2, so
    $SE^2 = \frac{3}{4}(3 \cdot \frac{1}{36} + \frac{1}{4}) = 0.25$:

    >>> y = [1, 0, 1, 0, 1, 0, 0, 1]
    >>> g = [True, False, True, False, True, False, True, False]
    >>> c = [1, 1, 2, 2, 3, 3, 4, 4]
    >>> d, lo, hi, se, G = cluster_jackknife_difference(y, g, c)
    >>> d, round(se, 6), G
    (0.5, 0.5, 4)
    >>> round(lo, 4), round(hi, 4)          # 0.5 -/+ t(3, 0.975) x 0.5, t = 3.1824 (Fisher & Yates)
    (-1.0912, 2.0912)
    """
    y = np.asarray(outcome, dtype=float)
    g = np.asarray(group, dtype=bool)
    c = np.unique(np.asarray(cluster), return_inverse=True)[1].ravel()
    if not (len(y) == len(g) == len(c)):
        raise ValueError("outcome, group and cluster must have the same length")
    if not g.any() or g.all():
        raise ValueError("both groups need at least one row")
    G = int(c.max()) + 1
    # sums by cluster and group, so each leave-one-out difference is a subtraction
    s1 = np.bincount(c, y * g, G)
    n1 = np.bincount(c, g.astype(float), G)
    s0 = np.bincount(c, y * ~g, G)
    n0 = np.bincount(c, (~g).astype(float), G)
    d = s1.sum() / n1.sum() - s0.sum() / n0.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        loo = (s1.sum() - s1) / (n1.sum() - n1) - (s0.sum() - s0) / (n0.sum() - n0)
    if G < 2 or not np.isfinite(loo).all():
        return float(d), float("nan"), float("nan"), float("nan"), G
    se = float(np.sqrt((G - 1) / G * np.sum((loo - loo.mean()) ** 2)))
    crit = t_value(level, G - 1)
    return float(d), float(d - crit * se), float(d + crit * se), se, G
