"""The pilot-versus-rollout evaluation as the render publishes it: every design fitted once, frozen.

[`fit_evaluation`][foundation_eval.evaluation.study.fit_evaluation] runs every design of
[`Evaluation`][foundation_eval.evaluation.designs.Evaluation] on a snapshot's dataset and returns an
[`EvaluationResults`][foundation_eval.evaluation.study.EvaluationResults]: an immutable record of
every estimate, table and check the evaluation page shows, with no reference to the person-level
tables. A render fits it once, in the snapshot (the study `"evaluation"` of
[`STUDIES`][foundation_eval.evaluation.snapshot.STUDIES]); the page only formats it.
[`evaluation_study`][foundation_eval.evaluation.study.evaluation_study] gives a notebook the render's
study for the registered settings, or fits a variant (lockdown months left out, another window, another
unit cost) for other settings.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field, fields

import pandas as pd

from foundation_eval.evaluation.designs import Evaluation
from foundation_eval.evaluation.value import Costs

__all__ = ["EvaluationResults", "fit_evaluation", "shared_evaluation", "evaluation_study", "DEFAULTS"]

DEFAULTS = {"exclude_lockdown": False, "window_months": 12, "unit_cost_per_victim": 34015.0}
"""The registered settings: the render's study is fitted with these."""

# attributes of Evaluation copied as they are (results, tables, checks)
_ATTRIBUTES = (
    "panel", "unbalanced_districts", "did", "did_pm", "did_cs_simple", "did_engaged", "did_referral", "did_ri",
    "pretrend", "pretrend_ri", "event_study", "twfe", "twfe_estimate", "placebo", "cohort", "cox", "cox_risk_difference",
    "its_pilot", "its_force", "its_districts", "rd_age", "rd_ppit", "naive", "sensitivity", "sensitivity_variants",
    "value", "power", "verdict", "threats", "anticipation", "honest", "e_values", "matched", "matched_estimate",
)


@dataclass(frozen=True)
class EvaluationResults:
    """Every result of the pilot-versus-rollout evaluation of one dataset, fitted once.

    Built by [`fit_evaluation`][foundation_eval.evaluation.study.fit_evaluation]. Each attribute holds
    what the attribute of the same name of [`Evaluation`][foundation_eval.evaluation.designs.Evaluation]
    computes (a result, a `NotEstimable` saying why the data do not support the design, or a table);
    the methods `statements()`, `estimates()`, `checks()`, `not_estimable()`, `headline()`,
    `records()`, `headline_results()` and `synthetic_notes()` return what they return there. Nothing
    here refers to the person-level tables: the record can be kept in a snapshot and read by any page.

    Attributes
    ----------
    freq : str
        Period of the district panel ("Q").
    exclude_lockdown : bool
        Whether lockdown months were left out.
    window_months : int
        Outcome window of the person-level designs.
    level : float
        Confidence level.
    plan : EvaluationPlan
        The programme file's pre-specified analysis plan.
    plan_sha256 : str
        Fingerprint of the plan ([`EvaluationPlan.plan_sha256`][foundation_eval.config.EvaluationPlan.plan_sha256]).
    costs : Costs
        Costs used for value for money.
    cohort_groups : DataFrame
        People of the cohort comparison by group (`group, people, observed`): counts for the page to
        publish through its disclosure rule.
    its_quarterly : DataFrame
        The force-wide quarterly series behind the interrupted time series chart (`period, eligible,
        da_events, da_rate`).
    panel, did, ... : object
        One attribute per design and table of `Evaluation` (see `_ATTRIBUTES` in the source).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> res = open_snapshot().study("evaluation")
    >>> res.did.truth_name, res.window_months, res.plan.primary
    ('did_att_da_rate', 12, 'did_att_da_rate')
    >>> [r["name"] for r in res.headline()]
    ['did_att_da_rate', 'reoffending_12m_rd_programme', 'reoffending_hr_programme']
    """

    freq: str
    exclude_lockdown: bool
    window_months: int
    level: float
    plan: object
    plan_sha256: str
    costs: Costs
    cohort_groups: pd.DataFrame = field(repr=False)
    its_quarterly: pd.DataFrame = field(repr=False)
    panel: pd.DataFrame = field(repr=False)
    unbalanced_districts: list = field(repr=False)
    did: object = field(repr=False)
    did_pm: object = field(repr=False)
    did_cs_simple: object = field(repr=False)
    did_engaged: object = field(repr=False)
    did_referral: object = field(repr=False)
    did_ri: object = field(repr=False)
    pretrend: object = field(repr=False)
    pretrend_ri: object = field(repr=False)
    event_study: object = field(repr=False)
    twfe: object = field(repr=False)
    twfe_estimate: object = field(repr=False)
    placebo: object = field(repr=False)
    cohort: object = field(repr=False)
    cox: object = field(repr=False)
    cox_risk_difference: object = field(repr=False)
    its_pilot: object = field(repr=False)
    its_force: object = field(repr=False)
    its_districts: object = field(repr=False)
    rd_age: object = field(repr=False)
    rd_ppit: object = field(repr=False)
    naive: list = field(repr=False)
    sensitivity: pd.DataFrame = field(repr=False)
    sensitivity_variants: dict = field(repr=False)
    value: object = field(repr=False)
    power: object = field(repr=False)
    verdict: object = field(repr=False)
    threats: object = field(repr=False)
    anticipation: object = field(repr=False)
    honest: object = field(repr=False)
    e_values: pd.DataFrame = field(repr=False)
    matched: object = field(repr=False)
    matched_estimate: object = field(repr=False)
    outputs: dict = field(repr=False, default_factory=dict)

    def statements(self) -> dict:
        """"You can say / you cannot say" statements per result (as `Evaluation.statements`).

        Returns
        -------
        dict
            Result name to a tuple of `Statement`.
        """
        return dict(self.outputs["statements"])

    def estimates(self) -> list:
        """Every estimable scalar estimate, headline first (as `Evaluation.estimates`).

        Returns
        -------
        list of EvalEstimate
        """
        return list(self.outputs["estimates"])

    def checks(self) -> list:
        """Checks of the design with no Maryland level (as `Evaluation.checks`).

        Returns
        -------
        list
        """
        return list(self.outputs["checks"])

    def not_estimable(self) -> list:
        """Every design the data do not support, with the reason (as `Evaluation.not_estimable`).

        Returns
        -------
        list of NotEstimable
        """
        return list(self.outputs["not_estimable"])

    def headline(self) -> list:
        """Headline records under the `truth.json` names (as `Evaluation.headline`).

        Returns
        -------
        list of dict
        """
        return [dict(r) for r in self.outputs["headline"]]

    def records(self) -> list:
        """`results.json` records for every estimate (as `Evaluation.records`).

        Returns
        -------
        list of dict
        """
        return [dict(r) for r in self.outputs["records"]]

    def headline_results(self) -> dict:
        """The three headline results by name (as `Evaluation.headline_results`).

        Returns
        -------
        dict
        """
        return dict(self.outputs["headline_results"])

    def synthetic_notes(self) -> tuple:
        """Sentences true only of the synthetic generator (as `Evaluation.synthetic_notes`).

        Returns
        -------
        tuple of str
        """
        return tuple(self.outputs["synthetic_notes"])


def _cohort_groups(ev: Evaluation) -> pd.DataFrame:
    f = ev.cohorts
    g = f.groupby("group")
    return pd.DataFrame({"people": g.size(), "observed": g["observed"].sum()}).rename_axis("group").reset_index()


def _its_quarterly(ev: Evaluation) -> pd.DataFrame:
    from foundation_eval.evaluation.designs import its_series

    return its_series(ev.ds, None, "Q")[["period", "eligible", "da_events", "da_rate"]].reset_index(drop=True)


def fit_evaluation(snap, *, exclude_lockdown: bool = False, window_months: int = 12,
                   unit_cost_per_victim: float = 34015.0, n_perm: int = 499, seed: int = 0,
                   level: float = 0.95) -> EvaluationResults:
    """Fit every design of the evaluation once and freeze the results.

    The dataset's [`Evaluation`][foundation_eval.evaluation.designs.Evaluation] for the registered
    settings is shared with the registry's headline estimands (one fit per render,
    `Dataset.derived`).

    Parameters
    ----------
    snap : Snapshot or Dataset
        The render's snapshot (or a validated dataset).
    exclude_lockdown : bool
        Leave lockdown months out of the district panel and the Cox model.
    window_months : int
        Outcome window of the person-level designs.
    unit_cost_per_victim : float
        Home Office unit cost per victim, in 2016/17 pounds.
    n_perm : int
        Re-assignments of go-live dates for the randomisation tests.
    seed : int
        Seed of the randomisation tests and bootstraps.
    level : float
        Confidence level.

    Returns
    -------
    EvaluationResults
        Every result, fitted.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> res = fit_evaluation(demo_dataset(seed=1, scale=0.3), n_perm=19)
    >>> res.did.name, res.exclude_lockdown
    ('did_imputation_da_rate', False)
    """
    ds = getattr(snap, "dataset", snap)
    ev = shared_evaluation(ds, exclude_lockdown=exclude_lockdown, window_months=window_months,
                           unit_cost_per_victim=unit_cost_per_victim, n_perm=n_perm, seed=seed, level=level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = {name: getattr(ev, name) for name in _ATTRIBUTES}
        outputs = {"statements": ev.statements(), "estimates": ev.estimates(), "checks": ev.checks(),
                   "not_estimable": ev.not_estimable(), "headline": ev.headline(), "records": ev.records(),
                   "headline_results": ev.headline_results(), "synthetic_notes": ev.synthetic_notes()}
        extra = {"cohort_groups": _cohort_groups(ev), "its_quarterly": _its_quarterly(ev)}
    names = {f.name for f in fields(EvaluationResults)}
    missing = names - set(values) - set(extra) - {"freq", "exclude_lockdown", "window_months", "level", "plan",
                                                     "plan_sha256", "costs", "outputs"}
    if missing:  # a field of the record nobody fills: a programming error, never silent
        raise RuntimeError(f"EvaluationResults fields not filled: {sorted(missing)}")
    return EvaluationResults(freq=ev.freq, exclude_lockdown=ev.exclude_lockdown, window_months=ev.window_months,
                             level=ev.level, plan=ev.plan, plan_sha256=ev.plan.plan_sha256(), costs=ev.costs,
                             outputs=outputs, **extra, **values)


def shared_evaluation(ds, *, exclude_lockdown: bool = False, window_months: int = 12,
                      unit_cost_per_victim: float = 34015.0, n_perm: int = 499, seed: int = 0,
                      level: float = 0.95) -> Evaluation:
    """The dataset's one [`Evaluation`][foundation_eval.evaluation.designs.Evaluation] for these settings.

    Built once per dataset and settings (`Dataset.derived`), so the registry's headline estimands and
    the evaluation study share every fit.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    exclude_lockdown, window_months, unit_cost_per_victim, n_perm, seed, level
        As for [`fit_evaluation`][foundation_eval.evaluation.study.fit_evaluation].

    Returns
    -------
    Evaluation
        Lazily fitted designs.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.3)
    >>> shared_evaluation(ds) is shared_evaluation(ds)
    True
    """
    key = ("evaluation", bool(exclude_lockdown), int(window_months), float(unit_cost_per_victim), int(n_perm),
           int(seed), float(level))
    return ds.derived(key, lambda: Evaluation(
        ds, exclude_lockdown=bool(exclude_lockdown), window_months=int(window_months),
        costs=Costs(unit_cost_per_victim=float(unit_cost_per_victim)), n_perm=int(n_perm), seed=int(seed),
        level=float(level)))


def evaluation_study(snap, *, exclude_lockdown: bool = False, window_months: int = 12,
                     unit_cost_per_victim: float = 34015.0) -> EvaluationResults:
    """The evaluation a notebook shows: the render's study for the registered settings, or a variant.

    Parameters
    ----------
    snap : Snapshot
        The render's snapshot.
    exclude_lockdown, window_months, unit_cost_per_victim
        The notebook's parameters; other values than `DEFAULTS` fit a variant here.

    Returns
    -------
    EvaluationResults
        The study.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> snap = open_snapshot()
    >>> evaluation_study(snap) is snap.study("evaluation")
    True
    """
    asked = {"exclude_lockdown": bool(exclude_lockdown), "window_months": int(window_months),
             "unit_cost_per_victim": float(unit_cost_per_victim)}
    if asked == DEFAULTS:
        return snap.study("evaluation")
    return fit_evaluation(snap, **asked)
