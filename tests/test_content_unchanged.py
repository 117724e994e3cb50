"""The reports say what they said: every value of the demo force's results.json and studies, against a reference.

The reference, ``tests/data/demo_results.json.gz``, is written by ``tests/data/demo_results.py`` from the
built-in synthetic force: ``results.json`` and every number and sentence of every study the snapshot holds.
Work that only makes the render faster or leaner (benchmarks/README.md, "National scale") must leave all of
them as they were; a change meant to alter what the reports say regenerates the reference in its commit.
"""
from __future__ import annotations

import gzip
import json
import math
import sys
from pathlib import Path

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))

import demo_results  # noqa: E402

RTOL, ATOL = 1e-6, 1e-9  # another machine's BLAS may move the last digits, never the sixth


def _differs(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return not math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL)
    return a != b


def test_every_published_value_of_the_demo_force_is_unchanged():
    with gzip.open(DATA / "demo_results.json.gz", "rt", encoding="utf-8") as fh:
        before = json.load(fh)
    now = demo_results.demo_values()
    assert len(before) > 50_000  # the reference holds the studies, not only results.json
    missing, added = sorted(set(before) - set(now)), sorted(set(now) - set(before))
    changed = [k for k in sorted(set(before) & set(now)) if _differs(before[k], now[k])]
    assert not missing and not added and not changed, (
        f"{len(missing)} values gone (e.g. {missing[:5]}), {len(added)} new (e.g. {added[:5]}), "
        f"{len(changed)} changed (e.g. {[(k, before[k], now[k]) for k in changed[:5]]})")


def test_a_changed_value_is_caught():
    """The comparison itself: a moved estimate, a new key and a changed sentence all count as changes."""
    assert _differs(0.1234, 0.1235) and not _differs(0.1234, 0.1234 * (1 + 1e-9))
    assert _differs("no clear evidence", "clear evidence") and not _differs(3, 3.0)
    flat = demo_results.flatten({"did": {"estimate": 0.5, "rows": [1, 2]}}, "study")
    assert flat == {"study/did/estimate": 0.5, "study/did/rows/0": 1, "study/did/rows/1": 2}
