"""The truth of the synthetic force: the true value of every estimand, from both simulated worlds.

The generator draws every person's reoffending, engagement and referral take-up with and without the
programme from common random numbers ([`synth`][foundation_eval.data.synth]), so the true effects are
computed, not assumed: the marginal hazard ratio among listed people (a Cox fit to both worlds), the
12-month risk difference, the engagement and referral differences, the staggered
difference-in-differences effect on the district-quarter DA rate (overall, by quarters since go-live
and cell by cell), and, with a risk tool, its population AUC and ICC(2,1) by Monte Carlo. The result,
with each estimand's definition and the counts and parameters behind it, is written as ``truth.json``
beside the data ([`write`][foundation_eval.data.synth.write]).

Examples
--------
A Mann-Whitney AUC with a tie counted one half (3.5 of 4 pairs ranked right):

>>> import numpy as np
>>> _auc(np.array([1, 2, 2, 3]), np.array([False, True, False, True]))
0.875
"""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from foundation_eval.data.scenarios import _SCENARIO_FIELDS

__all__: list[str] = []


class _Truth:
    """The truth of a generated force (a base of the generator, read after its run has drawn both worlds:
    listed people ``L``, event times ``t1``/``t0``, intensities, engagement and referral probabilities)."""

    def truth(self) -> dict:
        p = self.p
        L = self.L
        lm = self.list_m[L]
        M = self.M
        # marginal hazard ratio among listed people: Cox on both potential worlds (common random numbers)
        cens = np.minimum(self.exit_mf[L], M)
        # only events after listing count
        t1_after = self._first_after(self.t1[L], lm)
        t0_after = self._first_after(self.t0[L], lm)
        ev1, ev0 = t1_after < cens, t0_after < cens
        dur1 = np.where(ev1, t1_after, cens) - lm
        dur0 = np.where(ev0, t0_after, cens) - lm
        hr_marginal = _cox_binary(np.concatenate([dur0, dur1]), np.concatenate([ev0, ev1]),
                                  np.r_[np.zeros(L.size), np.ones(L.size)])
        # 12-month risk difference among listed people whose whole window is observed
        full = (lm + 12 <= M) & (self.exit_mf[L] >= lm + 12)
        cum1 = np.cumsum(self.lam_full1[L, self.B:], axis=1)
        cum0 = np.cumsum(self.lam_full0[L, self.B:], axis=1)
        end = np.minimum(lm + 11, M - 1)
        before = np.where(lm > 0, lm - 1, 0)

        def _window(cum):
            c_end = cum[np.arange(L.size), end]
            c_beg = np.where(lm > 0, cum[np.arange(L.size), before], 0.0)
            return c_end - c_beg

        d1, d0 = _window(cum1), _window(cum0)
        rd12 = float(np.mean((np.exp(-d0) - np.exp(-d1))[full])) if full.any() else float("nan")
        risk1 = 1 - np.exp(-d1)
        # risk tool: population AUC of the first-rating total for 12-month reoffending, and ICC(2,1)
        auc, icc = self._ppit_truth(risk1, lm + 12 <= M) if self.prog.has_risk_tool else (np.nan, np.nan)
        did_att, did_att_pm, by_event, cell_effects = self._did_truth()
        eff = {
            "reoffending_hr_programme": round(hr_marginal, 6),
            "reoffending_hr_programme_conditional": p.true_hr_programme,
            "reoffending_12m_rd_programme": round(rd12, 6),
            "engagement_rd_practitioner": round(float(np.mean(self.p_eng1 - self.p_eng0)), 6),
            "referral_start_rd_programme": round(self.truth_referral_rd, 6),
            "ppit_auc_12m": round(auc, 6),
            "ppit_icc2_total": round(icc, 6),
            "did_att_da_rate": round(did_att, 6),
            "did_att_da_rate_pm": round(did_att_pm, 6),
            # engagement and referral take-up carry no effect of their own here: the programme's effect is
            # on listing, so any association of these exposures with reoffending is confounding by risk
            "reoffending_hr_engaged": 1.0,
            "reoffending_hr_referral_started": 1.0,
        }
        k = self.prog.evaluation.min_comparison_districts
        cells = (f"district-quarters from the go-live quarter on, in quarters in which at least {k} "
                 f"district{'s are' if k != 1 else ' is'} not yet live (the cells a staggered "
                 "difference-in-differences with not-yet-treated controls can estimate)")
        cell = ("a cell's effect is the difference (programme world minus none) in DA offences committed in the "
                "months people were eligible, per eligible person-month")
        conditional = "Hazard ratio given latent risk, the generator's input."
        if "dynamic-effects" in self.sc:
            conditional = ("Hazard ratio given latent risk at the full effect of a wave whose multiplier is 1 (under "
                           "dynamic-effects the log hazard ratio ramps up after go-live and differs by wave).")
        out = {
            "programme": self.prog.id,
            "seed": self.seed,
            "effects": eff,
            "event_time_effects": by_event,
            "cell_effects": cell_effects,
            "scenario": {"names": list(p.scenarios), "parameters": p.scenario_parameters()},
            "definitions": {
                "reoffending_hr_programme": "Marginal hazard ratio of first DA reoffence after first listing, programme vs no programme, among listed people (Cox fit to both potential worlds simulated with common random numbers; censored at exit and the extract date).",
                "reoffending_hr_programme_conditional": conditional,
                "reoffending_12m_rd_programme": "Expected risk difference (programme minus no programme) of any DA reoffence within 12 months of first listing, among listed people whose 12 months are fully observed.",
                "engagement_rd_practitioner": "Expected difference in probability of engaging within the engagement window, practitioners on the team vs police alone, averaged over listed people.",
                "referral_start_rd_programme": "Expected difference in probability of starting any referral within 12 months of first listing, programme vs no programme, averaged over listed people whose 12 months lie inside the study.",
                "ppit_auc_12m": "Population AUC of the first-rating PPIT total for DA reoffending within 12 months of listing (Monte Carlo over listed people whose 12 months lie inside the study).",
                "ppit_icc2_total": "Population ICC(2,1) of the PPIT total between two assessors (Monte Carlo).",
                "did_att_da_rate": f"Average effect of the programme on DA offences per eligible person-month in {cells}, equally weighted across district-quarters; {cell}: the simple aggregation on the quarterly district panel.",
                "did_att_da_rate_pm": f"The cells of did_att_da_rate weighted by their eligible person-months instead of equally: the programme's effect on DA offences per eligible person-month over all eligible person-months of {cells}.",
                "event_time_effects": f"did_att_da_rate by quarters since the district's go-live quarter (key 0 is the go-live quarter): the equally weighted mean of the effects of its cells among {cells}.",
                "cell_effects": "Every live district-quarter (restricted or not): [district_id, quarter, effect per eligible person-month, eligible person-months], the effect as for did_att_da_rate, so any other average of cells (a pilot-only series, a later window) can be scored.",
                "reoffending_hr_engaged": "Hazard ratio of DA reoffending for engaging vs not: 1 by construction (engagement has no effect of its own; associations are confounding).",
                "reoffending_hr_referral_started": "Hazard ratio of DA reoffending for starting a referred service vs not: 1 by construction.",
            },
            "counts": {
                "people": int(self.n),
                "eligible_people": int((self.elig_m >= 0).sum()),
                "listed_people": int(L.size),
            },
            "parameters": {k: v for k, v in asdict(p).items() if k not in _SCENARIO_FIELDS},
        }
        if not self.prog.has_risk_tool:  # no risk tool, no risk-tool estimands
            for name in ("ppit_auc_12m", "ppit_icc2_total"):
                del out["effects"][name], out["definitions"][name]
        return out

    def _did_truth(self) -> tuple[float, float, dict, list]:
        """Programme effect on the district-quarter DA rate among eligible people, from both worlds.

        Cells are district x calendar quarter, as in ``district_period_panel(ds, "Q")``: the effect in a
        cell is the difference (programme world minus none) in DA offences committed in the months
        people were eligible, per eligible person-month. The cells are the district-quarters from the
        go-live quarter on, in quarters in which at least ``min_comparison_districts`` districts are not
        yet live. Returns their equally weighted mean, their mean weighted by eligible person-months,
        the equally weighted mean by quarters since go-live, and every live cell's effect and
        person-months (restricted or not).
        """
        s = self.scr[self.scr.eligible]
        i, m = s.i.to_numpy(), s.m.to_numpy()
        e1 = (np.floor(self.t1[i]) == m[:, None]).sum(axis=1)
        e0 = (np.floor(self.t0[i]) == m[:, None]).sum(axis=1)
        q0 = self.months[0].asfreq("Q").ordinal
        qidx = np.array([p.asfreq("Q").ordinal - q0 for p in self.months])
        cells = pd.DataFrame({"d": s.district.to_numpy(), "q": qidx[m], "diff": e1 - e0})
        g = cells.groupby(["d", "q"])["diff"].agg(["mean", "sum", "size"]).reset_index()
        goq = np.where(self.go_live < self.M, qidx[np.minimum(self.go_live, self.M - 1)], qidx[-1] + 1)
        gq, gd = g.q.to_numpy(), g.d.to_numpy()
        not_live = (goq[None, :] > gq[:, None]).sum(axis=1)  # districts not yet live in each cell's quarter
        live = gq >= goq[gd]
        ids = self.prog.district_ids
        quarters = [str(self.months[0].asfreq("Q") + int(q)) for q in gq]
        cell_effects = [[ids[int(d)], quarters[k], round(float(g["mean"].iloc[k]), 6), int(g["size"].iloc[k])]
                        for k, d in enumerate(gd) if live[k]]
        post = live & (not_live >= self.prog.evaluation.min_comparison_districts)
        if not post.any():
            return float("nan"), float("nan"), {}, cell_effects
        att = float(g["mean"][post].mean())
        att_pm = float(g["sum"][post].sum() / g["size"][post].sum())
        by_event = g[post].groupby(gq[post] - goq[gd[post]])["mean"].mean()
        return att, att_pm, {str(int(e)): round(float(v), 6) for e, v in by_event.items()}, cell_effects

    @staticmethod
    def _first_after(times: np.ndarray, start: np.ndarray) -> np.ndarray:
        t = np.where(times >= start[:, None], times, np.inf)
        return t.min(axis=1)

    def _ppit_truth(self, risk1: np.ndarray, inside: np.ndarray) -> tuple[float, float]:
        # a separate stream so the truth does not change the data; the AUC is over listed people whose
        # 12 months lie inside the study, the population a 12-month validation can observe
        rng = np.random.default_rng([self.seed, 7])
        p = self.p
        R = p.truth_replicates
        z = np.tile(self.z[self.L][inside], R)
        r = np.tile(risk1[inside], R)
        J = self.n_items
        stable = rng.normal(0, 0.8, (z.size, J))
        len1 = rng.normal(0, p.rater_leniency_sd, z.size)
        len2 = rng.normal(0, p.rater_leniency_sd, z.size)
        t1 = self._ppit_items(z, stable, len1, rng).sum(axis=1)
        t2 = self._ppit_items(z, stable, len2, rng).sum(axis=1)
        y = rng.random(z.size) < r
        auc = _auc(t1, y)
        icc = float(np.cov(t1, t2)[0, 1] / np.var(np.r_[t1, t2], ddof=1))
        return auc, icc


def _auc(score: np.ndarray, y: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted one half."""
    from scipy.stats import rankdata

    ranks = rankdata(score)
    n1 = y.sum()
    n0 = y.size - n1
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _cox_binary(duration: np.ndarray, event: np.ndarray, x: np.ndarray) -> float:
    """Hazard ratio for a single binary covariate (Breslow partial likelihood, Newton steps)."""
    order = np.argsort(-duration, kind="stable")
    d, e, xx = duration[order], event[order].astype(bool), x[order]
    # the risk set of a tied time is the whole tie group: take sums at the group's last position
    last = np.searchsorted(-d, -d, side="right") - 1
    beta = 0.0
    for _ in range(50):
        w = np.exp(beta * xx)
        s0 = np.cumsum(w)[last]
        s1 = np.cumsum(w * xx)[last]
        mean = s1 / s0
        grad = np.sum(e * (xx - mean))
        info = np.sum(e * (mean - mean**2))
        step = grad / info
        beta += step
        if abs(step) < 1e-10:
            break
    return float(np.exp(beta))
