"""Coverage study of the pilot-versus-rollout designs: bias and 95% interval coverage over many seeds.

Each replicate generates the synthetic force with its own seed, writes and validates it like a real
extract, runs the designs of :mod:`foundation_eval.evaluation.designs` and scores each estimate against that
replicate's ``truth.json`` (or against zero where the design's true effect is zero by construction:
the placebo go-live, the PPIT priority flag and engagement, which has no effect of its own in the
generator). Naive comparisons are scored against the truth they would be read as estimating, so the
table shows their bias.

    python benchmarks/coverage_impact.py --seeds 200 [--jobs 2] [--scale 1.0] [--dask]

Replicates run in a process pool over all cores, or on a Dask distributed cluster with ``--dask`` (a
``LocalCluster`` here; ``--scheduler ADDRESS`` for an existing one). Dask is imported only then.
"""
from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
from _parallel import run_seeds
from scipy import stats

# (row name, truth key in truth.json or "zero", kind) - kind "design" is expected to cover, "naive" shows bias,
# "approximate" targets a neighbouring estimand (the truth is the closest one the generator writes)
ROWS = (
    ("did_att_da_rate: imputation DiD, quarterly, jackknife-t", "did_att_da_rate", "design"),
    ("did: Callaway-Sant'Anna simple, quarterly, jackknife-t", "did_att_da_rate", "design"),
    ("did: Callaway-Sant'Anna simple, quarterly, analytic CI", "did_att_da_rate", "design"),
    ("did: Callaway-Sant'Anna simple, monthly, analytic CI", "did_att_da_rate", "approximate"),
    ("did: imputation DiD, monthly, jackknife-t", "did_att_da_rate", "approximate"),
    ("did: placebo go-live 12 months early", "zero", "design"),
    ("naive: two-way fixed effects, wild cluster bootstrap", "did_att_da_rate", "naive"),
    ("naive: pilot districts before vs after", "did_att_da_rate", "naive"),
    ("its: pilot districts, level change", "did_att_da_rate", "approximate"),
    ("reoffending_12m_rd_programme: cohorts before vs after", "reoffending_12m_rd_programme", "design"),
    ("12m risk difference implied by the Cox HR", "reoffending_12m_rd_programme", "design"),
    ("reoffending_hr_programme: Cox time-varying, strata district, t on districts - 1 df", "reoffending_hr_programme",
     "design"),
    ("Cox time-varying, t on go-live waves - 1 df (the DiD's rule)", "reoffending_hr_programme", "design"),
    ("naive: listed vs never listed, 12m", "reoffending_12m_rd_programme", "naive"),
    ("naive: engaged vs not engaged, 12m", "zero", "naive"),
    ("rd: PPIT priority threshold, 12m", "zero", "design"),
    ("rd: age limit, 12m", "reoffending_12m_rd_programme", "approximate"),
)


def _estimates(ev) -> dict:
    """Every scored estimate of one replicate as {row name: (estimate, ci_low, ci_high)}."""
    from foundation_eval.evaluation.designs import did_callaway_santanna, did_imputation, did_panel

    out = {}

    def put(name, e):
        out[name] = (float(e.estimate), float(e.ci_low), float(e.ci_high))

    put(ROWS[0][0], ev.did)
    put(ROWS[1][0], ev.did_cs_simple)
    put(ROWS[2][0], ev.cs.aggregate("simple"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            pm = did_panel(ev.ds, "M")
            put(ROWS[3][0], did_callaway_santanna(ev.ds, panel=pm, n_boot=0).aggregate("simple"))
            put(ROWS[4][0], did_imputation(ev.ds, freq="M", panel=pm))
        except ValueError:
            pass
    put(ROWS[5][0], ev.placebo)
    tw = ev.twfe[0]
    out[ROWS[6][0]] = (float(tw.estimate), float(tw.wild.ci_low), float(tw.wild.ci_high))
    naive = {e.name: e for e in ev.naive}
    put(ROWS[7][0], naive["naive_pilot_before_after"])
    put(ROWS[8][0], ev.its_pilot[1])
    put(ROWS[9][0], ev.cohort)
    put(ROWS[10][0], ev.cox_risk_difference)
    put(ROWS[11][0], ev.cox)
    # the same Cox fit with t on waves - 1 df: rebuild the interval from the log hazard ratio and its SE
    waves = len({d.go_live for d in ev.ds.programme.districts})
    b, crit = math.log(ev.cox.estimate), stats.t.ppf(0.975, max(waves - 1, 1))
    out[ROWS[12][0]] = (float(ev.cox.estimate), math.exp(b - crit * ev.cox.se), math.exp(b + crit * ev.cox.se))
    put(ROWS[13][0], naive["naive_listed_vs_not_12m"])
    put(ROWS[14][0], naive["naive_engaged_vs_not_12m"])
    if getattr(ev.rd_ppit, "estimable", True) and not isinstance(ev.rd_ppit, str):
        put(ROWS[15][0], ev.rd_ppit[2])
    if getattr(ev.rd_age, "estimable", True) and not isinstance(ev.rd_age, str):
        put(ROWS[16][0], ev.rd_age[2])
    return out


def replicate(seed: int, scale: float = 1.0, n_perm: int = 199) -> list[dict]:
    """One synthetic force: estimates, truths and timings."""
    from foundation_eval.data import synth
    from foundation_eval.data.load import load_dataset
    from foundation_eval.evaluation.designs import Evaluation

    t0 = time.time()
    result = synth.generate("hiow", seed=seed, scale=scale, truth_replicates=2)
    with tempfile.TemporaryDirectory() as d:
        synth.write(result, d)
        ds = load_dataset(d)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ev = Evaluation(ds, n_perm=n_perm, seed=seed)
            est = _estimates(ev)
            ri_p = float(ev.did_ri.p_value)
    truth = result.truth["effects"]
    rows = []
    for name, key, kind in ROWS:
        if name not in est:
            continue
        e, lo, hi = est[name]
        tv = 0.0 if key == "zero" else float(truth[key])
        rows.append({"seed": seed, "name": name, "kind": kind, "truth_name": key, "estimate": e, "ci_low": lo,
                     "ci_high": hi, "truth": tv, "covered": bool(lo <= tv <= hi),
                     "rejects_zero": bool(lo > (1.0 if "hr" in key else 0.0) or hi < (1.0 if "hr" in key else 0.0)),
                     "ri_p": ri_p if name == ROWS[0][0] else np.nan, "seconds": time.time() - t0})
    return rows


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Bias, RMSE, coverage (with Monte Carlo SE), mean width and power (share of intervals excluding no effect)."""
    g = rows.groupby("name", sort=False)
    out = pd.DataFrame({
        "kind": g.kind.first(),
        "truth": g.truth_name.first(),
        "n": g.size(),
        "mean_truth": g.truth.mean(),
        "mean_estimate": g.estimate.mean(),
        "bias": g.apply(lambda x: (x.estimate - x.truth).mean(), include_groups=False),
        "rmse": g.apply(lambda x: np.sqrt(((x.estimate - x.truth) ** 2).mean()), include_groups=False),
        "coverage_pct": 100 * g.covered.mean(),
        "mean_width": g.apply(lambda x: (x.ci_high - x.ci_low).mean(), include_groups=False),
        "rejects_zero_pct": 100 * g.rejects_zero.mean(),
    })
    out["coverage_mc_se_pct"] = 100 * np.sqrt(out.coverage_pct / 100 * (1 - out.coverage_pct / 100) / out.n)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--first-seed", type=int, default=5000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--n-perm", type=int, default=199, help="re-assignments for the randomisation test")
    ap.add_argument("--dask", action="store_true", help="run on a Dask distributed cluster")
    ap.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler")
    ap.add_argument("--out", default="benchmarks/coverage_impact_results.csv")
    args = ap.parse_args()
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    t0 = time.time()
    results = run_seeds(replicate, seeds, args.jobs, args.dask, args.scheduler, scale=args.scale, n_perm=args.n_perm)
    rows = pd.DataFrame([r for rep in results for r in rep])
    rows.to_csv(args.out, index=False)
    table = summarise(rows)
    pd.set_option("display.width", 220)
    pd.set_option("display.max_colwidth", 70)
    print(table.round(4).to_string())
    ri = rows.ri_p.dropna()
    print(f"\nRandomisation test of the headline DiD rejects no effect at 5% in {100 * (ri <= 0.05).mean():.1f}% of "
          f"replicates (the true effect is about {rows.loc[rows.truth_name == 'did_att_da_rate', 'truth'].mean():.4f}).")
    print(f"{len(seeds)} replicates in {time.time() - t0:.0f} s on {args.jobs} worker(s); rows in {args.out}")


if __name__ == "__main__":
    main()
