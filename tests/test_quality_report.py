"""Data-quality report: it only formats the study fitted once in the snapshot; its page passes the intruder audit on
the default force, a tenth-size force and a second programme; its sections are free of debris; planted problems
are reported; the notebook runs."""
from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pandas as pd
import pytest

from foundation_eval.data.load import load_dataset
from foundation_eval.data.synth import demo_dataset
from foundation_eval.evaluation.quality import consistency_checks, double_scoring, fit_quality
from foundation_eval.evaluation.snapshot import (
    STUDIES,
    Snapshot,
    open_snapshot,
    release_tables,
    write_snapshot,
)
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting.publication import Section
from foundation_eval.reporting.quality_report import QualityReport
from foundation_eval.schemas import programme_schemas

ID_PATTERN = re.compile(r"[PVOCAFMR][0-9A-F]{8,16}")
SMALL_COUNT = re.compile(r"(?<![\d.,+\-])[1-9] (?:people|person|listed|records|offences|plans|men|women|victims)\b")
FORCES = {"default force": {}, "tenth-size force": {"scale": 0.1}, "second programme": {"programme": "change-that-lasts"}}


@pytest.fixture(scope="module")
def quality(small_ds):
    rep = QualityReport(small_ds)
    rep.page_html = rep.html()
    return rep


@pytest.fixture(scope="module", params=list(FORCES))
def force(request):
    """The report of each force, rendered section by section as the notebook shows it."""
    rep = QualityReport(Snapshot(demo_dataset(**FORCES[request.param])))
    rep.shown = rep.sections()
    return rep


def _text(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    html = re.sub(r"<img[^>]*>", " ", html)
    return re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", html)).strip()


def _check_disclosure(rep: QualityReport) -> None:
    text = _text(rep.html())
    assert not SMALL_COUNT.search(text), SMALL_COUNT.findall(text)
    assert not ID_PATTERN.search(text)
    for t in rep.page.tables:
        for c in t.counts:
            v = pd.to_numeric(t.values[c], errors="coerce").dropna()
            assert not ((v > 0) & (v < rep.page.threshold)).any(), (t.name, c)
            assert (v % rep.page.rule.base == 0).all(), (t.name, c)


# ------------------------------------------------------------------------------------------ analysis before publication
FITTING = ("foundation_eval.models", "foundation_eval.ppit", "foundation_eval.impact", "foundation_eval.frames",
           "foundation_eval.stats", "foundation_eval.data", "foundation_eval.evaluation.quality", "scipy",
           "statsmodels", "lifelines", "sklearn")


def test_the_report_imports_no_estimator():
    import foundation_eval.reporting.quality_report as module

    source = inspect.getsource(module)
    tree = ast.parse(source)
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in imported if m.startswith(FITTING)], imported
    assert not re.search(r"wilson_interval|poisson|\.groupby\(|value_counts", source)


def test_every_section_reads_the_study_fitted_once(small_ds, monkeypatch):
    """After the snapshot's study is fitted, every computation of the study raises: every section still renders
    from the study, and a snapshot without it could not."""
    import foundation_eval.evaluation.quality as q

    snap = Snapshot(small_ds)
    study = snap.study("quality")  # as build_snapshot does, once

    def refuse(*args, **kwargs):
        raise AssertionError("the data-quality study was computed while the page was formatted")

    for name in ("fit_quality", "completeness", "monthly_records", "sparse_months", "consistency_checks",
                 "double_scoring"):
        monkeypatch.setattr(q, name, refuse)
    rep = QualityReport(snap)
    html = "".join(item.html() for item in rep.sections())
    assert rep.study is study and "Double scoring of the risk tool" in html and len(rep.page.tables) == 5
    with pytest.raises(AssertionError, match="computed while the page was formatted"):
        QualityReport(Snapshot(small_ds))  # the patch would catch a fit


def test_the_report_reads_no_table_of_a_written_snapshot(small_ds, tmp_path):
    studies = {name: None for name in STUDIES} | {"quality": fit_quality(small_ds)}
    folder = write_snapshot(Snapshot(small_ds, studies=studies), tmp_path / "snapshot")
    snap = open_snapshot(folder, "hiow")
    release_tables()
    assert isinstance(snap.studies["quality"], Path)  # the pickled study, read on first use
    rep = QualityReport(snap)
    assert "Technical appendix" in rep.html() and rep.page.audit().passed
    assert sorted(snap.dataset.tables.loaded) == []  # the page reads no table of the extract


# ------------------------------------------------------------------------------------------ the intruder audit
def test_the_page_passes_the_intruder_audit(force):
    result = force.page.audit()
    assert result.passed, result.failures[["table", "cell", "published", "candidates", "verdict"]]
    assert not result.unaudited, result.unaudited
    assert (result.cells.status == "rounded").sum() > 50
    _check_disclosure(force)


def test_every_share_is_worked_out_from_the_published_counts(force):
    rule = force.page.rule
    c = force.completeness_table
    for i in range(len(c.values)):
        blank, records = c.values.blank.iloc[i], c.values.records.iloc[i]
        if not c.suppressed.percent_blank.iloc[i]:
            assert c.values.percent_blank.iloc[i] == pytest.approx(100 * blank / records)
    if force.double_table is not None:
        from foundation_eval.stats import wilson_interval

        d = force.double_table.values
        for r in d.itertuples():
            if not pd.isna(r.percent):
                lo, hi = wilson_interval(r.double_scored, r.assessed)
                assert (r.percent, r.ci_low, r.ci_high) == pytest.approx((100 * r.double_scored / r.assessed,
                                                                           100 * lo, 100 * hi))
        exact = force.study.double_scoring.iloc[-1]
        share = rule.share(exact.double_scored, exact.assessed)
        summary = force.summary().html()
        assert f"{fmt.percent(share['pct'], scale=1)} of people assessed with the risk tool" in summary
        assert f"95% interval {fmt.percent(share['low'], scale=1)} to {fmt.percent(share['high'], scale=1)}" in summary


def test_the_chart_is_drawn_from_the_published_table_with_a_boxed_legend_outside(force, monkeypatch):
    captured = {}
    original = force.page.figure

    def figure(fig, alt, **kwargs):
        captured["fig"], captured["kwargs"] = fig, kwargs
        legend = fig.legends[0]
        captured["legend"] = (legend.get_frame_on(), [t.get_text() for t in legend.get_texts()],
                              legend.get_window_extent(fig.canvas.get_renderer()).y1,
                              min(ax.get_window_extent().y0 for ax in fig.axes if ax.get_visible()))
        captured["labels"] = fig._supxlabel.get_text(), fig._supylabel.get_text()
        return original(fig, alt, **kwargs)

    monkeypatch.setattr(force.page, "figure", figure)
    force.monthly_figure()
    assert captured["kwargs"]["data"] is force.monthly_table
    framed, texts, legend_top, lowest_axes = captured["legend"]
    assert framed and legend_top < lowest_axes  # boxed, below every chart
    assert texts[0] == "Records in the month (gaps: not published)" and all(t[:1].isupper() for t in texts)
    assert captured["labels"] == ("Month", "Records per month")  # a monthly chart


# ------------------------------------------------------------------------------------------ pages free of debris
def _contract_names(programme) -> set[str]:
    schemas = programme_schemas(programme)
    return set(schemas) | {f.name for s in schemas.values() for f in s.fields}


def test_sections_are_free_of_debris(force):
    items = force.shown
    sections = [s for s in items if isinstance(s, Section)]
    headings = [s.heading for s in sections]
    assert len(headings) == len(set(headings)) and "Summary" not in headings
    assert sections[-1] is items[-1] and sections[-1].heading == "Technical appendix"
    names = _contract_names(force.programme)
    for item in items[:-1]:
        html = re.sub(r"<style>.*?</style>", "", item.html(), flags=re.S)
        text = _text(html)
        assert "%%" not in text
        assert not re.search(r"\b(?:None|nan|NaN|NaT|inf)\b", text), text
        assert "foundation_eval" not in text and not re.search(r"\b[a-z]\w*\(", text), text
        code = set(re.findall(r"\b\w*_\w*\b", text)) - names  # the contract's own table and column names only
        assert not code, code
        labels = re.findall(r"<td>([^<]*)</td>", html) + re.findall(r"<(?:th|caption|h\d)[^>]*>([^<]*)<", html)
        labels += [re.sub("<[^>]+>", "", li) for li in re.findall(r"<li>(.*?)</li>", html)]
        if getattr(item, "heading", "") != "Provenance":  # the publication layer's block of values as they are
            assert not [x for x in labels if x[:1].islower()], labels  # sentence case
    appendix = items[-1].html()
    assert "foundation_eval.evaluation.quality.fit_quality" in appendix and "sparse_months(width=3" in appendix


def test_headings_and_prose_come_from_the_sections(quality):
    page = quality.page_html
    assert page.count("<figure") == 1 and 'alt="Small line charts' in page
    for heading in ("Summary", "What validation said", "Completeness", "Records per month", "Records worth checking",
                    "Double scoring of the risk tool", "Methods", "Disclosure control", "Provenance",
                    "Technical appendix"):
        assert f">{heading}<" in page, heading
    assert "No warnings" in page


# ------------------------------------------------------------------------------------------ content
def test_summary_sentences_carry_numbers_and_an_interval(quality, small_ds):
    s = [x.plain for x in quality.summary_sentences()]
    assert 3 <= len(s) <= 6
    text = " ".join(s)
    rule = quality.page.rule
    assert f"{rule.publish(len(small_ds.people)):,} people" in text and "95% interval" in text
    d = double_scoring(small_ds).iloc[-1]
    share = rule.share(d.double_scored, d.assessed)  # from the rounded counts, as the table publishes it
    assert f"{fmt.percent(share['pct'], scale=1)} of people assessed with the risk tool" in text


def test_sparse_months_in_the_methods_follow_the_rule(quality):
    rule = quality.study.sparse_rule
    text = quality.methods().html()
    assert f"below {fmt.percent(rule['ratio'])} of the typical count" in text
    assert f"the {fmt.number_word(rule['width'])} months before" in text


def test_completeness_counts_blank_optional_columns(quality, small_ds):
    c = quality.study.completeness.set_index(["table", "column"])
    ref = small_ds.referrals
    assert c.at[("referrals", "started_date"), "blank"] == ref.started_date.isna().sum()
    shown = quality.completeness_table.values
    row = shown[shown.column.str.endswith("(started_date)")].iloc[0]
    assert row.column == "Date the person started the service (started_date)" and row.table == "Referrals"
    assert row.blank == quality.page.rule.publish(ref.started_date.isna().sum())


@pytest.fixture(scope="module")
def damaged(small_dir, tmp_path_factory):
    """A valid extract with planted problems the contract allows: a month of contacts mostly missing,
    contacts with never-listed people, non-DA offences naming a victim and an extra column."""
    import shutil

    dest = tmp_path_factory.mktemp("damaged") / "extract"
    shutil.copytree(small_dir, dest)
    (dest / "truth.json").unlink()
    con = pd.read_csv(dest / "contacts.csv", dtype=str, keep_default_na=False)
    month = con.contact_date.str[:7]
    busiest = month.value_counts().index[0]
    in_month = con.index[month == busiest]
    keep = set(in_month[: max(1, len(in_month) // 10)])
    con = con[(month != busiest) | con.index.isin(keep)]
    scr = pd.read_csv(dest / "screening.csv", dtype=str, keep_default_na=False)
    ex = pd.read_csv(dest / "exits.csv", dtype=str, keep_default_na=False)
    never = sorted(set(scr.person_id) - set(scr[scr.listed == "true"].person_id) - set(ex.person_id))[:3]
    extra = con.iloc[:3].copy()
    extra["person_id"] = never
    extra["contact_id"] = ["CFFFFFFFF0", "CFFFFFFFF1", "CFFFFFFFF2"]
    pd.concat([con, extra]).to_csv(dest / "contacts.csv", index=False)
    off = pd.read_csv(dest / "offences.csv", dtype=str, keep_default_na=False)
    nda = off.index[off.da_flag == "false"][:12]
    off.loc[nda, "victim_id"] = "V00000000"
    off["officer_notes"] = ""
    off.to_csv(dest / "offences.csv", index=False)
    return {"ds": load_dataset(dest), "month": busiest, "never": never}


def test_damaged_extract_is_reported(damaged):
    ds = damaged["ds"]
    rep = QualityReport(ds)
    sp = rep.sparse_table.values
    assert ((sp.table == "Contacts") & (sp.month == damaged["month"])).any()
    assert set(sp["where"]) <= {"Gap", "Latest months", "First months"}
    checks = consistency_checks(ds).set_index("check")
    assert checks.at["Contacts with people never listed", "records"] == 3
    assert checks.at["Contacts with people never listed", "people"] == 3
    assert checks.at["Offences with a victim but no domestic-abuse flag", "records"] == 12
    # published: 3 is below the threshold and is withheld; 12 is rounded to 10
    pub = rep.checks_table.values.set_index("check")
    assert pd.isna(pub.at["Contacts with people never listed", "records"])
    assert pub.at["Offences with a victim but no domestic-abuse flag", "records"] == 10
    assert len(ds.warnings) == 1 and "officer_notes" in rep.validation().html()
    summary = [x.plain for x in rep.summary_sentences()]
    assert "with one warning, listed below" in summary[0]
    month = pd.Period(damaged["month"], "M").strftime("%B %Y")
    assert f"contacts in {month}" in " ".join(summary)
    html = rep.html()
    assert not ID_PATTERN.search(_text(html))
    _check_disclosure(rep)
    # the sparse month's records are the monthly table's cell: withheld with it, and one quantity to the audit
    mt = rep.monthly_table
    for r in sp.itertuples():
        j = mt.values.index[(mt.values.table == r.table) & (mt.values.month == r.month)][0]
        assert pd.isna(r.records) == bool(mt.suppressed.records.iloc[j])
        if not pd.isna(r.records):
            assert r.records == mt.values.records.iloc[j]
    result = rep.page.audit()
    assert result.passed and not result.unaudited


def test_monthly_table_covers_the_study_period(quality, small_ds):
    m = quality.monthly_table.values
    scr = m[m.table == "Monthly screening"]
    assert len(scr) == len(small_ds.programme.months)
    assert list(scr.month) == [str(p) for p in small_ds.programme.months]


def test_every_published_table_passes_disclosure_control(quality):
    assert {t.name for t in quality.page.tables} == {"completeness", "monthly_records", "sparse_months",
                                                      "consistency_checks", "double_scoring"}
    _check_disclosure(quality)
    assert "birth" not in _text(quality.page_html).replace(quality.page.rule.text(), "").lower()


def test_workbook_holds_numbers(quality, tmp_path):
    from openpyxl import load_workbook

    wb = load_workbook(quality.page.write_workbook(tmp_path / "quality.xlsx"))
    tables = {t.title: t for t in quality.page.tables}
    for row in wb["Contents"].iter_rows(min_row=4):
        t, ws = tables[row[1].value], wb[row[0].value]
        for j, c in enumerate(t.values.columns, start=1):
            if t.kinds.get(c, "text") != "text":
                for i in range(len(t.values)):
                    v = ws.cell(4 + i, j).value
                    assert v is None or v == "[c]" or isinstance(v, int | float), (t.title, c, v)


def test_a_programme_without_a_risk_tool(tmp_path):
    rep = QualityReport(demo_dataset("change-that-lasts"))
    html = rep.html()
    assert "defines no risk tool" in html and "double_scoring" not in {t.name for t in rep.page.tables}
    assert "Risk management plans" not in set(rep.checks_table.values.table)
    assert len(rep.summary_sentences()) >= 3


def test_a_snapshot_or_a_dataset_gives_the_same_page(small_ds):
    a, b = QualityReport(small_ds), QualityReport(Snapshot(small_ds))
    assert [x.plain for x in a.summary_sentences()] == [x.plain for x in b.summary_sentences()]


@pytest.mark.slow
def test_data_quality_notebook_executes(small_dir, tmp_path):
    import papermill as pm

    from foundation_eval.reporting.render import notebook_dir

    out = tmp_path / "data_quality.ipynb"
    nb = pm.execute_notebook(str(notebook_dir() / "data_quality.ipynb"), str(out),
                             parameters={"snapshot_dir": str(small_dir), "programme": "hiow",
                                         "workbook_path": str(tmp_path / "quality.xlsx")},
                             kernel_name="python3", progress_bar=False)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not any(o.get("output_type") == "error" for o in outputs)
    assert all(o.get("output_type") == "display_data" for o in outputs), "only what show() displays"
    html_out = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "Summary" in html_out and "data:image/png;base64" in html_out
    body, appendix = html_out.split("<h2>Technical appendix</h2>")
    assert "foundation_eval" not in _text(body) and "fit_quality" in appendix
    assert not ID_PATTERN.search(_text(html_out))
    assert (tmp_path / "quality.xlsx").exists()
