"""prepare: a force's own exports back to the data contract, with keyed pseudonyms.

The raw exports are built from a small synthetic extract by undoing the contract: source column names,
UK ``dd/mm/yyyy`` dates, Excel serial dates and date cells, ``Y``/``N``, district names, Home Office
offence codes, invented names and police-style person numbers, and a partner workbook with several
sheets (one with title rows). Preparing them must give back the synthetic extract up to a one-to-one
renaming of identifiers, with no raw identifier, name or date of birth anywhere in the output.
"""
from __future__ import annotations

import hmac
import os
import re
import shutil
import stat
import tomllib
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from foundation_eval.cli import main
from foundation_eval.config import load_programme
from foundation_eval.data import synth
from foundation_eval.data.load import load_dataset
from foundation_eval.data.prepare import PrepareError, identifier_letter, mapping_template, prepare
from foundation_eval.data.pseudonym import Key, KeyProblem, Pseudonymiser, read_key
from foundation_eval.schemas import programme_schemas

HERE = Path(__file__).parent / "data" / "prepare"
KEY_ENV = "FE_TEST_PSEUDONYM_KEY"  # named in tests/data/prepare/mapping.toml
KEY = "3f1c9a0b7e52d4c8a1f06b9e2d7c4a5b8e1f0a3c6d9b2e5f8a1c4d7e0b3f6a9c"
OTHER_KEY = "9c2e7a1f4b8d0c3e6a9f2b5d8e1a4c7f0b3e6d9a2c5f8b1e4a7d0c3f6b9e2a5d"
CUT = "2024-06-30"  # the earlier of two monthly extracts ends here

FORENAMES = ["Aldous", "Bartholomew", "Cedric", "Desmond", "Ebenezer", "Fergus", "Gideon", "Horatio", "Ignatius",
             "Jasper", "Leopold", "Montague", "Nathaniel", "Octavius", "Percival", "Quentin", "Rupert", "Sebastian",
             "Thaddeus", "Ulysses"]
SURNAMES = ["Ashgrove", "Bellweather", "Corrigan", "Dunstable", "Everleigh", "Fenwick", "Gorringe", "Hollingworth",
            "Ingleby", "Jessop", "Kettering", "Loxley", "Mortlake", "Nettleship", "Oakenshaw", "Pemberton", "Quenby",
            "Rowntree", "Stainforth", "Thackeray"]
SEX = {"male": "M", "female": "F", "other": "X", "unknown": "U"}
ETHNICITY = {"white": ["W1", "W2", "W9"], "mixed": ["M1", "M9"], "asian": ["A1", "A2", "A9"], "black": ["B1", "B9"],
             "other": ["O1", "O9"], "unknown": ["NS", ""]}
YN = {"true": "Y", "false": "N"}


# ------------------------------------------------------------------------------------------ building the exports
@pytest.fixture(scope="module")
def contract(tmp_path_factory):
    """A small synthetic extract (the contract) as text tables, and its folder."""
    folder = synth.write(synth.generate("hiow", seed=23, scale=0.1, truth_replicates=2),
                         tmp_path_factory.mktemp("contract"))
    (folder / "truth.json").unlink()
    tables = {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in folder.glob("*.csv")}
    return folder, tables


def _numbers(values, fmt, seed) -> dict[str, str]:
    """Police-style numbers for the distinct contract identifiers (a fixed one-to-one renaming)."""
    distinct = sorted({v for v in values if v})
    rng = np.random.default_rng(seed)
    codes = rng.choice(900_000, size=len(distinct), replace=False) + 100_000
    return {v: fmt(int(c), k) for k, (v, c) in enumerate(zip(distinct, codes, strict=True))}


def _identities(tables) -> dict[str, dict[str, str]]:
    t = tables
    people = pd.concat([t[n]["person_id"] for n in t if "person_id" in t[n]])
    return {
        "person": _numbers(people, lambda c, k: f"44/{c:06d}/{19 + k % 6}", 1),
        "victim": _numbers(t["offences"].victim_id, lambda c, k: f"47/{c:06d}/{19 + k % 6}", 2),
        "offence": _numbers(t["offences"].offence_id, lambda c, k: f"44{19 + k % 6}{c:07d}", 3),
        "contact": _numbers(t["contacts"].contact_id, lambda c, k: str(5_000_000 + c), 4),
        "assessment": _numbers(t["ppit_assessments"].assessment_id, lambda c, k: f"PPIT-{c:06d}", 5),
        "assessor": _numbers(t["ppit_assessments"].assessor_id, lambda c, k: f"PC{c:06d}", 6),
        "referral": _numbers(t["referrals"].referral_id, lambda c, k: f"REF/{c:06d}", 7),
        "rmp": _numbers(t["rmps"].rmp_id, lambda c, k: f"RMP-{c:06d}", 8),
    }


def _uk(iso: pd.Series) -> pd.Series:
    return iso.map(lambda v: f"{v[8:10]}/{v[5:7]}/{v[:4]}" if v else "")


def _serial(iso: str):
    return (pd.Timestamp(iso) - pd.Timestamp("1899-12-30")).days if iso else None


def _cell_date(iso: str):
    return datetime.fromisoformat(iso) if iso else None


def build_raw(tables: dict[str, pd.DataFrame], ids: dict[str, dict[str, str]], folder: Path) -> dict:
    """Undo the contract: write the force's exports into ``folder``; returns the private values written."""
    folder.mkdir(parents=True)
    prog = load_programme("hiow")
    name_of = {d.id: d.name for d in prog.districts}
    rng = np.random.default_rng(99)
    pn = ids["person"]
    ho = pd.read_csv(HERE / "ho_offence_codes.csv", dtype=str)
    codes_of = ho.groupby("offence_type").ho_code.apply(list).to_dict()

    p = tables["people"]
    n = len(p)
    days = rng.integers(1, 29, n)
    dob = [f"{d:02d}/{ym[5:7]}/{ym[:4]}" for d, ym in zip(days, p.birth_ym, strict=True)]
    eth = [ETHNICITY[g][rng.integers(len(ETHNICITY[g]))] for g in p.ethnicity_group]
    nominals = pd.DataFrame({
        "PersonNo": p.person_id.map(pn), "Forename": rng.choice(FORENAMES, n), "Surname": rng.choice(SURNAMES, n),
        "DOB": dob, "Gender": p.sex.map(SEX), "EthnicCode": eth, "District": p.home_district_id.map(name_of),
        "Address": [f"{k + 1} Acacia Road" for k in range(n)],
    })
    # one row per address: some people appear twice, differing only in columns that are not written
    twice = nominals.iloc[::20].assign(Address=lambda d: "Flat 2, " + d.Address)
    nominals = pd.concat([nominals, twice]).sort_index(kind="stable")
    nominals.to_csv(folder / "nominals.csv", index=False)

    s = tables["screening"]
    crit = {"crit_da_offence_2y": "DA offence 2y", "crit_intimate_partner": "Intimate partner",
            "crit_family_setting": "Family setting", "crit_not_charged": "Not charged", "crit_age": "Age 18-30",
            "eligible": "Eligible", "listed": "Listed"}
    screening = pd.DataFrame({"PersonNo": s.person_id.map(pn), "Screen date": "01/" + s.month.str[5:7] + "/" + s.month.str[:4],
                              "District": s.district_id.map(name_of)})
    for c, label in crit.items():
        screening[label] = s[c].map(YN)
    screening.to_csv(folder / "screening.csv", index=False)

    o = tables["offences"]
    crimes = pd.DataFrame({
        "RecordType": "Crime", "CrimeRef": o.offence_id.map(ids["offence"]), "SuspectNo": o.person_id.map(pn),
        "Committed": _uk(o.offence_date),
        "HOCode": [codes_of[t][k % len(codes_of[t])] for k, t in enumerate(o.offence_type)],
        "DA": o.da_flag.map(YN), "VictimNo": o.victim_id.map(ids["victim"]).fillna(""),
        "Notes": "free text that must never be written",
    })
    junk = crimes.iloc[::50].assign(RecordType="Non-crime incident", HOCode="", Committed="unknown")
    pd.concat([crimes, junk]).sort_index(kind="stable").to_csv(folder / "crimes.csv", index=False)

    e = tables["exits"]
    reasons = {"custody": "Custody", "moved_away": "Moved away", "died": "Died"}
    pd.DataFrame({"PersonNo": e.person_id.map(pn), "Exit date": e.exit_date.map(_serial),
                  "Reason": e.exit_reason.map(reasons)}).to_csv(folder / "exits.csv", index=False)

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Districts")
    ws.append(["District", "Went live", "Pilot", "Practitioners from"])
    for r in tables["districts"].itertuples():
        ws.append([r.district_name, pd.Period(r.go_live).strftime("%b-%Y"), YN[r.pilot],
                   _cell_date(r.practitioner_from + "-01")])
    c = tables["contacts"]
    ws = wb.create_sheet("Contacts")
    ws.append(["Contact ref", "Police no", "Date", "Type", "Staff", "Outcome"])
    for r in c.itertuples():
        ws.append([int(ids["contact"][r.contact_id]), pn[r.person_id], _serial(r.contact_date), r.contact_type,
                   r.staff.capitalize(), r.outcome])
    a = tables["ppit_assessments"]
    ws = wb.create_sheet("PPIT")
    ws.append(["PPIT assessments exported from the case system"])
    ws.append([])
    items = [f"ppit_{k:02d}" for k in range(1, 11)]
    ws.append(["Assessment ref", "Police no", "Assessor", "Assessed on", "Rating", *[f"Q{k}" for k in range(1, 11)],
               "Total", "Priority"])
    for r in a.to_dict("records"):
        ws.append([ids["assessment"][r["assessment_id"]], pn[r["person_id"]], ids["assessor"][r["assessor_id"]],
                   _uk(pd.Series([r["assessment_date"]]))[0], r["rating"], *[int(r[i]) for i in items],
                   int(r["total"]), YN[r["priority"]]])
    f = tables["referrals"]
    ws = wb.create_sheet("Referrals")
    stages = ["referred_date", "accepted_date", "started_date", "completed_date", "dropped_date"]
    ws.append(["Referral ref", "Police no", "Service", "Pathway", "Referred", "Accepted", "Started", "Completed",
               "Dropped"])
    for r in f.to_dict("records"):
        ws.append([ids["referral"][r["referral_id"]], pn[r["person_id"]], r["service"], r["pathway"],
                   *[_cell_date(r[k]) for k in stages]])
    m = tables["rmps"]
    ws = wb.create_sheet("RMPs")
    ws.append(["Plan ref", "Police no", "Agreed", "Supervision", "Monitoring", "Interventions", "Victim safety"])
    for r in m.to_dict("records"):
        ws.append([ids["rmp"][r["rmp_id"]], pn[r["person_id"]], _serial(r["rmp_date"]), YN[r["supervision"]],
                   YN[r["monitoring_control"]], YN[r["interventions_treatment"]], YN[r["victim_safety"]]])
    wb.save(folder / "partner.xlsx")
    shutil.copy(HERE / "mapping.toml", folder.parent / "mapping.toml")
    shutil.copy(HERE / "ho_offence_codes.csv", folder.parent / "ho_offence_codes.csv")
    return {"names": set(nominals.Forename) | set(nominals.Surname), "dob": set(dob),
            "dob_iso": {f"{d[6:]}-{d[3:5]}-{d[:2]}" for d in dob}}


def cut_tables(tables: dict[str, pd.DataFrame], cut: str) -> dict[str, pd.DataFrame]:
    """The same force as an earlier monthly extract: nothing after ``cut``."""
    t = {k: v.copy() for k, v in tables.items()}
    t["screening"] = t["screening"][t["screening"].month <= cut[:7]]
    seen = set(t["screening"].person_id)
    t["people"] = t["people"][t["people"].person_id.isin(seen)]
    for name, col in (("offences", "offence_date"), ("contacts", "contact_date"), ("exits", "exit_date"),
                      ("ppit_assessments", "assessment_date"), ("rmps", "rmp_date"), ("referrals", "referred_date")):
        frame = t[name]
        t[name] = frame[(frame[col] <= cut) & frame.person_id.isin(seen)]
    ref = t["referrals"] = t["referrals"].copy()
    for col in ("accepted_date", "started_date", "completed_date", "dropped_date"):
        ref.loc[ref[col] > cut, col] = ""
    return t


@pytest.fixture(scope="module")
def raw(contract, tmp_path_factory):
    _, tables = contract
    ids = _identities(tables)
    root = tmp_path_factory.mktemp("force")
    private = build_raw(tables, ids, root / "exports")
    return root, ids, private


@pytest.fixture()
def key_env(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)


@pytest.fixture(scope="module")
def prepared(raw, tmp_path_factory):
    root, _, _ = raw
    out = tmp_path_factory.mktemp("extracts") / "2024-12"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(KEY_ENV, KEY)
        done = prepare(root / "mapping.toml", root / "exports", out)
    return out, done


# ------------------------------------------------------------------------------------------ round trip
def _id_columns():
    schemas = programme_schemas(load_programme("hiow"))
    return {(t, f.name): identifier_letter(f) for t, s in schemas.items() for f in s.fields if identifier_letter(f)}


def test_prepared_extract_equals_the_original_up_to_renaming_of_identifiers(contract, prepared):
    folder, _ = contract
    out, _ = prepared
    orig = load_dataset(folder).tables
    new = load_dataset(out).tables
    assert set(new) == set(orig)
    pairs: dict[str, list[pd.DataFrame]] = {}
    id_cols = _id_columns()
    for name, frame in orig.items():
        got = new[name]
        assert list(got.columns) == list(frame.columns), name
        assert len(got) == len(frame), name
        for col in frame.columns:
            letter = id_cols.get((name, col))
            if letter is None:
                pd.testing.assert_series_equal(got[col], frame[col], obj=f"{name}.{col}")
                continue
            assert (got[col].isna() == frame[col].isna()).all(), f"{name}.{col}"
            assert got[col].dropna().str.fullmatch(rf"{letter}[0-9A-F]{{16}}").all(), f"{name}.{col}"
            pairs.setdefault(letter, []).append(pd.DataFrame({"orig": frame[col], "new": got[col]}).dropna())
    assert set(pairs) == {"P", "V", "O", "C", "A", "R", "F", "M"}
    for letter, parts in pairs.items():
        p = pd.concat(parts).drop_duplicates()
        # one-to-one: each original identifier has one pseudonym and each pseudonym one original
        assert p.orig.is_unique and p.new.is_unique, letter
    assert len(pd.concat(pairs["P"]).drop_duplicates()) == len(orig["people"])


def test_validate_accepts_the_prepared_extract(prepared, capsys):
    out, _ = prepared
    assert main(["validate", str(out)]) == 0
    assert "valid" in capsys.readouterr().out


def test_no_raw_identifier_name_or_date_of_birth_in_the_output(raw, prepared):
    _, ids, private = raw
    out, _ = prepared
    files = sorted(out.rglob("*"))
    assert [p.name for p in files] == sorted(f"{t}.csv" for t in programme_schemas(load_programme("hiow")))
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    cells = set(re.split(r"[,\n]", text))
    raw_ids = set().union(*(set(m.values()) for m in ids.values()))
    assert not cells & raw_ids
    assert not cells & (private["dob"] | private["dob_iso"])
    names = re.compile("|".join(sorted(private["names"])))
    assert names.search(text) is None
    for word in ("Acacia", "free text", "44/", "47/", "PPIT-", "REF/", "RMP-"):
        assert word not in text


def test_account_counts_rows_and_recodings_without_identifiers(raw, prepared, contract):
    _, ids, private = raw
    _, tables = contract
    _, done = prepared
    people = done.tables["people"]
    extra = len(tables["people"].iloc[::20])
    assert (people.read, people.dropped, people.written) == (len(tables["people"]) + extra, extra,
                                                            len(tables["people"]))
    offences = done.tables["offences"]
    junk = len(tables["offences"].iloc[::50])
    assert (offences.dropped, offences.written) == (junk, len(tables["offences"]))
    assert done.pseudonyms["P"] == len(tables["people"])
    text = done.summary()
    assert "people.sex" in text and "ho_offence" in text and "birth_ym: derived from DOB" in text
    tokens = set(re.split(r"[\s,;:()]+", text))
    assert not tokens & set().union(*(set(m.values()) for m in ids.values()))
    assert not tokens & (private["names"] | private["dob"])


# ------------------------------------------------------------------------------------------ monthly extracts
@pytest.fixture(scope="module")
def earlier(contract, raw, tmp_path_factory):
    """The same force's earlier monthly export (same people numbers), as raw exports."""
    _, tables = contract
    _, ids, _ = raw
    root = tmp_path_factory.mktemp("force-earlier")
    build_raw(cut_tables(tables, CUT), ids, root / "exports")
    return root, cut_tables(tables, CUT)


def _pseudonym_of_person(folder: Path, people_orig: pd.DataFrame) -> pd.Series:
    got = pd.read_csv(folder / "people.csv", dtype=str)
    return pd.Series(got.person_id.to_numpy(), index=people_orig.person_id.to_numpy())


def test_monthly_extracts_link_with_the_same_key_only(prepared, earlier, tmp_path, monkeypatch, contract):
    _, tables = contract
    later_out, _ = prepared
    root, cut = earlier
    monkeypatch.setenv(KEY_ENV, KEY)
    prepare(root / "mapping.toml", root / "exports", tmp_path / "2024-06")
    later = _pseudonym_of_person(later_out, tables["people"])
    first = _pseudonym_of_person(tmp_path / "2024-06", cut["people"])
    assert 0 < len(first) < len(later)
    pd.testing.assert_series_equal(first, later[first.index], check_names=False)
    monkeypatch.setenv(KEY_ENV, OTHER_KEY)
    prepare(root / "mapping.toml", root / "exports", tmp_path / "other-key")
    other = _pseudonym_of_person(tmp_path / "other-key", cut["people"])
    assert other.is_unique
    assert not set(other) & set(later)


# ------------------------------------------------------------------------------------------ refusals
@pytest.fixture()
def copy(raw, tmp_path):
    """A private copy of the raw exports and mapping that a test may break."""
    root, _, _ = raw
    dest = tmp_path / "force"
    shutil.copytree(root, dest)
    return dest


def _refused(root: Path, out: Path | None = None, **kw) -> PrepareError:
    out = out or root / "extract"
    with pytest.raises(PrepareError) as exc:
        prepare(root / "mapping.toml", root / "exports", out, **kw)
    assert not out.exists()
    assert sorted(p.name for p in root.iterdir()) == ["exports", "ho_offence_codes.csv", "mapping.toml"]
    return exc.value


def _edit_mapping(root: Path, old: str, new: str) -> None:
    path = root / "mapping.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _edit_csv(root: Path, file: str, row: int, col: str, value: str) -> str:
    path = root / "exports" / file
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row, col] = value
    frame.to_csv(path, index=False)
    return frame


def test_refuses_a_required_column_with_no_mapping(copy, key_env):
    _edit_mapping(copy, 'sex = { column = "Gender", recode = "sex" }\n', "")
    _edit_mapping(copy, 'exit_date = "Exit date"', 'exit_date = ""')
    err = _refused(copy)
    assert [(f.column, f.rule.split(" (")[0]) for f in err.failures] == [
        ("sex", "required column has no mapping"), ("exit_date", "required column has no mapping")]
    assert "mapping.toml [tables.people.columns], column sex: required column has no mapping" in err.report()


def test_refuses_a_value_with_no_recoding(copy, key_env):
    _edit_csv(copy, "nominals.csv", 3, "Gender", "Z")
    frame = _edit_csv(copy, "nominals.csv", 7, "Gender", "Z")
    err = _refused(copy)
    (f,) = err.failures
    assert (f.file, f.column, f.count) == ("nominals.csv", "Gender", 2)
    assert f.rule == "value with no recoding in [recode.sex]: 'Z' (2)"
    assert f.examples == ("line 5", "line 9")  # header is line 1, data row 3 is line 5
    assert frame.PersonNo[3] not in err.report()


def test_refuses_a_date_in_no_accepted_format_without_showing_identifiers(copy, key_env):
    frame = _edit_csv(copy, "crimes.csv", 0, "Committed", "2021.03.15")
    _edit_csv(copy, "nominals.csv", 2, "DOB", "1990/31/12")
    err = _refused(copy)
    assert [(f.file, f.column, f.count) for f in err.failures] == [("nominals.csv", "DOB", 1),
                                                                   ("crimes.csv", "Committed", 1)]
    dob, crime = err.failures
    assert dob.rule.startswith("date in no accepted format (accepted: %Y-%m-%d, %Y-%m-%d %H:%M:%S, %d/%m/%Y, excel")
    # dates are never quoted (a date of birth may sit in any date column): rows, and the values' shapes
    assert dob.rule.endswith("set [formats] or this column's formats): values not shown, as they could identify "
                             "a person; shaped 9999/99/99 (1)")
    assert dob.examples == ("line 4",)
    assert crime.rule.endswith("shaped 9999.99.99 (1)") and crime.examples == ("line 2",)
    report = err.report()
    assert frame.CrimeRef[0] not in report and frame.SuspectNo[0] not in report and "1990/31/12" not in report
    assert "2021.03.15" not in report


def _no_private_value(report: str, private: dict) -> None:
    words = set(re.split(r"[\s,;:()'\"]+", report))
    assert not words & private["names"], words & private["names"]
    assert not words & (private["dob"] | private["dob_iso"])
    for dob in private["dob"] | private["dob_iso"]:
        assert dob not in report


@pytest.mark.parametrize("mapped", [
    'sex = { column = "Surname", recode = "sex" }',  # a coded field through a recoding
    'sex = "Surname"',  # a coded field of the contract, straight
    'ethnicity_group = "Surname"',
])
def test_a_surname_mapped_by_mistake_is_never_shown(copy, raw, key_env, mapped):
    _, _, private = raw
    _edit_mapping(copy, 'private = ["Forename", "Surname", "DOB", "Address"]', 'private = ["Forename", "DOB", "Address"]')
    field = mapped.split(" = ")[0]
    old = {"sex": 'sex = { column = "Gender", recode = "sex" }',
           "ethnicity_group": 'ethnicity_group = { column = "EthnicCode", recode = "ethnicity" }'}[field]
    _edit_mapping(copy, old, mapped)
    err = _refused(copy)
    people = pd.read_csv(copy / "exports" / "nominals.csv", dtype=str, keep_default_na=False)
    (f,) = [f for f in err.failures if f.column == "Surname"]
    assert f.file == "nominals.csv" and f.count == len(people)
    assert f.rule.startswith("value with no recoding")
    assert ("values not shown, as they could identify a person; shaped Aa (" in f.rule
            and f.rule.endswith("no value of the column is allowed: is it the right source column?"))
    assert f.examples == ("line 2", "line 3", "line 4", "line 5", "line 6")
    _no_private_value(err.report(), private)


def test_a_date_of_birth_mapped_by_mistake_is_never_shown(copy, raw, key_env):
    _, _, private = raw
    path = copy / "exports" / "nominals.csv"
    people = pd.read_csv(path, dtype=str, keep_default_na=False)
    people.assign(Born=people.DOB).to_csv(path, index=False)  # the date of birth again, not declared private
    _edit_mapping(copy, 'ethnicity_group = { column = "EthnicCode", recode = "ethnicity" }',
                  'ethnicity_group = "Born"')  # a coded text field
    _edit_mapping(copy, 'home_district_id = { column = "District", recode = "district" }',
                  'home_district_id = "Born"')  # a text field with no list of values
    err = _refused(copy)
    coded, *written = err.failures
    assert (coded.file, coded.column, coded.count) == ("nominals.csv", "Born", len(people))
    assert coded.rule.startswith("value with no recoding to an allowed value (white, mixed, asian, black, other, "
                                 "unknown): values not shown, as they could identify a person; shaped 99/99/9999 (")
    assert coded.examples == ("line 2", "line 3", "line 4", "line 5", "line 6")
    # DOB is the source of birth_ym, so its values are private whatever the mapping declares: both fields
    # that would copy them are refused by row
    assert [(f.file, f.column) for f in written] == [("people.csv (from nominals.csv)", "ethnicity_group"),
                                                     ("people.csv (from nominals.csv)", "home_district_id")]
    assert all(f.rule.startswith("a raw identifier or private value (a police number, name or date of birth) would "
                                 "be written") and f.examples[0] == "line 2" for f in written)
    _no_private_value(err.report(), private)


def test_a_contract_refusal_quotes_no_source_value(copy, raw, key_env):
    # a surname, not declared private, copied into a text field: prepared, then refused by the contract
    _, _, private = raw
    _edit_mapping(copy, 'private = ["Forename", "Surname", "DOB", "Address"]', 'private = ["Forename", "DOB", "Address"]')
    _edit_mapping(copy, 'home_district_id = { column = "District", recode = "district" }', 'home_district_id = "Surname"')
    err = _refused(copy)
    assert err.failures and all(f.file == "people.csv (from nominals.csv)" and f.column == "home_district_id"
                                and f.rule.startswith("the prepared extract breaks the data contract")
                                for f in err.failures)
    # rows of the source file (one person's second address row is dropped, so the rows are not the extract's)
    assert all(re.fullmatch(r"line \d+", e) for f in err.failures for e in f.examples)
    _no_private_value(err.report(), private)


def test_a_mistyped_code_is_still_shown(copy, raw, key_env):
    _, _, private = raw
    _edit_csv(copy, "exits.csv", 0, "Reason", "Custdy")  # a typo of Custody
    frame = _edit_csv(copy, "exits.csv", 1, "Reason", "Loxley")  # a surname typed into the field, once
    assert frame.Reason.isin(["Custody", "Moved away", "Died", "Custdy", "Loxley", ""]).all()
    err = _refused(copy)
    (f,) = err.failures
    assert (f.file, f.column, f.count, f.examples) == ("exits.csv", "Reason", 2, ("line 2", "line 3"))
    assert f.rule == ("value with no recoding in [recode.exits.exit_reason]: 'Custdy' (1); other values not shown, "
                      "as they could identify a person; shaped Aa (1)")
    _no_private_value(err.report(), private)


def test_a_private_column_is_never_quoted(copy, key_env):
    _edit_mapping(copy, 'private = ["Forename", "Surname", "DOB", "Address"]',
                  'private = ["Forename", "Surname", "DOB", "Address", "Gender"]')
    _edit_mapping(copy, 'sex = { column = "Gender", recode = "sex" }', 'sex = { column = "Gender", recode = "sex" }')
    _edit_csv(copy, "nominals.csv", 3, "Gender", "Z")
    _edit_csv(copy, "nominals.csv", 7, "Gender", "Z")
    err = _refused(copy)
    assert any("maps private column 'Gender'" in f.rule for f in err.failures)
    assert "'Z'" not in err.report()


def test_refuses_a_missing_or_too_short_key(copy, monkeypatch, tmp_path):
    monkeypatch.delenv(KEY_ENV, raising=False)
    err = _refused(copy)
    assert [f.rule for f in err.failures] == [f"no key: environment variable {KEY_ENV} is not set (or give --key-file)"]
    short = tmp_path / "short.key"
    short.write_text("correct horse battery staple\n")
    err = _refused(copy, key_file=short)
    (f,) = err.failures
    assert f.rule.startswith(f"key file {short} is too short: 28 bytes where at least 32 are needed")
    assert "correct horse" not in err.report()


def test_refuses_a_raw_identifier_or_private_value_that_would_be_written(copy, key_env):
    # the person number, copied into another column of the export, mapped to a written column
    nominals = pd.read_csv(copy / "exports" / "nominals.csv", dtype=str, keep_default_na=False)
    nominals.assign(Alias=nominals.PersonNo).to_csv(copy / "exports" / "nominals.csv", index=False)
    _edit_mapping(copy, 'home_district_id = { column = "District", recode = "district" }',
                  'home_district_id = "Alias"')
    _edit_mapping(copy, 'district_name = "District"', 'district_name = { value = "Loxley" }')  # a surname
    err = _refused(copy)
    rules = {(f.file, f.column): f for f in err.failures}
    assert set(rules) == {("people.csv (from nominals.csv)", "home_district_id"),
                          ("districts.csv (from partner.xlsx, sheet Districts)", "district_name")}
    f = rules["people.csv (from nominals.csv)", "home_district_id"]
    assert f.rule.startswith("a raw identifier or private value (a police number, name or date of birth) would be "
                             "written")
    assert f.count == nominals.PersonNo.nunique()  # every person, the repeated address rows dropped
    assert f.examples[:2] == ("line 2", "line 4")  # line 3 repeats line 2 (another address)
    assert rules["districts.csv (from partner.xlsx, sheet Districts)", "district_name"].count == 14
    assert "44/" not in err.report() and "Loxley" not in err.report()


def test_refuses_the_source_of_an_identifier_mapped_to_another_column(copy, key_env):
    _edit_mapping(copy, 'chi_days = { column = "HOCode", lookup = "ho_offence", field = "chi_days" }',
                  'chi_days = "CrimeRef"')
    _edit_mapping(copy, 'service = "Service"', 'service = "Police no"')
    err = _refused(copy)
    assert [(f.file, f.column) for f in err.failures] == [("mapping.toml [tables.referrals.columns]", "service"),
                                                          ("mapping.toml [tables.offences.columns]", "chi_days")]
    assert err.failures[1].rule.startswith("maps 'CrimeRef', the source of an identifier: the raw identifier would "
                                           "be written")


def test_refuses_a_private_column_mapped_to_the_contract(copy, key_env):
    _edit_mapping(copy, 'home_district_id = { column = "District", recode = "district" }',
                  'home_district_id = "Surname"')
    err = _refused(copy)
    assert any(f.column == "home_district_id" and "maps private column 'Surname'" in f.rule for f in err.failures)


def test_refuses_everything_at_once(copy, key_env):
    _edit_mapping(copy, 'sex = { column = "Gender", recode = "sex" }\n', "")
    _edit_csv(copy, "crimes.csv", 0, "HOCode", "999/99")
    _edit_csv(copy, "exits.csv", 0, "Exit date", "yesterday")
    err = _refused(copy)
    assert [f.column for f in err.failures] == ["sex", "HOCode", "Exit date"]
    # a code on one row that is no near miss of a known code is described, not quoted
    assert err.failures[1].rule == ("value with no entry in [lookup.ho_offence]: values not shown, as they could "
                                    "identify a person; shaped 999/99 (1)")


def test_refuses_a_collision_and_writes_nothing(copy, key_env, monkeypatch):
    real = Pseudonymiser.digests

    def clash(self, letter, values):
        d = real(self, letter, values).copy()
        if letter == "P":
            d[1] = d[0]  # two people, one pseudonym
        return d

    monkeypatch.setattr(Pseudonymiser, "digests", clash)
    err = _refused(copy)
    (f,) = err.failures
    assert (f.file, f.column, f.count) == ("pseudonyms", "person", 2)
    assert "share a pseudonym" in f.rule


def test_an_extract_that_breaks_the_contract_is_not_moved_into_place(copy, key_env):
    # eligible taken from one criterion: prepare writes it, validate refuses it, nothing stays
    _edit_mapping(copy, 'eligible = { column = "Eligible", recode = "yes_no" }',
                  'eligible = { column = "Intimate partner", recode = "yes_no" }')
    err = _refused(copy, out=copy / "extracts" / "2024" / "12")
    assert any(f.file == "screening.csv (from screening.csv)" and f.column == "eligible"
               and "breaks the data contract" in f.rule for f in err.failures)
    assert "eligible must be true exactly when all criteria are true" in err.report()
    assert not (copy / "extracts").exists()  # folders made for the destination are removed too


def test_an_existing_extract_is_kept_unless_replaced(prepared, raw, tmp_path, key_env):
    root, _, _ = raw
    out = tmp_path / "extract"
    out.mkdir()
    (out / "keep.txt").write_text("an earlier month")
    with pytest.raises(PrepareError, match="destination exists and is not empty"):
        prepare(root / "mapping.toml", root / "exports", out)
    assert (out / "keep.txt").exists()
    prepare(root / "mapping.toml", root / "exports", out, replace=True)
    assert not (out / "keep.txt").exists() and (out / "people.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extract"]  # no temporary folder left behind


def test_inline_lookup_and_a_cp1252_export_give_the_same_extract(copy, prepared, key_env):
    crimes = copy / "exports" / "crimes.csv"
    text = crimes.read_text(encoding="utf-8").replace("free text", "free text costing \u00a35")
    crimes.write_bytes(text.encode("cp1252"))
    ho = pd.read_csv(HERE / "ho_offence_codes.csv", dtype=str)
    rows = "\n".join(f'"{r.ho_code}" = {{ offence_type = "{r.offence_type}", chi_days = {r.chi_days} }}'
                     for r in ho.itertuples())
    _edit_mapping(copy, 'file = "ho_offence_codes.csv"\nkey = "ho_code"\n', "")
    _edit_mapping(copy, "[lookup.ho_offence]\n", f"[lookup.ho_offence.values]\n{rows}\n")
    err = _refused(copy)
    (f,) = err.failures
    assert f.file == "crimes.csv" and f.rule.startswith("not utf-8-sig text (byte 0xa3 on line 2): set encoding = "
                                                         '"cp1252"')
    _edit_mapping(copy, 'source = "crimes.csv"\n', 'source = "crimes.csv"\nencoding = "cp1252"\n')
    prepare(copy / "mapping.toml", copy / "exports", copy / "extract")
    out, _ = prepared
    for p in sorted(out.iterdir()):  # same exports, same key: the same files, byte for byte
        assert (copy / "extract" / p.name).read_bytes() == p.read_bytes(), p.name


# ------------------------------------------------------------------------------------------ pseudonyms and key
def test_pseudonym_is_hmac_sha256_of_kind_and_identifier():
    key = Key(KEY.encode())
    (p,), collided = Pseudonymiser(key).pseudonyms("P", ["44/123456/21"])
    expected = hmac.new(KEY.encode(), b"P\x1f44/123456/21", "sha256").hexdigest()[:16].upper()
    assert (p, collided) == ("P" + expected, 0)
    (v,), _ = Pseudonymiser(key).pseudonyms("V", ["44/123456/21"])
    assert v[1:] != p[1:]  # a person and a victim with the same number are unrelated
    assert KEY not in repr(key) and KEY not in str(key) and KEY not in repr(Pseudonymiser(key))


def test_two_million_identifiers_have_no_collision():
    # police-style numbers; 8 hex digits would give about n^2 / (2 * 16^8) = 465 colliding pairs here
    values = [f"44/{i:07d}" for i in range(2_000_000)]
    codes, collided = Pseudonymiser(Key(KEY.encode())).pseudonyms("P", values)
    assert collided == 0
    assert len(codes) == 2_000_000 and len(set(codes)) == 2_000_000
    assert codes[0].startswith("P") and len(codes[0]) == 17


def test_read_key(tmp_path, monkeypatch):
    f = tmp_path / "k"
    f.write_text(KEY + "\n")
    assert read_key(file=f).secret == KEY.encode()
    monkeypatch.setenv("SOME_KEY", KEY)
    assert read_key(env="SOME_KEY").secret == KEY.encode()
    with pytest.raises(KeyProblem, match="does not exist"):
        read_key(file=tmp_path / "missing")
    monkeypatch.setenv("SOME_KEY", "   ")
    with pytest.raises(KeyProblem, match="is empty"):
        read_key(env="SOME_KEY")


# ------------------------------------------------------------------------------------------ template and CLI
@pytest.mark.parametrize("programme", ["hiow", "change-that-lasts"])
def test_template_lists_every_contract_table_and_column(programme, tmp_path, monkeypatch):
    prog = load_programme(programme)
    text = mapping_template(prog)
    parsed = tomllib.loads(text)
    assert parsed["programme"] == prog.id
    for name, schema in programme_schemas(prog).items():
        if name == "ppit_assessments" and not prog.has_risk_tool:
            assert "tables" not in parsed or name not in parsed["tables"]
            continue
        assert f"[tables.{name}]" in text
        for f in schema.fields:
            assert re.search(rf"^# ?{f.name}: ", text, re.M), (name, f.name)
            for v in f.enum or ():
                assert v in text
    # filled in as written, prepare lists every gap at once
    (tmp_path / "m.toml").write_text(text)
    (tmp_path / "raw").mkdir()
    monkeypatch.setenv("FOUNDATION_EVAL_KEY", KEY)
    with pytest.raises(PrepareError) as exc:
        prepare(tmp_path / "m.toml", tmp_path / "raw", tmp_path / "out")
    required = [(n, f.name) for n, s in programme_schemas(prog).items() if s.required_table and n != "districts"
                for f in s.fields if f.required]
    gaps = [f for f in exc.value.failures if f.rule.startswith("required column has no mapping")]
    assert len(gaps) == len(required)
    assert not (tmp_path / "out").exists()


def test_cli_prepare_prints_the_account_and_never_the_key(raw, tmp_path, capsys):
    root, _, _ = raw
    keyfile = tmp_path / "force.key"
    assert main(["prepare", "--new-key", str(keyfile)]) == 0
    secret = keyfile.read_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    assert stat.S_IMODE(os.stat(keyfile).st_mode) == 0o600
    assert main(["prepare", "--new-key", str(keyfile)]) == 2  # never overwritten
    code = main(["prepare", "--mapping", str(root / "mapping.toml"), "--source", str(root / "exports"),
                 "--out", str(tmp_path / "extract"), "--key-file", str(keyfile)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "prepared 9 tables" in out and "people" in out
    assert secret not in out + err
    for p in (tmp_path / "extract").iterdir():
        assert secret not in p.read_text()
    assert main(["prepare", "--mapping", str(root / "mapping.toml"), "--source", str(root / "exports"),
                 "--out", str(tmp_path / "extract2"), "--key-env", "NO_SUCH_VARIABLE_HERE"]) == 2
    assert "nothing was written" in capsys.readouterr().err
    assert main(["prepare", "--template", "--out", str(tmp_path / "t.toml")]) == 0
    assert tomllib.loads((tmp_path / "t.toml").read_text())["programme"] == "hiow"
    assert main(["prepare", "--template", "--out", str(tmp_path / "t.toml")]) == 2  # a filled-in mapping is kept
