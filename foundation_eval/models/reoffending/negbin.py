"""Negative binomial (NB2) count model with a log(exposure) offset.

Part of [`foundation_eval.models.reoffending`][foundation_eval.models.reoffending]; import from there.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.checks import as_float, require_columns
from foundation_eval.models.reoffending._common import (
    as_list,
    design_matrix,
    set_readonly,
)
from foundation_eval.results import Result
from foundation_eval.stats import z_value

__all__ = [
    "NegativeBinomialResult",
    "negative_binomial",
]


@dataclass(frozen=True)
class NegativeBinomialResult(Result):
    r"""NB2 regression (see `negative_binomial`).

    Attributes
    ----------
    terms : tuple of str
        Terms, ``"(Intercept)"`` first (text covariates as ``name[level]``).
    coef, se : ndarray
        Log rate ratios and their standard errors (robust with clusters).
    cov : ndarray
        Covariance of ``coef``.
    alpha, alpha_se : float
        Over-dispersion $\alpha$ (variance $\mu + \alpha\mu^2$) and its standard error.
    theta, theta_se : float
        $\theta = 1/\alpha$ as R's ``MASS::glm.nb`` reports it.
    loglik : float
    n : int
    n_clusters : int or None
    level : float

    Examples
    --------
    >>> import pandas as pd
    >>> rng = np.random.default_rng(5)
    >>> x, years = rng.integers(0, 2, 3000), rng.uniform(0.5, 2, 3000)
    >>> mu = years * np.exp(0.2 + np.log(0.7) * x)           # true rate ratio 0.7, theta 1.5
    >>> y = rng.negative_binomial(1.5, 1.5 / (1.5 + mu))
    >>> res = negative_binomial(pd.DataFrame({"y": y, "x": x, "years": years}), "y", "years", ["x"])
    >>> res.terms
    ('(Intercept)', 'x')
    """

    terms: tuple
    coef: np.ndarray
    se: np.ndarray
    cov: np.ndarray
    alpha: float
    alpha_se: float
    theta: float
    theta_se: float
    loglik: float
    n: int
    n_clusters: int | None
    level: float

    @property
    def irr(self) -> np.ndarray:
        """Incidence-rate ratios, ``exp(coef)``."""
        return np.exp(self.coef)

    def table(self) -> pd.DataFrame:
        """The coefficients as a table.

        The intercept's irr is the baseline rate per unit of exposure.

        Returns
        -------
        DataFrame
            Indexed by term (``"(Intercept)"`` first); ``coef, se, irr, irr_low, irr_high, p``.
        """
        z = z_value(self.level)
        p = 2 * _st.norm.sf(np.abs(self.coef / self.se))
        return pd.DataFrame({
            "coef": self.coef, "se": self.se, "irr": np.exp(self.coef), "irr_low": np.exp(self.coef - z * self.se),
            "irr_high": np.exp(self.coef + z * self.se), "p": p,
        }, index=pd.Index(list(self.terms), name="term"))

    def plot(self, ax=None):
        """Forest plot of incidence-rate ratios (intercept omitted).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import forest_plot

        tab = self.table().iloc[1:]
        return forest_plot(tab["irr"], tab["irr_low"], tab["irr_high"], tab.index, reference=1.0, log=True,
                           xlabel=f"incidence-rate ratio ({self.level:.0%} interval)", color="black", ax=ax,
                           figsize=(6, 4))


def negative_binomial(frame: pd.DataFrame, count: str, exposure: str | None, covariates,
                      cluster: str | None = None, level: float = 0.95) -> NegativeBinomialResult:
    r"""Negative binomial (NB2) regression of counts with a log(exposure) offset.

    $$
    y_i \sim \mathrm{NB}(\mu_i, \theta),\quad \log \mu_i = \log T_i + x_i^\top\beta,\quad
    \mathrm{Var}(y_i) = \mu_i + \alpha \mu_i^2,\ \alpha = 1/\theta
    $$

    (Cameron & Trivedi 2013, ch. 3). $\beta$ and $\theta$ are the joint maximum-likelihood
    estimates, as R ``MASS::glm.nb``; like ``glm.nb`` the coefficient SEs come from the expected
    information at $\hat\theta$, $(X^\top W X)^{-1}$ with $W = \mu/(1 + \alpha\mu)$,
    and SE($\theta$) from the observed information (Venables & Ripley 2002, sec. 7.4).
    ``alpha`` is the dispersion (0 = Poisson).

    With ``cluster``, coefficient SEs are the cluster-robust sandwich with the same bread and the
    small-sample factor G/(G-1) (Cameron & Miller 2015).

    Parameters
    ----------
    frame : DataFrame
        One row per person (or person-period).
    count : str
        Column of non-negative whole-number counts (e.g. DA offences).
    exposure : str or None
        Column of positive exposure (e.g. years at risk); None for equal exposure.
    covariates : list of str
        Numeric columns as they are; text columns as indicators against the first level.
    cluster : str, optional
        Column of clusters (e.g. district) for cluster-robust standard errors.
    level : float
        Confidence level.

    Returns
    -------
    NegativeBinomialResult

    Examples
    --------
    Recovery of a known rate ratio (0.7) from simulated counts with a person-years offset (the tests
    check the fit against R's ``MASS::glm.nb`` on the quine data):

    >>> import pandas as pd
    >>> rng = np.random.default_rng(5)
    >>> x, years = rng.integers(0, 2, 3000), rng.uniform(0.5, 2, 3000)
    >>> mu = years * np.exp(0.2 + np.log(0.7) * x)
    >>> y = rng.negative_binomial(1.5, 1.5 / (1.5 + mu))
    >>> res = negative_binomial(pd.DataFrame({"y": y, "x": x, "years": years}), "y", "years", ["x"])
    >>> t = res.table()
    >>> bool(t.loc["x", "irr_low"] < 0.7 < t.loc["x", "irr_high"]), round(res.theta, 1)
    (True, 1.6)
    """
    cols = [count, *as_list(covariates)] + [c for c in (exposure, cluster) if c is not None]
    require_columns(frame, list(dict.fromkeys(cols)), complete=True)
    z_value(level)
    y = as_float(frame[count].to_numpy(dtype=float), f"column {count!r}")
    if (y < 0).any() or (y != np.round(y)).any():
        raise ValueError(f"column {count!r} must hold non-negative whole numbers")
    if exposure is not None:
        expo = as_float(frame[exposure].to_numpy(dtype=float), f"column {exposure!r}")
        if (expo <= 0).any():
            raise ValueError(f"column {exposure!r} must be positive (rows with no time at risk cannot be "
                             "modelled; drop them)")
        offset = np.log(expo)
    else:
        offset = np.zeros(y.size)
    X, names, _ = design_matrix(frame, covariates)
    Xd = np.column_stack([np.ones(y.size), X])
    terms = ["(Intercept)", *names]
    if y.sum() == 0:
        raise ValueError("all counts are zero")
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start_fit = sm.GLM(y, Xd, family=sm.families.Poisson(), offset=offset).fit()
        mu0 = start_fit.fittedvalues
        alpha0 = max(((y - mu0) ** 2 - y).sum() / (mu0**2).sum(), 0.05)
        model = sm.NegativeBinomial(y, Xd, loglike_method="nb2", offset=offset)
        res = model.fit(start_params=np.append(start_fit.params, alpha0), method="newton", maxiter=200,
                        disp=0, tol=1e-12)
        if not res.mle_retvals.get("converged", True):
            res = model.fit(start_params=res.params, method="bfgs", maxiter=2000, disp=0, gtol=1e-10)
    beta = np.asarray(res.params[:-1], dtype=float)
    alpha = float(res.params[-1])
    if not np.isfinite(alpha) or alpha <= 0:
        raise ValueError("the dispersion estimate is not positive: the counts are not over-dispersed; "
                         "use a Poisson model")
    theta = 1 / alpha
    mu = np.exp(Xd @ beta + offset)
    wts = mu / (1 + alpha * mu)
    bread = np.linalg.inv((Xd * wts[:, None]).T @ Xd)
    n_clusters = None
    if cluster is not None:
        codes, uniq = pd.factorize(frame[cluster])
        n_clusters = len(uniq)
        if n_clusters < 2:
            raise ValueError("cluster needs at least two clusters")
        s = Xd * ((y - mu) / (1 + alpha * mu))[:, None]
        S = np.zeros((n_clusters, Xd.shape[1]))
        np.add.at(S, codes, s)
        cov = bread @ (S.T @ S) @ bread * n_clusters / (n_clusters - 1)
    else:
        cov = bread
    from scipy.special import polygamma

    info_theta = -np.sum(polygamma(1, theta + y) - polygamma(1, theta) + 1 / theta - 2 / (theta + mu)
                         + (y + theta) / (theta + mu) ** 2)
    theta_se = float(1 / np.sqrt(info_theta)) if info_theta > 0 else float("nan")
    se = np.sqrt(np.diag(cov))
    set_readonly(beta, se, cov)
    return NegativeBinomialResult(tuple(terms), beta, se, cov, alpha, theta_se / theta**2, theta, theta_se,
                                  float(res.llf), int(y.size), n_clusters, level)
