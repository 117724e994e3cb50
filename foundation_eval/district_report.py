"""Content of a district report: every table, figure and sentence, already disclosure-controlled.

The district notebook only calls these methods and displays what they return (HTML strings), so the
notebook holds no statistics of its own and everything here is unit-tested.
"""
from __future__ import annotations

import datetime as _dt
import html
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from . import __version__
from .cohort import monthly_list_size, person_frame, ppit_distribution, select, table_one
from .data import Dataset
from .disclosure import Protected, protect, rule_text
from .engagement import funnel
from .figures import funnel_plot, list_size_plot, ppit_histogram, to_html

__all__ = ["DistrictReport", "table_html", "count_phrase"]


def table_html(protected: Protected, formats: dict | None = None, caption: str | None = None,
               rename: dict | None = None) -> str:
    """HTML for a protected table (withheld cells shown as [c])."""
    shown = protected.display(formats)
    if rename:
        shown = shown.rename(columns=rename)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    body = shown.to_html(index=False, classes="fe-table", border=0, escape=True)
    return body.replace('<table border="0" class="dataframe fe-table">', f'<table class="fe-table">{cap}', 1)


def count_phrase(value, threshold: int, noun: str = "people") -> str:
    """A count for a sentence, never revealing a suppressed value."""
    if value is None or pd.isna(value):
        return f"fewer than {threshold} {noun}"
    return f"{int(value):,} {noun}"


def _pct(value) -> str:
    return "[c]" if value is None or pd.isna(value) else f"{value:.0f}%"


@dataclass
class DistrictReport:
    """All content of one district's report.

    Parameters
    ----------
    ds : Dataset
    district : str
        District id or name; ``None`` or ``"force"`` for the whole force.
    start, end : str, optional
        First and last month (YYYY-MM) of listings to include; default the study period.
    """

    ds: Dataset
    district: str | None = None
    start: str | None = None
    end: str | None = None

    def __post_init__(self):
        prog = self.ds.programme
        if self.district in (None, "", "force", "all"):
            self.district_id = None
            self.name = f"{prog.force or prog.name} (all districts)"
            self.go_live = None
        else:
            d = prog.district(self.district)
            self.district_id, self.name, self.go_live = d.id, d.name, d.go_live
        self.start = self.start or str(prog.study_start)
        self.end = self.end or str(prog.study_end)
        self.threshold = prog.disclosure_threshold

    # ------------------------------------------------------------------ frames
    @cached_property
    def persons(self) -> pd.DataFrame:
        return select(person_frame(self.ds), self.district_id, self.start, self.end)

    @cached_property
    def listed(self) -> pd.DataFrame:
        return self.persons[self.persons.listed]

    @cached_property
    def list_sizes(self) -> Protected:
        sizes = monthly_list_size(self.ds, self.district_id, self.start, self.end)
        return protect(sizes, ["screened", "eligible", "listed"], self.threshold, additive=False)

    @cached_property
    def table_one(self) -> Protected:
        return protect(table_one(self.listed), {"n": ["percent"]}, self.threshold, additive_within="characteristic")

    @cached_property
    def ppit(self) -> Protected:
        dist = ppit_distribution(self.listed, self.ds.programme.ppit_max)
        return protect(dist, ["n"], self.threshold)

    @cached_property
    def funnel(self) -> Protected:
        res = funnel(self.ds, self.persons)
        return protect(res.table(), {"n": ["percent", "ci_low", "ci_high", "percent_of_previous"]}, self.threshold,
                       additive=False)

    # ------------------------------------------------------------------ sections (HTML)
    def title(self) -> str:
        prog = self.ds.programme
        return (f"<h1>{html.escape(prog.name)}: {html.escape(self.name)}</h1>"
                f"<p class='fe-sub'>District report, listings {self.start} to {self.end}. "
                f"{'Synthetic demonstration data. ' if self.is_synthetic else ''}</p>")

    @property
    def is_synthetic(self) -> bool:
        return self.ds.programme.illustrative

    def summary(self) -> str:
        """Executive summary: 3-6 plain-English sentences generated from the results."""
        f = self.funnel.table.set_index("stage")
        t = self.threshold
        n_listed = f.at["listed", "n"]
        sizes = self.list_sizes.table
        live = sizes if self.go_live is None else sizes[sizes.month >= self.go_live]
        avg = live.listed.mean() if len(live) and live.listed.notna().all() else None
        s = []
        where = f"in {self.name}" if self.district_id else "across the force"
        s.append(f"Between {self.start} and {self.end}, {count_phrase(n_listed, t)} were put on the programme list "
                 f"{where}" + (f", on average {avg:.0f} a month once the programme was live." if avg else "."))
        if self.go_live is not None:
            s.append(f"The programme went live here in {self.go_live}.")
        eng = f.loc["engaged"]
        if pd.notna(eng.percent):
            s.append(f"{_pct(eng.percent)} of listed people engaged with the team (95% interval "
                     f"{eng.ci_low:.0f}% to {eng.ci_high:.0f}%).")
        else:
            s.append(f"Fewer than {t} listed people engaged, so the share is not published.")
        st, co = f.loc["started"], f.loc["completed"]
        if pd.notna(st.percent):
            s.append(f"{_pct(st.percent)} started a referred service (95% interval {st.ci_low:.0f}% to "
                     f"{st.ci_high:.0f}%)" + (f" and {_pct(co.percent)} completed one." if pd.notna(co.percent)
                                              else f"; fewer than {t} completed one."))
        s.append("These are descriptive figures: they show what happened, not what the programme caused.")
        return "<div class='fe-summary'><h2>Summary</h2><p>" + " ".join(html.escape(x) for x in s) + "</p></div>"

    def list_size_section(self) -> str:
        sizes = self.list_sizes.table
        ax = list_size_plot(sizes, self.go_live, title=f"People meeting the criteria and listed each month: {self.name}")
        alt = (f"Line chart of the number of people meeting all five criteria and the number listed each month in "
               f"{self.name}, {self.start} to {self.end}.")
        return ("<h2>Monthly list</h2><p>Each month police data are screened against the five criteria; people in a "
                "live district who meet all five are listed.</p>" + to_html(ax, alt))

    def table_one_section(self) -> str:
        return ("<h2>Who was listed</h2><p>Characteristics of listed people at their first listing.</p>"
                + table_html(self.table_one, {"percent": "{:.0f}%"},
                             rename={"characteristic": "Characteristic", "category": "Group", "n": "People",
                                     "percent": "Percent"}))

    def ppit_section(self) -> str:
        prog = self.ds.programme
        ax = ppit_histogram(self.ppit.table, prog.ppit_threshold, title=f"PPIT total scores: {self.name}")
        alt = (f"Bar chart of the number of listed people at each PPIT total from 0 to {prog.ppit_max}; totals at or "
               f"above {prog.ppit_threshold} mark a priority perpetrator.")
        pri = self.table_one.table
        pri = pri[pri.characteristic == "PPIT assessment"].set_index("category")
        text = (f"<h2>Risk assessment</h2><p>Practitioners score listed people on the {html.escape(prog.ppit_name)} "
                f"({len(prog.ppit_items)} items, total 0 to {prog.ppit_max}; {prog.ppit_threshold} or more marks a "
                "priority perpetrator).")
        if "priority" in pri.index and pd.notna(pri.at["priority", "n"]):
            text += f" {int(pri.at['priority', 'n']):,} listed people were assessed as a priority."
        return text + "</p>" + to_html(ax, alt)

    def funnel_section(self) -> str:
        ax = funnel_plot(self.funnel.table, title=f"From listing to completed service: {self.name}")
        alt = ("Bar chart of the percentage of listed people reaching each stage: assessed, contacted, engaged, "
               "referred, started and completed a service, with 95% intervals.")
        tab = table_html(self.funnel, {"percent": "{:.1f}%", "ci_low": "{:.1f}%", "ci_high": "{:.1f}%",
                                       "percent_of_previous": "{:.0f}%"},
                         rename={"stage": "Stage key", "label": "Stage", "n": "People", "percent": "% of listed",
                                 "ci_low": "95% low", "ci_high": "95% high",
                                 "percent_of_previous": "% of previous stage"})
        return ("<h2>Engagement funnel</h2><p>People who reached each stage after their first listing. Intervals are "
                "Wilson 95% intervals.</p>" + to_html(ax, alt) + tab)

    def methods(self) -> str:
        prog = self.ds.programme
        crit = "".join(f"<li>{html.escape(label)}</li>" for _, label in prog.criteria)
        return ("<h2>Methods</h2><p>People are counted once, from their first listing (the index date). The five "
                f"criteria are:</p><ul>{crit}</ul><p>Percentages carry Wilson (1927) score intervals. Engagement means "
                "at least one contact recorded as engaged on or after the index date. Referral stages count people "
                "who reached each stage with any service.</p>")

    def disclosure(self) -> str:
        return f"<h2>Disclosure control</h2><p>{html.escape(rule_text(self.threshold))}</p>"

    def provenance(self, parameters: dict | None = None) -> str:
        params = parameters or {"district": self.district, "period_start": self.start, "period_end": self.end}
        rows = [
            ("Programme", f"{self.ds.programme.name} ({self.ds.programme.id})"),
            ("Input data SHA-256", self.ds.data_hash),
            ("foundation-eval version", __version__),
            ("Parameters", ", ".join(f"{k}={v}" for k, v in params.items())),
            ("Rendered", _dt.date.today().isoformat()),
        ]
        body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
        return f"<h2>Provenance</h2><table class='fe-table'>{body}</table>"





def report_css() -> str:
    """House style for report pages."""
    return """<style>
body, .jp-Notebook { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; color: #1a1a1a; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.4em; border-bottom: 2px solid #0072B2; }
.fe-sub { color: #555; margin-top: 0; }
.fe-summary { background: #eef5fb; border-left: 5px solid #0072B2; padding: 0.6em 1em; }
table.fe-table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
table.fe-table th, table.fe-table td { border-bottom: 1px solid #ddd; padding: 0.25em 0.7em; text-align: left; }
table.fe-table caption { caption-side: top; text-align: left; font-weight: bold; }
figure.fe-figure { margin: 0.8em 0; }
</style>"""
