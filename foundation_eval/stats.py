"""Small-sample interval estimators shared by every module.

Intervals here are the ones DESIGN.md names: Wilson score intervals for proportions and exact
(Garwood) Poisson intervals for rates.
"""
from __future__ import annotations

import numpy as np
from scipy import stats as _st

__all__ = ["wilson_interval", "poisson_rate_interval"]


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level!r}")
    return float(_st.norm.ppf(0.5 + level / 2))


def wilson_interval(successes, n, level: float = 0.95):
    r"""Wilson score interval for a binomial proportion.

    .. math::
        \frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}

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
    (low, high) : tuple of float or of arrays
    """
    x = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    if np.any(x < 0) or np.any(x > m):
        raise ValueError("successes must lie between 0 and n")
    z = _z(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / m
        denom = 1 + z**2 / m
        centre = (p + z**2 / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / denom
        low = np.where(m > 0, np.clip(centre - half, 0, 1), np.nan)
        high = np.where(m > 0, np.clip(centre + half, 0, 1), np.nan)
    # exact bounds at the edges (the formula gives them up to rounding)
    low = np.where(x == 0, 0.0, low)
    high = np.where((x == m) & (m > 0), 1.0, high)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def poisson_rate_interval(events, exposure, level: float = 0.95):
    r"""Rate with exact (Garwood) Poisson interval.

    For ``k`` events in exposure ``T`` the bounds are

    .. math::
        \frac{\chi^2_{2k,\,\alpha/2}}{2T}, \qquad \frac{\chi^2_{2k+2,\,1-\alpha/2}}{2T}

    Garwood (1936), *Biometrika* 28:437-442; tabulated in Ulm (1990), *Am J Epidemiol* 131:373-375.

    Returns
    -------
    (rate, low, high) : tuple of float or of arrays
        Events per unit of exposure (e.g. per person-year when exposure is in years).
    """
    k = np.asarray(events, dtype=float)
    t = np.asarray(exposure, dtype=float)
    if np.any(k < 0):
        raise ValueError("events must be non-negative")
    if np.any(t <= 0):
        raise ValueError("exposure must be positive")
    alpha = 1 - level
    _z(level)
    low = np.where(k > 0, _st.chi2.ppf(alpha / 2, 2 * k) / 2, 0.0) / t
    high = _st.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2 / t
    rate = k / t
    if np.ndim(rate) == 0:
        return float(rate), float(low), float(high)
    return rate, low, high
