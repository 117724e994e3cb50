"""The documentation site builds with warnings as errors, and its guides' examples execute."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("mkdocs", reason="the docs extra is not installed (pip install -e '.[docs]')")
pytest.importorskip("mkdocstrings_handlers.python")
pytest.importorskip("markdown_exec")


@pytest.mark.docs
def test_site_builds_strict(tmp_path):
    """One strict build (the same as `make docs`): a griffe warning, a broken link or a failing example
    aborts it. The executed examples run on a small synthetic force."""
    out = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    # every reference page rendered its module, and the guides ran their code
    for page, anchor in [
        ("reference/stats/index.html", 'id="foundation_eval.stats.wilson_interval"'),
        ("reference/models/reoffending/index.html", 'id="foundation_eval.models.reoffending.cox"'),
        ("reference/ppit/index.html", 'id="foundation_eval.ppit.auc"'),
        ("reference/impact/index.html", 'id="foundation_eval.impact.staggered_did"'),
        ("reference/frames/index.html", 'id="foundation_eval.frames.cohort.person_frame"'),
        ("reference/reporting/index.html", 'id="foundation_eval.reporting.disclosure.protect"'),
    ]:
        html = (out / page).read_text()
        assert anchor in html, page
    guide = (out / "guides/own-notebook/index.html").read_text()
    assert "Traceback" not in guide
    assert "hazard ratio" in guide.lower()
