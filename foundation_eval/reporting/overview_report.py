"""Content of the force overview for the Police and Crime Commissioner.

All districts side by side on funnel plots (Spiegelhalter 2005) rather than league tables, a page
mapped to the five commissioning outcomes and the four pillars of risk management plans, the headline
estimates with their design and Maryland Scientific Methods Scale level, a methods appendix, the
disclosure rule and provenance. Every table and figure here has passed disclosure control; the
notebook ``notebooks/force_overview.ipynb`` only displays what these methods return.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.frames.cohort import person_frame, select
from foundation_eval.frames.outcomes import fixed_window, offence_frame, reoffending_frame
from foundation_eval.models.engagement import add_phase, first_engagement_frame, person_engagement
from foundation_eval.models.funnel_plot import FunnelPlotResult, funnel_plot
from foundation_eval.models.referrals import referral_frame
from foundation_eval.reporting.disclosure import Protected, protect, protect_units, rule_text
from foundation_eval.reporting.district_report import count_phrase, number_word, provenance_html, table_html
from foundation_eval.reporting.figures import PALETTE, new_axes, to_html
from foundation_eval.stats import wilson_interval

__all__ = ["OverviewReport", "PublishedTable", "share", "COMMISSIONING_OUTCOMES", "RMP_PILLARS"]

COMMISSIONING_OUTCOMES = (
    "Identification and intervention",
    "Reduction of repeat abusive behaviour",
    "Victim safety",
    "Health and wellbeing",
    "Multi-agency response",
)
RMP_PILLARS = (
    ("supervision", "Supervision"),
    ("monitoring_control", "Monitoring and control"),
    ("interventions_treatment", "Interventions and treatment"),
    ("victim_safety", "Victim safety"),
)
HEALTH_PATHWAYS = ("health", "drugs_alcohol")
PLAIN_POSITIONS = {"within 95%": "inside the limits", "above 95%": "above the 95% limit",
                   "below 95%": "below the 95% limit", "above 99.8%": "above the 99.8% limit",
                   "below 99.8%": "below the 99.8% limit"}

# plain-English names and display scales of the headline estimates (names as in truth.json)
ESTIMATE_LABELS = {
    "engagement_rd_practitioner": ("Engaging within the engagement window: practitioners on the team vs police alone",
                                   "difference, percentage points", 100.0),
    "referral_start_rd_programme": ("Starting a referred service within 12 months: listed people vs people eligible "
                                    "before go-live", "difference, percentage points", 100.0),
    "reoffending_12m_rd_programme": ("Further domestic-abuse offence within 12 months: listed people vs people "
                                     "eligible before go-live", "difference, percentage points", 100.0),
    "reoffending_hr_programme": ("Rate of a first further domestic-abuse offence: listed people vs people eligible "
                                 "before go-live", "hazard ratio (below 1 = fewer offences)", 1.0),
    "ppit_auc_12m": ("How well the PPIT total picks out who reoffends within 12 months",
                     "area under the ROC curve (0.5 = chance, 1 = perfect)", 1.0),
    "ppit_icc2_total": ("Agreement of two assessors on the PPIT total", "intraclass correlation (1 = perfect)", 1.0),
}


def share(k, n, threshold: int, level: float = 0.95) -> dict:
    """A proportion with its Wilson interval, withheld when ``n``, ``k`` or ``n - k`` is 1 to threshold-1.

    Returns ``{"k", "n", "pct", "low", "high"}`` (percentages); withheld values are ``None``.
    """
    k, n = int(k), int(n)
    if n < threshold or 0 < k < threshold or 0 < n - k < threshold:
        return {"k": None, "n": n if n >= threshold else None, "pct": None, "low": None, "high": None}
    lo, hi = wilson_interval(k, n, level)
    return {"k": k, "n": n, "pct": 100 * k / n, "low": 100 * lo, "high": 100 * hi}


@dataclass(frozen=True)
class PublishedTable:
    """A disclosure-controlled table ready to publish (HTML page, XLSX sheet).

    Attributes
    ----------
    name : str
        Short key (sheet name).
    title : str
    protected : Protected
    counts : tuple of str
        Columns holding counts of people or records (checked against the threshold in tests).
    formats, rename : dict
        Display formats per column and column headings.
    """

    name: str
    title: str
    protected: Protected
    counts: tuple[str, ...] = ()
    formats: dict = field(default_factory=dict)
    rename: dict = field(default_factory=dict)

    def display(self) -> pd.DataFrame:
        """Strings for publication, withheld cells as [c], columns renamed."""
        return self.protected.display(self.formats).rename(columns=self.rename)

    def html(self, caption: bool = False) -> str:
        return table_html(self.protected, self.formats, self.title if caption else None, self.rename)


def _drop(p: Protected, columns) -> Protected:
    cols = [c for c in columns if c in p.table.columns]
    return Protected(p.table.drop(columns=cols), p.suppressed.drop(columns=cols), p.threshold, p.n_primary,
                     p.n_secondary)


def _insert(p: Protected, loc: int, name: str, values) -> Protected:
    t, s = p.table.copy(), p.suppressed.copy()
    t.insert(loc, name, list(values))
    s.insert(loc, name, False)
    return Protected(t, s, p.threshold, p.n_primary, p.n_secondary)


def _typed(ds: Dataset) -> Dataset:
    """The dataset with absent optional tables given their schema's column types (empty, but datetimes are
    datetimes), so that every analysis runs on an extract without, say, risk management plans."""
    from dataclasses import replace
    from types import MappingProxyType

    from foundation_eval.schemas import load_schemas

    schemas = load_schemas()
    kinds = {"date": "datetime64[ns]", "boolean": "boolean", "integer": "Int64", "number": "float",
             "yearmonth": "period[M]"}
    tables, changed = dict(ds.tables), False
    for name, frame in ds.tables.items():
        if len(frame) or name not in schemas:
            continue
        cols = {f.name: pd.Series(dtype=kinds.get(f.type, object)) for f in schemas[name].fields}
        tables[name] = pd.DataFrame(cols)
        changed = True
    return replace(ds, tables=MappingProxyType(tables)) if changed else ds


def _absent(ds: Dataset) -> list[str]:
    """Optional tables the extract did not include (from the loader's warnings)."""
    return [name for name in ds.tables if f"optional table {name} is absent" in " ".join(ds.warnings)]


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _pp(x: float) -> str:
    """A risk difference (proportion) as signed percentage points, in words."""
    v = 100 * x
    if abs(v) < 0.05:
        return "no different"
    return f"{abs(v):.1f} percentage points {'higher' if v > 0 else 'lower'}"


def _signed(x: float, digits: int = 1) -> str:
    return f"{x:+.{digits}f}".replace("-", "\u2212")


@dataclass
class OverviewReport:
    """All content of the force overview.

    Parameters
    ----------
    ds : Dataset
    start, end : str, optional
        First and last month (YYYY-MM) of first listings to include; default the study period.
    estimates : list of Estimate, optional
        Headline estimates already computed (e.g. once for a whole render); computed here if absent.
    """

    ds: Dataset
    start: str | None = None
    end: str | None = None
    estimates: list | None = None

    def __post_init__(self):
        self.absent = frozenset(_absent(self.ds))
        self.ds = _typed(self.ds)
        self.estimate_failures: dict[str, str] = {}
        prog = self.ds.programme
        self.name = prog.force or prog.name
        self.start = self.start or str(prog.study_start)
        self.end = self.end or str(prog.study_end)
        self.threshold = prog.disclosure_threshold
        self.window = prog.engagement_window_days
        order = sorted(prog.districts, key=lambda d: (d.go_live, d.name))
        self.districts = pd.DataFrame({"district_id": [d.id for d in order], "name": [d.name for d in order],
                                       "go_live": [str(d.go_live) for d in order], "pilot": [d.pilot for d in order]})

    # ------------------------------------------------------------------ frames
    @cached_property
    def persons(self) -> pd.DataFrame:
        """Eligible people with their first listing or eligibility in the period (all districts)."""
        return add_phase(self.ds, select(person_frame(self.ds), None, self.start, self.end))

    @cached_property
    def listed(self) -> pd.DataFrame:
        return self.persons[self.persons.listed]

    @cached_property
    def engaged_in_window(self) -> pd.DataFrame:
        """Listed people with ``engaged`` (first engaged contact within the engagement window)."""
        f = first_engagement_frame(self.ds, self.persons)
        f["engaged"] = (f.event == 1) & (f.days <= self.window)
        return f

    @cached_property
    def reoffending(self) -> pd.DataFrame:
        return reoffending_frame(self.ds, self.listed)

    @cached_property
    def year(self) -> pd.DataFrame:
        """Listed people observed for a whole year, with ``outcome`` (DA reoffence), ``started_12m`` and
        ``new_victim_12m``."""
        w = fixed_window(self.reoffending, 12, self.ds.extract_date).frame.copy()
        close = w.set_index("person_id").index_date + pd.DateOffset(months=12)
        refs = referral_frame(self.ds, self.listed)
        st = refs[refs.started & (refs.started_date < refs.person_id.map(close))]
        w["started_12m"] = w.person_id.isin(st.person_id)
        off = offence_frame(self.ds, self.listed)
        nv = off[off.da_flag.astype(bool) & off.new_victim & off.observed
                 & (off.offence_date <= off.person_id.map(close))]
        w["new_victim_12m"] = w.person_id.isin(nv.person_id)
        return w

    @cached_property
    def referrals(self) -> pd.DataFrame:
        return referral_frame(self.ds, self.listed)

    @cached_property
    def plans(self) -> pd.DataFrame:
        """Risk management plans of listed people agreed on or after their first listing."""
        rmp = self.ds.rmps.merge(self.listed[["person_id", "index_date", "district_id"]], on="person_id")
        return rmp[rmp.rmp_date >= rmp.index_date].reset_index(drop=True)

    @cached_property
    def headline(self) -> list:
        """Headline estimates (``estimates.headline_estimates``). Should one fail on this extract (say, no
        PPIT assessments), the others are computed one by one and the failures are named in
        ``estimate_failures``."""
        if self.estimates is not None:
            return list(self.estimates)
        from foundation_eval.evaluation import estimates as est

        try:
            return est.headline_estimates(self.ds)
        except Exception:  # noqa: BLE001 - fall back to the estimators that can run
            frame = est.analysis_frame(self.ds)
            out = []
            for f in est.estimators_for(self.ds.programme):
                try:
                    out.append(f(self.ds, frame))
                except Exception as exc:  # noqa: BLE001
                    self.estimate_failures[f.__name__] = f"{type(exc).__name__}: {exc}"
            return out

    # ------------------------------------------------------------------ funnels
    def _by_district(self, frame: pd.DataFrame, flag: str) -> pd.DataFrame:
        g = frame.groupby("district_id")[flag].agg(["sum", "size"])
        d = self.districts.set_index("district_id").join(g).fillna({"sum": 0, "size": 0})
        d = d[d["size"] > 0]
        return d.reset_index().rename(columns={"sum": "k", "size": "n"})

    @cached_property
    def funnels(self) -> dict:
        """``{key: (title, measure, FunnelPlotResult, protected table, result with withheld units)}``."""
        specs = (
            ("engagement", f"Engaged within {self.window} days of listing", f"engaged within {self.window} days",
             self.engaged_in_window, "engaged", "listed people"),
            ("referral", "Started a referred service within 12 months", "starting a service within 12 months",
             self.year, "started_12m", "listed people observed for a year"),
            ("reoffending", "Further domestic-abuse offence within 12 months",
             "with a further DA offence within 12 months", self.year, "outcome", "listed people observed for a year"),
        )
        needs = {"engagement": "contacts", "referral": "referrals"}
        out = {}
        for key, title, measure, frame, flag, base in specs:
            if needs.get(key) in self.absent:
                out[key] = (title, measure, None, None, None, base)
                continue
            d = self._by_district(frame, flag)
            if not len(d) or d.k.sum() == 0 or d.k.sum() == d.n.sum():
                out[key] = (title, measure, None, None, None, base)
                continue
            res = funnel_plot(d.name.tolist(), d.k.astype(int), d.n.astype(int), overdispersion="auto",
                              measure=measure)
            prot, shown = protect_units(res, self.threshold)
            prot = _insert(prot, 1, "go_live", d.go_live)
            prot.table["position"] = prot.table.position.map(PLAIN_POSITIONS)
            out[key] = (title, measure, res, prot, shown, base)
        return out

    # ------------------------------------------------------------------ sections (HTML)
    @property
    def is_synthetic(self) -> bool:
        return self.ds.programme.illustrative

    def title(self) -> str:
        prog = self.ds.programme
        return (f"<h1>{html.escape(prog.name)}: force overview</h1>"
                f"<p class='fe-sub'>For the Police and Crime Commissioner. {html.escape(self.name)}, people first "
                f"listed {self.start} to {self.end}. "
                f"{'Synthetic demonstration data: no real person is described. ' if self.is_synthetic else ''}</p>")

    def _force_share(self, frame: pd.DataFrame, flag: str) -> dict:
        return share(int(frame[flag].sum()), len(frame), self.threshold)

    def _estimate(self, name: str):
        for e in self.headline:
            if e.name == name:
                return e
        return None

    def _funnel_sentence(self) -> str:
        parts, clean, withheld = [], [], False
        for _key, (_title, measure, res, _prot, shown, _base) in self.funnels.items():
            if res is None:
                continue
            withheld |= bool(shown.withheld)
            above, below = shown.outside(side="above"), shown.outside(side="below")
            bits = []
            if above:
                bits.append(f"{_join(above)} above")
            if below:
                bits.append(f"{_join(below)} below")
            if bits:
                parts.append(f"{' and '.join(bits)} the 99.8% limits for people {measure}")
            else:
                clean.append(measure.replace("with a further", "a further"))
        every = "every district shown" if withheld else "every district"
        drawn = sum(v[2] is not None for v in self.funnels.values())
        if not drawn:
            return "No funnel plot could be drawn from this extract."
        which = {3: "all three measures", 2: "both measures"}.get(drawn, "the measure shown")
        if not parts:
            return (f"On the funnel plots {every} lies within the 99.8% control limits for {which}, so the "
                    "differences between districts are no larger than chance alone would often produce"
                    + (" (smaller districts are left off to protect small numbers)." if withheld else "."))
        s = "On the funnel plots, " + "; ".join(parts)
        if clean:
            s += f"; {every} lies within the limits for the other measure" + ("s" if len(clean) > 1 else "")
        return s + ": differences that large are unlikely to be chance alone and are worth looking into."

    def summary_sentences(self) -> list[str]:
        """The executive summary as a list of 3-6 plain-English sentences."""
        t = self.threshold
        s = []
        n_listed = len(self.listed)
        d_live = self.listed.district_id.nunique()
        eng = self._force_share(self.engaged_in_window, "engaged")
        first = (f"Between {self.start} and {self.end}, {count_phrase(n_listed if n_listed >= t else None, t)} were "
                 f"put on the programme list across {d_live} districts")
        if "contacts" in self.absent:
            first += "; contacts are not recorded in this extract, so engagement is not reported."
        elif eng["pct"] is not None:
            first += (f"; {eng['pct']:.0f}% of them engaged with the team within {self.window} days of listing "
                      f"(95% interval {eng['low']:.0f}% to {eng['high']:.0f}%).")
        else:
            first += f"; too few engaged within {self.window} days to publish the share."
        s.append(first)
        st, re_ = self._force_share(self.year, "started_12m"), self._force_share(self.year, "outcome")
        if "referrals" in self.absent and re_["pct"] is not None:
            s.append(f"Of the {len(self.year):,} listed people followed for a full year, {re_['pct']:.0f}% were "
                     f"recorded for a further domestic-abuse offence within 12 months (95% interval {re_['low']:.0f}% "
                     f"to {re_['high']:.0f}%); referrals are not recorded in this extract.")
        elif st["pct"] is not None and re_["pct"] is not None:
            s.append(f"Of the {len(self.year):,} listed people followed for a full year, {st['pct']:.0f}% started a "
                     f"referred service within 12 months (95% interval {st['low']:.0f}% to {st['high']:.0f}%) and "
                     f"{re_['pct']:.0f}% were recorded for a further domestic-abuse offence (95% interval {re_['low']:.0f}% "
                     f"to {re_['high']:.0f}%).")
        else:
            s.append("Too few listed people have been followed for a full year to publish referral and reoffending "
                     "shares.")
        s.append(self._funnel_sentence())
        e = self._estimate("reoffending_12m_rd_programme")
        if e is not None and all(np.isfinite([e.estimate, e.ci_low, e.ci_high])):
            crosses = e.ci_low < 0 < e.ci_high
            s.append(f"Compared with people who were eligible before their district went live, listed people's risk of "
                     f"a further domestic-abuse offence within 12 months was {_pp(e.estimate)} (95% interval "
                     f"{_signed(100 * e.ci_low)} to {_signed(100 * e.ci_high)} points)"
                     + ("; the interval includes no difference." if crosses else "."))
        s.append("These comparisons are observational (Maryland Scientific Methods Scale level 2), so other "
                 "differences between the groups, not only the programme, may explain them.")
        return s[:6]

    def summary(self) -> str:
        """Executive summary: 3-6 plain-English sentences generated from the results."""
        body = " ".join(html.escape(x) for x in self.summary_sentences())
        return f"<div class='fe-summary'><h2>Summary</h2><p>{body}</p></div>"

    def how_to_read(self) -> str:
        """Plain-English guide to reading a funnel plot."""
        n = len(self.districts)
        return (
            "<h2>How to read a funnel plot</h2><p>Each dot is a district. Along the bottom is how many people the "
            "district's figure is based on; up the side is the percentage. The straight line is the average for the "
            "whole force. The curved lines are <em>control limits</em>: they are wide on the left, where small numbers "
            "make percentages jumpy, and narrow to the right, where larger numbers make them steadier.</p><ul>"
            "<li>A district <strong>inside the dashed (95%) lines</strong> differs from the force average by no more "
            "than chance alone would often produce.</li>"
            "<li>A district <strong>between the dashed and solid lines</strong> may differ, but about one district "
            f"in twenty lands here by chance alone, so among {n} districts one is no surprise.</li>"
            "<li>A district <strong>outside the solid (99.8%) lines</strong> is very unlikely to be there by chance "
            "alone (about 1 in 500 for an average district). It is a prompt to look at how the district works or "
            "records its data, not proof that it is better or worse.</li></ul>"
            "<p>Districts are not ranked: a dot further right is a bigger district, not a better one. Districts that "
            "went live later have had less time, so their figures rest on fewer people.</p>")

    def _funnel_table(self, key: str) -> PublishedTable:
        title, measure, _res, prot, _shown, _base = self.funnels[key]
        return PublishedTable(
            f"funnel_{key}", f"{title} by district", prot, ("n", "k"), {"percent": "{:.1f}%"},
            {"unit": "District", "go_live": "Went live", "n": "People", "k": "With the outcome",
             "percent": "Percent", "position": "Position against the control limits"})

    def funnel_section(self, key: str) -> str:
        """One funnel plot with its explanation and table (``key``: engagement, referral, reoffending)."""
        title, measure, res, prot, shown, base = self.funnels[key]
        head = f"<h2>{html.escape(title)}</h2>"
        if res is None:
            missing = {"engagement": "contacts", "referral": "referrals"}.get(key)
            if missing in self.absent:
                return head + f"<p>Not shown: the extract has no {missing} table.</p>"
            return head + "<p>Not enough data to draw this funnel plot.</p>"
        t = self.threshold
        intro = {
            "engagement": f"Share of listed people with a contact recorded as engaged within {self.window} days of "
                          "their first listing.",
            "referral": "Share of listed people followed for a full year who started a referred service (any pathway) "
                        "within 12 months of their first listing.",
            "reoffending": "Share of listed people followed for a full year who were recorded for a further "
                           "domestic-abuse offence within 12 months of their first listing. Lower is better.",
        }[key]
        disp = res.dispersion
        if res.adjustment == "additive":
            od = (f"Districts vary more than chance alone would predict (over-dispersion factor {disp.phi:.1f}), so "
                  "the limits are widened to allow for real differences between districts (Spiegelhalter's "
                  "random-effects method); a district outside them stands out even so.")
        else:
            od = (f"There is no clear sign that districts vary more than chance alone would predict (over-dispersion "
                  f"factor {disp.phi:.1f}), so the limits are exact binomial limits.")
        withheld = [u for u in shown.withheld]
        caption = (f"Not shown: {_join(withheld)}, to protect small numbers (fewer than {t} people in a group)."
                   if withheld else "")
        ax = shown.plot(title=f"{title}: districts against the force average",
                        xlabel=f"Number of {base}", ylabel=f"Percent {measure}")
        alt = (f"Funnel plot of the percentage of {base} {measure} in each district against the number of people, "
               f"around the force average of {100 * res.target:.0f}%, with 95% and 99.8% control limits."
               + (f" Outside the 99.8% limits: {_join(shown.outside())}." if shown.outside()
                  else " No district lies outside the 99.8% limits."))
        table = self._funnel_table(key)
        return (f"{head}<p>{html.escape(intro)} Force average {100 * res.target:.1f}%. {html.escape(od)}</p>"
                + to_html(ax, alt, caption or None) + table.html())

    # ------------------------------------------------------------------ commissioning outcomes
    @cached_property
    def outcome_rows(self) -> pd.DataFrame:
        """Numeric rows of the commissioning-outcomes table (before disclosure control)."""
        rows = []

        def prop(outcome, measure, k, n, evidence, table=None):
            if table in self.absent:
                return
            lo, hi = wilson_interval(int(k), int(n)) if n else (np.nan, np.nan)
            rows.append({"outcome": outcome, "measure": measure, "people": int(k), "base": float(n),
                         "rest": float(n - k), "estimate": 100 * k / n if n else np.nan, "ci_low": 100 * lo,
                         "ci_high": 100 * hi, "unit": "%", "evidence": evidence})

        def count(outcome, measure, k, evidence):
            rows.append({"outcome": outcome, "measure": measure, "people": int(k), "base": np.nan, "rest": np.nan,
                         "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "unit": "people",
                         "evidence": evidence})

        o = COMMISSIONING_OUTCOMES
        listed, year, plans = self.listed, self.year, self.plans
        n = len(listed)
        flags = person_engagement(self.ds, self.persons)
        count(o[0], f"People meeting all {number_word(len(self.ds.programme.criteria))} criteria in the period",
              len(self.persons), "Direct measure")
        count(o[0], "People put on the programme list", n, "Direct measure")
        prop(o[0], "Listed people assessed with the PPIT", flags.assessed.sum(), n, "Direct measure",
             "ppit_assessments")
        prop(o[0], f"Listed people engaged within {self.window} days", self.engaged_in_window.engaged.sum(), n,
             "Direct measure", "contacts")
        prop(o[1], "Further domestic-abuse offence within 12 months (people followed for a year)", year.outcome.sum(),
             len(year), "Proxy: police-recorded offences only; abuse that is never reported is missed")
        from foundation_eval.models.reoffending import bootstrap_ratio, event_rate

        r = self.reoffending
        if len(r) and r.exposure_years.sum() > 0:
            er = event_rate(r.da_count.to_numpy(), r.exposure_years.to_numpy())
            rows.append({"outcome": o[1], "measure": "Domestic-abuse offences per person-year after listing",
                         "people": int(r.da_count.sum()), "base": float(r.exposure_years.sum()), "rest": np.nan,
                         "estimate": er.rate, "ci_low": er.ci_low, "ci_high": er.ci_high, "unit": "per person-year",
                         "evidence": "Proxy: police-recorded offences; exact Poisson interval"})
            bh = bootstrap_ratio(r.harm_days.to_numpy(), r.exposure_years.to_numpy(), n_boot=1000, seed=0)
            rows.append({"outcome": o[1], "measure": "Harm of domestic-abuse offences (Crime Harm Index days per "
                         "person-year)", "people": int(r.da_count.sum()), "base": float(r.exposure_years.sum()),
                         "rest": np.nan, "estimate": bh.estimate, "ci_low": bh.ci_low, "ci_high": bh.ci_high,
                         "unit": "days per person-year",
                         "evidence": "Proxy: harm weights of recorded offences; bootstrap interval resampling people"})
        prop(o[2], "Domestic-abuse offence against a new victim within 12 months (people followed for a year)",
             year.new_victim_12m.sum(), len(year), "Proxy: police-recorded offences against a victim not named before")
        if len(plans):
            prop(o[2], "Risk management plans with a victim-safety pillar", plans.victim_safety.astype(bool).sum(),
                 len(plans), "Proxy: what a plan contains, not whether victims are safer", "rmps")
        refs = self.referrals
        health = refs[refs.pathway.isin(HEALTH_PATHWAYS)]
        prop(o[3], "Listed people referred to a health or drug and alcohol service", health.person_id.nunique(), n,
             "Proxy: a referral, not a change in health or wellbeing", "referrals")
        prop(o[3], "Listed people who started a health or drug and alcohol service",
             health[health.started].person_id.nunique(), n, "Proxy: a service started, not a change in wellbeing",
             "referrals")
        con = self.ds.contacts.merge(listed[["person_id", "index_date"]], on="person_id")
        joint = con[(con.contact_date >= con.index_date) & ((con.staff == "joint") | (con.contact_type == "joint_visit"))]
        prop(o[4], "Listed people with a joint police and practitioner visit", joint.person_id.nunique(), n,
             "Process measure", "contacts")
        prop(o[4], "Listed people with a risk management plan", plans.person_id.nunique(), n, "Process measure",
             "rmps")
        if len(plans):
            allp = plans[[c for c, _ in RMP_PILLARS]].astype(bool).all(axis=1)
            prop(o[4], "Risk management plans covering all four pillars", allp.sum(), len(plans), "Process measure")
        prop(o[4], "Listed people referred to any partner service", refs.person_id.nunique(), n, "Process measure",
             "referrals")
        return pd.DataFrame(rows)

    @cached_property
    def outcomes_table(self) -> PublishedTable:
        rows = self.outcome_rows
        prot = protect(rows, {"people": ["estimate", "ci_low", "ci_high"], "base": ["estimate", "ci_low", "ci_high"],
                              "rest": ["estimate", "ci_low", "ci_high"]}, self.threshold, additive=False)
        prot = _drop(prot, ["rest"])
        # person-years are not people: show them rounded, a count of people is shown as is
        return PublishedTable(
            "commissioning_outcomes", "Measures mapped to the five commissioning outcomes", prot, ("people",),
            {"people": "{:,.0f}", "base": "{:,.0f}", "estimate": "{:,.1f}", "ci_low": "{:,.1f}", "ci_high": "{:,.1f}"},
            {"outcome": "Commissioning outcome", "measure": "Measure", "people": "Number", "base": "Out of",
             "estimate": "Value", "ci_low": "95% low", "ci_high": "95% high", "unit": "Unit",
             "evidence": "What it shows"})

    def outcomes_section(self) -> str:
        """The page mapped to the five commissioning outcomes."""
        items = "".join(f"<li>{html.escape(o)}</li>" for o in COMMISSIONING_OUTCOMES)
        return ("<h2>Commissioning outcomes</h2><p>The programme is commissioned against five outcomes:</p>"
                f"<ol>{items}</ol><p>The table maps each to the measures the data support. Several are "
                "<strong>proxies</strong>: police records show offences that were reported and recorded, and a "
                "plan or a referral shows what was put in place, not how victims or perpetrators fared. The last "
                "column says which. Percentages carry 95% intervals; 'Out of' is people, plans or person-years as the "
                "measure says.</p>" + self.outcomes_table.html()
                + (f"<p>Not in this extract, so their measures are left out: {html.escape(_join(sorted(self.absent)))}.</p>"
                   if self.absent else ""))

    @cached_property
    def pillars_table(self) -> PublishedTable:
        plans = self.plans
        rows = []
        cols = [c for c, _ in RMP_PILLARS]
        flags = plans[cols].astype(bool) if len(plans) else pd.DataFrame(columns=cols)
        for c, label in RMP_PILLARS + (("all", "All four pillars"),):
            k = int(flags.all(axis=1).sum()) if c == "all" else int(flags[c].sum())
            n = len(plans)
            lo, hi = wilson_interval(k, n) if n else (np.nan, np.nan)
            rows.append({"pillar": label, "plans_with": k, "plans": n, "rest": n - k,
                         "percent": 100 * k / n if n else np.nan, "ci_low": 100 * lo, "ci_high": 100 * hi})
        frame = pd.DataFrame(rows)
        prot = protect(frame, {c: ["percent", "ci_low", "ci_high"] for c in ("plans_with", "plans", "rest")},
                       self.threshold, additive=False)
        return PublishedTable("rmp_pillars", "Risk management plans with each pillar", _drop(prot, ["rest"]),
                              ("plans_with", "plans"),
                              {"percent": "{:.0f}%", "ci_low": "{:.0f}%", "ci_high": "{:.0f}%"},
                              {"pillar": "Pillar", "plans_with": "Plans with the pillar", "plans": "Plans",
                               "percent": "Percent", "ci_low": "95% low", "ci_high": "95% high"})

    def pillars_section(self) -> str:
        """Share of risk management plans with each of the four pillars, with Wilson intervals; nothing when the
        extract has no plans table (e.g. a programme that does not record plans)."""
        if "rmps" in self.absent:
            return ""
        tab = self.pillars_table
        t = tab.protected.table
        head = ("<h2>Risk management plans: the four pillars</h2><p>Each listed person should have a risk management "
                "plan resting on four pillars: supervision, monitoring and control, interventions and treatment, and "
                "victim safety. The figure shows the share of plans agreed after listing that include each pillar.</p>")
        if not len(self.plans):
            return head + "<p>No risk management plans were recorded.</p>"
        ax = new_axes(figsize=(7.5, 2.8))
        y = np.arange(len(t))[::-1]
        pct = pd.to_numeric(t.percent, errors="coerce")
        lo, hi = pd.to_numeric(t.ci_low, errors="coerce"), pd.to_numeric(t.ci_high, errors="coerce")
        colours = [PALETTE[0]] * (len(t) - 1) + [PALETTE[2]]
        ax.barh(y, pct.fillna(0), color=colours, alpha=0.85)
        ok = pct.notna().to_numpy()
        ax.errorbar(pct[ok], y[ok], xerr=[(pct - lo)[ok], (hi - pct)[ok]], fmt="none", ecolor="black", capsize=3, lw=1)
        for yi, v, h in zip(y, pct, hi, strict=True):
            ax.text((0 if pd.isna(v) else max(v, h)) + 1.5, yi, "suppressed" if pd.isna(v) else f"{v:.0f}%",
                    va="center", fontsize=8)
        ax.set_yticks(y, t.pillar)
        ax.set_xlim(0, 110)
        ax.set_xlabel("Percent of risk management plans (95% interval)")
        ax.grid(axis="y", visible=False)
        ax.set_title("Risk management plans including each pillar")
        alt = ("Bar chart of the percentage of risk management plans that include each of the four pillars "
               "(supervision, monitoring and control, interventions and treatment, victim safety) and all four "
               "together, with 95% intervals.")
        return head + to_html(ax, alt) + tab.html()

    # ------------------------------------------------------------------ headline estimates
    @cached_property
    def estimates_table(self) -> PublishedTable:
        rows = []
        for e in self.headline:
            label, unit, scale = ESTIMATE_LABELS.get(e.name, (e.name.replace("_", " "), "", 1.0))
            rows.append({"name": e.name, "label": label, "unit": unit, "n": int(e.n),
                         "estimate": e.estimate * scale, "ci_low": e.ci_low * scale, "ci_high": e.ci_high * scale,
                         "design": e.design,
                         "sms_level": f"level {e.sms_level}" if e.sms_level is not None else "not an impact estimate"})
        frame = pd.DataFrame(rows)
        prot = protect(frame, {"n": ["estimate", "ci_low", "ci_high"]}, self.threshold, additive=False)
        return PublishedTable("headline_estimates", "Headline estimates", prot, ("n",),
                              {"estimate": "{:.2f}", "ci_low": "{:.2f}", "ci_high": "{:.2f}", "n": "{:,.0f}"},
                              {"name": "Name in results.json", "label": "What is estimated", "unit": "Scale",
                               "n": "People", "estimate": "Estimate", "ci_low": "95% low", "ci_high": "95% high",
                               "design": "Design", "sms_level": "Maryland SMS"})

    def estimates_section(self) -> str:
        """The headline estimates in a plain table, with design, SMS level and a caveat."""
        table = self.estimates_table.html()
        failed = self.estimate_failures
        note = ("<p>Not estimable from this extract: " + html.escape(", ".join(sorted(failed))) + ".</p>"
                if failed else "")
        return ("<h2>Headline estimates</h2><p>The evaluation's headline estimates, each with its 95% interval, the "
                "comparison it rests on and its level on the Maryland Scientific Methods Scale (SMS), which runs from "
                "1 (a simple before-and-after or cross-section) to 5 (a randomised trial). They use the whole extract, "
                "whatever period the sections above cover.</p>"
                + table + note
                + "<p><strong>Caveat:</strong> the programme comparisons here are observational (SMS level 2): listed "
                  "people are compared with people eligible before their district went live, so changes over time "
                  "and differences between the groups may account for part of any difference. The pilot-versus-"
                  "rollout report uses the staggered go-live dates for a stronger design.</p>")

    # ------------------------------------------------------------------ appendix
    def methods(self) -> str:
        prog = self.ds.programme
        t = self.threshold
        return (
            "<h2>Methods</h2>"
            f"<p><strong>Who is counted.</strong> People are counted once, from their first listing (the index date), "
            f"if that fell between {self.start} and {self.end}; their district is where they were listed. "
            "Follow-up ends at exit (custody, moving away, death) or the extract date "
            f"({pd.Timestamp(prog.extract_date).date()}).</p>"
            f"<p><strong>Measures.</strong> Engagement: a contact recorded as engaged within {self.window} days of the "
            "index date. Referral start and reoffending use people followed for a whole year without exit, so that "
            "districts that went live later are compared over the same length of time; reoffending is a police-"
            "recorded domestic-abuse offence after the index date. A new victim is one not named in any earlier "
            "domestic-abuse offence of the same person. Risk management plans count when agreed on or after the "
            "index date.</p>"
            "<p><strong>Funnel plots.</strong> Each district's proportion is plotted against its number of people "
            "around the force-wide proportion, with exact binomial 95% and 99.8% control limits computed with "
            "Spiegelhalter's interpolation for discrete data (Spiegelhalter 2005, <em>Statistics in Medicine</em> "
            "24:1185-1202). Over-dispersion is estimated from Winsorised z-scores; when the chi-square test finds "
            "it (p &lt; 0.05), the limits are widened with the additive random-effects variance (Spiegelhalter 2005, "
            "<em>Quality and Safety in Health Care</em> 14:347-351).</p>"
            "<p><strong>Intervals.</strong> Percentages carry Wilson (1927) score intervals; offence rates carry "
            "exact Poisson intervals; harm per person-year carries a bias-corrected bootstrap interval resampling "
            "people. Headline estimates are computed as described in the evaluation report, with the design named "
            "beside each.</p>"
            f"<p><strong>Small numbers.</strong> A district whose number of people, or of people with or without the "
            f"outcome, is between 1 and {t - 1} is left off its funnel plot and table, together with the next "
            "smallest district so that it cannot be recovered from force totals.</p>")

    def disclosure(self) -> str:
        return f"<h2>Disclosure control</h2><p>{html.escape(rule_text(self.threshold))}</p>"

    def provenance(self, parameters: dict | None = None) -> str:
        params = parameters or {"programme": self.ds.programme.id, "period_start": self.start,
                                "period_end": self.end}
        return provenance_html(self.ds, params)

    # ------------------------------------------------------------------ everything published
    def published_tables(self) -> dict[str, PublishedTable]:
        """Every table this report publishes, by name (for a workbook and for checks)."""
        out = {f"funnel_{key}": self._funnel_table(key) for key, v in self.funnels.items() if v[2] is not None}
        out["commissioning_outcomes"] = self.outcomes_table
        if "rmps" not in self.absent:
            out["rmp_pillars"] = self.pillars_table
        out["headline_estimates"] = self.estimates_table
        return out

    def save_workbook(self, path) -> str:
        """Write every published table, and the disclosure rule, to an XLSX workbook (one sheet each)."""
        from foundation_eval.reporting.export import write_workbook

        tables = {t.title: t.display() for t in self.published_tables().values()}
        tables["Disclosure rule"] = pd.DataFrame({"rule": [rule_text(self.threshold)]})
        write_workbook(tables, path)
        return ""

    def funnel_results(self) -> dict[str, FunnelPlotResult]:
        """The funnel results with withheld districts marked (nothing here is protected: do not publish)."""
        return {k: v[4] for k, v in self.funnels.items() if v[4] is not None}
