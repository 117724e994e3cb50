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
                    "Sensitivity: how robust is the primary?", "Matched comparison of people", "Value for money",
                    "can and cannot detect", "Technical appendix", "Pre-specified analysis plan",
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
        label = "Supporting design" if s.role == "supporting" else "Descriptive result"
        level = "no Maryland level" if s.sms_level is None else f"(Maryland level {s.sms_level}"
        assert level in text and label in text
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
    assert all(re.fullmatch(r"-?£[\d,.]+m?", v) for v in cells["Social value, central unit cost"])


def test_value_says_why_victims_per_offence_are_missing(snap, report, monkeypatch):
    # a small force may record no DA offence in the primary's person-months: the page says so rather
    # than "Victims per offence () come from ..."
    from dataclasses import replace

    assert "Victims per offence (" in Text("".join(_visible(p.html()) for p in report.parts)).plain
    ev = report.ev
    nan3 = (float("nan"),) * 3
    designs = tuple(replace(d, victims_spared=nan3, social_value=nan3, benefit_cost_ratio=nan3)
                    if d.role == "primary" else d for d in ev.value.designs)
    monkeypatch.setitem(ev.__dict__, "value", replace(ev.value, victims_per_offence=float("nan"), designs=designs))
    section = EvaluationReport(snap, evaluation=ev).vfm_section()
    text = " ".join(Text(item.html()).plain for item in section.items if hasattr(item, "plain"))
    assert "No DA offence was recorded in those person-months" in text and "()" not in text
    summary = EvaluationReport(snap, evaluation=ev).value_sentence().plain
    assert summary.startswith("Value for money under the primary analysis cannot be measured on these data: no DA "
                              "offence was recorded") and "interval" not in summary


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
    assert {"snapshot_dir", "programme", "exclude_lockdown", "window_months", "unit_cost_per_victim",
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
                        parameters={"snapshot_dir": str(folder), "programme": "hiow",
                                    "workbook_path": str(tmp_path / "e.xlsx")})
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not any(o.get("output_type") == "error" for o in outputs)
    shown = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "did it reduce domestic abuse?" in shown and "Provenance" in shown
    # nothing but the report's sections is shown: no echoed value such as the workbook's path
    assert not [o for o in outputs if o.get("output_type") == "execute_result"]
    assert "PosixPath" not in str(outputs)
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


# ---------------------------------------------------------------------------------------------------------
# the verdict with its power caveat, the primary's cells, levels and descriptive results


def _summary_paragraphs(report) -> list[str]:
    html = report.summary().html()
    return [Text(p).plain for p in re.findall(r"<p>.*?</p>", html.split("<ul>", 1)[0])]


def test_power_caveat_never_asks_for_more_than_a_complete_stop(report):
    # a small force's smallest detectable change can pass 100% of the level: no rate falls that far, so the
    # caveat says that even a complete stop would likely go unseen instead of printing "at least 812%"
    from dataclasses import replace

    pw = report.ev.power
    small = replace(pw, did_mde=8.12 * pw.baseline_rate)
    text = small.verdict_caveat()
    assert "812%" not in text and "%" not in text.split("detecting one that size")[1].split("less than")[0]
    assert text.endswith("even a complete stop to DA offending among eligible people would have been detected "
                         "less than 80% of the time.")
    assert "only a change of at least 95% would have been detected 80% of the time." in \
        replace(pw, did_mde=0.95 * pw.baseline_rate).verdict_caveat()


def test_power_caveat_follows_the_verdict_where_the_primary_cannot_see_a_plausible_effect(report):
    pw = report.ev.power
    # the minimum detectable effect is relative to the level without the programme in the primary's own cells
    assert pw.baseline_rate == pytest.approx(report.ev.did.counterfactual_mean)
    assert pw.did_mde_relative > pw.plausible_effect == pytest.approx(0.30)  # the default force cannot see 30%
    first, second = _summary_paragraphs(report)[:2]
    assert first.startswith("Primary analysis:")
    assert second.startswith(pw.verdict_caveat()) and "could not have detected a reduction of 30%" in second
    # said once, the same way, in the power section; its table uses the same level and relative effect
    power = report.power_section()
    assert Text(power.items[0].html()).plain == second
    t = {x.name: x for x in report.page.tables}["power"].display()
    assert t.iloc[0]["Level without the programme"] == fmt.rate(pw.baseline_rate, False)
    assert t.iloc[0]["As % of the level"] == f"{pw.did_mde_relative:.0%}"
    did_text = Text(report.did_section().html()).plain
    assert f"level without the programme of {fmt.rate(pw.baseline_rate, False)} offences" in did_text


def test_no_power_caveat_when_the_primary_could_detect_a_plausible_effect(report):
    import dataclasses

    ev = copy.copy(report.ev)
    ev.__dict__["power"] = dataclasses.replace(report.ev.power, plausible_effect=3.0)  # a 300% "reduction"
    r = EvaluationReport(report.snap, evaluation=ev)
    assert r.power_caveat() is None
    paragraphs = _summary_paragraphs(r)
    assert len(paragraphs) == 1 and "could not have detected" not in Text(r.summary().html()).plain
    assert "could detect a reduction of 300%" in Text(r.power_section().html()).plain


def test_the_primary_states_the_cells_it_covers(report):
    did = report.ev.did
    cells = report.cells
    k = report.ev.plan.min_comparison_districts
    assert int(cells.in_estimate.sum()) == len(did.cells)
    assert (cells.in_estimate[cells.not_yet < k] == 0).all()  # no cell from a period with too few comparisons
    assert (cells.in_estimate <= cells.live).all()
    inside = cells[cells.in_estimate > 0]
    words = f"{len(did.cells)} live district-quarters, {inside.period.iloc[0]} to {inside.period.iloc[-1]}"
    assert words in Text(report.verdict_sentence().html()).plain
    section = Text(report.did_section().html()).plain
    assert f"The primary averages the effect over {words}" in section
    assert f"The other {did.n_excluded} live district-quarters" in section
    assert list(cells.columns) == ["period", "live", "not_yet", "in_estimate"]


def test_descriptive_and_level_one_results_carry_no_effect_phrase(report):
    from foundation_eval.evaluation.verdict import DESCRIPTIVE

    v = report.ev.verdict
    descriptive = [s for s in v.supporting if s.role != "supporting"]
    assert descriptive and all(s.sms_level is None or s.sms_level <= 1 or s.design for s in descriptive)
    sentences = {Text(t.html()).plain for t in report.supporting()}
    for s in descriptive:
        words = next(x for x in sentences if report.design_name(s.name, s.design).lower()[:20] in x.lower())
        assert words.startswith("Descriptive result") and DESCRIPTIVE in words
        assert not any(f in words for f in FINDINGS), words
    lv = {x.name: x for x in report.page.tables}["levels"].values
    low = lv[lv.sms_level.isna() | (lv.sms_level.astype(float) <= 1)]
    assert len(low) and (low.finding == DESCRIPTIVE).all()
    rd = report.rd_section()
    if report.ev.rd_ppit is not None and not isinstance(report.ev.rd_ppit, str):
        text = Text(rd.html()).plain
        assert "No Maryland level: a descriptive result, not evidence about the programme's effect" in text
        ppit = text.split("Priority threshold:", 1)[1].split("Strength of evidence", 1)[0]
        assert not any(f in ppit for f in FINDINGS)


def test_a_lowered_level_says_which_check_failed_and_why(report):
    import pandas as pd

    rows = pd.DataFrame({"label": ["Age-limit discontinuity", "Matched comparison of people"],
                         "level_flags": ["density (McCrary) check at the threshold failed (p = 0.006): level lowered "
                                         "from 4 to 3", "balance not achieved: level lowered from 3 to 2"]})
    out = [Text(t.html()).plain for t in report._lowered(rows)]
    assert out[0].startswith("Age-limit discontinuity: density (McCrary) check") and "sit just on one side" in out[0]
    assert "still differ on a recorded characteristic" in out[1]
    lowered = [f for f in report.ev.verdict.table().level_flags if "lowered" in f]
    body = Text(report.headline().html()).plain
    assert ("Why a level was lowered" in body) == bool(lowered)


# ---------------------------------------------------------------------------------------------------------
# sensitivity, matched comparison, value for money, the analysis plan


def test_sensitivity_section_has_robust_bounds_pretrend_power_anticipation_and_e_values(report):
    section = report.sensitivity_section()
    assert section.heading.endswith("Sensitivity: how robust is the primary?")
    html = section.html()
    for h in ("If trends were not parallel: robust intervals", "How much the pre-trend check can see",
              "Anticipation: the quarter before go-live", "Unmeasured differences between people: E-values",
              "Other reasonable choices"):
        assert f"<h3>{h}</h3>" in html, h
    t = {x.name: x for x in report.page.tables}
    h = report.ev.honest
    rm = t["honest_rm"].values
    assert list(rm.lb) == pytest.approx(list(100 * h.relative_magnitudes.lower))
    assert list(rm["value"]) == pytest.approx(list(h.relative_magnitudes.grid))
    sd = t["honest_sd"].values
    assert list(sd.ub) == pytest.approx(list(100 * h.smoothness.upper))
    text = Text(html).plain
    assert "breakdown value" in text or "nothing to overturn" in text or "every drift examined" in text
    assert fmt.decimal(100 * h.pretrend.slope_power_80, 2) in text  # Roth (2022): the slope seen 80% of the time
    a = report.ev.anticipation
    an = t["anticipation"].values
    assert an.estimate.iloc[0] == pytest.approx(100 * a.before.estimate)
    assert an.estimate.iloc[1] == pytest.approx(100 * a.adjusted.estimate)
    ev = t["e_values"].values
    assert list(ev.evalue_point) == pytest.approx(list(report.ev.e_values.evalue_point))
    assert "Matched comparison of people" in set(ev.label)


def test_breakdown_value_in_plain_words():
    from types import SimpleNamespace as R

    import numpy as np

    r = EvaluationReport.__new__(EvaluationReport)
    res = R(breakdown=0.5, grid=np.linspace(0, 2, 9), original_lower=0.01, original_upper=0.05)
    words = r._breakdown_words(res, "relative magnitudes", 1.0, " times the largest drift before")
    assert "for drifts up to 0.50 times the largest drift before (the breakdown value)" in words
    res = R(breakdown=float("nan"), grid=np.linspace(0, 2, 9), original_lower=-0.01, original_upper=0.05)
    assert "nothing to overturn" in r._breakdown_words(res, "smoothness", 100.0)
    res = R(breakdown=2.0, grid=np.linspace(0, 2, 9), original_lower=0.01, original_upper=0.05)
    assert "at every drift examined (up to 2.00" in r._breakdown_words(res, "relative magnitudes")


def test_matched_comparison_with_effects_balance_and_overlap(report):
    mc = report.ev.matched
    section = report.matched_section()
    assert section.heading.endswith("Matched comparison of people (Justice Data Lab style)")
    t = {x.name: x for x in report.page.tables}
    eff = t["matched_effects"]
    assert list(eff.values.measure.str.split(" ").str[0]) == ["Reoffended", "DA"]  # proportion and frequency
    bal = t["matched_balance"].values
    lib = mc.balance()
    assert list(bal.smd_after) == pytest.approx(list(lib.smd_after))
    flagged = bal.flag.str.startswith("not balanced")
    assert list(flagged) == list(lib.smd_after.abs() >= 0.1)
    ov = t["matched_overlap"]
    # every count of people through the disclosure rule: rounded to 5, small ones withheld
    for table in (eff, ov):
        for c in table.counts:
            v = table.values[c].dropna()
            assert (v % 5 == 0).all() and not ((v > 0) & (v < 10)).any(), (table.name, c)
    text = Text(_visible(section.html())).plain
    for n in (mc.n_listed, mc.result.n_treated, mc.n_washout_excluded, mc.result.n_off_support):
        if n % 5:
            assert f"{n:,} " not in text, n  # never the exact count
        shown = report.page.count(n).removesuffix(" people")
        assert re.search(rf"(?<![\d,]){re.escape(shown)} ", text), (n, shown)
    assert "Listed people with no comparable person (off support)" in set(ov.values.label)
    assert "Balance: do the matched groups look alike?" in section.html()
    if (~lib.in_model & ~lib.balanced).any():
        assert "differences between districts remain in the result" in text
    assert "Maryland Scientific Methods Scale level" in text


def test_matched_comparison_that_fails_balance_is_labelled(report):
    import dataclasses

    mc = report.ev.matched
    b = mc.result.balance_table.copy()
    b["balanced"] = b.smd_after.abs() < 0.1
    b.loc[b.in_model, ["smd_after", "balanced"]] = [0.0, True]
    b.loc[0, ["smd_after", "balanced"]] = [0.25, False]  # the first covariate of the model left imbalanced
    res = dataclasses.replace(mc.result, balance_table=b)
    label = f"balance not achieved on: {b.covariate[0]}"
    ev = copy.copy(report.ev)
    ev.__dict__["matched"] = dataclasses.replace(mc, result=res, label=label)
    r = EvaluationReport(report.snap, evaluation=ev)
    text = Text(r.matched_section().html()).plain
    assert ("Balance was not achieved on Age at the index date (years), so the design's level is lowered by one and "
            "the result is labelled: balance not achieved on Age at the index date (years).") in text
    bal = {x.name: x for x in r.page.tables}["matched_balance"].values
    assert bal.flag.iloc[0] == "not balanced (0.1 or more)"


def test_value_for_money_gives_the_unit_cost_range_discounting_and_deflator(report):
    va = report.ev.value
    section = report.vfm_section()
    text = Text(section.html()).plain
    for x in (va.unit_cost_per_victim, va.unit_cost_low, va.unit_cost_high):
        assert fmt.money(round_money(x)) in text
    assert f"discounted at {100 * va.discount_rate:.1f}% a year (HM Treasury Green Book)" in text
    if va.deflator_illustrative:
        assert "GDP deflator that is an illustrative approximation to the published series" in text
    assert f"({fmt.percent(va.estimand_share)})" in text and "not extrapolated to the rest" in text
    shown = {x.name: x for x in report.page.tables}["vfm_value"].values
    lib = va.table()
    assert list(shown.social_value_low_unit_cost) == list(lib.social_value_low_unit_cost)
    assert list(shown.social_value_high_unit_cost) == list(lib.social_value_high_unit_cost)
    # the primary's person-months through the disclosure rule, never raw
    assert report.page.count(va.estimand_person_months, "").strip() in text


def test_analysis_plan_with_its_date_and_sha256_is_printed(report):
    plan = report.ev.plan
    sha = report.ev.plan_sha256
    assert sha == plan.plan_sha256() and re.fullmatch(r"[0-9a-f]{64}", sha)
    body = Text("".join(p.html() for p in report.parts)).plain
    assert body.count(sha) == 2  # the plan section and provenance
    import datetime as dt

    d = dt.date.fromisoformat(plan.plan_date)
    assert f"{d.day} {d.strftime('%B %Y')}" in body
    assert "before the data were seen" not in body
    t = {x.name: x for x in report.page.tables}["plan"].values
    assert "Plan fingerprint (SHA-256)" in set(t["item"]) and sha in set(t["value"])
    prov = report.provenance().html()
    assert f"<th scope='row'>Analysis plan SHA-256</th><td>{sha}</td>" in prov


def test_page_body_has_no_debris(report):
    body = re.sub(r"<style>.*?</style>", "", "".join(p.html() for p in report.parts), flags=re.S)
    text = Text(_visible(body)).plain
    assert "%%" not in text and "PosixPath" not in text and "object at 0x" not in text
    assert not re.search(r"\b[A-Z][A-Za-z]+\((name|estimate|result)=", text), "an object repr on the page"
    assert not re.search(r"\bnan\b|\{\{|\{[a-z_]+\}", text)
    headings = re.findall(r"<h([1-4])[^>]*>(.*?)</h\1>", body)
    texts = [h for _, h in headings]
    assert len(texts) == len(set(texts)), [h for h in texts if texts.count(h) > 1]
    # code names only in the technical appendix
    reader = text.split("Technical appendix", 1)[0]
    assert "foundation_eval" not in reader and "report.ev" not in reader
    assert not re.search(r"\w_\w", reader), re.findall(r".{60}\w_\w.{20}", reader)


def test_a_percentage_in_a_statement_is_printed_once(report):
    from foundation_eval.evaluation.verdict import Statement

    st = Statement("reoffending_hr_programme", "cannot", "ratio_as_percent", "the programme cut reoffending by {pct}%.",
                   {"pct": 21.6, "level": 3})
    assert report._statement(st).plain == "You cannot say: the programme cut reoffending by 22%."


def test_figures_have_sentence_case_labels_and_boxed_legends_outside_the_data(report):
    r = EvaluationReport(report.snap, evaluation=report.ev)
    seen = []
    original = r.page.figure

    def capture(ax, alt, title=None, caption=None, **kw):
        fig = ax.figure
        fig.canvas.draw()
        leg = ax.get_legend()
        inside = None
        if leg is not None:
            inside = bool(leg.get_window_extent().x0 < ax.get_window_extent().x1)
        seen.append((ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), leg is not None and leg.get_frame_on(), inside,
                     [t.get_text() for t in leg.get_texts()] if leg is not None else []))
        return original(ax, alt, title, caption, **kw)

    r.page.figure = capture
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r.sections()
    assert len(seen) >= 6
    for title, x, y, framed, inside, labels in seen:
        for label in (title, x, y, *labels):
            if label and label[0].isalpha():
                assert label[0].isupper(), (title, label)
        if labels:
            assert framed and inside is False, title
    its = next(s for s in seen if s[0].startswith("Interrupted time series"))
    assert "Month" not in its[1] and its[1] == "Quarter"


# ---------------------------------------------------------------------------------------------------------
# the notebook


def test_notebook_shows_sections_and_its_prose_names_no_code():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    last = code[-1].source.strip()
    assert last.endswith(";") or re.match(r"^\w+ = ", last), "the last cell must not echo a value"
    shows = "\n".join(c.source for c in code if "show(" in c.source)
    for method in ("header", "summary", "headline", "statements_section", "did_section", "person_section",
                   "its_section", "rd_section", "naive_section", "sensitivity_section", "matched_section",
                   "vfm_section", "power_section", "threats_section", "plan_section", "methods", "disclosure",
                   "provenance"):
        assert f"report.{method}()" in shows, method
    for cell in (c for c in nb.cells if c.cell_type == "markdown"):
        src = cell.source
        assert "`" not in src and "report." not in src and "foundation_eval" not in src, src[:80]
        assert "Change the parameters" not in src
        assert not re.search(r"^#", src, re.M), "headings come from the report's sections, not markdown"


# ---------------------------------------------------------------------------------------------------------
# the realistic scenario


@pytest.mark.slow
def test_the_page_on_a_realistic_force(tmp_path_factory):
    """Staggered rollout with realistic noise: the restricted primary, its power statement, the sensitivity
    section and the matched comparison with its balance table are all on the page."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snap = build_snapshot(synth.demo_dataset(scale=0.5, scenarios="realistic"))
        r = EvaluationReport(snap)
        parts = r.sections()
    body = "".join(p.html() for p in parts)
    text = Text(_visible(body)).plain
    ev = r.ev
    assert "Primary analysis:" in text and f"{len(ev.did.cells)} live district-quarters" in text
    caveat = ev.power.verdict_caveat()
    if caveat:
        assert text.count(caveat) == 2  # summary and power section
    assert "Sensitivity: how robust is the primary?" in text and "Matched comparison of people" in text
    names = {t.name for t in r.page.tables}
    assert {"primary_cells", "honest_rm", "anticipation", "e_values", "matched_effects", "matched_balance",
            "matched_overlap", "plan", "power", "vfm_value"} <= names
    assert ev.plan_sha256 in text and "%%" not in text and "PosixPath" not in text
    assert not SMALL_COUNT.search(text)


def test_intervals_that_under_cover_carry_their_measured_coverage(report):
    """The interrupted time series and the matched comparison do not hold 95%: the page prints each one's
    measured coverage beside it (benchmarks/coverage.py, realistic scenario), never a plain 95% interval."""
    from foundation_eval.evaluation.designs import MEASURED_COVERAGE

    its = Text(report.its_section().html()).plain
    assert f"{100 * MEASURED_COVERAGE['its_pilot']:.0f}% of simulated forces" in its
    assert f"{100 * MEASURED_COVERAGE['its_force']:.0f}% of simulated forces" in its
    assert "nominal 95% interval" in its and "(95% interval" not in its
    matched = Text(report.matched_section().html()).plain
    if report.ev.matched_estimate.estimable if hasattr(report.ev.matched_estimate, "estimable") else True:
        assert f"{100 * MEASURED_COVERAGE['matched']:.0f}% of simulated forces" in matched
