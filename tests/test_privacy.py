"""Privacy scan and determinism of a full render.

Every output of a render (HTML, PDF text, XLSX, JSON, executed notebooks) is searched for every
identifier and birth year-month in the input; every published table for counts below the threshold.
"""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from foundation_eval.reporting.render import render

ID_COLUMNS = {"people": ["person_id"], "offences": ["offence_id", "victim_id"], "contacts": ["contact_id"],
              "referrals": ["referral_id"], "ppit_assessments": ["assessment_id", "assessor_id"], "rmps": ["rmp_id"]}


def _output_texts(site):
    for path in sorted(site.rglob("*")):
        if path.is_dir() or path.name == "truth.json":
            continue
        if path.suffix in (".html", ".json", ".ipynb"):
            yield path, path.read_text(encoding="utf-8", errors="replace")
        elif path.suffix == ".pdf":
            from pypdf import PdfReader

            yield path, "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
        elif path.suffix == ".xlsx":
            book = pd.read_excel(path, sheet_name=None, dtype=str)
            yield path, "\n".join(f.to_csv(index=False) for f in book.values())


def test_no_identifier_or_birth_date_in_any_output(rendered_site, small_dir):
    secrets = set()
    for table, cols in ID_COLUMNS.items():
        frame = pd.read_csv(small_dir / f"{table}.csv", dtype=str)
        for c in cols:
            secrets |= set(frame[c].dropna())
    births = set(pd.read_csv(small_dir / "people.csv", dtype=str).birth_ym)
    pattern = re.compile(r"\b[A-Z][0-9A-F]{4,16}\b")
    scanned = 0
    for path, text in _output_texts(rendered_site):
        scanned += 1
        hits = {m for m in pattern.findall(text) if m in secrets}
        assert not hits, f"identifiers {sorted(hits)[:5]} found in {path.name}"
        born = [b for b in births if b in text]
        assert not born, f"birth year-months {born[:5]} found in {path.name}"
    assert scanned >= 15  # every report type: html, pdf, xlsx, executed notebook; results, render, index


def test_results_json_identical_across_renders(rendered_site, small_dir, tmp_path):
    # the same plan as the fixture (PDF and screenshots do not touch results.json)
    again = render(small_dir, tmp_path / "again", jobs=2, districts=["SOU"], progress=False, pdf=False)
    assert again.ok
    a = (rendered_site / "results.json").read_text()
    b = (tmp_path / "again" / "results.json").read_text()
    assert a == b
    names = {e["name"] for e in json.loads(a)["estimates"]}
    assert {"reoffending_hr_programme", "ppit_auc_12m", "did_att_da_rate"} <= names


@pytest.mark.parametrize("seed", [1])
def test_synthetic_render_writes_truth_beside_results(seed, tmp_path):
    """`render` without data generates the force, and its truth sits next to its results."""
    out = render(None, tmp_path / "demo", jobs=1, districts=["EAS"], progress=False, pdf=False, seed=seed,
                 force_reports=False,
                 synth_overrides={"scale": 0.2, "truth_replicates": 2})
    truth = json.loads((out.out / "truth.json").read_text())["effects"]
    results = json.loads((out.out / "results.json").read_text())["estimates"]
    assert {r["name"] for r in results if r["primary"]} <= set(truth)
    assert {r["truth_name"] for r in results} <= set(truth)
    assert not list(out.out.glob("*.csv")), "person-level synthetic data must not be published"
