"""Calibration tables, calibration intercept/slope, threshold tables and decision curves."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import statsmodels.api as sm

from foundation_eval import ppit
from foundation_eval.stats import wilson_interval


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


HM_NORMAL = [33, 6, 6, 11, 2]  # Hanley & McNeil (1982) Table I
HM_ABNORMAL = [3, 2, 2, 11, 33]


def hanley_mcneil():
    s = np.r_[np.repeat(np.arange(1, 6), HM_NORMAL), np.repeat(np.arange(1, 6), HM_ABNORMAL)]
    return s, np.r_[np.zeros(58, int), np.ones(51, int)]


# ---- calibration table -------------------------------------------------------------------


def test_calibration_table_by_score_value_counts_by_hand():
    s, y = hanley_mcneil()
    t = ppit.calibration_table(s, y, bins="unique").table()
    assert t["n"].tolist() == [36, 8, 8, 22, 35]
    assert t["events"].tolist() == [3, 2, 2, 11, 33]
    assert t["observed"].tolist() == pytest.approx([3 / 36, 2 / 8, 2 / 8, 11 / 22, 33 / 35])
    lo, hi = wilson_interval(33, 35, 0.95)
    assert (t.loc[4, "ci_low"], t.loc[4, "ci_high"]) == pytest.approx((lo, hi))
    # Newcombe (1998) Table I, method 3 (Wilson): 81/263 -> 0.2553 to 0.3662; same function
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)


def test_calibration_table_with_band_edges_and_labels():
    s, y = hanley_mcneil()
    t = ppit.calibration_table(s, y, bins=[1, 3, 5], labels=["low", "high"]).table()
    # [1, 3) holds ratings 1-2; [3, 5] holds 3-5 (last band closed)
    assert t["band"].tolist() == ["low", "high"]
    assert t["n"].tolist() == [44, 65]
    assert t["events"].tolist() == [5, 46]
    with pytest.raises(ValueError, match="outside the band edges"):
        ppit.calibration_table(s, y, bins=[2, 5])


def test_quantile_bins_and_plot():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.95, 1000)
    y = (rng.random(1000) < p).astype(int)
    ct = ppit.calibration_table(p, y, bins=10)
    t = ct.table()
    assert len(t) == 10 and t["n"].sum() == 1000 and t["n"].between(99, 101).all()
    assert ct.is_probability
    # well calibrated: every decile's interval should be near the diagonal
    assert np.mean((t["ci_low"] <= t["mean_predicted"]) & (t["mean_predicted"] <= t["ci_high"])) >= 0.8
    ax = ct.plot()
    assert ax.get_xlabel() == "Mean predicted probability"


# ---- calibration intercept and slope -----------------------------------------------------


def test_constant_prediction_gives_closed_form_intercept():
    y = np.r_[np.ones(30, int), np.zeros(70, int)]
    r = ppit.calibration_in_the_large_and_slope(np.full(100, 0.2), y)
    # logit(0.3) - logit(0.2), exactly, with se sqrt(1/(n p (1-p))) at p = 0.3
    assert r.intercept == pytest.approx(np.log(0.3 / 0.7) - np.log(0.2 / 0.8), abs=1e-8)
    assert r.intercept_se == pytest.approx(np.sqrt(1 / (100 * 0.3 * 0.7)), rel=1e-6)
    assert np.isnan(r.slope)
    assert r.oe_ratio == pytest.approx(30 / 20)


def test_intercept_and_slope_match_direct_glm_fits():
    rng = np.random.default_rng(4)
    p = rng.uniform(0.05, 0.9, 400)
    y = (rng.random(400) < p**1.3).astype(int)
    r = ppit.calibration_in_the_large_and_slope(p, y)
    eta = np.log(p / (1 - p))
    slope_fit = sm.Logit(y, sm.add_constant(eta)).fit(disp=0)
    assert r.slope == pytest.approx(slope_fit.params[1], rel=1e-6)
    assert r.slope_se == pytest.approx(slope_fit.bse[1], rel=1e-4)
    offset_fit = sm.GLM(y, np.ones(400), family=sm.families.Binomial(), offset=eta).fit()
    assert r.intercept == pytest.approx(offset_fit.params[0], rel=1e-8)
    t = r.table()
    assert t.loc["calibration_slope", "ideal"] == 1.0


def test_recovery_slope_one_when_calibrated_below_one_when_overfitted():
    rng = np.random.default_rng(2025)
    beta = np.array([0.8, -0.6])

    def draw(n, k_noise):
        x = rng.normal(size=(n, 2 + k_noise))
        lp = -0.5 + x[:, :2] @ beta
        return x, (rng.random(n) < 1 / (1 + np.exp(-lp))).astype(int), lp

    # well calibrated: the true probabilities
    x, y, lp = draw(4000, 0)
    good = ppit.calibration_in_the_large_and_slope(1 / (1 + np.exp(-lp)), y)
    assert good.slope_ci_low <= 1 <= good.slope_ci_high
    assert good.intercept_ci_low <= 0 <= good.intercept_ci_high
    assert abs(good.slope - 1) < 0.1
    # overfitted: 2 real + 25 noise predictors fitted on 120 people, judged on 4000 new people
    xt, yt, _ = draw(120, 25)
    fit = sm.Logit(yt, sm.add_constant(xt)).fit(disp=0, maxiter=200)
    xv, yv, _ = draw(4000, 25)
    pv = np.clip(fit.predict(sm.add_constant(xv)), 1e-9, 1 - 1e-9)
    over = ppit.calibration_in_the_large_and_slope(pv, yv)
    assert over.slope < 0.7 and over.slope_ci_high < 1
    ax = over.plot()
    assert "slope" in ax.get_title()


def test_probabilities_must_be_strictly_inside_zero_one():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        ppit.calibration_in_the_large_and_slope([0.0, 0.5, 0.7], [0, 1, 1])


# ---- thresholds ------------------------------------------------------------------------


def test_threshold_table_hanley_mcneil_cut_at_four():
    s, y = hanley_mcneil()
    tt = ppit.threshold_table(s, y)
    row = tt.at(4)
    # rating >= 4 flags 11 + 33 abnormal (TP) and 11 + 2 normal (FP) patients
    assert (row["tp"], row["fp"], row["fn"], row["tn"]) == (44, 13, 7, 45)
    assert row["sensitivity"] == pytest.approx(44 / 51)
    assert row["specificity"] == pytest.approx(45 / 58)
    assert row["ppv"] == pytest.approx(44 / 57)
    assert row["npv"] == pytest.approx(45 / 52)
    assert row["share_flagged"] == pytest.approx(57 / 109)
    assert (row["sensitivity_ci_low"], row["sensitivity_ci_high"]) == pytest.approx(wilson_interval(44, 51))
    t = tt.table()
    assert t["threshold"].tolist() == [1, 2, 3, 4, 5]
    assert t.loc[0, "sensitivity"] == 1.0 and np.isnan(t.loc[0, "npv"])
    assert (t["youden"] == t["sensitivity"] + t["specificity"] - 1).all()
    assert tt.plot().get_ylabel() == "Proportion"


def test_decision_curve_by_hand():
    p = [0.1, 0.2, 0.3, 0.4, 0.6, 0.8]
    y = [0, 0, 1, 0, 1, 1]
    t = ppit.decision_curve(p, y, thresholds=[0.25]).table().iloc[0]
    # act on p >= 0.25: TP = 3 (0.3, 0.6, 0.8), FP = 1 (0.4); NB = 3/6 - 1/6 * 0.25/0.75
    assert t["net_benefit"] == pytest.approx(3 / 6 - 1 / 6 * (0.25 / 0.75))
    assert t["treat_all"] == pytest.approx(0.5 - 0.5 * (0.25 / 0.75))
    assert t["treat_none"] == 0.0
    assert t["interventions_avoided_per_100"] == pytest.approx(100 * (4 / 9 - 1 / 3) * 3)


def test_decision_curve_default_grid_and_limits():
    rng = np.random.default_rng(9)
    p = rng.uniform(0.01, 0.99, 500)
    y = (rng.random(500) < p).astype(int)
    dc = ppit.decision_curve(p, y)
    t = dc.table()
    assert len(t) == 99
    # at a threshold near 0 everyone is treated: model NB equals treat-all NB
    assert t.iloc[0]["net_benefit"] == pytest.approx(t.iloc[0]["treat_all"], abs=1e-3)
    # a calibrated model is not worse than both reference strategies (beyond noise) over the
    # thresholds where the FP weight pt / (1 - pt) does not blow up the noise
    mid = t[t["threshold"] <= 0.8]
    assert (mid["net_benefit"] >= np.maximum(mid["treat_all"], 0) - 0.02).all()
    assert dc.plot().get_ylabel() == "Net benefit"
