"""First eligibility and the look-back washout: who is *newly* eligible, and who may have been eligible before the data start.

An extract starts in some month. A person first seen eligible in that month was, in most cases, already
eligible before it: the data are left-truncated. Counting them as newly eligible puts a spike in the first
month (on the shipped synthetic force, 128 people "first eligible" in January 2019 against about 35 a
month afterwards) and gives them a wrong time since eligibility. The first criterion looks back two years
for a DA offence, so a person first seen eligible in the first two years of the data may have met the
criteria before it began. A *look-back washout* treats first eligibility as new only from `washout_months`
after the data start: analyses that need new eligibility (the cohort comparison, the matched comparison)
leave the others out and say how many.

`first_eligible` is the one place that computes each person's first eligible and first listed month from
the screening table.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from foundation_eval.data.load import Dataset

__all__ = ["first_eligible", "Washout", "lookback_washout", "eligibility_washout"]


def first_eligible(ds: Dataset) -> pd.DataFrame:
    """Each eligible person's first eligible month, district then, and first listed month.

    Built once per dataset (`Dataset.derived`); the frame returned is a copy.

    Parameters
    ----------
    ds : Dataset
        A validated extract.

    Returns
    -------
    DataFrame
        ``person_id, first_eligible`` (monthly Period), ``district_id`` (where they were screened that
        month), ``first_listed`` (monthly Period; NaT for people never listed), one row per person who
        met every criterion in at least one month.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> f = first_eligible(ds)
    >>> f.columns.tolist(), bool(f.person_id.is_unique)
    (['person_id', 'first_eligible', 'district_id', 'first_listed'], True)
    >>> bool((f.first_listed.dropna() >= f.first_eligible[f.first_listed.notna()]).all())
    True
    """
    return ds.derived("first eligible and listed months", lambda: _build(ds)).copy()


def _build(ds: Dataset) -> pd.DataFrame:
    scr = ds.screening
    el = scr[scr.eligible.astype(bool)].sort_values(["person_id", "month"], kind="stable")
    first = el.drop_duplicates("person_id")[["person_id", "month", "district_id"]].rename(
        columns={"month": "first_eligible"})
    lst = scr[scr.listed.astype(bool)].groupby("person_id").month.min().rename("first_listed")
    return first.merge(lst, on="person_id", how="left").reset_index(drop=True)


@dataclass(frozen=True)
class Washout:
    """People marked as newly eligible or possibly already eligible at the data start.

    Returned by `lookback_washout` and `eligibility_washout`.

    Attributes
    ----------
    frame : DataFrame
        The input rows with ``months_from_start`` (whole months from the data start to first
        eligibility) and ``left_truncated`` (True: first eligible within `washout_months` of the data
        start, so possibly eligible before it).
    data_start : pandas Period
        First month of the data.
    washout_months : int
        Length of the washout.
    n_excluded : int
        People marked ``left_truncated``.
    n_kept : int
        People whose first eligibility counts as new.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"person_id": ["a", "b", "c"],
    ...                   "first_eligible": pd.PeriodIndex(["2019-01", "2020-12", "2021-01"], freq="M")})
    >>> w = lookback_washout(f, "2019-01", 24)
    >>> w.kept.person_id.tolist(), w.n_excluded
    (['c'], 2)
    >>> w.first_new_month
    Period('2021-01', 'M')
    """

    frame: pd.DataFrame
    data_start: pd.Period
    washout_months: int
    n_excluded: int
    n_kept: int

    @property
    def first_new_month(self) -> pd.Period:
        """First month in which a first eligibility counts as new."""
        return self.data_start + self.washout_months

    @property
    def kept(self) -> pd.DataFrame:
        """Rows whose first eligibility counts as new."""
        return self.frame[~self.frame.left_truncated].reset_index(drop=True)

    def table(self) -> pd.DataFrame:
        """People first eligible in each month, with whether the washout leaves them out.

        Returns
        -------
        DataFrame
            ``month, people, left_truncated`` (person counts: publish through the disclosure layer).
        """
        f = self.frame
        g = f.groupby("first_eligible").agg(people=("person_id", "size"), left_truncated=("left_truncated", "all"))
        g.index.name = "month"
        return g.reset_index()

    def note(self) -> str:
        """One sentence for a report: who was left out and why.

        Returns
        -------
        str
        """
        return (f"People first seen eligible before {self.first_new_month.strftime('%B %Y')} (within "
                f"{self.washout_months} months of the data start, {self.data_start.strftime('%B %Y')}) may have "
                f"met the criteria before the data begin, so they are not counted as newly eligible: "
                f"{self.n_excluded:,} of {self.n_excluded + self.n_kept:,} people left out.")


def lookback_washout(frame: pd.DataFrame, data_start, washout_months: int = 24,
                     month_col: str = "first_eligible") -> Washout:
    """Mark people whose first eligibility falls within `washout_months` of the data start.

    A first eligible month ``m`` counts as new when ``m >= data_start + washout_months``; earlier ones
    are left-truncated (the person may have been eligible before the data start). The default of 24
    months is the look-back of the DA-offence criterion.

    Parameters
    ----------
    frame : DataFrame
        One row per person with a monthly Period column of first eligibility (e.g. `first_eligible`).
    data_start : Period or str
        First month of the data.
    washout_months : int
        Months after the data start during which a first eligibility may not be new (0: none).
    month_col : str
        Column of first eligible months.

    Returns
    -------
    Washout
        The rows marked, with the counts.

    Raises
    ------
    ValueError
        When the month column is missing or has missing values, or `washout_months` is negative.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> w = lookback_washout(first_eligible(ds), ds.screening.month.min(), 24)
    >>> bool((w.kept.first_eligible >= w.first_new_month).all()), w.n_kept + w.n_excluded == len(w.frame)
    (True, True)
    """
    if int(washout_months) != washout_months or washout_months < 0:
        raise ValueError(f"washout_months must be a whole number >= 0, got {washout_months!r}")
    if month_col not in frame.columns:
        raise ValueError(f"column {month_col!r} not in the frame")
    months = frame[month_col]
    if months.isna().any():
        rows = frame.index[months.isna()][:5].tolist()
        raise ValueError(f"column {month_col!r} has missing months (rows {rows})")
    start = pd.Period(data_start, "M")
    out = frame.copy()
    out["months_from_start"] = pd.PeriodIndex(months, freq="M").asi8 - start.ordinal
    out["left_truncated"] = out.months_from_start < int(washout_months)
    n_ex = int(out.left_truncated.sum())
    return Washout(out, start, int(washout_months), n_ex, int(len(out) - n_ex))


def eligibility_washout(ds: Dataset, washout_months: int = 24, data_start=None) -> Washout:
    """The look-back washout applied to a dataset's eligible people.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    washout_months : int
        Length of the washout (default 24, the DA-offence criterion's look-back).
    data_start : Period or str, optional
        First month of the data; default the first month of the screening table.

    Returns
    -------
    Washout
        `first_eligible` rows, marked.

    Examples
    --------
    On the shipped synthetic force the first month holds everyone already eligible when the data
    start:

    >>> from foundation_eval.data.synth import demo_dataset
    >>> w = eligibility_washout(demo_dataset())      # the shipped synthetic force (cached after the first call)
    >>> t = w.table().set_index("month").people
    >>> int(t["2019-01"]), int(t["2019-02"]), int(t["2021-01"])
    (128, 30, 33)
    >>> w.n_excluded, w.n_kept
    (920, 1653)
    """
    start = ds.screening.month.min() if data_start is None else data_start
    return lookback_washout(first_eligible(ds), start, washout_months)
