"""Resampling inference shared by the impact estimators.

- `bootstrap_weights`: Rademacher, Mammen (1993) and Webb (2014) six-point multipliers.
- `multiplier_bootstrap`: the multiplier bootstrap of an influence-function matrix used by
  Callaway & Sant'Anna (2021, section 4) and the R `did` package (`mboot`): bootstrap standard
  errors from the interquartile range and the sup-t critical value for simultaneous bands.
- `wild_cluster_bootstrap`: the restricted wild cluster bootstrap (WCR) of Cameron, Gelbach &
  Miller (2008, *Rev Econ Stat* 90:414-427) for one coefficient of a linear model, with a p-value
  from bootstrap t-statistics and a confidence interval by test inversion (as in Roodman, MacKinnon,
  Nielsen & Webb 2019, *Stata J* 19:4-60). Webb weights are the default because with few clusters
  (a force has a dozen or so districts) two-point weights give too few distinct bootstrap samples.
- `permutation_p_value` and `RandomizationResult`: randomisation (permutation) inference (Fisher's
  exact test of the sharp null of no effect for any unit), with `multiset_permutations` and
  `n_distinct_permutations` to enumerate assignments. Used by
  [`randomization_inference`][foundation_eval.impact.randomization_inference] over go-live dates.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.impact._panel import group_sum
from foundation_eval.stats import z_value

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
    r"""Draw bootstrap multipliers with mean 0 and variance 1.

    The multipliers $V$ of the multiplier and wild bootstraps:

    - `"rademacher"`: $\pm 1$ with probability 1/2 each.
    - `"mammen"`: $(1-\sqrt5)/2$ with probability $(\sqrt5+1)/(2\sqrt5)$, else $(1+\sqrt5)/2$
      (Mammen 1993, *Ann Stat* 21:255-285; third moment 1; the R `did` default).
    - `"webb"`: $\pm\sqrt{1/2}, \pm 1, \pm\sqrt{3/2}$, each with probability 1/6 (Webb 2014,
      Queen's Economics Department WP 1315; third moment 0, fourth moment 7/6). With $G$ clusters it
      gives $6^G$ distinct draws where two-point weights give only $2^G$.
    - `"normal"`: standard normal.

    Parameters
    ----------
    kind : str
        Multiplier distribution: "rademacher", "mammen", "webb" or "normal" (case-insensitive).
    size : int or tuple of int
        Shape of the array drawn, e.g. `(n_boot, n_clusters)`.
    rng : numpy.random.Generator
        Source of randomness (`numpy.random.default_rng(seed)`).

    Returns
    -------
    ndarray
        Multipliers of shape `size`.

    Raises
    ------
    ValueError
        When `kind` is none of the four.

    Examples
    --------
    Mammen's two points are $-0.618$ and $1.618$; the draws have mean about 0 and variance about 1:

    >>> import numpy as np
    >>> from foundation_eval.impact import bootstrap_weights
    >>> v = bootstrap_weights("mammen", 200_000, np.random.default_rng(0))
    >>> np.unique(v).round(3).tolist()
    [-0.618, 1.618]
    >>> round(float(v.mean()), 2), round(float(v.var()), 2)
    (-0.0, 1.0)
    >>> np.unique(bootstrap_weights("webb", 1000, np.random.default_rng(0))).round(4).tolist()
    [-1.2247, -1.0, -0.7071, 0.7071, 1.0, 1.2247]
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
    r"""Output of [`multiplier_bootstrap`][foundation_eval.impact.multiplier_bootstrap] (immutable).

    Attributes
    ----------
    se : ndarray
        Bootstrap standard error of each column, $\mathrm{IQR}/(z_{0.75} - z_{0.25})/\sqrt{G}$ of
        the draws as in R `did` (NaN for columns with no variance), in the units of the estimates.
    crit : float
        Sup-t critical value for simultaneous bands at the requested level (the pointwise normal
        quantile when there is a single column; NaN when no column varies). A band is
        `estimate +- crit * se`.
    draws : ndarray
        `n_boot x k` matrix of $\sqrt{G}\,(\hat\theta^* - \hat\theta)$.
    n_clusters : int
        Number $G$ of independent multipliers per draw: clusters, or units without clustering.

    Examples
    --------
    >>> import numpy as np
    >>> from foundation_eval.impact import multiplier_bootstrap
    >>> psi = np.random.default_rng(1).normal(0, 2, (400, 3))
    >>> b = multiplier_bootstrap(psi - psi.mean(axis=0), n_boot=199, seed=1)
    >>> b.se.shape, b.draws.shape, b.n_clusters
    ((3,), (199, 3), 400)
    >>> bool(b.crit > 1.96)     # a simultaneous band over 3 columns is wider than a pointwise one
    True
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
    r"""Multiplier bootstrap of an `n x k` influence-function matrix.

    Each draw is $\hat\theta^* - \hat\theta = n^{-1}\sum_c V_c \sum_{i \in c}\psi_i$ with
    multipliers $V_c$ drawn per cluster (per unit when `cluster` is None). Standard errors are
    the robust interquartile-range estimate used by the R `did` package,
    $\widehat{se}_j = \mathrm{IQR}_j / (z_{0.75} - z_{0.25}) / \sqrt{G}$ of the draws
    $\sqrt{G}(\theta^*_j - \hat\theta_j)$ ($G$ clusters), and the critical value of the simultaneous
    band is the `level` quantile of $\max_j |\theta^*_j - \hat\theta_j| / \widehat{se}_j$
    (Callaway & Sant'Anna 2021, *J Econometrics* 225:200-230, section 4.1 and Algorithm 1). Columns
    with (numerically) zero variance are ignored when taking the maximum.

    Clusters: R `did` bootstraps cluster *means* of the influence function; here the cluster *sums*
    are used, which is the standard clustered multiplier bootstrap and identical when every cluster is
    one unit.

    Parameters
    ----------
    inf : ndarray
        Influence functions, `n x k` (or length `n` for one estimate), scaled so that
        $\hat\theta - \theta \approx n^{-1}\sum_i \psi_i$ (the convention of R `did`).
    n_boot : int
        Number of bootstrap draws.
    level : float
        Coverage of the simultaneous band, in (0, 1).
    weights : {"mammen", "rademacher", "webb", "normal"}
        Multiplier distribution, see
        [`bootstrap_weights`][foundation_eval.impact.bootstrap_weights].
    seed : int, numpy.random.Generator or None
        Seed, or a generator to draw from.
    cluster : array_like, optional
        Cluster label of each of the `n` rows; each row is its own cluster when omitted.

    Returns
    -------
    MultiplierBootstrap
        Bootstrap standard errors, the sup-t critical value and the draws.

    Examples
    --------
    The influence function of a sample mean is $\psi_i = x_i - \bar x$, whose analytic standard
    error is $\sqrt{\sum_i\psi_i^2}/n$; the bootstrap standard error is close to it:

    >>> import numpy as np
    >>> from foundation_eval.impact import multiplier_bootstrap
    >>> x = np.random.default_rng(1).normal(10, 2, 400)
    >>> psi = x - x.mean()
    >>> round(float(np.sqrt(np.sum(psi**2)) / x.size), 3)
    0.091
    >>> b = multiplier_bootstrap(psi, n_boot=999, seed=1)
    >>> round(float(b.se[0]), 3), round(b.crit, 2)
    (0.088, 1.96)
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
        crit = z_value(level)
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
    r"""Restricted wild cluster bootstrap: p-value and test-inversion interval for one coefficient.

    Returned by [`wild_cluster_bootstrap`][foundation_eval.impact.wild_cluster_bootstrap] (immutable).

    Attributes
    ----------
    estimate : float
        OLS estimate of the coefficient.
    se : float
        Cluster-robust (CR1) standard error with the small-sample factor used by the bootstrap.
    t_stat : float
        `estimate / se`, the t-statistic for a zero coefficient.
    p_value : float
        Symmetric bootstrap p-value for a zero coefficient, $P^*(|t^*| \ge |t|)$.
    ci_low, ci_high : float
        Interval by test inversion: the null values not rejected at `1 - level` (infinite when the
        bootstrap cannot reject any value on that side, as can happen with very few clusters).
    level : float
        Confidence level of the interval.
    n_boot : int
        Bootstrap draws.
    n_clusters : int
        Number of clusters.
    weights : str
        Multiplier distribution used.

    Examples
    --------
    >>> import numpy as np
    >>> from foundation_eval.impact import wild_cluster_bootstrap
    >>> rng = np.random.default_rng(3)
    >>> cl = np.repeat(np.arange(8), 5)
    >>> d = (cl < 4).astype(float)
    >>> y = 1 + 0.5 * d + rng.normal(0, 0.5, 8)[cl] + rng.normal(0, 1, 40)
    >>> r = wild_cluster_bootstrap(y, np.column_stack([d, np.ones(40)]), cl, n_boot=999, seed=1)
    >>> r.n_clusters, r.weights, round(r.p_value, 3)
    (8, 'webb', 0.211)
    """

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
        """One-row table of the bootstrap inference.

        Returns
        -------
        DataFrame
            One row with a column per attribute (`estimate`, `se`, `t_stat`, `p_value`, `ci_low`,
            `ci_high`, `level`, `n_boot`, `n_clusters`, `weights`).

        Examples
        --------
        >>> import numpy as np
        >>> from foundation_eval.impact import wild_cluster_bootstrap
        >>> rng = np.random.default_rng(3)
        >>> cl = np.repeat(np.arange(8), 5)
        >>> d = (cl < 4).astype(float)
        >>> y = 1 + 0.5 * d + rng.normal(0, 0.5, 8)[cl] + rng.normal(0, 1, 40)
        >>> r = wild_cluster_bootstrap(y, np.column_stack([d, np.ones(40)]), cl, n_boot=999, seed=1)
        >>> print(r.table()[["estimate", "se", "p_value", "ci_low", "ci_high"]].round(3).to_string(index=False))
         estimate    se  p_value  ci_low  ci_high
            1.063 0.702    0.211  -0.701    2.705
        """
        return pd.DataFrame([{k: getattr(self, k) for k in self.__dataclass_fields__}])


# observations x draws that `wild_cluster_bootstrap` multiplies at once (32 MB an array)
_BOOT_CELLS = 4_000_000


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
    r"""Restricted wild cluster bootstrap-t (WCR) for coefficient `coef` of $y = Xb + u$.

    For a null value $b_0$ the restricted model ($b_{coef} = b_0$) is fitted by OLS, its
    residuals $\tilde u$ are multiplied by one draw $v_g$ per cluster,
    $y^* = \hat y_{r} + v_g \tilde u$ is re-estimated and the cluster-robust t-statistic
    $t^* = (b^* - b_0)/se^*$ computed. The p-value is $P^*(|t^*| \ge |t|)$ (symmetric),
    and the interval collects the $b_0$ not rejected at `1 - level` (found by bisection
    with the same multipliers). Cameron, Gelbach & Miller (2008, *Rev Econ Stat* 90:414-427);
    interval by test inversion as in Roodman, MacKinnon, Nielsen & Webb (2019, *Stata J* 19:4-60,
    `boottest`); Webb (2014) weights by default. The standard error is the CR1 cluster-robust one,
    $se^2 = f \sum_g (c' X_g' \hat u_g)^2$ with $c$ the `coef` row of $(X'X)^{-1}$ and the
    small-sample factor $f$.

    Because $\tilde u$ is linear in $b_0$, the bootstrap residuals and scores are
    computed once for two basis vectors and every $b_0$ costs only $O(G \times B)$.

    Parameters
    ----------
    y, X : array_like
        Outcome (length $N$) and regressors ($N \times K$, or length $N$ for one regressor). Include
        a column of ones for an intercept. Fixed effects may be partialled out beforehand
        (Frisch-Waugh-Lovell); then pass `reproject` so that the bootstrap outcomes are projected in
        the same way.
    clusters : array_like
        Cluster labels, one per row.
    coef : int
        Column of `X` whose coefficient is tested.
    n_boot : int
        Bootstrap draws $B$. The same draws serve the p-value and every null value of the interval.
    weights : {"webb", "rademacher", "mammen", "normal"}
        Multiplier distribution, see [`bootstrap_weights`][foundation_eval.impact.bootstrap_weights].
    seed : int, optional
        Seed of the multipliers.
    level : float
        Confidence level of the test-inversion interval.
    small_sample : float, optional
        Factor $f$ multiplying the cluster-robust variance; default $G/(G-1) \cdot (N-1)/(N-K)$.
    reproject : callable, optional
        The partialling-out applied to `y` and `X`, as a function of an $N \times B$ array of
        bootstrap outcomes (each column projected the same way); None when nothing was partialled
        out.

    Returns
    -------
    WildBootstrapResult
        Estimate, CR1 standard error, bootstrap p-value for a zero coefficient and the
        test-inversion interval.

    Raises
    ------
    ValueError
        With fewer than two clusters, or unknown `weights`.

    Examples
    --------
    Eight clusters of five, four of them treated. The estimate is the OLS coefficient and `se` its
    CR1 cluster-robust standard error (statsmodels' `cov_type="cluster"` gives the same 0.7018 on
    these data); with eight clusters the bootstrap interval is wide:

    >>> import numpy as np
    >>> from foundation_eval.impact import wild_cluster_bootstrap
    >>> rng = np.random.default_rng(3)
    >>> cl = np.repeat(np.arange(8), 5)
    >>> d = (cl < 4).astype(float)
    >>> y = 1 + 0.5 * d + rng.normal(0, 0.5, 8)[cl] + rng.normal(0, 1, 40)
    >>> X = np.column_stack([d, np.ones(40)])
    >>> r = wild_cluster_bootstrap(y, X, cl, coef=0, n_boot=999, seed=1)
    >>> round(r.estimate, 4), round(r.se, 4), round(r.p_value, 3)
    (1.0629, 0.7018, 0.211)
    >>> round(r.ci_low, 2), round(r.ci_high, 2)
    (-0.7, 2.7)
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
    s_obs = group_sum(codes, (c * resid)[:, None], n_cl)[:, 0]
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
    v = bootstrap_weights(weights, (n_cl, n_boot), rng)  # clusters x B
    # the draws taken a block of columns at a time: each N x B product is as large as the panel times the
    # draws (7,200 district-quarters x 1,999 draws: 0.11 GiB an array, several at once), and every column
    # is its own sum
    step = max(1, min(n_boot, _BOOT_CELLS // max(n, 1)))

    def resid_parts(u):
        ca, S = np.empty(n_boot), np.empty((n_cl, n_boot))
        for lo in range(0, n_boot, step):
            a = u[:, None] * v[codes, lo:lo + step]
            if reproject is not None:
                a = reproject(a)
            ca[lo:lo + step] = c @ a  # b* - b0 contribution
            e = a - X @ (xtx_inv @ (X.T @ a))
            S[:, lo:lo + step] = group_sum(codes, c[:, None] * e, n_cl)
        return ca, S

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
    r"""Number of distinct rearrangements of `labels` (multinomial coefficient).

    For $n$ labels taking values with multiplicities $n_1, \dots, n_k$ the count is
    $n! / (n_1! \cdots n_k!)$: the number of ways to re-assign go-live cohorts to units keeping the
    cohort sizes.

    Parameters
    ----------
    labels : array_like
        One label per unit (e.g. first-treated period codes).

    Returns
    -------
    int
        The number of distinct assignments (exact integer, possibly very large).

    Examples
    --------
    Fisher's (1935) lady tasting tea: 8 cups, 4 with milk poured first, give 70 possible choices:

    >>> from foundation_eval.impact.inference import n_distinct_permutations
    >>> n_distinct_permutations([1, 1, 1, 1, 0, 0, 0, 0])
    70
    >>> n_distinct_permutations(["2021-01"] * 2 + ["2021-07"] * 3 + ["never"] * 9)   # 14 districts
    20020
    """
    counts = Counter(np.asarray(labels).tolist())
    out = math.factorial(sum(counts.values()))
    for c in counts.values():
        out //= math.factorial(c)
    return out


def multiset_permutations(labels) -> Iterator[np.ndarray]:
    """Yield every distinct rearrangement of `labels` once (lexicographic order).

    The complete randomisation distribution for an exact permutation test: there are
    `n_distinct_permutations(labels)` of them. Generated lazily by the next-lexicographic-permutation
    rule (Narayana Pandita; Knuth, *TAOCP* vol. 4A, Algorithm 7.2.1.2L).

    Parameters
    ----------
    labels : array_like
        Labels to rearrange; repeated values are not distinguished.

    Yields
    ------
    ndarray
        One rearrangement, starting from the sorted labels.

    Examples
    --------
    >>> from foundation_eval.impact.inference import multiset_permutations
    >>> [p.tolist() for p in multiset_permutations([1, 0, 0])]
    [[0, 0, 1], [0, 1, 0], [1, 0, 0]]
    """
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
    r"""p-value of `observed` against permutation draws `null`.

    With `exact=True` the draws are the complete randomisation distribution (observed assignment
    included) and the p-value is the share at least as extreme, $p = \#\{\text{extreme}\}/M$.
    Otherwise the draws are a random sample of $M$ assignments and the p-value is
    $p = (1 + \#\{\text{extreme}\}) / (1 + M)$ (Phipson & Smyth 2010, *Stat Appl Genet Mol Biol*
    9:39), which is never zero and is valid. "At least as extreme" is $|T^*| \ge |T|$ (two-sided),
    $T^* \ge T$ (greater) or $T^* \le T$ (less), with a relative tolerance of $10^{-12}$ for ties.
    NaN draws are dropped.

    Parameters
    ----------
    observed : float
        Statistic for the actual assignment.
    null : array_like
        Statistic under each permuted assignment.
    alternative : {"two-sided", "greater", "less"}
        Direction of the test; two-sided compares absolute values, so centre the statistic at its
        null value (an effect of 0).
    exact : bool
        Whether `null` is the complete randomisation distribution including the observed assignment.

    Returns
    -------
    float
        The p-value, in (0, 1].

    Raises
    ------
    ValueError
        For an unknown `alternative`.

    Examples
    --------
    Fisher's (1935) lady tasting tea: she picks the 4 milk-first cups out of 8 and gets all 4 right.
    Over all 70 possible choices the number right is 4 only once, so the exact p-value is
    1/70 = 0.0143, as in *The Design of Experiments*:

    >>> import numpy as np
    >>> from foundation_eval.impact import permutation_p_value
    >>> from foundation_eval.impact.inference import multiset_permutations
    >>> cups = np.array([1, 1, 1, 1, 0, 0, 0, 0])          # 1 = milk first; she chose these four
    >>> null = [int(p @ cups) for p in multiset_permutations(cups)]
    >>> np.bincount(null).tolist()                         # 0, 1, 2, 3, 4 right
    [1, 16, 36, 16, 1]
    >>> round(permutation_p_value(4, null, alternative="greater", exact=True), 4)
    0.0143

    With sampled draws the observed assignment is added back:

    >>> permutation_p_value(2.5, [0.1, -3.0, 1.0, 2.6, -0.5])            # (1 + 2) / (1 + 5)
    0.5
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
    """Randomisation-inference result for a scalar statistic (immutable).

    Returned by [`randomization_inference`][foundation_eval.impact.randomization_inference] and
    [`StaggeredDiDResult.randomization_test`][foundation_eval.impact.StaggeredDiDResult.randomization_test];
    it can also wrap any permutation test built with
    [`permutation_p_value`][foundation_eval.impact.permutation_p_value].

    Attributes
    ----------
    observed : float
        Statistic for the actual assignment.
    null_distribution : ndarray
        Statistic under each permuted assignment (excluding the observed one unless `exact`).
    p_value : float
        Randomisation p-value (see [`permutation_p_value`][foundation_eval.impact.permutation_p_value]).
    exact : bool
        Whether every distinct assignment was enumerated.
    n_assignments : int
        Number of distinct assignments possible.
    alternative : str
        `"two-sided"`, `"greater"` or `"less"`.
    description : str
        What was permuted.

    Examples
    --------
    Fisher's (1935) lady tasting tea as a result object:

    >>> import numpy as np
    >>> from foundation_eval.impact import RandomizationResult, permutation_p_value
    >>> from foundation_eval.impact.inference import multiset_permutations
    >>> cups = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    >>> null = np.array([p @ cups for p in multiset_permutations(cups)], dtype=float)
    >>> res = RandomizationResult(observed=4.0, null_distribution=null, exact=True, n_assignments=70,
    ...                           p_value=permutation_p_value(4.0, null, alternative="greater", exact=True),
    ...                           alternative="greater", description="milk-first cups re-assigned")
    >>> res.n_draws, round(res.p_value, 4)
    (70, 0.0143)
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
        """Number of assignments in `null_distribution` (all of them when `exact`)."""
        return int(self.null_distribution.size)

    def table(self) -> pd.DataFrame:
        """One-row summary.

        Returns
        -------
        DataFrame
            Columns `observed`, `p_value`, `exact`, `n_draws`, `n_assignments`, `alternative`.

        Examples
        --------
        >>> import numpy as np
        >>> from foundation_eval.impact import RandomizationResult
        >>> res = RandomizationResult(observed=2.5, null_distribution=np.array([0.1, -3.0, 1.0, 2.6, -0.5]),
        ...                           p_value=0.5, exact=False, n_assignments=120)
        >>> print(res.table().to_string(index=False))
         observed  p_value  exact  n_draws  n_assignments alternative
              2.5      0.5  False        5            120   two-sided
        """
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
        """One sentence: what was permuted, how many assignments, the statistic and the p-value.

        Parameters
        ----------
        digits : int
            Decimals of the statistic and the p-value.

        Returns
        -------
        str

        Examples
        --------
        >>> import numpy as np
        >>> from foundation_eval.impact import RandomizationResult
        >>> res = RandomizationResult(observed=2.5, null_distribution=np.array([0.1, -3.0, 1.0, 2.6, -0.5]),
        ...                           p_value=0.5, exact=False, n_assignments=1200,
        ...                           description="go-live dates re-assigned across 6 units")
        >>> print(res.summary_sentence(digits=2))
        Randomisation inference (go-live dates re-assigned across 6 units; 5 randomly drawn of 1,200
        possible assignments): observed statistic 2.50, p = 0.50.
        """
        kind = "all" if self.exact else f"{self.n_draws} randomly drawn"
        return (
            f"Randomisation inference ({self.description}; {kind} of {self.n_assignments:,} possible "
            f"assignments): observed statistic {self.observed:.{digits}f}, p = {self.p_value:.{digits}f}."
        )

    def plot(self, ax=None):
        """Histogram of the randomisation distribution with the observed statistic marked.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib.pyplot as plt
        >>> from foundation_eval.impact import RandomizationResult
        >>> res = RandomizationResult(observed=2.5, null_distribution=np.array([0.1, -3.0, 1.0, 2.6, -0.5]),
        ...                           p_value=0.5, exact=False, n_assignments=120)
        >>> ax = res.plot()
        >>> ax.get_legend().get_texts()[0].get_text()
        'observed (p = 0.500)'
        >>> plt.close("all")
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(6, 3.5))
        ax.hist(self.null_distribution, bins=30, color="0.75", edgecolor="white")
        ax.axvline(self.observed, color="C3", lw=2, label=f"observed (p = {self.p_value:.3f})")
        ax.set_xlabel("statistic under re-assigned go-live dates")
        ax.set_ylabel("count")
        ax.legend(frameon=False)
        return ax
