"""Content of a district report: every table, figure and sentence, already disclosure-controlled.

The district notebook only calls these methods and displays what they return (HTML strings), so the
notebook holds no statistics of its own and everything here is unit-tested.
"""
from __future__ import annotations

import datetime as _dt
import html
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from foundation_eval import __version__
from foundation_eval.data.load import Dataset
from foundation_eval.frames.cohort import monthly_list_size, person_frame, ppit_bands, select, table_one
from foundation_eval.frames.outcomes import fixed_window, reoffending_frame
from foundation_eval.models.engagement import add_phase, first_engagement_frame, funnel, time_to_engagement
from foundation_eval.models.referrals import referral_frame, stage_table
from foundation_eval.reporting.disclosure import Protected, protect, rule_text
from foundation_eval.reporting.figures import (
    PALETTE,
    funnel_plot,
    list_size_plot,
    new_axes,
    ppit_histogram,
    to_html,
)
from foundation_eval.stats import wilson_interval

__all__ = ["DistrictReport", "table_html", "count_phrase", "provenance_html", "provenance_rows", "report_css"]


def table_html(protected: Protected, formats: dict | None = None, caption: str | None = None,
               rename: dict | None = None) -> str:
    """HTML for a protected table (withheld cells shown as [c])."""
    shown = protected.display(formats)
    if rename:
        shown = shown.rename(columns=rename)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    body = shown.to_html(index=False, classes="fe-table", border=0, escape=True)
    return body.replace('<table border="0" class="dataframe fe-table">', f'<table class="fe-table">{cap}', 1)


def provenance_rows(ds: Dataset, parameters: dict) -> list[tuple[str, str]]:
    """What a reader needs to reproduce a report: programme, input hash, version, parameters, date."""
    return [
        ("Programme", f"{ds.programme.name} ({ds.programme.id})"),
        ("Input data SHA-256", ds.data_hash),
        ("foundation-eval version", __version__),
        ("Parameters", ", ".join(f"{k}={v}" for k, v in parameters.items())),
        ("Rendered", _dt.date.today().isoformat()),
    ]


def provenance_html(ds: Dataset, parameters: dict) -> str:
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in provenance_rows(ds, parameters))
    return f"<h2>Provenance</h2><table class='fe-table'>{body}</table>"


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def number_word(n: int) -> str:
    """A small number in words, as a sentence would use it ("five"); digits from 11."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else f"{n:,}"


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
        self.published: dict[str, pd.DataFrame] = {}

    # ------------------------------------------------------------------ frames
    @cached_property
    def force_persons(self) -> pd.DataFrame:
        """Everyone eligible in the period, all districts (the comparison for every district figure)."""
        return add_phase(self.ds, select(person_frame(self.ds), None, self.start, self.end))

    @cached_property
    def persons(self) -> pd.DataFrame:
        f = self.force_persons
        return f if self.district_id is None else f[f.district_id == self.district_id]

    @cached_property
    def listed(self) -> pd.DataFrame:
        return self.persons[self.persons.listed]

    @cached_property
    def list_sizes(self) -> Protected:
        """Monthly counts, or quarterly ones where most live months would be suppressed."""
        cols = ["screened", "eligible", "listed"]
        monthly = protect(monthly_list_size(self.ds, self.district_id, self.start, self.end), cols, self.threshold,
                          additive=False)
        live = monthly.table.month >= (self.go_live or self.ds.programme.study_start)
        if monthly.suppressed.listed[live].mean() <= 0.3:
            return monthly
        quarterly = monthly_list_size(self.ds, self.district_id, self.start, self.end, freq="Q")
        return protect(quarterly, cols, self.threshold, additive=False)

    @cached_property
    def table_one(self) -> Protected:
        return protect(table_one(self.listed), {"n": ["percent"]}, self.threshold, additive_within="characteristic")

    @cached_property
    def ppit(self) -> Protected:
        prog = self.ds.programme
        return protect(ppit_bands(self.listed, prog.ppit_max, prog.ppit_threshold), ["n"], self.threshold)

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

    def _table(self, title: str, protected: Protected, formats: dict | None = None, caption: str | None = None,
               rename: dict | None = None) -> str:
        """HTML of a protected table, remembered for the report's workbook."""
        shown = protected.display(formats)
        self.published[title] = shown.rename(columns=rename) if rename else shown
        return table_html(protected, formats, caption, rename)

    def save_workbook(self, path) -> str:
        """Write every table this report published (plus the figures' data) to an XLSX workbook."""
        from foundation_eval.reporting.export import write_workbook

        tables = dict(self.published)
        tables.setdefault("Monthly list", self.list_sizes.display().assign(month=lambda f: f.month.astype(str)))
        if self.ds.programme.has_risk_tool:
            tables.setdefault("PPIT score bands", self.ppit.display())
        tables["Disclosure rule"] = pd.DataFrame({"rule": [rule_text(self.threshold)]})
        write_workbook(tables, path)
        return ""

    @property
    def is_synthetic(self) -> bool:
        return self.ds.programme.illustrative

    def summary(self) -> str:
        """Executive summary: 3-6 plain-English sentences generated from the results."""
        f = self.funnel.table.set_index("stage")
        t = self.threshold
        n_listed = f.at["listed", "n"]
        sizes = self.list_sizes.table
        live = sizes if self.go_live is None else sizes[sizes.month.dt.end_time >= self.go_live.start_time]
        per = "quarter" if str(sizes.month.dtype).startswith("period[Q") else "month"
        avg = live.listed.mean() if len(live) and live.listed.notna().all() else None
        s = []
        where = f"in {self.name}" if self.district_id else "across the force"
        s.append(f"Between {self.start} and {self.end}, {count_phrase(n_listed, t)} were put on the programme list "
                 f"{where}" + (f", on average {avg:.0f} a {per} once the programme was live." if avg else "."))
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
        per = "quarter" if str(sizes.month.dtype).startswith("period[Q") else "month"
        n_crit = number_word(len(self.ds.programme.criteria))
        ax = list_size_plot(sizes, self.go_live, title=f"People meeting the criteria and listed each {per}: {self.name}",
                            eligible_label=f"Met all {n_crit} criteria")
        alt = (f"Line chart of the number of people meeting all {n_crit} criteria and the number listed each month in "
               f"{self.name}, {self.start} to {self.end}.")
        note = (" Counts here are of people per quarter: monthly counts in this area are mostly too small to publish."
                if per == "quarter" else "")
        return (f"<h2>Monthly list</h2><p>Each month police data are screened against the {n_crit} criteria; people "
                f"in a live district who meet all {n_crit} are listed.{note}</p>" + to_html(ax, alt))

    def table_one_section(self) -> str:
        return ("<h2>Who was listed</h2><p>Characteristics of listed people at their first listing.</p>"
                + self._table("Who was listed", self.table_one, {"percent": "{:.0f}%"},
                             rename={"characteristic": "Characteristic", "category": "Group", "n": "People",
                                     "percent": "Percent"}))

    def ppit_section(self) -> str:
        """Risk-tool scores of listed people; empty for a programme without a risk tool."""
        prog = self.ds.programme
        if not prog.has_risk_tool:
            return ""
        ax = ppit_histogram(self.ppit.table, prog.ppit_threshold, title=f"PPIT total scores: {self.name}")
        alt = (f"Bar chart of the number of listed people in bands of PPIT total from 0 to {prog.ppit_max}; totals at or "
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
        stages = ", ".join(k for k in self.funnel.table.stage if k not in ("listed", "completed"))
        alt = (f"Bar chart of the percentage of listed people reaching each stage: {stages} and completed a service, "
               "with 95% intervals.")
        tab = self._table("Engagement funnel", self.funnel, {"percent": "{:.1f}%", "ci_low": "{:.1f}%", "ci_high": "{:.1f}%",
                                       "percent_of_previous": "{:.0f}%"},
                         rename={"stage": "Stage key", "label": "Stage", "n": "People", "percent": "% of listed",
                                 "ci_low": "95% low", "ci_high": "95% high",
                                 "percent_of_previous": "% of previous stage"})
        return ("<h2>Engagement funnel</h2><p>People who reached each stage after their first listing. Intervals are "
                "Wilson 95% intervals.</p>" + to_html(ax, alt) + tab)


    # ------------------------------------------------------------------ outcome sections
    def _share(self, k: int, n: int) -> dict:
        """A proportion with its Wilson interval, withheld when either count is below the threshold."""
        if n < self.threshold or 0 < k < self.threshold or 0 < n - k < self.threshold:
            return {"k": None, "n": n if n >= self.threshold else None, "pct": None, "low": None, "high": None}
        lo, hi = wilson_interval(k, n)
        return {"k": k, "n": n, "pct": 100 * k / n, "low": 100 * lo, "high": 100 * hi}

    def _compare_sentence(self, what: str, here: dict, force: dict) -> str:
        where = f"In {self.name}" if self.district_id else "Across the force"
        if here["pct"] is None:
            return f"{where}, too few people to publish the share who {what} (fewer than {self.threshold} in a group)."
        s = (f"{where}, {here['pct']:.0f}% of listed people {what} (95% interval {here['low']:.0f}% to "
             f"{here['high']:.0f}%, {here['n']:,} people)")
        if self.district_id and force["pct"] is not None:
            s += f", against {force['pct']:.0f}% ({force['low']:.0f}% to {force['high']:.0f}%) across the force"
        return s + "."

    @cached_property
    def engagement_frames(self):
        window = self.ds.programme.engagement_window_days
        out = {}
        for key, persons in (("here", self.persons), ("force", self.force_persons)):
            f = first_engagement_frame(self.ds, persons)
            within = (f.event == 1) & (f.days <= window)
            out[key] = self._share(int(within.sum()), len(f))
        return out

    def engagement_section(self) -> str:
        window = self.ds.programme.engagement_window_days
        e = self.engagement_frames
        sentence = self._compare_sentence(f"engaged within {window} days of listing", e["here"], e["force"])
        tte = time_to_engagement(self.ds, self.persons, by="team", horizon_days=window)
        tab = tte.table()
        # the teams partition the area's listed people, whose total is published: protect as additive counts
        tab = protect(tab, {"people": [], "engaged": ["percent_by_horizon", "ci_low", "ci_high"]}, self.threshold,
                      additive=True)
        html_tab = self._table("Engagement by team", tab, {"percent_by_horizon": "{:.0f}%", "ci_low": "{:.0f}%", "ci_high": "{:.0f}%"},
                              rename={"group": "Team at listing", "people": "People", "engaged": "Ever engaged",
                                      "percent_by_horizon": f"% engaged by day {window}", "ci_low": "95% low",
                                      "ci_high": "95% high"})
        fig = ""
        if tab.table.people.notna().all() and len(tab.table):
            ax = tte.plot()
            ax.set_title(f"Time to first engagement by team: {self.name}")
            fig = to_html(ax, f"Cumulative percentage of listed people engaged by days since first listing, for people "
                              f"listed while police worked alone and after practitioners joined, in {self.name}.")
        caveat = ("People listed after practitioners joined engaged more often, but they were also listed later, so "
                  "part of the difference may come from other changes over time.")
        return (f"<h2>Engagement</h2><p>{html.escape(sentence)}</p>{fig}{html_tab}<p>{html.escape(caveat)}</p>")

    @cached_property
    def referral_frames(self):
        out = {}
        for key, persons in (("here", self.persons), ("force", self.force_persons)):
            listed = persons[persons.listed]
            refs = referral_frame(self.ds, listed)
            started = refs[refs.started].person_id.nunique()
            out[key] = (refs, self._share(int(started), len(listed)))
        return out

    def referral_section(self) -> str:
        refs, here = self.referral_frames["here"]
        _, force = self.referral_frames["force"]
        sentence = self._compare_sentence("started at least one referred service", here, force)
        if len(refs):
            st = stage_table(refs, by="pathway")
            st = st[st.pathway != "All"]  # a total row would reveal a single suppressed pathway
            st["pathway"] = st.pathway.str.replace("_", " ")
            tab = protect(st, {"referred": ["start_pct", "start_low", "start_high"], "accepted": [],
                               "started": ["start_pct", "start_low", "start_high", "complete_pct", "complete_low",
                                           "complete_high"],
                               "completed": ["complete_pct", "complete_low", "complete_high"], "dropped": []},
                          self.threshold, additive=True)
            body = self._table("Referrals by pathway", tab, {c: "{:.0f}%" for c in ("start_pct", "start_low", "start_high", "complete_pct",
                                                             "complete_low", "complete_high")},
                              rename={"pathway": "Pathway", "referred": "Referred", "accepted": "Accepted",
                                      "started": "Started", "completed": "Completed", "dropped": "Dropped",
                                      "start_pct": "% started", "start_low": "95% low", "start_high": "95% high",
                                      "complete_pct": "% of starters completing", "complete_low": "95% low",
                                      "complete_high": "95% high"})
        else:
            body = "<p>No referrals were recorded.</p>"
        body += self._extra_column_tables(refs)
        return (f"<h2>Referrals</h2><p>{html.escape(sentence)} The table counts referrals (a person may have several) "
                f"by reducing-reoffending pathway.</p>{body}")

    def _extra_column_tables(self, refs: pd.DataFrame) -> str:
        """Referral stages by each programme-specific column of referrals with allowed values (e.g. a
        referral route); nothing for a programme without such columns."""
        out = ""
        for col in self.ds.programme.columns_for("referrals"):
            if col.values is None or col.name not in refs or not len(refs):
                continue
            st = stage_table(refs.assign(**{col.name: refs[col.name].fillna("not recorded")}), by=col.name)
            st = st[st[col.name] != "All"]
            st[col.name] = st[col.name].str.replace("_", " ")
            tab = protect(st, {"referred": ["start_pct", "start_low", "start_high"], "accepted": [],
                               "started": ["start_pct", "start_low", "start_high", "complete_pct", "complete_low",
                                           "complete_high"],
                               "completed": ["complete_pct", "complete_low", "complete_high"], "dropped": []},
                          self.threshold, additive=True)
            heading = col.name.replace("_", " ").capitalize()
            out += f"<p>{html.escape(col.description)}</p>" + self._table(
                f"Referrals by {col.name.replace('_', ' ')}", tab,
                {c: "{:.0f}%" for c in ("start_pct", "start_low", "start_high", "complete_pct", "complete_low",
                                        "complete_high")},
                rename={col.name: heading, "referred": "Referred", "accepted": "Accepted", "started": "Started",
                        "completed": "Completed", "dropped": "Dropped", "start_pct": "% started",
                        "start_low": "95% low", "start_high": "95% high", "complete_pct": "% of starters completing",
                        "complete_low": "95% low", "complete_high": "95% high"})
        return out

    @cached_property
    def reoffending_frames(self):
        out = {}
        for key, persons in (("here", self.persons), ("force", self.force_persons)):
            r = reoffending_frame(self.ds, persons[persons.listed])
            w = fixed_window(r, 12, self.ds.extract_date)
            out[key] = (r, w, self._share(int(w.frame.outcome.sum()), len(w.frame)))
        return out

    def reoffending_section(self) -> str:
        from foundation_eval.models.reoffending import bootstrap_ratio, event_rate, kaplan_meier

        r, w, here = self.reoffending_frames["here"]
        rf, _, force = self.reoffending_frames["force"]
        sentence = self._compare_sentence("committed a further domestic-abuse offence within 12 months", here, force)
        parts = [f"<h2>Reoffending</h2><p>{html.escape(sentence)} {html.escape(w.note())}</p>"]
        if len(r) >= self.threshold:
            ax = new_axes()
            curves = [(self.name, r, PALETTE[0])] + ([("Whole force", rf, PALETTE[1])] if self.district_id else [])
            for label, frame, colour in curves:
                km = kaplan_meier(frame.time_days.to_numpy() / 30.4375, frame.event.to_numpy(), label=label)
                t = km.table()
                t = t[t.at_risk >= self.threshold]  # never draw a curve on fewer people than the threshold
                x = np.concatenate([[0.0], t.time])
                ax.step(x, 100 * (1 - np.concatenate([[1.0], t.survival])), where="post", color=colour, label=label)
                ax.fill_between(x, 100 * (1 - np.concatenate([[1.0], t.ci_high])),
                                100 * (1 - np.concatenate([[1.0], t.ci_low])), step="post", color=colour, alpha=0.15,
                                linewidth=0)
            ax.set_xlabel("Months since first listing")
            ax.set_ylabel("Percent with a further DA offence")
            ax.set_xlim(0, 36)
            ax.legend(loc="lower right")
            ax.set_title(f"Time to first further domestic-abuse offence: {self.name}")
            parts.append(to_html(ax, f"Kaplan-Meier curves of the cumulative percentage of listed people with a further "
                                     f"domestic-abuse offence by months since first listing, {self.name}"
                                     + (" against the whole force" if self.district_id else "")
                                     + ", with 95% intervals; curves stop where fewer than "
                                     f"{self.threshold} people remain at risk."))
            rows = []
            for label, frame in (("This area" if self.district_id else "Force", r),) + (
                    (("Whole force", rf),) if self.district_id else ()):
                er = event_rate(frame.da_count.sum(), frame.exposure_years.sum())
                harm = bootstrap_ratio(frame.harm_days.to_numpy(), frame.exposure_years.to_numpy(), n_boot=999, seed=1)
                escalated = frame[(frame.da_count > 0)]
                rows.append({"group": label, "people": len(frame), "offences": int(frame.da_count.sum()),
                             "person_years": frame.exposure_years.sum(), "rate": er.rate, "ci_low": er.ci_low,
                             "ci_high": er.ci_high, "harm_per_py": harm.estimate, "harm_low": harm.ci_low,
                             "harm_high": harm.ci_high, "new_victim": int(frame.new_victim.sum()),
                             "escalated": int((escalated.max_harm_after > escalated.max_harm_before).sum())})
            derived = ["person_years", "rate", "ci_low", "ci_high", "harm_per_py", "harm_low", "harm_high"]
            tab = protect(pd.DataFrame(rows), {"people": derived, "offences": derived, "new_victim": [],
                                               "escalated": []}, self.threshold, additive=False)
            parts.append(self._table("Reoffending rates", tab, {"person_years": "{:,.0f}", "rate": "{:.2f}", "ci_low": "{:.2f}",
                                          "ci_high": "{:.2f}", "harm_per_py": "{:,.0f}", "harm_low": "{:,.0f}",
                                          "harm_high": "{:,.0f}"},
                                    rename={"group": "", "people": "People", "offences": "DA offences",
                                            "person_years": "Person-years", "rate": "Per person-year",
                                            "ci_low": "95% low (exact)", "ci_high": "95% high (exact)",
                                            "harm_per_py": "Harm (CHI days) per person-year",
                                            "harm_low": "95% low (bootstrap)", "harm_high": "95% high (bootstrap)",
                                            "new_victim": "People offending against a new victim",
                                            "escalated": "People whose worst offence was more harmful than before"}))
        parts.append("<p>These figures describe listed people; they are not a comparison with people who were not "
                     "listed, so they do not show what the programme caused. The evaluation report estimates that.</p>")
        return "".join(parts)

    def methods(self) -> str:
        prog = self.ds.programme
        crit = "".join(f"<li>{html.escape(label)}</li>" for _, label in prog.criteria)
        return ("<h2>Methods</h2><p>People are counted once, from their first listing (the index date). The "
                f"{number_word(len(prog.criteria))} criteria are:</p><ul>{crit}</ul><p>Percentages carry Wilson (1927) score intervals. Engagement means "
                "at least one contact recorded as engaged on or after the index date. Referral stages count people "
                "who reached each stage with any service.</p>")

    def disclosure(self) -> str:
        return f"<h2>Disclosure control</h2><p>{html.escape(rule_text(self.threshold))}</p>"

    def provenance(self, parameters: dict | None = None) -> str:
        params = parameters or {"district": self.district, "period_start": self.start, "period_end": self.end}
        return provenance_html(self.ds, params)





def report_css() -> str:
    """House style for report pages."""
    return """<style>
body, .jp-Notebook { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; color: #1a1a1a; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.4em; border-bottom: 2px solid #0072B2; }
.fe-sub { color: #555; margin-top: 0; }
.fe-summary { background: #eef5fb; border-left: 5px solid #0072B2; padding: 0.6em 1em; }
table.fe-table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
table.fe-table th, table.fe-table td { border-bottom: 1px solid #ddd; padding: 0.25em 0.7em; text-align: left !important; }
.jp-RenderedHTMLCommon table.fe-table td, .jp-RenderedHTMLCommon table.fe-table th { text-align: left !important; }
table.fe-table caption { caption-side: top; text-align: left; font-weight: bold; }
figure.fe-figure { margin: 0.8em 0; }
</style>"""
