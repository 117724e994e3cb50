import numpy as np
import pandas as pd
import pytest

from foundation_eval.reporting.disclosure import (
    SUPPRESSED,
    protect,
    protect_crosstab,
    rule_text,
    unsafe_cells,
)


def test_primary_and_secondary_suppression_within_groups():
    t = pd.DataFrame({
        "characteristic": ["Sex"] * 3 + ["Age"] * 3,
        "category": ["male", "female", "unknown", "18-21", "22-25", "26-30"],
        "n": [120, 4, 0, 40, 50, 38],
        "percent": [96.8, 3.2, 0.0, 31.3, 39.1, 29.7],
    })
    p = protect(t, {"n": ["percent"]}, threshold=10, additive_within="characteristic")
    shown = p.display()
    # 4 is primary; the group has one hidden cell, so the smallest other non-zero (120) is hidden too
    assert shown.n.tolist() == [SUPPRESSED, SUPPRESSED, "0", "40", "50", "38"]
    assert shown.percent.tolist()[:2] == [SUPPRESSED, SUPPRESSED]
    assert p.n_primary == 1 and p.n_secondary == 1
    assert np.isnan(p.table.n[0]) and p.table.n[3] == 40


def test_two_small_cells_need_no_secondary():
    t = pd.DataFrame({"g": ["a", "b", "c"], "n": [3, 5, 100]})
    p = protect(t, ["n"], threshold=10)
    assert p.suppressed.n.tolist() == [True, True, False]
    assert p.n_secondary == 0


def test_nested_counts_are_not_secondary_suppressed():
    t = pd.DataFrame({"stage": ["listed", "engaged", "completed"], "n": [50, 20, 4], "percent": [100, 40, 8]})
    p = protect(t, {"n": ["percent"]}, threshold=10, additive=False)
    assert p.suppressed.n.tolist() == [False, False, True]
    assert p.suppressed.percent.tolist() == [False, False, True]


def test_crosstab_rows_and_columns_cannot_reveal_hidden_cells():
    counts = pd.DataFrame([[20, 3, 30], [25, 40, 50], [60, 45, 12]], index=list("xyz"), columns=list("abc"))
    p = protect_crosstab(counts, threshold=10)
    h = p.suppressed.loc[list("xyz"), list("abc")].to_numpy()
    assert h[0, 1]  # primary
    for i in range(3):
        assert h[i].sum() != 1
        assert h[:, i].sum() != 1
    assert p.table.loc["Total", "Total"] == counts.to_numpy().sum()
    assert unsafe_cells(p.table.loc[list("xyz"), list("abc")].reset_index(drop=True), 10, list("abc")).empty


def test_threshold_is_configurable_and_rule_is_stated():
    t = pd.DataFrame({"g": ["a", "b"], "n": [12, 30]})
    assert not protect(t, ["n"], threshold=10).suppressed.n.any()
    assert protect(t, ["n"], threshold=15).suppressed.n.tolist() == [True, True]
    assert "1 to 9" in rule_text(10) and SUPPRESSED in rule_text(10)
    with pytest.raises(KeyError):
        protect(t, ["missing"])


def test_unsafe_cells_finds_small_counts():
    t = pd.DataFrame({"n": pd.array([0, 5, 10, 11], dtype="Int64")})
    hits = unsafe_cells(t, 10)
    assert hits.value.tolist() == [5]
