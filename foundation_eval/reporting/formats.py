"""One set of rules for how numbers read on every page, in every table, sentence and workbook.

Every report formats through these functions (via :class:`foundation_eval.reporting.publication.Page`),
so a quantity reads the same way wherever it appears:

============  ==========================================  ==================
kind          rule                                        example
============  ==========================================  ==================
count         disclosure rule applied, thousands comma     ``1,445``
percent       whole percent                                ``46%``
points        difference of two percentages, one decimal   ``-8.6 points``
ratio         two decimals, never signed                   ``0.78``
rate          per 100 person-months, one decimal, signed   ``+1.5``
index         AUC, ICC, kappa: two decimals                ``0.70``
money         pounds, rounded to what the data support     ``£4.2m``
============  ==========================================  ==================

Minus signs are ASCII hyphens so that copied numbers paste into spreadsheets.
"""
from __future__ import annotations

import math

__all__ = ["ordinal", "plural", "number_word", "percent", "points", "ratio", "rate", "index", "money",
           "signed", "value", "interval", "UNITS", "p_value", "decimal"]

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

#: How each unit of a registered estimand reads: (formatter name, words after the number).
UNITS = {
    "points": "percentage points",
    "ratio": "",
    "rate": "DA offences per 100 eligible person-months",
    "index": "",
}


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``12th``, ``13th``, ``21st``, ``22nd``...

    Examples
    --------
    >>> [ordinal(k) for k in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st', '111th']
    """
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plural(n: int, singular: str, plural_: str | None = None) -> str:
    """The noun agreeing with ``n`` (``1 district``, ``2 districts``; ``person``/``people`` by default rule).

    Examples
    --------
    >>> plural(1, "district"), plural(3, "district"), plural(2, "person", "people")
    ('district', 'districts', 'people')
    """
    if int(n) == 1:
        return singular
    return plural_ if plural_ is not None else singular + "s"


def number_word(n: int) -> str:
    """A small number in words, as a sentence would use it ("five"); digits from 11.

    Only for numbers that are not counts of people (criteria, districts, items): counts of people go
    through the disclosure rule.

    Examples
    --------
    >>> number_word(5), number_word(14)
    ('five', '14')
    """
    n = int(n)
    return _WORDS[n] if 0 <= n < len(_WORDS) else f"{n:,}"


def percent(p, scale: float = 100.0) -> str:
    """A share as a whole percentage; ``p`` is a proportion (``scale=100``) or already a percentage (``scale=1``).

    Examples
    --------
    >>> percent(0.4567), percent(45.67, scale=1)
    ('46%', '46%')
    """
    if not _finite(p):
        return ""
    return f"{float(p) * scale:.0f}%"


def signed(x, decimals: int = 1) -> str:
    """A signed number: ``+1.5``, ``-0.4``, ``0.0``.

    Examples
    --------
    >>> signed(1.46), signed(-0.04), signed(-0.4)
    ('+1.5', '0.0', '-0.4')
    """
    if not _finite(x):
        return ""
    s = f"{float(x):.{decimals}f}"
    if float(s) == 0:
        return f"{0:.{decimals}f}"
    return s if s.startswith("-") else "+" + s


def points(d, sign: bool = True, scale: float = 100.0) -> str:
    """A difference of two proportions in percentage points, one decimal, signed (``sign=False``: its size).

    Examples
    --------
    >>> points(-0.0862), points(0.112, sign=False)
    ('-8.6', '11.2')
    """
    if not _finite(d):
        return ""
    return signed(float(d) * scale, 1) if sign else f"{abs(float(d)) * scale:.1f}"


def ratio(r) -> str:
    """A ratio (hazard ratio, rate ratio), two decimals, never signed.

    Examples
    --------
    >>> ratio(0.7812)
    '0.78'
    """
    return f"{float(r):.2f}" if _finite(r) else ""


def rate(r, sign: bool = True, scale: float = 100.0) -> str:
    """A rate per person-month shown per 100 person-months, one decimal: a change signed, a level (``sign=False``) not.

    Examples
    --------
    >>> rate(0.0147), rate(0.0853, sign=False)
    ('+1.5', '8.5')
    """
    if not _finite(r):
        return ""
    return signed(float(r) * scale, 1) if sign else f"{float(r) * scale:.1f}"


def index(x) -> str:
    """AUC, ICC, kappa, alpha: two decimals.

    Examples
    --------
    >>> index(0.7023)
    '0.70'
    """
    return f"{float(x):.2f}" if _finite(x) else ""


def money(x, currency: str = "£") -> str:
    """Money rounded to what an evaluation can support: £0.1m from a million, else £1,000s, else £10s.

    Examples
    --------
    >>> money(4203415), money(-647680), money(34015), money(812.4)
    ('£4.2m', '-£648,000', '£34,000', '£810')
    """
    if not _finite(x):
        return ""
    v = float(x)
    sign = "-" if v < 0 else ""
    a = abs(v)
    if a >= 1e6:
        return f"{sign}{currency}{a / 1e6:.1f}m"
    if a >= 1e4:
        return f"{sign}{currency}{round(a, -3):,.0f}"
    return f"{sign}{currency}{round(a, -1):,.0f}"


_FORMAT = {"points": points, "ratio": ratio, "rate": rate, "index": index}


def value(x, unit: str) -> str:
    """An estimate in its unit (``points``, ``ratio``, ``rate`` or ``index``).

    Examples
    --------
    >>> value(-0.093, "points"), value(0.8, "ratio")
    ('-9.3', '0.80')
    """
    return _FORMAT[unit](x)


def interval(lo, hi, unit: str, level: float = 0.95) -> str:
    """``95% interval -15.8 to -1.3``.

    Examples
    --------
    >>> interval(0.63, 0.97, "ratio")
    '95% interval 0.63 to 0.97'
    """
    return f"{level * 100:.0f}% interval {value(lo, unit)} to {value(hi, unit)}"


def p_value(p) -> str:
    """A p-value: ``< 0.001`` below a thousandth, else three decimals.

    Examples
    --------
    >>> p_value(0.00002), p_value(0.0432), p_value(0.5)
    ('< 0.001', '0.043', '0.500')
    """
    if not _finite(p):
        return ""
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def decimal(x, decimals: int = 1, sign: bool = False) -> str:
    """A statistic that is not a count, share or index (chi-square, mean score): fixed decimals, optionally signed.

    Examples
    --------
    >>> decimal(12.345), decimal(0.5, 2, sign=True)
    ('12.3', '+0.50')
    """
    if not _finite(x):
        return ""
    return signed(x, decimals) if sign else f"{float(x):,.{decimals}f}"
