r"""Imputation difference-in-differences estimator (Borusyak, Jaravel & Spiess 2024) with a
leave-one-cluster-out jackknife and Student-t inference on the number of go-live cohorts.

A general estimator for staggered adoption: any long frame of units (or people indexed to units)
with integer periods and a first-treated period. `foundation_eval.evaluation.designs` applies it
to the district x quarter panel and to person-level cohorts.

Reference: Borusyak, K., Jaravel, X. & Spiess, J. (2024). Revisiting event-study designs: robust and
efficient estimation. *Review of Economic Studies* 91(6):3253-3285.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.checks import require_columns
from foundation_eval.impact._base import EvalEstimate
from foundation_eval.stats import t_value

__all__ = ["ImputationResult", "imputation_did", "imputation_att", "impute_untreated", "DID_ASSUMPTIONS"]

DID_ASSUMPTIONS = (
    "Parallel trends: without the programme, DA offending among eligible people in each district would have "
    "moved in step with the districts not yet live.",
    "No anticipation: nothing changed in a district before its go-live.",
    "No spill-overs: one district's programme does not change offending in other districts.",
    "Once live, a district stays live.",
    "The eligibility criteria and the recording of offences did not change at go-live.",
)
"""Identifying assumptions of a staggered difference-in-differences in plain words: the default
``assumptions`` of [`imputation_did`][foundation_eval.impact.imputation.imputation_did]."""


@dataclass(frozen=True)
class ImputationResult(EvalEstimate):
    r"""Imputation DiD estimate (Borusyak, Jaravel & Spiess 2024) with jackknife inference.

    Returned by [`imputation_did`][foundation_eval.impact.imputation.imputation_did]. ``estimate`` is
    the mean of $Y_{it} - \hat Y_{it}(0)$ over the treated observations whose untreated outcome can
    be imputed, in the units of the outcome; ``se`` is the leave-one-cluster-out jackknife SE and the
    interval uses Student-t with ``df`` degrees of freedom. It has every attribute of
    [`EvalEstimate`][foundation_eval.impact.EvalEstimate] and the attributes below.

    Attributes
    ----------
    df : int
        Degrees of freedom of the Student-t interval and p-value.
    counterfactual_mean : float
        Mean imputed untreated outcome $\hat Y_{it}(0)$ of the treated rows in the estimand.
    baseline_mean : float
        Mean outcome of the treated units before go-live (their untreated rows).
    relative, relative_low, relative_high : float
        ``estimate``, ``ci_low`` and ``ci_high`` divided by ``baseline_mean``: a proportional change
        against a stable, observed level (NaN when the baseline is 0).
    n_treated : int
        Treated rows in the estimand (their untreated outcome could be imputed).
    n_untreated : int
        Untreated rows (never treated, or before go-live) the model of step 1 is fitted on.
    n_excluded : int
        Treated rows left out because no untreated row shares their unit or period, or because their
        period has fewer comparison units than ``min_comparisons``.
    n_clusters : int
        Jackknife clusters.
    cells : DataFrame
        One row per treated row in the estimand: ``unit, time, event_time, outcome, imputed, effect,
        weight`` (its weight in the estimand: 1 unless ``att_weights`` was given).
    jackknife : DataFrame
        One row per cluster left out: ``left_out, estimate, counterfactual_mean``.
    dynamic : DataFrame
        The event study (see `event_study`).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"unit": list("aabbccdd"), "t": [0, 1] * 4, "g": [1, 1, 1, 1, 0, 0, 0, 0],
    ...                    "y": [10, 16, 12, 17, 8, 11, 9, 13]})
    >>> res = imputation_did(df, "unit", "t", "g", "y")
    >>> res.cells[["unit", "imputed", "effect"]].round(2).values.tolist()
    [['a', 13.5, 2.5], ['b', 15.5, 1.5]]
    >>> res.baseline_mean, round(res.relative, 3), res.n_treated, res.n_untreated
    (11.0, 0.182, 2, 6)
    """

    df: int = 0
    counterfactual_mean: float = float("nan")
    baseline_mean: float = float("nan")
    relative: float = float("nan")
    relative_low: float = float("nan")
    relative_high: float = float("nan")
    n_treated: int = 0
    n_untreated: int = 0
    n_excluded: int = 0
    n_clusters: int = 0
    cells: pd.DataFrame | None = field(default=None, repr=False)
    jackknife: pd.DataFrame | None = field(default=None, repr=False)
    dynamic: pd.DataFrame | None = field(default=None, repr=False)

    def table(self) -> pd.DataFrame:
        """The estimate as a one-row table.

        Returns
        -------
        DataFrame
            Columns ``name, estimate, se, ci_low, ci_high, df, p_value, counterfactual_mean,
            baseline_mean, relative, relative_low, relative_high, n_treated, n_untreated, n_excluded,
            n_clusters``.
        """
        return pd.DataFrame([{
            "name": self.name, "estimate": self.estimate, "se": self.se, "ci_low": self.ci_low, "ci_high": self.ci_high,
            "df": self.df, "p_value": self.p_value, "counterfactual_mean": self.counterfactual_mean,
            "baseline_mean": self.baseline_mean,
            "relative": self.relative, "relative_low": self.relative_low, "relative_high": self.relative_high,
            "n_treated": self.n_treated, "n_untreated": self.n_untreated, "n_excluded": self.n_excluded,
            "n_clusters": self.n_clusters,
        }])

    def event_study(self) -> pd.DataFrame:
        r"""Average effect by periods since go-live.

        For each event time $e = t - g_i \ge 0$ the mean of $Y_{it} - \hat Y_{it}(0)$ over the
        treated rows with that event time, with its own jackknife SE and Student-t interval on the
        same ``df`` as the overall estimate.

        Returns
        -------
        DataFrame
            Columns ``event_time, att, se, ci_low, ci_high, n`` (``n`` treated rows), one row per
            event time.
        """
        return self.dynamic.copy()

    def plot(self, ax=None):
        """Effect by periods since go-live with jackknife-t intervals and a line at no effect.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new 7 x 3.6 inch figure when None.

        Returns
        -------
        matplotlib Axes
            The axes drawn on.
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(7, 3.6))
        d = self.dynamic
        ax.errorbar(d.event_time, d.att, yerr=[d.att - d.ci_low, d.ci_high - d.att], fmt="o", capsize=3)
        ax.axhline(0, color="0.4", lw=0.8)
        ax.set_xlabel("periods since go-live")
        ax.set_ylabel(f"effect on {self.outcome}")
        return ax


# ==================================================================================================
# the imputation estimator
# ==================================================================================================


def _fe_solve(y, u, t, w, nu: int, nt: int, X=None):
    """Weighted least squares of ``y`` on unit and period dummies and covariates ``X`` (n x p, or None):
    returns ``(a, b, beta)``, whose fitted values ``a[u] + b[t] + X beta`` are the least-squares ones.

    The normal equations are built from group sums, so the cost is ``O(n p + (nu + nt + p)^3)`` at most
    rather than that of a dense n x (nu + nt + p) design (half a million people and 300 districts at
    national scale). The unit block is diagonal and is eliminated first (its Schur complement leaves a
    system of ``nt + p`` unknowns), which is what makes the jackknife and randomisation refits cheap with
    300 districts. The one-dimensional indeterminacy (a constant moved between a and b) leaves every
    fitted value of a connected design unchanged; any other rank deficiency (a disconnected design, a
    unit or period whose rows all have zero weight, covariates collinear with the effects) is solved on
    the full system by its minimum-norm solution instead.
    """
    p = 0 if X is None else X.shape[1]
    k = nu + nt
    du, dt = np.bincount(u, w, nu), np.bincount(t, w, nt)
    C = np.bincount(u * nt + t, w, nu * nt).reshape(nu, nt)
    ru, rt = np.bincount(u, w * y, nu), np.bincount(t, w * y, nt)
    if p:
        wx = X * w[:, None]
        ux = np.column_stack([np.bincount(u, wx[:, j], nu) for j in range(p)])
        tx = np.column_stack([np.bincount(t, wx[:, j], nt) for j in range(p)])
        xx, rx = X.T @ wx, wx.T @ y
    B = np.hstack([C, ux]) if p else C                          # unit rows against periods and covariates
    E = np.diag(np.r_[dt, np.zeros(p)])
    if p:
        E[:nt, nt:], E[nt:, :nt], E[nt:, nt:] = tx, tx.T, xx
    r2 = np.r_[rt, rx] if p else rt
    used_u, used_t = np.bincount(u, minlength=nu) > 0, np.bincount(t, minlength=nt) > 0
    if np.array_equal(used_u, du > 0) and np.array_equal(used_t, dt > 0):
        inv = np.divide(1.0, du, out=np.zeros(nu), where=du > 0)
        S = E - B.T @ (B * inv[:, None])
        sol, _, rank, _ = np.linalg.lstsq(S, r2 - B.T @ (ru * inv), rcond=None)
        if rank == int(used_t.sum()) + p - 1:                   # connected: only the constant is free
            return inv * (ru - B @ sol), sol[:nt], sol[nt:]
    A = np.zeros((k + p, k + p))
    A[np.arange(nu), np.arange(nu)] = du
    A[:nu, nu:], A[nu:, :nu], A[nu:, nu:] = B, B.T, E
    sol = np.linalg.lstsq(A, np.r_[ru, r2], rcond=None)[0]
    return sol[:nu], sol[nu:k], sol[k:]


def impute_untreated(y, u, t, treated, w, nu: int, nt: int, X=None):
    r"""Untreated outcome of every treated row, imputed from unit and period effects fitted to untreated rows.

    The first step of the imputation estimator (Borusyak, Jaravel & Spiess 2024, *Rev Econ Stud*
    91:3253-3285, Theorem 2): weighted least squares of $y$ on unit effects $a_u$, period effects $b_t$
    and covariates $X\beta$ over the untreated rows, then $\hat y_0 = \hat a_u + \hat b_t + X\hat\beta$ for
    each treated row whose unit and period both have an untreated row (the imputable ones).

    Parameters
    ----------
    y : numpy.ndarray
        Outcomes, one per row.
    u, t : numpy.ndarray of int
        Unit and period codes, ``0 .. nu - 1`` and ``0 .. nt - 1``.
    treated : numpy.ndarray of bool
        Whether each row is treated.
    w : numpy.ndarray
        Row weights of the fit.
    nu, nt : int
        Numbers of units and periods.
    X : numpy.ndarray, optional
        Covariates (rows x p).

    Returns
    -------
    ok : numpy.ndarray of bool
        The imputable treated rows.
    y0 : numpy.ndarray
        Imputed untreated outcome on those rows, NaN elsewhere.

    Examples
    --------
    Two units over three periods; unit 1 is treated in the last one. Its untreated outcome is its own
    level (11) plus the period's change seen in unit 0 (3 - 1):

    >>> import numpy as np
    >>> u, t = np.array([0, 0, 0, 1, 1, 1]), np.array([0, 1, 2, 0, 1, 2])
    >>> y = np.array([1.0, 2.0, 3.0, 11.0, 12.0, 99.0])
    >>> ok, y0 = impute_untreated(y, u, t, t * u == 2, np.ones(6), 2, 3)
    >>> ok.tolist(), round(float(y0[5]), 6)
    ([False, False, False, False, False, True], 13.0)
    """
    un = ~treated
    has_u = np.bincount(u[un], minlength=nu) > 0
    has_t = np.bincount(t[un], minlength=nt) > 0
    ok = treated & has_u[u] & has_t[t]
    a, b, beta = _fe_solve(y[un], u[un], t[un], w[un], nu, nt, None if X is None else X[un])
    fit = a[u] + b[t] + (0.0 if X is None else X @ beta)
    y0 = np.where(ok, fit, np.nan)
    return ok, y0


def _enough_comparisons(periods: np.ndarray, units: np.ndarray, treated: np.ndarray, nu: int,
                        min_comparisons: int) -> np.ndarray:
    """Rows whose period has at least ``min_comparisons`` distinct units with an untreated row."""
    if int(min_comparisons) <= 1:
        return np.ones(len(periods), dtype=bool)
    pairs = np.unique(periods[~treated] * nu + units[~treated])
    n_comp = np.bincount(pairs // nu, minlength=int(periods.max()) + 1)
    return n_comp[periods] >= int(min_comparisons)


def _summaries(y, y0, ok, e, v=None):
    """ATT, counterfactual mean and ATT by event time for the imputable treated rows (weights ``v``)."""
    if not ok.any():
        return float("nan"), float("nan"), {}
    tau = y[ok] - y0[ok]
    ev = e[ok]
    vv = np.ones(tau.size) if v is None else v[ok]
    by_e = {int(k): float(np.average(tau[ev == k], weights=vv[ev == k])) for k in np.unique(ev)}
    return float(np.average(tau, weights=vv)), float(np.average(y0[ok], weights=vv)), by_e


class _Rows(NamedTuple):
    u: np.ndarray
    t: np.ndarray
    tr: np.ndarray
    cl: np.ndarray
    e: np.ndarray
    ok: np.ndarray
    X: np.ndarray | None
    y_fit: np.ndarray
    w: np.ndarray
    y_att: np.ndarray
    v: np.ndarray | None


def _merged(u, t, tr, cl, e, ok, X, y, w, v) -> _Rows:
    """The rows with those the jackknife cannot tell apart merged into one.

    Rows alike in unit, period, treatment, cluster, event time, estimand membership and covariates enter
    every replicate's fit through their total weight and weighted mean outcome, and its averages through
    their total estimand weight and the mean outcome under it: the replicates are those of the rows, and a
    person-level frame (half a million people in 300 districts) is refitted 300 times as a few thousand
    cells. Rows that are all unlike are returned as they are.
    """
    keys = {"u": u, "t": t, "tr": tr, "cl": cl, "e": e, "ok": ok}
    if X is not None:
        keys.update({f"x{j}": X[:, j] for j in range(X.shape[1])})
    gid = pd.DataFrame(keys).groupby(list(keys), sort=False, dropna=False).ngroup().to_numpy()
    n = int(gid.max()) + 1 if gid.size else 0
    if n == len(y):
        return _Rows(u, t, tr, cl, e, ok, X, y, w, y, v)
    first = np.unique(gid, return_index=True)[1]
    wt = np.bincount(gid, w, n)
    vt = np.bincount(gid, None if v is None else v, n).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        y_fit = np.where(wt > 0, np.bincount(gid, w * y, n) / wt, 0.0)
        y_att = np.where(vt > 0, np.bincount(gid, y if v is None else v * y, n) / vt, 0.0)
    return _Rows(u[first], t[first], tr[first], cl[first], e[first], ok[first], None if X is None else X[first],
                 y_fit, wt, y_att, vt)


def imputation_did(
    frame: pd.DataFrame,
    unit: str,
    time: str,
    first_treated: str,
    outcome: str,
    *,
    treated: str | None = None,
    cluster: str | None = None,
    fe_weights: str | None = None,
    att_weights: str | None = None,
    covariates: tuple | list = (),
    time_effects: bool = True,
    min_comparisons: int = 1,
    df: int | str = "clusters",
    level: float = 0.95,
    name: str = "did_imputation",
    outcome_label: str | None = None,
    design: str = "staggered difference-in-differences (imputation estimator)",
    estimand: str = "average effect over treated observations from go-live until the last unit goes live",
    comparison: str = "units not yet live, through unit and period effects fitted before go-live",
    assumptions: tuple = DID_ASSUMPTIONS,
    sms_level: int | None = 3,
    diagnostics: tuple = (),
    truth_name: str | None = None,
) -> ImputationResult:
    r"""Imputation difference-in-differences estimator with a leave-one-cluster-out jackknife.

    Borusyak, Jaravel & Spiess (2024), "Revisiting event-study designs: robust and efficient
    estimation", *Review of Economic Studies* 91:3253-3285. With untreated rows $\Omega_0$ (never
    treated, or before the unit's go-live) and treated rows $\Omega_1$:

    1. fit $Y_{it} = \alpha_i + \beta_t + \varepsilon_{it}$ by (weighted) least squares on $\Omega_0$;
    2. impute $\hat Y_{it}(0) = \hat\alpha_i + \hat\beta_t$ for every treated row whose unit and period
       both appear in $\Omega_0$ (the set $\Omega_1^*$; others are left out and counted in
       ``n_excluded``: with not-yet-treated comparisons, periods in which every unit is live cannot be
       imputed);
    3. $\hat\tau = |\Omega_1^*|^{-1} \sum_{(i,t) \in \Omega_1^*} (Y_{it} - \hat Y_{it}(0))$, equal
       weight per treated row (a district-period of a panel, or a person of a person-level frame), or
       the weighted mean with weights ``att_weights`` (Borusyak et al.'s $w_{it}$).

    With ``min_comparisons`` $= k > 1$ the estimand is restricted to treated rows in periods where at
    least $k$ units have untreated rows (comparisons not yet live): a counterfactual resting on one
    comparison unit is the extrapolation of that one unit's noise. The restriction is decided once, on
    the full data, and the jackknife keeps it: each replicate averages the same cells (less those of the
    cluster left out), so the estimand does not change between replicates.

    Borusyak et al. show that this is the efficient linear unbiased estimator under parallel trends
    with homoskedastic, serially uncorrelated errors; it also equals the mean of the treated-row
    coefficients of an OLS regression on unit dummies, period dummies and one dummy per treated row
    (checked in the tests). Its estimand equals the Callaway & Sant'Anna (2021) "simple" aggregate with
    not-yet-treated controls; unlike the latter it uses every pre-go-live period as a baseline rather
    than the period before go-live.

    Inference: the jackknife over clusters (default ``unit``),
    $SE^2 = \frac{G-1}{G}\sum_g (\hat\tau_{(g)} - \bar\tau_{(\cdot)})^2$ where $\hat\tau_{(g)}$ is the
    estimate with cluster $g$ left out, and Student-t critical values with ``df`` degrees of freedom:
    ``"clusters"`` (default) is $G - 1$, ``"cohorts"`` the number of go-live cohorts contributing
    imputable treated rows, or an integer. $G - 1$ is the project's one small-sample rule for every
    design identified by the staggered go-live, chosen on the synthetic force's `realistic` scenario
    (district effects and trends, district-by-quarter shocks, effects that build up and differ by wave,
    people already eligible when the data start): there it kept every staggered design's 95% interval
    within 93-97% coverage, where the cohort rule's 3-4 degrees of freedom over-covered (99-100%);
    `benchmarks/coverage.py`, table in ``benchmarks/README.md``. The relative effect divides the
    estimate and its interval by the mean untreated outcome of the treated units (their level before
    go-live).

    Parameters
    ----------
    frame : DataFrame
        Long data: one row per unit-period (a panel) or per person (with ``unit`` a district and
        ``time`` the person's index period).
    unit, time, first_treated, outcome : str
        Column names. ``time`` and ``first_treated`` are integer period indices; 0 (or missing) in
        ``first_treated`` means never treated. ``outcome`` must have no missing values.
    treated : str, optional
        Boolean column marking treated rows; default ``time >= first_treated`` (first_treated > 0).
    cluster : str, optional
        Jackknife clusters (default ``unit``).
    fe_weights : str, optional
        Weights for the fit of step 1 only (the estimand stays equally weighted).
    att_weights : str, optional
        Weights of the treated rows in the estimand (step 3), e.g. eligible person-months for the
        average effect per person-month rather than per district-period; default equal weights.
    covariates : list of str
        Numeric columns added to the model of step 1 ($+ X_{it}'\gamma$), e.g. the share of a
        person's outcome window that fell in lockdown months (Borusyak et al. 2024, section 4.1).
    time_effects : bool
        Include period effects in step 1 (the DiD). Without them the comparison is each unit's own
        untreated rows only: a before-and-after design with no concurrent comparison group.
    min_comparisons : int
        Treated rows enter the estimand only in periods where at least this many units have untreated
        rows (1: every imputable treated row). Rows left out are counted in ``n_excluded``.
    df : {"clusters", "cohorts"} or int
        Degrees of freedom of the Student-t interval and p-value (see above).
    level : float
        Confidence level of the interval.
    name : str
        Short machine name of the estimate.
    outcome_label : str, optional
        The outcome in words for the summary sentence (default: the column name).
    design, estimand, comparison : str
        Plain-English labels the result carries.
    assumptions : tuple of str
        Identifying assumptions in plain words (default
        [`DID_ASSUMPTIONS`][foundation_eval.impact.imputation.DID_ASSUMPTIONS]).
    sms_level : int or None
        Maryland Scientific Methods Scale level the result carries. The default 3 is a placeholder:
        the evaluation sets it from [`maryland_level`][foundation_eval.impact.maryland.maryland_level]
        with the pre-trend check.
    diagnostics : tuple of (label, text) pairs
        Checks of the design in plain words, carried by the result.
    truth_name : str, optional
        The ``truth.json`` name this estimate is scored against.

    Returns
    -------
    ImputationResult
        The average effect over the treated rows in the estimand (units of ``outcome``) with jackknife
        SE, Student-t interval and p-value, the relative effect, the event study (`event_study()`),
        the imputed cells and the leave-one-out estimates.

    Raises
    ------
    KeyError
        A named column is not in ``frame``.
    ValueError
        ``outcome`` has missing values; there are no treated or no untreated rows; or no treated row
        can be imputed.

    Examples
    --------
    Two treated and two comparison units, one period before and one after (the hand calculation of
    ``tests/test_impact_twfe.py``): the treated units changed by 6 and 5, the comparison units by 3 and
    4, so the difference-in-differences is 5.5 - 3.5 = 2. Leaving out each unit in turn gives 1.5,
    2.5, 1.5 and 2.5, so the jackknife SE is $\sqrt{3/4 \cdot 4 \cdot 0.25} = 0.866$, on
    $G - 1 = 3$ degrees of freedom:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"unit": list("aabbccdd"), "t": [0, 1] * 4, "g": [1, 1, 1, 1, 0, 0, 0, 0],
    ...                    "y": [10, 16, 12, 17, 8, 11, 9, 13]})
    >>> res = imputation_did(df, "unit", "t", "g", "y")
    >>> round(res.estimate, 6), round(res.se, 3), res.df
    (2.0, 0.866, 3)
    >>> res.jackknife.estimate.round(6).tolist()
    [1.5, 2.5, 1.5, 2.5]

    Staggered go-live without noise, effect $1 + e$ in the $e$-th period since go-live: the event study
    recovers every effect exactly, and the estimate is their mean over the 12 treated rows, 26/12:

    >>> rows = [(u, t, g, 2.0 * u + 0.5 * t + ((1 + t - g) if g and t >= g else 0.0))
    ...         for u, g in enumerate([3, 3, 5, 5, 0, 0]) for t in range(1, 7)]
    >>> panel = pd.DataFrame(rows, columns=["unit", "t", "g", "y"])
    >>> res = imputation_did(panel, "unit", "t", "g", "y")
    >>> round(res.estimate, 4), res.n_treated
    (2.1667, 12)
    >>> res.event_study().att.round(6).tolist()
    [1.0, 2.0, 3.0, 4.0]
    """
    cols = ([unit, time, first_treated, outcome] + [c for c in (treated, cluster, fe_weights, att_weights) if c]
            + list(covariates))
    require_columns(frame, cols)
    d = frame[list(dict.fromkeys(cols))].copy()
    if d[outcome].isna().any():
        raise ValueError(f"outcome {outcome!r} has missing values: drop those rows or aggregate to longer periods")
    g = d[first_treated].fillna(0).to_numpy(dtype=np.int64)
    tt = d[time].to_numpy(dtype=np.int64)
    tr = d[treated].to_numpy(dtype=bool) if treated else (g > 0) & (tt >= g)
    u, ulev = pd.factorize(d[unit], sort=True)
    ti, tlev = pd.factorize(d[time], sort=True)
    if not time_effects:
        ti, tlev = np.zeros(len(d), dtype=np.int64), pd.Index([0])
    cl, cllev = pd.factorize(d[cluster] if cluster else d[unit], sort=True)
    y = d[outcome].to_numpy(dtype=float)
    w = d[fe_weights].to_numpy(dtype=float) if fe_weights else np.ones(len(d))
    wv = d[att_weights].to_numpy(dtype=float) if att_weights else None
    X = d[list(covariates)].to_numpy(dtype=float) if len(covariates) else None
    e = np.where(tr, tt - g, 0)
    nu, nt, G = len(ulev), len(tlev), len(cllev)
    if not tr.any() or tr.all():
        raise ValueError("need both treated and untreated rows")
    ok, y0 = impute_untreated(y, u, ti, tr, w, nu, nt, X)
    # periods of the real time axis, also when step 1 has no period effects
    ok = ok & _enough_comparisons(pd.factorize(d[time], sort=True)[0], u, tr, nu, min_comparisons)
    if not ok.any():
        raise ValueError("no treated row can be imputed: no untreated rows share its unit and period"
                         + (f" in a period with at least {int(min_comparisons)} comparison units"
                            if int(min_comparisons) > 1 else ""))
    att, cf, by_e = _summaries(y, y0, ok, e, wv)
    # jackknife over clusters, each replicate on the same estimand cells
    jk_att, jk_cf, jk_e = np.full(G, np.nan), np.full(G, np.nan), []
    m = _merged(u, ti, tr, cl, e, ok, X, y, w, wv)
    for c in range(G):
        keep = m.cl != c
        okc, y0c = impute_untreated(m.y_fit[keep], m.u[keep], m.t[keep], m.tr[keep], m.w[keep], nu, nt,
                                    None if m.X is None else m.X[keep])
        okc = okc & m.ok[keep]
        a_c, cf_c, e_c = _summaries(m.y_att[keep], y0c, okc, m.e[keep], None if m.v is None else m.v[keep])
        jk_att[c], jk_cf[c] = a_c, cf_c
        jk_e.append(e_c)
    good = ~np.isnan(jk_att)
    Gj = int(good.sum())

    def jk_se(vals):
        v = np.asarray(vals, dtype=float)
        v = v[~np.isnan(v)]
        if v.size < 2:
            return float("nan")
        return float(math.sqrt((v.size - 1) / v.size * np.sum((v - v.mean()) ** 2)))

    n_cohorts = int(np.unique(g[ok]).size)
    if df == "cohorts":
        dof = max(n_cohorts, 1)
    elif df == "clusters":
        dof = max(G - 1, 1)
    else:
        dof = int(df)
    crit = t_value(level, dof)
    se = jk_se(jk_att[good])
    units_tr = np.unique(u[ok])
    base_rows = ~tr & np.isin(u, units_tr)
    base = float(y[base_rows].mean()) if base_rows.any() else float("nan")
    pval = float(2 * _st.t.sf(abs(att / se), dof)) if se and se > 0 else float("nan")
    rows = []
    for k, v in sorted(by_e.items()):
        vals = [x.get(k, np.nan) for x, gd in zip(jk_e, good, strict=True) if gd]
        s = jk_se(vals)
        rows.append({"event_time": k, "att": v, "se": s, "ci_low": v - crit * s, "ci_high": v + crit * s,
                     "n": int(((e == k) & ok).sum())})
    dynamic = pd.DataFrame(rows, columns=["event_time", "att", "se", "ci_low", "ci_high", "n"])
    cells = pd.DataFrame({"unit": d[unit].to_numpy()[ok], "time": tt[ok], "event_time": e[ok],
                          "outcome": y[ok], "imputed": y0[ok], "effect": y[ok] - y0[ok],
                          "weight": np.ones(int(ok.sum())) if wv is None else wv[ok]})
    jack = pd.DataFrame({"left_out": cllev.to_numpy(), "estimate": jk_att, "counterfactual_mean": jk_cf})
    notes = (f"{int((tr & ~ok).sum())} treated rows could not be imputed (fewer than {max(int(min_comparisons), 1)} "
             "untreated comparison units in their period) and are outside the estimand." if (tr & ~ok).any() else "",)
    return ImputationResult(
        name=name, estimate=att, se=se, ci_low=att - crit * se, ci_high=att + crit * se, level=level,
        p_value=pval, design=design, estimand=estimand, comparison=comparison, assumptions=tuple(assumptions),
        sms_level=None if sms_level is None else int(sms_level), outcome=outcome_label or outcome,
        interval_method=f"leave-one-cluster-out jackknife SE ({Gj} clusters), Student-t with {dof} df",
        notes=tuple(n for n in notes if n), diagnostics=tuple(diagnostics), n=int(len(d)), truth_name=truth_name,
        df=dof, counterfactual_mean=cf, baseline_mean=base, relative=att / base if base else float("nan"),
        relative_low=(att - crit * se) / base if base else float("nan"),
        relative_high=(att + crit * se) / base if base else float("nan"),
        n_treated=int(ok.sum()), n_untreated=int((~tr).sum()),
        n_excluded=int((tr & ~ok).sum()), n_clusters=G, cells=cells, jackknife=jack, dynamic=dynamic,
    )


def imputation_att(frame: pd.DataFrame, unit: str, time: str, first_treated: str, outcome: str, *,
                   fe_weights: str | None = None, min_comparisons: int = 1) -> float:
    """The point estimate of [`imputation_did`][foundation_eval.impact.imputation.imputation_did] alone.

    The same estimand (equal weight per imputable treated row, restricted to periods with at least
    ``min_comparisons`` comparison units) and the same step-1 weights, without the jackknife: what a
    randomisation test recomputes for each re-assignment of go-live dates.

    Parameters
    ----------
    frame : DataFrame
        Long data, as for `imputation_did`.
    unit, time, first_treated, outcome : str
        Column names, as for `imputation_did`.
    fe_weights : str, optional
        Weights of the step-1 fit.
    min_comparisons : int
        Least number of comparison units in a period for its treated rows to enter the estimand.

    Returns
    -------
    float
        The average imputed effect.

    Raises
    ------
    ValueError
        When no treated row can be imputed.

    Examples
    --------
    >>> df = pd.DataFrame({"unit": list("aabbccdd"), "t": [0, 1] * 4, "g": [1, 1, 1, 1, 0, 0, 0, 0],
    ...                    "y": [10, 16, 12, 17, 8, 11, 9, 13]})
    >>> imputation_att(df, "unit", "t", "g", "y") == imputation_did(df, "unit", "t", "g", "y").estimate
    True
    """
    g = frame[first_treated].fillna(0).to_numpy(dtype=np.int64)
    tt = frame[time].to_numpy(dtype=np.int64)
    tr = (g > 0) & (tt >= g)
    u, ulev = pd.factorize(frame[unit], sort=True)
    ti, tlev = pd.factorize(frame[time], sort=True)
    y = frame[outcome].to_numpy(dtype=float)
    w = frame[fe_weights].to_numpy(dtype=float) if fe_weights else np.ones(len(frame))
    ok, y0 = impute_untreated(y, u, ti, tr, w, len(ulev), len(tlev))
    ok = ok & _enough_comparisons(ti, u, tr, len(ulev), min_comparisons)
    if not ok.any():
        raise ValueError("no treated row can be imputed")
    return float(np.mean(y[ok] - y0[ok]))
