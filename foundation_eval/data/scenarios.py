"""The named scenarios of the synthetic force: their names, parameters and expansion, and the terms they add.

A scenario switches on one way in which real force data are harder than the plain model: district
levels and trends, district-by-quarter shocks, effects that build up and differ by wave, anticipation,
more offences recorded while a person is listed, a pilot pre-trend, people eligible before the
extract starts ([`SCENARIOS`][foundation_eval.data.scenarios.SCENARIOS]; the model and each term's
formula are in the description of [`synth`][foundation_eval.data.synth]).
[`expand_scenarios`][foundation_eval.data.scenarios.expand_scenarios] checks names and expands bundles
(``realistic``). The rest is the generator's: each scenario's parameters (recorded in ``truth.json``),
its own random stream, so that turning one on leaves the draws of the others unchanged, and the
district-by-month log-intensity terms, the district-by-quarter logit shifts of engagement and referral
take-up, the dynamic hazard ratio and the anticipation multiplier it adds. The synthetic generator
([`generate`][foundation_eval.data.synth.generate]) is built on them; ``foundation_eval.data.synth``
re-exports the public names.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SCENARIOS", "expand_scenarios"]

#: Named scenarios of the generator: name -> what it changes (``realistic`` is a bundle of four).
SCENARIOS = {
    "district-effects": "district random intercepts and linear trends in DA offending; district shifts in "
                        "engagement and referral take-up",
    "district-shocks": "district-by-quarter shocks, autocorrelated within a district, in DA offending, engagement "
                       "and referral take-up",
    "dynamic-effects": "the programme's effect builds up over the quarters after go-live and differs by go-live wave",
    "anticipation": "DA offending of eligible people changes in the quarter before their district goes live",
    "detection-bias": "more DA offences recorded (not committed) while a person is listed",
    "trend-violation": "a differential linear trend in DA offending in the pilot districts, before and after go-live",
    "left-truncation": "people already eligible and screened before the study starts, as in a real extract",
    "realistic": "district-effects + district-shocks + dynamic-effects + left-truncation",
}
_BUNDLES = {"realistic": ("district-effects", "district-shocks", "dynamic-effects", "left-truncation")}
# the parameters of each scenario (recorded in truth.json's "scenario" when the scenario is on)
_SCENARIO_PARAMETERS = {
    "district-effects": ("district_intercept_sd", "district_trend_sd", "district_logit_sd"),
    "district-shocks": ("shock_sd", "shock_rho", "shock_logit_sd"),
    "dynamic-effects": ("dynamic_first_share", "dynamic_ramp_quarters", "dynamic_wave_multipliers"),
    "anticipation": ("anticipation_effect",),
    "detection-bias": ("detection_extra",),
    "trend-violation": ("trend_violation_per_quarter",),
    "left-truncation": ("burn_in_months",),
}
_SCENARIO_FIELDS = {"scenarios", *(k for ks in _SCENARIO_PARAMETERS.values() for k in ks)}
# each scenario's own random stream: np.random.default_rng([seed, key]); 110 serves offences that only a
# scenario's intensities produce
_STREAM = {"district-effects": 101, "district-shocks": 102, "detection-bias": 105, "moved-offences": 110}
# scenarios that change the offence intensities (so the outcome offences move)
_INTENSITY = {"district-effects", "district-shocks", "dynamic-effects", "anticipation", "trend-violation"}


def expand_scenarios(names) -> tuple[str, ...]:
    """Scenario names checked, bundles (``realistic``) expanded, in the order of ``SCENARIOS``.

    Parameters
    ----------
    names : str or sequence of str
        Names, or one string of comma-separated names; empty for none.

    Returns
    -------
    tuple of str
        The distinct scenarios, without bundles.

    Raises
    ------
    ValueError
        When a name is not a scenario, listing the known ones.

    Examples
    --------
    >>> expand_scenarios("realistic")
    ('district-effects', 'district-shocks', 'dynamic-effects', 'left-truncation')
    >>> expand_scenarios(["detection-bias", "district-effects"])
    ('district-effects', 'detection-bias')
    >>> expand_scenarios("district-effect")
    Traceback (most recent call last):
    ...
    ValueError: unknown scenario 'district-effect'; known scenarios: district-effects, district-shocks, dynamic-effects, anticipation, detection-bias, trend-violation, left-truncation, realistic
    """
    if isinstance(names, str):
        names = names.split(",")
    wanted = set()
    for raw in names or ():
        name = str(raw).strip()
        if not name:
            continue
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; known scenarios: {', '.join(SCENARIOS)}")
        wanted.update(_BUNDLES.get(name, (name,)))
    return tuple(s for s in SCENARIOS if s in wanted)



class _ScenarioTerms:
    """The scenarios' terms of the generator's intensities and take-up (a base of the generator, which
    sets the attributes read here: parameters ``p``, ``seed``, months, districts, go-live quarters and
    waves, the screening ``scr``)."""

    def scenario_terms(self):
        """District-by-month log-intensity terms and district-by-quarter logit shifts of the scenarios."""
        p, B, M = self.p, self.B, self.M
        D = len(self.district_ids)
        mm = np.arange(-B, M)
        # shocks are drawn for every quarter from the longest burn-in on, so left-truncation leaves them alone
        self.q_min = int((self.months[0] - int(p.burn_in_months)).asfreq("Q").ordinal - self.months[0].asfreq("Q").ordinal)
        Q = int(self.q_ext[-1]) - self.q_min + 1
        self.dlog = np.zeros((D, B + M))
        self.eng_shift = np.zeros((D, Q))
        self.ref_shift = np.zeros((D, Q))
        eff = np.zeros((4, D))
        shocks = np.zeros((3, D, Q))
        if "district-effects" in self.sc:
            rng = np.random.default_rng([self.seed, _STREAM["district-effects"]])
            sd = (p.district_intercept_sd, p.district_trend_sd, p.district_logit_sd, p.district_logit_sd)
            eff = np.vstack([rng.normal(0, s, D) for s in sd])
            # centred so that exp(u) has mean 1 and the trend is about the study's middle month
            self.dlog += (eff[0] - p.district_intercept_sd**2 / 2)[:, None] + eff[1][:, None] * (mm - (M - 1) / 2) / 12
            self.eng_shift += eff[2][:, None]
            self.ref_shift += eff[3][:, None]
        if "district-shocks" in self.sc:
            rng = np.random.default_rng([self.seed, _STREAM["district-shocks"]])
            rho = p.shock_rho
            for k, sd in enumerate((p.shock_sd, p.shock_logit_sd, p.shock_logit_sd)):
                eps = rng.normal(0, sd, (D, Q))
                eta = shocks[k]
                eta[:, 0] = eps[:, 0]
                for q in range(1, Q):  # AR(1) with stationary SD sd
                    eta[:, q] = rho * eta[:, q - 1] + np.sqrt(1 - rho**2) * eps[:, q]
            self.dlog += shocks[0][:, self.q_ext - self.q_min] - p.shock_sd**2 / 2
            self.eng_shift += shocks[1]
            self.ref_shift += shocks[2]
        if "trend-violation" in self.sc:
            pil = self.pilot
            self.dlog[pil] += p.trend_violation_per_quarter * (mm[None, :] - self.go_m_true[pil][:, None]) / 3
        self.intensity_terms = bool(self.sc & {"district-effects", "district-shocks", "trend-violation"})
        self.logit_terms = bool(self.sc & {"district-effects", "district-shocks"})
        self.district_effects = pd.DataFrame({"district_id": self.district_ids, "intercept": eff[0],
                                              "trend_per_year": eff[1], "engagement_logit": eff[2],
                                              "referral_logit": eff[3]})
        quarters = [str(self.months[0].asfreq("Q") + int(q)) for q in range(self.q_min, self.q_min + Q)]
        self.district_shocks = pd.DataFrame({
            "district_id": np.repeat(self.district_ids, Q), "quarter": np.tile(quarters, D),
            "shock": shocks[0].ravel(), "engagement_shock": shocks[1].ravel(), "referral_shock": shocks[2].ravel()})

    def _logit_shift(self, table: np.ndarray, d: np.ndarray, m: np.ndarray) -> np.ndarray:
        """District-quarter logit shift for districts ``d`` in study months ``m``."""
        return table[d, self.q_ext[m + self.B] - self.q_min]

    def _dynamic_hr(self) -> np.ndarray:
        """District-by-month hazard ratio of the programme under dynamic-effects (ramp by wave)."""
        p = self.p
        k = self.q_ext[None, :] - self.go_q_true[:, None]  # quarters since the district's go-live quarter
        K = p.dynamic_ramp_quarters
        ramp = np.clip(k / K, 0, 1) if K > 0 else np.ones(k.shape)
        r = p.dynamic_first_share + (1 - p.dynamic_first_share) * ramp
        mult = np.asarray(p.dynamic_wave_multipliers)
        omega = mult[np.minimum(self.wave, mult.size - 1)]
        return np.exp(np.log(p.true_hr_programme) * omega[:, None] * r)

    def _anticipation(self) -> np.ndarray:
        """Person-by-month multiplier of the programme world's intensity under anticipation."""
        out = np.ones((self.n, self.B + self.M))
        s = self.scr[self.scr.eligible]
        i, m, d = s.i.to_numpy(), s.m.to_numpy(), s.district.to_numpy()
        before = self.q_ext[m + self.B] == self.go_q_true[d] - 1
        out[i[before], m[before] + self.B] = 1 + self.p.anticipation_effect
        return out
