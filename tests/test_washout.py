"""The look-back washout of first eligibility (`foundation_eval.frames.washout`)."""
from __future__ import annotations

import pandas as pd
import pytest

from foundation_eval.data.synth import demo_dataset
from foundation_eval.frames.cohort import person_frame
from foundation_eval.frames.washout import eligibility_washout, first_eligible, lookback_washout


def _frame(months):
    return pd.DataFrame({"person_id": [f"p{i}" for i in range(len(months))],
                         "first_eligible": pd.PeriodIndex(months, freq="M")})


def test_rule_at_the_boundary():
    w = lookback_washout(_frame(["2019-01", "2020-12", "2021-01", "2023-06"]), "2019-01", 24)
    assert w.frame.left_truncated.tolist() == [True, True, False, False]
    assert w.frame.months_from_start.tolist() == [0, 23, 24, 53]
    assert (w.n_excluded, w.n_kept, w.first_new_month) == (2, 2, pd.Period("2021-01", "M"))
    assert w.note().startswith("People first seen eligible before January 2021 (within 24 months")
    assert lookback_washout(_frame(["2019-01"]), "2019-01", 0).n_excluded == 0
    with pytest.raises(ValueError, match="whole number"):
        lookback_washout(_frame(["2019-01"]), "2019-01", -1)
    gap = _frame(["2019-01", "2019-02"])
    gap.loc[1, "first_eligible"] = pd.NaT
    with pytest.raises(ValueError, match=r"missing months \(rows \[1\]\)"):
        lookback_washout(gap, "2019-01")


def test_first_eligible_agrees_with_the_person_frame():
    ds = demo_dataset(seed=1, scale=0.1)
    f = first_eligible(ds).set_index("person_id")
    p = person_frame(ds).set_index("person_id")
    assert f.index.sort_values().equals(p.index.sort_values())
    assert (f.first_eligible == p.first_eligible.reindex(f.index)).all()
    listed = p.first_listed.reindex(f.index)
    assert (f.first_listed.isna() == listed.isna()).all()
    assert (f.first_listed.dropna() == listed.dropna()).all()


def test_washout_removes_the_first_month_spike():
    # the shipped synthetic force: everyone already eligible when the data start appears "first eligible"
    # in January 2019 (128 people against about 35 a month afterwards)
    ds = demo_dataset()
    w = eligibility_washout(ds)
    t = w.table().set_index("month").people
    assert int(t[pd.Period("2019-01", "M")]) == 128
    later = t[pd.Period("2019-02", "M"):]
    assert 30 <= later.mean() <= 40
    assert t[pd.Period("2019-01", "M")] > 2 * later.max()
    kept = w.kept
    assert kept.first_eligible.min() == pd.Period("2021-01", "M") == w.first_new_month
    first_kept = (kept.first_eligible == w.first_new_month).sum()
    assert first_kept <= later.quantile(0.9)  # no spike left at the start of the counted period
    assert w.n_excluded == int(t[:pd.Period("2020-12", "M")].sum())
    assert w.n_kept + w.n_excluded == len(first_eligible(ds))
