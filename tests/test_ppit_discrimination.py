"""AUC, DeLong variance and the paired DeLong test: reference values, brute force, recovery."""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from foundation_eval import ppit


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


DATA = Path(__file__).parent / "data"

# Hanley & McNeil (1982), Radiology 143:29-36, Table I: CT ratings (1 = definitely normal ...
# 5 = definitely abnormal) of 58 normal and 51 abnormal patients.
HM_NORMAL = [33, 6, 6, 11, 2]
HM_ABNORMAL = [3, 2, 2, 11, 33]


def hanley_mcneil():
    scores = np.r_[np.repeat(np.arange(1, 6), HM_NORMAL), np.repeat(np.arange(1, 6), HM_ABNORMAL)]
    outcomes = np.r_[np.zeros(58, int), np.ones(51, int)]
    return scores, outcomes


def brute_force_delong(scores: np.ndarray, y: np.ndarray):
    """O(m n) DeLong et al. (1988): placement values psi(X_i, Y_j) summed pair by pair."""
    s = np.atleast_2d(scores)
    k = s.shape[0]
    pos, neg = s[:, y == 1], s[:, y == 0]
    m, n = pos.shape[1], neg.shape[1]
    v10 = np.zeros((k, m))
    v01 = np.zeros((k, n))
    for r in range(k):
        for i in range(m):
            for j in range(n):
                psi = 1.0 if pos[r, i] > neg[r, j] else (0.5 if pos[r, i] == neg[r, j] else 0.0)
                v10[r, i] += psi / n
                v01[r, j] += psi / m
    aucs = v10.mean(axis=1)
    s10 = np.array([[np.sum((v10[a] - aucs[a]) * (v10[b] - aucs[b])) / (m - 1) for b in range(k)]
                    for a in range(k)])
    s01 = np.array([[np.sum((v01[a] - aucs[a]) * (v01[b] - aucs[b])) / (n - 1) for b in range(k)]
                    for a in range(k)])
    return aucs, s10 / m + s01 / n


def test_hanley_mcneil_1982_published_area_and_standard_error():
    s, y = hanley_mcneil()
    # Hanley & McNeil (1982): area W = 0.893, SE(W) = 0.032 (their worked example).
    hm = ppit.auc(s, y, method="hanley_mcneil")
    assert round(hm.estimate, 3) == 0.893
    assert round(hm.se, 3) == 0.032


def test_delong_on_hanley_mcneil_data_matches_stata_roctab():
    s, y = hanley_mcneil()
    r = ppit.auc(s, y)
    # Stata [R] roctab manual, example on hanley.dta (the same 109 ratings): ROC area 0.8932,
    # Std. Err. 0.0307 (DeLong), asymptotic normal 95% CI 0.83295 to 0.95339.
    assert r.estimate == pytest.approx(0.8932, abs=5e-5)
    assert r.se == pytest.approx(0.0307, abs=5e-5)
    assert r.ci_low == pytest.approx(0.83295, abs=5e-6)
    assert r.ci_high == pytest.approx(0.95339, abs=5e-6)
    assert (r.n, r.n_events, r.n_nonevents) == (109, 51, 58)
    assert list(r.table().columns[:4]) == ["estimate", "se", "ci_low", "ci_high"]


def test_fast_delong_equals_brute_force_with_ties():
    s, y = hanley_mcneil()
    aucs, cov = ppit.delong_covariance(s, y)
    ref_aucs, ref_cov = brute_force_delong(s.astype(float), y)
    assert aucs[0] == pytest.approx(ref_aucs[0], abs=1e-12)
    assert cov[0, 0] == pytest.approx(ref_cov[0, 0], rel=1e-10)


def test_paired_delong_on_delong_1988_ovarian_data_equals_brute_force():
    # DeLong, DeLong & Clarke-Pearson (1988) data as printed in the SAS/STAT PROC LOGISTIC
    # documentation (43 complete records; popind = 1 benefits from surgery).
    d = pd.read_csv(DATA / "ppit_delong1988_ovarian.csv")
    assert d.shape == (43, 4) and d["popind"].sum() == 31
    s = d[["alb", "tp", "totscore"]].to_numpy().T
    y = d["popind"].to_numpy()
    aucs, cov = ppit.delong_covariance(s, y)
    ref_aucs, ref_cov = brute_force_delong(s, y)
    np.testing.assert_allclose(aucs, ref_aucs, atol=1e-12)
    np.testing.assert_allclose(cov, ref_cov, rtol=1e-10, atol=1e-15)
    t = ppit.delong_test(d["alb"], d["totscore"], y)
    var = ref_cov[0, 0] + ref_cov[2, 2] - 2 * ref_cov[0, 2]
    assert t.difference == pytest.approx(ref_aucs[0] - ref_aucs[2], abs=1e-12)
    assert t.se == pytest.approx(np.sqrt(var), rel=1e-10)
    assert t.z == pytest.approx((ref_aucs[0] - ref_aucs[2]) / np.sqrt(var), rel=1e-10)
    assert t.p_value == pytest.approx(2 * stats.norm.sf(abs(t.z)), rel=1e-12)
    assert t.ci_low == pytest.approx(t.difference - 1.959964 * t.se, abs=1e-6)
    assert t.table().loc["a - b", "auc"] == pytest.approx(t.difference)


def test_auc_is_the_mann_whitney_statistic_and_roc_curve_is_right():
    rng = np.random.default_rng(1)
    s = np.round(rng.normal(size=80), 1)
    y = rng.integers(0, 2, 80)
    r = ppit.auc(s, y)
    u = stats.mannwhitneyu(s[y == 1], s[y == 0]).statistic
    assert r.estimate == pytest.approx(u / (y.sum() * (80 - y.sum())), abs=1e-12)
    roc = r.roc()
    assert roc.iloc[0][["fpr", "tpr"]].tolist() == [0.0, 0.0]
    assert roc.iloc[-1][["fpr", "tpr"]].tolist() == [1.0, 1.0]
    # trapezoidal area under the empirical curve equals the Mann-Whitney AUC (ties = 1/2)
    assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(r.estimate, abs=1e-12)
    # reversing the score gives 1 - AUC with the same standard error
    rev = ppit.auc(-s, y)
    assert rev.estimate == pytest.approx(1 - r.estimate, abs=1e-12)
    assert rev.se == pytest.approx(r.se, rel=1e-10)


def test_hand_computed_small_example():
    # events score 3, 2, 2; non-events 1, 2: pairs (3>1,3>2,2>1,2=2,2>1,2=2) -> (5 + 2*0.5)/6
    r = ppit.auc([3, 2, 2, 1, 2], [1, 1, 1, 0, 0])
    assert r.estimate == pytest.approx(5 / 6, abs=1e-12)


def test_logit_and_bootstrap_intervals():
    s, y = hanley_mcneil()
    w = ppit.auc(s, y)
    lg = ppit.auc(s, y, ci="logit")
    centre = np.log(w.estimate / (1 - w.estimate))
    half = 1.959964 * w.se / (w.estimate * (1 - w.estimate))
    assert lg.ci_low == pytest.approx(1 / (1 + np.exp(-(centre - half))), abs=1e-6)
    assert lg.ci_high == pytest.approx(1 / (1 + np.exp(-(centre + half))), abs=1e-6)
    assert lg.ci_high < 1
    b = ppit.auc(s, y, method="bootstrap", n_boot=1000, seed=3)
    assert b.ci_scale == "percentile"
    assert b.se == pytest.approx(w.se, rel=0.15)  # bootstrap and DeLong agree to ~10%
    assert b.ci_low < w.estimate < b.ci_high
    again = ppit.auc(s, y, method="bootstrap", n_boot=1000, seed=3)
    assert (again.ci_low, again.ci_high) == (b.ci_low, b.ci_high)


def test_plot_returns_axes():
    s, y = hanley_mcneil()
    ax = ppit.auc(s, y).plot()
    assert ax.get_xlabel().startswith("1 - specificity")
    assert len(ax.lines) == 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"scores": [1, 2, 3], "outcomes": [0, 1, 2]}, "binary"),
        ({"scores": [1, 2, 3], "outcomes": [1, 1, 1]}, "both 0 and 1"),
        ({"scores": [1, 2, np.nan], "outcomes": [0, 1, 1]}, "missing"),
        ({"scores": [1, 2], "outcomes": [0, 1, 1]}, "same length"),
        ({"scores": [1, 2, 3], "outcomes": [0, 1, 1], "method": "exact"}, "method"),
        ({"scores": [1, 2, 3], "outcomes": [0, 1, 1], "level": 95}, "level"),
    ],
)
def test_input_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ppit.auc(**kwargs)


def test_binormal_recovery_and_coverage_of_delong_interval():
    # Scores N(0,1) in non-events and N(d,1) in events: population AUC = Phi(d / sqrt(2)).
    d = 0.8
    truth = stats.norm.cdf(d / np.sqrt(2))
    rng = np.random.default_rng(2024)
    reps, m, n = 200, 60, 120
    covered, estimates = 0, []
    for _ in range(reps):
        s = np.r_[rng.normal(d, 1, m), rng.normal(0, 1, n)]
        y = np.r_[np.ones(m, int), np.zeros(n, int)]
        r = ppit.auc(s, y)
        estimates.append(r.estimate)
        covered += r.ci_low <= truth <= r.ci_high
    assert abs(np.mean(estimates) - truth) < 0.01  # unbiased (Mann-Whitney is a U-statistic)
    assert 0.92 <= covered / reps <= 0.98
    # one large sample: the interval covers the truth and is narrow
    s = np.r_[rng.normal(d, 1, 2000), rng.normal(0, 1, 2000)]
    y = np.r_[np.ones(2000, int), np.zeros(2000, int)]
    big = ppit.auc(s, y)
    assert big.ci_low <= truth <= big.ci_high
    assert big.ci_high - big.ci_low < 0.04


def test_delong_test_size_and_power():
    rng = np.random.default_rng(7)
    y = np.r_[np.ones(150, int), np.zeros(150, int)]
    latent = np.r_[rng.normal(0.8, 1, 150), rng.normal(0, 1, 150)]
    # two noisy readings of the same latent score: equal AUCs, correlated estimates
    a = latent + rng.normal(0, 0.5, 300)
    b = latent + rng.normal(0, 0.5, 300)
    same = ppit.delong_test(a, b, y)
    assert same.correlation > 0.5
    assert same.p_value > 0.05
    # a much noisier reading is detectably worse
    c = latent + rng.normal(0, 3, 300)
    worse = ppit.delong_test(a, c, y)
    assert worse.difference > 0.1 and worse.p_value < 0.01
