"""Every shipped programme generates, validates and renders; no code names a programme or a district.

The library serves any domestic-abuse perpetrator programme: programme differences live in the TOML files
under ``foundation_eval/programmes`` only. Project Foundation (``hiow``: high-harm, age band, the PPIT,
risk management plans) and the Change that Lasts pilot (``change-that-lasts``: early intervention, no age
band, no risk tool, a programme-specific referral-route column) exercise both sides of every switch.
"""
from __future__ import annotations

import filecmp
import json
import re
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from foundation_eval.cli import main
from foundation_eval.config import (
    DEFAULT_PROGRAMME,
    PROGRAMME_DIR,
    ConfigError,
    list_programmes,
    load_programme,
)
from foundation_eval.data import synth
from foundation_eval.data.load import ValidationError, load_dataset
from foundation_eval.evaluation.estimates import headline_estimates
from foundation_eval.reporting.render import plan
from foundation_eval.schemas import load_schemas, programme_schemas

CTL = "change-that-lasts"
PROGRAMMES = ("hiow", CTL)
SMALL = {"scale": 0.3, "truth_replicates": 5}
PACKAGE = Path(__file__).resolve().parents[1] / "foundation_eval"


@pytest.fixture(scope="module", params=PROGRAMMES)
def generated(request, tmp_path_factory):
    """(programme id, result, folder) for each shipped programme at a small scale."""
    result = synth.generate(request.param, seed=7, **SMALL)
    folder = synth.write(result, tmp_path_factory.mktemp(f"gen-{request.param}"))
    return request.param, result, folder


@pytest.fixture(scope="module")
def ctl_dir(tmp_path_factory):
    return synth.write(synth.generate(CTL, seed=7, **SMALL), tmp_path_factory.mktemp("ctl"))


@pytest.fixture()
def ctl_copy(ctl_dir, tmp_path):
    dest = tmp_path / "extract"
    shutil.copytree(ctl_dir, dest)
    (dest / "truth.json").unlink()
    return dest


# ------------------------------------------------------------------------------------------ definitions
def test_both_programmes_are_shipped_and_the_default_is_one_of_them():
    assert set(PROGRAMMES) <= set(list_programmes())
    assert DEFAULT_PROGRAMME in list_programmes()
    for pid in list_programmes():
        assert load_programme(pid).id == pid


def test_change_that_lasts_definition():
    p = load_programme(CTL)
    names = {d.name for d in p.districts}
    lincolnshire = {"Lincoln", "Boston", "East Lindsey", "North Kesteven", "South Holland", "South Kesteven",
                    "West Lindsey"}
    sussex = {"Brighton and Hove", "Eastbourne", "Hastings", "Lewes", "Rother", "Wealden"}
    assert names == lincolnshire | sussex
    assert str(p.study_start) == "2016-04" and str(p.study_end) == "2020-03"
    # every district goes live inside the pilot years 2017/18 to 2019/20, after a pre-period
    assert all(pd.Period("2017-04", "M") <= d.go_live <= pd.Period("2020-03", "M") for d in p.districts)
    assert min(d.go_live for d in p.districts).ordinal - p.study_start.ordinal >= 12
    assert p.illustrative
    # early intervention: no age band, no risk tool
    assert not p.has_age_criterion and p.age_min is None and p.age_max is None
    assert "crit_age" not in [c for c, _ in p.criteria]
    assert not p.has_risk_tool and p.ppit_items == () and p.ppit_max == 0
    assert p.total_cost == pytest.approx(1.37e6, rel=0.01) and p.currency == "GBP"
    assert [c.name for c in p.columns_for("referrals")] == ["route"]
    assert set(p.columns_for("referrals")[0].values) == {"police", "agency", "self_referral"}
    assert set(p.behaviour_change) <= {s.id for s in p.services}
    hiow = load_programme("hiow")
    assert hiow.has_risk_tool and hiow.has_age_criterion and hiow.columns == ()


def test_programme_file_rules(tmp_path):
    text = (PROGRAMME_DIR / f"{CTL}.toml").read_text()
    cases = {  # the change, and the start of the one problem it causes (the key's path)
        "[eligibility]: an age band": text.replace("[eligibility]", "[eligibility]\nage_min = 18\nage_max = 30"),
        "[[columns]][0].table: expected 'districts', 'people',": text.replace('table = "referrals"',
                                                                              'table = "nowhere"'),
        "[[columns]][0].synthetic_weights: needs one weight per value": text.replace(
            "synthetic_weights = [0.5, 0.3, 0.2]", "synthetic_weights = [0.5, 0.5]"),
        "[services].behaviour_change[0]: 'NOPE' is not a service": text.replace('behaviour_change = ["BC_GROUP"',
                                                                                'behaviour_change = ["NOPE"'),
    }
    for problem, body in cases.items():
        assert body != text, problem
        path = tmp_path / "p.toml"
        path.write_text(body)
        with pytest.raises(ConfigError) as err:
            load_programme(path)
        [found] = err.value.problems
        assert found.startswith(problem) and str(err.value) == f"p.toml: {found}"


def test_schema_follows_the_programme():
    hiow, ctl = load_programme("hiow"), load_programme(CTL)
    assert programme_schemas(hiow) == load_schemas()  # the shared files are Foundation's contract as is
    s = programme_schemas(ctl)
    screening = s["screening"].field_names
    assert [c for c in screening if c.startswith("crit_")] == [c for c, _ in ctl.criteria]
    assert "crit_age" not in screening
    route = s["referrals"].field("route")
    assert route.required and route.enum == ("police", "agency", "self_referral")
    assert s["referrals"].field("pathway").enum == ctl.pathways


# ------------------------------------------------------------------------------------------ generate
def test_generation_is_deterministic(generated, tmp_path):
    pid, result, folder = generated
    again = synth.write(synth.generate(pid, seed=7, **SMALL), tmp_path / "again")
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(folder, again, names, shallow=False)
    assert mismatch == [] and errors == []
    truth = json.loads((folder / "truth.json").read_text())
    assert truth["programme"] == pid
    prog = load_programme(pid)
    # a programme records only what it has: no risk tool, no assessments and no risk-tool truth
    assert (folder / "ppit_assessments.csv").exists() == prog.has_risk_tool
    assert ("ppit_auc_12m" in truth["effects"]) == prog.has_risk_tool
    for name in ("reoffending_hr_programme", "reoffending_12m_rd_programme", "engagement_rd_practitioner",
                 "referral_start_rd_programme"):
        assert name in truth["effects"], name
    header = (folder / "screening.csv").read_text().splitlines()[0].split(",")
    assert [c for c in header if c.startswith("crit_")] == [c for c, _ in prog.criteria]


def test_generated_data_validate(generated):
    pid, result, folder = generated
    ds = load_dataset(folder, pid)
    prog = ds.programme
    assert prog.id == pid and len(ds.screening) == len(result.tables["screening"])
    s = ds.screening
    assert s.listed.any() and (s.eligible == s[[c for c, _ in prog.criteria]].all(axis=1)).all()
    for col in prog.columns:
        values = ds.tables[col.table][col.name]
        assert values.notna().all() and set(values) <= set(col.values)
    if not prog.has_age_criterion:
        # no age band: people of every adult age are listed
        people = ds.people.set_index("person_id")
        listed = s[s.listed.astype(bool)]
        age = [(m.ordinal - b.ordinal) // 12 for m, b in zip(listed.month, listed.person_id.map(people.birth_ym),
                                                              strict=True)]
        assert max(age) > 45 and min(age) < 25


def test_validator_uses_the_programme(ctl_copy):
    ok = load_dataset(ctl_copy, CTL)
    assert "ppit_assessments" not in {n for n, t in ok.tables.items() if len(t)}
    # the CTL extract is not a Foundation extract: its criteria columns are not Foundation's
    with pytest.raises(ValidationError) as err:
        load_dataset(ctl_copy, "hiow")
    assert any(f.column == "crit_age" and "missing" in f.rule for f in err.value.failures)
    # programme-specific column: a value outside the programme's list is named with file, column and rule
    ref = pd.read_csv(ctl_copy / "referrals.csv", dtype=str, keep_default_na=False)
    ref.loc[0, "route"] = "carrier_pigeon"
    ref.to_csv(ctl_copy / "referrals.csv", index=False)
    with pytest.raises(ValidationError) as err:
        load_dataset(ctl_copy, CTL)
    [f] = err.value.failures
    assert (f.file, f.column) == ("referrals.csv", "route") and "not allowed" in f.rule
    assert main(["validate", str(ctl_copy), "--programme", CTL]) == 2


def test_risk_tool_table_refused_without_a_risk_tool(ctl_copy, small_dir):
    shutil.copy(small_dir / "ppit_assessments.csv", ctl_copy / "ppit_assessments.csv")
    with pytest.raises(ValidationError, match="defines no risk tool"):
        load_dataset(ctl_copy, CTL)


def test_reports_and_estimates_skip_what_a_programme_lacks(ctl_dir):
    ds = load_dataset(ctl_dir, CTL)
    # the district report's side of this: tests/test_district_report.py
    names = {e.name for e in headline_estimates(ds)}
    assert not any(n.startswith("ppit_") for n in names)
    assert {"reoffending_hr_listed_vs_prelive", "referral_start_rd_programme"} <= names
    jobs = [j.name for j in plan(ds, str(ctl_dir), CTL)]
    assert "ppit-validity" not in jobs and {"force-overview", "data-quality"} <= set(jobs)
    assert sum(j.startswith("district-") for j in jobs) == len(ds.programme.districts)


# ------------------------------------------------------------------------------------------ render
@pytest.mark.slow
@pytest.mark.parametrize("pid", PROGRAMMES)
def test_render_complete_set(pid, tmp_path):
    from foundation_eval.reporting.render import render

    prog = load_programme(pid)
    out = tmp_path / "site"
    summary = render(None, out, programme=pid, jobs=2, seed=3, progress=False, pdf=False,
                     synth_overrides={"scale": 0.2, "truth_replicates": 5})
    assert summary.ok, summary.failed
    index = (out / "index.html").read_text()
    assert prog.name in index
    for d in prog.districts:
        page = out / f"district-{d.id.lower()}.html"
        assert page.exists() and f'href="{page.name}"' in index
    district = (out / f"district-{prog.districts[0].id.lower()}.html").read_text()
    assert "Traceback" not in district and ("Risk assessment</h2>" in district) == prog.has_risk_tool
    for name in ("force-overview", "data-quality"):
        assert (out / f"{name}.html").exists() and f'href="{name}.html"' in index
    assert (out / "ppit-validity.html").exists() == prog.has_risk_tool
    records = json.loads((out / "results.json").read_text())["estimates"]
    results = {e["name"] for e in records if e["primary"]}
    truth = json.loads((out / "truth.json").read_text())
    assert truth["programme"] == pid and results <= set(truth["effects"])
    assert {e["truth_name"] for e in records} <= set(truth["effects"])
    assert any(n.startswith("ppit_") for n in results) == prog.has_risk_tool
    meta = json.loads((out / "render.json").read_text())
    assert meta["programme"] == pid and meta["failed"] == []
    # every programme with staggered go-live dates gets its evaluation, and every page states each named
    # estimate exactly as results.json does
    assert (out / "pilot-vs-rollout.html").exists() and 'href="pilot-vs-rollout.html"' in index
    by_name = {e["name"]: e for e in records}
    marks = set()
    for page in out.glob("*.html"):
        for tag in re.findall(r"<[a-z]+ [^>]*data-estimand=[^>]*>", page.read_text()):
            mark = dict(re.findall(r"""(data-[a-z-]+)=["']([^"']*)["']""", tag))
            if "data-estimate" not in mark:
                continue
            name, r = mark["data-estimand"], by_name[mark["data-estimand"]]
            assert float(mark["data-estimate"]) == pytest.approx(r["estimate"], abs=1e-6), (page.name, name)
            for key, field in (("data-ci-low", "ci_low"), ("data-ci-high", "ci_high")):
                if key in mark:
                    assert float(mark[key]) == pytest.approx(r[field], abs=1e-6), (page.name, name, key)
            marks.add(name)
    assert {"did_att_da_rate", "reoffending_hr_programme"} & set(by_name) <= marks


# ------------------------------------------------------------------------------------------ no names in code
def _programme_words() -> dict[str, tuple[str, bool]]:
    """Every programme id, name, force and district id and name in the shipped TOML files, each with
    whether to match it case-sensitively (names and district codes are proper nouns or codes; ids and
    the like are matched in any case)."""
    words = {}
    for path in sorted(PROGRAMME_DIR.glob("*.toml")):
        raw = tomllib.loads(path.read_text())
        words[raw["programme"]["id"]] = (path.name, False)
        for key in ("name", "force"):
            if raw["programme"].get(key):
                words[raw["programme"][key]] = (path.name, True)
        for d in raw["districts"]:
            words[d["id"]] = (path.name, True)
            words[d["name"]] = (path.name, True)
    return words


def _docstring_lines(path) -> set[int]:
    import ast

    lines = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                lines |= set(range(first.lineno, first.end_lineno + 1))
    return lines


def test_no_module_names_a_programme_or_district():
    words = _programme_words()
    assert len(words) > 50  # two programmes' ids, names and 27 districts
    allowed = {"config.py": {f'DEFAULT_PROGRAMME = "{DEFAULT_PROGRAMME}"'}}
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        docs = _docstring_lines(path)  # documentation may name the shipped programmes in its examples
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip() in allowed.get(rel, set()) or lineno in docs:
                continue
            for word, (source, case) in words.items():
                pattern = r"(?<![\w-])" + re.escape(word) + r"(?![\w-])"
                if re.search(pattern, line, 0 if case else re.IGNORECASE):
                    hits.append(f"{rel}:{lineno}: {word!r} (from {source}): {line.strip()}")
    assert not hits, "code names a programme or district; move it to the programme file:\n" + "\n".join(hits)


def test_the_name_check_catches_a_district():
    words = _programme_words()
    line = 'if district == "Southampton": threshold = 5'
    found = [w for w, (_, case) in words.items()
             if re.search(r"(?<![\w-])" + re.escape(w) + r"(?![\w-])", line, 0 if case else re.IGNORECASE)]
    assert found == ["Southampton"]
