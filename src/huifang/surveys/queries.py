"""Reads of surveys that pages (ours and the project page) share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Cast

from huifang.projects.models import Project, ProjectQuerySet
from huifang.surveys.models import Questionnaire, SurveyInvitation, SurveyInvitationQuerySet
from huifang.visits.models import Feedback, FeedbackSource

if TYPE_CHECKING:
    from huifang.core.models import User


def current_questionnaire(phase: str) -> Questionnaire | None:
    """The latest version for ``phase``, else the latest for any phase."""
    for candidate in (phase, ""):
        found = (
            Questionnaire.objects.filter(phase=candidate)
            .prefetch_related("questions")
            .order_by("-number")
            .first()
        )
        if found is not None:
            return found
    return None


def current_questionnaires() -> list[Questionnaire]:
    """The latest version of every phase's questionnaire (any phase first)."""
    latest: dict[str, Questionnaire] = {}
    for questionnaire in Questionnaire.objects.prefetch_related("questions").order_by(
        "phase", "-number"
    ):
        latest.setdefault(questionnaire.phase, questionnaire)
    return list(latest.values())


def survey_feedback_for_project(project: Project) -> QuerySet[Feedback]:
    """The project's survey answers, newest first, with who answered about which visit."""
    return (
        Feedback.objects.filter(project=project, source=FeedbackSource.SURVEY)
        .select_related("respondent", "visit")
        .order_by("-received_on", "-pk")
    )


def invitations_for_project(project: Project) -> SurveyInvitationQuerySet:
    return SurveyInvitation.objects.filter(project=project).select_related("contact", "visit")


def tracking_totals(invitations: QuerySet[SurveyInvitation]) -> dict[str, Any]:
    """Invitations sent, opened, answered and the response rate (answered / sent, %)."""
    totals = invitations.aggregate(
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        opened=Count("pk", filter=Q(sent_at__isnull=False, opened_at__isnull=False)),
        answered=Count("pk", filter=Q(sent_at__isnull=False, responded_at__isnull=False)),
    )
    totals["rate"] = _rate(totals["answered"], totals["sent"])
    return totals


def _rate(answered: int, sent: int) -> float | None:
    return round(answered * 100 / sent, 1) if sent else None


def project_tracking(user: User, *, search: str = "") -> ProjectQuerySet:
    """Visible projects with at least one invitation, annotated with their counts."""
    sent = Q(survey_invitations__sent_at__isnull=False)
    projects = (
        Project.objects.visible_to(user)
        .select_related("customer", "manager")
        .annotate(
            sent=Count("survey_invitations", filter=sent),
            opened=Count(
                "survey_invitations", filter=sent & Q(survey_invitations__opened_at__isnull=False)
            ),
            answered=Count(
                "survey_invitations",
                filter=sent & Q(survey_invitations__responded_at__isnull=False),
            ),
        )
        .filter(sent__gt=0)
        .annotate(
            rate=Case(
                When(sent=0, then=Value(0.0)),
                default=Cast(F("answered"), FloatField()) * 100.0 / Cast(F("sent"), FloatField()),
                output_field=FloatField(),
            )
        )
    )
    if search:
        projects = projects.filter(
            Q(code__icontains=search)
            | Q(name__icontains=search)
            | Q(customer__name__icontains=search)
        )
    return projects
