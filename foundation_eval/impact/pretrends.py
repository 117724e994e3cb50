r"""Power of the pre-trend test and the bias that survives it (Roth 2022, "Pretest with caution").

Roth, J. (2022). Pretest with caution: event-study estimates after testing for parallel trends.
*American Economic Review: Insights* 4(3):305-322. The inputs are those of the R package
``pretrends``: event-study coefficients $\hat\beta \sim N(\beta, \Sigma)$ at relative times $t$ with
the reference period $t_0$ omitted; pre-periods are $t < t_0$, post-periods $t > t_0$. Under a
hypothesised difference in trends $\delta$ (and no effect), $\beta = \delta$.

The pre-test passes when no pre-period coefficient is significant,
$|\hat\beta_j| \le c\,\sigma_j$ for every pre-period $j$ (`test="individual"`, the package's test;
$c = z_{1-\alpha/2}$), or when the joint Wald statistic is small,
$\hat\beta_{pre}'\Sigma_{pre}^{-1}\hat\beta_{pre} \le \chi^2_{K, 1-\alpha}$ (`test="joint"`). Then:

- **power** $= 1 - P(\text{pass} \mid \delta)$: a rectangle probability of $N(\delta_{pre}, \Sigma_{pre})$
  (Genz's algorithm, scipy) for the individual test; $1 - F_{\chi^2_K(\lambda)}(\chi^2_{K,1-\alpha})$
  with non-centrality $\lambda = \delta_{pre}'\Sigma_{pre}^{-1}\delta_{pre}$ for the joint test;
- **Bayes factor** $P(\text{pass} \mid \delta) / P(\text{pass} \mid 0)$ and **likelihood ratio**
  $\phi(\hat\beta_{pre}; \delta_{pre}, \Sigma_{pre}) / \phi(\hat\beta_{pre}; 0, \Sigma_{pre})$;
- **expectation after pre-testing** $E[\hat\beta \mid \text{pass}]$: for the pre-periods the mean of
  the truncated normal (Tallis 1961 for a rectangle; for the Wald ellipsoid one integral along the
  direction of $\Sigma_{pre}^{-1/2}\delta_{pre}$), and for the post-periods
  $\delta_{post} + \Sigma_{post,pre}\Sigma_{pre}^{-1}(E[\hat\beta_{pre} \mid \text{pass}] - \delta_{pre})$.
  With no true effect this is the **bias conditional on passing** the pre-test (Roth 2022, section 3);
  the unconditional bias is $\delta_{post}$;
- the **slope for a given power**: the linear trend $\delta_t = \gamma (t - t_0)$ that the pre-test
  detects with probability 50% (or 80%).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st
from scipy.integrate import quad
from scipy.optimize import brentq

__all__ = ["pretrend_power", "PretrendPower", "slope_for_power"]

_TESTS = ("individual", "joint")


def _rectangle_probability(mean: np.ndarray, cov: np.ndarray, half_width: np.ndarray, seed: int) -> float:
    """P(|X_j| <= half_width_j for all j), X ~ N(mean, cov)."""
    return _box_probability(mean, cov, -half_width, half_width, seed)


def _box_probability(mean, cov, lower, upper, seed) -> float:
    """P(lower <= X <= upper), X ~ N(mean, cov), bounds possibly infinite."""
    k = mean.size
    if k == 0:
        return 1.0
    if k == 1:
        sd = math.sqrt(cov[0, 0])
        return float(_st.norm.cdf((upper[0] - mean[0]) / sd) - _st.norm.cdf((lower[0] - mean[0]) / sd))
    # Genz's quasi-Monte Carlo algorithm, seeded so that repeated calls (root finding) agree
    dist = _st.multivariate_normal(mean=mean, cov=cov, allow_singular=True, seed=seed, maxpts=50000 * k,
                                   abseps=1e-7, releps=0.0)
    p = dist.cdf(upper, lower_limit=lower)
    return float(min(max(p, 0.0), 1.0))


def _rectangle_mean(mean, cov, half_width, seed) -> np.ndarray:
    """E[X | |X_j| <= h_j for all j] for X ~ N(mean, cov): Tallis (1961) first moment.

    E[X] = mean + cov (F(a) - F(b)) / P, with F_k(x) the density of X_k at x times the probability
    that the other coordinates lie in their bounds given X_k = x.
    """
    k = mean.size
    lo, hi = -half_width, half_width
    prob = _rectangle_probability(mean, cov, half_width, seed)
    f = np.zeros(k)
    for j in range(k):
        others = np.arange(k) != j
        sd = math.sqrt(cov[j, j])
        for bound, sign in ((lo[j], 1.0), (hi[j], -1.0)):
            dens = _st.norm.pdf(bound, loc=mean[j], scale=sd)
            if others.any():
                c_oj = cov[others, j]
                cmean = mean[others] + c_oj * (bound - mean[j]) / cov[j, j]
                ccov = cov[np.ix_(others, others)] - np.outer(c_oj, c_oj) / cov[j, j]
                dens *= _box_probability(cmean, ccov, lo[others], hi[others], seed)
            f[j] += sign * dens
    return mean + cov @ f / prob


def _ellipsoid_pass_and_mean(mean, cov, crit):
    """P(X' cov^-1 X <= crit) and E[X | pass] for X ~ N(mean, cov)."""
    k = mean.size
    chol = np.linalg.cholesky(cov)
    m = np.linalg.solve(chol, mean)
    r = float(np.linalg.norm(m))
    prob = float(_st.ncx2.cdf(crit, k, r**2)) if r > 0 else float(_st.chi2.cdf(crit, k))
    if r == 0:
        return prob, np.zeros(k)
    root = math.sqrt(crit)

    def rest(w):  # P(chi2_{k-1} <= crit - w^2)
        return 1.0 if k == 1 else float(_st.chi2.cdf(crit - w * w, k - 1))

    den = quad(lambda w: _st.norm.pdf(w - r) * rest(w), -root, root, epsabs=1e-13, limit=200)[0]
    num = quad(lambda w: w * _st.norm.pdf(w - r) * rest(w), -root, root, epsabs=1e-13, limit=200)[0]
    return prob, chol @ (m / r * (num / den))


def _check(betahat, sigma, t, reference_period):
    s = np.asarray(sigma, dtype=float)
    tv = np.asarray(t, dtype=float).ravel()
    n = tv.size
    if s.shape != (n, n):
        raise ValueError(f"sigma must be {n} x {n}, one row per relative time in t (got {s.shape})")
    if not np.allclose(s, s.T, rtol=1e-8, atol=1e-12 * max(1.0, float(np.abs(s).max()))):
        raise ValueError("sigma must be symmetric")
    if np.any(np.diag(s) <= 0):
        raise ValueError("sigma must have positive variances on its diagonal")
    if np.any(tv == reference_period):
        raise ValueError(f"t must not contain the reference period {reference_period} (its coefficient is omitted)")
    pre = tv < reference_period
    if not pre.any():
        raise ValueError(f"no pre-period: every t is after the reference period {reference_period}")
    b = None
    if betahat is not None:
        b = np.asarray(betahat, dtype=float).ravel()
        if b.size != n:
            raise ValueError(f"betahat has {b.size} coefficients; t has {n}")
    return b, (s + s.T) / 2, tv, pre


def _pass_probability(delta_pre, sigma_pre, test, crit, seed) -> float:
    if test == "individual":
        return _rectangle_probability(delta_pre, sigma_pre, crit * np.sqrt(np.diag(sigma_pre)), seed)
    return _ellipsoid_pass_and_mean(delta_pre, sigma_pre, crit)[0]


def _critical(test, alpha, k, critical_value):
    if critical_value is not None:
        return float(critical_value)
    if test == "individual":
        return float(_st.norm.ppf(1 - alpha / 2))
    return float(_st.chi2.ppf(1 - alpha, k))


def slope_for_power(sigma, t, reference_period: float = 0, *, power: float = 0.5, test: str = "individual",
                    alpha: float = 0.05, critical_value: float | None = None, seed: int = 0) -> float:
    r"""Slope $\gamma$ of the linear trend $\delta_t = \gamma (t - t_0)$ that the pre-test detects with probability `power`.

    Solves $1 - P(\text{pass} \mid \gamma (t_{pre} - t_0)) = $ `power` for $\gamma > 0$ (Roth 2022;
    R ``pretrends::slope_for_power``). The answer is a magnitude: a trend of $-\gamma$ has the same
    power.

    Parameters
    ----------
    sigma : array-like
        Covariance of the event-study coefficients.
    t : array-like
        Relative time of each coefficient (the reference period omitted).
    reference_period : float
        The omitted period $t_0$ (``-1`` when the period before go-live is the reference).
    power : float
        Target power, in (size, 1).
    test : {"individual", "joint"}
        Pre-test: no pre-period coefficient significant, or the joint Wald test.
    alpha : float
        Level of the pre-test.
    critical_value : float, optional
        Override of the critical value ($|t|$ for "individual", the Wald statistic for "joint"); R's
        package uses 1.96.
    seed : int
        Seed of the quasi-Monte Carlo rectangle probabilities (individual test).

    Returns
    -------
    float
        The slope, in the units of the coefficients per period.

    Raises
    ------
    ValueError
        For an unknown `test`, a `power` outside (size, 1), or inconsistent inputs.

    Examples
    --------
    One pre-period two periods before the reference, standard error 1: the test detects the trend
    with probability 50% when $2\gamma$ is about $z_{0.975} = 1.96$:

    >>> from foundation_eval.impact import slope_for_power
    >>> round(slope_for_power([[1.0, 0.0], [0.0, 1.0]], t=[-2, 1], reference_period=0, power=0.5), 3)
    0.98
    """
    if test not in _TESTS:
        raise ValueError(f"test must be one of {_TESTS} (got {test!r})")
    _, s, tv, pre = _check(None, sigma, t, reference_period)
    sp = s[np.ix_(pre, pre)]
    rel = tv[pre] - reference_period
    crit = _critical(test, alpha, int(pre.sum()), critical_value)
    size = 1 - _pass_probability(np.zeros(rel.size), sp, test, crit, seed)
    if not size < power < 1:
        raise ValueError(f"power must lie between the size of the pre-test ({size:.3f}) and 1 (got {power})")

    def gap(g):
        return 1 - _pass_probability(g * rel, sp, test, crit, seed) - power

    hi = 8 * float(np.sqrt(np.diag(sp)).max())
    for _ in range(60):
        if gap(hi) > 0:
            break
        hi *= 2
    return float(brentq(gap, 0.0, hi, xtol=1e-10 * hi, rtol=1e-9))


@dataclass(frozen=True)
class PretrendPower:
    r"""Power of the pre-trend test against a hypothesised trend, and what passing it implies (immutable).

    Returned by [`pretrend_power`][foundation_eval.impact.pretrend_power].

    Attributes
    ----------
    test : str
        ``"individual"`` or ``"joint"``.
    power : float
        Probability that the pre-test rejects (finds a pre-trend) under $\delta$.
    size : float
        Probability that it rejects under parallel trends ($\delta = 0$).
    bayes_factor : float
        $P(\text{pass} \mid \delta) / P(\text{pass} \mid 0) = (1 - power) / (1 - size)$.
    likelihood_ratio : float
        Density of the observed pre-period coefficients under $\delta$ over that under 0 (NaN without
        `betahat`).
    slope : float
        Slope of the hypothesised linear trend (NaN when `deltatrue` was given instead).
    slope_power_50, slope_power_80 : float
        Slopes of linear trends the pre-test detects with probability 50% and 80%.
    frame : DataFrame
        One row per relative time, the reference period included (zeros): `t`, `betahat`, `deltatrue`,
        `se`, `mean_after_pretest` ($E[\hat\beta \mid \text{pass}]$ under $\delta$) and `post`.
    critical_value : float
        The critical value of the pre-test.

    Examples
    --------
    >>> from foundation_eval.impact import pretrend_power
    >>> r = pretrend_power(None, [[1.0, 0.0], [0.0, 1.0]], t=[-2, 1], reference_period=0, slope=0.0)
    >>> round(r.power, 3), round(r.bayes_factor, 3)      # the size of a 5% test
    (0.05, 1.0)
    """

    test: str
    power: float
    size: float
    bayes_factor: float
    likelihood_ratio: float
    slope: float
    slope_power_50: float
    slope_power_80: float
    frame: pd.DataFrame = field(repr=False)
    critical_value: float = 1.96

    @property
    def bias_after_pretest(self) -> pd.Series:
        """Expected post-period coefficients given that the pre-test passed, with no true effect.

        Returns
        -------
        Series
            $E[\\hat\\beta_t \\mid \\text{pass}]$ for each post-period $t$ (the bias of
            $\\hat\\beta_t$ as an estimate of the effect after pre-testing), indexed by `t`.
        """
        f = self.frame[self.frame["post"]]
        return pd.Series(f["mean_after_pretest"].to_numpy(), index=f["t"].to_numpy(), name="bias_after_pretest")

    def table(self) -> pd.DataFrame:
        """One row of power statistics (power, size, Bayes factor, likelihood ratio, slopes).

        Returns
        -------
        DataFrame
            Columns `test`, `power`, `size`, `bayes_factor`, `likelihood_ratio`, `slope`,
            `slope_power_50`, `slope_power_80`, `critical_value`.

        Examples
        --------
        >>> from foundation_eval.impact import pretrend_power
        >>> t = pretrend_power(None, [[1.0, 0.0], [0.0, 1.0]], t=[-2, 1], slope=1.0).table()
        >>> list(t.columns)[:4]
        ['test', 'power', 'size', 'bayes_factor']
        """
        return pd.DataFrame([{
            "test": self.test, "power": self.power, "size": self.size, "bayes_factor": self.bayes_factor,
            "likelihood_ratio": self.likelihood_ratio, "slope": self.slope, "slope_power_50": self.slope_power_50,
            "slope_power_80": self.slope_power_80, "critical_value": self.critical_value,
        }])

    def plot(self, ax=None):
        """Event plot: estimates with 95% intervals, the hypothesised trend and the mean after pre-testing.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new 6 x 4 inch figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from foundation_eval.impact import pretrend_power
        >>> r = pretrend_power([0.1, 0.3], [[1.0, 0.0], [0.0, 1.0]], t=[-2, 1], slope=0.5)
        >>> ax = r.plot()
        >>> ax.get_xlabel()
        'relative time'
        >>> plt.close("all")
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        f = self.frame
        z = float(_st.norm.ppf(0.975))
        if f["betahat"].notna().any():
            ax.errorbar(f["t"], f["betahat"], yerr=z * f["se"], fmt="o", color="0.2", ms=4, capsize=2,
                        label="estimate")
        ax.plot(f["t"], f["deltatrue"], color="C3", marker="^", ms=4, label="hypothesised trend")
        ax.plot(f["t"], f["mean_after_pretest"], color="C0", ls="--", marker="s", ms=4,
                label="expectation after pre-testing")
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.set_xlabel("relative time")
        ax.set_ylabel("coefficient")
        ax.legend(frameon=False, fontsize=8)
        return ax


def pretrend_power(betahat, sigma, t, reference_period: float = 0, *, deltatrue=None, slope: float | None = None,
                   test: str = "individual", alpha: float = 0.05, critical_value: float | None = None,
                   seed: int = 0) -> PretrendPower:
    r"""Power of the pre-trend test against a hypothesised difference in trends (Roth 2022).

    Give either `deltatrue` (one value per coefficient; R ``pretrends::pretrends``) or `slope`
    ($\delta_t = \gamma (t - t_0)$). See the module text for the formulas.

    Parameters
    ----------
    betahat : array-like or None
        Estimated event-study coefficients (only for the likelihood ratio and the plot); None to
        study the design alone.
    sigma : array-like
        Their covariance matrix.
    t : array-like
        Relative time of each coefficient (the reference period omitted).
    reference_period : float
        The omitted period $t_0$.
    deltatrue : array-like, optional
        Hypothesised difference in trends at each `t`.
    slope : float, optional
        Slope of a hypothesised linear difference in trends (instead of `deltatrue`).
    test : {"individual", "joint"}
        Pre-test: no pre-period coefficient significant, or the joint Wald test.
    alpha : float
        Level of the pre-test.
    critical_value : float, optional
        Override of the critical value; R's package uses 1.96 for the individual test.
    seed : int
        Seed of the quasi-Monte Carlo rectangle probabilities (individual test).

    Returns
    -------
    PretrendPower

    Raises
    ------
    ValueError
        When neither or both of `deltatrue` and `slope` are given, for an unknown `test`, or for
        inconsistent dimensions.

    Examples
    --------
    A single pre-period with standard error 1, a trend of slope 1 per period two periods before the
    reference: the test sees a mean of -2 and rejects with probability $\Phi(-1.96 + 2) +
    \Phi(-1.96 - 2) = 0.516$. If it passes, $\hat\beta_{-2}$ is a normal truncated to $[-1.96, 1.96]$,
    with mean $-2 + (\phi(0.04) - \phi(3.96)) / (\Phi(3.96) - \Phi(0.04)) = -1.177$, and the
    post-period coefficient (correlation 0.5) is expected at $1 + 0.5 (-1.177 + 2) = 1.412$ instead of 1:

    >>> from foundation_eval.impact import pretrend_power
    >>> s = [[1.0, 0.5], [0.5, 1.0]]
    >>> r = pretrend_power(None, s, t=[-2, 1], reference_period=0, slope=1.0)
    >>> round(r.power, 3)
    0.516
    >>> r.frame[["t", "deltatrue", "mean_after_pretest"]].round(3).to_dict("list")
    {'t': [-2.0, 0.0, 1.0], 'deltatrue': [-2.0, 0.0, 1.0], 'mean_after_pretest': [-1.177, 0.0, 1.412]}
    """
    if test not in _TESTS:
        raise ValueError(f"test must be one of {_TESTS} (got {test!r})")
    if (deltatrue is None) == (slope is None):
        raise ValueError("give exactly one of deltatrue and slope")
    b, s, tv, pre = _check(betahat, sigma, t, reference_period)
    post = tv > reference_period
    if slope is not None:
        delta = float(slope) * (tv - reference_period)
    else:
        delta = np.asarray(deltatrue, dtype=float).ravel()
        if delta.size != tv.size:
            raise ValueError(f"deltatrue has {delta.size} values; t has {tv.size}")
    sp = s[np.ix_(pre, pre)]
    k = int(pre.sum())
    crit = _critical(test, alpha, k, critical_value)
    if test == "individual":
        pass_delta = _pass_probability(delta[pre], sp, test, crit, seed)
        mean_pre = _rectangle_mean(delta[pre], sp, crit * np.sqrt(np.diag(sp)), seed)
    else:
        pass_delta, mean_pre = _ellipsoid_pass_and_mean(delta[pre], sp, crit)
    pass_zero = _pass_probability(np.zeros(k), sp, test, crit, seed)
    mean = delta.copy()
    mean[pre] = mean_pre
    coef = s[np.ix_(~pre, pre)] @ np.linalg.inv(sp)
    mean[~pre] = delta[~pre] + coef @ (mean_pre - delta[pre])
    if b is not None:
        dist_alt = _st.multivariate_normal(mean=delta[pre], cov=sp)
        dist_null = _st.multivariate_normal(mean=np.zeros(k), cov=sp)
        lr = float(np.exp(dist_alt.logpdf(b[pre]) - dist_null.logpdf(b[pre])))
    else:
        lr = math.nan
    frame = pd.DataFrame({
        "t": np.r_[tv, float(reference_period)],
        "betahat": np.r_[b if b is not None else np.full(tv.size, np.nan), 0.0],
        "deltatrue": np.r_[delta, 0.0],
        "se": np.r_[np.sqrt(np.diag(s)), 0.0],
        "mean_after_pretest": np.r_[mean, 0.0],
        "post": np.r_[post, False],
    }).sort_values("t", kind="stable").reset_index(drop=True)
    slopes = []
    for target in (0.5, 0.8):
        try:
            slopes.append(slope_for_power(s, tv, reference_period, power=target, test=test, alpha=alpha,
                                          critical_value=critical_value, seed=seed))
        except ValueError:
            slopes.append(math.nan)
    return PretrendPower(test=test, power=1 - pass_delta, size=1 - pass_zero,
                         bayes_factor=pass_delta / pass_zero, likelihood_ratio=lr,
                         slope=float(slope) if slope is not None else math.nan, slope_power_50=slopes[0],
                         slope_power_80=slopes[1], frame=frame, critical_value=crit)
