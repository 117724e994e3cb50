"""Figures for publication: a figure becomes a self-contained ``<figure>`` with its alt text.

The drawing itself (palette, axes, chart types) lives in
[`foundation_eval.plotting`][foundation_eval.plotting]; its names are re-exported here so that report
code imports figures from one place.
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


_DPI = 110


def _content_box(fig, dpi: float):
    """The figure's content box in inches, padded as ``bbox_inches="tight"`` pads it.

    The same box as matplotlib's "tight" crop, measured without the whole undrawn pass of the figure
    that "tight" makes first (a third of a page's figure time); the PNG is byte for byte the same.
    """
    from matplotlib import rcParams
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.set_dpi(dpi)
    renderer = FigureCanvasAgg(fig).get_renderer()
    return fig.get_tightbbox(renderer).padded(rcParams["savefig.pad_inches"])


def to_html(fig_or_ax, alt: str, caption: str | None = None) -> str:
    """A self-contained `<figure>` with the PNG embedded and alt text; closes the figure.

    The PNG (110 dpi, cropped to its content, without a software stamp so that the same figure gives
    the same bytes) is embedded as a base64 `data:` URI, so the page needs no other file and makes
    no request. Alt text and caption are HTML-escaped.

    Parameters
    ----------
    fig_or_ax : Figure or Axes
        The matplotlib figure, or any axes of it.
    alt : str
        Alternative text for screen readers: what the figure shows, in words.
    caption : str, optional
        Caption shown under the figure (`<figcaption>`).

    Returns
    -------
    str
        One `<figure class="fe-figure">` element.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(2, 2))
    >>> _ = ax.bar(["Southampton", "Eastleigh"], [75, 40])
    >>> html = to_html(ax, "Bar chart: 75 people listed in Southampton, 40 in Eastleigh",
    ...                caption="People listed & assessed")
    >>> html[:62]
    '<figure class="fe-figure"><img src="data:image/png;base64,iVBO'
    >>> html[html.index(" alt="):]
    ' alt="Bar chart: 75 people listed in Southampton, 40 in Eastleigh" style="max-width:100%"><figcaption>People listed &amp; assessed</figcaption></figure>'
    >>> plt.fignum_exists(fig.number)
    False
    """
    fig = fig_or_ax.figure if hasattr(fig_or_ax, "figure") and not isinstance(fig_or_ax, plt.Figure) else fig_or_ax
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches=_content_box(fig, _DPI), dpi=_DPI, metadata={"Software": None})
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure class="fe-figure"><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
            f'style="max-width:100%">{cap}</figure>')

