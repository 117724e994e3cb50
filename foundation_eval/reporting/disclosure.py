"""Small-number disclosure control: the one gate every published table passes through.

Primary suppression hides every count from 1 to `threshold - 1` (1 to 9 with the default threshold
of 10). Secondary (complementary) suppression then hides the next smallest count wherever a row or
group of additive counts would otherwise have exactly one hidden cell, because a published total
would give it away by subtraction. Any value built on a hidden count (a percentage, a rate, an
interval) is withheld too. Zeros are published. The functions here do not round: reports round every
published count to base 5 on top of this (see
[`Rule`][foundation_eval.reporting.publication.Rule] and
[`Page.table`][foundation_eval.reporting.publication.Page.table]), so that a hidden count cannot be
recovered across tables either.

The rule follows the Government Statistical Service guidance on statistical disclosure control for
tables (GSS/GSR, *Disclosure control guidance for tables produced from administrative sources*,
2014; Office for National Statistics, *Statistical disclosure control policy*): primary suppression of
small cells, secondary suppression so that margins cannot reveal them, or rounding. The cell
suppression methods are those of Hundepool et al. (2012, *Statistical Disclosure Control*, Wiley).
Hidden cells are shown as `[c]`, the Government Statistical Service symbol for confidential
information (GSS, *Symbols in tables, definitions and help*).

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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Protected", "protect", "protect_units", "protect_crosstab", "rule_text", "SUPPRESSED", "unsafe_cells"]

SUPPRESSED = "[c]"


def rule_text(threshold: int) -> str:
    """Plain-English statement of the suppression rule (without rounding).

    Reports print [`Rule.text`][foundation_eval.reporting.publication.Rule.text] instead, which also
    states the rounding to base 5; this text describes tables protected by this module alone.

    Parameters
    ----------
    threshold : int
        Smallest count that may be published.

    Returns
    -------
    str
        One paragraph.

    Examples
    --------
    >>> rule_text(10)[:58]
    'Counts from 1 to 9 are suppressed and shown as [c]; where '
    """
    return (
        f"Counts from 1 to {threshold - 1} are suppressed and shown as {SUPPRESSED}; where a total could reveal a "
        f"suppressed count, the next smallest count is suppressed too; percentages, rates and intervals built on a "
        f"suppressed count are withheld. No identifier, date of birth or free text is published."
    )


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
