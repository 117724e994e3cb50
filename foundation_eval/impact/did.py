r"""Staggered difference-in-differences: Callaway & Sant'Anna (2021) group-time effects.

Callaway, B. & Sant'Anna, P.H.C. (2021). Difference-in-differences with multiple time periods.
*Journal of Econometrics* 225(2):200-230. The implementation follows the estimator without
covariates (the unconditional 2x2 comparison that R `did::att_gt` computes with `xformla = ~1`,
for which the "reg", "ipw" and "dr" methods coincide) and the aggregations of R `did::aggte`.

Group-time effect for the cohort first treated in period $g$, at period $t$, with base
period $b$ (`g - anticipation - 1` for post periods; `t - 1` for pre periods under the
"varying" base period, `g - anticipation - 1` under "universal"):

$$
\widehat{ATT}(g,t) = \bar{\Delta Y}_{G=g} - \bar{\Delta Y}_{C}, \qquad \Delta Y_i = Y_{it} - Y_{ib},
$$

where $C$ is the never-treated units or, with `control_group="not_yet_treated"`, the units
not yet treated by period $\max(t,b) + \text{anticipation}$ (never-treated included, cohort
$g$ excluded). Means are weighted by the optional unit weights. The influence function of unit
$i$ is

$$
\psi_i = n\left[\frac{w_i D_i(\Delta Y_i - \bar{\Delta Y}_{G=g})}{\sum_j w_j D_j}
         - \frac{w_i C_i(\Delta Y_i - \bar{\Delta Y}_{C})}{\sum_j w_j C_j}\right],
$$

analytic standard errors are $\sqrt{\sum_i \psi_i^2}/n$ (clustered: sum $\psi$ within
cluster first), and the multiplier bootstrap perturbs $\psi$ with Mammen (or Rademacher)
weights drawn per unit (or cluster) to give bootstrap SEs and sup-t simultaneous bands.

Aggregations (Callaway & Sant'Anna 2021, section 3; R `did::aggte`) weight post-treatment
$ATT(g,t)$ by cohort shares $p_g = n^{-1}\sum_i w_i 1\{G_i = g\}$; their influence
functions include the estimation effect of the shares (R's `wif`):

- `simple`: $\sum_{g \le t} p_g ATT(g,t) / \sum_{g \le t} p_g$;
- `group`: $\theta(g)$ = mean of $ATT(g,t)$ over $t \ge g$; overall
  $\sum_g p_g \theta(g)/\sum_g p_g$;
- `dynamic`: $\theta(e) = \sum_g p_g ATT(g, g+e)/\sum_g p_g$ for every event time $e$
  (negative $e$ are pre-period placebo effects); overall = mean of $\theta(e)$, $e \ge 0$;
- `calendar`: $\theta(t) = \sum_{g \le t} p_g ATT(g,t)/\sum p_g$; overall = mean over $t$.

What is supported: balanced panels only (`foundation_eval.impact._panel`); no covariates;
time-invariant unit weights (`weights=`, e.g. a district's eligible person-months averaged over the
panel; R `did` also requires time-invariant weights); clustering at a level coarser than the unit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.impact._base import ImpactEstimate
from foundation_eval.impact._panel import NEVER, Panel, prepare_panel
from foundation_eval.impact.inference import (
    MultiplierBootstrap,
    RandomizationResult,
    multiplier_bootstrap,
    multiset_permutations,
    n_distinct_permutations,
    permutation_p_value,
)
from foundation_eval.impact.maryland import maryland_level
from foundation_eval.stats import z_value

__all__ = [
    "staggered_did",
    "StaggeredDiDResult",
    "AggregateResult",
    "PretrendTest",
    "randomization_inference",
]

_KINDS = ("simple", "group", "dynamic", "calendar")
_CONTROL_LABEL = {
    "never_treated": "never-treated units as the comparison group",
    "not_yet_treated": "not-yet-treated (and never-treated) units as the comparison group",
}
_ASSUMPTIONS = (
    "Parallel trends: without the programme, the outcome in each go-live cohort would have moved in "
    "parallel with the comparison units.",
    "No anticipation: outcomes did not change before go-live (beyond any anticipation periods allowed).",
    "Staggered, irreversible adoption: once a unit starts the programme it stays in it.",
    "No spill-overs: one unit's programme does not change outcomes in comparison units.",
    "Inference is asymptotic in the number of units; with few units (a single force's districts, a handful "
    "of pilots) rely on randomisation inference over go-live dates and on cohort-level estimates.",
)


# --------------------------------------------------------------------------------------------------
# core computations
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cells:
    """Definition of the group-time cells: cohort, period, base period, control rule."""

    g: np.ndarray
    t: np.ndarray
    base: np.ndarray
    ctrl_after: np.ndarray  # control units must have g > ctrl_after (NEVER code for never-treated only)
    normalised: np.ndarray  # universal base-period cell fixed at zero


def _define_cells(cohorts, T: int, control_group: str, anticipation: int, base_period: str) -> _Cells:
    gs, ts, bs, cs, zs = [], [], [], [], []
    tstart = 1 if base_period == "varying" else 0
    for g in cohorts:
        last_pre = g - anticipation - 1
        if last_pre < 0:
            continue
        for t in range(tstart, T):
            post = t >= g
            base = last_pre if (post or base_period == "universal") else t - 1
            zero = base_period == "universal" and base == t
            if control_group == "never_treated":
                after = NEVER - 1
            else:
                after = max(t, base) + anticipation
            gs.append(g)
            ts.append(t)
            bs.append(base)
            cs.append(after)
            zs.append(zero)
    return _Cells(
        g=np.array(gs, dtype=np.int64),
        t=np.array(ts, dtype=np.int64),
        base=np.array(bs, dtype=np.int64),
        ctrl_after=np.array(cs, dtype=np.int64),
        normalised=np.array(zs, dtype=bool),
    )


def _masks(G: np.ndarray, cells: _Cells, k: int):
    """Treated and control masks (`G` may be P x n for permutations)."""
    D = G == cells.g[k]
    C = (G > cells.ctrl_after[k]) & ~D
    return D, C


def _att_and_inf(p: Panel, cells: _Cells):
    """ATT(g,t) and the n x K influence-function matrix; cells lacking treated or controls are NaN."""
    n = p.n
    K = cells.g.size
    att = np.full(K, np.nan)
    inf = np.zeros((n, K))
    n_treat = np.zeros(K, dtype=int)
    n_ctrl = np.zeros(K, dtype=int)
    for k in range(K):
        D, C = _masks(p.g, cells, k)
        n_treat[k], n_ctrl[k] = D.sum(), C.sum()
        if cells.normalised[k]:
            att[k] = 0.0
            continue
        if n_treat[k] == 0 or n_ctrl[k] == 0:
            continue
        dy = p.Y[:, cells.t[k]] - p.Y[:, cells.base[k]]
        wD = p.w * D
        wC = p.w * C
        sD, sC = wD.sum(), wC.sum()
        mt = wD @ dy / sD
        mc = wC @ dy / sC
        att[k] = mt - mc
        inf[:, k] = n * (wD * (dy - mt) / sD - wC * (dy - mc) / sC)
    return att, inf, n_treat, n_ctrl


def _att_permuted(p: Panel, cells: _Cells, Gp: np.ndarray) -> np.ndarray:
    """ATT(g,t) for each row of a P x n matrix of (permuted) cohort codes; returns P x K."""
    P = Gp.shape[0]
    out = np.full((P, cells.g.size), np.nan)
    w = p.w
    for k in range(cells.g.size):
        if cells.normalised[k]:
            out[:, k] = 0.0
            continue
        D, C = _masks(Gp, cells, k)
        dy = p.Y[:, cells.t[k]] - p.Y[:, cells.base[k]]
        with np.errstate(invalid="ignore", divide="ignore"):
            mt = (D * w) @ dy / (D @ w)
            mc = (C * w) @ dy / (C @ w)
        out[:, k] = mt - mc
    return out


def _se_from_inf(inf: np.ndarray, cluster) -> np.ndarray:
    """Analytic SE(s) from influence function(s): sqrt(sum psi^2)/n, summing within clusters first."""
    inf = np.asarray(inf)
    n = inf.shape[0]
    if cluster is not None:
        codes, _ = pd.factorize(cluster)
        s = np.zeros((codes.max() + 1,) + inf.shape[1:])
        np.add.at(s, codes, inf)
        inf = s
    return np.sqrt(np.sum(inf**2, axis=0)) / n


def _wif(keep: np.ndarray, pg: np.ndarray, w: np.ndarray, G: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Influence function of estimated aggregation weights (R `did:::wif`); n x len(keep)."""
    ind = np.stack([w * (G == group[k]) - pg[k] for k in keep], axis=1)  # n x m
    s = pg[keep].sum()
    if1 = ind / s
    if2 = ind.sum(axis=1)[:, None] * (pg[keep] / s**2)[None, :]
    return if1 - if2


def _agg(att, inf, keep, weights, wif=None):
    """Aggregate estimate and influence function: sum_k w_k att_k and inf @ w (+ wif @ att)."""
    est = float(np.sum(att[keep] * weights))
    f = inf[:, keep] @ weights
    if wif is not None:
        f = f + wif @ att[keep]
    return est, f


# --------------------------------------------------------------------------------------------------
# result objects
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PretrendTest:
    r"""Joint test that all pre-period ATT(g,t) are zero (R `did`'s pre-test of parallel trends).

    `method="wald"`: $W = n\,\hat a' \hat V^{-1} \hat a$ with $\hat V = \Psi'\Psi/n$
    restricted to the $q$ pre-period cells ($\hat a$ their estimates, $\Psi$ their influence
    functions), compared with $\chi^2_q$ (Callaway & Sant'Anna 2021, section 4; R `did`'s
    `Wpval`). When $\hat V$ is singular (more pre-period cells than units, e.g. 14 districts
    observed monthly) the Moore-Penrose inverse is used and `df` is its rank (a generalised Wald
    test; `method` says so). `method="randomization"`: the statistic $\sum_k \hat a_k^2$ is
    referred to its distribution over re-assigned go-live dates (exact under the sharp null, any
    number of units). Returned by
    [`StaggeredDiDResult.pretrend_test`][foundation_eval.impact.StaggeredDiDResult.pretrend_test].

    Attributes
    ----------
    statistic : float
        Wald statistic $W$, or $\sum_k \hat a_k^2$ for the randomisation test (NaN when there is no
        pre-period cell).
    df : int
        Degrees of freedom of the chi-squared reference (the rank of $\hat V$); the number of cells
        for the randomisation test.
    p_value : float
        p-value for "all pre-period effects are zero".
    cells : tuple of (group, time) pairs
        The pre-period cells tested, in the panel's time labels.
    method : str
        `"wald"`, `"generalised wald"` or `"randomization"`.
    n_cells : int
        Number of pre-period cells tested.

    Examples
    --------
    R `did` on `mpdta` prints "P-value for pre-test of parallel trends assumption: 0.16812"
    (README of the R package):

    >>> from pathlib import Path
    >>> import pandas as pd
    >>> import foundation_eval
    >>> from foundation_eval.impact import staggered_did
    >>> mpdta = pd.read_csv(Path(foundation_eval.__file__).parents[1] / "tests/data/impact_mpdta.csv")
    >>> pt = staggered_did(mpdta, "countyreal", "year", "first.treat", "lemp", n_boot=0).pretrend_test()
    >>> pt.method, pt.df, round(pt.statistic, 2), round(pt.p_value, 5)
    ('wald', 5, 7.79, 0.16812)
    """

    statistic: float
    df: int
    p_value: float
    cells: tuple = field(default=(), repr=False)
    method: str = "wald"
    n_cells: int = 0

    def summary_sentence(self) -> str:
        """The test and its verdict at the 5% level in one plain-English sentence.

        Returns
        -------
        str

        Examples
        --------
        >>> from pathlib import Path
        >>> import pandas as pd
        >>> import foundation_eval
        >>> from foundation_eval.impact import staggered_did
        >>> mpdta = pd.read_csv(Path(foundation_eval.__file__).parents[1] / "tests/data/impact_mpdta.csv")
        >>> res = staggered_did(mpdta, "countyreal", "year", "first.treat", "lemp", n_boot=0)
        >>> print(res.pretrend_test().summary_sentence())
        Joint Wald test of the 5 pre-treatment group-time effects: chi-squared = 7.79, p = 0.168 (no
        evidence against parallel pre-trends at the 5% level).
        """
        if self.n_cells == 0 or math.isnan(self.p_value):
            return "There are no pre-treatment periods to test parallel trends."
        verdict = "no evidence against" if self.p_value >= 0.05 else "evidence against"
        if self.method == "randomization":
            test = (f"Randomisation test of the {self.n_cells} pre-treatment group-time effects over "
                    f"re-assigned go-live dates: p = {self.p_value:.3f}")
        else:
            kind = "Joint Wald test" if self.method == "wald" else f"Generalised Wald test (rank {self.df})"
            test = (f"{kind} of the {self.n_cells} pre-treatment group-time effects: chi-squared = "
                    f"{self.statistic:.2f}, p = {self.p_value:.3f}")
        return f"{test} ({verdict} parallel pre-trends at the 5% level)."


@dataclass(frozen=True)
class AggregateResult(ImpactEstimate):
    """An aggregation of group-time effects (`simple`, `group`, `dynamic` or `calendar`).

    Returned by [`StaggeredDiDResult.aggregate`][foundation_eval.impact.StaggeredDiDResult.aggregate]
    (immutable). `estimate`/`se`/`ci_low`/`ci_high` are the overall effect with its analytic
    influence-function SE and a pointwise normal interval, in the units of the outcome.
    `table()` has one row per group / event time / calendar period with pointwise intervals
    (`ci_low`, `ci_high`) and simultaneous bootstrap bands (`band_low`, `band_high`). It carries
    every field of [`ImpactEstimate`][foundation_eval.impact.ImpactEstimate] (name, estimate, se,
    interval, p-value, design labels, Maryland level) and the following.

    Attributes
    ----------
    kind : str
        `"simple"`, `"group"`, `"dynamic"` or `"calendar"`.
    se_boot : float
        Multiplier-bootstrap SE of the overall effect (NaN with `n_boot=0`).
    crit_value : float
        Sup-t critical value of the simultaneous bands in `table()` (NaN without bootstrap or for
        `simple`).
    band : str
        How the intervals of `table()` were computed, in words.
    detail : DataFrame or None
        The per-category rows behind `table()` (None for `simple`).

    Examples
    --------
    R `did`'s `aggte(type = "group")` on `mpdta` (README of the R package): cohort effects -0.0797,
    -0.0229, -0.0261 and overall -0.031; R `did` 2.3.0 gives the analytic SE 0.0124:

    >>> from pathlib import Path
    >>> import pandas as pd
    >>> import foundation_eval
    >>> from foundation_eval.impact import staggered_did
    >>> mpdta = pd.read_csv(Path(foundation_eval.__file__).parents[1] / "tests/data/impact_mpdta.csv")
    >>> res = staggered_did(mpdta, "countyreal", "year", "first.treat", "lemp", n_boot=0)
    >>> grp = res.aggregate("group")
    >>> grp.kind, round(grp.estimate, 4), round(grp.se, 4)
    ('group', -0.031, 0.0124)
    >>> grp.table().set_index("group")["att"].round(4).to_dict()
    {2004: -0.0797, 2006: -0.0229, 2007: -0.0261}
    """

    kind: str = "simple"
    se_boot: float = float("nan")
    crit_value: float = float("nan")
    band: str = ""
    detail: pd.DataFrame | None = field(default=None, repr=False)

    def table(self) -> pd.DataFrame:
        """Per-category rows (per group, event time or period); the overall row for `simple`.

        Returns
        -------
        DataFrame
            For `group`, `dynamic` and `calendar`: one row per cohort (`group`), event time
            (`event_time`, with `pre` True for placebo leads) or period (`time`), with `att`, `se`
            (analytic), `ci_low`/`ci_high` (pointwise normal), `se_boot` and `band_low`/`band_high`
            (simultaneous sup-t bands; NaN without bootstrap). `attrs["band"]` says how the
            intervals were computed. For `simple`: one row with `estimate`, `se`, `ci_low`,
            `ci_high`, `se_boot`, `p_value`.

        Examples
        --------
        R `did`'s `aggte(type = "dynamic")` on `mpdta` (README of the R package): event-time effects
        0.0305, -0.0006, -0.0245 before go-live and -0.0199, -0.0510, -0.1373, -0.1008 after:

        >>> from pathlib import Path
        >>> import pandas as pd
        >>> import foundation_eval
        >>> from foundation_eval.impact import staggered_did
        >>> mpdta = pd.read_csv(Path(foundation_eval.__file__).parents[1] / "tests/data/impact_mpdta.csv")
        >>> res = staggered_did(mpdta, "countyreal", "year", "first.treat", "lemp", n_boot=0)
        >>> dyn = res.aggregate("dynamic").table()
        >>> print(dyn[["event_time", "pre", "att", "se"]].round(4).to_string(index=False))
         event_time   pre     att     se
                 -3  True  0.0305 0.0150
                 -2  True -0.0006 0.0133
                 -1  True -0.0245 0.0142
                  0 False -0.0199 0.0118
                  1 False -0.0510 0.0169
                  2 False -0.1373 0.0364
                  3 False -0.1008 0.0344
        """
        if self.detail is None:
            return pd.DataFrame(
                [
                    {
                        "estimate": self.estimate,
                        "se": self.se,
                        "ci_low": self.ci_low,
                        "ci_high": self.ci_high,
                        "se_boot": self.se_boot,
                        "p_value": self.p_value,
                    }
                ]
            )
        out = self.detail.copy()
        out.attrs["band"] = self.band
        return out

    def plot(self, ax=None, *, simultaneous: bool = True):
        """Event-study style plot (pre periods in grey for `dynamic`) with intervals.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.
        simultaneous : bool
            Draw the simultaneous bootstrap bands when there are any; otherwise (or when False) the
            pointwise intervals.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> from pathlib import Path
        >>> import pandas as pd
        >>> import foundation_eval
        >>> from foundation_eval.impact import staggered_did
        >>> mpdta = pd.read_csv(Path(foundation_eval.__file__).parents[1] / "tests/data/impact_mpdta.csv")
        >>> import matplotlib.pyplot as plt
        >>> res = staggered_did(mpdta, "countyreal", "year", "first.treat", "lemp", n_boot=49)
        >>> ax = res.aggregate("dynamic").plot()
        >>> ax.get_xlabel()
        'periods since go-live (event time)'
        >>> plt.close("all")
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(7, 4))
        if self.detail is None:
            ax.errorbar([0], [self.estimate], yerr=[[self.estimate - self.ci_low], [self.ci_high - self.estimate]],
                        fmt="o", color="C0", capsize=4)
            ax.set_xticks([0], ["overall"])
            ax.axhline(0, color="0.4", lw=0.8)
            ax.set_ylabel(f"effect on {self.outcome}")
            return ax
        d = self.detail
        xcol = {"group": "group", "dynamic": "event_time", "calendar": "time"}[self.kind]
        lo_col, hi_col = ("band_low", "band_high") if simultaneous and d["band_low"].notna().any() else ("ci_low", "ci_high")
        x = np.arange(len(d)) if self.kind != "dynamic" else d[xcol].to_numpy(dtype=float)
        pre = d["event_time"].to_numpy() < 0 if self.kind == "dynamic" else np.zeros(len(d), dtype=bool)
        for mask, colour, label in ((pre, "0.5", "pre-period (placebo)"), (~pre, "C0", "post-period")):
            if mask.any():
                est = d["att"].to_numpy()[mask]
                ax.errorbar(
                    x[mask], est,
                    yerr=[est - d[lo_col].to_numpy()[mask], d[hi_col].to_numpy()[mask] - est],
                    fmt="o", color=colour, capsize=3, label=label,
                )
        ax.axhline(0, color="0.4", lw=0.8)
        if self.kind == "dynamic":
            ax.axvline(-0.5, color="0.6", ls="--", lw=0.8)
            ax.set_xlabel("periods since go-live (event time)")
            ax.legend(frameon=False)
        else:
            ax.set_xticks(x, [str(v) for v in d[xcol]])
            ax.set_xlabel(xcol.replace("_", " "))
        kind = "simultaneous" if lo_col == "band_low" else "pointwise"
        ax.set_ylabel(f"effect on {self.outcome}\n({int(round(self.level * 100))}% {kind} intervals)")
        return ax


@dataclass(frozen=True)
class StaggeredDiDResult:
    """Group-time effects ATT(g,t) from [`staggered_did`][foundation_eval.impact.staggered_did] (immutable).

    Use `group_time()` for the cell table, `aggregate()` for summaries (overall, by cohort, event
    study, by calendar period), `pretrend_test()` for the Wald pre-test and `randomization_test()`
    for inference over go-live dates.

    Attributes
    ----------
    outcome : str
        Name of the outcome column.
    control_group : str
        `"never_treated"` or `"not_yet_treated"`.
    anticipation : int
        Periods of anticipation allowed before go-live.
    base_period : str
        `"varying"` or `"universal"`.
    level : float
        Confidence level of intervals and bands.
    n_boot : int
        Multiplier-bootstrap draws (0: no bootstrap).
    seed : int or None
        Seed of the bootstrap.
    boot_weights : str
        Multiplier distribution, `"mammen"` or `"rademacher"`.
    n_units, n_periods : int
        Units and periods of the balanced panel used.
    cohorts : tuple
        First-treated periods of the cohorts estimated, in the panel's time labels.
    skipped_cells : tuple of (group, time) pairs
        Cells with no treated or no comparison unit (e.g. after every unit has gone live with
        not-yet-treated controls); R `did` skips them too.
    design, estimand : str
        Plain-English labels.
    assumptions : tuple of str
        Identifying assumptions in plain English.

    Examples
    --------
    `mpdta` is the county teen-employment panel shipped with R `did` (500 counties, 2003-2007;
    a copy is kept in the repository's `tests/data`):

    >>> from pathlib import Path
    >>> import pandas as pd
    >>> import foundation_eval
    >>> from foundation_eval.impact import staggered_did
    >>> mpdta = pd.read_csv(Path(foundation_eval.__file__).parents[1] / "tests/data/impact_mpdta.csv")
    >>> res = staggered_did(mpdta, "countyreal", "year", "first.treat", "lemp", n_boot=0)
    >>> res.n_units, res.n_periods, [int(g) for g in res.cohorts], res.skipped_cells
    (500, 5, [2004, 2006, 2007], ())
    """

    outcome: str
    control_group: str
    anticipation: int
    base_period: str
    level: float
    n_boot: int
    seed: int | None
    boot_weights: str
    n_units: int
    n_periods: int
    cohorts: tuple
    skipped_cells: tuple
    design: str = "staggered difference-in-differences (Callaway & Sant'Anna 2021)"
    estimand: str = "average effect on the treated in each go-live cohort and period, ATT(g,t)"
    assumptions: tuple = _ASSUMPTIONS
    _panel: Panel = field(default=None, repr=False)
    _cells: _Cells = field(default=None, repr=False)
    _att: np.ndarray = field(default=None, repr=False)
    _inf: np.ndarray = field(default=None, repr=False)
    _n_treat: np.ndarray = field(default=None, repr=False)
    _n_ctrl: np.ndarray = field(default=None, repr=False)

    # ---- labels ---------------------------------------------------------------------------------
    @property
    def comparison(self) -> str:
        """Who the treated cohorts are compared with, in words."""
        return _CONTROL_LABEL[self.control_group]

    @property
    def sms_level(self) -> int:
        """Maryland Scientific Methods Scale level: 4, lowered to 3 when the pre-trend test rejects at 5%.

        Set by [`maryland_level`][foundation_eval.impact.maryland_level] from the p-value of the joint
        Wald test of the pre-period effects.
        """
        pt = self.pretrend_test()
        return maryland_level("staggered_did", pre_trend_p=pt.p_value if pt.df > 0 else None).level

    @property
    def _valid(self) -> np.ndarray:
        return ~np.isnan(self._att)

    def _rng(self, salt: int) -> np.random.Generator:
        return np.random.default_rng(None if self.seed is None else [int(self.seed), salt])

    @cached_property
    def _boot_cells(self) -> MultiplierBootstrap | None:
        if self.n_boot <= 0:
            return None
        keep = self._valid
        return multiplier_bootstrap(
            self._inf[:, keep], n_boot=self.n_boot, level=self.level, weights=self.boot_weights,
            seed=self._rng(0), cluster=self._panel.cluster,
        )

    # ---- tables ---------------------------------------------------------------------------------
    def group_time(self) -> pd.DataFrame:
        """One row per estimable ATT(g,t).

        Returns
        -------
        DataFrame
            Columns `group`, `time` (original labels), `event_time` (periods since go-live),
            `pre` (True for placebo cells before go-live), `att`, `se` (analytic
            influence-function SE; NaN for the cell fixed at zero under a universal base period),
            `ci_low`/`ci_high` (pointwise normal), `se_boot` and `band_low`/`band_high`
            (multiplier bootstrap; simultaneous sup-t band over all cells; NaN with `n_boot=0`),
            `n_treated`, `n_control` (units in the cohort and in the comparison group).
            `attrs["band"]` says how the intervals were computed.

        Examples
        --------
        R `did`'s `att_gt` on `mpdta` (README of the R package) gives ATT(2004, 2004) = -0.0105,
        ATT(2004, 2005) = -0.0704, ATT(2004, 2006) = -0.1373, ATT(2004, 2007) = -0.1008:

        >>> from pathlib import Path
        >>> import pandas as pd
        >>> import foundation_eval
        >>> from foundation_eval.impact import staggered_did
        >>> mpdta = pd.read_csv(Path(foundation_eval.__file__).parents[1] / "tests/data/impact_mpdta.csv")
        >>> res = staggered_did(mpdta, "countyreal", "year", "first.treat", "lemp", n_boot=0)
        >>> gt = res.group_time()
        >>> gt.shape
        (12, 13)
        >>> print(gt[["group", "time", "event_time", "att", "se", "n_treated", "n_control"]].head(4)
        ...       .round(4).to_string(index=False))
         group  time  event_time     att     se  n_treated  n_control
          2004  2004           0 -0.0105 0.0233         20        309
          2004  2005           1 -0.0704 0.0310         20        309
          2004  2006           2 -0.1373 0.0364         20        309
          2004  2007           3 -0.1008 0.0344         20        309
        """
        keep = self._valid
        times = self._panel.times
        c = self._cells
        se = _se_from_inf(self._inf[:, keep], self._panel.cluster)
        se = np.where(se <= math.sqrt(np.finfo(float).eps) * 10, np.nan, se)
        att = self._att[keep]
        z = z_value(self.level)
        df = pd.DataFrame(
            {
                "group": times[c.g[keep]],
                "time": times[c.t[keep]],
                "event_time": (c.t - c.g)[keep],
                "pre": (c.t < c.g)[keep],
                "att": att,
                "se": se,
                "ci_low": att - z * se,
                "ci_high": att + z * se,
            }
        )
        b = self._boot_cells
        if b is not None:
            df["se_boot"] = b.se
            df["band_low"] = att - b.crit * b.se
            df["band_high"] = att + b.crit * b.se
        else:
            df["se_boot"] = df["band_low"] = df["band_high"] = np.nan
        df["n_treated"] = self._n_treat[keep]
        df["n_control"] = self._n_ctrl[keep]
        df.attrs["band"] = (
            f"ci_low/ci_high: pointwise {self.level:.0%} normal intervals from analytic SEs; "
            f"band_low/band_high: simultaneous {self.level:.0%} sup-t bands from {self.n_boot} "
            f"multiplier-bootstrap draws ({self.boot_weights} weights)"
        )
        return df

    # ---- aggregation ----------------------------------------------------------------------------
    def aggregate(self, kind: str = "simple", *, min_e: float = -math.inf, max_e: float = math.inf,
                  balance_e: int | None = None, max_time=None) -> AggregateResult:
        r"""Aggregate ATT(g,t) as in R `did::aggte` (Callaway & Sant'Anna 2021, section 3).

        With cohort shares $p_g$ (weighted by the unit weights):

        - `simple`: $\theta = \sum_{g \le t} p_g ATT(g,t) / \sum_{g \le t} p_g$ over all post-go-live
          cells;
        - `group`: $\theta(g)$ = mean of $ATT(g,t)$ over $t \ge g$, overall
          $\sum_g p_g\theta(g)/\sum_g p_g$;
        - `dynamic` (event study): $\theta(e) = \sum_g p_g ATT(g,g+e)/\sum_g p_g$, overall the mean of
          $\theta(e)$ over $e \ge 0$;
        - `calendar`: $\theta(t) = \sum_{g \le t} p_g ATT(g,t)/\sum_{g \le t} p_g$, overall the mean
          over $t$.

        Standard errors come from the aggregated influence functions, including the estimation
        effect of the shares $p_g$ (R's `wif`); with `n_boot > 0` the multiplier bootstrap adds
        bootstrap SEs and simultaneous bands over the categories.

        Parameters
        ----------
        kind : {"simple", "group", "dynamic", "calendar"}
            Which aggregation.
        min_e : float
            Earliest event time kept (`dynamic` only).
        max_e : float
            Latest event time kept (`dynamic`; also limits the cells of `simple` and `group`).
        balance_e : int, optional
            `dynamic` only: keep only cohorts observed for at least `balance_e` periods after
            go-live, so the event-study composition does not change over `e <= balance_e`.
        max_time : optional
            `simple` and `group`: keep only cells of periods up to this one (a value of the panel's
            time column), e.g. the periods in which enough units are not yet treated.

        Returns
        -------
        AggregateResult
            The overall effect (`estimate`, in the units of the outcome) with its interval, and the
            per-category rows in `table()`.

        Raises
        ------
        ValueError
            For an unknown `kind`, or when no post-treatment cell is left to aggregate.

        Examples
        --------
        R `did` 2.3.0, `aggte(type = "simple", bstrap = FALSE)` on `mpdta`: ATT -0.0399512752,
        SE 0.0120340128 (quoted in StatsPAI's R-parity test):

        >>> from pathlib import Path
        >>> import pandas as pd
        >>> import foundation_eval
        >>> from foundation_eval.impact import staggered_did
        >>> mpdta = pd.read_csv(Path(foundation_eval.__file__).parents[1] / "tests/data/impact_mpdta.csv")
        >>> res = staggered_did(mpdta, "countyreal", "year", "first.treat", "lemp", n_boot=0)
        >>> simple = res.aggregate("simple")
        >>> round(simple.estimate, 10), round(simple.se, 10)
        (-0.0399512752, 0.0120340128)
        >>> res.aggregate("dynamic", min_e=-1, max_e=1).table()["event_time"].tolist()
        [-1, 0, 1]
        """
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
        p, c = self._panel, self._cells
        valid = self._valid
        att = np.where(valid, self._att, 0.0)
        inf = self._inf
        G, w = p.g, p.w
        pg_cohort = {g: float(np.mean(w * (G == g))) for g in np.unique(c.g)}
        pg = np.array([pg_cohort[g] for g in c.g])
        e = c.t - c.g
        post = (c.g <= c.t) & valid & (e <= max_e)
        if max_time is not None and kind in ("simple", "group"):
            post &= np.asarray(p.times)[c.t] <= max_time
        cl = p.cluster
        z = z_value(self.level)
        rows: list[dict] = []
        cat_inf: list[np.ndarray] = []

        def add_row(key: dict, est: float, f: np.ndarray) -> None:
            se = float(_se_from_inf(f, cl))
            rows.append({**key, "att": est, "se": se})
            cat_inf.append(f)

        if kind == "simple":
            keep = np.flatnonzero(post)
            if keep.size == 0:
                raise ValueError("no post-treatment group-time effects to aggregate")
            wts = pg[keep] / pg[keep].sum()
            est, f = _agg(att, inf, keep, wts, _wif(keep, pg, w, G, c.g))
            label = "ATT averaged over all post-go-live cohort-periods, weighted by cohort size"
        elif kind == "group":
            cohorts, gatt, ginf = [], [], []
            for g in np.unique(c.g):
                keep = np.flatnonzero(post & (c.g == g))
                if keep.size == 0:
                    continue
                est_g, f_g = _agg(att, inf, keep, np.full(keep.size, 1 / keep.size))
                add_row({"group": p.times[g]}, est_g, f_g)
                cohorts.append(g)
                gatt.append(est_g)
                ginf.append(f_g)
            if not cohorts:
                raise ValueError("no post-treatment group-time effects to aggregate")
            gatt_a = np.array(gatt)
            ginf_m = np.stack(ginf, axis=1)
            pgg = np.array([pg_cohort[g] for g in cohorts])
            idx = np.arange(len(cohorts))
            wif = _wif(idx, pgg, w, G, np.array(cohorts))
            est, f = _agg(gatt_a, ginf_m, idx, pgg / pgg.sum(), wif)
            label = "average of cohort-specific effects, weighted by cohort size"
        elif kind == "dynamic":
            incl = valid.copy()
            if balance_e is not None:
                incl &= (p.T - 1 - c.g) >= balance_e
            es = np.unique(e[incl])
            if balance_e is not None:
                es = es[(es <= balance_e) & (es >= balance_e - (p.T - 1))]
            es = es[(es >= min_e) & (es <= max_e)]
            eatt, einf, epos = [], [], []
            for ev in es:
                keep = np.flatnonzero(incl & (e == ev))
                wts = pg[keep] / pg[keep].sum()
                est_e, f_e = _agg(att, inf, keep, wts, _wif(keep, pg, w, G, c.g))
                add_row({"event_time": int(ev)}, est_e, f_e)
                eatt.append(est_e)
                einf.append(f_e)
                epos.append(ev >= 0)
            epos_a = np.array(epos, dtype=bool)
            if not epos_a.any():
                raise ValueError("no post-treatment event times to aggregate")
            ea = np.array(eatt)[epos_a]
            em = np.stack(einf, axis=1)[:, epos_a]
            idx = np.arange(ea.size)
            est, f = _agg(ea, em, idx, np.full(ea.size, 1 / ea.size))
            label = "average of event-time effects over periods since go-live (e >= 0)"
        else:  # calendar
            tl = np.unique(c.t[post])
            tatt, tinf = [], []
            for t in tl:
                keep = np.flatnonzero(post & (c.t == t))
                wts = pg[keep] / pg[keep].sum()
                est_t, f_t = _agg(att, inf, keep, wts, _wif(keep, pg, w, G, c.g))
                add_row({"time": p.times[t]}, est_t, f_t)
                tatt.append(est_t)
                tinf.append(f_t)
            if not tatt:
                raise ValueError("no post-treatment group-time effects to aggregate")
            ta = np.array(tatt)
            idx = np.arange(ta.size)
            est, f = _agg(ta, np.stack(tinf, axis=1), idx, np.full(ta.size, 1 / ta.size))
            label = "average over calendar periods of the effect among cohorts already live"

        se = float(_se_from_inf(f, cl))
        se_boot, crit = float("nan"), float("nan")
        detail = None
        band = f"pointwise {self.level:.0%} normal intervals from analytic influence-function SEs"
        salt = 1 + _KINDS.index(kind)
        if self.n_boot > 0:
            bo = multiplier_bootstrap(f, n_boot=self.n_boot, level=self.level, weights=self.boot_weights,
                                      seed=self._rng(100 + salt), cluster=cl)
            se_boot = float(bo.se[0])
        if rows:
            detail = pd.DataFrame(rows)
            detail["ci_low"] = detail["att"] - z * detail["se"]
            detail["ci_high"] = detail["att"] + z * detail["se"]
            if "event_time" in detail:
                detail["pre"] = detail["event_time"] < 0
            if self.n_boot > 0:
                bc = multiplier_bootstrap(np.stack(cat_inf, axis=1), n_boot=self.n_boot, level=self.level,
                                          weights=self.boot_weights, seed=self._rng(salt), cluster=cl)
                crit = bc.crit
                detail["se_boot"] = bc.se
                detail["band_low"] = detail["att"] - crit * bc.se
                detail["band_high"] = detail["att"] + crit * bc.se
                band += (f"; band_low/band_high: simultaneous {self.level:.0%} sup-t bands from "
                         f"{self.n_boot} multiplier-bootstrap draws ({self.boot_weights} weights)")
            else:
                detail["se_boot"] = detail["band_low"] = detail["band_high"] = np.nan
        pval = float(2 * _st.norm.sf(abs(est / se))) if se > 0 else float("nan")
        notes = []
        if p.n < 30:
            notes.append(f"Only {p.n} units: analytic and bootstrap intervals may be too narrow; "
                         "see randomization_test().")
        return AggregateResult(
            name=f"did_{kind}_{self.outcome}",
            estimate=est,
            se=se,
            ci_low=est - z * se,
            ci_high=est + z * se,
            level=self.level,
            p_value=pval,
            design=self.design,
            estimand=label,
            comparison=self.comparison,
            assumptions=self.assumptions,
            sms_level=self.sms_level,
            outcome=self.outcome,
            interval_method="analytic influence-function SE, normal approximation",
            notes=tuple(notes),
            kind=kind,
            se_boot=se_boot,
            crit_value=crit,
            band=band,
            detail=detail,
        )

    # ---- tests ----------------------------------------------------------------------------------
    def pretrend_test(self, method: str = "wald", *, n_perm: int = 999, seed: int | None = 0) -> PretrendTest:
        """Test that the pre-period ATT(g,t) are jointly zero.

        `method="wald"` is R `did`'s pre-test (generalised to a pseudo-inverse when the
        covariance is singular); `method="randomization"` refers the sum of squared pre-period
        effects to its distribution over re-assigned go-live dates (the few-units answer). See
        [`PretrendTest`][foundation_eval.impact.PretrendTest] for the formulas. Cells whose
        influence function is (numerically) zero, such as the cell fixed at zero under a universal
        base period, are left out.

        Parameters
        ----------
        method : {"wald", "randomization"}
            Which test.
        n_perm : int
            Randomisation test only: random re-assignments drawn (all of them are enumerated when
            there are at most `n_perm + 1`).
        seed : int, optional
            Randomisation test only: seed of the draws.

        Returns
        -------
        PretrendTest
            Statistic, degrees of freedom and p-value (NaN when there is no pre-period cell).

        Raises
        ------
        ValueError
            For an unknown `method`.

        Examples
        --------
        R `did` on `mpdta`: "P-value for pre-test of parallel trends assumption: 0.16812":

        >>> from pathlib import Path
        >>> import pandas as pd
        >>> import foundation_eval
        >>> from foundation_eval.impact import staggered_did
        >>> mpdta = pd.read_csv(Path(foundation_eval.__file__).parents[1] / "tests/data/impact_mpdta.csv")
        >>> res = staggered_did(mpdta, "countyreal", "year", "first.treat", "lemp", n_boot=0)
        >>> round(res.pretrend_test().p_value, 5)
        0.16812
        >>> ri = res.pretrend_test("randomization", n_perm=99, seed=1)
        >>> ri.method, ri.n_cells, ri.p_value
        ('randomization', 5, 0.49)
        """
        if method == "wald":
            return self._pretest
        if method == "randomization":
            return self._pretest_ri(n_perm, seed)
        raise ValueError("method must be 'wald' or 'randomization'")

    def _pre_cells(self) -> np.ndarray:
        c = self._cells
        pre = np.flatnonzero((c.g > c.t) & self._valid & ~c.normalised)
        if pre.size:
            se = _se_from_inf(self._inf[:, pre], self._panel.cluster)
            pre = pre[se > math.sqrt(np.finfo(float).eps) * 10]
        return pre

    def _cell_labels(self, idx) -> tuple:
        c, times = self._cells, self._panel.times
        return tuple((times[c.g[k]], times[c.t[k]]) for k in idx)

    @cached_property
    def _pretest(self) -> PretrendTest:
        pre = self._pre_cells()
        if pre.size == 0:
            return PretrendTest(statistic=float("nan"), df=0, p_value=float("nan"))
        n = self._panel.n
        f = self._inf[:, pre]
        if self._panel.cluster is not None:
            codes, _ = pd.factorize(self._panel.cluster)
            s = np.zeros((codes.max() + 1, pre.size))
            np.add.at(s, codes, f)
            f = s
        a = self._att[pre]
        # V = F'F/n = R' diag(s^2/n) R from the thin SVD F = U diag(s) R (cheap when n << q), so
        # W = n a' V^+ a = n^2 sum_j (R a)_j^2 / s_j^2 over the non-zero singular values
        _, sv, R = np.linalg.svd(f, full_matrices=False)
        keep = sv > sv.max() * max(f.shape) * np.finfo(float).eps * 100
        rank = int(keep.sum())
        proj = R[keep] @ a
        W = float(n**2 * np.sum(proj**2 / sv[keep] ** 2))
        method = "wald" if rank == pre.size else "generalised wald"
        return PretrendTest(statistic=W, df=rank, p_value=float(_st.chi2.sf(W, rank)),
                            cells=self._cell_labels(pre), method=method, n_cells=int(pre.size))

    def _pretest_ri(self, n_perm: int, seed) -> PretrendTest:
        pre = self._pre_cells()
        if pre.size == 0:
            return PretrendTest(statistic=float("nan"), df=0, p_value=float("nan"), method="randomization")
        p, cells = self._panel, self._cells
        observed = float(np.sum(self._att[pre] ** 2))
        n_assign = n_distinct_permutations(p.g)
        exact = n_assign <= n_perm + 1
        if exact:
            Gp = np.stack(list(multiset_permutations(p.g)))
        else:
            rng = np.random.default_rng(seed)
            Gp = np.stack([rng.permutation(p.g) for _ in range(n_perm)])
        sub = _Cells(g=cells.g[pre], t=cells.t[pre], base=cells.base[pre], ctrl_after=cells.ctrl_after[pre],
                     normalised=cells.normalised[pre])
        null = np.nansum(_att_permuted(p, sub, Gp) ** 2, axis=1)
        pval = permutation_p_value(observed, null, alternative="greater", exact=exact)
        return PretrendTest(statistic=observed, df=int(pre.size), p_value=pval, cells=self._cell_labels(pre),
                            method="randomization", n_cells=int(pre.size))

    def randomization_test(self, n_perm: int = 999, seed: int | None = 0, statistic: str = "simple") -> RandomizationResult:
        """Randomisation inference over go-live dates.

        The same test as [`randomization_inference`][foundation_eval.impact.randomization_inference],
        on this result's panel and options: cohorts are re-assigned across units and the aggregate
        ATT recomputed for each assignment.

        Parameters
        ----------
        n_perm : int
            Random re-assignments drawn; all are enumerated when there are at most `n_perm + 1`.
        seed : int, optional
            Seed of the draws.
        statistic : {"simple", "group"}
            Aggregate ATT used as the test statistic.

        Returns
        -------
        RandomizationResult
            Observed statistic (equal to `aggregate(statistic).estimate`), its randomisation
            distribution and the two-sided p-value.

        Raises
        ------
        ValueError
            For an unknown `statistic`.

        Examples
        --------
        On `mpdta` the randomisation p-value (0.02 from 99 draws) is larger than the analytic
        0.0009, because it relies only on counties being exchangeable across go-live dates:

        >>> from pathlib import Path
        >>> import pandas as pd
        >>> import foundation_eval
        >>> from foundation_eval.impact import staggered_did
        >>> mpdta = pd.read_csv(Path(foundation_eval.__file__).parents[1] / "tests/data/impact_mpdta.csv")
        >>> res = staggered_did(mpdta, "countyreal", "year", "first.treat", "lemp", n_boot=0)
        >>> ri = res.randomization_test(n_perm=99, seed=4)
        >>> round(ri.observed, 4), round(res.aggregate("simple").estimate, 4)
        (-0.04, -0.04)
        >>> ri.exact, ri.n_draws, ri.p_value
        (False, 99, 0.02)
        """
        return _randomization(self, n_perm=n_perm, seed=seed, statistic=statistic)

    # ---- presentation ---------------------------------------------------------------------------
    def summary_sentence(self, digits: int = 3) -> str:
        """Overall (simple) effect with interval, and the pre-trend test, in plain English.

        Parameters
        ----------
        digits : int
            Decimals of the estimate and its interval.

        Returns
        -------
        str

        Examples
        --------
        >>> from pathlib import Path
        >>> import pandas as pd
        >>> import foundation_eval
        >>> from foundation_eval.impact import staggered_did
        >>> mpdta = pd.read_csv(Path(foundation_eval.__file__).parents[1] / "tests/data/impact_mpdta.csv")
        >>> res = staggered_did(mpdta, "countyreal", "year", "first.treat", "lemp", n_boot=0)
        >>> print(res.summary_sentence())
        Using staggered difference-in-differences (Callaway & Sant'Anna 2021) (never-treated units as
        the comparison group), the estimated effect on lemp (...) is -0.040 (95% confidence interval
        -0.064 to -0.016, which excludes no effect); Maryland Scientific Methods Scale level 4. Joint
        Wald test of the 5 pre-treatment group-time effects: chi-squared = 7.79, p = 0.168 (no evidence
        against parallel pre-trends at the 5% level).
        """
        agg = self.aggregate("simple")
        return f"{agg.summary_sentence(digits)} {self.pretrend_test().summary_sentence()}"

    def plot(self, ax=None):
        """ATT(g,t) by period, one series per cohort; pre-period cells hollow.

        Error bars are the pointwise analytic intervals.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> from pathlib import Path
        >>> import pandas as pd
        >>> import foundation_eval
        >>> from foundation_eval.impact import staggered_did
        >>> mpdta = pd.read_csv(Path(foundation_eval.__file__).parents[1] / "tests/data/impact_mpdta.csv")
        >>> import matplotlib.pyplot as plt
        >>> ax = staggered_did(mpdta, "countyreal", "year", "first.treat", "lemp", n_boot=0).plot()
        >>> ax.get_ylabel(), [t.get_text() for t in ax.get_legend().get_texts()]
        ('ATT(g,t) on lemp', ['cohort 2004', 'cohort 2006', 'cohort 2007'])
        >>> plt.close("all")
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(8, 4))
        d = self.group_time()
        groups = list(pd.unique(d["group"]))
        tpos = {t: i for i, t in enumerate(self._panel.times)}
        for j, g in enumerate(groups):
            s = d[d["group"] == g]
            x = np.array([tpos[t] for t in s["time"]]) + (j - (len(groups) - 1) / 2) * 0.08
            for pre, mfc in ((True, "white"), (False, f"C{j % 10}")):
                m = (s["pre"] == pre).to_numpy()
                if m.any():
                    ax.errorbar(x[m], s["att"][m], yerr=1.0 * (s["att"] - s["ci_low"])[m], fmt="o", color=f"C{j % 10}",
                                mfc=mfc, capsize=2, label=f"cohort {g}" if not pre else None)
        ax.axhline(0, color="0.4", lw=0.8)
        ticks = np.arange(len(self._panel.times))
        step = max(1, len(ticks) // 12)
        ax.set_xticks(ticks[::step], [str(t) for t in self._panel.times[::step]])
        ax.set_ylabel(f"ATT(g,t) on {self.outcome}")
        ax.legend(frameon=False, fontsize=8)
        return ax


# --------------------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------------------


def staggered_did(
    panel: pd.DataFrame,
    unit: str,
    time: str,
    first_treated: str,
    outcome: str,
    control_group: str = "never_treated",
    anticipation: int = 0,
    base_period: str = "varying",
    level: float = 0.95,
    n_boot: int = 999,
    seed: int | None = 0,
    cluster: str | None = None,
    weights: str | None = None,
    boot_weights: str = "mammen",
) -> StaggeredDiDResult:
    r"""Callaway & Sant'Anna (2021) group-time average treatment effects, without covariates.

    For each go-live cohort $g$ and period $t$ the effect is the 2x2 difference in mean changes
    from the base period $b$ between the cohort and the comparison units $C$,

    $$
    \widehat{ATT}(g,t) = \bar{\Delta Y}_{G=g} - \bar{\Delta Y}_{C}, \qquad \Delta Y_i = Y_{it} - Y_{ib},
    $$

    with $b = g - 1 - \text{anticipation}$ for post-go-live cells. Standard errors come from the
    influence function $\psi_i$ of each unit, $\sqrt{\sum_i \psi_i^2}/n$ (summed within clusters
    first), or from the multiplier bootstrap; aggregations, the pre-trend test and randomisation
    inference are methods of the result. Without covariates R's "reg", "ipw" and "dr" estimators
    all reduce to this comparison, and the results match R `did::att_gt` / `aggte`.

    Callaway, B. & Sant'Anna, P.H.C. (2021). Difference-in-differences with multiple time periods.
    *Journal of Econometrics* 225(2):200-230.

    Parameters
    ----------
    panel : DataFrame
        Balanced long panel: one row per unit and period.
    unit, time, first_treated, outcome : str
        Column names. `first_treated` holds the first period of treatment (same type as `time`);
        0, missing or NaT for never-treated units. Units first treated after the last period are
        treated as never treated; units treated in the first period are dropped (no pre-period).
    control_group : {"never_treated", "not_yet_treated"}
        Comparison units. When every unit is eventually treated, use "not_yet_treated"; the last
        cohort then has no comparison in its post-periods and those cells are skipped.
    anticipation : int
        Number of periods before go-live in which outcomes may already respond.
    base_period : {"varying", "universal"}
        Varying: pre-period cells compare consecutive periods (R default). Universal: every cell is
        compared with period `g - anticipation - 1` (an event study normalised at `e = -1`).
    level : float
        Confidence level of intervals and bands.
    n_boot : int
        Multiplier-bootstrap draws for bootstrap SEs and simultaneous bands (0 to skip).
    seed : int, optional
        Seed of the bootstrap.
    cluster : str, optional
        Column of a coarser cluster (constant within unit) for SEs and bootstrap; units otherwise.
    weights : str, optional
        Column of time-invariant unit weights (e.g. eligible person-months per district).
    boot_weights : {"mammen", "rademacher"}
        Multiplier distribution (Mammen is R `did`'s).

    Returns
    -------
    StaggeredDiDResult
        Group-time effects with their influence functions; call `aggregate()`, `group_time()`,
        `pretrend_test()` or `randomization_test()` on it. Effects are in the units of `outcome`.

    Raises
    ------
    ValueError
        For unbalanced panels (naming the units with gaps), duplicated unit-periods, a
        `first_treated` or weight not constant within a unit, unknown options, no never-treated
        units with `control_group="never_treated"`, or no cohort to estimate.
    KeyError
        When a named column is missing.

    References
    ----------
    Callaway & Sant'Anna (2021), *J Econometrics* 225:200-230; R package `did` (Callaway &
    Sant'Anna), functions `att_gt` and `aggte`.

    Examples
    --------
    Two treated and two comparison units, one period before and one after: treated changes
    (16 - 10) and (17 - 12) average 5.5, comparison changes (11 - 8) and (13 - 9) average 3.5, so the
    effect is 2:

    >>> import pandas as pd
    >>> from foundation_eval.impact import staggered_did
    >>> df = pd.DataFrame({"unit": list("aabbccdd"), "t": [0, 1] * 4,
    ...                    "first_treated": [1, 1, 1, 1, 0, 0, 0, 0],
    ...                    "y": [10, 16, 12, 17, 8, 11, 9, 13]})
    >>> res = staggered_did(df, "unit", "t", "first_treated", "y", n_boot=0)
    >>> res.aggregate("simple").estimate
    2.0

    On R `did`'s `mpdta` (county teen employment, a copy in the repository's `tests/data`), the
    overall ATT is -0.0400 (SE 0.0120) and the pre-test p-value 0.16812, as R prints:

    >>> from pathlib import Path
    >>> import foundation_eval
    >>> mpdta = pd.read_csv(Path(foundation_eval.__file__).parents[1] / "tests/data/impact_mpdta.csv")
    >>> res = staggered_did(mpdta, "countyreal", "year", "first.treat", "lemp", n_boot=0)
    >>> agg = res.aggregate("simple")
    >>> f"{agg.estimate:.4f} (SE {agg.se:.4f})", round(res.pretrend_test().p_value, 5)
    ('-0.0400 (SE 0.0120)', 0.16812)
    """
    control_group = control_group.replace("-", "_").lower()
    aliases = {"nevertreated": "never_treated", "notyettreated": "not_yet_treated"}
    control_group = aliases.get(control_group, control_group)
    if control_group not in _CONTROL_LABEL:
        raise ValueError("control_group must be 'never_treated' or 'not_yet_treated'")
    if base_period not in ("varying", "universal"):
        raise ValueError("base_period must be 'varying' or 'universal'")
    if not (isinstance(anticipation, (int, np.integer)) and anticipation >= 0):
        raise ValueError("anticipation must be a non-negative integer number of periods")
    if not 0 < level < 1:
        raise ValueError("level must lie strictly between 0 and 1")
    if boot_weights not in ("mammen", "rademacher"):
        raise ValueError("boot_weights must be 'mammen' or 'rademacher'")
    p = prepare_panel(panel, unit, time, first_treated, outcome, weights=weights, cluster=cluster,
                      anticipation=int(anticipation))
    if p.T < 2:
        raise ValueError("need at least two periods")
    cohorts = p.cohorts
    if cohorts.size == 0:
        raise ValueError("no treated cohort with an untreated pre-period in the panel")
    if control_group == "never_treated" and not np.any(p.g == NEVER):
        raise ValueError("no never-treated units: use control_group='not_yet_treated'")
    cells = _define_cells(cohorts, p.T, control_group, int(anticipation), base_period)
    att, inf, n_t, n_c = _att_and_inf(p, cells)
    skipped = tuple(
        (p.times[cells.g[k]], p.times[cells.t[k]]) for k in np.flatnonzero(np.isnan(att))
    )
    return StaggeredDiDResult(
        outcome=outcome,
        control_group=control_group,
        anticipation=int(anticipation),
        base_period=base_period,
        level=level,
        n_boot=int(n_boot),
        seed=seed,
        boot_weights=boot_weights,
        n_units=p.n,
        n_periods=p.T,
        cohorts=tuple(p.times[cohorts]),
        skipped_cells=skipped,
        _panel=p,
        _cells=cells,
        _att=att,
        _inf=inf,
        _n_treat=n_t,
        _n_ctrl=n_c,
    )


def _stat_from_att(att: np.ndarray, cells: _Cells, p: Panel, G: np.ndarray, statistic: str) -> np.ndarray:
    """Aggregate a P x K matrix of ATT(g,t) for permuted cohort codes `G` (P x n)."""
    post = cells.g <= cells.t
    ok = post & ~np.isnan(att).any(axis=0) if att.ndim == 2 else post
    if statistic == "simple":
        pg = np.stack([(G == g) @ p.w for g in cells.g[ok]], axis=1)  # P x m
        return np.sum(att[:, ok] * pg, axis=1) / pg.sum(axis=1)
    if statistic == "group":
        out_num = np.zeros(G.shape[0])
        out_den = np.zeros(G.shape[0])
        for g in np.unique(cells.g[ok]):
            m = ok & (cells.g == g)
            theta = att[:, m].mean(axis=1)
            pg = (G == g) @ p.w
            out_num += pg * theta
            out_den += pg
        return out_num / out_den
    raise ValueError("statistic must be 'simple' or 'group'")


def _randomization(res: StaggeredDiDResult, *, n_perm: int, seed, statistic: str) -> RandomizationResult:
    p, cells = res._panel, res._cells
    observed = float(_stat_from_att(res._att[None, :], cells, p, p.g[None, :], statistic)[0])
    n_assign = n_distinct_permutations(p.g)
    exact = n_assign <= n_perm + 1
    if exact:
        Gp = np.stack(list(multiset_permutations(p.g)))
    else:
        rng = np.random.default_rng(seed)
        Gp = np.stack([rng.permutation(p.g) for _ in range(n_perm)])
    null = np.empty(Gp.shape[0])
    chunk = 256
    for s in range(0, Gp.shape[0], chunk):
        Gc = Gp[s : s + chunk]
        null[s : s + chunk] = _stat_from_att(_att_permuted(p, cells, Gc), cells, p, Gc, statistic)
    pval = permutation_p_value(observed, null, exact=exact)
    return RandomizationResult(
        observed=observed,
        null_distribution=null,
        p_value=pval,
        exact=exact,
        n_assignments=n_assign,
        description=f"go-live dates re-assigned across {p.n} units, {statistic} ATT",
    )


def randomization_inference(
    panel: pd.DataFrame,
    unit: str,
    time: str,
    first_treated: str,
    outcome: str,
    *,
    control_group: str = "never_treated",
    anticipation: int = 0,
    base_period: str = "varying",
    weights: str | None = None,
    n_perm: int = 999,
    seed: int | None = 0,
    statistic: str = "simple",
) -> RandomizationResult:
    r"""Randomisation inference for the staggered DiD over go-live dates.

    The assignment of `first_treated` values (cohorts, including "never") is permuted across units,
    keeping cohort sizes fixed, and the Callaway & Sant'Anna `statistic` ("simple" or "group"
    aggregate ATT) is recomputed for each permutation. The p-value tests the sharp null that the
    programme changed no unit's outcome, and is exact in finite samples whatever the number of
    units (Fisher 1935; for staggered designs see Athey & Imbens 2022, *J Econometrics* 226:62-79,
    and Roth & Sant'Anna 2023, *J Political Economy Microeconomics* 1:669-709). When the number of
    distinct assignments, $n!/\prod_g n_g!$, is at most `n_perm + 1` they are all enumerated and
    $p = \#\{|T^*| \ge |T|\}/M$; otherwise $p = (1 + \#\{|T^*| \ge |T|\})/(1 + M)$ over $M$ random
    draws (see [`permutation_p_value`][foundation_eval.impact.permutation_p_value]).

    Go-live order in a real rollout is rarely random; the test is then a measure of how unusual the
    observed effect is among the effects the same data would give under other rollout orders.

    Parameters
    ----------
    panel : DataFrame
        Balanced long panel: one row per unit and period.
    unit, time, first_treated, outcome : str
        Column names, as in [`staggered_did`][foundation_eval.impact.staggered_did].
    control_group : {"never_treated", "not_yet_treated"}
        Comparison units of the ATT(g,t).
    anticipation : int
        Number of periods before go-live in which outcomes may already respond.
    base_period : {"varying", "universal"}
        Base period of the pre-period cells.
    weights : str, optional
        Column of time-invariant unit weights.
    n_perm : int
        Random re-assignments drawn when there are too many to enumerate.
    seed : int, optional
        Seed of the draws.
    statistic : {"simple", "group"}
        Aggregate ATT used as the test statistic.

    Returns
    -------
    RandomizationResult
        The observed aggregate ATT, its randomisation distribution and the two-sided p-value.

    Raises
    ------
    ValueError
        For an unknown `statistic`, and for everything
        [`staggered_did`][foundation_eval.impact.staggered_did] refuses.

    Examples
    --------
    Six units, two going live in period 3, a true effect of 5: all C(6,2) = 15 assignments of the
    two treated slots are enumerated, so the smallest attainable two-sided p-value is 1/15:

    >>> import numpy as np
    >>> from foundation_eval.impact import randomization_inference, simulate_staggered_panel
    >>> df = simulate_staggered_panel(np.random.default_rng(0), first_treated=[3, 3, 0, 0, 0, 0],
    ...                               n_periods=6, effect=5.0, sigma=0.1)
    >>> ri = randomization_inference(df, "unit", "period", "first_treated", "y")
    >>> ri.exact, ri.n_assignments, round(ri.observed, 2), round(ri.p_value, 4)
    (True, 15, 4.85, 0.0667)
    """
    res = staggered_did(panel, unit, time, first_treated, outcome, control_group=control_group,
                        anticipation=anticipation, base_period=base_period, n_boot=0, weights=weights)
    return _randomization(res, n_perm=n_perm, seed=seed, statistic=statistic)
