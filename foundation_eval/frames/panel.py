"""District x period panels of outcomes among eligible people, for staggered-adoption designs.

One row per district and study period (a month, or a quarter with ``freq="Q"``): eligible
person-months screened in the period (``eligible``), distinct eligible people (``people``), how many
of those person-months were listed, DA offences committed by eligible people in the months they were
eligible (``da_events``) and the rate per eligible person-month, person-months with an engaged contact
and with a referral start, and the district's go-live as the first treated period.

Rates are always per eligible *person-month*, whatever the period length, so monthly and quarterly
panels estimate effects in the same units. A quarterly panel pools three months: with 14 districts
and 5 to 25 eligible people a district-month, monthly rates are very noisy and small districts have
months with nobody eligible (the rate is then undefined and the panel unbalanced); district-quarters
are rarely empty.

A period is *treated* from the one that contains the go-live month. When go-live falls inside a
quarter, that quarter mixes months before and after go-live; every shipped programme goes live at a
quarter start, and `district_period_panel` warns otherwise.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.frames.outcomes import da_offence_arrays, people_index, person_month_counts

__all__ = ["district_month_panel", "district_period_panel"]

_COLUMNS = ["district_id", "month", "t", "first_treated", "live", "eligible", "listed", "da_events", "da_rate",
            "engaged", "engaged_rate", "referral_starts", "referral_rate"]


def _eligible_months(ds: Dataset) -> pd.DataFrame:
    """Eligible person-months with DA events, engagement and referral starts in the month (computed once
    per dataset for its several panels; treat as read-only)."""
    return ds.derived("eligible person-months", lambda: _build_eligible_months(ds))


def _build_eligible_months(ds: Dataset) -> pd.DataFrame:
    scr = ds.screening
    el = scr[scr.eligible.astype(bool)][["person_id", "month", "district_id", "listed"]].reset_index(drop=True)
    # events per person-month counted on whole-number keys (the person's row in `people`, the month's
    # ordinal) rather than merged on identifiers and Periods: millions of rows at national scale
    people = people_index(ds)
    who, month = people.get_indexer(el.person_id), el.month.array.asi8
    offender, dates, _ = da_offence_arrays(ds)
    el = el.assign(da_events=person_month_counts(who, month, offender, _month_ordinals(dates)).astype(float))
    con = ds.contacts
    if len(con):
        eng = con[con.outcome == "engaged"]
        el["engaged"] = person_month_counts(who, month, people.get_indexer(eng.person_id),
                                            _month_ordinals(eng.contact_date))
    else:
        el["engaged"] = 0
    ref = ds.referrals
    if len(ref):
        st = ref[ref.started_date.notna()]
        el["referral_starts"] = person_month_counts(who, month, people.get_indexer(st.person_id),
                                                    _month_ordinals(st.started_date))
    else:
        el["referral_starts"] = 0
    el["engaged"] = (el.engaged > 0).astype(int)
    el["referral_starts"] = (el.referral_starts > 0).astype(int)
    el["listed"] = el.listed.astype(bool).astype(int)
    return el


def _month_ordinals(dates) -> np.ndarray:
    """Months since 1970-01 of datetimes (as `Period` ordinals of their months)."""
    return np.asarray(dates, dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)


def district_period_panel(ds: Dataset, freq: str = "M", exclude_months=()) -> pd.DataFrame:
    """Balanced district x period panel of eligible people's outcomes.

    Parameters
    ----------
    ds : Dataset
    freq : {"M", "Q"}
        Monthly or quarterly periods.
    exclude_months : iterable of Period or str
        Months left out before aggregating (e.g. COVID-19 lockdown months). A period whose months are
        all excluded is dropped for every district, so the panel stays balanced; a district's go-live
        period then moves to the first remaining period at or after go-live.

    Returns
    -------
    DataFrame
        ``district_id, period, month`` (the period, kept under its historical name), ``t`` (1-based
        period index), ``first_treated`` (``t`` of the first period containing or after go-live; 0 for
        districts never live within the study, as `foundation_eval.impact.staggered_did`
        expects), ``live, n_months`` (months of the period kept), ``eligible`` (eligible person-months),
        ``people`` (distinct eligible people), ``listed`` (listed person-months), ``da_events,
        da_rate`` (DA offences per eligible person-month), ``engaged, engaged_rate`` (person-months with
        an engaged contact, per eligible person-month), ``referral_starts, referral_rate``.
        ``da_rate`` and the other rates are missing where nobody was eligible.

    Examples
    --------
    Quarterly panel without the lockdown months, ready for `foundation_eval.impact.staggered_did`:

    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> panel = district_period_panel(ds, freq="Q", exclude_months=ds.programme.lockdown_months)
    >>> panel.groupby("district_id").size().nunique()      # balanced: same periods for every district
    1
    >>> bool((panel.n_months <= 3).all())
    True
    """
    if freq not in ("M", "Q"):
        raise ValueError("freq must be 'M' (months) or 'Q' (quarters)")
    prog = ds.programme
    months = prog.months
    drop = {pd.Period(m, "M") for m in exclude_months}
    kept = pd.PeriodIndex([m for m in months if m not in drop], freq="M")
    if not len(kept):
        raise ValueError("every study month is excluded")
    per_of = pd.Series(kept.asfreq(freq) if freq == "Q" else kept, index=kept)
    periods = pd.PeriodIndex(pd.unique(per_of.to_numpy()), freq=freq)

    def counts():
        el = _eligible_months(ds)
        el = el[el.month.isin(kept)].copy()
        el["period"] = el.month.dt.asfreq(freq) if freq == "Q" else el.month
        c = el.groupby(["district_id", "period"]).agg(
            eligible=("person_id", "size"), people=("person_id", "nunique"), listed=("listed", "sum"),
            da_events=("da_events", "sum"), engaged=("engaged", "sum"), referral_starts=("referral_starts", "sum"))
        full = pd.MultiIndex.from_product([list(prog.district_ids), periods], names=["district_id", "period"])
        return c.reindex(full, fill_value=0).reset_index()

    # the person-months are aggregated, and the panel made from them, once per dataset and setting:
    # designs fitted district by district (an interrupted time series for each) then copy the small table
    key = (freq, tuple(kept.astype(str)))

    def panel():
        g = counts()
        pos = {p: i + 1 for i, p in enumerate(periods)}
        g["t"] = g.period.map(pos).astype(int)
        n_months = per_of.groupby(per_of.to_numpy()).size()
        g["n_months"] = g.period.map(n_months).astype(int)
        first = {}
        for d in prog.districts:
            go = d.go_live
            if go > months[-1]:
                first[d.id] = 0
                continue
            later = kept[kept >= go]
            if not len(later):
                first[d.id] = 0
                continue
            p = later[0].asfreq(freq) if freq == "Q" else later[0]
            first[d.id] = pos[p]
        g["first_treated"] = g.district_id.map(first).astype(int)
        g["live"] = (g.first_treated > 0) & (g.t >= g.first_treated)
        with np.errstate(invalid="ignore", divide="ignore"):
            for num, rate in (("da_events", "da_rate"), ("engaged", "engaged_rate"),
                              ("referral_starts", "referral_rate")):
                g[rate] = np.where(g.eligible > 0, g[num] / g.eligible, np.nan)
        for c in ("eligible", "people", "listed", "da_events", "engaged", "referral_starts"):
            g[c] = g[c].astype(int)
        g["month"] = g.period
        cols = ["district_id", "period", "month", "t", "first_treated", "live", "n_months", "eligible", "people",
                "listed", "da_events", "da_rate", "engaged", "engaged_rate", "referral_starts", "referral_rate"]
        return g[cols]

    if freq == "Q":
        for d in prog.districts:
            if d.go_live.month % 3 != 1:
                warnings.warn(f"{d.id} goes live in {d.go_live}, inside a quarter: that quarter counts as treated "
                              "although it includes months before go-live", stacklevel=2)
    return ds.derived(("district period panel", *key), panel).copy()


def district_month_panel(ds: Dataset) -> pd.DataFrame:
    """Balanced district x month panel (the monthly `district_period_panel`).

    Parameters
    ----------
    ds : Dataset
        A validated extract.

    Returns
    -------
    DataFrame
        ``district_id, month, t`` (month index from 1), ``first_treated`` (month index of go-live;
        0 means never treated within the study, as `foundation_eval.impact.staggered_did` expects),
        ``live, eligible, listed, da_events, da_rate, engaged, engaged_rate, referral_starts,
        referral_rate``.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> panel = district_month_panel(ds)
    >>> len(panel) == len(ds.programme.districts) * len(ds.programme.months)
    True
    >>> bool((panel.live == ((panel.first_treated > 0) & (panel.t >= panel.first_treated))).all())
    True
    """
    return district_period_panel(ds, "M")[_COLUMNS]
