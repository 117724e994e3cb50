"""Sharp RD: published rdrobust illustration, recovery on simulated data, McCrary density test.

Reference: [CCFT2017] Calonico, Cattaneo, Farrell & Titiunik (2017), "rdrobust: Software for
regression-discontinuity designs", *Stata Journal* 17(2):372-404, Senate illustration (data
``tests/data/impact_rdsenate.csv``, see impact_DATA_SOURCES.md). Values as transcribed in the paper
review ``docs/methodology/papers/calonico-cattaneo-farrell-titiunik-2017-review.md`` of the public
``igerber/diff-diff`` repository ("Smoke-test targets"):

* p. 392, ``rdrobust vote margin``: mserd h = 17.708, b = 27.984, effective N 359 / 322,
  conventional 7.416 (SE 1.4604, 95% CI [4.55378, 10.2783]), robust 95% CI [4.09441, 10.9255].
* p. 393, ``h(16.79369) b(27.43745)``: effective N 343 / 310, conventional 7.4253 (SE 1.4954,
  CI [4.49446, 10.3561]), robust CI [4.06975, 10.9833].

Also checked by running the official ``rdrobust`` 2.1.1 Python package on the same file (not a
dependency): with its current default ``masspoints="adjust"`` it gives h = 17.754398, b = 28.028089,
conventional 7.414131 (SE 1.458716), robust CI [4.093699, 10.919306], reproduced below by
``masspoints="adjust"``.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from foundation_eval.impact import density_test, regression_discontinuity

DATA = Path(__file__).parent / "data" / "impact_rdsenate.csv"


@pytest.fixture(scope="module")
def senate():
    return pd.read_csv(DATA)


def test_senate_default_matches_published(senate):
    """[CCFT2017] p. 392 (printed precision)."""
    r = regression_discontinuity(senate, "margin", "vote", 0)
    assert round(r.bandwidth, 3) == 17.708
    assert round(r.bandwidth_bias, 3) == 27.984
    assert (r.n_eff_left, r.n_eff_right) == (359, 322)
    assert (r.n_left, r.n_right) == (595, 702)
    assert round(r.estimate, 3) == 7.416
    assert round(r.se, 4) == 1.4604
    t = r.table().set_index("method")
    assert round(t.loc["conventional", "ci_low"], 5) == 4.55378
    assert round(t.loc["conventional", "ci_high"], 4) == 10.2783
    assert round(r.ci_low, 5) == 4.09441
    assert round(r.ci_high, 4) == 10.9255
    assert r.sms_level == 4 and r.side == "right"


def test_senate_manual_bandwidths_match_published(senate):
    """[CCFT2017] p. 393: the 2014 bandwidths entered by hand."""
    r = regression_discontinuity(senate, "margin", "vote", 0, bandwidth=16.79369, bandwidth_bias=27.43745)
    assert (r.n_eff_left, r.n_eff_right) == (343, 310)
    assert round(r.estimate, 4) == 7.4253
    assert round(r.se, 4) == 1.4954
    t = r.table().set_index("method")
    assert round(t.loc["conventional", "ci_low"], 5) == 4.49446
    assert round(t.loc["conventional", "ci_high"], 4) == 10.3561
    assert round(r.ci_low, 5) == 4.06975
    assert round(r.ci_high, 4) == 10.9833


def test_senate_masspoints_adjust_matches_current_rdrobust(senate):
    """rdrobust 2.1.1 (Python, PyPI) default run on the same data, 6 decimals."""
    r = regression_discontinuity(senate, "margin", "vote", 0, masspoints="adjust")
    assert r.bandwidth == pytest.approx(17.754398, abs=2e-6)
    assert r.bandwidth_bias == pytest.approx(28.028089, abs=2e-6)
    assert r.estimate == pytest.approx(7.414131, abs=1e-6)
    assert r.se == pytest.approx(1.458716, abs=1e-6)
    assert r.se_robust == pytest.approx(1.741258, abs=1e-6)
    assert r.ci_low == pytest.approx(4.093699, abs=1e-6)
    assert r.ci_high == pytest.approx(10.919306, abs=1e-6)


def _simulate(rng, n=1500, jump=0.4, sd=0.3):
    x = rng.uniform(-1, 1, n)
    y = 0.5 + 0.8 * x - 0.6 * x**2 + jump * (x >= 0) + rng.normal(0, sd, n)
    return pd.DataFrame({"score": x, "y": y})


def test_recovers_known_jump():
    rng = np.random.default_rng(5)
    df = _simulate(rng)
    r = regression_discontinuity(df, "score", "y", 0.0)
    assert r.ci_low < 0.4 < r.ci_high
    assert r.estimate == pytest.approx(0.4, abs=3 * r.se)
    assert 0.1 < r.bandwidth < 1.0
    # treated on the left: same data, effect sign flips
    left = regression_discontinuity(df, "score", "y", 0.0, side="left")
    assert left.estimate == pytest.approx(-r.estimate)
    assert left.ci_low == pytest.approx(-r.ci_high)


def test_coverage_over_simulations():
    """Robust bias-corrected 95% intervals cover the true jump in about 95% of 80 data sets
    (CCT 2014); recovery check only, the simulation design is ours."""
    rng = np.random.default_rng(6)
    cover = []
    for _ in range(80):
        r = regression_discontinuity(_simulate(rng, n=600), "score", "y", 0.0)
        cover.append(r.ci_low <= 0.4 <= r.ci_high)
    assert 0.85 <= np.mean(cover) <= 1.0


def test_discrete_running_variable_warns():
    """PPIT-like integer score 0-20 with the threshold at 12: few mass points within the bandwidth
    (Kolesar & Rothe 2018), so the function warns and records the limitation."""
    rng = np.random.default_rng(7)
    x = rng.integers(0, 21, 3000)
    y = 0.2 + 0.02 * x + 0.1 * (x >= 12) + rng.normal(0, 0.2, x.size)
    df = pd.DataFrame({"ppit": x, "reoffend": y})
    with pytest.warns(UserWarning, match="Kolesar & Rothe"):
        r = regression_discontinuity(df, "ppit", "reoffend", 12)
    assert r.n_mass_points_left < 10 and r.notes
    assert "Kolesar" in r.notes[0]


def test_density_test_detects_and_does_not_detect():
    """McCrary (2008): density falls by half at the cutoff -> theta ~ log(0.5) = -0.693; a smooth
    density -> no detection. Recovery checks only (no published worked example used)."""
    rng = np.random.default_rng(8)
    x = rng.uniform(-1, 1, 20000)
    keep = (x < 0) | (rng.random(x.size) < 0.5)
    jumpy = density_test(x[keep], 0.0)
    assert abs(jumpy.theta - np.log(0.5)) < 3 * jumpy.se
    assert jumpy.p_value < 0.001
    assert "evidence of" in jumpy.summary_sentence()
    smooth = density_test(rng.normal(0, 1, 5000), 0.3)
    assert abs(smooth.z) < 3
    assert smooth.bins["count"].sum() == 5000


def test_rd_errors(senate):
    with pytest.raises(ValueError, match="side"):
        regression_discontinuity(senate, "margin", "vote", 0, side="up")
    with pytest.raises(ValueError, match="5 observations"):
        regression_discontinuity(senate, "margin", "vote", 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = regression_discontinuity(senate, "margin", "vote", 0)
    assert "regression discontinuity" in r.summary_sentence()
    import matplotlib

    matplotlib.use("Agg")
    r.plot()
    import matplotlib.pyplot as plt

    plt.close("all")
