"""Power and minimum detectable effects.

References:

* [Bloom1995] Bloom (1995), *Evaluation Review* 19:547-556: MDE = M x SE with, for a one-sided test
  at the 5% level, M = 2.93 (90% power), 2.49 (80%), 2.17 (70%), and M = 2.12 one-sided at 10% with
  80% power (pp. 549-552, as transcribed in the public paper review
  ``docs/methodology/papers/bloom-1995-review.md`` of ``igerber/diff-diff``); M = 2.80 two-sided at 5%
  with 80% power (Table 1, two-sided panel: 1.96 + 0.84).
* [AnnFamMed] Annals of Family Medicine table of design effects and effective sample sizes for
  clustered designs with rho = 0.017 and k = 4 clusters (annfammed.org, highwire table expansion):
  m = 10, 20, 40, 80 -> DE 1.153, 1.323, 1.663, 2.343 and ESS 34, 60, 96, 136 (truncated).
* McKenzie (2012), *J Dev Econ* 99:210-221, DiD variance with equicorrelated errors: checked against
  simulation here (no worked numeric example used).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from foundation_eval.impact import (
    design_effect,
    mde_multiplier,
    minimum_detectable_effect,
    power_curve,
    simulate_power_staggered,
)


@pytest.mark.parametrize(
    "alpha, power, two_sided, expected",
    [
        (0.05, 0.90, False, 2.93),  # [Bloom1995] p. 549-551
        (0.05, 0.80, False, 2.49),  # [Bloom1995] p. 549
        (0.05, 0.70, False, 2.17),  # [Bloom1995] p. 549-551
        (0.10, 0.80, False, 2.12),  # [Bloom1995] p. 552
        (0.05, 0.80, True, 2.80),  # [Bloom1995] Table 1, two-sided
    ],
)
def test_bloom_multipliers(alpha, power, two_sided, expected):
    assert round(mde_multiplier(alpha, power, two_sided), 2) == expected


def test_small_sample_multiplier_is_larger():
    """With 14 districts (df = 12) the t-based multiplier exceeds the normal 2.80."""
    m12 = mde_multiplier(0.05, 0.8, True, df=12)
    assert m12 == pytest.approx(2.179 + 0.873, abs=0.002)  # t-table: t_{12,0.975} + t_{12,0.80}
    assert m12 > mde_multiplier()


@pytest.mark.parametrize("m, de, ess", [(10, 1.153, 34), (20, 1.323, 60), (40, 1.663, 96), (80, 2.343, 136)])
def test_design_effect_table(m, de, ess):
    """[AnnFamMed] rho = 0.017, k = 4 clusters of m."""
    d = design_effect(m, 0.017)
    assert d == pytest.approx(de, abs=5e-4)
    assert math.floor(4 * m / d) == ess
    r = minimum_detectable_effect(p0=0.5, n_treat=2 * m, n_control=2 * m, cluster_size=m, icc=0.017)
    assert math.floor(r.effective_n) == ess


def test_mde_two_proportions_formula_and_simulation():
    """MDE = 2.80 x sqrt(p0 (1 - p0) (1/n_T + 1/n_C) DE) [Bloom1995 eq. 2 with a design effect];
    in simulated cluster-sampled binary data (beta-binomial clusters, ICC 0.05) a z-test at the MDE
    rejects close to 80% of the time (slightly less: 15 clusters per arm and the larger variance at p1)."""
    p0, m, k, icc = 0.3, 20, 15, 0.05
    n = m * k
    r = minimum_detectable_effect(p0=p0, n_treat=n, cluster_size=m, icc=icc)
    de = 1 + (m - 1) * icc
    assert r.design_effect == pytest.approx(1.95)
    assert r.mde == pytest.approx(mde_multiplier() * math.sqrt(p0 * (1 - p0) * (2 / n) * de), rel=1e-12)
    rng = np.random.default_rng(1)
    S = 3000
    ab = 1 / icc - 1

    def arm(p):
        pc = rng.beta(p * ab, (1 - p) * ab, size=(S, k))
        return rng.binomial(m, pc).sum(axis=1) / n

    a0, a1 = arm(p0), arm(p0 + r.mde)
    pb = (a0 + a1) / 2
    z = (a1 - a0) / np.sqrt(pb * (1 - pb) * (2 / n) * de)
    assert 0.72 <= np.mean(np.abs(z) > 1.959964) <= 0.86
    u = minimum_detectable_effect(p0=p0, n_treat=n, cluster_size=m, icc=icc, variance="unpooled")
    assert u.mde > r.mde  # variance at p0 + d is larger for p0 < 0.5
    assert "80% probability" in r.summary_sentence()


def test_mde_did_panel_formula_and_simulation():
    """14 districts, half treated, 12 months before and after, within-district correlation 0.3:
    the McKenzie (2012) SE matches the simulated SD of the DiD estimate, and power at the MDE is 80%."""
    G, T0, T1, rho = 14, 12, 12, 0.3
    r = minimum_detectable_effect("did_panel", sigma=1.0, n_units=G, share_treated=0.5, n_pre=T0, n_post=T1, rho=rho)
    expected = math.sqrt(1 / (G * 0.25) * ((1 + 11 * rho) / 12 * 2 - 2 * rho))
    assert r.se == pytest.approx(expected, rel=1e-12)
    rng = np.random.default_rng(2)
    S = 3000
    y = rng.normal(0, math.sqrt(rho), (S, G, 1)) + rng.normal(0, math.sqrt(1 - rho), (S, G, T0 + T1))
    tr = np.arange(G) < G // 2
    est = ((y[:, tr, T0:].mean(axis=(1, 2)) - y[:, tr, :T0].mean(axis=(1, 2)))
           - (y[:, ~tr, T0:].mean(axis=(1, 2)) - y[:, ~tr, :T0].mean(axis=(1, 2))))
    assert est.std(ddof=1) == pytest.approx(r.se, rel=0.05)
    power = np.mean(np.abs((est + r.mde) / r.se) > 1.959964)
    assert power == pytest.approx(0.80, abs=0.03)
    # no serial correlation, one period each side: the textbook 2 sigma^2 / (G P (1-P))
    r1 = minimum_detectable_effect("did_panel", sigma=2.0, n_units=40, share_treated=0.25, n_pre=1, n_post=1)
    assert r1.se == pytest.approx(math.sqrt(2 * 4 / (40 * 0.25 * 0.75)))
    with pytest.raises(ValueError, match="did_panel needs"):
        minimum_detectable_effect("did_panel", sigma=1.0)


def test_power_curve_inverts_mde():
    r = minimum_detectable_effect(p0=0.2, n_treat=400, n_control=200)
    pc = power_curve([0.0, r.mde, 2 * r.mde], r.se)
    t = pc.table()
    assert t["power"].iloc[0] == pytest.approx(0.05, abs=1e-12)
    assert t["power"].iloc[1] == pytest.approx(0.80, abs=1e-4)
    assert t["power"].iloc[2] > 0.99
    one = power_curve([r.mde], r.se, two_sided=False, alpha=0.05)
    assert one.table()["power"].iloc[0] > 0.8


def test_simulated_power_staggered():
    """Monte Carlo power for a 14-district staggered rollout: high for a large effect, near alpha
    under the null with randomisation inference, and the analytic SE is too small with 14 units."""
    ft = [12, 12, 18, 18, 18, 24, 24, 24, 30, 30, 30, 36, 36, 36]
    big = simulate_power_staggered(2.0, first_treated=ft, n_periods=42, n_sims=40, ar=0.3, seed=1)
    assert big.power >= 0.9 and abs(big.mean_estimate - 2.0) < 4 * big.sd_estimate / math.sqrt(40)
    null = simulate_power_staggered(0.0, first_treated=ft, n_periods=42, n_sims=80, ar=0.3, seed=2,
                                    method="randomization", n_perm=99)
    assert null.power <= 0.15
    assert null.mean_se < null.sd_estimate  # analytic IF SEs understate the spread with 14 units
    assert "simulated rollouts" in null.summary_sentence()
