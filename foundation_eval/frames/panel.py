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
    """Eligible person-months in whole numbers, computed once per dataset for its several panels (treat
    as read-only): ``person`` (the row in `people`), ``month`` (the month's ordinal), ``district``
    (categorical), ``listed``, ``da_events``, ``engaged`` and ``referral_starts`` (0/1) in the month."""
    return ds.derived("eligible person-months", lambda: _build_eligible_months(ds))


def _build_eligible_months(ds: Dataset) -> pd.DataFrame:
    scr = ds.screening
    keep = scr.eligible.astype(bool).to_numpy()
    # events per person-month counted on whole-number keys (the person's row in `people`, the month's
    # ordinal), and held as them: millions of rows at national scale, about 20 bytes each
    people = people_index(ds)
    who = people.get_indexer(scr.person_id.to_numpy()[keep])
    month = scr.month.array.asi8[keep]
    offender, dates, _ = da_offence_arrays(ds)
    el = pd.DataFrame({
        "person": who.astype(np.int32), "month": month.astype(np.int32),
        "district": pd.Categorical(scr.district_id.to_numpy()[keep]),
        "listed": scr.listed.to_numpy()[keep].astype(bool).astype(np.int8),
        "da_events": person_month_counts(who, month, offender, _month_ordinals(dates)).astype(np.int32)})
    for col, table, rows, date in (("engaged", ds.contacts, lambda t: t.outcome == "engaged", "contact_date"),
                                   ("referral_starts", ds.referrals, lambda t: t.started_date.notna(), "started_date")):
        if len(table):
            hit = table[rows(table)]
            n = person_month_counts(who, month, people.get_indexer(hit.person_id), _month_ordinals(hit[date]))
            el[col] = (n > 0).astype(np.int8)
        else:
            el[col] = np.int8(0)
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
        el = el[np.isin(el.month.to_numpy(), kept.asi8)]
        # a quarter's ordinal is its months' ordinals floor-divided by 3 (pandas counts both from 1970)
        period = el.month.to_numpy() // 3 if freq == "Q" else el.month.to_numpy()
        c = el.assign(period=period).groupby(["district", "period"], observed=True).agg(
            eligible=("person", "size"), people=("person", "nunique"), listed=("listed", "sum"),
            da_events=("da_events", "sum"), engaged=("engaged", "sum"), referral_starts=("referral_starts", "sum"))
        c = c.astype(np.int64)
        c.index = pd.MultiIndex.from_arrays(
            [c.index.get_level_values(0).astype(object),
             pd.PeriodIndex.from_ordinals(c.index.get_level_values(1).to_numpy(), freq=freq)],
            names=["district_id", "period"])
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
