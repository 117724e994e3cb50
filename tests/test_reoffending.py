"""Tests for foundation_eval.models.reoffending.

Reference values are quoted next to each assertion with their source. Recovery tests simulate data
with a known truth (fixed seeds). Positive-stable frailties (Hougaard 1986, Biometrika 73:387) are
used where a clustered or confounded design must keep an *exactly* proportional-hazards marginal
model: if Z has Laplace transform exp(-s^a) and the conditional hazard is Z h0(t) exp(b x), the
marginal hazard ratio is exp(a b), so the target of a marginal Cox fit is known exactly.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from foundation_eval.models import reoffending as ro  # noqa: E402

DATA = Path(__file__).parent / "data"

# ---------------------------------------------------------------------------------------------
# reference data sets
# ---------------------------------------------------------------------------------------------

# Freireich EJ et al. (1963) Blood 21:699, remission times (weeks) of 42 children with acute
# leukaemia; as listed in Gehan (1965) Biometrika 52:203 and Klein & Moeschberger (2003) sec. 1.2.
# 6-MP group (+ = censored): 6,6,6,6+,7,9+,10,10+,11+,13,16,17+,19+,20+,22,23,25+,32+,32+,34+,35+
MP_TIME = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
# placebo group, all relapsed
PL_TIME = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
PL_EVENT = [1] * 21


@pytest.fixture(scope="module")
def rossi():
    # Rossi, Berk & Lenihan (1980) Money, Work and Crime; 432 released prisoners followed 52 weeks.
    from lifelines.datasets import load_rossi

    df = load_rossi()
    df["id"] = np.arange(len(df))
    return df


ROSSI_COVS = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]


@pytest.fixture(scope="module")
def lung():
    # NCCTG advanced lung cancer data (Loprinzi et al. 1994), R survival::lung, 228 patients.
    from lifelines.datasets import load_lung

    return load_lung()


def pstable(alpha, size, rng):
    """Positive stable variates with E exp(-sZ) = exp(-s^alpha) (Kanter 1975 representation)."""
    u = rng.uniform(0, np.pi, size)
    e = rng.exponential(size=size)
    return np.sin(alpha * u) / np.sin(u) ** (1 / alpha) * (np.sin((1 - alpha) * u) / e) ** ((1 - alpha) / alpha)


def split_at(df, cuts, time="week", event="arrest"):
    """Split each person's follow-up at the given times (like R survSplit)."""
    rows = []
    for rec in df.to_dict("records"):
        lo = 0.0
        for c in [*cuts, np.inf]:
            hi = min(c, rec[time])
            if hi > lo:
                rows.append({**rec, "start": lo, "stop": hi, "ev": int(rec[event] == 1 and hi == rec[time])})
            lo = hi
            if hi >= rec[time]:
                break
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Kaplan-Meier
# ---------------------------------------------------------------------------------------------


def test_km_freireich_6mp_matches_published_table():
    km = ro.kaplan_meier(MP_TIME, MP_EVENT)
    tab = km.table()
    assert list(tab.columns) == ["time", "at_risk", "events", "survival", "ci_low", "ci_high"]
    ev = tab[tab.events > 0].reset_index(drop=True)
    # Klein & Moeschberger (2003) Table 4.1A / R summary(survfit(Surv(time, status) ~ 1)) for 6-MP:
    # time 6 7 10 13 16 22 23; n.risk 21 17 15 12 11 7 6; n.event 3 1 1 1 1 1 1
    assert ev.time.tolist() == [6, 7, 10, 13, 16, 22, 23]
    assert ev.at_risk.tolist() == [21, 17, 15, 12, 11, 7, 6]
    assert ev.events.tolist() == [3, 1, 1, 1, 1, 1, 1]
    # survival 0.8571 0.8067 0.7529 0.6902 0.6275 0.5378 0.4482 (same sources)
    np.testing.assert_array_equal(np.round(ev.survival, 4), [0.8571, 0.8067, 0.7529, 0.6902, 0.6275, 0.5378, 0.4482])
    # Greenwood standard errors of S(t): 0.0764 0.0869 0.0963 0.1068 0.1141 0.1282 0.1346
    # (Klein & Moeschberger 2003 Table 4.1A; R survfit std.err column)
    se = [km.std_error_at(t) for t in ev.time]
    np.testing.assert_array_equal(np.round(se, 4), [0.0764, 0.0869, 0.0963, 0.1068, 0.1141, 0.1282, 0.1346])
    # median 23 weeks (Klein & Moeschberger 2003 Example 4.1; R prints median 23)
    assert km.median == 23
    # censor-only times are rows with 0 events and unchanged survival
    assert tab.loc[tab.time == 9, "events"].item() == 0
    assert tab.loc[tab.time == 9, "survival"].item() == pytest.approx(0.806723, abs=1e-6)


def test_km_loglog_interval_formula_and_lifelines():
    km = ro.kaplan_meier(MP_TIME, MP_EVENT)
    # log(-log) interval by hand at t = 6 (Kalbfleisch & Prentice 1980 eq. 1.10):
    # S = 18/21, Greenwood sum = 3 / (21 * 18)
    s, g = 18 / 21, 3 / (21 * 18)
    half = 1.959964 * np.sqrt(g) / abs(np.log(s))
    assert km.ci_low[0] == pytest.approx(s ** np.exp(half), rel=1e-6)
    assert km.ci_high[0] == pytest.approx(s ** np.exp(-half), rel=1e-6)
    # independent implementation: lifelines' default interval is also log(-log)
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter().fit(MP_TIME, MP_EVENT)
    ci = kmf.confidence_interval_.iloc[1:]
    np.testing.assert_allclose(km.ci_low, ci.iloc[:, 0], rtol=1e-9)
    np.testing.assert_allclose(km.ci_high, ci.iloc[:, 1], rtol=1e-9)
    # median interval: lower = first time the lower limit <= 0.5 (13), upper never reached
    assert km.median_ci_low == 13 and km.median_ci_high == np.inf


def test_km_step_function_and_edges():
    km = ro.kaplan_meier(MP_TIME, MP_EVENT)
    assert km.survival_at(0) == 1.0
    assert km.survival_at(5.99) == 1.0
    assert km.survival_at(6) == pytest.approx(18 / 21)
    np.testing.assert_allclose(km.survival_at([6.5, 100]), [18 / 21, 0.448179], atol=1e-6)
    assert km.risk_at(6) == pytest.approx(3 / 21)
    placebo = ro.kaplan_meier(PL_TIME, PL_EVENT)
    assert placebo.survival[-1] == 0.0 and np.isnan(placebo.ci_low[-1])
    # median of placebo: 8 weeks (Klein & Moeschberger 2003 Example 4.1; R survfit median 8)
    assert placebo.median == 8
    never = ro.kaplan_meier([1, 2, 3, 4], [0, 1, 0, 0])  # S falls only to 2/3
    assert never.median == np.inf


def test_km_input_validation():
    with pytest.raises(ValueError, match="non-negative"):
        ro.kaplan_meier([1, -2, 3], [1, 1, 1])
    with pytest.raises(ValueError, match="0 .censored. or 1"):
        ro.kaplan_meier([1, 2, 3], [1, 2, 1])
    with pytest.raises(ValueError, match="length"):
        ro.kaplan_meier([1, 2, 3], [1, 1])
    with pytest.raises(ValueError, match="missing"):
        ro.kaplan_meier([1, np.nan, 3], [1, 1, 1])
    with pytest.raises(ValueError, match="level"):
        ro.kaplan_meier([1, 2], [1, 1], level=95)


def test_km_result_is_immutable_and_plots():
    km = ro.kaplan_meier(MP_TIME, MP_EVENT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        km.median = 3
    with pytest.raises(ValueError):
        km.survival[0] = 0.5
    ax = km.plot()
    assert isinstance(ax, plt.Axes)
    assert len(ax.lines) == 1 and len(ax.collections) == 1  # step curve and interval band
    plt.close("all")


# ---------------------------------------------------------------------------------------------
# log-rank and risk difference
# ---------------------------------------------------------------------------------------------


def test_logrank_freireich():
    res = ro.logrank(MP_TIME + PL_TIME, MP_EVENT + PL_EVENT, ["6-MP"] * 21 + ["placebo"] * 21)
    # log-rank chi-square 16.79 on 1 df (Freireich data; e.g. Kalbfleisch & Prentice 2002 sec. 1.5,
    # R survdiff: Chisq = 16.8 on 1 degrees of freedom, p = 4e-05)
    assert round(res.statistic, 2) == 16.79
    assert res.dof == 1
    assert res.p_value == pytest.approx(4.17e-05, rel=0.01)
    tab = res.table().set_index("group")
    # R survdiff: observed 9 / 21, expected 19.25 / 10.75
    assert tab.loc["6-MP", "observed"] == 9 and round(tab.loc["6-MP", "expected"], 2) == 19.25
    assert tab.loc["placebo", "observed"] == 21 and round(tab.loc["placebo", "expected"], 2) == 10.75
    assert isinstance(res.plot(), plt.Axes)
    plt.close("all")


def test_logrank_k_sample_against_lifelines():
    rng = np.random.default_rng(3)
    n = 300
    g = rng.integers(0, 3, n)
    t = np.ceil(rng.exponential(10 / (1 + 0.3 * g)))
    e = (rng.uniform(size=n) < 0.8).astype(int)
    res = ro.logrank(t, e, g)
    from lifelines.statistics import multivariate_logrank_test

    ref = multivariate_logrank_test(t, g, e)
    assert res.dof == 2
    assert res.statistic == pytest.approx(ref.test_statistic, rel=1e-9)
    assert res.p_value == pytest.approx(ref.p_value, rel=1e-7)
    with pytest.raises(ValueError, match="two distinct"):
        ro.logrank(t, e, np.zeros(n))


def test_risk_difference_freireich_from_published_km():
    res = ro.risk_difference(MP_TIME + PL_TIME, MP_EVENT + PL_EVENT, [1] * 21 + [0] * 21, horizon=10)
    # from the published KM values: 6-MP S(10) = 0.7529 (SE 0.0963); placebo S(10) = 8/21
    # (13 of 21 relapsed by week 10, no censoring, SE sqrt(p(1-p)/21) = 0.1060)
    assert round(res.risk[1], 4) == round(1 - 0.752941, 4)
    assert round(res.risk[0], 4) == round(13 / 21, 4)
    assert round(res.estimate, 4) == round((1 - 0.752941) - 13 / 21, 4)
    assert round(res.se, 3) == round(np.hypot(0.0963, np.sqrt(13 / 21 * 8 / 21 / 21)), 3)
    assert res.ci_low == pytest.approx(res.estimate - 1.959964 * res.se)
    tab = res.table()
    assert tab.term.tolist() == ["risk[0]", "risk[1]", "risk[1] - risk[0]"]
    with pytest.raises(ValueError, match="beyond"):
        ro.risk_difference(MP_TIME + PL_TIME, MP_EVENT + PL_EVENT, [1] * 21 + [0] * 21, horizon=30)
    with pytest.raises(ValueError, match="exactly two"):
        ro.risk_difference([1, 2, 3], [1, 1, 1], [0, 1, 2], horizon=1)
    assert isinstance(res.plot(), plt.Axes)
    plt.close("all")


def test_results_share_the_base_classes():
    """Every reoffending result is a Result (table and plot); those with one number and an interval are
    IntervalEstimates, whose covers() reads the interval."""
    from foundation_eval.results import IntervalEstimate, Result

    km = ro.kaplan_meier(MP_TIME, MP_EVENT)
    rd = ro.risk_difference(MP_TIME + PL_TIME, MP_EVENT + PL_EVENT, [1] * 21 + [0] * 21, horizon=10)
    boot = ro.bootstrap_mean([1.0, 2.0, 3.0, 4.0], n_boot=200)
    assert isinstance(km, Result) and not isinstance(km, IntervalEstimate)
    assert isinstance(rd, IntervalEstimate) and isinstance(boot, IntervalEstimate)
    assert rd.covers(rd.estimate) and not rd.covers(rd.ci_high + 1)
    assert boot.covers(2.5)


def test_risk_difference_recovers_truth_with_nominal_coverage():
    # exponential reoffending, monthly rates 0.05 (control) and 0.035 (programme), censoring U(6, 30)
    rng = np.random.default_rng(2024)
    truth = (1 - np.exp(-0.035 * 12)) - (1 - np.exp(-0.05 * 12))
    covered, est = 0, []
    reps, n = 300, 400
    for _ in range(reps):
        g = rng.integers(0, 2, n)
        t = rng.exponential(1 / np.where(g == 1, 0.035, 0.05))
        c = rng.uniform(6, 30, n)
        res = ro.risk_difference(np.minimum(t, c), (t <= c).astype(int), g, horizon=12)
        covered += res.ci_low <= truth <= res.ci_high
        est.append(res.estimate)
    assert abs(np.mean(est) - truth) < 0.005
    assert 0.92 <= covered / reps <= 0.98


# ---------------------------------------------------------------------------------------------
# Cox model: reference values
# ---------------------------------------------------------------------------------------------


def test_cox_rossi_matches_fox(rossi):
    res = ro.cox(rossi, "week", "arrest", ROSSI_COVS)
    tab = res.table()
    assert list(tab.columns) == ["coef", "se", "hr", "hr_low", "hr_high", "p"]
    # Fox (2002) "Cox proportional-hazards regression for survival data", appendix to An R and S-PLUS
    # Companion to Applied Regression: coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro
    # + prio, data = Rossi), Efron ties.
    fox = {"fin": (-0.37942, 0.19138), "age": (-0.05744, 0.02200), "race": (0.31390, 0.30799),
           "wexp": (-0.14980, 0.21222), "mar": (-0.43370, 0.38187), "paro": (-0.08487, 0.19576),
           "prio": (0.09150, 0.02865)}
    for name, (coef, se) in fox.items():
        assert round(tab.loc[name, "coef"], 5) == coef
        assert round(tab.loc[name, "se"], 5) == se
    # Fox (2002): exp(coef) for fin 0.684, prio 1.096; likelihood-ratio test = 33.3 on 7 df
    assert round(tab.loc["fin", "hr"], 3) == 0.684
    assert round(tab.loc["prio", "hr"], 3) == 1.096
    stat, df, _ = res.likelihood_ratio_test()
    assert round(stat, 1) == 33.3 and df == 7
    assert res.n == 432 and res.events == 114
    assert not res.robust
    # Harrell's C: independent implementation (lifelines) on the same linear predictor
    from lifelines.utils import concordance_index

    lp = rossi[ROSSI_COVS].to_numpy() @ res.coef
    assert res.concordance == pytest.approx(concordance_index(rossi.week, -lp, rossi.arrest), abs=1e-12)
    assert round(res.concordance, 2) == 0.64  # R coxph prints Concordance = 0.64


def test_cox_rossi_strata_matches_r(rossi):
    # R: coxph(Surv(week, arrest) ~ fin + age + strata(race) + wexp + mar + paro + prio, data = rossi)
    # coefficients -0.3788, -0.0576, -0.1427, -0.4388, -0.0858, 0.0922 (R output quoted in the
    # lifelines test-suite, test_coef_output_against_R_with_strata_super_accurate)
    res = ro.cox(rossi, "week", "arrest", ["fin", "age", "wexp", "mar", "paro", "prio"], strata="race")
    np.testing.assert_array_equal(np.round(res.coef, 4), [-0.3788, -0.0576, -0.1427, -0.4388, -0.0858, 0.0922])


def test_cox_lung_matches_r_survival(lung):
    res = ro.cox(lung, "time", "status", ["age", "sex"])
    tab = res.table()
    # R survival: coxph(Surv(time, status) ~ age + sex, data = lung): age 0.017045 (se 0.009223),
    # sex -0.513219 (se 0.167458), exp(coef) 0.598566, CI for sex 0.4311-0.8311, concordance 0.603,
    # likelihood ratio test 14.12 on 2 df (R coxph printout reproduced in the survival vignette)
    assert round(tab.loc["age", "coef"], 6) == 0.017045 and round(tab.loc["age", "se"], 6) == 0.009223
    assert round(tab.loc["sex", "coef"], 6) == -0.513219 and round(tab.loc["sex", "se"], 6) == 0.167458
    assert round(tab.loc["sex", "hr"], 6) == 0.598566
    assert (round(tab.loc["sex", "hr_low"], 4), round(tab.loc["sex", "hr_high"], 4)) == (0.4311, 0.8311)
    assert round(res.concordance, 3) == 0.603
    assert round(res.likelihood_ratio_test()[0], 2) == 14.12
    # R survival >= 3.0: cox.zph(fit) -> age 0.209, sex 2.608, GLOBAL 2.771 on 2 df (p 0.65, 0.11, 0.25)
    ph = res.ph_test()
    assert list(ph.columns) == ["statistic", "df", "p"]
    assert round(ph.loc["age", "statistic"], 3) == 0.209
    assert round(ph.loc["sex", "statistic"], 3) == 2.608
    assert round(ph.loc["GLOBAL", "statistic"], 3) == 2.771 and ph.loc["GLOBAL", "df"] == 2
    assert round(ph.loc["GLOBAL", "p"], 2) == 0.25


def test_cox_lung_weight_loss_ph_test_matches_r(lung):
    d = lung.dropna(subset=["wt.loss"])
    res = ro.cox(d, "time", "status", ["age", "sex", "wt.loss"])
    # R survival vignette ("The survival package", Therneau), lung example:
    # coxph(Surv(time, status) ~ age + sex + wt.loss): coef/se 0.0200882/0.0096644,
    # -0.5210319/0.1743541, 0.0007596/0.0061934; n = 214, 152 events; loglik -680.39 -> -673.06;
    # cox.zph (km): 0.5077, 2.5489, 0.0144, GLOBAL 3.0051
    np.testing.assert_array_equal(np.round(res.coef, 7), [0.0200882, -0.5210319, 0.0007596])
    np.testing.assert_array_equal(np.round(res.se, 7), [0.0096644, 0.1743541, 0.0061934])
    assert res.n == 214 and res.events == 152
    assert (round(res.loglik_null, 2), round(res.loglik, 2)) == (-680.39, -673.06)
    ph = res.ph_test("km")
    np.testing.assert_array_equal(np.round(ph.statistic.iloc[:3], 4), [0.5077, 2.5489, 0.0144])
    assert round(ph.loc["GLOBAL", "statistic"], 4) == 3.0051


def test_cox_efron_closed_form_therneau_grambsch():
    # Therneau & Grambsch (2000) Modeling Survival Data, appendix E.1 "test data 1": time 1,1,6,6,8,9,
    # status 1,0,1,1,0,1, x 1,1,1,0,0,0. Efron: beta = log(r) with r the root given in closed form,
    # beta = 1.676857; loglik 2b - log(3r+3) - log((r+5)/2) - log(r+3); information
    # r/(r+1)^2 + 5r/(r+5)^2 ... written as sum of p(1-p) at the three death sets.
    df = pd.DataFrame({"t": [1, 1, 6, 6, 8, 9], "e": [1, 0, 1, 1, 0, 1], "x": [1, 1, 1, 0, 0, 0]})
    res = ro.cox(df, "t", "e", ["x"])
    phi = np.arccos((45 / 23) * np.sqrt(3 / 23))
    r = 2 * np.sqrt(23 / 3) * np.cos(phi / 3)
    assert round(res.coef[0], 6) == 1.676857
    assert res.coef[0] == pytest.approx(np.log(r), rel=1e-9)
    assert res.loglik == pytest.approx(2 * np.log(r) - np.log(3 * r + 3) - np.log((r + 5) / 2) - np.log(r + 3),
                                       rel=1e-10)

    def pq(v):
        return v - v * v

    info = pq(r / (r + 1)) + pq(r / (r + 5)) + pq(r / (r + 3))
    assert res.model_se[0] == pytest.approx(1 / np.sqrt(info), rel=1e-8)


def test_cox_robust_errors_match_r_examples():
    # R survival values quoted (with the R calls) in the lifelines test-suite
    # (lifelines/tests/test_estimation.py, test_robust_errors_is_the_same_as_R and neighbours).
    df = pd.DataFrame({"var1": [0.209325, 0.693919, 0.443804, 0.065636, 0.386294],
                       "var2": [0.184677, 0.071893, 1.364646, 0.098375, 1.663092],
                       "T": [7.335846, 5.269797, 11.684092, 12.678458, 6.601666], "E": 1, "id": range(5)})
    # coxph(Surv(T, E) ~ var1 + var2, robust = TRUE): coef 7.680, -0.915; robust se 2.097, 0.827
    res = ro.cox(df, "T", "E", ["var1", "var2"], cluster="id")
    np.testing.assert_array_equal(np.round(res.coef, 3), [7.680, -0.915])
    np.testing.assert_array_equal(np.round(res.se, 3), [2.097, 0.827])
    assert res.robust and res.n_clusters == 5
    # weights = var2 (non-integer case weights): coef -5.16231, 1.71924; se 9.97730, 2.45648
    df["w"] = df["var2"]
    res = ro.cox(df, "T", "E", ["var1", "var2"], weights="w")
    np.testing.assert_array_equal(np.round(res.coef, 5), [-5.16231, 1.71924])
    np.testing.assert_array_equal(np.round(res.se, 5), [9.97730, 2.45648])
    # ... with E = 1,1,0,1,1: coef -8.360533, 1.781126; se 12.303338, 2.395670
    df["E"] = [1, 1, 0, 1, 1]
    res = ro.cox(df, "T", "E", ["var1", "var2"], weights="w")
    np.testing.assert_array_equal(np.round(res.coef, 5), np.round([-8.360533, 1.781126], 5))
    np.testing.assert_array_equal(np.round(res.se, 5), np.round([12.303338, 2.395670], 5))
    # coxph(Surv(T, E) ~ var1 + var2 + cluster(id)) with id 1,1,2,3,4 and var1 1,1,2,2,2:
    # robust se 5.9752, 4.0683
    df2 = pd.DataFrame({"var1": [1, 1, 2, 2, 2], "var2": df["var2"], "T": df["T"], "E": 1, "id": [1, 1, 2, 3, 4]})
    res = ro.cox(df2, "T", "E", ["var1", "var2"], cluster="id")
    np.testing.assert_array_equal(np.round(res.se, 4), [5.9752, 4.0684])  # R 4.0683 (4.06839 here)
    assert res.n_clusters == 4
    # coxph(Surv(T, E) ~ strata(strata) + var + cluster(id)): robust se 0.643
    df3 = pd.DataFrame({"var": df["var2"], "id": [1, 1, 2, 3, 4], "strata": [1, 1, 2, 2, 2],
                        "T": [5.269797, 6.601666, 7.335846, 11.684092, 12.678458], "E": 1})
    res = ro.cox(df3, "T", "E", ["var"], cluster="id", strata="strata")
    assert round(res.se[0], 3) == 0.643


def test_cox_robust_matches_statsmodels_without_ties():
    # with no tied times, Efron = Breslow and statsmodels' PHReg sandwich must agree exactly
    rng = np.random.default_rng(7)
    n = 400
    x = rng.normal(size=(n, 2))
    t = rng.exponential(1 / np.exp(x @ [0.5, -0.3]))
    c = rng.exponential(2.0, n)
    df = pd.DataFrame({"t": np.minimum(t, c), "e": (t <= c).astype(int), "x1": x[:, 0], "x2": x[:, 1],
                       "cl": rng.integers(0, 40, n)})
    res = ro.cox(df, "t", "e", ["x1", "x2"], cluster="cl")
    from statsmodels.duration.hazard_regression import PHReg

    sm = PHReg(df.t, df[["x1", "x2"]], status=df.e, ties="efron").fit(groups=df.cl.to_numpy())
    np.testing.assert_allclose(res.coef, sm.params, rtol=1e-7)
    np.testing.assert_allclose(res.se, sm.bse, rtol=1e-6)
    np.testing.assert_allclose(res.model_se, PHReg(df.t, df[["x1", "x2"]], status=df.e, ties="efron").fit().bse,
                               rtol=1e-6)


def test_cox_robust_close_to_jackknife_on_rossi(rossi):
    # The robust variance is the infinitesimal jackknife (Lin & Wei 1989; Therneau & Grambsch sec. 7.2):
    # with every person their own cluster it should be close to (a little below) the leave-one-out
    # jackknife, which is known to be slightly conservative.
    res = ro.cox(rossi, "week", "arrest", ROSSI_COVS, cluster="id")
    loo = np.array([ro.cox(rossi.drop(rossi.index[i]), "week", "arrest", ROSSI_COVS).coef
                    for i in range(len(rossi))])
    n = len(rossi)
    jack = np.sqrt((n - 1) / n * ((loo - loo.mean(axis=0)) ** 2).sum(axis=0))
    ratio = res.se / jack
    assert ((ratio > 0.92) & (ratio < 1.0)).all()
    assert (res.se != res.model_se).all()


def test_cox_ph_test_on_rossi(rossi):
    # Fox (2002) finds non-proportional hazards for age (and a weaker signal for wexp) in the Rossi
    # model; with R's current cox.zph (km transform) age and wexp are the only terms below 0.05.
    res = ro.cox(rossi, "week", "arrest", ROSSI_COVS)
    ph = res.ph_test("km")
    assert ph.index.tolist() == [*ROSSI_COVS, "GLOBAL"]
    assert ph.loc["age", "p"] < 0.05 and ph.loc["wexp", "p"] < 0.05
    assert (ph.loc[["fin", "race", "mar", "paro", "prio"], "p"] > 0.1).all()
    assert ph.loc["GLOBAL", "df"] == 7 and ph.loc["GLOBAL", "p"] < 0.05
    # the reduced model fin + age + prio (Fox's mod.allison.4): age flagged, global near 0.05-0.07
    small = ro.cox(rossi, "week", "arrest", ["fin", "age", "prio"]).ph_test("km")
    assert small.loc["age", "p"] < 0.05 and small.loc["fin", "p"] > 0.5
    assert 0.04 < small.loc["GLOBAL", "p"] < 0.1
    with pytest.raises(ValueError, match="transform"):
        res.ph_test("spline")


def test_cox_ph_test_detects_a_time_varying_effect():
    # truth: the treatment halves the hazard in the first 6 months and has no effect afterwards
    rng = np.random.default_rng(8)
    n = 3000
    a = rng.integers(0, 2, n)
    lam = 0.08
    e1 = rng.exponential(size=n)
    early = np.where(a == 1, 0.5 * lam, lam)
    t = np.where(e1 < early * 6, e1 / early, 6 + (e1 - early * 6) / lam)
    df = pd.DataFrame({"t": np.minimum(t, 24), "e": (t <= 24).astype(int), "a": a, "x": rng.normal(size=n)})
    ph = ro.cox(df, "t", "e", ["a", "x"]).ph_test()
    assert ph.loc["a", "p"] < 0.001
    assert ph.loc["x", "p"] > 0.01


def test_cox_text_covariate_and_validation(lung):
    d = lung[["time", "status", "age", "sex"]].copy()
    d["sex_label"] = np.where(d.sex == 1, "male", "female")
    res = ro.cox(d, "time", "status", ["age", "sex_label"])
    assert res.covariates == ("age", "sex_label[male]")
    # male vs female is minus the R coefficient for sex (2 = female vs 1 = male), -0.513219
    assert round(res.coef[1], 6) == 0.513219
    bad = d.copy()
    bad.loc[3, "age"] = np.nan
    with pytest.raises(ValueError, match="missing values in column"):
        ro.cox(bad, "time", "status", ["age"])
    with pytest.raises(ValueError, match="no column"):
        ro.cox(d, "time", "status", ["weight"])
    neg = d.copy()
    neg.loc[0, "time"] = -1
    with pytest.raises(ValueError, match="non-negative"):
        ro.cox(neg, "time", "status", ["age"])
    two = d.copy()
    two.loc[0, "status"] = 2
    with pytest.raises(ValueError, match="0 .censored. or 1"):
        ro.cox(two, "time", "status", ["age"])
    with pytest.raises(ValueError, match="constant"):
        ro.cox(d.assign(k=1.0), "time", "status", ["age", "k"])


def test_cox_result_immutable_and_forest_plot(rossi):
    res = ro.cox(rossi, "week", "arrest", ROSSI_COVS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.n = 1
    with pytest.raises(ValueError):
        res.coef[0] = 0.0
    ax = res.plot()
    assert isinstance(ax, plt.Axes) and ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_yticklabels()] == ROSSI_COVS
    assert res.confounding_warning is None
    plt.close("all")


# ---------------------------------------------------------------------------------------------
# Cox model: recovery
# ---------------------------------------------------------------------------------------------


def _clustered(rng, n_cl, m, alpha=0.5, hr=0.8):
    """Treatment assigned by cluster (e.g. district); events share a positive-stable cluster frailty,
    so the marginal hazard ratio is exactly `hr` while outcomes within a cluster are dependent."""
    beta = np.log(hr) / alpha
    cl = np.repeat(np.arange(n_cl), m)
    a = np.repeat(rng.permutation(np.arange(n_cl) % 2), m)
    z = pstable(alpha, n_cl, rng)[cl]
    t = rng.exponential(size=cl.size) / (z * 0.05 * np.exp(beta * a))
    return pd.DataFrame({"t": np.ceil(np.minimum(t, 24.0)), "e": (t <= 24).astype(int), "a": a, "cl": cl})


def test_cox_recovers_hr_with_cluster_robust_coverage():
    rng = np.random.default_rng(1)
    big = _clustered(rng, 400, 25)
    res = ro.cox(big, "t", "e", ["a"], cluster="cl")
    assert res.table().loc["a", "hr_low"] < 0.8 < res.table().loc["a", "hr_high"]
    assert res.n_clusters == 400 and res.se[0] > 3 * res.model_se[0]
    # coverage over repeated trials with 30 clusters of 20 (monthly ties, Efron)
    robust = model = 0
    reps = 300
    for _ in range(reps):
        r = ro.cox(_clustered(rng, 30, 20), "t", "e", ["a"], cluster="cl")
        robust += abs(r.coef[0] - np.log(0.8)) < 1.959964 * r.se[0]
        model += abs(r.coef[0] - np.log(0.8)) < 1.959964 * r.model_se[0]
    assert 0.87 <= robust / reps <= 0.98  # near nominal (30 clusters: slightly below 0.95)
    assert model / reps < 0.7  # ignoring the clustering badly under-covers


def test_ipw_cox_removes_confounding():
    # Confounder L = log Z, Z positive stable(0.7); conditional hazard 0.04 Z exp(b A) with
    # b = log(0.8)/0.7, so the marginal (population) HR of A is exactly 0.8 and the conditional HR
    # given L is exp(b) = 0.727. Higher-risk people are more likely to be exposed (engaged).
    rng = np.random.default_rng(11)
    n, alpha = 6000, 0.7
    b = np.log(0.8) / alpha
    z = pstable(alpha, n, rng)
    L = np.log(z)
    a = (rng.uniform(size=n) < 1 / (1 + np.exp(0.3 - 0.9 * L))).astype(int)
    t = rng.exponential(size=n) / (0.04 * z * np.exp(b * a))
    d = pd.DataFrame({"t": np.minimum(t, 36), "e": (t <= 36).astype(int), "A": a, "L": L})
    naive = ro.cox(d, "t", "e", ["A"])
    assert naive.table().loc["A", "hr_low"] > 1.2  # confounded: the exposure looks harmful
    w = ro.ipw_weights(d, "A", ["L"])
    assert abs(w.balance.smd_before.iloc[0]) > 0.5 and abs(w.balance.smd_after.iloc[0]) < 0.1
    d["w"] = w.weights
    ipw = ro.cox(d, "t", "e", ["A"], weights="w")
    tab = ipw.table()
    assert tab.loc["A", "hr_low"] < 0.8 < tab.loc["A", "hr_high"]
    assert abs(np.log(tab.loc["A", "hr"] / 0.8)) < 0.05
    assert ipw.robust
    # outcome-model adjustment targets the conditional HR 0.727 instead (non-collapsibility)
    adj = ro.cox(d, "t", "e", ["A", "L"]).table()
    assert adj.loc["A", "hr_low"] < np.exp(b) < adj.loc["A", "hr_high"]


# ---------------------------------------------------------------------------------------------
# time-varying Cox
# ---------------------------------------------------------------------------------------------


def test_time_varying_split_rossi_reproduces_static_fit(rossi):
    long = split_at(rossi, [10, 20, 30, 40])
    assert len(long) > 1500 and long.ev.sum() == 114
    tv = ro.cox_time_varying(long, "id", "start", "stop", "ev", ROSSI_COVS)
    st = ro.cox(rossi, "week", "arrest", ROSSI_COVS)
    np.testing.assert_allclose(tv.coef, st.coef, rtol=1e-9)
    np.testing.assert_allclose(tv.se, st.se, rtol=1e-9)
    # Fox (2002) values again, to 5 decimals
    assert round(tv.table().loc["fin", "coef"], 5) == -0.37942
    assert tv.n == 432 and tv.events == 114 and np.isnan(tv.concordance)
    # robust errors clustered by person are unchanged by the split (score residuals add up)
    tv_r = ro.cox_time_varying(long, "id", "start", "stop", "ev", ROSSI_COVS, cluster="id")
    st_r = ro.cox(rossi, "week", "arrest", ROSSI_COVS, cluster="id")
    np.testing.assert_allclose(tv_r.se, st_r.se, rtol=1e-9)
    # the PH test sees the same data
    for transform in ("identity", "km"):  # the pooled KM allows for the split (delayed entry)
        np.testing.assert_allclose(tv.ph_test(transform).statistic, st.ph_test(transform).statistic, rtol=1e-8)
    # independent implementation: lifelines' CoxTimeVaryingFitter (Efron ties)
    from lifelines import CoxTimeVaryingFitter

    ctv = CoxTimeVaryingFitter().fit(long[["id", "start", "stop", "ev", *ROSSI_COVS]], id_col="id",
                                     event_col="ev", start_col="start", stop_col="stop")
    np.testing.assert_allclose(tv.coef, ctv.params_[ROSSI_COVS].to_numpy(), atol=1e-5)


def test_time_varying_collapsed_rows_give_the_uncollapsed_fit(rossi):
    # Rossi split at fixed weeks: event-free rows sharing an interval and covariates collapse into one
    # row with a count; the fit, both kinds of error and the PH test stay those of the full rows
    covs = ["fin", "prio"]
    long = split_at(rossi, [10, 20, 30, 40]).assign(prio=lambda d: d.prio.clip(upper=3), grp=lambda d: d.id % 7)
    keys = ["start", "stop", *covs, "grp"]
    rest = long[long.ev == 0].groupby(keys).size().rename("n").reset_index().assign(ev=0)
    rest["id"] = -1 - np.arange(len(rest))
    short = pd.concat([rest, long[long.ev == 1].assign(n=1)[[*keys, "ev", "n", "id"]]], ignore_index=True)
    assert len(short) < len(long) / 3 and short.n.sum() == len(long)
    for cluster in (None, "grp"):
        full = ro.cox_time_varying(long, "id", "start", "stop", "ev", covs, cluster=cluster)
        coll = ro.cox_time_varying(short, "id", "start", "stop", "ev", covs, cluster=cluster, counts="n")
        np.testing.assert_allclose(coll.coef, full.coef, rtol=1e-8)
        np.testing.assert_allclose(coll.se, full.se, rtol=1e-8)
        np.testing.assert_allclose(coll.model_se, full.model_se, rtol=1e-8)
        assert coll.loglik == pytest.approx(full.loglik, rel=1e-12) and coll.events == full.events == 114
        for transform in ("km", "identity"):
            np.testing.assert_allclose(coll.ph_test(transform).statistic, full.ph_test(transform).statistic,
                                       rtol=1e-8)
    with pytest.raises(ValueError, match="not defined for collapsed rows"):
        coll.ph_test("rank")
    with pytest.raises(ValueError, match="must stand for itself"):
        ro.cox_time_varying(short.assign(n=2), "id", "start", "stop", "ev", covs, counts="n")
    with pytest.raises(ValueError, match="whole numbers"):
        ro.cox_time_varying(short.assign(n=0.5), "id", "start", "stop", "ev", covs, counts="n")


def test_cox_products_over_blocks_of_rows_give_the_whole_fit(rossi, monkeypatch):
    # a national panel is fitted a block of rows at a time; blocks of 37 rows (event rows on both
    # sides of every boundary) give the fit, both kinds of error and the PH test of one block
    from foundation_eval.models.reoffending import coxph

    long = split_at(rossi, [10, 20, 30, 40]).assign(grp=lambda d: d.id % 7,
                                                     w=lambda d: 0.5 + (d.id % 5) / 4)
    fits = {}
    for block in (1 << 16, 37):
        monkeypatch.setattr(coxph, "_BLOCK", block)
        fits[block] = [ro.cox_time_varying(long, "id", "start", "stop", "ev", [c for c in ROSSI_COVS if c != "race"],
                                           cluster="grp", strata="race"),
                       ro.cox(rossi.assign(w=lambda d: 0.5 + (d.id % 5) / 4), "week", "arrest", ROSSI_COVS,
                              weights="w")]
    assert len(long) > 20 * 37
    for whole, blocked in zip(fits[1 << 16], fits[37], strict=True):
        np.testing.assert_allclose(blocked.coef, whole.coef, rtol=1e-10)
        np.testing.assert_allclose(blocked.se, whole.se, rtol=1e-10)
        np.testing.assert_allclose(blocked.model_se, whole.model_se, rtol=1e-10)
        np.testing.assert_allclose(blocked.ph_test("km").statistic, whole.ph_test("km").statistic, rtol=1e-10)


def test_time_varying_recovers_engagement_effect_and_warns():
    # engagement starts at an independent random time; afterwards the hazard is multiplied by 0.7
    rng = np.random.default_rng(21)
    n, lam, hr, end = 4000, 0.05, 0.7, 24.0
    u = rng.exponential(6, n)
    e = rng.exponential(size=n)
    t = np.where(e < lam * u, e / lam, u + (e - lam * u) / (hr * lam))
    exit_ = np.minimum(t, end)
    rows = []
    for i in range(n):
        if u[i] < exit_[i]:
            rows.append((i, 0.0, u[i], 0, 0))
            rows.append((i, u[i], exit_[i], int(t[i] <= end), 1))
        else:
            rows.append((i, 0.0, exit_[i], int(t[i] <= end), 0))
    long = pd.DataFrame(rows, columns=["pid", "start", "stop", "event", "engaged"])
    res = ro.cox_time_varying(long, "pid", "start", "stop", "event", ["engaged"], cluster="pid")
    tab = res.table()
    assert tab.loc["engaged", "hr_low"] < hr < tab.loc["engaged", "hr_high"]
    assert abs(np.log(tab.loc["engaged", "hr"] / hr)) < 0.1
    assert res.n == n
    assert "confounded" in res.confounding_warning and "engage" in res.confounding_warning
    plain = ro.cox_time_varying(long, "pid", "start", "stop", "event", ["engaged"], self_selected=False)
    assert plain.confounding_warning is None


def test_time_varying_validation():
    ok = pd.DataFrame({"id": [1, 1, 2], "start": [0, 5, 0], "stop": [5, 9, 4], "e": [0, 1, 1], "x": [0, 1, 1]})
    with pytest.warns(RuntimeWarning, match="did not converge"):  # x = 1 at every event: separation
        ro.cox_time_varying(ok, "id", "start", "stop", "e", ["x"])
    with pytest.raises(ValueError, match="overlap"):
        ro.cox_time_varying(ok.assign(start=[0, 4, 0]), "id", "start", "stop", "e", ["x"])
    with pytest.raises(ValueError, match="start < stop"):
        ro.cox_time_varying(ok.assign(stop=[5, 5, 4]), "id", "start", "stop", "e", ["x"])
    with pytest.raises(ValueError, match="no events"):
        ro.cox_time_varying(ok.assign(e=0), "id", "start", "stop", "e", ["x"])


# ---------------------------------------------------------------------------------------------
# negative binomial
# ---------------------------------------------------------------------------------------------


def test_negative_binomial_quine_matches_glm_nb():
    quine = pd.read_csv(DATA / "reoff_quine.csv")
    # Quine (1975) via Venables & Ripley, MASS: 146 children, days absent from school
    assert quine.shape == (146, 5) and quine.Days.sum() == 2403
    res = ro.negative_binomial(quine, "Days", None, ["Eth", "Sex", "Age", "Lrn"])
    tab = res.table()
    assert list(tab.columns) == ["coef", "se", "irr", "irr_low", "irr_high", "p"]
    # R: summary(MASS::glm.nb(Days ~ Sex + Eth + Age + Lrn, data = quine))
    #   (Intercept) 2.89458 (0.22842); SexM 0.08232 (0.15992); EthN -0.56937 (0.15333);
    #   AgeF1 -0.44843 (0.23975); AgeF2 0.08808 (0.23619); AgeF3 0.35690 (0.24832);
    #   LrnSL 0.29211 (0.18647); Theta 1.275, Std. Err. 0.161; 2 x log-likelihood -1093.151;
    #   init.theta = 1.274892646
    ref = {"(Intercept)": (2.89458, 0.22842), "Sex[M]": (0.08232, 0.15992), "Eth[N]": (-0.56937, 0.15333),
           "Age[F1]": (-0.44843, 0.23975), "Age[F2]": (0.08808, 0.23619), "Age[F3]": (0.35690, 0.24832),
           "Lrn[SL]": (0.29211, 0.18647)}
    for term, (coef, se) in ref.items():
        assert round(tab.loc[term, "coef"], 5) == coef
        assert round(tab.loc[term, "se"], 5) == se
    assert round(res.theta, 3) == 1.275 and round(res.theta_se, 3) == 0.161
    assert res.theta == pytest.approx(1.274892646, rel=1e-6)
    assert res.alpha == pytest.approx(1 / 1.274892646, rel=1e-6)
    assert round(2 * res.loglik, 3) == -1093.151
    assert isinstance(res.plot(), plt.Axes)
    plt.close("all")


def test_negative_binomial_recovers_irr_with_exposure():
    rng = np.random.default_rng(5)
    n, theta = 3000, 1.5
    a = rng.integers(0, 2, n)
    x = rng.normal(size=n)
    years = rng.uniform(0.25, 2.0, n)
    mu = years * np.exp(0.2 + np.log(0.7) * a + 0.3 * x)
    y = rng.poisson(mu * rng.gamma(theta, 1 / theta, n))
    d = pd.DataFrame({"y": y, "years": years, "a": a, "x": x, "pid": np.arange(n)})
    res = ro.negative_binomial(d, "y", "years", ["a", "x"])
    tab = res.table()
    assert tab.loc["a", "irr_low"] < 0.7 < tab.loc["a", "irr_high"]
    assert abs(np.log(tab.loc["a", "irr"] / 0.7)) < 0.1
    assert res.alpha == pytest.approx(1 / theta, rel=0.15)
    # sandwich with one cluster per person agrees with the model SE when the model is right
    rob = ro.negative_binomial(d, "y", "years", ["a", "x"], cluster="pid")
    np.testing.assert_allclose(rob.se, res.se, rtol=0.1)
    np.testing.assert_allclose(rob.coef, res.coef)
    with pytest.raises(ValueError, match="positive"):
        ro.negative_binomial(d.assign(years=0.0), "y", "years", ["a"])
    with pytest.raises(ValueError, match="whole numbers"):
        ro.negative_binomial(d.assign(y=0.5), "y", "years", ["a"])


# ---------------------------------------------------------------------------------------------
# IPW weights
# ---------------------------------------------------------------------------------------------


def test_ipw_weights_closed_form_and_balance():
    # one binary confounder: the logistic model is saturated, so e(L) is the observed share treated
    # within each level of L and the weights are known exactly (Robins, Hernan & Brumback 2000):
    # L=0: 10 treated of 40 -> e = 0.25; L=1: 30 treated of 40 -> e = 0.75; P(A=1) = 0.5.
    L = np.r_[np.zeros(40), np.ones(40)]
    A = np.r_[np.ones(10), np.zeros(30), np.ones(30), np.zeros(10)]
    d = pd.DataFrame({"A": A, "L": L})
    res = ro.ipw_weights(d, "A", ["L"])
    np.testing.assert_allclose(res.propensity, np.where(L == 0, 0.25, 0.75), atol=1e-8)
    expect = np.where(A == 1, 0.5 / np.where(L == 0, 0.25, 0.75), 0.5 / np.where(L == 0, 0.75, 0.25))
    np.testing.assert_allclose(res.weights, expect, atol=1e-7)
    unstab = ro.ipw_weights(d, "A", ["L"], stabilised=False)
    np.testing.assert_allclose(unstab.weights, 2 * expect, atol=1e-6)
    # Austin (2009) SMD for a binary covariate: (p1 - p0) / sqrt((p1(1-p1) + p0(1-p0)) / 2);
    # p1 = 30/40 = 0.75, p0 = 10/40 = 0.25 -> 0.5 / sqrt(0.1875) = 1.1547; weighting balances exactly
    tab = res.table()
    assert list(tab.columns) == ["covariate", "smd_before", "smd_after"]
    assert round(tab.smd_before.iloc[0], 4) == round(0.5 / np.sqrt(0.1875), 4)
    assert abs(tab.smd_after.iloc[0]) < 1e-6
    # Kish effective sample size of the treated: weights 2 (x10) and 2/3 (x30) -> 40^2 / (40 + 40/3) = 30
    assert res.ess_treated == pytest.approx(30.0, rel=1e-6)
    assert isinstance(res.plot(), plt.Axes)
    plt.close("all")


def test_ipw_weights_continuous_smd_trim_and_validation():
    rng = np.random.default_rng(4)
    n = 2000
    x = rng.normal(size=n)
    grp = rng.choice(["north", "south", "west"], n)
    a = (rng.uniform(size=n) < 1 / (1 + np.exp(-(1.2 * x + (grp == "west"))))).astype(int)
    d = pd.DataFrame({"a": a, "x": x, "district": grp})
    res = ro.ipw_weights(d, "a", ["x", "district"], trim=0.01)
    # hand SMD for the continuous covariate (Austin 2009 eq. 1)
    by_hand = (x[a == 1].mean() - x[a == 0].mean()) / np.sqrt((x[a == 1].var(ddof=1) + x[a == 0].var(ddof=1)) / 2)
    assert res.balance.smd_before.iloc[0] == pytest.approx(by_hand, rel=1e-12)
    assert (res.balance.smd_after.abs() < 0.1).all()
    assert res.balance.covariate.tolist() == ["x", "district[south]", "district[west]"]
    lo, hi = np.quantile(ro.ipw_weights(d, "a", ["x", "district"]).weights, [0.01, 0.99])
    assert res.weights.min() == pytest.approx(lo) and res.weights.max() == pytest.approx(hi)
    assert res.n_trimmed == pytest.approx(0.02 * n, abs=2)
    assert res.weights.index.equals(d.index)
    with pytest.raises(ValueError, match="single value"):
        ro.ipw_weights(d.assign(a=1), "a", ["x"])
    with pytest.raises(ValueError, match="trim"):
        ro.ipw_weights(d, "a", ["x"], trim=0.6)
    with pytest.raises(ValueError, match="0 .not exposed. or 1"):
        ro.ipw_weights(d.assign(a=2), "a", ["x"])


# ---------------------------------------------------------------------------------------------
# rates and bootstrap
# ---------------------------------------------------------------------------------------------


def test_event_rate_exact_interval():
    # 10 events in 200 person-years: exact 95% limits for k = 10 are 4.795 and 18.390 (published
    # tables of exact Poisson limits, e.g. Breslow & Day 1987 vol. II), divided by 200
    res = ro.event_rate([3, 0, 7], [50.0, 100.0, 50.0])
    assert res.events == 10 and res.person_years == 200
    assert res.rate == pytest.approx(0.05)
    assert round(res.ci_low * 200, 3) == 4.795 and round(res.ci_high * 200, 3) == 18.390
    per100 = ro.event_rate(10, 200.0, per=100)
    assert per100.rate == pytest.approx(5.0) and round(per100.ci_high, 3) == 9.195
    tab = per100.table()
    assert tab.columns.tolist() == ["events", "person_years", "rate", "ci_low", "ci_high", "per"]
    zero = ro.event_rate(0, 10.0)
    assert zero.ci_low == 0 and round(zero.ci_high * 10, 3) == 3.689  # k = 0 upper limit 3.689
    with pytest.raises(ValueError):
        ro.event_rate([1, 2], [1.0])
    with pytest.raises(ValueError):
        ro.event_rate(1.5, 2.0)
    assert isinstance(per100.plot(), plt.Axes)
    plt.close("all")


def test_bootstrap_mean_reference_and_ratio():
    # Efron & Tibshirani (1993) Table 2.1 mouse treatment group; ideal bootstrap SE 23.36 (Table 6.1)
    res = ro.bootstrap_mean([94, 197, 16, 38, 99, 141, 23], n_boot=40_000, seed=3)
    assert round(res.estimate, 2) == 86.86
    assert res.se == pytest.approx(23.36, rel=0.02)
    assert res.ci_low < 86.86 < res.ci_high
    assert res.table().columns.tolist() == ["statistic", "estimate", "se", "ci_low", "ci_high", "method", "n",
                                            "n_boot"]
    # weighted mean = ratio of sums
    w = ro.bootstrap_mean([1.0, 2.0, 4.0], weights=[1, 1, 2], n_boot=500)
    assert w.estimate == pytest.approx((1 + 2 + 8) / 4)
    # harm per person-year, resampling people
    harm = [0, 0, 180, 30, 0, 365, 7]
    years = [1.0, 0.5, 1.0, 0.8, 1.0, 0.2, 1.0]
    r = ro.bootstrap_ratio(harm, years, n_boot=1000, seed=1)
    assert r.estimate == pytest.approx(sum(harm) / sum(years))
    assert r.ci_low < r.estimate < r.ci_high
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.estimate = 0
    assert isinstance(r.plot(), plt.Axes)
    plt.close("all")
    with pytest.raises(ValueError):
        ro.bootstrap_mean([1.0, np.nan])
    with pytest.raises(ValueError):
        ro.bootstrap_ratio([1.0, 2.0], [1.0])


def test_bootstrap_bca_covers_known_mean():
    # skewed harm-like values: lognormal(1, 1), true mean exp(1.5)
    rng = np.random.default_rng(9)
    truth = np.exp(1.5)
    reps, covered = 200, 0
    for i in range(reps):
        x = rng.lognormal(1.0, 1.0, 150)
        res = ro.bootstrap_mean(x, n_boot=1000, seed=i)
        covered += res.ci_low <= truth <= res.ci_high
    assert 0.88 <= covered / reps <= 0.99


def test_cox_collinear_covariates_raise_and_a_separating_covariate_is_not_converged_whatever_the_threads():
    # collinear at beta = 0: singular, said at once; a covariate that separates the events runs to
    # infinity, and the fit says it did not converge however many linear-algebra threads invert the
    # information (a separated fit used to be "converged" on one thread and singular on two)
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame({"t": rng.integers(1, 24, n).astype(float), "x": rng.normal(size=n),
                       "g": rng.integers(0, 2, n)})
    df["e"] = ((df.g == 1) & (rng.random(n) < 0.6)).astype(int)  # no event at all when g == 0
    df["x2"] = 2 * df.x
    with pytest.raises(ValueError, match="singular"):
        ro.cox(df, "t", "e", ["x", "x2"])
    fits = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads), pytest.warns(RuntimeWarning, match="did not converge"):
            fits.append(ro.cox(df, "t", "e", ["x", "g"]))
    assert [f.converged for f in fits] == [False, False]
    healthy = ro.cox(df.assign(e=(rng.random(n) < 0.4).astype(int)), "t", "e", ["x", "g"])
    assert healthy.converged


def test_cox_sensitivity_variants_of_a_small_force_are_the_same_on_one_thread_and_two():
    # the small synthetic force's lockdown-free Cox variant separates; its verdict must not depend on BLAS
    import warnings

    from threadpoolctl import threadpool_limits

    from foundation_eval.data.synth import demo_dataset
    from foundation_eval.evaluation.study import shared_evaluation

    tables = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = dataclasses.replace(demo_dataset(seed=5, scale=0.1), _derived={})  # nothing fitted yet
            tables.append(shared_evaluation(ds, n_perm=19).sensitivity)
    cox_rows = [t[t.analysis.str.startswith("Cox")].reset_index(drop=True) for t in tables]
    assert len(cox_rows[0]) >= 3
    pd.testing.assert_frame_equal(cox_rows[0], cox_rows[1])
