"""The record form of a visit as posted: whose browser, which page, and the form's
data (empty rows, or filled in with a problem, feedback and an action), for the record
form's tests (tests/visits/test_record_*.py)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from huifang.core.models import User
from huifang.projects.models import Project
from huifang.visits.models import Visit


def client_for(user: User, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def kickoff_of(project: Project) -> Visit:
    return project.visits.get(phase="kickoff", sequence=1)


def record_url(visit: Visit) -> str:
    return reverse("visits:record", args=[visit.pk])


def record_data(
    revision: Any = "0", problems: Any = 1, actions: Any = 1, **changes: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "intent": "save",
        "record-revision": revision,
        "record-work_completed": "Requirements signed off",
        "record-work_outstanding": "Data migration",
        "record-schedule_status": "on_track",
        "record-percent_complete": "10",
        "record-summary": "Good start",
        "record-check_goals_confirmed": "on",
        "record-completed_on": "",
        "problems-TOTAL_FORMS": str(problems),
        "problems-INITIAL_FORMS": "0",
        "problems-MIN_NUM_FORMS": "0",
        "problems-MAX_NUM_FORMS": "1000",
        "actions-TOTAL_FORMS": str(actions),
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "1000",
        "feedback-overall_satisfaction": "",
        "feedback-quality_satisfaction": "",
        "feedback-schedule_satisfaction": "",
        "feedback-communication_satisfaction": "",
        "feedback-service_satisfaction": "",
        "feedback-likelihood_to_recommend": "",
        "feedback-evaluation": "",
        "feedback-suggestions": "",
        "feedback-requirement_changes": "",
        "feedback-respondent": "",
    }
    for index in range(problems):
        data.update(
            {
                f"problems-{index}-category": "",
                f"problems-{index}-severity": "medium",
                f"problems-{index}-raised_by": "customer",
                f"problems-{index}-description": "",
            }
        )
    for index in range(actions):
        data.update(
            {
                f"actions-{index}-id": "",
                f"actions-{index}-description": "",
                f"actions-{index}-owner": "",
                f"actions-{index}-due_date": "",
            }
        )
    data.update(changes)
    return data


def full_record_data(colleague: User, **changes: Any) -> dict:
    return record_data(
        **{
            "problems-0-category": "schedule",
            "problems-0-severity": "high",
            "problems-0-description": "Late test data",
            "feedback-overall_satisfaction": "4",
            "feedback-quality_satisfaction": "5",
            "feedback-likelihood_to_recommend": "9",
            "feedback-requirement_changes": "Add a mobile report",
            "actions-0-description": "Agree a test data plan",
            "actions-0-owner": str(colleague.pk),
            "actions-0-due_date": "2026-05-15",
            **changes,
        }
    )
