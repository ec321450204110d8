"""Every write of the evaluation area: reviews, meetings, acknowledgements, training
and suggestions. Access is decided by the views (:mod:`huifang.core.access`)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huifang.actions.models import ActionOrigin, ImprovementAction
from huifang.actions.services import create_action
from huifang.core.concurrency import lock_at_version, row_version, version_token
from huifang.core.errors import DomainError
from huifang.insights import metrics
from huifang.insights.models import (
    Meeting,
    PolicyAcknowledgement,
    Review,
    Suggestion,
    SuggestionStatus,
    TrainingAttendance,
    TrainingSession,
)
from huifang.policy.models import Policy, PolicyVersion
from huifang.policy.services import create_policy_draft

if TYPE_CHECKING:
    from huifang.core.models import User
    from huifang.customers.models import Customer
    from huifang.projects.models import Project


def _text(value: str, message: str) -> str:
    value = value.strip()
    if not value:
        raise DomainError(message)
    return value


@transaction.atomic
def create_review(
    *,
    title: str,
    period_start: datetime.date,
    period_end: datetime.date,
    created_by: User,
    project: Project | None = None,
    manager: User | None = None,
    customer: Customer | None = None,
    department: str = "",
    phase: str = "",
    findings: str = "",
    decisions: str = "",
    today: datetime.date | None = None,
) -> Review:
    """Open a review and freeze the figures of its period and scope as they are now."""
    if period_end < period_start:
        raise DomainError(_("The period must end on or after the day it starts."))
    figures = metrics.summary(
        user=created_by,
        date_from=period_start,
        date_to=period_end,
        project=project,
        manager=manager,
        customer=customer,
        department=department,
        phase=phase,
        today=today,
    )
    return Review.objects.create(
        title=_text(title, _("Give the review a title.")),
        period_start=period_start,
        period_end=period_end,
        project=project,
        manager=manager,
        customer=customer,
        department=department.strip(),
        phase=phase,
        metrics=figures,
        findings=findings.strip(),
        decisions=decisions.strip(),
        created_by=created_by,
    )


def review_version(review: Review) -> str:
    """The version of a review's findings and decisions form (see
    :mod:`huifang.core.concurrency`)."""
    return row_version(review, fields=("findings", "decisions"))


@transaction.atomic
def update_review(
    *, review: Review, findings: str, decisions: str, expected_version: str | None = None
) -> Review:
    """Findings and decisions may be written later; the frozen figures never change.
    With ``expected_version`` (the page's form) a change made since is refused."""
    review = lock_at_version(
        Review.objects, review.pk, expected=expected_version, version=review_version
    )
    review.findings = findings.strip()
    review.decisions = decisions.strip()
    review.save(update_fields=["findings", "decisions"])
    return review


@transaction.atomic
def add_review_action(
    *,
    review: Review,
    project: Project,
    description: str,
    owner: User,
    due_date: datetime.date,
    created_by: User,
) -> ImprovementAction:
    """A decision of the review turned into an improvement action it tracks."""
    action = create_action(
        project=project,
        description=description,
        owner=owner,
        due_date=due_date,
        created_by=created_by,
        origin=ActionOrigin.REVIEW,
    )
    review.actions.add(action)
    return action


@transaction.atomic
def propose_policy_revision(
    *, review: Review, policy: Policy, based_on: PolicyVersion | None, change_note: str
) -> PolicyVersion:
    """A new draft version of the policy, proposed by the review (published later on
    the policy pages like any draft)."""
    if review.policy_version_id is not None:
        raise DomainError(_("This review has already proposed a policy revision."))
    draft = create_policy_draft(
        policy=policy,
        based_on=based_on,
        change_note=_text(change_note, _("Say what the revision changes and why.")),
    )
    review.policy_version = draft
    review.save(update_fields=["policy_version"])
    return draft


@transaction.atomic
def create_meeting(
    *,
    date: datetime.date,
    title: str,
    minutes: str,
    attendees: Iterable[User],
    created_by: User,
    review: Review | None = None,
) -> Meeting:
    meeting = Meeting.objects.create(
        date=date,
        title=_text(title, _("Give the meeting a title.")),
        minutes=minutes.strip(),
        review=review,
        created_by=created_by,
    )
    meeting.attendees.set(list(attendees))
    return meeting


@transaction.atomic
def add_meeting_action(
    *,
    meeting: Meeting,
    project: Project,
    description: str,
    owner: User,
    due_date: datetime.date,
    created_by: User,
) -> ImprovementAction:
    """An action item of the meeting, tracked like any improvement action."""
    action = create_action(
        project=project,
        description=description,
        owner=owner,
        due_date=due_date,
        created_by=created_by,
        origin=ActionOrigin.MEETING,
    )
    meeting.actions.add(action)
    return action


@transaction.atomic
def acknowledge_policy(*, user: User, version: PolicyVersion) -> PolicyAcknowledgement:
    """The user confirms having read a published version; doing it twice is harmless."""
    if not version.is_published:
        raise DomainError(_("Only a published policy version can be acknowledged."))
    existing = PolicyAcknowledgement.objects.filter(user=user, version=version).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return PolicyAcknowledgement.objects.create(user=user, version=version)
    except IntegrityError:
        # A double click from two tabs: the first one won.
        return PolicyAcknowledgement.objects.get(user=user, version=version)


@transaction.atomic
def create_training_session(
    *,
    date: datetime.date,
    topic: str,
    trainer: User | None,
    notes: str = "",
    scores: dict[User, int | None] | None = None,
) -> TrainingSession:
    """A training session with its attendees and their assessment scores (0–100)."""
    session = TrainingSession.objects.create(
        date=date, topic=_text(topic, _("Name the topic.")), trainer=trainer, notes=notes.strip()
    )
    rows: list[TrainingAttendance] = []
    for user, score in (scores or {}).items():
        if score is not None and not 0 <= score <= 100:
            raise DomainError(_("An assessment score is between 0 and 100."))
        rows.append(TrainingAttendance(session=session, user=user, score=score))
    TrainingAttendance.objects.bulk_create(rows)
    return session


@transaction.atomic
def create_suggestion(*, policy: Policy, author: User, text: str) -> Suggestion:
    return Suggestion.objects.create(
        policy=policy, author=author, text=_text(text, _("Write your suggestion."))
    )


def suggestion_version(suggestion: Suggestion) -> str:
    """The version of a suggestion's answer form."""
    return row_version(suggestion, fields=("status", "response", "answered_by"))


@transaction.atomic
def answer_suggestion(
    *,
    suggestion: Suggestion,
    status: str,
    response: str,
    answered_by: User,
    expected_version: str | None = None,
) -> Suggestion:
    """Adopt or decline a suggestion with a response (or change the answer). With
    ``expected_version`` (the page's form) an answer given since is not overwritten."""
    if status not in (SuggestionStatus.ADOPTED, SuggestionStatus.DECLINED):
        raise DomainError(_("Mark the suggestion adopted or declined."))
    suggestion = lock_at_version(
        Suggestion.objects, suggestion.pk, expected=expected_version, version=suggestion_version
    )
    suggestion.status = status
    suggestion.response = _text(response, _("Answer the suggestion."))
    suggestion.answered_by = answered_by
    suggestion.answered_at = timezone.now()
    suggestion.save(update_fields=["status", "response", "answered_by", "answered_at"])
    return suggestion


def training_version(session: TrainingSession) -> str:
    """The version of a session's scores form: its attendees and their scores."""
    scores = session.attendance.order_by("user_id").values_list("user_id", "score")
    return version_token("training-scores", session.pk, list(scores))


@transaction.atomic
def record_training_scores(
    *,
    session: TrainingSession,
    scores: dict[int, int | None],
    expected_version: str | None = None,
) -> TrainingSession:
    """Set attendees' assessment scores (by user id; only users who attended). With
    ``expected_version`` (the page's form) scores changed since are not overwritten."""
    lock_at_version(
        TrainingSession.objects, session.pk, expected=expected_version, version=training_version
    )
    for user_id, score in scores.items():
        if score is not None and not 0 <= score <= 100:
            raise DomainError(_("An assessment score is between 0 and 100."))
        TrainingAttendance.objects.filter(session=session, user_id=user_id).update(score=score)
    return session
