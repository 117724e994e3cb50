"""Maryland levels from one table, the verdict from the pre-specified primary, can/cannot statements,
value for money under every design, threats, and evaluations that finish on small or different programmes."""
from __future__ import annotations

import math
import tempfile
import warnings

import numpy as np
import pandas as pd
import pytest

from foundation_eval.config import EvaluationPlan, load_programme
from foundation_eval.evaluation.designs import Evaluation, comparison_districts
from foundation_eval.evaluation.value import round_count, round_money
from foundation_eval.evaluation.verdict import (
    FINDINGS,
    finding,
    loses_significance,
    ordinal,
    statements,
    verdict,
)
from foundation_eval.impact import (
    DESIGN_LEVELS,
    SMS_LEVELS,
    EvalEstimate,
    NotEstimable,
    level_table,
    maryland_level,
)

# --------------------------------------------------------------------------------------------------
# the level table
# --------------------------------------------------------------------------------------------------

DOCUMENTED = {  # design: (passed or no check, failed, not run) - the table in impact/maryland.py's docstring
    "randomised": (5, None, None), "staggered_did": (4, 3, 4), "cox_staggered": (3, None, None), "twfe": (3, None, None),
    "cohort_before_after": (2, None, None), "its": (2, None, None), "before_after": (2, None, None),
    "historical_comparison": (2, None, None), "rd": (4, 3, 4), "rd_risk_flag": (None, None, None),
    "matched": (3, 2, 3), "cross_section": (1, None, None), "self_selected": (1, None, None), "placebo": (None, None, None),
    "leave_one_out": (None, None, None), "randomisation_test": (None, None, None), "event_study": (None, None, None),
    "measurement": (None, None, None),
}


def test_every_design_and_diagnostic_maps_to_the_documented_level():
    assert set(DOCUMENTED) == set(DESIGN_LEVELS)
    t = level_table()
    for design, (ok, failed, not_run) in DOCUMENTED.items():
        rows = t[t.design == design].set_index("outcome").level
        if DESIGN_LEVELS[design].checks:
            got = [None if pd.isna(rows[k]) else rows[k] for k in ("passed", "failed", "not run")]
            assert got == [ok, failed, not_run], design
        else:
            got = rows["none"]
            assert (pd.isna(got) and ok is None) or got == ok, design
    # a failed check lowers by one and says so; a missing check is flagged and leaves the level
    m = maryland_level("rd_risk_flag", density_p=0.006)  # descriptive: no level, the failed check still shown
    assert m.level is None and "failed (p = 0.006)" in m.flags[1]
    m = maryland_level("rd", density_p=0.006)  # a failed design check lowers the level, at an age limit too
    assert m.level == 3 and m.lowered and "failed (p = 0.006)" in m.flags[0]
    m = maryland_level("cox_staggered")  # selection into listing: level 3, no borrowed pre-trend check
    assert m.level == 3 and "no pre-trend check of its own" in m.flags[0]
    m = maryland_level("staggered_did")
    assert m.level == 4 and "not run" in m.flags[0]
    assert "priority flag" in maryland_level("rd_risk_flag", density_p=0.5).identifies
    assert any("priority flag" in f for f in maryland_level("rd_risk_flag", density_p=0.5).flags)
    assert maryland_level("placebo").level is None and maryland_level("leave_one_out").level is None
    with pytest.raises(KeyError, match="unknown design"):
        maryland_level("matching")
    # one definition of each level, level 1 included
    assert set(SMS_LEVELS) == {1, 2, 3, 4, 5} and "one point in time" in SMS_LEVELS[1]


def test_same_estimator_same_level_on_every_outcome(ev):
    did = [ev.did, ev.did_engaged, ev.did_referral, ev.did_cs_simple]
    assert {d.design_key for d in did} == {"staggered_did"}
    # the DA outcome has a pre-trend check, the others are flagged as untested; none is lowered
    assert {d.sms_level for d in did} == {maryland_level("staggered_did", pre_trend_p=ev._pretrend_p).level}
    assert any("not run" in f for f in ev.did_engaged.level_flags)
    # the Cox model compares people selected into listing: its own family, level 3, no borrowed check
    assert ev.cox.sms_level == 3 and ev.cox.design_key == "cox_staggered"
    # checks carry no level; the sensitivity table shows none for them
    assert ev.placebo.sms_level is None and ev.placebo not in ev.estimates()
    s = ev.sensitivity
    checks = s[s.analysis.str.startswith(("Placebo", "Leaving one district out"))]
    assert len(checks) == 3 and checks.sms_level.isna().all()
    # the discontinuities take their level from the density check
    _, dens, est = ev.rd_ppit
    assert est.sms_level is None and maryland_level("rd_risk_flag", density_p=dens.p_value).level is None
    assert any("priority flag" in f for f in est.level_flags)


# --------------------------------------------------------------------------------------------------
# verdict
# --------------------------------------------------------------------------------------------------


def _est(name, est, lo, hi, level, key, scale="difference", p=0.5):
    return EvalEstimate(name=name, estimate=est, se=(hi - lo) / 3.92, ci_low=lo, ci_high=hi, level=0.95, p_value=p,
                        design=key, estimand="e", comparison="c", assumptions=("a",), sms_level=level, scale=scale,
                        design_key=key, display_scale=100.0 if scale == "difference" else 1.0,
                        display_unit="percentage points" if scale == "difference" else "hazard ratio")


def test_finding_is_direction_aware():
    assert finding(_est("a", -0.1, -0.2, -0.01, 2, "cohort_before_after")) == FINDINGS[0]
    assert finding(_est("a", 0.1, 0.01, 0.2, 2, "cohort_before_after")) == FINDINGS[2]
    assert finding(_est("a", 0.0, -0.1, 0.1, 2, "cohort_before_after")) == FINDINGS[1]
    assert finding(_est("hr", 0.8, 0.7, 0.95, 4, "cox_staggered", "ratio")) == FINDINGS[0]
    assert finding(_est("hr", 0.9, 0.7, 1.05, 4, "cox_staggered", "ratio")) == FINDINGS[1]
    assert finding(NotEstimable("x", "design", "too few periods")) == "not estimable"


def test_primary_with_no_effect_gives_no_clear_evidence_although_a_weaker_design_excludes_it():
    """The primary (level 4) includes no effect while the level-2 cohort comparison excludes it: the verdict is
    "no clear evidence either way", and the cohort result is listed after it as supporting, flagged when it
    loses significance under its own sensitivity analysis."""
    primary = _est("did_att_da_rate", 0.015, -0.041, 0.071, 4, "staggered_did")
    cohort = _est("reoffending_12m_rd_programme", -0.09, -0.16, -0.01, 2, "cohort_before_after", p=0.02)
    cox = _est("reoffending_hr_programme", 0.78, 0.63, 0.97, 4, "cox_staggered", "ratio", p=0.03)
    adjusted = _est("cohort_adj", -0.072, -0.153, 0.009, 2, "cohort_before_after")
    on_list = _est("cox_on_list", 0.92, 0.77, 1.10, 4, "cox_staggered", "ratio")
    v = verdict("did_att_da_rate", primary, {"reoffending_12m_rd_programme": cohort, "reoffending_hr_programme": cox},
                {"reoffending_12m_rd_programme": [("adjusted for lockdown and season", adjusted)],
                 "reoffending_hr_programme": [("exposed only while listed", on_list)]})
    assert v.finding == "no clear evidence either way" and v.sms_level == 4
    assert v.answer.startswith("no clear evidence either way (pre-specified primary analysis, Maryland level 4)")
    assert "yes" not in v.answer.lower()
    t = v.table()
    assert t.role.tolist()[0] == "primary" and t.name.tolist()[0] == "did_att_da_rate"
    sup = {s.name: s for s in v.supporting}
    assert sup["reoffending_12m_rd_programme"].finding == FINDINGS[0]
    assert sup["reoffending_12m_rd_programme"].loses_significance_under == ("adjusted for lockdown and season",)
    assert sup["reoffending_hr_programme"].loses_significance_under == ("exposed only while listed",)
    assert [s.name for s in v.supporting] == ["reoffending_hr_programme", "reoffending_12m_rd_programme"]  # by level
    assert v.estimate == pytest.approx(1.5) and v.ci_low == pytest.approx(-4.1)  # per 100 person-months
    assert loses_significance(primary, [("x", cohort)]) == ()


def test_not_estimable_primary_is_said_plainly():
    v = verdict("did_att_da_rate", NotEstimable("did_att_da_rate", "district comparison", "need at least two periods"),
                {})
    assert v.finding == "not estimable" and v.answer == "not estimable: need at least two periods"


def test_statements_give_the_interval_and_forbid_the_point_estimate():
    cohort = _est("reoffending_12m_rd_programme", -0.09, -0.16, -0.01, 2, "cohort_before_after")
    can, cannot = statements("reoffending_12m_rd_programme", cohort)
    assert can.kind == "can" and can.key == "cohort_less"
    assert can.values["low"] == pytest.approx(1.0) and can.values["high"] == pytest.approx(16.0)
    assert can.text() == ("You can say: later cohorts of listed people reoffended less than earlier cohorts in the same "
                          "districts, by 1.0 to 16 points within 12 months; this may reflect the programme or other "
                          "changes.")
    assert cannot.text() == "You cannot say: the programme cut reoffending by 9.0 points."
    hr = statements("h", _est("h", 0.78, 0.63, 0.97, 4, "cox_staggered", "ratio"))
    assert hr[1].values["pct"] == pytest.approx(22.0)
    flat = statements("d", _est("d", 0.015, -0.041, 0.071, 4, "staggered_did"))
    assert {s.key for s in flat if s.kind == "cannot"} == {"no_effect", "direction"}
    eng = statements("e", _est("e", -0.2, -0.3, -0.1, 1, "self_selected"))
    assert eng[1].text() == "You cannot say: engaging with the programme reduced reoffending."
    age = statements("r", _est("r", 0.0, -0.1, 0.1, 4, "rd"), age_limit=21)
    assert "22nd birthday" in age[0].text()
    # no statement holds a count: every value is an effect, a level, a window or a label
    for s in (*flat, *hr, can, cannot):
        assert not any(k in s.values for k in ("n", "count", "people"))
    assert statements("x", NotEstimable("x", "d", "r")) == ()


def test_ordinals():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st", "101st", "111th"]


# --------------------------------------------------------------------------------------------------
# the evaluation on the shared small force
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ev(small_ds):
    e = Evaluation(small_ds, n_perm=49)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e.sensitivity  # noqa: B018
    return e


def test_programme_file_names_the_primary(small_ds):
    plan = small_ds.programme.evaluation
    assert plan.primary == "did_att_da_rate" and plan.design == "staggered_did" and plan.harmful == "increase"
    assert plan.cost_placeholder and plan.price_base == "2024/25"
    ctl = load_programme("change-that-lasts").evaluation
    assert ctl.primary == "did_att_da_rate" and not ctl.cost_placeholder
    assert EvaluationPlan().deflate(100.0, "2016/17") == 100.0  # no deflator: nominal
    assert plan.deflate(100.0, plan.price_base) == pytest.approx(100.0)
    assert plan.deflate(100.0, "2016/17") > 100.0


def test_evaluation_verdict_statements_and_estimands(ev):
    v = ev.verdict
    assert v.primary == "did_att_da_rate" and v.finding in FINDINGS
    assert v.estimate == pytest.approx(100 * ev.did.estimate) and v.unit == "DA offences per 100 eligible person-months"
    assert v.population and v.comparison and v.window
    names = [s.name for s in v.supporting]
    assert "reoffending_12m_rd_programme" in names and "reoffending_hr_programme" in names
    assert {s.role for s in v.supporting if s.name == "naive_engaged_vs_not_12m"} == {"descriptive"}
    st = ev.statements()
    assert set(st) >= {"did_att_da_rate", "reoffending_12m_rd_programme", "reoffending_hr_programme"}
    assert all(any(s.kind == "cannot" for s in ss) for ss in st.values() if ss)
    for e in (ev.did, ev.cohort, ev.cox):
        f = e.estimand_fields()
        assert all(f.values()), e.name
    assert ev.cohort.display_unit == "percentage points" and ev.cox.display_unit == "hazard ratio"


def test_cox_degrees_of_freedom_are_tied_to_clusters_or_waves(ev, small_ds):
    from scipy import stats

    from foundation_eval.evaluation.designs import cox_frame, cox_listed_live

    G = small_ds.screening.district_id.nunique()
    assert f"Student-t with {G - 1} df (districts - 1)" in ev.cox.interval_method
    b = math.log(ev.cox.estimate)
    assert ev.cox.ci_high == pytest.approx(math.exp(b + stats.t.ppf(0.975, G - 1) * ev.cox.se))
    waves = len({d.go_live for d in small_ds.programme.districts})
    w = cox_listed_live(small_ds, frame=cox_frame(small_ds), df="waves")
    assert f"Student-t with {waves - 1} df (go-live waves" in w.interval_method
    assert w.estimate == pytest.approx(ev.cox.estimate) and w.ci_high > ev.cox.ci_high


def test_cox_panel_collapsed_fits_as_the_person_months(small_ds):
    # the headline fit reads the collapsed panel; the person-month panel gives the same answer
    from foundation_eval.evaluation.designs import cox_frame, cox_listed_live

    full = cox_frame(small_ds)
    short = cox_frame(small_ds, collapse=True)
    assert short.n.sum() == len(full) and len(short) < len(full)
    assert short.people.sum() == full.person_id.nunique()
    assert short.people_outside_lockdown.sum() == full[full.lockdown == 0].person_id.nunique()
    assert short.event.sum() == full.event.sum() and (short.n[short.event == 1] == 1).all()
    for exclude in (False, True):
        a = cox_listed_live(small_ds, frame=full, exclude_lockdown=exclude)
        b = cox_listed_live(small_ds, exclude_lockdown=exclude)
        assert b.estimate == pytest.approx(a.estimate, rel=1e-7)
        assert (b.ci_low, b.ci_high) == pytest.approx((a.ci_low, a.ci_high), rel=1e-7)
        assert b.n == a.n and b.diagnostics == a.diagnostics


def test_event_study_marks_points_with_few_comparison_districts(ev):
    es = ev.event_study
    assert {"n_comparison", "few_comparisons"} <= set(es.columns)
    assert (es.few_comparisons == (es.n_comparison < ev.plan.min_comparison_districts)).all()
    # late event times rest on the last waves alone: fewer comparisons than early ones
    assert es.n_comparison.iloc[-1] < es.n_comparison.max()
    panel = pd.DataFrame({"district_id": list("AABBCC"), "t": [1, 2] * 3, "first_treated": [1, 1, 2, 2, 0, 0]})
    n = comparison_districts(panel, [0, 1])
    assert n[0] == 2 and n[1] == 1  # e=0: B (not yet) and C; e=1 (t=2): only C for A, and nothing past t=2 for B


def test_value_for_money_under_every_design(ev):
    val = ev.value
    t = val.table()
    assert t.name.tolist()[0] == "did_att_da_rate" and t.role.tolist()[0] == "primary"
    assert set(t.name) == {"did_att_da_rate", "reoffending_12m_rd_programme", "cox_implied_rd_12m"}
    for col in ("social_value", "social_value_low", "social_value_high"):
        assert all(v == round_money(v) for v in t[col])
    for col in ("victims_spared", "victims_low", "victims_high"):
        assert all(v == round_count(v) for v in t[col])
    # the cost is a placeholder in the shipped programme: no benefit-cost ratio is published, no cost is a finding
    assert val.cost_placeholder and t.bcr.isna().all()
    assert not val.findings().item.str.contains("Programme cost|Cost per|Break-even").any()
    # one price base and the engaged count used everywhere else (within the engagement window)
    assert val.price_base == "2024/25" and val.unit_cost_per_victim == pytest.approx(
        ev.plan.deflate(34015.0, "2016/17"))
    cohort = next(d for d in val.designs if d.name == "reoffending_12m_rd_programme")
    assert cohort.victims_spared[0] == pytest.approx(-ev.cohort.estimate * val.n_listed)
    # discounted to the year the primary's estimand starts, by the year of each listing
    undiscounted = abs(cohort.victims_spared[0] * val.unit_cost_per_victim)
    assert 0.8 * undiscounted <= abs(cohort.social_value[0]) <= 1.2 * undiscounted
    assert val.break_even_victims == pytest.approx(val.primary.cost / val.unit_cost_per_victim)
    assert val.mde_victims > 0
    costs = val.costs_table()
    assert costs.loc[costs.item.str.startswith("People engaged"), "n"].iloc[0] == val.n_engaged


def test_rounding_to_what_the_data_support():
    assert round_money(4_203_415) == 4_200_000 and round_money(647_680) == 650_000
    assert round_money(1342.7) == 1300 and round_money(-7_759_150) == -7_800_000
    assert math.isnan(round_money(float("nan")))
    assert round_count(78.6) == 79 and round_count(1234) == 1200


def test_threats(ev):
    th = ev.threats
    assert [t.key for t in th.items] == ["lockdown", "spillover", "multiplicity", "regression_to_mean"]
    lock = th["lockdown"]
    assert lock.kind == "analysis" and lock.values["months"] >= 3 and "low" in lock.values
    spill = th["spillover"]
    assert spill.kind == "analysis" and spill.values["dropped"] > 0 and np.isfinite(spill.values["estimate"])
    assert spill.values["primary_estimate"] == pytest.approx(100 * ev.did.estimate)
    # the analysis by hand: no comparison district-quarter left with a live neighbour
    from foundation_eval.evaluation.threats import spillover_did

    same = {"min_comparisons": ev.plan.min_comparison_districts, "weights": "eligible"}  # the primary's settings
    res, dropped = spillover_did(ev.panel, ev.plan.neighbours_of, **same)
    assert dropped == spill.values["dropped"] and res.n_untreated < ev.did.n_untreated
    nothing, none_dropped = spillover_did(ev.panel, lambda d: (), **same)
    assert none_dropped == 0 and nothing.estimate == pytest.approx(ev.did.estimate)
    assert load_programme("change-that-lasts").evaluation.neighbours == ()
    mult = th["multiplicity"]
    assert mult.values["n_results"] >= 10 and "pre-specified" in mult.text()
    rtm = th["regression_to_mean"]
    assert rtm.kind == "analysis" and rtm.values["before"] > rtm.values["after"]  # offending falls after listing
    assert len(th.table()) == 4


def test_synthetic_sentences_only_for_illustrative_programmes(ev, small_ds):
    assert ev.synthetic_notes() and small_ds.programme.illustrative
    from dataclasses import replace

    real = Evaluation(replace(small_ds, programme=replace(small_ds.programme, illustrative=False)))
    assert real.synthetic_notes() == ()


# --------------------------------------------------------------------------------------------------
# small and different programmes
# --------------------------------------------------------------------------------------------------


def _evaluate(programme: str, scale: float, seed: int = 3) -> Evaluation:
    from foundation_eval.data import synth
    from foundation_eval.data.load import load_dataset

    res = synth.generate(programme, seed=seed, scale=scale, truth_replicates=1)
    with tempfile.TemporaryDirectory() as d:
        synth.write(res, d)
        ds = load_dataset(d, programme=programme)
    return Evaluation(ds, n_perm=19)


def _complete(ev: Evaluation):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = {"estimates": ev.estimates(), "missing": ev.not_estimable(), "sens": ev.sensitivity,
               "verdict": ev.verdict, "statements": ev.statements(), "value": ev.value, "threats": ev.threats,
               "headline": ev.headline()}
    return out


def test_tenth_size_force_completes_with_reasons_instead_of_exceptions():
    out = _complete(_evaluate("hiow", 0.1))
    missing = {m.name: m for m in out["missing"]}
    assert missing, "a tenth-size force cannot support every design"
    for m in missing.values():
        assert m.reason and m.sentence().endswith(".") and "not estimable because" in m.sentence()
    assert out["verdict"].finding in (*FINDINGS, "not estimable")
    assert out["sens"].note.str.startswith("not estimable").any()
    assert len(out["value"].table()) >= 1 and len(out["threats"].items) == 4


def test_change_that_lasts_completes_without_age_band_or_risk_tool():
    out = _complete(_evaluate("change-that-lasts", 0.3))
    missing = {m.name: m.reason for m in out["missing"]}
    # designs the programme does not have are not listed as failures of the data
    assert "rd_age" not in missing and "rd_ppit" not in missing
    assert [h["name"] for h in out["headline"]] == ["did_att_da_rate", "reoffending_12m_rd_programme",
                                                   "reoffending_hr_programme"]
    assert out["verdict"].finding in FINDINGS
    assert out["threats"]["spillover"].kind == "limitation"  # no neighbour table in this programme file
    val = out["value"]
    assert not val.cost_placeholder and np.isfinite(val.table().bcr).all()  # real grant figures: ratios published
    assert val.cost_total > 1_370_000  # the grant, restated in 2024/25 prices


def test_not_estimable_result():
    n = NotEstimable("did", "staggered difference-in-differences", "need at least two periods")
    assert not n.estimable and n.sentence() == ("Staggered difference-in-differences: not estimable because need at "
                                                "least two periods.")
    assert n.table().estimable.tolist() == [False]


def test_imputation_estimator_lives_in_the_impact_layer():
    import ast
    from pathlib import Path

    import foundation_eval.impact as impact
    from foundation_eval.evaluation import designs

    assert designs.imputation_did is impact.imputation_did and designs.ImputationResult is impact.ImputationResult
    for f in Path(impact.__file__).parent.glob("*.py"):
        mods = [n.module for n in ast.walk(ast.parse(f.read_text())) if isinstance(n, ast.ImportFrom) and n.module]
        assert not [m for m in mods if m.startswith(("foundation_eval.evaluation", "foundation_eval.reporting"))], f
