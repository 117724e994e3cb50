r"""Power and minimum detectable effects (MDE) for the designs in this subpackage.

Bloom (1995, *Evaluation Review* 19:547-556): the MDE is the smallest true effect that has a
probability ``power`` of giving an estimate significant at level ``alpha``,

.. math:: MDE = M \times SE(\hat\tau), \qquad M = z_{1-\alpha/2} + z_{power}

(two-sided; :math:`z_{1-\alpha}` one-sided), so :math:`M = 2.80` for 80% power at 5% two-sided and
:math:`2.49` one-sided (Bloom's Table 1). With few clusters, ``df`` replaces the normal quantiles by
Student-t quantiles with ``df`` degrees of freedom (Bloom 2005, *Learning More from Social
Experiments*, ch. 4), e.g. ``df = G - 2`` for ``G`` districts.

Standard errors:

* Two proportions with clustering (Bloom 1995 eq. 2 with the design effect of Donner & Klar 2000):
  :math:`SE = \sqrt{\pi(1-\pi)\,(1/n_T + 1/n_C)\,DE}`, :math:`DE = 1 + (m-1)\,ICC` for clusters of
  size ``m``.
* Difference-in-differences with ``G`` units, a share ``P`` treated, ``T0`` pre and ``T1`` post
  periods and equicorrelated errors within unit (correlation :math:`\rho`; McKenzie 2012, *J Dev Econ*
  99:210-221, eq. 3):
  :math:`SE^2 = \frac{\sigma^2}{G P (1-P)}\Big[\frac{1+(T_0-1)\rho}{T_0} + \frac{1+(T_1-1)\rho}{T_1} - 2\rho\Big]`.
  Positive serial correlation makes repeated periods less informative; with strong AR dependence
  use :func:`simulate_power_staggered` instead (Burlig, Preonas & Woerman 2020, *J Dev Econ* 144).
* Staggered adoption: no closed form; :func:`simulate_power_staggered` simulates district x month
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
    """Bloom's multiplier ``M``: ``z_{1-alpha/2} + z_{power}`` (or t quantiles with ``df``)."""
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError("alpha and power must lie in (0, 1)")
    a = alpha / 2 if two_sided else alpha
    dist = _st.norm if df is None else _st.t(df)
    return float(dist.ppf(1 - a) + dist.ppf(power))


def design_effect(cluster_size: float, icc: float) -> float:
    """Variance inflation from clustering, ``1 + (m - 1) ICC`` (Kish 1965; Donner & Klar 2000)."""
    if cluster_size < 1:
        raise ValueError("cluster_size must be at least 1")
    if not 0 <= icc <= 1:
        raise ValueError("icc must lie in [0, 1]")
    return 1 + (cluster_size - 1) * icc


@dataclass(frozen=True)
class MDEResult:
    """Minimum detectable effect with the inputs that produced it."""

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
        row = {"design": self.design, "mde": self.mde, "se": self.se, "multiplier": self.multiplier,
               "alpha": self.alpha, "power": self.power, "two_sided": self.two_sided,
               "design_effect": self.design_effect, "effective_n": self.effective_n}
        row.update({f"input_{k}": v for k, v in self.inputs.items()})
        return pd.DataFrame([row])

    def summary_sentence(self, digits: int = 3) -> str:
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
    """Minimum detectable effect, ``M x SE`` (Bloom 1995), for two designs.

    ``design="two_proportions"``: treated vs comparison proportions with baseline ``p0``,
    ``n_treat``/``n_control`` individuals in clusters of ``cluster_size`` with intra-cluster
    correlation ``icc`` (design effect ``1 + (m-1) ICC``). ``variance="baseline"`` uses
    ``p0(1-p0)`` in both arms (Bloom's eq. 2); ``"unpooled"`` solves for the increase ``d`` with the
    variance at ``p0 + d`` in the treated arm.

    ``design="did_panel"``: ``n_units`` units (e.g. 14 districts), a share ``share_treated`` treated,
    ``n_pre``/``n_post`` periods, outcome SD ``sigma`` and within-unit correlation ``rho``
    (McKenzie 2012). Pass ``df = n_units - 2`` for a small-sample multiplier.

    Returns
    -------
    MDEResult
        ``mde`` in the units of the outcome (a risk difference for proportions).
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
    """Power as a function of the true effect for a fixed standard error."""

    curve: pd.DataFrame = field(repr=False)
    se: float = float("nan")
    alpha: float = 0.05
    two_sided: bool = True

    def table(self) -> pd.DataFrame:
        return self.curve.copy()

    def plot(self, ax=None):
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        ax.plot(self.curve["effect"], self.curve["power"], color="C0")
        ax.axhline(0.8, color="0.6", ls="--", lw=0.8)
        ax.set_xlabel("true effect")
        ax.set_ylabel("power")
        ax.set_ylim(0, 1)
        return ax


def power_curve(effects, se: float, *, alpha: float = 0.05, two_sided: bool = True, df: float | None = None) -> PowerCurve:
    r"""Power to detect each of ``effects`` with an estimator of standard error ``se``.

    Normal (or shifted-t with ``df``) approximation:
    :math:`1 - F(c - |\delta|/SE) + F(-c - |\delta|/SE)` with :math:`c` the critical value; the
    inverse of :func:`mde_multiplier` (power is ``power`` exactly at the MDE, up to the negligible
    opposite tail).
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
    """Monte Carlo power of the staggered DiD (Callaway & Sant'Anna simple ATT)."""

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
        return pd.DataFrame([{k: getattr(self, k) for k in ("power", "power_mc_se", "n_sims", "effect",
                                                            "mean_estimate", "sd_estimate", "mean_se",
                                                            "coverage", "method")}])

    def summary_sentence(self) -> str:
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
    """One simulated unit x period panel: unit and period effects, AR(1) errors and an effect.

    ``first_treated`` lists each unit's go-live period index (0 = never). ``effect`` is a number
    (constant effect) or a function ``f(cohort, event_time) -> float``.
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
    """Simulated power of the Callaway & Sant'Anna simple ATT for a staggered rollout.

    Each simulation draws a panel with :func:`simulate_staggered_panel` (go-live periods
    ``first_treated``, 0 = never), estimates the simple aggregate ATT and rejects when the analytic
    two-sided p-value (``method="analytic"``) or the randomisation-inference p-value over go-live
    dates (``method="randomization"``, ``n_perm`` permutations) is below ``alpha``. With 14 districts
    the analytic test over-rejects; the randomisation test is exact.
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
