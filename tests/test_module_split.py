"""No module of the package is over the house limit of about 1,000 lines of code; the evaluation report, the
PPIT validity report and the synthetic generator, each split into modules by concept, keep their public
names: the reports keep their methods and signatures, and the generator writes the same bytes as before.
"""
from __future__ import annotations

import ast
import hashlib
import inspect
import io
import tokenize
from functools import cached_property
from pathlib import Path

import pytest

from foundation_eval.data import scenarios, synth
from foundation_eval.reporting import (
    evaluation_appraisal,
    evaluation_designs,
    evaluation_robustness,
    ppit_measurement,
    ppit_prediction,
    ppit_report,
)
from foundation_eval.reporting.evaluation_report import EvaluationReport
from foundation_eval.reporting.ppit_report import PpitValidityReport

PKG = Path(__file__).resolve().parent.parent / "foundation_eval"
LIMIT = 1000
SPLIT = ["reporting/evaluation_report.py", "reporting/evaluation_designs.py", "reporting/evaluation_robustness.py",
         "reporting/evaluation_appraisal.py", "reporting/_evaluation_common.py", "data/synth.py",
         "data/scenarios.py", "data/truth.py", "reporting/ppit_report.py", "reporting/ppit_prediction.py",
         "reporting/ppit_measurement.py", "reporting/_ppit_common.py"]
#: every module of the package, as a path under it
MODULES = sorted(p.relative_to(PKG).as_posix() for p in PKG.rglob("*.py"))


def code_lines(source: str) -> int:
    """Lines holding code: blank lines, comments and docstrings (module, class, function and attribute
    docstrings: any statement that is a lone string) are left out."""
    docs = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        for st in body if isinstance(body, list) else ():
            if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant) and isinstance(st.value.value, str):
                docs.update(range(st.lineno, st.end_lineno + 1))
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    lines = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in skip:
            lines.update(range(tok.start[0], tok.end[0] + 1))
    return len(lines - docs)


def test_code_lines_leave_out_docstrings_comments_and_blank_lines():
    source = '"""Module."""\n\nX = 1  # one\n#: attribute\nY = {\n    "a": 2,\n}\n"""About Y."""\n\n\ndef f():\n' \
             '    """Doc\n    string."""\n    # comment\n    return X\n'
    assert code_lines(source) == 6  # X, the three lines of Y, def, return


def test_every_module_of_the_package_is_counted():
    assert len(MODULES) > 100 and set(SPLIT) <= set(MODULES)  # the search finds the package, subpackages too
    assert {"__init__.py", "reporting/__init__.py", "models/reoffending/coxph.py"} <= set(MODULES)


@pytest.mark.parametrize("path", MODULES)
def test_no_module_is_over_the_limit(path):
    n = code_lines((PKG / path).read_text(encoding="utf-8"))
    assert n <= LIMIT, f"{path}: {n} lines of code (the limit is {LIMIT}): split it by concept"


# every public method and property of the report before the split, with its signature
REPORT_API = {
    "cells": "property", "cohort": "property", "cox": "property", "period": "property", "plan_date": "property",
    "plan_sha256": "property", "primary": "property", "results": "property", "verdict": "property",
    "views": "property",
    "cells_statement": "(self) -> 'list'",
    "design_name": "(self, name: 'str', design: 'str' = '') -> 'str'",
    "did_section": "(self) -> 'Section'",
    "disclosure": "(self) -> 'Section'",
    "estimands_table": "(self, rows: 'pd.DataFrame | None' = None)",
    "event_study_figure": "(self)",
    "header": "(self) -> 'Text'",
    "headline": "(self) -> 'Section'",
    "honest_figure": "(self)",
    "its_figure": "(self)",
    "its_section": "(self) -> 'Section'",
    "matched_balance_figure": "(self, balance: 'pd.DataFrame')",
    "matched_section": "(self) -> 'Section'",
    "methods": "(self) -> 'Section'",
    "naive_section": "(self) -> 'Section'",
    "person_section": "(self) -> 'Section'",
    "plan_section": "(self) -> 'Section'",
    "power_caveat": "(self) -> 'Text | None'",
    "power_figure": "(self, pw)",
    "power_section": "(self) -> 'Section'",
    "provenance": "(self) -> 'Section'",
    "rd_section": "(self) -> 'Section | None'",
    "sections": "(self) -> 'list'",
    "sensitivity_section": "(self) -> 'Section'",
    "statements_section": "(self) -> 'Section'",
    "summary": "(self) -> 'Text'",
    "supporting": "(self) -> 'list[Text]'",
    "threats_section": "(self) -> 'Section'",
    "value_sentence": "(self) -> 'Text | None'",
    "verdict_sentence": "(self) -> 'Text'",
    "vfm_section": "(self) -> 'Section'",
}


def _api(cls) -> dict:
    out = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        member = inspect.getattr_static(cls, name)
        out[name] = "property" if isinstance(member, property | cached_property) else str(inspect.signature(member))
    return out


def test_the_report_keeps_every_public_method_and_signature():
    assert _api(EvaluationReport) == REPORT_API


def test_each_section_comes_from_the_module_of_its_concept():
    where = {"did_section": evaluation_designs, "rd_section": evaluation_designs,
             "sensitivity_section": evaluation_robustness, "matched_section": evaluation_robustness,
             "vfm_section": evaluation_appraisal, "threats_section": evaluation_appraisal}
    for name, module in where.items():
        assert getattr(EvaluationReport, name).__module__ == module.__name__, name
    assert EvaluationReport.__mro__[1:4] == (evaluation_designs.DesignSections, evaluation_robustness.RobustnessSections,
                                             evaluation_appraisal.AppraisalSections)


# every public method and property of the PPIT validity report before the split, with its signature
PPIT_API = {
    "auc_label": "property", "auc_view": "property", "bands": "property", "can_discriminate": "property",
    "enough": "property", "fixed_edges": "property", "icc_view": "property", "outcome_phrase": "property",
    "registered": "property",
    "appendix": "(self) -> 'Section'",
    "auc_numbers": "(self) -> 'tuple[float, float, float]'",
    "auc_text": "(self)",
    "calibration": "(self) -> 'Section'",
    "disclosure": "(self) -> 'Section'",
    "discrimination": "(self) -> 'Section'",
    "equity": "(self) -> 'Section'",
    "header": "(self) -> 'Text'",
    "html": "(self) -> 'str'",
    "incremental": "(self) -> 'Section'",
    "limitations": "(self) -> 'Section'",
    "methods": "(self) -> 'Section'",
    "provenance": "(self) -> 'Section'",
    "reliability": "(self) -> 'Section'",
    "roc_figure": "(self)",
    "sections": "(self) -> 'list'",
    "structure": "(self) -> 'Section'",
    "summary": "(self) -> 'Text'",
    "thresholds": "(self) -> 'Section'",
    "time_to_event": "(self) -> 'Section'",
}


def test_the_ppit_report_keeps_every_public_method_and_signature():
    assert _api(PpitValidityReport) == PPIT_API
    assert str(inspect.signature(PpitValidityReport)) == (
        "(snap, outcome: 'str' = 'any_da', window_months: 'int' = 12, min_followup_months=None, "
        "harm_threshold=None, violent_severity: 'int' = 4, n_boot=None, level: 'float' = 0.95, study=None)")
    assert ppit_report.__all__ == ["PpitValidityReport"]


def test_each_ppit_section_comes_from_the_module_of_its_concept():
    where = {ppit_prediction: ("discrimination", "time_to_event", "incremental", "calibration", "thresholds",
                               "roc_figure", "bands", "fixed_edges"),
             ppit_measurement: ("reliability", "structure", "equity"),
             ppit_report: ("header", "summary", "methods", "limitations", "disclosure", "provenance", "appendix",
                           "sections", "html", "auc_numbers", "registered")}
    for module, names in where.items():
        for name in names:
            member = inspect.getattr_static(PpitValidityReport, name)
            func = member.fget if isinstance(member, property) else member
            assert func.__module__ == module.__name__, name
    assert PpitValidityReport.__mro__[1:] == (ppit_prediction.PredictionSections,
                                              ppit_measurement.MeasurementSections, object)


# what only fits a model: the PPIT page formats the study fitted once in the snapshot, in every module of it
FITTING = ("foundation_eval.ppit", "foundation_eval.models", "foundation_eval.frames", "foundation_eval.impact",
           "foundation_eval.stats", "foundation_eval.data", "scipy", "statsmodels", "lifelines", "sklearn")


@pytest.mark.parametrize("path", ["reporting/ppit_report.py", "reporting/ppit_prediction.py",
                                  "reporting/ppit_measurement.py", "reporting/_ppit_common.py"])
def test_no_module_of_the_ppit_page_imports_an_estimator(path):
    tree = ast.parse((PKG / path).read_text(encoding="utf-8"))
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in imported if m.startswith(FITTING)]


def test_synth_still_exports_the_scenario_names():
    assert synth.SCENARIOS is scenarios.SCENARIOS and synth.expand_scenarios is scenarios.expand_scenarios
    assert synth.__all__ == ["SCENARIOS", "SynthParams", "SyntheticProgramme", "expand_scenarios", "generate", "write"]


# sha256 (first 16 hex digits) of the files written by the generator before it was split into synth, scenarios
# and truth: the built-in force (hiow, seed 20210101) and the realistic scenario at scale 0.2
BEFORE_SPLIT = {
    (): {
        "contacts.csv": "bd19d12561269959", "districts.csv": "fd6f91f9e18c4b28", "exits.csv": "47f4efeaf11adc8c",
        "offences.csv": "c15d77fbfa1188ac", "people.csv": "7bf06005c3a5de72",
        "ppit_assessments.csv": "0dee2325be5b669f", "referrals.csv": "08ca74c44a4f0837",
        "rmps.csv": "2d62a01ed41b2078", "screening.csv": "2133ea16901d5fcb", "truth.json": "b6a96e35341bc328",
    },
    (("scenarios", "realistic"), ("scale", 0.2)): {
        "contacts.csv": "8f288413d6e16ca9", "districts.csv": "fd6f91f9e18c4b28", "exits.csv": "a2f3f3395cd047ad",
        "offences.csv": "5a823ac14d073a82", "people.csv": "20f6f41f8e0e67aa",
        "ppit_assessments.csv": "14c5637ffce68d23", "referrals.csv": "b29321c31f92604e",
        "rmps.csv": "2355a3dce6f66a9c", "screening.csv": "d3c60e1386cfa472", "truth.json": "7cc4cab0f7524415",
    },
}


@pytest.mark.parametrize("options", list(BEFORE_SPLIT), ids=["default", "realistic-0.2"])
def test_the_generator_writes_the_same_bytes_as_before_the_split(options, tmp_path):
    folder = synth.write(synth.generate(**dict(options)), tmp_path / "x")
    got = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in folder.iterdir()}
    assert got == BEFORE_SPLIT[options]
