"""Response schemas shared by the routers (request bodies live next to their
endpoints)."""

import datetime
from typing import Any

from ninja import Schema

from huifang.api.etags import etag, visit_etag
from huifang.customers.services import contact_version, customer_version
from huifang.projects.services import project_version


class UserRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    title: str
    phone: str
    email: str
    wechat_id: str
    preferred_channel: str
    language: str
    is_primary: bool
    etag: str

    @staticmethod
    def resolve_etag(obj: Any) -> str:
        # The If-Match of PATCH /contacts/{id}: contacts are read in lists only.
        return etag(contact_version(obj))


class CustomerOut(Schema):
    id: int
    name: str
    industry: str
    address: str
    notes: str
    updated_at: datetime.datetime


class CustomerDetailOut(CustomerOut):
    contacts: list[ContactOut]
    etag: str

    @staticmethod
    def resolve_etag(obj: Any) -> str:
        return etag(customer_version(obj))

    @staticmethod
    def resolve_contacts(obj: Any) -> list[Any]:
        return list(obj.contacts.all())


class MemberOut(Schema):
    user: UserRef
    responsibility: str


class ProjectOut(Schema):
    id: int
    code: str
    name: str
    customer_id: int
    customer_name: str
    manager: UserRef
    department: str
    status: str
    cadence: str
    planned_start: datetime.date
    planned_end: datetime.date | None
    actual_start: datetime.date | None
    actual_end: datetime.date | None
    policy_id: int
    updated_at: datetime.datetime

    @staticmethod
    def resolve_customer_name(obj: Any) -> str:
        return str(obj.customer.name)


class ProjectDetailOut(ProjectOut):
    description: str
    members: list[MemberOut]
    default_contact_ids: list[int]
    etag: str

    @staticmethod
    def resolve_etag(obj: Any) -> str:
        return etag(project_version(obj))

    @staticmethod
    def resolve_members(obj: Any) -> list[Any]:
        return list(obj.memberships.select_related("user"))

    @staticmethod
    def resolve_default_contact_ids(obj: Any) -> list[int]:
        return [contact.pk for contact in obj.default_contacts.all()]


class VisitOut(Schema):
    id: int
    project_id: int
    project_code: str
    phase: str
    sequence: int | None
    is_adhoc: bool
    window_start: datetime.date
    due_date: datetime.date
    status: str
    owner: UserRef | None
    scheduled_at: datetime.datetime | None
    form: str
    completed_on: datetime.date | None
    cancel_reason: str
    updated_at: datetime.datetime
    etag: str

    @staticmethod
    def resolve_project_code(obj: Any) -> str:
        return str(obj.project.code)

    @staticmethod
    def resolve_etag(obj: Any) -> str:
        return visit_etag(obj)


class ProblemOut(Schema):
    id: int
    category: str
    severity: str
    description: str
    raised_by: str
    status: str
    resolution: str


class FeedbackOut(Schema):
    id: int
    source: str
    respondent_id: int | None
    overall_satisfaction: int | None
    quality_satisfaction: int | None
    schedule_satisfaction: int | None
    communication_satisfaction: int | None
    service_satisfaction: int | None
    likelihood_to_recommend: int | None
    evaluation: str
    suggestions: str
    requirement_changes: str
    received_on: datetime.date


class ActionOut(Schema):
    id: int
    project_id: int
    origin: str
    record_id: int | None
    problem_id: int | None
    feedback_id: int | None
    description: str
    owner: UserRef
    due_date: datetime.date
    status: str
    progress_note: str
    done_on: datetime.date | None
    done_note: str
    closed_on: datetime.date | None
    revision: int
    updated_at: datetime.datetime


class RecordOut(Schema):
    id: int
    visit_id: int
    project_id: int
    status: str
    work_completed: str
    work_outstanding: str
    schedule_status: str
    percent_complete: int | None
    planned_percent: int | None
    variance_days: int | None
    checklist: dict[str, bool]
    summary: str
    form: str
    recorded_by: UserRef
    submitted_at: datetime.datetime | None
    revision: int
    updated_at: datetime.datetime

    @staticmethod
    def resolve_project_id(obj: Any) -> int:
        return int(obj.visit.project_id)

    @staticmethod
    def resolve_form(obj: Any) -> str:
        return str(obj.form or "")


class RecordDetailOut(RecordOut):
    contact_ids: list[int]
    participant_ids: list[int]
    problems: list[ProblemOut]
    feedback: list[FeedbackOut]
    actions: list[ActionOut]

    @staticmethod
    def resolve_contact_ids(obj: Any) -> list[int]:
        return sorted(contact.pk for contact in obj.contacts.all())

    @staticmethod
    def resolve_participant_ids(obj: Any) -> list[int]:
        return sorted(person.pk for person in obj.participants.all())

    @staticmethod
    def resolve_problems(obj: Any) -> list[Any]:
        return list(obj.problems.all())

    @staticmethod
    def resolve_feedback(obj: Any) -> list[Any]:
        return list(obj.feedback.all())

    @staticmethod
    def resolve_actions(obj: Any) -> list[Any]:
        return list(obj.actions.select_related("owner"))
