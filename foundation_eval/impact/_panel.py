"""Turn a long unit x period frame into the arrays the panel estimators work on.

Supported input: a *balanced* panel in long format (one row per unit and period, every unit seen in
every period, no missing outcome), with a time column that is numeric, datetime-like or a pandas
Period, and a ``first_treated`` column giving the first period of treatment (0, missing or NaT for
never-treated units). Periods are treated as equally spaced steps of the sorted distinct time values,
so event time and ``anticipation`` are counted in periods (months for a district x month panel).
Unbalanced panels raise `ValueError` naming the units with gaps: drop or impute them first.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from foundation_eval.checks import require_columns

NEVER = np.iinfo(np.int64).max // 4  # period index code for never-treated units


@dataclass(frozen=True)
class Panel:
    """Balanced panel as arrays: ``Y`` is units x periods; ``g`` the first-treated period index."""

    Y: np.ndarray = field(repr=False)
    g: np.ndarray = field(repr=False)
    w: np.ndarray = field(repr=False)
    units: np.ndarray = field(repr=False)
    times: pd.Index = field(repr=False)
    cluster: np.ndarray | None = field(repr=False)
    dropped_always_treated: tuple = ()
    late_as_never: tuple = ()

    @property
    def n(self) -> int:
        return self.Y.shape[0]

    @property
    def T(self) -> int:
        return self.Y.shape[1]

    @property
    def cohorts(self) -> np.ndarray:
        return np.unique(self.g[self.g != NEVER])


def group_sum(codes: np.ndarray, x: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum the rows of `x` within groups (sparse indicator product, fast for wide `x`)."""
    from scipy import sparse

    ind = sparse.csr_matrix((np.ones(codes.size), (codes, np.arange(codes.size))), shape=(n_groups, codes.size))
    return np.asarray(ind @ x)


def _is_never(v) -> bool:
    if v is None or pd.isna(v):
        return True
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        return v == 0
    return False


def unit_constant(df: pd.DataFrame, unit: str, col: str, what: str) -> pd.Series:
    """Per-unit value of ``col``; raise if it varies within a unit."""
    nun = df.groupby(unit, sort=True)[col].nunique(dropna=False)
    bad = nun[nun > 1]
    if len(bad):
        raise ValueError(
            f"{what} column {col!r} must be constant within each unit; it varies for "
            f"{len(bad)} unit(s), e.g. {list(bad.index[:5])}"
        )
    return df.groupby(unit, sort=True)[col].first()


def prepare_panel(
    panel: pd.DataFrame,
    unit: str,
    time: str,
    first_treated: str,
    outcome: str,
    weights: str | None = None,
    cluster: str | None = None,
    anticipation: int = 0,
    drop_always_treated: bool = True,
) -> Panel:
    """Validate a balanced long panel and return `Panel` arrays.

    Units first treated in or before the first period (+ ``anticipation``) have no untreated
    pre-period and are dropped with a warning (as R ``did`` does) unless ``drop_always_treated`` is
    False, in which case they keep period index ``<= anticipation``. Units whose ``first_treated`` is
    after the last period are never treated within the window and are recoded as never-treated (with a
    warning).
    """
    require_columns(panel, [unit, time, first_treated, outcome, weights, cluster], "panel")
    cols = list(dict.fromkeys(c for c in [unit, time, first_treated, outcome, weights, cluster] if c))
    df = panel[cols]
    dup = df.duplicated([unit, time])
    if dup.any():
        ex = df.loc[dup, [unit, time]].head(5).to_dict("records")
        raise ValueError(f"panel has {int(dup.sum())} duplicated ({unit}, {time}) rows, e.g. {ex}")
    if df[time].isna().any():
        raise ValueError(f"time column {time!r} has missing values")
    times = pd.Index(pd.unique(df[time])).sort_values()
    wide = df.pivot(index=unit, columns=time, values=outcome).reindex(columns=times).sort_index()
    if not np.issubdtype(wide.values.dtype, np.number):
        try:
            wide = wide.astype(float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"outcome column {outcome!r} must be numeric") from exc
    gaps = wide.isna().sum(axis=1)
    if gaps.any():
        bad = gaps[gaps > 0]
        raise ValueError(
            "only balanced panels are supported (every unit observed, with a non-missing "
            f"{outcome!r}, in every one of the {len(times)} periods); {len(bad)} unit(s) have gaps, "
            f"e.g. {dict(bad.head(5))} missing periods. Drop or impute them before estimating."
        )
    units = wide.index.to_numpy()
    graw = unit_constant(df, unit, first_treated, "first_treated").reindex(wide.index)
    g = np.full(len(units), NEVER, dtype=np.int64)
    late, early = [], []
    gvals = graw.to_numpy()
    treated = np.flatnonzero([not _is_never(v) for v in gvals])
    # one lookup for every unit: a leave-one-out loop prepares hundreds of panels
    found = times.get_indexer(pd.Index(gvals[treated])) if treated.size else treated
    g[treated[found >= 0]] = found[found >= 0]
    for i in treated[found < 0]:
        v = gvals[i]
        if v > times.max():
            late.append(units[i])
        elif v < times.min():
            g[i] = -1
        else:
            raise ValueError(
                f"first_treated value {v!r} of unit {units[i]!r} is not one of the time values in {time!r}"
            )
    if late:
        warnings.warn(
            f"{len(late)} unit(s) first treated after the last period are treated as never-treated "
            f"within the window, e.g. {late[:5]}",
            stacklevel=3,
        )
    keep = np.ones(len(units), dtype=bool)
    if drop_always_treated:
        always = (g != NEVER) & (g - anticipation < 1)
        if always.any():
            early = units[always].tolist()
            warnings.warn(
                f"dropped {len(early)} unit(s) already treated in the first period(s) (no untreated "
                f"pre-period), e.g. {early[:5]}",
                stacklevel=3,
            )
            keep = ~always
    if weights is not None:
        wser = unit_constant(df, unit, weights, "weights").reindex(wide.index).astype(float)
        w = wser.to_numpy()
        if np.any(~np.isfinite(w)) or np.any(w <= 0):
            raise ValueError(f"weights column {weights!r} must be positive and finite")
    else:
        w = np.ones(len(units))
    cl = None
    if cluster is not None:
        cl = unit_constant(df, unit, cluster, "cluster").reindex(wide.index).to_numpy()
    Y = wide.to_numpy(dtype=float)
    return Panel(
        Y=Y[keep],
        g=np.where(g[keep] < 0, 0, g[keep]) if not drop_always_treated else g[keep],
        w=w[keep],
        units=units[keep],
        times=times,
        cluster=None if cl is None else cl[keep],
        dropped_always_treated=tuple(early),
        late_as_never=tuple(late),
    )
