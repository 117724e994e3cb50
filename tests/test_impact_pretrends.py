"""Power of the pre-trend test (Roth 2022) against the R package pretrends.

References:

* [README] pretrends README, He & Wang (2017) Figure 2C event study (``data(HeAndWangResults)``,
  t = -4, -3, -2, 0, 1, 2, 3, reference period -1; the package's pre-test is "no |t| above 1.96"):
  ``slope_for_power(sigma, 0.5, tVec, -1)`` = 0.05205871; with ``deltatrue = slope50 * (t + 1)``:
  Power 0.4999776, Bayes factor 0.56901, likelihood ratio 0.1057627, meanAfterPretesting
  -0.09230764, -0.05555285, -0.02790950, 0, 0.06490184, 0.12084694, 0.16946498, 0.22453827;
  with ``deltatrue = 0.024 * (t + 1)^2``: Power 0.6624282, Bayes factor 0.3841516, likelihood ratio
  0.4332635.
  R computes rectangle probabilities with ``mvtnorm::pmvnorm`` (Genz-Bretz, absolute error bound
  0.001 by default) and the root with ``uniroot`` (tolerance 1.2e-4), so its power, Bayes factor and
  slope carry errors of that size; ours are accurate to about 1e-6. The likelihood ratio is exact in both.
"""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from foundation_eval.impact import PretrendPower, pretrend_power, slope_for_power

matplotlib.use("Agg")

REF = json.loads((Path(__file__).parent / "data" / "impact_sensitivity_reference.json").read_text())["pretrends_he_wang"]
BETA, SIGMA, T = np.array(REF["beta"]), np.array(REF["sigma"]), np.array(REF["tVec"])
R_SLOPE50 = 0.05205871  # [README]


def test_slope_for_fifty_percent_power_he_wang():
    g = slope_for_power(SIGMA, T, -1, power=0.5, critical_value=1.96)
    assert g == pytest.approx(R_SLOPE50, abs=1.2e-4)  # [README] 0.05205871, R's uniroot tolerance
    r = pretrend_power(None, SIGMA, T, -1, slope=g, critical_value=1.96)
    assert r.power == pytest.approx(0.5, abs=1e-5)  # by construction, to our rectangle probability's precision


def test_power_statistics_he_wang_linear_trend():
    r = pretrend_power(BETA, SIGMA, T, -1, deltatrue=R_SLOPE50 * (T + 1), critical_value=1.96)
    assert isinstance(r, PretrendPower)
    assert r.power == pytest.approx(0.4999776, abs=2e-4)  # [README] Power (pmvnorm error bound 1e-3)
    assert r.bayes_factor == pytest.approx(0.56901, abs=2e-4)  # [README] Bayes.Factor
    assert r.likelihood_ratio == pytest.approx(0.1057627, rel=1e-6)  # [README] Likelihood.Ratio
    # [README] meanAfterPretesting at t = -4, -3, -2, -1, 0, 1, 2, 3
    expected = [-0.09230764, -0.05555285, -0.02790950, 0.0, 0.06490184, 0.12084694, 0.16946498, 0.22453827]
    np.testing.assert_allclose(r.frame["mean_after_pretest"], expected, atol=1e-5)
    np.testing.assert_allclose(r.frame["t"], [-4, -3, -2, -1, 0, 1, 2, 3])
    # the bias that survives the pre-test: post-period means, below the unconditional bias (the trend)
    bias = r.bias_after_pretest
    assert list(bias.index) == [0.0, 1.0, 2.0, 3.0]
    assert bias.iloc[0] == pytest.approx(0.06490184, abs=1e-5)
    assert np.all(bias.to_numpy() > 0)


def test_power_statistics_he_wang_quadratic_trend():
    r = pretrend_power(BETA, SIGMA, T, -1, deltatrue=0.024 * (T + 1) ** 2, critical_value=1.96)
    assert r.power == pytest.approx(0.6624282, abs=2e-4)  # [README] Power
    assert r.bayes_factor == pytest.approx(0.3841516, abs=2e-4)  # [README] Bayes.Factor
    assert r.likelihood_ratio == pytest.approx(0.4332635, rel=1e-6)  # [README] Likelihood.Ratio
    assert np.isnan(r.slope)


def test_recovery_individual_and_joint_pre_tests_by_simulation():
    """Monte Carlo of the pre-test under a linear trend: pass rate and the means given passing."""
    rng = np.random.default_rng(2022)
    slope = 0.06
    delta = slope * (T + 1)
    draws = rng.multivariate_normal(delta, SIGMA, size=200_000)
    pre = T < -1
    se = np.sqrt(np.diag(SIGMA))
    passed = np.all(np.abs(draws[:, pre]) <= 1.96 * se[pre], axis=1)
    r = pretrend_power(None, SIGMA, T, -1, slope=slope, critical_value=1.96)
    assert r.power == pytest.approx(1 - passed.mean(), abs=0.004)
    sim = draws[passed].mean(axis=0)
    ours = r.frame.loc[r.frame["t"] != -1, "mean_after_pretest"].to_numpy()
    np.testing.assert_allclose(ours, sim, atol=0.003)

    inv = np.linalg.inv(SIGMA[np.ix_(pre, pre)])
    wald = np.einsum("ij,jk,ik->i", draws[:, pre], inv, draws[:, pre])
    passed_j = wald <= 7.814727903251178  # chi2(3) 95% quantile
    j = pretrend_power(None, SIGMA, T, -1, slope=slope, test="joint")
    assert j.critical_value == pytest.approx(7.814727903251178)
    assert j.power == pytest.approx(1 - passed_j.mean(), abs=0.004)
    np.testing.assert_allclose(j.frame.loc[j.frame["t"] != -1, "mean_after_pretest"], draws[passed_j].mean(axis=0),
                               atol=0.003)


def test_size_and_slopes_for_power():
    r = pretrend_power(None, SIGMA, T, -1, slope=0.0)
    assert r.bayes_factor == pytest.approx(1.0)
    assert 0.05 < r.size < 0.15  # three correlated 5% tests
    joint = pretrend_power(None, SIGMA, T, -1, slope=0.0, test="joint")
    assert joint.size == pytest.approx(0.05, abs=1e-12)
    assert r.slope_power_50 < r.slope_power_80
    assert pretrend_power(None, SIGMA, T, -1, slope=r.slope_power_80).power == pytest.approx(0.8, abs=1e-5)
    # a single pre-period: power has a closed form
    one = pretrend_power(None, [[1.0, 0.0], [0.0, 1.0]], [-2, 1], 0, slope=1.0)
    from scipy.stats import norm

    z = norm.ppf(0.975)
    assert one.power == pytest.approx(norm.cdf(-z + 2) + norm.cdf(-z - 2), abs=1e-12)


def test_table_and_plot():
    r = pretrend_power(BETA, SIGMA, T, -1, slope=0.05)
    t = r.table()
    assert list(t.columns) == ["test", "power", "size", "bayes_factor", "likelihood_ratio", "slope",
                               "slope_power_50", "slope_power_80", "critical_value"]
    ax = r.plot()
    assert ax.get_xlabel() == "relative time" and len(ax.lines) >= 2
    import matplotlib.pyplot as plt

    plt.close("all")
    with pytest.raises(AttributeError):
        r.power = 0.1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of deltatrue and slope"),
        ({"slope": 0.1, "deltatrue": np.zeros(7)}, "exactly one of deltatrue and slope"),
        ({"slope": 0.1, "test": "wald"}, "test must be one of"),
        ({"deltatrue": np.zeros(3)}, "deltatrue has 3 values"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pretrend_power(BETA, SIGMA, T, -1, **kwargs)


def test_bad_times_are_named():
    with pytest.raises(ValueError, match="must not contain the reference period"):
        pretrend_power(None, SIGMA, T, 0, slope=0.1)
    with pytest.raises(ValueError, match="no pre-period"):
        slope_for_power(SIGMA, T, -5)
    with pytest.raises(ValueError, match="power must lie between"):
        slope_for_power(SIGMA, T, -1, power=0.01)
    with pytest.raises(ValueError, match="betahat has 6"):
        pretrend_power(BETA[:6], SIGMA, T, -1, slope=0.1)
