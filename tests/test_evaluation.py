"""Pilot-versus-rollout evaluation: the imputation estimator against hand computations, the quarterly
panel and the generator's truth, recovery on the synthetic force, report content and the notebook."""
from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from foundation_eval.evaluation import designs as E
from foundation_eval.evaluation.designs import Costs, Evaluation, imputation_did
from foundation_eval.frames.panel import district_month_panel, district_period_panel
from foundation_eval.reporting.render import notebook_dir

ID = re.compile(r"\b[PVOCFARM][0-9A-F]{8,16}\b")  # synthetic pseudonyms of people, victims, offences, ...
NOTEBOOK = notebook_dir() / "pilot_vs_rollout.ipynb"


# --------------------------------------------------------------------------------------------------
# the imputation estimator
# --------------------------------------------------------------------------------------------------


def _panel(rng, cohorts=((3, 2), (5, 3), (7, 2), (0, 2)), T=9, effect=lambda g, e: -1.0 - 0.5 * e, sigma=0.0):
    rows = []
    unit = 0
    for g, k in cohorts:
        for _ in range(k):
            a = rng.normal(0, 2)
            for t in range(1, T + 1):
                eff = effect(g, t - g) if g and t >= g else 0.0
                rows.append((unit, t, g, a + 0.3 * t + math.sin(t) + eff + rng.normal(0, sigma)))
            unit += 1
    return pd.DataFrame(rows, columns=["unit", "t", "g", "y"])


def test_noise_free_panel_recovers_the_average_effect_exactly():
    """Parallel trends, no noise: the estimate is the equally weighted mean of the true cell effects
    over the treated cells, and never-treated units are used as comparisons throughout."""
    df = _panel(np.random.default_rng(1))
    res = imputation_did(df, "unit", "t", "g", "y")
    tr = df[(df.g > 0) & (df.t >= df.g)]
    truth = np.mean([-1.0 - 0.5 * (t - g) for t, g in zip(tr.t, tr.g, strict=True)])
    assert res.estimate == pytest.approx(truth, abs=1e-10)
    assert res.n_treated == len(tr) and res.n_excluded == 0
    dyn = res.event_study().set_index("event_time")
    for e in (0, 1, 4):
        assert dyn.loc[e, "att"] == pytest.approx(-1.0 - 0.5 * e, abs=1e-10)
    assert res.df == res.n_clusters - 1 and "jackknife" in res.interval_method  # the one rule: clusters - 1


def test_constant_effect_has_zero_jackknife_se_and_relative_effect():
    df = _panel(np.random.default_rng(2), effect=lambda g, e: -2.0)
    res = imputation_did(df, "unit", "t", "g", "y")
    assert res.estimate == pytest.approx(-2.0, abs=1e-10)
    assert res.se == pytest.approx(0.0, abs=1e-9)
    base = df[(df.g > 0) & (df.t < df.g)].y.mean()  # treated units before go-live
    assert res.baseline_mean == pytest.approx(base)
    assert res.relative == pytest.approx(-2.0 / base)


def test_equals_the_saturated_regression_of_borusyak_jaravel_spiess():
    """With noise, the imputation estimate equals the mean of the treated-cell coefficients of an OLS
    regression on unit dummies, period dummies and one dummy per treated cell (BJS 2024, Theorem 1)."""
    df = _panel(np.random.default_rng(3), sigma=0.7)
    res = imputation_did(df, "unit", "t", "g", "y")
    tr = ((df.g > 0) & (df.t >= df.g)).to_numpy()
    U = pd.get_dummies(df.unit).to_numpy(float)
    Tm = pd.get_dummies(df.t).to_numpy(float)[:, 1:]
    cells = np.zeros((len(df), tr.sum()))
    cells[np.flatnonzero(tr), np.arange(tr.sum())] = 1.0
    beta = np.linalg.lstsq(np.column_stack([U, Tm, cells]), df.y.to_numpy(), rcond=None)[0]
    assert res.estimate == pytest.approx(beta[-tr.sum():].mean(), abs=1e-10)


def test_jackknife_standard_error_by_hand():
    df = _panel(np.random.default_rng(4), sigma=0.5)
    res = imputation_did(df, "unit", "t", "g", "y", df=5)
    loo = [imputation_did(df[df.unit != u], "unit", "t", "g", "y").estimate for u in sorted(df.unit.unique())]
    loo = np.array(loo)
    G = loo.size
    se = math.sqrt((G - 1) / G * np.sum((loo - loo.mean()) ** 2))
    assert res.se == pytest.approx(se, rel=1e-10)
    np.testing.assert_allclose(res.jackknife.estimate, loo, rtol=1e-10)
    crit = stats.t.ppf(0.975, 5)
    assert res.ci_high - res.estimate == pytest.approx(crit * se)
    assert res.p_value == pytest.approx(2 * stats.t.sf(abs(res.estimate / se), 5))


def test_periods_without_comparison_units_are_excluded():
    """Without never-treated units, periods in which every unit is live cannot be imputed."""
    df = _panel(np.random.default_rng(5), cohorts=((3, 2), (5, 2), (7, 2)), sigma=0.1)
    res = imputation_did(df, "unit", "t", "g", "y")
    assert res.n_excluded == int(((df.t >= 7) & (df.t >= df.g)).sum())
    assert res.cells.time.max() == 6
    assert "could not be imputed" in res.notes[0]


def test_before_after_without_period_effects_and_with_covariates():
    df = _panel(np.random.default_rng(6), sigma=0.3)
    res = imputation_did(df, "unit", "t", "g", "y", time_effects=False, df="clusters")
    tr = (df.g > 0) & (df.t >= df.g)
    pre_mean = df[~tr].groupby("unit").y.mean()
    gaps = df[tr].y - df[tr].unit.map(pre_mean)
    assert res.estimate == pytest.approx(gaps.mean(), abs=1e-10)
    assert res.df == df.unit.nunique() - 1
    # a covariate that is exactly the period trend restores the DiD up to the sine term
    df["trend"] = df.t.astype(float)
    with_cov = imputation_did(df, "unit", "t", "g", "y", time_effects=False, covariates=["trend"])
    assert abs(with_cov.estimate - res.estimate) > 0.1


def test_bad_input_is_refused():
    df = _panel(np.random.default_rng(7))
    with pytest.raises(KeyError):
        imputation_did(df, "unit", "t", "g", "nope")
    with pytest.raises(ValueError, match="missing"):
        imputation_did(df.assign(y=np.where(df.t == 2, np.nan, df.y)), "unit", "t", "g", "y")
    with pytest.raises(ValueError, match="treated"):
        imputation_did(df.assign(g=0), "unit", "t", "g", "y")


# --------------------------------------------------------------------------------------------------
# quarterly panel and the generator's truth
# --------------------------------------------------------------------------------------------------


def test_quarterly_panel_sums_the_months(small_ds):
    m = district_period_panel(small_ds, "M")
    q = district_period_panel(small_ds, "Q")
    assert len(q) == 14 * 24 and q.n_months.eq(3).all()
    agg = m.assign(q=m.period.dt.asfreq("Q")).groupby(["district_id", "q"])[["eligible", "da_events"]].sum()
    mine = q.set_index(["district_id", "period"])[["eligible", "da_events"]]
    np.testing.assert_array_equal(agg.to_numpy(), mine.loc[agg.index].to_numpy())
    ok = q.eligible > 0
    np.testing.assert_allclose(q.da_rate[ok], q.da_events[ok] / q.eligible[ok])
    first = q.groupby("district_id").first_treated.first()
    assert first["SOU"] == 9 and first["EAS"] == 9 and first["EHA"] == 17  # 2021Q1 and 2023Q1
    # the monthly wrapper keeps its historical columns
    assert list(district_month_panel(small_ds).columns)[:4] == ["district_id", "month", "t", "first_treated"]


def test_lockdown_exclusion_drops_whole_quarters_and_moves_go_live(small_ds):
    q = district_period_panel(small_ds, "Q", small_ds.programme.lockdown_months)
    periods = set(q.period.astype(str))
    assert "2020Q2" not in periods and "2021Q1" not in periods and "2020Q4" in periods
    assert q[q.period.astype(str) == "2020Q4"].n_months.eq(2).all()
    first = q.groupby("district_id").first_treated.first()
    t_of = dict(zip(q.period.astype(str), q.t, strict=False))
    assert first["SOU"] == t_of["2021Q2"]  # the pilot went live in a quarter that is all lockdown


def test_did_truth_is_the_equally_weighted_district_quarter_effect():
    """truth.json's did_att_da_rate recomputed from the generator's two potential worlds."""
    from foundation_eval.config import load_programme
    from foundation_eval.data import synth

    prog = load_programme("hiow")
    p = synth.SynthParams.for_programme(prog, scale=0.2, truth_replicates=2)
    g = synth._Generator(prog, p, np.random.default_rng(8), 8)
    res = g.run()
    s = g.scr[g.scr.eligible]
    i, m = s.i.to_numpy(), s.m.to_numpy()
    diff = (np.floor(g.t1[i]) == m[:, None]).sum(axis=1) - (np.floor(g.t0[i]) == m[:, None]).sum(axis=1)
    cells = pd.DataFrame({"d": s.district.to_numpy(), "q": m // 3, "diff": diff})
    rate = cells.groupby(["d", "q"])["diff"].mean().reset_index()
    goq = g.go_live // 3
    # live cells in quarters with at least the programme's min_comparison_districts (2) districts not yet live
    not_live = np.array([(goq > q).sum() for q in rate.q])
    post = (rate.q >= goq[rate.d]) & (not_live >= prog.evaluation.min_comparison_districts)
    assert res.truth["effects"]["did_att_da_rate"] == pytest.approx(rate["diff"][post].mean(), abs=1e-6)
    assert "district-quarters" in res.truth["definitions"]["did_att_da_rate"]


# --------------------------------------------------------------------------------------------------
# the evaluation on the small synthetic force
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """A full-scale synthetic force (about 150 eligible people a month), its truth and its evaluation."""
    from foundation_eval.data import synth
    from foundation_eval.data.load import load_dataset

    res = synth.generate("hiow", seed=11, truth_replicates=2)
    ds = load_dataset(synth.write(res, tmp_path_factory.mktemp("full")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ds, res.truth["effects"], Evaluation(ds, n_perm=49)


@pytest.fixture(scope="module")
def ev(small_ds):
    e = Evaluation(small_ds, n_perm=99)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e.sensitivity  # noqa: B018 - compute once for the module
    return e



def test_headline_estimates_cover_the_generator_truth(full):
    """One full-scale force: each headline interval covers its truth (coverage over many forces is measured
    by benchmarks/coverage.py)."""
    _, truth, ev_full = full
    head = ev_full.headline()
    assert [h["name"] for h in head] == list(E.TRUTH_NAMES)
    for h in head:
        assert set(h) == {"name", "estimate", "ci_low", "ci_high", "design", "sms_level"}
        assert h["ci_low"] <= truth[h["name"]] <= h["ci_high"], (h, truth[h["name"]])
        assert h["ci_low"] < h["estimate"] < h["ci_high"]
    by = {h["name"]: h for h in head}
    assert by["did_att_da_rate"]["sms_level"] in (3, 4) and by["reoffending_12m_rd_programme"]["sms_level"] == 2
    assert 0.6 < by["reoffending_hr_programme"]["estimate"] < 1.1
    # the 12-month risk difference implied by the Cox model covers the same truth
    assert ev_full.cox_risk_difference.covers(truth["reoffending_12m_rd_programme"])


def test_small_force_headline_structure(ev, small_ds):
    head = ev.headline()
    assert [h["name"] for h in head] == list(E.TRUTH_NAMES)
    assert all(h["ci_low"] < h["estimate"] < h["ci_high"] for h in head)
    # other specifications keep the names whose estimand they share, and say what changed
    alt = Evaluation(small_ds, exclude_lockdown=True, window_months=6, n_perm=19).headline()
    assert [h["name"] for h in alt] == ["did_att_da_rate", "reoffending_hr_programme"]
    assert all("lockdown months excluded" in h["design"] for h in alt)


def test_every_estimate_states_its_design(ev):
    ests = ev.estimates()
    assert len({e.name for e in ests}) == len(ests) >= 14
    for e in ests:
        assert e.design and e.estimand and e.comparison and e.assumptions and e.interval_method, e.name
        # the risk-tool threshold is descriptive: no level (impact/maryland.py, rule 4)
        assert e.sms_level in (1, 2, 3, 4) or (e.sms_level is None and e.design_key == "rd_risk_flag"), e.name
        assert math.isfinite(e.estimate) and e.ci_low <= e.ci_high, e.name
        assert e.summary_sentence().startswith("Using "), e.name
        assert len(e.table()) == 1
    names = {e.name: e for e in ests}
    assert names["naive_engaged_vs_not_12m"].sms_level == 1 and names["its_pilot"].sms_level == 2
    assert names["twfe_da_rate"].sms_level == 3
    rd_age = names["rd_age_12m"]  # a failed density check lowers the level from 4
    assert rd_age.sms_level == (3 if any("failed" in f for f in rd_age.level_flags) else 4)
    records = ev.records()
    assert {r["name"] for r in records} >= set(E.TRUTH_NAMES)


def test_did_components(ev):
    did = ev.did
    # the one small-sample rule: districts - 1; the estimand keeps three go-live waves (quarters with at least
    # two districts not yet live)
    cohort = ev.panel.groupby("district_id").first_treated.first()
    assert did.df == 13 and did.cells.unit.map(cohort).nunique() == 3
    assert did.n_clusters == 14 and did.n_excluded > 0
    assert len(did.jackknife) == 14
    assert any(k == "Randomisation test" for k, _ in did.diagnostics)
    assert 0 < ev.did_ri.p_value <= 1 and ev.did_ri.n_draws == 99
    es = ev.event_study
    assert es.event_time.min() == -8 and 3 <= es.event_time.max() <= 7
    assert (es.ci_low <= es.att).all() and (es.att <= es.ci_high).all()
    assert es.pre.sum() == 8
    tw, bacon, note = ev.twfe
    assert bacon.table().weight.sum() == pytest.approx(1.0)
    assert "already running the programme" in note and tw.wild is not None
    assert isinstance(ev.cs_never, str) and "never-treated" in ev.cs_never
    # engagement is impossible before go-live: its DiD is positive
    assert ev.did_engaged.estimate > 0.1


def test_sensitivity_table(ev):
    s = ev.sensitivity
    assert list(s.columns) == ["group", "analysis", "estimate", "ci_low", "ci_high", "sms_level", "n", "note"]
    text = " ".join(s.analysis)
    for key in ("Primary", "Callaway", "Monthly panel", "Lockdown months excluded", "Placebo", "Leaving one district out",
                "two-way", "6 months", "24 months", "Cox, exposed only while on the list"):
        assert key in text, key
    placebo = s[s.analysis.str.startswith("Placebo")].iloc[0]
    assert placebo.ci_low < 0 < placebo.ci_high
    lo = s[s.analysis.str.contains("smallest")].estimate.iloc[0]
    hi = s[s.analysis.str.contains("largest")].estimate.iloc[0]
    assert lo <= ev.did.estimate + 1e-12 or lo <= hi


def test_value_for_money_counts_only_the_estimand_cells(ev, small_ds):
    """The primary's value: its per-person-month effect x the person-months of its own cells x the victims per
    offence of those person-months, against the cost of the same district-months, both discounted."""
    va, pm = ev.value, ev.did_pm
    prim = va.primary
    assert prim.name == "did_att_da_rate" and pm.truth_name == "did_att_da_rate_pm"
    cells_pm = float(pm.cells.weight.sum())
    assert va.estimand_person_months == pytest.approx(cells_pm)
    assert va.estimand_person_months < va.live_person_months  # never extrapolated to the rest
    assert prim.victims_spared[0] == pytest.approx(-pm.estimate * cells_pm * va.victims_per_offence)
    assert prim.victims_spared[1] <= prim.victims_spared[0] <= prim.victims_spared[2]
    assert 0 < va.victims_per_offence <= 1
    # discounted: never more than the undiscounted value, and at most one year's discount away from it
    undiscounted = prim.victims_spared[0] * va.unit_cost_per_victim
    assert abs(prim.social_value[0]) <= abs(undiscounted) + 1e-9
    assert abs(prim.social_value[0]) >= abs(undiscounted) / 1.035 ** 4
    lo, hi = ev.plan.unit_cost_range
    assert prim.social_value_unit_cost == pytest.approx((prim.social_value[0] * lo, prim.social_value[0] * hi))
    assert va.unit_cost_low == pytest.approx(lo * va.unit_cost_per_victim)
    assert 0 < prim.cost < va.cost_total  # the cost of the estimand's district-months only
    assert va.break_even_victims == pytest.approx(prim.cost / va.unit_cost_per_victim)
    assert any("illustrative approximation" in c for c in va.caveats)
    assert any("discounted at 3.5%" in c for c in va.caveats)
    # a total cost is spread over live district-months, so the estimand's share follows their share
    from foundation_eval.evaluation.value import value_analysis

    other = value_analysis(small_ds, {"did_att_da_rate": ev.did}, primary="did_att_da_rate",
                             costs=Costs(programme_cost_total=2e6), primary_per_person_month=pm)
    assert other.cost_total == 2e6 and 0 < other.primary.cost < 2e6


def test_victims_per_offence_is_the_merge_definition(small_ds):
    # distinct victims per DA offence among offences in a month their person was screened eligible in one
    # of the district-months: joined on whole numbers, equal to merging the tables as the definition says
    from foundation_eval.evaluation.value import _victims_per_offence

    scr, off = small_ds.screening, small_ds.offences
    rng = np.random.default_rng(3)
    months = scr.month.drop_duplicates().to_numpy()
    for n in (5, 40, 400):
        cells = pd.DataFrame({"district_id": rng.choice(scr.district_id.unique(), n), "month": rng.choice(months, n)})
        el = scr[scr.eligible.astype(bool)].merge(cells.drop_duplicates(), on=["district_id", "month"])
        da = off[off.da_flag.astype(bool)].assign(month=lambda d: d.offence_date.dt.to_period("M"))
        hit = da.merge(el[["person_id", "month"]].drop_duplicates(), on=["person_id", "month"])
        assert len(hit) > 0
        want = (hit.victim_id.dropna().nunique() + int(hit.victim_id.isna().sum())) / len(hit)
        assert _victims_per_offence(small_ds, cells) == pytest.approx(want, rel=1e-12)
    nowhere = pd.DataFrame({"district_id": ["no such district"], "month": [months[0]]})
    assert math.isnan(_victims_per_offence(small_ds, nowhere))


def test_green_book_discount_factors():
    # HM Treasury Green Book annex A6 table: 3.5% gives 0.9662 in year 1, 0.9335 in year 2, 0.7089 in year 10
    from foundation_eval.evaluation.value import discount_factors

    base = pd.Period("2021-04", "M")
    months = pd.PeriodIndex(["2021-04", "2022-04", "2023-03", "2023-04", "2031-04"], freq="M")
    assert discount_factors(months, base, 0.035).round(4).tolist() == [1.0, 0.9662, 0.9662, 0.9335, 0.7089]


def test_power_uses_the_design_precision(ev):
    p = ev.power
    M = stats.t.ppf(0.975, ev.did.df) + stats.t.ppf(0.8, ev.did.df)
    assert p.did_mde == pytest.approx(M * ev.did.se)
    assert p.person_mde.mde > 0 and 0 < p.p0 < 1
    curve = p.curve
    assert curve.power.iloc[0] == pytest.approx(0.05, abs=0.01) and curve.power.is_monotonic_increasing
    assert "districts" in p.summary_sentence()


def test_rd_designs(ev):
    res, dens, est = ev.rd_age
    assert res.side == "left" and res.cutoff == 31 * 12
    assert any(k == "Sharp assignment" and v.startswith("100% listed below") and v.endswith("0% above")
               for k, v in est.diagnostics)
    assert dens.bin_width == 1.0
    res, dens, est = ev.rd_ppit
    assert res.cutoff == 12 and min(res.n_mass_points_left, res.n_mass_points_right) >= 5


def test_rd_interval_reaching_past_a_possible_risk_difference_is_cut_to_it(ev, monkeypatch):
    # a small force has few people near the cut-off: an interval of -191 to +147 points is cut to -100 to
    # +100 (every true value it held is kept, so its coverage is the same), and the page says so
    from dataclasses import replace

    from foundation_eval.evaluation.designs import rd as rd_module
    from foundation_eval.evaluation.verdict import statements
    from foundation_eval.reporting.evaluation_designs import _cut

    fitted = rd_module.regression_discontinuity
    monkeypatch.setattr(rd_module, "regression_discontinuity",
                        lambda *a, **k: replace(fitted(*a, **k), ci_low=-1.91, ci_high=0.465))
    _, _, est = rd_module.rd_age(ev.ds)
    assert (est.ci_low, est.ci_high) == (-1.0, 0.465)
    assert any("cut to it" in n for n in est.notes) and _cut(est).startswith(", cut to the possible range")
    can, cannot = statements("rd_age_12m", est, window_months=12, age_limit=30)
    assert can.text().endswith("by -100 to 46 points.")  # one end cut: the other still says something
    monkeypatch.setattr(rd_module, "regression_discontinuity",
                        lambda *a, **k: replace(fitted(*a, **k), ci_low=-1.91, ci_high=1.465))
    _, _, whole = rd_module.rd_age(ev.ds)  # every possible difference: nothing to say about its size
    assert (whole.ci_low, whole.ci_high) == (-1.0, 1.0) and _cut(whole).endswith("the comparison cannot tell")
    can, cannot = statements("rd_age_12m", whole, window_months=12, age_limit=30)
    assert can.text() == ("You can say: too few people are screened near the age limit to tell whether being "
                          "listed changed their reoffending within 12 months: the interval covers every possible "
                          "difference.")
    assert cannot.text() == "You cannot say: being listed made no difference at the age limit."
    monkeypatch.setattr(rd_module, "regression_discontinuity",
                        lambda *a, **k: replace(fitted(*a, **k), ci_low=-0.32, ci_high=0.38))
    _, _, inside = rd_module.rd_age(ev.ds)  # an interval inside the range is left as it is, and said plainly
    assert (inside.ci_low, inside.ci_high) == (-0.32, 0.38) and _cut(inside) == ""
    assert not any("cut to it" in n for n in inside.notes)


def test_cohort_comparison_interval_is_cut_to_a_possible_risk_difference(ev, monkeypatch):
    # the second programme's small force gave -169.4 to +60.3 points: cut to -100, and noted
    from dataclasses import replace

    from foundation_eval.evaluation.designs import cohort as cohort_module

    fitted = cohort_module.imputation_did
    monkeypatch.setattr(cohort_module, "imputation_did",
                        lambda *a, **k: replace(fitted(*a, **k), ci_low=-1.694, ci_high=0.603))
    res = cohort_module.cohort_did(ev.ds)
    assert (res.ci_low, res.ci_high) == (-1.0, 0.603) and any("cut to it" in n for n in res.notes)
    counts = cohort_module.cohort_did(ev.ds, outcome="da_count")  # a count is not bounded: left as fitted
    assert (counts.ci_low, counts.ci_high) == (-1.694, 0.603)


def test_naive_comparisons_show_their_bias(full):
    """At full scale, engaged vs not engaged (true effect of engaging: zero) looks strongly protective, while
    the designs' intervals cover the truth."""
    _, truth, ev_full = full
    naive = {e.name: e for e in ev_full.naive}
    eng = naive["naive_engaged_vs_not_12m"]
    assert truth["reoffending_hr_engaged"] == 1.0  # engaging has no effect of its own in the generator
    assert eng.ci_high < 0 and not eng.covers(0.0)  # lower-risk people engage more
    assert ev_full.cohort.covers(truth["reoffending_12m_rd_programme"])
    assert naive["naive_listed_vs_not_12m"].sms_level == 1


def test_imputation_with_covariates_solves_the_dense_least_squares_from_group_sums():
    # the two-way model with covariates is fitted from its normal equations built from group sums:
    # the imputed outcomes equal those of the dense least squares on unit and period dummies
    import numpy as np

    from foundation_eval.impact.imputation import impute_untreated

    rng = np.random.default_rng(0)
    n, nu, nt = 3000, 12, 9
    u, t = rng.integers(0, nu, n), rng.integers(0, nt, n)
    X = np.column_stack([rng.normal(size=(n, 2)), rng.random(n) > 0.5])
    w = rng.uniform(0.5, 2, n)
    y = rng.normal(size=n) + 0.1 * u + 0.2 * t + X @ [0.5, -0.3, 1.0]
    treated = (t >= 5) & (u < 6)
    ok, y0 = impute_untreated(y, u, t, treated, w, nu, nt, X)
    D = np.column_stack([u[:, None] == np.arange(nu), t[:, None] == np.arange(nt), X]).astype(float)
    sw = np.sqrt(w[~treated])
    coef = np.linalg.lstsq(D[~treated] * sw[:, None], y[~treated] * sw, rcond=None)[0]
    assert ok.sum() == treated.sum()
    np.testing.assert_allclose(y0[ok], (D @ coef)[ok], atol=1e-10)
