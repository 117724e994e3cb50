"""The synthetic force: deterministic, realistic, and honest about its truth."""
from __future__ import annotations

import filecmp
import json

import numpy as np
import pandas as pd
import pytest

from foundation_eval.cli import main
from foundation_eval.config import load_programme
from foundation_eval.data import synth


def test_same_seed_gives_byte_identical_files(tmp_path, capsys):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((a, 5), (b, 5), (c, 6)):
        assert main(["synth", "--out", str(out), "--seed", str(seed), "--scale", "0.15"]) == 0
    names = sorted(p.name for p in a.iterdir())
    assert "truth.json" in names and "people.csv" in names and len(names) == 10
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert mismatch == [] and errors == []
    assert (a / "people.csv").read_bytes() != (c / "people.csv").read_bytes()


def test_truth_json_names_every_estimand(small_dir):
    truth = json.loads((small_dir / "truth.json").read_text())
    eff = truth["effects"]
    for name in ("reoffending_hr_programme", "reoffending_12m_rd_programme", "engagement_rd_practitioner",
                 "referral_start_rd_programme", "ppit_auc_12m", "ppit_icc2_total"):
        assert name in eff and np.isfinite(eff[name]), name
        assert name in truth["definitions"]
    assert eff["reoffending_hr_programme_conditional"] == pytest.approx(0.80)
    # the programme lowers reoffending and practitioners raise engagement
    assert 0.75 < eff["reoffending_hr_programme"] < 0.95
    assert -0.15 < eff["reoffending_12m_rd_programme"] < 0
    assert 0.1 < eff["engagement_rd_practitioner"] < 0.4
    assert 0.1 < eff["referral_start_rd_programme"] < 0.4
    assert 0.6 < eff["ppit_icc2_total"] < 0.95


@pytest.fixture(scope="module")
def full():
    return synth.generate("hiow", seed=20210101, truth_replicates=20)


def test_monthly_lists_near_150_once_rolled_out(full):
    s = full.tables["screening"]
    per_month = s.groupby("month").listed.sum()
    rolled_out = per_month[per_month.index >= "2023-01"]
    assert 120 <= rolled_out.mean() <= 180
    eligible = s.groupby("month").eligible.sum()
    assert 110 <= eligible.mean() <= 190
    # nobody is listed anywhere before the pilot
    assert per_month[per_month.index < "2021-01"].sum() == 0


def test_ppit_population_auc_in_published_range(full):
    assert 0.65 <= full.truth["effects"]["ppit_auc_12m"] <= 0.75


def test_listing_respects_criteria_and_go_live(full):
    prog = load_programme()
    s = full.tables["screening"]
    listed = s[s.listed]
    crit = [c for c, _ in prog.criteria]
    assert listed[crit].all(axis=None)
    go = {d.id: str(d.go_live) for d in prog.districts}
    assert (listed.month >= listed.district_id.map(go)).all()
    # near-misses above the age limit exist for age-limit designs
    people = full.tables["people"].set_index("person_id")
    m = pd.PeriodIndex(s.month, freq="M")
    b = pd.PeriodIndex(s.person_id.map(people.birth_ym), freq="M")
    age = (m.year - b.year) * 12 + (m.month - b.month)
    age = np.asarray(age) // 12
    assert ((age >= 31) & (age <= 32)).sum() > 100
    assert not s[(age >= 31)].crit_age.any()


def test_dates_logical(full):
    t = full.tables
    extract = "2024-12-31"
    for name, cols in (("contacts", ["contact_date"]), ("offences", ["offence_date"]),
                       ("referrals", ["referred_date", "accepted_date", "started_date", "completed_date", "dropped_date"]),
                       ("ppit_assessments", ["assessment_date"]), ("rmps", ["rmp_date"]), ("exits", ["exit_date"])):
        for c in cols:
            v = pd.to_datetime(t[name][c])
            assert (v.dropna() <= extract).all(), (name, c)
    r = t["referrals"]
    for a, b in (("referred_date", "accepted_date"), ("accepted_date", "started_date"), ("started_date", "completed_date")):
        ok = r[a].notna() & r[b].notna()
        assert (r.loc[ok, a] <= r.loc[ok, b]).all()


def test_people_listed_repeatedly_and_identifiers_opaque(full):
    s = full.tables["screening"]
    months_listed = s[s.listed].groupby("person_id").size()
    assert months_listed.mean() > 2
    ids = full.tables["people"].person_id
    assert ids.str.fullmatch(r"P[0-9A-F]{8}").all() and ids.is_unique
    assert not ids.str[1:].str.isdigit().all()


def test_double_scoring_and_rater_noise(full):
    pp = full.tables["ppit_assessments"]
    share = (pp.rating == "second").sum() / (pp.rating == "first").sum()
    assert 0.07 < share < 0.13
    pair = pp.pivot_table(index="person_id", columns="rating", values="total").dropna()
    assert 0 < (pair["first"] != pair["second"]).mean() < 1
    assert np.corrcoef(pair["first"], pair["second"])[0, 1] > 0.7
    seconds = pp[pp.rating == "second"].set_index("person_id").assessor_id
    firsts = pp[pp.rating == "first"].set_index("person_id").assessor_id
    assert (seconds != firsts.reindex(seconds.index)).all()


def test_engagement_selects_on_risk(full):
    """Higher-risk people engage less, so naive engaged-vs-not comparisons are biased."""
    pp = full.tables["ppit_assessments"]
    first = pp[pp.rating == "first"].set_index("person_id").total
    con = full.tables["contacts"]
    engaged = set(con[con.outcome == "engaged"].person_id)
    eng = first[first.index.isin(engaged)]
    not_eng = first[~first.index.isin(engaged)]
    assert eng.mean() < not_eng.mean() - 0.3


def test_exits_censor_follow_up(full):
    t = full.tables
    ex = t["exits"].set_index("person_id").exit_date
    off = t["offences"]
    d = off.person_id.map(ex)
    assert (off.offence_date[d.notna()] <= d[d.notna()]).all()
    assert set(t["exits"].exit_reason) == {"custody", "moved_away", "died"}


def test_generator_rejects_unknown_parameter():
    with pytest.raises(ValueError, match="unknown generator parameters"):
        synth.generate(seed=1, scale=0.1, nonsense=3)
