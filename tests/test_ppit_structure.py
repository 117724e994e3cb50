"""Item analysis, alpha, omega and factor-structure comparison."""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from statsmodels.multivariate.factor import Factor

from foundation_eval import ppit


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


DATA = Path(__file__).parent / "data"
HS_GROUPS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
# Shrout & Fleiss (1979) Table 2; the 4 judges used as 4 "items"
SF = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])


@pytest.fixture(scope="module")
def hs():
    # Holzinger & Swineford (1939), the 9-test version shipped with R lavaan (n = 301),
    # copied from the MIT-licensed semopy package's example data.
    return pd.read_csv(DATA / "ppit_holzinger_swineford1939.csv")


def test_three_factor_cfa_matches_lavaan_holzinger_swineford(hs):
    r = ppit.compare_factor_structures(hs, HS_GROUPS)
    fit = r.table().loc["3_correlated_factors"]
    # lavaan tutorial, cfa(HS.model, data = HolzingerSwineford1939), summary(fit.measures = TRUE):
    # Test statistic 85.306, df 24; CFI 0.931; TLI 0.896; loglik -3737.745; AIC 7517.490;
    # BIC 7595.339; RMSEA 0.092; SRMR 0.065.
    assert round(fit["chi2"], 3) == 85.306
    assert fit["df"] == 24 and fit["n_params"] == 21
    assert round(fit["cfi"], 3) == 0.931
    assert round(fit["tli"], 3) == 0.896
    assert round(fit["loglik"], 3) == -3737.745
    assert round(fit["aic"], 3) == 7517.490
    assert round(fit["bic"], 3) == 7595.339
    assert round(fit["rmsea"], 3) == 0.092
    assert round(fit["srmr"], 3) == 0.065
    # Latent variables (marker-scaled): x2 0.554, x3 0.729, x5 1.113, x6 0.926, x8 1.180, x9 1.082;
    # covariances visual~~textual 0.408, visual~~speed 0.262, textual~~speed 0.173;
    # factor variances 0.809, 0.979, 0.384.
    lam = r.loadings()[["visual", "textual", "speed"]].to_numpy()
    sd = np.sqrt(np.diag(np.cov(hs.to_numpy(), rowvar=False, ddof=0)))
    raw = lam * sd[:, None]  # unstandardised loadings with factor variance 1
    markers = raw[[0, 3, 6], [0, 1, 2]]
    rel = raw.sum(axis=1) / np.repeat(markers, 3)
    assert np.round(rel[[1, 2, 4, 5, 7, 8]], 3).tolist() == [0.554, 0.729, 1.113, 0.926, 1.180, 1.082]
    var = markers**2
    assert np.round(var, 3).tolist() == [0.809, 0.979, 0.384]
    phi = r.factor_correlations.to_numpy()
    cov = phi * np.sqrt(np.outer(var, var))
    assert np.round([cov[0, 1], cov[0, 2], cov[1, 2]], 3).tolist() == [0.408, 0.262, 0.173]


def test_omega_by_factor_from_lavaan_published_estimates(hs):
    # omega = (sum lambda)^2 psi / ((sum lambda)^2 psi + sum theta), from the lavaan output:
    # visual: lambda 1, .554, .729; psi .809; theta .549, 1.134, .844 (and so on).
    published = {
        "visual": ([1, 0.554, 0.729], 0.809, [0.549, 1.134, 0.844]),
        "textual": ([1, 1.113, 0.926], 0.979, [0.371, 0.446, 0.356]),
        "speed": ([1, 1.180, 1.082], 0.384, [0.799, 0.488, 0.566]),
    }
    r = ppit.compare_factor_structures(hs, HS_GROUPS)
    for name, (lam, psi, theta) in published.items():
        common = sum(lam) ** 2 * psi
        assert r.omega_by_factor[name] == pytest.approx(common / (common + sum(theta)), abs=2e-3)
    assert np.round(r.omega_by_factor.to_numpy(), 3).tolist() == [0.625, 0.885, 0.688]


def test_one_versus_three_factors_likelihood_ratio(hs):
    r = ppit.compare_factor_structures(hs, HS_GROUPS)
    t = r.table()
    assert t.loc["one_factor", "df"] == 27
    assert r.lr_df == 3
    assert r.lr_statistic == pytest.approx(t.loc["one_factor", "chi2"] - t.loc["3_correlated_factors", "chi2"])
    assert r.lr_p_value < 1e-20
    assert t.loc["3_correlated_factors", "bic"] < t.loc["one_factor", "bic"]
    assert r.plot().get_xlabel() == "Standardized loading"
    with pytest.raises(ValueError, match="fewer than 2 items"):
        ppit.compare_factor_structures(hs, {"a": ["x1"], "b": ["x2", "x3"]})
    with pytest.raises(ValueError, match="more than one group"):
        ppit.compare_factor_structures(hs, {"a": ["x1", "x2"], "b": ["x2", "x3"]})


def test_one_factor_loadings_match_statsmodels_ml_factor(hs):
    ours = ppit.omega(hs).loadings.to_numpy()
    ref = Factor(hs.to_numpy(), n_factor=1, method="ml").fit().loadings.ravel()
    np.testing.assert_allclose(np.abs(ours), np.abs(ref), atol=1e-5)


def test_omega_three_items_closed_form(hs):
    # a one-factor model of 3 items is just identified: lambda_1^2 = s12 s13 / s23, etc.
    x = hs[["x1", "x2", "x3"]]
    s = np.cov(x.to_numpy(), rowvar=False, ddof=0)
    lam = np.sqrt([s[0, 1] * s[0, 2] / s[1, 2], s[0, 1] * s[1, 2] / s[0, 2], s[0, 2] * s[1, 2] / s[0, 1]])
    theta = np.diag(s) - lam**2
    r = ppit.omega(x)
    assert r.omega == pytest.approx(lam.sum() ** 2 / (lam.sum() ** 2 + theta.sum()), abs=1e-6)
    assert r.residual_variances.to_numpy() == pytest.approx(theta, abs=1e-5)
    # semTools::reliability alpha for the visual factor: 0.626 (also Cronbach's alpha below)
    assert round(r.alpha, 3) == 0.626
    assert r.plot().get_xlabel().startswith("Standardized")


def test_omega_recovery_and_bootstrap_interval():
    rng = np.random.default_rng(12)
    lam = np.array([0.8, 0.7, 0.6, 0.5, 0.4, 0.7])
    theta = 1 - lam**2
    truth = lam.sum() ** 2 / (lam.sum() ** 2 + theta.sum())
    f = rng.normal(size=(1500, 1))
    x = f * lam + rng.normal(size=(1500, 6)) * np.sqrt(theta)
    r = ppit.omega(x, n_boot=100, seed=1)
    assert abs(r.omega - truth) < 0.02
    assert r.ci_low <= truth <= r.ci_high
    assert r.alpha < r.omega  # unequal loadings: alpha underestimates reliability


def test_alpha_equals_icc3k_with_psych_interval():
    r = ppit.cronbach_alpha(SF)
    # alpha of the judges-as-items equals ICC(3,k); R psych::ICC reports ICC3k 0.91 with
    # bounds 0.676 and 0.99 on these data, the Feldt interval.
    assert round(r.alpha, 2) == 0.91
    assert round(r.ci_low, 3) == 0.676
    assert round(r.ci_high, 2) == 0.99
    assert (r.n, r.k) == (6, 4)


def test_feldt_interval_published_example():
    # Chris Evans's Feldt-interval routine (MRC CBU statistics wiki): alpha 0.913, n 873,
    # 20 items -> 0.9044024 to 0.9211588.
    lo, hi = ppit.feldt_interval(0.913, 873, 20)
    assert lo == pytest.approx(0.9044024, abs=5e-8)
    assert hi == pytest.approx(0.9211588, abs=5e-8)


def test_item_analysis_by_hand():
    rng = np.random.default_rng(3)
    trait = rng.normal(size=200)
    items = pd.DataFrame({f"ppit_{i:02d}": (trait + rng.normal(size=200) > c).astype(int)
                          for i, c in enumerate([-1.0, -0.5, 0.0, 0.5, 1.0], start=1)})
    items.loc[5, "ppit_03"] = np.nan  # one incomplete row, dropped listwise
    ia = ppit.item_analysis(items)
    t = ia.table()
    complete = items.dropna()
    assert ia.n == 199 and (t["n"] == 199).all()
    rest = complete.drop(columns="ppit_02").sum(axis=1)
    assert t.loc["ppit_02", "item_total_r"] == pytest.approx(np.corrcoef(complete["ppit_02"], rest)[0, 1])
    assert t.loc["ppit_04", "alpha_if_deleted"] == pytest.approx(
        ppit.cronbach_alpha(complete.drop(columns="ppit_04")).alpha)
    assert t.loc["ppit_01", "endorsement"] == pytest.approx(complete["ppit_01"].mean())
    assert ia.alpha == pytest.approx(ppit.cronbach_alpha(items).alpha)
    assert ia.plot().get_xlabel().startswith("Corrected")
    with pytest.raises(ValueError, match="no variation"):
        ppit.item_analysis(items.assign(ppit_05=1))


def test_factor_structure_recovery():
    rng = np.random.default_rng(5)
    n, phi = 800, 0.4
    f = rng.multivariate_normal([0, 0], [[1, phi], [phi, 1]], size=n)
    lam = 0.7
    cols = {f"o{i}": lam * f[:, 0] + rng.normal(0, np.sqrt(1 - lam**2), n) for i in range(5)}
    cols |= {f"p{i}": lam * f[:, 1] + rng.normal(0, np.sqrt(1 - lam**2), n) for i in range(5)}
    d = pd.DataFrame(cols)
    groups = {"offending": [f"o{i}" for i in range(5)], "offender": [f"p{i}" for i in range(5)]}
    two = ppit.compare_factor_structures(d, groups)
    assert abs(two.factor_correlations.loc["offending", "offender"] - phi) < 0.08
    assert two.lr_p_value < 1e-6
    assert two.table().loc["2_correlated_factors", "p_value"] > 0.01  # the true model fits
    assert np.abs(two.loadings()[["offending", "offender"]].max(axis=1) - lam).max() < 0.08
    # data from ONE factor: the two "groups" correlate ~1 and the LR test does not reject
    g = rng.normal(size=n)
    d1 = pd.DataFrame({c: lam * g + rng.normal(0, np.sqrt(1 - lam**2), n) for c in d.columns})
    one = ppit.compare_factor_structures(d1, groups)
    assert one.factor_correlations.loc["offending", "offender"] > 0.95
    assert one.lr_p_value > 0.01
