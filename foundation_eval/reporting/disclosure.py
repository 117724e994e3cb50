"""Small-number disclosure control: the one gate every published table passes through.

Primary suppression hides every count from 1 to ``threshold - 1``. Secondary (complementary)
suppression then hides the next smallest count wherever a row or group of additive counts would
otherwise have exactly one hidden cell, because a published total would give it away. Any value
built on a hidden count (a percentage, a rate, an interval) is withheld too.

The rule follows the Office for National Statistics guidance on disclosure control for tables
(primary suppression of small cells, secondary suppression so that margins cannot reveal them);
hidden cells are shown as ``[c]``, the Government Statistical Service symbol for confidential.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Protected", "protect", "protect_units", "protect_crosstab", "rule_text", "SUPPRESSED", "unsafe_cells"]

SUPPRESSED = "[c]"


def rule_text(threshold: int) -> str:
    """Plain-English statement of the rule, printed in every report."""
    return (
        f"Counts from 1 to {threshold - 1} are suppressed and shown as {SUPPRESSED}; where a total could reveal a "
        f"suppressed count, the next smallest count is suppressed too; percentages, rates and intervals built on a "
        f"suppressed count are withheld. No identifier, date of birth or free text is published."
    )


@dataclass(frozen=True)
class Protected:
    """A table after disclosure control.

    Attributes
    ----------
    table : DataFrame
        Values with suppressed cells set to missing.
    suppressed : DataFrame of bool
        True where a cell was withheld (same shape as ``table``).
    threshold : int
    n_primary, n_secondary : int
        Count cells hidden because they were small, and to protect them.
    """

    table: pd.DataFrame
    suppressed: pd.DataFrame
    threshold: int
    n_primary: int
    n_secondary: int

    @property
    def rule(self) -> str:
        return rule_text(self.threshold)

    def display(self, formats: Mapping[str, str] | None = None, default: str = "{:,.0f}") -> pd.DataFrame:
        """Strings for publication: numbers formatted, withheld cells as ``[c]``."""
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

    Parameters
    ----------
    frame : DataFrame
        One row per category (e.g. a Table 1, a funnel, a monthly series).
    counts : list or dict
        Count columns, or a mapping from each count column to the columns derived from it
        (percentages, rates, interval bounds) that are withheld with it.
    threshold : int
        Smallest count that may be published (default 10).
    additive_within : column name(s), optional
        Rows sharing these values add up to a published or derivable total (e.g. the categories of
        one characteristic): secondary suppression is applied within each such group.
    additive : bool
        When ``additive_within`` is None, whether all rows of a count column add up to a total
        (True for a breakdown of one population, False for nested stages such as a funnel).
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
    column has exactly one hidden cell. With ``margins`` the row and column totals are appended
    (themselves subject to primary suppression).
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
    """Cells of a published table holding a count from 1 to ``threshold - 1`` (for checks and tests)."""
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

    A unit is withheld when its volume is below ``threshold`` or when the people with (``k``) or
    without (``n - k``) the outcome number 1 to ``threshold - 1`` (primary suppression, applied by
    :func:`foundation_eval.reporting.disclosure.protect`). Because force totals are published, a single withheld
    unit could be recovered by subtraction, so the unit with the next smallest count is withheld too
    (secondary suppression). Returns ``(protected_table, plot_result)``: a
    :class:`~foundation_eval.reporting.disclosure.Protected` per-unit table (``unit, n, k, percent, position``)
    and the result with the withheld units left off its plot.
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
