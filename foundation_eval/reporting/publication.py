"""The publication layer: the one gate between results and readers.

A report is a :class:`Page`. Everything it shows goes through the page: tables
(:meth:`Page.table`), figures (:meth:`Page.figure`), sentences (:meth:`Page.say`, Jinja2 templates
whose filters format every number by :mod:`foundation_eval.reporting.formats`) and headline
estimates (:meth:`Page.estimate`, read from the render's snapshot, so every page and
``results.json`` give one value). The page remembers what it published and writes the report's
workbook (:meth:`Page.write_workbook`).

Disclosure control (:class:`Rule`) covers the whole render, not one table: every published count,
in a table or a sentence, is rounded to a base (5 by default) and counts from 1 to threshold - 1
are withheld, with secondary suppression within additive groups. Rounding every count, as national
statistics producers do (ONS, DWP Stat-Xplore), means that a hidden count cannot be recovered by
subtracting published counts, within a table, across the tables of a page or across the pages of a
render. Shares are withheld when the people with or without the outcome number 1 to threshold - 1;
rates and intervals built on a withheld count are withheld. A sentence never states a count from 1
to threshold - 1: :meth:`Page.count` says "fewer than 10" instead.

In a notebook::

    page = Page(snap, "Southampton", kind="District report")
    show(page.header())
    show(page.table("funnel", frame, counts={"n": ["percent"]}, kinds={"percent": "percent"}))
"""
from __future__ import annotations

import datetime as _dt
import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from foundation_eval import __version__
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting.disclosure import SUPPRESSED, protect
from foundation_eval.stats import wilson_interval

__all__ = ["Rule", "Table", "Figure", "Text", "Section", "EstimateView", "Page", "show", "stylesheet"]


# ------------------------------------------------------------------------------------------ rule
@dataclass(frozen=True)
class Rule:
    """The disclosure rule of a render.

    Parameters
    ----------
    threshold : int
        Smallest count that may be published (counts 1 to ``threshold - 1`` are withheld).
    base : int
        Every published count is rounded to the nearest multiple of ``base`` (1: exact counts).
    """

    threshold: int = 10
    base: int = 5

    @classmethod
    def for_programme(cls, prog) -> Rule:
        return cls(int(prog.disclosure_threshold), int(getattr(prog, "disclosure_rounding", 5)))

    def hidden(self, n) -> bool:
        """True when a count may not be published."""
        return n is not None and not _isnan(n) and 0 < float(n) < self.threshold

    def publish(self, n) -> float | None:
        """The published value of a count: rounded to the base, None when withheld or missing.

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

    def share(self, k, n, level: float = 0.95) -> dict:
        """A proportion with its Wilson interval, withheld when ``n``, ``k`` or ``n - k`` is 1 to threshold - 1.

        Returns ``{"k", "n", "pct", "low", "high"}``: counts as published (rounded), percentages from
        the exact counts; withheld values are None.
        """
        k, n = int(k), int(n)
        if n == 0 or n < self.threshold or self.hidden(k) or self.hidden(n - k):
            return {"k": None, "n": self.publish(n) if n >= self.threshold else None, "pct": None, "low": None,
                    "high": None}
        lo, hi = wilson_interval(k, n, level)
        return {"k": self.publish(k), "n": self.publish(n), "pct": 100 * k / n, "low": 100 * lo, "high": 100 * hi}

    def text(self) -> str:
        """The rule in plain English, printed in every report."""
        rounding = (f"Every count is rounded to the nearest {self.base}, so totals may differ slightly from the sum "
                    "of their parts and no hidden count can be worked out by subtraction. " if self.base > 1 else "")
        return (f"{rounding}Counts from 1 to {self.threshold - 1} are not published and are shown as {SUPPRESSED}; "
                f"where a total could reveal a hidden count, the next smallest count is hidden too; percentages, "
                f"rates and intervals built on a hidden count are withheld. No sentence states a count below "
                f"{self.threshold}. No identifier, date of birth or free text is published.")


def _isnan(x) -> bool:
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


# ------------------------------------------------------------------------------------------ items
def stylesheet() -> str:
    """The one stylesheet of every page (``reporting/templates/style.css``)."""
    return (Path(__file__).parent / "templates" / "style.css").read_text(encoding="utf-8")


class _Item:
    """Something a page shows; notebooks display it (``_repr_html_``)."""

    def html(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return self.html()

    def __str__(self) -> str:
        return self.html()


@dataclass(frozen=True, eq=False)
class Text(_Item):
    """A published piece of text (already escaped HTML)."""

    markup: str

    def html(self) -> str:
        return self.markup

    @property
    def inline(self) -> str:
        """The markup without its enclosing paragraph, to sit inside a list item or another paragraph."""
        m = self.markup
        return m[3:-4] if m.startswith("<p>") and m.endswith("</p>") else m

    @property
    def plain(self) -> str:
        """The text without markup."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.markup))


@dataclass(frozen=True, eq=False)
class Figure(_Item):
    """A figure embedded as PNG with its alt text."""

    title: str
    alt: str
    markup: str

    def html(self) -> str:
        return self.markup


# Column kinds: how a value reads (HTML) and how the workbook stores it. Table values are in the
# scale they are read in: "percent" 0-100, "points" in percentage points, "rate" per 100
# person-months, "proportion" 0-1. (Sentence filters take proportions and per-person-month rates.)
KINDS = ("count", "percent", "proportion", "points", "ratio", "index", "rate", "decimal1", "decimal2", "whole",
         "money", "p", "text")


def _show(v, kind: str) -> str:
    if v is None or _isnan(v):
        return ""
    if kind == "count":
        return f"{int(v):,}"
    if kind == "whole":
        return f"{float(v):,.0f}"
    if kind == "percent":
        return fmt.percent(v, scale=1)
    if kind == "proportion":
        return fmt.percent(v)
    if kind == "points":
        return fmt.signed(v, 1)
    if kind == "ratio":
        return fmt.ratio(v)
    if kind == "index":
        return fmt.index(v)
    if kind == "rate":
        return fmt.signed(v, 1)
    if kind == "decimal1":
        return f"{float(v):,.1f}"
    if kind == "decimal2":
        return f"{float(v):,.2f}"
    if kind == "money":
        return fmt.money(v)
    if kind == "p":
        return fmt.p_value(v)
    return str(v)


@dataclass(frozen=True, eq=False)
class Table(_Item):
    """A disclosure-controlled table.

    Attributes
    ----------
    name : str
        Short key, unique within a page.
    title : str
        Full title (caption, workbook contents).
    values : DataFrame
        Published values: counts rounded, withheld cells missing.
    suppressed : DataFrame of bool
        Where a value was withheld (shown as ``[c]``).
    kinds : dict
        Column to kind (see :data:`KINDS`); columns not named are text.
    headings : dict
        Column to heading.
    notes : tuple of str
        Source notes printed under the table and in the workbook.
    counts : tuple of str
        Columns holding counts of people or records.
    """

    name: str
    title: str
    values: pd.DataFrame
    suppressed: pd.DataFrame
    kinds: dict = field(default_factory=dict)
    headings: dict = field(default_factory=dict)
    notes: tuple = ()
    counts: tuple = ()

    def display(self) -> pd.DataFrame:
        """Strings as published: numbers formatted by kind, withheld cells as ``[c]``, headings applied."""
        out = pd.DataFrame(index=self.values.index)
        for c in self.values.columns:
            kind = self.kinds.get(c, "text")
            col = [_show(v, kind) for v in self.values[c]]
            col = [SUPPRESSED if s else v for v, s in zip(col, self.suppressed[c], strict=True)]
            out[self.headings.get(c, c)] = col
        return out.reset_index(drop=True)

    def html(self) -> str:
        shown = self.display()
        # count cells are marked so that checks of a rendered page can find every published count
        css = ["fe-num fe-count" if c in self.counts else "fe-num" if self.kinds.get(c, "text") != "text" else ""
               for c in self.values.columns]
        head = "".join(f"<th scope='col'>{html.escape(str(h))}</th>" for h in shown.columns)
        rows = []
        for _, r in shown.iterrows():
            cells = "".join(f"<td class='{k}'>{html.escape(str(v))}</td>" if k else f"<td>{html.escape(str(v))}</td>"
                            for v, k in zip(r, css, strict=True))
            rows.append(f"<tr>{cells}</tr>")
        notes = list(self.notes)
        if self.suppressed.to_numpy().any():
            notes.append(f"{SUPPRESSED}: not published under the disclosure rule (see Disclosure control).")
        foot = "".join(f"<p class='fe-note'>{html.escape(n)}</p>" for n in notes)
        return (f"<table class='fe-table' data-table='{html.escape(self.name)}'><caption>{html.escape(self.title)}"
                f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{foot}")


@dataclass(frozen=True, eq=False)
class Section(_Item):
    """A heading and what follows it."""

    heading: str
    items: tuple = ()
    level: int = 2

    def html(self) -> str:
        body = "".join(i.html() if isinstance(i, _Item) else str(i) for i in self.items)
        return f"<h{self.level}>{html.escape(self.heading)}</h{self.level}>{body}"


@dataclass(frozen=True, eq=False)
class EstimateView(_Item):
    """A registered headline estimate as a page shows it (the snapshot's one value).

    ``html()`` wraps the text in a ``data-estimand`` span carrying the exact values of
    ``results.json``, so tests can check that every page agrees with it.
    """

    name: str
    label: str
    unit: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    design: str = ""
    sms_level: int | None = None
    reason: str = ""

    @property
    def available(self) -> bool:
        return self.estimate is not None

    @property
    def value(self) -> str:
        return fmt.value(self.estimate, self.unit) if self.available else "not available"

    @property
    def interval(self) -> str:
        return fmt.interval(self.ci_low, self.ci_high, self.unit) if self.available else ""

    @property
    def text(self) -> str:
        """``0.78 (95% interval 0.63 to 0.97)`` with the unit's words where it has them."""
        if not self.available:
            return "not available"
        words = fmt.UNITS.get(self.unit, "")
        return f"{self.value}{' ' + words if words else ''} ({self.interval})"

    def excludes_no_effect(self) -> bool:
        """True when the interval excludes no effect (0 for differences, 1 for ratios)."""
        if not self.available:
            return False
        null = 1.0 if self.unit == "ratio" else 0.0
        return bool(self.ci_low > null or self.ci_high < null)

    def direction(self) -> int:
        """-1 when the whole interval is below no effect, +1 when above, 0 otherwise."""
        if not self.excludes_no_effect():
            return 0
        null = 1.0 if self.unit == "ratio" else 0.0
        return -1 if self.ci_high < null else 1

    def html(self) -> str:
        if not self.available:
            return f"<span class='fe-est' data-estimand='{self.name}'>not available</span>"
        attrs = " ".join(f"data-{k}='{'' if v is None else repr(round(float(v), 6))}'"
                         for k, v in (("estimate", self.estimate), ("ci-low", self.ci_low), ("ci-high", self.ci_high)))
        return f"<span class='fe-est' data-estimand='{self.name}' {attrs}>{html.escape(self.text)}</span>"


# ------------------------------------------------------------------------------------------ page
class Page:
    """One report: the single gate through which everything it shows is published.

    Parameters
    ----------
    snap : Snapshot
        The render's snapshot (:func:`foundation_eval.evaluation.snapshot.open_snapshot`).
    title : str
        Report title (the area or study).
    kind : str
        What the report is ("District report", "Force overview", ...).
    parameters : dict, optional
        Parameters shown in the provenance block.
    """

    def __init__(self, snap, title: str, kind: str = "", parameters: dict | None = None):
        self.snap = snap
        self.programme = snap.programme
        self.title = title
        self.kind = kind
        self.parameters = dict(parameters or {})
        self.rule = Rule.for_programme(self.programme)
        self.tables: list[Table] = []
        self._env = None

    # ---------------------------------------------------------------- numbers in words
    @property
    def threshold(self) -> int:
        return self.rule.threshold

    def count(self, n, noun: str = "people", singular: str | None = None) -> str:
        """A count for a sentence: rounded, or "fewer than 10" when it may not be published.

        Examples
        --------
        ``page.count(76)`` gives ``"75 people"``; ``page.count(3)`` gives ``"fewer than 10 people"``.
        """
        if n is None or _isnan(n):
            return f"fewer than {self.threshold} {noun}"
        if self.rule.hidden(n):
            return f"fewer than {self.threshold} {noun}"
        v = self.rule.publish(n)
        word = singular if (singular and v == 1) else noun
        return f"{v:,} {word}"

    def share(self, k, n, level: float = 0.95) -> dict:
        """:meth:`Rule.share` under this page's rule."""
        return self.rule.share(k, n, level)

    def estimate(self, name: str) -> EstimateView:
        """The snapshot's one value of a registered estimand, labelled as the registry defines it."""
        from foundation_eval.evaluation.registry import REGISTRY

        reg = REGISTRY[name]
        e = self.snap.estimate(name)
        if e is None:
            return EstimateView(name, reg.label, reg.unit, None, None, None,
                                reason=self.snap.unavailable.get(name, "Not estimated for this programme."))
        return EstimateView(name, reg.label, reg.unit, e.estimate, e.ci_low, e.ci_high, e.design, e.sms_level)

    # ---------------------------------------------------------------- items
    def say(self, template: str, *, css: str | None = None, **values) -> Text:
        """A sentence or paragraph from a Jinja2 template; every number goes through the page's filters.

        Filters: ``count`` (``{{ n | count("people") }}``), ``percent`` (a 0-100 value), ``proportion``
        (a 0-1 value), ``points``, ``ratio``, ``rate``, ``index``, ``money``, ``ordinal``, ``word``
        (a small number that is not a count of people), ``estimate`` (an :class:`EstimateView`:
        its value, interval and ``data-estimand`` span). Values are HTML-escaped.
        """
        out = self._jinja().from_string(template).render(**values)
        out = re.sub(r"\s+", " ", out).strip()
        return Text(f"<p class='{css}'>{out}</p>" if css else f"<p>{out}</p>")

    def _jinja(self):
        if self._env is None:
            from jinja2 import Environment
            from markupsafe import Markup

            env = Environment(autoescape=True)
            env.filters.update({
                "count": lambda n, noun="people", singular=None: self.count(n, noun, singular),
                "percent": lambda p: fmt.percent(p, scale=1),
                "proportion": fmt.percent,
                "points": fmt.points,
                "ratio": fmt.ratio,
                "rate": fmt.rate,
                "index": fmt.index,
                "money": lambda x: fmt.money(x, self.programme_currency),
                "ordinal": fmt.ordinal,
                "word": fmt.number_word,
                "plural": fmt.plural,
                "estimate": lambda e: Markup(e.html()),
            })
            self._env = env
        return self._env

    @property
    def programme_currency(self) -> str:
        cur = getattr(self.programme, "currency", "GBP") or "GBP"
        return "£" if cur == "GBP" else f"{cur} "

    def paragraph(self, text: str, css: str | None = None) -> Text:
        """Fixed prose with no numbers in it (escaped); names of the programme's districts may hold digits."""
        names = [d.name for d in getattr(self.programme, "districts", ())] + [
            str(getattr(self.programme, k, "") or "") for k in ("name", "force")]
        bare = text
        for name in sorted((n for n in names if n), key=len, reverse=True):
            bare = bare.replace(name, "")
        if re.search(r"\d", bare):
            raise ValueError("text with numbers must go through Page.say so that its numbers are controlled")
        return Text(f"<p class='{css}'>{html.escape(text)}</p>" if css else f"<p>{html.escape(text)}</p>")

    def heading(self, text: str, level: int = 2) -> Text:
        return Text(f"<h{level}>{html.escape(text)}</h{level}>")

    def bullets(self, items) -> Text:
        """A list of items (strings are escaped; Text items are kept)."""
        li = "".join(f"<li>{i.inline if isinstance(i, Text) else html.escape(str(i))}</li>"
                     for i in items)
        return Text(f"<ul>{li}</ul>")

    def table(self, name: str, frame: pd.DataFrame, *, title: str, counts=(), kinds: dict | None = None,
              headings: dict | None = None, notes=(), additive_within=None, additive: bool = True,
              hide: dict | None = None) -> Table:
        """Publish a table under the disclosure rule.

        Parameters
        ----------
        name, title : str
            Key and full title.
        frame : DataFrame
            Exact values (counts unrounded).
        counts : list or dict
            Count columns, or a mapping from each count column to the columns derived from it
            (withheld with it). Counts are suppressed (1 to threshold - 1, secondary within
            additive groups) and rounded to the base.
        kinds : dict
            Column to kind (:data:`KINDS`) for formatting; count columns default to ``"count"``.
        headings : dict
            Column to heading (every column should have a plain-English heading).
        notes : sequence of str
            Source notes.
        additive_within, additive
            As :func:`foundation_eval.reporting.disclosure.protect`.
        hide : dict, optional
            Extra cells to withhold: column to boolean mask (e.g. a rate whose denominator is hidden).
        """
        kinds = dict(kinds or {})
        shown = [(headings or {}).get(c, c) for c in frame.columns]
        dupes = sorted({h for h in shown if shown.count(h) > 1})
        if dupes:
            raise ValueError(f"table {name!r}: two columns would share the heading {dupes[0]!r}; give each its own")
        cols = list(counts) if not isinstance(counts, dict) else list(counts)
        for c in cols:
            kinds.setdefault(c, "count")
        prot = protect(frame, counts if isinstance(counts, dict) else list(counts), self.threshold,
                       additive_within=additive_within, additive=additive) if cols else None
        values = (prot.table if prot is not None else frame.reset_index(drop=True)).copy()
        supp = (prot.suppressed.copy() if prot is not None
                else pd.DataFrame(False, index=values.index, columns=values.columns))
        for c, mask in (hide or {}).items():
            m = np.asarray(mask, dtype=bool)
            supp[c] = supp[c].to_numpy() | m
            values[c] = values[c].astype(object).where(~m, None)
        for c in cols:
            values[c] = [None if (s or _isnan(v)) else self.rule.publish(v) for v, s in zip(values[c], supp[c], strict=True)]
            values[c] = pd.to_numeric(values[c], errors="coerce")
        t = Table(name, title, values, supp, kinds, dict(headings or {}), tuple(notes), tuple(cols))
        self.tables = [x for x in self.tables if x.name != name] + [t]
        return t

    def figure(self, ax, alt: str, title: str | None = None, caption: str | None = None) -> Figure:
        """A matplotlib figure as a self-contained ``<figure>`` with alt text (the figure is closed).

        Draw figures only from published values (a :class:`Table`'s ``values``) or from curves that
        stop where fewer than the threshold remain at risk.
        """
        from foundation_eval.reporting.figures import to_html

        t = title or (ax.get_title() if hasattr(ax, "get_title") else "")
        return Figure(t, alt, to_html(ax, alt, caption))

    # ---------------------------------------------------------------- standard blocks
    def header(self, subtitle: str = "") -> Text:
        """Title, subtitle, the synthetic-data flag and the stylesheet (for JupyterLab; the exported page
        carries the same stylesheet)."""
        prog = self.programme
        flag = " Synthetic demonstration data: no real person is described." if prog.illustrative else ""
        sub = html.escape(" ".join(x for x in (self.kind + ("." if self.kind else ""), subtitle) if x)) + html.escape(flag)
        return Text(f"<style>{stylesheet()}</style><h1>{html.escape(prog.name)}: {html.escape(self.title)}</h1>"
                    f"<p class='fe-sub'>{sub}</p>")

    def summary(self, sentences) -> Text:
        """The boxed summary at the top of a page, from sentences made by :meth:`say`."""
        body = " ".join(s.inline if isinstance(s, Text) else str(s)
                        for s in sentences if s is not None)
        return Text(f"<div class='fe-summary'><h2>Summary</h2><p>{body}</p></div>")

    def disclosure(self) -> Section:
        return Section("Disclosure control", (Text(f"<p>{html.escape(self.rule.text())}</p>"),))

    def provenance_rows(self) -> list[tuple[str, str]]:
        ds = self.snap.dataset
        return [
            ("Programme", f"{self.programme.name} ({self.programme.id})"),
            ("Input data SHA-256", ds.data_hash),
            ("foundation-eval version", __version__),
            ("Parameters", ", ".join(f"{k}={v}" for k, v in self.parameters.items()) or "defaults"),
            ("Rendered", _dt.date.today().isoformat()),
        ]

    def provenance(self) -> Section:
        body = "".join(f"<tr><th scope='row'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                       for k, v in self.provenance_rows())
        return Section("Provenance", (Text(f"<table class='fe-table fe-provenance'>{body}</table>"),))

    # ---------------------------------------------------------------- workbook
    def write_workbook(self, path) -> Path | None:
        """Every table this page published, as numbers with number formats, plus contents and notes."""
        if not path:
            return None
        from foundation_eval.reporting.workbook import write_workbook

        notes = [("Report", f"{self.programme.name}: {self.title}" + (f" ({self.kind})" if self.kind else "")),
                 ("Disclosure control", self.rule.text()),
                 (SUPPRESSED, "Not published under the disclosure rule.")]
        notes += self.provenance_rows()
        return write_workbook(self.tables, path, notes)


def show(*items) -> None:
    """Display published items in a notebook (tables, figures, sentences, sections)."""
    from IPython.display import HTML, display

    for item in items:
        if item is None:
            continue
        display(HTML(item.html() if isinstance(item, _Item) else str(item)))
