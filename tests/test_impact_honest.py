"""Rambachan & Roth (2023) sensitivity analysis against the R package HonestDiD.

References (tests/data/impact_DATA_SOURCES.md says where each file comes from):

* [README] HonestDiD README, Medicaid expansion example (``ehec_data``, TWFE event study with
  ``fixest::feols(dins ~ i(year, D, ref = 2013) | stfips + year, cluster = "stfips")``, years < 2016,
  the 2015 cohort dropped; 5 pre-periods, 2 post-periods). Two printed versions:
  - README of commit 9f8379b (2023-10-26) and before: Delta^RM, first post-period,
    Mbar = 0.5, 1, 1.5, 2 -> [0.0240, 0.0672], [0.0170, 0.0720], [0.00824, 0.0797], [-0.000916, 0.0881];
  - README of commit 6813f02 (current): [0.0241, 0.0673], [0.0171, 0.0720], [0.00859, 0.0796],
    [-0.00107, 0.0883]; Delta^SD (FLCI), M = 0, 0.01, ..., 0.05 -> [0.0259, 0.0607], [0.0132, 0.0787],
    [0.00286, 0.0907], [-0.00714, 0.101], [-0.0171, 0.111], [-0.0271, 0.121]; the same with a control
    variable: [0.0264, 0.0607], [0.0128, 0.0788], [0.00186, 0.0908], [-0.00814, 0.101], [-0.0181, 0.111],
    [-0.0281, 0.121]; breakdown "Mbar = 2" and "M ~ 0.03" (the first grid values whose set contains zero).
* [CACHE] The same README's knitr cache (``README_cache/gfm``), which stores the results at full
  precision: Delta^RM for Mbar = 0, ..., 2 (the run printed in the 2023 README), Delta^SD, the
  original interval for the average of the two post-periods (0.04036995251077609, 0.07528307712819136)
  and the event study with the control (betahat, sigma).
* [VIGNETTE] ``data(VignetteResults)`` of the package's former vignette: Benzarti & Carloni (2019)
  original interval [0.15877494280765034, 0.23314729268124126]; Lovenheim & Willen (2019) Delta^SD FLCI
  for 15 years of exposure, M = 0, 0.005, ..., 0.04 (computed by an older version of the package).
* R's generator: ``set.seed(0); rnorm(3)`` = 1.2629543, -0.3262334, 1.3297993; ``set.seed(42); rnorm(3)``
  = 1.3709584, -0.5646982, 0.3631284; ``set.seed(0); runif(3)`` = 0.8966972, 0.2655087, 0.3721239.
"""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from foundation_eval.impact import HonestDiDResult, fixed_length_ci, honest_did, original_ci
from foundation_eval.impact import honest as honest_module
from foundation_eval.impact._rrng import r_rnorm, r_uniform

matplotlib.use("Agg")

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "impact_sensitivity_reference.json").read_text())


def _printed_tolerance(value: float) -> float:
    """Half a unit in the last of the three significant digits R's tibble prints."""
    exponent = int(np.floor(np.log10(abs(value))))
    return 0.5 * 10.0 ** (exponent - 2)


def _medicaid_event_study(with_control: bool = False):
    """The README's TWFE event study: coefficients and fixest's clustered covariance.

    fixest's default small-sample correction for clustered errors: G/(G-1) * (n-1)/(n-K) with K the
    event-study coefficients plus the year effects plus one, the state effects being nested in the
    clusters (``ssc(adj = TRUE, fixef.K = "nested", cluster.adj = TRUE)``).
    """
    if with_control:
        c = REF["honestdid_readme_cache"]
        return np.array(c["controls_betahat"]), np.array(c["controls_sigma"])
    df = pd.read_csv(DATA / "impact_ehec.csv")
    df = df[(df.year < 2016) & (df.yexp2.isna() | (df.yexp2 != 2015))].copy()
    treated = (df.yexp2 == 2014).to_numpy()
    years = [y for y in sorted(df.year.unique()) if y != 2013]
    x = np.column_stack([((df.year == y).to_numpy() & treated).astype(float) for y in years])
    fe = np.column_stack([pd.get_dummies(df.stfips).to_numpy(float), pd.get_dummies(df.year).to_numpy(float)[:, 1:]])
    y = df.dins.to_numpy(float)
    xr = x - fe @ np.linalg.lstsq(fe, x, rcond=None)[0]
    yr = y - fe @ np.linalg.lstsq(fe, y, rcond=None)[0]
    bread = np.linalg.inv(xr.T @ xr)
    beta = bread @ xr.T @ yr
    e = yr - xr @ beta
    groups = df.stfips.to_numpy()
    scores = np.array([xr[groups == g].T @ e[groups == g] for g in np.unique(groups)])
    n, n_clusters, k = len(y), len(scores), x.shape[1] + (len(years)) + 1
    sigma = bread @ (scores.T @ scores) @ bread * n_clusters / (n_clusters - 1) * (n - 1) / (n - k)
    return beta, sigma


@pytest.fixture(scope="module")
def medicaid():
    return _medicaid_event_study()


# ------------------------------------------------------------------------------ R's random numbers
def test_r_generator_reproduces_set_seed():
    np.testing.assert_allclose(r_rnorm(3, 0), [1.2629543, -0.3262334, 1.3297993], atol=5e-8)  # set.seed(0)
    np.testing.assert_allclose(r_rnorm(3, 42), [1.3709584, -0.5646982, 0.3631284], atol=5e-8)  # set.seed(42)
    np.testing.assert_allclose(r_uniform(3, 0), [0.8966972, 0.2655087, 0.3721239], atol=5e-8)  # set.seed(0)


# ------------------------------------------------------------------------------------ the inputs
def test_event_study_and_original_interval_match_the_readme_cache(medicaid):
    b, s = medicaid
    est, se, lo, hi = original_ci(b, s, 5, 2, l_vec="average")
    assert lo == pytest.approx(0.04036995251077609, abs=1e-10)  # [CACHE] originalResults_avg lb
    assert hi == pytest.approx(0.07528307712819136, abs=1e-10)  # [CACHE] originalResults_avg ub


def test_original_interval_benzarti_carloni():
    bc = REF["honestdid_bc"]
    _, _, lo, hi = original_ci(bc["betahat"], bc["sigma"], 4, 4)
    assert lo == pytest.approx(bc["vignette_original"]["lb"], abs=1e-12)  # [VIGNETTE] 0.15877494280765034
    assert hi == pytest.approx(bc["vignette_original"]["ub"], abs=1e-12)  # [VIGNETTE] 0.23314729268124126


# -------------------------------------------------------------------------- relative magnitudes
def test_relative_magnitudes_match_the_package_to_full_precision(medicaid):
    b, s = medicaid
    ref = REF["honestdid_readme_cache"]["rm_first_post"]
    r = honest_did(b, s, 5, 2, restriction="relative_magnitudes", grid=ref["Mbar"])
    # [CACHE] Mbar = 0, 0.5, 1, 1.5, 2: lb 0.0287656, 0.0240019, 0.0170395, 0.0082449, -0.0009161
    np.testing.assert_allclose(r.lower, ref["lb"], atol=1e-9)
    # [CACHE] ub 0.0643104, 0.0672420, 0.0720057, 0.0797010, 0.0881291
    np.testing.assert_allclose(r.upper, ref["ub"], atol=1e-9)
    assert r.method == "C-LF" and r.parameter == "Mbar"


def test_relative_magnitudes_match_the_printed_readme(medicaid):
    b, s = medicaid
    r = honest_did(b, s, 5, 2, grid=[0.5, 1.0, 1.5, 2.0])
    printed = [(0.0240, 0.0672), (0.0170, 0.0720), (0.00824, 0.0797), (-0.000916, 0.0881)]  # [README] 2023
    for (lo, hi), ours_lo, ours_hi in zip(printed, r.lower, r.upper, strict=True):
        assert abs(ours_lo - lo) <= _printed_tolerance(lo)
        assert abs(ours_hi - hi) <= _printed_tolerance(hi)
    # [README] "the breakdown value for a significant effect is Mbar = 2": the set excludes zero at 1.5
    # and contains it at 2
    assert list(r.table()["excludes_zero"]) == [True, True, True, False]
    assert 1.5 < r.breakdown < 2.0
    assert r.breakdown == pytest.approx(1.94, abs=0.01)


def test_relative_magnitudes_current_readme_within_one_grid_step(medicaid):
    """The current README was knitted with a theta grid we could not reconstruct (its endpoints are
    not points of the +-20 SE grid the code sets); it agrees with ours to one grid step."""
    b, s = medicaid
    ref = REF["honestdid_readme_cache"]["rm_first_post_current"]
    r = honest_did(b, s, 5, 2, grid=ref["Mbar"])
    step = 40 * r.se / 999
    printed_lb = [0.0241, 0.0171, 0.00859, -0.00107]  # [README] current
    printed_ub = [0.0673, 0.0720, 0.0796, 0.0883]
    np.testing.assert_allclose(r.lower, printed_lb, atol=step)
    np.testing.assert_allclose(r.upper, printed_ub, atol=step)
    np.testing.assert_allclose(r.lower, ref["lb"], atol=step)  # [CACHE] same run at full precision
    np.testing.assert_allclose(r.upper, ref["ub"], atol=step)


def test_relative_magnitudes_linear_programs_agree_with_vertex_enumeration(medicaid, monkeypatch):
    b, s = medicaid
    fast = honest_did(b, s, 5, 2, grid=[1.5], l_vec="average", grid_points=300)
    monkeypatch.setattr(honest_module, "_MAX_VERTEX_SUBSETS", 0)  # force HiGHS and the bisection
    slow = honest_did(b, s, 5, 2, grid=[1.5], l_vec="average", grid_points=300)
    np.testing.assert_allclose(slow.lower, fast.lower, atol=1e-12)
    np.testing.assert_allclose(slow.upper, fast.upper, atol=1e-12)


# ------------------------------------------------------------------------------------ smoothness
def test_smoothness_flci_matches_the_printed_readme(medicaid):
    """R simulates the folded-normal quantile from 10^6 draws (0.12% above the exact 1.95996 at
    M = 0); we use the exact quantile, so the stated tolerance is half a printed unit plus 5e-5."""
    b, s = medicaid
    r = honest_did(b, s, 5, 2, restriction="smoothness", grid=[0.0, 0.01, 0.02, 0.03, 0.04, 0.05])
    printed = [(0.0259, 0.0607), (0.0132, 0.0787), (0.00286, 0.0907), (-0.00714, 0.101), (-0.0171, 0.111),
               (-0.0271, 0.121)]  # [README]
    for (lo, hi), ours_lo, ours_hi in zip(printed, r.lower, r.upper, strict=True):
        assert abs(ours_lo - lo) <= _printed_tolerance(lo) + 5e-5
        assert abs(ours_hi - hi) <= _printed_tolerance(hi) + 5e-5
    # [README] "the breakdown value for a significant effect is M ~ 0.03": between 0.02 and 0.03
    assert 0.02 < r.breakdown < 0.03
    assert r.method == "FLCI"


def test_smoothness_flci_with_rs_simulated_quantile_matches_the_cache(medicaid):
    """With R's own 10^6 draws for the quantile, our optimal estimator reproduces the package: to 1e-11
    where the optimum is the minimum-bias estimator (M >= 0.02), to 1e-5 otherwise (R's conic solver)."""
    b, s = medicaid
    ref = REF["honestdid_readme_cache"]["sd_first_post"]
    draws = r_rnorm(10**6, 0)
    for m, lo, hi in zip(ref["M"], ref["lb"], ref["ub"], strict=True):
        f = fixed_length_ci(b, s, 5, 2, m=m)
        chi = f.se * np.quantile(np.abs(draws + f.max_bias / f.se), 0.95)
        tol = 1e-11 if m >= 0.02 else 1e-5
        assert f.estimate - chi == pytest.approx(lo, abs=tol)  # [CACHE] delta_sd_results lb
        assert f.estimate + chi == pytest.approx(hi, abs=tol)  # [CACHE] delta_sd_results ub


def test_smoothness_flci_with_a_control_matches_the_printed_readme():
    b, s = _medicaid_event_study(with_control=True)
    r = honest_did(b, s, 5, 2, restriction="smoothness", grid=[0.0, 0.01, 0.02, 0.03, 0.04, 0.05])
    printed = [(0.0264, 0.0607), (0.0128, 0.0788), (0.00186, 0.0908), (-0.00814, 0.101), (-0.0181, 0.111),
               (-0.0281, 0.121)]  # [README] regressions with controls
    for (lo, hi), ours_lo, ours_hi in zip(printed, r.lower, r.upper, strict=True):
        assert abs(ours_lo - lo) <= _printed_tolerance(lo) + 5e-5
        assert abs(ours_hi - hi) <= _printed_tolerance(hi) + 5e-5


def test_smoothness_flci_long_event_study_lovenheim_willen():
    """23 post-periods, the effect 17 periods after the reference period; the vignette's older FLCI
    (grid search over the standard deviation, simulated quantile) agrees to 0.5% of the length."""
    lw = REF["honestdid_lw"]
    ref = lw["vignette_deltasd"]
    l_vec = np.zeros(lw["num_post"])
    l_vec[lw["l_index"] - 1] = 1.0
    r = honest_did(lw["betahat"], lw["sigma"], lw["num_pre"], lw["num_post"], restriction="smoothness",
                   grid=ref["M"], l_vec=l_vec)
    length = np.asarray(ref["ub"]) - np.asarray(ref["lb"])
    # [VIGNETTE] M = 0: [3.905, 8.375]; M = 0.01: [-0.083, 8.191]; M = 0.04: [-14.104, 5.384]
    assert np.all(np.abs(r.lower - np.asarray(ref["lb"])) <= 0.005 * length)
    assert np.all(np.abs(r.upper - np.asarray(ref["ub"])) <= 0.005 * length)


def test_flci_at_zero_is_the_minimum_variance_linear_extrapolation():
    # one pre-period: delta_1 = -delta_{-1} under a linear trend through delta_0 = 0
    r = fixed_length_ci([-0.1, 0.5], [[1.0, 0.3], [0.3, 1.0]], num_pre=1, num_post=1, m=0.0)
    np.testing.assert_allclose(r.weights, [1.0, 1.0])
    assert r.se == pytest.approx(np.sqrt(2.6))
    assert r.half_length == pytest.approx(1.959963984540054 * np.sqrt(2.6))


def test_flci_half_length_grows_with_m_and_the_bias_bound_is_linear_in_m(medicaid):
    b, s = medicaid
    halves = [fixed_length_ci(b, s, 5, 2, m=m).half_length for m in (0.0, 0.005, 0.01, 0.02, 0.04)]
    assert np.all(np.diff(halves) > 0)
    # at large M the optimum is the minimum-bias estimator: its bias is M times a constant
    r1, r2 = fixed_length_ci(b, s, 5, 2, m=0.04), fixed_length_ci(b, s, 5, 2, m=0.08)
    assert r2.max_bias == pytest.approx(2 * r1.max_bias, rel=1e-9)


# ------------------------------------------------------------------------------------ recovery
def test_recovery_flci_at_m_zero_covers_under_a_linear_pre_trend():
    """Linear difference in trends of slope 0.15 per period: the original interval is biased by
    0.15 (coverage about 68%), the FLCI at M = 0 extrapolates the line and covers at about 95%."""
    rng = np.random.default_rng(20231026)
    times = np.r_[np.arange(-4, 0), np.arange(1, 4)].astype(float)
    idx = np.arange(times.size)
    sigma = 0.01 * 0.4 ** np.abs(idx[:, None] - idx[None, :])
    tau = np.r_[np.zeros(4), 0.2, 0.25, 0.3]
    beta = tau + 0.15 * times
    draws = rng.multivariate_normal(beta, sigma, size=600)
    f = fixed_length_ci(beta, sigma, 4, 3, m=0.0)  # the weights depend on sigma only
    est = draws @ f.weights
    coverage = np.mean(np.abs(est - 0.2) <= f.half_length)
    assert 0.93 <= coverage <= 0.97  # nominal 95%; 600 draws give a standard error of 0.009
    assert abs(est.mean() - 0.2) < 3 * f.se / np.sqrt(len(est))  # unbiased under the linear trend
    z = 1.959963984540054 * np.sqrt(sigma[4, 4])
    naive = np.mean(np.abs(draws[:, 4] - 0.2) <= z)
    assert naive < 0.8
    # the robust interval at M = 0 excludes zero as often as the true effect is detected
    assert np.mean(est - f.half_length > 0) > 0.5


def test_recovery_relative_magnitudes_cover_at_the_worst_case_violation():
    """delta on the boundary of Delta^RM(1): pre-period changes 0.1, 0.1, 0; post-period changes 0.1
    (the largest allowed, pushing the first post-period estimate up). The C-LF set for Mbar = 1 covers
    the true effect in about 95% of draws or more (R&R 2023, Proposition 4.1). The moments and the least
    favourable critical values depend on sigma only, so they are built once and reused for each draw."""
    rng = np.random.default_rng(7)
    idx = np.arange(5)
    sigma = 0.01 * 0.3 ** np.abs(idx[:, None] - idx[None, :])
    delta = np.array([-0.20, -0.10, 0.0, 0.10, 0.20])
    tau = np.array([0.0, 0.0, 0.0, 0.2, 0.2])
    pieces = honest_module._rm_pieces(tau + delta, sigma, 3, 2, np.array([1.0, 0.0]), 1.0, 0.05, 1000, 0)
    covered, excludes_zero = [], []
    for draw in rng.multivariate_normal(tau + delta, sigma, size=300):
        for p in pieces:
            p.y0 = p.a @ draw
        covered.append(any(p.accepts(np.array([0.2]))[0] for p in pieces))
        excludes_zero.append(not any(p.accepts(np.array([0.0]))[0] for p in pieces))
    assert np.mean(covered) >= 0.93  # nominal 95%; 300 draws give a standard error of 0.013
    naive = rng.multivariate_normal(tau + delta, sigma, size=2000)[:, 3]
    assert np.mean(np.abs(naive - 0.2) <= 1.959963984540054 * 0.1) < 0.88  # biased by one standard error
    assert np.mean(excludes_zero) > 0.05  # and the robust set still has some power against zero


# ------------------------------------------------------------------------------ result and input
def test_result_table_plot_and_sentence(medicaid):
    b, s = medicaid
    r = honest_did(b, s, 5, 2, restriction="smoothness", grid=[0.0, 0.01, 0.02, 0.03])
    assert isinstance(r, HonestDiDResult)
    t = r.table()
    assert list(t.columns) == ["M", "lb", "ub", "method", "restriction", "excludes_zero"]
    assert list(t["excludes_zero"]) == [True, True, True, False]
    with pytest.raises(AttributeError):
        r.breakdown = 1.0
    with pytest.raises(ValueError):
        r.lower[0] = 0.0
    ax = r.plot()
    assert ax.get_xlabel() == "M" and len(ax.containers) == 2
    sentence = r.summary_sentence()
    assert "0.046" in sentence and "0.023" in sentence and "FLCI" in sentence
    import matplotlib.pyplot as plt

    plt.close("all")


def test_breakdown_is_nan_when_the_original_interval_contains_zero():
    s = np.diag([0.01, 0.01, 0.01])
    r = honest_did([0.0, 0.0, 0.05], s, 2, 1, restriction="smoothness", grid=[0.0, 0.1])
    assert np.isnan(r.breakdown)
    assert "not distinguishable from zero" in r.summary_sentence()


def test_breakdown_beyond_the_grid_is_searched_for():
    s = np.diag([0.01, 0.01, 0.01])
    r = honest_did([0.0, 0.0, 1.0], s, 2, 1, restriction="smoothness", grid=[0.0, 0.01])
    assert r.breakdown > 0.01
    wider = honest_did([0.0, 0.0, 1.0], s, 2, 1, restriction="smoothness", grid=np.linspace(0, 1, 11))
    assert r.breakdown == pytest.approx(wider.breakdown, abs=2e-3)


def test_default_grids_follow_the_package(medicaid):
    b, s = medicaid
    r = honest_did(b, s, 5, 2, restriction="smoothness")
    assert r.grid.size == 10 and r.grid[0] == 0.0 and r.grid[-1] > 0
    rm_grid = honest_module._default_grid(b, s, 5, "relative_magnitudes")
    np.testing.assert_allclose(rm_grid, np.linspace(0, 2, 10))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_pre": 4}, "betahat has 7 coefficients"),
        ({"restriction": "sign"}, "restriction must be one of"),
        ({"grid": [-0.1]}, "non-negative"),
        ({"l_vec": [1.0, 0.0, 0.0]}, "l_vec must have num_post = 2"),
        ({"l_vec": "last"}, "l_vec must be None"),
    ],
)
def test_bad_input_is_named(medicaid, kwargs, message):
    b, s = medicaid
    args = {"num_pre": 5, "num_post": 2, "restriction": "smoothness", "grid": [0.0]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        honest_did(b, s, **args)


def test_bad_sigma_is_named(medicaid):
    b, s = medicaid
    bad = s.copy()
    bad[0, 1] += 1.0
    with pytest.raises(ValueError, match="symmetric"):
        original_ci(b, bad, 5, 2)
    with pytest.raises(ValueError, match="must be 7 x 7"):
        original_ci(b, s[:6, :6], 5, 2)
    with pytest.raises(ValueError, match="m must be non-negative"):
        fixed_length_ci(b, s, 5, 2, m=-1.0)


def test_truncated_normal_quantile_is_scipys():
    # the hybrid test's critical value, taken in logs instead of through scipy.stats.truncnorm
    from scipy import stats

    rng = np.random.default_rng(3)
    lo = np.concatenate([rng.normal(0, 4, 400), [35.0, -40.0, 0.0, -np.inf, 5.0, -1e-9]])
    hi = np.concatenate([lo[:400] + np.abs(rng.normal(0, 3, 400)) + 1e-6, [40.0, -35.0, np.inf, -5.0, np.inf, 1e-9]])
    for p in (0.001, 0.05, 0.5, 0.9, 0.95, 0.999):
        ours = np.array([honest_module._truncnorm_quantile(p, a, b) for a, b in zip(lo, hi, strict=True)])
        np.testing.assert_allclose(ours, stats.truncnorm.ppf(p, lo, hi), rtol=1e-12, atol=1e-12)
    assert honest_module._truncnorm_quantile(0.3, 1.0, 1.0) == 1.0  # an empty interval gives its end
