"""Every page of a render, read as its reader would: one value per estimand across pages and
results.json, the disclosure rule on every count in tables and sentences, a numeric workbook per
report, and a tenth-size force that still gets every report."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from foundation_eval.config import load_programme
from foundation_eval.data import synth

SMALL_COUNT = re.compile(
    r"(?<![\d.,+£-])\b[1-9] (people|person|offences|offenders|referrals|assessments|victims|contacts|listed)\b")
COUNT_CELL = re.compile(r"""<td class=["']fe-num fe-count["']>([^<]*)</td>""")
TAG = re.compile(r"<[a-z]+ [^>]*data-estimand=[^>]*>")
ATTR = re.compile(r"""(data-[a-z-]+)=["']([^"']*)["']""")


def estimate_marks(page: str) -> list[dict]:
    """Every element marked with ``data-estimand``, as its attributes (order and quoting as the page has them)."""
    return [dict(ATTR.findall(tag)) for tag in TAG.findall(page)]


def _text(page: str) -> str:
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'src="data:image/png;base64,[^"]+"', "", page)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture(scope="session")
def tiny_site(tmp_path_factory):
    """A force a tenth of the default size, every report, no PDF."""
    from foundation_eval.reporting.render import render

    res = synth.generate("hiow", seed=3, scale=0.1, truth_replicates=1)
    data = synth.write(res, tmp_path_factory.mktemp("tiny-data"))
    out = tmp_path_factory.mktemp("tiny") / "site"
    summary = render(data, out, jobs=2, progress=False, pdf=False)
    return out, summary


def test_a_tenth_size_force_renders_every_report(tiny_site):
    out, summary = tiny_site
    assert summary.ok, summary.failed
    prog = load_programme("hiow")
    names = {p.stem for p in out.glob("*.html")}
    expected = {f"district-{d.id.lower()}" for d in prog.districts} | {"force-overview", "pilot-vs-rollout",
                                                                       "data-quality", "ppit-validity", "index"}
    assert expected <= names, expected - names


def _pages(site):
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(site.glob("*.html"))}


def test_no_sentence_states_a_count_below_the_threshold(tiny_site, rendered_site):
    for site in (tiny_site[0], rendered_site):
        for name, page in _pages(site).items():
            hit = SMALL_COUNT.search(_text(page))
            assert not hit, f"{name}: ...{_text(page)[max(0, hit.start() - 120):hit.end() + 20]}..."


def test_every_published_count_is_rounded_or_withheld(tiny_site, rendered_site):
    for site in (tiny_site[0], rendered_site):
        for name, page in _pages(site).items():
            for cell in COUNT_CELL.findall(page):
                if cell in ("[c]", "", "0"):
                    continue
                v = int(cell.replace(",", ""))
                assert v >= 10 and v % 5 == 0, f"{name}: published count {cell}"


def test_no_page_carries_notebook_debris(tiny_site, rendered_site):
    """A page is what its notebook showed: no object's repr, magic, printed missing value, heading printed
    twice, or code outside the technical appendix (foundation_eval.reporting.debris)."""
    from foundation_eval.reporting.debris import page_debris

    lines = [f"{name}: {line}" for site in (tiny_site[0], rendered_site)
             for name, page in _pages(site).items() for line in page_debris(page)]
    assert not lines, f"{len(lines)} findings:\n" + "\n".join(dict.fromkeys(lines))


def test_every_report_page_heads_its_own_sections(rendered_site):
    # markdown cells never reach a page, so its headings are the report's own sections
    for name, page in _pages(rendered_site).items():
        if name == "index":
            continue
        heads = [html.unescape(re.sub(r"<[^>]+>", "", h)).strip()
                 for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page, re.S)]
        assert {"Summary", "Disclosure control", "Provenance"} <= set(heads) and len(heads) >= 5, (name, heads)


def test_every_named_estimate_on_every_page_equals_results_json(rendered_site):
    records = {r["name"]: r for r in json.loads((rendered_site / "results.json").read_text())["estimates"]}
    seen = set()
    for name, page in _pages(rendered_site).items():
        for mark in estimate_marks(page):
            if "data-estimate" not in mark:  # "not available": nothing stated
                continue
            est = mark["data-estimand"]
            seen.add(est)
            r = records[est]
            assert float(mark["data-estimate"]) == pytest.approx(r["estimate"], abs=1e-6), (name, est)
            for key, field in (("data-ci-low", "ci_low"), ("data-ci-high", "ci_high")):
                if key in mark:
                    assert float(mark[key]) == pytest.approx(r[field], abs=1e-6), (name, est, key)
    assert {"did_att_da_rate", "reoffending_hr_programme"} <= seen


def test_every_report_writes_a_workbook_of_numbers(rendered_site):
    from openpyxl import load_workbook

    pages = [p for p in rendered_site.glob("*.html") if p.stem != "index"]
    assert pages
    for page in pages:
        book = page.with_suffix(".xlsx")
        assert book.exists(), f"{page.stem} wrote no workbook"
        wb = load_workbook(book)
        assert wb.sheetnames[0] == "Contents" and wb.sheetnames[-1] == "Notes"
        numbers = 0
        for ws in wb.worksheets[1:-1]:
            for row in ws.iter_rows(min_row=4):
                for cell in row:
                    if isinstance(cell.value, str):
                        # a number written as formatted text ("1,444", "93%") cannot be summed
                        assert not re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?|-?\d+(\.\d+)?%", cell.value), (
                            page.stem, ws.title, cell.value)
                    elif isinstance(cell.value, int | float):
                        numbers += 1
        assert numbers, f"{page.stem}: no numeric cell"


def test_force_wide_studies_run_one_at_a_time_longest_first(monkeypatch):
    # a national study may hold the event tables in memory: never two at once, and district pages
    # fill the other workers meanwhile
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from foundation_eval.reporting import render

    lock, running, peak, started = threading.Lock(), [], [0], []

    def fake(job):
        with lock:
            running.append(job)
            started.append(job.name)
            peak[0] = max(peak[0], sum(j.force_wide for j in running))
        time.sleep(0.02 if job.force_wide else 0.005)
        with lock:
            running.remove(job)
        return {"name": job.name}

    monkeypatch.setattr(render, "_run_job", fake)
    studies = [render.Job(n, n, nb, {}, own_kernel=nb in render.OWN_KERNEL)
               for n, nb in (("force-overview", "force_overview.ipynb"), ("data-quality", "data_quality.ipynb"),
                             ("pilot-vs-rollout", "pilot_vs_rollout.ipynb"))]
    pages = [render.Job(f"district-{i}", str(i), "district_report.ipynb", {}) for i in range(12)]
    with ThreadPoolExecutor(3) as pool:
        done = [r["name"] for r in render._scheduled(pool, studies + pages, 3)]
    assert sorted(done) == sorted(j.name for j in studies + pages)
    assert peak[0] == 1
    assert started[0] == "pilot-vs-rollout"
    order = [n for n in started if not n.startswith("district-")]
    assert order == ["pilot-vs-rollout", "force-overview", "data-quality"]


class _Fitting:
    """The render's studies as the scheduler sees them: being fitted until `finished` is set."""

    def __init__(self):
        import threading

        self.finished = threading.Event()

    def done(self):
        return self.finished.is_set()

    def wait(self):
        self.finished.wait()


def test_district_pages_run_while_the_studies_are_fitted_and_force_wide_reports_after(monkeypatch):
    # the studies are fitted in the render's process on one core: the pages take the other workers,
    # and no force-wide report (it reads the studies) starts before they are written
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from foundation_eval.reporting import render

    lock, running, seen = threading.Lock(), [], []

    studies = _Fitting()

    def fake(job):
        with lock:
            running.append(job)
            seen.append((job.name, studies.done(), len(running)))
        time.sleep(0.01)
        with lock:
            running.remove(job)
        return {"name": job.name}

    monkeypatch.setattr(render, "_run_job", fake)
    force = [render.Job(n, n, nb, {}) for n, nb in (("force-overview", "force_overview.ipynb"),
                                                    ("pilot-vs-rollout", "pilot_vs_rollout.ipynb"))]
    pages = [render.Job(f"district-{i}", str(i), "district_report.ipynb", {}) for i in range(30)]
    threading.Timer(0.1, studies.finished.set).start()
    with ThreadPoolExecutor(3) as pool:
        done = [r["name"] for r in render._scheduled(pool, force + pages, 3, studies)]
    assert sorted(done) == sorted(j.name for j in force + pages)
    before = [(n, k) for n, ready, k in seen if not ready]
    assert before and all(n.startswith("district-") for n, _ in before)  # pages only, while fitting
    assert max(k for _, k in before) <= 2  # on all workers but one
    after = [n for n, ready, _ in seen if ready]
    assert after[:2] == ["pilot-vs-rollout", "force-overview"]  # then the force-wide reports, longest first


def test_the_last_worker_starts_only_when_the_studies_are_written(monkeypatch):
    # a worker's kernel keeps the reduced tables once it has run a page: while the studies are fitted,
    # only the workers that run pages exist
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from foundation_eval.reporting import render

    started, lock, where = [], threading.Lock(), []
    monkeypatch.setattr(render, "_start_pool", lambda n: started.append(n) or ThreadPoolExecutor(n))

    studies = _Fitting()

    def fake(job):
        with lock:
            where.append((job.name, len(started)))
        time.sleep(0.005)
        return {"name": job.name}

    monkeypatch.setattr(render, "_run_job", fake)
    workers = render._Workers(3)
    assert started == [2]
    pages = [render.Job(f"district-{i}", str(i), "district_report.ipynb", {}) for i in range(40)]
    threading.Timer(0.05, studies.finished.set).start()
    try:
        done = [r["name"] for r in render._scheduled(workers, pages, 3, studies)]
    finally:
        workers.shutdown()
    assert sorted(done) == sorted(j.name for j in pages) and started == [2, 1]
    assert where[0][1] == 1 and where[-1][1] == 2  # pages began on the first workers, ended on all


def test_the_render_stops_when_fitting_the_studies_fails(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    import pytest

    from foundation_eval.reporting import render

    class Failed:
        def done(self):
            return True

        def wait(self):
            raise RuntimeError("the evaluation study could not be fitted")

    monkeypatch.setattr(render, "_run_job", lambda job: {"name": job.name})
    jobs = [render.Job("force-overview", "o", "force_overview.ipynb", {}),
            render.Job("district-1", "1", "district_report.ipynb", {})]
    with ThreadPoolExecutor(2) as pool, pytest.raises(RuntimeError, match="could not be fitted"):
        list(render._scheduled(pool, jobs, 2, Failed()))


def test_a_worker_kernel_runs_report_after_report_without_leaking_sockets(tmp_path):
    # a national render runs 300 reports on one kernel per worker, all through its one client: no report
    # leaves sockets or threads behind
    import os
    import threading

    from foundation_eval.data.synth import demo_dataset
    from foundation_eval.evaluation.snapshot import build_snapshot, write_snapshot
    from foundation_eval.reporting import render

    ds = demo_dataset(seed=1, scale=0.1)
    write_snapshot(build_snapshot(ds), tmp_path)
    counts = []
    try:
        for job in render.plan(ds, str(tmp_path), "hiow", force_reports=False)[:4]:
            assert render._run_job(job)["error"] is None
            counts.append((len(os.listdir("/proc/self/fd")), threading.active_count()))
    finally:
        render.stop_kernels()
    assert counts[-1] == counts[0], counts


def test_snapshot_built_apart_is_the_one_built_in_the_render(tmp_path, monkeypatch):
    # with a local pool the snapshot is built in a spawned process (the render's own never holds the
    # extract): what it writes, the pages' part and then every estimate and study, is what the render's
    # own process writes; and both, which let the offences go once the snapshot is written and read them
    # back in part, write what a snapshot built and fitted wholly in memory holds
    import pickle
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "data"))
    import demo_results
    import pandas as pd

    from foundation_eval.config import load_programme
    from foundation_eval.data import load as load_module
    from foundation_eval.data.load import load_dataset
    from foundation_eval.data.synth import generate, write
    from foundation_eval.evaluation.snapshot import build_snapshot, open_snapshot, write_estimates
    from foundation_eval.reporting import render

    prog = load_programme("hiow")
    extract = tmp_path / "extract"
    write(generate(prog, seed=5, scale=0.1), extract)
    # every read of the offences table in this process once it is let go: never the whole table
    reads = []
    real = load_module.read_frame
    monkeypatch.setattr(load_module, "read_frame", lambda path, columns=None, filters=None: (
        reads.append((Path(path).name, columns, filters)), real(path, columns, filters))[1])
    folders = {}
    for how in ("here", "apart"):
        folder = folders[how] = tmp_path / how
        folder.mkdir()
        if how == "apart":
            studies = render._Builder(extract, "hiow", folder)
            assert studies.written() is False  # a small extract
            pages = open_snapshot(folder, prog)  # what the district pages read, before the rest is fitted
            assert pages.dataset.reduced is not None and "areas" in pages.studies
        else:
            built, large = render._prepare_snapshot(extract, prog, folder)
            assert large is False and "offences" not in built.dataset.tables.loaded
            studies = render._Studies(built, folder)
        studies.wait()
        assert studies.done() and studies.seconds > 0
    offences = [(columns, filters) for name, columns, filters in reads if name == "offences.parquet"]
    assert len(offences) >= 4 and all(c is not None or f is not None for c, f in offences), offences
    monkeypatch.undo()
    assert (folders["here"] / "estimates.json").read_text() == (folders["apart"] / "estimates.json").read_text()
    for name in ("persons", "district_month", "cohort_month"):
        here, apart = (pd.read_parquet(folders[how] / "reduced" / f"{name}.parquet") for how in ("here", "apart"))
        pd.testing.assert_frame_equal(here, apart)
    names = sorted(p.name for p in (folders["here"] / "studies").glob("*.pkl"))
    assert names == sorted(p.name for p in (folders["apart"] / "studies").glob("*.pkl")) and len(names) == 4
    memory = build_snapshot(load_dataset(extract, prog))
    write_estimates(memory, tmp_path)
    assert (tmp_path / "estimates.json").read_text() == (folders["here"] / "estimates.json").read_text()
    for name in names:
        here, apart = ({k: v for k, v in demo_results.flatten(
            pickle.loads((folders[how] / "studies" / name).read_bytes())).items()} for how in ("here", "apart"))
        assert len(here) > 100 and here == apart, name
        assert here == demo_results.flatten(memory.study(name.removesuffix(".pkl"))), name


def test_snapshot_built_apart_reports_what_stopped_it(tmp_path):
    from foundation_eval.data.load import ValidationError
    from foundation_eval.reporting import render

    # a broken extract: the render sees the validation error itself, with its failures
    (tmp_path / "extract").mkdir()
    builder = render._Builder(tmp_path / "extract", "hiow", tmp_path / "snapshot")
    with pytest.raises(ValidationError, match="districts.csv") as err:
        builder.written()
    assert err.value.failures and builder.done()
    with pytest.raises(RuntimeError, match="(?s)could not be fitted: .*ValidationError.*districts.csv"):
        builder.wait()
    builder.stop()  # ended already: nothing to stop

    # a builder that ends without a word (killed) is reported, not waited for
    builder = render._Builder(tmp_path / "extract", "hiow", tmp_path / "snapshot")
    builder.stop()
    with pytest.raises(RuntimeError, match="could not be prepared: the builder's process ended with exit code"):
        builder.written()
