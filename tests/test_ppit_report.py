"""PPIT validity report: analysis frames, the RFG baseline, safe bands, the published page (disclosure,
registered estimates read from the study fitted once, variants, small force, a programme without a risk tool),
recovery of the generator's truth and the notebook under papermill."""
from __future__ import annotations

import ast
import html
import inspect
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from foundation_eval import __version__
from foundation_eval.config import load_programme
from foundation_eval.data import synth
from foundation_eval.data.load import Dataset, load_dataset
from foundation_eval.evaluation.estimates import ppit_auc_12m, ppit_icc2_total
from foundation_eval.evaluation.snapshot import Snapshot, build_snapshot, write_snapshot
from foundation_eval.ppit import auc, icc
from foundation_eval.ppit.study import fit_ppit_study
from foundation_eval.ppit.validity import (
    double_scored,
    outcome_definition,
    reliability_frame,
    rfg_scores,
    validation_frame,
)
from foundation_eval.reporting.ppit_report import PpitValidityReport
from foundation_eval.reporting.ppit_tables import safe_bands, withheld_rows
from foundation_eval.reporting.ppit_text import BENCHMARKS

ID = re.compile(r"[PVOCAFMR][0-9A-F]{8,16}")
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "ppit_validity.ipynb"
ITEMS = [f"ppit_{i:02d}" for i in range(1, 11)]
SMALL_COUNT = re.compile(r"(?<![\d.,-])[1-9] (people|person|listed people|were|of them|pairs)\b")


def _visible(page: str) -> str:
    """The page without embedded PNG payloads (base64 text is not content a reader sees)."""
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)


def _text(page: str) -> str:
    """What a reader reads: the page without markup."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _visible(page)))


# ------------------------------------------------------------------------------------------ RFG
def test_rfg_score_hand_checked():
    prog = load_programme("hiow")
    idx = pd.Timestamp("2022-03-01")
    persons = pd.DataFrame({"person_id": ["A", "B", "C", "D"], "index_date": [idx] * 4})
    rows = [
        # A: latest 14 days before (R=3); 2 DA offences in 2 years (F=2); worst ABH, severity 4 of 6 (G=2)
        ("A", "2022-02-15", "common_assault", True), ("A", "2021-10-01", "abh", True),
        ("A", "2020-01-01", "gbh", True),  # outside the 2-year lookback
        ("A", "2022-02-28", "theft", False),  # not DA
        # B: one harassment 273 days before: R=1, F=1, G=ceil(3*1/6)=1
        ("B", "2021-06-01", "harassment", True),
        # D: latest 59 days before (R=2), 4 offences (F=3), strangulation severity 5 (G=3)
        ("D", "2022-01-01", "criminal_damage", True), ("D", "2021-12-01", "strangulation", True),
        ("D", "2021-09-01", "harassment", True), ("D", "2021-05-01", "stalking", True),
        ("D", "2022-03-01", "gbh", True),  # on the index date: not before it
        ("D", "2022-05-01", "gbh", True),  # after the index date
    ]
    off = pd.DataFrame(rows, columns=["person_id", "offence_date", "offence_type", "da_flag"])
    off["offence_date"] = pd.to_datetime(off.offence_date)
    got = rfg_scores(off, persons, prog.offence_types).set_index("person_id")
    expect = {"A": (2, 3, 2, 2, 7), "B": (1, 1, 1, 1, 3), "C": (0, 0, 0, 0, 0), "D": (4, 2, 3, 3, 8)}
    for pid, (n, r, f, g, total) in expect.items():
        row = got.loc[pid]
        assert (row.prior_da, row.rfg_recency, row.rfg_frequency, row.rfg_gravity, row.rfg_score) == (n, r, f, g, total)
    assert got.loc["A", "days_since_last_da"] == 14 and got.loc["D", "max_severity"] == 5
    assert list(got.index) == ["A", "B", "C", "D"]


# ------------------------------------------------------------------------------------------ a hand-made extract
def _tiny_dataset() -> Dataset:
    """Six people whose outcomes can be worked out by hand (index month 2023-01 unless stated)."""
    prog = load_programme("hiow")
    P = [f"P0000000{i}" for i in range(1, 7)]
    screening = pd.DataFrame({
        "person_id": P + ["P00000004"],
        "month": pd.PeriodIndex(["2023-01"] * 3 + ["2024-06", "2023-01", "2023-01", "2024-07"], freq="M"),
        "district_id": ["SOU"] * 7,
        "eligible": [True] * 7,
        "listed": [True, True, True, True, False, True, True],
    })
    people = pd.DataFrame({"person_id": P, "sex": ["male"] * 6, "ethnicity_group": ["white"] * 6,
                           "birth_ym": pd.PeriodIndex(["1998-05"] * 6, freq="M"), "home_district_id": ["SOU"] * 6})
    exits = pd.DataFrame({"person_id": ["P00000003"], "exit_date": pd.to_datetime(["2023-05-01"]),
                          "exit_reason": ["custody"]})
    off = pd.DataFrame([
        ("O000000001", "P00000001", "2022-12-01", "harassment", True, "V00000001", 20.0),  # prior
        ("O000000002", "P00000001", "2023-06-01", "common_assault", True, "V00000001", 20.0),
        ("O000000003", "P00000001", "2023-08-01", "abh", True, "V00000001", 365.0),
        ("O000000004", "P00000002", "2024-02-01", "harassment", True, "V00000002", 20.0),  # after the window
        ("O000000005", "P00000002", "2023-03-01", "theft", False, None, 10.0),  # not DA
        ("O000000006", "P00000003", "2023-09-01", "gbh", True, "V00000003", 1095.0),  # after exit
    ], columns=["offence_id", "person_id", "offence_date", "offence_type", "da_flag", "victim_id", "chi_days"])
    off["offence_date"] = pd.to_datetime(off.offence_date)

    def rating(aid, pid, assessor, date, kind, items):
        tot = int(sum(items))
        return {"assessment_id": aid, "person_id": pid, "assessor_id": assessor, "assessment_date": pd.Timestamp(date),
                "rating": kind, **dict(zip(ITEMS, items, strict=True)), "total": tot, "priority": tot >= 12}

    pp = pd.DataFrame([
        rating("A00000001", "P00000001", "R0001", "2023-01-10", "first", [2] * 7 + [1, 0, 0]),
        rating("A00000002", "P00000002", "R0002", "2023-01-12", "first", [1] * 10),
        rating("A00000003", "P00000002", "R0003", "2023-01-15", "second", [1] * 8 + [2, 2]),
        rating("A00000004", "P00000003", "R0001", "2023-01-20", "first", [0] * 10),
        rating("A00000005", "P00000004", "R0002", "2024-06-05", "first", [2] * 10),
        rating("A00000006", "P00000005", "R0002", "2023-01-05", "first", [1] * 10),  # never listed
    ])
    tables = {"screening": screening, "people": people, "exits": exits, "offences": off, "ppit_assessments": pp}
    return Dataset(programme=prog, tables=tables, source="tiny", data_hash="0" * 64)


def test_validation_frame_outcomes_hand_checked():
    ds = _tiny_dataset()
    f = validation_frame(ds).set_index("person_id")
    # P4 listed 2024-06 has under 12 months before the extract; P5 never listed; P6 never assessed
    assert list(f.index) == ["P00000001", "P00000002", "P00000003"]
    assert f.loc["P00000001", "ppit_total"] == 15 and bool(f.loc["P00000001", "ppit_priority"])
    assert f.loc["P00000001", "assessor_id"] == "R0001" and f.loc["P00000001", "ppit_01"] == 2
    assert f.loc["P00000001", "prior_da_2y"] == 1 and f.loc["P00000001", "rfg_score"] == 2 + 1 + 1
    # P1: DA offences 151 and 212 days after 2023-01-01, both inside the window
    assert f.loc["P00000001", "outcome"] == 1 and f.loc["P00000001", "time_days"] == 151
    assert f.loc["P00000001", "window_da_count"] == 2 and f.loc["P00000001", "window_harm_days"] == 385
    # P2: the only DA offence comes after the window closes (2024-01-01): outcome 0 but an event at 396 days
    assert f.loc["P00000002", "outcome"] == 0 and f.loc["P00000002", "event"] == 1
    assert f.loc["P00000002", "time_days"] == 396
    # P3 exits after 120 days: window not observed, censored at exit; the later offence is not seen
    assert not f.loc["P00000003", "window_observed"] and pd.isna(f.loc["P00000003", "outcome"])
    assert f.loc["P00000003", "event"] == 0 and f.loc["P00000003", "time_days"] == 120
    # violent DA (severity >= 4): only P1's ABH, 212 days in
    v = validation_frame(ds, outcome="violent_da").set_index("person_id")
    assert v.outcome.tolist()[:2] == [1, 0] and v.loc["P00000001", "time_days"] == 212
    assert v.loc["P00000002", "event"] == 0
    # harm above 365 CHI days: 20 + 365 crosses it with the ABH; above 400 never
    h = validation_frame(ds, outcome="harm_above", harm_threshold=365).set_index("person_id")
    assert h.loc["P00000001", "outcome"] == 1 and h.loc["P00000001", "time_days"] == 212
    h2 = validation_frame(ds, outcome="harm_above", harm_threshold=400).set_index("person_id")
    assert h2.loc["P00000001", "outcome"] == 0 and h2.loc["P00000001", "event"] == 0
    # no minimum follow-up: P4 enters, its window unobserved
    z = validation_frame(ds, min_followup_months=0).set_index("person_id")
    assert "P00000004" in z.index and not z.loc["P00000004", "window_observed"]
    with pytest.raises(ValueError, match="outcome must be one of"):
        validation_frame(ds, outcome="murder")


def test_study_on_too_few_people_says_why():
    study = fit_ppit_study(_tiny_dataset(), n_boot=0)
    assert (study.n_scored, study.n_observed, study.n_events) == (3, 2, 1)
    assert study.discrimination is None and "fewer than 10 people" in study.unavailable["discrimination"]
    assert study.icc is None and study.unavailable["icc"] == "fewer than 10 people were scored twice"
    assert study.kappa is None and study.equity_accuracy.empty


def test_outcome_definition_uses_programme_severity():
    prog = load_programme("hiow")
    v = outcome_definition(prog, "violent_da")
    assert set(v.types) == {"abh", "strangulation", "gbh", "sexual_assault"}
    assert set(outcome_definition(prog, "violent_da", violent_severity=2).types) >= {"common_assault", "breach_order"}
    assert outcome_definition(prog, "harm_above").harm_threshold == 365
    with pytest.raises(ValueError):
        outcome_definition(prog, "harm_above", harm_threshold=-1)


def test_reliability_frame_hand_checked():
    r = reliability_frame(_tiny_dataset())
    assert len(r) == 1
    row = r.iloc[0]
    assert (row.total_first, row.total_second, row.days_between) == (10, 12, 3)
    assert (row.assessor_first, row.assessor_second) == ("R0002", "R0003") and not row.same_assessor
    assert row.ppit_09_second == 2 and not row.priority_first and row.priority_second


# ------------------------------------------------------------------------------------------ disclosure helpers
def test_safe_bands_pool_small_scores():
    # score: (events, non-events) = 0:(0,30) 1:(5,20) 2:(5,5) 3:(20,10) 4:(3,0)
    counts = {0: (0, 30), 1: (5, 20), 2: (5, 5), 3: (20, 10), 4: (3, 0)}
    x = np.concatenate([[s] * (e + n) for s, (e, n) in counts.items()])
    y = np.concatenate([[1] * e + [0] * n for e, n in counts.values()])
    # from the top: 4 alone has 3 events -> pool with 3 -> (23, 10); 2 alone (5, 5) -> pool with 1 -> (10, 25); 0 safe
    assert safe_bands(x, y, 10) == [0.0, 1.0, 3.0]
    # forcing an edge at 2 is impossible on the upper side? 2-4 = (28, 15) safe, below 0-1 = (5, 50) unsafe -> ignored
    assert safe_bands(x, y, 10, force_edge=2) == [0.0, 1.0, 3.0]
    # edges at 1 and 3 can both be kept; 1, 2 and 3 cannot (2 alone holds 5 and 5), so the last named goes
    assert safe_bands(x, y, 10, force_edge=[3, 1]) == [0.0, 1.0, 3.0]
    assert safe_bands(x, y, 10, force_edge=[1, 3, 2]) == [0.0, 1.0, 3.0]
    rng = np.random.default_rng(5)
    kept = 0
    for _ in range(20):
        xs = rng.integers(0, 21, 300)
        ys = (rng.random(300) < 0.1 + 0.03 * xs).astype(int)
        for force in (12, [12, 6, 16]):
            edges = safe_bands(xs, ys, 10, force_edge=force)
            band = np.searchsorted(edges, xs, side="right") - 1
            for b in range(len(edges)):
                e, n = ys[band == b].sum(), (band == b).sum() - ys[band == b].sum()
                assert (e == 0 or e >= 10) and (n == 0 or n >= 10)
        kept += {12.0, 6.0, 16.0} <= set(edges)
    assert kept >= 10  # the tool's edges survive on most draws


def test_withheld_rows_secondary_suppression():
    f = pd.DataFrame({"g": ["a", "b", "c", "all"], "e": [3, 40, 25, 68], "ne": [30, 50, 12, 92]})
    everyone = np.array([False, False, False, True])
    # a is small; c (next smallest count, 12) goes too so the total cannot give a away; the total row stays
    assert withheld_rows(f, ["e", "ne"], 10, additive=True, exclude=everyone).tolist() == [True, False, True, False]
    assert withheld_rows(f, ["e", "ne"], 10, additive=False).tolist() == [True, False, False, False]
    # a group withheld for another reason (too small for its statistic) is protected the same way
    also = np.array([False, False, True, False])
    f2 = f.assign(e=[30, 40, 25, 95])
    assert withheld_rows(f2, ["e", "ne"], 10, exclude=everyone, also=also).tolist() == [True, False, True, False]


# ------------------------------------------------------------------------------------------ the page, small force
@pytest.fixture(scope="module")
def tenth(tmp_path_factory):
    """The default programme at a tenth of the default size, as a written and reopened snapshot."""
    folder = synth.write(synth.generate("hiow", seed=1, scale=0.1), tmp_path_factory.mktemp("ppit-tenth"))
    snap = build_snapshot(load_dataset(folder))
    out = write_snapshot(snap, tmp_path_factory.mktemp("ppit-tenth-snap"))
    return snap, out


@pytest.fixture(scope="module")
def report(tenth):
    rep = PpitValidityReport(tenth[0])
    rep.rendered = rep.html()
    return rep


# ------------------------------------------------------------------------------------------ the report only formats
FITTING = ("foundation_eval.ppit", "foundation_eval.models", "foundation_eval.frames", "foundation_eval.impact",
           "foundation_eval.stats", "foundation_eval.data", "scipy", "statsmodels", "lifelines", "sklearn")


def test_the_report_imports_no_estimator():
    import foundation_eval.reporting.ppit_report as module

    tree = ast.parse(inspect.getsource(module))
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    bad = [m for m in imported if m.startswith(FITTING)]
    assert not bad, bad


ESTIMATORS = ("foundation_eval.ppit", "foundation_eval.models", "foundation_eval.impact", "foundation_eval.frames")


def test_every_section_reads_the_study_fitted_once(tenth, monkeypatch):
    """After the snapshot is built, every estimator and frame builder raises: the page still renders, and its AUC
    and ICC are the snapshot's registered values. The publication layer's own Wilson interval of a published share
    (disclosure, not model fitting) is left alone."""
    import importlib
    import pkgutil

    snap = tenth[0]
    assert "ppit" in snap.studies  # fitted by build_snapshot

    def refuse(*args, **kwargs):
        raise AssertionError("a model was fitted while the page was formatted")

    modules = []
    for name in ESTIMATORS:
        pkg = importlib.import_module(name)
        modules += [pkg] + [importlib.import_module(f"{name}.{m.name}") for m in pkgutil.iter_modules(pkg.__path__)]
    patched = 0
    for mod in modules:
        for name, obj in list(vars(mod).items()):
            # the fitting functions these packages define, and the scipy/statsmodels routines they call
            if callable(obj) and not isinstance(obj, type) and not name.startswith("_") and \
                    getattr(obj, "__module__", "").startswith((*ESTIMATORS, "scipy", "statsmodels", "lifelines")):
                monkeypatch.setattr(mod, name, refuse)
                patched += 1
    assert patched > 100
    from foundation_eval import ppit

    with pytest.raises(AssertionError, match="a model was fitted"):  # the patches bite
        ppit.auc([1.0, 2.0], [0, 1])
    rep = PpitValidityReport(snap)
    page = rep.html()
    for name in ("ppit_auc_12m", "ppit_icc2_total"):
        e = snap.estimate(name)
        spans = re.findall(rf"data-estimand='{name}' data-estimate='([^']*)'", page)
        assert spans and all(float(v) == pytest.approx(e.estimate, abs=1e-6) for v in spans), name
    assert rep.study is snap.studies["ppit"]
    assert rep.study.auc == pytest.approx(snap.estimate("ppit_auc_12m").estimate, abs=1e-12)
    assert rep.study.icc.loc["ICC2", "icc"] == pytest.approx(snap.estimate("ppit_icc2_total").estimate, abs=1e-12)
    assert "could not be estimated" not in page and len(rep.page.tables) >= 15
    assert rep.page.audit().passed  # the audit, too, needs nothing but what the page published


def test_page_auc_and_icc_are_the_registered_values(report, tenth):
    snap = tenth[0]
    a, i = snap.estimate("ppit_auc_12m"), snap.estimate("ppit_icc2_total")
    page = report.rendered
    # every marked value is the snapshot's
    for name, e in (("ppit_auc_12m", a), ("ppit_icc2_total", i)):
        spans = re.findall(rf"data-estimand='{name}' data-estimate='([^']*)' data-ci-low='([^']*)'", page)
        assert spans, name
        for est, lo in spans:
            assert float(est) == pytest.approx(e.estimate, abs=1e-6) and float(lo) == pytest.approx(e.ci_low, abs=1e-6)
    # the summary and the discrimination section show the registered AUC in the same words
    summary = _text(report.summary().html())
    assert f"{a.estimate:.2f} (95% interval {a.ci_low:.2f} to {a.ci_high:.2f})" in summary
    assert "AUC of the risk-tool total for a further DA offence within 12 months" in summary
    assert "ODARA (0.67)" in summary and "SARA (0.63)" in summary and "police-history models (0.75)" in summary
    sentences = [s for s in re.split(r"(?<=[.])\s+(?=[A-Z])", summary.replace("Summary", "", 1).strip()) if s.strip()]
    assert 3 <= len(sentences) <= 6
    disc = {t.name: t for t in report.page.tables}["discrimination"].values
    assert disc.auc[0] == pytest.approx(a.estimate) and disc.high[0] == pytest.approx(a.ci_high)
    for tab in report.page.tables:
        if tab.name.startswith("equity_accuracy_"):
            assert tab.values.auc.iloc[-1] == pytest.approx(a.estimate)  # everyone
    icc_t = {t.name: t for t in report.page.tables}["icc"].values.set_index("form")
    assert icc_t.loc["ICC2", "icc"] == pytest.approx(i.estimate) and icc_t.loc["ICC2", "low"] == pytest.approx(i.ci_low)
    # the library gives the same values on the study's samples
    b = validation_frame(snap.dataset)
    b = b[b.window_observed]
    lib = auc(b.ppit_total.astype(float), b.outcome.astype(int))
    assert lib.estimate == pytest.approx(a.estimate) and lib.ci_low == pytest.approx(a.ci_low)
    long = double_scored(snap.dataset.ppit_assessments)
    row = icc(long, "person_id", "rating", "total").table().loc["ICC2"]
    assert row.icc == pytest.approx(i.estimate) and icc_t.loc["ICC1", "icc"] == pytest.approx(
        icc(long, "person_id", "rating", "total").table().loc["ICC1", "icc"])


def test_claims_only_when_the_result_supports_them(report):
    summary = _text(report.summary().html())
    inc = report.study.incremental_test
    assert ("the PPIT added information" in summary) == (inc.lr_p_value < 0.05)
    assert ("did not detectably add" in summary) == (inc.lr_p_value >= 0.05)
    better = bool((report.study.discrimination.diff_ci_low.dropna() > 0).all())
    assert ("The PPIT did better than police records alone" in summary) == better
    verdict = _text(report.incremental().html())
    assert ("adds information beyond police records" in verdict) == (inc.lr_p_value < 0.05)
    lo, hi = report.auc_numbers()[1:]
    for name, value, _ in BENCHMARKS:
        word = "below" if hi < value else "above" if lo > value else "in line with"
        assert f"{word} {name} ({value:.2f})" in summary


def test_report_contains_every_section(report, tenth):
    page = report.rendered
    for heading in ("Summary", "Methods", "Discrimination", "Time to the outcome", "Does the PPIT add to police data?",
                    "Calibration", "Temporal validation", "Thresholds", "Decision curve",
                    "Reliability between assessors", "Agreement on each item", "Agreement on the priority flag",
                    "Internal structure", "One factor or two?", "Equity", "Limitations", "Disclosure control",
                    "Provenance", "References", "Technical appendix"):
        assert f">{heading}<" in page, heading
    assert page.count("data:image/png;base64") >= 5 and page.count('alt="') >= 5
    assert "could not be estimated" not in page
    assert "current priority threshold" in page and "Harrell" in page and "Feldt" in page
    assert tenth[0].dataset.data_hash in page and __version__ in page
    assert "recency-frequency-gravity" in page and "Davies & Biddle 2018" in html.unescape(page)


def test_no_identifier_and_no_small_count_anywhere(report):
    page = _visible(report.rendered)
    assert not ID.search(page)
    assert not re.search(r"\bR[0-9A-F]{4}\b", page)  # assessor codes
    assert not SMALL_COUNT.search(_text(report.rendered)), SMALL_COUNT.search(_text(report.rendered))
    t = report.page.threshold
    assert len(report.page.tables) >= 15
    for tab in report.page.tables:
        for c in tab.counts:
            v = pd.to_numeric(tab.values[c], errors="coerce").dropna()
            assert not ((v > 0) & (v < t)).any(), (tab.name, c)
            assert (v % 5 == 0).all(), (tab.name, c)  # rounded to 5
        assert all(h for h in tab.display().columns), tab.name  # every column has a heading
        assert tab.title


def test_equity_groups_below_the_threshold_are_withheld(report):
    t = report.page.threshold
    tables = [x for x in report.page.tables if x.name.startswith("equity_accuracy_")]
    assert tables
    exact = report.study.equity_accuracy
    for tab in tables:
        hidden = tab.suppressed.iloc[:-1]  # the last row is everyone
        assert (hidden.events == hidden.auc).all() and (hidden.people == hidden.events).all()  # a whole row goes
        assert hidden.events.sum() != 1  # never one hidden group alone (secondary suppression)
        # the exact counts behind a published group are at least the threshold on both sides
        rows = exact[(exact.characteristic == tab.headings["group"]) & ~exact.everyone].reset_index(drop=True)
        shown = ~hidden.events.to_numpy()
        assert (rows.events[shown] >= t).all() and (rows.non_events[shown] >= t).all()
        assert not any(g[:1].islower() for g in tab.values.group)  # labels in sentence case
        flags = {x.name: x for x in report.page.tables}.get(tab.name.replace("accuracy", "priority"))
        if flags is not None:  # one pattern of withheld groups in both tables of a characteristic
            assert (flags.suppressed.people.to_numpy() == tab.suppressed.people.to_numpy()).all()
            assert flags.values.people.equals(tab.values.people)


def test_labels_in_sentence_case_and_code_names_only_in_the_appendix(report):
    page = _visible(report.rendered)
    body, appendix = page.split("<h2>Technical appendix</h2>")
    cells = re.findall(r"<td>([^<]*)</td>", body)
    assert cells and not [c for c in cells if c[:1].islower()]
    words = _text(re.sub(r"<style>.*?</style>", "", body, flags=re.S))
    assert not re.search(r"foundation_eval|\w+_\w+\(|ppit_\w+|\bn_boot\b|workbook_path", words), \
        re.search(r"foundation_eval|\w+_\w+\(|ppit_\w+|\bn_boot\b|workbook_path", words)
    assert "foundation_eval.ppit.study.fit_ppit_study" in appendix and "ppit_auc_12m" in appendix
    assert "nothing is written" not in page


def test_workbook_holds_numbers(report, tmp_path):
    from openpyxl import load_workbook

    path = report.page.write_workbook(tmp_path / "ppit.xlsx")
    wb = load_workbook(path)
    assert len(wb.sheetnames) >= len(report.page.tables)
    numeric = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
               if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)]
    assert len(numeric) > 50
    text = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(re.fullmatch(r"-?[\d,]+(\.\d+)?%?", v) for v in text)  # no number stored as text


@pytest.mark.parametrize("kwargs", [{"outcome": "violent_da"}, {"outcome": "harm_above", "harm_threshold": 500},
                                    {"window_months": 6, "min_followup_months": 0}])
def test_other_outcomes_are_other_quantities(tenth, kwargs):
    with pytest.raises(ValueError, match="is a variant of the registered PPIT study"):
        PpitValidityReport(tenth[0], **kwargs)  # the report fits nothing: the variant is fitted first
    study = fit_ppit_study(tenth[0], n_boot=0, **kwargs)
    rep = PpitValidityReport(tenth[0], study=study, **kwargs)
    page = rep.html()
    assert not rep.registered and not study.registered
    assert "data-estimand='ppit_auc_12m'" not in page  # never under the registered name
    if rep.can_discriminate:
        assert "not the registered headline AUC" in page
    else:
        assert "Not published: fewer than 10 people had, or did not have," in _text(page)
    assert "data-estimand='ppit_icc2_total'" in page  # agreement does not depend on the outcome
    assert not ID.search(_visible(page)) and not SMALL_COUNT.search(_text(page))
    audit = rep.page.audit()
    assert audit.passed, audit.failures[["table", "cell", "verdict"]].to_string()
    for tab in rep.page.tables:
        for c in tab.counts:
            v = pd.to_numeric(tab.values[c], errors="coerce").dropna()
            assert not ((v > 0) & (v < rep.page.threshold)).any(), tab.name
    if kwargs.get("outcome") == "violent_da":
        assert "actual bodily harm" in page.lower()


def test_too_few_outcomes_say_why(tenth):
    study = fit_ppit_study(tenth[0], outcome="harm_above", harm_threshold=1e6, n_boot=0)
    assert study.discrimination is None and "discrimination" in study.unavailable
    rep = PpitValidityReport(tenth[0], study=study)
    assert not rep.can_discriminate
    text = _text(rep.html())
    assert "Not published: fewer than 10 people had, or did not have," in text
    assert "Too few people had, or did not have, the outcome" in text
    assert "could not be estimated" not in text


def test_programme_without_a_risk_tool(tmp_path_factory):
    prog = load_programme("change-that-lasts")
    folder = synth.write(synth.generate("change-that-lasts", seed=1, scale=0.1), tmp_path_factory.mktemp("ctl"))
    ds = load_dataset(folder, prog)
    snap = Snapshot(ds)
    assert snap.study("ppit") is None and fit_ppit_study(ds) is None
    rep = PpitValidityReport(snap)
    text = _text(rep.html())
    assert "defines no risk tool" in text and "Disclosure control" in text
    assert rep.page.tables == []


def test_report_opens_a_written_snapshot(tenth):
    from foundation_eval.evaluation.snapshot import open_snapshot, release_tables

    snap = open_snapshot(tenth[1], "hiow")
    release_tables()
    assert isinstance(snap.studies["ppit"], Path)  # the pickled study, read on first use
    rep = PpitValidityReport(snap)
    assert rep.study.table().equals(tenth[0].study("ppit").table())
    assert "Technical appendix" in rep.html()
    assert sorted(snap.dataset.tables.loaded) == []  # the page reads no table of the extract
    assert rep.auc_view.estimate == pytest.approx(tenth[0].estimate("ppit_auc_12m").estimate)
    assert "data-estimand='ppit_auc_12m'" in rep.discrimination().html()


# ------------------------------------------------------------------------------------------ recovery of the truth
@pytest.fixture(scope="module")
def full_force():
    """The default synthetic force at full scale (seed 20210101), as the notebook's demo uses (cached on disk)."""
    folder = synth.demo_folder()
    return load_dataset(folder), json.loads((folder / "truth.json").read_text())["effects"]


def test_auc_and_icc_intervals_cover_the_generator_truth(full_force):
    ds, truth = full_force
    snap = Snapshot(ds, (ppit_auc_12m(ds), ppit_icc2_total(ds)))
    rep = PpitValidityReport(snap)
    study = rep.study
    a, i = rep.auc_view, rep.icc_view
    assert a.ci_low <= truth["ppit_auc_12m"] <= a.ci_high
    assert i.ci_low <= truth["ppit_icc2_total"] <= i.ci_high
    assert snap.estimate("ppit_auc_12m").n > 700 and snap.estimate("ppit_icc2_total").n > 100
    # published tools' range, and a tool that adds to police records, as the generator was built
    assert 0.6 < a.estimate < 0.8
    assert study.discrimination.at["rfg_score", "diff_ci_low"] > 0
    assert 0.75 < study.alpha.alpha < 0.9
    assert study.omega.omega == pytest.approx(0.83, abs=0.05)
    assert study.omega.ci_low < study.omega.omega < study.omega.ci_high  # the bootstrap interval
    assert study.harrell.at["ppit_total", "ci_low"] > 0.6
    # the page's AUC is the study's
    assert study.auc == pytest.approx(a.estimate)


# ------------------------------------------------------------------------------------------ notebook
def test_notebook_is_stored_clean_and_reads_as_an_analysis():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert nb.metadata.kernelspec.name == "python3"
    ids = [c.id for c in nb.cells]
    assert len(set(ids)) == len(ids) and ids[0] == "parameters"
    assert "parameters" in nb.cells[0].metadata.tags
    code = [c for c in nb.cells if c.cell_type == "code"]
    for c in code:
        assert c.outputs == [] and c.execution_count is None
    src = nb.cells[0].source
    for p in ('snapshot_dir = ""', 'programme = "hiow"', 'outcome = "any_da"', "window_months = 12",
              "min_followup_months = 12", "harm_threshold = 0", 'workbook_path = ""'):
        assert p in src
    assert "snap = open_snapshot(snapshot_dir, programme)" in code[1].source
    assert "ppit_study(snap, outcome=outcome" in code[2].source and "study=study" in code[3].source
    assert "report.page.write_workbook(workbook_path)" in code[-1].source
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert len(markdown) >= 10 and "nothing is written" not in " ".join(markdown)
    for ref in ("DeLong", "Shrout & Fleiss (1979)", "Harrell", "Uno et al. 2007", "Vickers & Elkin 2006", "Cleary 1968",
                "Cronbach", "Wilson (1927)", "Pepe et al. 2013"):
        assert any(ref in m for m in markdown), ref
    # short cells that call the library; no statistics, no indexing of sections, and every section shown whole
    # (published pages are built from what the cells show, so headings come from the report)
    for c in code[2:]:
        assert len([line for line in c.source.splitlines() if line.strip()]) <= 3, c.source
    body = "\n".join(c.source for c in code[1:])
    assert "import numpy" not in body and "foundation_eval.ppit import" not in body
    assert not re.search(r"sections\(\)\[", body) and ".items" not in body
    for section in ("methods", "discrimination", "time_to_event", "incremental", "calibration", "thresholds",
                    "reliability", "structure", "equity", "limitations", "disclosure", "provenance", "appendix"):
        assert f"report.{section}()" in body, section


@pytest.mark.slow
def test_notebook_executes_under_papermill(tenth, tmp_path):
    import papermill as pm

    out = tmp_path / "ppit.ipynb"
    book = tmp_path / "ppit.xlsx"
    pm.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", progress_bar=False, cwd=str(tmp_path),
                        parameters={"snapshot_dir": str(tenth[1]), "programme": "hiow", "outcome": "any_da",
                                    "window_months": 12, "min_followup_months": 12, "harm_threshold": 0,
                                    "workbook_path": str(book)})
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not any(o.get("output_type") == "error" for o in outputs)
    assert not [o for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]  # no warnings
    shown = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    for table in ("sample", "discrimination", "td_auc", "calibration_by_band", "threshold_counts", "icc",
                  "item_analysis", "equity_accuracy_age_band", "equity_tests"):
        assert f"data-table='{table}'" in shown, table
    assert "Summary" in shown and "Provenance" in shown and "data-estimand='ppit_auc_12m'" in shown
    assert "<h2>Discrimination</h2>" in shown and "<h2>Technical appendix</h2>" in shown
    assert not ID.search(_visible(shown)) and not SMALL_COUNT.search(_text(shown))
    assert book.exists()


def test_the_icc_interval_carries_its_measured_coverage(report):
    # its nominal 95% interval covered 91.2% of simulated forces (benchmarks/README.md): said beside it
    from foundation_eval.ppit.reliability import ICC2_MEASURED_COVERAGE

    text = report.reliability().html()
    assert ICC2_MEASURED_COVERAGE == pytest.approx(0.912)
    assert report.study.icc_measured_coverage == ICC2_MEASURED_COVERAGE
    assert "covered the true ICC(2,1) in 91% of them" in text
