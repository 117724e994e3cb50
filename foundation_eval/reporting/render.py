"""Render the report notebooks in batch: papermill in a process pool (or on a Dask cluster), pages
without code, PDF copies when a browser is available, a workbook per report.

The extract is validated once, up front; a report that fails never stops the others; output is
built in a temporary folder beside the destination and moved into place only when complete, so an
interrupted run never leaves a half-written set. Executed notebooks are kept apart from the pages.
Each worker keeps one Jupyter kernel, which imports the stack once and runs its reports in turn with
its namespace cleared between them. ``render.json`` records the formats each report was produced in,
the reports without a workbook, the disclosure audit of every page
([`audit`][foundation_eval.reporting.audit.audit], run on the facts each page writes beside its
workbook), any warning and where the time went.
"""
from __future__ import annotations

import contextvars
import functools
import html
import json
import os
import shutil
import tempfile
import threading
import time
import traceback
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from foundation_eval import __version__
from foundation_eval.config import DEFAULT_PROGRAMME, Programme, load_programme
from foundation_eval.data.load import Dataset, load_dataset, write_tables
from foundation_eval.evaluation.snapshot import (
    STUDIES,
    build_snapshot,
    complete_estimands,
    open_snapshot,
    write_estimates,
    write_snapshot,
    write_study,
)
from foundation_eval.reporting.publication import Rule, facts_path
from foundation_eval.schemas import resource_dir

__all__ = ["Job", "RenderSummary", "notebook_dir", "plan", "render", "stop_kernels"]

KERNEL = "python3"


def notebook_dir() -> Path:
    """The folder of the report notebooks (papermill-parameterised, stored without outputs).

    Returns
    -------
    Path
        The ``notebooks`` folder of the package's resources.

    Examples
    --------
    >>> sorted(p.name for p in notebook_dir().glob("*.ipynb"))
    ['data_quality.ipynb', 'district_report.ipynb', 'force_overview.ipynb', 'pilot_vs_rollout.ipynb', 'ppit_validity.ipynb']
    """
    return resource_dir("notebooks")


@dataclass(frozen=True)
class Job:
    """One report: a notebook, its parameters and the page it becomes.

    Made by [`plan`][foundation_eval.reporting.render.plan]; a render executes each job's notebook with
    papermill and writes ``<name>.html`` (and ``.pdf``, ``.xlsx``) from it.

    Attributes
    ----------
    name : str
        File name of the report without suffix, e.g. ``district-sou``.
    title : str
        Page title, also the report's link text in ``index.html``.
    notebook : str
        File name of the notebook in [`notebook_dir`][foundation_eval.reporting.render.notebook_dir].
    parameters : dict
        Values for the notebook's parameters cell: ``snapshot_dir`` (the render's snapshot folder),
        ``programme`` and the report's own. The render adds ``workbook_path`` and ``results_path``
        where the notebook declares them.
    own_kernel : bool
        Run in a kernel stopped afterwards, and never beside another force-wide job (set by the render
        for the evaluation of an extract larger than ``LARGE_EXTRACT_ROWS``).
    audit : bool
        Audit the page the notebook writes ([`audit`][foundation_eval.reporting.audit.audit]).

    Examples
    --------
    >>> job = Job("data-quality", "Data quality", "data_quality.ipynb",
    ...           {"snapshot_dir": "snapshot", "programme": "hiow"})
    >>> (notebook_dir() / job.notebook).exists(), job.force_wide, job.own_kernel
    (True, True, False)
    """

    name: str
    title: str
    notebook: str
    parameters: dict
    own_kernel: bool = False
    audit: bool = True

    @property
    def force_wide(self) -> bool:
        """A study of the whole force (it may read the event tables), as opposed to a district page."""
        return self.notebook != "district_report.ipynb"


@dataclass(frozen=True)
class RenderSummary:
    """What a render produced, returned by [`render`][foundation_eval.reporting.render.render].

    The same facts, with the time each step took, are written to ``render.json`` in the output folder.

    Attributes
    ----------
    out : Path
        The output folder.
    succeeded : tuple of str
        Names of the reports produced, in plan order.
    failed : dict of str to str
        ``{report name: error}`` for every report that was not produced (the exception's type and
        message, at most its last 2,000 characters).
    seconds : float
        Wall-clock time of the whole render.
    warnings : tuple of str
        Warnings for the reader, e.g. PDF copies that could not be made.
    formats : dict of str to list of str
        ``{"html": [...], "pdf": [...], "xlsx": [...]}``: the reports produced in each format.

    Examples
    --------
    >>> from pathlib import Path
    >>> summary = RenderSummary(Path("reports/demo"), ("force-overview", "district-sou"),
    ...                         {"district-eas": "PapermillExecutionError: ..."})
    >>> summary.ok
    False
    >>> RenderSummary(Path("reports/demo"), ("force-overview",)).ok
    True
    """

    out: Path
    succeeded: tuple[str, ...]
    failed: dict = field(default_factory=dict)
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()
    formats: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every planned report was produced (PDF warnings do not count as failures)."""
        return not self.failed


def plan(ds: Dataset, snapshot_dir: str, programme: str, districts=None, force_reports: bool = True) -> list[Job]:
    """The reports a render produces: one per district (or the named ones) and, unless ``force_reports``
    is false, the force overview, the data quality report and the risk-tool validity study (only for a
    programme that defines a risk tool and an extract that holds its assessments).

    The pilot-versus-rollout evaluation is planned too when the districts went live on at least two
    different dates. Force-wide reports come first (the force overview, then the evaluation), the
    district reports follow in the programme's order, then data quality and the validity study.

    Parameters
    ----------
    ds : Dataset
        The validated extract (it decides whether the validity study can be made).
    snapshot_dir : str
        The render's snapshot folder, which the notebooks open with
        [`open_snapshot`][foundation_eval.evaluation.snapshot.open_snapshot] (their ``snapshot_dir``
        parameter).
    programme : str
        Programme id or programme file, passed on to the notebooks.
    districts : list of str, optional
        District ids or names (case-insensitive) to report on; default every district.
    force_reports : bool, default True
        Whether to add the force-wide reports.

    Returns
    -------
    list of Job
        In the order above (the render starts the longer force-wide reports first anyway).

    Raises
    ------
    KeyError
        When a name in ``districts`` is not a district of the programme (the message lists the ids).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ds = open_snapshot().dataset  # the built-in synthetic force
    >>> jobs = plan(ds, "snapshot", "hiow")
    >>> [j.name for j in jobs if not j.name.startswith("district-")]
    ['force-overview', 'pilot-vs-rollout', 'data-quality', 'ppit-validity']
    >>> sum(j.name.startswith("district-") for j in jobs) == len(ds.programme.districts)
    True
    >>> [j.name for j in plan(ds, "snapshot", "hiow", districts=["Southampton", "POR"], force_reports=False)]
    ['district-sou', 'district-por']
    >>> jobs[0].parameters
    {'snapshot_dir': 'snapshot', 'programme': 'hiow', 'period_start': '2019-01', 'period_end': '2024-12'}
    >>> plan(ds, "snapshot", "hiow", districts=["Atlantis"])
    Traceback (most recent call last):
    ...
    KeyError: "no district 'Atlantis' in programme 'hiow'; known: SOU, ..."
    """
    prog = ds.programme
    chosen = [prog.district(d) for d in districts] if districts else list(prog.districts)
    jobs = [
        Job(
            name=f"district-{d.id.lower()}",
            title=f"{d.name}",
            notebook="district_report.ipynb",
            parameters={"district": d.id, "snapshot_dir": snapshot_dir, "programme": programme,
                        "period_start": str(prog.study_start), "period_end": str(prog.study_end)},
        )
        for d in chosen
    ]
    if not force_reports:
        return jobs
    jobs.insert(0, Job("force-overview", "Force overview for the Police and Crime Commissioner", "force_overview.ipynb",
                       {"snapshot_dir": snapshot_dir, "programme": programme, "period_start": str(prog.study_start),
                        "period_end": str(prog.study_end)}))
    jobs.append(Job("data-quality", "Data quality", "data_quality.ipynb",
                    {"snapshot_dir": snapshot_dir, "programme": programme}))
    # every programme with staggered go-live dates gets its evaluation (designs it cannot support say why)
    if len({d.go_live for d in prog.districts}) >= 2:
        jobs.insert(1, Job("pilot-vs-rollout", "Did the programme work? Pilot-versus-rollout evaluation",
                           "pilot_vs_rollout.ipynb", {"snapshot_dir": snapshot_dir, "programme": programme}))
    if prog.has_risk_tool and ds.n_rows("ppit_assessments"):
        jobs.append(Job("ppit-validity", "PPIT validity study", "ppit_validity.ipynb",
                        {"snapshot_dir": snapshot_dir, "programme": programme, "outcome": "any_da",
                         "window_months": 12, "min_followup_months": 12, "harm_threshold": 0}))
    return jobs


# The stack every report imports, loaded once when a worker's kernel starts (the kernel then runs
# several reports in turn, its namespace cleared between them, so no report pays for the imports again).
_WARM = """
import importlib
for _m in ("numpy", "pandas", "scipy.stats", "statsmodels.api", "lifelines", "matplotlib.pyplot", "polars",
           "pyarrow.parquet", "foundation_eval.evaluation.snapshot", "foundation_eval.reporting.figures",
           "foundation_eval.reporting.district_report", "foundation_eval.reporting.overview_report",
           "foundation_eval.reporting.evaluation_report", "foundation_eval.reporting.ppit_report",
           "foundation_eval.reporting.quality_report"):
    try:
        importlib.import_module(_m)
    except Exception:
        pass
del importlib, _m
"""
# what a report left in the kernel goes before the next one starts (a cheaper %reset: no history). Its
# reference cycles are collected and the heap handed back, and what stays (the stack, the snapshot) is
# frozen so that the next collection walks only what the next report makes: at national scale a district
# page's kernel then stays at 0.55 GiB rather than growing to 0.75, for about 10 ms a page
# (benchmarks/README.md)
_RESET = """
_fe_ns, _fe_hidden = get_ipython().user_ns, get_ipython().user_ns_hidden
for _fe_k in [k for k in _fe_ns if k not in _fe_hidden and not (k.startswith("__") and k.endswith("__"))]:
    if not _fe_k.startswith("_fe_"):
        del _fe_ns[_fe_k]
import matplotlib.pyplot as _fe_plt
_fe_plt.close("all")
import foundation_eval.evaluation.snapshot as _fe_snap
_fe_snap.release_tables()  # event tables a force-wide report read; the reduced tables stay
del _fe_ns, _fe_hidden, _fe_k, _fe_plt, _fe_snap
import gc as _fe_gc
_fe_gc.collect()
_fe_gc.freeze()
try:
    import ctypes as _fe_ct
    _fe_ct.CDLL("libc.so.6").malloc_trim(0)
    del _fe_ct
except (OSError, AttributeError):  # not glibc: nothing to trim
    pass
del _fe_gc
"""

# one kernel per worker thread, kept for the worker's life, with one client whose channels stay open:
# {thread id: (kernel manager, its client, its working folder)}. A new client per report would wait
# about 0.2 s for its first kernel_info's IOPub messages, lost while its subscription connects.
_KERNELS: dict[int, tuple] = {}
_EXECUTE_LOCK = threading.Lock()


def _kernel(fresh: bool = False):
    """This worker's kernel, started (and its imports begun) on first use or when ``fresh``."""
    import threading

    from jupyter_client.manager import KernelManager

    key = threading.get_ident()
    if key in _KERNELS:
        km, kc, cwd = _KERNELS[key]
        if not fresh and km.is_alive():
            return km, kc
        _stop(key)
    cwd = tempfile.mkdtemp(prefix="foundation-eval-kernel-")
    km = KernelManager(kernel_name=KERNEL)
    km.start_kernel(cwd=cwd, env=_kernel_env(),
                    extra_arguments=["--IPKernelApp.log_level=ERROR", "--HistoryManager.enabled=False"])
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        kc.execute(_WARM, silent=True, store_history=False)  # not awaited: the first report queues behind it
    except BaseException:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        shutil.rmtree(cwd, ignore_errors=True)
        raise
    kc.allow_stdin = False
    _KERNELS[key] = (km, kc, cwd)
    return km, kc


# rows of an extract's tables above which the force-wide reports run one at a time, and the evaluation
# in a kernel stopped afterwards: the study it reads holds the matched comparison's pairs (about 0.4 GiB
# at 2 million people), which would otherwise stay in a worker's memory; the other force-wide reports
# read the reduced tables and small studies, no event table. A national extract has about 12.6 million
# rows, the built-in synthetic force about 110,000
LARGE_EXTRACT_ROWS = 2_000_000
OWN_KERNEL = ("pilot_vs_rollout.ipynb",)

# the render runs one report per core: a kernel whose linear algebra also spread over every core would
# oversubscribe them (numpy's threaded BLAS spins while it waits, many times slower on a busy machine)
_ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _give_back_memory() -> None:
    """Return freed memory to the system: the validated extract this process no longer holds would
    otherwise stay in its heap for the whole render (about a gigabyte at national scale)."""
    import ctypes
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to trim
        pass


def _kernel_env() -> dict:
    """The environment of a report kernel: this process's, with one linear-algebra thread unless set."""
    return {**{k: "1" for k in _ONE_THREAD}, **os.environ}


def _stop(key: int) -> None:
    km, kc, cwd = _KERNELS.pop(key)
    try:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    except Exception:  # noqa: BLE001 - a kernel that is already gone needs no shutdown
        pass
    shutil.rmtree(cwd, ignore_errors=True)


def stop_kernels() -> None:
    """Shut down every kernel this process started for reports (run at worker exit).

    Each worker keeps one Jupyter kernel for the reports it runs; the render calls this when its
    workers finish (on a Dask cluster, on every worker). It is safe to call when no kernel was started.

    Examples
    --------
    >>> stop_kernels() is None  # no kernel was started here: nothing to stop, nothing raised
    True
    """
    for key in list(_KERNELS):
        _stop(key)


def _start_worker() -> None:
    """Pool initialiser: start this worker's kernel now, so its imports overlap the snapshot being built."""
    from multiprocessing import util

    util.Finalize(None, stop_kernels, exitpriority=10)
    try:
        _kernel()
    except Exception:  # noqa: BLE001 - an initialiser that raises breaks the pool; the first job retries
        pass


def _clear(kc) -> None:
    kc.execute_interactive(_RESET, silent=True, store_history=False, timeout=120)


def _run_job(job: Job, retries: int = 1) -> dict:
    """`_run_here` in an empty context, one job at a time per process.

    jupyter_client and nbclient keep their event loop in a context variable, which a threaded Dask worker
    copies into its task threads from a thread whose loop may be running.
    """
    with _EXECUTE_LOCK:
        return contextvars.Context().run(_run_here, job, retries)


def _run_here(job: Job, retries: int = 1) -> dict:
    """Execute one notebook in this worker's kernel and build its page.

    Returns ``{"name", "error", "files": {file name: bytes}, "timings"}``; the files (page, workbook,
    executed notebook) travel back to the caller, so a worker needs no access to the output folder.
    """

    from foundation_eval.reporting.export import notebook_page

    src = notebook_dir() / job.notebook
    tmp = Path(tempfile.mkdtemp(prefix=f"foundation-eval-{job.name}-"))
    executed = tmp / f"{job.name}.ipynb"
    workbook = tmp / f"{job.name}.xlsx"
    params = _notebook_parameters(job.parameters, _parameter_names(src), workbook,
                                  tmp / f"{job.name}.results.json")
    timings: dict[str, float] = {}
    try:
        for attempt in range(retries + 1):
            t0 = time.perf_counter()
            try:
                km, kc = _kernel(fresh=attempt > 0)
                _clear(kc)
                t1 = time.perf_counter()
                nb = _execute(str(src), str(executed), params, km, kc)
                timings.update(kernel=round(t1 - t0, 3), execute=round(time.perf_counter() - t1, 3))
                break
            except Exception as exc:  # noqa: BLE001 - any failure is reported per report
                # a kernel that failed to start or died is worth one more try in a new one; a cell error is not
                if "PapermillExecutionError" in type(exc).__name__ or attempt == retries:
                    err = _error_text(exc)
                    return {"name": job.name, "error": err, "files": {}, "timings": timings}
                time.sleep(1.0 + attempt)
        t2 = time.perf_counter()
        files = {f"{job.name}.html": notebook_page(nb, job.title).encode("utf-8"),
                 f"executed/{job.name}.ipynb": executed.read_bytes()}
        if workbook.exists():
            files[f"{job.name}.xlsx"] = workbook.read_bytes()
        timings["export"] = round(time.perf_counter() - t2, 3)
        t3 = time.perf_counter()
        checked = _audit_page(facts_path(workbook)) if job.audit else None
        timings["audit"] = round(time.perf_counter() - t3, 3)
        return {"name": job.name, "error": None, "files": files, "timings": timings, "audit": checked}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if job.own_kernel:
            # the evaluation of a large extract read a large study: a new kernel for the next report
            # returns that memory to the system (a process that freed it keeps most of it)
            key = threading.get_ident()
            if key in _KERNELS:
                _stop(key)


def _audit_page(path: Path) -> dict | None:
    """The disclosure audit of the facts a page wrote beside its workbook (None when it wrote none).

    The facts file stays in the worker's temporary folder: it is never published.
    """
    if not path.exists():
        return None
    from foundation_eval.reporting.audit import audit

    return audit(path).summary()


_ENGINE = "foundation-eval"
"""The papermill engine the render executes notebooks with (registered on first use)."""


@functools.cache
def _engine() -> str:
    """Register, once, papermill's nbclient engine that runs on a worker's own kernel and client.

    nbclient opens a client of its own on a kernel it did not start and never closes it: on a worker's
    long-lived kernel each report would leave five ZeroMQ sockets and a heartbeat thread open (a worker
    failed with "Too many open files" after about two hundred reports; a national render has 300),
    and each new client waits for its IOPub subscription. The engine executes with the worker's
    client, kept open for the kernel's life. It is registered through papermill's engine registry,
    its supported extension point.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    class LentKernelEngine(NBClientEngine):
        """Execute on the kernel manager and client passed as ``km`` and ``kc``, leaving both running."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, km=None,
                                     kc=None, **kwargs):
            client = PapermillNotebookClient(nb_man, km=km, kernel_name=kernel_name, log=logger,
                                             log_output=log_output, stdout_file=stdout_file,
                                             stderr_file=stderr_file, startup_timeout=start_timeout,
                                             timeout=execution_timeout)
            client.kc = kc  # nbclient starts no client of its own when it is given one
            try:
                return client.execute()
            finally:
                client.kc = None

    papermill_engines.register(_ENGINE, LentKernelEngine)
    return _ENGINE


def _execute(src: str, executed: str, params: dict, km, kc):
    """papermill in this thread's own event loop, closed afterwards."""
    import papermill as pm
    from jupyter_core import utils

    try:
        # saved once at the end: papermill's default rewrites the whole notebook, figures and all,
        # after every cell
        return pm.execute_notebook(src, executed, parameters=params, engine_name=_engine(), kernel_name=KERNEL,
                                   progress_bar=False, log_output=False, km=km, kc=kc,
                                   request_save_on_cell_execute=False)
    finally:
        loop = utils._loop.get()
        if loop is not None and not loop.is_running() and not loop.is_closed():
            loop.close()


def _notebook_parameters(parameters: dict, declared: set[str], workbook: Path, results: Path) -> dict:
    """A job's parameters as its notebook declares them, with the files the worker gives it.

    The render's snapshot goes to ``snapshot_dir`` (``data_dir`` means an extract, and only to the
    command line and `render`). ``workbook_path`` and ``results_path`` are given where declared.
    """
    params = dict(parameters)
    if "workbook_path" in declared:
        params["workbook_path"] = str(workbook)
    if "results_path" in declared:
        params["results_path"] = str(results)
    return params


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
    body = f"""<h1>{html.escape(prog.name)}: reports</h1>{synthetic}
{f"<h2>Force-wide reports</h2><ul>{studies}</ul>" if studies else ""}
<h2>District reports</h2><ul>{items}</ul>{f"<h2>Not produced</h2><ul>{bad}</ul>" if bad else ""}
<h2>Disclosure control</h2><p>{html.escape(Rule.for_programme(prog).text())}</p>
<h2>Provenance</h2><p>Input data SHA-256 {ds.data_hash}; foundation-eval {__version__}.</p>"""
    from foundation_eval.reporting.export import page_html

    return page_html(body, f"{prog.name} reports")


def _pool_results(todo: list[Job], jobs: int, scheduler: str | None, pool=None, studies=None):
    """Yield each job's result as it finishes: in the process pool, or on a Dask distributed cluster.

    With ``studies`` (a [`_Builder`][foundation_eval.reporting.render._Builder] fitting them in a
    process of its own) the district pages start at once on all but one worker, and the force-wide reports only
    when the studies are written; otherwise every study is already in the snapshot.
    """
    # force-wide studies take about twice a district report: start them first so none is the tail
    order = sorted(todo, key=lambda j: j.notebook == "district_report.ipynb")
    if (scheduler is not None or jobs == 1) and studies is not None:
        studies.wait()
    if scheduler is not None:
        try:
            from distributed import Client
            from distributed import as_completed as dask_completed
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise RuntimeError("--scheduler needs Dask distributed: pip install 'foundation-eval[dask]'") from exc
        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        try:
            futures = [client.submit(_run_job, j, pure=False, key=f"report-{j.name}-{uuid.uuid4().hex[:8]}")
                       for j in order]
            for fut in dask_completed(futures):
                yield fut.result()
            client.run(stop_kernels)
        finally:
            if client is not scheduler:
                client.close()
        return
    if jobs == 1:
        try:
            for j in order:
                yield _run_job(j)
        finally:
            stop_kernels()
        return
    yield from _scheduled(pool, order, jobs, studies)


def _scheduled(pool, order: list[Job], slots: int, studies=None):
    """Run ``order`` in the pool: district pages while the studies are fitted, then the force-wide reports.

    While ``studies`` are being fitted (in a process of their own, on one core), the district pages run on
    ``slots - 1`` workers and no force-wide report starts (it reads the studies). When one has a kernel
    of its own (a large extract), at most one force-wide report runs at a time, longest first: each
    reads studies and tables of a national extract, and two at once would add their peaks. District
    pages fill the other workers meanwhile.
    """
    from concurrent.futures import FIRST_COMPLETED, wait

    longest = ("pilot_vs_rollout.ipynb", "ppit_validity.ipynb", "force_overview.ipynb")
    force = sorted((j for j in order if j.force_wide),
                   key=lambda j: longest.index(j.notebook) if j.notebook in longest else len(longest))
    pages = [j for j in order if not j.force_wide]
    one_at_a_time = any(j.own_kernel for j in order)
    running: dict = {}
    while force or pages or running:
        fitting = studies is not None and not studies.done()
        if not fitting:
            if studies is not None:
                studies.wait()  # written, or raises what stopped the fitting
            if hasattr(pool, "grow"):
                pool.grow()  # every core is free for pages now
        while len(running) < (max(1, slots - 1) if fitting else slots):
            if force and not fitting and not (one_at_a_time and any(j.force_wide for j in running.values())):
                job = force.pop(0)
            elif pages:
                job = pages.pop(0)
            else:
                break
            running[pool.submit(_run_job, job)] = job
        if fitting and not running:
            studies.wait()  # nothing else to run: the force-wide reports wait for the studies
            continue
        # while the studies are fitted, look again every half second for the moment they are written
        done, _ = wait(running, timeout=0.5 if fitting else None, return_when=FIRST_COMPLETED)
        for fut in done:
            running.pop(fut)
            yield fut.result()


def render(data_dir: str | Path | None = None, out: str | Path = "reports/demo", programme: str = DEFAULT_PROGRAMME,
           jobs: int | None = None, seed: int = 20210101, districts=None, progress: bool = True,
           synth_overrides: dict | None = None, pdf: bool | None = None, force_reports: bool = True,
           screenshots: bool = False, scheduler=None, audit: str = "fail") -> RenderSummary:
    """Render every report: an HTML page, a PDF copy and an XLSX workbook each, and ``results.json``.

    The extract is validated and reduced, and the headline models fitted, once, into a snapshot
    ([`build_snapshot`][foundation_eval.evaluation.snapshot.build_snapshot]) that every notebook opens;
    the reports of [`plan`][foundation_eval.reporting.render.plan] then run in parallel. In the local
    process pool the snapshot is built in a process of its own (the render's process never holds the
    extract): the district pages start as soon as the estimates and the study they read are written,
    the builder then fits the other estimates and studies beside them, and the force-wide reports start
    when those are written (on a cluster, or with one job, everything is fitted first). A report that fails is
    listed and never stops the others. Everything is built in a hidden temporary folder beside ``out``
    and moved into place only when complete, so an interrupted or refused render leaves ``out`` as it
    was. The finished folder holds, per report, ``<name>.html`` (and ``.pdf``, ``.xlsx`` when made), the
    executed notebooks in ``executed/``, ``index.html`` linking them, ``results.json`` (one value per
    estimand, from the snapshot), ``render.json`` (formats, failures, warnings, timings and the
    disclosure audit of every page), ``truth.json`` when the synthetic force was generated by this
    render, and ``screenshots/`` when asked for. Person-level data,
    synthetic or not, never go into ``out``.

    Parameters
    ----------
    data_dir : path, optional
        Extract folder (the command line's ``--data``). Without it the default synthetic force is
        generated and rendered. The notebooks never read the extract: they open the render's snapshot
        (their ``snapshot_dir`` parameter).
    out : path
        Destination folder; replaced as a whole when the render completes.
    programme : str
        Programme id or programme file (``.toml``; passed to the notebooks as an absolute path).
    jobs : int, optional
        Parallel notebook processes (default: all cores). Each keeps one kernel for the reports it runs.
    seed : int, default 20210101
        Seed of the synthetic force when there is no ``data_dir``.
    districts : list of str, optional
        District ids or names to report on (default every district); the force-wide reports are still
        made unless ``force_reports`` is false.
    progress : bool, default True
        Show a progress bar (tqdm) of the reports.
    synth_overrides : dict, optional
        Settings of the synthetic force when there is no ``data_dir``, passed to
        [`generate`][foundation_eval.data.synth.generate], e.g. ``{"scale": 0.1}`` for a small force.
    pdf : bool, optional
        ``None`` (default): print PDFs when a browser is found, otherwise skip them with one warning.
        ``True``: PDFs are required; without a browser, or if one fails to print, nothing is written
        and [`BrowserError`][foundation_eval.reporting.export.BrowserError] is raised. ``False``: no PDFs.
    force_reports : bool, default True
        Make the force-wide reports as well as the district reports.
    screenshots : bool, default False
        Also save a PNG of the top of every page in ``screenshots/`` (needs a browser; skipped with a
        warning without one).
    scheduler : str or distributed.Client, optional
        Run the report jobs on this Dask distributed scheduler instead of the local process pool. The
        workers need the package installed and must see ``out``'s parent folder at the same path (the
        snapshot the notebooks read is written there), and a programme file at its path if one is given.
    audit : {"fail", "record", "off"}, default "record"
        The intruder audit of every page ([`audit`][foundation_eval.reporting.audit.audit]), recorded
        in ``render.json``. ``"fail"``: a page whose audit fails is not written (none of its files) and
        is listed among the failed reports with what the audit found; ``"record"``: pages are written
        whatever the audit finds; ``"off"``: no audit is recorded.

    Returns
    -------
    RenderSummary
        The reports produced and failed, the formats made, warnings and the time taken.

    Raises
    ------
    foundation_eval.data.load.ValidationError
        If the extract breaks the data contract (nothing is written).
    BrowserError
        With ``pdf=True``, when no browser is found or a PDF could not be printed (nothing is written).
    KeyError
        When ``districts`` names a district the programme does not have.
    RuntimeError
        When ``scheduler`` is given and Dask distributed is not installed.

    Examples
    --------
    A render takes minutes, even of a small synthetic force (a tenth of the default size here):

    >>> summary = render(out="reports/demo", synth_overrides={"scale": 0.1})  # doctest: +SKIP
    >>> summary.ok, summary.formats["html"][:2]  # doctest: +SKIP
    (True, ['force-overview', 'pilot-vs-rollout'])

    What it refuses, before anything is written: an extract that breaks the data contract (an empty
    folder here), and PDFs that were required when no browser can be found.

    >>> import os
    >>> import tempfile
    >>> from pathlib import Path
    >>> from unittest import mock
    >>> tmp = tempfile.TemporaryDirectory()
    >>> (Path(tmp.name) / "extract").mkdir()
    >>> render(Path(tmp.name) / "extract", out=Path(tmp.name) / "site", jobs=1, pdf=False, progress=False)
    Traceback (most recent call last):
    ...
    foundation_eval.data.load.ValidationError: ...extract: the extract breaks ... rules of the data contract
      - districts.csv: required table is missing (expected districts.csv, districts.parquet or districts.xlsx)
    ...
    >>> with mock.patch.dict(os.environ, {"FOUNDATION_EVAL_CHROMIUM": "none"}):
    ...     render(out=Path(tmp.name) / "site", pdf=True)
    Traceback (most recent call last):
    ...
    foundation_eval.reporting.export.BrowserError: PDFs were asked for (--pdf) but no browser was found; nothing was written. ...
    >>> sorted(p.name for p in Path(tmp.name).iterdir())
    ['extract']
    >>> tmp.cleanup()
    """
    from foundation_eval.reporting.export import PdfPrinter

    t0 = time.time()
    if audit not in ("fail", "record", "off"):
        raise ValueError(f"audit must be 'fail', 'record' or 'off', not {audit!r}")
    prog = load_programme(programme)
    if str(programme).endswith(".toml"):  # a programme file: notebooks run elsewhere, so give them its full path
        programme = str(Path(programme).resolve())
    printing = _printing(pdf, screenshots)
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    scratch: list[Path] = []  # person-level data and the snapshot: never published, always removed
    pool = printer = studies = None
    try:
        jobs = max(1, jobs or os.cpu_count() or 1)
        if scheduler is None and jobs > 1:
            pool = _Workers(jobs)
        t1 = time.time()
        extract, truth = _extract(data_dir, prog, seed, synth_overrides, scratch)
        # on a cluster the workers read the snapshot from a folder they share with this machine
        folder = Path(tempfile.mkdtemp(prefix=".foundation-eval-snapshot-",
                                       dir=out.parent if scheduler is not None else None))
        scratch.append(folder)
        if pool is not None:
            # one process of its own validates and reduces the extract and writes what the district pages
            # read, then fits the other estimates and studies while they run: this one never holds the extract
            studies = _Builder(extract, programme, folder)
            large = studies.written()
            todo = _jobs(load_dataset(folder, prog), folder, programme, districts, force_reports, large, audit)
        else:
            built, large = _prepare_snapshot(extract, prog, folder)
            studies = _Studies(built, folder)
            todo = _jobs(built.dataset, folder, programme, districts, force_reports, large, audit)
            del built  # the studies hold it until they are written
            _give_back_memory()
        timings = {"snapshot": round(time.time() - t1, 2)}
        # notebooks run in the workers; this process prints each finished page through one browser
        printer = PdfPrinter() if printing.pdf else None
        reports = _Reports(work, audit, printer)
        _run_reports(reports, todo, jobs, scheduler, pool, progress, studies)
        studies.wait()
        snapshot = open_snapshot(folder, prog)  # with every estimate, now written
        timings["studies"] = round(studies.seconds, 2)
        if pool is not None:
            pool.shutdown()
            pool = None
        if printer is not None:
            printer.close()
        printing.after(reports.pdf_errors)
        results = _write_site(work, prog, snapshot, todo, reports, printing.screenshots, truth)
        timings.update(reports.timings, total=round(time.time() - t0, 2))
        _write_record(work, prog, snapshot.dataset, todo, reports, printing, audit, results, timings)
        if out.exists():
            shutil.rmtree(out)
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        if studies is not None:
            studies.stop()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if printer is not None:
            printer.close()
        for d in scratch:
            shutil.rmtree(d, ignore_errors=True)
    return RenderSummary(out, tuple(reports.succeeded(todo)), reports.failed, time.time() - t0,
                         tuple(printing.warnings), reports.formats(todo))


@dataclass
class _Printing:
    """What a render prints with the browser (PDF copies, screenshots), and the warnings that come of it."""

    asked: bool | None  # render's ``pdf``: None print when possible, True required, False none
    browser: str | None
    pdf: bool
    screenshots: bool
    warnings: list[str] = field(default_factory=list)
    failed: bool = False

    @property
    def state(self) -> str:
        """``render.json``'s word for the PDF copies."""
        if self.pdf and not self.failed:
            return "printed"
        return "not requested" if self.asked is False else "no browser" if self.browser is None else "failed"

    def after(self, pdf_errors: dict[str, str]) -> None:
        """Record the pages that could not be printed: an error when PDFs were required, else one warning."""
        from foundation_eval.reporting.export import NO_BROWSER_HINT, BrowserError

        if not pdf_errors:
            return
        self.failed = True
        name, err = next(iter(pdf_errors.items()))
        if self.asked is True:
            raise BrowserError(f"PDFs were asked for (--pdf) but {len(pdf_errors)} could not be printed "
                               f"({name}: {err[-300:]}); nothing was written")
        self.warnings.append(f"{len(pdf_errors)} PDF copies could not be printed ({err[-200:]}); the HTML pages, "
                             f"workbooks and results.json were written. {NO_BROWSER_HINT}")


def _printing(pdf: bool | None, screenshots: bool) -> _Printing:
    """Find the browser and decide what is printed; refuse at once when required PDFs cannot be made."""
    from foundation_eval.reporting.export import NO_BROWSER_HINT, BrowserError, find_browser

    browser = find_browser()
    if pdf is True and browser is None:
        raise BrowserError(f"PDFs were asked for (--pdf) but no browser was found; nothing was written. "
                           f"{NO_BROWSER_HINT}")
    printing = _Printing(pdf, browser, pdf is not False and browser is not None, screenshots)
    if browser is None and (pdf is None or screenshots):
        what = "PDF copies" if pdf is None and not screenshots else (
            "screenshots" if pdf is not None else "PDF copies and screenshots")
        printing.warnings.append(f"no headless Chromium or Chrome was found, so the {what} were not made "
                                 f"(every HTML page, workbook and results.json were). {NO_BROWSER_HINT}")
        printing.screenshots = False
    return printing


class _Workers:
    """The render's report workers: all but one started at once, the last when the studies are written.

    While the builder's process fits them, the district pages run on ``jobs - 1`` workers; a worker's
    kernel keeps the reduced tables once it has run a page (about 0.6 GiB at 2 million people), so a
    worker left idle until then holds none of that beside the builder's peak. `submit` gives a job to
    the pool with the most free room; the interface is the part of an executor the render uses.
    """

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._pools = [(_start_pool(max(1, jobs - 1)), max(1, jobs - 1))]
        self._running = [0]
        self._lock = threading.Lock()

    def grow(self) -> None:
        """Start the last worker (once): the studies are written, every core is free for pages."""
        with self._lock:
            if len(self._pools) == 1 and self.jobs > 1:
                self._pools.append((_start_pool(1), 1))
                self._running.append(0)

    def submit(self, fn, *args):
        with self._lock:
            i = min(range(len(self._pools)), key=lambda k: self._running[k] / self._pools[k][1])
            self._running[i] += 1
            pool = self._pools[i][0]
        fut = pool.submit(fn, *args)
        fut.add_done_callback(lambda _, i=i: self._finished(i))
        return fut

    def _finished(self, i: int) -> None:
        with self._lock:
            self._running[i] -= 1

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        for pool, _ in self._pools:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _start_pool(jobs: int) -> ProcessPoolExecutor:
    """The pool of report workers, each starting its kernel at once.

    The workers begin importing the stack in their kernels while the snapshot is built. Spawned, not
    forked: a fork of a process with threads (Dask, polars, a browser session) can copy a held lock
    into the child and hang it.
    """
    import multiprocessing as mp

    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker, mp_context=mp.get_context("spawn"))
    for _ in range(jobs):
        pool.submit(time.sleep, 0)
    return pool


def _extract(data_dir, prog: Programme, seed: int, synth_overrides: dict | None,
             scratch: list[Path]) -> tuple[Path, Path | None]:
    """The extract folder to render, and the synthetic force's ``truth.json`` when the render made one.

    Without ``data_dir`` the synthetic force is written to a scratch folder: person-level data,
    synthetic or not, stay out of the published folder.
    """
    if data_dir is not None:
        return Path(data_dir).resolve(), None
    from foundation_eval.data.synth import generate, write

    folder = Path(tempfile.mkdtemp(prefix="foundation-eval-synthetic-"))
    scratch.append(folder)
    write(generate(prog, seed=seed, **(synth_overrides or {})), folder)
    return folder, folder / "truth.json"


# what the district pages read; the other studies are fitted while the first district pages run
PAGE_STUDIES = ("areas",)
# the extract's largest table (offences: half of it in memory, at any scale), written to the snapshot
# first and read back from there in part (its DA offences, some people's) by what is fitted from it
SPILLED = ("offences",)


def _prepare_snapshot(extract: Path, prog: Programme, folder: Path):
    """Validate and reduce the extract and fit the estimates and the study the district pages read,
    once, into the snapshot folder (the other estimates are fitted with the other studies).

    Returns the built snapshot (with the event tables, but for those `SPILLED`, read back from the folder
    when asked for) and whether the extract is large (`LARGE_EXTRACT_ROWS`).
    """
    from foundation_eval.reporting.district_report import estimands_read

    ds = load_dataset(extract, prog)
    # the largest table written first and let go: the reduction and every estimate and study read the
    # few columns, or the few people's rows, they need from its Parquet file
    write_tables(ds, folder)
    ds.spill(folder, SPILLED)
    built = build_snapshot(ds, studies=PAGE_STUDIES, estimands=estimands_read(prog))
    write_snapshot(built, folder)  # the other tables, the reduced ones and the estimates
    return built, sum(built.dataset.n_rows(n) for n in built.dataset.tables) > LARGE_EXTRACT_ROWS


def _error_text(exc: BaseException) -> str:
    """An exception as the one line a person reads (its type and message, at most 2,000 characters)."""
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[-2000:]


def _build_apart(extract: str, programme: str, folder: str, conn) -> None:
    """The builder's process: validate and reduce the extract, write the snapshot the district pages
    read (`_prepare_snapshot`), then fit and write every other estimate and study into it.

    Sends through ``conn`` ``("written", large)`` once the district pages can start, then ``("done",
    seconds)``; or ``("error", exc)`` with what stopped it (the exception itself when it can be sent,
    else its text).
    """
    t = time.perf_counter()
    try:
        prog = load_programme(programme)
        built, large = _prepare_snapshot(Path(extract), prog, Path(folder))
        conn.send(("written", large))
        _Studies(built, Path(folder)).wait()
        conn.send(("done", time.perf_counter() - t))
    except BaseException as exc:  # noqa: BLE001 - reported to the render, which raises it
        try:
            conn.send(("error", exc))
        except Exception:  # noqa: BLE001 - an exception that cannot be pickled goes as its text
            conn.send(("error", _error_text(exc)))
    finally:
        conn.close()


class _Builder:
    """The snapshot built in a process of its own: the preparation the district pages wait for, then
    the other estimates and studies, while the pages run.

    The render's own process never holds the extract: one process validates and reduces it, once.
    `written` waits for the pages' part of the snapshot (and raises what stopped it, a
    [`ValidationError`][foundation_eval.data.load.ValidationError] as it was raised); the rest has the
    interface of [`_Studies`][foundation_eval.reporting.render._Studies]: `done`, `wait` (raises what
    stopped the fitting), ``seconds``, and `stop` ends the process if it still runs.
    """

    def __init__(self, extract: Path, programme: str, folder: Path):
        import multiprocessing as mp

        ctx = mp.get_context("spawn")  # not forked: a fork of a process with threads can inherit a held lock
        self._conn, child = ctx.Pipe(duplex=False)
        self._process = ctx.Process(target=_build_apart, args=(str(extract), programme, str(folder), child),
                                    name="foundation-eval-builder", daemon=True)
        self._process.start()
        child.close()
        self._large = None
        self._message = None
        self.seconds = 0.0

    def _receive(self, timeout: float = 0.0) -> None:
        while self._message is None and self._conn.poll(timeout):
            try:
                kind, value = self._conn.recv()
            except EOFError:  # ended without a word (killed)
                self._message = self._silent_end()
                return
            if kind == "written":
                self._large = value
            else:
                self._message = (kind, value)
            timeout = 0.0

    def _ended(self) -> tuple:
        self._receive()
        self._process.join()
        return self._message or self._silent_end()

    def _silent_end(self) -> tuple:
        return "error", f"the builder's process ended with exit code {self._process.exitcode}"

    def written(self) -> bool:
        """Wait for the part of the snapshot the district pages read; return whether the extract is large
        (`LARGE_EXTRACT_ROWS`). Raises what stopped the builder before it was written."""
        while self._large is None and self._message is None and self._process.is_alive():
            self._receive(1.0)
        if self._large is None:
            _, value = self._ended()
            if isinstance(value, BaseException):
                raise value
            raise RuntimeError(f"the snapshot could not be prepared: {value}")
        return self._large

    def done(self) -> bool:
        """Whether the fitting has ended (written, or failed)."""
        self._receive()
        return self._message is not None or not self._process.is_alive()

    def wait(self) -> None:
        """Wait for the estimates and studies to be written; raise what stopped them."""
        while self._message is None and self._process.is_alive():
            self._receive(1.0)
        kind, value = self._ended()
        if kind == "error":
            text = value if isinstance(value, str) else _error_text(value)
            raise RuntimeError(f"the estimates and studies could not be fitted: {text}")
        self.seconds = value

    def stop(self) -> None:
        """End the process if it still runs (an interrupted or failed render)."""
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(10)


class _Studies:
    """The snapshot's remaining estimates and studies, fitted and written into its folder in this process.

    Used with one job or on a cluster, where everything is fitted before the reports run (`wait`); the
    local process pool uses [`_Builder`][foundation_eval.reporting.render._Builder]. The built
    snapshot, with the event tables, is dropped as soon as the last study is written.
    """

    def __init__(self, built, folder: Path):
        self._built, self.folder = built, folder
        self._finished = False
        self.seconds = 0.0

    def done(self) -> bool:
        """Whether the studies are written."""
        return self._finished

    def wait(self) -> None:
        """Fit and write the studies (once)."""
        from threadpoolctl import threadpool_limits

        if self._finished:
            return
        t = time.perf_counter()
        try:
            # one linear-algebra thread, in the builder's process too: the same sums in the same order, so
            # a fit at the edge of singularity ends alike however the render runs
            with threadpool_limits(limits=1):
                self._built = complete_estimands(self._built)  # the ones the district pages do not read
                write_estimates(self._built, self.folder)
                for name in STUDIES:
                    if name not in PAGE_STUDIES:
                        # written before the next is fitted (it reads it back if it asks); the frames
                        # derived for this one are then dropped
                        self._built.studies[name] = write_study(self._built, name, self.folder)
                        self._built.dataset.forget_derived()
                        self._built.dataset.forget_tables()  # a spilled table one read back whole
                        _give_back_memory()
        finally:
            self._built = None
            _give_back_memory()
            self.seconds = time.perf_counter() - t
            self._finished = True

    def stop(self) -> None:
        """Nothing runs apart."""


def _jobs(ds: Dataset, folder: Path, programme: str, districts, force_reports: bool, large: bool,
          audit: str) -> list[Job]:
    """The render's plan, with each job's kernel and audit settings."""
    todo = plan(ds, str(folder), programme, districts, force_reports)
    if large:  # one force-wide report at a time, the evaluation in a kernel of its own
        todo = [replace(j, own_kernel=True) if j.notebook in OWN_KERNEL else j for j in todo]
    if audit == "off":
        todo = [replace(j, audit=False) for j in todo]
    return todo


@dataclass
class _Reports:
    """The reports as they come back from the workers: their files written into ``work``, pages printed."""

    work: Path
    audit: str
    printer: object | None
    failed: dict[str, str] = field(default_factory=dict)
    produced: dict[str, list[str]] = field(default_factory=dict)  # report name: its formats
    pdf_errors: dict[str, str] = field(default_factory=dict)
    audits: dict[str, dict] = field(default_factory=dict)
    report_timings: dict[str, dict] = field(default_factory=dict)  # report name: where its time went
    pdf_seconds: float = 0.0
    seconds: float = 0.0  # running the notebooks and printing, from the first job to the last result

    @property
    def timings(self) -> dict:
        """The reports' part of ``render.json``'s timings."""
        return {"reports": self.report_timings, "notebooks_and_pdf": round(self.seconds, 2),
                "pdf": round(self.pdf_seconds, 2)}

    def add(self, result: dict) -> None:
        """Take one worker's result: write its files, or record its failure (a failed audit included)."""
        name, err = result["name"], result["error"]
        found = result.get("audit")
        if found is not None and self.audit != "off":
            self.audits[name] = found
            if self.audit == "fail" and not err and not found["passed"]:
                first = found["failures"][0]
                err = (f"DisclosureAuditError: {found['failed']} published counts can be worked out more "
                       f"precisely than the rule allows (first: {first['table']}, {first['cell']}: "
                       f"{first['verdict']}, {first['candidates']} possible values); the page was not written")
                result = {**result, "files": {}}
        for rel, data in result["files"].items():
            (self.work / rel).write_bytes(data)
        self.report_timings[name] = result["timings"]
        if err:
            self.failed[name] = err
            return
        self.produced[name] = sorted(Path(rel).suffix[1:] for rel in result["files"] if "/" not in rel)
        if self.printer is not None:
            tp = time.perf_counter()
            perr = self.printer.print(self.work / f"{name}.html")
            self.pdf_seconds += time.perf_counter() - tp
            if perr:
                self.pdf_errors[name] = perr
            else:
                self.produced[name] = sorted([*self.produced[name], "pdf"])

    def succeeded(self, todo: list[Job]) -> list[str]:
        """Names of the reports produced, in plan order."""
        return [j.name for j in todo if j.name not in self.failed]

    def formats(self, todo: list[Job]) -> dict[str, list[str]]:
        """``{"html": [...], "pdf": [...], "xlsx": [...]}``: the reports produced in each format."""
        ok = self.succeeded(todo)
        return {fmt: [n for n in ok if fmt in self.produced.get(n, [])] for fmt in ("html", "pdf", "xlsx")}


def _run_reports(reports: _Reports, todo: list[Job], jobs: int, scheduler, pool, progress: bool,
                 studies=None) -> None:
    """Run every job (in the pool, on the cluster or here) and hand each result to ``reports`` as it ends."""
    (reports.work / "executed").mkdir()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="Rendering reports", unit="report")
    t = time.time()
    try:
        for result in _pool_results(todo, min(jobs, len(todo)), scheduler, pool, studies):
            reports.add(result)
            if bar:
                bar.update()
    finally:
        if bar:
            bar.close()
    reports.seconds = time.time() - t


def _write_site(work: Path, prog: Programme, snapshot, todo: list[Job], reports: _Reports, screenshots: bool,
                truth: Path | None) -> dict:
    """Write what goes beside the reports: ``index.html``, screenshots, ``results.json`` and ``truth.json``.

    Returns the results (one value per estimand, from the snapshot every report read).
    """
    (work / "index.html").write_text(_index(prog, todo, reports.failed, snapshot.dataset, work), encoding="utf-8")
    if screenshots:
        from foundation_eval.reporting.export import screenshots as take

        (work / "screenshots").mkdir()
        take([(work / f"{page}.html", work / "screenshots" / f"{page}.png")
              for page in ["index", *reports.succeeded(todo)]])
    results = snapshot.results()
    (work / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if truth is not None:
        shutil.copy(truth, work / "truth.json")
    return results


def _write_record(work: Path, prog: Programme, ds: Dataset, todo: list[Job], reports: _Reports,
                  printing: _Printing, audit: str, results: dict, timings: dict) -> None:
    """Write ``render.json``: the formats made, failures, warnings, the audit of every page and timings."""
    formats = reports.formats(todo)
    (work / "render.json").write_text(json.dumps({
        "programme": prog.id, "data_sha256": ds.data_hash, "version": __version__,
        "reports": [j.name for j in todo], "failed": sorted(reports.failed),
        "formats": formats, "pdf": printing.state,
        "missing_workbooks": [n for n in reports.succeeded(todo) if n not in formats["xlsx"]],
        "analysis_plan": results["analysis_plan"],
        "audit": {"mode": audit, "passed": all(a["passed"] for a in reports.audits.values()),
                  "pages": reports.audits},
        "warnings": printing.warnings, "timings": timings,
    }, indent=2, sort_keys=True) + "\n")
