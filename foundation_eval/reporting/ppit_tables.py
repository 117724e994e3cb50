"""Disclosure helpers of the PPIT validity report: safe score bands and withheld rows.

The report publishes counts through :class:`foundation_eval.reporting.publication.Page`, which rounds
every count and withholds counts from 1 to threshold - 1. Two things are specific to a risk tool:

* cumulative counts at cut-offs of a score (a threshold table, a ROC curve) could reveal a small
  number of people at one score value by differencing two cut-offs, so cut-offs are the edges of
  bands of adjacent score values that each hold 0 or at least ``threshold`` people with and without
  the outcome (:func:`safe_bands`);
* a row whose counts are complementary (people with and without the outcome, flagged and not
  flagged) is withheld whole when one of them is small, and, where the rows add up to a published
  total, the next smallest row too (secondary suppression; :func:`withheld_rows`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["safe_bands", "band_labels", "withheld_rows"]


def _safe(e: float, ne: float, t: int) -> bool:
    return (e == 0 or e >= t) and (ne == 0 or ne >= t) and (e + ne) > 0


def _greedy(values, ev, ne, t):
    """Bands of consecutive values (from the top) with events and non-events 0 or >= t; None if impossible."""
    bands: list[list] = []
    cur: list = []
    ce = cn = 0
    for v in values[::-1]:
        cur.append(v)
        ce += ev[v]
        cn += ne[v]
        if _safe(ce, cn, t):
            bands.append(cur)
            cur, ce, cn = [], 0, 0
    while cur:
        if not bands:
            return None
        last = bands.pop()
        cur = last + cur
        ce, cn = sum(ev[v] for v in cur), sum(ne[v] for v in cur)
        if _safe(ce, cn, t):
            bands.append(cur)
            cur = []
    return [min(b) for b in bands][::-1]


def safe_bands(scores, outcomes, threshold: int, force_edge: float | None = None) -> list[float]:
    """Lower edges of bands of adjacent score values that are safe to publish.

    Every band (``edge_i <= score < edge_{i+1}``) holds 0 or at least ``threshold`` people with
    the outcome and 0 or at least ``threshold`` without it, so cumulative counts at the edges (a
    threshold table, a ROC curve) and their differences never reveal a small number. Adjacent
    values are merged greedily from the top of the scale. With ``force_edge`` (e.g. the priority
    threshold) the bands are built separately on each side of it when both sides can be made safe.
    Returns an empty list when no safe banding exists (too few events or non-events overall).
    """
    x = np.asarray(scores, dtype=float)
    y = np.asarray(outcomes, dtype=int)
    if x.size == 0:
        return []
    vals = np.unique(x)
    ev = {v: int(y[x == v].sum()) for v in vals}
    ne = {v: int((x == v).sum()) - ev[v] for v in vals}
    t = max(int(threshold), 1)
    if force_edge is not None and vals.min() < force_edge <= vals.max():
        lo = _greedy(vals[vals < force_edge], ev, ne, t)
        hi = _greedy(vals[vals >= force_edge], ev, ne, t)
        if lo is not None and hi is not None:
            return [float(v) for v in lo] + [float(force_edge)] + [float(v) for v in hi[1:]]
    out = _greedy(vals, ev, ne, t)
    return [] if out is None else [float(v) for v in out]


def band_labels(edges: list[float], top: float) -> list[str]:
    """``0-4``, ``5-9``, ``12``... for bands with lower edges ``edges`` and highest value ``top``."""
    out = []
    for i, lo in enumerate(edges):
        hi = (edges[i + 1] - 1) if i + 1 < len(edges) else top
        out.append(f"{lo:g}" if hi <= lo else f"{lo:g} to {hi:g}")
    return out


def withheld_rows(frame: pd.DataFrame, cells, threshold: int, additive: bool = True, exclude=None,
                  also=None) -> np.ndarray:
    """Rows to withhold whole: any of ``cells`` holds 1 to ``threshold - 1`` (primary suppression).

    With ``additive`` (the rows add up to a published total, e.g. the groups of one characteristic)
    and exactly one row withheld, the row with the next smallest count is withheld too, so that the
    total cannot give the first away (secondary suppression, ONS guidance). ``exclude`` marks rows
    that are not part of the additive group (e.g. the total row itself); ``also`` marks rows to withhold
    for another reason (e.g. a group too small for its statistic), counted as primary suppressions.
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
