"""Data-quality report: completeness, sparse months, suspicious records, warnings, double scoring."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from foundation_eval.data.load import load_dataset
from foundation_eval.reporting.disclosure import rule_text, unsafe_cells
from foundation_eval.reporting.quality_report import (
    QualityReport,
    completeness,
    consistency_checks,
    double_scoring,
    monthly_records,
    sparse_months,
)
from foundation_eval.stats import wilson_interval

ID_PATTERN = re.compile(r"[PVOCAFMR][0-9A-F]{8,9}")


@pytest.fixture(scope="module")
def quality(small_ds):
    return QualityReport(small_ds)


def _page(rep: QualityReport) -> str:
    return "".join([rep.title(), rep.summary(), rep.validation_section(), rep.completeness_section(),
                    rep.monthly_section(), rep.checks_section(), rep.double_scoring_section(), rep.methods(),
                    rep.disclosure(), rep.provenance()])


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
    page = _page(quality)
    assert page.count("data:image/png;base64") == 1 and 'alt="Small line charts' in page
    for heading in ("Summary", "What validation said", "Completeness", "Records per month", "Records worth checking",
                    "Double scoring", "Methods", "Disclosure control", "Provenance"):
        assert heading in page
    assert "No warnings" in page


def test_summary_sentences_carry_numbers_and_an_interval(quality, small_ds):
    s = quality.summary_sentences()
    assert 3 <= len(s) <= 6
    text = " ".join(s)
    assert f"{len(small_ds.people):,} people" in text and "95% interval" in text
    pp = small_ds.ppit_assessments
    first = set(pp[pp.rating == "first"].person_id)
    k = len(first & set(pp[pp.rating == "second"].person_id))
    lo, hi = wilson_interval(k, len(first))
    assert f"{100 * k / len(first):.1f}% of people assessed" in text
    assert f"95% interval {100 * lo:.1f}% to {100 * hi:.1f}%" in text


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
    sp = rep.sparse.protected.table
    assert ((sp.table == "Contacts") & (sp.month == damaged["month"])).any()
    checks = consistency_checks(ds).set_index("check")
    assert checks.at["Contacts with people never listed", "records"] == 3
    assert checks.at["Contacts with people never listed", "people"] == 3
    assert checks.at["Offences with a victim but no domestic-abuse flag", "records"] == 12
    # published: 3 is below the threshold and is withheld
    pub = rep.checks.protected.table.set_index("check")
    assert pd.isna(pub.at["Contacts with people never listed", "records"])
    assert pub.at["Offences with a victim but no domestic-abuse flag", "records"] == 12
    assert len(ds.warnings) == 1 and "officer_notes" in rep.validation_section()
    assert "1 warning" in rep.summary_sentences()[0]
    page = _page(rep)
    assert not ID_PATTERN.search(page)
    assert damaged["month"] in " ".join(rep.summary_sentences())


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
    for name, pub in quality.published_tables().items():
        shown = pub.protected.table.reset_index(drop=True)
        assert unsafe_cells(shown, quality.threshold, list(pub.counts)).empty, name
        assert not ID_PATTERN.search(pub.display().to_string()), name
    page = _page(quality)
    assert not ID_PATTERN.search(page)
    assert "birth" not in page.replace(rule_text(quality.threshold), "").lower()


@pytest.mark.slow
def test_data_quality_notebook_executes(small_dir, tmp_path):
    import papermill as pm

    from foundation_eval.reporting.render import notebook_dir

    out = tmp_path / "data_quality.ipynb"
    nb = pm.execute_notebook(str(notebook_dir() / "data_quality.ipynb"), str(out),
                             parameters={"data_dir": str(small_dir), "programme": "hiow"},
                             kernel_name="python3", progress_bar=False)
    html_out = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", []))
    assert "Summary" in html_out and "data:image/png;base64" in html_out
    assert not ID_PATTERN.search(html_out)
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
