"""Results do not depend on how people were pseudonymised.

The same extract prepared with another key gives every person, victim, offence and contact a different
pseudonym (and so another order in every table sorted by identifier). Every published number must be
the same: the registered estimates in results.json, the evaluation's designs, the district and force
figures (their harm bootstrap included) and the risk-tool study.
"""
from __future__ import annotations

import math
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from foundation_eval.data.load import load_dataset
from foundation_eval.evaluation.snapshot import build_snapshot

IDENTIFIERS = ("person_id", "victim_id", "offence_id", "contact_id", "referral_id", "rmp_id", "assessment_id",
               "assessor_id")


def _rekey(src, dest, seed: int = 99):
    """A copy of the extract with every identifier replaced by another pseudonym of the same form."""
    shutil.copytree(src, dest)
    (dest / "truth.json").unlink(missing_ok=True)
    rng = np.random.default_rng(seed)
    maps: dict[str, dict] = {}
    for f in sorted(dest.glob("*.csv")):
        t = pd.read_csv(f, dtype=str, keep_default_na=False)
        for col in IDENTIFIERS:
            if col not in t:
                continue
            key = "person_id" if col == "person_id" else col
            m = maps.setdefault(key, {})
            for v in pd.unique(t[col]):
                if v and v not in m:
                    m[v] = v[0] + "".join(rng.choice(list("0123456789ABCDEF"), 16))
            t[col] = t[col].map(lambda v, m=m: m.get(v, v))
        t.to_csv(f, index=False)
    return dest


@pytest.fixture(scope="module")
def two_keys(small_dir, tmp_path_factory):
    other = _rekey(small_dir, tmp_path_factory.mktemp("rekeyed") / "extract")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_snapshot(load_dataset(small_dir)), build_snapshot(load_dataset(other))


def _same(a, b, what):
    if isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), what
    else:
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), what


def test_registered_estimates_do_not_depend_on_the_key(two_keys):
    a, b = (s.results() for s in two_keys)
    assert a == b


def test_every_design_of_the_evaluation_does_not_depend_on_the_key(two_keys):
    ea, eb = (s.study("evaluation") for s in two_keys)
    for x, y in zip(ea.estimates(), eb.estimates(), strict=True):
        assert x.name == y.name
        for f in ("estimate", "ci_low", "ci_high"):
            _same(float(getattr(x, f)), float(getattr(y, f)), f"{x.name}.{f}")
    _same(ea.matched_estimate.estimate, eb.matched_estimate.estimate, "matched comparison")
    assert ea.value.table().equals(eb.value.table())


def test_district_and_force_figures_do_not_depend_on_the_key(two_keys):
    aa, ab = (s.study("areas") for s in two_keys)
    ra, rb = aa.force.rates, ab.force.rates
    for f in ("harm", "harm_low", "harm_high", "rate", "ci_low", "ci_high"):
        _same(float(getattr(ra, f)), float(getattr(rb, f)), f"force {f}")
    for d in ("SOU", "POR"):
        xa, xb = aa.area(d).rates, ab.area(d).rates
        for f in ("harm_low", "harm_high"):
            _same(float(getattr(xa, f)), float(getattr(xb, f)), f"{d} {f}")


def test_the_risk_tool_study_does_not_depend_on_the_key(two_keys):
    pa, pb = (s.study("ppit") for s in two_keys)
    assert pa.table().equals(pb.table())
