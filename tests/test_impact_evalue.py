"""E-values (VanderWeele & Ding 2017) against the paper and the R package EValue.

References:

* [VD2017] VanderWeele & Ding (2017), *Annals of Internal Medicine* 167:268-274: formula feeding and
  infant death from respiratory infection, OR 3.9 (1.8 to 8.7), rare outcome -> E-values 7.26 and 3.0;
  breastfeeding and childhood leukaemia, RR 0.80 (0.71 to 0.91) -> 1.81 and 1.43.
* [EVALUE] R package EValue 2.0.0 documentation (pkgdown reference pages and the article "E-values
  for unmeasured confounding"):
  ``evalues.RR(10.73, 8.02, 14.36)`` -> 20.94777, 15.52336;
  ``evalues.RR(0.80, 0.71, 0.91)`` -> 1.809017, upper 1.428571; ``evalues.RR(1/0.80)`` -> 1.809017;
  ``evalues.RR(2.5, true = 1.5)`` -> 2.720759;
  ``evalues.OR(3.9, 1.8, 8.7, rare = TRUE)`` -> 7.263034, 3.0;
  ``evalues.HR(0.56, 0.46, 0.69, rare = FALSE)`` -> RR 0.670084, 0.585935, 0.7735267; E 2.349531, 1.9080039;
  ``evalues.OR(0.86, 0.75, 0.99, rare = FALSE)`` -> RR 0.9273618, 0.8660254, 0.9949874; E 1.3689529, 1.0761939;
  ``evalues.RD(397, 78557, 51, 108778)`` -> 20.94733, 15.95703;
  ``evalues.RD(397, 78557, 51, 108778, true = 0.001)`` -> 12.55568, 9.503834.
  The package finds the RD lower-limit E-value on a grid of the bias factor in steps of 1e-4 (the
  first grid point past the root); we solve for the root, so the stated tolerance there is 5e-4.
"""
from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest

from foundation_eval.impact import EValue, e_value, evalue_hr, evalue_or, evalue_rd, evalue_rr

matplotlib.use("Agg")


def test_paper_examples():
    e = evalue_or(3.9, 1.8, 8.7, rare=True)
    assert round(e.evalue_point, 2) == 7.26  # [VD2017]
    assert round(e.evalue_ci, 1) == 3.0  # [VD2017]
    assert e.evalue_point == pytest.approx(7.263034, abs=5e-7)  # [EVALUE]
    e = evalue_rr(0.80, 0.71, 0.91)
    assert (round(e.evalue_point, 2), round(e.evalue_ci, 2)) == (1.81, 1.43)  # [VD2017]


def test_risk_ratios_package_examples():
    e = evalue_rr(10.73, 8.02, 14.36)
    assert e.evalue_point == pytest.approx(20.94777, abs=5e-6)  # [EVALUE]
    assert e.evalue_ci == pytest.approx(15.52336, abs=5e-6)  # [EVALUE]
    e = evalue_rr(0.80, 0.71, 0.91)
    assert e.evalue_point == pytest.approx(1.809017, abs=5e-7)  # [EVALUE]
    assert e.evalue_ci == pytest.approx(1.428571, abs=5e-7)  # [EVALUE] upper limit, closer to the null
    t = e.table()
    assert np.isnan(t.loc[1, "evalue"]) and t.loc[2, "evalue"] == pytest.approx(1.428571, abs=5e-7)
    assert evalue_rr(1 / 0.80).evalue_point == pytest.approx(1.809017, abs=5e-7)  # [EVALUE] symmetry
    assert math.isnan(evalue_rr(0.80).evalue_ci)
    assert e_value(2.5, true=1.5) == pytest.approx(2.720759, abs=5e-7)  # [EVALUE] non-null
    assert evalue_rr(2.5, true=1.5).evalue_point == pytest.approx(2.720759, abs=5e-7)


def test_hazard_and_odds_ratios_common_outcome():
    e = evalue_hr(0.56, 0.46, 0.69, rare=False)
    assert (e.rr, e.rr_lower, e.rr_upper) == pytest.approx((0.670084, 0.585935, 0.7735267), abs=5e-7)  # [EVALUE]
    assert e.evalue_point == pytest.approx(2.349531, abs=5e-7)  # [EVALUE]
    assert e.evalue_ci == pytest.approx(1.9080039, abs=5e-8)  # [EVALUE]
    e = evalue_or(0.86, 0.75, 0.99, rare=False)
    assert (e.rr, e.rr_lower, e.rr_upper) == pytest.approx((0.9273618, 0.8660254, 0.9949874), abs=5e-8)  # [EVALUE]
    assert e.evalue_point == pytest.approx(1.3689529, abs=5e-8)  # [EVALUE]
    assert e.evalue_ci == pytest.approx(1.0761939, abs=5e-8)  # [EVALUE]
    # rare outcome: the hazard ratio is used as a risk ratio
    assert evalue_hr(0.56, 0.46, 0.69, rare=True).evalue_point == pytest.approx(e_value(0.56))


def test_risk_difference_package_examples():
    e = evalue_rd(397, 78557, 51, 108778)
    assert e.evalue_point == pytest.approx(20.94733, abs=5e-6)  # [EVALUE]
    assert e.evalue_ci == pytest.approx(15.95703, abs=5e-4)  # [EVALUE] grid of 1e-4 in the bias factor
    assert e.evalue_ci <= 15.95703  # the package's grid point lies past the root
    e = evalue_rd(397, 78557, 51, 108778, true=0.001)
    assert e.evalue_point == pytest.approx(12.55568, abs=5e-6)  # [EVALUE]
    assert e.evalue_ci == pytest.approx(9.503834, abs=5e-4)  # [EVALUE]
    assert e.estimate == pytest.approx(397 / 78954 - 51 / 108829)


def test_interval_containing_the_null_has_evalue_one():
    e = evalue_rr(1.3, 0.9, 1.8)
    assert e.evalue_ci == 1.0
    assert "already includes the null" in e.summary_sentence()
    assert evalue_rd(30, 70, 25, 75).evalue_ci == 1.0


def test_evalue_explains_away_exactly():
    """Recovery: a confounder with both associations equal to the E-value has bias factor
    RR_EU RR_UD / (RR_EU + RR_UD - 1) equal to the observed risk ratio (Ding & VanderWeele 2016)."""
    for rr in (1.2, 2.0, 3.9, 10.73):
        e = e_value(rr)
        assert e * e / (2 * e - 1) == pytest.approx(rr, rel=1e-12)
        # and a weaker confounder cannot: the bias factor falls short
        assert (e - 0.01) ** 2 / (2 * (e - 0.01) - 1) < rr
    # simulated cohort: a binary confounder with RR_EU = RR_UD = E produces a crude RR of about rr_true x B
    rng = np.random.default_rng(7)
    n = 2_000_000
    e_val = e_value(1.5)
    # P(U=1 | X=1) / P(U=1 | X=0) = E and P(Y | U=1) / P(Y | U=0) = E, no effect of X on Y
    x = rng.random(n) < 0.5
    u = rng.random(n) < np.where(x, 0.9, 0.9 / e_val)
    y = rng.random(n) < np.where(u, 0.1, 0.1 / e_val)
    crude = y[x].mean() / y[~x].mean()
    bias_factor_bound = e_val * e_val / (2 * e_val - 1)
    assert crude <= bias_factor_bound * 1.01  # the E-value confounder explains up to RR 1.5, no more
    assert crude > 1.2


def test_table_plot_and_sentence():
    e = evalue_rr(3.9, 1.8, 8.7)
    assert isinstance(e, EValue)
    t = e.table()
    assert list(t.columns) == ["quantity", "value", "rr", "evalue"]
    s = e.summary_sentence()
    assert "7.26" in s and "3.00" in s
    ax = e.plot()
    assert ax.get_ylabel() == "confounder-outcome risk ratio"
    import matplotlib.pyplot as plt

    plt.close("all")
    with pytest.raises(AttributeError):
        e.evalue_point = 1.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: evalue_rr(-1.0), "must be positive"),
        (lambda: evalue_rr(2.0, 2.5, 3.0), "inside its confidence interval"),
        (lambda: evalue_rr(2.0, 3.0, 1.0), "above the upper"),
        (lambda: evalue_rd(10, 90, 20, 80), "risk difference is negative"),
        (lambda: evalue_rd(-1, 90, 20, 80), "non-negative"),
        (lambda: evalue_rd(397, 78557, 51, 108778, true=0.01), "must be below"),
        (lambda: e_value(0.0), "must be positive"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_hr_and_or_need_rare():
    with pytest.raises(TypeError):
        evalue_hr(0.5)  # rare must be stated, as the R package requires
