"""The publication layer: the disclosure rule on tables and sentences, number formats, workbooks."""
from __future__ import annotations

import doctest
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from foundation_eval.evaluation.estimates import Estimate
from foundation_eval.reporting import formats
from foundation_eval.reporting.publication import Page, Rule


def test_format_examples():
    assert doctest.testmod(formats).failed == 0


@pytest.mark.parametrize("n, out", [(0, 0), (3, None), (9, None), (10, 10), (12, 10), (13, 15), (76, 75), (1444, 1445)])
def test_counts_are_rounded_and_small_ones_withheld(n, out):
    assert Rule(10, 5).publish(n) == out


def test_exact_counts_with_base_one():
    assert Rule(10, 1).publish(76) == 76 and Rule(10, 1).publish(9) is None


def _page(threshold=10, base=5, estimates=(), unavailable=None):
    prog = SimpleNamespace(disclosure_threshold=threshold, disclosure_rounding=base, name="Test programme", id="test",
                           illustrative=True, currency="GBP")
    snap = SimpleNamespace(programme=prog, dataset=SimpleNamespace(data_hash="abc"), unavailable=unavailable or {},
                           estimate=lambda name: next((e for e in estimates if e.name == name), None))
    return Page(snap, "Area", kind="District report", parameters={"district": "A"})


def test_a_sentence_never_states_a_small_count():
    page = _page()
    for n in range(1, 10):
        text = page.say("{{ n | count }} were listed and {{ k | count('offences') }} recorded.", n=n, k=n).plain
        assert not re.search(r"\b[1-9]\b", text), text
        assert "fewer than 10 people" in text and "fewer than 10 offences" in text
    assert page.say("{{ n | count }} engaged.", n=76).plain == "75 people engaged."


def test_prose_with_digits_must_go_through_a_template():
    with pytest.raises(ValueError, match="Page.say"):
        _page().paragraph("There were 7 people.")


def test_table_suppresses_rounds_and_withholds_derived_values():
    page = _page()
    f = pd.DataFrame({"group": ["a", "b", "c"], "n": [76, 7, 31], "percent": [66.7, 6.1, 27.2]})
    t = page.table("t", f, title="Who", counts={"n": ["percent"]}, kinds={"percent": "percent"},
                   headings={"group": "Group", "n": "People", "percent": "Percent"})
    shown = t.display()
    assert list(shown.columns) == ["Group", "People", "Percent"]
    # the small cell and the next smallest are hidden (the total would reveal it); the rest rounded
    assert shown.People.tolist() == ["75", "[c]", "[c]"]
    assert shown.Percent.tolist() == ["67%", "[c]", "[c]"]
    assert "[c]: not published" in t.html()
    assert page.tables == [t]


def test_hidden_count_cannot_be_recovered_by_subtraction_across_tables():
    """Listed 76 and assessed 71 published beside a hidden 'not assessed' (5): rounding to 5 leaves the
    difference 75 - 70 = 5 consistent with any hidden value from 1 to 9."""
    page = _page()
    funnel = page.table("funnel", pd.DataFrame({"stage": ["listed", "assessed"], "n": [76, 71]}), title="Funnel",
                        counts=["n"], additive=False)
    t1 = page.table("t1", pd.DataFrame({"assessed": ["yes", "no"], "n": [71, 5]}), title="Table 1", counts=["n"])
    listed, assessed = funnel.values.n.tolist()
    assert t1.suppressed.n.tolist() == [True, True]
    assert listed % 5 == 0 and assessed % 5 == 0
    # every true value consistent with the published ones: at least two candidates for the hidden cell
    candidates = {(x - a) for x in range(int(listed) - 2, int(listed) + 3) for a in range(int(assessed) - 2, int(assessed) + 3)}
    assert len({c for c in candidates if 1 <= c <= 9}) > 1


def test_share_withholds_small_complements():
    r = Rule(10, 5)
    assert r.share(71, 76)["pct"] is None  # 5 not assessed would be revealed
    s = r.share(35, 76)
    assert s["k"] == 35 and s["n"] == 75 and s["pct"] == pytest.approx(100 * 35 / 75)  # from the published counts


def test_estimate_view_reads_the_snapshot_value_and_marks_it():
    e = Estimate("reoffending_hr_programme", 0.783889, 0.631322, 0.973327, "Cox", 3)
    page = _page(estimates=(e,))
    v = page.estimate("reoffending_hr_programme")
    assert v.text == "0.78 (95% interval 0.63 to 0.97)"
    assert "data-estimate='0.783889'" in v.html() and v.excludes_no_effect() and v.direction() == -1
    missing = page.estimate("did_att_da_rate")
    assert not missing.available and missing.text == "not available"


def test_workbook_cells_are_numbers_with_formats(tmp_path):
    from openpyxl import load_workbook

    page = _page()
    f = pd.DataFrame({"stage": ["Listed", "Engaged"], "n": [1444, 700], "percent": [100.0, 48.5],
                      "rate": [0.1234, np.nan]})
    page.table("funnel", f, title="From listing to a completed service: a long title that does not fit a sheet name",
               counts={"n": ["percent"]}, kinds={"percent": "percent", "rate": "decimal2"}, additive=False,
               headings={"stage": "Stage", "n": "People", "percent": "% of listed", "rate": "Rate"})
    path = page.write_workbook(tmp_path / "r.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Contents", "Table 1", "Notes"]
    assert wb["Contents"]["B4"].value.startswith("From listing to a completed service: a long title")
    ws = wb["Table 1"]
    assert [c.value for c in ws[3]] == ["Stage", "People", "% of listed", "Rate"]
    assert ws["B4"].value == 1445 and ws["B4"].number_format == "#,##0"
    assert ws["C5"].value == pytest.approx(0.48) and ws["C5"].number_format == "0%"  # whole percent, as shown
    assert ws["D4"].value == 0.12 and ws["D5"].value is None  # as the page prints it, no finer
    notes = {r[0].value: r[1].value for r in wb["Notes"].iter_rows(min_row=3)}
    assert "rounded to the nearest 5" in notes["Disclosure control"]


def test_two_columns_may_not_share_a_heading():
    with pytest.raises(ValueError, match="share the heading 'People'"):
        _page().table("t", pd.DataFrame({"a": [10], "b": [20]}), title="T", counts=["a", "b"],
                      headings={"a": "People", "b": "People"})


def test_an_interval_cut_to_the_possible_risk_difference_says_so():
    from foundation_eval.reporting.publication import EstimateView

    cut = EstimateView("reoffending_12m_rd_programme", "Cohorts", "points", -0.545, -1.0, 0.603)
    assert cut.text == "-54.5 percentage points (95% interval -100.0 to +60.3, cut to the possible range)"
    inside = EstimateView("reoffending_12m_rd_programme", "Cohorts", "points", -0.113, -0.225, -0.001)
    assert inside.text.endswith("to -0.1)") and "cut" not in inside.text

    # the evaluation page's summary line of a supporting result says it the same way
    from types import SimpleNamespace

    from foundation_eval.reporting.evaluation_report import EvaluationReport

    line = EvaluationReport._display(None, SimpleNamespace(unit="percentage points", estimate=-54.5, ci_low=-100.0,
                                                           ci_high=60.3))
    assert line == "-54.5 percentage points (95% interval -100.0 to +60.3, cut to the possible range)"
