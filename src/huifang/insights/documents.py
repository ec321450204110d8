"""The reports people circulate, as PDF: a project's follow-up report and a review's
report. Each is the page's own data (``queries.project_report``, the review's frozen
figures) in a print template, rendered by ``huifang.core.pdf`` (no network, a CJK
font from the system). The page's chart is left out: the table beside it on the page
carries the same figures."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from huifang.core import pdf
from huifang.insights.models import Review
from huifang.projects.models import Project


def _safe(name: str) -> str:
    """``name`` with the characters a file system refuses made spaces."""
    return " ".join("".join(" " if ch in '\\/:*?"<>|' else ch for ch in name).split())


def project_report_pdf(
    project: Project, report: dict[str, Any], *, today: datetime.date, request: HttpRequest
) -> tuple[bytes, str]:
    """The PDF and its file name (回访报告-P-001.pdf)."""
    content = pdf.render_pdf(
        "insights/project_report_print.html",
        {"project": project, "report": report, "today": today},
        request,
    )
    return content, f"{_safe(_('Follow-up report'))}-{_safe(project.code)}.pdf"


def review_report_pdf(
    review: Review, figures: list[dict[str, Any]], actions: Any, *, request: HttpRequest
) -> tuple[bytes, str]:
    """The PDF and its file name (回访效果评估报告-<title>.pdf)."""
    content = pdf.render_pdf(
        "insights/review_report_print.html",
        {"review": review, "figures": figures, "actions": actions},
        request,
    )
    return content, f"{_safe(_('Follow-up evaluation report'))}-{_safe(review.title)}.pdf"
