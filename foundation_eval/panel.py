"""District x month panels of outcomes among eligible people, for staggered-adoption designs.

One row per district and study month: eligible people screened that month (``eligible``), how many
of them were listed, DA offences they committed in that month (``da_events``) and the rate per
eligible person-month, engagement and referral starts in the month, and the district's go-live as
the first treated period (a month index, 0 = the first study month).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .data import Dataset

__all__ = ["district_month_panel"]


def district_month_panel(ds: Dataset) -> pd.DataFrame:
    """Balanced district x month panel.

    Columns: ``district_id, month, t`` (month index from 0), ``first_treated`` (month index of go-live;
    0 means never treated within the study, as :func:`foundation_eval.impact.staggered_did` expects, so
    go-live indices are shifted by 1), ``live, eligible, listed, da_events, da_rate, engaged, engaged_rate,
    referral_starts, referral_rate``.
    """
    prog = ds.programme
    months = prog.months
    scr = ds.screening
    el = scr[scr.eligible.astype(bool)][["person_id", "month", "district_id", "listed"]]
    off = ds.offences
    da = off[off.da_flag.astype(bool)][["person_id", "offence_date"]].assign(month=lambda f: f.offence_date.dt.to_period("M"))
    ev = da.groupby(["person_id", "month"]).size().rename("da_events").reset_index()
    el = el.merge(ev, on=["person_id", "month"], how="left")
    con = ds.contacts
    if len(con):
        eng = con[con.outcome == "engaged"].assign(month=lambda f: f.contact_date.dt.to_period("M"))
        eng = eng.groupby(["person_id", "month"]).size().rename("engaged").reset_index()
        el = el.merge(eng, on=["person_id", "month"], how="left")
    else:
        el["engaged"] = 0
    ref = ds.referrals
    if len(ref):
        st = ref[ref.started_date.notna()].assign(month=lambda f: f.started_date.dt.to_period("M"))
        st = st.groupby(["person_id", "month"]).size().rename("referral_starts").reset_index()
        el = el.merge(st, on=["person_id", "month"], how="left")
    else:
        el["referral_starts"] = 0
    el = el.fillna({"da_events": 0, "engaged": 0, "referral_starts": 0})
    el["engaged"] = (el.engaged > 0).astype(int)
    el["referral_starts"] = (el.referral_starts > 0).astype(int)
    g = el.groupby(["district_id", "month"]).agg(eligible=("person_id", "size"), listed=("listed", "sum"),
                                                 da_events=("da_events", "sum"), engaged=("engaged", "sum"),
                                                 referral_starts=("referral_starts", "sum"))
    full = pd.MultiIndex.from_product([list(prog.district_ids), months], names=["district_id", "month"])
    g = g.reindex(full, fill_value=0).reset_index()
    g["t"] = (g.month - months[0]).apply(lambda x: x.n)
    go = {d.id: d.go_live for d in prog.districts}
    first = {k: (months.get_loc(v) + 1 if v in months else (0 if v > months[-1] else 1)) for k, v in go.items()}
    g["first_treated"] = g.district_id.map(first).astype(int)
    g["t"] = g.t + 1  # periods count from 1 so that 0 can mean never treated
    g["live"] = (g.first_treated > 0) & (g.t >= g.first_treated)
    with np.errstate(invalid="ignore", divide="ignore"):
        g["da_rate"] = np.where(g.eligible > 0, g.da_events / g.eligible, np.nan)
        g["engaged_rate"] = np.where(g.eligible > 0, g.engaged / g.eligible, np.nan)
        g["referral_rate"] = np.where(g.eligible > 0, g.referral_starts / g.eligible, np.nan)
    for c in ("eligible", "listed", "da_events", "engaged", "referral_starts"):
        g[c] = g[c].astype(int)
    return g[["district_id", "month", "t", "first_treated", "live", "eligible", "listed", "da_events", "da_rate",
              "engaged", "engaged_rate", "referral_starts", "referral_rate"]]
