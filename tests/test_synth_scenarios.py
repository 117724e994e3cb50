"""Named scenarios of the synthetic force: each changes only what it names, alone or combined.

Every test compares a scenario with the plain model on the same seed and a small force (scale 0.3). The
scenarios draw from their own random streams and the plain model's draws are replayed where a scenario
changes how many of them are needed, so everything a scenario does not name stays identical.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from foundation_eval.cli import main
from foundation_eval.config import load_programme
from foundation_eval.data import synth
from foundation_eval.data.load import validate_folder

SEED, SCALE = 3, 0.3
PROG = load_programme("hiow")


def _with_comparisons(k: int):
    """hiow requiring ``k`` not-yet-live comparison districts (it requires 2)."""
    return dataclasses.replace(PROG, evaluation=dataclasses.replace(PROG.evaluation, min_comparison_districts=k))


@functools.cache
def _run(scenarios: tuple[str, ...] = (), min_comparison_districts: int = 2):
    """The generator after a run (its intensities and event times) and what it returned."""
    programme = _with_comparisons(min_comparison_districts)
    p = synth.SynthParams.for_programme(programme, scale=SCALE, truth_replicates=2, scenarios=scenarios)
    g = synth._Generator(programme, p, np.random.default_rng(SEED), SEED)
    return g, g.run()


def _changed_tables(a, b) -> set[str]:
    return {t for t in a.tables if not a.tables[t].equals(b.tables[t])}


def _ratio(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """a / b where b is positive, and where that is."""
    ok = b > 0
    return np.divide(a, b, out=np.ones_like(a), where=ok), ok


# --------------------------------------------------------------------------------------------------
# the plain model, names and the record in truth.json
# --------------------------------------------------------------------------------------------------

# sha256 (first 16 hex digits) of the CSV files written for seed 5, scale 0.15 by the generator before
# scenarios existed (commit e84d664), and its truths
BEFORE = {
    "contacts.csv": "02206fe1325e0dec", "districts.csv": "fd6f91f9e18c4b28", "exits.csv": "359dab2ee8d96277",
    "offences.csv": "2798a08ecd8a1d6b", "people.csv": "46a4231a0d1154cb", "ppit_assessments.csv": "3a5cd440bb093cd8",
    "referrals.csv": "9ad723dda42b18ea", "rmps.csv": "e2918f3c417ddfd6", "screening.csv": "7690539ae7001fdf",
}
BEFORE_EFFECTS = {
    "engagement_rd_practitioner": 0.233973, "ppit_auc_12m": 0.699475, "ppit_icc2_total": 0.860039,
    "referral_start_rd_programme": 0.230032, "reoffending_12m_rd_programme": -0.064712,
    "reoffending_hr_engaged": 1.0, "reoffending_hr_programme": 0.816136, "reoffending_hr_programme_conditional": 0.8,
    "reoffending_hr_referral_started": 1.0,
}
BEFORE_DID = -0.013587  # did_att_da_rate before it was restricted to quarters with two comparison districts


def test_plain_model_is_byte_identical_to_before(tmp_path):
    force = synth.generate("hiow", seed=5, scale=0.15)
    folder = synth.write(force, tmp_path / "x")
    got = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in folder.glob("*.csv")}
    assert got == BEFORE
    truth = json.loads((folder / "truth.json").read_text())
    assert {k: truth["effects"][k] for k in BEFORE_EFFECTS} == BEFORE_EFFECTS
    assert truth["scenario"] == {"names": [], "parameters": {}}
    assert "scenarios" not in truth["parameters"] and "shock_sd" not in truth["parameters"]
    # with one comparison district required, the staggered truth is the one written before
    assert synth.generate(_with_comparisons(1), seed=5, scale=0.15).truth["effects"]["did_att_da_rate"] == BEFORE_DID
    # no scenario given, none in the programme file, and an empty list are the same
    again = synth.generate("hiow", seed=5, scale=0.15, scenarios=())
    assert all(again.tables[t].equals(force.tables[t]) for t in force.tables)


def test_unknown_scenario_is_refused(tmp_path, capsys):
    with pytest.raises(ValueError, match="unknown scenario 'district-effect'; known scenarios: district-effects, "
                                         "district-shocks, dynamic-effects, anticipation, detection-bias"):
        synth.generate("hiow", seed=1, scale=0.05, scenarios=("realistic", "district-effect"))
    with pytest.raises(ValueError, match="unknown scenario"):
        synth.SynthParams.for_programme(dataclasses.replace(PROG, synthetic={"scenarios": ["trend"]}))
    with pytest.raises(SystemExit) as exc:
        main(["synth", "--out", str(tmp_path), "--scale", "0.05", "--scenario", "realistic,nope"])
    assert exc.value.code == 2
    assert "unknown scenario 'nope'; known scenarios: district-effects" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_cli_lists_scenarios_and_truth_json_carries_them(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["synth", "--help"])
    help_text = capsys.readouterr().out
    for name, text in synth.SCENARIOS.items():
        assert f"  {name}" in help_text and text[:40] in help_text.replace("\n", " ")
    out = tmp_path / "x"
    assert main(["synth", "--out", str(out), "--seed", "2", "--scale", "0.1",
                 "--scenario", "realistic,detection-bias"]) == 0
    truth = json.loads((out / "truth.json").read_text())
    names = ["district-effects", "district-shocks", "dynamic-effects", "detection-bias", "left-truncation"]
    assert truth["scenario"]["names"] == names
    assert truth["scenario"]["parameters"] == {
        "district_intercept_sd": 0.2, "district_trend_sd": 0.05, "district_logit_sd": 0.3, "shock_sd": 0.15,
        "shock_rho": 0.5, "shock_logit_sd": 0.2, "dynamic_first_share": pytest.approx(1 / 3),
        "dynamic_ramp_quarters": 4.0, "dynamic_wave_multipliers": [1.25, 1.0, 0.85, 0.75],
        "detection_extra": 0.25, "burn_in_months": 24}
    assert "scenarios" not in truth["parameters"]
    assert set(truth["effects"]) >= {"did_att_da_rate", "did_att_da_rate_pm", "reoffending_hr_programme"}
    assert "scenarios: district-effects" in capsys.readouterr().out


def test_programme_file_sets_scenarios_and_their_parameters(tmp_path):
    text = (PROG.source and open(PROG.source).read()).replace(
        "[synthetic]\n", '[synthetic]\nscenarios = ["realistic"]\nshock_sd = 0.3\ndynamic_wave_multipliers = [1.5, 0.5]\n')
    path = tmp_path / "hard.toml"
    path.write_text(text)
    prog = load_programme(str(path))
    p = synth.SynthParams.for_programme(prog)
    assert p.scenarios == synth.expand_scenarios("realistic")
    assert p.shock_sd == 0.3 and p.dynamic_wave_multipliers == (1.5, 0.5)
    force = synth.generate(prog, seed=1, scale=0.05, truth_replicates=2)
    assert force.truth["scenario"]["names"] == list(p.scenarios)
    assert force.truth["scenario"]["parameters"]["shock_sd"] == 0.3
    # an explicit choice replaces the file's
    assert synth.generate(prog, seed=1, scale=0.05, truth_replicates=2, scenarios=()).params.scenarios == ()


def test_did_truth_uses_quarters_with_enough_comparison_districts():
    """did_att_da_rate and did_att_da_rate_pm recomputed from the generator's two potential worlds."""
    for k in (1, 2, 3):
        g, res = _run(("realistic",), k)
        s = g.scr[g.scr.eligible]
        i, m = s.i.to_numpy(), s.m.to_numpy()
        diff = (np.floor(g.t1[i]) == m[:, None]).sum(axis=1) - (np.floor(g.t0[i]) == m[:, None]).sum(axis=1)
        cells = pd.DataFrame({"d": s.district.to_numpy(), "q": m // 3, "diff": diff})  # the study starts in January
        rate = cells.groupby(["d", "q"])["diff"].agg(["mean", "sum", "size"]).reset_index()
        goq = g.go_live // 3
        not_live = np.array([(goq > q).sum() for q in rate.q])
        post = (rate.q >= goq[rate.d]) & (not_live >= k)
        eff = res.truth["effects"]
        assert eff["did_att_da_rate"] == pytest.approx(rate["mean"][post].mean(), abs=1e-6)
        assert eff["did_att_da_rate_pm"] == pytest.approx(rate["sum"][post].sum() / rate["size"][post].sum(), abs=1e-6)
        e = (rate.q - goq[rate.d])[post]
        assert res.truth["event_time_effects"] == {str(x): round(v, 6) for x, v in rate["mean"][post].groupby(e).mean().items()}
        assert f"at least {k} district" in res.truth["definitions"]["did_att_da_rate"]
    # hiow's waves: with two comparison districts the last cells are 2022Q2, before the fourth wave
    assert sorted(res.truth["event_time_effects"], key=int)[-1] == "5"


# --------------------------------------------------------------------------------------------------
# one scenario at a time
# --------------------------------------------------------------------------------------------------

def test_district_effects_change_district_levels_only():
    g0, plain = _run()
    g, force = _run(("district-effects",))
    # engagement and referral take-up (and the plans and contacts that follow them) and offending
    assert _changed_tables(plain, force) == {"contacts", "referrals", "offences", "rmps"}
    assert np.array_equal(g.targets, g0.targets)
    # the intensity of everyone in a district is scaled by exp(intercept + trend), in both worlds ...
    eff = force.latent["district_effects"]
    p = force.params
    mm = np.arange(g.M)
    term = (eff.intercept.to_numpy()[:, None] - p.district_intercept_sd**2 / 2
            + eff.trend_per_year.to_numpy()[:, None] * (mm - (g.M - 1) / 2) / 12)
    r0, ok0 = _ratio(g.lam0, g0.lam0)
    r1, ok1 = _ratio(g.lam1, g0.lam1)
    assert np.allclose(r0[ok0], np.exp(term)[g.dist][ok0]) and np.allclose(r1[ok1], np.exp(term)[g.dist][ok1])
    # ... so the contrast of the two worlds is untouched
    c, okc = _ratio(g.lam1, g.lam0)
    c0, _ = _ratio(g0.lam1, g0.lam0)
    assert np.allclose(c[okc], c0[okc])
    # district rates differ beyond Poisson noise, and as the drawn intercepts say
    def per_district(gen):
        r, _ = np.nonzero(np.isfinite(gen.t0) & (gen.t0 >= 0))
        return np.bincount(gen.dist[r], minlength=len(PROG.districts))
    n, n0 = per_district(g), per_district(g0)
    log_ratio = np.log(n / n0)
    assert np.corrcoef(log_ratio, eff.intercept)[0, 1] > 0.85
    assert log_ratio.std() > 2 * np.sqrt(np.mean(1 / n0))
    # engagement shifts on the logit scale by the district's draw, the same in both worlds
    from scipy.special import logit
    d = g.dist[g.L]
    for mine, theirs in ((g.p_eng0, g0.p_eng0), (g.p_eng1, g0.p_eng1)):
        assert np.allclose(logit(mine) - logit(theirs), eff.engagement_logit.to_numpy()[d])
    assert force.truth["effects"]["engagement_rd_practitioner"] != plain.truth["effects"]["engagement_rd_practitioner"]
    assert force.latent["district_shocks"].shock.eq(0).all()


def test_district_shocks_are_autocorrelated_and_shared_within_a_district_quarter():
    g0, plain = _run()
    g, force = _run(("district-shocks",))
    assert _changed_tables(plain, force) == {"contacts", "referrals", "offences", "rmps"}
    sh = force.latent["district_shocks"]
    wide = sh.pivot(index="district_id", columns="quarter", values="shock").loc[list(PROG.district_ids)]
    # the drawn AR(1): stationary SD 0.15 and autocorrelation 0.5 (448 district-quarters)
    x = wide.to_numpy()
    assert np.corrcoef(x[:, 1:].ravel(), x[:, :-1].ravel())[0, 1] == pytest.approx(0.5, abs=0.1)
    assert x.std() == pytest.approx(0.15, abs=0.02)
    # every month of a district-quarter carries the same shock, in both worlds
    quarters = [str(q) for q in (PROG.months.asfreq("Q"))]
    per_month = np.exp(wide[quarters].to_numpy() - 0.15**2 / 2)
    for lam, lam_plain in ((g.lam0, g0.lam0), (g.lam1, g0.lam1)):
        r, ok = _ratio(lam, lam_plain)
        assert np.allclose(r[ok], per_month[g.dist][ok])
    # engagement and take-up shocks are their own series, by the quarter of listing
    assert not np.allclose(sh.engagement_shock, sh.shock) and sh.referral_shock.std() == pytest.approx(0.2, abs=0.03)


def _expected_by_event_quarter(g) -> pd.Series:
    """Expected cell effect (intensity difference of the two worlds) by quarters since go-live."""
    s = g.scr[g.scr.eligible]
    i, m, d = s.i.to_numpy(), s.m.to_numpy(), s.district.to_numpy()
    cells = pd.DataFrame({"d": d, "q": g.q_ext[m + g.B],
                          "diff": g.lam_full1[i, m + g.B] - g.lam_full0[i, m + g.B]})
    cells = cells.groupby(["d", "q"])["diff"].mean().reset_index()
    e = cells.q - g.go_q_true[cells.d]
    return cells["diff"][e >= 0].groupby(e[e >= 0]).mean()


def test_dynamic_effects_build_up_after_go_live_and_differ_by_wave():
    g0, plain = _run()
    g, force = _run(("dynamic-effects",))
    assert _changed_tables(plain, force) == {"offences"}
    # the world without the programme is untouched
    assert np.array_equal(g.lam0, g0.lam0) and np.array_equal(g.t0, g0.t0)
    # the hazard ratio while listed: theta ** (wave multiplier x ramp)
    r, ok = _ratio(g.lam1, g.lam0)
    exposed = (g.list_m[:, None] >= 0) & (np.arange(g.M)[None, :] >= g.list_m[:, None]) & ok
    k = g.q_ext[None, :] - g.go_q_true[g.dist][:, None]
    wave = g.wave[g.dist][:, None] * np.ones_like(k)
    for w, kk, hr in ((0, 0, 0.8 ** (1.25 / 3)), (0, 4, 0.8**1.25), (1, 0, 0.8 ** (1 / 3)), (1, 2, 0.8 ** (2 / 3)),
                      (1, 6, 0.8), (2, 5, 0.8**0.85), (4, 4, 0.8**0.75)):
        cell = exposed & (wave == w) & (k == kk)
        assert cell.any() and np.allclose(r[cell], hr), (w, kk)
    # the per-quarter truth grows over the quarters after go-live; without dynamics it does not
    dyn, flat = _expected_by_event_quarter(g), _expected_by_event_quarter(g0)
    assert dyn[0] / dyn[3] < 0.6 and dyn[0] > dyn[1] > dyn[3]
    assert flat[0] / flat[3] > 0.85
    assert force.truth["event_time_effects"].keys() == plain.truth["event_time_effects"].keys()
    assert "ramps up" in force.truth["definitions"]["reoffending_hr_programme_conditional"]
    # a weaker effect on average than a constant 0.8
    assert force.truth["effects"]["reoffending_hr_programme"] > plain.truth["effects"]["reoffending_hr_programme"]


def test_anticipation_changes_only_the_quarter_before_go_live():
    g0, plain = _run()
    g, force = _run(("anticipation",))
    assert _changed_tables(plain, force) == {"offences"}
    assert np.array_equal(g.lam0, g0.lam0) and np.array_equal(g.t0, g0.t0)
    r, ok = _ratio(g.lam1, g0.lam1)
    changed = ok & ~np.isclose(r, 1.0)
    assert np.allclose(r[changed], 0.9)
    # exactly the eligible person-months in the quarter before the district's go-live quarter
    s = g.scr[g.scr.eligible]
    before = g.q_ext[s.m.to_numpy()] == g.go_q_true[s.district.to_numpy()] - 1
    want = np.zeros_like(changed)
    want[s.i.to_numpy()[before], s.m.to_numpy()[before]] = True
    assert np.array_equal(changed, want & ok) and want.sum() > 100
    # recorded offences before the first of those quarters (2020Q4) are the plain model's
    def early(t):
        off = t.tables["offences"]
        return off[off.offence_date < pd.Timestamp("2020-10-01")].reset_index(drop=True)
    assert early(force).equals(early(plain))
    assert not force.tables["offences"].equals(plain.tables["offences"])


def test_detection_bias_raises_recorded_offences_while_listed_and_leaves_committed_ones():
    g0, plain = _run()
    g, force = _run(("detection-bias",))
    assert _changed_tables(plain, force) == {"offences"}
    committed = force.latent["committed_offences"]
    assert committed.equals(plain.tables["offences"])
    recorded = force.tables["offences"]
    extra = recorded[~recorded.offence_id.isin(committed.offence_id)]
    assert len(recorded) == len(committed) + len(extra) and recorded.offence_id.is_unique
    assert extra.da_flag.all() and extra.victim_id.notna().all()
    # every extra record falls in a month the person is listed
    scr = force.tables["screening"]
    listed = set(zip(scr.person_id[scr.listed], scr.month[scr.listed], strict=True))
    assert all((pid, d[:7]) in listed for pid, d in zip(extra.person_id, extra.offence_date.astype(str), strict=True))
    # about a quarter more than committed in those months (Poisson, 4 SD)
    s = g.scr[g.scr.listed]
    expected = 0.25 * g.lam1[s.i.to_numpy(), s.m.to_numpy()].sum()
    assert abs(len(extra) - expected) < 4 * np.sqrt(expected) and len(extra) > 10
    # truths are defined on committed offences
    assert force.truth["effects"] == plain.truth["effects"]


def test_trend_violation_gives_the_pilots_a_pre_trend_of_the_stated_size():
    g0, plain = _run()
    g, force = _run(("trend-violation",))
    assert _changed_tables(plain, force) == {"offences"}
    pilot = np.array([d.pilot for d in PROG.districts])
    go = g.go_m_true
    m = np.arange(g.M)
    term = np.where(pilot[:, None], 0.02 * (m[None, :] - go[:, None]) / 3, 0.0)
    for lam, lam_plain in ((g.lam0, g0.lam0), (g.lam1, g0.lam1)):
        r, ok = _ratio(lam, lam_plain)
        assert np.allclose(r[ok], np.exp(term)[g.dist][ok])
    # expected offences of the pilots' people, quarter by quarter before go-live: a log-linear trend of 0.02
    pil = pilot[g.dist]
    per_q = np.bincount(g.q_ext, weights=g.lam0[pil].sum(axis=0))
    per_q0 = np.bincount(g.q_ext, weights=g0.lam0[pil].sum(axis=0))
    pre = np.arange(8)  # 2019Q1-2020Q4, before the pilots' 2021Q1 go-live
    assert np.polyfit(pre, np.log(per_q[pre] / per_q0[pre]), 1)[0] == pytest.approx(0.02, abs=1e-3)
    assert force.truth["scenario"]["parameters"] == {"trend_violation_per_quarter": 0.02}


def test_left_truncation_opens_with_people_screened_long_before():
    g0, plain = _run()
    g, force = _run(("left-truncation",))
    study_start = str(PROG.study_start)

    def first_seen_at_start(res):
        scr = res.tables["screening"]
        assert scr.month.min() == study_start  # the extract shows screens from the study's first month
        first = scr.groupby("person_id").month.min()
        fs = res.latent["first_screen"].set_index("person_id").first_screen
        return fs[first.index[first == study_start]]

    lt, pl = first_seen_at_start(force), first_seen_at_start(plain)
    # most people first seen in month one were screened before it; with the burn-in, some two years before
    assert (lt < study_start).mean() > 0.6
    assert (lt < "2018-01").sum() > 10 and (pl < "2018-01").sum() == 0
    # their offending between the first screen and the study start is in the offence history: exactly the
    # events of the burn-in months (the offence that triggered the first screen comes before it)
    def burn_in_offences(res, end=study_start):
        off = res.tables["offences"]
        fs = res.latent["first_screen"].set_index("person_id").first_screen
        start = pd.PeriodIndex(off.person_id.map(fs), freq="M").to_timestamp()
        return off[off.da_flag & (off.offence_date >= start) & (off.offence_date < pd.Timestamp(end))]
    n = len(burn_in_offences(force))
    assert n == (np.isfinite(g.t1) & (g.t1 < 0)).sum()
    expected = g.lam1[:, : g.B].sum()
    assert abs(n - expected) < 4 * np.sqrt(expected) and n > 20
    # the plain model simulates no offending before the study (only the trigger of the first screen seen in
    # it, in the month before)
    assert len(burn_in_offences(plain, "2018-12")) == 0
    # the force inside the study is the same size
    def per_month(res):
        s = res.tables["screening"]
        return s[s.eligible].groupby("month").size().mean()
    assert per_month(force) == pytest.approx(per_month(plain), rel=0.15)
    assert force.truth["counts"]["listed_people"] == pytest.approx(plain.truth["counts"]["listed_people"], rel=0.15)
    assert force.truth["scenario"]["parameters"] == {"burn_in_months": 24}


# --------------------------------------------------------------------------------------------------
# combinations
# --------------------------------------------------------------------------------------------------

def test_scenarios_combine_and_keep_their_own_draws(tmp_path):
    every = ("realistic", "anticipation", "detection-bias", "trend-violation")
    g, force = _run(every)
    assert force.params.scenarios == tuple(s for s in synth.SCENARIOS if s != "realistic")
    assert _run(("realistic",))[1].params.scenarios == ("district-effects", "district-shocks", "dynamic-effects",
                                                         "left-truncation")
    # each scenario's draws are its own: the same alone as with all the others (left-truncation included)
    assert force.latent["district_effects"].equals(_run(("district-effects",))[1].latent["district_effects"])
    assert force.latent["district_shocks"].equals(_run(("district-shocks",))[1].latent["district_shocks"])
    # without left-truncation the people are the plain model's, whatever else is on
    others = tuple(s for s in force.params.scenarios if s != "left-truncation")
    assert _run(others)[1].tables["screening"].equals(_run()[1].tables["screening"])
    # a valid extract with finite truths
    folder = synth.write(force, tmp_path / "x")
    assert validate_folder(folder, "hiow") == []
    truth = json.loads((folder / "truth.json").read_text())
    assert all(np.isfinite(v) for v in truth["effects"].values())
    assert truth["scenario"]["names"] == list(force.params.scenarios)
    # detection-bias still adds records on top of what the other scenarios commit
    assert len(force.tables["offences"]) > len(force.latent["committed_offences"])
