"""The district pages and the force overview pass the intruder audit, and the audit catches what they used to leak.

Three forces, each built once per module: the default synthetic force, the same force at a tenth of its size,
and the second programme (no risk tool, no risk management plans). Every district page, the force-wide page and
the overview are built in full and audited as an intruder holding the whole page would attack it
(foundation_eval.reporting.audit: linear programming over every published count, share, rate and charted step).
Then leaks are planted on real pages and must be caught: Kaplan-Meier steps drawn from exact counts, whole
percentages of exact counts, a sentence stating a count its table withholds.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from foundation_eval.data.synth import demo_dataset
from foundation_eval.evaluation.snapshot import build_snapshot, open_snapshot
from foundation_eval.reporting.disclosure import raw_curve
from foundation_eval.reporting.district_report import HARM_UNAUDITED, DistrictReport
from foundation_eval.reporting.overview_report import OverviewReport

FORCES = ("default", "tenth", "second")


@pytest.fixture(scope="module")
def tenth():
    """The default force at a tenth of its size."""
    return build_snapshot(demo_dataset(scale=0.1))


@pytest.fixture(scope="module", params=FORCES)
def force(request, tenth):
    """(name, snapshot) of each of the three forces, built once."""
    if request.param == "default":
        return request.param, open_snapshot()
    if request.param == "tenth":
        return request.param, tenth
    return request.param, build_snapshot(demo_dataset("change-that-lasts"))


def _only_harm_unaudited(unaudited) -> bool:
    """The one thing the audit does not model on these pages: harm per person-year (not a count of people)."""
    head = HARM_UNAUDITED.split("{table}")[1][:40]
    return all(head in u for u in unaudited)


def test_every_district_page_passes_the_audit(force):
    name, snap = force
    for key in [None, *(d.id for d in snap.programme.districts)]:
        rep = DistrictReport(snap, key)
        rep.html()
        result = rep.page.audit()
        assert result.passed, (name, key, result.failures[["table", "cell", "verdict"]].values.tolist())
        # every chart's data is audited (tables, gated curves); only the harm column is not modelled
        assert _only_harm_unaudited(result.unaudited), (name, key, result.unaudited)
        assert len(result.cells) > 0
        plt.close("all")


def test_the_overview_passes_the_audit(force):
    name, snap = force
    rep = OverviewReport(snap)
    rep.html()
    result = rep.page.audit()
    assert result.passed, (name, result.failures[["table", "cell", "verdict"]].values.tolist())
    assert _only_harm_unaudited(result.unaudited), (name, result.unaudited)
    assert len(result.unaudited) == 1
    plt.close("all")


def test_a_withheld_priority_count_is_never_stated(force):
    """The fault the audit found: Table 1 withheld "priority" while the sentence said how many were a priority.
    Where the table withholds it, the sentence gives no number; a sentence stating it is refused."""
    _, snap = force
    if not snap.programme.has_risk_tool:
        pytest.skip("no risk tool")
    withheld = 0
    for d in snap.programme.districts:
        rep = DistrictReport(snap, d.id)
        section = rep.risk_assessment()
        one = rep.table_one
        row = int(np.flatnonzero(((one.values.characteristic == "PPIT assessment")
                                  & (one.values.category == "Priority")).to_numpy())[0])
        sentence = section.items[0].plain
        if not one.suppressed.n.iloc[row]:
            assert f"{rep.page.count(rep.area.ppit_priority)} were assessed as a priority" in sentence
            continue
        withheld += 1
        assert "were assessed as a priority is not published" in sentence
        assert not any(ch.isdigit() for ch in sentence.split("priority perpetrator).")[1]), sentence
        if rep.area.ppit_priority >= rep.threshold:  # stated as a number, it is refused
            with pytest.raises(ValueError, match="withholds that count"):
                rep.page.count(rep.area.ppit_priority, same_as=rep.page.cell("who_was_listed", "n", row))
    assert withheld >= 1


def test_an_ungated_curve_is_refused_and_its_steps_would_leak(tenth):
    """The old charts stepped at every event time (Gosport's police-alone curve rose from 0 to 10% at day 22:
    one person on one day): the page refuses such a curve, and the audit shows what it would give away."""
    caught = 0
    for d in tenth.programme.districts:
        rep = DistrictReport(tenth, d.id)
        rep.engagement()
        teams = list(rep.area.teams.team)
        team = teams[0]
        curve = raw_curve(rep.area.engagement_curves[team], label=team)
        fig, ax = plt.subplots()
        with pytest.raises(ValueError, match="not gated"):
            rep.page.figure(ax, "planted", data=curve)
        plt.close(fig)
        # recorded anyway, with its steps up to the window tied to the table's engaged people
        for i, t in enumerate(teams):
            rep.page.ledger.curve(raw_curve(rep.area.engagement_curves[t], label=t), "planted",
                                  links={("events", rep.window): f"t:engagement_by_team:{i}:engaged"})
        caught += not rep.page.audit().passed
        if caught:
            break
    assert caught >= 1


def test_shares_of_exact_counts_would_leak(tenth):
    """Whole percentages worked out from exact counts (as Table 1 used to print them) narrow withheld counts on
    some district pages; the page's shares, worked out from the published counts, do not."""
    caught = 0
    for d in tenth.programme.districts:
        rep = DistrictReport(tenth, d.id)
        rep.who_was_listed()
        assert rep.page.audit().passed
        exact = rep.area.table_one.assign(percent=lambda x: x.percent.round(0))
        rep.page.table("planted", exact, title="Planted", counts={"n": ["percent"]}, additive_within="characteristic",
                       kinds={"percent": "percent"})
        caught += not rep.page.audit().passed
        if caught:
            break
    assert caught >= 1


def test_linked_tables_withhold_what_listed_less_assessed_would_give(force):
    """Table 1's people not assessed are the funnel's listed less its assessed: where both rounded counts would
    narrow a withheld "not assessed", the funnel's "Assessed" is withheld too (and the share of the stage below
    it, which would give its published value back)."""
    name, snap = force
    if not snap.programme.has_risk_tool:
        pytest.skip("no risk tool")
    for d in snap.programme.districts:
        rep = DistrictReport(snap, d.id)
        extra = rep.linked_withheld["funnel"]
        t = rep.funnel_table
        for i in np.flatnonzero(extra):
            assert t.suppressed.n.iloc[i] and np.isnan(t.values.n.iloc[i])
            assert t.suppressed.percent_of_previous.iloc[i + 1] if i + 1 < len(t.values) else True
        assert not extra[0]  # "Listed" is never withheld: Table 1's totals give it
