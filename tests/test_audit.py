"""The intruder audit: each leak of a published page planted on a small hand-made page, caught, and the
gated page passed; the linear programme against the textbook feasibility interval; the gates.

The leaks are the ones an intruder reading a default render found: Kaplan-Meier steps of one person
and of 1 in 19, a sentence stating a count its table withholds, percentages from exact counts beside
rounded counts, a rate times its person-years, and the same people counted in two tables.
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from foundation_eval.models.reoffending import kaplan_meier
from foundation_eval.reporting.audit import Facts, Ledger, audit, read_facts
from foundation_eval.reporting.disclosure import (
    Rule,
    chart_counts,
    curve_steps,
    hidden_mask,
    raw_curve,
    withheld_rows,
)
from foundation_eval.reporting.publication import Page, facts_path
from foundation_eval.stats import poisson_rate_interval, wilson_interval


def _page(threshold=10, base=5, title="Area"):
    prog = SimpleNamespace(disclosure_threshold=threshold, disclosure_rounding=base, name="Test programme", id="test",
                           illustrative=True, currency="GBP", districts=(), force="Force")
    snap = SimpleNamespace(programme=prog, dataset=SimpleNamespace(data_hash="abc"), unavailable={},
                           estimate=lambda name: None)
    return Page(snap, title, kind="District report")


def _verdicts(result) -> dict:
    return {r.cell: r.verdict for r in result.table().itertuples()}


# ------------------------------------------------------------------ the linear programme
def test_feasibility_interval_of_the_textbook_table():
    """Hundepool et al. (2012, Statistical Disclosure Control, section 4.2.3, example 3), from Geurts (1992,
    Table 10): rows 7, 3 and the published row (3, 3); columns 9 and 7. By linear programming the suppressed
    cell (1,1) lies in [3, 6]; the other three follow from the margins: x12 in [1, 4], x21 and x22 in [0, 3]."""
    f = Facts("Geurts (1992) table 10", threshold=1, base=1)
    for cell in ("x11", "x12", "x21", "x22"):
        f.count(cell, audit="withheld", cell=cell)
    f.relate({"x11": 1, "x12": 1}, 7, 7)
    f.relate({"x21": 1, "x22": 1}, 3, 3)
    f.relate({"x11": 1, "x21": 1}, 9 - 3, 9 - 3)
    f.relate({"x12": 1, "x22": 1}, 7 - 3, 7 - 3)
    t = audit(f).table().set_index("cell")
    assert t.loc["x11", ["low", "high"]].tolist() == [3, 6]
    assert t.loc["x12", ["low", "high"]].tolist() == [1, 4]
    assert t.loc["x21", ["low", "high"]].tolist() == [0, 3]
    assert t.loc["x22", ["low", "high"]].tolist() == [0, 3]
    assert audit(f, integer=False).table().low.tolist() == t.low.tolist()


def test_a_single_suppression_in_a_row_is_recovered_exactly():
    """A row total published beside one suppressed cell gives it back (the case secondary suppression exists for)."""
    f = Facts("Area", threshold=10, base=1)
    f.count("a", lo=40, hi=40)
    f.count("b", lo=1, hi=9, audit="withheld", primary=True, cell="b")
    f.count("total", lo=44, hi=44)
    f.relate({"a": 1, "b": 1, "total": -1}, 0, 0)
    r = audit(f)
    assert not r.passed and r.failures.verdict.tolist() == ["exact"] and r.failures.low.tolist() == [4]


def test_integer_programme_finds_what_the_relaxation_misses():
    """A step of 2 events read as 10.0% to within 0.05 points: the relaxation allows any people at risk from
    19.9 to 20.1 per 2 events, integers only 20 (with at most 24 at risk, as 20 published)."""
    f = Facts("Area", threshold=10, base=5)
    f.count("n", lo=18, hi=22, audit="rounded", cell="n")
    f.count("d", lo=1, hi=None)
    f.ratio("d", "n", 0.0995, 0.1005)
    assert audit(f).table().set_index("cell").loc["n", "verdict"] == "exact"


def test_facts_round_trip_through_json(tmp_path):
    f = Facts("Area", threshold=10, base=5)
    f.count("x", lo=73, hi=77, audit="rounded", published=75, table="t", cell="x")
    f.amount("e", lo=605, hi=615, published=610)
    f.relate({"x": 1, "e": -0.2}, hi=0)
    back = read_facts(f.write(tmp_path / "p.facts.json"))
    assert back.to_dict() == f.to_dict()
    assert audit(back).table().equals(audit(f).table())


def test_bad_facts_are_refused():
    f = Facts("Area")
    f.count("x", lo=0)
    f.relate({"x": 1, "ghost": 1}, 0, 0)
    with pytest.raises(ValueError, match="never recorded"):
        audit(f)
    with pytest.raises(ValueError, match="audit must be"):
        Facts().count("y", audit="hidden")


# ------------------------------------------------------------------ the rule's own constraints
@pytest.mark.parametrize("base", [1, 2, 3, 4, 5, 10])
def test_rounded_interval_is_exactly_the_counts_that_publish_as_the_value(base):
    """Rule.interval must hold every exact count that publishes as v and no other: the audit's constraint
    for a rounded count is only as good as this."""
    rule = Rule(10, base)
    by_value: dict = {}
    for n in range(0, 500):
        v = rule.publish(n)
        if v is not None:
            by_value.setdefault(v, []).append(n)
    for v, ns in by_value.items():
        if v > 450:
            continue  # counts beyond the range enumerated round to these too
        lo, hi = rule.interval(v)
        assert (lo, hi) == (min(ns), max(ns)) and ns == list(range(lo, hi + 1)), (v, ns)


def test_share_and_rate_are_worked_out_from_published_counts():
    rule = Rule(10, 5)
    s = rule.share(28, 77)
    assert (s["k"], s["n"]) == (30, 75) and s["pct"] == pytest.approx(40.0)
    lo, hi = wilson_interval(30, 75)
    assert (s["low"], s["high"]) == pytest.approx((100 * lo, 100 * hi))
    assert rule.share(5, 77)["pct"] is None and rule.share(70, 77)["pct"] is None
    r = rule.rate(77, 612.3)
    assert (r["k"], r["exposure"]) == (75, 610.0)
    rate, lo, hi = poisson_rate_interval(75, 610.0)
    assert (r["rate"], r["low"], r["high"]) == pytest.approx((rate, lo, hi))
    assert rule.rate(4, 612.3)["rate"] is None and rule.exposure(612.3) == 610.0


def test_hidden_mask_and_withheld_rows():
    assert hidden_mask([0, 1, 9, 10, np.nan], 10).tolist() == [False, True, True, False, False]
    f = pd.DataFrame({"events": [3, 40, 25, 68], "non_events": [30, 50, 12, 92]})
    assert withheld_rows(f, ["events", "non_events"], 10, exclude=[False, False, False, True]).tolist() == [
        True, False, True, False]


def test_chart_counts_round_and_withhold():
    c = chart_counts([76, 4, 0, 12], Rule(10, 5))
    assert np.array_equal(c.published, [75, np.nan, 0, 10], equal_nan=True)
    assert c.withheld.tolist() == [False, True, False, False]
    with pytest.raises(ValueError, match="labels"):
        chart_counts([1, 2], Rule(), labels=["a"])


# ------------------------------------------------------------------ the curve gate
FREIREICH_T = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
FREIREICH_E = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]


def test_raw_curve_is_the_kaplan_meier_estimate():
    """Freireich (1963) 6-MP group: S(10) = 0.753 (Klein and Moeschberger 2003, Table 4.1A); the raw curve's
    steps and log(-log) band equal the library's Kaplan-Meier."""
    km = kaplan_meier(FREIREICH_T, FREIREICH_E)
    steps = raw_curve(km.table())
    at10 = steps.table[steps.table.time <= 10].estimate.iloc[-1]
    assert 1 - at10 == pytest.approx(0.753, abs=5e-4)
    t = km.table()
    ev = t[t.events > 0]
    assert np.allclose(1 - steps.table.estimate, ev.survival)
    assert np.allclose(1 - steps.table.high, ev.ci_low) and np.allclose(1 - steps.table.low, ev.ci_high)


def test_gated_steps_hold_enough_people_and_come_from_published_counts():
    rng = np.random.default_rng(7)
    n = 400
    time = rng.exponential(100, n)
    censor = rng.uniform(0, 300, n)
    km = kaplan_meier(np.minimum(time, censor), (time <= censor).astype(int)).table()
    rule = Rule(10, 5)
    steps = curve_steps(km, rule)
    ex, pub = steps.exact, steps.table
    assert steps.drawn and (ex.events >= 10).all() and (ex.at_risk >= 10).all() and (ex.at_risk - ex.events >= 10).all()
    assert pub.at_risk.tolist() == [rule.publish(v) for v in ex.at_risk]
    assert pub.events.tolist() == [rule.publish(v) for v in ex.events]
    life_table = 1 - np.cumprod(1 - pub.events / pub.at_risk)
    assert np.allclose(pub.estimate, life_table)
    # recovery: the gated curve follows the true cumulative incidence 1 - exp(-t / 100)
    truth = 1 - np.exp(-pub.time / 100)
    assert np.max(np.abs(pub.estimate - truth)) < 0.08
    assert ((pub.low <= truth + 0.02) & (truth - 0.02 <= pub.high)).mean() > 0.9


def test_gated_steps_with_few_censored_between_them_do_not_pin_each_other():
    """With no one censored between steps, rounded steps such as 375 at risk and 20 events, then 360 at
    risk, leave no room for n' <= n - d except at the ends of their intervals, and a chain of them gives
    every count away (the 300-district force: 'exact' steps on 11 district pages). The gate merges such a
    step into the next, and an intruder holding the curve learns nothing finer than each rounded count."""
    rule = Rule(10, 5)
    chain = pd.DataFrame({"time": [1, 2, 3, 4, 5], "at_risk": [377, 359, 341, 323, 305], "events": [18] * 5})
    steps = curve_steps(chain, rule)
    assert steps.exact.events.tolist() == [36, 36, 18] and steps.exact.at_risk.tolist() == [377, 341, 305]
    rng = np.random.default_rng(11)
    for trial in range(40):
        n = int(rng.integers(60, 600))
        time = rng.integers(1, 40, n).astype(float)
        censor = np.where(rng.random(n) < rng.uniform(0, 0.3), rng.integers(1, 40, n), 99).astype(float)
        km = kaplan_meier(np.minimum(time, censor), (time <= censor).astype(int)).table()
        ledger = Ledger(rule, "Curve")
        ledger.curve(curve_steps(km, rule), "figure")
        res = audit(ledger.facts())
        t = res.table()
        allowed = [rule.interval(v)[1] - rule.interval(v)[0] + 1 for v in t.published]
        assert res.passed and (t.candidates == allowed).all(), (trial, t[t.candidates != allowed])


def test_curve_gate_refuses_bad_tables():
    with pytest.raises(ValueError, match="columns"):
        curve_steps(pd.DataFrame({"time": [1]}), Rule())
    with pytest.raises(ValueError, match="between 0"):
        curve_steps(pd.DataFrame({"time": [1], "at_risk": [3], "events": [4]}), Rule())


# ------------------------------------------------------------------ (a) Kaplan-Meier steps by team
def _engagement_page():
    """Police alone: 10 people, one engaged on day 22 (Gosport). With practitioners: 19 people engaging one a
    day from day 5, 6 by day 90, so a staircase of steps of 1 in 19 up to 31.6% (East Hampshire)."""
    page = _page()
    police = pd.DataFrame({"days": [22] + [400] * 9, "event": [1] + [0] * 9})
    prac = pd.DataFrame({"days": [5, 9, 14, 30, 41, 77] + [400] * 13, "event": [1] * 6 + [0] * 13})
    frame = pd.DataFrame({"team": ["police alone", "with practitioners"], "people": [10, 19],
                          "engaged": [1, 6]})
    page.table("engagement_by_team", frame, title="Engaged within 90 days, by team", counts=["people", "engaged"],
               additive=False)
    kms = {team: kaplan_meier(g.days, g.event, label=team).table() for team, g in
           (("police alone", police), ("with practitioners", prac))}
    return page, kms


def test_planted_kaplan_meier_steps_give_withheld_counts_away():
    page, kms = _engagement_page()
    for team, km in kms.items():
        curve = raw_curve(km, label=team)
        page.ledger.curve(curve, "Time to first engagement by team", links={
            ("events", 90): page._resolve(page.cell("engagement_by_team", "engaged", team=team))[0]})
    result = page.audit()
    t = result.table().set_index("cell")
    assert not result.passed
    # one person on one day, and 6 of 19 read off the staircase
    assert t.loc["police alone: engaged", ["low", "high", "verdict"]].tolist() == [1, 1, "exact"]
    assert t.loc["with practitioners: engaged", ["low", "high", "verdict"]].tolist() == [6, 6, "exact"]
    # the group's size is only bounded below by the 19 at risk at the first step (someone could have left first)
    assert t.loc["with practitioners: people", ["low", "high"]].tolist() == [19, 22]


def test_gated_kaplan_meier_curves_pass():
    page, kms = _engagement_page()
    steps = [curve_steps(km, page.rule, label=team) for team, km in kms.items()]
    assert not any(s.drawn for s in steps)  # neither team has ten events among ten people left
    page.figure(_axes(), "No step", data=steps)
    assert page.audit().passed
    with pytest.raises(ValueError, match="not gated"):
        page.figure(_axes(), "Raw", data=[raw_curve(kms["police alone"])])


def _axes():
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(2, 2))[1]


def test_gated_curve_of_a_larger_group_passes_and_its_steps_are_audited():
    rng = np.random.default_rng(3)
    days = rng.exponential(60, 120).round() + 1
    event = (days <= 150).astype(int)
    page = _page()
    page.table("team", pd.DataFrame({"team": ["with practitioners"], "people": [120],
                                     "engaged": [int(((days <= 90) & (event == 1)).sum())]}),
               title="Team", counts=["people", "engaged"], additive=False)
    steps = curve_steps(kaplan_meier(np.minimum(days, 150), event).table(), page.rule, label="with practitioners")
    page.figure(steps.plot(), "Curve", data=[steps])
    result = page.audit()
    assert result.passed, result.failures
    assert (result.table().table == "Curve").sum() == 2 * len(steps.table)


# ------------------------------------------------------------------ (b) a sentence stating a withheld count
def _ppit_page(base):
    page = _page(base=base)
    page.table("funnel", pd.DataFrame({"stage": ["Listed"], "n": [76]}), title="Funnel", counts=["n"],
               additive=False)
    page.table("who_was_listed", pd.DataFrame({"characteristic": ["PPIT"] * 3,
                                               "category": ["priority", "not priority", "not assessed"],
                                               "n": [20, 51, 5]}),
               title="Table 1", counts=["n"], additive_within="characteristic")
    return page


def test_planted_sentence_gives_the_hidden_count_back():
    page = _ppit_page(base=1)
    assert page.tables[-1].suppressed.n.tolist() == [True, False, True]  # 5 withheld, and the 20 with it
    page.say("{{ k | count }} were assessed as a priority.", k=20)  # the same 20, said outright
    assert page.audit().passed  # a sentence is one quantity with a cell only when the page is told
    said = next(k for k, q in page.facts().quantities.items() if q["source"] == "sentence")
    page.ledger.link([said], [page._resolve(page.cell("who_was_listed", "n", category="priority"))[0]])
    result = page.audit()
    assert not result.passed
    assert _verdicts(result)["PPIT / not assessed: n"] == "exact"


def test_the_gate_refuses_the_sentence_and_the_page_without_it_passes():
    for base in (1, 5):
        page = _ppit_page(base=base)
        with pytest.raises(ValueError, match="withholds that count"):
            page.say("{{ k | count(same_as=c) }} were a priority.", k=20,
                     c=page.cell("who_was_listed", "n", category="priority"))
        clean = _ppit_page(base=base)
        clean.say("Some listed people were assessed as a priority.")
        assert clean.audit().passed


def test_a_sentence_stated_before_its_table_is_refused_when_the_table_comes():
    page = _page()
    page.say("{{ k | count(same_as=c) }} were a priority.", k=20,
             c=page.cell("who_was_listed", "n", category="priority"))
    with pytest.raises(ValueError, match="withholds that count"):
        page.table("who_was_listed", pd.DataFrame({"category": ["priority", "not assessed"], "n": [20, 5]}),
                   title="Table 1", counts=["n"])


# ------------------------------------------------------------------ (c) a funnel with precise percentages
def _funnel_frame():
    """Isle of Wight: 61 listed, 33 engaged, 25 referred (8 engaged but not referred)."""
    n = [61, 33, 25]
    return pd.DataFrame({"stage": ["Listed", "Engaged", "Referred"], "n": n,
                         "percent": [100 * k / n[0] for k in n]})


def test_planted_two_decimal_percentages_pin_the_funnel_down():
    page = _page()
    page.table("funnel", _funnel_frame(), title="Funnel", counts={"n": ["percent"]}, additive=False, nested=True,
               kinds={"percent": "decimal2"})
    result = page.audit()
    v = _verdicts(result)
    assert v["Engaged: n"] == "exact" and v["Referred: n"] == "exact"
    t = result.table().set_index("cell")
    assert t.loc["Engaged: n", "low"] - t.loc["Referred: n", "low"] == 8


def test_funnel_shares_from_published_counts_pass():
    page = _page()
    t = page.table("funnel", _funnel_frame(), title="Funnel", counts={"n": ["percent"]}, additive=False, nested=True,
                   kinds={"percent": "percent"}, shares={"percent": ("n", "first")})
    assert t.values.percent.tolist() == pytest.approx([100.0, 100 * 35 / 60, 100 * 25 / 60])
    result = page.audit()
    assert result.passed and not result.unaudited


def test_whole_percentages_of_exact_counts_are_caught_too():
    """Percentages of all 115 listed people in Basingstoke's Table 1, from exact counts, to whole percent (as
    the report rounds them before publishing). Five characteristics, each a percentage of the same 115, pin
    the age groups down (25, 33 and 57, published 25, 35 and 55). The intruder is assumed to know the
    percentages came from the exact counts, even where the published counts nearly give them."""
    page = _page()
    groups = {"Sex": [105, 10], "Ethnic group": [104, 2, 4, 1, 4], "Age": [25, 33, 57], "Prior DA": [1, 50, 57, 7],
              "PPIT": [26, 77, 12]}
    frame = pd.DataFrame([{"characteristic": g, "category": f"{g} {j}", "n": n}
                          for g, ns in groups.items() for j, n in enumerate(ns)])
    frame["percent"] = (100 * frame.n / 115).round()
    page.table("t1", frame, title="Table 1", counts={"n": ["percent"]}, additive_within="characteristic",
               kinds={"percent": "percent"})
    exact = page.audit()
    assert not exact.passed and set(exact.failures.verdict) == {"exact"}
    gated = _page()
    gated.table("t1", frame, title="Table 1", counts={"n": ["percent"]}, additive_within="characteristic",
                kinds={"percent": "percent"}, shares={"percent": ("n", "total")})
    result = gated.audit()
    assert result.passed
    totals = [q for q in gated.facts().quantities.values() if q["source"] == "total"]
    assert {(q["lo"], q["hi"]) for q in totals} == {(113, 117)}  # the rounded total it tells


def test_a_share_of_two_counts_added_up():
    """Observed outcome by band: events over events and non-events. From exact counts at one decimal the
    band's size is pinned; from the published counts nothing is."""
    frame = pd.DataFrame({"band": ["0-7", "8-11", "12+"], "events": [12, 31, 44], "non_events": [88, 57, 23]})
    frame["observed"] = 100 * frame.events / (frame.events + frame.non_events)
    page = _page()
    page.table("obs", frame, title="Observed", counts={"events": ["observed"], "non_events": ["observed"]},
               additive=False, kinds={"observed": "decimal1"})
    assert not page.audit().passed
    gated = _page()
    t = gated.table("obs", frame, title="Observed", counts={"events": ["observed"], "non_events": ["observed"]},
                    additive=False, kinds={"observed": "decimal1"},
                    shares={"observed": ("events", ("events", "non_events"))})
    # over the published parts a reader can add up (10 + 90, 30 + 55, 45 + 25)
    assert t.values.observed.tolist() == pytest.approx([100 * 10 / 100, 100 * 30 / 85, 100 * 45 / 70])
    assert gated.audit().passed and not gated.audit().unaudited


# ------------------------------------------------------------------ (d) a rate times its person-years
def _rates_frame():
    """Basingstoke: 77 further offences in 612.3 person-years (a rate of 0.1258 per person-year)."""
    return pd.DataFrame({"group": ["This area"], "people": [115], "offences": [77], "person_years": [612.3],
                         "rate": [77 / 612.3]})


def test_planted_rate_and_person_years_give_the_offences_back():
    page = _page()
    page.table("rates", _rates_frame(), title="Rates", counts={"people": ["rate"], "offences": ["rate"]},
               additive=False, kinds={"person_years": "whole", "rate": "decimal2"})
    t = page.audit().table().set_index("cell")
    assert t.loc["This area: offences", ["published", "low", "high", "verdict"]].tolist() == [75, 77, 77, "exact"]


def test_rates_from_the_published_count_and_exposure_pass(tmp_path):
    page = _page()
    t = page.table("rates", _rates_frame(), title="Rates", counts={"people": ["rate"], "offences": ["rate"]},
                   additive=False, kinds={"person_years": "whole", "rate": "decimal2"},
                   rates={"rate": ("offences", "person_years")})
    assert t.values.person_years.tolist() == [610.0] and t.values.rate.tolist() == pytest.approx([75 / 610])
    assert page.audit().passed
    from openpyxl import load_workbook

    ws = load_workbook(page.write_workbook(tmp_path / "r.xlsx"))["Table 1"]
    assert [c.value for c in ws[4]] == ["This area", 115, 75, 610, 0.12]  # published precision only


# ------------------------------------------------------------------ (e) the same people in two tables
def _two_tables(base):
    page = _page(base=base)
    page.table("funnel", pd.DataFrame({"stage": ["Listed", "Assessed"], "n": [76, 71]}), title="Funnel",
               counts=["n"], additive=False, nested=True)
    page.table("t1", pd.DataFrame({"ppit": ["assessed", "not assessed"], "n": [71, 5]}), title="Table 1",
               counts=["n"])
    page.link(page.cell("funnel", "n", stage="Assessed"), page.cell("t1", "n", ppit="assessed"),
              "people assessed")
    return page


def test_planted_cross_table_difference_gives_the_hidden_count_back():
    result = _two_tables(base=1).audit()
    assert _verdicts(result)["not assessed: n"] == "exact"
    assert result.table().set_index("cell").loc["not assessed: n", "low"] == 5


def test_rounding_to_five_protects_the_cross_table_difference():
    result = _two_tables(base=5).audit()
    assert result.passed
    assert result.table().set_index("cell").loc["not assessed: n", ["low", "high"]].tolist() == [1, 9]


# ------------------------------------------------------------------ what a page records and writes
def test_facts_hold_no_exact_count(tmp_path):
    page = _page()
    page.table("funnel", pd.DataFrame({"stage": ["Listed", "Engaged"], "n": [76, 8]}), title="Funnel",
               counts=["n"], additive=False, nested=True)
    page.say("{{ n | count }} were listed.", n=76)
    out = page.write_workbook(tmp_path / "district.xlsx")
    text = facts_path(out).read_text()
    data = json.loads(text)
    assert "76" not in text and "8.0" not in text
    assert {q["audit"] for q in data["quantities"].values()} >= {"rounded", "withheld"}
    assert audit(facts_path(out)).passed


def test_figures_without_their_data_are_listed_as_unaudited():
    page = _page()
    page.figure(_axes(), "A chart of something")
    assert page.audit().unaudited == ("figure without its data: A chart of something",)
    assert page.audit().summary()["unaudited"] == ["figure without its data: A chart of something"]


def test_summary_for_render_json_is_plain_data():
    page = _two_tables(base=1)
    s = page.audit().summary()
    json.dumps(s)
    assert s["passed"] is False and s["failed"] == 2 and {f["verdict"] for f in s["failures"]} == {"exact"}
    assert s["withheld"] == 2 and [f["candidates"] for f in s["failures"]] == [1, 1]
    assert not any("low" in f or "high" in f for f in s["failures"])  # the pinned value itself is never written


def test_render_reads_the_audit_of_a_page(tmp_path):
    from foundation_eval.reporting.render import _audit_page

    page = _two_tables(base=5)
    out = page.write_workbook(tmp_path / "district-x.xlsx")
    assert _audit_page(facts_path(out))["passed"] is True
    assert _audit_page(tmp_path / "missing.facts.json") is None


def test_a_secondary_cell_known_to_be_zero_is_not_a_failure():
    """A cell withheld to protect its neighbour but published as zero elsewhere holds no one; the small count
    beside it keeps its own verdict."""
    from types import SimpleNamespace

    import pandas as pd

    from foundation_eval.config import load_programme
    from foundation_eval.reporting.publication import Page

    page = Page(SimpleNamespace(programme=load_programme("hiow")), "Test")
    one = page.table("one", pd.DataFrame({"group": ["PPIT", "PPIT"], "category": ["priority", "not priority"],
                                          "n": [0, 4]}), title="One", counts=["n"], additive_within="group")
    assert one.suppressed.n.all()  # the zero is withheld beside the small count (secondary suppression)
    page.table("two", pd.DataFrame({"band": ["12-15", "16-20"], "n": [0, 0]}), title="Two", counts=["n"])
    page.link(page.cell("one", "n", category="priority"), [page.cell("two", "n", band="12-15"),
                                                           page.cell("two", "n", band="16-20")])
    res = page.audit()
    t = res.table()
    assert "zero" in set(t.verdict) and res.passed
    small = t[t.cell.str.contains("not priority")]
    assert small.verdict.iloc[0] == "pass" and small.candidates.iloc[0] >= 5


def test_the_same_programme_under_other_labels_is_solved_once(monkeypatch):
    """The force's curve drawn on every district page is the same programme under another chart number: the
    second page reuses the first's solutions, and its verdicts are the same, under its own labels."""
    import foundation_eval.reporting.audit as A

    def geurts(prefix):
        f = Facts("Area", threshold=1, base=1)
        for cell in ("x11", "x12", "x21", "x22"):
            f.count(prefix + cell, audit="withheld", cell=prefix + cell)
        f.relate({prefix + "x11": 1, prefix + "x12": 1}, 7, 7)
        f.relate({prefix + "x21": 1, prefix + "x22": 1}, 3, 3)
        f.relate({prefix + "x11": 1, prefix + "x21": 1}, 6, 6)
        f.relate({prefix + "x12": 1, prefix + "x22": 1}, 4, 4)
        return f

    A._SOLVED.clear()
    first = audit(geurts("c:8:")).table()
    solved = []
    monkeypatch.setattr(A._Component, "_lp", lambda self, j, sense: solved.append(j))
    monkeypatch.setattr(A._Component, "_milp", lambda self, j, sense: solved.append(j))
    second = audit(geurts("c:10:")).table()
    assert solved == []
    assert second.cell.str.startswith("c:10:").all()
    assert second.drop(columns="cell").equals(first.drop(columns="cell"))


def test_warm_started_solves_match_cold_ones():
    """Each component's linear and integer programmes are re-solved on one model each (the linear ones from
    the last basis); every bound is the one a fresh solve of the same programme gives (a chain of rounded
    steps, as a gated curve draws)."""
    import foundation_eval.reporting.audit as A

    pytest.importorskip("highspy")
    f = Facts("Curve", threshold=10, base=5)
    for j, (n, d) in enumerate([(375, 20), (360, 20), (340, 20), (325, 20)]):
        f.count(f"n{j}", lo=n - 2, hi=n + 2, audit="rounded", cell=f"n{j}")
        f.count(f"d{j}", lo=d - 2, hi=d + 2, audit="rounded", cell=f"d{j}")
        if j:
            f.relate({f"n{j}": 1, f"d{j - 1}": 1, f"n{j - 1}": -1}, hi=0)
    ids = sorted(f.quantities)
    comp = A._Component(ids, f.quantities, f.relations)
    for j in range(len(ids)):
        for sense in (1, -1):
            assert comp._lp(j, sense) == pytest.approx(comp._lp_cold(j, sense), abs=1e-7)
            assert comp._milp(j, sense) == pytest.approx(comp._milp_cold(j, sense), abs=1e-7)
    assert comp._models[False][0] is not None and comp._models[True][0] is not None


def test_a_curve_step_is_not_linked_to_a_count_that_merely_equals_it():
    """A step of the force's curve drawn on a district page may equal a district count by chance (here the
    district curve's 470 people): the two are not equated, which would join the whole force curve to the
    page, while a group's size is still linked to the one table count of the same value."""
    rule = Rule(10, 5)
    ledger = Ledger(rule, "District")
    exact = pd.DataFrame({"stage": ["Listed", "Referred"], "n": [470, 120]})
    shown = pd.DataFrame({"stage": ["Listed", "Referred"], "n": [470.0, 120.0]})
    hidden = pd.DataFrame({"stage": [False, False], "n": [False, False]})
    ledger.table("funnel", exact, shown, hidden, counts=["n"], nested=True)
    force = pd.DataFrame({"time": [1, 2, 3], "at_risk": [5000, 470, 440], "events": [20, 20, 20]})
    ledger.curve(curve_steps(force, rule, label="force"), "Force curve")
    district = pd.DataFrame({"time": [1, 2], "at_risk": [470, 300], "events": [30, 30]})
    ledger.curve(curve_steps(district, rule, label="district"), "District curve")
    same = [r for r in ledger.facts().relations if r["source"] == "same value"]
    assert {k for r in same for k in r["terms"]} == {"c:2:size", "t:funnel:0:n"}
