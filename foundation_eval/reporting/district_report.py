"""Content of a district report: every table, figure and sentence, published through one page.

`DistrictReport(snap, district)` reads the render's snapshot (the dataset with its reduced tables and
the registered headline estimates) and publishes what one district's report shows through
`report.page` (a [`Page`][foundation_eval.reporting.publication.Page]): counts rounded and small ones
withheld by one rule, numbers formatted by one set of rules, sentences from templates, and a claim
printed only where its result supports it. Each method returns publication items (a
[`Section`][foundation_eval.reporting.publication.Section],
[`Text`][foundation_eval.reporting.publication.Text] or
[`Table`][foundation_eval.reporting.publication.Table]) for the notebook to show. The notebook
`notebooks/district_report.ipynb` shows them one by one.

Each headline figure has one definition, computed once and worded the same in the summary and in its
section:

- *engaged within N days of listing* (N: the programme's engagement window): a contact recorded as
  engaged on or after the index date and at most N days after it, among all listed people
  ([`first_engagement_frame`][foundation_eval.models.engagement.first_engagement_frame]);
- *started a referred service after listing*: a referral made on or after the index date was started
  ([`referral_frame`][foundation_eval.models.referrals.referral_frame]);
- *a further domestic-abuse offence within 12 months of listing*: among listed people whose whole
  12-month window is observed ([`fixed_window`][foundation_eval.frames.outcomes.fixed_window]).

Shares carry Wilson score intervals (Wilson 1927, Journal of the American Statistical Association
22:209-212); a difference of two shares carries Newcombe's hybrid score interval (Newcombe 1998,
Statistics in Medicine 17:873-890; [`newcombe_difference`][foundation_eval.stats.newcombe_difference]).
These are descriptive figures for one area: what happened to the people listed there, not what the
programme caused (the pilot-versus-rollout report estimates that).
"""
from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.frames.cohort import monthly_list_size, person_frame, ppit_bands, select, table_one
from foundation_eval.frames.outcomes import fixed_window, reoffending_frame
from foundation_eval.models.engagement import add_phase, first_engagement_frame, funnel
from foundation_eval.models.referrals import referral_frame, stage_table
from foundation_eval.reporting.disclosure import curve_steps
from foundation_eval.reporting.figures import PALETTE, funnel_plot, list_size_plot, new_axes, ppit_histogram
from foundation_eval.reporting.publication import Page, Section, Text
from foundation_eval.stats import newcombe_difference

__all__ = ["DistrictReport"]

OUTCOME_MONTHS = 12
"""Length in months of the fixed reoffending window after first listing."""
TEAMS = ("police alone", "with practitioners")
"""The two teams a person can be listed under: before and after practitioners joined the district's team."""
_PCT = ("percent", "ci_low", "ci_high")


def _month(p) -> str:
    """A month or quarter as words ("March 2021", "2021 Q1")."""
    p = pd.Period(p)
    return p.strftime("%B %Y") if p.freqstr.startswith("M") else f"{p.year} Q{p.quarter}"


def _whole(values) -> pd.Series:
    """Percentages stored at the precision the page shows (whole percent), so that a workbook cell
    cannot give back the exact counts behind a rounded count."""
    return pd.to_numeric(pd.Series(values), errors="coerce").round(0)


class DistrictReport:
    """All content of one district's report (or the whole force's), published through `self.page`.

    The analysis frames are read from the snapshot on first use and kept, so the sections can be
    called in any order and every figure has one value wherever it appears. Each method returns a
    publication item; nothing is printed or written until the notebook shows it or
    `report.page.write_workbook(path)` writes the tables. Every count, in a table or a sentence, passes
    the page's disclosure rule (rounded to the programme's base; counts from 1 to threshold - 1
    withheld).

    Parameters
    ----------
    snap : Snapshot
        The render's snapshot ([`open_snapshot`][foundation_eval.evaluation.snapshot.open_snapshot] or
        [`build_snapshot`][foundation_eval.evaluation.snapshot.build_snapshot]), not a bare `Dataset`.
    district : str, optional
        District id or name (case-insensitive, e.g. `"SOU"` or `"Southampton"`); None, `""`, `"force"`
        or `"all"` for the whole force.
    start, end : str, optional
        First and last month (YYYY-MM) of first listings to include; default the programme's study
        period.

    Attributes
    ----------
    page : Page
        Everything the report publishes ([`Page`][foundation_eval.reporting.publication.Page]).
    name : str
        The area as the report names it: the district's name, or `"<force> (all districts)"`.
    district_id : str or None
        The district's id; None for the whole force.
    go_live, practitioners_from : Period or None
        The month the district went live and the month practitioners joined its team (None for the
        force).
    start, end : str
        First and last month of listings covered (YYYY-MM).
    window : int
        The programme's engagement window in days (the N of "engaged within N days of listing").

    Raises
    ------
    TypeError
        When `snap` is a `Dataset` rather than a snapshot.
    KeyError
        When `district` names no district of the programme (the message lists the known ids).

    Examples
    --------
    On the built-in synthetic force (the first call builds or reads the cached demo snapshot):

    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> report = DistrictReport(open_snapshot(), "Southampton")
    >>> report.district_id, report.where, report.window
    ('SOU', 'in Southampton', 90)
    >>> [getattr(part, "heading", "") for part in report.sections()]
    ['', '', 'Monthly list', 'Who was listed', 'Risk assessment', 'Engagement funnel', 'Engagement',
     'Referrals', 'Reoffending', 'Methods', 'Disclosure control', 'Provenance']
    >>> [t.name for t in report.page.tables][:4]
    ['list_size', 'who_was_listed', 'ppit_bands', 'funnel']

    In a notebook, `show(report.summary(), report.funnel())` displays two parts and
    `report.page.write_workbook("district.xlsx")` writes every published table.
    """

    def __init__(self, snap, district: str | None = None, start: str | None = None, end: str | None = None):
        if isinstance(snap, Dataset):
            raise TypeError("DistrictReport takes a render snapshot: open_snapshot(data_dir, programme) or "
                            "build_snapshot(dataset) from foundation_eval.evaluation.snapshot")
        self.snap = snap
        self.ds = snap.dataset
        prog = self.ds.programme
        self.district = district
        if district in (None, "", "force", "all"):
            self.district_id = None
            self.name = f"{prog.force or prog.name} (all districts)"
            self.go_live = self.practitioners_from = None
        else:
            d = prog.district(district)
            self.district_id, self.name, self.go_live, self.practitioners_from = (d.id, d.name, d.go_live,
                                                                                  d.practitioner_from)
        self.start = str(start or prog.study_start)
        self.end = str(end or prog.study_end)
        self.window = int(prog.engagement_window_days)
        self.page = Page(snap, self.name, kind="District report",
                         parameters={"district": self.district_id or "force", "period_start": self.start,
                                     "period_end": self.end})

    @property
    def threshold(self) -> int:
        """The disclosure threshold: the smallest count the report may publish (10 by default)."""
        return self.page.threshold

    @property
    def where(self) -> str:
        """``in`` and the district's name, or ``across the force``."""
        return f"in {self.name}" if self.district_id else "across the force"

    # ------------------------------------------------------------------ frames (read once)
    def _force(self, name: str, build):
        """A force-wide frame every district page of the period compares with, built once per render
        process (`foundation_eval.data.load.Dataset.derived`)."""
        return self.ds.derived(("district report", name, self.start, self.end, self.window), build)

    @cached_property
    def force_persons(self) -> pd.DataFrame:
        """Everyone eligible in the period, all districts, from the snapshot's reduced tables."""
        return self._force("persons", lambda: add_phase(self.ds, select(person_frame(self.ds), None, self.start,
                                                                        self.end)))

    def _here(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame if self.district_id is None else frame[frame.district_id == self.district_id]

    @cached_property
    def persons(self) -> pd.DataFrame:
        """Everyone eligible in the period in this area (the force's people for the whole force)."""
        return self._here(self.force_persons)

    @cached_property
    def listed(self) -> pd.DataFrame:
        """People of this area put on the programme list in the period, one row each (exact, unpublished)."""
        return self.persons[self.persons.listed]

    @cached_property
    def engagement_frame(self) -> pd.DataFrame:
        """Listed people of the force with ``engaged_within``: engaged within the window of listing."""
        def build():
            f = first_engagement_frame(self.ds, self.force_persons)
            return f.assign(engaged_within=(f.event == 1) & (f.days <= self.window))
        return self._force("engagement", build)

    @cached_property
    def referrals_frame(self) -> pd.DataFrame:
        """Referrals of the force's listed people made on or after their index date."""
        return self._force("referrals", lambda: referral_frame(self.ds, self.force_persons[self.force_persons.listed]))

    @cached_property
    def reoffending_people(self) -> pd.DataFrame:
        """Reoffending of the force's listed people (read from the reduced tables)."""
        return self._force("reoffending", lambda: reoffending_frame(self.ds,
                                                                    self.force_persons[self.force_persons.listed]))

    @cached_property
    def window_frame(self):
        """The force's listed people observed for the whole 12-month window (a `WindowFrame` of
        [`fixed_window`][foundation_eval.frames.outcomes.fixed_window])."""
        return self._force("window", lambda: fixed_window(self.reoffending_people, OUTCOME_MONTHS,
                                                          self.ds.extract_date))

    # ------------------------------------------------------------------ headline figures (one definition each)
    def _shares(self, frame: pd.DataFrame, flag: str) -> dict:
        here = self._here(frame)
        return {"here": self.page.share(int(here[flag].sum()), len(here)),
                "force": self.page.share(int(frame[flag].sum()), len(frame))}

    @cached_property
    def engaged(self) -> dict:
        """Share of listed people engaged within the window of listing, here and across the force."""
        return self._shares(self.engagement_frame, "engaged_within")

    def _people_with(self, stage: str) -> pd.DataFrame:
        def build():
            listed = self.force_persons[self.force_persons.listed]
            refs = self.referrals_frame
            return listed.assign(flag=listed.person_id.isin(refs[refs[stage]].person_id))
        return self._force(f"people with {stage}", build)

    @cached_property
    def started(self) -> dict:
        """Share of listed people who started a referred service after listing."""
        return self._shares(self._people_with("started"), "flag")

    @cached_property
    def completed(self) -> dict:
        """Share of listed people who completed a referred service after listing."""
        return self._shares(self._people_with("completed"), "flag")

    @cached_property
    def reoffended(self) -> dict:
        """Share of listed people observed for 12 months with a further DA offence within them."""
        return self._shares(self.window_frame.frame, "outcome")

    @cached_property
    def practitioner_comparison(self) -> dict:
        """Engagement within the window by team at listing in this area, and the difference.

        A dict with keys `exists`, `groups` (team to its published share), `people` (team to its exact
        number of listed people, not for publication), `difference`, `low`, `high` and `estimate`. In a
        district, `exists` is true only when both teams listed people there and both shares may be
        published; the difference (with practitioners minus police alone, as a proportion) then carries
        Newcombe's (1998) hybrid score interval on this district's people. For the whole force the
        difference is the registered estimand `engagement_rd_practitioner` read from the snapshot
        (`estimate`, an [`EstimateView`][foundation_eval.reporting.publication.EstimateView]), never
        refitted here, so the force page and `results.json` give one value.
        """
        f = self._here(self.engagement_frame)
        groups = {t: self.page.share(int(f.engaged_within[f.team == t].sum()), int((f.team == t).sum()))
                  for t in TEAMS}
        counts = {t: (int(f.engaged_within[f.team == t].sum()), int((f.team == t).sum())) for t in TEAMS}
        out = {"groups": groups, "people": {t: counts[t][1] for t in TEAMS}, "estimate": None}
        if self.district_id is None:
            e = self.page.estimate("engagement_rd_practitioner")
            return {**out, "exists": e.available, "difference": e.estimate, "low": e.ci_low, "high": e.ci_high,
                    "estimate": e}
        exists = all(g["pct"] is not None for g in groups.values())
        d = lo = hi = None
        if exists:
            (x1, n1), (x0, n0) = counts["with practitioners"], counts["police alone"]
            d, lo, hi = newcombe_difference(x1, n1, x0, n0)
        return {**out, "exists": exists, "difference": d, "low": lo, "high": hi}

    def practitioner_claim(self) -> Text | None:
        """The claim that people listed after practitioners joined engaged more (or less) often.

        Printed only where the result supports it: the 95% interval of the difference between teams
        ([`practitioner_comparison`][foundation_eval.reporting.district_report.DistrictReport.practitioner_comparison])
        excludes zero.

        Returns
        -------
        Text or None
            The sentence, with the registered estimate for the force or the two shares and their
            difference for a district; None when the area has no such comparison or its interval
            includes no difference.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> force = DistrictReport(open_snapshot())
        >>> print(force.practitioner_claim().plain)
        People listed after practitioners joined the team engaged more often within 90 days of listing
        than people listed while police worked alone: the evaluation estimates the difference as ...
        >>> DistrictReport(open_snapshot(), "SOU").practitioner_claim() is None  # no police-alone group there
        True
        """
        c = self.practitioner_comparison
        if not c["exists"] or not (c["low"] > 0 or c["high"] < 0):
            return None
        how = "engaged more often" if c["low"] > 0 else "engaged less often"
        if c["estimate"] is not None:
            return self.page.say(
                "People listed after practitioners joined the team {{ how }} within {{ w }} days of listing than "
                "people listed while police worked alone: the evaluation estimates the difference as "
                "{{ e | estimate }}.", how=how, w=self.window, e=c["estimate"])
        return self.page.say(
            "People listed after practitioners joined the team {{ how }} within {{ w }} days of listing: "
            "{{ a | percent }} against {{ b | percent }} while police worked alone, a difference of "
            "{{ d | points }} percentage points (95% interval {{ lo | points }} to {{ hi | points }}).",
            how=how, w=self.window, a=c["groups"]["with practitioners"]["pct"], b=c["groups"]["police alone"]["pct"],
            d=c["difference"], lo=c["low"], hi=c["high"])

    # ------------------------------------------------------------------ published tables
    @cached_property
    def list_sizes(self):
        """People screened, meeting the criteria and listed per month, published through the page.

        Monthly counts come from the reduced tables; where more than 30% of the live months would be
        withheld, quarterly counts are published instead. A tuple `(table, per, exact)`: the published
        [`Table`][foundation_eval.reporting.publication.Table] `list_size`, `"month"` or `"quarter"`, and
        the exact frame behind it with its `_period` column (not for publication)."""
        cols = ["screened", "eligible", "listed"]
        monthly = monthly_list_size(self.ds, self.district_id, self.start, self.end)
        live = monthly.month >= (self.go_live or self.ds.programme.study_start)
        hidden = monthly.listed.map(self.page.rule.hidden)
        frame, per = monthly, "month"
        if live.any() and hidden[live].mean() > 0.3:
            frame, per = monthly_list_size(self.ds, self.district_id, self.start, self.end, freq="Q"), "quarter"
        frame = frame.assign(month=[_month(m) for m in frame.month], _period=frame.month)
        n_crit = len(self.ds.programme.criteria)
        t = self.page.table(
            "list_size", frame[["month", *cols]], title=f"People screened, meeting the criteria and listed each {per}: "
            f"{self.name}", counts=cols, additive=False,
            headings={"month": per.capitalize(), "screened": "People screened",
                      "eligible": f"Met all {n_crit} criteria", "listed": "Listed"},
            notes=("Counts of people in each " + per + ("; a person listed in several months of a quarter counts "
                                                        "once in it." if per == "quarter" else "."),))
        return t, per, frame.reset_index(drop=True)

    @cached_property
    def table_one(self):
        """The published `who_was_listed` table: characteristics of listed people at first listing, with
        whole-number percentages of all listed people."""
        t = table_one(self.listed)
        t["percent"] = _whole(t.percent)
        t["characteristic"] = t.characteristic.str.replace("2 years", "two years")
        return self.page.table(
            "who_was_listed", t, title=f"Characteristics of listed people at their first listing: {self.name}",
            counts={"n": ["percent"]}, additive_within="characteristic", kinds={"percent": "percent"},
            headings={"characteristic": "Characteristic", "category": "Group", "n": "People",
                      "percent": "Percent of listed people"},
            notes=("Percentages are of all listed people in the area and period.",))

    @cached_property
    def ppit(self):
        """The published `ppit_bands` table: listed people by band of the risk-tool total (first rating)."""
        prog = self.ds.programme
        t = ppit_bands(self.listed, prog.ppit_max, prog.ppit_threshold)
        t["priority"] = np.where(t.priority, "yes", "no")
        return self.page.table(
            "ppit_bands", t, title=f"Listed people by {prog.ppit_name} total score (first rating): {self.name}",
            counts=["n"], headings={"band": "Score band", "n": "People", "priority": "Priority band"},
            notes=(f"Scores of {prog.ppit_threshold} or more mark a priority perpetrator.",))

    @cached_property
    def funnel_table(self):
        """The engagement funnel of this area's listed people, through the page.

        Stages are nested (a person counts at a stage only if they reached every stage above it); a
        share is withheld when the people reaching, or not reaching, the stage number 1 to threshold - 1.
        """
        t = funnel(self.ds, self.persons).table()
        n_listed = int(t.n.iloc[0]) if len(t) else 0
        prev = t.n.shift(1)
        hide = {c: [n_listed > 0 and self.page.share(k, n_listed)["pct"] is None for k in t.n] for c in _PCT}
        hide["percent_of_previous"] = [pd.notna(p) and p > 0 and self.page.share(k, int(p))["pct"] is None
                                       for k, p in zip(t.n, prev, strict=True)]
        for c in (*_PCT, "percent_of_previous"):
            t[c] = _whole(t[c])
        t["label"] = [lab if i < 2 else f"... and {lab[0].lower()}{lab[1:]}" for i, lab in enumerate(t.label)]
        return self.page.table(
            "funnel", t.drop(columns="stage"), title=f"From listing to completed service: {self.name}",
            counts={"n": ["percent", "ci_low", "ci_high", "percent_of_previous"]}, additive=False, nested=True,
            hide=hide,
            kinds={c: "percent" for c in (*_PCT, "percent_of_previous")},
            headings={"label": "Stage (each counts people who also reached every stage above it)",
                      "n": "People", "percent": "Percent of listed people", "ci_low": "95% interval from",
                      "ci_high": "95% interval to", "percent_of_previous": "Percent of the stage above"},
            notes=("Records on or after the first listing, at any time up to the extract date. Wilson 95% intervals.",
                   "A share is not published when fewer than the threshold reached, or did not reach, the stage."))

    # ------------------------------------------------------------------ page parts
    def header(self) -> Text:
        """The page title, the period of listings and the synthetic-data flag.

        Returns
        -------
        Text
            Title and subtitle (with the report stylesheet for JupyterLab).
        """
        return self.page.header(f"Listings from {_month(self.start)} to {_month(self.end)}.")

    def summary(self) -> Text:
        """The boxed summary: plain-English sentences from the same values as the sections.

        Number listed (and the average per month, or per quarter, once live), go-live, the share engaged
        within the window and the share who started a referred service, each with its Wilson 95%
        interval, the practitioner claim where the data support it, and a reminder that the figures are
        descriptive.

        Returns
        -------
        Text
            The summary box.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> report = DistrictReport(open_snapshot(), "Southampton")
        >>> print(report.summary().plain)
        SummaryBetween January 2019 and December 2024, ... people were put on the programme list in
        Southampton, ... The programme went live here in January 2021. ...% of listed people engaged
        within 90 days of listing (95% interval ...). These are descriptive figures: they show what
        happened, not what the programme caused.
        """
        t, per, exact = self.list_sizes
        first_live = self.go_live or min(d.go_live for d in self.ds.programme.districts)
        live = exact[exact._period.dt.end_time >= first_live.start_time]
        avg = live.listed.mean() if len(live) else None
        say = self.page.say
        if not len(self.listed):
            return self.page.summary([
                say("No one was put on the programme list {{ where }} between {{ a }} and {{ b }}.", where=self.where,
                    a=_month(self.start), b=_month(self.end)),
                say("The programme went live here in {{ m }}.", m=_month(self.go_live)) if self.go_live else None,
                self.page.paragraph("There are no engagement, referral or reoffending figures to report.")])
        s = [say("Between {{ a }} and {{ b }}, {{ n | count }} were put on the programme list {{ where }}"
                 "{% if avg is not none %}, on average {{ avg | count }} a {{ per }} once the programme was live"
                 "{% endif %}.", a=_month(self.start), b=_month(self.end), n=len(self.listed), where=self.where,
                 avg=avg, per=per)]
        if self.go_live is not None:
            s.append(say("The programme went live here in {{ m }}.", m=_month(self.go_live)))
        s.append(self._share_sentence(self.engaged["here"], f"engaged within {self.window} days of listing",
                                      short=True))
        s.append(self._share_sentence(self.started["here"], "started a referred service after listing", short=True))
        claim = self.practitioner_claim()
        if claim is not None:
            s.append(claim)
        s.append(self.page.paragraph("These are descriptive figures: they show what happened, not what the "
                                     "programme caused."))
        return self.page.summary(s)

    def _share_sentence(self, here: dict, what: str, force: dict | None = None, short: bool = False,
                        of: str = "listed people") -> Text:
        """``46% of listed people engaged within 90 days of listing (95% interval ...)``; the same words in the
        summary (``short``) and in the section (with the count and the force-wide share)."""
        if not len(self.listed):
            return self.page.say("No one was listed {{ where }} in this period.", where=self.where)
        if here["pct"] is None:
            return self.page.say("Too few people {{ where }} to publish the share of {{ of }} who {{ what }} "
                                 "(fewer than {{ t }} with or without it).", where=self.where, of=of, what=what,
                                 t=self.threshold)
        return self.page.say(
            "{% if not short %}{{ Where }}, {% endif %}{{ p | percent }} of {{ of }} {{ what }} "
            "(95% interval {{ lo | percent }} to {{ hi | percent }}{% if not short %}, of {{ n | count }}{% endif %})"
            "{% if force and force.pct is not none %}, against {{ force.pct | percent }} ({{ force.low | percent }} "
            "to {{ force.high | percent }}) across the force{% endif %}.",
            short=short, Where=self.where[0].upper() + self.where[1:], p=here["pct"], lo=here["low"], hi=here["high"],
            n=here["n"], what=what, of=of, force=force if (force and self.district_id) else None)

    def list_size(self) -> Section:
        """The "Monthly list" section: people meeting the criteria and listed each month (or quarter).

        The chart is drawn from the published (rounded) counts; when every count is withheld there is no
        chart, only the sentence.

        Returns
        -------
        Section
            A sentence and the line chart (the counts themselves are in the workbook).
        """
        t, per, exact = self.list_sizes
        n_crit = len(self.ds.programme.criteria)
        sizes = pd.DataFrame({"month": exact._period, "eligible": t.values.eligible, "listed": t.values.listed})
        drawable = bool(sizes[["eligible", "listed"]].fillna(0).to_numpy().sum())
        text = self.page.say(
            "Each month police data are screened against the {{ k | word }} criteria; people in a live district who "
            "meet all {{ k | word }} are listed.{% if per == 'quarter' %} Counts here are of people per quarter: "
            "monthly counts in this area are mostly too small to publish.{% endif %}{% if not drawable %} Even "
            "these counts are too small to publish, so there is no chart.{% endif %} The counts are in the "
            "workbook.", k=n_crit, per=per, drawable=drawable)
        if not drawable:  # every count withheld: an empty chart would say nothing
            return Section("Monthly list", (text,))
        ax = list_size_plot(sizes, self.go_live, title=f"People meeting the criteria and listed each {per}: {self.name}",
                            eligible_label=f"Met all {n_crit} criteria")
        fig = self.page.figure(ax, f"Line chart of the number of people meeting all {n_crit} criteria and the number "
                                   f"listed each {per} in {self.name}, {_month(self.start)} to {_month(self.end)}, "
                                   "as published (rounded; withheld counts left as gaps).", data=t)
        return Section("Monthly list", (text, fig))

    def who_was_listed(self) -> Section:
        """The "Who was listed" section: the characteristics table.

        Returns
        -------
        Section
            The published `who_was_listed` table.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> section = DistrictReport(open_snapshot(), "SOU").who_was_listed()
        >>> section.heading, list(section.items[0].display().columns)
        ('Who was listed', ['Characteristic', 'Group', 'People', 'Percent of listed people'])
        """
        return Section("Who was listed", (self.table_one,))

    def risk_assessment(self) -> Section | None:
        """The "Risk assessment" section: risk-tool scores of listed people.

        Returns
        -------
        Section or None
            A sentence with the number assessed as a priority, the bar chart of score bands (left out when
            every band is withheld) and the `ppit_bands` table; None for a programme without a risk tool.
        """
        prog = self.ds.programme
        if not prog.has_risk_tool:
            return None
        t = self.ppit
        fig = None
        if t.values.n.fillna(0).sum() > 0:  # no chart when every band is withheld
            ax = ppit_histogram(t.values.assign(priority=t.values.priority == "yes"), prog.ppit_threshold,
                                title=f"{prog.ppit_name} total scores: {self.name}")
            fig = self.page.figure(ax, f"Bar chart of the number of listed people in bands of {prog.ppit_name} total "
                                       f"from 0 to {prog.ppit_max}, as published; totals at or above "
                                       f"{prog.ppit_threshold} mark a priority perpetrator.", data=t)
        pri = self.listed.ppit_priority
        text = self.page.say(
            "Practitioners score listed people on the {{ tool }} ({{ items | word }} items, total 0 to {{ top }}; "
            "{{ thr }} or more marks a priority perpetrator). Of the people listed {{ where }}, {{ k | count }} were "
            "assessed as a priority.", tool=prog.ppit_name, items=len(prog.ppit_items), top=prog.ppit_max, thr=prog.ppit_threshold,
            k=int((pri == True).sum()), where=self.where)  # noqa: E712
        return Section("Risk assessment", tuple(i for i in (text, fig, t) if i is not None))

    def funnel(self) -> Section:
        """The "Engagement funnel" section: listing to completed service, with its chart.

        Stages are nested ([`funnel`][foundation_eval.models.engagement.funnel]): a person counts at a
        stage only if they reached every stage above it. Shares carry Wilson 95% intervals and are
        withheld when the people reaching, or not reaching, a stage number 1 to threshold - 1.

        Returns
        -------
        Section
            An explanation, the bar chart and the published `funnel` table.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> section = DistrictReport(open_snapshot(), "SOU").funnel()
        >>> section.heading, [type(item).__name__ for item in section.items]
        ('Engagement funnel', ['Text', 'Figure', 'Table'])
        >>> list(section.items[2].display().columns)[1:3]
        ['People', 'Percent of listed people']
        """
        t = self.funnel_table
        ax = funnel_plot(t.values, title=f"From listing to completed service: {self.name}")
        fig = self.page.figure(ax, "Bar chart of the percentage of listed people reaching each stage, from assessment "
                                   "or contact to a completed service, with 95% intervals, as published.", data=t)
        text = self.page.paragraph(
            "People who reached each stage after their first listing. The stages are nested: a person counts as "
            "engaged here only if also contacted (and assessed, where the programme has a risk tool), at any time "
            "after listing. The headline engagement figure of this report is different: engaged within the "
            "engagement window, whatever came before (see Engagement).")
        return Section("Engagement funnel", (text, fig, t))

    def engagement(self) -> Section:
        """The "Engagement" section: engaged within the window of listing, here against the force.

        The share engaged within the window (Wilson 95% interval) here and across the force, the
        `engagement_by_team` table (police alone against with practitioners), the comparison of the two
        teams (see
        [`practitioner_comparison`][foundation_eval.reporting.district_report.DistrictReport.practitioner_comparison]),
        the registered force-wide estimate where it exists, and Kaplan-Meier curves of time to first
        engagement by team, stopped where fewer than the threshold remain at risk.

        Returns
        -------
        Section
            Sentences, the table and the figure.
        """
        what = f"engaged within {self.window} days of listing"
        items = [self._share_sentence(self.engaged["here"], what, self.engaged["force"])]
        f = self._here(self.engagement_frame)
        rows = []
        for team in TEAMS:
            g = f[f.team == team]
            if len(g):
                sh = self.page.share(int(g.engaged_within.sum()), len(g))
                rows.append({"team": team, "people": len(g), "engaged": int(g.engaged_within.sum()),
                             "percent": sh["pct"], "ci_low": sh["low"], "ci_high": sh["high"]})
        if rows:
            frame = pd.DataFrame(rows)
            hide = {c: frame.percent.isna().tolist() for c in _PCT}
            for c in _PCT:
                frame[c] = _whole(frame[c])
            items.append(self.page.table(
                "engagement_by_team", frame, title=f"Listed people engaged within {self.window} days of listing, by "
                f"team at listing: {self.name}", counts={"people": list(_PCT), "engaged": list(_PCT)}, hide=hide,
                kinds={c: "percent" for c in _PCT},
                headings={"team": "Team when the person was listed", "people": "People listed",
                          "engaged": f"Engaged within {self.window} days", "percent": "Percent engaged",
                          "ci_low": "95% interval from", "ci_high": "95% interval to"},
                notes=("Wilson 95% intervals. A share is not published when fewer than the threshold engaged or "
                       "did not engage.",)))
        items.append(self._practitioner_text())
        e = self.page.estimate("engagement_rd_practitioner")
        if e.available and self.district_id is not None:
            items.append(self.page.say(
                "Across the force over the whole study period, the evaluation's estimate of this difference "
                "(practitioners on the team against police alone) is {{ e | estimate }}; it is the figure every "
                "report and the results file give.", e=e))
        fig = self._engagement_figure(f)
        if fig is not None:
            items.append(fig)
        return Section("Engagement", tuple(items))

    def _practitioner_text(self) -> Text:
        c = self.practitioner_comparison
        claim = self.practitioner_claim()
        if claim is not None:
            return Text(claim.markup + self.page.paragraph(
                "They were also listed later, so part of the difference may come from other changes over time.").markup)
        if self.district_id and c["people"]["police alone"] == 0:
            return self.page.paragraph(
                f"Practitioners were on the team for every listing in {self.name} in this period, so the area has "
                "no police-alone group to compare with.")
        if self.district_id and c["people"]["with practitioners"] == 0:
            return self.page.paragraph(f"Practitioners had not joined the team in {self.name} by the end of this "
                                       "period, so there is no comparison between teams here.")
        if c["estimate"] is not None:
            if not c["exists"]:
                return self.page.say("The evaluation's estimate of the difference between teams is not available: "
                                     "{{ why }}", why=c["estimate"].reason)
            return self.page.say(
                "The evaluation's estimate of the difference between people listed after practitioners joined and "
                "people listed while police worked alone is {{ e | estimate }}, an interval that includes no "
                "difference.", e=c["estimate"])
        if not c["exists"]:
            return self.page.paragraph("In one of the two teams too few people engaged, or did not engage, to publish "
                                       "its share, so the teams are not compared here.")
        return self.page.say(
            "People listed after practitioners joined and people listed while police worked alone engaged at rates "
            "these data cannot tell apart: a difference of {{ d | points }} percentage points (95% interval "
            "{{ lo | points }} to {{ hi | points }}), which includes no difference.", d=c["difference"], lo=c["low"],
            hi=c["high"])

    def _curves(self, groups, scale: float, xlabel: str, ylabel: str, xlim: float, title: str):
        """Kaplan-Meier cumulative incidence with 95% bands, each curve drawn only from the steps that pass the
        page's chart gate (`foundation_eval.reporting.disclosure.curve_steps`: steps of at least the threshold of
        events among at least the threshold at risk, from published counts); `(axes, drawn curves)`, the axes None
        when no curve has a step to draw."""
        from foundation_eval.models.reoffending import kaplan_meier

        def table(durations, events, label):
            km = kaplan_meier(np.asarray(durations, float) / scale, np.asarray(events, int), label=label)
            return curve_steps(km.table(), self.page.rule, label=label)

        ax, drawn = None, []
        for group, colour in zip(groups, PALETTE, strict=False):
            label, durations, events = group[:3]
            if len(durations) < self.threshold:
                continue
            if len(group) > 3:  # the force's curve, the same on every page of the render
                steps = self._force(("curve", group[3], scale),
                                    lambda d=durations, e=events, lab=label: table(d, e, lab))
            else:
                steps = table(durations, events, label)
            if not steps.drawn:
                continue
            ax = new_axes() if ax is None else ax
            steps.plot(ax, color=colour)
            drawn.append(steps)
        if ax is None:
            return None, drawn
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_xlim(0, xlim)
        ax.set_ylim(bottom=0)
        ax.legend(loc="lower right")
        ax.set_title(title)
        return ax, drawn

    def _engagement_figure(self, f: pd.DataFrame):
        groups = [(team, g.days, g.event) for team, g in f.groupby("team", sort=True)]
        ax, drawn = self._curves(groups, 1.0, "Days since first listing", "Percent engaged", self.window * 2,
                                 f"Time to first engagement by team at listing: {self.name}")
        if ax is None:
            return None
        ax.axvline(self.window, color="grey", ls="--", lw=1)
        return self.page.figure(ax, f"Kaplan-Meier curves of the cumulative percentage of listed people engaged by "
                                    f"days since first listing, by team at listing, in {self.name}, with 95% "
                                    f"intervals, in steps of at least {self.threshold} people; the dashed line marks "
                                    f"day {self.window}; curves stop where fewer than {self.threshold} people remain.",
                                data=drawn)

    def _stage_table(self, name: str, refs: pd.DataFrame, by: str, heading: str, title: str, notes=()):
        """Referrals reaching each stage by ``by`` (``foundation_eval.models.referrals.stage_table``), with
        the share started and the share of starts completed (accepted and dropped referrals are left out so
        that the table fits a printed page)."""
        st = stage_table(refs, by=by)
        st = st[st[by] != "All"].copy()  # a total row would reveal a single withheld row
        st[by] = st[by].astype(str).str.replace("_", " ")
        hide = {}
        for (k, n), cols in ((("started", "referred"), ("start_pct", "start_low", "start_high")),
                             (("completed", "started"), ("complete_pct",))):
            mask = [b > 0 and self.page.share(int(a), int(b))["pct"] is None for a, b in zip(st[k], st[n], strict=True)]
            for c in cols:
                hide[c] = mask
                st[c] = _whole(st[c]).to_numpy()
        st = st[[by, "referred", "started", "completed", "start_pct", "start_low", "start_high", "complete_pct"]]
        return self.page.table(
            name, st, title=title, hide=hide,
            counts={"referred": ["start_pct", "start_low", "start_high"],
                    "started": ["start_pct", "start_low", "start_high", "complete_pct"],
                    "completed": ["complete_pct"]},
            kinds={c: "percent" for c in ("start_pct", "start_low", "start_high", "complete_pct")},
            headings={by: heading, "referred": "Referrals", "started": "Started", "completed": "Completed",
                      "start_pct": "Percent started", "start_low": "95% interval from", "start_high": "95% interval to",
                      "complete_pct": "Percent of starts completed"},
            notes=("Counts of referrals (a person may have several) made on or after the first listing. Wilson 95% "
                   "interval of the percentage started.", *notes))

    def referrals(self) -> Section:
        """The "Referrals" section: people who started (and completed) a referred service, and referrals
        by pathway.

        Returns
        -------
        Section
            The shares who started and completed a referred service after listing (Wilson 95% intervals),
            the `referrals_by_pathway` table and one table for each coded referral column of the
            programme; a sentence instead when no referral was recorded.
        """
        items = [self._share_sentence(self.started["here"], "started a referred service after listing",
                                      self.started["force"])]
        if self.completed["here"]["pct"] is not None:
            items.append(self._share_sentence(self.completed["here"], "completed a referred service after listing",
                                              self.completed["force"]))
        refs = self._here(self.referrals_frame)
        if len(refs):
            items.append(self.page.paragraph("The table counts referrals by reducing-reoffending pathway."))
            items.append(self._stage_table("referrals_by_pathway", refs, "pathway", "Pathway",
                                           f"Referrals by pathway: {self.name}"))
            for col in self.ds.programme.columns_for("referrals"):
                if col.values is None or col.name not in refs:
                    continue
                label = col.name.replace("_", " ")
                items.append(self.page.say("{{ d }}", d=col.description))
                items.append(self._stage_table(
                    f"referrals_by_{col.name}", refs.assign(**{col.name: refs[col.name].fillna("not recorded")}),
                    col.name, label.capitalize(), f"Referrals by {label}: {self.name}"))
        else:
            items.append(self.page.say("No referrals were recorded for listed people {{ where }}.", where=self.where))
        return Section("Referrals", tuple(items))

    def reoffending(self) -> Section:
        """The "Reoffending" section: further domestic-abuse offences of listed people.

        The share with a further DA offence within 12 months among people observed for the whole window,
        how many were left out and why, Kaplan-Meier curves of time to the first further offence (against
        the whole force for a district), offences per person-year with exact Poisson intervals, and harm
        per person-year (Crime Harm Index days) with a bootstrap interval resampling people (999 draws).

        Returns
        -------
        Section
            Sentences, the figure and the `reoffending_rates` and `reoffending_harm` tables.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> section = DistrictReport(open_snapshot(), "SOU").reoffending()
        >>> [item.name for item in section.items if hasattr(item, "name")]
        ['reoffending_rates', 'reoffending_harm']
        """
        from foundation_eval.models.reoffending import bootstrap_ratio, event_rate

        what = f"committed a further domestic-abuse offence within {OUTCOME_MONTHS} months of listing"
        here_all = self._here(self.reoffending_people)
        w = fixed_window(here_all, OUTCOME_MONTHS, self.ds.extract_date)
        items = [self._share_sentence(self.reoffended["here"], what, self.reoffended["force"],
                                      of=f"listed people observed for {OUTCOME_MONTHS} months")]
        if len(here_all):
            items.append(self.page.say(
                     "{{ m }}-month outcomes: {{ n | count }} listed {{ where }} were observed for the whole window "
                     "and {{ out | count }} were left out ({{ ex | count }} because they exited before the window "
                     "closed, the others because the extract ends too soon).", m=OUTCOME_MONTHS, n=len(w.frame),
                     where=self.where, out=w.n_excluded, ex=w.n_excluded_exit))
        rf = self.reoffending_people
        groups = [(self.name, here_all.time_days, here_all.event)]
        if self.district_id:
            groups.append(("Whole force", rf.time_days, rf.event, "reoffending"))
        ax, drawn = self._curves(groups, 30.4375, "Months since first listing", "Percent with a further DA offence",
                                 36, f"Time to first further domestic-abuse offence: {self.name}")
        if ax is not None:
            items.append(self.page.figure(
                ax, f"Kaplan-Meier curves of the cumulative percentage of listed people with a further domestic-abuse "
                    f"offence by months since first listing, {self.name}"
                    + (" against the whole force" if self.district_id else "")
                    + f", with 95% intervals, in steps of at least {self.threshold} people; curves stop where fewer "
                      f"than {self.threshold} people remain at risk.", data=drawn))
        def rate_row(label, frame):
            row = {"group": label, "people": len(frame), "offences": int(frame.da_count.sum()),
                   "person_years": float(frame.exposure_years.sum()), "rate": None, "ci_low": None, "ci_high": None,
                   "harm": None, "harm_low": None, "harm_high": None, "new_victim": int(frame.new_victim.sum()),
                   "escalated": int(((frame.da_count > 0) & (frame.max_harm_after > frame.max_harm_before)).sum())}
            if len(frame) >= self.threshold and row["person_years"] > 0:
                er = event_rate(row["offences"], row["person_years"])
                harm = bootstrap_ratio(frame.harm_days.to_numpy(), frame.exposure_years.to_numpy(), n_boot=999, seed=1)
                row.update(rate=er.rate, ci_low=er.ci_low, ci_high=er.ci_high, harm=harm.estimate,
                           harm_low=harm.ci_low, harm_high=harm.ci_high)
            return row

        if self.district_id:  # the force's row is the same on every district page: computed once
            rows = [rate_row("This area", here_all), self._force("reoffending row", lambda: rate_row("Whole force", rf))]
        else:
            rows = [rate_row("Whole force", here_all)]
        frame = pd.DataFrame(rows)
        area = {"group": "Area", "people": "People listed"}
        items.append(self.page.table(
            "reoffending_rates", frame[["group", "people", "offences", "person_years", "rate", "ci_low", "ci_high"]],
            title=f"Further domestic-abuse offences of listed people per person-year of follow-up: {self.name}",
            counts={"people": ["person_years", "rate", "ci_low", "ci_high"],
                    "offences": ["person_years", "rate", "ci_low", "ci_high"]}, additive=False,
            kinds={"person_years": "whole", "rate": "decimal2", "ci_low": "decimal2", "ci_high": "decimal2"},
            headings={**area, "offences": "Further DA offences", "person_years": "Person-years of follow-up",
                      "rate": "Offences per person-year", "ci_low": "95% interval from", "ci_high": "95% interval to"},
            notes=("Follow-up runs from the first listing to exit or the extract date. Exact Poisson intervals.",)))
        items.append(self.page.table(
            "reoffending_harm", frame[["group", "people", "harm", "harm_low", "harm_high", "new_victim", "escalated"]],
            title=f"Harm of further domestic-abuse offences, new victims and escalation: {self.name}",
            counts={"people": ["harm", "harm_low", "harm_high"], "new_victim": [], "escalated": []}, additive=False,
            kinds={"harm": "whole", "harm_low": "whole", "harm_high": "whole"},
            headings={**area, "harm": "Harm per person-year (Crime Harm Index days)", "harm_low": "95% interval from",
                      "harm_high": "95% interval to", "new_victim": "People offending against a new victim",
                      "escalated": "People whose worst offence after listing was more harmful than before"},
            notes=("Harm per person-year carries a bootstrap interval resampling people (999 draws).",)))
        items.append(self.page.paragraph(
            "These figures describe listed people; they are not a comparison with people who were not listed, so "
            "they do not show what the programme caused. The evaluation report estimates that."))
        return Section("Reoffending", tuple(items))

    def methods(self) -> Section:
        """The "Methods" section: who is counted, the programme's criteria and each headline definition.

        Returns
        -------
        Section
            Sentences and the list of criteria.
        """
        prog = self.ds.programme
        return Section("Methods", (
            self.page.say("People are counted once, from their first listing (the index date). The {{ k | word }} "
                          "criteria are:", k=len(prog.criteria)),
            self.page.bullets([label for _, label in prog.criteria]),
            self.page.say(
                "Engaged within {{ w }} days of listing means at least one contact recorded as engaged on or after "
                "the index date and no more than {{ w }} days after it, among all listed people; the same figure "
                "is used in the summary and the Engagement section. Started a referred service means a referral "
                "made on or after the index date was started. Percentages carry Wilson (1927) score intervals and "
                "differences of two percentages Newcombe's (1998) interval.", w=self.window)))

    def disclosure(self) -> Section:
        """The "Disclosure control" section: the rule applied, in plain English.

        Returns
        -------
        Section
            The page's statement of its disclosure rule.
        """
        return self.page.disclosure()

    def provenance(self) -> Section:
        """The "Provenance" section: programme, input data hash, library version, parameters and date.

        Returns
        -------
        Section
            A two-column table.
        """
        return self.page.provenance()

    def sections(self) -> list:
        """Every part of the report in reading order.

        Returns
        -------
        list
            The header and summary (`Text`), then each `Section`; the risk-assessment section only for a
            programme with a risk tool.
        """
        parts = [self.header(), self.summary(), self.list_size(), self.who_was_listed(), self.risk_assessment(),
                 self.funnel(), self.engagement(), self.referrals(), self.reoffending(), self.methods(),
                 self.disclosure(), self.provenance()]
        return [p for p in parts if p is not None]

    def html(self) -> str:
        """The whole report as HTML (what the notebook shows, section by section).

        Returns
        -------
        str
            The HTML of every part of [`sections`][foundation_eval.reporting.district_report.DistrictReport.sections],
            concatenated.
        """
        return "".join(p.html() for p in self.sections())
