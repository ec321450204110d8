"""The policy document (制度文本) as Word (.docx) and PDF files people circulate.

Both are made from the same HTML as the page (``policy/_document.html``), so the file
says exactly what the page says, in the reader's language, and the translators keep
one set of whole sentences. The PDF is that HTML in a print template
(``huifang.core.pdf``); the Word file is built from it element by element:

- the policy's name as the centred title, the version and effective date under it;
- the sections as headings, numbered 一、二、… in Chinese and 1. 2. … in English;
- the clauses of a section numbered （一）（二）… in Chinese and (a) (b) … in English,
  the items under a clause 1. 2. …;
- tables (the targets, the company's days) as real Word tables.

The layout is a Chinese company's usual one: A4, margins 2.54 / 3.17 cm, a bold
heading font for the title and headings, body text in 宋体 with a first-line indent of
two characters, page numbers centred in the footer.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from huifang.core import pdf
from huifang.policy.document import build_document
from huifang.policy.models import PolicyVersion

# --- The page's HTML as a small tree -------------------------------------------------

_VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def find_all(self, tag: str) -> list[Node]:
        return [child for child in self.children if isinstance(child, Node) and child.tag == tag]

    def text(self) -> str:
        return " ".join(_words(self).split())

    def descendants(self) -> list[Node]:
        found: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                found += [child, *child.descendants()]
        return found


def _words(node: Node | str) -> str:
    if isinstance(node, str):
        return node
    if node.tag == "br":
        return "\n"
    return "".join(_words(child) for child in node.children)


def _segments(node: Node | str, *, bold: bool) -> list[tuple[str, bool]]:
    """(text, bold) pieces of ``node``'s own text; lists and tables inside it are left
    out (they are written as paragraphs and tables of their own)."""
    if isinstance(node, str):
        return [(re.sub(r"\s+", " ", node), bold)]
    if node.tag == "br":
        return [("\n", bold)]
    if node.tag in {"ul", "ol", "table"}:
        return []
    strong = bold or node.tag in {"strong", "b", "th"}
    return [piece for child in node.children for piece in _segments(child, bold=strong)]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self._stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs})
        self._stack[-1].children.append(node)
        if tag not in _VOID:
            self._stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._stack) - 1, 0, -1):
            if self._stack[depth].tag == tag:
                del self._stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data)


def parse_html(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


# --- Numbering -----------------------------------------------------------------------

_DIGITS = "零一二三四五六七八九"


def chinese_number(number: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九 (the numbers of clauses)."""
    if not 0 < number < 100:
        return str(number)
    tens, ones = divmod(number, 10)
    text = ("" if tens == 1 else _DIGITS[tens]) + "十" if tens else ""
    return text + (_DIGITS[ones] if ones else "")


def clause_label(number: int, *, chinese: bool) -> str:
    if chinese:
        return f"（{chinese_number(number)}）"
    return f"({'abcdefghijklmnopqrstuvwxyz'[(number - 1) % 26]})"


_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")


def item_label(number: int, *, chinese: bool) -> str:
    """The number of an item under a clause: 1. in Chinese, (i) in English."""
    return f"{number}." if chinese else f"({_ROMAN[(number - 1) % len(_ROMAN)]})"


# --- The Word document ---------------------------------------------------------------

# East Asian and Western font of each kind of text.
_FONTS = {
    "title": ("黑体", "Arial"),
    "heading": ("黑体", "Arial"),
    "body": ("宋体", "Times New Roman"),
}


def _set_font(run: Any, kind: str, *, size: float, bold: bool = False) -> None:
    east_asian, western = _FONTS[kind]
    run.font.name = western
    run.font.size = Pt(size)
    run.font.bold = bold or None
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)


@dataclass
class _Writer:
    document: Any
    chinese: bool
    body_size: float = 12  # 小四

    def paragraph(
        self,
        node: Node | str,
        *,
        prefix: str = "",
        left: float = 0,
        first: float = 0,
        align: Any = None,
        size: float | None = None,
        kind: str = "body",
        bold: bool = False,
    ) -> Paragraph:
        """A paragraph of ``node``'s text; ``left`` and ``first`` (the first line's
        indent, negative for a hanging label) in characters of the body size."""
        paragraph = self.document.add_paragraph()
        layout = paragraph.paragraph_format
        size = size or self.body_size
        layout.space_after = Pt(4)
        layout.line_spacing = 1.5
        if align is not None:
            layout.alignment = align
        if left:
            layout.left_indent = Pt(self.body_size * left)
        if first:
            layout.first_line_indent = Pt(self.body_size * first)
        if prefix:
            _set_font(paragraph.add_run(prefix + ("" if self.chinese else " ")), kind, size=size)
        self.runs(paragraph, node, kind=kind, size=size, bold=bold)
        return paragraph

    def runs(
        self, paragraph: Paragraph, node: Node | str, *, kind: str, size: float, bold: bool
    ) -> None:
        """The text of ``node`` as runs, bold where the HTML is; spaces collapsed as a
        browser does, none at either end."""
        segments = _segments(node, bold=bold)
        while segments and segments[0][0].isspace():
            segments.pop(0)
        while segments and segments[-1][0].isspace():
            segments.pop()
        if segments:
            segments[0] = (segments[0][0].lstrip(), segments[0][1])
            segments[-1] = (segments[-1][0].rstrip(), segments[-1][1])
        for text, strong in segments:
            if text == "\n":
                paragraph.add_run().add_break()
            elif text:
                _set_font(paragraph.add_run(text), kind, size=size, bold=strong)

    def section(self, section: Node) -> None:
        for child in section.children:
            if not isinstance(child, Node):
                continue
            if child.tag == "h2":
                heading = self.paragraph(child, kind="heading", size=14, bold=True)
                heading.paragraph_format.space_before = Pt(12)
                heading.paragraph_format.keep_with_next = True
            elif child.tag == "p" or (child.tag == "div" and child.text()):
                self.paragraph(child, first=2 if self.chinese else 0)
            elif child.tag in {"ol", "ul"}:
                for number, item in enumerate(child.find_all("li"), start=1):
                    self.clause(item, clause_label(number, chinese=self.chinese))
            elif child.tag == "table":
                self.table(child)

    def clause(self, item: Node, label: str) -> None:
        """A numbered clause and the items under it. Chinese: the number starts the
        paragraph's first line, indented two characters, as the body text; English: a
        hanging number."""
        if self.chinese:
            self.paragraph(item, prefix=label, first=2)
        else:
            self.paragraph(item, prefix=label, left=2, first=-2)
        for nested in item.find_all("ul") + item.find_all("ol"):
            for number, sub in enumerate(nested.find_all("li"), start=1):
                label = item_label(number, chinese=self.chinese)
                if self.chinese:
                    self.paragraph(sub, prefix=label, left=2, first=2)
                else:
                    self.paragraph(sub, prefix=label, left=4, first=-2)

    def table(self, node: Node) -> None:
        rows = [
            row
            for part in [node, *node.find_all("thead"), *node.find_all("tbody")]
            for row in part.find_all("tr")
        ]
        cells = [
            [cell for cell in row.children if isinstance(cell, Node) and cell.tag in {"th", "td"}]
            for row in rows
        ]
        width = max((len(row) for row in cells), default=0)
        if not width:
            return
        table = self.document.add_table(rows=len(cells), cols=width)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for row_cells, row in zip(cells, table.rows, strict=True):
            for cell_node, cell in zip(row_cells, row.cells, strict=False):
                self._cell(cell, cell_node)
        self.document.add_paragraph()

    def _cell(self, cell: _Cell, node: Node) -> None:
        paragraph = cell.paragraphs[0]
        paragraph.paragraph_format.space_after = Pt(0)
        self.runs(paragraph, node, kind="body", size=self.body_size - 1.5, bold=node.tag == "th")


def _page_number_field(paragraph: Paragraph) -> None:
    """A PAGE field: Word fills in the page's number."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


def _setup(document: Any) -> None:
    for section in document.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.top_margin = section.bottom_margin = Cm(2.54)
        section.left_margin = section.right_margin = Cm(3.17)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _page_number_field(footer)
    normal = document.styles["Normal"]
    normal.font.name = _FONTS["body"][1]
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), _FONTS["body"][0])


def docx_from_html(html: str, *, chinese: bool, title: str) -> bytes:
    """The Word file of the rendered ``policy/_document.html``."""
    document = Document()
    document.core_properties.title = title
    _setup(document)
    writer = _Writer(document, chinese=chinese)
    article = next((node for node in parse_html(html).descendants() if node.tag == "article"), None)
    for child in article.children if article else []:
        if not isinstance(child, Node):
            continue
        if child.tag == "header":
            for part in child.children:
                if isinstance(part, Node) and part.tag == "h1":
                    writer.paragraph(
                        part, kind="title", size=22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER
                    )
                elif isinstance(part, Node) and part.tag == "p":
                    writer.paragraph(part, align=WD_ALIGN_PARAGRAPH.CENTER, size=11)
        elif child.tag == "section":
            writer.section(child)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- The files -----------------------------------------------------------------------


def _document_html(version: PolicyVersion, request: HttpRequest, template: str) -> str:
    return render_to_string(
        template,
        {
            "document": build_document(version, today=timezone.localdate()),
            "for_print": True,
        },
        request=request,
    )


def file_name(version: PolicyVersion, extension: str) -> str:
    """项目回访管理制度-v3.docx: the policy's name and the version."""
    # Characters a file system refuses become spaces.
    name = " ".join(
        "".join(" " if ch in '\\/:*?"<>|' else ch for ch in version.policy.name).split()
    )
    return f"{name or 'policy'}-v{version.number}.{extension}"


def policy_docx(version: PolicyVersion, request: HttpRequest) -> bytes:
    chinese = (get_language() or "").lower().startswith("zh")
    html = _document_html(version, request, "policy/_document.html")
    return docx_from_html(html, chinese=chinese, title=version.policy.name)


def policy_pdf(version: PolicyVersion, request: HttpRequest) -> bytes:
    return pdf.html_to_pdf(_document_html(version, request, "policy/document_print.html"))
