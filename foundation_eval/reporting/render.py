"""Render the report notebooks in batch: papermill in a process pool, HTML without code.

The extract is validated once, up front; a report that fails never stops the others; output is
built in a temporary folder beside the destination and moved into place only when complete, so an
interrupted run never leaves a half-written set. Executed notebooks are kept apart from the pages.
"""
from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from foundation_eval import __version__
from foundation_eval.config import DEFAULT_PROGRAMME, Programme, load_programme
from foundation_eval.data.load import Dataset, load_dataset
from foundation_eval.evaluation.snapshot import build_snapshot, write_snapshot
from foundation_eval.reporting.disclosure import rule_text
from foundation_eval.schemas import resource_dir

__all__ = ["Job", "RenderSummary", "notebook_dir", "plan", "render"]

KERNEL = "python3"


def notebook_dir() -> Path:
    return resource_dir("notebooks")


@dataclass(frozen=True)
class Job:
    """One report: a notebook, its parameters and the page it becomes."""

    name: str
    title: str
    notebook: str
    parameters: dict


@dataclass(frozen=True)
class RenderSummary:
    out: Path
    succeeded: tuple[str, ...]
    failed: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


def plan(ds: Dataset, data_dir: str, programme: str, districts=None, force_reports: bool = True) -> list[Job]:
    """The reports a render produces: one per district (or the named ones) and, unless ``force_reports``
    is false, the force overview, the data quality report and the risk-tool validity study (only for a
    programme that defines a risk tool and an extract that holds its assessments)."""
    prog = ds.programme
    chosen = [prog.district(d) for d in districts] if districts else list(prog.districts)
    jobs = [
        Job(
            name=f"district-{d.id.lower()}",
            title=f"{d.name}",
            notebook="district_report.ipynb",
            parameters={"district": d.id, "data_dir": data_dir, "programme": programme,
                        "period_start": str(prog.study_start), "period_end": str(prog.study_end)},
        )
        for d in chosen
    ]
    if not force_reports:
        return jobs
    jobs.insert(0, Job("force-overview", "Force overview for the Police and Crime Commissioner", "force_overview.ipynb",
                       {"data_dir": data_dir, "programme": programme, "period_start": str(prog.study_start),
                        "period_end": str(prog.study_end)}))
    jobs.append(Job("data-quality", "Data quality", "data_quality.ipynb", {"data_dir": data_dir, "programme": programme}))
    # every programme with staggered go-live dates gets its evaluation (designs it cannot support say why)
    if len({d.go_live for d in prog.districts}) >= 2:
        jobs.insert(1, Job("pilot-vs-rollout", "Did the programme work? Pilot-versus-rollout evaluation",
                           "pilot_vs_rollout.ipynb", {"data_dir": data_dir, "programme": programme}))
    if prog.has_risk_tool and len(ds.ppit_assessments):
        jobs.append(Job("ppit-validity", "PPIT validity study", "ppit_validity.ipynb",
                        {"data_dir": data_dir, "programme": programme, "outcome": "any_da", "window_months": 12,
                         "min_followup_months": 12, "harm_threshold": 0}))
    return jobs


def _run_job(job: Job, work: str, retries: int = 1) -> tuple[str, str | None]:
    """Execute one notebook and export its HTML. Returns (name, error or None)."""
    import papermill as pm
    from nbconvert import HTMLExporter

    src = notebook_dir() / job.notebook
    executed = Path(work) / "executed" / f"{job.name}.ipynb"
    page = Path(work) / f"{job.name}.html"
    params = dict(job.parameters)
    declared = _parameter_names(src)
    if "workbook_path" in declared:
        params["workbook_path"] = str(Path(work) / f"{job.name}.xlsx")
    if "results_path" in declared:
        params["results_path"] = str(Path(work) / "executed" / f"{job.name}.results.json")
    last = None
    for attempt in range(retries + 1):
        try:
            nb = pm.execute_notebook(str(src), str(executed), parameters=params, kernel_name=KERNEL,
                                     progress_bar=False, log_output=False, cwd=str(Path(work)),
                                     extra_arguments=["--IPKernelApp.log_level=ERROR"])
            break
        except Exception as exc:  # noqa: BLE001 - any failure is reported per report
            last = exc
            # a kernel that failed to start (port race) is worth one more try; a cell error is not
            if "PapermillExecutionError" in type(exc).__name__ or attempt == retries:
                return job.name, "".join(traceback.format_exception_only(type(exc), exc)).strip()[-2000:]
            time.sleep(1.0 + attempt)
    else:  # pragma: no cover
        return job.name, str(last)
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    body = body.replace("<title>Notebook</title>", f"<title>{html.escape(job.title)}</title>", 1)
    body = body.replace("<html>", '<html lang="en">', 1)
    page.write_text(body, encoding="utf-8")
    return job.name, None


def _parameter_names(notebook: Path) -> set[str]:
    """Names assigned in a notebook's parameters cell."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            src = "".join(cell["source"])
            return {line.split("=")[0].strip() for line in src.splitlines() if "=" in line and not line.startswith("#")}
    return set()


def _index(prog: Programme, jobs: list[Job], failed: dict, ds: Dataset, work: Path) -> str:
    def links(j: Job) -> str:
        extra = "".join(f' <a href="{j.name}.{ext}">{ext.upper()}</a>' for ext in ("pdf", "xlsx")
                        if (work / f"{j.name}.{ext}").exists())
        return f'<li><a href="{j.name}.html">{html.escape(j.title)}</a>{extra}</li>'

    items = "".join(links(j) for j in jobs if j.name not in failed and j.name.startswith("district-"))
    studies = "".join(links(j) for j in jobs if j.name not in failed and not j.name.startswith("district-"))
    bad = "".join(f"<li>{html.escape(j.title)}: not produced</li>" for j in jobs if j.name in failed)
    synthetic = "<p><strong>Synthetic demonstration data: no real person is described.</strong></p>" if prog.illustrative else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(prog.name)} reports</title>
<style>body{{font-family:system-ui,Arial,sans-serif;max-width:48em;margin:2em auto;color:#1a1a1a}}
h1{{border-bottom:3px solid #0072B2}} li{{margin:0.2em 0}}</style></head><body>
<h1>{html.escape(prog.name)}: reports</h1>{synthetic}
{f"<h2>Force-wide reports</h2><ul>{studies}</ul>" if studies else ""}
<h2>District reports</h2><ul>{items}</ul>{f"<h2>Not produced</h2><ul>{bad}</ul>" if bad else ""}
<h2>Disclosure control</h2><p>{html.escape(rule_text(prog.disclosure_threshold))}</p>
<h2>Provenance</h2><p>Input data SHA-256 {ds.data_hash}; foundation-eval {__version__}.</p></body></html>"""


def render(data_dir: str | Path | None = None, out: str | Path = "reports/demo", programme: str = DEFAULT_PROGRAMME,
           jobs: int | None = None, seed: int = 20210101, districts=None, progress: bool = True,
           synth_overrides: dict | None = None, pdf: bool = True, force_reports: bool = True,
           screenshots: bool = False) -> RenderSummary:
    """Render every report.

    Parameters
    ----------
    data_dir : path, optional
        Extract folder. Without it the default synthetic force is generated and rendered.
    out : path
        Destination folder; replaced as a whole when the render completes.
    jobs : int, optional
        Parallel notebook processes (default: all cores).

    Raises
    ------
    foundation_eval.data.load.ValidationError
        If the extract breaks the data contract (nothing is written).
    """
    t0 = time.time()
    prog = load_programme(programme)
    if str(programme).endswith(".toml"):  # a programme file: notebooks run elsewhere, so give them its full path
        programme = str(Path(programme).resolve())
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    scratch = None
    scratch_dirs: list[Path] = []
    printer = None
    try:
        if data_dir is None:
            from foundation_eval.data.synth import generate, write

            # person-level synthetic data stay out of the published folder
            scratch = Path(tempfile.mkdtemp(prefix="foundation-eval-synthetic-"))
            data_dir = scratch
            write(generate(prog, seed=seed, **(synth_overrides or {})), data_dir)
        data_dir = Path(data_dir).resolve()
        # validate and reduce the event tables once; every notebook opens the typed snapshot with its
        # reduced tables (kept out of the published folder)
        # force-wide headline models: fitted once here, stored with the snapshot, never refitted by a report
        snapshot = build_snapshot(load_dataset(data_dir, prog))
        ds = snapshot.dataset
        snap = Path(tempfile.mkdtemp(prefix="foundation-eval-snapshot-"))
        scratch_dirs.append(snap)
        write_snapshot(snapshot, snap)
        (work / "executed").mkdir()
        todo = plan(ds, str(snap), programme, districts, force_reports)
        jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
        failed: dict[str, str] = {}
        # notebooks run in the pool; this process prints each finished page to PDF through one browser
        from foundation_eval.reporting.export import PdfPrinter

        printer = PdfPrinter() if pdf else None

        def finished(name: str, err: str | None) -> None:
            if not err and printer is not None:
                err = printer.print(work / f"{name}.html")
                err = f"PDF: {err}" if err else None
            if err:
                failed[name] = err
            if bar:
                bar.update()

        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), desc="Rendering reports", unit="report")
        if jobs == 1:
            for j in todo:
                finished(*_run_job(j, str(work)))
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = []
                # force-wide studies take about twice a district report: start them first so none is the tail
                for k, j in enumerate(sorted(todo, key=lambda j: j.notebook == "district_report.ipynb")):
                    futures.append(pool.submit(_run_job, j, str(work)))
                    if k < jobs:
                        time.sleep(0.3)  # stagger kernel starts (ZMQ port race)
                for fut in as_completed(futures):
                    finished(*fut.result())
        if printer is not None:
            printer.close()
        if bar:
            bar.close()
        (work / "index.html").write_text(_index(prog, todo, failed, ds, work), encoding="utf-8")
        if screenshots:
            from foundation_eval.reporting.export import screenshots as take

            (work / "screenshots").mkdir()
            take([(work / f"{page}.html", work / "screenshots" / f"{page}.png")
                  for page in ["index", *(j.name for j in todo if j.name not in failed)]])
        # one value per estimand, from the snapshot every report read
        records = snapshot.results()["estimates"]
        for extra in (work / "executed").glob("*.results.json"):
            extra.unlink()
        (work / "results.json").write_text(json.dumps({"estimates": records}, indent=2, sort_keys=True) + "\n",
                                           encoding="utf-8")
        if scratch is not None:
            shutil.copy(data_dir / "truth.json", work / "truth.json")
        (work / "render.json").write_text(json.dumps({
            "programme": prog.id, "data_sha256": ds.data_hash, "version": __version__,
            "reports": [j.name for j in todo], "failed": sorted(failed),
        }, indent=2, sort_keys=True) + "\n")
        if out.exists():
            shutil.rmtree(out)
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        if printer is not None:
            printer.close()
        for d in [scratch, *scratch_dirs]:
            if d is not None:
                shutil.rmtree(d, ignore_errors=True)
    ok = tuple(j.name for j in todo if j.name not in failed)
    return RenderSummary(out, ok, failed, time.time() - t0)
