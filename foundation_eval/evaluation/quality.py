r"""The data-quality study: every figure the data-quality report shows, computed once from the extract.

[`fit_quality`][foundation_eval.evaluation.quality.fit_quality] reads a validated extract and returns
one immutable [`QualityStudy`][foundation_eval.evaluation.quality.QualityStudy]: the validation
warnings, the size of each table, blank values in every optional column
([`completeness`][foundation_eval.evaluation.quality.completeness]), records per calendar month of
each dated table ([`monthly_records`][foundation_eval.evaluation.quality.monthly_records]) with the
months that have far fewer records than the months around them
([`sparse_months`][foundation_eval.evaluation.quality.sparse_months]), records the contract allows
but that deserve a second look
([`consistency_checks`][foundation_eval.evaluation.quality.consistency_checks]) and the share of
people double scored on the risk tool with Wilson intervals
([`double_scoring`][foundation_eval.evaluation.quality.double_scoring]).

Every count is exact: disclosure control is applied later, by the publication layer, which also works
out every published share from the published (rounded) counts. The render's snapshot fits the study
once (study ``"quality"`` of [`STUDIES`][foundation_eval.evaluation.snapshot.STUDIES]); the report
only formats it. The study is the one part of the render that reads every event table of the
extract: completeness and consistency are properties of the raw records themselves. It keeps no
identifier, and no result depends on the pseudonymisation key (only counts of records and of distinct
people).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.schemas import TABLE_ORDER, programme_schemas
from foundation_eval.stats import wilson_interval

__all__ = ["QualityStudy", "fit_quality", "completeness", "monthly_records", "sparse_months", "consistency_checks",
           "double_scoring", "DATE_COLUMNS", "SPARSE_RULE", "PILLARS"]

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

SPARSE_RULE = {"width": 3, "ratio": 0.5, "alpha": 0.001}
"""How [`sparse_months`][foundation_eval.evaluation.quality.sparse_months] is applied by
[`fit_quality`][foundation_eval.evaluation.quality.fit_quality] (with the programme's disclosure
threshold as ``min_typical``); the report's methods text is written from these values."""

PILLARS = ("supervision", "monitoring_control", "interventions_treatment", "victim_safety")
"""The four pillars a risk management plan rests on (columns of the plans table)."""

_COMPLETENESS = ["table", "column", "description", "records", "blank", "filled", "percent_blank"]
_CHECKS = ["check", "table", "records", "people", "of_records", "comment"]
_SPARSE = ["table", "month", "records", "typical", "where"]


def completeness(ds, skip=()) -> pd.DataFrame:
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
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset()  # the built-in synthetic force
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
        if name not in ds.tables or name in skip:
            continue
        have = set(ds.column_names(name))
        optional = [f for f in schemas[name].fields if not f.required and f.name in have]
        # only the optional columns: a table held on disk is not read whole
        frame = ds.read(name, [f.name for f in optional])
        n = ds.n_rows(name)
        for f in optional:
            blank = int(frame[f.name].isna().sum())
            rows.append({"table": name, "column": f.name, "description": f.description.split(". ")[0].rstrip("."),
                         "records": n, "blank": blank, "filled": n - blank,
                         "percent_blank": 100 * blank / n if n else np.nan})
    return pd.DataFrame(rows, columns=_COMPLETENESS)


def monthly_records(ds, start=None, end=None, skip=()) -> pd.DataFrame:
    """Records per calendar month of each dated table over the study period.

    Each record is placed in the month of its table's date column
    ([`DATE_COLUMNS`][foundation_eval.evaluation.quality.DATE_COLUMNS]); months without records
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
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset()  # the built-in synthetic force
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
        if name not in ds.tables or name in skip:
            continue
        s = ds.read(name, [col])[col]
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

    so that a small table's ordinary month-to-month noise is not mistaken for a gap. The study
    applies it with [`SPARSE_RULE`][foundation_eval.evaluation.quality.SPARSE_RULE] and the
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
    A table that starts at go-live (months of zeros, then about 100 a month) with one month of 12 and
    a last month of 40. The step up at go-live is not flagged; the month of 12 is (the Poisson
    probability of 12 or fewer given 100 is about 1e-28), and so is the last month.

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


def consistency_checks(ds) -> pd.DataFrame:
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
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset()  # the built-in synthetic force
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
    first_listed = scr[scr.listed.astype(bool)].groupby("person_id").month.min().dt.start_time
    exits = ds.exits.drop_duplicates("person_id").set_index("person_id")
    window = prog.engagement_window_days
    rows = []

    def add(check, table, frame, mask, comment):
        m = np.asarray(mask, dtype=bool)
        rows.append({"check": check, "table": table, "records": int(m.sum()),
                     "people": int(frame.person_id[m].nunique()) if "person_id" in frame else 0,
                     "of_records": len(frame), "comment": comment})

    con, ref, pp, rmp = ds.contacts, ds.referrals, ds.ppit_assessments, ds.rmps
    off = ds.read("offences", ["person_id", "victim_id", "da_flag"])
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
    if len(rmp):
        add("Risk management plans with no pillar", "rmps", rmp, ~rmp[list(PILLARS)].astype(bool).any(axis=1),
            "A plan should rest on at least one of the four pillars.")
        add("Risk management plans of people never listed", "rmps", rmp, ~rmp.person_id.isin(listed_ids),
            "Plans are only expected for listed people.")
    return pd.DataFrame(rows, columns=_CHECKS)


def double_scoring(ds, level: float = 0.95) -> pd.DataFrame:
    r"""Share of people with a first PPIT rating who were also rated independently a second time.

    People are placed in the year of their first ``first`` rating; a person counts as double scored
    when any ``second`` rating of them exists. With $k$ double scored of $n$ assessed,
    $\hat p = k / n$ and the Wilson (1927, *Journal of the American Statistical Association* 22:
    209-212) score interval is

    $$
    \frac{\hat p + \frac{z^2}{2n} \pm z \sqrt{\frac{\hat p (1 - \hat p)}{n} + \frac{z^2}{4n^2}}}
         {1 + \frac{z^2}{n}},
    $$

    with $z$ the normal quantile of ``level``. These double-scored people are the sample the
    reliability estimates of the risk tool rest on. The counts are exact (nothing is withheld here):
    a page publishes the share worked out again from its rounded counts.

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
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset()  # the built-in synthetic force
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


@dataclass(frozen=True, eq=False)
class QualityStudy:
    """Every figure of the data-quality report for one extract, computed once.

    Made by [`fit_quality`][foundation_eval.evaluation.quality.fit_quality]. Counts are exact (no
    disclosure control); no person identifier is kept, so the study can be kept in a snapshot and read
    by the page without the extract's tables.

    Attributes
    ----------
    programme : str
        The programme's id.
    study_start, study_end : str
        First and last month of the study period (``YYYY-MM``): the months of `monthly`.
    first_go_live : Period
        The first district's go-live month.
    has_risk_tool : bool
        Whether the programme defines a risk tool.
    absent : frozenset of str
        Optional tables the extract does not have; they are left out of every table here.
    warnings : tuple of str
        What validation warned about (failures stop a dataset being built, so none are here).
    people : int
        People in the people table.
    tables : DataFrame
        ``table, records``: rows of each table present, in the contract's order.
    completeness : DataFrame
        [`completeness`][foundation_eval.evaluation.quality.completeness] of the present tables.
    monthly : DataFrame
        [`monthly_records`][foundation_eval.evaluation.quality.monthly_records] of the present tables.
    sparse : DataFrame
        ``table, month, records, typical, where``:
        [`sparse_months`][foundation_eval.evaluation.quality.sparse_months] of each table of `monthly`
        under `sparse_rule`, tables in the order of `monthly`.
    checks : DataFrame
        [`consistency_checks`][foundation_eval.evaluation.quality.consistency_checks] on the present
        tables.
    double_scoring : DataFrame or None
        [`double_scoring`][foundation_eval.evaluation.quality.double_scoring]; None when the programme
        has no risk tool or the extract no assessments.
    sparse_rule : dict
        `width`, `ratio`, `alpha` and `min_typical` (the disclosure threshold) used for `sparse`.
    date_columns : dict
        The date column that placed each table of `monthly` in months.
    level : float
        Confidence level of the double-scoring intervals.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.evaluation.snapshot import Snapshot
    >>> study = Snapshot(demo_dataset()).study("quality")   # the built-in synthetic force
    >>> study.people == int(study.tables.set_index("table").records["people"]), study.warnings
    (True, ())
    >>> study.sparse_rule
    {'width': 3, 'ratio': 0.5, 'alpha': 0.001, 'min_typical': 10}
    >>> study.table().set_index("measure").loc["double scored", ["value", "ci_low", "ci_high"]].round(1).tolist()
    [11.2, 9.7, 13.1]
    """

    programme: str
    study_start: str
    study_end: str
    first_go_live: object
    has_risk_tool: bool
    absent: frozenset
    warnings: tuple
    people: int
    tables: pd.DataFrame = field(repr=False)
    completeness: pd.DataFrame = field(repr=False)
    monthly: pd.DataFrame = field(repr=False)
    sparse: pd.DataFrame = field(repr=False)
    checks: pd.DataFrame = field(repr=False)
    double_scoring: pd.DataFrame | None = field(repr=False)
    sparse_rule: dict = field(default_factory=dict)
    date_columns: dict = field(default_factory=dict, repr=False)
    level: float = 0.95

    @property
    def records(self) -> int:
        """Rows in every table present, added up."""
        return int(self.tables.records.sum())

    @property
    def checks_with_records(self) -> int:
        """How many consistency checks found at least one record."""
        return int((self.checks.records > 0).sum())

    @property
    def has_double_scoring(self) -> bool:
        """Whether double scoring was measured (a risk tool, and its assessments in the extract)."""
        return self.double_scoring is not None

    def table(self) -> pd.DataFrame:
        """The study's headline figures, one row each (exact: for analysts with access to the extract).

        Returns
        -------
        DataFrame
            ``measure, value, ci_low, ci_high``: people, records, tables, validation warnings, the
            largest percentage blank of an optional column, sparse months, consistency checks that
            found records, and (with a risk tool) the percentage of people double scored with its
            Wilson interval.

        Examples
        --------
        >>> from foundation_eval.data.synth import demo_dataset
        >>> t = fit_quality(demo_dataset(scale=0.1)).table()
        >>> t.measure.tolist()[:4]
        ['people', 'records', 'tables', 'validation warnings']
        """
        rows = [("people", self.people), ("records", self.records), ("tables", len(self.tables)),
                ("validation warnings", len(self.warnings)),
                ("largest percent blank", self.completeness.percent_blank.max() if len(self.completeness) else np.nan),
                ("sparse months", len(self.sparse)), ("checks with records", self.checks_with_records)]
        out = [{"measure": m, "value": float(v), "ci_low": np.nan, "ci_high": np.nan} for m, v in rows]
        if self.has_double_scoring:
            a = self.double_scoring.set_index("year").loc["All"]
            out.append({"measure": "double scored", "value": float(a.percent), "ci_low": float(a.ci_low),
                        "ci_high": float(a.ci_high)})
        return pd.DataFrame(out, columns=["measure", "value", "ci_low", "ci_high"])

    def plot(self, ax=None):
        """Records per month of each dated table (exact counts), sparse months marked.

        For the analyst's own look at the extract; the published page draws its chart from the rounded
        counts instead.

        Parameters
        ----------
        ax : Axes, optional
            Where to draw.

        Returns
        -------
        Axes

        Examples
        --------
        >>> from foundation_eval.data.synth import demo_dataset
        >>> study = fit_quality(demo_dataset(scale=0.1))
        >>> len(study.plot().lines) == study.monthly.table.nunique()
        True
        """
        from foundation_eval.plotting import PALETTE, new_axes

        ax = new_axes(ax)
        for j, (name, g) in enumerate(self.monthly.groupby("table", sort=False)):
            x = pd.PeriodIndex(g.month, freq="M").to_timestamp()
            ax.plot(x, g.records.to_numpy(float), color=PALETTE[j % len(PALETTE)], lw=1.2, label=name)
        if len(self.sparse):
            fx = pd.PeriodIndex(self.sparse.month, freq="M").to_timestamp()
            ax.scatter(fx, self.sparse.records.to_numpy(float), marker="^", color="black", zorder=3,
                       label="far fewer records than nearby months")
        ax.set_yscale("symlog", linthresh=10)
        ax.set_xlabel("Month")
        ax.set_ylabel("Records per month")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=True, fontsize=8)
        return ax


def fit_quality(snap, level: float = 0.95) -> QualityStudy:
    """The data-quality study of a snapshot's extract (study ``"quality"`` of the snapshot).

    Parameters
    ----------
    snap : Snapshot or Dataset
        The snapshot built so far (its `dataset` is read), or a validated dataset.
    level : float, default 0.95
        Confidence level of the double-scoring intervals.

    Returns
    -------
    QualityStudy
        Every figure the data-quality report shows, with exact counts. Absent optional tables are left
        out of every table; double scoring is None without a risk tool or its assessments.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> study = fit_quality(demo_dataset("change-that-lasts"))   # a programme without a risk tool
    >>> sorted(study.absent), study.double_scoring is None
    (['ppit_assessments', 'rmps'], True)
    >>> sorted(set(study.checks.table))
    ['contacts', 'offences', 'referrals', 'screening']
    """
    ds = getattr(snap, "dataset", snap)
    prog = ds.programme
    absent = frozenset(ds.absent)
    present = [n for n in TABLE_ORDER if n in ds.tables and n not in absent]
    tables = pd.DataFrame({"table": present, "records": [ds.n_rows(n) for n in present]})
    rule = {**SPARSE_RULE, "min_typical": int(prog.disclosure_threshold)}
    monthly = monthly_records(ds, skip=absent)
    parts = []
    for name, grp in monthly.groupby("table", sort=False):
        s = sparse_months(grp.set_index("month").records, **rule)
        s.insert(0, "table", name)
        if len(s):
            parts.append(s)
    sparse = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {"table": pd.Series(dtype=object), "month": pd.Series(dtype="period[M]"),
         "records": pd.Series(dtype=int), "typical": pd.Series(dtype=float), "where": pd.Series(dtype=object)})
    checks = consistency_checks(ds)
    checks = checks[~checks.table.isin(absent)].reset_index(drop=True)
    double = (double_scoring(ds, level) if prog.has_risk_tool and "ppit_assessments" not in absent else None)
    return QualityStudy(
        programme=prog.id, study_start=str(prog.study_start), study_end=str(prog.study_end),
        first_go_live=min(d.go_live for d in prog.districts), has_risk_tool=bool(prog.has_risk_tool),
        absent=absent, warnings=tuple(str(w) for w in ds.warnings), people=int(len(ds.people)), tables=tables,
        completeness=completeness(ds, skip=absent), monthly=monthly, sparse=sparse.reset_index(drop=True),
        checks=checks, double_scoring=double, sparse_rule=rule,
        date_columns={k: v for k, v in DATE_COLUMNS.items() if k in set(monthly.table)}, level=level)
