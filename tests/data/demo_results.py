"""Every value the demo force's reports are built from, flattened to ``path -> value``.

    python tests/data/demo_results.py tests/data/demo_results.json.gz

writes the reference that ``tests/test_content_unchanged.py`` compares against: ``results.json`` as a
render writes it, and every number and sentence of every study the snapshot holds (the evaluation, the
areas, the risk-tool and the data-quality studies), each under a path such as
``study/evaluation/did/estimate``. Regenerate it only on purpose, when a change is meant to alter what the
reports say, and say so in the commit.
"""
from __future__ import annotations

import dataclasses
import gzip
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

MAX_DEPTH = 8


def _scalar(value):
    """A JSON value for a scalar, or the sentinel ``...`` for anything that is not one."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (pd.Timestamp, pd.Period)):
        return str(value)
    return ...


def flatten(obj, path: str = "", out: dict | None = None, depth: int = 0) -> dict:
    """``obj`` as ``{path: scalar}``: dataclasses by field, mappings by key, sequences by position,
    frames by row and column; figures, functions and other objects are skipped."""
    out = {} if out is None else out
    value = _scalar(obj)
    if value is not ...:
        out[path] = value
        return out
    if depth > MAX_DEPTH:
        return out
    if isinstance(obj, pd.DataFrame):
        frame = obj.reset_index(drop=True)
        for col in frame.columns:
            for i, v in enumerate(frame[col].tolist()):
                flatten(v, f"{path}/{col}/{i}", out, depth + 1)
    elif isinstance(obj, pd.Series):
        for i, v in enumerate(obj.tolist()):
            flatten(v, f"{path}/{i}", out, depth + 1)
    elif isinstance(obj, np.ndarray):
        for i, v in enumerate(obj.ravel().tolist()):
            flatten(v, f"{path}/{i}", out, depth + 1)
    elif type(obj).__name__ == "MatchedPairs":
        # a matching's pairs, held as runs of controls: compared as the pairs written out (`matches`)
        flatten(obj.frame(), f"{path.rsplit('/', 1)[0]}/matches", out, depth + 1)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            flatten(getattr(obj, f.name), f"{path}/{f.name}", out, depth + 1)
    elif isinstance(obj, dict) or type(obj).__name__ == "mappingproxy":
        for k, v in obj.items():
            flatten(v, f"{path}/{k}", out, depth + 1)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            flatten(v, f"{path}/{i}", out, depth + 1)
    return out


def demo_values() -> dict:
    """The demo force's ``results.json`` and every study of its snapshot, flattened."""
    from foundation_eval.evaluation.snapshot import STUDIES, open_snapshot

    snap = open_snapshot()
    out = flatten(snap.results(), "results")
    for name in STUDIES:
        flatten(snap.study(name), f"study/{name}", out)
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("demo_results.json.gz"))
    values = demo_values()
    # mtime=0: the same values give the same bytes
    with gzip.GzipFile(target, "wb", mtime=0) as fh:
        fh.write((json.dumps(values, indent=0, sort_keys=True) + "\n").encode("utf-8"))
    print(f"{len(values):,} values written to {target}")
