import pandas as pd
import pytest

from foundation_eval.config import ConfigError, list_programmes, load_programme


def test_hiow_programme_definition():
    p = load_programme("hiow")
    assert "hiow" in list_programmes()
    assert len(p.districts) == 14
    names = {d.name for d in p.districts}
    assert {"Southampton", "Portsmouth", "Isle of Wight", "Eastleigh", "Fareham", "Gosport", "Havant",
            "East Hampshire", "Winchester", "Test Valley", "Basingstoke and Deane", "Hart", "Rushmoor",
            "New Forest"} == names
    pilots = {d.name for d in p.districts if d.pilot}
    assert pilots == {"Southampton", "Eastleigh"}
    assert all(d.go_live == pd.Period("2021-01", "M") for d in p.districts if d.pilot)
    later = [d.go_live for d in p.districts if not d.pilot]
    assert min(later) > pd.Period("2021-01", "M") and max(later) <= pd.Period("2023-12", "M")
    assert p.illustrative is True
    assert len(p.ppit_items) == 10
    assert {i.domain for i in p.ppit_items} == {"offending", "offender"}
    assert {i.time for i in p.ppit_items} == {"recent", "historic"}
    assert p.ppit_max == 20 and p.ppit_threshold == 12
    assert p.windows_months == (6, 12, 24)
    assert p.disclosure_threshold == 10
    assert str(p.study_start) == "2019-01" and str(p.study_end) == "2024-12"
    assert len(p.criteria) == 5
    assert len(p.pathways) == 7


def test_district_lookup_by_id_or_name():
    p = load_programme()
    assert p.district("sou").name == "Southampton"
    assert p.district("new forest").id == "NFO"
    with pytest.raises(KeyError, match="no district"):
        p.district("Atlantis")


def test_unknown_programme_and_bad_file(tmp_path):
    with pytest.raises(ConfigError, match="unknown programme"):
        load_programme("nowhere")
    bad = tmp_path / "bad.toml"
    bad.write_text('[programme]\nid = "x"\nname = "x"\n')
    with pytest.raises(ConfigError, match="missing required key"):
        load_programme(bad)
