"""The district report: content published through one Page from the render snapshot.

Every district page of a force a tenth of the default size, for both shipped programmes, is built once
per session; the tests check that its numbers equal the library's, that each headline figure has one
value on the page, that claims appear only where their interval supports them, and that no sentence or
table cell states a count from 1 to 9.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from foundation_eval.data import synth
from foundation_eval.data.load import load_dataset
from foundation_eval.evaluation.snapshot import build_snapshot, open_snapshot, write_snapshot
from foundation_eval.frames.cohort import person_frame, select
from foundation_eval.models.engagement import first_engagement_frame, funnel
from foundation_eval.models.referrals import referral_frame
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting.district_report import DistrictReport
from foundation_eval.reporting.publication import Text
from foundation_eval.stats import newcombe_difference

PROGRAMMES = ("hiow", "change-that-lasts")
TINY = {"scale": 0.1, "truth_replicates": 5}
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "district_report.ipynb"
# a count of people (or offences, referrals) from 1 to 9 stated in words
SMALL_COUNT = re.compile(r"\b[1-9]\s+(?:people|person|persons|listed|offences?|referrals?|victims?|men|women)\b")


def plain(item) -> str:
    markup = item if isinstance(item, str) else item.html()
    markup = re.sub(r"<style>.*?</style>", "", markup, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)).strip()


@pytest.fixture(scope="session", params=PROGRAMMES)
def tiny(request, tmp_path_factory):
    """(programme id, snapshot folder, snapshot) of a force at a tenth of the default size."""
    pid = request.param
    folder = synth.write(synth.generate(pid, seed=1, **TINY), tmp_path_factory.mktemp(f"tiny-{pid}"))
    snap_dir = write_snapshot(build_snapshot(load_dataset(folder, pid)), tmp_path_factory.mktemp(f"snap-{pid}"))
    return pid, snap_dir, open_snapshot(snap_dir, pid)


@pytest.fixture(scope="session")
def pages(tiny):
    """Every district's report and the force-wide one, each built in full once."""
    _, _, snap = tiny
    out = {}
    for key in [None, *(d.id for d in snap.programme.districts)]:
        rep = DistrictReport(snap, key)
        out[key] = (rep, rep.html())
    return out


def _listed(rep):
    p = select(person_frame(rep.ds), rep.district_id, rep.start, rep.end)
    return p[p.listed]


# ------------------------------------------------------------------------------------------ the whole page
def test_every_district_page_renders_and_states_no_small_count(pages):
    for key, (rep, page) in pages.items():
        text = plain(page)
        for heading in ("Summary", "Monthly list", "Who was listed", "Engagement funnel", "Engagement", "Referrals",
                        "Reoffending", "Methods", "Disclosure control", "Provenance"):
            assert f">{heading}</h2>" in page, (key, heading)
        assert ("Risk assessment</h2>" in page) == rep.ds.programme.has_risk_tool
        assert not SMALL_COUNT.search(text), (key, SMALL_COUNT.search(text))
        # every count of people stated in a sentence is rounded to the base and never below the threshold
        for n in re.findall(r"\b(\d[\d,]*) people\b", text):
            v = int(n.replace(",", ""))
            assert v == 0 or (v >= rep.threshold and v % rep.page.rule.base == 0), (key, n)
        assert not re.search(r"\b[PVOCAFMR][0-9A-F]{8,16}\b", page) and "birth_ym" not in page
        assert not any(pid in page for pid in rep.ds.people.person_id.head(300))
        assert page.count("data:image/png;base64") >= 1 and 'alt="' in page


def test_no_table_cell_holds_a_small_count(pages):
    for key, (rep, _) in pages.items():
        assert {t.name for t in rep.page.tables} >= {"list_size", "who_was_listed", "funnel", "reoffending_rates",
                                                      "reoffending_harm"}
        assert ("engagement_by_team" in {t.name for t in rep.page.tables}) == bool(len(rep.listed))
        for t in rep.page.tables:
            assert all(t.headings.get(c) for c in t.values.columns), (key, t.name)  # every column has a heading
            for c in t.counts:
                v = t.values[c].dropna().to_numpy(float)
                assert not ((v > 0) & (v < rep.threshold)).any(), (key, t.name, c)
                assert (v % rep.page.rule.base == 0).all(), (key, t.name, c)
                # a withheld count shows as [c], never as a number
                assert t.values[c][t.suppressed[c]].isna().all()


def test_funnel_and_who_was_listed_publish_the_library_counts_rounded(pages):
    for rep, _ in pages.values():
        lib = funnel(rep.ds, select(person_frame(rep.ds), rep.district_id, rep.start, rep.end)).table()
        shown = rep.funnel_table.values.n.tolist()
        for exact, pub, hidden in zip(lib.n, shown, rep.funnel_table.suppressed.n, strict=True):
            assert (np.isnan(pub) and hidden) if 0 < exact < rep.threshold else pub == rep.page.rule.publish(exact)
        # a share is withheld where the people not reaching the stage number 1 to 9 (Listed 76, Assessed 71)
        for exact, pct in zip(lib.n, rep.funnel_table.values.percent, strict=True):
            if 0 < lib.n.iloc[0] - exact < rep.threshold:
                assert pd.isna(pct)


def test_summary_sentences(pages):
    for rep, _ in pages.values():
        text = plain(rep.summary())
        sentences = [s for s in re.split(r"(?<=[.])\s+", text.removeprefix("Summary").strip()) if s]
        assert 3 <= len(sentences) <= 7, sentences
        assert ("not what the programme caused" in text or "No one was put on the programme list" in text)
        assert rep.where in text


# ------------------------------------------------------------------------------------------ one definition
def test_engagement_has_one_value_in_summary_and_section(pages):
    published = 0
    for key, (rep, _) in pages.items():
        listed = _listed(rep)
        f = first_engagement_frame(rep.ds, listed)
        k = int(((f.event == 1) & (f.days <= rep.window)).sum())
        share = rep.engaged["here"]
        wording = f"of listed people engaged within {rep.window} days of listing"
        summary, section = plain(rep.summary()), plain(rep.engagement())
        if share["pct"] is None:
            assert 0 < k < rep.threshold or 0 < len(f) - k < rep.threshold or len(f) < rep.threshold
            assert wording not in summary
            continue
        published += 1
        # worked out from the published counts, as every share is
        assert share["pct"] == pytest.approx(100 * rep.page.rule.publish(k) / rep.page.rule.publish(len(f)))
        phrase = f"{fmt.percent(share['pct'], scale=1)} {wording} (95% interval {fmt.percent(share['low'], scale=1)}"
        assert phrase in summary and phrase in section, (key, summary, section)
    assert published >= 1


def test_referral_starts_have_one_value_in_summary_and_section(pages):
    published = 0
    for rep, _ in pages.values():
        listed = _listed(rep)
        refs = referral_frame(rep.ds, listed)
        k = refs[refs.started].person_id.nunique()
        share = rep.started["here"]
        if share["pct"] is None:
            continue
        published += 1
        assert share["pct"] == pytest.approx(100 * rep.page.rule.publish(k) / rep.page.rule.publish(len(listed)))
        phrase = f"{fmt.percent(share['pct'], scale=1)} of listed people started a referred service after listing"
        assert phrase in plain(rep.summary()) and phrase in plain(rep.referrals())
    # the tiny second programme lists too few people anywhere to publish this share
    assert published >= 1 or rep.ds.programme.id != "hiow"


def test_force_wide_estimate_is_the_snapshot_value(pages):
    for rep, page in pages.values():
        e = rep.snap.estimate("engagement_rd_practitioner")
        if e is None:
            assert "data-estimand='engagement_rd_practitioner'" not in page
            continue
        m = re.search(r"data-estimand='engagement_rd_practitioner' data-estimate='([^']*)'", page)
        assert m and float(m.group(1)) == pytest.approx(e.estimate, abs=1e-6)


# ------------------------------------------------------------------------------------------ claims
def test_practitioner_claim_only_where_the_comparison_exists_and_supports_it(pages):
    without_police_alone = 0
    for key, (rep, page) in pages.items():
        c = rep.practitioner_comparison
        text = plain(page)
        supported = c["exists"] and (c["low"] > 0 or c["high"] < 0)
        assert ("People listed after practitioners joined the team engaged" in text) == supported, key
        if key is None:  # the force page states the registered estimand, never a refit of it
            e = rep.snap.estimate("engagement_rd_practitioner")
            assert (c["difference"], c["low"], c["high"]) == ((e.estimate, e.ci_low, e.ci_high) if e else (None,) * 3)
            assert text.count("data-estimand") == 0 and page.count("data-estimand='engagement_rd_practitioner'") == \
                (1 if e else 0) + (1 if supported else 0)
        elif c["exists"]:
            listed = rep.engagement_frame[rep.engagement_frame.district_id == rep.district_id] if key else \
                rep.engagement_frame
            x1 = int(listed.engaged_within[listed.team == "with practitioners"].sum())
            n1 = int((listed.team == "with practitioners").sum())
            x0 = int(listed.engaged_within[listed.team == "police alone"].sum())
            n0 = int((listed.team == "police alone").sum())
            assert (c["difference"], c["low"], c["high"]) == pytest.approx(newcombe_difference(x1, n1, x0, n0))
        if key and rep.practitioners_from <= rep.go_live:  # no listing before practitioners joined
            without_police_alone += 1
            assert not supported and "no police-alone group" in text, key
    assert without_police_alone >= 1  # e.g. Southampton, Lincoln: practitioners from the start


def test_claim_follows_the_interval(tiny):
    _, _, snap = tiny
    base = {"exists": True, "groups": {"with practitioners": {"pct": 60.0}, "police alone": {"pct": 40.0}},
            "people": {"with practitioners": 100, "police alone": 100}, "estimate": None}
    cases = [((0.2, 0.05, 0.35), "engaged more often"), ((-0.2, -0.35, -0.05), "engaged less often"),
             ((0.05, -0.1, 0.2), None)]
    for (d, lo, hi), expected in cases:
        rep = DistrictReport(snap, snap.programme.districts[0].id)
        rep.__dict__["practitioner_comparison"] = {**base, "difference": d, "low": lo, "high": hi}
        summary, section = plain(rep.summary()), plain(rep.engagement())
        if expected is None:
            assert rep.practitioner_claim() is None
            assert "engaged more often" not in summary + section and "engaged less often" not in summary + section
            assert "cannot tell apart" in section
        else:
            assert expected in summary and expected in section
            assert fmt.points(d) in section and "listed later" in section


# ------------------------------------------------------------------------------------------ data sources
def test_reoffending_is_read_from_the_reduced_tables(tiny, monkeypatch):
    _, _, snap = tiny
    assert snap.dataset.reduced is not None

    def rebuilt(*args, **kwargs):
        raise AssertionError("rebuilt from the event tables")

    monkeypatch.setattr("foundation_eval.frames.outcomes.offence_frame", rebuilt)
    rep = DistrictReport(snap, None)
    assert "Reoffending" in rep.reoffending().html()


def test_a_dataset_is_refused_with_a_pointer_to_the_snapshot(tiny):
    _, _, snap = tiny
    with pytest.raises(TypeError, match="open_snapshot"):
        DistrictReport(snap.dataset, None)


def test_workbook_holds_every_published_table_as_numbers(pages, tmp_path):
    from openpyxl import load_workbook

    rep, _ = pages[None]
    path = rep.page.write_workbook(tmp_path / "district.xlsx")
    wb = load_workbook(path)
    titles = [r[1] for r in wb["Contents"].iter_rows(min_row=4, values_only=True)]
    assert titles == [t.title for t in rep.page.tables]
    funnel_sheet = wb[f"Table {[t.name for t in rep.page.tables].index('funnel') + 1}"]
    listed = funnel_sheet.cell(4, 2).value
    assert isinstance(listed, int) and listed == rep.funnel_table.values.n.iloc[0]
    assert rep.page.write_workbook("") is None


def test_programme_without_risk_tool_or_age_band(pages):
    rep, page = pages[None]
    prog = rep.ds.programme
    if prog.has_risk_tool:
        assert rep.risk_assessment() is not None
        return
    assert rep.risk_assessment() is None
    assert "Assessed with" not in " ".join(rep.funnel_table.values.label)
    assert "three criteria" in plain(rep.list_size()) and "The three criteria are" in plain(rep.methods())
    route = next(t for t in rep.page.tables if t.name == "referrals_by_route")
    assert {"police", "agency"} <= set(route.values.route)
    ages = set(rep.table_one.values.query("characteristic == 'Age at listing'").category)
    assert "31 and over" not in ages and ages <= {"under 18", "18-24", "25-34", "35-44", "45 and over"}


def test_the_page_count_withholds_small_counts(pages):
    """The compatibility helper count_phrase is gone: the page's count is the one rule (and it rounds)."""
    page = pages[None][0].page
    assert page.count(None) == "fewer than 10 people" and page.count(3) == "fewer than 10 people"
    assert page.count(12) == "10 people" and page.count(0, "offences") == "0 offences"


def test_sentences_are_published_text(pages):
    rep, _ = pages[None]
    assert isinstance(rep.summary(), Text)
    assert all(isinstance(i, Text) or hasattr(i, "html") for i in rep.engagement().items)


# ------------------------------------------------------------------------------------------ notebook
def test_notebook_reads_as_an_analysis():
    nb = json.loads(NOTEBOOK.read_text())
    assert nb["nbformat"] == 4 and nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] is None and c["outputs"] == [] for c in code)
    assert "parameters" in code[0]["metadata"]["tags"] and "workbook_path" in "".join(code[0]["source"])
    assert "open_snapshot(data_dir, programme)" in "".join(code[1]["source"])
    assert "report.page.write_workbook(workbook_path)" in "".join(code[-1]["source"])
    for c in code[1:]:
        lines = [x for x in "".join(c["source"]).splitlines() if x.strip() and not x.lstrip().startswith("#")]
        assert 1 <= len(lines) <= 3, c["source"]
    source = "".join("".join(c["source"]) for c in nb["cells"])
    assert not re.search(r"sections\(\)\s*\[|\[\d+\]", source)
    headings = [ln for c in nb["cells"] if c["cell_type"] == "markdown" for ln in "".join(c["source"]).splitlines()
                if ln.startswith("## ")]
    assert {"## Engagement funnel", "## Engagement", "## Referrals", "## Reoffending"} <= set(headings)


def test_notebook_runs_under_papermill_on_the_small_force(tiny, tmp_path):
    import papermill as pm

    pid, snap_dir, snap = tiny
    district = snap.programme.districts[-1].name
    book = tmp_path / "district.xlsx"
    out = pm.execute_notebook(str(NOTEBOOK), str(tmp_path / "out.ipynb"), kernel_name="python3", progress_bar=False,
                              parameters={"data_dir": str(snap_dir), "programme": pid, "district": district,
                                          "workbook_path": str(book)})
    html = "".join(o.get("data", {}).get("text/html", "") for c in out.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    assert "Summary" in html and district in html and "Traceback" not in html
    assert not SMALL_COUNT.search(plain(html))
    assert book.exists() and book.stat().st_size > 0


def test_district_pages_read_only_the_reduced_tables(tiny):
    # a district page costs the same at national scale as in the demo: it never reads an event table,
    # and what it compares with across the force is built once for every page of the render
    from foundation_eval.evaluation.snapshot import release_tables

    _, snap_dir, snap = tiny
    assert open_snapshot(snap_dir, snap.programme) is snap  # one read per process
    release_tables()
    assert snap.dataset.tables.loaded == frozenset()
    first = DistrictReport(snap, snap.programme.districts[0].id)
    first.html()
    shared = first.force_persons
    second = DistrictReport(snap, snap.programme.districts[1].id)
    second.html()
    DistrictReport(snap, None).html()
    assert snap.dataset.tables.loaded == frozenset(), sorted(snap.dataset.tables.loaded)
    assert second.force_persons is shared and second.engagement_frame is first.engagement_frame
