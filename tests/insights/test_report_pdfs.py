"""The reports as PDF: a project's follow-up report and a review's report carry the
page's figures, in the reader's language, for whoever may see the page."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from huifang.core.models import User
from huifang.insights import services
from huifang.insights.models import Review
from tests.documents import body, pdf_fonts, pdf_text, require_cjk_font
from tests.insights.dataset import APRIL, Data, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(policy, owner, colleague, outsider_pm) -> Data:
    return build(policy=policy, owner=owner, colleague=colleague, other_pm=outsider_pm)


@pytest.fixture
def review(data: Data, quality: User) -> Review:
    return services.create_review(
        title="Q2 2026",
        period_start=APRIL[0],
        period_end=APRIL[1],
        created_by=quality,
        findings="Kickoff visits were late.",
        decisions="Remind two days earlier.",
    )


def _client(user: User, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _lines(content: bytes) -> list[str]:
    return [line.strip() for line in pdf_text(content).splitlines()]


def test_project_report_pdf_has_the_reports_figures(data: Data, colleague: User) -> None:
    response = _client(colleague).get(reverse("insights:project_report_pdf", args=[data.a.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Follow-up report-A.pdf"'
    lines = _lines(body(response))
    assert lines[0] == f"Follow-up report: {data.a}"
    assert "Planned 5" in lines
    assert "Done 3" in lines
    assert "Done on time 1" in lines
    assert "Found 1" in lines
    assert "Resolved 0" in lines
    assert [line for line in lines if line.startswith("4 actions:")] != []


def test_project_report_pdf_in_chinese_with_a_cjk_font(data: Data, owner: User) -> None:
    require_cjk_font()
    response = _client(owner, "zh-hans").get(
        reverse("insights:project_report_pdf", args=[data.a.pk])
    )
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('回访报告-A.pdf')}"
    )
    content = body(response)
    lines = _lines(content)
    assert lines[0] == f"回访报告：{data.a}"
    assert "计划中 5" in lines
    assert "已完成 3" in lines
    assert [name for name in pdf_fonts(content) if "WenQuanYi" in name or "CJK" in name] != []


def test_project_report_pdf_hidden_from_an_outsider(data: Data, outsider: User) -> None:
    url = reverse("insights:project_report_pdf", args=[data.a.pk])
    assert _client(outsider).get(url).status_code == 404


def test_project_report_page_links_the_pdf(data: Data, owner: User) -> None:
    html = _client(owner).get(reverse("insights:project_report", args=[data.a.pk])).content
    assert f'href="/insights/projects/{data.a.pk}/report.pdf"'.encode() in html


def test_review_report_pdf_has_the_frozen_figures(review: Review, executive: User) -> None:
    response = _client(executive).get(reverse("insights:review_report_pdf", args=[review.pk]))
    lines = _lines(body(response))
    assert lines[:2] == ["Follow-up evaluation report", "Q2 2026"]
    assert "On-time rate 40.0%" in lines
    assert "Kickoff visits were late." in lines
    assert "Remind two days earlier." in lines


def test_review_report_pdf_in_chinese(review: Review, quality: User) -> None:
    require_cjk_font()
    response = _client(quality, "zh-hans").get(
        reverse("insights:review_report_pdf", args=[review.pk])
    )
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('回访效果评估报告-Q2 2026.pdf')}"
    )
    lines = _lines(body(response))
    assert lines[:2] == ["回访效果评估报告", "Q2 2026"]
    assert "按时率 40.0%" in lines


def test_review_report_pdf_forbidden_to_a_member(review: Review, colleague: User) -> None:
    url = reverse("insights:review_report_pdf", args=[review.pk])
    assert _client(colleague).get(url).status_code == 403


def test_review_pages_link_the_pdf(review: Review, quality: User) -> None:
    client = _client(quality)
    link = f'href="/insights/reviews/{review.pk}/report.pdf"'.encode()
    assert link in client.get(reverse("insights:review", args=[review.pk])).content
    assert link in client.get(reverse("insights:review_report", args=[review.pk])).content
