"""PPIT validity study: what the report shows, published through one page.

[`PpitValidityReport`][foundation_eval.reporting.ppit_report.PpitValidityReport] formats the PPIT
validity study (`foundation_eval.ppit.study.PpitStudy`), which the render's snapshot fitted once
(`snap.study("ppit")`), as publication items (sections, tables, figures, sentences) through a
[`Page`][foundation_eval.reporting.publication.Page], for a notebook to show one by one:

```python
report = PpitValidityReport(snap)
show(report.discrimination())
```

The report fits nothing: every estimate, interval and count comes from the study. Another outcome or
window is a variant of the study, fitted by the notebook (`foundation_eval.ppit.study.ppit_study`) and
passed in as `study=`. Every count goes through the page's disclosure rule (rounded to 5, 1 to 9
withheld by default); where the page pools adjacent scores so that counts are safe
([`safe_bands`][foundation_eval.reporting.ppit_tables.safe_bands], with the tool's own risk bands and
priority threshold kept as edges where possible), it reads the study's counts of exactly those pooled
scores.

**What the page publishes, and what it works out from it.** Each count is published once, where it is
first needed, and tied to every other place that counts the same people
([`Page.link`][foundation_eval.reporting.publication.Page.link], and `same_as` for the counts sentences
state), so that the page's audit ([`Page.audit`][foundation_eval.reporting.publication.Page.audit]) sees
every way of setting one table against another: the people in the study (one table: scored, observed,
with and without the outcome, left out), the counts of the pooled score bands (which the tool's own bands
add up), the groups of the equity tables (which add up to everyone, and to the pooled bands from the
priority threshold up), the pairs of assessors. Groups are withheld whole, with more groups while the
withheld ones together hold a small count
([`withheld_groups`][foundation_eval.reporting.ppit_tables.withheld_groups]). The counts at each cut-off of
the score are not rounded on their own: they are sums of the published counts of the pooled bands (counts
at every cut-off rounded separately beside the counts of every band would let a reader chain their
differences and pin counts down). Every percentage, its Wilson interval, the ROC and decision curves and
the ratio of flag rates are worked out from published counts (declared as shares of the table that holds
them, or computed from the published values), so they say nothing the counts do not. Model estimates
(AUCs, C, ICCs, kappas, calibration intercepts and slopes, odds ratios, observed/expected ratios, factor
loadings, the fitted risk curve) are not counts and are printed as estimated. Nothing is printed from
exact counts: the study's own percentages and intervals, and the mean scores and mean modelled risks
within a pooled band (which would describe the scores a band pools), are not shown; which cut-off the
decision curve acts on at each threshold risk follows the band's mean modelled risk, which places it
only to within a percentage point of risk.

**Where each section lives.** `PpitValidityReport` is built on two classes by concept: the sections from
Discrimination to Thresholds, how well the score predicts, with the pooled score bands they publish counts
in ([`ppit_prediction`][foundation_eval.reporting.ppit_prediction]), and the sections from Reliability to
Equity, how the tool measures: agreement between assessors, internal structure and accuracy across groups
([`ppit_measurement`][foundation_eval.reporting.ppit_measurement]). This module holds the report itself:
its settings and the helpers every section uses (the table of the people in the study, the page's AUC and
ICC), the header, summary and methods, and the closing sections.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from markupsafe import Markup

from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting._ppit_common import PREDICTORS, _and, _cap
from foundation_eval.reporting.disclosure import hidden_mask
from foundation_eval.reporting.ppit_measurement import MeasurementSections
from foundation_eval.reporting.ppit_prediction import PredictionSections
from foundation_eval.reporting.ppit_text import BENCHMARKS, REFERENCES, TECHNICAL_APPENDIX, icc_words
from foundation_eval.reporting.publication import Page, Section, Text

__all__ = ["PpitValidityReport"]

STUDY = "ppit"
# the study's registered settings, as the report's arguments give them
_DEFAULTS = {"outcome": "any_da", "window_months": 12, "min_followup_months": None, "harm_threshold": None,
             "violent_severity": 4, "level": 0.95, "n_boot": None}


def _is_default(key: str, value) -> bool:
    if key in ("harm_threshold", "min_followup_months", "n_boot") and value in (None, ""):
        return True
    if key == "harm_threshold" and value == 0:  # the notebooks' blank
        return True
    return value == _DEFAULTS[key]


class PpitValidityReport(PredictionSections, MeasurementSections):
    """The PPIT validity report: how well the risk tool predicts further domestic abuse.

    Discrimination (AUC with DeLong intervals, against two police-data baselines), time to the outcome
    (Harrell's C, AUC(t)), incremental value over police data, calibration, thresholds, reliability
    between assessors, internal structure and equity across protected characteristics, then
    limitations, disclosure control, provenance and a technical appendix. Each section method returns a
    [`Section`][foundation_eval.reporting.publication.Section] formatted from the study; a section the
    data cannot support (too few people with or without the outcome, or a statistic that could not be
    estimated) says why in a sentence. A programme without a risk tool gets a report saying there is
    nothing to validate. The sections from Discrimination to Thresholds come from `PredictionSections`
    ([`ppit_prediction`][foundation_eval.reporting.ppit_prediction]), those from Reliability to Equity
    from `MeasurementSections` ([`ppit_measurement`][foundation_eval.reporting.ppit_measurement]).

    Parameters
    ----------
    snap : Snapshot
        The render's snapshot ([`open_snapshot`][foundation_eval.evaluation.snapshot.open_snapshot]).
    outcome : {"any_da", "violent_da", "harm_above"}
        The outcome of the study to show (`foundation_eval.ppit.validity.outcome_definition`).
    window_months : int
        Outcome window in months after the index date (first listing).
    min_followup_months : int, optional
        Minimum possible follow-up (index date to extract date) to enter the sample; default the window.
    harm_threshold : float, optional
        Crime Harm Index days for ``outcome="harm_above"`` (default 365; 0 or blank: the default).
    violent_severity : int
        Severity cut for ``outcome="violent_da"``.
    n_boot : int, optional
        Bootstrap replicates the study used (None: whatever it used).
    level : float
        Confidence level of every interval (0.95 for the registered values).
    study : PpitStudy, optional
        The study to show: a variant fitted by `foundation_eval.ppit.study.fit_ppit_study`. Default: the
        snapshot's study, which holds the registered settings.

    Raises
    ------
    ValueError
        When the settings are not those of the study shown: a variant must be fitted first (the report
        fits nothing) and passed as `study`.

    Attributes
    ----------
    study : PpitStudy or None
        What the report shows; None without a risk tool.
    page : Page
        Everything the report publishes; `report.page.write_workbook(path)` writes its tables.
    has_tool : bool
        Whether the programme defines a risk tool and the extract holds assessments of it.
    spec : OutcomeDefinition or None
        The study's outcome; None without a risk tool.
    t : int
        The disclosure threshold.
    tool, priority, max_score : str, int, int
        The tool's name, the total at which a person is flagged as a priority, and the highest total
        (set only when `has_tool`).

    Examples
    --------
    On the built-in synthetic force:

    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> snap = open_snapshot()
    >>> report = PpitValidityReport(snap)
    >>> report.study is snap.study("ppit"), report.registered, report.outcome_phrase
    (True, True, 'a further domestic-abuse offence within 12 months of first listing')
    >>> [getattr(part, "heading", "") for part in report.sections()][2:]
    ['Methods', 'Discrimination', 'Time to the outcome', 'Does the PPIT add to police data?', 'Calibration',
     'Thresholds', 'Reliability between assessors', 'Internal structure', 'Equity', 'Limitations',
     'Disclosure control', 'Provenance', 'Technical appendix']
    >>> [t.name for t in report.page.tables][:3]
    ['sample', 'discrimination', 'calibration_by_score']
    >>> report.page.audit().passed          # the intruder audit of everything the page published
    True

    Another outcome is a variant: the report asks for it to be fitted first.

    >>> PpitValidityReport(snap, outcome="violent_da")
    Traceback (most recent call last):
        ...
    ValueError: outcome='violent_da' is a variant of the registered PPIT study: fit it with foundation_eval.ppit.study.fit_ppit_study(snap, outcome='violent_da') and pass it as study=
    """

    def __init__(self, snap, outcome: str = "any_da", window_months: int = 12, min_followup_months=None,
                 harm_threshold=None, violent_severity: int = 4, n_boot=None, level: float = 0.95, study=None):
        self.snap = snap
        self.ds = snap.dataset
        prog = snap.programme
        asked = {"outcome": outcome, "window_months": window_months, "min_followup_months": min_followup_months,
                 "harm_threshold": harm_threshold, "violent_severity": violent_severity, "level": level,
                 "n_boot": n_boot}
        changed = {k: v for k, v in asked.items() if not _is_default(k, v)}
        if study is None:
            study = snap.study(STUDY)
            if study is not None and not study.matches(**asked):
                args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
                raise ValueError(f"{args} is a variant of the registered PPIT study: fit it with "
                                 f"foundation_eval.ppit.study.fit_ppit_study(snap, {args}) and pass it as study=")
        elif changed and not study.matches(**asked):
            raise ValueError(f"the study passed was fitted with {study.settings}, not with "
                             f"{', '.join(f'{k}={v!r}' for k, v in changed.items())}")
        self.study = study
        self.has_tool = study is not None
        self.spec = study.outcome if study is not None else None
        params = self._parameters(study) if study is not None else {}
        title = f"{prog.ppit_name} validity study" if self.has_tool else "risk-tool validity study"
        self.page = Page(snap, title, kind="Risk-tool validity study", parameters=params)
        self.t = self.page.threshold
        self.window_months = study.window_months if study is not None else int(window_months)
        self.level = study.level if study is not None else float(level)
        if self.has_tool:
            self.items = list(prog.ppit_item_ids)
            self.item_labels = {i.id: i.label for i in prog.ppit_items}
            self.priority = int(prog.ppit_threshold)
            self.max_score = int(prog.ppit_max)
            self.tool = prog.ppit_name
        self._bands = None
        self._memo: dict = {}  # tables other sections tie their counts to, published once

    @staticmethod
    def _parameters(study) -> dict:
        """The study's settings in words, for the provenance block (the code's names are in the appendix)."""
        s = study.settings
        out = {"Outcome": study.outcome.short, "Window": f"{s['window_months']} months",
               "Minimum follow-up": f"{s['min_followup_months']} months",
               "Intervals": fmt.percent(s["level"]), "Bootstrap replicates": s["n_boot"], "Seed": s["seed"]}
        if s["violent_severity"] is not None:
            out["Lowest severity counted"] = s["violent_severity"]
        return out

    # ================================================================== definitions
    @property
    def registered(self) -> bool:
        """True when the AUC on this page is the registered ``ppit_auc_12m`` (default outcome and window)."""
        return self.has_tool and self.study.registered

    @property
    def outcome_phrase(self) -> str:
        """The one wording of the outcome on this page: "a further DA offence within 12 months of first listing"."""
        return f"{self.spec.label} within {self.window_months} months of first listing"

    @property
    def auc_label(self) -> str:
        """The name of the AUC on this page (the registry's label for the default outcome and window)."""
        if self.registered:
            return self.page.estimate("ppit_auc_12m").label
        return (f"AUC of the PPIT total for {self.spec.short} within {self.window_months} months (an alternative "
                "outcome definition, not the registered headline AUC)")

    @property
    def enough(self) -> bool:
        """Whether at least the threshold of people (and at least 2) had, and did not have, the outcome."""
        s = self.study
        return min(s.n_events, s.n_observed - s.n_events) >= max(self.t, 2)

    @property
    def can_discriminate(self) -> bool:
        """Whether accuracy for the binary outcome is published: enough people on both sides and the
        study's AUCs estimated."""
        return self.has_tool and self.enough and self.study.discrimination is not None

    def _no_tool(self, heading: str) -> Section:
        return Section(heading, (self._say(
            "{{ name }} defines no risk tool, or the extract holds no risk-tool assessments, so there is nothing to "
            "validate.", name=self.snap.programme.name),))

    def _too_few(self, heading: str) -> Section:
        return Section(heading, (self._say(
            "Not published: fewer than {{ t }} people had, or did not have, {{ label }}, too few to estimate "
            "accuracy.", t=self.t, label=self.outcome_phrase),))

    def _failed(self, heading: str, part: str) -> Section:
        reason = self.study.unavailable.get(part, self.study.unavailable.get("sample", "the statistic could not be "
                                                                                   "estimated"))
        return Section(heading, (self._say("{{ what }} could not be estimated on these data: {{ reason }}.",
                                           what=_cap(heading.lower()), reason=reason),))

    def _blocked(self, heading: str, part: str | None = None) -> Section | None:
        """The section to show instead when there is no tool, too few outcomes, or the part is missing."""
        if not self.has_tool:
            return self._no_tool(heading)
        if not self.enough:
            return self._too_few(heading)
        if part is not None and getattr(self.study, part) is None:
            return self._failed(heading, part)
        return None

    def _say(self, template: str, **values) -> Text:
        return self.page.say(template, **values)

    def _iv(self, est, lo, hi, unit: str = "index") -> str:
        """``0.72 (95% interval 0.61 to 0.83)`` by the page's number rules."""
        if est is None or not np.isfinite(est):
            return "not available"
        if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)):
            return fmt.value(est, unit) if unit in fmt.UNITS else fmt.index(est)
        return f"{fmt.value(est, unit)} ({fmt.interval(lo, hi, unit, self.level)})"

    # ================================================================== the study's numbers
    @property
    def auc_view(self):
        """The AUC shown on the page: the registered estimate with the default outcome and window, else None."""
        return self.page.estimate("ppit_auc_12m") if self.registered else None

    @property
    def icc_view(self):
        """The registered ICC(2,1) of the total, `ppit_icc2_total`, read from the snapshot."""
        return self.page.estimate("ppit_icc2_total")

    def auc_numbers(self) -> tuple[float, float, float]:
        """The page's AUC and its interval: the snapshot's registered value when the settings are the
        registered ones, else the study's.

        Returns
        -------
        tuple of float
            `(estimate, low, high)` on the AUC scale, where 0.5 is chance and 1 perfect discrimination.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> report = PpitValidityReport(open_snapshot())
        >>> est, low, high = report.auc_numbers()
        >>> bool(0.5 < low < est < high < 1)
        True
        >>> est == report.page.estimate("ppit_auc_12m").estimate == report.study.auc  # one value
        True
        """
        v = self.auc_view
        if v is not None and v.available:
            return v.estimate, v.ci_low, v.ci_high
        r = self.study.discrimination.loc["ppit_total"]
        return float(r.auc), float(r.ci_low), float(r.ci_high)

    def auc_text(self):
        """The page's AUC as a sentence shows it.

        Returns
        -------
        EstimateView or str
            The registered estimate (which renders as its marked `data-estimand` span), or for another
            outcome or window the value and interval as text, e.g. `"0.83 (95% interval 0.79 to 0.87)"`.
        """
        v = self.auc_view
        if v is not None and v.available:
            return v
        return self._iv(*self.auc_numbers())

    def _auc_markup(self):
        v = self.auc_text()
        return Markup(v.html()) if hasattr(v, "html") else v

    # ================================================================== counts that several parts share
    def _ref(self, table: str, column: str, row: int):
        return self.page.cell(table, column, row=int(row))

    def _shown(self, table: str, column: str, row: int) -> bool:
        """Whether a cell of a published table is shown (not withheld)."""
        t = next(x for x in self.page.tables if x.name == table)
        return not bool(t.suppressed[column].iloc[int(row)])

    def _stated(self, n, table: str, column: str, row: int, noun: str = "people") -> str | None:
        """A count for a sentence, tied to the table cell holding it (the audit takes them as one quantity);
        None when that cell is withheld although the count is not small: the sentence then says it without
        the number."""
        t = next((x for x in self.page.tables if x.name == table), None)
        if t is not None and not self._shown(table, column, row) and not self.page.rule.hidden(n):
            return None
        return self.page.count(n, noun, same_as=self._ref(table, column, row))

    def _sample(self):
        """The table of the people in the study (published once; the methods show it): scored, whose whole
        window was observed (with and without the outcome) and left out.

        Returns
        -------
        Table
            `sample`; its rows by key in `self._memo["sample_rows"]`.
        """
        if "sample" in self._memo:
            return self._memo["sample"]
        c, rule = self.study.counts, self.page.rule
        ended = int(c.left_out - c.exited)
        rows = [("scored", "Listed and scored on the PPIT", c.scored),
                ("observed", "Whole outcome window observed", c.observed),
                ("with", "Observed, with the outcome", c.with_outcome),
                ("without", "Observed, without the outcome", c.without_outcome)]
        if ended == 0 or c.exited == 0:
            if c.left_out:
                rows.append(("exited", "Left out: exited before the window closed", c.exited) if ended == 0 else
                            ("ended", "Left out: the extract ended first", ended))
        elif rule.hidden(c.exited) or rule.hidden(ended):  # one row, so that neither small part is shown
            rows.append(("left_out", "Left out: exited, or the extract ended first", c.left_out))
        else:
            rows += [("exited", "Left out: exited before the window closed", c.exited),
                     ("ended", "Left out: the extract ended first", ended)]
        keys = [k for k, _, _ in rows]
        frame = pd.DataFrame({"who": [w for _, w, _ in rows], "n": [int(n) for _, _, n in rows]})
        hide = hidden_mask(frame.n, self.t)
        at = {k: i for i, k in enumerate(keys)}
        parts = [at[k] for k in keys if k not in ("scored", "with", "without")]
        if hide[parts].sum() == 1:  # the total would give the one hidden part back: withhold the total
            hide[at["scored"]] = True
        if hide[at["with"]] or hide[at["without"]]:
            hide[[at["with"], at["without"]]] = True
        tab = self.page.table("sample", frame, title="People in the study", counts=["n"], additive=False,
                              headings={"who": "People", "n": "Number"}, hide={"n": hide},
                              notes=("Before rounding, the people listed and scored are those observed and those "
                                     "left out, and those observed are those with and without the outcome.",))
        ref = {k: self._ref("sample", "n", i) for k, i in at.items()}
        self.page.link([ref[at_k] for at_k in keys if at_k not in ("scored", "with", "without")], ref["scored"],
                       "people scored: observed or left out")
        self.page.link([ref["with"], ref["without"]], ref["observed"], "people observed: with or without the outcome")
        self._memo["sample"], self._memo["sample_rows"] = tab, at
        return tab

    def _sample_ref(self, key: str):
        """The cell of the sample table counting `key` (`scored`, `observed`, `with`, `without`)."""
        self._sample()
        return self._ref("sample", "n", self._memo["sample_rows"][key])

    def _sample_count(self, key: str, noun: str = "people") -> str | None:
        """A sentence's count of the sample table's `key`, tied to its cell (None when withheld)."""
        self._sample()
        c = self.study.counts
        n = {"scored": c.scored, "observed": c.observed, "with": c.with_outcome, "without": c.without_outcome}[key]
        return self._stated(n, "sample", "n", self._memo["sample_rows"][key], noun)

    def _pairs(self):
        """The table of people scored twice (published once): scored twice, and by two different assessors."""
        if "reliability_sample" in self._memo:
            return self._memo["reliability_sample"]
        st = self.study
        frame = pd.DataFrame({"who": ["Scored twice (first and second rating)", "Scored by two different assessors"],
                              "n": [st.n_double_scored, st.n_pairs]})
        tab = self.page.table("reliability_sample", frame, title="People scored by two assessors", counts=["n"],
                              additive=False, nested=True, headings={"who": "People", "n": "Number"})
        self._memo["reliability_sample"] = tab
        return tab

    # ================================================================== page items
    def header(self) -> Text:
        """Title, the question and outcome studied, and the synthetic-data flag.

        Returns
        -------
        Text
            The page heading (with the report stylesheet for JupyterLab).
        """
        if not self.has_tool:
            return self.page.header()
        return self.page.header(f"How well does the {self.tool} predict further domestic abuse? Outcome: "
                                f"{self.outcome_phrase}.")

    def summary(self) -> Text:
        """The boxed summary: three to six plain-English sentences; each figure is the one the sections show.

        How many were followed and how many had the outcome, the AUC against published benchmarks, whether
        the PPIT did better than and added to police data, agreement between assessors, and whether
        accuracy differed between groups. Counts are those of the table of people in the study (published
        here, shown under Methods), and the share with the outcome is worked out from its published counts.

        Returns
        -------
        Text
            The summary box.
        """
        if not self.has_tool:
            return self.page.summary([self._no_tool("Summary").items[0]])
        s, st = [], self.study
        c = st.counts
        self._sample()
        sh = self.page.share(c.with_outcome, c.observed, self.level)  # from the published counts
        n_all, n = self._sample_count("scored", "listed people"), self._sample_count("observed")
        s.append(self._say(
            "Of {% if n_all %}{{ n_all }}{% else %}the listed people{% endif %} scored on the PPIT, "
            "{% if n %}{{ n }}{% else %}those who{% endif %} were followed for the whole {{ w }} months"
            "{% if pct %}, and {{ pct }} of them went on to commit {{ label }} in that time{% endif %}.",
            n_all=n_all, n=n, w=self.window_months, label=self.spec.label,
            pct=fmt.percent(sh["pct"], scale=1) if sh["pct"] is not None else ""))
        if not self.can_discriminate:
            s.append(self._say("Too few people had, or did not have, the outcome to judge how well the score "
                               "predicts it."))
        else:
            s.append(self._auc_sentence(*self.auc_numbers()[1:]))
            d = st.discrimination
            if st.incremental_test is not None:
                better = bool((d.loc[list(PREDICTORS)[1:], "diff_ci_low"] > 0).all())
                p = st.incremental_test.lr_p_value
                s.append(self._say(
                    "{{ lead }} (AUC {{ a1 }} for the count of prior DA offences, {{ a2 }} for a recency-frequency-"
                    "gravity score), and the PPIT {{ adds }} information to them (likelihood-ratio p {{ p }}).",
                    lead=("The PPIT did better than police records alone" if better else
                          "The PPIT did not do detectably better than police records alone"),
                    a1=fmt.index(d.at["prior_da_2y", "auc"]), a2=fmt.index(d.at["rfg_score", "auc"]),
                    adds="added" if p < 0.05 else "did not detectably add", p=fmt.p_value(p)))
        s.append(self._icc_sentence())
        tests = st.equity_tests.dropna(subset=["auc_q"])
        if len(tests):
            worst = tests.loc[tests.auc_q.idxmin()]
            if worst.auc_q < 0.05:
                s.append(self._say("Accuracy differed by {{ what }} (test of equal AUCs p {{ p }}); see Equity.",
                                   what=worst.characteristic.lower(), p=fmt.p_value(worst.auc_q)))
            else:
                s.append(self._say("Accuracy did not differ detectably by {{ what }} (smallest p {{ p }}), though "
                                   "small groups give wide intervals.",
                                   what=_and(n.lower() for n in tests.characteristic), p=fmt.p_value(worst.auc_q)))
        return self.page.summary(s[:6])

    def _auc_sentence(self, lo, hi) -> Text:
        return self._say("The PPIT total told apart those who did and did not: the {{ name }} was {{ auc }}, {{ bench }} "
                         "in published studies.",
                         auc=self._auc_markup(), bench=self._compare_benchmarks(lo, hi), name=self.auc_label)

    def _icc_sentence(self) -> Text:
        v = self.icc_view
        if not v.available:
            return self._say("Agreement between two assessors is not reported: {{ why }}", why=v.reason)
        lo_w, hi_w = icc_words(v.ci_low), icc_words(v.ci_high)
        words = lo_w if lo_w == hi_w else f"{lo_w} to {hi_w}"
        return self._say("Agreement between two assessors scoring the same person was {{ words }}: ICC(2,1) "
                         "{{ icc }} over {{ n }} scored twice.", words=words, icc=Markup(v.html()),
                         n=self._stated(self.study.n_double_scored, "reliability_sample", "n", 0))

    def _compare_benchmarks(self, lo: float, hi: float) -> str:
        parts = []
        for name, value, _ in BENCHMARKS:
            rel = "below" if hi < value else "above" if lo > value else "in line with"
            parts.append(f"{rel} {name} ({fmt.index(value)})")
        return _and(parts)

    # ------------------------------------------------------------------ methods
    def methods(self) -> Section:
        """The "Methods" section: who is in the sample, the outcome, and how each statistic is computed.

        Returns
        -------
        Section
            Sentences with their citations and the `sample` table of the people in the study.
        """
        if not self.has_tool:
            return self._no_tool("Methods")
        prog = self.snap.programme
        st, c = self.study, self.study.counts
        sample = self._sample()
        items = [
            self._say("People put on the {{ prog }} list at least once and scored on the PPIT. The index date is the "
                      "first day of the month of first listing; the first rating (the one used in practice) is "
                      "analysed. People listed less than {{ fu }} months before the extract date ({{ extract }}) are "
                      "left out. Accuracy for the binary outcome uses {% if n %}the {{ n }}{% else %}those{% endif %} "
                      "whose whole {{ w }}-month window was observed; the others were left out because they exited "
                      "(custody, moved away or died) before it closed{% if rest %}, or because the extract ended "
                      "first{% endif %}. Time-to-event measures use everyone, censored at exit or the extract date.",
                      prog=prog.name, fu=st.min_followup_months, extract=str(st.extract_date.date()),
                      n=self._sample_count("observed"), w=self.window_months, rest=c.left_out > c.exited),
            sample,
            self._say("Outcome: {{ text }}", text=self._outcome_text()),
            self._say("The {{ name }} (PPIT; Robinson & Clancy 2015) has {{ k }} items scored {{ lo }} to {{ hi }}; "
                      "the total runs from 0 to {{ top }} and {{ thr }} or more marks a priority perpetrator.",
                      name=self.tool, k=fmt.number_word(len(prog.ppit_items)), lo=min(prog.ppit_scale),
                      hi=max(prog.ppit_scale), top=self.max_score, thr=self.priority),
            self._say(
                "Two baselines use only police records before the index date, to ask whether the PPIT adds anything "
                "to what police data already say: the number of DA offences in the previous two years, and a "
                "recency-frequency-gravity (RFG) score in the spirit of the RFG matrices forces use to rank DA "
                "perpetrators (e.g. Northumbria's MATAC process; Davies & Biddle 2018; Clancy, Robinson & Hanks "
                "2014). RFG adds points for how recent (up to three), how frequent (up to three) and how grave (up "
                "to three) the previous two years' DA offences were."),
            self._say("All intervals are {{ lvl }} intervals. Each section names its method and reference. "
                      "Score values and groups are pooled or withheld so that no published count falls between one "
                      "and {{ t }}; percentages and their intervals are worked out from the published counts. Every "
                      "number comes from one fit of the study on the extract; the technical appendix names the code "
                      "that computes each section.",
                      lvl=fmt.percent(self.level), t=fmt.number_word(self.t - 1)),
        ]
        return Section("Methods", tuple(items))

    def _outcome_text(self) -> str:
        prog = self.snap.programme
        if self.spec.key == "any_da":
            what = "any police-recorded domestic-abuse (DA) offence"
        elif self.spec.key == "violent_da":
            labels = [o.label for o in prog.offence_types if o.id in self.spec.types]
            what = (f"a DA offence of a type with severity {self.spec.violent_severity} or more on the programme's "
                    f"scale ({', '.join(labels)})")
        else:
            what = (f"DA offences whose Cambridge Crime Harm Index weights (days of recommended imprisonment; Sherman, "
                    f"Neyroud & Neyroud 2016) add up to more than {self.spec.harm_threshold:,.0f} days")
        return (f"{what} dated after the index date and within {self.window_months} months of it. Offences are "
                "counted from police records, so abuse that is not reported is missed.")

    # ------------------------------------------------------------------ closing sections
    def limitations(self) -> Section:
        """The "Limitations" section: what the outcome, the sample and the tests cannot show.

        Returns
        -------
        Section
            A list, with a note for synthetic data.
        """
        if not self.has_tool:
            return self._no_tool("Limitations")
        items = [
            "The outcome is police-recorded offending: abuse that victims do not report is missed, and recording "
            "practice may differ between districts and over time.",
            "The PPIT is used to decide who is managed most intensively. If that management works, it lowers "
            "reoffending most among high scorers and makes the score look less predictive than it is (the treatment "
            "paradox); the AUC here is the tool's accuracy as used, not in an untreated population.",
            "People who exited (custody, moved away, died) before their window closed are left out of the binary "
            "analyses; this is unbiased only if exits are unrelated to reoffending. Time-to-event measures keep them, "
            "censored.",
            "Intercepts and slopes checked in the later period come from a model fitted in the earlier one; other "
            "calibration figures and the incremental-value AUCs are in-sample and slightly optimistic.",
            "Double scoring covers a subsample; if those people were not chosen at random, reliability may differ "
            "for everyone else. Assessors differ between people, so rater effects cannot be separated from the "
            "rating order.",
            "Factor models treat short ordinal items as continuous; read fit indices comparatively.",
            "Equity comparisons have little power for small groups and several tests are run; a difference that "
            "is not detected is not shown to be absent.",
            "The baselines use police records only; a comparison with other published tools on the same people "
            "would need those tools to be scored too.",
        ]
        if self.snap.programme.illustrative:
            items.append("These results are from synthetic demonstration data generated with known truth: they "
                         "show what the report will contain, not how the PPIT performs in practice.")
        return Section("Limitations", (self.page.bullets(items),))

    def disclosure(self) -> Section:
        """The "Disclosure control" section: the page's rule and how scores and groups are pooled or withheld.

        Returns
        -------
        Section
            The rule and one sentence on this report's pooling.
        """
        extra = self._say("Score values with few people are pooled with their neighbours (tables, ROC curves, "
                          "calibration and decision curves), keeping the tool's own bands and its priority threshold as "
                          "edges where the counts allow, so that every count by score is a sum of whole pooled bands. "
                          "Groups with fewer than {{ t }} people with or without the outcome or the priority flag are "
                          "withheld. Percentages, their intervals, the ROC and decision curves and the ratios of flag "
                          "rates are worked out from the published counts.", t=self.t)
        base = self.page.disclosure()
        return Section(base.heading, (*base.items, extra))

    def provenance(self) -> Section:
        """The "Provenance" section with the report's references.

        Returns
        -------
        Section
            The provenance table, then the references (and the programme's own reference for its tool).
        """
        base = self.page.provenance()
        refs = list(REFERENCES)
        own = getattr(self.snap.programme, "ppit_reference", "")
        if own and not any(r.startswith(own[:20]) for r in refs):
            refs.append(own)
        return Section(base.heading, (*base.items, self.page.heading("References", 2),
                                      self.page.bullets(sorted(refs))))

    def appendix(self) -> Section:
        """The "Technical appendix": the code behind each section, for researchers who reproduce the numbers.

        The only place on the page where function and estimand names appear.

        Returns
        -------
        Section
            A sentence and a list: each section and the functions of the library that compute it.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> appendix = PpitValidityReport(open_snapshot()).appendix()
        >>> appendix.heading, "fit_ppit_study" in appendix.html()
        ('Technical appendix', True)
        """
        intro = self.page.paragraph(
            "For researchers who reproduce the numbers: the study behind every section is fitted once on the extract, "
            "when the render's snapshot is built; the list names the functions of the foundation-eval library that "
            "compute each section and the names under which the headline values are registered.")
        rows = [f"{section}: {', '.join(names)}" for section, names in TECHNICAL_APPENDIX]
        if self.has_tool:
            args = ", ".join(f"{k}={v!r}" for k, v in self.study.settings.items() if v is not None)
            rows.append(f"Settings of the study on this page: fit_ppit_study(snap, {args})"
                        + ("" if self.registered else "; a variant, so its AUC is not the registered ppit_auc_12m"))
        return Section("Technical appendix", (intro, self.page.bullets(rows)))

    def sections(self) -> list:
        """Every item in reading order (the notebook shows the same, section by section).

        Returns
        -------
        list
            The header and summary (`Text`), then each `Section`.
        """
        return [self.header(), self.summary(), self.methods(), self.discrimination(), self.time_to_event(),
                self.incremental(), self.calibration(), self.thresholds(), self.reliability(), self.structure(),
                self.equity(), self.limitations(), self.disclosure(), self.provenance(), self.appendix()]

    def html(self) -> str:
        """The whole report as HTML.

        Returns
        -------
        str
            The HTML of every part of [`sections`][foundation_eval.reporting.ppit_report.PpitValidityReport.sections],
            concatenated.
        """
        return "".join(s.html() for s in self.sections())
