"""Naive TWFE, wild cluster bootstrap and the Goodman-Bacon decomposition.

Reference: [twfeweights] Callaway's ``twfeweights`` README (R output on ``did::mpdta``):
``fixest::feols(lemp ~ post | countyreal + year, cluster = "countyreal")`` gives
``post -0.036549, Std. Error 0.013265, t value -2.75526, Pr(>|t|) 0.006079`` and the TWFE
decomposition sums to ``-0.03654894``.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from foundation_eval.impact import bacon_decomposition, staggered_did, twfe, wild_cluster_bootstrap
from foundation_eval.impact.inference import bootstrap_weights

DATA = Path(__file__).parent / "data" / "impact_mpdta.csv"


def test_twfe_equals_hand_2x2():
    """Two treated and two control units, one pre and one post period.

    Hand calculation: treated changes (16-10) and (17-12) average 5.5; control changes (11-8) and
    (13-9) average 3.5; DiD = 5.5 - 3.5 = 2.
    """
    df = pd.DataFrame({
        "unit": ["a", "a", "b", "b", "c", "c", "d", "d"],
        "t": [0, 1] * 4,
        "d": [0, 1, 0, 1, 0, 0, 0, 0],
        "y": [10, 16, 12, 17, 8, 11, 9, 13],
    })
    res = twfe(df, "unit", "t", "d", "y", n_boot=0)
    assert res.estimate == pytest.approx(2.0, abs=1e-12)
    # the same panel coded by first-treated period gives the same estimate (a 0/1 column is read
    # as an indicator unless kind="first_treated" says otherwise)
    df["g"] = df["unit"].map({"a": 1, "b": 1, "c": 0, "d": 0})
    assert twfe(df, "unit", "t", "g", "y", kind="first_treated", n_boot=0).estimate == pytest.approx(2.0, abs=1e-12)
    # and so does Callaway & Sant'Anna, which here is the same 2x2 comparison
    cs = staggered_did(df, "unit", "t", "g", "y", n_boot=0)
    assert cs.aggregate("simple").estimate == pytest.approx(2.0, abs=1e-12)
    # the decomposition has a single comparison with weight 1
    b = bacon_decomposition(df, "unit", "t", "g", "y")
    assert len(b.table()) == 1 and b.table()["weight"].iloc[0] == pytest.approx(1.0)
    assert b.twfe_estimate == pytest.approx(2.0)


def test_twfe_mpdta_matches_fixest():
    """[twfeweights]: estimate -0.036549, SE 0.013265, t -2.75526, p 0.006079 (t with G-1 df)."""
    d = pd.read_csv(DATA)
    res = twfe(d, "countyreal", "year", "first.treat", "lemp", n_boot=999, seed=3)
    assert res.estimate == pytest.approx(-0.03654894, abs=5e-9)
    assert round(res.se, 6) == 0.013265
    assert res.estimate / res.se == pytest.approx(-2.75526, abs=5e-5)
    assert res.p_value == pytest.approx(0.006079, abs=5e-7)
    # with 500 clusters the wild bootstrap agrees with the cluster-robust inference
    assert res.wild.p_value == pytest.approx(res.p_value, abs=0.01)
    assert res.wild.ci_low == pytest.approx(res.ci_low, rel=0.08)
    assert res.wild.ci_high == pytest.approx(res.ci_high, rel=0.15)
    assert res.sms_level == 3 and "two-way fixed-effects" in res.design
    t = res.table()
    assert {"wild_p_value", "wild_ci_low", "se_cluster"} <= set(t.columns)


def test_bacon_weights_sum_to_one_and_reproduce_twfe_on_mpdta():
    """[twfeweights]: the TWFE estimate -0.03654894 equals the weighted sum of its parts."""
    d = pd.read_csv(DATA)
    b = bacon_decomposition(d, "countyreal", "year", "first.treat", "lemp")
    t = b.table()
    assert t["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (t["weight"] > 0).all()
    assert float((t["weight"] * t["estimate"]).sum()) == pytest.approx(b.twfe_estimate, abs=1e-12)
    assert b.twfe_estimate == pytest.approx(-0.03654894, abs=5e-9)
    # 3 cohorts x never-treated + 3 pairs x 2 timing comparisons
    assert len(t) == 9
    by = b.by_type().set_index("type")
    assert by["weight"].sum() == pytest.approx(1.0)
    assert 0 < b.forbidden_weight < 0.1


def _staggered_noise_free():
    """Early cohort (go-live period 3), late cohort (period 7), never treated; 10 periods.
    Effects grow with time since go-live: tau(e) = 1 + e. No noise, so every estimator's error is
    pure bias."""
    rows = []
    for unit, g in enumerate([3, 3, 7, 7, 0, 0]):
        for t in range(10):
            e = t - g
            eff = (1.0 + e) if (g > 0 and e >= 0) else 0.0
            rows.append((unit, t, g, 2.0 * unit + 0.5 * t + eff))
    return pd.DataFrame(rows, columns=["unit", "t", "g", "y"])


def test_twfe_biased_cs_exact_under_heterogeneous_effects():
    df = _staggered_noise_free()
    cs = staggered_did(df, "unit", "t", "g", "y", n_boot=0)
    gt = cs.group_time()
    post = gt[~gt["pre"]]
    # every ATT(g,t) equals the true effect 1 + (t - g) exactly; every placebo is exactly 0
    assert np.allclose(post["att"], 1.0 + post["event_time"], atol=1e-12)
    assert np.allclose(gt.loc[gt["pre"], "att"], 0.0, atol=1e-12)
    # the true simple ATT: cohort-size weighted mean of the post-treatment effects
    truth_cells = {3: [1 + e for e in range(7)], 7: [1 + e for e in range(3)]}
    truth = sum(sum(v) for v in truth_cells.values()) / sum(len(v) for v in truth_cells.values())
    assert cs.aggregate("simple").estimate == pytest.approx(truth, abs=1e-12)
    dyn = cs.aggregate("dynamic").table().set_index("event_time")["att"]
    assert all(dyn[e] == pytest.approx(1.0 + e) for e in range(7))
    tw = twfe(df, "unit", "t", "g", "y", n_boot=0).estimate
    assert truth == pytest.approx(3.4)
    assert tw == pytest.approx(23 / 11, abs=1e-12)  # 2.09: visibly biased against a true 3.4
    b = bacon_decomposition(df, "unit", "t", "g", "y")
    t = b.table()
    assert float((t["weight"] * t["estimate"]).sum()) == pytest.approx(tw, abs=1e-12)
    assert t["weight"].sum() == pytest.approx(1.0)
    # the "later vs earlier (already treated)" comparison is contaminated by the early cohort's
    # growing effect: the late cohort's true average effect is 2, the comparison gives -1.5
    forb = t[t["type"] == "later vs earlier (already treated)"]
    assert len(forb) == 1 and forb["estimate"].iloc[0] == pytest.approx(-1.5)
    assert "already-treated" in b.summary_sentence()


def test_bacon_handles_always_treated_and_no_never_treated():
    """Units treated from the first period are an 'always treated' group that only serves as a
    control; without never-treated units the decomposition still sums to the TWFE estimate."""
    rng = np.random.default_rng(4)
    rows = []
    for unit, g in enumerate([1, 1, 4, 4, 6, 6, 6]):  # periods 1..8; g = 1: treated throughout
        for t in range(1, 9):
            rows.append((unit, t, g, rng.normal() + (t >= g) * (1.0 + 0.3 * (t - g))))
    panel = pd.DataFrame(rows, columns=["unit", "t", "g", "y"])
    b = bacon_decomposition(panel, "unit", "t", "g", "y")
    t = b.table()
    assert t["weight"].sum() == pytest.approx(1.0)
    assert float((t["weight"] * t["estimate"]).sum()) == pytest.approx(b.twfe_estimate, abs=1e-10)
    assert "never treated" not in set(t["control"])
    assert set(t.loc[t["control"] == 1, "type"]) == {"later vs earlier (already treated)"}
    tw = twfe(panel, "unit", "t", "g", "y", kind="first_treated", n_boot=0)
    assert tw.estimate == pytest.approx(b.twfe_estimate, abs=1e-10)


def _naive_wild_p(df, factor, n_boot, seed, weights="webb"):
    """Direct implementation with explicit dummies, one regression per draw (for checking)."""
    units = pd.get_dummies(df["unit"], drop_first=True, dtype=float).to_numpy()
    times = pd.get_dummies(df["t"], drop_first=True, dtype=float).to_numpy()
    X = np.column_stack([df["d"].to_numpy(float), np.ones(len(df)), units, times])
    Xr = X[:, 1:]
    y = df["y"].to_numpy(float)
    codes, _ = pd.factorize(df["unit"])
    G = codes.max() + 1

    def fit(yv, Xm):
        beta, *_ = np.linalg.lstsq(Xm, yv, rcond=None)
        return beta, yv - Xm @ beta

    def crse(e):
        A = np.linalg.pinv(X.T @ X)
        c = (X @ A)[:, 0]
        s = np.bincount(codes, weights=c * e, minlength=G)
        return math.sqrt(factor * np.sum(s**2))

    b, e = fit(y, X)
    t_obs = b[0] / crse(e)
    br, ur = fit(y, Xr)
    fr = Xr @ br
    rng = np.random.default_rng(seed)
    v = bootstrap_weights(weights, (G, n_boot), rng)
    count = 0
    for j in range(n_boot):
        ys = fr + ur * v[codes, j]
        bs, es = fit(ys, X)
        count += abs(bs[0] / crse(es)) >= abs(t_obs)
    return count / n_boot, b[0]


def test_wild_cluster_bootstrap_matches_direct_implementation():
    rng = np.random.default_rng(8)
    rows = []
    for u in range(8):
        a = rng.normal()
        for t in range(5):
            d = int(u < 4 and t >= 2 + (u % 2))
            rows.append((u, t, d, a + 0.3 * t + 0.4 * d + rng.normal(0, 0.5)))
    df = pd.DataFrame(rows, columns=["unit", "t", "d", "y"])
    res = twfe(df, "unit", "t", "d", "y", n_boot=399, seed=12)
    n, G, T = len(df), 8, 5
    factor = G / (G - 1) * (n - 1) / (n - (T + 1))
    p_naive, b_naive = _naive_wild_p(df, factor, 399, 12)
    assert res.estimate == pytest.approx(b_naive, abs=1e-10)
    assert res.wild.p_value == pytest.approx(p_naive, abs=1e-12)
    # the interval is the set of nulls not rejected: its ends sit at p = 0.05
    assert res.wild.ci_low < res.estimate < res.wild.ci_high
    assert "Only 8 clusters" in res.notes[0]


def test_wild_cluster_bootstrap_in_blocks_of_draws_is_the_same(monkeypatch):
    """The draws multiplied a block of columns at a time (a national panel times the draws is a tenth of
    a gigabyte an array) give the same p-value and interval as all at once."""
    import foundation_eval.impact.inference as inference

    rng = np.random.default_rng(8)
    rows = [(u, t, int(u < 4 and t >= 2 + (u % 2)), rng.normal() + 0.3 * t) for u in range(8) for t in range(5)]
    df = pd.DataFrame(rows, columns=["unit", "t", "d", "y"])
    whole = twfe(df, "unit", "t", "d", "y", n_boot=399, seed=12).wild
    monkeypatch.setattr(inference, "_BOOT_CELLS", 40 * 7)  # 7 draws a block over the 40 rows
    blocks = twfe(df, "unit", "t", "d", "y", n_boot=399, seed=12).wild
    assert blocks.p_value == whole.p_value
    assert blocks.ci_low == pytest.approx(whole.ci_low, abs=1e-9)
    assert blocks.ci_high == pytest.approx(whole.ci_high, abs=1e-9)


def test_wild_bootstrap_size_with_few_clusters():
    """14 clusters, no effect: the WCR bootstrap (Webb weights) rejects close to 5%; 300 draws."""
    rng = np.random.default_rng(21)
    rej = []
    for _ in range(150):
        G, m = 14, 20
        cl = np.repeat(np.arange(G), m)
        x = rng.normal(size=G)[cl] + rng.normal(size=G * m)
        y = rng.normal(size=G)[cl] + rng.normal(size=G * m)
        X = np.column_stack([x, np.ones_like(x)])
        r = wild_cluster_bootstrap(y, X, cl, n_boot=199, seed=int(rng.integers(1 << 30)))
        rej.append(r.p_value < 0.05)
    assert np.mean(rej) <= 0.11


def test_twfe_errors():
    df = _staggered_noise_free()
    with pytest.raises(ValueError, match="does not vary"):
        twfe(df.assign(z=0), "unit", "t", "z", "y")
    with pytest.raises(KeyError):
        twfe(df, "unit", "t", "nope", "y")
