"""Power and minimum detectable effects of the headline designs.

Part of [`foundation_eval.evaluation.designs`][foundation_eval.evaluation.designs]; import from there.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from foundation_eval.impact import (
    ImputationResult,
    mde_multiplier,
    minimum_detectable_effect,
    power_curve,
)

__all__ = [
    "power_analysis",
    "PowerAnalysis",
]


@dataclass(frozen=True)
class PowerAnalysis:
    """What the evaluation can and cannot detect: minimum detectable effects of its two main comparisons.

    Built by [`power_analysis`][foundation_eval.evaluation.designs.power_analysis], which gives the
    formulas.

    Attributes
    ----------
    did_se, did_df : float, int
        Jackknife standard error and degrees of freedom of the headline district DiD.
    did_mde : float
        Its minimum detectable effect, in DA offences per eligible person-month.
    baseline_rate : float
        The counterfactual level of the primary's own estimand: the mean imputed DA offences per
        eligible person-month of the live district-periods it averages over, had the programme not
        started (what a relative effect is a share of).
    person_mde : MDEResult
        Minimum detectable difference in the person-level risk (a share), with its inputs.
    p0 : float
        Risk of DA reoffending within the window in the comparison cohorts.
    n_treat, n_control : int
        People first eligible after go-live, and people whose window closed before it.
    icc : float
        Intra-district correlation of the person-level outcome.
    n_districts : int
        Districts in the comparison.
    list_size : float
        Eligible people a month, for the summary sentence.
    followup_months : int
        Outcome window of the person-level comparison, in months.
    power, alpha : float
        Target power and two-sided significance level.
    curve : DataFrame
        Power of each design (`power`, `power_person`) against the true relative reduction
        (`reduction`, 0 to 0.6).
    plausible_effect : float
        The largest reduction the programme could plausibly achieve, as a share of the counterfactual
        level (the programme file's `[evaluation] plausible_effect`, 0.30 by default).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> from foundation_eval.evaluation.designs import cohort_frame, did_imputation
    >>> ds = open_snapshot().dataset
    >>> pa = power_analysis(did_imputation(ds), cohort_frame(ds), n_districts=14, list_size=150)
    >>> pa.table()[["mde", "mde_relative"]].round(2)
        mde  mde_relative
    0  0.06          0.95
    1  0.13          0.23
    >>> pa.detects_plausible, round(pa.power_at_plausible, 2)
    (False, 0.13)
    >>> print(pa.verdict_caveat())
    This evaluation could not have detected a reduction of 30%, the largest the programme could plausibly
    achieve: it had a 13% chance of detecting one that size, and only a change of at least 95% would have
    been detected 80% of the time.
    >>> pa.plot().get_xlabel()
    'true reduction (%)'
    """

    did_se: float
    did_df: int
    did_mde: float
    baseline_rate: float
    person_mde: object
    p0: float
    n_treat: int
    n_control: int
    icc: float
    n_districts: int
    list_size: float
    followup_months: int
    power: float = 0.8
    alpha: float = 0.05
    curve: pd.DataFrame | None = field(default=None, repr=False)
    plausible_effect: float = 0.30

    @property
    def did_mde_relative(self) -> float:
        """The district DiD's minimum detectable effect as a share of the counterfactual level of its cells."""
        return self.did_mde / self.baseline_rate

    @property
    def detects_plausible(self) -> bool:
        """Whether the primary could detect (with the target power) a reduction of `plausible_effect`."""
        return bool(self.did_mde_relative <= self.plausible_effect)

    @property
    def power_at_plausible(self) -> float:
        """The primary's chance of detecting a true reduction of `plausible_effect` (two-sided test)."""
        from foundation_eval.impact import power_curve

        return float(power_curve([self.plausible_effect * self.baseline_rate], self.did_se, alpha=self.alpha,
                                 df=self.did_df).table().power.iloc[0])

    def verdict_caveat(self) -> str:
        """What the verdict cannot say when the primary could not detect a plausible effect ("" when it could).

        Returns
        -------
        str
            One sentence for the verdict of the evaluation and the overview, or "" when the primary's
            minimum detectable effect is within `plausible_effect`.
        """
        if self.detects_plausible:
            return ""
        # a rate cannot fall by more than all of it: past 100% the smallest detectable change says "none"
        smallest = (f"only a change of at least {self.did_mde_relative:.0%} would have been detected "
                    f"{self.power:.0%} of the time" if self.did_mde_relative < 1 else
                    f"even a complete stop to DA offending among eligible people would have been detected less "
                    f"than {self.power:.0%} of the time")
        return (f"This evaluation could not have detected a reduction of {self.plausible_effect:.0%}, the largest "
                f"the programme could plausibly achieve: it had a {self.power_at_plausible:.0%} chance of "
                f"detecting one that size, and {smallest}.")

    @property
    def person_mde_relative(self) -> float:
        """The person-level minimum detectable difference as a share of the comparison cohorts' risk."""
        return self.person_mde.mde / self.p0

    def list_multiplier(self, target_relative: float = 0.2) -> float:
        r"""Roughly how many times larger the list would need to be for the DiD to detect a given reduction.

        The DiD's standard error shrinks with the square root of the people observed, so the factor is
        $(\text{MDE}_{rel} / r)^2$ for a target relative reduction $r$.

        Parameters
        ----------
        target_relative : float
            The reduction to detect, as a share of the rate before go-live (0.2 for 20%).

        Returns
        -------
        float
            The multiple of the current list size.
        """
        return (self.did_mde_relative / target_relative) ** 2

    def table(self) -> pd.DataFrame:
        """The two designs' minimum detectable effects side by side.

        Returns
        -------
        DataFrame
            One row per design: `design, baseline` (rate or risk without the programme), `mde`
            (absolute), `mde_relative` (share of the baseline) and `se`.
        """
        return pd.DataFrame([
            {"design": "Staggered DiD, DA offences per eligible person-month", "baseline": self.baseline_rate,
             "mde": self.did_mde, "mde_relative": self.did_mde_relative, "se": self.did_se},
            {"design": f"People's {self.followup_months}-month DA reoffending (two groups, clustered by district)",
             "baseline": self.p0, "mde": self.person_mde.mde, "mde_relative": self.person_mde_relative,
             "se": self.person_mde.se},
        ])

    def plot(self, ax=None):
        """Power of the staggered DiD and of the person-level comparison against the true reduction.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure when None.

        Returns
        -------
        matplotlib Axes
            Power (%) against the true relative reduction (%), with the target power as a dotted line.
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(6.5, 3.6))
        c = self.curve
        ax.plot(100 * c.reduction, 100 * c.power, color="C0", label=f"staggered DiD ({self.n_districts} districts)")
        ax.plot(100 * c.reduction, 100 * c.power_person, color="C1", ls="--",
                label=f"{self.followup_months}-month reoffending, people")
        ax.axhline(100 * self.power, color="0.6", ls=":", lw=1)
        ax.set_xlabel("true reduction (%)")
        ax.set_ylabel("chance of detecting it (%)")
        ax.set_ylim(0, 100)
        ax.legend(frameon=False, fontsize=8)
        return ax

    def summary_sentence(self) -> str:
        """What the evaluation can detect, in one plain sentence for a report.

        Returns
        -------
        str
            The district comparison's detectable reduction (or that it could not detect even a complete
            stop to DA offending) and the person-level comparison's, in percentage points and relative
            to its baseline.
        """
        head = f"With {self.n_districts} districts and about {self.list_size:.0f} eligible people a month, the "
        if self.did_mde_relative >= 1:
            head += (f"district comparison could not reliably detect ({self.power:.0%} power) even a complete stop to "
                     f"DA offending among eligible people (it would need a change of {self.did_mde_relative:.0%} of "
                     "the rate)")
        else:
            head += (f"district comparison has an {self.power:.0%} chance of detecting a reduction in the DA offence "
                     f"rate only if it is at least {self.did_mde_relative:.0%}")
        return (head + f"; the comparison of people's {self.followup_months}-month reoffending can detect a change of "
                f"about {100 * self.person_mde.mde:.0f} percentage points ({self.person_mde_relative:.0%} of the "
                f"{100 * self.p0:.0f}% baseline).")


def power_analysis(did: ImputationResult, cohort_frame_: pd.DataFrame, n_districts: int, list_size: float,
                   window_months: int = 12, icc: float = 0.01, power: float = 0.8,
                   alpha: float = 0.05, plausible_effect: float = 0.30) -> PowerAnalysis:
    r"""Minimum detectable effects (Bloom 1995) for the district DiD and the person-level comparison.

    Bloom (1995, *Evaluation Review* 19:547-556): the smallest true effect detected with probability
    `power` by a two-sided test at level `alpha` is $MDE = (t_{df,1-\alpha/2} + t_{df,\text{power}})
    \times SE$.

    - DiD: the jackknife SE and df of the headline estimate (the design's own precision); relative to
      the counterfactual level of its own cells (the mean imputed untreated rate of the live
      district-periods it averages over), which is what a relative effect of the estimand is a share of.
    - People: two proportions with the comparison cohorts' risk $p_0$, the two group sizes and a design
      effect $1 + (m - 1)\,ICC$ for clustering in districts of $m$ people, on `n_districts` - 2 df
      ([`minimum_detectable_effect`][foundation_eval.impact.minimum_detectable_effect]).

    Parameters
    ----------
    did : ImputationResult
        The headline district DiD ([`did_imputation`][foundation_eval.evaluation.designs.did_imputation]).
    cohort_frame_ : DataFrame
        A [`cohort_frame`][foundation_eval.evaluation.designs.cohort_frame]: people observed for the whole
        window, not straddling go-live, are the two groups.
    n_districts : int
        Districts in the comparison.
    list_size : float
        Eligible people a month (for the summary sentence only).
    window_months : int
        Outcome window of the person-level comparison, in months.
    icc : float
        Intra-district correlation of the person-level outcome.
    power : float
        Target power.
    alpha : float
        Two-sided significance level.
    plausible_effect : float
        The largest plausible reduction, as a share of the counterfactual level.

    Returns
    -------
    PowerAnalysis
        Both minimum detectable effects, absolute and relative, with power curves.

    Examples
    --------
    >>> from scipy import stats
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> from foundation_eval.evaluation.designs import cohort_frame, did_imputation
    >>> ds = open_snapshot().dataset
    >>> pa = power_analysis(did_imputation(ds), cohort_frame(ds), n_districts=14, list_size=150)
    >>> pa.did_df, round(pa.did_mde, 3), round(pa.did_mde_relative, 2)
    (13, 0.056, 0.95)
    >>> round(float((stats.t.ppf(0.975, 13) + stats.t.ppf(0.8, 13)) * pa.did_se), 3)    # Bloom's formula by hand
    0.056
    >>> round(pa.person_mde.mde, 3), round(pa.p0, 3), pa.n_treat, pa.n_control
    (0.132, 0.568, 814, 333)
    """

    M = mde_multiplier(alpha, power, df=did.df)
    f = cohort_frame_[cohort_frame_.observed & cohort_frame_.group.isin(["before go-live", "after go-live"])]
    n1, n0 = int(f.treated.sum()), int((~f.treated).sum())
    p0 = float(f.loc[~f.treated, "outcome"].mean())
    m = (n1 + n0) / n_districts
    person = minimum_detectable_effect("two_proportions", p0=p0, n_treat=n1, n_control=n0, cluster_size=m, icc=icc,
                                       alpha=alpha, power=power, df=n_districts - 2)
    base = did.counterfactual_mean
    red = np.linspace(0, 0.6, 61)
    pc = power_curve(red * base, did.se, alpha=alpha, df=did.df).table()
    pp = power_curve(red * p0, person.se, alpha=alpha, df=n_districts - 2).table()
    curve = pd.DataFrame({"reduction": red, "power": pc.power, "power_person": pp.power})
    return PowerAnalysis(did_se=did.se, did_df=did.df, did_mde=M * did.se, baseline_rate=base, person_mde=person,
                         p0=p0, n_treat=n1, n_control=n0, icc=icc, n_districts=n_districts, list_size=list_size,
                         followup_months=int(window_months), power=power, alpha=alpha, curve=curve,
                         plausible_effect=float(plausible_effect))
