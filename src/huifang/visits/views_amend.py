"""A submitted record as the visit page shows it (checklist, amendments) and the
amendment page that corrects it: the record's own fields, its problems, the feedback
given at the visit and its improvement actions, each change kept with its reason and
old → new value (:func:`huifang.visits.recording.amend_visit_record`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from huifang.actions.models import ImprovementAction
from huifang.core.concurrency import EditConflict, row_version
from huifang.core.errors import DomainError
from huifang.visits.forms import (
    ActionForm,
    AmendmentForm,
    FeedbackForm,
    ProblemForm,
    checklist_label,
)
from huifang.visits.models import (
    Feedback,
    Problem,
    ScheduleStatus,
    Visit,
    VisitForm,
    VisitRecord,
)
from huifang.visits.recording import amend_visit_record
from huifang.visits.views_record import (
    action_rows,
    checklist_items,
    feedback_initial,
    problem_rows,
)

if TYPE_CHECKING:
    from django.forms import BaseFormSet

    from huifang.core.models import User

# An amendment corrects the rows the record has; it neither adds nor removes any.
AmendProblemFormSet = forms.formset_factory(ProblemForm, extra=0)
AmendActionFormSet = forms.formset_factory(ActionForm, extra=0)

# The models whose fields an amendment's keys name: "problems.<id>.<field>" etc.
_ROW_MODELS: dict[str, type[models.Model]] = {
    "problems": Problem,
    "feedback": Feedback,
    "actions": ImprovementAction,
}


def _field(model: type[models.Model], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _display(model: type[models.Model], name: str, value: Any, labels: dict[str, str]) -> str:
    if value is None or value == "":
        return "—"
    if model is VisitRecord and name == "schedule_status":
        return str(ScheduleStatus(value).label) if value in ScheduleStatus.values else str(value)
    if model is VisitRecord and name == "form":
        return str(VisitForm(value).label) if value in VisitForm.values else str(value)
    if name == "checklist" and isinstance(value, dict):
        return "; ".join(
            f"{labels.get(key, key)}: {'✓' if checked else '✗'}" for key, checked in value.items()
        )
    choices = dict(getattr(_field(model, name), "choices", None) or ())
    if value in choices:
        return str(choices[value])
    return str(value)


_PART_ORDER = {"problems": 1, "feedback": 2, "actions": 3}


def _order(model: type[models.Model], name: str) -> int:
    names = [field.name for field in model._meta.get_fields()]
    return names.index(name) if name in names else len(names)


def _position(item: tuple[str, Any]) -> tuple[int, int, int]:
    """The record's fields in the form's order, then problems, feedback, actions, each
    row's fields in their model's order."""
    parts = item[0].split(".")
    if len(parts) == 1:
        return (0, 0, _order(VisitRecord, parts[0]))
    row = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0
    model = _ROW_MODELS.get(parts[0], VisitRecord)
    return (_PART_ORDER.get(parts[0], 9), row, _order(model, parts[-1]))


def _label(key: str, numbers: dict[str, dict[int, int]]) -> tuple[type[models.Model], str, str]:
    """(model, field name, what the history calls it) for an amendment's key."""
    parts = key.split(".")
    if len(parts) == 1:
        field = _field(VisitRecord, key)
        return VisitRecord, key, str(getattr(field, "verbose_name", key))
    kind, name = parts[0], parts[-1]
    model = _ROW_MODELS.get(kind, VisitRecord)
    verbose = str(getattr(_field(model, name), "verbose_name", name))
    if kind == "feedback":
        return model, name, f"{_('Customer feedback')} · {verbose}"
    number = numbers.get(kind, {}).get(int(parts[1])) if parts[1].isdigit() else None
    what = _("Problem %(number)s") if kind == "problems" else _("Improvement measure %(number)s")
    return model, name, f"{what % {'number': number or '?'}} · {verbose}"


def _numbers(ids: Any) -> dict[int, int]:
    return {pk: index for index, pk in enumerate(ids, 1)}


def amendment_rows(record: VisitRecord) -> list[dict[str, Any]]:
    """Each amendment with who, when, why and every field's old → new value."""
    amendments = list(record.amendments.all())
    if not amendments:
        return []
    labels = {item.key: checklist_label(item) for item in checklist_items(record.visit)}
    # Rows are named by their place in the record ("Problem 2"), as the pages show them.
    numbers = {
        "problems": _numbers(record.problems.order_by("pk").values_list("pk", flat=True)),
        "actions": _numbers(record.actions.order_by("pk").values_list("pk", flat=True)),
    }
    rows = []
    for amendment in amendments:
        changes = []
        # In the form's order: PostgreSQL's jsonb does not keep the keys' order.
        for key, values in sorted((amendment.changes or {}).items(), key=_position):
            model, name, label = _label(key, numbers)
            changes.append(
                {
                    "field": label,
                    "old": _display(model, name, values.get("old"), labels),
                    "new": _display(model, name, values.get("new"), labels),
                }
            )
        rows.append({"amendment": amendment, "changes": changes})
    return rows


def checklist_rows(visit: Visit, record: VisitRecord) -> list[tuple[str, bool]]:
    checked = record.checklist or {}
    items = checklist_items(visit)
    rows = [(checklist_label(item), bool(checked.get(item.key))) for item in items]
    known = {item.key for item in items}
    rows += [(key, bool(value)) for key, value in checked.items() if key not in known]
    return rows


# --- The amendment page -----------------------------------------------------------------


def _row_forms(
    record: VisitRecord, data: QueryDict | None
) -> tuple[BaseFormSet[Any], FeedbackForm, BaseFormSet[Any]]:
    project = record.visit.project
    problems = AmendProblemFormSet(data, prefix="problems", initial=problem_rows(record))
    actions = AmendActionFormSet(
        data,
        prefix="actions",
        initial=action_rows(record),
        form_kwargs={"project": project},
    )
    feedback_form = FeedbackForm(
        data, prefix="feedback", initial=feedback_initial(record), project=project
    )
    return problems, feedback_form, actions


def _posted(data: QueryDict, prefix: str) -> bool:
    """Whether the page posted that part: a post from a page that had only the
    record's fields (an older page) corrects only those."""
    return any(key.startswith(f"{prefix}-") for key in data)


def handle_amendment_form(
    request: HttpRequest, user: User, visit: Visit, record: VisitRecord
) -> HttpResponse:
    checklist = checklist_items(visit)
    data = request.POST if request.method == "POST" else None
    form = AmendmentForm(data, record=record, checklist=checklist, version=row_version(record))
    problems, feedback, actions = _row_forms(record, data)
    parts: dict[str, Any] = {}
    if data is not None:
        parts = {
            name: part
            for name, part in (("problems", problems), ("feedback", feedback), ("actions", actions))
            if _posted(data, name)
        }
    status = 200
    if data is not None and all([form.is_valid(), *(part.is_valid() for part in parts.values())]):
        try:
            amend_visit_record(
                record=record,
                amended_by=user,
                reason=form.cleaned_data["reason"],
                changes=form.changes(),
                problems=(
                    [spec for row in problems.forms if (spec := row.spec())]
                    if "problems" in parts
                    else None
                ),
                feedback=(feedback.spec() or {}) if "feedback" in parts else None,
                actions=(
                    [spec for row in actions.forms if (spec := row.spec())]
                    if "actions" in parts
                    else None
                ),
                expected_version=form.expected_version,
            )
        except EditConflict:
            record = VisitRecord.objects.get(pk=record.pk)
            current = AmendmentForm(record=record, checklist=checklist)
            form.show_conflict(version=row_version(record), current=current)
            status = 409
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("The record is amended; the change is kept in its history.")
            )
            return redirect("visits:detail", pk=visit.pk)
    context = {
        "visit": visit,
        "record": record,
        "form": form,
        # A tampered or truncated row section (its management fields) is said, not lost.
        "row_errors": [
            error
            for name, part in parts.items()
            if name != "feedback"
            for error in part.non_form_errors()
        ],
        "problem_forms": problems,
        "feedback_form": feedback,
        "action_forms": actions,
    }
    return render(request, "visits/amend_form.html", context, status=status)
