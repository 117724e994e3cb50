"""One set of rules for how numbers read on every page, in every table, sentence and workbook.

Every report formats through these functions (via
[`Page`][foundation_eval.reporting.publication.Page]), so a quantity reads the same way wherever it
appears:

| kind | rule | example |
|------|------|---------|
| count | disclosure rule applied, thousands comma | `1,445` |
| percent | whole percent | `46%` |
| points | difference of two percentages, one decimal, signed | `-8.6` percentage points |
| ratio | two decimals, never signed | `0.78` |
| rate | per 100 person-months, one decimal, signed when a change | `+1.5` |
| index | AUC, ICC, kappa: two decimals | `0.70` |
| money | pounds, rounded to what the data support | `£4.2m` |

Minus signs are ASCII hyphens so that copied numbers paste into spreadsheets. A missing or
non-finite number (None, NaN, infinity, text) reads as an empty string in every function that says so,
so a blank cell never shows as `nan`.

Examples
--------
>>> percent(0.4567), points(-0.0862), ratio(0.7812), rate(0.0147), money(4203415)
('46%', '-8.6', '0.78', '+1.5', '£4.2m')
"""
from __future__ import annotations

import math

__all__ = ["ordinal", "plural", "number_word", "percent", "points", "ratio", "rate", "index", "money",
           "signed", "value", "interval", "UNITS", "p_value", "decimal"]

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

#: The words after a number in each unit of a registered estimand (empty: none).
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
    """An ordinal number: `1st`, `2nd`, `3rd`, `4th`, `11th`, `12th`, `13th`, `21st`, `22nd`...

    Parameters
    ----------
    n : int
        The number (converted by `int`).

    Returns
    -------
    str
        The number in digits with its English suffix.

    Examples
    --------
    >>> [ordinal(k) for k in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st', '111th']
    """
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plural(n: int, singular: str, plural_: str | None = None) -> str:
    """The noun agreeing with `n`: `district` for 1, `districts` otherwise (0 included).

    Parameters
    ----------
    n : int
        How many.
    singular : str
        The noun for one.
    plural_ : str, optional
        The noun for any other number, when it is not `singular` + "s" (`"people"`).

    Returns
    -------
    str
        The noun alone (without the number).

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

    Parameters
    ----------
    n : int
        The number.

    Returns
    -------
    str
        "no" for 0, "one" to "ten", else digits with a thousands comma (negative numbers as digits).

    Examples
    --------
    >>> number_word(5), number_word(14)
    ('five', '14')
    """
    n = int(n)
    return _WORDS[n] if 0 <= n < len(_WORDS) else f"{n:,}"


def percent(p, scale: float = 100.0) -> str:
    """A share as a whole percentage; `p` is a proportion (`scale=100`) or already a percentage (`scale=1`).

    Rounded to the nearest whole percent; an exact half goes to the even number (12.5 reads `12%`).

    Parameters
    ----------
    p : float
        The share.
    scale : float
        What `p` is multiplied by: 100 for a proportion (0-1), 1 for a percentage (0-100).

    Returns
    -------
    str
        For example `"46%"`; empty when `p` is missing or not finite.

    Examples
    --------
    >>> percent(0.4567), percent(45.67, scale=1)
    ('46%', '46%')
    """
    if not _finite(p):
        return ""
    return f"{float(p) * scale:.0f}%"


def signed(x, decimals: int = 1) -> str:
    """A signed number: `+1.5`, `-0.4`, `0.0`.

    A value that rounds to zero has no sign, so `-0.04` reads `0.0`, not `-0.0`.

    Parameters
    ----------
    x : float
        The number.
    decimals : int
        Decimal places.

    Returns
    -------
    str
        With `+` for positive and `-` for negative; empty when `x` is missing or not finite.

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
    """A difference of two proportions in percentage points, one decimal, signed (`sign=False`: its size).

    Percentage points are $100 (p_1 - p_0)$ for proportions $p_1$ and $p_0$.

    Parameters
    ----------
    d : float
        The difference of two proportions (0-1 scale), or of two percentages with `scale=1`.
    sign : bool
        Signed (`+`/`-`) when True; the absolute size when False.
    scale : float
        What `d` is multiplied by.

    Returns
    -------
    str
        The number without the words "percentage points"; empty when `d` is missing or not finite.

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

    Parameters
    ----------
    r : float
        The ratio.

    Returns
    -------
    str
        Two decimals; empty when `r` is missing or not finite.

    Examples
    --------
    >>> ratio(0.7812)
    '0.78'
    """
    return f"{float(r):.2f}" if _finite(r) else ""


def rate(r, sign: bool = True, scale: float = 100.0) -> str:
    """A rate per person-month shown per 100 person-months, one decimal: a change signed, a level (`sign=False`) not.

    Parameters
    ----------
    r : float
        Events per person-month (or a change in it).
    sign : bool
        Signed when True (a change), unsigned when False (a level).
    scale : float
        Person-months the rate is shown per.

    Returns
    -------
    str
        The number without units; empty when `r` is missing or not finite.

    Examples
    --------
    >>> rate(0.0147), rate(0.0853, sign=False)
    ('+1.5', '8.5')
    """
    if not _finite(r):
        return ""
    return signed(float(r) * scale, 1) if sign else f"{float(r) * scale:.1f}"


def index(x) -> str:
    """An index (AUC, ICC, kappa, alpha): two decimals.

    Parameters
    ----------
    x : float
        The index.

    Returns
    -------
    str
        Two decimals; empty when `x` is missing or not finite.

    Examples
    --------
    >>> index(0.7023)
    '0.70'
    """
    return f"{float(x):.2f}" if _finite(x) else ""


def money(x, currency: str = "£") -> str:
    """Money rounded to what an evaluation can support: £0.1m from a million, £1,000s from £10,000, else £10s.

    Parameters
    ----------
    x : float
        The amount (negative for a cost or a loss).
    currency : str
        Prefix of the amount (`"£"`; a programme in another currency passes its code and a space).

    Returns
    -------
    str
        The sign before the currency (`-£648,000`); empty when `x` is missing or not finite.

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
    """An estimate in its unit (`points`, `ratio`, `rate` or `index`).

    Parameters
    ----------
    x : float
        The estimate on its fitted scale (a difference of proportions for `points`, events per
        person-month for `rate`).
    unit : str
        `"points"`, `"ratio"`, `"rate"` or `"index"`; the words that follow the number are in
        `UNITS`.

    Returns
    -------
    str
        Formatted by [`points`][foundation_eval.reporting.formats.points],
        [`ratio`][foundation_eval.reporting.formats.ratio],
        [`rate`][foundation_eval.reporting.formats.rate] or
        [`index`][foundation_eval.reporting.formats.index].

    Raises
    ------
    KeyError
        When `unit` is none of these.

    Examples
    --------
    >>> value(-0.093, "points"), value(0.8, "ratio")
    ('-9.3', '0.80')
    """
    return _FORMAT[unit](x)


def interval(lo, hi, unit: str, level: float = 0.95) -> str:
    """A confidence interval in words: `95% interval -15.8 to -1.3`.

    Parameters
    ----------
    lo, hi : float
        Lower and upper bounds, on the estimate's fitted scale.
    unit : str
        As in [`value`][foundation_eval.reporting.formats.value].
    level : float
        Confidence level (0.95 reads "95%").

    Returns
    -------
    str
        The interval, each bound formatted as [`value`][foundation_eval.reporting.formats.value]
        formats it.

    Examples
    --------
    >>> interval(0.63, 0.97, "ratio")
    '95% interval 0.63 to 0.97'
    """
    return f"{level * 100:.0f}% interval {value(lo, unit)} to {value(hi, unit)}"


def p_value(p) -> str:
    """A p-value: `< 0.001` below a thousandth, else three decimals.

    Parameters
    ----------
    p : float
        The p-value.

    Returns
    -------
    str
        Empty when `p` is missing or not finite.

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

    Parameters
    ----------
    x : float
        The statistic.
    decimals : int
        Decimal places.
    sign : bool
        Signed as [`signed`][foundation_eval.reporting.formats.signed] does when True; otherwise with a
        thousands comma.

    Returns
    -------
    str
        Empty when `x` is missing or not finite.

    Examples
    --------
    >>> decimal(12.345), decimal(0.5, 2, sign=True)
    ('12.3', '+0.50')
    """
    if not _finite(x):
        return ""
    return signed(x, decimals) if sign else f"{float(x):,.{decimals}f}"
