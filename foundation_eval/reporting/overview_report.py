"""Content of the force overview for the Police and Crime Commissioner, formatted from the render's study.

A one-page brief (the primary verdict with its power statement, this quarter against the last and the
same quarter a year before, what needs attention), all districts side by side on funnel plots
(Spiegelhalter 2005, Statistics in Medicine 24:1185-1202) rather than league tables, the measures mapped
to the five commissioning outcomes, the four pillars of risk management plans, the headline estimates of
the render (with their design and Maryland Scientific Methods Scale level), the methods, the disclosure
rule, provenance and a technical appendix.

Every number is read from the render's snapshot: the district-and-force study (`snap.study("areas")`,
[`AreasStudy`][foundation_eval.evaluation.areas.AreasStudy], fitted once for every district and the
force) and the registered estimates
([`Page.estimate`][foundation_eval.reporting.publication.Page.estimate]); nothing is fitted here. The
force figures are the same objects every district page compares with, so the overview, the district
pages and `results.json` give one value. Everything is published through one
[`Page`][foundation_eval.reporting.publication.Page] (`report.page`): tables and counts pass its
disclosure rule (counts rounded, 1 to threshold - 1 withheld), shares and rates are worked out from the
published counts, every chart is drawn from a published table and told to the page as its data, and
sentences are Jinja2 templates whose numbers go through its filters, so that the page passes the
intruder audit ([`audit`][foundation_eval.reporting.audit]). The notebook `notebooks/force_overview.ipynb` shows each section in
turn, the brief first.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

from foundation_eval.evaluation.areas import COMMISSIONING_OUTCOMES, MEASURES, RMP_PILLARS, Measure
from foundation_eval.evaluation.registry import REGISTRY, estimands_for
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting.disclosure import SUPPRESSED
from foundation_eval.reporting.district_report import (
    HARM_UNAUDITED,
    attention_items,
    primary_verdict,
    published_funnel,
    quarter_table,
    share_of,
)
from foundation_eval.reporting.figures import GREY, PALETTE, new_axes
from foundation_eval.reporting.publication import Page, Section, Table, Text

__all__ = ["OverviewReport", "EstimatesTable", "FunnelView", "COMMISSIONING_OUTCOMES", "RMP_PILLARS", "MEASURES"]

STUDY = "areas"
"""The snapshot's study the overview formats."""
LEVELS = (0.95, 0.998)
"""Control-limit coverages the guide to funnel plots describes when no plot could be drawn."""
_SIDES = {"above": "above", "below": "below"}
_LABEL_ALL = 20  # with more districts than this, only those outside the inner limits are named on a plot


def _lab(level: float) -> str:
    """A coverage as the page names it: 0.95 -> "95", 0.998 -> "99.8"."""
    return f"{100 * level:g}"


def _join(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class FunnelView:
    """A funnel plot of the districts as published.

    Attributes
    ----------
    measure : Measure
        The measure plotted ([`Measure`][foundation_eval.evaluation.areas.Measure]).
    result : FunnelPlotResult or None
        The study's result on exact counts (not for publication).
    drawn : FunnelPlotResult or None
        The districts that may be drawn, at their published (rounded) numbers of people and the shares
        worked out from their published counts, with the published force average as its `target`.
    limits : DataFrame or None
        The study's control limits over a grid of numbers of people.
    table : Table or None
        The published table of the plot (what the figure draws, passed to the page as its data).
    why : str
        Why there is no plot (empty when there is one).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> view = OverviewReport(open_snapshot()).funnels["engagement"]
    >>> view.table.name, set(view.withheld) <= set(view.result.units.unit)
    ('funnel_engagement', True)
    """

    measure: Measure
    result: object | None = None
    drawn: object | None = None
    limits: pd.DataFrame | None = None
    table: Table | None = None
    why: str = ""

    @property
    def withheld(self) -> list[str]:
        """Names of the districts left off the plot to protect small numbers."""
        return list(self.drawn.withheld) if self.drawn is not None else []


def _spread(targets: np.ndarray, gap: float) -> np.ndarray:
    """Label positions (axes fraction) in [0, 1], at least `gap` apart, in the order of `targets` and each
    run of crowded labels centred on its targets (clusters merged until none overlap)."""
    order = np.argsort(targets, kind="stable")
    t = np.clip(np.asarray(targets, float)[order], 0.0, 1.0)
    n = len(t)
    gap = min(gap, 1.0 / max(n, 1))
    clusters = [[i] for i in range(n)]

    def first(c):
        return float(np.mean(t[c])) - gap * (len(c) - 1) / 2

    merged = True
    while merged:
        merged = False
        for j in range(len(clusters) - 1):
            if first(clusters[j + 1]) - (first(clusters[j]) + gap * (len(clusters[j]) - 1)) < gap:
                clusters[j:j + 2] = [clusters[j] + clusters[j + 1]]
                merged = True
                break
    pos = np.concatenate([first(c) + gap * np.arange(len(c)) for c in clusters]) if n else t
    for i in range(n):  # keep inside the axes: up from the bottom, then down from the top
        pos[i] = max(pos[i], 0.0 if i == 0 else pos[i - 1] + gap)
    for i in range(n - 1, -1, -1):
        pos[i] = min(pos[i], 1.0 if i == n - 1 else pos[i + 1] - gap)
    out = np.empty_like(pos)
    out[order] = pos
    return out


def funnel_chart(drawn, limits: pd.DataFrame, title: str, xlabel: str, ylabel: str):
    """A funnel plot of districts: control limits, the force average, each district a dot named in a
    column beside the plot (joined to its dot, so no two names overprint) and a boxed legend below.

    Parameters
    ----------
    drawn : FunnelPlotResult
        The districts that may be drawn (`units` with `unit, n, value, position`), at their published
        numbers of people, with the result's `target` and `levels`.
    limits : DataFrame
        The control limits over a grid of numbers of people (`n`, `lower_95`, `upper_95`, ...).
    title, xlabel, ylabel : str
        Title and axis labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> units = pd.DataFrame({"unit": ["Alton", "Bray", "Corfe"], "n": [40.0, 120.0, 300.0],
    ...                       "value": [0.30, 0.55, 0.48], "position": ["within 95%", "above 95%", "within 95%"]})
    >>> limits = pd.DataFrame({"n": [30.0, 300.0], "lower_95": [0.3, 0.42], "upper_95": [0.66, 0.54],
    ...                        "lower_99.8": [0.22, 0.39], "upper_99.8": [0.74, 0.57]})
    >>> drawn = SimpleNamespace(units=units, target=0.48, levels=(0.95, 0.998))
    >>> ax = funnel_chart(drawn, limits, "Engaged", "People", "Percent engaged")
    >>> sorted(t.get_text() for t in ax.texts), ax.get_legend().get_frame_on()
    (['Alton', 'Bray', 'Corfe'], True)
    """
    ax = new_axes(figsize=(7.0, 4.4))
    styles = ("--", "-", ":")
    for i, lev in enumerate(sorted(drawn.levels)):
        lab = _lab(lev)
        ax.plot(limits.n, 100 * limits[f"upper_{lab}"], color=GREY, ls=styles[min(i, 2)], lw=1.1,
                label=f"{lab}% control limits")
        ax.plot(limits.n, 100 * limits[f"lower_{lab}"], color=GREY, ls=styles[min(i, 2)], lw=1.1)
    ax.axhline(100 * drawn.target, color=PALETTE[0], lw=1.2, label=f"Force average ({100 * drawn.target:.0f}%)")
    u = drawn.units
    outer, inner = _lab(max(drawn.levels)), _lab(min(drawn.levels))
    groups = ((f"within {inner}%",), (f"above {inner}%", f"below {inner}%"), (f"above {outer}%", f"below {outer}%"))
    names = (f"Inside the {inner}% limits", f"Between the {inner}% and {outer}% limits", f"Outside the {outer}% limits")
    for pos, name, colour in zip(groups, names, (PALETTE[0], PALETTE[1], PALETTE[3]), strict=True):
        g = u[u.position.isin(pos)]
        if len(g):
            ax.scatter(g.n, 100 * g.value, s=36, color=colour, edgecolor="black", linewidth=0.5, zorder=3, label=name)
    ax.set_xlim(0, 1.05 * max(float(limits.n.max()), float(u.n.max()) if len(u) else 1.0))
    top = max(float(limits[[c for c in limits if c.startswith("upper")]].to_numpy().max()),
              float(u.value.max()) if len(u) else 0.0)
    ax.set_ylim(0, 100 * min(1.0, 1.08 * top))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    named = u if len(u) <= _LABEL_ALL else u[u.position != f"within {inner}%"]
    if len(named):
        lo, hi = ax.get_ylim()
        frac = (100 * named.value.to_numpy(float) - lo) / (hi - lo)
        height = ax.get_position().height * ax.figure.get_size_inches()[1]
        ys = _spread(frac, 1.3 * 7 / 72 / height)
        for name, x, y, ly in zip(named.unit, named.n, named.value, ys, strict=True):
            ax.annotate(str(name), xy=(float(x), 100 * float(y)), xycoords="data", xytext=(1.03, ly),
                        textcoords="axes fraction", fontsize=7, va="center", ha="left",
                        arrowprops={"arrowstyle": "-", "color": GREY, "lw": 0.5, "shrinkA": 0, "shrinkB": 3})
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=True,
              framealpha=1.0, edgecolor=GREY, fontsize=8)
    return ax
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
    """All content of the force overview, formatted from the render's study and published through ``self.page``.

    Parameters
    ----------
    snap : Snapshot
        The render's snapshot ([`open_snapshot`][foundation_eval.evaluation.snapshot.open_snapshot]): the dataset with
        its reduced tables, the registered estimates and the district-and-force study.
    start, end : str, optional
        First and last month (YYYY-MM) of first listings; they must be the study's period (another period
        needs its own study: `study_for_period(snap, start, end)` of
        [`areas`][foundation_eval.evaluation.areas], passed as `study`). Headline estimates use the whole
        extract whatever the period.
    parameters : dict, optional
        Extra parameters for the provenance block (e.g. the data folder's name).
    study : AreasStudy, optional
        The study to format; default the snapshot's (`snap.study("areas")`).

    Attributes
    ----------
    page : Page
        Everything the report publishes; `report.page.write_workbook(path)` writes its tables.
    study : AreasStudy
        The study formatted; `study.force` is the force's [`Area`][foundation_eval.evaluation.areas.Area].
    area : str
        The force's name (or the programme's, when it names no force).
    start, end : str
        First and last month of first listings covered (YYYY-MM).
    window : int
        The programme's engagement window in days.
    measures : dict
        Each of [`MEASURES`][foundation_eval.evaluation.areas.MEASURES] to its
        [`Measure`][foundation_eval.evaluation.areas.Measure]: one definition and one wording.

    Raises
    ------
    ValueError
        When `start` or `end` differ from the study's period.

    Examples
    --------
    On the built-in synthetic force:

    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> report = OverviewReport(open_snapshot())
    >>> report.subtitle
    'Hampshire and Isle of Wight Constabulary, people first listed 2019-01 to 2024-12.'
    >>> [getattr(part, "heading", "") for part in report.sections()]
    ['', 'Summary', 'How to read a funnel plot', 'Engaged within 90 days of listing',
     'Started a referred service within 12 months of listing',
     'Further domestic-abuse offence within 12 months of listing', 'Commissioning outcomes',
     'Risk management plans: the four pillars', 'Headline estimates', 'Methods', 'Disclosure control',
     'Provenance', 'Technical appendix']
    >>> [t.name for t in report.page.tables][:4]
    ['brief_quarters', 'funnel_engagement', 'funnel_referral', 'funnel_reoffending']
    """

    def __init__(self, snap, start: str | None = None, end: str | None = None, parameters: dict | None = None,
                 study=None):
        prog = snap.programme
        self.snap = snap
        self.programme = prog
        self.study = study if study is not None else snap.study(STUDY)
        for given, have in ((start, self.study.start), (end, self.study.end)):
            if given and pd.Period(given, "M") != have:
                raise ValueError(f"the study covers {self.study.start} to {self.study.end}; for another period fit "
                                 "study_for_period(snap, start, end) of foundation_eval.evaluation.areas and pass "
                                 "it as study=")
        self.absent = snap.dataset.absent
        self.start, self.end = str(self.study.start), str(self.study.end)
        self.window = int(self.study.window)
        self.area = prog.force or prog.name
        self.measures = self.study.measures
        self.page = Page(snap, "force overview", kind="For the Police and Crime Commissioner",
                         parameters={"programme": prog.id, "period_start": self.start, "period_end": self.end,
                                     **(parameters or {})})

    # ------------------------------------------------------------------ the headline measures, once
    @cached_property
    def shares(self) -> dict:
        """Force-wide share of each measure as published, or None when the table it rests on is absent.

        Each share is the study's force object (`study.force.engaged`, `.started`, `.reoffended`, the
        same on every district page) under the page's rule: `k` and `n` as published (rounded), `pct`,
        `low` and `high` in percent with a Wilson 95% interval, all None when withheld on small groups.
        The same value is the force average of the measure's funnel plot.
        """
        f = self.study.force
        own = {"engagement": f.engaged, "referral": f.started, "reoffending": f.reoffended}
        return {key: None if m.needs in self.absent else share_of(self.page, own[key])
                for key, m in self.measures.items()}

    # ------------------------------------------------------------------ funnels
    @cached_property
    def funnels(self) -> dict[str, FunnelView]:
        """Each measure to its [`FunnelView`][foundation_eval.reporting.overview_report.FunnelView]: the
        study's funnel plot of the districts under the disclosure rule, and its published table."""
        return {key: self._funnel(key) for key in MEASURES}

    def _funnel(self, key: str) -> FunnelView:
        fv = self.study.funnels[key]
        m = fv.measure
        if fv.result is None:
            return FunnelView(m, why=fv.why)
        res = fv.result
        hidden, shown = published_funnel(self.page, fv)
        outer, inner = _lab(max(res.levels)), _lab(min(res.levels))
        plain = {f"{side} {_lab(lev)}%": f"{_SIDES[side]} the {_lab(lev)}% limit" for side in _SIDES for lev in res.levels}
        plain[f"within {inner}%"] = "inside the limits"
        rows = pd.DataFrame({"unit": fv.districts.name.to_numpy(), "go_live": fv.districts.go_live.to_numpy(),
                             "n": res.units.n.to_numpy(int), "k": res.units.k.to_numpy(int), "percent": np.nan,
                             "position": res.units.position.map(plain).to_numpy()})
        table = self.page.table(
            f"funnel_{key}", rows, title=f"{m.title}, by district", counts={"n": ["percent"], "k": ["percent"]},
            kinds={"percent": "percent"}, additive=False, shares={"percent": ("k", "n")},
            hide={c: hidden for c in ("n", "k", "percent", "position")},
            headings={"unit": "District", "go_live": "Went live", "n": "People", "k": "With the outcome",
                      "percent": "Percent", "position": "Against the limits"},
            notes=(f"People: {m.base}. With the outcome: people who {m.did}. Percentages are worked out from the "
                   "published counts.",
                   f"Position against the {inner}% and {outer}% control limits is worked out from the exact counts."))
        # drawn from the published table: each district shown at its published number of people and share
        pub = table.values
        units = res.units[~hidden].assign(n=pub.n.to_numpy(float)[~hidden],
                                          value=pub.percent.to_numpy(float)[~hidden] / 100)
        force = self.shares[key]
        if force is None or force["pct"] is None:  # the force average itself may not be published: no plot
            units = units.iloc[:0]
        target = force["pct"] / 100 if force is not None and force["pct"] is not None else res.target
        drawn = replace(shown, units=units.reset_index(drop=True), withheld=tuple(res.units.unit[hidden]),
                        target=target)
        return FunnelView(m, res, drawn, fv.limits, table)

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
                parts.append(f"{' and '.join(bits)} the {_lab(max(view.drawn.levels))}% limits for people who "
                             f"{view.measure.did}")
            else:
                clean.append(view.measure.title[0].lower() + view.measure.title[1:])
        if not drawn:
            return self.page.say("No district could be placed on a funnel plot: the numbers in each district are "
                                 "too small to publish.")
        every = "every district shown" if withheld else "every district"
        if not parts:
            return self.page.say(
                "On the funnel plots {{ every }} lies within the {{ top }}% control limits for {{ which }}, so the "
                "differences between districts are no larger than chance alone would often produce"
                "{% if withheld %} (smaller districts are left off to protect small numbers){% endif %}.",
                every=every, top=_lab(max(LEVELS)), withheld=withheld,
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

    def _share_item(self, key: str) -> Text:
        """One headline share of the force, worded as every page words it."""
        m, s = self.measures[key], self.shares[key]
        if s is None:
            return self.page.say("{{ what }}: not reported, the extract holds no {{ table }} table.",
                                 what=m.title, table=m.needs)
        if s["pct"] is None:
            return self.page.say("Too few people to publish the share of {{ base }} who {{ did }}.", base=m.base,
                                 did=m.did)
        return self.page.say("{{ p | percent }} of {{ base }} {{ did }} (95% interval {{ lo | percent }} to "
                             "{{ hi | percent }}).", p=s["pct"], lo=s["low"], hi=s["high"], base=m.base, did=m.did)

    def summary_sentences(self) -> list[Text]:
        """The brief's sentences: the verdict first, then the force's figures, the funnel plots and the
        supporting reoffending design.

        The verdict of the pre-specified primary analysis with its power statement, the number put on the
        list and the average list size, the three headline shares (the study's force objects, worded as
        on every district page), what the funnel plots show, and the supporting reoffending design with
        its Maryland level. A claim is worded only as strongly as its interval allows.

        Returns
        -------
        list of Text
            At most seven sentences.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> sentences = OverviewReport(open_snapshot()).summary_sentences()
        >>> print(sentences[0].plain)
        Did it work? Primary analysis: ... The pre-specified primary analysis (DA offences per 100
        eligible person-months, ...) gives ... (Maryland Scientific Methods Scale level 4). This evaluation
        could not have detected a reduction of 30%, ...
        >>> print(sentences[1].plain)
        Between January 2019 and December 2024, ... people were put on the programme list for the first time
        across 14 districts; once the programme was live, on average ... were on the list each month.
        """
        f = self.study.force
        districts = [a for a in self.study.areas.values() if a.district_id and a.listed]
        live = f.list_monthly[f.list_monthly.month >= min(d.go_live for d in self.programme.districts)]
        s = [primary_verdict(self.page, self.study),
             self.page.say(
                 "Between {{ start }} and {{ end }}, {{ n | count }} were put on the programme list for the first time "
                 "across {{ d | word }} {{ d | plural('district') }}{% if avg is not none %}; once the programme was "
                 "live, on average {{ avg | count }} were on the list each month{% endif %}.",
                 start=pd.Period(self.start, "M").strftime("%B %Y"), end=pd.Period(self.end, "M").strftime("%B %Y"), n=f.listed, d=len(districts), avg=live.on_list.mean() if len(live) else None),
             *(self._share_item(k) for k in MEASURES),
             self._funnel_sentence(), self._reoffending_sentence()]
        return s[:7]

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

    def brief(self) -> Section:
        """The one-page brief at the top of the overview: the verdict, the headline figures and what needs
        attention.

        The verdict of the pre-specified primary analysis with its power statement, the force's headline
        figures (worded and valued as on every district page), the `brief_quarters` table (this quarter
        against the one before and the same quarter a year before), what the funnel plots show, the
        supporting reoffending design, and what needs attention: districts outside the 99.8% control
        limits of a funnel plot, recent months with far fewer screening records than usual, validation
        warnings. Short enough for one A4 side.

        Returns
        -------
        Section
            "Summary", ending in a page break for print.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> brief = OverviewReport(open_snapshot()).brief()
        >>> brief.heading, [getattr(i, "name", "") for i in brief.items if hasattr(i, "name")]
        ('Summary', ['brief_quarters'])
        """
        p = self.page
        t = quarter_table(p, self.study.force, self.study)  # first in the workbook, as on the page
        s = self.summary_sentences()
        items = [Text(f"<div class='fe-summary'>{s[0].html()}</div>"), s[1], p.bullets(s[2:5])]
        if t is not None:
            items.append(t)
        items += s[5:]
        attention = attention_items(p, self.study)
        items.append(p.heading("Needs attention", level=3))
        items.append(p.bullets(attention) if attention else p.say(
            "Nothing: no district shown on the funnel plots lies outside the {{ outer }}% control limits, no recent "
            "month has far fewer screening records than usual and the extract passed validation without warnings.",
            outer=_lab(max(self._levels))))
        items.append(Text("<div class='fe-page-break' style='break-after: page; page-break-after: always'></div>"))
        return Section("Summary", tuple(items))

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
        inner, outer = min(self._levels), max(self._levels)
        n = len(self.programme.districts)
        one_in = round(1 / (1 - inner))
        expected = n * (1 - inner)
        return Section("How to read a funnel plot", (
            p.paragraph("Each dot is a district. Along the bottom is how many people the district's figure is based "
                        "on; up the side is the percentage; its name is in the column to the right. The straight line is the average for the whole force. "
                        "The curved lines are control limits: they are wide on the left, where small numbers make "
                        "percentages jumpy, and narrow to the right, where larger numbers make them steadier."),
            p.bullets([
                p.say("A district inside the dashed ({{ inner }}%) lines differs from the force average by no more "
                      "than chance alone would often produce.", inner=_lab(inner)),
                p.say("A district between the dashed and solid lines may differ, but about one district in "
                      "{{ one_in }} lands there by chance alone{% if expected >= 0.5 %}, so among the {{ n | word }} "
                      "districts of the programme one is no surprise{% endif %}.",
                      one_in=one_in, n=n, expected=expected),
                p.say("A district outside the solid ({{ outer }}%) lines is very unlikely to be there by chance alone "
                      "(about one in {{ rare }} for an average district). It is a prompt to look at how the district "
                      "works or records its data, not proof that it is better or worse.",
                      outer=_lab(outer), rare=f"{round(1 / (1 - outer)):,}"),
            ]),
            p.paragraph("Districts are not ranked: a dot further right is a bigger district, not a better one. "
                        "Districts that went live later have had less time, so their figures rest on fewer people."),
        ))

    @property
    def _levels(self) -> tuple:
        """The control-limit coverages of the funnel plots."""
        return next((fv.result.levels for fv in self.study.funnels.values() if fv.result is not None), LEVELS)

    def funnel(self, key: str) -> Section:
        """One funnel plot with its explanation and table.

        Each district's share is plotted against its number of people around the force-wide share, with
        exact binomial 95% and 99.8% control limits (Spiegelhalter 2005, Statistics in Medicine
        24:1185-1202); when the districts vary more than chance predicts, the limits are widened by the
        additive random-effects variance (Spiegelhalter 2005, Quality and Safety in Health Care
        14:347-351). Districts are drawn from the published table: at their published (rounded) number of
        people and the share the page worked out from their published counts, around the published force
        average; a district with a group from 1 to threshold - 1 is left off, with the next smallest. The
        limits and positions are the study's.

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
            When `key` is not one of [`MEASURES`][foundation_eval.evaluation.areas.MEASURES].

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
            "{{ phi | ratio }}), so the limits are widened to allow for real differences between districts; a "
            "district outside them stands out even so.{% else %}There is no clear sign that districts vary more than "
            "chance alone would predict (over-dispersion factor {{ phi | ratio }}), so the limits are exact "
            "binomial limits.{% endif %}",
            base=m.base, did=m.did, key=key, share=share, adjusted=res.adjustment == "additive",
            phi=res.dispersion.phi)
        items = [intro]
        if len(drawn.units):
            ax = funnel_chart(drawn, view.limits, title=f"{m.title}: districts against the force average",
                              xlabel=f"Number of {m.base}", ylabel=f"Percent who {m.did}")
            outside = drawn.outside()
            alt = (f"Funnel plot of the percentage of {m.base} who {m.did} in each district against the number of "
                   f"people, around the force average of {fmt.percent(drawn.target)}, with "
                   f"{' and '.join(_lab(v) + '%' for v in res.levels)} control limits. "
                   + (f"Outside the {_lab(max(res.levels))}% limits: {_join(outside)}." if outside
                      else f"No district shown lies outside the {_lab(max(res.levels))}% limits."))
            caption = (f"Not shown: {_join(view.withheld)}, to protect small numbers (fewer than {p.threshold} people "
                       "in a group)." if view.withheld else None)
            items.append(p.figure(ax, alt, caption=caption, data=view.table))
        else:
            items.append(p.paragraph("Every district is withheld to protect small numbers, so no plot is drawn."))
        items.append(view.table)
        return Section(m.title, tuple(items))

    # ------------------------------------------------------------------ commissioning outcomes
    @cached_property
    def outcomes_table(self) -> Table:
        """The published `commissioning_outcomes` table: each share the study maps to a commissioning outcome,
        with its kind (direct, proxy or process), count and denominator, the percentage and its Wilson 95%
        interval worked out by the page from the published counts. The study's plain counts (people meeting
        the criteria, people listed) are stated in the section's first sentence instead."""
        rows = self.study.outcomes
        rows = rows[rows.n.notna()].copy()
        rest = rows.n - rows.k
        small = np.array([self.page.rule.hidden(r) for r in rest])
        rows["measure"] = [f"{m} ({k.lower()} measure)" for m, k in zip(rows.measure, rows.kind, strict=True)]
        frame = rows.rename(columns={"pct": "percent"})[["outcome", "measure", "k", "n", "percent", "ci_low", "ci_high"]]
        return self.page.table(
            "commissioning_outcomes", frame.reset_index(drop=True),
            title="Measures mapped to the five commissioning outcomes",
            counts={"k": ["percent", "ci_low", "ci_high"], "n": ["percent", "ci_low", "ci_high"]}, additive=False,
            kinds={"percent": "percent", "ci_low": "percent", "ci_high": "percent"},
            shares={"percent": ("k", "n", "ci_low", "ci_high")},
            hide={c: small for c in ("k", "percent", "ci_low", "ci_high")},
            headings={"outcome": "Commissioning outcome", "measure": "Measure", "k": "Number", "n": "Out of",
                      "percent": "Percent", "ci_low": "95% low", "ci_high": "95% high"},
            notes=("Direct measure: counts what the programme did. Proxy measure: police records show offences that "
                   "were reported and recorded, and a plan or referral shows what was put in place, not how victims "
                   "or perpetrators fared. Process measure: how the programme works.",
                   "Out of: people, or plans where the measure says so. Percentages and their Wilson 95% intervals "
                   "are worked out from the published counts; where fewer than the threshold lack the outcome, the "
                   "number with it is withheld too."))

    @cached_property
    def rates_table(self) -> Table | None:
        """The published `offence_rates` table: domestic-abuse offences per 100 person-years after listing,
        the rate and its exact Poisson interval worked out by the page from the published offences and
        person-years (the study's force figures, the same as every district page's force row)."""
        r = self.study.force.rates
        if r.rate is None:
            return None
        frame = pd.DataFrame({
            "measure": ["Further domestic-abuse offences recorded per 100 person-years after listing"],
            "offences": [r.offences], "years": [r.person_years], "rate": [r.rate], "ci_low": [r.ci_low],
            "ci_high": [r.ci_high]})
        return self.page.table(
            "offence_rates", frame, title="Reduction of repeat abusive behaviour: offences after listing",
            counts={"offences": ["rate", "ci_low", "ci_high"]}, additive=False,
            rates={"rate": ("offences", "years", 100, "ci_low", "ci_high")},
            kinds={"years": "whole", "rate": "decimal1", "ci_low": "decimal1", "ci_high": "decimal1"},
            headings={"measure": "Measure", "offences": "Offences", "years": "Person-years", "rate": "Rate",
                      "ci_low": "95% low", "ci_high": "95% high"},
            notes=("Proxy measure: police-recorded domestic-abuse offences of listed people after their first "
                   "listing, over their follow-up.",
                   f"Person-years are published to the nearest {self.page.rule.exposure_base:g}; the rate and its exact "
                   "Poisson interval are worked out from the published offences and person-years."))

    @cached_property
    def harm_table(self) -> Table | None:
        """The published `offence_harm` table: Crime Harm Index days of those offences per person-year, with
        the study's bias-corrected bootstrap interval (the same values as every district page's force row).
        Harm is not a count of people, so the audit does not model it: the page says so in its audit record."""
        r = self.study.force.rates
        if r.harm is None:
            return None
        frame = pd.DataFrame({"measure": ["Harm of those offences: Crime Harm Index days per person-year"],
                              "harm": [r.harm], "ci_low": [r.harm_low], "ci_high": [r.harm_high]})
        t = self.page.table(
            "offence_harm", frame, title="Reduction of repeat abusive behaviour: harm after listing",
            kinds={"harm": "decimal1", "ci_low": "decimal1", "ci_high": "decimal1"},
            headings={"measure": "Measure", "harm": "Harm per person-year", "ci_low": "95% low",
                      "ci_high": "95% high"},
            notes=(f"Proxy measure. Bias-corrected bootstrap interval from {self.study.harm_draws:,} resamples of "
                   "people.",))
        self.page.ledger.unaudited(HARM_UNAUDITED.format(table=t.title))
        return t

    def outcomes(self) -> Section:
        """The measures mapped to the five commissioning outcomes.

        Returns
        -------
        Section
            "Commissioning outcomes": an introduction, a sentence with the people meeting the criteria and
            listed, the `commissioning_outcomes` table, the `offence_rates` table (offences per 100
            person-years with exact Poisson intervals from the published offences and person-years), the
            `offence_harm` table (harm per person-year with a bootstrap interval) and a sentence naming any
            absent input table.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> section = OverviewReport(open_snapshot()).outcomes()
        >>> [item.name for item in section.items if hasattr(item, "name")]
        ['commissioning_outcomes', 'offence_rates', 'offence_harm']
        >>> list(section.items[2].values.outcome.unique()) == list(COMMISSIONING_OUTCOMES)
        True
        """
        p = self.page
        left = sorted(self.absent)
        f = self.study.force
        items = [p.paragraph("The programme is commissioned against five outcomes: "
                             + "; ".join(o.lower() for o in COMMISSIONING_OUTCOMES) + ". The table maps each to the "
                             "measures the data support. Several are proxies: the measure says which."),
                 p.say("Identification and intervention, counted directly: {{ a | count }} met all {{ k | word }} "
                       "criteria in the period and {{ b | count }} were put on the programme list.", a=f.eligible,
                       k=len(self.programme.criteria), b=f.listed),
                 self.outcomes_table]
        for t in (self.rates_table, self.harm_table):
            if t is not None:
                items.append(t)
        if left:
            items.append(p.say("Not in this extract, so their measures are left out: {{ names }}.",
                               names=_join([x.replace("_", " ") for x in left])))
        return Section("Commissioning outcomes", tuple(items))

    @cached_property
    def pillars_table(self) -> Table | None:
        """The published `rmp_pillars` table: the share of plans with each pillar and with all four
        (Wilson 95% intervals); None when the extract has no plans table."""
        t = self.study.pillars
        if t is None:
            return None
        frame = t.rename(columns={"pct": "percent"})[["pillar", "k", "n", "percent", "ci_low", "ci_high"]]
        small = np.array([self.page.rule.hidden(r) for r in t.n - t.k])
        return self.page.table(
            "rmp_pillars", frame, title="Risk management plans with each pillar",
            counts={"k": ["percent", "ci_low", "ci_high"], "n": ["percent", "ci_low", "ci_high"]}, additive=False,
            kinds={"percent": "percent", "ci_low": "percent", "ci_high": "percent"},
            shares={"percent": ("k", "n", "ci_low", "ci_high")},
            hide={c: small for c in ("k", "percent", "ci_low", "ci_high")},
            headings={"pillar": "Pillar", "k": "Plans with it", "n": "Plans", "percent": "Percent",
                      "ci_low": "95% low", "ci_high": "95% high"},
            notes=("Plans agreed on or after the person's first listing. Percentages and their Wilson 95% intervals "
                   "are worked out from the published counts.",))

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
        if "rmps" in self.absent or self.study.pillars is None:
            return Section("Risk management plans: the four pillars", (
                p.paragraph("This extract holds no risk management plans, so the four pillars cannot be shown."),))
        intro = p.paragraph("Each listed person should have a risk management plan resting on four pillars: "
                            "supervision, monitoring and control, interventions and treatment, and victim safety. "
                            "The figure shows the share of plans agreed after listing that include each pillar.")
        if not int(self.study.pillars.n.iloc[0]):
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
        return Section("Risk management plans: the four pillars", (intro, p.figure(ax, alt, data=tab), tab))

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
        small numbers, in plain English (the functions behind each figure are in the technical appendix).

        Returns
        -------
        Section
            Paragraphs with their citations (Wilson 1927; Spiegelhalter 2005).
        """
        p, prog = self.page, self.programme
        inner, outer = (_lab(v) for v in (min(self._levels), max(self._levels)))
        m = self.measures
        return Section("Methods", (
            p.say("Who is counted. People are counted once, from their first listing (the index date), if that fell "
                  "between {{ start }} and {{ end }}; their district is where they were listed. Follow-up ends at exit "
                  "(custody, moving away, death) or the extract date ({{ extract }}).", start=self.start,
                  end=self.end, extract=str(pd.Timestamp(prog.extract_date).date())),
            p.say("Measures. Engagement: a contact recorded as engaged within {{ window }} days of the index date (the "
                  "programme's engagement window), among all listed people. Referral start: a referred service "
                  "started within 12 months of the index date, among {{ ref }}. Reoffending: a police-recorded "
                  "domestic-abuse offence within 12 months of the index date, among {{ reo }}, so that districts "
                  "that went live later are compared over the same length of time. A new victim is one not named in "
                  "any earlier domestic-abuse offence of the same person. Risk management plans count when agreed on "
                  "or after the index date. Each measure has one definition and one value: the force figures here "
                  "are the ones every district page compares with.", window=self.window, ref=m["referral"].base,
                  reo=m["reoffending"].base),
            p.say("Funnel plots. Each district's proportion is plotted against its number of people around the "
                  "force-wide proportion, with exact binomial {{ inner }}% and {{ outer }}% control limits computed "
                  "with Spiegelhalter's interpolation for discrete data (Spiegelhalter 2005, Statistics in Medicine "
                  "24:1185-1202). Over-dispersion is estimated from Winsorised z-scores; when the chi-square test "
                  "finds it, the limits are widened with the additive random-effects variance (Spiegelhalter 2005, "
                  "Quality and Safety in Health Care 14:347-351). Districts are drawn at their published (rounded) "
                  "number of people and the share worked out from their published counts; the limits are the "
                  "study's, around the force-wide proportion.", inner=inner, outer=outer),
            p.say("Intervals. Percentages, with their Wilson (1927) score intervals, are worked out from the published "
                  "counts; offence rates, with exact Poisson intervals, from the published offences and person-years "
                  "(to the nearest {{ e }}); harm per person-year carries a bias-corrected bootstrap interval from {{ b }} "
                  "resamples "
                  "of people, the same for every area and independent of the order of the records. Headline "
                  "estimates are fitted once per render, as described in the pilot-versus-rollout report, with the "
                  "design named beside each.", b=f"{self.study.harm_draws:,}", e=f"{p.rule.exposure_base:g}"),
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

    def appendix(self) -> Section:
        """The technical appendix: the library function behind each figure of the page (for analysts).

        Returns
        -------
        Section
            "Technical appendix", a list of figures and the functions of
            `foundation_eval` that compute them.
        """
        return Section("Technical appendix", (
            self.page.paragraph("For analysts reproducing this report: every figure comes from the render's "
                                "snapshot, fitted once before any page is made, and is formatted here without "
                                "refitting."),
            self.page.bullets([
                "The district-and-force study: foundation_eval.evaluation.areas.fit_areas (registered as the "
                "snapshot's study \"areas\"), reading the reduced tables of foundation_eval.frames.reduce.",
                "Headline shares: foundation_eval.evaluation.areas.Share (foundation_eval.stats.wilson_interval), "
                "the study's force objects, the same on every district page.",
                "Funnel plots: foundation_eval.models.funnel_plot.funnel_plot in the study; districts with small "
                "numbers withheld by foundation_eval.reporting.disclosure.protect_units; shares and rates worked "
                "out from the published counts by foundation_eval.reporting.publication.Page.",
                "Quarter by quarter and what needs attention: foundation_eval.evaluation.areas.fit_areas (the "
                "area's quarters, the study's attention list).",
                "Commissioning outcomes and the four pillars: foundation_eval.evaluation.areas.fit_areas (outcomes, "
                "pillars).",
                "Offence rates and harm: foundation_eval.evaluation.areas.Rates "
                "(foundation_eval.models.reoffending.event_rate and bootstrap_ratio).",
                "Verdict and headline estimates: the registered estimands of foundation_eval.evaluation.registry, "
                "read from the snapshot with foundation_eval.reporting.publication.Page.estimate; the power "
                "statement: foundation_eval.evaluation.designs.PowerAnalysis.verdict_caveat."])))

    # ------------------------------------------------------------------ the whole page
    def sections(self) -> list:
        """Every item of the page in order (what the notebook shows, cell by cell).

        Returns
        -------
        list
            The header (`Text`), the brief, then each `Section`, one funnel plot per measure, the
            technical appendix last.
        """
        out = [self.header(), self.brief(), self.how_to_read(), *(self.funnel(k) for k in MEASURES),
               self.outcomes(), self.pillars(), self.estimates(), self.methods(), self.disclosure(), self.provenance(),
               self.appendix()]
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
