"""The publication layer: the one gate between results and readers.

A report is a [`Page`][foundation_eval.reporting.publication.Page]. Everything it shows goes through
the page: tables ([`Page.table`][foundation_eval.reporting.publication.Page.table]), figures
([`Page.figure`][foundation_eval.reporting.publication.Page.figure]), sentences
([`Page.say`][foundation_eval.reporting.publication.Page.say], Jinja2 templates whose filters format
every number by [`formats`][foundation_eval.reporting.formats]) and headline estimates
([`Page.estimate`][foundation_eval.reporting.publication.Page.estimate], read from the render's
snapshot, so every page and `results.json` give one value). The page remembers the tables it published
and writes the report's workbook
([`Page.write_workbook`][foundation_eval.reporting.publication.Page.write_workbook]).

Disclosure control ([`disclosure`][foundation_eval.reporting.disclosure], the one module holding the
[`Rule`][foundation_eval.reporting.disclosure.Rule] and every operation that applies it) covers the
whole render, not one table: every published count, in a table, a sentence or a chart, is rounded to a
base (5 by default) and counts from 1 to threshold - 1 (1 to 9 by default) are withheld and shown as
`[c]`, with secondary suppression within additive groups. Shares are withheld when the people with or
without the outcome number 1 to threshold - 1; rates and intervals built on a withheld count are
withheld; shares and rates are worked out from the published counts; curves are drawn only from
steps that pass the chart gate ([`curve_steps`][foundation_eval.reporting.disclosure.curve_steps]). A
sentence never states a count from 1 to threshold - 1:
[`Page.count`][foundation_eval.reporting.publication.Page.count] says "fewer than 10" instead, and
[`Page.paragraph`][foundation_eval.reporting.publication.Page.paragraph] refuses prose with digits in it.
The page records everything it publishes in its ledger, and
[`Page.audit`][foundation_eval.reporting.publication.Page.audit] works out, by linear programming, what
an intruder holding the whole page could learn of every withheld or rounded count
([`audit`][foundation_eval.reporting.audit]); a render audits every page.

The rules follow the Government Statistical Service guidance on disclosure control (GSS/GSR,
*Disclosure control guidance for tables produced from administrative sources*, 2014; Office for
National Statistics, *Statistical disclosure control policy*) and the methods of Hundepool et al.
(2012, *Statistical Disclosure Control*, Wiley; the chapter on frequency tables: cell suppression and
rounding). Rounding to base 5 is deterministic (to the nearest multiple, halves up), not random.

In a notebook:

```python
page = Page(open_snapshot(snapshot_dir, programme), "Southampton", kind="District report")
show(page.header())
show(page.table("funnel", frame, title="Referral funnel", counts={"n": ["percent"]},
                kinds={"percent": "percent"}))
```
"""
from __future__ import annotations

import datetime as _dt
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from foundation_eval import __version__
from foundation_eval.evaluation.verdict import risk_difference_ends
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting.audit import Facts, Ledger, audit
from foundation_eval.reporting.disclosure import (
    SUPPRESSED,
    ChartCounts,
    CurveSteps,
    Rule,
    _isnan,
    protect,
)
from foundation_eval.stats import wilson_interval

__all__ = ["PAGE_MIME", "Rule", "Table", "Figure", "Text", "Section", "EstimateView", "CellRef", "Page", "facts_path", "show",
           "stylesheet"]


# ------------------------------------------------------------------------------------------ items
def stylesheet() -> str:
    """The one stylesheet of every page (`reporting/templates/style.css`).

    [`Page.header`][foundation_eval.reporting.publication.Page.header] inlines it so that a notebook
    looks like the exported page, and every exported page carries it inline (no request leaves the
    page).

    Returns
    -------
    str
        The CSS text.

    Examples
    --------
    >>> css = stylesheet()
    >>> ".fe-summary" in css and ".fe-figure" in css
    True
    """
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
    """A published piece of text (already escaped HTML).

    Made by the page ([`Page.say`][foundation_eval.reporting.publication.Page.say],
    [`Page.paragraph`][foundation_eval.reporting.publication.Page.paragraph],
    [`Page.bullets`][foundation_eval.reporting.publication.Page.bullets] and the standard blocks), not
    by hand: the page is what checks its numbers. A notebook displays it as HTML.

    Attributes
    ----------
    markup : str
        The HTML, already escaped.

    Examples
    --------
    >>> t = Text("<p>75 people &amp; 40 visits</p>")
    >>> t.inline
    '75 people &amp; 40 visits'
    >>> t.plain
    '75 people & 40 visits'
    """

    markup: str

    def html(self) -> str:
        """The markup as published.

        Returns
        -------
        str
            HTML.
        """
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
    """A figure embedded as PNG with its alt text.

    Made by [`Page.figure`][foundation_eval.reporting.publication.Page.figure] from a matplotlib
    figure; the PNG is inside the markup, so the page needs no other file.

    Attributes
    ----------
    title : str
        The figure's title (from the axes when not given).
    alt : str
        Alternative text for screen readers: what the figure shows, in words.
    markup : str
        A self-contained `<figure>` element (see
        [`to_html`][foundation_eval.reporting.figures.to_html]).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from foundation_eval.reporting.figures import to_html
    >>> fig, ax = plt.subplots(figsize=(2, 2))
    >>> _ = ax.bar(["Southampton", "Eastleigh"], [75, 40])
    >>> alt = "Bar chart: 75 people listed in Southampton, 40 in Eastleigh"
    >>> f = Figure("People listed", alt, to_html(ax, alt))
    >>> f.html().startswith('<figure class="fe-figure"><img src="data:image/png;base64,')
    True
    """

    title: str
    alt: str
    markup: str

    def html(self) -> str:
        """The `<figure>` element as published.

        Returns
        -------
        str
            HTML with the PNG embedded.
        """
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

    Made by [`Page.table`][foundation_eval.reporting.publication.Page.table], which applies the
    disclosure rule; `values` hold only what may be published.

    Attributes
    ----------
    name : str
        Short key, unique within a page.
    title : str
        Full title (caption, workbook contents).
    values : DataFrame
        Published values: counts rounded, withheld cells missing.
    suppressed : DataFrame of bool
        Where a value was withheld (shown as `[c]`).
    kinds : dict
        Column to kind (one of `KINDS`: `"count"`, `"percent"` (0-100), `"proportion"` (0-1),
        `"points"`, `"ratio"`, `"index"`, `"rate"` (per 100 person-months), `"decimal1"`,
        `"decimal2"`, `"whole"`, `"money"`, `"p"`, `"text"`); columns not named are text.
    headings : dict
        Column to heading.
    notes : tuple of str
        Source notes printed under the table and in the workbook.
    counts : tuple of str
        Columns holding counts of people or records.

    Examples
    --------
    A count of 4 is withheld; the next smallest count in the column is withheld too, or the
    published total would give it back (secondary suppression):

    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> from foundation_eval.config import load_programme
    >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Force overview")
    >>> frame = pd.DataFrame({"district": ["Southampton", "Eastleigh", "Fareham"],
    ...                       "n": [76, 4, 42], "percent": [62.3, 3.3, 34.4]})
    >>> t = page.table("listed", frame, title="People listed, by district", counts={"n": ["percent"]},
    ...                kinds={"percent": "percent"},
    ...                headings={"district": "District", "n": "People listed", "percent": "Share (%)"})
    >>> t.display()
          District People listed Share (%)
    0  Southampton            75       62%
    1    Eastleigh           [c]       [c]
    2      Fareham           [c]       [c]
    >>> t.suppressed["n"].tolist()
    [False, True, True]
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
        """Strings as published: numbers formatted by kind, withheld cells as `[c]`, headings applied.

        Returns
        -------
        DataFrame
            One string column per column of `values`, named by its heading, on a fresh 0-based index.

        Examples
        --------
        >>> import pandas as pd
        >>> t = Table("funnel", "Referral funnel", pd.DataFrame({"stage": ["Listed"], "n": [75]}),
        ...           pd.DataFrame({"stage": [False], "n": [True]}), kinds={"n": "count"})
        >>> t.display()
            stage    n
        0  Listed  [c]
        """
        out = pd.DataFrame(index=self.values.index)
        for c in self.values.columns:
            kind = self.kinds.get(c, "text")
            col = [_show(v, kind) for v in self.values[c]]
            col = [SUPPRESSED if s else v for v, s in zip(col, self.suppressed[c], strict=True)]
            out[self.headings.get(c, c)] = col
        return out.reset_index(drop=True)

    def html(self) -> str:
        """The table as published: caption, headings, formatted cells, notes and the `[c]` note.

        Count cells carry the class `fe-count`, so that checks of a rendered page can find every
        published count.

        Returns
        -------
        str
            A `<table>` element followed by its notes.
        """
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
    """A heading and what follows it.

    Attributes
    ----------
    heading : str
        The heading text (escaped when shown).
    items : tuple
        Published items ([`Text`][foundation_eval.reporting.publication.Text],
        [`Table`][foundation_eval.reporting.publication.Table], ...); other values are shown as
        their string, unescaped.
    level : int
        Heading level (2 for `<h2>`).

    Examples
    --------
    >>> Section("Engagement", (Text("<p>Most people were visited.</p>"),), level=3).html()
    '<h3>Engagement</h3><p>Most people were visited.</p>'
    """

    heading: str
    items: tuple = ()
    level: int = 2

    def html(self) -> str:
        """The heading followed by each item's HTML.

        Returns
        -------
        str
            HTML.
        """
        body = "".join(i.html() if isinstance(i, _Item) else str(i) for i in self.items)
        return f"<h{self.level}>{html.escape(self.heading)}</h{self.level}>{body}"


@dataclass(frozen=True, eq=False)
class EstimateView(_Item):
    """A registered headline estimate as a page shows it (the snapshot's one value).

    Made by [`Page.estimate`][foundation_eval.reporting.publication.Page.estimate].
    [`html`][foundation_eval.reporting.publication.EstimateView.html] wraps the text in a
    `data-estimand` span carrying the exact values of `results.json`, so tests can check that every
    page agrees with it. "No effect" is 1 for a ratio and 0 for a difference or rate change.

    Attributes
    ----------
    name : str
        Registered estimand name (the `truth.json` vocabulary).
    label : str
        What it estimates, in words (from the registry).
    unit : str
        `"points"`, `"ratio"`, `"rate"` or `"index"` (see
        [`formats.value`][foundation_eval.reporting.formats.value]).
    estimate, ci_low, ci_high : float or None
        The estimate and its 95% interval on the fitted scale (a difference of proportions for
        `points`, events per person-month for `rate`); None when not available.
    design : str
        The design that estimated it.
    sms_level : int or None
        Its level on the Maryland Scientific Methods Scale.
    reason : str
        Why it is not available, when it is not.

    Examples
    --------
    >>> e = EstimateView("reoffending_hr_programme", "Hazard ratio of a further DA offence", "ratio",
    ...                  0.7812, 0.63, 0.97)
    >>> e.text, e.excludes_no_effect(), e.direction()
    ('0.78 (95% interval 0.63 to 0.97)', True, -1)
    >>> d = EstimateView("engagement_rd_practitioner", "Difference in the share engaged", "points",
    ...                  0.05, -0.02, 0.12)
    >>> d.text, d.direction()
    ('+5.0 percentage points (95% interval -2.0 to +12.0)', 0)
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
        """Whether the snapshot holds a value for this estimand."""
        return self.estimate is not None

    @property
    def value(self) -> str:
        """The estimate formatted in its unit (`"0.78"`, `"-9.3"`), or `"not available"`."""
        return fmt.value(self.estimate, self.unit) if self.available else "not available"

    @property
    def interval(self) -> str:
        """The interval in words (`"95% interval 0.63 to 0.97"`), or empty when not available."""
        return fmt.interval(self.ci_low, self.ci_high, self.unit) if self.available else ""

    @property
    def text(self) -> str:
        """`0.78 (95% interval 0.63 to 0.97)`, with the unit's words where it has them; a difference in
        risk's interval cut to its possible range (-100 to +100 points) says so."""
        if not self.available:
            return "not available"
        words = fmt.UNITS.get(self.unit, "")
        cut = self.unit == "points" and risk_difference_ends(self.ci_low, self.ci_high) > 0
        return f"{self.value}{' ' + words if words else ''} ({self.interval}{', cut to the possible range' if cut else ''})"

    def excludes_no_effect(self) -> bool:
        """Whether the interval excludes no effect (0 for differences, 1 for ratios).

        Returns
        -------
        bool
            True when `ci_low` > null or `ci_high` < null; False when not available.

        Examples
        --------
        >>> EstimateView("x", "A ratio", "ratio", 0.9, 0.7, 1.1).excludes_no_effect()
        False
        """
        if not self.available:
            return False
        null = 1.0 if self.unit == "ratio" else 0.0
        return bool(self.ci_low > null or self.ci_high < null)

    def direction(self) -> int:
        """Which side of no effect the whole interval lies on.

        Returns
        -------
        int
            -1 when the whole interval is below no effect, +1 when above, 0 otherwise (including
            when not available).

        Examples
        --------
        >>> EstimateView("x", "A difference", "points", 0.08, 0.02, 0.14).direction()
        1
        """
        if not self.excludes_no_effect():
            return 0
        null = 1.0 if self.unit == "ratio" else 0.0
        return -1 if self.ci_high < null else 1

    def html(self) -> str:
        """The text in a `data-estimand` span whose `data-estimate`, `data-ci-low` and `data-ci-high`
        hold the values of `results.json` (rounded to 6 decimals).

        Returns
        -------
        str
            HTML; `not available` in the span when there is no value.

        Examples
        --------
        >>> EstimateView("reoffending_hr_programme", "Hazard ratio", "ratio", 0.7812, 0.63, 0.97).html()
        "<span class='fe-est' data-estimand='reoffending_hr_programme' data-estimate='0.7812' data-ci-low='0.63' data-ci-high='0.97'>0.78 (95% interval 0.63 to 0.97)</span>"
        """
        if not self.available:
            return f"<span class='fe-est' data-estimand='{self.name}'>not available</span>"
        attrs = " ".join(f"data-{k}='{'' if v is None else repr(round(float(v), 6))}'"
                         for k, v in (("estimate", self.estimate), ("ci-low", self.ci_low), ("ci-high", self.ci_high)))
        return f"<span class='fe-est' data-estimand='{self.name}' {attrs}>{html.escape(self.text)}</span>"


@dataclass(frozen=True)
class CellRef:
    """A reference to one cell of a page's table (made by
    [`Page.cell`][foundation_eval.reporting.publication.Page.cell]).

    Attributes
    ----------
    table : str
        The table's name on the page.
    column : str
        The column.
    row : int or None
        The row's position, or None to pick it by `where`.
    where : tuple of (str, value)
        Column values that pick out the row.

    Examples
    --------
    >>> CellRef("who_was_listed", "n", None, (("category", "priority"),))
    CellRef(table='who_was_listed', column='n', row=None, where=(('category', 'priority'),))
    """

    table: str
    column: str
    row: int | None = None
    where: tuple = ()


# ------------------------------------------------------------------------------------------ page
class Page:
    """One report: the single gate through which everything it shows is published.

    The page applies its programme's disclosure rule
    ([`Rule.for_programme`][foundation_eval.reporting.disclosure.Rule.for_programme]) to every table,
    sentence and chart it makes, keeps the tables it published (`tables`) for the workbook, and records
    everything it published, with the exact values behind it, in its `ledger`
    ([`Ledger`][foundation_eval.reporting.audit.Ledger]), so that
    [`audit`][foundation_eval.reporting.publication.Page.audit] can compute what an intruder holding the
    whole page could work out ([`audit`][foundation_eval.reporting.audit.audit]).

    Parameters
    ----------
    snap : Snapshot
        The render's snapshot
        ([`open_snapshot`][foundation_eval.evaluation.snapshot.open_snapshot]). The page reads its
        `programme`; headline estimates and the provenance block also read `estimate`,
        `unavailable` and `dataset.data_hash`.
    title : str
        Report title (the area or study).
    kind : str
        What the report is ("District report", "Force overview", ...).
    parameters : dict, optional
        Parameters shown in the provenance block.

    Attributes
    ----------
    snap : Snapshot
        As given.
    programme : Programme
        The snapshot's programme.
    rule : Rule
        The disclosure rule of the programme.
    tables : list of Table
        The tables published so far, in order (one per name: publishing a name again replaces it).
    ledger : Ledger
        Everything published so far, with its exact values (in memory only).

    Examples
    --------
    A page built from hand-made numbers: a snapshot holding only the programme and one estimate.

    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> from foundation_eval.config import load_programme
    >>> from foundation_eval.evaluation.estimates import Estimate
    >>> from foundation_eval.evaluation.snapshot import Snapshot
    >>> prog = load_programme("hiow")
    >>> hr = Estimate("reoffending_hr_programme", 0.78, 0.63, 0.97, "Cox model by district", 3)
    >>> snap = Snapshot(SimpleNamespace(programme=prog, data_hash="0" * 64), (hr,))
    >>> page = Page(snap, "Southampton", kind="District report")
    >>> page.say("{{ n | count }} were listed and {{ k | count }} declined.", n=76, k=4).plain
    '75 people were listed and fewer than 10 people declined.'
    >>> page.say("Hazard ratio {{ e | estimate }}.", e=page.estimate("reoffending_hr_programme")).plain
    'Hazard ratio 0.78 (95% interval 0.63 to 0.97).'
    >>> t = page.table("stages", pd.DataFrame({"stage": ["Listed", "Declined"], "n": [76, 4]}),
    ...                title="People at each stage", counts=["n"], additive=False)
    >>> t.display()["n"].tolist()
    ['75', '[c]']

    Prose that holds a number is refused: it must go through `say`, whose filters control it.

    >>> page.paragraph("Four people declined.").plain
    'Four people declined.'
    >>> page.paragraph("4 people declined.")
    Traceback (most recent call last):
    ...
    ValueError: text with numbers must go through Page.say so that its numbers are controlled
    """

    def __init__(self, snap, title: str, kind: str = "", parameters: dict | None = None):
        self.snap = snap
        self.programme = snap.programme
        self.title = title
        self.kind = kind
        self.parameters = dict(parameters or {})
        self.rule = Rule.for_programme(self.programme)
        self.tables: list[Table] = []
        self.ledger = Ledger(self.rule, title)
        self._same: list[tuple[str, CellRef]] = []
        self._links: list[tuple[list, list, str]] = []
        self._env = None

    # ---------------------------------------------------------------- numbers in words
    @property
    def threshold(self) -> int:
        """The smallest count that may be published (10 by default)."""
        return self.rule.threshold

    def count(self, n, noun: str = "people", singular: str | None = None, same_as: CellRef | None = None) -> str:
        """A count for a sentence: rounded, or "fewer than 10" when it may not be published.

        The threshold in the words is the page's (10 by default). A missing count (None or NaN) also
        reads "fewer than" the threshold. Every whole count a sentence states is recorded in the
        page's ledger for the audit. When the count is a cell of a table (`same_as`), the two are one
        quantity to the audit, and a sentence may not state a count the table withholds.

        Parameters
        ----------
        n : int, float or None
            Exact count.
        noun : str
            What is counted, in the plural.
        singular : str, optional
            The noun for a published count of exactly 1 (only possible with threshold 1 and base 1).
        same_as : CellRef, optional
            The table cell holding the same quantity
            ([`cell`][foundation_eval.reporting.publication.Page.cell]).

        Returns
        -------
        str
            The published count with a thousands comma and the noun.

        Raises
        ------
        ValueError
            When `same_as` names a cell its table withholds and the sentence would state the count.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton")
        >>> page.count(76), page.count(3), page.count(1445, "offences")
        ('75 people', 'fewer than 10 people', '1,445 offences')
        """
        if n is None or _isnan(n) or self.rule.hidden(n):
            words = f"fewer than {self.threshold} {noun}"
        else:
            v = self.rule.publish(n)
            words = f"{v:,} {singular if (singular and v == 1) else noun}"
        qid = self.ledger.sentence(n, words)
        if qid is not None and same_as is not None:
            self._same.append((qid, same_as))
            try:
                self._check_same()
            except ValueError:
                self._same.pop()  # a refused sentence is not published: later items are not refused for it
                raise
        return words

    def share(self, k, n, level: float = 0.95) -> dict:
        """A proportion with its Wilson interval under this page's rule (see
        [`Rule.share`][foundation_eval.reporting.disclosure.Rule.share]).

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
            `{"k", "n", "pct", "low", "high"}`: counts as published, percentages (0-100) from the
            published counts; withheld values are None.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton")
        >>> s = page.share(30, 76)
        >>> s["k"], s["n"], round(s["pct"])
        (30, 75, 40)
        >>> page.share(3, 76)["pct"] is None
        True
        """
        return self.rule.share(k, n, level)

    def estimate(self, name: str) -> EstimateView:
        """The snapshot's one value of a registered estimand, labelled as the registry defines it.

        Parameters
        ----------
        name : str
            A name in [`REGISTRY`][foundation_eval.evaluation.registry.REGISTRY].

        Returns
        -------
        EstimateView
            The value, interval, design and Maryland level, or "not available" with the
            snapshot's reason.

        Raises
        ------
        KeyError
            When `name` is not a registered estimand.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> from foundation_eval.evaluation.estimates import Estimate
        >>> from foundation_eval.evaluation.snapshot import Snapshot
        >>> hr = Estimate("reoffending_hr_programme", 0.78, 0.63, 0.97, "Cox model by district", 3)
        >>> snap = Snapshot(SimpleNamespace(programme=load_programme("hiow")), (hr,),
        ...                 {"ppit_auc_12m": "No risk-tool scores in this extract."})
        >>> page = Page(snap, "Force overview")
        >>> e = page.estimate("reoffending_hr_programme")
        >>> e.text, e.sms_level
        ('0.78 (95% interval 0.63 to 0.97)', 3)
        >>> page.estimate("ppit_auc_12m").reason
        'No risk-tool scores in this extract.'
        """
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

        Filters: `count` (`{{ n | count("people") }}`, the disclosure rule; `count(same_as=ref)` when
        the count is a table's cell, see [`count`][foundation_eval.reporting.publication.Page.count]),
        `percent` (a 0-100
        value), `proportion` (a 0-1 value), `points`, `ratio`, `rate` (per person-month, shown per
        100), `index`, `money` (in the programme's currency), `ordinal`, `word` (a small number that
        is not a count of people), `plural`, `estimate` (an
        [`EstimateView`][foundation_eval.reporting.publication.EstimateView]: its value, interval and
        `data-estimand` span). Formatting follows [`formats`][foundation_eval.reporting.formats].
        Values are HTML-escaped (the template's own text is not); runs of white space become one
        space.

        Parameters
        ----------
        template : str
            Jinja2 template text.
        css : str, optional
            Class of the paragraph.
        **values
            The template's variables.

        Returns
        -------
        Text
            One `<p>` element.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton")
        >>> page.say("{{ n | count }} were listed; {{ p | proportion }} engaged; "
        ...          "{{ k | word }} districts went live first.", n=147, p=0.4567, k=2).markup
        '<p>145 people were listed; 46% engaged; two districts went live first.</p>'
        >>> page.say("{{ n | count('referrals') }} to {{ service }}.", n=8, service="Drugs & alcohol",
        ...          css="fe-note").markup
        "<p class='fe-note'>fewer than 10 referrals to Drugs &amp; alcohol.</p>"
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
                "count": lambda n, noun="people", singular=None, same_as=None: self.count(n, noun, singular, same_as),
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
        """The symbol money is shown in: `£` for GBP, otherwise the currency code and a space."""
        cur = getattr(self.programme, "currency", "GBP") or "GBP"
        return "£" if cur == "GBP" else f"{cur} "

    def paragraph(self, text: str, css: str | None = None) -> Text:
        """Fixed prose with no numbers in it (escaped); names of the programme's districts may hold digits.

        Prose is checked for digits after removing the names of the programme, its force and its
        districts; any digit left means a number would escape the disclosure rule.

        Parameters
        ----------
        text : str
            Plain text (HTML is escaped).
        css : str, optional
            Class of the paragraph.

        Returns
        -------
        Text
            One `<p>` element.

        Raises
        ------
        ValueError
            When the text holds a digit: write it with
            [`say`][foundation_eval.reporting.publication.Page.say] instead.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton")
        >>> page.paragraph("Practitioners & police visit together.").markup
        '<p>Practitioners &amp; police visit together.</p>'
        >>> page.paragraph("Visits rose by 12 in March.")
        Traceback (most recent call last):
        ...
        ValueError: text with numbers must go through Page.say so that its numbers are controlled
        """
        names = [d.name for d in getattr(self.programme, "districts", ())] + [
            str(getattr(self.programme, k, "") or "") for k in ("name", "force")]
        bare = text
        for name in sorted((n for n in names if n), key=len, reverse=True):
            bare = bare.replace(name, "")
        if re.search(r"\d", bare):
            raise ValueError("text with numbers must go through Page.say so that its numbers are controlled")
        return Text(f"<p class='{css}'>{html.escape(text)}</p>" if css else f"<p>{html.escape(text)}</p>")

    def heading(self, text: str, level: int = 2) -> Text:
        """A heading (escaped).

        Parameters
        ----------
        text : str
            Heading text.
        level : int
            Heading level (2 for `<h2>`).

        Returns
        -------
        Text
            One heading element.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton")
        >>> page.heading("Engagement & referrals", 3).markup
        '<h3>Engagement &amp; referrals</h3>'
        """
        return Text(f"<h{level}>{html.escape(text)}</h{level}>")

    def bullets(self, items) -> Text:
        """A bulleted list (strings are escaped; Text items are kept, without their paragraph).

        Parameters
        ----------
        items : iterable of str or Text
            The list items; make any item with a number by
            [`say`][foundation_eval.reporting.publication.Page.say].

        Returns
        -------
        Text
            One `<ul>` element.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton")
        >>> page.bullets(["Visits & calls", page.say("{{ n | count }} listed", n=76)]).markup
        '<ul><li>Visits &amp; calls</li><li>75 people listed</li></ul>'
        """
        li = "".join(f"<li>{i.inline if isinstance(i, Text) else html.escape(str(i))}</li>"
                     for i in items)
        return Text(f"<ul>{li}</ul>")

    def table(self, name: str, frame: pd.DataFrame, *, title: str, counts=(), kinds: dict | None = None,
              headings: dict | None = None, notes=(), additive_within=None, additive: bool = True,
              hide: dict | None = None, nested: bool = False, total_rows=None, shares: dict | None = None,
              rates: dict | None = None) -> Table:
        """Publish a table under the disclosure rule.

        Counts from 1 to threshold - 1 are withheld (primary suppression), then the next smallest
        count of any additive group left with exactly one withheld cell (secondary suppression, by
        [`protect`][foundation_eval.reporting.disclosure.protect]); the columns derived from a
        withheld count are withheld with it; the remaining counts are rounded to the base. Shares and
        rates declared in `shares` and `rates` are worked out here from the published counts
        ([`Rule.share`][foundation_eval.reporting.disclosure.Rule.share],
        [`Rule.rate`][foundation_eval.reporting.disclosure.Rule.rate]). The table is kept in `tables`
        (replacing one of the same name) for the workbook, and recorded in the page's ledger with its
        additive groups, nested stages and derived columns for the audit.

        Parameters
        ----------
        name : str
            Short key, unique within the page.
        frame : DataFrame
            Exact values (counts unrounded).
        title : str
            Full title.
        counts : list or dict
            Count columns, or a mapping from each count column to the columns derived from it
            (withheld with it). Counts are suppressed (1 to threshold - 1, secondary within
            additive groups) and rounded to the base.
        kinds : dict
            Column to kind (`KINDS`; see [`Table`][foundation_eval.reporting.publication.Table]) for
            formatting; count columns default to `"count"`.
        headings : dict
            Column to heading (every column should have a plain-English heading).
        notes : sequence of str
            Source notes.
        additive_within : str or list of str, optional
            Rows sharing these columns' values add up to a total: secondary suppression within each
            group (as in [`protect`][foundation_eval.reporting.disclosure.protect]).
        additive : bool
            Without `additive_within`, whether all rows of a count column add up to a total (False
            for nested stages such as a funnel).
        hide : dict, optional
            Extra cells to withhold: column to boolean mask (e.g. a rate whose denominator is hidden).
        nested : bool
            The rows are nested stages (each counts people who also reached the row above), within each
            additive group if any: the audit knows each is at most the one above.
        total_rows : array-like of bool, optional
            Rows that are the total of the other rows of their group (a "Total" or "All" row).
        shares : dict, optional
            Share column to `(numerator, denominator)` or `(numerator, denominator, low, high)`: the
            numerator is a count column; the denominator a count column of the same row (or a tuple of
            them, added up: people with and without the outcome), `"total"` (the numerator's total over
            its additive group), `"first"` (the group's first row) or `"previous"` (the row above). The share, in the column's kind (`percent` 0-100 or
            `proportion` 0-1), and its Wilson interval are worked out from the published counts, and
            withheld where the numerator, the denominator or their difference is 1 to threshold - 1.
        rates : dict, optional
            Rate column to `(count, exposure)`, `(count, exposure, per)` or `(count, exposure, per, low,
            high)`: the rate per `per` of person-time and its exact Poisson interval are worked out from
            the published count and the exposure published to the nearest `exposure_base` (the
            exposure column is replaced by its published value).

        Returns
        -------
        Table
            The published table.

        Raises
        ------
        ValueError
            When two columns would share a heading.
        KeyError
            When a count or derived column is not in `frame`.

        Examples
        --------
        Two characteristics in one long table: 3 women is withheld, and the 19 men beside them too,
        since the group's total would give the 3 back.

        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton")
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"group": ["Sex", "Sex", "Age", "Age"],
        ...                       "category": ["Men", "Women", "18-24", "25-30"], "n": [19, 3, 12, 10]})
        >>> t = page.table("table1", frame, title="Characteristics of people listed", counts=["n"],
        ...                additive_within="group")
        >>> t.display()
          group category    n
        0   Sex      Men  [c]
        1   Sex    Women  [c]
        2   Age    18-24   10
        3   Age    25-30   10
        >>> page.table("bad", frame, title="Two headings alike", headings={"group": "n"})
        Traceback (most recent call last):
        ...
        ValueError: table 'bad': two columns would share the heading 'n'; give each its own

        A share worked out from the published counts (30 of 75, not 30 of 76):

        >>> funnel = pd.DataFrame({"stage": ["Listed", "Engaged"], "n": [76, 30], "percent": [100.0, 0.0]})
        >>> t = page.table("funnel", funnel, title="Funnel", counts={"n": ["percent"]}, additive=False,
        ...                nested=True, kinds={"percent": "percent"}, shares={"percent": ("n", "first")})
        >>> t.display()["percent"].tolist()
        ['100%', '40%']
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
        exact = frame.reset_index(drop=True)
        groups = self._groups(exact, additive_within, additive or nested)
        if shares:
            self._shares(name, exact, values, supp, shares, kinds, groups)
        if rates:
            self._rates(name, exact, values, supp, rates)
        t = Table(name, title, values, supp, kinds, dict(headings or {}), tuple(notes), tuple(cols))
        self.tables = [x for x in self.tables if x.name != name] + [t]
        derived = dict(counts) if isinstance(counts, dict) else {c: [] for c in cols}
        gated = [c for spec in (shares or {}).items() for c in (spec[0], *spec[1][2:])]
        gated += [c for spec in (rates or {}).items() for c in (spec[0], *spec[1][3:])]
        self.ledger.table(name, exact, values, supp, cols, derived, kinds, headings, groups, nested, total_rows, title,
                          additive=additive_within is not None or additive, gated=gated)
        self._check_same()
        return t

    @staticmethod
    def _groups(frame: pd.DataFrame, additive_within, whole: bool) -> list:
        """Row positions of each additive group: by `additive_within`, else the whole table (or none)."""
        if additive_within is not None:
            keys = [additive_within] if isinstance(additive_within, str) else list(additive_within)
            return [np.asarray(ix) for ix in frame.groupby(keys, sort=False, dropna=False).indices.values()]
        return [np.arange(len(frame))] if whole and len(frame) else []

    def _shares(self, name, exact, values, supp, shares, kinds, groups) -> None:
        """Shares and their Wilson intervals from the published counts (`Page.table`'s `shares`)."""
        group_of = {int(r): g for g in groups for r in g}
        for col, spec in shares.items():
            num, den, *ci = spec
            scale = 1.0 if kinds.get(col) == "proportion" else 100.0
            dens = list(den) if isinstance(den, (list, tuple)) else [den] if den in exact.columns else []
            for c in (num, col, *ci, *dens):
                if c not in exact.columns:
                    raise KeyError(f"table {name!r}: share column {c!r} is not in the table")
            out = {c: [None] * len(exact) for c in (col, *ci)}
            blank = np.zeros(len(exact), dtype=bool)  # no denominator (the first stage): empty, not withheld
            for i in range(len(exact)):
                k = exact[num].iloc[i]
                rows = group_of.get(i, np.arange(len(exact)))
                pos = list(rows).index(i) if i in list(rows) else 0
                if den == "total":
                    n = pd.to_numeric(exact[num].iloc[rows], errors="coerce").sum()
                    den_hidden = False
                elif den == "first":
                    n = exact[num].iloc[rows[0]]
                    den_hidden = bool(supp[num].iloc[rows[0]])
                elif den == "previous":
                    n = exact[num].iloc[rows[pos - 1]] if pos > 0 else None
                    den_hidden = pos > 0 and bool(supp[num].iloc[rows[pos - 1]])
                else:
                    n = pd.to_numeric(exact[dens].iloc[i], errors="coerce").sum(min_count=len(dens))
                    den_hidden = any(bool(supp[c].iloc[i]) for c in dens if c != num)
                if n is None or _isnan(n):
                    blank[i] = True
                    continue
                # a share over a withheld denominator would give that denominator back
                if _isnan(k) or bool(supp[num].iloc[i]) or den_hidden:
                    continue
                s = self.rule.share(int(k), int(n))
                if s["pct"] is None:
                    continue
                if len(dens) > 1:  # over the published parts, which a reader can add up, not their rounded sum
                    parts = [values[c].iloc[i] for c in dens]
                    if any(bool(supp[c].iloc[i]) or _isnan(v) for c, v in zip(dens, parts, strict=True)):
                        continue
                    pn = float(sum(parts))
                    if not pn > 0:
                        continue
                    lo, hi = wilson_interval(s["k"], pn)
                    s = {"pct": 100 * s["k"] / pn, "low": 100 * lo, "high": 100 * hi}
                out[col][i] = s["pct"] * scale / 100
                for c, key in zip(ci, ("low", "high"), strict=False):
                    out[c][i] = s[key] * scale / 100
            for c, v in out.items():
                gone = (np.array([x is None for x in v]) & ~blank) | supp[c].to_numpy(dtype=bool)
                supp[c] = gone
                values[c] = pd.to_numeric(pd.Series(v, dtype=object), errors="coerce").to_numpy()
                values.loc[gone | blank, c] = np.nan

    def _rates(self, name, exact, values, supp, rates) -> None:
        """Rates and their exact Poisson intervals from the published count and exposure (`rates`)."""
        for col, spec in rates.items():
            count, exposure, *rest = spec
            per = float(rest[0]) if rest else 1.0
            ci = rest[1:3]
            for c in (count, exposure, col, *ci):
                if c not in exact.columns:
                    raise KeyError(f"table {name!r}: rate column {c!r} is not in the table")
            out = {c: [None] * len(exact) for c in (col, *ci)}
            pub_e = [None] * len(exact)
            for i in range(len(exact)):
                k, e = exact[count].iloc[i], exact[exposure].iloc[i]
                if _isnan(e):
                    continue
                pub_e[i] = self.rule.exposure(e)
                if _isnan(k) or bool(supp[count].iloc[i]):
                    continue
                r = self.rule.rate(int(k), float(e), per=per)
                if r["rate"] is None:
                    continue
                out[col][i] = r["rate"]
                for c, key in zip(ci, ("low", "high"), strict=False):
                    out[c][i] = r[key]
            values[exposure] = pd.to_numeric(pd.Series(pub_e, dtype=object), errors="coerce").where(
                ~supp[exposure].to_numpy()).to_numpy()
            for c, v in out.items():
                gone = np.array([x is None for x in v]) | supp[c].to_numpy(dtype=bool)  # withheld stays empty
                supp[c] = gone
                values[c] = pd.to_numeric(pd.Series(v, dtype=object), errors="coerce").to_numpy()
                values.loc[gone, c] = np.nan

    # ---------------------------------------------------------------- links and the audit
    def cell(self, table: str, column: str, row: int | None = None, **where) -> CellRef:
        """A reference to one published cell, for a sentence's `same_as` or a
        [`link`][foundation_eval.reporting.publication.Page.link].

        Parameters
        ----------
        table : str
            The table's name on this page.
        column : str
            A count column.
        row : int, optional
            The row's position; or give `where`.
        **where
            Column values that pick out exactly one row (e.g. `category="priority"`).

        Returns
        -------
        CellRef

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> import pandas as pd
        >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton")
        >>> t1 = page.table("t1", pd.DataFrame({"category": ["priority", "not priority", "not assessed"],
        ...                                     "n": [20, 51, 5]}), title="PPIT", counts=["n"])
        >>> page.say("{{ k | count(same_as=ref) }} were a priority.", k=20,
        ...          ref=page.cell("t1", "n", category="priority"))
        Traceback (most recent call last):
        ...
        ValueError: a sentence states 20 people, but table 't1' withholds that count (priority: n); say it without the number
        """
        return CellRef(table, column, row, tuple(sorted(where.items())))

    def _resolve(self, ref: CellRef) -> tuple[str, Table, int] | None:
        t = next((x for x in self.tables if x.name == ref.table), None)
        if t is None:
            return None
        if ref.row is not None:
            i = int(ref.row)
        else:
            mask = np.ones(len(t.values), bool)
            for k, v in ref.where:
                if k not in t.values.columns:
                    raise KeyError(f"table {ref.table!r} has no column {k!r}")
                mask &= (t.values[k].astype(object) == v).to_numpy()
            rows = np.flatnonzero(mask)
            if len(rows) != 1:
                raise ValueError(f"{ref} picks out {len(rows)} rows of table {ref.table!r}, not one")
            i = int(rows[0])
        if ref.column not in t.values.columns:
            raise KeyError(f"table {ref.table!r} has no column {ref.column!r}")
        return f"t:{ref.table}:{i}:{ref.column}", t, i

    def _check_same(self) -> None:
        """Refuse a sentence that states a count its table withholds (once both are published)."""
        for qid, ref in self._same:
            found = self._resolve(ref)
            if found is None:
                continue
            _, t, i = found
            q = next((b.q[qid] for b in self.ledger._bundles.values() if qid in b.q), None)
            if q is not None and q["audit"] != "withheld" and bool(t.suppressed[ref.column].iloc[i]):
                label = ", ".join(str(v) for _, v in ref.where) or f"row {i + 1}"
                raise ValueError(f"a sentence states {q['cell']}, but table {ref.table!r} withholds that count "
                                 f"({label}: {ref.column}); say it without the number")

    def link(self, a, b, why: str = "") -> None:
        """Tell the audit that two published quantities are the same (each a cell or a list of cells summed).

        For the same people counted in two tables: the funnel's "Listed" and the total of Table 1, or
        its "Assessed" and Table 1's assessed rows. Links are resolved when the facts are taken.

        Parameters
        ----------
        a, b : CellRef or list of CellRef
            The two sides.
        why : str
            What they both count.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> import pandas as pd
        >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Area")
        >>> _ = page.table("funnel", pd.DataFrame({"stage": ["Listed", "Assessed"], "n": [76, 71]}),
        ...                title="Funnel", counts=["n"], additive=False, nested=True)
        >>> _ = page.table("t1", pd.DataFrame({"ppit": ["assessed", "not assessed"], "n": [71, 5]}),
        ...                title="Table 1", counts=["n"])
        >>> page.link(page.cell("funnel", "n", stage="Assessed"), page.cell("t1", "n", ppit="assessed"))
        >>> page.audit().passed
        True
        """
        self._links.append(([a] if isinstance(a, CellRef) else list(a), [b] if isinstance(b, CellRef) else list(b),
                            why))

    def facts(self) -> Facts:
        """What an intruder holding this whole page knows ([`Ledger.facts`][foundation_eval.reporting.audit.Ledger.facts]).

        Returns
        -------
        Facts
            With sentence counts and links resolved to the cells they name; no exact value.
        """
        extra = []
        for qid, ref in self._same:
            found = self._resolve(ref)
            if found is not None:
                extra.append(([qid], [found[0]], "a sentence states a table's cell"))
        for a, b, why in self._links:
            ra, rb = [self._resolve(r) for r in a], [self._resolve(r) for r in b]
            if all(x is not None for x in (*ra, *rb)):
                extra.append(([x[0] for x in ra], [x[0] for x in rb], why or "the same quantity"))
        return self.ledger.facts(extra)

    def audit(self):
        """The intruder audit of everything this page has published so far.

        Returns
        -------
        AuditResult
            See [`audit`][foundation_eval.reporting.audit.audit].
        """
        return audit(self.facts())

    def figure(self, ax, alt: str, title: str | None = None, caption: str | None = None, data=None,
               same_as: dict | None = None) -> Figure:
        """A matplotlib figure as a self-contained `<figure>` with alt text (the figure is closed).

        Draw figures only from published data, and say what the figure drew (`data`), so that the
        page's audit sees what it publishes: a [`Table`][foundation_eval.reporting.publication.Table]
        whose published `values` it plots, curves that passed the chart gate
        ([`curve_steps`][foundation_eval.reporting.disclosure.curve_steps]), or counts published by
        [`chart_counts`][foundation_eval.reporting.disclosure.chart_counts]. A figure without `data` is
        listed by the audit as unaudited.

        Parameters
        ----------
        ax : Axes or Figure
            What to publish.
        alt : str
            Alternative text: what the figure shows, in words.
        title : str, optional
            Title (default: the axes' title).
        caption : str, optional
            Caption printed under the figure.
        data : Table, CurveSteps, ChartCounts or a list of them, optional
            What the figure draws.
        same_as : dict, optional
            For curves: `{(label, "size"): cell}` and `{(label, "events", time): cell}`, the page's
            table cells ([`cell`][foundation_eval.reporting.publication.Page.cell]) that count the
            curve's group, and its events up to a time.

        Returns
        -------
        Figure
            The PNG embedded in a `<figure>` element.

        Raises
        ------
        ValueError
            When a curve in `data` did not pass the chart gate.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton")
        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots(figsize=(2, 2))
        >>> _ = ax.bar(["Southampton", "Eastleigh"], [75, 40])
        >>> _ = ax.set_title("People listed")
        >>> f = page.figure(ax, alt="Bar chart: 75 people listed in Southampton, 40 in Eastleigh")
        >>> f.title, 'alt="Bar chart: 75 people' in f.html(), plt.fignum_exists(fig.number)
        ('People listed', True, False)
        >>> page.facts().unaudited
        ['figure without its data: People listed']
        """
        from foundation_eval.reporting.figures import to_html

        t = title or (ax.get_title() if hasattr(ax, "get_title") else "")
        items = [] if data is None else list(data) if isinstance(data, (list, tuple)) else [data]
        if not items:
            self.ledger.unaudited(f"figure without its data: {t or alt[:60]}")
        for item in items:
            if isinstance(item, CurveSteps):
                if not item.gated:
                    raise ValueError(f"figure {t!r}: curve {item.label!r} was not gated; draw curve_steps(...) "
                                     "instead of the raw Kaplan-Meier steps")
                self._curve_facts(item, t or alt[:60], same_as)
            elif isinstance(item, ChartCounts):
                self.ledger.chart_counts(item, t or alt[:60])
            elif not isinstance(item, Table):
                raise TypeError(f"figure {t!r}: data must be a Table, CurveSteps or ChartCounts, not "
                                f"{type(item).__name__}")
        return Figure(t, alt, to_html(ax, alt, caption))

    def _curve_facts(self, steps: CurveSteps, figure: str, same_as: dict | None) -> None:
        links = {}
        for key, ref in (same_as or {}).items():
            if key[0] != steps.label:
                continue
            found = self._resolve(ref)
            if found is None:
                raise ValueError(f"figure {figure!r}: {ref} names a table not yet published")
            links["size" if key[1] == "size" else ("events", key[2])] = found[0]
        self.ledger.curve(steps, figure, links)

    # ---------------------------------------------------------------- standard blocks
    def header(self, subtitle: str = "") -> Text:
        """Title, subtitle, the synthetic-data flag and the stylesheet (for JupyterLab; the exported page
        carries the same stylesheet).

        Parameters
        ----------
        subtitle : str
            Printed after the report kind (e.g. the period covered).

        Returns
        -------
        Text
            A `<style>` element, the `<h1>` title (programme: page title) and the subtitle; a
            programme marked illustrative adds "Synthetic demonstration data: no real person is
            described."

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton",
        ...             kind="District report")
        >>> h = page.header("January 2021 to March 2024").markup
        >>> h[h.index("<h1>"):]
        "<h1>Project Foundation: Southampton</h1><p class='fe-sub'>District report. January 2021 to March 2024 Synthetic demonstration data: no real person is described.</p>"
        """
        prog = self.programme
        flag = " Synthetic demonstration data: no real person is described." if prog.illustrative else ""
        sub = html.escape(" ".join(x for x in (self.kind + ("." if self.kind else ""), subtitle) if x)) + html.escape(flag)
        return Text(f"<style>{stylesheet()}</style><h1>{html.escape(prog.name)}: {html.escape(self.title)}</h1>"
                    f"<p class='fe-sub'>{sub}</p>")

    def summary(self, sentences) -> Text:
        """The boxed summary at the top of a page, from sentences made by
        [`say`][foundation_eval.reporting.publication.Page.say].

        Parameters
        ----------
        sentences : iterable of Text or str
            Sentences in order; None entries (a claim the results do not support) are left out.

        Returns
        -------
        Text
            A `<div class="fe-summary">` with a "Summary" heading and one paragraph.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton")
        >>> page.summary([page.say("{{ n | count }} were listed.", n=76), None]).markup
        "<div class='fe-summary'><h2>Summary</h2><p>75 people were listed.</p></div>"
        """
        body = " ".join(s.inline if isinstance(s, Text) else str(s)
                        for s in sentences if s is not None)
        return Text(f"<div class='fe-summary'><h2>Summary</h2><p>{body}</p></div>")

    def disclosure(self) -> Section:
        """The "Disclosure control" section every report prints: the rule in words.

        Returns
        -------
        Section
            Heading "Disclosure control" and [`Rule.text`][foundation_eval.reporting.disclosure.Rule.text].

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton")
        >>> sec = page.disclosure()
        >>> sec.heading, "Counts from 1 to 9 are not published" in sec.html()
        ('Disclosure control', True)
        """
        return Section("Disclosure control", (Text(f"<p>{html.escape(self.rule.text())}</p>"),))

    def provenance_rows(self) -> list[tuple[str, str]]:
        """What the page was made from: programme, input data hash, version, parameters, date.

        Returns
        -------
        list of (str, str)
            Label and value rows, also written to the workbook's Notes sheet.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> snap = SimpleNamespace(programme=load_programme("hiow"),
        ...                        dataset=SimpleNamespace(data_hash="ab12" * 16))
        >>> rows = Page(snap, "Southampton", parameters={"seed": 7}).provenance_rows()
        >>> [label for label, _ in rows]
        ['Programme', 'Input data SHA-256', 'foundation-eval version', 'Parameters', 'Rendered']
        >>> rows[0][1], rows[3][1]
        ('Project Foundation (hiow)', 'seed=7')
        """
        ds = self.snap.dataset
        return [
            ("Programme", f"{self.programme.name} ({self.programme.id})"),
            ("Input data SHA-256", ds.data_hash),
            ("foundation-eval version", __version__),
            ("Parameters", ", ".join(f"{k}={v}" for k, v in self.parameters.items()) or "defaults"),
            ("Rendered", _dt.date.today().isoformat()),
        ]

    def provenance(self) -> Section:
        """The "Provenance" section every report prints: its provenance rows as a table.

        Returns
        -------
        Section
            Heading "Provenance" and a two-column table.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> snap = SimpleNamespace(programme=load_programme("hiow"),
        ...                        dataset=SimpleNamespace(data_hash="ab12" * 16))
        >>> html = Page(snap, "Southampton").provenance().html()
        >>> html.startswith("<h2>Provenance</h2>"), "ab12ab12" in html
        (True, True)
        """
        body = "".join(f"<tr><th scope='row'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                       for k, v in self.provenance_rows())
        return Section("Provenance", (Text(f"<table class='fe-table fe-provenance'>{body}</table>"),))

    # ---------------------------------------------------------------- workbook
    def write_workbook(self, path) -> Path | None:
        """Every table this page published, as numbers with number formats, plus contents and notes.

        See [`write_workbook`][foundation_eval.reporting.workbook.write_workbook]; the Notes sheet
        holds the report's name, the disclosure rule, the meaning of `[c]` and the provenance rows.
        Beside the workbook goes `<name>.facts.json`, the page's
        [`facts`][foundation_eval.reporting.publication.Page.facts] for the render's audit (published
        values and relations, which withheld counts were small, no exact count; not for publication:
        the render reads it and leaves it out of its output).

        Parameters
        ----------
        path : str or Path or None
            Destination `.xlsx`; blank or None writes nothing.

        Returns
        -------
        Path or None
            The file written, or None when `path` is blank.

        Examples
        --------
        >>> import tempfile
        >>> import pandas as pd
        >>> from pathlib import Path
        >>> from types import SimpleNamespace
        >>> from openpyxl import load_workbook
        >>> from foundation_eval.config import load_programme
        >>> snap = SimpleNamespace(programme=load_programme("hiow"),
        ...                        dataset=SimpleNamespace(data_hash="ab12" * 16))
        >>> page = Page(snap, "Southampton", kind="District report")
        >>> _ = page.table("stages", pd.DataFrame({"stage": ["Listed", "Declined"], "n": [76, 4]}),
        ...                title="People at each stage", counts=["n"], additive=False)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     out = page.write_workbook(Path(folder) / "southampton.xlsx")
        ...     wb = load_workbook(out)
        ...     wb.sheetnames, [c.value for c in wb["Table 1"]["B"][3:5]], facts_path(out).exists()
        (['Contents', 'Table 1', 'Notes'], [75, '[c]'], True)
        >>> page.write_workbook("") is None
        True
        """
        if not path:
            return None
        from foundation_eval.reporting.workbook import write_workbook

        notes = [("Report", f"{self.programme.name}: {self.title}" + (f" ({self.kind})" if self.kind else "")),
                 ("Disclosure control", self.rule.text()),
                 (SUPPRESSED, "Not published under the disclosure rule.")]
        notes += self.provenance_rows()
        out = write_workbook(self.tables, path, notes)
        self.facts().write(facts_path(out))
        return out


def facts_path(workbook) -> Path:
    """Where [`Page.write_workbook`][foundation_eval.reporting.publication.Page.write_workbook] puts a
    page's facts for the audit: beside the workbook, `<name>.facts.json`.

    Parameters
    ----------
    workbook : str or Path
        The workbook's path.

    Returns
    -------
    Path

    Examples
    --------
    >>> facts_path("out/district-sou.xlsx").name
    'district-sou.facts.json'
    """
    p = Path(workbook)
    return p.with_name(p.stem + ".facts.json")


PAGE_MIME = "application/vnd.foundation-eval.page+html"
"""The MIME type that marks what [`show`][foundation_eval.reporting.publication.show] displays.

A report page is made only of the notebook outputs that carry it: the published items (text, tables,
figures, sections), in the order shown. Its value is the item's HTML; the same HTML goes under
``text/html`` so that JupyterLab, which ignores a MIME type it has no renderer for, shows it as before."""


def show(*items) -> None:
    """Display published items in a notebook (tables, figures, sentences, sections).

    Each item is shown as HTML through IPython, marked with `PAGE_MIME` so that the rendered page is
    made of exactly what was shown (never markdown cells, printed text or a cell's last value); None
    items are skipped (so a sentence the results do not support can be passed as None); a string is
    shown as HTML as it is.

    Parameters
    ----------
    *items : Table, Figure, Text, Section, EstimateView, str or None
        What to display, in order.

    Examples
    --------
    Outside a notebook IPython prints the data displayed, once per item shown:

    >>> show(Text("<p>Most people were visited.</p>"), None)
    {'application/vnd.foundation-eval.page+html': '<p>Most people were visited.</p>', 'text/html': '<p>Most people were visited.</p>'}
    """
    from IPython.display import display

    for item in items:
        if item is None:
            continue
        markup = item.html() if isinstance(item, _Item) else str(item)
        display({PAGE_MIME: markup, "text/html": markup}, raw=True)
