"""How the PPIT measures: the sections from Reliability to Equity of the PPIT validity report.

Whether two assessors scoring the same person agree (intraclass correlations of the total, Bland-Altman
limits, weighted kappa of each item, agreement on the priority flag), whether the items hang together
(item analysis, Cronbach's alpha, McDonald's omega, one-factor and domain-factor models) and whether the
score works equally well, and flags people at similar rates, across sex, ethnic group, age band and
district (AUC, observed against expected outcomes and the share flagged by group, tests of equal accuracy
and of differential prediction):
[`reliability`][foundation_eval.reporting.ppit_report.PpitValidityReport.reliability],
[`structure`][foundation_eval.reporting.ppit_report.PpitValidityReport.structure] and
[`equity`][foundation_eval.reporting.ppit_report.PpitValidityReport.equity], with their charts.
`MeasurementSections` holds them and
[`PpitValidityReport`][foundation_eval.reporting.ppit_report.PpitValidityReport] is built on it: use them
from the report.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from markupsafe import Markup

from foundation_eval.reporting import formats as fmt
from foundation_eval.reporting._ppit_common import CHARACTERISTICS, _cap, _legend
from foundation_eval.reporting.disclosure import withheld_rows
from foundation_eval.reporting.figures import GREY, PALETTE, new_axes
from foundation_eval.reporting.ppit_tables import withheld_groups
from foundation_eval.reporting.ppit_text import icc_words
from foundation_eval.reporting.publication import Section

__all__ = ["MeasurementSections"]

_FLAG_CELLS = {"both": "Both priority", "neither": "Neither priority", "disagreed": "Assessors disagreed"}


class MeasurementSections:
    """The sections from Reliability to Equity of
    [`PpitValidityReport`][foundation_eval.reporting.ppit_report.PpitValidityReport]: agreement between
    assessors, the tool's internal structure and its accuracy across groups, in words, tables and charts.

    A base of `PpitValidityReport`, never used alone: its methods read the report's `page`, `study` and
    helpers (the section shown when the data cannot support one, the tables of the people in the study and
    of the people scored twice, the page's AUC and ICC, the pooled score bands of `PredictionSections`
    in [`ppit_prediction`][foundation_eval.reporting.ppit_prediction]).

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
    >>> isinstance(report, MeasurementSections), report.reliability().heading
    (True, 'Reliability between assessors')
    >>> [t.name for t in report.page.tables]
    ['reliability_sample', 'icc', 'kappa', 'priority_agreement']
    """

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
                "reading of Koo & Li (2016).{% if coverage %} Over simulated forces this interval covered the "
                "true ICC(2,1) in {{ coverage }}% of them, a little short of 95%.{% endif %}")
        cov = st.icc_measured_coverage
        values = dict(n=self._stated(st.n_double_scored, "reliability_sample", "n", 0), icc=Markup(v.html()),
                      words=icc_words(v.estimate), coverage=None if cov is None else f"{100 * cov:.0f}")
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
