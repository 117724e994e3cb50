"""Force overview for the commissioner: the brief, funnel plots, commissioning outcomes, pillars and headline
estimates, formatted from the render's study and published through the Page."""
from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from foundation_eval.data import synth
from foundation_eval.data.load import load_dataset
from foundation_eval.evaluation.estimates import Estimate
from foundation_eval.evaluation.registry import REGISTRY, estimands_for
from foundation_eval.evaluation.snapshot import Snapshot, build_snapshot
from foundation_eval.frames.cohort import person_frame, select
from foundation_eval.frames.outcomes import reoffending_frame
from foundation_eval.models.engagement import first_engagement_frame
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting.overview_report import (
    COMMISSIONING_OUTCOMES,
    MEASURES,
    OverviewReport,
    _spread,
    funnel_chart,
)
from foundation_eval.stats import wilson_interval

ID_PATTERN = re.compile(r"[PVOCAFMR][0-9A-F]{8,16}")
SMALL_COUNT = re.compile(r"(?<![\d.,+\-])[1-9] (?:people|person|listed|records|offences|plans|men|women|victims)\b")


def _text(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    html = re.sub(r"<img[^>]*>", " ", html)
    return re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", html)).strip()


@pytest.fixture(scope="module")
def snap(small_ds):
    return build_snapshot(small_ds)


@pytest.fixture(scope="module")
def overview(snap):
    rep = OverviewReport(snap)
    rep.page_html = rep.html()
    return rep


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The default force at a tenth of its size."""
    folder = synth.write(synth.generate("hiow", seed=1, scale=0.1), tmp_path_factory.mktemp("tiny"))
    return build_snapshot(load_dataset(folder))


@pytest.fixture(scope="module")
def ctl(tmp_path_factory):
    """The second programme: no risk tool, no risk management plans."""
    folder = synth.write(synth.generate("change-that-lasts", seed=1, scale=0.3), tmp_path_factory.mktemp("ctl"))
    return build_snapshot(load_dataset(folder, "change-that-lasts"))


def _listed(snap):
    prog = snap.programme
    p = select(person_frame(snap.dataset), None, prog.study_start, prog.study_end)
    return p[p.listed]


def _check_disclosure(rep: OverviewReport, html: str) -> None:
    text = _text(html)
    assert not SMALL_COUNT.search(text), SMALL_COUNT.findall(text)
    assert not ID_PATTERN.search(text)
    for t in rep.page.tables:
        for c in t.counts:
            v = pd.to_numeric(t.values[c], errors="coerce").dropna()
            assert not ((v > 0) & (v < rep.page.threshold)).any(), (t.name, c)
            assert (v % rep.page.rule.base == 0).all(), (t.name, c)  # every published count is rounded


def test_sections_render_with_figures_and_alt_text(overview):
    page = overview.page_html
    drawn = sum(v.drawn is not None and len(v.drawn.units) > 0 for v in overview.funnels.values())
    assert page.count("<figure") == drawn + 1  # funnel plots drawn and the pillars chart
    assert page.count('alt="Funnel plot') == drawn
    for heading in ("Summary", "How to read a funnel plot", "Commissioning outcomes", "four pillars",
                    "Headline estimates", "Methods", "Disclosure control", "Provenance",
                    "Technical appendix"):
        assert f">{heading}" in page or heading in page
    assert page.index(">Summary</h2>") < page.index(">How to read a funnel plot</h2>")  # the brief first
    assert "Traceback" not in page
    assert 3 <= len(overview.summary_sentences()) <= 7


def test_engagement_has_one_definition_on_the_page(overview, snap):
    """The summary, the funnel's force average and the commissioning table give the same engagement share,
    worded the same way."""
    ds = snap.dataset
    f = first_engagement_frame(ds, _listed(snap))
    window = snap.programme.engagement_window_days
    k, n = int(((f.event == 1) & (f.days <= window)).sum()), len(f)
    pk, pn = overview.page.rule.publish(k), overview.page.rule.publish(n)  # shares from the published counts
    lo, hi = wilson_interval(pk, pn)
    pct, interval = fmt.percent(pk / pn), f"(95% interval {fmt.percent(lo)} to {fmt.percent(hi)})"
    words = f"engaged within {window} days of listing"
    summary = overview.summary_sentences()[2].plain
    assert f"{pct} of listed people {words} {interval}" in summary
    section = _text(overview.funnel("engagement").html())
    assert f"who {words}" in section and f"Force average {pct} {interval}" in section
    row = overview.outcomes_table.values.set_index("measure").loc[f"Listed people who {words} (direct measure)"]
    assert row.percent == pytest.approx(100 * pk / pn)
    assert (row.ci_low, row.ci_high) == pytest.approx((100 * lo, 100 * hi))
    assert row.k == pk and row.n == pn
    # and the funnel plot's force average is the same published share
    assert overview.funnels["engagement"].drawn.target == pytest.approx(pk / pn)


def test_headline_estimates_are_the_snapshots_values(overview, snap):
    page = overview.page_html
    names = [e.name for e in estimands_for(snap.programme)]
    primary = overview.page.tables[[t.name for t in overview.page.tables].index("headline_estimates")]
    alternative = overview.page.tables[[t.name for t in overview.page.tables].index("alternative_estimates")]
    shown = {}
    for t in (primary, alternative):
        for v, (_, row) in zip(t.views, t.values.iterrows(), strict=True):
            shown[v.name] = (t.name, row)
    for name in names:
        e = snap.estimate(name)
        if e is None:
            continue
        table, row = shown[name]
        assert table == ("headline_estimates" if REGISTRY[name].primary else "alternative_estimates")
        scale = 100.0 if REGISTRY[name].unit in ("points", "rate") else 1.0
        assert row.estimate == pytest.approx(scale * e.estimate)
        assert row.ci_low == pytest.approx(scale * e.ci_low) and row.ci_high == pytest.approx(scale * e.ci_high)
        assert row.label == REGISTRY[name].label and row.design == e.design
        assert row.level == (f"level {e.sms_level}" if e.sms_level is not None else "not an impact estimate")
        # marked on the page with the value of results.json
        assert f"data-estimand='{name}' data-estimate='{round(e.estimate, 6)!r}'" in page
    # the headline table stays narrow: four columns on the page, numbers in the workbook
    assert primary.html().count("<th scope='col'>") == 4


def test_an_unavailable_estimand_says_why(snap):
    missing = "referral_start_rd_programme"
    cut = replace(snap, estimates=tuple(e for e in snap.estimates if e.name != missing),
                  unavailable={missing: "The data do not support this estimate: too few districts went live later."})
    section = _text(OverviewReport(cut).estimates().html())
    assert f"{REGISTRY[missing].label}: not available on this extract. The data do not support this estimate: too " \
           "few districts went live later." in section


@pytest.mark.parametrize("low, high, words", [(-0.12, -0.02, "recorded less often"), (-0.08, 0.03, "no clear change"),
                                              (0.02, 0.09, "recorded more often")])
def test_reoffending_claim_only_when_the_interval_supports_it(snap, low, high, words):
    e = Estimate("reoffending_12m_rd_programme", (low + high) / 2, low, high, design="Test design", sms_level=2, n=300)
    fake = replace(snap, estimates=tuple(x for x in snap.estimates if x.name != e.name) + (e,))
    text = " ".join(s.plain for s in OverviewReport(fake).summary_sentences())
    assert words in text and "Supporting design (Maryland level 2)" in text
    for other in {"recorded less often", "no clear change", "recorded more often"} - {words}:
        assert other not in text
    assert fmt.interval(low, high, "points") in text


@pytest.mark.parametrize("low, high, finding", [(-0.05, -0.01, "evidence of a reduction"),
                                                (-0.04, 0.07, "no clear evidence either way"),
                                                (0.01, 0.05, "evidence of an increase")])
def test_summary_leads_with_the_prespecified_primary(snap, low, high, finding):
    """Whatever a weaker design says, the first sentence is the primary analysis's verdict."""
    primary = Estimate("did_att_da_rate", (low + high) / 2, low, high, design="Staggered DiD", sms_level=4, n=300)
    weaker = Estimate("reoffending_12m_rd_programme", -0.09, -0.16, -0.02, design="Cohorts", sms_level=2, n=300)
    keep = tuple(x for x in snap.estimates if x.name not in ("did_att_da_rate", "reoffending_12m_rd_programme"))
    first = OverviewReport(replace(snap, estimates=keep + (primary, weaker))).summary_sentences()[0].plain
    assert first.startswith(f"Did it work? Primary analysis: {finding}.")
    assert "Yes" not in first


def test_no_small_count_reaches_the_page(overview):
    _check_disclosure(overview, overview.page_html)


def test_funnel_tables_and_plots_withhold_the_same_districts(overview):
    rule = overview.page.rule
    for key in MEASURES:
        view = overview.funnels[key]
        if view.result is None:
            continue
        t, raw = view.table.values, view.result.units.set_index("unit")
        hidden = set(t.unit[t.n.isna()])
        assert hidden == set(view.drawn.withheld), key
        assert len(hidden) != 1  # a single withheld district could be recovered from the force total
        for _, row in t[t.n.notna()].iterrows():
            assert row.k == rule.publish(raw.at[row.unit, "k"]) and row.n == rule.publish(raw.at[row.unit, "n"])
            if pd.notna(row.percent):  # worked out from the published counts
                assert row.percent == pytest.approx(100 * row.k / row.n)
        # drawn from the published table: districts at their published number of people and share
        drawn = view.drawn.units.set_index("unit")
        assert set(drawn.index) == set(t.unit[t.n.notna()])
        for unit in drawn.index:
            assert drawn.at[unit, "n"] == t.set_index("unit").at[unit, "n"]
            assert 100 * drawn.at[unit, "value"] == pytest.approx(t.set_index("unit").at[unit, "percent"], nan_ok=True)
        # the force average is the pooled share over every district, withheld or not
        assert view.result.target == pytest.approx(raw.k.sum() / raw.n.sum())


def test_funnel_sentence_names_districts_outside_the_limits(overview):
    text = overview._funnel_sentence().plain
    outside = {k: v.drawn.outside() for k, v in overview.funnels.items() if v.drawn is not None}
    for names in outside.values():
        for name in names:
            assert name in text
    if not any(outside.values()):
        assert "within the 99.8% control limits" in text


def test_commissioning_outcomes_are_all_mapped(overview, small_ds, snap):
    rows = overview.study.outcomes
    assert list(dict.fromkeys(rows.outcome)) == list(COMMISSIONING_OUTCOMES)
    assert set(rows.kind) == {"Direct", "Proxy", "Process"}
    listed = _listed(snap)
    rmp = small_ds.rmps.merge(listed[["person_id", "index_date"]], on="person_id")
    k = rmp[rmp.rmp_date >= rmp.index_date].person_id.nunique()
    row = rows[rows.measure == "Listed people with a risk management plan"].iloc[0]
    assert row.k == k and row.n == len(listed)
    assert row.pct == pytest.approx(100 * k / len(listed))
    # a joint visit and an offence against a new victim, from the event tables
    con = small_ds.contacts.merge(listed[["person_id", "index_date"]], on="person_id")
    joint = con[(con.contact_date >= con.index_date) & ((con.staff == "joint") | (con.contact_type == "joint_visit"))]
    row = rows[rows.measure == "Listed people with a joint police and practitioner visit"].iloc[0]
    assert row.k == joint.person_id.nunique()
    # the offence rate is the library's exact Poisson rate per 100 person-years
    from foundation_eval.frames.outcomes import fixed_window, offence_frame
    from foundation_eval.models.reoffending import event_rate

    r = reoffending_frame(small_ds, listed)
    rule = overview.page.rule
    # the published offences over the published person-years (to the nearest 10), per 100 (Garwood 1936 interval)
    k, years = int(r.da_count.sum()), float(r.exposure_years.sum())
    er = event_rate(rule.publish(k), rule.exposure(years), per=100)
    t = overview.rates_table.values.iloc[0]
    assert (t.offences, t.years) == (rule.publish(k), rule.exposure(years))
    assert (t.rate, t.ci_low, t.ci_high) == pytest.approx((er.rate, er.ci_low, er.ci_high))
    w = fixed_window(r, 12, small_ds.extract_date).frame
    off = offence_frame(small_ds, listed)
    close = w.set_index("person_id").index_date + pd.DateOffset(months=12)
    nv = off[off.da_flag.astype(bool) & off.new_victim & off.observed & (off.offence_date <= off.person_id.map(close))]
    row = rows[rows.measure.str.contains("against a new victim")].iloc[0]
    assert (row.k, row.n) == (w.person_id.isin(nv.person_id).sum(), len(w))


def test_commissioning_counts_are_stated_once_and_every_share_has_its_denominator(overview):
    """The plain counts (people meeting the criteria, people listed) are a sentence; every row of the table is a
    share whose percentage is the published number over the published denominator."""
    f = overview.study.force
    said = overview.outcomes().items[1].plain
    page = overview.page
    assert f"{page.count(f.eligible)} met all" in said and f"{page.count(f.listed)} were put on the programme list" in said
    t = overview.outcomes_table
    assert t.values.n.notna().all()
    shown = t.values[~t.suppressed.percent]
    assert shown.percent.tolist() == pytest.approx((100 * shown.k / shown.n).tolist())
    assert overview.harm_table.name == "offence_harm" and len(overview.rates_table.values) == 1
    assert any("harm per person-year" in u for u in page.facts().unaudited)


def test_rmp_pillars_match_the_plans(overview, small_ds, snap):
    listed = _listed(snap)
    rmp = small_ds.rmps.merge(listed[["person_id", "index_date"]], on="person_id")
    plans = rmp[rmp.rmp_date >= rmp.index_date]
    t = overview.pillars_table.values.set_index("pillar")
    rule = overview.page.rule
    for col, label in (("supervision", "Supervision"), ("victim_safety", "Victim safety")):
        k, n = rule.publish(int(plans[col].astype(bool).sum())), rule.publish(len(plans))
        lo, hi = wilson_interval(k, n)  # from the published counts
        if pd.notna(t.at[label, "percent"]):
            assert t.at[label, "percent"] == pytest.approx(100 * k / n)
            assert t.at[label, "ci_low"] == pytest.approx(100 * lo) and t.at[label, "ci_high"] == pytest.approx(100 * hi)
    assert "All four pillars" in t.index


def test_methods_state_only_computed_numbers(overview, snap):
    text = _text(overview.methods().html() + overview.estimates().html() + overview.how_to_read().html())
    for stale in ("synthetic forces", "96.7%", "82%", "14 districts, 2 pilots"):
        assert stale not in text
    n = len(snap.programme.districts)
    assert f"among the {fmt.number_word(n)} districts of the programme" in _text(overview.how_to_read().html())


def test_workbook_holds_numbers(overview, tmp_path):
    from openpyxl import load_workbook

    path = overview.page.write_workbook(tmp_path / "overview.xlsx")
    wb = load_workbook(path)
    tables = {t.title: t for t in overview.page.tables}
    contents = {r[0].value: r[1].value for r in wb["Contents"].iter_rows(min_row=4)}
    assert set(contents.values()) == set(tables)
    for sheet, title in contents.items():
        t = tables[title]
        ws = wb[sheet]
        for j, c in enumerate(t.values.columns, start=1):
            if t.kinds.get(c, "text") == "text":
                continue
            for i in range(len(t.values)):
                v = ws.cell(4 + i, j).value
                assert v is None or v == "[c]" or isinstance(v, int | float), (title, c, v)


def test_provenance_and_disclosure(overview, small_ds):
    prov = overview.provenance().html()
    assert small_ds.data_hash in prov and "foundation-eval version" in prov and "period_start" in prov
    assert "rounded to the nearest" in overview.disclosure().html()


def test_small_force_renders_the_whole_report(tiny):
    rep = OverviewReport(tiny)
    html = rep.html()
    _check_disclosure(rep, html)
    assert "Headline estimates" in html and len(rep.summary_sentences()) >= 3


def test_second_programme_renders_without_risk_tool_or_plans(ctl):
    rep = OverviewReport(ctl)
    html = rep.html()
    _check_disclosure(rep, html)
    text = _text(html)
    assert "no risk management plans" in text and "Risk management plans with each pillar" not in text
    assert "defines no risk tool" in text
    assert not any(t.name == "rmp_pillars" for t in rep.page.tables)
    assert "assessed with the risk tool" not in " ".join(rep.study.outcomes.measure)


def test_reports_run_without_optional_tables(extract_copy):
    from foundation_eval.reporting.quality_report import QualityReport

    for name in ("rmps", "referrals", "ppit_assessments"):
        (extract_copy / f"{name}.csv").unlink()
    ds = load_dataset(extract_copy)
    rep = OverviewReport(Snapshot(ds))
    assert rep.absent == {"rmps", "referrals", "ppit_assessments"}
    assert "no referrals table" in rep.funnel("referral").html()
    assert "the extract holds no referrals table" in rep.summary_sentences()[3].plain
    assert not rep.study.outcomes.measure.str.contains("risk management plan").any()
    assert "not available on this extract" in rep.estimates().html()
    assert 3 <= len(rep.summary_sentences()) <= 7 and "Needs attention" in rep.brief().html()
    q = QualityReport(ds)
    assert "not in this extract" in q.summary_sentences()[-1].plain
    assert "Referrals" not in set(q.checks_table.values.table)
    assert len(q.summary_sentences()) >= 3 and q.monthly().html()


@pytest.mark.slow
def test_force_overview_notebook_executes(small_dir, tmp_path):
    import papermill as pm

    from foundation_eval.reporting.render import notebook_dir

    out = tmp_path / "force_overview.ipynb"
    workbook = tmp_path / "overview.xlsx"
    nb = pm.execute_notebook(str(notebook_dir() / "force_overview.ipynb"), str(out),
                             parameters={"snapshot_dir": str(small_dir), "programme": "hiow", "period_start": "",
                                         "period_end": "", "workbook_path": str(workbook)},
                             kernel_name="python3", progress_bar=False)
    html_out = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", []))
    assert "Summary" in html_out and "data:image/png;base64" in html_out
    assert html_out.index("Summary") < html_out.index("How to read a funnel plot")
    assert not ID_PATTERN.search(_text(html_out))
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    assert workbook.exists()


def test_notebook_is_an_analysis():
    """Short code cells showing the report's sections, the brief first, stored without outputs, and markdown
    in plain words (it reaches the published page): no code names."""
    import json

    from foundation_eval.reporting.render import notebook_dir

    nb = json.loads((notebook_dir() / "force_overview.ipynb").read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert sum(c["cell_type"] == "markdown" for c in nb["cells"]) >= 6
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    for c in code[1:]:
        src = "".join(c["source"])
        assert len([x for x in src.splitlines() if x.strip() and not x.lstrip().startswith("#")]) <= 3, src
        assert not re.search(r"sections\[\d+\]", src)
    assert "show(report.header(), report.brief())" in "".join(code[4]["source"])
    assert "write_workbook(workbook_path)" in "".join(code[-1]["source"])
    prose = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert not re.search(r"`|\b[a-z]+_[a-z_]+\b|\w\(", prose), re.search(r"`|\b[a-z]+_[a-z_]+\b|\w\(", prose)


# ------------------------------------------------------------------------------------------ brief, wording, layout
def test_brief_names_its_figures_and_fits_one_a4_side(overview, tmp_path):
    brief = overview.brief()
    text = _text(brief.html())
    assert brief.heading == "Summary" and "Did it work? Primary analysis:" in text
    caveat = overview.snap.study("evaluation").power.verdict_caveat()  # the evaluation's own words, or none
    assert (caveat in text) if caveat else "could not have detected" not in text
    assert "Needs attention" in text and "Quarter by quarter" in text
    study = overview.study
    this = study.quarters[0]
    assert f"{this.year} Q{this.quarter} (this quarter)" in text
    from foundation_eval.reporting.export import find_browser, html_to_pdf, page_html

    if find_browser() is None:
        pytest.skip("no headless Chromium")
    from pypdf import PdfReader

    path = tmp_path / "brief.html"
    path.write_text(page_html(overview.header().html() + brief.html(), "brief"), encoding="utf-8")
    assert len(PdfReader(html_to_pdf(path, tmp_path / "brief.pdf")).pages) == 1


def test_attention_lists_districts_outside_the_limits(overview):
    from foundation_eval.evaluation.areas import Attention

    study = overview.study
    fv = study.funnels["engagement"]
    did, name = fv.districts.district_id.iloc[-1], fv.districts.name.iloc[-1]
    extra = Attention("funnel", did, name, "engagement", "below")
    late = Attention("records", did, name, "screening", "latest months", pd.Period("2024-11", "M"))
    rep = OverviewReport(overview.snap, study=replace(study, attention=(extra, late), warnings=2))
    text = _text(rep.brief().html())
    withheld = name in overview.funnels["engagement"].withheld
    assert (f"{name} lies below the 99.8% control limit for the share of listed people who engaged within" in text) \
        != withheld
    assert f"{name}: far fewer screening records than usual in November 2024" in text
    assert "The extract carried two validation warnings" in text


def test_code_names_stay_in_the_technical_appendix(overview):
    page = overview.page_html
    body = _text(page.split(">Provenance</h2>")[0])
    for code in ("first_engagement_frame", "protect_units", "page.estimate", "foundation_eval", "bootstrap_ratio"):
        assert code not in body, code
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", body), re.search(r"\b[a-z]+_[a-z_]+\b", body)
    appendix = _text(overview.appendix().html())
    assert "foundation_eval.evaluation.areas.fit_areas" in appendix and "protect_units" in appendix


def test_funnel_labels_never_overprint_and_the_legend_is_boxed_outside():
    import matplotlib

    matplotlib.use("Agg")
    from types import SimpleNamespace

    n = 14
    units = pd.DataFrame({"unit": [f"District number {i}" for i in range(n)],
                          "n": np.linspace(40, 300, n), "value": 0.5 + 0.002 * np.arange(n),  # crowded together
                          "position": ["within 95%"] * n})
    limits = pd.DataFrame({"n": [30.0, 300.0], "lower_95": [0.3, 0.44], "upper_95": [0.7, 0.56],
                           "lower_99.8": [0.2, 0.41], "upper_99.8": [0.8, 0.59]})
    ax = funnel_chart(SimpleNamespace(units=units, target=0.5, levels=(0.95, 0.998)), limits, "T", "x", "y")
    from matplotlib.text import Text

    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts]  # the names, without their leader lines
    assert len(boxes) == n
    for i in range(n):
        for j in range(i + 1, n):
            assert not boxes[i].overlaps(boxes[j]), (ax.texts[i].get_text(), ax.texts[j].get_text())
    legend = ax.get_legend()
    assert legend.get_frame_on() and legend.get_window_extent().y1 < ax.get_window_extent().y0  # below the axes
    assert all(b.x0 > ax.get_window_extent().x1 for b in boxes)  # names beside the plot, clear of the dots
    pos = _spread(np.array([0.5, 0.5, 0.5]), 0.1)
    assert np.allclose(np.sort(pos), [0.4, 0.5, 0.6])


def test_force_wide_pages_read_no_table_of_a_written_snapshot(tiny, tmp_path):
    # the overview and the evaluation read the reduced tables and the studies fitted for them: a report
    # kernel never holds the extract's event tables (at national scale millions of rows)
    from foundation_eval.evaluation.snapshot import open_snapshot, release_tables, write_snapshot
    from foundation_eval.reporting.evaluation_report import EvaluationReport

    folder = write_snapshot(tiny, tmp_path / "snapshot")
    for page in (OverviewReport, EvaluationReport):
        snap = open_snapshot(folder, "hiow")
        release_tables()
        body = "".join(part.html() for part in page(snap).sections())
        assert len(body) > 10_000 and sorted(snap.dataset.tables.loaded) == [], page.__name__
