r"""Maximum-likelihood confirmatory factor analysis with simple-structure loadings.

Model: $\Sigma(\theta) = \Lambda\Phi\Lambda^\top + \Theta$, with the loading pattern
fixed (each item loads on the factors marked in ``pattern``), factor variances fixed at 1,
factor correlations free, and diagonal residual variances $\Theta$. The ML discrepancy

$$
F_{ML} = \log|\Sigma| + \mathrm{tr}(S\Sigma^{-1}) - \log|S| - p
$$

is minimised by L-BFGS-B with its analytic gradient
($M = \Sigma^{-1} - \Sigma^{-1}S\Sigma^{-1}$; $\partial F/\partial\Lambda = 2M\Lambda\Phi$,
$\partial F/\partial\phi_{ab} = 2(\Lambda^\top M\Lambda)_{ab}$,
$\partial F/\partial\theta_{i} = M_{ii}$), Jöreskog (1969), *Psychometrika* 34:183-202.
$S$ is the covariance matrix with divisor $N$ and the test statistic is
$T = N F_{ML}$, the conventions of lavaan's default ``estimator="ML"``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize as _opt
from scipy import stats as _st

__all__ = ["CFAFit", "fit_cfa"]


@dataclass(frozen=True, eq=False)
class CFAFit:
    loadings: np.ndarray  # (p, m), unstandardised
    phi: np.ndarray  # (m, m) factor correlations
    theta: np.ndarray  # (p,) residual variances
    sigma: np.ndarray
    fmin: float
    chi2: float
    df: int
    p_value: float
    n_params: int
    loglik: float
    aic: float
    bic: float
    cfi: float
    tli: float
    rmsea: float
    srmr: float
    converged: bool
    heywood: tuple  # items whose residual variance hit the lower bound

    @property
    def standardized_loadings(self) -> np.ndarray:
        return self.loadings / np.sqrt(np.diag(self.sigma))[:, None]


def _unpack(x, pattern, n_lam, n_phi):
    p, m = pattern.shape
    lam = np.zeros((p, m))
    lam[pattern] = x[:n_lam]
    phi = np.eye(m)
    if n_phi:
        iu = np.triu_indices(m, 1)
        phi[iu] = x[n_lam : n_lam + n_phi]
        phi[(iu[1], iu[0])] = x[n_lam : n_lam + n_phi]
    theta = x[n_lam + n_phi :]
    return lam, phi, theta


def fit_cfa(
    s: np.ndarray, n_obs: int, pattern: np.ndarray, correlated: bool = True, start: CFAFit | None = None
) -> CFAFit:
    """Fit the model to covariance ``s`` (divisor N) of ``n_obs`` people.

    ``start`` (a previous fit of the same model, e.g. to the full sample inside a bootstrap)
    supplies starting values.
    """
    s = np.asarray(s, dtype=float)
    pattern = np.asarray(pattern, dtype=bool)
    p, m = pattern.shape
    sign, logdet_s = np.linalg.slogdet(s)
    if sign <= 0:
        raise ValueError("the item covariance matrix is singular: an item is constant or a linear "
                         "combination of others")
    n_lam = int(pattern.sum())
    n_phi = m * (m - 1) // 2 if correlated else 0
    diag = np.diag(s)
    # start: loadings from the first principal component of each factor's block
    lam0 = np.zeros((p, m))
    for j in range(m):
        idx = np.flatnonzero(pattern[:, j])
        vals, vecs = np.linalg.eigh(s[np.ix_(idx, idx)])
        v = vecs[:, -1] * np.sign(vecs[:, -1].sum() or 1.0)
        lam0[idx, j] = v * np.sqrt(max(vals[-1], 1e-8)) * 0.8
    theta0 = np.maximum(diag - (lam0**2).sum(axis=1), 0.1 * diag)
    x0 = np.r_[lam0[pattern], np.full(n_phi, 0.3), theta0]
    if start is not None:
        iu0 = np.triu_indices(m, 1)
        x0 = np.r_[start.loadings[pattern], start.phi[iu0][:n_phi], np.maximum(start.theta, 1e-3 * diag)]
    lower = 1e-6 * diag
    bounds = [(None, None)] * n_lam + [(-0.999, 0.999)] * n_phi + [(lo, None) for lo in lower]
    iu = np.triu_indices(m, 1)

    def fun(x):
        lam, phi, theta = _unpack(x, pattern, n_lam, n_phi)
        sigma = lam @ phi @ lam.T + np.diag(theta)
        sgn, logdet = np.linalg.slogdet(sigma)
        if sgn <= 0:
            return 1e10, np.zeros_like(x)
        inv = np.linalg.inv(sigma)
        f = logdet + np.trace(s @ inv) - logdet_s - p
        mm = inv - inv @ s @ inv
        g_lam = 2 * mm @ lam @ phi
        g = [g_lam[pattern]]
        if n_phi:
            g.append(2 * (lam.T @ mm @ lam)[iu])
        g.append(np.diag(mm))
        return f, np.concatenate(g)

    res = _opt.minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                        options={"maxiter": 5000, "ftol": 1e-14, "gtol": 1e-9})
    lam, phi, theta = _unpack(res.x, pattern, n_lam, n_phi)
    # orient each factor so that its loadings sum to a positive number
    flip = np.where(lam.sum(axis=0) < 0, -1.0, 1.0)
    lam = lam * flip
    phi = phi * np.outer(flip, flip)
    sigma = lam @ phi @ lam.T + np.diag(theta)
    fmin = float(res.fun)
    q = n_lam + n_phi + p
    df = p * (p + 1) // 2 - q
    chi2 = n_obs * fmin
    logdet_sigma = np.linalg.slogdet(sigma)[1]
    loglik = -0.5 * n_obs * (p * np.log(2 * np.pi) + logdet_sigma + np.trace(s @ np.linalg.inv(sigma)))
    chi2_b = n_obs * (np.sum(np.log(diag)) - logdet_s)
    df_b = p * (p - 1) // 2
    d_m, d_b = max(chi2 - df, 0.0), max(chi2_b - df_b, 0.0)
    cfi = 1.0 if max(d_m, d_b) == 0 else 1 - d_m / max(d_m, d_b)
    tli = ((chi2_b / df_b) - (chi2 / df)) / ((chi2_b / df_b) - 1) if df > 0 else float("nan")
    rmsea = float(np.sqrt(d_m / (df * n_obs))) if df > 0 else float("nan")
    sd = np.sqrt(diag)
    resid = (s - sigma) / np.outer(sd, sd)
    il = np.tril_indices(p)
    srmr = float(np.sqrt(np.mean(resid[il] ** 2)))
    return CFAFit(
        loadings=lam,
        phi=phi,
        theta=theta,
        sigma=sigma,
        fmin=fmin,
        chi2=float(chi2),
        df=int(df),
        p_value=float(_st.chi2.sf(chi2, df)) if df > 0 else float("nan"),
        n_params=int(q),
        loglik=float(loglik),
        aic=float(-2 * loglik + 2 * q),
        bic=float(-2 * loglik + q * np.log(n_obs)),
        cfi=float(cfi),
        tli=float(tli),
        rmsea=rmsea,
        srmr=srmr,
        converged=bool(res.success),
        heywood=tuple(int(i) for i in np.flatnonzero(theta <= lower * 1.0001)),
    )
