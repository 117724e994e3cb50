"""Shared fixtures: a small synthetic force, generated once per test session."""
from __future__ import annotations

import shutil

import pytest

from foundation_eval.data import synth
from foundation_eval.data.load import load_dataset

SMALL = {"scale": 0.3, "truth_replicates": 5}
SEED = 11


@pytest.fixture(scope="session")
def small_result():
    return synth.generate("hiow", seed=SEED, **SMALL)


@pytest.fixture(scope="session")
def small_dir(small_result, tmp_path_factory):
    return synth.write(small_result, tmp_path_factory.mktemp("synthetic"))


@pytest.fixture(scope="session")
def small_ds(small_dir):
    return load_dataset(small_dir)


@pytest.fixture()
def extract_copy(small_dir, tmp_path):
    """A private, valid copy of the small extract that a test may corrupt."""
    dest = tmp_path / "extract"
    shutil.copytree(small_dir, dest)
    (dest / "truth.json").unlink()
    return dest


@pytest.fixture(scope="session")
def rendered_site(small_dir, tmp_path_factory):
    """One district report and the force-wide reports rendered from the small force, with PDF and
    screenshots when Chromium is present."""
    from foundation_eval.reporting.export import find_browser
    from foundation_eval.reporting.render import render

    out = tmp_path_factory.mktemp("site") / "site"
    browser = find_browser() is not None
    summary = render(small_dir, out, jobs=2, districts=["SOU"], progress=False, pdf=browser, screenshots=browser)
    assert summary.ok, summary.failed
    return out
