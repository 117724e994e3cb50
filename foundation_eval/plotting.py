"""House style for figures: colour-blind-safe palette and labelled axes, used by every ``.plot()``.

The palette is Okabe & Ito (2008), safe for the common forms of colour-vision deficiency. Figures are
drawn from tables that have already passed disclosure control.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

__all__ = ["PALETTE", "GREY", "style", "new_axes", "forest_plot", "list_size_plot", "funnel_plot", "ppit_histogram"]

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]
"""Okabe & Ito (2008) colours, safe for the common colour-vision deficiencies, in the order used."""
GREY = "#767676"
"""Neutral grey for reference lines and annotations (4.5:1 contrast on white)."""


def style() -> None:
    """Apply the house style to matplotlib.

    Okabe-Ito colour cycle (`PALETTE`), no top or right spines, a light grid, bold 11-point titles and no
    legend frame. Every ``.plot()`` of the library calls it through `new_axes`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> style()
    >>> plt.rcParams["axes.spines.top"]
    False
    """
    plt.rcParams.update({
        "figure.figsize": (7.5, 3.6),
        "figure.dpi": 100,
        "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.color": "#dddddd",
        "grid.linewidth": 0.6,
        "axes.titlesize": 11,
        "axes.titleweight": "bold",
        "axes.labelsize": 10,
        "font.size": 10,
        "legend.frameon": False,
    })


def new_axes(ax=None, figsize=None):
    """The axes to draw on, in the house style: ``ax`` itself, or a new figure's axes.

    Parameters
    ----------
    ax : matplotlib Axes, optional
        Axes supplied by the caller (e.g. one panel of a grid); drawn on as they are.
    figsize : (float, float), optional
        Size of a new figure in inches; default the house style's 7.5 x 3.6.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = new_axes(figsize=(4, 3))
    >>> ax.figure.get_size_inches().tolist()
    [4.0, 3.0]
    >>> new_axes(ax) is ax
    True
    """
    style()
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def forest_plot(estimate, low, high, labels, *, reference: float | None = None, log: bool = False,
                xlabel: str = "", color=None, reference_style: str = "--", ax=None, figsize=None):
    """Forest plot: one row per estimate, first at the top, each with its interval, and a reference line.

    Parameters
    ----------
    estimate, low, high : array-like
        Point estimates and interval bounds, one per row.
    labels : array-like
        Row labels, in the same order.
    reference : float, optional
        Value of no effect (0 for a difference, 1 for a ratio), drawn as a grey vertical line.
    log : bool
        Log horizontal axis (for ratios).
    xlabel : str
        Horizontal axis label.
    color : matplotlib colour, optional
        Colour of the points and whiskers; the first colour of the cycle when omitted.
    reference_style : str
        Line style of the reference line.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure when omitted.
    figsize : (float, float), optional
        Size of a new figure in inches.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = forest_plot([0.8, 1.3], [0.6, 1.0], [1.05, 1.7], ["engaged", "referred"], reference=1, log=True,
    ...                  xlabel="hazard ratio")
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xscale()
    (['engaged', 'referred'], 'log')
    """
    ax = new_axes(ax, figsize=figsize)
    est = np.asarray(estimate, dtype=float)
    lo, hi = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    y = np.arange(len(est))[::-1]
    colour = {} if color is None else {"color": color}
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", capsize=3, **colour)
    if reference is not None:
        ax.axvline(reference, color="grey", linestyle=reference_style, linewidth=1)
    if log:
        ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels([str(v) for v in labels])
    ax.set_xlabel(xlabel)
    return ax


def list_size_plot(sizes: pd.DataFrame, go_live: pd.Period | None = None, title: str = "", ax=None,
                   eligible_label: str = "Met all the criteria"):
    """Monthly eligible and listed counts (suppressed months left as gaps).

    Parameters
    ----------
    sizes : DataFrame
        One row per month with columns ``month`` (monthly Period), ``eligible`` and ``listed`` (numbers,
        or ``[c]``/missing where suppressed), as from `foundation_eval.frames.cohort.monthly_list_size`
        after disclosure control.
    go_live : pandas Period, optional
        Month the programme went live; drawn as a dashed line.
    title : str
        Axes title.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure when omitted.
    eligible_label : str
        Legend label of the eligible line.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> sizes = pd.DataFrame({"month": pd.period_range("2021-01", periods=4, freq="M"),
    ...                       "eligible": [40, 52, 47, 60], "listed": [None, 21, 25, 30]})
    >>> ax = list_size_plot(sizes, go_live=pd.Period("2021-02", "M"), title="Monthly list")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['Listed', 'Met all the criteria']
    """
    ax = new_axes(ax)
    x = sizes.month.dt.to_timestamp()
    listed = pd.to_numeric(sizes.listed, errors="coerce")
    ax.fill_between(x, 0, listed.fillna(0), where=listed.notna().to_numpy(), step="mid", color=PALETTE[1], alpha=0.45,
                    linewidth=0, label="Listed")
    ax.plot(x, sizes.eligible, color=PALETTE[0], label=eligible_label, lw=1.8, drawstyle="steps-mid")
    if go_live is not None:
        ax.axvline(go_live.to_timestamp(), color=GREY, ls="--", lw=1)
        ax.annotate("go-live", (go_live.to_timestamp(), ax.get_ylim()[1]), color=GREY, fontsize=8,
                    xytext=(3, -10), textcoords="offset points")
    ax.set_xlabel("Month")
    ax.set_ylabel("People")
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.legend(loc="upper left")
    return ax


def funnel_plot(stages: pd.DataFrame, title: str = "", ax=None):
    """Horizontal bars: share of listed people reaching each stage, with interval whiskers.

    (The engagement funnel, not the Spiegelhalter funnel plot of
    `foundation_eval.models.funnel_plot`.)

    Parameters
    ----------
    stages : DataFrame
        One row per stage, in order, with columns ``label``, ``percent``, ``ci_low`` and ``ci_high``
        (percent of listed people; missing where suppressed, which is written on the bar).
    title : str
        Axes title.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> stages = pd.DataFrame({"label": ["Listed", "Contacted", "Engaged"], "percent": [100, 72.0, None],
    ...                        "ci_low": [97.0, 65.0, None], "ci_high": [100, 78.0, None]})
    >>> ax = funnel_plot(stages)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['Engaged', 'Contacted', 'Listed']
    """
    ax = new_axes(ax, figsize=(7.5, 3.4))
    s = stages.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(s))
    pct = pd.to_numeric(s.percent, errors="coerce")
    lo = pd.to_numeric(s.ci_low, errors="coerce")
    hi = pd.to_numeric(s.ci_high, errors="coerce")
    ax.barh(y, pct.fillna(0), color=PALETTE[0], alpha=0.85)
    ok = pct.notna() & lo.notna()
    ax.errorbar(pct[ok].to_numpy(), y[ok], xerr=[(pct[ok] - lo[ok]).to_numpy(), (hi[ok] - pct[ok]).to_numpy()], fmt="none", ecolor="black", capsize=3, lw=1)
    for yi, v, h in zip(y, pct, hi, strict=True):
        x = 1.5 if pd.isna(v) else (h if pd.notna(h) else v) + 1.5
        ax.text(x, yi, "suppressed" if pd.isna(v) else f"{v:.0f}%", va="center", fontsize=8)
    ax.set_yticks(y, s.label)
    ax.set_xlim(0, 110)
    ax.set_xlabel("Percent of listed people (95% interval)")
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    return ax


def ppit_histogram(dist: pd.DataFrame, threshold: int, title: str = "", ax=None):
    """Number of people per PPIT score band (suppressed bands marked), priority bands highlighted.

    Parameters
    ----------
    dist : DataFrame
        Columns ``band`` (label), ``n`` (people; missing where suppressed, marked ``[c]``) and
        ``priority`` (whether the band is at or above the threshold), as from
        `foundation_eval.frames.cohort.ppit_distribution` after disclosure control.
    threshold : int
        Priority threshold, named in the axis label.
    title : str
        Axes title.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> dist = pd.DataFrame({"band": ["0-4", "5-9", "10-14", "15+"], "n": [12, 40, None, 25],
    ...                      "priority": [False, False, True, True]})
    >>> ax = ppit_histogram(dist, threshold=10)
    >>> len(ax.patches), ax.texts[0].get_text()
    (4, '[c]')
    """
    ax = new_axes(ax)
    n = pd.to_numeric(dist.n, errors="coerce")
    x = np.arange(len(dist))
    colors = [PALETTE[3] if pri else PALETTE[0] for pri in dist.priority]
    ax.bar(x, n.fillna(0), color=colors, width=0.8)
    for xi, v in zip(x, n, strict=True):
        if pd.isna(v):
            ax.text(xi, 0, "[c]", ha="center", va="bottom", fontsize=8, color=GREY)
    ax.set_xticks(x, dist.band)
    ax.set_xlabel(f"PPIT total score (orange: priority, {threshold} or more)")
    ax.set_ylabel("People")
    ax.set_title(title)
    return ax
