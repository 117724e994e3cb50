"""Data-quality report: completeness, sparse months, suspicious records, warnings, double scoring."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from foundation_eval.data import synth
from foundation_eval.data.load import load_dataset
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting.quality_report import (
    QualityReport,
    completeness,
    consistency_checks,
    double_scoring,
    monthly_records,
    sparse_months,
)
from foundation_eval.stats import wilson_interval

ID_PATTERN = re.compile(r"[PVOCAFMR][0-9A-F]{8,16}")
SMALL_COUNT = re.compile(r"(?<![\d.,+\-])[1-9] (?:people|person|listed|records|offences|plans|men|women|victims)\b")


@pytest.fixture(scope="module")
def quality(small_ds):
    rep = QualityReport(small_ds)
    rep.page_html = rep.html()
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


def test_sections_render(quality):
    page = quality.page_html
    assert page.count("<figure") == 1 and 'alt="Small line charts' in page
    for heading in ("Summary", "What validation said", "Completeness", "Records per month", "Records worth checking",
                    "Double scoring", "Methods", "Disclosure control", "Provenance"):
        assert heading in page
    assert "No warnings" in page


def test_summary_sentences_carry_numbers_and_an_interval(quality, small_ds):
    s = [x.plain for x in quality.summary_sentences()]
    assert 3 <= len(s) <= 6
    text = " ".join(s)
    rule = quality.page.rule
    assert f"{rule.publish(len(small_ds.people)):,} people" in text and "95% interval" in text
    pp = small_ds.ppit_assessments
    first = set(pp[pp.rating == "first"].person_id)
    k = len(first & set(pp[pp.rating == "second"].person_id))
    lo, hi = wilson_interval(k, len(first))
    assert f"{fmt.percent(k / len(first))} of people assessed with the risk tool" in text
    assert f"95% interval {fmt.percent(lo)} to {fmt.percent(hi)}" in text


def test_sparse_months_in_the_methods_follow_the_rule(quality):
    from foundation_eval.reporting.quality_report import SPARSE_RULE

    text = quality.methods().html()
    assert f"below {fmt.percent(SPARSE_RULE['ratio'])} of the typical count" in text
    assert f"the {fmt.number_word(SPARSE_RULE['width'])} months before" in text


def test_completeness_counts_blank_optional_columns(small_ds):
    c = completeness(small_ds).set_index(["table", "column"])
    ref = small_ds.referrals
    assert c.at[("referrals", "started_date"), "blank"] == ref.started_date.isna().sum()
    assert c.at[("referrals", "started_date"), "percent_blank"] == pytest.approx(100 * ref.started_date.isna().mean())
    assert ("offences", "victim_id") in c.index
    assert ("people", "person_id") not in c.index  # required: never blank, so not listed


def test_sparse_months_rule():
    months = pd.period_range("2022-01", periods=14, freq="M")
    counts = pd.Series([0, 0, 0, 0, 100, 104, 98, 12, 101, 99, 103, 97, 100, 40], index=months)
    flagged = sparse_months(counts).set_index("month")
    assert pd.Period("2022-08", "M") in flagged.index and flagged.at[pd.Period("2022-08", "M"), "where"] == "gap"
    assert flagged.at[pd.Period("2023-02", "M"), "where"] == "latest months"
    # the step up at go-live (months of zeros before it) is not a gap
    assert not any(m <= pd.Period("2022-05", "M") for m in flagged.index)
    # small tables: ordinary noise is not flagged
    noisy = pd.Series([11, 12, 9, 5, 13, 10, 12], index=months[:7])
    assert sparse_months(noisy).empty


def test_damaged_extract_is_reported(damaged):
    ds = damaged["ds"]
    rep = QualityReport(ds)
    sp = rep.sparse_table.values
    assert ((sp.table == "Contacts") & (sp.month == damaged["month"])).any()
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
    assert not ID_PATTERN.search(_text(rep.html()))
    assert damaged["month"] in " ".join(summary)
    _check_disclosure(rep)


def test_double_scoring_by_year(small_ds):
    d = double_scoring(small_ds).set_index("year")
    pp = small_ds.ppit_assessments
    first = pp[pp.rating == "first"]
    assert d.at["All", "assessed"] == first.person_id.nunique()
    assert d.drop(index="All").assessed.sum() == d.at["All", "assessed"]
    assert d.drop(index="All").double_scored.sum() == d.at["All", "double_scored"]


def test_monthly_records_cover_the_study_period(small_ds):
    m = monthly_records(small_ds)
    scr = m[m.table == "screening"]
    assert len(scr) == len(small_ds.programme.months)
    assert scr.records.sum() == len(small_ds.screening)


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


@pytest.mark.parametrize("programme, scale", [("hiow", 0.1), ("change-that-lasts", 0.3)])
def test_small_force_and_second_programme_render(programme, scale, tmp_path):
    folder = synth.write(synth.generate(programme, seed=1, scale=scale), tmp_path)
    rep = QualityReport(load_dataset(folder, programme))
    html = rep.html()
    _check_disclosure(rep)
    assert "Records per month" in html and len(rep.summary_sentences()) >= 3
    if programme == "change-that-lasts":
        assert "defines no risk tool" in html and "double_scoring" not in {t.name for t in rep.page.tables}


def test_a_snapshot_or_a_dataset_gives_the_same_page(small_ds):
    from foundation_eval.evaluation.snapshot import Snapshot

    a, b = QualityReport(small_ds), QualityReport(Snapshot(small_ds))
    assert [x.plain for x in a.summary_sentences()] == [x.plain for x in b.summary_sentences()]


@pytest.mark.slow
def test_data_quality_notebook_executes(small_dir, tmp_path):
    import papermill as pm

    from foundation_eval.reporting.render import notebook_dir

    out = tmp_path / "data_quality.ipynb"
    nb = pm.execute_notebook(str(notebook_dir() / "data_quality.ipynb"), str(out),
                             parameters={"data_dir": str(small_dir), "programme": "hiow",
                                         "workbook_path": str(tmp_path / "quality.xlsx")},
                             kernel_name="python3", progress_bar=False)
    html_out = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", []))
    assert "Summary" in html_out and "data:image/png;base64" in html_out
    assert not ID_PATTERN.search(_text(html_out))
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    assert (tmp_path / "quality.xlsx").exists()
