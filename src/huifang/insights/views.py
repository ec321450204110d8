"""Evaluation pages: the dashboard, scorecards, the feedback summary, a project's
follow-up report and the Excel exports.

Everyone signed in sees the dashboard and the feedback summary, scoped to their
projects; scorecards compare people, so only quality managers, admins and
executives see them (``access.can_see_scorecards``)."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from huifang.actions.models import ImprovementAction
from huifang.core import access, pdf
from huifang.core.listing import sort_queryset
from huifang.insights import documents, exports, management, queries
from huifang.insights.forms import PeriodForm
from huifang.insights.labels import metric_labels
from huifang.insights.metrics import summary
from huifang.projects.models import Project
from huifang.visits.models import ProblemCategory, VisitRecord


@login_required
@require_http_methods(["GET"])
def dashboard(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    form = PeriodForm(request.GET or None)
    date_from, date_to = form.period()
    today = timezone.localdate()
    data = queries.dashboard(user=user, date_from=date_from, date_to=date_to, today=today)
    chart = {
        "months": data["months"],
        "targets": data["targets"],
        "problems": data["problems"],
        # Every category gets its row, with or without problems, in a fixed order:
        # a chart that only listed the categories seen made periods incomparable.
        "categories": [
            {"category": value, "label": str(label)} for value, label in ProblemCategory.choices
        ],
        "funnel": data["funnel"],
        "ageing": data["ageing"],
        "labels": {
            "on_time_rate": _("On-time rate"),
            "coverage_rate": _("Coverage"),
            "target": _("Target"),
            "csat": _("CSAT"),
            "nps": _("NPS"),
            "problems": _("Problems"),
            "actions": _("Actions"),
        },
    }
    return render(
        request,
        "insights/dashboard.html",
        {
            "form": form,
            "date_from": date_from,
            "date_to": date_to,
            "today": today,
            "data": data,
            "chart": chart,
            "summary_rows": _summary_rows(data["summary"]),
            "can_see_scorecards": access.can_see_scorecards(user),
            # Staff-wide, like the register it links to: for those who see everything.
            "acknowledgements": queries.acknowledgement_rates()
            if access.can_see_scorecards(user)
            else [],
        },
    )


@login_required
@require_http_methods(["GET"])
def management_home(request: HttpRequest) -> HttpResponse:
    """Where quality managers and executives land: the policy's targets against the
    figures, what is overdue where, the latest detractors and open review actions."""
    user = access.signed_in_user(request)
    access.require(access.sees_all_projects(user))
    today = timezone.localdate()
    context = management.management_home(user=user, today=today)
    return render(request, "insights/management.html", {**context, "today": today})


def _summary_rows(figures: dict[str, float | int | None]) -> list[dict[str, object]]:
    labels = metric_labels()
    return [
        {"name": name, "label": labels[name], "value": value} for name, value in figures.items()
    ]


@login_required
@require_http_methods(["GET"])
def scorecards(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    access.require(access.can_see_scorecards(user))
    form = PeriodForm(request.GET or None)
    date_from, date_to = form.period()
    rows, sorting = sort_queryset(
        request,
        queries.scorecards(date_from=date_from, date_to=date_to),
        allowed=queries.SCORECARD_SORTS,
        default="name",
    )
    export = request.GET.get("export", "")
    if export in ("xlsx", "csv"):
        header, body = exports.scorecard_table(rows)
        name = f"scorecards-{date_from:%Y%m%d}-{date_to:%Y%m%d}"
        if export == "csv":
            return exports.csv_response(name, header, body)
        return exports.workbook_response(name, [(_("Scorecards"), header, body)])
    return render(
        request,
        "insights/scorecards.html",
        {
            "form": form,
            "rows": rows,
            "sorting": sorting,
            "date_from": date_from,
            "date_to": date_to,
        },
    )


@login_required
@require_http_methods(["GET"])
def feedback_summary(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    form = PeriodForm(request.GET or None)
    date_from, date_to = form.period()
    group = request.GET.get("group", "customer")
    if group not in ("customer", "project"):
        group = "customer"
    rows = list(queries.feedback_texts(user=user, date_from=date_from, date_to=date_to))

    def key(row: object) -> str:
        project = row.project  # type: ignore[attr-defined]
        return str(project.customer) if group == "customer" else str(project)

    groups = [
        {"label": label, "rows": list(items)}
        for label, items in groupby(sorted(rows, key=key), key=key)
    ]

    figures = summary(user=user, date_from=date_from, date_to=date_to)
    return render(
        request,
        "insights/feedback_summary.html",
        {
            "form": form,
            "group": group,
            "groups": groups,
            "categories": queries.problem_categories(
                user=user, date_from=date_from, date_to=date_to
            ),
            "summary_rows": _summary_rows(figures),
            "completed_projects": Project.objects.visible_to(user)
            .filter(status="completed")
            .order_by("-actual_end", "code")[:20],
            "date_from": date_from,
            "date_to": date_to,
        },
    )


@login_required
@require_http_methods(["GET"])
def project_report(request: HttpRequest, pk: int) -> HttpResponse:
    project, report = _project_report(request, pk)
    return render(
        request,
        "insights/project_report.html",
        {"project": project, "report": report, "chart": {"satisfaction": report["satisfaction"]}},
    )


@login_required
@require_http_methods(["GET"])
def project_report_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The report as a PDF, for whoever sees the page."""
    project, report = _project_report(request, pk)
    content, filename = documents.project_report_pdf(
        project, report, today=timezone.localdate(), request=request
    )
    return pdf.download(content, filename=filename, content_type=pdf.PDF)


def _project_report(request: HttpRequest, pk: int) -> tuple[Project, dict[str, Any]]:
    """The project (404 outside the user's projects) and its report's figures."""
    user = access.signed_in_user(request)
    project = get_object_or_404(
        Project.objects.visible_to(user).select_related("customer", "manager"), pk=pk
    )
    return project, queries.project_report(project, today=timezone.localdate())


@login_required
@require_http_methods(["GET"])
def export_records(request: HttpRequest) -> HttpResponse:
    """Visit records of visits due in the period, as the user may see them."""
    user = access.signed_in_user(request)
    date_from, date_to = PeriodForm(request.GET or None).period()
    records = (
        VisitRecord.objects.visible_to(user)
        .filter(visit__due_date__range=(date_from, date_to))
        .select_related("visit__project", "recorded_by")
        .prefetch_related("contacts", "participants")
        .order_by("visit__due_date", "pk")
    )
    header, body = exports.visit_record_rows(records)
    return exports.workbook_response(
        f"visit-records-{date_from:%Y%m%d}-{date_to:%Y%m%d}", [(_("Visit records"), header, body)]
    )


@login_required
@require_http_methods(["GET"])
def export_actions(request: HttpRequest) -> HttpResponse:
    """Improvement actions created in the period, as the user may see them."""
    user = access.signed_in_user(request)
    date_from, date_to = PeriodForm(request.GET or None).period()
    actions = (
        ImprovementAction.objects.visible_to(user)
        .filter(created_at__date__range=(date_from, date_to))
        .select_related("project", "owner")
        .order_by("created_at", "pk")
    )
    header, body = exports.action_rows(actions)
    return exports.workbook_response(
        f"actions-{date_from:%Y%m%d}-{date_to:%Y%m%d}", [(_("Actions"), header, body)]
    )
