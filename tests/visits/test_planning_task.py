from __future__ import annotations

from huifang.celery import app
from huifang.projects.models import Project
from huifang.visits.models import Visit, VisitStatus
from huifang.visits.tasks import plan_all_projects_task


def test_nightly_plan_task_restores_a_missing_planned_visit(project: Project) -> None:
    planned = Visit.objects.filter(project=project, status=VisitStatus.PLANNED)
    expected = sorted(planned.values_list("phase", "sequence", "due_date"))
    last = planned.order_by("due_date").last()
    assert last is not None
    last.delete()
    plan_all_projects_task()
    assert sorted(planned.values_list("phase", "sequence", "due_date")) == expected


def test_beat_runs_the_nightly_plan_before_the_sweep() -> None:
    app.finalize()
    schedule = app.conf.beat_schedule
    plan_hour = next(iter(schedule["plan-all-projects"]["schedule"].hour))
    sweep_hour = next(iter(schedule["notify-sweep"]["schedule"].hour))
    assert (plan_hour + 1) % 24 == sweep_hour
