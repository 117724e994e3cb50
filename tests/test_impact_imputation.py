"""The imputation estimator's estimand restricted to periods with enough comparison units."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from foundation_eval.impact import imputation_did


def _panel(noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Units a, b go live at t = 3, c at 5, d at 7; periods 1-6; effect 1 + e in the e-th period since
    go-live, on top of unit and period effects (Borusyak et al. 2024's model without error)."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, (unit, g) in enumerate(zip("abcd", [3, 3, 5, 7], strict=True)):
        for t in range(1, 7):
            effect = (1 + t - g) if t >= g else 0.0
            rows.append((unit, t, g, 2.0 * k + 0.5 * t + effect + noise * rng.normal()))
    return pd.DataFrame(rows, columns=["unit", "t", "g", "y"])


def test_restriction_keeps_periods_with_enough_comparisons():
    # t = 3, 4: c and d not yet live (2 comparisons); t = 5, 6: only d. Effects by hand:
    # all imputable cells 1, 2 (a), 1, 2 (b), 3, 4 (a), 3, 4 (b), 1, 2 (c): mean 23 / 10
    # at least two comparisons: 1, 2, 1, 2: mean 1.5
    df = _panel()
    everything = imputation_did(df, "unit", "t", "g", "y")
    restricted = imputation_did(df, "unit", "t", "g", "y", min_comparisons=2)
    assert everything.estimate == pytest.approx(2.3)
    assert everything.n_treated == 10
    assert restricted.estimate == pytest.approx(1.5)
    assert restricted.n_treated == 4 and restricted.n_excluded == 6
    assert sorted(restricted.cells.time.unique().tolist()) == [3, 4]
    assert "fewer than 2 untreated comparison units" in restricted.notes[0]


def test_jackknife_keeps_the_estimand_fixed():
    # Without the restriction, leaving out d (the only comparison at t = 5, 6) drops those cells and the
    # replicate estimates another quantity (1.5 instead of about 2.3). With it every replicate averages
    # the same cells (less the left-out unit's), so on noiseless data every replicate is exactly 1.5.
    df = _panel()
    loose = imputation_did(df, "unit", "t", "g", "y")
    assert loose.jackknife.set_index("left_out").estimate["d"] == pytest.approx(1.5)
    restricted = imputation_did(df, "unit", "t", "g", "y", min_comparisons=2)
    assert restricted.jackknife.estimate.to_numpy() == pytest.approx([1.5, 1.5, 1.5, 1.5])
    assert restricted.se == pytest.approx(0.0, abs=1e-12)


def test_restriction_with_no_period_effects_counts_real_periods():
    df = _panel(noise=0.1)
    res = imputation_did(df, "unit", "t", "g", "y", min_comparisons=2, time_effects=False)
    assert sorted(res.cells.time.unique().tolist()) == [3, 4]


def test_no_period_with_enough_comparisons_is_refused():
    with pytest.raises(ValueError, match="at least 4 comparison units"):
        imputation_did(_panel(), "unit", "t", "g", "y", min_comparisons=4)


def test_estimand_weights_give_the_weighted_mean_of_cell_effects():
    # noiseless: each cell's effect is exact, so the weighted estimand is the weighted mean by hand
    df = _panel().assign(pm=lambda d: np.where(d.unit == "a", 3.0, 1.0))
    res = imputation_did(df, "unit", "t", "g", "y", min_comparisons=2, att_weights="pm")
    # cells (a,3), (a,4) weight 3, (b,3), (b,4) weight 1; effects 1, 2, 1, 2
    assert res.estimate == pytest.approx((3 * 1 + 3 * 2 + 1 + 2) / 8)
    assert res.cells.weight.tolist() == [3.0, 3.0, 1.0, 1.0]
    assert res.jackknife.estimate.to_numpy() == pytest.approx([1.5, 1.5, 1.5, 1.5])


@pytest.mark.parametrize("p", [0, 2])
def test_fixed_effects_solved_by_elimination_match_the_dense_least_squares(p):
    """The unit block eliminated first gives the fitted values of weighted least squares on the explicit
    dummy design (300 units, as at national scale); a disconnected design falls back to the full solve."""
    from foundation_eval.impact.imputation import _fe_solve

    rng = np.random.default_rng(3)
    nu, nt, n = 300, 24, 9000
    u, t = rng.integers(0, nu, n), rng.integers(0, nt, n)
    w = rng.random(n) + 0.1
    X = rng.normal(size=(n, p)) if p else None
    y = rng.normal(size=n) + 0.1 * u - 0.05 * t + (X @ np.arange(1.0, p + 1) if p else 0)
    a, b, beta = _fe_solve(y, u, t, w, nu, nt, X)
    fit = a[u] + b[t] + (X @ beta if p else 0)
    D = np.column_stack([np.eye(nu)[u], np.eye(nt)[t], *([X] if p else [])])
    coef = np.linalg.lstsq(D * np.sqrt(w)[:, None], y * np.sqrt(w), rcond=None)[0]
    np.testing.assert_allclose(fit, D @ coef, rtol=0, atol=1e-9)
    # two blocks of units and periods that never meet: each block's own fit, the minimum-norm split
    u2, t2, y2 = np.array([0, 0, 1, 1]), np.array([0, 1, 2, 3]), np.array([0.0, 1.0, 2.0, 3.0])
    a2, b2, _ = _fe_solve(y2, u2, t2, np.ones(4), 2, 4)
    np.testing.assert_allclose(a2[u2] + b2[t2], y2, atol=1e-12)
    np.testing.assert_allclose(a2, [1 / 3, 5 / 3], atol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_jackknife_on_merged_rows_equals_the_row_by_row_one(monkeypatch, weighted):
    """A person-level frame (many people a district and index period) is refitted in each replicate as
    merged cells: every leave-one-cluster-out estimate, and so the SE and event study, are those of the rows."""
    import foundation_eval.impact.imputation as imp

    rng = np.random.default_rng(3)
    people = []
    for k, (unit, g) in enumerate(zip("abcdef", [3, 3, 5, 5, 7, 0], strict=True)):
        for t in range(1, 7):
            for _ in range(int(rng.integers(3, 9))):
                effect = 0.5 if g and t >= g else 0.0
                people.append((unit, t, g, float(rng.random() < 0.3 + 0.02 * k + effect / 5),
                               float(rng.integers(1, 4)), float(t in (2, 3))))
    df = pd.DataFrame(people, columns=["unit", "t", "g", "y", "w", "lockdown"])
    kw = dict(fe_weights="w", att_weights="w", covariates=["lockdown"]) if weighted else {}
    merged = imputation_did(df, "unit", "t", "g", "y", **kw)
    assert merged.n == len(df)
    monkeypatch.setattr(imp, "_merged", lambda u, t, tr, cl, e, ok, X, y, w, v: imp._Rows(u, t, tr, cl, e, ok, X, y,
                                                                                             w, y, v))
    rows = imputation_did(df, "unit", "t", "g", "y", **kw)
    assert merged.jackknife.estimate.to_numpy() == pytest.approx(rows.jackknife.estimate.to_numpy(), rel=1e-12)
    assert merged.se == pytest.approx(rows.se, rel=1e-12)
    assert merged.dynamic.se.to_numpy() == pytest.approx(rows.dynamic.se.to_numpy(), rel=1e-12, nan_ok=True)
