"""Surveys where people work: the visit and project pages show each invitation's state
and offer "Send survey" once a visit's record is submitted."""

from __future__ import annotations

import datetime
import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huifang.core.models import User
from huifang.customers.models import Contact
from huifang.projects.models import Project
from huifang.surveys.models import SurveyInvitation
from huifang.surveys.services import record_opened, revoke_invitation
from huifang.visits.models import Visit
from huifang.visits.recording import save_visit_record, submit_visit_record
from tests.surveys.conftest import ANSWERS, Invite


def _signed_in(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _states(html: str) -> list[str]:
    return re.findall(r'data-state="(\w+)"', html)


def _submit_record(visit: Visit, user: User) -> None:
    record = save_visit_record(
        visit=visit,
        recorded_by=user,
        fields={"summary": "Done"},
        problems=[],
        feedback=None,
        actions=[],
    )
    submit_visit_record(record=record, submitted_by=user, completed_on=timezone.localdate())


def test_visit_page_shows_each_invitations_state(
    invite: Invite, visit: Visit, owner: User, contact: Contact, contact_en: Contact
) -> None:
    _, path = invite(contact)
    Client().post(path, ANSWERS)
    opened, _ = invite(contact_en)
    record_opened(invitation=opened)

    html = _signed_in(owner).get(reverse("visits:detail", args=[visit.pk])).content.decode()

    assert sorted(_states(html)) == ["answered", "opened"]


def test_visit_page_offers_send_survey_once_the_record_is_submitted(
    visit: Visit, owner: User, colleague: User, executive: User
) -> None:
    url = reverse("visits:detail", args=[visit.pk])
    send = 'data-testid="send-survey"'
    assert send not in _signed_in(owner).get(url).content.decode()

    _submit_record(visit, owner)

    page = _signed_in(colleague).get(url).content.decode()
    assert f'{send} href="{reverse("surveys:invite", args=[visit.pk])}"' in page
    assert send not in _signed_in(executive).get(url).content.decode()


def test_project_page_lists_invitations_and_sends_for_the_latest_recorded_visit(
    project: Project, invite: Invite, owner: User, contact: Contact, contact_en: Contact
) -> None:
    kickoff = project.visits.get(phase="kickoff")
    closing = project.visits.get(phase="closing")
    url = reverse("projects:detail", args=[project.pk])
    assert "A survey asks about a visit" in _signed_in(owner).get(url).content.decode()
    _submit_record(kickoff, owner)
    _submit_record(closing, owner)
    expired, _ = invite(contact, on=kickoff)
    SurveyInvitation.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(days=1)
    )
    revoked, _ = invite(contact_en, on=closing)
    revoke_invitation(invitation=revoked)

    page = _signed_in(owner).get(url).content.decode()

    # Submitting the closing record invited the project's default contacts itself (the
    # policy asks for a survey after the closing visit): that one is still "sent".
    assert sorted(_states(page)) == ["expired", "revoked", "sent"]
    invite_url = reverse("surveys:invite", args=[closing.pk])
    assert f'data-testid="send-survey" href="{invite_url}"' in page


def test_project_page_survey_panel_adds_no_query_per_invitation(
    project: Project, invite: Invite, owner: User, contact: Contact, contact_en: Contact
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("projects:detail", args=[project.pk])
    client = _signed_in(owner)
    invite(contact)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        return len(queries)

    one = count()
    invite(contact_en)
    assert count() == one
