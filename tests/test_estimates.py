"""Headline estimates: reference values of the interval they use, and recovery of the generator's truth."""
from __future__ import annotations

import json

import pytest

from foundation_eval.data import synth
from foundation_eval.data.load import load_dataset
from foundation_eval.evaluation.estimates import headline_estimates, results_json
from foundation_eval.stats import newcombe_difference


@pytest.mark.parametrize("x1,n1,x2,n2,low,high", [
    # Newcombe (1998) Stat Med 17:873-890, Table II, method 10 (hybrid score)
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
])
def test_newcombe_difference_reference_values(x1, n1, x2, n2, low, high):
    d, lo, hi = newcombe_difference(x1, n1, x2, n2)
    assert d == pytest.approx(x1 / n1 - x2 / n2)
    assert lo == pytest.approx(low, abs=5e-5) and hi == pytest.approx(high, abs=5e-5)


@pytest.fixture(scope="module")
def full_force(tmp_path_factory):
    result = synth.generate("hiow", seed=20210101, truth_replicates=10)
    d = synth.write(result, tmp_path_factory.mktemp("full"))
    return load_dataset(d), result.truth["effects"]


def test_headline_estimates_cover_the_truth(full_force):
    ds, truth = full_force
    from foundation_eval.evaluation.registry import REGISTRY

    est = {e.name: e for e in headline_estimates(ds)}
    assert set(est) == {"engagement_rd_practitioner", "referral_start_rd_programme",
                        "reoffending_12m_rd_listed_vs_prelive", "reoffending_hr_listed_vs_prelive", "ppit_auc_12m",
                        "ppit_icc2_total"}
    for name, e in est.items():
        target = truth[REGISTRY[name].truth]
        assert e.ci_low < e.estimate < e.ci_high, name
        assert e.covers(target), (name, e, target)
        assert e.design
    # effects point the right way and are not trivially wide
    hr = est["reoffending_hr_listed_vs_prelive"]
    assert hr.ci_high - hr.ci_low < 0.35
    assert est["engagement_rd_practitioner"].ci_low > 0
    assert est["referral_start_rd_programme"].ci_low > 0


def test_results_json_is_deterministic_and_shaped(full_force):
    ds, _ = full_force
    a = results_json(headline_estimates(ds))
    b = results_json(headline_estimates(ds))
    assert a == b
    rec = json.loads(a)["estimates"][0]
    assert {"name", "estimate", "ci_low", "ci_high", "design", "sms_level"} <= set(rec)


def test_an_estimate_without_a_finite_value_is_unavailable_not_published(small_ds, monkeypatch):
    # a national programme whose practitioners joined at go-live has nobody listed by police alone:
    # the difference is NaN, and it is reported as unavailable rather than written to results.json
    import math

    from foundation_eval.evaluation import registry
    from foundation_eval.evaluation.estimates import Estimate

    monkeypatch.setattr(registry, "engagement_rd_practitioner",
                        lambda ds, frame, level: Estimate("engagement_rd_practitioner", math.nan, math.nan, math.nan,
                                                                     design="difference of proportions", sms_level=2))
    monkeypatch.setattr(registry, "estimands_for",
                        lambda prog: [registry.REGISTRY[n] for n in ("engagement_rd_practitioner", "ppit_icc2_total")])
    est, why = registry.fit_estimands(small_ds)
    assert [e.name for e in est] == ["ppit_icc2_total"]
    assert "no finite estimate" in why["engagement_rd_practitioner"]
