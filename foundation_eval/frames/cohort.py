"""Who is in the cohort: eligibility, index dates, follow-up, and descriptions of the cohort.

Definitions
-----------
- *Eligible*: met all the programme's criteria in at least one monthly screen.
- *Listed*: put on the programme list in at least one month (eligible while the district was live).
- *Index date*: the first day of the first listed month for listed people, of the first eligible
  month for eligible people never listed.
- *End of follow-up*: the earliest of exit (custody, moving away, death) and the extract date.
- *District*: where the person was screened in the index month.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.frames.outcomes import da_offences

__all__ = ["assign_bands", "person_frame", "monthly_list_size", "table_one", "ppit_distribution", "ppit_bands", "select"]

AGE_BANDS = [(0, 17, "under 18"), (18, 21, "18-21"), (22, 25, "22-25"), (26, 30, "26-30"), (31, 200, "31 and over")]
# for a programme without an age band (eligibility at any adult age)
AGE_BANDS_OPEN = [(0, 17, "under 18"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 200, "45 and over")]
PRIOR_BANDS = [(0, 0, "0"), (1, 1, "1"), (2, 3, "2-3"), (4, 10**6, "4 or more")]


def assign_bands(values: pd.Series, bands) -> pd.Series:
    """The label of the band each value falls in (missing when it falls in none).

    Parameters
    ----------
    values : Series
        Numbers, e.g. ages in years.
    bands : list of (low, high, label)
        Closed intervals ``low <= value <= high`` and their labels, e.g. `AGE_BANDS`.

    Returns
    -------
    Series
        Labels (object dtype), with the index of `values`.

    Examples
    --------
    >>> import pandas as pd
    >>> assign_bands(pd.Series([19, 27, 40]), AGE_BANDS).tolist()
    ['18-21', '26-30', '31 and over']
    """
    out = pd.Series(pd.NA, index=values.index, dtype=object)
    for lo, hi, label in bands:
        out[(values >= lo) & (values <= hi)] = label
    return out


def person_frame(ds: Dataset) -> pd.DataFrame:
    """One row per eligible person with index date, follow-up and baseline characteristics.

    The index date is the first day of the month a person was first listed, or, for people eligible but
    never listed, of the month they were first eligible. Follow-up ends at exit or at the extract date.

    When the dataset carries its reduced tables (`foundation_eval.frames.reduce.with_reduced`,
    computed once per render), the frame is read from them rather than rebuilt from the events.

    Parameters
    ----------
    ds : Dataset
        A validated extract (`foundation_eval.data.load.load_dataset`).

    Returns
    -------
    DataFrame
        ``person_id, district_id, listed, first_eligible, first_listed, index_month, index_date, sex,
        ethnicity_group, age_at_index, age_band, exit_date, exit_reason, end_date, followup_days,
        prior_da_2y, prior_da_band, ppit_total, ppit_priority``. Person-level: never publish it.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> persons = person_frame(ds)
    >>> persons.columns[:4].tolist()
    ['person_id', 'district_id', 'listed', 'first_eligible']
    >>> bool((persons.end_date >= persons.index_date).all()), persons.person_id.is_unique
    (True, True)
    """
    if ds.reduced is not None:
        return ds.reduced.person_frame()
    scr = ds.screening
    elig = scr[scr.eligible.astype(bool)]
    first_elig = elig.groupby("person_id").month.min().rename("first_eligible")
    lst = scr[scr.listed.astype(bool)]
    first_list = lst.groupby("person_id").month.min().rename("first_listed")
    f = pd.concat([first_elig, first_list], axis=1).reset_index().rename(columns={"index": "person_id"})
    f["listed"] = f.first_listed.notna()
    f["index_month"] = f.first_listed.where(f.listed, f.first_eligible)
    at_index = scr.set_index(["person_id", "month"]).district_id
    f["district_id"] = at_index.reindex(pd.MultiIndex.from_arrays([f.person_id, f.index_month])).values
    f["index_date"] = f.index_month.dt.start_time
    ppl = ds.people.set_index("person_id")
    f["sex"] = f.person_id.map(ppl.sex)
    f["ethnicity_group"] = f.person_id.map(ppl.ethnicity_group)
    birth = f.person_id.map(ppl.birth_ym)
    f["age_at_index"] = [(m.ordinal - b.ordinal) // 12 for m, b in zip(f.index_month, birth, strict=True)]
    f["age_band"] = assign_bands(f.age_at_index, AGE_BANDS if ds.programme.has_age_criterion else AGE_BANDS_OPEN)
    ex = ds.exits.set_index("person_id")
    f["exit_date"] = f.person_id.map(ex.exit_date)
    f["exit_reason"] = f.person_id.map(ex.exit_reason)
    extract = pd.Timestamp(ds.extract_date)
    f["end_date"] = f.exit_date.where(f.exit_date.notna() & (f.exit_date < extract), extract)
    f["followup_days"] = (f.end_date - f.index_date).dt.days
    m = da_offences(ds)[["person_id", "offence_date"]].merge(f[["person_id", "index_date"]], on="person_id")
    before = m[(m.offence_date < m.index_date) & (m.offence_date >= m.index_date - pd.DateOffset(years=2))]
    f["prior_da_2y"] = f.person_id.map(before.groupby("person_id").size()).fillna(0).astype(int)
    f["prior_da_band"] = assign_bands(f.prior_da_2y, PRIOR_BANDS)
    pp = ds.ppit_assessments
    if len(pp):
        first = pp[pp.rating == "first"].sort_values(["person_id", "assessment_date"]).drop_duplicates("person_id")
        f["ppit_total"] = f.person_id.map(first.set_index("person_id").total).astype("Int64")
        f["ppit_priority"] = f.person_id.map(first.set_index("person_id").priority).astype("boolean")
    else:
        f["ppit_total"] = pd.array([pd.NA] * len(f), dtype="Int64")
        f["ppit_priority"] = pd.array([pd.NA] * len(f), dtype="boolean")
    cols = ["person_id", "district_id", "listed", "first_eligible", "first_listed", "index_month", "index_date",
            "sex", "ethnicity_group", "age_at_index", "age_band", "exit_date", "exit_reason", "end_date",
            "followup_days", "prior_da_2y", "prior_da_band", "ppit_total", "ppit_priority"]
    return f[cols].sort_values("person_id").reset_index(drop=True)


def select(frame: pd.DataFrame, district: str | None = None, start=None, end=None, month_col: str = "index_month",
           district_col: str = "district_id") -> pd.DataFrame:
    """Rows of one district (id; None for the whole force) with ``month_col`` inside [start, end].

    Parameters
    ----------
    frame : DataFrame
        Any frame with a district column and a monthly Period column.
    district : str, optional
        District id; None keeps every district.
    start, end : Period or str, optional
        Inclusive bounds on ``month_col``; None for no bound.
    month_col : str
        Monthly Period column to filter on.
    district_col : str
        District column.

    Returns
    -------
    DataFrame
        The matching rows, in their original order.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"district_id": ["A", "A", "B"],
    ...                       "index_month": pd.PeriodIndex(["2021-01", "2022-06", "2021-05"], freq="M")})
    >>> select(frame, "A", start="2022-01").index.tolist()
    [1]
    >>> len(select(frame, None, end="2021-12"))
    2
    """
    out = frame
    if district is not None:
        out = out[out[district_col] == district]
    if start is not None:
        out = out[out[month_col] >= pd.Period(start, "M")]
    if end is not None:
        out = out[out[month_col] <= pd.Period(end, "M")]
    return out


def monthly_list_size(ds: Dataset, district: str | None = None, start=None, end=None, freq: str = "M") -> pd.DataFrame:
    """People screened, eligible and listed in each month.

    With ``freq="Q"`` the counts are of distinct people in each quarter (the ``month`` column then
    holds quarterly periods), for areas too small to publish monthly counts.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    district : str, optional
        District id; None for the whole force.
    start, end : Period or str, optional
        First and last month; default the study period.
    freq : {"M", "Q"}
        Monthly counts, or distinct people per quarter.

    Returns
    -------
    DataFrame
        ``month, screened, eligible, listed``, one row per period (zeros included).

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> sizes = monthly_list_size(ds, start="2022-01", end="2022-12")
    >>> sizes.columns.tolist(), len(sizes)
    (['month', 'screened', 'eligible', 'listed'], 12)
    >>> bool((sizes.listed <= sizes.eligible).all())
    True
    """
    months = pd.period_range(start or ds.programme.study_start, end or ds.programme.study_end, freq="M")
    if freq == "M" and ds.reduced is not None:
        dm = ds.reduced.district_month
        dm = dm if district is None else dm[dm.district_id == district]
        g = dm.groupby("month")[["screened", "eligible", "listed"]].sum().reindex(months, fill_value=0)
        g.index.name = "month"
        return g.astype(int).reset_index()
    study = pd.period_range(ds.programme.study_start, ds.programme.study_end, freq="M")
    # distinct people per quarter of the study are stored, by district and for the force
    if freq == "Q" and ds.reduced is not None and months.equals(study):
        q = ds.reduced.force_quarter if district is None else ds.reduced.district_quarter
        q = q if district is None else q[q.district_id == district]
        cols = ["screened", "eligible", "listed"]
        return q.rename(columns={"quarter": "month"})[["month", *cols]].astype(dict.fromkeys(cols, int)).reset_index(
            drop=True)
    scr = select(ds.screening, district, start, end, month_col="month")
    if freq == "Q":
        scr = scr.assign(month=scr.month.dt.asfreq("Q"))
        months = pd.period_range(months[0].asfreq("Q"), months[-1].asfreq("Q"), freq="Q")
        g = scr.groupby("month").agg(
            screened=("person_id", "nunique"),
            eligible=("person_id", lambda s: s[scr.loc[s.index, "eligible"].astype(bool)].nunique()),
            listed=("person_id", lambda s: s[scr.loc[s.index, "listed"].astype(bool)].nunique()))
    else:
        g = scr.groupby("month").agg(screened=("person_id", "size"), eligible=("eligible", "sum"),
                                     listed=("listed", "sum"))
    g = g.reindex(months, fill_value=0)
    g.index.name = "month"
    return g.astype(int).reset_index()


def table_one(persons: pd.DataFrame) -> pd.DataFrame:
    """Characteristics of a group of people (a "Table 1").

    Sex, ethnic group, age band, DA offences in the two years before listing and PPIT assessment, with
    percentages of the group's size. Pass the result through
    `foundation_eval.reporting.disclosure.protect` with ``additive_within="characteristic"`` before
    publishing.

    Parameters
    ----------
    persons : DataFrame
        Rows of `person_frame` (e.g. the listed people of one district).

    Returns
    -------
    DataFrame
        ``characteristic, category, n, percent``.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> persons = person_frame(ds)
    >>> t1 = table_one(persons[persons.listed])
    >>> t1.columns.tolist()
    ['characteristic', 'category', 'n', 'percent']
    >>> int(t1[t1.characteristic == "Sex"].n.sum()) == int(persons.listed.sum())
    True
    """
    n = len(persons)
    rows = []
    labels = set(persons.age_band.dropna())
    bands = AGE_BANDS if labels <= {b[2] for b in AGE_BANDS} else AGE_BANDS_OPEN
    spec = [
        ("Sex", "sex", ["male", "female", "other", "unknown"]),
        ("Ethnic group", "ethnicity_group", ["white", "mixed", "asian", "black", "other", "unknown"]),
        ("Age at listing", "age_band", [b[2] for b in bands]),
        ("DA offences in the 2 years before listing", "prior_da_band", [b[2] for b in PRIOR_BANDS]),
    ]
    for label, col, cats in spec:
        counts = persons[col].value_counts()
        for c in cats:
            k = int(counts.get(c, 0))
            if k or c not in ("other", "under 18", "31 and over", "45 and over"):
                rows.append({"characteristic": label, "category": c, "n": k})
    if "ppit_priority" in persons and persons.ppit_priority.notna().any():
        pri = persons.ppit_priority
        for c, k in (("priority", int((pri == True).sum())), ("not priority", int((pri == False).sum())),  # noqa: E712
                     ("not assessed", int(pri.isna().sum()))):
            rows.append({"characteristic": "PPIT assessment", "category": c, "n": k})
    t = pd.DataFrame(rows, columns=["characteristic", "category", "n"])
    t["percent"] = 100 * t.n / n if n else np.nan
    return t


def ppit_distribution(persons: pd.DataFrame, max_score: int) -> pd.DataFrame:
    """Number of assessed people at each PPIT total, first ratings only.

    Parameters
    ----------
    persons : DataFrame
        Rows of `person_frame` (their ``ppit_total``; people never assessed are left out).
    max_score : int
        Highest possible total (`foundation_eval.config.Programme.ppit_max`); every total from 0 to it
        gets a row.

    Returns
    -------
    DataFrame
        ``total, n``.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> dist = ppit_distribution(person_frame(ds), ds.programme.ppit_max)
    >>> len(dist) == ds.programme.ppit_max + 1
    True
    """
    tot = persons.ppit_total.dropna().astype(int)
    counts = tot.value_counts().reindex(range(max_score + 1), fill_value=0)
    return pd.DataFrame({"total": counts.index, "n": counts.values})


def ppit_bands(persons: pd.DataFrame, max_score: int, threshold: int, width: int = 4) -> pd.DataFrame:
    """Assessed people per band of PPIT totals.

    One band starts at the threshold, so no band straddles it. Bands keep counts large enough to publish
    where single scores would not.

    Parameters
    ----------
    persons : DataFrame
        Rows of `person_frame`.
    max_score : int
        Highest possible total.
    threshold : int
        Priority threshold (`foundation_eval.config.Programme.ppit_threshold`).
    width : int
        Band width in points.

    Returns
    -------
    DataFrame
        ``band`` (label such as ``"10-13"``), ``n``, ``priority`` (band at or above the threshold).

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> prog = ds.programme
    >>> bands = ppit_bands(person_frame(ds), prog.ppit_max, prog.ppit_threshold)
    >>> bands[bands.priority].band.iloc[0].startswith(str(prog.ppit_threshold))
    True
    """
    tot = persons.ppit_total.dropna().astype(int)
    edges = sorted({*range(threshold, -1, -width), *range(threshold, max_score + 1, width), max_score + 1})
    edges = [e for e in edges if 0 <= e <= max_score + 1]
    if edges[0] != 0:
        edges = [0, *edges]
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        label = f"{lo}-{hi - 1}" if hi - 1 > lo else str(lo)
        rows.append({"band": label, "n": int(((tot >= lo) & (tot < hi)).sum()), "priority": lo >= threshold})
    return pd.DataFrame(rows)
