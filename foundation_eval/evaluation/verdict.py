r"""The verdict of an impact evaluation, from its pre-specified primary analysis, and what a reader can say.

- [`finding`][foundation_eval.evaluation.verdict.finding]: one result in a fixed vocabulary
  (`FINDINGS`), direction aware.
- [`verdict`][foundation_eval.evaluation.verdict.verdict]: the primary result's finding and Maryland
  level first, then the supporting designs labelled as such, each flagged when it loses significance
  under the report's own sensitivity analyses.
- [`statements`][foundation_eval.evaluation.verdict.statements]: "You can say / you cannot say"
  sentences per headline result, in the style of
  the Justice Data Lab's reports (Ministry of Justice, *Justice Data Lab: methodology*, 2016 and the
  statements printed with every JDL analysis): the population, the comparison, the window and the
  interval, and the over-reading a reader must avoid. Numbers are passed as values beside a template,
  never formatted into a string here, so the publication layer applies its own formats and
  disclosure; no statement carries a count of people.

A result "excludes no effect" when its interval lies wholly on one side of 0 (differences) or 1
(ratios). The verdict reads the primary analysis alone (a pre-specified primary guards against
choosing the favourable design afterwards: the What Works Centre for Crime Reduction's EMMIE
"Effect" rating and HM Treasury's *Magenta Book*, 2020, ch. 3).

`FINDINGS` is the fixed vocabulary, in order: "evidence of a reduction", "no clear evidence either
way", "evidence of an increase"; `NOT_ESTIMABLE` ("not estimable") is used when a result has no
interval.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["FINDINGS", "NOT_ESTIMABLE", "DESCRIPTIVE", "finding", "loses_significance", "SupportingResult", "Verdict", "verdict",
           "Statement", "statements", "ordinal", "risk_difference_ends"]

#: The fixed vocabulary of a finding.
FINDINGS = ("evidence of a reduction", "no clear evidence either way", "evidence of an increase")
NOT_ESTIMABLE = "not estimable"
#: What a descriptive result (level 1, or no level) says in place of a finding: never an effect phrase.
DESCRIPTIVE = "descriptive only, not evidence about the programme's effect"


def ordinal(n: int) -> str:
    """An English ordinal: `1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 22nd, 101st`.

    Parameters
    ----------
    n : int
        A whole number (converted with `int`).

    Returns
    -------
    str
        The number with its suffix ("th" for 11-13 in every hundred).

    Examples
    --------
    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st', '111th']
    """
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _null(est) -> float:
    return 1.0 if getattr(est, "scale", "difference") == "ratio" else 0.0


def _finite(*xs) -> bool:
    return all(x is not None and math.isfinite(float(x)) for x in xs)


def finding(est) -> str:
    """The finding of one result, from where its interval lies against no effect.

    "evidence of a reduction" when the whole interval lies below no effect (a negative difference, a
    hazard ratio below 1), "evidence of an increase" when it lies above, "no clear evidence either
    way" otherwise; "not estimable" for a result without an interval. No effect is 1 for a result
    with `scale == "ratio"`, else 0; an interval touching it counts as including it.

    Parameters
    ----------
    est : EvalEstimate or NotEstimable
        Any result with `ci_low` and `ci_high` (and optionally `scale` and `estimable`).

    Returns
    -------
    str
        One of `FINDINGS`, or "not estimable".

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> finding(R(ci_low=-0.16, ci_high=-0.01)), finding(R(ci_low=-0.04, ci_high=0.07))
    ('evidence of a reduction', 'no clear evidence either way')
    >>> finding(R(ci_low=0.7, ci_high=1.05, scale="ratio")), finding(R(ci_low=1.1, ci_high=1.4, scale="ratio"))
    ('no clear evidence either way', 'evidence of an increase')
    >>> finding(R(ci_low=float("nan"), ci_high=0.1))
    'not estimable'
    """
    if not getattr(est, "estimable", True) or not _finite(est.ci_low, est.ci_high):
        return NOT_ESTIMABLE
    null = _null(est)
    if est.ci_high < null:
        return FINDINGS[0]
    if est.ci_low > null:
        return FINDINGS[2]
    return FINDINGS[1]


def loses_significance(est, variants) -> tuple[str, ...]:
    """Labels of the sensitivity analyses under which a result that excludes no effect no longer does.

    Parameters
    ----------
    est : EvalEstimate
        The result as reported.
    variants : list of (str, EvalEstimate)
        `(label, result)` for each sensitivity analysis of it; results without a finite interval are
        skipped.

    Returns
    -------
    tuple of str
        Labels of the variants whose finding is "no clear evidence either way"; empty when `est`
        itself does not exclude no effect.

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> cohort = R(ci_low=-0.16, ci_high=-0.01)
    >>> loses_significance(cohort, [("adjusted for lockdown", R(ci_low=-0.15, ci_high=0.01)),
    ...                             ("12-month window", R(ci_low=-0.2, ci_high=-0.02))])
    ('adjusted for lockdown',)
    """
    if finding(est) not in (FINDINGS[0], FINDINGS[2]):
        return ()
    return tuple(lab for lab, v in variants if finding(v) == FINDINGS[1])


@dataclass(frozen=True)
class SupportingResult:
    """A design reported beside the primary, with its level and its own finding.

    Attributes
    ----------
    name, design : str
        Name of the result and its design in words.
    role : {"supporting", "descriptive"}
        "descriptive" for level 1, for results with no level and for designs that estimate something
        other than the programme's effect (the risk-tool threshold).
    sms_level : int or None
        Maryland Scientific Methods Scale level.
    level_flags : tuple of str
        Failed or missing design checks, in words, shown beside the level.
    finding : str
        One of `FINDINGS` for a supporting design; `DESCRIPTIVE` for a descriptive one, which never
        carries an effect phrase.
    estimate, ci_low, ci_high : float
        In `unit` (the display unit).
    unit : str
        The display unit ("percentage points", "hazard ratio", ...).
    loses_significance_under : tuple of str
        Sensitivity analyses under which its interval includes no effect.

    Examples
    --------
    >>> s = SupportingResult("reoffending_12m_rd_programme", "cohort comparison", "supporting", 2, (),
    ...                      FINDINGS[0], -9.0, -16.0, -1.0, "percentage points")
    >>> s.finding, s.loses_significance_under
    ('evidence of a reduction', ())
    """

    name: str
    design: str
    role: str
    sms_level: int | None
    level_flags: tuple[str, ...]
    finding: str
    estimate: float
    ci_low: float
    ci_high: float
    unit: str
    loses_significance_under: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The answer of the evaluation: the pre-specified primary analysis first.

    Attributes
    ----------
    primary : str
        Name of the pre-specified primary result (the programme file's `[evaluation] primary`).
    design : str
        The primary design in words.
    finding : str
        One of `FINDINGS`, or "not estimable".
    sms_level : int or None
        Maryland Scientific Methods Scale level of the primary design.
    level_flags : tuple of str
        Failed or missing design checks, in words.
    estimate, ci_low, ci_high : float
        In `unit` (NaN when not estimable).
    unit, population, comparison, window : str
        The estimand, stated once.
    reason : str
        Why the primary is not estimable (empty otherwise).
    loses_significance_under : tuple of str
        Sensitivity analyses under which the primary's interval includes no effect.
    supporting : tuple of SupportingResult
        Supporting designs first, highest Maryland level first, then descriptive ones.

    Examples
    --------
    >>> from foundation_eval.impact import NotEstimable
    >>> v = verdict("did_att_da_rate", NotEstimable("did_att_da_rate", "district comparison",
    ...                                             "need at least two periods"), {})
    >>> v.finding, v.answer
    ('not estimable', 'not estimable: need at least two periods')
    """

    primary: str
    design: str
    finding: str
    sms_level: int | None
    level_flags: tuple[str, ...]
    estimate: float
    ci_low: float
    ci_high: float
    unit: str
    population: str
    comparison: str
    window: str
    reason: str = ""
    loses_significance_under: tuple[str, ...] = ()
    supporting: tuple[SupportingResult, ...] = field(default=())

    @property
    def answer(self) -> str:
        """The finding with its status: "<finding> (pre-specified primary analysis, Maryland level k)"."""
        if self.finding == NOT_ESTIMABLE:
            return f"not estimable: {self.reason}"
        lvl = f", Maryland level {self.sms_level}" if self.sms_level else ""
        return f"{self.finding} (pre-specified primary analysis{lvl})"

    def table(self) -> pd.DataFrame:
        """Primary then supporting, one row each.

        Returns
        -------
        DataFrame
            `role, name, design, finding, estimate, ci_low, ci_high, unit, sms_level, level_flags,
            loses_significance_under` (flags and labels joined by "; "; `sms_level` a nullable
            integer).
        """
        rows = [{"role": "primary", "name": self.primary, "design": self.design, "finding": self.finding,
                 "estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high, "unit": self.unit,
                 "sms_level": self.sms_level, "level_flags": "; ".join(self.level_flags),
                 "loses_significance_under": "; ".join(self.loses_significance_under)}]
        for s in self.supporting:
            rows.append({"role": s.role, "name": s.name, "design": s.design, "finding": s.finding,
                         "estimate": s.estimate, "ci_low": s.ci_low, "ci_high": s.ci_high, "unit": s.unit,
                         "sms_level": s.sms_level, "level_flags": "; ".join(s.level_flags),
                         "loses_significance_under": "; ".join(s.loses_significance_under)})
        out = pd.DataFrame(rows)
        out["sms_level"] = out.sms_level.astype("Int64")
        return out


def _disp(est) -> tuple[float, float, float]:
    if hasattr(est, "displayed"):
        return est.displayed()
    return (est.estimate, est.ci_low, est.ci_high)


def _unit(est) -> str:
    return getattr(est, "display_unit", "") or getattr(est, "unit", "") or getattr(est, "outcome", "")


def verdict(primary_name: str, primary, supporting: dict, variants: dict | None = None) -> Verdict:
    """The verdict from the primary result and its Maryland level; supporting designs listed after it.

    The finding is that of the primary alone ([`finding`][foundation_eval.evaluation.verdict.finding]),
    whatever the supporting designs say. A supporting design is "descriptive" when its Maryland level
    is 1 or missing, or it estimates something other than the programme's effect (the risk-flag
    discontinuity, self-selected comparisons); a descriptive result's finding is `DESCRIPTIVE`, never
    an effect phrase. Estimates are given in each result's display unit.

    Parameters
    ----------
    primary_name : str
        The programme file's `[evaluation] primary`.
    primary : EvalEstimate or NotEstimable
        The primary result.
    supporting : dict
        Name to result for every other headline design (not-estimable ones are left out).
    variants : dict, optional
        Name to a list of `(label, result)` sensitivity analyses of that result.

    Returns
    -------
    Verdict
        The primary's finding, level, interval and estimand, then the supporting results.

    Examples
    --------
    >>> from foundation_eval.impact import EvalEstimate
    >>> def result(name, est, lo, hi, level, key):        # a risk difference, shown in percentage points
    ...     return EvalEstimate(name=name, estimate=est, se=(hi - lo) / 3.92, ci_low=lo, ci_high=hi, level=0.95,
    ...                         p_value=0.5, design=key, estimand="", comparison="", assumptions=(),
    ...                         sms_level=level, design_key=key, display_scale=100.0,
    ...                         display_unit="percentage points")
    >>> primary = result("did_att_da_rate", 0.015, -0.041, 0.071, 4, "staggered_did")
    >>> cohort = result("reoffending_12m_rd_programme", -0.09, -0.16, -0.01, 2, "cohort_before_after")
    >>> adjusted = result("cohort_adjusted", -0.072, -0.153, 0.009, 2, "cohort_before_after")
    >>> v = verdict("did_att_da_rate", primary, {"reoffending_12m_rd_programme": cohort},
    ...             {"reoffending_12m_rd_programme": [("adjusted for lockdown", adjusted)]})
    >>> v.answer
    'no clear evidence either way (pre-specified primary analysis, Maryland level 4)'
    >>> v.supporting[0].finding, v.supporting[0].loses_significance_under
    ('evidence of a reduction', ('adjusted for lockdown',))
    >>> v.table()[["role", "finding", "estimate", "sms_level"]].values.tolist()
    [['primary', 'no clear evidence either way', 1.5, 4], ['supporting', 'evidence of a reduction', -9.0, 2]]
    """
    variants = variants or {}
    sup = []
    for name, est in supporting.items():
        if not getattr(est, "estimable", True):
            continue
        lvl = est.sms_level
        key = getattr(est, "design_key", "")
        descriptive = lvl is None or lvl <= 1 or key in ("rd_risk_flag", "self_selected", "cross_section")
        e, lo, hi = _disp(est)
        sup.append(SupportingResult(name=name, design=est.design, role="descriptive" if descriptive else "supporting",
                                    sms_level=lvl, level_flags=tuple(getattr(est, "level_flags", ())),
                                    finding=DESCRIPTIVE if descriptive else finding(est),
                                    estimate=e, ci_low=lo, ci_high=hi, unit=_unit(est),
                                    loses_significance_under=() if descriptive
                                    else loses_significance(est, variants.get(name, ()))))
    sup.sort(key=lambda s: (s.role != "supporting", -(s.sms_level or 0)))
    if not getattr(primary, "estimable", True):
        nan = float("nan")
        return Verdict(primary_name, primary.design, NOT_ESTIMABLE, None, (), nan, nan, nan, "", "", "", "",
                       reason=primary.reason, supporting=tuple(sup))
    e, lo, hi = _disp(primary)
    return Verdict(primary=primary_name, design=primary.design, finding=finding(primary), sms_level=primary.sms_level,
                   level_flags=tuple(getattr(primary, "level_flags", ())), estimate=e, ci_low=lo, ci_high=hi,
                   unit=_unit(primary), population=getattr(primary, "population", ""), comparison=primary.comparison,
                   window=getattr(primary, "window", ""),
                   loses_significance_under=loses_significance(primary, variants.get(primary_name, ())),
                   supporting=tuple(sup))


# ==================================================================================================
# what you can say, what you cannot say
# ==================================================================================================


def _fmt(x: float) -> str:
    if not _finite(x):
        return "n/a"
    ax = abs(x)
    return f"{x:.0f}" if ax >= 10 else (f"{x:.1f}" if ax >= 1 else f"{x:.2f}")


@dataclass(frozen=True)
class Statement:
    """One "You can say" or "You cannot say" sentence: a template key, the template and its values.

    Attributes
    ----------
    result : str
        Name of the result the statement is about.
    kind : {"can", "cannot"}
        "can" for what the result supports, "cannot" for an over-reading to avoid.
    key : str
        Template key (stable, for the publication layer's own wording).
    template : str
        English template with `{name}` fields.
    values : dict
        The numbers (effects in display units, levels), never counts of people.

    Examples
    --------
    >>> s = Statement("reoffending_hr_programme", "cannot", "ratio_as_percent",
    ...               "the programme cut reoffending by {pct}%.", {"pct": 22.0})
    >>> s.text()
    'You cannot say: the programme cut reoffending by 22%.'
    """

    result: str
    kind: str
    key: str
    template: str
    values: dict

    def text(self, fmt=_fmt) -> str:
        """The sentence with `fmt` applied to every number (a plain default; publication layers pass theirs).

        Parameters
        ----------
        fmt : callable
            Float to text. The default writes two decimals below 1, one below 10, none from 10, and
            "n/a" for NaN. Integers and text are inserted as they are.

        Returns
        -------
        str
            "You can say: ..." or "You cannot say: ..." with the template filled in.

        Examples
        --------
        >>> s = Statement("x", "can", "generic", "the estimate lies between {low} and {high}.",
        ...               {"low": 0.123, "high": 16.0})
        >>> s.text()
        'You can say: the estimate lies between 0.12 and 16.'
        >>> s.text(lambda x: f"{x:.1f}")
        'You can say: the estimate lies between 0.1 and 16.0.'
        """
        vals = {k: (fmt(v) if isinstance(v, float) else v) for k, v in self.values.items()}
        lead = "You can say: " if self.kind == "can" else "You cannot say: "
        return lead + self.template.format(**vals)


_MAGNITUDE = {
    FINDINGS[0]: "fell",
    FINDINGS[2]: "rose",
}


def risk_difference_ends(low: float, high: float) -> int:
    """How many ends of an interval of a difference in risk lie at the range it can take, -1 or 1.

    An interval reaching past that range is cut to it where its design is fitted; a page then says so (one
    end: the interval was cut; both: it covers every possible difference and says nothing of the size).

    Parameters
    ----------
    low, high : float
        The interval, as shares (-0.2 for 20 points lower).

    Returns
    -------
    int
        0, 1 or 2.

    Examples
    --------
    >>> risk_difference_ends(-1.0, 0.6), risk_difference_ends(-1.0, 1.0), risk_difference_ends(-0.2, 0.1)
    (1, 2, 0)
    """
    return int(low <= -1) + int(high >= 1)


def statements(name: str, est, *, window_months: int = 12, age_limit: int | None = None) -> tuple[Statement, ...]:
    """"You can say / you cannot say" statements for one headline result (none for a not-estimable one).

    The "can" statement gives the population, the comparison, the window and the interval in the
    result's display unit; for designs without a concurrent comparison it adds "this may reflect the
    programme or other changes". The "cannot" statements name the over-readings: the point estimate
    as the programme's effect, "no effect" from an interval that includes no effect, and causal
    claims from self-selected or risk-flag comparisons. The wording depends on the result's
    `design_key` (cohort comparison, staggered Cox model, district comparisons, self-selected,
    regression discontinuities); any other design gets one generic "can" statement.

    Parameters
    ----------
    name : str
        Name of the result (copied to each statement).
    est : EvalEstimate or NotEstimable
        The result; its `design_key`, `scale`, interval and display unit are read.
    window_months : int
        Outcome window quoted in the statements, in months.
    age_limit : int, optional
        The programme's upper age limit, for the age discontinuity ("their 22nd birthday" for 21).

    Returns
    -------
    tuple of Statement
        The "can" statement first, then the "cannot" ones; empty for a result without a finite
        interval.

    Examples
    --------
    >>> from foundation_eval.impact import EvalEstimate
    >>> def result(name, est, lo, hi, level, key):        # a risk difference, shown in percentage points
    ...     return EvalEstimate(name=name, estimate=est, se=(hi - lo) / 3.92, ci_low=lo, ci_high=hi, level=0.95,
    ...                         p_value=0.5, design=key, estimand="", comparison="", assumptions=(),
    ...                         sms_level=level, design_key=key, display_scale=100.0,
    ...                         display_unit="percentage points")
    >>> cohort = result("reoffending_12m_rd_programme", -0.09, -0.16, -0.01, 2, "cohort_before_after")
    >>> can, cannot = statements("reoffending_12m_rd_programme", cohort)
    >>> can.text()
    'You can say: later cohorts of listed people reoffended less than earlier cohorts in the same districts, by 1.0 to 16 points within 12 months; this may reflect the programme or other changes.'
    >>> cannot.text()
    'You cannot say: the programme cut reoffending by 9.0 points.'
    """
    if not getattr(est, "estimable", True) or not _finite(est.ci_low, est.ci_high):
        return ()
    f = finding(est)
    key = getattr(est, "design_key", "")
    e, lo, hi = _disp(est)
    out: list[Statement] = []
    caveat = "" if key in ("staggered_did", "cox_staggered", "rd", "rd_risk_flag") else (
        "; this may reflect the programme or other changes")
    common = {"level": est.sms_level}

    def add(kind, k, template, **values):
        out.append(Statement(name, kind, k, template, {**common, **values}))

    if key == "cohort_before_after":
        if f == FINDINGS[0]:
            add("can", "cohort_less", "later cohorts of listed people reoffended less than earlier cohorts in the same "
                "districts, by {low} to {high} points within {window} months{caveat}.", low=-hi, high=-lo,
                window=window_months, caveat=caveat)
            add("cannot", "point_as_effect", "the programme cut reoffending by {point} points.", point=-e)
        elif f == FINDINGS[2]:
            add("can", "cohort_more", "later cohorts of listed people reoffended more than earlier cohorts in the same "
                "districts, by {low} to {high} points within {window} months{caveat}.", low=lo, high=hi,
                window=window_months, caveat=caveat)
            add("cannot", "point_as_harm", "the programme increased reoffending by {point} points.", point=e)
        else:
            add("can", "cohort_unclear", "later cohorts of listed people reoffended within {window} months at a rate "
                "between {low} points lower and {high} points higher than earlier cohorts in the same districts.",
                low=-lo, high=hi, window=window_months)
            add("cannot", "no_effect", "the programme had no effect on reoffending.")
    elif key == "cox_staggered" and getattr(est, "scale", "") == "ratio":
        add("can", "hazard_ratio", "once listed in a live district, eligible people had a rate of first DA reoffence "
            "{low} to {high} times that of eligible people not yet listed, in the same district and calendar quarter.",
            low=lo, high=hi)
        if f == FINDINGS[0]:
            add("cannot", "ratio_as_percent", "the programme cut reoffending by {pct}%.", pct=100 * (1 - e))
        elif f == FINDINGS[1]:
            add("cannot", "no_effect", "the programme had no effect on reoffending.")
        else:
            add("cannot", "ratio_as_harm", "the programme increased reoffending by {pct}%.", pct=100 * (e - 1))
    elif key in ("staggered_did", "twfe", "its", "before_after"):
        unit = _unit(est)
        comparison = {"staggered_did": "districts not yet live", "twfe": "districts not yet live or already live",
                      "its": "the trend before go-live", "before_after": "the same districts before go-live"}[key]
        if f == FINDINGS[1]:
            add("can", "rate_unclear", "once districts went live, the change in {unit} among eligible people, against "
                "{comparison}, lay between {low} and {high}{caveat}.", unit=unit, comparison=comparison,
                low=lo, high=hi, caveat=caveat)
            add("cannot", "no_effect", "the programme had no effect on DA offences.")
            add("cannot", "direction", "the programme reduced DA offences.")
        else:
            add("can", "rate_change", "once districts went live, {unit} among eligible people {verb} by {low} to "
                "{high} against {comparison}{caveat}.", unit=unit, verb=_MAGNITUDE[f], comparison=comparison,
                low=min(abs(lo), abs(hi)), high=max(abs(lo), abs(hi)), caveat=caveat)
            add("cannot", "point_as_effect", "the programme changed {unit} by exactly {point}.", unit=unit, point=e)
    elif key == "self_selected":
        add("can", "engaged_correlation", "listed people who engaged reoffended at a rate between {low} and {high} "
            "points different from those who did not; people choose to engage, so this is a correlation.",
            low=lo, high=hi)
        add("cannot", "engaging_works", "engaging with the programme reduced reoffending.")
    elif key in ("rd", "rd_risk_flag") and risk_difference_ends(est.ci_low, est.ci_high) == 2:
        # an interval cut to the whole range of a risk difference (rd_age): nothing to say about its size
        who = ("listed people score near the priority threshold to tell whether being flagged a priority "
               "perpetrator" if key == "rd_risk_flag" else "people are screened near the age limit to tell whether "
               "being listed")
        add("can", "uninformative", "too few {who} changed their reoffending within {window} months: the interval "
            "covers every possible difference.", who=who, window=window_months)
        add("cannot", "flag_as_programme" if key == "rd_risk_flag" else "no_effect",
            "this is the effect of the programme: everyone compared was on it." if key == "rd_risk_flag" else
            "being listed made no difference at the age limit.")
    elif key == "rd_risk_flag":
        add("can", "flag_effect", "for listed people scoring at the priority threshold, being flagged a priority "
            "perpetrator changed reoffending within {window} months by {low} to {high} points.", low=lo, high=hi,
            window=window_months)
        add("cannot", "flag_as_programme", "this is the effect of the programme: everyone compared was on it.")
    elif key == "rd":
        add("can", "age_limit", "for people at the upper age limit (the day before and after their {birthday} "
            "birthday), being listed changed reoffending within {window} months by {low} to {high} points.",
            birthday=ordinal(age_limit + 1) if age_limit is not None else "limit", low=lo, high=hi,
            window=window_months)
        add("cannot", "other_ages", "the programme has the same effect at other ages.")
    else:
        add("can", "generic", "the estimate lies between {low} and {high} ({unit}).", low=lo, high=hi, unit=_unit(est))
    return tuple(out)
