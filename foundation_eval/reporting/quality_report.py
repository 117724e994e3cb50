"""Content of the data-quality report: completeness, late or missing months, records worth checking,
validation warnings and the risk-tool double-scoring rate.

The report is about an extract that already passed validation. It takes the render's snapshot (or a
validated [`Dataset`][foundation_eval.data.load.Dataset], wrapped in a snapshot without estimates: the
report needs no fitted model). Validation *failures* are not shown here by design: an extract that
breaks the data contract never becomes a dataset
([`load_dataset`][foundation_eval.data.load.load_dataset] raises a ``ValidationError`` naming file,
column, rule and example rows, which ``foundation-eval validate`` prints), so no report is built on
it. What validation *warned* about is listed here.

The module functions compute the exact figures from a dataset (nothing withheld: for analysts with
access to the extract); [`QualityReport`][foundation_eval.reporting.quality_report.QualityReport]
publishes them through one [`Page`][foundation_eval.reporting.publication.Page] (``report.page``):
counts are rounded and 1 to threshold - 1 withheld, shares withheld on small groups, and no identifier
is ever shown. The notebook ``notebooks/data_quality.ipynb`` shows each section.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.data.load import Dataset
from foundation_eval.reporting.disclosure import hidden_mask
from foundation_eval.reporting.figures import GREY, PALETTE, new_axes
from foundation_eval.reporting.publication import Page, Section, Table, Text
from foundation_eval.schemas import TABLE_ORDER, programme_schemas
from foundation_eval.stats import wilson_interval

__all__ = ["QualityReport", "SPARSE_RULE", "completeness", "monthly_records", "sparse_months", "consistency_checks",
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
"""The date column that places each dated table's records in a calendar month: ``{table: column}``
(the screening table is already monthly). The districts and people tables are not dated."""
TABLE_LABELS = {
    "districts": "Districts", "people": "People", "screening": "Monthly screening", "ppit_assessments":
    "PPIT assessments", "contacts": "Contacts", "referrals": "Referrals", "offences": "Offences",
    "rmps": "Risk management plans", "exits": "Exits",
}


def completeness(ds: Dataset, skip=()) -> pd.DataFrame:
    r"""Blank values in every column the data contract allows to be blank.

    For each optional column of each table in the extract, $\text{percent\_blank} = 100 \times
    \text{blank} / \text{records}$. Required columns are left out: validation has already guaranteed
    they are never blank. The counts are exact (nothing is withheld here).

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    skip : iterable of str, optional
        Tables to leave out (the absent optional tables, say).

    Returns
    -------
    DataFrame
        One row per optional column, tables in the contract's order: ``table``, ``column``,
        ``description`` (the first sentence of the contract's description), ``records`` (rows of the
        table), ``blank``, ``filled`` and ``percent_blank`` (NaN for an empty table).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ds = open_snapshot().dataset  # the built-in synthetic force
    >>> c = completeness(ds)
    >>> list(c.columns)
    ['table', 'column', 'description', 'records', 'blank', 'filled', 'percent_blank']
    >>> bool((c.blank + c.filled == c.records).all())
    True
    >>> row = c.set_index(["table", "column"]).loc[("referrals", "started_date")]
    >>> int(row.blank) == int(ds.referrals.started_date.isna().sum())
    True
    >>> ("people", "person_id") in set(zip(c.table, c.column))  # required: never blank, not listed
    False
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
    """Records per calendar month of each dated table over the study period.

    Each record is placed in the month of its table's date column
    ([`DATE_COLUMNS`][foundation_eval.reporting.quality_report.DATE_COLUMNS]); months without records
    count 0, and records outside the period are not counted.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    start, end : str or Period, optional
        First and last month (default: the programme's study period, ``study_start`` to ``study_end``).
    skip : iterable of str, optional
        Tables to leave out (e.g. absent optional tables).

    Returns
    -------
    DataFrame
        ``table, month, records``: one row per dated table and month, months as monthly ``Period``
        values, tables in the order of ``DATE_COLUMNS``. Empty (with those columns) when no dated table
        is left.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ds = open_snapshot().dataset  # the built-in synthetic force
    >>> m = monthly_records(ds)
    >>> list(m.table.unique())
    ['screening', 'ppit_assessments', 'contacts', 'referrals', 'offences', 'rmps', 'exits']
    >>> scr = m[m.table == "screening"]
    >>> len(scr) == len(ds.programme.months), int(scr.records.sum()) == len(ds.screening)
    (True, True)
    >>> q1 = monthly_records(ds, start="2024-01", end="2024-03", skip=["offences", "exits"])
    >>> q1.month.astype(str).unique().tolist(), len(q1)
    (['2024-01', '2024-02', '2024-03'], 15)
    """
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

    For each month the *typical* count $m$ is the smaller of the medians of the ``width`` months
    before and the ``width`` months after (one side only at the ends of the series; a side needs at
    least two months, or ``width`` if that is smaller). Taking the smaller side means a month is not
    flagged merely because activity steps up after it (a district going live). A month with count $x$
    is flagged when

    $$
    x < \text{ratio} \cdot m, \qquad m \ge \text{min\_typical}, \qquad
    P(X \le x \mid X \sim \text{Poisson}(m)) < \alpha,
    $$

    so that a small table's ordinary month-to-month noise is not mistaken for a gap. The report
    applies it with [`SPARSE_RULE`][foundation_eval.reporting.quality_report.SPARSE_RULE] and the
    disclosure threshold as ``min_typical``.

    Parameters
    ----------
    records : Series
        Counts indexed by month, in order.
    width : int, default 3
        Months on each side that make the typical count.
    ratio : float, default 0.5
        A month is flagged only below this share of the typical count.
    min_typical : float, default 10
        Smallest typical count at which a month can be flagged (smaller tables are too noisy).
    alpha : float, default 0.001
        A month is flagged only when a count this low has a Poisson probability below ``alpha``.

    Returns
    -------
    DataFrame
        ``month, records, typical, where``, one row per flagged month, in order (``where``: "gap"
        inside the series, "latest months" at its end, "first months" at its start). Empty when no
        month is flagged.

    Examples
    --------
    The example of the package's tests: a table that starts at go-live (months of zeros, then about
    100 a month) with one month of 12 and a last month of 40. The step up at go-live is not flagged.

    >>> import pandas as pd
    >>> months = pd.period_range("2022-01", periods=14, freq="M")
    >>> counts = pd.Series([0, 0, 0, 0, 100, 104, 98, 12, 101, 99, 103, 97, 100, 40], index=months)
    >>> sparse_months(counts)
         month  records  typical          where
    0  2022-08       12    100.0            gap
    1  2023-02       40    100.0  latest months

    A small table's noise is not a gap (the typical count is below ``min_typical``):

    >>> sparse_months(pd.Series([11, 12, 9, 5, 13, 10, 12], index=months[:7])).empty
    True
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

    Thirteen checks (eleven when the extract has no risk management plans): contacts, referrals, PPIT
    assessments and plans of people never listed; contacts and referrals dated before the person's
    first listing (the first day of the first listed month); contacts and screening after the person's
    exit; a first PPIT assessment more than the programme's engagement window after listing, or before
    it; second PPIT ratings without a first; offences naming a victim without the domestic-abuse flag;
    plans resting on none of the four pillars. Every check is run, so a row with 0 records means the
    check found nothing. The counts are exact (nothing is withheld here).

    Parameters
    ----------
    ds : Dataset
        A validated extract.

    Returns
    -------
    DataFrame
        ``check, table, records, people, of_records, comment``: ``records`` counts the records
        concerned and ``people`` the distinct people they belong to; ``of_records`` is the table's
        size; ``comment`` says why the check matters.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ds = open_snapshot().dataset  # the built-in synthetic force
    >>> c = consistency_checks(ds).set_index("check")
    >>> list(c.columns)
    ['table', 'records', 'people', 'of_records', 'comment']
    >>> listed = set(ds.screening[ds.screening.listed.astype(bool)].person_id)
    >>> never = ~ds.referrals.person_id.isin(listed)
    >>> row = c.loc["Referrals of people never listed"]
    >>> (row.records, row.people) == (never.sum(), ds.referrals.person_id[never].nunique())
    True
    >>> bool((c.people <= c.records).all() and (c.records <= c.of_records).all())
    True
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
    r"""Share of people with a first PPIT rating who were also rated independently a second time.

    People are placed in the year of their first ``first`` rating; a person counts as double scored
    when any ``second`` rating of them exists. With $k$ double scored of $n$ assessed,
    $\hat p = k / n$ and the Wilson (1927, *Journal of the American Statistical Association* 22:
    209-212) score interval is

    $$
    rac{\hat p + rac{z^2}{2n} \pm z \sqrt{rac{\hat p (1 - \hat p)}{n} + rac{z^2}{4n^2}}}
         {1 + rac{z^2}{n}},
    $$

    with $z$ the normal quantile of ``level``. These double-scored people are the sample the
    reliability estimates of the risk tool rest on. The counts are exact (nothing is withheld here).

    Parameters
    ----------
    ds : Dataset
        A validated extract with PPIT assessments.
    level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per year of the first assessment plus an ``All`` row: ``year`` (text), ``assessed``,
        ``double_scored``, ``percent``, ``ci_low``, ``ci_high`` (all three in percent).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ds = open_snapshot().dataset  # the built-in synthetic force
    >>> d = double_scoring(ds).set_index("year")
    >>> list(d.columns)
    ['assessed', 'double_scored', 'percent', 'ci_low', 'ci_high']
    >>> years = d.drop(index="All")
    >>> bool((years[["assessed", "double_scored"]].sum() == d.loc["All", ["assessed", "double_scored"]]).all())
    True
    >>> bool(((d.ci_low < d.percent) & (d.percent < d.ci_high)).all())
    True
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




SPARSE_RULE = {"width": 3, "ratio": 0.5, "alpha": 0.001}
"""How [`sparse_months`][foundation_eval.reporting.quality_report.sparse_months] is applied on the page
(with the disclosure threshold as ``min_typical``); the report's methods text is written from these
values."""


def _join(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _lower(label: str) -> str:
    """Lower-case the first word of a label for use inside a sentence, keeping acronyms (PPIT)."""
    first = label.split(" ", 1)[0]
    return label if first.isupper() else label[:1].lower() + label[1:]




class QualityReport:
    """All content of the data-quality report for one validated extract, published through ``self.page``.

    The tables are computed on first use and kept; each section method returns one block of the page,
    and [`sections`][foundation_eval.reporting.quality_report.QualityReport.sections] returns them all
    in order. Every count shown is rounded and counts from 1 to threshold - 1 are withheld, by the
    page's disclosure rule.

    Parameters
    ----------
    snap : Snapshot or Dataset
        The render's snapshot ([`open_snapshot`][foundation_eval.evaluation.snapshot.open_snapshot]), or a
        validated dataset (wrapped in a snapshot without estimates; nothing here needs a fitted model).
    parameters : dict, optional
        Extra parameters for the provenance block (e.g. the data folder's name).

    Attributes
    ----------
    snap : Snapshot
        The snapshot the report reads.
    programme : Programme
        The programme of the extract.
    ds : Dataset
        The validated extract.
    absent : frozenset of str
        Optional tables the extract does not have; they are left out of every table.
    page : Page
        The publication layer: every table, figure and sentence goes through it.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> from foundation_eval.reporting.publication import Section
    >>> report = QualityReport(open_snapshot())
    >>> [s.heading for s in report.sections() if isinstance(s, Section)]
    ['What validation said', 'Completeness', 'Records per month', 'Records worth checking',
     'Double scoring of the risk tool', 'Methods', 'Disclosure control', 'Provenance']
    >>> sorted(t.name for t in report.page.tables)
    ['completeness', 'consistency_checks', 'double_scoring', 'monthly_records', 'sparse_months']
    >>> blank = report.completeness_table.values.blank.dropna()  # published: rounded, small ones withheld
    >>> bool(((blank == 0) | (blank >= report.page.threshold)).all())
    True
    """

    def __init__(self, snap, parameters: dict | None = None):
        if isinstance(snap, Dataset):
            from foundation_eval.evaluation.snapshot import Snapshot

            snap = Snapshot(snap)
        prog = snap.programme
        self.snap = snap
        self.programme = prog
        self.absent = snap.dataset.absent
        self.ds = snap.dataset
        self.page = Page(snap, "data quality", kind="For analysts",
                         parameters={"programme": prog.id, **(parameters or {})})

    @property
    def has_double_scoring(self) -> bool:
        """Whether double scoring can be reported: the programme has a risk tool and the extract its assessments."""
        return self.programme.has_risk_tool and "ppit_assessments" not in self.absent

    # ------------------------------------------------------------------ tables
    @cached_property
    def completeness_table(self) -> Table:
        """Blank values in each column the data contract allows to be blank, as published
        ([`completeness`][foundation_eval.reporting.quality_report.completeness])."""
        c = completeness(self.ds, skip=self.absent)
        small = hidden_mask(c.filled, self.page.threshold)
        c["table"] = c.table.map(TABLE_LABELS).fillna(c.table)
        return self.page.table(
            "completeness", c.drop(columns="filled"), title="Blank values in columns that may be left blank",
            counts={"records": ["percent_blank"], "blank": ["percent_blank"]}, additive=False,
            kinds={"percent_blank": "decimal1"}, hide={"blank": small, "percent_blank": small},
            headings={"table": "Table", "column": "Column", "description": "What it holds", "records": "Records",
                      "blank": "Blank", "percent_blank": "Percent blank"},
            notes=("Required columns are left out: validation guarantees they are never blank.",
                   "Percent blank is worked out from the exact counts, to one decimal place."))

    @cached_property
    def monthly_frame(self) -> pd.DataFrame:
        """Records per month in each dated table
        ([`monthly_records`][foundation_eval.reporting.quality_report.monthly_records]), before
        disclosure control."""
        return monthly_records(self.ds, skip=self.absent)

    @cached_property
    def monthly_table(self) -> Table:
        """Records per month per table (secondary suppression within a table); in the workbook and the figure."""
        m = self.monthly_frame.copy()
        m["table"] = m.table.map(TABLE_LABELS).fillna(m.table)
        m["month"] = m.month.astype(str)
        return self.page.table("monthly_records", m, title="Records per month in each table", counts=["records"],
                               additive_within="table",
                               headings={"table": "Table", "month": "Month", "records": "Records"},
                               notes=("Months are placed by each table's main date (see Methods).",))

    @cached_property
    def sparse_table(self) -> Table:
        """Months with far fewer records than the months around them, as published
        ([`sparse_months`][foundation_eval.reporting.quality_report.sparse_months] on each table)."""
        rows = []
        for name, grp in self.monthly_frame.groupby("table", sort=False):
            s = sparse_months(grp.set_index("month").records, min_typical=self.page.threshold, **SPARSE_RULE)
            s.insert(0, "table", TABLE_LABELS.get(name, name))
            if len(s):
                rows.append(s)
        frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
            {"table": pd.Series(dtype=object), "month": pd.Series(dtype=object), "records": pd.Series(dtype=float),
             "typical": pd.Series(dtype=float), "where": pd.Series(dtype=object)})
        frame["month"] = frame.month.astype(str)
        return self.page.table(
            "sparse_months", frame, title="Months with far fewer records than the months around them",
            counts=["records", "typical"], additive=False,
            headings={"table": "Table", "month": "Month", "records": "Records", "typical": "Typical nearby month",
                      "where": "Where in the series"},
            notes=("Typical nearby month: the smaller of the medians of the months just before and just after.",))

    @cached_property
    def checks_table(self) -> Table:
        """Records the data contract allows but that deserve a second look, as published
        ([`consistency_checks`][foundation_eval.reporting.quality_report.consistency_checks])."""
        c = consistency_checks(self.ds)
        c = c[~c.table.isin(self.absent)].reset_index(drop=True)
        c["table"] = c.table.map(TABLE_LABELS).fillna(c.table)
        notes = tuple(f"{ch}: {why}" for ch, why in zip(c.check, c.comment, strict=True))
        return self.page.table(
            "consistency_checks", c.drop(columns="comment"), title="Records that are allowed but worth checking",
            counts=["records", "people", "of_records"], additive=False,
            headings={"check": "Check", "table": "Table", "records": "Records", "people": "People",
                      "of_records": "Records in the table"},
            notes=("Records counts rows of the table; People counts the distinct people they belong to.", *notes))

    @cached_property
    def double_table(self) -> Table | None:
        """Share of people assessed with the risk tool who were scored a second time, by year, as
        published ([`double_scoring`][foundation_eval.reporting.quality_report.double_scoring]); None
        without double scoring."""
        if not self.has_double_scoring:
            return None
        d = double_scoring(self.ds)
        small = hidden_mask(d.assessed - d.double_scored, self.page.threshold)
        derived = ["percent", "ci_low", "ci_high"]
        return self.page.table(
            "double_scoring", d, title="Risk-tool double scoring by year of first assessment",
            counts={"assessed": derived, "double_scored": derived}, additive=True,
            kinds={c: "percent" for c in derived}, hide={c: small for c in ["double_scored", *derived]},
            headings={"year": "Year", "assessed": "People assessed", "double_scored": "Also scored a second time",
                      "percent": "Percent", "ci_low": "95% low", "ci_high": "95% high"},
            notes=("Wilson 95% intervals.",))

    # ------------------------------------------------------------------ sections
    def header(self) -> Text:
        """The page's title block: programme, report kind, extract date and study period.

        Returns
        -------
        Text
        """
        prog = self.programme
        return self.page.header(f"Extract of {pd.Timestamp(prog.extract_date).date()}, study period "
                                f"{prog.study_start} to {prog.study_end}.")

    def summary_sentences(self) -> list[Text]:
        """The executive summary: three to six sentences made from the published tables.

        The extract's size and validation warnings, the most often blank optional column, sparse
        months, the consistency checks that found records and the double-scoring rate, in that
        order. Counts in them are published counts (rounded; small ones withheld).

        Returns
        -------
        list of Text

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> report = QualityReport(open_snapshot())
        >>> first = report.summary_sentences()[0].plain
        >>> first.startswith("The extract holds"), "passed every rule of the data contract" in first
        (True, True)
        """
        p, ds = self.page, self.ds
        present = [n for n in TABLE_ORDER if n in ds.tables and n not in self.absent]
        w = len(ds.warnings)
        s = [p.say("The extract holds {{ people | count }} and {{ records | count('records') }} in {{ k | word }} "
                   "tables, and it passed every rule of the data contract {% if w %}with {{ w | word }} "
                   "{{ w | plural('warning') }}, listed below{% else %}with no warnings{% endif %}.",
                   people=len(ds.people), records=sum(len(ds.tables[n]) for n in present), k=len(present), w=w)]
        c = self.completeness_table.values
        shown = c[c.percent_blank.notna() & c.records.notna()]
        if len(shown):
            top = shown.sort_values("percent_blank", ascending=False).iloc[0]
            s.append(p.say("Of the {{ k | word }} {{ k | plural('column') }} that may be left blank, the most often "
                           "blank is {{ column }} in {{ table }} ({{ pct | percent }} of {{ n | count('records') }}).",
                           k=len(c), column=top.column, table=_lower(top.table), pct=top.percent_blank, n=top.records))
        sp = self.sparse_table.values
        if len(sp):
            where = [f"{_lower(tb)} in {mo}" for tb, mo in zip(sp.table, sp.month, strict=True)]
            s.append(p.say("{{ k | word | capitalize }} {{ k | plural('month has', 'months have') }} far fewer records "
                           "than the months around {{ k | plural('it', 'them') }} ({{ shown }}{% if more %} and "
                           "{{ more | word }} more{% endif %}): records may be missing or still arriving.",
                           k=len(where), shown=_join(where[:3]), more=max(0, len(where) - 3)))
        else:
            s.append(p.say("No month has far fewer records than the months around it."))
        exact = consistency_checks(ds)
        exact = exact[~exact.table.isin(self.absent)]
        hits = int((exact.records > 0).sum())
        ch = self.checks_table.values
        if hits:
            known = ch[ch.records.notna() & (ch.records > 0)].sort_values("records", ascending=False)
            s.append(p.say("{{ hits | word | capitalize }} of the {{ n | word }} consistency checks found records that "
                           "are allowed but worth checking{% if top %}, the most common being {{ top }} "
                           "({{ r | count('records') }}){% endif %}.", hits=hits, n=len(ch),
                           top=_lower(known.iloc[0].check) if len(known) else "",
                           r=known.iloc[0].records if len(known) else None))
        else:
            s.append(p.say("None of the {{ n | word }} consistency checks found anything to query.", n=len(ch)))
        if self.has_double_scoring:
            d = double_scoring(ds)
            a = d[d.year == "All"].iloc[0]
            sh = p.share(a.double_scored, a.assessed)
            s.append(p.say("{% if sh.pct is not none %}{{ sh.pct | percent }} of people assessed with the risk tool "
                           "were scored independently a second time (95% interval {{ sh.low | percent }} to "
                           "{{ sh.high | percent }}), the sample the reliability estimates rest on.{% else %}Too few "
                           "people were double scored, or too few were not, to publish the double-scoring rate."
                           "{% endif %}", sh=sh))
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
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> report = QualityReport(open_snapshot())
        >>> report.validation().heading, len(report.ds.warnings)
        ('What validation said', 0)
        >>> "No warnings" in report.validation().html()
        True
        """
        p = self.page
        items = [p.paragraph("Every file was checked against the data contract (types, allowed values, keys, links "
                             "between tables, dates and the programme's rules). A file that breaks a rule stops the "
                             "reports with an error naming the file, column and rows, so everything below passed. "
                             "Validation also notes things that do not stop analysis:")]
        if self.ds.warnings:
            items.append(p.bullets([p.say("{{ w }}", w=w) for w in self.ds.warnings]))
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
                                "(for example a referral that was never started has no start date). Required columns "
                                "are never blank: validation checks them. A column that is blank far more often than "
                                "the programme would suggest may point to a recording gap."),
            self.completeness_table))

    def monthly(self) -> Section:
        """Records per month per table (published values; withheld months are gaps), with sparse months marked.

        Returns
        -------
        Section
            "Records per month": a paragraph, a figure of small line charts (one per dated table, sparse
            months marked on the axis, the first go-live dashed), and the table of sparse months or a
            sentence saying there are none.
        """
        import matplotlib.dates as mdates
        import matplotlib.pyplot as plt

        p = self.page
        m, sp = self.monthly_table.values, self.sparse_table.values
        tables = list(dict.fromkeys(m.table))
        items = [p.say("Each table's records by month. A month with far fewer records than the months around it "
                       "(fewer than {{ ratio | proportion }} of the typical count nearby) may be missing data; low "
                       "counts in the latest months may be records still arriving. Tables about the programme "
                       "(assessments, contacts, plans) start at go-live. Months with fewer than {{ t }} records are "
                       "left as gaps, and every count is rounded.", ratio=SPARSE_RULE["ratio"], t=p.threshold)]
        if tables:
            new_axes()  # house style
            rows = (len(tables) + 1) // 2
            fig, axes = plt.subplots(rows, 2, figsize=(7.5, 1.9 * rows), sharex=True)
            axes = np.atleast_1d(axes).ravel()
            first_live = min(d.go_live for d in self.programme.districts).to_timestamp()
            for ax, label in zip(axes, tables, strict=False):
                g = m[m.table == label]
                x = pd.PeriodIndex(g.month, freq="M").to_timestamp()
                ax.plot(x, pd.to_numeric(g.records, errors="coerce"), color=PALETTE[0], lw=1.4)
                flagged = sp[sp.table == label]
                if len(flagged):
                    # marked on the axis, not at the count, so a withheld count is not drawn
                    fx = pd.PeriodIndex(flagged.month, freq="M").to_timestamp()
                    ax.scatter(fx, np.zeros(len(fx)), color=PALETTE[3], marker="^", zorder=3, s=30, clip_on=False)
                ax.axvline(first_live, color=GREY, ls="--", lw=0.8)
                ax.set_title(label, fontsize=9)
                ax.set_ylim(bottom=0)
                ax.tick_params(labelsize=7)
                ax.xaxis.set_major_locator(mdates.YearLocator())
                ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
            for ax in axes[len(tables):]:
                ax.set_visible(False)
            fig.supylabel("Records per month", fontsize=9)
            fig.supxlabel("Month (dashed line: first go-live)", fontsize=9)
            fig.tight_layout()
            alt = ("Small line charts of the number of records per month in each dated table over the study period, "
                   "with months that have far fewer records than the months around them marked by red triangles on "
                   "the axis.")
            items.append(p.figure(fig, alt))
        items.append(self.sparse_table if len(sp) else
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
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> report = QualityReport(open_snapshot())
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
        """How the figures were made: the months' date columns, the sparse-month rule (from
        [`SPARSE_RULE`][foundation_eval.reporting.quality_report.SPARSE_RULE]) and the intervals.

        Returns
        -------
        Section

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> report = QualityReport(open_snapshot())
        >>> text = report.methods().html()
        >>> "below 50% of the typical count" in text, "Wilson (1927)" in text
        (True, True)
        """
        p = self.page
        placed = ", ".join(f"{_lower(TABLE_LABELS[k])} by {v.replace('_', ' ')}" for k, v in DATE_COLUMNS.items()
                           if k not in self.absent)
        return Section("Methods", (
            p.say("Completeness covers the columns the data contract marks as optional. Records are placed in months "
                  "by: {{ placed }}. A month is marked when its count is below {{ ratio | proportion }} of the typical "
                  "count nearby, taken as the smaller of the medians of the {{ width | word }} months before and the "
                  "{{ width | word }} months after (one side at the ends of the series), that typical count is at "
                  "least {{ t }}, and a count that low would have a Poisson probability below {{ alpha }} given the "
                  "typical count. Listing dates are the first day of the first listed month. Intervals are Wilson "
                  "(1927) score intervals.", placed=placed, ratio=SPARSE_RULE["ratio"], width=SPARSE_RULE["width"],
                  alpha=SPARSE_RULE["alpha"], t=p.threshold),))

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

    # ------------------------------------------------------------------ the whole page
    def sections(self) -> list:
        """Every item of the page in order (what the notebook shows, cell by cell).

        Returns
        -------
        list
            The header and summary ([`Text`][foundation_eval.reporting.publication.Text]), then the
            sections ([`Section`][foundation_eval.reporting.publication.Section]) from validation to
            provenance.
        """
        out = [self.header(), self.summary(), self.validation(), self.completeness(), self.monthly(), self.checks(),
               self.double_scoring(), self.methods(), self.disclosure(), self.provenance()]
        return [x for x in out if x is not None]

    def html(self) -> str:
        """The whole page body as HTML: every item of
        [`sections`][foundation_eval.reporting.quality_report.QualityReport.sections], in order.

        Returns
        -------
        str
        """
        return "".join(x.html() for x in self.sections())
