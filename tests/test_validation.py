"""Every validation rule refuses a corrupted copy of a valid extract with a message naming file,
column and rule; the CLI exits 2 with no traceback; inputs are never modified."""
from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from foundation_eval.cli import main
from foundation_eval.data.load import ValidationError, load_dataset


def read(d, table):
    return pd.read_csv(d / f"{table}.csv", dtype=str, keep_default_na=False)


def write(d, table, frame):
    frame.to_csv(d / f"{table}.csv", index=False, lineterminator="\n")


def edit(table, fn):
    def apply(d):
        f = read(d, table)
        write(d, table, fn(f, d))
    return apply


def set_cell(table, column, value, where=None, row=0):
    def fn(f, d):
        idx = f.index[where(f, d)][row] if where is not None else f.index[row]
        f.loc[idx, column] = value
        return f
    return edit(table, fn)


def ppit_off_scale(f, d):
    f.loc[0, "ppit_03"] = "3"
    items = [c for c in f.columns if c.startswith("ppit_")]
    f.loc[0, "total"] = str(sum(int(v) for v in f.loc[0, items]))
    f.loc[0, "priority"] = "true" if int(f.loc[0, "total"]) >= 12 else "false"
    return f


def referral_out_of_order(f, d):
    i = f.index[(f.started_date != "") & (f.accepted_date != "")][0]
    f.loc[i, "accepted_date"], f.loc[i, "started_date"] = "2024-06-02", "2024-06-01"
    f.loc[i, "referred_date"] = "2024-05-01"
    f.loc[i, ["completed_date", "dropped_date"]] = ["", "2024-07-01"]
    return f


def listed_before_go_live(f, d):
    i = f.index[(f.district_id == "EHA") & (f.month < "2023-01") & (f.eligible == "true")][0]
    f.loc[i, "listed"] = "true"
    return f


def died_before_contact(d):
    con = read(d, "contacts")
    pid = con.person_id.iloc[-1]
    last = con[con.person_id == pid].contact_date.max()
    ex = read(d, "exits")
    ex = ex[ex.person_id != pid]
    death = (pd.Timestamp(last) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    ex = pd.concat([ex, pd.DataFrame({"person_id": [pid], "exit_date": [death], "exit_reason": ["died"]})])
    write(d, "exits", ex)


def non_utf8(d):
    raw = (d / "people.csv").read_bytes().replace(b"male", "m\xe4le".encode("latin-1"), 1)
    (d / "people.csv").write_bytes(raw)


def excel_title_row(d):
    f = read(d, "people")
    with pd.ExcelWriter(d / "people.xlsx") as xl:
        pd.DataFrame([["People extract, Hampshire, run 2025-01-02"]]).to_excel(xl, index=False, header=False)
        f.to_excel(xl, index=False, startrow=1)
    (d / "people.csv").unlink()


def duplicate_file(d):
    read(d, "rmps").to_parquet(d / "rmps.parquet")


def sequential_ids(f, d):
    f.loc[0, "person_id"] = "12345"
    return f


# (corruption, file, column, words the message must contain)
CASES = {
    "missing file": (lambda d: (d / "people.csv").unlink(), "people.csv", "", "required table is missing"),
    "empty file": (lambda d: (d / "offences.csv").write_text(""), "offences.csv", "", "file is empty"),
    "missing column": (edit("people", lambda f, d: f.drop(columns="sex")), "people.csv", "sex", "required column is missing"),
    "renamed column": (edit("people", lambda f, d: f.rename(columns={"birth_ym": "birth_yearmonth"})), "people.csv",
                       "birth_ym", "renamed"),
    "wrong type number": (set_cell("offences", "chi_days", "lots"), "offences.csv", "chi_days", "must be a number"),
    "wrong type integer": (set_cell("ppit_assessments", "ppit_01", "1.5"), "ppit_assessments.csv", "ppit_01",
                           "must be a whole number"),
    "wrong type boolean": (set_cell("screening", "listed", "yes"), "screening.csv", "listed", "must be true or false"),
    "garbled date": (set_cell("offences", "offence_date", "2021-13-45"), "offences.csv", "offence_date",
                     "not a real calendar date"),
    "impossible date": (set_cell("contacts", "contact_date", "2022-02-30"), "contacts.csv", "contact_date",
                        "not a real calendar date"),
    "mixed date formats": (set_cell("offences", "offence_date", "03/04/2021"), "offences.csv", "offence_date",
                           "ISO 8601"),
    "garbled year-month": (set_cell("people", "birth_ym", "1995-13"), "people.csv", "birth_ym", "YYYY-MM"),
    "future date": (set_cell("contacts", "contact_date", "2030-01-01"), "contacts.csv", "contact_date",
                    "after the extract date"),
    "duplicate key": (edit("contacts", lambda f, d: f.assign(contact_id=[f.contact_id[1]] + list(f.contact_id[1:]))),
                      "contacts.csv", "contact_id", "must be unique"),
    "duplicate person": (edit("people", lambda f, d: pd.concat([f, f.iloc[[3]]])), "people.csv", "person_id",
                         "must be unique"),
    "duplicate composite key": (edit("screening", lambda f, d: pd.concat([f, f.iloc[[5]]])), "screening.csv",
                                "person_id, month", "key must be unique"),
    "orphan foreign key": (set_cell("offences", "person_id", "P00000000"), "offences.csv", "person_id",
                           "no matching person_id in people.csv"),
    "unknown category": (set_cell("people", "sex", "M"), "people.csv", "sex", "value not allowed"),
    "unknown contact type": (set_cell("contacts", "staff", "volunteer"), "contacts.csv", "staff", "value not allowed"),
    "PPIT item off the scale": (edit("ppit_assessments", ppit_off_scale), "ppit_assessments.csv", "ppit_03",
                                "off the scale"),
    "PPIT total does not add up": (set_cell("ppit_assessments", "total", "0", where=lambda f, d: f.total != "0"),
                                   "ppit_assessments.csv", "total", "does not equal the sum"),
    "PPIT priority flag wrong": (set_cell("ppit_assessments", "priority", "true", where=lambda f, d: f.priority == "false"),
                                 "ppit_assessments.csv", "priority", "priority must be true exactly when"),
    "referral stages out of order": (edit("referrals", referral_out_of_order), "referrals.csv", "started_date",
                                     "out of order"),
    "completed and dropped": (set_cell("referrals", "dropped_date", "2024-12-30",
                                       where=lambda f, d: f.completed_date != ""), "referrals.csv", "completed_date",
                              "both completed and dropped"),
    "started without accepted": (set_cell("referrals", "accepted_date", "", where=lambda f, d: f.started_date != ""),
                                 "referrals.csv", "accepted_date", "started without being accepted"),
    "unknown service": (set_cell("referrals", "service", "Yoga"), "referrals.csv", "service", "service not in the programme"),
    "non-UTF-8 bytes": (non_utf8, "people.csv", "", "not UTF-8"),
    "Excel title row": (excel_title_row, "people.xlsx", "", "header is on row 2"),
    "two files for one table": (duplicate_file, "rmps.csv, rmps.parquet", "", "more than one file"),
    "eligible inconsistent": (set_cell("screening", "eligible", "true", where=lambda f, d: f.eligible == "false"),
                              "screening.csv", "eligible", "all criteria"),
    "listed before go-live": (edit("screening", listed_before_go_live), "screening.csv", "listed",
                              "before the district went live"),
    "listed but not eligible": (set_cell("screening", "listed", "true", where=lambda f, d: f.eligible == "false"),
                                "screening.csv", "listed", "listed but not eligible"),
    "age criterion contradicts birth": (set_cell("screening", "crit_age", "false", where=lambda f, d: f.crit_age == "true"),
                                        "screening.csv", "crit_age", "disagrees with birth_ym"),
    "month outside study": (set_cell("screening", "month", "2018-06"), "screening.csv", "month", "outside the study period"),
    "exit before birth": (set_cell("exits", "exit_date", "1960-01-01"), "exits.csv", "exit_date", "exit is before birth"),
    "negative exposure": (set_cell("exits", "exit_date", "2018-01-01"), "exits.csv", "exit_date", "negative follow-up"),
    "unknown offence type": (set_cell("offences", "offence_type", "piracy"), "offences.csv", "offence_type",
                             "offence type not in the programme"),
    "DA offence without victim": (set_cell("offences", "victim_id", "", where=lambda f, d: f.da_flag == "true"),
                                  "offences.csv", "victim_id", "must name a victim"),
    "sequential integer identifier": (edit("people", sequential_ids), "people.csv", "person_id", "identifier pattern"),
    "go-live differs from programme": (set_cell("districts", "go_live", "2020-01"), "districts.csv", "go_live",
                                       "in the programme definition"),
    "event after death": (died_before_contact, "contacts.csv", "contact_date", "after the person's death"),
    "blank required value": (set_cell("people", "ethnicity_group", ""), "people.csv", "ethnicity_group",
                             "required but blank"),
    "negative harm weight": (set_cell("offences", "chi_days", "-5"), "offences.csv", "chi_days", "below the minimum"),
}


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("case", sorted(CASES))
def test_corruption_is_refused_with_file_column_and_rule(case, extract_copy):
    corrupt, file, column, words = CASES[case]
    corrupt(extract_copy)
    before = _hashes(extract_copy)
    with pytest.raises(ValidationError) as err:
        load_dataset(extract_copy)
    assert _hashes(extract_copy) == before, "validation must never modify its input"
    hits = [f for f in err.value.failures if f.file == file and f.column == column and words in f.rule]
    assert hits, f"expected {file} / {column} / {words!r} in:\n{err.value.report()}"
    text = str(hits[0])
    assert file in text and words in text and (column in text)


def test_valid_extract_loads_and_is_read_only_mapping(small_ds):
    assert set(small_ds.tables) >= {"people", "screening", "offences", "exits"}
    with pytest.raises(TypeError):
        small_ds.tables["people"] = None
    assert len(small_ds.data_hash) == 64
    assert small_ds.screening.month.dtype == "period[M]"
    assert str(small_ds.offences.offence_date.dtype).startswith("datetime64")


def test_all_failures_reported_together_with_line_numbers(extract_copy):
    set_cell("people", "sex", "M", row=2)(extract_copy)
    set_cell("offences", "chi_days", "x", row=0)(extract_copy)
    with pytest.raises(ValidationError) as err:
        load_dataset(extract_copy)
    report = err.value.report()
    assert "people.csv, column sex: value not allowed" in report
    assert "line 4: 'M'" in report  # header is line 1, so row 2 of the data is line 4
    assert "offences.csv, column chi_days: must be a number" in report
    assert len(err.value.failures) == 2


def test_examples_are_capped_at_five(extract_copy):
    f = read(extract_copy, "people")
    f.loc[:19, "sex"] = "M"
    write(extract_copy, "people", f)
    with pytest.raises(ValidationError) as err:
        load_dataset(extract_copy)
    (fail,) = [x for x in err.value.failures if x.column == "sex"]
    assert fail.count == 20 and len(fail.examples) == 5


def test_parquet_and_excel_extracts_load(extract_copy):
    people = read(extract_copy, "people")
    people.to_parquet(extract_copy / "people.parquet")
    (extract_copy / "people.csv").unlink()
    rmps = read(extract_copy, "rmps")
    rmps.to_excel(extract_copy / "rmps.xlsx", index=False)
    (extract_copy / "rmps.csv").unlink()
    ds = load_dataset(extract_copy)
    assert len(ds.people) == len(people) and len(ds.rmps) == len(rmps)


def test_optional_table_may_be_absent(extract_copy):
    (extract_copy / "rmps.csv").unlink()
    ds = load_dataset(extract_copy)
    assert len(ds.rmps) == 0
    assert any("rmps" in w for w in ds.warnings)


def test_cli_validate_exit_codes(extract_copy, capsys):
    assert main(["validate", str(extract_copy)]) == 0
    assert "valid" in capsys.readouterr().out
    set_cell("people", "sex", "M")(extract_copy)
    assert main(["validate", str(extract_copy)]) == 2
    err = capsys.readouterr().err
    assert "people.csv, column sex: value not allowed" in err


def test_cli_validate_subprocess_has_no_traceback(extract_copy):
    (extract_copy / "people.csv").write_bytes(b"\xff\xfe garbage")
    proc = subprocess.run([sys.executable, "-m", "foundation_eval.cli", "validate", str(extract_copy)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "people.csv" in proc.stderr and "UTF-8" in proc.stderr


@pytest.mark.parametrize("case", sorted(CASES))
def test_render_refuses_corrupted_extract_and_writes_nothing(case, extract_copy, tmp_path, capsys):
    corrupt, file, column, words = CASES[case]
    corrupt(extract_copy)
    out = tmp_path / "site"
    assert main(["render", "--data", str(extract_copy), "--out", str(out), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert file in err and words in err and (not column or f"column {column}" in err)
    assert not out.exists() and not list(tmp_path.glob(".site.partial-*"))


def test_snapshot_round_trip_keeps_types_and_hash(small_ds, tmp_path):
    from foundation_eval.data.load import write_tables

    snap = write_tables(small_ds, tmp_path / "snap")  # the tables alone
    again = load_dataset(snap)
    assert again.data_hash == small_ds.data_hash
    for name, frame in small_ds.tables.items():
        assert list(frame.dtypes) == list(again.tables[name].dtypes), name
        assert frame.equals(again.tables[name]), name


def _typed_parquet(d, table, fn):
    """Replace a CSV table with a typed Parquet copy (as a warehouse export would be), edited by ``fn``."""
    from foundation_eval.schemas import load_schemas

    kinds = {"date": "datetime64[ns]", "integer": "Int64", "number": "float", "boolean": "boolean"}
    f = read(d, table)
    for field in load_schemas()[table].fields:
        if field.name in f and field.type in kinds:
            col = f[field.name]
            if field.type == "boolean":
                col = col.map({"true": True, "false": False})
            f[field.name] = col.astype(kinds[field.type])
    fn(f)
    f.to_parquet(d / f"{table}.parquet", index=False)
    (d / f"{table}.csv").unlink()


def test_typed_parquet_loads_like_the_csv(small_ds, extract_copy):
    for table in ("offences", "referrals", "contacts", "ppit_assessments"):
        _typed_parquet(extract_copy, table, lambda f: None)
    ds = load_dataset(extract_copy)
    for table in ("offences", "referrals", "contacts", "ppit_assessments"):
        pd.testing.assert_frame_equal(ds.tables[table], small_ds.tables[table])


@pytest.mark.parametrize("edit_fn, column, rule", [
    (lambda f: f.__setitem__("offence_date", f.offence_date.where(f.index != 3, pd.Timestamp("2031-05-01"))),
     "offence_date", "after the extract date"),
    (lambda f: f.__setitem__("chi_days", f.chi_days.where(f.index != 2, np.inf)), "chi_days", "must be a number"),
    (lambda f: f.__setitem__("chi_days", f.chi_days.where(f.index != 2, -5.0)), "chi_days", "below the minimum"),
])
def test_typed_parquet_errors_name_file_column_and_rule(extract_copy, edit_fn, column, rule):
    _typed_parquet(extract_copy, "offences", edit_fn)
    with pytest.raises(ValidationError) as err:
        load_dataset(extract_copy)
    hits = [x for x in err.value.failures if x.file == "offences.parquet" and x.column == column and rule in x.rule]
    assert hits and hits[0].count == 1 and hits[0].examples
