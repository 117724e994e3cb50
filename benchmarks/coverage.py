"""Coverage study: bias and 95% interval coverage of every headline estimate over many seeds.

Each replicate generates the synthetic force with its own seed, writes and validates it like a real
extract, computes the headline estimates and scores them against that replicate's truth.json.

    python benchmarks/coverage.py --seeds 200 [--jobs 2] [--scale 1.0] [--dask]

Replicates run in a process pool over all cores, or on a Dask distributed cluster with --dask (a
local cluster here; pass --scheduler ADDRESS for a real one).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import pandas as pd
from _parallel import run_seeds


def replicate(seed: int, scale: float = 1.0) -> list[dict]:
    from foundation_eval.data import synth
    from foundation_eval.data.load import load_dataset
    from foundation_eval.evaluation.estimates import headline_estimates
    from foundation_eval.evaluation.registry import REGISTRY

    result = synth.generate("hiow", seed=seed, scale=scale, truth_replicates=10)
    with tempfile.TemporaryDirectory() as d:
        synth.write(result, d)
        ds = load_dataset(d)
        est = headline_estimates(ds)
    truth = result.truth["effects"]
    return [{"seed": seed, "name": e.name, "estimate": e.estimate, "ci_low": e.ci_low, "ci_high": e.ci_high,
             "truth": truth[REGISTRY[e.name].truth], "covered": e.covers(truth[REGISTRY[e.name].truth])} for e in est]


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.assign(error=rows.estimate - rows.truth, width=rows.ci_high - rows.ci_low)
    g = rows.groupby("name")
    out = pd.DataFrame({
        "replicates": g.size(),
        "mean_truth": g.truth.mean(),
        "mean_estimate": g.estimate.mean(),
        "bias": g.error.mean(),
        "rmse": np.sqrt(rows.assign(sq=rows.error**2).groupby("name").sq.mean()),
        "coverage_pct": 100 * g.covered.mean(),
        "mean_ci_width": g.width.mean(),
    })
    n = out.replicates
    out["coverage_mc_se_pct"] = 100 * np.sqrt(0.95 * 0.05 / n)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--first-seed", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--dask", action="store_true", help="run on a Dask distributed cluster")
    ap.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler")
    ap.add_argument("--out", default="benchmarks/coverage_results.csv")
    args = ap.parse_args()
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    t0 = time.time()
    results = run_seeds(replicate, seeds, args.jobs, args.dask, args.scheduler, scale=args.scale)
    rows = pd.DataFrame([r for rep in results for r in rep])
    rows.to_csv(args.out, index=False)
    table = summarise(rows)
    pd.set_option("display.width", 160)
    print(table.round(4).to_string())
    print(f"\n{len(seeds)} replicates in {time.time() - t0:.0f} s on {args.jobs} worker(s); rows in {args.out}")


if __name__ == "__main__":
    main()
