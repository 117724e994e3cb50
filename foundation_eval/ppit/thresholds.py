r"""Trade-offs at cut-offs of a risk score: classification table and decision curve.

* `threshold_table`: at every cut-off, people with ``score >= cut-off`` are flagged;
  sensitivity, specificity, PPV, NPV and the share flagged, each with a Wilson interval.
* `decision_curve`: net benefit of acting on ``predicted_prob >= p_t`` (Vickers & Elkin
  2006, *Med Decis Making* 26:565-574) against treating everyone or no one.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from foundation_eval.checks import as_binary, as_float, as_probability, check_level, same_length
from foundation_eval.results import Result
from foundation_eval.stats import wilson_interval

__all__ = ["ThresholdTable", "DecisionCurve", "threshold_table", "decision_curve"]


@dataclass(frozen=True, eq=False)
class ThresholdTable(Result):
    """Classification measures at each cut-off (flag when score >= threshold).

    ``table()`` columns: ``threshold``, ``flagged``, ``share_flagged`` (+ ``_ci_low``,
    ``_ci_high``), ``tp``, ``fp``, ``fn``, ``tn``, ``sensitivity``, ``specificity``, ``ppv``,
    ``npv`` (each with ``_ci_low``/``_ci_high``) and ``youden`` (sensitivity + specificity - 1).

    Attributes
    ----------
    level : float
        Confidence level of the Wilson intervals.
    n, n_events : int
        People and people with the outcome.

    Examples
    --------
    >>> tt = threshold_table([1, 2, 3, 4, 5, 6], [0, 0, 1, 0, 1, 1])
    >>> tt.table().threshold.tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    """

    level: float
    n: int
    n_events: int
    _table: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """One row per cut-off.

        Returns
        -------
        DataFrame
            ``threshold, flagged, tp, fp, fn, tn``, ``share_flagged``, ``sensitivity``, ``specificity``,
            ``ppv``, ``npv`` (each with ``_ci_low``/``_ci_high``) and ``youden``.
        """
        return self._table.copy()

    def at(self, threshold: float) -> pd.Series:
        """The row for one cut-off.

        Parameters
        ----------
        threshold : float
            A cut-off of the table.

        Returns
        -------
        Series

        Raises
        ------
        KeyError
            When the cut-off is not in the table.
        """
        t = self._table
        hit = t.index[np.isclose(t["threshold"], threshold)]
        if hit.empty:
            raise KeyError(f"no cut-off equal to {threshold!r}; available: {t['threshold'].tolist()}")
        return t.loc[hit[0]]

    def plot(self, ax=None):
        """Sensitivity, specificity and share flagged against the cut-off.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(5, 4))
        t = self._table
        for col, label in [("sensitivity", "Sensitivity"), ("specificity", "Specificity"),
                           ("share_flagged", "Share flagged")]:
            ax.plot(t["threshold"], t[col], marker="o", label=label)
            ax.fill_between(t["threshold"], t[f"{col}_ci_low"], t[f"{col}_ci_high"], alpha=0.15)
        ax.set_xlabel("Cut-off (flag when score >= cut-off)")
        ax.set_ylabel("Proportion")
        ax.set_ylim(0, 1)
        ax.legend()
        return ax


def threshold_table(scores, outcomes, thresholds=None, level: float = 0.95) -> ThresholdTable:
    r"""Sensitivity, specificity, PPV, NPV and share flagged at each cut-off.

    A person is flagged when ``score >= threshold``. With TP, FP, FN, TN the counts of the
    2 x 2 table:

    $$
    \text{sens} = \frac{TP}{TP+FN},\ \text{spec} = \frac{TN}{TN+FP},\
    \text{PPV} = \frac{TP}{TP+FP},\ \text{NPV} = \frac{TN}{TN+FN},\
    \text{share} = \frac{TP+FP}{n}
    $$

    each with a Wilson (1927) interval (a proportion with an empty denominator is NaN). PPV
    and NPV depend on the outcome rate of this sample.

    Parameters
    ----------
    thresholds : array-like, optional
        Cut-offs to tabulate; default every distinct score.

    scores : array-like
        Risk score (higher = more likely to have the outcome).
    outcomes : array-like of 0/1
        Observed binary outcome.
    level : float
        Confidence level.

    Returns
    -------
    ThresholdTable

    Examples
    --------
    Flagging scores of 4 or more: TP = 2, FP = 1, FN = 1, TN = 2:

    >>> tt = threshold_table([1, 2, 3, 4, 5, 6], [0, 0, 1, 0, 1, 1])
    >>> row = tt.at(4)
    >>> [int(row[c]) for c in ("tp", "fp", "fn", "tn")], round(float(row.sensitivity), 4), round(float(row.specificity), 4)
    ([2, 1, 1, 2], 0.6667, 0.6667)
    """
    x = as_float(scores, "scores")
    y = as_binary(outcomes)
    same_length(scores=x, outcomes=y)
    check_level(level)
    cuts = np.unique(x) if thresholds is None else np.unique(as_float(thresholds, "thresholds"))
    pos, neg = np.sort(x[y == 1]), np.sort(x[y == 0])
    tp = pos.size - np.searchsorted(pos, cuts, side="left")
    fp = neg.size - np.searchsorted(neg, cuts, side="left")
    fn = pos.size - tp
    tn = neg.size - fp
    n = x.size
    out = {"threshold": cuts, "flagged": tp + fp}
    parts = {
        "share_flagged": (tp + fp, np.full(cuts.size, n)),
        "sensitivity": (tp, tp + fn),
        "specificity": (tn, tn + fp),
        "ppv": (tp, tp + fp),
        "npv": (tn, tn + fn),
    }
    out.update({"tp": tp, "fp": fp, "fn": fn, "tn": tn})
    for name, (num, den) in parts.items():
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = np.where(den > 0, num / np.maximum(den, 1), np.nan)
        lo, hi = wilson_interval(num, den, level)
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = lo, hi
    table = pd.DataFrame(out)
    table["youden"] = table["sensitivity"] + table["specificity"] - 1
    return ThresholdTable(level=float(level), n=int(n), n_events=int(y.sum()), _table=table)


@dataclass(frozen=True, eq=False)
class DecisionCurve(Result):
    r"""Net benefit by threshold probability.

    ``table()`` columns: ``threshold``, ``net_benefit`` (acting on the model),
    ``treat_all``, ``treat_none`` (always 0), ``tp``, ``fp`` and
    ``interventions_avoided_per_100`` (Vickers & Elkin 2006, net reduction in interventions
    relative to treating all, per 100 people).

    Attributes
    ----------
    n : int
        People.
    prevalence : float
        Outcome rate $\pi$.

    Examples
    --------
    >>> dc = decision_curve([0.1, 0.2, 0.4, 0.5, 0.7, 0.9], [0, 0, 1, 0, 1, 1], thresholds=[0.3, 0.5])
    >>> dc.prevalence
    0.5
    """

    n: int
    prevalence: float
    _table: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """Net benefit at each threshold.

        Returns
        -------
        DataFrame
            ``threshold, net_benefit, treat_all, treat_none, tp, fp, interventions_avoided_per_100``.
        """
        return self._table.copy()

    def plot(self, ax=None, label: str = "Model"):
        """Net benefit of the model, treat-all and treat-none against the threshold probability.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.
        label : str
            Legend label of the model's curve.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(5, 4))
        t = self._table
        ax.plot(t["threshold"], t["net_benefit"], label=label)
        ax.plot(t["threshold"], t["treat_all"], linestyle="--", label="Treat all")
        ax.plot(t["threshold"], t["treat_none"], linestyle=":", color="black", label="Treat none")
        top = max(self.prevalence, float(np.nanmax(t["net_benefit"])))
        ax.set_ylim(-0.05 * max(top, 0.01), top * 1.1 + 1e-9)
        ax.set_xlabel("Threshold probability")
        ax.set_ylabel("Net benefit")
        ax.legend()
        return ax


def decision_curve(predicted_prob, outcomes, thresholds=None) -> DecisionCurve:
    r"""Decision-curve analysis (Vickers & Elkin 2006).

    Acting on everyone with $\hat p \ge p_t$:

    $$
    \mathrm{NB}(p_t) = \frac{TP}{n} - \frac{FP}{n}\,\frac{p_t}{1 - p_t}
    $$

    Treat-all: $\pi - (1-\pi)\,p_t/(1-p_t)$ with $\pi$ the outcome rate;
    treat-none: 0. Interventions avoided per 100:
    $100\,(\mathrm{NB} - \mathrm{NB_{all}})\,(1-p_t)/p_t$.

    Parameters
    ----------
    thresholds : array-like, optional
        Threshold probabilities in (0, 1); default 0.01, 0.02, ..., 0.99.

    predicted_prob : array-like
        Predicted probabilities.
    outcomes : array-like of 0/1
        Observed binary outcome.

    Returns
    -------
    DecisionCurve

    Examples
    --------
    At $p_t = 0.3$: 3 true and 1 false positive among 6, so NB = 3/6 - (1/6)(0.3/0.7) = 0.4286:

    >>> dc = decision_curve([0.1, 0.2, 0.4, 0.5, 0.7, 0.9], [0, 0, 1, 0, 1, 1], thresholds=[0.3, 0.5])
    >>> dc.table().net_benefit.round(4).tolist(), dc.table().treat_all.round(4).tolist()
    ([0.4286, 0.1667], [0.2857, 0.0])
    """
    p = as_probability(predicted_prob, open_interval=False)
    y = as_binary(outcomes)
    same_length(predicted_prob=p, outcomes=y)
    pt = np.arange(1, 100) / 100 if thresholds is None else as_float(thresholds, "thresholds")
    if (pt <= 0).any() or (pt >= 1).any():
        raise ValueError("thresholds must lie strictly between 0 and 1")
    n = y.size
    pos, neg = np.sort(p[y == 1]), np.sort(p[y == 0])
    tp = pos.size - np.searchsorted(pos, pt, side="left")
    fp = neg.size - np.searchsorted(neg, pt, side="left")
    odds = pt / (1 - pt)
    nb = tp / n - fp / n * odds
    prev = y.mean()
    all_ = prev - (1 - prev) * odds
    table = pd.DataFrame(
        {
            "threshold": pt,
            "net_benefit": nb,
            "treat_all": all_,
            "treat_none": 0.0,
            "tp": tp,
            "fp": fp,
            "interventions_avoided_per_100": 100 * (nb - all_) / odds,
        }
    )
    return DecisionCurve(n=int(n), prevalence=float(prev), _table=table)
