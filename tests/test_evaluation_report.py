"""The pilot-versus-rollout page: verdict first, one value per estimand, disclosure, small forces, notebook."""
from __future__ import annotations

import re
import warnings

import nbformat
import pytest

from foundation_eval.data import synth
from foundation_eval.data.load import load_dataset
from foundation_eval.evaluation.designs import Evaluation
from foundation_eval.evaluation.estimates import Estimate
from foundation_eval.evaluation.snapshot import Snapshot, build_snapshot, write_snapshot
from foundation_eval.reporting.evaluation_report import EvaluationReport, verdict_phrase
from foundation_eval.reporting.publication import Text
from foundation_eval.reporting.render import notebook_dir

ID = re.compile(r"\b[PVOCFARM][0-9A-F]{8,16}\b")
SMALL_COUNT = re.compile(r"(?<![\d.,+-])\b[1-9] (people|person|offences|districts? quarters|referrals)\b")
NOTEBOOK = notebook_dir() / "pilot_vs_rollout.ipynb"


def _visible(markup: str) -> str:
    return re.sub(r'src="data:image/png;base64,[^"]+"', "", markup)


@pytest.fixture(scope="module")
def snap(small_ds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_snapshot(small_ds)


@pytest.fixture(scope="module")
def report(snap):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = EvaluationReport(snap, evaluation=Evaluation(snap.dataset, n_perm=99))
        r.parts = r.sections()
    return r


def test_page_has_every_section_and_no_identifier_or_small_count(report):
    body = "\n".join(p.html() for p in report.parts)
    for heading in ("Summary", "Headline estimates", "Districts that went live", "People before and after go-live",
                    "Interrupted time series", "Regression discontinuity", "simpler comparisons",
                    "Sensitivity analyses", "Value for money", "can and cannot detect", "Appendix: methods",
                    "Disclosure control", "Provenance"):
        assert heading in body, heading
    assert not ID.search(_visible(body))
    text = Text(_visible(body)).plain
    assert not SMALL_COUNT.search(text), SMALL_COUNT.search(text)
    assert "+0.78" not in text and not re.search(r"\+\d\.\d\d \(95% interval \d", text)  # ratios are never signed
    for t in report.page.tables:
        for c in t.counts:
            v = t.values[c].dropna()
            assert not ((v > 0) & (v < report.page.threshold)).any(), (t.name, c)
            assert (v % 5 == 0).all(), (t.name, c)


def test_verdict_comes_first_in_the_fixed_vocabulary(report):
    summary = report.summary().html()
    first = Text(summary).plain.split("Summary", 1)[1].strip()
    assert re.match(r"Primary analysis: (evidence of a reduction|no clear evidence either way|evidence of an "
                    r"increase)\.", first), first[:120]
    assert "Yes" not in first.split(".")[0]


def test_registered_estimates_on_the_page_are_the_snapshots(report, snap):
    body = "\n".join(p.html() for p in report.parts)
    spans = re.findall(r"data-estimand='([a-z0-9_]+)' data-estimate='([^']*)' data-ci-low='([^']*)' "
                       r"data-ci-high='([^']*)'", body)
    assert {s[0] for s in spans} >= {"did_att_da_rate", "reoffending_hr_programme", "reoffending_12m_rd_programme"}
    for name, est, lo, hi in spans:
        e = snap.estimate(name)
        assert (float(est), float(lo), float(hi)) == pytest.approx((e.estimate, e.ci_low, e.ci_high), abs=1e-6)


def test_weaker_design_cannot_overrule_the_primary(snap):
    """Primary interval includes no effect while a weaker design excludes it: no clear evidence, no 'yes'."""
    est = (Estimate("did_att_da_rate", 0.01, -0.04, 0.06, "staggered DiD", 4),
           Estimate("reoffending_12m_rd_programme", -0.09, -0.16, -0.02, "cohorts", 2),
           Estimate("reoffending_hr_programme", 0.78, 0.63, 0.97, "Cox", 3))
    fake = Snapshot(snap.dataset, est, {})
    r = EvaluationReport(fake, evaluation=Evaluation(snap.dataset, n_perm=19))
    v = r.verdict().plain
    assert v.startswith("Primary analysis: no clear evidence either way.")
    assert "reduction" not in v.split(".")[0] and "Yes" not in v
    assert verdict_phrase(-1) == "evidence of a reduction" and verdict_phrase(1) == "evidence of an increase"


def test_variant_parameters_never_use_the_registered_names(snap):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = EvaluationReport(snap, exclude_lockdown=True, evaluation=None)
        html = r.summary().html()
    assert "data-estimand='did_att_da_rate'" not in html and "(variant" in html


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    res = synth.generate("hiow", seed=3, scale=0.1, truth_replicates=1)
    return load_dataset(synth.write(res, tmp_path_factory.mktemp("tiny")))


def test_a_tenth_size_force_gets_its_page(tiny):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snap = build_snapshot(tiny)
        r = EvaluationReport(snap, evaluation=Evaluation(tiny, n_perm=19))
        parts = r.sections()
    text = Text("".join(_visible(p.html()) for p in parts)).plain
    assert "Primary analysis:" in text and "Provenance" in text
    assert not SMALL_COUNT.search(text)


def test_second_programme_gets_its_page_without_discontinuities(tmp_path_factory):
    res = synth.generate("change-that-lasts", seed=5, scale=0.3, truth_replicates=1)
    ds = load_dataset(synth.write(res, tmp_path_factory.mktemp("ctl")), "change-that-lasts")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snap = build_snapshot(ds)
        r = EvaluationReport(snap, evaluation=Evaluation(ds, n_perm=19))
        parts = r.sections()
    body = "".join(p.html() for p in parts)
    assert "Regression discontinuity" not in body and "1. Districts that went live" in body


def test_notebook_reads_as_an_analysis():
    import papermill as pm

    nb = nbformat.read(NOTEBOOK, as_version=4)
    params = pm.inspect_notebook(str(NOTEBOOK))
    assert {"data_dir", "programme", "exclude_lockdown", "window_months", "unit_cost_per_victim",
            "workbook_path"} <= set(params)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= 6
    body = "\n".join(c.source for c in code[1:])
    assert "sections[" not in body and "import numpy" not in body and "display(HTML" not in body
    assert all(len(c.source.strip().splitlines()) <= 3 for c in code[1:])


@pytest.mark.slow
def test_notebook_executes_under_papermill_and_writes_its_workbook(snap, tmp_path):
    import papermill as pm
    from openpyxl import load_workbook

    folder = write_snapshot(snap, tmp_path / "snap")
    out = tmp_path / "pilot_vs_rollout.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", progress_bar=False, cwd=str(tmp_path),
                        parameters={"data_dir": str(folder), "programme": "hiow",
                                    "workbook_path": str(tmp_path / "e.xlsx")})
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not any(o.get("output_type") == "error" for o in outputs)
    shown = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "did it reduce domestic abuse?" in shown and "Provenance" in shown
    wb = load_workbook(tmp_path / "e.xlsx")
    assert wb.sheetnames[0] == "Contents" and wb.sheetnames[-1] == "Notes" and len(wb.sheetnames) > 4
