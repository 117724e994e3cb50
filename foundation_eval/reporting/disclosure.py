"""Disclosure control: the one rule and every operation that applies it, for tables, sentences and charts.

Everything a report publishes passes through this module, by way of the
[`Page`][foundation_eval.reporting.publication.Page]:

* **the rule** ([`Rule`][foundation_eval.reporting.disclosure.Rule], stated in words by
  [`Rule.text`][foundation_eval.reporting.disclosure.Rule.text], the one text of the rule): every
  published count is rounded to a base (5 by default) and counts from 1 to `threshold - 1` (1 to 9 by
  default) are withheld and shown as `[c]`; zeros are published;
* **cell suppression** of tables: primary suppression of small counts and secondary (complementary)
  suppression wherever an additive group would otherwise hold exactly one hidden cell
  ([`protect`][foundation_eval.reporting.disclosure.protect],
  [`protect_crosstab`][foundation_eval.reporting.disclosure.protect_crosstab],
  [`protect_units`][foundation_eval.reporting.disclosure.protect_units],
  [`withheld_rows`][foundation_eval.reporting.disclosure.withheld_rows],
  [`hidden_mask`][foundation_eval.reporting.disclosure.hidden_mask]);
* **derived figures from published counts**: a share is the published numerator over the published
  denominator, with its Wilson interval from the same two numbers, printed to whole percent
  ([`Rule.share`][foundation_eval.reporting.disclosure.Rule.share]); a rate is the published count over
  the published exposure, the exposure rounded to `exposure_base` (10 person-years by default), with its
  exact Poisson interval from the same two numbers
  ([`Rule.rate`][foundation_eval.reporting.disclosure.Rule.rate]). A figure computed only from
  published numbers tells a reader nothing they could not work out from those numbers, so it cannot
  narrow any hidden count;
* **chart data**: a Kaplan-Meier or cumulative-incidence curve is drawn only from grouped steps that
  each hold at least `threshold` events among at least `threshold` people at risk, with at least
  `threshold` left without the event, its value recomputed from the published (rounded) grouped counts
  ([`curve_steps`][foundation_eval.reporting.disclosure.curve_steps]); counts drawn as bars or lines are
  published like table cells ([`chart_counts`][foundation_eval.reporting.disclosure.chart_counts]).

The intruder audit ([`audit`][foundation_eval.reporting.audit.audit]) then proves, for each page, that
nothing published narrows a withheld count or pins down a rounded one.

The rule follows the Government Statistical Service guidance on statistical disclosure control for
tables (GSS/GSR, *Disclosure control guidance for tables produced from administrative sources*,
2014; Office for National Statistics, *Statistical disclosure control policy*) and the methods of
Hundepool et al. (2012, *Statistical Disclosure Control*, Wiley: cell suppression, ch. 4; rounding of
frequency tables, ch. 5). Hidden cells are shown as `[c]`, the Government Statistical Service symbol for
confidential information (GSS, *Symbols in tables, definitions and help*).

Examples
--------
One withheld count (4) and the next smallest (15) withheld with it, since the published total would
give the 4 back; the percentages built on them go too:

>>> import pandas as pd
>>> frame = pd.DataFrame({"ethnicity": ["White", "Black", "Asian", "Mixed"],
...                       "n": [120, 4, 15, 22], "percent": [74.5, 2.5, 9.3, 13.7]})
>>> protect(frame, {"n": ["percent"]}).display({"percent": "{:.0f}%"})
  ethnicity    n percent
0     White  120     74%
1     Black  [c]     [c]
2     Asian  [c]     [c]
3     Mixed   22     14%
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from foundation_eval.stats import poisson_rate_interval, wilson_interval

__all__ = ["SUPPRESSED", "Rule", "rule_text", "Protected", "protect", "protect_crosstab", "protect_units",
           "withheld_rows", "hidden_mask", "unsafe_cells", "CurveSteps", "curve_steps", "raw_curve",
           "ChartCounts", "chart_counts"]

SUPPRESSED = "[c]"


def _isnan(x) -> bool:
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


# ------------------------------------------------------------------------------------------ the rule
@dataclass(frozen=True)
class Rule:
    """The disclosure rule of a render: round every count to a base, withhold small counts.

    A count $n$ is withheld when $0 < n < t$ (the threshold $t$, 10 by default, so 1 to 9 are
    withheld); otherwise it is published as $b \\lfloor n / b + 1/2 \\rfloor$, the nearest multiple
    of the base $b$ (5 by default; halves round up). Zero is published as 0. Secondary suppression is
    applied by [`protect`][foundation_eval.reporting.disclosure.protect] (through
    [`Page.table`][foundation_eval.reporting.publication.Page.table]), not here. Exposures (person-years)
    are published to the nearest `exposure_base`. The rule follows the GSS/GSR *Disclosure control
    guidance for tables produced from administrative sources* (Government Statistical Service, 2014)
    and Hundepool et al. (2012, *Statistical Disclosure Control*, Wiley).

    Parameters
    ----------
    threshold : int
        Smallest count that may be published (counts 1 to `threshold - 1` are withheld).
    base : int
        Every published count is rounded to the nearest multiple of `base` (1: exact counts).
    exposure_base : float
        Person-time (the denominator of a rate) is published to the nearest multiple of this.

    Examples
    --------
    >>> rule = Rule(threshold=10, base=5)
    >>> [rule.publish(n) for n in (0, 3, 9, 10, 12, 13, 76)]
    [0, None, None, 10, 10, 15, 75]
    >>> Rule(10, 1).publish(76)
    76
    >>> rule.interval(75), rule.interval(10), rule.interval(0)
    ((73, 77), (10, 12), (0, 0))
    """

    threshold: int = 10
    base: int = 5
    exposure_base: float = 10.0

    def __post_init__(self):
        if int(self.threshold) < 1:
            raise ValueError(f"disclosure threshold must be at least 1, not {self.threshold}")
        if int(self.base) < 1:
            raise ValueError(f"rounding base must be at least 1, not {self.base}")
        if not float(self.exposure_base) > 0:
            raise ValueError(f"exposure base must be positive, not {self.exposure_base}")

    @classmethod
    def for_programme(cls, prog) -> Rule:
        """The rule a programme file sets (`[disclosure] threshold` and `rounding_base`).

        Parameters
        ----------
        prog : Programme
            A loaded programme ([`load_programme`][foundation_eval.config.load_programme]); a
            programme without `disclosure_rounding` rounds to base 5.

        Returns
        -------
        Rule
            The programme's threshold and rounding base (exposures to the nearest 10).

        Examples
        --------
        >>> from foundation_eval.config import load_programme
        >>> Rule.for_programme(load_programme("hiow"))
        Rule(threshold=10, base=5, exposure_base=10.0)
        """
        return cls(int(prog.disclosure_threshold), int(getattr(prog, "disclosure_rounding", 5)),
                   float(getattr(prog, "disclosure_exposure_base", 10.0) or 10.0))

    def hidden(self, n) -> bool:
        """Whether a count may not be published (it is from 1 to `threshold - 1`).

        Parameters
        ----------
        n : int, float or None
            An exact count. Zero, missing (None or NaN) and counts at or above the threshold are not
            hidden.

        Returns
        -------
        bool
            True when $0 < n < t$.

        Examples
        --------
        >>> rule = Rule(10, 5)
        >>> rule.hidden(3), rule.hidden(0), rule.hidden(10), rule.hidden(None)
        (True, False, False, False)
        """
        return n is not None and not _isnan(n) and 0 < float(n) < self.threshold

    def publish(self, n) -> int | None:
        """The published value of a count: rounded to the base, None when withheld or missing.

        Parameters
        ----------
        n : int, float or None
            An exact count.

        Returns
        -------
        int or None
            $b \\lfloor n / b + 1/2 \\rfloor$ (nearest multiple of the base, halves up); None when
            $0 < n < t$ or when `n` is missing.

        Examples
        --------
        >>> Rule(10, 5).publish(76), Rule(10, 5).publish(7), Rule(10, 5).publish(0)
        (75, None, 0)
        """
        if n is None or _isnan(n):
            return None
        if self.hidden(n):
            return None
        return int(self.base * math.floor(float(n) / self.base + 0.5))

    def interval(self, published) -> tuple[int, int]:
        """Every exact count that publishes as `published`: the interval an intruder knows it lies in.

        With halves rounded up, $b \\lfloor n/b + 1/2 \\rfloor = v$ exactly when
        $v - \\lfloor b/2 \\rfloor \\le n \\le v + \\lceil b/2 \\rceil - 1$; counts from 1 to $t - 1$ are
        withheld, so a published non-zero count is at least $t$, and a published 0 is 0 (for a base
        wider than twice the threshold the interval is the hull of the two pieces).

        Parameters
        ----------
        published : int
            A published count.

        Returns
        -------
        tuple of int
            `(low, high)`, inclusive.

        Examples
        --------
        >>> Rule(10, 5).interval(1385), Rule(10, 4).interval(20), Rule(10, 1).interval(76)
        ((1383, 1387), (18, 21), (76, 76))
        """
        v, b = int(published), int(self.base)
        lo, hi = v - b // 2, v + (b + 1) // 2 - 1
        if v == 0:
            return 0, max(0, hi) if hi >= self.threshold else 0
        return max(lo, self.threshold), hi

    def exposure(self, e) -> float | None:
        """Person-time as published: rounded to the nearest `exposure_base` (None when missing).

        Parameters
        ----------
        e : float or None
            Exact person-time (e.g. person-years).

        Returns
        -------
        float or None
            The nearest multiple of `exposure_base`, halves up.

        Examples
        --------
        >>> Rule().exposure(612.3), Rule().exposure(4.0)
        (610.0, 0.0)
        """
        if e is None or _isnan(e):
            return None
        return float(self.exposure_base * math.floor(float(e) / self.exposure_base + 0.5))

    def share(self, k, n, level: float = 0.95) -> dict:
        """A proportion and its Wilson interval from the published counts; withheld when `n`, `k` or
        `n - k` is 1 to threshold - 1.

        The share is the published `k` over the published `n` and the interval is Wilson's score
        interval (Wilson, 1927, *Journal of the American Statistical Association* 22: 209-212;
        [`wilson_interval`][foundation_eval.stats.wilson_interval]) of the same two numbers, so neither
        says more about the exact counts than the published counts do. Withholding `n - k` as well as
        `k` stops a share near 100% giving away a small number without the outcome. Pages print shares
        to whole percent.

        Parameters
        ----------
        k : int
            People with the outcome (exact).
        n : int
            People in the denominator (exact).
        level : float
            Confidence level of the interval.

        Returns
        -------
        dict
            `{"k", "n", "pct", "low", "high"}`: `k` and `n` as published (rounded to the base);
            `pct`, `low` and `high` in percent (0-100) from the published counts. Withheld values are
            None; `n` is still given when it alone may be published.

        Examples
        --------
        >>> rule = Rule(10, 5)
        >>> s = rule.share(30, 76)
        >>> s["k"], s["n"], round(s["pct"], 1), round(s["low"], 1), round(s["high"], 1)
        (30, 75, 40.0, 29.7, 51.3)

        Four people without the outcome would be given away by 72 of 76, so the share is withheld:

        >>> rule.share(72, 76)
        {'k': None, 'n': 75, 'pct': None, 'low': None, 'high': None}
        """
        k, n = int(k), int(n)
        if n == 0 or n < self.threshold or self.hidden(k) or self.hidden(n - k):
            return {"k": None, "n": self.publish(n) if n >= self.threshold else None, "pct": None, "low": None,
                    "high": None}
        pk, pn = self.publish(k), self.publish(n)
        lo, hi = wilson_interval(pk, pn, level)
        return {"k": pk, "n": pn, "pct": 100 * pk / pn, "low": 100 * lo, "high": 100 * hi}

    def rate(self, events, exposure, level: float = 0.95, per: float = 1.0) -> dict:
        """An event rate and its exact Poisson interval from the published count and exposure.

        The count is published by [`publish`][foundation_eval.reporting.disclosure.Rule.publish], the
        exposure by [`exposure`][foundation_eval.reporting.disclosure.Rule.exposure]; the rate is
        their ratio and the interval Garwood's exact Poisson interval of the same two numbers
        (Garwood, 1936, *Biometrika* 28: 437-442;
        [`poisson_rate_interval`][foundation_eval.stats.poisson_rate_interval]), so a rate multiplied
        by its exposure gives back the published count and nothing finer. Withheld when the count is
        1 to threshold - 1 or the published exposure is not positive.

        Parameters
        ----------
        events : int
            Exact number of events.
        exposure : float
            Exact person-time.
        level : float
            Confidence level of the interval.
        per : float
            Rate per this much person-time (100 for "per 100 person-years").

        Returns
        -------
        dict
            `{"k", "exposure", "rate", "low", "high"}` as published; withheld values are None.

        Examples
        --------
        Basingstoke's 77 offences in 612.3 person-years are published as 75 in 610, a rate of 0.12:

        >>> r = Rule().rate(77, 612.3)
        >>> r["k"], r["exposure"], round(r["rate"], 4), round(r["low"], 3), round(r["high"], 3)
        (75, 610.0, 0.123, 0.097, 0.154)
        >>> Rule().rate(4, 612.3)["rate"] is None
        True
        """
        k = None if events is None or _isnan(events) else int(events)
        pk, pe = self.publish(k), self.exposure(exposure)
        if pk is None or pe is None or pe <= 0:
            return {"k": pk, "exposure": pe, "rate": None, "low": None, "high": None}
        r, lo, hi = (float(x) for x in poisson_rate_interval(pk, pe, level))
        return {"k": pk, "exposure": pe, "rate": per * r, "low": per * lo, "high": per * hi}

    def text(self) -> str:
        """The rule in plain English, printed in every report: the one text of the rule.

        Returns
        -------
        str
            One paragraph naming the base, the withheld range, secondary suppression, how shares, rates
            and charts are derived, and what is never published.

        Examples
        --------
        >>> Rule(10, 5).text()[:58]
        'Every count is rounded to the nearest 5, so totals may dif'
        >>> Rule(10, 1).text()[:50]
        'Counts from 1 to 9 are not published and are shown'
        """
        rounding = (f"Every count is rounded to the nearest {self.base}, so totals may differ slightly from the sum "
                    "of their parts and no hidden count can be worked out by subtraction. " if self.base > 1 else "")
        derived = ("Percentages, rates and their intervals are worked out from the published counts (person-time "
                   f"rounded to the nearest {self.exposure_base:g}), and curves are drawn in steps of at least "
                   f"{self.threshold} events among at least {self.threshold} people. ")
        return (f"{rounding}Counts from 1 to {self.threshold - 1} are not published and are shown as {SUPPRESSED}; "
                f"where a total could reveal a hidden count, the next smallest count is hidden too; percentages, "
                f"rates and intervals built on a hidden count are withheld. {derived}No sentence states a count "
                f"below {self.threshold}. No identifier, date of birth or free text is published.")


def rule_text(threshold: int, base: int = 1) -> str:
    """The rule in words ([`Rule.text`][foundation_eval.reporting.disclosure.Rule.text]): the one text.

    Parameters
    ----------
    threshold : int
        Smallest count that may be published.
    base : int
        Rounding base of published counts (1: counts are not rounded, as in a table protected by
        [`protect`][foundation_eval.reporting.disclosure.protect] alone).

    Returns
    -------
    str
        One paragraph.

    Examples
    --------
    >>> rule_text(10)[:58]
    'Counts from 1 to 9 are not published and are shown as [c];'
    >>> rule_text(10, 5) == Rule(10, 5).text()
    True
    """
    return Rule(int(threshold), int(base)).text()


@dataclass(frozen=True)
class Protected:
    """A table after disclosure control.

    Made by [`protect`][foundation_eval.reporting.disclosure.protect],
    [`protect_crosstab`][foundation_eval.reporting.disclosure.protect_crosstab] or
    [`protect_units`][foundation_eval.reporting.disclosure.protect_units].

    Attributes
    ----------
    table : DataFrame
        Values with suppressed cells set to missing.
    suppressed : DataFrame of bool
        True where a cell was withheld (same shape as `table`).
    threshold : int
        Smallest count that was published.
    n_primary, n_secondary : int
        Count cells hidden because they were small, and to protect them.

    Examples
    --------
    >>> import pandas as pd
    >>> p = protect(pd.DataFrame({"sex": ["Men", "Women"], "n": [140, 6]}), ["n"])
    >>> p.table.n.isna().tolist(), p.n_primary, p.n_secondary
    ([True, True], 1, 1)
    """

    table: pd.DataFrame
    suppressed: pd.DataFrame
    threshold: int
    n_primary: int
    n_secondary: int

    @property
    def rule(self) -> str:
        """The suppression rule in words ([`rule_text`][foundation_eval.reporting.disclosure.rule_text])."""
        return rule_text(self.threshold)

    def display(self, formats: Mapping[str, str] | None = None, default: str = "{:,.0f}") -> pd.DataFrame:
        """Strings for publication: numbers formatted, withheld cells as `[c]`.

        Parameters
        ----------
        formats : dict, optional
            Column to a `str.format` pattern (e.g. `{"percent": "{:.0f}%"}`) for numeric columns.
        default : str
            Pattern for numeric columns not in `formats` (whole numbers with a thousands comma).

        Returns
        -------
        DataFrame of str
            Same shape as `table`; missing values that were not withheld are empty strings.

        Examples
        --------
        >>> import pandas as pd
        >>> p = protect(pd.DataFrame({"stage": ["Listed", "Engaged"], "n": [1445, 8]}), ["n"],
        ...             additive=False)
        >>> p.display()
             stage      n
        0   Listed  1,445
        1  Engaged    [c]
        """
        formats = dict(formats or {})
        out = self.table.copy().astype(object)
        for c in out.columns:
            fmt = formats.get(c)
            col = self.table[c]
            if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
                f = fmt or default
                out[c] = [("" if pd.isna(v) else f.format(v)) for v in col]
            out.loc[self.suppressed[c].values, c] = SUPPRESSED
        return out


def _primary(values: np.ndarray, threshold: int) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return (v > 0) & (v < threshold)


def _secondary_1d(values: np.ndarray, hidden: np.ndarray) -> bool:
    """Hide one more cell in an additive group holding exactly one hidden cell. Returns True if changed."""
    if hidden.sum() != 1 or hidden.size < 2:
        return False
    cand = np.where(~hidden & (values > 0), values, np.inf)
    if not np.isfinite(cand).any():
        cand = np.where(~hidden, values, np.inf)
        if not np.isfinite(cand).any():
            return False
    hidden[int(np.argmin(cand))] = True
    return True


def protect(
    frame: pd.DataFrame,
    counts: Sequence[str] | Mapping[str, Iterable[str]],
    threshold: int = 10,
    additive_within: str | Sequence[str] | None = None,
    additive: bool = True,
) -> Protected:
    """Disclosure control for a long table with one or more count columns.

    For each count column: primary suppression of counts $c$ with $0 < c < t$; then, in each additive
    group holding exactly one hidden cell, the smallest remaining positive count is hidden too (the
    smallest remaining count when none is positive). Columns derived from a count are hidden where
    it is. Counts are not rounded here.

    Parameters
    ----------
    frame : DataFrame
        One row per category (e.g. a Table 1, a funnel, a monthly series).
    counts : list or dict
        Count columns, or a mapping from each count column to the columns derived from it
        (percentages, rates, interval bounds) that are withheld with it.
    threshold : int
        Smallest count that may be published (default 10).
    additive_within : str or list of str, optional
        Rows sharing these values add up to a published or derivable total (e.g. the categories of
        one characteristic): secondary suppression is applied within each such group.
    additive : bool
        When `additive_within` is None, whether all rows of a count column add up to a total
        (True for a breakdown of one population, False for nested stages such as a funnel).

    Returns
    -------
    Protected
        The table on a fresh 0-based index with withheld cells missing, and where they are.

    Raises
    ------
    ValueError
        When `threshold` is below 1.
    KeyError
        When a count or derived column is not in `frame` (the message lists them).

    Examples
    --------
    A breakdown of one population: the 4 is withheld (primary) and the 15 with it (secondary).

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"ethnicity": ["White", "Black", "Asian", "Mixed"],
    ...                       "n": [120, 4, 15, 22], "percent": [74.5, 2.5, 9.3, 13.7]})
    >>> p = protect(frame, {"n": ["percent"]})
    >>> p.table
      ethnicity      n  percent
    0     White  120.0     74.5
    1     Black    NaN      NaN
    2     Asian    NaN      NaN
    3     Mixed   22.0     13.7
    >>> p.n_primary, p.n_secondary
    (1, 1)

    Nested stages do not add up, so only the small count goes:

    >>> funnel = pd.DataFrame({"stage": ["Listed", "Assessed", "Engaged"], "n": [76, 71, 8]})
    >>> protect(funnel, ["n"], additive=False).display()["n"].tolist()
    ['76', '71', '[c]']
    >>> protect(funnel, ["people"])
    Traceback (most recent call last):
    ...
    KeyError: "columns not in the table: ['people']"
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    deps = {c: list(v) for c, v in counts.items()} if isinstance(counts, Mapping) else {c: [] for c in counts}
    missing = [c for c in list(deps) + [d for v in deps.values() for d in v] if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the table: {missing}")
    table = frame.copy().reset_index(drop=True)
    hidden = pd.DataFrame(False, index=table.index, columns=table.columns)
    n1 = n2 = 0
    if isinstance(additive_within, str):
        additive_within = [additive_within]
    for c in deps:
        vals = pd.to_numeric(table[c], errors="coerce").fillna(0).to_numpy(float)
        h = _primary(vals, threshold)
        n1 += int(h.sum())
        before = h.sum()
        if additive_within:
            for _, idx in table.groupby(list(additive_within), sort=False).indices.items():
                sub = h[idx]
                if _secondary_1d(vals[idx], sub):
                    h[idx] = sub
        elif additive:
            _secondary_1d(vals, h)
        n2 += int(h.sum() - before)
        hidden[c] = h
        for d in deps[c]:
            hidden[d] = hidden[d].to_numpy() | h
    for c in table.columns:
        if hidden[c].any():
            table[c] = table[c].astype(object).where(~hidden[c], None)
            if c in deps or all(pd.api.types.is_number(v) or v is None for v in table[c]):
                table[c] = pd.to_numeric(table[c], errors="coerce")
    return Protected(table, hidden, threshold, n1, n2)


def protect_crosstab(counts: pd.DataFrame, threshold: int = 10, margins: bool = True) -> Protected:
    """Disclosure control for a two-way table of counts whose rows and columns both add up.

    Primary suppression, then secondary suppression repeated over rows and columns until no row or
    column has exactly one hidden cell. With `margins` the row and column totals are appended
    (themselves subject to primary suppression). The check is line by line and does not audit the
    pattern as a whole: in a larger table a hidden cell can occasionally be worked out from several
    margins together (see Hundepool et al., 2012, on auditing a suppression pattern).

    Parameters
    ----------
    counts : DataFrame
        Exact counts, rows by columns (row and column labels are kept).
    threshold : int
        Smallest count that may be published.
    margins : bool
        Whether to append a `Total` column and a `Total` row.

    Returns
    -------
    Protected
        The float table with withheld cells missing; `n_primary` and `n_secondary` count inner
        cells only.

    Examples
    --------
    The 3 declined in Southampton is withheld; the 12 in its column and the 25 and 30 engaged with
    them, so that no row or column holds a single hidden cell:

    >>> import pandas as pd
    >>> counts = pd.DataFrame([[25, 3, 40], [30, 12, 18]], index=["Southampton", "Eastleigh"],
    ...                       columns=["Engaged", "Declined", "Not contacted"])
    >>> p = protect_crosstab(counts)
    >>> p.display()
                Engaged Declined Not contacted Total
    Southampton     [c]      [c]            40    68
    Eastleigh       [c]      [c]            18    60
    Total            55       15            58   128
    >>> p.n_primary, p.n_secondary
    (1, 3)
    """
    vals = counts.to_numpy(dtype=float)
    h = _primary(vals, threshold)
    n1 = int(h.sum())
    changed = True
    while changed:
        changed = False
        for i in range(vals.shape[0]):
            row = h[i].copy()
            if _secondary_1d(vals[i], row):
                h[i] = row
                changed = True
        for j in range(vals.shape[1]):
            col = h[:, j].copy()
            if _secondary_1d(vals[:, j], col):
                h[:, j] = col
                changed = True
    n2 = int(h.sum()) - n1
    table = counts.astype(float).copy()
    hidden = pd.DataFrame(h, index=counts.index, columns=counts.columns)
    if margins:
        table["Total"] = counts.sum(axis=1).astype(float)
        table.loc["Total"] = table.sum(axis=0)
        hidden["Total"] = _primary(table["Total"].to_numpy()[:-1], threshold)
        hidden.loc["Total"] = _primary(table.loc["Total"].to_numpy(), threshold)
    table = table.mask(hidden)
    return Protected(table, hidden, threshold, n1, n2)


def unsafe_cells(table: pd.DataFrame, threshold: int, count_columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Cells of a published table holding a count from 1 to `threshold - 1` (for checks and tests).

    Parameters
    ----------
    table : DataFrame
        A table as it would be published.
    threshold : int
        Smallest count that may be published.
    count_columns : iterable of str, optional
        Columns to check (default: every integer column).

    Returns
    -------
    DataFrame
        One row per unsafe cell: `row` (index label), `column` and `value`; empty when the table is
        safe.

    Examples
    --------
    >>> import pandas as pd
    >>> unsafe_cells(pd.DataFrame({"district": ["A", "B"], "n": [75, 4]}), 10)
       row column  value
    0    1      n      4
    >>> protected = protect(pd.DataFrame({"district": ["A", "B"], "n": [75, 4]}), ["n"]).table
    >>> unsafe_cells(protected, 10, ["n"]).empty
    True
    """
    cols = list(count_columns) if count_columns is not None else [
        c for c in table.columns if pd.api.types.is_integer_dtype(table[c])
    ]
    hits = []
    for c in cols:
        v = pd.to_numeric(table[c], errors="coerce")
        bad = (v > 0) & (v < threshold)
        for i in table.index[bad.fillna(False)]:
            hits.append({"row": i, "column": c, "value": v[i]})
    return pd.DataFrame(hits, columns=["row", "column", "value"])


def protect_units(result, threshold: int):
    """Disclosure control for a funnel plot of people: which units may be drawn and tabulated.

    A unit is withheld when its volume is below `threshold` or when the people with (`k`) or
    without (`n - k`) the outcome number 1 to `threshold - 1` (primary suppression, applied by
    [`protect`][foundation_eval.reporting.disclosure.protect]). Because force totals are published, a
    single withheld unit could be recovered by subtraction, so the unit with the next smallest `k` is
    withheld too (secondary suppression). For a rate funnel only the events `k` are counts of
    people (person-time is not). The target and control limits are left as fitted on all units.

    Parameters
    ----------
    result : FunnelPlotResult
        From [`funnel_plot`][foundation_eval.models.funnel_plot.funnel_plot].
    threshold : int
        Smallest count that may be published.

    Returns
    -------
    tuple of (Protected, FunnelPlotResult)
        The per-unit table (`unit, n, k, percent, position`; `rate` instead of `percent` for a
        rate funnel) with withheld units' values missing, and the result with the withheld units
        left off its plot (`withheld`).

    Examples
    --------
    District D (9 of 20) is withheld; A, the unit with the next fewest people with the outcome,
    goes with it:

    >>> from foundation_eval.models.funnel_plot import funnel_plot
    >>> result = funnel_plot(["A", "B", "C", "D", "E", "F"], [12, 30, 41, 9, 60, 25],
    ...                      [60, 110, 150, 20, 190, 140])
    >>> table, shown = protect_units(result, 10)
    >>> table.display({"percent": "{:.0f}%"})
      unit    n    k percent    position
    0    A  [c]  [c]     [c]         [c]
    1    B  110   30     27%  within 95%
    2    C  150   41     27%  within 95%
    3    D  [c]  [c]     [c]         [c]
    4    E  190   60     32%  within 95%
    5    F  140   25     18%   below 95%
    >>> shown.withheld
    ('A', 'D')
    """
    u = result.units
    frame = pd.DataFrame({"unit": u.unit.astype(str), "n": u.n, "k": u.k, "rest": u.n - u.k,
                          "value": u.value, "position": u.position})
    counts = ["n", "k", "rest"] if result.kind == "proportion" else ["k"]  # person-years are not people
    first = protect(frame, counts, threshold, additive=False)
    hidden = first.suppressed[counts].any(axis=1).to_numpy()
    n_primary = int(hidden.sum())
    if n_primary == 1 and len(frame) > 1:
        cand = np.where(~hidden, frame.k.to_numpy(float), np.inf)
        if np.isfinite(cand).any():
            hidden[int(np.argmin(cand))] = True
    name = "percent" if result.kind == "proportion" else "rate"
    table = frame.drop(columns="rest").rename(columns={"value": name})
    if name == "percent":
        table["percent"] = 100 * table.percent
    supp = pd.DataFrame(False, index=table.index, columns=table.columns)
    for c in ("n", "k", name, "position"):
        supp[c] = hidden
    shown = table.copy().astype({"n": float, "k": float, name: float})
    shown.loc[hidden, ["n", "k", name]] = np.nan
    shown["position"] = shown.position.where(~hidden, None)
    prot = Protected(shown, supp, threshold, n_primary, int(hidden.sum()) - n_primary)
    return prot, result.without(list(table.unit[hidden]))


def withheld_rows(frame: pd.DataFrame, cells, threshold: int, additive: bool = True, exclude=None,
                  also=None) -> np.ndarray:
    """Rows to withhold whole: any of ``cells`` holds 1 to ``threshold - 1`` (primary suppression).

    A row is withheld when any of its ``cells`` holds a count $c$ with $0 < c < t$; zeros and
    missing values are not small. With ``additive`` (the rows add up to a published total, e.g.
    the groups of one characteristic) and exactly one row of the group withheld, the row whose
    smallest non-zero count is smallest among the rest is withheld too, so that the total minus the
    published rows cannot give the first away (secondary suppression, as in the Office for National
    Statistics' disclosure control guidance). With two or more rows withheld, the total reveals only
    their sum, and nothing more is withheld.

    Parameters
    ----------
    frame : DataFrame
        The table, one row per group.
    cells : list of str
        The count columns to test (complementary counts such as people with and without the outcome).
        Non-numeric values count as 0.
    threshold : int
        The disclosure threshold $t$: smallest count that may be published.
    additive : bool, default True
        Whether the rows (less ``exclude``) add up to a published total, so that secondary
        suppression is needed.
    exclude : array-like of bool, optional
        Rows that are not part of the additive group (the total row itself, say); they are still
        withheld when they hold a small count themselves.
    also : array-like of bool, optional
        Rows to withhold for another reason (a group too small for its statistic, say), counted as
        primary suppressions.

    Returns
    -------
    ndarray of bool
        One flag per row of ``frame``, in order: True where the row is withheld.

    Examples
    --------
    Group ``a`` has 3 people with the outcome, so it is withheld; ``c`` (smallest count 12) is
    withheld too, or the total row would give ``a`` away.

    >>> import numpy as np
    >>> import pandas as pd
    >>> f = pd.DataFrame({"group": ["a", "b", "c", "all"], "events": [3, 40, 25, 68],
    ...                   "non_events": [30, 50, 12, 92]})
    >>> total = np.array([False, False, False, True])
    >>> withheld_rows(f, ["events", "non_events"], 10, exclude=total).tolist()
    [True, False, True, False]
    >>> withheld_rows(f, ["events", "non_events"], 10, additive=False).tolist()
    [True, False, False, False]
    """
    v = frame[list(cells)].apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy(float)
    hidden = ((v > 0) & (v < threshold)).any(axis=1)
    if also is not None:
        hidden = hidden | np.asarray(also, bool)
    part = np.ones(len(frame), bool) if exclude is None else ~np.asarray(exclude, bool)
    if additive and int((hidden & part).sum()) == 1 and int(part.sum()) > 1:
        key = np.where(v > 0, v, np.inf).min(axis=1)
        cand = np.where(part & ~hidden, key, np.inf)
        if np.isfinite(cand).any():
            hidden[int(np.argmin(cand))] = True
    return hidden


def hidden_mask(counts, threshold: int) -> np.ndarray:
    """Where a sequence of exact counts holds 1 to `threshold - 1` (what primary suppression hides).

    For the complement of a share (people without the outcome, `n - k`), whose smallness withholds the
    share and its numerator as well.

    Parameters
    ----------
    counts : array-like
        Exact counts; missing values are not hidden.
    threshold : int
        The disclosure threshold $t$.

    Returns
    -------
    ndarray of bool
        True where $0 < c < t$.

    Examples
    --------
    >>> hidden_mask([0, 4, 12, None], 10).tolist()
    [False, True, False, False]
    """
    v = pd.to_numeric(pd.Series(list(counts), dtype=object), errors="coerce").to_numpy(float)
    return (v > 0) & (v < threshold)


# ------------------------------------------------------------------------------------------ chart data
@dataclass(frozen=True)
class CurveSteps:
    """A cumulative-incidence curve as it may be drawn: its steps and the counts behind them.

    Made by [`curve_steps`][foundation_eval.reporting.disclosure.curve_steps] (the gate: grouped steps
    from published counts) or [`raw_curve`][foundation_eval.reporting.disclosure.raw_curve] (every
    event time from exact counts, as an ungated chart shows it: for audits and tests). Pass it to
    [`Page.figure`][foundation_eval.reporting.publication.Page.figure] (`data=`) so that the page's
    audit sees what the chart publishes.

    Attributes
    ----------
    label : str
        The group (legend entry).
    table : DataFrame
        One row per drawn step: `time` (when the curve reaches the value), `at_risk` and `events` (as
        published: rounded for a gated curve, exact for a raw one), `estimate` (cumulative incidence,
        0-1) and its interval `low`, `high`.
    gated : bool
        Whether the steps passed the gate.
    precision : float
        How finely a reader can read a drawn value off the chart (on the 0-1 scale): the audit treats
        each step of a raw curve as known to within this.
    size : int or None
        Exact number of people in the group (not for publication: the audit links it to the same count
        in a table).
    exact : DataFrame
        The exact `at_risk` and `events` of each step (not for publication: the audit checks its
        constraints against them).

    Examples
    --------
    >>> import pandas as pd
    >>> km = pd.DataFrame({"time": [5, 9, 14], "at_risk": [60, 50, 38], "events": [8, 9, 10]})
    >>> steps = curve_steps(km, Rule(10, 5), label="Police alone")
    >>> steps.table[["time", "at_risk", "events"]].values.tolist()
    [[9.0, 60.0, 15.0], [14.0, 40.0, 10.0]]
    >>> steps.gated, steps.size
    (True, 60)
    """

    label: str
    table: pd.DataFrame
    gated: bool
    precision: float = 0.001
    size: int | None = None
    exact: pd.DataFrame | None = None

    def __repr__(self) -> str:
        return f"CurveSteps(label={self.label!r}, steps={len(self.table)}, gated={self.gated})"

    @property
    def drawn(self) -> bool:
        """Whether the curve has any step to draw."""
        return len(self.table) > 0

    def plot(self, ax=None, color=None, band: bool = True, label: str | None = None, scale: float = 100.0):
        """Draw the steps (from 0 at time 0) with their interval band, in percent.

        Parameters
        ----------
        ax : Axes, optional
            Where to draw; a new figure's axes when None.
        color : str, optional
            Line colour.
        band : bool
            Shade the 95% interval.
        label : str, optional
            Legend entry (default `label`).
        scale : float
            Multiplier of the 0-1 values (100 for percent).

        Returns
        -------
        Axes

        Examples
        --------
        >>> import pandas as pd
        >>> km = pd.DataFrame({"time": [5, 9, 14], "at_risk": [60, 50, 38], "events": [8, 9, 10]})
        >>> ax = curve_steps(km, Rule(10, 5)).plot()
        >>> [round(float(y), 1) for y in ax.lines[0].get_ydata()]
        [0.0, 25.0, 43.8]
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax)
        t = self.table
        x = np.concatenate([[0.0], t.time.to_numpy(float)])
        y = scale * np.concatenate([[0.0], t.estimate.to_numpy(float)])
        ax.step(x, y, where="post", color=color, label=self.label if label is None else label)
        if band and len(t):
            lo = scale * np.concatenate([[0.0], t.low.to_numpy(float)])
            hi = scale * np.concatenate([[0.0], t.high.to_numpy(float)])
            ax.fill_between(x, lo, hi, step="post", color=color, alpha=0.15, linewidth=0)
        return ax


def _steps_frame(time, at_risk, events, level: float) -> pd.DataFrame:
    n, d = np.asarray(at_risk, float), np.asarray(events, float)
    surv = np.cumprod(1 - d / n) if len(n) else np.array([])
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.cumsum(d / (n * (n - d))) if len(n) else np.array([])
        from scipy.stats import norm

        z = norm.ppf(0.5 + level / 2)
        log_s = np.log(surv)
        se = np.sqrt(var) / np.abs(log_s)
        s_low = np.where(surv > 0, surv ** np.exp(z * se), 0.0)
        s_high = np.where(surv > 0, surv ** np.exp(-z * se), 0.0)
    return pd.DataFrame({"time": np.asarray(time, float), "at_risk": n, "events": d, "estimate": 1 - surv,
                         "low": 1 - np.nan_to_num(s_high, nan=1.0), "high": 1 - np.nan_to_num(s_low, nan=0.0)})


def _km_input(table: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("time", "at_risk", "events") if c not in table.columns]
    if missing:
        raise ValueError(f"a curve needs the columns time, at_risk and events; missing {missing}")
    t = table[["time", "at_risk", "events"]].astype(float).sort_values("time", kind="stable")
    if (t.at_risk < 0).any() or (t.events < 0).any() or (t.events > t.at_risk).any():
        raise ValueError("a curve's events must lie between 0 and the number at risk")
    return t[t.events > 0].reset_index(drop=True)


def _pinned(rule: Rule, n: float, d: float, n_next: float) -> bool:
    """Whether a step's rounded people at risk $n$ and events $d$, beside the next step's $n'$, narrow them.

    An intruder knows $n' \\le n - d$ (people at risk only fall, by the events and the censored) and that
    each count lies in the interval its published value allows
    ([`Rule.interval`][foundation_eval.reporting.disclosure.Rule.interval]). Every value of the three
    intervals stays possible, along a whole chain of steps, exactly when
    $\\min(n_{lo} - d_{lo} - n'_{lo},\\ n_{hi} - d_{lo} - n'_{hi},\\ n_{hi} - d_{hi} - n'_{lo}) \\ge 0$ for
    each pair of steps (each end is reached with the other counts at the ends that favour it). Below
    that, steps with few censored between them pin one another's counts.
    """
    (n_lo, n_hi), (d_lo, d_hi), (m_lo, m_hi) = (rule.interval(rule.publish(x)) for x in (n, d, n_next))
    return min(n_lo - d_lo - m_lo, n_hi - d_lo - m_hi, n_hi - d_hi - m_lo) < 0


def curve_steps(table: pd.DataFrame, rule: Rule, level: float = 0.95, label: str = "") -> CurveSteps:
    """The steps of a cumulative-incidence curve that may be drawn (the chart gate).

    Consecutive event times are merged, from the start, into grouped steps until each holds at least
    `threshold` events $d_j$; a step is drawn only where the people at risk at its start $n_j$ are at
    least `threshold` and at least `threshold` of them are left without the event ($n_j - d_j \\ge t$);
    the curve stops at the first step that fails, and a last group with fewer than `threshold` events is
    not drawn. Each drawn step is placed at its last event time. The drawn value is recomputed from the
    published (rounded) grouped counts $\\tilde d_j, \\tilde n_j$:
    $\\hat F(t_j) = 1 - \\prod_{i \\le j} (1 - \\tilde d_i / \\tilde n_i)$ (a life-table estimate over the
    grouped steps), with a Greenwood log(-log) interval from the same counts (Kalbfleisch and Prentice,
    2002, *The Statistical Analysis of Failure Time Data*, section 1.4). So every drawn value is a
    function of published counts of at least `threshold`, and no single event or small group of people
    shows as a step.

    Parameters
    ----------
    table : DataFrame
        A Kaplan-Meier table with `time`, `at_risk` (just before the time) and `events` (e.g.
        `kaplan_meier(...).table()`); censor-only rows (no events) are allowed.
    rule : Rule
        The disclosure rule (threshold and base).
    level : float
        Confidence level of the band.
    label : str
        The group's name.

    Returns
    -------
    CurveSteps
        The drawable steps (possibly none).

    Raises
    ------
    ValueError
        When a column is missing or events exceed the number at risk.

    Examples
    --------
    Nineteen people engaging one at a time draw no step (each would show one person); sixty people
    draw steps of at least ten events:

    >>> import pandas as pd
    >>> few = pd.DataFrame({"time": range(1, 7), "at_risk": range(19, 13, -1), "events": [1] * 6})
    >>> curve_steps(few, Rule(10, 5)).drawn
    False
    >>> many = pd.DataFrame({"time": [3, 8, 15, 40], "at_risk": [60, 52, 41, 30], "events": [6, 7, 4, 11]})
    >>> steps = curve_steps(many, Rule(10, 5))
    >>> steps.table.round(3).values.tolist()
    [[8.0, 60.0, 15.0, 0.25, 0.159, 0.38], [40.0, 40.0, 15.0, 0.531, 0.407, 0.666]]
    """
    t = int(rule.threshold)
    ev = _km_input(table)
    exact = []
    start_n, d = None, 0.0
    for r in ev.itertuples(index=False):
        if start_n is None:
            start_n = r.at_risk
        d += r.events
        if d < t:
            continue
        if start_n < t or start_n - d < t:
            break
        pn, pd_ = rule.publish(start_n), rule.publish(d)
        if pn is None or pd_ is None or pn - pd_ <= 0:
            break
        if exact and _pinned(rule, exact[-1][1], exact[-1][2], start_n):
            # the rounded steps would leave too little room for the people censored between them: the
            # intruder's chain n' <= n - d would push each count to the end of its interval
            prev_t, prev_n, prev_d = exact[-1]
            merged = prev_d + d
            if prev_n - merged < t or rule.publish(prev_n) - rule.publish(merged) <= 0:
                break
            exact[-1] = (r.time, prev_n, merged)
        else:
            exact.append((r.time, start_n, d))
        start_n, d = None, 0.0
    rows = [(time_, rule.publish(n_), rule.publish(d_)) for time_, n_, d_ in exact]
    time, n, k = (list(x) for x in zip(*rows, strict=True)) if rows else ([], [], [])
    steps = _steps_frame(time, n, k, level)
    ex = pd.DataFrame(exact, columns=["time", "at_risk", "events"])
    size = int(table.at_risk.max()) if len(table) else 0
    return CurveSteps(label, steps, True, 0.0, size, ex)


def raw_curve(table: pd.DataFrame, level: float = 0.95, label: str = "", precision: float = 0.001) -> CurveSteps:
    """Every step of a Kaplan-Meier cumulative-incidence curve, from exact counts (no gate).

    This is what a chart drawn straight from a Kaplan-Meier table shows: a step at every event time,
    however few people are at risk. It is not for publication; it describes such a chart to the audit
    ([`audit`][foundation_eval.reporting.audit.audit]), which reads each step as known to within
    `precision`.

    Parameters
    ----------
    table : DataFrame
        A Kaplan-Meier table (`time`, `at_risk`, `events`).
    level : float
        Confidence level of the band.
    label : str
        The group's name.
    precision : float
        How finely a reader can read a value off the chart, on the 0-1 scale (0.001: a tenth of a
        percentage point).

    Returns
    -------
    CurveSteps
        Ungated steps (`gated` False).

    Examples
    --------
    >>> import pandas as pd
    >>> few = pd.DataFrame({"time": [22.0], "at_risk": [10], "events": [1]})
    >>> raw_curve(few).table.estimate.round(3).tolist()
    [0.1]
    """
    ev = _km_input(table)
    steps = _steps_frame(ev.time, ev.at_risk, ev.events, level)
    size = int(table.at_risk.max()) if len(table) else 0
    return CurveSteps(label, steps, False, float(precision), size, ev[["time", "at_risk", "events"]].copy())


@dataclass(frozen=True)
class ChartCounts:
    """Counts a chart draws as bars or points, published like table cells.

    Made by [`chart_counts`][foundation_eval.reporting.disclosure.chart_counts]; draw `published`
    (withheld counts are missing) and pass the object to
    [`Page.figure`][foundation_eval.reporting.publication.Page.figure] (`data=`).

    Attributes
    ----------
    label : str
        What is counted.
    labels : tuple
        One label per count (the bars).
    published : ndarray of float
        Rounded counts; NaN where withheld.
    withheld : ndarray of bool
        Where a count was withheld.
    exact : ndarray of float
        Exact counts (not for publication: the audit's check).

    Examples
    --------
    >>> c = chart_counts([76, 4, 0], Rule(10, 5), labels=["A", "B", "C"])
    >>> c.published.tolist(), c.withheld.tolist()
    ([75.0, nan, 0.0], [False, True, False])
    """

    label: str
    labels: tuple
    published: np.ndarray
    withheld: np.ndarray
    exact: np.ndarray

    def __repr__(self) -> str:
        return f"ChartCounts(label={self.label!r}, counts={len(self.published)})"


def chart_counts(counts, rule: Rule, labels=None, label: str = "") -> ChartCounts:
    """Counts for a bar or line chart, rounded and withheld as table cells are (no secondary suppression:
    bars that add up to a published total belong in a table first, and are drawn from its values).

    Parameters
    ----------
    counts : array-like
        Exact counts.
    rule : Rule
        The disclosure rule.
    labels : sequence, optional
        One label per count (default 0, 1, ...).
    label : str
        What is counted.

    Returns
    -------
    ChartCounts
        What may be drawn.

    Examples
    --------
    >>> chart_counts([12, 3], Rule(10, 5)).published.tolist()
    [10.0, nan]
    """
    exact = pd.to_numeric(pd.Series(list(counts), dtype=object), errors="coerce").to_numpy(float)
    pub = np.array([np.nan if rule.publish(v) is None else float(rule.publish(v)) for v in exact])
    withheld = np.array([rule.hidden(v) for v in exact], dtype=bool)
    labels = tuple(range(len(exact))) if labels is None else tuple(labels)
    if len(labels) != len(exact):
        raise ValueError(f"chart_counts: {len(labels)} labels for {len(exact)} counts")
    return ChartCounts(label, labels, pub, withheld, exact)
