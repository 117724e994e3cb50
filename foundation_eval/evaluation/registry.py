"""One answer per question: each headline estimand and the one design that estimates it.

The names are the vocabulary of the synthetic generator's `truth.json`. A render fits every
registered estimand once (`foundation_eval.evaluation.snapshot`); every page and
`results.json` read that single value. Other designs of the same quantity are registered under
their own names as *alternatives*, each scored against the same truth (`truth`) and shown with its
own Maryland Scientific Methods Scale level, never in place of the primary.

`REGISTRY` maps each name to its [`Estimand`][foundation_eval.evaluation.registry.Estimand], in the
order reports list them: the three programme-effect estimands of the staggered designs
(`did_att_da_rate`, `reoffending_12m_rd_programme`, `reoffending_hr_programme`), the person-level
ones of [`estimates`][foundation_eval.evaluation.estimates] (engagement, referral, the risk tool's AUC
and ICC), then the two alternatives.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from foundation_eval.evaluation.estimates import (
    Estimate,
    analysis_frame,
    engagement_rd_practitioner,
    ppit_auc_12m,
    ppit_icc2_total,
    referral_start_rd_programme,
    reoffending_12m_rd_listed_vs_prelive,
    reoffending_hr_listed_vs_prelive,
)

__all__ = ["Estimand", "REGISTRY", "estimands_for", "fit_estimands"]


@dataclass(frozen=True)
class Estimand:
    """A quantity reports publish, and the design that answers it.

    Attributes
    ----------
    name : str
        Name in `results.json` (for a primary, the `truth.json` name).
    label : str
        Plain-English definition used on every page.
    scale : {"difference", "ratio", "measure"}
        How the value reads: a difference (no effect 0), a ratio (no effect 1) or a measure (AUC, ICC).
    unit : {"points", "ratio", "rate", "index"}
        How the publication layer formats it: percentage points, a ratio, a rate per 100
        person-months, or a plain index to two decimals.
    truth : str
        The `truth.json` name the estimate is scored against.
    primary : bool
        True for the one design that answers the question; False for an alternative.
    needs : tuple of str
        What the programme must have: `"risk_tool"` and/or `"staggered"` (two or more go-live dates).

    Examples
    --------
    >>> alt = REGISTRY["reoffending_hr_listed_vs_prelive"]
    >>> alt.primary, alt.truth, alt.scale
    (False, 'reoffending_hr_programme', 'ratio')
    >>> [e.name for e in REGISTRY.values() if e.primary and e.truth != e.name]
    []
    """

    name: str
    label: str
    scale: str
    unit: str
    truth: str
    primary: bool = True
    needs: tuple[str, ...] = ()


def _from_eval(e, name: str) -> Estimate:
    notes = tuple(f"{k}: {v}" for k, v in getattr(e, "diagnostics", ()))
    return Estimate(name, float(e.estimate), float(e.ci_low), float(e.ci_high), design=e.design,
                    sms_level=e.sms_level, comparison=getattr(e, "comparison", ""), n=int(getattr(e, "n", 0) or 0),
                    notes=notes)


REGISTRY: dict[str, Estimand] = {e.name: e for e in (
    Estimand("did_att_da_rate", "Change in DA offences per 100 eligible person-months once a district went live "
             "(districts compared with those not yet live)", "difference", "rate", "did_att_da_rate",
             needs=("staggered",)),
    Estimand("reoffending_12m_rd_programme", "Change in the share of listed people with a further DA offence "
             "within 12 months (cohorts after go-live against earlier cohorts in the same districts)",
             "difference", "points", "reoffending_12m_rd_programme", needs=("staggered",)),
    Estimand("reoffending_hr_programme", "Hazard ratio of a further DA offence, listed in a live district against "
             "eligible people not (yet) listed (Cox model by district)", "ratio", "ratio",
             "reoffending_hr_programme", needs=("staggered",)),
    Estimand("engagement_rd_practitioner", "Difference in the share engaged within the engagement window, "
             "practitioners on the team against police alone", "difference", "points",
             "engagement_rd_practitioner"),
    Estimand("referral_start_rd_programme", "Difference in the share starting a referred service within 12 months, "
             "listed people against eligible people before go-live", "difference", "points",
             "referral_start_rd_programme"),
    Estimand("ppit_auc_12m", "AUC of the risk-tool total for a further DA offence within 12 months", "measure",
             "index", "ppit_auc_12m", needs=("risk_tool",)),
    Estimand("ppit_icc2_total", "Agreement between two assessors on the risk-tool total, ICC(2,1)", "measure",
             "index", "ppit_icc2_total", needs=("risk_tool",)),
    Estimand("reoffending_12m_rd_listed_vs_prelive", "Change in the share with a further DA offence within 12 "
             "months, listed people against eligible people before go-live", "difference", "points",
             "reoffending_12m_rd_programme", primary=False),
    Estimand("reoffending_hr_listed_vs_prelive", "Hazard ratio of a further DA offence, listed people against "
             "eligible people before go-live", "ratio", "ratio", "reoffending_hr_programme", primary=False),
)}


def _staggered(prog) -> bool:
    return len({d.go_live for d in prog.districts}) >= 2


def estimands_for(programme) -> list[Estimand]:
    """The registered estimands a programme can have (no risk-tool ones without a risk tool).

    An estimand needing `"staggered"` applies only when the districts went live on at least two
    different dates; one needing `"risk_tool"` only when the programme has a risk tool.

    Parameters
    ----------
    programme : Programme
        The programme definition ([`Programme`][foundation_eval.config.Programme]).

    Returns
    -------
    list of Estimand
        In registry order.

    Examples
    --------
    >>> from foundation_eval.config import load_programme
    >>> [e.name for e in estimands_for(load_programme("change-that-lasts"))]
    ['did_att_da_rate', 'reoffending_12m_rd_programme', 'reoffending_hr_programme', 'engagement_rd_practitioner', 'referral_start_rd_programme', 'reoffending_12m_rd_listed_vs_prelive', 'reoffending_hr_listed_vs_prelive']
    >>> len(estimands_for(load_programme("hiow")))
    9
    """
    have = {"risk_tool": programme.has_risk_tool, "staggered": _staggered(programme)}
    return [e for e in REGISTRY.values() if all(have[n] for n in e.needs)]


_ERRORS = (ValueError, KeyError, ZeroDivisionError, IndexError, np.linalg.LinAlgError)


def fit_estimands(ds, level: float = 0.95, names=None) -> tuple[list[Estimate], dict[str, str]]:
    """Fit every registered estimand (or those named) once.

    The person-level estimands come from [`estimates`][foundation_eval.evaluation.estimates] (sharing
    one analysis frame), the staggered designs from `foundation_eval.evaluation.designs.Evaluation`.
    An estimand the data cannot support, or whose model gives no finite estimate or interval, is
    left out of the estimates and given a reason instead: nothing is raised for it.

    Parameters
    ----------
    ds : Dataset
        A validated extract ([`Dataset`][foundation_eval.data.load.Dataset]).
    level : float
        Confidence level of every interval (0.95 for 95%).
    names : iterable of str, optional
        Fit only these of the programme's estimands (default all of them).

    Returns
    -------
    estimates : list of Estimate
        In registry order, under the registry's names.
    unavailable : dict
        Estimand name to a plain sentence saying why the data do not support it.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> estimates, unavailable = fit_estimands(ds)
    >>> [e.name for e in estimates] == [e.name for e in estimands_for(ds.programme)], unavailable
    (True, {})
    >>> e = estimates[0]
    >>> e.name, e.sms_level, bool(e.ci_low < e.estimate < e.ci_high)
    ('did_att_da_rate', 4, True)
    """
    from foundation_eval.evaluation.designs import HEADLINE
    from foundation_eval.evaluation.study import shared_evaluation

    wanted = estimands_for(ds.programme)
    if names is not None:
        names = set(names)
        wanted = [e for e in wanted if e.name in names]
    out: list[Estimate] = []
    why: dict[str, str] = {}
    frame = None
    ev = None
    person: dict[str, Callable] = {
        "engagement_rd_practitioner": engagement_rd_practitioner,
        "referral_start_rd_programme": referral_start_rd_programme,
        "ppit_auc_12m": ppit_auc_12m,
        "ppit_icc2_total": ppit_icc2_total,
        "reoffending_12m_rd_listed_vs_prelive": reoffending_12m_rd_listed_vs_prelive,
        "reoffending_hr_listed_vs_prelive": reoffending_hr_listed_vs_prelive,
    }
    for e in wanted:
        try:
            if e.name in person:
                if frame is None:
                    frame = analysis_frame(ds)
                fitted = person[e.name](ds, frame, level)
            else:
                if ev is None:  # the same fit the render's evaluation study reads
                    ev = shared_evaluation(ds, level=level)
                res = getattr(ev, HEADLINE[e.name])
                if not getattr(res, "estimable", True):  # a design the data cannot support: say why
                    why[e.name] = f"The data do not support this estimate: {res.reason}"
                    continue
                fitted = _from_eval(res, e.name)
        except _ERRORS as exc:
            why[e.name] = f"The data do not support this estimate: {exc}"
            continue
        if np.isfinite(fitted.estimate) and np.isfinite(fitted.ci_low) and np.isfinite(fitted.ci_high):
            out.append(fitted)
        else:
            why[e.name] = "The model gave no finite estimate or interval on these data, so nothing is published."
    return out, why
