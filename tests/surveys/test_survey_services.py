from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from huifang.actions.models import ActionOrigin, ImprovementAction
from huifang.core.errors import DomainError
from huifang.core.models import User
from huifang.customers.models import Contact
from huifang.notify.models import Notification
from huifang.projects.models import Project
from huifang.surveys.models import SurveyInvitation, SurveyLink, SurveyResponse
from huifang.surveys.queries import survey_feedback_for_project, tracking_totals
from huifang.surveys.services import (
    find_invitation,
    hash_token,
    invite_after_visit,
    invite_contacts,
    resend_invitation,
    revoke_invitation,
    send_survey_reminders,
    submit_survey_response,
)
from huifang.surveys.tasks import send_survey_reminders_task
from huifang.visits.models import Feedback, FeedbackSource, Visit
from tests.surveys.conftest import SERVICE_ANSWERS, Invite, make_contact


def _token(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


def test_invitation_stores_only_the_token_hash(invite: Invite, contact: Contact) -> None:
    invitation, path = invite(contact)
    token = _token(path)
    assert len(token) == 43
    link = SurveyLink.objects.get(invitation=invitation)
    assert link.token_hash == hash_token(token)
    assert token not in link.token_hash
    assert find_invitation(token) == invitation


def test_invitation_expires_after_the_policy_days(invite: Invite, contact: Contact) -> None:
    invitation, _ = invite(contact)
    assert invitation.sent_at is not None
    assert invitation.expires_at - invitation.sent_at == datetime.timedelta(days=14)
    assert invitation.language == "zh-hans"


def test_inviting_sends_an_email_in_the_contact_language(
    visit: Visit,
    owner: User,
    contact_en: Contact,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        (link,) = invite_contacts(
            visit=visit, contacts=[contact_en], invited_by=owner, base_url="https://hf.example"
        )
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["anna@example.com"]
    assert message.subject == "Your opinion on project ERP rollout"
    assert link.url in message.body
    html = message.alternatives[0]
    assert html[1] == "text/html"
    assert link.url in str(html[0])


def test_inviting_sends_chinese_email_to_a_chinese_contact(
    visit: Visit,
    owner: User,
    contact: Contact,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invite_contacts(visit=visit, contacts=[contact], invited_by=owner, base_url="http://x")
    assert mailoutbox[0].subject == "关于项目 ERP rollout 的意见征询"


def test_inviting_a_contact_twice_is_refused(invite: Invite, contact: Contact) -> None:
    invite(contact)
    with pytest.raises(DomainError) as error:
        invite(contact)
    assert error.value.message == "以下联系人已被邀请参加本次回访的调查：Li Lei。请重新发送其邀请。"


def test_inviting_another_customers_contact_is_refused(
    visit: Visit, owner: User, project: Project
) -> None:
    stranger = make_contact(name="Stranger", email="s@example.com")
    with pytest.raises(DomainError):
        invite_contacts(visit=visit, contacts=[stranger], invited_by=owner)
    assert SurveyInvitation.objects.count() == 0


def test_one_open_invitation_per_contact_is_a_database_rule(
    invite: Invite, contact: Contact
) -> None:
    invitation, _ = invite(contact)
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyInvitation.objects.create(
            project=invitation.project,
            visit=invitation.visit,
            contact=contact,
            questionnaire=invitation.questionnaire,
            expires_at=invitation.expires_at,
        )


def test_invite_after_closing_visit_invites_its_contacts_once(
    visit: Visit, contact: Contact, contact_en: Contact
) -> None:
    visit.contacts.set([contact_en])
    first = invite_after_visit(visit=visit)
    again = invite_after_visit(visit=visit)
    assert [link.invitation.contact for link in first] == [contact_en]
    assert again == []
    assert first[0].invitation.invited_by is None


def test_invite_after_visit_falls_back_to_the_primary_contact(
    visit: Visit, contact: Contact, contact_en: Contact
) -> None:
    links = invite_after_visit(visit=visit)
    assert [link.invitation.contact for link in links] == [contact]


def test_invite_after_a_kickoff_visit_does_nothing(project: Project, contact: Contact) -> None:
    kickoff = project.visits.get(phase="kickoff")
    assert invite_after_visit(visit=kickoff) == []


def test_answer_becomes_survey_feedback_of_the_visit(
    invite: Invite, contact: Contact, project: Project
) -> None:
    invitation, _ = invite(contact)
    response = submit_survey_response(invitation=invitation, answers=SERVICE_ANSWERS, language="en")
    feedback = response.feedback
    assert feedback.source == FeedbackSource.SURVEY
    assert feedback.respondent == contact
    assert feedback.visit == invitation.visit
    assert feedback.project == project
    assert feedback.received_on == timezone.localdate()
    assert (feedback.overall_satisfaction, feedback.likelihood_to_recommend) == (5, 9)
    assert feedback.evaluation == "Good results"
    assert feedback.suggestions == ""
    assert list(survey_feedback_for_project(project)) == [feedback]
    assert ImprovementAction.objects.count() == 0


def test_second_answer_is_refused(invite: Invite, contact: Contact) -> None:
    invitation, _ = invite(contact)
    submit_survey_response(invitation=invitation, answers=SERVICE_ANSWERS, language="en")
    stale = SurveyInvitation.objects.get(pk=invitation.pk)
    stale.responded_at = None  # a page loaded before the first answer
    with pytest.raises(DomainError) as error:
        submit_survey_response(invitation=stale, answers=SERVICE_ANSWERS, language="en")
    assert error.value.code == "answered"
    assert SurveyResponse.objects.count() == 1
    assert Feedback.objects.count() == 1


def test_one_response_per_invitation_is_a_database_rule(invite: Invite, contact: Contact) -> None:
    invitation, _ = invite(contact)
    response = submit_survey_response(invitation=invitation, answers=SERVICE_ANSWERS, language="en")
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(
            invitation=invitation,
            feedback=Feedback.objects.create(
                project=invitation.project, received_on=timezone.localdate()
            ),
            language="en",
        )
    assert SurveyResponse.objects.get() == response


def test_missing_required_answer_is_refused(invite: Invite, contact: Contact) -> None:
    invitation, _ = invite(contact)
    with pytest.raises(DomainError):
        submit_survey_response(invitation=invitation, answers={"overall": 5}, language="en")
    assert SurveyInvitation.objects.get(pk=invitation.pk).responded_at is None


def test_expired_invitation_cannot_be_answered(invite: Invite, contact: Contact) -> None:
    invitation, _ = invite(contact)
    later = timezone.now() + datetime.timedelta(days=15)
    with time_machine.travel(later), pytest.raises(DomainError) as error:
        submit_survey_response(invitation=invitation, answers=SERVICE_ANSWERS, language="en")
    assert error.value.code == "expired"


def test_revoked_invitation_cannot_be_answered(invite: Invite, contact: Contact) -> None:
    invitation, _ = invite(contact)
    revoke_invitation(invitation=invitation)
    with pytest.raises(DomainError) as error:
        submit_survey_response(invitation=invitation, answers=SERVICE_ANSWERS, language="en")
    assert error.value.code == "revoked"


def test_resend_adds_a_link_and_keeps_the_first(invite: Invite, contact: Contact) -> None:
    invitation, path = invite(contact)
    link = resend_invitation(invitation=invitation, base_url="http://testserver")
    assert find_invitation(_token(path)) == invitation
    assert find_invitation(_token(link.url)) == invitation
    assert SurveyLink.objects.filter(invitation=invitation).count() == 2


def test_resend_reopens_an_expired_invitation(invite: Invite, contact: Contact) -> None:
    invitation, _ = invite(contact)
    later = timezone.now() + datetime.timedelta(days=20)
    with time_machine.travel(later, tick=False):
        resend_invitation(invitation=invitation)
        invitation.refresh_from_db()
        assert invitation.expires_at == later + datetime.timedelta(days=14)
        assert invitation.is_open


def test_detractor_answer_creates_an_action_for_the_manager(
    invite: Invite, contact: Contact, owner: User
) -> None:
    invitation, _ = invite(contact)
    response = submit_survey_response(
        invitation=invitation, answers={**SERVICE_ANSWERS, "recommend": 6}, language="zh-hans"
    )
    action = ImprovementAction.objects.get()
    assert action.origin == ActionOrigin.FEEDBACK
    assert action.owner == owner
    assert action.feedback == response.feedback
    assert action.due_date == timezone.localdate() + datetime.timedelta(days=3)
    assert action.description == "联系客户，跟进其调查答复"


def test_low_overall_satisfaction_is_a_detractor(invite: Invite, contact: Contact) -> None:
    invitation, _ = invite(contact)
    submit_survey_response(
        invitation=invitation,
        answers={**SERVICE_ANSWERS, "overall": 2, "recommend": 8},
        language="en",
    )
    assert ImprovementAction.objects.count() == 1


def test_detractor_answer_notifies_the_manager(
    invite: Invite, contact: Contact, owner: User
) -> None:
    owner.language = "en"
    owner.save()
    invitation, _ = invite(contact)
    response = submit_survey_response(
        invitation=invitation, answers={**SERVICE_ANSWERS, "overall": 1}, language="en"
    )
    notification = Notification.objects.get(kind="survey_detractor")
    assert notification.recipient == owner
    assert notification.subject == response.feedback
    assert notification.project_id == invitation.project_id
    assert notification.occasion == str(response.feedback.pk)
    assert notification.title == "Unhappy customer on P-001 ERP rollout"
    assert notification.url == f"/surveys/project/{invitation.project_id}/"


def test_reminder_goes_once_after_the_policy_days(
    invite: Invite,
    contact: Contact,
    contact_en: Contact,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    first, _ = invite(contact)
    answered, _ = invite(contact_en)
    submit_survey_response(invitation=answered, answers=SERVICE_ANSWERS, language="en")
    today = timezone.localdate()
    assert send_survey_reminders(today=today + datetime.timedelta(days=4)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert send_survey_reminders(today=today + datetime.timedelta(days=5)) == 1
    assert send_survey_reminders(today=today + datetime.timedelta(days=6)) == 0
    assert [message.to for message in mailoutbox] == [["lilei@example.com"]]
    assert mailoutbox[0].subject == "提醒：关于项目 ERP rollout 的意见征询"
    first.refresh_from_db()
    assert first.reminded_at is not None


def test_reminder_command_runs_the_service(
    invite: Invite, contact: Contact, capsys: pytest.CaptureFixture[str]
) -> None:
    invitation, _ = invite(contact)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        sent_at=timezone.now() - datetime.timedelta(days=6)
    )
    call_command("survey_reminders")
    assert capsys.readouterr().out == "1 survey reminder(s) sent\n"


def test_tracking_totals_count_sent_opened_answered(
    invite: Invite, contact: Contact, contact_en: Contact
) -> None:
    first, _ = invite(contact)
    invite(contact_en)
    SurveyInvitation.objects.filter(pk=first.pk).update(opened_at=timezone.now())
    submit_survey_response(invitation=first, answers=SERVICE_ANSWERS, language="en")
    totals = tracking_totals(SurveyInvitation.objects.all())
    assert totals == {"sent": 2, "opened": 1, "answered": 1, "rate": 50.0}


def test_reminder_task_runs_inline_without_a_broker(invite: Invite, contact: Contact) -> None:
    invitation, _ = invite(contact)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        sent_at=timezone.now() - datetime.timedelta(days=5)
    )
    assert send_survey_reminders_task.delay().get() == 1
    assert send_survey_reminders_task.delay().get() == 0


def test_invite_after_visit_skips_contacts_without_email(visit: Visit, contact: Contact) -> None:
    no_email = make_contact(customer=visit.project.customer, name="Zhang Wei", email="")
    visit.contacts.set([no_email, contact])
    links = invite_after_visit(visit=visit)
    assert [link.invitation.contact for link in links] == [contact]
