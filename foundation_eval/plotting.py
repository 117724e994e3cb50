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

__all__ = ["PALETTE", "GREY", "style", "new_axes", "list_size_plot", "funnel_plot", "ppit_histogram"]

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]
GREY = "#767676"


def style() -> None:
    """Apply the house style to matplotlib."""
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
    style()
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def list_size_plot(sizes: pd.DataFrame, go_live: pd.Period | None = None, title: str = "", ax=None,
                   eligible_label: str = "Met all the criteria"):
    """Monthly eligible and listed counts (suppressed months left as gaps)."""
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
    """Horizontal bars: share of listed people reaching each stage, with interval whiskers."""
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

    ``dist`` has columns ``band``, ``n`` and ``priority`` (whether the band is at or above the threshold).
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
