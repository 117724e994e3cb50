"""Confounded exposures: the naive comparison is biased; weighting on measured risk moves it to the truth."""
from __future__ import annotations

import pytest

from foundation_eval.data import synth
from foundation_eval.data.load import load_dataset
from foundation_eval.frames.cohort import person_frame
from foundation_eval.models.exposure import WARNING, exposure_effect


@pytest.fixture(scope="module")
def force(tmp_path_factory):
    result = synth.generate("hiow", seed=3, truth_replicates=5)
    d = synth.write(result, tmp_path_factory.mktemp("force"))
    ds = load_dataset(d)
    return ds, person_frame(ds), result.truth["effects"]


def test_engagement_naive_biased_weighted_recovers_null(force):
    ds, persons, truth = force
    e = exposure_effect(ds, persons, "engaged")
    t = e.table().set_index("analysis")
    naive = t.loc["time-varying Cox (unadjusted)"]
    weighted = t.loc["landmark, inverse-probability weighted"]
    assert truth["reoffending_hr_engaged"] == 1.0
    # engaged people are lower-risk, so the naive hazard ratio looks protective
    assert naive.hr_high < 1.0
    assert weighted.hr_low < 1.0 < weighted.hr_high
    assert weighted.hr > t.loc["landmark, unadjusted"].hr
    assert (e.weights.table().smd_after.abs() < 0.1).all()
    assert e.warning == WARNING and "not effect" in WARNING


def test_referral_exposure_runs_and_carries_warning(force):
    ds, persons, truth = force
    e = exposure_effect(ds, persons, "referral_started")
    t = e.table()
    assert len(t) == 3 and (t.hr_low < t.hr).all() and (t.hr < t.hr_high).all()
    assert truth["reoffending_hr_referral_started"] == 1.0
    with pytest.raises(ValueError):
        exposure_effect(ds, persons, "astrology")
