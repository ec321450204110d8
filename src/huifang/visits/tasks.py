"""Thin tasks over the planning service."""

from __future__ import annotations

from celery import shared_task

from huifang.visits.planning import plan_all_projects


@shared_task(acks_late=True, reject_on_worker_lost=True)
def plan_all_projects_task() -> dict[str, int]:
    """The nightly re-plan: rolling horizons move on, revisions that take effect today
    apply, and the sweep that follows sees today's plan."""
    return plan_all_projects()
