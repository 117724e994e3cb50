"""How well the PPIT predicts: the sections from Discrimination to Thresholds of the PPIT validity report.

Discrimination (AUCs with DeLong intervals against two police-data baselines, and the ROC curves), time to
the outcome (Harrell's C and AUC at fixed horizons), whether the PPIT adds to police data (the
likelihood-ratio test), calibration (observed outcome by score, the logistic score-to-risk model and its
temporal validation) and thresholds (accuracy at each cut-off and the decision curve):
[`discrimination`][foundation_eval.reporting.ppit_report.PpitValidityReport.discrimination],
[`time_to_event`][foundation_eval.reporting.ppit_report.PpitValidityReport.time_to_event],
[`incremental`][foundation_eval.reporting.ppit_report.PpitValidityReport.incremental],
[`calibration`][foundation_eval.reporting.ppit_report.PpitValidityReport.calibration] and
[`thresholds`][foundation_eval.reporting.ppit_report.PpitValidityReport.thresholds], with their charts.

Here too are the pooled score bands these sections, and the equity tables, publish counts in: the bands
of the PPIT total that are safe to publish
([`bands`][foundation_eval.reporting.ppit_report.PpitValidityReport.bands], with the tool's own risk bands,
[`fixed_edges`][foundation_eval.reporting.ppit_report.PpitValidityReport.fixed_edges], kept as edges where
possible), the one table of the counts in them (`calibration_by_score`) and the table of the counts at each
cut-off worked out from it (`threshold_counts`). `PredictionSections` holds them and
[`PpitValidityReport`][foundation_eval.reporting.ppit_report.PpitValidityReport] is built on it: use them
from the report.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting._ppit_common import HORIZONS_MONTHS, PREDICTORS, _and, _legend
from foundation_eval.reporting.disclosure import withheld_rows
from foundation_eval.reporting.figures import GREY, PALETTE, new_axes
from foundation_eval.reporting.ppit_tables import band_labels, safe_bands, withheld_groups
from foundation_eval.reporting.ppit_text import BENCHMARKS
from foundation_eval.reporting.publication import Section

__all__ = ["PredictionSections"]

# the predictors in the middle of a sentence
_NAMED = {"ppit_total": "the PPIT total", "prior_da_2y": "the count of prior DA offences",
          "rfg_score": "the recency-frequency-gravity score"}
_BAND_NAMES = ("low", "moderate", "priority", "high priority")


class PredictionSections:
    """The sections from Discrimination to Thresholds of
    [`PpitValidityReport`][foundation_eval.reporting.ppit_report.PpitValidityReport]: how well the PPIT total
    predicts the outcome, in words, tables and charts, and the pooled score bands they publish counts in.

    A base of `PpitValidityReport`, never used alone: its methods read the report's `page`, `study` and
    helpers (the section shown when the data cannot support one, the table of the people in the study, the
    page's AUC).

    Attributes
    ----------
    page : Page
        The report's page, which publishes every table, chart and sentence.
    study : PpitStudy
        The PPIT validity study whose results the sections word.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> from foundation_eval.reporting.ppit_report import PpitValidityReport
    >>> report = PpitValidityReport(open_snapshot())
    >>> isinstance(report, PredictionSections), report.thresholds().heading
    (True, 'Thresholds')
    >>> report.bands[0], [t.name for t in report.page.tables]
    (0.0, ['calibration_by_score', 'sample', 'threshold_counts', 'decision_curve'])
    """

    # ================================================================== score bands that are safe to publish
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

    # ------------------------------------------------------------------ discrimination
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
        >>> from foundation_eval.reporting.ppit_report import PpitValidityReport
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
