"""Notifications keep a message key (their kind) with stable parameters and are worded
in the reader's language when read: the inbox and the API in the page's language, an
e-mail in the recipient's when it is sent. Rows from before keep their text when it
cannot be read back."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from huifang.api.tokens import create_api_token
from huifang.core.models import User
from huifang.notify.channels import send_email
from huifang.notify.messages import _TEMPLATES, build_message, parse_params
from huifang.notify.models import Channel, Delivery, Kind, Notification
from huifang.notify.services import notify
from huifang.notify.sweep import run_sweep
from huifang.projects.models import Project
from huifang.visits.lifecycle import create_adhoc_visit
from huifang.visits.models import Visit

migration = __import__(
    "huifang.notify.migrations.0006_notification_params_from_text", fromlist=["x"]
)


def _set_language(user: User, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


def _client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=user.language or "en")
    client.force_login(user)
    return client


def _due_today(visit: Visit, user: User) -> Notification:
    created = notify(
        recipient=user,
        kind=Kind.VISIT_DUE_TODAY,
        subject=visit,
        occasion="due:2026-03-09",
        project=visit.project,
    )
    assert created is not None
    return created


def test_inbox_words_a_chinese_made_notification_in_the_readers_language(
    kickoff: Visit, colleague: User
) -> None:
    _set_language(colleague, "zh-hans")
    notification = _due_today(kickoff, colleague)
    assert notification.title == "今天到期的回访：P-001 ERP rollout"
    assert notification.params == {
        "phase": "kickoff",
        "sequence": 1,
        "due": "2026-03-09",
        "window": "2026-03-02",
        "project": "P-001 ERP rollout",
    }
    _set_language(colleague, "en")
    html = _client(colleague).get("/notifications/").content.decode()
    assert "Visit due today: P-001 ERP rollout" in html
    assert "Your visit Kickoff · 9 Mar 2026 for P-001 ERP rollout is due today" in html
    assert "今天到期" not in html


def test_api_words_notifications_in_the_callers_language(kickoff: Visit, colleague: User) -> None:
    _set_language(colleague, "en")
    _due_today(kickoff, colleague)
    _set_language(colleague, "zh-hans")
    token = create_api_token(user=colleague, name="t")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token.raw}", HTTP_ACCEPT_LANGUAGE="zh-hans").get(
        "/api/v1/notifications"
    )
    assert [item["title"] for item in response.json()["items"]] == [
        "今天到期的回访：P-001 ERP rollout"
    ]


def test_email_is_worded_in_the_recipients_language_when_sent(
    kickoff: Visit, colleague: User, mailoutbox: list[Any]
) -> None:
    _set_language(colleague, "zh-hans")
    notification = _due_today(kickoff, colleague)
    _set_language(colleague, "en")
    mail.outbox.clear()
    delivery = Delivery.objects.get(notification=notification, channel=Channel.EMAIL)
    send_email(delivery)
    assert mail.outbox[0].subject == "[Huifang] Visit due today: P-001 ERP rollout"


def test_inbox_queries_do_not_grow_with_worded_rows(
    project: Project, kickoff: Visit, colleague: User
) -> None:
    _set_language(colleague, "en")
    client = _client(colleague)

    def count() -> int:
        client.get("/notifications/")  # warm the per-request caches alike
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/notifications/").status_code == 200
        return len(queries)

    _due_today(kickoff, colleague)
    one = count()
    for day in range(10, 16):
        notify(
            recipient=colleague,
            kind=Kind.VISIT_OVERDUE,
            subject=kickoff,
            occasion=f"overdue:2026-03-{day}",
            project=project,
        )
    assert count() == one


def test_adhoc_visit_notice_is_worded_in_each_readers_language(
    project: Project, owner: User
) -> None:
    visit = create_adhoc_visit(project=project, due_date=datetime.date(2026, 4, 14), owner=owner)
    _set_language(owner, "zh-hans")
    run_sweep(today=datetime.date(2026, 4, 15))
    notification = Notification.objects.filter(subject_id=visit.pk, recipient=owner).first()
    assert notification is not None
    with translation.override("en"):
        assert "Ad hoc visit 14 Apr 2026" in notification.shown_body
    with translation.override("zh-hans"):
        assert "临时回访 2026-04-14" in notification.shown_body


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    "kind",
    [
        Kind.VISIT_UPCOMING,
        Kind.VISIT_DUE_TODAY,
        Kind.VISIT_OVERDUE,
        Kind.VISIT_ESCALATED_PM,
        Kind.VISIT_ESCALATED_QUALITY,
        Kind.VISIT_MISSED,
        Kind.VISIT_WINDOW_OPEN,
    ],
)
def test_old_visit_texts_are_read_back_into_parameters(
    kind: str, language: str, kickoff: Visit
) -> None:
    context = {"owner": "colleague", "days": 4}
    with translation.override(language):
        made = build_message(kind, kickoff, context)
    assert made.params is not None
    # What the words carry: the visit's name gives phase, sequence and due date; the
    # other parameters when the wording uses them.
    with translation.override("en"):
        words = "".join(str(template) for template in _TEMPLATES[kind])
    expected = {
        key: value
        for key, value in made.params.items()
        if key in ("phase", "sequence", "due") or f"%({key})" in words
    }
    assert parse_params(kind, made.title, made.body) == expected


def test_old_digest_detractor_and_project_texts_are_read_back(project: Project) -> None:
    digest = {"week": "2026-W14", "upcoming": 3, "overdue": 1, "to_schedule": 0}
    digest |= {"open_actions": 12, "overdue_actions": 2}
    detractor = {"project": "P-001 ERP rollout", "customer": "Li Lei (ACME)"}
    detractor |= {"score": "2/5 · 3/10", "comment": "Too slow\nand late"}
    with translation.override("zh-hans"):
        made = build_message(Kind.WEEKLY_DIGEST, project.manager, digest)
        assert parse_params(Kind.WEEKLY_DIGEST, made.title, made.body) == digest
        made = build_message(Kind.SURVEY_DETRACTOR, project, detractor)
        assert parse_params(Kind.SURVEY_DETRACTOR, made.title, made.body) == detractor
        made = build_message(Kind.PROJECT_PAST_END, project, {})
        assert parse_params(Kind.PROJECT_PAST_END, made.title, made.body) == {
            "project": "P-001 ERP rollout",
            "end": "2026-08-31",
        }


def test_migration_converts_stored_texts_and_keeps_what_it_cannot_read(
    kickoff: Visit, colleague: User
) -> None:
    _set_language(colleague, "zh-hans")
    parsed = _due_today(kickoff, colleague)
    odd = notify(
        recipient=colleague,
        kind=Kind.VISIT_OVERDUE,
        subject=kickoff,
        occasion="overdue:2026-03-10",
        project=kickoff.project,
    )
    assert odd is not None
    # As rows stored before parameters existed: one in the words of its time, one
    # whose text was edited by hand.
    Notification.objects.filter(pk=parsed.pk).update(params=None)
    Notification.objects.filter(pk=odd.pk).update(params=None, title="请尽快处理", body="手工")

    migration.parse_stored_texts(django_apps, None)

    parsed.refresh_from_db()
    odd.refresh_from_db()
    assert parsed.params == {
        "phase": "kickoff",
        "sequence": 1,
        "due": "2026-03-09",
        "project": "P-001 ERP rollout",
    }
    assert odd.params is None
    with translation.override("en"):
        assert parsed.shown_title == "Visit due today: P-001 ERP rollout"
        assert parsed.shown_body == (
            "Your visit Kickoff · 9 Mar 2026 for P-001 ERP rollout is due today (9 Mar 2026)."
        )
        assert (odd.shown_title, odd.shown_body) == ("请尽快处理", "手工")
