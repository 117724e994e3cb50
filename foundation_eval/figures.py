"""House style for figures: colour-blind-safe palette, labelled axes, alt text.

The palette is Okabe & Ito (2008), safe for the common forms of colour-vision deficiency. Figures are
drawn from tables that have already passed disclosure control.
"""
from __future__ import annotations

import base64
import html
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

__all__ = ["PALETTE", "style", "new_axes", "to_html", "list_size_plot", "funnel_plot", "ppit_histogram"]

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


def to_html(fig_or_ax, alt: str, caption: str | None = None) -> str:
    """Self-contained ``<figure>`` with the PNG embedded and alt text; closes the figure."""
    fig = fig_or_ax.figure if hasattr(fig_or_ax, "figure") and not isinstance(fig_or_ax, plt.Figure) else fig_or_ax
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", dpi=110, metadata={"Software": None})
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure class="fe-figure"><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
            f'style="max-width:100%">{cap}</figure>')


def list_size_plot(sizes: pd.DataFrame, go_live: pd.Period | None = None, title: str = "", ax=None):
    """Monthly eligible and listed counts (suppressed months left as gaps)."""
    ax = new_axes(ax)
    x = sizes.month.dt.to_timestamp()
    ax.plot(x, sizes.eligible, color=PALETTE[0], label="Met all five criteria", lw=1.8)
    ax.plot(x, sizes.listed, color=PALETTE[1], label="Listed", lw=1.8)
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
    ax.errorbar(pct[ok], y[ok], xerr=[pct[ok] - lo[ok], hi[ok] - pct[ok]], fmt="none", ecolor="black", capsize=3, lw=1)
    for yi, v in zip(y, pct, strict=True):
        ax.text((0 if pd.isna(v) else v) + 1.5, yi, "suppressed" if pd.isna(v) else f"{v:.0f}%", va="center", fontsize=8)
    ax.set_yticks(y, s.label)
    ax.set_xlim(0, 110)
    ax.set_xlabel("Percent of listed people (95% interval)")
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    return ax


def ppit_histogram(dist: pd.DataFrame, threshold: int, title: str = "", ax=None):
    """Number of people at each PPIT total (suppressed totals left blank), with the priority threshold."""
    ax = new_axes(ax)
    n = pd.to_numeric(dist.n, errors="coerce")
    colors = [PALETTE[3] if t >= threshold else PALETTE[0] for t in dist.total]
    ax.bar(dist.total, n.fillna(0), color=colors, width=0.85)
    ax.axvline(threshold - 0.5, color=GREY, ls="--", lw=1)
    ax.annotate(f"priority (>= {threshold})", (threshold - 0.4, ax.get_ylim()[1]), color=GREY, fontsize=8,
                xytext=(2, -10), textcoords="offset points")
    ax.set_xlabel("PPIT total score")
    ax.set_ylabel("People")
    ax.set_title(title)
    return ax
