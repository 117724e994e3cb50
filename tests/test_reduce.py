"""The columnar reduction gives exactly the frames the pandas definitions give."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from foundation_eval.config import load_programme
from foundation_eval.data import synth
from foundation_eval.data.load import load_dataset
from foundation_eval.evaluation.snapshot import build_snapshot, open_snapshot, write_snapshot
from foundation_eval.frames.cohort import monthly_list_size, person_frame
from foundation_eval.frames.outcomes import fixed_window, reoffending_frame
from foundation_eval.frames.reduce import (
    PERSON_FRAME_COLUMNS,
    REOFFENDING_COLUMNS,
    Reduced,
    reduce_dataset,
    with_reduced,
)

PROGRAMMES = ["hiow", "change-that-lasts"]


@pytest.fixture(scope="module", params=PROGRAMMES)
def pair(request, tmp_path_factory):
    """(dataset, its reduction, pandas person frame, pandas reoffending frame) for each shipped programme."""
    folder = synth.write(synth.generate(request.param, seed=5, scale=0.3, truth_replicates=2),
                         tmp_path_factory.mktemp(request.param))
    ds = load_dataset(folder, request.param)
    persons = person_frame(ds)
    return ds, reduce_dataset(ds), persons, reoffending_frame(ds, persons)


def test_person_frame_identical(pair):
    ds, red, persons, _ = pair
    pd.testing.assert_frame_equal(red.person_frame(), persons)
    assert red.persons.person_id.is_unique


def test_reoffending_outcomes_identical(pair):
    _, red, _, reoff = pair
    for col in REOFFENDING_COLUMNS:
        pd.testing.assert_series_equal(red.persons[col], reoff[col], check_names=False, check_exact=True)
    assert reoff.new_victim.any() and reoff.max_harm_before.gt(0).any()  # the comparison is not vacuous


def test_reoffending_frame_read_from_the_reduction(pair):
    ds, red, persons, reoff = pair
    reduced = replace(ds, reduced=red)
    listed = persons[persons.listed].assign(extra=1)  # a subset with a caller's own column, as reports pass
    expect = reoffending_frame(ds, listed)
    pd.testing.assert_frame_equal(reoffending_frame(reduced, listed), expect, check_exact=True)
    assert red.reoffending_frame(listed) is not None
    # people whose index dates a caller moved are not rows of the reduction: computed from the events
    moved = listed.assign(index_date=listed.index_date + pd.Timedelta(days=31))
    assert red.reoffending_frame(moved) is None
    pd.testing.assert_frame_equal(reoffending_frame(reduced, moved), reoffending_frame(ds, moved))


def test_twelve_month_window_identical(pair):
    ds, red, _, reoff = pair
    w = fixed_window(reoff, 12, ds.extract_date)
    kept = red.persons[red.persons.observed_12m]
    assert list(kept.person_id) == list(w.frame.person_id)
    assert kept.reoffended_12m.astype(int).tolist() == w.frame.outcome.tolist()


def test_first_engagement_and_referral_start_on_or_after_index(pair):
    ds, red, _, _ = pair
    p = red.persons.set_index("person_id")
    con = ds.contacts[ds.contacts.outcome == "engaged"].merge(p.index_date.reset_index(), on="person_id")
    expect = con[con.contact_date >= con.index_date].groupby("person_id").contact_date.min()
    got = p.first_engaged.dropna()
    pd.testing.assert_series_equal(got.sort_index(), expect.sort_index(), check_names=False)
    assert p.first_referral_started.dropna().ge(p.index_date.reindex(p.first_referral_started.dropna().index)).all()


def test_district_month_matches_list_sizes(pair):
    ds, red, _, _ = pair
    for d in ds.programme.districts:
        got = red.district_month[red.district_month.district_id == d.id].reset_index(drop=True)
        pd.testing.assert_frame_equal(got[["month", "screened", "eligible", "listed"]], monthly_list_size(ds, d.id),
                                      check_dtype=False)
    # every observed DA reoffence is placed in exactly one district-month
    assert red.district_month.da_reoffences.sum() == red.persons.da_count.sum()


def test_list_sizes_read_from_the_reduction(pair):
    ds, red, _, _ = pair
    reduced = replace(ds, reduced=red)
    for district in [None, *(d.id for d in ds.programme.districts)]:
        for start, end in [(None, None), ("2020-03", "2021-08")]:
            pd.testing.assert_frame_equal(monthly_list_size(reduced, district, start, end),
                                          monthly_list_size(ds, district, start, end), check_exact=True)


def test_funnel_stages_referrals_and_quarters_read_from_the_reduction(pair):
    # what a district page reads comes from the reduction, equal to the event tables' answer
    from foundation_eval.models.engagement import first_engagement_frame, funnel, person_engagement
    from foundation_eval.models.referrals import referral_frame

    ds, red, persons, _ = pair
    reduced = replace(ds, reduced=red)
    for district in [None, *(d.id for d in ds.programme.districts)]:
        here = persons if district is None else persons[persons.district_id == district]
        pd.testing.assert_frame_equal(person_engagement(reduced, here), person_engagement(ds, here), check_exact=True)
        pd.testing.assert_frame_equal(first_engagement_frame(reduced, here), first_engagement_frame(ds, here),
                                      check_exact=True)
        pd.testing.assert_frame_equal(funnel(reduced, here).table(), funnel(ds, here).table(), check_exact=True)
        pd.testing.assert_frame_equal(referral_frame(reduced, here).reset_index(drop=True),
                                      referral_frame(ds, here).reset_index(drop=True), check_exact=True)
        pd.testing.assert_frame_equal(monthly_list_size(reduced, district, freq="Q"),
                                      monthly_list_size(ds, district, freq="Q"), check_exact=True)
    flags = person_engagement(ds, persons)
    assert flags.engaged.any() and not flags.engaged.all()  # the comparison is not vacuous
    assert red.referrals.person_id.isin(persons.person_id).all()
    # people whose index dates a caller moved are computed from the events
    moved = persons.assign(index_date=persons.index_date + pd.Timedelta(days=31))
    pd.testing.assert_frame_equal(person_engagement(reduced, moved), person_engagement(ds, moved))


def test_cohort_month_adds_up(pair):
    _, red, _, _ = pair
    c, p = red.cohort_month, red.persons
    assert c.people.sum() == len(p)
    assert c.reoffended_12m.sum() == p.reoffended_12m.sum()
    assert c.person_years.sum() == pytest.approx(p.exposure_years.sum())
    assert not c.duplicated(["district_id", "index_month", "listed"]).any()


def test_snapshot_carries_the_reduction_and_person_frame_reads_it(small_ds, tmp_path):
    snap = build_snapshot(small_ds)
    ds = snap.dataset
    assert with_reduced(ds) is ds  # computed once
    write_snapshot(snap, tmp_path / "snap")
    again = open_snapshot(tmp_path / "snap").dataset
    assert isinstance(again.reduced, Reduced)
    pd.testing.assert_frame_equal(person_frame(again), person_frame(small_ds), check_exact=True)
    for table in ("district_month", "district_quarter", "force_quarter", "cohort_month"):
        pd.testing.assert_frame_equal(getattr(again.reduced, table), getattr(ds.reduced, table))
    pd.testing.assert_frame_equal(again.reduced.referrals, ds.reduced.referrals)
    pd.testing.assert_frame_equal(again.reduced.persons, ds.reduced.persons)
    # the frame handed out is a copy: a caller cannot change the stored reduction
    f = person_frame(again)
    f.loc[:, "listed"] = False
    assert again.reduced.persons.listed.any()


def test_optional_tables_absent(extract_copy):
    for name in ("contacts", "referrals", "ppit_assessments", "rmps"):
        (extract_copy / f"{name}.csv").unlink()
    ds = load_dataset(extract_copy)
    red = reduce_dataset(ds)
    pd.testing.assert_frame_equal(red.person_frame(), person_frame(ds))
    assert red.persons.first_engaged.isna().all() and red.persons.ppit_total.isna().all()


def test_no_persons_when_nobody_is_eligible(extract_copy):
    scr = pd.read_csv(extract_copy / "screening.csv", dtype=str)
    crit = [c for c, _ in load_programme("hiow").criteria]
    scr[crit[0]] = "false"
    scr["eligible"] = "false"
    scr["listed"] = "false"
    scr.to_csv(extract_copy / "screening.csv", index=False)
    red = reduce_dataset(load_dataset(extract_copy))
    assert len(red.persons) == 0 and list(red.persons.columns[: len(PERSON_FRAME_COLUMNS)]) == PERSON_FRAME_COLUMNS
    assert red.district_month.eligible.sum() == 0


def test_headline_estimates_fitted_once_and_read_back(small_ds, tmp_path):
    from foundation_eval.evaluation.registry import REGISTRY

    snap = build_snapshot(small_ds)
    assert snap.estimates
    assert all(e.name in REGISTRY for e in snap.estimates)
    write_snapshot(snap, tmp_path / "snap")
    again = open_snapshot(tmp_path / "snap")
    assert again.estimates == snap.estimates  # read back, identical to the last digit
    assert again.unavailable == snap.unavailable
    for e in snap.estimates:
        assert again.estimate(e.name) == e


def test_text_columns_with_leading_or_mixed_missing_values_convert():
    """Regression: polars took a text column whose first value is missing for an object column."""
    import numpy as np

    from foundation_eval.frames.reduce import _pl

    frame = pd.DataFrame({"a": [None, "V1", "V2"], "b": ["x", np.nan, None], "c": [None, None, None]})
    got = _pl(frame, ["a", "b", "c"])
    assert got["a"].to_list() == [None, "V1", "V2"] and got["b"].to_list() == ["x", None, None]
    assert got["c"].null_count() == 3
