"""Equity checks (small-group rule, AUC/calibration by group, differential prediction, flag
rates) and incremental value (LR test, DeLong, NRI/IDI)."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from foundation_eval import ppit
from foundation_eval.stats import poisson_rate_interval, wilson_interval


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def grouped_sample(seed=0):
    """Groups with known sizes: A 200, B 100 large; C (n 8), D (5 events), E (5 non-events)."""
    rng = np.random.default_rng(seed)
    spec = {"A": (200, 80), "B": (100, 40), "C": (8, 4), "D": (30, 5), "E": (30, 25)}
    g, y = [], []
    for name, (n, events) in spec.items():
        g += [name] * n
        y += [1] * events + [0] * (n - events)
    y = np.array(y)
    s = y * 0.9 + rng.normal(size=y.size)
    return s, y, np.array(g)


def test_small_groups_are_pooled_into_other_never_shown():
    s, y, g = grouped_sample()
    r = ppit.auc_by_group(s, y, g)
    t = r.table()
    assert list(t.index) == ["A", "B", "Other", "All"]
    assert r.pooled_groups == ("C", "D", "E") and r.dropped_groups == ()
    assert t.loc["Other", "n"] == 68 and t.loc["Other", "events"] == 34
    other = np.isin(g, ["C", "D", "E"])
    assert t.loc["Other", "auc"] == pytest.approx(ppit.auc(s[other], y[other]).estimate)
    assert t.loc["A", "se"] == pytest.approx(ppit.auc(s[g == "A"], y[g == "A"]).se)
    assert t.loc["All", "n"] == len(y)
    # Cochran's Q by hand from the group rows
    rows = t.drop(index="All")
    w = 1 / rows["se"] ** 2
    mean = (w * rows["auc"]).sum() / w.sum()
    q = (w * (rows["auc"] - mean) ** 2).sum()
    assert r.heterogeneity_chi2 == pytest.approx(q)
    assert r.heterogeneity_p_value == pytest.approx(stats.chi2.sf(q, 2))
    assert r.plot().get_xlabel() == "AUC"


def test_small_groups_dropped_and_small_pool_dropped():
    s, y, g = grouped_sample()
    dropped = ppit.auc_by_group(s, y, g, small_groups="drop")
    assert list(dropped.table().index) == ["A", "B", "All"]
    assert dropped.dropped_groups == ("C", "D", "E")
    keep = np.isin(g, ["A", "B", "C"])
    # only C is small, and C alone (n = 8) is too small even as "Other": dropped
    r = ppit.auc_by_group(s[keep], y[keep], g[keep])
    assert list(r.table().index) == ["A", "B", "All"]
    assert r.pooled_groups == () and r.dropped_groups == ("C",)
    # min_count = 0 shows every group
    assert list(ppit.auc_by_group(s, y, g, min_count=0).table().index) == ["A", "B", "C", "D", "E", "All"]
    with pytest.raises(ValueError, match="already called 'Other'"):
        ppit.auc_by_group(s, y, np.where(g == "B", "Other", g))
    with pytest.raises(ValueError, match="small_groups"):
        ppit.auc_by_group(s, y, g, small_groups="merge")


def test_flag_rate_parity_by_hand():
    flags = np.r_[np.ones(30), np.zeros(70), np.ones(10), np.zeros(90), np.ones(2), np.zeros(3)].astype(int)
    groups = np.array(["A"] * 100 + ["B"] * 100 + ["C"] * 5)
    r = ppit.flag_rate_parity(flags, groups)
    t = r.table()
    assert list(t.index) == ["A", "B", "All"] and r.dropped_groups == ("C",)
    assert t.loc["A", "rate"] == pytest.approx(0.30)
    assert (t.loc["A", "ci_low"], t.loc["A", "ci_high"]) == pytest.approx(wilson_interval(30, 100))
    overall = 42 / 205
    assert r.overall_rate == pytest.approx(overall)
    assert t.loc["A", "ratio_to_overall"] == pytest.approx(0.30 / overall)
    # A against everyone else: 30/100 vs 12/105; Katz log interval
    rr = 0.30 / (12 / 105)
    se = np.sqrt(1 / 30 - 1 / 100 + 1 / 12 - 1 / 105)
    assert t.loc["A", "ratio_to_rest"] == pytest.approx(rr)
    assert t.loc["A", "ratio_ci_low"] == pytest.approx(rr * np.exp(-1.959964 * se), rel=1e-6)
    assert t.loc["All", "n"] == 205
    assert r.plot().get_xlabel() == "Share flagged"


def test_calibration_by_group():
    rng = np.random.default_rng(1)
    n = 1500
    g = rng.choice(["X", "Y", "Z"], n, p=[0.5, 0.3, 0.2])
    p = rng.uniform(0.1, 0.7, n)
    # group Z's risk is under-predicted: true logit shifted up by 0.7
    true = 1 / (1 + np.exp(-(np.log(p / (1 - p)) + 0.7 * (g == "Z"))))
    y = (rng.random(n) < true).astype(int)
    r = ppit.calibration_by_group(p, y, g)
    t = r.table()
    z = g == "Z"
    oe, lo, hi = poisson_rate_interval(y[z].sum(), p[z].sum())
    assert t.loc["Z", "oe_ratio"] == pytest.approx(oe)
    assert (t.loc["Z", "oe_ci_low"], t.loc["Z", "oe_ci_high"]) == pytest.approx((lo, hi))
    assert t.loc["Z", "citl"] == pytest.approx(ppit.calibration_in_the_large_and_slope(p[z], y[z]).intercept)
    assert t.loc["Z", "citl_ci_low"] > 0  # the shift is detected
    assert t.loc["X", "citl_ci_low"] < 0 < t.loc["X", "citl_ci_high"]
    assert abs(t.loc["Z", "citl"] - 0.7) < 0.3
    assert r.plot().get_xlabel().startswith("Observed")


def test_differential_prediction_matches_statsmodels_and_detects_intercept_shift():
    rng = np.random.default_rng(2)
    n = 1200
    g = rng.choice(["ref", "b", "c"], n, p=[0.5, 0.3, 0.2])
    s = rng.normal(size=n)
    lp = -0.5 + 1.0 * s + 0.8 * (g == "b")  # same slope, higher intercept in b
    y = (rng.random(n) < 1 / (1 + np.exp(-lp))).astype(int)
    r = ppit.differential_prediction(s, y, g, reference="ref")
    d = pd.DataFrame({"y": y, "s": s, "g": pd.Categorical(g, categories=["ref", "b", "c"])})
    m0 = smf.logit("y ~ s", d).fit(disp=0)
    m1 = smf.logit("y ~ s + g", d).fit(disp=0)
    m2 = smf.logit("y ~ s * g", d).fit(disp=0)
    assert r.slope_lr == pytest.approx(2 * (m2.llf - m1.llf), rel=1e-6)
    assert r.intercept_lr == pytest.approx(2 * (m1.llf - m0.llf), rel=1e-6)
    assert r.overall_df == 4 and r.slope_df == 2
    assert r.intercept_p_value < 1e-4
    assert r.slope_p_value > 0.01
    coef = r.coefficients()
    assert abs(coef.loc["group[b]", "estimate"] - 0.8) < 0.35
    assert coef.loc["score:group[b]", "ci_low"] < 0 < coef.loc["score:group[b]", "ci_high"]
    assert r.table().loc["slopes", "df"] == 2
    assert r.plot().get_ylabel().startswith("Predicted")


def test_differential_prediction_coefficients_match_one_joint_logistic_model_with_many_groups():
    # fitted group by group (no n x 2k design), the models are the joint logistic regressions
    rng = np.random.default_rng(5)
    n, k = 6000, 25
    g = rng.integers(0, k, n).astype(str)
    s = rng.normal(size=n)
    lp = -0.4 + 0.9 * s + 0.05 * rng.normal(size=k)[g.astype(int)]
    y = (rng.random(n) < 1 / (1 + np.exp(-lp))).astype(int)
    r = ppit.differential_prediction(s, y, g, reference="0", min_count=5)
    cats = ["0", *sorted(set(g) - {"0"})]
    d = pd.DataFrame({"y": y, "s": s, "g": pd.Categorical(g, categories=cats)})
    m0 = smf.logit("y ~ s", d).fit(disp=0)
    m1 = smf.logit("y ~ s + g", d).fit(disp=0)
    m2 = smf.logit("y ~ s * g", d).fit(disp=0)
    assert r.slope_lr == pytest.approx(2 * (m2.llf - m1.llf), rel=1e-6)
    assert r.intercept_lr == pytest.approx(2 * (m1.llf - m0.llf), rel=1e-6)
    assert r.overall_df == 2 * (k - 1)
    coef = r.coefficients()
    names = {"intercept": "Intercept", "score": "s", **{f"group[{c}]": f"g[T.{c}]" for c in cats[1:]},
             **{f"score:group[{c}]": f"s:g[T.{c}]" for c in cats[1:]}}
    for ours, theirs in names.items():
        assert coef.loc[ours, "estimate"] == pytest.approx(m2.params[theirs], rel=1e-6, abs=1e-9)
        assert coef.loc[ours, "se"] == pytest.approx(m2.bse[theirs], rel=1e-6)


def test_differential_prediction_test_size_under_the_null():
    rng = np.random.default_rng(3)
    rejections = 0
    reps = 100
    for _ in range(reps):
        g = rng.choice(["a", "b"], 300)
        s = rng.normal(size=300)
        y = (rng.random(300) < 1 / (1 + np.exp(-(s - 0.3)))).astype(int)
        rejections += ppit.differential_prediction(s, y, g).overall_p_value < 0.05
    assert 0.01 <= rejections / reps <= 0.11


# ---- incremental value -------------------------------------------------------------------


def test_nri_idi_by_hand():
    y = np.array([1, 1, 1, 0, 0, 0, 0])
    old = np.array([0.5, 0.4, 0.3, 0.3, 0.2, 0.4, 0.1])
    new = np.array([0.6, 0.4, 0.2, 0.2, 0.3, 0.3, 0.05])
    t = ppit.nri_idi(old, new, y)
    # events: up 1, down 1, same 1 -> 0; non-events: down 3, up 1 -> 2/4
    assert t.loc["nri_events", "estimate"] == pytest.approx(0.0)
    assert t.loc["nri_nonevents", "estimate"] == pytest.approx(0.5)
    assert t.loc["nri", "estimate"] == pytest.approx(0.5)
    var_e = (1 / 3 + 1 / 3 - 0) / 3
    var_n = (1 / 4 + 3 / 4 - 0.5**2) / 4
    assert t.loc["nri", "se"] == pytest.approx(np.sqrt(var_e + var_n))
    de, dn = (new - old)[y == 1], (new - old)[y == 0]
    assert t.loc["idi", "estimate"] == pytest.approx(de.mean() - dn.mean())
    assert t.loc["idi", "se"] == pytest.approx(np.sqrt(de.var(ddof=1) / 3 + dn.var(ddof=1) / 4))


def test_incremental_value_against_statsmodels_and_recovery():
    rng = np.random.default_rng(4)
    n = 800
    prior = rng.poisson(2, n)
    ppit_total = rng.normal(size=n)
    lp = -1 + 0.3 * prior + 0.7 * ppit_total
    y = (rng.random(n) < 1 / (1 + np.exp(-lp))).astype(int)
    r = ppit.incremental_value(y, pd.DataFrame({"prior": prior}), pd.Series(ppit_total, name="ppit"))
    d = pd.DataFrame({"y": y, "prior": prior, "ppit": ppit_total})
    base = smf.logit("y ~ prior", d).fit(disp=0)
    full = smf.logit("y ~ prior + ppit", d).fit(disp=0)
    assert r.lr_statistic == pytest.approx(2 * (full.llf - base.llf), rel=1e-6)
    assert r.lr_p_value < 1e-10
    assert r.added_coefficients.loc["ppit", "log_odds_ratio"] == pytest.approx(full.params["ppit"], rel=1e-6)
    assert abs(r.added_coefficients.loc["ppit", "log_odds_ratio"] - 0.7) < 0.2
    assert r.auc_base == pytest.approx(ppit.auc(base.predict(d), y).estimate, abs=1e-9)
    assert r.auc_full > r.auc_base
    assert r.auc_test.difference == pytest.approx(r.auc_full - r.auc_base)
    t = r.table()
    assert t.loc["likelihood_ratio", "df"] == 1
    assert t.loc["nri", "estimate"] > 0 and t.loc["idi", "estimate"] > 0
    assert r.plot().get_xlabel().startswith("1 - specificity")


def test_incremental_value_size_under_the_null_and_empty_base():
    rng = np.random.default_rng(6)
    rejections = 0
    for _ in range(100):
        prior = rng.poisson(2, 300)
        y = (rng.random(300) < 1 / (1 + np.exp(-(-1 + 0.4 * prior)))).astype(int)
        noise = pd.Series(rng.normal(size=300), name="ppit")
        r = ppit.incremental_value(y, pd.DataFrame({"prior": prior}), noise, reclassification=False)
        rejections += r.lr_p_value < 0.05
    assert 0.01 <= rejections / 100 <= 0.11
    y = rng.integers(0, 2, 200)
    empty = ppit.incremental_value(y, pd.DataFrame(index=range(200)), pd.Series(rng.normal(size=200)))
    assert empty.auc_base == 0.5
    with pytest.raises(ValueError, match="not numeric"):
        ppit.incremental_value(y, pd.DataFrame({"sex": ["m"] * 200}), pd.Series(rng.normal(size=200)))
