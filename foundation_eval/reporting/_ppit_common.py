"""Small pieces the modules of the PPIT validity report share.

The predictors and the characteristics the page names, the outcome horizons it reports, the page's chart
legend and the words that join or capitalise the study's labels. Part of
[`PpitValidityReport`][foundation_eval.reporting.ppit_report.PpitValidityReport]; nothing here is public.
"""
from __future__ import annotations

from foundation_eval.reporting.figures import GREY

__all__: list[str] = []

PREDICTORS = {"ppit_total": "PPIT total", "prior_da_2y": "Prior DA offences (2 years)",
              "rfg_score": "Recency-frequency-gravity score"}
CHARACTERISTICS = ("Sex", "Ethnic group", "Age band", "District")
HORIZONS_MONTHS = (6, 12, 24)


def _cap(s) -> str:
    """Sentence case: the first letter upper case, the rest as written ("asian" -> "Asian")."""
    s = str(s)
    return s[:1].upper() + s[1:]


def _and(words) -> str:
    """Words joined as a sentence lists them.

    >>> _and(["sex", "ethnic group", "age band"])
    'sex, ethnic group and age band'
    """
    words = list(words)
    if not words:
        return ""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _legend(ax, **kwargs) -> None:
    """A boxed legend outside the plotting area, to the right, so that it never hides data."""
    leg = ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=True, fontsize=8,
                    **kwargs)
    leg.get_frame().set_edgecolor(GREY)
    leg.get_frame().set_linewidth(0.8)
