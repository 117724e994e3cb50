"""The base classes of the library's results: a tidy `table()`, a `plot(ax=None)`, plain attributes.

Every estimator returns an immutable result (a frozen dataclass) in the style of lifelines and
linearmodels. [`Result`][foundation_eval.results.Result] names the two methods they share;
[`IntervalEstimate`][foundation_eval.results.IntervalEstimate] adds what every result with one
headline number and its confidence interval can answer (the impact designs' estimates, a bootstrap
mean, a risk difference). Subclasses are dataclasses; these bases hold no fields.
"""
from __future__ import annotations

import pandas as pd

__all__ = ["Result", "IntervalEstimate"]


class Result:
    """Base of every estimator result: `table()` for the numbers, `plot(ax=None)` for the figure.

    A subclass implements `table`, and `plot` where a figure helps; a result without one says so
    rather than drawing something misleading.

    Attributes
    ----------
    (each subclass's own)
        Plain attributes, documented by the subclass: the base holds no fields.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> import pandas as pd
    >>> @dataclass(frozen=True)
    ... class Share(Result):
    ...     k: int
    ...     n: int
    ...     def table(self):
    ...         return pd.DataFrame([{"k": self.k, "n": self.n, "share": self.k / self.n}])
    >>> Share(3, 4).table().share.item()
    0.75
    >>> Share(3, 4).plot()
    Traceback (most recent call last):
    ...
    NotImplementedError: Share has no figure; read its table()
    """

    def table(self) -> pd.DataFrame:
        """The result as a tidy table.

        Returns
        -------
        DataFrame
            One row per estimate (or per group, term or time).
        """
        raise NotImplementedError(f"{type(self).__name__} has no table")

    def plot(self, ax=None):
        """Draw the result.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.
        """
        raise NotImplementedError(f"{type(self).__name__} has no figure; read its table()")


class IntervalEstimate(Result):
    """A result whose headline is one number with a confidence interval.

    Attributes
    ----------
    estimate : float
        The headline number (defined by the subclass, as are the others).
    ci_low, ci_high : float
        Its confidence interval.
    level : float
        Confidence level of the interval.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Mean(IntervalEstimate):
    ...     estimate: float
    ...     ci_low: float
    ...     ci_high: float
    ...     level: float = 0.95
    >>> m = Mean(2.0, 1.5, 2.5)
    >>> m.covers(1.6), m.covers(3.0)
    (True, False)
    """

    def covers(self, value: float) -> bool:
        """Whether the confidence interval contains `value` (ends included).

        Parameters
        ----------
        value : float
            A value on the scale of `estimate` (for example the true effect of a synthetic force).

        Returns
        -------
        bool
            `ci_low <= value <= ci_high`; False when the interval is NaN.
        """
        return bool(self.ci_low <= value <= self.ci_high)
