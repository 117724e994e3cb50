"""Reoffending by engagement and referral exposures: naive, time-varying and weighted comparisons.

People choose whether to engage and whether to start a service, and those who do differ from those
who do not (in the synthetic force, higher-risk people engage less). Comparing them is therefore
confounded. This module shows three estimates side by side so that the reader sees how much the
answer moves:

1. a time-varying Cox model of first DA reoffence on the exposure (Andersen-Gill start/stop data);
2. a landmark comparison: exposed by the landmark day or not, Cox from the landmark on;
3. the same landmark comparison weighted by stabilised inverse probability of exposure given the
   risk-tool score, prior DA offences, age and sex (Robins, Hernan & Brumback 2000).

Only measured confounders are balanced by weighting; the plain warning stays with every result.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.frames.outcomes import person_month_panel, reoffending_frame
from foundation_eval.results import Result

__all__ = ["EXPOSURES", "ExposureEffect", "exposure_effect", "landmark_frame"]

EXPOSURES = {
    "engaged": ("engaged_by", "engaging with the team"),
    "referral_started": ("referral_started_by", "starting a referred service"),
}
"""Exposure key to ``(person-month panel column, plain-English label)``."""
WARNING = ("People decide for themselves whether to engage or take up a service, and those who do are different "
           "from those who do not. These comparisons describe association, not effect: even the weighted estimate "
           "only allows for the differences that were measured.")


def _first_exposure(ds: Dataset, persons: pd.DataFrame, exposure: str) -> pd.Series:
    if exposure == "engaged":
        con = ds.contacts
        d = con[con.outcome == "engaged"][["person_id", "contact_date"]].rename(columns={"contact_date": "d"})
    elif exposure == "referral_started":
        ref = ds.referrals
        d = ref[ref.started_date.notna()][["person_id", "started_date"]].rename(columns={"started_date": "d"})
    else:
        raise ValueError(f"exposure must be one of {sorted(EXPOSURES)}")
    d = d.merge(persons[["person_id", "index_date"]], on="person_id")
    return d[d.d >= d.index_date].groupby("person_id").d.min()


def landmark_frame(ds: Dataset, persons: pd.DataFrame, exposure: str = "engaged",
                   landmark_days: int = 90) -> pd.DataFrame:
    """Listed people still followed and not yet reoffended at the landmark, with their exposure by then.

    A landmark analysis (Anderson, Cain and Gelber 1983) classifies people by exposure at a fixed day
    after listing and follows them from that day, which avoids immortal-time bias.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    persons : DataFrame
        Rows of `foundation_eval.frames.cohort.person_frame` (listed people are used).
    exposure : {"engaged", "referral_started"}
        Key of `EXPOSURES`.
    landmark_days : int
        Days after the index date at which exposure is classified.

    Returns
    -------
    DataFrame
        The reoffending frame of those people with ``exposed`` (0/1 by the landmark), ``time`` (months
        from the landmark to first DA reoffence or end of follow-up) and baseline covariates ``ppit``
        (missing filled with the mean), ``ppit_missing`` and ``male``.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.cohort import person_frame
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> persons = person_frame(ds)
    >>> lm = landmark_frame(ds, persons, "engaged", landmark_days=90)
    >>> bool((lm.time > 0).all()), sorted(set(lm.exposed))
    (True, [0, 1])
    """
    r = reoffending_frame(ds, persons[persons.listed])
    first = r.person_id.map(_first_exposure(ds, r, exposure))
    at_risk = r.time_days > landmark_days
    f = r[at_risk].copy()
    f["exposed"] = ((first[at_risk] - f.index_date).dt.days <= landmark_days).fillna(False).astype(int)
    f["time"] = (f.time_days - landmark_days) / 30.4375
    f["ppit"] = f.ppit_total.astype(float)
    f["ppit_missing"] = f.ppit.isna().astype(int)
    f["ppit"] = f.ppit.fillna(f.ppit.mean())
    f["male"] = (f.sex == "male").astype(int)
    return f.reset_index(drop=True)


@dataclass(frozen=True)
class ExposureEffect(Result):
    """Three estimates of the hazard ratio of first DA reoffence for an exposure, with the warning.

    Returned by `exposure_effect`.

    Attributes
    ----------
    exposure : str
        Key of `EXPOSURES`.
    label : str
        Plain-English name of the exposure.
    time_varying, naive, weighted : CoxResult
        Time-varying Cox on the person-month panel; landmark Cox, unadjusted; landmark Cox weighted
        by stabilised inverse probability of exposure.
    weights : IPWResult
        The weights and their balance table.
    warning : str
        Plain-English caution printed with every result: these are associations, not effects.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.cohort import person_frame
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> persons = person_frame(ds)
    >>> effect = exposure_effect(ds, persons, "engaged")
    >>> effect.table().analysis.tolist()
    ['time-varying Cox (unadjusted)', 'landmark, unadjusted', 'landmark, inverse-probability weighted']
    """

    exposure: str
    label: str
    time_varying: object
    naive: object
    weighted: object
    weights: object
    warning: str = WARNING

    def table(self) -> pd.DataFrame:
        """The three hazard ratios side by side.

        Returns
        -------
        DataFrame
            ``analysis, hr, hr_low, hr_high, p, n``, one row per analysis.
        """
        rows = []
        for name, res in (("time-varying Cox (unadjusted)", self.time_varying),
                          ("landmark, unadjusted", self.naive), ("landmark, inverse-probability weighted", self.weighted)):
            t = res.table().loc["exposed"]
            rows.append({"analysis": name, "hr": t.hr, "hr_low": t.hr_low, "hr_high": t.hr_high, "p": t.p, "n": res.n})
        return pd.DataFrame(rows)

    def plot(self, ax=None):
        """Forest plot of the three hazard ratios on a log axis.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import forest_plot

        t = self.table()
        return forest_plot(t.hr, t.hr_low, t.hr_high, t.analysis, reference=1, log=True, color="black", ax=ax,
                           xlabel=f"Hazard ratio of further DA offending, {self.label} (95% interval)")


def exposure_effect(ds: Dataset, persons: pd.DataFrame, exposure: str = "engaged", landmark_days: int = 90,
                    covariates=("ppit", "ppit_missing", "prior_da_2y", "age_at_index", "male"),
                    level: float = 0.95) -> ExposureEffect:
    """Naive, time-varying and weighted hazard ratios for ``exposure`` (see the module notes).

    1. A time-varying Cox model (Andersen-Gill start/stop data) of first DA reoffence on being exposed
       by each month, errors clustered by district;
    2. a landmark Cox model: exposed by ``landmark_days`` or not, followed from the landmark;
    3. the landmark model weighted by stabilised inverse-probability-of-exposure weights from a logistic
       model of ``covariates`` (Robins, Hernan and Brumback 2000).

    Only measured confounders are balanced; read all three as associations.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    persons : DataFrame
        Rows of `foundation_eval.frames.cohort.person_frame` (listed people are used).
    exposure : {"engaged", "referral_started"}
        Key of `EXPOSURES`.
    landmark_days : int
        Landmark in days after the index date.
    covariates : sequence of str
        Columns of `landmark_frame` in the propensity model.
    level : float
        Confidence level.

    Returns
    -------
    ExposureEffect

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> from foundation_eval.frames.cohort import person_frame
    >>> ds = demo_dataset(seed=1, scale=0.1)          # a small synthetic force (cached after the first call)
    >>> persons = person_frame(ds)
    >>> effect = exposure_effect(ds, persons, "engaged", landmark_days=90)
    >>> effect.label, effect.weights.treatment
    ('engaging with the team', 'exposed')
    """
    from foundation_eval.models.reoffending import cox, cox_time_varying, ipw_weights

    if exposure not in EXPOSURES:
        raise ValueError(f"exposure must be one of {sorted(EXPOSURES)}, not {exposure!r}")
    col, label = EXPOSURES[exposure]
    listed = persons[persons.listed]
    panel = person_month_panel(ds, listed)
    # follow each person to the first DA reoffence only
    first = panel[panel.event_first == 1].groupby("person_id").month.min()
    cut = panel.person_id.map(first)
    panel = panel[cut.isna() | (panel.month <= cut)].copy()
    panel["event"] = panel.event_first
    panel["exposed"] = panel[col].astype(int)
    tv = cox_time_varying(panel, "person_id", "start", "stop", "event", ["exposed"], cluster="district_id",
                          level=level)
    lm = landmark_frame(ds, persons, exposure, landmark_days)
    naive = cox(lm, "time", "event", ["exposed"], cluster="district_id", level=level)
    w = ipw_weights(lm, "exposed", list(covariates), stabilised=True)
    lmw = lm.assign(w=w.weights.values)
    weighted = cox(lmw, "time", "event", ["exposed"], cluster="district_id", weights="w", level=level)
    return ExposureEffect(exposure, label, tv, naive, weighted, w)
