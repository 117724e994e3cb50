"""The national-scale benchmark keeps running: its programme is valid and every stage runs on a small copy."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
national = pytest.importorskip("national")


def test_national_benchmark_runs_at_small_scale(tmp_path):
    from foundation_eval.config import load_programme

    gen = national.generate(20_000, 30, str(tmp_path))
    prog = load_programme(gen["programme"])
    assert len(prog.districts) == 30 and sum(d.pilot for d in prog.districts) == 2
    assert len({d.go_live for d in prog.districts}) == 12  # a pilot group and 11 quarterly waves
    assert 15_000 < gen["rows"]["people"] < 25_000
    m = national.measure(gen["programme"], gen["extract"])
    assert list(m["times"]) == ["load and validate", "reduce (polars)", "Cox, Efron, clustered",
                                "12-month logistic GEE", "negative binomial counts", "district-month Poisson"]
    assert m["district_months"] == 30 * len(prog.months) and 0 < m["load_peak_gib"] <= m["peak_gib"] < 8
    # a fixed seed: the crude live-district comparison points the way of the generator's programme effect (HR 0.8)
    assert m["fits"]["cox_hr_live"] < 1


def test_national_render_runs_at_small_scale(tmp_path):
    """``--render`` on a tiny copy (6 districts, one district page and the force-wide reports; not timed)."""
    gen = national.generate(6_000, 6, str(tmp_path))
    r = national.render_stage(gen["programme"], gen["extract"], str(tmp_path / "site"), districts=1, jobs=2)
    assert r["returncode"] == 0, r["log_tail"]
    assert r["failed"] == []
    assert sorted(r["reports"]) == sorted(["district-aaa", *national.FORCE_REPORTS])
    # every page was written and timed, after the preparation and within the render
    assert set(r["pages_done_at"]) == set(r["reports"])
    assert 0 < r["preparation"] < min(r["pages_done_at"].values()) <= max(r["pages_done_at"].values()) <= r["wall"]
    assert set(r["per_report"]) == set(r["reports"])
    assert all(v["seconds"] > 0 and v["slowest_cells"] for v in r["per_report"].values())
    assert 0 < r["peak_gib"]["preparation"] < 8 and 0 < r["peak_gib"]["reports"] < 8
    # the disclosure audit of each page is timed on its own (at national scale it dominates a district page)
    assert set(r["timings"]) == set(r["reports"]) and all(t["audit"] >= 0 for t in r["timings"].values())
    results = json.loads((tmp_path / "site" / "results.json").read_text())
    assert results["estimates"]
    national.report_render(r)  # the printed summary works on what was measured


def test_coverage_benchmark_smoke_over_two_scenarios(tmp_path):
    """The coverage study runs end to end on two scenarios (one small force each) and tabulates what it
    measured: every published interval scored, the staggered designs' SE and degrees of freedom kept so the
    small-sample rule can be rebuilt, and each design's checks recorded."""
    import importlib.util

    import pandas as pd

    spec = importlib.util.spec_from_file_location("coverage_study", Path(__file__).resolve().parents[1] /
                                                  "benchmarks" / "coverage.py")
    study = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(study)
    rows = [r for sc in ("none", "trend-violation") for r in study.replicate(7000, sc, scale=0.3, n_perm=9)]
    frame = pd.DataFrame(rows).reindex(columns=study.COLUMNS)
    assert set(frame.scenario) == {"none", "trend-violation"}
    primary = frame[frame.name == "DiD imputation (primary)"]
    assert len(primary) == 2 and primary.se.gt(0).all() and (primary.df_clusters == 13).all()
    assert {"engagement_rd_practitioner", "ppit_auc_12m", "Cox, time-varying exposure (reoffending_hr_programme)",
            "ITS, pilot districts, level change"} <= set(frame.name)
    assert frame.flag_any_check.notna().any()
    table = study.summarise(frame, "clusters")
    assert {"coverage", "mc_se", "mean_width", "bias", "flag_rate"} <= set(table.columns)
    md = study.markdown(frame, "clusters")
    assert md.startswith("| design | kind | scenario |") and "trend-violation" in md
    # a registry pass replaces the person-level estimates of the scenarios it covers, and only those
    reg = frame[(frame.group == "registry") & (frame.scenario == "none")].assign(estimate=0.123)
    merged = study.with_registry(frame, reg)
    assert len(merged) == len(frame)
    assert (merged[(merged.group == "registry") & (merged.scenario == "none")].estimate == 0.123).all()
    assert merged[(merged.group == "registry") & (merged.scenario == "trend-violation")].estimate.ne(0.123).all()
