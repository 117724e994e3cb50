"""Content of the data-quality report: completeness, late or missing months, suspicious records,
validation warnings and the PPIT double-scoring rate.

Everything here is about an extract that already passed validation (a broken extract never gets this
far: :func:`foundation_eval.data.load.load_dataset` stops it with a clear error). The checks look for records
the data contract allows but that deserve a second look before results are trusted. Counts shown pass
disclosure control and no identifier is ever shown. The notebook ``notebooks/data_quality.ipynb`` only
displays what these methods return.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.data.load import Dataset
from foundation_eval.reporting.disclosure import Protected, protect, rule_text
from foundation_eval.reporting.district_report import count_phrase, provenance_html
from foundation_eval.reporting.figures import GREY, PALETTE, new_axes, to_html
from foundation_eval.reporting.overview_report import PublishedTable, _absent, _drop, _typed
from foundation_eval.schemas import TABLE_ORDER, programme_schemas
from foundation_eval.stats import wilson_interval

__all__ = ["QualityReport", "completeness", "monthly_records", "sparse_months", "consistency_checks",
           "double_scoring", "DATE_COLUMNS"]

# the date that places each table's records in time
DATE_COLUMNS = {
    "screening": "month",
    "ppit_assessments": "assessment_date",
    "contacts": "contact_date",
    "referrals": "referred_date",
    "offences": "offence_date",
    "rmps": "rmp_date",
    "exits": "exit_date",
}
TABLE_LABELS = {
    "districts": "Districts", "people": "People", "screening": "Monthly screening", "ppit_assessments":
    "PPIT assessments", "contacts": "Contacts", "referrals": "Referrals", "offences": "Offences",
    "rmps": "Risk management plans", "exits": "Exits",
}


def completeness(ds: Dataset, skip=()) -> pd.DataFrame:
    """Blank values in every column the data contract allows to be blank.

    Columns: ``table, column, description, records, blank, filled, percent_blank``. Required columns
    are left out: validation has already guaranteed they are never blank.
    """
    schemas = programme_schemas(ds.programme)
    rows = []
    for name in TABLE_ORDER:
        frame = ds.tables.get(name)
        if frame is None or name in skip:
            continue
        for f in schemas[name].fields:
            if f.required or f.name not in frame:
                continue
            n = len(frame)
            blank = int(frame[f.name].isna().sum())
            rows.append({"table": name, "column": f.name, "description": f.description.split(". ")[0].rstrip("."),
                         "records": n, "blank": blank, "filled": n - blank,
                         "percent_blank": 100 * blank / n if n else np.nan})
    return pd.DataFrame(rows, columns=["table", "column", "description", "records", "blank", "filled",
                                       "percent_blank"])


def monthly_records(ds: Dataset, start=None, end=None, skip=()) -> pd.DataFrame:
    """Records per calendar month of each dated table over the study period (``table, month, records``);
    tables named in ``skip`` (e.g. absent optional tables) are left out."""
    prog = ds.programme
    months = pd.period_range(start or prog.study_start, end or prog.study_end, freq="M")
    frames = []
    for name, col in DATE_COLUMNS.items():
        frame = ds.tables.get(name)
        if frame is None or name in skip:
            continue
        s = frame[col]
        m = s if isinstance(s.dtype, pd.PeriodDtype) else pd.to_datetime(s).dt.to_period("M")
        counts = m.value_counts().reindex(months, fill_value=0)
        frames.append(pd.DataFrame({"table": name, "month": months, "records": counts.to_numpy(int)}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["table", "month", "records"])


def sparse_months(records: pd.Series, width: int = 3, ratio: float = 0.5, min_typical: float = 10,
                  alpha: float = 0.001) -> pd.DataFrame:
    r"""Months with far fewer records than the months around them (a gap, or records still arriving).

    For each month the *typical* count :math:`m` is the smaller of the medians of the ``width`` months
    before and the ``width`` months after (one side only at the ends of the series). Taking the smaller
    side means a month is not flagged merely because activity steps up after it (a district going live).
    A month with count :math:`x` is flagged when

    .. math::
        x < \text{ratio} \cdot m, \qquad m \ge \text{min\_typical}, \qquad
        P(X \le x \mid X \sim \text{Poisson}(m)) < \alpha,

    so that a small table's ordinary month-to-month noise is not mistaken for a gap.

    Parameters
    ----------
    records : Series
        Counts indexed by month, in order.

    Returns
    -------
    DataFrame with ``month, records, typical, where`` (``where``: "gap" inside the series, "latest months"
    at its end, "first months" at its start).
    """
    v = records.to_numpy(float)
    idx = list(records.index)
    rows = []
    for i in range(len(v)):
        before = v[max(0, i - width):i]
        after = v[i + 1:i + 1 + width]
        sides = [np.median(x) for x in (before, after) if len(x) >= min(2, width)]
        if not sides:
            continue
        typical = float(min(sides))
        if typical >= min_typical and v[i] < ratio * typical and _st.poisson.cdf(v[i], typical) < alpha:
            where = "gap" if len(before) and len(after) else ("latest months" if not len(after) else "first months")
            rows.append({"month": idx[i], "records": int(v[i]), "typical": typical, "where": where})
    return pd.DataFrame(rows, columns=["month", "records", "typical", "where"])


def _month_start(p: pd.Series) -> pd.Series:
    return p.dt.start_time


def consistency_checks(ds: Dataset) -> pd.DataFrame:
    """Records the data contract allows but that deserve a second look.

    Columns: ``check, table, records, people, of_records, comment``. ``records`` counts the records
    concerned and ``people`` the distinct people they belong to; ``of_records`` is the table's size.
    """
    prog = ds.programme
    scr = ds.screening
    listed_ids = set(scr[scr.listed.astype(bool)].person_id)
    first_listed = _month_start(scr[scr.listed.astype(bool)].groupby("person_id").month.min())
    exits = ds.exits.drop_duplicates("person_id").set_index("person_id")
    window = prog.engagement_window_days
    rows = []

    def add(check, table, frame, mask, comment):
        m = np.asarray(mask, dtype=bool)
        rows.append({"check": check, "table": table, "records": int(m.sum()),
                     "people": int(frame.person_id[m].nunique()) if "person_id" in frame else 0,
                     "of_records": len(frame), "comment": comment})

    con, ref, pp, off, rmp = ds.contacts, ds.referrals, ds.ppit_assessments, ds.offences, ds.rmps
    fl = con.person_id.map(first_listed)
    add("Contacts with people never listed", "contacts", con, ~con.person_id.isin(listed_ids),
        "Engagement is only expected after listing; check the person identifiers match the screening table.")
    add("Contacts dated before the person's first listing", "contacts", con, (con.contact_date < fl).fillna(False),
        "Contacts before listing are left out of engagement measures.")
    exit_date = con.person_id.map(exits.exit_date)
    add("Contacts dated after the person's exit", "contacts", con, (con.contact_date > exit_date).fillna(False),
        "Possible after release from custody or a return to the area; otherwise a date error.")
    add("Referrals of people never listed", "referrals", ref, ~ref.person_id.isin(listed_ids),
        "May be legitimate (referred by another route) but are not programme referrals.")
    add("Referrals dated before the person's first listing", "referrals", ref,
        (ref.referred_date < ref.person_id.map(first_listed)).fillna(False),
        "Left out of referral measures, which count referrals after listing.")
    add("PPIT assessments of people never listed", "ppit_assessments", pp, ~pp.person_id.isin(listed_ids),
        "Practitioners score listed people; check identifiers.")
    first_pp = pp[pp.rating == "first"].sort_values("assessment_date").drop_duplicates("person_id")
    lag = (first_pp.assessment_date - first_pp.person_id.map(first_listed)).dt.days
    late = pd.Series(False, index=pp.index)
    late[first_pp.index[(lag > window).fillna(False).to_numpy()]] = True
    add(f"First PPIT assessment more than {window} days after listing", "ppit_assessments", pp, late,
        "A late assessment may not reflect risk at listing.")
    early = pd.Series(False, index=pp.index)
    early[first_pp.index[(lag < 0).fillna(False).to_numpy()]] = True
    add("First PPIT assessment dated before listing", "ppit_assessments", pp, early,
        "Possible for people assessed while being screened; otherwise a date error.")
    firsts = set(pp[pp.rating == "first"].person_id)
    add("Second PPIT ratings without a first rating", "ppit_assessments", pp,
        (pp.rating == "second") & ~pp.person_id.isin(firsts), "A second rating should double-score a first one.")
    add("Offences with a victim but no domestic-abuse flag", "offences", off,
        off.victim_id.notna() & ~off.da_flag.astype(bool),
        "May be correct (an offence against a non-partner) or a missed DA flag, which would undercount reoffending.")
    ex = scr.person_id.map(exits.exit_date)
    add("Screening after the person's exit", "screening", scr, (scr.month.dt.start_time > ex).fillna(False),
        "Possible after release from custody or a return to the area; follow-up still ends at the first exit.")
    pillars = ["supervision", "monitoring_control", "interventions_treatment", "victim_safety"]
    if len(rmp):
        add("Risk management plans with no pillar", "rmps", rmp, ~rmp[pillars].astype(bool).any(axis=1),
            "A plan should rest on at least one of the four pillars.")
        add("Risk management plans of people never listed", "rmps", rmp, ~rmp.person_id.isin(listed_ids),
            "Plans are only expected for listed people.")
    return pd.DataFrame(rows, columns=["check", "table", "records", "people", "of_records", "comment"])


def double_scoring(ds: Dataset, level: float = 0.95) -> pd.DataFrame:
    """Share of people with a first PPIT rating who were also rated independently a second time.

    One row per year of the first assessment plus an ``All`` row: ``year, assessed, double_scored,
    percent, ci_low, ci_high`` (Wilson intervals).
    """
    pp = ds.ppit_assessments
    first = pp[pp.rating == "first"].sort_values("assessment_date").drop_duplicates("person_id")
    second = set(pp[pp.rating == "second"].person_id)
    f = pd.DataFrame({"year": first.assessment_date.dt.year.astype("Int64").astype(str),
                      "double": first.person_id.isin(second).to_numpy()})
    g = f.groupby("year").double.agg(["size", "sum"]).reset_index()
    g.loc[len(g)] = ["All", int(f.double.size), int(f.double.sum())]
    g = g.rename(columns={"size": "assessed", "sum": "double_scored"})
    g["assessed"] = g.assessed.astype(int)
    g["double_scored"] = g.double_scored.astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo, hi = wilson_interval(g.double_scored.to_numpy(), g.assessed.to_numpy(), level)
        g["percent"] = 100 * g.double_scored / g.assessed.replace(0, np.nan)
    g["ci_low"], g["ci_high"] = 100 * np.asarray(lo), 100 * np.asarray(hi)
    return g


@dataclass
class QualityReport:
    """All content of the data-quality report for one validated extract."""

    ds: Dataset

    def __post_init__(self):
        self.absent = frozenset(_absent(self.ds))
        self.ds = _typed(self.ds)
        self.threshold = self.ds.programme.disclosure_threshold

    # ------------------------------------------------------------------ results
    @cached_property
    def completeness(self) -> PublishedTable:
        c = completeness(self.ds, skip=self.absent)
        prot = protect(c, {"blank": ["percent_blank"], "filled": ["percent_blank"], "records": ["percent_blank"]},
                       self.threshold, additive=False)
        prot = _drop(prot, ["filled"])
        t = prot.table.copy()
        t["table"] = t.table.map(TABLE_LABELS).fillna(t.table)
        prot = Protected(t, prot.suppressed, prot.threshold, prot.n_primary, prot.n_secondary)
        return PublishedTable("completeness", "Blank values in columns that may be left blank", prot,
                              ("records", "blank"), {"percent_blank": "{:.1f}%"},
                              {"table": "Table", "column": "Column", "description": "What it holds",
                               "records": "Records", "blank": "Blank", "percent_blank": "% blank"})

    @cached_property
    def monthly(self) -> Protected:
        """Records per month per table after disclosure control (secondary suppression within a table)."""
        m = monthly_records(self.ds, skip=self.absent)
        return protect(m, ["records"], self.threshold, additive_within="table")

    @cached_property
    def sparse(self) -> PublishedTable:
        m = monthly_records(self.ds, skip=self.absent)
        rows = []
        for name, grp in m.groupby("table", sort=False):
            s = sparse_months(grp.set_index("month").records, min_typical=self.threshold)
            s.insert(0, "table", name)
            if len(s):
                rows.append(s)
        frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
            {"table": pd.Series(dtype=object), "month": pd.Series(dtype=object),
             "records": pd.Series(dtype=int), "typical": pd.Series(dtype=float), "where": pd.Series(dtype=object)})
        frame["month"] = frame.month.astype(str)
        frame["table"] = frame.table.map(TABLE_LABELS).fillna(frame.table)
        frame["typical"] = frame.typical.astype(float).round()
        prot = protect(frame, ["records", "typical"], self.threshold, additive=False)
        return PublishedTable("sparse_months", "Months with far fewer records than the months around them", prot,
                              ("records",), {"typical": "{:,.0f}"},
                              {"table": "Table", "month": "Month", "records": "Records",
                               "typical": "Typical nearby month", "where": "Where"})

    @cached_property
    def checks(self) -> PublishedTable:
        c = consistency_checks(self.ds)
        c = c[~c.table.isin(self.absent)].reset_index(drop=True)
        c["table"] = c.table.map(TABLE_LABELS).fillna(c.table)
        prot = protect(c, ["records", "people", "of_records"], self.threshold, additive=False)
        return PublishedTable("consistency_checks", "Records that are allowed but worth checking", prot,
                              ("records", "people", "of_records"), {},
                              {"check": "Check", "table": "Table", "records": "Records", "people": "People",
                               "of_records": "Records in the table", "comment": "Why it matters"})

    @cached_property
    def double(self) -> PublishedTable:
        d = double_scoring(self.ds)
        d["not_double"] = d.assessed - d.double_scored
        derived = ["percent", "ci_low", "ci_high"]
        years = d[d.year != "All"]
        prot_years = protect(years, {"assessed": derived, "double_scored": derived, "not_double": derived},
                             self.threshold, additive=True)
        prot_all = protect(d[d.year == "All"], {"assessed": derived, "double_scored": derived,
                                                "not_double": derived}, self.threshold, additive=False)
        table = pd.concat([prot_years.table, prot_all.table], ignore_index=True)
        supp = pd.concat([prot_years.suppressed, prot_all.suppressed], ignore_index=True)
        prot = _drop(Protected(table, supp, self.threshold, prot_years.n_primary + prot_all.n_primary,
                               prot_years.n_secondary + prot_all.n_secondary), ["not_double"])
        return PublishedTable("double_scoring", "PPIT double scoring by year of first assessment", prot,
                              ("assessed", "double_scored"),
                              {"percent": "{:.1f}%", "ci_low": "{:.1f}%", "ci_high": "{:.1f}%"},
                              {"year": "Year", "assessed": "People assessed", "double_scored": "Also scored a second time",
                               "percent": "Percent", "ci_low": "95% low", "ci_high": "95% high"})

    def published_tables(self) -> dict[str, PublishedTable]:
        """Every table this report publishes, by name (the monthly series goes to the workbook only)."""
        m = self.monthly
        m = Protected(m.table.assign(month=m.table.month.astype(str)), m.suppressed, m.threshold, m.n_primary,
                      m.n_secondary)
        monthly = PublishedTable("monthly_records", "Records per month in each table", m, ("records",),
                                 {}, {"table": "Table", "month": "Month", "records": "Records"})
        double = (self.double,) if self.ds.programme.has_risk_tool else ()
        return {t.name: t for t in (self.completeness, monthly, self.sparse, self.checks, *double)}

    def save_workbook(self, path) -> str:
        """Write every published table, and the disclosure rule, to an XLSX workbook (one sheet each)."""
        from foundation_eval.reporting.export import write_workbook

        tables = {t.title: t.display() for t in self.published_tables().values()}
        tables["Disclosure rule"] = pd.DataFrame({"rule": [rule_text(self.threshold)]})
        write_workbook(tables, path)
        return ""

    # ------------------------------------------------------------------ sections (HTML)
    def title(self) -> str:
        prog = self.ds.programme
        return (f"<h1>{html.escape(prog.name)}: data quality</h1><p class='fe-sub'>Extract of "
                f"{pd.Timestamp(prog.extract_date).date()}, study period {prog.study_start} to {prog.study_end}. "
                f"{'Synthetic demonstration data: no real person is described. ' if prog.illustrative else ''}</p>")

    def summary_sentences(self) -> list[str]:
        """The executive summary as a list of 3-6 plain-English sentences."""
        t = self.threshold
        ds = self.ds
        s = []
        n_people = len(ds.people)
        present = [n for n in TABLE_ORDER if n in ds.tables and n not in self.absent]
        n_records = sum(len(ds.tables[n]) for n in present)
        w = len(ds.warnings)
        s.append(f"The extract holds {count_phrase(n_people if n_people >= t else None, t)} and {n_records:,} records "
                 f"in {len(present)} tables, and it passed every rule of the data contract"
                 + (" with no warnings." if not w else f" with {w} warning{'s' if w != 1 else ''}, listed below."))
        c = self.completeness.protected.table
        c = c[c.percent_blank.notna()]
        if len(c):
            top = c.sort_values("percent_blank", ascending=False).iloc[0]
            k = len(self.completeness.protected.table)
            s.append(f"Of the {k} column{'s' if k != 1 else ''} that may be left blank, the most often "
                     f"blank is {top.column} in {_lower(top.table)} ({top.percent_blank:.0f}% of "
                     f"{int(top.records):,} records).")
        sp = self.sparse.protected.table
        if len(sp):
            where = [f"{_lower(tb)} in {mo}" for tb, mo in zip(sp.table, sp.month, strict=True)]
            shown = _join(where[:3]) + (f" and {len(where) - 3} more" if len(where) > 3 else "")
            s.append(f"{len(where)} month{'s have' if len(where) != 1 else ' has'} far fewer records than the months "
                     f"around {'them' if len(where) != 1 else 'it'} ({shown}): records may be missing or still "
                     "arriving.")
        else:
            s.append("No month has far fewer records than the months around it.")
        ch = self.checks.protected.table
        hits = ch[(ch.records.isna()) | (ch.records > 0)]
        if len(hits):
            known = hits[hits.records.notna()].sort_values("records", ascending=False)
            most = (f", the most common being {_lower(known.iloc[0].check)} ({int(known.iloc[0].records):,} records)"
                    if len(known) else "")
            s.append(f"{len(hits)} of {len(ch)} consistency checks found records that are allowed but worth "
                     f"checking{most}.")
        else:
            s.append(f"None of the {len(ch)} consistency checks found anything to query.")
        d = self.double.protected.table
        allrow = d[d.year == "All"].iloc[0] if (d.year == "All").any() else None
        if allrow is not None and pd.notna(allrow.percent):
            s.append(f"{allrow.percent:.1f}% of people assessed with the PPIT were scored independently a second "
                     f"time (95% interval {allrow.ci_low:.1f}% to {allrow.ci_high:.1f}%), the sample the "
                     "reliability estimates rest on.")
        elif not self.ds.programme.has_risk_tool:
            pass  # a programme without a risk tool has nothing to double score
        elif "ppit_assessments" in self.absent:
            s.append("PPIT assessments are not in this extract, so double scoring cannot be checked.")
        else:
            s.append(f"Too few people (fewer than {t}) were double scored to publish the rate.")
        return s[:6]

    def summary(self) -> str:
        body = " ".join(html.escape(x) for x in self.summary_sentences())
        return f"<div class='fe-summary'><h2>Summary</h2><p>{body}</p></div>"

    def validation_section(self) -> str:
        """What validation warned about (failures stop the render, so none can appear here)."""
        head = ("<h2>What validation said</h2><p>Every file was checked against the data contract (types, allowed "
                "values, keys, links between tables, dates and the programme's rules). A file that breaks a rule stops "
                "the reports with an error naming the file, column and rows, so everything below passed. Validation "
                "also notes things that do not stop analysis:</p>")
        if not self.ds.warnings:
            return head + "<p>No warnings: every expected table was present and every column was in the contract.</p>"
        items = "".join(f"<li>{html.escape(w)}</li>" for w in self.ds.warnings)
        return head + f"<ul>{items}</ul>"

    def completeness_section(self) -> str:
        return ("<h2>Completeness</h2><p>Share of records left blank in each column that the data contract allows "
                "to be blank (for example a referral that was never started has no start date). Required columns "
                "are never blank: validation checks them. A column that is blank far more often than the programme "
                "would suggest may point to a recording gap.</p>" + self.completeness.html())

    def monthly_section(self) -> str:
        """Records per month per table, with late or missing months marked."""
        m = self.monthly.table
        sp = self.sparse.protected.table
        tables = list(dict.fromkeys(m.table))
        import matplotlib.pyplot as plt

        new_axes()  # house style
        rows = (len(tables) + 1) // 2
        fig, axes = plt.subplots(rows, 2, figsize=(7.5, 1.9 * rows), sharex=True)
        axes = np.atleast_1d(axes).ravel()
        first_live = min(d.go_live for d in self.ds.programme.districts).to_timestamp()
        for ax, name in zip(axes, tables, strict=False):
            g = m[m.table == name]
            x = g.month.dt.to_timestamp()
            ax.plot(x, pd.to_numeric(g.records, errors="coerce"), color=PALETTE[0], lw=1.4)
            label = TABLE_LABELS.get(name, name)
            flagged = sp[sp.table == label]
            if len(flagged):
                # marked on the axis, not at the count, so a suppressed count is not drawn
                fx = pd.PeriodIndex(flagged.month, freq="M").to_timestamp()
                ax.scatter(fx, np.zeros(len(fx)), color=PALETTE[3], marker="^", zorder=3, s=30, clip_on=False)
            ax.axvline(first_live, color=GREY, ls="--", lw=0.8)
            ax.set_title(label, fontsize=9)
            ax.set_ylim(bottom=0)
            ax.tick_params(labelsize=7)
        for ax in axes[len(tables):]:
            ax.set_visible(False)
        fig.supylabel("Records per month", fontsize=9)
        fig.supxlabel("Month (dashed line: first go-live)", fontsize=9)
        fig.tight_layout()
        alt = ("Small line charts of the number of records per month in each dated table (screening, PPIT "
               "assessments, contacts, referrals, offences, risk management plans, exits) over the study period, "
               "with months that have far fewer records than the months around them marked by red triangles on the "
               "axis.")
        intro = ("<h2>Records per month</h2><p>Each table's records by month. A month with far fewer records than the "
                 "months around it (fewer than half the typical count nearby) may be missing data; low counts in the "
                 "latest months may be records still arriving. Tables about the programme (assessments, contacts, "
                 "plans) start at go-live. Months with 1 to "
                 f"{self.threshold - 1} records are left as gaps.</p>")
        table = (self.sparse.html() if len(sp) else
                 "<p>No month has far fewer records than the months around it.</p>")
        return intro + to_html(fig, alt) + table

    def checks_section(self) -> str:
        return ("<h2>Records worth checking</h2><p>These records are allowed by the data contract, so they do not stop "
                "the analysis, but each can point to a recording or linking problem. Records counts rows of the "
                "table; People counts the distinct people they belong to.</p>" + self.checks.html())

    def double_scoring_section(self) -> str:
        if not self.ds.programme.has_risk_tool:  # nothing to double score
            return ""
        return ("<h2>Double scoring of the PPIT</h2><p>A sample of people is scored independently by a second "
                "assessor, so that the agreement between assessors (reliability) can be measured. The table shows the "
                "share of people assessed with the PPIT who were also scored a second time, by year of first "
                "assessment, with Wilson 95% intervals.</p>" + self.double.html())

    def methods(self) -> str:
        return ("<h2>Methods</h2><p>Completeness covers the columns the data contract marks as optional. Records are "
                "placed in months by: " + ", ".join(f"{TABLE_LABELS[k].lower()} by {v.replace('_', ' ')}"
                                                     for k, v in DATE_COLUMNS.items())
                + ". A month is marked when its count is below half the typical count nearby, taken as the smaller of "
                "the medians of the three months before and the three months after (one side at the ends of the "
                f"series), and that typical count is at least {self.threshold}. Listing dates are the first day of "
                "the first listed month. Intervals are Wilson (1927) score intervals.</p>")

    def disclosure(self) -> str:
        return f"<h2>Disclosure control</h2><p>{html.escape(rule_text(self.threshold))}</p>"

    def provenance(self, parameters: dict | None = None) -> str:
        params = parameters or {"programme": self.ds.programme.id}
        return provenance_html(self.ds, params)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _lower(label: str) -> str:
    """Lower-case the first word of a label for use inside a sentence, keeping acronyms (PPIT)."""
    first = label.split(" ", 1)[0]
    return label if first.isupper() else label[:1].lower() + label[1:]
