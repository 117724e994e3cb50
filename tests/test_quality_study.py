"""The data-quality study: each computation against hand-checked or published values, the study fitted once in
the snapshot, and its independence from the pseudonymisation key."""
from __future__ import annotations

import pickle
import shutil
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from foundation_eval.config import load_programme
from foundation_eval.data.load import Dataset, load_dataset
from foundation_eval.evaluation.quality import (
    SPARSE_RULE,
    QualityStudy,
    completeness,
    consistency_checks,
    double_scoring,
    fit_quality,
    monthly_records,
    sparse_months,
)
from foundation_eval.evaluation.snapshot import STUDIES, Snapshot

D = pd.Timestamp


# ------------------------------------------------------------------------------------------ reference values
def test_double_scoring_intervals_are_wilson_score_intervals():
    """Newcombe (1998, Statistics in Medicine 17: 857-872), Table I, method 3 (Wilson score): 81 of 263 gives
    0.2553 to 0.3662 and 15 of 148 gives 0.0624 to 0.1605."""
    rows = []
    for year, n, k in ((2022, 263, 81), (2023, 148, 15)):
        for j in range(n):
            pid = f"P{year}{j:04d}"
            rows.append({"person_id": pid, "rating": "first", "assessment_date": D(f"{year}-03-01")})
            if j < k:
                rows.append({"person_id": pid, "rating": "second", "assessment_date": D(f"{year}-03-15")})
    d = double_scoring(SimpleNamespace(ppit_assessments=pd.DataFrame(rows))).set_index("year")
    assert d.loc["2022", ["assessed", "double_scored"]].tolist() == [263, 81]
    assert d.loc["2022", ["ci_low", "ci_high"]].tolist() == pytest.approx([25.53, 36.62], abs=5e-3)
    assert d.loc["2023", ["ci_low", "ci_high"]].tolist() == pytest.approx([6.24, 16.05], abs=5e-3)
    assert d.loc["All", ["assessed", "double_scored"]].tolist() == [411, 96]
    assert d.loc["2022", "percent"] == pytest.approx(100 * 81 / 263)


@pytest.mark.parametrize("count, flagged", [(1, True), (2, False)])
def test_sparse_month_rule_at_its_poisson_boundary(count, flagged):
    """Typical count 10 (the smallest that may be flagged): P(X <= 1) = 0.0005 and P(X <= 2) = 0.0028 for a
    Poisson count of mean 10 (Lindley and Scott, New Cambridge Statistical Tables, 2nd ed. 1995, Table 2), so with
    alpha 0.001 a month of 1 is flagged and a month of 2 is not, though both are below half the typical count."""
    months = pd.period_range("2023-01", periods=7, freq="M")
    s = sparse_months(pd.Series([10, 10, 10, count, 10, 10, 10], index=months), **SPARSE_RULE, min_typical=10)
    assert (len(s) == 1) == flagged
    if flagged:
        assert s.iloc[0].tolist() == [pd.Period("2023-04", "M"), 1, 10.0, "gap"]


def test_sparse_months_rule():
    months = pd.period_range("2022-01", periods=14, freq="M")
    counts = pd.Series([0, 0, 0, 0, 100, 104, 98, 12, 101, 99, 103, 97, 100, 40], index=months)
    flagged = sparse_months(counts).set_index("month")
    assert flagged.index.tolist() == [pd.Period("2022-08", "M"), pd.Period("2023-02", "M")]
    assert flagged["where"].tolist() == ["gap", "latest months"]
    assert flagged.typical.tolist() == [100.0, 100.0]  # smaller median of the three months on each side
    # small tables: ordinary noise is not flagged
    assert sparse_months(pd.Series([11, 12, 9, 5, 13, 10, 12], index=months[:7])).empty


def test_completeness_by_hand():
    prog = load_programme("hiow")
    ref = pd.DataFrame({"referral_id": ["R1", "R2", "R3"], "accepted_date": [D("2022-01-05"), pd.NaT, pd.NaT],
                        "started_date": [pd.NaT] * 3})
    c = completeness(Dataset(programme=prog, tables={"referrals": ref}, source="tiny", data_hash="0" * 64))
    c = c.set_index("column")
    assert c.index.tolist() == ["accepted_date", "started_date"]  # optional columns present; the id is required
    assert c.loc["accepted_date", ["records", "blank", "filled"]].tolist() == [3, 2, 1]
    assert c.loc["accepted_date", "percent_blank"] == pytest.approx(200 / 3)
    assert c.loc["started_date", "percent_blank"] == 100.0
    assert c.loc["accepted_date", "description"] == "Date the service accepted the referral (blank if not)"


def _tiny_extract():
    """One planted case for each consistency check (A, B, D listed; C screened but never listed; E never
    screened; A exits on 15 May 2022)."""
    prog = load_programme("hiow")
    m = lambda s: pd.Period(s, "M")  # noqa: E731
    screening = pd.DataFrame({"person_id": ["A", "A", "A", "B", "C", "D"],
                              "month": pd.PeriodIndex([m("2022-01"), m("2022-02"), m("2022-06"), m("2022-03"),
                                                       m("2022-01"), m("2022-01")]),
                              "listed": [True, True, False, True, False, True]})
    exits = pd.DataFrame({"person_id": ["A"], "exit_date": [D("2022-05-15")]})
    contacts = pd.DataFrame({"person_id": ["A", "A", "A", "C"],
                             "contact_date": [D("2021-12-20"), D("2022-02-10"), D("2022-06-01"), D("2022-02-01")]})
    referrals = pd.DataFrame({"person_id": ["C", "B"], "referred_date": [D("2022-03-01"), D("2022-02-15")]})
    ppit = pd.DataFrame({"person_id": ["A", "A", "B", "D", "C", "E"],
                         "rating": ["first", "second", "first", "first", "first", "second"],
                         "assessment_date": [D("2022-01-10"), D("2022-01-20"), D("2022-07-01"), D("2021-12-01"),
                                             D("2022-02-01"), D("2022-04-01")]})
    offences = pd.DataFrame({"person_id": ["A", "B", "C"], "victim_id": ["V1", "V2", None],
                             "da_flag": [True, False, False]})
    rmps = pd.DataFrame({"person_id": ["A", "C"], "supervision": [False, True], "monitoring_control": [False, False],
                         "interventions_treatment": [False, False], "victim_safety": [False, False]})
    tables = {"screening": screening, "exits": exits, "contacts": contacts, "referrals": referrals,
              "ppit_assessments": ppit, "offences": offences, "rmps": rmps}
    return Dataset(programme=prog, tables=tables, source="tiny", data_hash="0" * 64)


def test_consistency_checks_find_each_planted_case():
    c = consistency_checks(_tiny_extract()).set_index("check")
    window = load_programme("hiow").engagement_window_days
    expected = {
        "Contacts with people never listed": (1, 1, 4),
        "Contacts dated before the person's first listing": (1, 1, 4),
        "Contacts dated after the person's exit": (1, 1, 4),
        "Referrals of people never listed": (1, 1, 2),
        "Referrals dated before the person's first listing": (1, 1, 2),
        "PPIT assessments of people never listed": (2, 2, 6),
        f"First PPIT assessment more than {window} days after listing": (1, 1, 6),  # B: 122 days
        "First PPIT assessment dated before listing": (1, 1, 6),
        "Second PPIT ratings without a first rating": (1, 1, 6),
        "Offences with a victim but no domestic-abuse flag": (1, 1, 3),
        "Screening after the person's exit": (1, 1, 6),
        "Risk management plans with no pillar": (1, 1, 2),
        "Risk management plans of people never listed": (1, 1, 2),
    }
    assert window == 90
    assert {k: tuple(c.loc[k, ["records", "people", "of_records"]]) for k in c.index} == expected


# ------------------------------------------------------------------------------------------ the study
@pytest.fixture(scope="module")
def study(small_ds):
    return fit_quality(small_ds)


def test_the_study_holds_what_the_functions_compute(small_ds, study):
    assert isinstance(study, QualityStudy) and study.programme == "hiow" and study.absent == frozenset()
    pd.testing.assert_frame_equal(study.completeness, completeness(small_ds))
    pd.testing.assert_frame_equal(study.monthly, monthly_records(small_ds))
    pd.testing.assert_frame_equal(study.checks, consistency_checks(small_ds))
    pd.testing.assert_frame_equal(study.double_scoring, double_scoring(small_ds))
    assert study.people == len(small_ds.people)
    assert study.records == sum(len(small_ds.tables[n]) for n in study.tables.table)
    assert study.sparse_rule == {**SPARSE_RULE, "min_typical": small_ds.programme.disclosure_threshold}
    assert study.checks_with_records == int((consistency_checks(small_ds).records > 0).sum())
    for name, grp in study.monthly.groupby("table", sort=False):
        expected = sparse_months(grp.set_index("month").records, **study.sparse_rule)
        got = study.sparse[study.sparse.table == name].drop(columns="table").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    t = study.table().set_index("measure")
    assert t.loc["double scored", "value"] == pytest.approx(study.double_scoring.percent.iloc[-1])


def test_the_study_leaves_out_absent_tables():
    from foundation_eval.data.synth import demo_dataset

    study = fit_quality(demo_dataset("change-that-lasts", scale=0.1))
    assert study.absent == {"ppit_assessments", "rmps"} and study.double_scoring is None
    assert not set(study.checks.table) & study.absent
    assert not set(study.monthly.table) & study.absent and not set(study.completeness.table) & study.absent
    assert "ppit_assessments" not in study.date_columns and len(study.warnings) == 2


def test_the_study_is_registered_and_kept_in_the_snapshot(small_ds, study):
    assert STUDIES["quality"] == "foundation_eval.evaluation.quality:fit_quality"
    snap = Snapshot(small_ds)
    first = snap.study("quality")
    assert snap.study("quality") is first  # fitted once, then kept
    again = pickle.loads(pickle.dumps(first))  # a written snapshot keeps it as a pickle
    for name in ("tables", "completeness", "monthly", "sparse", "checks", "double_scoring"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(study, name))


def test_the_study_does_not_depend_on_the_pseudonyms(small_dir, study, tmp_path):
    """Re-key every person (a permutation of the pseudonyms): every figure of the study is unchanged."""
    dest = tmp_path / "rekeyed"
    shutil.copytree(small_dir, dest)
    (dest / "truth.json").unlink()
    people = pd.read_csv(dest / "people.csv", dtype=str, keep_default_na=False).person_id
    ids = sorted(people)
    rekey = dict(zip(ids, ids[1:] + ids[:1], strict=True))
    for f in dest.glob("*.csv"):
        frame = pd.read_csv(f, dtype=str, keep_default_na=False)
        if "person_id" in frame:
            frame["person_id"] = frame.person_id.map(rekey)
            frame.to_csv(f, index=False)
    other = fit_quality(load_dataset(dest))
    for name in ("tables", "completeness", "monthly", "sparse", "checks", "double_scoring"):
        pd.testing.assert_frame_equal(getattr(other, name), getattr(study, name))
    assert other.people == study.people and other.warnings == study.warnings


def test_the_study_plot_draws_every_dated_table(study):
    import matplotlib

    matplotlib.use("Agg")
    ax = study.plot()
    assert len(ax.lines) == study.monthly.table.nunique() and ax.get_xlabel() == "Month"
    assert ax.get_legend().get_frame_on()
    assert np.isfinite(study.table().value.iloc[:4]).all()
