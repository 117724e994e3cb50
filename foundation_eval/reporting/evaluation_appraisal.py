"""Sections 8 to 10 of the pilot-versus-rollout report: what the findings are worth and where they stop.

Value for money under every design, led by the primary (Home Office unit costs, GDP deflator, Green Book
discounting); what the evaluation can and cannot detect (minimum detectable effects, Bloom 1995); and the
threats to validity with the designs these data could not support:
[`vfm_section`][foundation_eval.reporting.evaluation_report.EvaluationReport.vfm_section],
[`power_section`][foundation_eval.reporting.evaluation_report.EvaluationReport.power_section] and
[`threats_section`][foundation_eval.reporting.evaluation_report.EvaluationReport.threats_section].
`AppraisalSections` holds them and
[`EvaluationReport`][foundation_eval.reporting.evaluation_report.EvaluationReport] is built on it: use
them from the report.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from foundation_eval.evaluation.value import round_money
from foundation_eval.plotting import GREY, PALETTE, new_axes
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting._evaluation_common import _ERRORS, _legend, _lower, _no_code
from foundation_eval.reporting.publication import Section, Text

__all__ = ["AppraisalSections"]


def _month_words(ym: str) -> str:
    """`"2021-01"` as `"January 2021"` (other text as it is)."""
    try:
        return pd.Period(str(ym), freq="M").strftime("%B %Y")
    except (ValueError, TypeError):
        return str(ym)



class AppraisalSections:
    """Sections 8 to 10 of [`EvaluationReport`][foundation_eval.reporting.evaluation_report.EvaluationReport]:
    value for money, power and threats to validity.

    A base of `EvaluationReport`, never used alone: its methods read the report's `page`, `ev` and
    helpers (an evaluation result or the reason it is missing, the section numbers, the power caveat of
    the summary).

    Attributes
    ----------
    page : Page
        The report's page, which publishes every table, chart and sentence.
    ev : EvaluationResults
        The evaluation study whose value for money, power and threats the sections word.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> from foundation_eval.reporting.evaluation_report import EvaluationReport
    >>> report = EvaluationReport(open_snapshot())
    >>> isinstance(report, AppraisalSections), report.threats_section().heading
    (True, '10. Threats to validity and limitations')
    """

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
        >>> from foundation_eval.reporting.evaluation_report import EvaluationReport
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
                "district-{{ per }}s, not extrapolated to the rest. {% if vpo %}Victims per offence ({{ vpo }}) come "
                "from the DA offences of the same person-months{% else %}No DA offence was recorded in those "
                "person-months, so victims per offence, and the victims the primary spared, cannot be measured{% endif %}"
                "{% if not va.cost_placeholder %}, and the programme's cost is that of the same district-months"
                "{% endif %}.", per=self.period, est=va.estimand_person_months, live=va.live_person_months,
                share=va.estimand_share, va=va,
                vpo=fmt.decimal(va.victims_per_offence, 2) if np.isfinite(va.victims_per_offence) else ""))
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
        >>> from foundation_eval.reporting.evaluation_report import EvaluationReport
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
