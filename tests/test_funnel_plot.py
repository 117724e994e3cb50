"""Funnel plots: Spiegelhalter's exact limits, the normal approximation, over-dispersion, disclosure."""
from __future__ import annotations

import dataclasses
from math import comb, exp, factorial

import numpy as np
import pytest
from scipy import stats

from foundation_eval.models.funnel_plot import (
    FunnelPlotResult,
    funnel_limits,
    funnel_plot,
    level_label,
    overdispersion,
)
from foundation_eval.reporting.disclosure import protect_units


def _binom_cdf(r: int, n: int, p: float) -> float:
    """Binomial distribution function summed by hand (independent of scipy)."""
    return sum(comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(r + 1)) if r >= 0 else 0.0


def _pois_cdf(r: int, m: float) -> float:
    return sum(exp(-m) * m**i / factorial(i) for i in range(r + 1)) if r >= 0 else 0.0


def _spiegelhalter(p: float, cdf, scale: float) -> float:
    """Appendix A.1.1 of Spiegelhalter (2005), written out as Wicklin's (2011) SAS/IML transcription:
    r = smallest r with F(r) >= p; alpha = (F(r) - p) / (F(r) - F(r-1)); limit = (r - alpha) / n."""
    r = 0
    while cdf(r) < p:
        r += 1
    alpha = (cdf(r) - p) / (cdf(r) - cdf(r - 1))
    return (r - alpha) / scale


def test_limits_match_spiegelhalter_appendix_binomial():
    # theta0 = 0.1, n = 100. Binomial(100, 0.1) distribution function (any binomial table):
    # F(1) = 0.000322, F(2) = 0.001945, F(4) = 0.023711, F(5) = 0.057577,
    # F(15) = 0.960109, F(16) = 0.979401, F(19) = 0.998021, F(20) = 0.999192.
    # 0.975-limit: r = 16, alpha = (0.979401 - 0.975) / (0.979401 - 0.960109) = 0.2281 -> (16 - 0.2281)/100.
    lim = funnel_limits(0.1, [100], (0.95, 0.998)).iloc[0]
    assert lim["upper_95"] == pytest.approx(0.157719, abs=5e-7)
    assert lim["lower_95"] == pytest.approx(0.040381, abs=5e-7)
    assert lim["upper_99.8"] == pytest.approx(0.198357, abs=5e-7)
    assert lim["lower_99.8"] == pytest.approx(0.014179, abs=5e-7)
    for p, col in ((0.001, "lower_99.8"), (0.025, "lower_95"), (0.975, "upper_95"), (0.999, "upper_99.8")):
        assert lim[col] == pytest.approx(_spiegelhalter(p, lambda r: _binom_cdf(r, 100, 0.1), 100), abs=1e-12)


def test_limits_match_spiegelhalter_appendix_poisson_rate():
    # a rate of 2 per person-year over 10 person-years: Y ~ Poisson(20), limit = (r - alpha) / 10
    lim = funnel_limits(2.0, [10.0], (0.95, 0.998), kind="rate").iloc[0]
    assert lim["lower_95"] == pytest.approx(1.120500, abs=5e-7)
    assert lim["upper_95"] == pytest.approx(2.874577, abs=5e-7)
    assert lim["lower_99.8"] == pytest.approx(0.716919, abs=5e-7)
    assert lim["upper_99.8"] == pytest.approx(3.471353, abs=5e-7)
    for p, col in ((0.001, "lower_99.8"), (0.975, "upper_95")):
        assert lim[col] == pytest.approx(_spiegelhalter(p, lambda r: _pois_cdf(r, 20.0), 10.0), abs=1e-12)


def test_interpolation_inverts_the_linearly_joined_distribution_function():
    rng = np.random.default_rng(3)
    for _ in range(40):
        n, theta = int(rng.integers(5, 400)), float(rng.uniform(0.02, 0.9))
        for lev in (0.95, 0.998):
            lim = funnel_limits(theta, [n], lev)
            for p, col in (((1 - lev) / 2, f"lower_{level_label(lev)}"), ((1 + lev) / 2, f"upper_{level_label(lev)}")):
                x = lim[col].iloc[0] * n
                if x <= 0 or x >= n:
                    continue  # clipped at the edge
                r = np.ceil(x)
                f_r, f_prev = stats.binom.cdf(r, n, theta), stats.binom.cdf(r - 1, n, theta)
                assert f_prev + (x - (r - 1)) * (f_r - f_prev) == pytest.approx(p, abs=1e-9)


def test_normal_approximation_hand_check():
    # p0 = 0.3, n = 50: 0.3 +/- 1.959964 * sqrt(0.3 * 0.7 / 50) = 0.3 +/- 0.127020
    lim = funnel_limits(0.3, [50], (0.95, 0.998), method="normal").iloc[0]
    half95 = 1.959964 * np.sqrt(0.21 / 50)
    half998 = 3.090232 * np.sqrt(0.21 / 50)
    assert lim["lower_95"] == pytest.approx(0.3 - half95, abs=1e-6)
    assert lim["upper_95"] == pytest.approx(0.3 + half95, abs=1e-6)
    assert lim["upper_95"] == pytest.approx(0.427020, abs=1e-6)
    assert lim["lower_99.8"] == pytest.approx(0.3 - half998, abs=1e-6)
    assert lim["upper_99.8"] == pytest.approx(0.3 + half998, abs=1e-6)
    # rates: theta0 +/- z sqrt(theta0 / E)
    r = funnel_limits(2.0, [10.0], 0.95, kind="rate", method="normal").iloc[0]
    assert r["upper_95"] == pytest.approx(2 + 1.959964 * np.sqrt(0.2), abs=1e-6)


def test_exact_limits_approach_normal_ones_for_large_volumes():
    big = funnel_limits(0.3, [200_000], (0.95, 0.998))
    approx = funnel_limits(0.3, [200_000], (0.95, 0.998), method="normal")
    for c in big.columns[1:]:
        assert big[c].iloc[0] == pytest.approx(approx[c].iloc[0], abs=2e-5)
    # the funnel narrows as volume grows, and the 99.8% funnel contains the 95% one
    lim = funnel_limits(0.2, [20, 50, 100, 500, 2000])
    assert (np.diff(lim["upper_95"]) < 0).all() and (np.diff(lim["lower_95"]) > 0).all()
    assert (lim["upper_99.8"] >= lim["upper_95"]).all() and (lim["lower_99.8"] <= lim["lower_95"]).all()
    assert (lim.filter(like="lower") >= 0).all().all() and (lim.filter(like="upper") <= 1).all().all()


def test_overdispersion_hand_computation():
    # target 0.2 given, n = 100 each: s = sqrt(0.16/100) = 0.04, z = -2.5, 0, 2.5, 1.25, -1.25
    k, n = [10, 20, 30, 25, 15], [100] * 5
    od = overdispersion(k, n, 0.2, winsor=0)
    assert od.phi == pytest.approx(15.625 / 5)
    assert od.statistic == pytest.approx(15.625) and od.df == 5
    assert od.p_value == pytest.approx(stats.chi2.sf(15.625, 5))
    # tau2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w), w = 100 / 0.16 = 625
    assert od.tau2 == pytest.approx((15.625 - 4) / (3125 - 625))
    # estimated target: pooled 100/500 = 0.2 again, one degree of freedom fewer
    assert overdispersion(k, n, winsor=0).df == 4
    # no over-dispersion: tau2 is truncated at 0
    assert overdispersion([20, 21, 19, 20], [100] * 4, 0.2, winsor=0).tau2 == 0.0
    # Winsorising at 10%/90% pulls in the extremes
    k2, n2 = [5, 18, 20, 22, 19, 21, 20, 23, 17, 45], [100] * 10
    z = (np.array(k2) / 100 - 0.21) / np.sqrt(0.21 * 0.79 / 100)
    lo, hi = np.quantile(z, [0.1, 0.9])
    od2 = overdispersion(k2, n2, winsor=0.1)
    assert od2.phi == pytest.approx(np.mean(np.clip(z, lo, hi) ** 2))
    assert od2.phi < overdispersion(k2, n2, winsor=0).phi


def test_adjusted_limits():
    res_mult = funnel_plot(list("ABCDE"), [10, 20, 30, 25, 15], [100] * 5, target=0.2, winsor=0,
                           overdispersion="multiplicative")
    row = res_mult.table().iloc[0]
    assert row["upper_95"] == pytest.approx(0.2 + 1.959964 * np.sqrt(3.125 * 0.0016), abs=1e-6)
    res_add = funnel_plot(list("ABCDE"), [10, 20, 30, 25, 15], [100] * 5, target=0.2, winsor=0,
                          overdispersion="additive")
    tau2 = 11.625 / 2500
    row = res_add.table().iloc[0]
    assert row["upper_95"] == pytest.approx(0.2 + 1.959964 * np.sqrt(0.0016 + tau2), abs=1e-6)
    assert row["z_adjusted"] == pytest.approx(-0.1 / np.sqrt(0.0016 + tau2))
    assert row["z"] == pytest.approx(-2.5)
    # "auto" adjusts only when the chi-square test finds over-dispersion
    assert funnel_plot(list("ABCDE"), [10, 20, 30, 25, 15], [100] * 5, target=0.2, winsor=0,
                       overdispersion="auto").adjustment == "additive"
    assert funnel_plot(list("ABCD"), [20, 21, 19, 20], [100] * 4, overdispersion="auto").adjustment is None


def test_units_are_placed_against_the_limits():
    res = funnel_plot(["A", "B", "C", "D"], [50, 20, 3, 21], [100, 100, 100, 100], target=0.2)
    t = res.table().set_index("unit")
    # limits at n = 100 around 0.2: 95% about (0.124, 0.280), 99.8% about (0.095, 0.327)
    assert t.at["A", "position"] == "above 99.8%"
    assert t.at["B", "position"] == "within 95%" and t.at["D", "position"] == "within 95%"
    assert t.at["C", "position"] == "below 99.8%"
    assert t.at["A", "z"] == pytest.approx(0.3 / 0.04) and t.at["A", "proportion"] == 0.5
    assert list(t.columns[:4]) == ["n", "k", "proportion", "z"]
    assert res.outside() == ["A", "C"] and res.outside(side="above") == ["A"]
    assert not res.target_estimated and res.target == 0.2
    pooled = funnel_plot(["A", "B"], [10, 30], [100, 100])
    assert pooled.target == pytest.approx(0.2) and pooled.target_estimated
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.target = 0.5  # type: ignore[misc]
    with pytest.raises(ValueError):
        funnel_plot(["A"], [5], [3])
    with pytest.raises(ValueError):
        funnel_limits(1.2, [10])


def test_plot_has_labels_limits_and_target():
    res = funnel_plot(["Alpha", "Beta", "Gamma"], [12, 30, 40], [60, 150, 100], measure="engaged")
    ax = res.plot(title="Engagement")
    assert ax.get_xlabel() == "People (volume)" and ax.get_ylabel() == "Percent engaged"
    texts = {t.get_text() for t in ax.texts}
    assert {"Alpha", "Beta", "Gamma"} <= texts
    assert len(ax.lines) == 5  # two funnels (upper, lower) and the target line
    assert isinstance(res, FunnelPlotResult)
    hidden = res.without(["Beta"]).plot()
    assert "Beta" not in {t.get_text() for t in hidden.texts}
    import matplotlib.pyplot as plt

    plt.close("all")


def test_protect_units_withholds_small_groups_and_one_more():
    # B has 5 people with the outcome: withheld, and the next smallest (A, k = 12) too,
    # so B cannot be recovered from force totals
    res = funnel_plot(["A", "B", "C", "D"], [12, 5, 40, 60], [60, 80, 100, 150])
    prot, shown = protect_units(res, 10)
    t = prot.table.set_index("unit")
    assert t.loc["B"].isna()[["n", "k", "percent"]].all() and t.loc["A"].isna()[["n", "k", "percent"]].all()
    assert t.at["C", "k"] == 40 and t.at["C", "percent"] == pytest.approx(40.0)
    assert set(shown.withheld) == {"A", "B"} and prot.n_primary == 1 and prot.n_secondary == 1
    # n - k small (97 of 100) is withheld too; nothing small: nothing withheld
    prot2, shown2 = protect_units(funnel_plot(["A", "B", "C"], [97, 40, 50], [100, 100, 100]), 10)
    assert "A" in shown2.withheld and len(shown2.withheld) == 2
    prot3, shown3 = protect_units(funnel_plot(["A", "B"], [20, 40], [100, 100]), 10)
    assert shown3.withheld == () and prot3.n_primary == 0
