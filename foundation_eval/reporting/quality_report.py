"""Content of the data-quality report: completeness, late or missing months, records worth checking,
validation warnings and the risk-tool double-scoring rate.

The report is about an extract that already passed validation. Validation *failures* are not shown
here by design: an extract that breaks the data contract never becomes a dataset
([`load_dataset`][foundation_eval.data.load.load_dataset] raises a ``ValidationError`` naming file,
column, rule and example rows, which ``foundation-eval validate`` prints), so no report is built on
it. What validation *warned* about is listed here.

Every figure comes from the data-quality study of the render's snapshot
([`QualityStudy`][foundation_eval.evaluation.quality.QualityStudy], study ``"quality"``, fitted once
when the snapshot is built by [`fit_quality`][foundation_eval.evaluation.quality.fit_quality]); this
module only formats it. [`QualityReport`][foundation_eval.reporting.quality_report.QualityReport]
publishes it through one [`Page`][foundation_eval.reporting.publication.Page] (``report.page``): counts
are rounded and 1 to threshold - 1 withheld, every percentage and interval is worked out from the
published counts, the chart is drawn from the published monthly counts, and no identifier is ever
shown. The notebook ``notebooks/data_quality.ipynb`` shows each section.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from foundation_eval.reporting.figures import GREY, PALETTE, new_axes
from foundation_eval.reporting.publication import Page, Section, Table, Text

__all__ = ["QualityReport", "TABLE_LABELS"]

TABLE_LABELS = {
    "districts": "Districts", "people": "People", "screening": "Monthly screening", "ppit_assessments":
    "PPIT assessments", "contacts": "Contacts", "referrals": "Referrals", "offences": "Offences",
    "rmps": "Risk management plans", "exits": "Exits",
}
"""How the page names each table of the extract."""

WHERE_LABELS = {"gap": "Gap", "latest months": "Latest months", "first months": "First months"}

TECHNICAL_APPENDIX = (
    ("Every section", "the data-quality study, foundation_eval.evaluation.quality.fit_quality (the study "
                      "'quality' of foundation_eval.evaluation.snapshot.STUDIES)"),
    ("What validation said", "foundation_eval.data.load.load_dataset"),
    ("Completeness", "foundation_eval.evaluation.quality.completeness, against foundation_eval.schemas"),
    ("Records per month", "foundation_eval.evaluation.quality.monthly_records (dates: DATE_COLUMNS) and "
                          "foundation_eval.evaluation.quality.sparse_months"),
    ("Records worth checking", "foundation_eval.evaluation.quality.consistency_checks"),
    ("Double scoring of the risk tool", "foundation_eval.evaluation.quality.double_scoring; the published "
                                        "share and interval: foundation_eval.reporting.disclosure.Rule.share"),
    ("Disclosure control", "foundation_eval.reporting.publication.Page and its audit, "
                           "foundation_eval.reporting.audit.audit"),
)
"""Each section and the code behind it (printed only in the technical appendix)."""


def _join(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _lower(label: str) -> str:
    """Lower-case the first word of a label for use inside a sentence, keeping acronyms (PPIT)."""
    first = label.split(" ", 1)[0]
    return label if first.isupper() else label[:1].lower() + label[1:]


def _sentence(text: str) -> str:
    """Upper-case the first letter (sentence case)."""
    return text[:1].upper() + text[1:]


def _month(m) -> str:
    """A month in words: `March 2023`."""
    return pd.Period(m, freq="M").strftime("%B %Y")


def _column_label(field: str, description: str) -> str:
    """What a column holds, in sentence case, with its name in the extract: `Date the person started the
    service (started_date)`. The description's own aside in brackets is left out."""
    main = description.split(" (", 1)[0].strip() or field
    return f"{_sentence(main)} ({field})"


class QualityReport:
    """All content of the data-quality report for one validated extract, published through ``self.page``.

    The report reads the data-quality study of the snapshot
    ([`QualityStudy`][foundation_eval.evaluation.quality.QualityStudy]) and formats it: each table is
    published on first use and kept; each section method returns one block of the page, and
    [`sections`][foundation_eval.reporting.quality_report.QualityReport.sections] returns them all in
    order. Every count shown is rounded and counts from 1 to threshold - 1 are withheld, by the page's
    disclosure rule; every share is worked out from the published counts.

    Parameters
    ----------
    snap : Snapshot or Dataset
        The render's snapshot ([`open_snapshot`][foundation_eval.evaluation.snapshot.open_snapshot]), or a
        validated dataset (wrapped in a snapshot without estimates, whose study is fitted on first use).
    parameters : dict, optional
        Extra parameters for the provenance block (e.g. the data folder's name).
    study : QualityStudy, optional
        The study to publish (default: the snapshot's, ``snap.study("quality")``).

    Attributes
    ----------
    snap : Snapshot
        The snapshot the report reads.
    programme : Programme
        The programme of the extract.
    study : QualityStudy
        The data-quality study: every figure the page shows, exact.
    absent : frozenset of str
        Optional tables the extract does not have; they are left out of every table.
    page : Page
        The publication layer: every table, figure and sentence goes through it.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.reporting.publication import Section
    >>> report = QualityReport(demo_dataset())   # the built-in synthetic force
    >>> [s.heading for s in report.sections() if isinstance(s, Section)]
    ['What validation said', 'Completeness', 'Records per month', 'Records worth checking',
     'Double scoring of the risk tool', 'Methods', 'Disclosure control', 'Provenance', 'Technical appendix']
    >>> sorted(t.name for t in report.page.tables)
    ['completeness', 'consistency_checks', 'double_scoring', 'monthly_records', 'sparse_months']
    >>> blank = report.completeness_table.values.blank.dropna()  # published: rounded, small ones withheld
    >>> bool(((blank == 0) | (blank >= report.page.threshold)).all())
    True
    >>> report.page.audit().passed
    True
    """

    def __init__(self, snap, parameters: dict | None = None, study=None):
        if not hasattr(snap, "dataset"):  # a validated Dataset
            from foundation_eval.evaluation.snapshot import Snapshot

            snap = Snapshot(snap)
        prog = snap.programme
        self.snap = snap
        self.programme = prog
        self.study = study if study is not None else snap.study("quality")
        self.absent = self.study.absent
        self.page = Page(snap, "data quality", kind="For analysts",
                         parameters={"programme": prog.id, **(parameters or {})})

    @property
    def has_double_scoring(self) -> bool:
        """Whether double scoring can be reported: the programme has a risk tool and the extract its assessments."""
        return self.study.has_double_scoring

    # ------------------------------------------------------------------ tables
    @cached_property
    def completeness_table(self) -> Table:
        """Blank values in each column the data contract allows to be blank, as published (from the
        study's `completeness`); the percentage is worked out from the published counts."""
        c = self.study.completeness
        frame = pd.DataFrame({
            "table": c.table.map(TABLE_LABELS).fillna(c.table),
            "column": [_column_label(f, d) for f, d in zip(c.column, c.description, strict=True)],
            "records": c.records, "blank": c.blank, "percent_blank": c.percent_blank})
        return self.page.table(
            "completeness", frame, title="Blank values in columns that may be left blank",
            counts={"records": ["percent_blank"], "blank": ["percent_blank"]}, additive=False,
            kinds={"percent_blank": "percent"}, shares={"percent_blank": ("blank", "records")},
            headings={"table": "Table", "column": "Column (its name in the extract)", "records": "Records",
                      "blank": "Blank", "percent_blank": "Percent blank"},
            notes=("Required columns are left out: validation guarantees they are never blank.",
                   "Percent blank is worked out from the published (rounded) counts."))

    @cached_property
    def monthly_table(self) -> Table:
        """Records per month per table (secondary suppression within a table); in the workbook and the figure."""
        m = self.study.monthly
        frame = pd.DataFrame({"table": m.table.map(TABLE_LABELS).fillna(m.table), "month": m.month.astype(str),
                              "records": m.records})
        return self.page.table("monthly_records", frame, title="Records per month in each table", counts=["records"],
                               additive_within="table",
                               headings={"table": "Table", "month": "Month", "records": "Records"},
                               notes=("Months are placed by each table's main date (see Methods).",))

    @cached_property
    def sparse_table(self) -> Table:
        """Months with far fewer records than the months around them, as published (from the study's
        `sparse`).

        Each month's records are the same count as its cell of
        [`monthly_table`][foundation_eval.reporting.quality_report.QualityReport.monthly_table]: withheld
        where that cell is, and linked to it for the audit.
        """
        monthly = self.monthly_table
        s = self.study.sparse
        frame = pd.DataFrame({"table": s.table.map(TABLE_LABELS).fillna(s.table), "month": s.month.astype(str),
                              "records": s.records, "where": s["where"].map(WHERE_LABELS).fillna(s["where"])})
        key = {(t, mo): i for i, (t, mo) in enumerate(zip(monthly.values.table, monthly.values.month, strict=True))}
        rows = [key[(t, mo)] for t, mo in zip(frame.table, frame.month, strict=True)]
        hidden = np.array([bool(monthly.suppressed.records.iloc[r]) for r in rows], dtype=bool)
        t = self.page.table(
            "sparse_months", frame.reset_index(drop=True), title="Months with far fewer records than the months around them",
            counts=["records"], additive=False, hide={"records": hidden},
            headings={"table": "Table", "month": "Month", "records": "Records", "where": "Where in the series"},
            notes=("Compare each month with the months around it in the chart above (all months are in the "
                   "workbook).",))
        for i, r in enumerate(rows):
            self.page.link(self.page.cell("sparse_months", "records", row=i),
                           self.page.cell("monthly_records", "records", row=r), "records of one table in one month")
        return t

    @cached_property
    def checks_table(self) -> Table:
        """Records the data contract allows but that deserve a second look, as published (from the study's
        `checks`)."""
        c = self.study.checks
        frame = c.drop(columns="comment").assign(table=c.table.map(TABLE_LABELS).fillna(c.table))
        notes = tuple(f"{ch}: {why}" for ch, why in zip(c.check, c.comment, strict=True))
        return self.page.table(
            "consistency_checks", frame, title="Records that are allowed but worth checking",
            counts=["records", "people", "of_records"], additive=False,
            headings={"check": "Check", "table": "Table", "records": "Records", "people": "People",
                      "of_records": "Records in the table"},
            notes=("Records counts rows of the table; People counts the distinct people they belong to.", *notes))

    @cached_property
    def double_table(self) -> Table | None:
        """Share of people assessed with the risk tool who were scored a second time, by year, as
        published (from the study's `double_scoring`): the share and its Wilson interval are worked out
        from the published counts. None without double scoring."""
        if not self.has_double_scoring:
            return None
        d = self.study.double_scoring
        frame = d.assign(year=d.year.replace({"All": "All years"}))
        derived = ["percent", "ci_low", "ci_high"]
        return self.page.table(
            "double_scoring", frame, title="Risk-tool double scoring by year of first assessment",
            counts={"assessed": derived, "double_scored": derived}, additive=True,
            total_rows=(d.year == "All").to_numpy(), kinds={c: "percent" for c in derived},
            shares={"percent": ("double_scored", "assessed", "ci_low", "ci_high")},
            headings={"year": "Year", "assessed": "People assessed", "double_scored": "Also scored a second time",
                      "percent": "Percent", "ci_low": "95% low", "ci_high": "95% high"},
            notes=("The percentage and its Wilson 95% interval are worked out from the published (rounded) "
                   "counts.",))

    # ------------------------------------------------------------------ sections
    def header(self) -> Text:
        """The page's title block: programme, report kind, extract date and study period.

        Returns
        -------
        Text
        """
        prog = self.programme
        return self.page.header(f"Extract of {pd.Timestamp(prog.extract_date).date()}, study period "
                                f"{_month(self.study.study_start)} to {_month(self.study.study_end)}.")

    def summary_sentences(self) -> list[Text]:
        """The executive summary: three to six sentences made from the published tables.

        The extract's size and validation warnings, the most often blank optional column, sparse
        months, the consistency checks that found records and the double-scoring rate, in that
        order. Counts in them are published counts (rounded; small ones withheld), each the same
        quantity as the table cell it restates; percentages are the tables' published ones.

        Returns
        -------
        list of Text

        Examples
        --------
        >>> from foundation_eval.data.synth import demo_dataset
        >>> report = QualityReport(demo_dataset())
        >>> first = report.summary_sentences()[0].plain
        >>> first.startswith("The extract holds"), "passed every rule of the data contract" in first
        (True, True)
        """
        p, st = self.page, self.study
        w = len(st.warnings)
        s = [p.say("The extract holds {{ people | count }} and {{ records | count('records') }} in {{ k | word }} "
                   "tables, and it passed every rule of the data contract {% if w %}with {{ w | word }} "
                   "{{ w | plural('warning') }}, listed below{% else %}with no warnings{% endif %}.",
                   people=st.people, records=st.records, k=len(st.tables), w=w)]
        c = self.completeness_table.values
        shown = c[c.percent_blank.notna() & c.records.notna()]
        if len(shown):
            i = int(shown.percent_blank.astype(float).idxmax())
            exact = st.completeness.iloc[i]
            s.append(p.say("Of the {{ k | word }} {{ k | plural('column') }} that may be left blank, the most often "
                           "blank is {{ column }} in {{ table }} ({{ pct | percent }} of "
                           "{{ n | count('records', same_as=ref) }}).", k=len(c), column=_lower(c.column.iloc[i]),
                           table=_lower(c.table.iloc[i]), pct=c.percent_blank.iloc[i], n=int(exact.records),
                           ref=p.cell("completeness", "records", row=i)))
        sp = self.sparse_table.values
        if len(sp):
            where = [f"{_lower(tb)} in {_month(mo)}" for tb, mo in zip(sp.table, sp.month, strict=True)]
            s.append(p.say("{{ k | word | capitalize }} {{ k | plural('month has', 'months have') }} far fewer records "
                           "than the months around {{ k | plural('it', 'them') }} ({{ shown }}{% if more %} and "
                           "{{ more | word }} more{% endif %}): records may be missing or still arriving.",
                           k=len(where), shown=_join(where[:3]), more=max(0, len(where) - 3)))
        else:
            s.append(p.say("No month has far fewer records than the months around it."))
        hits = st.checks_with_records
        ch = self.checks_table.values
        if hits:
            known = ch[ch.records.notna() & (ch.records > 0)]
            top = int(known.records.astype(float).idxmax()) if len(known) else None
            s.append(p.say("{{ hits | word | capitalize }} of the {{ n | word }} consistency checks found records that "
                           "are allowed but worth checking{% if top %}, the most common being {{ top }} "
                           "({{ r | count('records', same_as=ref) }}){% endif %}.", hits=hits, n=len(ch),
                           top=_lower(ch.check.iloc[top]) if top is not None else "",
                           r=int(st.checks.records.iloc[top]) if top is not None else None,
                           ref=p.cell("consistency_checks", "records", row=top) if top is not None else None))
        else:
            s.append(p.say("None of the {{ n | word }} consistency checks found anything to query.", n=len(ch)))
        if self.has_double_scoring:
            d = self.double_table.values
            a = d[d.year == "All years"].iloc[0]
            pct = None if pd.isna(a.percent) else float(a.percent)
            s.append(p.say("{% if pct is not none %}{{ pct | percent }} of people assessed with the risk tool were "
                           "scored independently a second time (95% interval {{ low | percent }} to "
                           "{{ high | percent }}), the sample the reliability estimates rest on.{% else %}Too few "
                           "people were double scored, or too few were not, to publish the double-scoring rate."
                           "{% endif %}", pct=pct, low=a.ci_low, high=a.ci_high))
        elif self.programme.has_risk_tool:
            s.append(p.say("Risk-tool assessments are not in this extract, so double scoring cannot be checked."))
        return s[:6]

    def summary(self) -> Text:
        """The boxed summary at the top of the page, from
        [`summary_sentences`][foundation_eval.reporting.quality_report.QualityReport.summary_sentences].

        Returns
        -------
        Text
        """
        return self.page.summary(self.summary_sentences())

    def validation(self) -> Section:
        """What validation warned about (failures stop the render, so none can appear here).

        Returns
        -------
        Section
            "What validation said": a paragraph, then the warnings as a list, or a sentence saying there
            were none.

        Examples
        --------
        >>> from foundation_eval.data.synth import demo_dataset
        >>> report = QualityReport(demo_dataset())
        >>> report.validation().heading, report.study.warnings
        ('What validation said', ())
        >>> "No warnings" in report.validation().html()
        True
        """
        p = self.page
        items = [p.paragraph("Every file was checked against the data contract (types, allowed values, keys, links "
                             "between tables, dates and the programme's rules). A file that breaks a rule stops the "
                             "reports with an error naming the file, column and rows, so everything below passed. "
                             "Validation also notes things that do not stop analysis:")]
        if self.study.warnings:
            items.append(p.bullets([p.say("{{ w }}", w=_sentence(w)) for w in self.study.warnings]))
        else:
            items.append(p.paragraph("No warnings: every expected table was present and every column was in the "
                                     "contract."))
        return Section("What validation said", tuple(items))

    def completeness(self) -> Section:
        """The completeness section: what it measures, and
        [`completeness_table`][foundation_eval.reporting.quality_report.QualityReport.completeness_table].

        Returns
        -------
        Section
        """
        return Section("Completeness", (
            self.page.paragraph("Share of records left blank in each column that the data contract allows to be blank "
                                "(for example a referral that was never started has no start date, and an offence "
                                "without a personal victim names no victim). Required columns are never blank: "
                                "validation checks them. A column that is blank far more often than the programme "
                                "would suggest may point to a recording gap."),
            self.completeness_table))

    def monthly_figure(self):
        """The chart of records per month: one small line chart per dated table, drawn from the published
        counts of [`monthly_table`][foundation_eval.reporting.quality_report.QualityReport.monthly_table]
        (a withheld month is a gap), sparse months marked on the axis, the first go-live dashed, and a
        boxed legend below the charts.

        Returns
        -------
        Figure or None
            The published figure; None when no table is dated.
        """
        import matplotlib.dates as mdates
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
        from matplotlib.ticker import MaxNLocator

        m, sp = self.monthly_table.values, self.sparse_table.values
        tables = list(dict.fromkeys(m.table))
        if not tables:
            return None
        new_axes()  # house style
        rows = (len(tables) + 1) // 2
        fig, axes = plt.subplots(rows, 2, figsize=(7.5, 1.9 * rows), sharex=True)
        axes = np.atleast_1d(axes).ravel()
        first_live = pd.Period(self.study.first_go_live, freq="M").to_timestamp()
        for ax, label in zip(axes, tables, strict=False):
            g = m[m.table == label]
            x = pd.PeriodIndex(g.month, freq="M").to_timestamp()
            y = pd.to_numeric(g.records, errors="coerce")
            ax.plot(x, y, color=PALETTE[0], lw=1.4)
            alone = y.notna() & y.shift(1).isna() & y.shift(-1).isna()  # a month between gaps draws no line
            ax.plot(x[alone.to_numpy()], y[alone], ls="none", marker="o", ms=2.5, color=PALETTE[0])
            if not (y > 0).any():  # every month withheld or empty: say so rather than draw an empty frame
                ax.set_ylim(0, 2 * self.page.threshold)
                ax.text(0.5, 0.55, f"Fewer than {self.page.threshold} records in every month\nwith records: "
                        "not drawn", transform=ax.transAxes, ha="center", va="center", fontsize=8, color=GREY,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 2})
            flagged = sp[sp.table == label]
            if len(flagged):
                # marked on the axis, not at the count, so a withheld count is not drawn
                fx = pd.PeriodIndex(flagged.month, freq="M").to_timestamp()
                ax.scatter(fx, np.zeros(len(fx)), color=PALETTE[3], marker="^", zorder=3, s=30, clip_on=False)
            ax.axvline(first_live, color=GREY, ls="--", lw=0.8)
            ax.set_title(label, fontsize=9)
            ax.set_ylim(bottom=0)
            ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
            ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(mdates.YearLocator())
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        for j, ax in enumerate(axes[len(tables):], start=len(tables)):
            ax.set_visible(False)
            axes[j - 2].tick_params(labelbottom=True)  # the chart above the empty slot shows the years
        fig.supylabel("Records per month", fontsize=9)
        fig.supxlabel("Month", fontsize=9)
        handles = [Line2D([], [], color=PALETTE[0], lw=1.4, label="Records in the month (gaps: not published)"),
                   Line2D([], [], color=GREY, ls="--", lw=0.8, label="First go-live")]
        if len(sp):
            handles.append(Line2D([], [], color=PALETTE[3], marker="^", ls="none",
                                  label="Far fewer records than the months around it"))
        fig.tight_layout()
        fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2, frameon=True,
                   fontsize=8)
        alt = ("Small line charts of the number of records per month in each dated table over the study period, "
               "with months that have far fewer records than the months around them marked by red triangles on "
               "the axis and the first go-live as a dashed line.")
        return self.page.figure(fig, alt, title="Records per month in each table", data=self.monthly_table)

    def monthly(self) -> Section:
        """Records per month per table (published values; withheld months are gaps), with sparse months marked.

        Returns
        -------
        Section
            "Records per month": a paragraph, the figure of
            [`monthly_figure`][foundation_eval.reporting.quality_report.QualityReport.monthly_figure], and the
            table of sparse months or a sentence saying there are none.
        """
        p = self.page
        items = [p.say("Each table's records by month. A month with far fewer records than the months around it "
                       "(fewer than {{ ratio | proportion }} of the typical count nearby) may be missing data; low "
                       "counts in the latest months may be records still arriving. Tables about the programme "
                       "(assessments, contacts, plans) start at go-live. Months with fewer than {{ t }} records are "
                       "left as gaps, and every count is rounded.", ratio=self.study.sparse_rule["ratio"],
                       t=p.threshold)]
        fig = self.monthly_figure()
        if fig is not None:
            items.append(fig)
        items.append(self.sparse_table if len(self.sparse_table.values) else
                     p.paragraph("No month has far fewer records than the months around it."))
        return Section("Records per month", tuple(items))

    def checks(self) -> Section:
        """The consistency-checks section: a paragraph and
        [`checks_table`][foundation_eval.reporting.quality_report.QualityReport.checks_table].

        Returns
        -------
        Section
        """
        return Section("Records worth checking", (
            self.page.paragraph("These records are allowed by the data contract, so they do not stop the analysis, "
                                "but each can point to a recording or linking problem. The notes under the table say "
                                "why each check matters."),
            self.checks_table))

    def double_scoring(self) -> Section:
        """The double-scoring rate (a sentence instead for a programme without a risk tool).

        Returns
        -------
        Section
            "Double scoring of the risk tool": a paragraph and
            [`double_table`][foundation_eval.reporting.quality_report.QualityReport.double_table], or a
            sentence when the programme has no risk tool or the extract no assessments.

        Examples
        --------
        >>> from foundation_eval.data.synth import demo_dataset
        >>> report = QualityReport(demo_dataset())
        >>> section = report.double_scoring()
        >>> section.heading, "data-table='double_scoring'" in section.html()
        ('Double scoring of the risk tool', True)
        """
        p = self.page
        if not self.programme.has_risk_tool:
            return Section("Double scoring of the risk tool", (
                p.paragraph("This programme defines no risk tool, so there is nothing to double score."),))
        if self.double_table is None:
            return Section("Double scoring of the risk tool", (
                p.paragraph("Risk-tool assessments are not in this extract, so double scoring cannot be checked."),))
        return Section("Double scoring of the risk tool", (
            p.paragraph("A sample of people is scored independently by a second assessor, so that the agreement "
                        "between assessors (reliability) can be measured. The table shows the share of people "
                        "assessed with the risk tool who were also scored a second time, by year of first "
                        "assessment."),
            self.double_table))

    def methods(self) -> Section:
        """How the figures were made: the months' date columns, the sparse-month rule and the intervals.

        Returns
        -------
        Section

        Examples
        --------
        >>> from foundation_eval.data.synth import demo_dataset
        >>> text = QualityReport(demo_dataset()).methods().html()
        >>> "below 50% of the typical count" in text, "Wilson (1927)" in text
        (True, True)
        """
        p, rule = self.page, self.study.sparse_rule
        placed = ", ".join(f"{_lower(TABLE_LABELS.get(k, k))} by {v.replace('_', ' ')}"
                           for k, v in self.study.date_columns.items())
        return Section("Methods", (
            p.say("Completeness covers the columns the data contract marks as optional. Records are placed in months "
                  "by: {{ placed }}. A month is marked when its count is below {{ ratio | proportion }} of the typical "
                  "count nearby, taken as the smaller of the medians of the {{ width | word }} months before and the "
                  "{{ width | word }} months after (one side at the ends of the series), that typical count is at "
                  "least {{ t }}, and a count that low would have a Poisson probability below {{ alpha }} given the "
                  "typical count. Listing dates are the first day of the first listed month. Shares are worked out "
                  "from the published (rounded) counts, with Wilson (1927) score intervals.", placed=placed,
                  ratio=rule["ratio"], width=rule["width"], alpha=rule["alpha"], t=rule["min_typical"]),))

    def disclosure(self) -> Section:
        """The disclosure-control section: the rule the page applied, in words.

        Returns
        -------
        Section
        """
        return self.page.disclosure()

    def provenance(self) -> Section:
        """The provenance section: programme, input data hash, package version, parameters, date.

        Returns
        -------
        Section
        """
        return self.page.provenance()

    def appendix(self) -> Section:
        """The "Technical appendix": the code behind each section, for analysts who reproduce the numbers.

        The only place on the page where the library's function names appear.

        Returns
        -------
        Section
            A sentence and a list: each section and the functions that compute it, then the settings of the
            sparse-month rule.

        Examples
        --------
        >>> from foundation_eval.data.synth import demo_dataset
        >>> appendix = QualityReport(demo_dataset()).appendix()
        >>> appendix.heading, "fit_quality" in appendix.html()
        ('Technical appendix', True)
        """
        p, rule = self.page, self.study.sparse_rule
        intro = p.paragraph("For analysts who reproduce the numbers: every figure on this page comes from one study of "
                            "the extract, computed once when the render's snapshot is built; the page only rounds, "
                            "withholds and formats it. The list names the functions of the foundation-eval library "
                            "behind each section.")
        rows = [f"{section}: {code}" for section, code in TECHNICAL_APPENDIX]
        rows.append(p.say("Sparse months were found with sparse_months(width={{ w }}, ratio={{ r }}, alpha={{ a }}, "
                          "min_typical={{ t }}), the last being the disclosure threshold.", w=rule["width"],
                          r=rule["ratio"], a=rule["alpha"], t=rule["min_typical"]))
        return Section("Technical appendix", (intro, p.bullets(rows)))

    # ------------------------------------------------------------------ the whole page
    def sections(self) -> list:
        """Every item of the page in order (what the notebook shows, cell by cell).

        Returns
        -------
        list
            The header and summary ([`Text`][foundation_eval.reporting.publication.Text]), then the
            sections ([`Section`][foundation_eval.reporting.publication.Section]) from validation to
            the technical appendix.
        """
        out = [self.header(), self.summary(), self.validation(), self.completeness(), self.monthly(), self.checks(),
               self.double_scoring(), self.methods(), self.disclosure(), self.provenance(), self.appendix()]
        return [x for x in out if x is not None]

    def html(self) -> str:
        """The whole page body as HTML: every item of
        [`sections`][foundation_eval.reporting.quality_report.QualityReport.sections], in order.

        Returns
        -------
        str
        """
        return "".join(x.html() for x in self.sections())
