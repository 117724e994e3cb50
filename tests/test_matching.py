"""Propensity-score matching (`foundation_eval.models.matching`): published reference values and recovery.

References (the data files and where they come from are in ``tests/data/match_DATA_SOURCES.md``):

- R ``MatchIt`` on the Lalonde (1986) / Dehejia & Wahba (1999) data shipped with it (185 NSW
  participants, 429 PSID comparison men). Balance before matching depends only on the data and the
  formula; ``MatchIt`` prints it on the treated group's SD for the ATT and on the pooled SD
  ``sqrt((s1^2 + s0^2) / 2)`` for the ATE. After 1:1 nearest-neighbour matching with replacement on the
  propensity score (``matchit(treat ~ age + educ + race + married + nodegree + re74 + re75, data =
  lalonde, replace = TRUE)``, the ``assessing-balance`` vignette) the matching is deterministic, so our
  matched sample must be the same: every printed figure is checked to the digits printed.
- R ``WeightIt`` (README and ``weightit()`` examples) on the same data: ATT odds weights from a logistic
  model, ``cobalt::bal.tab`` balance (standardised on the treated SD for continuous covariates, raw
  differences for binary ones), weight range and effective sample size, and ``lm_weightit(re78 ~ treat)``
  with the M-estimation standard error that allows for the estimated weights: 1214.1 (SE 798.2).
- R ``Matching`` (Sekhon 2011) on the 445-person NSW experimental sample of Dehejia & Wahba:
  ``Match(Y = re78, Tr = treat, X = ps, M = 1, estimand = "ATT")`` with the propensity score of the
  quadratic model, as printed in Bryer's *Applied Propensity Score Analysis with R* (chapter "Matching"):
  estimate 2153.3, Abadie-Imbens SE 825.4, 346 matched pairs counting ties, 173 controls used.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from scipy.special import expit

from foundation_eval.models.matching import odds_weighting, propensity_match, standardised_differences

DATA = Path(__file__).parent / "data"
COV = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]


@pytest.fixture(scope="module")
def lalonde():
    return pd.read_csv(DATA / "match_lalonde_matchit.csv")


@pytest.fixture(scope="module")
def nsw():
    d = pd.read_csv(DATA / "match_nsw_dw.csv")
    for c in ("age", "educ", "re74", "re75"):
        d[f"{c}2"] = d[c] ** 2
    d["u74"] = (d.re74 == 0).astype(int)
    d["u75"] = (d.re75 == 0).astype(int)
    return d


# MatchIt, "Summary of Balance for All Data" (ATT: treated SD), printed to 4 decimals
MATCHIT_BEFORE = {  # covariate: (mean treated, mean control, std. mean diff., var. ratio)
    "age": (25.8162, 28.0303, -0.3094, 0.4400),
    "educ": (10.3459, 10.2354, 0.0550, 0.4959),
    "race=black": (0.8432, 0.2028, 1.7615, None),
    "race=hispan": (0.0595, 0.1422, -0.3498, None),
    "race=white": (0.0973, 0.6550, -1.8819, None),
    "married": (0.1892, 0.5128, -0.8263, None),
    "nodegree": (0.7081, 0.5967, 0.2450, None),
    "re74": (2095.5737, 5619.2365, -0.7211, 0.5181),
    "re75": (1532.0553, 2466.4844, -0.2903, 0.9563),
}
# MatchIt with estimand = "ATE" (full matching example): the pooled SD of Austin (2009)
MATCHIT_BEFORE_POOLED = {"age": -0.2419, "educ": 0.0448, "race=black": 1.6708, "race=hispan": -0.2774,
                         "race=white": -1.4080, "married": -0.7208, "nodegree": 0.2355, "re74": -0.5958,
                         "re75": -0.2870}
# MatchIt assessing-balance vignette, 1:1 NN with replacement on the PS, "Summary of Balance for Matched
# Data", printed to 3 decimals: (mean control, std. mean diff., var. ratio)
MATCHIT_AFTER = {
    "age": (24.103, 0.239, 0.557),
    "educ": (10.378, -0.016, 0.577),
    "race=black": (0.838, 0.015, None),
    "race=hispan": (0.065, -0.023, None),
    "race=white": (0.097, 0.000, None),
    "married": (0.130, 0.152, None),
    "nodegree": (0.703, 0.012, None),
    "re74": (2336.463, -0.049, 1.036),
    "re75": (1503.929, 0.009, 2.129),
}


def test_balance_before_matching_matches_matchit(lalonde):
    t = standardised_differences(lalonde, "treat", COV, sd="treated").set_index("covariate")
    for cov, (mt, mc, smd, vr) in MATCHIT_BEFORE.items():
        assert round(t.mean_treated[cov], 4) == mt, cov
        assert round(t.mean_control[cov], 4) == mc, cov
        assert round(t.smd[cov], 4) == smd, cov
        if vr is None:
            assert np.isnan(t.variance_ratio[cov])
        else:
            assert round(t.variance_ratio[cov], 4) == vr, cov
    pooled = standardised_differences(lalonde, "treat", COV).set_index("covariate").smd
    for cov, smd in MATCHIT_BEFORE_POOLED.items():
        assert round(pooled[cov], 4) == smd, cov


def test_nearest_neighbour_with_replacement_matches_matchit(lalonde):
    # MatchIt matches on the score itself, keeps exactly k controls and uses no caliper by default
    res = propensity_match(lalonde, "treat", COV, ["re78"], caliper=None, scale="ps", ties=False, sd="treated")
    b = res.balance().set_index("covariate")
    for cov, (mc, smd, vr) in MATCHIT_AFTER.items():
        assert round(b.mean_control_after[cov], 3) == mc, cov
        assert round(b.smd_after[cov], 3) == smd, cov
        assert round(b.mean_treated_after[cov], 3) == round(MATCHIT_BEFORE[cov][0], 3)
        if vr is not None:
            assert round(b.variance_ratio_after[cov], 3) == vr, cov
    # "Sample Sizes": 82 controls matched, effective sample size 46.31, all 185 treated matched
    assert res.n_matched_controls == 82
    assert round(res.effective_controls, 2) == 46.31
    assert (res.n_treated, res.n_off_support) == (185, 0)
    # the balance before matching in the result is the published one too
    assert round(b.smd_before["married"], 4) == -0.8263
    assert not res.balanced and set(res.imbalanced) == {"age", "married"}


def test_abadie_imbens_standard_error_matches_r_matching(nsw):
    cov = ["age", "age2", "educ", "educ2", "black", "hisp", "marr", "nodegree", "re74", "re742", "re75", "re752",
           "u74", "u75"]
    res = propensity_match(nsw, "treat", cov, ["re78"], caliper=None, scale="ps", ties=True, sigma_neighbours=0)
    row = res.table().iloc[0]
    assert round(row.estimate, 1) == 2153.3            # "Estimate...  2153.3"
    assert round(row.se, 1) == 825.4                   # "AI SE......  825.4"
    assert len(res.matches) == 346                     # "Matched number of observations (unweighted). 346"
    assert res.n_matched_controls == 173               # MatchBalance: 173 of 260 controls matched
    assert round(row.estimate / row.se, 4) == 2.6088   # "T-stat..... 2.6088"


def test_odds_weighting_matches_weightit(lalonde):
    cov = ["age", "educ", "nodegree", "married", "race", "re74", "re75"]
    res = odds_weighting(lalonde, "treat", cov, ["re78"], sd="treated")
    b = res.balance().set_index("covariate")
    diff = b.mean_treated_after - b.mean_control_after
    # bal.tab(W, un = TRUE): Diff.Adj
    for c, v in {"age": 0.1188, "educ": -0.0284, "re74": -0.0021, "re75": 0.0110}.items():
        assert round(b.smd_after[c], 4) == v, c
    for c, v in {"nodegree": 0.0184, "married": 0.0186, "race=black": -0.0022, "race=hispan": 0.0002,
                 "race=white": 0.0021}.items():
        assert round(diff[c], 4) == v, c
    ps = pd.DataFrame({"t": lalonde.treat, "ps": res.propensity})
    assert round(standardised_differences(ps, "t", ["ps"], weights=res.weights, sd="treated").smd[0], 4) == -0.0205
    # summary(W): control weights 0.0092 to 3.7432, effective sample size 99.82
    wc = res.weights[lalonde.treat == 0]
    assert (round(wc.min(), 4), round(wc.max(), 4), round(res.effective_controls, 2)) == (0.0092, 3.7432, 99.82)
    # summary(lm_weightit(re78 ~ treat, weightit = W), ci = TRUE)
    row = res.table().iloc[0]
    assert (round(row.estimate, 1), round(row.se, 1)) == (1214.1, 798.2)
    assert (round(row.ci_low, 1), round(row.ci_high, 1), round(row.mean_control, 1)) == (-350.3, 2778.4, 5135.1)
    # weightit() examples: W1 on five covariates, bal.tab(W1) and summary(W1)
    w1 = odds_weighting(lalonde, "treat", ["age", "educ", "married", "nodegree", "re74"], sd="treated")
    b1 = w1.balance().set_index("covariate")
    assert [round(b1.smd_after[c], 4) for c in ("age", "educ", "re74")] == [0.0459, -0.0360, -0.0275]
    d1 = b1.mean_treated_after - b1.mean_control_after
    assert [round(d1[c], 4) for c in ("married", "nodegree")] == [0.0044, 0.0080]
    wc1 = w1.weights[lalonde.treat == 0]
    assert (round(wc1.min(), 3), round(wc1.max(), 3), round(w1.effective_controls, 2)) == (0.022, 2.044, 255.99)


def _truth():
    """Population ATT of the simulation below, by quadrature over x1 within each value of x2."""
    num_x = num_rd = den = 0.0
    for x2, px2 in ((0, 0.6), (1, 0.4)):
        def dens(x, x2=x2):  # density of x1 among the treated, up to a constant
            return stats.norm.pdf(x) * expit(-1 + 0.8 * x + 0.6 * x2)

        def rd(x, x2=x2):
            return expit(-1 + 0.8 * x + 0.5 * x2 - 0.5) - expit(-1 + 0.8 * x + 0.5 * x2)

        den += px2 * integrate.quad(dens, -10, 10)[0]
        num_x += px2 * integrate.quad(lambda x, d=dens: x * d(x), -10, 10)[0]
        num_rd += px2 * integrate.quad(lambda x, d=dens, r=rd: r(x) * d(x), -10, 10)[0]
    return 2 + 0.5 * num_x / den, num_rd / den


def _simulate(seed, n=1000):
    """Selection on observables: treatment and both outcomes depend on x1 and x2; the continuous outcome's
    effect varies with x1 (2 + 0.5 x1), the binary outcome's log-odds effect is -0.5."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = (rng.random(n) < 0.4).astype(int)
    t = (rng.random(n) < expit(-1 + 0.8 * x1 + 0.6 * x2)).astype(int)
    y = x1 + 0.5 * x2 + (2 + 0.5 * x1) * t + rng.normal(size=n)
    yb = (rng.random(n) < expit(-1 + 0.8 * x1 + 0.5 * x2 - 0.5 * t)).astype(int)
    return pd.DataFrame({"t": t, "x1": x1, "x2": x2, "y": y, "yb": yb})


def test_recovery_and_coverage_under_selection_on_observables():
    # 1,000 replicates gave 95.6% (continuous) and 94.3% (binary) coverage, 1:3 matching 96.0% and 93.1%;
    # 200 here keep the test fast (binomial SD of the coverage 1.5 points)
    att, rd = _truth()
    assert round(att, 3) == 2.230 and round(rd, 3) == -0.102
    cover, est = {"y": [], "yb": []}, {"y": [], "yb": []}
    for r in range(200):
        tb = propensity_match(_simulate(r), "t", ["x1", "x2"], ["y", "yb"]).table().set_index("outcome")
        for o, truth in (("y", att), ("yb", rd)):
            cover[o].append(tb.ci_low[o] <= truth <= tb.ci_high[o])
            est[o].append(tb.estimate[o])
    for o, truth in (("y", att), ("yb", rd)):
        assert 0.90 <= np.mean(cover[o]) <= 0.99, o
        e = np.asarray(est[o])
        assert abs(e.mean() - truth) < 0.5 * e.std(ddof=1), o  # bias small beside the sampling spread
    # odds weighting on the same replicates (its M-estimation interval): 100 replicates
    cover_w = {"y": [], "yb": []}
    for r in range(100):
        tb = odds_weighting(_simulate(r), "t", ["x1", "x2"], ["y", "yb"]).table().set_index("outcome")
        for o, truth in (("y", att), ("yb", rd)):
            cover_w[o].append(tb.ci_low[o] <= truth <= tb.ci_high[o])
    for o in ("y", "yb"):
        assert 0.88 <= np.mean(cover_w[o]) <= 1.0, o
    naive = _simulate(0)
    assert naive[naive.t == 1].y.mean() - naive[naive.t == 0].y.mean() > att + 0.5  # what matching removes


def test_caliper_drops_treated_without_a_close_control():
    # treated at x = 5 have no control anywhere near them
    rng = np.random.default_rng(3)
    xc = rng.normal(size=300)
    xt = np.r_[rng.normal(size=100), np.full(5, 6.0)]
    df = pd.DataFrame({"t": np.r_[np.zeros(300), np.ones(105)].astype(int), "x": np.r_[xc, xt]})
    df["y"] = df.x + df.t + rng.normal(size=len(df))
    ps = expit(df.x.to_numpy() - 1)
    res = propensity_match(df, "t", ["x"], ["y"], propensity=ps)
    assert res.n_off_support >= 5 and res.n_treated + res.n_off_support == 105
    assert not df.loc[pd.unique(res.matches.treated), "x"].eq(6.0).any()
    ov = res.overlap().set_index("measure").value
    assert ov["treated outside the controls' range of scores"] >= 5
    assert ov["treated without a control inside the caliper (off support)"] == res.n_off_support
    # the caliper is 0.2 pooled SD of the logit (Austin 2011)
    lg = np.log(ps / (1 - ps))
    sd = np.sqrt((np.var(lg[df.t == 1], ddof=1) + np.var(lg[df.t == 0], ddof=1)) / 2)
    assert res.caliper_width == pytest.approx(0.2 * sd)
    pairs = res.matches.assign(d=lambda m: np.abs(lg[m.treated.to_numpy()] - lg[m.control.to_numpy()]))
    assert (pairs.d <= res.caliper_width + 1e-12).all()


def test_exact_matching_keeps_pairs_within_strata_and_k_controls():
    rng = np.random.default_rng(4)
    n = 600
    df = pd.DataFrame({"q": rng.choice(["a", "b", "c"], size=n), "x": rng.normal(size=n)})
    df["t"] = (rng.random(n) < expit(df.x - 0.5)).astype(int)
    df.loc[(df.q == "c") & (df.t == 0), "t"] = 1  # stratum c has no controls
    df["y"] = df.x + rng.normal(size=n)
    res = propensity_match(df, "t", ["x"], ["y"], k=3, exact=["q"], balance_only=["q"])
    m = res.matches
    assert (df.q[m.treated].to_numpy() == df.q[m.control].to_numpy()).all()
    assert res.n_off_support >= int(((df.q == "c") & (df.t == 1)).sum())
    assert m.groupby("treated").size().max() >= 3
    assert np.allclose(m.groupby("treated").weight.sum(), 1.0)
    b = res.balance()
    assert not b.set_index("covariate").in_model["q=a"] and b.set_index("covariate").in_model["x"]
    w = res.weights
    assert w[df.t == 1].isin([0.0, 1.0]).all() and w[df.t == 1].sum() == res.n_treated
    assert w[df.t == 0].sum() == pytest.approx(res.n_treated)


def test_plot_and_bad_input(lalonde):
    import matplotlib

    matplotlib.use("Agg")
    res = propensity_match(lalonde, "treat", COV, ["re78"])
    ax = res.plot()
    assert ax.get_xlabel().startswith("|Standardised")
    with pytest.raises(ValueError, match="not in the frame"):
        propensity_match(lalonde, "treat", ["agee"], ["re78"])
    bad = lalonde.assign(treat=lalonde.treat.replace({1: 2}))
    with pytest.raises(ValueError, match="must be 0/1"):
        propensity_match(bad, "treat", COV)
    gap = lalonde.astype({"age": float})
    gap.loc[3, "age"] = np.nan
    with pytest.raises(ValueError, match=r"'age' has missing values \(rows \[3\]\)"):
        propensity_match(gap, "treat", COV)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        propensity_match(lalonde, "treat", COV, propensity=np.ones(len(lalonde)))
    with pytest.raises(ValueError, match="k must be"):
        propensity_match(lalonde, "treat", COV, k=0)


def test_complete_separation_is_reported_not_hidden():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    df = pd.DataFrame({"t": (x > 0.5).astype(int), "x": x, "z": rng.normal(size=300)})
    df["y"] = df.x + rng.normal(size=300)
    with pytest.raises(ValueError, match="do not overlap"):
        propensity_match(df, "t", ["x", "z"], ["y"])
    w = odds_weighting(df, "t", ["x", "z"], ["y"])
    assert any("separation" in n for n in w.notes) and w.effective_controls < 2


def test_tied_scores_held_as_runs_give_every_pair_and_the_effects_of_the_pairs_written_out():
    # discrete covariates tie many controls to each treated row; the matching holds each treated row's
    # controls as a run of the controls in score order, which must be the pairs of R Matching's tie rule
    # and give the effects and weights that summing over every pair gives
    rng = np.random.default_rng(7)
    n = 3000
    df = pd.DataFrame({"age": rng.integers(18, 30, n), "area": rng.choice(list("abcdef"), n),
                       "q": rng.choice(["q1", "q2"], n)})
    df["t"] = (rng.random(n) < expit((df.age - 24) / 4)).astype(int)
    df["y"] = 0.1 * df.age + 0.5 * df.t + rng.normal(size=n)
    df["count"] = rng.poisson(2.0, n)
    res = propensity_match(df, "t", ["age", "area"], ["y", "count"], k=1, exact=["q"], caliper=None)
    m = res.matches
    assert len(m) > 3 * res.n_treated                           # ties really are kept
    lg = np.log(res.propensity / (1 - res.propensity)).to_numpy()
    unit = lg.std(ddof=1)
    for t in m.treated.unique()[:60]:
        pool = np.flatnonzero((df.t == 0).to_numpy() & (df.q == df.q[t]).to_numpy())
        d = np.abs(lg[pool] - lg[t])
        radius = unit * np.sqrt((d.min() / unit) ** 2 + 1e-5)
        assert sorted(m.control[m.treated == t]) == sorted(pool[d <= radius])
    assert np.allclose(m.groupby("treated").weight.sum(), 1.0)
    for outcome in ("y", "count"):
        y = df[outcome].to_numpy(dtype=float)
        cf = (m.weight * y[m.control]).groupby(m.treated.to_numpy()).sum()
        est = np.mean(y[cf.index] - cf.to_numpy())
        assert res.effects.set_index("outcome").estimate[outcome] == pytest.approx(est, rel=1e-12, abs=1e-12)
    K = m.groupby("control").weight.sum()
    w = res.weights
    assert np.allclose(w[K.index], K.to_numpy(), rtol=1e-12, atol=0)
    assert (w[m.treated.unique()] == 1).all() and int((w > 0).sum()) == m.treated.nunique() + len(K)
