"""The metric summary of DESIGN.md, as the caller may see it."""

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from huifang.api.common import NO_NUL, READ_ERRORS, WRITE_ERRORS, Id, caller, get_visible
from huifang.core.errors import DomainError
from huifang.insights.metrics import summary as metric_summary
from huifang.policy.models import PhaseChoices
from huifang.projects.models import Project

router = Router(tags=["metrics"])

MAX_PERIOD_DAYS = 3660


class SummaryQuery(Schema):
    date_from: datetime.date
    date_to: datetime.date
    project: Id | None = None
    manager: Id | None = None
    customer: Id | None = None
    department: str | None = Field(None, max_length=80, pattern=NO_NUL)
    phase: PhaseChoices | None = None


class SummaryOut(Schema):
    date_from: datetime.date
    date_to: datetime.date
    metrics: dict[str, float | int | None]


@router.get("/metrics/summary", response={200: SummaryOut, 400: WRITE_ERRORS[400], **READ_ERRORS})
def summary(request: HttpRequest, query: Query[SummaryQuery]) -> Any:
    user = caller(request)
    if query.date_to < query.date_from:
        raise DomainError(_("date_to: the period ends before it starts."))
    if (query.date_to - query.date_from).days > MAX_PERIOD_DAYS:
        raise DomainError(_("date_to: the period is longer than ten years."))
    project = (
        get_visible(Project.objects.visible_to(user), query.project) if query.project else None
    )
    figures = metric_summary(
        user=user,
        date_from=query.date_from,
        date_to=query.date_to,
        project=project,
        manager=query.manager,
        customer=query.customer,
        department=query.department or None,
        phase=query.phase.value if query.phase else None,
    )
    return {"date_from": query.date_from, "date_to": query.date_to, "metrics": figures}
