"""Small pieces the modules of the pilot-versus-rollout report share.

The exceptions a design the data cannot support raises, the page's chart legend, and the words that turn
the library's text into page text (sentence case, design names inside a sentence, no code names, HTML
escaping). Part of [`EvaluationReport`][foundation_eval.reporting.evaluation_report.EvaluationReport];
nothing here is public.
"""
from __future__ import annotations

import html
import re

import numpy as np

__all__: list[str] = []

#: What reading a design the data cannot support may raise; the page then says why in a sentence.
_ERRORS = (ValueError, KeyError, IndexError, ZeroDivisionError, np.linalg.LinAlgError, TypeError, AttributeError)


def _legend(ax) -> None:
    """The house legend of this page: boxed, outside the plotting area on the right."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=True, fontsize=8,
                  edgecolor="#999999", fancybox=False)


def _cap(s: str) -> str:
    """Sentence case for a label: first letter upper case.

    >>> _cap("matched comparison of people")
    'Matched comparison of people'
    """
    s = str(s)
    return s[:1].upper() + s[1:]


def _no_code(s: str) -> str:
    """A library sentence without references to function names (readers see no code names).

    >>> _no_code("too few districts (see staggered_did()).")
    'too few districts.'
    """
    return re.sub(r"\s*\(see [a-z_]+(?:\(\))?\)", "", str(s))


def _lower(name: str) -> str:
    """A design name inside a sentence (first letter lower case, names of people kept).

    >>> _lower("Staggered district comparison"), _lower("Cox survival analysis, on the risk scale")
    ('staggered district comparison', 'Cox survival analysis, on the risk scale')
    """
    if name.split(" ", 1)[0] in ("Cox", "Callaway"):
        return name
    return name[:1].lower() + name[1:]


def _esc(s) -> str:
    """Text escaped for HTML.

    >>> _esc("Districts <live> & not")
    'Districts &lt;live&gt; &amp; not'
    """
    return html.escape(str(s))
