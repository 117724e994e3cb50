r"""Internal structure of the PPIT items: item analysis, alpha, omega and factor structure.

* `item_analysis`: per-item endorsement/mean, corrected item-total correlation and
  alpha if the item is deleted.
* `cronbach_alpha`: coefficient alpha (Cronbach 1951) with the Feldt (1965) interval.
* `omega`: McDonald's omega total from a one-factor maximum-likelihood model.
* `compare_factor_structures`: one factor against correlated factors (e.g. *offending*
  against *offender* items) by maximum-likelihood confirmatory factor analysis.

Rows with a missing item are dropped (listwise deletion) and the number used is reported.
The PPIT items are short ordinal scales; Pearson covariances of such items understate their
association (polychoric correlations would be the alternative), so loadings and fit indices
are best read comparatively (one model against another on the same items).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.checks import check_level
from foundation_eval.ppit._cfa import CFAFit, fit_cfa
from foundation_eval.results import Result

__all__ = [
    "AlphaResult",
    "ItemAnalysis",
    "OmegaResult",
    "FactorComparison",
    "feldt_interval",
    "cronbach_alpha",
    "item_analysis",
    "omega",
    "compare_factor_structures",
]


def _items(items, min_items: int = 2) -> pd.DataFrame:
    if isinstance(items, pd.DataFrame):
        d = items.copy()
    else:
        arr = np.asarray(items, dtype=float)
        if arr.ndim != 2:
            raise ValueError("items must be a 2-D table: one row per person, one column per item")
        d = pd.DataFrame(arr, columns=[f"item_{i + 1}" for i in range(arr.shape[1])])
    non_numeric = [c for c in d.columns if not pd.api.types.is_numeric_dtype(d[c])]
    if non_numeric:
        raise ValueError(f"item columns must be numeric; not numeric: {non_numeric}")
    d = d.astype(float).dropna()
    if d.shape[1] < min_items:
        raise ValueError(f"at least {min_items} items are needed, got {d.shape[1]}")
    if d.shape[0] < 3:
        raise ValueError(f"at least 3 complete rows are needed, got {d.shape[0]}")
    const = [c for c in d.columns if d[c].nunique() < 2]
    if const:
        raise ValueError(f"item(s) with no variation: {const}")
    return d


def _alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_var / total_var))


def feldt_interval(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    r"""Feldt (1965) confidence interval for coefficient alpha.

    $$
    \left[1 - (1-\hat\alpha)F_{1-\gamma/2},\; 1 - (1-\hat\alpha)F_{\gamma/2}\right]
    $$

    with $F_q$ the $q$ quantile of the F distribution on $n-1$ and
    $(n-1)(k-1)$ degrees of freedom and $\gamma = 1 -$ level (Feldt, Woodruff &
    Salih 1987, *Appl Psychol Meas* 11:93-103, formulas 6-7). It is also the interval of
    ICC(3,k), to which alpha is identical (McGraw & Wong 1996).

    Parameters
    ----------
    alpha : float
        Estimated coefficient alpha.
    n : int
        People (complete rows).
    k : int
        Items.
    level : float
        Confidence level.

    Returns
    -------
    low : float
        Lower bound of the interval for coefficient alpha.
    high : float
        Upper bound.

    Examples
    --------
    >>> low, high = feldt_interval(0.8, n=100, k=10)
    >>> round(low, 4), round(high, 4)
    (0.736, 0.8537)
    """
    check_level(level)
    g = 1 - level
    d1, d2 = n - 1, (n - 1) * (k - 1)
    return (float(1 - (1 - alpha) * _st.f.ppf(1 - g / 2, d1, d2)),
            float(1 - (1 - alpha) * _st.f.ppf(g / 2, d1, d2)))


@dataclass(frozen=True, eq=False)
class AlphaResult(Result):
    """Cronbach's alpha with the Feldt interval (see `cronbach_alpha`).

    Attributes
    ----------
    alpha, ci_low, ci_high : float
        Coefficient alpha and its Feldt (1965) interval.
    n : int
        Complete rows used.
    k : int
        Items.
    level : float

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"i1": [1, 2, 3, 4, 5], "i2": [2, 2, 3, 5, 4], "i3": [1, 3, 3, 4, 5]})
    >>> res = cronbach_alpha(items)
    >>> res.n, res.k
    (5, 3)
    """

    alpha: float
    ci_low: float
    ci_high: float
    n: int
    k: int
    level: float

    def table(self) -> pd.DataFrame:
        """One-row summary.

        Returns
        -------
        DataFrame
            ``alpha, ci_low, ci_high, n, k, level`` (index ``cronbach_alpha``).
        """
        return pd.DataFrame([self.__dict__], index=pd.Index(["cronbach_alpha"]))


def cronbach_alpha(items, level: float = 0.95) -> AlphaResult:
    r"""Cronbach's (1951) coefficient alpha with the Feldt (1965) interval.

    $$
    \alpha = \frac{k}{k-1}\left(1 - \frac{\sum_i s_i^2}{s_X^2}\right)
    $$

    with item variances $s_i^2$ and total-score variance $s_X^2$ (divisor n - 1).

    Parameters
    ----------
    items : DataFrame or 2-D array
        One column per item, one row per person; rows with a missing item are dropped.
    level : float
        Confidence level of the Feldt interval.

    Returns
    -------
    AlphaResult

    Examples
    --------
    Item variances 2.5, 1.7 and 2.2 and total variance 17.3, so
    alpha = 1.5 (1 - 6.4/17.3) = 0.9451:

    >>> import pandas as pd
    >>> items = pd.DataFrame({"i1": [1, 2, 3, 4, 5], "i2": [2, 2, 3, 5, 4], "i3": [1, 3, 3, 4, 5]})
    >>> round(cronbach_alpha(items).alpha, 4)
    0.9451
    """
    d = _items(items)
    a = _alpha(d.to_numpy())
    lo, hi = feldt_interval(a, d.shape[0], d.shape[1], level)
    return AlphaResult(alpha=a, ci_low=lo, ci_high=hi, n=int(d.shape[0]), k=int(d.shape[1]),
                       level=float(level))


@dataclass(frozen=True, eq=False)
class ItemAnalysis(Result):
    """Per-item statistics (see `item_analysis`).

    Attributes
    ----------
    alpha : float
        Cronbach's alpha of all items together.
    n : int
        Complete rows used.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"i1": [1, 2, 3, 4, 5], "i2": [2, 2, 3, 5, 4], "i3": [1, 3, 3, 4, 5]})
    >>> ia = item_analysis(items)
    >>> round(ia.alpha, 4)
    0.9451
    """

    alpha: float
    n: int
    _table: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """One row per item.

        Returns
        -------
        DataFrame
            Indexed by item: ``n``, ``mean``, ``sd``, ``min``, ``max``, ``endorsement``,
            ``item_total_r`` (corrected), ``alpha_if_deleted``.
        """
        return self._table.copy()

    def plot(self, ax=None):
        """Corrected item-total correlations (bars).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(5, 4))
        t = self._table
        ax.barh(t.index.astype(str)[::-1], t["item_total_r"][::-1])
        ax.axvline(0.3, color="grey", linestyle=":", linewidth=1)
        ax.set_xlabel("Corrected item-total correlation")
        return ax


def item_analysis(items_frame) -> ItemAnalysis:
    """Classical item analysis.

    For each item $i$: mean and standard deviation; **endorsement**, the share of people
    scoring above the item's lowest possible value as observed (for 0/1 items, the share
    scoring 1); the **corrected item-total correlation**
    $r(x_i, X - x_i)$, the Pearson correlation of the item with the total of the other
    items; and **alpha if deleted**, coefficient alpha of the remaining items.

    Parameters
    ----------
    items_frame : DataFrame
        One column per item, one row per person.

    Returns
    -------
    ItemAnalysis

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"i1": [1, 2, 3, 4, 5], "i2": [2, 2, 3, 5, 4], "i3": [1, 3, 3, 4, 5]})
    >>> ia = item_analysis(items).table()
    >>> ia.item_total_r.round(3).tolist(), ia.alpha_if_deleted.round(3).tolist()
    ([0.97, 0.809, 0.899], [0.853, 0.978, 0.909])
    """
    d = _items(items_frame, min_items=3)
    x = d.to_numpy()
    total = x.sum(axis=1)
    rows = []
    for j, name in enumerate(d.columns):
        rest = total - x[:, j]
        keep = np.delete(x, j, axis=1)
        rows.append(
            {
                "item": name,
                "n": x.shape[0],
                "mean": x[:, j].mean(),
                "sd": x[:, j].std(ddof=1),
                "min": x[:, j].min(),
                "max": x[:, j].max(),
                "endorsement": float(np.mean(x[:, j] > x[:, j].min())),
                "item_total_r": float(np.corrcoef(x[:, j], rest)[0, 1]),
                "alpha_if_deleted": _alpha(keep),
            }
        )
    table = pd.DataFrame(rows).set_index("item")
    return ItemAnalysis(alpha=_alpha(x), n=int(x.shape[0]), _table=table)


def _omega_from_fit(fit: CFAFit, idx: np.ndarray, factor: int) -> float:
    lam = fit.loadings[idx, factor]
    common = lam.sum() ** 2 * fit.phi[factor, factor]
    return float(common / (common + fit.theta[idx].sum()))


@dataclass(frozen=True, eq=False)
class OmegaResult(Result):
    """McDonald's omega total from a one-factor model.

    Attributes
    ----------
    omega : float
    ci_low, ci_high : float
        Bootstrap percentile interval (NaN unless ``n_boot`` > 0).
    alpha : float
        Cronbach's alpha of the same items, for comparison (alpha <= omega under a one-factor
        model with unequal loadings).
    loadings : Series
        Standardized loadings.
    heywood : tuple
        Items whose residual variance was fixed at its lower bound (a Heywood case: read the
        result with care).

    n, k : int
        Complete rows and items.
    residual_variances : Series
        Standardized residual variances.
    level : float

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f, g = rng.normal(size=(500, 1)), rng.normal(size=(500, 1))     # two correlated factors
    >>> X = pd.DataFrame(np.hstack([0.7 * f + 0.5 * rng.normal(size=(500, 3)),
    ...                             0.7 * (0.6 * f + 0.8 * g) + 0.5 * rng.normal(size=(500, 3))]),
    ...                  columns=[f"x{i}" for i in range(6)])
    >>> res = omega(X)
    >>> res.k, len(res.heywood)
    (6, 0)
    """

    omega: float
    ci_low: float
    ci_high: float
    alpha: float
    n: int
    k: int
    loadings: pd.Series
    residual_variances: pd.Series
    heywood: tuple
    level: float

    def table(self) -> pd.DataFrame:
        """Standardized loadings and residual variances of the one-factor model.

        Returns
        -------
        DataFrame
            Indexed by item; columns ``loading`` and ``residual_variance``.
        """
        return pd.DataFrame(
            {"loading": self.loadings, "residual_variance": self.residual_variances}
        ).rename_axis("item")

    def plot(self, ax=None):
        """Standardized loadings (bars).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(5, 4))
        ax.barh(self.loadings.index.astype(str)[::-1], self.loadings.to_numpy()[::-1])
        ax.set_xlabel("Standardized loading (one factor)")
        ax.set_title(f"omega = {self.omega:.2f}, alpha = {self.alpha:.2f}")
        return ax


def omega(items, level: float = 0.95, n_boot: int = 0, seed: int = 0) -> OmegaResult:
    r"""McDonald's (1999) omega total of the unit-weighted sum of the items.

    A one-factor model $\Sigma = \lambda\lambda^\top + \Theta$ is fitted to the item
    covariance matrix by maximum likelihood (see `foundation_eval.ppit._cfa`) and

    $$
    \omega = \frac{(\sum_i \lambda_i)^2}{(\sum_i \lambda_i)^2 + \sum_i \theta_{ii}}
    $$

    (loadings in the items' raw units, factor variance 1). ``n_boot`` > 0 adds a bootstrap
    percentile interval (rows resampled; the model refitted each time).

    Parameters
    ----------
    items : DataFrame or 2-D array
        One column per item, one row per person.
    level : float
        Confidence level of the bootstrap interval.
    n_boot : int
        Bootstrap replicates (0 for none).
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    OmegaResult

    Examples
    --------
    Six items with two correlated factors: a one-factor omega slightly below alpha:

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f, g = rng.normal(size=(500, 1)), rng.normal(size=(500, 1))     # two correlated factors
    >>> X = pd.DataFrame(np.hstack([0.7 * f + 0.5 * rng.normal(size=(500, 3)),
    ...                             0.7 * (0.6 * f + 0.8 * g) + 0.5 * rng.normal(size=(500, 3))]),
    ...                  columns=[f"x{i}" for i in range(6)])
    >>> res = omega(X)
    >>> round(res.omega, 3), round(res.alpha, 3)
    (0.833, 0.838)
    """
    d = _items(items, min_items=3)
    check_level(level)
    x = d.to_numpy()

    def fit_one(arr, start=None):
        s = np.cov(arr, rowvar=False, ddof=0)
        return fit_cfa(s, arr.shape[0], np.ones((arr.shape[1], 1), dtype=bool), start=start)

    fit = fit_one(x)
    idx = np.arange(x.shape[1])
    est = _omega_from_fit(fit, idx, 0)
    lo = hi = float("nan")
    if n_boot:
        if n_boot < 100:
            raise ValueError("n_boot must be 0 or at least 100")
        rng = np.random.default_rng(seed)
        boots = []
        for _ in range(n_boot):
            sample = x[rng.integers(0, x.shape[0], x.shape[0])]
            if np.any(sample.std(axis=0) == 0):
                continue
            try:
                boots.append(_omega_from_fit(fit_one(sample, start=fit), idx, 0))
            except ValueError:
                continue
        lo, hi = (float(v) for v in np.quantile(boots, [(1 - level) / 2, (1 + level) / 2]))
    return OmegaResult(
        omega=est,
        ci_low=lo,
        ci_high=hi,
        alpha=_alpha(x),
        n=int(x.shape[0]),
        k=int(x.shape[1]),
        loadings=pd.Series(fit.standardized_loadings[:, 0], index=d.columns, name="loading"),
        residual_variances=pd.Series(fit.theta, index=d.columns, name="residual_variance"),
        heywood=tuple(d.columns[i] for i in fit.heywood),
        level=float(level),
    )


@dataclass(frozen=True, eq=False)
class FactorComparison(Result):
    """One-factor model against correlated factors, fitted by ML-CFA to the same items.

    Attributes
    ----------
    lr_statistic, lr_df, lr_p_value : float
        Likelihood-ratio (chi-square difference) test of the one-factor model within the
        correlated-factors model (all factor correlations equal to 1). The null value lies on
        the boundary of the parameter space, so the chi-square reference distribution is
        approximate (the test tends to be conservative); read it beside the BIC difference.
    factor_correlations : DataFrame
        Estimated correlations between the factors of the multi-factor model (a correlation
        near 1 means the groups do not measure distinct things).
    omega_by_factor : Series
        Omega of each group's sum score from the multi-factor model (as R
        ``semTools::reliability``).

    n : int
        Complete rows used.
    groups : dict
        The item groups of the multi-factor model.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f, g = rng.normal(size=(500, 1)), rng.normal(size=(500, 1))     # two correlated factors
    >>> X = pd.DataFrame(np.hstack([0.7 * f + 0.5 * rng.normal(size=(500, 3)),
    ...                             0.7 * (0.6 * f + 0.8 * g) + 0.5 * rng.normal(size=(500, 3))]),
    ...                  columns=[f"x{i}" for i in range(6)])
    >>> fc = compare_factor_structures(X, {"A": ["x0", "x1", "x2"], "B": ["x3", "x4", "x5"]})
    >>> fc.table().index.tolist(), fc.lr_df
    (['one_factor', '2_correlated_factors'], 1)
    """

    n: int
    groups: dict
    lr_statistic: float
    lr_df: int
    lr_p_value: float
    factor_correlations: pd.DataFrame
    omega_by_factor: pd.Series
    _fits: pd.DataFrame = field(repr=False)
    _loadings: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """Fit of each model.

        Returns
        -------
        DataFrame
            Indexed by model; ``n_params``, ``chi2``, ``df``, ``p_value``, ``cfi``, ``tli``, ``rmsea``,
            ``srmr``, ``loglik``, ``aic``, ``bic``.
        """
        return self._fits.copy()

    def loadings(self) -> pd.DataFrame:
        """Standardized loadings of both models.

        Returns
        -------
        DataFrame
            Indexed by item; one column per model and factor (``one_factor`` and each group's name).
        """
        return self._loadings.copy()

    def plot(self, ax=None):
        """Standardized loadings under each model.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(5, 4))
        t = self._loadings
        one = t.iloc[:, 0]
        multi = t.iloc[:, 1:].abs().max(axis=1)
        y = np.arange(len(t))[::-1]
        ax.plot(one.to_numpy(), y, "o", label="One factor")
        ax.plot(multi.to_numpy(), y, "s", label=f"{len(self.groups)} correlated factors")
        ax.set_yticks(y)
        ax.set_yticklabels(t.index.astype(str))
        ax.set_xlabel("Standardized loading")
        ax.legend()
        return ax


def compare_factor_structures(items, groups: dict[str, list[str]]) -> FactorComparison:
    r"""Compare one general factor with correlated factors defined by item groups.

    Both models are confirmatory factor analyses fitted by maximum likelihood to the item
    covariance matrix (divisor N, statistic $T = N F_{ML}$, the conventions of lavaan's
    ``cfa()``; checked against its Holzinger-Swineford example in the tests):

    * one factor: every item loads on one factor;
    * correlated factors: each item loads only on its group's factor; factors have variance 1
      and free correlations.

    Reported for each: chi-square test of exact fit, CFI and TLI (against the independence
    model), RMSEA ($\sqrt{\max(T-df,0)/(df\,N)}$), SRMR, log-likelihood, AIC and BIC.
    The models are nested, so the chi-square difference gives a likelihood-ratio test with
    $g(g-1)/2$ degrees of freedom for $g$ groups.

    Parameters
    ----------
    items : DataFrame
        One column per item; only the columns named in ``groups`` are used.
    groups : dict
        e.g. ``{"offending": ["ppit_01", ...], "offender": [...]}``. At least two groups, each
        with at least two items, and no item in two groups.

    Returns
    -------
    FactorComparison

    Examples
    --------
    Two groups of items whose factors correlate about 0.6: the one-factor model is clearly rejected:

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f, g = rng.normal(size=(500, 1)), rng.normal(size=(500, 1))     # two correlated factors
    >>> X = pd.DataFrame(np.hstack([0.7 * f + 0.5 * rng.normal(size=(500, 3)),
    ...                             0.7 * (0.6 * f + 0.8 * g) + 0.5 * rng.normal(size=(500, 3))]),
    ...                  columns=[f"x{i}" for i in range(6)])
    >>> fc = compare_factor_structures(X, {"A": ["x0", "x1", "x2"], "B": ["x3", "x4", "x5"]})
    >>> fc.lr_p_value < 1e-10, round(float(fc.factor_correlations.loc["A", "B"]), 2)
    (True, 0.53)
    """
    if not isinstance(groups, dict) or len(groups) < 2:
        raise ValueError("groups must be a dict naming at least two groups of items")
    cols: list[str] = []
    for name, members in groups.items():
        members = list(members)
        if len(members) < 2:
            raise ValueError(f"group {name!r} has fewer than 2 items; a factor needs at least 2")
        dup = set(members) & set(cols)
        if dup:
            raise ValueError(f"item(s) {sorted(dup)} appear in more than one group")
        cols.extend(members)
    if not isinstance(items, pd.DataFrame):
        raise ValueError("items must be a DataFrame whose columns are named in groups")
    missing = [c for c in cols if c not in items.columns]
    if missing:
        raise ValueError(f"items has no column(s) {missing}")
    d = _items(items[cols], min_items=3)
    x = d.to_numpy()
    n, p = x.shape
    s = np.cov(x, rowvar=False, ddof=0)
    g = len(groups)
    pattern = np.zeros((p, g), dtype=bool)
    start = 0
    for j, members in enumerate(groups.values()):
        pattern[start : start + len(members), j] = True
        start += len(members)
    one = fit_cfa(s, n, np.ones((p, 1), dtype=bool))
    multi = fit_cfa(s, n, pattern)
    names = list(groups)
    label = f"{g}_correlated_factors"

    def row(f: CFAFit):
        return {k: getattr(f, k) for k in ("n_params", "chi2", "df", "p_value", "cfi", "tli", "rmsea",
                                           "srmr", "loglik", "aic", "bic")} | {"converged": f.converged}

    fits = pd.DataFrame([row(one), row(multi)], index=pd.Index(["one_factor", label]))
    lr = one.chi2 - multi.chi2
    lr_df = one.df - multi.df
    loadings = pd.DataFrame(multi.standardized_loadings, index=d.columns, columns=names)
    loadings.insert(0, "one_factor", one.standardized_loadings[:, 0])
    phi = pd.DataFrame(multi.phi, index=names, columns=names)
    omegas = pd.Series(
        {name: _omega_from_fit(multi, np.flatnonzero(pattern[:, j]), j) for j, name in enumerate(names)},
        name="omega",
    )
    return FactorComparison(
        n=int(n),
        groups={k: list(v) for k, v in groups.items()},
        lr_statistic=float(lr),
        lr_df=int(lr_df),
        lr_p_value=float(_st.chi2.sf(max(lr, 0.0), lr_df)),
        factor_correlations=phi,
        omega_by_factor=omegas,
        _fits=fits,
        _loadings=loadings,
    )
