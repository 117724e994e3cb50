"""A render's snapshot: the validated dataset, its reduced tables, the fitted headline estimates and
every study the reports publish, fitted once.

Built once per render and opened by every report notebook, so every page reads the same values and
nothing is refitted: the publication layer only formats what the snapshot holds. The
[`Dataset`][foundation_eval.data.load.Dataset] itself carries no results. A snapshot holds person-level
data: keep it out of any published folder.

**Studies.** Each report's analysis is a *study*: a function of the validated dataset (and the
registered estimates) that returns one immutable result object holding every estimate, table and curve
the report shows. [`STUDIES`][foundation_eval.evaluation.snapshot.STUDIES] names them;
[`build_snapshot`][foundation_eval.evaluation.snapshot.build_snapshot] fits each once and
[`Snapshot.study`][foundation_eval.evaluation.snapshot.Snapshot.study] hands it to the notebooks. A
written snapshot keeps each study as a pickle in `studies/` (the snapshot is one render's private
working folder, read by the same version of the package that wrote it, never an exchange format).

A notebook calls [`open_snapshot`][foundation_eval.evaluation.snapshot.open_snapshot]`(data_dir,
programme)`; a render calls [`build_snapshot`][foundation_eval.evaluation.snapshot.build_snapshot]
once and [`write_snapshot`][foundation_eval.evaluation.snapshot.write_snapshot] to hand it to the
notebooks.
"""
from __future__ import annotations

import importlib
import json
import pickle
from dataclasses import asdict, dataclass, field
from pathlib import Path

from foundation_eval.config import DEFAULT_PROGRAMME, Programme, load_programme
from foundation_eval.data.load import SNAPSHOT, Dataset, load_dataset, write_tables
from foundation_eval.evaluation.estimates import Estimate
from foundation_eval.evaluation.registry import REGISTRY, estimands_for, fit_estimands
from foundation_eval.frames.reduce import Reduced, with_reduced

__all__ = ["STUDIES", "Snapshot", "build_snapshot", "complete_estimands", "open_snapshot", "release_tables",
           "write_estimates", "write_snapshot", "write_study"]

REDUCED = "reduced"
ESTIMATES = "estimates.json"
STUDY_DIR = "studies"

STUDIES: dict[str, str] = {
    "evaluation": "foundation_eval.evaluation.study:fit_evaluation",
    "areas": "foundation_eval.evaluation.areas:areas_study",
    "ppit": "foundation_eval.ppit.study:fit_ppit_study",
    "quality": "foundation_eval.evaluation.quality:fit_quality",
}
"""Study name to the `module:function` that fits it, as `function(snap) -> result` where `snap` is the
snapshot built so far (dataset with reduced tables, registered estimates). Fitted once per render, in this
order; a study that does not apply to a programme returns None. Named by dotted path so that this module
does not import every study at start-up."""


def _fitter(name: str):
    module, _, func = STUDIES[name].partition(":")
    return getattr(importlib.import_module(module), func)


@dataclass(frozen=True)
class Snapshot:
    """What every report of one render reads.

    Attributes
    ----------
    dataset : Dataset
        The validated extract, carrying its reduced tables.
    estimates : tuple of Estimate
        The registered headline estimates
        ([`REGISTRY`][foundation_eval.evaluation.registry.REGISTRY]), in registry order.
    unavailable : dict
        Estimand name to the reason the data do not support it.
    studies : dict
        Study name ([`STUDIES`][foundation_eval.evaluation.snapshot.STUDIES]) to its fitted result, or
        to the path of its pickle in a written snapshot (read on first use).
    pending : tuple of str
        Registered estimands not fitted yet (a render fits first what the district pages read, the
        rest beside them: [`complete_estimands`][foundation_eval.evaluation.snapshot.complete_estimands]);
        asking for one raises rather than report it as unavailable.
    folder : Path or None
        The folder a written snapshot was read from (None when built in memory): a study written there
        after the snapshot was opened ([`write_study`][foundation_eval.evaluation.snapshot.write_study])
        is read from it rather than fitted again.

    Examples
    --------
    >>> snap = open_snapshot()          # the built-in synthetic force (cached on disk after the first call)
    >>> snap.programme.id, len(snap.estimates), snap.unavailable
    ('hiow', 9, {})
    >>> snap.dataset.reduced is not None
    True
    """

    dataset: Dataset
    estimates: tuple[Estimate, ...] = ()
    unavailable: dict = field(default_factory=dict)
    studies: dict = field(default_factory=dict, repr=False, compare=False)
    pending: tuple[str, ...] = ()
    folder: Path | None = field(default=None, repr=False, compare=False)

    @property
    def programme(self) -> Programme:
        """The programme definition of the dataset ([`Programme`][foundation_eval.config.Programme])."""
        return self.dataset.programme

    def estimate(self, name: str) -> Estimate | None:
        """The one published value of a registered estimand, or None when it is unavailable.

        Parameters
        ----------
        name : str
            A name in [`REGISTRY`][foundation_eval.evaluation.registry.REGISTRY].

        Returns
        -------
        Estimate or None
            The fitted estimate; None when the data did not support it (the reason is in
            `unavailable`) or the programme has no such estimand.

        Raises
        ------
        KeyError
            When `name` is not a registered estimand.

        Examples
        --------
        >>> snap = open_snapshot()
        >>> e = snap.estimate("ppit_auc_12m")
        >>> e.name, round(e.estimate, 2), e.n
        ('ppit_auc_12m', 0.7, 827)
        >>> snap.estimate("auc")
        Traceback (most recent call last):
            ...
        KeyError: "'auc' is not a registered estimand"
        """
        if name not in REGISTRY:
            raise KeyError(f"{name!r} is not a registered estimand")
        if name in self.pending:
            raise RuntimeError(f"{name!r} is not fitted yet in this snapshot (complete_estimands fits it)")
        return next((e for e in self.estimates if e.name == name), None)

    def study(self, name: str):
        """The fitted result of a study ([`STUDIES`][foundation_eval.evaluation.snapshot.STUDIES]).

        Parameters
        ----------
        name : str
            A study name.

        Returns
        -------
        object or None
            The study's immutable result, fitted once when the snapshot was built (or read from the
            written snapshot on first use); None when the study does not apply to the programme.

        Raises
        ------
        KeyError
            When `name` is not a study.

        Examples
        --------
        >>> snap = open_snapshot()
        >>> snap.study("no such study")
        Traceback (most recent call last):
            ...
        KeyError: "'no such study' is not a study; known: ..."
        """
        if name not in STUDIES:
            raise KeyError(f"{name!r} is not a study; known: {', '.join(STUDIES) or 'none'}")
        if name not in self.studies:
            written = self.folder / STUDY_DIR / f"{name}.pkl" if self.folder is not None else None
            if written and written.exists():  # written by the render after this snapshot was opened
                self.studies[name] = written
            else:  # an older snapshot, or one built without this study: fit it now
                self.studies[name] = _fitter(name)(self)
        value = self.studies[name]
        if isinstance(value, Path):
            with value.open("rb") as fh:
                value = self.studies[name] = pickle.load(fh)
        return value

    def results(self) -> dict:
        """`results.json`: every registered estimate, in registry order, and the analysis plan.

        Each record also says whether it is the primary answer to its question (`primary`: the one design
        registered for a `truth.json` name, alternatives carry their own names and the truth name of the
        quantity they estimate, `truth_name`) and whether it is **the** pre-specified primary analysis of
        the evaluation (`primary_analysis`: true for exactly one record, the programme file's `[evaluation]
        primary`). `analysis_plan` holds the plan as fixed before the data were seen, with its date and
        SHA-256 ([`EvaluationPlan.plan_sha256`][foundation_eval.config.EvaluationPlan.plan_sha256]).

        Returns
        -------
        dict
            `{"analysis_plan": {..., "sha256"}, "estimates": [record, ...]}`, each record
            [`Estimate.record`][foundation_eval.evaluation.estimates.Estimate.record] without its notes
            (they hold exact counts for analysts), `n` rounded by the disclosure rule (None when withheld),
            plus `primary`, `primary_analysis` and `truth_name`.

        Examples
        --------
        >>> res = open_snapshot().results()
        >>> records = res["estimates"]
        >>> [(r["name"], r["primary"], r["truth_name"]) for r in records][-1]
        ('reoffending_hr_listed_vs_prelive', False, 'reoffending_hr_programme')
        >>> [r["name"] for r in records if r["primary_analysis"]]
        ['did_att_da_rate']
        >>> sorted(records[0])
        ['ci_high', 'ci_low', 'comparison', 'design', 'estimate', 'n', 'name', 'primary', 'primary_analysis', 'sms_level', 'truth_name']
        >>> all(r["n"] is None or r["n"] % 5 == 0 for r in records)     # counts rounded as on every page
        True
        >>> res["analysis_plan"]["plan_date"], len(res["analysis_plan"]["sha256"])
        ('2020-12-01', 64)
        """
        if self.pending:
            raise RuntimeError(f"estimands {list(self.pending)} are not fitted yet (complete_estimands fits them)")
        plan = self.programme.evaluation
        prog = self.programme
        base, threshold = prog.disclosure_rounding, prog.disclosure_threshold

        def published(n):  # results.json is published: n under the disclosure rule, no notes with counts
            n = int(n or 0)
            return None if 0 < n < threshold else int(base * ((2 * n + base) // (2 * base)))  # halves up

        return {"analysis_plan": {**plan.plan_record(), "sha256": plan.plan_sha256()},
                "estimates": [{**{k: v for k, v in e.record().items() if k != "notes"}, "n": published(e.n),
                               "primary": REGISTRY[e.name].primary, "primary_analysis": e.name == plan.primary,
                               "truth_name": REGISTRY[e.name].truth} for e in self.estimates]}


def build_snapshot(ds: Dataset, level: float = 0.95, studies=None, estimands=None) -> Snapshot:
    """Reduce the extract and fit every registered estimand and study once.

    Adds the columnar reduced tables to the dataset (`foundation_eval.frames.reduce.with_reduced`)
    and fits the estimands with
    [`fit_estimands`][foundation_eval.evaluation.registry.fit_estimands], then the studies.
    Estimands the data cannot support are listed in `unavailable` with a reason instead of raising.

    Parameters
    ----------
    ds : Dataset
        A validated extract ([`Dataset`][foundation_eval.data.load.Dataset]).
    level : float
        Confidence level of every interval (0.95 for 95%).
    studies : iterable of str, optional
        The studies to fit now, fitted in [`STUDIES`][foundation_eval.evaluation.snapshot.STUDIES]'
        order (default all of them). A render fits first the one the district pages read, and the
        others while those pages run ([`write_study`][foundation_eval.evaluation.snapshot.write_study]).
    estimands : iterable of str, optional
        The registered estimands to fit now (default all of them); the others are left `pending` for
        [`complete_estimands`][foundation_eval.evaluation.snapshot.complete_estimands].

    Returns
    -------
    Snapshot
        The dataset with its reduced tables, the fitted estimates and the unavailable ones.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> snap = build_snapshot(demo_dataset(seed=1, scale=0.1))   # a small synthetic force
    >>> snap.dataset.reduced is not None, len(snap.estimates), snap.unavailable
    (True, 9, {})
    >>> sorted(build_snapshot(snap.dataset, studies=["areas"]).studies)
    ['areas']
    """
    wanted = set(STUDIES if studies is None else studies)
    unknown = wanted - set(STUDIES)
    if unknown:
        raise KeyError(f"{sorted(unknown)} are not studies; known: {', '.join(STUDIES)}")
    ds = with_reduced(ds)
    names = [e.name for e in estimands_for(ds.programme)]
    chosen = set(names if estimands is None else estimands)
    now = [n for n in names if n in chosen]
    est, why = fit_estimands(ds, level, now)
    snap = Snapshot(ds, tuple(est), why, pending=tuple(n for n in names if n not in now))
    for name in STUDIES:
        if name in wanted:
            snap.studies[name] = _fitter(name)(snap)
    return snap


def complete_estimands(snap: Snapshot, level: float = 0.95) -> Snapshot:
    """The snapshot with its pending estimands fitted (the same snapshot when none is pending).

    Parameters
    ----------
    snap : Snapshot
        A snapshot built with only some estimands
        ([`build_snapshot`][foundation_eval.evaluation.snapshot.build_snapshot]`(..., estimands=)`).
    level : float
        Confidence level of every interval, as when it was built.

    Returns
    -------
    Snapshot
        Every estimate in registry order, nothing pending; it shares the studies fitted so far.

    Examples
    --------
    >>> from foundation_eval.data.synth import demo_dataset
    >>> part = build_snapshot(demo_dataset(seed=1, scale=0.1), studies=[], estimands=["did_att_da_rate"])
    >>> [e.name for e in part.estimates], len(part.pending)
    (['did_att_da_rate'], 8)
    >>> part.estimate("ppit_auc_12m")
    Traceback (most recent call last):
        ...
    RuntimeError: 'ppit_auc_12m' is not fitted yet in this snapshot (complete_estimands fits it)
    >>> whole = complete_estimands(part)
    >>> whole.pending, whole.estimates == build_snapshot(part.dataset, studies=[]).estimates
    ((), True)
    """
    if not snap.pending:
        return snap
    from dataclasses import replace

    est, why = fit_estimands(snap.dataset, level, snap.pending)
    fitted = {e.name: e for e in (*snap.estimates, *est)}
    order = [e.name for e in estimands_for(snap.programme)]
    return replace(snap, estimates=tuple(fitted[n] for n in order if n in fitted),
                   unavailable={**snap.unavailable, **why}, pending=())


def write_estimates(snap: Snapshot, folder: str | Path) -> Path:
    """Write the snapshot's estimates (and the names still pending) into a snapshot folder, atomically.

    Parameters
    ----------
    snap : Snapshot
        The snapshot.
    folder : str or Path
        A snapshot folder ([`write_snapshot`][foundation_eval.evaluation.snapshot.write_snapshot]).

    Returns
    -------
    Path
        `estimates.json`; a report that opens the folder meanwhile reads the old file or the new one whole.

    Examples
    --------
    >>> import tempfile
    >>> from foundation_eval.data.synth import demo_dataset
    >>> part = build_snapshot(demo_dataset(seed=1, scale=0.1), studies=[], estimands=["did_att_da_rate"])
    >>> folder = write_snapshot(part, tempfile.mkdtemp())
    >>> len(open_snapshot(folder, "hiow").pending)
    8
    >>> _ = write_estimates(complete_estimands(part), folder)
    >>> opened = open_snapshot(folder, "hiow")       # read again: the file changed
    >>> opened.pending, len(opened.estimates)
    ((), 9)
    """
    return _write_whole(Path(folder) / ESTIMATES, json.dumps(
        {"estimates": [asdict(e) for e in snap.estimates], "unavailable": snap.unavailable,
         "pending": list(snap.pending)}, sort_keys=True).encode("utf-8"))


def write_snapshot(snap: Snapshot, folder: str | Path) -> Path:
    """Save a snapshot as typed Parquet tables, the reduced tables and the estimates.

    The folder holds person-level data: write it outside any published folder.
    [`open_snapshot`][foundation_eval.evaluation.snapshot.open_snapshot] reads it back without
    refitting anything.

    Parameters
    ----------
    snap : Snapshot
        The snapshot to save.
    folder : str or Path
        Destination folder (created if needed): one Parquet file per table, `snapshot.json`,
        `reduced/` and `estimates.json`.

    Returns
    -------
    Path
        The folder written.

    Examples
    --------
    >>> import tempfile
    >>> snap = open_snapshot()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     folder = write_snapshot(snap, d)
    ...     written = sorted(p.name for p in folder.iterdir())
    ...     same = open_snapshot(folder).estimates == snap.estimates
    >>> "estimates.json" in written, "reduced" in written, same
    (True, True, True)
    """
    folder = write_tables(snap.dataset, folder)
    if snap.dataset.reduced is not None:
        snap.dataset.reduced.write(folder / REDUCED)
    write_estimates(snap, folder)
    (folder / STUDY_DIR).mkdir(exist_ok=True)
    for name in STUDIES:
        if name in snap.studies:
            write_study(snap, name, folder)
    return folder


def write_study(snap: Snapshot, name: str, folder: str | Path) -> Path:
    """Fit one study if it is not yet fitted, and add it to a written snapshot folder.

    The pickle is written under a temporary name and renamed into place, so a report that opens the
    folder meanwhile sees the study whole or not at all.

    Parameters
    ----------
    snap : Snapshot
        The snapshot (built in this process).
    name : str
        A study name ([`STUDIES`][foundation_eval.evaluation.snapshot.STUDIES]).
    folder : str or Path
        A folder written by [`write_snapshot`][foundation_eval.evaluation.snapshot.write_snapshot].

    Returns
    -------
    Path
        The study's pickle.

    Examples
    --------
    >>> import tempfile
    >>> from foundation_eval.data.synth import demo_dataset
    >>> snap = build_snapshot(demo_dataset(seed=1, scale=0.1), studies=["areas"])
    >>> folder = write_snapshot(snap, tempfile.mkdtemp())
    >>> opened = open_snapshot(folder, "hiow")
    >>> sorted(opened.studies)
    ['areas']
    >>> write_study(snap, "quality", folder).name
    'quality.pkl'
    >>> opened.study("quality") is not None, sorted(opened.studies)   # read, not fitted again
    (True, ['areas', 'quality'])
    """
    folder = Path(folder) / STUDY_DIR
    folder.mkdir(exist_ok=True)
    # pickled into the file: a national evaluation's bytes are not held twice
    return _write_whole(folder / f"{name}.pkl",
                        lambda fh: pickle.dump(snap.study(name), fh, protocol=pickle.HIGHEST_PROTOCOL))


def _write_whole(path: Path, data) -> Path:
    """Write ``data`` (bytes, or a function that writes to an open binary file) under a temporary name and
    rename into place: a reader sees the old file or the new one whole."""
    part = path.with_name(f".{path.name}.partial")
    with part.open("wb") as fh:
        if callable(data):
            data(fh)
        else:
            fh.write(data)
    part.replace(path)
    return path


def _read(folder: Path, prog: Programme) -> Snapshot:
    from dataclasses import replace

    ds = load_dataset(folder, prog)
    if (folder / REDUCED).is_dir():
        ds = replace(ds, reduced=Reduced.read(folder / REDUCED))
    data = json.loads((folder / ESTIMATES).read_text(encoding="utf-8")) if (folder / ESTIMATES).exists() else {}
    est = tuple(Estimate(**{**e, "notes": tuple(e["notes"])}) for e in data.get("estimates", []))
    studies = {p.stem: p for p in sorted((folder / STUDY_DIR).glob("*.pkl"))} if (folder / STUDY_DIR).is_dir() else {}
    return Snapshot(ds, est, dict(data.get("unavailable", {})), studies, tuple(data.get("pending", ())), folder)


_DEMO: dict = {}
_OPENED: dict = {}


def open_snapshot(data_dir: str | Path = "", programme: str | Programme = DEFAULT_PROGRAMME) -> Snapshot:
    """The snapshot a report notebook reads.

    A snapshot folder is read as it is; an extract folder is validated, reduced and fitted here
    (minutes on a full force); blank gives the built-in synthetic force, whose snapshot is cached on
    disk (keyed by the generator, the programme file and the code that fits the estimates) and in
    memory: the first call fits it, later ones read it in seconds.

    Parameters
    ----------
    data_dir : path or ""
        A snapshot folder written by a render, or an extract folder (validated, reduced and fitted
        here), or blank for the built-in synthetic force.
    programme : str or Programme
        Programme id or file.

    Returns
    -------
    Snapshot
        The dataset with its reduced tables and the registered headline estimates.

    Raises
    ------
    ValidationError
        When `data_dir` is an extract that breaks the data contract (or does not exist); the message
        names the file, column, rule and example rows.

    Examples
    --------
    >>> snap = open_snapshot()          # the built-in synthetic force
    >>> snap is open_snapshot(), snap.programme.id
    (True, 'hiow')
    >>> e = snap.estimate("did_att_da_rate")
    >>> e.design
    'staggered difference-in-differences, district x quarter panel (imputation estimator)'
    """
    prog = load_programme(programme) if isinstance(programme, str) else programme
    if not data_dir:
        key = (prog.source, prog.id)
        if key not in _DEMO:
            _DEMO[key] = _demo_snapshot(programme if isinstance(programme, str) else prog.source, prog)
        return _DEMO[key]
    folder = Path(data_dir)
    if (folder / SNAPSHOT).exists():
        # reports of a render run one after another in one process: read the folder once
        files = [folder / SNAPSHOT, folder / ESTIMATES]
        key = (str(folder.resolve()), prog.source, prog.id,
               tuple(f.stat().st_mtime_ns if f.exists() else 0 for f in files))
        if key not in _OPENED:
            _OPENED.clear()  # one render's snapshot at a time
            _OPENED[key] = _read(folder, prog)
        return _OPENED[key]
    return build_snapshot(load_dataset(folder, prog))


def release_tables() -> None:
    """Free the extract's tables that reports of this process read from an opened snapshot folder.

    The reduced tables and the values shared between reports stay. A render calls this between two
    reports run in the same process, so a force-wide report that read the event tables does not leave
    them in memory for every district page after it.

    Examples
    --------
    >>> import tempfile
    >>> from foundation_eval.data.synth import demo_dataset
    >>> folder = write_snapshot(build_snapshot(demo_dataset(seed=1, scale=0.1)), tempfile.mkdtemp())
    >>> snap = open_snapshot(folder, "hiow")
    >>> n = len(snap.dataset.screening)                  # an event table, read on first use
    >>> sorted(snap.dataset.tables.loaded)
    ['screening']
    >>> release_tables()
    >>> sorted(snap.dataset.tables.loaded), open_snapshot(folder, "hiow") is snap
    ([], True)
    """
    for snap in _OPENED.values():
        snap.dataset.forget_tables()


def _demo_snapshot(programme: str, prog: Programme) -> Snapshot:
    """The built-in synthetic force's snapshot, cached on disk beside its data (keyed by the generator,
    the programme file and the code that fits the estimates), so that every notebook opened on the
    demo data starts in seconds."""
    import hashlib
    import shutil
    import tempfile

    import foundation_eval
    from foundation_eval.data.synth import demo_folder

    data = demo_folder(programme)
    # any change to the package's code may change a fitted value: key the cache by all of it
    code = "".join(f.read_text(encoding="utf-8") for f in sorted(Path(foundation_eval.__file__).parent.rglob("*.py")))
    key = hashlib.sha256((data.name + prog.source + code).encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"foundation-eval-demo-snapshot-{key}"
    if (folder / ESTIMATES).exists():
        return _read(folder, prog)
    snap = build_snapshot(load_dataset(data, prog))
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".partial-", dir=folder.parent))
    write_snapshot(snap, tmp)
    try:
        tmp.rename(folder)
    except OSError:  # another process wrote it first
        shutil.rmtree(tmp, ignore_errors=True)
    return snap
