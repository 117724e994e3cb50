"""Engagement of listed people: the funnel from listing to completed referral.

Each stage counts people (not events) who reached it after their first listing, with a Wilson
interval (:func:`foundation_eval.stats.wilson_interval`) for the share of listed people.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data import Dataset
from .stats import wilson_interval

__all__ = ["FUNNEL_STAGES", "FunnelResult", "funnel", "person_engagement"]

FUNNEL_STAGES = (
    ("listed", "Listed"),
    ("assessed", "Assessed with the PPIT"),
    ("contacted", "Contact attempted"),
    ("engaged", "Engaged"),
    ("referred", "Referred to a service"),
    ("started", "Started a service"),
    ("completed", "Completed a service"),
)


def person_engagement(ds: Dataset, persons: pd.DataFrame) -> pd.DataFrame:
    """Stage flags per listed person, counting only records on or after the index date."""
    p = persons[persons.listed][["person_id", "index_date"]].copy()

    def reached(frame: pd.DataFrame, date_col: str, mask=None) -> pd.Series:
        if frame is None or not len(frame):
            return pd.Series(False, index=p.index)
        f = frame if mask is None else frame[mask]
        m = f[["person_id", date_col]].merge(p, on="person_id")
        ok = m[m[date_col] >= m.index_date].person_id.unique()
        return p.person_id.isin(ok)

    con, ref, pp = ds.contacts, ds.referrals, ds.ppit_assessments
    p["assessed"] = reached(pp, "assessment_date")
    p["contacted"] = reached(con, "contact_date")
    p["engaged"] = reached(con, "contact_date", con.outcome == "engaged" if len(con) else None)
    p["referred"] = reached(ref, "referred_date")
    p["started"] = reached(ref, "started_date", ref.started_date.notna() if len(ref) else None)
    p["completed"] = reached(ref, "completed_date", ref.completed_date.notna() if len(ref) else None)
    p["listed"] = True
    return p


@dataclass(frozen=True)
class FunnelResult:
    """People reaching each stage, with Wilson intervals for the share of listed people."""

    stages: pd.DataFrame
    level: float

    def table(self) -> pd.DataFrame:
        """Columns ``stage, label, n, percent, ci_low, ci_high, percent_of_previous`` (percent of listed)."""
        return self.stages.copy()

    @property
    def listed(self) -> int:
        return int(self.stages.n.iloc[0])

    def plot(self, ax=None):
        from .figures import funnel_plot

        return funnel_plot(self.stages, ax=ax)


def funnel(ds: Dataset, persons: pd.DataFrame, level: float = 0.95) -> FunnelResult:
    """Engagement funnel for a group of people (e.g. one district's listed people).

    Stages are nested: a person counts as, say, referred only if also listed, assessed, contacted and
    engaged; referrals of people who never engaged are counted by the referral analyses, not here.

    ``percent`` is the share of listed people reaching the stage, with a Wilson (1927) interval;
    ``percent_of_previous`` is the conversion from the stage before.
    """
    flags = person_engagement(ds, persons)
    # stages are nested: a person counts at a stage only if they reached every stage before it
    reached = np.ones(len(flags), bool)
    for key, _ in FUNNEL_STAGES:
        reached &= flags[key].to_numpy(bool)
        flags[key] = reached.copy()
    n_listed = len(flags)
    rows = []
    prev = None
    for key, label in FUNNEL_STAGES:
        k = int(flags[key].sum())
        lo, hi = wilson_interval(k, n_listed, level) if n_listed else (np.nan, np.nan)
        rows.append({
            "stage": key,
            "label": label,
            "n": k,
            "percent": 100 * k / n_listed if n_listed else np.nan,
            "ci_low": 100 * lo,
            "ci_high": 100 * hi,
            "percent_of_previous": (100 * k / prev) if prev else np.nan,
        })
        prev = k
    return FunnelResult(pd.DataFrame(rows), level)
