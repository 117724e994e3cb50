"""Funnel plots for comparing units (districts, teams) without ranking them into league tables.

A funnel plot (Spiegelhalter 2005, *Stat Med* 24:1185-1202) draws each unit's proportion (or rate)
against its volume, around a target with *control limits* that narrow as volume grows. A unit inside
the limits differs from the target no more than chance alone would often produce; a unit outside the
99.8% limits (about three standard errors) is unlikely to differ by chance alone and is worth a look.

Control limits
--------------
For a target $\\theta_0$ and volume $n$ the $p$-limit (p = 0.001, 0.025, 0.975,
0.999 for the 95% and 99.8% funnels) is

- *exact* (Spiegelhalter 2005, appendix A.1.1 and A.1.2): let $r_p$ be the $p$-quantile of
  $Y \\sim \\text{Binomial}(n, \\theta_0)$ (or $\\text{Poisson}(\\theta_0 n)$ for a rate per
  person-year with exposure $n$), the smallest $r$ with $F(r) \\ge p$. Because
  $Y$ is discrete, interpolate:

  $$
  \\alpha = \\frac{F(r_p) - p}{F(r_p) - F(r_p - 1)}, \\qquad \\text{limit} = \\frac{r_p - \\alpha}{n},
  $$

  which is the inverse, at $p$, of the distribution function joined linearly between integers.
  Limits are clipped to [0, 1] for proportions and to [0, inf) for rates.
- *normal*: $\\theta_0 \\pm z_p \\sqrt{V(\\theta_0)/n}$ with $V = \\theta_0(1-\\theta_0)$
  for a proportion and $V = \\theta_0$ for a rate.

Over-dispersion
---------------
When units differ by more than chance (unmeasured case mix, recording practice), too many fall outside
the limits. With standardised residuals $z_i = (y_i - \\theta_0)/\\sqrt{V/n_i}$, Winsorised at
their 10th and 90th percentiles, Spiegelhalter (2005, section 6; and *Qual Saf Health Care* 14:347-351)
estimates

- a multiplicative factor $\\hat\\phi = \\frac{1}{I}\\sum_i z_i^2$; $I\\hat\\phi$ is compared
  with $\\chi^2$ on $I - 1$ degrees of freedom ($I$ when the target is given rather
  than estimated), and limits become $\\theta_0 \\pm z_p\\sqrt{\\hat\\phi V/n}$;
- an additive random-effects variance (DerSimonian and Laird 1986)

  $$
  \\hat\\tau^2 = \\max\\left(0, \\frac{I\\hat\\phi - (I - 1)}{\\sum_i w_i - \\sum_i w_i^2/\\sum_i w_i}\\right),
  \\qquad w_i = n_i / V,
  $$

  with limits $\\theta_0 \\pm z_p\\sqrt{V/n + \\hat\\tau^2}$. The additive model keeps the
  funnel shape while allowing real between-unit variation, so large units are not flagged for trivial
  differences; it is what Spiegelhalter recommends for institutional comparison and what
  ``overdispersion="auto"`` uses when the $\\chi^2$ test finds over-dispersion (p < 0.05).

Adjusted limits use the normal approximation (as in the papers). Nothing here applies disclosure
control: `foundation_eval.reporting.disclosure.protect_units` does that for a published plot.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.results import Result

__all__ = ["FunnelPlotResult", "Overdispersion", "funnel_limits", "funnel_plot", "overdispersion",
           "level_label", "POSITIONS"]

DEFAULT_LEVELS = (0.95, 0.998)
"""Default funnel coverages: 95% and 99.8% (about two and three standard errors)."""
POSITIONS = ("above 99.8%", "above 95%", "within 95%", "below 95%", "below 99.8%")
"""Where a unit can fall against the funnels, from highest to lowest."""


def level_label(level: float) -> str:
    """Column suffix for a level: 0.95 -> "95", 0.998 -> "99.8".

    Parameters
    ----------
    level : float
        Coverage in (0, 1).

    Returns
    -------
    str

    Examples
    --------
    >>> level_label(0.95), level_label(0.998)
    ('95', '99.8')
    """
    return f"{100 * level:g}"


def _levels(level) -> tuple[float, ...]:
    levels = (float(level),) if np.isscalar(level) else tuple(float(v) for v in level)
    if not levels or any(not 0 < v < 1 for v in levels):
        raise ValueError(f"levels must lie strictly between 0 and 1, got {level!r}")
    return tuple(sorted(set(levels)))


def _check_kind(kind: str) -> None:
    if kind not in ("proportion", "rate"):
        raise ValueError(f"kind must be 'proportion' or 'rate', got {kind!r}")


def _variance(target: float, kind: str) -> float:
    return target * (1 - target) if kind == "proportion" else target


def _exact_limit(p: float, target: float, n: np.ndarray, kind: str) -> np.ndarray:
    """Spiegelhalter's interpolated p-limit at each volume n (appendix A.1.1/A.1.2)."""
    n = np.asarray(n, dtype=float)
    dist = _st.binom(np.rint(n).astype(int), target) if kind == "proportion" else _st.poisson(target * n)
    r = dist.ppf(p)
    # ppf can land one step off through rounding of the cdf: enforce F(r-1) < p <= F(r)
    f_r = dist.cdf(r)
    low = f_r < p
    r = np.where(low, r + 1, r)
    f_r = dist.cdf(r)
    f_prev = dist.cdf(r - 1)
    back = f_prev >= p
    r = np.where(back, r - 1, r)
    f_r = np.where(back, f_prev, f_r)
    f_prev = dist.cdf(r - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = (f_r - p) / (f_r - f_prev)
        limit = (r - alpha) / n
    upper = 1.0 if kind == "proportion" else np.inf
    return np.clip(limit, 0.0, upper)


def funnel_limits(target: float, n_grid, level=DEFAULT_LEVELS, *, kind: str = "proportion",
                  method: str = "exact", phi: float = 1.0, tau2: float = 0.0) -> pd.DataFrame:
    r"""Control limits around ``target`` at each volume in ``n_grid``.

    Parameters
    ----------
    target : float
        $\theta_0$, a proportion in (0, 1) or a rate per unit of exposure (> 0).
    n_grid : array-like
        Volumes: people for a proportion (rounded to whole numbers for the exact limits), person-years
        for a rate.
    level : float or sequence of float
        Two-sided coverage of each funnel; default 95% and 99.8% (p = 0.025/0.975 and 0.001/0.999,
        about two and three standard errors, as in Spiegelhalter 2005).
    kind : "proportion" or "rate"
    method : "exact" or "normal"
        Exact binomial/Poisson limits with Spiegelhalter's interpolation, or the normal approximation
        $\theta_0 \pm z\sqrt{V(\theta_0)/n}$.
    phi, tau2 : float
        Over-dispersion: multiplicative factor or additive between-unit variance. Either one other than
        its null value (1 or 0) gives normal-approximation limits widened accordingly.

    Returns
    -------
    DataFrame
        Column ``n`` and, for each level, ``lower_<L>`` and ``upper_<L>`` with ``<L>`` from
        `level_label` (``lower_95``, ``upper_99.8``...).

    Examples
    --------
    Normal limits at n = 100 around 0.3 are $0.3 \pm 1.96\sqrt{0.3 \cdot 0.7/100}$:

    >>> funnel_limits(0.3, [100], 0.95, method="normal").round(4).values.tolist()
    [[100.0, 0.2102, 0.3898]]
    >>> funnel_limits(0.3, [50, 200]).columns.tolist()
    ['n', 'lower_95', 'upper_95', 'lower_99.8', 'upper_99.8']
    """
    _check_kind(kind)
    if method not in ("exact", "normal"):
        raise ValueError(f"method must be 'exact' or 'normal', got {method!r}")
    target = float(target)
    if kind == "proportion" and not 0 < target < 1:
        raise ValueError(f"a target proportion must lie strictly between 0 and 1, got {target!r}")
    if kind == "rate" and not target > 0:
        raise ValueError(f"a target rate must be positive, got {target!r}")
    if phi < 0 or tau2 < 0:
        raise ValueError("phi and tau2 must be non-negative")
    n = np.asarray(n_grid, dtype=float).ravel()
    if np.any(n <= 0):
        raise ValueError("volumes must be positive")
    out = {"n": n}
    v = _variance(target, kind)
    adjusted = phi != 1.0 or tau2 > 0
    for lev in _levels(level):
        lab = level_label(lev)
        p_lo, p_hi = (1 - lev) / 2, (1 + lev) / 2
        if method == "exact" and not adjusted:
            lo, hi = _exact_limit(p_lo, target, n, kind), _exact_limit(p_hi, target, n, kind)
        else:
            z = _st.norm.ppf(p_hi)
            se = np.sqrt(phi * v / n + tau2)
            lo, hi = target - z * se, target + z * se
            lo = np.clip(lo, 0.0, None)
            if kind == "proportion":
                hi = np.clip(hi, None, 1.0)
        out[f"lower_{lab}"], out[f"upper_{lab}"] = lo, hi
    return pd.DataFrame(out)


@dataclass(frozen=True)
class Overdispersion:
    r"""Spiegelhalter's (2005) over-dispersion estimates for a set of units.

    Attributes
    ----------
    phi : float
        Multiplicative factor (mean squared Winsorised z-score); 1 means variation as chance predicts.
    tau2 : float
        Additive between-unit variance (DerSimonian-Laird), on the proportion or rate scale.
    statistic : float
        $I\hat\phi$, compared with chi-square on ``df`` degrees of freedom.
    df : int
    p_value : float
    units : int
    winsor : float

    Examples
    --------
    >>> od = overdispersion([12, 30, 41, 9, 60, 25, 70], [60, 110, 150, 20, 190, 140, 150])
    >>> od.df, od.detected
    (6, True)
    """

    phi: float
    tau2: float
    statistic: float
    df: int
    p_value: float
    units: int
    winsor: float

    @property
    def detected(self) -> bool:
        """True when the chi-square test rejects 'no over-dispersion' at the 5% level."""
        return bool(self.p_value < 0.05)


def _winsorise(z: np.ndarray, winsor: float) -> np.ndarray:
    if winsor <= 0 or z.size < 3:
        return z
    lo, hi = np.quantile(z, [winsor, 1 - winsor])
    return np.clip(z, lo, hi)


def overdispersion(k, n, target: float | None = None, *, kind: str = "proportion",
                   winsor: float = 0.1) -> Overdispersion:
    r"""Estimate over-dispersion of unit proportions (or rates) around a target.

    $$
    z_i = \frac{y_i - \theta_0}{\sqrt{V(\theta_0)/n_i}}, \quad
    \hat\phi = \frac{1}{I}\sum_i \tilde z_i^2, \quad
    \hat\tau^2 = \max\left(0, \frac{I\hat\phi - (I-1)}{\sum w_i - \sum w_i^2/\sum w_i}\right)
    $$

    where $\tilde z$ are the z-scores Winsorised at the ``winsor`` and ``1 - winsor`` quantiles
    and $w_i = n_i/V(\theta_0)$ (Spiegelhalter 2005, *Stat Med* 24:1185, section 6;
    Spiegelhalter 2005, *Qual Saf Health Care* 14:347). With ``target=None`` the pooled value
    $\sum k_i/\sum n_i$ is used and the test has $I - 1$ degrees of freedom.

    Parameters
    ----------
    k : array-like
        Events per unit.
    n : array-like
        Volume per unit (people, or person-years for a rate).
    target : float, optional
        $\theta_0$; default the pooled value (then the test loses a degree of freedom).
    kind : {"proportion", "rate"}
        What the values are.
    winsor : float
        Winsorising fraction (default 10%, as Spiegelhalter).

    Returns
    -------
    Overdispersion

    Examples
    --------
    >>> od = overdispersion([12, 30, 41, 9, 60, 25, 70], [60, 110, 150, 20, 190, 140, 150])
    >>> round(od.phi, 2), round(od.p_value, 4)
    (2.63, 0.0053)
    """
    _check_kind(kind)
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    estimated = target is None
    theta = float(k.sum() / n.sum()) if estimated else float(target)
    v = _variance(theta, kind)
    y = k / n
    z = (y - theta) / np.sqrt(v / n)
    zw = _winsorise(z, winsor)
    units = int(z.size)
    phi = float(np.mean(zw**2)) if units else float("nan")
    df = units - 1 if estimated else units
    stat = units * phi
    p = float(_st.chi2.sf(stat, df)) if df > 0 else float("nan")
    w = n / v
    denom = w.sum() - (w**2).sum() / w.sum()
    tau2 = float(max(0.0, (stat - (units - 1)) / denom)) if denom > 0 else 0.0
    return Overdispersion(phi, tau2, float(stat), int(df), p, units, float(winsor))


_overdispersion_fn = overdispersion  # funnel_plot's keyword of the same name shadows it


@dataclass(frozen=True)
class FunnelPlotResult(Result):
    """Units placed against funnel control limits.

    Attributes
    ----------
    units : DataFrame
        One row per unit: ``unit, n, k, value`` (proportion or rate), ``z`` (against the unadjusted
        limits), ``z_adjusted`` (against the over-dispersed limits, equal to ``z`` when unadjusted), the
        limits at the unit's volume (``lower_95, upper_95, lower_99.8, upper_99.8``...) and
        ``position``, one of `POSITIONS`.
    target : float
    levels : tuple of float
    kind : "proportion" or "rate"
    method : "exact" or "normal" (adjusted limits are always normal)
    dispersion : Overdispersion
        Always estimated, whether or not the limits were adjusted.
    adjustment : None, "multiplicative" or "additive"
    target_estimated : bool
        True when the target is the pooled value of these units.
    measure : str
        What the values are, for axis labels (e.g. "engaged within 90 days").
    withheld : tuple of str
        Units left off the plot by disclosure control (see `foundation_eval.reporting.disclosure.protect_units`).

    Examples
    --------
    >>> districts = ["A", "B", "C", "D", "E", "F"]
    >>> result = funnel_plot(districts, [12, 30, 41, 9, 60, 25], [60, 110, 150, 20, 190, 140])
    >>> result.outside(0.95)
    ['D', 'F']
    >>> result.without(["D"]).outside(0.95)
    ['F']
    """

    units: pd.DataFrame
    target: float
    levels: tuple[float, ...]
    kind: str
    method: str
    dispersion: Overdispersion
    adjustment: str | None = None
    target_estimated: bool = True
    measure: str = ""
    withheld: tuple[str, ...] = ()

    @property
    def phi(self) -> float:
        """Multiplicative factor applied to the limits (1 unless the adjustment is multiplicative)."""
        return 1.0 if self.adjustment != "multiplicative" else max(1.0, self.dispersion.phi)

    @property
    def tau2(self) -> float:
        """Additive variance applied to the limits (0 unless the adjustment is additive)."""
        return self.dispersion.tau2 if self.adjustment == "additive" else 0.0

    def table(self) -> pd.DataFrame:
        """The per-unit table, withheld units included.

        Apply disclosure control (`foundation_eval.reporting.disclosure.protect_units`) before publishing.

        Returns
        -------
        DataFrame
            A copy of ``units`` with ``value`` named ``proportion`` or ``rate``.
        """
        return self.units.rename(columns={"value": self.kind})

    def limits(self, n_grid=None) -> pd.DataFrame:
        """Control limits over a grid of volumes.

        Parameters
        ----------
        n_grid : array-like, optional
            Volumes; default 300 points spanning the units.

        Returns
        -------
        DataFrame
            As `funnel_limits`, with this result's target, levels, method and adjustment.
        """
        if n_grid is None:
            n_grid = self._grid()
        return funnel_limits(self.target, n_grid, self.levels, kind=self.kind, method=self.method,
                             phi=self.phi, tau2=self.tau2)

    def outside(self, level: float | None = None, side: str = "both") -> list[str]:
        """Units outside the ``level`` limits (default the widest), on one side or both.

        Withheld units are never listed.

        Parameters
        ----------
        level : float, optional
            One of ``levels``; default the widest (99.8%).
        side : {"both", "above", "below"}
            Which side of the funnel.

        Returns
        -------
        list of str
            Unit labels.
        """
        lev = max(self.levels) if level is None else level
        lab = level_label(lev)
        u = self.units
        above = u.value > u[f"upper_{lab}"]
        below = u.value < u[f"lower_{lab}"]
        mask = {"both": above | below, "above": above, "below": below}[side]
        return list(u.unit[mask & ~u.unit.isin(self.withheld)].astype(str))

    def without(self, units: Sequence[str]) -> FunnelPlotResult:
        """The same funnel with some units withheld from the plot (target and limits unchanged).

        Parameters
        ----------
        units : sequence of str
            Labels of units to withhold (added to any already withheld).

        Returns
        -------
        FunnelPlotResult
        """
        return replace(self, withheld=tuple(dict.fromkeys([*self.withheld, *map(str, units)])))

    def _grid(self) -> np.ndarray:
        n = self.units.n.to_numpy(float)
        lo, hi = max(1.0, 0.8 * n.min()), 1.15 * n.max()
        if self.kind == "proportion":
            return np.unique(np.rint(np.geomspace(lo, hi, 300)).astype(int)).astype(float)
        return np.geomspace(lo, hi, 300)

    def plot(self, ax=None, *, labels: bool = True, scale: float | None = None, title: str = "",
             xlabel: str | None = None, ylabel: str | None = None):
        """Funnel plot: units as points, target line, 95% (dashed) and 99.8% (solid) limits.

        Withheld units are not drawn.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.
        labels : bool
            Whether to label the points with the unit names.
        scale : float, optional
            Multiplies values: default 100 for proportions (the y-axis is a percentage) and 1 for rates.
        title, xlabel, ylabel : str, optional
            Axes title and labels (defaults name the measure and volume).

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import GREY, PALETTE, new_axes

        ax = new_axes(ax, figsize=(7.5, 4.4))
        s = scale if scale is not None else (100.0 if self.kind == "proportion" else 1.0)
        lim = self.limits()
        styles = {0: ("--", 1.1), 1: ("-", 1.3)}
        for i, lev in enumerate(sorted(self.levels)):
            lab = level_label(lev)
            ls, lw = styles.get(i, (":", 1.0))
            ax.plot(lim.n, s * lim[f"upper_{lab}"], color=GREY, ls=ls, lw=lw, label=f"{lab}% control limits")
            ax.plot(lim.n, s * lim[f"lower_{lab}"], color=GREY, ls=ls, lw=lw)
        ax.axhline(s * self.target, color=PALETTE[0], lw=1.2,
                   label=("Force-wide average" if self.target_estimated else "Target") + f" ({s * self.target:.1f}"
                   + ("%" if self.kind == "proportion" and s == 100 else "") + ")")
        shown = self.units[~self.units.unit.astype(str).isin(self.withheld)]
        colours = {"above 99.8%": PALETTE[3], "below 99.8%": PALETTE[3], "above 95%": PALETTE[1],
                   "below 95%": PALETTE[1], "within 95%": PALETTE[0]}
        legend_names = {"within 95%": "Inside the 95% limits", "above 95%": "Between the 95% and 99.8% limits",
                        "below 95%": "Between the 95% and 99.8% limits", "above 99.8%": "Outside the 99.8% limits",
                        "below 99.8%": "Outside the 99.8% limits"}
        seen = set()
        for pos in POSITIONS:
            grp = shown[shown.position == pos]
            if not len(grp):
                continue
            name = legend_names.get(pos, pos)
            ax.scatter(grp.n, s * grp.value, s=36, color=colours.get(pos, PALETTE[0]), edgecolor="black",
                       linewidth=0.5, zorder=3, label=None if name in seen else name)
            seen.add(name)
        ax.set_xlabel(xlabel or ("People (volume)" if self.kind == "proportion" else "Person-years (volume)"))
        default_y = (f"Percent {self.measure}" if s == 100 else self.measure or "Value") if self.kind == "proportion" \
            else (f"{self.measure} per person-year" if self.measure else "Rate per person-year")
        ax.set_ylabel(ylabel or default_y)
        ax.set_xlim(left=0)
        if self.kind == "proportion":
            highest = max(float(lim.filter(like="upper").to_numpy().max()),
                          float(shown.value.max()) if len(shown) else 0.0)
            ax.set_ylim(0, s * min(1.0, 1.08 * highest))
        ax.legend(loc="upper right", fontsize=8)
        ax.set_title(title)
        if labels and len(shown):
            _label_points(ax, shown.unit.astype(str).tolist(), shown.n.to_numpy(float), s * shown.value.to_numpy(float))
        return ax


def _label_points(ax, labels, x, y, fontsize: float = 7) -> None:
    """Label points, trying four positions around each so that labels do not overlap (greedy)."""
    pts = ax.transData.transform(np.column_stack([x, y]))
    scale = ax.figure.dpi / 72
    char_w, height = 0.55 * fontsize * scale, 1.2 * fontsize * scale
    placed: list[tuple[float, float, float, float]] = []
    order = np.argsort(pts[:, 0])
    for i in order:
        w = char_w * len(labels[i])
        chosen = None
        for dx, dy, ha in ((4, 3, "left"), (4, -10, "left"), (-4, 3, "right"), (-4, -10, "right")):
            x0 = pts[i, 0] + dx * scale - (w if ha == "right" else 0)
            y0 = pts[i, 1] + dy * scale
            box = (x0, y0, x0 + w, y0 + height)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                chosen = (dx, dy, ha, box)
                break
        if chosen is None:
            dx, dy, ha = 4, 3, "left"
            box = (pts[i, 0], pts[i, 1], pts[i, 0] + w, pts[i, 1] + height)
        else:
            dx, dy, ha, box = chosen
        placed.append(box)
        ax.annotate(labels[i], (x[i], y[i]), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize, ha=ha)


def _position(value: np.ndarray, lim: pd.DataFrame, levels: tuple[float, ...]) -> np.ndarray:
    narrow, wide = level_label(min(levels)), level_label(max(levels))
    pos = np.full(value.shape, "within 95%", dtype=object)
    if len(levels) > 1:
        pos[value > lim[f"upper_{narrow}"].to_numpy()] = "above 95%"
        pos[value < lim[f"lower_{narrow}"].to_numpy()] = "below 95%"
    pos[value > lim[f"upper_{wide}"].to_numpy()] = "above 99.8%" if wide == "99.8" else f"above {wide}%"
    pos[value < lim[f"lower_{wide}"].to_numpy()] = "below 99.8%" if wide == "99.8" else f"below {wide}%"
    return pos


def funnel_plot(units, k, n, target: float | None = None, level=DEFAULT_LEVELS, *, kind: str = "proportion",
                method: str = "exact", overdispersion: str | None = None, winsor: float = 0.1,
                measure: str = "") -> FunnelPlotResult:
    r"""Place units on a funnel plot (Spiegelhalter 2005).

    Parameters
    ----------
    units : sequence of str
        Unit labels (e.g. district names).
    k : array-like
        Events per unit (people with the outcome, or events for a rate).
    n : array-like
        Volume per unit: people (proportion) or person-years (rate).
    target : float, optional
        $\theta_0$; default the pooled value $\sum k/\sum n$.
    level : float or sequence
        Funnel coverages, default 95% and 99.8%.
    kind : "proportion" or "rate"
    method : "exact" or "normal"
    overdispersion : None, "multiplicative", "additive" or "auto"
        Widen the limits for over-dispersion (see the module notes); "auto" applies the additive
        random-effects adjustment only when the chi-square test detects over-dispersion (p < 0.05).
    winsor : float
        Winsorising fraction for the over-dispersion estimate (default 10%, as Spiegelhalter).
    measure : str
        Plain-English name of the outcome for axis labels.

    Returns
    -------
    FunnelPlotResult

    Examples
    --------
    Six districts' 12-month reoffending around the pooled rate; D (small) and F (large) fall outside the
    95% limits, none outside 99.8%:

    >>> districts = ["A", "B", "C", "D", "E", "F"]
    >>> result = funnel_plot(districts, [12, 30, 41, 9, 60, 25], [60, 110, 150, 20, 190, 140])
    >>> round(result.target, 4), result.outside()
    (0.2642, [])
    >>> result.table().position.tolist()
    ['within 95%', 'within 95%', 'within 95%', 'above 95%', 'within 95%', 'below 95%']
    """
    _check_kind(kind)
    if overdispersion not in (None, "multiplicative", "additive", "auto"):
        raise ValueError(f"overdispersion must be None, 'multiplicative', 'additive' or 'auto', got {overdispersion!r}")
    labels = [str(u) for u in units]
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    if not (len(labels) == k.size == n.size):
        raise ValueError("units, k and n must have the same length")
    if k.size == 0:
        raise ValueError("no units to plot")
    if np.any(n <= 0) or np.any(k < 0):
        raise ValueError("volumes must be positive and events non-negative")
    if kind == "proportion" and np.any(k > n):
        raise ValueError("events cannot exceed volume for a proportion")
    if len(set(labels)) != len(labels):
        raise ValueError("unit labels must be unique")
    estimated = target is None
    theta = float(k.sum() / n.sum()) if estimated else float(target)
    disp = _overdispersion_fn(k, n, None if estimated else theta, kind=kind, winsor=winsor)
    adjustment = overdispersion
    if overdispersion == "auto":
        adjustment = "additive" if disp.detected else None
    levels = _levels(level)
    phi = max(1.0, disp.phi) if adjustment == "multiplicative" else 1.0
    tau2 = disp.tau2 if adjustment == "additive" else 0.0
    lim = funnel_limits(theta, n, levels, kind=kind, method=method, phi=phi, tau2=tau2)
    value = k / n
    v = _variance(theta, kind)
    z = (value - theta) / np.sqrt(v / n)
    z_adj = (value - theta) / np.sqrt(phi * v / n + tau2)
    frame = pd.DataFrame({"unit": labels, "n": n, "k": k, "value": value, "z": z, "z_adjusted": z_adj})
    for c in lim.columns[1:]:
        frame[c] = lim[c].to_numpy()
    frame["position"] = _position(value, lim, levels)
    if kind == "proportion" and np.allclose(n, np.rint(n)) and np.allclose(k, np.rint(k)):
        frame["n"] = frame.n.astype(int)
        frame["k"] = frame.k.astype(int)
    return FunnelPlotResult(frame, theta, levels, kind, method, disp, adjustment, estimated, measure)
