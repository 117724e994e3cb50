"""What a reviewer asks of the primary staggered comparison and of the person-level designs: how robust
each is to violations of its assumptions.

- [`event_study_covariance`][foundation_eval.evaluation.designs.event_study_covariance]: the Callaway &
  Sant'Anna event study with a universal base period (the period before go-live fixed at zero) and the
  leave-one-district-out jackknife covariance of its coefficients, in the order HonestDiD takes them.
- [`primary_sensitivity`][foundation_eval.evaluation.designs.primary_sensitivity]: HonestDiD robust
  intervals and breakdown values (Rambachan & Roth 2023) under relative magnitudes and smoothness, and
  the power of the pre-trend test against a linear violation (Roth 2022).
- [`person_e_values`][foundation_eval.evaluation.designs.person_e_values]: E-values (VanderWeele & Ding
  2017) of the person-level designs.

The anticipation check is [`anticipation_check`][foundation_eval.evaluation.designs.anticipation_check].

Part of [`foundation_eval.evaluation.designs`][foundation_eval.evaluation.designs]; import from there.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from foundation_eval.evaluation.designs._common import balanced_panel
from foundation_eval.evaluation.designs.did import comparison_districts
from foundation_eval.impact import evalue_hr, evalue_rr, honest_did, staggered_did
from foundation_eval.impact.pretrends import pretrend_power

__all__ = ["event_study_covariance", "PrimarySensitivity", "primary_sensitivity", "person_e_values"]


def event_study_covariance(panel: pd.DataFrame, outcome: str = "da_rate", *, num_pre: int = 3,
                           min_comparison: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Event-study coefficients and their jackknife covariance, for HonestDiD and the pre-trend power.

    Callaway & Sant'Anna (2021) dynamic aggregation with not-yet-treated controls and a *universal*
    base period (every coefficient is relative to the period just before go-live, as Rambachan & Roth
    2023 require), at event times $-(P+1), \dots, -2$ and $0, \dots, E$, where $E$ is the last event
    time with at least `min_comparison` comparison districts. The covariance is the leave-one-district-out
    jackknife, $\hat\Sigma = \frac{G-1}{G} \sum_g (\hat\beta_{(g)} - \bar\beta)(\hat\beta_{(g)} - \bar\beta)'$,
    the same inference as the primary.

    Parameters
    ----------
    panel : DataFrame
        A [`did_panel`][foundation_eval.evaluation.designs.did_panel].
    outcome : str
        Panel column.
    num_pre : int
        Pre-period coefficients (event times -num_pre - 1 to -2).
    min_comparison : int
        Least number of comparison districts behind a post-period coefficient.

    Returns
    -------
    betahat : ndarray
        Pre-period then post-period coefficients (event time -1 omitted).
    sigma : ndarray
        Their jackknife covariance.
    event_times : ndarray
        The event time of each coefficient.

    Raises
    ------
    ValueError
        When fewer than two pre-periods or no post-period can be estimated.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> from foundation_eval.evaluation.designs import did_panel
    >>> b, s, e = event_study_covariance(did_panel(open_snapshot().dataset))
    >>> e.tolist(), s.shape
    ([-4, -3, -2, 0, 1, 2, 3, 4, 5], (9, 9))
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = balanced_panel(panel)

    def dyn(q):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = staggered_did(q, "district_id", "t", "first_treated", outcome, control_group="not_yet_treated",
                                base_period="universal", n_boot=0)
            return res.aggregate("dynamic").table().set_index("event_time").att

    full = dyn(p)
    n_comp = comparison_districts(p, full.index)
    post = [e for e in full.index if e >= 0 and n_comp.get(e, 0) >= min_comparison]
    last = max(post) if post else -1
    post = [e for e in full.index if 0 <= e <= last]
    pre = [e for e in full.index if -num_pre - 1 <= e <= -2]
    if len(pre) < 2 or not post:
        raise ValueError("the event study needs two pre-periods and one post-period with enough comparisons")
    keep = pre + post
    reps = []
    for d in p.district_id.unique():
        try:
            reps.append(dyn(p[p.district_id != d]).reindex(keep).to_numpy())
        except ValueError:
            continue
    J = np.asarray(reps, dtype=float)
    J = J[~np.isnan(J).any(axis=1)]
    G = len(J)
    dev = J - J.mean(axis=0)
    sigma = (G - 1) / G * dev.T @ dev
    return full.reindex(keep).to_numpy(dtype=float), sigma, np.asarray(keep)


@dataclass(frozen=True)
class PrimarySensitivity:
    """Sensitivity of the primary staggered comparison to violations of parallel trends.

    Built by [`primary_sensitivity`][foundation_eval.evaluation.designs.primary_sensitivity].

    Attributes
    ----------
    relative_magnitudes : HonestDiDResult
        Robust intervals for the average post-period effect when post-go-live violations are at most
        $\\bar M$ times the largest pre-period one, and the breakdown $\\bar M$.
    smoothness : HonestDiDResult
        Robust intervals when the slope of the difference in trends changes by at most $M$ a period.
    pretrend : PretrendPower
        Power of the pre-trend test (no pre-period coefficient significant) against a linear violation,
        and the slopes it would detect with 50% and 80% power.
    event_times : ndarray
        Event times of the coefficients used (-1 omitted).
    display_scale : float
        Multiplier to the page's unit (100: per 100 person-months).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> from foundation_eval.evaluation.designs import did_panel
    >>> s = primary_sensitivity(did_panel(open_snapshot().dataset))
    >>> s.relative_magnitudes.restriction, s.smoothness.restriction
    ('relative_magnitudes', 'smoothness')
    >>> bool(0 < s.pretrend.slope_power_80)
    True
    >>> list(s.table().columns)
    ['analysis', 'parameter', 'value', 'ci_low', 'ci_high', 'excludes_zero']
    """

    relative_magnitudes: object
    smoothness: object
    pretrend: object
    event_times: np.ndarray
    display_scale: float = 100.0

    def table(self) -> pd.DataFrame:
        """Robust intervals under both restrictions, one row per value of the restriction.

        Returns
        -------
        DataFrame
            `analysis` (restriction), `parameter` (M-bar or M), `value`, `ci_low, ci_high` (in the
            outcome's units) and `excludes_zero`.
        """
        rows = []
        for res, label, name in ((self.relative_magnitudes, "relative magnitudes", "Mbar"),
                                 (self.smoothness, "smoothness", "M")):
            for m, lo, hi in zip(res.grid, res.lower, res.upper, strict=True):
                rows.append({"analysis": label, "parameter": name, "value": float(m), "ci_low": float(lo),
                             "ci_high": float(hi), "excludes_zero": bool(lo > 0 or hi < 0)})
        return pd.DataFrame(rows)

    def plot(self, ax=None):
        """The relative-magnitudes sensitivity plot (robust interval against M-bar).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw.

        Returns
        -------
        matplotlib Axes
        """
        return self.relative_magnitudes.plot(ax=ax)


def primary_sensitivity(panel: pd.DataFrame, outcome: str = "da_rate", *, min_comparison: int = 2,
                        num_pre: int = 3, alpha: float = 0.05) -> PrimarySensitivity:
    r"""HonestDiD bounds, breakdown values and pre-trend power for the primary staggered comparison.

    On the event study of
    [`event_study_covariance`][foundation_eval.evaluation.designs.event_study_covariance], for the
    average effect over the post-periods with enough comparisons ($l = (1/E, \dots, 1/E)$):

    - Rambachan & Roth (2023, *Rev Econ Stud* 90:2555-2591) robust confidence sets under relative
      magnitudes $\Delta^{RM}(\bar M)$, $\bar M \in [0, 2]$ (conditional least-favourable hybrid), and
      smoothness $\Delta^{SD}(M)$ (fixed-length interval), each with its breakdown value: the largest
      restriction at which the set still excludes zero
      ([`honest_did`][foundation_eval.impact.honest_did]);
    - Roth (2022, *AER: Insights* 4:305-322): the power of "no pre-period coefficient significant at
      5%" against a linear difference in trends, and the slopes detected with 50% and 80% power
      ([`pretrend_power`][foundation_eval.impact.pretrends.pretrend_power]).

    Parameters
    ----------
    panel : DataFrame
        A [`did_panel`][foundation_eval.evaluation.designs.did_panel].
    outcome : str
        Panel column.
    min_comparison : int
        Least number of comparison districts behind a post-period coefficient.
    num_pre : int
        Pre-period coefficients used.
    alpha : float
        1 - confidence level.

    Returns
    -------
    PrimarySensitivity
        Both robust analyses and the pre-trend power.

    Raises
    ------
    ValueError
        When the event study cannot be estimated.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> from foundation_eval.evaluation.designs import did_panel
    >>> s = primary_sensitivity(did_panel(open_snapshot().dataset))
    >>> s.event_times.tolist()
    [-4, -3, -2, 0, 1, 2, 3, 4, 5]
    """
    b, s, e = event_study_covariance(panel, outcome, num_pre=num_pre, min_comparison=min_comparison)
    n_pre = int((e < 0).sum())
    n_post = int((e >= 0).sum())
    rm = honest_did(b, s, n_pre, n_post, restriction="relative_magnitudes", l_vec="average", alpha=alpha,
                    grid=np.linspace(0, 2, 9), grid_points=400)
    sd = honest_did(b, s, n_pre, n_post, restriction="smoothness", l_vec="average", alpha=alpha)
    pre = e < 0
    pt = pretrend_power(b[pre], s[np.ix_(pre, pre)], e[pre], reference_period=-1, slope=0.0, alpha=alpha)
    return PrimarySensitivity(rm, sd, pt, e)


def person_e_values(results: dict, baselines: dict | None = None) -> pd.DataFrame:
    r"""E-values of the person-level designs (VanderWeele & Ding 2017, *Ann Intern Med* 167:268-274).

    The E-value is the minimum strength of association, on the risk-ratio scale, that an unmeasured
    confounder would need with both the exposure and the outcome to explain the estimate away (and,
    for the confidence limit nearer no effect, to move the interval to include it). Hazard ratios use
    the common-outcome square-root transform (12-month DA reoffending is not rare);
    a risk difference $d$ with comparison risk $p_0$ is read as the risk ratio $(p_0 + d)/p_0$, its
    limits likewise.

    Parameters
    ----------
    results : dict
        Name to an estimate with `estimate, ci_low, ci_high` and `scale` ("ratio" for a hazard ratio,
        else a risk difference).
    baselines : dict, optional
        Name to the comparison group's risk $p_0$, required for risk differences.

    Returns
    -------
    DataFrame
        `name, measure, rr, rr_lower, rr_upper, evalue_point, evalue_limit`; designs without a
        baseline or an estimate are left out.

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> t = person_e_values({"hr": R(estimate=0.56, ci_low=0.46, ci_high=0.69, scale="ratio")})
    >>> t[["evalue_point", "evalue_limit"]].round(3).values.tolist()     # R EValue: 2.35, 1.908
    [[2.35, 1.908]]
    """
    baselines = baselines or {}
    rows = []
    for name, est in results.items():
        if est is None or not getattr(est, "estimable", True):
            continue
        vals = [float(est.estimate), float(est.ci_low), float(est.ci_high)]
        if not all(math.isfinite(v) for v in vals):
            continue
        if getattr(est, "scale", "") == "ratio":
            ev = evalue_hr(*vals, rare=False)
            measure = "hazard ratio"
        else:
            p0 = baselines.get(name)
            if p0 is None or not 0 < p0 < 1 or any(p0 + v <= 0 for v in vals):
                continue
            ev = evalue_rr(*[(p0 + v) / p0 for v in vals])
            measure = "risk difference, as a risk ratio"
        rows.append({"name": name, "measure": measure, "rr": ev.rr, "rr_lower": ev.rr_lower, "rr_upper": ev.rr_upper,
                     "evalue_point": ev.evalue_point, "evalue_limit": ev.evalue_ci})
    return pd.DataFrame(rows, columns=["name", "measure", "rr", "rr_lower", "rr_upper", "evalue_point", "evalue_limit"])
