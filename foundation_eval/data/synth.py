r"""A synthetic programme with known truth.

The generator builds a realistic synthetic force for a programme definition: people screened each
month, the programme's eligibility criteria, listing once a district is live, risk-tool assessments with
rater noise (when the programme has a risk tool), contacts, referrals, offences with harm weights, risk
management plans, exits and any programme-specific columns.

Both potential outcomes are simulated with common random numbers: every person's reoffending is
drawn once as a stream of unit-exponential variates and turned into event times under two
intensities, with and without the programme. The same uniforms decide engagement with police alone
and with practitioners, and referral starts with and without the programme. The true value of every
estimand is then computed from the two worlds, and written beside the data as ``truth.json``.

Model
-----
Person $i$ lives in district $D$ (go-live month $g_D$, go-live wave $G_D$) and has a latent risk
$z_i \sim N(0, 1)$. DA offending is a Poisson process; its intensity in month $t$ in world $w$ (1 with
the programme, 0 without) is

$$
\lambda^{(w)}_i(t) = \lambda_0 \, s(t)\, c(t)\, d_i(t) \exp(\sigma z_i + \beta_a a_i(t))
\times \exp\bigl(u_D + v_D (t - \bar t)/12 + \eta_{D,q(t)} + \tau P_D (t - g_D)/3\bigr)
\times (1 + \alpha A_i(t))^{w}
\times \theta^{\, w E_i(t)\, \omega_{G_D} r(t - g_D)}
$$

where $s$ is seasonality, $c$ the COVID-19 lockdown multiplier, $d$ a decay after the first
screen, $a$ age, $E_i(t)$ is 1 from the first listed month on and $\theta$ the true hazard ratio of
the programme (default 0.80). Engagement, referral take-up and the risk tool all depend on $z$, so
naive comparisons between those who engage and those who do not are biased, as they are in practice.

Without a scenario every term of the second line is zero, $A_i \equiv 0$ and $\omega r \equiv 1$: no
district differences, parallel trends by construction and a constant effect. Each named scenario
(``SCENARIOS``) switches on one term, alone or with others, and draws from its own random stream, so
turning one on leaves the draws of the others unchanged:

- ``district-effects``: $u_D \sim N(-s_u^2/2, s_u^2)$ and $v_D \sim N(0, s_v^2)$ per year about the
  study's middle month $\bar t$; engagement and referral take-up get a district shift on the logit scale.
- ``district-shocks``: $\eta_{D,q}$ AR(1) over calendar quarters $q$ within a district (stationary SD
  $s_\eta$, autocorrelation $\rho$, mean $-s_\eta^2/2$); engagement and referral take-up get their own
  AR(1) district-quarter shocks on the logit scale.
- ``dynamic-effects``: $r(k) = f + (1 - f) \min(k / K, 1)$ over quarters $k$ since the district's
  go-live quarter (a share $f$ of the log hazard ratio at go-live, all of it after $K$ quarters) and a
  multiplier $\omega_G$ of the log hazard ratio per go-live wave.
- ``anticipation``: $A_i(t) = 1$ in the months of the quarter before the district's go-live quarter in
  which the person is eligible; the programme world's intensity there is multiplied by $1 + \alpha$.
- ``detection-bias``: committed offences are unchanged, but while a person is listed (and visited)
  extra DA offences are *recorded* at intensity $\kappa \lambda^{(1)}_i(t)$ in the programme world.
- ``trend-violation``: $P_D = 1$ for pilot districts: a linear trend of $\tau$ a quarter in their log
  intensity, zero at their go-live, in both worlds (rising into go-live and continuing after).
- ``left-truncation``: first screens start ``burn_in_months`` before the study (without it, 12),
  offending is simulated from each person's first screen and the offence that triggered it is dated
  before that screen (without it, offending starts at the study start and the trigger falls before the
  first screen seen in the study). The extract (screens from the study's first month on, offence history
  as a police system holds it) opens with many people first seen who are not new, and their offences
  between the first screen and the study start are in the history. This scenario changes who is in the
  force, so the other draws of the main stream change with it.

``realistic`` is district-effects + district-shocks + dynamic-effects + left-truncation.

The scenarios' names, parameters, expansion and the terms above are in
[`scenarios`][foundation_eval.data.scenarios], the computation of the true values from both worlds in
[`truth`][foundation_eval.data.truth]; this module re-exports
[`SCENARIOS`][foundation_eval.data.scenarios.SCENARIOS] and
[`expand_scenarios`][foundation_eval.data.scenarios.expand_scenarios].
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from foundation_eval.config import AGE_CRITERION, DEFAULT_PROGRAMME, Programme, load_programme
from foundation_eval.data.scenarios import (
    _INTENSITY,
    _SCENARIO_PARAMETERS,
    _STREAM,
    SCENARIOS,
    _ScenarioTerms,
    expand_scenarios,
)
from foundation_eval.data.truth import _Truth

__all__ = ["SCENARIOS", "SynthParams", "SyntheticProgramme", "expand_scenarios", "generate", "write"]

TABLES = ("districts", "people", "screening", "ppit_assessments", "contacts", "referrals", "offences", "rmps", "exits")

# the generator's code: a change to any of these files makes new demo data
_GENERATOR_FILES = ("synth.py", "scenarios.py", "truth.py")
_OFFENCE_COLUMNS = ["offence_id", "person_id", "offence_date", "offence_type", "da_flag", "victim_id", "chi_days"]


@dataclass(frozen=True)
class SynthParams:
    """Every parameter of the synthetic force. Defaults come from the programme's ``[synthetic]`` table.

    Attributes
    ----------
    scale : float
        Multiplies the number of people (1.0 gives monthly lists near ``eligible_per_month``).
    true_hr_programme : float
        Hazard ratio of DA reoffending while on the programme (conditional on latent risk).
    eligible_per_month : float
        Target force-wide number of eligible people per month.
    base_monthly_hazard : float
        DA reoffence intensity per month for an average-risk person aged 25, outside any decay.
    risk_sd : float
        SD of the latent log-hazard risk; drives the risk tool's discrimination.
    age_effect : float
        Log-hazard change per 10 years of age.
    decay : float
        Extra hazard right after a screen (multiplier ``1 + decay * exp(-months / 4)``).
    seasonal_amplitude, lockdown_multiplier : float
        Summer peak of incidents and the rise of incidents in lockdown months.
    mean_spell_months : float
        Mean months a person stays on the screen per spell.
    second_spell_prob : float
        Probability that a person returns for a second spell.
    criteria : dict
        Probability, per screening spell, that each non-age criterion holds, keyed by the criterion's
        screening column (``[synthetic.criteria]`` in the programme file; a criterion not named holds
        always). The age criterion follows from birth dates.
    trigger_criterion : str
        Criterion column whose first spell brings a recorded DA offence in the month before the first
        screen (the incident that put the person on the screen); blank: every first spell does.
    engagement_police, engagement_practitioner : float
        Probability of engaging within the engagement window at average risk, with police alone and
        once practitioners work in the district.
    engagement_risk_slope : float
        Log-odds change of engagement per SD of latent risk (negative: riskier people engage less).
    referral_start_no_programme : float
        Probability of starting any referral within 12 months without the programme.
    referral_start_if_engaged : float
        Extra probability of starting a referral within 12 months for those who engage.
    ppit_assessed, ppit_double_scored : float
        Share of listed people assessed, and share of assessments scored twice.
    rater_noise_sd, rater_leniency_sd : float
        Item-level noise of an individual rating, and SD of assessors' leniency.
    exit_custody, exit_moved, exit_died : float
        Monthly exit rates that censor follow-up.
    rmp_share : float
        Share of assessed (or, without a risk tool, listed) people with a risk management plan; 0 writes
        no ``rmps`` table.
    truth_replicates : int
        Monte Carlo replicates for the risk-tool truths (population AUC and ICC).
    scenarios : tuple of str
        Named scenarios switched on (``SCENARIOS``; ``realistic`` expands to its four parts, a string may
        hold comma-separated names). Empty: the plain model, with no district differences and parallel
        trends by construction. The parameters below act only when their scenario is on; their sizes are
        chosen for a force of about 14 districts of 10^3 to 10^4 people.
    district_intercept_sd : float
        ``district-effects``: SD of the districts' log offence intensity (0.2). Recorded DA rates per
        head differ between community safety partnerships of one force by about a factor of two from
        lowest to highest; the range of 14 normal draws is about 3.4 SD, and exp(3.4 x 0.2) = 2.0.
    district_trend_sd : float
        ``district-effects``: SD of the districts' linear trend in log intensity, per year (0.05).
        Recorded DA has risen by a few per cent a year nationally with local divergence; 0.05 a year moves
        a district +-15% from its level over the three years either side of the study's middle.
    district_logit_sd : float
        ``district-effects``: SD of district shifts in engagement and in referral take-up on the logit
        scale (0.3, drawn separately for each): at a probability of 0.55, one SD spans 0.48 to 0.62, the
        spread of team practice and local service supply.
    shock_sd : float
        ``district-shocks``: stationary SD of district-quarter shocks in log intensity (0.15): local
        operations, recording drives and staffing move a district's quarterly count by about 15% beyond
        Poisson noise.
    shock_rho : float
        ``district-shocks``: AR(1) autocorrelation of the shocks between consecutive quarters (0.5): a
        shock halves each quarter, so it lasts about two quarters, as such local episodes do.
    shock_logit_sd : float
        ``district-shocks``: stationary SD of the AR(1) district-quarter shocks in engagement and in
        referral take-up on the logit scale (0.2, same autocorrelation): vacancies and caseload peaks.
    dynamic_first_share : float
        ``dynamic-effects``: share of the full log hazard ratio in the go-live quarter (1/3): teams,
        caseloads and partner referral routes take time to build.
    dynamic_ramp_quarters : float
        ``dynamic-effects``: quarters after the go-live quarter until the full effect (4), a linear ramp.
    dynamic_wave_multipliers : tuple of float
        ``dynamic-effects``: multiplier of the log hazard ratio for each go-live wave in date order; later
        waves take the last value ((1.25, 1.0, 0.85, 0.75)): pilots get the most attention and the
        effect shrinks as a programme scales up (the "voltage drop" of Chambers, Glasgow and Stange 2013).
    anticipation_effect : float
        ``anticipation``: relative change of the offence intensity of eligible people in the quarter
        before their district's go-live, programme world (-0.10): briefings, early targeting and new staff
        start before the formal go-live.
    detection_extra : float
        ``detection-bias``: extra DA offences recorded while listed, as a share of the committed intensity
        (0.25): most domestic abuse is not reported to the police (Crime Survey for England and Wales), so
        visits to a listed person and the victim plausibly bring a quarter more offences to record.
    trend_violation_per_quarter : float
        ``trend-violation``: differential linear trend in the pilot districts' log intensity per quarter
        (0.02, zero at go-live): over the two pre-pilot years it adds up to 16%, a pre-trend a pre-test on
        eight quarters should often see.
    burn_in_months : int
        ``left-truncation``: months before the study start in which first screens (and offending) are
        simulated (24; without the scenario first screens start 12 months before and offending at the
        study start): people are screened for years before any extract begins.

    Examples
    --------
    >>> from foundation_eval.config import load_programme
    >>> p = SynthParams.for_programme(load_programme("hiow"), scale=0.1)
    >>> p.scale, p.true_hr_programme, p.criteria["crit_intimate_partner"], p.scenarios
    (0.1, 0.8, 0.8, ())
    >>> SynthParams(scenarios="realistic,detection-bias").scenarios
    ('district-effects', 'district-shocks', 'dynamic-effects', 'detection-bias', 'left-truncation')
    """

    scale: float = 1.0
    true_hr_programme: float = 0.80
    eligible_per_month: float = 150.0
    base_monthly_hazard: float = 0.045
    risk_sd: float = 0.75
    age_effect: float = -0.2
    decay: float = 0.8
    seasonal_amplitude: float = 0.15
    lockdown_multiplier: float = 1.12
    mean_spell_months: float = 4.0
    second_spell_prob: float = 0.3
    criteria: dict = field(default_factory=dict, hash=False)
    trigger_criterion: str = ""
    engagement_police: float = 0.30
    engagement_practitioner: float = 0.55
    engagement_risk_slope: float = -0.6
    referral_start_no_programme: float = 0.04
    referral_start_if_engaged: float = 0.50
    ppit_assessed: float = 0.92
    ppit_double_scored: float = 0.10
    rater_noise_sd: float = 0.45
    rater_leniency_sd: float = 0.2
    exit_custody: float = 0.006
    exit_moved: float = 0.006
    exit_died: float = 0.0004
    rmp_share: float = 0.85
    truth_replicates: int = 40
    scenarios: tuple[str, ...] = ()
    district_intercept_sd: float = 0.2
    district_trend_sd: float = 0.05
    district_logit_sd: float = 0.3
    shock_sd: float = 0.15
    shock_rho: float = 0.5
    shock_logit_sd: float = 0.2
    dynamic_first_share: float = 1 / 3
    dynamic_ramp_quarters: float = 4.0
    dynamic_wave_multipliers: tuple[float, ...] = (1.25, 1.0, 0.85, 0.75)
    anticipation_effect: float = -0.10
    detection_extra: float = 0.25
    trend_violation_per_quarter: float = 0.02
    burn_in_months: int = 24

    def __post_init__(self):
        object.__setattr__(self, "scenarios", expand_scenarios(self.scenarios))
        mult = self.dynamic_wave_multipliers
        mult = (mult,) if np.isscalar(mult) else tuple(float(m) for m in mult)
        if not mult:
            raise ValueError("dynamic_wave_multipliers needs at least one multiplier")
        object.__setattr__(self, "dynamic_wave_multipliers", mult)
        if not -1 < self.shock_rho < 1:
            raise ValueError(f"shock_rho must lie strictly between -1 and 1, got {self.shock_rho}")
        if not 0 <= self.dynamic_first_share <= 1 or self.dynamic_ramp_quarters < 0:
            raise ValueError("dynamic_first_share must lie in [0, 1] and dynamic_ramp_quarters be at least 0")
        if self.anticipation_effect <= -1 or self.detection_extra < 0 or int(self.burn_in_months) < 1:
            raise ValueError("anticipation_effect must exceed -1, detection_extra be at least 0 and "
                             "burn_in_months at least 1")

    def scenario_parameters(self) -> dict:
        """The parameters of the scenarios switched on, by name (as ``truth.json`` records them).

        Returns
        -------
        dict
            Parameter name to value, for the parameters of every scenario in ``scenarios``.

        Examples
        --------
        >>> SynthParams(scenarios=("anticipation", "trend-violation")).scenario_parameters()
        {'anticipation_effect': -0.1, 'trend_violation_per_quarter': 0.02}
        """
        return {k: getattr(self, k) for s in self.scenarios for k in _SCENARIO_PARAMETERS[s]}

    @classmethod
    def for_programme(cls, programme: Programme, **overrides) -> SynthParams:
        """The parameters for a programme: its ``[synthetic]`` table over the defaults, then ``overrides``.

        Parameters
        ----------
        programme : Programme
            Programme definition; every key of its ``[synthetic]`` table must be a parameter
            (``Programme.synthetic_for`` refuses others, naming the key).
        **overrides
            Parameters to set, by field name (``scale=0.1``, ``scenarios=("district-effects",)``).

        Returns
        -------
        SynthParams
            The parameters.

        Raises
        ------
        ValueError
            When an override is not a parameter, naming it, or a scenario is unknown.
        ConfigError
            When a key of the programme's ``[synthetic]`` table is not a parameter or has the wrong type.

        Examples
        --------
        >>> from foundation_eval.config import load_programme
        >>> SynthParams.for_programme(load_programme("hiow"), scenarios=["realistic"]).scenarios[-1]
        'left-truncation'
        >>> SynthParams.for_programme(load_programme("hiow"), scael=0.1)
        Traceback (most recent call last):
        ...
        ValueError: unknown generator parameters: ['scael']
        """
        known = {f.name for f in fields(cls)}
        values = programme.synthetic_for(cls)
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown generator parameters: {sorted(unknown)}")
        values.update(overrides)
        return cls(**values)


@dataclass(frozen=True)
class SyntheticProgramme:
    """Generated tables plus the truth they were drawn from.

    Made by [`generate`][foundation_eval.data.synth.generate];
    [`write`][foundation_eval.data.synth.write] saves it as an extract folder with ``truth.json``.

    Attributes
    ----------
    programme : Programme
        The programme definition the force was generated for.
    params : SynthParams
        The generator's parameters.
    seed : int
        The random seed.
    tables : dict of str to DataFrame
        The extract's tables in the data contract's columns, keyed by table name (no ``ppit_assessments``
        for a programme without a risk tool, no ``rmps`` when ``rmp_share`` is 0).
    truth : dict
        ``effects`` (the true value of every estimand, keyed by the estimate names of the evaluation
        registry), ``definitions`` (what each one means), ``event_time_effects`` (the staggered
        difference-in-differences truth by quarters since go-live), ``cell_effects`` (the effect and
        eligible person-months of every live district-quarter), ``counts`` (people, eligible,
        listed), ``parameters`` (of the plain model), ``scenario`` (``names`` and ``parameters`` of the
        scenarios switched on), ``programme`` and ``seed``.
    latent : dict
        What a real extract would not show, for checking the generator: ``committed_offences`` (the
        offences table as committed, without the extra recorded offences of ``detection-bias``: equal to
        ``tables["offences"]`` otherwise), ``first_screen`` (each person's first screen, possibly before
        the study, as a period string), ``district_effects`` (intercept, trend per year and the
        engagement and referral logit shifts per district; zeros when off) and ``district_shocks``
        (district by quarter; zeros when off).

    Examples
    --------
    >>> force = generate("hiow", seed=1, scale=0.02, truth_replicates=2)
    >>> force.programme.id, force.seed, force.params.scale
    ('hiow', 1, 0.02)
    >>> sorted(force.truth)
    ['cell_effects', 'counts', 'definitions', 'effects', 'event_time_effects', 'parameters', 'programme',
     'scenario', 'seed']
    >>> force.truth["counts"]["people"] == len(force.tables["people"])
    True
    >>> force.latent["committed_offences"].equals(force.tables["offences"])  # no detection-bias
    True
    """

    programme: Programme
    params: SynthParams
    seed: int
    tables: dict[str, pd.DataFrame]
    truth: dict = field(hash=False)
    latent: dict = field(default_factory=dict, hash=False, compare=False, repr=False)


# Age at first screen: weights over single years 16..45 (most 18-30, with near-misses above 30).
_AGES = np.arange(16, 46)
_AGE_W = np.where(_AGES < 18, 0.5, np.where(_AGES <= 30, 4.0, np.where(_AGES <= 35, 2.0, 0.8)))
_AGE_W = _AGE_W / _AGE_W.sum()
# Without an age band (e.g. early intervention): single years 16..64, most in their twenties and thirties.
_AGES_OPEN = np.arange(16, 65)
_AGE_W_OPEN = np.select([_AGES_OPEN < 18, _AGES_OPEN < 25, _AGES_OPEN < 35, _AGES_OPEN < 45, _AGES_OPEN < 55],
                        [0.3, 3.0, 4.0, 3.0, 1.5], 0.6)
_AGE_W_OPEN = _AGE_W_OPEN / _AGE_W_OPEN.sum()
_SEX = (["male", "female", "unknown"], [0.90, 0.09, 0.01])
_ETHNICITY = (["white", "mixed", "asian", "black", "other", "unknown"], [0.87, 0.03, 0.04, 0.02, 0.01, 0.03])
_CONTACT_TYPES = ["unannounced_visit", "phone", "letter", "office"]


def _ids(rng: np.random.Generator, prefix: str, n: int, digits: int) -> np.ndarray:
    """Opaque unique upper-case hex pseudonyms such as ``P3F9A21C0``."""
    space = 16**digits
    vals = np.unique(rng.integers(0, space, size=int(n * 1.1) + 16))
    while vals.size < n:
        vals = np.unique(np.concatenate([vals, rng.integers(0, space, size=n)]))
    vals = rng.permutation(vals)[:n]
    return np.array([f"{prefix}{v:0{digits}X}" for v in vals], dtype=object)


def _fresh_ids(rng: np.random.Generator, prefix: str, n: int, digits: int, taken: set) -> np.ndarray:
    """``n`` pseudonyms as [`_ids`][foundation_eval.data.synth._ids] makes them, none of them in ``taken``."""
    out: list[str] = []
    taken = set(taken)
    while len(out) < n:
        for v in _ids(rng, prefix, n - len(out), digits):
            if v not in taken:
                taken.add(v)
                out.append(v)
    return np.array(out, dtype=object)


def _month_start(periods: pd.PeriodIndex) -> np.ndarray:
    return periods.to_timestamp().values.astype("datetime64[D]")


def _add_days(dates: np.ndarray, days) -> np.ndarray:
    return dates + np.floor(np.asarray(days, dtype=float)).astype("timedelta64[D]")


def generate(programme: Programme | str = DEFAULT_PROGRAMME, seed: int = 20210101, scenarios=None,
             **overrides) -> SyntheticProgramme:
    """Generate a synthetic programme. Deterministic for a seed.

    The model is in the module's description: latent risk, eligibility by the programme's criteria,
    listing once a district is live, and both potential outcomes of every person drawn with common
    random numbers, so that the true effects in ``truth`` are computed, not assumed. At ``scale=1`` the
    force has about the programme's ``eligible_per_month`` eligible people a month; ``scale=0.1`` (a
    tenth of the people) is the small force of the tests.

    Parameters
    ----------
    programme : Programme or str
        Programme definition, or the id or TOML path of one.
    seed : int
        Random seed; the same seed gives byte-identical output.
    scenarios : str or sequence of str, optional
        Named scenarios to switch on (``SCENARIOS``: e.g. ``("district-effects", "detection-bias")`` or
        ``"realistic"``); ``()`` for none. Default: the programme's ``[synthetic]`` ``scenarios``, else none.
    **overrides
        Any [`SynthParams`][foundation_eval.data.synth.SynthParams] field, e.g. ``scale=0.25`` for a
        small force in tests.

    Returns
    -------
    SyntheticProgramme
        The tables and the truth they were drawn from.

    Raises
    ------
    ValueError
        When an override is not a generator parameter, or a scenario is unknown.

    Examples
    --------
    >>> force = generate("hiow", seed=1, scale=0.02, truth_replicates=2)
    >>> sorted(force.tables)
    ['contacts', 'districts', 'exits', 'offences', 'people', 'ppit_assessments', 'referrals', 'rmps', 'screening']
    >>> force.truth["effects"]["reoffending_hr_programme_conditional"]  # the generator's input theta
    0.8
    >>> again = generate("hiow", seed=1, scale=0.02, truth_replicates=2)
    >>> all(again.tables[t].equals(force.tables[t]) for t in force.tables)
    True
    >>> hard = generate("hiow", seed=1, scenarios="realistic", scale=0.02, truth_replicates=2)
    >>> hard.truth["scenario"]["names"]
    ['district-effects', 'district-shocks', 'dynamic-effects', 'left-truncation']
    """
    prog = load_programme(programme) if isinstance(programme, str) else programme
    if scenarios is not None:
        overrides["scenarios"] = scenarios
    p = SynthParams.for_programme(prog, **overrides)
    rng = np.random.default_rng(seed)
    return _Generator(prog, p, rng, seed).run()


class _Generator(_ScenarioTerms, _Truth):
    def __init__(self, prog: Programme, p: SynthParams, rng: np.random.Generator, seed: int):
        self.prog, self.p, self.rng, self.seed = prog, p, rng, seed
        self.months = prog.months
        self.M = len(self.months)
        self.mstart = _month_start(self.months)
        self.mend = _month_start(self.months + 1)
        self.mdays = (self.mend - self.mstart).astype(float)
        self.extract = np.datetime64(prog.extract_date.date(), "D")
        moy = self.months.month.values
        lock = np.isin(self.months, list(prog.lockdown_months))
        self.season = 1 + p.seasonal_amplitude * np.cos(2 * np.pi * (moy - 7) / 12)
        self.lock = np.where(lock, p.lockdown_multiplier, 1.0)
        self.district_ids = np.array(prog.district_ids, dtype=object)
        self.go_live = np.array([self.months.get_loc(d.go_live) if d.go_live in self.months else
                                 (self.M if d.go_live > prog.study_end else 0) for d in prog.districts])
        self.prac_from = np.array([self.months.get_loc(d.practitioner_from) if d.practitioner_from in self.months
                                   else (self.M if d.practitioner_from > prog.study_end else 0)
                                   for d in prog.districts])
        self.n_items = len(prog.ppit_items)
        # the programme's criteria drawn per spell (all but the age criterion, which follows birth dates)
        self.drawn_criteria = [c for c, _ in prog.criteria if c != AGE_CRITERION]
        unknown = set(p.criteria) - set(self.drawn_criteria)
        if unknown:
            raise ValueError(f"synthetic criteria {sorted(unknown)} are not criteria of the programme {prog.id!r}")
        if p.trigger_criterion and p.trigger_criterion not in self.drawn_criteria:
            raise ValueError(f"trigger_criterion {p.trigger_criterion!r} is not a criterion of the programme {prog.id!r}")
        if prog.has_age_criterion:
            self.ages, self.age_w = _AGES, _AGE_W
        else:
            self.ages, self.age_w = _AGES_OPEN, _AGE_W_OPEN
        self.sc = set(p.scenarios)
        # first screens start this many months before the study; with left-truncation offending is
        # simulated from then on too (B months before the study), else only from the study start
        self.burn = int(p.burn_in_months) if "left-truncation" in self.sc else 12
        self.B = self.burn if "left-truncation" in self.sc else 0
        B, M = self.B, self.M
        if B:
            pre = pd.period_range(self.months[0] - B, periods=B, freq="M")
            self.season_ext = np.r_[1 + p.seasonal_amplitude * np.cos(2 * np.pi * (pre.month.values - 7) / 12),
                                    self.season]
            self.lock_ext = np.r_[np.ones(B), self.lock]
        else:
            self.season_ext, self.lock_ext = self.season, self.lock
        # calendar quarter of every simulated month (0 = the study's first quarter; negative before it)
        q0 = self.months[0].asfreq("Q").ordinal
        self.q_ext = np.array([(self.months[0] + int(k)).asfreq("Q").ordinal - q0 for k in range(-B, M)])
        starts = [d.go_live for d in prog.districts]
        self.go_m_true = np.array([(g - prog.study_start).n for g in starts])  # month index, may lie outside
        self.go_q_true = np.array([g.asfreq("Q").ordinal - q0 for g in starts])
        waves = sorted(set(starts))
        self.wave = np.array([waves.index(g) for g in starts])
        self.pilot = np.array([d.pilot for d in prog.districts], dtype=bool)
        self.scenario_terms()

    # ---------------------------------------------------------------- people and screening
    def people(self):
        p, rng, prog = self.p, self.rng, self.prog
        elig_frac = 1.0
        for c in self.drawn_criteria:
            elig_frac *= p.criteria.get(c, 1.0)
        if prog.has_age_criterion:
            elig_frac *= self.age_w[(self.ages >= prog.age_min) & (self.ages <= prog.age_max)].sum()
        person_months = p.mean_spell_months * (1 + p.second_spell_prob * 0.8)
        new_per_month = p.eligible_per_month / (person_months * elig_frac)
        n = int(round(new_per_month * self.M * p.scale))
        size = np.array([d.relative_size for d in prog.districts])
        # first screens start a year (left-truncation: burn_in_months) before the study, so that month
        # one already has people mid-spell
        burn = self.burn
        w = np.r_[self.season_ext[:burn] if self.B else self.season[-burn:], self.season * self.lock]
        n = int(round(n * (self.M + burn) / self.M))
        self.n = n
        self.dist = rng.choice(len(size), size=n, p=size / size.sum())
        self.first_m = np.sort(rng.choice(self.M + burn, size=n, p=w / w.sum())) - burn
        age0 = rng.choice(self.ages, size=n, p=self.age_w)
        self.birth_mi = self.first_m - age0 * 12 - rng.integers(0, 12, size=n)  # month index of birth
        self.sex = rng.choice(_SEX[0], size=n, p=_SEX[1])
        self.eth = rng.choice(_ETHNICITY[0], size=n, p=_ETHNICITY[1])
        self.z = rng.standard_normal(n)
        self.pid = _ids(rng, "P", n, 8)
        # exits, months after the first screen (continuous), then censor everything after
        rates = np.array([p.exit_custody, p.exit_moved, p.exit_died])
        t_exit = rng.exponential(1 / rates.sum(), size=n)
        self.exit_reason = rng.choice(["custody", "moved_away", "died"], size=n, p=rates / rates.sum())
        exit_mf = self.first_m + t_exit  # fractional month index
        mi = np.floor(exit_mf).astype(int)
        ok = mi < self.M
        exit_date = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        exit_date[ok] = _add_days(self.mstart[mi[ok]], (exit_mf[ok] - mi[ok]) * self.mdays[mi[ok]])
        self.exit_date = exit_date
        self.exit_mf = np.where(ok & (exit_date <= self.extract), exit_mf, np.inf)

    def screening(self):
        p, rng, prog = self.p, self.rng, self.prog
        n = self.n
        geo = 1 / p.mean_spell_months
        len1 = rng.geometric(geo, size=n)
        has2 = rng.random(n) < p.second_spell_prob
        gap = rng.geometric(1 / 9, size=n) + 2
        len2 = rng.geometric(geo, size=n)
        start2 = self.first_m + len1 + gap
        spells = [(np.arange(n), self.first_m, len1, 0), (np.flatnonzero(has2), start2[has2], len2[has2], 1)]
        rows = []
        for who, start, length, k in spells:
            flags = {c: rng.random(who.size) < p.criteria.get(c, 1.0) for c in self.drawn_criteria}
            rep = np.repeat(np.arange(who.size), length)
            offs = np.arange(rep.size) - np.repeat(np.cumsum(length) - length, length)
            frame = pd.DataFrame({"i": who[rep], "m": start[rep] + offs, "spell": k})
            for c, v in flags.items():
                frame[c] = v[rep]
            rows.append(frame)
        s = pd.concat(rows, ignore_index=True)
        # inside the study, before exit
        s = s[(s.m < self.M) & (s.m < np.floor(self.exit_mf[s.i]))]
        s = s[s.m >= 0].drop_duplicates(["i", "m"]).sort_values(["i", "m"]).reset_index(drop=True)
        # people never screened inside the study are not in the extract
        keep = np.unique(s.i.values)
        for name in ("dist", "first_m", "birth_mi", "sex", "eth", "z", "pid", "exit_reason", "exit_date", "exit_mf"):
            setattr(self, name, getattr(self, name)[keep])
        s["i"] = np.searchsorted(keep, s.i.values)
        self.n = n = keep.size
        if prog.has_age_criterion:
            age = (s.m.values - self.birth_mi[s.i.values]) // 12
            s[AGE_CRITERION] = (age >= prog.age_min) & (age <= prog.age_max)
        crit = [c for c, _ in prog.criteria]
        s["eligible"] = s[crit].all(axis=1)
        d = self.dist[s.i.values]
        s["district"] = d
        s["listed"] = s.eligible & (s.m.values >= self.go_live[d])
        self.scr = s
        first_elig = s[s.eligible].groupby("i").m.min()
        first_list = s[s.listed].groupby("i").m.min()
        self.elig_m = np.full(n, -1)
        self.elig_m[first_elig.index.values] = first_elig.values
        self.list_m = np.full(n, -1)
        self.list_m[first_list.index.values] = first_list.values
        self.spell_first = s.groupby(["i", "spell"]).m.min().reset_index()

    # ---------------------------------------------------------------- reoffending in both worlds
    def hazards(self):
        """Intensities of both worlds by person and month (columns: B months before the study, then the study)."""
        p = self.p
        M, B = self.M, self.B
        mm = np.arange(-B, M)[None, :]
        since = mm - self.first_m[:, None]
        age = (mm - self.birth_mi[:, None]) / 12.0
        lam = (p.base_monthly_hazard * self.season_ext[None, :] * self.lock_ext[None, :]
               * (1 + p.decay * np.exp(-np.clip(since, 0, None) / 4.0))
               * np.exp(p.risk_sd * self.z[:, None] + p.age_effect * (age - 25) / 10))
        plain = lam
        if self.intensity_terms:  # district levels, trends, shocks and the pilots' differential trend
            lam = lam * np.exp(self.dlog)[self.dist]
        # observation window: from the first screen to exit (fractional months)
        lo = self.first_m[:, None].astype(float)
        hi = np.minimum(self.exit_mf, M)[:, None]
        frac = np.clip(np.minimum(mm + 1, hi) - np.maximum(mm, lo), 0, 1)
        exposed = (self.list_m[:, None] >= 0) & (mm >= self.list_m[:, None])
        hr = self._dynamic_hr()[self.dist] if "dynamic-effects" in self.sc else p.true_hr_programme
        lam1 = np.where(exposed, lam * hr, lam)
        if "anticipation" in self.sc:
            lam1 = lam1 * self._anticipation()
        self.lam0 = lam * frac
        self.lam1 = lam1 * frac
        if self.sc & _INTENSITY:  # the observed world of the plain model, to draw the offences' attributes
            self.lam1_plain = np.where(exposed, plain * p.true_hr_programme, plain) * frac
        self.lam_full1 = lam1  # ignores exit, for truth
        self.lam_full0 = lam

    def event_times(self, lam: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Fractional month index of each event for cumulative-hazard targets (inf when beyond)."""
        n, M = lam.shape
        cum = np.concatenate([np.zeros((n, 1)), np.cumsum(lam, axis=1)], axis=1)
        big = cum[:, -1].max() + targets.max() + 1
        flat = (cum + big * np.arange(n)[:, None]).ravel()
        q = targets + big * np.arange(n)[:, None]
        pos = np.searchsorted(flat, q.ravel(), side="left").reshape(q.shape)
        col = pos - np.arange(n)[:, None] * (M + 1)
        out = np.full(targets.shape, np.inf)
        inside = (col >= 1) & (col <= M) & (targets <= cum[:, -1:])
        r, c = np.nonzero(inside)
        m = col[r, c] - 1
        seg = lam[r, m]
        part = (targets[r, c] - cum[r, m]) / np.where(seg > 0, seg, 1)
        out[r, c] = m + np.clip(part, 0, 1 - 1e-9)
        return out

    def reoffending(self):
        rng = self.rng
        K = 40
        self.targets = np.cumsum(rng.exponential(size=(self.n, K)), axis=1)
        self.t1 = self.event_times(self.lam1, self.targets)  # observed world
        self.t0 = self.event_times(self.lam0, self.targets)
        if self.sc & _INTENSITY:
            self.t1_plain = self.event_times(self.lam1_plain, self.targets)
            del self.lam1_plain
        if self.B:  # month index from the study start (negative in the burn-in)
            self.t1 -= self.B
            self.t0 -= self.B
            if self.sc & _INTENSITY:
                self.t1_plain -= self.B

    # ---------------------------------------------------------------- offences table
    def _month_frac_to_date(self, mf: np.ndarray) -> np.ndarray:
        """Date of a fractional month index (0 = first study month; negative is before the study)."""
        mi = np.floor(mf).astype(int)
        base = np.datetime64(str(self.months[0]), "M")
        start = (base + mi).astype("datetime64[D]")
        days = ((base + mi + 1).astype("datetime64[D]") - start).astype(float)
        return _add_days(start, (mf - mi) * days)

    def offences(self):
        """The offences table: outcome offences of the observed world, trigger offences and history."""
        if self.sc & _INTENSITY:
            # the plain model's table first, so that the main stream advances as it does without the scenario
            # and every later draw (engagement, contacts, referrals, ...) stays the same
            rows = self._moved_offences(self._offence_rows(self.t1_plain))
        else:
            rows = self._offence_rows(self.t1)
        self.off = rows[_OFFENCE_COLUMNS].reset_index(drop=True)

    def _offence_rows(self, t1: np.ndarray) -> pd.DataFrame:
        """Offence rows with the person's index ``i`` and ``k`` (outcome event number; negative: trigger,
        prior history, non-DA offences), given the observed world's event times ``t1``."""
        rng, prog = self.rng, self.prog
        da_types = [o for o in prog.offence_types if o.da_possible]
        other_types = [o for o in prog.offence_types if not o.da_possible]
        sev = np.array([o.severity for o in da_types], dtype=float)
        recs = []
        # outcome DA offences (observed world), within the study and before exit
        r, c = np.nonzero(np.isfinite(t1))
        mf = t1[r, c]
        recs.append(pd.DataFrame({"i": r, "date": self._month_frac_to_date(mf), "da": True, "k": c}))
        # trigger offence: the month before the first spell (later offences come from the hazard model)
        trig = self.p.trigger_criterion
        sf = self.spell_first.merge(self.scr[["i", "m", *([trig] if trig else [])]], on=["i", "m"])
        sf = sf[(sf[trig] if trig else True) & (sf.spell == 0)]
        # the plain model places it before the first screen seen in the study; with left-truncation, before
        # the person's true first screen
        first = self.first_m[sf.i.values] if self.B else sf.m.values
        tm = first - 1 + rng.random(len(sf))
        recs.append(pd.DataFrame({"i": sf.i.values, "date": self._month_frac_to_date(tm), "da": True, "k": -1}))
        # prior DA history in the 3 years before the first screen
        n_prior = rng.poisson(np.exp(0.1 + 0.6 * self.z))
        who = np.repeat(np.arange(self.n), n_prior)
        pm = self.first_m[who] - 1 - rng.random(who.size) * 36
        recs.append(pd.DataFrame({"i": who, "date": self._month_frac_to_date(pm), "da": True, "k": -2}))
        # other (non-DA) offences, unaffected by the programme
        n_other = rng.poisson(0.01 * np.exp(0.5 * self.z) * np.clip(np.minimum(self.exit_mf, self.M) - self.first_m + 24, 0, None))
        who = np.repeat(np.arange(self.n), n_other)
        hi = np.minimum(self.exit_mf[who], self.M)
        om = (self.first_m[who] - 24) + rng.random(who.size) * (hi - self.first_m[who] + 24)
        recs.append(pd.DataFrame({"i": who, "date": self._month_frac_to_date(om), "da": False, "k": -3}))
        off = pd.concat(recs, ignore_index=True)
        off = off[off.date <= self.extract]
        off = off.sort_values(["i", "date", "k"], kind="stable").reset_index(drop=True)
        # types: higher latent risk and later events lean to more severe types (escalation)
        is_da = off.da.values
        zz = self.z[off.i.values]
        nth = off.groupby("i").cumcount().values
        logits = (sev[None, :] - 3) * (0.25 * zz[:, None] + 0.04 * np.minimum(nth, 10)[:, None]) - 0.8 * sev[None, :]
        prob = np.exp(logits)
        prob /= prob.sum(axis=1, keepdims=True)
        u = rng.random(len(off))
        da_idx = (prob.cumsum(axis=1) < u[:, None]).sum(axis=1).clip(0, len(da_types) - 1)
        oth_idx = rng.integers(0, len(other_types), size=len(off)) if other_types else np.zeros(len(off), int)
        types = np.where(is_da, np.array([o.id for o in da_types], dtype=object)[da_idx],
                         np.array([o.id for o in other_types] or ["other"], dtype=object)[oth_idx])
        chi = {o.id: o.chi_days for o in prog.offence_types}
        # victims: a DA offence is against the current partner, or (20%) a new one; a person's first DA
        # offence names a new victim, so the running count always points at that person's latest victim
        da_rank = pd.Series(is_da).groupby(off.i.values).cumsum().values
        new_victim = is_da & ((da_rank == 1) | (rng.random(len(off)) < 0.2))
        vix = np.cumsum(new_victim)
        vids = _ids(rng, "V", int(vix.max()) + 1 if len(vix) else 1, 8)
        victim = np.where(is_da, vids[np.maximum(vix - 1, 0)], None)
        off["offence_id"] = _ids(rng, "O", len(off), 9)
        return pd.DataFrame({
            "i": off.i.values,
            "k": off.k.values,
            "offence_id": off.offence_id.values,
            "person_id": self.pid[off.i.values],
            "offence_date": off.date.values,
            "offence_type": types,
            "da_flag": is_da,
            "victim_id": victim,
            "chi_days": [chi[t] for t in types],
        })

    def _da_types(self, z: np.ndarray, nth: np.ndarray, u: np.ndarray) -> np.ndarray:
        """DA offence types by the escalation model of the offences table, for uniforms ``u``."""
        da_types = [o for o in self.prog.offence_types if o.da_possible]
        sev = np.array([o.severity for o in da_types], dtype=float)
        prob = np.exp((sev[None, :] - 3) * (0.25 * z[:, None] + 0.04 * np.minimum(nth, 10)[:, None]) - 0.8 * sev[None, :])
        prob /= prob.sum(axis=1, keepdims=True)
        idx = (prob.cumsum(axis=1) < u[:, None]).sum(axis=1).clip(0, len(da_types) - 1)
        return np.array([o.id for o in da_types], dtype=object)[idx]

    def _new_da_rows(self, frame: pd.DataFrame, table: pd.DataFrame, nth: np.ndarray, rng) -> pd.DataFrame:
        """Complete DA offences (``i``, ``offence_date``) added to ``table``: type, harm, the victim of the
        person's latest DA offence in ``table`` (the current partner; a new victim if none) and a new id."""
        chi = {o.id: o.chi_days for o in self.prog.offence_types}
        frame = frame.assign(person_id=self.pid[frame.i.to_numpy()],
                             offence_type=self._da_types(self.z[frame.i.to_numpy()], nth, rng.random(len(frame))),
                             da_flag=True)
        frame["chi_days"] = [chi[t] for t in frame.offence_type]
        frame = frame.sort_values(["offence_date", "person_id"], kind="stable").reset_index(drop=True)
        da = table[table.da_flag][["person_id", "offence_date", "victim_id"]].sort_values("offence_date", kind="stable")
        frame = pd.merge_asof(frame, da, on="offence_date", by="person_id", direction="backward")
        new = frame.victim_id.isna().to_numpy()
        frame.loc[new, "victim_id"] = _fresh_ids(rng, "V", int(new.sum()), 8, set(table.victim_id.dropna()))
        frame["offence_id"] = _fresh_ids(rng, "O", len(frame), 9, set(table.offence_id))
        return frame

    def _moved_offences(self, plain: pd.DataFrame) -> pd.DataFrame:
        """The scenario world's offences from the plain model's rows: history unchanged, each outcome event
        (person, event number: common random numbers) at its new date with its type, victim and id, and
        events only the scenario's world has drawn from their own stream."""
        rng = np.random.default_rng([self.seed, _STREAM["moved-offences"]])
        r, c = np.nonzero(np.isfinite(self.t1))
        ev = pd.DataFrame({"i": r, "k": c, "offence_date": self._month_frac_to_date(self.t1[r, c])})
        ev = ev[ev.offence_date <= self.extract]
        outcome = plain.k.to_numpy() >= 0
        kept = plain[outcome].drop(columns="offence_date").merge(ev, on=["i", "k"])
        table = pd.concat([plain[~outcome], kept], ignore_index=True)
        new = ev.merge(plain.loc[outcome, ["i", "k"]], on=["i", "k"], how="left", indicator=True)
        new = new[new["_merge"] == "left_only"].drop(columns="_merge").reset_index(drop=True)
        if new.empty:
            return table
        new = self._new_da_rows(new, table, np.minimum(new.k.to_numpy() + 1, 10), rng)
        return pd.concat([table, new[table.columns]], ignore_index=True)

    def detection(self):
        """Extra recorded (not committed) DA offences in listed months, programme world (detection-bias)."""
        rng, p = np.random.default_rng([self.seed, _STREAM["detection-bias"]]), self.p
        s = self.scr[self.scr.listed]
        i, m = s.i.to_numpy(), s.m.to_numpy()
        k = rng.poisson(p.detection_extra * self.lam1[i, m + self.B])
        who, mon = np.repeat(i, k), np.repeat(m, k)
        date = _add_days(self.mstart[mon], rng.random(who.size) * self.mdays[mon])
        keep = date <= self.extract
        frame = pd.DataFrame({"i": who[keep], "offence_date": date[keep]})
        # an offence uncovered by a visit: escalation as at a person's first outcome offence
        extra = self._new_da_rows(frame, self.off, np.ones(len(frame), int), rng)
        self.off_extra = extra[_OFFENCE_COLUMNS]

    # ---------------------------------------------------------------- engagement, contacts
    def engagement(self):
        from scipy.special import expit, logit

        rng, p = self.rng, self.p
        L = np.flatnonzero(self.list_m >= 0)
        self.L = L
        lm = self.list_m[L]
        d = self.dist[L]
        self.regime = (lm >= self.prac_from[d]).astype(int)
        slope = p.engagement_risk_slope
        x = slope * self.z[L]
        if self.logit_terms:  # district and district-quarter (of listing) differences in engagement
            x = x + self._logit_shift(self.eng_shift, d, lm)
        self.p_eng0 = expit(logit(p.engagement_police) + x)
        self.p_eng1 = expit(logit(p.engagement_practitioner) + x)
        v = rng.random(L.size)
        self.eng0, self.eng1 = v < self.p_eng0, v < self.p_eng1
        self.engaged = np.where(self.regime == 1, self.eng1, self.eng0)
        if self.logit_terms:  # who would engage in the plain model, to replay its draws of referrals
            x = slope * self.z[L]
            self.engaged_plain = np.where(self.regime == 1, v < expit(logit(p.engagement_practitioner) + x),
                                          v < expit(logit(p.engagement_police) + x))
        # contacts over the listed months
        listed = self.scr[self.scr.listed]
        ncon = rng.poisson(2.0, size=len(listed)) + (listed.m.values == self.list_m[listed.i.values])
        rep = np.repeat(np.arange(len(listed)), ncon)
        ci = listed.i.values[rep]
        cm = listed.m.values[rep]
        cdate = _add_days(self.mstart[cm], rng.random(rep.size) * self.mdays[cm])
        cdate = np.minimum(cdate, self.extract)
        cd = self.dist[ci]
        prac = cm >= self.prac_from[cd]
        staff = np.where(prac, rng.choice(["police", "practitioner", "joint"], size=rep.size, p=[0.4, 0.3, 0.3]), "police")
        lockm = self.lock[cm] > 1
        ctype = rng.choice(_CONTACT_TYPES, size=rep.size, p=[0.5, 0.3, 0.1, 0.1])
        ctype = np.where(lockm & (ctype == "unannounced_visit"), "phone", ctype)
        ctype = np.where(staff == "joint", "joint_visit", ctype)
        c = pd.DataFrame({"i": ci, "date": cdate, "staff": staff, "type": ctype}).sort_values(["i", "date"], kind="stable")
        pos = np.full(self.n, -1)
        pos[L] = np.arange(L.size)
        li = pos[c.i.values]
        index_date = self.mstart[self.list_m[c.i.values]]
        within = (c.date.values.astype("datetime64[D]") - index_date).astype(int) <= self.prog.engagement_window_days
        eng_person = self.engaged[li]
        # first engaged contact: a random contact inside the window for those who engage
        c["within"] = within
        c["rank"] = c.groupby("i").cumcount()
        n_within = c[c.within].groupby("i").size()
        pick = pd.Series(rng.random(n_within.size), index=n_within.index)
        first_k = np.floor(pick * n_within).astype(int)
        fk = first_k.reindex(c.i.values).values
        is_first = c.within.values & eng_person & (c["rank"].values == fk)
        after_first = eng_person & (c["rank"].values > np.nan_to_num(fk, nan=1e9))
        u = rng.random(len(c))
        outcome = np.where(is_first, "engaged",
                           np.where(after_first & (u < 0.7), "engaged",
                                    np.where(~within & ~eng_person & (u < 0.01), "engaged",
                                             np.where(u < 0.55, "no_contact", "refused"))))
        self.contacts = pd.DataFrame({
            "contact_id": _ids(rng, "C", len(c), 9),
            "person_id": self.pid[c.i.values],
            "contact_date": c.date.values,
            "contact_type": c.type.values,
            "staff": c.staff.values,
            "outcome": outcome,
        })
        first_eng = c[is_first].groupby("i").date.min()
        self.first_eng_date = first_eng
        if self.logit_terms:
            plain = c.within.values & self.engaged_plain[li] & (c["rank"].values == fk)
            self.first_eng_plain = c[plain].groupby("i").date.min()

    # ---------------------------------------------------------------- referrals
    def referrals(self):
        """Referrals of eligible people; the truth of referral take-up."""
        if not self.logit_terms:
            return self._referrals(plain=False)
        # the plain model's referrals first, so that the main stream advances as it does without the
        # scenario and every later draw (risk tool, plans) stays the same
        state = self.rng.bit_generator.state
        self._referrals(plain=True)
        after = self.rng.bit_generator.state
        self.rng.bit_generator.state = state
        self._referrals(plain=False)
        self.rng.bit_generator.state = after

    def _referrals(self, plain: bool):
        from scipy.special import expit, logit

        rng, p, prog = self.rng, self.p, self.prog
        services = prog.services
        sid = np.array([s.id for s in services], dtype=object)
        spath = np.array([s.pathway for s in services], dtype=object)
        # behaviour-change services (the programme's ``services.behaviour_change``) are referred to most
        w = np.array([3.0 if s.id in prog.behaviour_change else 1.0 for s in services])
        w /= w.sum()
        q0 = p.referral_start_no_programme
        # eligible people: index = first listing if listed, else first eligible month
        E = np.flatnonzero(self.elig_m >= 0)
        idx_m = np.where(self.list_m[E] >= 0, self.list_m[E], self.elig_m[E])
        index = self.mstart[idx_m]
        listed = self.list_m[E] >= 0
        pos = np.full(self.n, -1)
        pos[self.L] = np.arange(self.L.size)
        eng = np.zeros(E.size, bool)
        eng[listed] = (self.engaged_plain if plain else self.engaged)[pos[E[listed]]]
        w1, w2 = rng.random(E.size), rng.random(E.size)
        r1 = p.referral_start_if_engaged
        if self.logit_terms and not plain:  # district and district-quarter (of the index month) differences in take-up
            shift = self._logit_shift(self.ref_shift, self.dist[E], idx_m)
            q0, r1 = expit(logit(q0) + shift), expit(logit(r1) + shift)
        base_start = w1 < q0
        prog_start = listed & eng & (w2 < r1)
        start = base_start | prog_start
        # truth among listed people: q1 - q0 with q1 = q0 + (1 - q0) * P(engage) * r
        p_eng = np.where(self.regime == 1, self.p_eng1, self.p_eng0)
        if self.logit_terms and not plain:  # the listed people's own probabilities
            at = np.searchsorted(E, self.L)
            q0, r1 = q0[at], r1[at]
        # over listed people whose 12 months after listing lie inside the study, as the estimators see them
        inside = self.list_m[self.L] + 12 <= self.M
        self.truth_referral_rd = float(np.mean(((1 - q0) * p_eng * r1)[inside]))
        fe = (self.first_eng_plain if plain else self.first_eng_date).reindex(E).values.astype("datetime64[D]")
        anchor = np.where(prog_start & ~np.isnat(fe), fe, index)
        ref_date = _add_days(anchor, np.where(prog_start, rng.exponential(20, E.size), rng.uniform(0, 250, E.size)))
        acc = _add_days(ref_date, rng.exponential(10, E.size))
        sta = _add_days(acc, rng.exponential(20, E.size))
        latest = _add_days(index, 360)
        over = sta > latest
        sta = np.where(over, latest, sta)
        acc = np.minimum(acc, sta)
        ref_date = np.minimum(ref_date, acc)
        comp = rng.random(E.size) < 0.35
        end = _add_days(sta, rng.uniform(30, 180, E.size))
        rows = [pd.DataFrame({"i": E[start], "ref": ref_date[start], "acc": acc[start], "sta": sta[start],
                              "com": np.where(comp, end, np.datetime64("NaT"))[start],
                              "dro": np.where(~comp, end, np.datetime64("NaT"))[start]})]
        # referrals that never start: more of them for engaged listed people
        n_extra = rng.poisson(np.where(eng, 0.8, np.where(listed, 0.15, 0.05)))
        who = np.repeat(np.arange(E.size), n_extra)
        rd = _add_days(index[who], rng.uniform(0, 300, who.size))
        accepted = rng.random(who.size) < 0.5
        ad = _add_days(rd, rng.exponential(10, who.size))
        dd = _add_days(np.where(accepted, ad, rd), rng.exponential(30, who.size))
        rows.append(pd.DataFrame({"i": E[who], "ref": rd, "acc": np.where(accepted, ad, np.datetime64("NaT")),
                                  "sta": np.full(who.size, np.datetime64("NaT"), dtype="datetime64[D]"),
                                  "com": np.full(who.size, np.datetime64("NaT"), dtype="datetime64[D]"), "dro": dd}))
        r = pd.concat(rows, ignore_index=True).sort_values(["i", "ref"], kind="stable").reset_index(drop=True)
        cols = ["ref", "acc", "sta", "com", "dro"]
        for c in cols:
            r[c] = r[c].values.astype("datetime64[D]")
        r = r[r.ref <= self.extract].copy()
        # stages not yet reached by the extract date are blank
        for c in cols[1:]:
            r.loc[r[c] > self.extract, c] = np.datetime64("NaT")
        r.loc[r.acc.isna(), "sta"] = np.datetime64("NaT")
        r.loc[r.sta.isna(), "com"] = np.datetime64("NaT")
        k = rng.choice(len(services), size=len(r), p=w)
        self.refs = pd.DataFrame({
            "referral_id": _ids(rng, "F", len(r), 8),
            "person_id": self.pid[r.i.values],
            "service": sid[k],
            "pathway": spath[k],
            "referred_date": r.ref.values,
            "accepted_date": r.acc.values,
            "started_date": r.sta.values,
            "completed_date": r.com.values,
            "dropped_date": r.dro.values,
        })

    # ---------------------------------------------------------------- risk tool and plans
    def _ppit_items(self, z: np.ndarray, stable: np.ndarray, leniency: np.ndarray, rng) -> np.ndarray:
        p = self.p
        J = self.n_items
        loading = self.loadings
        latent = z[:, None] * loading[None, :] + stable + leniency[:, None] + rng.normal(0, p.rater_noise_sd, (z.size, J))
        top = max(self.prog.ppit_scale)
        cuts = self.cuts  # J x top
        score = (latent[:, :, None] > cuts[None, :, :]).sum(axis=2)
        return np.clip(score, 0, top)

    def ppit(self):
        rng, p, prog = self.rng, self.p, self.prog
        J, top = self.n_items, max(prog.ppit_scale)
        offending = np.array([i.domain == "offending" for i in prog.ppit_items])
        self.loadings = np.where(offending, 0.85, 0.55) + np.linspace(-0.1, 0.1, J)
        base_cuts = np.linspace(-0.4, 0.9, top)
        self.cuts = base_cuts[None, :] + np.linspace(-0.3, 0.3, J)[:, None]
        # assessors: a pool per district with their own leniency
        per = 4
        assessors = _ids(rng, "R", per * len(self.district_ids), 4)
        self.lenient_pool = rng.normal(0, p.rater_leniency_sd, assessors.size)
        L = self.L
        assessed = rng.random(L.size) < p.ppit_assessed
        A = L[assessed]
        d = self.dist[A]
        a1 = d * per + rng.integers(0, per, A.size)
        stable = rng.normal(0, 0.8, (A.size, J))
        date = _add_days(self.mstart[self.list_m[A]], rng.uniform(0, 40, A.size))
        date = np.minimum(date, self.extract)
        s1 = self._ppit_items(self.z[A], stable, self.lenient_pool[a1], rng)
        dbl = rng.random(A.size) < p.ppit_double_scored
        a2 = d[dbl] * per + (a1[dbl] - d[dbl] * per + rng.integers(1, per, dbl.sum())) % per
        s2 = self._ppit_items(self.z[A[dbl]], stable[dbl], self.lenient_pool[a2], rng)
        date2 = np.minimum(_add_days(date[dbl], rng.integers(0, 8, dbl.sum())), self.extract)
        items = np.vstack([s1, s2])
        who = np.concatenate([A, A[dbl]])
        tot = items.sum(axis=1)
        frame = pd.DataFrame(items, columns=list(prog.ppit_item_ids))
        frame.insert(0, "rating", ["first"] * A.size + ["second"] * int(dbl.sum()))
        frame.insert(0, "assessment_date", np.concatenate([date, date2]))
        frame.insert(0, "assessor_id", assessors[np.concatenate([a1, a2])])
        frame.insert(0, "person_id", self.pid[who])
        frame["total"] = tot
        frame["priority"] = tot >= prog.ppit_threshold
        frame = frame.sort_values(["person_id", "rating"], kind="stable").reset_index(drop=True)
        frame.insert(0, "assessment_id", _ids(rng, "A", len(frame), 8))
        self.ppit_frame = frame
        self.assessed = A
        self.ppit_total_first = pd.Series(tot[: A.size], index=A)

    def rmps(self):
        rng = self.rng
        A = self.assessed
        has = rng.random(A.size) < self.p.rmp_share
        W = A[has]
        pos = np.full(self.n, -1)
        pos[self.L] = np.arange(self.L.size)
        eng = self.engaged[pos[W]]
        pri = (self.ppit_total_first.loc[W].values >= self.prog.ppit_threshold if self.prog.has_risk_tool
               else np.zeros(W.size, bool))
        date = np.minimum(_add_days(self.mstart[self.list_m[W]], rng.uniform(10, 70, W.size)), self.extract)
        self.rmp = pd.DataFrame({
            "rmp_id": _ids(rng, "M", W.size, 8),
            "person_id": self.pid[W],
            "rmp_date": date,
            "supervision": rng.random(W.size) < 0.9,
            "monitoring_control": rng.random(W.size) < np.where(pri, 0.85, 0.6),
            "interventions_treatment": rng.random(W.size) < np.where(eng, 0.8, 0.3),
            "victim_safety": rng.random(W.size) < 0.85,
        })

    # ---------------------------------------------------------------- assembly
    def run(self) -> SyntheticProgramme:
        self.people()
        self.screening()
        self.hazards()
        self.reoffending()
        self.offences()
        if "detection-bias" in self.sc:
            self.detection()
        self.engagement()
        self.referrals()
        if self.prog.has_risk_tool:
            self.ppit()
        else:  # no risk tool: nobody is assessed, and plans (if any) follow listing
            self.assessed = self.L
        if self.p.rmp_share > 0:
            self.rmps()
        truth = self.truth()
        prog = self.prog
        districts = pd.DataFrame({
            "district_id": list(prog.district_ids),
            "district_name": [d.name for d in prog.districts],
            "go_live": [str(d.go_live) for d in prog.districts],
            "pilot": [d.pilot for d in prog.districts],
            "practitioner_from": [str(d.practitioner_from) for d in prog.districts],
        })
        birth = self.months[0]
        people = pd.DataFrame({
            "person_id": self.pid,
            "sex": self.sex,
            "ethnicity_group": self.eth,
            "birth_ym": [str(birth + int(k)) for k in self.birth_mi],
            "home_district_id": self.district_ids[self.dist],
        })
        s = self.scr
        screening = pd.DataFrame({
            "person_id": self.pid[s.i.values],
            "month": self.months[s.m.values].astype(str),
            "district_id": self.district_ids[s.district.values],
            **{c: s[c].values for c, _ in prog.criteria},
            "eligible": s.eligible.values,
            "listed": s.listed.values,
        })
        ex = np.isfinite(self.exit_mf)
        exits = pd.DataFrame({
            "person_id": self.pid[ex],
            "exit_date": self.exit_date[ex],
            "exit_reason": self.exit_reason[ex],
        })
        # offences after exit are not observed
        exit_by_pid = pd.Series(self.exit_date[ex], index=self.pid[ex])
        def observed(off):  # offences after exit are not observed
            ed = exit_by_pid.reindex(off.person_id.values).values.astype("datetime64[D]")
            return off[np.isnat(ed) | (off.offence_date.values <= ed)].reset_index(drop=True)

        off = observed(self.off)
        committed = off.sort_values(["person_id", "offence_date", "offence_id"]).reset_index(drop=True)
        if "detection-bias" in self.sc:
            off = pd.concat([off, observed(self.off_extra)], ignore_index=True)
        # nothing is recorded after a death
        died = pd.Series(self.exit_date[ex & (self.exit_reason == "died")],
                         index=self.pid[ex & (self.exit_reason == "died")])

        def alive(frame, cols):
            dd = died.reindex(frame.person_id.values).values.astype("datetime64[D]")
            keep = np.ones(len(frame), bool)
            for c in cols:
                v = frame[c].values.astype("datetime64[D]")
                keep &= np.isnat(dd) | np.isnat(v) | (v <= dd)
            return frame[keep]

        ref_cols = ["referred_date", "accepted_date", "started_date", "completed_date", "dropped_date"]
        tables = {
            "districts": districts,
            "people": people.sort_values("person_id").reset_index(drop=True),
            "screening": screening.sort_values(["person_id", "month"]).reset_index(drop=True),
            "ppit_assessments": (alive(self.ppit_frame, ["assessment_date"]).reset_index(drop=True)
                                 if prog.has_risk_tool else None),
            "contacts": alive(self.contacts, ["contact_date"]).sort_values(["person_id", "contact_date", "contact_id"]).reset_index(drop=True),
            "referrals": alive(self.refs, ref_cols).sort_values(["person_id", "referred_date", "referral_id"]).reset_index(drop=True),
            "offences": off.sort_values(["person_id", "offence_date", "offence_id"]).reset_index(drop=True),
            "rmps": (alive(self.rmp, ["rmp_date"]).sort_values(["person_id", "rmp_date"]).reset_index(drop=True)
                     if self.p.rmp_share > 0 else None),
            "exits": exits.sort_values("person_id").reset_index(drop=True),
        }
        # tables the programme does not record (no risk tool, no plans) are left out, as in a real extract
        tables = {name: frame for name, frame in tables.items() if frame is not None}
        self._extra_columns(tables)
        latent = {
            "committed_offences": committed,
            "first_screen": pd.DataFrame({"person_id": self.pid, "district_id": self.district_ids[self.dist],
                                          "first_screen": [str(self.months[0] + int(k)) for k in self.first_m]})
                            .sort_values("person_id").reset_index(drop=True),
            "district_effects": self.district_effects,
            "district_shocks": self.district_shocks,
        }
        return SyntheticProgramme(prog, self.p, self.seed, tables, truth, latent)

    def _extra_columns(self, tables: dict) -> None:
        """Fill the programme's own columns (``[[columns]]``) from a separate random stream, so that adding
        one never changes the rest of the data."""
        rng = np.random.default_rng([self.seed, 13])
        for col in self.prog.columns:
            frame = tables.get(col.table)
            if frame is None:
                continue
            n = len(frame)
            if col.values is not None:
                w = np.asarray(col.synthetic_weights or [1.0] * len(col.values), dtype=float)
                values = rng.choice(np.array(col.values, dtype=object), size=n, p=w / w.sum())
            elif col.type == "boolean":
                values = rng.random(n) < 0.5
            elif col.required:
                raise ValueError(f"the generator cannot fill the required column {col.table}.{col.name}: give it "
                                 "allowed values in the programme file")
            else:
                values = np.full(n, None, dtype=object)
            tables[col.table] = frame.assign(**{col.name: values})


def _fmt(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_datetime64_any_dtype(col):
            out[c] = col.dt.strftime("%Y-%m-%d").where(col.notna(), "")
        elif pd.api.types.is_bool_dtype(col):
            out[c] = np.where(col, "true", "false")
    return out


def write(result: SyntheticProgramme, out: str | Path) -> Path:
    """Write the tables as CSV (byte-identical for a seed) and ``truth.json``.

    The CSV files are an extract in the data contract's form (ISO dates, ``true``/``false``, numbers to
    6 significant digits), ready for [`load_dataset`][foundation_eval.data.load.load_dataset] or
    ``foundation-eval validate``. ``truth.json`` holds ``result.truth``; keep it beside the data to score
    a render's ``results.json`` against.

    Parameters
    ----------
    result : SyntheticProgramme
        What [`generate`][foundation_eval.data.synth.generate] returned.
    out : str or Path
        Folder to write into; created if needed. Files of the same names are overwritten.

    Returns
    -------
    Path
        ``out``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> force = generate("hiow", seed=1, scale=0.02, truth_replicates=2)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = write(force, Path(tmp) / "extract")
    ...     names = sorted(p.name for p in folder.iterdir())
    ...     header = (folder / "people.csv").read_text().splitlines()[0]
    >>> names[-3:], header
    (['rmps.csv', 'screening.csv', 'truth.json'], 'person_id,sex,ethnicity_group,birth_ym,home_district_id')
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        frame = result.tables.get(name)
        if frame is None:  # a table the programme does not record
            continue
        _fmt(frame).to_csv(out / f"{name}.csv", index=False, lineterminator="\n", float_format="%.6g")
    (out / "truth.json").write_text(json.dumps(result.truth, indent=2, sort_keys=True, default=str) + "\n")
    return out


def demo_folder(programme: str = DEFAULT_PROGRAMME, seed: int = 20210101, scenarios=None, **overrides) -> Path:
    """The built-in synthetic force written as CSV (cached on disk, keyed by the generator's code, the
    programme file, the seed, the scenarios and any overrides); ``scenarios`` as in
    [`generate`][foundation_eval.data.synth.generate]."""
    import hashlib
    import tempfile

    if scenarios is not None:
        overrides["scenarios"] = expand_scenarios(scenarios)

    # the generator's code and the programme file are part of the key: a changed generator never reuses old data
    prog = load_programme(programme)
    source = [Path(__file__).with_name(f).read_bytes().hex() for f in _GENERATOR_FILES]
    source.append(Path(prog.source).read_bytes().hex())
    key = hashlib.sha256(json.dumps([programme, seed, sorted(overrides.items()), source],
                                    default=str).encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"foundation-eval-demo-{key}"
    if not (folder / "truth.json").exists():
        write(generate(programme, seed=seed, **overrides), folder)
    return folder


def demo_dataset(programme: str = DEFAULT_PROGRAMME, seed: int = 20210101, scenarios=None, **overrides):
    """The built-in synthetic force as a validated [`Dataset`][foundation_eval.data.load.Dataset] (cached on
    disk); ``scenarios`` as in [`generate`][foundation_eval.data.synth.generate]."""
    from foundation_eval.data.load import load_dataset

    return load_dataset(demo_folder(programme, seed, scenarios, **overrides), programme)
