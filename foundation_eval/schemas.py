"""The data contract: Frictionless Table Schema files in ``data_schemas/``.

The schema files are the single source of truth for column names, types, allowed values and keys.
This module reads them and writes the human data dictionary (``data_schemas/README.md``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

__all__ = ["Field", "TableSchema", "schema_dir", "load_schemas", "programme_schemas", "data_dictionary", "TABLE_ORDER"]

# Tables in dependency order: a table's foreign keys point only to tables before it.
TABLE_ORDER = (
    "districts", "people", "screening", "ppit_assessments", "contacts", "referrals", "offences", "rmps", "exits",
)
"""Contract tables in dependency order: a table's foreign keys point only to tables before it."""


def resource_dir(name: str) -> Path:
    """A top-level project folder (``data_schemas``, ``notebooks``) in an installed wheel or the source tree."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"{name} folder not found beside the package")


def schema_dir() -> Path:
    """Folder holding the schema files.

    Returns
    -------
    Path
        ``data_schemas/`` of the source tree, or its copy inside an installed wheel.

    Examples
    --------
    >>> (schema_dir() / "people.schema.json").is_file()
    True
    """
    return resource_dir("data_schemas")


@dataclass(frozen=True)
class Field:
    """One column of a contract table (a Frictionless Table Schema field).

    Attributes
    ----------
    name : str
        Column name.
    type : str
        ``string``, ``integer``, ``number``, ``boolean``, ``date`` or ``yearmonth``.
    description : str
        Text for the data dictionary.
    required : bool
        Whether every row must have a value.
    unique : bool
        Whether values must be unique.
    enum : tuple of str, optional
        Allowed values.
    minimum, maximum : float, optional
        Bounds of numeric values.
    pattern : str, optional
        Regular expression text values must match (e.g. for pseudonyms).
    role : str, optional
        ``"x-role"`` of the field: ``criterion``, ``risk_tool_item``, ``pathway`` (replaced per programme)
        or ``extension`` (a programme's own column).

    Examples
    --------
    >>> f = load_schemas()["people"].field("person_id")
    >>> f.type, f.required
    ('string', True)
    """
    name: str
    type: str
    description: str
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    role: str | None = None  # "x-role": criterion, risk_tool_item or pathway (replaced per programme)

    @property
    def pseudonym_letter(self) -> str | None:
        """The pseudonym letter of an identifier column (``P`` for ``^P([0-9A-F]{8}|...)$``), or None.

        A column is a pseudonymous identifier when its pattern is one capital letter followed by
        hexadecimal digits (``P`` person, ``V`` victim, ``O`` offence, ...).

        Examples
        --------
        >>> people = load_schemas()["people"]
        >>> people.field("person_id").pseudonym_letter, people.field("sex").pseudonym_letter
        ('P', None)
        """
        m = _PSEUDONYM.match(self.pattern or "")
        return m.group(1) if m else None


_PSEUDONYM = re.compile(r"^\^([A-Z])\(\[0-9A-F\]")


@dataclass(frozen=True)
class TableSchema:
    """One table of the data contract.

    Attributes
    ----------
    name, title, description : str
        Table name (file name of the table in an extract), title and description.
    required_table : bool
        Whether every extract must supply the table.
    fields : tuple of Field
        Columns in order.
    primary_key : tuple of str
        Columns that identify a row.
    foreign_keys : tuple
        ``(fields, referenced table, referenced fields)`` triples.

    Examples
    --------
    >>> people = load_schemas()["people"]
    >>> people.primary_key, "person_id" in people.field_names
    (('person_id',), True)
    """
    name: str
    title: str
    description: str
    required_table: bool
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...]

    @property
    def field_names(self) -> tuple[str, ...]:
        """Column names in order."""
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        """The field called ``name``.

        Parameters
        ----------
        name : str
            Column name.

        Returns
        -------
        Field

        Raises
        ------
        KeyError
            When the table has no such column.
        """
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _parse(raw: dict) -> TableSchema:
    fields = []
    for f in raw["fields"]:
        c = f.get("constraints", {})
        fields.append(
            Field(
                name=f["name"],
                type=f["type"],
                description=f.get("description", ""),
                required=bool(c.get("required", False)),
                unique=bool(c.get("unique", False)),
                enum=tuple(c["enum"]) if "enum" in c else None,
                minimum=c.get("minimum"),
                maximum=c.get("maximum"),
                pattern=c.get("pattern"),
                role=f.get("x-role"),
            )
        )
    pk = raw.get("primaryKey", [])
    fks = tuple(
        (tuple(fk["fields"]), fk["reference"]["resource"], tuple(fk["reference"]["fields"]))
        for fk in raw.get("foreignKeys", [])
    )
    return TableSchema(
        name=raw["name"],
        title=raw.get("title", raw["name"]),
        description=raw.get("description", ""),
        required_table=bool(raw.get("x-required-table", True)),
        fields=tuple(fields),
        primary_key=tuple([pk] if isinstance(pk, str) else pk),
        foreign_keys=fks,
    )


@lru_cache(maxsize=4)
def load_schemas(folder: str | None = None) -> dict[str, TableSchema]:
    """All table schemas, keyed by table name, in dependency order.

    The shared contract before any programme adapts it (see `programme_schemas`). Cached.

    Parameters
    ----------
    folder : str, optional
        Folder of ``*.schema.json`` files; default `schema_dir`.

    Returns
    -------
    dict of str to TableSchema
        In `TABLE_ORDER`: a table's foreign keys point only to tables before it.

    Examples
    --------
    >>> list(load_schemas())[:3]
    ['districts', 'people', 'screening']
    """
    base = Path(folder) if folder else schema_dir()
    out = {}
    for name in TABLE_ORDER:
        path = base / f"{name}.schema.json"
        out[name] = _parse(json.loads(path.read_text(encoding="utf-8")))
    return out


def programme_schemas(programme) -> dict[str, TableSchema]:
    """The data contract as one programme uses it: the shared schema files, adapted by the programme file.

    - Fields with ``"x-role": "criterion"`` (screening) become the programme's eligibility criteria, one
      required boolean column each (a criterion named like a shared field keeps that field's description).
    - Fields with ``"x-role": "risk_tool_item"`` (ppit_assessments) become the programme's risk-tool
      items; a programme without a risk tool keeps the shared fields (and cannot supply the table).
    - The field with ``"x-role": "pathway"`` (referrals) allows the programme's pathways.
    - Each ``[[columns]]`` entry of the programme file is appended to its table (schema extension).

    Parameters
    ----------
    programme : Programme
        As from `foundation_eval.config.load_programme`.

    Returns
    -------
    dict of str to TableSchema

    Raises
    ------
    ValueError
        When a programme column repeats a column of the contract.

    Examples
    --------
    >>> from foundation_eval.config import load_programme
    >>> schemas = programme_schemas(load_programme("change-that-lasts"))
    >>> schemas["referrals"].field("route").role
    'extension'
    """
    base = load_schemas()
    out = {}
    for name, schema in base.items():
        fields = list(schema.fields)
        if name == "screening":
            fields = _replace_role(fields, "criterion", [
                Field(c, "boolean", label, required=True, role="criterion") for c, label in programme.criteria])
        elif name == "ppit_assessments" and programme.has_risk_tool:
            fields = _replace_role(fields, "risk_tool_item", [
                Field(i.id, "integer", f"Item {k}: {i.label} (score on the tool's scale).", required=True, minimum=0,
                      role="risk_tool_item") for k, i in enumerate(programme.ppit_items, 1)])
        fields = [replace(f, enum=tuple(programme.pathways)) if f.role == "pathway" else f for f in fields]
        taken = {f.name for f in fields}
        for col in programme.columns_for(name):
            if col.name in taken:
                raise ValueError(f"programme column {name}.{col.name} is already in the data contract")
            fields.append(Field(col.name, col.type, f"{col.description.rstrip('.')} (programme-specific column).",
                                required=col.required, enum=col.values, role="extension"))
        out[name] = replace(schema, fields=tuple(fields))
    return out


def _replace_role(fields: list[Field], role: str, wanted: list[Field]) -> list[Field]:
    """Swap the fields of one role for ``wanted``, in place of the first; shared fields of the same name stay."""
    shared = {f.name: f for f in fields if f.role == role}
    at = next((k for k, f in enumerate(fields) if f.role == role), len(fields))
    rest = [f for f in fields if f.role != role]
    return rest[:at] + [shared.get(w.name, w) for w in wanted] + rest[at:]


_TYPE_WORDS = {
    "string": "text",
    "integer": "whole number",
    "number": "number",
    "boolean": "true/false",
    "date": "date (YYYY-MM-DD)",
    "yearmonth": "year-month (YYYY-MM)",
}


def data_dictionary(schemas: dict[str, TableSchema] | None = None) -> str:
    """Markdown data dictionary for readers without Python (written to data_schemas/README.md).

    Parameters
    ----------
    schemas : dict of str to TableSchema, optional
        Schemas to describe, e.g. `programme_schemas` of one programme; default the shared contract.

    Returns
    -------
    str
        Markdown: how an extract is laid out, then one section per table with a row per column (type,
        required, allowed values, description) and its keys.

    Examples
    --------
    >>> text = data_dictionary()
    >>> text.splitlines()[0]
    '# Data dictionary'
    """
    schemas = schemas or load_schemas()
    lines = [
        "# Data dictionary",
        "",
        "<!-- Generated by `foundation-eval dictionary` from the *.schema.json files here; do not edit by hand. -->",
        "",
        "An extract is a folder with one file per table, named after the table (`people.csv`, `people.parquet` "
        "or `people.xlsx`). Column names are exactly as below; dates are ISO 8601 (`2021-03-15`), year-months "
        "`2021-03`, true/false as `true`/`false`; an empty cell means missing. Identifiers are opaque "
        "pseudonyms, a letter and hexadecimal digits (8 as the synthetic force writes them, e.g. `P3F9A21C0`; 16 as "
        "`foundation-eval prepare` writes them with the force's key): never names, police system numbers or dates "
        "of birth. Check an extract with `foundation-eval validate FOLDER`; build one from a force's own exports "
        "with `foundation-eval prepare` ([below](#from-a-forces-exports-to-an-extract)).",
        "",
        "The schema files are [Frictionless Table Schema](https://specs.frictionlessdata.io/table-schema/) "
        "JSON, readable by any language.",
        "",
        "| table | required | what one row is |",
        "| --- | --- | --- |",
    ]
    for s in schemas.values():
        lines.append(f"| [{s.name}](#{s.name}) | {'yes' if s.required_table else 'no'} | {s.description} |")
    for s in schemas.values():
        lines += ["", f"## {s.name}", "", f"**{s.title}.** {s.description}", ""]
        lines.append(f"Key: `{', '.join(s.primary_key)}` (unique)." if s.primary_key else "")
        for cols, ref, refcols in s.foreign_keys:
            lines.append(f"`{', '.join(cols)}` must match `{', '.join(refcols)}` in `{ref}`.")
        lines += ["", "| column | type | required | allowed values | description |", "| --- | --- | --- | --- | --- |"]
        for f in s.fields:
            allowed = []
            if f.enum:
                allowed.append(", ".join(f"`{v}`" for v in f.enum))
            if f.minimum is not None:
                allowed.append(f">= {f.minimum}")
            if f.maximum is not None:
                allowed.append(f"<= {f.maximum}")
            if f.pattern:
                allowed.append(f"pattern `{f.pattern}`".replace("|", "\\|"))  # a bare | would split the table cell
            if f.unique:
                allowed.append("unique")
            lines.append(
                f"| `{f.name}` | {_TYPE_WORDS.get(f.type, f.type)} | {'yes' if f.required else 'no'} | "
                f"{'; '.join(allowed)} | {f.description} |"
            )
    lines += [
        "",
        "## Rules across columns and tables",
        "",
        "Checked by `foundation-eval validate` beyond the column rules above:",
        "",
        "- No date after the extract date; no event after a person's death; no exit before birth.",
        "- `screening.eligible` is true exactly when all the programme's criteria are true; `listed` implies "
        "`eligible` and a district that was live that month; `crit_age` (a programme with an age band) agrees "
        "with `birth_ym`.",
        "- `screening.month` lies within the study period.",
        "- PPIT items lie on the programme's scale, `total` equals the item sum and `priority` equals "
        "`total >= threshold`; a programme without a risk tool supplies no `ppit_assessments`.",
        "- Referral stages are in order (referred <= accepted <= started <= completed); a referral cannot be "
        "both completed and dropped; started needs accepted; `service` and its `pathway` match the programme.",
        "- `offence_type` is one of the programme's offence types; a DA offence names a victim.",
        "- Keys are unique: a key (above) repeated in its table is refused. This is also how a pseudonym collision "
        "(two people, offences... given one pseudonym) shows in an extract; `validate` cannot see a collision of "
        "identifiers that are not keys (victims, assessors), which `prepare` checks before writing.",
        "",
        "Each programme file adapts this contract: its eligibility criteria replace the `crit_*` columns, its "
        "risk-tool items replace `ppit_01`...`ppit_10`, its pathways are the allowed `pathway` values, and its "
        "`[[columns]]` entries add programme-specific columns. `foundation-eval dictionary --programme ID` prints "
        "the contract as one programme uses it.",
        "",
        "## From a force's exports to an extract",
        "",
        "No records system exports this contract directly. `foundation-eval prepare` turns a force's own exports "
        "(CSV files, or Excel workbooks with a sheet per table) into a validated extract:",
        "",
        "1. `foundation-eval prepare --template --out mapping.toml` writes a commented mapping file listing every "
        "table and column above with its type and allowed values. The analyst fills in, once per force, the source "
        "file (and sheet) of each table, the source column of each contract column, the accepted date formats "
        "(e.g. `%d/%m/%Y`, `excel` for Excel serial day numbers), recodings (`Y`/`N`, sex and ethnicity codes, "
        "district names to codes), lookups (a Home Office offence code to `offence_type` and `chi_days`) and "
        "`birth_ym` derived from the date of birth. Columns not mapped (names, addresses, dates of birth, free "
        "text) are never written.",
        "2. `foundation-eval prepare --mapping mapping.toml --source EXPORTS --out EXTRACT` reads the exports, "
        "recodes and pseudonymises them, writes the tables into a temporary folder beside `EXTRACT`, validates them "
        "against this contract and moves them into place only when they are valid. Every problem (a required "
        "column with no mapping, a value with no recoding, a date in no accepted format, a missing or short key, a "
        "raw identifier that would reach the extract, a pseudonym collision) is reported at once with the file, "
        "column and example row numbers, never an identifier; then nothing is written. On success it prints the "
        "rows read, dropped and written per table and the recodings applied.",
        "",
        "**Pseudonyms and the key.** Every identifier column is replaced by the column's letter and the first 16 "
        "hexadecimal digits of HMAC-SHA256(key, letter, identifier). The key is a secret of at least 32 bytes "
        "(`foundation-eval prepare --new-key FILE` makes one) held by the force, e.g. by its data protection "
        "officer or the information asset owner of the records system: it stays inside the force, is read from a "
        "file or an environment variable, and is never written to the extract, the mapping or any log. Evaluators "
        "receive the extract, never the key. The same key gives the same pseudonyms every month, so people link "
        "across monthly extracts; a new key breaks that link (use one only if the old key may have leaked). A plain "
        "hash would not do: anyone could hash every possible police number and reverse it.",
        "",
        "**Collisions.** n distinct identifiers given 16 hex digits collide by chance in about "
        "n^2 / (2 x 16^16) pairs: about 1 in 10 million at 2 million people (8 digits would give about 465 pairs, "
        "silently merging histories). `prepare` refuses any collision among the identifiers it pseudonymises; "
        "`validate` refuses repeated keys.",
        "",
    ]
    return "\n".join(lines)
