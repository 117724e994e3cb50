"""The PPIT validity study fitted once: registered in the snapshot, equal to the library's estimators on its
sample (whose reference values are tested in the ppit test modules), its pooled-score lookups equal to refitting
on those pools, and invariant to the pseudonyms of the people in the extract."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from foundation_eval.data import synth
from foundation_eval.data.load import Dataset, load_dataset
from foundation_eval.evaluation.estimates import ppit_auc_12m, ppit_icc2_total
from foundation_eval.evaluation.snapshot import STUDIES, build_snapshot
from foundation_eval.ppit import calibration_table, decision_curve, omega, threshold_table
from foundation_eval.ppit.study import DECISION_THRESHOLDS, PpitStudy, fit_ppit_study, ppit_study
from foundation_eval.ppit.validity import band_index, band_means, score_risk_model, validation_frame


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The default programme at a tenth of its size, and its snapshot."""
    folder = synth.write(synth.generate("hiow", seed=1, scale=0.1), tmp_path_factory.mktemp("ppit-study"))
    ds = load_dataset(folder)
    return ds, build_snapshot(ds)


@pytest.fixture(scope="module")
def binary(small):
    f = validation_frame(small[0])
    b = f[f.window_observed].reset_index(drop=True)
    return b.ppit_total.astype(float).to_numpy(), b.outcome.astype(int).to_numpy()


def test_the_snapshot_fits_the_registered_study_once(small):
    ds, snap = small
    assert STUDIES["ppit"] == "foundation_eval.ppit.study:fit_ppit_study"
    study = snap.studies["ppit"]
    assert isinstance(study, PpitStudy) and snap.study("ppit") is study
    assert study.registered and study.estimable and study.n_boot == 200
    assert all(k.startswith("equity: ") for k in study.unavailable)  # a characteristic with no group large enough
    assert ppit_study(snap) is study and ppit_study(snap, min_followup_months=12, harm_threshold=0) is study
    # the registered estimands are the study's values on the same samples
    assert study.auc == pytest.approx(ppit_auc_12m(ds).estimate, abs=1e-12)
    assert study.discrimination.at["ppit_total", "ci_low"] == pytest.approx(ppit_auc_12m(ds).ci_low, abs=1e-12)
    icc2 = ppit_icc2_total(ds)
    assert study.icc.loc["ICC2", "icc"] == pytest.approx(icc2.estimate, abs=1e-12)
    assert study.n_double_scored == icc2.n and study.n_observed == ppit_auc_12m(ds).n
    c = study.counts
    assert c.with_outcome + c.without_outcome == c.observed and c.observed + c.left_out == c.scored
    assert c.development + c.validation == c.observed
    # no identifier is kept
    frames = [v for v in vars(study).values() if isinstance(v, pd.DataFrame)]
    assert not any(col in f.columns for f in frames for col in ("person_id", "assessor_id", "assessor_first"))


def test_a_variant_is_another_quantity(small):
    snap = small[1]
    v = ppit_study(snap, outcome="violent_da", n_boot=0)
    assert v is not snap.study("ppit") and not v.registered and v.outcome.key == "violent_da"
    assert v.settings["violent_severity"] == 4 and v.n_events < snap.study("ppit").n_events
    assert fit_ppit_study(snap, window_months=6, n_boot=0).matches(window_months=6, n_boot=0)
    with pytest.raises(ValueError, match="outcome must be one of"):
        fit_ppit_study(snap, outcome="anything")


def test_pooled_lookups_equal_refitting_on_the_pools(small, binary):
    """Calibration, cut-offs and the decision curve read from the study for pooled bands equal the library's
    estimators (Wilson 1927, Vickers & Elkin 2006; reference values in their own tests) run on those bands."""
    study = small[1].study("ppit")
    x, y = binary
    edges = [0, 4, 9, 12, 15]
    top = x.max() + 1
    got = study.calibration_at([*edges, top])
    ref = calibration_table(x, y, bins=[*edges, top]).table()
    for a, b in (("n", "n"), ("events", "events"), ("observed", "observed"), ("ci_low", "ci_low"),
                 ("ci_high", "ci_high"), ("mean_score", "mean_predicted")):
        np.testing.assert_allclose(got[a].to_numpy(float), ref[b].to_numpy(float), rtol=1e-12, err_msg=a)
    model = score_risk_model(x, y)
    np.testing.assert_allclose(got.mean_risk, band_means(model.predicted, x, edges), rtol=1e-9)
    cut = study.cutoffs_at("ppit_total", [*edges, 12.5, 99])
    tt = threshold_table(x, y, thresholds=[*edges, 12.5, 99]).table()
    for col in ("flagged", "tp", "fp", "fn", "tn", "sensitivity", "specificity", "ppv", "sensitivity_ci_low",
                "specificity_ci_high", "ppv_ci_low", "npv_ci_high", "share_flagged_ci_low"):
        np.testing.assert_allclose(cut[col].to_numpy(float), tt[col].to_numpy(float), rtol=1e-12, err_msg=col)
    dc = study.decision_curve_at(edges)
    means = band_means(model.predicted, x, edges)
    ref = decision_curve(means[band_index(x, edges)], y, thresholds=DECISION_THRESHOLDS).table()
    for col in ("threshold", "net_benefit", "treat_all", "treat_none", "interventions_avoided_per_100"):
        np.testing.assert_allclose(dc[col].to_numpy(float), ref[col].to_numpy(float), rtol=1e-9, atol=1e-12,
                                   err_msg=col)
    # the cut-off flagged at each threshold risk is a band edge, and the net benefit is that of flagging from it
    assert set(dc.cutoff[np.isfinite(dc.cutoff)]) <= set(map(float, edges))
    at = study.cutoffs_at("ppit_total", dc.cutoff[np.isfinite(dc.cutoff)]).set_index("threshold")
    for r in dc[np.isfinite(dc.cutoff)].itertuples():
        odds = r.threshold / (1 - r.threshold)
        assert r.net_benefit == pytest.approx((at.tp[r.cutoff] - at.fp[r.cutoff] * odds) / x.size, abs=1e-12)
    with pytest.raises(ValueError, match="outside the edges"):
        study.calibration_at([2, 10])


def _rekeyed(ds: Dataset, seed: int) -> Dataset:
    """The same extract with every person's pseudonym replaced by another person's (a permutation)."""
    ids = ds.people.person_id.to_numpy()
    new = dict(zip(ids, np.random.default_rng(seed).permutation(ids), strict=True))
    tables = {}
    for name in ds.tables:
        t = ds.tables[name]
        tables[name] = t.assign(person_id=t.person_id.map(new)) if "person_id" in t.columns else t
    return Dataset(programme=ds.programme, tables=tables, source=ds.source, data_hash=ds.data_hash)


def _same(a, b, path="") -> list[str]:
    """Paths at which two results differ (exact comparison; NaN equals NaN)."""
    if isinstance(a, pd.DataFrame | pd.Series):
        return [] if a.equals(b) else [path]
    if isinstance(a, np.ndarray):
        return [] if np.array_equal(a, b, equal_nan=a.dtype.kind == "f") else [path]
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return [p for f in dataclasses.fields(a) for p in _same(getattr(a, f.name), getattr(b, f.name),
                                                                  f"{path}.{f.name}")]
    if isinstance(a, dict):
        if set(a) != set(b):
            return [path]
        return [p for k in a for p in _same(a[k], b[k], f"{path}[{k!r}]")]
    if isinstance(a, float) and np.isnan(a):
        return [] if isinstance(b, float) and np.isnan(b) else [path]
    return [] if a == b else [path]


def test_results_are_invariant_to_pseudonyms(small):
    """Re-keying the person ids (another permutation of the pseudonyms) gives identical results, bootstrap
    intervals included."""
    ds = dataclasses.replace(small[0], reduced=None)
    before = fit_ppit_study(ds)
    after = fit_ppit_study(_rekeyed(ds, seed=5))
    assert after.omega.ci_low == before.omega.ci_low and after.omega.ci_high == before.omega.ci_high
    assert before.td_auc.ci_low.notna().all() and after.td_auc.equals(before.td_auc)
    assert _same(before, after) == []
    # the test has teeth: the same bootstrap over people in another order gives another interval
    f = validation_frame(ds)
    items = list(ds.programme.ppit_item_ids)
    shuffled = f[items].astype(float).sample(frac=1, random_state=1).reset_index(drop=True)
    other = omega(shuffled, n_boot=200, seed=before.seed + 1)
    assert (other.ci_low, other.ci_high) != (before.omega.ci_low, before.omega.ci_high)
    assert other.omega == pytest.approx(before.omega.omega, abs=1e-9)  # the point estimate does not care


def test_table_and_plot(small):
    import matplotlib

    matplotlib.use("Agg")
    study = small[1].study("ppit")
    t = study.table().set_index("measure")
    assert t.loc["AUC: PPIT total", "estimate"] == study.auc
    assert {"ICC(2,1) of the total", "McDonald's omega", "AUC at 12 months"} <= set(t.index)
    assert (t.ci_low.dropna() <= t.estimate[t.ci_low.notna()]).all()
    ax = study.plot()
    assert len(ax.get_lines()) == 4
    roc = study.roc[study.roc.predictor == "ppit_total"]
    assert (roc.fpr.iloc[0], roc.tpr.iloc[0], roc.fpr.iloc[-1], roc.tpr.iloc[-1]) == (0, 0, 1, 1)
    # trapezoidal area under the empirical ROC curve through every cut-off is the AUC (ties count a half)
    assert np.trapezoid(roc.tpr, roc.fpr) == pytest.approx(study.auc, abs=1e-12)
