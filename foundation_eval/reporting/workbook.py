"""The one workbook writer: every report's published tables as an XLSX a reader can compute with.

Numbers are stored as numbers with a number format (`#,##0`, `0%`, `0.00`), never as
formatted text; a withheld cell holds `[c]`. Sheets are numbered (`Table 1`...) and each carries its
full title in cell A1; a Contents sheet lists every table by its full title and a Notes sheet gives
the disclosure rule and provenance. This follows the Government Statistical Service guidance
*Releasing statistics in spreadsheets* (GSS, Analysis Function) and its symbol `[c]` for
confidential information (GSS, *Symbols in tables, definitions and help*).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from foundation_eval.reporting.disclosure import SUPPRESSED

__all__ = ["write_workbook", "NUMBER_FORMATS", "DECIMALS", "published_value"]

#: Excel number format of each column kind (see foundation_eval.reporting.publication.KINDS; text has none).
NUMBER_FORMATS = {"count": "#,##0", "whole": "#,##0", "percent": "0%", "proportion": "0%", "points": "0.0",
              "ratio": "0.00", "index": "0.00", "rate": "0.0", "decimal1": "0.0", "decimal2": "0.00",
              "money": "£#,##0", "p": "0.000"}

#: Decimals each column kind is published to, on the page and in the workbook (a percent in percent, a
#: proportion as a fraction); a workbook cell never holds more digits than the page prints, since more
#: digits beside rounded counts could give the exact counts back.
DECIMALS = {"count": 0, "whole": 0, "percent": 0, "proportion": 2, "points": 1, "ratio": 2, "index": 2, "rate": 1,
            "decimal1": 1, "decimal2": 2, "money": 0, "p": 3}


def published_value(v, kind: str):
    """A number as the page publishes it: rounded to the decimals of its kind (`DECIMALS`).

    Money is rounded as [`formats.money`][foundation_eval.reporting.formats.money] prints it (to £0.1m
    from a million, to £1,000 from £10,000, else to £10); text is returned as it is.

    Parameters
    ----------
    v : number
        The value as the table holds it (a `percent` in percent).
    kind : str
        Its column kind.

    Returns
    -------
    float or the value itself

    Examples
    --------
    >>> published_value(0.12583, "decimal2"), published_value(48.7, "percent"), published_value(42_345, "money")
    (0.13, 49.0, 42000.0)
    """
    if kind not in DECIMALS:
        return v
    x = float(v)
    if kind == "money":
        a = abs(x)
        return float(round(x, -5) if a >= 1e6 else round(x, -3) if a >= 1e4 else round(x, -1))
    return float(round(x, DECIMALS[kind]))


def write_workbook(tables, path, notes=()) -> Path:
    """Write published tables ([`Table`][foundation_eval.reporting.publication.Table]) to `path`.

    Each table gets a sheet `Table k` (k from 1, in order): its title in A1, headings in row 3,
    then one row per table row and its notes two rows below. Cells hold what the page published: a
    withheld cell holds `[c]`; counts are whole numbers (already rounded); every other number is stored
    to the decimals the page prints (`DECIMALS`, by
    [`published_value`][foundation_eval.reporting.workbook.published_value]), since more digits beside
    rounded counts could give the exact counts back: a `percent` column (0-100) as a fraction of whole
    percent formatted `0%`, the others with the format in `NUMBER_FORMATS`; text columns as text.

    Parameters
    ----------
    tables : sequence of Table
        Published tables, in the order of their sheets (usually a page's `tables`).
    path : str or Path
        Destination `.xlsx`; its folder is created if missing. The workbook is written to a
        temporary file in that folder and moved into place, so a reader never sees half a file.
    notes : sequence of (str, str)
        Rows of the Notes sheet (label, text).

    Returns
    -------
    Path
        `path`.

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> from pathlib import Path
    >>> from openpyxl import load_workbook
    >>> from foundation_eval.reporting.publication import Table
    >>> values = pd.DataFrame({"district": ["Southampton", "Eastleigh"], "n": [75, None],
    ...                        "percent": [48.7, None]})
    >>> hidden = pd.DataFrame({"district": [False, False], "n": [False, True], "percent": [False, True]})
    >>> table = Table("listed", "People listed, by district", values, hidden,
    ...               kinds={"n": "count", "percent": "percent"}, counts=("n",))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = write_workbook([table], Path(folder) / "report.xlsx", [("Programme", "Demo")])
    ...     ws = load_workbook(out)["Table 1"]
    ...     ws["A1"].value, [c.value for c in ws[4]], [c.value for c in ws[5]], ws["C4"].number_format
    ('People listed, by district', ['Southampton', 75, 0.49], ['Eastleigh', '[c]', '[c]'], '0%')
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    path = Path(path)
    wb = Workbook()
    contents = wb.active
    contents.title = "Contents"
    contents["A1"] = "Contents"
    contents["A1"].font = Font(bold=True, size=13)
    contents.append([])
    contents.append(["Sheet", "Table"])
    for cell in contents[3]:
        cell.font = Font(bold=True)
    for k, t in enumerate(tables, start=1):
        sheet = f"Table {k}"
        contents.append([sheet, t.title])
        ws = wb.create_sheet(sheet)
        ws["A1"] = t.title
        ws["A1"].font = Font(bold=True, size=12)
        cols = list(t.values.columns)
        ws.append([])
        ws.append([str(t.headings.get(c, c)) for c in cols])
        for cell in ws[3]:
            cell.font = Font(bold=True)
        # each column read once: a table's cells read through pandas one by one cost more than writing them
        values = {c: t.values[c].tolist() for c in cols}
        hidden = {c: t.suppressed[c].tolist() for c in cols}
        for i in range(len(t.values)):
            row = []
            for c in cols:
                v = values[c][i]
                if bool(hidden[c][i]):
                    row.append(SUPPRESSED)
                elif v is None or (not isinstance(v, str) and pd.isna(v)):
                    row.append(None)
                elif t.kinds.get(c, "text") == "text":
                    row.append(str(v))
                elif t.kinds.get(c) == "percent":
                    row.append(published_value(v, "percent") / 100.0)
                elif t.kinds.get(c) == "count":
                    row.append(int(v))
                else:
                    row.append(published_value(v, t.kinds.get(c, "decimal2")))
            ws.append(row)
            r = ws.max_row
            for j, c in enumerate(cols, start=1):
                kind = t.kinds.get(c, "text")
                if kind in NUMBER_FORMATS and not isinstance(ws.cell(r, j).value, str):
                    ws.cell(r, j).number_format = NUMBER_FORMATS[kind]
        r = ws.max_row + 2
        for note in list(t.notes) + ([f"{SUPPRESSED}: not published under the disclosure rule."]
                                     if t.suppressed.to_numpy().any() else []):
            ws.cell(r, 1, note)
            r += 1
        for j, c in enumerate(cols, start=1):
            width = max([len(str(t.headings.get(c, c)))] + [len(str(x)) for x in t.values[c].head(200)])
            ws.column_dimensions[ws.cell(3, j).column_letter].width = min(60, max(10, width + 2))
    contents.column_dimensions["A"].width = 10
    contents.column_dimensions["B"].width = 90
    ns = wb.create_sheet("Notes")
    ns["A1"] = "Notes"
    ns["A1"].font = Font(bold=True, size=13)
    ns.append([])
    for k, v in notes:
        ns.append([str(k), str(v)])
    ns.column_dimensions["A"].width = 26
    ns.column_dimensions["B"].width = 110
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
