"""From a force's own exports to an extract that meets the data contract.

A mapping file (TOML, see [`mapping_template`][foundation_eval.data.prepare.mapping_template]) says, for each contract table, which source file
(CSV, or an Excel workbook and sheet) it comes from and how each contract column is filled: a source
column copied, recoded (``Y``/``N``, sex and ethnicity codes, district names to codes), looked up
(a Home Office offence code to offence type and harm weight), parsed as a date in one of the accepted
formats (``%d/%m/%Y``..., ``excel`` for Excel serial day numbers; ISO ``YYYY-MM-DD`` always), or derived
(``birth_ym`` from a date of birth, which is then dropped). Identifier columns (those whose contract
pattern is a letter and hexadecimal digits) are replaced by keyed pseudonyms
([`foundation_eval.data.pseudonym`][foundation_eval.data.pseudonym]). Only contract columns are written.

Every problem is collected and reported at once
([`PrepareError`][foundation_eval.data.prepare.PrepareError], in the style of
[`ValidationError`][foundation_eval.data.load.ValidationError]), naming the file, the column, the rule
and example row numbers, never a raw identifier. The extract is written into a temporary folder beside
the destination, validated with [`load_dataset`][foundation_eval.data.load.load_dataset], and moved into
place only when valid: a refused run writes nothing. The guide "Preparing a force's own extract" walks
through a whole mapping.

Values in refusals
------------------
A refusal never quotes a source value that could identify a person, whatever the mapping declares
(a surname or a date of birth mapped by mistake to any column, declared ``private`` or not). It quotes a
value only when all of these hold:

1. the contract column takes a closed list of values: an allowed-values list of the data contract,
   true/false, or the keys of the recoding or lookup the mapping names for it (never a text, number,
   date or identifier column, nor a column declared ``private``);
2. at least half of the source column's non-blank values are allowed (a column of names or dates
   mapped by mistake has next to none, so none of its values is ever quoted);
3. the value looks like a code: at most 20 letters, digits and ``_ . / -``, no space, no run of more
   than three digits and at most five digits in all (so no full name, date, year or police number);
4. it is on two rows or more, or is a near miss of an allowed value (``Custdy`` for ``Custody``).

Any other value is described by its shape only (each digit ``9``, a run of capitals ``A``, of small
letters ``a``: a date ``99/99/9999``, a surname ``Aa``) and counted. A refusal of the prepared extract by
the data contract names the source file and its rows, and quotes only values the mapping or the
programme file supplied (recoded codes), never one copied from the source.
"""
from __future__ import annotations

import difflib
import io
import os
import re
import shutil
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from foundation_eval.config import DEFAULT_PROGRAMME, Programme, load_programme
from foundation_eval.data.load import MAX_EXAMPLES, Failure, ValidationError, load_dataset
from foundation_eval.data.pseudonym import (
    DEFAULT_KEY_ENV,
    HEX_DIGITS,
    Key,
    KeyProblem,
    Pseudonymiser,
    read_key,
)
from foundation_eval.schemas import TABLE_ORDER, Field, TableSchema, programme_schemas

__all__ = ["PrepareError", "Prepared", "prepare", "mapping_template", "identifier_letter"]

ISO_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S")
EXCEL = "excel"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's 1900 date system (serial 61 = 1900-03-01)
_NUMBER_RE = r"^\d+(\.\d+)?$"
_TRUE = {"true", "True", "TRUE", "1"}
_FALSE = {"false", "False", "FALSE", "0"}
_SPEC_KEYS = {"column", "recode", "lookup", "field", "formats", "derive", "value"}
_TABLE_KEYS = {"source", "sheet", "header_row", "encoding", "private", "where", "deduplicate", "from_programme",
               "columns"}
_KIND = {"P": "person", "V": "victim", "O": "offence", "C": "contact", "A": "assessment", "R": "assessor",
         "F": "referral", "M": "risk management plan"}


def identifier_letter(f: Field) -> str | None:
    """The pseudonym letter of an identifier field (``P`` for ``^P([0-9A-F]{8}|...)$``), or None.

    A contract column is an identifier when its schema pattern is one capital letter followed by
    hexadecimal digits; [`prepare`][foundation_eval.data.prepare.prepare] replaces its values by keyed
    pseudonyms starting with that letter (``P`` person, ``V`` victim, ``O`` offence, ``C`` contact,
    ``A`` assessment, ``R`` assessor, ``F`` referral, ``M`` risk management plan).

    Parameters
    ----------
    f : Field
        A field of a contract table's schema.

    Returns
    -------
    str or None
        The letter, or None when the field is not an identifier.

    Examples
    --------
    >>> from foundation_eval.config import load_programme
    >>> from foundation_eval.schemas import programme_schemas
    >>> offences = programme_schemas(load_programme("hiow"))["offences"]
    >>> [identifier_letter(offences.field(c)) for c in ("offence_id", "person_id", "victim_id", "offence_type")]
    ['O', 'P', 'V', None]
    """
    return f.pseudonym_letter


class PrepareError(ValidationError):
    """Raised when the exports cannot be prepared; carries every problem found. Nothing was written.

    A [`ValidationError`][foundation_eval.data.load.ValidationError] whose failures name the mapping
    file's section, the source file, the column, the rule and example row numbers (never a raw
    identifier, and a source value only when it is safely a code: see "Values in refusals" in the
    module's documentation). Failures of the prepared extract against the data contract are reported
    the same way, with the source file and rows, each rule starting "the prepared extract breaks the
    data contract".

    Parameters
    ----------
    folder : str
        The source folder (or the destination, for a problem found while writing), named at the head of
        the report.
    failures : list of Failure
        Every problem.

    Attributes
    ----------
    folder : str
        As given.
    failures : list of Failure
        Every problem, in the order found.

    Examples
    --------
    A mapping that names the programme and nothing else:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from foundation_eval.data.pseudonym import Key
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "mapping.toml").write_text('programme = "hiow"\\n')
    ...     try:
    ...         prepare(Path(tmp) / "mapping.toml", tmp, Path(tmp) / "extract", key=Key(b"0" * 32, "example"))
    ...     except PrepareError as exc:
    ...         err = exc
    >>> len(err.failures), err.failures[1].file, err.failures[1].rule[:33]
    (5, 'mapping.toml [tables.people]', 'required table has no source file')
    >>> report = err.report().splitlines()
    >>> report[0].endswith(": cannot prepare the extract: 5 problems"), report[1]
    (True, '  - mapping.toml [tables.districts]: required table has no source file (set source, or from_programme = true for districts)')
    """

    def report(self) -> str:
        """The problems as text for a person: a heading line, then one item per problem.

        Returns
        -------
        str
            The report, several lines; it contains no raw identifier.
        """
        n = len(self.failures)
        head = f"{self.folder}: cannot prepare the extract: {n} problem{'s' if n != 1 else ''}"
        return head + "\n" + "\n".join(f"  - {f}" for f in self.failures)


@dataclass(frozen=True)
class TableAccount:
    read: int
    dropped: int
    written: int
    source: str


@dataclass(frozen=True)
class Prepared:
    """What a successful run wrote: counts only, never an identifier.

    Returned by [`prepare`][foundation_eval.data.prepare.prepare]; ``foundation-eval prepare`` prints its
    [`summary`][foundation_eval.data.prepare.Prepared.summary].

    Attributes
    ----------
    out : Path
        The extract folder written.
    programme : str
        Id of the programme the extract is valid for.
    tables : Mapping of str to TableAccount
        Per table written: rows ``read`` from the source, ``dropped`` (by ``where`` filters or
        ``deduplicate``), ``written``, and the ``source`` (file and sheet, or the programme file).
    recodings : tuple of str
        One line per recoding or lookup applied, with the number of values it changed.
    pseudonyms : Mapping of str to int
        Number of distinct identifiers pseudonymised, by identifier letter.
    unmapped : tuple of str
        Source files with columns that were not written, and how many (their names are not listed).
    warnings : tuple of str
        The validation's warnings about the written extract (absent optional tables, for instance).

    Examples
    --------
    A tiny synthetic force written as CSV stands in for a force's exports; the mapping copies every
    column of the required tables as it is.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from foundation_eval.data import synth
    >>> from foundation_eval.data.pseudonym import Key
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = Path(tmp.name)
    >>> force = synth.generate("hiow", seed=1, scale=0.02, truth_replicates=2)
    >>> exports = synth.write(force, root / "exports")  # stands in for the force's own exports
    >>> lines = ['programme = "hiow"', "[tables.districts]", "from_programme = true"]
    >>> for name in ("people", "screening", "offences", "exits"):  # the required tables
    ...     lines += [f"[tables.{name}]", f'source = "{name}.csv"', f"[tables.{name}.columns]"]
    ...     lines += [f'{c} = "{c}"' for c in force.tables[name].columns]
    >>> _ = (root / "mapping.toml").write_text("\\n".join(lines))
    >>> done = prepare(root / "mapping.toml", exports, root / "extract", key=Key(b"0" * 32, "example"))
    >>> print(done.summary())  # doctest: +ELLIPSIS
    prepared 5 tables into .../extract (valid for programme hiow)
      table                  read  dropped  written  from
      districts                14        0       14  programme file hiow.toml
      people                  175        0      175  people.csv
      screening               756        0      756  screening.csv
      offences                841        0      841  offences.csv
      exits                    58        0       58  exits.csv
    pseudonymised (HMAC-SHA256, distinct identifiers): offence 841, person 175, victim 293
    warning: optional table ppit_assessments is absent: its sections are left out
    ...
    >>> done.pseudonyms["P"] == len(force.tables["people"])
    True
    >>> tmp.cleanup()
    """

    out: Path
    programme: str
    tables: Mapping[str, TableAccount]
    recodings: tuple[str, ...]
    pseudonyms: Mapping[str, int]
    unmapped: tuple[str, ...]
    warnings: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """The account printed after a run: a table of rows per table, then recodings, pseudonyms and warnings.

        Returns
        -------
        str
            Several lines of text with counts only, never an identifier.
        """
        lines = [f"prepared {len(self.tables)} tables into {self.out} (valid for programme {self.programme})",
                 f"  {'table':<18}{'read':>9}{'dropped':>9}{'written':>9}  from"]
        for name, a in self.tables.items():
            lines.append(f"  {name:<18}{a.read:>9,}{a.dropped:>9,}{a.written:>9,}  {a.source}")
        if self.recodings:
            lines.append("recodings applied:")
            lines += [f"  {r}" for r in self.recodings]
        if self.pseudonyms:
            lines.append("pseudonymised (HMAC-SHA256, distinct identifiers): " + ", ".join(
                f"{_KIND.get(k, k)} {n:,}" for k, n in self.pseudonyms.items()))
        if self.unmapped:
            lines.append("source columns not written: " + ", ".join(self.unmapped))
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------ the mapping
@dataclass(frozen=True)
class _Col:
    column: str | None = None
    recode: str | None = None  # name of a recode table (inline ones get a generated name)
    lookup: str | None = None
    field: str | None = None
    formats: tuple[str, ...] | None = None
    derive: str | None = None
    value: str | None = None


@dataclass
class _Mapping:
    path: Path
    programme: str | None
    key_file: str | None
    key_env: str | None
    date_formats: tuple[str, ...]
    month_formats: tuple[str, ...]
    recodes: dict[str, dict[str, str]]
    lookups: dict[str, dict[str, dict[str, str]]]
    tables: dict[str, dict]


def _text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_mapping(path: Path, failures: list[Failure]) -> _Mapping | None:
    name = path.name
    if not path.is_file():
        failures.append(Failure(name, "", "mapping file does not exist", 0))
        return None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        failures.append(Failure(name, "", f"not a readable TOML file: {exc}", 0))
        return None
    key = raw.get("key", {})
    fmts = raw.get("formats", {})
    recodes = {str(k): {str(a).strip(): _text(b) for a, b in v.items()} for k, v in raw.get("recode", {}).items()
               if isinstance(v, dict)}
    lookups: dict[str, dict[str, dict[str, str]]] = {}
    for lname, spec in raw.get("lookup", {}).items():
        where = f"[lookup.{lname}]"
        if "file" in spec:
            lpath = (path.parent / spec["file"])
            if not lpath.is_file():
                failures.append(Failure(f"{name} {where}", "", f"lookup file {spec['file']} not found beside the mapping file", 0))
                continue
            table = pd.read_csv(lpath, dtype=str, keep_default_na=False).apply(lambda s: s.str.strip())
            kcol = spec.get("key", table.columns[0])
            if kcol not in table:
                failures.append(Failure(f"{name} {where}", "", f"lookup file {lpath.name} has no key column {kcol!r}", 0))
                continue
            if table[kcol].duplicated().any():
                failures.append(Failure(f"{name} {where}", "", f"lookup file {lpath.name} repeats a code in column {kcol}", 0))
            lookups[lname] = {r[kcol]: {c: r[c] for c in table.columns if c != kcol}
                              for r in table.to_dict("records")}
        elif isinstance(spec.get("values"), dict):
            lookups[lname] = {str(code).strip(): {c: _text(v) for c, v in row.items()}
                              for code, row in spec["values"].items()}
        else:
            failures.append(Failure(f"{name} {where}", "", "a lookup needs `file` (a CSV beside the mapping) or a `values` "
                                    "table", 0))
    tables = raw.get("tables", {})
    unknown = [t for t in tables if t not in TABLE_ORDER]
    for t in unknown:
        near = difflib.get_close_matches(t, TABLE_ORDER, n=1)
        failures.append(Failure(f"{name} [tables.{t}]", "", "not a table of the data contract"
                                + (f" (is it {near[0]!r}?)" if near else ""), 0))
    return _Mapping(
        path=path, programme=raw.get("programme"), key_file=key.get("file"), key_env=key.get("env"),
        date_formats=tuple(fmts.get("date", ())), month_formats=tuple(fmts.get("yearmonth", ())),
        recodes=recodes, lookups=lookups, tables={k: v for k, v in tables.items() if k not in unknown},
    )


def _column_spec(mp: _Mapping, table: str, col: str, spec, failures) -> _Col | None:
    """None when the column has no mapping (absent or empty)."""
    sect = f"{mp.path.name} [tables.{table}.columns]"
    if spec is None or spec == "":
        return None
    if isinstance(spec, str):
        return _Col(column=spec)
    if not isinstance(spec, dict):
        failures.append(Failure(sect, col, "must be a source column name or a table such as "
                                "{ column = \"X\", recode = \"yes_no\" }", 0))
        return None
    bad = set(spec) - _SPEC_KEYS
    if bad:
        failures.append(Failure(sect, col, f"unknown setting(s) {', '.join(sorted(bad))} (allowed: "
                                f"{', '.join(sorted(_SPEC_KEYS))})", 0))
        return None
    if spec.get("column") in (None, "") and "value" not in spec:
        return None
    recode = spec.get("recode")
    if isinstance(recode, dict):
        rname = f"{table}.{col}"
        mp.recodes[rname] = {str(a).strip(): _text(b) for a, b in recode.items()}
        recode = rname
    elif recode is not None and recode not in mp.recodes:
        failures.append(Failure(sect, col, f"recode {recode!r} is not defined (add a [recode.{recode}] "
                                "table)", 0))
        return None
    lookup = spec.get("lookup")
    if lookup is not None:
        if lookup not in mp.lookups:
            failures.append(Failure(sect, col, f"lookup {lookup!r} is not defined (add a "
                                    f"[lookup.{lookup}] table)", 0))
            return None
        fname = spec.get("field", col)
        if not any(fname in row for row in mp.lookups[lookup].values()):
            failures.append(Failure(sect, col, f"lookup {lookup!r} has no field {fname!r}", 0))
            return None
    derive = spec.get("derive")
    if derive not in (None, "yearmonth"):
        failures.append(Failure(sect, col, f"unknown derivation {derive!r} (known: yearmonth)", 0))
        return None
    value = spec.get("value")
    return _Col(column=spec.get("column") or None, recode=recode, lookup=lookup,
                field=spec.get("field", col) if lookup else None,
                formats=tuple(spec["formats"]) if "formats" in spec else None, derive=derive,
                value=None if value is None else _text(value))


# ------------------------------------------------------------------------------------------ reading sources
@dataclass
class _Source:
    label: str  # "nominals.csv" or "partner.xlsx, sheet Referrals"
    frame: pd.DataFrame  # text, NA for blank, index = original position
    first_row: int  # row number of the first data row in the file
    word: str  # "line" (CSV) or "row" (Excel)

    def row(self, idx) -> str:
        return f"{self.word} {int(idx) + self.first_row}"


def _cell(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d") if v.time() == time(0) else v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, date):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    s = str(v).strip()
    return s or None


def _read_source(raw_dir: Path, table: str, spec: dict, failures, workbooks: dict) -> _Source | None:
    src = spec.get("source") or ""
    path = raw_dir / src
    if not path.is_file():
        failures.append(Failure(src, "", f"source file of table {table} not found in {raw_dir}", 0))
        return None
    header = int(spec.get("header_row", 1))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        sheet = spec.get("sheet")
        label = f"{src}, sheet {sheet}" if sheet else src
        try:
            if path not in workbooks:
                workbooks[path] = openpyxl.load_workbook(path, read_only=True, data_only=True)
            wb = workbooks[path]
            ws = wb[sheet] if sheet else wb.worksheets[0]
        except KeyError:
            failures.append(Failure(src, "", f"workbook has no sheet {sheet!r} (sheets: {', '.join(wb.sheetnames)})", 0))
            return None
        except Exception as exc:  # noqa: BLE001 - any reader error is a file problem to report
            failures.append(Failure(src, "", f"not a readable Excel workbook: {exc}", 0))
            return None
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # some exporters write a wrong sheet size; read every row that is there
        rows = [[_cell(v) for v in r] for r in ws.iter_rows(min_row=header, values_only=True)]
        if not rows:
            failures.append(Failure(label, "", f"sheet has no header on row {header}", 0))
            return None
        names = [str(c).strip() if c is not None else f"(column {k + 1})" for k, c in enumerate(rows[0])]
        body = [r + [None] * (len(names) - len(r)) for r in rows[1:]]
        frame = pd.DataFrame(body, columns=names, dtype=object)
        return _Source(label, frame, header + 1, "row")
    data = path.read_bytes()
    enc = spec.get("encoding", "utf-8-sig")
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        failures.append(Failure(src, "", f"not {enc} text (byte 0x{data[exc.start]:02x} on line {line}): set "
                                f"encoding = \"cp1252\" (or the export's encoding) in [tables.{table}]", 0))
        return None
    except LookupError:
        failures.append(Failure(src, "", f"unknown encoding {enc!r}", 0))
        return None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""],
                            skiprows=header - 1)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        failures.append(Failure(src, "", f"not a readable CSV table: {str(exc).strip()}", 0))
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda s: s.str.strip())
    return _Source(src, frame.astype(object).where(frame.notna() & (frame != ""), None), header + 1, "line")


# ------------------------------------------------------------------------------------------ values
def _parse_dates(s: pd.Series, formats) -> pd.Series:
    """Timestamps (NaT where blank or in no accepted format); ISO dates are always accepted."""
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    todo = s.notna()
    for fmt in (*ISO_FORMATS, *formats):
        if not todo.any():
            break
        part = s[todo].astype(str)
        if fmt == EXCEL:
            num = pd.to_numeric(part.where(part.str.match(_NUMBER_RE)), errors="coerce")
            num = num[(num >= 1) & (num < 2958466)]
            parsed = _EXCEL_EPOCH + pd.to_timedelta(np.floor(num.to_numpy(dtype=float)), unit="D")
            parsed = pd.Series(parsed, index=num.index)
        else:
            parsed = pd.to_datetime(part, format=fmt, errors="coerce").dropna()
        out.loc[parsed.index] = parsed
        todo &= out.isna()
    return out


def _examples(src: _Source, mask: pd.Series) -> tuple[str, ...]:
    return tuple(src.row(i) for i in mask[mask].index[:MAX_EXAMPLES])


# ------------------------------------------------------------------------------------------ values in refusals
# A refusal quotes a source value only when it is safely a code (the rule is in the module docstring).
_CODE = re.compile(r"[A-Za-z0-9_./-]{1,20}")


def _looks_like_code(v: str) -> bool:
    """Short, no space, and no digits like a date's, a year's or a police number's."""
    runs = [len(d) for d in re.findall(r"\d+", v)]
    return bool(_CODE.fullmatch(v)) and sum(runs) <= 5 and max(runs, default=0) <= 3


def _quotable(s: pd.Series, bad: pd.Series, allowed) -> set[str]:
    """The failing values of source column ``s`` that a refusal may quote; ``allowed`` is the closed list of
    values the column takes (None when it has none: free text, numbers, dates, identifiers, private)."""
    if allowed is None or 2 * int(bad.sum()) > int(s.notna().sum()):
        return set()  # most values fail: maybe a column of names or dates mapped by mistake, so quote none
    codes = [str(a).lower() for a in allowed]
    return {v for v, n in s[bad].value_counts().items() if _looks_like_code(v)
            and (n >= 2 or difflib.get_close_matches(v.lower(), codes, n=1, cutoff=0.8))}


def _shape(v: str) -> str:
    """What a value looks like, without the value: each digit 9, a run of capitals A, of small letters a."""
    t = "".join("9" if c.isdigit() else "A" if c.isupper() else "a" if c.isalpha() else c for c in v)
    t = re.sub(r"a+", "a", re.sub(r"A+", "A", t))
    return t if len(t) <= 24 else t[:23] + "..."


def _values(s: pd.Series, bad: pd.Series, allowed=None) -> str:
    """The failing values as a refusal may describe them: quoted when safe, otherwise by shape and count."""
    vals = s[bad].value_counts()
    quoted = _quotable(s, bad, allowed)
    shown, hidden = vals[vals.index.isin(quoted)], vals[~vals.index.isin(quoted)]
    parts = []
    if len(shown):
        more = f" and {len(shown) - MAX_EXAMPLES} more" if len(shown) > MAX_EXAMPLES else ""
        parts.append(", ".join(f"{v!r} ({c})" for v, c in shown.head(MAX_EXAMPLES).items()) + more)
    if len(hidden):
        shapes = hidden.groupby(hidden.index.map(_shape)).sum().sort_values(ascending=False, kind="stable")
        more = f" and {len(shapes) - MAX_EXAMPLES} more" if len(shapes) > MAX_EXAMPLES else ""
        parts.append(f"{'other ' if len(shown) else ''}values not shown, as they could identify a person; shaped "
                     + ", ".join(f"{k} ({c})" for k, c in shapes.head(MAX_EXAMPLES).items()) + more)
    if allowed is not None and int(bad.sum()) == int(s.notna().sum()):
        parts.append("no value of the column is allowed: is it the right source column?")
    return "; ".join(parts)


def _unrecoded(src: _Source, col: str, what: str, s: pd.Series, bad: pd.Series, allowed) -> Failure:
    """A 'value with no recoding' failure: the values as `_values` describes them, and example rows."""
    return Failure(src.label, col, f"value with no {what}: {_values(s, bad, allowed)}", int(bad.sum()),
                   _examples(src, bad))


# ------------------------------------------------------------------------------------------ one table
@dataclass
class _Built:
    frame: pd.DataFrame
    src: _Source | None
    account: TableAccount
    ids: dict[str, dict[str, pd.Series]]  # contract column -> (letter, raw values)
    private_cols: set[str]
    made: set[str] = field(default_factory=set)  # contract columns whose values the mapping or programme gives


def _build_table(name: str, schema: TableSchema, spec: dict, mp: _Mapping, prog: Programme, raw_dir: Path,
                 failures: list[Failure], workbooks: dict, recodings: list[str]) -> _Built | None:
    mname = mp.path.name
    bad = set(spec) - _TABLE_KEYS
    if bad:
        failures.append(Failure(f"{mname} [tables.{name}]", "", f"unknown setting(s) {', '.join(sorted(bad))} "
                                f"(allowed: {', '.join(sorted(_TABLE_KEYS))})", 0))
    if spec.get("from_programme"):
        if name != "districts":
            failures.append(Failure(f"{mname} [tables.{name}]", "", "from_programme works only for districts", 0))
            return None
        d = prog.districts_frame()
        frame = pd.DataFrame({
            "district_id": d.district_id, "district_name": d.district_name,
            "go_live": d.go_live.astype(str), "pilot": d.pilot.map({True: "true", False: "false"}),
            "practitioner_from": d.practitioner_from.astype(str)})
        frame = frame[[f for f in schema.field_names if f in frame]]
        return _Built(frame, None, TableAccount(len(frame), 0, len(frame), f"programme file {Path(prog.source).name}"),
                      {}, set(), set(frame.columns))
    src = None
    if not spec.get("source"):
        failures.append(Failure(f"{mname} [tables.{name}]", "", "required table has no source file (set source"
                                + (", or from_programme = true)" if name == "districts" else ")"), 0))
    elif raw_dir.is_dir():
        src = _read_source(raw_dir, name, spec, failures, workbooks)
    columns = spec.get("columns", {})
    specs = {}
    for f in schema.fields:
        c = _column_spec(mp, name, f.name, columns.get(f.name), failures)
        if c is None and f.required:
            failures.append(Failure(f"{mname} [tables.{name}.columns]", f.name,
                                    f"required column has no mapping ({_describe(f)})", 0))
        specs[f.name] = c
    for extra in set(columns) - set(schema.field_names):
        near = difflib.get_close_matches(extra, schema.field_names, n=1)
        failures.append(Failure(f"{mname} [tables.{name}.columns]", extra, f"not a column of contract table {name}"
                                + (f" (is it {near[0]!r}?)" if near else ""), 0))
    if src is None:
        return None
    frame = src.frame
    read = len(frame)
    present = set(frame.columns)
    private = {str(c) for c in spec.get("private", [])}
    where = spec.get("where", {})
    needed = [(f"[tables.{name}] private", c) for c in private] + [(f"[tables.{name}] where", c) for c in where]
    needed += [(f.name, specs[f.name].column) for f in schema.fields if specs[f.name] and specs[f.name].column]
    missing = False
    for col, source_col in needed:
        if source_col not in present:
            near = difflib.get_close_matches(source_col, list(present), n=1, cutoff=0.6)
            failures.append(Failure(src.label, source_col, f"mapped column (for {col}) is not in the source file"
                                    + (f" (is it {near[0]!r}?)" if near else ""), 0))
            missing = True
    if missing:
        return None
    # rows: drop blank ones, keep those the filter selects
    keep = frame.notna().any(axis=1)
    for col, allowed in where.items():
        allowed = [allowed] if isinstance(allowed, str) else [str(a) for a in allowed]
        keep &= frame[col].isin(allowed)
    frame = frame[keep]
    counted: list[tuple[str, pd.Series]] = []  # recodings applied: message and the rows they touched
    id_cols = {f.name: identifier_letter(f) for f in schema.fields if identifier_letter(f)}
    id_sources = {specs[c].column for c in id_cols if specs[c] and specs[c].column}
    private_cols = set(private) | id_sources
    private_cols |= {c.column for c in specs.values() if c and c.derive and c.column}
    out: dict[str, pd.Series] = {}
    ids: dict[str, dict[str, pd.Series]] = {}
    made = {f.name for f in schema.fields if specs[f.name] and (specs[f.name].recode or specs[f.name].lookup
                                                                  or not specs[f.name].column)}
    for f in schema.fields:
        c = specs[f.name]
        if c is None:
            out[f.name] = pd.Series(None, index=frame.index, dtype=object)
            continue
        if c.column in private and not c.derive:
            failures.append(Failure(f"{mname} [tables.{name}.columns]", f.name,
                                    f"maps private column {c.column!r}, which must never be written (a date of birth "
                                    "reaches birth_ym only through derive = \"yearmonth\")", 0))
            out[f.name] = pd.Series(None, index=frame.index, dtype=object)
            continue
        if c.column in id_sources and f.name not in id_cols:
            failures.append(Failure(f"{mname} [tables.{name}.columns]", f.name,
                                    f"maps {c.column!r}, the source of an identifier: the raw identifier would be "
                                    "written (identifiers reach the extract only as pseudonyms)", 0))
            out[f.name] = pd.Series(None, index=frame.index, dtype=object)
            continue
        s = frame[c.column] if c.column else pd.Series(c.value, index=frame.index, dtype=object)
        closed = c.column not in private_cols  # a private or identifier column is never quoted
        letter = id_cols.get(f.name)
        if letter:
            if c.recode or c.lookup or c.derive or c.value is not None:
                failures.append(Failure(f"{mname} [tables.{name}.columns]", f.name, "an identifier column takes a "
                                        "source column only: it is pseudonymised, never recoded", 0))
                out[f.name] = pd.Series(None, index=frame.index, dtype=object)
                continue
            ids[f.name] = {letter: s}
            out[f.name] = s
            continue
        if c.recode:
            table = mp.recodes[c.recode]
            r = s.map(table)
            if "" in table:
                r[s.isna()] = table[""]
            unknown = s.notna() & r.isna()
            if unknown.any():
                failures.append(_unrecoded(src, c.column, f"recoding in [recode.{c.recode}]", s, unknown,
                                           list(table) if closed else None))
            how = "an inline recoding" if c.recode == f"{name}.{f.name}" else f"[recode.{c.recode}]"
            counted.append((f"{name}.{f.name}: \0 values recoded with {how}", s.notna() | r.notna()))
            s = r
        if c.lookup:
            table = mp.lookups[c.lookup]
            r = s.map({code: row.get(c.field) for code, row in table.items()})
            unknown = s.notna() & ~s.isin(list(table))
            if unknown.any():
                fail = _unrecoded(src, c.column, f"entry in [lookup.{c.lookup}]", s, unknown,
                                  list(table) if closed else None)
                if fail not in failures:  # one source column may fill several contract columns
                    failures.append(fail)
            counted.append((f"{name}.{f.name}: \0 values looked up in [lookup.{c.lookup}] ({c.field})",
                            s.notna()))
            s = r
        kind = "yearmonth" if c.derive == "yearmonth" else f.type
        if kind in ("date", "yearmonth"):  # also after a recoding or lookup, which may give dates
            formats = c.formats if c.formats is not None else (
                mp.date_formats if kind == "date" or c.derive else ("%Y-%m", *mp.month_formats, *mp.date_formats))
            parsed = _parse_dates(s, formats)
            nodate = s.notna() & parsed.isna()
            if nodate.any():
                accepted = ", ".join((*ISO_FORMATS, *formats))
                failures.append(Failure(src.label, c.column, f"date in no accepted format (accepted: {accepted}; "
                                        f"set [formats] or this column's formats): {_values(s, nodate)}",
                                        int(nodate.sum()), _examples(src, nodate)))
            s = parsed.dt.strftime("%Y-%m-%d" if kind == "date" else "%Y-%m").astype(object).where(parsed.notna(), None)
            if c.derive:
                counted.append((f"{name}.{f.name}: derived from {c.column} (year and month kept; {c.column} not "
                                "written)", s.notna()))
        elif kind == "boolean" and not (c.recode or c.lookup):
            unknown = s.notna() & ~s.isin(_TRUE | _FALSE)
            if unknown.any():
                failures.append(_unrecoded(src, c.column, "recoding to true/false (add recode = \"yes_no\")", s,
                                           unknown, sorted(_TRUE | _FALSE) if closed else None))
            s = s.mask(s.isin(_TRUE), "true").mask(s.isin(_FALSE), "false")
        elif f.enum is not None and not (c.recode or c.lookup):
            unknown = s.notna() & ~s.isin(f.enum)
            if unknown.any():
                failures.append(_unrecoded(src, c.column, f"recoding to an allowed value ({', '.join(f.enum)})", s,
                                           unknown, f.enum if closed else None))
        out[f.name] = s
    result = pd.DataFrame(out, index=frame.index)[list(schema.field_names)] if len(out) == len(schema.fields) else \
        pd.DataFrame(out, index=frame.index)
    dropped = read - len(result)
    if spec.get("deduplicate"):
        before = len(result)
        result = result[~result.astype(str).duplicated()]
        dropped += before - len(result)
    recodings += [text.replace("\0", f"{int(mask.loc[result.index].sum()):,}") for text, mask in counted]
    account = TableAccount(read, dropped, len(result), src.label)
    ids = {k: {letter: v.loc[result.index] for letter, v in d.items()} for k, d in ids.items()}
    return _Built(result, src, account, ids, private_cols, made)


def _describe(f: Field) -> str:
    bits = [f.type]
    if identifier_letter(f):
        bits.append(f"identifier, pseudonymised as {identifier_letter(f)} + {HEX_DIGITS} hex digits")
    if f.enum:
        bits.append("one of " + ", ".join(f.enum))
    return "; ".join(bits)


# ------------------------------------------------------------------------------------------ the whole run
def prepare(mapping: str | Path, source: str | Path, out: str | Path, programme: Programme | str | None = None,
            key: Key | None = None, key_file: str | Path | None = None, key_env: str | None = None,
            replace: bool = False) -> Prepared:
    """Prepare a force's exports into a validated extract folder.

    Parameters
    ----------
    mapping : str or Path
        The mapping file (TOML; [`mapping_template`][foundation_eval.data.prepare.mapping_template] writes
        one to fill in).
    source : str or Path
        Folder holding the exports named in the mapping.
    out : str or Path
        Extract folder to create. An existing non-empty folder is replaced only with ``replace=True``.
    programme : Programme or str, optional
        Defaults to the mapping's ``programme`` key, then the default programme.
    key : Key, optional
        The pseudonymisation key. Without it the key is read from ``key_file`` or the environment variable
        ``key_env``, else as the mapping's ``[key]`` says (``file``, relative to the mapping, or ``env``),
        else from the environment variable ``FOUNDATION_EVAL_KEY``. It must hold at least 32 bytes.
    key_file : str or Path, optional
        File holding the key (``--key-file``); used when ``key`` is not given.
    key_env : str, optional
        Environment variable holding the key (``--key-env``); used when neither ``key`` nor ``key_file``
        is given.
    replace : bool
        Replace an existing, non-empty ``out`` folder (``--replace``). The old folder is removed only
        once the new extract is valid and in place.

    Returns
    -------
    Prepared
        Counts of what was read, dropped, recoded, pseudonymised and written (no identifier).

    Raises
    ------
    PrepareError
        With every problem found; nothing is written.

    Examples
    --------
    A tiny synthetic force written as CSV stands in for a force's exports, with sex coded ``M``, ``F``,
    ``O``, ``U`` as a records system might; the mapping copies every column of the required tables
    and recodes sex.

    >>> import pandas as pd
    >>> import tempfile
    >>> from pathlib import Path
    >>> from foundation_eval.data import synth
    >>> from foundation_eval.data.pseudonym import Key
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = Path(tmp.name)
    >>> force = synth.generate("hiow", seed=1, scale=0.02, truth_replicates=2)
    >>> exports = synth.write(force, root / "exports")  # stands in for the force's own exports
    >>> lines = ['programme = "hiow"', "[tables.districts]", "from_programme = true"]
    >>> for name in ("people", "screening", "offences", "exits"):  # the required tables
    ...     lines += [f"[tables.{name}]", f'source = "{name}.csv"', f"[tables.{name}.columns]"]
    ...     lines += [f'{c} = "{c}"' for c in force.tables[name].columns]
    >>> people = pd.read_csv(exports / "people.csv", dtype=str)
    >>> people["sex"] = people["sex"].str[0].str.upper()
    >>> people.to_csv(exports / "people.csv", index=False)
    >>> recode = 'sex = { column = "sex", recode = { M = "male", F = "female", O = "other", U = "unknown" } }'
    >>> _ = (root / "mapping.toml").write_text("\\n".join(lines).replace('sex = "sex"', recode))
    >>> done = prepare(root / "mapping.toml", exports, root / "extract", key=Key(b"0" * 32, "example"))
    >>> done.recodings
    ('people.sex: 175 values recoded with an inline recoding',)
    >>> written = pd.read_csv(done.out / "people.csv")
    >>> sorted(written["sex"].unique()), written["person_id"].str.len().unique().tolist()
    (['female', 'male', 'unknown'], [17])
    >>> set(written["person_id"]) & set(force.tables["people"]["person_id"])  # no source identifier survives
    set()
    >>> tmp.cleanup()
    """
    mapping, raw_dir, out = Path(mapping), Path(source), Path(out)
    failures: list[Failure] = []
    mp = _read_mapping(mapping, failures)
    if mp is None:
        raise PrepareError(str(raw_dir), failures)
    prog = programme if isinstance(programme, Programme) else load_programme(programme or mp.programme
                                                                            or DEFAULT_PROGRAMME)
    schemas = programme_schemas(prog)
    if key is None:
        try:
            if key_file is not None or key_env is not None:
                key = read_key(file=key_file, env=key_env)
            else:
                kfile = mp.key_file and (mapping.parent / mp.key_file)
                key = read_key(file=kfile or None, env=mp.key_env or DEFAULT_KEY_ENV)
        except KeyProblem as exc:
            failures.append(Failure("key", "", str(exc), 0))
    if not raw_dir.is_dir():
        failures.append(Failure(str(raw_dir), "", "source folder does not exist", 0))
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not replace:
        failures.append(Failure(str(out), "", "destination exists and is not empty: choose a new folder (one per "
                                "monthly extract) or replace it with --replace", 0))
    built: dict[str, _Built] = {}
    recodings: list[str] = []
    workbooks: dict = {}
    try:
        for name in TABLE_ORDER:
            schema = schemas[name]
            spec = mp.tables.get(name)
            if not spec or (not schema.required_table and not spec.get("source")):
                if schema.required_table:
                    failures.append(Failure(f"{mapping.name} [tables.{name}]", "", "required table has no source file "
                                            "(set source, or from_programme = true for districts)", 0))
                continue
            if name == "ppit_assessments" and not prog.has_risk_tool:
                failures.append(Failure(f"{mapping.name} [tables.{name}]", "", f"the programme {prog.id!r} defines no risk "
                                        "tool: remove this table from the mapping", 0))
                continue
            b = _build_table(name, schema, spec, mp, prog, raw_dir, failures, workbooks, recodings)
            if b is not None:
                built[name] = b
    finally:
        for wb in workbooks.values():
            wb.close()
    counts = _pseudonymise(built, key, failures) if key is not None else {}
    _check_survivors(built, prog, schemas, failures)
    if failures:
        raise PrepareError(str(raw_dir), failures)
    return _write(built, out, prog, replace, Prepared(
        out=out, programme=prog.id, tables={k: b.account for k, b in built.items()}, recodings=tuple(recodings),
        pseudonyms=counts, unmapped=tuple(_unmapped(built, mp))))


def _unmapped(built: dict[str, _Built], mp: _Mapping) -> list[str]:
    out = []
    for name, b in built.items():
        if b.src is None:
            continue
        spec = mp.tables[name]
        used = {v if isinstance(v, str) else v.get("column") for v in spec.get("columns", {}).values()}
        cols = [c for c in b.src.frame.columns if c not in used and c not in spec.get("where", {})]
        if cols:
            out.append(f"{b.src.label} ({len(cols)} column{'s' if len(cols) != 1 else ''})")
    return out


def _pseudonymise(built: dict[str, _Built], key: Key, failures: list[Failure]) -> dict[str, int]:
    """Replace every identifier by its keyed pseudonym, one namespace per letter; refuse collisions."""
    by_letter: dict[str, list[pd.Series]] = {}
    for b in built.values():
        for d in b.ids.values():
            for letter, s in d.items():
                by_letter.setdefault(letter, []).append(s)
    ps = Pseudonymiser(key)
    counts = {}
    for letter, parts in sorted(by_letter.items()):
        values = pd.unique(pd.concat(parts).dropna().astype(str).to_numpy())
        codes, collided = ps.pseudonyms(letter, values)
        counts[letter] = len(values)
        if collided:
            failures.append(Failure("pseudonyms", _KIND.get(letter, letter), f"{collided} distinct source "
                                    f"identifiers share a pseudonym with another (a chance collision of the keyed hash): "
                                    "use a new key", collided))
            continue
        index = pd.Index(values)
        for b in built.values():
            for col, d in b.ids.items():
                if letter in d:
                    s = d[letter]
                    pos = index.get_indexer(s.astype(str))
                    b.frame[col] = pd.Series(np.where(s.notna().to_numpy(), codes[np.maximum(pos, 0)], None),
                                             index=s.index, dtype=object)
    return counts


def _check_survivors(built: dict[str, _Built], prog: Programme, schemas, failures: list[Failure]) -> None:
    """Refuse any written text value equal to a raw identifier or a private value (a name, a date of birth)."""
    secret: list[np.ndarray] = []
    private: list[np.ndarray] = []
    for b in built.values():
        if b.src is None:
            continue
        for d in b.ids.values():
            for s in d.values():
                secret.append(s.dropna().astype(str).unique())
        for c in b.private_cols:
            if c in b.src.frame:
                private.append(b.src.frame[c].dropna().astype(str).unique())
    if not secret and not private:
        return
    ids = pd.Index(np.concatenate(secret)) if secret else pd.Index([])
    # values the programme itself defines are not personal, even if a surname happens to be a district name
    known = {d.id for d in prog.districts} | {d.name for d in prog.districts} | {o.id for o in prog.offence_types}
    known |= {s.id for s in prog.services} | set(prog.pathways)
    for s in schemas.values():
        for f in s.fields:
            known |= set(f.enum or ())
    pvt = pd.Index(np.concatenate(private)) if private else pd.Index([])
    pvt = pvt[~pvt.isin(list(known))]
    for name, b in built.items():
        schema = schemas[name]
        for f in schema.fields:
            if f.type != "string" or f.name in b.ids or b.src is None:
                continue
            s = b.frame[f.name]
            hit = s.notna() & (s.isin(ids) | s.isin(pvt))
            if hit.any():
                failures.append(Failure(f"{name}.csv (from {b.src.label})", f.name, "a raw identifier or private value (a police number, "
                                        "name or date of birth) would be written: map this column to another source "
                                        "column", int(hit.sum()), _examples(b.src, hit)))


def _in_source(f: Failure, built: dict[str, _Built]) -> Failure:
    """A failure of the prepared extract told in the source's terms: its file and rows, and no value copied
    from it (values the mapping or the programme file gave, such as recoded codes, are kept)."""
    b = built.get(f.file.removesuffix(".csv"))
    rule = f"the prepared extract breaks the data contract: {f.rule}"
    if b is None or b.src is None:
        return Failure(f.file, f.column, rule, f.count, f.examples)
    copied = [c for c in f.column.split(", ") if c in b.frame and c not in b.made]
    for c in copied:  # a rule may quote a value (a district id not in the programme)
        for v in set(re.findall(r"'([^']*)'", rule)) & set(b.frame[c].dropna().astype(str)):
            rule = rule.replace(repr(v), "(a value not shown)")
    examples = []
    for ex in f.examples:
        line, _, value = ex.partition(": ")
        m = re.fullmatch(r"line (\d+)", line)
        pos = int(m.group(1)) - 2 if m else -1  # the prepared file's header is its line 1
        row = b.src.row(b.frame.index[pos]) if 0 <= pos < len(b.frame) else f"{line} of {f.file}"
        examples.append(row if copied or not value else f"{row}: {value}")
    return Failure(f"{f.file} (from {b.src.label})", f.column, rule, f.count, tuple(examples))


def _write(built: dict[str, _Built], out: Path, prog: Programme, replace: bool, account: Prepared) -> Prepared:
    """Write into a temporary folder beside ``out``, validate, and move into place only when valid."""
    made = [p for p in (out.parent, *out.parent.parents) if not p.exists()]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.preparing-", dir=out.parent))
    try:
        for name, b in built.items():
            b.frame.to_csv(tmp / f"{name}.csv", index=False, na_rep="", lineterminator="\n")
        try:
            ds = load_dataset(tmp, prog)
        except ValidationError as exc:
            raise PrepareError(str(out), [_in_source(f, built) for f in exc.failures]) from None
        old = None
        if out.exists():
            if not replace and (not out.is_dir() or any(out.iterdir())):  # appeared meanwhile
                raise PrepareError(str(out), [Failure(str(out), "", "destination appeared while preparing", 0)])
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for p in made:  # folders made for the destination go too: a refused run leaves nothing
            if p.is_dir() and not any(p.iterdir()):
                p.rmdir()
        raise
    return Prepared(out=out, programme=account.programme, tables=account.tables, recodings=account.recodings,
                    pseudonyms=account.pseudonyms, unmapped=account.unmapped, warnings=tuple(ds.warnings))


# ------------------------------------------------------------------------------------------ the template
_TYPE_HINT = {
    "string": "text", "integer": "whole number", "number": "number", "boolean": "true/false (recode Y/N with yes_no)",
    "date": "date (accepted formats in [formats])", "yearmonth": "year-month (from a date or YYYY-MM)",
}


def mapping_template(programme: Programme | str = DEFAULT_PROGRAMME) -> str:
    """A commented mapping file for ``programme``: every contract table and column with its type and allowed
    values, for the analyst to fill in. As written, ``prepare`` refuses it with one line per gap.

    The template is valid TOML: a ``[key]`` section (the key read from ``FOUNDATION_EVAL_KEY``),
    accepted ``[formats]`` of dates, ``[recode.*]`` tables (``yes_no``, the programme's district names to
    codes), a ``[lookup.ho_offence]`` placeholder, and a ``[tables.*]`` section per contract table with
    one commented line per column. ``foundation-eval prepare --template`` prints or writes it.

    Parameters
    ----------
    programme : Programme or str
        Programme definition, or the id or TOML path of one; its criteria, risk-tool items, districts,
        offence types and extra columns shape the template.

    Returns
    -------
    str
        The mapping file's text.

    Examples
    --------
    >>> import tomllib
    >>> text = mapping_template("hiow")
    >>> mapping = tomllib.loads(text)
    >>> mapping["programme"], mapping["key"], mapping["tables"]["districts"]["from_programme"]
    ('hiow', {'env': 'FOUNDATION_EVAL_KEY'}, True)
    >>> "# person_id: text; required; identifier: pseudonymised as P + 16 hex digits" in text
    True
    """
    prog = load_programme(programme) if isinstance(programme, str) else programme
    schemas = programme_schemas(prog)
    q = _toml_str
    L = [
        f"# Mapping from the force's own exports to the foundation-eval data contract: programme {prog.id}",
        f"# ({prog.name}). Fill in the source file of each table and the source column of each contract column,",
        "# then run:  foundation-eval prepare --mapping THIS_FILE --source RAW_DIR --out EXTRACT_DIR",
        "# Only the contract columns below are written; every other source column (names, addresses, dates of",
        "# birth, free text) stays behind. Run it once as it is: it lists every gap still to fill.",
        "#",
        "# A column is filled by",
        '#   col = "Source column"                                  copied (identifiers are pseudonymised)',
        '#   col = { column = "Flag", recode = "yes_no" }           recoded with a [recode.NAME] table',
        '#   col = { column = "Sex", recode = { M = "male", F = "female" } }   an inline recoding',
        '#   col = { column = "HO code", lookup = "ho_offence", field = "offence_type" }   a [lookup.NAME] table',
        '#   col = { column = "DOB", derive = "yearmonth" }         year-month of a date (DOB is not written)',
        '#   col = { column = "Date", formats = ["%d/%m/%Y"] }      this column\'s own date formats',
        '#   col = { value = "first" }                              the same value in every row',
        "# A value with no recoding, a date in no accepted format or a missing mapping stops the run, with the",
        "# file, column and example row numbers; nothing is written until everything is right.",
        "",
        f"programme = {q(prog.id)}",
        "",
        "[key]",
        "# The secret key of the pseudonyms (HMAC-SHA256). The force keeps it, e.g. with its data protection",
        "# officer, outside the extract and outside this file: it is never written, logged or shown. Use the",
        "# same key every month so people link across extracts; losing it breaks the link, and anyone holding",
        "# it and the exports could re-identify. Make one with: foundation-eval prepare --new-key FILE",
        f"env = {q(DEFAULT_KEY_ENV)}            # read from this environment variable, or",
        '# file = "/secure/pseudonym.key"   # from this file (relative to this mapping file)',
        "",
        "[formats]",
        "# Accepted date formats (Python strptime codes) besides ISO YYYY-MM-DD; \"excel\" accepts Excel serial",
        "# day numbers (44270 = 2021-03-15). Year-month columns also accept these, YYYY-MM and [formats].yearmonth.",
        'date = ["%d/%m/%Y", "excel"]',
        'yearmonth = ["%m/%Y", "%b-%Y"]',
        "",
        "# Recodings: source value = contract value. Matching is exact after trimming spaces; a \"\" entry",
        "# fills blank cells. Every value met must be listed.",
        "[recode.yes_no]",
        'Y = "true"',
        'N = "false"',
        "",
        "[recode.district]",
        "# district names (or the force's own codes) to the programme's district codes",
    ]
    L += [f"{q(d.name)} = {q(d.id)}" for d in prog.districts]
    L += [
        "",
        "# Lookups: one code gives several contract columns, e.g. a Home Office offence code gives the offence",
        "# type and its harm weight. Either a CSV beside this file (first column, or `key`, holds the code):",
        "[lookup.ho_offence]",
        '# file = "ho_offence_codes.csv"',
        "# or the rows here, one per code (the codes below are placeholders):",
        "[lookup.ho_offence.values]",
    ]
    L += [f"# \"000/00\" = {{ offence_type = {q(o.id)}, chi_days = {_num(o.chi_days)} }}   # {o.label}"
          for o in prog.offence_types]
    for name, s in schemas.items():
        if name == "ppit_assessments" and not prog.has_risk_tool:
            continue
        L += ["", "# " + "-" * 100, f"# {name}: {s.description}"]
        if s.primary_key:
            L.append(f"# key: {', '.join(s.primary_key)} (unique)")
        if not s.required_table:
            L.append("# optional table: leave source empty (or delete this section) if the force has no such data")
        L += [f"[tables.{name}]"]
        if name == "districts":
            L.append("from_programme = true       # write the districts from the programme file, or give a source")
        L += [
            '# source = "export.csv"      # a CSV in RAW_DIR, or a workbook with sheet = "Sheet name"',
            'source = ""' if name != "districts" else '# source = ""',
            '# private = ["Surname", "Forename", "DOB"]   # source columns holding names or dates of birth:',
            "#   never written, and checked not to reach the extract through any other column",
            '# where = { "Record type" = ["Offence"] }   # keep only these rows',
            "# deduplicate = true           # drop rows repeated exactly (e.g. one per address)",
            f"[tables.{name}.columns]",
        ]
        for f in s.fields:
            L.append(f"# {f.name}: {_field_note(f)}")
            default = ""
            if name == "districts":
                L.append(f"# {f.name} = \"\"")
                continue
            if f.type == "boolean":
                L.append(f'{f.name} = {{ column = "", recode = "yes_no" }}')
                continue
            if f.name in ("district_id", "home_district_id"):
                L.append(f'{f.name} = {{ column = "", recode = "district" }}')
                continue
            if name == "offences" and f.name in ("offence_type", "chi_days"):
                L.append(f'{f.name} = {{ column = "", lookup = "ho_offence", field = "{f.name}" }}')
                continue
            if f.name == "birth_ym":
                L.append(f'{f.name} = {{ column = "", derive = "yearmonth" }}   # from the date of birth')
                continue
            L.append(f"{f.name} = {q(default)}")
    return "\n".join(L) + "\n"


def _field_note(f: Field) -> str:
    bits = [_TYPE_HINT.get(f.type, f.type), "required" if f.required else "optional"]
    letter = identifier_letter(f)
    if letter:
        bits.append(f"identifier: pseudonymised as {letter} + {HEX_DIGITS} hex digits")
    if f.enum:
        bits.append("allowed: " + ", ".join(f.enum))
    if f.minimum is not None:
        bits.append(f">= {_num(f.minimum)}")
    if f.maximum is not None:
        bits.append(f"<= {_num(f.maximum)}")
    desc = " ".join(f.description.split())
    return "; ".join(bits) + (f". {desc}" if desc else "")


def _num(x) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _toml_str(s: str) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'
