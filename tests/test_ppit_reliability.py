"""ICC, weighted kappa and agreement: published values, designs, validation, recovery."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from foundation_eval import ppit
from foundation_eval.stats import wilson_interval


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# Shrout & Fleiss (1979), Psychol Bull 86:420-428, Table 2: 6 targets rated by 4 judges.
SF = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])


def long(matrix, rater_names=None):
    n, k = matrix.shape
    names = rater_names or [f"judge{j + 1}" for j in range(k)]
    return pd.DataFrame([(f"t{i}", names[j], matrix[i, j]) for i in range(n) for j in range(k)],
                        columns=["target", "rater", "score"])


def test_icc_shrout_fleiss_table_2_and_psych_intervals():
    r = ppit.icc(long(SF), "target", "rater", "score")
    t = r.table()
    assert list(t.index) == ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
    assert r.design == "crossed" and (r.n_targets, r.k) == (6, 4)
    # Shrout & Fleiss (1979), estimates for their Table 2 data: ICC(1,1) .17, ICC(2,1) .29, ICC(3,1) .71,
    # ICC(1,4) .44, ICC(2,4) .62, ICC(3,4) .91
    assert t["icc"].round(2).tolist() == [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    # R psych::ICC on the same data (output printed in the RExRepos interRaterICC page):
    # lower bounds -0.133, 0.019, 0.342, -0.884, 0.071, 0.676;
    # upper bounds 0.72, 0.76, 0.95, 0.91, 0.93, 0.99; F 1.8 (5, 18) and 11.0 (5, 15);
    # p 0.16477 and 0.00013.
    assert t["ci_low"].round(3).tolist() == [-0.133, 0.019, 0.342, -0.884, 0.071, 0.676]
    assert t["ci_high"].round(2).tolist() == [0.72, 0.76, 0.95, 0.91, 0.93, 0.99]
    assert t.loc["ICC1", "F"] == pytest.approx(1.8, abs=0.05)
    assert t.loc["ICC3", "F"] == pytest.approx(11.0, abs=0.05)
    assert t[["df1", "df2"]].loc["ICC1"].tolist() == [5, 18]
    assert t[["df1", "df2"]].loc["ICC2"].tolist() == [5, 15]
    assert t.loc["ICC1", "p_value"] == pytest.approx(0.16477, abs=5e-6)
    assert t.loc["ICC3", "p_value"] == pytest.approx(0.00013, abs=5e-6)
    assert r.plot().get_xlabel() == "Intraclass correlation"


def test_icc_positions_design_for_unbalanced_assessors():
    # each person scored by 2 of 5 assessors: not crossed, so ratings are arranged by position
    rng = np.random.default_rng(0)
    rows = []
    for i in range(40):
        pair = rng.choice(5, 2, replace=False)
        true = rng.normal(10, 3)
        rows += [(f"p{i}", f"a{pair[0]}", true + rng.normal()), (f"p{i}", f"a{pair[1]}", true + rng.normal())]
    d = pd.DataFrame(rows, columns=["person", "assessor", "total"])
    r = ppit.icc(d, "person", "assessor", "total")
    assert r.design == "positions" and r.k == 2
    # one-way ICC1 by hand: (MSB - MSW) / (MSB + MSW) for k = 2
    y = d["total"].to_numpy().reshape(40, 2)
    msb = 2 * np.sum((y.mean(1) - y.mean()) ** 2) / 39
    msw = np.sum((y - y.mean(1, keepdims=True)) ** 2) / 40
    assert r.table().loc["ICC1", "icc"] == pytest.approx((msb - msw) / (msb + msw), rel=1e-10)
    # ICC1 does not depend on which rating is called first
    swapped = d.iloc[np.r_[[2 * i + 1 for i in range(40)], [2 * i for i in range(40)]]]
    assert ppit.icc(swapped, "person", "assessor", "total").table().loc["ICC1", "icc"] == pytest.approx(
        r.table().loc["ICC1", "icc"], rel=1e-12)
    with pytest.raises(ValueError, match="crossed"):
        ppit.icc(d, "person", "assessor", "total", design="crossed")


def test_icc_errors_and_ratings_per_target():
    d = long(SF[:, :2])
    single = pd.concat([d, pd.DataFrame([{"target": "lonely", "rater": "judge1", "score": 3}])])
    with pytest.raises(ValueError, match="fewer than 2 ratings.*lonely"):
        ppit.icc(single, "target", "rater", "score")
    triple = pd.concat([d, pd.DataFrame([{"target": "t0", "rater": "judge3", "score": 4}])])
    with pytest.raises(ValueError, match="ratings_per_target=2"):
        ppit.icc(triple, "target", "rater", "score")
    kept = ppit.icc(triple, "target", "rater", "score", ratings_per_target=2)
    assert kept.table()["icc"].tolist() == pytest.approx(ppit.icc(d, "target", "rater", "score").table()["icc"])
    with pytest.raises(ValueError, match="no column"):
        ppit.icc(d, "target", "assessor", "score")
    with pytest.raises(ValueError, match="at least 2 targets"):
        ppit.icc(d[d["target"] == "t0"], "target", "rater", "score")


def test_icc_recovery_and_interval_coverage():
    # two ratings per person by random assessors: score = true + assessor bias + error;
    # ICC1 = var(true) / (var(true) + var(bias) + var(error)) = 0.7 / (0.7 + 0.05 + 0.25)
    truth = 0.7
    rng = np.random.default_rng(42)

    def sample(n):
        true = rng.normal(0, np.sqrt(0.7), n)
        bias = rng.normal(0, np.sqrt(0.05), 30)
        who = np.array([rng.choice(30, 2, replace=False) for _ in range(n)])
        y = true[:, None] + bias[who] + rng.normal(0, 0.5, (n, 2))
        return pd.DataFrame({"p": np.repeat(np.arange(n), 2), "a": who.ravel(), "s": y.ravel()})

    big = ppit.icc(sample(2000), "p", "a", "s").table().loc["ICC1"]
    assert abs(big["icc"] - truth) < 0.03
    assert big["ci_low"] <= truth <= big["ci_high"]
    covered = 0
    for _ in range(150):
        t = ppit.icc(sample(60), "p", "a", "s").table().loc["ICC1"]
        covered += t["ci_low"] <= truth <= t["ci_high"]
    assert 0.90 <= covered / 150 <= 0.99


# ---- kappa -------------------------------------------------------------------------------


def expand(table, cats):
    a, b = [], []
    for i, ci in enumerate(cats):
        for j, cj in enumerate(cats):
            a += [ci] * table[i][j]
            b += [cj] * table[i][j]
    return a, b


def test_kappa_fleiss_cohen_everitt_1969_table():
    # Fleiss, Cohen & Everitt (1969) diagnoses table (proportions x 100); R irr::kappa2 gives
    # Kappa = 0.429, z = 5.46 (RExRepos interRaterICC output); percent agreement 70%.
    cats = ["V", "N", "P"]
    a, b = expand([[53, 5, 2], [11, 14, 5], [1, 6, 3]], cats)
    k = ppit.weighted_kappa(a, b, weights=None, categories=cats)
    assert round(k.kappa, 3) == 0.429
    assert round(k.z, 2) == 5.46
    assert k.observed_agreement == pytest.approx(0.70)
    assert k.crosstab().loc["V", "V"] == 53


def test_linear_weighted_kappa_irr_six_categories():
    # RExRepos: irr::kappa2(cbind(tv1, tv2), weight = "equal") -> Kappa = 0.316, z = 5.38
    cats = list(range(6))
    cells = [5, 8, 1, 2, 4, 2, 3, 5, 3, 5, 5, 0, 1, 2, 6, 11, 2, 1,
             0, 1, 5, 4, 3, 3, 0, 0, 1, 2, 5, 2, 0, 0, 1, 2, 1, 4]
    a, b = expand(np.array(cells).reshape(6, 6).tolist(), cats)
    k = ppit.weighted_kappa(a, b, weights="linear")
    assert round(k.kappa, 3) == 0.316
    assert round(k.z, 2) == 5.38


def test_kappa_against_sas_proc_freq_with_standard_errors():
    # SAS PROC FREQ AGREE output for the table [[0,4,1],[0,8,0],[0,1,5]] (as quoted in
    # statsmodels' test_inter_rater.py): simple kappa 0.4842, ASE 0.1380, 95% CL 0.2137 0.7547,
    # ASE under H0 0.1484, Z 3.2626; weighted (Cicchetti-Allison = linear) kappa 0.4701,
    # ASE 0.1457, 95% CL 0.1845 0.7558, ASE under H0 0.1426, Z 3.2971.
    a, b = expand([[0, 4, 1], [0, 8, 0], [0, 1, 5]], [0, 1, 2])
    k = ppit.weighted_kappa(a, b, weights=None, categories=[0, 1, 2])
    assert [round(v, 4) for v in (k.kappa, k.se, k.ci_low, k.ci_high, k.se_null, k.z)] == [
        0.4842, 0.1380, 0.2137, 0.7547, 0.1484, 3.2626]
    w = ppit.weighted_kappa(a, b, weights="linear", categories=[0, 1, 2])
    assert [round(v, 4) for v in (w.kappa, w.se, w.ci_low, w.ci_high, w.se_null, w.z)] == [
        0.4701, 0.1457, 0.1845, 0.7558, 0.1426, 3.2971]


def test_quadratic_kappa_against_irr_anxiety_data():
    # irr's anxiety data (20 subjects, raters 2 and 3), values quoted in statsmodels'
    # test_inter_rater.py from R irr::kappa2: unweighted -0.006289308 (z -0.0604067),
    # "equal" 0.1459075 (z 1.282472), "squared" 0.2520325 (z 1.437451). Category 5 is
    # unused, so the observed categories are 1, 2, 3, 4, 6 (as in irr).
    anxiety = np.array([3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3,
                        3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4,
                        2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]).reshape(20, 3, order="F")
    a, b = anxiety[:, 1], anxiety[:, 2]
    expected = {None: (-0.006289308, -0.0604067), "linear": (0.1459075, 1.282472),
                "quadratic": (0.2520325, 1.437451)}
    for weights, (kappa, z) in expected.items():
        k = ppit.weighted_kappa(a, b, weights=weights)
        assert k.kappa == pytest.approx(kappa, abs=5e-7)
        assert k.z == pytest.approx(z, abs=5e-6)
    assert ppit.weighted_kappa(a, b).categories == (1, 2, 3, 4, 6)


def test_kappa_validation():
    with pytest.raises(ValueError, match="not in categories"):
        ppit.weighted_kappa([0, 1, 2], [0, 1, 3], categories=[0, 1, 2])
    with pytest.raises(ValueError, match="weights"):
        ppit.weighted_kappa([0, 1], [0, 1], weights="cubic")
    with pytest.raises(ValueError, match="same length"):
        ppit.weighted_kappa([0, 1], [0, 1, 1])


def test_agreement_of_binary_flags_by_hand():
    # 2 x 2: both flagged 40, A only 5, B only 10, neither 45 (n = 100)
    a = [1] * 40 + [1] * 5 + [0] * 10 + [0] * 45
    b = [1] * 40 + [0] * 5 + [1] * 10 + [0] * 45
    r = ppit.agreement(a, b)
    assert r.percent_agreement == pytest.approx(0.85)
    assert (r.ci_low, r.ci_high) == pytest.approx(wilson_interval(85, 100))
    po, pe = 0.85, 0.45 * 0.50 + 0.55 * 0.50
    assert r.kappa.kappa == pytest.approx((po - pe) / (1 - pe))
    assert r.positive_agreement == pytest.approx(80 / 95)
    assert r.negative_agreement == pytest.approx(90 / 105)
    assert r.table().loc["kappa", "estimate"] == pytest.approx(0.7)
