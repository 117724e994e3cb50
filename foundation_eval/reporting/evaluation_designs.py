"""Sections 1 to 5 of the pilot-versus-rollout report: the designs, primary first.

The staggered district comparison (the primary: the district-periods it covers, the event study, the
pre-trend test and the two-way fixed-effects contrast), the comparisons of people before and after go-live
(cohorts and the Cox survival analysis), the interrupted time series, the regression discontinuities at
the age limit and the risk-tool threshold, and what simpler comparisons would have said:
[`did_section`][foundation_eval.reporting.evaluation_report.EvaluationReport.did_section],
[`person_section`][foundation_eval.reporting.evaluation_report.EvaluationReport.person_section],
[`its_section`][foundation_eval.reporting.evaluation_report.EvaluationReport.its_section],
[`rd_section`][foundation_eval.reporting.evaluation_report.EvaluationReport.rd_section] and
[`naive_section`][foundation_eval.reporting.evaluation_report.EvaluationReport.naive_section], with their
charts. `DesignSections` holds them and
[`EvaluationReport`][foundation_eval.reporting.evaluation_report.EvaluationReport] is built on it: use
them from the report.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from foundation_eval.evaluation.verdict import DESCRIPTIVE, risk_difference_ends
from foundation_eval.plotting import GREY, PALETTE, new_axes
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting._evaluation_common import _ERRORS, _cap, _legend
from foundation_eval.reporting.publication import Section

__all__ = ["DesignSections"]


def _cut(est) -> str:
    """What follows a risk difference's interval when it was cut to the possible range
    ([`rd_age`][foundation_eval.evaluation.designs.rd_age])."""
    return ("", ", cut to the possible range of -100 to +100 points: the comparison can say little",
            ", every possible difference: the comparison cannot tell")[risk_difference_ends(est.ci_low, est.ci_high)]


class DesignSections:
    """Sections 1 to 5 of [`EvaluationReport`][foundation_eval.reporting.evaluation_report.EvaluationReport]:
    each design's results, in words, tables and charts.

    A base of `EvaluationReport`, never used alone: its methods read the report's `page`, `ev` and
    helpers (an evaluation result or the reason it is missing, the design boxes, the section numbers).

    Attributes
    ----------
    page : Page
        The report's page, which publishes every table, chart and sentence.
    ev : EvaluationResults
        The evaluation study whose designs the sections word.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> from foundation_eval.reporting.evaluation_report import EvaluationReport
    >>> report = EvaluationReport(open_snapshot())
    >>> isinstance(report, DesignSections), report.its_section().heading
    (True, '3. Interrupted time series')
    """

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
        >>> from foundation_eval.reporting.evaluation_report import EvaluationReport
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
        >>> from foundation_eval.reporting.evaluation_report import EvaluationReport
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
        # quarterly rates from the published offences and person-months (the `its_quarterly` table), so a rate
        # times its published person-months gives back only the published count
        frame = pd.DataFrame({"quarter": raw.period.astype(str), "da_events": raw.da_events.astype(int),
                              "eligible": raw.eligible.astype(float), "rate": np.nan})
        t = self.page.table("its_quarterly", frame, title="DA offences and eligible person-months by quarter, whole "
                            "force", counts=["da_events"], kinds={"eligible": "whole", "rate": "decimal2"},
                            additive=False, headings={"quarter": "Quarter", "da_events": "DA offences",
                                                      "eligible": "Eligible person-months",
                                                      "rate": "Per 100 person-months"},
                            rates={"rate": ("da_events", "eligible", 100)})
        ax = new_axes(figsize=(7.5, 3.6))
        f = res.series()
        x = f.time
        xq = raw.period.dt.start_time + pd.Timedelta(days=45)
        shown = t.values.rate.notna().to_numpy()
        s = t.values.assign(da_rate=t.values.rate / 100)
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
        alt = ("Line chart of DA offences per 100 eligible person-months across the force, quarter by quarter (from "
               "the published counts), with the fitted segmented regression and, from the first go-live, the trend "
               "expected without the programme.")
        return self.page.figure(ax, alt, data=t)

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
            "Pilot districts together: the level changed by {{ p.estimate | rate }} at go-live (nominal 95% interval "
            "{{ p.ci_low | rate }} to {{ p.ci_high | rate }}{% if p.measured_coverage %}, which covered the true "
            "change in {{ '%.0f' % (100 * p.measured_coverage) }}% of simulated forces{% endif %}). Whole force, "
            "interrupted at the first go-live: {{ f.estimate | rate }} ({{ f.ci_low | rate }} to "
            "{{ f.ci_high | rate }}{% if f.measured_coverage %}; covered the truth in "
            "{{ '%.0f' % (100 * f.measured_coverage) }}% of simulated forces{% endif %}), with the later districts' "
            "go-lives showing up in the change of slope.{% if p.measured_coverage %} These intervals are narrower "
            "than they should be: a single series does not model the district-by-quarter shocks and the build-up of "
            "the effect, so read them as nominal, not as 95%.{% endif %}", p=p, f=f))
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
                                              "ci_low": "Nominal 95% low", "ci_high": "Nominal 95% high",
                                              "note": "Note"},
                                    notes=("District series are short and noisy: single districts' intervals are wide "
                                           "and some will exclude zero by chance; like the series above, their "
                                           "nominal 95% intervals cover the truth less often than 95%.",)))
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
                    "{{ est.ci_low | points }} to {{ est.ci_high | points }}{{ cut }}). Few people are screened near "
                    "the limit, so the interval is wide.", amax=prog.age_max, birthday=fmt.ordinal(prog.age_max + 1),
                    est=est, w=ev.window_months, cut=_cut(est)))
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
                    "{{ est.ci_low | points }} to {{ est.ci_high | points }}{{ cut }}): {{ descriptive }}. {{ dens }}"
                    "{% if discrete %} The score takes few values, so the comparison reaches several points either "
                    "side of the threshold.{% endif %}",
                    t=prog.ppit_threshold, tool=prog.ppit_name, est=est, w=ev.window_months,
                    dens=dens.summary_sentence(), discrete=discrete, descriptive=DESCRIPTIVE, cut=_cut(est)))
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
