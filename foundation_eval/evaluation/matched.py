r"""A Justice Data Lab-style matched comparison for the person-level question.

*Did the people put on the list reoffend less in the following year than similar eligible people who were
not (yet) listed?* Each listed person is matched on the propensity score
([`propensity_match`][foundation_eval.models.matching.propensity_match]) to eligible people who were not
listed at the same time, and their one-year DA reoffending (whether, and how many offences) is compared,
as the Ministry of Justice's Justice Data Lab does for programmes that work with offenders.

**Who is compared.** Only *newly* eligible people: anyone first seen eligible within `washout_months` of the
data start may have been eligible before it and is left out
([`eligibility_washout`][foundation_eval.frames.washout.eligibility_washout]), so that the time since
eligibility means the same for everyone and the first data month's backlog is not counted as new.

**Index dates.** A listed person is indexed at the first day of the month they were first listed (the
start of exposure). A comparison person is indexed at the first day of the *first* month in which they met
every criterion, were not listed, and were screened in a district that did not go live within the
outcome window (go-live at least `window_months` after that month). This choice

- starts both clocks at the same point of the pathway (a monthly screen at which the person met every
  criterion), so neither group gets immortal time;
- keeps the programme out of the comparison group's outcome window using only the published go-live
  schedule, fixed in advance: requiring comparison people never to be listed later would instead select
  on their future (re-eligibility follows new offending) and flatter the programme;
- gives each comparison person one row (their earliest qualifying month), with the months since first
  eligibility measured the same way as for listed people and used as a covariate.

Listed people and comparison people are matched *exactly* on the calendar quarter of the index date
(seasonality, lockdowns and recording changes act on both alike) and on the propensity score within it.

**Covariates** at the index date: age, DA offences in the 2 years before, months since first eligible, sex
and ethnic group. Every eligibility criterion is met at the index month by both groups by definition, so
the criteria carry no information. The risk-tool (PPIT) score is not used: only listed people are
assessed. The district is shown in the balance table but left out of the propensity model when listing
is decided by the district's go-live alone (every eligible person in a live district listed, none in the
others): within a quarter the district then *is* the treatment and no comparison would remain. The
comparison is then across districts, which the label says.

**Outcomes**, over the `window_months` after the index date (offences after the index date up to and
including the close date), for people observed for the whole window (no exit before it closes, and it
closes by the extract date): DA reoffending (any DA offence: a proportion; the effect is a risk difference)
and DA offences per person (frequency).

**What it can and cannot show.** Matching balances what was measured. If listing depended on something
unmeasured that also drives reoffending (practitioners' judgement of risk, say), the estimate is biased
whatever the balance table shows; on the synthetic force, where listing depends on the district and
month only, the remaining bias comes from the estimand (listed people with a comparable person: those
listed while some districts were not yet live) and from district differences. Over 41 synthetic forces
the 12-month risk difference averaged -0.072 against a true -0.063 (Monte Carlo SE 0.019: no bias
detected), with a spread of 0.12 between forces and 93% interval coverage; only about 97 of 855 listed
people a force had a comparison person, so the interval is wide (about +-0.22): on the shipped rollout
this design cannot tell a 6-point reduction from none (`benchmarks/coverage_matching.py`). SMS level 3 at
best: a matched comparison group with prior offending controlled.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.frames.outcomes import da_offences_of, people_index
from foundation_eval.frames.washout import eligibility_washout
from foundation_eval.models.matching import MatchResult, propensity_match

__all__ = ["DEFAULT_COVARIATES", "MatchedComparison", "matched_frame", "matched_comparison"]

DEFAULT_COVARIATES = ("age_at_index", "prior_da_2y", "months_since_first_eligible")
"""Covariates of the propensity model, all known at the index date."""

# the characteristics of the balance table in words, for the label a page prints
_CHARACTERISTICS = {"district_id": "district", "age_at_index": "age", "prior_da_2y": "DA offences in the previous two years",
                    "months_since_first_eligible": "months since first eligible", "ethnicity_group": "ethnic group",
                    "index_quarter": "calendar quarter"}
_LABELS = {"reoffended": "DA reoffending within the window (proportion)",
           "da_count": "DA offences within the window per person (frequency)"}


def matched_frame(ds: Dataset, window_months: int = 12, washout_months: int = 24) -> tuple[pd.DataFrame, dict]:
    """Listed people at first listing and eligible not-yet-listed people, with covariates and outcomes.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    window_months : int
        Length of the outcome window in months.
    washout_months : int
        Look-back washout: people first eligible within this many months of the data start are left out.

    Returns
    -------
    frame : DataFrame
        One row per person and role: ``person_id, listed`` (1 listed, 0 comparison), ``index_month,
        index_date, index_quarter, district_id, first_eligible, months_since_first_eligible,
        age_at_index, sex, ethnicity_group, prior_da_2y, close_date, observed`` (window fully observed),
        ``da_count`` and ``reoffended`` (0/1). Person-level: never publish it.
    counts : dict
        ``washout`` (the [`Washout`][foundation_eval.frames.washout.Washout]), ``listed_new`` (newly
        eligible people ever listed), ``comparison_candidates`` (newly eligible people with a qualifying
        unlisted month), ``both_roles`` (people in both groups, at different times).

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> f, counts = matched_frame(demo_dataset(seed=1, scale=0.1))
    >>> sorted(set(f.listed)), bool((f.index_month >= f.first_eligible).all())
    ([0, 1], True)
    """
    if int(window_months) != window_months or window_months < 1:
        raise ValueError(f"window_months must be a positive whole number, got {window_months!r}")
    wo = eligibility_washout(ds, washout_months)
    new = wo.kept
    scr = ds.screening
    el = scr[scr.eligible.astype(bool) & scr.person_id.isin(new.person_id)][
        ["person_id", "month", "district_id", "listed"]].sort_values(["person_id", "month"], kind="stable")
    listed = el[el.listed.astype(bool)].drop_duplicates("person_id").assign(listed=1)
    go = pd.Series({d.id: d.go_live.ordinal for d in ds.programme.districts})
    unl = el[~el.listed.astype(bool)]
    month_ord = pd.PeriodIndex(unl.month, freq="M").asi8
    go_ord = unl.district_id.map(go).to_numpy(dtype=float)
    qualifies = go_ord >= month_ord + int(window_months)  # not live at any point of the window
    comp = unl[qualifies].drop_duplicates("person_id").assign(listed=0)
    f = pd.concat([listed, comp], ignore_index=True).rename(columns={"month": "index_month"})
    f["listed"] = f.listed.astype(int)
    f = f.merge(new[["person_id", "first_eligible"]], on="person_id", how="left")
    f["index_date"] = f.index_month.dt.start_time
    f["index_quarter"] = f.index_month.dt.asfreq("Q").astype(str)
    index_ord = pd.PeriodIndex(f.index_month, freq="M").asi8
    f["months_since_first_eligible"] = index_ord - pd.PeriodIndex(f.first_eligible, freq="M").asi8
    # the people's rows found in the dataset's index of them, not in a re-indexed copy of the people table
    # (a person not in it, as only an unvalidated extract has, comes out missing)
    pos = people_index(ds).get_indexer(f.person_id)

    def of_people(col: str):
        return ds.people[col].array.take(pos, allow_fill=True)

    f["age_at_index"] = (index_ord - of_people("birth_ym").asi8) / 12
    f["sex"] = pd.Series(of_people("sex"), index=f.index).astype(str)
    f["ethnicity_group"] = pd.Series(of_people("ethnicity_group"), index=f.index).astype(str)
    f["close_date"] = f.index_date + pd.DateOffset(months=int(window_months))
    exit_date = f.person_id.map(ds.exits.set_index("person_id").exit_date)
    f["observed"] = (f.close_date <= pd.Timestamp(ds.extract_date)) & (exit_date.isna() | (exit_date >= f.close_date))
    who, when, _ = da_offences_of(ds, f.person_id)
    index_date = f.index_date.to_numpy()[who]
    since = (f.index_date - pd.DateOffset(years=2)).to_numpy()[who]
    prior = (when < index_date) & (when >= since)
    after = (when > index_date) & (when <= f.close_date.to_numpy()[who])
    f["prior_da_2y"] = np.bincount(who[prior], minlength=len(f)).astype(int)
    f["da_count"] = np.bincount(who[after], minlength=len(f)).astype(int)
    f["reoffended"] = (f.da_count > 0).astype(int)
    cols = ["person_id", "listed", "index_month", "index_date", "index_quarter", "district_id", "first_eligible",
            "months_since_first_eligible", "age_at_index", "sex", "ethnicity_group", "prior_da_2y", "close_date",
            "observed", "da_count", "reoffended"]
    counts = {"washout": wo, "listed_new": int(len(listed)), "comparison_candidates": int(len(comp)),
              "both_roles": int(len(set(listed.person_id) & set(comp.person_id)))}
    return f[cols], counts


@dataclass(frozen=True)
class MatchedComparison:
    """The matched comparison of listed people with eligible people not yet listed, ready for a page.

    Returned by `matched_comparison`.

    Attributes
    ----------
    result : MatchResult
        The matching: effects, balance, overlap.
    window_months, washout_months : int
        Outcome window and look-back washout.
    population : str
        Who the effect is about, in words.
    comparison : str
        Who they are compared with, in words.
    index_rule : str
        How the index dates were chosen, in words.
    n_washout_excluded : int
        Eligible people left out by the washout (possibly eligible before the data start).
    washout_note : str
        The washout in one sentence.
    n_listed, n_comparison : int
        Listed and comparison people with a fully observed window (before matching).
    n_not_observed : int
        People of either group left out because their window was not fully observed.
    district_in_model : bool
        Whether the district was in the propensity model (see the module description).
    label : str or None
        ``"balance not achieved on: ..."`` when a characteristic of the balance table (district included,
        even when it is only shown) still differs by 0.1 standard deviations or more; None otherwise.
    caveats : tuple of str
        Plain sentences the page prints beside the result (no counts: those are fields, for the page's
        disclosure rule).
    n_both_roles : int
        People in both groups, at different times.
    imbalanced : tuple of str
        Characteristics still imbalanced after matching (empty when balanced).

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> mc = matched_comparison(demo_dataset(seed=1, scale=0.3))
    >>> mc.table().outcome.tolist()
    ['reoffended', 'da_count']
    >>> mc.result.n_treated + mc.result.n_off_support == mc.n_listed
    True
    """

    result: MatchResult
    window_months: int
    washout_months: int
    population: str
    comparison: str
    index_rule: str
    n_washout_excluded: int
    washout_note: str
    n_listed: int
    n_comparison: int
    n_not_observed: int
    district_in_model: bool
    label: str | None
    caveats: tuple = ()
    n_both_roles: int = 0
    imbalanced: tuple = ()

    @property
    def balanced(self) -> bool:
        """Every characteristic of the balance table within 0.1 standard deviations after matching."""
        return not self.imbalanced

    def table(self) -> pd.DataFrame:
        """Effects on listed people: one-year DA reoffending proportion and frequency.

        Returns
        -------
        DataFrame
            `MatchResult.table` with ``measure`` (plain-English outcome) added.
        """
        t = self.result.table()
        t.insert(1, "measure", t.outcome.map(_LABELS).fillna(t.outcome))
        return t

    def balance(self) -> pd.DataFrame:
        """The balance table (standardised differences before and after matching).

        Returns
        -------
        DataFrame
            `MatchResult.balance`.
        """
        return self.result.balance()

    def overlap(self) -> pd.DataFrame:
        """The overlap check.

        Returns
        -------
        DataFrame
            `MatchResult.overlap`.
        """
        return self.result.overlap()

    def plot(self, ax=None):
        """Love plot of the standardised differences before and after matching.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return self.result.plot(ax)


def _listing_by_district_alone(frame: pd.DataFrame) -> bool:
    """True when, in every district and quarter, everyone in the frame is listed or no one is."""
    mixed = frame.groupby(["district_id", "index_quarter"]).listed.agg(lambda s: 0 < s.mean() < 1)
    return not bool(mixed.any())


def matched_comparison(ds: Dataset, window_months: int = 12, washout_months: int = 24, *,
                       covariates=DEFAULT_COVARIATES, k: int = 1, caliper: float | None = 0.2,
                       exact=("index_quarter",), level: float = 0.95) -> MatchedComparison:
    """Listed people against matched eligible people not yet listed: one-year DA reoffending.

    Builds `matched_frame`, keeps people observed for the whole window, and matches each listed person to
    `k` comparison people in the same calendar quarter on the logit of the propensity score (caliper
    0.2 SD, with replacement; Abadie-Imbens standard errors). See the module description for the index
    dates and the covariates.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    window_months : int
        Outcome window in months (12: one-year reoffending, as the Justice Data Lab).
    washout_months : int
        Look-back washout in months (24: the DA-offence criterion's look-back).
    covariates : list of str
        Propensity-model covariates, columns of `matched_frame`.
    k : int
        Comparison people per listed person.
    caliper : float or None
        Caliper in SD of the logit of the propensity score.
    exact : list of str
        Columns matched exactly (default the calendar quarter of the index date).
    level : float
        Confidence level.

    Returns
    -------
    MatchedComparison
        The matching result, the counts and the label the page prints.

    Raises
    ------
    ValueError
        When no listed or no comparison person has a fully observed window.

    Examples
    --------
    On the shipped synthetic force (true 12-month risk difference among listed people -0.063), only the
    listed people with a comparison person in the same quarter are compared, and the interval is wide:

    >>> from foundation_eval.data.synth import demo_dataset
    >>> mc = matched_comparison(demo_dataset())
    >>> mc.n_washout_excluded, mc.n_listed, mc.n_comparison
    (920, 867, 75)
    >>> mc.result.n_treated, mc.result.n_off_support, mc.district_in_model, mc.label
    (89, 778, False, 'balance not achieved on: district')
    >>> row = mc.table().iloc[0]
    >>> round(float(row.estimate), 3), round(float(row.ci_low), 3), round(float(row.ci_high), 3)
    (0.012, -0.187, 0.211)
    """
    f, counts = matched_frame(ds, window_months, washout_months)
    obs = f[f.observed].reset_index(drop=True)
    n_not_obs = int((~f.observed).sum())
    n_l, n_c = int(obs.listed.sum()), int((obs.listed == 0).sum())
    if n_l == 0 or n_c == 0:
        who = "listed" if n_l == 0 else "comparison"
        raise ValueError(f"no {who} people with a fully observed {window_months}-month window after a "
                         f"{washout_months}-month washout")
    covariates = list(covariates)
    district_alone = _listing_by_district_alone(obs)
    in_model = not district_alone and "district_id" not in covariates
    model_covs = [*covariates, "district_id"] if in_model else covariates
    res = propensity_match(obs, "listed", model_covs, ["reoffended", "da_count"], k=k, caliper=caliper,
                           exact=list(exact), balance_only=[] if in_model else ["district_id"], level=level)
    # balance is judged on every characteristic the balance table shows, district included where it is only
    # shown: a comparison across districts that differ is not a balanced one
    bal = res.balance()
    off = tuple(dict.fromkeys(_CHARACTERISTICS.get(k, k.replace("_", " ")) for k in (
        re.split(r"[=\[]", c)[0] for c in bal.loc[~bal.balanced, "covariate"])))
    label = f"balance not achieved on: {', '.join(off)}" if off else None
    wo = counts["washout"]
    caveats = [wo.note()]
    if district_alone:
        caveats.append("Listing followed the district's go-live alone, so listed people are compared with people in "
                       "districts not yet live: district differences are not removed by the matching.")
    if res.n_off_support:
        caveats.append("Some listed people had no comparable person (no one in the same quarter and close enough "
                       "in propensity score): the effect is about those who had (counts in the overlap table).")
    caveats.append("Matching balances only what was measured: if listing depended on unmeasured risk, the "
                   "estimate is biased.")
    if counts["both_roles"]:
        caveats.append("Some people are in both groups, at different times (compared before their district went "
                       "live, listed after).")
    return MatchedComparison(
        result=res, window_months=int(window_months), washout_months=int(washout_months),
        population=f"people listed when newly eligible (first eligible {wo.first_new_month.strftime('%B %Y')} "
                   f"or later), indexed at first listing, with {window_months} months of follow-up",
        comparison="eligible people not yet listed, in a district that did not go live within the window, "
                   "in the same calendar quarter, matched on the propensity score",
        index_rule="Listed: first day of the month first listed. Comparison: first day of the first month they "
                   "met every criterion, were not listed, and were screened in a district that did not go live "
                   f"within the following {window_months} months.",
        n_washout_excluded=wo.n_excluded, washout_note=wo.note(), n_listed=n_l, n_comparison=n_c,
        n_not_observed=n_not_obs, district_in_model=bool(in_model), label=label, caveats=tuple(caveats),
        n_both_roles=int(counts["both_roles"]), imbalanced=off)
