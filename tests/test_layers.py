"""The package's layers, low to high: no module imports from a layer above it, and there is no cycle.

files -> validated dataset -> analysis frames -> results -> publication layer -> notebooks -> reports
"""
from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "foundation_eval"

# rank of each top-level module or subpackage; equal ranks may import each other (no cycles)
LAYERS = {
    "__init__": 0, "_highs": 0, "config": 0, "schemas": 0, "checks": 0, "results": 0, "stats": 0, "plotting": 0,
    "data": 1,
    "frames": 2,
    "models": 3, "ppit": 3, "impact": 3,
    "evaluation": 4,
    "reporting": 5,
    "cli": 6,
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every foundation_eval module this file imports, at top level or inside functions."""
    mod = _module(path)
    pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("foundation_eval")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("foundation_eval"):
                for a in node.names:
                    out.add(f"{target}.{a.name}" if _is_module(f"{target}.{a.name}") else target)
    return out


def _is_module(name: str) -> bool:
    p = PKG.parent.joinpath(*name.split("."))
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def _top(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _graph() -> dict[str, set[str]]:
    return {_module(p): {m for m in _imports(p) if m != _module(p)} for p in PKG.rglob("*.py")}


def test_every_module_has_a_layer():
    missing = sorted({_top(m) for m in _graph()} - set(LAYERS))
    assert not missing, f"modules without a layer in tests/test_layers.py: {missing}"


def _upward(graph) -> list[tuple[str, str]]:
    return sorted((m, i) for m, deps in graph.items() for i in deps if LAYERS[_top(i)] > LAYERS[_top(m)])


def test_no_module_imports_from_a_layer_above():
    upward = _upward(_graph())
    assert not upward, "upward imports:\n" + "\n".join(f"{a} -> {b}" for a, b in sorted(upward))


def test_no_import_cycle():
    graph = _graph()
    # collapse each module onto itself; a package __init__ importing its own modules is not a cycle
    seen, stack, cycles = set(), [], []

    def visit(node, path):
        if node in path:
            cyc = path[path.index(node):] + [node]
            if not all(c == cyc[0] or c.startswith(cyc[0] + ".") or cyc[0].startswith(c + ".") for c in cyc):
                cycles.append(cyc)
            return
        if node in seen:
            return
        for dep in graph.get(node, ()):
            visit(dep, path + [node])
        seen.add(node)

    for n in graph:
        visit(n, stack)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_check_sees_an_upward_import():
    graph = {"foundation_eval.frames.cohort": {"foundation_eval.reporting.render"},
             "foundation_eval.reporting.render": {"foundation_eval.frames.cohort"}}
    assert _upward(graph) == [("foundation_eval.frames.cohort", "foundation_eval.reporting.render")]


# the publication layer formats results; it fits nothing. Intervals of shares and rates worked out from
# *published* counts are disclosure (reporting/disclosure.py, publication.py, audit.py), not analysis.
FITTING = ("foundation_eval.models", "foundation_eval.ppit", "foundation_eval.frames", "foundation_eval.impact",
           "foundation_eval.stats")
ALLOWED = {
    "foundation_eval.impact": {"DESIGN_LEVELS", "SMS_LEVELS"},          # the Maryland table, words only
    "foundation_eval.impact.maryland": {"DESIGN_LEVELS", "SMS_LEVELS"},
}
DISCLOSURE = {"disclosure", "publication", "audit"}  # may compute intervals of published counts
MODEL_LIBRARIES = ("scipy", "statsmodels", "lifelines", "sklearn")


def _named_imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            yield node.module, {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, set()


def test_no_model_is_fitted_in_the_publication_layer():
    found = []
    for path in sorted((PKG / "reporting").glob("*.py")):
        for module, names in _named_imports(path):
            root = module.split(".")[0]
            if path.stem in DISCLOSURE and (module == "foundation_eval.stats" or root == "scipy"):
                continue
            if root in MODEL_LIBRARIES:
                found.append(f"{path.name}: import {module}")
            elif module.startswith(FITTING) and not (module in ALLOWED and names <= ALLOWED[module]):
                found.append(f"{path.name}: from {module} import {', '.join(sorted(names))}")
    assert not found, "analysis in the publication layer (fit it in a study of the snapshot):\n" + "\n".join(found)
