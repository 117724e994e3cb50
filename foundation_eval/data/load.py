"""Load an extract folder into one validated, read-only [`Dataset`][foundation_eval.data.load.Dataset].

Every table is checked against its schema in ``data_schemas/`` (types, required columns and values,
allowed values, patterns, keys), then across tables (foreign keys) and against the programme
definition (dates, eligibility logic, risk-tool totals, referral stage order). All failures are
collected and reported together, each naming the file, the column, the rule and up to five example
rows. Input files are only ever read.

The checks run column by column on polars (Arrow) columns, so that a national extract of millions of
rows is validated in seconds: text columns (CSV, Excel, text in Parquet) are trimmed and parsed with
vectorised string kernels, and Parquet columns already of their schema's type are checked as they
are. The tables are converted once, at the end, to the pandas dtypes the analysis layers use.
"""
from __future__ import annotations

import datetime as _dt
import difflib
import hashlib
import io
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from foundation_eval.config import AGE_CRITERION, DEFAULT_PROGRAMME, Programme, load_programme
from foundation_eval.schemas import TABLE_ORDER, TableSchema, programme_schemas

__all__ = ["Dataset", "Failure", "ValidationError", "load_dataset", "read_frame", "validate_folder", "write_tables"]

SUFFIXES = (".csv", ".parquet", ".xlsx")
MAX_EXAMPLES = 5
_TRUE = {"true", "True", "TRUE", "1"}
_FALSE = {"false", "False", "FALSE", "0"}


@dataclass(frozen=True)
class Failure:
    """One broken rule of the data contract: where it is, how many rows break it and a few of them.

    Its ``str`` is the line a person reads in a validation report: the file, the column, the rule, the
    number of rows and up to five example rows (line numbers of a CSV file, row numbers of a Parquet
    file) with the offending value where showing it is safe.

    Attributes
    ----------
    file : str
        File name (``people.csv``), or several names, or the folder when the problem is the folder.
    column : str
        Column that breaks the rule; empty when the rule concerns the whole file.
    rule : str
        The rule in plain words, e.g. ``"value not allowed (allowed: male, female, other, unknown)"``.
    count : int
        Number of rows that break it; 0 when the rule is not about rows (a missing file or column).
    examples : tuple of str
        Up to five of those rows, such as ``"line 2: 'M'"``.

    Examples
    --------
    >>> f = Failure("people.csv", "sex", "value not allowed (allowed: male, female, other, unknown)", 2,
    ...             ("line 2: 'M'", "line 7: 'F'"))
    >>> print(f)
    people.csv, column sex: value not allowed (allowed: male, female, other, unknown) (2 rows)
          e.g. line 2: 'M'; line 7: 'F'
    >>> print(Failure("exits.csv", "", "required table is missing", 0))
    exits.csv: required table is missing
    """

    file: str
    column: str
    rule: str
    count: int = 1
    examples: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.file}, column {self.column}" if self.column else self.file
        rows = f" ({self.count} row{'s' if self.count != 1 else ''})" if self.count else ""
        ex = f"\n      e.g. {'; '.join(self.examples)}" if self.examples else ""
        return f"{where}: {self.rule}{rows}{ex}"


class ValidationError(Exception):
    """Raised when an extract breaks the data contract; carries every failure found.

    Validation does not stop at the first problem: every rule is checked and all the failures are
    reported together, so one round of corrections fixes the extract. The exception's message is
    [`report`][foundation_eval.data.load.ValidationError.report].

    Parameters
    ----------
    folder : str
        The extract folder, named at the head of the report.
    failures : list of Failure
        Every broken rule.

    Attributes
    ----------
    folder : str
        The extract folder.
    failures : list of Failure
        Every broken rule, in the order found (files, then keys across tables, then the programme's rules).

    Examples
    --------
    >>> err = ValidationError("extract", [Failure("people.csv", "sex", "value not allowed", 1, ("line 2: 'M'",)),
    ...                                   Failure("exits.csv", "", "required table is missing", 0)])
    >>> print(err.report())
    extract: the extract breaks 2 rules of the data contract
      - people.csv, column sex: value not allowed (1 row)
          e.g. line 2: 'M'
      - exits.csv: required table is missing
    >>> len(err.failures), str(err) == err.report()
    (2, True)
    """

    def __init__(self, folder: str, failures: list[Failure]):
        self.folder = folder
        self.failures = list(failures)
        super().__init__(self.report())

    def __reduce__(self):
        # rebuilt from its parts when it crosses a process boundary (a render's builder process)
        return type(self), (self.folder, self.failures)

    def report(self) -> str:
        """The failures as text for a person: a heading line, then one item per broken rule.

        Returns
        -------
        str
            The report, several lines; it names files, columns, rules and row numbers.
        """
        n = len(self.failures)
        head = f"{self.folder}: the extract breaks {n} rule{'s' if n != 1 else ''} of the data contract"
        return head + "\n" + "\n".join(f"  - {f}" for f in self.failures)

    def table(self) -> pd.DataFrame:
        """The failures as a table, one row per broken rule, e.g. for a data-quality workbook.

        Returns
        -------
        pandas.DataFrame
            Columns ``file``, ``column``, ``rule``, ``count`` and ``examples`` (a tuple of str).

        Examples
        --------
        >>> err = ValidationError("extract", [Failure("people.csv", "sex", "value not allowed", 1)])
        >>> err.table()[["file", "column", "count"]].to_dict("records")
        [{'file': 'people.csv', 'column': 'sex', 'count': 1}]
        """
        return pd.DataFrame([f.__dict__ for f in self.failures])


@dataclass(frozen=True)
class Dataset:
    """A validated extract. Tables are typed DataFrames; treat them as read-only.

    Made by [`load_dataset`][foundation_eval.data.load.load_dataset]; every later layer (frames, models,
    the evaluation snapshot) reads from it. A table is also an attribute: ``ds.people`` is
    ``ds.tables["people"]``. Text columns are ``object`` (``None`` when blank), except the pseudonymous
    identifiers other than ``person_id`` (offences, victims, contacts...), which are Arrow strings
    (``string[pyarrow]``, NA when blank) to hold millions of them compactly; whole numbers ``Int64``,
    true/false ``boolean``, dates ``datetime64[ns]`` and year-months ``period[M]``.

    Attributes
    ----------
    programme : Programme
        The programme definition the extract was checked against.
    tables : Mapping[str, DataFrame]
        One frame per table; optional tables that were absent are empty frames with the schema's columns.
    source : str
        Folder the extract was read from.
    data_hash : str
        SHA-256 over the input files' bytes, for provenance.
    warnings : tuple of str
        Things worth knowing that do not stop analysis (extra columns, absent optional tables).
    reduced : object or None
        The event tables reduced once to small analysis tables (set by
        [`with_reduced`][foundation_eval.frames.reduce.with_reduced]); analysis frames are read from it when present
        instead of being rebuilt from the events. Derived data, never results.

    Examples
    --------
    A tiny synthetic force, written as CSV and loaded:

    >>> import tempfile
    >>> from foundation_eval.data import synth
    >>> force = synth.generate(seed=1, scale=0.02, truth_replicates=2)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ds = load_dataset(synth.write(force, tmp), "hiow")
    >>> ds.people.shape == force.tables["people"].shape
    True
    >>> str(ds.screening["month"].dtype), str(ds.offences["da_flag"].dtype)
    ('period[M]', 'boolean')
    >>> ds.programme.id, ds.extract_date.date().isoformat(), len(ds.data_hash)
    ('hiow', '2024-12-31', 64)

    Values derived from the tables are built once:

    >>> ds.derived("people", lambda: len(ds.people)) == ds.derived("people", lambda: -1)
    True
    """

    programme: Programme
    tables: Mapping[str, pd.DataFrame]
    source: str
    data_hash: str
    warnings: tuple[str, ...] = field(default=())
    reduced: object | None = field(default=None, repr=False, compare=False)
    _derived: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        if not isinstance(self.tables, _Tables):  # frames made by hand: held, like a loaded extract's
            object.__setattr__(self, "tables", _Tables(list(self.tables), frames=dict(self.tables)))

    def derived(self, key, build):
        """A value computed from these tables, built the first time it is asked for and then reused.

        Several analyses start from the same frames (an evaluation builds monthly, quarterly and
        lockdown-free panels from one set of eligible person-months; every district page of a render
        compares itself with the same force-wide frames), so each is built once per dataset. A copy
        made with `dataclasses.replace` (e.g. to add the reduced tables) shares them, the tables being
        the same. Treat the value as read-only.

        Parameters
        ----------
        key : hashable
            Names the value and everything it depends on besides the tables (e.g. a period).
        build : callable
            Called with no arguments to make the value.

        Returns
        -------
        object
            The value ``build()`` returned for this key.
        """
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]

    def forget_derived(self) -> None:
        """Drop every derived value (`derived`); each is built again when next asked for.

        A process that fits one study after another calls this once a study is written, so the frames
        only that study used do not stay in memory beside the next (a national evaluation leaves about
        a gigabyte of them).

        Examples
        --------
        >>> from foundation_eval.data.synth import demo_dataset
        >>> ds = demo_dataset(seed=1, scale=0.1)
        >>> first = ds.derived(("example", 1), list)
        >>> ds.forget_derived()
        >>> ds.derived(("example", 1), list) is first
        False
        """
        self._derived.clear()

    def read(self, name: str, columns=None, where=None) -> pd.DataFrame:
        """Some columns of a table, for some of its rows, without loading the whole table when it is not
        held (a snapshot folder's, or one let go with `spill`): then only those columns and rows are
        read from its Parquet file.

        Parameters
        ----------
        name : str
            A table of the data contract (e.g. ``"offences"``).
        columns : list of str, optional
            The columns wanted (default all), in this order.
        where : dict, optional
            ``{column: value}``: only rows where the column equals the value, or is one of its values
            when it is a list or array (e.g. ``{"da_flag": True}``, ``{"person_id": ids}``).

        Returns
        -------
        DataFrame
            The rows in the table's order, numbered from 0, in the table's dtypes.

        Examples
        --------
        >>> from foundation_eval.data.synth import demo_dataset
        >>> ds = demo_dataset(seed=1, scale=0.1)
        >>> da = ds.read("offences", ["person_id", "offence_date"], where={"da_flag": True})
        >>> list(da.columns), len(da) == int(ds.offences.da_flag.sum())
        (['person_id', 'offence_date'], True)
        >>> someone = da.person_id.iloc[0]
        >>> bool((ds.read("offences", where={"person_id": [someone]}).person_id == someone).all())
        True
        """
        return self.tables.read(name, columns, where)

    def column_names(self, name: str) -> list[str]:
        """A table's columns, without reading the table when it is not held (see `read`).

        Parameters
        ----------
        name : str
            A table of the data contract.

        Returns
        -------
        list of str
            Its columns, in order.

        Examples
        --------
        >>> from foundation_eval.data.synth import demo_dataset
        >>> ds = demo_dataset(seed=1, scale=0.1)
        >>> ds.column_names("exits") == list(ds.exits.columns)
        True
        """
        return self.tables.columns(name)

    def spill(self, folder: str | Path, names) -> None:
        """Let go of some tables held in memory, once they are written to a snapshot folder: each is
        read back from there when asked for, whole (``ds.offences``) or in part (`read`).

        A process that goes on fitting after writing the snapshot (a render's builder) holds the largest
        event table only while a study reads it. `forget_tables` lets it go again.

        Parameters
        ----------
        folder : str or Path
            The folder [`write_tables`][foundation_eval.data.load.write_tables] wrote this dataset to.
        names : iterable of str
            The tables to let go.

        Raises
        ------
        FileNotFoundError
            When the folder holds no Parquet file of one of them.

        Examples
        --------
        >>> import tempfile
        >>> from foundation_eval.data.synth import demo_dataset
        >>> ds = demo_dataset(seed=1, scale=0.1)
        >>> before = ds.offences.copy()
        >>> folder = write_tables(ds, tempfile.mkdtemp())
        >>> ds.spill(folder, ["offences"])
        >>> "offences" in ds.tables.loaded, ds.offences.equals(before)   # read back when asked for
        (False, True)
        >>> ds.forget_tables()
        >>> "offences" in ds.tables.loaded, "people" in ds.tables.loaded
        (False, True)
        """
        self.tables.spill(Path(folder), names)

    def forget_tables(self) -> None:
        """Drop the tables held that can be read back from a snapshot folder (all of a snapshot's; those
        let go with `spill`); tables only held in memory stay."""
        self.tables.forget()

    def n_rows(self, name: str) -> int:
        """The number of rows of a table, read from its Parquet file's footer when it is a snapshot's table
        not loaded yet (a render plans its reports from it without holding the table).

        Parameters
        ----------
        name : str
            A table of the data contract (e.g. ``"ppit_assessments"``).

        Returns
        -------
        int
            Its rows.

        Examples
        --------
        >>> from foundation_eval.data.synth import demo_dataset
        >>> ds = demo_dataset(seed=1, scale=0.1)
        >>> ds.n_rows("districts") == len(ds.districts)
        True
        """
        return self.tables.rows(name)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = object.__getattribute__(self, "tables")
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @property
    def extract_date(self) -> pd.Timestamp:
        """The programme's extract date: the latest date the data may hold, and the end of all follow-up."""
        return self.programme.extract_date

    @property
    def absent(self) -> frozenset:
        """Optional tables the extract did not include (they are empty, typed frames)."""
        said = " ".join(self.warnings)
        return frozenset(name for name in self.tables if f"optional table {name} is absent" in said)


# dtypes of an absent optional table's empty columns, as loaded tables carry them
_EMPTY_DTYPES = {"date": "datetime64[ns]", "boolean": "boolean", "integer": "Int64", "number": "float",
                 "yearmonth": "period[M]"}
# pseudonymous identifiers other than the person's: each value is held once, compactly (an offence
# identifier as a Python str object takes about 70 bytes, as an Arrow string 17)
IDENTIFIER_DTYPE = pd.StringDtype("pyarrow")


def _arrow_identifier(f) -> bool:
    """A pseudonym other than the person's (which every table shares as one str object per person)."""
    return f.pseudonym_letter not in (None, "P")


def _empty_dtype(f):
    return IDENTIFIER_DTYPE if _arrow_identifier(f) else _EMPTY_DTYPES.get(f.type, object)


# ------------------------------------------------------------------------------------------ reading
class _Table:
    """One table as read (a polars frame of its raw columns) plus how to name its rows in messages."""

    def __init__(self, path: Path, names: list[str], columns: list, first_line: int):
        self.path, self.names, self.columns, self.first_line = path, names, columns, first_line
        self.frame: pl.DataFrame | None = None  # the raw columns by name, once the names are known to be unique

    def row(self, idx) -> str:
        if self.path.suffix == ".parquet":
            return f"row {int(idx) + 1}"
        return f"line {int(idx) + self.first_line}"

    def value(self, idx: int, col: str) -> str | None:
        """The value of one cell as the file holds it, for a message."""
        if self.frame is None or col not in self.frame.columns:
            return None
        v = self.frame[col][int(idx)]
        return repr(v) if isinstance(v, str) or v is None else str(v)


def _find(folder: Path, name: str) -> list[Path]:
    return [folder / f"{name}{s}" for s in SUFFIXES if (folder / f"{name}{s}").exists()]


def _text_columns(frame: pd.DataFrame) -> list[pl.Series]:
    """Columns of a pandas text frame (str or missing) as polars text columns."""
    import pyarrow as pa

    out = []
    for k in range(frame.shape[1]):
        col = frame.iloc[:, k]
        out.append(pl.Series("", pa.array(col.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)))
    return out


def _read(path: Path, schema: TableSchema, failures: list[Failure]) -> _Table | None:
    fname = path.name
    if path.stat().st_size == 0:
        failures.append(Failure(fname, "", "file is empty (a header row is required)", 0))
        return None
    if path.suffix == ".csv":
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            failures.append(Failure(fname, "", f"file is not UTF-8 text (bad byte 0x{raw[exc.start]:02x} on line {line}); "
                                    "save it as UTF-8", 0))
            return None
        del raw
        if not text.strip():
            failures.append(Failure(fname, "", "file is empty (a header row is required)", 0))
            return None
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
        except (pd.errors.ParserError, ValueError) as exc:
            failures.append(Failure(fname, "", f"not a readable CSV table: {str(exc).strip()}", 0))
            return None
        return _Table(path, [str(c) for c in frame.columns], _text_columns(frame), 2)
    if path.suffix == ".xlsx":
        try:
            sheet = pd.read_excel(path, dtype=str, header=None, keep_default_na=False, na_values=[""])
        except Exception as exc:  # noqa: BLE001 - any reader error is a file problem to report
            failures.append(Failure(fname, "", f"not a readable Excel workbook: {exc}", 0))
            return None
        if sheet.empty:
            failures.append(Failure(fname, "", "sheet is empty (a header row is required)", 0))
            return None
        wanted = set(schema.field_names)
        header_row = 0
        for r in range(min(len(sheet), 10)):
            if len(wanted & set(sheet.iloc[r].dropna().astype(str).str.strip())) >= max(1, len(wanted) // 2):
                header_row = r
                break
        if header_row > 0:
            failures.append(Failure(fname, "", f"the header is on row {header_row + 1}, not row 1: remove the title "
                                    "rows above the column names", 0))
            return None
        frame = sheet.iloc[1:].reset_index(drop=True)
        names = [str(c) for c in sheet.iloc[0]]
        # Excel turns dates into timestamps; keep the date part
        frame = frame.apply(lambda s: s.str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", r"\1", regex=True))
        return _Table(path, names, _text_columns(frame), 2)
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        names = [str(c) for c in schema.names]
        if len(set(names)) < len(names):  # polars refuses a repeated name: Arrow reads it, the checks report it
            table = pq.read_table(path)
            columns = [_from_arrow(table.column(k)) for k in range(table.num_columns)]
            del table
        else:
            # polars' own reader: in parallel and without an Arrow copy of the table beside the frame (at
            # national scale the offences in a third of the time, half the peak)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Extension type", category=UserWarning)
                frame = pl.read_parquet(path)
            columns = [_typed(frame.to_series(k), schema.field(k).type) for k in range(frame.width)]
            del frame
    except Exception as exc:  # noqa: BLE001
        failures.append(Failure(fname, "", f"not a readable Parquet file: {exc}", 0))
        return None
    finally:
        # Arrow's allocator keeps freed pages for reuse: hand them back
        pa.default_memory_pool().release_unused()
    # typed columns are kept: those already of their schema's type skip the text checks
    return _Table(path, names, columns, 0)


def _is_period_m(typ) -> bool:
    """Whether an Arrow type is pandas' year-month (period[M]) extension."""
    import pyarrow as pa

    return (isinstance(typ, pa.ExtensionType) and getattr(typ, "extension_name", "") == "pandas.period"
            and str(getattr(typ, "freq", "")) == "M")


def _typed(s: pl.Series, typ) -> pl.Series:
    """A column polars read from Parquet (an extension read as its storage), marked as month ordinals
    when the file's type says it holds pandas year-months."""
    return s.cast(pl.Int64).rename(_PERIOD_M) if _is_period_m(typ) else s.rename("")


def _from_arrow(col) -> pl.Series:
    """One Parquet column as polars; a pandas year-month (period[M]) column becomes its month ordinals."""
    import pyarrow as pa

    typ = col.type
    if isinstance(typ, pa.ExtensionType):
        if _is_period_m(typ):
            storage = pa.chunked_array([c.storage for c in col.chunks], type=typ.storage_type)
            return pl.Series("", storage).cast(pl.Int64).rename(_PERIOD_M)
        col = pa.chunked_array([c.storage for c in col.chunks], type=typ.storage_type)
    return pl.Series("", col)


_PERIOD_M = "\x00period[M]"  # name marking a column of pandas month ordinals read from Parquet
_TEXT = (pl.String, pl.Categorical, pl.Enum)


def _is_text(s: pl.Series) -> bool:
    return s.dtype in _TEXT or s.dtype == pl.Object


def _as_text(s: pl.Series) -> pl.Series:
    """A typed (Parquet) column written out as the text a CSV would hold, for the text checks."""
    if s.name == _PERIOD_M:
        return _ym_text(s)
    if s.dtype == pl.Datetime or s.dtype == pl.Date:
        return s.dt.strftime("%Y-%m-%d")
    if s.dtype == pl.Boolean:
        return s.cast(pl.String)  # "true" / "false"
    if s.dtype.is_float():
        return s.fill_nan(None).cast(pl.String)
    return s.cast(pl.String, strict=False)


def _ym_text(ords: pl.Series) -> pl.Series:
    year = ords // 12 + 1970
    month = ords % 12 + 1
    return (year.cast(pl.String).str.zfill(4) + "-" + month.cast(pl.String).str.zfill(2))


def _native(s: pl.Series, kind: str) -> pl.Series | None:
    """A typed column already of the schema's type, in the polars type used here; None if it is not."""
    d = s.dtype
    if kind == "date" and (d == pl.Date or (d == pl.Datetime and d.time_zone is None)):  # tz-aware goes the text way
        return s.cast(pl.Datetime("ns")).dt.truncate("1d")  # as the text route, which keeps the date only
    if kind == "boolean" and d == pl.Boolean:
        return s
    if kind == "integer" and d.is_integer():
        return s.cast(pl.Int64)
    if kind == "number" and d.is_numeric():
        out = s.cast(pl.Float64).fill_nan(None)
        return None if out.is_infinite().any() else out  # infinities get the text route's message
    if kind == "yearmonth" and s.name == _PERIOD_M:
        return s
    return None


# ------------------------------------------------------------------------------------------ checks
def _fail(failures, t: _Table, col: str, rule: str, mask: pl.Series, show=True):
    mask = mask.fill_null(False)
    n = int(mask.sum())
    if not n:
        return
    idx = mask.arg_true().head(MAX_EXAMPLES).to_list()
    if show:
        examples = tuple(t.row(i) + (f": {v}" if (v := t.value(i, col)) is not None else "") for i in idx)
    else:
        examples = tuple(t.row(i) for i in idx)
    failures.append(Failure(t.path.name, col, rule, n, examples))


_MIN_DATE = _dt.date(1677, 9, 22)  # the range of datetime64[ns], which the tables use
_MAX_DATE = _dt.date(2262, 4, 11)


def _parse_columns(t: _Table, schema: TableSchema, failures: list[Failure], warnings: list[str]) -> pl.DataFrame | None:
    fname = t.path.name
    present = [str(c).strip() for c in t.names]
    missing = [f.name for f in schema.fields if f.name not in present]
    extra = [c for c in present if c not in schema.field_names]
    dupes = sorted({c for c in present if present.count(c) > 1})
    if dupes:
        failures.append(Failure(fname, ", ".join(dupes), "column appears more than once", 0))
        return None
    t.frame = pl.DataFrame([c.rename(n) for c, n in zip(t.columns, present, strict=True)])
    raw_names = {n: c.name for n, c in zip(present, t.columns, strict=True)}  # period columns carry a marker
    t.columns = []
    for name in missing:
        f = schema.field(name)
        if f.required:
            near = difflib.get_close_matches(name, extra, n=1, cutoff=0.6)
            hint = f" (is {near[0]!r} the same column renamed?)" if near else ""
            failures.append(Failure(fname, name, f"required column is missing{hint}", 0))
    if extra:
        warnings.append(f"{fname}: columns not in the data contract are ignored: {', '.join(extra)}")
    if any(schema.field(n).required for n in missing):
        return None
    n_rows = t.frame.height
    typed: dict[str, pl.Series] = {}
    for f in schema.fields:
        if f.name not in present:
            typed[f.name] = pl.Series(f.name, [None] * n_rows, dtype=_POLARS[f.type])
            continue
        col = t.frame[f.name].rename(raw_names[f.name])
        native = None if _is_text(col) or f.enum is not None or f.pattern is not None else _native(col, f.type)
        if native is None and col.dtype == pl.String and not _untidy(col):
            s = col  # clean text already: the raw column itself, not a copy of millions of values
        elif native is None:
            # text (CSV, Excel, or a typed column written out)
            s = (col if col.dtype == pl.String else _as_text(col) if not _is_text(col) else col.cast(pl.String))
            s = s.str.strip_chars()
            s = _null_where(s, s == "")
        else:
            s = native
        null = s.is_null()
        if f.required:
            _fail(failures, t, f.name, "value is required but blank", null, show=False)
        bad: pl.Series | None = None
        if native is not None:
            out = native
            if f.type == "number":
                bad = out.is_infinite().fill_null(False)  # never: infinities go the text way
        elif f.type == "string":
            out = s
        elif f.type == "integer":
            good = s.str.contains(r"^[+-]?[0-9]+$")
            bad = (~good).fill_null(False)
            _fail(failures, t, f.name, "must be a whole number", bad)
            out = _null_where(s.str.strip_prefix("+").cast(pl.Int64, strict=False), bad)
        elif f.type == "number":
            num = s.cast(pl.Float64, strict=False)
            bad = ~null & (num.is_null() | num.is_nan().fill_null(True) | num.is_infinite().fill_null(True))
            _fail(failures, t, f.name, "must be a number", bad)
            out = _null_where(num, bad)
        elif f.type == "boolean":
            good = s.is_in(list(_TRUE | _FALSE))
            bad = ~null & ~good
            _fail(failures, t, f.name, "must be true or false", bad)
            out = pl.select(pl.when(s.is_in(list(_TRUE))).then(True).when(s.is_in(list(_FALSE))).then(False)
                            .otherwise(None)).to_series()
        elif f.type == "date":
            shape = s.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
            parsed = _null_where(s, ~shape).str.to_date("%Y-%m-%d", strict=False)
            parsed = _null_where(parsed, (parsed < _MIN_DATE) | (parsed > _MAX_DATE))
            m1 = (~shape).fill_null(False)
            m2 = (shape & parsed.is_null()).fill_null(False)
            _fail(failures, t, f.name, "date must be ISO 8601 YYYY-MM-DD", m1)
            _fail(failures, t, f.name, "not a real calendar date", m2)
            bad = m1 | m2
            out = parsed.cast(pl.Datetime("ns"))
        elif f.type == "yearmonth":
            month_ok = s.str.contains(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
            bad = (~month_ok).fill_null(False)
            _fail(failures, t, f.name, "year-month must be YYYY-MM with a month 01-12", bad)
            good = _null_where(s, bad)
            # ordinals from the digits: far faster than parsing each string as a Period
            out = (good.str.slice(0, 4).cast(pl.Int64) - 1970) * 12 + good.str.slice(5, 2).cast(pl.Int64) - 1
        else:
            raise ValueError(f"schema type {f.type!r} is not supported")
        present_ok = ~null if bad is None else (~null & ~bad)
        if f.enum is not None:
            m = present_ok & ~s.is_in(list(f.enum))
            _fail(failures, t, f.name, f"value not allowed (allowed: {', '.join(f.enum)})", m)
        if f.pattern is not None:
            m = present_ok & ~_fullmatch(s, f.pattern)
            _fail(failures, t, f.name, f"value does not match the identifier pattern {f.pattern}", m)
        if f.minimum is not None and out.dtype.is_numeric():
            m = present_ok & (out < f.minimum).fill_null(False)
            _fail(failures, t, f.name, f"value below the minimum {f.minimum}", m)
        if f.maximum is not None and out.dtype.is_numeric():
            m = present_ok & (out > f.maximum).fill_null(False)
            _fail(failures, t, f.name, f"value above the maximum {f.maximum}", m)
        if f.unique:
            m = present_ok & _duplicated(s)
            _fail(failures, t, f.name, "value must be unique but is repeated", m)
        typed[f.name] = out.rename(f.name)
    result = pl.DataFrame(list(typed.values()))
    if len(schema.primary_key) > 1:
        m = result.select(list(schema.primary_key)).is_duplicated()
        _fail(failures, t, ", ".join(schema.primary_key), "key must be unique but is repeated", m, show=False)
    return result


_POLARS = {"string": pl.String, "integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean,
           "date": pl.Datetime("ns"), "yearmonth": pl.Int64}


def _untidy(s: pl.Series) -> bool:
    """Whether a text column has a blank value or spaces around one (which the checks strip or blank out)."""
    return bool(s.str.contains(r"^\s|\s$").any()) or bool((s == "").any())


def _null_where(s: pl.Series, mask: pl.Series) -> pl.Series:
    """``s`` with the values where ``mask`` is true set missing (a new series; ``s`` is untouched)."""
    return pl.select(pl.when(mask.fill_null(False)).then(pl.lit(None, s.dtype)).otherwise(s)).to_series().rename(s.name)


def _fullmatch(s: pl.Series, pattern: str) -> pl.Series:
    """Whether each text value matches the whole ``pattern`` (missing values do not). The pattern is a schema
    file's; one the Rust regex engine cannot run (look-arounds, back-references) is run by Python's ``re``."""
    try:
        return s.str.contains(f"^(?:{pattern})$").fill_null(False)
    except pl.exceptions.ComputeError:
        import re

        rx = re.compile(pattern)
        return pl.Series([v is not None and rx.fullmatch(v) is not None for v in s.to_list()], dtype=pl.Boolean)


def _duplicated(s: pl.Series) -> pl.Series:
    """Rows whose value appears more than once (missing values count as one value), as ``Series.is_duplicated``
    but hashing long text once: only rows whose 64-bit hash repeats are compared as text."""
    if s.dtype != pl.String:
        return s.is_duplicated()
    candidates = s.hash().is_duplicated()
    if not candidates.any():
        return candidates
    exact = s.filter(candidates).is_duplicated()
    return pl.zeros(len(s), dtype=pl.Boolean, eager=True).scatter(candidates.arg_true(), exact)


def _first_rows(table: pl.DataFrame, key: str, value: str) -> pl.DataFrame:
    """``key`` and ``value`` of the first row of ``table`` with each key, for `_lookup`. A valid table has
    each key once: no copy is made then (at national scale 2 million people's identifiers)."""
    first = table.select(key, value)
    return first if first.get_column(key).is_unique().all() else first.unique(subset=key, keep="first")


def _lookup(keys: pl.Series, first: pl.DataFrame, key: str, value: str) -> pl.Series:
    """``value`` of ``first`` (one row per key, `_first_rows`) for each key (missing when there is none), in
    the order of ``keys``."""
    return (keys.rename(key).to_frame().join(first, on=key, how="left", maintain_order="left", nulls_equal=False)
            .get_column(value))


def _check_foreign_keys(tables, raw, schemas, failures):
    for name, schema in schemas.items():
        if name not in tables:
            continue
        for cols, ref, refcols in schema.foreign_keys:
            if ref not in tables:
                continue
            child = tables[name].select(list(cols))
            parent = tables[ref].select(list(refcols))
            if len(cols) == 1:
                # repeated keys do not change membership: no pass to make them unique
                found = child.to_series().is_in(parent.to_series().drop_nulls().implode())
            else:
                key = parent.unique().rename(dict(zip(refcols, cols, strict=True))).with_columns(_found=pl.lit(True))
                found = child.join(key, on=list(cols), how="left", maintain_order="left").get_column("_found")
            m = ~child.select(pl.any_horizontal(pl.all().is_null())).to_series() & ~found.fill_null(False)
            _fail(failures, raw[name], ", ".join(cols), f"no matching {', '.join(refcols)} in {raw[ref].path.name}", m)


def _month_start(ords: pl.Series) -> pl.Series:
    """First instant of each month ordinal (months since 1970-01), as datetime64[ns]."""
    return pl.select(pl.datetime(ords // 12 + 1970, ords % 12 + 1, 1, time_unit="ns")).to_series()


def _programme_rules(tables, raw, prog: Programme, extract: pd.Timestamp, schemas, failures):
    def T(name):
        return tables.get(name)

    # nothing after the extract date
    limit = extract.to_pydatetime()
    for name, frame in tables.items():
        kinds = {f.name: f.type for f in schemas[name].fields}
        for col in frame.columns:
            if kinds.get(col) == "date" and frame[col].null_count() < frame.height:
                _fail(failures, raw[name], col, f"date is after the extract date {extract.date()}", frame[col] > limit)
    dist = T("districts")
    if dist is not None:
        known = {d.id: d for d in prog.districts}
        t = raw["districts"]
        for i, row in enumerate(dist.select("district_id", "go_live", "practitioner_from").iter_rows()):
            did = row[0]
            d = known.get(did)
            if d is None:
                failures.append(Failure(t.path.name, "district_id",
                                        f"district {did!r} is not in the programme definition {Path(prog.source).name}",
                                        1, (t.row(i),)))
                continue
            for col, ordinal in zip(("go_live", "practitioner_from"), row[1:], strict=True):
                if ordinal is not None and ordinal != getattr(d, col).ordinal:
                    here = pd.Period(ordinal=ordinal, freq="M")
                    failures.append(Failure(t.path.name, col,
                                            f"{did} has {here} here but {getattr(d, col)} in the programme "
                                            f"definition {Path(prog.source).name}", 1, (t.row(i),)))
    people, scr = T("people"), T("screening")
    births = _first_rows(people, "person_id", "birth_ym") if people is not None else None  # for two rules
    if scr is not None:
        t = raw["screening"]
        month = scr["month"]
        has_month = month.is_not_null()
        m = has_month & ((month < prog.study_start.ordinal) | (month > prog.study_end.ordinal))
        _fail(failures, t, "month", f"month outside the study period {prog.study_start} to {prog.study_end}", m)
        m = has_month & (month > extract.to_period("M").ordinal)
        _fail(failures, t, "month", f"month is after the extract date {extract.date()}", m)
        crit = [c for c, _ in prog.criteria]
        if all(c in scr.columns for c in crit):
            allc = scr.select(pl.all_horizontal([pl.col(c).fill_null(False) for c in crit])).to_series()
            m = scr["eligible"].is_not_null() & (scr["eligible"].fill_null(False) != allc)
            _fail(failures, t, "eligible", "eligible must be true exactly when all criteria are true", m, show=False)
        go_ord = {d.id: d.go_live.ordinal for d in prog.districts}
        known_d = scr["district_id"].is_in(list(go_ord))
        go = scr["district_id"].replace_strict(go_ord, default=None, return_dtype=pl.Int64)
        live_mask = (has_month & known_d & (month >= go)).fill_null(False)
        listed = scr["listed"].fill_null(False)
        m = listed & ~scr["eligible"].fill_null(False)
        _fail(failures, t, "listed", "listed but not eligible", m, show=False)
        m = listed & ~live_mask & known_d
        _fail(failures, t, "listed", "listed before the district went live", m, show=False)
        if people is not None and prog.has_age_criterion and AGE_CRITERION in scr.columns:
            b = _lookup(scr["person_id"], births, "person_id", "birth_ym")
            ok = (b.is_not_null() & has_month).fill_null(False)
            age = (month - b) // 12
            in_band = ((age >= prog.age_min) & (age <= prog.age_max)).fill_null(False)
            crit_age = scr[AGE_CRITERION]
            m = ok & crit_age.is_not_null() & (crit_age.fill_null(False) != in_band)
            _fail(failures, t, AGE_CRITERION, f"{AGE_CRITERION} disagrees with birth_ym (age band {prog.age_min}-{prog.age_max})", m,
                  show=False)
    pp = T("ppit_assessments")
    if pp is not None and pp.height:
        t = raw["ppit_assessments"]
        items = list(prog.ppit_item_ids)
        scale = sorted(set(prog.ppit_scale))
        for c in items:
            if c in pp.columns:
                m = pp[c].is_not_null() & ~pp[c].is_in(scale)
                _fail(failures, t, c, f"item score off the scale {scale}", m)
        present = [c for c in items if c in pp.columns]
        total = pp["total"].cast(pl.Float64)
        if present:
            sums = pp.select(pl.sum_horizontal([pl.col(c).cast(pl.Float64) for c in present])).to_series()
            sums = _null_where(sums, pp.select(pl.any_horizontal([pl.col(c).is_null() for c in present])).to_series())
            m = total.is_not_null() & sums.is_not_null() & (total != sums)
            _fail(failures, t, "total", "total does not equal the sum of the item scores", m)
        m = total.is_not_null() & pp["priority"].is_not_null() & (pp["priority"] != (pp["total"] >= prog.ppit_threshold))
        _fail(failures, t, "priority", f"priority must be true exactly when total >= {prog.ppit_threshold}", m, show=False)
    ref = T("referrals")
    if ref is not None and ref.height:
        t = raw["referrals"]
        stages = ["referred_date", "accepted_date", "started_date", "completed_date"]
        for a, b in zip(stages, stages[1:], strict=False):
            _fail(failures, t, b, f"{b} is before {a}: referral stages out of order", ref[b] < ref[a])
        _fail(failures, t, "dropped_date", "dropped_date is before referred_date", ref["dropped_date"] < ref["referred_date"])
        m = ref["completed_date"].is_not_null() & ref["dropped_date"].is_not_null()
        _fail(failures, t, "completed_date", "a referral cannot be both completed and dropped", m, show=False)
        m = ref["started_date"].is_not_null() & ref["accepted_date"].is_null()
        _fail(failures, t, "accepted_date", "started without being accepted", m, show=False)
        m = ref["completed_date"].is_not_null() & ref["started_date"].is_null()
        _fail(failures, t, "started_date", "completed without being started", m, show=False)
        svc = {s.id: s.pathway for s in prog.services}
        service = ref["service"]
        m = service.is_not_null() & ~service.is_in(list(svc))
        _fail(failures, t, "service", f"service not in the programme definition ({', '.join(svc)})", m)
        expected = service.replace_strict(svc, default=None, return_dtype=pl.String)
        m = service.is_in(list(svc)) & ref["pathway"].is_not_null() & (expected != ref["pathway"])
        _fail(failures, t, "pathway", "pathway does not match the service's pathway in the programme definition", m)
    off = T("offences")
    if off is not None and off.height:
        t = raw["offences"]
        types = [o.id for o in prog.offence_types]
        m = off["offence_type"].is_not_null() & ~off["offence_type"].is_in(types)
        _fail(failures, t, "offence_type", "offence type not in the programme definition", m)
        m = off["da_flag"].fill_null(False) & off["victim_id"].is_null()
        _fail(failures, t, "victim_id", "a domestic-abuse offence must name a victim", m, show=False)
    ex = T("exits")
    if ex is not None and people is not None and ex.height:
        t = raw["exits"]
        birth = _month_start(_lookup(ex["person_id"], births, "person_id", "birth_ym"))
        _fail(failures, t, "exit_date", "exit is before birth", ex["exit_date"] < birth)
        if scr is not None:
            # only the people who left: the whole table grouped by person is a national extract's peak
            first = (scr.select("person_id", "month").filter(pl.col("person_id").is_in(ex["person_id"].implode()))
                     .group_by("person_id").agg(pl.col("month").min()))
            f = _month_start(_lookup(ex["person_id"], first, "person_id", "month"))  # grouped: a row a person
            _fail(failures, t, "exit_date", "exit is before the person's first screen (negative follow-up)",
                  ex["exit_date"] < f)
        died = _first_rows(ex.filter(pl.col("exit_reason") == "died"), "person_id", "exit_date")
        for name, cols in (("contacts", ["contact_date"]), ("offences", ["offence_date"]),
                           ("ppit_assessments", ["assessment_date"]), ("rmps", ["rmp_date"]),
                           ("referrals", ["referred_date", "accepted_date", "started_date", "completed_date"])):
            frame = T(name)
            if frame is None or not frame.height or not died.height:
                continue
            # only the rows of people who died are looked up (a few among millions of offences)
            rows = frame["person_id"].is_in(died["person_id"].implode()).arg_true()
            if not len(rows):
                continue
            dd = _lookup(frame["person_id"].gather(rows), died, "person_id", "exit_date")
            for c in cols:
                late = pl.Series(np.zeros(frame.height, dtype=bool))
                late[rows] = (frame[c].gather(rows) > dd).fill_null(False)
                _fail(failures, raw[name], c, "dated after the person's death", late)


# ------------------------------------------------------------------------------------------ to pandas
def _known(text: pl.Series) -> pl.DataFrame:
    """``text`` as a lookup for `_reuse`: each value once (its first position), built once for every table."""
    known = pl.DataFrame({"k": text, "i": pl.int_range(len(text), eager=True, dtype=pl.Int64)})
    return known.unique(subset="k", keep="first")


def _reuse(values: pl.Series, known: pl.DataFrame, objects: np.ndarray) -> np.ndarray:
    """``values`` as str objects, taking those found in ``known`` (`_known`) from ``objects`` (the same
    values, already Python str) so that one identifier is held once however many tables name it."""
    pos = values.rename("k").to_frame().join(known, on="k", how="left", maintain_order="left").get_column("i")
    found = pos.is_not_null().to_numpy()
    words = np.empty(len(values), dtype=object)
    words[found] = objects[pos.drop_nulls().to_numpy()]
    if not found.all():
        words[~found] = values.filter(~pl.Series(found)).to_numpy()
    return words


_NAT = np.iinfo(np.int64).min


def _to_pandas(frame: pl.DataFrame, schema: TableSchema, absent: set[str], shared: dict | None = None) -> pd.DataFrame:
    """The typed table in the dtypes the library uses: object text (None when blank), Arrow strings for
    the pseudonymous identifiers other than the person's (NA when blank), Int64, float64, boolean,
    datetime64[ns] and period[M]; a column absent from the file is a column of NA.

    ``shared`` maps a column name to (lookup, objects): the values of that column already converted (the
    people table's person identifiers, as `_known` and as str objects), whose str objects this table's
    column then reuses. The columns are taken out of ``frame`` as they are converted: it is empty
    afterwards.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    kinds = {f.name: f.type for f in schema.fields}
    arrow = {f.name for f in schema.fields if _arrow_identifier(f)}
    unique = {f.name for f in schema.fields if f.unique} | set(schema.primary_key[:1] if len(schema.primary_key) == 1 else ())
    out = {}
    n = frame.height
    for name in list(frame.columns):
        # taken out of the frame: each column's polars buffers go once it is converted, not with the table
        s = frame.drop_in_place(name)
        kind = kinds[name]
        if name in absent:
            out[name] = pd.Series([pd.NA] * n, dtype=IDENTIFIER_DTYPE if name in arrow else object)
        elif name in arrow:
            out[name] = pd.Series(pd.arrays.ArrowStringArray(s.rechunk().to_arrow().cast(pa.large_string())))
        elif shared and name in shared:
            # every row looked up among the people's identifiers at once: cheaper than encoding the
            # column first (a million distinct identifiers at national scale) and looking those up
            out[name] = pd.Series(_reuse(s, *shared[name]), dtype=object)
        elif kind == "string" and name in unique:
            out[name] = pd.Series(s.to_numpy(), dtype=object)
        elif kind == "string":
            # repeated values share one str object (district and type codes repeat a great deal)
            enc = pc.dictionary_encode(s.rechunk().to_arrow())
            words = np.append(enc.dictionary.to_numpy(zero_copy_only=False), None)
            codes = pc.fill_null(enc.indices, len(enc.dictionary)).to_numpy(zero_copy_only=False)
            out[name] = pd.Series(words[codes], dtype=object)
        elif kind == "integer":
            out[name] = pd.Series(pd.arrays.IntegerArray(s.fill_null(0).to_numpy().astype(np.int64),
                                                         s.is_null().to_numpy()))
        elif kind == "number":
            out[name] = pd.Series(s.cast(pl.Float64).to_numpy(), dtype=float)
        elif kind == "boolean":
            out[name] = pd.Series(pd.arrays.BooleanArray(s.fill_null(False).to_numpy(), s.is_null().to_numpy()))
        elif kind == "date":
            out[name] = pd.Series(s.cast(pl.Datetime("ns")).to_numpy(), dtype="datetime64[ns]")
        elif kind == "yearmonth":
            ords = s.fill_null(_NAT).to_numpy()
            out[name] = pd.Series(pd.PeriodIndex.from_ordinals(ords, freq="M"), dtype="period[M]").reset_index(drop=True)
        else:
            raise ValueError(f"schema type {kind!r} is not supported")
        del s
    # copy=False also leaves the columns in their own blocks: consolidating them would copy every table once more
    return pd.DataFrame(out, index=pd.RangeIndex(n), copy=False)


def _hash_files(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        with p.open("rb") as fh:  # in pieces: the same digest as the whole file at once, without holding it
            while chunk := fh.read(1 << 24):
                h.update(chunk)
    return h.hexdigest()


SNAPSHOT = "snapshot.json"


def write_tables(ds: Dataset, folder: str | Path) -> Path:
    """Save a validated dataset as typed Parquet tables, so that many reports can open it quickly.

    Each table is written as ``<table>.parquet`` with its types, beside a ``snapshot.json`` holding the
    input hash, the source folder's name, the warnings, the programme file and the table names.
    [`load_dataset`][foundation_eval.data.load.load_dataset] opens such a folder without validating it
    again, reading each table only when it is first used. The render snapshot
    ([`foundation_eval.evaluation.snapshot`][foundation_eval.evaluation.snapshot]) adds the reduced tables
    and the fitted headline estimates beside these tables.

    A snapshot holds person-level data: keep it out of any published folder.

    Parameters
    ----------
    ds : Dataset
        A validated dataset.
    folder : str or Path
        Folder to write into; created if needed. Files of the same names are overwritten.

    Returns
    -------
    Path
        ``folder``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from foundation_eval.data import synth
    >>> tmp = tempfile.TemporaryDirectory()
    >>> ds = load_dataset(synth.write(synth.generate(seed=1, scale=0.02, truth_replicates=2),
    ...                               Path(tmp.name) / "extract"), "hiow")
    >>> snap = write_tables(ds, Path(tmp.name) / "snapshot")
    >>> sorted(p.name for p in snap.iterdir())[-3:]
    ['rmps.parquet', 'screening.parquet', 'snapshot.json']
    >>> again = load_dataset(snap, "hiow")  # opened as it is, not validated again
    >>> again.data_hash == ds.data_hash, again.people.equals(ds.people)
    (True, True)
    >>> tmp.cleanup()
    """
    import json

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ds.tables:
        if not ds.tables.written_in(name, folder):  # a table let go to this folder is there already
            ds.tables[name].to_parquet(folder / f"{name}.parquet", index=False)
    meta = {"data_hash": ds.data_hash, "source": Path(ds.source).name, "warnings": list(ds.warnings),
            "programme": ds.programme.source, "tables": sorted(ds.tables)}
    (folder / SNAPSHOT).write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
    return folder


def read_frame(path: str | Path, columns=None, filters=None) -> pd.DataFrame:
    """A Parquet file written from the library's frames, read back in the same dtypes.

    Arrow-string identifiers (`IDENTIFIER_DTYPE`) come back as Arrow strings, not as pandas' default
    Python-object strings.

    Parameters
    ----------
    path : str or Path
        The Parquet file.
    columns : list of str, optional
        Only these columns (default all).
    filters : list of tuple, optional
        Only the rows these pyarrow filters keep (``[("da_flag", "==", True)]``), chosen as the file is
        read.

    Returns
    -------
    DataFrame
        Rows in the file's order, numbered from 0.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "ids.parquet"
    >>> pd.DataFrame({"offence_id": pd.array(["O0000000A1", None], dtype=IDENTIFIER_DTYPE)}).to_parquet(path)
    >>> read_frame(path).offence_id.dtype == IDENTIFIER_DTYPE
    True
    """
    with pd.option_context("mode.string_storage", "pyarrow"):
        return pd.read_parquet(path, columns=columns, filters=filters)


class _Tables(Mapping):
    """A dataset's tables: held in memory, or read from a snapshot folder's Parquet files when first asked
    for.

    A loaded extract holds every table; a snapshot folder's tables are read on first use, so a report
    that reads only the reduced tables never loads the event tables (at national scale they hold
    millions of rows, and every report notebook opens the snapshot). Once an extract's tables are
    written to a snapshot folder, `spill` lets some of them go: they are read back from there when
    asked for, whole or in part (`read`). Read-only, like a mapping of frames.
    """

    def __init__(self, names, folder: Path | None = None, frames: dict | None = None):
        self._names = tuple(names)
        self._folder = None if folder is None else Path(folder)
        self._cache: dict[str, pd.DataFrame] = dict(frames or {})
        # the tables that can be read back from the folder, and so let go
        self._on_disk = frozenset(self._names) if folder is not None else frozenset()

    def _path(self, name: str) -> Path:
        return self._folder / f"{name}.parquet"

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._cache:
            self._cache[name] = read_frame(self._path(name))
        return self._cache[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name) -> bool:
        return name in self._names

    def __repr__(self) -> str:
        where = f" in {self._folder}" if self._folder is not None else ""
        return f"<tables {', '.join(self._names)}{where} (in memory: {sorted(self._cache)})>"

    def _held(self, name: str) -> pd.DataFrame | None:
        """The table when it is in memory, else None (KeyError for a name that is no table)."""
        if name not in self._names:
            raise KeyError(name)
        return self._cache.get(name)

    def rows(self, name: str) -> int:
        """Rows of a table: its length when held, else its Parquet file's footer (the table unread)."""
        if (held := self._held(name)) is not None:
            return len(held)
        import pyarrow.parquet as pq

        return pq.ParquetFile(self._path(name)).metadata.num_rows

    def read(self, name: str, columns=None, where=None) -> pd.DataFrame:
        """Some columns and rows of a table; from its Parquet file, with the rows chosen as it is read,
        when the table is not held."""
        if (held := self._held(name)) is not None:
            return _select(held, columns, where)
        filters = [(col, "in", list(pd.unique(np.asarray(v, dtype=object)))) if _is_many(v) else (col, "==", v)
                   for col, v in (where or {}).items()]
        return read_frame(self._path(name), columns=None if columns is None else list(columns),
                          filters=filters or None)

    def columns(self, name: str) -> list[str]:
        """A table's columns: the frame's when held, else its Parquet file's schema (the table unread)."""
        if (held := self._held(name)) is not None:
            return list(held.columns)
        import pyarrow.parquet as pq

        return [c for c in pq.read_schema(self._path(name)).names if not c.startswith("__index_level_")]

    def _is_folder(self, folder) -> bool:
        return self._folder is not None and self._folder.resolve() == Path(folder).resolve()

    def written_in(self, name: str, folder) -> bool:
        """Whether the table is read back from this folder's Parquet file (so is written there)."""
        return name in self._on_disk and self._is_folder(folder)

    @property
    def loaded(self) -> frozenset:
        """Names of the tables held in memory."""
        return frozenset(self._cache)

    def forget(self) -> None:
        """Drop the tables held that can be read back from the folder, freeing their memory."""
        for name in self._on_disk:
            self._cache.pop(name, None)

    def spill(self, folder: Path, names) -> None:
        """Let go of the tables named, to be read back from ``folder``, where they were written."""
        folder, names = Path(folder), tuple(names)
        missing = [n for n in names if n not in self._names or not (folder / f"{n}.parquet").is_file()]
        if missing:
            raise FileNotFoundError(f"{folder} holds no Parquet file of the tables {missing}")
        if self._folder is not None and not self._is_folder(folder):
            raise ValueError(f"these tables are read back from {self._folder}, not {folder}")
        self._folder = folder
        self._on_disk = self._on_disk | frozenset(names)
        for name in names:
            self._cache.pop(name, None)


def _is_many(value) -> bool:
    return not isinstance(value, (str, bytes)) and np.ndim(value) > 0


def _select(frame: pd.DataFrame, columns=None, where=None) -> pd.DataFrame:
    """``frame``'s rows where each column of ``where`` equals its value (or is one of its values, a
    list), and the columns named, renumbered from 0 in the table's order."""
    keep = None
    for col, v in (where or {}).items():
        hit = frame[col].isin(pd.unique(np.asarray(v, dtype=object))) if _is_many(v) else frame[col] == v
        hit = np.asarray(hit.fillna(False) if hasattr(hit, "fillna") else hit, dtype=bool)
        keep = hit if keep is None else keep & hit
    out = frame if columns is None else frame[list(columns)]
    if keep is not None:
        out = out[keep]
    return out.reset_index(drop=True)


def _read_snapshot(folder: Path, prog: Programme) -> Dataset:
    import json

    meta = json.loads((folder / SNAPSHOT).read_text(encoding="utf-8"))
    tables = _Tables(list(meta["tables"]), folder=folder)
    return Dataset(programme=prog, tables=tables, source=meta["source"],
                   data_hash=meta["data_hash"], warnings=tuple(meta["warnings"]))


def load_dataset(folder: str | Path, programme: Programme | str = DEFAULT_PROGRAMME, extract_date=None) -> Dataset:
    """Read and validate an extract folder.

    Each table is read from ``<table>.csv``, ``.parquet`` or ``.xlsx`` and checked against its schema in
    ``data_schemas/`` as the programme uses it (types, required columns and values, allowed values,
    patterns, unique keys), then across tables (every ``person_id`` is a person, and so on) and against
    the programme (dates inside the study and before the extract date, eligibility as the criteria
    say, risk-tool totals and priority flags, referral stages in order, nothing dated after a death).
    Every failure is collected before anything is raised. Input files are only read.

    A folder written by [`write_tables`][foundation_eval.data.load.write_tables] (already validated)
    is opened directly, unless ``extract_date`` is given.

    Parameters
    ----------
    folder : str or Path
        Folder with one file per table (``people.csv``, ``people.parquet`` or ``people.xlsx``...).
    programme : Programme or str
        Programme definition the extract must agree with, or the id or TOML path of one.
    extract_date : date-like, optional
        Latest date allowed in the data; defaults to the programme's extract date.

    Returns
    -------
    Dataset
        The typed tables, with the input files' SHA-256 hash and any warnings (extra columns ignored,
        optional tables absent). An absent optional table is an empty frame with the schema's columns.

    Raises
    ------
    ValidationError
        With every failure found, when the extract breaks the data contract (also when the folder does
        not exist).
    foundation_eval.config.ConfigError
        When ``programme`` names no programme file or the file is inconsistent.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from foundation_eval.data import synth
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = synth.write(synth.generate(seed=1, scale=0.02, truth_replicates=2), Path(tmp.name) / "x")
    >>> ds = load_dataset(folder, "hiow")
    >>> sorted(ds.tables)[:4], ds.warnings
    (['contacts', 'districts', 'exits', 'offences'], ())

    One value outside the contract, and the whole extract is refused with a message saying where:

    >>> people = folder / "people.csv"
    >>> lines = people.read_text().splitlines()
    >>> lines[1] = lines[1].replace(",male,", ",M,")
    >>> _ = people.write_text("\\n".join(lines) + "\\n")
    >>> load_dataset(folder, "hiow")
    Traceback (most recent call last):
    ...
    foundation_eval.data.load.ValidationError: ...: the extract breaks 1 rule of the data contract
      - people.csv, column sex: value not allowed (allowed: male, female, other, unknown) (1 row)
          e.g. line 2: 'M'
    >>> tmp.cleanup()
    """
    prog = load_programme(programme) if isinstance(programme, str) else programme
    folder = Path(folder)
    extract = pd.Timestamp(extract_date) if extract_date is not None else prog.extract_date
    failures: list[Failure] = []
    warnings: list[str] = []
    if not folder.is_dir():
        raise ValidationError(str(folder), [Failure(str(folder), "", "folder does not exist", 0)])
    if (folder / SNAPSHOT).exists() and extract_date is None:
        return _read_snapshot(folder, prog)
    # the shared contract as this programme uses it: its criteria, risk-tool items, pathways and extra columns
    schemas = programme_schemas(prog)
    raw: dict[str, _Table] = {}
    checked: dict[str, pl.DataFrame] = {}
    absent_columns: dict[str, set[str]] = {}
    tables: dict[str, pd.DataFrame] = {}
    used: list[Path] = []
    for name in TABLE_ORDER:
        schema = schemas[name]
        found = _find(folder, name)
        if len(found) > 1:
            failures.append(Failure(", ".join(p.name for p in found), "", f"more than one file for table {name}: keep one", 0))
            continue
        if not found:
            if schema.required_table:
                failures.append(Failure(f"{name}.csv", "", f"required table is missing (expected {name}.csv, "
                                        f"{name}.parquet or {name}.xlsx)", 0))
            else:
                warnings.append(f"optional table {name} is absent: its sections are left out")
                # empty, but typed as the schema says, so that every analysis runs without the table
                tables[name] = pd.DataFrame({f.name: pd.Series(dtype=_empty_dtype(f)) for f in schema.fields})
            continue
        if name == "ppit_assessments" and not prog.has_risk_tool:
            failures.append(Failure(found[0].name, "", f"the programme {prog.id!r} defines no risk tool: remove this "
                                    "table or add a [ppit] section to the programme file", 0))
            continue
        used.append(found[0])
        t = _read(found[0], schema, failures)
        if t is None:
            continue
        raw[name] = t
        typed = _parse_columns(t, schema, failures, warnings)
        if typed is not None:
            # typed columns are kept for the cross-table checks even when the run fails anyway
            checked[name] = typed
            present_cols = {str(c).strip() for c in t.frame.columns}
            absent_columns[name] = {f.name for f in schema.fields if f.name not in present_cols}
    _check_foreign_keys(checked, raw, schemas, failures)
    _programme_rules(checked, raw, prog, extract, schemas, failures)
    if failures:
        raise ValidationError(str(folder), failures)
    raw.clear()
    shared = None
    for name in list(checked):
        frame = checked.pop(name)
        ids = frame.get_column("person_id") if name == "people" else None
        tables[name] = _to_pandas(frame, schemas[name], absent_columns[name], shared)  # empties the frame
        if name == "people":  # every event table names people: hold each identifier once
            shared = {"person_id": (_known(ids), tables[name]["person_id"].to_numpy())}
        del frame, ids
    del shared
    tables = {name: tables[name] for name in TABLE_ORDER if name in tables}
    return Dataset(
        programme=prog,
        tables=_Tables(list(tables), frames=tables),
        source=str(folder),
        data_hash=_hash_files(used),
        warnings=tuple(warnings),
    )


def validate_folder(folder: str | Path, programme: Programme | str = DEFAULT_PROGRAMME) -> list[Failure]:
    """All failures of an extract (empty when it is valid).

    The same checks as [`load_dataset`][foundation_eval.data.load.load_dataset], returning the failures
    instead of raising them; what ``foundation-eval validate`` runs.

    Parameters
    ----------
    folder : str or Path
        The extract folder.
    programme : Programme or str
        Programme definition the extract must agree with, or the id or TOML path of one.

    Returns
    -------
    list of Failure
        Every broken rule; an empty list when the extract is valid.

    Raises
    ------
    foundation_eval.config.ConfigError
        When ``programme`` names no programme file (a bad programme is not a failure of the extract).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from foundation_eval.data import synth
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = synth.write(synth.generate(seed=1, scale=0.02, truth_replicates=2), Path(tmp.name) / "x")
    >>> validate_folder(folder, "hiow")
    []
    >>> (folder / "exits.csv").unlink()
    >>> [(f.file, f.rule) for f in validate_folder(folder, "hiow")]
    [('exits.csv', 'required table is missing (expected exits.csv, exits.parquet or exits.xlsx)')]
    >>> tmp.cleanup()
    """
    try:
        load_dataset(folder, programme)
    except ValidationError as exc:
        return exc.failures
    return []
