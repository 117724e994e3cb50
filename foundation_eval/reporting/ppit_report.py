"""PPIT validity study: what the report shows, published through one page.

[`PpitValidityReport`][foundation_eval.reporting.ppit_report.PpitValidityReport] reads the render's
snapshot, builds the analysis frames of `foundation_eval.ppit.validity` (re-exported here:
[`validation_frame`][foundation_eval.reporting.ppit_report.validation_frame],
[`reliability_frame`][foundation_eval.reporting.ppit_report.reliability_frame],
[`outcome_definition`][foundation_eval.reporting.ppit_report.outcome_definition]), calls the statistics
of [`foundation_eval.ppit`][foundation_eval.ppit] and returns publication items (sections, tables,
figures, sentences) through a [`Page`][foundation_eval.reporting.publication.Page], for a notebook to
show one by one:

```python
report = PpitValidityReport(snap)
show(report.discrimination())
```

Every count goes through the page's disclosure rule (rounded to 5, 1 to 9 withheld by default). With
the default outcome and window (any DA offence within 12 months of first listing), the AUC of the PPIT
total is the snapshot's registered `ppit_auc_12m` and the agreement of two assessors is
`ppit_icc2_total` ([`Page.estimate`][foundation_eval.reporting.publication.Page.estimate]); other
outcomes and windows are other quantities and are labelled as such.
"""
from __future__ import annotations

import functools
from functools import cached_property

import numpy as np
import pandas as pd

from foundation_eval import ppit as pv
from foundation_eval.ppit.validity import (
    DAYS_PER_MONTH,
    DEFAULT_HARM_THRESHOLD,
    OUTCOMES,
    VIOLENT_SEVERITY,
    band_index,
    band_means,
    double_scored,
    limits_of_agreement,
    outcome_definition,
    reliability_frame,
    rfg_scores,
    score_risk_model,
    temporal_validation,
    validation_frame,
)
from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting.disclosure import withheld_rows
from foundation_eval.reporting.figures import GREY, PALETTE, new_axes
from foundation_eval.reporting.ppit_tables import band_labels, safe_bands
from foundation_eval.reporting.ppit_text import BENCHMARKS, REFERENCES, icc_words
from foundation_eval.reporting.publication import Page, Section, Text

__all__ = ["PpitValidityReport", "OUTCOMES", "VIOLENT_SEVERITY", "DEFAULT_HARM_THRESHOLD", "outcome_definition",
           "rfg_scores", "validation_frame", "reliability_frame", "safe_bands"]

HORIZONS_MONTHS = (6, 12, 24)
PREDICTORS = {"ppit_total": "PPIT total", "prior_da_2y": "Prior DA offences (2 years)",
              "rfg_score": "Recency-frequency-gravity score"}
CHARACTERISTICS = (("Sex", "sex"), ("Ethnic group", "ethnicity_group"), ("Age band", "age_band"),
                   ("District", "district"))


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _and(words) -> str:
    words = list(words)
    if not words:
        return ""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _estimable(what: str):
    """A section whose statistics the library cannot estimate on these data says why instead of failing."""

    def wrap(method):
        @functools.wraps(method)
        def inner(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except (ValueError, np.linalg.LinAlgError, ZeroDivisionError) as exc:
                reason = str(exc).split("\n")[0].rstrip(".")
                return Section(what, (self.page.say("{{ what }} could not be estimated on these data: {{ reason }}.",
                                                    what=_cap(what.lower()), reason=reason),))
        return inner
    return wrap


class PpitValidityReport:
    """The PPIT validity report: how well the risk tool predicts further domestic abuse.

    Discrimination (AUC with DeLong intervals, against two police-data baselines), time to the outcome
    (Harrell's C, AUC(t)), incremental value over police data, calibration, thresholds, reliability
    between assessors, internal structure and equity across protected characteristics. The statistics
    are computed on first use and kept; each section method returns a
    [`Section`][foundation_eval.reporting.publication.Section]. A section the data cannot support (too few
    people with or without the outcome, or a statistic that cannot be estimated) says why in a sentence
    instead of failing. A programme without a risk tool gets a report saying there is nothing to
    validate.

    Parameters
    ----------
    snap : Snapshot
        The render's snapshot ([`open_snapshot`][foundation_eval.evaluation.snapshot.open_snapshot]).
    outcome : {"any_da", "violent_da", "harm_above"}
        See [`outcome_definition`][foundation_eval.reporting.ppit_report.outcome_definition].
    window_months : int
        Outcome window in months after the index date (first listing).
    min_followup_months : int, optional
        Minimum possible follow-up (index date to extract date) to enter the sample; default the window.
    harm_threshold : float, optional
        Crime Harm Index days for ``outcome="harm_above"`` (default 365; 0 or blank: the default).
    violent_severity : int
        Severity cut for ``outcome="violent_da"``.
    n_boot : int
        Bootstrap replicates for the time-dependent AUC and omega (at least 100 are used when positive);
        0: point estimates only there (much faster).
    level : float
        Confidence level of every interval (0.95 for the registered values).

    Attributes
    ----------
    page : Page
        Everything the report publishes; `report.page.write_workbook(path)` writes its tables.
    has_tool : bool
        Whether the programme defines a risk tool and the extract holds assessments of it.
    spec : OutcomeDefinition or None
        The outcome definition ([`outcome_definition`][foundation_eval.reporting.ppit_report.outcome_definition]);
        None without a risk tool.
    t : int
        The disclosure threshold.
    tool, priority, max_score : str, int, int
        The tool's name, the total at which a person is flagged as a priority, and the highest total
        (set only when `has_tool`).

    Examples
    --------
    On the built-in synthetic force, without bootstrap replicates:

    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> report = PpitValidityReport(open_snapshot(), n_boot=0)
    >>> report.registered, report.outcome_phrase
    (True, 'a further domestic-abuse offence within 12 months of first listing')
    >>> [getattr(part, "heading", "") for part in report.sections()][2:]
    ['Methods', 'Discrimination', 'Time to the outcome', 'Does the PPIT add to police data?', 'Calibration',
     'Thresholds', 'Reliability between assessors', 'Internal structure', 'Equity', 'Limitations',
     'Disclosure control', 'Provenance']
    >>> [t.name for t in report.page.tables][:3]
    ['discrimination', 'discrimination_sample', 'roc_ppit_total']
    """

    def __init__(self, snap, outcome: str = "any_da", window_months: int = 12, min_followup_months=None,
                 harm_threshold=None, violent_severity: int = VIOLENT_SEVERITY, n_boot: int = 200,
                 level: float = 0.95):
        self.snap = snap
        self.ds = snap.dataset
        prog = self.ds.programme
        self.outcome = outcome
        self.window_months = int(window_months)
        self.min_followup_months = (None if min_followup_months in (None, "") else int(min_followup_months))
        self.harm_threshold = float(harm_threshold) if harm_threshold else None
        self.violent_severity = int(violent_severity)
        self.n_boot = int(n_boot)
        self.level = float(level)
        self.has_tool = bool(getattr(prog, "has_risk_tool", False)) and len(self.ds.ppit_assessments) > 0
        self.spec = (outcome_definition(prog, outcome, self.harm_threshold, self.violent_severity)
                     if self.has_tool else None)
        params = {"outcome": outcome, "window_months": self.window_months,
                  "min_followup_months": self.min_followup_months if self.min_followup_months is not None
                  else self.window_months, "harm_threshold": self.spec.harm_threshold if self.spec else None,
                  "n_boot": self.n_boot, "level": self.level}
        self.has_tool = self.has_tool and self.spec is not None
        title = f"{prog.ppit_name} validity study" if self.has_tool else "risk-tool validity study"
        self.page = Page(snap, title, kind="Risk-tool validity study", parameters=params)
        self.t = self.page.threshold
        if self.has_tool:
            self.items = list(prog.ppit_item_ids)
            self.item_labels = {i.id: i.label for i in prog.ppit_items}
            self.priority = int(prog.ppit_threshold)
            self.max_score = int(prog.ppit_max)
            self.tool = prog.ppit_name

    # ================================================================== definitions
    @property
    def registered(self) -> bool:
        """True when the AUC on this page is the registered ``ppit_auc_12m`` (default outcome and window)."""
        min_fu = self.window_months if self.min_followup_months is None else self.min_followup_months
        return (self.has_tool and self.spec.key == "any_da" and self.window_months == 12 and min_fu <= 12
                and abs(self.level - 0.95) < 1e-12)

    @property
    def outcome_phrase(self) -> str:
        """The one wording of the outcome on this page: "a further DA offence within 12 months of first listing"."""
        return f"{self.spec.label} within {self.window_months} months of first listing"

    @property
    def auc_label(self) -> str:
        """The name of the AUC on this page (the registry's label for the default outcome and window)."""
        if self.registered:
            from foundation_eval.evaluation.registry import REGISTRY

            return REGISTRY["ppit_auc_12m"].label
        return (f"AUC of the PPIT total for {self.spec.short} within {self.window_months} months (an alternative "
                "outcome definition, not the registered headline AUC)")

    def _no_tool(self, heading: str) -> Section:
        return Section(heading, (self._say(
            "{{ name }} defines no risk tool, or the extract holds no risk-tool assessments, so there is nothing to "
            "validate.", name=self.ds.programme.name),))

    def _say(self, template: str, **values) -> Text:
        return self.page.say(template, **values)

    def _iv(self, est, lo, hi, unit: str = "index") -> str:
        """``0.72 (95% interval 0.61 to 0.83)`` by the page's number rules."""
        if est is None or not np.isfinite(est):
            return "not available"
        if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)):
            return fmt.value(est, unit) if unit in fmt.UNITS else fmt.index(est)
        return f"{fmt.value(est, unit)} ({fmt.interval(lo, hi, unit, self.level)})"

    # ================================================================== frames
    @cached_property
    def frame(self) -> pd.DataFrame:
        """The validation frame ([`validation_frame`][foundation_eval.reporting.ppit_report.validation_frame])."""
        return validation_frame(self.ds, self.outcome, self.window_months, self.min_followup_months,
                                self.spec.harm_threshold, self.violent_severity)

    @cached_property
    def binary(self) -> pd.DataFrame:
        """People whose whole outcome window is observed, ``outcome`` as int."""
        b = self.frame[self.frame.window_observed].copy().reset_index(drop=True)
        b["outcome"] = b.outcome.astype(int)
        return b

    @property
    def n_events(self) -> int:
        """Number of people with the outcome among those whose whole window is observed (exact)."""
        return int(self.binary.outcome.sum())

    @property
    def can_discriminate(self) -> bool:
        """Whether at least the threshold of people (and at least 2) had, and did not have, the outcome."""
        n, e = len(self.binary), self.n_events
        return min(e, n - e) >= max(self.t, 2)

    def _y(self) -> np.ndarray:
        return self.binary.outcome.to_numpy()

    @cached_property
    def pairs(self) -> pd.DataFrame:
        """Double-scored people, first and second rating side by side (pairs by two different assessors)."""
        r = reliability_frame(self.ds)
        return r[~r.same_assessor].reset_index(drop=True)

    # ================================================================== results (all from foundation_eval.ppit)
    @cached_property
    def auc_ppit(self) -> pv.AUCResult:
        """AUC of the PPIT total on this page's outcome, with its DeLong interval ([`auc`][foundation_eval.ppit.auc])."""
        return pv.auc(self.binary.ppit_total.astype(float), self._y(), level=self.level)

    @cached_property
    def auc_view(self):
        """The AUC shown on the page: the registered estimate with the default outcome and window."""
        return self.page.estimate("ppit_auc_12m") if self.registered else None

    def auc_numbers(self) -> tuple[float, float, float]:
        """The page's AUC and its interval: the snapshot's registered value when the settings are the
        registered ones, else the AUC computed here.

        Returns
        -------
        tuple of float
            `(estimate, low, high)` on the AUC scale, where 0.5 is chance and 1 perfect discrimination.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> report = PpitValidityReport(open_snapshot(), n_boot=0)
        >>> est, low, high = report.auc_numbers()
        >>> bool(0.5 < low < est < high < 1)
        True
        >>> est == report.page.estimate("ppit_auc_12m").estimate  # the registered value
        True
        """
        v = self.auc_view
        if v is not None and v.available:
            return v.estimate, v.ci_low, v.ci_high
        a = self.auc_ppit
        return a.estimate, a.ci_low, a.ci_high

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

    @cached_property
    def auc_baselines(self) -> dict:
        """AUC of the two police-data baselines (`prior_da_2y`, `rfg_score`), each an `AUCResult`."""
        b = self.binary
        return {k: pv.auc(b[k].astype(float), self._y(), level=self.level) for k in ("prior_da_2y", "rfg_score")}

    @cached_property
    def delong(self) -> dict:
        """Paired DeLong comparison of the PPIT total with each baseline
        ([`delong_test`][foundation_eval.ppit.delong_test]), by baseline column."""
        b = self.binary
        return {k: pv.delong_test(b.ppit_total.astype(float), b[k].astype(float), self._y(), level=self.level)
                for k in ("prior_da_2y", "rfg_score")}

    @cached_property
    def harrell(self) -> dict:
        """Harrell's C of each predictor on everyone, censored at exit or the extract date
        ([`harrell_c`][foundation_eval.ppit.harrell_c]); empty when everyone or no one had the event."""
        f = self.frame
        if f.event.sum() == 0 or f.event.sum() == len(f):
            return {}
        return {k: pv.harrell_c(f.time_days.to_numpy(), f.event.to_numpy(), f[k].astype(float).to_numpy(),
                                level=self.level) for k in PREDICTORS}

    @cached_property
    def td_auc(self):
        """Cumulative/dynamic AUC(t) of the PPIT total at 6, 12 and 24 months where enough people are on
        both sides ([`time_dependent_auc`][foundation_eval.ppit.time_dependent_auc]); None when no horizon is."""
        f = self.frame
        t, e = f.time_days.to_numpy(), f.event.to_numpy()
        ok = [m * DAYS_PER_MONTH for m in HORIZONS_MONTHS
              if min(int(((t <= m * DAYS_PER_MONTH) & (e == 1)).sum()), int((t > m * DAYS_PER_MONTH).sum())) >= self.t]
        if not ok:
            return None
        return pv.time_dependent_auc(t, e, f.ppit_total.astype(float).to_numpy(), ok, level=self.level,
                                     n_boot=max(self.n_boot, 100) if self.n_boot else 0, seed=2)

    @cached_property
    def incremental_value(self) -> pv.IncrementalValue:
        """Likelihood-ratio test and AUC gain of adding the PPIT total to the two baselines
        ([`incremental_value`][foundation_eval.ppit.incremental_value])."""
        b = self.binary
        return pv.incremental_value(self._y(), b[["prior_da_2y", "rfg_score"]].astype(float),
                                    b.ppit_total.astype(float).rename("ppit_total"), level=self.level)

    @cached_property
    def model(self):
        """Logistic model of the outcome on the PPIT total (`foundation_eval.ppit.validity.score_risk_model`)."""
        return score_risk_model(self.binary.ppit_total.astype(float), self._y(), self.level)

    @cached_property
    def bands(self) -> list[float]:
        """Safe bands of the PPIT total (priority threshold kept as an edge where possible)."""
        b = self.binary
        return safe_bands(b.ppit_total, b.outcome, self.t, force_edge=self.priority)

    @cached_property
    def icc_result(self):
        """The six intraclass correlations of the total on the registered sample (double-scored people)."""
        long = double_scored(self.ds.ppit_assessments)
        if long.person_id.nunique() < max(self.t, 3):
            return None
        return pv.icc(long, target="person_id", rater="rating", score="total", level=self.level)

    @cached_property
    def icc_view(self):
        """The registered ICC(2,1) of the total, `ppit_icc2_total`, read from the snapshot."""
        return self.page.estimate("ppit_icc2_total")

    @cached_property
    def items_first(self) -> pd.DataFrame:
        """Item scores of the first rating, one column per item, as floats."""
        return self.frame[self.items].astype(float).reset_index(drop=True)

    @cached_property
    def alpha(self):
        """Cronbach's alpha of the items with its Feldt interval ([`cronbach_alpha`][foundation_eval.ppit.cronbach_alpha])."""
        return pv.cronbach_alpha(self.items_first, level=self.level)

    @cached_property
    def omega(self):
        """McDonald's omega of the items ([`omega`][foundation_eval.ppit.omega]; bootstrap interval when
        `n_boot` is positive)."""
        return pv.omega(self.items_first, level=self.level, n_boot=max(self.n_boot, 100) if self.n_boot else 0,
                        seed=3)

    @cached_property
    def factors(self):
        """One-factor against domain-factor models of the items
        ([`compare_factor_structures`][foundation_eval.ppit.compare_factor_structures]); None when the tool
        has fewer than two domains or a domain with a single item."""
        groups: dict = {}
        for it in self.ds.programme.ppit_items:
            groups.setdefault(it.domain, []).append(it.id)
        if len(groups) < 2 or any(len(v) < 2 for v in groups.values()):
            return None
        return pv.compare_factor_structures(self.items_first, groups)

    def _group_labels(self, col: str) -> pd.Series:
        b = self.binary
        if col == "district":
            names = {d.id: d.name for d in self.ds.programme.districts}
            return b.district_id.map(names).fillna(b.district_id).astype(object)
        return b[col].astype(object).fillna("not recorded").map(lambda s: _cap(str(s)))

    @cached_property
    def equity_results(self) -> dict:
        """Per characteristic: AUC, calibration and priority-flag rate by group, and differential prediction.

        Groups with fewer than the threshold of people with or without the outcome (or the flag) are
        dropped by the library (``small_groups="drop"``) and withheld on the page.
        """
        out: dict = {}
        if not self.can_discriminate:
            return out
        b = self.binary
        y, flags = self._y(), b.ppit_priority.astype(int).to_numpy()
        x = b.ppit_total.astype(float).to_numpy()
        for name, col in CHARACTERISTICS:
            labels = self._group_labels(col)
            res = {"labels": labels}
            try:
                res["auc"] = pv.auc_by_group(x, y, labels, min_count=self.t, small_groups="drop", level=self.level)
                res["cal"] = pv.calibration_by_group(self.model.predicted, y, labels, min_count=self.t,
                                                     small_groups="drop", level=self.level)
            except ValueError:
                res["auc"] = res["cal"] = None
            try:
                res["flag"] = pv.flag_rate_parity(flags, labels, min_count=self.t, small_groups="drop",
                                                  level=self.level)
            except ValueError:
                res["flag"] = None
            try:
                res["dp"] = pv.differential_prediction(x, y, labels, min_count=self.t, small_groups="drop",
                                                       level=self.level)
            except (ValueError, np.linalg.LinAlgError):
                res["dp"] = None
            out[name] = res
        return out

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
        accuracy differed between groups.

        Returns
        -------
        Text
            The summary box.
        """
        if not self.has_tool:
            return self.page.summary([self._no_tool("Summary").items[0]])
        s = []
        b = self.binary
        sh = self.page.share(self.n_events, len(b), self.level)
        s.append(self._say(
            "Of {{ n_all | count('listed people') }} scored on the PPIT, {{ n | count }} were followed for the whole "
            "{{ w }} months{% if pct %}, and {{ pct }} of them went on to commit {{ label }} in that time{% endif %}.",
            n_all=len(self.frame), n=len(b), w=self.window_months, label=self.spec.label,
            pct=fmt.percent(sh["pct"], scale=1) if sh["pct"] is not None else ""))
        if not self.can_discriminate:
            s.append(self._say("Too few people had, or did not have, the outcome to judge how well the "
                                         "score predicts it."))
        else:
            est, lo, hi = self.auc_numbers()
            s.append(self._auc_sentence(lo, hi))
            inc = self.incremental_value
            d_prior, d_rfg = self.delong["prior_da_2y"], self.delong["rfg_score"]
            better = d_prior.ci_low > 0 and d_rfg.ci_low > 0
            s.append(self._say(
                "{{ lead }} (AUC {{ a1 }} for the count of prior DA offences, {{ a2 }} for a recency-frequency-gravity "
                "score), and the PPIT {{ adds }} information to them (likelihood-ratio p {{ p }}).",
                lead=("The PPIT did better than police records alone" if better else
                      "The PPIT did not do detectably better than police records alone"),
                a1=fmt.index(d_prior.auc_b), a2=fmt.index(d_rfg.auc_b),
                adds="added" if inc.lr_p_value < 0.05 else "did not detectably add", p=fmt.p_value(inc.lr_p_value)))
        s.append(self._icc_sentence())
        eq = self.equity_results
        tested = [(n, r["auc"].heterogeneity_p_value) for n, r in eq.items()
                  if r.get("auc") is not None and np.isfinite(r["auc"].heterogeneity_p_value)]
        if tested:
            worst = min(tested, key=lambda x: x[1])
            if worst[1] < 0.05:
                s.append(self._say("Accuracy differed by {{ what }} (test of equal AUCs p {{ p }}); see Equity.",
                                   what=worst[0].lower(), p=fmt.p_value(worst[1])))
            else:
                s.append(self._say("Accuracy did not differ detectably by {{ what }} (smallest p {{ p }}), though "
                                   "small groups give wide intervals.",
                                   what=_and(n.lower() for n, _ in tested), p=fmt.p_value(worst[1])))
        return self.page.summary(s[:6])

    def _auc_sentence(self, lo, hi) -> Text:
        return self._say("The PPIT total told apart those who did and did not: the {{ name }} was {{ auc }}, {{ bench }} "
                         "in published studies.",
                         auc=self._auc_markup(), bench=self._compare_benchmarks(lo, hi), name=self.auc_label)

    def _auc_markup(self):
        from markupsafe import Markup

        v = self.auc_text()
        return Markup(v.html()) if hasattr(v, "html") else v

    def _icc_sentence(self) -> Text:
        v = self.icc_view
        if not v.available:
            return self._say("Agreement between two assessors is not reported: {{ why }}", why=v.reason)
        lo_w, hi_w = icc_words(v.ci_low), icc_words(v.ci_high)
        words = lo_w if lo_w == hi_w else f"{lo_w} to {hi_w}"
        from markupsafe import Markup

        return self._say("Agreement between two assessors scoring the same person was {{ words }}: ICC(2,1) "
                         "{{ icc }} over {{ n | count }} scored twice.", words=words, icc=Markup(v.html()),
                         n=double_scored(self.ds.ppit_assessments).person_id.nunique())

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
            Sentences with their citations.
        """
        if not self.has_tool:
            return self._no_tool("Methods")
        prog = self.ds.programme
        f = self.frame
        excluded = len(f) - len(self.binary)
        exited = int((~f.window_observed & f.exit_date.notna() & (f.exit_date < f.window_close)).sum())
        min_fu = f.attrs.get("min_followup_months", self.window_months)
        items = [
            self._say("People put on the {{ prog }} list at least once and scored on the PPIT. The index date is the "
                      "first day of the month of first listing; the first rating (the one used in practice) is "
                      "analysed. People listed less than {{ fu }} months before the extract date ({{ extract }}) are "
                      "left out. Accuracy for the binary outcome uses the {{ n | count }} whose whole {{ w }}-month "
                      "window was observed; {{ x | count }} were left out{% if rest %} ({{ ex | count }} because they "
                      "exited, i.e. custody, moved away or died, before it closed; the rest because the extract ended "
                      "first){% else %} because they exited (custody, moved away or died) before it closed{% endif %}. Time-to-event measures use everyone, "
                      "censored at exit or the extract date.",
                      prog=prog.name, fu=min_fu, extract=str(pd.Timestamp(self.ds.extract_date).date()),
                      n=len(self.binary), w=self.window_months, x=excluded, ex=exited, rest=excluded > exited),
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
                "2014). RFG adds points for how recent, how "
                "frequent and how grave the previous two years' DA offences were (see "
                "foundation_eval.ppit.validity.rfg_scores)."),
            self._say("All intervals are {{ lvl }} intervals. Each section names its method and reference. "
                      "Score values and groups are pooled or withheld so that no published count falls between one "
                      "and {{ t }}.", lvl=fmt.percent(self.level), t=fmt.number_word(self.t - 1)),
        ]
        return Section("Methods", tuple(items))

    def _outcome_text(self) -> str:
        prog = self.ds.programme
        if self.spec.key == "any_da":
            what = "any police-recorded domestic-abuse (DA) offence"
        elif self.spec.key == "violent_da":
            labels = [o.label for o in prog.offence_types if o.id in self.spec.types]
            what = (f"a DA offence of a type with severity {self.violent_severity} or more on the programme's scale "
                    f"({', '.join(labels)})")
        else:
            what = (f"DA offences whose Cambridge Crime Harm Index weights (days of recommended imprisonment; Sherman, "
                    f"Neyroud & Neyroud 2016) add up to more than {self.spec.harm_threshold:,.0f} days")
        return (f"{what} dated after the index date and within {self.window_months} months of it. Offences are "
                "counted from police records, so abuse that is not reported is missed.")

    def _too_few(self, heading: str) -> Section:
        return Section(heading, (self._say(
            "Not published: fewer than {{ t }} people had, or did not have, {{ label }}, too few to estimate "
            "accuracy.", t=self.t, label=self.outcome_phrase),))

    # ------------------------------------------------------------------ discrimination
    def _threshold_frame(self, col: str, edges, mark=None) -> tuple[pd.DataFrame, pd.DataFrame]:
        b = self.binary
        tt = pv.threshold_table(b[col].astype(float), self._y(), thresholds=edges, level=self.level).table()
        cut = [f"{int(c)} or more" + (" (current priority threshold)" if mark is not None and c == mark else "")
               for c in tt.threshold]
        return pd.DataFrame({"cutoff": cut, "threshold": tt.threshold.astype(float),
                             "flagged": tt.flagged.astype(int), "tp": tt.tp.astype(int), "fp": tt.fp.astype(int),
                             "fn": tt.fn.astype(int), "tn": tt.tn.astype(int),
                             "share": tt.share_flagged, "sens": tt.sensitivity, "spec": tt.specificity,
                             "ppv": tt.ppv, "npv": tt.npv, "_tt": range(len(tt))}), tt

    def _roc_points(self, col: str) -> pd.DataFrame:
        """ROC points from the published (rounded) counts at safe cut-offs."""
        b = self.binary
        # the PPIT curve passes through the cut-offs of the threshold table, so the two publish one set of edges
        edges = self.bands if col == "ppit_total" else safe_bands(b[col], b.outcome, self.t)
        if not edges:
            return pd.DataFrame(columns=["fpr", "tpr", "cutoff"])
        frame, _ = self._threshold_frame(col, edges)
        hide = withheld_rows(frame, ["tp", "fp", "fn", "tn"], self.t, additive=False)
        tab = self.page.table(f"roc_{col}", frame[["threshold", "tp", "fp", "fn", "tn"]],
                              title=f"Counts behind the ROC curve of the {PREDICTORS[col]}",
                              counts=["tp", "fp", "fn", "tn"], additive=False, kinds={"threshold": "whole"},
                              headings={"threshold": "Flag at score", "tp": "Flagged, outcome",
                                        "fp": "Flagged, no outcome", "fn": "Not flagged, outcome",
                                        "tn": "Not flagged, no outcome"},
                              hide={c: hide for c in ("tp", "fp", "fn", "tn")},
                              notes=("Cut-offs are edges of pooled score bands.",))
        v = tab.values.dropna(subset=["tp", "fp", "fn", "tn"])
        pts = pd.DataFrame({"fpr": v.fp / (v.fp + v.tn), "tpr": v.tp / (v.tp + v.fn), "cutoff": v.threshold})
        return pd.concat([pd.DataFrame({"fpr": [0.0], "tpr": [0.0], "cutoff": [np.inf]}), pts.iloc[::-1],
                          pd.DataFrame({"fpr": [1.0], "tpr": [1.0], "cutoff": [-np.inf]})], ignore_index=True)

    def roc_figure(self):
        """ROC curves of the PPIT total and the two baselines, through cut-offs whose published counts are
        safe, with the priority threshold marked.

        Returns
        -------
        Figure
            The chart; its legend gives each AUC with its interval.
        """
        ax = new_axes(figsize=(5.2, 4.6))
        aucs = {"ppit_total": self.auc_numbers(), **{k: (r.estimate, r.ci_low, r.ci_high)
                                                     for k, r in self.auc_baselines.items()}}
        for (col, label), colour in zip(PREDICTORS.items(), PALETTE[:3], strict=True):
            pts = self._roc_points(col)
            if len(pts) < 3:
                continue
            e, lo, hi = aucs[col]
            ax.plot(pts.fpr, pts.tpr, marker="o", ms=3.5, color=colour,
                    label=f"{label}: AUC {fmt.index(e)} ({fmt.index(lo)} to {fmt.index(hi)})")
            if col == "ppit_total":
                cur = pts[pts.cutoff == self.priority]
                if len(cur):
                    ax.plot(cur.fpr, cur.tpr, marker="D", ms=8, color=PALETTE[3], ls="none",
                            label=f"Priority threshold ({self.priority}+)")
        ax.plot([0, 1], [0, 1], color=GREY, ls=":", lw=1)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("1 - specificity (share without the outcome flagged)")
        ax.set_ylabel("Sensitivity (share with the outcome flagged)")
        ax.set_title("ROC curves")
        ax.legend(loc="lower right", fontsize=8)
        return self.page.figure(ax, f"ROC curves of the PPIT total, the count of prior DA offences and the RFG score "
                                    f"for {self.spec.short} within {self.window_months} months, drawn through "
                                    "cut-offs whose published counts are safe; the priority threshold is marked.",
                                caption="ROC curves through cut-offs that pass disclosure control (adjacent scores "
                                        "pooled, counts rounded).")

    @_estimable("Discrimination")
    def discrimination(self) -> Section:
        """AUC of the PPIT total and of two police-data baselines, paired comparisons, ROC curves.

        AUCs carry DeLong intervals and the paired comparisons DeLong's test (DeLong, DeLong and
        Clarke-Pearson 1988, Biometrics 44:837-845).

        Returns
        -------
        Section
            "Discrimination": a sentence, the `discrimination` and `discrimination_sample` tables and the
            ROC figure; a sentence instead when too few people had, or did not have, the outcome.

        Examples
        --------
        >>> from foundation_eval.evaluation.snapshot import open_snapshot
        >>> section = PpitValidityReport(open_snapshot(), n_boot=0).discrimination()
        >>> section.heading, [type(item).__name__ for item in section.items]
        ('Discrimination', ['Text', 'Table', 'Table', 'Figure'])
        """
        if not self.has_tool:
            return self._no_tool("Discrimination")
        if not self.can_discriminate:
            return self._too_few("Discrimination")
        est, lo, hi = self.auc_numbers()
        n, e = len(self.binary), self.n_events
        rows = [{"predictor": PREDICTORS["ppit_total"], "auc": est, "low": lo, "high": hi, "diff": np.nan,
                 "p": np.nan}]
        for k in ("prior_da_2y", "rfg_score"):
            r, d = self.auc_baselines[k], self.delong[k]
            rows.append({"predictor": PREDICTORS[k], "auc": r.estimate, "low": r.ci_low, "high": r.ci_high,
                         "diff": d.difference, "p": d.p_value})
        tab = self.page.table(
            "discrimination", pd.DataFrame(rows), title=f"Discrimination: {self.outcome_phrase}",
            kinds={"auc": "index", "low": "index", "high": "index", "diff": "decimal2", "p": "p"},
            headings={"predictor": "Predictor", "auc": "AUC", "low": "Lower 95%", "high": "Upper 95%",
                      "diff": "PPIT minus this", "p": "p (paired DeLong)"},
            notes=(f"AUC with the DeLong, DeLong & Clarke-Pearson (1988) interval; differences and p from the paired "
                   f"DeLong test. The PPIT row is {self.auc_label}.",))
        sample = self.page.table(
            "discrimination_sample", pd.DataFrame({"who": ["With the outcome", "Without the outcome", "Everyone"],
                                                   "n": [e, n - e, n]}),
            title="People whose whole outcome window was observed", counts=["n"], additive=False,
            headings={"who": "People", "n": "Number"})
        text = self._say(
            "The PPIT total reached an AUC of {{ auc }}. An AUC of 0.5 is chance and 1 is perfect: it is the "
            "probability that a person who went on to commit {{ label }} scored higher than one who did not. "
            "Published DA risk tools: {{ bench }}. Here the PPIT is {{ cmp }}.",
            auc=self._auc_markup(), label=self.spec.label,
            bench="; ".join(f"{nm} {fmt.index(v)}" for nm, v, _ in BENCHMARKS),
            cmp=self._compare_benchmarks(lo, hi))
        return Section("Discrimination", (text, tab, sample, self.roc_figure()))

    @_estimable("Time to the outcome")
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
        if not self.has_tool:
            return self._no_tool("Time to the outcome")
        items = []
        if not self.harrell:
            return Section("Time to the outcome", (self._say(
                "No outcome event was observed during follow-up (or everyone had one), so concordance cannot be "
                "estimated."),))
        f = self.frame
        ev = int(f.event.sum())
        rows = [{"predictor": PREDICTORS[k], "c": r.estimate, "low": r.ci_low, "high": r.ci_high}
                for k, r in self.harrell.items()]
        items.append(self._say(
            "Using everyone's whole follow-up, Harrell's C is the share of usable pairs in which the person with the "
            "higher score had the outcome sooner (Harrell, Lee & Mark 1996; jackknife interval)."))
        items.append(self.page.table(
            "harrell", pd.DataFrame(rows), title="Harrell's C for time to the outcome",
            kinds={"c": "index", "low": "index", "high": "index"},
            headings={"predictor": "Predictor", "c": "Harrell's C", "low": "Lower 95%", "high": "Upper 95%"}))
        items.append(self.page.table(
            "harrell_sample", pd.DataFrame({"who": ["Outcome observed", "Censored without it"], "n": [ev, len(f) - ev]}),
            title="People in the time-to-event analysis", counts=["n"], additive=True,
            headings={"who": "People", "n": "Number"}))
        try:
            td, why = self.td_auc, None
        except ValueError as exc:
            td, why = None, str(exc).rstrip(".")
        if why is not None:
            items.append(self._say("AUC at fixed horizons could not be estimated: {{ why }}.", why=why))
        elif td is None:
            items.append(self._say("AUC at fixed horizons is not published: at no horizon of {{ h }} months were at "
                                   "least {{ t }} people with and without the outcome.",
                                   h=_and(str(m) for m in HORIZONS_MONTHS), t=self.t))
        else:
            tt = td.table()
            months = [int(round(x / DAYS_PER_MONTH)) for x in tt.time]
            frame = pd.DataFrame({"months": months, "cases": tt.n_cases.astype(int),
                                  "controls": tt.n_controls.astype(int), "auc": tt.auc, "low": tt.ci_low,
                                  "high": tt.ci_high})
            hide = withheld_rows(frame, ["cases", "controls"], self.t, additive=False)
            items.append(self._say(
                "Cumulative/dynamic AUC at fixed horizons compares people with the outcome by then with people still "
                "free of it, weighting for censoring (Uno et al. 2007; bootstrap intervals)."))
            items.append(self.page.table(
                "td_auc", frame, title="AUC at fixed horizons after listing", counts=["cases", "controls"],
                additive=False, kinds={"months": "whole", "auc": "index", "low": "index", "high": "index"},
                headings={"months": "Months after listing", "cases": "Outcome by then", "controls": "Still free of it",
                          "auc": "AUC(t)", "low": "Lower 95%", "high": "Upper 95%"},
                hide={c: hide for c in ("cases", "controls", "auc", "low", "high")}))
        return Section("Time to the outcome", tuple(items))

    @_estimable("Does the PPIT add to police data?")
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
        if not self.has_tool:
            return self._no_tool(heading)
        if not self.can_discriminate:
            return self._too_few(heading)
        inc = self.incremental_value
        t = inc.auc_test
        coef = inc.added_coefficients.iloc[0]
        rows = pd.DataFrame([
            {"model": "Police data: prior DA count and RFG score", "est": inc.auc_base, "low": np.nan, "high": np.nan},
            {"model": "Police data and PPIT total", "est": inc.auc_full, "low": np.nan, "high": np.nan},
            {"model": "Difference in AUC (descriptive)", "est": t.difference, "low": t.ci_low, "high": t.ci_high},
            {"model": "Odds ratio per PPIT point, adjusted", "est": coef.odds_ratio, "low": np.exp(coef.ci_low),
             "high": np.exp(coef.ci_high)},
        ])
        verdict = ("adds information beyond police records" if inc.lr_p_value < 0.05 else
                   "does not detectably add information beyond police records")
        text = self._say(
            "In {{ n | count }}, the PPIT total {{ verdict }}: likelihood-ratio chi-square {{ chi }} on {{ df }} "
            "{{ df | plural('degree') }} of freedom, p {{ p }} (logistic models with and without the PPIT; the likelihood-ratio test is "
            "the valid test of added information for nested models, Pepe et al. 2013). AUCs of fitted models are "
            "in-sample and slightly optimistic for the larger model.",
            n=inc.n, verdict=verdict, chi=fmt.decimal(inc.lr_statistic), df=inc.lr_df, p=fmt.p_value(inc.lr_p_value))
        tab = self.page.table("incremental", rows, title="Police data with and without the PPIT",
                              kinds={"est": "decimal2", "low": "decimal2", "high": "decimal2"},
                              headings={"model": "Model or measure", "est": "Estimate", "low": "Lower 95%",
                                        "high": "Upper 95%"},
                              notes=("First two rows: in-sample AUC of each logistic model. Difference: paired DeLong "
                                     "interval.",))
        return Section(heading, (text, tab))

    # ------------------------------------------------------------------ calibration
    def _calibration_frame(self, edges, labels, with_model: bool) -> pd.DataFrame:
        b = self.binary
        ct = pv.calibration_table(b.ppit_total.astype(float), b.outcome, bins=edges, labels=labels,
                                  level=self.level).table()
        frame = pd.DataFrame({"band": list(ct.band), "events": ct.events.astype(int).to_numpy(),
                              "non_events": (ct.n - ct.events).astype(int).to_numpy(),
                              "observed": ct.observed.to_numpy(), "low": ct.ci_low.to_numpy(),
                              "high": ct.ci_high.to_numpy(), "mean_score": ct.mean_predicted.to_numpy()})
        if with_model:
            frame["model"] = band_means(self.model.predicted, b.ppit_total.astype(float), edges[:-1])
        return frame

    def _publish_calibration(self, name, frame, title, band_heading):
        hide = withheld_rows(frame, ["events", "non_events"], self.t, additive=True)
        derived = [c for c in ("observed", "low", "high", "mean_score", "model") if c in frame]
        return self.page.table(
            name, frame, title=title, counts=["events", "non_events"], additive=False,
            kinds={"observed": "proportion", "low": "proportion", "high": "proportion", "mean_score": "decimal1",
                   "model": "proportion"},
            headings={"band": band_heading, "events": "With outcome", "non_events": "Without", "observed": "Observed",
                      "low": "Lower 95%", "high": "Upper 95%", "mean_score": "Mean score", "model": "Model"},
            hide={c: hide for c in ["events", "non_events", *derived]},
            notes=("Observed: share with the outcome, Wilson (1927) interval. Model: mean risk from the logistic model "
                   "of the outcome on the PPIT total.",) if "model" in frame else
                  ("Observed: share with the outcome, Wilson (1927) interval.",))

    @_estimable("Calibration")
    def calibration(self) -> Section:
        """Observed outcome by score (Wilson intervals), a logistic score-to-risk model, temporal validation.

        Adjacent totals are pooled so that every count may be published; the model fitted to people
        listed first is checked on people listed later (calibration-in-the-large and slope).

        Returns
        -------
        Section
            "Calibration": sentences, the `calibration_by_score` table and figure, and the
            `calibration_by_band` and `temporal_calibration` tables.
        """
        if not self.has_tool:
            return self._no_tool("Calibration")
        if not self.can_discriminate:
            return self._too_few("Calibration")
        m = self.model
        items = [self._say(
            "Each extra PPIT point multiplied the odds of the outcome by {{ orr }} (logistic regression, Cox 1958). "
            "The tables show how often people at each score went on to the outcome, the first with adjacent totals "
            "pooled so that every count is safe to publish.",
            orr=self._iv(m.odds_ratio, m.or_ci_low, m.or_ci_high, "ratio"))]
        b = self.binary
        if self.bands:
            top = float(b.ppit_total.max())
            frame = self._calibration_frame([*self.bands, top + 1], band_labels(self.bands, top), True)
            tab = self._publish_calibration("calibration_by_score", frame, "Observed outcome by PPIT total (pooled)",
                                            "PPIT total")
            items += [tab, self._calibration_figure(tab)]
        half, top = self.priority // 2, (self.priority + self.max_score + 1) // 2
        edges = [0, half, self.priority, top, self.max_score + 1]
        labels = [f"0 to {half - 1} (low)", f"{half} to {self.priority - 1} (moderate)",
                  f"{self.priority} to {top - 1} (priority)", f"{top} to {self.max_score} (high priority)"]
        items.append(self._publish_calibration("calibration_by_band", self._calibration_frame(edges, labels, False),
                                               "Observed outcome by PPIT band", "PPIT band"))
        items.append(self.page.heading("Temporal validation", 3))
        try:
            tv = temporal_validation(b.ppit_total.astype(float), b.outcome, b.index_date, self.t, self.level)
        except ValueError as exc:
            items.append(self._say("Not estimated: {{ why }}.", why=str(exc)))
            return Section("Calibration", tuple(items))
        r = tv.result
        slope_txt = ("the spread of risk across scores held up" if r.slope_ci_low <= 1 <= r.slope_ci_high else
                     "scores separated risk less than in the earlier period" if r.slope < 1 else
                     "scores separated risk more than in the earlier period")
        level_txt = ("the overall level of risk was about right" if r.intercept_ci_low <= 0 <= r.intercept_ci_high
                     else "risk was under-predicted" if r.intercept > 0 else "risk was over-predicted")
        items.append(self._say(
            "A logistic model of the outcome on the PPIT total fitted to the {{ a | count }} listed first "
            "({{ d0 }} to {{ d1 }}) was applied to the {{ b | count }} listed later ({{ v0 }} to {{ v1 }}): {{ lvl }} "
            "and {{ slope }} (calibration-in-the-large and slope, Cox 1958; Van Calster et al. 2016). The later "
            "period also covers districts that joined later, so this checks transport in time and place.",
            a=tv.n_development, b=tv.n_validation, lvl=level_txt, slope=slope_txt,
            d0=f"{tv.development_dates[0]:%b %Y}", d1=f"{tv.development_dates[1]:%b %Y}",
            v0=f"{tv.validation_dates[0]:%b %Y}", v1=f"{tv.validation_dates[1]:%b %Y}"))
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

    def _calibration_figure(self, tab):
        v = tab.values
        mean_score = v.mean_score.astype(float)
        ax = new_axes(figsize=(6.4, 4.0))
        ok = v.observed.notna().to_numpy()
        if ok.any():
            o, lo, hi = (v[c].astype(float).to_numpy()[ok] for c in ("observed", "low", "high"))
            ax.errorbar(mean_score.to_numpy()[ok], 100 * o, yerr=[100 * (o - lo), 100 * (hi - o)], fmt="o",
                        color=PALETTE[0], capsize=3, label="Observed (pooled scores, 95% interval)")
        grid = np.linspace(0, self.max_score, 101)
        ax.plot(grid, 100 * self.model.predict(grid), color=PALETTE[1], label="Logistic model")
        ax.axvline(self.priority - 0.5, color=GREY, ls="--", lw=1)
        ax.annotate(f"priority ({self.priority}+)", (self.priority - 0.4, 2), color=GREY, fontsize=8)
        ax.set_xlim(-0.5, self.max_score + 0.5)
        ax.set_xticks(np.arange(0, self.max_score + 1, 1 if self.max_score <= 12 else 2))
        ax.set_ylim(0, 100)
        ax.set_xlabel("PPIT total score")
        ax.set_ylabel(f"Percent with the outcome within {self.window_months} months")
        ax.set_title("Observed outcome by PPIT total")
        ax.legend(loc="upper left", fontsize=8)
        return self.page.figure(ax, f"Percent of people with {self.spec.short} within {self.window_months} months at "
                                    "each pooled PPIT total, with 95% intervals, and the fitted logistic curve.",
                                caption="Scores with few people are pooled with their neighbours before plotting.")

    # ------------------------------------------------------------------ thresholds
    @_estimable("Thresholds")
    def thresholds(self) -> Section:
        """Sensitivity, specificity and predictive values at each cut-off (Wilson intervals); decision curve.

        Returns
        -------
        Section
            "Thresholds": the `threshold_current`, `threshold_counts`, `threshold_accuracy` and
            `decision_curve` tables with their sentences and figure.
        """
        if not self.has_tool:
            return self._no_tool("Thresholds")
        if not self.can_discriminate or not self.bands:
            return self._too_few("Thresholds")
        frame, tt = self._threshold_frame("ppit_total", self.bands, mark=self.priority)
        hide = withheld_rows(frame, ["tp", "fp", "fn", "tn"], self.t, additive=False)
        counts = self.page.table(
            "threshold_counts", frame[["cutoff", "flagged", "tp", "fp", "fn", "tn"]],
            title="People flagged at each cut-off of the PPIT total", counts=["flagged", "tp", "fp", "fn", "tn"],
            additive=False, headings={"cutoff": "Flag at score", "flagged": "Flagged", "tp": "Flagged, outcome",
                                      "fp": "Flagged, no outcome", "fn": "Not flagged, outcome",
                                      "tn": "Not flagged, no outcome"},
            hide={c: hide for c in ("flagged", "tp", "fp", "fn", "tn")},
            notes=("Cut-offs are the edges of pooled score bands, so every count is safe to publish.",))
        acc = self.page.table(
            "threshold_accuracy", frame[["cutoff", "share", "sens", "spec", "ppv", "npv"]],
            title="Accuracy at each cut-off of the PPIT total",
            kinds={c: "proportion" for c in ("share", "sens", "spec", "ppv", "npv")},
            headings={"cutoff": "Flag at score", "share": "Share flagged", "sens": "Sensitivity",
                      "spec": "Specificity", "ppv": "PPV", "npv": "NPV"},
            hide={c: hide for c in ("share", "sens", "spec", "ppv", "npv")},
            notes=("PPV and NPV: positive and negative predictive values; they depend on how common the outcome is.",))
        items = []
        cur = frame.index[frame.threshold == self.priority]
        if len(cur) and not hide[cur[0]]:
            i = int(frame._tt[cur[0]])
            rows = pd.DataFrame([
                {"measure": label, "est": tt[c].iloc[i], "low": tt[f"{c}_ci_low"].iloc[i],
                 "high": tt[f"{c}_ci_high"].iloc[i]}
                for label, c in (("Share flagged", "share_flagged"), ("Sensitivity", "sensitivity"),
                                 ("Specificity", "specificity"), ("Positive predictive value", "ppv"),
                                 ("Negative predictive value", "npv"))])
            items.append(self._say(
                "At the current priority threshold ({{ thr }} or more), {{ share }} of people were flagged; the flag "
                "caught {{ sens }} of those who went on to {{ what }} (sensitivity), and {{ ppv }} of those flagged "
                "did so (positive predictive value). Intervals are Wilson (1927) intervals.",
                thr=self.priority, share=fmt.percent(rows.est[0]), sens=fmt.percent(rows.est[1]),
                ppv=fmt.percent(rows.est[3]), what=self.spec.short))
            items.append(self.page.table(
                "threshold_current", rows, title=f"Accuracy at the current priority threshold ({self.priority}+)",
                kinds={"est": "proportion", "low": "proportion", "high": "proportion"},
                headings={"measure": "Measure", "est": "Estimate", "low": "Lower 95%", "high": "Upper 95%"}))
        else:
            items.append(self._say("The current priority threshold ({{ thr }} or more) falls inside a pooled band, so "
                                   "its counts are not published separately.", thr=self.priority))
        items += [counts, acc, self.page.heading("Decision curve", 3)]
        idx = band_index(self.binary.ppit_total.astype(float), self.bands)
        means = band_means(self.model.predicted, self.binary.ppit_total.astype(float), self.bands)
        dcurve = pv.decision_curve(means[idx], self._y(), thresholds=np.arange(2, 91) / 100)
        dc = dcurve.table()
        ax = new_axes(figsize=(6.4, 3.8))
        ax.plot(dc.threshold * 100, dc.net_benefit, color=PALETTE[0], label="Act on PPIT-based risk")
        ax.plot(dc.threshold * 100, dc.treat_all, color=PALETTE[1], ls="--", label="Act on everyone")
        ax.plot(dc.threshold * 100, dc.treat_none, color="black", ls=":", label="Act on no one")
        top = max(dcurve.prevalence, float(dc.net_benefit.max()))
        ax.set_ylim(-0.05 * max(top, 0.01), top * 1.15 + 1e-9)
        ax.set_xlabel("Risk at which intensive management is worth it (%)")
        ax.set_ylabel("Net benefit")
        ax.set_title("Decision curve")
        ax.legend(fontsize=8)
        fig = self.page.figure(ax, "Decision curve: net benefit of managing people whose PPIT-based risk exceeds each "
                                   "threshold, against managing everyone or no one.",
                               caption="Risks from the logistic model of the outcome on the PPIT total, averaged "
                                       "within pooled score bands.")
        sel = dc[np.isin(np.round(dc.threshold * 100).astype(int), [10, 20, 30, 40, 50, 60])]
        dtab = self.page.table(
            "decision_curve", pd.DataFrame({"pt": sel.threshold.to_numpy(), "nb": sel.net_benefit.to_numpy(),
                                            "all": sel.treat_all.to_numpy(),
                                            "avoided": sel.interventions_avoided_per_100.to_numpy()}),
            title="Net benefit at selected threshold risks",
            kinds={"pt": "proportion", "nb": "decimal2", "all": "decimal2", "avoided": "whole"},
            headings={"pt": "Threshold risk", "nb": "Net benefit, PPIT", "all": "Net benefit, everyone",
                      "avoided": "Interventions avoided per 100"},
            notes=("Net benefit per person (Vickers & Elkin 2006).",))
        items += [self._say(
            "Net benefit counts true positives minus false positives weighted by how much one is willing to trade "
            "(Vickers & Elkin 2006). Where the PPIT line is above both reference lines, acting on the score does more "
            "good than acting on everyone or no one."), fig, dtab]
        return Section("Thresholds", tuple(items))

    # ------------------------------------------------------------------ reliability
    @_estimable("Reliability between assessors")
    def reliability(self) -> Section:
        """Agreement between two assessors scoring the same person.

        Intraclass correlations of the total (Shrout and Fleiss 1979, Psychological Bulletin 86:420-428;
        intervals of McGraw and Wong 1996, Psychological Methods 1:30-46), ICC(2,1) being the registered
        `ppit_icc2_total`; Bland-Altman limits of agreement; linearly weighted kappa of each item (Cohen
        1968); and agreement on the priority flag with Cohen's kappa, on double-scored people.

        Returns
        -------
        Section
            "Reliability between assessors": sentences and the `icc`, `kappa` and `priority_agreement`
            tables.
        """
        heading = "Reliability between assessors"
        if not self.has_tool:
            return self._no_tool(heading)
        v, res = self.icc_view, self.icc_result
        if res is None or not v.available:
            return Section(heading, (self._say("Not published: {{ why }}",
                                               why=v.reason if not v.available else
                                               f"fewer than {self.t} people were scored twice."),))
        it = res.table()
        rows = pd.DataFrame({"form": it.index, "description": it.description, "icc": it.icc.to_numpy(),
                             "low": it.ci_low.to_numpy(), "high": it.ci_high.to_numpy()})
        i2 = rows.index[rows.form == "ICC2"]
        rows.loc[i2, ["icc", "low", "high"]] = [v.estimate, v.ci_low, v.ci_high]  # the registered value
        r = self.pairs
        items = []
        from markupsafe import Markup

        text = ("{{ n | count }} were scored by two assessors. ICC1 (one-way) is the reliability of a single "
                "assessment by a randomly chosen assessor; ICC2 adds the systematic difference between first and "
                "second ratings, ICC3 ignores it (Shrout & Fleiss 1979; McGraw & Wong 1996 intervals). ICC(2,1), the "
                "registered measure of agreement, was {{ icc }}, {{ words }} on the reading of Koo & Li (2016).")
        values = dict(n=res.n_targets, icc=Markup(v.html()), words=icc_words(v.estimate))
        if len(r) >= 2:
            loa = limits_of_agreement(r.total_first, r.total_second, self.level)
            text += (" The second total averaged {{ md }} points against the first (95% limits of agreement {{ lo }} "
                     "to {{ hi }}; Bland & Altman 1986).")
            values.update(md=fmt.decimal(loa.mean_difference, 2, sign=True), lo=fmt.decimal(loa.lower, 1, sign=True),
                          hi=fmt.decimal(loa.upper, 1, sign=True))
        items.append(self._say(text, **values))
        items.append(self.page.table(
            "icc", rows, title="Intraclass correlations of the PPIT total",
            kinds={"icc": "index", "low": "index", "high": "index"},
            headings={"form": "Form", "description": "Model", "icc": "ICC", "low": "Lower 95%", "high": "Upper 95%"},
            notes=("ICC2 is the snapshot's registered value (ppit_icc2_total).",)))
        if len(r) < max(self.t, 2):
            items.append(self._say("Too few pairs scored by two different assessors to publish item and flag "
                                             "agreement."))
            return Section(heading, tuple(items))
        scale = list(self.ds.programme.ppit_scale)
        krows = []
        for i in self.items:
            try:
                k = pv.weighted_kappa(r[f"{i}_first"], r[f"{i}_second"], weights="linear", categories=scale,
                                      level=self.level)
                krows.append({"item": self.item_labels[i], "kappa": k.kappa, "low": k.ci_low, "high": k.ci_high})
            except ValueError:
                krows.append({"item": self.item_labels[i], "kappa": np.nan, "low": np.nan, "high": np.nan})
        items.append(self.page.heading("Agreement on each item", 3))
        items.append(self.page.table(
            "kappa", pd.DataFrame(krows), title="Linearly weighted kappa for each item",
            kinds={"kappa": "index", "low": "index", "high": "index"},
            headings={"item": "Item", "kappa": "Weighted kappa", "low": "Lower 95%", "high": "Upper 95%"},
            notes=("Cohen (1968) weighted kappa with the Fleiss, Cohen & Everitt (1969) standard error; blank: "
                   "not estimable (an item scored the same by everyone).",)))
        a, b = r.priority_first.astype(int), r.priority_second.astype(int)
        ag = pv.agreement(a, b, level=self.level)
        both, neither = int(((a == 1) & (b == 1)).sum()), int(((a == 0) & (b == 0)).sum())
        cells = pd.DataFrame({"cell": ["Both priority", "Neither priority", "Assessors disagreed"],
                              "people": [both, neither, len(r) - both - neither]})
        ctab = self.page.table("priority_agreement", cells, title="Agreement on the priority flag",
                               counts=["people"], additive=True, headings={"cell": "Priority flag", "people": "People"})
        items += [self.page.heading("Agreement on the priority flag", 3), ctab]
        sh = self.page.share(both + neither, len(r), self.level)
        kap = self._iv(ag.kappa.kappa, ag.kappa.ci_low, ag.kappa.ci_high)
        if sh["pct"] is None or ctab.suppressed.to_numpy().any():
            items.append(self._say("Percent agreement is withheld because a count is too small to publish; Cohen's "
                                   "kappa was {{ k }}.", k=kap))
        else:
            items.append(self._say("The two assessors agreed on the priority flag for {{ p }} of people (Wilson "
                                   "interval {{ lo }} to {{ hi }}); Cohen's kappa {{ k }}.",
                                   p=fmt.percent(sh["pct"], 1), lo=fmt.percent(sh["low"], 1),
                                   hi=fmt.percent(sh["high"], 1), k=kap))
        return Section(heading, tuple(items))

    # ------------------------------------------------------------------ internal structure
    @_estimable("Internal structure")
    def structure(self) -> Section:
        """Internal structure: item analysis, Cronbach's alpha, McDonald's omega, factor models.

        Alpha carries Feldt's (1965, Psychometrika 30:357-370) interval; one-factor and domain-factor
        confirmatory models are compared by their fit indices.

        Returns
        -------
        Section
            "Internal structure": sentences and the `item_analysis` and `factor_fit` tables.
        """
        if not self.has_tool:
            return self._no_tool("Internal structure")
        x = self.items_first
        ia = pv.item_analysis(x).table()
        low = min(self.ds.programme.ppit_scale)
        n = len(x)
        domains = {it.id: it.domain for it in self.ds.programme.ppit_items}
        frame = pd.DataFrame({
            "item": [self.item_labels[i] for i in ia.index], "domain": [domains[i] for i in ia.index],
            "endorsed": np.rint(ia.endorsement.to_numpy() * n).astype(int),
            "not_endorsed": n - np.rint(ia.endorsement.to_numpy() * n).astype(int),
            "pct": ia.endorsement.to_numpy(), "r": ia.item_total_r.to_numpy()})
        hide = withheld_rows(frame, ["endorsed", "not_endorsed"], self.t, additive=False)
        tab = self.page.table(
            "item_analysis", frame, title="PPIT items on the first rating", counts=["endorsed", "not_endorsed"],
            additive=False, kinds={"pct": "proportion", "r": "decimal2"},
            headings={"item": "Item", "domain": "Domain", "endorsed": f"Scored above {low}",
                      "not_endorsed": f"Scored {low}", "pct": f"Share above {low}", "r": "Item-total r"},
            hide={c: hide for c in ("endorsed", "not_endorsed", "pct")},
            notes=("Item-total r: corrected item-total correlation (each item against the sum of the others; below "
                   "0.3 is usually read as weak).",))
        al, om = self.alpha, self.omega
        items = [self._say("Item statistics for the first ratings of {{ n | count }}. Cronbach's (1951) alpha was "
                           "{{ a }} (Feldt 1965 interval) and McDonald's (1999) omega {{ o }}{{ boot }}.{{ hey }}",
                           n=n, a=self._iv(al.alpha, al.ci_low, al.ci_high),
                           o=self._iv(om.omega, om.ci_low, om.ci_high),
                           boot=" (bootstrap interval)" if self.n_boot else "",
                           hey=(" Residual variances at their bound (Heywood cases): "
                                + ", ".join(self.item_labels.get(h, h) for h in om.heywood) + ".") if om.heywood
                           else ""), tab]
        fc = self.factors
        if fc is None:
            return Section("Internal structure", tuple(items))
        ft = fc.table()
        names = {"one_factor": "One factor",
                 ft.index[1]: f"{fmt.number_word(len(fc.groups))} correlated factors ({', '.join(fc.groups)})"}
        frows = pd.DataFrame({"model": [_cap(names[i]) for i in ft.index], "chi2": ft.chi2.to_numpy(),
                              "df": ft.df.to_numpy(), "cfi": ft.cfi.to_numpy(), "rmsea": ft.rmsea.to_numpy(),
                              "srmr": ft.srmr.to_numpy(), "bic": ft.bic.to_numpy()})
        better = fc.lr_p_value < 0.05 and ft.bic.iloc[1] < ft.bic.iloc[0]
        items += [self.page.heading("One factor or two?", 3), self._say(
            "Confirmatory factor models fitted by maximum likelihood. The model with {{ groups }} factors {{ verdict }} "
            "than one general factor (chi-square difference {{ chi }} on {{ df }} {{ df | plural('degree') }} of freedom, p {{ p }}; BIC "
            "difference {{ bic }}); the factors correlate {{ r }} and their omegas are {{ om }}. Items have few "
            "categories, so fit indices from Pearson covariances are best read comparatively.",
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
        ax = new_axes(figsize=(7.0, 3.8))
        ld = fc.loadings()
        y = np.arange(len(ld))[::-1]
        ax.plot(ld.iloc[:, 0], y + 0.15, "o", color=PALETTE[0], label="One factor")
        ax.plot(ld.iloc[:, 1:].abs().max(axis=1), y - 0.15, "s", color=PALETTE[1],
                label=f"Own factor ({' / '.join(fc.groups)})")
        ax.set_yticks(y, [self.item_labels[i] for i in ld.index], fontsize=7)
        ax.set_xlabel("Standardized loading")
        ax.set_xlim(0, 1)
        ax.set_title("Factor loadings")
        ax.legend(fontsize=8, loc="lower right")
        items.append(self.page.figure(ax, "Standardized loadings of each PPIT item under the one-factor and the "
                                          "two-factor models."))
        return Section("Internal structure", tuple(items))

    # ------------------------------------------------------------------ equity
    def _group_frame(self, name: str, res: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Exact counts and statistics per group (every group, including the ones the library dropped)."""
        labels = res["labels"].reset_index(drop=True)
        y = self._y()
        flags = self.binary.ppit_priority.astype(int).to_numpy()
        groups = sorted(labels.unique(), key=str)
        a = res["auc"].table() if res.get("auc") is not None else pd.DataFrame()
        c = res["cal"].table() if res.get("cal") is not None else pd.DataFrame()
        fl = res["flag"].table() if res.get("flag") is not None else pd.DataFrame()
        acc, flag = [], []
        for g in [*groups, "All"]:
            m = np.ones(len(labels), bool) if g == "All" else (labels == g).to_numpy()
            e, k = int(y[m].sum()), int(flags[m].sum())
            row = {"group": "Everyone" if g == "All" else str(g), "events": e, "non_events": int(m.sum()) - e}

            def pick(t, col, gg=g):
                return float(t.at[gg, col]) if len(t) and gg in t.index and col in t.columns else np.nan

            auc_g = (pick(a, "auc"), pick(a, "ci_low"), pick(a, "ci_high"))
            if g == "All":  # everyone: the page's one AUC (the registered value with the default outcome)
                auc_g = self.auc_numbers()
            acc.append({**row, "auc": auc_g[0], "low": auc_g[1], "high": auc_g[2], "oe": pick(c, "oe_ratio")})
            flag.append({"group": row["group"], "flagged": k, "unflagged": int(m.sum()) - k,
                         "rate": pick(fl, "rate"), "low": pick(fl, "ci_low"), "high": pick(fl, "ci_high"),
                         "ratio": pick(fl, "ratio_to_rest") if g != "All" else np.nan})
        return pd.DataFrame(acc), pd.DataFrame(flag)

    @_estimable("Equity")
    def equity(self) -> Section:
        """Equity: AUC, calibration (observed/expected) and priority-flag rate by group.

        By sex, ethnic group, age band and district, with Cochran's Q test of equal AUCs and Cleary's
        (1968, Journal of Educational Measurement 5:115-124) test of differential prediction. Groups
        with fewer than the threshold of people with or without the outcome or the flag are withheld.

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
            "risk in that group), and the share flagged as a priority (Wilson interval; ratio to everyone else with "
            "the Katz et al. 1978 interval). Groups with fewer than {{ t }} people with or without the outcome or the "
            "flag are withheld, and where one group is withheld the next smallest is withheld too.", t=self.t)
        if not self.can_discriminate:
            return Section("Equity", (intro, self._too_few("Equity").items[0]))
        items = [intro]
        tests, forest = [], []
        for name, _ in CHARACTERISTICS:
            res = self.equity_results.get(name)
            items.append(self.page.heading(name, 3))
            if res is None or res.get("auc") is None:
                items.append(self._say("Not shown: fewer than two groups are large enough to compare."))
                continue
            acc, flag = self._group_frame(name, res)
            everyone = (acc.group == "Everyone").to_numpy()
            ha = withheld_rows(acc, ["events", "non_events"], self.t, additive=True, exclude=everyone,
                               also=acc.auc.isna().to_numpy() & ~everyone)
            items.append(self.page.table(
                f"equity_accuracy_{name.lower().replace(' ', '_')}", acc,
                title=f"Accuracy by {name.lower()}", counts=["events", "non_events"], additive=False,
                kinds={"auc": "index", "low": "index", "high": "index", "oe": "decimal2"},
                headings={"group": name, "events": "With outcome", "non_events": "Without", "auc": "AUC",
                          "low": "Lower 95%", "high": "Upper 95%", "oe": "Observed / expected"},
                hide={c: ha for c in ("events", "non_events", "auc", "low", "high", "oe")}))
            hf = withheld_rows(flag, ["flagged", "unflagged"], self.t, additive=True, exclude=everyone,
                               also=flag.rate.isna().to_numpy() & ~everyone)
            items.append(self.page.table(
                f"equity_priority_{name.lower().replace(' ', '_')}", flag,
                title=f"Flagged as a priority by {name.lower()}", counts=["flagged", "unflagged"], additive=False,
                kinds={"rate": "proportion", "low": "proportion", "high": "proportion", "ratio": "ratio"},
                headings={"group": name, "flagged": "Priority", "unflagged": "Not priority", "rate": "Share priority",
                          "low": "Lower 95%", "high": "Upper 95%", "ratio": "Ratio to the rest"},
                hide={c: hf for c in ("flagged", "unflagged", "rate", "low", "high", "ratio")}))
            for i, row in acc.iterrows():
                if not everyone[i] and not ha[i] and np.isfinite(row.auc):
                    forest.append((name, row.group, row.auc, row.low, row.high))
            dp = res.get("dp")
            tests.append({"characteristic": name, "auc_q": res["auc"].heterogeneity_p_value,
                          "slopes": dp.slope_p_value if dp else np.nan,
                          "intercepts": dp.intercept_p_value if dp else np.nan})
        if tests:
            items += [self.page.heading("Tests", 3), self._say(
                "Equal AUCs across groups: Cochran's Q. Differential prediction (Cleary 1968): likelihood-ratio tests "
                "that the score's slope, then (given equal slopes) its intercept, differ by group; a small p means the "
                "same score carries a different risk in different groups. Several tests are run, so one p below "
                "the usual five per cent is weak evidence on its own."),
                self.page.table("equity_tests", pd.DataFrame(tests), title="Tests of equal accuracy by group",
                                kinds={"auc_q": "p", "slopes": "p", "intercepts": "p"},
                                headings={"characteristic": "Characteristic", "auc_q": "Equal AUC p",
                                          "slopes": "Equal slopes p", "intercepts": "Equal intercepts p"},
                                notes=("Blank: not estimable with the groups large enough to publish.",))]
        if forest:
            ax = new_axes(figsize=(6.4, max(2.5, 0.28 * len(forest) + 1)))
            yy = np.arange(len(forest))[::-1]
            cmap = {n: PALETTE[i % len(PALETTE)] for i, (n, _) in enumerate(CHARACTERISTICS)}
            for k, f in enumerate(forest):
                ax.errorbar(f[2], yy[k], xerr=[[f[2] - f[3]], [f[4] - f[2]]], fmt="o", color=cmap[f[0]], capsize=2,
                            ms=4)
            ax.axvline(self.auc_numbers()[0], color=GREY, ls="--", lw=1)
            ax.axvline(0.5, color=GREY, ls=":", lw=1)
            ax.set_yticks(yy, [f"{f[0]}: {f[1]}" for f in forest], fontsize=7)
            ax.set_xlim(0.3, 1)
            ax.set_xlabel("AUC (95% interval); dashed line: everyone")
            ax.set_title("Discrimination by group")
            items.append(self.page.figure(ax, "Forest plot of the PPIT AUC within each published group of sex, ethnic "
                                              "group, age band and district, with the overall AUC as a dashed line."))
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
        if self.ds.programme.illustrative:
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
                          "calibration and decision curves), and groups with fewer than {{ t }} people with or without "
                          "the outcome or the priority flag are withheld.", t=self.t)
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
        own = getattr(self.ds.programme, "ppit_reference", "")
        if own and not any(r.startswith(own[:20]) for r in refs):
            refs.append(own)
        return Section(base.heading, (*base.items, self.page.heading("References", 2),
                                      self.page.bullets(sorted(refs))))

    def sections(self) -> list:
        """Every item in reading order (the notebook shows the same, section by section).

        Returns
        -------
        list
            The header and summary (`Text`), then each `Section`.
        """
        return [self.header(), self.summary(), self.methods(), self.discrimination(), self.time_to_event(),
                self.incremental(), self.calibration(), self.thresholds(), self.reliability(), self.structure(),
                self.equity(), self.limitations(), self.disclosure(), self.provenance()]

    def html(self) -> str:
        """The whole report as HTML.

        Returns
        -------
        str
            The HTML of every part of [`sections`][foundation_eval.reporting.ppit_report.PpitValidityReport.sections],
            concatenated.
        """
        return "".join(s.html() for s in self.sections())
