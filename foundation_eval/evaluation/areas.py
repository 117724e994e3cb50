r"""The district-and-force study: every figure the district pages and the force overview publish, fitted once.

[`fit_areas`][foundation_eval.evaluation.areas.fit_areas] reads a dataset's reduced tables
(`foundation_eval.frames.reduce`) in one pass, grouped by district, and returns an
[`AreasStudy`][foundation_eval.evaluation.areas.AreasStudy]: one
[`Area`][foundation_eval.evaluation.areas.Area] for the whole force and one for each district, each
holding the exact counts, tables and curves its page shows, and, for the force, the funnel plots of the
districts, the commissioning-outcome rows, the risk-management-plan pillars, the quarter-on-quarter
figures of the brief and what needs attention. A render fits it once
([`STUDIES`][foundation_eval.evaluation.snapshot.STUDIES] name `"areas"`); the force figures a district
page compares with are the force's own objects, so the overview, every district page and `results.json`
give one value. Disclosure control is applied later, by the publication layer.

**One definition per named quantity** (index date: the first day of the month of first listing):

- *list size*: people on the list in a month (each person once a month; distinct people in a quarter);
  *new listings*: people listed for the first time in the month or quarter;
- *engaged within N days of listing* (N: the programme's engagement window): a contact recorded as
  engaged on or after the index date and at most N days after it, among all listed people;
- *started (completed) a referred service within 12 months of listing*: a referred service started
  (completed) on or after the index date and before its first anniversary, among listed people whose
  first 12 months had ended by the extract date (the population of the registered estimand
  `referral_start_rd_programme`);
- *were recorded for a further domestic-abuse offence within 12 months of listing*: among listed people
  followed for the whole 12 months (not exited before their first anniversary), as
  [`fixed_window`][foundation_eval.frames.outcomes.fixed_window];
- *offences per 100 person-years*: further DA offences over follow-up from the index date to exit or
  the extract date, with the exact Poisson interval (Garwood 1936); *harm per person-year*: Cambridge
  Crime Harm Index days of those offences over the same person-years, with a BCa bootstrap interval
  resampling people (Efron 1987), `HARM_DRAWS` draws, seed `HARM_SEED`, the people sorted by their harm
  and years at risk before resampling so that the interval does not depend on the pseudonyms.

Shares carry Wilson (1927) score intervals; the difference between teams Newcombe's (1998) hybrid score
interval. Funnel plots follow Spiegelhalter (2005, *Statistics in Medicine* 24:1185-1202) with the
over-dispersion adjustment of [`funnel_plot`][foundation_eval.models.funnel_plot.funnel_plot]. These
are descriptive figures for areas: what happened to the people listed there, not what the programme
caused.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from foundation_eval.frames.cohort import ppit_bands, table_one
from foundation_eval.models.engagement import funnel_stages
from foundation_eval.models.funnel_plot import FunnelPlotResult, funnel_plot
from foundation_eval.models.referrals import referral_frame, stage_table
from foundation_eval.models.reoffending import bootstrap_ratio, event_rate, kaplan_meier
from foundation_eval.stats import newcombe_difference, wilson_interval

__all__ = ["STUDY", "FORCE", "primary_caveat", "TEAMS", "MEASURES", "OUTCOME_MONTHS", "HARM_DRAWS", "HARM_SEED",
           "COMMISSIONING_OUTCOMES", "RMP_PILLARS", "HEALTH_PATHWAYS", "Share", "Difference", "Rates", "Window",
           "Measure", "DistrictFunnel", "Attention", "Area", "AreasStudy", "fit_areas",
           "areas_study", "study_for_period"]

STUDY = "areas"
"""The study's name in [`STUDIES`][foundation_eval.evaluation.snapshot.STUDIES]."""
FORCE = "force"
"""Key of the whole force among the study's areas (districts are keyed by their ids)."""
TEAMS = ("police alone", "with practitioners")
"""The two teams a person can be listed under: before and after practitioners joined the district's team."""
MEASURES = ("engagement", "referral", "reoffending")
"""The headline measures, each defined once ([`Measure`][foundation_eval.evaluation.areas.Measure])."""
OUTCOME_MONTHS = 12
"""Length in months of the fixed windows after listing (referral start, reoffending)."""
HARM_DRAWS = 1000
"""Bootstrap draws behind every interval of harm per person-year (fixed once for every area)."""
HARM_SEED = 1
"""Seed of the harm bootstrap (the same for every area)."""
DAYS_PER_MONTH = 365.25 / 12
"""Days in an average month: time to reoffending is shown in months."""
COMMISSIONING_OUTCOMES = (
    "Identification and intervention",
    "Reduction of repeat abusive behaviour",
    "Victim safety",
    "Health and wellbeing",
    "Multi-agency response",
)
"""The five outcomes the programme is commissioned against, in the order of the commissioning-outcomes table."""
RMP_PILLARS = (
    ("supervision", "Supervision"),
    ("monitoring_control", "Monitoring and control"),
    ("interventions_treatment", "Interventions and treatment"),
    ("victim_safety", "Victim safety"),
)
"""The four pillars of a risk management plan: column of the `rmps` table and its name."""
HEALTH_PATHWAYS = ("health", "drugs_alcohol")
"""Referral pathways counted under the health-and-wellbeing outcome (where the programme has them)."""
_STAGE_DATES = {"assessed": "first_assessed", "contacted": "first_contacted", "engaged": "first_engaged",
                "referred": "first_referred", "started": "first_referral_started",
                "completed": "first_referral_completed"}
QUALITY_RULE = {"width": 3, "ratio": 0.5, "alpha": 0.001}
"""Rule for a month with far fewer screening records than the months around it (as the data-quality
report's ``sparse_months``), applied to each district's recent months."""


# ------------------------------------------------------------------------------------------ result types
@dataclass(frozen=True)
class Share:
    """A share of people with its Wilson score interval, exact (before disclosure control).

    Attributes
    ----------
    k, n : int
        People with the outcome and people in the denominator.
    pct, low, high : float or None
        The share and its 95% interval in percent (None when `n` is 0).

    Examples
    --------
    >>> s = Share.of(30, 76)
    >>> s.k, s.n, round(s.pct, 1), round(s.low, 1), round(s.high, 1)
    (30, 76, 39.5, 29.2, 50.7)
    """

    k: int
    n: int
    pct: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, k, n, level: float = 0.95) -> Share:
        """The share `k / n` with Wilson's (1927) score interval.

        Parameters
        ----------
        k, n : int
            People with the outcome and in the denominator.
        level : float
            Confidence level.

        Returns
        -------
        Share
        """
        k, n = int(k), int(n)
        if n <= 0:
            return cls(k, n, None, None, None)
        lo, hi = wilson_interval(k, n, level)
        return cls(k, n, 100 * k / n, 100 * float(lo), 100 * float(hi))


@dataclass(frozen=True)
class Difference:
    """Engagement within the window with practitioners on the team minus police alone, in one area.

    Attributes
    ----------
    x1, n1 : int
        Engaged and listed with practitioners on the team.
    x0, n0 : int
        Engaged and listed while police worked alone.
    difference, low, high : float or None
        The difference of the two proportions (0.10 is 10 points) with Newcombe's (1998) hybrid score
        interval; None when a team listed no one.

    Examples
    --------
    >>> d = Difference.of(60, 100, 40, 100)
    >>> round(d.difference, 2), d.low < d.difference < d.high
    (0.2, True)
    """

    x1: int
    n1: int
    x0: int
    n0: int
    difference: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, x1, n1, x0, n0, level: float = 0.95) -> Difference:
        """`x1/n1 - x0/n0` with Newcombe's hybrid score interval (Statistics in Medicine 17:873-890).

        Parameters
        ----------
        x1, n1, x0, n0 : int
            Engaged and listed in each team.
        level : float
            Confidence level.

        Returns
        -------
        Difference
        """
        x1, n1, x0, n0 = int(x1), int(n1), int(x0), int(n0)
        if n1 <= 0 or n0 <= 0:
            return cls(x1, n1, x0, n0, None, None, None)
        d, lo, hi = newcombe_difference(x1, n1, x0, n0, level)
        return cls(x1, n1, x0, n0, float(d), float(lo), float(hi))


@dataclass(frozen=True)
class Rates:
    """Further domestic-abuse offences of an area's listed people over their follow-up, and their harm.

    Attributes
    ----------
    people, offences : int
        Listed people and their further DA offences from the index date to exit or the extract date.
    person_years : float
        Their follow-up.
    rate, ci_low, ci_high : float or None
        Offences per 100 person-years with the exact Poisson interval (None without follow-up).
    harm, harm_low, harm_high : float or None
        Crime Harm Index days per person-year with a BCa bootstrap interval resampling people
        (`n_boot` draws; None for fewer than two people).
    n_boot : int
        Bootstrap draws.
    new_victim : int
        People with a DA offence against a new victim during follow-up.
    escalated : int
        People whose worst DA offence after listing was more harmful than their worst in the two years
        before.

    Examples
    --------
    >>> r = Rates.of(np.array([0, 2, 1]), np.array([0.0, 60.0, 10.0]), np.array([1.0, 2.0, 1.0]))
    >>> r.offences, r.rate, round(r.harm, 1)
    (3, 75.0, 17.5)
    """

    people: int
    offences: int
    person_years: float
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    harm: float | None
    harm_low: float | None
    harm_high: float | None
    n_boot: int = HARM_DRAWS
    new_victim: int = 0
    escalated: int = 0

    @classmethod
    def of(cls, offences, harm_days, years, new_victim: int = 0, escalated: int = 0, n_boot: int = HARM_DRAWS,
           seed: int = HARM_SEED, level: float = 0.95) -> Rates:
        """Offences per 100 person-years and harm per person-year of a group of people.

        The people are sorted by (harm, years at risk, offences) before anything is summed or drawn, so the
        figures depend on the values and the seed alone, not on the order or the pseudonyms of the people.

        Parameters
        ----------
        offences, harm_days, years : array-like
            One value per person: further DA offences, their harm (Crime Harm Index days) and years
            at risk.
        new_victim, escalated : int
            People with an offence against a new victim, and whose worst offence escalated.
        n_boot : int
            Bootstrap draws.
        seed : int
            Seed of the draws.
        level : float
            Confidence level.

        Returns
        -------
        Rates
        """
        k = np.asarray(offences, dtype=float)
        a = np.asarray(harm_days, dtype=float)
        b = np.asarray(years, dtype=float)
        order = np.lexsort((k, b, a))  # by harm, years, offences: every sum and draw invariant to who is who
        k, a, b = k[order], a[order], b[order]
        people, total, years_sum = int(k.size), int(k.sum()), float(b.sum())
        rate = low = high = harm = hlo = hhi = None
        if years_sum > 0:
            er = event_rate(total, years_sum, level, per=100)
            rate, low, high = float(er.rate), float(er.ci_low), float(er.ci_high)
            if people >= 2:
                bs = bootstrap_ratio(a, b, n_boot=n_boot, level=level, seed=seed)
                harm, hlo, hhi = float(bs.estimate), float(bs.ci_low), float(bs.ci_high)
        return cls(people, total, years_sum, rate, low, high, harm, hlo, hhi, int(n_boot), int(new_victim),
                   int(escalated))


@dataclass(frozen=True)
class Window:
    """Who a 12-month outcome covers.

    Attributes
    ----------
    observed : int
        Listed people followed for the whole window.
    excluded : int
        Listed people left out (their window had not closed, or they exited first).
    excluded_exit : int
        Of those, people who exited (custody, moved away, died) before the window closed.

    Examples
    --------
    >>> Window(120, 30, 5).excluded - Window(120, 30, 5).excluded_exit
    25
    """

    observed: int
    excluded: int
    excluded_exit: int


@dataclass(frozen=True)
class Measure:
    """A headline measure, defined once and worded the same on every page.

    Attributes
    ----------
    key : str
        One of [`MEASURES`][foundation_eval.evaluation.areas.MEASURES].
    title : str
        The measure as a heading.
    did : str
        What the people did, to follow "people who".
    base : str
        Who the share is of.
    needs : str or None
        The optional input table it rests on (the measure is left out when the table is absent).

    Examples
    --------
    >>> m = _measures(90)["reoffending"]
    >>> f"{m.title}: share of {m.base} who {m.did}."
    'Further domestic-abuse offence within 12 months of listing: share of listed people followed for a full 12 months who were recorded for a further domestic-abuse offence within 12 months of listing.'
    """

    key: str
    title: str
    did: str
    base: str
    needs: str | None


def _measures(window: int) -> dict[str, Measure]:
    m = OUTCOME_MONTHS
    return {
        "engagement": Measure("engagement", f"Engaged within {window} days of listing",
                              f"engaged within {window} days of listing", "listed people", "contacts"),
        "referral": Measure("referral", f"Started a referred service within {m} months of listing",
                            f"started a referred service within {m} months of listing",
                            f"listed people whose first {m} months had ended by the extract date", "referrals"),
        "reoffending": Measure("reoffending", f"Further domestic-abuse offence within {m} months of listing",
                               f"were recorded for a further domestic-abuse offence within {m} months of listing",
                               f"listed people followed for a full {m} months", None),
    }


@dataclass(frozen=True)
class DistrictFunnel:
    """The districts of one measure on a funnel plot (exact counts; disclosure applied when published).

    Attributes
    ----------
    measure : Measure
        The measure plotted.
    result : FunnelPlotResult or None
        Districts against the force-wide share with control limits
        ([`funnel_plot`][foundation_eval.models.funnel_plot.funnel_plot], over-dispersion "auto");
        None when there is no plot.
    limits : DataFrame or None
        The control limits over a grid of numbers of people (`n`, `lower_95`, `upper_95`, ...), for
        drawing.
    districts : DataFrame or None
        `district_id, name, go_live, n, k` of the districts plotted, in the order of `result.units`.
    why : str
        Why there is no plot (empty when there is one).

    Examples
    --------
    >>> DistrictFunnel(_measures(90)["engagement"], why="Not shown: the extract has no contacts table.").result is None
    True
    """

    measure: Measure
    result: FunnelPlotResult | None = None
    limits: pd.DataFrame | None = None
    districts: pd.DataFrame | None = None
    why: str = ""


@dataclass(frozen=True)
class Attention:
    """Something a reader of the brief should look at.

    Attributes
    ----------
    kind : {"funnel", "records"}
        A district outside the 99.8% control limits of a funnel plot, or a recent month with far fewer
        screening records than the months around it (data still arriving, or a gap).
    district_id, name : str
        The district.
    measure : str
        For a funnel: the measure's key; for records: `"screening"`.
    side : str
        For a funnel: `"above"` or `"below"`; for records: `"gap"` or `"latest months"`.
    month : Period or None
        For records: the month flagged.

    Examples
    --------
    >>> Attention("funnel", "SOU", "Southampton", "engagement", "below").side
    'below'
    """

    kind: str
    district_id: str
    name: str
    measure: str
    side: str
    month: pd.Period | None = None


@dataclass(frozen=True)
class Area:
    """Every figure of one area's page (a district, or the whole force), exact and unpublished.

    Attributes
    ----------
    key : str
        [`FORCE`][foundation_eval.evaluation.areas.FORCE] or the district's id.
    name : str
        The district's name, or the force's.
    district_id : str or None
        None for the force.
    go_live, practitioners_from : Period or None
        The month the district went live and practitioners joined its team (None for the force).
    eligible : int
        People meeting every criterion whose index month falls in the period.
    listed : int
        People first listed in the period.
    list_monthly : DataFrame
        `month, screened, eligible, on_list, new_listings`: people screened, meeting the criteria and on
        the list in each month (each person once a month), and people listed for the first time.
    list_quarterly : DataFrame
        `quarter, screened, eligible, on_list, new_listings`: the same as distinct people per quarter.
    table_one : DataFrame
        Characteristics of the listed people ([`table_one`][foundation_eval.frames.cohort.table_one]).
    ppit_bands : DataFrame or None
        Listed people by band of the risk-tool total ([`ppit_bands`][foundation_eval.frames.cohort.ppit_bands]);
        None without a risk tool.
    ppit_priority : int
        Listed people assessed as a priority.
    funnel : DataFrame
        The nested engagement funnel: `stage, label, n, percent, ci_low, ci_high, percent_of_previous`, as
        [`funnel`][foundation_eval.models.engagement.funnel] defines it (every district counted at once).
    engaged : Share
        Engaged within the window of listing.
    teams : DataFrame
        `team, people, engaged, pct, ci_low, ci_high` by team at listing, with the Wilson interval of the
        percentage engaged (teams with nobody listed left out).
    practitioner : Difference
        With practitioners minus police alone.
    engagement_curves : dict
        Team to the Kaplan-Meier table of time to first engagement in days: `time, at_risk, events,
        estimate, ci_low, ci_high` (estimate: the cumulative proportion engaged, with its pointwise 95%
        log(-log) interval), every distinct time, not cut at any number at risk.
    started, completed : Share
        Started (completed) a referred service within 12 months of listing.
    referrals : int
        Referrals made on or after listing (a person may have several).
    referral_tables : dict
        `"pathway"` and each coded referral column of the programme to its stage table (referrals
        reaching each stage, [`stage_table`][foundation_eval.models.referrals.stage_table] without the
        "All" row).
    reoffended : Share
        Recorded for a further DA offence within 12 months, among people followed for 12 months.
    window : Window
        Who the 12-month reoffending share covers.
    reoffending_curve : DataFrame
        The Kaplan-Meier table of time to the first further DA offence in months (as
        `engagement_curves`).
    rates : Rates
        Offences per 100 person-years and harm per person-year.
    quarters : DataFrame
        The brief's figures, long: `measure, quarter, k, n` (`n` missing for counts): `on_list`,
        `new_listings`, `engaged` (people first listed in the quarter whose window had passed by the
        extract date) and `started` (listed people who started a referred service in the quarter).

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.reduce import with_reduced
    >>> study = fit_areas(with_reduced(demo_dataset(seed=1, scale=0.1)))
    >>> sou = study.area("SOU")
    >>> sou.name, sou.engaged.n == sou.listed, list(sou.engagement_curves)
    ('Southampton', True, ['with practitioners'])
    >>> list(sou.reoffending_curve.columns)
    ['time', 'at_risk', 'events', 'estimate', 'ci_low', 'ci_high']
    """

    key: str
    name: str
    district_id: str | None
    go_live: pd.Period | None
    practitioners_from: pd.Period | None
    eligible: int
    listed: int
    list_monthly: pd.DataFrame = field(repr=False)
    list_quarterly: pd.DataFrame = field(repr=False)
    table_one: pd.DataFrame = field(repr=False)
    ppit_bands: pd.DataFrame | None = field(repr=False)
    ppit_priority: int
    funnel: pd.DataFrame = field(repr=False)
    engaged: Share
    teams: pd.DataFrame = field(repr=False)
    practitioner: Difference
    engagement_curves: dict = field(repr=False)
    started: Share
    completed: Share
    referrals: int
    referral_tables: dict = field(repr=False)
    reoffended: Share
    window: Window
    reoffending_curve: pd.DataFrame = field(repr=False)
    rates: Rates
    quarters: pd.DataFrame = field(repr=False)


@dataclass(frozen=True)
class AreasStudy:
    """Every district's figures and the force's, fitted once per render (the study `"areas"`).

    Attributes
    ----------
    programme : str
        The programme id.
    start, end : Period
        First and last month of first listings covered.
    extract_date : Timestamp
        The extract date.
    window : int
        The engagement window in days.
    areas : dict
        [`FORCE`][foundation_eval.evaluation.areas.FORCE] and each district id to its
        [`Area`][foundation_eval.evaluation.areas.Area], the force first, then the districts in the
        programme's order.
    measures : dict
        Each of [`MEASURES`][foundation_eval.evaluation.areas.MEASURES] to its
        [`Measure`][foundation_eval.evaluation.areas.Measure].
    funnels : dict
        Each measure to its [`DistrictFunnel`][foundation_eval.evaluation.areas.DistrictFunnel].
    outcomes : DataFrame
        The commissioning-outcome rows of the force: `outcome, measure, kind, k, n, pct, ci_low, ci_high`
        (`n` and the share missing for a plain count; Wilson intervals), exact.
    pillars : DataFrame or None
        `pillar, k, n, pct, ci_low, ci_high`: plans agreed after listing with each pillar and with all
        four, with Wilson intervals; None when the extract has no plans table.
    quarters : tuple
        The brief's quarters: this quarter (the last complete quarter of the period), the one before and
        the same quarter a year before (None where outside the period).
    attention : tuple of Attention
        Districts outside the 99.8% control limits and recent months with far fewer screening records.
    warnings : int
        Validation warnings of the extract, absent optional tables left out.
    harm_draws, harm_seed : int
        The harm bootstrap's draws and seed.
    primary_caveat : str
        What the evaluation's pre-specified primary analysis could not have detected, word for word as the
        evaluation says it
        ([`PowerAnalysis.verdict_caveat`][foundation_eval.evaluation.designs.PowerAnalysis.verdict_caveat]);
        "" when it could detect a plausible effect or was not estimated. Carried here so that the district
        pages, which read only this study, can start before the evaluation's other designs are fitted.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.reduce import with_reduced
    >>> study = fit_areas(with_reduced(demo_dataset(seed=1, scale=0.1)))
    >>> list(study.areas)[:3], study.force.name
    (['force', 'SOU', 'EAS'], 'Hampshire and Isle of Wight Constabulary')
    >>> study.area("Southampton") is study.area("SOU"), study.force.started.n == study.force.engaged.n
    (True, False)
    >>> [str(q) for q in study.quarters]
    ['2024Q4', '2024Q3', '2023Q4']
    >>> study.table().columns[:4].tolist()
    ['area', 'name', 'listed', 'engaged_pct']
    """

    programme: str
    start: pd.Period
    end: pd.Period
    extract_date: pd.Timestamp
    window: int
    areas: dict = field(repr=False)
    measures: dict = field(repr=False)
    funnels: dict = field(repr=False)
    outcomes: pd.DataFrame = field(repr=False)
    pillars: pd.DataFrame | None = field(repr=False)
    quarters: tuple = ()
    attention: tuple = ()
    warnings: int = 0
    harm_draws: int = HARM_DRAWS
    harm_seed: int = HARM_SEED
    primary_caveat: str = ""

    @property
    def force(self) -> Area:
        """The whole force's [`Area`][foundation_eval.evaluation.areas.Area]."""
        return self.areas[FORCE]

    def area(self, key: str | None) -> Area:
        """One area by district id or name (case-insensitive), or the force.

        Parameters
        ----------
        key : str or None
            A district's id or name; None, `""`, `"force"` or `"all"` for the whole force.

        Returns
        -------
        Area

        Raises
        ------
        KeyError
            When `key` names no area of the study.
        """
        if key in (None, "", FORCE, "all"):
            return self.force
        low = str(key).lower()
        for a in self.areas.values():
            if a.district_id is not None and low in (a.district_id.lower(), a.name.lower()):
                return a
        known = ", ".join(a.district_id for a in self.areas.values() if a.district_id)
        raise KeyError(f"no district {key!r} in this study; known: {known}")

    def table(self) -> pd.DataFrame:
        """The headline figures of every area, one row each (exact: not for publication).

        Returns
        -------
        DataFrame
            `area, name, listed, engaged_pct, started_pct, reoffended_pct, rate, harm, harm_low,
            harm_high`.
        """
        rows = [{"area": a.key, "name": a.name, "listed": a.listed, "engaged_pct": a.engaged.pct,
                 "started_pct": a.started.pct, "reoffended_pct": a.reoffended.pct, "rate": a.rates.rate,
                 "harm": a.rates.harm, "harm_low": a.rates.harm_low, "harm_high": a.rates.harm_high}
                for a in self.areas.values()]
        return pd.DataFrame(rows)

    def plot(self, ax=None, measure: str = "engaged"):
        """Dot chart of one headline share by area with its 95% interval (exact: not for publication).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.
        measure : {"engaged", "started", "reoffended"}
            The share to draw.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(6.5, 0.3 * len(self.areas) + 1))
        shares = [getattr(a, measure) for a in self.areas.values()]
        y = np.arange(len(shares))[::-1]
        pct = np.array([np.nan if s.pct is None else s.pct for s in shares])
        lo = np.array([np.nan if s.low is None else s.low for s in shares])
        hi = np.array([np.nan if s.high is None else s.high for s in shares])
        ax.errorbar(pct, y, xerr=[pct - lo, hi - pct], fmt="o", capsize=3)
        ax.set_yticks(y, [a.name for a in self.areas.values()])
        ax.set_xlabel(f"Percent {measure} (95% interval)")
        return ax


# ------------------------------------------------------------------------------------------ fitting
def _km(durations, events, scale: float = 1.0) -> pd.DataFrame:
    """Kaplan-Meier table as cumulative incidence: `time, at_risk, events, estimate, ci_low, ci_high`."""
    cols = ["time", "at_risk", "events", "estimate", "ci_low", "ci_high"]
    d = np.asarray(durations, dtype=float)
    if not d.size:
        return pd.DataFrame(columns=cols)
    t = kaplan_meier(d / scale, np.asarray(events, dtype=int)).table()
    return pd.DataFrame({"time": t.time, "at_risk": t.at_risk, "events": t.events, "estimate": 1 - t.survival,
                         "ci_low": 1 - t.ci_high, "ci_high": 1 - t.ci_low})[cols]


def _last_quarter(end: pd.Period, extract: pd.Timestamp) -> pd.Period:
    """The last quarter that ends by both the period's last month and the extract date."""
    q = end.asfreq("Q")
    if q.asfreq("M", "end") != end:
        q -= 1
    while q.end_time.normalize() > extract.normalize():  # the extract date's own day is in the data
        q -= 1
    return q


def _flag_months(counts: np.ndarray, months: pd.PeriodIndex, recent: int, min_typical: float) -> list:
    """Indices (district, month) of recent months with far fewer records than the months around them.

    The data-quality report's rule: the typical count is the smaller of the medians of the `width`
    months before and after (one side at the ends); a month is flagged when its count is below `ratio`
    times a typical count of at least `min_typical`, and a Poisson count that low has probability below
    `alpha`."""
    from scipy.stats import poisson

    w, ratio, alpha = QUALITY_RULE["width"], QUALITY_RULE["ratio"], QUALITY_RULE["alpha"]
    n_months = counts.shape[1]
    out = []
    for i in range(max(0, n_months - recent), n_months):
        sides = []
        if i >= min(2, w):
            sides.append(np.median(counts[:, max(0, i - w):i], axis=1))
        if n_months - 1 - i >= min(2, w):
            sides.append(np.median(counts[:, i + 1:i + 1 + w], axis=1))
        if not sides:
            continue
        typical = np.min(np.vstack(sides), axis=0)
        x = counts[:, i]
        flag = (typical >= min_typical) & (x < ratio * typical) & (poisson.cdf(x, np.maximum(typical, 1e-9)) < alpha)
        where = "gap" if (i >= min(2, w) and n_months - 1 - i >= min(2, w)) else "latest months"
        out += [(int(r), months[i], where) for r in np.flatnonzero(flag)]
    return out


def fit_areas(ds, start=None, end=None, *, level: float = 0.95, harm_draws: int = HARM_DRAWS,
              seed: int = HARM_SEED) -> AreasStudy:
    """Fit the district-and-force study on a dataset's reduced tables, every district in one pass.

    People are counted once, from their first listing (the index date); an area's people are those whose
    index month falls in `[start, end]` in that district (for the force: in any). Each definition is in
    the module's docstring; the funnel plots place every district against the force-wide share
    (districts with nobody in a measure's base are left off it).

    Parameters
    ----------
    ds : Dataset
        A validated extract carrying its reduced tables
        ([`with_reduced`][foundation_eval.frames.reduce.with_reduced]; a snapshot's dataset does).
    start, end : str or Period, optional
        First and last month (YYYY-MM) of first listings; default the programme's study period.
    level : float
        Confidence level of every interval.
    harm_draws : int
        Bootstrap draws of the harm intervals.
    seed : int
        Seed of the harm bootstrap.

    Returns
    -------
    AreasStudy

    Raises
    ------
    ValueError
        When the dataset carries no reduced tables, or `end` is before `start`.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.reduce import with_reduced
    >>> study = fit_areas(with_reduced(demo_dataset(seed=1, scale=0.1)))
    >>> f = study.force
    >>> f.listed == sum(a.listed for a in study.areas.values() if a.district_id)
    True
    >>> f.rates.n_boot, f.rates.harm_low < f.rates.harm < f.rates.harm_high
    (1000, True)
    >>> fit_areas(demo_dataset(seed=1, scale=0.1))
    Traceback (most recent call last):
        ...
    ValueError: the areas study reads the reduced tables: pass with_reduced(ds) or a snapshot's dataset
    """
    red = ds.reduced
    if red is None:
        raise ValueError("the areas study reads the reduced tables: pass with_reduced(ds) or a snapshot's dataset")
    prog = ds.programme
    start = pd.Period(start or prog.study_start, "M")
    end = pd.Period(end or prog.study_end, "M")
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    extract = pd.Timestamp(ds.extract_date)
    window = int(prog.engagement_window_days)
    absent = getattr(ds, "absent", frozenset())
    districts = list(prog.districts)
    names = {d.id: d.name for d in districts}
    months = pd.period_range(start, end, freq="M")
    quarters = pd.period_range(start.asfreq("Q"), end.asfreq("Q"), freq="Q")

    # ---------------------------------------------------------------- people of the period, with each outcome
    P = red.persons
    P = P[(P.index_month >= start) & (P.index_month <= end)]
    L = P[P.listed].copy()
    prac = pd.Series({d.id: d.practitioner_from.ordinal for d in districts})
    L["team"] = np.where(L.index_month.array.asi8 >= prac.reindex(L.district_id).to_numpy(), TEAMS[1], TEAMS[0])
    engaged_at = L.first_engaged
    stop = engaged_at.where(engaged_at.notna(), L.end_date)
    L["eng_event"] = engaged_at.notna().astype(int)
    L["eng_days"] = (stop - L.index_date).dt.days.clip(lower=0).astype(float)
    L["engaged"] = (L.eng_event == 1) & (L.eng_days <= window)
    close = (L.index_month + OUTCOME_MONTHS).dt.start_time
    L["ref_base"] = close <= extract
    L["started_12m"] = L.ref_base & (L.first_referral_started < close)
    L["completed_12m"] = L.ref_base & (L.first_referral_completed < close)
    L["observed_12m"] = L.observed_12m.astype(bool)
    L["reoffended_12m"] = L.reoffended_12m.astype(bool)
    L["new_victim_12m"] = L.observed_12m & (L.first_new_victim <= close)
    L["excluded_exit"] = (close <= extract) & L.exit_date.notna() & (L.exit_date < close)
    L["escalated"] = (L.da_count > 0) & (L.max_harm_after > L.max_harm_before)
    L["priority"] = (L.ppit_priority == True).fillna(False).astype(bool)  # noqa: E712
    L["window_closed"] = (L.index_date + pd.Timedelta(days=window)) <= extract
    L["quarter"] = L.index_month.dt.asfreq("Q")
    refs = referral_frame(ds, L)  # the reduced referrals of these people, with stage flags
    started_q = refs[refs.started].assign(quarter=refs.started_date.dt.to_period("Q"))

    # ---------------------------------------------------------------- list sizes, all districts at once
    dm = red.district_month
    dm = dm[(dm.month >= start) & (dm.month <= end)]
    dq, fq = red.district_quarter, red.force_quarter
    dq = dq[dq.quarter.isin(quarters)]
    fq = fq[fq.quarter.isin(quarters)]
    # every district's rows at once, then looked up per area
    dm_by = dict(tuple(dm.groupby("district_id", sort=False)))
    dq_by = dict(tuple(dq.groupby("district_id", sort=False)))
    new_m = L.groupby(["district_id", "index_month"]).size()
    new_q = L.groupby(["district_id", "quarter"]).size()
    closed = L[L.window_closed]
    eng_q = closed.groupby(["district_id", "quarter"]).engaged.agg(["sum", "size"])
    start_q = started_q.groupby(["district_id", "quarter"]).person_id.nunique()
    per_district = {name: {d: g.droplevel(0) for d, g in t.groupby(level=0)} for name, t in
                    (("new_m", new_m), ("new_q", new_q), ("eng_q", eng_q), ("start_q", start_q))}
    force_sums = {"new_m": new_m.groupby(level=1).sum(), "new_q": new_q.groupby(level=1).sum(),
                  "eng_q": eng_q.groupby(level=1).sum(), "start_q": start_q.groupby(level=1).sum()}

    def of(name, did):
        return force_sums[name] if did is None else per_district[name].get(did, force_sums[name].iloc[:0])

    def monthly(did):
        g = dm if did is None else dm_by.get(did, dm.iloc[:0])
        t = g.groupby("month")[["screened", "eligible", "listed"]].sum().reindex(months, fill_value=0)
        t["new_listings"] = of("new_m", did).reindex(months, fill_value=0).to_numpy()
        t.index.name = "month"
        return t.rename(columns={"listed": "on_list"}).astype(int).reset_index()

    def quarterly(did):
        g = fq if did is None else dq_by.get(did, dq.iloc[:0])
        t = g.set_index("quarter")[["screened", "eligible", "listed"]].reindex(quarters, fill_value=0)
        t["new_listings"] = of("new_q", did).reindex(quarters, fill_value=0).to_numpy()
        t.index.name = "quarter"
        return t.rename(columns={"listed": "on_list"}).astype(int).reset_index()

    this_q = _last_quarter(end, extract)
    brief_q = tuple(q if q >= quarters[0] else None for q in (this_q, this_q - 1, this_q - 4))

    def quarter_figures(did, lq: pd.DataFrame) -> pd.DataFrame:
        lq = lq.set_index("quarter")
        eng, st = of("eng_q", did), of("start_q", did)
        rows = []
        for q in (x for x in brief_q if x is not None):
            k, m = (int(eng.at[q, "sum"]), float(eng.at[q, "size"])) if q in eng.index else (0, 0.0)
            rows += [{"measure": "on_list", "quarter": q, "k": int(lq.at[q, "on_list"]), "n": np.nan},
                     {"measure": "new_listings", "quarter": q, "k": int(lq.at[q, "new_listings"]), "n": np.nan},
                     {"measure": "engaged", "quarter": q, "k": k, "n": m},
                     {"measure": "started", "quarter": q, "k": int(st.get(q, 0)), "n": np.nan}]
        return pd.DataFrame(rows, columns=["measure", "quarter", "k", "n"])

    # ---------------------------------------------------------------- the engagement funnel, every district at once
    stages = funnel_stages(prog)
    reached = np.ones(len(L), bool)
    nested = {}
    for key, _ in stages:  # nested: a person counts at a stage only if they reached every stage before it
        if key != "listed":
            reached = reached & L[_STAGE_DATES[key]].notna().to_numpy()
        nested[key] = reached.copy()
    nested = pd.DataFrame(nested, index=L.index).assign(district_id=L.district_id.to_numpy())
    stage_counts = nested.groupby("district_id").sum()

    def funnel_table(did) -> pd.DataFrame:
        n = (stage_counts.sum() if did is None else
             stage_counts.loc[did] if did in stage_counts.index else pd.Series(0, index=stage_counts.columns))
        k = np.array([int(n[key]) for key, _ in stages])
        listed = int(k[0]) if len(k) else 0
        with np.errstate(invalid="ignore", divide="ignore"):
            lo, hi = wilson_interval(k, np.full(len(k), listed), level) if listed else (np.full(len(k), np.nan),) * 2
            prev = np.concatenate([[np.nan], k[:-1]]).astype(float)
            return pd.DataFrame({"stage": [key for key, _ in stages], "label": [lab for _, lab in stages], "n": k,
                                 "percent": 100 * k / listed if listed else np.nan, "ci_low": 100 * np.asarray(lo),
                                 "ci_high": 100 * np.asarray(hi),
                                 "percent_of_previous": np.where(prev > 0, 100 * k / prev, np.nan)})

    # ---------------------------------------------------------------- one area
    by_person = L.groupby("district_id", sort=False).indices
    eligible_by = P.groupby("district_id").size()
    refs_by = refs.groupby("district_id", sort=False).indices
    coded = [c for c in prog.columns_for("referrals") if c.values is not None and c.name in refs]

    def area(did: str | None) -> Area:
        people = L if did is None else L.iloc[by_person.get(did, [])]
        r = refs if did is None else refs.iloc[refs_by.get(did, [])]
        n = len(people)
        mon = monthly(did)
        quart = quarterly(did)
        teams = (people.groupby("team").agg(people=("engaged", "size"), engaged=("engaged", "sum"))
                 .reindex(list(TEAMS)).dropna().astype(int).rename_axis("team").reset_index())
        team_shares = [Share.of(k, m, level) for k, m in zip(teams.engaged, teams.people, strict=True)]
        teams = teams.assign(pct=[s.pct for s in team_shares], ci_low=[s.low for s in team_shares],
                             ci_high=[s.high for s in team_shares])
        by_team = {t: (int(people.engaged[people.team == t].sum()), int((people.team == t).sum())) for t in TEAMS}
        tables = {}
        if len(r):
            t = stage_table(r, by="pathway", level=level)
            tables["pathway"] = t[t.pathway != "All"].reset_index(drop=True)
            for col in coded:
                t = stage_table(r.assign(**{col.name: r[col.name].fillna("not recorded")}), by=col.name, level=level)
                tables[col.name] = t[t[col.name] != "All"].reset_index(drop=True)
        observed = int(people.observed_12m.sum())
        d = next((x for x in districts if x.id == did), None)  # None for the force
        return Area(
            key=did or FORCE, name=names.get(did, prog.force or prog.name), district_id=did,
            go_live=d.go_live if d else None, practitioners_from=d.practitioner_from if d else None,
            eligible=int(len(P) if did is None else eligible_by.get(did, 0)), listed=n,
            list_monthly=mon, list_quarterly=quart, table_one=table_one(people),
            ppit_bands=ppit_bands(people, prog.ppit_max, prog.ppit_threshold) if prog.has_risk_tool else None,
            ppit_priority=int(people.priority.sum()), funnel=funnel_table(did),
            engaged=Share.of(people.engaged.sum(), n, level), teams=teams,
            practitioner=Difference.of(*by_team[TEAMS[1]], *by_team[TEAMS[0]], level),
            engagement_curves={t: _km(g.eng_days, g.eng_event) for t, g in people.groupby("team", sort=True)},
            started=Share.of(people.started_12m.sum(), people.ref_base.sum(), level),
            completed=Share.of(people.completed_12m.sum(), people.ref_base.sum(), level),
            referrals=len(r), referral_tables=tables,
            reoffended=Share.of(people.reoffended_12m.sum(), observed, level),
            window=Window(observed, n - observed, int(people.excluded_exit.sum())),
            reoffending_curve=_km(people.time_days, people.event, DAYS_PER_MONTH),
            rates=Rates.of(people.da_count.to_numpy(), people.harm_days.to_numpy(), people.exposure_years.to_numpy(),
                           int(people.new_victim.sum()), int(people.escalated.sum()), harm_draws, seed, level),
            quarters=quarter_figures(did, quart))

    areas = {FORCE: area(None)}
    for d in districts:
        areas[d.id] = area(d.id)

    # ---------------------------------------------------------------- funnel plots of the districts
    measures = _measures(window)
    order = sorted(districts, key=lambda d: (d.go_live, d.name))
    funnels = {}
    bases = {"engagement": ("engaged", None), "referral": ("started_12m", "ref_base"),
             "reoffending": ("reoffended_12m", "observed_12m")}
    for key, m in measures.items():
        if m.needs in absent:
            funnels[key] = DistrictFunnel(m, why=f"Not shown: the extract has no {m.needs} table.")
            continue
        flag, base = bases[key]
        sub = L if base is None else L[L[base]]
        g = sub.groupby("district_id")[flag].agg(["sum", "size"])
        dd = pd.DataFrame({"district_id": [d.id for d in order], "name": [d.name for d in order],
                           "go_live": [str(d.go_live) for d in order]})
        dd = dd.join(g, on="district_id").fillna({"sum": 0, "size": 0}).rename(columns={"sum": "k", "size": "n"})
        dd = dd[dd.n > 0].astype({"k": int, "n": int}).reset_index(drop=True)
        if len(dd) < 2 or dd.k.sum() == 0 or dd.k.sum() == dd.n.sum():
            funnels[key] = DistrictFunnel(m, why="Not shown: too few districts or people with and without the "
                                                 "outcome to draw this funnel plot.")
            continue
        res = funnel_plot(dd.name.tolist(), dd.k.to_numpy(), dd.n.to_numpy(), overdispersion="auto", measure=m.did)
        funnels[key] = DistrictFunnel(m, res, res.limits(), dd[["district_id", "name", "go_live", "n", "k"]])

    # ---------------------------------------------------------------- what needs attention
    attention = []
    for key, fv in funnels.items():
        if fv.result is None:
            continue
        ids = dict(zip(fv.districts.name, fv.districts.district_id, strict=True))
        for unit, position in zip(fv.result.units.unit, fv.result.units.position, strict=True):
            if position in ("above 99.8%", "below 99.8%"):
                attention.append(Attention("funnel", ids[unit], unit, key, position.split()[0]))
    recent = 12
    counts = (red.district_month[red.district_month.month.isin(months)]
              .pivot_table(index="district_id", columns="month", values="screened", aggfunc="sum")
              .reindex(index=[d.id for d in districts], columns=months, fill_value=0).fillna(0))
    for r, month, where in _flag_months(counts.to_numpy(float), months, recent, float(prog.disclosure_threshold)):
        did = districts[r].id
        attention.append(Attention("records", did, names[did], "screening", where, month))

    # ---------------------------------------------------------------- the force's commissioning outcomes
    outcomes = _outcome_rows(prog, absent, P, L, refs, red.plans, window)
    pillars = None
    if "rmps" not in absent and red.plans is not None:
        plans = red.plans[red.plans.person_id.isin(L.person_id)]
        flags = plans[[c for c, _ in RMP_PILLARS]].fillna(False).astype(bool)
        rows = [{"pillar": label, "k": int(flags[c].sum()), "n": len(plans)} for c, label in RMP_PILLARS]
        rows.append({"pillar": "All four pillars", "k": int(flags.all(axis=1).sum()), "n": len(plans)})
        pillars = pd.DataFrame(rows)
        shares = [Share.of(k, m, level) for k, m in zip(pillars.k, pillars.n, strict=True)]
        pillars = pillars.assign(pct=[s.pct for s in shares], ci_low=[s.low for s in shares],
                                 ci_high=[s.high for s in shares])

    warnings = sum("optional table" not in w for w in getattr(ds, "warnings", ()))
    return AreasStudy(prog.id, start, end, extract, window, areas, measures, funnels, outcomes, pillars, brief_q,
                      tuple(attention), int(warnings), int(harm_draws), int(seed))


def _outcome_rows(prog, absent, P, L, refs, plans, window) -> pd.DataFrame:
    """The commissioning-outcome rows of the force (exact)."""
    o = COMMISSIONING_OUTCOMES
    n = len(L)
    observed = L[L.observed_12m]

    def has(table):
        return table not in absent

    rows = [(o[0], f"People meeting all {len(prog.criteria)} criteria in the period", "Direct", len(P), np.nan),
            (o[0], "People put on the programme list", "Direct", n, np.nan)]
    if prog.has_risk_tool and has("ppit_assessments"):
        rows.append((o[0], "Listed people assessed with the risk tool", "Direct", int(L.first_assessed.notna().sum()), n))
    if has("contacts"):
        rows.append((o[0], f"Listed people who engaged within {window} days of listing", "Direct",
                     int(L.engaged.sum()), n))
    rows.append((o[1], f"Listed people followed for a full {OUTCOME_MONTHS} months who were recorded for a further "
                 f"domestic-abuse offence within {OUTCOME_MONTHS} months", "Proxy", int(observed.reoffended_12m.sum()),
                 len(observed)))
    rows.append((o[2], f"Listed people followed for a full {OUTCOME_MONTHS} months with a domestic-abuse offence "
                 f"against a new victim within {OUTCOME_MONTHS} months", "Proxy", int(observed.new_victim_12m.sum()),
                 len(observed)))
    pl = plans[plans.person_id.isin(L.person_id)] if plans is not None else None
    if has("rmps") and pl is not None and len(pl):
        rows.append((o[2], "Risk management plans with a victim-safety pillar", "Proxy",
                     int(pl.victim_safety.fillna(False).astype(bool).sum()), len(pl)))
    health = [x for x in HEALTH_PATHWAYS if x in prog.pathways]
    if has("referrals") and health:
        h = refs[refs.pathway.isin(health)]
        rows.append((o[3], "Listed people referred to a health or drug and alcohol service", "Proxy",
                     h.person_id.nunique(), n))
        rows.append((o[3], "Listed people who started a health or drug and alcohol service", "Proxy",
                     h[h.started].person_id.nunique(), n))
    if has("contacts"):
        rows.append((o[4], "Listed people with a joint police and practitioner visit", "Process",
                     int(L.first_joint_visit.notna().sum()), n))
    if has("rmps") and pl is not None:
        rows.append((o[4], "Listed people with a risk management plan", "Process", pl.person_id.nunique(), n))
        if len(pl):
            allp = pl[[c for c, _ in RMP_PILLARS]].fillna(False).astype(bool).all(axis=1)
            rows.append((o[4], "Risk management plans covering all four pillars", "Process", int(allp.sum()), len(pl)))
    if has("referrals"):
        rows.append((o[4], "Listed people referred to any partner service", "Process", refs.person_id.nunique(), n))
    out = pd.DataFrame(rows, columns=["outcome", "measure", "kind", "k", "n"])
    out["k"] = out.k.astype(int)
    shares = [Share.of(k, m) if m == m else None for k, m in zip(out.k, out.n, strict=True)]
    for col, attr in (("pct", "pct"), ("ci_low", "low"), ("ci_high", "high")):
        out[col] = [np.nan if s is None or getattr(s, attr) is None else getattr(s, attr) for s in shares]
    return out


def areas_study(snap) -> AreasStudy:
    """The study a render fits once ([`STUDIES`][foundation_eval.evaluation.snapshot.STUDIES] `"areas"`).

    Parameters
    ----------
    snap : Snapshot
        The snapshot built so far: its dataset with the reduced tables (reduced here if a hand-made
        snapshot lacks them), and the registered estimates.

    Returns
    -------
    AreasStudy
        Fitted over the programme's study period.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.evaluation.snapshot import Snapshot
    >>> study = areas_study(Snapshot(demo_dataset(seed=1, scale=0.1)))
    >>> str(study.start), str(study.end)
    ('2019-01', '2024-12')
    """
    from foundation_eval.frames.reduce import with_reduced

    return replace(fit_areas(with_reduced(snap.dataset)), primary_caveat=primary_caveat(snap.dataset))


def primary_caveat(ds) -> str:
    """The evaluation's statement of what its primary analysis could not detect ("" when none applies).

    Read from the dataset's shared evaluation (`foundation_eval.evaluation.study.shared_evaluation`),
    whose primary the headline estimands have already fitted: only the power analysis is computed here.

    Parameters
    ----------
    ds : Dataset
        The validated extract.

    Returns
    -------
    str
        [`PowerAnalysis.verdict_caveat`][foundation_eval.evaluation.designs.PowerAnalysis.verdict_caveat],
        or "" when the power analysis is not estimable.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> snap = open_snapshot()
    >>> primary_caveat(snap.dataset) == snap.study("evaluation").power.verdict_caveat() != ""
    True
    """
    from foundation_eval.evaluation.study import shared_evaluation

    power = shared_evaluation(ds).power
    ok = getattr(power, "estimable", True) and hasattr(power, "verdict_caveat")
    return power.verdict_caveat() if ok else ""


def study_for_period(snap, start=None, end=None) -> AreasStudy:
    """The snapshot's study, or a variant fitted here for another period of first listings.

    A notebook parameter that changes the analysis (another period) is answered by fitting the study
    again here, in the evaluation layer, never inside a report.

    Parameters
    ----------
    snap : Snapshot
        The render's snapshot.
    start, end : str, optional
        First and last month (YYYY-MM); blank or None for the programme's study period.

    Returns
    -------
    AreasStudy
        `snap.study("areas")` itself when the period is the study period.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.evaluation.snapshot import build_snapshot
    >>> snap = build_snapshot(demo_dataset(seed=1, scale=0.1))
    >>> study_for_period(snap) is snap.study("areas"), str(study_for_period(snap, "2022-01", "2023-12").start)
    (True, '2022-01')
    """
    prog = snap.programme
    s = pd.Period(start or prog.study_start, "M")
    e = pd.Period(end or prog.study_end, "M")
    if s == pd.Period(prog.study_start, "M") and e == pd.Period(prog.study_end, "M"):
        return snap.study(STUDY)
    return replace(fit_areas(snap.dataset, s, e), primary_caveat=snap.study(STUDY).primary_caveat)
