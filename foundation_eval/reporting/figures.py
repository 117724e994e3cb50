"""Figures for publication: a figure becomes a self-contained ``<figure>`` with its alt text.

The drawing itself (palette, axes, chart types) lives in :mod:`foundation_eval.plotting`.
"""
from __future__ import annotations

import base64
import html
import io

import matplotlib.pyplot as plt

from foundation_eval.plotting import (
    GREY,
    PALETTE,
    funnel_plot,
    list_size_plot,
    new_axes,
    ppit_histogram,
    style,
)

__all__ = ["PALETTE", "GREY", "style", "new_axes", "to_html", "list_size_plot", "funnel_plot", "ppit_histogram"]


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

