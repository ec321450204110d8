"""Reading and writing spreadsheets: .xlsx (openpyxl) and .csv, checked by content,
with formula-looking cells escaped on the way out."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from huifang.core.errors import DomainError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
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


def read_table(content: bytes) -> list[dict[str, Any]]:
    """The rows of an uploaded .xlsx or .csv (decided by its content, not its name)
    as dicts keyed by the lower-cased header; blank rows are skipped."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise DomainError(_("The file is larger than 5 MB."))
    if not content.strip():
        raise DomainError(_("The file is empty."))
    rows = _xlsx_rows(content) if content.startswith(b"PK\x03\x04") else _csv_rows(content)
    rows = [row for row in rows if any(_present(cell) for cell in row)]
    if not rows:
        raise DomainError(_("The file is empty."))
    header = [str(cell or "").strip().lower() for cell in rows[0]]
    if len(rows) - 1 > MAX_ROWS:
        raise DomainError(_("The file has more than %(max)d rows.") % {"max": MAX_ROWS})
    return [
        {name: (row[i] if i < len(row) else None) for i, name in enumerate(header) if name}
        for row in rows[1:]
    ]


def _present(cell: Any) -> bool:
    return cell is not None and str(cell).strip() != ""


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise DomainError(_("The file is neither an Excel workbook (.xlsx) nor CSV.")) from error
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _csv_rows(content: bytes) -> list[list[Any]]:
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
        return [list(row) for row in csv.reader(io.StringIO(text))]
    except csv.Error as error:
        raise DomainError(_("The file is neither an Excel workbook (.xlsx) nor CSV.")) from error
