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
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from markupsafe import Markup

from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting.disclosure import hidden_mask, withheld_rows
from foundation_eval.reporting.figures import GREY, PALETTE, new_axes
from foundation_eval.reporting.ppit_tables import band_labels, safe_bands, withheld_groups
from foundation_eval.reporting.ppit_text import BENCHMARKS, REFERENCES, TECHNICAL_APPENDIX, icc_words
from foundation_eval.reporting.publication import Page, Section, Text

__all__ = ["PpitValidityReport"]

STUDY = "ppit"
PREDICTORS = {"ppit_total": "PPIT total", "prior_da_2y": "Prior DA offences (2 years)",
              "rfg_score": "Recency-frequency-gravity score"}
CHARACTERISTICS = ("Sex", "Ethnic group", "Age band", "District")
HORIZONS_MONTHS = (6, 12, 24)
# the study's registered settings, as the report's arguments give them
_DEFAULTS = {"outcome": "any_da", "window_months": 12, "min_followup_months": None, "harm_threshold": None,
             "violent_severity": 4, "level": 0.95, "n_boot": None}
_FLAG_CELLS = {"both": "Both priority", "neither": "Neither priority", "disagreed": "Assessors disagreed"}
# the predictors in the middle of a sentence
_NAMED = {"ppit_total": "the PPIT total", "prior_da_2y": "the count of prior DA offences",
          "rfg_score": "the recency-frequency-gravity score"}
_BAND_NAMES = ("low", "moderate", "priority", "high priority")


def _is_default(key: str, value) -> bool:
    if key in ("harm_threshold", "min_followup_months", "n_boot") and value in (None, ""):
        return True
    if key == "harm_threshold" and value == 0:  # the notebooks' blank
        return True
    return value == _DEFAULTS[key]


def _cap(s) -> str:
    """Sentence case: the first letter upper case, the rest as written ("asian" -> "Asian")."""
    s = str(s)
    return s[:1].upper() + s[1:]


def _and(words) -> str:
    words = list(words)
    if not words:
        return ""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _legend(ax, **kwargs) -> None:
    """A boxed legend outside the plotting area, to the right, so that it never hides data."""
    leg = ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=True, fontsize=8,
                    **kwargs)
    leg.get_frame().set_edgecolor(GREY)
    leg.get_frame().set_linewidth(0.8)


class PpitValidityReport:
    """The PPIT validity report: how well the risk tool predicts further domestic abuse.

    Discrimination (AUC with DeLong intervals, against two police-data baselines), time to the outcome
    (Harrell's C, AUC(t)), incremental value over police data, calibration, thresholds, reliability
    between assessors, internal structure and equity across protected characteristics, then
    limitations, disclosure control, provenance and a technical appendix. Each section method returns a
    [`Section`][foundation_eval.reporting.publication.Section] formatted from the study; a section the
    data cannot support (too few people with or without the outcome, or a statistic that could not be
    estimated) says why in a sentence. A programme without a risk tool gets a report saying there is
    nothing to validate.

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

    def _distribution(self, col: str) -> tuple[np.ndarray, np.ndarray]:
        """Scores and outcomes rebuilt from the study's exact counts at each score (for the pooling rule)."""
        d = self.study.score_counts[self.study.score_counts.predictor == col]
        v = d.value.to_numpy(float)
        x = np.r_[np.repeat(v, d.events.to_numpy()), np.repeat(v, d.non_events.to_numpy())]
        y = np.r_[np.ones(int(d.events.sum()), int), np.zeros(int(d.non_events.sum()), int)]
        return x, y

    @property
    def fixed_edges(self) -> list[int]:
        """Edges of the tool's own risk bands (low, moderate, priority, high priority), the last one above the
        highest total."""
        half, top = self.priority // 2, (self.priority + self.max_score + 1) // 2
        return [0, half, self.priority, top, self.max_score + 1]

    @property
    def bands(self) -> list[float]:
        """Lower edges of the pooled bands of the PPIT total whose counts are safe to publish: the priority
        threshold and then the edges of the tool's own risk bands kept as edges where possible, so that
        the tables of cut-offs and of the tool's bands hold sums of whole pooled bands."""
        if self._bands is None:
            x, y = self._distribution("ppit_total")
            half, prio, top = self.fixed_edges[1:4]
            self._bands = safe_bands(x, y, self.t, force_edge=[prio, half, top])
        return self._bands

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

    # ------------------------------------------------------------------ discrimination
    def _band_counts(self, edges) -> pd.DataFrame:
        """Exact people with and without the outcome in bands of the PPIT total (`edges[i] <= total <
        edges[i + 1]`), from the study's counts at each score."""
        d = self.study.score_counts[self.study.score_counts.predictor == "ppit_total"]
        band = np.searchsorted(np.asarray(edges, float), d.value.to_numpy(float), side="right") - 1
        g = d.assign(band=band).groupby("band")[["events", "non_events"]].sum()
        return g.reindex(range(len(edges) - 1), fill_value=0).astype(int)

    def _pooled(self):
        """Observed outcome in the pooled bands of the PPIT total (published once; the calibration section
        shows it): the one publication of the counts by score, from which the counts at each cut-off are
        worked out.

        Returns
        -------
        Table or None
            `calibration_by_score`; None without a safe pooling.
        """
        if "calibration_by_score" not in self._memo:
            tab = None
            if self.bands:
                top = float(self.study.score_counts.query("predictor == 'ppit_total'").value.max())
                tab = self._publish_calibration("calibration_by_score", [*self.bands, top + 1],
                                                band_labels(self.bands, top),
                                                "Observed outcome by PPIT total (pooled)", "PPIT total")
            self._memo["calibration_by_score"] = tab
        return self._memo["calibration_by_score"]

    def _cutoffs(self):
        """People flagged at each cut-off of the PPIT total, and the accuracy of the flag, worked out from the
        published counts of the pooled bands (published once: the ROC curve, the thresholds section and the
        decision curve read it).

        Cut-offs are the lower edges of the pooled bands (`bands`), flagging everyone with a total at least
        the cut-off; the first flags everyone. Each count is the sum of the published counts of the pooled
        bands above (flagged) or below (not flagged) the cut-off, not a count rounded on its own: counts at
        every cut-off rounded separately beside the counts of every band would let a reader chain their
        differences and pin counts down. Sensitivity, specificity, predictive values and the share flagged
        are worked out from those sums.

        Returns
        -------
        Table or None
            `threshold_counts`; None without a safe pooling. Its row of each cut-off is in
            `self._memo["cutoff_rows"]`.
        """
        if "threshold_counts" in self._memo:
            return self._memo["threshold_counts"]
        pooled = self._pooled()
        if pooled is None:
            return None
        v = pooled.values.iloc[:-1]
        e, ne = v.events.to_numpy(float), v.non_events.to_numpy(float)  # published; missing where withheld
        above_e, above_ne = np.cumsum(e[::-1])[::-1], np.cumsum(ne[::-1])[::-1]
        total_e, total_ne = above_e[0], above_ne[0]
        # the first edge flags everyone: its row says nothing, so the table starts at the second
        frame = pd.DataFrame({
            "cutoff": [f"{c:g} or more" + (" (current priority threshold)" if c == self.priority else "")
                       for c in self.bands],
            "flagged": above_e + above_ne, "tp": above_e, "fp": above_ne, "fn": total_e - above_e,
            "tn": total_ne - above_ne}).iloc[1:].reset_index(drop=True)

        def share(k, n):
            s = [self.page.share(a, b) if np.isfinite(a) and np.isfinite(b) and b > 0 else {"pct": None}
                 for a, b in zip(k, n, strict=True)]
            return [np.nan if x["pct"] is None else x["pct"] / 100 for x in s]

        frame["share"] = share(frame.flagged, frame.flagged + frame.fn + frame.tn)
        frame["sens"] = share(frame.tp, frame.tp + frame.fn)
        frame["spec"] = share(frame.tn, frame.tn + frame.fp)
        frame["ppv"] = share(frame.tp, frame.tp + frame.fp)
        frame["npv"] = share(frame.tn, frame.tn + frame.fn)
        tab = self.page.table(
            "threshold_counts", frame, title="People flagged, and accuracy, at each cut-off of the PPIT total",
            kinds={**{c: "whole" for c in ("flagged", "tp", "fp", "fn", "tn")},
                   **{c: "proportion" for c in ("share", "sens", "spec", "ppv", "npv")}},
            headings={"cutoff": "Flag at score", "flagged": "Flagged", "tp": "Flagged, outcome",
                      "fp": "Flagged, no outcome", "fn": "Not flagged, outcome", "tn": "Not flagged, no outcome",
                      "share": "Share flagged", "sens": "Sensitivity", "spec": "Specificity", "ppv": "PPV",
                      "npv": "NPV"},
            notes=("Cut-offs are the edges of the pooled score bands. Each number of people is the sum of the "
                   "published counts of the pooled bands above or below the cut-off (Observed outcome by PPIT "
                   "total), and each share is worked out from those sums. PPV and NPV: positive and negative "
                   "predictive values; they depend on how common the outcome is.",))
        self._memo["threshold_counts"] = tab
        self._memo["cutoff_rows"] = {float(c): i for i, c in enumerate(self.bands[1:])}
        self._memo["band_totals"] = (total_e, total_ne)
        return tab

    def _roc_table(self, col: str):
        """Counts behind the ROC curve of a police-data baseline, at the edges of its own pooled bands, with
        the sensitivity and the share without the outcome flagged worked out from them."""
        edges = safe_bands(*self._distribution(col), self.t)
        if not edges:
            return None
        tt = self.study.cutoffs_at(col, edges)
        frame = pd.DataFrame({"threshold": tt.threshold.astype(float), "tp": tt.tp.astype(int),
                              "fp": tt.fp.astype(int), "tpr": np.nan, "fpr": np.nan})
        # the first row flags everyone; each later count is a sum of whole safe bands, as is what it leaves out
        hide = withheld_rows(frame, ["tp", "fp"], self.t, additive=False)
        name = f"roc_{col}"
        tab = self.page.table(
            name, frame, title=f"Counts behind the ROC curve of {_NAMED[col]}", counts=["tp", "fp"],
            additive=False, kinds={"threshold": "whole", "tpr": "proportion", "fpr": "proportion"},
            headings={"threshold": "Flag at score", "tp": "Flagged, outcome", "fp": "Flagged, no outcome",
                      "tpr": "Sensitivity", "fpr": "1 - specificity"},
            hide={c: hide for c in ("tp", "fp", "tpr", "fpr")},
            shares={"tpr": ("tp", "first"), "fpr": ("fp", "first")},
            notes=("Cut-offs are edges of pooled score bands; the first flags everyone. Shares are worked out from "
                   "the published counts.",))
        self.page.link(self._ref(name, "tp", 0), self._sample_ref("with"), "people with the outcome")
        self.page.link(self._ref(name, "fp", 0), self._sample_ref("without"), "people without the outcome")
        return tab

    def roc_figure(self):
        """ROC curves of the PPIT total and the two baselines, through cut-offs whose published counts are
        safe, with the priority threshold marked.

        Each point is a sensitivity and a specificity worked out from published counts: the PPIT's from the
        table of cut-offs (`threshold_counts`), each baseline's from its own (`roc_prior_da_2y`,
        `roc_rfg_score`, in the workbook).

        Returns
        -------
        Figure
            The chart; its legend (boxed, beside the plot) gives each AUC with its interval.
        """
        ax = new_axes(figsize=(5.0, 4.4))
        d = self.study.discrimination
        aucs = {"ppit_total": self.auc_numbers(),
                **{k: tuple(d.loc[k, ["auc", "ci_low", "ci_high"]]) for k in list(PREDICTORS)[1:]}}
        drawn = []
        for (col, label), colour in zip(PREDICTORS.items(), PALETTE[:3], strict=True):
            if col == "ppit_total":
                tab = self._cutoffs()
                if tab is None:
                    continue
                v = tab.values.assign(threshold=list(self._memo["cutoff_rows"]))
                v = v.assign(tpr=v.sens, fpr=1 - v.spec)
            else:
                tab = self._roc_table(col)
                if tab is None:
                    continue
                v = tab.values
            v = v.dropna(subset=["tpr", "fpr"])
            pts = pd.concat([pd.DataFrame({"fpr": [0.0], "tpr": [0.0], "threshold": [np.inf]}),
                             v[["fpr", "tpr", "threshold"]].iloc[::-1],
                             pd.DataFrame({"fpr": [1.0], "tpr": [1.0], "threshold": [-np.inf]})], ignore_index=True)
            drawn.append(tab)
            e, lo, hi = aucs[col]
            ax.plot(pts.fpr, pts.tpr, marker="o", ms=3.5, color=colour,
                    label=f"{label}: AUC {fmt.index(e)} ({fmt.index(lo)} to {fmt.index(hi)})")
            if col == "ppit_total":
                cur = pts[pts.threshold == self.priority]
                if len(cur):
                    ax.plot(cur.fpr, cur.tpr, marker="D", ms=8, color=PALETTE[3], ls="none",
                            label=f"Priority threshold ({self.priority}+)")
        ax.plot([0, 1], [0, 1], color=GREY, ls=":", lw=1, label="Chance")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("1 - specificity (share without the outcome flagged)")
        ax.set_ylabel("Sensitivity (share with the outcome flagged)")
        ax.set_title("ROC curves")
        _legend(ax)
        return self.page.figure(ax, f"ROC curves of the PPIT total, the count of prior DA offences and the RFG score "
                                    f"for {self.spec.short} within {self.window_months} months, drawn through "
                                    "cut-offs whose published counts are safe; the priority threshold is marked.",
                                caption="ROC curves through cut-offs that pass disclosure control (adjacent scores "
                                        "pooled), from the published counts.", data=drawn)

    def discrimination(self) -> Section:
        """AUC of the PPIT total and of two police-data baselines, paired comparisons, ROC curves.

        AUCs carry DeLong intervals and the paired comparisons DeLong's test (DeLong, DeLong and
        Clarke-Pearson 1988, Biometrics 44:837-845).

        Returns
        -------
        Section
            "Discrimination": a sentence, the `discrimination` table and the ROC figure; a sentence instead
            when too few people had, or did not have, the outcome.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> section = PpitValidityReport(open_snapshot()).discrimination()
        >>> section.heading, [type(item).__name__ for item in section.items]
        ('Discrimination', ['Text', 'Table', 'Figure'])
        """
        blocked = self._blocked("Discrimination", "discrimination")
        if blocked:
            return blocked
        est, lo, hi = self.auc_numbers()
        d = self.study.discrimination
        rows = [{"predictor": PREDICTORS["ppit_total"], "auc": est, "low": lo, "high": hi, "diff": np.nan,
                 "p": np.nan}]
        for k in list(PREDICTORS)[1:]:
            r = d.loc[k]
            rows.append({"predictor": PREDICTORS[k], "auc": r.auc, "low": r.ci_low, "high": r.ci_high,
                         "diff": r.difference, "p": r.p_value})
        tab = self.page.table(
            "discrimination", pd.DataFrame(rows), title=f"Discrimination: {self.outcome_phrase}",
            kinds={"auc": "index", "low": "index", "high": "index", "diff": "decimal2", "p": "p"},
            headings={"predictor": "Predictor", "auc": "AUC", "low": "Lower 95%", "high": "Upper 95%",
                      "diff": "PPIT minus this", "p": "p (paired DeLong)"},
            notes=(f"AUC with the DeLong, DeLong & Clarke-Pearson (1988) interval; differences and p from the paired "
                   f"DeLong test. The PPIT row is {self.auc_label}.",))
        text = self._say(
            "The PPIT total reached an AUC of {{ auc }}. An AUC of 0.5 is chance and 1 is perfect: it is the "
            "probability that a person who went on to commit {{ label }} scored higher than one who did not. "
            "Published DA risk tools: {{ bench }}. Here the PPIT is {{ cmp }}.",
            auc=self._auc_markup(), label=self.spec.label,
            bench="; ".join(f"{nm} {fmt.index(v)}" for nm, v, _ in BENCHMARKS),
            cmp=self._compare_benchmarks(lo, hi))
        return Section("Discrimination", (text, tab, self.roc_figure()))

    def time_to_event(self) -> Section:
        """Harrell's C and cumulative/dynamic AUC(t): accuracy for time to the outcome, using everyone.

        Harrell's C (Harrell, Lee and Mark 1996, Statistics in Medicine 15:361-387) and AUC(t) at 6, 12
        and 24 months (Uno et al. 2007, Journal of the American Statistical Association 102:527-537),
        censored at exit or the extract date.

        Returns
        -------
        Section
            "Time to the outcome": sentences and the `harrell`, `harrell_sample` and `td_auc` tables.
        """
        heading = "Time to the outcome"
        if not self.has_tool:
            return self._no_tool(heading)
        st, c = self.study, self.study.counts
        if c.followup_events == 0 or c.followup_events == c.scored:
            return Section(heading, (self._say(
                "No outcome event was observed during follow-up (or everyone had one), so concordance cannot be "
                "estimated."),))
        if st.harrell is None:
            return self._failed(heading, "harrell")
        rows = [{"predictor": PREDICTORS[k], "c": r.c, "low": r.ci_low, "high": r.ci_high}
                for k, r in st.harrell.iterrows()]
        items = [self._say(
            "Using everyone's whole follow-up, Harrell's C is the share of usable pairs in which the person with the "
            "higher score had the outcome sooner (Harrell, Lee & Mark 1996; jackknife interval)."),
            self.page.table(
                "harrell", pd.DataFrame(rows), title="Harrell's C for time to the outcome",
                kinds={"c": "index", "low": "index", "high": "index"},
                headings={"predictor": "Predictor", "c": "Harrell's C", "low": "Lower 95%", "high": "Upper 95%"}),
            self.page.table(
                "harrell_sample", pd.DataFrame({"who": ["Outcome observed", "Censored without it"],
                                                "n": [c.followup_events, c.followup_censored]}),
                title="People in the time-to-event analysis", counts=["n"], additive=True,
                headings={"who": "People", "n": "Number"})]
        self.page.link([self._ref("harrell_sample", "n", 0), self._ref("harrell_sample", "n", 1)],
                       self._sample_ref("scored"), "everyone scored: with the outcome event or censored")
        td = st.td_auc
        if td is None and "td_auc" in st.unavailable and not st.unavailable["td_auc"].startswith("at no horizon"):
            items.append(self._say("AUC at fixed horizons could not be estimated: {{ why }}.",
                                   why=st.unavailable["td_auc"]))
        elif td is None:
            items.append(self._say("AUC at fixed horizons is not published: at no horizon of {{ h }} months were at "
                                   "least {{ t }} people with and without the outcome.",
                                   h=_and(str(m) for m in HORIZONS_MONTHS), t=self.t))
        else:
            frame = pd.DataFrame({"months": td.months, "cases": td.cases, "controls": td.controls, "auc": td.auc,
                                  "low": td.ci_low, "high": td.ci_high})
            hide = withheld_rows(frame, ["cases", "controls"], self.t, additive=False)
            boot = " bootstrap intervals" if st.n_boot else " no intervals (no bootstrap replicates)"
            items.append(self._say(
                "Cumulative/dynamic AUC at fixed horizons compares people with the outcome by then with people still "
                "free of it, weighting for censoring (Uno et al. 2007;{{ boot }}).", boot=boot))
            items.append(self.page.table(
                "td_auc", frame, title="AUC at fixed horizons after listing", counts=["cases", "controls"],
                additive=False, kinds={"months": "whole", "auc": "index", "low": "index", "high": "index"},
                headings={"months": "Months after listing", "cases": "Outcome by then", "controls": "Still free of it",
                          "auc": "AUC(t)", "low": "Lower 95%", "high": "Upper 95%"},
                hide={c: hide for c in ("cases", "controls", "auc", "low", "high")}))
        return Section(heading, tuple(items))

    def incremental(self) -> Section:
        """Does the PPIT add to police data? Likelihood-ratio test of the PPIT over two police-data baselines.

        The test of the coefficient is the valid test of added value; the difference in AUC is
        descriptive (Pepe et al. 2013, Statistics in Medicine 32:1467-1482).

        Returns
        -------
        Section
            A sentence and the `incremental` table.
        """
        heading = "Does the PPIT add to police data?"
        blocked = self._blocked(heading, "incremental")
        if blocked:
            return blocked
        inc, test = self.study.incremental, self.study.incremental_test
        labels = {"auc_base": "Police data: prior DA count and RFG score", "auc_full": "Police data and PPIT total",
                  "auc_difference": "Difference in AUC (descriptive)",
                  "odds_ratio": "Odds ratio per PPIT point, adjusted"}
        rows = pd.DataFrame({"model": [labels[k] for k in inc.index], "est": inc.estimate.to_numpy(),
                             "low": inc.ci_low.to_numpy(), "high": inc.ci_high.to_numpy()})
        verdict = ("adds information beyond police records" if test.lr_p_value < 0.05 else
                   "does not detectably add information beyond police records")
        text = self._say(
            "In {% if n %}{{ n }}{% else %}the people observed{% endif %}, the PPIT total {{ verdict }}: "
            "likelihood-ratio chi-square {{ chi }} on {{ df }} "
            "{{ df | plural('degree') }} of freedom, p {{ p }} (logistic models with and without the PPIT; the "
            "likelihood-ratio test is the valid test of added information for nested models, Pepe et al. 2013). "
            "AUCs of fitted models are in-sample and slightly optimistic for the larger model.",
            n=self._sample_count("observed"), verdict=verdict, chi=fmt.decimal(test.lr_statistic), df=int(test.lr_df),
            p=fmt.p_value(test.lr_p_value))
        tab = self.page.table("incremental", rows, title="Police data with and without the PPIT",
                              kinds={"est": "decimal2", "low": "decimal2", "high": "decimal2"},
                              headings={"model": "Model or measure", "est": "Estimate", "low": "Lower 95%",
                                        "high": "Upper 95%"},
                              notes=("First two rows: in-sample AUC of each logistic model. Difference: paired DeLong "
                                     "interval.",))
        return Section(heading, (text, tab))

    # ------------------------------------------------------------------ calibration
    def _publish_calibration(self, name: str, edges, labels, title: str, band_heading: str):
        """Observed outcome in bands of the PPIT total (with a last row for everyone), the share and its Wilson
        interval worked out from the published counts of the row; the rows are tied to the people with and
        without the outcome in the sample table."""
        ct = self._band_counts(edges)
        frame = pd.DataFrame({"band": [*labels, "All scores"],
                              "events": [*ct.events, int(ct.events.sum())],
                              "non_events": [*ct.non_events, int(ct.non_events.sum())],
                              "observed": np.nan, "low": np.nan, "high": np.nan})
        total = np.r_[np.zeros(len(ct), bool), True]
        hide = withheld_groups(frame, ["events", "non_events"], self.t, exclude=total)
        tab = self.page.table(
            name, frame, title=title, counts=["events", "non_events"], additive=False,
            kinds={"observed": "proportion", "low": "proportion", "high": "proportion"},
            headings={"band": band_heading, "events": "With outcome", "non_events": "Without", "observed": "Observed",
                      "low": "Lower 95%", "high": "Upper 95%"},
            hide={c: hide for c in ("events", "non_events", "observed", "low", "high")},
            shares={"observed": ("events", ("events", "non_events"), "low", "high")},
            notes=("Observed: share with the outcome, with the Wilson (1927) interval, worked out from the "
                   "published counts of the row.",))
        last = len(frame) - 1
        for col, key in (("events", "with"), ("non_events", "without")):
            self.page.link([self._ref(name, col, i) for i in range(last)], self._ref(name, col, last),
                           f"{band_heading}: the bands add up")
            self.page.link(self._ref(name, col, last), self._sample_ref(key), "people with and without the outcome")
        return tab

    def _tool_bands(self) -> tuple[list[float], list[str]]:
        """Edges and labels of the tool's own risk bands as published: two bands are shown as one where the
        pooled bands could not keep the edge between them (so that every band is a sum of pooled bands)."""
        edges, top = self.fixed_edges, self.max_score
        kept = [edges[0]]
        names = [[_BAND_NAMES[0]]]
        lo_x = min(self.bands) if self.bands else -np.inf
        hi_x = float(self.study.score_counts.query("predictor == 'ppit_total'").value.max())
        for e, name in zip(edges[1:-1], _BAND_NAMES[1:], strict=True):
            # an edge outside the observed totals splits nothing; any other must be an edge of the pooled bands
            if not self.bands or e <= lo_x or e > hi_x or float(e) in self.bands:
                kept.append(e)
                names.append([name])
            else:
                names[-1].append(name)
        bounds = [*kept, top + 1]
        labels = [f"{lo} to {hi - 1} ({' or '.join(nm)})" for lo, hi, nm in zip(bounds[:-1], bounds[1:], names,
                                                                                 strict=True)]
        return [float(b) for b in bounds], labels

    def calibration(self) -> Section:
        """Observed outcome by score (Wilson intervals), a logistic score-to-risk model, temporal validation.

        Adjacent totals are pooled so that every count may be published, and the tool's own bands are
        sums of those pools; observed shares and their intervals are worked out from the published counts.
        The model fitted to people listed first is checked on people listed later
        (calibration-in-the-large and slope).

        Returns
        -------
        Section
            "Calibration": sentences, the `calibration_by_score` table and figure, and the
            `calibration_by_band`, `temporal_sample` and `temporal_calibration` tables.
        """
        blocked = self._blocked("Calibration", "risk_model")
        if blocked:
            return blocked
        st, m = self.study, self.study.risk_model
        items = [self._say(
            "Each extra PPIT point multiplied the odds of the outcome by {{ orr }} (logistic regression, Cox 1958). "
            "The tables show how often people at each score went on to the outcome, the first with adjacent totals "
            "pooled so that every count is safe to publish, the second in the tool's own bands.",
            orr=self._iv(m.odds_ratio, m.or_ci_low, m.or_ci_high, "ratio"))]
        pooled = self._pooled()
        if pooled is not None:
            top = float(st.score_counts.query("predictor == 'ppit_total'").value.max())
            items += [pooled, self._calibration_figure(pooled, top)]
        edges, labels = self._tool_bands()
        if len(labels) > 1:
            items.append(self._publish_calibration("calibration_by_band", edges, labels,
                                                   "Observed outcome by PPIT band", "PPIT band"))
            if pooled is not None:
                self._link_bands(edges)
        else:
            items.append(self._say("The tool's own bands are not shown: too few people with or without the outcome "
                                   "in them to publish them apart."))
        items.append(self.page.heading("Temporal validation", 3))
        r = st.temporal
        if r is None:
            items.append(self._say("Not estimated: {{ why }}.",
                                   why=st.unavailable.get("temporal", "the later period could not be checked")))
            return Section("Calibration", tuple(items))
        slope_txt = ("the spread of risk across scores held up" if r.slope_ci_low <= 1 <= r.slope_ci_high else
                     "scores separated risk less than in the earlier period" if r.slope < 1 else
                     "scores separated risk more than in the earlier period")
        level_txt = ("the overall level of risk was about right" if r.intercept_ci_low <= 0 <= r.intercept_ci_high
                     else "risk was under-predicted" if r.intercept > 0 else "risk was over-predicted")
        periods = pd.DataFrame({"period": [f"Listed first ({r.development_start:%b %Y} to {r.development_end:%b %Y})",
                                           f"Listed later ({r.validation_start:%b %Y} to {r.validation_end:%b %Y})"],
                                "n": [st.counts.development, st.counts.validation]})
        hide = withheld_groups(periods, ["n"], self.t)
        ptab = self.page.table("temporal_sample", periods, title="People in each period of the temporal validation",
                               counts=["n"], additive=False, hide={"n": hide},
                               headings={"period": "Period", "n": "People"})
        self.page.link([self._ref("temporal_sample", "n", 0), self._ref("temporal_sample", "n", 1)],
                       self._sample_ref("observed"), "people observed: listed first or later")
        a = self._stated(st.counts.development, "temporal_sample", "n", 0)
        b = self._stated(st.counts.validation, "temporal_sample", "n", 1)
        items.append(self._say(
            "A logistic model of the outcome on the PPIT total fitted to {% if a %}the {{ a }}{% else %}the people"
            "{% endif %} listed first ({{ d0 }} to {{ d1 }}) was applied to {% if b %}the {{ b }}{% else %}the people"
            "{% endif %} listed later ({{ v0 }} to {{ v1 }}): {{ lvl }} and {{ slope }} (calibration-in-the-large and "
            "slope, Cox 1958; Van Calster et al. 2016). The later period also covers districts that joined later, so "
            "this checks transport in time and place.",
            a=a, b=b, lvl=level_txt, slope=slope_txt,
            d0=f"{r.development_start:%b %Y}", d1=f"{r.development_end:%b %Y}",
            v0=f"{r.validation_start:%b %Y}", v1=f"{r.validation_end:%b %Y}"))
        items.append(ptab)
        rows = pd.DataFrame([
            {"measure": "Calibration-in-the-large (ideal 0)", "est": r.intercept, "low": r.intercept_ci_low,
             "high": r.intercept_ci_high},
            {"measure": "Calibration slope (ideal 1)", "est": r.slope, "low": r.slope_ci_low, "high": r.slope_ci_high},
            {"measure": "Observed / expected outcomes", "est": r.oe_ratio, "low": np.nan, "high": np.nan},
        ])
        items.append(self.page.table("temporal_calibration", rows, title="Temporal validation in the later period",
                                     kinds={"est": "decimal2", "low": "decimal2", "high": "decimal2"},
                                     headings={"measure": "Measure", "est": "Estimate", "low": "Lower 95%",
                                               "high": "Upper 95%"}))
        return Section("Calibration", tuple(items))

    def _link_bands(self, tool_edges) -> None:
        """Tell the audit that each of the tool's bands is a sum of whole pooled bands."""
        lower = [float(e) for e in self.bands]
        for j, (lo, hi) in enumerate(zip(tool_edges[:-1], tool_edges[1:], strict=True)):
            inside = [i for i, e in enumerate(lower) if lo <= e < hi]
            for col in ("events", "non_events"):
                self.page.link([self._ref("calibration_by_score", col, i) for i in inside],
                               self._ref("calibration_by_band", col, j), "a band of the tool is a sum of pooled bands")

    def _calibration_figure(self, tab, top: float):
        """Observed shares of the pooled bands (from the published table), at the middle of each band with its
        range, and the fitted logistic curve (a model estimate)."""
        v = tab.values.iloc[:-1]
        upper = [*[b - 1 for b in self.bands[1:]], top]
        mid = (np.asarray(self.bands, float) + np.asarray(upper, float)) / 2
        half = (np.asarray(upper, float) - np.asarray(self.bands, float)) / 2
        ax = new_axes(figsize=(6.0, 3.8))
        ok = v.observed.notna().to_numpy()
        if ok.any():
            o, lo, hi = (v[c].astype(float).to_numpy()[ok] for c in ("observed", "low", "high"))
            ax.errorbar(mid[ok], 100 * o, xerr=half[ok], yerr=[100 * (o - lo), 100 * (hi - o)], fmt="o",
                        color=PALETTE[0], capsize=3, label="Observed (pooled scores, 95% interval)")
        curve = self.study.risk_curve
        ax.plot(curve.score, 100 * curve.risk, color=PALETTE[1], label="Logistic model")
        ax.axvline(self.priority - 0.5, color=GREY, ls="--", lw=1, label=f"Priority threshold ({self.priority}+)")
        ax.set_xlim(-0.5, self.max_score + 0.5)
        ax.set_xticks(np.arange(0, self.max_score + 1, 1 if self.max_score <= 12 else 2))
        ax.set_ylim(0, 100)
        ax.set_xlabel("PPIT total score")
        ax.set_ylabel(f"Percent with the outcome within {self.window_months} months")
        ax.set_title("Observed outcome by PPIT total")
        _legend(ax)
        return self.page.figure(ax, f"Percent of people with {self.spec.short} within {self.window_months} months in "
                                    "each pooled band of the PPIT total, with 95% intervals, and the fitted logistic "
                                    "curve.",
                                caption="Scores with few people are pooled with their neighbours; each point is "
                                        "drawn at the middle of its band, from the published counts.", data=tab)

    # ------------------------------------------------------------------ thresholds
    def _at_cutoff(self, cutoff: float) -> dict | None:
        """The published counts of the row of a cut-off in the table of cut-offs (None: no such row, or
        withheld)."""
        tab = self._cutoffs()
        if tab is None:
            return None
        if float(cutoff) <= self.bands[0]:  # everyone flagged
            w, nw = self._memo["band_totals"]
            return {"flagged": w + nw, "tp": w, "fp": nw, "fn": 0.0, "tn": 0.0}
        rows = self._memo["cutoff_rows"]
        if float(cutoff) not in rows:
            return None
        v = tab.values.iloc[rows[float(cutoff)]]
        if any(pd.isna(v[c]) for c in ("flagged", "tp", "fp", "fn", "tn")):
            return None
        return {c: float(v[c]) for c in ("flagged", "tp", "fp", "fn", "tn")}

    def thresholds(self) -> Section:
        """Sensitivity, specificity and predictive values at each cut-off (Wilson intervals); decision curve.

        Every share, interval and net benefit is worked out from the counts the table of cut-offs
        publishes.

        Returns
        -------
        Section
            "Thresholds": the `threshold_counts` and `decision_curve` tables with their sentences and
            figure.
        """
        blocked = self._blocked("Thresholds", "discrimination")
        if blocked:
            return blocked
        counts = self._cutoffs()
        if counts is None:
            return self._too_few("Thresholds")
        items = []
        cur, everyone = self._at_cutoff(self.priority), self._at_cutoff(self.bands[0])
        if cur is not None and everyone is not None and self.priority > self.bands[0]:
            share = self.page.share(cur["flagged"], everyone["flagged"], self.level)
            sens = self.page.share(cur["tp"], cur["tp"] + cur["fn"], self.level)
            spec = self.page.share(cur["tn"], cur["tn"] + cur["fp"], self.level)
            ppv = self.page.share(cur["tp"], cur["tp"] + cur["fp"], self.level)

            def pct(s):
                if s["pct"] is None:
                    return "a share not published"
                return f"{fmt.percent(s['pct'], 1)} ({fmt.percent(s['low'], 1)} to {fmt.percent(s['high'], 1)})"

            items.append(self._say(
                "At the current priority threshold ({{ thr }} or more), {{ share }} of people were flagged; the flag "
                "caught {{ sens }} of those who went on to {{ what }} (sensitivity), left {{ spec }} of the others "
                "unflagged (specificity), and {{ ppv }} of those flagged did so (positive predictive value). "
                "Shares and their 95% Wilson (1927) intervals are worked out from the published counts in the table.",
                thr=self.priority, share=pct(share), sens=pct(sens), spec=pct(spec), ppv=pct(ppv),
                what=self.spec.short))
        else:
            items.append(self._say("The current priority threshold ({{ thr }} or more) falls inside a pooled band, so "
                                   "its counts are not published separately.", thr=self.priority))
        items += [counts, self.page.heading("Decision curve", 3)]
        dc = self.study.decision_curve_at(self.bands)
        nb = self._net_benefit(dc) if dc is not None else None
        if nb is None:
            items.append(self._say("Not shown: the modelled risk does not rise with the score, so no cut-off of the "
                                   "score acts on it."))
            return Section("Thresholds", tuple(items))
        ax = new_axes(figsize=(6.0, 3.8))
        ax.plot(nb.threshold * 100, nb.net_benefit, color=PALETTE[0], label="Act on PPIT-based risk")
        ax.plot(nb.threshold * 100, nb.treat_all, color=PALETTE[1], ls="--", label="Act on everyone")
        ax.plot(nb.threshold * 100, np.zeros(len(nb)), color="black", ls=":", label="Act on no one")
        top = max(everyone["tp"] / everyone["flagged"], float(nb.net_benefit.max()))
        ax.set_ylim(-0.05 * max(top, 0.01), top * 1.15 + 1e-9)
        ax.set_xlabel("Risk at which intensive management is worth it (%)")
        ax.set_ylabel("Net benefit")
        ax.set_title("Decision curve")
        _legend(ax)
        fig = self.page.figure(ax, "Decision curve: net benefit of managing people whose PPIT-based risk exceeds each "
                                   "threshold, against managing everyone or no one.",
                               caption="Who is flagged at each threshold risk follows the logistic model of the "
                                       "outcome on the PPIT total, averaged within pooled score bands; net benefit is "
                                       "worked out from the published counts at that cut-off.", data=counts)
        sel = nb[np.isin(np.round(nb.threshold * 100).astype(int), [10, 20, 30, 40, 50, 60])]
        dtab = self.page.table(
            "decision_curve", pd.DataFrame({"pt": np.round(100 * sel.threshold.to_numpy()),
                                            "nb": sel.net_benefit.to_numpy(), "all": sel.treat_all.to_numpy(),
                                            "avoided": sel.avoided.to_numpy()}),
            title="Net benefit at selected threshold risks",
            kinds={"pt": "whole", "nb": "decimal2", "all": "decimal2", "avoided": "whole"},
            headings={"pt": "Threshold risk (%)", "nb": "Net benefit, PPIT", "all": "Net benefit, everyone",
                      "avoided": "Interventions avoided per 100"},
            notes=("Net benefit per person (Vickers & Elkin 2006), worked out from the published counts of the table of "
                   "cut-offs.",))
        items += [self._say(
            "Net benefit counts true positives minus false positives weighted by how much one is willing to trade "
            "(Vickers & Elkin 2006). Where the PPIT line is above both reference lines, acting on the score does more "
            "good than acting on everyone or no one."), fig, dtab]
        return Section("Thresholds", tuple(items))

    def _net_benefit(self, dc: pd.DataFrame) -> pd.DataFrame | None:
        """Net benefit at each threshold risk from the published counts at the cut-off the study flags from
        (Vickers & Elkin 2006): $(TP - FP\\,p_t/(1-p_t))/n$, against acting on everyone; None when a count
        it needs is withheld."""
        everyone = self._at_cutoff(self.bands[0])
        if everyone is None:
            return None
        n, w, nw = everyone["flagged"], everyone["tp"], everyone["fp"]
        rows = []
        for r in dc.itertuples(index=False):
            at = {"tp": 0.0, "fp": 0.0} if not np.isfinite(r.cutoff) else self._at_cutoff(r.cutoff)
            if at is None:
                return None
            odds = r.threshold / (1 - r.threshold)
            net, all_ = (at["tp"] - at["fp"] * odds) / n, (w - nw * odds) / n
            rows.append({"threshold": r.threshold, "net_benefit": net, "treat_all": all_,
                         "avoided": 100 * (net - all_) / odds})
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ reliability
    def reliability(self) -> Section:
        """Agreement between two assessors scoring the same person.

        Intraclass correlations of the total (Shrout and Fleiss 1979, Psychological Bulletin 86:420-428;
        intervals of McGraw and Wong 1996, Psychological Methods 1:30-46), ICC(2,1) being the registered
        `ppit_icc2_total`; Bland-Altman limits of agreement; linearly weighted kappa of each item (Cohen
        1968); and agreement on the priority flag with Cohen's kappa, on double-scored people. The share
        who agreed on the flag, and its interval, are worked out from the published counts.

        Returns
        -------
        Section
            "Reliability between assessors": sentences and the `reliability_sample`, `icc`, `kappa` and
            `priority_agreement` tables.
        """
        heading = "Reliability between assessors"
        if not self.has_tool:
            return self._no_tool(heading)
        st, v = self.study, self.icc_view
        if st.icc is None or not v.available:
            return Section(heading, (self._say("Not published: {{ why }}",
                                               why=v.reason if not v.available else
                                               f"fewer than {self.t} people were scored twice."),))
        it = st.icc
        rows = pd.DataFrame({"form": it.index, "description": [_cap(x) for x in it.description],
                             "icc": it.icc.to_numpy(), "low": it.ci_low.to_numpy(), "high": it.ci_high.to_numpy()})
        i2 = rows.index[rows.form == "ICC2"]
        rows.loc[i2, ["icc", "low", "high"]] = [v.estimate, v.ci_low, v.ci_high]  # the registered value
        pairs = self._pairs()
        text = ("{% if n %}{{ n }}{% else %}Some people{% endif %} were scored by two assessors. ICC1 (one-way) is "
                "the reliability of a single assessment by a randomly chosen assessor; ICC2 adds the systematic "
                "difference between first and second ratings, ICC3 ignores it (Shrout & Fleiss 1979; McGraw & Wong "
                "1996 intervals). ICC(2,1), the registered measure of agreement, was {{ icc }}, {{ words }} on the "
                "reading of Koo & Li (2016).")
        values = dict(n=self._stated(st.n_double_scored, "reliability_sample", "n", 0), icc=Markup(v.html()),
                      words=icc_words(v.estimate))
        loa = st.limits
        if loa is not None:
            text += (" The second total averaged {{ md }} points against the first (95% limits of agreement {{ lo }} "
                     "to {{ hi }}; Bland & Altman 1986).")
            values.update(md=fmt.decimal(loa.mean_difference, 2, sign=True), lo=fmt.decimal(loa.lower, 1, sign=True),
                          hi=fmt.decimal(loa.upper, 1, sign=True))
        items = [self._say(text, **values), pairs, self.page.table(
            "icc", rows, title="Intraclass correlations of the PPIT total",
            kinds={"icc": "index", "low": "index", "high": "index"},
            headings={"form": "Form", "description": "Model", "icc": "ICC", "low": "Lower 95%", "high": "Upper 95%"},
            notes=("ICC2 is the registered measure of agreement, the value given in the render's published "
                   "results.",))]
        if st.kappa is None:
            items.append(self._say("Too few pairs scored by two different assessors to publish item and flag "
                                   "agreement."))
            return Section(heading, tuple(items))
        krows = pd.DataFrame({"item": [self.item_labels[i] for i in st.kappa["item"]], "kappa": st.kappa.kappa,
                              "low": st.kappa.ci_low, "high": st.kappa.ci_high})
        items.append(self.page.heading("Agreement on each item", 3))
        items.append(self.page.table(
            "kappa", krows, title="Linearly weighted kappa for each item",
            kinds={"kappa": "index", "low": "index", "high": "index"},
            headings={"item": "Item", "kappa": "Weighted kappa", "low": "Lower 95%", "high": "Upper 95%"},
            notes=("Cohen (1968) weighted kappa with the Fleiss, Cohen & Everitt (1969) standard error; blank: "
                   "not estimable (an item scored the same by everyone).",)))
        fa = st.flag_agreement.set_index("cell").people
        cells = pd.DataFrame({"cell": ["All pairs", *[_FLAG_CELLS[c] for c in ("both", "neither", "disagreed")]],
                              "people": [int(fa.sum()), *[int(fa[c]) for c in ("both", "neither", "disagreed")]],
                              "share": np.nan, "low": np.nan, "high": np.nan})
        total = np.array([True, False, False, False])
        hide = withheld_groups(cells, ["people"], self.t, exclude=total)
        ctab = self.page.table("priority_agreement", cells, title="Agreement on the priority flag",
                               counts=["people"], additive=False,
                               kinds={"share": "proportion", "low": "proportion", "high": "proportion"},
                               headings={"cell": "Priority flag", "people": "Pairs", "share": "Share of pairs",
                                         "low": "Lower 95%", "high": "Upper 95%"},
                               hide={c: hide for c in ("people", "share", "low", "high")},
                               shares={"share": ("people", "first", "low", "high")},
                               notes=("Shares of all pairs scored by two different assessors, with Wilson (1927) "
                                      "intervals, worked out from the published counts.",))
        ref = [self._ref("priority_agreement", "people", i) for i in range(4)]
        self.page.link(ref[1:], ref[0], "pairs: agreed or not")
        self.page.link(ref[0], self._ref("reliability_sample", "n", 1), "pairs scored by two different assessors")
        items += [self.page.heading("Agreement on the priority flag", 3), ctab]
        fk = st.flag_kappa
        kap = self._iv(fk.kappa, fk.ci_low, fk.ci_high) if fk is not None else "not available"
        d = ctab.values.iloc[3]
        if pd.isna(d.share) or pd.isna(d.low) or pd.isna(d.high):
            items.append(self._say("Percent agreement is withheld because a count is too small to publish; Cohen's "
                                   "kappa was {{ k }}.", k=kap))
        else:  # those who agreed are the pairs that did not disagree: the complement of a published share
            items.append(self._say("The two assessors agreed on the priority flag for {{ p }} of pairs (Wilson "
                                   "interval {{ lo }} to {{ hi }}, from the published counts); Cohen's kappa {{ k }}.",
                                   p=fmt.percent(1 - d.share), lo=fmt.percent(1 - d.high), hi=fmt.percent(1 - d.low),
                                   k=kap))
        return Section(heading, tuple(items))

    # ------------------------------------------------------------------ internal structure
    def structure(self) -> Section:
        """Internal structure: item analysis, Cronbach's alpha, McDonald's omega, factor models.

        Alpha carries Feldt's (1965, Psychometrika 30:357-370) interval; one-factor and domain-factor
        confirmatory models are compared by their fit indices.

        Returns
        -------
        Section
            "Internal structure": sentences and the `item_analysis` and `factor_fit` tables.
        """
        heading = "Internal structure"
        if not self.has_tool:
            return self._no_tool(heading)
        st = self.study
        for part in ("items", "alpha", "omega"):
            if getattr(st, part) is None:
                return self._failed(heading, part)
        prog = self.snap.programme
        low = min(prog.ppit_scale)
        domains = {it.id: it.domain for it in prog.ppit_items}
        ia = st.items
        frame = pd.DataFrame({
            "item": [self.item_labels[i] for i in ia["item"]], "domain": [_cap(domains[i]) for i in ia["item"]],
            "n": ia.n.to_numpy(int), "endorsed": ia.endorsed.to_numpy(int), "pct": np.nan,
            "r": ia.item_total_r.to_numpy()})
        # an item is withheld when few people scored it above, or at, the lowest value
        hide = withheld_rows(ia, ["endorsed", "not_endorsed"], self.t, additive=False)
        self._sample()
        scored = self._memo["sample_rows"]["scored"]
        everyone = np.full(len(frame), not self._shown("sample", "n", scored))
        tab = self.page.table(
            "item_analysis", frame, title="PPIT items on the first rating", counts=["n", "endorsed"],
            additive=False, kinds={"pct": "proportion", "r": "decimal2"},
            headings={"item": "Item", "domain": "Domain", "n": "People scored", "endorsed": f"Scored above {low}",
                      "pct": f"Share above {low}", "r": "Item-total r"},
            hide={"n": everyone, "endorsed": hide, "pct": hide | everyone}, shares={"pct": ("endorsed", "n")},
            notes=(f"Share above {low}: worked out from the published counts. Item-total r: corrected item-total "
                   "correlation (each item against the sum of the others; below 0.3 is usually read as weak).",))
        for i in range(len(frame)):
            self.page.link(self._ref("item_analysis", "n", i), self._sample_ref("scored"), "everyone scored")
        al, om = st.alpha, st.omega
        items = [self._say("Item statistics for the first ratings of {% if n %}{{ n }}{% else %}everyone scored"
                           "{% endif %}. Cronbach's (1951) alpha was {{ a }} (Feldt 1965 interval) and McDonald's "
                           "(1999) omega {{ o }}{{ boot }}.{{ hey }}",
                           n=self._sample_count("scored"), a=self._iv(al.alpha, al.ci_low, al.ci_high),
                           o=self._iv(om.omega, om.ci_low, om.ci_high),
                           boot=" (bootstrap interval)" if st.n_boot else "",
                           hey=(" Residual variances at their bound (Heywood cases): "
                                + ", ".join(self.item_labels.get(h, h) for h in om.heywood) + ".") if om.heywood
                           else ""), tab]
        fc = st.factors
        if fc is None:
            return Section(heading, tuple(items))
        ft = fc.table()
        names = {"one_factor": "One factor",
                 ft.index[1]: f"{fmt.number_word(len(fc.groups))} correlated factors ({', '.join(fc.groups)})"}
        frows = pd.DataFrame({"model": [_cap(names[i]) for i in ft.index], "chi2": ft.chi2.to_numpy(),
                              "df": ft.df.to_numpy(), "cfi": ft.cfi.to_numpy(), "rmsea": ft.rmsea.to_numpy(),
                              "srmr": ft.srmr.to_numpy(), "bic": ft.bic.to_numpy()})
        better = fc.lr_p_value < 0.05 and ft.bic.iloc[1] < ft.bic.iloc[0]
        items += [self.page.heading("One factor or two?", 3), self._say(
            "Confirmatory factor models fitted by maximum likelihood. The model with {{ groups }} factors {{ verdict }} "
            "than one general factor (chi-square difference {{ chi }} on {{ df }} {{ df | plural('degree') }} of "
            "freedom, p {{ p }}; BIC difference {{ bic }}); the factors correlate {{ r }} and their omegas are "
            "{{ om }}. Items have few categories, so fit indices from Pearson covariances are best read "
            "comparatively.",
            groups=" and ".join(fc.groups), verdict="fits better" if better else "does not fit clearly better",
            chi=fmt.decimal(max(fc.lr_statistic, 0)), df=fc.lr_df, p=fmt.p_value(fc.lr_p_value),
            bic=fmt.decimal(ft.bic.iloc[1] - ft.bic.iloc[0], 1, sign=True),
            r=fmt.index(fc.factor_correlations.iloc[0, 1]),
            om="; ".join(f"{k} {fmt.index(v)}" for k, v in fc.omega_by_factor.items())),
            self.page.table("factor_fit", frows, title="Fit of the factor models",
                            kinds={"chi2": "decimal1", "df": "whole", "cfi": "decimal2", "rmsea": "decimal2",
                                   "srmr": "decimal2", "bic": "decimal1"},
                            headings={"model": "Model", "chi2": "Chi-square", "df": "Degrees of freedom", "cfi": "CFI",
                                      "rmsea": "RMSEA", "srmr": "SRMR", "bic": "BIC"},
                            notes=("CFI: comparative fit index; RMSEA: root mean square error of approximation; SRMR: "
                                   "standardized root mean square residual; BIC: Bayesian information criterion "
                                   "(lower is better).",))]
        ld = fc.loadings()
        own = f"Own factor ({' or '.join(fc.groups)})"
        ltab = self.page.table(
            "factor_loadings", pd.DataFrame({"item": [self.item_labels[i] for i in ld.index],
                                             "one": ld.iloc[:, 0].to_numpy(),
                                             "own": ld.iloc[:, 1:].abs().max(axis=1).to_numpy()}),
            title="Standardized loadings of the PPIT items", kinds={"one": "decimal2", "own": "decimal2"},
            headings={"item": "Item", "one": "One factor", "own": own},
            notes=("Own factor: the item's loading on the factor of its domain in the model with one factor per "
                   "domain.",))
        lv = ltab.values
        ax = new_axes(figsize=(6.0, 3.8))
        y = np.arange(len(lv))[::-1]
        ax.plot(lv.one, y + 0.15, "o", color=PALETTE[0], label="One factor")
        ax.plot(lv.own, y - 0.15, "s", color=PALETTE[1], label=own)
        ax.set_yticks(y, list(lv["item"]), fontsize=7)
        ax.set_xlabel("Standardized loading")
        ax.set_xlim(0, 1)
        ax.set_title("Factor loadings")
        _legend(ax)
        items += [self.page.figure(ax, "Standardized loadings of each PPIT item under the one-factor and the "
                                       "two-factor models.", data=ltab), ltab]
        return Section(heading, tuple(items))

    # ------------------------------------------------------------------ equity
    def equity(self) -> Section:
        """Equity: AUC, calibration (observed/expected) and priority-flag rate by group.

        By sex, ethnic group, age band and district, with Cochran's Q test of equal AUCs and Cleary's
        (1968, Journal of Educational Measurement 5:115-124) test of differential prediction. Groups
        with fewer than the threshold of people with or without the outcome or the flag are withheld, with
        the next smallest group where one alone would be; the share flagged, its interval and its ratio to
        everyone else are worked out from the published counts. The flag tables are left out when the
        priority threshold falls inside a pooled band (their counts would split it).

        Returns
        -------
        Section
            "Equity": sentences, two tables per characteristic (`equity_accuracy_<x>`,
            `equity_priority_<x>`), the `equity_tests` table and a forest plot.
        """
        if not self.has_tool:
            return self._no_tool("Equity")
        intro = self._say(
            "Does the score work equally well, and flag people at similar rates, across groups? For each "
            "characteristic: the AUC within each group (DeLong interval), observed against expected outcomes from "
            "the single logistic model of the outcome on the PPIT total (O/E above 1 means the score under-states "
            "risk in that group), and the share flagged as a priority (Wilson interval) with its ratio to everyone "
            "else's, worked out from the published counts. Groups with fewer than {{ t }} people with or without the "
            "outcome or the flag are withheld, and where one group is withheld the next smallest is withheld too.",
            t=self.t)
        blocked = self._blocked("Equity", "discrimination")
        if blocked:
            return Section("Equity", (intro, blocked.items[0]))
        st, rule = self.study, self.page.rule
        # the flag counts of everyone are a count at the priority threshold: publish them only where the table
        # of cut-offs publishes that cut-off, or where no cut-off is published at all
        flags = not self.bands or self._at_cutoff(self.priority) is not None
        items, forest, drawn = [intro], [], []
        if not flags:
            items.append(self._say("Flag rates by group are not published: the priority threshold ({{ thr }} or more) "
                                   "falls inside a pooled score band.", thr=self.priority))
        everyone_auc = self.auc_numbers()  # the page's one AUC (the registered value with the default outcome)
        for name in CHARACTERISTICS:
            items.append(self.page.heading(name, 3))
            a = st.equity_accuracy[st.equity_accuracy.characteristic == name].reset_index(drop=True)
            p = st.equity_priority[st.equity_priority.characteristic == name].reset_index(drop=True)
            if a.empty:
                items.append(self._say("Not shown: fewer than two groups are large enough to compare."))
                continue
            everyone = a.everyone.to_numpy(bool)
            last = int(np.flatnonzero(everyone)[0])
            groups = [g if e else _cap(g) for g, e in zip(a.group, everyone, strict=True)]
            people = (a.events + a.non_events).to_numpy(int)
            exact = pd.DataFrame({"events": a.events.to_numpy(int), "non_events": a.non_events.to_numpy(int),
                                  "flagged": p.flagged.to_numpy(int), "unflagged": p.unflagged.to_numpy(int)})
            missing = a.auc.isna().to_numpy() | (p.rate.isna().to_numpy() if flags else False)
            hide = withheld_groups(exact, list(exact.columns) if flags else ["events", "non_events"], self.t,
                                   exclude=everyone, also=missing & ~everyone)
            if hide[~everyone].all():
                items.append(self._say("Not shown: no group is large enough to publish apart from the rest."))
                continue
            acc = pd.DataFrame({"group": groups, "people": people, "events": exact.events, "auc": a.auc,
                                "low": a.ci_low, "high": a.ci_high, "oe": a.oe})
            acc.loc[everyone, ["auc", "low", "high"]] = everyone_auc
            key = name.lower().replace(" ", "_")
            an = f"equity_accuracy_{key}"
            tab = self.page.table(
                an, acc, title=f"Accuracy by {name.lower()}", counts=["people", "events"], additive=False,
                kinds={"auc": "index", "low": "index", "high": "index", "oe": "decimal2"},
                headings={"group": name, "people": "People", "events": "With outcome", "auc": "AUC",
                          "low": "Lower 95%", "high": "Upper 95%", "oe": "Observed / expected"},
                hide={c: hide for c in ("people", "events", "auc", "low", "high", "oe")})
            items.append(tab)
            drawn.append(tab)
            rows = [i for i in range(len(acc)) if i != last]
            for col, key_ in (("people", "observed"), ("events", "with")):
                self.page.link([self._ref(an, col, i) for i in rows], self._ref(an, col, last),
                               f"{name.lower()}: the groups add up")
                self.page.link(self._ref(an, col, last), self._sample_ref(key_), "everyone observed")
            if flags:
                pub = [rule.publish(v) if not h else None for v, h in zip(people, hide, strict=True)]
                pf = [rule.publish(v) if not h else None for v, h in zip(exact.flagged, hide, strict=True)]
                ratio = [np.nan] * len(acc)
                for i in rows:  # the share flagged over everyone else's, from the published counts
                    if pub[i] and pf[i] is not None and pub[last] - pub[i] > 0 and pf[last] - pf[i] > 0:
                        ratio[i] = (pf[i] / pub[i]) / ((pf[last] - pf[i]) / (pub[last] - pub[i]))
                flag = pd.DataFrame({"group": groups, "people": people, "flagged": exact.flagged, "rate": np.nan,
                                     "low": np.nan, "high": np.nan, "ratio": ratio})
                fn = f"equity_priority_{key}"
                items.append(self.page.table(
                    fn, flag, title=f"Flagged as a priority by {name.lower()}", counts=["people", "flagged"],
                    additive=False, kinds={"rate": "proportion", "low": "proportion", "high": "proportion",
                                           "ratio": "ratio"},
                    headings={"group": name, "people": "People", "flagged": "Priority", "rate": "Share priority",
                              "low": "Lower 95%", "high": "Upper 95%", "ratio": "Ratio to the rest"},
                    hide={c: hide for c in ("people", "flagged", "rate", "low", "high", "ratio")},
                    shares={"rate": ("flagged", "people", "low", "high")},
                    notes=("Share priority, its Wilson (1927) interval and the ratio of the share to that of everyone "
                           "else are worked out from the published counts.",)))
                for i in range(len(acc)):
                    self.page.link(self._ref(fn, "people", i), self._ref(an, "people", i), "the same group")
                self.page.link([self._ref(fn, "flagged", i) for i in rows], self._ref(fn, "flagged", last),
                               f"{name.lower()}: the groups add up")
                if self.bands:
                    above = [i for i, e in enumerate(self.bands) if e >= self.priority]
                    self.page.link(self._ref(fn, "flagged", last),
                                   [self._ref("calibration_by_score", c, b) for b in above
                                    for c in ("events", "non_events")],
                                   "everyone flagged: the pooled bands from the priority threshold up")
            v = tab.values
            for i in rows:
                if not hide[i] and np.isfinite(v.auc.iloc[i]):
                    forest.append((name, v.group.iloc[i], v.auc.iloc[i], v.low.iloc[i], v.high.iloc[i]))
        tests = st.equity_tests
        if len(tests):
            items += [self.page.heading("Tests", 3), self._say(
                "Equal AUCs across groups: Cochran's Q. Differential prediction (Cleary 1968): likelihood-ratio tests "
                "that the score's slope, then (given equal slopes) its intercept, differ by group; a small p means the "
                "same score carries a different risk in different groups. Several tests are run, so one p below "
                "the usual five per cent is weak evidence on its own."),
                self.page.table("equity_tests", tests[["characteristic", "auc_q", "slopes", "intercepts"]],
                                title="Tests of equal accuracy by group",
                                kinds={"auc_q": "p", "slopes": "p", "intercepts": "p"},
                                headings={"characteristic": "Characteristic", "auc_q": "Equal AUC p",
                                          "slopes": "Equal slopes p", "intercepts": "Equal intercepts p"},
                                notes=("Blank: not estimable with the groups large enough to publish.",))]
        if forest:
            ax = new_axes(figsize=(6.0, max(2.5, 0.28 * len(forest) + 1)))
            yy = np.arange(len(forest))[::-1]
            cmap = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(CHARACTERISTICS)}
            for k, f in enumerate(forest):
                ax.errorbar(f[2], yy[k], xerr=[[f[2] - f[3]], [f[4] - f[2]]], fmt="o", color=cmap[f[0]], capsize=2,
                            ms=4)
            ax.axvline(everyone_auc[0], color=GREY, ls="--", lw=1, label="Everyone")
            ax.axvline(0.5, color=GREY, ls=":", lw=1, label="Chance")
            ax.set_yticks(yy, [f"{f[0]}: {f[1]}" for f in forest], fontsize=7)
            ax.set_xlim(0.3, 1)
            ax.set_xlabel("AUC (95% interval)")
            ax.set_title("Discrimination by group")
            _legend(ax)
            items.append(self.page.figure(ax, "Forest plot of the PPIT AUC within each published group of sex, ethnic "
                                              "group, age band and district, with the overall AUC as a dashed line.",
                                          data=drawn))
        return Section("Equity", tuple(items))

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
