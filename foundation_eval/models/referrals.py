"""Referral take-up: referred -> accepted -> started -> completed, by service and pathway.

Counts are of referrals made on or after a person's index date. Shares carry Wilson intervals; time
from referral to start is a Kaplan-Meier estimate (censored at drop-out or the extract date); the
take-up model is a logistic GEE with errors clustered by district.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.results import Result
from foundation_eval.stats import wilson_interval, z_value

__all__ = ["referral_frame", "stage_table", "time_to_start", "TakeUpModel", "takeup_model"]

STAGES = ("referred", "accepted", "started", "completed", "dropped")


def referral_frame(ds: Dataset, persons: pd.DataFrame) -> pd.DataFrame:
    """Referrals of the given people made on or after their index date, with stage flags.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    persons : DataFrame
        Rows of `foundation_eval.frames.cohort.person_frame`.

    Returns
    -------
    DataFrame
        The referral columns plus ``index_date, district_id, listed``, boolean stage flags ``referred,
        accepted, started, completed, dropped`` and ``days_to_start`` (missing if never started).

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.cohort import person_frame
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> refs = referral_frame(ds, person_frame(ds))
    >>> bool((refs.referred_date >= refs.index_date).all()), bool((refs.days_to_start.dropna() >= 0).all())
    (True, True)
    """
    ref = None
    if ds.reduced is not None and ds.reduced.columns_for(persons[["person_id", "index_date"]], []) is not None:
        # the reduced tables hold every eligible person's referrals from their index date on
        stored = ds.reduced.referrals
        ref = stored[stored.person_id.isin(persons.person_id)].copy()
    if ref is None:
        ref = ds.referrals.merge(persons[["person_id", "index_date", "district_id", "listed"]], on="person_id")
        ref = ref[ref.referred_date >= ref.index_date].copy()
    ref["referred"] = True
    for s in ("accepted", "started", "completed", "dropped"):
        ref[s] = ref[f"{s}_date"].notna()
    ref["days_to_start"] = (ref.started_date - ref.referred_date).dt.days
    return ref.reset_index(drop=True)


def stage_table(refs: pd.DataFrame, by: str = "service", level: float = 0.95) -> pd.DataFrame:
    """Referrals reaching each stage by ``by`` (service or pathway), with Wilson intervals.

    Parameters
    ----------
    refs : DataFrame
        A `referral_frame`.
    by : str
        Grouping column, ``"service"`` or ``"pathway"``.
    level : float
        Confidence level of the Wilson (1927) intervals.

    Returns
    -------
    DataFrame
        ``by, referred, accepted, started, completed, dropped`` (counts of referrals),
        ``start_pct, start_low, start_high`` (share of referrals started) and ``complete_pct,
        complete_low, complete_high`` (share of started referrals completed), plus an "All" row.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.cohort import person_frame
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> refs = referral_frame(ds, person_frame(ds))
    >>> table = stage_table(refs, by="pathway")
    >>> table.pathway.iloc[-1], int(table.referred.iloc[-1]) == len(refs)
    ('All', True)
    """
    g = refs.groupby(by)[list(STAGES)].sum().astype(int)
    g.loc["All"] = g.sum()
    out = g.reset_index().rename(columns={"index": by})
    lo, hi = wilson_interval(out.started.to_numpy(), out.referred.to_numpy(), level)
    out["start_pct"], out["start_low"], out["start_high"] = 100 * out.started / out.referred, 100 * lo, 100 * hi
    with np.errstate(invalid="ignore", divide="ignore"):
        lo, hi = wilson_interval(out.completed.to_numpy(), out.started.to_numpy(), level)
        out["complete_pct"] = 100 * out.completed / out.started.replace(0, np.nan)
    out["complete_low"], out["complete_high"] = 100 * lo, 100 * hi
    return out


def time_to_start(refs: pd.DataFrame, extract_date, level: float = 0.95):
    """Kaplan-Meier of days from referral to start, censored at drop-out (if never started) or the extract.

    Parameters
    ----------
    refs : DataFrame
        A `referral_frame`.
    extract_date : date-like
        Censoring date for referrals neither started nor dropped.
    level : float
        Confidence level.

    Returns
    -------
    KaplanMeierResult
        Of time to start in days (`foundation_eval.models.reoffending.kaplan_meier`).

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.cohort import person_frame
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> refs = referral_frame(ds, person_frame(ds))
    >>> km = time_to_start(refs, ds.extract_date)
    >>> km.n == len(refs), 0 <= km.survival_at(90) <= 1
    (True, True)
    """
    from foundation_eval.models.reoffending import kaplan_meier

    extract = pd.Timestamp(extract_date)
    stop = refs.started_date.fillna(refs.dropped_date).fillna(extract)
    days = (stop - refs.referred_date).dt.days.clip(lower=0)
    return kaplan_meier(days.to_numpy(float), refs.started.to_numpy(int), level=level, label="referral to start")


@dataclass(frozen=True)
class TakeUpModel(Result):
    """Logistic GEE of starting a referred service, clustered by district.

    Returned by `takeup_model`.

    Attributes
    ----------
    params : DataFrame
        Coefficients (see `table`).
    n : int
        Referrals in the model.
    clusters : int
        Number of clusters (districts).
    cov_type : str
        Covariance used (``"bias_reduced"``, Mancl and DeRouen 2001).
    working_correlation : {"exchangeable", "independence"}
        The working correlation the model converged under.
    converged : bool
        Always True: an unconverged model is never returned.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.cohort import person_frame
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> refs = referral_frame(ds, person_frame(ds))
    >>> model = takeup_model(refs, ["pathway"])
    >>> model.table().columns.tolist(), model.cov_type
    (['coef', 'se', 'odds_ratio', 'or_low', 'or_high', 'p'], 'bias_reduced')
    """

    params: pd.DataFrame
    n: int
    clusters: int
    cov_type: str
    working_correlation: str = "exchangeable"
    converged: bool = True

    def table(self) -> pd.DataFrame:
        """The model's terms.

        Returns
        -------
        DataFrame
            ``coef, se, odds_ratio, or_low, or_high, p`` indexed by term (text covariates as
            ``C(column)[T.level]``).
        """
        return self.params.copy()

    def plot(self, ax=None):
        """Odds ratios with their intervals on a log scale (intercept left out).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import forest_plot

        t = self.params.drop(index="Intercept", errors="ignore").iloc[::-1]  # first term at the bottom
        return forest_plot(t.odds_ratio, t.or_low, t.or_high, t.index, reference=1, log=True, ax=ax,
                           xlabel="Odds ratio of starting (95% interval)")


def takeup_model(refs: pd.DataFrame, covariates: list[str], cluster: str = "district_id",
                 level: float = 0.95) -> TakeUpModel:
    r"""Logistic GEE (Liang & Zeger 1986) of ``started`` on covariates, exchangeable within cluster.

    $$
    \operatorname{logit} P(\text{started}_{ij}) = x_{ij}'\beta,
    \qquad \operatorname{corr}(y_{ij}, y_{ik}) = \rho \text{ within cluster } i
    $$

    ``covariates`` are column names; text columns enter as categorical terms (first level as reference).
    With few clusters (about 14 districts) the usual sandwich is too small, so the Mancl & DeRouen
    (2001) bias-reduced covariance is used; intervals are Wald intervals on the log-odds scale. When the
    exchangeable working correlation does not converge, the independence working correlation is used
    instead (``working_correlation`` says which); a model that converges under neither raises
    ``ValueError`` rather than returning unconverged estimates.

    Parameters
    ----------
    refs : DataFrame
        A `referral_frame` (rows with a missing covariate or cluster are dropped).
    covariates : list of str
        Column names of the covariates.
    cluster : str
        Cluster column.
    level : float
        Confidence level.

    Returns
    -------
    TakeUpModel

    Raises
    ------
    ValueError
        When the model converges under neither working correlation.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.cohort import person_frame
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> refs = referral_frame(ds, person_frame(ds))
    >>> model = takeup_model(refs, ["pathway"])
    >>> model.n == len(refs), model.clusters > 1
    (True, True)
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf
    from scipy import stats

    df = refs.dropna(subset=covariates + [cluster]).copy()
    df["started_i"] = df.started.astype(int)
    terms = [f"C({c})" if not pd.api.types.is_numeric_dtype(df[c]) else c for c in covariates]
    formula = "started_i ~ " + " + ".join(terms)
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, IterationLimitWarning

    # exchangeable first; when its iterations do not settle, the independence working correlation (still
    # consistent, the sandwich carrying the clustering); a model that converges under neither is refused
    res, working = None, None
    for name, struct in (("exchangeable", sm.cov_struct.Exchangeable()), ("independence", sm.cov_struct.Independence())):
        model = smf.gee(formula, groups=cluster, data=df, family=sm.families.Binomial(), cov_struct=struct)
        with warnings.catch_warnings():
            warnings.simplefilter("error", IterationLimitWarning)
            warnings.simplefilter("error", ConvergenceWarning)
            try:
                res = model.fit(cov_type="bias_reduced", maxiter=100)
            except (IterationLimitWarning, ConvergenceWarning):
                continue
        working = name
        break
    if res is None:
        raise ValueError("the take-up model did not converge under an exchangeable or an independence working "
                         "correlation, so it is not reported")
    z = z_value(level)
    params = pd.DataFrame({"coef": res.params, "se": res.bse})
    params["odds_ratio"] = np.exp(params.coef)
    params["or_low"] = np.exp(params.coef - z * params.se)
    params["or_high"] = np.exp(params.coef + z * params.se)
    params["p"] = 2 * stats.norm.sf(np.abs(params.coef / params.se))
    return TakeUpModel(params, len(df), int(df[cluster].nunique()), "bias_reduced", working, True)
