"""Stabilised inverse-probability-of-treatment weights with a covariate balance table.

Part of [`foundation_eval.models.reoffending`][foundation_eval.models.reoffending]; import from there.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from foundation_eval.checks import as_float, require_columns
from foundation_eval.models.reoffending._common import (
    as_list,
    design_matrix,
)
from foundation_eval.results import Result

__all__ = [
    "IPWResult",
    "ipw_weights",
]


def _smd(x: np.ndarray, a: np.ndarray, w: np.ndarray, sd_pooled: float) -> float:
    m1 = np.average(x[a == 1], weights=w[a == 1])
    m0 = np.average(x[a == 0], weights=w[a == 0])
    return float((m1 - m0) / sd_pooled) if sd_pooled > 0 else float("nan")


def _pooled_sd(x: np.ndarray, a: np.ndarray) -> float:
    """Austin (2009): sqrt((s1^2 + s0^2)/2); for a 0/1 variable s^2 = p(1-p)."""
    binary = np.isin(x, (0.0, 1.0)).all()
    if binary:
        p1, p0 = x[a == 1].mean(), x[a == 0].mean()
        v1, v0 = p1 * (1 - p1), p0 * (1 - p0)
    else:
        v1, v0 = x[a == 1].var(ddof=1), x[a == 0].var(ddof=1)
    return float(np.sqrt((v1 + v0) / 2))


@dataclass(frozen=True)
class IPWResult(Result):
    """Inverse-probability-of-treatment weights (see `ipw_weights`).

    Attributes
    ----------
    weights, propensity : Series
        Aligned with the input frame's index.
    balance : DataFrame
        Standardised mean differences before and after weighting, one row per design column.
    ess_treated, ess_control : float
        Kish effective sample sizes (sum w)^2 / sum w^2 in each group.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"engaged": [1] * 10 + [0] * 30 + [1] * 30 + [0] * 10, "high_risk": [0] * 40 + [1] * 40})
    >>> res = ipw_weights(frame, "engaged", ["high_risk"])
    >>> round(float(res.table().smd_after.abs().max()), 6)
    0.0
    """

    weights: pd.Series
    propensity: pd.Series
    balance: pd.DataFrame
    stabilised: bool
    trim: float | None
    n_trimmed: int
    ess_treated: float
    ess_control: float
    treatment: str

    def table(self) -> pd.DataFrame:
        """The balance table (|SMD| < 0.1 is the usual target).

        Returns
        -------
        DataFrame
            ``covariate, smd_before, smd_after``.
        """
        return self.balance.copy()

    def plot(self, ax=None):
        """Love plot: absolute SMD before and after weighting, with the 0.1 reference line.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax, figsize=(6, 4))
        tab = self.balance
        y = np.arange(len(tab))[::-1]
        ax.scatter(tab["smd_before"].abs(), y, marker="o", facecolors="none", edgecolors="black", label="before")
        ax.scatter(tab["smd_after"].abs(), y, marker="o", color="black", label="after weighting")
        ax.axvline(0.1, color="grey", linestyle="--", linewidth=1)
        ax.set_yticks(y)
        ax.set_yticklabels(tab["covariate"])
        ax.set_xlabel("absolute standardised mean difference")
        ax.legend(frameon=False)
        return ax


def ipw_weights(frame: pd.DataFrame, treatment: str, covariates, stabilised: bool = True,
                trim: float | None = None) -> IPWResult:
    r"""Inverse-probability-of-treatment weights from a logistic propensity model.

    With propensity $e(x) = P(A = 1 \mid x)$ from a main-effects logistic regression,

    $$
    w_i = \frac{A_i\,P(A=1)}{e(x_i)} + \frac{(1-A_i)\,P(A=0)}{1-e(x_i)}\quad\text{(stabilised)},
    \qquad w_i = \frac{A_i}{e(x_i)} + \frac{1-A_i}{1-e(x_i)}\quad\text{(not)}
    $$

    (Robins, Hernan & Brumback 2000, *Epidemiology* 11:550). Stabilised weights average about 1 and
    keep the pseudo-population the size of the sample. Pass them to `cox` (``weights=``),
    which then uses robust standard errors.

    Balance is the standardised mean difference of each design column,
    $(\bar x_1 - \bar x_0)/\sqrt{(s_1^2 + s_0^2)/2}$ (Austin 2009, *Stat Med* 28:3083; for a 0/1
    column $s^2 = p(1-p)$), before and after weighting (weighted means; Austin & Stuart 2015,
    *Stat Med* 34:3661). The denominator is the unweighted pooled SD in both columns, so the change
    reflects the means only.

    Parameters
    ----------
    frame : DataFrame
    treatment : str
        0/1 (or boolean) column: 1 = exposed (e.g. engaged), 0 = not.
    covariates : list of str
        Confounders measured before the exposure; text columns become indicators.
    stabilised : bool
        Multiply by the marginal probability of the treatment received.
    trim : float, optional
        Truncate the weights at the ``trim`` and ``1 - trim`` quantiles (e.g. 0.01; Cole & Hernan
        2008, *Am J Epidemiol* 168:656). Truncation trades a little bias for less variance.

    Returns
    -------
    IPWResult

    Examples
    --------
    One binary confounder, so the weights are known exactly (Robins, Hernan and Brumback 2000):
    10 of 40 low-risk and 30 of 40 high-risk people engaged, so e = 0.25 or 0.75 and P(A = 1) = 0.5.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"engaged": [1] * 10 + [0] * 30 + [1] * 30 + [0] * 10, "high_risk": [0] * 40 + [1] * 40})
    >>> res = ipw_weights(frame, "engaged", ["high_risk"])
    >>> sorted(res.weights.round(3).unique().tolist())
    [0.667, 2.0]
    """
    require_columns(frame, [treatment, *as_list(covariates)], complete=True)
    a = as_float(frame[treatment].to_numpy(dtype=float), f"column {treatment!r}")
    if not np.isin(a, (0.0, 1.0)).all():
        raise ValueError(f"column {treatment!r} must be 0 (not exposed) or 1 (exposed)")
    if a.min() == a.max():
        raise ValueError(f"column {treatment!r} has a single value; both groups are needed")
    if trim is not None and not 0 < trim < 0.5:
        raise ValueError(f"trim must lie strictly between 0 and 0.5, got {trim!r}")
    X, names, _ = design_matrix(frame, covariates)
    import statsmodels.api as sm

    design = np.column_stack([np.ones(len(a)), X])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = sm.Logit(a, design).fit(disp=0, method="newton", maxiter=100)
        except Exception as exc:  # perfect separation or singular design
            raise ValueError(f"the propensity model could not be fitted ({exc}); a covariate may "
                             "predict the treatment perfectly") from None
    ps = fit.predict(design)
    if (ps < 1e-8).any() or (ps > 1 - 1e-8).any():
        raise ValueError("some propensities are 0 or 1 (no overlap between the groups): weighting cannot "
                         "balance them; restrict the sample or change the covariates")
    if stabilised:
        p1 = a.mean()
        w = np.where(a == 1, p1 / ps, (1 - p1) / (1 - ps))
    else:
        w = np.where(a == 1, 1 / ps, 1 / (1 - ps))
    n_trimmed = 0
    if trim is not None:
        lo, hi = np.quantile(w, [trim, 1 - trim])
        n_trimmed = int(((w < lo) | (w > hi)).sum())
        w = np.clip(w, lo, hi)
    rows = []
    for j, name in enumerate(names):
        sd = _pooled_sd(X[:, j], a)
        rows.append({"covariate": name, "smd_before": _smd(X[:, j], a, np.ones_like(w), sd),
                     "smd_after": _smd(X[:, j], a, w, sd)})
    balance = pd.DataFrame(rows, columns=["covariate", "smd_before", "smd_after"])

    def ess(v):
        return float(v.sum() ** 2 / (v**2).sum())

    return IPWResult(pd.Series(w, index=frame.index, name="weight"),
                     pd.Series(ps, index=frame.index, name="propensity"), balance, stabilised, trim, n_trimmed,
                     ess(w[a == 1]), ess(w[a == 0]), treatment)
