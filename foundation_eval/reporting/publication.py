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

Disclosure control ([`Rule`][foundation_eval.reporting.publication.Rule]) covers the whole render, not
one table: every published count, in a table or a sentence, is rounded to a base (5 by default) and
counts from 1 to threshold - 1 (1 to 9 by default) are withheld and shown as `[c]`, with secondary
suppression within additive groups. Rounding every count, as many official statistics are published,
means that a hidden count cannot be recovered by subtracting published counts,
within a table, across the tables of a page or across the pages of a render. Shares are withheld when
the people with or without the outcome number 1 to threshold - 1; rates and intervals built on a
withheld count are withheld. A sentence never states a count from 1 to threshold - 1:
[`Page.count`][foundation_eval.reporting.publication.Page.count] says "fewer than 10" instead, and
[`Page.paragraph`][foundation_eval.reporting.publication.Page.paragraph] refuses prose with digits in it.

The rules follow the Government Statistical Service guidance on disclosure control (GSS/GSR,
*Disclosure control guidance for tables produced from administrative sources*, 2014; Office for
National Statistics, *Statistical disclosure control policy*) and the methods of Hundepool et al.
(2012, *Statistical Disclosure Control*, Wiley; the chapter on frequency tables: cell suppression and
rounding). Rounding to base 5 is deterministic (to the nearest multiple, halves up), not random.

In a notebook:

```python
page = Page(open_snapshot(data_dir, programme), "Southampton", kind="District report")
show(page.header())
show(page.table("funnel", frame, title="Referral funnel", counts={"n": ["percent"]},
                kinds={"percent": "percent"}))
```
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
    """The disclosure rule of a render: round every count to a base, withhold small counts.

    A count $n$ is withheld when $0 < n < t$ (the threshold $t$, 10 by default, so 1 to 9 are
    withheld); otherwise it is published as $b \\lfloor n / b + 1/2 \\rfloor$, the nearest multiple
    of the base $b$ (5 by default; halves round up). Zero is published as 0. Secondary suppression is
    applied by [`Page.table`][foundation_eval.reporting.publication.Page.table], not here. The rule
    follows the GSS/GSR *Disclosure control guidance for tables produced from administrative sources*
    (Government Statistical Service, 2014) and Hundepool et al. (2012, *Statistical Disclosure
    Control*, Wiley).

    Parameters
    ----------
    threshold : int
        Smallest count that may be published (counts 1 to `threshold - 1` are withheld).
    base : int
        Every published count is rounded to the nearest multiple of `base` (1: exact counts).

    Examples
    --------
    >>> rule = Rule(threshold=10, base=5)
    >>> [rule.publish(n) for n in (0, 3, 9, 10, 12, 13, 76)]
    [0, None, None, 10, 10, 15, 75]
    >>> Rule(10, 1).publish(76)
    76
    """

    threshold: int = 10
    base: int = 5

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
            The programme's threshold and rounding base.

        Examples
        --------
        >>> from foundation_eval.config import load_programme
        >>> Rule.for_programme(load_programme("hiow"))
        Rule(threshold=10, base=5)
        """
        return cls(int(prog.disclosure_threshold), int(getattr(prog, "disclosure_rounding", 5)))

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

    def publish(self, n) -> float | None:
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

    def share(self, k, n, level: float = 0.95) -> dict:
        """A proportion with its Wilson interval, withheld when `n`, `k` or `n - k` is 1 to threshold - 1.

        The interval is Wilson's score interval (Wilson, 1927, *Journal of the American Statistical
        Association* 22: 209-212), computed by
        [`wilson_interval`][foundation_eval.stats.wilson_interval] from the exact counts. Withholding
        `n - k` as well as `k` stops a share near 100% giving away a small number without the outcome.

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
            `pct`, `low` and `high` in percent (0-100) from the exact counts. Withheld values are
            None; `n` is still given when it alone may be published.

        Examples
        --------
        >>> rule = Rule(10, 5)
        >>> s = rule.share(30, 76)
        >>> s["k"], s["n"], round(s["pct"], 1), round(s["low"], 1), round(s["high"], 1)
        (30, 75, 39.5, 29.2, 50.7)

        Four people without the outcome would be given away by 72 of 76, so the share is withheld:

        >>> rule.share(72, 76)
        {'k': None, 'n': 75, 'pct': None, 'low': None, 'high': None}
        """
        k, n = int(k), int(n)
        if n == 0 or n < self.threshold or self.hidden(k) or self.hidden(n - k):
            return {"k": None, "n": self.publish(n) if n >= self.threshold else None, "pct": None, "low": None,
                    "high": None}
        lo, hi = wilson_interval(k, n, level)
        return {"k": self.publish(k), "n": self.publish(n), "pct": 100 * k / n, "low": 100 * lo, "high": 100 * hi}

    def text(self) -> str:
        """The rule in plain English, printed in every report.

        Returns
        -------
        str
            One paragraph naming the base, the withheld range, secondary suppression and what is
            never published.

        Examples
        --------
        >>> Rule(10, 5).text()[:58]
        'Every count is rounded to the nearest 5, so totals may dif'
        >>> Rule(10, 1).text()[:50]
        'Counts from 1 to 9 are not published and are shown'
        """
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
        """`0.78 (95% interval 0.63 to 0.97)`, with the unit's words where it has them."""
        if not self.available:
            return "not available"
        words = fmt.UNITS.get(self.unit, "")
        return f"{self.value}{' ' + words if words else ''} ({self.interval})"

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


# ------------------------------------------------------------------------------------------ page
class Page:
    """One report: the single gate through which everything it shows is published.

    The page applies its programme's disclosure rule
    ([`Rule.for_programme`][foundation_eval.reporting.publication.Rule.for_programme]) to every table
    and sentence it makes, and keeps the tables it published (`tables`) for the workbook.

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
        self._env = None

    # ---------------------------------------------------------------- numbers in words
    @property
    def threshold(self) -> int:
        """The smallest count that may be published (10 by default)."""
        return self.rule.threshold

    def count(self, n, noun: str = "people", singular: str | None = None) -> str:
        """A count for a sentence: rounded, or "fewer than 10" when it may not be published.

        The threshold in the words is the page's (10 by default). A missing count (None or NaN) also
        reads "fewer than" the threshold.

        Parameters
        ----------
        n : int, float or None
            Exact count.
        noun : str
            What is counted, in the plural.
        singular : str, optional
            The noun for a published count of exactly 1 (only possible with threshold 1 and base 1).

        Returns
        -------
        str
            The published count with a thousands comma and the noun.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton")
        >>> page.count(76), page.count(3), page.count(1445, "offences")
        ('75 people', 'fewer than 10 people', '1,445 offences')
        """
        if n is None or _isnan(n):
            return f"fewer than {self.threshold} {noun}"
        if self.rule.hidden(n):
            return f"fewer than {self.threshold} {noun}"
        v = self.rule.publish(n)
        word = singular if (singular and v == 1) else noun
        return f"{v:,} {word}"

    def share(self, k, n, level: float = 0.95) -> dict:
        """A proportion with its Wilson interval under this page's rule (see
        [`Rule.share`][foundation_eval.reporting.publication.Rule.share]).

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
            exact counts; withheld values are None.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from foundation_eval.config import load_programme
        >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton")
        >>> s = page.share(30, 76)
        >>> s["k"], s["n"], round(s["pct"])
        (30, 75, 39)
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

        Filters: `count` (`{{ n | count("people") }}`, the disclosure rule), `percent` (a 0-100
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
              hide: dict | None = None) -> Table:
        """Publish a table under the disclosure rule.

        Counts from 1 to threshold - 1 are withheld (primary suppression), then the next smallest
        count of any additive group left with exactly one withheld cell (secondary suppression, by
        [`protect`][foundation_eval.reporting.disclosure.protect]); the columns derived from a
        withheld count are withheld with it; the remaining counts are rounded to the base. The
        table is kept in `tables` (replacing one of the same name) for the workbook.

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
        """A matplotlib figure as a self-contained `<figure>` with alt text (the figure is closed).

        Draw figures only from published values (a
        [`Table`][foundation_eval.reporting.publication.Table]'s `values`) or from curves that stop
        where fewer than the threshold remain at risk: the page cannot check what a figure shows.

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

        Returns
        -------
        Figure
            The PNG embedded in a `<figure>` element.

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
        """
        from foundation_eval.reporting.figures import to_html

        t = title or (ax.get_title() if hasattr(ax, "get_title") else "")
        return Figure(t, alt, to_html(ax, alt, caption))

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
            Heading "Disclosure control" and [`Rule.text`][foundation_eval.reporting.publication.Rule.text].

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
        ...     wb.sheetnames, [c.value for c in wb["Table 1"]["B"][3:5]]
        (['Contents', 'Table 1', 'Notes'], [75, '[c]'])
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
        return write_workbook(self.tables, path, notes)


def show(*items) -> None:
    """Display published items in a notebook (tables, figures, sentences, sections).

    Each item is shown as HTML through IPython; None items are skipped (so a sentence the results do
    not support can be passed as None); a string is shown as HTML as it is.

    Parameters
    ----------
    *items : Table, Figure, Text, Section, EstimateView, str or None
        What to display, in order.

    Examples
    --------
    Outside a notebook IPython prints only the kind of object displayed, once per item shown:

    >>> show(Text("<p>Most people were visited.</p>"), None)
    <IPython.core.display.HTML object>
    """
    from IPython.display import HTML, display

    for item in items:
        if item is None:
            continue
        display(HTML(item.html() if isinstance(item, _Item) else str(item)))
