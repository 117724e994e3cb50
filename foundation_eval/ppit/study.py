r"""The PPIT validity study: every result the validity report shows, fitted once.

[`fit_ppit_study`][foundation_eval.ppit.study.fit_ppit_study] builds the analysis frames of
[`foundation_eval.ppit.validity`][foundation_eval.ppit.validity] from a validated extract and runs the
statistics of [`foundation_eval.ppit`][foundation_eval.ppit] on them, returning one immutable
[`PpitStudy`][foundation_eval.ppit.study.PpitStudy]: discrimination (AUC with DeLong intervals for the
PPIT total and two police-data baselines, paired DeLong comparisons), time to the outcome (Harrell's
C, cumulative/dynamic AUC(t)), incremental value over police data, calibration (a logistic
score-to-risk model, observed outcome by score, temporal validation), thresholds (sensitivity,
specificity and predictive values at every cut-off, the decision curve), reliability between assessors
(the six intraclass correlations, Bland-Altman limits, weighted kappa, agreement on the priority flag),
internal structure (item-total correlations, alpha, omega, factor models) and equity across protected
characteristics. Every count is exact: disclosure control is applied later, by the publication layer.

The render's snapshot fits the study with its registered defaults once (study ``"ppit"`` of
`foundation_eval.evaluation.snapshot.STUDIES`); another outcome or window is a *variant*, fitted by
calling [`fit_ppit_study`][foundation_eval.ppit.study.fit_ppit_study] with other settings
([`ppit_study`][foundation_eval.ppit.study.ppit_study] returns the snapshot's study when the settings
are the defaults and fits a variant otherwise).

**Pooled scores.** The publication layer pools adjacent scores so that no published count falls
below its threshold, and it chooses the pooling. So that the report never refits anything, the study
holds the statistics of every run of adjacent PPIT totals (`pooled`), every cut-off (`cutoffs`) and
the net benefit of flagging at every cut-off (`decision`);
[`calibration_at`][foundation_eval.ppit.study.PpitStudy.calibration_at],
[`cutoffs_at`][foundation_eval.ppit.study.PpitStudy.cutoffs_at] and
[`decision_curve_at`][foundation_eval.ppit.study.PpitStudy.decision_curve_at] only select rows of
them for the bands the page publishes.

**Pseudonyms.** Results do not depend on the pseudonymisation key: people are put in an order fixed
by their values and dates (never by `person_id`) before anything is fitted, and the bootstraps
(AUC(t), omega) resample rows in that order with a fixed seed, so a re-keyed extract gives identical
numbers. No identifier is kept in the study.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from foundation_eval.ppit.discrimination import auc, delong_test
from foundation_eval.ppit.equity import (
    auc_by_group,
    calibration_by_group,
    differential_prediction,
    flag_rate_parity,
    group_masks,
)
from foundation_eval.ppit.incremental import incremental_value
from foundation_eval.ppit.reliability import ICC2_MEASURED_COVERAGE, agreement, icc, weighted_kappa
from foundation_eval.ppit.structure import compare_factor_structures, cronbach_alpha, item_analysis, omega
from foundation_eval.ppit.thresholds import threshold_table
from foundation_eval.ppit.time_to_event import harrell_c, time_dependent_auc
from foundation_eval.ppit.validity import (
    DAYS_PER_MONTH,
    DEFAULT_HARM_THRESHOLD,
    VIOLENT_SEVERITY,
    OutcomeDefinition,
    double_scored,
    limits_of_agreement,
    outcome_definition,
    reliability_frame,
    score_risk_model,
    temporal_validation,
    validation_frame,
)
from foundation_eval.stats import wilson_interval

__all__ = ["PpitStudy", "fit_ppit_study", "ppit_study", "PREDICTORS", "BASELINES", "CHARACTERISTICS",
           "HORIZONS_MONTHS", "DECISION_THRESHOLDS", "DEFAULT_N_BOOT"]

PREDICTORS = ("ppit_total", "prior_da_2y", "rfg_score")
"""Scores whose accuracy is compared: the PPIT total and the two police-data baselines (the number of
DA offences in the two years before the index date and the recency-frequency-gravity score of
[`rfg_scores`][foundation_eval.ppit.validity.rfg_scores])."""
BASELINES = PREDICTORS[1:]
"""The two police-data baselines the PPIT is compared with and added to."""
CHARACTERISTICS = (("Sex", "sex"), ("Ethnic group", "ethnicity_group"), ("Age band", "age_band"),
                   ("District", "district"))
"""Protected characteristics (and the district) of the equity checks: name and column."""
HORIZONS_MONTHS = (6, 12, 24)
"""Months after the index date at which AUC(t) is estimated (where enough people are on both sides)."""
DECISION_THRESHOLDS = np.arange(2, 91) / 100
"""Threshold risks of the decision curve: 2% to 90% in steps of one percentage point."""
DEFAULT_N_BOOT = 200
"""Bootstrap replicates of the AUC(t) and omega intervals."""

_EQUITY_ACCURACY = ["characteristic", "group", "everyone", "events", "non_events", "auc", "ci_low", "ci_high", "oe"]
_EQUITY_PRIORITY = ["characteristic", "group", "everyone", "flagged", "unflagged", "rate", "ci_low", "ci_high",
                    "ratio"]
_EQUITY_TESTS = ["characteristic", "auc_q", "slopes", "intercepts"]
_FAILS = (ValueError, np.linalg.LinAlgError, ZeroDivisionError, FloatingPointError)


def _why(exc: Exception) -> str:
    return str(exc).split("\n")[0].rstrip(".") or type(exc).__name__


@dataclass(frozen=True, eq=False)
class PpitStudy:
    """Every result of the PPIT validity study on one extract, for one outcome and window.

    Fitted by [`fit_ppit_study`][foundation_eval.ppit.study.fit_ppit_study]. Counts are exact (no
    disclosure control); no person identifier is kept. A part the data cannot support is None (or
    empty) and `unavailable` says why.

    Attributes
    ----------
    outcome : OutcomeDefinition
        The outcome ([`outcome_definition`][foundation_eval.ppit.validity.outcome_definition]).
    window_months, min_followup_months : int
        Outcome window after the index date and the follow-up needed to enter the sample.
    level : float
        Confidence level of every interval.
    n_boot, seed : int
        Bootstrap replicates (AUC(t), omega; 0: none) and the seed of the first bootstrap.
    min_count : int
        Fewest people with, and without, the outcome (or in a group) for a statistic to be estimated:
        the programme's disclosure threshold.
    extract_date : Timestamp
        The extract date.
    n_scored, n_observed, n_events, n_exited : int
        Listed people with a first rating; those whose whole window was observed; those among them
        with the outcome; those left out because they exited before their window closed.
    n_followup_events : int
        People with the outcome event at any time in follow-up (time-to-event analyses use everyone).
    discrimination : DataFrame or None
        Indexed by predictor (`PREDICTORS`): `auc, se, ci_low, ci_high` (DeLong) and, for the
        baselines, the paired DeLong comparison `difference` (PPIT minus baseline), `diff_ci_low`,
        `diff_ci_high`, `p_value`.
    score_counts : DataFrame
        `predictor, value, events, non_events`: people with and without the outcome at each value of
        each predictor.
    cutoffs : DataFrame
        `predictor` and the columns of [`threshold_table`][foundation_eval.ppit.threshold_table] at
        every distinct value and one above the highest (flag when the score is at least `threshold`;
        Wilson intervals).
    roc : DataFrame
        `predictor, threshold, fpr, tpr`: the empirical ROC curve through every cut-off, from (0, 0)
        to (1, 1).
    harrell : DataFrame or None
        Indexed by predictor: Harrell's C with its jackknife interval, `c, ci_low, ci_high, n, n_events`.
    td_auc : DataFrame or None
        `months, time_days, cases, controls, auc, ci_low, ci_high`: AUC(t) at the horizons of
        `HORIZONS_MONTHS` where at least `min_count` people are on each side.
    incremental : DataFrame or None
        Indexed by `auc_base`, `auc_full`, `auc_difference`, `odds_ratio`: `estimate, ci_low, ci_high`.
    incremental_test : Series or None
        `n, n_events, lr_statistic, lr_df, lr_p_value` of the likelihood-ratio test of adding the PPIT.
    risk_model : Series or None
        The logistic model of the outcome on the PPIT total: `intercept, slope, slope_se, odds_ratio,
        or_ci_low, or_ci_high, n, n_events`.
    risk_curve : DataFrame or None
        `score, risk`: the model's risk over the whole scale.
    pooled : DataFrame or None
        One row per run of adjacent observed PPIT totals, `lower` to `upper`: `n, events, observed,
        ci_low, ci_high` (Wilson), `mean_score`, `mean_risk` (the model's mean risk).
    decision : DataFrame or None
        Net benefit of flagging everyone with a PPIT total at least `cutoff` (infinite: no one) at each
        threshold risk of `DECISION_THRESHOLDS`: `cutoff, threshold, tp, fp, net_benefit, treat_all,
        interventions_avoided_per_100`.
    temporal : Series or None
        Temporal validation: `cut, n_development, n_validation, development_start, development_end,
        validation_start, validation_end`, calibration `intercept, intercept_ci_low,
        intercept_ci_high, slope, slope_ci_low, slope_ci_high, oe_ratio`.
    n_double_scored : int
        People rated both first and second (the sample of the registered ICC).
    icc : DataFrame or None
        The six intraclass correlations of the total (`ICC1` ... `ICC3k`): `description, icc, ci_low,
        ci_high`.
    icc_measured_coverage : float or None
        Coverage of the 95% interval of ICC(2,1) measured over synthetic forces
        (`foundation_eval.ppit.reliability.ICC2_MEASURED_COVERAGE`); None when not fitted at the 95% level.
    n_pairs : int
        Double-scored people whose two ratings are by different assessors.
    limits : LimitsOfAgreement or None
        Bland-Altman limits of the second total against the first, over those pairs.
    kappa : DataFrame or None
        `item, kappa, ci_low, ci_high`: linearly weighted kappa of each item (NaN: not estimable).
    flag_agreement : DataFrame or None
        `cell` (`both`, `neither`, `disagreed`) and `people`: agreement on the priority flag.
    flag_kappa : Series or None
        Cohen's kappa of the priority flag: `kappa, ci_low, ci_high`.
    items : DataFrame or None
        Per item on the first rating: `item, n, endorsed` (scored above the scale's lowest value),
        `not_endorsed, endorsement, item_total_r` (corrected item-total correlation).
    alpha : AlphaResult or None
        Cronbach's alpha with Feldt's interval.
    omega : OmegaResult or None
        McDonald's omega (bootstrap interval when `n_boot` is positive).
    factors : FactorComparison or None
        One factor against one factor per domain (None with fewer than two domains of two items).
    equity_accuracy : DataFrame
        `characteristic, group, everyone, events, non_events, auc, ci_low, ci_high, oe`: every group
        (those too small for the statistics have them missing) and everyone.
    equity_priority : DataFrame
        `characteristic, group, everyone, flagged, unflagged, rate, ci_low, ci_high, ratio`.
    equity_tests : DataFrame
        `characteristic, auc_q, slopes, intercepts`: p-values of Cochran's Q test of equal AUCs and of
        differential prediction.
    unavailable : dict
        Part of the study to the reason it could not be estimated.

    Examples
    --------
    The snapshot of the built-in synthetic force holds the study with the registered settings:

    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> snap = open_snapshot()
    >>> study = snap.study("ppit")
    >>> study.registered, study.outcome.key, study.window_months
    (True, 'any_da', 12)
    >>> study.auc == snap.estimate("ppit_auc_12m").estimate    # the registered AUC
    True
    >>> round(float(study.table().set_index("measure").loc["AUC: PPIT total", "estimate"]), 2)
    0.7
    """

    outcome: OutcomeDefinition
    window_months: int
    min_followup_months: int
    level: float
    n_boot: int
    seed: int
    min_count: int
    extract_date: pd.Timestamp
    n_scored: int = 0
    n_observed: int = 0
    n_events: int = 0
    n_exited: int = 0
    n_followup_events: int = 0
    discrimination: pd.DataFrame | None = None
    score_counts: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    cutoffs: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    roc: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    harrell: pd.DataFrame | None = None
    td_auc: pd.DataFrame | None = None
    incremental: pd.DataFrame | None = None
    incremental_test: pd.Series | None = None
    risk_model: pd.Series | None = None
    risk_curve: pd.DataFrame | None = field(default=None, repr=False)
    pooled: pd.DataFrame | None = field(default=None, repr=False)
    decision: pd.DataFrame | None = field(default=None, repr=False)
    temporal: pd.Series | None = None
    n_double_scored: int = 0
    icc: pd.DataFrame | None = None
    icc_measured_coverage: float | None = None
    n_pairs: int = 0
    limits: object | None = None
    kappa: pd.DataFrame | None = None
    flag_agreement: pd.DataFrame | None = None
    flag_kappa: pd.Series | None = None
    items: pd.DataFrame | None = None
    alpha: object | None = None
    omega: object | None = None
    factors: object | None = field(default=None, repr=False)
    equity_accuracy: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_EQUITY_ACCURACY), repr=False)
    equity_priority: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_EQUITY_PRIORITY), repr=False)
    equity_tests: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_EQUITY_TESTS), repr=False)
    unavailable: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ settings
    @property
    def settings(self) -> dict:
        """The settings that define the study (what a variant changes), normalised: the outcome key,
        window, minimum follow-up, harm threshold (`harm_above` only), severity cut (`violent_da`
        only), level, bootstrap replicates and seed."""
        key = self.outcome.key
        return {"outcome": key, "window_months": self.window_months,
                "min_followup_months": self.min_followup_months,
                "harm_threshold": self.outcome.harm_threshold if key == "harm_above" else None,
                "violent_severity": self.outcome.violent_severity if key == "violent_da" else None,
                "level": self.level, "n_boot": self.n_boot, "seed": self.seed}

    @property
    def registered(self) -> bool:
        """True when the study's AUC is the registered `ppit_auc_12m` (any DA offence within 12 months,
        everyone followed for 12 months, 95% intervals)."""
        return (self.outcome.key == "any_da" and self.window_months == 12 and self.min_followup_months <= 12
                and abs(self.level - 0.95) < 1e-12)

    @property
    def estimable(self) -> bool:
        """Whether at least `min_count` people (and at least 2) had, and did not have, the outcome."""
        e = self.n_events
        return min(e, self.n_observed - e) >= max(self.min_count, 2)

    @property
    def auc(self) -> float:
        """AUC of the PPIT total (NaN when not estimated)."""
        return float(self.discrimination.at["ppit_total", "auc"]) if self.discrimination is not None else np.nan

    @property
    def counts(self) -> pd.Series:
        """The study's exact counts of people, by name: the quantities its report states in sentences
        and tables (`scored`, `observed`, `with_outcome`, `without_outcome`, `left_out`, `exited`,
        `followup_events`, `followup_censored`, `double_scored`, `pairs`, `development`, `validation`)."""
        tv = self.temporal
        return pd.Series({
            "scored": self.n_scored, "observed": self.n_observed, "with_outcome": self.n_events,
            "without_outcome": self.n_observed - self.n_events, "left_out": self.n_scored - self.n_observed,
            "exited": self.n_exited, "followup_events": self.n_followup_events,
            "followup_censored": self.n_scored - self.n_followup_events, "double_scored": self.n_double_scored,
            "pairs": self.n_pairs, "development": int(tv.n_development) if tv is not None else 0,
            "validation": int(tv.n_validation) if tv is not None else 0}, dtype=int)

    def matches(self, outcome: str = "any_da", window_months: int = 12, min_followup_months=None,
                harm_threshold=None, violent_severity: int = VIOLENT_SEVERITY, level: float = 0.95,
                n_boot=None) -> bool:
        """Whether the study was fitted with these settings (as [`fit_ppit_study`][foundation_eval.ppit.study.fit_ppit_study]
        takes them; blanks and zeros mean the defaults).

        Parameters
        ----------
        outcome, window_months, min_followup_months, harm_threshold, violent_severity, level
            As for [`fit_ppit_study`][foundation_eval.ppit.study.fit_ppit_study].
        n_boot : int, optional
            Bootstrap replicates; None: any.

        Returns
        -------
        bool
            True when the normalised settings are the study's.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> study = open_snapshot().study("ppit")
        >>> study.matches(), study.matches(min_followup_months=12, harm_threshold=0)
        (True, True)
        >>> study.matches(outcome="violent_da"), study.matches(n_boot=0)
        (False, False)
        """
        want = _settings(outcome, window_months, min_followup_months, harm_threshold, violent_severity, level,
                         self.n_boot if n_boot is None else n_boot, self.seed)
        return want == self.settings

    # ------------------------------------------------------------------ pooled scores
    def cutoffs_at(self, predictor: str, thresholds) -> pd.DataFrame:
        """The rows of `cutoffs` at given cut-offs of one predictor (flag when the score is at least
        the cut-off).

        A cut-off between two observed values flags the same people as the next observed value above
        it, so it takes that row (with its own `threshold`); one above every value flags no one (the
        last row of `cutoffs`).

        Parameters
        ----------
        predictor : str
            One of `PREDICTORS`.
        thresholds : sequence of float
            Cut-offs, e.g. the lower edges of the published score bands.

        Returns
        -------
        DataFrame
            The [`threshold_table`][foundation_eval.ppit.threshold_table] columns at each distinct
            cut-off, in increasing order.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> study = open_snapshot().study("ppit")
        >>> at12 = study.cutoffs_at("ppit_total", [12]).iloc[0]
        >>> int(at12.tp + at12.fp + at12.fn + at12.tn) == study.n_observed
        True
        """
        t = self.cutoffs[self.cutoffs.predictor == predictor].sort_values("threshold").reset_index(drop=True)
        if t.empty:
            raise ValueError(f"no cut-offs of {predictor!r} in this study")
        rows = []
        for c in np.unique(np.asarray(thresholds, dtype=float)):
            later = t[t.threshold >= c]
            # the last row (one above the highest score) flags no one, as does any higher cut-off
            row = (later.iloc[0] if len(later) else t.iloc[-1]).to_dict()
            row["threshold"] = c
            rows.append(row)
        return pd.DataFrame(rows, columns=t.columns).reset_index(drop=True)

    def calibration_at(self, edges) -> pd.DataFrame:
        """Observed outcome in bands of the PPIT total, read from `pooled`.

        Band $i$ holds totals with `edges[i] <= total < edges[i + 1]` (the last band is closed on the
        right), as in [`calibration_table`][foundation_eval.ppit.calibration_table] with edges.

        Parameters
        ----------
        edges : sequence of float
            Increasing band edges, at least two; every observed total must lie within them.

        Returns
        -------
        DataFrame
            One row per band: `lower, upper` (the edges), `n, events, observed, ci_low, ci_high`
            (Wilson), `mean_score`, `mean_risk` (missing for an empty band).

        Raises
        ------
        ValueError
            When the study holds no pooled scores, or an observed total lies outside the edges.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> study = open_snapshot().study("ppit")
        >>> bands = study.calibration_at([0, 6, 12, 16, 21])
        >>> bool(bands.n.sum() == study.n_observed), bool(bands.observed.is_monotonic_increasing)
        (True, True)
        """
        if self.pooled is None:
            raise ValueError("the study holds no pooled scores (too few people with or without the outcome)")
        e = np.asarray(edges, dtype=float)
        values = np.unique(np.r_[self.pooled.lower.to_numpy(), self.pooled.upper.to_numpy()])
        if e.size < 2 or np.any(np.diff(e) <= 0):
            raise ValueError("band edges must be an increasing sequence of at least two values")
        if values.min() < e[0] or values.max() > e[-1]:
            raise ValueError(f"observed totals run from {values.min():g} to {values.max():g}, outside the edges "
                             f"[{e[0]:g}, {e[-1]:g}]")
        pooled = self.pooled.set_index(["lower", "upper"])
        rows = []
        for i in range(e.size - 1):
            last = i == e.size - 2
            inside = values[(values >= e[i]) & ((values <= e[i + 1]) if last else (values < e[i + 1]))]
            row = {"lower": e[i], "upper": e[i + 1]}
            if inside.size:
                row.update(pooled.loc[(inside.min(), inside.max())].to_dict())
            else:
                row.update({"n": 0, "events": 0, "observed": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                            "mean_score": np.nan, "mean_risk": np.nan})
            rows.append(row)
        out = pd.DataFrame(rows)
        out[["n", "events"]] = out[["n", "events"]].astype(int)
        return out

    def decision_curve_at(self, edges) -> pd.DataFrame | None:
        """Decision curve of acting on the model's risk averaged within bands of the PPIT total.

        Everyone in a band gets the band's mean modelled risk (`pooled.mean_risk`); at threshold risk
        $p_t$ the people whose band risk is at least $p_t$ are flagged, with net benefit
        $TP/n - (FP/n)\\,p_t/(1-p_t)$ (Vickers & Elkin 2006). The values are read from `decision`.

        Parameters
        ----------
        edges : sequence of float
            Lower edges of the bands in increasing order (the last band is open above).

        Returns
        -------
        DataFrame or None
            `threshold, net_benefit, treat_all, treat_none, interventions_avoided_per_100` at each of
            `DECISION_THRESHOLDS`, as [`decision_curve`][foundation_eval.ppit.decision_curve] gives
            them, and `cutoff`: the band edge from which everyone is flagged at that threshold risk
            (infinite: no one), so that a report can work the net benefit out again from the counts it
            publishes at that cut-off; None when the band risks do not rise with the score (then no
            cut-off of the score matches acting on the risk).

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> study = open_snapshot().study("ppit")
        >>> dc = study.decision_curve_at([0, 6, 12, 16])
        >>> bool((dc.net_benefit >= dc.treat_none - 1e-12).all())   # acting on risk never does harm
        True
        """
        if self.decision is None or self.pooled is None:
            return None
        e = np.asarray(edges, dtype=float)
        top = float(self.pooled.upper.max())
        risk = self.calibration_at(np.r_[e, max(top, e[-1]) + 1]).mean_risk.to_numpy()
        nonempty = ~np.isnan(risk)
        if np.any(np.diff(risk[nonempty]) < 0):
            return None
        out = []
        for pt, d in self.decision.groupby("threshold", sort=True):
            flagged = np.flatnonzero(nonempty & (risk >= pt))
            cut = e[flagged[0]] if flagged.size else np.inf
            cuts = d.cutoff.to_numpy()
            row = d.iloc[int(np.searchsorted(cuts, cut, side="left"))] if np.isfinite(cut) else d.iloc[-1]
            out.append({**row.to_dict(), "cutoff": float(cut)})
        dc = pd.DataFrame(out)[["threshold", "net_benefit", "treat_all", "interventions_avoided_per_100", "cutoff"]]
        dc.insert(3, "treat_none", 0.0)
        return dc.reset_index(drop=True)

    # ------------------------------------------------------------------ tidy views
    def table(self) -> pd.DataFrame:
        """The study's headline measures, one per row.

        Returns
        -------
        DataFrame
            `section, measure, estimate, ci_low, ci_high`: AUCs, Harrell's C, AUC(t), the
            likelihood-ratio p of added value, the odds ratio per point, temporal calibration,
            ICC(2,1), alpha and omega (those that were estimated).
        """
        names = {"ppit_total": "PPIT total", "prior_da_2y": "prior DA offences", "rfg_score": "RFG score"}
        rows = []
        if self.discrimination is not None:
            for k, r in self.discrimination.iterrows():
                rows.append(("Discrimination", f"AUC: {names[k]}", r.auc, r.ci_low, r.ci_high))
        if self.harrell is not None:
            for k, r in self.harrell.iterrows():
                rows.append(("Time to the outcome", f"Harrell's C: {names[k]}", r.c, r.ci_low, r.ci_high))
        if self.td_auc is not None:
            for _, r in self.td_auc.iterrows():
                rows.append(("Time to the outcome", f"AUC at {int(r.months)} months", r.auc, r.ci_low, r.ci_high))
        if self.incremental_test is not None:
            rows.append(("Incremental value", "Likelihood-ratio p", self.incremental_test.lr_p_value, np.nan, np.nan))
        if self.risk_model is not None:
            m = self.risk_model
            rows.append(("Calibration", "Odds ratio per point", m.odds_ratio, m.or_ci_low, m.or_ci_high))
        if self.temporal is not None:
            t = self.temporal
            rows.append(("Calibration", "Later-period intercept", t.intercept, t.intercept_ci_low,
                         t.intercept_ci_high))
            rows.append(("Calibration", "Later-period slope", t.slope, t.slope_ci_low, t.slope_ci_high))
        if self.icc is not None:
            r = self.icc.loc["ICC2"]
            rows.append(("Reliability", "ICC(2,1) of the total", r.icc, r.ci_low, r.ci_high))
        if self.alpha is not None:
            rows.append(("Internal structure", "Cronbach's alpha", self.alpha.alpha, self.alpha.ci_low,
                         self.alpha.ci_high))
        if self.omega is not None:
            rows.append(("Internal structure", "McDonald's omega", self.omega.omega, self.omega.ci_low,
                         self.omega.ci_high))
        return pd.DataFrame(rows, columns=["section", "measure", "estimate", "ci_low", "ci_high"])

    def plot(self, ax=None):
        """Empirical ROC curves of the PPIT total and the two baselines through every cut-off.

        Exact counts: for the analyst, not for publication (the report draws its curves through
        pooled cut-offs).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import new_axes

        ax = new_axes(ax)
        for k in PREDICTORS:
            r = self.roc[self.roc.predictor == k]
            if len(r):
                ax.plot(r.fpr, r.tpr, label=k)
        ax.plot([0, 1], [0, 1], color="grey", ls=":")
        ax.set_xlabel("1 - specificity")
        ax.set_ylabel("Sensitivity")
        ax.legend()
        return ax


# ------------------------------------------------------------------------------------------ fitting
def _settings(outcome, window_months, min_followup_months, harm_threshold, violent_severity, level, n_boot,
              seed) -> dict:
    w = int(window_months)
    fu = w if min_followup_months in (None, "") else int(min_followup_months)
    h = float(harm_threshold) if harm_threshold not in (None, "", 0) else None
    return {"outcome": outcome, "window_months": w, "min_followup_months": fu,
            "harm_threshold": (h if h is not None else DEFAULT_HARM_THRESHOLD) if outcome == "harm_above" else None,
            "violent_severity": int(violent_severity) if outcome == "violent_da" else None,
            "level": float(level), "n_boot": int(n_boot), "seed": int(seed)}


def _canonical(frame: pd.DataFrame, keys) -> pd.DataFrame:
    """Rows in an order fixed by their values and dates, not by identifiers: rows that tie on every key
    are interchangeable in every analysis, so re-keyed pseudonyms give the same order of values."""
    keys = [k for k in keys if k in frame.columns]
    return frame.sort_values(keys, kind="mergesort", na_position="last").reset_index(drop=True)


class _Collect:
    """Runs one part of the study; a part the data cannot support is recorded with its reason."""

    def __init__(self):
        self.unavailable: dict = {}

    def __call__(self, name: str, build):
        try:
            return build()
        except _FAILS as exc:
            self.unavailable[name] = _why(exc)
            return None


def fit_ppit_study(snap_or_ds, outcome: str = "any_da", window_months: int = 12, min_followup_months=None,
                   harm_threshold=None, level: float = 0.95, *, violent_severity: int = VIOLENT_SEVERITY,
                   n_boot: int = DEFAULT_N_BOOT, seed: int = 2) -> PpitStudy | None:
    """Fit the PPIT validity study: every result its report shows, once.

    Sample, outcome and baselines are those of
    [`validation_frame`][foundation_eval.ppit.validity.validation_frame] (people listed at least once
    with a first PPIT rating; the binary analyses use those whose whole window was observed, the
    time-to-event analyses everyone, censored at exit or the extract date); reliability uses
    [`double_scored`][foundation_eval.ppit.validity.double_scored] (ICC) and
    [`reliability_frame`][foundation_eval.ppit.validity.reliability_frame] (pairs by different
    assessors). Methods, each with its reference in the function it calls: AUC with the DeLong, DeLong
    & Clarke-Pearson (1988) interval and paired test; Harrell, Lee & Mark (1996) C; Uno et al. (2007)
    AUC(t) with bootstrap intervals; Pepe et al. (2013) likelihood-ratio test of added value; the
    logistic score-to-risk model (Cox 1958) with temporal validation (Van Calster et al. 2016); Wilson
    (1927) intervals by score and cut-off; Vickers & Elkin (2006) net benefit; Shrout & Fleiss (1979)
    ICCs with McGraw & Wong (1996) intervals; Bland & Altman (1986) limits; Cohen (1968) weighted
    kappa; Cronbach (1951) alpha with Feldt (1965) interval; McDonald (1999) omega; confirmatory factor
    models; AUC, calibration and flag rates by group with Cochran's Q and Cleary (1968) differential
    prediction. Statistics that need people with and without the outcome are estimated only when at
    least the programme's disclosure threshold of each are observed (`min_count`).

    Parameters
    ----------
    snap_or_ds : Snapshot or Dataset
        The render's snapshot (its dataset is used) or a validated extract.
    outcome : {"any_da", "violent_da", "harm_above"}
        See [`outcome_definition`][foundation_eval.ppit.validity.outcome_definition].
    window_months : int
        Outcome window in months after the index date (first listing).
    min_followup_months : int, optional
        Minimum possible follow-up to enter the sample; default (None or blank) the window.
    harm_threshold : float, optional
        Crime Harm Index days for ``outcome="harm_above"`` (None, blank or 0: 365).
    level : float
        Confidence level of every interval.
    violent_severity : int
        Severity cut of ``outcome="violent_da"``.
    n_boot : int
        Bootstrap replicates of the AUC(t) and omega intervals (0: point estimates only; otherwise at
        least 100 are used).
    seed : int
        Seed of the AUC(t) bootstrap; omega's uses `seed + 1`.

    Returns
    -------
    PpitStudy or None
        The study; None when the programme has no risk tool or the extract holds no assessments.

    Raises
    ------
    ValueError
        When `outcome`, `window_months`, `min_followup_months` or `harm_threshold` is invalid.

    Examples
    --------
    A variant on the small synthetic force: a violent or sexual DA offence within 12 months.

    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)
    >>> study = fit_ppit_study(ds, outcome="violent_da", n_boot=0)
    >>> study.outcome.key, study.registered, study.n_events < study.n_observed <= study.n_scored
    ('violent_da', False, True)
    >>> fit_ppit_study(ds, outcome="murder")
    Traceback (most recent call last):
        ...
    ValueError: outcome must be one of ('any_da', 'violent_da', 'harm_above'), got 'murder'
    """
    ds = getattr(snap_or_ds, "dataset", snap_or_ds)
    prog = ds.programme
    spec = outcome_definition(prog, outcome, float(harm_threshold) if harm_threshold else None, violent_severity)
    if int(window_months) != window_months or window_months < 1:
        raise ValueError(f"window_months must be a positive whole number, got {window_months!r}")
    if min_followup_months not in (None, "") and int(min_followup_months) < 0:
        raise ValueError(f"min_followup_months must be non-negative, got {min_followup_months!r}")
    if not getattr(prog, "has_risk_tool", False) or len(ds.ppit_assessments) == 0:
        return None
    try:  # small matrices: BLAS threads cost far more than they save, above all on a busy machine
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency
        return _fit(ds, spec, window_months, min_followup_months, level, int(n_boot), int(seed))
    with threadpool_limits(limits=1):
        return _fit(ds, spec, window_months, min_followup_months, level, int(n_boot), int(seed))


def ppit_study(snap, outcome: str = "any_da", window_months: int = 12, min_followup_months=None,
               harm_threshold=None, level: float = 0.95, *, violent_severity: int = VIOLENT_SEVERITY,
               n_boot: int = DEFAULT_N_BOOT, seed: int = 2) -> PpitStudy | None:
    """The study for these settings: the snapshot's when they are its registered ones, else a variant.

    A report notebook calls this with its parameters: with the defaults it returns the study the
    snapshot fitted once (`snap.study("ppit")`), with another outcome or window it fits the variant
    with [`fit_ppit_study`][foundation_eval.ppit.study.fit_ppit_study].

    Parameters
    ----------
    snap : Snapshot
        The render's snapshot.
    outcome, window_months, min_followup_months, harm_threshold, level, violent_severity, n_boot, seed
        As for [`fit_ppit_study`][foundation_eval.ppit.study.fit_ppit_study].

    Returns
    -------
    PpitStudy or None
        The study; None without a risk tool.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> snap = open_snapshot()
    >>> ppit_study(snap, min_followup_months=12, harm_threshold=0) is snap.study("ppit")
    True
    >>> ppit_study(snap, window_months=6, n_boot=0).window_months
    6
    """
    stored = snap.study("ppit")
    if stored is not None and stored.matches(outcome, window_months, min_followup_months, harm_threshold,
                                             violent_severity, level, n_boot):
        return stored
    return fit_ppit_study(snap, outcome, window_months, min_followup_months, harm_threshold, level,
                          violent_severity=violent_severity, n_boot=n_boot, seed=seed)


def _fit(ds, spec: OutcomeDefinition, window_months, min_followup_months, level, n_boot, seed) -> PpitStudy:
    prog = ds.programme
    items = list(prog.ppit_item_ids)
    t = int(prog.disclosure_threshold)
    boot = max(n_boot, 100) if n_boot else 0
    run = _Collect()
    raw = run("sample", lambda: validation_frame(ds, spec.key, window_months, min_followup_months,
                                                 spec.harm_threshold, spec.violent_severity))
    min_fu = int(window_months if min_followup_months in (None, "") else min_followup_months)
    if raw is None:  # an extract the sample cannot be built from: every part says why
        return PpitStudy(spec, int(window_months), min_fu, float(level), n_boot, seed, t,
                         pd.Timestamp(ds.extract_date), unavailable=run.unavailable)
    frame = _canonical(raw.drop(columns=["person_id", "assessor_id"]),
                       ["index_date", "ppit_total", *items, "prior_da_2y", "rfg_score", "time_days", "event",
                        "window_observed", "outcome", "district_id", "sex", "ethnicity_group", "age_band",
                        "ppit_priority", "exit_date"])
    binary = frame[frame.window_observed].reset_index(drop=True)
    binary["outcome"] = binary.outcome.astype(int)
    y = binary.outcome.to_numpy()
    x = binary.ppit_total.astype(float).to_numpy()
    n, e = len(binary), int(y.sum())
    exited = int((~frame.window_observed & frame.exit_date.notna() & (frame.exit_date < frame.window_close)).sum())
    base = dict(outcome=spec, window_months=int(window_months), min_followup_months=min_fu, level=float(level),
                n_boot=n_boot, seed=seed, min_count=t, extract_date=pd.Timestamp(ds.extract_date),
                n_scored=len(frame), n_observed=n, n_events=e, n_exited=exited,
                n_followup_events=int(frame.event.sum()))
    out: dict = {}
    if min(e, n - e) >= max(t, 2):
        out.update(_discrimination(binary, y, level, run))
        out["incremental"], out["incremental_test"] = run("incremental", lambda: _incremental(binary, y, level)) or (
            None, None)
        model = run("calibration", lambda: score_risk_model(x, y, level))
        if model is not None:
            out.update(_calibration(x, y, model, prog, level))
            out["temporal"] = run("temporal", lambda: _temporal(x, y, binary.index_date, t, level))
        out.update(_equity(binary, y, model, prog, t, level, out.get("discrimination"), run))
    else:
        run.unavailable["discrimination"] = (f"fewer than {max(t, 2)} people had, or did not have, the outcome")
    out.update(_time_to_event(frame, t, level, boot, seed, run))
    out.update(_reliability(ds, items, list(prog.ppit_scale), t, level, run))
    out.update(_structure(frame, prog, items, level, boot, seed + 1, run))
    return PpitStudy(**base, **out, unavailable=run.unavailable)


def _discrimination(b: pd.DataFrame, y, level, run) -> dict:
    def fit():
        rows = {}
        ppit = b.ppit_total.astype(float)
        for k in PREDICTORS:
            a = auc(b[k].astype(float), y, level=level)
            row = {"auc": a.estimate, "se": a.se, "ci_low": a.ci_low, "ci_high": a.ci_high, "difference": np.nan,
                   "diff_ci_low": np.nan, "diff_ci_high": np.nan, "p_value": np.nan}
            if k != "ppit_total":
                d = delong_test(ppit, b[k].astype(float), y, level=level)
                row.update(difference=d.difference, diff_ci_low=d.ci_low, diff_ci_high=d.ci_high, p_value=d.p_value)
            rows[k] = row
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("predictor")

    out = {"discrimination": run("discrimination", fit)}
    counts, cuts, roc = [], [], []
    for k in PREDICTORS:
        v = b[k].astype(float).to_numpy()
        g = pd.DataFrame({"value": v, "y": y}).groupby("value").y.agg(["sum", "size"])
        counts.append(pd.DataFrame({"predictor": k, "value": g.index.to_numpy(), "events": g["sum"].to_numpy(),
                                    "non_events": (g["size"] - g["sum"]).to_numpy()}))
        values = np.unique(v)
        tt = threshold_table(v, y, thresholds=np.r_[values, values[-1] + 1], level=level).table()
        cuts.append(tt.assign(predictor=k))
        tt = tt.iloc[:-1]  # the curve runs through the observed values, then to (0, 0)
        pts = pd.DataFrame({"threshold": tt.threshold, "fpr": tt.fp / (tt.fp + tt.tn), "tpr": tt.tp / (tt.tp + tt.fn)})
        ends = pd.DataFrame({"threshold": [np.inf, -np.inf], "fpr": [0.0, 1.0], "tpr": [0.0, 1.0]})
        roc.append(pd.concat([ends.iloc[:1], pts.iloc[::-1], ends.iloc[1:]], ignore_index=True).assign(predictor=k))
    out["score_counts"] = pd.concat(counts, ignore_index=True)
    cutoffs = pd.concat(cuts, ignore_index=True)
    out["cutoffs"] = cutoffs[["predictor", *[c for c in cutoffs.columns if c != "predictor"]]]
    roc = pd.concat(roc, ignore_index=True)
    out["roc"] = roc[["predictor", "threshold", "fpr", "tpr"]]
    return out


def _incremental(b: pd.DataFrame, y, level):
    inc = incremental_value(y, b[list(BASELINES)].astype(float), b.ppit_total.astype(float).rename("ppit_total"),
                            level=level)
    coef = inc.added_coefficients.iloc[0]
    t = inc.auc_test
    rows = pd.DataFrame({"estimate": [inc.auc_base, inc.auc_full, t.difference, coef.odds_ratio],
                         "ci_low": [np.nan, np.nan, t.ci_low, np.exp(coef.ci_low)],
                         "ci_high": [np.nan, np.nan, t.ci_high, np.exp(coef.ci_high)]},
                        index=pd.Index(["auc_base", "auc_full", "auc_difference", "odds_ratio"], name="measure"))
    test = pd.Series({"n": inc.n, "n_events": inc.n_events, "lr_statistic": inc.lr_statistic, "lr_df": inc.lr_df,
                      "lr_p_value": inc.lr_p_value})
    return rows, test


def _calibration(x, y, model, prog, level) -> dict:
    risk_model = pd.Series({"intercept": model.intercept, "slope": model.slope, "slope_se": model.slope_se,
                            "odds_ratio": model.odds_ratio, "or_ci_low": model.or_ci_low,
                            "or_ci_high": model.or_ci_high, "n": model.n, "n_events": model.n_events})
    grid = np.linspace(0, float(prog.ppit_max), 101)
    curve = pd.DataFrame({"score": grid, "risk": model.predict(grid)})
    per = (pd.DataFrame({"x": x, "y": y, "p": model.predicted}).groupby("x")
           .agg(n=("y", "size"), events=("y", "sum"), risk=("p", "sum")))
    v = per.index.to_numpy(dtype=float)
    cn, ce = np.r_[0, np.cumsum(per.n.to_numpy())], np.r_[0, np.cumsum(per.events.to_numpy())]
    cs, cr = np.r_[0.0, np.cumsum(v * per.n.to_numpy())], np.r_[0.0, np.cumsum(per.risk.to_numpy())]
    i, j = np.triu_indices(v.size)  # runs of adjacent observed totals, v[i] to v[j]
    nn, ee = cn[j + 1] - cn[i], ce[j + 1] - ce[i]
    lo, hi = wilson_interval(ee, nn, level)
    pooled = pd.DataFrame({"lower": v[i], "upper": v[j], "n": nn.astype(int), "events": ee.astype(int),
                           "observed": ee / nn, "ci_low": lo, "ci_high": hi, "mean_score": (cs[j + 1] - cs[i]) / nn,
                           "mean_risk": (cr[j + 1] - cr[i]) / nn})
    # net benefit of flagging everyone at or above each cut-off (and no one), at each threshold risk
    pos, neg = np.sort(x[y == 1]), np.sort(x[y == 0])
    cuts = np.r_[v, np.inf]
    tp = pos.size - np.searchsorted(pos, cuts, side="left")
    fp = neg.size - np.searchsorted(neg, cuts, side="left")
    n = x.size
    prev = y.mean()
    rows = []
    for pt in DECISION_THRESHOLDS:
        odds = pt / (1 - pt)
        nb = tp / n - fp / n * odds
        all_ = prev - (1 - prev) * odds
        rows.append(pd.DataFrame({"cutoff": cuts, "threshold": pt, "tp": tp, "fp": fp, "net_benefit": nb,
                                  "treat_all": all_, "interventions_avoided_per_100": 100 * (nb - all_) / odds}))
    return {"risk_model": risk_model, "risk_curve": curve, "pooled": pooled,
            "decision": pd.concat(rows, ignore_index=True)}


def _temporal(x, y, dates, t, level) -> pd.Series:
    tv = temporal_validation(x, y, dates, t, level)
    r = tv.result
    return pd.Series({"cut": tv.cut, "n_development": tv.n_development, "n_validation": tv.n_validation,
                      "development_start": tv.development_dates[0], "development_end": tv.development_dates[1],
                      "validation_start": tv.validation_dates[0], "validation_end": tv.validation_dates[1],
                      "intercept": r.intercept, "intercept_ci_low": r.intercept_ci_low,
                      "intercept_ci_high": r.intercept_ci_high, "slope": r.slope, "slope_ci_low": r.slope_ci_low,
                      "slope_ci_high": r.slope_ci_high, "oe_ratio": r.oe_ratio})


def _time_to_event(f: pd.DataFrame, t, level, boot, seed, run) -> dict:
    out: dict = {"harrell": None, "td_auc": None}
    ev = int(f.event.sum())
    if ev == 0 or ev == len(f):
        run.unavailable["harrell"] = "no outcome event was observed during follow-up, or everyone had one"
        return out
    time, event = f.time_days.to_numpy(), f.event.to_numpy()

    def harrell():
        rows = {}
        for k in PREDICTORS:
            c = harrell_c(time, event, f[k].astype(float).to_numpy(), level=level)
            rows[k] = {"c": c.estimate, "ci_low": c.ci_low, "ci_high": c.ci_high, "n": c.n, "n_events": c.n_events}
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("predictor")

    out["harrell"] = run("harrell", harrell)
    ok = [m * DAYS_PER_MONTH for m in HORIZONS_MONTHS
          if min(int(((time <= m * DAYS_PER_MONTH) & (event == 1)).sum()), int((time > m * DAYS_PER_MONTH).sum())) >= t]
    if not ok:
        run.unavailable["td_auc"] = (f"at no horizon of {', '.join(map(str, HORIZONS_MONTHS))} months were at least "
                                     f"{t} people with and without the outcome")
        return out

    def td():
        tt = time_dependent_auc(time, event, f.ppit_total.astype(float).to_numpy(), ok, level=level, n_boot=boot,
                                seed=seed).table()
        return pd.DataFrame({"months": [int(round(v / DAYS_PER_MONTH)) for v in tt.time], "time_days": tt.time,
                             "cases": tt.n_cases.astype(int), "controls": tt.n_controls.astype(int), "auc": tt.auc,
                             "ci_low": tt.ci_low, "ci_high": tt.ci_high}).reset_index(drop=True)

    out["td_auc"] = run("td_auc", td)
    return out


def _canonical_targets(long: pd.DataFrame) -> pd.DataFrame:
    """The double-scored ratings with each person replaced by a number fixed by their ratings."""
    long = long.sort_values(["person_id", "rating", "total"], kind="mergesort")
    sig = long.groupby("person_id", sort=False).apply(
        lambda g: "|".join(f"{r}:{v:.6g}" for r, v in zip(g.rating, g.total, strict=True)), include_groups=False)
    code = pd.Series(np.arange(len(sig)), index=sig.sort_values(kind="mergesort").index)
    out = long.assign(person_id=long.person_id.map(code))
    return out.sort_values(["person_id", "rating", "total"], kind="mergesort").reset_index(drop=True)


def _reliability(ds, items, scale, t, level, run) -> dict:
    long = double_scored(ds.ppit_assessments)
    out: dict = {"n_double_scored": int(long.person_id.nunique()), "icc": None, "n_pairs": 0, "limits": None,
                 "kappa": None, "flag_agreement": None, "flag_kappa": None}
    if out["n_double_scored"] < max(t, 3):
        run.unavailable["icc"] = f"fewer than {max(t, 3)} people were scored twice"
    else:
        def fit_icc():
            it = icc(_canonical_targets(long), target="person_id", rater="rating", score="total", level=level).table()
            return it[["description", "icc", "ci_low", "ci_high"]].rename_axis("form")

        out["icc"] = run("icc", fit_icc)
        if out["icc"] is not None and level == 0.95:
            out["icc_measured_coverage"] = ICC2_MEASURED_COVERAGE
    r = reliability_frame(ds)
    r = r[~r.same_assessor].drop(columns=["person_id", "assessor_first", "assessor_second"])
    r = _canonical(r, ["total_first", "total_second", *[f"{i}_{s}" for i in items for s in ("first", "second")],
                       "date_first", "date_second", "priority_first", "priority_second"])
    out["n_pairs"] = len(r)
    if len(r) >= 2:
        out["limits"] = run("limits", lambda: limits_of_agreement(r.total_first, r.total_second, level))
    if len(r) < max(t, 2):
        run.unavailable["kappa"] = f"fewer than {max(t, 2)} pairs were scored by two different assessors"
        return out
    rows = []
    for i in items:
        try:
            k = weighted_kappa(r[f"{i}_first"], r[f"{i}_second"], weights="linear", categories=scale, level=level)
            rows.append({"item": i, "kappa": k.kappa, "ci_low": k.ci_low, "ci_high": k.ci_high})
        except ValueError:
            rows.append({"item": i, "kappa": np.nan, "ci_low": np.nan, "ci_high": np.nan})
    out["kappa"] = pd.DataFrame(rows)
    a, b = r.priority_first.astype(int), r.priority_second.astype(int)
    both, neither = int(((a == 1) & (b == 1)).sum()), int(((a == 0) & (b == 0)).sum())
    out["flag_agreement"] = pd.DataFrame({"cell": ["both", "neither", "disagreed"],
                                          "people": [both, neither, len(r) - both - neither]})

    def flag():
        ag = agreement(a, b, level=level)
        return pd.Series({"kappa": ag.kappa.kappa, "ci_low": ag.kappa.ci_low, "ci_high": ag.kappa.ci_high})

    out["flag_kappa"] = run("flag_kappa", flag)
    return out


def _structure(frame, prog, items, level, boot, seed, run) -> dict:
    xi = frame[items].astype(float).reset_index(drop=True)
    low = min(prog.ppit_scale)

    def item_rows():
        ia = item_analysis(xi).table()
        endorsed = (xi > low).sum().astype(int)
        return pd.DataFrame({"item": list(ia.index), "n": len(xi), "endorsed": endorsed[ia.index].to_numpy(),
                             "not_endorsed": len(xi) - endorsed[ia.index].to_numpy(),
                             "endorsement": endorsed[ia.index].to_numpy() / len(xi),
                             "item_total_r": ia.item_total_r.to_numpy()})

    groups: dict = {}
    for it in prog.ppit_items:
        groups.setdefault(it.domain, []).append(it.id)
    factors = None
    if len(groups) >= 2 and all(len(v) >= 2 for v in groups.values()):
        factors = run("factors", lambda: compare_factor_structures(xi, groups))
    return {"items": run("items", item_rows), "alpha": run("alpha", lambda: cronbach_alpha(xi, level=level)),
            "omega": run("omega", lambda: omega(xi, level=level, n_boot=boot, seed=seed)), "factors": factors}


def _labels(b: pd.DataFrame, col: str, prog) -> pd.Series:
    if col == "district":
        names = {d.id: d.name for d in prog.districts}
        return b.district_id.map(names).fillna(b.district_id).astype(object)
    return b[col].astype(object).where(b[col].notna(), "not recorded").astype(str)


def _equity(b, y, model, prog, t, level, disc, run) -> dict:
    flags = b.ppit_priority.astype(int).to_numpy()
    x = b.ppit_total.astype(float).to_numpy()
    everyone_auc = (disc.loc["ppit_total", ["auc", "ci_low", "ci_high"]].tolist() if disc is not None
                    else [np.nan] * 3)
    acc, pri, tests = [], [], []
    for name, col in CHARACTERISTICS:
        labels = _labels(b, col, prog).reset_index(drop=True)
        try:
            ga = auc_by_group(x, y, labels, min_count=t, small_groups="drop", level=level)
            a = ga.table()
            c = (calibration_by_group(model.predicted, y, labels, min_count=t, small_groups="drop",
                                      level=level).table() if model is not None else pd.DataFrame())
        except _FAILS as exc:
            run.unavailable[f"equity: {name}"] = _why(exc)
            continue
        try:
            fl = flag_rate_parity(flags, labels, min_count=t, small_groups="drop", level=level).table()
        except _FAILS:
            fl = pd.DataFrame()
        try:
            dp = differential_prediction(x, y, labels, min_count=t, small_groups="drop", level=level)
        except _FAILS:
            dp = None

        def pick(tab, column, g):
            return float(tab.at[g, column]) if len(tab) and g in tab.index and column in tab.columns else np.nan

        masks = group_masks(labels)
        for g in [*sorted(labels.unique(), key=str), "All"]:
            m = np.ones(len(labels), bool) if g == "All" else masks[g]
            ev, k = int(y[m].sum()), int(flags[m].sum())
            group = "Everyone" if g == "All" else str(g)
            est = everyone_auc if g == "All" else [pick(a, "auc", g), pick(a, "ci_low", g), pick(a, "ci_high", g)]
            acc.append({"characteristic": name, "group": group, "everyone": g == "All", "events": ev,
                        "non_events": int(m.sum()) - ev, "auc": est[0], "ci_low": est[1], "ci_high": est[2],
                        "oe": pick(c, "oe_ratio", g)})
            pri.append({"characteristic": name, "group": group, "everyone": g == "All", "flagged": k,
                        "unflagged": int(m.sum()) - k, "rate": pick(fl, "rate", g), "ci_low": pick(fl, "ci_low", g),
                        "ci_high": pick(fl, "ci_high", g),
                        "ratio": pick(fl, "ratio_to_rest", g) if g != "All" else np.nan})
        tests.append({"characteristic": name, "auc_q": ga.heterogeneity_p_value, "slopes": dp.slope_p_value if dp else np.nan,
                      "intercepts": dp.intercept_p_value if dp else np.nan})
    return {"equity_accuracy": pd.DataFrame(acc, columns=_EQUITY_ACCURACY),
            "equity_priority": pd.DataFrame(pri, columns=_EQUITY_PRIORITY),
            "equity_tests": pd.DataFrame(tests, columns=_EQUITY_TESTS)}
