r"""Discrimination of a risk score for a binary outcome: the ROC curve and its area.

The area under the ROC curve (AUC) is the Mann-Whitney probability that a randomly chosen
person with the outcome scores higher than a randomly chosen person without it, ties
counting one half:

$$
\hat A = \frac{1}{mn}\sum_{i=1}^{m}\sum_{j=1}^{n}
\left[\,I(X_i > Y_j) + \tfrac12 I(X_i = Y_j)\right]
$$

with $X$ the scores of the $m$ events and $Y$ those of the $n$
non-events. Its variance (alone, or jointly for several scores on the same people) is the
nonparametric estimator of DeLong, DeLong & Clarke-Pearson (1988), *Biometrics* 44:837-845,
computed with the midrank algorithm of Sun & Xu (2014), *IEEE Signal Processing Letters*
21:1389-1393, in $O(N \log N)$.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.checks import as_binary, as_float, same_length
from foundation_eval.ppit._common import readonly
from foundation_eval.results import Result
from foundation_eval.stats import z_value

__all__ = ["AUCResult", "DeLongTestResult", "auc", "delong_test", "delong_covariance"]

_METHODS = ("delong", "bootstrap", "hanley_mcneil")
_CI_SCALES = ("wald", "logit")


def delong_covariance(scores, outcomes) -> tuple[np.ndarray, np.ndarray]:
    r"""AUCs of one or more scores and their DeLong covariance matrix.

    Fast algorithm of Sun & Xu (2014) with midranks. For score $r$, let $T_Z$ be
    the midranks in the pooled sample, $T_X$ those among the $m$ events and
    $T_Y$ those among the $n$ non-events. Then

    $$
    \hat A_r = \frac{\sum_{i} T_Z(X_i) - m(m+1)/2}{mn},\quad
    V_{10}(X_i) = \frac{T_Z(X_i) - T_X(X_i)}{n},\quad
    V_{01}(Y_j) = 1 - \frac{T_Z(Y_j) - T_Y(Y_j)}{m}
    $$

    and $\widehat{\mathrm{Cov}}(\hat A) = S_{10}/m + S_{01}/n$, with $S_{10}$,
    $S_{01}$ the sample covariance matrices (divisor $m-1$, $n-1$) of the
    structural components $V_{10}$ and $V_{01}$ (DeLong et al. 1988).

    Parameters
    ----------
    scores : array-like
        One score per person, shape ``(n_obs,)``, or several, shape ``(n_scores, n_obs)``. Higher
        scores should indicate the outcome.
    outcomes : array-like of 0/1
        The outcome of each person, shape ``(n_obs,)``.

    Returns
    -------
    aucs : numpy.ndarray
        The AUC of each score, shape ``(n_scores,)``.
    cov : numpy.ndarray
        Their DeLong covariance matrix, shape ``(n_scores, n_scores)``.

    Examples
    --------
    >>> import numpy as np
    >>> normal, abnormal = [33, 6, 6, 11, 2], [3, 2, 2, 11, 33]      # Hanley & McNeil (1982) Table I
    >>> ratings = np.r_[np.repeat(np.arange(1, 6), normal), np.repeat(np.arange(1, 6), abnormal)]
    >>> truth = np.r_[np.zeros(58), np.ones(51)]
    >>> aucs, cov = delong_covariance(ratings, truth)
    >>> round(float(aucs[0]), 4), round(float(np.sqrt(cov[0, 0])), 4)
    (0.8932, 0.0307)
    """
    y = as_binary(outcomes)
    s = np.atleast_2d(np.asarray(scores, dtype=float))
    if s.shape[1] != y.size:
        raise ValueError(f"scores have {s.shape[1]} observations but outcomes have {y.size}")
    if np.isnan(s).any():
        raise ValueError("scores contain missing values; drop them first")
    pos, neg = s[:, y == 1], s[:, y == 0]
    m, n = pos.shape[1], neg.shape[1]
    tx = _st.rankdata(pos, axis=1)
    ty = _st.rankdata(neg, axis=1)
    tz = _st.rankdata(np.hstack([pos, neg]), axis=1)
    aucs = (tz[:, :m].sum(axis=1) - m * (m + 1) / 2) / (m * n)
    v10 = (tz[:, :m] - tx) / n
    v01 = 1.0 - (tz[:, m:] - ty) / m
    s10 = np.atleast_2d(np.cov(v10)) if m > 1 else np.zeros((s.shape[0], s.shape[0]))
    s01 = np.atleast_2d(np.cov(v01)) if n > 1 else np.zeros((s.shape[0], s.shape[0]))
    return aucs, s10 / m + s01 / n


def _hanley_mcneil_se(pos: np.ndarray, neg: np.ndarray, a: float) -> float:
    r"""Hanley & McNeil (1982) standard error with empirical $Q_1$, $Q_2$.

    $$
    \mathrm{SE}^2 = \frac{A(1-A) + (m-1)(Q_1 - A^2) + (n-1)(Q_2 - A^2)}{mn}
    $$

    $Q_1$ is the probability that two random events both outscore one random non-event
    and $Q_2$ that one random event outscores two random non-events, ties broken at
    random (a tie of all three counts 1/3), as in the paper's worked example (Table II).
    """
    m, n = pos.size, neg.size
    sp, sn = np.sort(pos), np.sort(neg)
    above = m - np.searchsorted(sp, neg, side="right")  # events strictly above each non-event
    tied_p = np.searchsorted(sp, neg, side="right") - np.searchsorted(sp, neg, side="left")
    below = np.searchsorted(sn, pos, side="left")  # non-events strictly below each event
    tied_n = np.searchsorted(sn, pos, side="right") - below
    q1 = np.mean((above**2 + above * tied_p + tied_p**2 / 3) / m**2)
    q2 = np.mean((below**2 + below * tied_n + tied_n**2 / 3) / n**2)
    var = (a * (1 - a) + (m - 1) * (q1 - a * a) + (n - 1) * (q2 - a * a)) / (m * n)
    return float(np.sqrt(max(var, 0.0)))


def _auc_fast(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Row-wise Mann-Whitney AUC of (B, m) event scores against (B, n) non-event scores."""
    m, n = pos.shape[1], neg.shape[1]
    tz = _st.rankdata(np.hstack([pos, neg]), axis=1)
    return (tz[:, :m].sum(axis=1) - m * (m + 1) / 2) / (m * n)


def _bootstrap_aucs(pos, neg, n_boot, seed, batch=250):
    """Stratified bootstrap (events and non-events resampled separately, as in pROC)."""
    rng = np.random.default_rng(seed)
    out = np.empty(n_boot)
    for start in range(0, n_boot, batch):
        b = min(batch, n_boot - start)
        ip = rng.integers(0, pos.size, size=(b, pos.size))
        ineg = rng.integers(0, neg.size, size=(b, neg.size))
        out[start : start + b] = _auc_fast(pos[ip], neg[ineg])
    return out


def _interval(est: float, se: float, z: float, scale: str) -> tuple[float, float]:
    if scale == "logit" and 0 < est < 1 and se > 0:
        centre = np.log(est / (1 - est))
        half = z * se / (est * (1 - est))
        lo, hi = centre - half, centre + half
        return float(1 / (1 + np.exp(-lo))), float(1 / (1 + np.exp(-hi)))
    return float(max(est - z * se, 0.0)), float(min(est + z * se, 1.0))


@dataclass(frozen=True, eq=False)
class AUCResult(Result):
    """Area under the ROC curve with its standard error and confidence interval.

    Attributes
    ----------
    estimate, se, ci_low, ci_high : float
    level : float
    method : str
        ``"delong"``, ``"bootstrap"`` or ``"hanley_mcneil"`` (how ``se`` was obtained).
    ci_scale : str
        ``"wald"`` (estimate +/- z se, clipped to [0, 1]), ``"logit"`` (Wald interval on the
        logit scale, back-transformed) or ``"percentile"`` (bootstrap).
    n, n_events, n_nonevents : int

    Examples
    --------
    >>> import numpy as np
    >>> normal, abnormal = [33, 6, 6, 11, 2], [3, 2, 2, 11, 33]      # Hanley & McNeil (1982) Table I
    >>> ratings = np.r_[np.repeat(np.arange(1, 6), normal), np.repeat(np.arange(1, 6), abnormal)]
    >>> truth = np.r_[np.zeros(58), np.ones(51)]
    >>> result = auc(ratings, truth)
    >>> result.n_events, result.n_nonevents, result.method
    (51, 58, 'delong')
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    level: float
    method: str
    ci_scale: str
    n: int
    n_events: int
    n_nonevents: int
    _scores: np.ndarray = field(repr=False, compare=False)
    _outcomes: np.ndarray = field(repr=False, compare=False)

    def table(self) -> pd.DataFrame:
        """One-row summary.

        Returns
        -------
        DataFrame
            ``estimate, se, ci_low, ci_high, level, method, ci_scale, n, n_events, n_nonevents`` (index
            ``auc``).
        """
        return pd.DataFrame(
            [
                {
                    "estimate": self.estimate,
                    "se": self.se,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "level": self.level,
                    "method": self.method,
                    "ci_scale": self.ci_scale,
                    "n": self.n,
                    "n_events": self.n_events,
                    "n_nonevents": self.n_nonevents,
                }
            ],
            index=pd.Index(["auc"]),
        )

    def roc(self) -> pd.DataFrame:
        """Empirical ROC curve: one row per cut-off (flag when score >= threshold).

        Returns
        -------
        DataFrame
            ``threshold, fpr, tpr, specificity``. The first row has threshold +inf (nobody flagged), so
            the curve starts at (0, 0); the last ends at (1, 1).
        """
        pos = np.sort(self._scores[self._outcomes == 1])
        neg = np.sort(self._scores[self._outcomes == 0])
        thr = np.unique(self._scores)[::-1]
        tpr = (pos.size - np.searchsorted(pos, thr, side="left")) / pos.size
        fpr = (neg.size - np.searchsorted(neg, thr, side="left")) / neg.size
        return pd.DataFrame(
            {
                "threshold": np.r_[np.inf, thr],
                "fpr": np.r_[0.0, fpr],
                "tpr": np.r_[0.0, tpr],
                "specificity": 1 - np.r_[0.0, fpr],
            }
        )

    def plot(self, ax=None, label: str | None = None, **kwargs):
        """ROC curve with the chance diagonal.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.
        label : str, optional
            Legend label; default the AUC with its interval.
        **kwargs
            Passed to ``Axes.plot`` for the curve.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(5, 4))
        curve = self.roc()
        text = label or f"AUC {self.estimate:.2f} ({self.ci_low:.2f} to {self.ci_high:.2f})"
        ax.plot(curve["fpr"], curve["tpr"], drawstyle="default", label=text, **kwargs)
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
        ax.set_xlabel("1 - specificity (false-positive rate)")
        ax.set_ylabel("Sensitivity (true-positive rate)")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.legend(loc="lower right")
        return ax


def auc(
    scores,
    outcomes,
    level: float = 0.95,
    method: str = "delong",
    n_boot: int = 2000,
    seed: int = 0,
    ci: str = "wald",
) -> AUCResult:
    r"""Area under the ROC curve with a confidence interval.

    Parameters
    ----------
    scores : array-like
        Risk score (higher = more likely to have the outcome), e.g. the PPIT total.
    outcomes : array-like of 0/1
        Observed binary outcome, e.g. DA reoffending within 12 months.
    level : float
        Confidence level.
    method : {"delong", "bootstrap", "hanley_mcneil"}
        ``"delong"``: nonparametric variance of DeLong et al. (1988), fast midrank algorithm of
        Sun & Xu (2014). ``"bootstrap"``: ``n_boot`` stratified resamples (events and
        non-events resampled separately), ``se`` is their standard deviation and the interval
        is the percentile interval. ``"hanley_mcneil"``: the variance formula of Hanley &
        McNeil (1982), *Radiology* 143:29-36, with $Q_1$, $Q_2$ estimated from the
        data as in their worked example; kept for comparison with older papers.
    n_boot, seed : int
        Bootstrap replicates and seed (``method="bootstrap"`` only).
    ci : {"wald", "logit"}
        For the asymptotic methods: ``"wald"`` gives $\hat A \pm z\,\mathrm{se}$ clipped
        to [0, 1] (what pROC and Stata's ``roctab`` report); ``"logit"`` builds the Wald
        interval for $\mathrm{logit}(\hat A)$ with
        $\mathrm{se}/(\hat A(1-\hat A))$ and back-transforms it, which stays inside
        (0, 1) and behaves better near 1 in small samples.

    Returns
    -------
    AUCResult

    Examples
    --------
    Hanley and McNeil (1982) CT ratings: area 0.893; Stata's ``roctab`` on the same 109 ratings
    reports 0.8932 (SE 0.0307, interval 0.8330 to 0.9534):

    >>> import numpy as np
    >>> normal, abnormal = [33, 6, 6, 11, 2], [3, 2, 2, 11, 33]      # Hanley & McNeil (1982) Table I
    >>> ratings = np.r_[np.repeat(np.arange(1, 6), normal), np.repeat(np.arange(1, 6), abnormal)]
    >>> truth = np.r_[np.zeros(58), np.ones(51)]
    >>> result = auc(ratings, truth)
    >>> round(result.estimate, 4), round(result.se, 4), round(result.ci_low, 4), round(result.ci_high, 4)
    (0.8932, 0.0307, 0.833, 0.9534)
    """
    x = as_float(scores, "scores")
    y = as_binary(outcomes)
    same_length(scores=x, outcomes=y)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if ci not in _CI_SCALES:
        raise ValueError(f"ci must be one of {_CI_SCALES}, got {ci!r}")
    z = z_value(level)
    pos, neg = x[y == 1], x[y == 0]
    aucs, cov = delong_covariance(x, y)
    est = float(aucs[0])
    if method == "delong":
        se = float(np.sqrt(max(cov[0, 0], 0.0)))
        lo, hi = _interval(est, se, z, ci)
        scale = ci
    elif method == "hanley_mcneil":
        se = _hanley_mcneil_se(pos, neg, est)
        lo, hi = _interval(est, se, z, ci)
        scale = ci
    else:
        if n_boot < 100:
            raise ValueError("n_boot must be at least 100 for a percentile interval")
        boots = _bootstrap_aucs(pos, neg, int(n_boot), seed)
        se = float(np.std(boots, ddof=1))
        lo, hi = (float(v) for v in np.quantile(boots, [(1 - level) / 2, (1 + level) / 2]))
        scale = "percentile"
    return AUCResult(
        estimate=est,
        se=se,
        ci_low=lo,
        ci_high=hi,
        level=float(level),
        method=method,
        ci_scale=scale,
        n=int(x.size),
        n_events=int(pos.size),
        n_nonevents=int(neg.size),
        _scores=readonly(x),
        _outcomes=readonly(y),
    )


@dataclass(frozen=True, eq=False)
class DeLongTestResult(Result):
    """Paired comparison of two AUCs measured on the same people (DeLong et al. 1988).

    Attributes
    ----------
    auc_a, auc_b : float
    difference : float
        ``auc_a - auc_b``.
    se, z, p_value : float
        Standard error of the difference, z statistic and two-sided p-value.
    ci_low, ci_high : float
        Wald interval for the difference.
    correlation : float
        Correlation between the two AUC estimates.

    se_a, se_b : float
        Standard errors of the two AUCs.
    level : float
    n : int
        People.

    Examples
    --------
    >>> import numpy as np
    >>> normal, abnormal = [33, 6, 6, 11, 2], [3, 2, 2, 11, 33]      # Hanley & McNeil (1982) Table I
    >>> ratings = np.r_[np.repeat(np.arange(1, 6), normal), np.repeat(np.arange(1, 6), abnormal)]
    >>> truth = np.r_[np.zeros(58), np.ones(51)]
    >>> noisy = ratings + np.random.default_rng(0).normal(0, 1.5, ratings.size)
    >>> test = delong_test(ratings, noisy, truth)
    >>> test.table().index.tolist()
    ['a', 'b', 'a - b']
    """

    auc_a: float
    auc_b: float
    se_a: float
    se_b: float
    difference: float
    se: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float
    correlation: float
    level: float
    n: int

    def table(self) -> pd.DataFrame:
        """Both AUCs and their difference.

        Returns
        -------
        DataFrame
            Rows ``a``, ``b`` and ``a - b``; columns ``auc, se, ci_low, ci_high, z, p_value`` (interval
            and test for the difference only).
        """
        return pd.DataFrame(
            {
                "auc": [self.auc_a, self.auc_b, self.difference],
                "se": [self.se_a, self.se_b, self.se],
                "ci_low": [np.nan, np.nan, self.ci_low],
                "ci_high": [np.nan, np.nan, self.ci_high],
                "z": [np.nan, np.nan, self.z],
                "p_value": [np.nan, np.nan, self.p_value],
            },
            index=pd.Index(["a", "b", "a - b"]),
        )


def delong_test(scores_a, scores_b, outcomes, level: float = 0.95) -> DeLongTestResult:
    r"""DeLong test of equal AUCs for two scores on the same people.

    $$
    z = \frac{\hat A_a - \hat A_b}{\sqrt{\hat V_{aa} + \hat V_{bb} - 2\hat V_{ab}}}
    $$

    with $\hat V$ the DeLong covariance matrix (see `delong_covariance`).

    Notes
    -----
    For two *nested* logistic models fitted to the same data this test is badly conservative
    (Demler, Pencina & D'Agostino 2012, *Stat Med* 31:2577-2587); use the likelihood-ratio test
    of `foundation_eval.ppit.incremental_value` for that question.

    Parameters
    ----------
    scores_a, scores_b : array-like
        Two scores for the same people (higher = more likely to have the outcome).
    outcomes : array-like of 0/1
        Observed binary outcome.
    level : float
        Confidence level of the interval for the difference.

    Returns
    -------
    DeLongTestResult

    Examples
    --------
    A score against a noisier copy of itself, on the Hanley and McNeil (1982) ratings:

    >>> import numpy as np
    >>> normal, abnormal = [33, 6, 6, 11, 2], [3, 2, 2, 11, 33]      # Hanley & McNeil (1982) Table I
    >>> ratings = np.r_[np.repeat(np.arange(1, 6), normal), np.repeat(np.arange(1, 6), abnormal)]
    >>> truth = np.r_[np.zeros(58), np.ones(51)]
    >>> noisy = ratings + np.random.default_rng(0).normal(0, 1.5, ratings.size)
    >>> test = delong_test(ratings, noisy, truth)
    >>> round(test.difference, 3), test.p_value < 0.001, test.correlation > 0
    (0.13, True, True)
    """
    a = as_float(scores_a, "scores_a")
    b = as_float(scores_b, "scores_b")
    y = as_binary(outcomes)
    same_length(scores_a=a, scores_b=b, outcomes=y)
    z = z_value(level)
    aucs, cov = delong_covariance(np.vstack([a, b]), y)
    diff = float(aucs[0] - aucs[1])
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    se = float(np.sqrt(max(var, 0.0)))
    stat = diff / se if se > 0 else (0.0 if diff == 0 else np.copysign(np.inf, diff))
    p = float(2 * _st.norm.sf(abs(stat)))
    denom = np.sqrt(cov[0, 0] * cov[1, 1])
    return DeLongTestResult(
        auc_a=float(aucs[0]),
        auc_b=float(aucs[1]),
        se_a=float(np.sqrt(cov[0, 0])),
        se_b=float(np.sqrt(cov[1, 1])),
        difference=diff,
        se=se,
        z=float(stat),
        p_value=p,
        ci_low=diff - z * se,
        ci_high=diff + z * se,
        correlation=float(cov[0, 1] / denom) if denom > 0 else float("nan"),
        level=float(level),
        n=int(y.size),
    )
