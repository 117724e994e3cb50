"""Shared pieces of every impact result: the scalar estimate with its interval and labels.

Every impact estimator in this subpackage returns an immutable result that carries

* ``design`` - the research design in words (e.g. "staggered difference-in-differences");
* ``estimand`` - what is being estimated (e.g. "ATT averaged over post-treatment group-time cells");
* ``comparison`` - who the treated are compared with;
* ``assumptions`` - plain-English identifying assumptions (a tuple of strings);
* ``sms_level`` - the Maryland Scientific Methods Scale level (see :data:`SMS_LEVELS`);
* ``summary_sentence()`` - one sentence for a commissioner, with the estimate and its interval.

Maryland Scientific Methods Scale (Sherman et al. 1997, *Preventing Crime: What Works, What Doesn't,
What's Promising*, ch. 2; Farrington, Gottfredson, Sherman & Welsh 2002) as used here:

====  ==========================================================================================
 1    correlation at one point in time
 2    before-and-after in the treated units only, no comparable comparison group (single-series
      interrupted time series sits here: the pre-period trend is the only counterfactual)
 3    before-and-after in treated and comparable untreated units (difference-in-differences
      without evidence on pre-trends; naive two-way fixed effects under staggered adoption)
 4    comparison with controls for other factors or units shown to be comparable: Callaway &
      Sant'Anna DiD whose pre-period effects pass a joint test; regression discontinuity
 5    random assignment
====  ==========================================================================================
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["ImpactEstimate", "SMS_LEVELS", "format_number"]

SMS_LEVELS = {
    1: "correlation at a single point in time",
    2: "before-and-after comparison in the treated group, without a comparable control",
    3: "before-and-after comparison of treated and comparable untreated groups",
    4: "comparison with comparable controls, design-based control of other factors",
    5: "random assignment",
}


def format_number(x: float, digits: int = 3) -> str:
    """Format ``x`` with ``digits`` significant decimals, keeping small effects readable."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    ax = abs(x)
    if ax != 0 and ax < 10 ** (-digits):
        return f"{x:.{digits}g}"
    return f"{x:.{digits}f}"


@dataclass(frozen=True)
class ImpactEstimate:
    """A scalar impact estimate with interval and the labels every impact result must carry.

    Attributes
    ----------
    name : str
        Short machine name (the vocabulary of ``truth.json`` / ``results.json``).
    estimate, se, ci_low, ci_high : float
        Point estimate, standard error and confidence interval at ``level``.
    level : float
        Confidence level of the interval.
    p_value : float
        Two-sided p-value for "no effect" (nan when not available).
    design, estimand, comparison : str
        Plain-English labels.
    assumptions : tuple of str
        Identifying assumptions in plain English.
    sms_level : int
        Maryland Scientific Methods Scale level (1-5).
    outcome : str
        Name of the outcome, used in the summary sentence.
    interval_method : str
        How the interval was obtained (e.g. "analytic influence-function SE, normal").
    """

    name: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    level: float
    p_value: float
    design: str
    estimand: str
    comparison: str
    assumptions: tuple[str, ...]
    sms_level: int
    outcome: str = "the outcome"
    interval_method: str = ""
    notes: tuple[str, ...] = field(default=())

    def summary_sentence(self, digits: int = 3) -> str:
        """One plain-English sentence with the estimate, the interval and the design."""
        pct = int(round(self.level * 100))
        est = format_number(self.estimate, digits)
        lo = format_number(self.ci_low, digits)
        hi = format_number(self.ci_high, digits)
        if math.isnan(self.ci_low) or math.isnan(self.ci_high):
            interval = "no interval could be computed"
        else:
            interval = f"{pct}% confidence interval {lo} to {hi}"
            if self.ci_low > 0 or self.ci_high < 0:
                interval += ", which excludes no effect"
            else:
                interval += ", which includes no effect"
        return (
            f"Using {self.design} ({self.comparison}), the estimated effect on {self.outcome} "
            f"({self.estimand}) is {est} ({interval}); Maryland Scientific Methods Scale level "
            f"{self.sms_level}."
        )

    def to_record(self) -> dict:
        """The ``results.json`` entry: name, estimate, ci_low, ci_high, design, sms_level."""
        return {
            "name": self.name,
            "estimate": float(self.estimate),
            "ci_low": float(self.ci_low),
            "ci_high": float(self.ci_high),
            "design": self.design,
            "sms_level": int(self.sms_level),
        }
