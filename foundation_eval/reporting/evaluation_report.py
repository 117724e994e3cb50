"""Content of the pilot-versus-rollout impact report: every sentence, table and figure, as HTML.

Written for a Police and Crime Commissioner: an executive summary that answers "did it reduce domestic
abuse, and by how much", then each design with a figure, its Maryland Scientific Methods Scale level and
its assumptions in plain English, the sensitivity analyses, value for money, what the evaluation can
and cannot detect, a methods appendix, the disclosure statement and provenance. The notebook
``notebooks/pilot_vs_rollout.ipynb`` only displays what these methods return.

Disclosure: every table passes :func:`foundation_eval.reporting.disclosure.protect`; figures show estimates, or
rates only where both the events and the non-events behind them reach the threshold; counts in
sentences go through :func:`count_text`. No identifier reaches the report.
"""
from __future__ import annotations

import datetime as _dt
import html
import math
from functools import cached_property

import numpy as np
import pandas as pd

from foundation_eval import __version__
from foundation_eval.config import DEFAULT_PROGRAMME
from foundation_eval.data.load import Dataset
from foundation_eval.evaluation.designs import Costs, EvalEstimate, Evaluation
from foundation_eval.frames.panel import district_period_panel
from foundation_eval.impact import SMS_LEVELS
from foundation_eval.reporting.disclosure import Protected, protect, rule_text
from foundation_eval.reporting.district_report import report_css, table_html
from foundation_eval.reporting.figures import GREY, PALETTE, new_axes, to_html

__all__ = ["EvaluationReport", "count_text", "report_css"]

_SMS_PLAIN = {
    1: "a simple comparison at one point in time: it shows association, not effect",
    2: "a before-and-after comparison without a comparable control group: other changes over time could "
       "explain the result",
    3: "a comparison with areas or people not (yet) receiving the programme, before and after: stronger, but "
       "relies on them following the same trends",
    4: "a comparison with comparable controls whose earlier trends matched: the strongest design available "
       "without random assignment",
    5: "random assignment",
}


def count_text(value, threshold: int, noun: str = "people") -> str:
    """A count for a sentence; below the disclosure threshold it becomes "fewer than <threshold>"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"an unpublished number of {noun}"
    v = int(round(value))
    if 0 < v < threshold:
        return f"fewer than {threshold} {noun}"
    return f"{v:,} {noun}"


def _f(x, digits=3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.{digits}f}"


def _pct(x, digits=0) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{100 * x:.{digits}f}%"


def _gbp(x) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"£{x:,.0f}" if x >= 0 else f"-£{-x:,.0f}"


def _interval(e: EvalEstimate, fmt=_f) -> str:
    return f"95% interval {fmt(e.ci_low)} to {fmt(e.ci_high)}"


def _verdict(e: EvalEstimate) -> str:
    return "which excludes no effect" if e.excludes_no_effect else "which includes no effect"


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def _ul(items) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"


class EvaluationReport:
    """All content of the pilot-versus-rollout report for one :class:`~foundation_eval.evaluation.designs.Evaluation`.

    Parameters
    ----------
    ev : Evaluation
    parameters : dict, optional
        Notebook parameters, printed under provenance.
    """

    def __init__(self, ev: Evaluation, parameters: dict | None = None):
        self.ev = ev
        self.ds: Dataset = ev.ds
        self.prog = ev.ds.programme
        self.threshold = self.prog.disclosure_threshold
        self.parameters = parameters or {}
        self.published: dict[str, pd.DataFrame] = {}

    @classmethod
    def from_parameters(cls, data_dir: str = "", programme: str = DEFAULT_PROGRAMME, exclude_lockdown: bool = False,
                        window_months: int = 12, unit_cost_per_victim: float = 34015,
                        annual_cost: float | None = None) -> EvaluationReport:
        """Load the data (the synthetic demonstration force when ``data_dir`` is blank) and build the report."""
        from foundation_eval.data.load import load_dataset
        from foundation_eval.data.synth import demo_dataset

        ds = load_dataset(data_dir, programme) if data_dir else demo_dataset(programme)
        costs = Costs(unit_cost_per_victim=float(unit_cost_per_victim),
                      **({} if annual_cost is None else {"annual_cost_full_force": float(annual_cost)}))
        ev = Evaluation(ds, exclude_lockdown=exclude_lockdown, window_months=int(window_months), costs=costs)
        params = {"data_dir": data_dir or "(synthetic demonstration force)", "programme": programme,
                  "exclude_lockdown": exclude_lockdown, "window_months": window_months,
                  "unit_cost_per_victim": unit_cost_per_victim}
        return cls(ev, params)

    # ------------------------------------------------------------------ helpers
    def _table(self, title: str, protected: Protected, formats: dict | None = None, rename: dict | None = None,
               caption: str | None = None) -> str:
        shown = protected.display(formats)
        self.published[title] = shown.rename(columns=rename) if rename else shown
        return table_html(protected, formats, caption or title, rename)

    def _count(self, n, noun="people") -> str:
        return count_text(n, self.threshold, noun)

    def _sms(self, e: EvalEstimate) -> str:
        return (f"Maryland Scientific Methods Scale level {e.sms_level} of 5: "
                f"{_SMS_PLAIN.get(e.sms_level, SMS_LEVELS.get(e.sms_level, ''))}.")

    def _design_box(self, e: EvalEstimate) -> str:
        return (f"<div class='fe-design'><p><strong>Strength of evidence.</strong> {html.escape(self._sms(e))}</p>"
                f"<p><strong>What has to be true for this to be the programme's effect:</strong></p>"
                f"{_ul(e.assumptions)}</div>")

    @property
    def is_synthetic(self) -> bool:
        return bool(getattr(self.prog, "illustrative", False))

    @property
    def _rate_per(self) -> float:
        return 100.0  # offences per 100 eligible person-months

    # ------------------------------------------------------------------ title and summary
    def title(self) -> str:
        sub = (f"Impact evaluation of the pilot and staggered rollout, {self.prog.study_start} to "
               f"{self.prog.study_end}.")
        if self.is_synthetic:
            sub += " Synthetic demonstration data: the numbers show how the evaluation works, not real results."
        return (f"<h1>{html.escape(self.prog.name)}: did it reduce domestic abuse?</h1>"
                f"<p class='fe-sub'>{html.escape(sub)}</p>")

    def summary_sentences(self) -> list[str]:
        """The executive summary, 3 to 6 sentences with numbers and intervals."""
        ev = self.ev
        did, coh, cox = ev.did, ev.cohort, ev.cox
        per = self._rate_per
        s = []
        w = ev.window_months
        people = []
        if coh.excludes_no_effect or cox.excludes_no_effect:
            lower = coh.estimate < 0
            people.append(
                f"Yes, for the people it worked with: the chance that a listed person committed a further "
                f"domestic-abuse offence within {w} months was {abs(100 * coh.estimate):.0f} percentage points "
                f"{'lower' if lower else 'higher'} than for earlier cohorts in the same districts (95% interval "
                f"{100 * coh.ci_low:+.0f} to {100 * coh.ci_high:+.0f} points, Maryland level {coh.sms_level})")
        else:
            people.append(
                f"For the people it worked with, the chance of a further domestic-abuse offence within {w} months "
                f"changed by {100 * coh.estimate:+.0f} percentage points against earlier cohorts in the same districts "
                f"(95% interval {100 * coh.ci_low:+.0f} to {100 * coh.ci_high:+.0f}, which includes no effect; Maryland "
                f"level {coh.sms_level})")
        s.append(people[0] + f", and a survival analysis that also uses districts not yet live puts their rate of "
                 f"reoffending at {cox.estimate:.2f} times the rate without the programme (95% interval "
                 f"{cox.ci_low:.2f} to {cox.ci_high:.2f}, level {cox.sms_level}).")
        change = f"{per * did.estimate:+.1f} offences per {per:.0f} eligible person-months"
        rel = (f"{did.relative:+.0%} of the rate before go-live" if math.isfinite(did.relative) else "no baseline")
        if did.excludes_no_effect:
            s.append(f"Across everyone meeting the criteria, comparing districts that had gone live with those not yet "
                     f"live, domestic-abuse offences changed by {change} ({rel}; 95% interval {per * did.ci_low:+.1f} to "
                     f"{per * did.ci_high:+.1f}, Maryland level {did.sms_level}).")
        else:
            s.append(f"Comparing districts that had gone live with those not yet live, the best estimate for everyone "
                     f"meeting the criteria is {change} ({rel}), but with only {did.n_clusters} districts the 95% "
                     f"interval ({per * did.ci_low:+.1f} to {per * did.ci_high:+.1f}) is too wide to tell whether "
                     f"offending fell across the whole eligible group (Maryland level {did.sms_level}).")
        eng = ev.did_engaged
        pw = ev.power
        s.append(
            f"The programme reached people (the share of eligible person-months with an engaged contact rose by "
            f"{100 * eng.estimate:.0f} percentage points, 95% interval {100 * eng.ci_low:.0f} to {100 * eng.ci_high:.0f}), "
            f"but this evaluation can only detect changes of about {100 * pw.person_mde.mde:.0f} percentage points in "
            f"{w}-month reoffending, and the district comparison only very large ones.")
        v = ev.vfm
        s.append(
            f"On {'illustrative ' if v.costs.illustrative and v.cost_source.startswith('illustrative') else ''}costs of "
            f"{_gbp(v.cost_total)}, the programme cost {_gbp(v.cost_per_engaged)} per person engaged; valuing each "
            f"person kept from reoffending at the Home Office cost per victim ({_gbp(v.costs.unit_cost_per_victim)}, "
            f"{v.costs.price_year} prices) gives a social value of {_gbp(v.benefit[0])} (95% interval "
            f"{_gbp(v.benefit[1])} to {_gbp(v.benefit[2])}).")
        if self.is_synthetic:
            s.append("These figures come from synthetic demonstration data with known true effects, not from the "
                     "force's records.")
        return s

    def summary(self) -> str:
        return ("<div class='fe-summary'><h2>Summary</h2><p>" + " ".join(html.escape(x) for x in self.summary_sentences())
                + "</p></div>")

    def headline_table(self) -> str:
        """The headline estimates with intervals, design and SMS level."""
        ev = self.ev
        rows = []
        for label, e, scale in (
            ("DA offences per 100 eligible person-months", ev.did, 100),
            (f"Risk of DA reoffending within {ev.window_months} months (percentage points)", ev.cohort, 100),
            ("Hazard ratio of first DA reoffence while listed", ev.cox, 1),
            ("Engaged contact, share of eligible person-months (percentage points)", ev.did_engaged, 100),
            ("Referral start, share of eligible person-months (percentage points)", ev.did_referral, 100),
        ):
            rows.append({"measure": label, "estimate": scale * e.estimate, "ci_low": scale * e.ci_low,
                         "ci_high": scale * e.ci_high, "design": e.design, "sms": e.sms_level})
        t = protect(pd.DataFrame(rows), [], self.threshold)
        return self._table("Headline estimates", t, {"estimate": "{:+.2f}", "ci_low": "{:+.2f}", "ci_high": "{:+.2f}",
                                                     "sms": "{:.0f}"},
                           rename={"measure": "Measure", "estimate": "Effect", "ci_low": "95% low", "ci_high": "95% high",
                                   "design": "Design", "sms": "Maryland level"})

    # ------------------------------------------------------------------ staggered DiD
    def event_study_figure(self) -> str:
        ev = self.ev
        d = ev.event_study
        per = "quarter" if ev.freq == "Q" else "month"
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
               f"from {int(d.event_time.min())} to {int(d.event_time.max())} {per}s around go-live, with 95% intervals; "
               "points before go-live test for differing trends and should sit near zero.")
        return to_html(ax, alt)

    def did_section(self) -> str:
        ev = self.ev
        did, ri = ev.did, ev.did_ri
        per = "quarter" if ev.freq == "Q" else "month"
        monthly = district_period_panel(self.ds, "M").groupby("district_id").eligible.mean()
        lo, hi = monthly.min(), monthly.max()
        parts = ["<h2>1. Districts that went live compared with districts not yet live</h2>"]
        parts.append(_p(
            f"The programme started in the pilot districts and reached the others in waves, so at any time some "
            f"districts were live and others not yet. For each district and {per} we measure domestic-abuse "
            f"offences committed by people meeting the criteria, per eligible person-month. Each live district-"
            f"{per} is compared with what the district's own earlier level and the change seen meanwhile in districts "
            f"not yet live predict without the programme (a staggered difference-in-differences)."
            + (" Every district went live during the study, so there is no never-treated comparison group: "
               "comparisons are with districts not yet live, and once the last district went live nothing is left to "
               "compare with." if isinstance(ev.cs_never, str) else
               " Districts that never went live are part of the comparison group throughout.")
            + (f" Quarters are used rather than months because a district has on average only {lo:.0f} to {hi:.0f} "
               "eligible people a month." if per == "quarter" else "")))
        parts.append(_p(
            f"Estimated effect: {100 * did.estimate:+.2f} offences per 100 eligible person-months ({_interval(did, lambda x: f'{100 * x:+.2f}')}, "
            f"{_verdict(did)}): {100 * did.relative:+.0f}% against the {100 * did.baseline_mean:.1f} offences per 100 "
            f"eligible person-months in the same districts before go-live (95% interval {100 * did.relative_low:+.0f}% "
            f"to {100 * did.relative_high:+.0f}%). If go-live dates had been handed out "
            f"to districts at random, an effect this large would arise by chance with probability p = "
            f"{ri.p_value:.2f} (randomisation test over {ri.n_draws} re-assigned rollout orders)."))
        parts.append(self.event_study_figure())
        pt = ev.pretrend_ri
        parts.append(_p(
            f"Before go-live the estimates scatter around zero, as they should if live and not-yet-live districts "
            f"were on the same path: a randomisation test of all the pre-go-live estimates gives p = "
            f"{pt.p_value:.2f} ({'no evidence' if pt.p_value >= 0.05 else 'evidence'} of differing trends). With "
            f"{did.n_clusters} districts the intervals are wide: treat single points with caution."
            + (f" The event study and the Callaway and Sant'Anna estimate need someone eligible in every {per}, so "
               f"they leave out {len(ev.unbalanced_districts)} small district(s); the headline estimate uses all."
               if ev.unbalanced_districts else "")))
        parts.append(self._design_box(did))
        # TWFE contrast
        tw, bacon, note = ev.twfe
        cs = ev.did_cs_simple
        parts.append("<h3>Why not a simple regression?</h3>")
        parts.append(_p(note))
        parts.append(_p(
            f"For comparison, the Callaway and Sant'Anna estimator, which uses only the {per} before go-live as each "
            f"district's baseline, gives {100 * cs.estimate:+.2f} (95% interval {100 * cs.ci_low:+.2f} to "
            f"{100 * cs.ci_high:+.2f}); the two-way fixed-effects regression gives {100 * tw.estimate:+.2f} (wild "
            f"cluster bootstrap 95% interval {100 * tw.wild.ci_low:+.2f} to {100 * tw.wild.ci_high:+.2f})."
            if tw.wild is not None else ""))
        by = bacon.by_type()
        by["share"] = by.weight
        t = protect(by[["type", "share", "estimate"]].assign(estimate=lambda f: 100 * f.estimate), [], self.threshold)
        parts.append(self._table("What the two-way fixed-effects estimate is made of (Goodman-Bacon decomposition)", t,
                                 {"share": "{:.0%}", "estimate": "{:+.2f}"},
                                 rename={"type": "Comparison", "share": "Weight",
                                         "estimate": "Average effect per 100 person-months"}))
        # engagement and referrals
        eng, ref = ev.did_engaged, ev.did_referral
        parts.append("<h3>Engagement and referrals</h3>")
        parts.append(_p(
            f"The same comparison shows what the programme delivered: the share of eligible person-months with an "
            f"engaged contact rose by {100 * eng.estimate:.1f} percentage points (95% interval {100 * eng.ci_low:.1f} to "
            f"{100 * eng.ci_high:.1f}) and the share with a referral starting rose by {100 * ref.estimate:.1f} points "
            f"({100 * ref.ci_low:.1f} to {100 * ref.ci_high:.1f}). Before go-live nobody could engage with the team, so "
            "these are close to the levels reached."))
        return "".join(parts)

    # ------------------------------------------------------------------ person-level designs
    def person_section(self) -> str:
        ev = self.ev
        coh, cox, crd = ev.cohort, ev.cox, ev.cox_rd
        w = ev.window_months
        f = ev.cohorts
        f = f[f.observed & (f.group != "straddles go-live")]
        n_after, n_before = int(f.treated.sum()), int((~f.treated).sum())
        parts = ["<h2>2. People before and after go-live</h2>"]
        parts.append(_p(
            f"Cohort comparison: {self._count(n_after)} first met the criteria after their district went live and "
            f"were listed at once; {self._count(n_before)} met them earlier, with their whole {w}-month follow-up "
            f"before go-live. Comparing each district's later cohorts with its own earlier ones, the risk of a further "
            f"domestic-abuse offence within {w} months changed by {100 * coh.estimate:+.1f} percentage points "
            f"(95% interval {100 * coh.ci_low:+.1f} to {100 * coh.ci_high:+.1f}, {_verdict(coh)}). People whose "
            "follow-up straddles go-live are left out."))
        parts.append(self._design_box(coh))
        parts.append(_p(
            f"Survival analysis: following everyone who met the criteria from that point, time after being listed is "
            f"compared with time before, within each district and calendar quarter (so seasonal patterns, the pandemic "
            f"and any force-wide trend are taken out, and the comparison leans on the staggered go-live dates). The "
            f"rate of first reoffending while listed was {cox.estimate:.2f} times the rate otherwise (95% interval "
            f"{cox.ci_low:.2f} to {cox.ci_high:.2f}, {_verdict(cox)}). Applied to the listed people's observed "
            f"{w}-month reoffending, that is a change of {100 * crd.estimate:+.1f} percentage points "
            f"({100 * crd.ci_low:+.1f} to {100 * crd.ci_high:+.1f})."))
        parts.append(self._design_box(cox))
        return "".join(parts)

    # ------------------------------------------------------------------ ITS
    def its_figure(self) -> str:
        from foundation_eval.evaluation.designs import its_series

        res, est = self.ev.its_force
        # observed points as quarterly rates (monthly counts are often below the threshold), published only
        # where both the offences and the person-months behind them reach it
        raw = its_series(self.ds, None, "Q")
        s = protect(raw[["eligible", "da_events", "da_rate"]], {"eligible": ["da_rate"], "da_events": ["da_rate"]},
                    self.threshold, additive=False).table
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
        alt = ("Line chart of monthly DA offences per 100 eligible person-months across the force, with the fitted "
               "segmented regression and, from the first go-live, the trend expected without the programme.")
        return to_html(ax, alt)

    def its_section(self) -> str:
        ev = self.ev
        _, pil = ev.its_pilot
        res_f, frc = ev.its_force
        parts = ["<h2>3. Interrupted time series</h2>"]
        parts.append(_p(
            "Each series is compared with its own trend and seasonal pattern before go-live, projected forward; "
            "there is no comparison area, so anything else that changed at the same time (the pandemic lockdowns "
            "overlapped the pilot's start) is mixed in with the programme."))
        parts.append(_p(
            f"Pilot districts together: the level changed by {100 * pil.estimate:+.2f} offences per 100 eligible "
            f"person-months at go-live (95% interval {100 * pil.ci_low:+.2f} to {100 * pil.ci_high:+.2f}). Whole "
            f"force, interrupted at the first go-live: {100 * frc.estimate:+.2f} ({100 * frc.ci_low:+.2f} to "
            f"{100 * frc.ci_high:+.2f}), with the later districts' go-lives showing up in the change of slope "
            f"({100 * res_f.slope_change:+.3f} per month, {100 * res_f.slope_change_ci_low:+.3f} to "
            f"{100 * res_f.slope_change_ci_high:+.3f})."))
        parts.append(self.its_figure())
        t = ev.its_districts.copy()
        for c in ("estimate", "ci_low", "ci_high"):
            t[c] = 100 * t[c]
        t = t[["district", "go_live", "estimate", "ci_low", "ci_high", "note"]]
        parts.append(self._table("Level change at go-live by district (quarterly series, per 100 eligible "
                                 "person-months)", protect(t, [], self.threshold),
                                 {"estimate": "{:+.2f}", "ci_low": "{:+.2f}", "ci_high": "{:+.2f}"},
                                 rename={"district": "District", "go_live": "Go-live", "estimate": "Level change",
                                         "ci_low": "95% low", "ci_high": "95% high", "note": "Note"}))
        parts.append(_p("District series are short and noisy: single districts' intervals are wide and some will "
                        "exclude zero by chance."))
        parts.append(self._design_box(frc))
        return "".join(parts)

    # ------------------------------------------------------------------ RD
    def _rd_binned(self, frame: pd.DataFrame, running: str, width: float) -> pd.DataFrame:
        """Binned outcome means, published only where both events and non-events reach the threshold."""
        b = np.floor(frame[running] / width) * width
        g = frame.groupby(b).outcome.agg(["size", "sum"]).rename(columns={"size": "n", "sum": "k"})
        g["mid"] = g.index + width / 2
        ok = (g.k >= self.threshold) & (g.n - g.k >= self.threshold)
        g["mean"] = np.where(ok, g.k / g.n, np.nan)
        return g.reset_index(drop=True)

    def rd_section(self) -> str:
        ev = self.ev
        parts = ["<h2>4. Regression discontinuity</h2>"]
        rd = ev.rd_age
        if isinstance(rd, str):
            parts.append(_p(f"Age limit: {rd}."))
        else:
            res, dens, est = rd
            cut = res.cutoff
            parts.append(_p(
                f"People above the upper age limit ({self.prog.age_max}) are not listed, even when they meet every other "
                f"criterion. Comparing people whose first screen in a live district came just before and just after "
                f"their {self.prog.age_max + 1}st birthday estimates the effect of being listed for people at the limit: "
                f"{100 * est.estimate:+.1f} percentage points in {ev.window_months}-month reoffending (95% interval "
                f"{100 * est.ci_low:+.1f} to {100 * est.ci_high:+.1f}, {_verdict(est)}). Few people are screened near "
                "the limit, so the interval is wide."))
            parts.append(_p(
                f"Density check: {dens.summary_sentence()} Age cannot be manipulated, so a jump in the number of "
                "people means fewer people over the limit come to police attention (in the synthetic data this is by "
                "design), not that ages were changed; the estimate relies on reoffending risk changing smoothly with "
                "age."))
            frame = res.data.rename(columns={"running": "age", "outcome": "outcome"})
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
            ax.set_ylabel(f"% reoffending within\n{ev.window_months} months")
            ax.set_title("Reoffending either side of the age limit")
            ax.legend(fontsize=8)
            parts.append(to_html(ax, f"Scatter of the percentage reoffending within {ev.window_months} months by year "
                                     "of age at screen, with local-linear fits either side of the upper age limit; bands "
                                     "with too few people or events are not shown."))
            parts.append(self._design_box(est))
        rp = ev.rd_ppit
        if isinstance(rp, str):
            parts.append(_p(f"Priority threshold: {rp}."))
        else:
            res, dens, est = rp
            discrete = any(k == "Discrete score" for k, _ in est.diagnostics)
            parts.append(_p(
                f"Priority threshold: listed people scoring {self.prog.ppit_threshold} or more on the "
                f"{self.prog.ppit_name} are flagged as priority perpetrators. Comparing people just either side gives "
                f"{100 * est.estimate:+.1f} percentage points in {ev.window_months}-month reoffending (95% interval "
                f"{100 * est.ci_low:+.1f} to {100 * est.ci_high:+.1f}). {dens.summary_sentence()}"
                + (" The score takes few values, so the comparison has to reach several points either side of the "
                   "threshold: treat it as descriptive." if discrete else "")))
        return "".join(parts)

    # ------------------------------------------------------------------ naive comparisons
    def naive_section(self) -> str:
        ev = self.ev
        rows = []
        for e in ev.naive:
            scale = 100
            rows.append({"comparison": e.design.replace("naive comparison: ", "").replace("naive ", ""),
                         "estimate": scale * e.estimate, "ci_low": scale * e.ci_low, "ci_high": scale * e.ci_high,
                         "sms": e.sms_level, "why": e.assumptions[0]})
        t = protect(pd.DataFrame(rows), [], self.threshold)
        return ("<h2>5. What simpler comparisons would have said</h2>"
                + _p("A descriptive evaluation might compare listed people with people never listed, or people who "
                     "engaged with those who did not. These comparisons mix the programme's effect with who chose or "
                     "was chosen to take part, and with changes over time. They are shown so that the difference from "
                     "the designs above can be seen, not as evidence of effect. Risks are in percentage points, "
                     "rates per 100 eligible person-months.")
                + self._table("Naive comparisons", t, {"estimate": "{:+.2f}", "ci_low": "{:+.2f}", "ci_high": "{:+.2f}",
                                                       "sms": "{:.0f}"},
                              rename={"comparison": "Comparison", "estimate": "Difference", "ci_low": "95% low",
                                      "ci_high": "95% high", "sms": "Maryland level", "why": "Problem"}))

    # ------------------------------------------------------------------ sensitivity
    def sensitivity_section(self) -> str:
        ev = self.ev
        t = ev.sensitivity.copy()
        ratio = t.group.str.startswith("Hazard")
        for c in ("estimate", "ci_low", "ci_high"):
            v = np.where(ratio, t[c], 100 * t[c])
            t[c] = [("" if not np.isfinite(x) else f"{x:.2f}" if r else f"{x:+.2f}") for x, r in zip(v, ratio, strict=True)]
        t["group"] = t.group.map(lambda g: ("Effect per 100 eligible person-months" if g.startswith("DA") else
                                            "Risk within the window (percentage points)" if g.startswith("Risk") else
                                            "Hazard ratio"))
        t = t[["group", "analysis", "estimate", "ci_low", "ci_high", "sms_level", "n", "note"]]
        prot = protect(t, {"n": []}, self.threshold, additive=False)
        return ("<h2>6. Sensitivity analyses</h2>"
                + _p("Does the answer change with reasonable alternative choices? Each row re-estimates the effect one "
                     "way; a placebo that moves go-live a year earlier, using only data from before the programme, "
                     "should find nothing. 'n' counts the district-periods or people behind each row.")
                + self._table("Sensitivity analyses", prot,
                              {"sms_level": "{:.0f}", "n": "{:,.0f}"},
                              rename={"group": "Measure", "analysis": "Analysis", "estimate": "Estimate",
                                      "ci_low": "95% low", "ci_high": "95% high", "sms_level": "Maryland level",
                                      "n": "n", "note": "Note"}))

    # ------------------------------------------------------------------ value for money
    def vfm_section(self) -> str:
        v = self.ev.vfm
        t = v.table()
        prot = protect(t, {"n": []}, self.threshold, additive=False)
        fmt = {"value": "{:,.1f}", "ci_low": "{:,.1f}", "ci_high": "{:,.1f}", "n": "{:,.0f}"}
        return ("<h2>7. Value for money</h2>"
                + _p(f"Programme cost: {_gbp(v.cost_total)} over the evaluation period ({v.cost_source}). Offences "
                     f"averted apply the district comparison's effect to the {v.live_person_months:,.0f} eligible "
                     f"person-months in live districts; people kept from reoffending apply the cohort comparison's "
                     f"effect to everyone listed; each is valued at the Home Office cost per victim of domestic abuse "
                     f"({_gbp(v.costs.unit_cost_per_victim)}, {v.costs.price_year} prices"
                     + (f", uplifted x{v.costs.price_uplift:g}" if v.costs.price_uplift != 1 else "") + ").")
                + self._table("Value for money", prot, fmt,
                              rename={"item": "Item", "value": "Value", "ci_low": "95% low", "ci_high": "95% high",
                                      "unit": "Unit", "n": "Count"})
                + "<p><strong>Caveats.</strong></p>" + _ul(Costs.CAVEATS))

    # ------------------------------------------------------------------ power
    def power_section(self) -> str:
        pw = self.ev.power
        ax = pw.plot(new_axes(figsize=(6.5, 3.6)))
        ax.set_title("Chance of detecting a true reduction")
        fig = to_html(ax, "Line chart of the chance (power) that the district comparison and the comparison of "
                          "people detect a true reduction, against the size of the reduction from 0 to 60%.")
        t = pw.table()
        t["mde_relative"] = 100 * t.mde_relative
        prot = protect(t[["design", "baseline", "mde", "mde_relative"]], [], self.threshold)
        mult = pw.list_multiplier(0.2)
        return ("<h2>8. What this evaluation can and cannot detect</h2>"
                + _p(pw.summary_sentence())
                + _p(f"The district comparison would need a list roughly {mult:.0f} times larger (or many more districts) "
                     "to detect a 20% reduction reliably. A result that 'includes no effect' here is therefore not "
                     "evidence that the programme does nothing: it may be too small for this design to see.")
                + fig
                + self._table("Minimum detectable effects (80% power, 5% two-sided)", prot,
                              {"baseline": "{:.3f}", "mde": "{:.3f}", "mde_relative": "{:.0f}%"},
                              rename={"design": "Design", "baseline": "Level without the programme",
                                      "mde": "Smallest detectable change", "mde_relative": "As % of the level"}))

    # ------------------------------------------------------------------ appendix
    def methods(self) -> str:
        ev = self.ev
        per = "quarter" if ev.freq == "Q" else "month"
        items = [
            f"District panel: for each district and {per}, DA offences committed by people meeting all the criteria in "
            f"the months they met them, divided by eligible person-months. Go-live is the first {per} containing "
            "the go-live month." + (" Lockdown months are left out." if ev.exclude_lockdown else ""),
            "Staggered difference-in-differences: the imputation estimator of Borusyak, Jaravel and Spiess (2024). "
            f"District and {per} effects are fitted to district-{per}s before go-live; each live district-{per}'s "
            "outcome without the programme is imputed from them; the effect is the average gap over live "
            f"district-{per}s until the last district went live. This is the Callaway and Sant'Anna (2021) simple "
            "average with not-yet-treated comparisons, using all pre-go-live periods as each district's baseline.",
            "Intervals for the district designs: leave-one-district-out jackknife standard errors with Student-t "
            "critical values on as many degrees of freedom as there are go-live waves with an estimable effect, "
            "because timing varies only between waves (in the spirit of Donald and Lang 2007). In simulations on "
            "1,000 synthetic forces (benchmarks/coverage_impact.py) these 95% intervals contained the true effect "
            "96.7% of the time; the usual analytic intervals contained it only about 82% of the time.",
            "Randomisation inference: go-live dates are re-assigned to districts at random, keeping wave sizes, and the "
            "estimate recomputed; the p-value is the share of re-assignments giving an effect at least as large.",
            "Event study and pre-trends: Callaway and Sant'Anna (2021) group-time effects with not-yet-treated "
            "comparisons, aggregated by time since go-live; the pre-trend test refers the sum of squared pre-go-live "
            "effects to its randomisation distribution (the Wald test is unreliable with so few districts).",
            "Two-way fixed effects with the Goodman-Bacon (2021) decomposition and a wild cluster bootstrap (Webb "
            "weights) are shown for contrast.",
            f"Cohort comparison: people indexed at the first month they met the criteria; outcome any DA offence in the "
            f"next {ev.window_months} months, for people followed for the whole window (people who left the area, "
            "were imprisoned or died first are excluded). District effects fitted to the earlier cohorts; "
            "jackknife over districts, Student-t on districts - 1 degrees of freedom.",
            "Survival analysis: Cox model on person-months from first meeting the criteria to the first DA offence or "
            "the end of follow-up, exposure switching on at first listing, baseline hazard stratified by district, "
            "calendar-quarter indicators; district-clustered errors with a small-sample factor.",
            "Interrupted time series: segmented regression with Fourier seasonality and Newey-West errors (Lopez "
            "Bernal, Cummins and Gasparrini 2017).",
            "Regression discontinuity: local-linear fits with the mean-squared-error optimal bandwidth and robust "
            "bias-corrected intervals (Calonico, Cattaneo and Titiunik 2014); McCrary (2008) density test.",
            "Maryland Scientific Methods Scale (Sherman et al. 1997): 1 correlation; 2 before-after without comparison; "
            "3 before-after with comparison; 4 comparison with controls shown to be comparable; 5 random assignment.",
        ]
        rows = []
        for e in ev.estimates():
            rows.append({"estimate": e.name, "design": e.design, "estimand": e.estimand, "comparison": e.comparison,
                         "interval": e.interval_method, "sms": e.sms_level})
        t = protect(pd.DataFrame(rows), [], self.threshold)
        return ("<h2>Appendix: methods</h2>" + _ul(items)
                + self._table("Every estimate: design, estimand, comparison and interval", t, {"sms": "{:.0f}"},
                              rename={"estimate": "Name", "design": "Design", "estimand": "Estimand",
                                      "comparison": "Comparison", "interval": "Interval", "sms": "Maryland level"}))

    def disclosure(self) -> str:
        return (f"<h2>Disclosure control</h2><p>{html.escape(rule_text(self.threshold))} Figures show estimates, "
                "or rates only where both the events and the non-events behind them reach the threshold.</p>")

    def provenance(self) -> str:
        rows = [("Programme", f"{self.prog.name} ({self.prog.id})"),
                ("Input data SHA-256", self.ds.data_hash),
                ("foundation-eval version", __version__),
                ("Parameters", ", ".join(f"{k}={v}" for k, v in self.parameters.items()) or "defaults"),
                ("Seeds", f"randomisation and bootstrap seed {self.ev.seed}, {self.ev.n_perm} re-assignments"),
                ("Rendered", _dt.date.today().isoformat())]
        body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
        return f"<h2>Provenance</h2><table class='fe-table'>{body}</table>"

    # ------------------------------------------------------------------ everything
    def sections(self) -> list[str]:
        """Every section in reading order."""
        return [report_css() + self.title() + self.summary() + self.headline_table(), self.did_section(),
                self.person_section(), self.its_section(), self.rd_section(), self.naive_section(),
                self.sensitivity_section(), self.vfm_section(), self.power_section(), self.methods(),
                self.disclosure(), self.provenance()]

    def html(self) -> str:
        return "\n".join(self.sections())

    @cached_property
    def results(self) -> dict:
        """``{"estimates": [...]}`` for results.json: the headline records under the truth names."""
        return {"estimates": self.ev.headline()}
