"""Cox proportional-hazards model (Efron ties, start/stop data, strata, case weights, cluster-robust
errors, Schoenfeld-residual test) on one row per person or on counting-process data.

Part of [`foundation_eval.models.reoffending`][foundation_eval.models.reoffending]; import from there.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.checks import require_columns
from foundation_eval.models.reoffending._common import (
    as_durations,
    as_events,
    as_list,
    as_weights,
    design_matrix,
    km_arrays,
    set_readonly,
)
from foundation_eval.results import Result
from foundation_eval.stats import z_value

__all__ = [
    "CONFOUNDING_WARNING",
    "CoxResult",
    "cox",
    "cox_time_varying",
]


CONFOUNDING_WARNING = (
    "This hazard ratio compares time spent engaged (or referred) with time not engaged. People "
    "choose whether to engage, and those who engage differ from those who do not in ways that also "
    "affect reoffending (risk, motivation, stability), so the comparison is confounded: it describes "
    "an association, not the effect of engagement. Adjust for measured confounders (for example with "
    "inverse-probability weights) and read the result as suggestive, not causal."
)
"""Plain-English caution carried by Cox results for self-selected exposures (engagement, referral)."""


# R survival's coxph.control(toler.chol): pivots below this share of their diagonal count as zero
_TOLER = float(np.finfo(float).eps ** 0.75)


def _degenerate(info: np.ndarray, diag0: np.ndarray) -> bool:
    """Whether the information is singular in practice: not finite, a coefficient's information below
    `_TOLER` of its value at beta = 0 (or not positive), or the information scaled to unit diagonal with
    an eigenvalue below `_TOLER` (collinear covariates). Well-posed fits are many orders of magnitude
    away from these bounds, so rounding never decides them."""
    d = np.diag(info)
    if not np.all(np.isfinite(info)) or np.any(d <= _TOLER * np.maximum(diag0, 0)) or np.any(d <= 0):
        return True
    s = np.sqrt(d)
    return bool(np.linalg.eigvalsh(info / np.outer(s, s))[0] < _TOLER)


# rows per block of the products over rows: temporaries of a national panel (a million rows by
# thirty covariates) stay a few megabytes instead of a copy of the design each
_BLOCK = 1 << 16


class _CoxEngine:
    """Efron partial likelihood for (start, stop] data, vectorised over rows.

    Every quantity is built from sums over risk sets R_j = {i : start_i < t_j <= stop_i} at the distinct
    event times t_j of each stratum. A row is at risk on the contiguous block of event-time indices
    [a_i, b_i), so a risk-set sum is a difference array + cumulative sum (O(n) per covariate), and a
    sum over event times of c_j * (risk-set matrix sums) is X' diag(r_i * C_i) X with C_i the sum of c_j
    over the row's block. Efron's correction for d_j tied events uses, for k = 0..d_j-1,
    S0_jk = S0_j - (k/d_j) D0_j (D = the sums over the tied events) with weight meanwt_j = sum(w)/d_j,
    as in R ``survival`` (Therneau & Grambsch 2000, sec. 3.3).

    ``X`` is centred in place unless ``copy`` (centring changes nothing but rounding); products over
    rows are taken `_BLOCK` rows at a time.
    """

    def __init__(self, start, stop, event, X, weights, strata, copy: bool = True):
        X = np.array(X, dtype=float, copy=True) if copy else np.asarray(X, dtype=float)
        X -= (weights @ X) / weights.sum()  # the weighted mean, without np.average's n x p product
        self.X = X
        self.w = weights
        self.event = event.astype(bool)
        n, p = X.shape
        self.n, self.p = n, p
        codes, self.strata_levels = pd.factorize(strata, sort=True)
        ev_times, offsets = [], [0]
        a = np.empty(n, dtype=np.int64)
        b = np.empty(n, dtype=np.int64)
        by_stratum = np.argsort(codes, kind="stable")
        ends = np.cumsum(np.bincount(codes, minlength=len(self.strata_levels)))
        for s in range(len(self.strata_levels)):
            sel = by_stratum[(ends[s - 1] if s else 0):ends[s]]
            ts = np.unique(stop[sel[self.event[sel]]])
            a[sel] = offsets[-1] + np.searchsorted(ts, start[sel], side="right")
            b[sel] = offsets[-1] + np.searchsorted(ts, stop[sel], side="right")
            ev_times.append(ts)
            offsets.append(offsets[-1] + ts.size)
        self.m = offsets[-1]
        if self.m == 0:
            raise ValueError("there are no events: a Cox model cannot be fitted")
        self.a, self.b = a, b
        self.event_time = np.concatenate(ev_times)
        self.dead = np.flatnonzero(self.event)
        self.jd = b[self.dead] - 1  # event-time index of each event row
        self.d = np.bincount(self.jd, minlength=self.m).astype(float)
        self.dw = np.bincount(self.jd, weights=weights[self.dead], minlength=self.m)
        self.meanwt = self.dw / self.d
        # Efron expansion: one entry per (event time, k) pair
        d_int = self.d.astype(np.int64)
        self.jj = np.repeat(np.arange(self.m), d_int)
        first = np.concatenate([[0], np.cumsum(d_int)[:-1]])
        self.frac = (np.arange(self.jj.size) - first[self.jj]) / self.d[self.jj]
        self.mw = self.meanwt[self.jj]
        self.X_dead = X[self.dead]
        self.w_dead = weights[self.dead]
        # the risk-set differences as one sparse (m + 1) x n matrix: +1 at (a_i, i), -1 at (b_i, i)
        rows = np.concatenate([a, b])
        order = np.argsort(rows, kind="stable")
        self._edge_col = np.concatenate([np.arange(n), np.arange(n)])[order]
        self._edge_sign = np.where(order < n, 1.0, -1.0).astype(np.float32)
        self._edge_ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=self.m + 1))])

    def _blocks(self):
        for lo in range(0, self.n, _BLOCK):
            yield slice(lo, min(lo + _BLOCK, self.n))

    # -- helpers ---------------------------------------------------------------------------------
    def _block_sum(self, v: np.ndarray) -> np.ndarray:
        """sum over rows at risk at each event time of v (n,) -> (m,)."""
        diff = np.bincount(self.a, v, self.m + 1) - np.bincount(self.b, v, self.m + 1)
        return np.cumsum(diff)[: self.m]

    def _weighted_block_sum(self, r: np.ndarray) -> np.ndarray:
        """sum over rows at risk at each event time of r_i * X_i -> (m, p), without an n x p temporary."""
        from scipy import sparse

        edges = sparse.csr_matrix((self._edge_sign * r[self._edge_col], self._edge_col, self._edge_ptr),
                                  shape=(self.m + 1, self.n))
        return np.cumsum(edges @ self.X, axis=0)[: self.m]

    @staticmethod
    def _running(c: np.ndarray) -> np.ndarray:
        """0 then the running sums of c over event times: the sum over [a, b) is cc[b] - cc[a]."""
        return np.concatenate([np.zeros((1, *c.shape[1:])), np.cumsum(c, axis=0)])

    def _interval_total(self, c: np.ndarray, rows=slice(None), running: bool = False) -> np.ndarray:
        """for each row (of ``rows``), sum of c_j over the event times at which it is at risk
        (``c`` already `_running` when ``running``)."""
        cc = c if running else self._running(c)
        return cc[self.b[rows]] - cc[self.a[rows]]

    def _pieces(self, beta):
        eta = self.X @ beta
        shift = eta.max()
        r = self.w * np.exp(eta - shift)
        S0 = self._block_sum(r)
        S1 = self._weighted_block_sum(r)
        r_dead = r[self.dead]
        D0 = np.bincount(self.jd, r_dead, self.m)
        D1 = np.column_stack([np.bincount(self.jd, r_dead * self.X_dead[:, k], self.m) for k in range(self.p)])
        S0k = S0[self.jj] - self.frac * D0[self.jj]
        xbar = (S1[self.jj] - self.frac[:, None] * D1[self.jj]) / S0k[:, None]
        return eta, shift, r, S0k, xbar

    def loglik(self, beta) -> float:
        eta, shift, r, S0k, xbar = self._pieces(beta)
        return float(self.w[self.dead] @ (eta[self.dead] - shift) - self.mw @ np.log(S0k))

    def _info(self, r, S0k, xbar, c=None):
        """sum_j c_j * (Efron information contribution of event time j); c = 1 by default."""
        h = self.mw / S0k
        cj = np.ones(self.m) if c is None else c
        A = np.bincount(self.jj, h, self.m) * cj
        B = np.bincount(self.jj, h * self.frac, self.m) * cj
        wr = r * self._interval_total(A)
        info = np.zeros((self.p, self.p))
        for rows in self._blocks():
            Xb = self.X[rows]
            info += (Xb * wr[rows, None]).T @ Xb
        info -= (self.X_dead * (r[self.dead] * B[self.jd])[:, None]).T @ self.X_dead
        info -= (xbar * (self.mw * cj[self.jj])[:, None]).T @ xbar
        return info

    def score_info(self, beta):
        eta, shift, r, S0k, xbar = self._pieces(beta)
        ll = float(self.w[self.dead] @ (eta[self.dead] - shift) - self.mw @ np.log(S0k))
        score = self.w_dead @ self.X_dead - (self.mw[:, None] * xbar).sum(axis=0)
        return ll, score, self._info(r, S0k, xbar)

    def fit(self, max_iter: int = 50, tol: float = 1e-10):
        """Newton-Raphson with step halving from beta = 0.

        Collinear covariates (the information at zero singular to R's ``toler.chol``) raise. A fit whose
        information about some coefficient collapses on the way (separation: the coefficient runs to
        infinity) stops and is reported as not converged, whether or not the solver could still
        invert the matrix, so the verdict does not depend on the machine's rounding.
        """
        beta = np.zeros(self.p)
        ll, score, info = self.score_info(beta)
        ll0 = ll
        diag0 = np.diag(info).copy()
        if _degenerate(info, diag0):
            raise ValueError("the information matrix is singular: covariates are collinear or a "
                             "covariate does not vary within the event risk sets")
        converged = False
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            try:
                step = np.linalg.solve(info, score)
            except np.linalg.LinAlgError:
                break
            new = beta + step
            ll_new, score_new, info_new = self.score_info(new)
            halvings = 0
            while (not np.isfinite(ll_new) or ll_new < ll - 1e-12) and halvings < 30:
                step /= 2
                new = beta + step
                ll_new, score_new, info_new = self.score_info(new)
                halvings += 1
            done = abs(ll_new - ll) <= tol * (abs(ll) + 1) and np.max(np.abs(step)) < 1e-6
            beta, ll, score, info = new, ll_new, score_new, info_new
            if _degenerate(info, diag0):
                break
            if done:
                converged = True
                break
        if not converged:
            warnings.warn("Cox model did not converge (possible separation: a covariate predicts the "
                          "events perfectly); estimates and SEs are unreliable", RuntimeWarning, stacklevel=3)
        return beta, ll, ll0, info, converged, n_iter

    def score_residual_blocks(self, beta):
        """Efron score residuals per row (R ``residuals(fit, "score")``; Therneau & Grambsch 2000,
        sec. 4.6), `_BLOCK` rows at a time: yields (rows, residuals of those rows); w_i * resid_i
        sums to the score, which is 0 at the MLE."""
        eta, shift, r, S0k, xbar = self._pieces(beta)
        r = np.exp(eta - shift)  # R's coxscore2 / agscore use exp(eta) here; case weights enter via w * resid
        h = self.mw / S0k
        H = np.bincount(self.jj, h, self.m)
        G = np.column_stack([np.bincount(self.jj, h * xbar[:, k], self.m) for k in range(self.p)])
        Bf = np.bincount(self.jj, h * self.frac, self.m)
        GB = np.column_stack([np.bincount(self.jj, h * self.frac * xbar[:, k], self.m) for k in range(self.p)])
        xbb = np.column_stack([np.bincount(self.jj, xbar[:, k], self.m) for k in range(self.p)]) / self.d[:, None]
        H, G = self._running(H), self._running(G)
        for rows in self._blocks():
            CH = self._interval_total(H, rows, running=True)
            CG = self._interval_total(G, rows, running=True)
            lo, hi = np.searchsorted(self.dead, [rows.start, rows.stop])
            dead, jd = self.dead[lo:hi] - rows.start, self.jd[lo:hi]
            CH[dead] -= Bf[jd]
            CG[dead] -= GB[jd]
            resid = -r[rows, None] * (self.X[rows] * CH[:, None] - CG)
            resid[dead] += self.X_dead[lo:hi] - xbb[jd]
            yield rows, resid

    def score_residuals(self, beta) -> np.ndarray:
        """Efron score residuals per row, as one n x p array (see `score_residual_blocks`)."""
        return np.vstack([resid for _, resid in self.score_residual_blocks(beta)])

    def score_meat(self, beta, weights, counts, cluster_codes=None, n_clusters=0) -> np.ndarray:
        """sum_c U_c U_c' of the weighted score residuals, U_c summed over cluster c's rows (a collapsed
        row's copies share its cluster), or each copy its own cluster without ``cluster_codes``."""
        from scipy import sparse

        if cluster_codes is None:
            meat = np.zeros((self.p, self.p))
            for rows, resid in self.score_residual_blocks(beta):
                resid *= weights[rows, None]
                meat += (resid * counts[rows, None]).T @ resid
            return meat
        U = np.zeros((n_clusters, self.p))
        wc = weights * counts
        for rows, resid in self.score_residual_blocks(beta):
            k = rows.stop - rows.start
            member = sparse.csr_matrix((wc[rows], (cluster_codes[rows], np.arange(k))), shape=(n_clusters, k))
            U += member @ resid
        return U.T @ U

    def zph(self, beta, gtime: np.ndarray, terms: dict[str, list[int]]):
        """Score test for adding x * g(t) for each term, and for all at once (R ``cox.zph``,
        survival >= 3.0; Grambsch & Therneau 1994)."""
        eta, shift, r, S0k, xbar = self._pieces(beta)
        g = np.bincount(self.jd, gtime[self.dead], self.m) / self.d  # g is constant within an event time
        per_time = np.column_stack([np.bincount(self.jd, self.w_dead * self.X_dead[:, k], self.m) -
                                    np.bincount(self.jj, self.mw * xbar[:, k], self.m) for k in range(self.p)])
        u2 = g @ per_time
        i11 = self._info(r, S0k, xbar)
        i12 = self._info(r, S0k, xbar, g)
        i22 = self._info(r, S0k, xbar, g * g)
        p = self.p
        imat = np.block([[i11, i12], [i12, i22]])
        u_full = np.concatenate([np.zeros(p), u2])
        out = []
        for name, cols in terms.items():
            kk = list(range(p)) + [p + c for c in cols]
            u = u_full[kk]
            stat = float(u @ np.linalg.solve(imat[np.ix_(kk, kk)], u))
            out.append((name, stat, len(cols)))
        out.append(("GLOBAL", float(u_full @ np.linalg.solve(imat, u_full)), p))
        return out


# ----------------------------------------------------------------------------------------------
# Cox results and public functions
# ----------------------------------------------------------------------------------------------


def _time_transform(kind: str, start: np.ndarray, stop: np.ndarray, event: np.ndarray,
                    counts: np.ndarray | None = None) -> np.ndarray:
    """g(t) for the PH test, evaluated at each row's stop time (as R ``cox.zph``); ``counts`` as for
    `cox_time_varying`, so collapsed rows give the g(t) of the rows they stand for."""
    if kind == "km":
        # left-continuous pooled Kaplan-Meier: 1 - S(t-)
        entry = None if np.all(np.isneginf(start)) else np.where(np.isneginf(start), -np.inf, start)
        times, _, _, _, surv, _ = km_arrays(stop, event.astype(float), entry, counts)
        idx = np.searchsorted(times, stop, side="left")  # number of distinct times strictly below t
        return 1.0 - np.concatenate([[1.0], surv])[idx]
    if kind == "rank":
        if counts is not None:
            raise ValueError("transform='rank' is not defined for collapsed rows; use 'km', 'identity' or 'log'")
        return _st.rankdata(stop)
    if kind == "identity":
        return stop.astype(float)
    if kind == "log":
        if (stop <= 0).any():
            raise ValueError("transform='log' needs positive times")
        return np.log(stop)
    raise ValueError(f"transform must be 'km', 'rank', 'identity' or 'log', got {kind!r}")


@dataclass(frozen=True)
class CoxResult(Result):
    """Fitted Cox model (see `cox` and `cox_time_varying`).

    Attributes
    ----------
    covariates : tuple of str
        Column names of the design (text covariates appear as ``name[level]``).
    coef, se : ndarray
        Log hazard ratios and their standard errors (robust if ``robust``).
    cov : ndarray
        Covariance matrix of ``coef`` (robust sandwich if ``robust``).
    model_se : ndarray
        Model-based (inverse-information) standard errors, kept for comparison.
    n, events : int
        People (for start/stop data, distinct ids) and events used.
    n_clusters : int or None
    loglik, loglik_null : float
        Partial log-likelihood at the estimate and at beta = 0.
    concordance : float
        Harrell's C of the linear predictor (NaN for start/stop data).
    confounding_warning : str or None
        Plain-English caution for self-selected exposures (engagement, referral).

    Examples
    --------
    >>> from lifelines.datasets import load_rossi            # Rossi et al. (1980), 432 released prisoners
    >>> rossi = load_rossi()
    >>> fit = cox(rossi, "week", "arrest", ["fin", "age", "race", "wexp", "mar", "paro", "prio"])
    >>> round(float(fit.hr[0]), 3), fit.events
    (0.684, 114)
    """

    covariates: tuple
    coef: np.ndarray
    se: np.ndarray
    cov: np.ndarray
    model_se: np.ndarray
    level: float
    n: int
    events: int
    n_clusters: int | None
    robust: bool
    loglik: float
    loglik_null: float
    concordance: float
    converged: bool
    n_iter: int
    ties: str = "efron"
    confounding_warning: str | None = None
    _engine: Any = field(default=None, repr=False, compare=False)
    _ph: Any = field(default=None, repr=False, compare=False)

    @property
    def hr(self) -> np.ndarray:
        """Hazard ratios, ``exp(coef)``."""
        return np.exp(self.coef)

    def table(self) -> pd.DataFrame:
        """The coefficients as a table.

        Returns
        -------
        DataFrame
            Indexed by covariate; ``coef, se, hr, hr_low, hr_high, p`` (Wald interval and test, normal
            reference; robust when the model was fitted with ``cluster``).
        """
        z = z_value(self.level)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = 2 * _st.norm.sf(np.abs(self.coef / self.se))
        out = pd.DataFrame({
            "coef": self.coef, "se": self.se, "hr": np.exp(self.coef), "hr_low": np.exp(self.coef - z * self.se),
            "hr_high": np.exp(self.coef + z * self.se), "p": p,
        }, index=pd.Index(list(self.covariates), name="covariate"))
        return out

    def likelihood_ratio_test(self) -> tuple[float, int, float]:
        """Likelihood-ratio test of the model against beta = 0 (model-based, not robust).

        Returns
        -------
        statistic : float
            Likelihood-ratio statistic, twice the log partial likelihood of the fit minus that at beta = 0.
        df : int
            Degrees of freedom, the number of coefficients.
        p : float
            Chi-squared p-value.
        """
        stat = 2 * (self.loglik - self.loglik_null)
        df = len(self.covariates)
        return float(stat), df, float(_st.chi2.sf(stat, df))

    def ph_test(self, transform: str = "km") -> pd.DataFrame:
        r"""Test of proportional hazards from scaled Schoenfeld residuals, per covariate and global.

        For each covariate (a text covariate's indicators together) it is the score test for adding
        $x \cdot g(t)$ to the model, with g the transformed time centred at the event mean
        (Grambsch & Therneau 1994, *Biometrika* 81:515). This is exactly the test of R
        ``survival::cox.zph`` from version 3.0 (2019) on; earlier versions and lifelines'
        ``proportional_hazard_test`` use an approximation to it and give somewhat different numbers.

        Parameters
        ----------
        transform : {"km", "rank", "identity", "log"}
            g(t). "km" (R's default) is 1 - S(t-) of the pooled Kaplan-Meier curve.

        Returns
        -------
        DataFrame
            Indexed by covariate plus ``"GLOBAL"``, with columns ``statistic``, ``df``, ``p``. A small p
            suggests the hazard ratio changes over follow-up.
        """
        ph = self._ph
        if ph is None:
            raise ValueError("this result holds no data for the PH test")
        g = _time_transform(transform, ph["start"], ph["stop"], ph["event"], ph.get("counts"))
        g = g - g[ph["event"] == 1].mean()
        rows = self._engine.zph(self.coef, g, ph["terms"])
        out = pd.DataFrame(rows, columns=["covariate", "statistic", "df"]).set_index("covariate")
        out["p"] = _st.chi2.sf(out["statistic"], out["df"])
        return out

    def plot(self, ax=None):
        """Forest plot of hazard ratios with intervals on a log axis.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import forest_plot

        tab = self.table()
        return forest_plot(tab["hr"], tab["hr_low"], tab["hr_high"], tab.index, reference=1.0, log=True,
                           xlabel=f"hazard ratio ({self.level:.0%} interval)", color="black", ax=ax, figsize=(6, 4))


def _prefix_less_equal(ranks_in_order: np.ndarray, pos: np.ndarray, x: np.ndarray):
    """For each query q: among the first pos[q] entries of ranks_in_order, how many are < x[q] and how
    many == x[q]. Merge-sort tree evaluated level by level (vectorised over queries)."""
    n = ranks_in_order.size
    R = int(ranks_in_order.max()) + 2
    less = np.zeros(pos.size)
    equal = np.zeros(pos.size)
    idx = np.arange(n, dtype=np.int64)
    L = 0
    while (1 << L) <= n:
        size = 1 << L
        key = np.sort((idx >> L) * R + ranks_in_order)
        sel = np.flatnonzero((pos >> L) & 1)
        if sel.size:
            b = (pos[sel] >> L) - 1
            lo = np.searchsorted(key, b * R + x[sel], side="left")
            hi = np.searchsorted(key, b * R + x[sel], side="right")
            less[sel] += lo - b * size
            equal[sel] += hi - lo
        L += 1
    return less, equal


def _harrell_c(time: np.ndarray, event: np.ndarray, risk: np.ndarray, strata=None) -> float:
    """Harrell's C: among pairs where the shorter time ended in an event (a censoring at the same time
    counts as longer), the share in which the higher risk score failed first; tied scores count 1/2.
    Pairs are formed within strata. O(n log^2 n)."""
    n = time.size
    s = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata, dtype=np.int64)
    tr = np.unique(time, return_inverse=True)[1].astype(np.int64)
    k = 2 * tr + (1 - event)
    order = np.lexsort((-k, s))  # by stratum, then key descending
    ks, ss = k[order], s[order]
    rank = np.unique(risk, return_inverse=True)[1].astype(np.int64)
    rr = rank[order]
    ev = np.flatnonzero(event == 1)
    # rows comparable with event i: same stratum and k_j > 2 * tr_i, i.e. a contiguous range
    first = np.searchsorted(ss, s[ev], side="left")
    composite = ss * (2 * n + 4) + (2 * n + 2 - ks)  # increasing along `order`
    last = np.searchsorted(composite, s[ev] * (2 * n + 4) + (2 * n + 2 - 2 * tr[ev]), side="left")
    x = rank[ev]
    less, equal = _prefix_less_equal(rr, np.concatenate([last, first]), np.concatenate([x, x]))
    m = ev.size
    comparable = float((last - first).sum())
    if comparable == 0:
        return float("nan")
    return float(((less[:m] - less[m:]).sum() + 0.5 * (equal[:m] - equal[m:]).sum()) / comparable)


def _fit_cox(start, stop, event, X, names, terms, weights, strata, cluster, level, concordance_data, counts=None):
    n = stop.size
    w = np.ones(n) if weights is None else weights
    c = np.ones(n) if counts is None else counts
    s = np.zeros(n, dtype=np.int64) if strata is None else strata
    eng = _CoxEngine(start, stop, event, X, w * c, s, copy=False)  # X is this fit's own: centred in place
    beta, ll, ll0, info, converged, it = eng.fit()
    model_cov = np.linalg.inv(info)
    robust = cluster is not None or weights is not None
    n_clusters = None
    if robust:
        if cluster is not None:
            codes, uniq = pd.factorize(cluster)
            n_clusters = len(uniq)
            meat = eng.score_meat(beta, w, c, codes, n_clusters)
        else:
            meat = eng.score_meat(beta, w, c)
        cov = model_cov @ meat @ model_cov
    else:
        cov = model_cov
    se = np.sqrt(np.diag(cov))
    model_se = np.sqrt(np.diag(model_cov))
    conc = float("nan")
    if concordance_data is not None:
        dur, ev = concordance_data
        conc = _harrell_c(dur, ev, eng.X @ beta, strata)  # ranks: the centring shifts every risk alike
    ph = {"start": start, "stop": stop, "event": event, "terms": terms, "counts": counts}
    set_readonly(beta, se, cov, model_se)
    return dict(covariates=tuple(names), coef=beta, se=se, cov=cov, model_se=model_se, level=level,
                events=int(event.sum()), n_clusters=n_clusters, robust=robust, loglik=ll, loglik_null=ll0,
                concordance=conc, converged=converged, n_iter=it, _engine=eng, _ph=ph)


def cox(frame: pd.DataFrame, duration: str, event: str, covariates, cluster: str | None = None,
        strata=None, weights: str | None = None, level: float = 0.95) -> CoxResult:
    r"""Cox proportional-hazards model with Efron's handling of tied times.

    $$
    h(t \mid x) = h_0(t)\, e^{x^\top \beta}
    $$

    fitted by Newton-Raphson on Efron's (1977) approximation to the partial likelihood, as R
    ``coxph`` does by default (Breslow's approximation is biased towards 0 when many times are tied,
    e.g. follow-up in whole weeks or months).

    Standard errors are model-based (inverse information) unless ``cluster`` or ``weights`` is given,
    in which case they are the robust sandwich $I^{-1} (\sum_c U_c U_c^\top) I^{-1}$ with
    $U_c$ the sum over cluster c of weighted Efron score residuals (Lin & Wei 1989; identical
    to R ``coxph(..., cluster = id)`` / ``robust = TRUE``; no small-sample factor). With weights and
    no cluster each row is its own cluster, as for inverse-probability weights, where the sandwich
    is conservative (Hernan, Brumback & Robins 2000).

    Parameters
    ----------
    frame : DataFrame
        One row per person.
    duration, event : str
        Column names: time to event or censoring (>= 0) and the 0/1 event indicator.
    covariates : list of str
        Numeric or boolean columns enter as they are; text or categorical columns as indicators of
        each level against the first.
    cluster : str, optional
        Column of cluster labels (e.g. district, or person for repeated spells).
    strata : str or list of str, optional
        Columns defining strata with separate baseline hazards.
    weights : str, optional
        Column of non-negative case weights (e.g. from `ipw_weights`).
    level : float
        Confidence level for the hazard-ratio intervals.

    Returns
    -------
    CoxResult
        ``table()`` indexed by covariate with columns coef, se, hr, hr_low, hr_high, p; also
        ``concordance`` (Harrell's C), ``n``, ``events``, ``ph_test()`` and ``plot()``.

    Examples
    --------
    Fox (2002), Rossi recidivism data, Efron ties: coefficient of ``fin`` -0.37942 (SE 0.19138),
    likelihood-ratio test 33.27 on 7 df:

    >>> from lifelines.datasets import load_rossi            # Rossi et al. (1980), 432 released prisoners
    >>> rossi = load_rossi()
    >>> fit = cox(rossi, "week", "arrest", ["fin", "age", "race", "wexp", "mar", "paro", "prio"])
    >>> fit.table().loc["fin", ["coef", "se"]].round(5).tolist()
    [-0.37942, 0.19138]
    >>> stat, df, p = fit.likelihood_ratio_test()
    >>> round(stat, 2), df
    (33.27, 7)

    With errors clustered (here on an arbitrary grouping, for illustration):

    >>> rossi["group"] = rossi.index % 20
    >>> robust = cox(rossi, "week", "arrest", ["fin", "prio"], cluster="group")
    >>> robust.n_clusters, robust.robust
    (20, True)
    """
    strata_cols = as_list(strata)
    cols = [duration, event, *as_list(covariates), *strata_cols]
    cols += [c for c in (cluster, weights) if c is not None]
    require_columns(frame, list(dict.fromkeys(cols)), complete=True)
    z_value(level)
    t = as_durations(frame[duration].to_numpy(), f"column {duration!r}")
    e = as_events(frame[event].to_numpy(), t.size, f"column {event!r}")
    X, names, terms = design_matrix(frame, covariates)
    w = as_weights(frame[weights].to_numpy(), t.size, f"column {weights!r}") if weights else None
    s = None
    if strata_cols:
        s = pd.factorize(pd.MultiIndex.from_frame(frame[strata_cols]) if len(strata_cols) > 1
                         else frame[strata_cols[0]])[0]
    cl = frame[cluster].to_numpy() if cluster else None
    fit = _fit_cox(np.full(t.size, -np.inf), t, e, X, names, terms, w, s, cl, level, (t, e))
    return CoxResult(n=int(t.size), **fit)


def cox_time_varying(long_frame: pd.DataFrame, id: str, start: str, stop: str, event: str, covariates,
                     cluster: str | None = None, weights: str | None = None, strata=None,
                     level: float = 0.95, *, self_selected: bool = True, counts: str | None = None) -> CoxResult:
    """Cox model on start/stop (counting-process) data, for covariates that change over follow-up,
    such as being engaged with the programme or having started a referral.

    Each row is an interval (start, stop] during which the covariates are constant; ``event`` is 1
    on the row whose ``stop`` is the event time. A person is in the risk set at time t on the row
    with start < t <= stop (Andersen & Gill 1982). The estimator, ties (Efron), robust errors and
    strata are those of `cox`; splitting a person's follow-up into pieces with unchanged
    covariates gives exactly the same fit.

    For recurrent events (several events per person) pass ``cluster=id`` so the standard errors
    allow for the dependence between a person's events (Lin, Wei, Yang & Ying 2000).

    A time-varying *exposure* that people choose (engagement, referral take-up) is confounded:
    unless ``self_selected=False`` the result carries `CONFOUNDING_WARNING` as
    ``confounding_warning``, to be shown beside the estimate.

    Parameters
    ----------
    long_frame : DataFrame
        One row per person-interval.
    id : str
        Person identifier; a person's intervals must not overlap.
    start, stop : str
        Interval ends, 0 <= start < stop.
    event, covariates, cluster, weights, strata, level
        As for `cox`.
    self_selected : bool
        Whether the exposure is chosen by the people themselves (engagement, referral): the result
        then carries `CONFOUNDING_WARNING`.
    counts : str, optional
        Column saying how many identical rows each row stands for (frequency weights): rows without
        an event that share stratum, cluster, interval and covariates may be collapsed into one, which
        leaves the partial likelihood, the estimates, the model-based and cluster-robust errors and the
        PH test exactly as on the uncollapsed rows (a national person-month panel of 20 million rows
        collapses about tenfold). Rows with an event must stand for themselves (count 1), since
        Efron's handling of ties counts tied events.

    Returns
    -------
    CoxResult
        ``n`` counts people (distinct ids; with ``counts``, the rows stood for, so pass a person
        count yourself where it matters); ``concordance`` is NaN (not defined here).

    Examples
    --------
    One interval per person gives the ordinary Cox model:

    >>> from lifelines.datasets import load_rossi            # Rossi et al. (1980), 432 released prisoners
    >>> rossi = load_rossi()
    >>> rossi["id"], rossi["start"] = range(len(rossi)), 0
    >>> tv = cox_time_varying(rossi, "id", "start", "week", "arrest", ["fin", "age", "prio"])
    >>> fixed = cox(rossi, "week", "arrest", ["fin", "age", "prio"])
    >>> bool(np.allclose(tv.coef, fixed.coef))
    True
    """
    strata_cols = as_list(strata)
    cols = [id, start, stop, event, *as_list(covariates), *strata_cols]
    cols += [c for c in (cluster, weights, counts) if c is not None]
    require_columns(long_frame, list(dict.fromkeys(cols)), "long_frame", complete=True)
    z_value(level)
    t0 = as_durations(long_frame[start].to_numpy(), f"column {start!r}")
    t1 = as_durations(long_frame[stop].to_numpy(), f"column {stop!r}")
    bad = t1 <= t0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"every interval needs start < stop; row {long_frame.index[i]!r} has start {t0[i]} "
                         f"and stop {t1[i]}")
    e = as_events(long_frame[event].to_numpy(), t1.size, f"column {event!r}")
    ids = long_frame[id].to_numpy()
    person = pd.factorize(ids)[0]  # whole numbers sort far faster than identifiers
    order = np.lexsort((t0, person))
    same = person[order][1:] == person[order][:-1]
    overlap = same & (t0[order][1:] < t1[order][:-1])
    if overlap.any():
        i = order[1:][overlap][0]
        raise ValueError(f"intervals of id {ids[i]!r} overlap (row {long_frame.index[i]!r}); each person's "
                         "(start, stop] intervals must be disjoint")
    X, names, terms = design_matrix(long_frame, covariates)
    w = as_weights(long_frame[weights].to_numpy(), t1.size, f"column {weights!r}") if weights else None
    s = None
    if strata_cols:
        s = pd.factorize(pd.MultiIndex.from_frame(long_frame[strata_cols]) if len(strata_cols) > 1
                         else long_frame[strata_cols[0]])[0]
    cl = long_frame[cluster].to_numpy() if cluster else None
    c = None
    if counts:
        c = np.asarray(long_frame[counts], dtype=float)
        bad = ~(np.isfinite(c) & (c >= 1) & (c == np.round(c)))
        if bad.any():
            raise ValueError(f"column {counts!r} must hold whole numbers >= 1; rows {list(long_frame.index[bad][:5])} "
                             "do not")
        bad = (c > 1) & (e == 1)
        if bad.any():
            raise ValueError(f"column {counts!r}: a row with an event must stand for itself (count 1); rows "
                             f"{list(long_frame.index[bad][:5])} have an event and a count above 1")
    fit = _fit_cox(t0, t1, e, X, names, terms, w, s, cl, level, None, c)
    return CoxResult(n=int(c.sum()) if c is not None else int(pd.unique(ids).size),
                     confounding_warning=CONFOUNDING_WARNING if self_selected else None, **fit)
