"""Reference-value tests for foundation_eval.stats.

Every expected number is quoted from a published table, with the source next to it.
"""
from __future__ import annotations

import numpy as np
import pytest

from foundation_eval.stats import (
    bootstrap_ratio_of_sums,
    poisson_rate_interval,
    t_value,
    wilson_interval,
    z_value,
)

# Newcombe RG (1998) "Two-sided confidence intervals for the single proportion: comparison of seven
# methods", Stat Med 17:857-872, Table I, method 3 (Wilson score interval without continuity
# correction), 95% intervals printed to 4 decimals.
NEWCOMBE_TABLE_I_WILSON = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
    (29, 29, 0.8830, 1.0000),
]


@pytest.mark.parametrize("x, n, low, high", NEWCOMBE_TABLE_I_WILSON)
def test_wilson_matches_newcombe_table_i(x, n, low, high):
    lo, hi = wilson_interval(x, n)
    assert round(lo, 4) == low
    assert round(hi, 4) == high


def test_wilson_vectorised_and_edges():
    xs = np.array([81, 15, 0])
    ns = np.array([263, 148, 20])
    lo, hi = wilson_interval(xs, ns)
    np.testing.assert_allclose(np.round(lo, 4), [0.2553, 0.0624, 0.0])  # Newcombe (1998) Table I
    np.testing.assert_allclose(np.round(hi, 4), [0.3662, 0.1605, 0.1611])  # Newcombe (1998) Table I
    assert all(np.isnan(wilson_interval(0, 0)))
    with pytest.raises(ValueError):
        wilson_interval(5, 4)
    with pytest.raises(ValueError):
        wilson_interval(1, 10, level=1.0)


# Exact (Garwood 1936) 95% limits for a Poisson count k, as tabulated in the standard tables of
# exact Poisson confidence limits (Haenszel, Loveland & Sirken 1962, J Natl Cancer Inst 28:847;
# reproduced in Breslow & Day 1987, Statistical Methods in Cancer Research vol. II, appendix), to
# 3 decimals: k = 0 -> (0, 3.689); 1 -> (0.0253, 5.572); 2 -> (0.242, 7.225); 5 -> (1.623, 11.668);
# 10 -> (4.795, 18.390); 20 -> (12.217, 30.888).
GARWOOD_95 = [
    (0, 0.0, 3.689),
    (1, 0.0253, 5.572),
    (2, 0.242, 7.225),
    (5, 1.623, 11.668),
    (10, 4.795, 18.390),
    (20, 12.217, 30.888),
]


@pytest.mark.parametrize("k, low, high", GARWOOD_95)
def test_poisson_exact_limits_match_published_table(k, low, high):
    rate, lo, hi = poisson_rate_interval(k, 1.0)
    assert rate == k
    decimals = 4 if low and low < 0.1 else 3
    assert round(lo, decimals) == low
    assert round(hi, 3) == high


def test_poisson_rate_scales_with_exposure():
    # 10 events in 200 person-years: rate 0.05, limits 4.795/200 and 18.390/200 (table above)
    rate, lo, hi = poisson_rate_interval(10, 200.0)
    assert rate == pytest.approx(0.05)
    assert lo == pytest.approx(4.795 / 200, abs=1e-5)
    assert hi == pytest.approx(18.390 / 200, abs=1e-5)
    with pytest.raises(ValueError):
        poisson_rate_interval(3, 0.0)
    with pytest.raises(ValueError):
        poisson_rate_interval(-1, 1.0)


# Efron & Tibshirani (1993) An Introduction to the Bootstrap, Table 2.1: treatment group of the mouse
# survival data (days) 94, 197, 16, 38, 99, 141, 23; mean 86.86, formula SE 25.24; the ideal
# (B = infinity) bootstrap SE of the mean is sqrt(sum (x - mean)^2) / n = 23.36 (sec. 6.2, Table 6.1).
MOUSE_TREATMENT = [94, 197, 16, 38, 99, 141, 23]


def test_bootstrap_se_of_mean_matches_efron_tibshirani():
    out = bootstrap_ratio_of_sums(MOUSE_TREATMENT, np.ones(7), n_boot=40_000, seed=1, method="percentile")
    assert round(out["estimate"], 2) == 86.86  # Efron & Tibshirani (1993) Table 2.1
    assert out["se"] == pytest.approx(23.36, rel=0.02)  # ideal bootstrap SE, E&T (1993) Table 6.1


def test_bootstrap_methods_and_validation():
    rng = np.random.default_rng(5)
    x = rng.lognormal(0, 1, 400)
    outs = {m: bootstrap_ratio_of_sums(x, np.ones_like(x), n_boot=4000, seed=2, method=m)
            for m in ("bca", "percentile", "normal")}
    for out in outs.values():
        assert out["ci_low"] < out["estimate"] < out["ci_high"]
    # right skew: BCa shifts the interval right of the percentile one
    assert outs["bca"]["ci_high"] > outs["percentile"]["ci_high"]
    # same seed, same answer
    again = bootstrap_ratio_of_sums(x, np.ones_like(x), n_boot=4000, seed=2, method="bca")
    assert again["ci_low"] == outs["bca"]["ci_low"]
    with pytest.raises(ValueError):
        bootstrap_ratio_of_sums([1.0, np.nan], [1, 1])
    with pytest.raises(ValueError):
        bootstrap_ratio_of_sums([1.0, 2.0], [1, 1], method="studentised")


# Fisher RA & Yates F (1938) *Statistical Tables for Biological, Agricultural and Medical Research*,
# Table I (normal deviates) and Table III (t), two-sided: printed to 3 decimals.
@pytest.mark.parametrize("level, z", [(0.90, 1.645), (0.95, 1.960), (0.99, 2.576)])
def test_z_value_matches_fisher_yates_table_i(level, z):
    assert round(z_value(level), 3) == z


@pytest.mark.parametrize("level, df, t", [(0.95, 1, 12.706), (0.95, 4, 2.776), (0.95, 10, 2.228), (0.99, 13, 3.012)])
def test_t_value_matches_fisher_yates_table_iii(level, df, t):
    assert round(t_value(level, df), 3) == t


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.2, "0.95", None, True])
def test_a_level_outside_zero_one_is_a_clear_error(bad):
    for f in (z_value, lambda lv: t_value(lv, 5)):
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            f(bad)


def test_cluster_jackknife_difference_by_hand_and_against_independent_rows():
    """The delete-one-cluster jackknife (Efron & Stein 1981): by hand on four clusters, and with one person per
    cluster equal to the delete-one jackknife of the difference of means computed by brute force."""
    import numpy as np
    import pytest

    from foundation_eval.stats import cluster_jackknife_difference

    d, lo, hi, se, G = cluster_jackknife_difference([1, 0, 1, 0, 1, 0, 0, 1], [1, 0, 1, 0, 1, 0, 1, 0],
                                                    [1, 1, 2, 2, 3, 3, 4, 4])
    assert (d, G) == (0.5, 4) and se == pytest.approx(0.5)
    assert (lo, hi) == pytest.approx((0.5 - 3.182446 * 0.5, 0.5 + 3.182446 * 0.5), abs=1e-6)
    # one row per cluster: leave-one-out differences by brute force
    rng = np.random.default_rng(3)
    y = rng.random(40) < 0.4
    g = np.arange(40) % 2 == 0
    loo = [y[np.delete(np.arange(40), i)][g[np.delete(np.arange(40), i)]].mean()
           - y[np.delete(np.arange(40), i)][~g[np.delete(np.arange(40), i)]].mean() for i in range(40)]
    loo = np.asarray(loo)
    expect = np.sqrt(39 / 40 * np.sum((loo - loo.mean()) ** 2))
    assert cluster_jackknife_difference(y, g, np.arange(40))[3] == pytest.approx(expect)
    with pytest.raises(ValueError, match="both groups"):
        cluster_jackknife_difference([1, 0], [True, True], [1, 2])
