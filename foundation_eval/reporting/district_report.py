"""Content of a district report: every table, figure and sentence, formatted from the render's study.

`DistrictReport(snap, district)` reads the district-and-force study of the render's snapshot
(`snap.study("areas")`, fitted once for every district and the force before any page is made) and
publishes what one district's report shows through `report.page` (a
[`Page`][foundation_eval.reporting.publication.Page]): counts rounded and small ones withheld by one
rule, shares and rates worked out from the published counts, curves drawn only in steps that pass the
chart gate, every chart told to the page with the data it draws, numbers formatted by one set of rules,
sentences from templates, and a claim printed only where its result supports it. Table 1, the risk-tool
bands and the funnel count the same people and are protected together, so that the page passes the
intruder audit ([`audit`][foundation_eval.reporting.audit]). Nothing is fitted here: every number is the study's, and the force-wide figures
a district is compared with are the same objects the force overview publishes. Each method returns
publication items (a [`Section`][foundation_eval.reporting.publication.Section],
[`Text`][foundation_eval.reporting.publication.Text] or
[`Table`][foundation_eval.reporting.publication.Table]) for the notebook
`notebooks/district_report.ipynb` to show, the one-page brief first.

Each headline figure has one definition (see [`areas`][foundation_eval.evaluation.areas]) and one
wording, the same in the brief, in its section and on the force overview. These are descriptive figures
for one area: what happened to the people listed there, not what the programme caused (the
pilot-versus-rollout report estimates that).
"""
from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.reporting.disclosure import curve_steps, protect_units
from foundation_eval.reporting.figures import GREY, PALETTE, funnel_plot, new_axes, ppit_histogram
from foundation_eval.reporting.publication import Page, Section, Text

__all__ = ["DistrictReport", "estimands_read", "sentence_case", "PATHWAY_LABELS", "HARM_UNAUDITED", "share_of",
           "difference_of", "km_chart"]

STUDY = "areas"
"""The snapshot's study every district page formats."""
PATHWAY_LABELS = {
    "accommodation": "Accommodation",
    "education_training_employment": "Education, training and employment",
    "health": "Health",
    "drugs_alcohol": "Drugs and alcohol",
    "finance_benefit_debt": "Finance, benefit and debt",
    "children_families": "Children and families",
    "attitudes_thinking_behaviour": "Attitudes, thinking and behaviour",
}
"""The seven reducing-reoffending pathways as a page names them."""
_PCT = ("percent", "ci_low", "ci_high")
HARM_UNAUDITED = ("{table}: harm per person-year and its bootstrap interval (Crime Harm Index days over person-time, "
                  "not a count of people; withheld for fewer than the threshold of people) are not modelled by the audit")
"""What the audit is told of a harm column: published, not a count or a share, so not audited."""
_SIDE_WORDS = {"above": "above", "below": "below"}


def estimands_read(programme) -> tuple[str, ...]:
    """The registered estimands a district page reads: the primary analysis and engagement's comparison.

    A render fits these before the district pages start and the others beside them; a page asking for
    another would raise (its snapshot lists it as pending).

    Parameters
    ----------
    programme : Programme
        The programme ([`Programme`][foundation_eval.config.Programme]); its `evaluation.primary`.

    Returns
    -------
    tuple of str
        Registered estimand names.

    Examples
    --------
    >>> from foundation_eval.config import load_programme
    >>> estimands_read(load_programme("hiow"))
    ('did_att_da_rate', 'engagement_rd_practitioner')
    """
    return (programme.evaluation.primary, "engagement_rd_practitioner")


def sentence_case(text) -> str:
    """A code or lower-case label as a page prints it: known pathways by name, otherwise underscores as
    spaces and the first letter capitalised.

    Parameters
    ----------
    text : str
        The label (e.g. a pathway key, a category of a table).

    Returns
    -------
    str
        The label in sentence case.

    Examples
    --------
    >>> sentence_case("attitudes_thinking_behaviour"), sentence_case("asian"), sentence_case("18-21")
    ('Attitudes, thinking and behaviour', 'Asian', '18-21')
    """
    s = str(text)
    if s in PATHWAY_LABELS:
        return PATHWAY_LABELS[s]
    s = s.replace("_", " ")
    return s[:1].upper() + s[1:]


def _month(p) -> str:
    """A month or quarter as words ("March 2021", "2021 Q1")."""
    p = pd.Period(p)
    return p.strftime("%B %Y") if p.freqstr.startswith("M") else f"{p.year} Q{p.quarter}"


def _legend_outside(ax, ncol: int = 2) -> None:
    """A boxed legend below the plotting area, clear of the data."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=ncol, frameon=True,
                  framealpha=1.0, edgecolor=GREY, fontsize=8)


def share_of(page: Page, s) -> dict:
    """A study share as the page publishes it: worked out from the published (rounded) counts.

    The share is the published numerator over the published denominator and its interval Wilson's
    from the same two numbers ([`Rule.share`][foundation_eval.reporting.disclosure.Rule.share]), so a
    percentage in a sentence says nothing finer than the counts the page publishes; withheld when the
    people with or without the outcome number 1 to threshold - 1.

    Parameters
    ----------
    page : Page
        The publishing page.
    s : Share
        A [`Share`][foundation_eval.evaluation.areas.Share] of the study (exact counts).

    Returns
    -------
    dict
        [`Page.share`][foundation_eval.reporting.publication.Page.share] of its counts: `k`, `n`, `pct`,
        `low`, `high`.

    Examples
    --------
    30 of 76 is published as 30 of 75, so the share reads 40%, not 39.5%:

    >>> from types import SimpleNamespace
    >>> from foundation_eval.config import load_programme
    >>> from foundation_eval.evaluation.areas import Share
    >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton")
    >>> s = share_of(page, Share.of(30, 76))
    >>> s["n"], s["pct"], share_of(page, Share.of(3, 76))["pct"] is None
    (75, 40.0, True)
    """
    return page.share(s.k, s.n)


def difference_of(a: dict, b: dict) -> dict | None:
    r"""The difference of two published shares with Newcombe's hybrid score interval, from published counts.

    With the shares $p_a, p_b$ and their Wilson limits $(l_a, u_a)$, $(l_b, u_b)$, all worked out from
    the published counts ([`share_of`][foundation_eval.reporting.district_report.share_of]),
    $d = p_a - p_b$ and the interval is
    $\left(d - \sqrt{(p_a - l_a)^2 + (u_b - p_b)^2},\; d + \sqrt{(u_a - p_a)^2 + (p_b - l_b)^2}\right)$
    (Newcombe 1998, *Statistics in Medicine* 17:873-890, method 10), so the difference, like the shares,
    says nothing finer than the published counts.

    Parameters
    ----------
    a, b : dict
        Published shares (`pct`, `low`, `high` in percent), as from
        [`Page.share`][foundation_eval.reporting.publication.Page.share].

    Returns
    -------
    dict or None
        `{"difference", "low", "high"}` as proportions (0.10 is ten points); None when either share is
        withheld.

    Examples
    --------
    Newcombe (1998, Table II, example a): 56/70 against 48/80 gives 0.0524 to 0.3339 (with exact
    counts, threshold 1, base 1):

    >>> from foundation_eval.reporting.disclosure import Rule
    >>> d = difference_of(Rule(1, 1).share(56, 70), Rule(1, 1).share(48, 80))
    >>> round(d["difference"], 2), round(d["low"], 4), round(d["high"], 4)
    (0.2, 0.0524, 0.3339)
    >>> difference_of(Rule().share(3, 70), Rule().share(48, 80)) is None
    True
    """
    if a is None or b is None or a.get("pct") is None or b.get("pct") is None:
        return None
    pa, la, ua = (a[k] / 100 for k in ("pct", "low", "high"))
    pb, lb, ub = (b[k] / 100 for k in ("pct", "low", "high"))
    d = pa - pb
    return {"difference": d, "low": d - float(np.hypot(pa - la, ub - pb)),
            "high": d + float(np.hypot(ua - pa, pb - lb))}


def primary_verdict(page: Page, study) -> Text:
    """The pre-specified primary analysis's verdict with its power statement (one sentence pair).

    The verdict is the registered primary estimate's interval against no effect, in the verdict's fixed
    vocabulary ([`FINDINGS`][foundation_eval.evaluation.verdict.FINDINGS]); the power statement is the
    evaluation's own, word for word
    ([`PowerAnalysis.verdict_caveat`][foundation_eval.evaluation.designs.PowerAnalysis.verdict_caveat]),
    carried by the study (`primary_caveat`), so this page, the force overview and the evaluation page say
    the same.

    Parameters
    ----------
    page : Page
        The publishing page (its snapshot holds the registered estimate).
    study : AreasStudy
        The render's study.

    Returns
    -------
    Text
        "Did it work? Primary analysis: ..." and what the analysis could detect.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> snap = open_snapshot()
    >>> print(primary_verdict(Page(snap, "Southampton"), snap.study("areas")).plain)
    Did it work? Primary analysis: ... The pre-specified primary analysis (DA offences per 100 eligible
    person-months, ...) gives ... (Maryland Scientific Methods Scale level 4). This evaluation could not
    have detected a reduction of 30%, ...
    """
    from foundation_eval.evaluation.verdict import FINDINGS

    plan = page.programme.evaluation
    e = page.estimate(plan.primary)
    if not e.available:
        reason = e.reason or "Not estimated for this programme."
        return page.say("<strong>Did it work?</strong> The pre-specified primary analysis ({{ outcome }}) could not "
                        "be estimated on this extract: {{ reason }}", outcome=plan.outcome,
                        reason=reason if reason.endswith(".") else reason + ".")
    finding = FINDINGS[{-1: 0, 0: 1, 1: 2}[e.direction()]]
    caveat = study.primary_caveat
    return page.say(
        "<strong>Did it work? Primary analysis: {{ finding }}.</strong> The pre-specified primary analysis "
        "({{ outcome }}, {{ window }}) gives {{ e | estimate }}{% if level %} (Maryland Scientific Methods Scale "
        "level {{ level }}){% endif %}.{% if caveat %} {{ caveat }}{% endif %}",
        finding=finding, outcome=plan.outcome, window=plan.window, e=e, level=e.sms_level, caveat=caveat)


def published_funnel(page: Page, fv):
    """A funnel plot of the districts under the page's disclosure rule.

    Parameters
    ----------
    page : Page
        The publishing page.
    fv : DistrictFunnel
        A funnel of the study ([`DistrictFunnel`][foundation_eval.evaluation.areas.DistrictFunnel]).

    Returns
    -------
    tuple or None
        `(hidden, drawn)`: a boolean array over `fv.result.units` of districts withheld (with secondary
        suppression, [`protect_units`][foundation_eval.reporting.disclosure.protect_units]), and the
        result with them left off; None when the study has no plot.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> snap = open_snapshot()
    >>> hidden, drawn = published_funnel(Page(snap, "Force"), snap.study("areas").funnels["engagement"])
    >>> len(hidden) == len(drawn.units), set(drawn.withheld) <= set(drawn.units.unit)
    (True, True)
    """
    if fv.result is None:
        return None
    prot, shown = protect_units(fv.result, page.threshold)
    return prot.suppressed.n.to_numpy(bool), shown


def attention_items(page: Page, study, district_id: str | None = None) -> list[Text]:
    """What needs attention, as the brief lists it: districts outside the 99.8% control limits (those the
    funnel plots may show) and recent months with far fewer screening records than usual.

    Parameters
    ----------
    page : Page
        The publishing page.
    study : AreasStudy
        The render's study.
    district_id : str, optional
        One district's items only; None for every district and the extract's validation warnings.

    Returns
    -------
    list of Text
        One sentence per item, at most eight (the rest counted in a last sentence); empty when nothing
        needs attention.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> snap = open_snapshot()
    >>> isinstance(attention_items(Page(snap, "Force"), snap.study("areas")), list)
    True
    """
    out = []
    hidden = {}
    for key, fv in study.funnels.items():
        pub = published_funnel(page, fv)
        if pub is not None:
            hidden[key] = set(fv.result.units.unit[pub[0]])
    funnel_items = [a for a in study.attention if a.kind == "funnel" and a.name not in hidden.get(a.measure, {a.name})]
    records = [a for a in study.attention if a.kind == "records"]
    if district_id is not None:
        funnel_items = [a for a in funnel_items if a.district_id == district_id]
        records = [a for a in records if a.district_id == district_id]
    for a in funnel_items:
        m = study.measures[a.measure]
        out.append(page.say("{{ name }} lies {{ side }} the 99.8% control limit for the share of {{ base }} who "
                            "{{ did }}: a prompt to look at how the district works or records its data.",
                            name=a.name, side=_SIDE_WORDS[a.side], base=m.base, did=m.did))
    by_district: dict[str, list] = {}
    for a in records:
        by_district.setdefault(a.name, []).append(a.month)
    for name, months in by_district.items():
        out.append(page.say("{{ name }}: far fewer screening records than usual in {{ months }} (records still "
                            "arriving, or a gap); see the data-quality report.", name=name,
                            months=", ".join(_month(m) for m in months)))
    if district_id is None and study.warnings:
        out.append(page.say("The extract carried {{ n | word }} validation {{ n | plural('warning') }}; the "
                            "data-quality report lists {{ 'it' if n == 1 else 'them' }}.", n=study.warnings))
    if len(out) > 8:
        rest = len(out) - 7
        out = out[:7] + [page.say("And {{ n | word }} more: see the funnel plots and the data-quality report.",
                                  n=rest)]
    return out


def quarter_table(page: Page, area, study, name: str = "brief_quarters"):
    """The brief's table: this quarter against the last and the same quarter a year before.

    Parameters
    ----------
    page : Page
        The publishing page.
    area : Area
        The area ([`Area`][foundation_eval.evaluation.areas.Area]).
    study : AreasStudy
        The render's study (its `quarters` and engagement window).
    name : str
        The table's name on the page.

    Returns
    -------
    Table or None
        Columns `quarter, on_list, new_listings, followed, engaged, engaged_pct, started`: people on the
        list, listed for the first time, of those the people whose window had passed by the extract date,
        of them the people engaged within the window and their percentage (worked out by the page from
        the published counts), and people who started a referred service; None when the period holds no
        complete quarter.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> snap = open_snapshot()
    >>> study = snap.study("areas")
    >>> t = quarter_table(Page(snap, "Force"), study.force, study)
    >>> list(t.display().columns)
    ['Quarter', 'People on the list', 'Listed for the first time', 'Of them, 90 days passed', 'Engaged within 90 days', 'Percent engaged', 'Started a referred service']
    """
    q = area.quarters
    if not len(q):
        return None
    words = ("this quarter", "the quarter before", "a year before")
    rows = []
    for quarter, word in zip(study.quarters, words, strict=True):
        if quarter is None:
            continue
        f = q[q.quarter == quarter].set_index("measure")
        rows.append({"quarter": f"{_month(quarter)} ({word})", "on_list": int(f.at["on_list", "k"]),
                     "new_listings": int(f.at["new_listings", "k"]), "followed": int(f.at["engaged", "n"]),
                     "engaged": int(f.at["engaged", "k"]), "engaged_pct": np.nan, "started": int(f.at["started", "k"])})
    w = study.window
    return page.table(
        name, pd.DataFrame(rows), title=f"Quarter by quarter: {area.name}",
        counts={"on_list": [], "new_listings": [], "followed": ["engaged_pct"], "engaged": ["engaged_pct"],
                "started": []},
        additive=False, kinds={"engaged_pct": "percent"}, shares={"engaged_pct": ("engaged", "followed")},
        headings={"quarter": "Quarter", "on_list": "People on the list", "new_listings": "Listed for the first time",
                  "followed": f"Of them, {w} days passed", "engaged": f"Engaged within {w} days",
                  "engaged_pct": "Percent engaged", "started": "Started a referred service"},
        notes=(f"People on the list: each person once in the quarter. Of them, {w} days passed: people listed for "
               f"the first time in the quarter whose {w} days had passed by the extract date; engaged within {w} days "
               "and the percentage are of them. Started a referred service: listed people who started one in the "
               "quarter.",))


def km_chart(page: Page, curves, xlabel: str, ylabel: str, xlim: float, title: str, mark: float | None = None):
    """Kaplan-Meier cumulative incidence with 95% bands, drawn only from steps that pass the chart gate.

    Each curve goes through [`curve_steps`][foundation_eval.reporting.disclosure.curve_steps]: event
    times are merged into grouped steps of at least the threshold of events among at least the threshold
    of people at risk (with at least the threshold left without the event), each drawn from the published
    (rounded) counts of its step, and the curve stops at the first step that fails. No single person, and
    no group smaller than the threshold, shows as a step. Each step's value is marked at its last event
    time and the marks are joined by straight lines (the path within a step is not published), with the
    95% band joined the same way. Pass the returned steps to
    [`Page.figure`][foundation_eval.reporting.publication.Page.figure] (`data=`) so that the page's audit
    sees what the chart publishes.

    Parameters
    ----------
    page : Page
        The publishing page (its rule).
    curves : list of (str, DataFrame)
        Legend label and a Kaplan-Meier table (`time, at_risk, events`, as the study's).
    xlabel, ylabel, title : str
        Axis labels and title.
    xlim : float
        Right end of the time axis at most (the axis ends a little after the last step or the mark).
    mark : float, optional
        A time marked with a dashed line (e.g. the engagement window).

    Returns
    -------
    tuple
        `(ax, steps)`: the Axes (None when no curve has a step that may be drawn) and the
        [`CurveSteps`][foundation_eval.reporting.disclosure.CurveSteps] drawn.

    Examples
    --------
    Nineteen people engaging one at a time draw nothing; sixty draw two grouped steps:

    >>> from types import SimpleNamespace
    >>> from foundation_eval.config import load_programme
    >>> page = Page(SimpleNamespace(programme=load_programme("hiow")), "Southampton")
    >>> few = pd.DataFrame({"time": range(1, 7), "at_risk": range(19, 13, -1), "events": [1] * 6})
    >>> many = pd.DataFrame({"time": [3, 8, 15, 40], "at_risk": [60, 52, 41, 30], "events": [6, 7, 4, 11]})
    >>> ax, steps = km_chart(page, [("Police alone", few), ("With practitioners", many)], "Days", "Percent", 60,
    ...                      "Engaged")
    >>> [s.label for s in steps], steps[0].table.time.tolist()
    (['With practitioners'], [8.0, 40.0])
    >>> km_chart(page, [("Police alone", few)], "Days", "Percent", 60, "Engaged")[0] is None
    True
    """
    ax, drawn = None, []
    for (label, t), colour in zip(curves, PALETTE, strict=False):
        steps = curve_steps(t, page.rule, label=label)
        if not steps.drawn:
            continue
        ax = new_axes() if ax is None else ax
        # each grouped step's value at its last event time, joined by straight lines: within a group the
        # path is not published, and a flat line ending in a jump would read as a sudden rise
        g = steps.table
        x = np.concatenate([[0.0], g.time.to_numpy(float)])
        y, lo, hi = (100 * np.concatenate([[0.0], g[c].to_numpy(float)]) for c in ("estimate", "low", "high"))
        ax.plot(x, y, color=colour, marker="o", markersize=3 if len(g) <= 30 else 0, lw=1.6, label=label)
        ax.fill_between(x, lo, hi, color=colour, alpha=0.15, linewidth=0)
        drawn.append(steps)
    if ax is None:
        return None, []
    if mark is not None:
        ax.axvline(mark, color=GREY, ls="--", lw=1)
    last = max(float(s.table.time.max()) for s in drawn)  # no empty stretch after the curves and the mark
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, min(float(xlim), 1.08 * max(last, float(mark or 0))))
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    _legend_outside(ax)
    return ax, drawn


class DistrictReport:
    """All content of one district's report (or the whole force's), formatted from the render's study.

    Every number is the study's ([`AreasStudy`][foundation_eval.evaluation.areas.AreasStudy], fitted
    once per render); nothing is fitted here. Each method returns a publication item; nothing is printed
    or written until the notebook shows it or `report.page.write_workbook(path)` writes the tables.
    Every count, in a table or a sentence, passes the page's disclosure rule (rounded to the programme's
    base; counts from 1 to threshold - 1 withheld).

    Parameters
    ----------
    snap : Snapshot
        The render's snapshot ([`open_snapshot`][foundation_eval.evaluation.snapshot.open_snapshot] or
        [`build_snapshot`][foundation_eval.evaluation.snapshot.build_snapshot]), not a bare `Dataset`.
    district : str, optional
        District id or name (case-insensitive, e.g. `"SOU"` or `"Southampton"`); None, `""`, `"force"`
        or `"all"` for the whole force.
    start, end : str, optional
        First and last month (YYYY-MM) of first listings; they must be the study's period (another
        period needs its own study: `study_for_period(snap, start, end)` of
        [`areas`][foundation_eval.evaluation.areas], passed as `study`).
    study : AreasStudy, optional
        The study to format; default the snapshot's (`snap.study("areas")`).

    Attributes
    ----------
    page : Page
        Everything the report publishes ([`Page`][foundation_eval.reporting.publication.Page]).
    study : AreasStudy
        The study formatted.
    area, force : Area
        This area's figures and the whole force's (the same objects on every page of the render).
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
    ValueError
        When `start` or `end` differ from the study's period.

    Examples
    --------
    On the built-in synthetic force (the first call builds or reads the cached demo snapshot):

    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> report = DistrictReport(open_snapshot(), "Southampton")
    >>> report.district_id, report.where, report.window
    ('SOU', 'in Southampton', 90)
    >>> [getattr(part, "heading", "") for part in report.sections()]
    ['', 'Summary', 'List size', 'Who was listed', 'Risk assessment', 'Engagement funnel', 'Engagement',
     'Referrals', 'Reoffending', 'Methods', 'Disclosure control', 'Provenance',
     'Technical appendix']
    >>> [t.name for t in report.page.tables][:4]
    ['brief_quarters', 'list_size', 'who_was_listed', 'ppit_bands']

    In a notebook, `show(report.brief(), report.funnel())` displays two parts and
    `report.page.write_workbook("district.xlsx")` writes every published table.
    """

    def __init__(self, snap, district: str | None = None, start: str | None = None, end: str | None = None,
                 study=None):
        if isinstance(snap, Dataset):
            raise TypeError("DistrictReport takes a render snapshot: open_snapshot(snapshot_dir, programme) or "
                            "build_snapshot(dataset) from foundation_eval.evaluation.snapshot")
        self.snap = snap
        prog = snap.programme
        self.study = study if study is not None else snap.study(STUDY)
        for given, have in ((start, self.study.start), (end, self.study.end)):
            if given and pd.Period(given, "M") != have:
                raise ValueError(f"the study covers {self.study.start} to {self.study.end}; for another period fit "
                                 "study_for_period(snap, start, end) of foundation_eval.evaluation.areas and pass "
                                 "it as study=")
        self.district = district
        if district in (None, "", "force", "all"):
            self.district_id = None
            self.name = f"{prog.force or prog.name} (all districts)"
            self.go_live = self.practitioners_from = None
        else:
            d = prog.district(district)
            self.district_id, self.name, self.go_live, self.practitioners_from = (d.id, d.name, d.go_live,
                                                                                  d.practitioner_from)
        self.area = self.study.area(self.district_id)
        self.force = self.study.force
        self.start, self.end = str(self.study.start), str(self.study.end)
        self.window = int(self.study.window)
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

    # ------------------------------------------------------------------ headline figures (the study's)
    def _pair(self, attr: str) -> dict:
        return {"here": getattr(self.area, attr), "force": getattr(self.force, attr)}

    @property
    def engaged(self) -> dict:
        """`{"here", "force"}`: the study's shares of listed people engaged within the window."""
        return self._pair("engaged")

    @property
    def started(self) -> dict:
        """`{"here", "force"}`: the study's shares who started a referred service within 12 months."""
        return self._pair("started")

    @property
    def completed(self) -> dict:
        """`{"here", "force"}`: the study's shares who completed a referred service within 12 months."""
        return self._pair("completed")

    @property
    def reoffended(self) -> dict:
        """`{"here", "force"}`: the study's 12-month reoffending shares."""
        return self._pair("reoffended")

    @cached_property
    def practitioner_comparison(self) -> dict:
        """Engagement within the window by team at listing in this area, and the difference.

        A dict with keys `exists`, `groups` (team to its published share), `people` (team to its exact
        number of listed people, not for publication), `difference`, `low`, `high` and `estimate`. In a
        district, `exists` is true only when both teams listed people there and both shares may be
        published; the difference (with practitioners minus police alone, as a proportion) and its
        Newcombe (1998) hybrid score interval are worked out from the published shares
        ([`difference_of`][foundation_eval.reporting.district_report.difference_of]), so they say nothing
        finer than the published counts. For the whole force the difference is the registered estimand
        `engagement_rd_practitioner` read from the snapshot (`estimate`, an
        [`EstimateView`][foundation_eval.reporting.publication.EstimateView]), so the force page and
        `results.json` give one value.
        """
        d = self.area.practitioner
        counts = {"with practitioners": (d.x1, d.n1), "police alone": (d.x0, d.n0)}
        groups = {t: self.page.share(*counts[t]) for t in counts}
        out = {"groups": groups, "people": {t: counts[t][1] for t in counts}, "estimate": None}
        if self.district_id is None:
            e = self.page.estimate("engagement_rd_practitioner")
            return {**out, "exists": e.available, "difference": e.estimate, "low": e.ci_low, "high": e.ci_high,
                    "estimate": e}
        diff = difference_of(groups["with practitioners"], groups["police alone"]) if d.n1 and d.n0 else None
        if diff is None:
            return {**out, "exists": False, "difference": None, "low": None, "high": None}
        return {**out, "exists": True, **diff}

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
        """People screened, meeting the criteria, on the list and listed for the first time, through the page.

        Monthly counts; where more than 30% of the live months would be withheld, quarterly counts
        (distinct people in each quarter) instead. A tuple `(table, per, exact)`: the published
        [`Table`][foundation_eval.reporting.publication.Table] `list_size`, `"month"` or `"quarter"`,
        and the study's exact frame behind it with its `_period` column (not for publication)."""
        cols = ["screened", "eligible", "on_list", "new_listings"]
        monthly = self.area.list_monthly
        live = monthly.month >= (self.go_live or self.snap.programme.study_start)
        hidden = monthly.on_list.map(self.page.rule.hidden)
        frame, per = monthly.rename(columns={"month": "period"}), "month"
        if live.any() and hidden[live].mean() > 0.3:
            frame, per = self.area.list_quarterly.rename(columns={"quarter": "period"}), "quarter"
        frame = frame.assign(_period=frame.period, period=[_month(m) for m in frame.period])
        n_crit = len(self.snap.programme.criteria)
        t = self.page.table(
            "list_size", frame[["period", *cols]], title=f"People screened, meeting the criteria and on the list "
            f"each {per}: {self.name}", counts=cols, additive=False,
            headings={"period": per.capitalize(), "screened": "People screened", "eligible": f"Met all {n_crit} criteria",
                      "on_list": "On the list", "new_listings": "Listed for the first time"},
            notes=(f"Counts of people in each {per}"
                   + ("; a person on the list in several months of a quarter counts once in it." if per == "quarter"
                      else ".") + " Listed for the first time: people put on the list for the first time.",))
        return t, per, frame.reset_index(drop=True)

    # Table 1, the risk-tool bands and the funnel count the same people: they are published together
    @cached_property
    def _linked_specs(self) -> list:
        """Table 1, the risk-tool bands (with a risk tool) and the funnel as the page publishes them: a list of
        `(name, exact frame, keyword arguments of Page.table)`."""
        prog = self.snap.programme
        one = self.area.table_one.copy()
        one["characteristic"] = one.characteristic.str.replace("2 years", "two years")
        one["category"] = one.category.map(sentence_case)
        specs = [("who_was_listed", one, dict(
            title=f"Characteristics of listed people at their first listing: {self.name}",
            counts={"n": ["percent"]}, additive_within="characteristic", kinds={"percent": "percent"},
            shares={"percent": ("n", "total")},
            headings={"characteristic": "Characteristic", "category": "Group", "n": "People",
                      "percent": "Percent of listed people"},
            notes=("Percentages are of all listed people in the area and period.",)))]
        if prog.has_risk_tool and self.area.ppit_bands is not None:
            bands = self.area.ppit_bands.copy()
            bands["priority"] = np.where(bands.priority, "Yes", "No")
            specs.append(("ppit_bands", bands, dict(
                title=f"Listed people by {prog.ppit_name} total score (first rating): {self.name}",
                counts=["n"], headings={"band": "Score band", "n": "People", "priority": "Priority band"},
                notes=(f"Scores of {prog.ppit_threshold} or more mark a priority perpetrator.",))))
        f = self.area.funnel.drop(columns="stage")
        f["label"] = [lab if i < 2 else f"... and {lab[0].lower()}{lab[1:]}" for i, lab in enumerate(f.label)]
        specs.append(("funnel", f, dict(
            title=f"From listing to completed service: {self.name}",
            counts={"n": ["percent", "ci_low", "ci_high", "percent_of_previous"]}, additive=False, nested=True,
            shares={"percent": ("n", "first", "ci_low", "ci_high"), "percent_of_previous": ("n", "previous")},
            kinds={c: "percent" for c in (*_PCT, "percent_of_previous")},
            headings={"label": "Stage (each counts people who also reached every stage above it)",
                      "n": "People", "percent": "Percent of listed people", "ci_low": "95% interval from",
                      "ci_high": "95% interval to", "percent_of_previous": "Percent of the stage above"},
            notes=("Records on or after the first listing, at any time up to the extract date. Wilson 95% intervals.",
                   "A share is not published when fewer than the threshold reached, or did not reach, the stage."))))
        return specs

    def _links(self, page: Page, specs: dict) -> None:
        """Tell the audit which published counts are the same people: the funnel's assessed people are Table
        1's priority and not-priority rows and all the risk-tool bands, and the bands at or above the
        threshold are Table 1's priority row (each linked only where the exact counts agree, so that the
        audit never rests on a false link)."""
        if "ppit_bands" not in specs:
            return
        one, bands, funnel = specs["who_was_listed"], specs["ppit_bands"], specs["funnel"]
        rows = {c: np.flatnonzero(((one.characteristic == "PPIT assessment") & (one.category == c)).to_numpy())
                for c in ("Priority", "Not priority")}
        stage = np.flatnonzero((self.area.funnel.stage == "assessed").to_numpy())
        if not all(len(r) == 1 for r in rows.values()):
            return
        pri, nopri = (int(rows[c][0]) for c in ("Priority", "Not priority"))
        top = np.flatnonzero((bands.priority == "Yes").to_numpy())
        if len(top) and bands.n.iloc[top].sum() == one.n.iloc[pri]:
            page.link([page.cell("ppit_bands", "n", int(r)) for r in top], page.cell("who_was_listed", "n", pri),
                      "people assessed as a priority")
        if len(stage) and funnel.n.iloc[int(stage[0])] == one.n.iloc[pri] + one.n.iloc[nopri]:
            page.link(page.cell("funnel", "n", int(stage[0])),
                      [page.cell("who_was_listed", "n", pri), page.cell("who_was_listed", "n", nopri)],
                      "people assessed with the risk tool")
        if len(stage) and bands.n.sum() == funnel.n.iloc[int(stage[0])]:
            page.link([page.cell("ppit_bands", "n", i) for i in range(len(bands))],
                      page.cell("funnel", "n", int(stage[0])), "people assessed with the risk tool, by band")

    @staticmethod
    def _hide(name: str, frame: pd.DataFrame, extra: np.ndarray) -> dict:
        """The `hide` of a linked table: the extra withheld counts, and in the funnel the share of the stage
        below each (a share of the stage above would give the withheld count's published value back)."""
        m = np.asarray(extra, bool)
        if name == "who_was_listed":
            return {"n": m, "percent": m}
        if name == "funnel":  # the first stage (all listed) is never withheld here: Table 1's totals give it
            below = np.concatenate([[False], m[:-1]])
            return {"n": m, "percent": m, "ci_low": m, "ci_high": m, "percent_of_previous": m | below}
        return {"n": m}

    def _trial(self, specs: list, extra: dict):
        """Publish the linked tables on a scratch page and audit them: the failing cells (table name, row)."""
        from foundation_eval.reporting.audit import audit

        scratch = Page(self.snap, self.name)
        for name, frame, kw in specs:
            scratch.table(name, frame, hide=self._hide(name, frame, extra[name]), **kw)
        self._links(scratch, {name: frame for name, frame, _ in specs})
        facts = scratch.facts()
        audited = [k for k, q in facts.quantities.items() if q["audit"] is not None]
        result = audit(facts)  # one row per audited count, in the order of the facts
        if len(result.cells) != len(audited):
            raise RuntimeError("the audit's rows no longer follow its facts: linked suppression cannot map them")
        bad = result.cells.verdict.isin(["narrow", "exact", "infeasible"]).to_numpy()
        out = []
        for k in (k for k, b in zip(audited, bad, strict=True) if b):
            parts = k.split(":")
            if parts[0] == "t" and parts[2].isdigit():
                out.append((parts[1], int(parts[2])))
        return out

    @cached_property
    def linked_withheld(self) -> dict:
        """Counts of Table 1, the risk-tool bands and the funnel withheld beyond each table's own suppression.

        The three tables count the same people (the funnel's "Listed" is Table 1's total; its "Assessed" is
        Table 1's priority and not-priority rows; the bands at or above the threshold are the priority row).
        Published together, rounded counts can narrow a withheld one: "Listed" less "Assessed" gives the
        people not assessed to within the rounding, and a characteristic's total less its one published
        group gives the sum of its withheld groups. So the three are published first on a scratch page and
        audited together ([`audit`][foundation_eval.reporting.audit.audit]); while a withheld count is
        narrowed, one more count is withheld, the smallest of its own characteristic (or table) that clears
        it, else the smallest linked count that does.

        Returns
        -------
        dict
            Table name to a boolean array over its rows: counts withheld to protect a linked table.
        """
        specs = self._linked_specs
        frames = {name: frame for name, frame, _ in specs}
        extra = {name: np.zeros(len(frame), bool) for name, frame, _ in specs}
        for _ in range(sum(len(f) for f in frames.values())):
            failing = self._trial(specs, extra)
            if not failing:
                break
            name, row = failing[0]
            own = self._candidates(frames, extra, name, row, same_group_only=True)
            chosen = None
            for cand in self._candidates(frames, extra, name, row):
                trial = {k: v.copy() for k, v in extra.items()}
                trial[cand[0]][cand[1]] = True
                if (name, row) not in self._trial(specs, trial):
                    chosen = [cand]
                    break
            # nothing alone clears it: withhold the rest of its group, else every candidate
            for tab, i in chosen or own or self._candidates(frames, extra, name, row):
                extra[tab][i] = True
        return extra

    def _candidates(self, frames: dict, extra: dict, name: str, row: int, same_group_only: bool = False) -> list:
        """Published counts that could be withheld to protect a narrowed count, nearest first: its own
        characteristic (or table), smallest first, then the other linked tables, smallest first."""
        rule = self.page.rule

        def published(tab):
            f = frames[tab]
            return [i for i in range(len(f)) if not extra[tab][i] and not rule.hidden(f.n.iloc[i])
                    and f.n.iloc[i] > 0]

        f = frames[name]
        own = [i for i in published(name) if (name, i) != ("funnel", 0)]
        if name == "who_was_listed":
            own = [i for i in own if f.characteristic.iloc[i] == f.characteristic.iloc[row]]
        out = [(name, i) for i in sorted(own, key=lambda i: f.n.iloc[i])]
        if same_group_only:
            return out
        others = [(tab, i) for tab in frames if tab != name for i in published(tab) if (tab, i) != ("funnel", 0)]
        return out + sorted(others, key=lambda c: frames[c[0]].n.iloc[c[1]])

    def _publish_linked(self, name: str):
        """Publish one of the linked tables with its extra withheld counts (the links are told to the page
        once: they resolve when both tables are published)."""
        _, frame, kw = next(s for s in self._linked_specs if s[0] == name)
        t = self.page.table(name, frame, hide=self._hide(name, frame, self.linked_withheld[name]), **kw)
        if not getattr(self, "_linked_told", False):
            self._links(self.page, {n: f for n, f, _ in self._linked_specs})
            self._linked_told = True
        return t

    @cached_property
    def table_one(self):
        """The published `who_was_listed` table: characteristics of listed people at first listing, with the
        percentage of all listed people worked out by the page from the published counts (each
        characteristic's published counts over their published total), and the counts withheld to protect
        the linked tables ([`linked_withheld`][foundation_eval.reporting.district_report.DistrictReport.linked_withheld])."""
        return self._publish_linked("who_was_listed")

    @cached_property
    def ppit(self):
        """The published `ppit_bands` table: listed people by band of the risk-tool total (first rating)."""
        return self._publish_linked("ppit_bands")

    @cached_property
    def funnel_table(self):
        """The engagement funnel of this area's listed people, through the page.

        Stages are nested (a person counts at a stage only if they reached every stage above it), and the
        page knows it (`nested`). Each share, of listed people with its Wilson interval and of the stage
        above, is worked out by the page from the published counts, and withheld when the people reaching,
        or not reaching, the stage number 1 to threshold - 1. Where the programme has a risk tool, the
        stage "Assessed" is linked to Table 1's assessed people (priority and not), the same people.
        """
        return self._publish_linked("funnel")

    # ------------------------------------------------------------------ page parts
    def header(self) -> Text:
        """The page title, the period of listings and the synthetic-data flag.

        Returns
        -------
        Text
            Title and subtitle (with the report stylesheet for JupyterLab).
        """
        return self.page.header(f"Listings from {_month(self.start)} to {_month(self.end)}.")

    def _list_sentence(self) -> Text:
        """New listings in the period and the average number on the list each month once live."""
        monthly = self.area.list_monthly
        first_live = self.go_live or min(d.go_live for d in self.snap.programme.districts)
        live = monthly[monthly.month >= first_live]
        avg = live.on_list.mean() if len(live) else None
        return self.page.say(
            "Between {{ a }} and {{ b }}, {{ n | count }} {{ 'was' if n == 1 else 'were' }} put on the programme list "
            "for the first time {{ where }}{% if avg is not none %}; once the programme was live, on average "
            "{{ avg | count }} were on the list each month{% endif %}.", a=_month(self.start), b=_month(self.end),
            n=self.area.listed, where=self.where, avg=avg)

    def _headline_items(self) -> list:
        """The period's headline shares, one sentence each, as every section words them."""
        m = self.study.measures
        return [self._share_sentence(self.area.engaged, m["engagement"].did, of=m["engagement"].base, short=True),
                self._share_sentence(self.area.started, m["referral"].did, of=m["referral"].base, short=True),
                self._share_sentence(self.area.reoffended, m["reoffending"].did, of=m["reoffending"].base,
                                     short=True)]

    def brief(self) -> Section:
        """The one-page brief at the top of the report: the verdict, the headline figures and what needs
        attention.

        The pre-specified primary analysis's verdict with its power statement (force-wide:
        [`primary_verdict`][foundation_eval.reporting.district_report.primary_verdict]), the period's
        new listings and average list size, the three headline shares, the `brief_quarters` table (this
        quarter against the one before and the same quarter a year before), the practitioner claim where
        the data support it, and what needs attention in this area (outside the funnel plots' 99.8%
        control limits, far fewer screening records than usual). Short enough for one A4 side.

        Returns
        -------
        Section
            "Summary", ending in a page break for print.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> brief = DistrictReport(open_snapshot(), "Southampton").brief()
        >>> brief.heading, [type(i).__name__ for i in brief.items][:3]
        ('Summary', ['Text', 'Text', 'Text'])
        >>> print(brief.items[1].plain)
        Between January 2019 and December 2024, ... people were put on the programme list for the first time
        in Southampton; once the programme was live, on average ... were on the list each month.
        """
        p = self.page
        scope = p.paragraph("The verdict is for the whole force; the figures below describe "
                            + ("this district." if self.district_id else "the force."))
        items = [Text(f"<div class='fe-summary'>{primary_verdict(p, self.study).html()}{scope.html()}</div>"),
                 self._list_sentence()]
        if self.area.listed:
            items.append(p.bullets(self._headline_items()))
        else:
            items.append(p.paragraph("There are no engagement, referral or reoffending figures to report."))
        t = quarter_table(p, self.area, self.study)
        if t is not None:
            items.append(t)
        claim = self.practitioner_claim()
        if claim is not None:
            items.append(claim)
        attention = attention_items(p, self.study, self.district_id)
        items.append(p.heading("Needs attention", level=3))
        items.append(p.bullets(attention) if attention else p.say(
            "Nothing: {% if force %}no district shown on the funnel plots lies outside{% else %}{{ name }} lies within"
            "{% endif %} the 99.8% control limits{% if not force %} of every funnel plot it is shown on{% endif %}, "
            "and no recent month has far fewer screening records than usual.", force=self.district_id is None,
            name=self.name))
        items.append(p.paragraph("These are descriptive figures: they show what happened, not what the programme "
                                 "caused."))
        items.append(Text("<div class='fe-page-break' style='break-after: page; page-break-after: always'></div>"))
        return Section("Summary", tuple(items))

    def _share_sentence(self, here, what: str, force=None, short: bool = False, of: str = "listed people") -> Text:
        """``46% of listed people engaged within 90 days of listing (95% interval ...)``; the same words in the
        brief (``short``) and in the section (with the count and the force-wide share)."""
        if not self.area.listed:
            return self.page.say("No one was listed {{ where }} in this period.", where=self.where)
        h = share_of(self.page, here)
        if h["pct"] is None:
            return self.page.say("Too few people {{ where }} to publish the share of {{ of }} who {{ what }} "
                                 "(fewer than {{ t }} with or without it).", where=self.where, of=of, what=what,
                                 t=self.threshold)
        f = share_of(self.page, force) if (force is not None and self.district_id) else None
        return self.page.say(
            "{% if not short %}{{ Where }}, {% endif %}{{ p | percent }} of {{ of }} {{ what }} "
            "(95% interval {{ lo | percent }} to {{ hi | percent }}{% if not short %}, of {{ n | count }}{% endif %})"
            "{% if force and force.pct is not none %}, against {{ force.pct | percent }} ({{ force.low | percent }} "
            "to {{ force.high | percent }}) across the force{% endif %}.",
            short=short, Where=self.where[0].upper() + self.where[1:], p=h["pct"], lo=h["low"], hi=h["high"],
            n=here.n, what=what, of=of, force=f)

    def list_size(self) -> Section:
        """The "List size" section: people meeting the criteria and on the list each month (or quarter).

        The chart is drawn from the published (rounded) counts; when every count is withheld there is no
        chart, only the sentence.

        Returns
        -------
        Section
            A sentence and the line chart (the counts themselves are in the workbook).
        """
        t, per, exact = self.list_sizes
        n_crit = len(self.snap.programme.criteria)
        sizes = pd.DataFrame({"period": exact._period, "eligible": t.values.eligible, "on_list": t.values.on_list})
        drawable = bool(sizes[["eligible", "on_list"]].fillna(0).to_numpy().sum())
        text = self.page.say(
            "Each month police data are screened against the {{ k | word }} criteria; people in a live district who "
            "meet all {{ k | word }} are on the list that month, and stay on it for as long as they meet them."
            "{% if per == 'quarter' %} Counts here are of people per quarter: monthly counts in this area are mostly "
            "too small to publish.{% endif %}{% if not drawable %} Even these counts are too small to publish, so "
            "there is no chart.{% endif %} The counts, with people listed for the first time, are in the workbook.",
            k=n_crit, per=per, drawable=drawable)
        if not drawable:  # every count withheld: an empty chart would say nothing
            return Section("List size", (text,))
        ax = new_axes()
        x = sizes.period.dt.to_timestamp()
        on = pd.to_numeric(sizes.on_list, errors="coerce")
        ax.fill_between(x, 0, on.fillna(0), where=on.notna().to_numpy(), step="mid", color=PALETTE[1], alpha=0.45,
                        linewidth=0, label="On the list")
        ax.plot(x, pd.to_numeric(sizes.eligible, errors="coerce"), color=PALETTE[0], lw=1.8, drawstyle="steps-mid",
                label=f"Met all {n_crit} criteria")
        if self.go_live is not None:
            ax.axvline(self.go_live.to_timestamp(), color=GREY, ls="--", lw=1, label="Went live")
        ax.set_xlabel(per.capitalize())
        ax.set_ylabel(f"People each {per}")
        ax.set_ylim(bottom=0)
        ax.set_title(f"People meeting the criteria and on the list each {per}: {self.name}")
        _legend_outside(ax, ncol=3)
        fig = self.page.figure(ax, f"Line chart of the number of people meeting all {n_crit} criteria and the number "
                                   f"on the list each {per} in {self.name}, {_month(self.start)} to {_month(self.end)}, "
                                   "as published (rounded; withheld counts left as gaps).", data=t)
        return Section("List size", (text, fig))

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

        The sentence states the number assessed as a priority only where Table 1 publishes that count
        (it is the same cell to the audit); where the table withholds it, the sentence gives no number.

        Returns
        -------
        Section or None
            A sentence with the number assessed as a priority, the bar chart of score bands (left out when
            every band is withheld) and the `ppit_bands` table; None for a programme without a risk tool.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> section = DistrictReport(open_snapshot(), "SOU").risk_assessment()
        >>> section.heading, [type(item).__name__ for item in section.items]
        ('Risk assessment', ['Text', 'Figure', 'Table'])
        """
        prog = self.snap.programme
        if not prog.has_risk_tool:
            return None
        t = self.ppit
        fig = None
        if t.values.n.fillna(0).sum() > 0:  # no chart when every band is withheld
            ax = ppit_histogram(t.values.assign(priority=t.values.priority == "Yes"), prog.ppit_threshold,
                                title=f"{prog.ppit_name} total scores: {self.name}")
            ax.set_ylabel("People")
            fig = self.page.figure(ax, f"Bar chart of the number of listed people in bands of {prog.ppit_name} total "
                                       f"from 0 to {prog.ppit_max}, as published; totals at or above "
                                       f"{prog.ppit_threshold} mark a priority perpetrator.", data=t)
        one = self.table_one
        row = np.flatnonzero(((one.values.characteristic == "PPIT assessment")
                              & (one.values.category == "Priority")).to_numpy())
        ref = self.page.cell("who_was_listed", "n", int(row[0])) if len(row) else None
        withheld = ref is not None and bool(one.suppressed.n.iloc[int(row[0])])  # no row: nobody was assessed
        text = self.page.say(
            "Practitioners score listed people on the {{ tool }} ({{ items | word }} items, total 0 to {{ top }}; "
            "{{ thr }} or more marks a priority perpetrator). {% if withheld %}The number of people listed {{ where }} "
            "who were assessed as a priority is not published, to protect small numbers in the table of who was "
            "listed.{% else %}Of the people listed {{ where }}, {{ k | count(same_as=ref) }} were assessed as a "
            "priority.{% endif %}", tool=prog.ppit_name, items=len(prog.ppit_items), top=prog.ppit_max,
            thr=prog.ppit_threshold, k=self.area.ppit_priority, where=self.where, withheld=withheld, ref=ref)
        return Section("Risk assessment", tuple(i for i in (text, fig, t) if i is not None))

    def funnel(self) -> Section:
        """The "Engagement funnel" section: listing to completed service, with its chart.

        Stages are nested: a person counts at a stage only if they reached every stage above it. Shares
        carry Wilson 95% intervals and are withheld when the people reaching, or not reaching, a stage
        number 1 to threshold - 1.

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
        engagement by team, drawn in grouped steps that pass the chart gate
        ([`km_chart`][foundation_eval.reporting.district_report.km_chart]).

        Returns
        -------
        Section
            Sentences, the table and the figure.
        """
        m = self.study.measures["engagement"]
        items = [self._share_sentence(self.area.engaged, m.did, self.force.engaged)]
        if len(self.area.teams):
            frame = self.area.teams.assign(team=self.area.teams.team.map(sentence_case))
            frame = frame[["team", "people", "engaged", "pct", "ci_low", "ci_high"]].rename(columns={"pct": "percent"})
            items.append(self.page.table(
                "engagement_by_team", frame, title=f"Listed people engaged within {self.window} days of listing, by "
                f"team at listing: {self.name}", counts={"people": list(_PCT), "engaged": list(_PCT)},
                kinds={c: "percent" for c in _PCT}, shares={"percent": ("engaged", "people", "ci_low", "ci_high")},
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
        curves = [(sentence_case(team), t) for team, t in self.area.engagement_curves.items()]
        ax, steps = km_chart(self.page, curves, "Days since first listing", "Percent engaged", self.window * 2,
                             f"Time to first engagement by team at listing: {self.name}", mark=self.window)
        if ax is not None:
            items.append(self.page.figure(
                ax, f"Kaplan-Meier curves of the cumulative percentage of listed people engaged by days since first "
                    f"listing, by team at listing, in {self.name}, with 95% intervals; the dashed line marks day "
                    f"{self.window}. {self._curve_words()}", caption=self._curve_words(), data=steps))
        return Section("Engagement", tuple(items))

    def _curve_words(self) -> str:
        """How a gated curve is drawn, in the words of a figure's alt text and caption."""
        t = self.threshold
        return (f"Each point is a step of at least {t} events among at least {t} people, worked out from the published "
                "counts; points are joined by straight lines, and a curve ends where the next step would rest on "
                "fewer.")

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

    def _stage_table(self, name: str, st: pd.DataFrame, by: str, heading: str, title: str, notes=()):
        """Referrals reaching each stage by ``by`` (the study's stage table), with the share started and the
        share of starts completed (accepted and dropped referrals are left out so that the table fits a
        printed page)."""
        st = st.copy()
        st[by] = st[by].map(sentence_case)
        st = st[[by, "referred", "started", "completed", "start_pct", "start_low", "start_high", "complete_pct"]]
        return self.page.table(
            name, st, title=title,
            counts={"referred": ["start_pct", "start_low", "start_high"],
                    "started": ["start_pct", "start_low", "start_high", "complete_pct"],
                    "completed": ["complete_pct"]},
            shares={"start_pct": ("started", "referred", "start_low", "start_high"),
                    "complete_pct": ("completed", "started")},
            kinds={c: "percent" for c in ("start_pct", "start_low", "start_high", "complete_pct")},
            headings={by: heading, "referred": "Referrals", "started": "Started", "completed": "Completed",
                      "start_pct": "Percent started", "start_low": "95% interval from", "start_high": "95% interval to",
                      "complete_pct": "Percent of starts completed"},
            notes=("Counts of referrals (a person may have several) made on or after the first listing, at any time "
                   "up to the extract date. Wilson 95% interval of the percentage started.", *notes))

    def referrals(self) -> Section:
        """The "Referrals" section: people who started (and completed) a referred service within 12 months,
        and referrals by pathway.

        Returns
        -------
        Section
            The shares who started and completed a referred service within 12 months of listing (Wilson
            95% intervals), the `referrals_by_pathway` table and one table for each coded referral column
            of the programme; a sentence instead when no referral was recorded.
        """
        m = self.study.measures["referral"]
        items = [self._share_sentence(self.area.started, m.did, self.force.started, of=m.base)]
        if share_of(self.page, self.area.completed)["pct"] is not None:
            items.append(self._share_sentence(self.area.completed, m.did.replace("started", "completed"),
                                              self.force.completed, of=m.base))
        tables = self.area.referral_tables
        if self.area.referrals and "pathway" in tables:
            items.append(self.page.paragraph("The table counts referrals by reducing-reoffending pathway."))
            items.append(self._stage_table("referrals_by_pathway", tables["pathway"], "pathway", "Pathway",
                                           f"Referrals by pathway: {self.name}"))
            for col in self.snap.programme.columns_for("referrals"):
                if col.name not in tables:
                    continue
                label = col.name.replace("_", " ")
                items.append(self.page.say("{{ d }}", d=col.description))
                items.append(self._stage_table(f"referrals_by_{col.name}", tables[col.name], col.name,
                                               label.capitalize(), f"Referrals by {label}: {self.name}"))
        else:
            items.append(self.page.say("No referrals were recorded for listed people {{ where }}.", where=self.where))
        return Section("Referrals", tuple(items))

    def reoffending(self) -> Section:
        """The "Reoffending" section: further domestic-abuse offences recorded for listed people.

        The share recorded for a further DA offence within 12 months among people followed for the whole
        window, how many were left out and why, Kaplan-Meier curves of time to the first further offence
        (against the whole force for a district), offences per 100 person-years with exact Poisson
        intervals, and harm per person-year (Crime Harm Index days) with the study's bootstrap interval.

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
        m = self.study.measures["reoffending"]
        a, w = self.area, self.area.window
        items = [self._share_sentence(a.reoffended, m.did, self.force.reoffended, of=m.base)]
        if a.listed:
            items.append(self.page.say(
                "{{ m }}-month outcomes: {{ n | count }} listed {{ where }} were followed for the whole window "
                "and {{ out | count }} were left out ({{ ex | count }} because they exited before the window "
                "closed, the others because the extract ends too soon).", m=12, n=w.observed, where=self.where,
                out=w.excluded, ex=w.excluded_exit))
        curves = [(self.name, a.reoffending_curve)]
        if self.district_id:
            curves.append(("Whole force", self.force.reoffending_curve))
        ax, steps = km_chart(self.page, curves, "Months since first listing",
                             "Percent recorded for a further DA offence", 36,
                             f"Time to first further domestic-abuse offence: {self.name}")
        if ax is not None:
            items.append(self.page.figure(
                ax, f"Kaplan-Meier curves of the cumulative percentage of listed people recorded for a further "
                    f"domestic-abuse offence by months since first listing, {self.name}"
                    + (" against the whole force" if self.district_id else "")
                    + f", with 95% intervals. {self._curve_words()}", caption=self._curve_words(), data=steps))
        rows = [("This area" if self.district_id else "Whole force", a.rates)]
        if self.district_id:  # the force's row is the study's force object, the same on every page
            rows.append(("Whole force", self.force.rates))
        frame = pd.DataFrame([{"group": g, "people": r.people, "offences": r.offences, "person_years": r.person_years,
                               "rate": r.rate, "ci_low": r.ci_low, "ci_high": r.ci_high, "harm": r.harm,
                               "harm_low": r.harm_low, "harm_high": r.harm_high, "new_victim": r.new_victim,
                               "escalated": r.escalated} for g, r in rows])
        small = [r.people < self.threshold for _, r in rows]
        area = {"group": "Area", "people": "People listed"}
        items.append(self.page.table(
            "reoffending_rates", frame[["group", "people", "offences", "person_years", "rate", "ci_low", "ci_high"]],
            title=f"Further domestic-abuse offences recorded for listed people per 100 person-years of follow-up: "
                  f"{self.name}",
            counts={"people": ["person_years", "rate", "ci_low", "ci_high"], "offences": ["rate", "ci_low", "ci_high"]},
            additive=False, rates={"rate": ("offences", "person_years", 100, "ci_low", "ci_high")},
            kinds={"person_years": "whole", "rate": "decimal1", "ci_low": "decimal1", "ci_high": "decimal1"},
            headings={**area, "offences": "Further DA offences", "person_years": "Person-years of follow-up",
                      "rate": "Offences per 100 person-years", "ci_low": "95% interval from",
                      "ci_high": "95% interval to"},
            notes=(f"Follow-up runs from the first listing to exit or the extract date. Person-years are published to "
                   f"the nearest {self.page.rule.exposure_base:g}; the rate and its exact Poisson interval are worked "
                   "out from the published offences and person-years.",)))
        items.append(self.page.table(
            "reoffending_harm", frame[["group", "people", "harm", "harm_low", "harm_high", "new_victim", "escalated"]],
            title=f"Harm of further domestic-abuse offences, new victims and escalation: {self.name}",
            counts={"people": [], "new_victim": [], "escalated": []}, additive=False,
            hide={c: small for c in ("harm", "harm_low", "harm_high")},
            kinds={"harm": "decimal1", "harm_low": "decimal1", "harm_high": "decimal1"},  # as on the overview
            headings={**area, "harm": "Harm per person-year (Crime Harm Index days)", "harm_low": "95% interval from",
                      "harm_high": "95% interval to", "new_victim": "People offending against a new victim",
                      "escalated": "People whose worst offence after listing was more harmful than before"},
            notes=(f"Harm per person-year carries a bias-corrected bootstrap interval resampling people "
                   f"({self.study.harm_draws:,} draws).",)))
        self.page.ledger.unaudited(HARM_UNAUDITED.format(table=f"Harm of further domestic-abuse offences, new victims "
                                                               f"and escalation: {self.name}"))
        items.append(self.page.paragraph(
            "These figures describe listed people; they are not a comparison with people who were not listed, so "
            "they do not show what the programme caused. The evaluation report estimates that."))
        return Section("Reoffending", tuple(items))

    def methods(self) -> Section:
        """The "Methods" section: who is counted, the programme's criteria and each headline definition.

        Returns
        -------
        Section
            Sentences and the list of criteria, in plain English (the functions behind each figure are in
            the technical appendix).
        """
        prog = self.snap.programme
        m = self.study.measures
        return Section("Methods", (
            self.page.say("People are counted once, from their first listing (the index date). The {{ k | word }} "
                          "criteria are:", k=len(prog.criteria)),
            self.page.bullets([label for _, label in prog.criteria]),
            self.page.say(
                "Engaged within {{ w }} days of listing means at least one contact recorded as engaged on or after "
                "the index date and no more than {{ w }} days after it, among all listed people. Started a referred "
                "service within 12 months of listing counts a service started on or after the index date and before "
                "its first anniversary, among {{ ref }}. A further domestic-abuse offence within 12 months counts "
                "police-recorded offences among {{ reo }}. Each figure is worded the same in the brief, in its "
                "section and on the force overview, and the force-wide figures are the same values on every page.",
                w=self.window, ref=m["referral"].base, reo=m["reoffending"].base),
            self.page.say(
                "Percentages, with their Wilson (1927) score intervals, and differences of two percentages, with "
                "Newcombe's (1998) interval, are worked out from the published counts; offence rates per 100 "
                "person-years, with exact Poisson intervals, from the published offences and person-years. Harm per "
                "person-year carries a bias-corrected bootstrap interval from {{ b }} resamples of people, the same "
                "for every area and independent of the order of the records. Time to engagement and to a further "
                "offence are Kaplan-Meier estimates, drawn in grouped steps of at least {{ t }} events among at least "
                "{{ t }} people, each step's value worked out from its published counts; a curve stops where a step "
                "would rest on fewer.",
                b=f"{self.study.harm_draws:,}", t=self.threshold)))

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

    def appendix(self) -> Section:
        """The technical appendix: the library function behind each figure of the page (for analysts).

        Returns
        -------
        Section
            "Technical appendix", a list of figures and the functions of
            `foundation_eval` that compute them.
        """
        return Section("Technical appendix", (
            self.page.paragraph("For analysts reproducing this report: every figure comes from one study of the "
                                "render, fitted once for every district and the force before any page is made, and "
                                "formatted here without refitting."),
            self.page.bullets([
                "The study: foundation_eval.evaluation.areas.fit_areas (registered as the snapshot's study "
                "\"areas\"), reading the reduced tables of foundation_eval.frames.reduce.",
                "List size: the reduced district_month and district_quarter tables; new listings from the person "
                "table.",
                "Who was listed: foundation_eval.frames.cohort.table_one; risk assessment: "
                "foundation_eval.frames.cohort.ppit_bands.",
                "Engagement funnel: foundation_eval.models.engagement.funnel.",
                "Shares: foundation_eval.evaluation.areas.Share (foundation_eval.stats.wilson_interval); teams "
                "compared: foundation_eval.evaluation.areas.Difference (foundation_eval.stats.newcombe_difference).",
                "Time to engagement and to a further offence: foundation_eval.models.reoffending.kaplan_meier.",
                "Referrals by pathway: foundation_eval.models.referrals.referral_frame and stage_table.",
                "Offence rates and harm: foundation_eval.evaluation.areas.Rates "
                "(foundation_eval.models.reoffending.event_rate and bootstrap_ratio).",
                "Force-wide difference between teams: the registered estimand engagement_rd_practitioner "
                "(foundation_eval.evaluation.registry), read from the snapshot.",
                "Verdict: the registered primary estimand of the programme file, read from the snapshot; its "
                "power statement: foundation_eval.evaluation.designs.PowerAnalysis.verdict_caveat.",
                "Disclosure: foundation_eval.reporting.publication.Page (shares and rates worked out from the "
                "published counts); curves: foundation_eval.reporting.disclosure.curve_steps; counts withheld to "
                "protect the linked tables: DistrictReport.linked_withheld, by foundation_eval.reporting.audit."])))

    def sections(self) -> list:
        """Every part of the report in reading order.

        Returns
        -------
        list
            The header (`Text`), the brief, then each `Section`, the technical appendix last; the
            risk-assessment section only for a programme with a risk tool.
        """
        parts = [self.header(), self.brief(), self.list_size(), self.who_was_listed(), self.risk_assessment(),
                 self.funnel(), self.engagement(), self.referrals(), self.reoffending(), self.methods(),
                 self.disclosure(), self.provenance(), self.appendix()]
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
