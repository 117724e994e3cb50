"""The pilot-versus-rollout page: the library's verdict first, one value per estimand, levels from the library
table, can/cannot statements, value for money under every design, threats, disclosure, small forces, notebook."""
from __future__ import annotations

import copy
import re
import warnings

import nbformat
import pytest

from foundation_eval.data import synth
from foundation_eval.data.load import load_dataset
from foundation_eval.evaluation.estimates import Estimate
from foundation_eval.evaluation.snapshot import Snapshot, build_snapshot, write_snapshot
from foundation_eval.evaluation.study import fit_evaluation
from foundation_eval.evaluation.value import round_count, round_money
from foundation_eval.evaluation.verdict import FINDINGS, verdict
from foundation_eval.impact import EvalEstimate
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting.evaluation_report import EvaluationReport
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
        r = EvaluationReport(snap, evaluation=fit_evaluation(snap.dataset, n_perm=99))
        r.parts = r.sections()
    return r


def test_page_has_every_section_and_no_identifier_or_small_count(report):
    body = "\n".join(p.html() for p in report.parts)
    for heading in ("Summary", "Headline estimates", "Districts that went live", "People before and after go-live",
                    "Interrupted time series", "Regression discontinuity", "simpler comparisons",
                    "Sensitivity analyses", "Value for money", "can and cannot detect", "Appendix: methods",
                    "Disclosure control", "Provenance", "What you can say and what you cannot say",
                    "Threats to validity", "Strength of evidence: Maryland level by design",
                    "What each headline result is about"):
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
    v = report.ev.verdict  # the library's verdict, not the page's own
    assert first.startswith(f"Primary analysis: {v.finding}.")
    # supporting designs follow, labelled as such, each with its level, and lost significance is said
    text = Text(summary).plain
    for s in v.supporting:
        label = "Supporting design" if s.role == "supporting" else "Descriptive result, not evidence of effect"
        assert f"(Maryland level {s.sms_level}" in text and label in text
        if s.loses_significance_under:
            assert "loses significance under the report's own sensitivity analyses" in text
    if v.loses_significance_under:
        assert "It loses significance" in text
    assert text.index("Primary analysis") < text.index("Supporting design")


def test_summary_gives_the_primary_value_for_money_reading(report):
    text = Text(report.summary().html()).plain
    va = report.ev.value
    row = va.table().iloc[0]
    assert row.role == "primary"
    assert f"a social value of {fmt.money(row.social_value)}" in text
    if va.cost_placeholder:
        assert "no benefit-cost ratio is given as a finding" in text and "The benefit-cost ratio is" not in text
    elif row.bcr_low < 1:
        assert "its lower bound is below 1" in text


def test_levels_flags_and_estimands_come_from_the_library(report):
    t = {x.name: x for x in report.page.tables}
    lv = t["levels"].values
    lib = report.ev.verdict.table()
    lib = lib[lib.finding != "not estimable"].reset_index(drop=True)
    assert lv.sms_level.astype(float).fillna(-1).tolist() == lib.sms_level.astype(float).fillna(-1).tolist()
    assert [f if f else "none" for f in lib.level_flags] == list(lv.level_flags)
    if "rd_ppit_12m" in set(lib.name):
        i = list(lib.name).index("rd_ppit_12m")
        assert "priority flag" in lv.label[i] and "priority flag" in lv.level_flags[i]
    est = t["estimands"].values
    for i, name in enumerate(lib.name):
        e = report.results[name]
        f = e.estimand_fields()
        assert (est.population[i], est.comparison[i], est.window[i]) == (f["population"], f["comparison"],
                                                                         f["window"])
    # one unit per outcome: DA offences per 100 eligible person-months, percentage points for risks
    units = dict(zip(t["headline"].values.label, t["headline"].values.unit, strict=True))
    assert units["Staggered district comparison"] == "DA offences per 100 eligible person-months"


def test_statements_for_every_available_headline(report):
    sts = report.ev.statements()
    section = report.statements_section()
    text = Text(section.html()).plain
    for name in ("did_att_da_rate", "reoffending_12m_rd_programme", "reoffending_hr_programme"):
        if not report.views[name].available:
            continue
        assert sts[name], name
        assert report.design_name(name) in text, name
    n_can = sum(st.kind == "can" for group in sts.values() for st in group)
    n_cannot = sum(st.kind == "cannot" for group in sts.values() for st in group)
    assert text.count("You can say:") == n_can and text.count("You cannot say:") == n_cannot
    assert "{" not in text and not re.search(r"\bnan\b", text)
    # numbers through the page's formats: the cohort interval's bounds, one decimal
    coh = [st for st in sts["reoffending_12m_rd_programme"] if st.kind == "can"]
    if coh:
        lo = coh[0].values["low"]
        assert f"{abs(lo):.1f}" in text


def test_value_for_money_under_every_design_with_rounded_money(report):
    t = {x.name: x for x in report.page.tables}
    va = report.ev.value
    lib = va.table()
    shown = t["vfm_value"].values
    victims = t["vfm_victims"].values
    assert len(shown) == len(lib) == len(va.designs) and len(lib) >= 2
    assert shown.label.iloc[0].endswith("(primary)")
    for c in ("social_value", "social_value_low", "social_value_high"):
        assert list(shown[c]) == list(lib[c])
        assert all(round_money(x) == x for x in shown[c])
    for c in ("victims_spared", "victims_low", "victims_high"):
        assert all(round_count(x) == x for x in victims[c])
    cells = t["vfm_value"].display()
    assert all(re.fullmatch(r"-?£[\d,.]+m?", v) for v in cells["Social value"])


def test_placeholder_costs_are_never_printed_as_findings(report):
    va = report.ev.value
    assert va.cost_placeholder  # the synthetic programme's costs are placeholders
    body = Text("".join(_visible(p.html()) for p in report.parts)).plain
    for item in ("Programme cost over the evaluation period", "Cost per person engaged",
                 "Cost per completed referral", "Break-even number of victims spared"):
        assert item not in body, item
    t = {x.name: x for x in report.page.tables}
    assert not {"bcr", "bcr_low", "bcr_high"} & set(t["vfm_value"].values.columns)
    assert fmt.money(va.cost_total) not in body
    assert list(t["vfm_costs"].values["item"]) == list(va.findings()["item"])


def test_checks_carry_no_level(report):
    t = {x.name: x for x in report.page.tables}
    d = t["sensitivity_da"].values
    checks = d[d.analysis.str.startswith(("Placebo", "Leaving one"))]
    assert len(checks) and checks.sms_level.isna().all()
    assert d[~d.analysis.str.startswith(("Placebo", "Leaving one", "Callaway"))].sms_level.notna().all()
    if "checks" in t:
        assert "sms_level" not in t["checks"].values.columns
        assert t["checks"].values.estimate.iloc[0] == pytest.approx(100 * report.ev.checks()[0].estimate)


def test_threats_and_designs_not_estimable(report):
    text = Text(report.threats_section().html()).plain
    for title in report.ev.threats.table().title:
        assert title in text
    for m in report.ev.not_estimable():
        assert m.sentence() in text
    assert "did_att_da_rate" not in text  # designs by their names, not machine names
    for note in report.ev.synthetic_notes():  # the default force has an age limit and a risk tool
        assert note in text


def test_event_study_points_on_few_comparisons_are_greyed_and_explained(report):
    ev = copy.copy(report.ev)
    es = report.ev.event_study
    if not getattr(es, "estimable", True):
        pytest.skip("event study not estimable on this force")
    es = es.copy()
    es["few_comparisons"] = es.event_time >= es.event_time.max() - 1
    ev.__dict__["event_study"] = es
    r = EvaluationReport(report.snap, evaluation=ev)
    text = Text(_visible(r.did_section().html())).plain
    assert "Two points of the event study" in text and "drawn hollow in light grey" in text


def test_registered_estimates_on_the_page_are_the_snapshots(report, snap):
    body = "\n".join(p.html() for p in report.parts)
    spans = re.findall(r"data-estimand='([a-z0-9_]+)' data-estimate='([^']*)' data-ci-low='([^']*)' "
                       r"data-ci-high='([^']*)'", body)
    assert {s[0] for s in spans} >= {"did_att_da_rate", "reoffending_hr_programme", "reoffending_12m_rd_programme"}
    for name, est, lo, hi in spans:
        e = snap.estimate(name)
        assert (float(est), float(lo), float(hi)) == pytest.approx((e.estimate, e.ci_low, e.ci_high), abs=1e-6)


def _est(name, e, lo, hi, key, level, scale="difference", k=100.0, unit="percentage points"):
    return EvalEstimate(name=name, estimate=e, se=(hi - lo) / 3.92, ci_low=lo, ci_high=hi, level=0.95, p_value=0.5,
                        design=key, estimand="", comparison="comparison", assumptions=(), sms_level=level,
                        scale=scale, display_scale=k, display_unit=unit, design_key=key, population="everyone",
                        window="the window")


def test_weaker_design_cannot_overrule_the_primary(report, snap):
    """Primary interval includes no effect while weaker designs exclude it: no clear evidence first, no 'yes'."""
    est = (Estimate("did_att_da_rate", 0.01, -0.04, 0.06, "staggered DiD", 4),
           Estimate("reoffending_12m_rd_programme", -0.09, -0.16, -0.02, "cohorts", 2),
           Estimate("reoffending_hr_programme", 0.78, 0.63, 0.97, "Cox", 4))
    fake = Snapshot(snap.dataset, est, {})
    ev = copy.copy(report.ev)
    ev.__dict__["verdict"] = verdict(
        "did_att_da_rate",
        _est("did_att_da_rate", 0.01, -0.04, 0.06, "staggered_did", 4, unit="DA offences per 100 eligible "
             "person-months"),
        {"reoffending_12m_rd_programme": _est("c", -0.09, -0.16, -0.02, "cohort_before_after", 2),
         "reoffending_hr_programme": _est("h", 0.78, 0.63, 0.97, "cox_staggered", 4, "ratio", 1.0, "hazard ratio")})
    r = EvaluationReport(fake, evaluation=ev)
    summary = Text(r.summary().html()).plain.split("Summary", 1)[1].strip()
    first = summary.split(".")[0]
    assert summary.startswith(f"Primary analysis: {FINDINGS[1]}.")
    assert "reduction" not in first and "Yes" not in summary and "yes" not in first
    assert "Supporting design, comparison of earlier and later cohorts (Maryland level 2)" in summary
    assert "evidence of a reduction" in summary.split("Supporting design", 1)[1]  # said, but only as support


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
        r = EvaluationReport(snap, evaluation=fit_evaluation(tiny, n_perm=19))
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
        r = EvaluationReport(snap, evaluation=fit_evaluation(ds, n_perm=19))
        parts = r.sections()
    body = "".join(p.html() for p in parts)
    assert "Regression discontinuity" not in body and "1. Districts that went live" in body
    assert "priority flag changes" not in body and "upper age limit come" not in body  # no notes on absent parts
    assert "Primary analysis:" in body and "You can say:" in body and "9. Threats to validity" in body


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


def test_value_for_money_with_real_costs_gives_ratios_and_break_even(report):
    """With costs that are not placeholders the benefit-cost ratio appears, rounded, with its lower bound read."""
    import dataclasses

    va = dataclasses.replace(report.ev.value, cost_placeholder=False)
    ev = copy.copy(report.ev)
    ev.__dict__["value"] = va
    r = EvaluationReport(report.snap, evaluation=ev)
    section = r.vfm_section()
    t = {x.name: x for x in r.page.tables}
    shown = t["vfm_value"].values
    assert list(shown.bcr) == list(va.table().bcr) and all(round(x, 1) == x for x in shown.bcr.dropna())
    assert "Programme cost over the evaluation period" in set(t["vfm_costs"].values["item"])
    assert "To pay for itself the programme has to spare about" in Text(section.html()).plain
    text = Text(r.summary().html()).plain
    row = va.table().iloc[0]
    assert f"The benefit-cost ratio is {fmt.decimal(row.bcr, 1)}" in text
    assert ("its lower bound is below 1" in text) == bool(row.bcr_low < 1)
