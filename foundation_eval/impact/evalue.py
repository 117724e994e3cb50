r"""E-values: how strong unmeasured confounding would have to be to explain an association away.

VanderWeele, T.J. & Ding, P. (2017). Sensitivity analysis in observational research: introducing the
E-value. *Annals of Internal Medicine* 167(4):268-274. For an observed risk ratio $RR \ge 1$ (take
$1/RR$ when $RR < 1$), the E-value is the smallest strength of association, on the risk-ratio
scale, that a confounder would need with both the exposure and the outcome to move the risk ratio
to the null:

$$
E = RR + \sqrt{RR\,(RR - 1)},
$$

and for the confidence interval the same formula at the limit closer to the null (1 when the
interval contains it). To move the estimate to a non-null value $RR_0$ instead, $E$ is the formula
at $RR/RR_0$ (Ding & VanderWeele 2016, *Epidemiology* 27(3):368-377; R ``EValue::threshold``).

Other measures are first put on the risk-ratio scale (VanderWeele & Ding 2017, Table; VanderWeele
2020, *Epidemiology* 31(5):e65-e69):

- hazard ratio: as a risk ratio when the outcome is rare (under about 15% by the end of follow-up);
  otherwise $RR \approx (1 - 0.5^{\sqrt{HR}}) / (1 - 0.5^{\sqrt{1/HR}})$;
- odds ratio: as a risk ratio when rare; otherwise $RR \approx \sqrt{OR}$;
- risk difference from a 2 x 2 table: the bias factor that moves the population-standardised
  difference to `true`, and for the lower limit the bias factor at which the lower limit of the
  standardised difference reaches `true` (Ding & VanderWeele 2016, section 6; R ``EValue::evalues.RD``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from scipy import stats as _st
from scipy.optimize import brentq

__all__ = ["e_value", "evalue_rr", "evalue_hr", "evalue_or", "evalue_rd", "EValue"]


def e_value(rr: float, true: float = 1.0) -> float:
    r"""E-value of one risk ratio: $E = RR + \sqrt{RR (RR - 1)}$ (after $RR \to 1/RR$ when $RR < 1$).

    With `true` $\ne 1$: the formula at $RR / RR_0$ when the estimate lies beyond $RR_0$, and at
    $RR_0 / RR$ when the confounding would have to push it away from the null.

    Parameters
    ----------
    rr : float
        Risk ratio (positive).
    true : float
        Risk ratio to move it to (1: the null).

    Returns
    -------
    float
        The E-value ($\ge 1$).

    Raises
    ------
    ValueError
        When `rr` or `true` is not positive.

    Examples
    --------
    VanderWeele & Ding (2017): a risk ratio of 3.9 has E-value 7.26; the R ``EValue`` article: 2.5
    moved to 1.5 needs 2.72:

    >>> from foundation_eval.impact import e_value
    >>> round(e_value(3.9), 2), round(e_value(2.5, true=1.5), 6)
    (7.26, 2.720759)
    """
    if not (rr > 0 and true > 0):
        raise ValueError(f"risk ratios must be positive (got rr={rr}, true={true})")
    x, t = float(rr), float(true)
    if x <= 1:
        x, t = 1 / x, 1 / t
    if t <= x:
        return (x + math.sqrt(x * (x - t))) / t
    ratio = t / x
    return ratio + math.sqrt(ratio * (ratio - 1))


@dataclass(frozen=True)
class EValue:
    r"""E-values of an estimate and its confidence interval (immutable).

    Returned by [`evalue_rr`][foundation_eval.impact.evalue_rr],
    [`evalue_hr`][foundation_eval.impact.evalue_hr], [`evalue_or`][foundation_eval.impact.evalue_or]
    and [`evalue_rd`][foundation_eval.impact.evalue_rd].

    Attributes
    ----------
    measure : str
        ``"RR"``, ``"HR"``, ``"OR"`` or ``"RD"``.
    estimate, lower, upper : float
        The estimate and interval as given (NaN when not given).
    rr, rr_lower, rr_upper : float
        The same on the risk-ratio scale (NaN for a risk difference).
    evalue_point : float
        E-value of the estimate.
    evalue_ci : float
        E-value of the confidence limit closer to `true` (1 when the interval contains it; NaN
        without an interval).
    true : float
        The value the confounding would have to move the estimate to.
    rare : bool or None
        Whether the rare-outcome approximation was used (HR, OR).

    Examples
    --------
    >>> from foundation_eval.impact import evalue_rr
    >>> e = evalue_rr(0.80, 0.71, 0.91)
    >>> round(e.evalue_point, 6), round(e.evalue_ci, 6)
    (1.809017, 1.428571)
    """

    measure: str
    estimate: float
    lower: float
    upper: float
    rr: float
    rr_lower: float
    rr_upper: float
    evalue_point: float
    evalue_ci: float
    true: float = 1.0
    rare: bool | None = None

    def table(self) -> pd.DataFrame:
        """One row for the estimate and one per interval limit, with the risk ratio and E-value.

        Returns
        -------
        DataFrame
            Columns `quantity` (point, lower, upper), `value`, `rr` and `evalue` (the E-value of the
            limit closer to `true` on its row, NaN on the other).

        Examples
        --------
        >>> from foundation_eval.impact import evalue_rr
        >>> evalue_rr(3.9, 1.8, 8.7).table().round(2).to_dict("list")["evalue"]
        [7.26, 3.0, nan]
        """
        closer_is_lower = self._ci_side() == "lower"
        return pd.DataFrame({
            "quantity": ["point", "lower", "upper"],
            "value": [self.estimate, self.lower, self.upper],
            "rr": [self.rr, self.rr_lower, self.rr_upper],
            "evalue": [self.evalue_point, self.evalue_ci if closer_is_lower else math.nan,
                       self.evalue_ci if not closer_is_lower else math.nan],
        })

    def _ci_side(self) -> str:
        if self.measure == "RD":
            return "lower"
        return "lower" if self.rr >= self.true_rr else "upper"

    @property
    def true_rr(self) -> float:
        """The target on the risk-ratio scale (after the HR or OR conversion).

        Returns
        -------
        float
        """
        if self.measure in ("RR", "RD"):
            return self.true
        return _to_rr(self.true, self.measure, bool(self.rare))

    def summary_sentence(self, digits: int = 2) -> str:
        """The E-values in one plain-English sentence.

        Parameters
        ----------
        digits : int
            Decimals of the E-values.

        Returns
        -------
        str

        Examples
        --------
        >>> from foundation_eval.impact import evalue_rr
        >>> print(evalue_rr(3.9, 1.8, 8.7).summary_sentence())
        To explain away the estimate, an unmeasured confounder would need to be associated with both
        the exposure and the outcome by a risk ratio of at least 7.26 each, above and beyond the
        measured covariates; to move the confidence interval to include the null, at least 3.00.
        """
        target = "the null" if self.true == (0.0 if self.measure == "RD" else 1.0) else f"{self.true:g}"
        head = (f"To explain away the estimate, an unmeasured confounder would need to be associated with both "
                f"the exposure and the outcome by a risk ratio of at least {self.evalue_point:.{digits}f} each, "
                "above and beyond the measured covariates")
        if math.isnan(self.evalue_ci):
            return head + "."
        if self.evalue_ci == 1:
            return head + f"; the confidence interval already includes {target}."
        return head + f"; to move the confidence interval to include {target}, at least {self.evalue_ci:.{digits}f}."

    def plot(self, ax=None):
        r"""The confounder strengths that explain the estimate away (VanderWeele & Ding 2017, Figure).

        The curve is $RR_{UD} = RR\,(RR_{EU} - 1) / (RR_{EU} - RR)$: any confounder with associations
        $(RR_{EU}, RR_{UD})$ on or above it could move the risk ratio to the null; the E-value is the
        point where the two are equal.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new 5 x 4 inch figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from foundation_eval.impact import evalue_rr
        >>> ax = evalue_rr(3.9, 1.8, 8.7).plot()
        >>> ax.get_xlabel()
        'confounder-exposure risk ratio'
        >>> plt.close("all")
        """
        import matplotlib.pyplot as plt
        import numpy as np

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 4))
        e = self.evalue_point
        b = e * e / (2 * e - 1)  # the bias factor to overcome: B(E, E) = E^2 / (2E - 1)
        x = np.linspace(b * (1 + 1e-3), max(4 * e, b + 3), 200)
        ax.plot(x, b * (x - 1) / (x - b), color="C0")
        ax.plot([e], [e], "o", color="C3", label=f"E-value {e:.2f}")
        ax.set_xlabel("confounder-exposure risk ratio")
        ax.set_ylabel("confounder-outcome risk ratio")
        ax.set_ylim(1, max(4 * e, b + 3))
        ax.legend(frameon=False, fontsize=8)
        return ax


def _nan(x) -> float:
    return math.nan if x is None else float(x)


def _to_rr(x: float, measure: str, rare: bool) -> float:
    if measure == "HR" and not rare:
        return (1 - 0.5 ** math.sqrt(x)) / (1 - 0.5 ** math.sqrt(1 / x))
    if measure == "OR" and not rare:
        return math.sqrt(x)
    return x


def _ratio_evalues(measure, est, lo, hi, true, rare):
    for name, v in (("estimate", est), ("lower", lo), ("upper", hi), ("true", true)):
        if v is not None and not (v > 0 and math.isfinite(v)):
            raise ValueError(f"the {name} {measure} must be positive and finite (got {v})")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"lower confidence limit {lo} is above the upper {hi}")
    if (lo is not None and est < lo) or (hi is not None and est > hi):
        raise ValueError(f"the estimate {est} must lie inside its confidence interval [{lo}, {hi}]")
    conv = [None if v is None else _to_rr(float(v), measure, bool(rare)) for v in (est, lo, hi, true)]
    rr, rlo, rhi, rtrue = conv
    e_point = e_value(rr, rtrue)
    if lo is None and hi is None:
        e_ci = math.nan
    elif rr > rtrue:
        e_ci = math.nan if rlo is None else (1.0 if rlo <= rtrue else e_value(rlo, rtrue))
    elif rr < rtrue:
        e_ci = math.nan if rhi is None else (1.0 if rhi >= rtrue else e_value(rhi, rtrue))
    else:
        e_ci = 1.0
    return EValue(measure=measure, estimate=float(est), lower=_nan(lo), upper=_nan(hi), rr=rr, rr_lower=_nan(rlo),
                  rr_upper=_nan(rhi), evalue_point=e_point, evalue_ci=e_ci, true=float(true),
                  rare=None if measure == "RR" else bool(rare))


def evalue_rr(est: float, lo: float | None = None, hi: float | None = None, *, true: float = 1.0) -> EValue:
    r"""E-values for a risk ratio (or rate ratio) and the confidence limit closer to the null.

    Parameters
    ----------
    est : float
        Estimated risk ratio.
    lo, hi : float, optional
        Confidence limits.
    true : float
        Risk ratio to move the estimate to (1: the null).

    Returns
    -------
    EValue

    Raises
    ------
    ValueError
        For a non-positive value, limits in the wrong order, or an estimate outside its interval.

    Examples
    --------
    Hammond & Horn's smoking and lung cancer, RR 10.73 (8.02 to 14.36) (Ding & VanderWeele 2016; the
    R ``EValue`` article): E-values 20.95 and 15.52. Breastfeeding and leukaemia, RR 0.80 (0.71 to
    0.91) (VanderWeele & Ding 2017): 1.81 and 1.43:

    >>> from foundation_eval.impact import evalue_rr
    >>> e = evalue_rr(10.73, 8.02, 14.36)
    >>> round(e.evalue_point, 5), round(e.evalue_ci, 5)
    (20.94777, 15.52336)
    >>> e = evalue_rr(0.80, 0.71, 0.91)
    >>> round(e.evalue_point, 2), round(e.evalue_ci, 2)
    (1.81, 1.43)
    """
    return _ratio_evalues("RR", est, lo, hi, true, None)


def evalue_hr(est: float, lo: float | None = None, hi: float | None = None, *, rare: bool,
              true: float = 1.0) -> EValue:
    r"""E-values for a hazard ratio: as a risk ratio if the outcome is rare, else via the square-root transform.

    Common outcome: $RR \approx (1 - 0.5^{\sqrt{HR}}) / (1 - 0.5^{\sqrt{1/HR}})$ (VanderWeele 2020,
    *Epidemiology* 31(5):e65-e69), applied to the estimate, the limits and `true`.

    Parameters
    ----------
    est : float
        Estimated hazard ratio.
    lo, hi : float, optional
        Confidence limits.
    rare : bool
        Whether the outcome is rare (under about 15% by the end of follow-up).
    true : float
        Hazard ratio to move the estimate to (1: the null).

    Returns
    -------
    EValue

    Raises
    ------
    ValueError
        For a non-positive value, limits in the wrong order, or an estimate outside its interval.

    Examples
    --------
    The R ``EValue`` documentation: HR 0.56 (0.46 to 0.69), common outcome: RR 0.670, E-values 2.35
    and 1.91:

    >>> from foundation_eval.impact import evalue_hr
    >>> e = evalue_hr(0.56, 0.46, 0.69, rare=False)
    >>> round(e.rr, 6), round(e.evalue_point, 6), round(e.evalue_ci, 6)
    (0.670084, 2.349531, 1.908004)
    """
    return _ratio_evalues("HR", est, lo, hi, true, rare)


def evalue_or(est: float, lo: float | None = None, hi: float | None = None, *, rare: bool,
              true: float = 1.0) -> EValue:
    r"""E-values for an odds ratio: as a risk ratio if the outcome is rare, else $RR \approx \sqrt{OR}$.

    Parameters
    ----------
    est : float
        Estimated odds ratio.
    lo, hi : float, optional
        Confidence limits.
    rare : bool
        Whether the outcome is rare (under about 15%).
    true : float
        Odds ratio to move the estimate to (1: the null).

    Returns
    -------
    EValue

    Raises
    ------
    ValueError
        For a non-positive value, limits in the wrong order, or an estimate outside its interval.

    Examples
    --------
    VanderWeele & Ding (2017): formula-fed infants' deaths from respiratory infection, OR 3.9 (1.8
    to 8.7), rare outcome: E-values 7.26 and 3.0. The R ``EValue`` documentation: OR 0.86 (0.75 to
    0.99), common outcome: 1.37 and 1.08:

    >>> from foundation_eval.impact import evalue_or
    >>> e = evalue_or(3.9, 1.8, 8.7, rare=True)
    >>> round(e.evalue_point, 2), round(e.evalue_ci, 2)
    (7.26, 3.0)
    >>> e = evalue_or(0.86, 0.75, 0.99, rare=False)
    >>> round(e.evalue_point, 7), round(e.evalue_ci, 7)
    (1.3689529, 1.0761939)
    """
    return _ratio_evalues("OR", est, lo, hi, true, rare)


def evalue_rd(n11: int, n10: int, n01: int, n00: int, *, true: float = 0.0, alpha: float = 0.05) -> EValue:
    r"""E-values for a risk difference from a 2 x 2 table (Ding & VanderWeele 2016, section 6).

    With $f = P(X = 1)$, risks $p_1$, $p_0$ and $\Delta = p_0(1 - f) - p_1 f$, the bias factor that
    moves the population-standardised risk difference to `true` is
    $B = \{\sqrt{(true + \Delta)^2 + 4 p_1 p_0 f (1 - f)} - (true + \Delta)\} / (2 p_0 f)$ and the
    E-value is that of $B$. For the lower confidence limit, $B$ solves
    $(p_1 - p_0 B)(f + (1 - f)/B) - z_{1-\alpha/2}\,s(B) = true$, with $s(B)^2$ the delta-method
    variance of the standardised difference (the root of what R ``EValue::evalues.RD`` finds on a
    grid of $B$ in steps of 0.0001).

    Parameters
    ----------
    n11, n10 : int
        Exposed with and without the outcome.
    n01, n00 : int
        Unexposed with and without the outcome.
    true : float
        Risk difference to move the estimate to (0: the null), below the estimate.
    alpha : float
        One minus the confidence level of the lower limit.

    Returns
    -------
    EValue
        `estimate` and `lower` are the risk difference and its Wald lower limit; `rr` is NaN.

    Raises
    ------
    ValueError
        For negative counts, a risk difference below zero (recode the exposure), or `true` not below
        the estimate.

    Examples
    --------
    Hammond & Horn's smokers (397 of 78,954 with lung cancer) and non-smokers (51 of 108,829) (the R
    ``EValue`` documentation: 20.94733 and 15.95703):

    >>> from foundation_eval.impact import evalue_rd
    >>> e = evalue_rd(397, 78557, 51, 108778)
    >>> round(e.evalue_point, 5), round(e.evalue_ci, 3)
    (20.94733, 15.957)
    """
    if min(n11, n10, n01, n00) < 0:
        raise ValueError(f"cell counts must be non-negative (got {n11}, {n10}, {n01}, {n00})")
    n1, n0 = n11 + n10, n01 + n00
    if n1 == 0 or n0 == 0:
        raise ValueError("both exposure groups need people")
    n = n1 + n0
    f = n1 / n
    p1, p0 = n11 / n1, n01 / n0
    if p1 < p0:
        raise ValueError("the risk difference is negative: recode the exposure so that it is positive")
    if p1 - p0 <= true:
        raise ValueError(f"true ({true}) must be below the estimated risk difference ({p1 - p0:.6g})")
    s2_f = f * (1 - f) / n
    s2_p1, s2_p0 = p1 * (1 - p1) / n1, p0 * (1 - p0) / n0
    diff = p0 * (1 - f) - p1 * f
    b_point = (math.sqrt((true + diff) ** 2 + 4 * p1 * p0 * f * (1 - f)) - (true + diff)) / (2 * p0 * f)
    z = float(_st.norm.ppf(1 - alpha / 2))
    lower = p1 - p0 - z * math.sqrt(s2_p1 + s2_p0)

    def lower_given(b):
        rd, fb = p1 - p0 * b, f + (1 - f) / b
        return rd * fb - z * math.sqrt((s2_p1 + s2_p0 * b * b) * fb * fb + rd * rd * (1 - 1 / b) ** 2 * s2_f)

    if lower <= true:
        e_ci = 1.0
    else:
        e_ci = e_value(brentq(lambda b: lower_given(b) - true, 1.0, b_point, xtol=1e-13, rtol=1e-13))
    return EValue(measure="RD", estimate=p1 - p0, lower=lower, upper=math.nan, rr=math.nan, rr_lower=math.nan,
                  rr_upper=math.nan, evalue_point=e_value(b_point), evalue_ci=e_ci, true=float(true))
