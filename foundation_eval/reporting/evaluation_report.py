"""Content of the pilot-versus-rollout impact report, published through one :class:`Page`.

Written for a Police and Crime Commissioner: the verdict of the pre-specified primary design first,
then each design with its Maryland Scientific Methods Scale level and its assumptions in plain
English, sensitivity analyses, value for money, what the evaluation can and cannot detect, a methods
appendix, the disclosure statement and provenance.

The three registered headline estimands (``did_att_da_rate``, ``reoffending_12m_rd_programme``,
``reoffending_hr_programme``) are read from the render's snapshot, so this page, the force overview
and ``results.json`` give one value each. With non-default parameters (lockdown months left out,
another window) the page shows those variants under their own labels, never under the registered
names. A design the data cannot support is reported in a plain sentence saying why.
"""
from __future__ import annotations

import warnings
from functools import cached_property

import numpy as np
import pandas as pd

from foundation_eval.evaluation.designs import Costs, Evaluation
from foundation_eval.plotting import GREY, PALETTE, new_axes
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting.disclosure import protect
from foundation_eval.reporting.publication import Page, Section, Text

__all__ = ["EvaluationReport", "SMS_PLAIN", "verdict_phrase"]

#: Plain-English reading of each Maryland Scientific Methods Scale level (Sherman et al. 1997).
SMS_PLAIN = {
    1: "a comparison at one point in time: it shows association, not effect",
    2: "a before-and-after comparison without a comparable control group: other changes over time could "
       "explain the result",
    3: "a before-and-after comparison with areas or people not (yet) receiving the programme: stronger, but it "
       "relies on them following the same trends",
    4: "a comparison with several comparison units whose earlier trends were checked: the strongest design "
       "available here without random assignment",
    5: "random assignment",
}

_ERRORS = (ValueError, KeyError, IndexError, ZeroDivisionError, np.linalg.LinAlgError, TypeError)


def verdict_phrase(direction: int, lower_is_better: bool = True) -> str:
    """The fixed vocabulary of a verdict from the direction of an interval (-1 below no effect, +1 above, 0 neither).

    Examples
    --------
    >>> verdict_phrase(-1), verdict_phrase(0), verdict_phrase(1)
    ('evidence of a reduction', 'no clear evidence either way', 'evidence of an increase')
    """
    if direction == 0:
        return "no clear evidence either way"
    return "evidence of a reduction" if direction < 0 else "evidence of an increase"


class EvaluationReport:
    """All content of the pilot-versus-rollout report.

    Parameters
    ----------
    snap : Snapshot
        The render's snapshot (:func:`foundation_eval.evaluation.snapshot.open_snapshot`).
    exclude_lockdown : bool
        Leave COVID-19 lockdown months out of the district panel and the Cox model (a variant).
    window_months : int
        Outcome window of the person-level comparisons (12 is the registered estimand).
    unit_cost_per_victim : float
        Home Office unit cost per victim of domestic abuse used for value for money.
    evaluation : Evaluation, optional
        An evaluation of the same dataset already computed (its settings then take precedence).
    """

    def __init__(self, snap, *, exclude_lockdown: bool = False, window_months: int = 12,
                 unit_cost_per_victim: float = 34015, parameters: dict | None = None,
                 evaluation: Evaluation | None = None):
        self.snap = snap
        self.ds = snap.dataset
        self.prog = snap.programme
        costs = Costs(unit_cost_per_victim=float(unit_cost_per_victim))
        self.ev = evaluation or Evaluation(self.ds, exclude_lockdown=bool(exclude_lockdown),
                                           window_months=int(window_months), costs=costs)
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
        return value, None

    def _not_estimable(self, what: str, reason: str) -> Text:
        return self.page.say("{{ what }} could not be estimated on these data: {{ reason }}.", what=what,
                             reason=reason.rstrip("."))

    def _sms(self, level) -> str:
        if level is None or (isinstance(level, float) and np.isnan(level)):
            return "no Maryland level (a check, not an estimate of effect)"
        return f"Maryland Scientific Methods Scale level {int(level)} of 5: {SMS_PLAIN.get(int(level), '')}"

    def _design_box(self, e) -> Text:
        items = "".join(f"<li>{_esc(a)}</li>" for a in e.assumptions)
        return Text(f"<div class='fe-design'><p><strong>Strength of evidence.</strong> {_esc(self._sms(e.sms_level))}."
                    f"</p><p><strong>What has to be true for this to be the programme's effect:</strong></p>"
                    f"<ul>{items}</ul></div>")

    @property
    def period(self) -> str:
        return "quarter" if self.ev.freq == "Q" else "month"

    def _view(self, name: str, attr: str, unit: str, label: str):
        """The registered estimate from the snapshot, or this page's variant of it under its own label."""
        if not self.variant:
            return self.page.estimate(name)
        from foundation_eval.reporting.publication import EstimateView

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
        return self._view("did_att_da_rate", "did", "rate", "Staggered district comparison")

    @cached_property
    def cohort(self):
        return self._view("reoffending_12m_rd_programme", "cohort", "points", "Cohort comparison")

    @cached_property
    def cox(self):
        return self._view("reoffending_hr_programme", "cox", "ratio", "Survival analysis")

    # ------------------------------------------------------------------ header, verdict, summary
    def header(self) -> Text:
        return self.page.header(f"Impact of the pilot and staggered rollout, {self.prog.study_start} to "
                                f"{self.prog.study_end}.")

    def verdict(self) -> Text:
        """The pre-specified primary design's answer, stated first, in a fixed vocabulary."""
        p = self.primary
        if not p.available:
            return self.page.say(
                "<strong>Primary analysis: no answer.</strong> The pre-specified primary analysis, the staggered "
                "comparison of districts that went live with districts not yet live, could not be estimated on "
                "these data ({{ why }}), so this report makes no claim about the programme's effect.",
                why=p.reason.rstrip("."))
        phrase = verdict_phrase(p.direction())
        return self.page.say(
            "<strong>Primary analysis: {{ phrase }}.</strong> The pre-specified primary analysis compares districts "
            "that had gone live with districts not yet live, for everyone meeting the criteria: domestic-abuse "
            "offences changed by {{ e | estimate }} once a district went live (Maryland level {{ level }}).",
            phrase=phrase, e=p, level=p.sms_level)

    def supporting(self) -> list[Text]:
        """Supporting designs, labelled as such, with their levels and whether they survive the sensitivity checks."""
        out = []
        sens, _ = self._get("sensitivity")
        for view, group, words in ((self.cohort, "Risk", "the share of listed people with a further DA offence within "
                                    "12 months, later cohorts against earlier cohorts in the same districts"),
                                   (self.cox, "Hazard", "the rate of a first further DA offence while listed, against "
                                    "eligible people not (yet) listed, within each district")):
            if not view.available:
                out.append(self.page.say("Supporting design not estimable ({{ what }}): {{ why }}.", what=words,
                                         why=view.reason.rstrip(".")))
                continue
            lost = ""
            if view.excludes_no_effect() and sens is not None:
                rows = sens[sens.group.str.startswith(group)]
                null = 1.0 if view.unit == "ratio" else 0.0
                weak = rows[(rows.ci_low <= null) & (rows.ci_high >= null)]
                if len(weak):
                    lost = ("; it loses significance under the report's own sensitivity analyses ("
                            + "; ".join(a[0].lower() + a[1:] if not a.startswith("Cox") else a
                                        for a in weak.analysis) + ")")
            out.append(self.page.say(
                "Supporting design (Maryland level {{ level }}): {{ words }}: {{ e | estimate }}{{ lost }}.",
                level=view.sms_level, words=words, e=view, lost=lost))
        return out

    def summary(self) -> Text:
        """The verdict first, then supporting designs, reach, what can be detected and value for money."""
        s = [self.verdict(), *self.supporting()]
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
        return self.page.summary(s)

    def headline(self):
        """The three registered estimates with design and level (one unit per outcome)."""
        rows = []
        for v, outcome in ((self.primary, "DA offences per 100 eligible person-months (district comparison)"),
                           (self.cohort, "Further DA offence within 12 months, percentage points (cohorts)"),
                           (self.cox, "Hazard ratio of a first further DA offence (survival)")):
            rows.append({"outcome": outcome, "estimate": v.value if v.available else "not estimable",
                         "interval": v.interval.replace("95% interval ", "") if v.available else v.reason,
                         "level": v.sms_level, "role": "primary" if v is self.primary else "supporting"})
        t = self.page.table("headline", pd.DataFrame(rows), title="Headline estimates",
                            kinds={"level": "whole"},
                            headings={"outcome": "Outcome and unit", "estimate": "Estimate", "interval": "95% interval",
                                      "level": "Maryland level", "role": "Role"},
                            notes=("The primary analysis was fixed before the data were seen; the others support it.",))
        return t

    # ------------------------------------------------------------------ staggered DiD
    def event_study_figure(self):
        d, why = self._get("event_study")
        if d is None:
            return self._not_estimable("The event study", why)
        per = self.period
        ax = new_axes(figsize=(7.5, 3.8))
        for pre, colour, label in ((True, GREY, "before go-live (should be near zero)"),
                                   (False, PALETTE[0], "after go-live (effect)")):
            s = d[d.pre == pre]
            ax.errorbar(s.event_time, 100 * s.att, yerr=[100 * (s.att - s.ci_low), 100 * (s.ci_high - s.att)],
                        fmt="o", color=colour, capsize=3, label=label)
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(-0.5, color=GREY, ls="--", lw=0.8)
        ax.set_xlabel(f"{per.capitalize()}s since the district went live")
        ax.set_ylabel("Change in DA offences\nper 100 eligible person-months")
        ax.set_title("Event study: effect by time since go-live")
        ax.legend(loc="lower left", fontsize=8)
        alt = (f"Event-study chart: estimated change in DA offences per 100 eligible person-months for each {per} "
               f"from {int(d.event_time.min())} to {int(d.event_time.max())} {per}s around go-live, with 95% "
               "intervals; points before go-live test for differing trends and should sit near zero.")
        return self.page.figure(ax, alt)

    def did_section(self) -> Section:
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
        if pt is not None:
            items.append(page.say(
                "Before go-live the estimates should scatter around zero if live and not-yet-live districts were on "
                "the same path: a randomisation test of all the pre-go-live estimates gives p = {{ '%.2f' % p }} "
                "({{ 'no evidence' if p >= 0.05 else 'evidence' }} of differing trends). With {{ k }} districts the "
                "intervals are wide; points late after go-live rest on few comparison districts: treat single points "
                "with caution.", p=pt.p_value, k=did.n_clusters))
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
                                              "estimate": "Average effect per 100 person-months"}))
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
        page, ev = self.page, self.ev
        items = []
        coh, why = self._get("cohort")
        if coh is None:
            items.append(self._not_estimable("The cohort comparison", why))
        else:
            f = ev.cohorts
            f = f[f.observed & (f.group != "straddles go-live")]
            items.append(page.say(
                "Cohort comparison: {{ a | count }} first met the criteria after their district went live and were "
                "listed at once; {{ b | count }} met them earlier, with their whole {{ w }}-month follow-up before "
                "go-live. Comparing each district's later cohorts with its own earlier ones, the risk of a further "
                "domestic-abuse offence within {{ w }} months changed by {{ e | estimate }}. People whose follow-up "
                "straddles go-live are left out.", a=int(f.treated.sum()), b=int((~f.treated).sum()),
                w=ev.window_months, e=self.cohort))
            items.append(self._design_box(coh))
        cox, why = self._get("cox")
        if cox is None:
            items.append(self._not_estimable("The survival analysis", why))
        else:
            crd, _ = self._get("cox_rd")
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
        from foundation_eval.evaluation.designs import its_series

        (res, _), why = self._get("its_force")
        raw = its_series(self.ds, None, "Q")
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
        page = self.page
        items = [page.paragraph(
            "Each series is compared with its own trend and seasonal pattern before go-live, projected forward; there "
            "is no comparison area, so anything else that changed at the same time (the pandemic lockdowns "
            "overlapped the pilot's start) is mixed in with the programme. Effects are in DA offences per hundred "
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
        """Regression discontinuities at the age limit and the risk-tool threshold, where the programme has them."""
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
                                  + ("(In the synthetic data the jump is by design.) " if prog.illustrative
                                     and dens.p_value < 0.05 else "")
                                  + "</p>"))
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
        return Section("5. What simpler comparisons would have said", tuple(items))

    # ------------------------------------------------------------------ sensitivity
    def sensitivity_section(self) -> Section:
        page = self.page
        sens, why = self._get("sensitivity")
        items = [page.paragraph(
            "Does the answer change with reasonable alternative choices? Each row re-estimates the effect one way; a "
            "placebo that moves go-live a year earlier, using only data from before the programme, should find "
            "nothing. Placebo and leave-one-out rows are checks and carry no Maryland level.")]
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
            check = t.analysis.str.startswith(("Placebo", "Leaving one"))
            t["sms_level"] = t.sms_level.where(~check, np.nan)
            for c in ("estimate", "ci_low", "ci_high"):
                t[c] = t[c] * scale
            items.append(page.table(f"sensitivity_{key.lower()}",
                                    t[["analysis", "estimate", "ci_low", "ci_high", "sms_level", "note"]],
                                    title=f"Sensitivity analyses. {title}",
                                    kinds={"estimate": kind, "ci_low": kind, "ci_high": kind,
                                           "sms_level": "whole"},
                                    headings={"analysis": "Analysis", "estimate": "Estimate", "ci_low": "95% low",
                                              "ci_high": "95% high", "sms_level": "Maryland level", "note": "Note"}))
        return Section("6. Sensitivity analyses", tuple(items))

    # ------------------------------------------------------------------ value for money
    def vfm_section(self) -> Section:
        page = self.page
        v, why = self._get("vfm")
        if v is None:
            return Section("7. Value for money", (self._not_estimable("Value for money", why),))
        items = []
        placeholder = v.costs.illustrative and v.cost_source.startswith("illustrative")
        if placeholder:
            items.append(page.paragraph("The programme's costs used here are illustrative placeholders, not findings: "
                                        "replace them with the programme's accounts before quoting any figure below."))
        items.append(page.say(
            "Offences averted apply the district comparison's effect to the eligible person-months in live districts; "
            "people kept from reoffending apply the cohort comparison's effect to everyone listed; each is valued at "
            "the Home Office cost per victim of domestic abuse ({{ unit | money }}, {{ year }} prices). Money is "
            "rounded to what the data support.", unit=v.costs.unit_cost_per_victim, year=v.costs.price_year))
        t = v.table()
        money_rows = t.unit.eq("GBP")
        for c in ("value", "ci_low", "ci_high"):
            t[c] = np.where(money_rows, np.round(t[c].astype(float), -3), t[c])
        t["shown"] = [fmt.money(x) if m else (fmt.ratio(x) if u == "ratio" else
                                              ("" if pd.isna(x) else f"{x:,.0f}"))
                      for x, m, u in zip(t.value, money_rows, t.unit, strict=True)]
        t["range"] = [("" if pd.isna(lo) else (f"{fmt.money(lo)} to {fmt.money(hi)}" if m else
                                               f"{fmt.ratio(lo)} to {fmt.ratio(hi)}" if u == "ratio" else
                                               f"{lo:,.0f} to {hi:,.0f}"))
                      for lo, hi, m, u in zip(t.ci_low, t.ci_high, money_rows, t.unit, strict=True)]
        items.append(page.table("vfm", t[["item", "shown", "range", "unit", "n"]], title="Value for money",
                                counts={"n": []},
                                headings={"item": "Item", "shown": "Value", "range": "95% interval", "unit": "Unit",
                                          "n": "Count"},
                                notes=tuple(Costs.CAVEATS)))
        return Section("7. Value for money", tuple(items))

    # ------------------------------------------------------------------ power
    def power_section(self) -> Section:
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

    # ------------------------------------------------------------------ appendix
    def methods(self) -> Section:
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
            "district, calendar-quarter indicators; district-clustered errors with a small-sample factor.",
            "Interrupted time series: segmented regression with Fourier seasonality and Newey-West errors (Lopez "
            "Bernal, Cummins and Gasparrini 2017).",
            *(["Regression discontinuity: local-linear fits with the mean-squared-error optimal bandwidth and robust "
               "bias-corrected intervals (Calonico, Cattaneo and Titiunik 2014); McCrary (2008) density test."]
              if self.prog.has_age_criterion or self.prog.has_risk_tool else []),
            "Maryland Scientific Methods Scale (Sherman et al. 1997; Farrington et al. 2002): 1 correlation at one "
            "time; 2 before-after without a comparable control; 3 before-after with a comparison group; 4 "
            "comparison with several comparable units and checked trends; 5 random assignment.",
        ]
        return Section("Appendix: methods", (self.page.bullets(items),))

    def disclosure(self) -> Section:
        return self.page.disclosure()

    def sections(self) -> list:
        """Every part of the page in reading order (for tests and batch use; the notebook shows them one by one)."""
        parts = [self.header(), self.summary(), self.headline(), self.did_section(), self.person_section(),
                 self.its_section(), self.rd_section(), self.naive_section(), self.sensitivity_section(),
                 self.vfm_section(), self.power_section(), self.methods(), self.disclosure(), self.provenance()]
        return [p for p in parts if p is not None]

    def provenance(self) -> Section:
        return self.page.provenance()


def _esc(s) -> str:
    import html

    return html.escape(str(s))
