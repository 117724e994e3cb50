"""Events per person-year with an exact (Garwood) Poisson interval.

Part of [`foundation_eval.models.reoffending`][foundation_eval.models.reoffending]; import from there.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from foundation_eval import stats as _fstats
from foundation_eval.results import Result

__all__ = [
    "EventRateResult",
    "event_rate",
]


@dataclass(frozen=True)
class EventRateResult(Result):
    """Events per person-year (see `event_rate`).

    Attributes
    ----------
    events : float
        Total events.
    person_years : float
        Total exposure.
    rate, ci_low, ci_high : float
        Rate per ``per`` person-years and its exact interval.
    level : float
    per : float
        Rate denominator (e.g. 100 for a rate per 100 person-years).

    Examples
    --------
    >>> res = event_rate([3, 0, 7], [50.0, 100.0, 50.0], per=100)
    >>> res.rate
    5.0
    """

    events: float
    person_years: float
    rate: float
    ci_low: float
    ci_high: float
    level: float
    per: float

    def table(self) -> pd.DataFrame:
        """The rate as a one-row table.

        Returns
        -------
        DataFrame
            ``events, person_years, rate, ci_low, ci_high, per`` (rate per ``per`` person-years).
        """
        return pd.DataFrame([{"events": self.events, "person_years": self.person_years, "rate": self.rate,
                              "ci_low": self.ci_low, "ci_high": self.ci_high, "per": self.per}])

    def plot(self, ax=None, label: str = "rate"):
        """The rate as a point with its exact interval.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.
        label : str
            Label on the vertical axis.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(6, 4))
        ax.errorbar([self.rate], [0], xerr=[[self.rate - self.ci_low], [self.ci_high - self.rate]], fmt="o",
                    color="black", capsize=3)
        ax.set_yticks([0])
        ax.set_yticklabels([label])
        ax.set_xlabel(f"events per {self.per:g} person-years ({self.level:.0%} exact interval)")
        return ax


def event_rate(events, exposure_years, level: float = 0.95, *, per: float = 1.0) -> EventRateResult:
    r"""Event rate per person-year with the exact (Garwood 1936) Poisson interval.

    $$
    \hat\lambda = \frac{\sum_i k_i}{\sum_i T_i}, \qquad
    \left[\frac{\chi^2_{2k,\,\alpha/2}}{2T},\ \frac{\chi^2_{2k+2,\,1-\alpha/2}}{2T}\right]
    $$

    computed by `foundation_eval.stats.poisson_rate_interval`. The interval assumes events
    are Poisson; with repeat offending they are over-dispersed, so for comparisons prefer
    `negative_binomial` (or `bootstrap_ratio`, resampling people).

    Parameters
    ----------
    events : int or array-like
        Event count(s); arrays are summed (e.g. one count per person).
    exposure_years : float or array-like
        Person-years at risk; summed likewise. Must be positive in total.
    level : float
        Confidence level of the exact interval.
    per : float
        Report per this many person-years (e.g. 100).

    Returns
    -------
    EventRateResult

    Examples
    --------
    10 events in 200 person-years: exact limits for k = 10 are 4.795 and 18.390 (Breslow and Day
    1987, vol. II), divided by 200:

    >>> res = event_rate([3, 0, 7], [50.0, 100.0, 50.0])
    >>> res.rate, round(res.ci_low * 200, 3), round(res.ci_high * 200, 3)
    (0.05, 4.795, 18.39)
    """
    k = np.atleast_1d(np.asarray(events, dtype=float))
    t = np.atleast_1d(np.asarray(exposure_years, dtype=float))
    if k.shape != t.shape:
        raise ValueError(f"events has shape {k.shape} but exposure_years has shape {t.shape}")
    if not (np.isfinite(k).all() and np.isfinite(t).all()):
        raise ValueError("events and exposure_years must be finite (no missing values)")
    if (k < 0).any() or (k != np.round(k)).any():
        raise ValueError("events must be non-negative whole numbers")
    if (t < 0).any():
        raise ValueError("exposure_years must be non-negative")
    if not per > 0:
        raise ValueError("per must be positive")
    K, T = float(k.sum()), float(t.sum())
    rate, low, high = _fstats.poisson_rate_interval(K, T, level)
    return EventRateResult(K, T, rate * per, low * per, high * per, level, float(per))
