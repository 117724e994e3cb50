"""Sections 6 and 7 of the pilot-versus-rollout report: how robust the findings are.

Section 6 asks what a reviewer asks of a non-randomised evaluation: HonestDiD robust intervals and
breakdown values if trends were not parallel (Rambachan and Roth 2023), the power of the pre-trend check
(Roth 2022), the anticipation check, E-values of the comparisons of people (VanderWeele and Ding 2017) and
re-estimates under other reasonable choices. Section 7 is the Justice Data Lab-style matched comparison
with its balance table and overlap check:
[`sensitivity_section`][foundation_eval.reporting.evaluation_report.EvaluationReport.sensitivity_section]
and [`matched_section`][foundation_eval.reporting.evaluation_report.EvaluationReport.matched_section],
with their charts. `RobustnessSections` holds them and
[`EvaluationReport`][foundation_eval.reporting.evaluation_report.EvaluationReport] is built on it: use
them from the report.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from foundation_eval.evaluation.verdict import DESCRIPTIVE, finding
from foundation_eval.plotting import GREY, PALETTE, new_axes
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting._evaluation_common import _ERRORS, _cap, _legend
from foundation_eval.reporting.publication import Section, Text

__all__ = ["RobustnessSections"]

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



class RobustnessSections:
    """Sections 6 and 7 of [`EvaluationReport`][foundation_eval.reporting.evaluation_report.EvaluationReport]:
    the sensitivity analyses and the matched comparison of people.

    A base of `EvaluationReport`, never used alone: its methods read the report's `page`, `ev` and
    helpers (an evaluation result or the reason it is missing, the design boxes, the section numbers).

    Attributes
    ----------
    page : Page
        The report's page, which publishes every table, chart and sentence.
    ev : EvaluationResults
        The evaluation study whose robustness checks the sections word.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> from foundation_eval.reporting.evaluation_report import EvaluationReport
    >>> report = EvaluationReport(open_snapshot())
    >>> isinstance(report, RobustnessSections), report.honest_figure().title
    (True, 'Robust intervals for the event-study average')
    """

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
        >>> from foundation_eval.reporting.evaluation_report import EvaluationReport
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
        >>> from foundation_eval.reporting.evaluation_report import EvaluationReport
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
                "percentage points (nominal 95% interval {{ lo | points }} to {{ hi | points }}{% if cov %}, which "
                "covered the truth in {{ cov }}% of simulated forces, as its estimand, the listed people with a "
                "comparable person, differs from everyone listed{% endif %}): {{ finding }}. This comparison is shown "
                "beside the primary, not instead of it; its E-value is in section {{ s }}.",
                e=est.estimate, lo=est.ci_low, hi=est.ci_high, s=self._numbers["sensitivity"],
                finding=_finding_words(est),
                cov=None if est.measured_coverage is None else f"{100 * est.measured_coverage:.0f}"))
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


def _finding_words(est) -> str:
    """The finding of a result in the library's fixed vocabulary; descriptive results (level 1 or none) say so."""
    level = getattr(est, "sms_level", None)
    if level is None or level <= 1:
        return DESCRIPTIVE
    return finding(est)
