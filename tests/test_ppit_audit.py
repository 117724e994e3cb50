"""The risk-tool validity page under the intruder audit: it passes on the default force, a tenth-size force and the
realistic scenarios at half size; every share on it is worked out from published counts; a sentence may not state a
count its table withholds; planted leaks (an exact percentage beside rounded counts) fail the audit; figures draw
published data, with boxed legends outside the data and labels in sentence case."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from foundation_eval.data.synth import demo_dataset
from foundation_eval.evaluation.estimates import ppit_auc_12m, ppit_icc2_total
from foundation_eval.evaluation.snapshot import Snapshot
from foundation_eval.reporting.disclosure import withheld_rows
from foundation_eval.reporting.ppit_report import PpitValidityReport
from foundation_eval.stats import wilson_interval

FORCES = {"default": {}, "tenth": {"scale": 0.1}, "half-realistic": {"scale": 0.5, "scenarios": "realistic"}}
CUTOFFS = "People flagged, and accuracy, at each cut-off of the PPIT total"


@pytest.fixture(scope="module")
def pages():
    """Each force's snapshot (the page reads its PPIT study and the two registered PPIT estimates) and page, built
    once for the module."""
    built: dict = {}

    def get(force: str) -> PpitValidityReport:
        if force not in built:
            ds = demo_dataset(**FORCES[force])
            rep = PpitValidityReport(Snapshot(ds, (ppit_auc_12m(ds), ppit_icc2_total(ds))))
            rep.rendered = rep.html()
            built[force] = rep
        return built[force]

    return get


def _fresh(rep: PpitValidityReport) -> PpitValidityReport:
    """Another page on the same snapshot, for tests that add to what it publishes."""
    other = PpitValidityReport(rep.snap)
    other.html()
    return other


@pytest.mark.parametrize("force", FORCES)
def test_the_page_passes_the_audit(pages, force):
    rep = pages(force)
    result = rep.page.audit()
    assert result.passed, result.failures[["table", "cell", "published", "candidates", "verdict"]].to_string()
    cells = result.table()
    assert (cells.status == "withheld").any() and (cells.status == "rounded").sum() > 50
    # every figure says what it drew; the only values the audit cannot trace are the shares worked out from sums of
    # the published counts of the pooled bands (a table of sums adds nothing, but the ledger traces only ratios of
    # the count cells of one row)
    assert not [u for u in result.unaudited if u.startswith("figure without its data")]
    assert all(u.startswith(CUTOFFS) for u in result.unaudited), result.unaudited
    # the counts several tables and sentences share are tied together for the audit
    sources = {r["source"] for r in rep.page.facts().relations}
    flags = any(t.name.startswith("equity_priority_") for t in rep.page.tables)
    for why in ("people scored: observed or left out", "people observed: with or without the outcome",
                "a sentence states a table's cell", "everyone observed", "pairs scored by two different assessors",
                "everyone scored: with the outcome event or censored", *(["the same group"] if flags else [])):
        assert why in sources, why


def _close(value, expected):
    ok = pd.notna(value)
    np.testing.assert_allclose(np.asarray(value[ok], float), np.asarray(expected[ok], float), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("force", FORCES)
def test_every_share_is_worked_out_from_published_counts(pages, force):
    """Shares, their Wilson (1927) intervals and the accuracy at each cut-off equal what a reader works out from the
    published counts."""
    rep = pages(force)
    tables = {t.name: t.values.where(~t.suppressed) for t in rep.page.tables}  # what a reader sees
    checked = 0
    for name in ("calibration_by_score", "calibration_by_band"):
        if name in tables:
            v = tables[name]
            n = v.events + v.non_events
            _close(v.observed, v.events / n)
            lo, hi = wilson_interval(v.events.fillna(0).to_numpy(), n.fillna(1).to_numpy())
            _close(v.low, pd.Series(lo, index=v.index).where(v.low.notna()))
            _close(v.high, pd.Series(hi, index=v.index).where(v.high.notna()))
            checked += 1
    for name, v in tables.items():
        if name.startswith("equity_priority_"):
            _close(v.rate, v.flagged / v.people)
            checked += 1
    v = tables["item_analysis"]
    _close(v.pct, v.endorsed / v.n)
    v = tables["priority_agreement"]
    _close(v.share, v.people / v.people.iloc[0])
    for name in ("roc_prior_da_2y", "roc_rfg_score"):
        v = tables[name]
        _close(v.tpr, v.tp / v.tp.iloc[0])
        _close(v.fpr, v.fp / v.fp.iloc[0])
    if "threshold_counts" in tables:
        v, bands = tables["threshold_counts"], tables["calibration_by_score"].iloc[:-1]
        # each count at a cut-off is a sum of the published counts of the pooled bands above (or below) it
        assert v.tp.tolist() == [bands.events.iloc[i:].sum() for i in range(1, len(bands))]
        assert v.tn.tolist() == [bands.non_events.iloc[:i].sum() for i in range(1, len(bands))]
        _close(v.sens, v.tp / (v.tp + v.fn))
        _close(v.spec, v.tn / (v.tn + v.fp))
        _close(v.ppv, v.tp / (v.tp + v.fp))
        _close(v.npv, v.tn / (v.tn + v.fn))
        _close(v.share, v.flagged / (v.flagged + v.fn + v.tn))
        checked += 1
    assert checked >= 2


def test_a_sentence_may_not_state_a_count_its_table_withholds(pages):
    """On the small force a handful of people exited before their window closed: that count is withheld, and the
    number scored with it (it would give the handful back), so no sentence states it."""
    rep = pages("tenth")
    assert "Of the listed people scored on the PPIT," in re.sub(r"<[^>]+>", "", rep.rendered)
    rep = _fresh(rep)
    page, c = rep.page, rep.study.counts
    sample = {t.name: t for t in page.tables}["sample"]
    scored = page.cell("sample", "n", who="Listed and scored on the PPIT")
    left = page.cell("sample", "n", who="Left out: exited before the window closed")
    assert sample.display().set_index("People").loc["Listed and scored on the PPIT", "Number"] == "[c]"
    assert c.scored >= page.threshold and page.rule.hidden(c.exited)
    # a small count may be named as small
    assert page.say("{{ n | count(same_as=ref) }} exited.", n=c.exited, ref=left).plain == "fewer than 10 people exited."
    with pytest.raises(ValueError, match="withholds that count"):
        page.say("{{ n | count('listed people', same_as=ref) }} were scored.", n=c.scored, ref=scored)


def test_an_exact_percentage_beside_rounded_counts_fails_the_audit(pages):
    """The leak the audit found on the page before: the share flagged by district printed from the exact counts beside
    the rounded counts pins counts down; declared as a share of the published counts, the same table passes."""
    rep = _fresh(pages("default"))
    page, t = rep.page, rep.page.threshold
    assert page.audit().passed
    p = rep.study.equity_priority
    p = p[(p.characteristic == "District") & ~p.everyone].reset_index(drop=True)
    frame = pd.DataFrame({"district": p.group, "flagged": p.flagged, "unflagged": p.unflagged, "rate": p.rate})
    hide = withheld_rows(frame, ["flagged", "unflagged"], t, also=frame.rate.isna().to_numpy())
    kw = dict(title="Planted: flagged by district", counts=["flagged", "unflagged"], additive=False,
              kinds={"rate": "proportion"}, hide={c: hide for c in ("flagged", "unflagged", "rate")})
    page.table("planted", frame, **kw)
    result = page.audit()
    assert not result.passed
    fails = result.failures
    assert set(fails.table) == {"Planted: flagged by district"} and set(fails.verdict) == {"exact"}
    page.table("planted", frame, **kw, shares={"rate": ("flagged", ("flagged", "unflagged"))})
    assert page.audit().passed
    # a hand-made case: 12 of 25 printed as 48% beside 10 and 15 gives back the 12 and the 13
    page.table("planted", pd.DataFrame({"band": ["A"], "events": [12], "non_events": [13], "observed": [0.48]}),
               title="Planted: one band", counts=["events", "non_events"], additive=False,
               kinds={"observed": "proportion"})
    cells = page.audit().failures.set_index("cell")
    assert cells.loc["A: events", ["low", "high"]].tolist() == [12.0, 12.0]
    assert cells.loc["A: non_events", ["low", "high"]].tolist() == [13.0, 13.0]


def test_figures_draw_published_data_with_boxed_legends(pages):
    """Every chart says what it drew (a published table), and carries a boxed legend beside the data; titles, axis
    labels and legend entries are in sentence case."""
    rep = PpitValidityReport(pages("half-realistic").snap)
    seen = []
    figure = rep.page.figure

    def spy(ax, alt, *args, **kwargs):
        leg = ax.get_legend()
        box = leg.get_bbox_to_anchor().transformed(ax.transAxes.inverted()) if leg is not None else None
        seen.append({"title": ax.get_title(), "legend": leg, "x0": None if box is None else box.x0,
                     "words": [ax.get_title(), ax.get_xlabel(), ax.get_ylabel(),
                               *([x.get_text() for x in leg.get_texts()] if leg is not None else [])],
                     "data": kwargs.get("data")})
        return figure(ax, alt, *args, **kwargs)

    rep.page.figure = spy
    rep.html()
    assert len(seen) == 5
    for f in seen:
        assert f["data"], f["title"]
        assert f["legend"] is not None and f["legend"].get_frame_on() and f["x0"] >= 1.0, f["title"]
        for words in filter(None, f["words"]):
            assert not words[:1].islower(), words
            # after the first word, capitals only in acronyms and names
            later = re.findall(r"(?<=\s)[A-Z][a-z]+", words)
            assert not later, (words, later)
