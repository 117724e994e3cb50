"""The polars loader loads exactly what the pandas loader it replaced loaded (a frozen copy in
``tests/_frozen_load.py``): the same tables, dtypes and values from CSV, text Parquet and typed Parquet,
and the same failures (file, column, rule, count) for every case of the bad-input corpus."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from foundation_eval.data import load as new

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _frozen_load as old  # noqa: E402
from test_validation import CASES  # noqa: E402


def _as_before(frame: pd.DataFrame) -> pd.DataFrame:
    """The new loader's Arrow-string identifiers as the object columns the frozen loader made (None blank)."""
    arrow = [c for c in frame.columns if frame[c].dtype == new.IDENTIFIER_DTYPE]
    if not arrow:
        return frame
    return frame.assign(**{c: frame[c].astype(object).where(frame[c].notna(), None) for c in arrow})


def assert_same_dataset(a, b):
    assert a.data_hash == b.data_hash and a.warnings == b.warnings
    assert list(a.tables) == list(b.tables)
    schemas = new.programme_schemas(b.programme)
    for name in a.tables:
        ids = [f.name for f in schemas[name].fields if f.pseudonym_letter not in (None, "P")]
        assert all(b.tables[name][c].dtype == new.IDENTIFIER_DTYPE for c in ids), name
        x, y = a.tables[name], _as_before(b.tables[name])
        assert list(x.columns) == list(y.columns), name
        assert list(x.dtypes) == list(y.dtypes), name
        pd.testing.assert_frame_equal(x, y, check_exact=True)
        assert x.equals(y), name
        # blanks in text columns are None, as before, not NaN or pd.NA
        for col in [c for c in x.columns if pd.api.types.is_object_dtype(x[c])]:
            blank = x[col].isna().to_numpy()
            assert {type(v) for v in x[col][blank]} == {type(v) for v in y[col][blank]}, (name, col)
            assert {type(v) for v in y[col][~blank]} <= {str}, (name, col)


def test_csv_extract_loads_the_same_tables(small_dir):
    a, b = old.load_dataset(small_dir), new.load_dataset(small_dir)
    assert len(b.tables["screening"]) > 1000
    assert_same_dataset(a, b)


def test_text_and_typed_parquet_load_the_same_tables(small_ds, extract_copy):
    """Half the tables as typed Parquet written by pandas (datetime64, Int64, boolean, period[M]); the rest
    as Parquet with text columns, as a warehouse export without types would be."""
    typed = ("people", "screening", "offences", "referrals", "ppit_assessments")
    for name, frame in small_ds.tables.items():
        if not (extract_copy / f"{name}.csv").exists():
            continue
        if name in typed:
            frame.to_parquet(extract_copy / f"{name}.parquet", index=False)
        else:
            pd.read_csv(extract_copy / f"{name}.csv", dtype=str, keep_default_na=False).to_parquet(
                extract_copy / f"{name}.parquet", index=False)
        (extract_copy / f"{name}.csv").unlink()
    a, b = old.load_dataset(extract_copy), new.load_dataset(extract_copy)
    assert_same_dataset(a, b)
    assert b.screening.month.dtype == "period[M]" and b.people.birth_ym.dtype == "period[M]"
    for name in typed:  # and the same tables as from CSV
        pd.testing.assert_frame_equal(b.tables[name], small_ds.tables[name], check_exact=True)


def test_untidy_text_is_trimmed_and_parsed_the_same(extract_copy):
    """Padding, '+' signs, TRUE/1 booleans and blank optional cells."""
    f = pd.read_csv(extract_copy / "offences.csv", dtype=str, keep_default_na=False)
    f.loc[:9, "offence_type"] = " " + f.loc[:9, "offence_type"] + "  "
    f.loc[:9, "da_flag"] = f.loc[:9, "da_flag"].map({"true": "TRUE", "false": "0"})
    f.loc[10:19, "chi_days"] = "  " + f.loc[10:19, "chi_days"]
    f.to_csv(extract_copy / "offences.csv", index=False, lineterminator="\n")
    p = pd.read_csv(extract_copy / "ppit_assessments.csv", dtype=str, keep_default_na=False)
    p.loc[:4, "total"] = "+" + p.loc[:4, "total"]
    p.to_csv(extract_copy / "ppit_assessments.csv", index=False, lineterminator="\n")
    a, b = old.load_dataset(extract_copy), new.load_dataset(extract_copy)
    assert_same_dataset(a, b)
    assert not np.isnan(b.offences.chi_days.iloc[10])


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gives_the_same_failures(case, extract_copy):
    corrupt = CASES[case][0]
    corrupt(extract_copy)
    with pytest.raises(old.ValidationError) as e_old:
        old.load_dataset(extract_copy)
    with pytest.raises(new.ValidationError) as e_new:
        new.load_dataset(extract_copy)
    def key(f):
        return (f.file, f.column, f.rule, f.count)
    assert sorted(map(key, e_new.value.failures)) == sorted(map(key, e_old.value.failures))
    # the same example rows, quoted the same way (text files)
    assert sorted((key(f), f.examples) for f in e_new.value.failures) == \
        sorted((key(f), f.examples) for f in e_old.value.failures)


def test_snapshot_tables_are_read_when_first_used(small_ds, tmp_path):
    """A report that reads only some tables of a render snapshot does not load the others."""
    snap = new.write_tables(small_ds, tmp_path / "snap")
    again = new.load_dataset(snap)
    assert list(again.tables) == sorted(small_ds.tables) and "offences" in again.tables
    assert again.tables._cache == {}
    pd.testing.assert_frame_equal(again.people, small_ds.people, check_exact=True)
    assert set(again.tables._cache) == {"people"}
    with pytest.raises(TypeError):
        again.tables["people"] = None
    with pytest.raises(KeyError):
        again.tables["victims"]
