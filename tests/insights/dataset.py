"""A small hand-built dataset whose figures are worked out by hand in the tests.

Period: April 2026; today: 2026-05-10. See test_metrics.py for the expected values."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from huifang.actions.models import ActionVerification, ImprovementAction
from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.projects.models import Membership, Project
from huifang.surveys.models import Questionnaire, SurveyInvitation
from huifang.visits.models import Feedback, Problem, Visit, VisitRecord
from tests.factories import ContactFactory, CustomerFactory

D = datetime.date
APRIL = (D(2026, 4, 1), D(2026, 4, 30))
TODAY = D(2026, 5, 10)


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@dataclass
class Data:
    a: Project
    b: Project
    e: Project
    visits: dict[str, Visit]
    records: dict[str, VisitRecord]
    actions: dict[str, ImprovementAction]


def _project(code: str, manager: User, policy: Policy, **fields: Any) -> Project:
    fields.setdefault("status", "active")
    return Project.objects.create(
        code=code,
        name=code,
        customer=CustomerFactory.create(),
        manager=manager,
        policy=policy,
        **fields,
    )


def _visit(
    project: Project,
    due: datetime.date,
    status: str,
    done: datetime.date | None = None,
    phase: str = "ongoing",
    owner: User | None = None,
) -> Visit:
    return Visit.objects.create(
        project=project,
        phase=phase,
        is_adhoc=True,
        window_start=due - datetime.timedelta(7),
        due_date=due,
        status=status,
        completed_on=done,
        owner=owner or project.manager,
    )


def _record(visit: Visit, by: User, work: str = "", submitted: bool = True) -> VisitRecord:
    return VisitRecord.objects.create(
        visit=visit,
        work_completed=work,
        recorded_by=by,
        status="submitted" if submitted else "draft",
        submitted_at=at(visit.completed_on or TODAY) if submitted else None,
    )


def _action(
    project: Project,
    created: datetime.date,
    due: datetime.date,
    status: str = "open",
    record: VisitRecord | None = None,
    done_on: datetime.date | None = None,
    closed_on: datetime.date | None = None,
) -> ImprovementAction:
    action = ImprovementAction.objects.create(
        project=project,
        description="x",
        owner=project.manager,
        created_by=project.manager,
        due_date=due,
        status=status,
        record=record,
        done_on=done_on,
        closed_on=closed_on,
    )
    ImprovementAction.objects.filter(pk=action.pk).update(created_at=at(created))
    return action


def _verify(action: ImprovementAction, record: VisitRecord, result: str, on: datetime.date) -> None:
    ActionVerification.objects.create(
        action=action,
        record=record,
        result=result,
        verified_by=record.recorded_by,
        verified_on=on,
        new_due_date=D(2026, 6, 1) if result == "not_effective" else None,
    )


def build(*, policy: Policy, owner: User, colleague: User, other_pm: User) -> Data:
    a = _project(
        "A",
        owner,
        policy,
        department="Ops",
        planned_start=D(2026, 1, 1),
        planned_end=D(2026, 12, 31),
    )
    Membership.objects.create(project=a, user=colleague)
    b = _project("B", other_pm, policy, department="Sales", planned_start=D(2026, 4, 15))
    _project(
        "C",
        owner,
        policy,
        status="completed",
        planned_start=D(2026, 1, 1),
        actual_start=D(2026, 1, 1),
        actual_end=D(2026, 3, 31),
    )
    _project("D", owner, policy, status="planned", planned_start=D(2026, 4, 1))
    e = _project(
        "E", owner, policy, department="Ops", planned_start=D(2026, 2, 1), planned_end=D(2026, 4, 1)
    )
    v = {
        "v1": _visit(a, D(2026, 4, 1), "done", D(2026, 4, 1), phase="kickoff"),
        "v2": _visit(a, D(2026, 4, 30), "done", D(2026, 5, 2)),
        "v3": _visit(a, D(2026, 4, 15), "missed"),
        "v4": _visit(a, D(2026, 4, 20), "cancelled"),
        "v5": _visit(a, D(2026, 3, 31), "done", D(2026, 4, 3)),
        "v6": _visit(a, D(2026, 5, 1), "planned"),
        "v7": _visit(b, D(2026, 4, 20), "planned"),
        "v8": _visit(b, D(2026, 4, 25), "done", D(2026, 4, 24)),
    }
    r = {
        "r1": _record(v["v1"], owner, "kickoff held"),
        "r2": _record(v["v2"], owner, "phase 1 delivered"),
        "r5": _record(v["v5"], owner, "done"),
        "r6": _record(v["v6"], owner, "draft", submitted=False),
        "r8": _record(v["v8"], other_pm, ""),
    }
    Problem.objects.create(
        project=a, record=r["r1"], category="quality", severity="high", description="p1"
    )
    Problem.objects.create(
        project=b,
        record=r["r8"],
        category="schedule",
        severity="low",
        description="p2",
        status="resolved",
    )

    Problem.objects.update(created_at=at(D(2026, 4, 10)))

    def feedback(
        project: Project,
        day: datetime.date,
        overall: int | None,
        ltr: int | None,
        record: VisitRecord | None = None,
    ) -> None:
        Feedback.objects.create(
            project=project,
            record=record,
            visit=record.visit if record else None,
            received_on=day,
            overall_satisfaction=overall,
            likelihood_to_recommend=ltr,
            evaluation=f"eval {day}",
            suggestions="more",
        )

    feedback(a, D(2026, 4, 1), 5, 10, r["r1"])
    feedback(a, D(2026, 4, 30), 4, 9, r["r2"])
    feedback(a, D(2026, 4, 10), 2, 3)
    feedback(a, D(2026, 5, 1), 1, 0)
    feedback(b, D(2026, 4, 12), 3, None)

    acts = {
        "a1": _action(
            a,
            D(2026, 4, 5),
            D(2026, 4, 15),
            "verified_effective",
            r["r1"],
            D(2026, 4, 10),
            D(2026, 4, 20),
        ),
        "a2": _action(
            a,
            D(2026, 3, 20),
            D(2026, 3, 30),
            "verified_effective",
            None,
            D(2026, 3, 25),
            D(2026, 4, 2),
        ),
        "a3": _action(a, D(2026, 4, 30), D(2026, 4, 28)),
        "a4": _action(b, D(2026, 5, 1), D(2026, 4, 29)),
        "a5": _action(a, D(2026, 4, 10), D(2026, 5, 20), "done", None, D(2026, 4, 12)),
    }
    _verify(acts["a2"], r["r1"], "effective", D(2026, 4, 2))
    _verify(acts["a1"], r["r8"], "effective", D(2026, 4, 20))
    _verify(acts["a5"], r["r5"], "not_effective", D(2026, 4, 3))
    _verify(acts["a3"], r["r6"], "effective", D(2026, 4, 25))
    _verify(acts["a4"], r["r8"], "not_yet", D(2026, 4, 25))

    questionnaire = Questionnaire.objects.create(number=1, title_zh="问卷", title_en="Survey")
    for visit, sent, answered in (
        (v["v1"], D(2026, 4, 2), True),
        (v["v2"], D(2026, 4, 30), False),
        (v["v8"], D(2026, 4, 25), True),
        (v["v5"], D(2026, 3, 31), True),
    ):
        SurveyInvitation.objects.create(
            project=visit.project,
            visit=visit,
            contact=ContactFactory.create(customer=visit.project.customer),
            questionnaire=questionnaire,
            sent_at=at(sent),
            expires_at=at(D(2026, 6, 1)),
            responded_at=at(sent) if answered else None,
        )
    return Data(a=a, b=b, e=e, visits=v, records=r, actions=acts)
