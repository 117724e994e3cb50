"""The district-and-force study: fitted once per render, one definition per figure, pseudonym-invariant.

Reference values: Wilson (1927) and Newcombe (1998, Statistics in Medicine 17:873-890) for the shares
and the difference between teams, Breslow and Day (1987) for the exact Poisson interval, Klein and
Moeschberger (2003) for the Kaplan-Meier curve, Bloom (1995) for the power multiplier. The study's
figures are checked against the library's definitions computed from the event tables, and its force
figures against the registered estimates' counts in `results.json`.
"""
from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from foundation_eval.data import synth
from foundation_eval.data.load import load_dataset
from foundation_eval.evaluation import areas
from foundation_eval.evaluation.areas import (
    FORCE,
    Difference,
    Rates,
    Share,
    _km,
    fit_areas,
    study_for_period,
)
from foundation_eval.evaluation.snapshot import STUDIES, build_snapshot, open_snapshot, write_snapshot
from foundation_eval.frames.cohort import monthly_list_size, person_frame, select, table_one
from foundation_eval.frames.outcomes import fixed_window, reoffending_frame
from foundation_eval.frames.reduce import with_reduced
from foundation_eval.models.engagement import add_phase, first_engagement_frame, funnel
from foundation_eval.models.reoffending import bootstrap_ratio, kaplan_meier
from foundation_eval.reporting.district_report import DistrictReport
from foundation_eval.reporting.overview_report import OverviewReport

REPORTS = Path(__file__).resolve().parents[1] / "foundation_eval" / "reporting"
# what a report module may not import: estimators, frame builders, interval functions, model libraries
FORBIDDEN = ("foundation_eval.models", "foundation_eval.frames", "foundation_eval.impact", "foundation_eval.ppit",
             "foundation_eval.stats", "foundation_eval.evaluation.designs", "foundation_eval.evaluation.estimates",
             "scipy", "statsmodels", "lifelines", "sklearn")


@pytest.fixture(scope="module")
def snap(small_ds):
    return build_snapshot(small_ds)


@pytest.fixture(scope="module")
def study(snap):
    return snap.study("areas")


# ------------------------------------------------------------------------------------------ reference values
def test_share_is_wilsons_interval():
    # Newcombe (1998) Table I: 81/263, Wilson score interval 0.2553 to 0.3662
    s = Share.of(81, 263)
    assert s.pct == pytest.approx(100 * 81 / 263)
    assert (round(s.low / 100, 4), round(s.high / 100, 4)) == (0.2553, 0.3662)
    assert Share.of(0, 0).pct is None


def test_difference_is_newcombes_hybrid_score_interval():
    # Newcombe (1998) Table II, example (a): 56/70 - 48/80 = 0.2000, method 10: 0.0524 to 0.3339
    d = Difference.of(56, 70, 48, 80)
    assert round(d.difference, 4) == 0.2 and (round(d.low, 4), round(d.high, 4)) == (0.0524, 0.3339)
    assert Difference.of(5, 10, 0, 0).difference is None


def test_rates_exact_poisson_and_harm_ratio():
    # 10 offences in 200 person-years: exact limits for k = 10 are 4.795 and 18.390 (Breslow and Day 1987),
    # 5.0 per 100 person-years (2.40 to 9.20)
    offences = np.array([3, 0, 7, 0])
    years = np.array([50.0, 100.0, 25.0, 25.0])
    harm = np.array([30.0, 0.0, 170.0, 0.0])
    r = Rates.of(offences, harm, years)
    assert r.rate == pytest.approx(5.0)
    assert r.ci_low == pytest.approx(100 * 4.795 / 200, abs=1e-3) and r.ci_high == pytest.approx(100 * 18.390 / 200,
                                                                                                   abs=1e-3)
    assert r.harm == pytest.approx(200 / 200) and r.n_boot == areas.HARM_DRAWS
    assert Rates.of(np.array([]), np.array([]), np.array([])).rate is None


def test_kaplan_meier_table_is_cumulative_incidence():
    # Freireich (1963) 6-MP group; Klein and Moeschberger (2003) Table 4.1A: S(10) = 0.753
    t = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    e = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    km = _km(t, e)
    assert list(km.columns) == ["time", "at_risk", "events", "estimate", "ci_low", "ci_high"]
    assert round(1 - km.set_index("time").estimate[10.0], 3) == 0.753
    assert km.at_risk.iloc[0] == 21 and (km.ci_low <= km.estimate).all() and (km.estimate <= km.ci_high).all()


def test_registered_and_fitted_once_per_snapshot(snap, study, monkeypatch):
    assert STUDIES["areas"] == "foundation_eval.evaluation.areas:areas_study"
    assert snap.study("areas") is study and set(study.areas) == {FORCE, *(d.id for d in snap.programme.districts)}

    def refit(*args, **kwargs):
        raise AssertionError("a page refitted the study")

    for name in ("fit_areas", "kaplan_meier", "bootstrap_ratio", "funnel_plot", "table_one", "wilson_interval", "stage_table",
                 "event_rate", "referral_frame"):
        monkeypatch.setattr(areas, name, refit)
    monkeypatch.setattr("foundation_eval.models.reoffending.kaplan_meier", refit)
    monkeypatch.setattr("foundation_eval.models.reoffending.bootstrap_ratio", refit)
    monkeypatch.setattr("foundation_eval.models.funnel_plot.funnel_plot", refit)
    assert "Summary" in OverviewReport(snap).html()
    for d in [None, *(d.id for d in snap.programme.districts[:3])]:
        assert "Reoffending" in DistrictReport(snap, d).html()


def test_written_snapshot_reads_the_study_back(snap, study, tmp_path):
    folder = write_snapshot(snap, tmp_path / "snap")
    assert (folder / "studies" / "areas.pkl").exists()
    again = open_snapshot(folder, snap.programme)
    read = again.study("areas")
    pd.testing.assert_frame_equal(read.table(), study.table())
    assert read.force.rates == study.force.rates


def test_report_modules_import_no_estimator_or_frame():
    for name in ("district_report.py", "overview_report.py"):
        tree = ast.parse((REPORTS / name).read_text(encoding="utf-8"))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add(node.module or "")
                imported |= {f"{node.module}.{a.name}" for a in node.names}
        bad = sorted(m for m in imported if m.startswith(FORBIDDEN))
        assert not bad, (name, bad)


def test_another_period_is_a_variant_study(snap, study):
    assert study_for_period(snap, "", "") is study
    v = study_for_period(snap, "2022-01", "2023-06")
    assert str(v.start) == "2022-01" and v.force.listed < study.force.listed
    assert [str(q) for q in v.quarters] == ["2023Q2", "2023Q1", "2022Q2"]
    rep = DistrictReport(snap, "SOU", study=v)
    assert rep.start == "2022-01" and "Summary" in rep.brief().html()
    with pytest.raises(ValueError, match="study_for_period"):
        DistrictReport(snap, "SOU", "2022-01", "2023-06")
    with pytest.raises(ValueError, match="study_for_period"):
        OverviewReport(snap, "2022-01")
    with pytest.raises(ValueError, match="reduced tables"):
        fit_areas(snap.dataset.__class__(snap.dataset.programme, snap.dataset.tables, "", ""))


# ------------------------------------------------------------------------------------------ one definition
def test_figures_equal_the_library_definitions_from_the_event_tables(small_ds, study):
    """Each area's figures equal the library's, computed from the event tables (no reduction)."""
    ds = replace(small_ds, reduced=None, _derived={})
    assert ds.reduced is None
    prog = ds.programme
    persons = add_phase(ds, select(person_frame(ds), None, prog.study_start, prog.study_end))
    eng = first_engagement_frame(ds, persons)
    eng["within"] = (eng.event == 1) & (eng.days <= prog.engagement_window_days)
    window = fixed_window(reoffending_frame(ds, persons[persons.listed]), 12, ds.extract_date).frame
    for key, a in study.areas.items():
        did = None if key == FORCE else key
        here = persons if did is None else persons[persons.district_id == did]
        e = eng if did is None else eng[eng.district_id == did]
        w = window if did is None else window[window.district_id == did]
        assert a.listed == int(here.listed.sum()) and a.eligible == len(here)
        assert (a.engaged.k, a.engaged.n) == (int(e.within.sum()), len(e)), key
        assert (a.reoffended.k, a.reoffended.n) == (int(w.outcome.sum()), len(w)), key
        pd.testing.assert_frame_equal(a.table_one, table_one(here[here.listed]), check_dtype=False)
        pd.testing.assert_frame_equal(a.funnel, funnel(ds, here).table())
        sizes = monthly_list_size(ds, did, prog.study_start, prog.study_end)
        assert a.list_monthly.on_list.tolist() == sizes.listed.tolist()
        assert a.list_monthly.eligible.tolist() == sizes.eligible.tolist()
        q = monthly_list_size(ds, did, freq="Q")
        assert a.list_quarterly.on_list.tolist() == q.listed.tolist()
        assert a.list_monthly.new_listings.sum() == a.listed == a.list_quarterly.new_listings.sum()
        for team, t in a.engagement_curves.items():
            g = e[e.team == team]
            km = kaplan_meier(g.days.to_numpy(), g.event.to_numpy()).table()
            np.testing.assert_allclose(t.estimate, 1 - km.survival)
            assert t.at_risk.tolist() == km.at_risk.tolist()
    # the force adds up over the districts
    districts = [a for a in study.areas.values() if a.district_id]
    f = study.force
    for attr in ("engaged", "started", "completed", "reoffended"):
        assert getattr(f, attr).k == sum(getattr(a, attr).k for a in districts)
        assert getattr(f, attr).n == sum(getattr(a, attr).n for a in districts)
    assert f.rates.offences == sum(a.rates.offences for a in districts)


def test_force_figures_match_the_registered_estimates(snap, study):
    """The force's shares rest on the same people and counts as the estimates in results.json."""
    notes = {e.name: e.notes[0] for e in snap.estimates if e.notes}
    f = study.force
    x1, n1 = map(int, re.search(r"started within 12 months: (\d+)/(\d+) listed",
                                notes["referral_start_rd_programme"]).groups())
    assert (f.started.k, f.started.n) == (x1, n1)
    m = re.search(r"engaged within \d+ days: (\d+)/(\d+) with practitioners, (\d+)/(\d+) police alone",
                  notes["engagement_rd_practitioner"])
    assert (f.practitioner.x1, f.practitioner.n1, f.practitioner.x0, f.practitioner.n0) == tuple(map(int, m.groups()))
    assert (f.engaged.k, f.engaged.n) == (f.practitioner.x1 + f.practitioner.x0, f.practitioner.n1 + f.practitioner.n0)
    x1, n1 = map(int, re.search(r"reoffended within 12 months: (\d+)/(\d+) listed",
                                notes["reoffending_12m_rd_listed_vs_prelive"]).groups())
    assert (f.reoffended.k, f.reoffended.n) == (x1, n1)


def test_brief_quarters_and_attention(study, snap):
    f = study.force
    this, last, year = study.quarters
    assert (this - last).n == 1 and (this - year).n == 4
    q = f.quarters.set_index(["measure", "quarter"])
    lq = f.list_quarterly.set_index("quarter")
    for quarter in (this, last, year):
        assert q.loc[("on_list", quarter), "k"] == lq.at[quarter, "on_list"]
        assert q.loc[("new_listings", quarter), "k"] == lq.at[quarter, "new_listings"]
        assert q.loc[("engaged", quarter), "n"] <= lq.at[quarter, "new_listings"]
    # the engagement and referral-start figures of each quarter, from the event tables
    ds, prog = snap.dataset, snap.programme
    listed = select(person_frame(replace(ds, reduced=None, _derived={})), None, prog.study_start, prog.study_end)
    listed = listed[listed.listed]
    eng = first_engagement_frame(ds, listed)
    eng = eng[eng.index_date + pd.Timedelta(days=study.window) <= pd.Timestamp(ds.extract_date)]
    refs = ds.referrals.merge(listed[["person_id", "index_date"]], on="person_id")
    refs = refs[(refs.referred_date >= refs.index_date) & refs.started_date.notna()]
    for quarter in (this, last, year):
        cohort = eng[eng.index_month.dt.asfreq("Q") == quarter]
        assert q.loc[("engaged", quarter), "n"] == len(cohort)
        assert q.loc[("engaged", quarter), "k"] == ((cohort.event == 1) & (cohort.days <= study.window)).sum()
        started = refs[refs.started_date.dt.to_period("Q") == quarter].person_id.nunique()
        assert q.loc[("started", quarter), "k"] == started
    outside = {(a.district_id, a.measure) for a in study.attention if a.kind == "funnel"}
    for key, fv in study.funnels.items():
        if fv.result is not None:
            far = fv.result.units.position.isin(["above 99.8%", "below 99.8%"])
            assert {(d, key) for d in fv.districts.district_id[far.to_numpy()]} == {x for x in outside if x[1] == key}


# ------------------------------------------------------------------------------------------ pseudonyms
def _rekeyed(ds, seed: int):
    """The same extract with every person id replaced by another pseudonym (a random permutation of fresh ones)."""
    rng = np.random.default_rng(seed)
    ids = ds.people.person_id.to_numpy()
    fresh = [f"P{v:012X}" for v in rng.choice(16 ** 12, size=len(ids), replace=False)]
    key = dict(zip(ids, fresh, strict=True))
    tables = {}
    for name, t in ds.tables.items():
        t = t.copy()
        if "person_id" in t:
            t["person_id"] = t.person_id.map(key).astype(t.person_id.dtype)
        tables[name] = t
    return replace(ds, tables=tables, reduced=None, _derived={})


def test_study_is_invariant_to_the_pseudonym_key(small_ds):
    ds = with_reduced(replace(small_ds, reduced=None, _derived={}))
    first = fit_areas(ds)
    other = with_reduced(_rekeyed(small_ds, 7))
    assert (other.reduced.persons.person_id.to_numpy() != ds.reduced.persons.person_id.to_numpy()).any()
    second = fit_areas(other)
    for key in first.areas:
        assert first.areas[key].rates == second.areas[key].rates, key  # the harm interval, to the last digit
    pd.testing.assert_frame_equal(first.table(), second.table())
    # not vacuous: resampling the people in the order of their pseudonyms moves the interval
    a, b = (x.reduced.persons.set_index("person_id") for x in (ds, other))
    a, b = (p[p.listed] for p in (a, b))
    boots = [bootstrap_ratio(p.harm_days.to_numpy(), p.exposure_years.to_numpy(), n_boot=areas.HARM_DRAWS,
                             seed=areas.HARM_SEED) for p in (a.sort_index(), b.sort_index())]
    assert (boots[0].ci_low, boots[0].ci_high) != (boots[1].ci_low, boots[1].ci_high)


def test_second_programme_without_risk_tool_or_plans(tmp_path):
    folder = synth.write(synth.generate("change-that-lasts", seed=1, scale=0.3, truth_replicates=2), tmp_path)
    study = fit_areas(with_reduced(load_dataset(folder, "change-that-lasts")))
    assert study.force.ppit_bands is None and study.pillars is None
    assert "route" in study.force.referral_tables
    assert not study.outcomes.measure.str.contains("risk tool|risk management plan").any()


# ------------------------------------------------------------------------------------------ the reduction
def test_reduction_carries_what_the_study_needs(small_ds, tmp_path):
    """New victims, joint visits and plans are reduced once, equal to their definitions on the event tables."""
    from foundation_eval.frames.outcomes import offence_frame
    from foundation_eval.frames.reduce import Reduced, reduce_dataset

    red = reduce_dataset(small_ds)
    p = red.persons.set_index("person_id")
    off = offence_frame(small_ds, red.person_frame())
    nv = off[off.da_flag.astype(bool) & off.new_victim & off.observed].groupby("person_id").offence_date.min()
    pd.testing.assert_series_equal(p.first_new_victim.dropna().sort_index(), nv.sort_index(), check_names=False)
    assert (p.new_victim == p.first_new_victim.notna()).all() and p.new_victim.any()
    con = small_ds.contacts.merge(p.index_date.reset_index(), on="person_id")
    joint = con[(con.contact_date >= con.index_date) & ((con.staff == "joint") | (con.contact_type == "joint_visit"))]
    pd.testing.assert_series_equal(p.first_joint_visit.dropna().sort_index(),
                                   joint.groupby("person_id").contact_date.min().sort_index(), check_names=False)
    rmp = small_ds.rmps.merge(p.index_date.reset_index(), on="person_id")
    assert sorted(red.plans.rmp_id) == sorted(rmp[rmp.rmp_date >= rmp.index_date].rmp_id) and len(red.plans)
    folder = red.write(tmp_path / "reduced")
    again = Reduced.read(folder)
    pd.testing.assert_frame_equal(again.plans, red.plans)
    (folder / "plans.parquet").unlink()  # a reduction written before plans were reduced
    assert Reduced.read(folder).plans is None


def test_table_and_plot_of_the_study(study):
    t = study.table()
    assert list(t.area) == list(study.areas) and t.engaged_pct.between(0, 100).all()
    assert (t.harm_low < t.harm).all() and (t.harm < t.harm_high).all()
    ax = study.plot(measure="reoffended")
    assert [x.get_text() for x in ax.get_yticklabels()] == [a.name for a in study.areas.values()]
    assert ax.get_xlabel() == "Percent reoffended (95% interval)"
