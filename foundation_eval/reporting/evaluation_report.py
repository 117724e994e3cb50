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
"""
from __future__ import annotations

import datetime as _dt
import re
import warnings
from functools import cached_property

import numpy as np
import pandas as pd

from foundation_eval.evaluation.study import EvaluationResults, evaluation_study
from foundation_eval.evaluation.value import round_money
from foundation_eval.evaluation.verdict import DESCRIPTIVE, NOT_ESTIMABLE, finding
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
    "rd_risk_flag": "Risk-tool threshold: the priority flag",
    "matched": "Matched comparison of people",
    "cross_section": "Listed against never-listed people",
    "self_selected": "People who engaged against people who did not",
    "placebo": "Placebo go-live",
}
"""Short names of the designs as the page calls them, by Maryland design key (the level comes from the library)."""

#: Statement templates whose numbers are sizes (never negative): printed without a sign.
_SIZES = {"cohort_less", "cohort_more", "cohort_unclear", "rate_change", "point_as_harm"}

#: Plain names of the matched comparison's covariates (categories are "<name>: <value>").
_COVARIATES = {"age_at_index": "Age at the index date (years)", "prior_da_2y": "DA offences in the two years before",
               "months_since_first_eligible": "Months since first eligible", "sex": "Sex",
               "ethnicity_group": "Ethnic group", "district_id": "District"}

#: The matched comparison's overlap counts, in the page's words (other measures keep the library's).
_OVERLAP = {
    "treated": "Listed people with a full window",
    "controls": "Comparison people with a full window (before matching)",
    "treated sharing their exact-matching values with a control": "Listed people with a comparison person in the "
                                                                 "same quarter",
    "controls sharing their exact-matching values with a treated row": "Comparison people in a quarter with listed "
                                                                       "people",
    "treated outside the controls' range of scores": "Listed people outside the comparison people's range of "
                                                     "propensity scores",
    "treated with no control sharing their exact-matching values": "Listed people with nobody to compare in the "
                                                                   "same quarter",
    "treated without a control inside the caliper (off support)": "Listed people with no comparable person "
                                                                  "(off support)",
    "controls used": "Comparison people used",
    "effective number of controls": "Effective number of comparison people",
}

#: Why a robust interval at no drift is not the usual interval, printed under the robust-interval tables.
_ROBUST_AT_ZERO = ("At no drift the robust interval is built differently from the usual interval under exactly parallel "
                   "trends (given in the text above), so the two differ slightly.")

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


def _legend(ax) -> None:
    """The house legend of this page: boxed, outside the plotting area on the right."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=True, fontsize=8,
                  edgecolor="#999999", fancybox=False)


def _cap(s: str) -> str:
    """Sentence case for a label: first letter upper case."""
    s = str(s)
    return s[:1].upper() + s[1:]


def _no_code(s: str) -> str:
    """A library sentence without references to function names (readers see no code names)."""
    return re.sub(r"\s*\(see [a-z_]+(?:\(\))?\)", "", str(s))


def _long_date(iso: str) -> str:
    """`"2020-12-01"` as `"1 December 2020"` (text that is not a date is returned as it is)."""
    try:
        d = _dt.date.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    return f"{d.day} {d.strftime('%B %Y')}"


def _month_words(ym: str) -> str:
    """`"2021-01"` as `"January 2021"` (other text as it is)."""
    try:
        return pd.Period(str(ym), freq="M").strftime("%B %Y")
    except (ValueError, TypeError):
        return str(ym)


class EvaluationReport:
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
        achieve: it had a 7% chance of detecting one that size, and only a change of at least 130% would have
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
        return (f"{fmt.signed(s.estimate, 1)} {s.unit} (95% interval {fmt.signed(s.ci_low, 1)} to "
                f"{fmt.signed(s.ci_high, 1)})")

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
                (d.pre & ~few, GREY, "Before go-live (should be near zero)", None),
                (~d.pre & ~few, PALETTE[0], "After go-live (effect)", None),
                (few, "#bbbbbb", f"Fewer than {fmt.number_word(k)} comparison districts (unreliable)", "white")):
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
        _legend(ax)
        alt = (f"Event-study chart: estimated change in DA offences per 100 eligible person-months for each {per} "
               f"from {int(d.event_time.min())} to {int(d.event_time.max())} {per}s around go-live, with 95% "
               "intervals; points before go-live test for differing trends and should sit near zero; points resting "
               "on too few comparison districts are drawn hollow in light grey.")
        return self.page.figure(ax, alt)

    def cells_statement(self) -> list:
        """Which district-periods the primary estimate covers: a sentence and the `primary_cells` table.

        The primary averages the effect only over live district-periods with at least the analysis plan's
        number of districts not yet live to compare with; the rest are outside the estimate.

        Returns
        -------
        list
            A sentence and a table (empty when the primary is not estimable).

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> sentence, table = EvaluationReport(open_snapshot()).cells_statement()
        >>> print(sentence.plain)
        Which district-quarters the estimate covers. The primary averages the effect over 36 live
        district-quarters, 2021Q1 to 2022Q2: the quarters in which at least two districts were not yet
        live to compare with, as the analysis plan requires. The other 138 live district-quarters, later
        in the rollout, rest on fewer comparison districts and are outside the estimate: it says nothing
        about them. The district-quarters in the estimate hold 22% of eligible person-months in live
        districts.
        >>> list(table.display().columns)
        ['Quarter', 'Districts live', 'Districts not yet live (the comparison)', 'Live districts in the estimate']
        """
        c, words = self.cells, self._cells_words()
        if c is None or words is None:
            return []
        sentence = self.page.say(
            "<strong>Which district-{{ c.per }}s the estimate covers.</strong> The primary averages the effect over "
            "{{ c.n }} live district-{{ c.per }}s, {{ c.first }} to {{ c.last }}: the {{ c.per }}s in which at least "
            "{{ c.k | word }} districts were not yet live to compare with, as the analysis plan requires."
            "{% if c.outside %} The other {{ c.outside }} live district-{{ c.per }}s, later in the rollout, rest on "
            "fewer comparison districts and are outside the estimate: it says nothing about them.{% endif %}"
            "{% if c.share is not none %} The district-{{ c.per }}s in the estimate hold {{ c.share | proportion }} of "
            "eligible person-months in live districts.{% endif %}", c=words)
        per = _cap(self.period)
        table = self.page.table(
            "primary_cells", c[["period", "live", "not_yet", "in_estimate"]],
            title=f"District-{self.period}s of the primary estimate, {self.period} by {self.period}",
            kinds={"live": "whole", "not_yet": "whole", "in_estimate": "whole"},
            headings={"period": per, "live": "Districts live", "not_yet": "Districts not yet live (the comparison)",
                      "in_estimate": "Live districts in the estimate"},
            notes=(f"A {self.period} enters the estimate only with at least {fmt.number_word(words['k'])} districts not "
                   "yet live to compare with (a rule of the analysis plan).",))
        return [sentence, table]

    def did_section(self) -> Section:
        """Section 1: districts that went live compared with districts not yet live (the primary design).

        The staggered difference-in-differences (imputation estimator of Borusyak, Jaravel and Spiess
        2024, Review of Economic Studies) with its randomisation test, the district-periods it covers,
        the event study and pre-trend test, the design's assumptions, the two-way fixed-effects contrast
        with its Goodman-Bacon (2021, Journal of Econometrics 225:254-277) decomposition, and engagement
        and referrals by the same comparison. Effects are in DA offences per 100 eligible person-months.

        Returns
        -------
        Section
            Sentences, the `primary_cells` table, the event-study figure and the `bacon` table.
        """
        page = self.page
        heading = self._heading("did", "Districts that went live compared with districts not yet live")
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
            return Section(heading, tuple(items))
        ri, _ = self._get("did_ri")
        items.append(page.say(
            "Estimated effect: {{ e | estimate }}, against a level without the programme of {{ cf | rate(False) }} "
            "offences per 100 eligible person-months in the same district-{{ per }}s (what the comparison predicts "
            "for them)."
            "{% if ri %} If go-live dates had been handed to districts at random, an effect this large would arise "
            "by chance with probability p = {{ '%.2f' % ri.p_value }} (randomisation test over {{ ri.n_draws }} "
            "re-assigned rollout orders).{% endif %}",
            e=self.primary, cf=did.counterfactual_mean, ri=ri, per=self.period))
        items.extend(self.cells_statement())
        items.append(self.event_study_figure())
        pt, _ = self._get("pretrend_ri")
        if pt is not None and np.isfinite(pt.p_value):
            items.append(page.say(
                "Before go-live the estimates should scatter around zero if live and not-yet-live districts were on "
                "the same path: a randomisation test of all the pre-go-live estimates gives p = {{ '%.2f' % p }} "
                "({{ 'no evidence' if p >= 0.05 else 'evidence' }} of differing trends). With {{ k }} districts the "
                "intervals are wide: treat single points with caution, and see section {{ s }} for how little this "
                "check can see.", p=pt.p_value, k=did.n_clusters, s=self._numbers["sensitivity"]))
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
            items.append(page.table("bacon", pd.DataFrame({"type": [_cap(x) for x in by["type"]], "weight": by.weight,
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
        return Section(heading, tuple(items))

    # ------------------------------------------------------------------ person-level designs
    def person_section(self) -> Section:
        """Section 2: people before and after go-live.

        The cohort comparison (risk of a further DA offence within the window, later cohorts against
        earlier ones in the same districts; people already eligible when the data start left out by the
        look-back washout) and the Cox survival analysis (hazard ratio of a first further offence while
        listed, stratified by district), each with its design box.

        Returns
        -------
        Section
            Sentences and the two design boxes (or why a design is not estimable).
        """
        page, ev = self.page, self.ev
        heading = self._heading("person", "People before and after go-live")
        items = []
        coh, why = self._get("cohort")
        if coh is None:
            items.append(self._not_estimable("The cohort comparison", why))
        else:
            groups = ev.cohort_groups.set_index("group")
            g = groups.observed
            items.append(page.say(
                "Cohort comparison: {{ a | count }} first met the criteria after their district went live and were "
                "listed at once; {{ b | count }} met them earlier, with their whole {{ w }}-month follow-up before "
                "go-live. Comparing each district's later cohorts with its own earlier ones, the risk of a further "
                "domestic-abuse offence within {{ w }} months changed by {{ e | estimate }}. Left out: "
                "{{ s | count }} whose follow-up straddles go-live, and {{ d | count }} already eligible when the data "
                "start (a look-back washout of {{ wo }} months: they may have met the criteria before the data begin, "
                "so their follow-up would not start at first eligibility).",
                a=int(g.get("after go-live", 0)), b=int(g.get("before go-live", 0)),
                s=int(groups.people.get("straddles go-live", 0)),
                d=int(groups.people.get("already eligible at the data start", 0)),
                wo=int(getattr(ev.plan, "washout_months", 0) or 0), w=ev.window_months, e=self.cohort))
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
        return Section(heading, tuple(items))

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
        ax.scatter(xq[shown], 100 * s.da_rate[shown], s=16, color=GREY, label="Observed, quarterly")
        post = f.post.to_numpy(dtype=bool)
        ax.plot(x[~post], 100 * f.fitted[~post], color=PALETTE[0], label="Fitted")
        ax.plot(x[post], 100 * f.fitted[post], color=PALETTE[0])
        ax.plot(x[post], 100 * f.counterfactual[post], color=PALETTE[3], ls="--", label="Expected without the programme")
        ax.axvline(x[post].iloc[0], color=GREY, ls=":", lw=1, label="First go-live")
        ax.set_ylabel("DA offences per 100\neligible person-months")
        ax.set_xlabel("Quarter")
        ax.set_title("Interrupted time series, whole force")
        _legend(ax)
        alt = ("Line chart of DA offences per 100 eligible person-months across the force, quarter by quarter, with "
               "the fitted segmented regression and, from the first go-live, the trend expected without the programme.")
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
        heading = self._heading("its", "Interrupted time series")
        items = [page.say(
            "Each series is compared with its own trend and seasonal pattern before go-live, projected forward; there "
            "is no comparison area, so anything else that changed at the same time (the pandemic lockdowns "
            "overlapped the pilot's start) is mixed in with the programme. Effects are in DA offences per 100 "
            "eligible person-months.")]
        pil, why_p = self._get("its_pilot")
        frc, why_f = self._get("its_force")
        if pil is None or frc is None:
            items.append(self._not_estimable("The interrupted time series", why_p or why_f))
            return Section(heading, tuple(items))
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
        return Section(heading, tuple(items))

    # ------------------------------------------------------------------ RD
    def rd_section(self) -> Section | None:
        """Section 4: regression discontinuities at the age limit and the risk-tool threshold.

        Local-linear fits with robust bias-corrected intervals (Calonico, Cattaneo and Titiunik 2014,
        Econometrica 82:2295-2326) and a McCrary (2008, Journal of Econometrics 142:698-714) density
        check, which lowers the level when it fails. The risk-tool threshold estimates the effect of the
        priority flag, not of the programme: a descriptive result with no level and no effect verdict.

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
                lowered = any("lowered" in f for f in est.level_flags)
                items.append(page.say(
                    "Density check: {{ s }}{% if failed %} A jump in the number of people either side of the limit "
                    "means the two sides may differ in more than listing{% if lowered %}, so the design's level is "
                    "lowered by one{% endif %}.{% endif %}", s=dens.summary_sentence(),
                    failed=bool(dens.p_value < 0.05), lowered=lowered))
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
                    "priority perpetrators. Comparing people just either side describes what the priority flag goes "
                    "with, not the programme: everyone compared was on it. The difference was "
                    "{{ est.estimate | points }} percentage points in {{ w }}-month reoffending (95% interval "
                    "{{ est.ci_low | points }} to {{ est.ci_high | points }}): {{ descriptive }}. {{ dens }}"
                    "{% if discrete %} The score takes few values, so the comparison reaches several points either "
                    "side of the threshold.{% endif %}",
                    t=prog.ppit_threshold, tool=prog.ppit_name, est=est, w=ev.window_months,
                    dens=dens.summary_sentence(), discrete=discrete, descriptive=DESCRIPTIVE))
                items.extend(self._synthetic("priority flag"))
                items.append(self._design_box(est))
        return Section(self._heading("rd", "Regression discontinuity"), tuple(items))

    def _rd_figure(self, res, window: int):
        """Reoffending by age band either side of the limit (bands a third of the bandwidth wide, within two
        bandwidths), drawn from the published counts of the `rd_age_bands` table, with the local-linear fit
        as estimated (the result's `fitted` lines; nothing is refitted here)."""
        cut, h = res.cutoff, res.bandwidth
        width = max(round(h / 3), 3)
        bins = res.binned(width)
        bins = bins[(bins.lower >= cut - 2 * h) & (bins.lower < cut + 2 * h)].reset_index(drop=True)
        frame = pd.DataFrame({"band": [f"{lo / 12:.1f} to {(lo + width) / 12:.1f} years" for lo in bins.lower],
                              "people": bins.n.astype(int), "reoffended": bins.events.astype(int),
                              "percent": np.nan})
        t = self.page.table("rd_age_bands", frame, title=f"People screened and reoffending within {window} months "
                            "by age band near the upper age limit", counts=["people", "reoffended"],
                            kinds={"percent": "percent"}, additive=False,
                            headings={"band": "Age band", "people": "People", "reoffended": "Reoffended",
                                      "percent": "Percent reoffended"},
                            shares={"percent": ("reoffended", "people")})
        shown = t.values.percent.notna().to_numpy()
        ax = new_axes(figsize=(7.5, 3.6))
        ax.scatter((bins.mid[shown] / 12).to_numpy(), t.values.percent[shown].to_numpy(dtype=float), color=GREY,
                   s=18, label=f"Age bands ({width:g} months)")
        for i, side in enumerate(("left", "right")):
            f = res.fitted[res.fitted.side == side]
            if len(f):
                ax.plot(f.running / 12, 100 * f.fitted, color=PALETTE[0], label="Local-linear fit" if i == 0 else None)
        ax.axvline(cut / 12, color=PALETTE[3], ls="--", lw=1, label="Age limit")
        ax.set_xlabel("Age at screen (years)")
        ax.set_ylabel(f"% reoffending within\n{window} months")
        ax.set_title("Reoffending either side of the age limit")
        _legend(ax)
        return self.page.figure(ax, f"Scatter of the percentage reoffending within {window} months by age band at "
                                    "screen, with the local-linear fits either side of the upper age limit within "
                                    "the bandwidth; bands with too few people or events are not shown.", data=t)

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
                rows = [{"comparison": _cap(e.design.replace("naive comparison: ", "").replace("naive ", "")),
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
        return Section(self._heading("naive", "What simpler comparisons would have said"), tuple(items))

    # ------------------------------------------------------------------ sensitivity
    def _breakdown_words(self, res, what: str, scale: float = 1.0, unit: str = "") -> str:
        """The breakdown value of one HonestDiD analysis in a plain sentence (numbers through the formats)."""
        b = float(res.breakdown)
        top = float(np.max(res.grid))
        includes = res.original_lower <= 0 <= res.original_upper
        if np.isnan(b):
            if includes:
                return (f"Under {what}, there is nothing to overturn: the interval already includes no effect when "
                        "trends are exactly parallel, and any allowed drift only widens it.")
            return f"Under {what}, the result stops excluding no effect at the smallest drift examined."
        if b >= top:
            return (f"Under {what}, the result still excludes no effect at every drift examined (up to "
                    f"{fmt.decimal(top * scale, 2)}{unit}).")
        return (f"Under {what}, the result stays clear of no effect for drifts up to {fmt.decimal(b * scale, 2)}{unit} "
                "(the breakdown value); beyond that, diverging trends could explain it.")

    def honest_figure(self):
        """Robust 95% intervals for the event-study average under relative magnitudes (Rambachan and Roth 2023).

        Returns
        -------
        Figure or Text
            The chart, or a sentence saying why it is not available.
        """
        h, why = self._get("honest")
        if h is None:
            return self._not_estimable("The robust intervals", why)
        rm = h.relative_magnitudes
        grid = np.asarray(rm.grid, dtype=float)
        lo, hi = 100 * np.asarray(rm.lower, dtype=float), 100 * np.asarray(rm.upper, dtype=float)
        gap = float(np.min(np.diff(grid))) if grid.size > 1 else 0.5
        ax = new_axes(figsize=(7.5, 3.6))
        mid = (lo + hi) / 2
        ax.errorbar(grid, mid, yerr=[mid - lo, hi - mid], fmt="none", color=PALETTE[0], capsize=3,
                    label="Robust 95% interval")
        olo, ohi = 100 * rm.original_lower, 100 * rm.original_upper
        om = (olo + ohi) / 2
        ax.errorbar([grid.min() - gap], [om], yerr=[[om - olo], [ohi - om]], fmt="none", color=PALETTE[3], capsize=3,
                    label="If trends were exactly parallel")
        ax.axhline(0, color="black", lw=0.8)
        if np.isfinite(rm.breakdown) and rm.breakdown < grid.max():
            ax.axvline(rm.breakdown, color=GREY, ls="--", lw=0.8, label="Breakdown value")
        ax.set_xlabel("Largest drift after go-live, as a multiple of the largest drift before")
        ax.set_ylabel("Event-study average effect,\nDA offences per 100\neligible person-months")
        ax.set_title("Robust intervals for the event-study average")
        _legend(ax)
        alt = ("Chart of robust 95% intervals for the event-study average effect, in DA offences per 100 eligible "
               "person-months, as the allowed drift between live and not-yet-live districts after go-live grows from "
               "zero to twice the largest drift seen before go-live; the interval under exactly parallel trends is "
               "drawn at the left.")
        return self.page.figure(ax, alt)

    def _honest_items(self) -> list:
        page = self.page
        items = [page.heading("If trends were not parallel: robust intervals", 3)]
        h, why = self._get("honest")
        if h is None:
            items.append(self._not_estimable("The robust intervals", why))
            return items
        rm, sd = h.relative_magnitudes, h.smoothness
        post = [int(e) for e in np.asarray(h.event_times) if e >= 0]
        items.append(page.say(
            "The primary assumes that live and not-yet-live districts would have moved in step. Rambachan and Roth "
            "(2023) ask how far their paths could have drifted apart after go-live before the conclusion changes, "
            "judging the drift against what was seen before go-live. Their bounds apply to the event-study average: "
            "the average of the event-study points from {{ a }} to {{ b }} {{ per }}s after go-live, each against "
            "the {{ per }} before go-live, which is {{ e | rate }} ({{ lo | rate }} to {{ hi | rate }}) if trends were "
            "exactly parallel. It weights the {{ per }}s differently from the primary, so it is a different number "
            "for the same question.", a=min(post) if post else 0, b=max(post) if post else 0, per=self.period,
            e=rm.estimate, lo=rm.original_lower, hi=rm.original_upper))
        items.append(page.say("{{ s }} {{ t }}", s=self._breakdown_words(
            rm, "relative magnitudes (drift after go-live at most a multiple of the largest drift before)", 1.0,
            " times the largest drift before"),
            t=self._breakdown_words(sd, "smoothness (the slope of the drift changing by at most a given amount each "
                                        f"{self.period})", 100.0, " per 100 eligible person-months")))
        items.append(self.honest_figure())
        if len(np.asarray(rm.grid)):
            f = pd.DataFrame({"value": np.asarray(rm.grid, dtype=float), "lb": 100 * np.asarray(rm.lower),
                              "ub": 100 * np.asarray(rm.upper)})
            f["excludes"] = np.where((f.lb > 0) | (f.ub < 0), "yes", "no")
            items.append(page.table("honest_rm", f, title="Robust 95% intervals under relative magnitudes "
                                                          "(event-study average, DA offences per 100 eligible "
                                                          "person-months)",
                                    kinds={"value": "decimal2", "lb": "rate", "ub": "rate"},
                                    headings={"value": "Drift after go-live up to this multiple of the largest before",
                                              "lb": "95% low", "ub": "95% high", "excludes": "Excludes no effect"},
                                    notes=(_ROBUST_AT_ZERO,)))
            g = pd.DataFrame({"value": 100 * np.asarray(sd.grid, dtype=float), "lb": 100 * np.asarray(sd.lower),
                              "ub": 100 * np.asarray(sd.upper)})
            g["excludes"] = np.where((g.lb > 0) | (g.ub < 0), "yes", "no")
            items.append(page.table("honest_sd", g, title="Robust 95% intervals under smoothness (event-study "
                                                          "average, DA offences per 100 eligible person-months)",
                                    kinds={"value": "decimal2", "lb": "rate", "ub": "rate"},
                                    headings={"value": f"Change in the drift's slope per {self.period}, up to (per 100 "
                                                       "eligible person-months)",
                                              "lb": "95% low", "ub": "95% high", "excludes": "Excludes no effect"},
                                    notes=(_ROBUST_AT_ZERO,)))
        pt = h.pretrend
        items.append(page.heading("How much the pre-trend check can see", 3))
        items.append(page.say(
            "Passing a pre-trend check is weak reassurance when the check has little power (Roth 2022). A drift between "
            "live and not-yet-live districts growing steadily by {{ s50 }} DA offences per 100 eligible person-months "
            "each {{ per }} would be caught only half the time by a check of the event-study points before go-live, "
            "and one of {{ s80 }} a {{ per }} only 80% of the time. Smaller drifts would usually pass unseen, which is "
            "why the robust intervals above do not rely on the check.",
            s50=fmt.decimal(100 * pt.slope_power_50, 2), s80=fmt.decimal(100 * pt.slope_power_80, 2), per=self.period))
        return items

    def _anticipation_items(self) -> list:
        page = self.page
        per = self.period
        items = [page.heading(f"Anticipation: the {per} before go-live", 3)]
        a, why = self._get("anticipation")
        if a is None:
            items.append(self._not_estimable("The anticipation check", why))
            return items
        items.append(page.say(
            "If districts changed what they did in the {{ per }} before going live (training, early referrals), that "
            "{{ per }} would count as untreated in the comparison and bias it. The effect imputed for that {{ per }} is "
            "{{ b.estimate | rate }} (95% interval {{ b.ci_low | rate }} to {{ b.ci_high | rate }}): "
            "{{ 'a sign' if flagged else 'no sign' }} of anticipation. Leaving that {{ per }} out of the comparison, "
            "the primary becomes {{ adj.estimate | rate }} ({{ adj.ci_low | rate }} to {{ adj.ci_high | rate }}).",
            per=per, b=a.before, adj=a.adjusted, flagged=bool(a.flagged)))
        did, _ = self._get("did")
        rows = [{"analysis": f"Effect imputed for the {per} before go-live (should be close to zero)",
                 "estimate": a.before.estimate, "ci_low": a.before.ci_low, "ci_high": a.before.ci_high},
                {"analysis": f"Primary without the {per} before go-live", "estimate": a.adjusted.estimate,
                 "ci_low": a.adjusted.ci_low, "ci_high": a.adjusted.ci_high}]
        if did is not None:
            rows.append({"analysis": "Primary as reported", "estimate": did.estimate, "ci_low": did.ci_low,
                         "ci_high": did.ci_high})
        f = pd.DataFrame(rows)
        for c in ("estimate", "ci_low", "ci_high"):
            f[c] = 100 * f[c]
        items.append(page.table("anticipation", f, title="Anticipation check (DA offences per 100 eligible "
                                                         "person-months)",
                                kinds={"estimate": "rate", "ci_low": "rate", "ci_high": "rate"},
                                headings={"analysis": "Analysis", "estimate": "Estimate", "ci_low": "95% low",
                                          "ci_high": "95% high"}))
        return items

    def _variant_items(self) -> list:
        page = self.page
        items = [page.heading("Other reasonable choices", 3), page.paragraph(
            "Does the answer change with reasonable alternative choices? Each row re-estimates the effect one way; a "
            "placebo that moves go-live a year earlier, using only data from before the programme, should find "
            "nothing. Placebo and leave-one-out rows are checks of the design and carry no Maryland level.")]
        sens, why = self._get("sensitivity")
        if sens is None:
            items.append(self._not_estimable("The sensitivity analyses", why))
            return items
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
                                    title=f"Re-estimates. {title}",
                                    kinds={"estimate": kind, "ci_low": kind, "ci_high": kind,
                                           "sms_level": "whole"},
                                    headings={"analysis": "Analysis", "estimate": "Estimate", "ci_low": "95% low",
                                              "ci_high": "95% high", "sms_level": "Maryland level", "note": "Note"},
                                    notes=("A blank level marks a check of the design, which has no level of its "
                                           "own.",)))
        checks = list(self.ev.checks())
        if checks:
            rows = [{"check": _cap(c.design), "estimate": c.displayed()[0],
                     "ci_low": c.displayed()[1], "ci_high": c.displayed()[2], "reading": _cap(c.estimand)}
                    for c in checks]
            items.append(page.table("checks", pd.DataFrame(rows), title="Checks of the design (no Maryland level)",
                                    kinds={"estimate": "rate", "ci_low": "rate", "ci_high": "rate"},
                                    headings={"check": "Check", "estimate": "DA offences per 100 eligible person-months",
                                              "ci_low": "95% low", "ci_high": "95% high",
                                              "reading": "What it should show"}))
        return items

    def _evalue_items(self) -> list:
        page = self.page
        items = [page.heading("Unmeasured differences between people: E-values", 3)]
        t, why = self._get("e_values")
        if t is None or not len(t):
            items.append(self._not_estimable("The E-values", why or "no person-level design has an interval"))
            return items
        items.append(page.say(
            "The comparisons of people rest on the groups being alike in everything not measured. An E-value "
            "(VanderWeele and Ding 2017) is how strongly an unmeasured difference would have to be linked, as a risk "
            "ratio, with both being listed and reoffending to explain the result away; the E-value of the interval "
            "is the strength needed to make the interval include no effect, and is one when it already does. Strong "
            "unmeasured differences (twice the risk and more) are plausible between people who are and are not "
            "listed, so only large E-values are reassuring."))
        f = t.copy()
        f["label"] = [self.design_name(n, n) for n in f.name]
        f["measure"] = [_cap(m) for m in f.measure]
        items.append(page.table("e_values", f[["label", "measure", "rr", "rr_lower", "rr_upper", "evalue_point",
                                               "evalue_limit"]],
                                title="E-values of the comparisons of people",
                                kinds={"rr": "ratio", "rr_lower": "ratio", "rr_upper": "ratio", "evalue_point": "ratio",
                                       "evalue_limit": "ratio"},
                                headings={"label": "Design", "measure": "Effect, read as a risk ratio",
                                          "rr": "Risk ratio", "rr_lower": "95% low", "rr_upper": "95% high",
                                          "evalue_point": "E-value of the estimate",
                                          "evalue_limit": "E-value of the interval"},
                                notes=("Hazard ratios are read as risk ratios with the square-root transform for "
                                       "a common outcome; risk differences against the comparison group's risk.",)))
        return items

    def sensitivity_section(self) -> Section:
        """Section 6: how robust is the primary (and the comparisons of people)?

        HonestDiD robust intervals and breakdown values under relative magnitudes and smoothness
        (Rambachan and Roth 2023, Review of Economic Studies 90:2555-2591), the power of the pre-trend
        check (Roth 2022, AER: Insights 4:305-322), the anticipation check (the period before go-live
        imputed, then left out), re-estimates under other reasonable choices with the checks of the
        design (no Maryland level), and E-values of the person-level designs (VanderWeele and Ding 2017,
        Annals of Internal Medicine 167:268-274).

        Returns
        -------
        Section
            Sentences, the robust-interval chart and the `honest_rm`, `honest_sd`, `anticipation`,
            `sensitivity_*`, `checks` and `e_values` tables.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> section = EvaluationReport(open_snapshot()).sensitivity_section()
        >>> section.heading
        '6. Sensitivity: how robust is the primary?'
        """
        page = self.page
        items = [page.paragraph(
            "A reviewer asks four things of a non-randomised evaluation: what if trends were not parallel, could the "
            "check of trends before go-live have seen a problem, did anything change just before go-live, and how "
            "strong would an unmeasured difference between people have to be to explain the results away. Each is "
            "answered below, then the re-estimates under other reasonable choices.")]
        items += self._honest_items()
        items += self._anticipation_items()
        items += self._evalue_items()
        items += self._variant_items()
        return Section(self._heading("sensitivity", "Sensitivity: how robust is the primary?"), tuple(items))

    # ------------------------------------------------------------------ matched comparison
    def _covariate_label(self, name: str) -> str:
        base, _, value = str(name).partition("=")
        label = _COVARIATES.get(base, _cap(base.replace("_", " ")))
        if not value:
            return label
        if base == "district_id":
            names = {d.id: d.name for d in self.prog.districts}
            value = names.get(value, value)
        return f"{label}: {value}"

    def matched_balance_figure(self, balance: pd.DataFrame):
        """The balance chart: standardised differences before and after matching, with the 0.1 limits.

        Parameters
        ----------
        balance : DataFrame
            The matched comparison's balance table.

        Returns
        -------
        Figure
        """
        b = balance.iloc[::-1].reset_index(drop=True)
        y = np.arange(len(b))
        ax = new_axes(figsize=(7.5, 0.3 * len(b) + 1.2))
        ax.scatter(b.smd_before, y, facecolors="white", edgecolors=GREY, label="Before matching", zorder=3)
        ax.scatter(b.smd_after, y, color=PALETTE[0], label="After matching", zorder=3)
        for x in (-0.1, 0.1):
            ax.axvline(x, color=PALETTE[3], ls="--", lw=0.8, label="Balance limit (0.1)" if x > 0 else None)
        ax.axvline(0, color="black", lw=0.6)
        ax.set_yticks(y)
        ax.set_yticklabels([self._covariate_label(c) for c in b.covariate], fontsize=8)
        ax.set_xlabel("Standardised difference, listed minus comparison people")
        ax.set_title("Balance of the matched comparison")
        _legend(ax)
        alt = ("Dot chart of the standardised difference between listed and comparison people in each recorded "
               "characteristic, before matching (hollow) and after (filled), with dashed lines at plus and minus 0.1, "
               "the limit for balance.")
        return self.page.figure(ax, alt)

    def _matched_effects(self, mc) -> object:
        """The `matched_effects` table: reoffending proportion and frequency, listed against matched comparison."""
        page = self.page
        t = mc.table()
        rows, hide = [], []
        for _, r in t.iterrows():
            share = r.outcome == "reoffended"
            n = int(r.n_treated)
            k = int(round(float(r.mean_treated) * n))  # people (or offences) behind the listed people's mean
            withheld = page.rule.hidden(k) or (share and page.rule.hidden(n - k))
            if share:
                vals = (fmt.percent(r.mean_treated), fmt.percent(r.mean_control), fmt.points(r.estimate) + " points",
                        fmt.points(r.ci_low), fmt.points(r.ci_high))
                measure = f"Reoffended (any DA offence) within {mc.window_months} months"
            else:
                vals = (fmt.decimal(r.mean_treated, 2), fmt.decimal(r.mean_control, 2),
                        fmt.decimal(r.estimate, 2, sign=True), fmt.decimal(r.ci_low, 2, sign=True),
                        fmt.decimal(r.ci_high, 2, sign=True))
                measure = f"DA offences per person within {mc.window_months} months"
            rows.append({"measure": measure, "listed": vals[0], "comparison": vals[1], "difference": vals[2],
                         "ci_low": vals[3], "ci_high": vals[4], "n_treated": n, "n_controls": int(r.n_controls)})
            hide.append(withheld)
        f = pd.DataFrame(rows)
        mask = np.asarray(hide, dtype=bool)
        return page.table("matched_effects", f, title="Matched comparison: one-year DA reoffending of listed people "
                                                      "and their matched comparison people",
                          counts={"n_treated": [], "n_controls": []}, additive=False,
                          hide={c: mask for c in ("listed", "comparison", "difference", "ci_low", "ci_high")},
                          headings={"measure": "Outcome", "listed": "Listed people", "comparison": "Matched comparison",
                                    "difference": "Difference", "ci_low": "95% low", "ci_high": "95% high",
                                    "n_treated": "Listed people compared", "n_controls": "Comparison people used"},
                          notes=("Differences are listed minus matched comparison; a negative difference means less "
                                 "reoffending among listed people.",))

    def matched_section(self) -> Section:
        """Section 7: the Justice Data Lab-style matched comparison of people.

        Listed people at first listing against eligible people not yet listed in the same calendar
        quarter, matched on the propensity score, after a look-back washout
        ([`matched_comparison`][foundation_eval.evaluation.matched.matched_comparison]): one-year DA
        reoffending (proportion and frequency), the balance table of standardised differences before and
        after matching (0.1 or more flagged), the overlap check, and the design's Maryland level (3,
        lowered to 2 when balance fails). Every count of people goes through the page's disclosure rule.

        Returns
        -------
        Section
            Sentences, the `matched_effects`, `matched_balance`, `matched_overlap` and `matched_scores`
            tables and the balance chart (or why the comparison is not estimable).

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> section = EvaluationReport(open_snapshot()).matched_section()
        >>> section.heading
        '7. Matched comparison of people (Justice Data Lab style)'
        """
        page = self.page
        heading = self._heading("matched", "Matched comparison of people (Justice Data Lab style)")
        items = [page.say(
            "Did the people put on the list reoffend less in the following {{ w }} months than similar eligible people "
            "who were not (yet) listed? In the style of the Ministry of Justice's Justice Data Lab, each listed "
            "person is compared with eligible people not yet listed who looked like them, on recorded "
            "characteristics, at the same point of the pathway.", w=self.ev.window_months)]
        mc, why = self._get("matched")
        if mc is None:
            items.append(self._not_estimable("The matched comparison", why))
            return Section(heading, tuple(items))
        res = mc.result
        items.append(page.say(
            "<strong>Who is compared.</strong> {{ pop }}, against {{ comp }}. {{ rule }}",
            pop=_cap(mc.population), comp=mc.comparison, rule=mc.index_rule))
        items.append(page.say(
            "<strong>Look-back washout.</strong> {{ nw | count }} first seen eligible within {{ wo }} months of the "
            "data start were left out: they may have met the criteria before the data begin, so they are not newly "
            "eligible. Of the rest, {{ nl | count('listed people') }} and {{ nc | count('comparison people') }} had "
            "their whole {{ w }}-month window observed ({{ nno | count }} did not yet and are left out). "
            "{{ nt | count('listed people') }} found a comparable person in the same quarter; {{ noff | count }} did "
            "not, so the result is about the {{ nt | count('listed people') }} who did.",
            nw=mc.n_washout_excluded, wo=mc.washout_months, nl=mc.n_listed, nc=mc.n_comparison,
            nno=mc.n_not_observed, w=mc.window_months, nt=res.n_treated, noff=res.n_off_support))
        items.append(self._matched_effects(mc))
        est, _ = self._get("matched_estimate")
        if est is not None:
            items.append(page.say(
                "On the share reoffending, listed people differ from their matched comparison by {{ e | points }} "
                "percentage points (95% interval {{ lo | points }} to {{ hi | points }}): {{ finding }}. This "
                "comparison is shown beside the primary, not instead of it; its E-value is in section {{ s }}.",
                e=est.estimate, lo=est.ci_low, hi=est.ci_high, s=self._numbers["sensitivity"],
                finding=_finding_words(est)))
        # balance
        b = mc.balance().copy()
        thr = float(getattr(res, "threshold", 0.1))
        b["label"] = [self._covariate_label(c) for c in b.covariate]
        b["used"] = np.where(b.in_model.astype(bool), "yes", "no (shown for balance only)")
        b["flag"] = np.where(b.smd_after.abs() >= thr, f"not balanced ({fmt.decimal(thr, 1)} or more)", "balanced")
        items.append(page.heading("Balance: do the matched groups look alike?", 3))
        imb_model = [self._covariate_label(c) for c in b.covariate[b.in_model.astype(bool) & (b.smd_after.abs() >= thr)]]
        imb_other = b[~b.in_model.astype(bool) & (b.smd_after.abs() >= thr)]
        items.append(page.say(
            "A standardised difference is the gap between the groups' means in units of their spread; below "
            "{{ thr }} after matching counts as balanced. {% if imb %}Balance was not achieved on {{ imb }}, so "
            "{% if lowered %}the design's level is lowered by one and {% endif %}the result is labelled: balance not "
            "achieved on {{ imb }}.{% else %}Every characteristic "
            "used in matching is balanced.{% endif %}{% if other %} The district was not used in matching: listing "
            "followed the district's go-live alone, so within a quarter the district is the programme and nobody "
            "would be left to compare. Listed and comparison people therefore come from different districts "
            "(standardised differences up to {{ worst }} after matching), and differences between districts remain in "
            "the result; the Maryland level below rests on the characteristics used in matching only.{% endif %}", thr=fmt.decimal(thr, 1), imb="; ".join(imb_model), other=bool(len(imb_other)),
            lowered=any("lowered" in f for f in getattr(est, "level_flags", ())),
            worst=fmt.decimal(float(imb_other.smd_after.abs().max()), 1) if len(imb_other) else ""))
        items.append(page.table("matched_balance", b[["label", "used", "smd_before", "smd_after", "flag"]],
                                title="Balance table: standardised differences before and after matching",
                                kinds={"smd_before": "decimal2", "smd_after": "decimal2"},
                                headings={"label": "Characteristic", "used": "Used in matching",
                                          "smd_before": "Standardised difference before",
                                          "smd_after": "Standardised difference after", "flag": "After matching"},
                                notes=(f"Listed minus comparison people, in pooled standard deviations; "
                                       f"{fmt.decimal(thr, 1)} or more after matching is flagged.",)))
        try:
            items.append(self.matched_balance_figure(b))
        except _ERRORS as exc:
            items.append(self._not_estimable("The balance chart", str(exc)))
        # overlap
        items.append(page.heading("Overlap: does every listed person have someone to compare with?", 3))
        ov = mc.overlap().copy()
        counts = ov[~ov.measure.str.startswith(("propensity score", "share of", "caliper"))].copy()
        counts["label"] = [_OVERLAP.get(m, _cap(m)) for m in counts.measure]
        items.append(page.say(
            "Matching compares like with like only where listed and comparison people overlap: within the same quarter "
            "and close in propensity score (the chance of being listed given the recorded characteristics). "
            "{{ share | proportion }} of listed people had no comparable person and are left out; the result applies "
            "to the rest, not to everyone listed.", share=res.n_off_support / max(res.n_treated_total, 1)))
        items.append(page.table("matched_overlap", counts[["label", "value"]],
                                title="Overlap check: people with and without someone to compare",
                                counts={"value": []}, additive=False,
                                headings={"label": "Measure", "value": "People"}))
        sc = ov[ov.measure.str.startswith("propensity score")].copy()
        if len(sc):
            stat = sc.measure.str.extract(r"propensity score (\w+(?: quartile)?), (\w+)")
            sc = sc.assign(stat=stat[0], group=stat[1].map({"treated": "Listed people", "controls": "Comparison people"}))
            wide = sc.pivot_table(index="group", columns="stat", values="value", sort=False).reset_index()
            cols = [c for c in ("minimum", "lower quartile", "median", "upper quartile", "maximum") if c in wide]
            items.append(page.table("matched_scores", wide[["group", *cols]],
                                    title="Propensity scores before matching, by group",
                                    kinds={c: "decimal2" for c in cols},
                                    headings={"group": "Group", **{c: _cap(c) for c in cols}}))
        if est is not None:
            items.append(self._design_box(est))
        items.extend(self._matched_caveats(mc))
        return Section(heading, tuple(items))

    def _matched_caveats(self, mc) -> list[Text]:
        """The library's caveats of the matched comparison (they carry no counts; the people in both groups
        are counted through the disclosure rule)."""
        out = []
        for c in mc.caveats:
            if c.startswith("Some people are in both groups") and mc.n_both_roles:
                out.append(self.page.say("{{ n | count }} are in both groups, at different times (compared before "
                                         "their district went live, listed after).", n=int(mc.n_both_roles)))
            elif not re.search(r"\d", c):
                out.append(self.page.paragraph(c))
        return out

    # ------------------------------------------------------------------ value for money
    def vfm_section(self) -> Section:
        """Section 8: value for money under every design, led by the primary.

        Each design's effect is translated into victims spared and valued at the Home Office unit cost
        per victim ([`Evaluation.value`][foundation_eval.evaluation.designs.Evaluation.value]); the
        primary's value is counted only over the district-periods its estimate covers, with victims per
        offence (and costs) from the same person-months. Sums are restated in one price base with a GDP
        deflator (labelled when illustrative), discounted at the Green Book rate, and shown at low,
        central and high unit costs. Placeholder costs and whatever rests on them (programme cost,
        benefit-cost ratio, break-even) are never printed as findings.

        Returns
        -------
        Section
            The `vfm_victims`, `vfm_value` and `vfm_costs` tables with their sentences.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> section = EvaluationReport(open_snapshot()).vfm_section()
        >>> section.heading
        '8. Value for money'
        >>> print(section.items[1].plain)
        Each design's effect is translated into victims spared (people kept from a further DA offence) and
        valued at the Home Office cost per victim of domestic abuse: £46,000 central, with a low of £14,000
        and a high of £68,000 (the uncertainty of the unit cost, shown apart from the statistical interval).
        Every sum is in 2024/25 prices, restated with a GDP deflator that is an illustrative approximation to
        the published series, not the official figures. Costs and benefits are discounted at 3.5% a year (HM
        Treasury Green Book) to the year starting January 2021. The primary analysis leads; the others show
        how much the answer depends on the design. Money is rounded to what the data support.
        """
        page = self.page
        heading = self._heading("vfm", "Value for money")
        va, why = self._get("value")
        if va is None:
            return Section(heading, (self._not_estimable("Value for money", why),))
        items = []
        if va.cost_placeholder:
            items.append(page.paragraph(
                "The programme's costs in the programme file are placeholders, not findings: this section gives no "
                "programme cost, cost per person, break-even point or benefit-cost ratio. Replace them with the "
                "programme's accounts to obtain those."))
        items.append(page.say(
            "Each design's effect is translated into victims spared (people kept from a further DA offence) and "
            "valued at the Home Office cost per victim of domestic abuse: {{ unit | money }} central, with a low of "
            "{{ low | money }} and a high of {{ high | money }} (the uncertainty of the unit cost, shown apart from "
            "the statistical interval). Every sum is in {{ base }} prices{% if va.price_base %}, restated with a GDP "
            "deflator{% if va.deflator_illustrative %} that is an illustrative approximation to the published "
            "series, not the official figures{% endif %}{% endif %}.{% if va.discount_rate %} Costs and benefits are "
            "discounted at {{ rate }} a year (HM Treasury Green Book) to the year starting {{ start }}.{% endif %} "
            "The primary analysis leads; the others show how much the answer depends on the design. Money is "
            "rounded to what the data support.", va=va, unit=round_money(va.unit_cost_per_victim),
            low=round_money(va.unit_cost_low), high=round_money(va.unit_cost_high),
            base=va.price_base or "year ending March 2017", rate=fmt.decimal(100 * va.discount_rate, 1) + "%",
            start=_month_words(va.discount_base)))
        if va.primary is not None and va.primary.name == "did_att_da_rate" and np.isfinite(va.estimand_person_months):
            items.append(page.say(
                "The primary's value is counted only over the district-{{ per }}s its estimate covers: "
                "{{ est | count('') | trim }} of {{ live | count('eligible person-months') }} in live "
                "districts ({{ share | proportion }}), times the effect per eligible person-month in those "
                "district-{{ per }}s, not extrapolated to the rest. Victims per offence ({{ vpo }}) come from the DA "
                "offences of the same person-months{% if not va.cost_placeholder %}, and the programme's cost is that "
                "of the same district-months{% endif %}.", per=self.period, est=va.estimand_person_months,
                live=va.live_person_months, share=va.estimand_share, vpo=fmt.decimal(va.victims_per_offence, 2), va=va))
        t = va.table()
        t["label"] = [self.design_name(n, d) + (" (primary)" if r == "primary" else "")
                      for n, d, r in zip(t.name, t.design, t.role, strict=True)]
        basis = tuple(f"{lab}: {b}." for lab, b, r in zip(t.label, t.basis, t.role, strict=True) if r != "primary")
        items.append(page.table("vfm_victims", t[["label", "sms_level", "victims_spared", "victims_low",
                                                  "victims_high"]],
                                title="Victims spared under each design, primary first",
                                kinds={"sms_level": "whole", "victims_spared": "whole", "victims_low": "whole",
                                       "victims_high": "whole"},
                                headings={"label": "Design", "sms_level": "Maryland level",
                                          "victims_spared": "Victims spared", "victims_low": "95% low",
                                          "victims_high": "95% high"},
                                notes=("Estimated numbers, rounded to two significant figures; a negative number "
                                       "means more victims, not fewer.", *basis)))
        cols = ["label", "social_value", "social_value_low", "social_value_high", "social_value_low_unit_cost",
                "social_value_high_unit_cost"]
        kinds = {c: "money" for c in cols[1:]}
        heads = {"label": "Design", "social_value": "Social value, central unit cost", "social_value_low": "95% low",
                 "social_value_high": "95% high", "social_value_low_unit_cost": "At the low unit cost",
                 "social_value_high_unit_cost": "At the high unit cost"}
        if not va.cost_placeholder:
            cols += ["bcr", "bcr_low", "bcr_high"]
            kinds.update(bcr="decimal1", bcr_low="decimal1", bcr_high="decimal1")  # rounded to 0.1 by the library
            heads.update(bcr="Benefit-cost ratio", bcr_low="Ratio 95% low", bcr_high="Ratio 95% high")
        # the price base, the deflator, the discounting and the estimand's share are said in the sentences above
        said = ("Every sum of money is in", "Costs and benefits are discounted", "The primary's value is counted only")
        notes = tuple(c for c in va.caveats if not c.startswith(said) and not re.search(r"\d", c))
        items.append(page.table("vfm_value", t[cols], title="Social value under each design, primary first "
                                                            "(present values)",
                                kinds=kinds, headings=heads, notes=notes))
        f = va.findings()
        money = f.unit.eq("GBP")
        f = f.assign(amount=f.value.where(money), number=f.value.where(~money & f.n.isna()))
        items.append(page.table("vfm_costs", f[["item", "amount", "number", "n"]],
                                title=f"Costs, unit costs and counts ({va.price_base or 'nominal'} prices)",
                                counts={"n": []}, kinds={"amount": "money", "number": "whole"},
                                headings={"item": "Item", "amount": "Amount", "number": "Number", "n": "Count"},
                                additive=False,
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
        return Section(heading, tuple(items))

    # ------------------------------------------------------------------ power
    def power_figure(self, pw):
        """Power of the two main comparisons against the true reduction, with the plausible effect marked.

        Parameters
        ----------
        pw : PowerAnalysis
            The evaluation's power analysis.

        Returns
        -------
        Figure
        """
        c = pw.curve
        ax = new_axes(figsize=(6.5, 3.6))
        ax.plot(100 * c.reduction, 100 * c.power, color=PALETTE[0], label="District comparison (primary)")
        ax.plot(100 * c.reduction, 100 * c.power_person, color=PALETTE[1], ls="--",
                label=f"Comparison of people, {pw.followup_months}-month reoffending")
        ax.axhline(100 * pw.power, color=GREY, ls=":", lw=1, label=f"{fmt.percent(pw.power)} power")
        ax.axvline(100 * pw.plausible_effect, color=PALETTE[3], ls="--", lw=0.8,
                   label=f"Largest plausible reduction ({fmt.percent(pw.plausible_effect)})")
        ax.set_xlabel("True reduction (% of the level without the programme)")
        ax.set_ylabel("Chance of detecting it (%)")
        ax.set_ylim(0, 100)
        ax.set_title("Chance of detecting a true reduction")
        _legend(ax)
        return self.page.figure(ax, "Line chart of the chance (power) that the district comparison and the comparison "
                                    "of people detect a true reduction, against the size of the reduction from 0 to "
                                    "60%, with the largest plausible reduction marked.")

    def power_section(self) -> Section:
        """Section 9: what this evaluation can and cannot detect (minimum detectable effects at 80% power,
        5% two-sided; Bloom 1995, Evaluation Review 19:547-556).

        The primary's minimum detectable effect is relative to the level without the programme in its own
        district-periods (the counterfactual level of its estimand), and set against the programme file's
        plausible effect; the caveat is the same sentence as in the summary.

        Returns
        -------
        Section
            Sentences, the power curve and the `power` table.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> section = EvaluationReport(open_snapshot()).power_section()
        >>> section.heading
        '9. What this evaluation can and cannot detect'
        >>> list(section.items[4].display().columns)[:4]
        ['Design', 'Unit', 'Level without the programme', 'Smallest detectable change']
        """
        page = self.page
        heading = self._heading("power", "What this evaluation can and cannot detect")
        pw, why = self._get("power")
        if pw is None:
            return Section(heading, (self._not_estimable("Power", why),))
        caveat = self.power_caveat()
        items = [caveat if caveat is not None else page.say(
            "The primary could detect a reduction of {{ r | proportion }}, the largest the programme could plausibly "
            "achieve, with at least {{ p | proportion }} power.", r=pw.plausible_effect, p=pw.power)]
        items.append(page.say(
            "With {{ k }} districts and about {{ n | count }} eligible a month, the district comparison would detect "
            "({{ p | proportion }} of the time) only a change of at least {{ rel | proportion }} of the level without "
            "the programme in its own district-{{ per }}s{% if rel >= 1 %}: more than a complete stop to DA offending "
            "among eligible people{% endif %}. The comparison of people's {{ w }}-month reoffending could detect a "
            "change of about {{ m | points(False) }} percentage points ({{ prel | proportion }} of its "
            "{{ p0 | proportion }} level).", k=pw.n_districts, n=pw.list_size, p=pw.power, rel=pw.did_mde_relative,
            per=self.period, w=pw.followup_months, m=pw.person_mde.mde, prel=pw.person_mde_relative, p0=pw.p0))
        items.append(page.say(
            "To detect a {{ r | proportion }} reduction reliably, the district comparison would need a list roughly "
            "{{ mult }} times larger (or many more districts). A result that includes no effect here is therefore "
            "not evidence that the programme does nothing: it may be too small for this design to see.",
            r=pw.plausible_effect, mult=fmt.decimal(pw.list_multiplier(pw.plausible_effect), 0)))
        items.append(self.power_figure(pw))
        person_power = float(np.interp(pw.plausible_effect, pw.curve.reduction, pw.curve.power_person))
        t = pd.DataFrame([
            {"design": "District comparison (primary)", "unit": "DA offences per 100 eligible person-months",
             "baseline": 100 * pw.baseline_rate, "mde": 100 * pw.did_mde, "mde_relative": 100 * pw.did_mde_relative,
             "power_plausible": 100 * pw.power_at_plausible},
            {"design": f"Comparison of people, {pw.followup_months}-month reoffending",
             "unit": "% reoffending (change in percentage points)", "baseline": 100 * pw.p0,
             "mde": 100 * pw.person_mde.mde, "mde_relative": 100 * pw.person_mde_relative,
             "power_plausible": 100 * person_power}])
        items.append(page.table(
            "power", t, title="Minimum detectable effects (80% power, 5% two-sided)",
            kinds={"baseline": "decimal1", "mde": "decimal1", "mde_relative": "percent", "power_plausible": "percent"},
            headings={"design": "Design", "unit": "Unit", "baseline": "Level without the programme",
                      "mde": "Smallest detectable change", "mde_relative": "As % of the level",
                      "power_plausible": f"Chance of detecting a {fmt.percent(pw.plausible_effect)} reduction"},
            notes=("The district comparison's level without the programme is that of its own district-quarters, as "
                   "the comparison predicts it; the plausible reduction is a setting of the programme file.",)))
        return Section(heading, tuple(items))

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
        """Section 10: threats to validity and limitations.

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
            items.append(page.bullets([page.say("{{ s }}", s=_no_code(m.sentence())) for m in missing]))
        # only the notes about parts this programme has (no age limit or risk tool: no note about them)
        skip = (["age limit"] if not self.prog.has_age_criterion else []) + (
            ["priority flag"] if not self.prog.has_risk_tool else [])
        notes = [n for n in self.ev.synthetic_notes() if not any(w in n for w in skip)]
        if notes:
            items.append(page.heading("About the synthetic data", 3))
            items.append(page.bullets([page.say("{{ s }}", s=n) for n in notes]))
        return Section(self._heading("threats", "Threats to validity and limitations"), tuple(items))

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
            "Technical appendix: methods", a list.
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
        return Section("Technical appendix: methods", (self.page.bullets(items),))

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


def _finding_words(est) -> str:
    """The finding of a result in the library's fixed vocabulary; descriptive results (level 1 or none) say so."""
    level = getattr(est, "sms_level", None)
    if level is None or level <= 1:
        return DESCRIPTIVE
    return finding(est)


def _lower(name: str) -> str:
    """A design name inside a sentence (first letter lower case, names of people kept)."""
    if name.split(" ", 1)[0] in ("Cox", "Callaway"):
        return name
    return name[:1].lower() + name[1:]


def _esc(s) -> str:
    import html

    return html.escape(str(s))
