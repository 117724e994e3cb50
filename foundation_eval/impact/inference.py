"""Resampling inference shared by the impact estimators.

* :func:`bootstrap_weights` - Rademacher, Mammen (1993) and Webb (2014) six-point multipliers.
* :func:`multiplier_bootstrap` - the multiplier bootstrap of an influence-function matrix used by
  Callaway & Sant'Anna (2021, section 4) and the R ``did`` package (``mboot``): bootstrap standard
  errors from the interquartile range and the sup-t critical value for simultaneous bands.
* :func:`wild_cluster_bootstrap` - the restricted wild cluster bootstrap (WCR) of Cameron, Gelbach &
  Miller (2008, *Rev Econ Stat* 90:414-427) for one coefficient of a linear model, with a p-value
  from bootstrap t-statistics and a confidence interval by test inversion (as in Roodman, MacKinnon,
  Nielsen & Webb 2019, *Stata J* 19:4-60). Webb weights are the default because with few clusters
  (a force has a dozen or so districts) two-point weights give too few distinct bootstrap samples.
* :func:`permutation_p_value` and :class:`RandomizationResult` - randomisation (permutation)
  inference (Fisher's exact test of the sharp null of no effect for any unit). Used with
  :func:`foundation_eval.impact.randomization_inference` over go-live dates.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

__all__ = [
    "bootstrap_weights",
    "multiplier_bootstrap",
    "MultiplierBootstrap",
    "wild_cluster_bootstrap",
    "WildBootstrapResult",
    "permutation_p_value",
    "RandomizationResult",
    "multiset_permutations",
    "n_distinct_permutations",
]

_SQRT5 = math.sqrt(5.0)


def bootstrap_weights(kind: str, size, rng: np.random.Generator) -> np.ndarray:
    """Draw bootstrap multipliers with mean 0 and variance 1.

    ``"rademacher"``: +-1 with probability 1/2. ``"mammen"``: (1-sqrt5)/2 with probability
    (sqrt5+1)/(2 sqrt5), else (1+sqrt5)/2 (Mammen 1993, *Ann Stat* 21:255-285; the R ``did``
    default). ``"webb"``: +-sqrt(1/2), +-1, +-sqrt(3/2) each with probability 1/6 (Webb 2014,
    Queen's Economics Department WP 1315; also third moment 0, fourth moment 7/6).
    """
    kind = kind.lower()
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=size)
    if kind == "mammen":
        p = (_SQRT5 + 1) / (2 * _SQRT5)
        lo, hi = (1 - _SQRT5) / 2, (1 + _SQRT5) / 2
        return np.where(rng.random(size) < p, lo, hi)
    if kind == "webb":
        vals = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])
        return rng.choice(vals, size=size)
    if kind == "normal":
        return rng.standard_normal(size)
    raise ValueError(f"unknown bootstrap weights {kind!r}: use 'rademacher', 'mammen', 'webb' or 'normal'")


# --------------------------------------------------------------------------------------------------
# multiplier bootstrap of influence functions (Callaway & Sant'Anna 2021, Algorithm 1)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MultiplierBootstrap:
    """Output of :func:`multiplier_bootstrap`.

    Attributes
    ----------
    se : ndarray
        Bootstrap standard errors, ``IQR / (z_0.75 - z_0.25) / sqrt(n_clusters)`` as in R ``did``.
    crit : float
        Sup-t critical value for simultaneous bands at the requested level (pointwise normal
        quantile when there is a single column).
    draws : ndarray
        ``n_boot x k`` matrix of ``sqrt(n_clusters) * (theta* - theta_hat)``.
    n_clusters : int
    """

    se: np.ndarray
    crit: float
    draws: np.ndarray = field(repr=False)
    n_clusters: int


def multiplier_bootstrap(
    inf: np.ndarray,
    *,
    n_boot: int = 999,
    level: float = 0.95,
    weights: str = "mammen",
    seed: int | np.random.Generator | None = 0,
    cluster: np.ndarray | None = None,
) -> MultiplierBootstrap:
    r"""Multiplier bootstrap of an ``n x k`` influence-function matrix.

    Each draw is :math:`\hat\theta^* - \hat\theta = n^{-1}\sum_c V_c \sum_{i \in c}\psi_i` with
    multipliers :math:`V_c` drawn per cluster (per unit when ``cluster`` is None). Standard errors are
    the robust interquartile-range estimate used by the R ``did`` package, and the critical value of
    the simultaneous band is the ``level`` quantile of :math:`\max_j |\theta^*_j - \hat\theta_j| / se_j`
    (Callaway & Sant'Anna 2021, section 4.1). Columns with (numerically) zero variance are ignored when
    taking the maximum.

    Clusters: R ``did`` bootstraps cluster *means* of the influence function; here the cluster *sums*
    are used, which is the standard clustered multiplier bootstrap and identical when every cluster is
    one unit.
    """
    inf = np.asarray(inf, dtype=float)
    if inf.ndim == 1:
        inf = inf[:, None]
    n, k = inf.shape
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if cluster is None:
        sums = inf
    else:
        codes, _ = pd.factorize(np.asarray(cluster))
        sums = np.zeros((codes.max() + 1, k))
        np.add.at(sums, codes, inf)
    n_cl = sums.shape[0]
    v = bootstrap_weights(weights, (n_boot, n_cl), rng)
    # theta* - theta = (1/n) sum_c v_c S_c ; scaled by sqrt(n_cl) as in did::mboot
    draws = (v @ sums) / n * math.sqrt(n_cl)
    q75 = np.quantile(draws, 0.75, axis=0, method="inverted_cdf")
    q25 = np.quantile(draws, 0.25, axis=0, method="inverted_cdf")
    bsigma = (q75 - q25) / (_st.norm.ppf(0.75) - _st.norm.ppf(0.25))
    ok = bsigma > math.sqrt(np.finfo(float).eps) * 10
    if ok.sum() == 0:
        crit = float("nan")
    elif ok.sum() == 1 and k == 1:
        crit = float(_st.norm.ppf(0.5 + level / 2))
    else:
        bt = np.max(np.abs(draws[:, ok] / bsigma[ok]), axis=1)
        crit = float(np.quantile(bt, level, method="inverted_cdf"))
    se = np.where(ok, bsigma / math.sqrt(n_cl), np.nan)
    return MultiplierBootstrap(se=se, crit=crit, draws=draws, n_clusters=n_cl)


# --------------------------------------------------------------------------------------------------
# wild cluster bootstrap for one coefficient of a linear model
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WildBootstrapResult:
    """Restricted wild cluster bootstrap: p-value and test-inversion interval for one coefficient."""

    estimate: float
    se: float
    t_stat: float
    p_value: float
    ci_low: float
    ci_high: float
    level: float
    n_boot: int
    n_clusters: int
    weights: str

    def table(self) -> pd.DataFrame:
        """One-row table of the bootstrap inference."""
        return pd.DataFrame([{k: getattr(self, k) for k in self.__dataclass_fields__}])


def _group_sum(codes: np.ndarray, x: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum the rows of ``x`` within groups (sparse indicator product, fast for wide ``x``)."""
    from scipy import sparse

    ind = sparse.csr_matrix((np.ones(codes.size), (codes, np.arange(codes.size))), shape=(n_groups, codes.size))
    return np.asarray(ind @ x)


def wild_cluster_bootstrap(
    y: np.ndarray,
    X: np.ndarray,
    clusters,
    *,
    coef: int = 0,
    n_boot: int = 9999,
    weights: str = "webb",
    seed: int | None = 0,
    level: float = 0.95,
    small_sample: float | None = None,
    reproject: Callable[[np.ndarray], np.ndarray] | None = None,
) -> WildBootstrapResult:
    r"""Restricted wild cluster bootstrap-t (WCR) for coefficient ``coef`` of ``y = X b + u``.

    For a null value :math:`b_0` the restricted model (``b[coef] = b_0``) is fitted by OLS, its
    residuals :math:`\tilde u` are multiplied by one draw :math:`v_g` per cluster,
    :math:`y^* = \hat y_{r} + v_g \tilde u` is re-estimated and the cluster-robust t-statistic
    :math:`t^* = (b^* - b_0)/se^*` computed. The p-value is :math:`P^*(|t^*| \ge |t|)` (symmetric),
    and the interval collects the :math:`b_0` not rejected at ``1 - level`` (found by bisection
    with the same multipliers). Cameron, Gelbach & Miller (2008); Webb (2014) weights by default.

    Because :math:`\tilde u` is linear in :math:`b_0`, the bootstrap residuals and scores are
    computed once for two basis vectors and every :math:`b_0` costs only ``O(G x B)``.

    Parameters
    ----------
    y, X : arrays
        Outcome and regressors. Fixed effects may be partialled out beforehand (Frisch-Waugh-Lovell);
        then pass ``reproject`` (the same partialling as a function of an ``N x B`` array) so that the
        bootstrap outcomes are projected in the same way.
    clusters : array-like
        Cluster labels, one per row.
    small_sample : float, optional
        Factor multiplying the cluster-robust variance; default ``G/(G-1) * (N-1)/(N-K)``.
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    n, k = X.shape
    codes, _ = pd.factorize(np.asarray(clusters))
    n_cl = int(codes.max()) + 1
    if n_cl < 2:
        raise ValueError("the wild cluster bootstrap needs at least two clusters")
    factor = small_sample if small_sample is not None else n_cl / (n_cl - 1) * (n - 1) / (n - k)
    xtx_inv = np.linalg.pinv(X.T @ X)
    c = (X @ xtx_inv)[:, coef]
    beta = xtx_inv @ (X.T @ y)
    resid = y - X @ beta
    s_obs = _group_sum(codes, (c * resid)[:, None], n_cl)[:, 0]
    se = float(math.sqrt(factor * float(s_obs @ s_obs)))
    b_hat = float(beta[coef])

    # restricted residuals are u(b0) = u0 - b0 * rx
    others = [j for j in range(k) if j != coef]
    xj = X[:, coef]
    if others:
        Xo = X[:, others]
        po = np.linalg.pinv(Xo.T @ Xo) @ Xo.T
        u0 = y - Xo @ (po @ y)
        rx = xj - Xo @ (po @ xj)
    else:
        u0, rx = y.copy(), xj.copy()
    rng = np.random.default_rng(seed)
    v = bootstrap_weights(weights, (n_cl, n_boot), rng)[codes]  # N x B

    def resid_parts(u):
        a = u[:, None] * v
        if reproject is not None:
            a = reproject(a)
        ca = c @ a  # b* - b0 contribution
        e = a - X @ (xtx_inv @ (X.T @ a))
        return ca, _group_sum(codes, c[:, None] * e, n_cl)

    cA, SA = resid_parts(u0)
    cB, SB = resid_parts(rx)

    def pvalue(b0: float) -> tuple[float, float]:
        num = cA - b0 * cB
        sc = SA - b0 * SB
        sestar = np.sqrt(factor * np.sum(sc**2, axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            tstar = num / sestar
        t_obs = (b_hat - b0) / se
        return float(np.mean(np.abs(tstar) >= abs(t_obs))), t_obs

    p, t_obs = pvalue(0.0)
    alpha = 1 - level

    def bound(direction: int) -> float:
        inside = b_hat
        step = max(se, 1e-12)
        outside = b_hat + direction * 2 * step
        for _ in range(60):
            if pvalue(outside)[0] < alpha:
                break
            inside = outside
            step *= 2
            outside = b_hat + direction * 2 * step
        else:
            return direction * math.inf
        for _ in range(60):
            mid = 0.5 * (inside + outside)
            if pvalue(mid)[0] < alpha:
                outside = mid
            else:
                inside = mid
            if abs(outside - inside) < 1e-7 * max(se, 1e-12):
                break
        return 0.5 * (inside + outside)

    lo, hi = bound(-1), bound(+1)
    return WildBootstrapResult(
        estimate=b_hat,
        se=se,
        t_stat=float(t_obs),
        p_value=p,
        ci_low=lo,
        ci_high=hi,
        level=level,
        n_boot=n_boot,
        n_clusters=n_cl,
        weights=weights,
    )


# --------------------------------------------------------------------------------------------------
# randomisation inference
# --------------------------------------------------------------------------------------------------


def n_distinct_permutations(labels) -> int:
    """Number of distinct rearrangements of ``labels`` (multinomial coefficient)."""
    counts = Counter(np.asarray(labels).tolist())
    out = math.factorial(sum(counts.values()))
    for c in counts.values():
        out //= math.factorial(c)
    return out


def multiset_permutations(labels) -> Iterator[np.ndarray]:
    """Yield every distinct rearrangement of ``labels`` once (lexicographic order)."""
    arr = sorted(np.asarray(labels).tolist())
    n = len(arr)
    while True:
        yield np.array(arr)
        # next lexicographic permutation (Narayana Pandita)
        i = n - 2
        while i >= 0 and arr[i] >= arr[i + 1]:
            i -= 1
        if i < 0:
            return
        j = n - 1
        while arr[j] <= arr[i]:
            j -= 1
        arr[i], arr[j] = arr[j], arr[i]
        arr[i + 1 :] = reversed(arr[i + 1 :])


def permutation_p_value(observed: float, null: np.ndarray, *, alternative: str = "two-sided", exact: bool = False) -> float:
    """p-value of ``observed`` against permutation draws ``null``.

    With ``exact=True`` the draws are the complete randomisation distribution (observed assignment
    included) and the p-value is the share at least as extreme. Otherwise the draws are a random
    sample and the p-value is ``(1 + #extreme) / (1 + n_draws)`` (Phipson & Smyth 2010, *Stat Appl
    Genet Mol Biol* 9:39), which is never zero and is valid.
    """
    null = np.asarray(null, dtype=float)
    null = null[~np.isnan(null)]
    tol = 1e-12 * max(1.0, abs(observed))
    if alternative == "two-sided":
        extreme = np.abs(null) >= abs(observed) - tol
    elif alternative == "greater":
        extreme = null >= observed - tol
    elif alternative == "less":
        extreme = null <= observed + tol
    else:
        raise ValueError("alternative must be 'two-sided', 'greater' or 'less'")
    if exact:
        return float(np.mean(extreme))
    return float((1 + extreme.sum()) / (1 + null.size))


@dataclass(frozen=True)
class RandomizationResult:
    """Randomisation-inference result for a scalar statistic.

    Attributes
    ----------
    observed : float
        Statistic for the actual assignment.
    null_distribution : ndarray
        Statistic under each permuted assignment (excluding the observed one unless ``exact``).
    p_value : float
    exact : bool
        Whether every distinct assignment was enumerated.
    n_assignments : int
        Number of distinct assignments possible.
    description : str
        What was permuted.
    """

    observed: float
    null_distribution: np.ndarray = field(repr=False)
    p_value: float
    exact: bool
    n_assignments: int
    alternative: str = "two-sided"
    description: str = ""

    @property
    def n_draws(self) -> int:
        return int(self.null_distribution.size)

    def table(self) -> pd.DataFrame:
        """One-row summary."""
        return pd.DataFrame(
            [
                {
                    "observed": self.observed,
                    "p_value": self.p_value,
                    "exact": self.exact,
                    "n_draws": self.n_draws,
                    "n_assignments": self.n_assignments,
                    "alternative": self.alternative,
                }
            ]
        )

    def summary_sentence(self, digits: int = 3) -> str:
        kind = "all" if self.exact else f"{self.n_draws} randomly drawn"
        return (
            f"Randomisation inference ({self.description}; {kind} of {self.n_assignments:,} possible "
            f"assignments): observed statistic {self.observed:.{digits}f}, p = {self.p_value:.{digits}f}."
        )

    def plot(self, ax=None):
        """Histogram of the randomisation distribution with the observed statistic marked."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        ax.hist(self.null_distribution, bins=30, color="0.75", edgecolor="white")
        ax.axvline(self.observed, color="C3", lw=2, label=f"observed (p = {self.p_value:.3f})")
        ax.set_xlabel("statistic under re-assigned go-live dates")
        ax.set_ylabel("count")
        ax.legend(frameon=False)
        return ax
