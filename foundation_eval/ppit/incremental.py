r"""Incremental value of the PPIT over what is already known (e.g. prior offending).

Two logistic models are fitted to the same people, with and without the added predictor:
likelihood-ratio test, change in AUC (paired DeLong), and optionally the category-free net
reclassification improvement (NRI) and the integrated discrimination improvement (IDI) of
Pencina et al. (2008), *Stat Med* 27:157-172.

All quantities are in-sample and therefore optimistic for the bigger model; the LR test is
the valid test of "adds information" (Demler, Pencina & D'Agostino 2012 show the DeLong test
of nested models is badly conservative; Pepe et al. 2013 show NRI/IDI tests add nothing to
it). The AUC change, NRI and IDI describe the size of the gain.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from foundation_eval.checks import as_binary
from foundation_eval.ppit._common import readonly
from foundation_eval.ppit.discrimination import DeLongTestResult, delong_test
from foundation_eval.results import Result
from foundation_eval.stats import z_value

__all__ = ["IncrementalValue", "incremental_value", "nri_idi"]


def nri_idi(p_old, p_new, outcomes, level: float = 0.95) -> pd.DataFrame:
    r"""Category-free NRI and IDI (Pencina et al. 2008).

    $$
    \mathrm{NRI} = [P(\uparrow\mid E) - P(\downarrow\mid E)]
                  + [P(\downarrow\mid \bar E) - P(\uparrow\mid \bar E)]
    $$

    where $\uparrow$ means $\hat p_{new} > \hat p_{old}$. Each component is a
    difference of two multinomial proportions, with variance
    $[p_\uparrow + p_\downarrow - (p_\uparrow - p_\downarrow)^2]/n$ (events $E$
    and non-events $\bar E$ independent).

    $$
    \mathrm{IDI} = (\bar p_{new,E} - \bar p_{old,E}) - (\bar p_{new,\bar E} - \bar p_{old,\bar E})
    $$

    with standard error $\sqrt{s_E^2/n_E + s_{\bar E}^2/n_{\bar E}}$, $s$ the standard
    deviations of $\hat p_{new} - \hat p_{old}$ within events and non-events.

    Returns
    -------
    DataFrame
        Indexed ``nri_events``, ``nri_nonevents``, ``nri``, ``idi``, with columns ``estimate``,
        ``se``, ``ci_low``, ``ci_high``, ``p_value``.

    Parameters
    ----------
    p_old, p_new : array-like
        Predicted probabilities of the old and new model for the same people.
    outcomes : array-like of 0/1
        Observed binary outcome.
    level : float
        Confidence level.

    Examples
    --------
    Events' predictions rise by 0.1 and 0.2, non-events' fall by 0.1 each: IDI = 0.15 + 0.1 = 0.25,
    and every prediction moved the right way (NRI = 2):

    >>> table = nri_idi([0.2, 0.4, 0.6, 0.3], [0.3, 0.3, 0.8, 0.2], [1, 0, 1, 0])
    >>> table.estimate.round(3).tolist()
    [1.0, 1.0, 2.0, 0.25]
    """
    y = as_binary(outcomes)
    old, new = np.asarray(p_old, float), np.asarray(p_new, float)
    z = z_value(level)
    rows = {}
    parts = {}
    for label, mask in (("events", y == 1), ("nonevents", y == 0)):
        d = new[mask] - old[mask]
        up, down = np.mean(d > 0), np.mean(d < 0)
        sign = 1 if label == "events" else -1
        est = sign * (up - down)
        var = (up + down - (up - down) ** 2) / mask.sum()
        parts[label] = (est, var, d)
        rows[f"nri_{label}"] = (est, np.sqrt(var))
    rows["nri"] = (parts["events"][0] + parts["nonevents"][0],
                   np.sqrt(parts["events"][1] + parts["nonevents"][1]))
    de, dn = parts["events"][2], parts["nonevents"][2]
    idi = de.mean() - dn.mean()
    rows["idi"] = (idi, np.sqrt(de.var(ddof=1) / de.size + dn.var(ddof=1) / dn.size))
    t = pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "se"])
    t["ci_low"] = t["estimate"] - z * t["se"]
    t["ci_high"] = t["estimate"] + z * t["se"]
    with np.errstate(divide="ignore", invalid="ignore"):
        t["p_value"] = 2 * _st.norm.sf(np.abs(t["estimate"] / t["se"]))
    return t


@dataclass(frozen=True, eq=False)
class IncrementalValue(Result):
    """Comparison of a base logistic model with the base plus the added predictor(s).

    Attributes
    ----------
    lr_statistic, lr_df, lr_p_value : float
        Likelihood-ratio test that the added predictor(s) carry information.
    auc_base, auc_full : float
    auc_test : DeLongTestResult
        Paired DeLong comparison (full - base), descriptive only for nested models.
    added_coefficients : DataFrame
        Log-odds ratios of the added predictor(s) in the full model with Wald intervals and
        odds ratios.
    reclassification : DataFrame or None
        NRI and IDI (see `nri_idi`).

    n, n_events : int
    level : float

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> score, prior = rng.integers(0, 21, 1200), rng.poisson(2, 1200)
    >>> y = (rng.uniform(size=1200) < 1 / (1 + np.exp(-(-2.5 + 0.2 * score + 0.3 * prior)))).astype(int)
    >>> res = incremental_value(y, pd.DataFrame({"prior": prior}), pd.Series(score, name="ppit"))
    >>> res.predictions().columns.tolist()
    ['base', 'full', 'outcome']
    """

    n: int
    n_events: int
    lr_statistic: float
    lr_df: int
    lr_p_value: float
    auc_base: float
    auc_full: float
    auc_test: DeLongTestResult
    added_coefficients: pd.DataFrame
    reclassification: pd.DataFrame | None
    level: float
    _p_base: np.ndarray = field(repr=False)
    _p_full: np.ndarray = field(repr=False)
    _y: np.ndarray = field(repr=False)

    def table(self) -> pd.DataFrame:
        """Every comparison in one table.

        Returns
        -------
        DataFrame
            Rows ``auc_base``, ``auc_full``, ``auc_difference``, ``likelihood_ratio`` and, with
            reclassification, ``nri_events``, ``nri_nonevents``, ``nri``, ``idi``; columns ``estimate``,
            ``se``, ``ci_low``, ``ci_high``, ``statistic``, ``df``, ``p_value``.
        """
        t = self.auc_test
        rows = {
            "auc_base": {"estimate": self.auc_base, "se": t.se_b},
            "auc_full": {"estimate": self.auc_full, "se": t.se_a},
            "auc_difference": {"estimate": t.difference, "se": t.se, "ci_low": t.ci_low,
                               "ci_high": t.ci_high, "statistic": t.z, "p_value": t.p_value},
            "likelihood_ratio": {"statistic": self.lr_statistic, "df": self.lr_df,
                                 "p_value": self.lr_p_value},
        }
        out = pd.DataFrame.from_dict(rows, orient="index")
        if self.reclassification is not None:
            out = pd.concat([out, self.reclassification])
        cols = ["estimate", "se", "ci_low", "ci_high", "statistic", "df", "p_value"]
        return out.reindex(columns=cols)

    def predictions(self) -> pd.DataFrame:
        """In-sample predicted probabilities of both models.

        Returns
        -------
        DataFrame
            ``base, full, outcome``, one row per person. Person-level: do not publish.
        """
        return pd.DataFrame({"base": self._p_base, "full": self._p_full, "outcome": self._y})

    def plot(self, ax=None):
        """ROC curves of both models.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import new_axes
        from foundation_eval.ppit.discrimination import auc

        ax = new_axes(ax, figsize=(5, 4))
        auc(self._p_base, self._y).plot(ax=ax, label=f"Base (AUC {self.auc_base:.2f})")
        auc(self._p_full, self._y).plot(ax=ax, label=f"Base + added (AUC {self.auc_full:.2f})")
        return ax


def incremental_value(
    outcomes, base_predictors, added, level: float = 0.95, reclassification: bool = True
) -> IncrementalValue:
    r"""Does the added predictor (e.g. PPIT total) improve on the base predictors?

    Fits $\mathrm{logit}\,P(Y=1) = \alpha + X\beta$ (base) and
    $\alpha + X\beta + Z\gamma$ (full) by maximum likelihood (statsmodels GLM, binomial)
    and reports:

    * the likelihood-ratio test $2(\ell_{full} - \ell_{base}) \sim \chi^2_{\dim Z}$;
    * the AUCs of the fitted probabilities and their paired DeLong difference;
    * optionally NRI and IDI (`nri_idi`).

    Parameters
    ----------
    outcomes : array-like of 0/1
    base_predictors : DataFrame
        Numeric columns, e.g. number of prior DA offences; may have zero columns (base model =
        intercept only). Encode categorical predictors as indicators first.
    added : Series or DataFrame
        The new predictor(s).

    level : float
        Confidence level.
    reclassification : bool
        Whether to add NRI and IDI.

    Returns
    -------
    IncrementalValue

    Examples
    --------
    A score that carries information beyond prior offences:

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> score, prior = rng.integers(0, 21, 1200), rng.poisson(2, 1200)
    >>> y = (rng.uniform(size=1200) < 1 / (1 + np.exp(-(-2.5 + 0.2 * score + 0.3 * prior)))).astype(int)
    >>> res = incremental_value(y, pd.DataFrame({"prior": prior}), pd.Series(score, name="ppit"))
    >>> res.lr_df, res.lr_p_value < 1e-10, res.auc_full > res.auc_base
    (1, True, True)
    """
    import statsmodels.api as sm

    y = as_binary(outcomes)
    z = z_value(level)
    base = pd.DataFrame(base_predictors).reset_index(drop=True)
    add = (added.to_frame() if isinstance(added, pd.Series) else pd.DataFrame(added)).reset_index(drop=True)
    if add.shape[1] == 0:
        raise ValueError("added must contain at least one predictor")
    if isinstance(added, pd.Series) and added.name is None:
        add.columns = ["added"]
    for name, frame in (("base_predictors", base), ("added", add)):
        if len(frame) != y.size:
            raise ValueError(f"{name} has {len(frame)} rows but outcomes has {y.size}")
        if frame.isna().any().any():
            raise ValueError(f"{name} contains missing values; drop or impute them first")
        bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        if bad:
            raise ValueError(f"{name} column(s) {bad} are not numeric; encode them as indicators")
    overlap = set(base.columns) & set(add.columns)
    if overlap:
        raise ValueError(f"column(s) {sorted(map(str, overlap))} appear in both base_predictors and added")
    xb = np.column_stack([np.ones(y.size), base.to_numpy(float)])
    xf = np.column_stack([xb, add.to_numpy(float)])
    fam = sm.families.Binomial()
    fit_b = sm.GLM(y, xb, family=fam).fit()
    fit_f = sm.GLM(y, xf, family=fam).fit()
    lr = 2 * (fit_f.llf - fit_b.llf)
    df = add.shape[1]
    p_b, p_f = np.asarray(fit_b.fittedvalues), np.asarray(fit_f.fittedvalues)
    if base.shape[1] == 0:
        # intercept-only base: every prediction equal, AUC exactly 0.5
        p_b = np.full(y.size, y.mean())
    test = delong_test(p_f, p_b, y, level=level)
    k = xb.shape[1]
    coef = pd.DataFrame({"log_odds_ratio": fit_f.params[k:], "se": fit_f.bse[k:]}, index=add.columns)
    coef["ci_low"] = coef["log_odds_ratio"] - z * coef["se"]
    coef["ci_high"] = coef["log_odds_ratio"] + z * coef["se"]
    coef["odds_ratio"] = np.exp(coef["log_odds_ratio"])
    coef["p_value"] = 2 * _st.norm.sf(np.abs(coef["log_odds_ratio"] / coef["se"]))
    return IncrementalValue(
        n=int(y.size),
        n_events=int(y.sum()),
        lr_statistic=float(lr),
        lr_df=int(df),
        lr_p_value=float(_st.chi2.sf(max(lr, 0.0), df)),
        auc_base=test.auc_b,
        auc_full=test.auc_a,
        auc_test=test,
        added_coefficients=coef,
        reclassification=nri_idi(p_b, p_f, y, level) if reclassification else None,
        level=float(level),
        _p_base=readonly(p_b),
        _p_full=readonly(p_f),
        _y=readonly(y),
    )
