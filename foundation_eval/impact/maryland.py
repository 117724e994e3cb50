r"""Maryland Scientific Methods Scale: one table from design (and its diagnostics) to level.

Every impact result in the package takes its level from
[`maryland_level`][foundation_eval.impact.maryland.maryland_level], so the same
estimator gets the same level whatever the outcome, and the two reports cannot define a level
differently.

Sources
-------
* Farrington, D. P., Gottfredson, D. C., Sherman, L. W. & Welsh, B. C. (2002). The Maryland
  Scientific Methods Scale. In Sherman, Farrington, Welsh & MacKenzie (eds.), *Evidence-Based Crime
  Prevention*, pp. 13-21. London: Routledge. (Level definitions, quoted in `SMS_LEVELS`.)
* Sherman, L. W. et al. (1997). *Preventing Crime: What Works, What Doesn't, What's Promising*,
  ch. 2. Washington DC: US Department of Justice.
* What Works Centre for Crime Reduction (College of Policing), *Crime Reduction Toolkit*: the EMMIE
  framework, whose "Effect" dimension rates the design on the Maryland scale.
* What Works Centre for Local Economic Growth (2016), *Guide to scoring evidence using the Maryland
  Scientific Methods Scale*: quasi-random designs (regression discontinuity) at level 4 only when
  the discontinuity is defended (here: the density check), and comparison-group designs at level 4
  only with evidence that the groups were comparable before treatment (here: the pre-trend check).

Rules
-----
1. The level belongs to the **design family**, not to the outcome or the estimator (`DESIGN_LEVELS`):
   the imputation estimator and Callaway & Sant'Anna are one family, the staggered comparison of
   districts, and read the same level from the same check.
2. **One pre-trend rule** for every comparison-group design identified by the staggered go-live: the
   randomisation test over go-live dates of the Callaway & Sant'Anna pre-period effects (the Wald
   test's covariance is singular with 14 districts and many pre-periods, so it is not used for the
   level). A **failed** design check (p < ``alpha``) lowers the level by one and is flagged beside it,
   saying which check and why: the pre-trend check, and the density (McCrary 2008) check of a
   regression discontinuity, at an age limit too (age cannot be manipulated, but a jump in the number
   of people coming to police attention at the limit means the two sides differ in who is screened).
   A check that was **not run** leaves the level and is flagged ("not run for this result").
3. **Checks carry no level of their own**: placebo tests, leave-one-out re-estimates, randomisation
   tests, event-study points (``level`` None).
4. **Descriptive results carry no level and no verdict**: a discontinuity at the risk-tool
   threshold estimates the effect of the priority flag (not of the programme) on a score that
   practitioners set knowing the threshold; measurements (AUC, ICC) are not impact estimates.
5. A comparison of people **selected into exposure** within live districts (the Cox model: listed
   people against eligible people not (yet) listed) is level 3: the staggered go-live removes period
   effects, but who is listed within a live district is not shown comparable to who is not, and the
   district pre-trend test says nothing about that.

Level 4 here means "before and after in multiple treated and comparison units, controlling for
other variables" (Farrington et al. 2002) with the comparability evidence of rule 2; level 5 needs
random assignment, which no design in this package has.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

__all__ = ["SMS_LEVELS", "DesignLevel", "DESIGN_LEVELS", "MarylandLevel", "maryland_level", "level_table"]

SMS_LEVELS = {
    1: "correlation between the programme and the outcome at one point in time, or a comparison of people "
       "who chose to take part with people who did not",
    2: "outcome measured before and after the programme, with no comparable comparison group",
    3: "outcome measured before and after the programme in treated and comparable untreated groups",
    4: "outcome measured before and after in multiple treated and comparison units, controlling for other "
       "variables that influence it (with evidence that the groups were comparable)",
    5: "random assignment of the programme to units",
}
"""The five levels of the Maryland Scientific Methods Scale in the words of Farrington, Gottfredson,
Sherman & Welsh (2002), keyed 1 (weakest) to 5 (random assignment): the one definition every report
uses."""


@dataclass(frozen=True)
class DesignLevel:
    """One row of the design table: a design, its Maryland level before diagnostics and why.

    The rows live in [`DESIGN_LEVELS`][foundation_eval.impact.maryland.DESIGN_LEVELS], keyed by ``key``.

    Attributes
    ----------
    key : str
        Machine key (``EvalEstimate.design_key``).
    label : str
        The design in words.
    level : int or None
        Level before diagnostics; None for checks and measurements.
    checks : tuple of str
        Diagnostics of the design: ``"pre_trends"``, ``"density"``, ``"balance"``.
    flag_only : tuple of str
        Checks whose failure is flagged beside the level without lowering it.
    identifies : str
        What the design estimates, when it is not the programme's effect.
    reason : str
        Why the design sits at this level.

    Examples
    --------
    >>> d = DESIGN_LEVELS["twfe"]
    >>> d.level, d.checks
    (3, ())
    >>> d.label
    'two-way fixed-effects regression under staggered adoption'
    >>> "already live" in d.reason
    True
    >>> DESIGN_LEVELS["rd"].checks, DESIGN_LEVELS["rd_risk_flag"].level
    (('density',), None)
    """

    key: str
    label: str
    level: int | None
    checks: tuple[str, ...] = ()
    identifies: str = "the effect of the programme"
    reason: str = ""
    flag_only: tuple[str, ...] = ()


DESIGN_LEVELS: dict[str, DesignLevel] = {d.key: d for d in (
    DesignLevel("randomised", "randomised controlled trial", 5, (), reason="random assignment"),
    DesignLevel("staggered_did", "staggered comparison of districts going live at different dates "
                "(difference-in-differences: imputation or Callaway & Sant'Anna)", 4, ("pre_trends",),
                reason="many treated and comparison districts before and after, district and period effects"),
    DesignLevel("cox_staggered", "survival model with exposure from listing, districts going live at different "
                "dates (stratified by district, calendar-quarter effects)", 3, (),
                reason="district and period controls from the staggered go-live, but exposure is listing, and within "
                       "a live district who is listed is selected: eligible people never listed stay in the "
                       "comparison, and no check shows the two groups comparable"),
    DesignLevel("twfe", "two-way fixed-effects regression under staggered adoption", 3, (),
                reason="treated and comparison units before and after, but part of the comparison uses districts "
                       "already live (Goodman-Bacon 2021)"),
    DesignLevel("cohort_before_after", "earlier and later cohorts of eligible people within the same districts", 2,
                (), reason="before and after within the treated districts, no concurrent comparison group"),
    DesignLevel("its", "interrupted time series", 2, (),
                reason="one series before and after, the projected trend is the only comparison"),
    DesignLevel("before_after", "before-and-after comparison in the same districts", 2, (),
                reason="no comparison group"),
    DesignLevel("historical_comparison", "listed people against eligible people before go-live", 2, (),
                reason="a comparison group from an earlier period, not concurrent"),
    DesignLevel("rd", "regression discontinuity at an age limit", 4, ("density",),
                reason="quasi-random assignment either side of a limit, with evidence that the two sides are "
                       "alike (the density check)"),
    DesignLevel("rd_risk_flag", "regression discontinuity at the risk-tool priority threshold", None, ("density",),
                identifies="the effect of the priority flag on listed people, not the effect of the programme: "
                           "descriptive",
                reason="practitioners set the score knowing the threshold, and the flag is not the programme"),
    DesignLevel("matched", "propensity-score matched comparison of listed people with eligible people not yet listed",
                3, ("balance",),
                reason="a concurrent comparison group made comparable on recorded characteristics (standardised "
                       "differences below 0.1 after matching); unrecorded differences remain"),
    DesignLevel("cross_section", "comparison of listed and never-listed people at one time", 1, (),
                reason="correlation, groups differ in period and stage of offending"),
    DesignLevel("self_selected", "comparison of people who engaged with people who did not", 1, (),
                identifies="a correlation between engaging and the outcome, not an effect",
                reason="people choose to engage"),
    DesignLevel("placebo", "placebo test", None, (), identifies="a check of the design, not an effect"),
    DesignLevel("leave_one_out", "leave-one-out re-estimate", None, (), identifies="a check of the design"),
    DesignLevel("randomisation_test", "randomisation test over go-live dates", None, (),
                identifies="a check of the design"),
    DesignLevel("event_study", "event-study point", None, (), identifies="a check of the design"),
    DesignLevel("measurement", "measurement (discrimination, reliability)", None, (),
                identifies="a property of the risk tool, not an effect"),
)}
"""The design table: every design key with its Maryland level before diagnostics, its checks and
what it identifies (one `DesignLevel` per key).
Checks of a design (placebo, leave-one-out, randomisation test, event-study point) and
measurements have level None."""


@dataclass(frozen=True)
class MarylandLevel:
    """A design's Maryland level after its diagnostics, with the flags set beside it.

    Returned by [`maryland_level`][foundation_eval.impact.maryland.maryland_level].

    Attributes
    ----------
    design_key : str
        Key of the design in [`DESIGN_LEVELS`][foundation_eval.impact.maryland.DESIGN_LEVELS].
    level : int or None
        Level after diagnostics (None for checks and measurements).
    base_level : int or None
        Level of the design before diagnostics.
    flags : tuple of str
        Plain-words notes set beside the level (failed or missing checks).
    identifies : str
        What the design estimates.

    Examples
    --------
    A failed density check at an age limit lowers the level from 4 to 3:

    >>> m = maryland_level("rd", density_p=0.006)
    >>> m.level, m.base_level, m.lowered
    (3, 4, True)
    >>> m.flags[0]
    'density (McCrary) check at the threshold failed (p = 0.006): level lowered from 4 to 3'
    >>> m.description
    'outcome measured before and after the programme in treated and comparable untreated groups'
    >>> m.table()[["design", "level", "base_level"]].to_dict("records")
    [{'design': 'rd', 'level': 3, 'base_level': 4}]

    The risk-tool threshold is descriptive: no level, whatever its check says.

    >>> maryland_level("rd_risk_flag", density_p=0.006).level is None
    True
    """

    design_key: str
    level: int | None
    base_level: int | None
    flags: tuple[str, ...] = ()
    identifies: str = "the effect of the programme"

    @property
    def description(self) -> str:
        """The level's definition from [`SMS_LEVELS`][foundation_eval.impact.maryland.SMS_LEVELS] (empty when there is no level)."""
        return SMS_LEVELS.get(self.level, "") if self.level else ""

    @property
    def lowered(self) -> bool:
        """Whether a failed design check lowered the level below the design's own."""
        return self.level is not None and self.base_level is not None and self.level < self.base_level

    def table(self) -> pd.DataFrame:
        """The level as a one-row table.

        Returns
        -------
        DataFrame
            Columns ``design, level, base_level, flags`` (joined by "; ") and ``identifies``.
        """
        return pd.DataFrame([{"design": self.design_key, "level": self.level, "base_level": self.base_level,
                              "flags": "; ".join(self.flags), "identifies": self.identifies}])


def _p(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def maryland_level(design_key: str, *, pre_trend_p: float | None = None, density_p: float | None = None,
                   balanced: bool | None = None, alpha: float = 0.05) -> MarylandLevel:
    """The Maryland level of a design given its diagnostics.

    Applies the rules of this module (Farrington et al. 2002; What Works Centre for Local Economic
    Growth 2016): start from the design's level in `DESIGN_LEVELS`; a failed check (p < ``alpha``)
    lowers it by one and is flagged, unless the check is flag-only for that design (the density check
    at an age limit); a check that was not run leaves the level and is flagged. Checks and
    measurements have no level.

    Parameters
    ----------
    design_key : str
        A key of [`DESIGN_LEVELS`][foundation_eval.impact.maryland.DESIGN_LEVELS].
    pre_trend_p : float, optional
        p-value of the pre-trend test (designs with the ``"pre_trends"`` check); None when not run.
    density_p : float, optional
        p-value of the McCrary density test (``"density"`` check); None when not run.
    balanced : bool, optional
        Whether matching achieved balance (``"balance"`` check: every standardised difference below 0.1
        after matching); None when not run.
    alpha : float
        A check fails when its p-value is below ``alpha``.

    Returns
    -------
    MarylandLevel
        The level after diagnostics (None for checks and measurements), the design's own level and
        the flags in plain words.

    Raises
    ------
    KeyError
        ``design_key`` is not a known design (the message lists the known keys).

    Examples
    --------
    >>> maryland_level("staggered_did", pre_trend_p=0.4).level
    4
    >>> maryland_level("staggered_did", pre_trend_p=0.01).level
    3
    >>> maryland_level("placebo").level is None
    True
    >>> maryland_level("staggered_did").flags
    ('pre-trend check not run for this result',)
    """
    if design_key not in DESIGN_LEVELS:
        raise KeyError(f"unknown design {design_key!r}; known: {', '.join(DESIGN_LEVELS)}")
    d = DESIGN_LEVELS[design_key]
    level, flags = d.level, []
    if level is None:
        if design_key == "rd_risk_flag":
            flags = ["descriptive: estimates the effect of the priority flag, not of the programme"]
            p = _p(density_p)
            if p is not None and p < alpha:
                flags.append(f"density (McCrary) check at the threshold failed (p = {p:.3f})")
            return MarylandLevel(design_key, None, None, tuple(flags), d.identifies)
        return MarylandLevel(design_key, None, None, ("a check of the design: no level of its own",)
                             if design_key != "measurement" else (), d.identifies)
    given = {"pre_trends": _p(pre_trend_p), "density": _p(density_p),
             "balance": None if balanced is None else (1.0 if balanced else 0.0)}
    words = {"pre_trends": "pre-trend check", "density": "density (McCrary) check at the threshold",
             "balance": "balance check (standardised differences below 0.1 after matching)"}
    for c in d.checks:
        p = given[c]
        if c == "balance" and p is not None:
            if not p:
                level -= 1
                flags.append(f"{words[c]} failed: level lowered from {d.level} to {level}")
            continue
        if p is None:
            flags.append(f"{words[c]} not run for this result")
        elif p < alpha and c in d.flag_only:
            flags.append(f"{words[c]} failed (p = {p:.3f}): read with care")
        elif p < alpha:
            level -= 1
            flags.append(f"{words[c]} failed (p = {p:.3f}): level lowered from {d.level} to {level}")
    if not d.checks and design_key in ("cox_staggered",):
        flags.append("no pre-trend check of its own: the level rests on the design alone")
    return MarylandLevel(design_key, level, d.level, tuple(flags), d.identifies)


def level_table(alpha: float = 0.05) -> pd.DataFrame:
    """Every design and diagnostic outcome with its Maryland level: the documented table.

    One row per design without checks (``check`` empty, ``outcome`` "none"), and three rows per
    design with a check (``outcome`` "passed", "failed" or "not run"), each level computed by
    [`maryland_level`][foundation_eval.impact.maryland.maryland_level].

    Parameters
    ----------
    alpha : float
        Significance level at which a check fails.

    Returns
    -------
    DataFrame
        Columns ``design, label, check, outcome, level, base_level, identifies``; ``level`` and
        ``base_level`` are nullable integers (missing for checks and measurements).

    Examples
    --------
    >>> t = level_table()
    >>> t.shape
    (26, 7)
    >>> t[t.design == "staggered_did"].set_index("outcome").level.tolist()
    [4, 3, 4]
    >>> t[t.design == "rd"].set_index("outcome").level.tolist()  # passed, failed, not run
    [4, 3, 4]
    """
    rows = []
    for key, d in DESIGN_LEVELS.items():
        combos = [("", "none", {})]
        for c in d.checks:
            arg = {"pre_trends": "pre_trend_p", "density": "density_p", "balance": "balanced"}[c]
            ok, bad = (True, False) if c == "balance" else (0.5, alpha / 5)
            combos = [(c, "passed", {arg: ok}), (c, "failed", {arg: bad}), (c, "not run", {})]
        for check, outcome, kw in combos:
            m = maryland_level(key, alpha=alpha, **kw)
            rows.append({"design": key, "label": d.label, "check": check, "outcome": outcome, "level": m.level,
                         "base_level": d.level, "identifies": d.identifies})
    out = pd.DataFrame(rows)
    out["level"] = out.level.astype("Int64")
    out["base_level"] = out.base_level.astype("Int64")
    return out
