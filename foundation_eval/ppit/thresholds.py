r"""Trade-offs at cut-offs of a risk score: classification table and decision curve.

* :func:`threshold_table`: at every cut-off, people with ``score >= cut-off`` are flagged;
  sensitivity, specificity, PPV, NPV and the share flagged, each with a Wilson interval.
* :func:`decision_curve`: net benefit of acting on ``predicted_prob >= p_t`` (Vickers & Elkin
  2006, *Med Decis Making* 26:565-574) against treating everyone or no one.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from foundation_eval.ppit._common import as_binary, as_float, as_probability, check_level, get_ax, same_length
from foundation_eval.stats import wilson_interval

__all__ = ["ThresholdTable", "DecisionCurve", "threshold_table", "decision_curve"]


@dataclass(frozen=True, eq=False)
class ThresholdTable:
    """Classification measures at each cut-off (flag when score >= threshold).

    ``table()`` columns: ``threshold``, ``flagged``, ``share_flagged`` (+ ``_ci_low``,
    ``_ci_high``), ``tp``, ``fp``, ``fn``, ``tn``, ``sensitivity``, ``specificity``, ``ppv``,
    ``npv`` (each with ``_ci_low``/``_ci_high``) and ``youden`` (sensitivity + specificity - 1).
    """

    level: float
    n: int
    n_events: int
    _table: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        return self._table.copy()

    def at(self, threshold: float) -> pd.Series:
        """The row for one cut-off."""
        t = self._table
        hit = t.index[np.isclose(t["threshold"], threshold)]
        if hit.empty:
            raise KeyError(f"no cut-off equal to {threshold!r}; available: {t['threshold'].tolist()}")
        return t.loc[hit[0]]

    def plot(self, ax=None):
        """Sensitivity, specificity and share flagged against the cut-off."""
        ax = get_ax(ax)
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

    .. math::
        \text{sens} = \frac{TP}{TP+FN},\ \text{spec} = \frac{TN}{TN+FP},\
        \text{PPV} = \frac{TP}{TP+FP},\ \text{NPV} = \frac{TN}{TN+FN},\
        \text{share} = \frac{TP+FP}{n}

    each with a Wilson (1927) interval (a proportion with an empty denominator is NaN). PPV
    and NPV depend on the outcome rate of this sample.

    Parameters
    ----------
    thresholds : array-like, optional
        Cut-offs to tabulate; default every distinct score.
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
class DecisionCurve:
    """Net benefit by threshold probability.

    ``table()`` columns: ``threshold``, ``net_benefit`` (acting on the model),
    ``treat_all``, ``treat_none`` (always 0), ``tp``, ``fp`` and
    ``interventions_avoided_per_100`` (Vickers & Elkin 2006, net reduction in interventions
    relative to treating all, per 100 people).
    """

    n: int
    prevalence: float
    _table: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        return self._table.copy()

    def plot(self, ax=None, label: str = "Model"):
        ax = get_ax(ax)
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

    Acting on everyone with :math:`\hat p \ge p_t`:

    .. math::
        \mathrm{NB}(p_t) = \frac{TP}{n} - \frac{FP}{n}\,\frac{p_t}{1 - p_t}

    Treat-all: :math:`\pi - (1-\pi)\,p_t/(1-p_t)` with :math:`\pi` the outcome rate;
    treat-none: 0. Interventions avoided per 100:
    :math:`100\,(\mathrm{NB} - \mathrm{NB_{all}})\,(1-p_t)/p_t`.

    Parameters
    ----------
    thresholds : array-like, optional
        Threshold probabilities in (0, 1); default 0.01, 0.02, ..., 0.99.
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
