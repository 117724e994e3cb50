"""The intruder audit: what everything a page publishes, taken together, gives away.

An intruder holds every table, sentence, chart and workbook of a page at once. Each published number
is a linear constraint on the true counts behind it, and the audit computes, by linear programming, the
*feasibility interval* of every withheld count and every rounded count: the smallest and largest true
value consistent with everything published (Hundepool et al., 2012, *Statistical Disclosure Control*,
Wiley, section 4.2.3; the linear programme is that of Fischetti and Salazar, 2000, *Journal of the
American Statistical Association* 95: 916-928, and of the `attack()` function of the R package
sdcTable and the audit of tau-Argus).

**Unknowns.** The true value of every count the page publishes or withholds, a non-negative integer;
the total of every additive group (published or not); the person-time behind a published rate
(continuous); the people at risk and events of each drawn step of a chart.

**Constraints** ([`Facts`][foundation_eval.reporting.audit.Facts] records them as the page publishes):

* a count published as $v$ under rounding to base $b$ (halves up) lies in
  $[v - \\lfloor b/2 \\rfloor, v + \\lceil b/2 \\rceil - 1]$, and, being published, is 0 or at least
  the threshold $t$ ([`Rule.interval`][foundation_eval.reporting.disclosure.Rule.interval]);
* a withheld count that was small (primary suppression) lies in $[1, t - 1]$; a withheld count that
  was hidden to protect another (secondary suppression) is only non-negative. The intruder is told
  which is which: a stronger intruder than a real one, who sees only `[c]`, so a pattern the audit
  passes is safe against the real one;
* the cells of an additive group sum to the group's total; nested stages (a funnel) do not increase;
  the same quantity published in two places (a sentence and a table cell, a group's total and a
  published count) is one unknown;
* a percentage $p$ printed to $k$ decimals of $a/b$ gives $|100 a - p b| \\le \\tfrac12 10^{-k} b$;
  a rate $r$ per person-time printed to $k$ decimals over person-time $E$ gives the same with $E$;
* a chart step read to within $\\varepsilon$ gives the ratio of its events to the people at risk to
  within the interval arithmetic of $\\varepsilon$, and the people at risk do not increase from step to
  step.

**Verdicts.** For each audited count the minimum and maximum are computed per connected component of
the constraint graph, by `scipy.optimize.linprog` (HiGHS), refined by `scipy.optimize.milp` with
integer counts wherever the relaxation could hide a narrower integer interval. The *candidates* of a
count are the integers in its interval. With rounding base $b$ and threshold $t$:

* a **withheld small count** (primary suppression) must keep at least as many candidates as a
  published count has, the $b$ values that round to it (at least 2; all $t - 1$ values of $[1, t - 1]$
  when that is fewer): a withheld count may be no better known than if it had been published rounded.
  This is its *protection level* in the sense of Hundepool et al. (2012, section 4.2.3: the feasibility
  interval of a sensitive cell must reach its protection levels; for a minimum-frequency rule they
  recommend at least that exact disclosure be prevented, which `protection=2` asks and $b$ candidates
  exceed). Fewer: verdict `narrow`; one: `exact`;
* a **rounded** count, and a count withheld only to protect another (secondary suppression), must not
  be pinned down: one candidate is `exact`, a failure, since its exact value undoes the rounding that
  protects every hidden count near it; fewer than $b$ candidates is `narrowed`, reported but not a
  failure. A sentence or a second table may publish a secondary cell rounded: what matters is that the
  small counts it protects keep their protection level. A secondary cell that can be worked out to be
  zero (verdict `zero`) is not a failure: it holds no one, and the small counts beside it are audited
  on their own.

Examples
--------
The two-way table of Geurts (1992, Table 10), Hundepool et al. (2012, section 4.2.3, example 3): four
inner cells suppressed, the margins and the third row published. The feasibility interval of the
cell (1,1) is [3, 6]:

>>> facts = Facts("Geurts (1992) table 10", threshold=1, base=1)
>>> for cell in ("x11", "x12", "x21", "x22"):
...     facts.count(cell, audit="withheld", table="table 10", cell=cell)
>>> facts.relate({"x11": 1, "x12": 1}, 7, 7)
>>> facts.relate({"x21": 1, "x22": 1}, 3, 3)
>>> facts.relate({"x11": 1, "x21": 1}, 6, 6)
>>> facts.relate({"x12": 1, "x22": 1}, 4, 4)
>>> result = audit(facts)
>>> result.table()[["cell", "low", "high", "candidates"]].head(1).values.tolist()
[['x11', 3.0, 6.0, 4]]
>>> result.passed
True
"""
from __future__ import annotations

import hashlib
import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from foundation_eval.reporting.disclosure import SUPPRESSED, _isnan
from foundation_eval.reporting.workbook import DECIMALS as DECIMALS_OF

__all__ = ["Facts", "AuditResult", "audit", "read_facts", "Ledger"]

_EPS = 1e-6


class Facts:
    """What a page publishes, as the constraints an intruder can write down (the audit's input).

    [`Page`][foundation_eval.reporting.publication.Page] fills one as it publishes tables, sentences and
    charts ([`Page.facts`][foundation_eval.reporting.publication.Page.facts]); tests build them by hand.
    It holds no exact count: published values, which withheld counts were small, and the relations
    between them. Written to JSON beside a report's workbook for the render's audit
    ([`write`][foundation_eval.reporting.audit.Facts.write]); never published.

    Parameters
    ----------
    page : str
        The page's name.
    threshold : int
        The disclosure threshold $t$.
    base : int
        The rounding base $b$ of published counts.

    Attributes
    ----------
    quantities : dict
        Id to a dict: `kind` (`"count"`: a non-negative integer; `"amount"`: continuous, e.g.
        person-time), `lo`, `hi` (what publication tells: None is unbounded), `audit` (`"withheld"`,
        `"rounded"` or None: not audited), `primary` (a withheld count that was small), `published`
        (as shown), `table`, `cell` and `source`.
    relations : list of dict
        `{"terms": {id: coefficient}, "lo", "hi", "source"}`: lo <= sum of coefficient * unknown <= hi.
    unaudited : list of str
        What the page published that the audit cannot model (a derived column it could not trace to
        its counts, a figure without its data).

    Examples
    --------
    A funnel published rounded to 5, with its nested stages:

    >>> facts = Facts("Southampton", threshold=10, base=5)
    >>> facts.count("listed", lo=74, hi=78, audit="rounded", published=75)
    >>> facts.count("engaged", lo=1, hi=9, audit="withheld", primary=True, published="[c]")
    >>> facts.relate({"engaged": 1, "listed": -1}, hi=0, source="nested stages")
    >>> sorted(facts.quantities), len(facts.relations)
    (['engaged', 'listed'], 1)
    """

    def __init__(self, page: str = "", threshold: int = 10, base: int = 5):
        self.page = page
        self.threshold = int(threshold)
        self.base = int(base)
        self.quantities: dict[str, dict] = {}
        self.relations: list[dict] = []
        self.unaudited: list[str] = []

    def __repr__(self) -> str:
        return (f"Facts(page={self.page!r}, quantities={len(self.quantities)}, relations={len(self.relations)}, "
                f"unaudited={len(self.unaudited)})")

    def count(self, id: str, *, lo: float = 0, hi: float | None = None, audit: str | None = None,
              primary: bool = False, published=None, table: str = "", cell: str = "", source: str = "table") -> None:
        """An unknown count (a non-negative integer) and what publication tells about it.

        Parameters
        ----------
        id : str
            Unique id.
        lo, hi : float
            Bounds known from publication (hi None: unbounded).
        audit : {"withheld", "rounded"} or None
            Audit this count as withheld or rounded; None: a helper unknown (a group total, a chart's
            people at risk).
        primary : bool
            A withheld count that was small (from 1 to threshold - 1).
        published : str or number
            As shown to readers.
        table, cell, source : str
            Where it was published, for the audit's report.
        """
        if audit not in (None, "withheld", "rounded"):
            raise ValueError(f"audit must be 'withheld', 'rounded' or None, not {audit!r}")
        self.quantities[id] = {"kind": "count", "lo": float(lo), "hi": None if hi is None else float(hi),
                               "audit": audit, "primary": bool(primary),
                               "published": published if isinstance(published, (str, type(None))) else float(published),
                               "table": table, "cell": cell, "source": source}

    def amount(self, id: str, *, lo: float = 0, hi: float | None = None, published=None, table: str = "",
               cell: str = "", source: str = "table") -> None:
        """An unknown continuous amount (person-time) and its published bounds (not audited itself).

        Parameters
        ----------
        id : str
            Unique id.
        lo, hi : float
            Bounds known from publication.
        published : number, optional
            As shown.
        table, cell, source : str
            Where it was published.
        """
        self.quantities[id] = {"kind": "amount", "lo": float(lo), "hi": None if hi is None else float(hi),
                               "audit": None, "primary": False, "published": published, "table": table,
                               "cell": cell, "source": source}

    def relate(self, terms: dict, lo: float | None = None, hi: float | None = None, source: str = "") -> None:
        """A linear relation the intruder knows: lo <= sum of coefficient * unknown <= hi.

        Parameters
        ----------
        terms : dict
            Id to coefficient.
        lo, hi : float, optional
            Bounds (None: unbounded on that side; equal for an equation).
        source : str
            What published the relation (for the report).
        """
        terms = {k: float(v) for k, v in terms.items() if v}
        if not terms or (lo is None and hi is None):
            return
        self.relations.append({"terms": terms, "lo": None if lo is None else float(lo),
                               "hi": None if hi is None else float(hi), "source": source})

    def ratio(self, num: str, den: str, low: float, high: float, source: str = "") -> None:
        """low <= num / den <= high, as two linear relations (den non-negative).

        Parameters
        ----------
        num, den : str
            Ids of the numerator and the denominator.
        low, high : float
            Bounds of the ratio (e.g. a percentage printed as 40 to whole percent of a share:
            0.395 and 0.405).
        source : str
            What published it.
        """
        self.relate({num: 1.0, den: -float(high)}, hi=0.0, source=source)
        self.relate({num: 1.0, den: -float(low)}, lo=0.0, source=source)

    def to_dict(self) -> dict:
        """The facts as plain JSON-ready data.

        Returns
        -------
        dict
            `page`, `threshold`, `base`, `quantities`, `relations` and `unaudited`.
        """
        return {"page": self.page, "threshold": self.threshold, "base": self.base, "quantities": self.quantities,
                "relations": self.relations, "unaudited": self.unaudited}

    @classmethod
    def from_dict(cls, data: dict) -> Facts:
        """Facts from [`to_dict`][foundation_eval.reporting.audit.Facts.to_dict]'s data.

        Parameters
        ----------
        data : dict
            As `to_dict` returns it (or read back from its JSON).

        Returns
        -------
        Facts
        """
        f = cls(data.get("page", ""), data.get("threshold", 10), data.get("base", 5))
        f.quantities = dict(data.get("quantities", {}))
        f.relations = list(data.get("relations", []))
        f.unaudited = list(data.get("unaudited", []))
        return f

    def write(self, path) -> Path:
        """Write the facts as JSON (for the render's audit; not for publication).

        Parameters
        ----------
        path : str or Path
            Destination file.

        Returns
        -------
        Path
        """
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), sort_keys=True) + "\n", encoding="utf-8")
        return path


def read_facts(path) -> Facts:
    """Facts written by [`Facts.write`][foundation_eval.reporting.audit.Facts.write].

    Parameters
    ----------
    path : str or Path
        A facts file.

    Returns
    -------
    Facts

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> facts = Facts("Southampton")
    >>> facts.count("listed", lo=73, hi=77, audit="rounded", published=75)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     read_facts(facts.write(Path(folder) / "page.facts.json")).quantities["listed"]["hi"]
    77.0
    """
    return Facts.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _required(q: dict, threshold: int, base: int, protection: int | None = None) -> int:
    if q["audit"] == "rounded" or not q.get("primary"):
        return 2
    return min(max(2, base) if protection is None else int(protection), max(1, threshold - 1))


@dataclass(frozen=True, eq=False)
class AuditResult:
    """The audit of one page: the feasibility interval and verdict of every audited count.

    Made by [`audit`][foundation_eval.reporting.audit.audit].

    Attributes
    ----------
    page : str
        The page audited.
    cells : DataFrame
        One row per audited count: `page`, `table`, `cell`, `status` (`withheld` or `rounded`),
        `published`, `low`, `high` (its feasibility interval), `candidates` (integers in it; inf when
        unbounded), `required` and `verdict` (`pass`, `narrowed`, `narrow`, `exact`, `infeasible`).
    unaudited : tuple of str
        What the page published that the audit could not model.
    threshold, base : int
        The rule audited against.
    seconds : float
        Time the audit took.

    Examples
    --------
    A hidden "not assessed" of 5 beside listed (76) and assessed (71) published exactly: 76 - 71 gives
    it back. Rounded to 5, the same tables leave it anywhere from 1 to 9:

    >>> def page(base):
    ...     f = Facts("Area", threshold=10, base=base)
    ...     half = base // 2
    ...     f.count("listed", lo=76 - half, hi=76 - half + base - 1, audit="rounded" if base > 1 else None)
    ...     f.count("assessed", lo=71 - half, hi=71 - half + base - 1, audit="rounded" if base > 1 else None)
    ...     f.count("not_assessed", lo=1, hi=9, audit="withheld", primary=True)
    ...     f.relate({"listed": 1, "assessed": -1, "not_assessed": -1}, 0, 0)
    ...     return audit(f)
    >>> exact = page(1)
    >>> exact.passed, exact.failures[["cell", "low", "high", "verdict"]].values.tolist()
    (False, [['not_assessed', 5.0, 5.0, 'exact']])
    >>> page(5).passed
    True
    """

    page: str
    cells: pd.DataFrame
    unaudited: tuple = ()
    threshold: int = 10
    base: int = 5
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """True when no audited count fails (`narrow`, `exact` or `infeasible`)."""
        return not len(self.failures)

    @property
    def failures(self) -> pd.DataFrame:
        """The rows of [`table`][foundation_eval.reporting.audit.AuditResult.table] that fail."""
        c = self.cells
        return c[c.verdict.isin(["narrow", "exact", "infeasible"])].reset_index(drop=True)

    def table(self) -> pd.DataFrame:
        """One row per audited count (see `cells`).

        Returns
        -------
        DataFrame
        """
        return self.cells.copy()

    def summary(self, limit: int = 50) -> dict:
        """A short record for `render.json`: counts audited, whether the page passed, its failures.

        A failure is named by its table, cell, published value, verdict and the number of values the
        intruder is left with, never by the interval itself: the exact value of a pinned count is the very
        thing the page must not give away, and `render.json` sits beside the pages.

        Parameters
        ----------
        limit : int
            At most this many failures are listed.

        Returns
        -------
        dict
            `passed`, `withheld`, `rounded` (numbers audited), `failed` (number), `failures` (table,
            cell, published, candidates, required, verdict), `unaudited`, `seconds`.

        Examples
        --------
        >>> f = Facts("Area", threshold=10, base=5)
        >>> f.count("n", lo=73, hi=77, audit="rounded", published=75)
        >>> audit(f).summary()["passed"]
        True
        """
        fail = self.failures
        rows = [{"table": r.table, "cell": r.cell, "published": r.published,
                 "candidates": int(r.candidates) if math.isfinite(r.candidates) else None,
                 "required": int(r.required), "verdict": r.verdict}
                for r in fail.head(limit).itertuples()]
        return {"passed": self.passed, "withheld": int((self.cells.status == "withheld").sum()),
                "rounded": int((self.cells.status == "rounded").sum()), "failed": int(len(fail)),
                "failures": rows, "unaudited": list(self.unaudited), "seconds": round(self.seconds, 3)}

    def plot(self, ax=None):
        """The feasibility interval of each withheld count (failures in the second colour).

        Parameters
        ----------
        ax : Axes, optional
            Where to draw.

        Returns
        -------
        Axes

        Examples
        --------
        >>> f = Facts("Area", threshold=10, base=5)
        >>> f.count("a", lo=1, hi=9, audit="withheld", primary=True, cell="a")
        >>> ax = audit(f).plot()
        >>> len(ax.lines)
        1
        """
        from foundation_eval.plotting import PALETTE, new_axes

        ax = new_axes(ax)
        w = self.cells[self.cells.status == "withheld"].reset_index(drop=True)
        for i, r in w.iterrows():
            hi = r.high if math.isfinite(r.high) else max(r.low + 1, self.threshold * 2)
            bad = r.verdict in ("narrow", "exact", "infeasible")
            ax.plot([r.low, hi], [i, i], color=PALETTE[3] if bad else PALETTE[0], lw=3)
        ax.set_yticks(range(len(w)), [f"{r.table}: {r.cell}" for r in w.itertuples()])
        ax.set_xlabel("Feasible values of the withheld count")
        ax.set_title(f"Disclosure audit: {self.page}")
        return ax


def _components(ids: list[str], relations: list[dict]) -> dict[str, str]:
    parent = {i: i for i in ids}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in relations:
        keys = list(r["terms"])
        for k in keys[1:]:
            a, b = find(keys[0]), find(k)
            if a != b:
                parent[a] = b
    return {i: find(i) for i in ids}


def _bounds(q: dict) -> tuple[float, float | None]:
    return (q["lo"], q["hi"])


class _Columns:
    """A table's columns as lists, each made once: the audit reads a table cell by cell, and a cell read
    through pandas costs as much as a column converted whole."""

    def __init__(self, frame: pd.DataFrame):
        self._frame = frame
        self.columns = list(frame.columns)
        self._raw: dict = {}
        self._num: dict = {}

    def __len__(self) -> int:
        return len(self._frame)

    def raw(self, c) -> list:
        """The column's values as published (pandas' `tolist`)."""
        if c not in self._raw:
            self._raw[c] = self._frame[c].tolist()
        return self._raw[c]

    def num(self, c) -> list:
        """The column as numbers: what is not a number is NaN."""
        if c not in self._num:
            v = pd.to_numeric(self._frame[c], errors="coerce").tolist()
            self._num[c] = [np.nan if x is None or x is pd.NA or x != x else x for x in v]
        return self._num[c]


_SOLVED: dict = {}
_COLD = object()  # a warm solve that leaves the answer to the cold path
_SOLVED_MAX = 200_000


def _solved(key, solve):
    """``solve()``, remembered under ``key`` for the rest of the process (forgotten when the store is full)."""
    if key not in _SOLVED:
        if len(_SOLVED) >= _SOLVED_MAX:
            _SOLVED.clear()
        _SOLVED[key] = solve()
    return _SOLVED[key]


def _sparse(rows: list[dict], n: int):
    """Rows given as {column: coefficient} as a CSR matrix of n columns."""
    from scipy.sparse import csr_array

    cols = [c for r in rows for c in r]
    vals = [v for r in rows for v in r.values()]
    ptr = np.cumsum([0, *(len(r) for r in rows)])
    return csr_array((np.array(vals, float), np.array(cols, np.int64), ptr), shape=(len(rows), n))


class _Component:
    """The linear programme of one connected component of the constraint graph."""

    def __init__(self, ids: list[str], quantities: dict, relations: list[dict]):
        self.ids = ids
        self.index = {k: i for i, k in enumerate(ids)}
        n = len(ids)
        # sparse rows: a relation names a few unknowns of a component that may hold thousands
        ub_rows, ub_b, eq_rows, eq_b = [], [], [], []
        self.ratio = False
        for r in relations:
            row = {self.index[k]: c for k, c in r["terms"].items()}
            if any(abs(c) not in (0.0, 1.0) for c in row.values()):
                self.ratio = True
            lo, hi = r["lo"], r["hi"]
            if lo is not None and hi is not None and abs(hi - lo) <= 1e-12:
                eq_rows.append(row)
                eq_b.append(lo)
                continue
            if hi is not None:
                ub_rows.append(row)
                ub_b.append(hi)
            if lo is not None:
                ub_rows.append({i: -c for i, c in row.items()})
                ub_b.append(-lo)
        self.A_ub = _sparse(ub_rows, n) if ub_rows else None
        self.b_ub = np.array(ub_b) if ub_b else None
        self.A_eq = _sparse(eq_rows, n) if eq_rows else None
        self.b_eq = np.array(eq_b) if eq_b else None
        self.bounds = [_bounds(quantities[k]) for k in ids]
        self.integer = np.array([1 if quantities[k]["kind"] == "count" else 0 for k in ids])
        self._models: dict = {}  # integer or not -> [HiGHS model, unknown last costed], made when first needed
        # the programme itself, by position and without labels: the same component on another page (the
        # force's curve drawn on every district page, under another chart number) is the same programme,
        # solved once per process
        self.key = hashlib.sha256(json.dumps(
            [n, self.bounds, self.integer.tolist(), [sorted(r.items()) for r in ub_rows], ub_b,
             [sorted(r.items()) for r in eq_rows], eq_b]).encode()).hexdigest()

    def lp(self, j: int, sense: int) -> float | None:
        """min (sense 1) or max (sense -1) of unknown j; None when infeasible; +-inf when unbounded."""
        return _solved((self.key, "lp", j, sense), lambda: self._lp(j, sense))

    def milp(self, j: int, sense: int) -> float | None:
        """As `lp`, with integer counts."""
        return _solved((self.key, "milp", j, sense), lambda: self._milp(j, sense))

    def _lp(self, j: int, sense: int) -> float | None:
        value = self._warm(False, j, sense)
        return self._lp_cold(j, sense) if value is _COLD else value

    def _warm(self, integer: bool, j: int, sense: int):
        """min (sense 1) or max (sense -1) of unknown j on the component's HiGHS model (a second one with the
        counts integer), or `_COLD` when highspy is missing or the solve ends otherwise than optimal,
        infeasible or unbounded.

        One model per component is re-solved for each objective: as a linear programme from its last
        optimal basis (a count of a force-wide curve on a national page, 3,000 unknowns, then costs a few
        pivots, not a cold solve); as an integer programme HiGHS's branch and bound starts afresh, but the
        model, and scipy's checks of it, are made once.
        """
        model = self._models.get(integer)
        if model is None:
            model = self._models[integer] = [self._new_highs(self.integer if integer else None), None]
        h, last = model
        if h is None:
            return _COLD
        import highspy

        if last is not None:
            h.changeColCost(last, 0.0)
        h.changeColCost(j, float(sense))
        model[1] = j
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return float(h.getSolution().col_value[j])
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if status == highspy.HighsModelStatus.kUnbounded:
            return -math.inf * sense
        del self._models[integer]  # anything else: this one cold, and the next ones on a new model
        return _COLD

    def _new_highs(self, integer):
        try:
            import highspy  # noqa: F401 - only whether it is installed
        except ImportError:  # the cold paths give the same values, more slowly
            return None
        from scipy.sparse import vstack

        from foundation_eval._highs import highs_model

        n = len(self.ids)
        mats, lower, upper = [], [], []
        if self.A_ub is not None:
            mats.append(self.A_ub)
            lower.append(np.full(len(self.b_ub), -np.inf))
            upper.append(self.b_ub)
        if self.A_eq is not None:
            mats.append(self.A_eq)
            lower.append(self.b_eq)
            upper.append(self.b_eq)
        a = vstack(mats) if mats else np.zeros((0, n))
        h = highs_model(a, np.concatenate(lower) if mats else [], np.concatenate(upper) if mats else [],
                        [b[0] for b in self.bounds], [np.inf if b[1] is None else b[1] for b in self.bounds],
                        integer=integer)
        if integer is not None:
            h.setOptionValue("time_limit", 20.0)  # as the cold path's
        return h

    def _lp_cold(self, j: int, sense: int) -> float | None:
        from scipy.optimize import linprog

        c = np.zeros(len(self.ids))
        c[j] = sense
        res = linprog(c, A_ub=self.A_ub, b_ub=self.b_ub, A_eq=self.A_eq, b_eq=self.b_eq, bounds=self.bounds,
                      method="highs")
        if res.status == 2:
            return None
        if res.status == 3:
            return -math.inf * sense
        if res.status != 0:
            raise RuntimeError(f"the audit's linear programme failed: {res.message}")
        return float(res.x[j])

    def _milp(self, j: int, sense: int) -> float | None:
        value = self._warm(True, j, sense)
        return self._milp_cold(j, sense) if value is _COLD else value

    def _milp_cold(self, j: int, sense: int) -> float | None:
        from scipy.optimize import Bounds, LinearConstraint, milp

        c = np.zeros(len(self.ids))
        c[j] = sense
        cons = []
        if self.A_ub is not None:
            cons.append(LinearConstraint(self.A_ub, -np.inf, self.b_ub))
        if self.A_eq is not None:
            cons.append(LinearConstraint(self.A_eq, self.b_eq, self.b_eq))
        lb = np.array([b[0] for b in self.bounds], float)
        ub = np.array([np.inf if b[1] is None else b[1] for b in self.bounds], float)
        res = milp(c, constraints=cons, integrality=self.integer, bounds=Bounds(lb, ub),
                   options={"time_limit": 20.0})
        if res.status == 2:
            return None
        if res.status == 3 or res.x is None:
            return -math.inf * sense
        return float(res.x[j])


def _verdict(candidates: float, required: int, status: str, base: int) -> str:
    if candidates <= 0:
        return "infeasible"
    if candidates == 1:
        return "exact"
    if status == "withheld":
        return "narrow" if candidates < required else "pass"
    return "narrowed" if candidates < base else "pass"


def audit(facts, *, integer: bool = True, protection: int | None = None) -> AuditResult:
    """Audit a page: the feasibility interval of each withheld and rounded count, and its verdict.

    The definitions (unknowns, constraints, the protection each count needs) are in the
    [module's introduction][foundation_eval.reporting.audit]. For each audited count the minimum and
    maximum of its true value are found by linear programming over the connected component of the
    constraint graph that holds it (`scipy.optimize.linprog`, HiGHS); where the relaxation passes a count
    that integers might not (a component with ratio constraints, or an interval near the required
    width), `scipy.optimize.milp` recomputes the interval with integer counts.

    Parameters
    ----------
    facts : Facts, dict or path
        What the page published ([`Facts`][foundation_eval.reporting.audit.Facts], its `to_dict()`, or
        a facts file).
    integer : bool
        Refine intervals with integer programming where the relaxation could be loose.
    protection : int, optional
        Candidates a withheld small count must keep (default: the rounding base, at least 2 and at most
        threshold - 1; 2 asks only that no withheld count be disclosed exactly, the minimum of Hundepool
        et al., 2012).

    Returns
    -------
    AuditResult
        One row per audited count, whether the page passed and what it could not model.

    Examples
    --------
    A Kaplan-Meier step read off a chart as 1 in 19 (5.26%, to a tenth of a point) when everyone of the
    19 people, published as 20, was at risk: the step shows one person, and the people come out exactly:

    >>> f = Facts("East Hampshire", threshold=10, base=5)
    >>> f.count("people", lo=18, hi=22, audit="rounded", published=20, table="engagement", cell="people")
    >>> f.count("n1", lo=1)
    >>> f.count("d1", lo=1)
    >>> f.relate({"n1": 1, "people": -1}, 0, 0)
    >>> f.ratio("d1", "n1", 0.0521, 0.0531)
    >>> r = audit(f)
    >>> r.failures[["cell", "low", "high", "verdict"]].values.tolist()
    [['people', 19.0, 19.0, 'exact']]
    """
    t0 = time.perf_counter()
    if isinstance(facts, (str, Path)):
        facts = read_facts(facts)
    elif isinstance(facts, dict):
        facts = Facts.from_dict(facts)
    q, rels = facts.quantities, facts.relations
    missing = sorted({k for r in rels for k in r["terms"] if k not in q})
    if missing:
        raise ValueError(f"relations name unknowns that were never recorded: {missing[:5]}")
    ids = list(q)
    comp = _components(ids, rels)
    members: dict[str, list[str]] = defaultdict(list)
    for k in ids:
        members[comp[k]].append(k)
    comp_rels: dict[str, list[dict]] = defaultdict(list)
    for r in rels:
        comp_rels[comp[next(iter(r["terms"]))]].append(r)
    rows = []
    built: dict[str, _Component] = {}
    for k in ids:
        qk = q[k]
        if qk["audit"] is None:
            continue
        need = _required(qk, facts.threshold, facts.base, protection)
        root = comp[k]
        if not comp_rels[root]:
            lo, hi = qk["lo"], math.inf if qk["hi"] is None else qk["hi"]
            ratio = False
        else:
            if root not in built:
                built[root] = _Component(members[root], q, comp_rels[root])
            c = built[root]
            j = c.index[k]
            lo, hi = c.lp(j, 1), c.lp(j, -1)
            ratio = c.ratio
            if lo is None or hi is None:
                lo = hi = math.nan
        if math.isnan(lo):
            cand, verdict = 0, "infeasible"
        else:
            lo_i, hi_i = math.ceil(lo - _EPS), (math.floor(hi + _EPS) if math.isfinite(hi) else math.inf)
            cand = hi_i - lo_i + 1 if math.isfinite(hi_i) else math.inf
            verdict = _verdict(cand, need, qk["audit"], facts.base)
            near = cand < need + 2
            if integer and verdict in ("pass", "narrowed", "narrow") and comp_rels[root] and (ratio or near):
                c = built[root]
                j = c.index[k]
                mlo, mhi = c.milp(j, 1), c.milp(j, -1)
                if mlo is None or mhi is None:
                    cand, verdict = 0, "infeasible"
                else:
                    lo_i = max(lo_i, math.ceil(mlo - _EPS))
                    if math.isfinite(mhi):
                        hi_i = min(hi_i, math.floor(mhi + _EPS))
                    cand = hi_i - lo_i + 1 if math.isfinite(hi_i) else math.inf
                    verdict = _verdict(cand, need, qk["audit"], facts.base)
            lo, hi = float(lo_i), float(hi_i)
            if verdict == "exact" and hi_i == 0 and (qk.get("lo") or 0) == 0:
                verdict = "zero"  # a cell withheld beside others, known to hold no one: nobody to protect
        rows.append({"page": facts.page, "table": qk.get("table", ""), "cell": qk.get("cell", "") or k,
                     "status": qk["audit"], "published": qk.get("published"), "low": lo, "high": hi,
                     "candidates": cand, "required": need, "verdict": verdict})
    cells = pd.DataFrame(rows, columns=["page", "table", "cell", "status", "published", "low", "high", "candidates",
                                        "required", "verdict"])
    return AuditResult(facts.page, cells, tuple(facts.unaudited), facts.threshold, facts.base,
                       time.perf_counter() - t0)


# ------------------------------------------------------------------------------------------ the ledger
_SCALES = {"percent": (100.0,), "proportion": (1.0,)}
_OTHER_SCALES = (1.0, 100.0, 1000.0, 100000.0)


class _Bundle:
    def __init__(self):
        self.q: dict[str, dict] = {}
        self.rel: list[dict] = []
        self.unaudited: list[str] = []
        self.linkable: set[str] = set()
        self.steps: set[str] = set()  # a curve's steps: linked only as its figure says, never by value


class Ledger:
    """Everything a page has published, with the exact values behind it (in memory only).

    [`Page`][foundation_eval.reporting.publication.Page] keeps one (`page.ledger`) and records in it each
    table, sentence count and chart it publishes; [`facts`][foundation_eval.reporting.audit.Ledger.facts]
    turns the record into the [`Facts`][foundation_eval.reporting.audit.Facts] an intruder holds, with no
    exact value in them. Recording a table again under the same name replaces it, as the page does.

    What a table tells, beyond its cells: the cells of each additive group add up to the group's total
    (an unknown); nested stages do not increase; a derived column (a percentage, a rate) is traced to
    the counts it was worked out from by matching its values against the ratios of the table's counts
    (same row, the two added up, the group's total, the first or the previous row) and person-time
    columns, computed from the exact counts or from the published ones. A value that a ratio of exact
    counts gives (to the precision printed) becomes a ratio constraint at that precision, even where the
    published counts would give it too (the code is public: the intruder may know how it was worked
    out); one that only published numbers give adds nothing, except the rounded total it was divided by;
    one that matches neither is listed as unaudited. Columns the page worked out itself from published
    counts (`Page.table`'s `shares` and `rates`) are known to add nothing.

    The totals of additive groups and the sizes of charted groups are linked to each other and to the one
    count the page publishes with the same exact value (at least the threshold), when exactly one does:
    the intruder is assumed to know which published count each equals. That only adds true constraints
    (a stronger intruder); a value shared by several published counts is left unlinked rather than
    equating counts that merely coincide. A curve's steps (people at risk, events, events so far) are
    linked only as its figure says (its group's size, the events by a time the page also counts): at a
    force of 300 districts a step of the force-wide curve drawn on a district page often equals some
    district count by chance, which equated unrelated quantities and joined the whole curve to the
    page's tables. A sentence's count is linked to a table's cell only where the
    page is told they are the same quantity (`same_as` of
    [`Page.count`][foundation_eval.reporting.publication.Page.count]; other cells through
    [`Page.link`][foundation_eval.reporting.publication.Page.link]): sentences restate many counts, and a
    coincidence of value would otherwise equate unrelated quantities.

    Parameters
    ----------
    rule : Rule
        The page's disclosure rule.
    page : str
        The page's name.

    Examples
    --------
    >>> import pandas as pd
    >>> from foundation_eval.reporting.disclosure import Rule
    >>> ledger = Ledger(Rule(10, 5), "Area")
    >>> exact = pd.DataFrame({"stage": ["Listed", "Engaged"], "n": [76, 8]})
    >>> shown = pd.DataFrame({"stage": ["Listed", "Engaged"], "n": [75.0, None]})
    >>> hidden = pd.DataFrame({"stage": [False, False], "n": [False, True]})
    >>> ledger.table("funnel", exact, shown, hidden, counts=["n"], nested=True)
    >>> facts = ledger.facts()
    >>> [(q["audit"], q["lo"], q["hi"]) for q in facts.quantities.values()]
    [('rounded', 73.0, 77.0), ('withheld', 1.0, 9.0)]
    """

    def __init__(self, rule, page: str = ""):
        self.rule = rule
        self.page = page
        self._bundles: dict[str, _Bundle] = {}
        self._exact: dict[str, float] = {}
        self._links: list[tuple[tuple, tuple, str]] = []
        self._n = 0

    def __repr__(self) -> str:
        return f"Ledger(page={self.page!r}, parts={len(self._bundles)})"

    # ---------------------------------------------------------------- recording
    def _count(self, b: _Bundle, qid: str, exact: float, published, withheld: bool, table: str, cell: str,
               source: str) -> None:
        """A count as published (withheld, rounded or exact) into bundle `b`."""
        t, rule = self.rule.threshold, self.rule
        if withheld:
            primary = rule.hidden(exact)
            b.q[qid] = _quantity("count", 1 if primary else 0, t - 1 if primary else None, "withheld", primary,
                                 published if isinstance(published, str) else SUPPRESSED, table, cell, source)
        else:
            v = float(published)
            lo, hi = rule.interval(v) if float(v).is_integer() else (v - rule.base / 2, v + rule.base / 2)
            audited = "rounded" if rule.base > 1 and v != 0 else None
            b.q[qid] = _quantity("count", lo, hi, audited, False, v, table, cell, source)
        self._exact[qid] = float(exact)

    def table(self, name: str, exact: pd.DataFrame, values: pd.DataFrame, suppressed: pd.DataFrame, counts,
              derived: dict | None = None, kinds: dict | None = None, headings: dict | None = None,
              groups=None, nested: bool = False, total_rows=None, title: str = "", additive: bool = True,
              gated=()) -> None:
        """Record a published table.

        Parameters
        ----------
        name : str
            The table's name on the page.
        exact : DataFrame
            The exact values (rows in the order of `values`).
        values, suppressed : DataFrame
            As published (counts rounded, withheld cells missing) and where cells were withheld.
        counts : list of str
            Count columns.
        derived : dict, optional
            Count column to the columns derived from it.
        kinds, headings : dict, optional
            Column kinds and headings (as for a page's table).
        groups : list of arrays of int, optional
            Row positions of each additive group (rows that add up to a total).
        nested : bool
            Rows are nested stages (each at most the one above it) within each group (or the table).
        total_rows : array of bool, optional
            Rows that are the total of the other rows of their group.
        title : str
            The table's title, for the audit's report.
        additive : bool
            The rows of each group add up to a total (False for nested stages or unrelated rows).
        gated : sequence of str
            Derived columns the page worked out itself from published counts (its `shares` and `rates`).
        """
        b = _Bundle()
        kinds, headings = dict(kinds or {}), dict(headings or {})
        ex, val, sup = _Columns(exact), _Columns(values), _Columns(suppressed)
        counts = [c for c in counts if c in ex.columns]
        text = [c for c in val.columns if c not in counts and kinds.get(c, "text") == "text"]
        labels = [" / ".join(str(val.raw(c)[i]) for c in text)[:80] or f"row {i + 1}" for i in range(len(val))]
        shown = title or name
        ids: dict[tuple[int, str], str] = {}
        for c in counts:
            for i in range(len(val)):
                v = ex.num(c)[i]
                if pd.isna(v):
                    continue
                withheld = bool(sup.raw(c)[i])
                pub = val.raw(c)[i]
                if not withheld and _isnan(pub):
                    continue
                qid = f"t:{name}:{i}:{c}"
                self._count(b, qid, float(v), pub, withheld, shown, f"{labels[i]}: {headings.get(c, c)}", "table")
                ids[(i, c)] = qid
        total = np.zeros(len(val), bool) if total_rows is None else np.asarray(total_rows, bool)
        for g, rows in enumerate(groups or []):
            rows = [int(r) for r in rows]
            for c in counts:
                members = [r for r in rows if (r, c) in ids and not total[r]]
                tots = [r for r in rows if (r, c) in ids and total[r]]
                if tots and additive:
                    for r in tots:
                        b.rel.append({"terms": {**{ids[(m, c)]: 1.0 for m in members}, ids[(r, c)]: -1.0},
                                      "lo": 0.0, "hi": 0.0, "source": f"{shown}: total row"})
                elif len(members) >= 2 and additive:
                    tid = f"t:{name}:total:{g}:{c}"
                    b.q[tid] = _quantity("count", 0, None, None, False, None, shown, f"total of {c}", "total")
                    self._exact[tid] = float(sum(self._exact[ids[(m, c)]] for m in members))
                    b.linkable.add(tid)
                    b.rel.append({"terms": {**{ids[(m, c)]: 1.0 for m in members}, tid: -1.0}, "lo": 0.0, "hi": 0.0,
                                  "source": f"{shown}: {c} adds up"})
                if nested:
                    seq = [r for r in rows if (r, c) in ids]
                    for a_, b_ in zip(seq[:-1], seq[1:], strict=True):
                        b.rel.append({"terms": {ids[(b_, c)]: 1.0, ids[(a_, c)]: -1.0}, "lo": None, "hi": 0.0,
                                      "source": f"{shown}: nested stages"})
        self._derived(b, name, shown, ex, val, sup, counts, derived or {}, kinds, headings, groups, ids, set(gated))
        self._bundles[f"table:{name}"] = b

    def _derived(self, b, name, shown, ex: _Columns, val: _Columns, sup: _Columns, counts, derived, kinds, headings,
                 groups, ids, gated):
        owners: dict[str, list[str]] = defaultdict(list)
        for c, ds in derived.items():
            for d in ds:
                if c in counts:
                    owners[d].append(c)
        for c in val.columns:
            if kinds.get(c) in ("percent", "proportion") and c not in owners and c not in counts:
                owners[c] = list(counts)
        cols = [c for c in val.columns if c in owners and c not in counts and kinds.get(c, "text") != "text"]
        if not cols:
            return
        group_of = {}
        for g, rows in enumerate(groups or []):
            for k, r in enumerate(rows):
                group_of[int(r)] = (g, [int(x) for x in rows], k)
        amounts = [c for c in val.columns if c not in counts and kinds.get(c, "text") not in ("text", "percent",
                                                                                            "proportion")]
        for d in cols:
            kind = kinds.get(d, "decimal2")
            dec = DECIMALS_OF.get(kind, 2)
            scales = _SCALES.get(kind, _OTHER_SCALES)
            bad = 0
            for i in range(len(val)):
                if bool(sup.raw(d)[i]):
                    continue
                p = val.num(d)[i]
                if pd.isna(p):
                    continue
                own = ex.num(d)[i] if d in ex.columns else np.nan
                if pd.notna(own) and self.rule.exposure(own) == float(p):
                    continue  # person-time published to the rule's base: the denominator of a rate
                cands = self._candidates(b, name, i, owners[d] or list(counts), counts, amounts, d, ex, val, kinds,
                                         group_of, ids)
                if not self._trace(b, name, shown, i, d, float(p), dec, scales, cands, kinds, headings,
                                   gated=d in gated):
                    bad += 1
            if bad:
                b.unaudited.append(f"{shown}: column {headings.get(d, d)!r} ({bad} values not traced to its counts)")

    def _candidates(self, b, name, i, owners, counts, amounts, d, ex, val, kinds, group_of, ids) -> list:
        """The (numerator, denominator) pairs a derived value of row i can be a ratio of: a count the column
        derives from over another such count of the row, its group's total, the group's first row or the row
        above, or a person-time column of the row."""

        def pub(qid):
            v = b.q[qid]["published"] if qid in b.q else None
            return None if isinstance(v, str) or v is None else float(v)

        out = []
        for c in owners:
            if (i, c) not in ids:
                continue
            nq = ids[(i, c)]
            dens = [nq] + [ids[(i, o)] for o in owners if o != c and (i, o) in ids]  # nq: a row's 100%
            if i in group_of:
                g, rows, k = group_of[i]
                tid = f"t:{name}:total:{g}:{c}"
                if tid in b.q:
                    dens.append(tid)
                for r in ([rows[0], rows[k - 1]] if k > 0 else []):
                    if (r, c) in ids:
                        dens.append(ids[(r, c)])
            elif i > 0:
                for r in (0, i - 1):
                    if (r, c) in ids:
                        dens.append(ids[(r, c)])
            for dq in dict.fromkeys(dens):
                if dq != nq or self._exact[nq] > 0:
                    out.append((nq, dq, self._exact[nq], self._exact[dq], pub(nq), pub(dq)))
            for o in owners:  # the row's people with and without the outcome, added up
                if o != c and (i, o) in ids:
                    oq = ids[(i, o)]
                    both = None if pub(nq) is None or pub(oq) is None else pub(nq) + pub(oq)
                    out.append((nq, ("sum", nq, oq), self._exact[nq], self._exact[nq] + self._exact[oq],
                                pub(nq), both))
            for a in amounts:
                if a == d:
                    continue
                e = ex.num(a)[i]
                pv = val.num(a)[i]
                if pd.notna(e) and pd.notna(pv) and e > 0:
                    out.append((nq, ("amount", a, float(pv)), self._exact[nq], float(e), pub(nq),
                                _published_amount(float(pv), kinds.get(a, "decimal2"))))
        return out

    def _trace(self, b, name, shown, i, d, p, dec, scales, candidates, kinds, headings, gated=False) -> bool:
        """Trace one derived value to the counts it was worked out from; record what it tells.

        A value the page worked out itself from published counts (`gated`) tells at most the rounded total
        it divided by. Otherwise, a value that equals a ratio of exact counts (to the precision printed)
        becomes a ratio constraint, even when published counts would give it too: the code is public, so
        the intruder may know which it was; a value that only published counts give tells nothing more.
        """
        h = 0.5 * 10.0 ** (-dec)
        printed = round(p, dec)
        pre_rounded = abs(p - printed) < 1e-12 and not gated

        def close(target, value):
            tol = h + 1e-9 if pre_rounded else 1e-9 * max(1.0, abs(value))
            return abs(target - value) <= tol

        def published():
            for _nq, dq, _en, ed, pn, pd_ in candidates:
                hidden_total = pd_ is None and isinstance(dq, str) and b.q.get(dq, {}).get("source") == "total"
                if hidden_total:
                    pd_ = self.rule.publish(ed)
                if pn is None or pd_ is None or pd_ <= 0:
                    continue
                for s in scales:
                    for target in _published_forms(s, pn, pd_, isinstance(dq, tuple) and dq[0] == "amount"):
                        if close(p, target):
                            return (dq, pd_) if hidden_total else (None, None)
            return None

        def exact():
            for nq, dq, en, ed, _pn, _pd in candidates:
                if ed <= 0:
                    continue
                for s in scales:
                    e = s * en / ed
                    if close(p, e) and abs(printed - e) <= h + 1e-9:
                        return nq, dq, s, ed
            return None

        pub = published()
        ex = None if gated else exact()  # a value the page worked out itself from published counts
        if ex is not None:
            self._ratio(b, name, shown, i, d, printed, h, kinds, headings, *ex)
            return True
        if pub is not None:
            dq, pd_ = pub
            if dq is not None:  # the intruder can tell the total it was divided by, rounded
                lo, hi = self.rule.interval(pd_)
                q = b.q[dq]
                q["lo"], q["hi"] = max(q["lo"], lo), min(hi, q["hi"] if q["hi"] is not None else hi)
            return True
        return False

    def _ratio(self, b, name, shown, i, d, printed, h, kinds, headings, nq, dq, s, ed) -> None:
        """The ratio constraint of a value worked out from exact counts, printed to +-h."""
        den_id = dq
        if isinstance(dq, tuple) and dq[0] == "sum":
            den_id = f"{dq[1]}+{dq[2].rsplit(':', 1)[-1]}"
            if den_id not in b.q:
                b.q[den_id] = _quantity("count", 0, None, None, False, None, shown, "sum", "table")
                self._exact[den_id] = ed
                b.rel.append({"terms": {dq[1]: 1.0, dq[2]: 1.0, den_id: -1.0}, "lo": 0.0, "hi": 0.0,
                              "source": f"{shown}: a row's counts added up"})
        elif isinstance(dq, tuple):
            den_id = f"t:{name}:{i}:{dq[1]}"
            if den_id not in b.q:
                kind = kinds.get(dq[1], "decimal2")
                pv = _published_amount(dq[2], kind)
                half = 0.5 * 10.0 ** (-DECIMALS_OF.get(kind, 2))
                if self.rule.exposure(ed) == pv:
                    half = max(half, self.rule.exposure_base / 2)
                b.q[den_id] = _quantity("amount", max(0.0, pv - half), pv + half, None, False, pv, shown,
                                        f"row {i + 1}: {headings.get(dq[1], dq[1])}", "table")
                self._exact[den_id] = ed
        b.rel.append({"terms": {nq: s, den_id: -(printed + h)}, "lo": None, "hi": 0.0,
                      "source": f"{shown}: {headings.get(d, d)} from exact counts"})
        b.rel.append({"terms": {nq: s, den_id: -(printed - h)}, "lo": 0.0, "hi": None,
                      "source": f"{shown}: {headings.get(d, d)} from exact counts"})

    def sentence(self, exact, published: str) -> str | None:
        """Record a count a sentence states; returns its id (None when it is not a whole count).

        Parameters
        ----------
        exact : number
            The exact count.
        published : str
            The words printed (`75 people`, `fewer than 10 people`).

        Returns
        -------
        str or None
        """
        if exact is None or _isnan(exact) or not float(exact).is_integer():
            return None
        self._n += 1
        b = _Bundle()
        qid = f"s:{self._n}"
        v = float(exact)
        hidden = self.rule.hidden(v)
        self._count(b, qid, v, published if hidden else self.rule.publish(v), hidden, "sentences", published,
                    "sentence")
        self._bundles[f"say:{self._n}"] = b
        return qid

    def curve(self, steps, figure: str, links: dict | None = None) -> None:
        """Record a charted curve ([`CurveSteps`][foundation_eval.reporting.disclosure.CurveSteps]).

        A gated curve publishes, at most, each grouped step's rounded events and people at risk; a raw
        curve publishes each step's value to within its `precision`, so the ratio of events to people
        at risk at each step, with at least one event per step. Either way the people at risk do not
        increase from step to step by less than the events, and the first step's are at most the
        group's size (linked to the same count elsewhere).

        Parameters
        ----------
        steps : CurveSteps
            The curve as drawn.
        figure : str
            The figure's title.
        links : dict, optional
            `{"size": id}` and `{("events", time): id}`: the group's size, and the events up to and
            including a step's time, are the page's count with that id.
        """
        self._n += 1
        b = _Bundle()
        key = f"c:{self._n}"
        t = steps.table
        ex = steps.exact if steps.exact is not None else t
        size = f"{key}:size"
        b.q[size] = _quantity("count", 0, None, None, False, None, figure, f"{steps.label}: people", "chart")
        self._exact[size] = float(steps.size if steps.size is not None else ex.at_risk.max() if len(ex) else 0)
        if self._exact[size] >= self.rule.threshold:
            b.linkable.add(size)
        prev_n = prev_d = prev_cum = None
        est = t.estimate.to_numpy(float)
        # each column read whole: a national force's curve has thousands of steps
        time_, risk, events = t.time.tolist(), t.at_risk.to_numpy(float), t.events.to_numpy(float)
        ex_risk, ex_events = ex.at_risk.to_numpy(float), ex.events.to_numpy(float)
        for j in range(len(t)):
            n_id, d_id = f"{key}:{j}:n", f"{key}:{j}:d"
            where = f"{steps.label}: step {j + 1} (time {time_[j]:g})"
            if steps.gated:
                self._count(b, n_id, float(ex_risk[j]), float(risk[j]), False, figure,
                            f"{where}, people at risk", "chart")
                self._count(b, d_id, float(ex_events[j]), float(events[j]), False, figure,
                            f"{where}, events", "chart")
            else:
                b.q[n_id] = _quantity("count", 1, None, None, False, None, figure, f"{where}, people at risk", "chart")
                b.q[d_id] = _quantity("count", 1, None, None, False, None, figure, f"{where}, events", "chart")
                self._exact[n_id], self._exact[d_id] = float(ex_risk[j]), float(ex_events[j])
                eps = float(steps.precision)
                s0 = 1.0 - (est[j - 1] if j else 0.0)
                s1 = 1.0 - est[j]
                lo_q = 1 - (s1 + eps) / max(s0 - (eps if j else 0.0), 1e-12)
                hi_q = 1 - (s1 - eps) / (s0 + (eps if j else 0.0))
                b.rel.append({"terms": {d_id: 1.0, n_id: -min(1.0, hi_q)}, "lo": None, "hi": 0.0,
                              "source": f"{figure}: step height"})
                b.rel.append({"terms": {d_id: 1.0, n_id: -max(0.0, lo_q)}, "lo": 0.0, "hi": None,
                              "source": f"{figure}: step height"})
            if prev_n is None:
                b.rel.append({"terms": {n_id: 1.0, size: -1.0}, "lo": None, "hi": 0.0, "source": f"{figure}: size"})
            else:
                b.rel.append({"terms": {n_id: 1.0, prev_d: 1.0, prev_n: -1.0}, "lo": None, "hi": 0.0,
                              "source": f"{figure}: people at risk"})
            cum = f"{key}:{j}:cum"
            b.steps |= {n_id, d_id, cum}
            b.q[cum] = _quantity("count", 0, None, None, False, None, figure, f"{where}, events so far", "chart")
            # events so far = those of the step before plus this step's: the same constraint as the sum of all
            # steps' events, with three terms instead of j + 2 (a national force's curve has thousands of steps)
            terms = {d_id: 1.0, cum: -1.0} if prev_cum is None else {prev_cum: 1.0, d_id: 1.0, cum: -1.0}
            self._exact[cum] = self._exact[d_id] + (self._exact[prev_cum] if prev_cum is not None else 0.0)
            b.rel.append({"terms": terms, "lo": 0.0, "hi": 0.0, "source": f"{figure}: events"})
            prev_n, prev_d, prev_cum = n_id, d_id, cum
        for what, target in (links or {}).items():
            if what == "size":
                self._links.append(((size,), (target,), f"{figure}: size"))
            elif isinstance(what, tuple) and what[0] == "events":
                j = int(np.searchsorted(t.time.to_numpy(float), float(what[1]), side="right")) - 1
                if j >= 0:
                    self._links.append(((f"{key}:{j}:cum",), (target,), f"{figure}: events by {what[1]}"))
        self._bundles[key] = b

    def chart_counts(self, counts, figure: str) -> None:
        """Record counts a chart draws ([`ChartCounts`][foundation_eval.reporting.disclosure.ChartCounts]).

        Parameters
        ----------
        counts : ChartCounts
            What the chart draws.
        figure : str
            The figure's title.
        """
        self._n += 1
        b = _Bundle()
        key = f"c:{self._n}"
        for j, (lab, e, p, w) in enumerate(zip(counts.labels, counts.exact, counts.published, counts.withheld,
                                                strict=True)):
            if _isnan(e):
                continue
            qid = f"{key}:{j}"
            self._count(b, qid, float(e), p, bool(w), figure, f"{counts.label} {lab}", "chart")
            if e >= self.rule.threshold:
                b.linkable.add(qid)
        self._bundles[key] = b

    def unaudited(self, what: str) -> None:
        """Note something published that the audit cannot model (a figure without its data, say).

        Parameters
        ----------
        what : str
            What it is.
        """
        self._n += 1
        b = _Bundle()
        b.unaudited.append(what)
        self._bundles[f"note:{self._n}"] = b

    def link(self, a, b, source: str = "") -> None:
        """Record that two published quantities (or sums of them) are the same: sum(a) = sum(b).

        Parameters
        ----------
        a, b : sequence of str
            Ids of quantities.
        source : str
            Why they are the same.
        """
        self._links.append((tuple(a), tuple(b), source))

    # ---------------------------------------------------------------- the intruder's view
    def facts(self, links=()) -> Facts:
        """What an intruder holds: every recorded quantity and relation, linked, with no exact value.

        Relations that the exact values do not satisfy (a record that mis-describes what was published)
        are left out and listed in `unaudited`, so that the audit never rests on a false constraint.

        Parameters
        ----------
        links : sequence of (ids, ids, str)
            Further quantities known to be the same (sums of ids), with why.

        Returns
        -------
        Facts
        """
        f = Facts(self.page, self.rule.threshold, self.rule.base)
        linkable: set[str] = set()
        steps: set[str] = set()
        for part in self._bundles.values():
            steps |= part.steps
            f.quantities.update(part.q)
            f.relations.extend(part.rel)
            f.unaudited.extend(part.unaudited)
            linkable |= part.linkable
        for a, b_, source in [*self._links, *links]:
            if all(k in f.quantities for k in (*a, *b_)):
                terms: dict[str, float] = defaultdict(float)
                for k in a:
                    terms[k] += 1.0
                for k in b_:
                    terms[k] -= 1.0
                f.relate(dict(terms), 0.0, 0.0, source or "the same quantity")
        by_value: dict[float, list[str]] = defaultdict(list)
        for k, q in f.quantities.items():
            v = self._exact.get(k)
            if (q["kind"] == "count" and v is not None and v >= self.rule.threshold and float(v).is_integer()
                    and k not in steps):
                if q["published"] is not None or k in linkable:
                    by_value[v].append(k)
        for _, ks in sorted(by_value.items()):
            links_ = [k for k in ks if k in linkable]
            cells = [k for k in ks if k not in linkable]
            if not links_ or len(cells) > 1:
                continue  # no total, sentence or charted group to link, or no one cell it must be
            chain = links_ + cells
            for a, b_ in zip(chain[:-1], chain[1:], strict=True):
                f.relate({a: 1.0, b_: -1.0}, 0.0, 0.0, "same value")
        for k, q in f.quantities.items():
            v = self._exact.get(k)
            if v is not None and (v < q["lo"] - 1e-9 or (q["hi"] is not None and v > q["hi"] + 1e-9)):
                f.unaudited.append(f"{q['table']}: {q['cell']} is recorded as published {q['published']}, which its "
                                   "exact value does not round to")
        kept, dropped = [], 0
        for r in f.relations:
            val = sum(c * self._exact.get(k, math.nan) for k, c in r["terms"].items())
            scale = 1e-6 * max(1.0, sum(abs(c * self._exact.get(k, 0.0)) for k, c in r["terms"].items()))
            ok = math.isfinite(val) and (r["lo"] is None or val >= r["lo"] - scale) and (
                r["hi"] is None or val <= r["hi"] + scale)
            if ok:
                kept.append(r)
            else:
                dropped += 1
        f.relations = kept
        if dropped:
            f.unaudited.append(f"{dropped} recorded relations that the exact values do not satisfy (left out)")
        return f


def _quantity(kind, lo, hi, audit_, primary, published, table, cell, source) -> dict:
    return {"kind": kind, "lo": float(lo), "hi": None if hi is None else float(hi), "audit": audit_,
            "primary": bool(primary),
            "published": published if isinstance(published, (str, type(None))) else float(published),
            "table": table, "cell": cell, "source": source}


def _published_amount(v: float, kind: str) -> float:
    dec = DECIMALS_OF.get(kind, 2)
    return float(round(float(v), dec))


def _published_forms(scale: float, pn: float, pd_: float, rate: bool):
    """Values a derived column could hold when worked out from published numbers only: the ratio and the
    bounds of its Wilson (shares) or exact Poisson (rates) interval."""
    from foundation_eval.stats import poisson_rate_interval, wilson_interval

    yield scale * pn / pd_
    if rate:
        _, lo, hi = poisson_rate_interval(pn, pd_)
        yield scale * float(lo)
        yield scale * float(hi)
    elif 0 <= pn <= pd_:
        lo, hi = wilson_interval(pn, pd_)
        yield scale * float(lo)
        yield scale * float(hi)
