"""Full default render against a floor of the same number of notebooks that only import the stack.

    python benchmarks/render_floor.py [--jobs 2] [--profile]

One run measures, one after the other in this process and with the same parallelism: the render with
PDFs (when a browser is found), the render without PDFs, and the floor (as many notebooks as the render
has reports, each in a fresh kernel that only imports the stack, exported to HTML). The ratios do not
depend on the machine's speed, but a machine shared with other work makes them noisy: compare ratios
from one run. Goal: ratio <= 1.5, PDFs included.

It then prints where the render's time went, from the render's own ``render.json`` timings and the
executed notebooks' per-cell durations; ``--profile`` also runs one district report's code in this
process under cProfile and gives the share of its time spent in matplotlib (drawing and PNG encoding).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

FLOOR_SOURCE = """import pandas, statsmodels.api, lifelines, matplotlib
import foundation_eval.data.load, foundation_eval.reporting.district_report"""


def _floor_job(args):
    import papermill as pm
    from nbconvert import HTMLExporter

    src, out = args
    nb = pm.execute_notebook(src, out, kernel_name="python3", progress_bar=False,
                             extra_arguments=["--IPKernelApp.log_level=ERROR"])
    exporter = HTMLExporter(template_name="basic")
    exporter.exclude_input = True
    body, _ = exporter.from_notebook_node(nb)
    Path(out).with_suffix(".html").write_text(body)


def floor(n: int, jobs: int, tmp: Path) -> float:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(FLOOR_SOURCE)]
    src = tmp / "floor.ipynb"
    nbformat.write(nb, src)
    t0 = time.time()
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(_floor_job, [(str(src), str(tmp / f"floor-{i}.ipynb")) for i in range(n)]))
    return time.time() - t0


def breakdown(site: Path) -> dict:
    """Where a render's time went: its render.json timings and the executed notebooks' cells."""
    meta = json.loads((site / "render.json").read_text())
    t = meta["timings"]
    kinds: dict[str, list] = {}
    setup = other = 0.0
    for name, r in t["reports"].items():
        kind = "district" if name.startswith("district-") else name
        nb = json.loads((site / "executed" / f"{name}.ipynb").read_text())
        cells = [c["metadata"].get("papermill", {}).get("duration") or 0.0 for c in nb["cells"]]
        ids = [c.get("id") for c in nb["cells"]]
        s = sum(d for d, i in zip(cells, ids, strict=True) if i == "setup")
        setup += s
        other += sum(cells) - s
        kinds.setdefault(kind, []).append(r["kernel"] + r["execute"] + r["export"])
    return {
        "total": t["total"], "snapshot (validate, reduce, fit)": t["snapshot"],
        "notebooks and PDF (wall)": t["notebooks_and_pdf"], "PDF printing (main process, overlapped)": t["pdf"],
        "kernel ready + namespace reset (sum)": round(sum(r["kernel"] for r in t["reports"].values()), 1),
        "notebook execution (sum)": round(sum(r["execute"] for r in t["reports"].values()), 1),
        "  of which setup cells (open snapshot, build report)": round(setup, 1),
        "  of which section cells (tables, figures, workbook)": round(other, 1),
        "HTML export (sum)": round(sum(r["export"] for r in t["reports"].values()), 1),
        "per report type, median seconds": {k: round(statistics.median(v), 2) for k, v in kinds.items()},
    }


def profile_district(tmp: Path) -> dict:
    """One district report's code run in this process under cProfile: seconds in matplotlib vs the rest."""
    import cProfile
    import pstats

    from foundation_eval.data.synth import demo_dataset
    from foundation_eval.evaluation.snapshot import build_snapshot, write_snapshot
    from foundation_eval.reporting.render import notebook_dir

    snap = tmp / "snapshot"
    snap.mkdir()
    write_snapshot(build_snapshot(demo_dataset("hiow")), snap)
    nb = nbformat.read(notebook_dir() / "district_report.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    import matplotlib

    matplotlib.use("agg")
    ns: dict = {}
    exec(code[0], ns)  # noqa: S102 - the notebook's parameters cell
    ns.update(snapshot_dir=str(snap), data_dir=str(snap), workbook_path=str(tmp / "w.xlsx"))  # either name
    setup = "\n".join(line for line in code[1].splitlines() if not line.lstrip().startswith("display("))
    exec(setup, ns)  # noqa: S102 - imports, snapshot, report object
    ns["display"] = lambda *a, **k: None
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for src in code[2:]:
        exec(src, ns)  # noqa: S102
    prof.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats
    mpl = sum(v[2] for k, v in stats.items() if "matplotlib" in k[0] or "PIL" in k[0])
    return {"section cells (s)": round(wall, 2), "in matplotlib/PIL (s)": round(mpl, 2),
            "share": round(mpl / wall, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--profile", action="store_true", help="also profile one district report in this process")
    ap.add_argument("--profile-only", action="store_true", help="only profile one district report")
    args = ap.parse_args()
    from foundation_eval.reporting.export import find_browser
    from foundation_eval.reporting.render import render

    if args.profile_only:
        with tempfile.TemporaryDirectory() as tmp:
            print("district report profile:", json.dumps(profile_district(Path(tmp))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        runs = {}
        for label, pdf in (("with PDFs", True), ("without PDFs", False)):
            if pdf and find_browser() is None:
                print("no browser: the render with PDFs is not measured")
                continue
            t0 = time.time()
            summary = render(None, tmp / label.replace(" ", "-"), jobs=args.jobs, progress=False, pdf=pdf)
            runs[label] = (time.time() - t0, summary)
        n = len(next(iter(runs.values()))[1].succeeded) + len(next(iter(runs.values()))[1].failed)
        fl = floor(n, args.jobs, tmp)
        for label, (secs, summary) in runs.items():
            print(f"render {label}: {n} reports in {secs:.1f} s; floor (imports only): {fl:.1f} s; "
                  f"ratio {secs / fl:.2f} (goal <= 1.5) on {args.jobs} worker(s)")
            print(json.dumps(breakdown(summary.out), indent=1))
        if args.profile:
            print("district report profile:", json.dumps(profile_district(tmp)))


if __name__ == "__main__":
    main()
