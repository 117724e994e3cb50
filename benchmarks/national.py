"""A synthetic national-scale extract: load, validate, reduce and fit the core models, timed and measured.

    python benchmarks/national.py [--people 2000000] [--districts 300] [--workdir DIR] [--render]

The extract is generated first, in its own process, by the project's synthetic generator for a
programme of ``--districts`` districts (a national-scale copy of the default programme with shorter
screening spells, so that events per person look like a national police extract); it is written
as Parquet and is not timed. A fresh process then runs, timing each stage:

1. load and validate the extract against the full data contract (:func:`load_dataset`);
2. reduce the event tables with polars to the person, cohort-month and district-month tables
   (:func:`foundation_eval.frames.reduce.with_reduced`);
3. fit the core models on the reduced tables, once: Cox (Efron ties, district-clustered errors) of
   time to DA reoffence, logistic GEE of 12-month reoffending clustered by district, negative
   binomial DA counts with a person-years offset, and a Poisson district-month model.

It prints each stage's seconds and the process's peak resident memory against the goals (<= 120 s and
<= 8 GiB on 2 cores for the whole; <= 15 s and <= 2 GiB for loading and validating the extract) as
ratios. ``--people`` sets the size; the generator's force is scaled to reach it.

``--render`` then runs the whole render on the extract, as a user would, in a fresh process:
``foundation-eval render --data EXTRACT --programme PROGRAMME --no-pdf`` (every district page, the force
overview, the evaluation, the risk-tool study and the data-quality report). It reports the render's
wall time and the peak memory of its whole process tree (the render, its worker pool and the notebook
kernels: proportional set sizes summed, so that pages the forked workers share count once, sampled every
half second) against the goals (<= 300 s and <= 4 GiB
on 2 cores; the evaluation page <= 60 s) as ratios, stage by stage: the preparation (load and validate,
reduce, fit the headline models and the study the district pages read, write the snapshot: all in the
render's builder process, the render's own process holding no table) and the reports (the builder then
fits the other estimates and studies beside the first district pages), with each report's own duration and its slowest cells read from papermill's records in the executed notebooks, and the
disclosure audit's seconds per page from ``render.json`` when the render finished. ``--render-districts N`` renders only the
first N district pages (a reduced smoke run), ``--jobs`` sets the render's parallel reports.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import resource
import signal
import subprocess
import sys
import tempfile
import time
from itertools import product
from pathlib import Path
from string import ascii_uppercase

GOAL_SECONDS = 120.0
GOAL_GIB = 8.0
GOAL_LOAD_SECONDS = 15.0
GOAL_LOAD_GIB = 2.0
GOAL_RENDER_SECONDS = 300.0
GOAL_RENDER_GIB = 4.0
GOAL_EVALUATION_SECONDS = 60.0
FORCE_REPORTS = ("force-overview", "pilot-vs-rollout", "ppit-validity", "data-quality")
# the default programme gives about this many people per unit of the generator's scale, with these settings
SETTINGS = {"mean_spell_months": 1.5, "second_spell_prob": 0.1, "base_monthly_hazard": 0.02, "truth_replicates": 1}
PEOPLE_PER_SCALE = 26_800


def national_programme(districts: int, folder: Path) -> Path:
    """Write a programme file: the default programme's rules with ``districts`` districts going live in
    quarterly waves over 2021-2023."""
    from foundation_eval.config import load_programme

    base = load_programme("hiow")
    text = Path(base.source).read_text(encoding="utf-8")
    head, rest = text.split("[[districts]]", 1)
    tail = rest[rest.index("[[offence_types]]"):]
    head = head.replace('id = "hiow"', 'id = "national-benchmark"', 1)
    # the default programme's neighbour map names its own districts: no map here
    if "[evaluation.neighbours]" in head:
        before, after = head.split("[evaluation.neighbours]", 1)
        head = before + after[after.index("\n["):].lstrip("\n") if "\n[" in after else before
    ids = ["".join(p) for p in product(ascii_uppercase, repeat=3)][:districts]
    blocks = []
    for k, did in enumerate(ids):
        wave = 0 if k < max(2, districts // 12) else 1 + k % 11  # a pilot group, then 11 quarterly waves
        year, quarter = divmod(wave, 4)
        go = f"{2021 + year}-{3 * quarter + 1:02d}"
        size = 0.4 + (k * 7919 % 100) / 62.5  # deterministic spread of district sizes, 0.4 to 2.0
        blocks.append(f'[[districts]]\nid = "{did}"\nname = "District {k + 1:03d}"\nrelative_size = {size:.3f}\n'
                      f'go_live = "{go}"\npilot = {"true" if wave == 0 else "false"}\npractitioner_from = "{go}"\n')
    path = folder / "national-benchmark.toml"
    path.write_text(head + "\n".join(blocks) + "\n" + tail, encoding="utf-8")
    return path


def generate(people: int, districts: int, workdir: Path) -> dict:
    """Generate and write the national extract (runs in its own process)."""
    from foundation_eval.data.synth import generate as synth_generate

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    prog = national_programme(districts, workdir)
    result = synth_generate(str(prog), seed=2024, scale=people / PEOPLE_PER_SCALE, **SETTINGS)
    extract = workdir / "extract"
    extract.mkdir(exist_ok=True)
    counts = {}
    for name, frame in result.tables.items():
        frame.to_parquet(extract / f"{name}.parquet", index=False)
        counts[name] = len(frame)
    return {"programme": str(prog), "extract": str(extract), "rows": counts}


def measure(programme: str, extract: str) -> dict:
    """Load, validate, reduce and fit; seconds per stage and peak memory (runs in a fresh process)."""
    # the package first, as the command line imports it: it sets polars' allocator before polars loads
    import foundation_eval  # noqa: F401, I001

    import numpy as np
    import pandas as pd
    import statsmodels.api as sm

    from foundation_eval.data.load import load_dataset
    from foundation_eval.frames.reduce import with_reduced
    from foundation_eval.models.reoffending import cox, negative_binomial

    times: dict[str, float] = {}
    t = time.perf_counter()
    ds = load_dataset(extract, programme)
    times["load and validate"] = time.perf_counter() - t
    load_peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    t = time.perf_counter()
    ds = with_reduced(ds)
    times["reduce (polars)"] = time.perf_counter() - t
    persons = ds.reduced.persons
    everyone = persons.assign(live=lambda f: f.live_at_index.astype(float),
                              age=lambda f: f.age_at_index.astype(float),
                              prior=lambda f: f.prior_da_2y.astype(float))
    fits = {}
    t = time.perf_counter()
    res = cox(everyone, "time_days", "event", ["live", "age", "prior"], cluster="district_id")
    fits["cox_hr_live"] = float(res.table().loc["live", "hr"])
    times["Cox, Efron, clustered"] = time.perf_counter() - t
    t = time.perf_counter()
    w = everyone[everyone.observed_12m]
    X = sm.add_constant(w[["live", "age", "prior"]].to_numpy())
    gee = sm.GEE(w.reoffended_12m.astype(float).to_numpy(), X, groups=pd.factorize(w.district_id)[0],
                 family=sm.families.Binomial(), cov_struct=sm.cov_struct.Independence()).fit()
    fits["logit_or_live"] = float(np.exp(gee.params[1]))
    times["12-month logistic GEE"] = time.perf_counter() - t
    t = time.perf_counter()
    nb = negative_binomial(everyone[everyone.exposure_years > 0], "da_count", "exposure_years",
                           ["live", "age", "prior"], cluster="district_id")
    fits["nb_rate_ratio_live"] = float(np.exp(nb.table().loc["live", "coef"]))
    times["negative binomial counts"] = time.perf_counter() - t
    t = time.perf_counter()
    dm = ds.reduced.district_month
    dm = dm[dm.eligible > 0]
    go = {d.id: d.go_live for d in ds.programme.districts}
    live = (dm.month >= dm.district_id.map(go)).astype(float).to_numpy()
    design = pd.get_dummies(dm[["district_id"]].assign(month=dm.month.astype(str)), drop_first=True, dtype=float)
    Xd = np.column_stack([np.ones(len(dm)), live, design.to_numpy()])
    pois = sm.GLM(dm.da_reoffences.to_numpy(), Xd, family=sm.families.Poisson(),
                  offset=np.log(dm.eligible.to_numpy())).fit(cov_type="cluster",
                                                             cov_kwds={"groups": pd.factorize(dm.district_id)[0]})
    fits["poisson_rr_live"] = float(np.exp(pois.params[1]))
    times["district-month Poisson"] = time.perf_counter() - t
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return {"times": times, "peak_gib": peak_gib, "load_peak_gib": load_peak_gib, "fits": fits, "persons": len(persons), "listed": int(persons.listed.sum()),
            "district_months": len(ds.reduced.district_month)}


def _tree_rss(proc) -> int:
    """Memory of a process and all its descendants: the sum of their proportional set sizes (a page shared
    by n processes, such as the render's data in its forked workers, counts 1/n in each), or of their
    resident sizes where the system does not report PSS."""
    import psutil

    total = 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for p in members:
        try:
            info = p.memory_full_info()
            total += getattr(info, "pss", info.rss)
        except psutil.AccessDenied:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def _papermill_times(executed: Path) -> dict:
    """Each executed notebook's duration and its three slowest cells (first line of their source)."""
    out = {}
    for nb_path in sorted(executed.glob("*.ipynb")):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        cells = []
        for cell in nb.get("cells", []):
            d = (cell.get("metadata", {}).get("papermill") or {}).get("duration")
            if d is not None and cell.get("cell_type") == "code":
                src = "".join(cell.get("source", "")).strip().splitlines()
                cells.append((float(d), src[0][:70] if src else ""))
        cells.sort(reverse=True)
        if not (nb.get("metadata", {}).get("papermill") or {}).get("duration"):
            continue  # not finished
        out[nb_path.stem] = {"seconds": float((nb.get("metadata", {}).get("papermill") or {}).get("duration") or 0.0),
                             "slowest_cells": cells[:3]}
    return out


def render_stage(programme: str, extract: str, out: str, districts: int | None = None, jobs: int | None = None,
                 timeout: float | None = None) -> dict:
    """Run ``foundation-eval render --data`` on the extract in a fresh process; wall time and peak memory of
    its process tree, for the preparation and for the reports, and each report's duration. After
    ``timeout`` seconds the render is stopped and the stage it reached is reported."""
    import psutil

    from foundation_eval.config import load_programme

    out = Path(out).resolve()
    cmd = [sys.executable, "-m", "foundation_eval.cli", "render", "--data", str(extract), "--programme", str(programme),
           "--out", str(out), "--no-pdf"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if districts is not None:
        for d in load_programme(programme).districts[:districts]:
            cmd += ["--district", d.id]
        # the force-wide reports are rendered with any subset of district pages
    log = out.parent / f"{out.name}.log"
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with log.open("w", encoding="utf-8") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, text=True)
        ps = psutil.Process(proc.pid)
        prep_s = None
        work = out  # the render's partial output folder, once it exists
        peak = {"preparation": 0, "reports": 0}
        pages: dict[str, float] = {}
        stopped = False
        while proc.poll() is None:
            if timeout is not None and time.perf_counter() - t0 > timeout:
                stopped = True
                if prep_s is not None:  # read the finished reports' records before the render removes its folder
                    per_report = _papermill_times(work / "executed")
                family = ps.children(recursive=True)
                proc.send_signal(signal.SIGINT)  # the render then deletes its partial output and its snapshot
                try:
                    proc.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    pass
                for p in [ps, *family]:  # and whatever it started that is still running
                    with contextlib.suppress(psutil.NoSuchProcess):
                        p.kill()
                proc.wait()
                break
            rss = _tree_rss(ps)
            if prep_s is None:
                partial = [p for p in out.parent.glob(f".{out.name}.partial-*") if (p / "executed").is_dir()]
                if partial:
                    prep_s = time.perf_counter() - t0
                    work = partial[0]
            stage = "preparation" if prep_s is None else "reports"
            peak[stage] = max(peak[stage], rss)
            if prep_s is not None:
                for page in work.glob("*.html"):
                    if page.stem != "index":
                        pages.setdefault(page.stem, time.perf_counter() - t0)
            time.sleep(0.5)
    wall = time.perf_counter() - t0
    for page in out.glob("*.html"):  # pages written after the last look
        if page.stem != "index":
            pages.setdefault(page.stem, wall)
    text = log.read_text(encoding="utf-8", errors="replace")
    summary = json.loads((out / "render.json").read_text()) if (out / "render.json").exists() else {}
    if not stopped:
        per_report = _papermill_times(out / "executed") if (out / "executed").is_dir() else {}
    elif prep_s is None:
        per_report = {}
    return {"returncode": proc.returncode, "stopped_after": timeout if stopped else None, "wall": wall, "preparation": prep_s,
            "peak_gib": {k: v / 2**30 for k, v in peak.items()}, "pages_done_at": pages,
            "reports": summary.get("reports", []), "failed": summary.get("failed", []), "per_report": per_report,
            "timings": summary.get("timings", {}).get("reports", {}),
            "studies_seconds": summary.get("timings", {}).get("studies"),
            "log_tail": text[-3000:], "out": str(out)}


def _child(fn: str, *args) -> dict:
    """Run a stage in a fresh interpreter so that memory and imports do not carry over."""
    code = (f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import national; "
            f"print('@@' + json.dumps(national.{fn}(*{args!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if out.returncode:
        sys.exit(f"{fn} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.rsplit("@@", 1)[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=2_000_000)
    ap.add_argument("--districts", type=int, default=300)
    ap.add_argument("--workdir", type=Path,
                    help="keep the generated extract here and reuse it next time (default: a temporary folder)")
    ap.add_argument("--render", action="store_true",
                    help="then render every report on the extract (foundation-eval render --data ... --no-pdf)")
    ap.add_argument("--render-districts", type=int, default=None, metavar="N",
                    help="with --render: only the first N district pages (a reduced run)")
    ap.add_argument("--jobs", type=int, default=None, help="with --render: parallel reports (default: all cores)")
    ap.add_argument("--render-timeout", type=float, default=None, metavar="SECONDS",
                    help="with --render: stop the render after this long and report the stage it reached")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="national-benchmark-"))
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    done = work / "generated.json"
    if args.workdir and done.exists() and json.loads(done.read_text())["args"] == [args.people, args.districts]:
        gen = json.loads(done.read_text())  # the same extract, generated before into --workdir
    else:
        gen = _child("generate", args.people, args.districts, str(work))
        done.write_text(json.dumps({**gen, "args": [args.people, args.districts]}))
    rows = gen["rows"]
    events = sum(v for k, v in rows.items() if k not in ("people", "districts"))
    how = "reused from --workdir" if time.perf_counter() - t < 1 else f"generated in {time.perf_counter() - t:.0f} s"
    print(f"extract {how} (not timed below): {rows['people']:,} people, "
          f"{events:,} event rows, {rows['districts']} districts", flush=True)
    print("  " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    m = _child("measure", gen["programme"], gen["extract"])
    total = sum(m["times"].values())
    print("\n| stage | seconds |\n| --- | --- |")
    for k, v in m["times"].items():
        print(f"| {k} | {v:.1f} |")
    print(f"| **total** | **{total:.1f}** |")
    print(f"\npersons in the reduced table {m['persons']:,} (listed {m['listed']:,}); "
          f"district-months {m['district_months']:,}")
    load_s = m["times"]["load and validate"]
    print(f"load and validate {load_s:.1f} s against the goal {GOAL_LOAD_SECONDS:.0f} s: ratio "
          f"{load_s / GOAL_LOAD_SECONDS:.2f}; peak memory by then {m['load_peak_gib']:.2f} GiB against "
          f"{GOAL_LOAD_GIB:.0f} GiB: ratio {m['load_peak_gib'] / GOAL_LOAD_GIB:.2f}")
    print(f"time {total:.1f} s against the goal {GOAL_SECONDS:.0f} s: ratio {total / GOAL_SECONDS:.2f}")
    print(f"peak memory {m['peak_gib']:.2f} GiB against the goal {GOAL_GIB:.0f} GiB: ratio {m['peak_gib'] / GOAL_GIB:.2f}")
    print("estimates (a check that the models ran; confounded, not effects): "
          + ", ".join(f"{k} {v:.3f}" for k, v in m["fits"].items()))
    if args.render:
        print("\nrendering every report on the extract (--no-pdf) ...", flush=True)
        r = render_stage(gen["programme"], gen["extract"], str(work / "site"), args.render_districts, args.jobs,
                         args.render_timeout)
        report_render(r)
        if r["returncode"]:
            sys.exit(1)


def report_render(r: dict) -> None:
    """Print the render's stages, ratios to the goals and where the time went."""
    wall, prep = r["wall"], r["preparation"]
    done = r["pages_done_at"]
    print("\n| render stage | seconds | peak GiB (process tree, PSS) |\n| --- | --- | --- |")
    if prep is None:
        print(f"| preparation (did not finish) | {wall:.1f} | {r['peak_gib']['preparation']:.2f} |")
    else:
        print(f"| preparation: load and validate, reduce, the estimates and study the district pages read, snapshot | "
              f"{prep:.1f} | {r['peak_gib']['preparation']:.2f} |")
        print(f"| reports ({len(done)} pages written) | {wall - prep:.1f} | {r['peak_gib']['reports']:.2f} |")
        if r.get("studies_seconds") is not None:
            print(f"| the builder's process from the start: the preparation, then the other estimates and studies "
                  f"beside the first district pages | {r['studies_seconds']:.1f} | |")
    peak = max(r["peak_gib"].values())
    print(f"| **whole render** | **{wall:.1f}** | **{peak:.2f}** |")
    print(f"\nrender {wall:.0f} s against the goal {GOAL_RENDER_SECONDS:.0f} s: ratio {wall / GOAL_RENDER_SECONDS:.2f}; "
          f"peak {peak:.2f} GiB against {GOAL_RENDER_GIB:.0f} GiB: ratio {peak / GOAL_RENDER_GIB:.2f}")
    per = r["per_report"]
    districts = [v["seconds"] for k, v in per.items() if k.startswith("district-")]
    if districts:
        print(f"district pages: {len(districts)}, {sum(districts) / len(districts):.1f} s each on average "
              f"(min {min(districts):.1f}, max {max(districts):.1f}) of kernel time")
    for name in FORCE_REPORTS:
        if name in per:
            print(f"{name}: {per[name]['seconds']:.1f} s")
    if "pilot-vs-rollout" in per:
        s = per["pilot-vs-rollout"]["seconds"]
        print(f"evaluation page {s:.1f} s of kernel time against the goal {GOAL_EVALUATION_SECONDS:.0f} s: "
              f"ratio {s / GOAL_EVALUATION_SECONDS:.2f}")
    audits = {k: v.get("audit") for k, v in r.get("timings", {}).items() if v.get("audit") is not None}
    if audits:
        worst = max(audits, key=audits.get)
        print(f"disclosure audit: {sum(audits.values()):.1f} s over {len(audits)} pages "
              f"(slowest {worst}, {audits[worst]:.1f} s)")
    slow = sorted(((c[0], k, c[1]) for k, v in per.items() for c in v["slowest_cells"]), reverse=True)[:8]
    if slow:
        print("slowest cells: " + "; ".join(f"{k} {d:.1f} s `{src}`" for d, k, src in slow))
    if r["stopped_after"] is not None:
        print(f"stopped after {r['stopped_after']:.0f} s (--render-timeout): {len(done)} of the planned pages written")
    elif r["failed"] or r["returncode"]:
        print(f"render exited {r['returncode']}; failed reports: {', '.join(r['failed']) or 'see log'}")
        print(r["log_tail"])


if __name__ == "__main__":
    main()
