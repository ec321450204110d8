"""The strict Content-Security-Policy breaks nothing: the main pages, their scripts and
the ECharts chart run in Chromium without a single CSP violation in the console."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count

from huifang.core.models import User
from huifang.customers.models import Contact
from huifang.projects.models import Project
from huifang.surveys.services import invite_contacts
from huifang.visits.models import Feedback, Visit
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_PASSWORD = "huifang-demo"
# Violations also fire as DOM events, with the offending file and line: log them too.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => console.error(
  "Content Security Policy violation: " + e.violatedDirective + " " + e.blockedURI
  + " " + e.sourceFile + ":" + e.lineNumber + ":" + e.columnNumber));
"""


class Violations:
    """Console messages and `securitypolicyviolation` events reporting the CSP."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.messages: list[str] = []
        page.on("console", self._console)
        # Violations are also fired as DOM events; report them to the console too.
        page.add_init_script(REPORT_VIOLATIONS)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.messages.append(f"{self.page.url} {message.type}: {message.text}")


def visit_page(page: Any, path: str) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, path
    assert "script-src 'self';" in response.headers["content-security-policy"] + ";"
    page.wait_for_load_state("networkidle")


def hover_chart(page: Any, chart: Any, drawing: str) -> None:
    """Wait until ECharts drew the chart, then hover its middle to open the tooltip."""
    chart.locator(drawing).first.wait_for(state="attached")
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)


@pytest.fixture
def demo(db: None) -> None:
    call_command("demo", verbosity=0)


def test_main_pages_of_a_project_manager_have_no_csp_violations(page: Any, demo: None) -> None:
    manager = User.objects.get(username="pm1")
    project = (
        Project.objects.filter(manager=manager)
        .annotate(feedback_count=Count("feedback"))
        .filter(feedback_count__gt=0)
        .order_by("-feedback_count", "pk")
        .first()
    )
    assert project is not None
    assert Feedback.objects.filter(project=project).exists()
    visit = (
        Visit.objects.filter(project__manager=manager, status__in=["planned", "scheduled"])
        .order_by("due_date")
        .first()
    )
    assert visit is not None
    violations = Violations(page)

    log_in(page, "pm1", DEMO_PASSWORD)
    visit_page(page, "/")
    visit_page(page, "/projects/")
    visit_page(page, f"/projects/{project.pk}/")
    # The ECharts chart drew itself (its script ran, its SVG exists), and its tooltip
    # shows on hover.
    hover_chart(page, page.get_by_test_id("trend-chart"), "svg")
    visit_page(page, f"/visits/{visit.pk}/record/")
    visit_page(page, "/visits/")
    visit_page(page, "/actions/")
    visit_page(page, "/insights/")
    hover_chart(page, page.locator("#chart-ontime"), "canvas")
    visit_page(page, f"/insights/projects/{project.pk}/report/")

    assert violations.messages == [], "\n".join(violations.messages)


def test_admin_and_public_survey_have_no_csp_violations(page: Any, demo: None) -> None:
    manager = User.objects.get(username="pm1")
    visit = Visit.objects.filter(project__manager=manager, status="done").first()
    assert visit is not None
    contact = Contact.objects.filter(customer=visit.project.customer).first()
    assert contact is not None
    (link,) = invite_contacts(
        visit=visit, contacts=[contact], invited_by=manager, base_url="http://testserver"
    )
    violations = Violations(page)

    visit_page(page, link.url.removeprefix("http://testserver"))
    visit_page(page, "/login/")
    log_in(page, "admin", DEMO_PASSWORD)
    visit_page(page, "/admin/")
    visit_page(page, f"/admin/core/user/{manager.pk}/change/")
    visit_page(page, "/admin/projects/project/")

    assert violations.messages == [], "\n".join(violations.messages)


def test_api_documentation_page_has_no_csp_violations(page: Any, demo: None) -> None:
    violations = Violations(page)
    log_in(page, "pm1", DEMO_PASSWORD)
    visit_page(page, "/api/v1/docs")
    page.locator(".swagger-ui .opblock").first.wait_for(state="attached")

    assert violations.messages == [], "\n".join(violations.messages)
