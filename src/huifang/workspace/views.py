"""The home page ("my work"): what the signed-in person has to do next, gathered from
the visits and actions areas."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from huifang.actions.queries import home_actions
from huifang.core import dataversion
from huifang.core.access import is_read_only, signed_in_user
from huifang.core.listing import first_rows
from huifang.core.models import Role, User
from huifang.visits.queries import (
    HOME_LIST_LIMIT,
    home_visits,
    recent_records,
    visits_to_book,
)

# Quality managers and executives answer for the follow-up work as a whole: they land
# on the management home, which links back here (``?mine=1``) for their own visits.
LAND_ON_MANAGEMENT_HOME = (Role.QUALITY, Role.EXECUTIVE)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """My work: visits due and overdue, visits to schedule, my actions, actions
    awaiting verification and recent records, each a click from where it is handled.
    A fixed number of queries, however many projects the user has; the page people
    come back to most, so its rows are kept until the data changes (any committed
    write moves the data version) or the day does."""
    user = signed_in_user(request)
    if user.role in LAND_ON_MANAGEMENT_HOME and "mine" not in request.GET:
        return redirect("insights:management")
    today = timezone.localdate()
    # Cacheable: this user's rows of the day, worded when rendered.
    rows = dataversion.cached(
        "home", (user.pk, today.isoformat()), lambda: my_work(user=user, today=today)
    )
    # The phone cards' button records a visit, unless the user may change nothing.
    context = {**rows, "read_only": is_read_only(user)}
    return render(request, "workspace/home.html", context)


def my_work(*, user: User, today: datetime.date) -> dict[str, Any]:
    """The rows of the home page."""
    to_schedule, to_schedule_total = first_rows(
        visits_to_book(user=user, today=today), HOME_LIST_LIMIT
    )
    return {
        **home_visits(user=user, today=today),
        **home_actions(user=user, today=today),
        "to_schedule": to_schedule,
        "to_schedule_total": to_schedule_total,
        "recent_records": recent_records(user=user),
    }
