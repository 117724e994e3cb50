r"""Naive two-way fixed effects (TWFE) DiD and the Goodman-Bacon decomposition.

The TWFE regression :math:`Y_{it} = \alpha_i + \lambda_t + \beta D_{it} + \varepsilon_{it}` is the
textbook "generalised DiD". Under staggered adoption with effects that differ by cohort or grow over
time it is *not* an average of treatment effects: Goodman-Bacon (2021, *J Econometrics*
225:254-277) shows that :math:`\hat\beta` is a weighted average of every 2x2 DiD in the data,
including "forbidden" comparisons in which already-treated units serve as controls, so changes in
their effects enter with a negative sign. :func:`bacon_decomposition` computes those 2x2 estimates and
weights; they sum to one and reproduce :math:`\hat\beta` exactly (balanced panel, no covariates).
The result is shown beside the Callaway & Sant'Anna estimates for contrast (DESIGN.md section 5).

Standard errors are cluster-robust (CR1: :math:`G/(G-1) \cdot (N-1)/(N-K)` with ``K = T + 1``: the
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

from foundation_eval.impact._base import ImpactEstimate
from foundation_eval.impact._panel import NEVER, _require, prepare_panel, unit_constant
from foundation_eval.impact.inference import WildBootstrapResult, _group_sum, wild_cluster_bootstrap
from foundation_eval.impact.maryland import DESIGN_LEVELS

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
        return x - (_group_sum(codes, x, m) / counts[:, None])[codes]

    for _ in range(max_iter):
        prev = a
        a = sweep(sweep(a, unit_codes, cu, nu), time_codes, ct, nt)
        if np.max(np.abs(a - prev)) <= tol * (1 + np.max(np.abs(a))):
            break
    return a[:, 0] if squeeze else a


@dataclass(frozen=True)
class TWFEResult(ImpactEstimate):
    """Two-way fixed-effects estimate with cluster-robust and wild-cluster-bootstrap inference.

    ``se``, ``ci_low``, ``ci_high`` and ``p_value`` are cluster-robust (CR1, t with G-1 df);
    ``wild`` holds the wild cluster bootstrap p-value and interval (preferred with few clusters).
    """

    n_obs: int = 0
    n_clusters: int = 0
    wild: WildBootstrapResult | None = field(default=None, repr=False)

    def table(self) -> pd.DataFrame:
        """Coefficient row with both kinds of inference."""
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
        """Point estimate with cluster-robust and wild-bootstrap intervals."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3))
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
    r"""Naive two-way fixed-effects DiD: :math:`Y_{it} = \alpha_i + \lambda_t + \beta D_{it} + e_{it}`.

    Parameters
    ----------
    panel : DataFrame
        Long panel (balanced or not; fixed effects are absorbed by alternating projections).
    unit, time, outcome : str
        Column names.
    treated_col_or_first_treated : str
        Either a 0/1 treatment indicator :math:`D_{it}` or a first-treated period column (0 or missing
        for never treated), from which :math:`D_{it} = 1\{t \ge g_i\}`. ``kind`` forces the reading.
    cluster : str, optional
        Cluster column (default: ``unit``).
    level : float
        Confidence level.
    n_boot : int
        Wild-cluster-bootstrap draws (0 to skip).
    boot_weights : {"webb", "rademacher", "mammen"}
        Wild bootstrap weights; Webb's six-point weights suit few clusters.

    Returns
    -------
    TWFEResult
        Labelled Maryland SMS level 3: before-and-after comparison with untreated units, but biased
        when effects vary across cohorts or over time.
    """
    _require(panel, [unit, time, treated_col_or_first_treated, outcome, cluster])
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
    tcrit = float(_st.t.ppf(0.5 + level / 2, n_cl - 1))
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

    ``table()`` has one row per comparison with ``type`` ("treated vs never treated", "earlier vs
    later (not yet treated)", "later vs earlier (already treated)" - the last is the problematic
    one), ``treated`` and ``control`` cohort labels, ``estimate`` and ``weight``. The weights sum to
    one and ``sum(weight * estimate) == twfe_estimate``.
    """

    twfe_estimate: float
    comparisons: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        return self.comparisons.copy()

    def by_type(self) -> pd.DataFrame:
        """Total weight and weighted-average estimate for each type of comparison."""
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
        return (
            f"The two-way fixed-effects estimate {self.twfe_estimate:.3f} is a weighted average of "
            f"{len(self.comparisons)} simple before/after comparisons; {self.forbidden_weight:.0%} of the "
            "weight is on comparisons that use already-treated units as controls, which are biased "
            "when effects change over time."
        )

    def plot(self, ax=None):
        """Scatter of 2x2 estimates against their weights, by comparison type (Goodman-Bacon Fig. 6)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
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

    For timing groups :math:`k` (go-live :math:`t_k^*`, sample share :math:`n_k`, share of periods
    treated :math:`\bar D_k`) and never-treated :math:`U` the TWFE coefficient equals
    :math:`\sum_k s_{kU}\hat\beta_{kU} + \sum_{k \ne l}[s^k_{kl}\hat\beta^k_{kl} + s^l_{kl}\hat\beta^l_{kl}]`
    with (Goodman-Bacon 2021, eq. 10-12, numerators of the weights):

    * :math:`s_{kU} \propto (n_k+n_U)^2\, n_{kU}(1-n_{kU})\, \bar D_k(1-\bar D_k)`;
    * :math:`s^k_{kl} \propto ((n_k+n_l)(1-\bar D_l))^2\, n_{kl}(1-n_{kl})\,
      \frac{\bar D_k-\bar D_l}{1-\bar D_l}\,\frac{1-\bar D_k}{1-\bar D_l}` (early ``k`` vs
      not-yet-treated ``l``, periods before :math:`t_l^*`);
    * :math:`s^l_{kl} \propto ((n_k+n_l)\bar D_k)^2\, n_{kl}(1-n_{kl})\,\frac{\bar D_l}{\bar D_k}\,
      \frac{\bar D_k-\bar D_l}{\bar D_k}` (late ``l`` vs already-treated ``k``, periods from
      :math:`t_k^*`),

    where :math:`n_{ab} = n_a/(n_a+n_b)`. The numerators sum to the variance of the two-way demeaned
    treatment dummy, so the normalised weights sum to one. Units treated from the first period are an
    "always treated" group that can only serve as a control. Requires a balanced panel without
    covariates or weights.
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
