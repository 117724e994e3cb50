r"""Power and minimum detectable effects (MDE) for the designs in this subpackage.

Bloom (1995, *Evaluation Review* 19:547-556): the MDE is the smallest true effect that has a
probability `power` of giving an estimate significant at level `alpha`,

$$
MDE = M \times SE(\hat\tau), \qquad M = z_{1-\alpha/2} + z_{power}
$$

(two-sided; $z_{1-\alpha}$ one-sided), so $M = 2.80$ for 80% power at 5% two-sided and
$2.49$ one-sided (Bloom's Table 1). With few clusters, `df` replaces the normal quantiles by
Student-t quantiles with `df` degrees of freedom (Bloom 2005, *Learning More from Social
Experiments*, ch. 4), e.g. `df = G - 2` for `G` districts.

Standard errors:

- Two proportions with clustering (Bloom 1995 eq. 2 with the design effect of Donner & Klar 2000):
  $SE = \sqrt{\pi(1-\pi)\,(1/n_T + 1/n_C)\,DE}$, $DE = 1 + (m-1)\,ICC$ for clusters of
  size $m$.
- Difference-in-differences with $G$ units, a share $P$ treated, $T_0$ pre and $T_1$ post
  periods and equicorrelated errors within unit (correlation $\rho$; McKenzie 2012, *J Dev Econ*
  99:210-221, eq. 3):
  $SE^2 = \frac{\sigma^2}{G P (1-P)}\Big[\frac{1+(T_0-1)\rho}{T_0} + \frac{1+(T_1-1)\rho}{T_1} - 2\rho\Big]$.
  Positive serial correlation makes repeated periods less informative; with strong AR dependence
  use `simulate_power_staggered` instead (Burlig, Preonas & Woerman 2020, *J Dev Econ* 144).
- Staggered adoption: no closed form; `simulate_power_staggered` simulates district x month
  panels, estimates Callaway & Sant'Anna effects and counts rejections.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

__all__ = [
    "mde_multiplier",
    "design_effect",
    "minimum_detectable_effect",
    "MDEResult",
    "power_curve",
    "PowerCurve",
    "simulate_power_staggered",
    "SimulatedPower",
]


def mde_multiplier(alpha: float = 0.05, power: float = 0.8, two_sided: bool = True, df: float | None = None) -> float:
    r"""Bloom's multiplier $M$: the MDE in standard errors.

    $M = z_{1-\alpha/2} + z_{power}$ two-sided, $z_{1-\alpha} + z_{power}$ one-sided (Bloom 1995,
    *Evaluation Review* 19:547-556, Table 1), or the same with Student-t quantiles on `df` degrees
    of freedom (Bloom 2005) when there are few clusters.

    Parameters
    ----------
    alpha : float
        Significance level of the test, in (0, 1).
    power : float
        Probability of detecting an effect of the size of the MDE, in (0, 1).
    two_sided : bool
        Two-sided (default) or one-sided test.
    df : float, optional
        Degrees of freedom for t quantiles (e.g. number of districts minus 2); normal when omitted.

    Returns
    -------
    float
        The multiplier $M$ (unitless).

    Raises
    ------
    ValueError
        When `alpha` or `power` is outside (0, 1).

    Examples
    --------
    Bloom's (1995) values: 2.80 two-sided and 2.49 one-sided at 5% with 80% power, 2.93 one-sided
    with 90% power:

    >>> from foundation_eval.impact import mde_multiplier
    >>> round(mde_multiplier(), 2), round(mde_multiplier(two_sided=False), 2)
    (2.8, 2.49)
    >>> round(mde_multiplier(0.05, 0.9, two_sided=False), 2)
    2.93

    With 14 districts (`df = 12`) the t table gives $2.179 + 0.873 = 3.05$:

    >>> round(mde_multiplier(df=12), 2)
    3.05
    """
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError("alpha and power must lie in (0, 1)")
    a = alpha / 2 if two_sided else alpha
    dist = _st.norm if df is None else _st.t(df)
    return float(dist.ppf(1 - a) + dist.ppf(power))


def design_effect(cluster_size: float, icc: float) -> float:
    r"""Variance inflation from clustering, $DE = 1 + (m - 1)\,ICC$ (Kish 1965; Donner & Klar 2000).

    The variance of a mean over clusters of $m$ people with intra-cluster correlation $ICC$ is $DE$
    times that of a simple random sample of the same size; $n / DE$ is the effective sample size.

    Parameters
    ----------
    cluster_size : float
        Average number of people per cluster, $m \ge 1$.
    icc : float
        Intra-cluster correlation, in [0, 1].

    Returns
    -------
    float
        The design effect ($\ge 1$).

    Raises
    ------
    ValueError
        When `cluster_size` is below 1 or `icc` is outside [0, 1].

    Examples
    --------
    *Annals of Family Medicine* table of design effects for $ICC = 0.017$: 1.153 for clusters of 10,
    1.323 for clusters of 20 (so 4 clusters of 20 are worth about 60 independent people):

    >>> from foundation_eval.impact import design_effect
    >>> round(design_effect(10, 0.017), 3), round(design_effect(20, 0.017), 3)
    (1.153, 1.323)
    >>> int(4 * 20 / design_effect(20, 0.017))
    60
    """
    if cluster_size < 1:
        raise ValueError("cluster_size must be at least 1")
    if not 0 <= icc <= 1:
        raise ValueError("icc must lie in [0, 1]")
    return 1 + (cluster_size - 1) * icc


@dataclass(frozen=True)
class MDEResult:
    """Minimum detectable effect with the inputs that produced it (immutable).

    Returned by [`minimum_detectable_effect`][foundation_eval.impact.minimum_detectable_effect].

    Attributes
    ----------
    design : str
        The design in words.
    mde : float
        Minimum detectable effect, in the units of the outcome (a risk difference for proportions).
    se : float
        Standard error of the effect estimate; `mde = multiplier * se` (for `variance="unpooled"`,
        `se` is `mde / multiplier`).
    multiplier : float
        Bloom's multiplier $M$ (see [`mde_multiplier`][foundation_eval.impact.mde_multiplier]).
    alpha, power : float
        Significance level and power.
    two_sided : bool
        Whether the test is two-sided.
    inputs : dict
        The design inputs (sample sizes, baseline, ICC, ...).
    design_effect : float
        Variance inflation from clustering (1 without clustering and for `did_panel`).
    effective_n : float
        Total sample size divided by the design effect (NaN for `did_panel`).

    Examples
    --------
    >>> from foundation_eval.impact import minimum_detectable_effect
    >>> r = minimum_detectable_effect(p0=0.5, n_treat=100)
    >>> round(r.se, 4), round(r.multiplier, 2), round(r.mde, 3)
    (0.0707, 2.8, 0.198)
    """

    design: str
    mde: float
    se: float
    multiplier: float
    alpha: float
    power: float
    two_sided: bool
    inputs: dict = field(default_factory=dict)
    design_effect: float = 1.0
    effective_n: float = float("nan")

    def table(self) -> pd.DataFrame:
        """One-row table of the result and its inputs.

        Returns
        -------
        DataFrame
            Columns `design`, `mde`, `se`, `multiplier`, `alpha`, `power`, `two_sided`,
            `design_effect`, `effective_n`, then one `input_<name>` column per design input.

        Examples
        --------
        >>> from foundation_eval.impact import minimum_detectable_effect
        >>> t = minimum_detectable_effect(p0=0.3, n_treat=300, cluster_size=20, icc=0.05).table()
        >>> t[["mde", "design_effect", "effective_n"]].round(3).to_dict("records")
        [{'mde': 0.146, 'design_effect': 1.95, 'effective_n': 307.692}]
        """
        row = {"design": self.design, "mde": self.mde, "se": self.se, "multiplier": self.multiplier,
               "alpha": self.alpha, "power": self.power, "two_sided": self.two_sided,
               "design_effect": self.design_effect, "effective_n": self.effective_n}
        row.update({f"input_{k}": v for k, v in self.inputs.items()})
        return pd.DataFrame([row])

    def summary_sentence(self, digits: int = 3) -> str:
        """The MDE in one plain-English sentence, with its standard error and multiplier.

        Parameters
        ----------
        digits : int
            Decimals of the MDE and standard error.

        Returns
        -------
        str

        Examples
        --------
        >>> from foundation_eval.impact import minimum_detectable_effect
        >>> print(minimum_detectable_effect(p0=0.3, n_treat=300, cluster_size=20, icc=0.05).summary_sentence())
        With this design (two-arm comparison of proportions with clustering), the smallest true effect
        that would be detected with 80% probability at the 5% level (two-sided) is 0.146 (standard error
        0.052 x multiplier 2.80).
        """
        sides = "two-sided" if self.two_sided else "one-sided"
        return (
            f"With this design ({self.design}), the smallest true effect that would be detected with "
            f"{self.power:.0%} probability at the {self.alpha:.0%} level ({sides}) is "
            f"{self.mde:.{digits}f} (standard error {self.se:.{digits}f} x multiplier {self.multiplier:.2f})."
        )


def _mde_two_proportions(p0, n_treat, n_control, cluster_size, icc, alpha, power, two_sided, df, variance):
    if not 0 < p0 < 1:
        raise ValueError("p0 must lie strictly between 0 and 1")
    if n_treat <= 0 or n_control <= 0:
        raise ValueError("group sizes must be positive")
    de = design_effect(cluster_size, icc)
    M = mde_multiplier(alpha, power, two_sided, df)
    k = 1 / n_treat + 1 / n_control
    se0 = math.sqrt(p0 * (1 - p0) * k * de)
    if variance == "baseline":
        mde = M * se0
        se = se0
    elif variance == "unpooled":
        # solve |d| = z_a SE(p0, p0) + z_b SE(p0, p0 + d) (Fleiss-type; increase in proportion)
        a = alpha / 2 if two_sided else alpha
        dist = _st.norm if df is None else _st.t(df)
        za, zb = dist.ppf(1 - a), dist.ppf(power)

        def gap(d):
            p1 = min(p0 + d, 1 - 1e-12)
            return d - (za * se0 + zb * math.sqrt((p0 * (1 - p0) / n_control + p1 * (1 - p1) / n_treat) * de))

        from scipy.optimize import brentq

        hi = 1 - p0 - 1e-9
        if gap(hi) < 0:
            raise ValueError("no detectable increase below 1 with these sample sizes")
        mde = brentq(gap, 1e-12, hi)
        se = mde / M
    else:
        raise ValueError("variance must be 'baseline' or 'unpooled'")
    n_total = n_treat + n_control
    return MDEResult(
        design="two-arm comparison of proportions" + (" with clustering" if de > 1 else ""),
        mde=float(mde), se=float(se), multiplier=M, alpha=alpha, power=power, two_sided=two_sided,
        inputs={"p0": p0, "n_treat": n_treat, "n_control": n_control, "cluster_size": cluster_size, "icc": icc,
                "df": df, "variance": variance},
        design_effect=de, effective_n=n_total / de,
    )


def _did_se(sigma, n_units, share_treated, n_pre, n_post, rho):
    if not 0 < share_treated < 1:
        raise ValueError("share_treated must lie strictly between 0 and 1")
    if n_pre < 1 or n_post < 1:
        raise ValueError("need at least one pre and one post period")
    bracket = (1 + (n_pre - 1) * rho) / n_pre + (1 + (n_post - 1) * rho) / n_post - 2 * rho
    return math.sqrt(sigma**2 / (n_units * share_treated * (1 - share_treated)) * bracket)


def minimum_detectable_effect(
    design: str = "two_proportions",
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    two_sided: bool = True,
    df: float | None = None,
    # two proportions
    p0: float | None = None,
    n_treat: float | None = None,
    n_control: float | None = None,
    cluster_size: float = 1,
    icc: float = 0.0,
    variance: str = "baseline",
    # DiD panel
    sigma: float | None = None,
    n_units: int | None = None,
    share_treated: float | None = None,
    n_pre: int | None = None,
    n_post: int | None = None,
    rho: float = 0.0,
) -> MDEResult:
    r"""Minimum detectable effect, $M \times SE$ (Bloom 1995), for two designs.

    `design="two_proportions"`: treated vs comparison proportions with baseline `p0`,
    `n_treat`/`n_control` individuals in clusters of `cluster_size` with intra-cluster
    correlation `icc`,
    $SE = \sqrt{p_0(1-p_0)(1/n_T + 1/n_C)\,DE}$ with $DE = 1 + (m-1)\,ICC$.
    `variance="baseline"` uses $p_0(1-p_0)$ in both arms (Bloom 1995, *Evaluation Review*
    19:547-556, eq. 2); `"unpooled"` solves
    $d = z_{1-\alpha/2}\,SE(p_0, p_0) + z_{power}\,SE(p_0, p_0 + d)$ for the increase $d$, with the
    variance at $p_0 + d$ in the treated arm (Fleiss-type).

    `design="did_panel"`: `n_units` units $G$ (e.g. 14 districts), a share `share_treated` $P$
    treated, `n_pre`/`n_post` periods $T_0$/$T_1$, outcome SD `sigma` and within-unit correlation
    `rho` (McKenzie 2012, *J Dev Econ* 99:210-221, eq. 3):
    $SE^2 = \frac{\sigma^2}{G P (1-P)}\Big[\frac{1+(T_0-1)\rho}{T_0} + \frac{1+(T_1-1)\rho}{T_1} - 2\rho\Big]$.
    Pass `df = n_units - 2` for a small-sample multiplier.

    Parameters
    ----------
    design : {"two_proportions", "did_panel"}
        Which design.
    alpha : float
        Significance level.
    power : float
        Power at the MDE.
    two_sided : bool
        Two-sided (default) or one-sided test.
    df : float, optional
        Degrees of freedom for t quantiles in the multiplier; normal when omitted.
    p0 : float, optional
        `two_proportions`: baseline (comparison) proportion, in (0, 1). Required.
    n_treat : float, optional
        `two_proportions`: people in the treated arm. Required.
    n_control : float, optional
        `two_proportions`: people in the comparison arm; default `n_treat`.
    cluster_size : float
        `two_proportions`: average cluster size $m$ (1: no clustering).
    icc : float
        `two_proportions`: intra-cluster correlation.
    variance : {"baseline", "unpooled"}
        `two_proportions`: variance convention (see above).
    sigma : float, optional
        `did_panel`: standard deviation of the outcome in one unit-period. Required.
    n_units : int, optional
        `did_panel`: number of units $G$. Required.
    share_treated : float, optional
        `did_panel`: share of units treated, in (0, 1). Required.
    n_pre, n_post : int, optional
        `did_panel`: periods before and after go-live. Required.
    rho : float
        `did_panel`: correlation of errors within a unit across periods.

    Returns
    -------
    MDEResult
        `mde` in the units of the outcome (a risk difference for proportions).

    Raises
    ------
    ValueError
        For an unknown `design` or `variance`, a missing required input, a proportion or share
        outside (0, 1), non-positive group sizes, fewer than one period on either side, or (for
        `"unpooled"`) no detectable increase below a proportion of 1.

    Examples
    --------
    Two arms of 100 with a baseline of 50%: $SE = \sqrt{0.25 \times 2/100} = 0.0707$, so the MDE is
    $2.80 \times 0.0707 = 0.198$ (about 20 percentage points):

    >>> from foundation_eval.impact import minimum_detectable_effect
    >>> round(minimum_detectable_effect(p0=0.5, n_treat=100).mde, 3)
    0.198

    Clusters of 20 with ICC 0.017 (design effect 1.323): 80 people are worth about 60
    (*Annals of Family Medicine* table of effective sample sizes):

    >>> r = minimum_detectable_effect(p0=0.5, n_treat=40, n_control=40, cluster_size=20, icc=0.017)
    >>> round(r.design_effect, 3), int(r.effective_n)
    (1.323, 60)

    14 districts, half live, 12 months before and after, within-district correlation 0.3, in
    standard deviations of the monthly outcome; t multiplier on 12 degrees of freedom:

    >>> d = minimum_detectable_effect("did_panel", sigma=1.0, n_units=14, share_treated=0.5,
    ...                               n_pre=12, n_post=12, rho=0.3, df=12)
    >>> round(d.se, 4), round(d.mde, 3)
    (0.1826, 0.557)
    """
    if design == "two_proportions":
        if p0 is None or n_treat is None:
            raise ValueError("two_proportions needs p0 and n_treat (and n_control, default = n_treat)")
        return _mde_two_proportions(p0, n_treat, n_control if n_control is not None else n_treat, cluster_size,
                                    icc, alpha, power, two_sided, df, variance)
    if design == "did_panel":
        if None in (sigma, n_units, share_treated, n_pre, n_post):
            raise ValueError("did_panel needs sigma, n_units, share_treated, n_pre and n_post")
        se = _did_se(sigma, n_units, share_treated, n_pre, n_post, rho)
        M = mde_multiplier(alpha, power, two_sided, df)
        return MDEResult(
            design="difference-in-differences panel", mde=M * se, se=se, multiplier=M, alpha=alpha, power=power,
            two_sided=two_sided,
            inputs={"sigma": sigma, "n_units": n_units, "share_treated": share_treated, "n_pre": n_pre,
                    "n_post": n_post, "rho": rho, "df": df},
        )
    raise ValueError("design must be 'two_proportions' or 'did_panel'")


@dataclass(frozen=True)
class PowerCurve:
    """Power as a function of the true effect for a fixed standard error (immutable).

    Returned by [`power_curve`][foundation_eval.impact.power_curve].

    Attributes
    ----------
    curve : DataFrame
        Columns `effect` (true effect, in the units of the outcome) and `power` (probability of a
        significant estimate).
    se : float
        Standard error of the estimator.
    alpha : float
        Significance level.
    two_sided : bool
        Whether the test is two-sided.

    Examples
    --------
    >>> from foundation_eval.impact import power_curve
    >>> pc = power_curve([0.0, 0.1, 0.2], se=0.05)
    >>> pc.se, pc.table()["power"].round(3).tolist()
    (0.05, [0.05, 0.516, 0.979])
    """

    curve: pd.DataFrame = field(repr=False)
    se: float = float("nan")
    alpha: float = 0.05
    two_sided: bool = True

    def table(self) -> pd.DataFrame:
        """The curve as a table.

        Returns
        -------
        DataFrame
            A copy of `curve`: columns `effect` and `power`, one row per effect.

        Examples
        --------
        >>> from foundation_eval.impact import power_curve
        >>> power_curve([0.0, 2.8016], se=1.0).table()["power"].round(2).tolist()
        [0.05, 0.8]
        """
        return self.curve.copy()

    def plot(self, ax=None):
        """Power against the true effect, with a dashed line at 80%.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib.pyplot as plt
        >>> from foundation_eval.impact import power_curve
        >>> ax = power_curve(np.linspace(0, 0.3, 31), se=0.05).plot()
        >>> ax.get_xlabel(), ax.get_ylabel(), len(ax.lines)      # the curve and the 80% line
        ('true effect', 'power', 2)
        >>> plt.close("all")
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(6, 4))
        ax.plot(self.curve["effect"], self.curve["power"], color="C0")
        ax.axhline(0.8, color="0.6", ls="--", lw=0.8)
        ax.set_xlabel("true effect")
        ax.set_ylabel("power")
        ax.set_ylim(0, 1)
        return ax


def power_curve(effects, se: float, *, alpha: float = 0.05, two_sided: bool = True, df: float | None = None) -> PowerCurve:
    r"""Power to detect each of `effects` with an estimator of standard error `se`.

    Normal (or shifted-t with `df`) approximation:
    $1 - F(c - |\delta|/SE) + F(-c - |\delta|/SE)$ with $c$ the critical value
    ($z_{1-\alpha/2}$ two-sided, without the second term one-sided); the inverse of
    [`mde_multiplier`][foundation_eval.impact.mde_multiplier] (power is `power` exactly at the MDE,
    up to the negligible opposite tail; Bloom 1995).

    Parameters
    ----------
    effects : float or array_like
        True effects $\delta$, in the units of the estimate (the sign does not matter).
    se : float
        Standard error of the estimator (positive).
    alpha : float
        Significance level.
    two_sided : bool
        Two-sided (default) or one-sided test.
    df : float, optional
        Degrees of freedom for a t reference distribution; normal when omitted.

    Returns
    -------
    PowerCurve
        `table()` has one row per effect with its power.

    Raises
    ------
    ValueError
        When `se` is not positive.

    Examples
    --------
    Power is `alpha` at no effect and 80% at the MDE, $2.80 \times SE$ (Bloom 1995):

    >>> from foundation_eval.impact import power_curve
    >>> pc = power_curve([0.0, 2.8016 * 0.05, 2 * 2.8016 * 0.05], se=0.05)
    >>> pc.table()["power"].round(3).tolist()
    [0.05, 0.8, 1.0]
    """
    eff = np.atleast_1d(np.asarray(effects, dtype=float))
    if se <= 0:
        raise ValueError("se must be positive")
    dist = _st.norm if df is None else _st.t(df)
    a = alpha / 2 if two_sided else alpha
    c = dist.ppf(1 - a)
    lam = np.abs(eff) / se
    pw = dist.sf(c - lam)
    if two_sided:
        pw = pw + dist.cdf(-c - lam)
    return PowerCurve(curve=pd.DataFrame({"effect": eff, "power": pw}), se=float(se), alpha=alpha, two_sided=two_sided)


# --------------------------------------------------------------------------------------------------
# simulated power for the staggered rollout
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulatedPower:
    r"""Monte Carlo power of the staggered DiD (Callaway & Sant'Anna simple ATT), immutable.

    Returned by [`simulate_power_staggered`][foundation_eval.impact.simulate_power_staggered].

    Attributes
    ----------
    power : float
        Share of simulated rollouts in which the test rejected at `alpha`.
    power_mc_se : float
        Monte Carlo standard error of `power`, $\sqrt{p(1-p)/S}$ over $S$ simulations.
    n_sims : int
        Number of simulated rollouts $S$.
    effect : float
        True effect simulated, in the units of the outcome.
    mean_estimate, sd_estimate : float
        Mean and standard deviation of the simple ATT over the simulations.
    mean_se : float
        Mean analytic SE; below `sd_estimate` when the analytic SE is too small (few units).
    coverage : float
        Share of analytic 95% intervals that contain `effect`.
    method : str
        `"analytic"` or `"randomization"` (the test counted in `power`).
    estimates : ndarray
        The simple ATT of each simulation.

    Examples
    --------
    >>> from foundation_eval.impact import simulate_power_staggered
    >>> sp = simulate_power_staggered(1.0, first_treated=[4, 4, 6, 6, 0, 0, 0, 0], n_periods=8,
    ...                               n_sims=20, seed=1)
    >>> sp.n_sims, sp.estimates.shape, sp.power
    (20, (20,), 0.35)
    """

    power: float
    power_mc_se: float
    n_sims: int
    effect: float
    mean_estimate: float
    sd_estimate: float
    mean_se: float
    coverage: float
    method: str
    estimates: np.ndarray = field(repr=False, default=None)

    def table(self) -> pd.DataFrame:
        """One-row summary of the simulation.

        Returns
        -------
        DataFrame
            Columns `power`, `power_mc_se`, `n_sims`, `effect`, `mean_estimate`, `sd_estimate`,
            `mean_se`, `coverage`, `method`.

        Examples
        --------
        >>> from foundation_eval.impact import simulate_power_staggered
        >>> sp = simulate_power_staggered(1.0, first_treated=[4, 4, 6, 6, 0, 0, 0, 0], n_periods=8,
        ...                               n_sims=20, seed=1)
        >>> print(sp.table().round(3).to_string(index=False))
         power  power_mc_se  n_sims  effect  mean_estimate  sd_estimate  mean_se  coverage   method
          0.35        0.107      20     1.0          1.114        0.699    0.605      0.85 analytic
        """
        return pd.DataFrame([{k: getattr(self, k) for k in ("power", "power_mc_se", "n_sims", "effect",
                                                            "mean_estimate", "sd_estimate", "mean_se",
                                                            "coverage", "method")}])

    def summary_sentence(self) -> str:
        """The simulated power in one plain-English sentence, with its Monte Carlo SE.

        Returns
        -------
        str

        Examples
        --------
        >>> from foundation_eval.impact import simulate_power_staggered
        >>> sp = simulate_power_staggered(1.0, first_treated=[4, 4, 6, 6, 0, 0, 0, 0], n_periods=8,
        ...                               n_sims=20, seed=1)
        >>> print(sp.summary_sentence())
        In 20 simulated rollouts with a true effect of 1, the staggered DiD detected it 35% of the time
        (Monte Carlo SE 10.7%; analytic).
        """
        return (
            f"In {self.n_sims} simulated rollouts with a true effect of {self.effect:g}, the staggered DiD "
            f"detected it {self.power:.0%} of the time (Monte Carlo SE {self.power_mc_se:.1%}; {self.method})."
        )


def simulate_staggered_panel(
    rng: np.random.Generator,
    *,
    first_treated,
    n_periods: int,
    effect=0.0,
    sigma: float = 1.0,
    ar: float = 0.0,
    unit_sd: float = 1.0,
    trend_sd: float = 0.0,
) -> pd.DataFrame:
    r"""One simulated unit x period panel: unit and period effects, AR(1) errors and an effect.

    $Y_{it} = \alpha_i + \lambda_t + s_i t + \varepsilon_{it} + \tau_{it} D_{it}$ with unit effects
    $\alpha_i$ normal with standard deviation `unit_sd`, a common random-walk period effect
    $\lambda_t$ (normal steps of SD 0.1), optional unit trends $s_i$ normal with SD `trend_sd`,
    stationary AR(1) errors $\varepsilon_{it}$ with standard deviation `sigma` and autocorrelation
    `ar`, and the effect $\tau_{it}$ from go-live on ($D_{it} = 1$ for $t \ge g_i > 0$).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    first_treated : array_like of int
        Each unit's go-live period index (0 = never treated); one entry per unit.
    n_periods : int
        Number of periods, indexed 0 to `n_periods - 1`.
    effect : float or callable
        A constant effect, or a function `f(cohort, event_time) -> float` for effects that vary by
        cohort and time since go-live.
    sigma : float
        Standard deviation of the errors.
    ar : float
        AR(1) coefficient of the errors, in (-1, 1).
    unit_sd : float
        Standard deviation of the unit effects.
    trend_sd : float
        Standard deviation of unit-specific linear trends (0: none, parallel trends hold).

    Returns
    -------
    DataFrame
        Long balanced panel with columns `unit`, `period`, `first_treated`, `y`.

    Examples
    --------
    >>> import numpy as np
    >>> from foundation_eval.impact import simulate_staggered_panel, staggered_did
    >>> df = simulate_staggered_panel(np.random.default_rng(0), first_treated=[2, 2, 0, 0],
    ...                               n_periods=4, effect=3.0, sigma=0.01, unit_sd=0.5)
    >>> df.shape, df.columns.tolist()
    ((16, 4), ['unit', 'period', 'first_treated', 'y'])
    >>> res = staggered_did(df, "unit", "period", "first_treated", "y", n_boot=0)
    >>> round(res.aggregate("simple").estimate, 1)
    3.0
    """
    g = np.asarray(first_treated)
    n = g.size
    unit = rng.normal(0, unit_sd, n)
    period = np.cumsum(rng.normal(0, 1, n_periods)) * 0.1
    e = np.empty((n, n_periods))
    e[:, 0] = rng.normal(0, sigma, n)
    innov = sigma * math.sqrt(1 - ar**2)
    for t in range(1, n_periods):
        e[:, t] = ar * e[:, t - 1] + rng.normal(0, innov, n)
    slope = rng.normal(0, trend_sd, n) if trend_sd > 0 else np.zeros(n)
    tt = np.arange(n_periods)
    y = unit[:, None] + period[None, :] + slope[:, None] * tt[None, :] + e
    treated = (g[:, None] > 0) & (tt[None, :] >= g[:, None])
    if callable(effect):
        eff = np.zeros_like(y)
        for i in range(n):
            if g[i] > 0:
                for t in range(g[i], n_periods):
                    eff[i, t] = effect(int(g[i]), t - int(g[i]))
        y = y + eff
    else:
        y = y + float(effect) * treated
    return pd.DataFrame({
        "unit": np.repeat(np.arange(n), n_periods),
        "period": np.tile(tt, n),
        "first_treated": np.repeat(g, n_periods),
        "y": y.ravel(),
    })


def simulate_power_staggered(
    effect: float,
    *,
    first_treated,
    n_periods: int,
    sigma: float = 1.0,
    ar: float = 0.0,
    unit_sd: float = 1.0,
    n_sims: int = 200,
    alpha: float = 0.05,
    control_group: str = "not_yet_treated",
    method: str = "analytic",
    n_perm: int = 99,
    seed: int = 0,
) -> SimulatedPower:
    r"""Simulated power of the Callaway & Sant'Anna simple ATT for a staggered rollout.

    Staggered adoption has no closed-form MDE, so power is estimated by simulation (as recommended
    by Burlig, Preonas & Woerman 2020, *J Dev Econ* 144, for serially correlated panels). Each
    simulation draws a panel with
    [`simulate_staggered_panel`][foundation_eval.impact.simulate_staggered_panel] (go-live periods
    `first_treated`, 0 = never), estimates the simple aggregate ATT with
    [`staggered_did`][foundation_eval.impact.staggered_did] and rejects when the analytic
    two-sided p-value is below `alpha` (`method="analytic"`) or the randomisation-inference
    p-value over go-live dates is at most `alpha` (`method="randomization"`, `n_perm`
    permutations). With 14 districts the analytic test over-rejects; the randomisation test is
    exact.
    Power is the share of rejections, with Monte Carlo SE $\sqrt{p(1-p)/S}$.

    Parameters
    ----------
    effect : float
        True constant effect, in standard deviations of the errors when `sigma = 1`.
    first_treated : array_like of int
        Each unit's go-live period index (0 = never treated).
    n_periods : int
        Number of periods simulated.
    sigma : float
        Standard deviation of the errors.
    ar : float
        AR(1) coefficient of the errors within a unit.
    unit_sd : float
        Standard deviation of the unit effects.
    n_sims : int
        Number of simulated rollouts.
    alpha : float
        Significance level.
    control_group : {"not_yet_treated", "never_treated"}
        Comparison units of the DiD.
    method : {"analytic", "randomization"}
        Which test counts as a rejection.
    n_perm : int
        Permutations per simulation for `method="randomization"`.
    seed : int
        Seed of the simulation.

    Returns
    -------
    SimulatedPower
        Power with its Monte Carlo SE, and the bias, spread and coverage of the estimate.

    Raises
    ------
    ValueError
        For an unknown `method`, and for everything
        [`staggered_did`][foundation_eval.impact.staggered_did] refuses (e.g. no never-treated units
        with `control_group="never_treated"`).

    Examples
    --------
    Eight units (two cohorts of two, four never treated), eight periods, an effect of one error SD:
    power is low, and the analytic SE (mean 0.60) understates the spread of the estimate (0.70):

    >>> from foundation_eval.impact import simulate_power_staggered
    >>> sp = simulate_power_staggered(1.0, first_treated=[4, 4, 6, 6, 0, 0, 0, 0], n_periods=8,
    ...                               n_sims=20, seed=1)
    >>> sp.power, round(sp.mean_se, 2), round(sp.sd_estimate, 2)
    (0.35, 0.6, 0.7)
    """
    from foundation_eval.impact.did import staggered_did

    rng = np.random.default_rng(seed)
    est, ses, rej, cover = [], [], [], []
    for _ in range(n_sims):
        df = simulate_staggered_panel(rng, first_treated=first_treated, n_periods=n_periods, effect=effect,
                                      sigma=sigma, ar=ar, unit_sd=unit_sd)
        res = staggered_did(df, "unit", "period", "first_treated", "y", control_group=control_group, n_boot=0)
        agg = res.aggregate("simple")
        est.append(agg.estimate)
        ses.append(agg.se)
        cover.append(agg.ci_low <= effect <= agg.ci_high)
        if method == "analytic":
            rej.append(agg.p_value < alpha)
        elif method == "randomization":
            ri = res.randomization_test(n_perm=n_perm, seed=int(rng.integers(2**31)))
            rej.append(ri.p_value <= alpha)
        else:
            raise ValueError("method must be 'analytic' or 'randomization'")
    p = float(np.mean(rej))
    est_a = np.array(est)
    return SimulatedPower(
        power=p, power_mc_se=math.sqrt(p * (1 - p) / n_sims), n_sims=n_sims, effect=float(effect),
        mean_estimate=float(est_a.mean()), sd_estimate=float(est_a.std(ddof=1)), mean_se=float(np.mean(ses)),
        coverage=float(np.mean(cover)), method=method, estimates=est_a,
    )
