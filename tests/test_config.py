import dataclasses
import tomllib

import pandas as pd
import pytest

from foundation_eval.config import PROGRAMME_DIR, ConfigError, list_programmes, load_programme


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


# ------------------------------------------------------------------------------------------ strict reading
HIOW = (PROGRAMME_DIR / "hiow.toml").read_text()
CTL = (PROGRAMME_DIR / "change-that-lasts.toml").read_text()


def _problems(tmp_path, text, name="p.toml"):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_programme(path)
    assert str(err.value).splitlines() == [f"{name}: {p}" for p in err.value.problems]
    return list(err.value.problems)


def _edit(text, old, new):
    assert text.count(old) >= 1, old
    return text.replace(old, new, 1)


FAREHAM = 'id = "FAR"\nname = "Fareham"\nrelative_size = 0.45\ngo_live = "2021-07"'
MISSPELT = [
    # (where, file, text to change, its replacement, the problem reported)
    ("top level", HIOW, "[disclosure]", "[disclosur]",
     "[disclosur]: unknown key (did you mean 'disclosure'?)"),
    ("top-level key", HIOW, "[programme]", "version = 3\n[programme]", "version: unknown key"),
    ("section", HIOW, "threshold = 10", "treshold = 10",
     "[disclosure].treshold: unknown key (did you mean 'threshold'?)"),
    ("array of tables", HIOW, FAREHAM, FAREHAM.replace("go_live", "go_liv"),
     "[[districts]][3].go_liv: unknown key (did you mean 'go_live'?)"),
    ("array of tables, second kind", CTL, "synthetic_weights = [0.5", "synthetic_weight = [0.5",
     "[[columns]][0].synthetic_weight: unknown key (did you mean 'synthetic_weights'?)"),
    ("inline table in an array", HIOW, '{ id = "ppit_02", label', '{ id = "ppit_02", lable',
     "[ppit].items[1].lable: unknown key (did you mean 'label'?)"),
    ("inline table in an array, second kind", CTL, '{ period = "2018/19"', '{ periode = "2018/19"',
     "[costs].periods[1].periode: unknown key (did you mean 'period'?)"),
    ("nested table", HIOW, "crit_not_charged = 0.75", "crit_not_chraged = 0.75",
     "[synthetic.criteria].crit_not_chraged: unknown criterion column (did you mean 'crit_not_charged'?)"),
    ("nested table of districts", HIOW, 'RUS = ["EHA"]', 'RUSH = ["EHA"]',
     "[evaluation.neighbours].RUSH: unknown district id (did you mean 'RUS'?)"),
    ("section key of another programme", CTL, "[outcomes]\n", "[outcomes]\nwindow_months = [6]\n",
     "[outcomes].window_months: unknown key (did you mean 'windows_months'?)"),
]


@pytest.mark.parametrize(("where", "text", "old", "new", "problem"), MISSPELT, ids=[m[0] for m in MISSPELT])
def test_a_misspelt_key_is_refused_with_its_path(tmp_path, where, text, old, new, problem):
    assert _problems(tmp_path, _edit(text, old, new)) == [problem]


WRONG_TYPE = [
    ("threshold = 10", 'threshold = "10"', "[disclosure].threshold: expected an integer, got '10'"),
    ("rounding_base = 5", "rounding_base = 5.0", "[disclosure].rounding_base: expected an integer, got 5.0"),
    ("rounding_base = 5", "rounding_base = 0", "[disclosure].rounding_base: must be at least 1, got 0"),
    ("pilot = true", 'pilot = "yes"', "[[districts]][0].pilot: expected true or false, got 'yes'"),
    ("relative_size = 1.00", 'relative_size = "1"', "[[districts]][0].relative_size: expected a number, got '1'"),
    ('go_live = "2021-01"', 'go_live = "2021-13"', "[[districts]][0].go_live: '2021-13' is not a year-month (YYYY-MM)"),
    ("windows_months = [6, 12, 24]", 'windows_months = [6, "12", 24]',
     "[outcomes].windows_months[1]: expected an integer, got '12'"),
    ('domain = "offending", time = "recent" }', 'domain = "offending", time = "recnet" }',
     "[ppit].items[0].time: expected 'recent' or 'historic', got 'recnet'"),
    ('"2019/20" = 82.5', '"2019/20" = "82.5"', '[evaluation.deflator]."2019/20": expected a number, got \'82.5\''),
    ('SOU = ["EAS", "NFO", "TVA"]', 'SOU = "EAS"', "[evaluation.neighbours].SOU: expected an array, got 'EAS'"),
    ("harmful = \"increase\"", "harmful = \"up\"", "[evaluation].harmful: expected 'increase' or 'decrease', got 'up'"),
    ('extract_date = "2024-12-31"', "extract_date = 20241231",
     "[study].extract_date: expected a date (YYYY-MM-DD), got 20241231"),
    ("crit_family_setting = 0.6", "crit_family_setting = 1.6",
     "[synthetic.criteria].crit_family_setting: must be at most 1.0, got 1.6"),
]


@pytest.mark.parametrize(("old", "new", "problem"), WRONG_TYPE, ids=[w[2].split(":")[0] for w in WRONG_TYPE])
def test_a_value_of_the_wrong_type_is_refused_with_its_path(tmp_path, old, new, problem):
    assert problem in _problems(tmp_path, _edit(HIOW, old, new))


def test_a_section_that_is_not_a_table(tmp_path):
    text = _edit(_edit(HIOW, "[outcomes]", "[outcomes_old]"), "[programme]", "outcomes = 3\n[programme]")
    assert _problems(tmp_path, text) == ["outcomes: expected a table, got 3",
                                         "[outcomes_old]: unknown key (did you mean 'outcomes'?)"]


def test_every_problem_is_reported_at_once(tmp_path):
    text = HIOW
    for old, new in [("threshold = 10", 'threshold = "10"'), (FAREHAM, FAREHAM.replace("go_live", "go_liv")),
                     ("[outcomes]", "[outcomes]\nwindow_months = [3]"), ('extract_date = "2024-12-31"', "")]:
        text = _edit(text, old, new)
    problems = _problems(tmp_path, text, "hiow.toml")
    assert sorted(problems) == sorted([
        "[disclosure].threshold: expected an integer, got '10'",
        "[[districts]][3].go_liv: unknown key (did you mean 'go_live'?)",
        "[outcomes].window_months: unknown key (did you mean 'windows_months'?)",
        "[study].extract_date: missing required key",
    ])


def test_rules_between_keys_are_all_reported_with_paths(tmp_path):
    text = HIOW
    for old, new in [('id = "IOW"', 'id = "SOU"'), ('behaviour_change = ["ADAPT"]', 'behaviour_change = ["ADAPTT"]'),
                     ('pathway = "health" }', 'pathway = "heath" }'), ('SOU = ["EAS", "NFO", "TVA"]', 'SOU = ["TVX"]'),
                     ('price_base = "2024/25"', 'price_base = "2025/26"'), ("age_max = 30", ""),
                     ('trigger_criterion = "crit_da_offence_2y"', 'trigger_criterion = "crit_age"'),
                     ("crit_not_charged = 0.75", "crit_age = 0.5")]:
        text = _edit(text, old, new)
    assert _problems(tmp_path, text) == [
        "[[districts]][6].id: 'SOU' repeats entry 0",
        "[eligibility]: set both age_min and age_max, or neither",
        "[services].behaviour_change[0]: 'ADAPTT' is not a service of [services].list",
        "[services].list[3].pathway: 'heath' is not in [services].pathways",
        "[evaluation.neighbours].SOU[0]: 'TVX' is not a district id",
        "[evaluation].price_base: '2025/26' has no entry in [evaluation].deflator",
        "[synthetic.criteria].crit_age: the age criterion follows birth dates; leave it out",
        "[synthetic].trigger_criterion: 'crit_age' is not a column of [eligibility].criteria other than 'crit_age'",
    ]


def test_a_typo_in_disclosure_no_longer_falls_back_to_the_default(tmp_path):
    # before strict reading, "treshold = 3" loaded silently with the default threshold of 10
    assert load_programme("hiow").disclosure_threshold == 10
    problems = _problems(tmp_path, _edit(HIOW, "threshold = 10", "treshold = 3"))
    assert problems == ["[disclosure].treshold: unknown key (did you mean 'threshold'?)"]
    path = tmp_path / "ok.toml"
    path.write_text(_edit(HIOW, "threshold = 10", "threshold = 3"))
    assert load_programme(path).disclosure_threshold == 3


def test_missing_keys_and_broken_toml(tmp_path):
    problems = _problems(tmp_path, '[programme]\nid = "x"\n')
    assert problems == ["[programme].name: missing required key", "[study]: missing required key",
                        "[eligibility]: missing required key", "[[districts]]: missing required key",
                        "[[offence_types]]: missing required key", "[services]: missing required key"]
    [problem] = _problems(tmp_path, "[programme\n")
    assert problem.startswith("not a valid TOML file")


def test_optional_sections_keep_their_defaults(tmp_path):
    text = HIOW
    for section in ("[disclosure]", "[outcomes]"):
        start = text.index(section)
        text = text[:start] + text[text.index("\n[", start + 1) + 1:]
    path = tmp_path / "short.toml"
    path.write_text(text)
    p = load_programme(path)
    assert (p.disclosure_threshold, p.disclosure_rounding, p.windows_months, p.engagement_window_days) == \
        (10, 5, (6, 12, 24), 90)


@pytest.mark.parametrize("pid", ["hiow", "change-that-lasts"])
def test_shipped_programmes_are_read_as_written(pid):
    """Every value of the file reaches the attribute that carries it, converted only as documented."""
    raw = tomllib.loads((PROGRAMME_DIR / f"{pid}.toml").read_text())
    p = load_programme(pid)
    month = lambda v: pd.Period(v, "M")  # noqa: E731
    prog, study, elig, ev = raw["programme"], raw["study"], raw["eligibility"], raw["evaluation"]
    assert (p.id, p.name, p.force, p.description, p.illustrative, p.partners) == (
        prog["id"], prog["name"], prog["force"], prog["description"], prog["illustrative"], tuple(prog["partners"]))
    assert (p.study_start, p.study_end, p.extract_date) == (
        month(study["start"]), month(study["end"]), pd.Timestamp(study["extract_date"]))
    assert p.lockdown_months == tuple(month(m) for m in study["lockdown_months"])
    assert p.criteria == tuple((c["column"], c["label"]) for c in elig["criteria"])
    assert (p.age_min, p.age_max) == (elig.get("age_min"), elig.get("age_max"))
    assert (p.disclosure_threshold, p.disclosure_rounding) == (raw["disclosure"]["threshold"],
                                                               raw["disclosure"]["rounding_base"])
    assert (p.windows_months, p.engagement_window_days) == (tuple(raw["outcomes"]["windows_months"]),
                                                            raw["outcomes"]["engagement_window_days"])
    ppit = raw.get("ppit", {})
    assert (p.ppit_name, p.ppit_reference, p.ppit_scale, p.ppit_scale_labels, p.ppit_threshold) == (
        ppit.get("name", ""), ppit.get("reference", ""), tuple(ppit.get("scale", ())),
        tuple(ppit.get("scale_labels", ())), ppit.get("priority_threshold", 0))
    assert [dataclasses.asdict(i) for i in p.ppit_items] == ppit.get("items", [])
    assert [dataclasses.asdict(d) for d in p.districts] == [
        {**d, "go_live": month(d["go_live"]), "practitioner_from": month(d["practitioner_from"])}
        for d in raw["districts"]]
    assert [dataclasses.asdict(o) for o in p.offence_types] == raw["offence_types"]
    assert [dataclasses.asdict(s) for s in p.services] == raw["services"]["list"]
    assert (p.pathways, p.behaviour_change) == (tuple(raw["services"]["pathways"]),
                                                tuple(raw["services"]["behaviour_change"]))
    assert [dataclasses.asdict(c) for c in p.columns] == [
        {"description": "", "required": False, "values": None, "synthetic_weights": None, "type": "string",
         **c, **{k: tuple(c[k]) for k in ("values", "synthetic_weights") if k in c}}
        for c in raw.get("columns", [])]
    costs = raw.get("costs", {})
    assert [dataclasses.asdict(c) for c in p.costs] == costs.get("periods", [])
    assert p.currency == costs.get("currency", "GBP")
    assert p.synthetic == raw["synthetic"] and p.source == str(PROGRAMME_DIR / f"{pid}.toml")
    assert dataclasses.asdict(p.evaluation) == {
        "primary": ev["primary"], "design": ev["primary_design"], "outcome": ev["primary_outcome"],
        "window": ev["primary_window"], "harmful": ev["harmful"],
        "min_comparison_districts": ev["min_comparison_districts"], "price_base": ev["price_base"],
        "deflator": tuple(ev["deflator"].items()), "cost_placeholder": ev["cost_placeholder"],
        "neighbours": tuple((k, tuple(v)) for k, v in ev.get("neighbours", {}).items()),
        "plausible_effect": ev["plausible_effect"], "discount_rate": ev["discount_rate"],
        "unit_cost_range": tuple(ev["unit_cost_range"]), "deflator_illustrative": ev["deflator_illustrative"],
        "plan_date": ev["plan_date"], "washout_months": ev["washout_months"]}
    # the types the rest of the library relies on
    assert all(type(d.relative_size) is float and type(d.pilot) is bool for d in p.districts)
    assert all(type(o.chi_days) is float and type(o.severity) is int for o in p.offence_types)
    assert all(type(c.amount) is float for c in p.costs)
    assert all(type(v) is float for _, v in p.evaluation.deflator)


def test_synthetic_keys_are_checked_against_the_generator_parameters():
    from foundation_eval.data.synth import SynthParams

    for pid in list_programmes():
        p = load_programme(pid)
        assert p.synthetic_for(SynthParams) == p.synthetic
    p = load_programme("hiow")
    bad = dataclasses.replace(p, synthetic={**p.synthetic, "eligble_per_month": 90, "risk_sd": "0.7",
                                            "truth_replicates": 2.5})
    with pytest.raises(ConfigError) as err:
        bad.synthetic_for(SynthParams)
    assert err.value.problems == (
        "[synthetic].risk_sd: expected a number, got '0.7'",
        "[synthetic].eligble_per_month: unknown key (did you mean 'eligible_per_month'?)",
        "[synthetic].truth_replicates: expected an integer, got 2.5",
    )
    assert str(err.value).startswith("hiow.toml: [synthetic].risk_sd")


def test_analysis_plan_fingerprint_changes_with_the_plan(tmp_path):
    """The SHA-256 printed on every render covers each pre-specified choice and nothing else."""
    text = (PROGRAMME_DIR / "hiow.toml").read_text()
    base = load_programme("hiow").evaluation
    assert base.plan_sha256() == load_programme("hiow").evaluation.plan_sha256()
    for old, new in (('min_comparison_districts = 2', 'min_comparison_districts = 3'),
                     ('plausible_effect = 0.30', 'plausible_effect = 0.25'),
                     ('plan_date = "2020-12-01"', 'plan_date = "2020-12-02"')):
        f = tmp_path / "p.toml"
        f.write_text(text.replace(old, new))
        assert load_programme(str(f)).evaluation.plan_sha256() != base.plan_sha256(), old
    f.write_text(text.replace('discount_rate = 0.035', 'discount_rate = 0.03'))  # not part of the plan
    assert load_programme(str(f)).evaluation.plan_sha256() == base.plan_sha256()
    f.write_text(text.replace('plan_date = "2020-12-01"', 'plan_date = "1 December"'))
    with pytest.raises(ConfigError, match=r"\[evaluation\]\.plan_date"):
        load_programme(str(f))


def test_a_programme_file_is_read_again_only_when_it_changes(tmp_path):
    import os

    path = tmp_path / "p.toml"
    path.write_text((PROGRAMME_DIR / "hiow.toml").read_text())
    first = load_programme(path)
    assert load_programme(str(path)) is first  # the same file, unchanged: read once
    path.write_text((PROGRAMME_DIR / "hiow.toml").read_text().replace('\nthreshold = 10', '\nthreshold = 11'))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    second = load_programme(path)
    assert second is not first and (first.disclosure_threshold, second.disclosure_threshold) == (10, 11)
