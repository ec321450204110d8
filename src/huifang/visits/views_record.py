"""The record page of a visit: the one form with the policy's four sections (the
amendment page of a submitted record is :mod:`huifang.visits.views_amend`).

Kept apart from :mod:`huifang.visits.views` because the record form is several Django
forms at once (progress and checklist, problems, feedback, measures, verdicts on
earlier actions) that are built, re-shown and saved together.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from huifang.actions.models import OPEN_ACTION_STATUSES, ActionStatus, ImprovementAction
from huifang.core import access, dataversion
from huifang.core.concurrency import EditConflict, differences
from huifang.core.errors import DomainError
from huifang.policy.models import ChecklistItem
from huifang.policy.queries import version_in_force
from huifang.visits.forms import (
    ActionFormSet,
    AttachmentForm,
    FeedbackForm,
    ProblemFormSet,
    RecordForm,
    RecordHowForm,
    VerificationForm,
)
from huifang.visits.models import (
    Feedback,
    FeedbackSource,
    Visit,
    VisitRecord,
    VisitStatus,
)
from huifang.visits.recording import (
    NO_RECORD_YET,
    planned_percent,
    save_visit_record,
    submit_visit_record,
)

if TYPE_CHECKING:
    from django.forms import BaseFormSet

    from huifang.core.models import User

# Buttons that add an empty row and show the form again, without saving: the
# "add another" that works without any script.
ADD_ROW = {"add_problem": "problems", "add_action": "actions"}


def attachment_context(
    request: HttpRequest,
    visit: Visit,
    record: VisitRecord | None,
    *,
    may_record: bool | None = None,
) -> dict[str, Any]:
    """``may_record``: what the caller already found (the record form is only shown to
    someone who may record); else it is checked here."""
    if may_record is None:
        may_record = access.can_record_visit(access.signed_in_user(request), visit.project)
    return {
        "visit": visit,
        # Cacheable: the visit's files, the same for everyone allowed on the page.
        "attachments": dataversion.cached(
            "visits.attachments",
            (visit.pk,),
            lambda: list(visit.attachments.select_related("uploaded_by")),
        ),
        "may_upload": may_record and visit.status != VisitStatus.CANCELLED,
        "may_delete": may_record and not (record is not None and record.is_submitted),
        "attachment_form": AttachmentForm(),
    }


# The record form's read-only rows (checklist, earlier actions, attachments) are kept
# until the data changes (huifang.core.dataversion): three queries of the page's ten.


def checklist_items(visit: Visit) -> list[ChecklistItem]:
    """The phase's checklist from the policy version that planned the visit (or the
    version in force for an ad-hoc visit)."""
    today = timezone.localdate()
    # Cacheable: the policy's items (both languages in each row), the same for everyone.
    return dataversion.cached(
        "visits.checklist", (visit.pk, today), lambda: _checklist_items(visit, today)
    )


def _checklist_items(visit: Visit, today: datetime.date) -> list[ChecklistItem]:
    version = visit.policy_version or version_in_force(visit.project.policy, on=today)
    if version is None:
        return []
    return list(version.checklist_items.filter(phase=visit.phase).order_by("position", "pk"))


def verification_candidates(visit: Visit, record: VisitRecord | None) -> list[ImprovementAction]:
    """The project's earlier actions a visit verifies: done (awaiting a verdict) or
    still open. Actions raised by this very record are not its to verify."""
    key = (visit.project_id, record.pk if record is not None else None)
    # Cacheable: the project's actions, the same for everyone who may record the visit.
    return dataversion.cached(
        "visits.to_verify", key, lambda: _verification_candidates(visit, record)
    )


def _verification_candidates(visit: Visit, record: VisitRecord | None) -> list[ImprovementAction]:
    actions = ImprovementAction.objects.filter(
        project_id=visit.project_id, status__in=[*OPEN_ACTION_STATUSES, ActionStatus.DONE]
    ).select_related("owner")
    if record is not None:
        actions = actions.exclude(record=record)
    return list(actions.order_by("due_date", "pk"))


@dataclass
class RecordForms:
    record: RecordForm
    how: RecordHowForm
    problems: BaseFormSet[Any]
    actions: BaseFormSet[Any]
    feedback: FeedbackForm
    verifications: list[VerificationForm]

    def all(self) -> list[Any]:
        """Every form of the page, the formsets' rows included."""
        return [
            self.record,
            self.how,
            *self.problems.forms,
            *self.actions.forms,
            self.feedback,
            *self.verifications,
        ]

    def is_valid(self) -> bool:
        results = [
            self.record.is_valid(),
            self.how.is_valid(),
            self.problems.is_valid(),
            self.actions.is_valid(),
            self.feedback.is_valid(),
            *(form.is_valid() for form in self.verifications),
        ]
        return all(results)


def _initial(visit: Visit, record: VisitRecord | None) -> dict[str, Any]:
    if record is None:
        # A first record starts from the appointment: how and with whom it was planned.
        participants = [person.pk for person in visit.participants.all()]
        if not participants and visit.owner_id is not None:
            participants = [visit.owner_id]
        return {
            "record": {"revision": NO_RECORD_YET},
            "how": {
                "form": visit.form,
                "contacts": [contact.pk for contact in visit.contacts.all()],
                "participants": participants,
            },
            "problems": [],
            "actions": [],
            "feedback": {},
            "verdicts": {},
        }
    return {
        "record": {
            "revision": record.revision,
            "work_completed": record.work_completed,
            "work_outstanding": record.work_outstanding,
            "schedule_status": record.schedule_status,
            "percent_complete": record.percent_complete,
            "summary": record.summary,
        },
        "how": {
            "form": record.form,
            "contacts": [contact.pk for contact in record.contacts.all()],
            "participants": [person.pk for person in record.participants.all()],
        },
        "problems": problem_rows(record),
        "actions": action_rows(record),
        "feedback": feedback_initial(record),
        "verdicts": {
            row.action_id: {
                "result": row.result,
                "note": row.note,
                "new_due_date": row.new_due_date,
            }
            for row in record.verifications.all()
        },
    }


def problem_rows(record: VisitRecord) -> list[dict[str, Any]]:
    """The initial rows of the record's problems (the draft form and the amendment)."""
    return [
        {
            "id": problem.pk,
            "category": problem.category,
            "severity": problem.severity,
            "raised_by": problem.raised_by,
            "description": problem.description,
            "status": problem.status,
            "resolution": problem.resolution,
        }
        for problem in record.problems.order_by("pk")
    ]


def action_rows(record: VisitRecord) -> list[dict[str, Any]]:
    """The initial rows of the actions the record raised."""
    return [
        {
            "id": action.pk,
            "description": action.description,
            "owner": action.owner_id,
            "due_date": action.due_date,
        }
        for action in record.actions.order_by("pk")
    ]


def feedback_initial(record: VisitRecord) -> dict[str, Any]:
    """The initial values of the feedback given at the visit ({} without one)."""
    feedback: Feedback | None = record.feedback.filter(source=FeedbackSource.VISIT).first()
    if feedback is None:
        return {}
    names = [name for name in FeedbackForm.base_fields if name != "respondent"]
    return {
        **{name: getattr(feedback, name) for name in names},
        "respondent": feedback.respondent_id,
    }


# A bound form's initial values are not shown; only the record's revision matters.
_EMPTY: dict[str, Any] = {
    "record": {"revision": NO_RECORD_YET},
    "how": {},
    "problems": [],
    "actions": [],
    "feedback": {},
    "verdicts": {},
}


def build_forms(
    visit: Visit, record: VisitRecord | None, data: QueryDict | None = None
) -> RecordForms:
    initial = _initial(visit, record) if data is None else _EMPTY
    project = visit.project
    items = checklist_items(visit)
    checked = (record.checklist or {}) if record is not None else {}
    return RecordForms(
        record=RecordForm(
            data,
            prefix="record",
            initial=initial["record"],
            checklist=items,
            checked=checked,
        ),
        how=RecordHowForm(data, prefix="record", initial=initial["how"], project=project),
        problems=ProblemFormSet(data, prefix="problems", initial=initial["problems"] or None),
        actions=ActionFormSet(
            data,
            prefix="actions",
            initial=initial["actions"] or None,
            form_kwargs={"project": project},
        ),
        feedback=FeedbackForm(
            data, prefix="feedback", initial=initial["feedback"], project=project
        ),
        verifications=[
            VerificationForm(data, action=action, initial=initial["verdicts"].get(action.pk))
            for action in verification_candidates(visit, record)
        ],
    )


def _visit_day(visit: Visit) -> datetime.date:
    if visit.scheduled_at is not None:
        return timezone.localdate(visit.scheduled_at)
    return timezone.localdate()


def _render(
    request: HttpRequest,
    visit: Visit,
    record: VisitRecord | None,
    forms: RecordForms,
    status: int = 200,
) -> HttpResponse:
    project = visit.project
    context = {
        "visit": visit,
        "project": project,
        "record": record,
        "forms": forms,
        "problem_forms": forms.problems,
        "action_forms": forms.actions,
        "verifications": forms.verifications,
        "planned_percent": planned_percent(
            start=project.start, end=project.end, on=_visit_day(visit)
        ),
        "variance_days": record.variance_days if record is not None else None,
        # Only someone who may record reaches the record form (visits.views).
        **attachment_context(request, visit, record, may_record=True),
        "attachment_form": AttachmentForm(),
    }
    return render(request, "visits/record_form.html", context, status=status)


def _with_extra_row(data: QueryDict, prefix: str) -> QueryDict:
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(data.get(key) or 0)
    except ValueError:
        total = 0
    data[key] = str(min(total + 1, 50))
    return data


def _save(forms: RecordForms, visit: Visit, user: User) -> tuple[VisitRecord, dict[str, Any]]:
    """Save the draft; also returns the ids the save gave the page's problem and action
    rows, keyed by row index, for the autosave to put into the page."""
    revision = forms.record.cleaned_data.get("revision")
    if revision is None:
        # A form without the revision it was built from (a page from before an
        # upgrade, a hand-made post) cannot say what it replaces: refused as out of date.
        raise EditConflict(
            _("This page is out of date: it does not say which version of the record it shows.")
        )
    problem_rows = [
        (i, spec) for i, form in enumerate(forms.problems.forms) if (spec := form.spec())
    ]
    action_rows = [(i, spec) for i, form in enumerate(forms.actions.forms) if (spec := form.spec())]
    verdicts = [spec for form in forms.verifications if (spec := form.spec())]
    record = save_visit_record(
        visit=visit,
        recorded_by=user,
        fields={**forms.record.record_fields(), "form": forms.how.cleaned_data["form"]},
        contacts=list(forms.how.cleaned_data["contacts"]),
        participants=list(forms.how.cleaned_data["participants"]),
        problems=[spec for _i, spec in problem_rows],
        feedback=forms.feedback.spec(),
        actions=[spec for _i, spec in action_rows],
        verifications=verdicts,
        expected_revision=revision,
    )
    rows = {
        "problems": dict(
            zip([str(i) for i, _spec in problem_rows], record.saved_problem_ids or [], strict=True)
        ),
        "actions": dict(
            zip([str(i) for i, _spec in action_rows], record.saved_action_ids or [], strict=True)
        ),
    }
    return record, rows


def _autosave(forms: RecordForms, visit: Visit, user: User) -> JsonResponse:
    """The draft saved in the background by the page (static/huifang/record-autosave.js).

    The same rules as the Save button, answered in JSON: the new revision and the ids
    of new rows, so the page's next save is neither stale nor a duplicate; a stale
    revision (someone else saved meanwhile) is a 409 that the page shows, and it stops
    saving in the background so the other person's draft is never overwritten unseen.
    """
    if not forms.is_valid():
        labels = sorted(
            {
                str(form.fields[name].label)
                for form in forms.all()
                for name in form.errors
                if name in form.fields
            }
        )
        return JsonResponse(
            {
                "saved": False,
                "message": _(
                    "Not saved automatically: check %(fields)s. What you typed is still here."
                )
                % {"fields": ", ".join(labels) or _("the form")},
            },
            status=400,
        )
    try:
        record, rows = _save(forms, visit, user)
    except DomainError as error:
        conflict = isinstance(error, EditConflict)
        message = error.message
        if conflict:
            message = _(
                "Someone else saved this record in the meantime, so it is no longer saved "
                "automatically. Save the draft to compare your input with theirs."
            )
        return JsonResponse(
            {"saved": False, "conflict": conflict, "message": message},
            status=409 if conflict else 400,
        )
    saved_at = timezone.localtime(record.updated_at)
    return JsonResponse(
        {
            "saved": True,
            "revision": record.revision,
            **rows,
            "message": _("Draft saved automatically at %(time)s.") % {"time": f"{saved_at:%H:%M}"},
        }
    )


def refuse_autosave(message: str) -> JsonResponse:
    """An autosave of a record that can no longer be saved as a draft (submitted,
    or its visit cancelled meanwhile)."""
    return JsonResponse({"saved": False, "conflict": True, "message": message}, status=409)


def handle_record_form(
    request: HttpRequest, user: User, visit: Visit, record: VisitRecord | None
) -> HttpResponse:
    if request.method != "POST":
        return _render(request, visit, record, build_forms(visit, record))
    intent = request.POST.get("intent", "save")
    if intent in ADD_ROW:
        data = _with_extra_row(request.POST, ADD_ROW[intent])
        return _render(request, visit, record, build_forms(visit, record, data))
    forms = build_forms(visit, record, request.POST)
    if intent == "autosave":
        return _autosave(forms, visit, user)
    if not forms.is_valid():
        forms.record.add_error(None, _("Please correct the errors below; nothing was saved."))
        return _render(request, visit, record, forms)
    try:
        saved, _rows = _save(forms, visit, user)
    except DomainError as error:
        if not isinstance(error, EditConflict):
            forms.record.add_error(None, error.message)
            return _render(request, visit, record, forms)
        # Keep what the user typed, and take the revision now stored: saving again is
        # then a deliberate choice to replace the other person's version.
        current = VisitRecord.objects.filter(visit=visit).first()
        data = request.POST.copy()
        data["record-revision"] = str(current.revision if current else NO_RECORD_YET)
        forms = build_forms(visit, current, data)
        forms.is_valid()
        forms.record.add_error(
            None,
            error.message
            + " "
            + _("Your input is kept below: check the saved version, then save again."),
        )
        if current is not None:
            stored = differences(forms.record, build_forms(visit, current).record)
            if stored:
                forms.record.add_error(
                    None, _("Saved now: %(values)s.") % {"values": "; ".join(stored)}
                )
        return _render(request, visit, current, forms, status=409)
    if intent != "submit":
        messages.success(request, _("Draft saved."))
        return redirect("visits:record", pk=visit.pk)
    try:
        submit_visit_record(
            record=saved,
            submitted_by=user,
            completed_on=forms.record.cleaned_data.get("completed_on"),
            expected_revision=saved.revision,
        )
    except DomainError as error:
        # The draft itself is saved; only the submission was refused.
        messages.error(
            request, _("Draft saved, but not submitted: %(reason)s") % {"reason": error.message}
        )
        return redirect("visits:record", pk=visit.pk)
    messages.success(request, _("The record is submitted and archived."))
    return redirect("visits:detail", pk=visit.pk)
