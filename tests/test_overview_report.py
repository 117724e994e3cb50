"""Force overview for the commissioner: funnel plots, commissioning outcomes, pillars, headline estimates."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from foundation_eval.evaluation.estimates import Estimate
from foundation_eval.reporting.disclosure import rule_text, unsafe_cells
from foundation_eval.reporting.overview_report import COMMISSIONING_OUTCOMES, OverviewReport, share
from foundation_eval.stats import wilson_interval

ID_PATTERN = re.compile(r"[PVOCAFMR][0-9A-F]{8,9}")


@pytest.fixture(scope="module")
def overview(small_ds):
    return OverviewReport(small_ds)


@pytest.fixture(scope="module")
def page(overview):
    parts = [overview.title(), overview.summary(), overview.how_to_read()]
    parts += [overview.funnel_section(k) for k in ("engagement", "referral", "reoffending")]
    parts += [overview.outcomes_section(), overview.pillars_section(), overview.estimates_section(),
              overview.methods(), overview.disclosure(), overview.provenance()]
    return "".join(parts)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", html)).strip()


def test_sections_render_with_figures_and_alt_text(page):
    assert page.count("data:image/png;base64") == 4  # three funnel plots and the pillars chart
    assert page.count('alt="Funnel plot') == 3
    for heading in ("Summary", "How to read a funnel plot", "Commissioning outcomes", "four pillars",
                    "Headline estimates", "Methods", "Disclosure control", "Provenance"):
        assert heading in page
    assert "league table" not in page.lower() or "not ranked" in page
    assert "Traceback" not in page


def test_summary_sentences_carry_numbers_and_intervals(overview):
    sentences = overview.summary_sentences()
    assert 3 <= len(sentences) <= 6
    text = " ".join(sentences)
    assert text.count("95% interval") >= 3
    assert re.search(r"\d+% of them engaged", text)
    assert "Maryland Scientific Methods Scale level 2" in text
    # the engagement share in the first sentence is the Wilson estimate over all listed people
    f = overview.engaged_in_window
    k, n = int(f.engaged.sum()), len(f)
    lo, hi = wilson_interval(k, n)
    assert f"{100 * k / n:.0f}% of them engaged" in sentences[0]
    assert f"95% interval {100 * lo:.0f}% to {100 * hi:.0f}%" in sentences[0]


def test_no_identifier_or_birth_date_reaches_the_page(page, overview):
    assert not ID_PATTERN.search(page)
    # "date of birth" appears only in the statement of the disclosure rule
    assert "birth" not in page.replace(rule_text(overview.threshold), "").lower()


def test_every_published_table_passes_disclosure_control(overview):
    tables = overview.published_tables()
    assert {"funnel_engagement", "funnel_referral", "funnel_reoffending", "commissioning_outcomes", "rmp_pillars",
            "headline_estimates"} <= set(tables)
    for name, pub in tables.items():
        shown = pub.protected.table.reset_index(drop=True)
        assert unsafe_cells(shown, overview.threshold, list(pub.counts)).empty, name
        shown_text = pub.display().to_string()
        assert not ID_PATTERN.search(shown_text), name


def test_funnel_tables_and_plots_withhold_the_same_districts(overview):
    for key, (_title, _measure, res, prot, shown, _base) in overview.funnels.items():
        t = prot.table
        hidden = set(t.unit[t.n.isna()])
        assert hidden == set(shown.withheld), key
        assert len(hidden) != 1  # a single withheld district could be recovered from the force total
        raw = res.table().set_index("unit")
        for unit in hidden:
            k, n = raw.at[unit, "k"], raw.at[unit, "n"]
            small = n < 10 or 0 < k < 10 or 0 < n - k < 10
            assert small or len(hidden) >= 2
        # a shown district's count is its real count
        for _, row in t[t.n.notna()].iterrows():
            assert row.k == raw.at[row.unit, "k"] and row.n == raw.at[row.unit, "n"]
        # the force average drawn is the pooled proportion over every district, withheld or not
        assert res.target == pytest.approx(raw.k.sum() / raw.n.sum())


def test_funnel_sentence_names_districts_outside_the_limits(overview):
    text = overview._funnel_sentence()
    outside = {k: v[4].outside() for k, v in overview.funnels.items() if v[4] is not None}
    for names in outside.values():
        for name in names:
            assert name in text
    if not any(outside.values()):
        assert "within the 99.8% control limits" in text


def test_commissioning_outcomes_are_all_mapped(overview, small_ds):
    rows = overview.outcome_rows
    assert list(dict.fromkeys(rows.outcome)) == list(COMMISSIONING_OUTCOMES)
    assert rows.evidence.str.startswith("Proxy").any() and rows.evidence.str.startswith("Direct").any()
    # a real value: listed people with a risk management plan after listing
    listed = overview.listed
    rmp = small_ds.rmps.merge(listed[["person_id", "index_date"]], on="person_id")
    k = rmp[rmp.rmp_date >= rmp.index_date].person_id.nunique()
    row = rows[rows.measure == "Listed people with a risk management plan"].iloc[0]
    assert row.people == k and row.base == len(listed)
    assert row.estimate == pytest.approx(100 * k / len(listed))
    assert "proxies" in overview.outcomes_section()


def test_rmp_pillars_match_the_plans(overview):
    plans = overview.plans
    t = overview.pillars_table.protected.table.set_index("pillar")
    for col, label in (("supervision", "Supervision"), ("victim_safety", "Victim safety")):
        k, n = int(plans[col].astype(bool).sum()), len(plans)
        lo, hi = wilson_interval(k, n)
        if pd.notna(t.at[label, "percent"]):
            assert t.at[label, "percent"] == pytest.approx(100 * k / n)
            assert t.at[label, "ci_low"] == pytest.approx(100 * lo) and t.at[label, "ci_high"] == pytest.approx(100 * hi)
    assert "All four pillars" in t.index


def test_headline_estimates_table_uses_given_estimates(small_ds):
    given = [Estimate("reoffending_12m_rd_programme", -0.05, -0.12, 0.02, design="Test design", sms_level=2, n=300),
             Estimate("ppit_icc2_total", 0.8, 0.7, 0.9, design="Reliability", sms_level=None, n=6)]
    rep = OverviewReport(small_ds, estimates=given)
    t = rep.estimates_table.protected.table.set_index("name")
    assert t.at["reoffending_12m_rd_programme", "estimate"] == pytest.approx(-5.0)
    assert t.at["reoffending_12m_rd_programme", "sms_level"] == "level 2"
    assert t.at["reoffending_12m_rd_programme", "design"] == "Test design"
    # an estimate resting on fewer people than the threshold is withheld with its interval
    assert pd.isna(t.at["ppit_icc2_total", "n"]) and pd.isna(t.at["ppit_icc2_total", "estimate"])
    sentence = [s for s in rep.summary_sentences() if "eligible before" in s][0]
    assert "5.0 percentage points lower" in sentence and "includes no difference" in sentence
    assert "Caveat" in rep.estimates_section()


def test_share_withholds_small_groups():
    assert share(5, 100, 10)["pct"] is None
    assert share(95, 100, 10)["pct"] is None  # the 5 without the outcome are a small group too
    assert share(0, 100, 10)["pct"] == 0
    s = share(30, 100, 10)
    assert s["pct"] == pytest.approx(30) and s["low"] == pytest.approx(100 * wilson_interval(30, 100)[0])


def test_provenance_and_disclosure(overview, small_ds):
    prov = overview.provenance()
    assert small_ds.data_hash in prov and "foundation-eval version" in prov and "period_start" in prov
    assert "suppressed" in overview.disclosure()


@pytest.mark.slow
def test_force_overview_notebook_executes(small_dir, tmp_path):
    import papermill as pm

    from foundation_eval.reporting.render import notebook_dir

    out = tmp_path / "force_overview.ipynb"
    workbook = tmp_path / "overview.xlsx"
    nb = pm.execute_notebook(str(notebook_dir() / "force_overview.ipynb"), str(out),
                             parameters={"data_dir": str(small_dir), "programme": "hiow", "period_start": "",
                                         "period_end": "", "workbook_path": str(workbook)},
                             kernel_name="python3", progress_bar=False)
    html_out = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", []))
    assert "Summary" in html_out and html_out.count("data:image/png;base64") == 4
    assert not ID_PATTERN.search(html_out)
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    assert workbook.exists()


def test_reports_run_without_optional_tables(extract_copy):
    from foundation_eval.data.load import load_dataset
    from foundation_eval.reporting.quality_report import QualityReport

    for name in ("rmps", "referrals", "ppit_assessments"):
        (extract_copy / f"{name}.csv").unlink()
    ds = load_dataset(extract_copy)
    rep = OverviewReport(ds)
    assert rep.absent == {"rmps", "referrals", "ppit_assessments"}
    assert "no referrals table" in rep.funnel_section("referral")
    assert "referrals are not recorded" in rep.summary_sentences()[1]
    assert not rep.outcome_rows.measure.str.contains("risk management plan").any()
    assert "ppit_auc_12m" in rep.estimate_failures and "Not estimable" in rep.estimates_section()
    assert 3 <= len(rep.summary_sentences()) <= 6
    q = QualityReport(ds)
    assert "not in this extract" in q.summary_sentences()[-1]
    assert "Referrals" not in set(q.checks.protected.table.table)
    assert len(q.summary_sentences()) >= 3 and q.monthly_section()
