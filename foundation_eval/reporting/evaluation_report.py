"""Content of the pilot-versus-rollout impact report, published through one page.

Written for a Police and Crime Commissioner: the verdict of the programme's pre-specified primary
analysis first ([`Evaluation.verdict`][foundation_eval.evaluation.designs.Evaluation.verdict], in the
library's fixed vocabulary), supporting designs labelled as such with their Maryland levels (one table
by design, `foundation_eval.impact.maryland`, see
[`DESIGN_LEVELS`][foundation_eval.impact.DESIGN_LEVELS]), what a reader can and cannot say about each
headline result ([`Evaluation.statements`][foundation_eval.evaluation.designs.Evaluation.statements]),
each design with its assumptions in plain English, sensitivity analyses and checks (which carry no
level), value for money under every design led by the primary
([`Evaluation.value`][foundation_eval.evaluation.designs.Evaluation.value]), what the evaluation can
detect, threats to validity ([`Evaluation.threats`][foundation_eval.evaluation.designs.Evaluation.threats]),
a methods appendix, the disclosure statement and provenance. Everything is published through one
[`Page`][foundation_eval.reporting.publication.Page]. This module holds no verdict, level or estimator
of its own: it words what [`Evaluation`][foundation_eval.evaluation.designs.Evaluation] computes.

The three registered headline estimands (`did_att_da_rate`, `reoffending_12m_rd_programme`,
`reoffending_hr_programme`) are read from the render's snapshot, so this page, the force overview
and `results.json` give one value each. With non-default parameters (lockdown months left out,
another window) the page shows those variants under their own labels, never under the registered
names. A design the data cannot support is reported in a plain sentence saying why.
"""
from __future__ import annotations

import re
import warnings
from functools import cached_property

import numpy as np
import pandas as pd

from foundation_eval.evaluation.study import EvaluationResults, evaluation_study
from foundation_eval.evaluation.verdict import NOT_ESTIMABLE
from foundation_eval.impact import DESIGN_LEVELS, SMS_LEVELS
from foundation_eval.plotting import GREY, PALETTE, new_axes
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting.disclosure import protect
from foundation_eval.reporting.publication import EstimateView, Page, Section, Text

__all__ = ["EvaluationReport", "DESIGN_NAMES"]

_ERRORS = (ValueError, KeyError, IndexError, ZeroDivisionError, np.linalg.LinAlgError, TypeError, AttributeError)

DESIGN_NAMES = {
    "staggered_did": "Staggered district comparison",
    "cox_staggered": "Cox survival analysis over the staggered go-live",
    "cohort_before_after": "Comparison of earlier and later cohorts",
    "twfe": "Two-way fixed-effects regression",
    "its": "Interrupted time series",
    "before_after": "Before-and-after comparison",
    "rd": "Age-limit discontinuity",
    "rd_risk_flag": "Risk-tool threshold: effect of the priority flag",
    "cross_section": "Listed against never-listed people",
    "self_selected": "People who engaged against people who did not",
    "placebo": "Placebo go-live",
}
"""Short names of the designs as the page calls them, by Maryland design key (the level comes from the library)."""

#: Statement templates whose numbers are sizes (never negative): printed without a sign.
_SIZES = {"cohort_less", "cohort_more", "cohort_unclear", "rate_change", "point_as_harm"}


def _cohort_point_is_size(st) -> bool:
    return st.key == "point_as_effect" and "reoffending" in st.template


class EvaluationReport:
    """All content of the pilot-versus-rollout report.

    The designs are fitted by an [`Evaluation`][foundation_eval.evaluation.designs.Evaluation] of the
    snapshot's dataset on first use (the verdict and the sensitivity analyses take several seconds on
    the demo force); each section method then words its results through `self.page`. A design that
    raises on these data is reported in a sentence saying why, never as a failure of the page.

    Parameters
    ----------
    snap : Snapshot
        The render's snapshot ([`open_snapshot`][foundation_eval.evaluation.snapshot.open_snapshot]).
    exclude_lockdown : bool
        Leave COVID-19 lockdown months out of the district panel and the Cox model (a variant, shown
        under its own label).
    window_months : int
        Outcome window in months of the person-level comparisons (12 is the registered estimand; any
        other value is a variant).
    unit_cost_per_victim : float
        Home Office unit cost per victim of domestic abuse used for value for money, in pounds (default
        34,015, year ending March 2017 prices).
    parameters : dict, optional
        Parameters for the provenance block; default the three above.
    evaluation : EvaluationResults, optional
        An evaluation study of the same dataset already fitted (its settings then take precedence).

    Attributes
    ----------
    page : Page
        Everything the report publishes; `report.page.write_workbook(path)` writes its tables.
    ev : EvaluationResults
        The designs, fitted once (the render's snapshot study for the registered settings).
    variant : bool
        True when the settings differ from the registered ones (lockdown left out or another window):
        the headline views are then refitted here and labelled as variants.

    Examples
    --------
    On the built-in synthetic force:

    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> report = EvaluationReport(open_snapshot())
    >>> report.variant, [view.name for view in report.views.values()]
    (False, ['did_att_da_rate', 'reoffending_12m_rd_programme', 'reoffending_hr_programme'])
    >>> report.primary.sms_level
    4
    >>> report.did_section().heading
    '1. Districts that went live compared with districts not yet live'

    A different outcome window is another quantity, labelled as such:

    >>> EvaluationReport(open_snapshot(), window_months=6).cohort.label
    'Cohort comparison (variant: 6-month window)'
    """

    def __init__(self, snap, *, exclude_lockdown: bool = False, window_months: int = 12,
                 unit_cost_per_victim: float = 34015, parameters: dict | None = None,
                 evaluation: EvaluationResults | None = None):
        self.snap = snap
        self.prog = snap.programme
        self.ev = evaluation or evaluation_study(snap, exclude_lockdown=bool(exclude_lockdown),
                                                 window_months=int(window_months),
                                                 unit_cost_per_victim=float(unit_cost_per_victim))
        self.variant = self.ev.exclude_lockdown or self.ev.window_months != 12
        params = dict(parameters or {"exclude_lockdown": bool(exclude_lockdown), "window_months": int(window_months),
                                     "unit_cost_per_victim": unit_cost_per_victim})
        self.page = Page(snap, "did it reduce domestic abuse?", kind="Pilot-versus-rollout evaluation",
                         parameters=params)

    # ------------------------------------------------------------------ helpers
    def _get(self, attr: str):
        """``(value, None)`` or ``(None, reason)`` for an attribute of the evaluation."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = getattr(self.ev, attr)
        except _ERRORS as exc:
            return None, str(exc) or type(exc).__name__
        if isinstance(value, str):  # the evaluation's own "not estimable: ..." results
            return None, value.removeprefix("not estimable: ")
        if not getattr(value, "estimable", True):
            return None, value.reason
        return value, None

    def _not_estimable(self, what: str, reason: str) -> Text:
        return self.page.say("{{ what }} could not be estimated on these data: {{ reason }}.", what=what,
                             reason=reason.rstrip("."))

    def _synthetic(self, *words: str) -> list[Text]:
        """The evaluation's sentences about the synthetic generator that mention any of ``words``
        (printed only for synthetic data: ``Evaluation.synthetic_notes`` is empty otherwise)."""
        return [self.page.say("<em>{{ note }}</em>", note=n) for n in self.ev.synthetic_notes()
                if any(w in n for w in words)]

    def _level_words(self, level, flags=(), key: str = "") -> str:
        if level is None or (isinstance(level, float) and np.isnan(level)):
            return "no Maryland level (a check of the design, not an estimate of effect)"
        out = f"Maryland Scientific Methods Scale level {int(level)} of 5: {SMS_LEVELS.get(int(level), '')}"
        d = DESIGN_LEVELS.get(key)
        if d is not None and d.identifies != "the effect of the programme":
            out += f". It estimates {d.identifies}"
            flags = [f for f in flags if not f.startswith("estimates the effect")]  # said just above
        if flags:
            out += ". Flagged beside the level: " + "; ".join(flags)
        return out

    def _design_box(self, e) -> Text:
        items = "".join(f"<li>{_esc(a)}</li>" for a in e.assumptions)
        key = getattr(e, "design_key", "")
        words = self._level_words(e.sms_level, getattr(e, "level_flags", ()), key)
        d = DESIGN_LEVELS.get(key)
        what = ("the programme's effect" if d is None or d.identifies == "the effect of the programme"
                else "the effect it estimates")
        return Text(f"<div class='fe-design'><p><strong>Strength of evidence.</strong> {_esc(words)}."
                    f"</p><p><strong>What has to be true for this to be {what}:</strong></p>"
                    f"<ul>{items}</ul></div>")

    @property
    def period(self) -> str:
        """The time unit of the district panel, `"quarter"` or `"month"`, as the page words it."""
        return "quarter" if self.ev.freq == "Q" else "month"

    def _view(self, name: str, attr: str, unit: str, label: str):
        """The registered estimate from the snapshot, or this page's variant of it under its own label."""
        if not self.variant:
            return self.page.estimate(name)
        e, why = self._get(attr)
        if e is None:
            return EstimateView(f"{name} (variant)", label, unit, None, None, None, reason=why)
        return EstimateView(f"{name} (variant)", label + " (variant: " + self._variant_words() + ")", unit,
                            e.estimate, e.ci_low, e.ci_high, e.design, e.sms_level)

    def _variant_words(self) -> str:
        w = []
        if self.ev.exclude_lockdown:
            w.append("lockdown months left out")
        if self.ev.window_months != 12:
            w.append(f"{self.ev.window_months}-month window")
        return ", ".join(w)

    @cached_property
    def primary(self):
        """The page's view of `did_att_da_rate`, the staggered district comparison (the primary analysis)."""
        return self._view("did_att_da_rate", "did", "rate", "Staggered district comparison")

    @cached_property
    def cohort(self):
        """The page's view of `reoffending_12m_rd_programme`, the comparison of earlier and later cohorts."""
        return self._view("reoffending_12m_rd_programme", "cohort", "points", "Cohort comparison")

    @cached_property
    def cox(self):
        """The page's view of `reoffending_hr_programme`, the Cox survival analysis (a hazard ratio)."""
        return self._view("reoffending_hr_programme", "cox", "ratio", "Survival analysis")

    @cached_property
    def views(self) -> dict:
        """Registered name to the page's view of it (snapshot values with default parameters)."""
        return {"did_att_da_rate": self.primary, "reoffending_12m_rd_programme": self.cohort,
                "reoffending_hr_programme": self.cox}

    @cached_property
    def verdict(self):
        """The library's verdict ([`Evaluation.verdict`][foundation_eval.evaluation.designs.Evaluation.verdict]),
        or None when it cannot be computed."""
        v, _ = self._get("verdict")
        return v

    @cached_property
    def results(self) -> dict:
        """Result name to the evaluation's estimate (headline names and the estimates' own names)."""
        out = {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out.update({e.name: e for e in self.ev.estimates()})
                out.update({n: r for n, r in self.ev.headline_results().items() if getattr(r, "estimable", True)})
        except _ERRORS:
            pass
        return out

    def _key(self, name: str) -> str:
        return getattr(self.results.get(name), "design_key", "")

    def design_name(self, name: str, design: str = "") -> str:
        """The page's short name of a result's design.

        Parameters
        ----------
        name : str
            The result's name (a registered estimand or the evaluation's own result name).
        design : str
            The result's own design description, used (capitalised) when its design key has no short
            name in [`DESIGN_NAMES`][foundation_eval.reporting.evaluation_report.DESIGN_NAMES].

        Returns
        -------
        str
            E.g. `"Staggered district comparison"` for `did_att_da_rate`.
        """
        key = self._key(name)
        if name.startswith("did_cs"):
            return "Callaway & Sant'Anna district comparison"
        if name.startswith("cox_implied"):
            return "Cox survival analysis, on the risk scale"
        return DESIGN_NAMES.get(key, design[:1].upper() + design[1:])

    def _result_words(self, name: str) -> str:
        """A result named in a sentence: its design and, for results other than the headline ones, its outcome."""
        words = _lower(self.design_name(name, name))
        e = self.results.get(name)
        outcome = getattr(e, "outcome", "")
        if name not in self.views and outcome not in ("", "outcome", "the outcome"):
            words += f" ({outcome})"
        return words

    # ------------------------------------------------------------------ header, verdict, summary
    def header(self) -> Text:
        """Title, the study period and the synthetic-data flag.

        Returns
        -------
        Text
            The page heading (with the report stylesheet for JupyterLab).
        """
        return self.page.header(f"Impact of the pilot and staggered rollout, {self.prog.study_start} to "
                                f"{self.prog.study_end}.")

    def verdict_sentence(self) -> Text:
        """The pre-specified primary analysis's finding, stated first, in the library's fixed vocabulary.

        Returns
        -------
        Text
            The finding with the primary estimate, its Maryland level and flags, population, comparison
            and period, and whether it loses significance under the report's sensitivity analyses; "no
            answer" with the reason when the primary analysis cannot be estimated.
        """
        v, p = self.verdict, self.primary
        if v is None or v.finding == NOT_ESTIMABLE or not p.available:
            why = (v.reason if v is not None and v.reason else p.reason) or "the data do not support it"
            return self.page.say(
                "<strong>Primary analysis: no answer.</strong> The pre-specified primary analysis, the staggered "
                "comparison of districts that went live with districts not yet live, could not be estimated on "
                "these data ({{ why }}), so this report makes no claim about the programme's effect.",
                why=why.rstrip("."))
        return self.page.say(
            "<strong>Primary analysis: {{ v.finding }}.</strong> The pre-specified primary analysis, the "
            "{{ name }}, finds that domestic-abuse offences among eligible people changed by {{ p | estimate }} once a "
            "district went live "
            "(Maryland level {{ v.sms_level }}{% if v.level_flags %}; {{ v.level_flags | join('; ') }}{% endif %}). "
            "It covers {{ v.population }}, compared with {{ v.comparison }}; period: {{ v.window }}."
            "{% if v.loses_significance_under %} It loses significance under the report's own sensitivity analyses "
            "({{ v.loses_significance_under | join('; ') }}).{% endif %}",
            v=v, p=p, name=_lower(self.design_name(v.primary, v.design)))

    def _display(self, s) -> str:
        """A supporting result's value and interval in its display unit, through the number formats."""
        if s.unit == "hazard ratio":
            return f"{fmt.ratio(s.estimate)} (95% interval {fmt.ratio(s.ci_low)} to {fmt.ratio(s.ci_high)})"
        return (f"{fmt.signed(s.estimate, 1)} {s.unit} (95% interval {fmt.signed(s.ci_low, 1)} to "
                f"{fmt.signed(s.ci_high, 1)})")

    def supporting(self) -> list[Text]:
        """Supporting designs from the library's verdict, labelled as such.

        Returns
        -------
        list of Text
            One sentence per supporting or descriptive result, with its Maryland level and flags, its
            estimate and finding, and whether it loses significance under the report's own sensitivity
            analyses; empty when there is no verdict.
        """
        v = self.verdict
        if v is None:
            return []
        out = []
        for s in v.supporting:
            view = self.views.get(s.name)
            role = "Supporting design" if s.role == "supporting" else "Descriptive result, not evidence of effect"
            out.append(self.page.say(
                "{{ role }}, {{ name }} (Maryland level {{ s.sms_level }}{% if s.level_flags %}; "
                "{{ s.level_flags | join('; ') }}{% endif %}): {% if view %}{{ view | estimate }}{% else %}"
                "{{ shown }}{% endif %}, {{ s.finding }}{% if s.loses_significance_under %}; it loses significance "
                "under the report's own sensitivity analyses ({{ s.loses_significance_under | join('; ') }})"
                "{% endif %}.", role=role, name=_lower(self.design_name(s.name, s.design)), s=s,
                view=view if view is not None and view.available else None, shown=self._display(s)))
        return out

    def value_sentence(self) -> Text | None:
        """The primary design's value-for-money reading for the summary.

        Returns
        -------
        Text or None
            Victims spared and social value with their 95% intervals, and the benefit-cost ratio unless
            the programme's costs are placeholders; None when value for money cannot be computed.
        """
        va, _ = self._get("value")
        if va is None or va.primary is None:
            return None
        t = va.table()
        r = t[t.role == "primary"].iloc[0]
        return self.page.say(
            "Value for money under the primary analysis: victims spared {{ v }} (95% interval {{ lo }} to "
            "{{ hi }}{% if neg %}; a negative number means more victims, not fewer{% endif %}), a social value of "
            "{{ r.social_value | money }} ({{ r.social_value_low | money }} to {{ r.social_value_high | money }})."
            "{% if placeholder %} The programme's costs are placeholders, so no benefit-cost ratio is given as a "
            "finding.{% else %} The benefit-cost ratio is {{ bcr }} ({{ bcr_low }} to "
            "{{ bcr_high }}){% if r.bcr_low < 1 %}: its lower bound is below 1, so this evaluation "
            "cannot show that the programme's social value exceeds its cost{% endif %}.{% endif %}",
            r=r, v=fmt.decimal(r.victims_spared, 0), lo=fmt.decimal(r.victims_low, 0),
            hi=fmt.decimal(r.victims_high, 0), neg=bool(r.victims_low < 0), placeholder=bool(va.cost_placeholder),
            bcr=fmt.decimal(r.bcr, 1), bcr_low=fmt.decimal(r.bcr_low, 1), bcr_high=fmt.decimal(r.bcr_high, 1))

    def summary(self) -> Text:
        """The boxed summary: the verdict first, then supporting designs, value for money, reach and what can
        be detected.

        Returns
        -------
        Text
            The verdict as a paragraph of its own and everything after it as a list.
        """
        s = [self.verdict_sentence(), *self.supporting(), self.value_sentence()]
        eng, _ = self._get("did_engaged")
        pw, _ = self._get("power")
        if eng is not None:
            s.append(self.page.say(
                "The programme reached people: the share of eligible person-months with an engaged contact changed by "
                "{{ d | points }} percentage points (95% interval {{ lo | points }} to {{ hi | points }}).",
                d=eng.estimate, lo=eng.ci_low, hi=eng.ci_high))
        if pw is not None:
            s.append(self.page.say(
                "This evaluation can detect only changes of about {{ m | points(False) }} percentage points in "
                "{{ w }}-month reoffending among people, and only very large changes in the district comparison: "
                "an interval that includes no effect is not evidence that the programme does nothing.",
                m=pw.person_mde.mde, w=self.ev.window_months))
        s.append(self.page.paragraph("People who engaged are not compared with people who did not as evidence of "
                                     "effect: that comparison mixes the programme with who chose to take part."))
        if self.prog.illustrative:
            s.append(self.page.paragraph("These figures come from synthetic demonstration data with known true "
                                         "effects, not from a force's records."))
        # the verdict as a paragraph of its own, everything after it as a list a reader can scan
        items = "".join(f"<li>{x.inline}</li>"
                        for x in s[1:] if x is not None)
        first = s[0].html()
        return Text(f"<div class='fe-summary'><h2>Summary</h2>{first}<ul>{items}</ul></div>")

    # ------------------------------------------------------------------ headline, levels, estimands
    def _rows(self):
        """Primary then supporting rows of the verdict, with the page's design names."""
        v = self.verdict
        if v is None:
            return pd.DataFrame()
        t = v.table()
        t = t[t.finding != NOT_ESTIMABLE].copy()
        t["label"] = [self.design_name(n, d) for n, d in zip(t.name, t.design, strict=True)]
        t["role_words"] = t.role.map({"primary": "primary, pre-specified", "supporting": "supporting",
                                      "descriptive": "descriptive"})
        return t

    def headline(self) -> Section:
        """Headline estimates (one unit per outcome), their Maryland levels and what each is about.

        Returns
        -------
        Section
            "Headline results": the `headline`, `levels` and `estimands` tables and the meaning of each
            Maryland level used; a sentence instead when the primary analysis is not estimable.
        """
        page = self.page
        t = self._rows()
        if not len(t):
            return Section("Headline results", (self._not_estimable("The headline results", "the primary analysis "
                                                                     "is not estimable"),))
        est, lo_hi = [], []
        for n, e, lo, hi, u in zip(t.name, t.estimate, t.ci_low, t.ci_high, t.unit, strict=True):
            view = self.views.get(n)
            if view is not None and view.available:
                est.append(view.value)
                lo_hi.append(view.interval.replace("95% interval ", ""))
            elif u == "hazard ratio":
                est.append(fmt.ratio(e))
                lo_hi.append(f"{fmt.ratio(lo)} to {fmt.ratio(hi)}")
            else:
                est.append(fmt.signed(e, 1))
                lo_hi.append(f"{fmt.signed(lo, 1)} to {fmt.signed(hi, 1)}")
        t["shown"], t["range"] = est, lo_hi
        items = [page.table("headline", t[["label", "role_words", "shown", "range", "unit"]],
                            title="Headline estimates, pre-specified primary first",
                            headings={"label": "Design", "role_words": "Role", "shown": "Estimate",
                                      "range": "95% interval", "unit": "Unit"},
                            notes=("The primary analysis was fixed in the programme file before the data were seen; "
                                   "the verdict follows it alone. Supporting and descriptive results are shown beside "
                                   "it, not instead of it.",))]
        lv = t[["label", "sms_level", "level_flags", "finding"]].copy()
        lv["level_flags"] = lv.level_flags.replace("", "none")
        items.append(page.table("levels", lv, title="Strength of evidence: Maryland level by design",
                                kinds={"sms_level": "whole"},
                                headings={"label": "Design", "sms_level": "Maryland level",
                                          "level_flags": "Flag beside the level", "finding": "Finding"},
                                notes=("Levels come from one table by design (foundation_eval.impact.maryland, after "
                                       "Farrington et al. 2002): the same estimator has the same level on every "
                                       "outcome; a failed pre-trend or density check lowers the level or is flagged "
                                       "beside it. Checks of the design (placebo, leave-one-out) carry no level.",)))
        used = sorted({int(x) for x in t.sms_level.dropna()})
        items.append(page.bullets([f"Level {k}: {SMS_LEVELS[k]}." for k in used]))
        items.append(self.estimands_table(t))
        return Section("Headline results", tuple(items))

    def estimands_table(self, rows: pd.DataFrame | None = None):
        """Population, comparison and window of each headline result, stated once.

        Parameters
        ----------
        rows : DataFrame, optional
            The headline rows (the verdict's table with the page's design names); default the verdict's.

        Returns
        -------
        Table
            The published `estimands` table (units are in the headline table).
        """
        t = self._rows() if rows is None else rows
        fields = []
        for n in t.name:
            e = self.results.get(n)
            f = e.estimand_fields() if hasattr(e, "estimand_fields") else {}
            fields.append(f)
        t = t.assign(population=[f.get("population", "") for f in fields],
                     comparison=[f.get("comparison", "") for f in fields],
                     window=[f.get("window", "") for f in fields])
        return self.page.table("estimands", t[["label", "population", "comparison", "window"]],
                               title="What each headline result is about",
                               headings={"label": "Design", "population": "Who", "comparison": "Compared with",
                                         "window": "Over what period"})

    # ------------------------------------------------------------------ what you can say
    def _statement(self, st) -> Text:
        """One library statement rendered through the page's filters (no count of people is ever among them)."""
        size = st.key in _SIZES or _cohort_point_is_size(st)

        def field(m):
            k = m.group(1)
            v = st.values.get(k)
            if isinstance(v, float | np.floating):
                if st.key == "hazard_ratio":
                    filt = "ratio"
                elif k == "pct":
                    filt = "percent"
                else:
                    filt = f"points({not size}, 1)"
                return "{{ " + k + " | " + filt + " }}"
            return "{{ " + k + " }}"

        body = re.sub(r"\{(\w+)\}", field, st.template)
        lead = "<strong>You can say:</strong> " if st.kind == "can" else "<strong>You cannot say:</strong> "
        vals = {k: (float(v) if isinstance(v, np.floating) else v) for k, v in st.values.items()}
        return self.page.say(lead + body, css="fe-" + st.kind, **vals)

    def statements_section(self) -> Section:
        """"What you can say / what you cannot say" for each headline result.

        In the style of the Justice Data Lab: the library's statements
        ([`Evaluation.statements`][foundation_eval.evaluation.designs.Evaluation.statements]) worded
        through the page's number filters, primary result first.

        Returns
        -------
        Section
            A heading per result followed by its "can" and "cannot" sentences.
        """
        page = self.page
        items = [page.paragraph(
            "In the style of the Justice Data Lab: for each result, a sentence a reader can safely repeat, and the "
            "over-readings to avoid. Intervals are the result's own, in the unit of the headline table.")]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sts = self.ev.statements()
        except _ERRORS as exc:
            return Section("What you can say and what you cannot say",
                           (*items, self._not_estimable("The statements", str(exc))))
        rows = self._rows()
        order = list(rows.name) if len(rows) else []
        order += [n for n in sts if n not in order]
        for name in order:
            group = sts.get(name, ())
            if not group:
                continue
            role = rows.set_index("name").role_words.get(name, "") if len(rows) else ""
            items.append(page.say("<strong>{{ d }}</strong>{% if role %} ({{ role }}){% endif %}",
                                  d=self.design_name(name, getattr(self.results.get(name), "design", "")), role=role))
            items.extend(self._statement(st) for st in group if st.kind == "can")
            items.extend(self._statement(st) for st in group if st.kind == "cannot")
        return Section("What you can say and what you cannot say", tuple(items))

    # ------------------------------------------------------------------ staggered DiD
    def event_study_figure(self):
        """The event-study chart: effect by time since go-live with 95% intervals.

        Callaway and Sant'Anna (2021, Journal of Econometrics 225:200-230) group-time effects aggregated
        by time since go-live; points before go-live test for differing trends, and points resting on too
        few comparison districts are drawn hollow.

        Returns
        -------
        Figure or Text
            The figure, or a sentence saying why the event study is not estimable.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> figure = EvaluationReport(open_snapshot()).event_study_figure()
        >>> figure.title
        'Event study: effect by time since go-live'
        >>> figure.alt[:60]
        'Event-study chart: estimated change in DA offences per 100 e'
        """
        d, why = self._get("event_study")
        if d is None:
            return self._not_estimable("The event study", why)
        per = self.period
        ax = new_axes(figsize=(7.5, 3.8))
        few = d.few_comparisons.astype(bool) if "few_comparisons" in d else pd.Series(False, index=d.index)
        k = self.ev.plan.min_comparison_districts
        for mask, colour, label, face in (
                (d.pre & ~few, GREY, "before go-live (should be near zero)", None),
                (~d.pre & ~few, PALETTE[0], "after go-live (effect)", None),
                (few, "#bbbbbb", f"fewer than {fmt.number_word(k)} comparison districts (unreliable)", "white")):
            s = d[mask]
            if not len(s):
                continue
            ax.errorbar(s.event_time, 100 * s.att, yerr=[100 * (s.att - s.ci_low), 100 * (s.ci_high - s.att)],
                        fmt="o", color=colour, capsize=3, label=label, mfc=face or colour)
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(-0.5, color=GREY, ls="--", lw=0.8)
        ax.set_xlabel(f"{per.capitalize()}s since the district went live")
        ax.set_ylabel("Change in DA offences\nper 100 eligible person-months")
        ax.set_title("Event study: effect by time since go-live")
        ax.legend(loc="upper left", fontsize=8)
        alt = (f"Event-study chart: estimated change in DA offences per 100 eligible person-months for each {per} "
               f"from {int(d.event_time.min())} to {int(d.event_time.max())} {per}s around go-live, with 95% "
               "intervals; points before go-live test for differing trends and should sit near zero; points resting "
               "on too few comparison districts are drawn hollow in light grey.")
        return self.page.figure(ax, alt)

    def did_section(self) -> Section:
        """Section 1: districts that went live compared with districts not yet live (the primary design).

        The staggered difference-in-differences (imputation estimator of Borusyak, Jaravel and Spiess
        2024, Review of Economic Studies) with its randomisation test, the event study and pre-trend
        test, the design's assumptions, the two-way fixed-effects contrast with its Goodman-Bacon (2021,
        Journal of Econometrics 225:254-277) decomposition, and engagement and referrals by the same
        comparison. Effects are in DA offences per 100 eligible person-months.

        Returns
        -------
        Section
            Sentences, the event-study figure and the `bacon` table.
        """
        page = self.page
        did, why = self._get("did")
        items = [page.say(
            "The programme started in the pilot districts and reached the others in waves, so at any time some "
            "districts were live and others not yet. For each district and {{ per }} we measure domestic-abuse "
            "offences committed by people meeting the criteria, per eligible person-month, and compare each live "
            "district-{{ per }} with what its own earlier level and the change meanwhile in districts not yet live "
            "predict without the programme (a staggered difference-in-differences). Effects are in DA offences per "
            "100 eligible person-months throughout this section.", per=self.period)]
        if did is None:
            items.append(self._not_estimable("The district comparison", why))
            return Section("1. Districts that went live compared with districts not yet live", tuple(items))
        ri, _ = self._get("did_ri")
        items.append(page.say(
            "Estimated effect: {{ e | estimate }}, against {{ base | rate(False) }} offences per 100 eligible person-months "
            "in the same districts before go-live."
            "{% if ri %} If go-live dates had been handed to districts at random, an effect this large would arise "
            "by chance with probability p = {{ '%.2f' % ri.p_value }} (randomisation test over {{ ri.n_draws }} "
            "re-assigned rollout orders).{% endif %}",
            e=self.primary, base=did.baseline_mean, ri=ri))
        items.append(self.event_study_figure())
        pt, _ = self._get("pretrend_ri")
        if pt is not None and np.isfinite(pt.p_value):
            items.append(page.say(
                "Before go-live the estimates should scatter around zero if live and not-yet-live districts were on "
                "the same path: a randomisation test of all the pre-go-live estimates gives p = {{ '%.2f' % p }} "
                "({{ 'no evidence' if p >= 0.05 else 'evidence' }} of differing trends). With {{ k }} districts the "
                "intervals are wide: treat single points with caution.", p=pt.p_value, k=did.n_clusters))
        es, _ = self._get("event_study")
        if es is not None and "few_comparisons" in es and es.few_comparisons.any():
            few = es[es.few_comparisons.astype(bool)]
            items.append(page.say(
                "{{ n | word | capitalize }} {{ n | plural('point') }} of the event study ({{ pts }} "
                "{{ per }}s from go-live) rest on fewer than {{ k | word }} comparison districts: however narrow "
                "their intervals, one district's own changes could produce them, so they are drawn hollow in light "
                "grey and are not evidence of how the effect develops.", n=len(few), per=self.period,
                pts=", ".join(fmt.signed(int(x), 0) for x in few.event_time), k=self.ev.plan.min_comparison_districts))
        items.append(self._design_box(did))
        tw, why_tw = self._get("twfe")
        cs, _ = self._get("did_cs_simple")
        items.append(page.heading("Why not a simple regression?", 3))
        if tw is not None:
            twr, bacon, _ = tw
            by = bacon.by_type()
            items.append(page.say(
                "The usual two-way fixed-effects regression gives {{ tw | rate }} offences per 100 eligible "
                "person-months. It is a weighted average of simple before-and-after comparisons between go-live "
                "groups{% if share %}, and {{ share | proportion }} of the weight falls on comparisons that use "
                "districts already running the programme as the comparison for districts that start later{% endif %}. "
                "If the effect grows or fades with time since go-live, those comparisons subtract part of it, so the "
                "regression can understate the effect or even reverse its sign (Goodman-Bacon 2021). The staggered "
                "difference-in-differences avoids them by comparing only with districts not yet live.",
                tw=twr.estimate, share=bacon.forbidden_weight or None))
            if cs is not None and twr.wild is not None:
                items.append(page.say(
                    "For comparison, the Callaway and Sant'Anna estimator, which uses only the {{ per }} before "
                    "go-live as each district's baseline, gives {{ cs | rate }} (95% interval {{ cl | rate }} to "
                    "{{ ch | rate }}); the two-way fixed-effects regression gives {{ tw | rate }} (wild cluster "
                    "bootstrap 95% interval {{ tl | rate }} to {{ th | rate }}).",
                    per=self.period, cs=cs.estimate, cl=cs.ci_low, ch=cs.ci_high, tw=twr.estimate,
                    tl=twr.wild.ci_low, th=twr.wild.ci_high))
            items.append(page.table("bacon", pd.DataFrame({"type": by["type"], "weight": by.weight,
                                                           "estimate": 100 * by.estimate}),
                                    title="What the two-way fixed-effects estimate is made of (Goodman-Bacon "
                                          "decomposition)",
                                    kinds={"weight": "proportion", "estimate": "rate"},
                                    headings={"type": "Comparison", "weight": "Weight",
                                              "estimate": "Average effect, DA offences per 100 eligible person-months"}))
        else:
            items.append(self._not_estimable("The two-way fixed-effects contrast", why_tw))
        eng, _ = self._get("did_engaged")
        ref, _ = self._get("did_referral")
        if eng is not None and ref is not None:
            items.append(page.heading("Engagement and referrals", 3))
            items.append(page.say(
                "The same comparison shows what the programme delivered: the share of eligible person-months with an "
                "engaged contact changed by {{ e | points }} percentage points (95% interval {{ el | points }} to "
                "{{ eh | points }}) and the share with a referral starting by {{ r | points }} points "
                "({{ rl | points }} to {{ rh | points }}). Before go-live nobody could engage with the team, so these "
                "are close to the levels reached.", e=eng.estimate, el=eng.ci_low, eh=eng.ci_high, r=ref.estimate,
                rl=ref.ci_low, rh=ref.ci_high))
        return Section("1. Districts that went live compared with districts not yet live", tuple(items))

    # ------------------------------------------------------------------ person-level designs
    def person_section(self) -> Section:
        """Section 2: people before and after go-live.

        The cohort comparison (risk of a further DA offence within the window, later cohorts against
        earlier ones in the same districts) and the Cox survival analysis (hazard ratio of a first further
        offence while listed, stratified by district), each with its design box.

        Returns
        -------
        Section
            Sentences and the two design boxes (or why a design is not estimable).
        """
        page, ev = self.page, self.ev
        items = []
        coh, why = self._get("cohort")
        if coh is None:
            items.append(self._not_estimable("The cohort comparison", why))
        else:
            g = ev.cohort_groups.set_index("group").observed
            items.append(page.say(
                "Cohort comparison: {{ a | count }} first met the criteria after their district went live and were "
                "listed at once; {{ b | count }} met them earlier, with their whole {{ w }}-month follow-up before "
                "go-live. Comparing each district's later cohorts with its own earlier ones, the risk of a further "
                "domestic-abuse offence within {{ w }} months changed by {{ e | estimate }}. People whose follow-up "
                "straddles go-live, and people already eligible when the data start, are left out.",
                a=int(g.get("after go-live", 0)), b=int(g.get("before go-live", 0)),
                w=ev.window_months, e=self.cohort))
            items.append(self._design_box(coh))
        cox, why = self._get("cox")
        if cox is None:
            items.append(self._not_estimable("The survival analysis", why))
        else:
            crd, _ = self._get("cox_risk_difference")
            items.append(page.say(
                "Survival analysis: following everyone who met the criteria from that point, time after being listed "
                "is compared with time before, within each district and calendar quarter (so seasonal patterns, the "
                "pandemic and force-wide trends are taken out, and the comparison leans on the staggered go-live "
                "dates). The hazard ratio of a first further offence while listed was {{ e | estimate }}."
                "{% if crd %} Applied to the listed people's observed {{ w }}-month reoffending, that is a change of "
                "{{ crd.estimate | points }} percentage points ({{ crd.ci_low | points }} to "
                "{{ crd.ci_high | points }}).{% endif %}", e=self.cox, crd=crd, w=ev.window_months))
            items.append(self._design_box(cox))
        return Section("2. People before and after go-live", tuple(items))

    # ------------------------------------------------------------------ ITS
    def its_figure(self):
        """The force-wide interrupted time series: quarterly rates, fitted segments and the trend expected
        without the programme.

        Only quarters whose offences and person-months may both be published are drawn.

        Returns
        -------
        Figure
            The chart.
        """
        (res, _), why = self._get("its_force")
        raw = self.ev.its_quarterly
        # quarterly rates, shown only where both the offences and the person-months behind them may be published
        s = protect(raw[["eligible", "da_events", "da_rate"]], {"eligible": ["da_rate"], "da_events": ["da_rate"]},
                    self.page.threshold, additive=False).table
        ax = new_axes(figsize=(7.5, 3.6))
        f = res.series()
        x = f.time
        xq = raw.period.dt.start_time + pd.Timedelta(days=45)
        shown = s.da_rate.notna().to_numpy()
        ax.scatter(xq[shown], 100 * s.da_rate[shown], s=16, color=GREY, label="observed, quarterly")
        post = f.post.to_numpy(dtype=bool)
        ax.plot(x[~post], 100 * f.fitted[~post], color=PALETTE[0], label="fitted")
        ax.plot(x[post], 100 * f.fitted[post], color=PALETTE[0])
        ax.plot(x[post], 100 * f.counterfactual[post], color=PALETTE[3], ls="--", label="expected without the programme")
        ax.axvline(x[post].iloc[0], color=GREY, ls=":", lw=1)
        ax.set_ylabel("DA offences per 100\neligible person-months")
        ax.set_xlabel("Month")
        ax.set_title("Interrupted time series, whole force")
        ax.legend(fontsize=8, loc="upper left")
        alt = ("Line chart of DA offences per 100 eligible person-months across the force, with the fitted segmented "
               "regression and, from the first go-live, the trend expected without the programme.")
        return self.page.figure(ax, alt)

    def its_section(self) -> Section:
        """Section 3: interrupted time series (segmented regression with Fourier seasonality and Newey-West
        errors; Lopez Bernal, Cummins and Gasparrini 2017, International Journal of Epidemiology 46:348-355).

        Returns
        -------
        Section
            The pilot and force-wide level changes, the figure, the `its_districts` table and the design
            box (or why the series is not estimable).
        """
        page = self.page
        items = [page.say(
            "Each series is compared with its own trend and seasonal pattern before go-live, projected forward; there "
            "is no comparison area, so anything else that changed at the same time (the pandemic lockdowns "
            "overlapped the pilot's start) is mixed in with the programme. Effects are in DA offences per 100 "
            "eligible person-months.")]
        pil, why_p = self._get("its_pilot")
        frc, why_f = self._get("its_force")
        if pil is None or frc is None:
            items.append(self._not_estimable("The interrupted time series", why_p or why_f))
            return Section("3. Interrupted time series", tuple(items))
        _, p = pil
        res_f, f = frc
        items.append(page.say(
            "Pilot districts together: the level changed by {{ p.estimate | rate }} at go-live (95% interval "
            "{{ p.ci_low | rate }} to {{ p.ci_high | rate }}). Whole force, interrupted at the first go-live: "
            "{{ f.estimate | rate }} ({{ f.ci_low | rate }} to {{ f.ci_high | rate }}), with the later districts' "
            "go-lives showing up in the change of slope.", p=p, f=f))
        try:
            items.append(self.its_figure())
        except _ERRORS as exc:
            items.append(self._not_estimable("The time-series chart", str(exc)))
        t, why = self._get("its_districts")
        if t is not None:
            t = t.copy()
            for c in ("estimate", "ci_low", "ci_high"):
                t[c] = 100 * t[c]
            items.append(page.table("its_districts", t[["district", "go_live", "estimate", "ci_low", "ci_high", "note"]],
                                    title="Level change at go-live by district (quarterly series, per 100 eligible "
                                          "person-months)",
                                    kinds={"estimate": "rate", "ci_low": "rate", "ci_high": "rate"},
                                    headings={"district": "District", "go_live": "Go-live", "estimate": "Level change",
                                              "ci_low": "95% low", "ci_high": "95% high", "note": "Note"},
                                    notes=("District series are short and noisy: single districts' intervals are wide "
                                           "and some will exclude zero by chance.",)))
        items.append(self._design_box(f))
        return Section("3. Interrupted time series", tuple(items))

    # ------------------------------------------------------------------ RD
    def _rd_binned(self, frame: pd.DataFrame, running: str, width: float) -> pd.DataFrame:
        """Binned outcome means, shown only where both events and non-events reach the threshold."""
        b = np.floor(frame[running] / width) * width
        g = frame.groupby(b).outcome.agg(["size", "sum"]).rename(columns={"size": "n", "sum": "k"})
        g["mid"] = g.index + width / 2
        ok = (g.k >= self.page.threshold) & (g.n - g.k >= self.page.threshold)
        g["mean"] = np.where(ok, g.k / g.n, np.nan)
        return g.reset_index(drop=True)

    def rd_section(self) -> Section | None:
        """Section 4: regression discontinuities at the age limit and the risk-tool threshold.

        Local-linear fits with robust bias-corrected intervals (Calonico, Cattaneo and Titiunik 2014,
        Econometrica 82:2295-2326) and a McCrary (2008, Journal of Econometrics 142:698-714) density
        check. The risk-tool threshold estimates the effect of the priority flag, not of the programme.

        Returns
        -------
        Section or None
            Sentences, the age-limit figure and design boxes; None for a programme with neither an age
            limit nor a risk tool.
        """
        page, ev, prog = self.page, self.ev, self.prog
        has_age = prog.has_age_criterion
        if not has_age and not prog.has_risk_tool:
            return None
        items = []
        if has_age:
            rd, why = self._get("rd_age")
            if rd is None:
                items.append(self._not_estimable("The age-limit comparison", why))
            else:
                res, dens, est = rd
                items.append(page.say(
                    "People above the upper age limit ({{ amax }}) are not listed, even when they meet every other "
                    "criterion. Comparing people whose first screen in a live district came just before and just "
                    "after their {{ birthday }} birthday estimates the effect of being listed for people at the "
                    "limit: {{ est.estimate | points }} percentage points in {{ w }}-month reoffending (95% interval "
                    "{{ est.ci_low | points }} to {{ est.ci_high | points }}). Few people are screened near the limit, "
                    "so the interval is wide.", amax=prog.age_max, birthday=fmt.ordinal(prog.age_max + 1), est=est,
                    w=ev.window_months))
                items.append(Text(f"<p>Density check: {_esc(dens.summary_sentence())} "
                                  + ("A jump in the number of people either side of the limit means the groups may "
                                     "differ in more than listing, so this design is weaker than its level suggests. "
                                     if dens.p_value < 0.05 else "")
                                  + "</p>"))
                if dens.p_value < 0.05:
                    items.extend(self._synthetic("age limit"))
                try:
                    items.append(self._rd_figure(res, ev.window_months))
                except _ERRORS as exc:
                    items.append(self._not_estimable("The age-limit chart", str(exc)))
                items.append(self._design_box(est))
        if prog.has_risk_tool:
            rp, why = self._get("rd_ppit")
            if rp is None:
                items.append(self._not_estimable("The priority-threshold comparison", why))
            else:
                _, dens, est = rp
                discrete = any(k == "Discrete score" for k, _ in est.diagnostics)
                items.append(page.say(
                    "Priority threshold: listed people scoring {{ t }} or more on the {{ tool }} are flagged as "
                    "priority perpetrators. Comparing people just either side estimates the effect of the priority "
                    "flag, not of the programme: {{ est.estimate | points }} percentage points in {{ w }}-month "
                    "reoffending (95% interval {{ est.ci_low | points }} to {{ est.ci_high | points }}). {{ dens }}"
                    "{% if discrete %} The score takes few values, so the comparison reaches several points either "
                    "side of the threshold: treat it as descriptive.{% endif %}",
                    t=prog.ppit_threshold, tool=prog.ppit_name, est=est, w=ev.window_months,
                    dens=dens.summary_sentence(), discrete=discrete))
                items.extend(self._synthetic("priority flag"))
                items.append(self._design_box(est))
        return Section("4. Regression discontinuity", tuple(items))

    def _rd_figure(self, res, window: int):
        cut = res.cutoff
        frame = res.data.rename(columns={"running": "age"})
        g = self._rd_binned(frame, "age", 12.0)
        ax = new_axes(figsize=(7.5, 3.6))
        ax.scatter(g.mid / 12, 100 * g["mean"], color=GREY, s=18, label="one-year age bands")
        for side in (frame.age < cut, frame.age >= cut):
            xs, ys = frame.age[side].to_numpy(), frame.outcome[side].to_numpy()
            wts = np.clip(1 - np.abs(xs - cut) / res.bandwidth, 0, None)
            m = wts > 0
            if m.sum() > 2:
                A = np.column_stack([np.ones(m.sum()), xs[m] - cut]) * np.sqrt(wts[m])[:, None]
                beta = np.linalg.lstsq(A, ys[m] * np.sqrt(wts[m]), rcond=None)[0]
                grid = np.linspace(xs[m].min(), xs[m].max(), 30)
                ax.plot(grid / 12, 100 * (beta[0] + beta[1] * (grid - cut)), color=PALETTE[0])
        ax.axvline(cut / 12, color=PALETTE[3], ls="--", lw=1, label="age limit")
        ax.set_xlabel("Age at screen (years)")
        ax.set_ylabel(f"% reoffending within\n{window} months")
        ax.set_title("Reoffending either side of the age limit")
        ax.legend(fontsize=8)
        return self.page.figure(ax, f"Scatter of the percentage reoffending within {window} months by year of age at "
                                    "screen, with local-linear fits either side of the upper age limit; bands with too "
                                    "few people or events are not shown.")

    # ------------------------------------------------------------------ naive comparisons
    def naive_section(self) -> Section:
        """Section 5: what simpler comparisons would have said (listed against never-listed people, people
        who engaged against people who did not), shown as contrast, not as evidence of effect.

        Returns
        -------
        Section
            An explanation and the `naive_risk` and `naive_rate` tables.
        """
        page = self.page
        naive, why = self._get("naive")
        items = [page.paragraph(
            "A descriptive evaluation might compare listed people with people never listed, or people who engaged "
            "with those who did not. These comparisons mix the programme's effect with who chose or was chosen to "
            "take part, and with changes over time. They are shown so that the difference from the designs above can "
            "be seen, not as evidence of effect.")]
        if naive is None:
            items.append(self._not_estimable("The simple comparisons", why))
        else:
            for unit, kind, title in (("risk", "points", "risk of a further DA offence, percentage points"),
                                      ("rate", "rate", "DA offences per 100 eligible person-months")):
                rows = [{"comparison": e.design.replace("naive comparison: ", "").replace("naive ", ""),
                         "estimate": 100 * e.estimate, "ci_low": 100 * e.ci_low, "ci_high": 100 * e.ci_high,
                         "why": e.assumptions[0] if e.assumptions else ""}
                        for e in naive if (("rate" in e.outcome.lower() or "person-month" in e.outcome.lower())
                                           == (unit == "rate"))]
                if rows:
                    items.append(page.table(f"naive_{unit}", pd.DataFrame(rows),
                                            title=f"Simple comparisons, not evidence of effect: {title}",
                                            kinds={"estimate": kind, "ci_low": kind, "ci_high": kind},
                                            headings={"comparison": "Comparison", "estimate": "Difference",
                                                      "ci_low": "95% low", "ci_high": "95% high", "why": "Problem"}))
        items.extend(self._synthetic("engag"))
        return Section("5. What simpler comparisons would have said", tuple(items))

    # ------------------------------------------------------------------ sensitivity
    def sensitivity_section(self) -> Section:
        """Section 6: sensitivity analyses, as they come from the library.

        Checks of the design (placebo, leave-one-out) carry no Maryland level there, and none is added
        here.

        Returns
        -------
        Section
            One table per outcome scale (`sensitivity_da`, `sensitivity_risk`, `sensitivity_hazard`) and
            the `checks` table.
        """
        page = self.page
        sens, why = self._get("sensitivity")
        items = [page.paragraph(
            "Does the answer change with reasonable alternative choices? Each row re-estimates the effect one way; a "
            "placebo that moves go-live a year earlier, using only data from before the programme, should find "
            "nothing. Placebo and leave-one-out rows are checks of the design and carry no Maryland level.")]
        if sens is None:
            items.append(self._not_estimable("The sensitivity analyses", why))
            return Section("6. Sensitivity analyses", tuple(items))
        for key, (title, kind, scale) in {
            "DA": ("District comparison: DA offences per 100 eligible person-months", "rate", 100.0),
            "Risk": ("People: further DA offence within the window, percentage points", "points", 100.0),
            "Hazard": ("People: hazard ratio of a first further DA offence", "ratio", 1.0),
        }.items():
            t = sens[sens.group.str.startswith(key)].copy()
            if not len(t):
                continue
            for c in ("estimate", "ci_low", "ci_high"):
                t[c] = t[c] * scale
            items.append(page.table(f"sensitivity_{key.lower()}",
                                    t[["analysis", "estimate", "ci_low", "ci_high", "sms_level", "note"]],
                                    title=f"Sensitivity analyses. {title}",
                                    kinds={"estimate": kind, "ci_low": kind, "ci_high": kind,
                                           "sms_level": "whole"},
                                    headings={"analysis": "Analysis", "estimate": "Estimate", "ci_low": "95% low",
                                              "ci_high": "95% high", "sms_level": "Maryland level", "note": "Note"},
                                    notes=("A blank level marks a check of the design, which has no level of its "
                                           "own.",)))
        checks = [c for c in self.ev.checks()]
        if checks:
            rows = [{"check": c.design[:1].upper() + c.design[1:], "estimate": c.displayed()[0],
                     "ci_low": c.displayed()[1], "ci_high": c.displayed()[2], "reading": c.estimand}
                    for c in checks]
            items.append(page.table("checks", pd.DataFrame(rows), title="Checks of the design (no Maryland level)",
                                    kinds={"estimate": "rate", "ci_low": "rate", "ci_high": "rate"},
                                    headings={"check": "Check", "estimate": "DA offences per 100 eligible person-months",
                                              "ci_low": "95% low", "ci_high": "95% high",
                                              "reading": "What it should show"}))
        return Section("6. Sensitivity analyses", tuple(items))

    # ------------------------------------------------------------------ value for money
    def vfm_section(self) -> Section:
        """Section 7: value for money under every design, led by the primary.

        Each design's effect is translated into victims spared and valued at the Home Office unit cost
        per victim ([`Evaluation.value`][foundation_eval.evaluation.designs.Evaluation.value]).
        Placeholder costs and whatever rests on them (programme cost, benefit-cost ratio, break-even) are
        never printed as findings.

        Returns
        -------
        Section
            The `vfm_victims`, `vfm_value` and `vfm_costs` tables with their sentences.
        """
        page = self.page
        va, why = self._get("value")
        if va is None:
            return Section("7. Value for money", (self._not_estimable("Value for money", why),))
        items = []
        if va.cost_placeholder:
            items.append(page.paragraph(
                "The programme's costs in the programme file are placeholders, not findings: this section gives no "
                "programme cost, cost per person, break-even point or benefit-cost ratio. Replace them with the "
                "programme's accounts to obtain those."))
        items.append(page.say(
            "Each design's effect is translated into victims spared (people kept from a further DA offence) and "
            "valued at the Home Office cost per victim of domestic abuse, {{ unit | money }} in {{ base }} prices. "
            "The primary analysis leads; the others show how much the answer depends on the design. Money is "
            "rounded to what the data support.", unit=va.unit_cost_per_victim,
            base=va.price_base or "year ending March 2017"))
        t = va.table()
        t["label"] = [self.design_name(n, d) + (" (primary)" if r == "primary" else "")
                      for n, d, r in zip(t.name, t.design, t.role, strict=True)]
        items.append(page.table("vfm_victims", t[["label", "sms_level", "victims_spared", "victims_low",
                                                  "victims_high"]],
                                title="Victims spared under each design, primary first",
                                kinds={"sms_level": "whole", "victims_spared": "whole", "victims_low": "whole",
                                       "victims_high": "whole"},
                                headings={"label": "Design", "sms_level": "Maryland level",
                                          "victims_spared": "Victims spared", "victims_low": "95% low",
                                          "victims_high": "95% high"},
                                notes=("Estimated numbers, rounded to two significant figures; a negative number "
                                       "means more victims, not fewer.",
                                       *(f"{lab}: {b}." for lab, b in zip(t.label, t.basis, strict=True)))))
        cols = ["label", "social_value", "social_value_low", "social_value_high"]
        kinds = {"social_value": "money", "social_value_low": "money", "social_value_high": "money"}
        heads = {"label": "Design", "social_value": "Social value", "social_value_low": "95% low",
                 "social_value_high": "95% high"}
        if not va.cost_placeholder:
            cols += ["bcr", "bcr_low", "bcr_high"]
            kinds.update(bcr="decimal1", bcr_low="decimal1", bcr_high="decimal1")  # rounded to 0.1 by the library
            heads.update(bcr="Benefit-cost ratio", bcr_low="Ratio 95% low", bcr_high="Ratio 95% high")
        items.append(page.table("vfm_value", t[cols], title="Social value under each design, primary first",
                                kinds=kinds, headings=heads, notes=tuple(va.caveats)))
        f = va.findings()
        money = f.unit.eq("GBP")
        f = f.assign(amount=f.value.where(money), number=f.value.where(~money & f.n.isna()))
        items.append(page.table("vfm_costs", f[["item", "amount", "number", "n"]],
                                title=f"Costs, unit costs and counts ({va.price_base or 'nominal'} prices)",
                                counts={"n": []}, kinds={"amount": "money", "number": "whole"},
                                headings={"item": "Item", "amount": "Amount", "number": "Number", "n": "Count"},
                                notes=("Placeholder costs and figures resting on them are left out.",)
                                if va.cost_placeholder else ()))
        if not va.cost_placeholder and np.isfinite(va.break_even_victims):
            items.append(page.say(
                "To pay for itself the programme has to spare about {{ be }} victims{% if mde %}; the primary design "
                "could detect, with 80% power, an effect of about {{ mde }} victims spared, so a break-even effect "
                "{{ 'would' if ok else 'would not' }} reliably show up in this evaluation{% endif %}.",
                be=fmt.decimal(round(va.break_even_victims), 0),
                mde=fmt.decimal(round(va.mde_victims), 0) if np.isfinite(va.mde_victims) else "",
                ok=va.break_even_detectable))
        return Section("7. Value for money", tuple(items))

    # ------------------------------------------------------------------ power
    def power_section(self) -> Section:
        """Section 8: what this evaluation can and cannot detect (minimum detectable effects at 80% power,
        5% two-sided).

        Returns
        -------
        Section
            Sentences, the power curve and the `power` table.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> section = EvaluationReport(open_snapshot()).power_section()
        >>> section.heading
        '8. What this evaluation can and cannot detect'
        >>> list(section.items[3].display().columns)
        ['Design', 'Level without the programme', 'Smallest detectable change', 'As % of the level']
        """
        page = self.page
        pw, why = self._get("power")
        if pw is None:
            return Section("8. What this evaluation can and cannot detect", (self._not_estimable("Power", why),))
        ax = pw.plot(new_axes(figsize=(6.5, 3.6)))
        ax.set_title("Chance of detecting a true reduction")
        fig = page.figure(ax, "Line chart of the chance (power) that the district comparison and the comparison of "
                              "people detect a true reduction, against the size of the reduction from 0 to 60%.")
        t = pw.table()
        t["mde_relative"] = 100 * t.mde_relative
        return Section("8. What this evaluation can and cannot detect", (
            Text(f"<p>{_esc(pw.summary_sentence())}</p>"),
            page.say("The district comparison would need a list roughly {{ m | round | int }} times larger (or many "
                     "more districts) to detect a 20% reduction reliably. A result that includes no effect here is "
                     "therefore not evidence that the programme does nothing: it may be too small for this design "
                     "to see.", m=pw.list_multiplier(0.2)),
            fig,
            page.table("power", t[["design", "baseline", "mde", "mde_relative"]],
                       title="Minimum detectable effects (80% power, 5% two-sided)",
                       kinds={"baseline": "decimal2", "mde": "decimal2", "mde_relative": "percent"},
                       headings={"design": "Design", "baseline": "Level without the programme",
                                 "mde": "Smallest detectable change", "mde_relative": "As % of the level"})))

    # ------------------------------------------------------------------ threats
    def _threat(self, th) -> Text:
        """One library threat through the page: its numbers formatted by the number rules."""
        levels = {"before", "after"}
        vals = {}
        for k, v in th.values.items():
            if isinstance(v, float | np.floating):
                vals[k] = fmt.decimal(float(v), 1, sign=k not in levels)
            else:
                vals[k] = v
        if th.key == "multiplicity":  # result names as the page calls their designs
            vals["primary"] = _lower(self.design_name(str(vals.get("primary", "")), ""))
            names = [n for n in str(vals.get("names", "")).removeprefix(": ").split(", ") if n]
            vals["names"] = (": " + "; ".join(self._result_words(n) for n in names)) if names else ""
        body = re.sub(r"\{(\w+)\}", r"{{ \1 }}", th.template)
        return self.page.say("<strong>{{ title }}</strong> ({{ kind }}). " + body, title=th.title,
                             kind="a short analysis" if th.kind == "analysis" else "a stated limitation", **vals)

    def threats_section(self) -> Section:
        """Section 9: threats to validity and limitations.

        Threats a reviewer will ask about
        ([`Evaluation.threats`][foundation_eval.evaluation.designs.Evaluation.threats]), the designs these
        data could not support
        ([`Evaluation.not_estimable`][foundation_eval.evaluation.designs.Evaluation.not_estimable]) and,
        for synthetic data, notes about the generator.

        Returns
        -------
        Section
            Sentences and lists.
        """
        page = self.page
        items = [page.paragraph(
            "The questions a reviewer will ask of any non-randomised evaluation, each answered by a short analysis "
            "or stated as a limitation.")]
        th, why = self._get("threats")
        if th is None:
            items.append(self._not_estimable("The threats analysis", why))
        else:
            items.extend(self._threat(t) for t in th.items)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                missing = self.ev.not_estimable()
        except _ERRORS:
            missing = []
        # a discontinuity the programme does not have (no age limit, no risk tool) is not a design it lost
        absent = {"rd": not self.prog.has_age_criterion, "rd_risk_flag": not self.prog.has_risk_tool}
        missing = [m for m in missing if not absent.get(m.design_key, False)]
        if missing:
            items.append(page.heading("Designs these data could not support", 3))
            items.append(page.bullets([page.say("{{ s }}", s=m.sentence()) for m in missing]))
        # only the notes about parts this programme has (no age limit or risk tool: no note about them)
        skip = (["age limit"] if not self.prog.has_age_criterion else []) + (
            ["priority flag"] if not self.prog.has_risk_tool else [])
        notes = [n for n in self.ev.synthetic_notes() if not any(w in n for w in skip)]
        if notes:
            items.append(page.heading("About the synthetic data", 3))
            items.append(page.bullets([page.say("{{ s }}", s=n) for n in notes]))
        return Section("9. Threats to validity and limitations", tuple(items))

    # ------------------------------------------------------------------ appendix
    def methods(self) -> Section:
        """The methods appendix: the panel, each estimator with its citation, the intervals and the
        Maryland scale (Farrington, Gottfredson, Sherman and Welsh 2002).

        Returns
        -------
        Section
            "Appendix: methods", a list.
        """
        ev = self.ev
        per = self.period
        items = [
            f"District panel: for each district and {per}, DA offences committed by people meeting all the criteria "
            f"in the months they met them, divided by eligible person-months. Go-live is the first {per} containing "
            "the go-live month." + (" Lockdown months are left out." if ev.exclude_lockdown else ""),
            "Staggered difference-in-differences: the imputation estimator of Borusyak, Jaravel and Spiess (2024). "
            f"District and {per} effects are fitted to district-{per}s before go-live; each live district-{per}'s "
            "outcome without the programme is imputed from them; the effect is the average gap over live "
            f"district-{per}s until the last district went live.",
            "Intervals for the district designs: leave-one-district-out jackknife standard errors with Student-t "
            "critical values on as many degrees of freedom as there are go-live waves with an estimable effect, "
            "because timing varies only between waves (in the spirit of Donald and Lang 2007); their coverage is "
            "checked by simulation in benchmarks/coverage_impact.py.",
            "Randomisation inference: go-live dates are re-assigned to districts at random, keeping wave sizes, and "
            "the estimate recomputed; the p-value is the share of re-assignments giving an effect at least as large.",
            "Event study and pre-trends: Callaway and Sant'Anna (2021) group-time effects with not-yet-treated "
            "comparisons, aggregated by time since go-live; the pre-trend test refers the sum of squared "
            "pre-go-live effects to its randomisation distribution.",
            "Two-way fixed effects with the Goodman-Bacon (2021) decomposition and a wild cluster bootstrap (Webb "
            "weights) are shown for contrast.",
            "Cohort comparison: people indexed at the first month they met the criteria; outcome any DA offence in "
            "the window, for people followed for the whole window. District effects fitted to the earlier cohorts; "
            "jackknife over districts, Student-t on districts minus one degrees of freedom.",
            "Survival analysis: Cox model on person-months from first meeting the criteria to the first DA offence "
            "or the end of follow-up, exposure switching on at first listing, baseline hazard stratified by "
            "district, calendar-quarter indicators; district-clustered errors with Student-t critical values on "
            "districts minus one degrees of freedom, the standard of the other staggered designs (coverage checked "
            "by simulation in benchmarks/coverage_impact.py).",
            "Interrupted time series: segmented regression with Fourier seasonality and Newey-West errors (Lopez "
            "Bernal, Cummins and Gasparrini 2017).",
            *(["Regression discontinuity: local-linear fits with the mean-squared-error optimal bandwidth and robust "
               "bias-corrected intervals (Calonico, Cattaneo and Titiunik 2014); McCrary (2008) density test."]
              if self.prog.has_age_criterion or self.prog.has_risk_tool else []),
            "Maryland Scientific Methods Scale (Farrington, Gottfredson, Sherman and Welsh 2002), one table from "
            "design and its checks to level (foundation_eval.impact.maryland): "
            + "; ".join(f"level {k}, {w}" for k, w in SMS_LEVELS.items()) + ".",
        ]
        return Section("Appendix: methods", (self.page.bullets(items),))

    def disclosure(self) -> Section:
        """The "Disclosure control" section: the rule applied, in plain English.

        Returns
        -------
        Section
            The page's statement of its disclosure rule.
        """
        return self.page.disclosure()

    def sections(self) -> list:
        """Every part of the page in reading order (for tests and batch use; the notebook shows them one by one).

        Computing them all fits every design of the evaluation.

        Returns
        -------
        list
            The header and summary (`Text`), then each `Section`; the regression-discontinuity section
            only for a programme with an age limit or a risk tool.
        """
        parts = [self.header(), self.summary(), self.headline(), self.statements_section(), self.did_section(),
                 self.person_section(), self.its_section(), self.rd_section(), self.naive_section(),
                 self.sensitivity_section(), self.vfm_section(), self.power_section(), self.threats_section(),
                 self.methods(), self.disclosure(), self.provenance()]
        return [p for p in parts if p is not None]

    def provenance(self) -> Section:
        """The "Provenance" section: programme, input data hash, library version, parameters and date.

        Returns
        -------
        Section
            A two-column table.
        """
        return self.page.provenance()


def _lower(name: str) -> str:
    """A design name inside a sentence (first letter lower case, names of people kept)."""
    if name.split(" ", 1)[0] in ("Cox", "Callaway"):
        return name
    return name[:1].lower() + name[1:]


def _esc(s) -> str:
    import html

    return html.escape(str(s))
