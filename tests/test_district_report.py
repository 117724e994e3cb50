"""The district report: the render's study formatted through one Page.

Every district page of a force a tenth of the default size, for both shipped programmes, is built once
per session; the tests check that its numbers equal the library's, that each headline figure has one
value on the page and across pages (the force figures are the overview's), that claims appear only where
their interval supports them, that no sentence or table cell states a count from 1 to 9, that the brief
comes first, and that charts and body text follow the house layout.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from foundation_eval.data import synth
from foundation_eval.data.load import load_dataset
from foundation_eval.evaluation.snapshot import build_snapshot, open_snapshot, write_snapshot
from foundation_eval.frames.cohort import person_frame, select
from foundation_eval.models.engagement import add_phase, first_engagement_frame, funnel
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting.district_report import PATHWAY_LABELS, DistrictReport, km_chart
from foundation_eval.reporting.overview_report import OverviewReport
from foundation_eval.reporting.publication import Page, Section
from foundation_eval.stats import newcombe_difference

PROGRAMMES = ("hiow", "change-that-lasts")
TINY = {"scale": 0.1, "truth_replicates": 5}
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "district_report.ipynb"
# a count of people (or offences, referrals) from 1 to 9 stated in words
SMALL_COUNT = re.compile(r"\b[1-9]\s+(?:people|person|persons|listed|offences?|referrals?|victims?|men|women)\b")


def plain(item) -> str:
    markup = item if isinstance(item, str) else item.html()
    markup = re.sub(r"<style>.*?</style>", "", markup, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)).strip()


@pytest.fixture(scope="session", params=PROGRAMMES)
def tiny(request, tmp_path_factory):
    """(programme id, snapshot folder, snapshot) of a force at a tenth of the default size."""
    pid = request.param
    folder = synth.write(synth.generate(pid, seed=1, **TINY), tmp_path_factory.mktemp(f"tiny-{pid}"))
    snap_dir = write_snapshot(build_snapshot(load_dataset(folder, pid)), tmp_path_factory.mktemp(f"snap-{pid}"))
    return pid, snap_dir, open_snapshot(snap_dir, pid)


@pytest.fixture(scope="session")
def pages(tiny):
    """Every district's report and the force-wide one, each built in full once."""
    _, _, snap = tiny
    out = {}
    for key in [None, *(d.id for d in snap.programme.districts)]:
        rep = DistrictReport(snap, key)
        out[key] = (rep, rep.html())
    return out


def _listed(rep):
    p = select(person_frame(rep.snap.dataset), rep.district_id, rep.start, rep.end)
    return p[p.listed]


def _body(page: str) -> str:
    """The commissioner's body text: everything before the provenance block and the technical appendix."""
    return plain(page.split(">Provenance</h2>")[0])


# ------------------------------------------------------------------------------------------ the whole page
def test_every_district_page_renders_and_states_no_small_count(pages):
    for key, (rep, page) in pages.items():
        text = plain(page)
        for heading in ("Summary", "List size", "Who was listed", "Engagement funnel", "Engagement", "Referrals",
                        "Reoffending", "Methods", "Disclosure control", "Provenance",
                        "Technical appendix"):
            assert f">{heading}</h2>" in page, (key, heading)
        assert page.index(">Summary</h2>") < page.index(">List size</h2>")  # the brief comes first
        assert ("Risk assessment</h2>" in page) == rep.snap.programme.has_risk_tool
        assert not SMALL_COUNT.search(text), (key, SMALL_COUNT.search(text))
        # every count of people stated in a sentence is rounded to the base and never below the threshold
        for n in re.findall(r"\b(\d[\d,]*) people\b", text):
            v = int(n.replace(",", ""))
            assert v == 0 or (v >= rep.threshold and v % rep.page.rule.base == 0), (key, n)
        words = re.sub(r"data:image/png;base64,[^\"']+", "", page)
        assert not re.search(r"\b[PVOCAFMR][0-9A-F]{8,16}\b", words) and "birth_ym" not in page
        assert not any(pid in page for pid in rep.snap.dataset.people.person_id.head(300))
        assert page.count("data:image/png;base64") >= 1 and 'alt="' in page


def test_no_table_cell_holds_a_small_count(pages):
    for key, (rep, _) in pages.items():
        assert {t.name for t in rep.page.tables} >= {"brief_quarters", "list_size", "who_was_listed", "funnel",
                                                      "reoffending_rates", "reoffending_harm"}
        assert ("engagement_by_team" in {t.name for t in rep.page.tables}) == bool(rep.area.listed)
        for t in rep.page.tables:
            assert all(t.headings.get(c) for c in t.values.columns), (key, t.name)  # every column has a heading
            for c in t.counts:
                v = t.values[c].dropna().to_numpy(float)
                assert not ((v > 0) & (v < rep.threshold)).any(), (key, t.name, c)
                assert (v % rep.page.rule.base == 0).all(), (key, t.name, c)
                # a withheld count shows as [c], never as a number
                assert t.values[c][t.suppressed[c]].isna().all()


def test_funnel_and_who_was_listed_publish_the_library_counts_rounded(pages):
    for rep, _ in pages.values():
        ds = rep.snap.dataset
        lib = funnel(ds, select(person_frame(ds), rep.district_id, rep.start, rep.end)).table()
        shown = rep.funnel_table.values.n.tolist()
        linked = rep.linked_withheld["funnel"]  # withheld to protect Table 1's withheld counts
        for exact, pub, hidden, extra in zip(lib.n, shown, rep.funnel_table.suppressed.n, linked, strict=True):
            if 0 < exact < rep.threshold or extra:
                assert np.isnan(pub) and hidden
            else:
                assert pub == rep.page.rule.publish(exact)
        # a share is withheld where the people not reaching the stage number 1 to 9 (Listed 76, Assessed 71)
        for exact, pct in zip(lib.n, rep.funnel_table.values.percent, strict=True):
            if 0 < lib.n.iloc[0] - exact < rep.threshold:
                assert pd.isna(pct)


def test_brief_names_its_figures(pages):
    for rep, _ in pages.values():
        brief = rep.brief()
        text = plain(brief)
        assert isinstance(brief, Section) and brief.heading == "Summary"
        assert "Did it work?" in text and "Needs attention" in text
        assert "not what the programme caused" in text and rep.where in text
        assert "on the list each month" in text or "No one" in text or "put on the programme list" in text
        quarters = next(i for i in brief.items if getattr(i, "name", "") == "brief_quarters")
        assert list(quarters.display().columns) == ["Quarter", "People on the list", "Listed for the first time",
                                                    f"Of them, {rep.window} days passed",
                                                    f"Engaged within {rep.window} days", "Percent engaged",
                                                    "Started a referred service"]
        # the percentage is the published engaged over the published people whose window had passed
        v = quarters.values
        for _, r in v[v.engaged_pct.notna()].iterrows():
            assert r.engaged_pct == pytest.approx(100 * r.engaged / r.followed)
        this = rep.study.quarters[0]
        assert quarters.values.quarter.iloc[0] == f"{this.year} Q{this.quarter} (this quarter)"
        # the period's sentence counts new listings, and the average is of people on the list each month
        assert "for the first time" in plain(brief.items[1])
        assert "15 people a month" not in text and "a quarter once" not in text


def test_brief_fits_one_a4_side(pages, tmp_path):
    from foundation_eval.reporting.export import find_browser, html_to_pdf, page_html

    if find_browser() is None:
        pytest.skip("no headless Chromium")
    from pypdf import PdfReader

    rep, _ = pages[None]
    path = tmp_path / "brief.html"
    path.write_text(page_html(rep.header().html() + rep.brief().html(), "brief"), encoding="utf-8")
    pdf = PdfReader(html_to_pdf(path, tmp_path / "brief.pdf"))
    assert len(pdf.pages) == 1


# ------------------------------------------------------------------------------------------ one definition
def test_engagement_has_one_value_in_summary_and_section(pages):
    published = 0
    for key, (rep, _) in pages.items():
        listed = _listed(rep)
        f = first_engagement_frame(rep.snap.dataset, listed)
        k = int(((f.event == 1) & (f.days <= rep.window)).sum())
        exact = rep.engaged["here"]
        assert (exact.k, exact.n) == (k, len(f))
        share = rep.page.share(exact.k, exact.n)
        wording = f"of listed people engaged within {rep.window} days of listing"
        summary, section = plain(rep.brief()), plain(rep.engagement())
        if share["pct"] is None:
            assert 0 < k < rep.threshold or 0 < len(f) - k < rep.threshold or len(f) < rep.threshold
            assert wording not in summary
            continue
        published += 1
        # worked out from the published counts (30 of 76 is published as 30 of 75 and reads 40%, not 39.5%)
        rule = rep.page.rule
        assert share["pct"] == pytest.approx(100 * rule.publish(k) / rule.publish(len(f)))
        phrase = f"{fmt.percent(share['pct'], scale=1)} {wording} (95% interval {fmt.percent(share['low'], scale=1)}"
        assert phrase in summary and phrase in section, (key, summary, section)
    assert published >= 1


def test_referral_starts_have_one_value_in_summary_and_section(pages):
    published = 0
    for rep, _ in pages.values():
        ds = rep.snap.dataset
        listed = _listed(rep)
        close = listed.index_date + pd.DateOffset(months=12)
        base = listed[close <= pd.Timestamp(ds.extract_date)]
        refs = ds.referrals.merge(base[["person_id", "index_date"]], on="person_id")
        ok = (refs.started_date >= refs.index_date) & (refs.started_date < refs.index_date + pd.DateOffset(months=12))
        k = refs[ok].person_id.nunique()
        share = rep.started["here"]
        assert (share.k, share.n) == (k, len(base))
        pub = rep.page.share(share.k, share.n)
        if pub["pct"] is None:
            continue
        published += 1
        phrase = (f"{fmt.percent(pub['pct'], scale=1)} of listed people whose first 12 months had ended by the extract "
                  "date started a referred service within 12 months of listing")
        assert phrase in plain(rep.brief()) and phrase in plain(rep.referrals())
    # the tiny second programme lists too few people anywhere to publish this share
    assert published >= 1 or rep.snap.programme.id != "hiow"


def test_force_figures_are_the_overviews_on_every_page(tiny, pages):
    """One definition and one value: the force's referral-start share and harm interval are the same objects
    on the overview and every district page, and publish the same text."""
    _, _, snap = tiny
    ov = OverviewReport(snap)
    ov_text = plain(ov.brief())
    started = ov.study.force.started
    force = ov.page.share(started.k, started.n)
    for key, (rep, _) in pages.items():
        assert rep.study is ov.study and rep.force.started is started and rep.force.rates is ov.study.force.rates
        here = rep.area.started
        if key is None or None in (force["pct"], rep.page.share(here.k, here.n)["pct"]):
            continue
        force_words = f"against {fmt.percent(force['pct'], scale=1)} ({fmt.percent(force['low'], scale=1)} to " \
                      f"{fmt.percent(force['high'], scale=1)}) across the force"
        assert f"{fmt.percent(force['pct'], scale=1)} of listed people whose first 12 months" in ov_text
        assert force_words in plain(rep.referrals())
    harm = ov.harm_table.values.iloc[0]
    rate = ov.rates_table.display().iloc[0]
    for key, (rep, _) in pages.items():
        t = next(t for t in rep.page.tables if t.name == "reoffending_harm").values.set_index("group")
        row = t.loc["Whole force"] if key else t.iloc[0]
        assert (row.harm, row.harm_low, row.harm_high) == (harm.harm, harm.ci_low, harm.ci_high)
        # and reads the same: "101.2 (86.8 to 118.0)" on every page
        shown = next(t for t in rep.page.tables if t.name == "reoffending_harm").display().set_index("Area")
        shown = shown.loc["Whole force"] if key else shown.iloc[0]
        ov_shown = ov.harm_table.display().iloc[0]
        assert (shown["Harm per person-year (Crime Harm Index days)"], shown["95% interval from"],
                shown["95% interval to"]) == (ov_shown["Harm per person-year"], ov_shown["95% low"],
                                              ov_shown["95% high"])
        # the force's offence rate, worked out from the same published offences and person-years
        rates = next(t for t in rep.page.tables if t.name == "reoffending_rates").display().set_index("Area")
        rates = rates.loc["Whole force"] if key else rates.iloc[0]
        assert (rates["Offences per 100 person-years"], rates["95% interval from"], rates["95% interval to"]) == \
            (rate["Rate"], rate["95% low"], rate["95% high"])


def test_force_wide_estimate_is_the_snapshot_value(pages):
    for rep, page in pages.values():
        e = rep.snap.estimate("engagement_rd_practitioner")
        if e is None:
            assert "data-estimand='engagement_rd_practitioner'" not in page
            continue
        m = re.search(r"data-estimand='engagement_rd_practitioner' data-estimate='([^']*)'", page)
        assert m and float(m.group(1)) == pytest.approx(e.estimate, abs=1e-6)


# ------------------------------------------------------------------------------------------ claims
def test_practitioner_claim_only_where_the_comparison_exists_and_supports_it(pages):
    without_police_alone = 0
    for key, (rep, page) in pages.items():
        c = rep.practitioner_comparison
        text = plain(page)
        supported = c["exists"] and (c["low"] > 0 or c["high"] < 0)
        assert ("People listed after practitioners joined the team engaged" in text) == supported, key
        if key is None:  # the force page states the registered estimand, never a refit of it
            e = rep.snap.estimate("engagement_rd_practitioner")
            assert (c["difference"], c["low"], c["high"]) == ((e.estimate, e.ci_low, e.ci_high) if e else (None,) * 3)
            assert text.count("data-estimand") == 0 and page.count("data-estimand='engagement_rd_practitioner'") == \
                (1 if e else 0) + (1 if supported else 0)
        elif c["exists"]:
            ds = rep.snap.dataset
            f = first_engagement_frame(ds, add_phase(ds, _listed(rep)))
            within = (f.event == 1) & (f.days <= rep.window)
            x1 = int(within[f.team == "with practitioners"].sum())
            n1 = int((f.team == "with practitioners").sum())
            x0 = int(within[f.team == "police alone"].sum())
            n0 = int((f.team == "police alone").sum())
            # Newcombe's interval of the published counts (Newcombe 1998, method 10), never of the exact ones
            pub = rep.page.rule.publish
            assert (c["difference"], c["low"], c["high"]) == pytest.approx(
                newcombe_difference(pub(x1), pub(n1), pub(x0), pub(n0)))
        if key and rep.practitioners_from <= rep.go_live:  # no listing before practitioners joined
            without_police_alone += 1
            assert not supported and "no police-alone group" in text, key
    assert without_police_alone >= 1  # e.g. Southampton, Lincoln: practitioners from the start


def test_claim_follows_the_interval(tiny):
    _, _, snap = tiny
    base = {"exists": True, "groups": {"with practitioners": {"pct": 60.0}, "police alone": {"pct": 40.0}},
            "people": {"with practitioners": 100, "police alone": 100}, "estimate": None}
    cases = [((0.2, 0.05, 0.35), "engaged more often"), ((-0.2, -0.35, -0.05), "engaged less often"),
             ((0.05, -0.1, 0.2), None)]
    for (d, lo, hi), expected in cases:
        rep = DistrictReport(snap, snap.programme.districts[0].id)
        rep.__dict__["practitioner_comparison"] = {**base, "difference": d, "low": lo, "high": hi}
        summary, section = plain(rep.brief()), plain(rep.engagement())
        if expected is None:
            assert rep.practitioner_claim() is None
            assert "engaged more often" not in summary + section and "engaged less often" not in summary + section
            assert "cannot tell apart" in section
        else:
            assert expected in summary and expected in section
            assert fmt.points(d) in section and "listed later" in section


# ------------------------------------------------------------------------------------------ data sources
def test_pages_read_the_study_not_the_events(tiny, monkeypatch):
    _, _, snap = tiny

    def rebuilt(*args, **kwargs):
        raise AssertionError("rebuilt from the event tables")

    for name in ("foundation_eval.frames.outcomes.offence_frame", "foundation_eval.frames.outcomes.reoffending_frame",
                 "foundation_eval.frames.cohort.person_frame", "foundation_eval.evaluation.areas.fit_areas"):
        monkeypatch.setattr(name, rebuilt)
    rep = DistrictReport(snap, None)
    assert "Reoffending" in rep.reoffending().html()


def test_a_dataset_is_refused_with_a_pointer_to_the_snapshot(tiny):
    _, _, snap = tiny
    with pytest.raises(TypeError, match="open_snapshot"):
        DistrictReport(snap.dataset, None)


def test_workbook_holds_every_published_table_as_numbers(pages, tmp_path):
    from openpyxl import load_workbook

    rep, _ = pages[None]
    path = rep.page.write_workbook(tmp_path / "district.xlsx")
    wb = load_workbook(path)
    titles = [r[1] for r in wb["Contents"].iter_rows(min_row=4, values_only=True)]
    assert titles == [t.title for t in rep.page.tables]
    funnel_sheet = wb[f"Table {[t.name for t in rep.page.tables].index('funnel') + 1}"]
    listed = funnel_sheet.cell(4, 2).value
    assert isinstance(listed, int) and listed == rep.funnel_table.values.n.iloc[0]
    assert rep.page.write_workbook("") is None


def test_programme_without_risk_tool_or_age_band(pages):
    rep, page = pages[None]
    prog = rep.snap.programme
    if prog.has_risk_tool:
        assert rep.risk_assessment() is not None
        return
    assert rep.risk_assessment() is None
    assert "Assessed with" not in " ".join(rep.funnel_table.values.label)
    assert "three criteria" in plain(rep.list_size()) and "The three criteria are" in plain(rep.methods())
    route = next(t for t in rep.page.tables if t.name == "referrals_by_route")
    assert {"Police", "Agency"} <= set(route.values.route)
    ages = set(rep.table_one.values.query("characteristic == 'Age at listing'").category)
    assert "31 and over" not in ages and ages <= {"Under 18", "18-24", "25-34", "35-44", "45 and over"}


def test_the_page_count_withholds_small_counts(pages):
    """The compatibility helper count_phrase is gone: the page's count is the one rule (and it rounds)."""
    page = pages[None][0].page
    assert page.count(None) == "fewer than 10 people" and page.count(3) == "fewer than 10 people"
    assert page.count(12) == "10 people" and page.count(0, "offences") == "0 offences"


def test_sentences_are_published_text(pages):
    rep, _ = pages[None]
    assert isinstance(rep.brief(), Section)
    assert all(hasattr(i, "html") for i in rep.engagement().items)


# ------------------------------------------------------------------------------------------ wording and layout
def test_labels_are_in_sentence_case_and_code_names_stay_in_the_appendix(pages):
    for key, (rep, page) in pages.items():
        cats = set(rep.table_one.values.category)
        assert not {c for c in cats if c[:1].islower()}, (key, cats)
        pathway = next((t for t in rep.page.tables if t.name == "referrals_by_pathway"), None)
        if pathway is not None:
            names = set(pathway.values.pathway)
            assert all(n[:1].isupper() and "_" not in n for n in names), names
            assert names & set(PATHWAY_LABELS.values()) or rep.snap.programme.id != "hiow"
        body = _body(page)
        for code in ("foundation_eval", "first_engagement_frame", "protect_units", "page.estimate", "fixed_window",
                     "monthly_list_size"):
            assert code not in body, (key, code)
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", body), (key, re.search(r"\b[a-z]+_[a-z_]+\b", body))
        appendix = plain(rep.appendix())
        assert "foundation_eval.evaluation.areas.fit_areas" in appendix and "kaplan_meier" in appendix
        # one verb for reoffending on every page
        assert "committed a further" not in plain(page)


def test_curves_are_drawn_in_gated_steps_and_the_legend_is_boxed_outside(tiny):
    """A curve steps only by groups of at least 10 events among at least 10 people, each step from the published
    counts; a group that never gathers 10 events is not drawn at all."""
    _, _, snap = tiny
    page = Page(snap, "Test")
    t = pd.DataFrame({"time": [1.0, 2.0, 3.0, 4.0, 5.0], "at_risk": [60, 54, 47, 38, 30], "events": [6, 7, 9, 8, 1]})
    few = pd.DataFrame({"time": [22.0, 30.0], "at_risk": [10, 9], "events": [1, 1]})  # one person on day 22
    ax, steps = km_chart(page, [("Police alone", few), ("With practitioners", t)], "Days", "Percent", 10, "Title")
    assert [s.label for s in steps] == ["With practitioners"] and len(ax.lines) == 1
    drawn = steps[0].table
    assert drawn.time.tolist() == [2.0, 4.0]  # 6 + 7 events, then 9 + 8
    assert drawn.events.tolist() == [15.0, 15.0] and drawn.at_risk.tolist() == [60.0, 45.0]  # rounded to 5
    assert drawn.estimate.iloc[0] == pytest.approx(15 / 60)
    # each step's value at its last event time, from the published counts, joined by straight lines
    assert list(ax.lines[0].get_xdata()) == [0.0, 2.0, 4.0]
    assert list(ax.lines[0].get_ydata()) == pytest.approx([0.0, 25.0, 100 * (1 - (45 / 60) * (30 / 45))])
    legend = ax.get_legend()
    assert legend.get_frame_on() and legend.get_bbox_to_anchor().y0 < ax.get_window_extent().y0
    assert [x.get_text() for x in legend.get_texts()] == ["With practitioners"]
    assert km_chart(page, [("Police alone", few)], "Days", "Percent", 10, "Title") == (None, [])


def test_every_curve_on_every_page_is_gated(pages):
    for key, (rep, _) in pages.items():
        curves = [(team, c) for team, c in rep.area.engagement_curves.items()] + [
            ("here", rep.area.reoffending_curve), ("force", rep.force.reoffending_curve)]
        for label, c in curves:
            ax, steps = km_chart(rep.page, [(label, c)], "x", "y", 10, "t")
            if ax is not None:
                plt.close(ax.figure)
            for s in steps:
                assert s.gated and (s.table.events >= rep.threshold).all() and (s.table.at_risk >= rep.threshold).all()
                assert (s.table.at_risk - s.table.events >= rep.threshold).all(), (key, label)
        facts = rep.page.facts()
        assert not [u for u in facts.unaudited if u.startswith("figure without its data")], key


# ------------------------------------------------------------------------------------------ notebook
def test_notebook_reads_as_an_analysis():
    nb = json.loads(NOTEBOOK.read_text())
    assert nb["nbformat"] == 4 and nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] is None and c["outputs"] == [] for c in code)
    assert "parameters" in code[0]["metadata"]["tags"] and "workbook_path" in "".join(code[0]["source"])
    assert "open_snapshot(snapshot_dir, programme)" in "".join(code[1]["source"])
    assert "study_for_period(snap, period_start, period_end)" in "".join(code[2]["source"])
    assert "show(report.header(), report.brief())" in "".join(code[4]["source"])  # the brief first
    assert "report.page.write_workbook(workbook_path)" in "".join(code[-1]["source"])
    for c in code[1:]:
        lines = [x for x in "".join(c["source"]).splitlines() if x.strip() and not x.lstrip().startswith("#")]
        assert 1 <= len(lines) <= 3, c["source"]
    source = "".join("".join(c["source"]) for c in nb["cells"])
    assert not re.search(r"sections\(\)\s*\[|\[\d+\]", source)
    shown = "".join("".join(c["source"]) for c in code)
    for part in ("list_size", "who_was_listed", "risk_assessment", "funnel", "engagement", "referrals", "reoffending",
                 "methods", "appendix"):
        assert f"report.{part}()" in shown, part
    # the markdown reaches the published page: plain words for the reader, no code names
    prose = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert prose and not re.search(r"`|\b[a-z]+_[a-z_]+\b|\w\(", prose)


def test_notebook_runs_under_papermill_on_the_small_force(tiny, tmp_path):
    import papermill as pm

    pid, snap_dir, snap = tiny
    district = snap.programme.districts[-1].name
    book = tmp_path / "district.xlsx"
    out = pm.execute_notebook(str(NOTEBOOK), str(tmp_path / "out.ipynb"), kernel_name="python3", progress_bar=False,
                              parameters={"snapshot_dir": str(snap_dir), "programme": pid, "district": district,
                                          "workbook_path": str(book)})
    html = "".join(o.get("data", {}).get("text/html", "") for c in out.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    assert "Summary" in html and district in html and "Traceback" not in html
    assert html.index("Summary") < html.index("List size")
    assert not SMALL_COUNT.search(plain(html))
    assert book.exists() and book.stat().st_size > 0


def test_district_pages_read_only_the_reduced_tables(tiny):
    # a district page costs the same at national scale as in the demo: it never reads an event table,
    # and what it compares with across the force is built once for every page of the render
    from foundation_eval.evaluation.snapshot import release_tables

    _, snap_dir, snap = tiny
    assert open_snapshot(snap_dir, snap.programme) is snap  # one read per process
    release_tables()
    assert snap.dataset.tables.loaded == frozenset()
    first = DistrictReport(snap, snap.programme.districts[0].id)
    first.html()
    second = DistrictReport(snap, snap.programme.districts[1].id)
    second.html()
    DistrictReport(snap, None).html()
    assert snap.dataset.tables.loaded == frozenset(), sorted(snap.dataset.tables.loaded)
    assert second.study is first.study and second.force is first.force
