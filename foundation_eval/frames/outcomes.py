"""Analysis frames for outcomes: person-level reoffending, fixed windows, person-months, offences.

All outcome clocks start at the index date (see `foundation_eval.frames.cohort`) and stop at the end of
follow-up (exit or extract date). Only domestic-abuse (DA) offences count as reoffending unless stated.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset

__all__ = ["da_offences", "da_offences_of", "da_offence_arrays", "people_index", "person_month_counts",
           "offence_frame", "reoffending_frame", "fixed_window", "WindowFrame", "person_month_panel"]

DAYS_PER_MONTH = 365.25 / 12


def da_offences(ds: Dataset) -> pd.DataFrame:
    """Every domestic-abuse offence in the extract: who, when and its harm.

    Parameters
    ----------
    ds : Dataset
        A validated extract.

    Returns
    -------
    DataFrame
        ``person_id, offence_date, chi_days`` (Cambridge Crime Harm Index days) of the offences flagged
        as domestic abuse, in the extract's order (numbered from 0).

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> da = da_offences(ds)
    >>> list(da.columns), len(da) == int(ds.offences.da_flag.astype(bool).sum())
    (['person_id', 'offence_date', 'chi_days'], True)
    """
    return ds.read("offences", ["person_id", "offence_date", "chi_days"], where={"da_flag": True})


def people_index(ds: Dataset) -> pd.Index:
    """The `people` table's identifiers as an index, made once per dataset: a row's position in it is a
    whole number that stands for the person in joins (the identifiers are unique, the table's key).

    Parameters
    ----------
    ds : Dataset
        A validated extract.

    Returns
    -------
    pandas.Index

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> people_index(ds).get_indexer([ds.people.person_id.iloc[2], "nobody"]).tolist()
    [2, -1]
    """
    return ds.derived("people index", lambda: pd.Index(ds.people.person_id))


def da_offence_arrays(ds: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The DA offences as arrays, made once per dataset (treat as read-only).

    Parameters
    ----------
    ds : Dataset
        A validated extract.

    Returns
    -------
    person : numpy.ndarray of int
        Each offence's person as their row in `people` ([`people_index`][foundation_eval.frames.outcomes.people_index]).
    offence_date : numpy.ndarray of datetime64
        Its date.
    chi_days : numpy.ndarray of float
        Its Crime Harm Index days.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> person, when, harm = da_offence_arrays(ds)
    >>> len(person) == len(da_offences(ds)), bool((person >= 0).all())
    (True, True)
    """
    def arrays():
        da = da_offences(ds)
        return (people_index(ds).get_indexer(da.person_id), da.offence_date.to_numpy(),
                da.chi_days.to_numpy(dtype=float))

    return ds.derived("DA offences by person", arrays)


def da_offences_of(ds: Dataset, person_id, after=None, until=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every DA offence of each person named, or only those in each row's window, as arrays: a join
    without merging tables.

    A national extract has millions of offences, and filtering them and merging them with a frame of
    people on their identifiers costs seconds each time. Here the DA offences' people, dates and harm
    are read once per dataset (the people as their rows in the `people` table), and each frame is
    joined to them by those whole numbers.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    person_id : array-like
        Identifiers, one a row of the caller's frame (a person may appear on several rows).
    after, until : array-like of datetime, optional
        One a row: keep only offences strictly after ``after`` and on or before ``until`` (both given,
        or neither).

    Returns
    -------
    who : numpy.ndarray of int
        For each (row, offence) pair, the row's position in ``person_id``.
    offence_date : numpy.ndarray of datetime64
        The offence's date.
    chi_days : numpy.ndarray of float
        Its Crime Harm Index days.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> da = da_offences(ds)
    >>> someone = da.person_id.iloc[0]
    >>> who, when, harm = da_offences_of(ds, [someone, "nobody", someone])
    >>> sorted(set(who.tolist())), len(when) == 2 * int((da.person_id == someone).sum())
    ([0, 2], True)
    >>> first = when.min()
    >>> who, when, _ = da_offences_of(ds, [someone], [first - pd.Timedelta(days=1)], [first])
    >>> who.tolist(), bool((when == first).all())      # the window (day before, first offence]
    ([0], True)
    """
    people = people_index(ds)
    offender, dates, harm = da_offence_arrays(ds)
    mine = people.get_indexer(pd.Index(person_id))
    ok = np.flatnonzero(mine >= 0)
    # the caller's rows of each person, grouped: a person's rows are order[start[p]:start[p] + count[p]]
    order = ok[np.argsort(mine[ok], kind="stable")]
    count = np.bincount(mine[ok], minlength=len(people))
    start = np.cumsum(count) - count
    row = np.flatnonzero(offender >= 0)
    k = count[offender[row]]
    row = np.repeat(row, k)
    step = np.arange(row.size) - np.repeat(np.cumsum(k) - k, k)
    who = order[start[offender[row]] + step]
    when = dates[row]
    if after is not None:
        lo, hi = (np.asarray(pd.to_datetime(x), dtype="datetime64[ns]") for x in (after, until))
        inside = (when > lo[who]) & (when <= hi[who])
        who, row, when = who[inside], row[inside], when[inside]
    return who, when, harm[row]


def person_month_counts(person, month, of_person, of_month) -> np.ndarray:
    """How many of the pairs ``(of_person, of_month)`` fall in each person-month ``(person, month)``.

    Both sides are whole numbers (a person's row in some table, a month's ordinal): the pairs are sorted
    once and each person-month looked up, instead of merging tables on identifiers and Periods. Pairs
    whose person is negative (not found) are left out.

    Parameters
    ----------
    person, month : array-like of int
        The person-months to count into.
    of_person, of_month : array-like of int
        The pairs to count.

    Returns
    -------
    numpy.ndarray of int
        One count a person-month.

    Examples
    --------
    >>> person_month_counts([0, 0, 1], [600, 601, 600], [0, 0, 1, -1], [600, 600, 601, 600]).tolist()
    [2, 0, 0]
    """
    person, month = np.asarray(person, np.int64), np.asarray(month, np.int64)
    keep = np.asarray(of_person) >= 0
    of_person, of_month = np.asarray(of_person, np.int64)[keep], np.asarray(of_month, np.int64)[keep]
    if not of_person.size or not person.size:
        return np.zeros(person.size, dtype=np.int64)
    lo = min(int(month.min()), int(of_month.min()))
    span = max(int(month.max()), int(of_month.max())) - lo + 1
    theirs = np.sort(of_person * span + (of_month - lo))
    mine = person * span + (month - lo)
    return np.searchsorted(theirs, mine, side="right") - np.searchsorted(theirs, mine, side="left")


def offence_frame(ds: Dataset, persons: pd.DataFrame) -> pd.DataFrame:
    """Offences of the given people with their timing relative to the index date.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    persons : DataFrame
        Rows of `foundation_eval.frames.cohort.person_frame`.

    Returns
    -------
    DataFrame
        The offence columns plus ``index_date, end_date, district_id, listed, days_from_index,
        after_index, observed`` (``observed``: after the index date and not after the end of follow-up)
        and ``new_victim`` (a DA offence against a victim not named in any of the person's DA offences
        before it).

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.cohort import person_frame
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> persons = person_frame(ds)
    >>> offences = offence_frame(ds, persons)
    >>> bool((offences[offences.observed].days_from_index > 0).all())
    True
    """
    off = ds.read("offences", where={"person_id": persons.person_id.to_numpy()})
    off = off.merge(persons[["person_id", "index_date", "end_date", "district_id", "listed"]], on="person_id")
    off = off.sort_values(["person_id", "offence_date", "offence_id"]).reset_index(drop=True)
    off["days_from_index"] = (off.offence_date - off.index_date).dt.days
    off["after_index"] = off.offence_date > off.index_date
    off["observed"] = off.after_index & (off.offence_date <= off.end_date)
    da = off[off.da_flag.astype(bool)]
    seen = da.groupby(["person_id", "victim_id"]).cumcount() == 0
    off["new_victim"] = False
    off.loc[da.index, "new_victim"] = seen.values & da.victim_id.notna().values
    # a victim first seen before the index date is not new after it
    first_seen = da.groupby(["person_id", "victim_id"]).offence_date.transform("min")
    off.loc[da.index, "new_victim"] = off.loc[da.index, "new_victim"] & (first_seen > da.index_date).values
    return off


def reoffending_frame(ds: Dataset, persons: pd.DataFrame) -> pd.DataFrame:
    """One row per person: time to first DA reoffence and totals over follow-up.

    Read from the dataset's reduced tables when it carries them and ``persons`` are rows of them.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    persons : DataFrame
        Rows of `foundation_eval.frames.cohort.person_frame`.

    Returns
    -------
    DataFrame
        ``persons`` with ``first_da_date``, ``time_days`` (to first DA reoffence or end of follow-up),
        ``event`` (1 if a DA reoffence was observed), ``time_years``, ``exposure_years`` (follow-up
        length), ``da_count``, ``harm_days`` (Cambridge Crime Harm Index total of DA offences),
        ``new_victim`` (any DA offence against a new victim), ``max_harm_before``/``max_harm_after``
        (harm of the worst DA offence before and after index).

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.cohort import person_frame
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> persons = person_frame(ds)
    >>> reoff = reoffending_frame(ds, persons)
    >>> sorted(set(reoff.event))
    [0, 1]
    >>> bool((reoff.time_years <= reoff.exposure_years + 1e-9).all())
    True
    """
    if ds.reduced is not None:
        stored = ds.reduced.reoffending_frame(persons)
        if stored is not None:
            return stored
    p = persons.copy()
    off = offence_frame(ds, p)
    da = off[off.da_flag.astype(bool)]
    after = da[da.observed]
    first = after.groupby("person_id").offence_date.min()
    g = after.groupby("person_id")
    p["first_da_date"] = p.person_id.map(first)
    p["event"] = p.first_da_date.notna().astype(int)
    stop = p.first_da_date.where(p.event == 1, p.end_date)
    p["time_days"] = (stop - p.index_date).dt.days.clip(lower=0)
    p["time_years"] = p.time_days / 365.25
    p["exposure_years"] = ((p.end_date - p.index_date).dt.days.clip(lower=0)) / 365.25
    p["da_count"] = p.person_id.map(g.size()).fillna(0).astype(int)
    p["harm_days"] = p.person_id.map(g.chi_days.sum()).fillna(0.0)
    p["new_victim"] = p.person_id.isin(after[after.new_victim].person_id)
    before = da[~da.after_index & (da.offence_date >= da.index_date - pd.DateOffset(years=2))]
    p["max_harm_before"] = p.person_id.map(before.groupby("person_id").chi_days.max()).fillna(0.0)
    p["max_harm_after"] = p.person_id.map(g.chi_days.max()).fillna(0.0)
    return p


@dataclass(frozen=True)
class WindowFrame:
    """People whose whole outcome window is observed, and how many were left out.

    Returned by `fixed_window`.

    Attributes
    ----------
    frame : DataFrame
        Reoffending frame restricted to people observed for ``months`` months, with ``outcome``
        (1 if a DA reoffence within the window).
    months : int
        Window length in months.
    n_excluded : int
        People left out because follow-up ended before the window closed.
    n_excluded_exit : int
        Of those, people who exited (custody, moved, died) rather than reaching the extract date.

    Examples
    --------
    >>> import pandas as pd
    >>> w = WindowFrame(pd.DataFrame({"outcome": [0, 1, 1]}), months=12, n_excluded=2, n_excluded_exit=1)
    >>> w.note()
    '12-month outcomes use the 3 people observed for the whole window; 2 were left out (1 because they exited before the window closed, the rest because the extract ends too soon).'
    """

    frame: pd.DataFrame
    months: int
    n_excluded: int
    n_excluded_exit: int

    def note(self) -> str:
        """One sentence for a report saying who the window's outcome covers and who was left out.

        Returns
        -------
        str
        """
        return (f"{self.months}-month outcomes use the {len(self.frame):,} people observed for the whole window; "
                f"{self.n_excluded:,} were left out ({self.n_excluded_exit:,} because they exited before the "
                "window closed, the rest because the extract ends too soon).")


def fixed_window(reoff: pd.DataFrame, months: int, extract_date) -> WindowFrame:
    """Restrict to people whose ``months``-month window after the index date is fully observed.

    Dropping people who exit is unbiased only if exits are unrelated to reoffending; the note says how
    many were dropped for that reason so a reader can judge.

    Parameters
    ----------
    reoff : DataFrame
        A `reoffending_frame`.
    months : int
        Window length in months.
    extract_date : date-like
        Last date of the extract (``ds.extract_date``): windows closing after it are not fully observed.

    Returns
    -------
    WindowFrame
        The restricted frame with ``outcome`` (1 if a DA reoffence within the window) and the counts left
        out.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.cohort import person_frame
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> persons = person_frame(ds)
    >>> window = fixed_window(reoffending_frame(ds, persons), 12, ds.extract_date)
    >>> len(window.frame) + window.n_excluded == len(persons)
    True
    >>> window.note().startswith("12-month outcomes use the")
    True
    """
    close = reoff.index_date + pd.DateOffset(months=months)
    extract = pd.Timestamp(extract_date)
    reaches_extract = close <= extract
    no_exit = reoff.exit_date.isna() | (reoff.exit_date >= close)
    keep = reaches_extract & no_exit
    f = reoff[keep].copy()
    f["outcome"] = ((f.event == 1) & (f.first_da_date <= close[keep])).astype(int)
    return WindowFrame(f.reset_index(drop=True), months, int((~keep).sum()), int((reaches_extract & ~no_exit).sum()))


def person_month_panel(ds: Dataset, persons: pd.DataFrame) -> pd.DataFrame:
    """Person-month panel from the index month to the end of follow-up, with time-varying exposures.

    The counting-process layout (start, stop] of time-varying Cox models
    (`foundation_eval.models.reoffending.cox_time_varying`).

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    persons : DataFrame
        Rows of `foundation_eval.frames.cohort.person_frame`.

    Returns
    -------
    DataFrame
        ``person_id, district_id, month, start, stop`` (days since index), ``listed`` (on the list
        that month), ``live`` (district live), ``engaged_by`` (engaged on or before the month end),
        ``referral_started_by``, ``referral_completed_by``, ``da_events`` (DA reoffences in the month),
        ``event_first`` (the first DA reoffence falls in this month).

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.cohort import person_frame
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> persons = person_frame(ds)
    >>> panel = person_month_panel(ds, persons)
    >>> bool((panel.stop > panel.start).all()), int(panel.groupby("person_id").event_first.sum().max())
    (True, 1)
    """
    prog = ds.programme
    p = persons[["person_id", "district_id", "index_month", "index_date", "end_date"]].copy()
    end_month = p.end_date.dt.to_period("M")
    n = (end_month - p.index_month).apply(lambda x: x.n) + 1
    n = n.clip(lower=1)
    rep = p.loc[p.index.repeat(n)].reset_index(drop=True)
    k = rep.groupby("person_id").cumcount()
    rep["month"] = rep.index_month + k
    ms = rep.month.dt.start_time
    me = (rep.month + 1).dt.start_time
    rep["start"] = (np.maximum(ms, rep.index_date) - rep.index_date).dt.days
    rep["stop"] = (np.minimum(me, rep.end_date) - rep.index_date).dt.days
    rep = rep[rep.stop > rep.start].copy()
    scr = ds.screening
    listed = scr[scr.listed.astype(bool)][["person_id", "month"]].assign(_l=True)
    rep = rep.merge(listed, on=["person_id", "month"], how="left")
    me = (rep.month + 1).dt.start_time
    rep["listed"] = rep._l.notna()
    go = pd.Series({d.id: d.go_live for d in prog.districts})
    rep["live"] = rep.month.values >= go.reindex(rep.district_id).values

    def first_date(frame, col, mask=None):
        f = frame if mask is None else frame[mask]
        return rep.person_id.map(f.groupby("person_id")[col].min())

    con, ref = ds.contacts, ds.referrals
    for name, d in (
        ("engaged_by", first_date(con, "contact_date", con.outcome == "engaged") if len(con) else None),
        ("referral_started_by", first_date(ref, "started_date") if len(ref) else None),
        ("referral_completed_by", first_date(ref, "completed_date") if len(ref) else None),
    ):
        rep[name] = False if d is None else ((d >= rep.index_date) & (d < me)).fillna(False).values
    da = da_offences(ds)[["person_id", "offence_date"]].merge(p[["person_id", "index_date", "end_date"]],
                                                              on="person_id")
    da = da[(da.offence_date > da.index_date) & (da.offence_date <= da.end_date)]
    da["month"] = da.offence_date.dt.to_period("M")
    counts = da.groupby(["person_id", "month"]).size().rename("da_events")
    rep = rep.merge(counts, on=["person_id", "month"], how="left")
    rep["da_events"] = rep.da_events.fillna(0).astype(int)
    first = da.groupby("person_id").month.min()
    rep["event_first"] = (rep.month == rep.person_id.map(first)).astype(int)
    cols = ["person_id", "district_id", "month", "start", "stop", "listed", "live", "engaged_by",
            "referral_started_by", "referral_completed_by", "da_events", "event_first"]
    return rep[cols].reset_index(drop=True)
