"""The notebooks under papermill and batch rendering (district report content: test_district_report.py)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from foundation_eval.cli import main
from foundation_eval.reporting import render as reports


@pytest.fixture(scope="module")
def cluster_site(small_dir, tmp_path_factory):
    """The small force rendered through the command line on a Dask ``LocalCluster``, with the browser
    hidden (as on a machine without Chromium): (folder, exit code, standard error)."""
    import contextlib
    import io

    distributed = pytest.importorskip("distributed")
    out = tmp_path_factory.mktemp("cluster") / "site"
    err = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                     dashboard_address=None) as cluster, contextlib.redirect_stderr(err):
        mp.setenv("FOUNDATION_EVAL_CHROMIUM", "none")
        rc = main(["render", "--data", str(small_dir), "--out", str(out), "--district", "SOU", "--district", "Gosport",
                   "--scheduler", cluster.scheduler_address, "--screenshots"])
    return out, rc, err.getvalue()


def _declares_workbook(notebook: str) -> bool:
    return "workbook_path" in reports._parameter_names(reports.notebook_dir() / notebook)


@pytest.mark.slow
def test_render_without_browser_writes_everything_but_pdf_and_warns_once(cluster_site):
    out, rc, err = cluster_site
    assert rc == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "Chromium" in warnings[0] and "FOUNDATION_EVAL_CHROMIUM" in warnings[0]
    meta = json.loads((out / "render.json").read_text())
    assert meta["failed"] == [] and len(meta["data_sha256"]) == 64 and meta["pdf"] == "no browser"
    names = meta["reports"]
    assert {"force-overview", "pilot-vs-rollout", "data-quality", "ppit-validity", "district-sou",
            "district-gos"} <= set(names)
    assert meta["formats"]["html"] == names and meta["formats"]["pdf"] == []
    assert not list(out.glob("*.pdf")) and not (out / "screenshots").exists()
    json.loads((out / "results.json").read_text())["estimates"]
    index = (out / "index.html").read_text()
    for name in names:
        assert f'href="{name}.html"' in index
        page = (out / f"{name}.html").read_text()
        assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
        assert page.count("<style") == 1 and "<link" not in page and "<script" not in page, name
        assert "Traceback" not in page and "jp-InputArea" not in page and "load_dataset(" not in page, name
        assert (out / "executed" / f"{name}.ipynb").exists()
    for name in ("district-sou", "district-gos"):
        page = (out / f"{name}.html").read_text()
        assert page.count("data:image/png;base64") >= 2 and 'alt="' in page
    # every notebook that can write a workbook wrote one; the others are listed, not failed
    notebooks = _planned_notebooks(names)
    expected = [n for n in names if _declares_workbook(notebooks[n])]
    assert meta["formats"]["xlsx"] == expected
    assert meta["missing_workbooks"] == [n for n in names if n not in expected]
    assert all((out / f"{n}.xlsx").read_bytes()[:2] == b"PK" for n in expected)
    assert not list(out.parent.glob(".site.partial-*")) and not list(out.parent.glob(".foundation-eval-snapshot-*"))


def _planned_notebooks(names):
    known = {"force-overview": "force_overview.ipynb", "pilot-vs-rollout": "pilot_vs_rollout.ipynb",
             "data-quality": "data_quality.ipynb", "ppit-validity": "ppit_validity.ipynb"}
    return {n: known.get(n, "district_report.ipynb") for n in names}


@pytest.mark.slow
def test_cluster_render_gives_the_same_results_as_the_process_pool(cluster_site, rendered_site):
    out, rc, _ = cluster_site
    assert rc == 0
    assert (out / "results.json").read_bytes() == (rendered_site / "results.json").read_bytes()
    pool_pages = {p.name for p in rendered_site.glob("*.html")}
    assert pool_pages <= {p.name for p in out.glob("*.html")}
    pool_meta = json.loads((rendered_site / "render.json").read_text())
    cluster_meta = json.loads((out / "render.json").read_text())
    assert pool_meta["formats"]["html"] == [n for n in cluster_meta["reports"] if n != "district-gos"]
    assert pool_meta["missing_workbooks"] == [n for n in cluster_meta["missing_workbooks"] if n != "district-gos"]


def test_pdf_required_without_browser_fails_and_writes_nothing(small_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FOUNDATION_EVAL_CHROMIUM", "none")
    out = tmp_path / "site"
    assert main(["render", "--data", str(small_dir), "--out", str(out), "--pdf"]) == 1
    err = capsys.readouterr().err
    assert "--pdf" in err and "no browser was found" in err and "nothing was written" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_pdf_options_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["render", "--pdf", "--no-pdf"])
    assert exc.value.code == 2 and "not allowed with" in capsys.readouterr().err


@pytest.mark.slow
def test_failing_report_does_not_stop_others(small_dir, tmp_path, monkeypatch):
    real_plan = reports.plan

    def plan_with_broken(ds, snapshot_dir, programme, districts=None, force_reports=True):
        jobs = real_plan(ds, snapshot_dir, programme, districts, force_reports)
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
        # the render's snapshot: snapshot_dir (data_dir in a notebook not yet renamed)
        assert "programme" in declared and declared & {"snapshot_dir", "data_dir"}, nb_path.name
