r"""Naive two-way fixed effects (TWFE) DiD and the Goodman-Bacon decomposition.

The TWFE regression $Y_{it} = \alpha_i + \lambda_t + \beta D_{it} + \varepsilon_{it}$ is the
textbook "generalised DiD". Under staggered adoption with effects that differ by cohort or grow over
time it is *not* an average of treatment effects: Goodman-Bacon (2021, *J Econometrics*
225:254-277) shows that $\hat\beta$ is a weighted average of every 2x2 DiD in the data,
including "forbidden" comparisons in which already-treated units serve as controls, so changes in
their effects enter with a negative sign.
[`bacon_decomposition`][foundation_eval.impact.twfe.bacon_decomposition] computes those 2x2 estimates
and weights; they sum to one and reproduce $\hat\beta$ exactly (balanced panel, no covariates).
The result is shown beside the Callaway & Sant'Anna estimates for contrast (DESIGN.md section 5).

Standard errors are cluster-robust (CR1: $G/(G-1) \cdot (N-1)/(N-K)$ with $K = T + 1$: the
treatment dummy and the ``T`` period effects, the unit effects being nested in the clusters; this is
R ``fixest``'s default small-sample correction, so the SE matches ``feols(y ~ d | unit + time,
cluster = ~unit)``), and the restricted wild cluster bootstrap with
Webb weights gives the p-value and interval that remain reliable with few clusters (Cameron,
Gelbach & Miller 2008; MacKinnon & Webb 2017, *J Appl Econometrics* 32:233-254).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.checks import require_columns
from foundation_eval.impact._base import ImpactEstimate
from foundation_eval.impact._panel import NEVER, group_sum, prepare_panel, unit_constant
from foundation_eval.impact.inference import WildBootstrapResult, wild_cluster_bootstrap
from foundation_eval.impact.maryland import DESIGN_LEVELS
from foundation_eval.stats import t_value

__all__ = ["twfe", "TWFEResult", "bacon_decomposition", "BaconDecomposition"]

_TWFE_ASSUMPTIONS = (
    "Parallel trends between every pair of units compared, including already-treated units used as "
    "controls for later-treated ones.",
    "The programme effect is the same for every go-live cohort and does not change with time since "
    "go-live; otherwise the estimate is a weighted mix of effects that can even have the wrong sign "
    "(Goodman-Bacon 2021).",
    "No anticipation and no spill-overs between units.",
)


def demean_twoway(a: np.ndarray, unit_codes: np.ndarray, time_codes: np.ndarray, *, tol: float = 1e-12,
                  max_iter: int = 1000) -> np.ndarray:
    """Residualise the columns of ``a`` on unit and time dummies (alternating projections).

    Exact after one sweep for a balanced panel; iterates to ``tol`` otherwise (Guimaraes &
    Portugal 2010, *Stata J* 10:628-649).
    """
    a = np.array(a, dtype=float, copy=True)
    squeeze = a.ndim == 1
    if squeeze:
        a = a[:, None]
    nu, nt = unit_codes.max() + 1, time_codes.max() + 1
    cu = np.bincount(unit_codes, minlength=nu).astype(float)
    ct = np.bincount(time_codes, minlength=nt).astype(float)

    def sweep(x, codes, counts, m):
        return x - (group_sum(codes, x, m) / counts[:, None])[codes]

    for _ in range(max_iter):
        prev = a
        a = sweep(sweep(a, unit_codes, cu, nu), time_codes, ct, nt)
        if np.max(np.abs(a - prev)) <= tol * (1 + np.max(np.abs(a))):
            break
    return a[:, 0] if squeeze else a


@dataclass(frozen=True)
class TWFEResult(ImpactEstimate):
    r"""Two-way fixed-effects estimate with cluster-robust and wild-cluster-bootstrap inference.

    Returned by `twfe`. ``estimate`` is the TWFE coefficient
    $\hat\beta$ (units of the outcome); ``se``, ``ci_low``, ``ci_high`` and ``p_value`` are
    cluster-robust (CR1, t with $G - 1$ df). It has every attribute of
    [`ImpactEstimate`][foundation_eval.impact.ImpactEstimate] and the attributes below.

    Attributes
    ----------
    n_obs : int
        Rows used (rows with a missing outcome are dropped).
    n_clusters : int
        Clusters $G$.
    wild : WildBootstrapResult or None
        The restricted wild cluster bootstrap p-value and interval (preferred with few clusters);
        None when ``n_boot=0``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"unit": list("aabbccdd"), "t": [0, 1] * 4, "d": [0, 1, 0, 1, 0, 0, 0, 0],
    ...                    "y": [10, 16, 12, 17, 8, 11, 9, 13]})
    >>> res = twfe(df, "unit", "t", "d", "y", n_boot=0)
    >>> round(res.estimate, 6), res.n_obs, res.n_clusters, res.wild is None
    (2.0, 8, 4, True)
    >>> res.notes[0]
    'Only 4 clusters: prefer the wild cluster bootstrap interval (wild).'
    """

    n_obs: int = 0
    n_clusters: int = 0
    wild: WildBootstrapResult | None = field(default=None, repr=False)

    def table(self) -> pd.DataFrame:
        """The coefficient as a one-row table with both kinds of inference.

        Returns
        -------
        DataFrame
            Columns ``estimate, se_cluster, ci_low, ci_high, p_value, n_obs, n_clusters`` and, when
            the bootstrap was run, ``wild_p_value, wild_ci_low, wild_ci_high, wild_weights,
            wild_n_boot``.
        """
        row = {
            "estimate": self.estimate,
            "se_cluster": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "n_obs": self.n_obs,
            "n_clusters": self.n_clusters,
        }
        if self.wild is not None:
            row.update(wild_p_value=self.wild.p_value, wild_ci_low=self.wild.ci_low,
                       wild_ci_high=self.wild.ci_high, wild_weights=self.wild.weights,
                       wild_n_boot=self.wild.n_boot)
        return pd.DataFrame([row])

    def plot(self, ax=None):
        """Point estimate with cluster-robust and wild-bootstrap intervals and a line at no effect.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new 5 x 3 inch figure when None.

        Returns
        -------
        matplotlib Axes
            The axes drawn on.
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(5, 3))
        ax.errorbar([0], [self.estimate], yerr=[[self.estimate - self.ci_low], [self.ci_high - self.estimate]],
                    fmt="o", capsize=4, label="cluster-robust")
        if self.wild is not None and math.isfinite(self.wild.ci_low) and math.isfinite(self.wild.ci_high):
            ax.errorbar([1], [self.estimate], yerr=[[self.estimate - self.wild.ci_low], [self.wild.ci_high - self.estimate]],
                        fmt="s", capsize=4, color="C1", label="wild cluster bootstrap")
        ax.set_xticks([0, 1], ["CR1", "wild bootstrap"])
        ax.axhline(0, color="0.4", lw=0.8)
        ax.set_ylabel(f"TWFE effect on {self.outcome}")
        return ax


def _treatment_indicator(df: pd.DataFrame, unit: str, time: str, col: str, kind: str) -> tuple[np.ndarray, str]:
    vals = df[col]
    if kind == "auto":
        uniq = set(pd.unique(vals.dropna()).tolist())
        kind = "indicator" if uniq <= {0, 1} else "first_treated"
    if kind == "indicator":
        if vals.isna().any():
            raise ValueError(f"treatment indicator {col!r} has missing values")
        return vals.astype(float).to_numpy(), kind
    if kind != "first_treated":
        raise ValueError("kind must be 'auto', 'indicator' or 'first_treated'")
    g = unit_constant(df, unit, col, "first_treated")
    gi = df[unit].map(g)
    never = gi.isna() | gi.apply(lambda v: isinstance(v, (int, float, np.integer, np.floating)) and v == 0)
    d = np.zeros(len(df))
    m = ~never.to_numpy()
    d[m] = (df[time].to_numpy()[m] >= gi.to_numpy()[m]).astype(float)
    return d, kind


def twfe(
    panel: pd.DataFrame,
    unit: str,
    time: str,
    treated_col_or_first_treated: str,
    outcome: str,
    cluster: str | None = None,
    *,
    kind: str = "auto",
    level: float = 0.95,
    n_boot: int = 9999,
    boot_weights: str = "webb",
    seed: int | None = 0,
) -> TWFEResult:
    r"""Naive two-way fixed-effects DiD: $Y_{it} = \alpha_i + \lambda_t + \beta D_{it} + e_{it}$.

    $\hat\beta$ is the OLS coefficient of the treatment dummy after absorbing unit and period effects
    (alternating projections, Guimaraes & Portugal 2010), with cluster-robust CR1 standard errors and
    Student-t on $G - 1$ degrees of freedom, and the restricted wild cluster bootstrap (Cameron,
    Gelbach & Miller 2008; Webb weights, MacKinnon & Webb 2017) for few clusters. Under staggered
    adoption with effects that change over time or differ by cohort, $\hat\beta$ is not an average
    effect on the treated (Goodman-Bacon 2021): it is shown beside the heterogeneity-robust designs
    for contrast.

    Parameters
    ----------
    panel : DataFrame
        Long panel (balanced or not; fixed effects are absorbed by alternating projections).
    unit, time, outcome : str
        Column names.
    treated_col_or_first_treated : str
        Either a 0/1 treatment indicator $D_{it}$ or a first-treated period column (0 or missing
        for never treated), from which $D_{it} = 1\{t \ge g_i\}$. ``kind`` forces the reading.
    cluster : str, optional
        Cluster column (default: ``unit``).
    level : float
        Confidence level.
    n_boot : int
        Wild-cluster-bootstrap draws (0 to skip).
    boot_weights : {"webb", "rademacher", "mammen"}
        Wild bootstrap weights; Webb's six-point weights suit few clusters.
    kind : {"auto", "indicator", "first_treated"}
        How to read ``treated_col_or_first_treated``: ``"auto"`` reads a column of only 0 and 1 as an
        indicator and anything else as first-treated periods.
    seed : int or None
        Seed of the wild bootstrap draws (None for a fresh one each call).

    Returns
    -------
    TWFEResult
        $\hat\beta$ in units of the outcome with CR1 SE, t interval and p-value, and the wild
        bootstrap result. Labelled Maryland SMS level 3: before-and-after comparison with untreated
        units, but biased when effects vary across cohorts or over time.

    Raises
    ------
    TypeError
        ``panel`` is not a DataFrame.
    KeyError
        A named column is missing.
    ValueError
        Fewer than two clusters; the treatment does not vary or is collinear with the unit and
        period effects; a missing value in a treatment indicator; or an unknown ``kind``.

    Examples
    --------
    Two treated and two control units, one period before and one after (hand calculation:
    treated changes 6 and 5 average 5.5, control changes 3 and 4 average 3.5, DiD = 2):

    >>> import pandas as pd
    >>> df = pd.DataFrame({"unit": list("aabbccdd"), "t": [0, 1] * 4, "d": [0, 1, 0, 1, 0, 0, 0, 0],
    ...                    "y": [10, 16, 12, 17, 8, 11, 9, 13]})
    >>> res = twfe(df, "unit", "t", "d", "y", n_boot=0)
    >>> round(res.estimate, 6), round(res.se, 4), res.interval_method
    (2.0, 0.6831, 'cluster-robust CR1 SE, t with 3 df')

    Under staggered adoption with growing effects TWFE is biased. Cohorts going live in periods 3
    and 7 and a never-treated group, no noise, effect $1 + e$ in the $e$-th period since go-live:
    the average effect on the treated is 3.4, TWFE gives 23/11 = 2.09 (see
    [`bacon_decomposition`][foundation_eval.impact.twfe.bacon_decomposition] for why):

    >>> rows = [(u, t, g, 2.0 * u + 0.5 * t + ((1.0 + t - g) if g and t >= g else 0.0))
    ...         for u, g in enumerate([3, 3, 7, 7, 0, 0]) for t in range(10)]
    >>> panel = pd.DataFrame(rows, columns=["unit", "t", "g", "y"])
    >>> round(twfe(panel, "unit", "t", "g", "y", n_boot=0).estimate, 4)
    2.0909

    On ``did::mpdta`` (500 counties, the data of Callaway & Sant'Anna 2021) the tests reproduce
    R's ``fixest::feols(lemp ~ post | countyreal + year, cluster = "countyreal")``: estimate
    -0.036549, SE 0.013265, p 0.006079.
    """
    require_columns(panel, [unit, time, treated_col_or_first_treated, outcome, cluster], "panel")
    df = panel.dropna(subset=[outcome]).reset_index(drop=True)
    d, kind = _treatment_indicator(df, unit, time, treated_col_or_first_treated, kind)
    y = df[outcome].to_numpy(dtype=float)
    ucodes, _ = pd.factorize(df[unit], sort=True)
    tcodes, _ = pd.factorize(df[time], sort=True)
    cl = df[cluster if cluster else unit].to_numpy()
    ccodes, _ = pd.factorize(cl)
    n_cl = int(ccodes.max()) + 1
    if n_cl < 2:
        raise ValueError("need at least two clusters")
    if np.all(d == d[0]):
        raise ValueError("treatment does not vary: nothing to estimate")
    both = demean_twoway(np.column_stack([y, d]), ucodes, tcodes)
    yt, dt = both[:, 0], both[:, 1]
    sxx = float(dt @ dt)
    if sxx < 1e-12:
        raise ValueError("treatment is collinear with the unit and period effects")
    beta = float(dt @ yt / sxx)
    resid = yt - beta * dt
    n = y.size
    k = 1 + (tcodes.max() + 1)  # D + T period effects; unit effects nested in clusters (fixest default)
    factor = n_cl / (n_cl - 1) * (n - 1) / (n - k)
    s = np.zeros(n_cl)
    np.add.at(s, ccodes, dt * resid)
    se = math.sqrt(factor * float(s @ s)) / sxx
    tcrit = t_value(level, n_cl - 1)
    pval = float(2 * _st.t.sf(abs(beta / se), n_cl - 1)) if se > 0 else float("nan")
    wild = None
    if n_boot > 0:
        wild = wild_cluster_bootstrap(
            yt, dt[:, None], cl, coef=0, n_boot=n_boot, weights=boot_weights, seed=seed, level=level,
            small_sample=factor,
            reproject=lambda u: demean_twoway(u, ucodes, tcodes, tol=1e-10),
        )
    notes = []
    if n_cl < 42:
        notes.append(f"Only {n_cl} clusters: prefer the wild cluster bootstrap interval (wild).")
    return TWFEResult(
        name=f"twfe_{outcome}",
        estimate=beta,
        se=se,
        ci_low=beta - tcrit * se,
        ci_high=beta + tcrit * se,
        level=level,
        p_value=pval,
        design="naive two-way fixed-effects difference-in-differences",
        estimand="variance-weighted average of all 2x2 DiD comparisons (not an ATT under staggered adoption "
                 "with changing effects)",
        comparison="all units not switching at the same time, including already-treated units",
        assumptions=_TWFE_ASSUMPTIONS,
        sms_level=DESIGN_LEVELS["twfe"].level,
        outcome=outcome,
        interval_method=f"cluster-robust CR1 SE, t with {n_cl - 1} df",
        notes=tuple(notes),
        n_obs=n,
        n_clusters=n_cl,
        wild=wild,
    )


# --------------------------------------------------------------------------------------------------
# Goodman-Bacon decomposition
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaconDecomposition:
    """The 2x2 comparisons behind a TWFE estimate (Goodman-Bacon 2021, Theorem 1).

    Returned by [`bacon_decomposition`][foundation_eval.impact.twfe.bacon_decomposition]. The weights
    sum to one and ``sum(weight * estimate) == twfe_estimate``.

    Attributes
    ----------
    twfe_estimate : float
        The TWFE coefficient on the same panel.
    comparisons : DataFrame
        One row per 2x2 comparison: ``type`` ("treated vs never treated", "earlier vs later (not yet
        treated)" or "later vs earlier (already treated)", the last being the problematic one),
        ``treated`` and ``control`` (go-live periods, or "never treated"), ``estimate`` and
        ``weight``.

    Examples
    --------
    Cohorts going live in periods 3 and 7 and a never-treated group, no noise, effects growing by one
    per period since go-live (the example of `twfe`):

    >>> import pandas as pd
    >>> rows = [(u, t, g, 2.0 * u + 0.5 * t + ((1.0 + t - g) if g and t >= g else 0.0))
    ...         for u, g in enumerate([3, 3, 7, 7, 0, 0]) for t in range(10)]
    >>> panel = pd.DataFrame(rows, columns=["unit", "t", "g", "y"])
    >>> b = bacon_decomposition(panel, "unit", "t", "g", "y")
    >>> b.by_type().round(4).values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['treated vs never treated', 0.6364, 3.0], ['earlier vs later (not yet treated)', 0.1818, 2.5],
     ['later vs earlier (already treated)', 0.1818, -1.5]]
    >>> round(b.forbidden_weight, 4), round(b.twfe_estimate, 4)
    (0.1818, 2.0909)
    """

    twfe_estimate: float
    comparisons: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """Every 2x2 comparison with its estimate and weight.

        Returns
        -------
        DataFrame
            A copy of ``comparisons``: ``type, treated, control, estimate, weight``.
        """
        return self.comparisons.copy()

    def by_type(self) -> pd.DataFrame:
        """Total weight and weighted-average estimate for each type of comparison.

        Returns
        -------
        DataFrame
            Columns ``type, weight`` (sum over the type) and ``estimate`` (the weight-averaged 2x2
            estimate of the type), in order of first appearance.
        """
        d = self.comparisons
        g = d.groupby("type", sort=False)
        out = pd.DataFrame({
            "weight": g["weight"].sum(),
            "estimate": g.apply(lambda x: float(np.sum(x["weight"] * x["estimate"]) / np.sum(x["weight"])),
                                include_groups=False),
        })
        return out.reset_index()

    @property
    def forbidden_weight(self) -> float:
        """Total weight on comparisons that use already-treated units as controls."""
        d = self.comparisons
        return float(d.loc[d["type"] == "later vs earlier (already treated)", "weight"].sum())

    def summary_sentence(self) -> str:
        """One plain-English sentence: the TWFE estimate, how many comparisons it averages, and the
        share of weight on comparisons with already-treated controls.

        Returns
        -------
        str
            The sentence.
        """
        return (
            f"The two-way fixed-effects estimate {self.twfe_estimate:.3f} is a weighted average of "
            f"{len(self.comparisons)} simple before/after comparisons; {self.forbidden_weight:.0%} of the "
            "weight is on comparisons that use already-treated units as controls, which are biased "
            "when effects change over time."
        )

    def plot(self, ax=None):
        """Scatter of 2x2 estimates against their weights, by comparison type (Goodman-Bacon Fig. 6).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new 6 x 4 inch figure when None.

        Returns
        -------
        matplotlib Axes
            The axes drawn on, with a dashed line at the TWFE estimate.
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(6, 4))
        markers = {"treated vs never treated": "o", "earlier vs later (not yet treated)": "^",
                   "later vs earlier (already treated)": "x"}
        for typ, sub in self.comparisons.groupby("type", sort=False):
            ax.scatter(sub["weight"], sub["estimate"], marker=markers.get(typ, "o"), label=typ)
        ax.axhline(self.twfe_estimate, color="C3", ls="--", lw=1, label=f"TWFE = {self.twfe_estimate:.3f}")
        ax.set_xlabel("weight")
        ax.set_ylabel("2x2 DiD estimate")
        ax.legend(frameon=False, fontsize=8)
        return ax


def _did2x2(Y: np.ndarray, tr: np.ndarray, co: np.ndarray, pre: np.ndarray, post: np.ndarray) -> float:
    yt = Y[tr]
    yc = Y[co]
    return float((yt[:, post].mean() - yt[:, pre].mean()) - (yc[:, post].mean() - yc[:, pre].mean()))


def bacon_decomposition(
    panel: pd.DataFrame,
    unit: str,
    time: str,
    first_treated: str,
    outcome: str,
) -> BaconDecomposition:
    r"""Goodman-Bacon (2021) decomposition of the TWFE DiD estimate.

    Goodman-Bacon (2021), "Difference-in-differences with variation in treatment timing", *Journal of
    Econometrics* 225:254-277. For timing groups $k$ (go-live $t_k^*$, sample share $n_k$, share of
    periods treated $\bar D_k$) and never-treated $U$ the TWFE coefficient equals

    $$
    \hat\beta = \sum_k s_{kU}\hat\beta_{kU} + \sum_{k < l}\big[s^k_{kl}\hat\beta^k_{kl} +
    s^l_{kl}\hat\beta^l_{kl}\big]
    $$

    with the numerators of the weights (Goodman-Bacon 2021, eq. 10-12)

    $$
    s_{kU} \propto (n_k+n_U)^2\, n_{kU}(1-n_{kU})\, \bar D_k(1-\bar D_k)
    $$

    for a timing group against the never treated,

    $$
    s^k_{kl} \propto ((n_k+n_l)(1-\bar D_l))^2\, n_{kl}(1-n_{kl})\,
    \frac{\bar D_k-\bar D_l}{1-\bar D_l}\,\frac{1-\bar D_k}{1-\bar D_l}
    $$

    for early $k$ against not-yet-treated $l$ over the periods before $t_l^*$, and

    $$
    s^l_{kl} \propto ((n_k+n_l)\bar D_k)^2\, n_{kl}(1-n_{kl})\,\frac{\bar D_l}{\bar D_k}\,
    \frac{\bar D_k-\bar D_l}{\bar D_k}
    $$

    for late $l$ against already-treated $k$ over the periods from $t_k^*$, where
    $n_{ab} = n_a/(n_a+n_b)$. The numerators sum to the variance of the two-way demeaned treatment
    dummy, so the normalised weights sum to one. Units treated from the first period are an "always
    treated" group that can only serve as a control.

    Parameters
    ----------
    panel : DataFrame
        Balanced long panel (one row per unit and period, no missing outcome); no covariates or
        weights are used.
    unit, time, first_treated, outcome : str
        Column names; ``first_treated`` is the first treated period (0 or missing for never treated).

    Returns
    -------
    BaconDecomposition
        The 2x2 estimates and their weights, and the TWFE estimate they reproduce.

    Raises
    ------
    KeyError
        A named column is missing.
    ValueError
        The panel is unbalanced, has a missing outcome or duplicated unit-period rows; a unit's
        ``first_treated`` varies or is not one of the periods; or there is no comparison to make (no
        variation in treatment timing and no never-treated group).

    Examples
    --------
    Cohorts going live in periods 3 and 7 and a never-treated group, no noise, effect $1 + e$ in the
    $e$-th period since go-live. The late cohort's true average effect is 2, but the comparison that
    uses the early cohort (already treated, its effect still growing) as control gives -1.5:

    >>> import pandas as pd
    >>> rows = [(u, t, g, 2.0 * u + 0.5 * t + ((1.0 + t - g) if g and t >= g else 0.0))
    ...         for u, g in enumerate([3, 3, 7, 7, 0, 0]) for t in range(10)]
    >>> panel = pd.DataFrame(rows, columns=["unit", "t", "g", "y"])
    >>> b = bacon_decomposition(panel, "unit", "t", "g", "y")
    >>> tab = b.table().astype({"treated": str, "control": str}).round(4)
    >>> tab.values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['treated vs never treated', '3', 'never treated', 4.0, 0.3182],
     ['treated vs never treated', '7', 'never treated', 2.0, 0.3182],
     ['earlier vs later (not yet treated)', '3', '7', 2.5, 0.1818],
     ['later vs earlier (already treated)', '7', '3', -1.5, 0.1818]]
    >>> t = b.table()
    >>> round(float((t.weight * t.estimate).sum()), 4), round(b.twfe_estimate, 4)  # 23/11
    (2.0909, 2.0909)

    On ``did::mpdta`` the tests reproduce the decomposition's sum, -0.03654894, against R's
    ``fixest`` TWFE estimate (Callaway's ``twfeweights`` README).
    """
    p = prepare_panel(panel, unit, time, first_treated, outcome, drop_always_treated=False)
    Y, g, T = p.Y, p.g, p.T
    N = p.n
    groups = [int(x) for x in np.unique(g[g != NEVER])]
    has_never = bool(np.any(g == NEVER))
    share = {k: float(np.mean(g == k)) for k in groups}
    dbar = {k: (T - k) / T for k in groups}
    label = {k: p.times[k] for k in groups}
    rows = []
    tt = np.arange(T)
    if has_never:
        nU = float(np.mean(g == NEVER))
        for k in groups:
            if dbar[k] in (0.0, 1.0):
                continue
            nk = share[k]
            nkU = nk / (nk + nU)
            s = (nk + nU) ** 2 * nkU * (1 - nkU) * dbar[k] * (1 - dbar[k])
            est = _did2x2(Y, g == k, g == NEVER, tt < k, tt >= k)
            rows.append(("treated vs never treated", label[k], "never treated", est, s))
    for i, k in enumerate(groups):
        for l_ in groups[i + 1:]:
            nk, nl = share[k], share[l_]
            nkl = nk / (nk + nl)
            Dk, Dl = dbar[k], dbar[l_]
            if Dk < 1 and k > 0:  # early k vs not-yet-treated l over periods before t*_l
                s = ((nk + nl) * (1 - Dl)) ** 2 * nkl * (1 - nkl) * ((Dk - Dl) / (1 - Dl)) * ((1 - Dk) / (1 - Dl))
                win = tt < l_
                est = _did2x2(Y, g == k, g == l_, win & (tt < k), win & (tt >= k))
                rows.append(("earlier vs later (not yet treated)", label[k], label[l_], est, s))
            if Dl > 0:  # late l vs already-treated k over periods from t*_k
                s = ((nk + nl) * Dk) ** 2 * nkl * (1 - nkl) * (Dl / Dk) * ((Dk - Dl) / Dk)
                win = tt >= k
                est = _did2x2(Y, g == l_, g == k, win & (tt < l_), win & (tt >= l_))
                rows.append(("later vs earlier (already treated)", label[l_], label[k], est, s))
    if not rows:
        raise ValueError("no 2x2 comparisons: need variation in treatment timing or a never-treated group")
    d = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])
    d["weight"] = d["weight"] / d["weight"].sum()
    # TWFE estimate on the same panel
    D = (tt[None, :] >= g[:, None]).astype(float)
    ucodes = np.repeat(np.arange(N), T)
    tcodes = np.tile(np.arange(T), N)
    both = demean_twoway(np.column_stack([Y.ravel(), D.ravel()]), ucodes, tcodes)
    beta = float(both[:, 1] @ both[:, 0] / (both[:, 1] @ both[:, 1]))
    return BaconDecomposition(twfe_estimate=beta, comparisons=d)
