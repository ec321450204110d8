"""Month versions: a committed write moves the months its rows' figures fall in (and
every month when it names none), and figures cached month by month are always the
figures computed afresh, whatever was written where."""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from huifang.actions.models import ActionVerification, ImprovementAction
from huifang.core import monthversions
from huifang.core.monthversions import ANY, month_key, pieces
from huifang.customers.models import Customer
from huifang.insights import metrics
from huifang.insights.metrics import summary
from huifang.insights.queries import dashboard
from huifang.projects.models import Membership, Project
from huifang.surveys.models import SurveyInvitation, SurveyLink
from huifang.visits.models import Feedback, Problem, Visit, VisitRecord
from tests.insights.dataset import TODAY, D, Data, at, build

pytestmark = pytest.mark.django_db(transaction=True)


def months_moved(write: Callable[[], Any]) -> set[str]:
    """The months (and ANY) whose version a committed ``write`` moved."""
    everything = [month_key(D(year, month, 1)) for year in (2025, 2026) for month in range(1, 13)]
    before = monthversions.versions(everything)
    write()
    after = monthversions.versions(everything)
    return {month for month in after if after[month] != before[month]}


@pytest.fixture
def data(policy, owner, colleague, outsider_pm) -> Data:
    return build(policy=policy, owner=owner, colleague=colleague, other_pm=outsider_pm)


# --- Which months a write moves ---------------------------------------------------------


def test_a_visit_moves_the_months_of_its_due_and_completion_dates(data) -> None:
    v3 = data.visits["v3"]  # due 2026-04-15, missed
    assert months_moved(
        lambda: Visit.objects.filter(pk=v3.pk).update(status="done", completed_on=D(2026, 5, 2))
    ) == {"2026-04", "2026-05"}
    # Moved to another month: both the month it leaves and the one it enters.
    assert months_moved(
        lambda: Visit.objects.filter(pk=v3.pk).update(
            due_date=D(2026, 3, 1), window_start=D(2026, 3, 1)
        )
    ) == {
        "2026-03",
        "2026-04",
        "2026-05",
    }


def test_changing_a_visits_phase_or_project_moves_every_month(data) -> None:
    v3 = data.visits["v3"]
    assert ANY in months_moved(lambda: Visit.objects.filter(pk=v3.pk).update(phase="closing"))
    assert ANY in months_moved(lambda: Visit.objects.filter(pk=v3.pk).update(project=data.b))
    # A change to a date alone does not.
    assert ANY not in months_moved(
        lambda: Visit.objects.filter(pk=v3.pk).update(due_date=D(2026, 4, 16))
    )


def test_a_save_with_its_history_moves_no_other_month(data) -> None:
    """``save()`` also writes the visit's history row: not a figure of any month."""
    v3 = data.visits["v3"]
    v3.cancel_reason = "Customer away"
    assert months_moved(v3.save) == {"2026-04"}


def test_a_survey_link_moves_no_month(data) -> None:
    """Submitting a record sends a survey: its link is no month's figure."""
    invitation = SurveyInvitation.objects.first()
    assert invitation is not None
    assert (
        months_moved(lambda: SurveyLink.objects.create(invitation=invitation, token_hash="0" * 64))
        == set()
    )


def test_the_tables_said_to_hold_no_month_figures_exist() -> None:
    """A rename must not quietly move every month again on each write."""
    tables = set(connection.introspection.table_names())
    for table in monthversions._NO_MONTH_FIGURES:
        assert table in tables, table


def test_a_records_status_moves_its_visits_month_and_its_verifications(data) -> None:
    r1 = data.records["r1"]  # visit v1 due 2026-04-01
    ActionVerification.objects.filter(record=r1).update(verified_on=D(2026, 6, 3))
    assert months_moved(lambda: VisitRecord.objects.filter(pk=r1.pk).update(status="draft")) == {
        "2026-04",
        "2026-06",
    }


def test_rows_of_a_record_move_its_visits_due_month(data) -> None:
    problem = Problem.objects.filter(record=data.records["r1"]).get()  # v1 due 2026-04-01
    Problem.objects.filter(pk=problem.pk).update(created_at=at(D(2026, 6, 15)))
    assert months_moved(lambda: Problem.objects.filter(pk=problem.pk).update(severity="low")) == {
        "2026-04",  # its record's completeness
        "2026-06",  # the problems found in June
    }
    feedback = Feedback.objects.filter(record=data.records["r2"]).get()  # v2 due 2026-04-30
    Feedback.objects.filter(pk=feedback.pk).update(received_on=D(2026, 5, 3))
    assert months_moved(lambda: Feedback.objects.filter(pk=feedback.pk).delete()) == {
        "2026-04",
        "2026-05",
    }


def test_an_action_moves_its_created_closed_and_due_months(data) -> None:
    a3 = ImprovementAction.objects.get(pk=data.actions["a3"].pk)
    moved = months_moved(
        lambda: ImprovementAction.objects.filter(pk=a3.pk).update(
            status="verified_effective", done_on=D(2026, 6, 20), closed_on=D(2026, 7, 1)
        )
    )
    assert {"2026-07", month_key(a3.due_date)} <= moved
    assert month_key(timezone.localdate(a3.created_at)) in moved
    assert ANY not in moved


def test_an_invitation_moves_the_month_it_was_sent_in(data) -> None:
    invitation = SurveyInvitation.objects.exclude(sent_at=None).first()
    assert invitation is not None
    moved = months_moved(
        lambda: SurveyInvitation.objects.filter(pk=invitation.pk).update(
            responded_at=timezone.now()
        )
    )
    assert month_key(timezone.localdate(invitation.sent_at)) in moved
    assert ANY not in moved


def test_tables_without_months_move_every_month(data) -> None:
    assert months_moved(
        lambda: Customer.objects.filter(pk=data.a.customer_id).update(name="Renamed")
    ) == {ANY}
    assert months_moved(lambda: Project.objects.filter(pk=data.a.pk).update(department="X")) == {
        ANY
    }


def test_a_rolled_back_write_moves_no_month(data) -> None:
    def write_then_fail() -> None:
        with transaction.atomic():
            Visit.objects.filter(pk=data.visits["v3"].pk).update(
                due_date=D(2025, 1, 1), window_start=D(2025, 1, 1)
            )
            raise RuntimeError

    def attempt() -> None:
        with pytest.raises(RuntimeError):
            write_then_fail()

    assert months_moved(attempt) == set()


def test_every_watched_table_has_its_triggers() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgrelid::regclass::text, count(*) FROM pg_trigger "
                "WHERE tgname LIKE 'huifang_months_%' GROUP BY 1"
            )
        else:
            cursor.execute(
                "SELECT tbl_name, count(*) FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'huifang_months_%' GROUP BY 1"
            )
        found = dict(cursor.fetchall())
    assert found == dict.fromkeys(monthversions.WATCHED_TABLES, 3)
    monthversions.install_triggers()  # again, as every migrate does: still three each
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'huifang_months_%'"
            if connection.vendor == "postgresql"
            else "SELECT count(*) FROM sqlite_master WHERE name LIKE 'huifang_months_%'"
        )
        assert cursor.fetchone() == (3 * len(monthversions.WATCHED_TABLES),)


def test_the_month_figures_read_only_tables_whose_writes_move_their_months(
    data, quality, owner
) -> None:
    """A table whose writes move no month (history, notifications, survey links) must
    never be read by a month's figures, or they would stay cached after it changes."""
    with CaptureQueriesContext(connection) as queries:
        for user in (quality, owner):
            scope = metrics.Scope(user=user, phase="kickoff", department="Ops")
            metrics.month_counts(scope, pieces(D(2026, 3, 15), D(2026, 5, 10)), TODAY)
            metrics.active_projects(scope, D(2026, 3, 15), D(2026, 5, 10)).count()
    tables = {
        name
        for query in queries.captured_queries
        for name in re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', query["sql"])
    }
    assert tables
    for table in tables:
        assert table in monthversions.WATCHED_TABLES or monthversions.moves_every_month(table), (
            table
        )


# --- Cached month by month = computed afresh --------------------------------------------


PERIODS = ((D(2026, 4, 1), D(2026, 4, 30)), (D(2026, 1, 15), D(2026, 6, 30)))
FILTERS: tuple[dict[str, Any], ...] = ({}, {"department": "Ops"}, {"phase": "kickoff"})


def _figures(users: list[Any]) -> list[Any]:
    shown = []
    for user in users:
        for date_from, date_to in PERIODS:
            for filters in FILTERS:
                shown.append(
                    summary(user=user, date_from=date_from, date_to=date_to, today=TODAY, **filters)
                )
            shown.append(dashboard(user=user, date_from=date_from, date_to=date_to, today=TODAY))
    return shown


def _feedback_received_in_march() -> None:
    first = Feedback.objects.filter(received_on__month=4).order_by("pk").first()
    assert first is not None
    Feedback.objects.filter(pk=first.pk).update(received_on=D(2026, 3, 20))


def _writes(data: Data, colleague: Any) -> list[tuple[str, Callable[[], Any]]]:
    v = data.visits
    return [
        (
            "a visit done",
            lambda: Visit.objects.filter(pk=v["v7"].pk).update(
                status="done", completed_on=D(2026, 4, 28)
            ),
        ),
        (
            "a visit moved to March",
            lambda: Visit.objects.filter(pk=v["v3"].pk).update(
                due_date=D(2026, 3, 15), window_start=D(2026, 3, 1)
            ),
        ),
        ("feedback received a month earlier", _feedback_received_in_march),
        (
            "an action verified effective",
            lambda: ImprovementAction.objects.filter(pk=data.actions["a3"].pk).update(
                status="verified_effective", done_on=D(2026, 4, 20), closed_on=D(2026, 4, 25)
            ),
        ),
        (
            "a verdict dated in June",
            lambda: ActionVerification.objects.filter(record=data.records["r1"]).update(
                verified_on=D(2026, 6, 3)
            ),
        ),
        (
            "a record back to draft",
            lambda: VisitRecord.objects.filter(pk=data.records["r1"].pk).update(status="draft"),
        ),
        ("a problem removed", lambda: Problem.objects.order_by("pk")[0].delete()),
        ("a record deleted", lambda: VisitRecord.objects.filter(pk=data.records["r8"].pk).delete()),
        (
            "a verdict changed",
            lambda: ActionVerification.objects.filter(result="effective").update(
                result="not_effective", new_due_date=D(2026, 5, 30)
            ),
        ),
        (
            "an invitation answered",
            lambda: SurveyInvitation.objects.filter(responded_at=None).update(
                responded_at=timezone.now()
            ),
        ),
        (
            "a visit's phase changed",
            lambda: Visit.objects.filter(pk=v["v2"].pk).update(phase="kickoff"),
        ),
        (
            "a project moved department",
            lambda: Project.objects.filter(pk=data.a.pk).update(department="Sales"),
        ),
        ("a member left", lambda: Membership.objects.filter(user=colleague).delete()),
        (
            "a project ended early",
            lambda: Project.objects.filter(pk=data.b.pk).update(actual_end=D(2026, 4, 20)),
        ),
    ]


def test_cached_figures_are_the_fresh_ones_after_every_write(
    data, quality, owner, colleague
) -> None:
    users = [quality, owner, colleague]
    for label, write in [("nothing yet", lambda: None), *_writes(data, colleague)]:
        write()
        cached = _figures(users)
        assert _figures(users) == cached  # read again, from the cache
        with override_settings(HUIFANG_DATAVERSION_CACHE=False):
            assert _figures(users) == cached, label


def test_a_write_in_one_month_leaves_the_other_months_cached(data, quality, monkeypatch) -> None:
    year = (D(2026, 1, 1), D(2026, 12, 31))
    scope = metrics.Scope(user=quality)
    metrics.cached_month_counts(scope, *year, TODAY)
    Visit.objects.filter(pk=data.visits["v7"].pk).update(status="done", completed_on=D(2026, 4, 28))
    computed: list[list[str]] = []
    original = metrics.month_counts

    def counting(scope: Any, missing: list[Any], today: datetime.date) -> Any:
        computed.append([piece.month for piece in missing])
        return original(scope, missing, today)

    monkeypatch.setattr(metrics, "month_counts", counting)
    metrics.cached_month_counts(scope, *year, TODAY)
    assert computed == [["2026-04"]]


# --- Pieces -------------------------------------------------------------------------------


@given(
    st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 1, 1)),
    st.integers(min_value=0, max_value=800),
)
def test_pieces_cut_a_period_at_month_boundaries(start: datetime.date, length: int) -> None:
    end = start + datetime.timedelta(days=length)
    cut = pieces(start, end)
    assert cut[0].start == start
    assert cut[-1].end == end
    for piece, following in itertools.pairwise(cut):
        assert following.start == piece.end + datetime.timedelta(days=1)
        assert following.start.day == 1
    for piece in cut:
        assert piece.start <= piece.end
        assert (piece.start.year, piece.start.month) == (piece.end.year, piece.end.month)
        assert piece.month == month_key(piece.start)
    assert len({piece.month for piece in cut}) == len(cut)
