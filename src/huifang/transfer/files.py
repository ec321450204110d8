"""Reading and writing spreadsheets: .xlsx (openpyxl) and .csv, checked by content,
with formula-looking cells escaped on the way out."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Generator, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from huifang.core.errors import DomainError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# The import templates have a dozen columns; a row far wider is not one of ours, and
# bounding it bounds what a 5 MB (compressed) workbook can make us hold in memory.
MAX_COLUMNS = 200
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def escape_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe
    (=, +, -, @, tab, CR); numbers and dates pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    return value


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([escape_cell(str(name)) for name in header])
    for row in rows:
        sheet.append([escape_cell(_plain(value)) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([escape_cell(str(name)) for name in header])
    for row in rows:
        writer.writerow([escape_cell(_cell_text(value)) for value in row])
    # The BOM makes Excel open UTF-8 (Chinese text) correctly.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell_text(value: Any) -> str:
    value = _plain(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@dataclass(frozen=True)
class Table:
    """An uploaded file's header (lower-cased, as written) and its rows, as dicts keyed
    by the header's names."""

    header: list[str]
    rows: list[dict[str, Any]]
    # Each row's number in the spreadsheet (the header's is 1 when nothing is above
    # it): blank rows are skipped but still counted, so the preview names the row a
    # person sees in Excel.
    lines: list[int]


def read_table(content: bytes) -> Table:
    """The header and rows of an uploaded .xlsx or .csv (decided by its content, not
    its name); blank rows are skipped. More than MAX_ROWS rows, or a row wider than
    MAX_COLUMNS, is refused while reading, before the rest is read."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise DomainError(_("The file is larger than 5 MB."))
    if not content.strip():
        raise DomainError(_("The file is empty."))
    rows = _xlsx_rows(content) if content.startswith(b"PK\x03\x04") else _csv_rows(content)
    kept: list[list[Any]] = []
    lines: list[int] = []
    with closing(rows):  # closes the workbook when we stop early
        for line, row in enumerate(rows, start=1):
            cells = _trimmed(row)
            if not cells:
                continue
            lines.append(line)
            if len(cells) > MAX_COLUMNS:
                raise DomainError(
                    _("The file has more than %(max)d columns.") % {"max": MAX_COLUMNS}
                )
            kept.append(cells)
            if len(kept) - 1 > MAX_ROWS:  # the header is not a row
                raise DomainError(_("The file has more than %(max)d rows.") % {"max": MAX_ROWS})
    if not kept:
        raise DomainError(_("The file is empty."))
    header = [str(cell or "").strip().lower() for cell in kept[0]]
    return Table(
        header=[name for name in header if name],
        rows=[
            {name: (row[i] if i < len(row) else None) for i, name in enumerate(header) if name}
            for row in kept[1:]
        ],
        lines=lines[1:],
    )


def _present(cell: Any) -> bool:
    return cell is not None and str(cell).strip() != ""


def _trimmed(row: Sequence[Any]) -> list[Any]:
    """The row without its trailing empty cells (none left: a blank row)."""
    end = len(row)
    while end and not _present(row[end - 1]):
        end -= 1
    return list(row[:end])


def _xlsx_rows(content: bytes) -> Generator[Sequence[Any], None, None]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise DomainError(_("The file is neither an Excel workbook (.xlsx) nor CSV.")) from error
    try:
        sheet = workbook.worksheets[0]
        # Read-only mode stops at the rows and columns the sheet's <dimension> tag
        # announces, and files written by other tools often announce fewer than they
        # hold (or a stale size): forget it and read every row the sheet really has.
        if isinstance(sheet, ReadOnlyWorksheet):
            sheet.reset_dimensions()
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def _csv_rows(content: bytes) -> Generator[Sequence[Any], None, None]:
    if b"\x00" in content:
        raise DomainError(_("The file is neither an Excel workbook (.xlsx) nor CSV."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise DomainError(_("The file is neither an Excel workbook (.xlsx) nor CSV."))
    try:
        yield from csv.reader(io.StringIO(text))
    except csv.Error as error:
        raise DomainError(_("The file is neither an Excel workbook (.xlsx) nor CSV.")) from error
