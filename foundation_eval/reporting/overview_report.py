"""Content of the force overview for the Police and Crime Commissioner.

All districts side by side on funnel plots (Spiegelhalter 2005, Statistics in Medicine 24:1185-1202)
rather than league tables, the measures mapped to the five commissioning outcomes, the four pillars of
risk management plans, the headline estimates of the render (with their design and Maryland Scientific
Methods Scale level), the methods, the disclosure rule and provenance.

Everything is published through one [`Page`][foundation_eval.reporting.publication.Page]
(`report.page`): tables and counts pass its disclosure rule (counts rounded, 1 to threshold - 1
withheld), sentences are Jinja2 templates whose numbers go through its filters, and headline estimates
are the render snapshot's registered values
([`Page.estimate`][foundation_eval.reporting.publication.Page.estimate]), never refitted here. Each
headline measure has one definition, computed once
([`OverviewReport.shares`][foundation_eval.reporting.overview_report.OverviewReport.shares]) and used by
the summary, the funnel plots and the commissioning-outcomes table alike. The notebook
`notebooks/force_overview.ipynb` shows each section in turn.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

from foundation_eval.evaluation.registry import REGISTRY, estimands_for
from foundation_eval.frames.cohort import person_frame, select
from foundation_eval.frames.outcomes import fixed_window, offence_frame, reoffending_frame
from foundation_eval.models.engagement import add_phase, first_engagement_frame, person_engagement
from foundation_eval.models.funnel_plot import DEFAULT_LEVELS, FunnelPlotResult, funnel_plot, level_label
from foundation_eval.models.referrals import referral_frame
from foundation_eval.models.reoffending import bootstrap_ratio, event_rate
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting.disclosure import SUPPRESSED, hidden_mask, protect_units
from foundation_eval.reporting.figures import PALETTE, new_axes
from foundation_eval.reporting.publication import Page, Section, Table, Text
from foundation_eval.stats import wilson_interval

__all__ = ["OverviewReport", "EstimatesTable", "COMMISSIONING_OUTCOMES", "RMP_PILLARS", "MEASURES"]

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
"""The four pillars of a risk management plan: column of the `rmps` table and the label the page prints."""
HEALTH_PATHWAYS = ("health", "drugs_alcohol")
"""Referral pathways counted under the health-and-wellbeing outcome (where the programme has them)."""
MEASURES = ("engagement", "referral", "reoffending")
"""The funnel measures, in page order (each defined once in `OverviewReport.measures`)."""
BOOTSTRAP_RESAMPLES = 1000
"""Bootstrap resamples of people behind the interval of harm per person-year."""
_SIDES = {"above": "above", "below": "below"}


def _join(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]




@dataclass(frozen=True)
class Measure:
    """One headline measure of the overview, defined once and worded the same everywhere.

    Attributes
    ----------
    key : str
        One of [`MEASURES`][foundation_eval.reporting.overview_report.MEASURES].
    title : str
        The measure as a heading ("Engaged within 90 days of listing").
    did : str
        What the people did, to follow "people who".
    base : str
        Who the share is of ("listed people followed for a full year").
    needs : str or None
        The optional input table the measure rests on; the measure is left out when it is absent.
    """

    key: str
    title: str
    did: str  # what the people did, after "people who"
    base: str  # who they are
    needs: str | None  # the optional table it rests on


@dataclass(frozen=True)
class FunnelView:
    """A funnel plot as published.

    Attributes
    ----------
    measure : Measure
        The measure plotted.
    result : FunnelPlotResult or None
        The full result on exact counts (not for publication).
    drawn : FunnelPlotResult or None
        The districts that may be drawn, at their published (rounded) numbers of people.
    table : Table or None
        The published table of the plot.
    why : str
        Why there is no plot (empty when there is one).
    """

    measure: Measure
    result: FunnelPlotResult | None = None
    drawn: FunnelPlotResult | None = None
    table: Table | None = None
    why: str = ""

    @property
    def withheld(self) -> list[str]:
        """Names of the districts left off the plot to protect small numbers."""
        return list(self.drawn.withheld) if self.drawn is not None else []


@dataclass(frozen=True, eq=False)
class EstimatesTable(Table):
    """A table of registered estimates, as the overview's headline and alternative tables publish them.

    The page shows four columns (what is estimated, estimate with its 95% interval, design, Maryland
    level); the workbook holds the numbers (estimate and limits in the unit's display scale, e.g.
    percentage points or offences per 100 person-months). An estimate resting on fewer people than the
    disclosure threshold is withheld.

    Attributes
    ----------
    name, title, values, suppressed, kinds, headings, notes, counts
        As for [`Table`][foundation_eval.reporting.publication.Table]; `values` has the columns `label`,
        `estimate`, `ci_low`, `ci_high`, `unit`, `design` and `level`.
    views : tuple of EstimateView
        The [`EstimateView`][foundation_eval.reporting.publication.EstimateView] of each row, in row
        order, so that each estimate on the page carries its `data-estimand` mark.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> section = OverviewReport(open_snapshot()).estimates()
    >>> table = next(item for item in section.items if isinstance(item, EstimatesTable))
    >>> table.name, list(table.values.columns)
    ('headline_estimates', ['label', 'estimate', 'ci_low', 'ci_high', 'unit', 'design', 'level'])
    >>> table.views[0].name, "data-estimand='did_att_da_rate'" in table.html()
    ('did_att_da_rate', True)
    """

    views: tuple = ()

    def html(self) -> str:
        """The table as the page shows it.

        Returns
        -------
        str
            An HTML table of four columns, each estimate a marked `data-estimand` span, with its notes.
        """
        head = "".join(f"<th scope='col'>{h}</th>" for h in ("What is estimated", "Estimate (95% interval)",
                                                              "Design", "Maryland level"))
        rows = []
        for (_, r), v, supp in zip(self.values.iterrows(), self.views, self.suppressed.estimate, strict=True):
            est = SUPPRESSED if supp else v.html()
            rows.append(f"<tr><td>{html.escape(str(r.label))}</td><td>{est}</td><td>{html.escape(str(r.design))}</td>"
                        f"<td>{html.escape(str(r.level))}</td></tr>")
        notes = list(self.notes)
        if self.suppressed.to_numpy().any():
            notes.append(f"{SUPPRESSED}: not published under the disclosure rule (see Disclosure control).")
        foot = "".join(f"<p class='fe-note'>{html.escape(n)}</p>" for n in notes)
        return (f"<table class='fe-table' data-table='{html.escape(self.name)}'><caption>{html.escape(self.title)}"
                f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{foot}")


class OverviewReport:
    """All content of the force overview, published through ``self.page``.

    Parameters
    ----------
    snap : Snapshot
        The render's snapshot ([`open_snapshot`][foundation_eval.evaluation.snapshot.open_snapshot]): the dataset with
        its reduced tables and the registered estimates.
    start, end : str, optional
        First and last month (YYYY-MM) of first listings to include; default the study period. Headline
        estimates use the whole extract whatever the period.
    parameters : dict, optional
        Extra parameters for the provenance block (e.g. the data folder's name).

    Attributes
    ----------
    page : Page
        Everything the report publishes; `report.page.write_workbook(path)` writes its tables.
    area : str
        The force's name (or the programme's, when it names no force).
    start, end : str
        First and last month of first listings covered (YYYY-MM).
    window : int
        The programme's engagement window in days.
    districts : DataFrame
        The programme's districts in order of go-live (`district_id`, `name`, `go_live`).
    measures : dict
        Each of [`MEASURES`][foundation_eval.reporting.overview_report.MEASURES] to its
        [`Measure`][foundation_eval.reporting.overview_report.Measure]: one definition and one wording.

    Examples
    --------
    On the built-in synthetic force:

    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> report = OverviewReport(open_snapshot())
    >>> report.subtitle
    'Hampshire and Isle of Wight Constabulary, people first listed 2019-01 to 2024-12.'
    >>> [getattr(part, "heading", "") for part in report.sections()]
    ['', '', 'How to read a funnel plot', 'Engaged within 90 days of listing',
     'Started a referred service within 12 months', 'Further domestic-abuse offence within 12 months',
     'Commissioning outcomes', 'Risk management plans: the four pillars', 'Headline estimates', 'Methods',
     'Disclosure control', 'Provenance']
    >>> [t.name for t in report.page.tables][:3]
    ['funnel_engagement', 'funnel_referral', 'funnel_reoffending']
    """

    def __init__(self, snap, start: str | None = None, end: str | None = None, parameters: dict | None = None):
        prog = snap.programme
        self.snap = snap
        self.programme = prog
        self.absent = snap.dataset.absent
        self.ds = snap.dataset
        self.start = start or str(prog.study_start)
        self.end = end or str(prog.study_end)
        self.window = int(prog.engagement_window_days)
        self.area = prog.force or prog.name
        self.page = Page(snap, "force overview", kind="For the Police and Crime Commissioner",
                         parameters={"programme": prog.id, "period_start": self.start, "period_end": self.end,
                                     **(parameters or {})})
        order = sorted(prog.districts, key=lambda d: (d.go_live, d.name))
        self.districts = pd.DataFrame({"district_id": [d.id for d in order], "name": [d.name for d in order],
                                       "go_live": [str(d.go_live) for d in order]})
        self.measures = {
            "engagement": Measure("engagement", f"Engaged within {self.window} days of listing",
                                  f"engaged within {self.window} days of listing", "listed people", "contacts"),
            "referral": Measure("referral", "Started a referred service within 12 months",
                                "started a referred service within 12 months of listing",
                                "listed people followed for a full year", "referrals"),
            "reoffending": Measure("reoffending", "Further domestic-abuse offence within 12 months",
                                   "were recorded for a further domestic-abuse offence within 12 months of listing",
                                   "listed people followed for a full year", None),
        }

    # ------------------------------------------------------------------ frames (library)
    @cached_property
    def persons(self) -> pd.DataFrame:
        """Eligible people first listed or eligible in the period, all districts (``frames.cohort.person_frame``,
        read from the reduced tables)."""
        return add_phase(self.ds, select(person_frame(self.ds), None, self.start, self.end))

    @cached_property
    def listed(self) -> pd.DataFrame:
        """People put on the programme list in the period, one row each (exact, unpublished)."""
        return self.persons[self.persons.listed]

    @cached_property
    def engaged_in_window(self) -> pd.DataFrame:
        """Listed people with ``engaged``: a first engaged contact within the engagement window."""
        f = first_engagement_frame(self.ds, self.persons)
        f["engaged"] = (f.event == 1) & (f.days <= self.window)
        return f

    @cached_property
    def reoffending(self) -> pd.DataFrame:
        """``frames.outcomes.reoffending_frame`` of the listed people (read from the reduced tables)."""
        return reoffending_frame(self.ds, self.listed)

    @cached_property
    def referrals(self) -> pd.DataFrame:
        """Referrals of listed people made on or after their index date
        ([`referral_frame`][foundation_eval.models.referrals.referral_frame])."""
        return referral_frame(self.ds, self.listed)

    @cached_property
    def year(self) -> pd.DataFrame:
        """Listed people observed for a whole year, with ``outcome`` (a further DA offence), ``started_12m``
        (a referred service started) and ``new_victim_12m`` (a DA offence against a new victim), all within
        12 months of listing."""
        w = fixed_window(self.reoffending, 12, self.ds.extract_date).frame.copy()
        close = w.set_index("person_id").index_date + pd.DateOffset(months=12)
        refs = self.referrals
        st = refs[refs.started.astype(bool) & (refs.started_date < refs.person_id.map(close))]
        w["started_12m"] = w.person_id.isin(st.person_id)
        off = offence_frame(self.ds, self.listed)
        nv = off[off.da_flag.astype(bool) & off.new_victim & off.observed
                 & (off.offence_date <= off.person_id.map(close))]
        w["new_victim_12m"] = w.person_id.isin(nv.person_id)
        return w

    @cached_property
    def plans(self) -> pd.DataFrame:
        """Risk management plans of listed people agreed on or after their first listing."""
        rmp = self.ds.rmps.merge(self.listed[["person_id", "index_date", "district_id"]], on="person_id")
        return rmp[rmp.rmp_date >= rmp.index_date].reset_index(drop=True)

    def _frame(self, key: str) -> tuple[pd.DataFrame, str]:
        return {"engagement": (self.engaged_in_window, "engaged"), "referral": (self.year, "started_12m"),
                "reoffending": (self.year, "outcome")}[key]

    # ------------------------------------------------------------------ the headline measures, once
    @cached_property
    def shares(self) -> dict:
        """Force-wide share of each measure, or None when the table it rests on is absent.

        Each share is [`Page.share`][foundation_eval.reporting.publication.Page.share]: `k` and `n` as
        published (rounded), `pct`, `low` and `high` in percent with a Wilson 95% interval, all None when
        withheld on small groups. The same value is the force average of the measure's funnel plot.
        """
        out = {}
        for key, m in self.measures.items():
            if m.needs in self.absent:
                out[key] = None
                continue
            frame, flag = self._frame(key)
            out[key] = self.page.share(int(frame[flag].sum()), len(frame))
        return out

    # ------------------------------------------------------------------ funnels
    def _by_district(self, frame: pd.DataFrame, flag: str) -> pd.DataFrame:
        g = frame.groupby("district_id")[flag].agg(["sum", "size"])
        d = self.districts.set_index("district_id").join(g).fillna({"sum": 0, "size": 0})
        d = d[d["size"] > 0]
        return d.reset_index().rename(columns={"sum": "k", "size": "n"})

    @cached_property
    def funnels(self) -> dict[str, FunnelView]:
        """Each measure to its [`FunnelView`][foundation_eval.reporting.overview_report.FunnelView]: the
        funnel plot of the districts (Spiegelhalter 2005; limits widened for over-dispersion when the test
        finds it) and its published table."""
        return {key: self._funnel(key) for key in MEASURES}

    def _funnel(self, key: str) -> FunnelView:
        m = self.measures[key]
        if m.needs in self.absent:
            return FunnelView(m, why=f"Not shown: the extract has no {m.needs} table.")
        frame, flag = self._frame(key)
        d = self._by_district(frame, flag)
        if len(d) < 2 or d.k.sum() == 0 or d.k.sum() == d.n.sum():
            return FunnelView(m, why="Not shown: too few districts or people with and without the outcome to draw "
                                     "this funnel plot.")
        res = funnel_plot(d.name.tolist(), d.k.astype(int), d.n.astype(int), overdispersion="auto", measure=m.did)
        prot, shown = protect_units(res, self.page.threshold)
        hidden = prot.suppressed.n.to_numpy(bool)
        plain = {f"{side} {level_label(lev)}%": f"{_SIDES[side]} the {level_label(lev)}% limit"
                 for side in _SIDES for lev in res.levels}
        plain[f"within {level_label(min(res.levels))}%"] = "inside the limits"
        rows = pd.DataFrame({"unit": d.name.to_numpy(), "go_live": d.go_live.to_numpy(), "n": d.n.to_numpy(int),
                             "k": d.k.to_numpy(int), "percent": 100 * res.units.value.to_numpy(),
                             "position": res.units.position.map(plain).to_numpy()})
        table = self.page.table(
            f"funnel_{key}", rows, title=f"{m.title}, by district", counts={"n": ["percent"], "k": ["percent"]},
            kinds={"percent": "percent"}, additive=False, hide={c: hidden for c in ("n", "k", "percent", "position")},
            headings={"unit": "District", "go_live": "Went live", "n": "People", "k": "With the outcome",
                      "percent": "Percent", "position": "Against the limits"},
            notes=(f"People: {m.base}. With the outcome: people who {m.did}.",
                   "Position against the 95% and 99.8% control limits is worked out from the exact counts."))
        # drawn from published values: shown districts at their published (rounded) number of people
        pub_n = table.values.n.to_numpy(float)
        units = res.units[~hidden].assign(n=pub_n[~hidden])
        drawn = replace(shown, units=units.reset_index(drop=True), withheld=tuple(res.units.unit[hidden]))
        return FunnelView(m, res, drawn, table)

    def _funnel_sentence(self) -> Text:
        parts, clean, withheld, drawn = [], [], False, 0
        for view in self.funnels.values():
            if view.drawn is None or not len(view.drawn.units):
                continue
            drawn += 1
            withheld |= bool(view.withheld)
            above, below = view.drawn.outside(side="above"), view.drawn.outside(side="below")
            bits = ([f"{_join(above)} above"] if above else []) + ([f"{_join(below)} below"] if below else [])
            if bits:
                parts.append(f"{' and '.join(bits)} the {level_label(max(view.drawn.levels))}% limits for people who "
                             f"{view.measure.did}")
            else:
                clean.append(view.measure.title.lower())
        if not drawn:
            return self.page.say("No district could be placed on a funnel plot: the numbers in each district are "
                                 "too small to publish.")
        every = "every district shown" if withheld else "every district"
        if not parts:
            return self.page.say(
                "On the funnel plots {{ every }} lies within the {{ top }}% control limits for {{ which }}, so the "
                "differences between districts are no larger than chance alone would often produce"
                "{% if withheld %} (smaller districts are left off to protect small numbers){% endif %}.",
                every=every, top=level_label(max(DEFAULT_LEVELS)), withheld=withheld,
                which={3: "all three measures", 2: "both measures"}.get(
                    drawn, f"the one measure with districts shown ({clean[0] if clean else ''})"))
        return self.page.say(
            "On the funnel plots, {{ parts }}{% if clean %}; {{ every }} lies within the limits for {{ clean }}"
            "{% endif %}: differences that large are unlikely to be chance alone and are worth looking into.",
            parts="; ".join(parts), clean=_join(clean) if clean else "", every=every)

    # ------------------------------------------------------------------ sections
    @property
    def subtitle(self) -> str:
        """The force and the period of first listings, as printed under the title."""
        return f"{self.area}, people first listed {self.start} to {self.end}."

    def header(self) -> Text:
        """Title, subtitle and the synthetic-data flag.

        Returns
        -------
        Text
            The page heading (with the report stylesheet for JupyterLab).
        """
        return self.page.header(self.subtitle)

    def summary_sentences(self) -> list[Text]:
        """The executive summary: three to six sentences made from the results.

        The verdict of the pre-specified primary analysis first, then the number listed and the share
        engaged, the 12-month referral and reoffending shares, what the funnel plots show, and the
        supporting reoffending design with its Maryland level. A claim is worded only as strongly as its
        interval allows.

        Returns
        -------
        list of Text
            At most six sentences.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> sentences = OverviewReport(open_snapshot()).summary_sentences()
        >>> print(sentences[0].plain)
        Did it work? Primary analysis: ... The pre-specified primary analysis (DA offences per 100
        eligible person-months, ...) gives ... (Maryland Scientific Methods Scale level 4); the
        pilot-versus-rollout report gives the supporting designs.
        >>> print(sentences[1].plain)
        Between 2019-01 and 2024-12, ... people were put on the programme list across 14 districts; ...
        """
        p = self.page
        s = [self._primary_sentence()]
        n_listed, d_live = len(self.listed), int(self.listed.district_id.nunique())
        eng = self.shares["engagement"]
        s.append(p.say(
            "Between {{ start }} and {{ end }}, {{ n | count }} were put on the programme list across {{ d | word }} "
            "{{ d | plural('district') }}{% if eng is none %}; contacts are not recorded in this extract, so "
            "engagement is not reported.{% elif eng.pct is none %}; too few engaged, or too few did not, to publish "
            "the share who {{ did }}.{% else %}; {{ eng.pct | percent }} of them {{ did }} (95% interval "
            "{{ eng.low | percent }} to {{ eng.high | percent }}).{% endif %}",
            start=self.start, end=self.end, n=n_listed, d=d_live, eng=eng, did=self.measures["engagement"].did))
        st, re_ = self.shares["referral"], self.shares["reoffending"]
        if re_["pct"] is None:
            s.append(p.say("Too few listed people have been followed for a full year to publish referral and "
                           "reoffending shares."))
        else:
            s.append(p.say(
                "Of the {{ n | count('listed people') }} followed for a full year, {% if st and st.pct is not none %}"
                "{{ st.pct | percent }} started a referred service within 12 months (95% interval {{ st.low | percent }}"
                " to {{ st.high | percent }}) and {% endif %}{{ re.pct | percent }} were recorded for a further "
                "domestic-abuse offence within 12 months (95% interval {{ re.low | percent }} to "
                "{{ re.high | percent }}){% if st is none %}; referrals are not recorded in this extract{% endif %}.",
                n=len(self.year), st=st, re=re_))
        s.append(self._funnel_sentence())
        s.append(self._reoffending_sentence())
        return s[:6]

    def _primary_sentence(self) -> Text:
        """The pre-specified primary analysis first, in the verdict's fixed vocabulary."""
        from foundation_eval.evaluation.verdict import FINDINGS

        plan = self.programme.evaluation
        e = self.page.estimate(plan.primary)
        if not e.available:
            return self.page.say("<strong>Did it work?</strong> The pre-specified primary analysis ({{ outcome }}) "
                                 "could not be estimated on this extract: {{ reason }}", outcome=plan.outcome,
                                 reason=self._why(e))
        finding = FINDINGS[{-1: 0, 0: 1, 1: 2}[e.direction()]]
        return self.page.say(
            "<strong>Did it work? Primary analysis: {{ finding }}.</strong> The pre-specified primary analysis "
            "({{ outcome }}, {{ window }}) gives {{ e | estimate }}{% if level %} (Maryland Scientific Methods Scale "
            "level {{ level }}){% endif %}; the pilot-versus-rollout report gives the supporting designs.",
            finding=finding, outcome=plan.outcome, window=plan.window, e=e, level=e.sms_level)

    def _reoffending_sentence(self) -> Text:
        """A supporting reoffending estimand, labelled as such, with a claim only when its interval supports one."""
        e = self.page.estimate("reoffending_12m_rd_programme")
        if not e.available:
            return self.page.say("The evaluation's estimate of the change in reoffending is not available on this "
                                 "extract: {{ reason }}", reason=self._why(e))
        d = e.direction()
        return self.page.say(
            "Supporting design{% if level %} (Maryland level {{ level }}){% endif %}: "
            "{% if d < 0 %}later cohorts of listed people were recorded less often for a further domestic-abuse "
            "offence within 12 months than earlier cohorts in the same districts{% elif d > 0 %}later cohorts of "
            "listed people were recorded more often for a further domestic-abuse offence within 12 months than "
            "earlier cohorts in the same districts{% else %}no clear change in the share of listed people recorded for "
            "a further domestic-abuse offence within 12 months{% endif %}: {{ e | estimate }}{% if d == 0 %}, an "
            "interval that includes no difference{% endif %}; this may reflect the programme or other changes.",
            e=e, d=d, level=e.sms_level)

    def summary(self) -> Text:
        """The boxed summary at the top of the page.

        Returns
        -------
        Text
            The sentences of [`summary_sentences`][foundation_eval.reporting.overview_report.OverviewReport.summary_sentences]
            in one box.
        """
        return self.page.summary(self.summary_sentences())

    def how_to_read(self) -> Section:
        """Plain-English guide to reading a funnel plot (district count from the programme).

        With 95% and 99.8% limits, about one district in 20 lies between the dashed and solid lines by
        chance alone, and about one in 500 outside the solid lines.

        Returns
        -------
        Section
            "How to read a funnel plot": paragraphs and a list.
        """
        p = self.page
        inner, outer = min(DEFAULT_LEVELS), max(DEFAULT_LEVELS)
        n = len(self.programme.districts)
        one_in = round(1 / (1 - inner))
        expected = n * (1 - inner)
        return Section("How to read a funnel plot", (
            p.paragraph("Each dot is a district. Along the bottom is how many people the district's figure is based "
                        "on; up the side is the percentage. The straight line is the average for the whole force. "
                        "The curved lines are control limits: they are wide on the left, where small numbers make "
                        "percentages jumpy, and narrow to the right, where larger numbers make them steadier."),
            p.bullets([
                p.say("A district inside the dashed ({{ inner }}%) lines differs from the force average by no more "
                      "than chance alone would often produce.", inner=level_label(inner)),
                p.say("A district between the dashed and solid lines may differ, but about one district in "
                      "{{ one_in }} lands there by chance alone{% if expected >= 0.5 %}, so among the {{ n | word }} "
                      "districts of the programme one is no surprise{% endif %}.",
                      one_in=one_in, n=n, expected=expected),
                p.say("A district outside the solid ({{ outer }}%) lines is very unlikely to be there by chance alone "
                      "(about one in {{ rare }} for an average district). It is a prompt to look at how the district "
                      "works or records its data, not proof that it is better or worse.",
                      outer=level_label(outer), rare=f"{round(1 / (1 - outer)):,}"),
            ]),
            p.paragraph("Districts are not ranked: a dot further right is a bigger district, not a better one. "
                        "Districts that went live later have had less time, so their figures rest on fewer people."),
        ))

    def funnel(self, key: str) -> Section:
        """One funnel plot with its explanation and table.

        Each district's share is plotted against its number of people around the force-wide share, with
        exact binomial 95% and 99.8% control limits (Spiegelhalter 2005, Statistics in Medicine
        24:1185-1202); when the districts vary more than chance predicts, the limits are widened by the
        additive random-effects variance (Spiegelhalter 2005, Quality and Safety in Health Care
        14:347-351). Districts are drawn at their published (rounded) number of people; a district with a
        group from 1 to threshold - 1 is left off, with the next smallest.

        Parameters
        ----------
        key : str
            The measure: `"engagement"`, `"referral"` or `"reoffending"`.

        Returns
        -------
        Section
            The explanation, the figure and the published `funnel_<key>` table; a sentence alone when the
            measure's table is absent or too few districts can be shown.

        Raises
        ------
        KeyError
            When `key` is not one of [`MEASURES`][foundation_eval.reporting.overview_report.MEASURES].

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> section = OverviewReport(open_snapshot()).funnel("engagement")
        >>> section.heading, [type(item).__name__ for item in section.items]
        ('Engaged within 90 days of listing', ['Text', 'Figure', 'Table'])
        >>> list(section.items[2].display().columns)
        ['District', 'Went live', 'People', 'With the outcome', 'Percent', 'Against the limits']
        """
        view = self.funnels[key]
        m, p = view.measure, self.page
        if view.result is None:
            return Section(m.title, (p.paragraph(view.why),))
        res, drawn = view.result, view.drawn
        share = self.shares[key]
        intro = p.say(
            "Share of {{ base }} who {{ did }}{% if key == 'reoffending' %} (lower is better){% endif %}. "
            "{% if share.pct is not none %}Force average {{ share.pct | percent }} (95% interval {{ share.low | percent }}"
            " to {{ share.high | percent }}).{% endif %} "
            "{% if adjusted %}Districts vary more than chance alone would predict (over-dispersion factor "
            "{{ phi | ratio }}), so the limits are widened to allow for real differences between districts "
            "(Spiegelhalter's random-effects method); a district outside them stands out even so.{% else %}There is no "
            "clear sign that districts vary more than chance alone would predict (over-dispersion factor "
            "{{ phi | ratio }}), so the limits are exact binomial limits.{% endif %}",
            base=m.base, did=m.did, key=key, share=share, adjusted=res.adjustment == "additive",
            phi=res.dispersion.phi)
        items = [intro]
        if len(drawn.units):
            ax = drawn.plot(title=f"{m.title}: districts against the force average",
                            xlabel=f"Number of {m.base}", ylabel=f"Percent who {m.did}")
            outside = drawn.outside()
            alt = (f"Funnel plot of the percentage of {m.base} who {m.did} in each district against the number of "
                   f"people, around the force average of {fmt.percent(res.target)}, with "
                   f"{' and '.join(level_label(v) + '%' for v in res.levels)} control limits. "
                   + (f"Outside the {level_label(max(res.levels))}% limits: {_join(outside)}." if outside
                      else f"No district shown lies outside the {level_label(max(res.levels))}% limits."))
            caption = (f"Not shown: {_join(view.withheld)}, to protect small numbers (fewer than {p.threshold} people "
                       "in a group)." if view.withheld else None)
            items.append(p.figure(ax, alt, caption=caption))
        else:
            items.append(p.paragraph("Every district is withheld to protect small numbers, so no plot is drawn."))
        items.append(view.table)
        return Section(m.title, tuple(items))

    # ------------------------------------------------------------------ commissioning outcomes
    def _share_row(self, outcome, measure, k, n, kind) -> dict:
        k, n = int(k), int(n)
        # the share and its interval from the published counts (as Rule.share), withheld below by the masks
        pk, pn = self.page.rule.publish(k), self.page.rule.publish(n)
        kk, nn = (pk, pn) if pk is not None and pn else (k, n)
        lo, hi = wilson_interval(kk, nn) if nn else (np.nan, np.nan)
        return {"outcome": outcome, "measure": measure, "k": k, "n": float(n), "rest": n - k,
                "percent": 100 * kk / nn if nn else np.nan, "ci_low": 100 * lo, "ci_high": 100 * hi, "kind": kind}

    @cached_property
    def outcome_rows(self) -> pd.DataFrame:
        """Shares (and two counts) mapped to the commissioning outcomes, before disclosure control (exact,
        not for publication)."""
        o, prog = COMMISSIONING_OUTCOMES, self.programme
        listed, year, plans, refs = self.listed, self.year, self.plans, self.referrals
        n = len(listed)
        rows = [
            {"outcome": o[0], "measure": f"People meeting all {fmt.number_word(len(prog.criteria))} criteria in "
             "the period", "k": len(self.persons), "n": np.nan, "rest": np.nan, "percent": np.nan, "ci_low": np.nan,
             "ci_high": np.nan, "kind": "Direct"},
            {"outcome": o[0], "measure": "People put on the programme list", "k": n, "n": np.nan, "rest": np.nan,
             "percent": np.nan, "ci_low": np.nan, "ci_high": np.nan, "kind": "Direct"},
        ]

        def has(table):
            return table is None or table not in self.absent

        if prog.has_risk_tool and has("ppit_assessments"):
            flags = person_engagement(self.ds, self.persons)
            rows.append(self._share_row(o[0], "Listed people assessed with the risk tool", flags.assessed.sum(), n,
                                        "Direct"))
        if has("contacts"):
            rows.append(self._share_row(o[0], f"Listed people who {self.measures['engagement'].did}",
                                        self.engaged_in_window.engaged.sum(), n, "Direct"))
        rows.append(self._share_row(o[1], "Listed people followed for a full year who were recorded for a further "
                                    "domestic-abuse offence within 12 months", year.outcome.sum(), len(year), "Proxy"))
        rows.append(self._share_row(o[2], "Listed people followed for a full year with a domestic-abuse offence "
                                    "against a new victim within 12 months", year.new_victim_12m.sum(), len(year),
                                    "Proxy"))
        if has("rmps") and len(plans):
            rows.append(self._share_row(o[2], "Risk management plans with a victim-safety pillar",
                                        plans.victim_safety.astype(bool).sum(), len(plans), "Proxy"))
        health = [x for x in HEALTH_PATHWAYS if x in prog.pathways]
        if has("referrals") and health:
            h = refs[refs.pathway.isin(health)]
            rows.append(self._share_row(o[3], "Listed people referred to a health or drug and alcohol service",
                                        h.person_id.nunique(), n, "Proxy"))
            rows.append(self._share_row(o[3], "Listed people who started a health or drug and alcohol service",
                                        h[h.started.astype(bool)].person_id.nunique(), n, "Proxy"))
        if has("contacts"):
            con = self.ds.contacts.merge(listed[["person_id", "index_date"]], on="person_id")
            joint = con[(con.contact_date >= con.index_date)
                        & ((con.staff == "joint") | (con.contact_type == "joint_visit"))]
            rows.append(self._share_row(o[4], "Listed people with a joint police and practitioner visit",
                                        joint.person_id.nunique(), n, "Process"))
        if has("rmps"):
            rows.append(self._share_row(o[4], "Listed people with a risk management plan", plans.person_id.nunique(),
                                        n, "Process"))
            if len(plans):
                allp = plans[[c for c, _ in RMP_PILLARS]].astype(bool).all(axis=1)
                rows.append(self._share_row(o[4], "Risk management plans covering all four pillars", allp.sum(),
                                            len(plans), "Process"))
        if has("referrals"):
            rows.append(self._share_row(o[4], "Listed people referred to any partner service",
                                        refs.person_id.nunique(), n, "Process"))
        return pd.DataFrame(rows)

    @cached_property
    def outcomes_table(self) -> Table:
        """The published `commissioning_outcomes` table: each measure with its kind (direct, proxy or
        process), count, denominator and Wilson 95% interval."""
        rows = self.outcome_rows.copy()
        small = hidden_mask(rows.rest, self.page.threshold)
        rows["measure"] = [f"{m} ({k.lower()} measure)" for m, k in zip(rows.measure, rows.kind, strict=True)]
        frame = rows.drop(columns=["rest", "kind"])
        return self.page.table(
            "commissioning_outcomes", frame, title="Measures mapped to the five commissioning outcomes",
            counts={"k": ["percent", "ci_low", "ci_high"], "n": ["percent", "ci_low", "ci_high"]}, additive=False,
            kinds={"percent": "percent", "ci_low": "percent", "ci_high": "percent"},
            hide={c: small for c in ("k", "percent", "ci_low", "ci_high")},
            headings={"outcome": "Commissioning outcome", "measure": "Measure", "k": "Number", "n": "Out of",
                      "percent": "Percent", "ci_low": "95% low", "ci_high": "95% high"},
            notes=("Direct measure: counts what the programme did. Proxy measure: police records show offences that "
                   "were reported and recorded, and a plan or referral shows what was put in place, not how victims "
                   "or perpetrators fared. Process measure: how the programme works.",
                   "Out of: people, or plans where the measure says so. Percentages carry Wilson 95% intervals."))

    @cached_property
    def rates_table(self) -> Table | None:
        """Domestic-abuse offences per 100 person-years after listing, and their harm per person-year."""
        r = self.reoffending
        if not len(r) or r.exposure_years.sum() <= 0:
            return None
        years = float(r.exposure_years.sum())
        offences = int(r.da_count.sum())
        er = event_rate(r.da_count.to_numpy(), r.exposure_years.to_numpy(), per=100)
        bh = bootstrap_ratio(r.harm_days.to_numpy(), r.exposure_years.to_numpy(), n_boot=BOOTSTRAP_RESAMPLES, seed=0)
        frame = pd.DataFrame({
            "measure": ["Domestic-abuse offences per 100 person-years after listing",
                        "Harm of those offences: Crime Harm Index days per person-year"],
            "offences": [offences, offences], "years": [years, years],
            "rate": [er.rate, bh.estimate], "ci_low": [er.ci_low, bh.ci_low],
            "ci_high": [er.ci_high, bh.ci_high]})
        return self.page.table(
            "offence_rates", frame, title="Reduction of repeat abusive behaviour: offences and harm after listing",
            counts={"offences": ["rate", "ci_low", "ci_high"]}, additive=False,
            kinds={"years": "whole", "rate": "decimal1", "ci_low": "decimal1", "ci_high": "decimal1"},
            headings={"measure": "Measure", "offences": "Offences", "years": "Person-years", "rate": "Rate",
                      "ci_low": "95% low", "ci_high": "95% high"},
            notes=("Proxy measures: police-recorded domestic-abuse offences of listed people after their first "
                   "listing, over their follow-up.",
                   f"Offence rate: exact Poisson interval. Harm: bias-corrected bootstrap interval from "
                   f"{BOOTSTRAP_RESAMPLES:,} resamples of people."))

    def outcomes(self) -> Section:
        """The measures mapped to the five commissioning outcomes.

        Returns
        -------
        Section
            "Commissioning outcomes": an introduction, the `commissioning_outcomes` table, the
            `offence_rates` table (offences per 100 person-years with exact Poisson intervals, harm per
            person-year with a bootstrap interval) and a sentence naming any absent input table.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> section = OverviewReport(open_snapshot()).outcomes()
        >>> [item.name for item in section.items if hasattr(item, "name")]
        ['commissioning_outcomes', 'offence_rates']
        >>> list(section.items[1].values.outcome.unique()) == list(COMMISSIONING_OUTCOMES)
        True
        """
        p = self.page
        left = sorted(self.absent)
        items = [p.paragraph("The programme is commissioned against five outcomes: "
                             + "; ".join(o.lower() for o in COMMISSIONING_OUTCOMES) + ". The table maps each to the "
                             "measures the data support. Several are proxies: the measure says which."),
                 self.outcomes_table]
        if self.rates_table is not None:
            items.append(self.rates_table)
        if left:
            items.append(p.say("Not in this extract, so their measures are left out: {{ names }}.",
                               names=_join([x.replace("_", " ") for x in left])))
        return Section("Commissioning outcomes", tuple(items))

    @cached_property
    def pillars_table(self) -> Table:
        """The published `rmp_pillars` table: the share of plans with each pillar and with all four
        (Wilson 95% intervals)."""
        plans = self.plans
        cols = [c for c, _ in RMP_PILLARS]
        flags = plans[cols].astype(bool) if len(plans) else pd.DataFrame(columns=cols, dtype=bool)
        rows = []
        for c, label in RMP_PILLARS + (("all", "All four pillars"),):
            k = int(flags.all(axis=1).sum()) if c == "all" else int(flags[c].sum())
            row = self._share_row("", label, k, len(plans), "")
            rows.append({"pillar": label, "k": row["k"], "n": row["n"], "rest": row["rest"],
                         "percent": row["percent"], "ci_low": row["ci_low"], "ci_high": row["ci_high"]})
        frame = pd.DataFrame(rows)
        small = hidden_mask(frame.rest, self.page.threshold)
        return self.page.table(
            "rmp_pillars", frame.drop(columns="rest"), title="Risk management plans with each pillar",
            counts={"k": ["percent", "ci_low", "ci_high"], "n": ["percent", "ci_low", "ci_high"]}, additive=False,
            kinds={"percent": "percent", "ci_low": "percent", "ci_high": "percent"},
            hide={c: small for c in ("k", "percent", "ci_low", "ci_high")},
            headings={"pillar": "Pillar", "k": "Plans with it", "n": "Plans", "percent": "Percent",
                      "ci_low": "95% low", "ci_high": "95% high"},
            notes=("Plans agreed on or after the person's first listing. Wilson 95% intervals.",))

    def pillars(self) -> Section:
        """Share of risk management plans with each of the four pillars.

        Returns
        -------
        Section
            "Risk management plans: the four pillars": an introduction, a bar chart and the `rmp_pillars`
            table; a sentence instead when the extract holds no plans table (a programme that does not
            record them) or no plan was agreed after listing.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> section = OverviewReport(open_snapshot()).pillars()
        >>> list(section.items[2].values.pillar)
        ['Supervision', 'Monitoring and control', 'Interventions and treatment', 'Victim safety', 'All four pillars']
        """
        p = self.page
        if "rmps" in self.absent:
            return Section("Risk management plans: the four pillars", (
                p.paragraph("This extract holds no risk management plans, so the four pillars cannot be shown."),))
        intro = p.paragraph("Each listed person should have a risk management plan resting on four pillars: "
                            "supervision, monitoring and control, interventions and treatment, and victim safety. "
                            "The figure shows the share of plans agreed after listing that include each pillar.")
        if not len(self.plans):
            return Section("Risk management plans: the four pillars",
                           (intro, p.paragraph("No risk management plans were recorded after listing.")))
        tab = self.pillars_table
        t = tab.values
        ax = new_axes(figsize=(7.5, 2.8))
        y = np.arange(len(t))[::-1]
        pct = pd.to_numeric(t.percent, errors="coerce")
        lo, hi = pd.to_numeric(t.ci_low, errors="coerce"), pd.to_numeric(t.ci_high, errors="coerce")
        colours = [PALETTE[0]] * (len(t) - 1) + [PALETTE[2]]
        ax.barh(y, pct.fillna(0), color=colours, alpha=0.85)
        ok = pct.notna().to_numpy()
        ax.errorbar(pct[ok], y[ok], xerr=[(pct - lo)[ok], (hi - pct)[ok]], fmt="none", ecolor="black", capsize=3, lw=1)
        for yi, v, h in zip(y, pct, hi, strict=True):
            ax.text((0 if pd.isna(v) else max(v, h)) + 1.5, yi, "withheld" if pd.isna(v) else fmt.percent(v, scale=1),
                    va="center", fontsize=8)
        ax.set_yticks(y, t.pillar)
        ax.set_xlim(0, 110)
        ax.set_xlabel("Percent of risk management plans (95% interval)")
        ax.grid(axis="y", visible=False)
        ax.set_title("Risk management plans including each pillar")
        alt = ("Bar chart of the percentage of risk management plans that include each of the four pillars "
               "(supervision, monitoring and control, interventions and treatment, victim safety) and all four "
               "together, with 95% intervals.")
        return Section("Risk management plans: the four pillars", (intro, p.figure(ax, alt), tab))

    # ------------------------------------------------------------------ headline estimates (the snapshot's)
    def _why(self, view) -> str:
        reason = view.reason or "Not estimated for this programme."
        return reason if reason.endswith(".") else reason + "."

    def _estimates_table(self, names, name: str, title: str, notes) -> EstimatesTable | None:
        views = [self.page.estimate(n) for n in names]
        views = [v for v in views if v.available]
        if not views:
            return None
        rows, small = [], []
        for v in views:
            scale = 100.0 if v.unit in ("points", "rate") else 1.0
            n = getattr(self.snap.estimate(v.name), "n", 0) or 0
            small.append(self.page.rule.hidden(n))
            rows.append({"label": REGISTRY[v.name].label, "estimate": scale * v.estimate, "ci_low": scale * v.ci_low,
                         "ci_high": scale * v.ci_high, "unit": fmt.UNITS.get(v.unit) or
                         {"ratio": "ratio", "index": "index"}.get(v.unit, v.unit),
                         "design": v.design, "level": f"level {v.sms_level}" if v.sms_level is not None
                         else "not an impact estimate"})
        values = pd.DataFrame(rows)
        supp = pd.DataFrame(False, index=values.index, columns=values.columns)
        for c in ("estimate", "ci_low", "ci_high"):
            supp[c] = small
            values[c] = values[c].where(~np.array(small, dtype=bool))
        t = EstimatesTable(name, title, values, supp,
                           kinds={"estimate": "decimal2", "ci_low": "decimal2", "ci_high": "decimal2"},
                           headings={"label": "What is estimated", "estimate": "Estimate", "ci_low": "95% low",
                                     "ci_high": "95% high", "unit": "Scale", "design": "Design",
                                     "level": "Maryland level"},
                           notes=tuple(notes), views=tuple(views))
        self.page.tables = [x for x in self.page.tables if x.name != name] + [t]
        return t

    @cached_property
    def estimand_names(self) -> dict:
        """The programme's registered estimands: ``{"primary": [...], "alternative": [...], "other": [...]}``
        (``other``: registered but not for this programme)."""
        mine = [e.name for e in estimands_for(self.programme)]
        return {"primary": [n for n in mine if REGISTRY[n].primary],
                "alternative": [n for n in mine if not REGISTRY[n].primary],
                "other": [n for n in REGISTRY if n not in mine]}

    def estimates(self) -> Section:
        """The render's headline estimates, their alternatives, and a sentence for each one not available.

        The values are the snapshot's registered ones (so this page, the other reports and
        `results.json` agree), each with its design and Maryland Scientific Methods Scale level. Other
        designs of the same quantities follow under their own names, never in place of the headline
        values, and a caveat is added when no design is a randomised trial.

        Returns
        -------
        Section
            "Headline estimates": sentences and the `headline_estimates` and `alternative_estimates`
            tables ([`EstimatesTable`][foundation_eval.reporting.overview_report.EstimatesTable]).
        """
        p = self.page
        names = self.estimand_names
        items = [p.say(
            "The evaluation's headline estimates, each with its 95% interval, the design it rests on and its level on "
            "the Maryland Scientific Methods Scale, which runs from level one (a simple before-and-after comparison "
            "or a cross-section) to level five (a randomised trial). They use the whole extract, whatever period the "
            "sections above cover, and are the values in the render's results file.")]
        scale_note = ("Percentage points: differences of two percentages. Ratio: below one means fewer events. "
                      "Rates: offences per 100 person-months. The workbook gives the numbers on these scales.")
        primary = self._estimates_table(names["primary"], "headline_estimates", "Headline estimates",
                                        (scale_note, "An estimate resting on fewer people than the disclosure "
                                         "threshold is withheld."))
        if primary is not None:
            items.append(primary)
        missing = [p.estimate(n) for n in names["primary"] + names["alternative"] if not p.estimate(n).available]
        if missing:
            items.append(p.bullets([p.say("{{ label }}: not available on this extract. {{ why }}",
                                          label=REGISTRY[v.name].label, why=self._why(v)) for v in missing]))
        alt = self._estimates_table(
            names["alternative"], "alternative_estimates", "Alternative designs of the same questions",
            ("Each answers a question of the headline table by another design; the headline value is the one "
             "reported. The Maryland level says how much weight each design can bear.",))
        if alt is not None:
            items += [p.heading("Alternative designs", level=3), p.paragraph(
                "Other designs of the same quantities, shown for comparison and never in place of the headline "
                "values: a lower Maryland level means more ways in which something other than the programme could "
                "explain the difference."), alt]
        other = names["other"]
        if other:
            needs = sorted({need for n in other for need in REGISTRY[n].needs})
            words = {"risk_tool": "the programme defines no risk tool, so the risk-tool estimates are not part of "
                                  "its evaluation",
                     "staggered": "every district went live at the same time, so there are no districts not yet live "
                                  "to compare with"}
            items.append(p.say("Not estimated for this programme: {{ why }}.",
                               why="; ".join(words.get(x, x) for x in needs) or "not part of its evaluation"))
        levels = sorted({v.sms_level for v in (p.estimate(n) for n in names["primary"])
                         if v.available and v.sms_level is not None})
        if levels and max(levels) < 5:  # level five is a randomised trial
            items.append(p.say(
                "Caveat: {% if top <= 2 %}the programme comparisons here are observational{% else %}even the strongest "
                "design here is not a randomised trial{% endif %}, so changes over time and differences between the "
                "groups compared may account for part of any difference; the pilot-versus-rollout report explains "
                "each design.", top=max(levels)))
        return Section("Headline estimates", tuple(items))

    # ------------------------------------------------------------------ appendix
    def methods(self) -> Section:
        """The "Methods" section: who is counted, each measure's definition, the funnel plots, intervals and
        small numbers.

        Returns
        -------
        Section
            Paragraphs with their citations (Wilson 1927; Spiegelhalter 2005).
        """
        p, prog = self.page, self.programme
        inner, outer = (level_label(v) for v in (min(DEFAULT_LEVELS), max(DEFAULT_LEVELS)))
        return Section("Methods", (
            p.say("Who is counted. People are counted once, from their first listing (the index date), if that fell "
                  "between {{ start }} and {{ end }}; their district is where they were listed. Follow-up ends at exit "
                  "(custody, moving away, death) or the extract date ({{ extract }}).", start=self.start,
                  end=self.end, extract=str(pd.Timestamp(prog.extract_date).date())),
            p.say("Measures. Engagement: a contact recorded as engaged within {{ window }} days of the index date (the "
                  "programme's engagement window). Referral start and reoffending use listed people followed for a "
                  "whole year without exit, so that districts that went live later are compared over the same length "
                  "of time; reoffending is a police-recorded domestic-abuse offence after the index date. A new victim "
                  "is one not named in any earlier domestic-abuse offence of the same person. Risk management plans "
                  "count when agreed on or after the index date.", window=self.window),
            p.say("Funnel plots. Each district's proportion is plotted against its number of people around the "
                  "force-wide proportion, with exact binomial {{ inner }}% and {{ outer }}% control limits computed "
                  "with Spiegelhalter's interpolation for discrete data (Spiegelhalter 2005, Statistics in Medicine "
                  "24:1185-1202). Over-dispersion is estimated from Winsorised z-scores; when the chi-square test "
                  "finds it, the limits are widened with the additive random-effects variance (Spiegelhalter 2005, "
                  "Quality and Safety in Health Care 14:347-351). Districts are drawn at their published (rounded) "
                  "number of people.", inner=inner, outer=outer),
            p.say("Intervals. Percentages carry Wilson (1927) score intervals; offence rates carry exact Poisson "
                        "intervals; harm per person-year carries a bias-corrected bootstrap interval resampling people. "
                        "Headline estimates are fitted once per render, as described in the pilot-versus-rollout "
                        "report, with the design named beside each."),
            p.say("Small numbers. A district whose number of people, or of people with or without the outcome, is "
                  "below {{ t }} is left off its funnel plot and table, together with the next smallest district "
                  "so that it cannot be recovered from force totals.", t=p.threshold),
        ))

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

    # ------------------------------------------------------------------ the whole page
    def sections(self) -> list:
        """Every item of the page in order (what the notebook shows, cell by cell).

        Returns
        -------
        list
            The header and summary (`Text`), then each `Section`, one funnel plot per measure.
        """
        out = [self.header(), self.summary(), self.how_to_read(), *(self.funnel(k) for k in MEASURES),
               self.outcomes(), self.pillars(), self.estimates(), self.methods(), self.disclosure(), self.provenance()]
        return [x for x in out if x is not None]

    def html(self) -> str:
        """The whole page as HTML.

        Returns
        -------
        str
            The HTML of every part of [`sections`][foundation_eval.reporting.overview_report.OverviewReport.sections],
            concatenated.
        """
        return "".join(x.html() for x in self.sections())
