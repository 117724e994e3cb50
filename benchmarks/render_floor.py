"""Full default render against a floor of the same number of notebooks that only import the stack.

    python benchmarks/render_floor.py [--jobs 2]

Both runs use the same process pool and kernel, one after the other in this process, so the ratio
does not depend on the machine. Goal (issue 8): ratio <= 1.5.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

FLOOR_SOURCE = """import pandas, statsmodels.api, lifelines, matplotlib, seaborn
import foundation_eval.data.load, foundation_eval.reporting.district_report"""


def _floor_job(args):
    import papermill as pm
    from nbconvert import HTMLExporter

    src, out = args
    nb = pm.execute_notebook(src, out, kernel_name="python3", progress_bar=False,
                             extra_arguments=["--IPKernelApp.log_level=ERROR"])
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    body, _ = exporter.from_notebook_node(nb)
    Path(out).with_suffix(".html").write_text(body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    args = ap.parse_args()
    from foundation_eval.reporting.render import render

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.time()
        summary = render(None, Path(tmp) / "site", jobs=args.jobs, progress=False)
        full = time.time() - t0
        n = len(summary.succeeded) + len(summary.failed)
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(FLOOR_SOURCE)]
        src = Path(tmp) / "floor.ipynb"
        nbformat.write(nb, src)
        t0 = time.time()
        with ProcessPoolExecutor(args.jobs) as pool:
            list(pool.map(_floor_job, [(str(src), str(Path(tmp) / f"floor-{i}.ipynb")) for i in range(n)]))
        floor = time.time() - t0
    print(f"full render: {n} reports in {full:.1f} s; floor (imports only): {floor:.1f} s; "
          f"ratio {full / floor:.2f} (goal <= 1.5) on {args.jobs} worker(s)")


if __name__ == "__main__":
    main()
