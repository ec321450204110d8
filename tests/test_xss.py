"""Bad input: a corpus of script-injection payloads put through every kind of text field
by the real services, then read back everywhere it is shown — pages, the e-mail of a
notification, webhook bodies and exports. Pages show the escaped form and never the
raw payload; machine formats carry it as plain text; spreadsheets never run it.
Attachments are judged by their content, not their name (see also
tests/visits/test_attachments.py)."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import markupsafe
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from huifang.actions.models import ImprovementAction
from huifang.core.models import User
from huifang.customers.models import Customer
from huifang.customers.services import create_customer
from huifang.notify import channels
from huifang.notify.models import Channel, Delivery, EndpointKind, Notification, WebhookEndpoint
from huifang.notify.services import notify, send_delivery
from huifang.policy.models import Policy
from huifang.projects.models import Project
from huifang.projects.services import create_project
from huifang.surveys.models import QuestionKind
from huifang.surveys.services import invite_contacts, submit_survey_response
from huifang.visits.models import Attachment, Visit
from huifang.visits.recording import save_visit_record, submit_visit_record
from tests.pages import contact_row, management

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "</textarea><svg onload=alert(1)>",
    '=HYPERLINK("http://evil.example","x")\'<b>',
]
SHANGHAI = ZoneInfo("Asia/Shanghai")
JAVASCRIPT_LINK = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


@pytest.fixture(autouse=True)
def _today(time_machine: Any, settings: Any, tmp_path: Path) -> None:
    time_machine.move_to(datetime.datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI), tick=False)
    settings.MEDIA_ROOT = tmp_path / "media"


def _client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _assert_escaped(body: str, payload: str, where: str) -> None:
    # Pages escape with MarkupSafe (Jinja2: &#34; &#39;), form widgets with Django's
    # escape (&quot; &#x27;): either shows the text and runs nothing.
    shown = escape(payload) in body or str(markupsafe.escape(payload)) in body
    assert shown, f"{where} does not show the payload"
    if escape(payload) != payload:
        assert payload not in body, f"{where} shows the raw payload"
    assert not JAVASCRIPT_LINK.search(body), f"{where} links to javascript:"


def _fill(payload: str, policy: Policy, owner: User, colleague: User) -> dict[str, Any]:
    """One of everything, every free text being ``payload`` (with a distinct prefix
    where a field must be unique)."""
    customer = create_customer(
        name=f"Customer {payload}",
        industry=payload,
        notes=payload,
        contacts=[(None, {"name": payload, "title": payload, "email": "c@example.com"})],
    )
    project, _ = create_project(
        code="XSS-1",
        name=payload,
        description=payload,
        customer=customer,
        manager=owner,
        status="active",
        cadence="monthly",
        planned_start=datetime.date(2026, 3, 2),
        planned_end=datetime.date(2026, 8, 31),
        policy=policy,
        members=[colleague],
        today=datetime.date(2026, 3, 1),
    )
    visit = project.visits.get(phase="kickoff", sequence=1)
    record = save_visit_record(
        visit=visit,
        recorded_by=colleague,
        fields={
            "work_completed": payload,
            "work_outstanding": payload,
            "summary": payload,
            "schedule_status": "on_track",
            "percent_complete": 10,
        },
        problems=[{"category": "schedule", "severity": "high", "description": payload}],
        feedback={
            "overall_satisfaction": 4,
            "likelihood_to_recommend": 9,
            "evaluation": payload,
            "suggestions": payload,
        },
        actions=[
            {
                "description": payload,
                "owner": colleague,
                "due_date": datetime.date(2026, 4, 30),
                "problem_index": 0,
            }
        ],
    )
    submit_visit_record(record=record, submitted_by=colleague)
    # A draft on the next visit: its record page shows the text inside <textarea>s.
    draft_visit = project.visits.get(phase="ongoing", sequence=1)
    save_visit_record(
        visit=draft_visit,
        recorded_by=colleague,
        fields={"work_completed": payload, "summary": payload},
        problems=[],
        feedback=None,
        actions=[],
    )
    action = ImprovementAction.objects.get(project=project)
    notification = notify(
        recipient=colleague,
        kind="xss_test",
        subject=action,
        occasion="xss",
        context={"title": payload, "body": payload, "url": f"/actions/{action.pk}/"},
        project=project,
    )
    return {
        "customer": customer,
        "project": project,
        "visit": visit,
        "draft_visit": draft_visit,
        "action": action,
        "notification": notification,
    }


@pytest.fixture(params=PAYLOADS, ids=[f"payload{n}" for n in range(len(PAYLOADS))])
def filled(
    request: pytest.FixtureRequest, policy: Policy, owner: User, colleague: User
) -> tuple[str, dict[str, Any]]:
    return request.param, _fill(request.param, policy, owner, colleague)


def test_pages_show_payloads_escaped(
    filled: tuple[str, dict[str, Any]], owner: User, colleague: User, quality: User
) -> None:
    payload, objects = filled
    customer, project, visit, action = (
        objects["customer"],
        objects["project"],
        objects["visit"],
        objects["action"],
    )
    pages = [
        (owner, "/customers/"),
        (owner, f"/customers/{customer.pk}/"),
        (owner, "/projects/"),
        (owner, f"/projects/{project.pk}/"),
        (colleague, f"/visits/{visit.pk}/"),
        (colleague, f"/visits/{visit.pk}/amend/"),
        (colleague, f"/visits/{objects['draft_visit'].pk}/record/"),
        (colleague, "/actions/"),
        (colleague, "/actions/list/"),
        (colleague, f"/actions/{action.pk}/"),
        (colleague, "/"),
        (colleague, "/notifications/"),
        (quality, "/insights/feedback/"),
        (owner, f"/insights/projects/{project.pk}/report/"),
    ]
    failures = []
    for user, url in pages:
        response = _client(user).get(url)
        body = response.content.decode()
        if response.status_code != 200:
            failures.append(f"{url}: HTTP {response.status_code}")
            continue
        try:
            _assert_escaped(body, payload, url)
        except AssertionError as error:
            failures.append(str(error).splitlines()[0])

    assert failures == []


def test_refused_form_shows_the_kept_input_escaped(
    filled: tuple[str, dict[str, Any]], owner: User
) -> None:
    payload, _objects = filled
    data = {
        "name": f"Customer {payload}",  # taken: the service refuses, the form comes back
        "industry": payload,
        "address": payload,
        "notes": payload,
        **management(),
        **contact_row(0, payload),
    }

    response = _client(owner).post(reverse("customers:create"), data)

    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"].errors != {}
    assert Customer.objects.count() == 1
    _assert_escaped(body, payload, "the refused customer form")


def test_notification_email_escapes_payload_in_html(
    filled: tuple[str, dict[str, Any]], colleague: User
) -> None:
    payload, objects = filled
    delivery = Delivery.objects.get(notification=objects["notification"], channel=Channel.EMAIL)
    mail.outbox.clear()

    send_delivery(delivery_id=delivery.pk)

    message = mail.outbox[0]
    assert isinstance(message, EmailMultiAlternatives)
    html = str(message.alternatives[0][0])
    assert message.alternatives[0][1] == "text/html"
    _assert_escaped(html, payload, "e-mail HTML")
    assert payload in message.body  # plain text stays literal
    assert message.subject.endswith(f"] {payload}")


def test_webhook_payload_carries_text_as_plain_json(
    filled: tuple[str, dict[str, Any]],
) -> None:
    payload, objects = filled
    notification: Notification = objects["notification"]
    endpoint = WebhookEndpoint(name="Hook", kind=EndpointKind.GENERIC, url="https://x.example/")

    _url, data, _headers = channels._request(endpoint, channels._payload(notification))

    body = json.loads(data)
    assert (body["title"], body["body"], body["project"]) == (payload, payload, f"XSS-1 {payload}")


def _cells(response: Any) -> set[str]:
    content = b"".join(response) if response.streaming else response.content
    if response["Content-Type"].startswith("text/csv"):
        rows = csv.reader(io.StringIO(content.decode("utf-8-sig")))
        return {cell for row in rows for cell in row}
    book = load_workbook(io.BytesIO(content))
    return {
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    }


def test_exports_keep_text_literal_and_never_a_formula(
    filled: tuple[str, dict[str, Any]], owner: User
) -> None:
    payload, _objects = filled
    expected = "'" + payload if payload.startswith("=") else payload
    client = _client(owner)
    period = "date_from=2026-03-01&date_to=2026-04-30"
    exports = [
        "/transfer/export/projects.csv",
        "/transfer/export/projects.xlsx",
        "/transfer/export/records.csv",
        "/transfer/export/actions.xlsx",
        f"/insights/export/records/?{period}",
        f"/insights/export/actions/?{period}",
    ]
    found = {}
    for url in exports:
        response = client.get(url)
        assert response.status_code == 200, url
        cells = _cells(response)
        found[url] = (expected in cells, payload.startswith("=") and payload in cells)

    assert found == dict.fromkeys(exports, (True, False))


def test_survey_free_text_is_escaped_on_staff_pages(
    project: Project, owner: User, quality: User
) -> None:
    payload = "<script>alert(1)</script>"
    contact = create_customer(
        name="Survey customer", contacts=[(None, {"name": "Wang", "email": "w@example.com"})]
    ).contacts.get()
    project.customer = contact.customer
    project.save(update_fields=["customer"])
    visit = project.visits.get(phase="closing")
    [link] = invite_contacts(visit=visit, contacts=[contact], invited_by=owner)
    scores: dict[str, object] = {
        QuestionKind.RATING: 2,
        QuestionKind.RECOMMEND: 3,
        QuestionKind.TEXT: payload,
    }
    answers = {
        question.key: scores[question.kind]
        for question in link.invitation.questionnaire.questions.all()
        if question.kind in scores
    }
    response = submit_survey_response(invitation=link.invitation, answers=answers, language="en")
    follow_up = ImprovementAction.objects.get(feedback=response.feedback)

    pages = [(quality, "/insights/feedback/"), (owner, f"/actions/{follow_up.pk}/")]
    for user, url in pages:
        body = _client(user).get(url).content.decode()
        _assert_escaped(body, payload, url)


# --- Attachments: the content decides, not the name ------------------------------------

PDF = b"%PDF-1.7\n" + b"0" * 64


def _upload(client: Client, visit: Visit, name: str, content: bytes) -> Any:
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    return client.post(reverse("visits:upload", args=[visit.pk]), {"file": upload}, follow=True)


def test_upload_pdf_named_png_is_stored_as_pdf(project: Project, colleague: User) -> None:
    visit = project.visits.get(phase="kickoff", sequence=1)

    _upload(_client(colleague), visit, "scan.png", PDF)

    attachment = Attachment.objects.get()
    assert (attachment.content_type, Path(attachment.file.path).suffix) == (
        "application/pdf",
        ".pdf",
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("photo.jpg", b"<html><body onload=alert(1)>"),
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("minutes.pdf", b"<html><script>alert(1)</script>"),
    ],
)
def test_upload_markup_under_an_image_or_pdf_name_is_refused(
    project: Project, colleague: User, name: str, content: bytes
) -> None:
    visit = project.visits.get(phase="kickoff", sequence=1)

    response = _upload(_client(colleague), visit, name, content)

    assert Attachment.objects.count() == 0
    assert [str(message) for message in response.context["messages"]] == [
        "Only JPEG, PNG, WEBP images and PDF documents can be attached."
    ]
