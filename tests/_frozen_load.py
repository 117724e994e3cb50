"""A frozen copy of the pandas loader that the polars loader replaced, kept only as the reference in
``tests/test_load_equivalence.py``: the new loader must load the same tables (dtypes and values) and
report the same failures. Do not edit or import it elsewhere.

Load an extract folder into one validated, read-only :class:`Dataset`.

Every table is read as text first and checked against its schema in ``data_schemas/`` (types,
required columns and values, allowed values, patterns, keys), then across tables (foreign keys)
and against the programme definition (dates, eligibility logic, risk-tool totals, referral stage
order). All failures are collected and reported together, each naming the file, the column, the
rule and up to five example rows. Input files are only ever read.
"""
from __future__ import annotations

import difflib
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from foundation_eval.config import AGE_CRITERION, DEFAULT_PROGRAMME, Programme, load_programme
from foundation_eval.schemas import TABLE_ORDER, TableSchema, programme_schemas

__all__ = ["Dataset", "Failure", "ValidationError", "load_dataset", "validate_folder", "write_snapshot"]

SUFFIXES = (".csv", ".parquet", ".xlsx")
MAX_EXAMPLES = 5
_TRUE = {"true", "True", "TRUE", "1"}
_FALSE = {"false", "False", "FALSE", "0"}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YM_RE = re.compile(r"^\d{4}-\d{2}$")
_INT_RE = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class Failure:
    """One broken rule: where it is and a few rows that break it."""

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
    """Raised when an extract breaks the data contract; carries every failure found."""

    def __init__(self, folder: str, failures: list[Failure]):
        self.folder = folder
        self.failures = list(failures)
        super().__init__(self.report())

    def report(self) -> str:
        n = len(self.failures)
        head = f"{self.folder}: the extract breaks {n} rule{'s' if n != 1 else ''} of the data contract"
        return head + "\n" + "\n".join(f"  - {f}" for f in self.failures)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([f.__dict__ for f in self.failures])


@dataclass(frozen=True)
class Dataset:
    """A validated extract. Tables are typed DataFrames; treat them as read-only.

    Attributes
    ----------
    programme : Programme
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
        :func:`foundation_eval.frames.reduce.with_reduced`); analysis frames are read from it when present
        instead of being rebuilt from the events. Derived data, never results.
    """

    programme: Programme
    tables: Mapping[str, pd.DataFrame]
    source: str
    data_hash: str
    warnings: tuple[str, ...] = field(default=())
    reduced: object | None = field(default=None, repr=False, compare=False)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = object.__getattribute__(self, "tables")
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @property
    def extract_date(self) -> pd.Timestamp:
        return self.programme.extract_date


# ------------------------------------------------------------------------------------------ reading
class _Table:
    """Raw text of one table plus how to name its rows in messages."""

    def __init__(self, path: Path, frame: pd.DataFrame, first_line: int):
        self.path, self.frame, self.first_line = path, frame, first_line

    def row(self, idx) -> str:
        if self.path.suffix == ".parquet":
            return f"row {int(idx) + 1}"
        return f"line {int(idx) + self.first_line}"


def _find(folder: Path, name: str) -> list[Path]:
    return [folder / f"{name}{s}" for s in SUFFIXES if (folder / f"{name}{s}").exists()]


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
        if not text.strip():
            failures.append(Failure(fname, "", "file is empty (a header row is required)", 0))
            return None
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
        except (pd.errors.ParserError, ValueError) as exc:
            failures.append(Failure(fname, "", f"not a readable CSV table: {str(exc).strip()}", 0))
            return None
        return _Table(path, frame, 2)
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
        frame.columns = [str(c).strip() for c in sheet.iloc[0]]
        # Excel turns dates into timestamps; keep the date part
        frame = frame.apply(lambda s: s.str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", r"\1", regex=True))
        return _Table(path, frame, 2)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        # text stays in Arrow memory: a national extract holds tens of millions of identifiers
        arrow_text = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}
        frame = pq.read_table(path).to_pandas(types_mapper=arrow_text.get)
    except Exception as exc:  # noqa: BLE001
        failures.append(Failure(fname, "", f"not a readable Parquet file: {exc}", 0))
        return None
    # typed columns are kept: those already of their schema's type skip the text checks
    return _Table(path, frame, 0)


def _is_text(s: pd.Series) -> bool:
    return s.dtype == object or isinstance(s.dtype, pd.StringDtype)


def _as_text(s: pd.Series) -> pd.Series:
    """A typed (Parquet) column written out as the text a CSV would hold, for the text checks."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d")
    if isinstance(s.dtype, pd.PeriodDtype):
        return s.dt.strftime("%Y-%m").where(s.notna(), None)
    if pd.api.types.is_bool_dtype(s):
        return s.map({True: "true", False: "false"})
    return s.astype("string")


def _native(s: pd.Series, kind: str) -> pd.Series | None:
    """A typed column already of the schema's type, in the dtype the library uses; None if it is not."""
    d = s.dtype
    if kind == "date" and pd.api.types.is_datetime64_dtype(d):  # tz-aware goes the text way
        return s.astype("datetime64[ns]").dt.floor("D")  # as the text route, which keeps the date only
    if kind == "boolean" and pd.api.types.is_bool_dtype(d):
        return s.astype("boolean")
    if kind == "integer" and pd.api.types.is_integer_dtype(d):
        return s.astype("Int64")
    if kind == "number" and pd.api.types.is_numeric_dtype(d) and not pd.api.types.is_bool_dtype(d):
        out = s.astype(float)
        return out if np.isfinite(out.dropna()).all() else None  # infinities get the text route's message
    if kind == "yearmonth" and str(d) == "period[M]":
        return s
    return None


# ------------------------------------------------------------------------------------------ checks
def _examples(t: _Table, mask: pd.Series, col: str | None = None) -> tuple[str, ...]:
    idx = mask[mask].index[:MAX_EXAMPLES]
    if col is None:
        return tuple(t.row(i) for i in idx)
    return tuple(f"{t.row(i)}: {t.frame.at[i, col]!r}" for i in idx)


def _fail(failures, t: _Table, col: str, rule: str, mask: pd.Series, show=True):
    n = int(mask.sum())
    if n:
        failures.append(Failure(t.path.name, col, rule, n, _examples(t, mask, col if show else None)))


def _parse_columns(t: _Table, schema: TableSchema, failures: list[Failure], warnings: list[str]) -> pd.DataFrame | None:
    fname = t.path.name
    frame = t.frame
    frame.columns = [str(c).strip() for c in frame.columns]
    present = list(frame.columns)
    missing = [f.name for f in schema.fields if f.name not in present]
    extra = [c for c in present if c not in schema.field_names]
    dupes = sorted({c for c in present if present.count(c) > 1})
    if dupes:
        failures.append(Failure(fname, ", ".join(dupes), "column appears more than once", 0))
        return None
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
    typed = {}
    ok = True
    for f in schema.fields:
        if f.name not in present:
            typed[f.name] = pd.Series([pd.NA] * len(frame), dtype=object)
            continue
        col = frame[f.name]
        native = None if _is_text(col) or f.enum is not None or f.pattern is not None else _native(col, f.type)
        if native is None:
            # text (CSV, Excel, or a typed column written out); Arrow strings keep the checks vectorised
            s = (col if _is_text(col) else _as_text(col)).astype("string[pyarrow]").str.strip()
            s = s.where(s != "")
        else:
            s = native
        null = s.isna()
        if f.required:
            _fail(failures, t, f.name, "value is required but blank", null, show=False)
        val = s[~null]
        bad = pd.Series(False, index=s.index)
        if native is not None:
            out = native
        elif f.type == "string":
            out = s.astype(object).where(~null, None)
        elif f.type == "integer":
            good = val.str.match(_INT_RE.pattern)
            bad[val.index[~good]] = True
            _fail(failures, t, f.name, "must be a whole number", bad)
            out = pd.to_numeric(s.where(~bad), errors="coerce").astype("Int64")
        elif f.type == "number":
            num = pd.to_numeric(val, errors="coerce")
            bad[val.index[num.isna() | ~np.isfinite(num.fillna(0))]] = True
            _fail(failures, t, f.name, "must be a number", bad)
            out = pd.to_numeric(s.where(~bad), errors="coerce").astype(float)
        elif f.type == "boolean":
            good = val.isin(_TRUE | _FALSE)
            bad[val.index[~good]] = True
            _fail(failures, t, f.name, "must be true or false", bad)
            out = pd.Series(pd.NA, index=s.index, dtype="boolean")
            out[s.isin(_TRUE)] = True
            out[s.isin(_FALSE)] = False
        elif f.type == "date":
            shape = val.str.match(_DATE_RE.pattern)
            parsed = pd.to_datetime(val.where(shape), format="%Y-%m-%d", errors="coerce")
            not_iso = val.index[~shape]
            impossible = val.index[shape & parsed.isna()]
            m1 = pd.Series(False, index=s.index)
            m1[not_iso] = True
            m2 = pd.Series(False, index=s.index)
            m2[impossible] = True
            _fail(failures, t, f.name, "date must be ISO 8601 YYYY-MM-DD", m1)
            _fail(failures, t, f.name, "not a real calendar date", m2)
            bad = m1 | m2
            out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
            out[parsed.index] = parsed
        elif f.type == "yearmonth":
            shape = val.str.match(_YM_RE.pattern)
            month_ok = shape & val.str[5:7].isin([f"{m:02d}" for m in range(1, 13)])
            bad[val.index[~month_ok]] = True
            _fail(failures, t, f.name, "year-month must be YYYY-MM with a month 01-12", bad)
            out = pd.Series(pd.NaT, index=s.index, dtype="period[M]")
            good_idx = val.index[month_ok]
            if len(good_idx):
                good = val[good_idx]
                # ordinals from the digits: far faster than parsing each string as a Period
                ords = (good.str[:4].astype(int) - 1970) * 12 + good.str[5:7].astype(int) - 1
                out[good_idx] = pd.PeriodIndex.from_ordinals(ords.to_numpy(), freq="M")
        else:
            raise ValueError(f"schema type {f.type!r} is not supported")
        ok &= not bad.any()
        present_ok = ~null & ~bad
        if f.enum is not None:
            m = present_ok & ~s.isin(f.enum)
            _fail(failures, t, f.name, f"value not allowed (allowed: {', '.join(f.enum)})", m)
        if f.pattern is not None:
            m = present_ok & ~s.str.fullmatch(f.pattern).fillna(False).astype(bool)
            _fail(failures, t, f.name, f"value does not match the identifier pattern {f.pattern}", m)
        if f.minimum is not None:
            m = present_ok & (pd.to_numeric(out, errors="coerce") < f.minimum).fillna(False).astype(bool)
            _fail(failures, t, f.name, f"value below the minimum {f.minimum}", m)
        if f.maximum is not None:
            m = present_ok & (pd.to_numeric(out, errors="coerce") > f.maximum).fillna(False).astype(bool)
            _fail(failures, t, f.name, f"value above the maximum {f.maximum}", m)
        if f.unique:
            m = present_ok & s.duplicated(keep=False)
            _fail(failures, t, f.name, "value must be unique but is repeated", m)
        typed[f.name] = out
    result = pd.DataFrame(typed, index=frame.index)
    if len(schema.primary_key) > 1:
        m = result.duplicated(list(schema.primary_key), keep=False)
        _fail(failures, t, ", ".join(schema.primary_key), "key must be unique but is repeated", m, show=False)
    return result if ok else result


def _check_foreign_keys(tables, raw, schemas, failures):
    for name, schema in schemas.items():
        if name not in tables:
            continue
        for cols, ref, refcols in schema.foreign_keys:
            if ref not in tables:
                continue
            child = tables[name][list(cols)]
            parent = tables[ref][list(refcols)]
            if len(cols) == 1:
                found = child.iloc[:, 0].isin(parent.iloc[:, 0])
            else:
                found = pd.MultiIndex.from_frame(child.astype(str)).isin(pd.MultiIndex.from_frame(parent.astype(str)))
            m = child.notna().all(axis=1) & ~pd.Series(found, index=child.index)
            _fail(failures, raw[name], ", ".join(cols), f"no matching {', '.join(refcols)} in {raw[ref].path.name}", m)


def _programme_rules(tables, raw, prog: Programme, extract: pd.Timestamp, failures):
    def T(name):
        return tables.get(name)

    # nothing after the extract date
    for name, frame in tables.items():
        for col in frame.columns:
            s = frame[col]
            if pd.api.types.is_datetime64_any_dtype(s):
                _fail(failures, raw[name], col, f"date is after the extract date {extract.date()}",
                      (s > extract).fillna(False))
    dist = T("districts")
    if dist is not None:
        known = {d.id: d for d in prog.districts}
        for i, row in dist.iterrows():
            d = known.get(row.district_id)
            if d is None:
                failures.append(Failure(raw["districts"].path.name, "district_id",
                                        f"district {row.district_id!r} is not in the programme definition {Path(prog.source).name}",
                                        1, (raw["districts"].row(i),)))
                continue
            for col in ("go_live", "practitioner_from"):
                if pd.notna(row[col]) and row[col] != getattr(d, col):
                    failures.append(Failure(raw["districts"].path.name, col,
                                            f"{row.district_id} has {row[col]} here but {getattr(d, col)} in the programme "
                                            f"definition {Path(prog.source).name}", 1, (raw["districts"].row(i),)))
    people, scr = T("people"), T("screening")
    if scr is not None:
        t = raw["screening"]
        m = scr.month.notna() & ((scr.month < prog.study_start) | (scr.month > prog.study_end))
        _fail(failures, t, "month", f"month outside the study period {prog.study_start} to {prog.study_end}", m)
        m = scr.month.notna() & (scr.month > extract.to_period("M"))
        _fail(failures, t, "month", f"month is after the extract date {extract.date()}", m)
        crit = [c for c, _ in prog.criteria]
        if all(c in scr for c in crit):
            allc = scr[crit].fillna(False).astype(bool).all(axis=1)
            m = scr.eligible.notna() & (scr.eligible.fillna(False).astype(bool) != allc)
            _fail(failures, t, "eligible", "eligible must be true exactly when all criteria are true", m, show=False)
        go = pd.Series({d.id: d.go_live for d in prog.districts})
        live = scr.month.notna() & scr.district_id.isin(go.index)
        live_mask = pd.Series(False, index=scr.index)
        go_ord = pd.Series({d: p.ordinal for d, p in go.items()})
        live_mask[live] = scr.month[live].array.asi8 >= scr.district_id[live].map(go_ord).to_numpy()
        listed = scr.listed.fillna(False).astype(bool)
        m = listed & ~scr.eligible.fillna(False).astype(bool)
        _fail(failures, t, "listed", "listed but not eligible", m, show=False)
        m = listed & ~live_mask & scr.district_id.isin(go.index)
        _fail(failures, t, "listed", "listed before the district went live", m, show=False)
        if people is not None and prog.has_age_criterion and AGE_CRITERION in scr:
            birth = people.drop_duplicates("person_id").set_index("person_id").birth_ym
            b = scr.person_id.map(birth)
            ok = b.notna() & scr.month.notna()
            age = pd.Series(np.nan, index=scr.index)
            age[ok] = (scr.month[ok].array.asi8 - b[ok].array.asi8) // 12
            in_band = (age >= prog.age_min) & (age <= prog.age_max)
            crit_age = scr[AGE_CRITERION]
            m = ok & crit_age.notna() & (crit_age.fillna(False).astype(bool) != in_band)
            _fail(failures, t, AGE_CRITERION, f"{AGE_CRITERION} disagrees with birth_ym (age band {prog.age_min}-{prog.age_max})", m,
                  show=False)
    pp = T("ppit_assessments")
    if pp is not None and len(pp):
        t = raw["ppit_assessments"]
        items = list(prog.ppit_item_ids)
        scale = set(prog.ppit_scale)
        for c in items:
            if c in pp:
                m = pp[c].notna() & ~pp[c].isin(scale)
                _fail(failures, t, c, f"item score off the scale {sorted(scale)}", m)
        present = [c for c in items if c in pp]
        if present:
            sums = pp[present].astype(float).sum(axis=1, min_count=len(present))
            m = pp.total.notna() & sums.notna() & (pp.total.astype(float) != sums)
            _fail(failures, t, "total", "total does not equal the sum of the item scores", m)
        m = pp.total.notna() & pp.priority.notna() & (pp.priority.astype(bool) != (pp.total >= prog.ppit_threshold))
        _fail(failures, t, "priority", f"priority must be true exactly when total >= {prog.ppit_threshold}", m, show=False)
    ref = T("referrals")
    if ref is not None and len(ref):
        t = raw["referrals"]
        stages = ["referred_date", "accepted_date", "started_date", "completed_date"]
        for a, b in zip(stages, stages[1:], strict=False):
            m = (ref[b] < ref[a]).fillna(False)
            _fail(failures, t, b, f"{b} is before {a}: referral stages out of order", m)
        m = (ref.dropped_date < ref.referred_date).fillna(False)
        _fail(failures, t, "dropped_date", "dropped_date is before referred_date", m)
        m = ref.completed_date.notna() & ref.dropped_date.notna()
        _fail(failures, t, "completed_date", "a referral cannot be both completed and dropped", m, show=False)
        m = ref.started_date.notna() & ref.accepted_date.isna()
        _fail(failures, t, "accepted_date", "started without being accepted", m, show=False)
        m = ref.completed_date.notna() & ref.started_date.isna()
        _fail(failures, t, "started_date", "completed without being started", m, show=False)
        svc = {s.id: s.pathway for s in prog.services}
        m = ref.service.notna() & ~ref.service.isin(list(svc))
        _fail(failures, t, "service", f"service not in the programme definition ({', '.join(svc)})", m)
        m = ref.service.isin(list(svc)) & ref.pathway.notna() & (ref.service.map(svc) != ref.pathway)
        _fail(failures, t, "pathway", "pathway does not match the service's pathway in the programme definition", m)
    off = T("offences")
    if off is not None and len(off):
        t = raw["offences"]
        types = {o.id for o in prog.offence_types}
        m = off.offence_type.notna() & ~off.offence_type.isin(types)
        _fail(failures, t, "offence_type", "offence type not in the programme definition", m)
        m = off.da_flag.fillna(False).astype(bool) & off.victim_id.isna()
        _fail(failures, t, "victim_id", "a domestic-abuse offence must name a victim", m, show=False)
    ex = T("exits")
    if ex is not None and people is not None and len(ex):
        t = raw["exits"]
        birth = ex.person_id.map(people.drop_duplicates("person_id").set_index("person_id").birth_ym)
        ok = birth.notna() & ex.exit_date.notna()
        m = pd.Series(False, index=ex.index)
        m[ok] = ex.exit_date[ok].values < birth[ok].dt.start_time.values
        _fail(failures, t, "exit_date", "exit is before birth", m)
        if scr is not None:
            first = scr.groupby("person_id").month.min()
            f = ex.person_id.map(first)
            ok = f.notna() & ex.exit_date.notna()
            m = pd.Series(False, index=ex.index)
            m[ok] = ex.exit_date[ok].values < f[ok].dt.start_time.values
            _fail(failures, t, "exit_date", "exit is before the person's first screen (negative follow-up)", m)
        died = ex[ex.exit_reason == "died"].drop_duplicates("person_id").set_index("person_id").exit_date
        for name, cols in (("contacts", ["contact_date"]), ("offences", ["offence_date"]),
                           ("ppit_assessments", ["assessment_date"]), ("rmps", ["rmp_date"]),
                           ("referrals", ["referred_date", "accepted_date", "started_date", "completed_date"])):
            frame = T(name)
            if frame is None or not len(frame):
                continue
            dd = frame.person_id.map(died)
            for c in cols:
                m = (frame[c] > dd).fillna(False)
                _fail(failures, raw[name], c, "dated after the person's death", m)


def _hash_files(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


SNAPSHOT = "snapshot.json"


def write_snapshot(ds: Dataset, folder: str | Path) -> Path:
    """Save a validated dataset as typed Parquet tables, so that many reports can open it quickly.

    The render snapshot (:mod:`foundation_eval.evaluation.snapshot`) adds the reduced tables and the fitted
    headline estimates beside these tables.

    A snapshot holds person-level data: keep it out of any published folder.
    """
    import json

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in ds.tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    meta = {"data_hash": ds.data_hash, "source": Path(ds.source).name, "warnings": list(ds.warnings),
            "programme": ds.programme.source, "tables": sorted(ds.tables)}
    (folder / SNAPSHOT).write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
    return folder


def _read_snapshot(folder: Path, prog: Programme) -> Dataset:
    import json

    meta = json.loads((folder / SNAPSHOT).read_text(encoding="utf-8"))
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in meta["tables"]}
    return Dataset(programme=prog, tables=MappingProxyType(tables), source=meta["source"],
                   data_hash=meta["data_hash"], warnings=tuple(meta["warnings"]))


def load_dataset(folder: str | Path, programme: Programme | str = DEFAULT_PROGRAMME, extract_date=None) -> Dataset:
    """Read and validate an extract folder.

    Parameters
    ----------
    folder : path
        Folder with one file per table (``people.csv``, ``people.parquet`` or ``people.xlsx``...).
    programme : Programme or str
        Programme definition the extract must agree with.
    extract_date : date-like, optional
        Latest date allowed in the data; defaults to the programme's extract date.

    A folder written by :func:`write_snapshot` (already validated) is opened directly.

    Raises
    ------
    ValidationError
        With every failure found, when the extract breaks the data contract.
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
                tables[name] = pd.DataFrame({f.name: pd.Series(dtype=object) for f in schema.fields})
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
        before = len(failures)
        typed = _parse_columns(t, schema, failures, warnings)
        if typed is not None and len(failures) == before:
            tables[name] = typed
        elif typed is not None:
            # keep typed columns for cross-table checks, but the run fails anyway
            tables[name] = typed
    present = {k: v for k, v in tables.items() if k in raw}
    _check_foreign_keys(present, raw, schemas, failures)
    _programme_rules(present, raw, prog, extract, failures)
    if failures:
        raise ValidationError(str(folder), failures)
    for name in tables:
        tables[name] = tables[name].reset_index(drop=True)
    return Dataset(
        programme=prog,
        tables=MappingProxyType(tables),
        source=str(folder),
        data_hash=_hash_files(used),
        warnings=tuple(warnings),
    )


def validate_folder(folder: str | Path, programme: Programme | str = DEFAULT_PROGRAMME) -> list[Failure]:
    """All failures of an extract (empty when it is valid)."""
    try:
        load_dataset(folder, programme)
    except ValidationError as exc:
        return exc.failures
    return []
