"""District report content, the notebook under papermill, and batch rendering."""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from foundation_eval.cli import main
from foundation_eval.reporting import render as reports
from foundation_eval.reporting.disclosure import unsafe_cells
from foundation_eval.reporting.district_report import DistrictReport, count_phrase


def _no_small_counts(protected, columns, threshold=10):
    shown = protected.table
    return unsafe_cells(shown.reset_index(drop=True), threshold, columns).empty


def test_report_tables_pass_disclosure_control(small_ds):
    rep = DistrictReport(small_ds, "Gosport")
    assert _no_small_counts(rep.table_one, ["n"])
    assert _no_small_counts(rep.funnel, ["n"])
    assert _no_small_counts(rep.ppit, ["n"])
    assert _no_small_counts(rep.list_sizes, ["screened", "eligible", "listed"])
    # a withheld count also withholds its percentage and interval
    f = rep.funnel
    for col in ("percent", "ci_low", "ci_high"):
        assert (f.suppressed[col] | ~f.suppressed["n"]).all()


def test_summary_is_plain_english_with_intervals(small_ds):
    rep = DistrictReport(small_ds, "SOU")
    text = re.sub("<[^>]+>", " ", rep.summary())
    sentences = [s for s in re.split(r"(?<=[.])\s+", text.strip()) if s.strip() and s.strip() != "Summary"]
    assert 3 <= len(sentences) <= 6
    assert "95% interval" in text and "Southampton" in text
    assert "not what the programme caused" in text
    assert count_phrase(None, 10) == "fewer than 10 people" and count_phrase(12, 10) == "12 people"


def test_no_identifier_reaches_report_html(small_ds):
    rep = DistrictReport(small_ds, "SOU")
    page = rep.title() + rep.summary() + rep.table_one_section() + rep.funnel_section() + rep.provenance()
    assert not re.search(r"\b[PVOCAFMR][0-9A-F]{8,16}\b", page)
    assert "birth" not in page.lower()


def test_force_wide_report(small_ds):
    rep = DistrictReport(small_ds, None)
    assert rep.district_id is None and "all districts" in rep.name
    assert rep.funnel.table.n.iloc[0] == person_listed_count(small_ds)


def person_listed_count(ds):
    s = ds.screening
    return s[s.listed.astype(bool)].person_id.nunique()


@pytest.mark.slow
def test_render_cli_writes_index_and_code_free_pages(small_dir, tmp_path):
    out = tmp_path / "site"
    rc = main(["render", "--data", str(small_dir), "--out", str(out), "--jobs", "2",
               "--district", "SOU", "--district", "Gosport"])
    assert rc == 0
    index = (out / "index.html").read_text()
    assert 'href="district-sou.html"' in index and 'href="district-gos.html"' in index
    for name in ("district-sou", "district-gos"):
        page = (out / f"{name}.html").read_text()
        assert page.count("data:image/png;base64") >= 3
        assert 'alt="' in page
        body = page.split("<body", 1)[1]
        assert 'class="jp-InputArea' not in body and "DistrictReport(" not in body and "load_dataset" not in body
        assert "Traceback" not in page
        assert (out / "executed" / f"{name}.ipynb").exists()
    meta = json.loads((out / "render.json").read_text())
    assert meta["failed"] == [] and len(meta["data_sha256"]) == 64
    assert not list(tmp_path.glob(".site.partial-*"))


@pytest.mark.slow
def test_failing_report_does_not_stop_others(small_dir, tmp_path, monkeypatch):
    real_plan = reports.plan

    def plan_with_broken(ds, data_dir, programme, districts=None, force_reports=True):
        jobs = real_plan(ds, data_dir, programme, districts, force_reports)
        broken = reports.Job("district-broken", "Broken", "district_report.ipynb",
                             {**jobs[0].parameters, "district": "Atlantis"})
        return [broken, *jobs]

    monkeypatch.setattr(reports, "plan", plan_with_broken)
    summary = reports.render(small_dir, tmp_path / "out", jobs=1, districts=["EAS"], progress=False,
                             force_reports=False, pdf=False)
    assert summary.succeeded == ("district-eas",)
    assert "district-broken" in summary.failed and "Atlantis" in summary.failed["district-broken"]
    assert "Not produced" in (tmp_path / "out" / "index.html").read_text()


def test_invalid_extract_renders_nothing(extract_copy, tmp_path, capsys):
    f = pd.read_csv(extract_copy / "people.csv", dtype=str)
    f.loc[0, "sex"] = "M"
    f.to_csv(extract_copy / "people.csv", index=False)
    out = tmp_path / "site"
    assert main(["render", "--data", str(extract_copy), "--out", str(out)]) == 2
    assert not out.exists() and not list(tmp_path.glob(".site.partial-*"))
    assert "people.csv, column sex" in capsys.readouterr().err


def test_every_notebook_is_clean_and_declares_its_parameters():
    """Notebooks are stored without outputs, and papermill can read every parameter they declare."""
    import papermill as pm

    for nb_path in sorted(reports.notebook_dir().glob("*.ipynb")):
        nb = json.loads(nb_path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and not c.get("execution_count") for c in code), nb_path.name
        tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, nb_path.name
        declared = reports._parameter_names(nb_path)
        assert set(pm.inspect_notebook(str(nb_path))) == declared, nb_path.name
        assert {"data_dir", "programme"} <= declared
