"""Content of the pilot-versus-rollout impact report, published through one page.

Written for a Police and Crime Commissioner: the verdict of the programme's pre-specified primary
analysis first ([`Evaluation.verdict`][foundation_eval.evaluation.designs.Evaluation.verdict], in the
library's fixed vocabulary), followed at once by what the evaluation could not have detected
([`PowerAnalysis.verdict_caveat`][foundation_eval.evaluation.designs.PowerAnalysis]); the district-quarters
the primary estimate covers; supporting designs labelled as such with their Maryland levels (one level
per design family, `foundation_eval.impact.maryland`, see
[`DESIGN_LEVELS`][foundation_eval.impact.DESIGN_LEVELS]; a failed check lowers the level and the page
says which and why; descriptive results carry no effect phrase); what a reader can and cannot say
about each headline result; each design with its assumptions in plain English; how robust the primary
is (HonestDiD bounds with breakdown values, the power of the pre-trend check, the anticipation check,
E-values of the person-level designs); the Justice Data Lab-style matched comparison with its balance
table and overlap check; value for money under every design led by the primary (low, central and high
unit costs, Green Book discounting, the deflator labelled); what the evaluation can detect; threats
to validity; the pre-specified analysis plan with its date and SHA-256; a technical methods appendix,
the disclosure statement and provenance. Everything is published through one
[`Page`][foundation_eval.reporting.publication.Page]. This module holds no verdict, level or estimator
of its own: it words what the evaluation study (`EvaluationResults`, fitted once in the render's
snapshot) computed.

The three registered headline estimands (`did_att_da_rate`, `reoffending_12m_rd_programme`,
`reoffending_hr_programme`) are read from the render's snapshot, so this page, the force overview
and `results.json` give one value each. With non-default parameters (lockdown months left out,
another window) the page shows those variants under their own labels, never under the registered
names. A design the data cannot support is reported in a plain sentence saying why.

The page's numbered sections sit in three modules by concept, and `EvaluationReport` is built on their
classes: sections 1 to 5, the designs
([`evaluation_designs`][foundation_eval.reporting.evaluation_designs]); 6 and 7, how robust the
findings are ([`evaluation_robustness`][foundation_eval.reporting.evaluation_robustness]); 8 to 10,
value for money, power and threats
([`evaluation_appraisal`][foundation_eval.reporting.evaluation_appraisal]). This module holds the
report itself: its settings and the helpers every section uses, the header, summary, headline
results and statements, the analysis plan, the methods appendix, disclosure and provenance.
"""
from __future__ import annotations

import datetime as _dt
import re
import warnings
from functools import cached_property

import numpy as np
import pandas as pd

from foundation_eval.evaluation.study import EvaluationResults, evaluation_study
from foundation_eval.evaluation.verdict import DESCRIPTIVE, NOT_ESTIMABLE, risk_difference_ends
from foundation_eval.impact import DESIGN_LEVELS, SMS_LEVELS
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting._evaluation_common import _ERRORS, _cap, _esc, _lower, _no_code
from foundation_eval.reporting.evaluation_appraisal import AppraisalSections
from foundation_eval.reporting.evaluation_designs import DesignSections
from foundation_eval.reporting.evaluation_robustness import RobustnessSections
from foundation_eval.reporting.publication import EstimateView, Page, Section, Text

__all__ = ["EvaluationReport", "DESIGN_NAMES"]

DESIGN_NAMES = {
    "staggered_did": "Staggered district comparison",
    "cox_staggered": "Cox survival analysis over the staggered go-live",
    "cohort_before_after": "Comparison of earlier and later cohorts",
    "twfe": "Two-way fixed-effects regression",
    "its": "Interrupted time series",
    "before_after": "Before-and-after comparison",
    "rd": "Age-limit discontinuity",
    "rd_risk_flag": "Risk-tool threshold: the priority flag",
    "matched": "Matched comparison of people",
    "cross_section": "Listed against never-listed people",
    "self_selected": "People who engaged against people who did not",
    "placebo": "Placebo go-live",
}
"""Short names of the designs as the page calls them, by Maryland design key (the level comes from the library)."""

#: Statement templates whose numbers are sizes (never negative): printed without a sign.
_SIZES = {"cohort_less", "cohort_more", "cohort_unclear", "rate_change", "point_as_harm"}

#: Why each design check matters when it fails, in plain words (the flag itself comes from the library).
_CHECK_WHY = {
    "pre-trend": "before go-live the districts compared were not on the same path, so the comparison after go-live "
                 "may carry on a difference that was already there",
    "density": "more (or fewer) people sit just on one side of the limit than the other, so the two sides may differ "
               "in more than the programme",
    "balance": "listed people and their comparison people still differ on a recorded characteristic after matching",
}


def _cohort_point_is_size(st) -> bool:
    return st.key == "point_as_effect" and "reoffending" in st.template


def _long_date(iso: str) -> str:
    """`"2020-12-01"` as `"1 December 2020"` (text that is not a date is returned as it is)."""
    try:
        d = _dt.date.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    return f"{d.day} {d.strftime('%B %Y')}"


class EvaluationReport(DesignSections, RobustnessSections, AppraisalSections):
    """All content of the pilot-versus-rollout report.

    The designs come from the render's evaluation study (fitted once, in the snapshot); each section
    method words its results through `self.page`. A design the data do not support is reported in a
    sentence saying why, never as a failure of the page.

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
                             reason=_no_code(reason).rstrip("."))

    def _synthetic(self, *words: str) -> list[Text]:
        """The evaluation's sentences about the synthetic generator that mention any of ``words``
        (printed only for synthetic data: ``synthetic_notes`` is empty otherwise)."""
        return [self.page.say("<em>{{ note }}</em>", note=n) for n in self.ev.synthetic_notes()
                if any(w in n for w in words)]

    @cached_property
    def _numbers(self) -> dict:
        """Section numbers in reading order (the discontinuity section only where the programme has one)."""
        keys = ["did", "person", "its"]
        if self.prog.has_age_criterion or self.prog.has_risk_tool:
            keys.append("rd")
        keys += ["naive", "sensitivity", "matched", "vfm", "power", "threats"]
        return {k: i + 1 for i, k in enumerate(keys)}

    def _heading(self, key: str, title: str) -> str:
        return f"{self._numbers[key]}. {title}"

    @staticmethod
    def _identifies(key: str) -> str:
        """What a design estimates when it is not the programme's effect ("" when it is)."""
        d = DESIGN_LEVELS.get(key)
        if d is None or d.identifies == "the effect of the programme":
            return ""
        return d.identifies.removesuffix(": descriptive")

    def _level_words(self, level, flags=(), key: str = "") -> str:
        """The Maryland level in words, what the design estimates when it is not the programme's effect,
        why the design has its level, and the failed or missing checks beside it."""
        what = self._identifies(key)
        flags = [f for f in flags if not f.startswith(("estimates the effect", "descriptive"))]  # said by `what`
        d = DESIGN_LEVELS.get(key)
        if level is None or (isinstance(level, float) and np.isnan(level)):
            if d is not None and d.identifies.startswith("a check"):
                return "No Maryland level: a check of the design, not an estimate of effect"
            out = "No Maryland level: a descriptive result, not evidence about the programme's effect"
            return out + (f". It estimates {what}" if what else "")
        out = f"Maryland Scientific Methods Scale level {int(level)} of 5: {SMS_LEVELS.get(int(level), '')}"
        if what:
            out += f". It estimates {what}"
        if d is not None and d.reason:
            out += f". Why this level: {d.reason}"
        if flags:
            out += ". Flagged beside the level: " + "; ".join(flags)
        return out

    def _design_box(self, e) -> Text:
        items = "".join(f"<li>{_esc(_no_code(a))}</li>" for a in e.assumptions)
        key = getattr(e, "design_key", "")
        words = self._level_words(e.sms_level, getattr(e, "level_flags", ()), key)
        what = "the effect it estimates" if self._identifies(key) else "the programme's effect"
        return Text(f"<div class='fe-design'><p><strong>Strength of evidence.</strong> {_esc(words)}."
                    f"</p><p><strong>What has to be true for this to be {what}:</strong></p>"
                    f"<ul>{items}</ul></div>")

    def _level_short(self, level, flags=()) -> str:
        """"Maryland level 3; <flags>" or "no Maryland level" for a sentence."""
        flags = [f for f in flags if not f.startswith(("estimates the effect", "descriptive"))]
        lv = "no Maryland level" if level is None or pd.isna(level) else f"Maryland level {int(level)}"
        return lv + ("; " + "; ".join(flags) if flags else "")

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
        return DESIGN_NAMES.get(key, _cap(design))

    def _result_words(self, name: str) -> str:
        """A result named in a sentence: its design and, for results other than the headline ones, its outcome."""
        words = _lower(self.design_name(name, name))
        e = self.results.get(name)
        outcome = getattr(e, "outcome", "")
        if name not in self.views and outcome not in ("", "outcome", "the outcome"):
            words += f" ({outcome})"
        return words

    # ------------------------------------------------------------------ the primary's cells, the plan
    @cached_property
    def cells(self) -> pd.DataFrame | None:
        """Which district-periods the primary estimate covers, period by period.

        Returns
        -------
        DataFrame or None
            From the first go-live on, one row per period: `period` (e.g. "2021Q1"), `live` (districts
            live), `not_yet` (districts not yet live: the comparison), `in_estimate` (live districts
            whose period enters the primary estimate); None when the primary is not estimable.
        """
        did, _ = self._get("did")
        if did is None or getattr(did, "cells", None) is None:
            return None
        p = self.ev.panel
        p = p[p.da_rate.notna()] if "da_rate" in p else p
        live = p.live.astype(bool)
        g = p.assign(live=live, not_yet=~live).groupby("t")
        tab = pd.DataFrame({"period": g.period.first().astype(str), "live": g.live.sum(), "not_yet": g.not_yet.sum()})
        tab["in_estimate"] = did.cells.groupby("time").size().reindex(tab.index).fillna(0).astype(int)
        return tab[tab.live > 0].reset_index(drop=True)

    def _cells_words(self) -> dict | None:
        """Numbers the page says about the primary's cells: how many, from and to which period, how many
        live district-periods are left out, and the comparison rule."""
        did, _ = self._get("did")
        c = self.cells
        if did is None or c is None or not int(c.in_estimate.sum()):
            return None
        inside = c[c.in_estimate > 0]
        va, _ = self._get("value")
        share = getattr(va, "estimand_share", float("nan")) if va is not None else float("nan")
        return {"n": int(c.in_estimate.sum()), "first": inside.period.iloc[0], "last": inside.period.iloc[-1],
                "outside": int(c.live.sum() - c.in_estimate.sum()), "k": int(self.ev.plan.min_comparison_districts),
                "share": share if np.isfinite(share) else None, "per": self.period}

    @property
    def plan_date(self) -> str:
        """The date the analysis plan was fixed, in words (e.g. "1 December 2020"; "" when not recorded)."""
        return _long_date(getattr(self.ev.plan, "plan_date", "") or "")

    @property
    def plan_sha256(self) -> str:
        """The analysis plan's SHA-256 (as written into the render)."""
        return str(getattr(self.ev, "plan_sha256", "") or "")

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
            The finding with the primary estimate, its Maryland level and flags, the district-periods it
            covers, and whether it loses significance under the report's sensitivity analyses; "no
            answer" with the reason when the primary analysis cannot be estimated.
        """
        v, p = self.verdict, self.primary
        if v is None or v.finding == NOT_ESTIMABLE or not p.available:
            why = (v.reason if v is not None and v.reason else p.reason) or "the data do not support it"
            return self.page.say(
                "<strong>Primary analysis: no answer.</strong> The pre-specified primary analysis, the staggered "
                "comparison of districts that went live with districts not yet live, could not be estimated on "
                "these data ({{ why }}), so this report makes no claim about the programme's effect.",
                why=_no_code(why).rstrip("."))
        cells = self._cells_words() if v.primary == "did_att_da_rate" else None
        return self.page.say(
            "<strong>Primary analysis: {{ v.finding }}.</strong> The pre-specified primary analysis, the "
            "{{ name }}, finds that domestic-abuse offences among eligible people changed by {{ p | estimate }} once a "
            "district went live ({{ level }}). "
            "{% if c %}It covers {{ c.n }} live district-{{ c.per }}s, {{ c.first }} to {{ c.last }}: the {{ c.per }}s "
            "with at least {{ c.k | word }} districts not yet live to compare with.{% else %}It covers "
            "{{ v.population }}, compared with {{ v.comparison }}; period: {{ v.window }}.{% endif %}"
            "{% if v.loses_significance_under %} It loses significance under the report's own sensitivity analyses "
            "({{ v.loses_significance_under | join('; ') }}).{% endif %}",
            v=v, p=p, name=_lower(self.design_name(v.primary, v.design)), c=cells,
            level=self._level_short(v.sms_level, v.level_flags))

    def power_caveat(self) -> Text | None:
        """What the evaluation could not have detected, said right after the verdict.

        The library's sentence ([`PowerAnalysis.verdict_caveat`][foundation_eval.evaluation.designs.PowerAnalysis])
        when the primary's minimum detectable effect, relative to the level without the programme in its
        own cells, exceeds the plausible effect of the programme file; the overview says the same.

        Returns
        -------
        Text or None
            The caveat and what it means for reading the verdict; None when the evaluation could detect a
            plausible effect or power cannot be computed.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> print(EvaluationReport(open_snapshot()).power_caveat().plain)
        This evaluation could not have detected a reduction of 30%, the largest the programme could plausibly
        achieve: it had a 13% chance of detecting one that size, and only a change of at least 95% would have
        been detected 80% of the time. An interval that includes no effect is therefore not evidence that the
        programme does not work.
        """
        pw, _ = self._get("power")
        if pw is None:
            return None
        caveat = pw.verdict_caveat()
        if not caveat:
            return None
        return self.page.say("<strong>{{ c }}</strong> An interval that includes no effect is therefore not evidence "
                             "that the programme does not work.", c=caveat)

    def _display(self, s) -> str:
        """A supporting result's value and interval in its display unit, through the number formats."""
        if s.unit == "hazard ratio":
            return f"{fmt.ratio(s.estimate)} (95% interval {fmt.ratio(s.ci_low)} to {fmt.ratio(s.ci_high)})"
        cut = s.unit == "percentage points" and risk_difference_ends(s.ci_low / 100, s.ci_high / 100) > 0
        return (f"{fmt.signed(s.estimate, 1)} {s.unit} (95% interval {fmt.signed(s.ci_low, 1)} to "
                f"{fmt.signed(s.ci_high, 1)}{', cut to the possible range' if cut else ''})")

    def supporting(self) -> list[Text]:
        """Supporting designs from the library's verdict, labelled as such.

        Returns
        -------
        list of Text
            One sentence per supporting or descriptive result, with its Maryland level and flags, its
            estimate and finding (descriptive results: the library's `DESCRIPTIVE` text, never an effect
            phrase), and whether it loses significance under the report's own sensitivity analyses;
            empty when there is no verdict.
        """
        v = self.verdict
        if v is None:
            return []
        out = []
        for s in v.supporting:
            view = self.views.get(s.name)
            descriptive = s.role != "supporting"
            out.append(self.page.say(
                "{{ role }}, {{ name }} ({{ level }}): {% if view %}{{ view | estimate }}{% else %}"
                "{{ shown }}{% endif %}, {{ finding }}{% if s.loses_significance_under %}; it loses significance "
                "under the report's own sensitivity analyses ({{ s.loses_significance_under | join('; ') }})"
                "{% endif %}.", role="Descriptive result" if descriptive else "Supporting design",
                name=_lower(self.design_name(s.name, s.design)), s=s, level=self._level_short(s.sms_level, s.level_flags),
                finding=DESCRIPTIVE if descriptive else s.finding,
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
        if not np.isfinite(r.victims_spared):
            return self.page.say(
                "Value for money under the primary analysis cannot be measured on these data{% if no_offence %}: no DA "
                "offence was recorded in the person-months its estimate covers, so there are no victims per offence "
                "to count victims spared with{% endif %}.", no_offence=not np.isfinite(va.victims_per_offence))
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
        """The boxed summary: the verdict first, what the evaluation could not have detected right after it,
        then supporting designs, value for money and reach.

        Returns
        -------
        Text
            The verdict and the power caveat as paragraphs of their own and everything after them as a
            list.
        """
        first = [self.verdict_sentence(), self.power_caveat()]
        s = [*self.supporting(), self.value_sentence()]
        eng, _ = self._get("did_engaged")
        if eng is not None:
            s.append(self.page.say(
                "The programme reached people: the share of eligible person-months with an engaged contact changed by "
                "{{ d | points }} percentage points (95% interval {{ lo | points }} to {{ hi | points }}).",
                d=eng.estimate, lo=eng.ci_low, hi=eng.ci_high))
        s.append(self.page.paragraph("People who engaged are not compared with people who did not as evidence of "
                                     "effect: that comparison mixes the programme with who chose to take part."))
        if self.prog.illustrative:
            s.append(self.page.paragraph("These figures come from synthetic demonstration data with known true "
                                         "effects, not from a force's records."))
        # the verdict and its caveat as paragraphs of their own, everything after them as a list a reader can scan
        items = "".join(f"<li>{x.inline}</li>" for x in s if x is not None)
        head = "".join(x.html() for x in first if x is not None)
        return Text(f"<div class='fe-summary'><h2>Summary</h2>{head}<ul>{items}</ul></div>")

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
        # a descriptive result carries the library's descriptive text, never an effect phrase
        t["finding"] = [DESCRIPTIVE if r == "descriptive" else f for r, f in zip(t.role, t.finding, strict=True)]
        return t

    def _plan_note(self) -> str:
        date = self.plan_date
        return ("The primary analysis was fixed in the programme's analysis plan"
                + (f", dated {date}" if date else "") + " (its date and SHA-256 fingerprint are under "
                "\"Pre-specified analysis plan\"); the verdict follows it alone. Supporting and descriptive results "
                "are shown beside it, not instead of it.")

    def headline(self) -> Section:
        """Headline estimates (one unit per outcome), their Maryland levels and what each is about.

        Returns
        -------
        Section
            "Headline results": the `headline`, `levels` and `estimands` tables, why any level was
            lowered, and the meaning of each Maryland level used; a sentence instead when the primary
            analysis is not estimable.
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
                            notes=(self._plan_note(),))]
        lv = t[["label", "sms_level", "level_flags", "finding"]].copy()
        lv["level_flags"] = lv.level_flags.replace("", "none")
        items.append(page.table("levels", lv, title="Strength of evidence: Maryland level by design",
                                kinds={"sms_level": "whole"},
                                headings={"label": "Design", "sms_level": "Maryland level",
                                          "level_flags": "Flag beside the level", "finding": "Finding"},
                                notes=("One level per design family, from the library's design table (after "
                                       "Farrington et al. 2002): the same design has the same level on every "
                                       "outcome, and a failed check of the design (pre-trends, density at a "
                                       "threshold, balance after matching) lowers it by one. A blank level marks a "
                                       "descriptive result, which carries no finding about the programme's effect. "
                                       "Checks of the design (placebo, leave-one-out) carry no level.",)))
        lowered = self._lowered(t)
        if lowered:
            items.append(page.heading("Why a level was lowered", 3))
            items.append(page.bullets(lowered))
        used = sorted({int(x) for x in t.sms_level.dropna()})
        items.append(page.bullets([f"Level {k}: {SMS_LEVELS[k]}." for k in used]))
        items.append(self.estimands_table(t))
        return Section("Headline results", tuple(items))

    def _lowered(self, rows: pd.DataFrame) -> list[Text]:
        """One sentence per result whose level a failed check lowered: which check, and why it matters."""
        out = []
        for label, flags in zip(rows.label, rows.level_flags, strict=True):
            for f in str(flags).split("; "):
                if "lowered" not in f:
                    continue
                check = next((k for k in _CHECK_WHY if k in f.lower()), None)
                out.append(self.page.say("{{ d }}: {{ f }}. {{ why }}.", d=label, f=f,
                                         why=_cap(_CHECK_WHY[check]) if check else "The check of the design failed"))
        return out

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

        # the percent filter writes its own "%": a template's "{pct}%" would print it twice
        template = re.sub(r"\{pct\}%", "{pct}", st.template)
        body = re.sub(r"\{(\w+)\}", field, template)
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
            A label per result followed by its "can" and "cannot" sentences.
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

    # ------------------------------------------------------------------ analysis plan, appendix
    def plan_section(self) -> Section:
        """The pre-specified analysis plan: primary, outcome, window and rules, with its date and SHA-256.

        The plan is the programme file's `[evaluation]` table as fingerprinted into every render
        ([`EvaluationPlan.plan_record`][foundation_eval.config.EvaluationPlan.plan_record] and
        [`plan_sha256`][foundation_eval.config.EvaluationPlan.plan_sha256]).

        Returns
        -------
        Section
            A sentence and the `plan` table.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> t = EvaluationReport(open_snapshot()).plan_section().items[1].display()
        >>> t.iloc[-2:].values.tolist()[0]
        ['Date the plan was fixed', '1 December 2020']
        """
        page, plan = self.page, self.ev.plan
        rec = plan.plan_record() if hasattr(plan, "plan_record") else {}
        primary = rec.get("primary", getattr(plan, "primary", ""))
        rows = [
            ("Primary result", self.design_name(primary, DESIGN_NAMES.get(rec.get("design", ""), primary))),
            ("Design", _cap(DESIGN_LEVELS[rec["design"]].label) if rec.get("design") in DESIGN_LEVELS
             else _cap(rec.get("design", ""))),
            ("Outcome", _cap(rec.get("outcome", ""))),
            ("Window named in the plan", _cap(rec.get("window", ""))),
            ("Direction that counts as harm", f"An {rec['harmful']}" if rec.get("harmful") == "increase"
             else _cap(rec.get("harmful", ""))),
            ("Least number of districts not yet live for a period to enter the primary estimate",
             fmt.number_word(rec["min_comparison_districts"]) if "min_comparison_districts" in rec else ""),
            ("Largest plausible effect (for the power statement)",
             fmt.percent(rec["plausible_effect"]) + " of the level without the programme"
             if "plausible_effect" in rec else ""),
            ("Look-back washout", f"{rec['washout_months']} months" if "washout_months" in rec else ""),
            ("Date the plan was fixed", self.plan_date or "not recorded"),
            ("Plan fingerprint (SHA-256)", self.plan_sha256 or "not recorded"),
        ]
        f = pd.DataFrame(rows, columns=["item", "value"])
        return Section("Pre-specified analysis plan", (
            page.say("The analysis plan in the programme file fixes in advance which result decides the verdict, its "
                     "outcome and window, and the rules below{% if date %}; it is dated {{ date }}{% endif %}. Every "
                     "render records the plan with its SHA-256 fingerprint, so any later change to it would show.",
                     date=self.plan_date),
            page.table("plan", f, title="The analysis plan as fixed", headings={"item": "Item", "value": "Value"},
                       notes=("The primary's estimate covers only the periods allowed by the rule on districts not yet "
                              "live, within the window named in the plan (see section 1).",))))

    def methods(self) -> Section:
        """The technical appendix on methods: the panel, each estimator with its citation, the intervals,
        the sensitivity analyses, the matched comparison, value for money and the Maryland scale
        (Farrington, Gottfredson, Sherman and Welsh 2002). It may name the library's modules.

        Returns
        -------
        Section
            "Technical appendix", a list.
        """
        ev = self.ev
        per = self.period
        k = int(ev.plan.min_comparison_districts)
        items = [
            f"District panel: for each district and {per}, DA offences committed by people meeting all the criteria "
            f"in the months they met them, divided by eligible person-months. Go-live is the first {per} containing "
            "the go-live month." + (" Lockdown months are left out." if ev.exclude_lockdown else ""),
            "Staggered difference-in-differences (the primary): the imputation estimator of Borusyak, Jaravel and "
            f"Spiess (2024). District and {per} effects are fitted to district-{per}s before go-live, weighted by "
            f"eligible person-months; each live district-{per}'s outcome without the programme is imputed from them; "
            f"the effect is the average gap over live district-{per}s in {per}s with at least "
            f"{fmt.number_word(k)} districts not yet live (the analysis plan's rule).",
            "Intervals for every design identified by the staggered go-live (the district comparisons, the placebo "
            "and anticipation checks, the event study, the cohort comparison and the survival analysis): one rule, "
            "a leave-one-district-out jackknife standard error (the survival analysis: district-clustered errors "
            "times G/(G-1)) with Student-t critical values on districts minus one degrees of freedom. The rule was "
            "chosen by simulation on a synthetic force with district differences, district-by-quarter shocks, "
            "effects that build up and differ by wave and people already eligible when the data start, where it "
            "kept each of these 95% intervals within 93-97% coverage (benchmarks/coverage.py; table in "
            "benchmarks/README.md).",
            "Randomisation inference: go-live dates are re-assigned to districts at random, keeping wave sizes, and "
            "the estimate recomputed; the p-value is the share of re-assignments giving an effect at least as large.",
            "Event study and pre-trends: Callaway and Sant'Anna (2021) group-time effects with not-yet-treated "
            "comparisons, aggregated by time since go-live; the pre-trend test refers the sum of squared "
            "pre-go-live effects to its randomisation distribution.",
            "Sensitivity to parallel trends: Rambachan and Roth (2023) robust confidence sets for the average of the "
            "post-go-live event-study coefficients (universal base period, jackknife covariance), under relative "
            "magnitudes (conditional least-favourable hybrid) and smoothness (fixed-length intervals), with breakdown "
            "values (foundation_eval.impact.honest_did). Power of the pre-trend check against a linear drift: Roth "
            "(2022) (foundation_eval.impact.pretrend_power).",
            f"Anticipation: every go-live moved one {per} earlier and the {per} before go-live imputed from the other "
            f"untreated {per}s (Borusyak, Jaravel and Spiess 2024, section 4.4); then the primary re-estimated "
            f"without that {per} among the comparison rows.",
            "Two-way fixed effects with the Goodman-Bacon (2021) decomposition and a wild cluster bootstrap (Webb "
            "weights) are shown for contrast.",
            "Cohort comparison: people indexed at the first month they met the criteria, after a look-back washout; "
            "outcome any DA offence in the window, for people followed for the whole window. District effects fitted "
            "to the earlier cohorts; jackknife over districts, Student-t on districts minus one degrees of freedom.",
            "Survival analysis: Cox model on person-months from first meeting the criteria to the first DA offence "
            "or the end of follow-up, exposure switching on at first listing, baseline hazard stratified by "
            "district, calendar-quarter indicators; district-clustered errors with Student-t critical values on "
            "districts minus one degrees of freedom (the same rule).",
            "Matched comparison (foundation_eval.evaluation.matched): newly eligible people after the look-back "
            "washout; listed people indexed at first listing, comparison people at their first qualifying unlisted "
            "month in a district not live within the window; exact matching on the calendar quarter, nearest-"
            "neighbour matching with replacement on the logit of the propensity score (caliper 0.2 standard "
            "deviations), Abadie-Imbens (2006) standard errors; balance by standardised differences (0.1 limit).",
            "E-values (VanderWeele and Ding 2017) of the person-level designs; hazard ratios by the square-root "
            "transform for a common outcome, risk differences read as risk ratios against the comparison risk.",
            "Interrupted time series: segmented regression with Fourier seasonality and Newey-West errors (Lopez "
            "Bernal, Cummins and Gasparrini 2017).",
            *(["Regression discontinuity: local-linear fits with the mean-squared-error optimal bandwidth and robust "
               "bias-corrected intervals (Calonico, Cattaneo and Titiunik 2014); McCrary (2008) density test."]
              if self.prog.has_age_criterion or self.prog.has_risk_tool else []),
            "Minimum detectable effects: Bloom (1995), at 80% power and 5% two-sided, from the primary's jackknife "
            "standard error and degrees of freedom, relative to the imputed level without the programme in its own "
            "district-periods.",
            "Value for money (foundation_eval.evaluation.value): Home Office (2019) unit cost per victim restated with "
            "the GDP deflator; HM Treasury Green Book (2022) discounting of costs and benefits; the primary's victims "
            "spared from its person-month-weighted effect over its own district-periods.",
            "Maryland Scientific Methods Scale (Farrington, Gottfredson, Sherman and Welsh 2002), one table from "
            "design and its checks to level (foundation_eval.impact.maryland): "
            + "; ".join(f"level {k}, {w}" for k, w in SMS_LEVELS.items()) + ".",
        ]
        return Section("Technical appendix", (self.page.bullets(items),))

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

        Returns
        -------
        list
            The header and summary (`Text`), then each `Section`; the regression-discontinuity section
            only for a programme with an age limit or a risk tool.
        """
        parts = [self.header(), self.summary(), self.headline(), self.statements_section(), self.did_section(),
                 self.person_section(), self.its_section(), self.rd_section(), self.naive_section(),
                 self.sensitivity_section(), self.matched_section(), self.vfm_section(), self.power_section(),
                 self.threats_section(), self.plan_section(), self.methods(), self.disclosure(), self.provenance()]
        return [p for p in parts if p is not None]

    def provenance(self) -> Section:
        """The "Provenance" section: programme, input data hash, library version, parameters, date, and the
        analysis plan's date and SHA-256.

        Returns
        -------
        Section
            A two-column table.
        """
        rows = list(self.page.provenance_rows())
        rows += [("Analysis plan fixed", self.plan_date or "not recorded"),
                 ("Analysis plan SHA-256", self.plan_sha256 or "not recorded")]
        body = "".join(f"<tr><th scope='row'>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows)
        return Section("Provenance", (Text(f"<table class='fe-table fe-provenance'>{body}</table>"),))

