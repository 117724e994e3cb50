"""Shared pieces of every impact result: the scalar estimate with its interval and labels.

Every impact estimator in this subpackage returns an immutable result that carries

* ``design`` - the research design in words (e.g. "staggered difference-in-differences");
* ``estimand`` - what is being estimated (e.g. "ATT averaged over post-treatment group-time cells");
* ``comparison`` - who the treated are compared with;
* ``assumptions`` - plain-English identifying assumptions (a tuple of strings);
* ``sms_level`` - the Maryland Scientific Methods Scale level (see
  [`SMS_LEVELS`][foundation_eval.impact.maryland.SMS_LEVELS]);
* ``summary_sentence()`` - one sentence for a commissioner, with the estimate and its interval.

The Maryland Scientific Methods Scale levels and the one table from design (and its diagnostics) to
level live in `foundation_eval.impact.maryland` (Farrington, Gottfredson, Sherman & Welsh 2002).
[`EvalEstimate`][foundation_eval.impact.EvalEstimate] adds diagnostics, the estimand fields
(population, window, unit and the display unit) and the flags set beside the level;
[`NotEstimable`][foundation_eval.impact.NotEstimable] stands in for a design the data cannot support.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from foundation_eval.impact.maryland import SMS_LEVELS  # one definition of the levels
from foundation_eval.results import IntervalEstimate, Result

__all__ = ["ImpactEstimate", "EvalEstimate", "NotEstimable", "SMS_LEVELS", "format_number"]


def format_number(x: float, digits: int = 3) -> str:
    r"""Format a number for a sentence with a fixed number of decimals, keeping small effects readable.

    Numbers are written with ``digits`` decimals; a non-zero number smaller in absolute value than
    $10^{-\text{digits}}$ (which would print as zero) is written with ``digits`` significant figures
    instead, so a small effect is never reported as "0.000". Missing values (None or NaN) read "n/a".

    Parameters
    ----------
    x : float or None
        The number.
    digits : int
        Decimals (and significant figures for very small numbers).

    Returns
    -------
    str
        The formatted number.

    Examples
    --------
    >>> format_number(-0.01234)
    '-0.012'
    >>> format_number(0.00001234)
    '1.23e-05'
    >>> format_number(float("nan")), format_number(2.5, digits=1)
    ('n/a', '2.5')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    ax = abs(x)
    if ax != 0 and ax < 10 ** (-digits):
        return f"{x:.{digits}g}"
    return f"{x:.{digits}f}"


@dataclass(frozen=True)
class ImpactEstimate(IntervalEstimate):
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
    notes : tuple of str
        Caveats in plain words (e.g. rows left out of the estimand, few clusters).

    Examples
    --------
    >>> est = ImpactEstimate(name="did_att", estimate=-0.012, se=0.004, ci_low=-0.02, ci_high=-0.004,
    ...                      level=0.95, p_value=0.003, design="staggered difference-in-differences",
    ...                      estimand="average effect on the treated", comparison="districts not yet live",
    ...                      assumptions=("parallel trends",), sms_level=4, outcome="the DA reoffending rate")
    >>> est.summary_sentence()  # doctest: +NORMALIZE_WHITESPACE
    'Using staggered difference-in-differences (districts not yet live), the estimated effect on the DA
    reoffending rate (average effect on the treated) is -0.012 (95% confidence interval -0.020 to -0.004,
    which excludes no effect); Maryland Scientific Methods Scale level 4.'
    >>> est.to_record()["sms_level"]
    4
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
        """One plain-English sentence with the estimate, the interval and the design.

        The sentence names the design, the comparison, the outcome and the estimand, gives the estimate
        and its confidence interval (formatted by `format_number`), says whether the interval
        includes zero, and ends with the Maryland Scientific Methods Scale level. The comparison is
        always with zero: for an estimate on a ratio scale (an `EvalEstimate` with ``scale="ratio"``)
        read `EvalEstimate.excludes_no_effect`, which compares with 1.

        Parameters
        ----------
        digits : int
            Decimals of the estimate and its interval.

        Returns
        -------
        str
            The sentence; "no interval could be computed" replaces the interval when either end is NaN.
        """
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
        """The ``results.json`` entry: name, estimate, ci_low, ci_high, design, sms_level.

        Returns
        -------
        dict
            Plain Python floats, strings and an int (None for a descriptive result), ready for `json.dump`.
        """
        return {
            "name": self.name,
            "estimate": float(self.estimate),
            "ci_low": float(self.ci_low),
            "ci_high": float(self.ci_high),
            "design": self.design,
            "sms_level": None if self.sms_level is None else int(self.sms_level),
        }


@dataclass(frozen=True)
class EvalEstimate(ImpactEstimate):
    """An [`ImpactEstimate`][foundation_eval.impact.ImpactEstimate] with diagnostics, the estimand and a sample size.

    The result type of the designs the evaluation reports (for example
    [`imputation_did`][foundation_eval.impact.imputation.imputation_did]). It has every attribute of
    `ImpactEstimate` and, in addition, the attributes below.

    Attributes
    ----------
    diagnostics : tuple of (label, text) pairs
        Checks of the design in plain words (pre-trend test, density test, clusters, ...).
    n : int
        Units behind the estimate (people, district-periods, screens), for the methods table.
    truth_name : str or None
        The ``truth.json`` name this estimate is scored against, when it is a headline estimate.
    scale : str
        ``"difference"`` or ``"ratio"`` (no effect is 0 or 1).
    population : str
        Who the estimate is about ("everyone eligible in live districts", "everyone listed", ...).
    window : str
        The period the outcome is counted over ("within 12 months of first eligibility", ...).
    unit : str
        Unit of ``estimate`` as stored (e.g. "DA offences per eligible person-month").
    display_scale, display_unit : float, str
        Multiply ``estimate`` and its interval by ``display_scale`` to read it in ``display_unit``, the
        one unit a report uses for this outcome (e.g. 100 and "DA offences per 100 eligible
        person-months"; 100 and "percentage points" for a risk difference).
    level_flags : tuple of str
        Plain-words flags set beside the Maryland level by
        [`maryland_level`][foundation_eval.impact.maryland.maryland_level] (a failed or missing design
        check).
    design_key : str
        Key of the design in [`DESIGN_LEVELS`][foundation_eval.impact.maryland.DESIGN_LEVELS].
    measured_coverage : float or None
        For an interval known to cover less than its nominal level: the share of simulated forces in which
        it covered the truth (`benchmarks/coverage.py`, scenario `realistic`); reports print it beside the
        interval, never the interval as plain 95%. None when the interval holds its level.

    Examples
    --------
    A risk difference of -2.1 percentage points, stored as a proportion:

    >>> est = EvalEstimate(name="risk_diff_12m", estimate=-0.021, se=0.008, ci_low=-0.037, ci_high=-0.005,
    ...                    level=0.95, p_value=0.01, design="staggered difference-in-differences",
    ...                    estimand="average effect on the treated", comparison="districts not yet live",
    ...                    assumptions=(), sms_level=4, truth_name="did_att_12m",
    ...                    display_scale=100, display_unit="percentage points")
    >>> [round(v, 1) for v in est.displayed()]
    [-2.1, -3.7, -0.5]
    >>> est.excludes_no_effect, est.covers(0.0), est.record()["name"]
    (True, False, 'did_att_12m')
    """

    diagnostics: tuple = ()
    n: int = 0
    truth_name: str | None = None
    scale: str = "difference"
    population: str = ""
    window: str = ""
    unit: str = ""
    display_scale: float = 1.0
    display_unit: str = ""
    level_flags: tuple = ()
    design_key: str = ""
    measured_coverage: float | None = None

    @property
    def estimable(self) -> bool:
        """True: this result holds an estimate (see [`NotEstimable`][foundation_eval.impact.NotEstimable])."""
        return True

    def displayed(self) -> tuple[float, float, float]:
        """The estimate and its interval in ``display_unit``.

        Returns
        -------
        tuple of float
            ``(estimate, ci_low, ci_high)``, each multiplied by ``display_scale`` (1 for ratios, which
            are therefore returned unchanged).
        """
        k = self.display_scale
        return (self.estimate * k, self.ci_low * k, self.ci_high * k)

    def estimand_fields(self) -> dict:
        """Population, comparison, window and unit of the estimate: the estimand stated once.

        Returns
        -------
        dict
            Keys ``population``, ``comparison``, ``window`` and ``unit`` (the display unit when set,
            otherwise the stored unit).
        """
        return {"population": self.population, "comparison": self.comparison, "window": self.window,
                "unit": self.display_unit or self.unit}

    def record(self) -> dict:
        """The ``results.json`` entry, named by the truth name when there is one.

        Returns
        -------
        dict
            As `ImpactEstimate.to_record`, with ``name`` replaced by ``truth_name`` when that is set.
        """
        r = self.to_record()
        if self.truth_name:
            r["name"] = self.truth_name
        return r

    def table(self) -> pd.DataFrame:
        """The estimate as a one-row table.

        Returns
        -------
        DataFrame
            Columns ``name, estimate, se, ci_low, ci_high, p_value, sms_level, design, estimand,
            comparison, interval_method, n``.
        """
        return pd.DataFrame([{"name": self.name, "estimate": self.estimate, "se": self.se, "ci_low": self.ci_low,
                              "ci_high": self.ci_high, "p_value": self.p_value, "sms_level": self.sms_level,
                              "design": self.design, "estimand": self.estimand, "comparison": self.comparison,
                              "interval_method": self.interval_method, "n": self.n}])

    def plot(self, ax=None):
        """The estimate with its interval and a vertical line at no effect (0, or 1 for a ratio).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new 5 x 2.5 inch figure when None.

        Returns
        -------
        matplotlib Axes
            The axes drawn on.
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(5, 2.5))
        ax.errorbar([self.estimate], [0], xerr=[[self.estimate - self.ci_low], [self.ci_high - self.estimate]],
                    fmt="o", capsize=4)
        ax.axvline(1.0 if self.scale == "ratio" else 0.0, color="0.4", lw=0.8)
        ax.set_yticks([])
        ax.set_xlabel(f"{self.outcome} ({int(round(self.level * 100))}% interval)")
        return ax

    @property
    def null(self) -> float:
        """The value meaning no effect: 1 for a ratio, 0 for a difference."""
        return 1.0 if self.scale == "ratio" else 0.0

    @property
    def excludes_no_effect(self) -> bool:
        """Whether the confidence interval lies wholly on one side of no effect (`null`)."""
        null = self.null
        return bool(self.ci_low > null or self.ci_high < null)


@dataclass(frozen=True)
class NotEstimable(Result):
    """A design the data cannot support, with the reason in plain words (never an exception in a report).

    Attributes
    ----------
    name : str
        Name the estimate would have had.
    design : str
        The design in words.
    reason : str
        Why it cannot be estimated ("need at least two periods", "no district went live after ...").
    design_key : str
        Key of the design in the Maryland level table.
    estimate, ci_low, ci_high : float
        Always NaN, so code that reads them from any result gets a number.
    sms_level : None
        No level: nothing was estimated.

    Examples
    --------
    >>> n = NotEstimable("did_att", "staggered difference-in-differences", "need at least two periods")
    >>> n.sentence()
    'Staggered difference-in-differences: not estimable because need at least two periods.'
    >>> n.estimable, n.table().loc[0, "reason"]
    (False, 'need at least two periods')
    """

    name: str
    design: str
    reason: str
    design_key: str = ""
    estimate: float = float("nan")
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    sms_level: int | None = None

    @property
    def estimable(self) -> bool:
        """False: nothing was estimated (see ``reason``)."""
        return False

    def sentence(self) -> str:
        """The reason as a sentence: "<Design>: not estimable because <reason>."

        Returns
        -------
        str
            The sentence, with the design capitalised and one final full stop.
        """
        return f"{self.design[:1].upper()}{self.design[1:]}: not estimable because {self.reason.rstrip('.')}."

    def table(self) -> pd.DataFrame:
        """The design and the reason as a one-row table.

        Returns
        -------
        DataFrame
            Columns ``name, design, estimable`` (False) and ``reason``.
        """
        return pd.DataFrame([{"name": self.name, "design": self.design, "estimable": False, "reason": self.reason}])
