"""Engagement of listed people: the funnel from listing to completed referral.

Each stage counts people (not events) who reached it after their first listing, with a Wilson
interval (`foundation_eval.stats.wilson_interval`) for the share of listed people.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.frames.reduce import STAGE_COLUMNS
from foundation_eval.results import Result
from foundation_eval.stats import wilson_interval

__all__ = ["FUNNEL_STAGES", "FunnelResult", "funnel", "funnel_stages", "person_engagement"]

FUNNEL_STAGES = (
    ("listed", "Listed"),
    ("assessed", "Assessed with the PPIT"),
    ("contacted", "Contact attempted"),
    ("engaged", "Engaged"),
    ("referred", "Referred to a service"),
    ("started", "Started a service"),
    ("completed", "Completed a service"),
)
"""Stages of the engagement funnel as ``(key, label)``, in order; `funnel_stages` drops the assessment without a risk tool."""

# the reduced tables' first date of each stage (frames.reduce.STAGE_COLUMNS)
_STAGE_DATES = {"assessed": "first_assessed", "contacted": "first_contacted", "engaged": "first_engaged",
                "referred": "first_referred", "started": "first_referral_started",
                "completed": "first_referral_completed"}


def funnel_stages(programme) -> tuple[tuple[str, str], ...]:
    """The funnel's stages for a programme: without a risk tool there is no assessment stage.

    Parameters
    ----------
    programme : Programme
        As from `foundation_eval.config.load_programme`.

    Returns
    -------
    tuple of (key, label)
        The stages of `FUNNEL_STAGES` that apply, in order.

    Examples
    --------
    >>> from foundation_eval.config import load_programme
    >>> [key for key, _ in funnel_stages(load_programme("change-that-lasts"))]
    ['listed', 'contacted', 'engaged', 'referred', 'started', 'completed']
    """
    return tuple(s for s in FUNNEL_STAGES if s[0] != "assessed" or programme.has_risk_tool)


def person_engagement(ds: Dataset, persons: pd.DataFrame) -> pd.DataFrame:
    """Stage flags per listed person, counting only records on or after the index date.

    The flags are not nested here (a person may be referred without a recorded contact); `funnel`
    nests them.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    persons : DataFrame
        Rows of `foundation_eval.frames.cohort.person_frame`; only listed people are kept.

    Returns
    -------
    DataFrame
        ``person_id, index_date`` and one boolean column per stage: ``assessed, contacted, engaged,
        referred, started, completed, listed``.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.cohort import person_frame
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> persons = person_frame(ds)
    >>> flags = person_engagement(ds, persons)
    >>> len(flags) == int(persons.listed.sum()), bool(flags.listed.all())
    (True, True)
    """
    p = persons[persons.listed][["person_id", "index_date"]].copy()
    stored = ds.reduced.columns_for(p, STAGE_COLUMNS) if ds.reduced is not None else None
    if stored is not None:  # the reduced tables hold the first date of each stage
        for key, col in _STAGE_DATES.items():
            p[key] = stored[col].notna().to_numpy()
        p["listed"] = True
        return p

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
class FunnelResult(Result):
    """People reaching each stage, with Wilson intervals for the share of listed people.

    Returned by `funnel`.

    Attributes
    ----------
    stages : DataFrame
        One row per stage (see `table`).
    level : float
        Confidence level of the intervals.

    Examples
    --------
    >>> import pandas as pd
    >>> result = FunnelResult(pd.DataFrame({"stage": ["listed", "engaged"], "label": ["Listed", "Engaged"],
    ...                                     "n": [120, 54], "percent": [100.0, 45.0], "ci_low": [96.9, 36.4],
    ...                                     "ci_high": [100.0, 53.9], "percent_of_previous": [None, 45.0]}), 0.95)
    >>> result.listed
    120
    """

    stages: pd.DataFrame
    level: float

    def table(self) -> pd.DataFrame:
        """The funnel as a table.

        Returns
        -------
        DataFrame
            ``stage, label, n, percent, ci_low, ci_high, percent_of_previous`` (percent of listed people,
            and conversion from the stage before). Pass it through disclosure control before publishing.
        """
        return self.stages.copy()

    @property
    def listed(self) -> int:
        """Number of listed people (the first stage)."""
        return int(self.stages.n.iloc[0])

    def plot(self, ax=None):
        """Horizontal bars of the share reaching each stage (`foundation_eval.plotting.funnel_plot`).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import funnel_plot

        return funnel_plot(self.stages, ax=ax)


def funnel(ds: Dataset, persons: pd.DataFrame, level: float = 0.95) -> FunnelResult:
    """Engagement funnel for a group of people (e.g. one district's listed people).

    Stages are nested: a person counts as, say, referred only if also listed, assessed, contacted and
    engaged; referrals of people who never engaged are counted by the referral analyses, not here.
    ``percent`` is the share of listed people reaching the stage, with a Wilson (1927) interval
    (`foundation_eval.stats.wilson_interval`); ``percent_of_previous`` is the conversion from the stage
    before.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    persons : DataFrame
        Rows of `foundation_eval.frames.cohort.person_frame` (listed people are counted).
    level : float
        Confidence level.

    Returns
    -------
    FunnelResult

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.cohort import person_frame
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> persons = person_frame(ds)
    >>> table = funnel(ds, persons).table()
    >>> table.stage.tolist() == [key for key, _ in funnel_stages(ds.programme)]
    True
    >>> bool(table.n.is_monotonic_decreasing)
    True
    """
    flags = person_engagement(ds, persons)
    stages = funnel_stages(ds.programme)
    # stages are nested: a person counts at a stage only if they reached every stage before it
    reached = np.ones(len(flags), bool)
    for key, _ in stages:
        reached &= flags[key].to_numpy(bool)
        flags[key] = reached.copy()
    n_listed = len(flags)
    rows = []
    prev = None
    for key, label in stages:
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


def add_phase(ds: Dataset, persons: pd.DataFrame) -> pd.DataFrame:
    """Add ``phase`` (pilot or rollout district), ``team`` (police alone, or with practitioners at the
    index month) and ``quarter`` (of the index month) to a person frame."""
    prog = ds.programme
    pilot = {d.id: d.pilot for d in prog.districts}
    prac = pd.Series({d.id: d.practitioner_from for d in prog.districts})
    out = persons.copy()
    out["phase"] = np.where(out.district_id.map(pilot).fillna(False).astype(bool), "pilot", "rollout")
    with_prac = out.index_month.values >= prac.reindex(out.district_id).values
    out["team"] = np.where(with_prac, "with practitioners", "police alone")
    out["quarter"] = out.index_month.dt.asfreq("Q").astype(str)
    return out


def funnel_by(ds: Dataset, persons: pd.DataFrame, by: str, level: float = 0.95) -> pd.DataFrame:
    """The funnel for each value of ``by`` (e.g. ``district_id``, ``phase``, ``team``, ``quarter``),
    stacked with a ``group`` column. Pass through disclosure control before publishing."""
    frames = []
    for key, grp in persons[persons.listed].groupby(by, sort=True):
        t = funnel(ds, grp, level).table()
        t.insert(0, "group", key)
        frames.append(t)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def first_engagement_frame(ds: Dataset, persons: pd.DataFrame) -> pd.DataFrame:
    """Listed people with ``days`` from index to first engaged contact (or end of follow-up) and ``event``."""
    p = persons[persons.listed].copy()
    stored = ds.reduced.columns_for(p, ["first_engaged"]) if ds.reduced is not None else None
    if stored is not None:
        p = stored
    else:
        con = ds.contacts
        eng = con[con.outcome == "engaged"][["person_id", "contact_date"]].merge(p[["person_id", "index_date"]])
        first = eng[eng.contact_date >= eng.index_date].groupby("person_id").contact_date.min()
        p["first_engaged"] = p.person_id.map(first)
    p["event"] = p.first_engaged.notna().astype(int)
    stop = p.first_engaged.where(p.event == 1, p.end_date)
    p["days"] = (stop - p.index_date).dt.days.clip(lower=0).astype(float)
    return p


@dataclass(frozen=True)
class TimeToEngagement(Result):
    """Kaplan-Meier curves of time to first engagement per group, with a log-rank test."""

    curves: dict
    logrank: object | None
    horizon_days: int

    def table(self) -> pd.DataFrame:
        """Per group: people, engaged, and the cumulative share engaged by the horizon with its interval."""
        rows = []
        for g, km in self.curves.items():
            s = km.survival_at(self.horizon_days)
            t = km.table()
            at = t[t.time <= self.horizon_days]
            lo = 1 - (at.ci_high.iloc[-1] if len(at) else 1.0)
            hi = 1 - (at.ci_low.iloc[-1] if len(at) else 1.0)
            rows.append({"group": g, "people": km.n, "engaged": int(km.events.sum()),
                         "percent_by_horizon": 100 * (1 - s), "ci_low": 100 * lo, "ci_high": 100 * hi})
        return pd.DataFrame(rows)

    def plot(self, ax=None):
        from foundation_eval.plotting import PALETTE, new_axes

        ax = new_axes(ax)
        for (g, km), c in zip(self.curves.items(), PALETTE, strict=False):
            t = km.table()
            x = np.concatenate([[0.0], t.time])
            ax.step(x, 100 * (1 - np.concatenate([[1.0], t.survival])), where="post", color=c, label=str(g))
        ax.set_xlim(0, max(self.horizon_days * 2, 1))
        ax.set_xlabel("Days since first listing")
        ax.set_ylabel("Percent engaged")
        ax.legend(loc="lower right")
        return ax


def time_to_engagement(ds: Dataset, persons: pd.DataFrame, by: str | None = None, horizon_days: int | None = None,
                       level: float = 0.95) -> TimeToEngagement:
    """Time from first listing to first engaged contact (Kaplan-Meier), overall or per group of ``by``.

    Censoring at the end of follow-up (exit or extract date). Groups are compared with the log-rank test.
    """
    from foundation_eval.models.reoffending import kaplan_meier, logrank

    f = first_engagement_frame(ds, persons)
    horizon = horizon_days or ds.programme.engagement_window_days
    groups = {"all": f} if by is None else {k: g for k, g in f.groupby(by, sort=True)}
    curves = {k: kaplan_meier(g.days.to_numpy(), g.event.to_numpy(), level=level, label=str(k))
              for k, g in groups.items() if len(g)}
    lr = logrank(f.days.to_numpy(), f.event.to_numpy(), f[by].astype(str).to_numpy()) if by and len(curves) > 1 else None
    return TimeToEngagement(curves, lr, horizon)
