"""Every write to survey invitations and responses.

Single use is enforced by the database, not by the page: answering claims the
invitation with one conditional UPDATE (still unanswered, not revoked, not expired),
and the response row is one-to-one with its invitation. Opening the page only stamps
the first-opened time, because mail scanners open links too.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huifang.actions.models import ActionOrigin
from huifang.actions.services import create_action
from huifang.actions.wording import SURVEY_FOLLOW_UP, TEXTS
from huifang.core import scores
from huifang.core.errors import DomainError
from huifang.customers.models import Contact
from huifang.notify.services import notify
from huifang.policy.models import PhaseChoices, PolicyVersion
from huifang.policy.queries import version_in_force
from huifang.surveys.mail import send_survey_email
from huifang.surveys.models import (
    InvitationState,
    QuestionKind,
    SurveyInvitation,
    SurveyLink,
    SurveyResponse,
)
from huifang.surveys.queries import current_questionnaire
from huifang.surveys.questionnaires import ensure_default_questionnaire
from huifang.visits.models import Feedback, FeedbackSource, Visit, VisitStatus

if TYPE_CHECKING:
    from huifang.core.models import User


DEFAULT_EXPIRY_DAYS = 14
DEFAULT_REMINDER_DAYS = 5
DETRACTOR_ACTION_DAYS = 3


@dataclass(frozen=True)
class IssuedLink:
    """A freshly minted link: the only moment the raw token exists."""

    invitation: SurveyInvitation
    url: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def default_base_url() -> str:
    return str(getattr(settings, "HUIFANG_BASE_URL", "http://127.0.0.1:8000"))


def _mint_link(invitation: SurveyInvitation, base_url: str) -> IssuedLink:
    token = secrets.token_urlsafe(32)
    SurveyLink.objects.create(invitation=invitation, token_hash=hash_token(token))
    path = reverse("surveys:answer", kwargs={"token": token})
    return IssuedLink(invitation=invitation, url=base_url.rstrip("/") + path)


def _email_on_commit(link: IssuedLink, *, reminder: bool) -> None:
    transaction.on_commit(
        partial(
            send_survey_email, invitation_id=link.invitation.pk, url=link.url, reminder=reminder
        )
    )


def _policy_version(visit: Visit) -> PolicyVersion | None:
    if visit.policy_version_id is not None:
        return visit.policy_version
    return version_in_force(visit.project.policy, on=timezone.localdate())


def _expiry_days(version: PolicyVersion | None) -> int:
    return version.survey_expiry_days if version is not None else DEFAULT_EXPIRY_DAYS


@transaction.atomic
def invite_contacts(
    *,
    visit: Visit,
    contacts: Sequence[Contact],
    invited_by: User | None,
    base_url: str = "",
) -> list[IssuedLink]:
    """Invite each contact to answer the survey about ``visit``; contacts with an
    e-mail address get it by mail, every link is returned to be copied or scanned."""
    if not contacts:
        raise DomainError(_("Choose at least one contact to invite."))
    if visit.status == VisitStatus.CANCELLED:
        raise DomainError(_("A cancelled visit has no survey."))
    project = visit.project
    strangers = [c for c in contacts if c.customer_id != project.customer_id]
    if strangers:
        raise DomainError(_("Only contacts of the project's customer can be invited."))
    already = set(
        SurveyInvitation.objects.filter(
            visit=visit, contact__in=contacts, revoked_at__isnull=True
        ).values_list("contact__name", flat=True)
    )
    if already:
        raise DomainError(
            _("Already invited to this visit's survey: %(names)s. Resend their invitation.")
            % {"names": ", ".join(sorted(already))}
        )
    questionnaire = current_questionnaire(visit.phase) or ensure_default_questionnaire()
    version = _policy_version(visit)
    now = timezone.now()
    base_url = base_url or default_base_url()
    issued = []
    for contact in contacts:
        try:
            # A savepoint: someone inviting the same contact at the same moment loses
            # on the unique constraint and is told, instead of getting an error page.
            with transaction.atomic():
                invitation = SurveyInvitation.objects.create(
                    project=project,
                    visit=visit,
                    contact=contact,
                    questionnaire=questionnaire,
                    language=contact.language,
                    invited_by=invited_by,
                    reminder_days=(
                        version.survey_reminder_days
                        if version is not None
                        else DEFAULT_REMINDER_DAYS
                    ),
                    sent_at=now,
                    emailed_at=now if contact.email else None,
                    expires_at=now + datetime.timedelta(days=_expiry_days(version)),
                )
        except IntegrityError as error:
            raise DomainError(
                _("Already invited to this visit's survey: %(names)s. Resend their invitation.")
                % {"names": contact.name}
            ) from error
        link = _mint_link(invitation, base_url)
        if contact.email:
            _email_on_commit(link, reminder=False)
        issued.append(link)
    return issued


def invite_after_visit(*, visit: Visit) -> list[IssuedLink]:
    """The automatic invitation after a visit of the policy's survey phase (closing
    by default): the visit's contacts, else the project's default contacts, else the
    customer's primary contact; those with an e-mail address. Contacts already
    invited are skipped, so calling it again changes nothing."""
    version = _policy_version(visit)
    phase = version.survey_after_phase if version is not None else PhaseChoices.CLOSING
    if not phase or visit.phase != phase or visit.status == VisitStatus.CANCELLED:
        return []
    project = visit.project
    contacts = list(visit.contacts.all()) or list(project.default_contacts.all())
    if not contacts:
        contacts = list(Contact.objects.filter(customer_id=project.customer_id, is_primary=True))
    invited = set(
        SurveyInvitation.objects.filter(visit=visit, revoked_at__isnull=True).values_list(
            "contact_id", flat=True
        )
    )
    # Only contacts we can e-mail: an automatic link nobody delivers would count as
    # sent and never be answered. The others are invited by hand (link, QR code).
    fresh = [c for c in contacts if c.pk not in invited and c.email]
    if not fresh:
        return []
    return invite_contacts(visit=visit, contacts=fresh, invited_by=None)


def _refuse(invitation: SurveyInvitation) -> DomainError:
    state = invitation.state()
    messages = {
        InvitationState.ANSWERED: _("This survey has already been answered."),
        InvitationState.REVOKED: _("This invitation has been revoked."),
        InvitationState.EXPIRED: _("This survey link has expired."),
    }
    return DomainError(messages.get(state, _("This invitation cannot be changed.")), code=state)


@transaction.atomic
def resend_invitation(*, invitation: SurveyInvitation, base_url: str = "") -> IssuedLink:
    """A new link by e-mail (earlier links keep working); an expired invitation is
    opened again for the policy's validity period."""
    invitation = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.responded_at is not None or invitation.revoked_at is not None:
        raise _refuse(invitation)
    now = timezone.now()
    version = _policy_version(invitation.visit)
    invitation.expires_at = max(
        invitation.expires_at, now + datetime.timedelta(days=_expiry_days(version))
    )
    invitation.sent_at = invitation.sent_at or now
    if invitation.contact.email:
        invitation.emailed_at = now
    invitation.save(update_fields=["expires_at", "sent_at", "emailed_at"])
    link = _mint_link(invitation, base_url or default_base_url())
    if invitation.contact.email:
        _email_on_commit(link, reminder=False)
    return link


@transaction.atomic
def issue_invitation_link(*, invitation: SurveyInvitation, base_url: str = "") -> IssuedLink:
    """Another link to copy or show as a QR code (the first one cannot be shown
    again: only its hash is stored)."""
    invitation = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise _refuse(invitation)
    return _mint_link(invitation, base_url or default_base_url())


@transaction.atomic
def revoke_invitation(*, invitation: SurveyInvitation) -> SurveyInvitation:
    claimed = SurveyInvitation.objects.filter(
        pk=invitation.pk, responded_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    invitation.refresh_from_db()
    if not claimed:
        raise _refuse(invitation)
    return invitation


def send_survey_reminders(*, today: datetime.date | None = None, base_url: str = "") -> int:
    """One reminder, with a fresh link, to each contact who has not answered
    ``reminder_days`` after the invitation. Each invitation is claimed with a
    conditional UPDATE, so two workers running this at once never remind twice."""
    now = timezone.now()
    today = today or timezone.localdate()
    candidates = (
        SurveyInvitation.objects.awaiting_answer(now)
        .filter(reminded_at__isnull=True, sent_at__isnull=False)
        .exclude(contact__email="")
        .only("pk", "sent_at", "reminder_days")
    )
    sent = 0
    for invitation in candidates.iterator():
        sent_at = invitation.sent_at or now
        due = timezone.localdate(sent_at) + datetime.timedelta(days=invitation.reminder_days)
        if due > today:
            continue
        with transaction.atomic():
            claimed = SurveyInvitation.objects.filter(
                pk=invitation.pk, reminded_at__isnull=True, responded_at__isnull=True
            ).update(reminded_at=now)
            if not claimed:
                continue
            link = _mint_link(invitation, base_url or default_base_url())
            _email_on_commit(link, reminder=True)
        sent += 1
    return sent


# --- The public side -------------------------------------------------------------------


def find_invitation(token: str) -> SurveyInvitation | None:
    """The invitation a token opens, or None for anything unknown or malformed."""
    if not token or len(token) > 100:
        return None
    link = (
        SurveyLink.objects.select_related(
            "invitation__project__manager",
            "invitation__contact",
            "invitation__questionnaire",
            "invitation__visit",
        )
        .filter(token_hash=hash_token(token))
        .first()
    )
    return link.invitation if link is not None else None


def record_opened(*, invitation: SurveyInvitation) -> SurveyInvitation:
    """Stamp the first opening; never uses the link up."""
    if invitation.opened_at is None:
        now = timezone.now()
        SurveyInvitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
            opened_at=now
        )
        invitation.opened_at = now
    return invitation


def is_detractor(feedback: Feedback) -> bool:
    recommend = feedback.likelihood_to_recommend
    overall = feedback.overall_satisfaction
    return (recommend is not None and recommend <= scores.DETRACTOR_MAX) or (
        overall is not None and overall <= scores.UNHAPPY_SATISFACTION_MAX
    )


def _feedback_values(invitation: SurveyInvitation, answers: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for question in invitation.questionnaire.questions.all():
        answer = answers.get(question.key)
        if answer in (None, ""):
            if question.required:
                raise DomainError(_("Please answer every required question."))
            continue
        if question.kind == QuestionKind.RATING and answer not in range(1, 6):
            raise DomainError(_("Please answer every required question."))
        if question.kind == QuestionKind.RECOMMEND and answer not in range(0, 11):
            raise DomainError(_("Please answer every required question."))
        if question.maps_to:
            values[question.maps_to] = answer
    return values


@transaction.atomic
def submit_survey_response(
    *, invitation: SurveyInvitation, answers: dict[str, Any], language: str
) -> SurveyResponse:
    """Answer the survey, once. The answers become Feedback of the visit (source
    survey); a detractor gets an improvement action and the manager a notification."""
    values = _feedback_values(invitation, answers)
    now = timezone.now()
    # An answer is also an opening: one posted without the page's GET (a page kept
    # open from before, a client of its own) must not count as answered but unopened.
    claimed = SurveyInvitation.objects.filter(
        pk=invitation.pk, responded_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(responded_at=now, opened_at=Coalesce(F("opened_at"), Value(now)))
    invitation.refresh_from_db()
    if not claimed:
        raise _refuse(invitation)
    feedback = Feedback.objects.create(
        project_id=invitation.project_id,
        visit_id=invitation.visit_id,
        source=FeedbackSource.SURVEY,
        respondent_id=invitation.contact_id,
        received_on=timezone.localdate(now),
        **values,
    )
    response = SurveyResponse.objects.create(
        invitation=invitation, feedback=feedback, answers=answers, language=language
    )
    if is_detractor(feedback):
        _follow_up_detractor(invitation, feedback)
    return response


def _follow_up_detractor(invitation: SurveyInvitation, feedback: Feedback) -> None:
    project = invitation.project
    manager = project.manager
    # Shown in each reader's language (its key); the stored words, for search and as
    # the fallback, are in the manager's.
    with translation.override(manager.language or settings.LANGUAGE_CODE):
        description = str(TEXTS[SURVEY_FOLLOW_UP])
    create_action(
        project=project,
        description=description,
        description_key=SURVEY_FOLLOW_UP,
        owner=manager,
        due_date=timezone.localdate() + datetime.timedelta(days=DETRACTOR_ACTION_DAYS),
        created_by=manager,
        origin=ActionOrigin.FEEDBACK,
        feedback=feedback,
    )
    # Imported here: notify depends on every area's models, surveys must not be
    # imported by it in a cycle.

    scores = [
        f"{feedback.overall_satisfaction}/5" if feedback.overall_satisfaction else "",
        f"{feedback.likelihood_to_recommend}/10"
        if feedback.likelihood_to_recommend is not None
        else "",
    ]
    notify(
        recipient=manager,
        kind="survey_detractor",
        subject=feedback,
        occasion=str(feedback.pk),
        project=project,
        context={
            "project": str(project),
            "customer": f"{invitation.contact.name} ({project.customer})",
            "score": " · ".join(score for score in scores if score),
            "comment": feedback.suggestions or feedback.evaluation,
            "url": reverse("surveys:project_tracking", kwargs={"project_pk": project.pk}),
        },
    )
