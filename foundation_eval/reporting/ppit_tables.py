"""Score bands of the PPIT validity report that are safe to publish.

The report publishes counts through [`Page`][foundation_eval.reporting.publication.Page], which rounds
every count and withholds counts from 1 to threshold - 1. Two things are specific to a risk tool:

* cumulative counts at cut-offs of a score (a threshold table, a ROC curve) could reveal a small
  number of people at one score value by differencing two cut-offs, so cut-offs are the edges of
  bands of adjacent score values that each hold 0 or at least ``threshold`` people with and without
  the outcome ([`safe_bands`][foundation_eval.reporting.ppit_tables.safe_bands]);
* a row whose counts are complementary (people with and without the outcome, flagged and not
  flagged) is withheld whole when one of them is small, and, where the rows add up to a published
  total, the next smallest row too (secondary suppression;
  [`withheld_rows`][foundation_eval.reporting.disclosure.withheld_rows], in the disclosure module with
  every other disclosure operation, and importable from here as before), and more rows while the
  withheld rows together hold a small count
  ([`withheld_groups`][foundation_eval.reporting.ppit_tables.withheld_groups]).
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from foundation_eval.reporting.disclosure import withheld_rows  # noqa: E402,F401 - importable from here as before

__all__ = ["safe_bands", "band_labels", "withheld_groups"]


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


def _banded(vals, edges, ev, ne, t):
    """Safe bands within each run of values between the given edges, each run opening at its edge (None: a run
    cannot be made safe)."""
    edges = sorted(edges)
    starts = [None, *edges]
    cuts = np.searchsorted(vals, np.asarray(edges, dtype=float), side="left")
    out = []
    for start, run in zip(starts, np.split(vals, cuts), strict=True):
        if not run.size:
            continue
        bands = _greedy(run, ev, ne, t)
        if bands is None:
            return None
        out += [float(start) if (start is not None and i == 0) else float(v) for i, v in enumerate(bands)]
    return out


def safe_bands(scores, outcomes, threshold: int, force_edge=None) -> list[float]:
    r"""Lower edges of bands of adjacent score values that are safe to publish.

    Every band, $e_i \le \text{score} < e_{i+1}$, holds 0 or at least $t$ (``threshold``) people
    with the outcome and 0 or at least $t$ without it, and at least one person. Cumulative counts at
    the edges (a threshold table, a ROC curve) and the differences between any two of them are then
    sums of whole bands, so they never reveal a number from 1 to $t - 1$. The distinct score values
    are merged greedily from the top of the scale: a band closes as soon as it is safe, and a
    leftover unsafe run at the bottom is merged into the band above it. With ``force_edge`` (the
    priority threshold, say, or the edges of the tool's own risk bands) the bands are built separately
    between the forced edges, so that the edges survive, when every run between them can be made safe;
    otherwise the fewest edges are given up, the last named first. A table of the tool's own bands then
    holds sums of whole pooled bands, and nothing is learnt by setting it beside the pooled table.

    Parameters
    ----------
    scores : array-like of float
        One score per person (the PPIT total, say).
    outcomes : array-like of int
        One 0/1 outcome per person, in the same order as ``scores`` and of the same length.
    threshold : int
        The disclosure threshold $t$: smallest count that may be published (values below 1 act as 1).
    force_edge : float or sequence of float, optional
        Scores that must be band edges if a safe banding with them exists, the most important first.
        An edge not above the lowest score or above the highest cuts nothing and is always kept.

    Returns
    -------
    list of float
        Lower edges of the bands in increasing order, the first being the lowest score. Empty when
        ``scores`` is empty or no safe banding exists (too few people with, or without, the outcome
        overall).

    Examples
    --------
    Scores 0 to 4 with (with outcome, without) counts 0: (0, 30), 1: (5, 20), 2: (5, 5),
    3: (20, 10), 4: (3, 0); the example of the package's tests. Score 4 holds 3 people with the
    outcome, so it joins 3, giving (23, 10); score 2 joins 1, giving (10, 25); score 0 is safe alone.

    >>> import numpy as np
    >>> counts = {0: (0, 30), 1: (5, 20), 2: (5, 5), 3: (20, 10), 4: (3, 0)}
    >>> scores = np.repeat(list(counts), [e + n for e, n in counts.values()])
    >>> outcomes = np.concatenate([[1] * e + [0] * n for e, n in counts.values()])
    >>> safe_bands(scores, outcomes, threshold=10)
    [0.0, 1.0, 3.0]

    An edge at 2 would leave scores 0 and 1 with only 5 people with the outcome, so it is ignored; an
    edge at 3 can be kept beside it; with too few people overall there is no safe banding at all:

    >>> safe_bands(scores, outcomes, threshold=10, force_edge=2)
    [0.0, 1.0, 3.0]
    >>> safe_bands(scores, outcomes, threshold=10, force_edge=[2, 3])
    [0.0, 1.0, 3.0]
    >>> safe_bands([1, 2, 3], [0, 1, 0], threshold=10)
    []
    """
    x = np.asarray(scores, dtype=float)
    y = np.asarray(outcomes, dtype=int)
    if x.size == 0:
        return []
    vals = np.unique(x)
    ev = {v: int(y[x == v].sum()) for v in vals}
    ne = {v: int((x == v).sum()) - ev[v] for v in vals}
    t = max(int(threshold), 1)
    wanted = [] if force_edge is None else [force_edge] if np.ndim(force_edge) == 0 else list(force_edge)
    wanted = [float(e) for e in dict.fromkeys(wanted) if vals.min() < float(e) <= vals.max()]
    # every subset of the forced edges, the largest first, and among those of one size the ones that keep
    # the edges named first
    for size in range(len(wanted), -1, -1):
        for keep in combinations(wanted, size):
            edges = _banded(vals, keep, ev, ne, t)
            if edges is not None:
                return edges
    return []


def band_labels(edges: list[float], top: float) -> list[str]:
    """Labels of score bands: ``"0 to 4"``, ``"5 to 9"``, ``"12"``...

    Band $i$ runs from ``edges[i]`` to ``edges[i + 1] - 1`` (the last band to ``top``), which
    assumes whole-number scores such as the PPIT total; a band of one value is labelled with that
    value alone.

    Parameters
    ----------
    edges : list of float
        Lower edges of the bands in increasing order, as returned by
        [`safe_bands`][foundation_eval.reporting.ppit_tables.safe_bands].
    top : float
        The highest score of the last band (the highest score observed, or the scale's maximum).

    Returns
    -------
    list of str
        One label per band, in the order of ``edges``.

    Examples
    --------
    >>> band_labels([0.0, 1.0, 3.0], top=4)
    ['0', '1 to 2', '3 to 4']
    >>> band_labels([0, 5, 10, 12], top=12)
    ['0 to 4', '5 to 9', '10 to 11', '12']
    """
    out = []
    for i, lo in enumerate(edges):
        hi = (edges[i + 1] - 1) if i + 1 < len(edges) else top
        out.append(f"{lo:g}" if hi <= lo else f"{lo:g} to {hi:g}")
    return out


def withheld_groups(frame, cells, threshold: int, exclude=None, also=None) -> np.ndarray:
    """Rows of a table of groups to withhold whole, so that the published total cannot narrow a withheld count.

    First [`withheld_rows`][foundation_eval.reporting.disclosure.withheld_rows] (rows holding a count from
    1 to `threshold - 1` in any of `cells`, or flagged in `also`, and the next smallest row when one
    alone is withheld); then, smallest first, further rows while the withheld rows together hold from 1
    to `threshold - 1` in any of `cells`. Their sum is the published total less the published rows, known
    to within the rounding, so a small sum would tie each withheld count to a few values; a sum of 0 or
    of at least the threshold does not.

    Parameters
    ----------
    frame : DataFrame
        One row per group, and the total row(s) marked in `exclude`.
    cells : list of str
        Count columns (people with and without the outcome, say).
    threshold : int
        The disclosure threshold $t$.
    exclude : array-like of bool, optional
        The total row(s): not part of the groups, withheld only when they hold a small count.
    also : array-like of bool, optional
        Rows to withhold for another reason (a statistic that could not be estimated).

    Returns
    -------
    ndarray of bool
        One flag per row: True where the row is withheld.

    Examples
    --------
    One woman with the outcome: withholding women and the unknown group leaves one person between them,
    so the men go too (and the table shows only everyone):

    >>> import pandas as pd
    >>> f = pd.DataFrame({"group": ["Female", "Male", "Unknown", "Everyone"], "events": [1, 40, 0, 41],
    ...                   "non_events": [8, 37, 3, 48]})
    >>> everyone = f.group == "Everyone"
    >>> withheld_groups(f, ["events", "non_events"], 10, exclude=everyone).tolist()
    [True, True, True, False]

    Two small groups that together hold at least ten on each side are enough:

    >>> f.loc[[0, 2], ["events", "non_events"]] = [[6, 20], [5, 12]]
    >>> withheld_groups(f, ["events", "non_events"], 10, exclude=everyone).tolist()
    [True, False, True, False]
    """
    part = np.ones(len(frame), bool) if exclude is None else ~np.asarray(exclude, bool)
    hidden = withheld_rows(frame, cells, threshold, additive=True, exclude=~part, also=also)
    v = frame[list(cells)].apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy(float)
    while True:
        sums = v[hidden & part].sum(axis=0)
        if not ((sums > 0) & (sums < threshold)).any():
            return hidden
        rest = np.flatnonzero(part & ~hidden)
        if not rest.size:
            return hidden
        key = np.where(v[rest] > 0, v[rest], np.inf).min(axis=1)
        hidden[rest[int(np.argmin(key))]] = True
