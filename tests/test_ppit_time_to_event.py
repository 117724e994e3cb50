"""Harrell's C and the cumulative/dynamic AUC: lifelines, R survival and scikit-survival."""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.datasets import load_rossi
from lifelines.utils import concordance_index

from foundation_eval import ppit


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def rossi():
    df = load_rossi()
    cph = CoxPHFitter().fit(df, "week", "arrest")
    return df, cph.predict_log_partial_hazard(df).to_numpy()


def test_harrell_c_on_rossi_matches_lifelines_and_r_survival(rossi):
    df, lp = rossi
    r = ppit.harrell_c(df["week"], df["arrest"], lp)
    # lifelines expects higher = longer survival, hence -lp; same pair definition.
    assert r.estimate == pytest.approx(concordance_index(df["week"], -lp, df["arrest"]), abs=1e-12)
    # R survival, coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio,
    # data = Rossi): "Concordance= 0.64 (se = 0.027)" (Fox & Weisberg's Cox appendix output).
    assert round(r.estimate, 2) == 0.64
    # our jackknife SE against R's infinitesimal-jackknife SE (different estimator, same limit)
    assert r.se == pytest.approx(0.027, abs=0.0015)
    assert r.ci_low < r.estimate < r.ci_high
    assert r.n_comparable == r.n_concordant + r.n_discordant + r.n_tied_risk
    # O(n log n) path without a standard error gives the same point estimate
    fast = ppit.harrell_c(df["week"], df["arrest"], lp, se=False)
    assert fast.estimate == pytest.approx(r.estimate, abs=1e-12)
    assert (fast.n_comparable, fast.n_tied_risk) == (r.n_comparable, r.n_tied_risk)
    assert np.isnan(fast.se)
    # a single covariate with many ties: number of prior convictions
    prio = ppit.harrell_c(df["week"], df["arrest"], df["prio"])
    assert prio.estimate == pytest.approx(concordance_index(df["week"], -df["prio"], df["arrest"]), abs=1e-12)


def brute_c(t, e, r):
    num = den = 0.0
    for i in range(len(t)):
        if not e[i]:
            continue
        for j in range(len(t)):
            if t[j] > t[i] or (t[j] == t[i] and not e[j]):
                den += 1
                num += 1.0 if r[i] > r[j] else (0.5 if r[i] == r[j] else 0.0)
    return num / den


def test_harrell_c_pair_definition_and_jackknife_by_brute_force():
    rng = np.random.default_rng(5)
    n = 40
    t = rng.integers(1, 8, n).astype(float)  # heavy ties in time
    e = rng.integers(0, 2, n)
    r = rng.integers(0, 4, n).astype(float)  # heavy ties in risk
    res = ppit.harrell_c(t, e, r)
    assert res.estimate == pytest.approx(brute_c(t, e, r), abs=1e-12)
    loo = np.array([brute_c(np.delete(t, k), np.delete(e, k), np.delete(r, k)) for k in range(n)])
    se = np.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2))
    assert res.se == pytest.approx(se, rel=1e-10)


def test_harrell_c_sign_convention():
    t = np.array([1.0, 2, 3, 4, 5])
    e = np.ones(5)
    assert ppit.harrell_c(t, e, -t).estimate == 1.0  # higher risk, shorter time: perfect
    assert ppit.harrell_c(t, e, t).estimate == 0.0


def test_cumulative_dynamic_auc_matches_scikit_survival_reference():
    d = pd.read_csv(DATA / "ppit_tdauc_sim.csv")
    ref = json.loads((DATA / "ppit_tdauc_sksurv.json").read_text())
    r = ppit.time_dependent_auc(d["time"], d["event"], d["score"], ref["times"])
    # scikit-survival 0.28.0 cumulative_dynamic_auc on the same data (tests/data/ppit_make_reference.py)
    np.testing.assert_allclose(r.auc, ref["auc"], atol=1e-12)
    assert r.mean_auc == pytest.approx(ref["mean_auc"], abs=1e-12)
    assert r.table().columns.tolist()[:4] == ["time", "auc", "ci_low", "ci_high"]


def test_cumulative_dynamic_auc_live_against_scikit_survival():
    sksurv_metrics = pytest.importorskip("sksurv.metrics")
    from sksurv.util import Surv

    rng = np.random.default_rng(11)
    n = 250
    x = rng.normal(size=n)
    t = np.minimum(rng.weibull(1.5, n) * 8 * np.exp(-0.5 * x), rng.uniform(1, 15, n))
    ev = rng.random(n) < 0.8
    t = np.round(t, 1) + 0.1
    times = np.quantile(t, [0.2, 0.5, 0.7])
    y = Surv.from_arrays(ev, t)
    ref, ref_mean = sksurv_metrics.cumulative_dynamic_auc(y, y, x, times)
    r = ppit.time_dependent_auc(t, ev.astype(int), x, times)
    np.testing.assert_allclose(r.auc, ref, atol=1e-12)
    assert r.mean_auc == pytest.approx(ref_mean, abs=1e-12)


def test_without_censoring_auc_t_is_the_binary_auc_at_the_horizon():
    rng = np.random.default_rng(3)
    t = rng.exponential(5, 200)
    s = -t + rng.normal(0, 3, 200)
    r = ppit.time_dependent_auc(t, np.ones(200, int), s, [4.0])
    case = (t <= 4).astype(int)
    assert r.auc[0] == pytest.approx(ppit.auc(s, case).estimate, abs=1e-12)


def test_bootstrap_interval_and_recovery_of_true_auc():
    # exponential times with log-hazard 1.0 * x, uniform censoring; with a large uncensored
    # copy the empirical AUC(t) is the truth the censored IPCW estimate must recover.
    rng = np.random.default_rng(8)
    n = 600
    x = rng.normal(size=n)
    t_event = rng.exponential(np.exp(-x)) * 4
    t_cens = rng.uniform(0, 12, n)
    t, e = np.minimum(t_event, t_cens), (t_event <= t_cens).astype(int)
    big_x = rng.normal(size=200_000)
    big_t = rng.exponential(np.exp(-big_x)) * 4
    truth = ppit.auc(big_x, (big_t <= 3).astype(int)).estimate
    r = ppit.time_dependent_auc(t, e, x, [3.0], n_boot=200, seed=1)
    assert r.ci_low[0] <= truth <= r.ci_high[0]
    assert abs(r.auc[0] - truth) < 0.04
    assert r.plot().get_ylabel().startswith("Cumulative")


def test_time_dependent_auc_rejects_bad_horizons():
    t = np.array([1.0, 2, 3, 4, 5, 6])
    e = np.array([1, 0, 1, 1, 0, 1])
    s = np.arange(6.0)
    with pytest.raises(ValueError, match="no events"):
        ppit.time_dependent_auc(t, e, s, [0.5])
    with pytest.raises(ValueError, match="beyond horizon"):
        ppit.time_dependent_auc(t, e, s, [6.0])
    with pytest.raises(ValueError, match="binary"):
        ppit.harrell_c(t, [0, 1, 2, 1, 0, 1], s)
    big = np.arange(100_001, dtype=float)
    with pytest.raises(ValueError, match="se=False"):
        ppit.harrell_c(big, np.ones_like(big), -big)
