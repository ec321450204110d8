"""The shared test world: one of every business object, and the module-scoped world
the page-wide tests (access matrix, page language, form fuzzing) run against.

``build_world(n)`` writes, through the services wherever a service exists, a project
``P-00n`` managed by ``pm{n}`` with ``member{n}`` on its team and one of every model
around it (the admin tests check that no model is missing). The ``world`` fixture
builds two of them inside a transaction that is rolled back at the end of the module
and names the objects and people the page tests use; a module that wants it imports
it (``from tests.world import world as world``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.socialaccount.models import SocialAccount
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Model
from django.test import RequestFactory, override_settings
from django.utils import timezone

from huifang.actions.models import ActionVerification, ImprovementAction
from huifang.actions.services import mark_action_done
from huifang.api.models import ApiToken
from huifang.api.tokens import create_api_token
from huifang.core.calendar_feed import create_calendar_feed
from huifang.core.models import CalendarFeed, Role, User
from huifang.customers.models import Contact, Customer
from huifang.insights.models import (
    Meeting,
    PolicyAcknowledgement,
    Review,
    Suggestion,
    TrainingAttendance,
    TrainingSession,
)
from huifang.insights.services import (
    acknowledge_policy,
    create_meeting,
    create_review,
    create_suggestion,
    create_training_session,
)
from huifang.notify.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EndpointKind,
    Kind,
    Notification,
    NotificationPreference,
    SweepRun,
    WebhookEndpoint,
)
from huifang.notify.services import notify, save_notification_preference, save_webhook_endpoint
from huifang.policy.models import (
    ChecklistItem,
    CompanyDay,
    CompanyDayKind,
    NationalYear,
    Policy,
    PolicyVersion,
    VisitRule,
)
from huifang.policy.services import create_policy_draft, publish_policy_version
from huifang.projects.models import Membership, Project, ProjectHold
from huifang.projects.services import create_project, put_project_on_hold, resume_project
from huifang.surveys.models import (
    Question,
    Questionnaire,
    SurveyInvitation,
    SurveyLink,
    SurveyResponse,
)
from huifang.surveys.questionnaires import DEFAULT_QUESTIONS, publish_questionnaire
from huifang.surveys.services import invite_contacts, submit_survey_response
from huifang.visits.attachments import add_attachment
from huifang.visits.models import (
    Attachment,
    Feedback,
    Problem,
    RecordAmendment,
    Visit,
    VisitRecord,
)
from huifang.visits.recording import amend_visit_record, save_visit_record, submit_visit_record
from tests.factories import ContactFactory, CustomerFactory, UserFactory

# The day the sample projects were last planned on; tests that re-plan stand there.
PLAN_DAY = datetime.date(2026, 4, 20)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def _sign_in_sample(n: int, *, user: User) -> dict[type[Model], Model]:
    """A single sign-on link and a two-factor authenticator (django-allauth's rows)."""
    totp = TOTP.activate(user, generate_totp_secret()).instance
    account = SocialAccount.objects.create(user=user, provider="sso", uid=f"sub-{n}")
    return {Authenticator: totp, SocialAccount: account}


def build_world(n: int) -> dict[type[Model], Model]:
    """One of everything, written through the services where a service exists: a
    project with its own people, customer and policy, planned visits, a past hold,
    a recorded visit with a problem, feedback, an amendment and a verified action; a
    review, meeting and training; a notification with its deliveries; a survey answered;
    an API token and a failed login."""
    manager = UserFactory.create(
        username=f"pm{n}", role=Role.PROJECT_MANAGER, display_name=f"PM {n}"
    )
    member = UserFactory.create(username=f"member{n}", role=Role.MEMBER)
    customer = CustomerFactory.create(name=f"Customer {n}")
    contact = ContactFactory.create(customer=customer, name=f"Contact {n}", is_primary=True)
    policy = Policy.objects.create(name=f"Policy {n}")
    version = publish_policy_version(
        version=create_policy_draft(policy=policy),
        effective_from=datetime.date(2026, 1, 1),
        published_by=manager,
    )
    project, _ = create_project(
        code=f"P-{n:03}",
        name=f"Project {n}",
        customer=customer,
        manager=manager,
        status="active",
        cadence="monthly",
        planned_start=datetime.date(2026, 3, 2),
        planned_end=datetime.date(2026, 8, 31),
        policy=policy,
        members=[member],
        default_contacts=[contact],
        today=datetime.date(2026, 3, 1),
    )
    project, _ = put_project_on_hold(
        project=project, reason="Customer audit", today=datetime.date(2026, 4, 1)
    )
    project, _ = resume_project(project=project, today=PLAN_DAY)
    first_visit, second_visit = project.visits.order_by("due_date")[:2]
    draft = save_visit_record(
        visit=first_visit,
        recorded_by=member,
        fields={"work_completed": "Requirements signed off", "summary": "Kickof went well"},
        problems=[{"category": "schedule", "description": "Server delivery is late"}],
        feedback={"respondent": contact, "overall_satisfaction": 4, "likelihood_to_recommend": 9},
        actions=[
            {
                "description": "Order the servers from a second supplier",
                "owner": member,
                "due_date": datetime.date(2026, 3, 31),
                "problem_index": 0,
            }
        ],
    )
    submit_visit_record(record=draft, submitted_by=member, completed_on=first_visit.due_date)
    record = amend_visit_record(
        record=draft,
        amended_by=manager,
        reason="Typo in the summary",
        changes={"summary": "Kickoff went well"},
    )
    action = mark_action_done(
        action=record.actions.get(),
        note="The second supplier delivered",
        done_on=datetime.date(2026, 3, 20),
    )
    attachment = add_attachment(
        visit=first_visit,
        uploaded_by=member,
        upload=SimpleUploadedFile("signed minutes.png", PNG, content_type="image/png"),
    )
    later = save_visit_record(
        visit=second_visit,
        recorded_by=member,
        fields={"summary": "Servers are running"},
        problems=[],
        feedback=None,
        actions=[],
        verifications=[{"action": action, "result": "effective"}],
    )
    feed, _token = create_calendar_feed(user=manager)
    # The first visit still open and unrecorded, so its page can be changed.
    open_visit = project.visits.filter(status="planned", record__isnull=True).earliest("due_date")
    return {
        **_evaluation_sample(n, manager=manager, member=member, project=project, version=version),
        **_notification_sample(n, manager=manager, visit=open_visit),
        **_survey_sample(n, manager=manager, visit=first_visit, contact=contact),
        **_failed_login_sample(n),
        **_sign_in_sample(n, user=member),
        ApiToken: create_api_token(user=manager, name=f"Reporting {n}", expires_days=90).token,
        User: manager,
        CalendarFeed: feed,
        Group: Group.objects.create(name=f"Back office {n}"),
        Customer: customer,
        Contact: contact,
        Policy: policy,
        PolicyVersion: version,
        VisitRule: version.rules.get(phase="kickoff"),
        ChecklistItem: version.checklist_items.get(key="goals_confirmed"),
        CompanyDay: CompanyDay.objects.create(
            date=datetime.date(2030, 1, n), kind=CompanyDayKind.HOLIDAY, name=f"Outing {n}"
        ),
        NationalYear: NationalYear.objects.create(
            year=2040 + n,
            days=[{"date": f"{2040 + n}-01-01", "kind": "holiday", "name": "元旦"}],
            source="notice",
            source_text="一、元旦：1月1日放假。",
            loaded_at=timezone.now(),
        ),
        Project: project,
        Membership: project.memberships.get(),
        ProjectHold: project.holds.get(),
        Visit: open_visit,
        VisitRecord: record,
        RecordAmendment: record.amendments.get(),
        Problem: record.problems.get(),
        Feedback: record.feedback.get(),
        ImprovementAction: action,
        ActionVerification: later.verifications.get(),
        Attachment: attachment,
    }


def _evaluation_sample(
    n: int, *, manager: User, member: User, project: Project, version: PolicyVersion
) -> dict[type[Model], Model]:
    """A review with its meeting, an acknowledged policy, a training and a suggestion."""
    review = create_review(
        title=f"First quarter {n}",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        created_by=manager,
        project=project,
        today=PLAN_DAY,
    )
    meeting = create_meeting(
        date=PLAN_DAY,
        title=f"Quality meeting {n}",
        minutes="Went through the quarter's visits",
        attendees=[manager, member],
        created_by=manager,
        review=review,
    )
    session = create_training_session(
        date=PLAN_DAY, topic=f"Visit etiquette {n}", trainer=manager, scores={member: 90}
    )
    return {
        Review: review,
        Meeting: meeting,
        PolicyAcknowledgement: acknowledge_policy(user=member, version=version),
        TrainingSession: session,
        TrainingAttendance: session.attendance.get(),
        Suggestion: create_suggestion(
            policy=version.policy, author=member, text=f"Visit twice in the first month {n}"
        ),
    }


def _notification_sample(n: int, *, manager: User, visit: Visit) -> dict[type[Model], Model]:
    """A reminder to the manager, delivered in the app, by mail and to the project's
    group chat (the sends themselves wait for a commit that the tests never make)."""
    preference = save_notification_preference(
        user=manager, email=True, webhook=True, weekly_digest=False
    )
    endpoint = save_webhook_endpoint(
        name=f"Project chat {n}",
        kind=EndpointKind.GENERIC,
        url=f"https://chat.example.com/hooks/{n}",
        project=visit.project,
    )
    notification = notify(
        recipient=manager,
        kind=Kind.VISIT_UPCOMING,
        subject=visit,
        occasion=visit.due_date.isoformat(),
        project=visit.project,
    )
    assert notification is not None
    # What a sweep records of itself (a whole sweep here would tell everyone everything).
    finished = timezone.now()
    sweep_run = SweepRun.objects.create(
        swept_for=timezone.localdate(),
        started_at=finished - datetime.timedelta(seconds=2),
        finished_at=finished,
        duration_seconds=2.0,
        notifications=1,
    )
    return {
        NotificationPreference: preference,
        WebhookEndpoint: endpoint,
        Notification: notification,
        Delivery: notification.deliveries.get(channel=Channel.WEBHOOK),
        SweepRun: sweep_run,
    }


def _survey_sample(
    n: int, *, manager: User, visit: Visit, contact: Contact
) -> dict[type[Model], Model]:
    """A questionnaire version of its own, the contact invited and a (happy) answer."""
    questionnaire = publish_questionnaire(
        phase="",
        title_zh=f"客户满意度调查 {n}",
        title_en=f"Customer survey {n}",
        questions=list(DEFAULT_QUESTIONS),
        created_by=manager,
    )
    [link] = invite_contacts(visit=visit, contacts=[contact], invited_by=manager)
    invitation = link.invitation
    ratings = {"overall": 5, "quality": 5, "schedule": 4, "communication": 5, "service": 5}
    response = submit_survey_response(
        invitation=invitation,
        answers={**ratings, "recommend": 9, "suggestions": f"Keep it up {n}"},
        language="en",
    )
    return {
        Questionnaire: questionnaire,
        Question: questionnaire.questions.get(key="overall"),
        SurveyInvitation: invitation,
        SurveyLink: invitation.links.get(),
        SurveyResponse: response,
    }


def _failed_login_sample(n: int) -> dict[type[Model], Model]:
    """A wrong password, counted by django-axes as on the login page. The failure log is
    off in our settings (the attempt counter is what locks out); it is switched on here
    so that its admin page has a row written by axes itself."""
    username = f"pm{n}"
    with override_settings(AXES_ENABLE_ACCESS_FAILURE_LOG=True):
        user = authenticate(
            request=RequestFactory().post("/login/"), username=username, password="wrong"
        )
    assert user is None
    return {
        AccessAttempt: AccessAttempt.objects.get(username=username),
        AccessFailureLog: AccessFailureLog.objects.get(username=username),
    }


# --- The page tests' world ------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    project: Project
    visit: Visit
    recorded_visit: Visit
    attachment: Attachment
    action: ImprovementAction
    version: PolicyVersion
    draft: PolicyVersion
    company_day: CompanyDay
    leaver: User  # an account the admin pages edit and deactivate
    notification: Notification
    webhook: WebhookEndpoint
    delivery: Delivery
    invitation: SurveyInvitation
    questionnaire: Questionnaire
    review: Review
    meeting: Meeting
    training: TrainingSession
    suggestion: Suggestion
    token: ApiToken
    survey_url: str  # a fresh survey link (the matrix itself tries a wrong token)
    feed_token: str  # the owner's calendar feed
    other: dict[type[Model], Any]  # a second world (project P-002) nobody above is part of


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        at = datetime.datetime.combine(PLAN_DAY, datetime.time(9), ZoneInfo("Asia/Shanghai"))
        with time_machine.travel(at, tick=False):
            sample: dict[type[Model], Any] = build_world(1)
            other = build_world(2)
        project: Project = sample[Project]
        users = {
            "admin": UserFactory.create(
                username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True
            ),
            "quality": UserFactory.create(username="quality", role=Role.QUALITY),
            "owner": project.manager,
            "colleague": project.memberships.get().user,
            "outsider": UserFactory.create(username="outsider", role=Role.MEMBER),
            "outsider_pm": UserFactory.create(username="outsider_pm", role=Role.PROJECT_MANAGER),
            "executive": UserFactory.create(username="executive", role=Role.EXECUTIVE),
        }
        delivery = sample[Delivery]
        Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
        yield World(
            users=users,
            project=project,
            visit=sample[Visit],
            recorded_visit=sample[VisitRecord].visit,
            attachment=sample[Attachment],
            action=sample[ImprovementAction],
            version=sample[PolicyVersion],
            draft=create_policy_draft(policy=sample[PolicyVersion].policy),
            company_day=sample[CompanyDay],
            leaver=UserFactory.create(username="leaver", role=Role.MEMBER),
            notification=sample[Notification],
            webhook=sample[WebhookEndpoint],
            delivery=delivery,
            invitation=sample[SurveyInvitation],
            questionnaire=sample[Questionnaire],
            review=sample[Review],
            meeting=sample[Meeting],
            training=sample[TrainingSession],
            suggestion=sample[Suggestion],
            token=sample[ApiToken],
            survey_url=invite_contacts(
                visit=sample[Visit], contacts=[sample[Contact]], invited_by=project.manager
            )[0].url,
            feed_token=create_calendar_feed(user=project.manager)[1],
            other=other,
        )
        transaction.set_rollback(True)
