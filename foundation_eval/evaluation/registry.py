"""One answer per question: each headline estimand and the one design that estimates it.

The names are the vocabulary of the synthetic generator's ``truth.json``. A render fits every
registered estimand once (:mod:`foundation_eval.evaluation.snapshot`); every page and
``results.json`` read that single value. Other designs of the same quantity are registered under
their own names as *alternatives*, each scored against the same truth (``truth``) and shown with its
own Maryland Scientific Methods Scale level, never in place of the primary.
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
        Name in ``results.json`` (for a primary, the ``truth.json`` name).
    label : str
        Plain-English definition used on every page.
    scale : {"difference", "ratio", "measure"}
        How the value reads: a difference (no effect 0), a ratio (no effect 1) or a measure (AUC, ICC).
    unit : {"points", "ratio", "rate", "index"}
        How the publication layer formats it: percentage points, a ratio, a rate per 100
        person-months, or a plain index to two decimals.
    truth : str
        The ``truth.json`` name the estimate is scored against.
    primary : bool
        True for the one design that answers the question; False for an alternative.
    needs : tuple of str
        What the programme must have: ``"risk_tool"`` and/or ``"staggered"`` (two or more go-live dates).
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
    """The registered estimands a programme can have (no risk-tool ones without a risk tool)."""
    have = {"risk_tool": programme.has_risk_tool, "staggered": _staggered(programme)}
    return [e for e in REGISTRY.values() if all(have[n] for n in e.needs)]


_ERRORS = (ValueError, KeyError, ZeroDivisionError, IndexError, np.linalg.LinAlgError)


def fit_estimands(ds, level: float = 0.95) -> tuple[list[Estimate], dict[str, str]]:
    """Fit every registered estimand once.

    Returns
    -------
    estimates : list of Estimate
        In registry order, under the registry's names.
    unavailable : dict
        Estimand name to a plain sentence saying why the data do not support it.
    """
    from foundation_eval.evaluation.designs import HEADLINE, Evaluation

    wanted = estimands_for(ds.programme)
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
                out.append(person[e.name](ds, frame, level))
                continue
            if ev is None:
                ev = Evaluation(ds, level=level)
            res = getattr(ev, HEADLINE[e.name])
            if not getattr(res, "estimable", True):  # a design the data cannot support: say why
                why[e.name] = f"The data do not support this estimate: {res.reason}"
                continue
            out.append(_from_eval(res, e.name))
        except _ERRORS as exc:
            why[e.name] = f"The data do not support this estimate: {exc}"
        else:
            last = out[-1]
            if not (np.isfinite(last.estimate) and np.isfinite(last.ci_low) and np.isfinite(last.ci_high)):
                out.pop()
                why[e.name] = "The model gave no finite estimate or interval on these data, so nothing is published."
    return out, why
