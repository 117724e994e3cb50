r"""Sensitivity of an event study to violations of parallel trends (Rambachan & Roth 2023).

Rambachan, A. & Roth, J. (2023). A more credible approach to parallel trends. *Review of Economic
Studies* 90(5):2555-2591. The inputs are those of the R package ``HonestDiD``: the event-study
coefficients $\hat\beta = (\hat\beta_{pre}, \hat\beta_{post})$ (pre-periods $t = -K, \dots, -1$,
then post-periods $t = 1, \dots, \bar T$; the reference period $t = 0$ omitted), their covariance
$\Sigma$, and weights $l$ that define the target $\theta = l'\tau_{post}$ (default the first
post-period; `"average"` for the mean over post-periods). Write $\beta = \tau + \delta$ with
$\tau_{pre} = 0$: $\delta$ is the difference in trends, and parallel trends is $\delta_{post} = 0$.
Instead, $\delta$ is allowed in a set $\Delta$ that the pre-periods inform:

- **Smoothness**, $\Delta^{SD}(M) = \{\delta : |(\delta_{t+1} - \delta_t) - (\delta_t - \delta_{t-1})|
  \le M\ \forall t\}$ with $\delta_0 = 0$: the slope of the difference in trends changes by at most
  $M$ per period ($M = 0$: a linear trend, extrapolated from the pre-periods). The confidence
  interval is the optimal fixed-length interval (FLCI) of Armstrong & Kolesar (2018,
  *Econometrica* 86:655-683) over affine estimators $\hat\theta = l'\hat\beta_{post} + v'\hat\beta_{pre}$:
  $\hat\theta \pm \chi$, $\chi = \min_v\ \sigma_v\, cv_\alpha(\bar b_v / \sigma_v)$, where
  $\sigma_v$ is the standard deviation of $\hat\theta$, $\bar b_v = \max_{\delta \in \Delta^{SD}(M)}
  |v'\delta_{pre} + l'\delta_{post}|$ its worst-case bias and $cv_\alpha(t)$ the $1-\alpha$
  quantile of $|N(t, 1)|$ (the package's method; R&R section 4.1).
- **Relative magnitudes**, $\Delta^{RM}(\bar M) = \{\delta : |\delta_{t+1} - \delta_t| \le \bar M
  \max_{s < 0} |\delta_{s+1} - \delta_s|\ \forall t \ge 0\}$: no post-period change in the
  difference in trends exceeds $\bar M$ times the largest pre-period one. The set is a union over
  the pre-period change that is largest and its sign of polyhedra $\{A\delta \le 0\}$; each is
  tested with the conditional-least-favourable hybrid (C-LF) test of Andrews, Roth & Pakes (2023,
  *Review of Economic Studies* 90(5):2281-2319) for moment inequalities with nuisance parameters
  (linear programs solved with HiGHS), and the confidence set is the union of the acceptance
  regions, reported as its hull on a grid of $\theta$ (the package's method; R&R section 4.2).

The **breakdown value** is the largest $M$ (or $\bar M$) at which the robust confidence set still
excludes zero: how far parallel trends may fail before the conclusion that there is an effect falls.

Reproduction of the R package: the grid of $\theta$ for $\Delta^{RM}$ (1,000 points on
$\pm 20$ standard errors of $l'\hat\beta_{post}$), the 1,000 draws behind the least favourable
critical value (R's ``set.seed(seed)``, reproduced exactly), the first-stage size $\kappa = \alpha/10$
and the post-period moments only, as in ``HonestDiD`` 0.2.8. The FLCI uses the exact quantile of the
folded normal where the package simulates it, and solves the convex program with SLSQP. With a
single post-period the hybrid's second stage is truncated at the least favourable critical value, as
ARP (2023) define the hybrid and as the package does with several post-periods; the package's
one-post-period code leaves that truncation out, so its C-LF sets there can be a little wider.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st
from scipy.optimize import brentq, linprog, minimize
from scipy.special import log_ndtr, ndtr, ndtri, ndtri_exp

from foundation_eval._highs import highs_model
from foundation_eval.impact._rrng import r_rmvnorm

__all__ = [
    "honest_did",
    "HonestDiDResult",
    "fixed_length_ci",
    "FLCIResult",
    "original_ci",
]

_RESTRICTIONS = {
    "smoothness": ("M", "FLCI", "DeltaSD"),
    "relative_magnitudes": ("Mbar", "C-LF", "DeltaRM"),
}


# ----------------------------------------------------------------------------------------- inputs
def _check_inputs(betahat, sigma, num_pre: int, num_post: int):
    b = np.asarray(betahat, dtype=float).ravel()
    s = np.asarray(sigma, dtype=float)
    if int(num_pre) != num_pre or int(num_post) != num_post or num_pre < 1 or num_post < 1:
        raise ValueError(f"num_pre and num_post must be positive integers (got {num_pre}, {num_post})")
    n = num_pre + num_post
    if b.size != n:
        raise ValueError(f"betahat has {b.size} coefficients; num_pre + num_post = {n}")
    if s.shape != (n, n):
        raise ValueError(f"sigma must be {n} x {n} (got {s.shape})")
    if not np.all(np.isfinite(b)) or not np.all(np.isfinite(s)):
        raise ValueError("betahat and sigma must be finite")
    if not np.allclose(s, s.T, rtol=1e-8, atol=1e-12 * max(1.0, float(np.abs(s).max()))):
        raise ValueError("sigma must be symmetric")
    if np.any(np.diag(s) <= 0):
        raise ValueError("sigma must have positive variances on its diagonal")
    return b, (s + s.T) / 2


def _l_weights(l_vec, num_post: int) -> np.ndarray:
    if l_vec is None or (isinstance(l_vec, str) and l_vec == "first"):
        out = np.zeros(num_post)
        out[0] = 1.0
        return out
    if isinstance(l_vec, str):
        if l_vec == "average":
            return np.full(num_post, 1.0 / num_post)
        raise ValueError(f"l_vec must be None, 'first', 'average' or {num_post} weights (got {l_vec!r})")
    out = np.asarray(l_vec, dtype=float).ravel()
    if out.size != num_post:
        raise ValueError(f"l_vec must have num_post = {num_post} weights (got {out.size})")
    if not np.any(out != 0) or not np.all(np.isfinite(out)):
        raise ValueError("l_vec must be finite and not all zero")
    return out


def original_ci(betahat, sigma, num_pre: int, num_post: int, *, l_vec=None, alpha: float = 0.05):
    r"""Confidence interval for $\theta = l'\tau_{post}$ under exact parallel trends.

    $l'\hat\beta_{post} \pm z_{1-\alpha/2}\sqrt{l'\Sigma_{post}l}$ (R ``HonestDiD::constructOriginalCS``).

    Parameters
    ----------
    betahat : array-like
        Event-study coefficients, `num_pre` pre-periods then `num_post` post-periods (reference
        period omitted).
    sigma : array-like
        Their covariance matrix.
    num_pre, num_post : int
        Number of pre- and post-period coefficients.
    l_vec : None, "first", "average" or array-like
        Weights of the post-period effects in $\theta$; default the first post-period.
    alpha : float
        One minus the confidence level.

    Returns
    -------
    tuple of float
        ``(estimate, se, lower, upper)``.

    Raises
    ------
    ValueError
        When the dimensions do not agree or `sigma` is not a symmetric covariance matrix.

    Examples
    --------
    Benzarti & Carloni (2019) event study shipped with ``HonestDiD`` (the package's vignette):
    the first post-period effect 0.196 with interval 0.159 to 0.233.

    >>> from foundation_eval.impact import original_ci
    >>> b = [0.00670, 0.02935, -0.00647, 0.07301, 0.19596]
    >>> s = [[8.43e-4, 4.77e-4, 2.62e-4, 2.35e-4, 1.68e-4], [4.77e-4, 6.43e-4, 3.99e-4, 2.44e-4, 2.20e-4],
    ...      [2.62e-4, 3.99e-4, 5.23e-4, 2.12e-4, 1.84e-4], [2.35e-4, 2.44e-4, 2.12e-4, 3.09e-4, 1.20e-4],
    ...      [1.68e-4, 2.20e-4, 1.84e-4, 1.20e-4, 3.60e-4]]
    >>> est, se, lo, hi = original_ci(b, s, num_pre=4, num_post=1)
    >>> round(est, 3), round(lo, 3), round(hi, 3)
    (0.196, 0.159, 0.233)
    """
    b, s = _check_inputs(betahat, sigma, num_pre, num_post)
    lv = _l_weights(l_vec, num_post)
    post = slice(num_pre, num_pre + num_post)
    est = float(lv @ b[post])
    se = float(np.sqrt(lv @ s[post, post] @ lv))
    z = float(_st.norm.ppf(1 - alpha / 2))
    return est, se, est - z * se, est + z * se


# -------------------------------------------------------------------------------- smoothness: FLCI
def _folded_normal_quantile(t: float, alpha: float) -> float:
    r"""$1-\alpha$ quantile of $|N(t, 1)|$: the root of $\Phi(c - t) - \Phi(-c - t) = 1 - \alpha$."""
    t = abs(t)
    target = 1.0 - alpha
    c = t + float(ndtri(1 - alpha)) if t > 3 else float(ndtri(1 - alpha / 2)) + t
    for _ in range(50):  # Newton's method; the function is increasing and concave in c >= t
        f = ndtr(c - t) - ndtr(-c - t) - target
        step = f / (_phi(c - t) + _phi(c + t))
        c -= step
        if abs(step) < 1e-14 * max(1.0, c):
            return float(c)

    def excess(x):
        return ndtr(x - t) - ndtr(-x - t) - target

    return float(brentq(excess, 0.0, t + 10.0, xtol=1e-14, rtol=1e-14))


def _phi(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _folded_normal_quantile_slope(t: float, c: float) -> float:
    """Derivative of the folded-normal quantile in the mean, by the implicit function theorem."""
    a, b = _phi(c - t), _phi(c + t)
    return (a - b) / (a + b)


def _sd_bias_basis(num_pre: int, num_post: int) -> tuple[np.ndarray, np.ndarray]:
    """Matrix P with delta = P a for the second differences a (up to a linear trend), and times t.

    Over t = -K..Tbar with delta_0 = 0, the second differences and delta_{-1} determine delta; with
    delta_{-1} = 0 as well, delta = P a removes only a linear trend, to which an estimator unbiased
    under linear trends is blind. The worst-case bias over Delta^SD(M) is then M * ||P' v||_1.
    """
    n = num_pre + num_post + 1  # including t = 0
    d2 = np.zeros((n - 2, n))
    for r in range(n - 2):
        d2[r, r:r + 3] = (1.0, -2.0, 1.0)
    d2 = np.delete(d2, num_pre, axis=1)  # delta_0 = 0
    anchor = np.zeros((1, n - 1))
    anchor[0, num_pre - 1] = 1.0  # delta_{-1}
    q = np.vstack([d2, anchor])
    p = np.linalg.inv(q)[:, :-1]
    times = np.r_[np.arange(-num_pre, 0), np.arange(1, num_post + 1)].astype(float)
    return p, times


@dataclass(frozen=True)
class FLCIResult:
    r"""The optimal fixed-length confidence interval under $\Delta^{SD}(M)$ (immutable).

    Returned by [`fixed_length_ci`][foundation_eval.impact.fixed_length_ci].

    Attributes
    ----------
    m : float
        The smoothness bound $M$.
    lower, upper : float
        The interval $\hat\theta \pm \chi$.
    estimate : float
        The affine estimate $\hat\theta = v'\hat\beta$ at its centre.
    half_length : float
        $\chi = \sigma_v\,cv_\alpha(\bar b_v/\sigma_v)$.
    se : float
        Standard deviation $\sigma_v$ of the estimate.
    max_bias : float
        Worst-case bias $\bar b_v$ over $\Delta^{SD}(M)$.
    weights : ndarray
        $v$: weights on the pre-period then the post-period coefficients (the post-period part is $l$).
    alpha : float
        One minus the confidence level.

    Examples
    --------
    One pre-period: the line through the reference period and $t = -1$ predicts
    $\delta_1 = -\delta_{-1}$, so at $M = 0$ the estimate is $\hat\beta_1 + \hat\beta_{-1}$:

    >>> from foundation_eval.impact import fixed_length_ci
    >>> r = fixed_length_ci([-0.1, 0.5], [[1.0, 0.3], [0.3, 1.0]], num_pre=1, num_post=1, m=0.0)
    >>> [round(float(w), 3) for w in r.weights], round(r.estimate, 3), round(r.se, 3)   # se = sqrt(2.6)
    ([1.0, 1.0], 0.4, 1.612)
    """

    m: float
    lower: float
    upper: float
    estimate: float
    half_length: float
    se: float
    max_bias: float
    weights: np.ndarray = field(repr=False)
    alpha: float = 0.05


def fixed_length_ci(betahat, sigma, num_pre: int, num_post: int, *, m: float = 0.0, l_vec=None,
                    alpha: float = 0.05) -> FLCIResult:
    r"""Optimal fixed-length confidence interval for $\theta = l'\tau_{post}$ under $\Delta^{SD}(M)$.

    Over affine estimators $\hat\theta_v = l'\hat\beta_{post} + v_{pre}'\hat\beta_{pre}$ that are
    unbiased under a linear difference in trends ($\sum_t t\,v_t = 0$), minimise the half-length
    $\chi(v) = \sigma_v\, cv_\alpha(\bar b_v/\sigma_v)$, with $\sigma_v^2 = v'\Sigma v$, worst-case
    bias $\bar b_v = M\,\lVert P'v\rVert_1$ ($P$ maps second differences to $\delta$) and
    $cv_\alpha(t)$ the $1-\alpha$ quantile of $|N(t,1)|$ (Armstrong & Kolesar 2018; Rambachan &
    Roth 2023, section 4.1). The problem is convex; it is solved with SLSQP from the
    minimum-variance estimator, which is the answer at $M = 0$.

    Parameters
    ----------
    betahat : array-like
        Event-study coefficients, pre-periods then post-periods (reference period omitted).
    sigma : array-like
        Their covariance matrix.
    num_pre, num_post : int
        Number of pre- and post-period coefficients.
    m : float
        Smoothness bound $M \ge 0$ (a change in slope per period, in the units of $\beta$).
    l_vec : None, "first", "average" or array-like
        Weights of the post-period effects in $\theta$; default the first post-period.
    alpha : float
        One minus the confidence level.

    Returns
    -------
    FLCIResult

    Raises
    ------
    ValueError
        For inconsistent dimensions, a non-covariance `sigma`, or a negative `m`.

    Examples
    --------
    Two pre-periods and one post-period. At $M = 0$ the interval is centred on the
    minimum-variance estimate that is unbiased under any linear difference in trends; allowing the
    slope to change ($M = 0.5$) adds worst-case bias and widens it:

    >>> from foundation_eval.impact import fixed_length_ci
    >>> s = [[1.0, 0.5, 0.2], [0.5, 1.0, 0.3], [0.2, 0.3, 1.0]]
    >>> r0 = fixed_length_ci([0.1, -0.2, 0.5], s, num_pre=2, num_post=1, m=0.0)
    >>> round(r0.estimate, 4), round(r0.half_length, 4), r0.max_bias
    (0.6167, 2.3163, 0.0)
    >>> r1 = fixed_length_ci([0.1, -0.2, 0.5], s, num_pre=2, num_post=1, m=0.5)
    >>> round(r1.max_bias, 3), round(r1.half_length, 3)
    (0.765, 2.75)
    """
    b, s = _check_inputs(betahat, sigma, num_pre, num_post)
    if not m >= 0:
        raise ValueError(f"m must be non-negative (got {m})")
    lv = _l_weights(l_vec, num_post)
    return _flci(b, s, num_pre, num_post, float(m), lv, alpha)


def _flci(b, s, num_pre, num_post, m, lv, alpha) -> FLCIResult:
    k = num_pre
    post = slice(num_pre, num_pre + num_post)
    scale = float(np.sqrt(lv @ s[post, post] @ lv))  # work in standard errors of l'beta_post
    sn = s / scale**2
    mn = m / scale
    p, times = _sd_bias_basis(num_pre, num_post)
    t_pre, t_post = times[:num_pre], times[num_pre:]
    target = -float(t_post @ lv)  # sum_t t v_t = 0
    # minimum-variance weights (the solution at M = 0): KKT of min v' S v s.t. t_pre' v_pre = target
    s_pp, s_pq = sn[:k, :k], sn[:k, post]
    kkt = np.block([[2 * s_pp, t_pre[:, None]], [t_pre[None, :], np.zeros((1, 1))]])
    rhs = np.r_[-2 * s_pq @ lv, target]
    v0 = np.linalg.solve(kkt, rhs)[:k]

    def full(vpre):
        return np.r_[vpre, lv]

    def variance(vpre):
        v = full(vpre)
        return float(v @ sn @ v)

    # second differences that move a pre-period delta carry the bias of v_pre; the others are fixed by l
    free = np.any(np.abs(p[:num_pre, :]) > 1e-12, axis=0)
    fixed_bias = float(np.abs(p[num_pre:, ~free].T @ lv).sum())
    ptv_post = p[num_pre:, free].T @ lv
    p_pre = p[:num_pre, free].T
    nu = int(free.sum())
    # variables x = (v_pre, u_plus, u_minus): P'v = u_plus - u_minus, bias = M * (fixed + sum(u_plus + u_minus))
    a_eq = np.vstack([np.r_[t_pre, np.zeros(2 * nu)],
                      np.hstack([p_pre, -np.eye(nu), np.eye(nu)])])
    b_eq = np.r_[target, -ptv_post]

    def split(vpre):
        w = p_pre @ vpre + ptv_post
        return np.r_[vpre, np.clip(w, 0, None), np.clip(-w, 0, None)]

    def half_length(x):
        vpre = x[:k]
        h = math.sqrt(max(variance(vpre), 1e-300))
        return h * _folded_normal_quantile(mn * (fixed_bias + float(x[k:].sum())) / h, alpha)

    def gradient(x):
        v = full(x[:k])
        h = math.sqrt(max(float(v @ sn @ v), 1e-300))
        t = mn * (fixed_bias + float(x[k:].sum())) / h
        c = _folded_normal_quantile(t, alpha)
        dc = _folded_normal_quantile_slope(t, c)
        return np.r_[(c - t * dc) * (sn @ v)[:k] / h, np.full(2 * nu, mn * dc)]

    def best_estimator():
        if mn == 0:
            return v0
        # the two ends of the bias-variance frontier: minimum variance (v0) and minimum bias (an LP)
        starts = [split(v0)]
        lp = linprog(np.r_[np.zeros(k), np.ones(2 * nu)], A_eq=a_eq, b_eq=b_eq,
                     bounds=[(None, None)] * k + [(0, None)] * (2 * nu), method="highs")
        if lp.status == 0:
            starts.append(split(lp.x[:k]))
        cons = [{"type": "eq", "fun": lambda x: a_eq @ x - b_eq, "jac": lambda x: a_eq}]
        bounds = [(None, None)] * k + [(0, None)] * (2 * nu)
        candidates = list(starts)
        for x0 in starts:
            res = minimize(half_length, x0, jac=gradient, constraints=cons, bounds=bounds, method="SLSQP",
                           options={"ftol": 1e-14, "maxiter": 2000})
            if np.all(np.isfinite(res.x)) and np.abs(a_eq @ res.x - b_eq).max() < 1e-8:
                candidates.append(split(res.x[:k]))
        return min(candidates, key=half_length)[:k]

    vpre = best_estimator()
    v = full(vpre)
    h = math.sqrt(variance(vpre))
    bias = mn * (fixed_bias + float(np.abs(p_pre @ vpre + ptv_post).sum()))
    chi = h * _folded_normal_quantile(bias / h, alpha) * scale
    est = float(v @ b)
    return FLCIResult(m=m, lower=est - chi, upper=est + chi, estimate=est, half_length=chi,
                      se=h * scale, max_bias=bias * scale, weights=v, alpha=alpha)


# ------------------------------------------------------------- relative magnitudes: ARP hybrid test
def _rm_constraints(num_pre: int, num_post: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """Rows A of {A delta <= 0}: the largest pre-period change is the one ending at t = s, sign +/-.

    Columns are delta_{-K..-1}, delta_{1..Tbar}; only rows that involve a post-period delta are
    kept (the package's post-period moments).
    """
    n = num_pre + num_post  # first differences delta_{t+1} - delta_t for t = -K .. Tbar - 1
    diffs = np.zeros((n, n + 1))
    for r in range(n):
        diffs[r, r], diffs[r, r + 1] = -1.0, 1.0
    vmax = np.zeros(n + 1)
    vmax[num_pre + s - 1], vmax[num_pre + s] = -1.0, 1.0  # delta_s - delta_{s-1}
    if not positive:
        vmax = -vmax
    bound = np.vstack([np.tile(vmax, (num_pre, 1)), np.tile(mbar * vmax, (num_post, 1))])
    a = np.vstack([diffs - bound, -diffs - bound])
    a = a[np.einsum("ij,ij->i", a, a) > 1e-10]
    a = np.delete(a, num_pre, axis=1)  # delta_0 = 0
    return a[np.any(a[:, num_pre:] != 0, axis=1)]


def _basis_with_first_row(lv: np.ndarray) -> np.ndarray:
    """Invertible Gamma whose first row is l' (the other rows unit vectors, as the package's rref)."""
    last = int(np.flatnonzero(lv)[-1])
    rows = [lv] + [np.eye(lv.size)[j] for j in range(lv.size) if j != last]
    return np.vstack(rows)


_MAX_VERTEX_SUBSETS = 20000


def _dual_vertices(w: np.ndarray) -> np.ndarray | None:
    """Vertices of {lambda >= 0 : W' lambda = e_1}, the feasible set of the dual of the eta program.

    eta(y) = max over these vertices of lambda' y, for every y: enumerating them once turns the many
    linear programs of a test inversion into matrix products. None when there are too many subsets
    of rows to try (then the programs are solved with HiGHS).
    """
    m, k1 = w.shape
    if math.comb(m, k1) > _MAX_VERTEX_SUBSETS:
        return None
    subsets = np.array(list(itertools.combinations(range(m), k1)), dtype=int)
    mats = np.transpose(w[subsets], (0, 2, 1))  # W_S' for each subset S
    e1 = np.zeros(k1)
    e1[0] = 1.0
    ok = np.abs(np.linalg.det(mats)) > 1e-12 * np.abs(w).max() ** k1
    if not ok.any():
        return np.zeros((0, m))
    lam_s = np.linalg.solve(mats[ok], np.broadcast_to(e1, (int(ok.sum()), k1))[..., None])[..., 0]
    keep = np.all(lam_s >= -1e-12, axis=1)
    verts = np.zeros((int(keep.sum()), m))
    rows = np.repeat(np.arange(verts.shape[0]), k1)
    verts[rows, subsets[ok][keep].ravel()] = np.clip(lam_s[keep], 0.0, None).ravel()
    return np.unique(np.round(verts, 14), axis=0)


class _DualProgram:
    """max lambda'y over {lambda >= 0 : W' lambda = e_1}, the dual of the eta program, for one W and many y.

    The optimal vertices met so far are kept with their bases: a y whose best known vertex gives a
    feasible primal point (eta, xi) = W_S^{-1} y_S is solved by weak duality without a linear
    program; the others are solved by one HiGHS model, re-solved from its last optimal basis, and
    add their vertex. A test inversion asks this of thousands of y that share a handful of vertices.
    """

    def __init__(self, w: np.ndarray):
        m, k1 = w.shape
        e1 = np.zeros(k1)
        e1[0] = 1.0
        self._w = w
        self._model = highs_model(w.T, e1, e1, np.zeros(m), np.full(m, np.inf))
        self._cols = np.arange(m, dtype=np.int32)
        self._vertices = np.zeros((0, m))
        self._bases: list[tuple[np.ndarray, np.ndarray]] = []  # (basic rows S, inverse of W_S)

    def _highs(self, y: np.ndarray):
        import highspy

        h = self._model
        h.changeColsCost(self._cols.size, self._cols, -y)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return math.nan, None
        lam = np.asarray(h.getSolution().col_value)
        basic = np.flatnonzero(np.asarray(h.getBasis().col_status) == highspy.HighsBasisStatus.kBasic)
        if basic.size == self._w.shape[1]:
            ws = self._w[basic]
            if np.linalg.cond(ws) < 1e10:
                self._vertices = np.vstack([self._vertices, lam])
                self._bases.append((basic, np.linalg.inv(ws)))
        return float(lam @ y), lam

    def _known(self, y: np.ndarray, eta: np.ndarray, lam: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Fill the rows whose best known vertex is optimal; return the rows left."""
        if not self._bases or rows.size == 0:
            return rows
        yr = y[rows]
        vals = yr @ self._vertices.T
        best = np.argmax(vals, axis=1)
        solved = np.zeros(rows.size, dtype=bool)
        for j in np.unique(best):
            at = np.flatnonzero(best == j)
            basic, inv = self._bases[j]
            primal = yr[at][:, basic] @ inv.T  # (eta, xi) with the basic moments binding
            slack = yr[at] - primal @ self._w.T  # y - eta sd - X xi, <= 0 when feasible
            tol = 1e-9 * (1.0 + np.abs(yr[at]).max(axis=1))
            ok = np.all(slack <= tol[:, None], axis=1)
            solved[at[ok]] = True
        done = rows[solved]
        eta[done] = vals[solved, best[solved]]
        lam[done] = self._vertices[best[solved]]
        return rows[~solved]

    def batch(self, y: np.ndarray):
        """eta and lambda for each row of `y` (nan where the set is empty, so eta is unbounded)."""
        y = np.asarray(y, dtype=float)
        eta = np.full(y.shape[0], np.nan)
        lam = np.full(y.shape, np.nan)
        left = self._known(y, eta, lam, np.arange(y.shape[0]))
        while left.size:
            # a few programs, then the rest checked against the vertices they found
            for i in left[:8]:
                value, lam_i = self._highs(y[i])
                if lam_i is not None:
                    eta[i], lam[i] = value, lam_i
            left = self._known(y, eta, lam, left[8:])
        return eta, lam

    def solve(self, y: np.ndarray):
        """The maximum and a maximising vertex lambda; (nan, None) when the set is empty."""
        eta, lam = self.batch(np.asarray(y, dtype=float)[None, :])
        return (float(eta[0]), lam[0]) if np.isfinite(eta[0]) else (math.nan, None)


def _eta_batch(y: np.ndarray, sd: np.ndarray, x: np.ndarray, vertices: np.ndarray | None,
               program: _DualProgram | None):
    """eta = min_{eta, xi} eta s.t. y - X xi <= eta sd, for each row of `y`; with the duals lambda.

    By the dual, eta = max lambda' y over {lambda >= 0 : sd' lambda = 1, X' lambda = 0}: over its
    vertices when they are given, otherwise by `program` (the dual program of sd and X), row by row;
    nan where eta is unbounded.
    """
    n = y.shape[0]
    k = x.shape[1]
    if vertices is not None:
        if vertices.shape[0] == 0:
            return np.full(n, -np.inf), np.zeros_like(y)
        vals = y @ vertices.T
        best = np.argmax(vals, axis=1)
        return vals[np.arange(n), best], vertices[best]
    if k == 0:
        z = y / sd
        idx = np.argmax(z, axis=1)
        lam = np.zeros_like(y)
        lam[np.arange(n), idx] = 1.0 / sd[idx]
        return z[np.arange(n), idx], lam
    return program.batch(y)


def _lf_critical_value(x, sigma_y, kappa, sims, seed, vertices, program) -> float:
    """Least favourable critical value: the 1 - kappa quantile of eta when every moment has mean 0."""
    sd = np.sqrt(np.diag(sigma_y))
    xi = r_rmvnorm(sims, sigma_y, seed)
    eta, _ = _eta_batch(xi, sd, x, vertices, program)
    return float(np.nanquantile(eta, 1 - kappa))


def _truncnorm_quantile(p: float, lo: float, hi: float) -> float:
    """The p-quantile of the standard normal truncated to [lo, hi].

    Phi^-1(Phi(lo) + p (Phi(hi) - Phi(lo))) taken in logs (``log_ndtr``, ``ndtri_exp``), reflected
    for a lower bound above 0 so that no probability is near 1: ``scipy.stats.truncnorm.ppf``'s value
    to 1e-13 without its per-call cost (a national evaluation asks for 13,408 of them).
    """
    if not lo < hi:
        return lo
    if lo > 0:
        return -_truncnorm_quantile(1 - p, -hi, -lo)
    if p <= 0:
        return lo
    if p >= 1:
        return hi
    log_p = np.logaddexp(log_ndtr(lo) + math.log1p(-p), log_ndtr(hi) + math.log(p))
    return float(min(max(ndtri_exp(log_p), lo), hi))


def _vlo_vup_dual(eta, s_t, bvec, sigma_b, program: _DualProgram):
    """Truncation points of eta given the dual vertex, by the bisection of ARP (2023), Appendix."""
    tol = 1e-6

    def is_solution(c):
        val, lam = program.solve(s_t + bvec * c)  # the dual LP at eta = c
        return (not np.isnan(val)) and abs(c - val) <= tol, lam

    ok, _ = is_solution(eta)
    if not ok:
        return eta, math.inf

    def search(start, inner):
        ok, lam = is_solution(start)
        if ok:
            return math.inf if start > inner else -math.inf
        mid = start
        for _ in range(10):  # fixed-point step: lambda's value is a + b c; solve a + (b - 1) c = 0
            a = float(lam @ s_t)
            a = 0.0 if abs(a) < np.finfo(float).eps ** 0.75 else a
            mid = a / (1.0 - float(lam @ bvec))
            ok, lam_new = is_solution(mid)
            if ok:
                return mid
            if lam_new is None:
                break
            lam = lam_new
        lo, hi = (inner, mid) if mid > inner else (mid, inner)
        for _ in range(200):
            if hi - lo <= tol:
                break
            m = (lo + hi) / 2
            if is_solution(m)[0] == (mid > inner):
                lo, hi = (m, hi) if mid > inner else (lo, m)
            else:
                lo, hi = (lo, m) if mid > inner else (m, hi)
        return (lo + hi) / 2

    high0 = max(100.0, eta + 20 * sigma_b)
    low0 = min(-100.0, eta - 20 * sigma_b)
    return search(low0, eta), search(high0, eta)


def _hybrid_rejects(y, eta, lam, sd, x, sigma_y, alpha, kappa, lf_cv, vertices, program) -> bool:
    """Second stage of the conditional-least-favourable hybrid test (ARP 2023, section 5)."""
    if np.isnan(eta):
        return False
    if eta > lf_cv:
        return True
    size = (alpha - kappa) / (1 - kappa)
    k = x.shape[1]
    binding = lam * sd > 1e-6
    xb = x[binding]
    full_rank = k == 0 or (xb.shape[0] > 0 and np.linalg.matrix_rank(xb) == min(xb.shape))
    if binding.sum() == k + 1 and full_rank:
        w_b = np.column_stack([sd[binding], xb])
        w_inv = np.linalg.inv(w_b)
        v = np.zeros(y.size)
        v[binding] = w_inv[0]
        nb = ~binding
        w_nb = np.column_stack([sd[nb], x[nb]])
        gam = -np.eye(y.size)[nb]
        gam[:, binding] += w_nb @ w_inv
        var_b = float(v @ sigma_y @ v)
        rho = gam @ sigma_y @ v / var_b
        bound = -(gam @ y) / np.where(rho == 0, np.nan, rho) + float(v @ y)
        vlo = float(np.max(bound[rho > 0])) if np.any(rho > 0) else -math.inf
        vup = float(np.min(bound[rho < 0])) if np.any(rho < 0) else math.inf
        sig = math.sqrt(var_b)
    else:
        gamma = lam
        var_b = float(gamma @ sigma_y @ gamma)
        if abs(var_b) < np.finfo(float).eps:
            return eta > 0
        sig = math.sqrt(var_b)
        bvec = sigma_y @ gamma / var_b
        s_t = y - bvec * float(gamma @ y)
        if vertices is not None:
            # eta is a solution at c iff a_v + b_v c <= c for every vertex v (a = lambda's_T, b = lambda'b)
            av, bv = vertices @ s_t, vertices @ bvec
            below, above = bv < 1 - 1e-12, bv > 1 + 1e-12
            vlo = float(np.max(av[below] / (1 - bv[below]))) if below.any() else -math.inf
            vup = float(np.min(av[above] / (1 - bv[above]))) if above.any() else math.inf
        else:
            vlo, vup = _vlo_vup_dual(eta, s_t, bvec, sig, program)
    zlo, zup, stat = vlo / sig, min(vup, lf_cv) / sig, eta / sig
    if not zlo <= stat <= zup:
        return False
    return stat > max(0.0, _truncnorm_quantile(1 - size, zlo, zup))


class _RMPiece:
    """One polyhedron of Delta^RM(Mbar): the moments and the least favourable critical value."""

    def __init__(self, b, s, num_pre, num_post, lv, mbar, smax, positive, alpha, kappa, sims, seed):
        a = _rm_constraints(num_pre, num_post, mbar, smax, positive)
        self.a = a
        gamma_inv = np.linalg.inv(_basis_with_first_row(lv))
        a_post = a[:, num_pre:] @ gamma_inv
        self.a1, self.x = a_post[:, 0], a_post[:, 1:]
        self.y0 = a @ b
        self.sigma_y = a @ s @ a.T
        self.sd = np.sqrt(np.diag(self.sigma_y))
        self.alpha, self.kappa = alpha, kappa
        w = np.column_stack([self.sd, self.x])
        self.vertices = _dual_vertices(w)
        self.program = _DualProgram(w) if self.vertices is None else None
        self.lf_cv = _lf_critical_value(self.x, self.sigma_y, kappa, sims, seed, self.vertices, self.program)

    def accepts(self, thetas: np.ndarray) -> np.ndarray:
        y = self.y0[None, :] - np.outer(thetas, self.a1)
        eta, lam = _eta_batch(y, self.sd, self.x, self.vertices, self.program)
        out = eta <= self.lf_cv  # the first stage rejects the rest
        for i in np.flatnonzero(out):
            out[i] = not _hybrid_rejects(y[i], eta[i], lam[i], self.sd, self.x, self.sigma_y, self.alpha,
                                         self.kappa, self.lf_cv, self.vertices, self.program)
        return out


def _rm_pieces(b, s, num_pre, num_post, lv, mbar, alpha, sims, seed):
    kappa = alpha / 10
    return [_RMPiece(b, s, num_pre, num_post, lv, mbar, smax, positive, alpha, kappa, sims, seed)
            for smax in range(-(num_pre - 1), 1) for positive in (True, False)]


def _rm_interval(b, s, num_pre, num_post, lv, mbar, alpha, grid, sims, seed):
    accept = np.zeros(grid.size, dtype=bool)
    for piece in _rm_pieces(b, s, num_pre, num_post, lv, mbar, alpha, sims, seed):
        accept |= piece.accepts(grid)
    if not accept.any():
        return math.nan, math.nan
    return float(grid[accept].min()), float(grid[accept].max())


def _rm_rejects_zero(b, s, num_pre, num_post, lv, mbar, alpha, sims, seed) -> bool:
    zero = np.zeros(1)
    return not any(p.accepts(zero)[0] for p in _rm_pieces(b, s, num_pre, num_post, lv, mbar, alpha, sims, seed))


# ----------------------------------------------------------------------------------------- result
@dataclass(frozen=True)
class HonestDiDResult:
    r"""Robust confidence sets over a grid of $M$ or $\bar M$, and the breakdown value (immutable).

    Returned by [`honest_did`][foundation_eval.impact.honest_did].

    Attributes
    ----------
    restriction : str
        ``"smoothness"`` ($\Delta^{SD}(M)$) or ``"relative_magnitudes"`` ($\Delta^{RM}(\bar M)$).
    parameter : str
        ``"M"`` or ``"Mbar"``.
    method : str
        ``"FLCI"`` (smoothness) or ``"C-LF"`` (relative magnitudes), as the R package labels them.
    grid : ndarray
        The values of $M$ (or $\bar M$).
    lower, upper : ndarray
        Robust confidence set at each grid value (its hull on the $\theta$ grid for C-LF).
    estimate, se : float
        $l'\hat\beta_{post}$ and its standard error.
    original_lower, original_upper : float
        The confidence interval under exact parallel trends.
    breakdown : float
        Largest $M$ (or $\bar M$) at which the robust confidence set excludes zero, to
        `breakdown_tol`; NaN when it already contains zero at the smallest grid value (or the
        original interval contains zero), and the upper end of the search when it never does.
    l_vec : ndarray
        Weights of the post-period effects in $\theta$.
    alpha : float
        One minus the confidence level.
    num_pre, num_post : int
        Numbers of pre- and post-period coefficients.

    Examples
    --------
    >>> from foundation_eval.impact import honest_did
    >>> b = [0.0, 0.01, 0.0, 0.5]
    >>> s = [[0.01, 0.004, 0.002, 0.0], [0.004, 0.01, 0.004, 0.0], [0.002, 0.004, 0.01, 0.0],
    ...      [0.0, 0.0, 0.0, 0.01]]
    >>> r = honest_did(b, s, num_pre=3, num_post=1, restriction="smoothness", grid=[0.0, 0.1, 0.2, 0.3])
    >>> r.table()[["M", "method", "excludes_zero"]].to_dict("list")
    {'M': [0.0, 0.1, 0.2, 0.3], 'method': ['FLCI', 'FLCI', 'FLCI', 'FLCI'], 'excludes_zero': [True, True, True, False]}
    >>> 0.2 < r.breakdown < 0.3
    True
    """

    restriction: str
    parameter: str
    method: str
    grid: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    estimate: float
    se: float
    original_lower: float
    original_upper: float
    breakdown: float
    l_vec: np.ndarray = field(repr=False)
    alpha: float = 0.05
    num_pre: int = 0
    num_post: int = 0

    def table(self) -> pd.DataFrame:
        """One row per grid value: the robust confidence set and whether it excludes zero.

        Returns
        -------
        DataFrame
            Columns `M` (or `Mbar`), `lb`, `ub`, `method`, `restriction` and `excludes_zero`.

        Examples
        --------
        >>> from foundation_eval.impact import honest_did
        >>> s = [[0.01, 0.0, 0.0], [0.0, 0.01, 0.0], [0.0, 0.0, 0.01]]
        >>> t = honest_did([0.0, 0.0, 1.0], s, num_pre=2, num_post=1, restriction="smoothness",
        ...                grid=[0.0, 1.0]).table()
        >>> list(t.columns)
        ['M', 'lb', 'ub', 'method', 'restriction', 'excludes_zero']
        """
        lo, hi = np.asarray(self.lower, dtype=float), np.asarray(self.upper, dtype=float)
        return pd.DataFrame({
            self.parameter: np.asarray(self.grid, dtype=float),
            "lb": lo,
            "ub": hi,
            "method": self.method,
            "restriction": self.restriction,
            "excludes_zero": (lo > 0) | (hi < 0),
        })

    def summary_sentence(self, digits: int = 3) -> str:
        """The breakdown value in one plain-English sentence.

        Parameters
        ----------
        digits : int
            Decimals of the breakdown value and the original interval.

        Returns
        -------
        str

        Examples
        --------
        >>> from foundation_eval.impact import honest_did
        >>> s = [[0.01, 0.0, 0.0], [0.0, 0.01, 0.0], [0.0, 0.0, 0.01]]
        >>> r = honest_did([0.0, 0.0, 0.05], s, num_pre=2, num_post=1, restriction="smoothness", grid=[0.0])
        >>> print(r.summary_sentence())
        The effect (0.050, 95% confidence interval -0.146 to 0.246 under parallel trends) is not
        distinguishable from zero even when parallel trends holds exactly, so there is no conclusion
        for the sensitivity analysis to protect.
        """
        pct = int(round((1 - self.alpha) * 100))
        head = (f"The effect ({self.estimate:.{digits}f}, {pct}% confidence interval "
                f"{self.original_lower:.{digits}f} to {self.original_upper:.{digits}f} under parallel trends)")
        if math.isnan(self.breakdown):
            if self.original_lower <= 0 <= self.original_upper:
                return (f"{head} is not distinguishable from zero even when parallel trends holds exactly, "
                        "so there is no conclusion for the sensitivity analysis to protect.")
            return f"{head} is no longer distinguishable from zero at the smallest {self.parameter} examined."
        if self.restriction == "smoothness":
            what = (f"the slope of the difference in trends may change by up to {self.breakdown:.{digits}f} "
                    "per period")
        else:
            what = (f"post-period changes in the difference in trends may be up to {self.breakdown:.{digits}f} "
                    "times the largest pre-period change")
        return f"{head} remains distinguishable from zero while {what} ({self.method}, breakdown value)."

    def plot(self, ax=None):
        r"""The sensitivity plot: robust intervals against $M$ (or $\bar M$), the original at the left.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new 6 x 4 inch figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from foundation_eval.impact import honest_did
        >>> s = [[0.01, 0.0, 0.0], [0.0, 0.01, 0.0], [0.0, 0.0, 0.01]]
        >>> r = honest_did([0.0, 0.0, 1.0], s, num_pre=2, num_post=1, restriction="smoothness",
        ...                grid=[0.0, 0.1, 0.2])
        >>> ax = r.plot()
        >>> ax.get_xlabel()
        'M'
        >>> plt.close("all")
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        grid = np.asarray(self.grid, dtype=float)
        gap = float(np.min(np.diff(np.sort(grid)))) if grid.size > 1 else max(abs(float(grid[0])), 1.0) * 0.5
        x0 = float(grid.min()) - gap
        lo, hi = np.asarray(self.lower, dtype=float), np.asarray(self.upper, dtype=float)
        mid = (lo + hi) / 2
        ax.errorbar(grid, mid, yerr=[mid - lo, hi - mid], fmt="none", color="C0", capsize=3,
                    label=f"robust ({self.method})")
        om = (self.original_lower + self.original_upper) / 2
        ax.errorbar([x0], [om], yerr=[[om - self.original_lower], [self.original_upper - om]], fmt="none",
                    color="C3", capsize=3, label="original")
        ax.axhline(0.0, color="0.5", lw=0.8)
        if not math.isnan(self.breakdown):
            ax.axvline(self.breakdown, color="0.4", ls="--", lw=0.8, label="breakdown value")
        ax.set_xlabel(self.parameter)
        ax.set_ylabel("confidence interval for the effect")
        ax.legend(frameon=False, fontsize=8)
        return ax


def _default_grid(b, s, num_pre, restriction):
    if restriction == "relative_magnitudes":
        return np.linspace(0.0, 2.0, 10)
    if num_pre == 1:
        return np.linspace(0.0, float(np.sqrt(s[0, 0])), 10)
    # the package's default: up to the one-sided upper bound of the largest pre-period second difference
    pre = np.r_[b[:num_pre], 0.0]
    cov = np.zeros((num_pre + 1, num_pre + 1))
    cov[:num_pre, :num_pre] = s[:num_pre, :num_pre]
    d2 = np.zeros((num_pre - 1, num_pre + 1))
    for r in range(num_pre - 1):
        d2[r, r:r + 3] = (1.0, -2.0, 1.0)
    ub = d2 @ pre + _st.norm.ppf(0.95) * np.sqrt(np.diag(d2 @ cov @ d2.T))
    return np.linspace(0.0, max(float(ub.max()), 0.0), 10)


def honest_did(betahat, sigma, num_pre: int, num_post: int, *, restriction: str = "relative_magnitudes",
               grid=None, l_vec=None, alpha: float = 0.05, grid_points: int = 1000, grid_lb: float | None = None,
               grid_ub: float | None = None, sims: int = 1000, seed: int = 0,
               breakdown_tol: float | None = None) -> HonestDiDResult:
    r"""Rambachan & Roth (2023) robust confidence sets for an event-study effect, and the breakdown value.

    For each $M$ in `grid` ($\Delta^{SD}(M)$, `restriction="smoothness"`) or each $\bar M$
    ($\Delta^{RM}(\bar M)$, `restriction="relative_magnitudes"`), a confidence set for
    $\theta = l'\tau_{post}$ that is valid whenever the difference in trends lies in the set (see the
    module text for the two sets and their methods). The C-LF sets are the hull of the accepted points
    of `grid_points` values of $\theta$ on [`grid_lb`, `grid_ub`] (default $\pm 20$ standard errors of
    $l'\hat\beta_{post}$, as the R package); the FLCI is exact. The breakdown value is the largest
    $M$ (or $\bar M$) at which the set excludes zero, found by bisection between the grid values
    that bracket it (to `breakdown_tol`, default 1/1000 of the largest grid value); for C-LF the
    bisection asks whether $\theta = 0$ itself is rejected.

    Parameters
    ----------
    betahat : array-like
        Event-study coefficients, `num_pre` pre-periods then `num_post` post-periods, reference
        period (the one just before go-live) omitted, as R ``HonestDiD`` takes them.
    sigma : array-like
        Their covariance matrix.
    num_pre, num_post : int
        Number of pre- and post-period coefficients.
    restriction : {"relative_magnitudes", "smoothness"}
        Which restriction on the difference in trends.
    grid : array-like, optional
        Values of $M$ (or $\bar M$). Default as the package: $\bar M$ = 10 values on [0, 2];
        $M$ = 10 values from 0 to the one-sided 95% upper bound of the largest pre-period second
        difference.
    l_vec : None, "first", "average" or array-like
        Weights of the post-period effects in $\theta$; default the first post-period.
    alpha : float
        One minus the confidence level.
    grid_points : int
        Number of $\theta$ values tested for C-LF.
    grid_lb, grid_ub : float, optional
        Range of $\theta$ tested for C-LF.
    sims : int
        Draws behind the least favourable critical value (C-LF).
    seed : int
        R seed of those draws (the package sets ``set.seed(0)``).
    breakdown_tol : float, optional
        Precision of the breakdown value; None for 1/1000 of the largest grid value.

    Returns
    -------
    HonestDiDResult

    Raises
    ------
    ValueError
        For an unknown `restriction`, inconsistent dimensions, a non-covariance `sigma`, a
        negative grid value, or `relative_magnitudes` with fewer than one pre-period.

    Examples
    --------
    Three flat pre-periods and an effect of 0.5 in the one post-period: the conclusion that there is
    an effect survives a change of slope of up to about 0.27 per period, and post-period changes in
    the difference in trends up to about 2.4 times the largest pre-period change:

    >>> from foundation_eval.impact import honest_did
    >>> b = [0.0, 0.01, 0.0, 0.5]
    >>> s = [[0.01, 0.004, 0.002, 0.0], [0.004, 0.01, 0.004, 0.0], [0.002, 0.004, 0.01, 0.0],
    ...      [0.0, 0.0, 0.0, 0.01]]
    >>> sd = honest_did(b, s, num_pre=3, num_post=1, restriction="smoothness", grid=[0.0, 0.1, 0.2, 0.3])
    >>> round(sd.breakdown, 2)
    0.27
    >>> rm = honest_did(b, s, num_pre=3, num_post=1, grid=[0.5, 1.0, 2.0, 3.0])
    >>> rm.table().round(3).to_dict("list")["lb"]
    [0.29, 0.246, 0.082, -0.098]
    >>> round(rm.breakdown, 1)
    2.4
    """
    if restriction not in _RESTRICTIONS:
        raise ValueError(f"restriction must be one of {sorted(_RESTRICTIONS)} (got {restriction!r})")
    b, s = _check_inputs(betahat, sigma, num_pre, num_post)
    lv = _l_weights(l_vec, num_post)
    param, method, _ = _RESTRICTIONS[restriction]
    g = _default_grid(b, s, num_pre, restriction) if grid is None else np.asarray(grid, dtype=float).ravel()
    if g.size == 0 or np.any(~np.isfinite(g)) or np.any(g < 0):
        raise ValueError(f"grid of {param} must be non-empty, finite and non-negative (got {g})")
    est, se, olo, ohi = original_ci(b, s, num_pre, num_post, l_vec=lv, alpha=alpha)

    if restriction == "smoothness":
        def interval(value):
            r = _flci(b, s, num_pre, num_post, float(value), lv, alpha)
            return r.lower, r.upper

        def excludes_zero(value):
            lo, hi = interval(value)
            return lo > 0 or hi < 0
    else:
        lo_t = -20 * se if grid_lb is None else float(grid_lb)
        hi_t = 20 * se if grid_ub is None else float(grid_ub)
        thetas = np.linspace(lo_t, hi_t, int(grid_points))

        def interval(value):
            return _rm_interval(b, s, num_pre, num_post, lv, float(value), alpha, thetas, sims, seed)

        def excludes_zero(value):
            return _rm_rejects_zero(b, s, num_pre, num_post, lv, float(value), alpha, sims, seed)

    bounds = [interval(v) for v in g]
    lower = np.array([x[0] for x in bounds])
    upper = np.array([x[1] for x in bounds])
    tol = breakdown_tol if breakdown_tol is not None else max(float(g.max()), 1e-12) / 1000
    breakdown = _breakdown(g, lower, upper, excludes_zero, tol, olo, ohi)
    for arr in (g, lower, upper, lv):
        arr.setflags(write=False)
    return HonestDiDResult(restriction=restriction, parameter=param, method=method, grid=g, lower=lower,
                           upper=upper, estimate=est, se=se, original_lower=olo, original_upper=ohi,
                           breakdown=breakdown, l_vec=lv, alpha=alpha, num_pre=int(num_pre),
                           num_post=int(num_post))


def _breakdown(grid, lower, upper, excludes_zero, tol, olo, ohi) -> float:
    """Largest grid-bracketed value at which the set excludes zero, refined by bisection."""
    if olo <= 0 <= ohi:
        return math.nan
    order = np.argsort(grid)
    g = grid[order]
    excl = ((lower > 0) | (upper < 0))[order]
    if not excl[0]:
        return math.nan
    if excl.all():
        lo, hi = float(g[-1]), max(2 * float(g[-1]), tol)
        for _ in range(30):  # widen until the set contains zero
            if not excludes_zero(hi):
                break
            lo, hi = hi, 2 * hi
        else:
            return lo
    else:
        first_in = int(np.argmin(excl))
        lo, hi = float(g[first_in - 1]), float(g[first_in])
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if excludes_zero(mid):
            lo = mid
        else:
            hi = mid
    return lo
