"""The policy document as the Word and PDF files people circulate: the page's text, in
the reader's language, laid out as a Chinese company's policy document."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from huifang.core.models import User
from huifang.policy.models import Policy, PolicyVersion
from huifang.policy.services import create_policy_draft
from huifang.policy.word import chinese_number, clause_label, parse_html
from tests.documents import (
    EN_HEADINGS,
    ZH_HEADINGS,
    body,
    docx_paragraphs,
    docx_tables,
    pdf_fonts,
    pdf_text,
    require_cjk_font,
)

pytestmark = pytest.mark.django_db

TITLE = "项目回访管理制度 / Project follow-up visit policy"


@pytest.fixture
def version(policy: Policy) -> PolicyVersion:
    """The policy in force, as a company's third version (published versions cannot be
    saved again: the number is set in the database)."""
    PolicyVersion.objects.filter(policy=policy).update(number=3)
    return policy.versions.get()


def _download(user: User | None, name: str, version: PolicyVersion, language: str) -> bytes:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    response = client.get(reverse(name, args=[version.pk]))
    assert response.status_code == 200
    return body(response)


def test_word_file_in_chinese_is_a_policy_document(version: PolicyVersion, colleague: User) -> None:
    content = _download(colleague, "policy:version_docx", version, "zh-hans")
    paragraphs = docx_paragraphs(content)
    assert paragraphs[0] == TITLE
    assert paragraphs[1] == "版本 3 · 自 2000-01-01 起施行"
    assert [text for text in paragraphs if text in ZH_HEADINGS] == ZH_HEADINGS
    assert "（一）启动回访：项目启动后 7 日内进行首次回访，" in "\n".join(paragraphs)
    assert "（三）质量经理：负责维护本制度" in "\n".join(paragraphs)
    assert docx_tables(content)[0] == [
        ["按时完成回访", "≥ 90.0%"],
        ["客户满意度（CSAT，评分为 4 或 5 的比例）", "≥ 85.0"],
        ["净推荐值（NPS）", "≥ 30.0"],
        ["改进措施关闭时限", "30 日"],
    ]


def test_word_file_centres_the_title_and_sets_the_page_as_a4(
    version: PolicyVersion, colleague: User
) -> None:
    document = Document(io.BytesIO(_download(colleague, "policy:version_docx", version, "zh-hans")))
    title, version_line, *_rest = document.paragraphs
    assert (title.alignment, version_line.alignment) == (
        WD_ALIGN_PARAGRAPH.CENTER,
        WD_ALIGN_PARAGRAPH.CENTER,
    )
    assert [run.bold for run in title.runs] == [True]
    width, height = document.sections[0].page_width, document.sections[0].page_height
    assert width is not None
    assert height is not None
    assert (round(width.cm, 1), round(height.cm, 1)) == (21.0, 29.7)


def test_word_file_in_english_numbers_sections_and_clauses(
    version: PolicyVersion, colleague: User
) -> None:
    content = _download(colleague, "policy:version_docx", version, "en")
    paragraphs = docx_paragraphs(content)
    assert paragraphs[:2] == [TITLE, "Version 3 · In force from 1 Jan 2000"]
    assert [text for text in paragraphs if text in EN_HEADINGS] == EN_HEADINGS
    assert "(a) Kickoff visit: within 7 days after the project starts," in "\n".join(paragraphs)
    assert docx_tables(content)[0][0] == ["Visits done on time", "≥ 90.0%"]
    assert docx_tables(content)[0][3] == ["Improvement measures closed within", "30 days"]


def test_word_file_of_a_draft_shows_its_targets_and_the_draft_mark(
    version: PolicyVersion, quality: User
) -> None:
    draft = create_policy_draft(policy=version.policy, based_on=version)
    draft.target_nps = 45
    draft.save()
    content = _download(quality, "policy:version_docx", draft, "zh-hans")
    assert docx_paragraphs(content)[1] == "版本 4 · 草稿"
    assert docx_tables(content)[0][2] == ["净推荐值（NPS）", "≥ 45.0"]


def test_pdf_in_chinese_has_the_headings_and_a_cjk_font(
    version: PolicyVersion, colleague: User
) -> None:
    require_cjk_font()
    content = _download(colleague, "policy:version_pdf", version, "zh-hans")
    text = pdf_text(content)
    lines = [line.strip() for line in text.splitlines()]
    assert lines[:2] == [TITLE, "版本 3 · 自 2000-01-01 起施行"]
    assert [heading for heading in ZH_HEADINGS if heading in lines] == ZH_HEADINGS
    assert "按时完成回访 ≥ 90.0%" in text
    assert [name for name in pdf_fonts(content) if "WenQuanYi" in name or "CJK" in name] != []


def test_pdf_in_english_has_the_headings_and_targets(
    version: PolicyVersion, colleague: User
) -> None:
    text = pdf_text(_download(colleague, "policy:version_pdf", version, "en"))
    lines = [line.strip() for line in text.splitlines()]
    assert lines[1] == "Version 3 · In force from 1 Jan 2000"
    assert [heading for heading in EN_HEADINGS if heading in lines] == EN_HEADINGS
    assert "Visits done on time ≥ 90.0%" in text
    assert "Net promoter score (NPS) ≥ 30.0" in text


def test_files_are_named_after_the_policy_and_version(
    version: PolicyVersion, colleague: User
) -> None:
    client = Client()
    client.force_login(colleague)
    name = quote("项目回访管理制度 Project follow-up visit policy-v3")
    docx = client.get(reverse("policy:version_docx", args=[version.pk]))
    pdf = client.get(reverse("policy:version_pdf", args=[version.pk]))
    assert docx["Content-Disposition"] == f"attachment; filename*=utf-8''{name}.docx"
    assert pdf["Content-Disposition"] == f"attachment; filename*=utf-8''{name}.pdf"
    assert docx["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert pdf["Content-Type"] == "application/pdf"


def test_policy_page_links_both_files(version: PolicyVersion, colleague: User) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(colleague)
    html = client.get(reverse("policy:current")).content.decode()
    links = {
        (anchor.attrs["href"], anchor.text())
        for anchor in parse_html(html).descendants()
        if anchor.tag == "a" and anchor.attrs.get("data-testid", "").startswith("download-")
    }
    assert links == {
        (f"/policy/versions/{version.pk}/document.docx", "下载 Word"),
        (f"/policy/versions/{version.pk}/document.pdf", "下载 PDF"),
    }


@pytest.mark.parametrize("name", ["policy:version_docx", "policy:version_pdf"])
def test_files_ask_an_anonymous_visitor_to_sign_in(version: PolicyVersion, name: str) -> None:
    url = reverse(name, args=[version.pk])
    response = Client().get(url)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")


def test_clause_numbers_in_chinese_and_english() -> None:
    numbers = [1, 2, 9, 10, 11, 20, 23]
    assert [chinese_number(n) for n in numbers] == [
        "一",
        "二",
        "九",
        "十",
        "十一",
        "二十",
        "二十三",
    ]
    assert clause_label(3, chinese=True) == "（三）"
    assert clause_label(3, chinese=False) == "(c)"
