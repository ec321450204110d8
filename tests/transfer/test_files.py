"""Reading uploaded spreadsheets: every row a file really has, whatever its
``<dimension>`` tag announces, within the row and column limits."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from openpyxl import Workbook

from huifang.core.errors import DomainError
from huifang.core.models import User
from huifang.customers.models import Customer
from huifang.transfer.files import MAX_COLUMNS, MAX_ROWS, read_table
from huifang.transfer.importers import run_import

SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _xlsx(rows: list[list[Any]], *, dimension: str | None = None) -> bytes:
    """A workbook; with ``dimension``, its sheet's <dimension ref> rewritten to it, as
    tools other than Excel (and stale writers) leave it."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    if dimension is None:
        return out.getvalue()
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    edited = io.BytesIO()
    with zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == SHEET:
                data, count = re.subn(
                    rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), data
                )
                assert count == 1
            target.writestr(item, data)
    return edited.getvalue()


CUSTOMERS = [
    ["name", "industry"],
    ["Acme", "Retail"],
    ["Globex", "Energy"],
    ["Initech", "IT"],
    ["Umbrella", "Pharma"],
]


def test_xlsx_with_a_dimension_smaller_than_its_rows_reads_every_row() -> None:
    table = read_table(_xlsx(CUSTOMERS, dimension="A1:B2"))
    assert [row["name"] for row in table.rows] == ["Acme", "Globex", "Initech", "Umbrella"]


def test_xlsx_with_a_dimension_narrower_than_its_columns_reads_every_column() -> None:
    table = read_table(_xlsx(CUSTOMERS, dimension="A1:A5"))
    assert table.header == ["name", "industry"]
    assert [row["industry"] for row in table.rows] == ["Retail", "Energy", "IT", "Pharma"]


def test_xlsx_with_a_single_cell_dimension_reads_every_row() -> None:
    # openpyxl and some exporters write "A1" for a sheet they did not measure.
    table = read_table(_xlsx(CUSTOMERS, dimension="A1"))
    assert len(table.rows) == 4


def test_row_limit_counts_the_rows_the_file_has_not_the_dimension() -> None:
    rows = [["name"], *([f"Customer {n}"] for n in range(MAX_ROWS + 1))]
    with pytest.raises(DomainError, match=f"more than {MAX_ROWS} rows"):
        read_table(_xlsx(rows, dimension="A1:A2"))


def test_row_limit_admits_exactly_the_limit() -> None:
    rows = [["name"], *([f"Customer {n}"] for n in range(MAX_ROWS))]
    assert len(read_table(_xlsx(rows, dimension="A1:A2")).rows) == MAX_ROWS


def test_a_row_wider_than_the_column_limit_is_refused() -> None:
    rows = [["name"], ["Acme", *([""] * MAX_COLUMNS), "far away"]]
    with pytest.raises(DomainError, match=f"more than {MAX_COLUMNS} columns"):
        read_table(_xlsx(rows))


def test_trailing_empty_cells_do_not_count_as_columns() -> None:
    csv = ("name" + "," * (MAX_COLUMNS + 5) + "\nAcme" + "," * (MAX_COLUMNS + 5) + "\n").encode()
    assert read_table(csv).rows == [{"name": "Acme"}]


@pytest.mark.django_db
def test_preview_lists_every_row_of_a_workbook_with_a_wrong_dimension(quality: User) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(quality)
    response = client.post(
        "/transfer/import/preview/",
        {
            "kind": "customers",
            "file": SimpleUploadedFile("c.xlsx", _xlsx(CUSTOMERS, dimension="A1:B2")),
        },
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert [row.line for row in report.rows] == [2, 3, 4, 5]
    html = response.content.decode()
    assert html.count("<tr") - html.count("<thead") >= 4
    done = client.post("/transfer/import/confirm/", {"upload_id": response.context["upload_id"]})
    assert done.status_code == 200
    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        "Acme",
        "Globex",
        "Initech",
        "Umbrella",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_header_only_file_says_there_are_no_rows_not_that_a_column_is_missing(
    quality: User, fmt: str
) -> None:
    content = b"name,industry\r\n" if fmt == "csv" else _xlsx([["name", "industry"]])
    with pytest.raises(DomainError) as caught:
        run_import(kind="customers", content=content, user=quality, dry_run=True)
    assert caught.value.message == "The file has a header but no rows below it: nothing to import."


@pytest.mark.django_db
def test_preview_names_the_spreadsheet_row_even_after_blank_rows(quality: User) -> None:
    rows: list[list[Any]] = [["name", "industry"], ["Acme", "Retail"], [None, None], ["", "Energy"]]
    report = run_import(kind="customers", content=_xlsx(rows), user=quality, dry_run=True)
    assert [(row.line, row.errors) for row in report.rows] == [(2, []), (4, ["name: required."])]
