"""Reading the documents people download (Word and PDF) back as text, for the tests of
huifang.core.pdf, the policy's files and the reports' PDFs."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from typing import Any

import pytest
from django.http import FileResponse, HttpResponseBase
from docx import Document
from pypdf import PdfReader

# The eight sections of the policy document (制度文本), as its Word, PDF and web forms
# head them.
ZH_HEADINGS = [
    "一、目的与意义",
    "二、回访对象",
    "三、时间安排",
    "四、内容与形式",
    "五、记录与跟踪",
    "六、责任分工",
    "七、效果评估",
    "八、工作日",
]
EN_HEADINGS = [
    "1. Purpose and significance",
    "2. Who is visited",
    "3. Timing",
    "4. Content and forms",
    "5. Records and tracking",
    "6. Responsibilities",
    "7. Evaluation standards",
    "8. Working days",
]


def body(response: HttpResponseBase) -> bytes:
    assert isinstance(response, FileResponse)
    return b"".join(response.streaming_content)  # type: ignore[arg-type]


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_fonts(content: bytes) -> set[str]:
    """The base names of the fonts the PDF embeds, without the subset tag
    ("ABCDEF+WenQuanYi-Micro-Hei" → "WenQuanYi-Micro-Hei")."""
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(content)).pages:
        resources: Any = page["/Resources"]
        fonts = resources.get("/Font", {})
        for font in fonts.values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return names


def docx_paragraphs(content: bytes) -> list[str]:
    return [paragraph.text for paragraph in Document(io.BytesIO(content)).paragraphs]


def docx_tables(content: bytes) -> list[list[list[str]]]:
    return [
        [[cell.text for cell in row.cells] for row in table.rows]
        for table in Document(io.BytesIO(content)).tables
    ]


def _cjk_font_installed() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    listed = subprocess.run(  # noqa: S603 - fontconfig's own tool, fixed arguments
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
    )
    return bool(listed.stdout.strip())


def require_cjk_font() -> None:
    """Skip a test that looks at Chinese glyphs when no CJK font is installed, except
    where HUIFANG_REQUIRE_CJK_FONT is set (CI installs one): there it fails."""
    if _cjk_font_installed():
        return
    message = "no CJK font installed: apt-get install fonts-wqy-microhei"
    if os.environ.get("CI") or os.environ.get("HUIFANG_REQUIRE_CJK_FONT"):
        pytest.fail(message)
    pytest.skip(message)
