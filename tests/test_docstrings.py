"""Every public function and class of the statistical layers documents itself, and its examples run.

Checked modules: every module of the library's layers (config, schemas, checks, results, stats, plotting, data, frames,
models, ppit, impact, evaluation and reporting). For each name in a module's
``__all__``: a function has a numpy-style ``Parameters`` section naming every argument, ``Returns``
when it returns something, and ``Examples``; a class has ``Examples`` and ``Attributes`` or
``Parameters``; each public method of a class has a docstring, with ``Parameters`` when it takes
arguments and ``Returns`` when it returns something. The examples then run as doctests,
with floats compared to the precision they are written to (one unit in the last printed digit), as
pytest's ``NUMBER`` option does: another machine's BLAS may change the seventh significant digit.
"""
from __future__ import annotations

import doctest
import importlib
import inspect
import re
from decimal import Decimal

import matplotlib
import pytest

matplotlib.use("Agg")

MODULES = [
    "foundation_eval.config",
    "foundation_eval.schemas",
    "foundation_eval.checks",
    "foundation_eval.results",
    "foundation_eval.stats",
    "foundation_eval.plotting",
    "foundation_eval.frames.cohort",
    "foundation_eval.frames.outcomes",
    "foundation_eval.frames.panel",
    "foundation_eval.frames.reduce",
    "foundation_eval.frames.washout",
    "foundation_eval.models.engagement",
    "foundation_eval.models.referrals",
    "foundation_eval.models.reoffending.survival",
    "foundation_eval.models.reoffending.coxph",
    "foundation_eval.models.reoffending.ipw",
    "foundation_eval.models.reoffending.rates",
    "foundation_eval.models.reoffending.negbin",
    "foundation_eval.models.reoffending.bootstrap",
    "foundation_eval.models.exposure",
    "foundation_eval.models.funnel_plot",
    "foundation_eval.models.matching",
    "foundation_eval.ppit.discrimination",
    "foundation_eval.ppit.time_to_event",
    "foundation_eval.ppit.calibration",
    "foundation_eval.ppit.thresholds",
    "foundation_eval.ppit.reliability",
    "foundation_eval.ppit.structure",
    "foundation_eval.ppit.equity",
    "foundation_eval.ppit.incremental",
    "foundation_eval.ppit.validity",
    "foundation_eval.ppit.study",
    "foundation_eval.data.load",
    "foundation_eval.data.prepare",
    "foundation_eval.data.pseudonym",
    "foundation_eval.data.synth",
    "foundation_eval.data.scenarios",
    "foundation_eval.data.truth",
    "foundation_eval.impact._base",
    "foundation_eval.impact.imputation",
    "foundation_eval.impact.maryland",
    "foundation_eval.impact.its",
    "foundation_eval.impact.twfe",
    "foundation_eval.impact.did",
    "foundation_eval.impact.inference",
    "foundation_eval.impact.power",
    "foundation_eval.impact.rd",
    "foundation_eval.impact.honest",
    "foundation_eval.impact.pretrends",
    "foundation_eval.impact.evalue",
    "foundation_eval.evaluation.registry",
    "foundation_eval.evaluation.estimates",
    "foundation_eval.evaluation.snapshot",
    "foundation_eval.evaluation.areas",
    "foundation_eval.evaluation.designs._common",
    "foundation_eval.evaluation.designs.did",
    "foundation_eval.evaluation.designs.cohort",
    "foundation_eval.evaluation.designs.cox",
    "foundation_eval.evaluation.designs.its",
    "foundation_eval.evaluation.designs.rd",
    "foundation_eval.evaluation.designs.naive",
    "foundation_eval.evaluation.designs.power",
    "foundation_eval.evaluation.designs.evaluation",
    "foundation_eval.evaluation.designs.sensitivity",
    "foundation_eval.evaluation.verdict",
    "foundation_eval.evaluation.value",
    "foundation_eval.evaluation.threats",
    "foundation_eval.evaluation.matched",
    "foundation_eval.evaluation.quality",
    "foundation_eval.reporting.publication",
    "foundation_eval.reporting.formats",
    "foundation_eval.reporting.disclosure",
    "foundation_eval.reporting.audit",
    "foundation_eval.reporting.workbook",
    "foundation_eval.reporting.figures",
    "foundation_eval.reporting.district_report",
    "foundation_eval.reporting.overview_report",
    "foundation_eval.reporting.evaluation_report",
    "foundation_eval.reporting.evaluation_designs",
    "foundation_eval.reporting.evaluation_robustness",
    "foundation_eval.reporting.evaluation_appraisal",
    "foundation_eval.reporting._evaluation_common",
    "foundation_eval.reporting.ppit_report",
    "foundation_eval.reporting.ppit_prediction",
    "foundation_eval.reporting.ppit_measurement",
    "foundation_eval.reporting._ppit_common",
    "foundation_eval.reporting.ppit_tables",
    "foundation_eval.reporting.ppit_text",
    "foundation_eval.reporting.quality_report",
    "foundation_eval.reporting.render",
    "foundation_eval.reporting.export",
    "foundation_eval.reporting.debris",
    "foundation_eval.cli",
]


def _sections(doc: str) -> set[str]:
    lines = doc.splitlines()
    return {lines[i].strip() for i in range(len(lines) - 1)
            if lines[i + 1].strip() and set(lines[i + 1].strip()) == {"-"}
            and len(lines[i + 1].strip()) >= len(lines[i].strip()) > 0}


def _documented_parameters(doc: str) -> set[str]:
    """Names listed in the Parameters section (``a, b : type`` lines count both)."""
    lines = doc.splitlines()
    names: set[str] = set()
    inside = False
    for i, line in enumerate(lines):
        underline = i + 1 < len(lines) and lines[i + 1].strip() and set(lines[i + 1].strip()) == {"-"}
        if line.strip() == "Parameters" and underline:
            inside = True
            continue
        if inside:
            if underline and line.strip() and not line.startswith(" "):
                break  # the next section
            if line and not line.startswith(" ") and set(line.strip()) != {"-"}:
                names.update(n.strip().lstrip("*") for n in line.split(" : ")[0].split(","))
    return names


def _undocumented(func) -> list[str]:
    params = [p.name for p in inspect.signature(func).parameters.values() if p.name not in ("self", "cls")]
    known = _documented_parameters(inspect.getdoc(func) or "")
    return [p for p in params if p not in known]


def _takes_arguments(func) -> bool:
    params = [p for p in inspect.signature(func).parameters.values() if p.name not in ("self", "cls")]
    return bool(params)


def _returns(func) -> bool:
    """Whether the function returns something: anything not annotated ``-> None`` counts."""
    ann = inspect.signature(func).return_annotation
    return ann not in (None, "None")


def _public(module_name):
    mod = importlib.import_module(module_name)
    for name in mod.__all__:
        obj = getattr(mod, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            if getattr(obj, "__module__", module_name) == module_name:
                yield f"{module_name}.{name}", obj


def _problems(qualname, obj) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    found = _sections(doc)
    out = []
    if inspect.isclass(obj):
        if "Examples" not in found:
            out.append(f"{qualname}: no Examples")
        if not found & {"Attributes", "Parameters"}:
            out.append(f"{qualname}: no Attributes or Parameters")
        for mname, member in vars(obj).items():
            if mname.startswith("_"):
                continue
            func = member.fget if isinstance(member, property) else member
            if isinstance(func, (staticmethod, classmethod)):
                func = func.__func__
            if not inspect.isfunction(func):
                continue
            mdoc = inspect.getdoc(func) or ""
            msec = _sections(mdoc)
            if not mdoc:
                out.append(f"{qualname}.{mname}: no docstring")
                continue
            if isinstance(member, property):
                continue
            if _takes_arguments(func) and "Parameters" not in msec:
                out.append(f"{qualname}.{mname}: no Parameters")
            elif _undocumented(func):
                out.append(f"{qualname}.{mname}: parameters not described: {_undocumented(func)}")
            if _returns(func) and "Returns" not in msec:
                out.append(f"{qualname}.{mname}: no Returns")
    else:
        if _takes_arguments(obj) and "Parameters" not in found:
            out.append(f"{qualname}: no Parameters")
        elif _undocumented(obj):
            out.append(f"{qualname}: parameters not described: {_undocumented(obj)}")
        if _returns(obj) and "Returns" not in found and "Yields" not in found:
            out.append(f"{qualname}: no Returns")
        if "Examples" not in found:
            out.append(f"{qualname}: no Examples")
    return out


def test_public_api_is_documented():
    problems = [p for m in MODULES for qualname, obj in _public(m) for p in _problems(qualname, obj)]
    assert not problems, f"{len(problems)} docstring gaps:\n" + "\n".join(problems)


_FLOAT = re.compile(r"(?<![\w.])[-+]?(\d+)\.(\d*)(?:[eE]([-+]?\d+))?(?![\w.])")


class NumberChecker(doctest.OutputChecker):
    """A float written with d decimals (and exponent e) in the expected output matches any float within
    10**(e - d) of it: one unit in the last digit written. Integers still match exactly."""

    def check_output(self, want, got, optionflags):
        if super().check_output(want, got, optionflags):
            return True
        wants, gots = list(_FLOAT.finditer(want)), list(_FLOAT.finditer(got))
        if not wants or len(wants) != len(gots):
            return False
        pieces, last = [], 0
        for w, g in zip(wants, gots, strict=True):
            unit = Decimal(1).scaleb(int(w.group(3) or 0) - len(w.group(2)))
            close = abs(Decimal(w.group(0)) - Decimal(g.group(0))) <= unit
            pieces.append(got[last:g.start()])
            pieces.append(w.group(0) if close else g.group(0))
            last = g.end()
        pieces.append(got[last:])
        return super().check_output(want, "".join(pieces), optionflags)


def test_number_checker_tolerance():
    check = NumberChecker().check_output
    assert check("(17.754398, 28.028088)\n", "(17.754398, 28.028089)\n", 0)
    assert not check("(17.754398, 28.028088)\n", "(17.754398, 28.028090)\n", 0)
    assert check("0.25\n", "0.2547\n", 0)
    assert not check("0.25\n", "0.2647\n", 0)
    assert check("1.5e-06\n", "1.6e-06\n", 0)
    assert not check("14\n", "15\n", 0)


@pytest.mark.parametrize("module_name", MODULES)
def test_examples_run(module_name):
    mod = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(checker=NumberChecker(),
                                   optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(mod, module_name) if t.examples]
    assert tests, f"{module_name} has no examples"
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {module_name}"
