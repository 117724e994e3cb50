"""The small statistics of foundation_eval.ppit.validity: hand-computed reference values and recovery."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from foundation_eval.ppit.validity import (
    band_index,
    band_means,
    double_scored,
    limits_of_agreement,
    score_risk_model,
    temporal_validation,
)

Z = 1.959963984540054


def test_score_risk_model_matches_the_two_by_two_table():
    # binary score: the logistic slope is the log odds ratio of the 2x2 table, the intercept the log odds at 0
    x = np.r_[np.zeros(40), np.ones(60)]
    y = np.r_[np.ones(10), np.zeros(30), np.ones(30), np.zeros(30)]
    m = score_risk_model(x, y)
    assert m.intercept == pytest.approx(math.log(10 / 30), abs=1e-6)
    assert m.odds_ratio == pytest.approx(3.0, abs=1e-6)
    se = math.sqrt(1 / 10 + 1 / 30 + 1 / 30 + 1 / 30)  # Woolf
    assert m.slope_se == pytest.approx(se, rel=1e-5)
    assert m.or_ci_low == pytest.approx(3 * math.exp(-Z * se), rel=1e-5)
    assert m.or_ci_high == pytest.approx(3 * math.exp(Z * se), rel=1e-5)
    assert m.predict([0, 1]) == pytest.approx([0.25, 0.5])
    assert m.predicted[:40] == pytest.approx(0.25) and (m.n, m.n_events) == (100, 40)
    with pytest.raises(ValueError, match="with and without"):
        score_risk_model([1, 2, 3], [0, 0, 0])


def test_limits_of_agreement_hand_checked():
    loa = limits_of_agreement([10, 12, 14, 16], [11, 12, 16, 15])
    sd = math.sqrt(5 / 3)  # differences 1, 0, 2, -1
    assert loa.mean_difference == pytest.approx(0.5) and loa.sd == pytest.approx(sd)
    assert loa.lower == pytest.approx(0.5 - Z * sd) and loa.upper == pytest.approx(0.5 + Z * sd)
    with pytest.raises(ValueError):
        limits_of_agreement([1], [2])


def test_temporal_validation_recovers_a_stable_model():
    rng = np.random.default_rng(7)
    n = 4000
    x = rng.integers(0, 21, n).astype(float)
    dates = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")
    y = (rng.random(n) < 1 / (1 + np.exp(-(-2 + 0.15 * x)))).astype(int)
    tv = temporal_validation(x, y, dates, min_count=10)
    r = tv.result
    assert r.slope_ci_low <= 1 <= r.slope_ci_high and r.intercept_ci_low <= 0 <= r.intercept_ci_high
    assert tv.model.slope == pytest.approx(0.15, abs=0.03)
    assert tv.n_development + tv.n_validation == n and tv.development_dates[1] < tv.cut <= tv.validation_dates[0]
    # a later period without outcomes cannot be checked, and says so
    late = np.asarray(dates >= tv.cut)
    with pytest.raises(ValueError, match="later half"):
        temporal_validation(x, np.where(late, 0, y), dates, min_count=10)


def test_band_means_and_index():
    scores = [0, 1, 2, 5, 6, 9]
    assert band_index(scores, [0, 2, 6]).tolist() == [0, 0, 1, 1, 2, 2]
    assert band_means([1, 3, 5, 7, 9, 11], scores, [0, 2, 6]).tolist() == [2, 6, 10]
    assert np.isnan(band_means([1.0], [0], [0, 5])[1])


def test_double_scored_keeps_people_rated_first_and_second():
    pp = pd.DataFrame({"person_id": ["A", "A", "B", "C", "C", "C"],
                       "rating": ["first", "second", "first", "first", "second", "second"],
                       "total": [10, 12, 9, 5, 6, 7], "assessor_id": ["R1"] * 6})
    d = double_scored(pp)
    assert d.person_id.tolist() == ["A", "A", "C", "C", "C"]
    assert list(d.columns) == ["person_id", "rating", "total"] and d.total.dtype == float
