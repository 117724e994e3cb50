r"""Equity checks across protected characteristics (e.g. ethnicity, sex, age band).

Small groups are never shown on their own. A group is *small* when it has fewer than
``min_count`` people, events (or flagged people), or non-events (or unflagged people); the
last rule matters because the non-event count of a group is its size minus its events. With
``small_groups="pool"`` small groups are merged into one ``"Other"`` group (dropped too if
that pooled group is itself small); with ``"drop"`` they are left out. The names of pooled and
dropped groups are kept on the result for the analyst but never appear in ``table()``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.checks import as_binary, as_float, as_probability, check_level, same_length
from foundation_eval.ppit._common import as_groups, logit
from foundation_eval.ppit.discrimination import auc as _auc
from foundation_eval.results import Result
from foundation_eval.stats import poisson_rate_interval, wilson_interval, z_value

__all__ = [
    "GroupAUC",
    "GroupCalibration",
    "DifferentialPrediction",
    "FlagRateParity",
    "auc_by_group",
    "calibration_by_group",
    "differential_prediction",
    "flag_rate_parity",
    "group_masks",
]

OTHER = "Other"


def _small_group_rule(groups: pd.Series, y: np.ndarray, min_count: int, small_groups: str,
                      other_label: str = OTHER):
    """Relabel or drop groups with fewer than ``min_count`` people, ones, or zeros.

    Returns (labels with None for dropped rows, pooled names, dropped names).
    """
    if small_groups not in ("pool", "drop"):
        raise ValueError(f"small_groups must be 'pool' or 'drop', got {small_groups!r}")
    if min_count < 0:
        raise ValueError("min_count must be non-negative")
    if (groups == other_label).any() and small_groups == "pool":
        raise ValueError(f"a group is already called {other_label!r}; rename it before pooling")

    def small(labels):
        frame = pd.DataFrame({"g": labels, "y": y}).dropna(subset=["g"])
        agg = frame.groupby("g")["y"].agg(["size", "sum"])
        bad = (agg["size"] < min_count) | (agg["sum"] < min_count) | (agg["size"] - agg["sum"] < min_count)
        return list(agg.index[bad])

    labels = groups.astype(object).copy()
    first = small(labels)
    pooled: list[str] = []
    dropped: list[str] = []
    if small_groups == "drop":
        dropped = first
        labels[labels.isin(first)] = None
    else:
        pooled = first
        labels[labels.isin(first)] = other_label
        if other_label in small(labels):
            dropped = pooled
            pooled = []
            labels[labels == other_label] = None
    return labels, sorted(pooled), sorted(dropped)


def group_masks(labels: pd.Series) -> dict:
    """Each label's rows as a boolean array, from one pass over the labels (missing labels have none).

    A characteristic with many groups (300 districts) would otherwise compare every row with every label.

    Parameters
    ----------
    labels : Series
        One group label a row; missing where the row is in no group.

    Returns
    -------
    dict
        Each label present to a boolean array over the rows, in order of first appearance.

    Examples
    --------
    >>> {k: v.tolist() for k, v in group_masks(pd.Series(["a", None, "b", "a"])).items()}
    {'a': [True, False, False, True], 'b': [False, False, True, False]}
    """
    codes, uniques = pd.factorize(pd.Series(labels, dtype=object))
    return {u: codes == i for i, u in enumerate(uniques)}


def _forest(ax, table, col, lo, hi, ref, xlabel):
    from foundation_eval.plotting import forest_plot

    return forest_plot(table[col], table[lo], table[hi], table.index, reference=ref, reference_style=":",
                       xlabel=xlabel, ax=ax, figsize=(5, 4))


@dataclass(frozen=True, eq=False)
class GroupAUC(Result):
    r"""AUC by group, with a test that the groups' AUCs are equal.

    ``heterogeneity_chi2`` is Cochran's $Q = \sum_g w_g(\hat A_g - \bar A_w)^2$,
    $w_g = 1/\mathrm{se}_g^2$, on (groups - 1) degrees of freedom (groups are
    independent samples).

    Attributes
    ----------
    heterogeneity_chi2, heterogeneity_df, heterogeneity_p_value : float
        Cochran's Q test of equal AUCs.
    min_count : int
        Small-group rule applied.
    pooled_groups, dropped_groups : tuple of str
        Groups pooled into ``"Other"`` or dropped by that rule.
    level : float

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(4)
    >>> group = rng.choice(["north", "south", "west"], 1200, p=[0.5, 0.3, 0.2])
    >>> score = rng.integers(0, 21, 1200)
    >>> prob = 1 / (1 + np.exp(-(-2.5 + 0.2 * score)))             # the same model in every group
    >>> y = (rng.uniform(size=1200) < prob).astype(int)
    >>> res = auc_by_group(score, y, group)
    >>> res.table().index.tolist(), res.heterogeneity_df
    (['north', 'south', 'west', 'All'], 2)
    """

    min_count: int
    pooled_groups: tuple
    dropped_groups: tuple
    heterogeneity_chi2: float
    heterogeneity_df: int
    heterogeneity_p_value: float
    level: float
    _table: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """AUC per group.

        Returns
        -------
        DataFrame
            Indexed by group (plus ``All``): ``n``, ``events``, ``auc``, ``se``, ``ci_low``, ``ci_high``.
        """
        return self._table.copy()

    def plot(self, ax=None):
        """Forest plot: AUC of each group and of everyone (``All``) with its interval, and the 0.5 line.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return _forest(ax, self._table, "auc", "ci_low", "ci_high", 0.5, "AUC")


def auc_by_group(
    scores,
    outcomes,
    groups,
    min_count: int = 10,
    small_groups: str = "pool",
    level: float = 0.95,
    method: str = "delong",
) -> GroupAUC:
    r"""AUC (DeLong interval, see `foundation_eval.ppit.auc`) within each group.

    Groups smaller than ``min_count`` people, events or non-events are pooled into ``"Other"``
    or dropped (``small_groups``), never shown. The ``All`` row uses everyone.

    The heterogeneity test is Cochran's $Q = \sum_g w_g(\hat A_g - \bar A_w)^2$, $w_g = 1/\mathrm{se}_g^2$,
    on (groups - 1) degrees of freedom.

    Parameters
    ----------
    scores : array-like
        Risk score (higher = more likely to have the outcome).
    outcomes : array-like of 0/1
        Observed binary outcome.
    groups : array-like
        Group of each person (e.g. ethnic group).
    min_count : int
        Smallest number of people (and of events and non-events, or of flagged and unflagged) a group
        needs to be shown.
    small_groups : {"pool", "drop"}
        Pool small groups into ``"Other"`` or drop them; either way they are never shown alone.
    level : float
        Confidence level.
    method : str
        Variance method of `foundation_eval.ppit.auc`.

    Returns
    -------
    GroupAUC

    Examples
    --------
    A score that works equally in every group: no evidence of different AUCs:

    >>> import numpy as np
    >>> rng = np.random.default_rng(4)
    >>> group = rng.choice(["north", "south", "west"], 1200, p=[0.5, 0.3, 0.2])
    >>> score = rng.integers(0, 21, 1200)
    >>> prob = 1 / (1 + np.exp(-(-2.5 + 0.2 * score)))             # the same model in every group
    >>> y = (rng.uniform(size=1200) < prob).astype(int)
    >>> res = auc_by_group(score, y, group)
    >>> res.heterogeneity_p_value > 0.05
    True
    """
    x = as_float(scores, "scores")
    y = as_binary(outcomes)
    g = as_groups(groups)
    same_length(scores=x, outcomes=y, groups=g)
    check_level(level)
    labels, pooled, dropped = _small_group_rule(g, y, min_count, small_groups)
    rows = {}
    masks = group_masks(labels)
    for name in sorted(labels.dropna().unique(), key=lambda v: (v == OTHER, v)):
        m = masks[name]
        r = _auc(x[m], y[m], level=level, method=method)
        rows[name] = {"n": r.n, "events": r.n_events, "auc": r.estimate, "se": r.se,
                      "ci_low": r.ci_low, "ci_high": r.ci_high}
    overall = _auc(x, y, level=level, method=method)
    table = pd.DataFrame.from_dict(rows, orient="index")
    if len(table) >= 2:
        w = 1 / table["se"] ** 2
        mean = (w * table["auc"]).sum() / w.sum()
        q = float((w * (table["auc"] - mean) ** 2).sum())
        df = len(table) - 1
        p = float(_st.chi2.sf(q, df))
    else:
        q, df, p = float("nan"), 0, float("nan")
    table.loc["All"] = {"n": overall.n, "events": overall.n_events, "auc": overall.estimate,
                        "se": overall.se, "ci_low": overall.ci_low, "ci_high": overall.ci_high}
    table[["n", "events"]] = table[["n", "events"]].astype(int)
    table.index.name = "group"
    return GroupAUC(min_count=int(min_count), pooled_groups=tuple(pooled), dropped_groups=tuple(dropped),
                    heterogeneity_chi2=q, heterogeneity_df=int(df), heterogeneity_p_value=p,
                    level=float(level), _table=table)


@dataclass(frozen=True, eq=False)
class GroupCalibration(Result):
    """Observed against expected outcome rate by group (see `calibration_by_group`).

    Attributes
    ----------
    min_count : int
        Small-group rule applied.
    pooled_groups, dropped_groups : tuple of str
        Groups pooled into ``"Other"`` or dropped by that rule.
    level : float

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(4)
    >>> group = rng.choice(["north", "south", "west"], 1200, p=[0.5, 0.3, 0.2])
    >>> score = rng.integers(0, 21, 1200)
    >>> prob = 1 / (1 + np.exp(-(-2.5 + 0.2 * score)))             # the same model in every group
    >>> y = (rng.uniform(size=1200) < prob).astype(int)
    >>> res = calibration_by_group(prob, y, group)
    >>> res.table().index.tolist()
    ['north', 'south', 'west', 'All']
    """

    min_count: int
    pooled_groups: tuple
    dropped_groups: tuple
    level: float
    _table: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """Calibration per group.

        Returns
        -------
        DataFrame
            Indexed by group (plus ``All``): ``n``, ``events``, ``observed`` (+ Wilson ``ci_low``,
            ``ci_high``), ``expected`` (mean predicted probability), ``oe_ratio`` (+ exact Poisson
            ``oe_ci_low``, ``oe_ci_high``) and ``citl`` (calibration-in-the-large, + Wald interval).
        """
        return self._table.copy()

    def plot(self, ax=None):
        """Forest plot: observed-to-expected ratio of each group and of everyone with its interval, and O/E = 1.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return _forest(ax, self._table, "oe_ratio", "oe_ci_low", "oe_ci_high", 1.0,
                       "Observed / expected events")


def _citl(p, y, z):
    import statsmodels.api as sm

    fit = sm.GLM(y, np.ones((y.size, 1)), family=sm.families.Binomial(), offset=logit(p)).fit()
    a, se = float(fit.params[0]), float(fit.bse[0])
    return a, a - z * se, a + z * se


def calibration_by_group(
    predicted_prob,
    outcomes,
    groups,
    min_count: int = 10,
    small_groups: str = "pool",
    level: float = 0.95,
) -> GroupCalibration:
    r"""Calibration of predicted probabilities within each group.

    For each group: observed proportion (Wilson interval), expected proportion (mean predicted
    probability), the ratio of observed to expected events $O/E$ with an exact (Garwood)
    Poisson interval for $O$ divided by $E$, and calibration-in-the-large
    $a$ from $\mathrm{logit}\,P(Y=1) = a + \mathrm{logit}(\hat p)$
    (see `foundation_eval.ppit.calibration_in_the_large_and_slope`).

    A PPIT score is not a probability: derive ``predicted_prob`` first, e.g. from a logistic
    model of the outcome on the score fitted to everyone; group-specific miscalibration of that
    model is then exactly the differential prediction of Cleary (1968), tested formally by
    `differential_prediction`.

    Parameters
    ----------
    predicted_prob : array-like
        Predicted probabilities.
    outcomes : array-like of 0/1
        Observed binary outcome.
    groups : array-like
        Group of each person.
    min_count : int
        Smallest number of people (and of events and non-events, or of flagged and unflagged) a group
        needs to be shown.
    small_groups : {"pool", "drop"}
        Pool small groups into ``"Other"`` or drop them; either way they are never shown alone.
    level : float
        Confidence level.

    Returns
    -------
    GroupCalibration

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(4)
    >>> group = rng.choice(["north", "south", "west"], 1200, p=[0.5, 0.3, 0.2])
    >>> score = rng.integers(0, 21, 1200)
    >>> prob = 1 / (1 + np.exp(-(-2.5 + 0.2 * score)))             # the same model in every group
    >>> y = (rng.uniform(size=1200) < prob).astype(int)
    >>> table = calibration_by_group(prob, y, group).table()
    >>> bool((table.oe_ci_low < 1).all() and (table.oe_ci_high > 1).all())
    True
    """
    p = as_probability(predicted_prob)
    y = as_binary(outcomes, require_both=False)
    g = as_groups(groups)
    same_length(predicted_prob=p, outcomes=y, groups=g)
    z = z_value(level)
    labels, pooled, dropped = _small_group_rule(g, y, min_count, small_groups)
    rows = {}
    names = sorted(labels.dropna().unique(), key=lambda v: (v == OTHER, v))
    masks = group_masks(labels)
    for name in [*names, "All"]:
        m = np.ones(y.size, bool) if name == "All" else masks[name]
        events, n, expected = int(y[m].sum()), int(m.sum()), float(p[m].sum())
        lo, hi = wilson_interval(events, n, level)
        oe, oe_lo, oe_hi = poisson_rate_interval(events, expected, level)
        a, a_lo, a_hi = _citl(p[m], y[m], z) if 0 < events < n else (np.nan, np.nan, np.nan)
        rows[name] = {"n": n, "events": events, "observed": events / n, "ci_low": lo, "ci_high": hi,
                      "expected": expected / n, "oe_ratio": oe, "oe_ci_low": oe_lo, "oe_ci_high": oe_hi,
                      "citl": a, "citl_ci_low": a_lo, "citl_ci_high": a_hi}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "group"
    return GroupCalibration(min_count=int(min_count), pooled_groups=tuple(pooled),
                            dropped_groups=tuple(dropped), level=float(level), _table=table)


@dataclass(frozen=True, eq=False)
class DifferentialPrediction(Result):
    """Cleary (1968) test of differential prediction by logistic regression.

    Attributes
    ----------
    slope_lr, slope_df, slope_p_value : float
        Do score slopes differ between groups? (score x group interaction; model 2 vs 1)
    intercept_lr, intercept_df, intercept_p_value : float
        Given common slopes, do intercepts differ? (group main effect; model 1 vs 0)
    overall_lr, overall_df, overall_p_value : float
        Any difference (model 2 vs 0).
    reference : str
        Reference group of the coefficients.

    groups : tuple of str
        Groups in the models (after the small-group rule).
    pooled_groups, dropped_groups : tuple of str
        Groups pooled into ``"Other"`` or dropped.
    level : float

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(4)
    >>> group = rng.choice(["north", "south", "west"], 1200, p=[0.5, 0.3, 0.2])
    >>> score = rng.integers(0, 21, 1200)
    >>> prob = 1 / (1 + np.exp(-(-2.5 + 0.2 * score)))             # the same model in every group
    >>> y = (rng.uniform(size=1200) < prob).astype(int)
    >>> res = differential_prediction(score, y, group)
    >>> res.reference, res.table().index.tolist()
    ('north', ['slopes', 'intercepts', 'overall'])
    """

    reference: str
    groups: tuple
    slope_lr: float
    slope_df: int
    slope_p_value: float
    intercept_lr: float
    intercept_df: int
    intercept_p_value: float
    overall_lr: float
    overall_df: int
    overall_p_value: float
    pooled_groups: tuple
    dropped_groups: tuple
    level: float
    _coefficients: pd.DataFrame = field(repr=False)
    _curve: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """The three likelihood-ratio tests.

        Returns
        -------
        DataFrame
            Rows ``slopes``, ``intercepts``, ``overall``; columns ``lr_statistic``, ``df``, ``p_value``.
        """
        return pd.DataFrame(
            {
                "lr_statistic": [self.slope_lr, self.intercept_lr, self.overall_lr],
                "df": [self.slope_df, self.intercept_df, self.overall_df],
                "p_value": [self.slope_p_value, self.intercept_p_value, self.overall_p_value],
            },
            index=pd.Index(["slopes", "intercepts", "overall"]),
        )

    def coefficients(self) -> pd.DataFrame:
        """Coefficients (log-odds) of the full model with Wald intervals.

        Returns
        -------
        DataFrame
            Indexed by term; ``estimate, se, ci_low, ci_high, p_value``.
        """
        return self._coefficients.copy()

    def plot(self, ax=None):
        """Predicted probability against score, one curve per group (full model).

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
        for name, part in self._curve.groupby("group", sort=False):
            ax.plot(part["score"], part["predicted"], label=str(name))
        ax.set_xlabel("Score")
        ax.set_ylabel("Predicted probability of outcome")
        ax.set_ylim(0, 1)
        ax.legend()
        return ax


def differential_prediction(
    scores,
    outcomes,
    group,
    reference: str | None = None,
    min_count: int = 10,
    small_groups: str = "pool",
    level: float = 0.95,
) -> DifferentialPrediction:
    r"""Differential prediction (Cleary 1968, *J Educ Meas* 5:115-124) with logistic models.

    $$
    M_0:\ \mathrm{logit}\,P(Y=1) = \beta_0 + \beta_1 s \\
    M_1:\ \ldots + \sum_g \gamma_g D_g \\
    M_2:\ \ldots + \sum_g \gamma_g D_g + \sum_g \delta_g D_g s
    $$

    with $D_g$ indicators of the non-reference groups. Likelihood-ratio tests: slopes
    ($M_2$ vs $M_1$), intercepts given common slopes ($M_1$ vs $M_0$;
    the step-down order of Lautenschlager & Mendoza 1986) and overall ($M_2$ vs
    $M_0$), each on (groups - 1) or 2 (groups - 1) degrees of freedom. A positive
    $\gamma_g$ means the same score under-predicts the outcome for group $g$.

    The three models are fitted by Newton's method on per-group sums: the same maximum-likelihood
    estimates and standard errors as one logistic regression with the indicators and interactions
    (the tests compare them with statsmodels' ``Logit`` to six digits), at a cost that does not grow
    with the number of groups times the number of people (300 districts at national scale).

    Parameters
    ----------
    reference : str, optional
        Reference group (default: the largest).
    min_count, small_groups
        Small-group rule (see module notes); it also prevents separation in tiny groups.

    scores : array-like
        Risk score.
    outcomes : array-like of 0/1
        Observed binary outcome.
    group : array-like
        Group of each person.
    level : float
        Confidence level of the coefficients' intervals.

    Returns
    -------
    DifferentialPrediction

    Examples
    --------
    The same logistic model in every group, so neither slopes nor intercepts differ:

    >>> import numpy as np
    >>> rng = np.random.default_rng(4)
    >>> group = rng.choice(["north", "south", "west"], 1200, p=[0.5, 0.3, 0.2])
    >>> score = rng.integers(0, 21, 1200)
    >>> prob = 1 / (1 + np.exp(-(-2.5 + 0.2 * score)))             # the same model in every group
    >>> y = (rng.uniform(size=1200) < prob).astype(int)
    >>> res = differential_prediction(score, y, group)
    >>> res.slope_p_value > 0.05, res.intercept_p_value > 0.05
    (True, True)
    """
    x = as_float(scores, "scores")
    y = as_binary(outcomes)
    g = as_groups(group, "group")
    same_length(scores=x, outcomes=y, group=g)
    z = z_value(level)
    labels, pooled, dropped = _small_group_rule(g, y, min_count, small_groups)
    keep = labels.notna().to_numpy()
    x, y, labels = x[keep], y[keep], labels[keep].astype(str).reset_index(drop=True)
    names = list(labels.value_counts().index)
    if len(names) < 2:
        raise ValueError("fewer than two groups remain after the small-group rule; nothing to compare")
    if reference is None:
        reference = names[0]
    elif reference not in names:
        raise ValueError(f"reference group {reference!r} not found among {sorted(names)}")
    others = [n for n in sorted(names) if n != reference]
    order = [reference, *others]
    codes = pd.Categorical(labels, categories=order).codes.astype(np.int64)
    y = np.asarray(y, dtype=float)
    # M0 one intercept and slope; M1 an intercept per group, one slope; M2 both per group. Fitted by
    # Newton's method on the grouped sums: the same maximum likelihood as one logistic regression with
    # group indicators and interactions, without its n x 2k design (300 districts at national scale).
    _, _, ll0, _ = _grouped_logit(x, y, np.zeros(x.size, dtype=np.int64), 1, common_slope=False)
    _, _, ll1, _ = _grouped_logit(x, y, codes, len(order), common_slope=True)
    a, b, ll2, cov = _grouped_logit(x, y, codes, len(order), common_slope=False)
    k = len(others)
    slope_lr, int_lr, all_lr = 2 * (ll2 - ll1), 2 * (ll1 - ll0), 2 * (ll2 - ll0)
    # M2 as reference intercept and slope plus each group's differences from them; groups' estimates are
    # independent (the information is block-diagonal by group)
    var_a, var_b = cov[:, 0, 0], cov[:, 1, 1]
    est = np.r_[a[0], b[0], a[1:] - a[0], b[1:] - b[0]]
    se = np.sqrt(np.r_[var_a[0], var_b[0], var_a[1:] + var_a[0], var_b[1:] + var_b[0]])
    cnames = ["intercept", "score"] + [f"group[{n}]" for n in others] + [f"score:group[{n}]" for n in others]
    coef = pd.DataFrame({"estimate": est, "se": se}, index=pd.Index(cnames))
    coef["ci_low"] = coef["estimate"] - z * coef["se"]
    coef["ci_high"] = coef["estimate"] + z * coef["se"]
    coef["p_value"] = 2 * _st.norm.sf(np.abs(coef["estimate"] / coef["se"]))
    grid = np.linspace(x.min(), x.max(), 50)
    curves = [pd.DataFrame({"group": name, "score": grid, "predicted": 1 / (1 + np.exp(-(a[i] + b[i] * grid)))})
              for i, name in enumerate(order)]
    return DifferentialPrediction(
        reference=reference,
        groups=tuple([reference, *others]),
        slope_lr=float(slope_lr), slope_df=k, slope_p_value=float(_st.chi2.sf(max(slope_lr, 0), k)),
        intercept_lr=float(int_lr), intercept_df=k, intercept_p_value=float(_st.chi2.sf(max(int_lr, 0), k)),
        overall_lr=float(all_lr), overall_df=2 * k, overall_p_value=float(_st.chi2.sf(max(all_lr, 0), 2 * k)),
        pooled_groups=tuple(pooled), dropped_groups=tuple(dropped), level=float(level),
        _coefficients=coef, _curve=pd.concat(curves, ignore_index=True),
    )


def _grouped_logit(x: np.ndarray, y: np.ndarray, codes: np.ndarray, k: int, common_slope: bool,
                   tol: float = 1e-10, max_iter: int = 100):
    """Maximum likelihood of logit P(y = 1) = a_g + b_g x in groups ``codes`` (0..k-1), with one slope
    for all groups when ``common_slope``, by Newton's method on per-group sums (the Hessian of the
    common-slope model is an arrowhead matrix, solved through its Schur complement).

    Returns the intercepts and slopes (length k), the log-likelihood and, per group, the inverse of
    that group's 2 x 2 information (the covariance of its intercept and slope when slopes are free).
    """
    def sums(v):
        return np.bincount(codes, weights=v, minlength=k)

    n = sums(np.ones_like(x))
    m = np.clip(sums(y) / n, 1e-6, 1 - 1e-6)
    a, b = np.log(m / (1 - m)), np.zeros(k)
    for _ in range(max_iter):
        eta = a[codes] + b[codes] * x
        p = 1 / (1 + np.exp(-eta))
        w, r = p * (1 - p), y - p
        ga, gb = sums(r), sums(r * x)
        haa, hab, hbb = sums(w), sums(w * x), sums(w * x * x)
        if common_slope:
            db = (gb.sum() - (hab * ga / haa).sum()) / (hbb.sum() - (hab**2 / haa).sum())
            da = (ga - hab * db) / haa
            db = np.full(k, db)
        else:
            det = haa * hbb - hab**2
            da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        a, b = a + da, b + db
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            raise ValueError("the logistic model did not converge (an outcome that a score separates perfectly)")
        if max(np.abs(da).max(), np.abs(db).max()) < tol:
            break
    else:
        raise ValueError("the logistic model did not converge")
    eta = a[codes] + b[codes] * x
    ll = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
    p = 1 / (1 + np.exp(-eta))
    w = p * (1 - p)
    haa, hab, hbb = sums(w), sums(w * x), sums(w * x * x)
    det = haa * hbb - hab**2
    cov = np.stack([np.stack([hbb / det, -hab / det], axis=-1), np.stack([-hab / det, haa / det], axis=-1)], axis=1)
    return a, b, ll, cov


@dataclass(frozen=True, eq=False)
class FlagRateParity(Result):
    """Share flagged (e.g. as priority) by group (see `flag_rate_parity`).

    Attributes
    ----------
    overall_rate : float
        Share of everyone flagged.
    min_count : int
        Small-group rule applied.
    pooled_groups, dropped_groups : tuple of str
        Groups pooled into ``"Other"`` or dropped by that rule.
    level : float

    Examples
    --------
    >>> res = flag_rate_parity([1] * 30 + [0] * 70 + [1] * 10 + [0] * 90, ["a"] * 100 + ["b"] * 100)
    >>> res.overall_rate
    0.2
    """

    overall_rate: float
    min_count: int
    pooled_groups: tuple
    dropped_groups: tuple
    level: float
    _table: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """Flag rates per group.

        Returns
        -------
        DataFrame
            Indexed by group (plus ``All``): ``n``, ``flagged``, ``rate`` (+ Wilson ``ci_low``,
            ``ci_high``), ``ratio_to_overall`` and ``ratio_to_rest`` (+ Katz log ``ratio_ci_low``,
            ``ratio_ci_high``).
        """
        return self._table.copy()

    def plot(self, ax=None):
        """Forest plot: flag rate of each group with its interval, and the overall rate as reference line.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        t = self._table.drop(index="All")
        return _forest(ax, t, "rate", "ci_low", "ci_high", self.overall_rate, "Share flagged")


def flag_rate_parity(
    flags, groups, min_count: int = 10, small_groups: str = "pool", level: float = 0.95
) -> FlagRateParity:
    r"""Rate of being flagged by group, against the overall rate.

    ``rate`` $= f_g/n_g$ with a Wilson interval; ``ratio_to_overall`` $= r_g/r$;
    ``ratio_to_rest`` $= r_g / r_{\bar g}$ (the group against everyone else) with the
    Katz log interval
    $\exp\{\log RR \pm z\sqrt{1/f_g - 1/n_g + 1/f_{\bar g} - 1/n_{\bar g}}\}$
    (Katz et al. 1978, *Biometrics* 34:469-474). Groups with fewer than ``min_count`` people,
    flagged or unflagged are pooled or dropped.

    Parameters
    ----------
    flags : array-like of bool or 0/1
        Whether each person was flagged.
    groups : array-like
        Group of each person.
    min_count : int
        Smallest number of people (and of events and non-events, or of flagged and unflagged) a group
        needs to be shown.
    small_groups : {"pool", "drop"}
        Pool small groups into ``"Other"`` or drop them; either way they are never shown alone.
    level : float
        Confidence level.

    Returns
    -------
    FlagRateParity

    Examples
    --------
    30 of 100 flagged in group a and 10 of 100 in b: ratio 3.0, Katz interval
    $\exp(\log 3 \pm 1.96\sqrt{1/30 - 1/100 + 1/10 - 1/100})$ = 1.551 to 5.803:

    >>> res = flag_rate_parity([1] * 30 + [0] * 70 + [1] * 10 + [0] * 90, ["a"] * 100 + ["b"] * 100)
    >>> [round(float(v), 3) for v in res.table().loc["a", ["ratio_to_rest", "ratio_ci_low", "ratio_ci_high"]]]
    [3.0, 1.551, 5.803]
    """
    f = as_binary(flags, "flags", require_both=False)
    g = as_groups(groups)
    same_length(flags=f, groups=g)
    z = z_value(level)
    labels, pooled, dropped = _small_group_rule(g, f, min_count, small_groups)
    overall = f.mean()
    rows = {}
    names = sorted(labels.dropna().unique(), key=lambda v: (v == OTHER, v))
    masks = group_masks(labels)
    for name in [*names, "All"]:
        m = np.ones(f.size, bool) if name == "All" else masks[name]
        a, n1 = int(f[m].sum()), int(m.sum())
        lo, hi = wilson_interval(a, n1, level)
        rate = a / n1
        row = {"n": n1, "flagged": a, "rate": rate, "ci_low": lo, "ci_high": hi,
               "ratio_to_overall": rate / overall if overall > 0 else np.nan,
               "ratio_to_rest": np.nan, "ratio_ci_low": np.nan, "ratio_ci_high": np.nan}
        if name != "All":
            c, n2 = int(f[~m].sum()), int((~m).sum())
            if a > 0 and c > 0:
                rr = rate / (c / n2)
                se = np.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
                row.update(ratio_to_rest=rr, ratio_ci_low=rr * np.exp(-z * se), ratio_ci_high=rr * np.exp(z * se))
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "group"
    return FlagRateParity(overall_rate=float(overall), min_count=int(min_count), pooled_groups=tuple(pooled),
                          dropped_groups=tuple(dropped), level=float(level), _table=table)
