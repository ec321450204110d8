"""Migrations: complete, reversible, linted, and safe to run over existing data."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.apps import apps
from django.apps.registry import Apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.graph import MigrationGraph
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.urls import reverse
from django_migration_linter import MigrationLinter

from huifang.actions.models import ActionVerification, ImprovementAction
from huifang.core.models import User
from huifang.projects.models import Project
from huifang.surveys.models import SurveyInvitation, SurveyResponse
from huifang.visits.models import Visit, VisitRecord, VisitStatus

pytestmark = pytest.mark.django_db(transaction=True)

OUR_APPS = [config.label for config in apps.get_app_configs() if config.name.startswith("huifang.")]

# A table's column names and all its rows, read with raw SQL.
Table = tuple[list[str], list[tuple[Any, ...]]]


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _is_initial(graph: MigrationGraph, node: tuple[str, str]) -> bool:
    migration = graph.nodes[node]
    return migration is not None and bool(migration.initial)


def _initial_targets(graph: MigrationGraph) -> list[tuple[str, str]]:
    """For each of our apps with migrations after its initial ones: its last initial
    migration (before it there are no tables to hold data)."""
    targets = []
    for label in OUR_APPS:
        for leaf in graph.leaf_nodes(label):
            own = [node for node in graph.forwards_plan(leaf) if node[0] == label]
            initial = [node for node in own if _is_initial(graph, node)]
            if initial and initial[-1] != leaf:
                targets.append(initial[-1])
    return targets


def test_models_and_migrations_agree() -> None:
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit as exit_:  # makemigrations --check exits 1 on missing migrations
        pytest.fail(f"models changed without a migration:\n{out.getvalue()} ({exit_})")


def test_every_migration_unapplies_to_zero_and_applies_again() -> None:
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([(label, None) for label in executor.loader.migrated_apps])
        executor.loader.build_graph()
        assert executor.loader.applied_migrations == {}
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
        assert [table for table in tables if table.startswith(tuple(OUR_APPS))] == []
    finally:
        _migrate_to_latest()
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


def test_later_migrations_roll_back_and_forward_over_demo_data() -> None:
    """The initial migrations create empty tables; every later migration is unapplied
    and applied again while the demo company is in the database."""
    call_command("demo", verbosity=0)
    counts = (User.objects.count(), Project.objects.count(), Visit.objects.count())
    executor = MigrationExecutor(connection)
    targets = _initial_targets(executor.loader.graph)
    assert targets, "no app has a migration after its initial one"
    try:
        executor.migrate(targets)
    finally:
        _migrate_to_latest()
    assert (User.objects.count(), Project.objects.count(), Visit.objects.count()) == counts


# --- Upgrading an installation of the first release -------------------------------------

# Tables that `migrate` adds rows to: content types and permissions of the later models.
GROWN_BY_MIGRATE = {"django_content_type", "auth_permission"}


def _read_tables() -> dict[str, Table]:
    """Every row of every table but the migration journal, read with raw SQL."""
    quote = connection.ops.quote_name
    tables: dict[str, Table] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table == "django_migrations":
                continue
            description = connection.introspection.get_table_description(cursor, table)
            columns = [column.name for column in description]
            cursor.execute(f"SELECT {', '.join(map(quote, columns))} FROM {quote(table)}")  # noqa: S608
            tables[table] = (columns, sorted(cursor.fetchall(), key=repr))
    return tables


def _project(table: Table, columns: list[str]) -> list[tuple[Any, ...]]:
    """The table's rows reduced to the given columns, in a stable order."""
    index = [table[0].index(column) for column in columns]
    return sorted((tuple(row[i] for i in index) for row in table[1]), key=repr)


def _db_tables(registry: Apps) -> set[str]:
    return {
        model._meta.db_table
        for model in registry.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def _rows_for_the_initial_schema(
    built: dict[str, Table], initial_tables: set[str], initial_models: set[tuple[str, str]]
) -> dict[str, Table]:
    """The built rows a database at the initial migrations can hold: the tables and
    columns it has, without the content types of models that came with later migrations
    (the first release never created them) and the rows that refer to those."""
    rows: dict[str, Table] = {}
    relations: dict[str, dict[str, tuple[str, str]]] = {}
    with connection.cursor() as cursor:
        for table in initial_tables:
            description = connection.introspection.get_table_description(cursor, table)
            columns = [column.name for column in description]
            missing = set(columns) - set(built[table][0])
            assert not missing, f"{table}: later migrations dropped {missing}; supply their values"
            rows[table] = (columns, _project(built[table], columns))
            relations[table] = connection.introspection.get_relations(cursor, table)
    columns, content_types = rows["django_content_type"]
    app_label, model = columns.index("app_label"), columns.index("model")
    removed: dict[str, list[tuple[Any, ...]]] = {table: [] for table in rows}
    removed["django_content_type"] = [
        row for row in content_types if (row[app_label], row[model]) not in initial_models
    ]
    changed = True
    while changed:
        changed = False
        for table, (columns, values) in rows.items():
            gone = {
                columns.index(column): {
                    row[rows[target][0].index(target_column)] for row in removed[target]
                }
                for column, (target_column, target) in relations[table].items()
            }
            orphans = [
                row
                for row in values
                if row not in removed[table]
                and any(row[i] is not None and row[i] in keys for i, keys in gone.items())
            ]
            if orphans:
                removed[table] += orphans
                changed = True
    return {
        table: (columns, [row for row in values if row not in removed[table]])
        for table, (columns, values) in rows.items()
    }


def _insert(rows: dict[str, Table]) -> None:
    """Insert the rows in one transaction (foreign keys are checked at commit) through
    the database driver's own cursor: the first release's code wrote them, so none of
    today's connection hooks may run. PostgreSQL's id sequences then continue after the
    inserted ids, as they would after the rows had been created one by one."""
    quote = connection.ops.quote_name
    placeholder = "?" if connection.vendor == "sqlite" else "%s"
    with transaction.atomic():
        connection.ensure_connection()
        driver_cursor = connection.connection.cursor()
        for table, (columns, values) in rows.items():
            if values:
                driver_cursor.executemany(
                    f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
                    f"VALUES ({', '.join([placeholder] * len(columns))})",
                    values,
                )
        driver_cursor.close()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in rows:
                    for sequence in connection.introspection.get_sequences(cursor, table):
                        cursor.execute(
                            f"SELECT setval(%s, MAX({quote(sequence['column'])})) "  # noqa: S608
                            f"FROM {quote(table)}",
                            [sequence["name"]],
                        )


def _sample() -> dict[str, list[tuple[Any, ...]]]:
    """What people see of the demo company, read through today's models."""
    return {
        "users": list(
            User.objects.order_by("username").values_list(
                "username", "role", "display_name", "email", "language", "is_active", "password"
            )
        ),
        "projects": list(
            Project.objects.order_by("code").values_list(
                "code",
                "name",
                "customer__name",
                "manager__username",
                "status",
                "cadence",
                "planned_start",
                "planned_end",
                "actual_end",
                "policy__name",
                "created_at",
            )
        ),
        "visits": list(
            Visit.objects.order_by("pk").values_list(
                "project__code",
                "phase",
                "sequence",
                "is_adhoc",
                "window_start",
                "due_date",
                "status",
                "owner__username",
                "scheduled_at",
                "completed_on",
                "policy_version__number",
            )
        ),
        "records": list(
            VisitRecord.objects.order_by("pk").values_list(
                "visit_id",
                "status",
                "percent_complete",
                "planned_percent",
                "variance_days",
                "checklist",
                "summary",
                "recorded_by__username",
                "submitted_at",
                "revision",
            )
        ),
        "actions": list(
            ImprovementAction.objects.order_by("pk").values_list(
                "project__code",
                "origin",
                "description",
                "owner__username",
                "due_date",
                "status",
                "done_on",
                "closed_on",
                "revision",
            )
        ),
        "verifications": list(
            ActionVerification.objects.order_by("pk").values_list(
                "action_id", "record_id", "result", "new_due_date", "verified_on"
            )
        ),
        "invitations": list(
            SurveyInvitation.objects.order_by("pk").values_list(
                "project__code",
                "contact__name",
                "language",
                "sent_at",
                "expires_at",
                "responded_at",
            )
        ),
        "responses": list(
            SurveyResponse.objects.order_by("pk").values_list(
                "invitation_id", "answers", "language", "submitted_at"
            )
        ),
    }


def test_demo_company_at_the_initial_migrations_upgrades_to_the_latest() -> None:
    """An installation of the first release holding the demo company is upgraded by
    `migrate`: every row it had is still there, reads back through today's models, and
    the pages work on it. The demo is built with today's code, read out with raw SQL,
    and written into a database at the initial migrations (only the tables and columns
    that existed then), which `migrate` then takes through every later migration."""
    call_command("demo", verbosity=0)
    sample = _sample()
    assert all(sample.values()), {name: len(rows) for name, rows in sample.items()}
    built = _read_tables()
    executor = MigrationExecutor(connection)
    try:
        call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
        executor.migrate(_initial_targets(executor.loader.graph))
        loader = MigrationLoader(connection)
        applied = [node for node in loader.applied_migrations if node in loader.graph.nodes]
        assert sorted(node for node in applied if node[0] in OUR_APPS) == sorted(
            node
            for node in loader.graph.nodes
            if node[0] in OUR_APPS and _is_initial(loader.graph, node)
        )
        initial_state = loader.project_state(applied)
        with connection.cursor() as cursor:
            initial_tables = set(connection.introspection.table_names(cursor))
        initial_tables.discard("django_migrations")
        # The database has the first release's tables and nothing later.
        assert initial_tables == _db_tables(initial_state.apps)
        later = set(built) - initial_tables
        assert {"visits_attachment", "projects_historicalproject"} <= later
        assert initial_tables < set(built)

        rows = _rows_for_the_initial_schema(built, initial_tables, set(initial_state.models))
        _insert(rows)
        counts = {table: len(values) for table, (_, values) in rows.items()}
        first_release = _read_tables()
        assert {table: len(values) for table, (_, values) in first_release.items()} == counts
        assert counts["projects_project"] == 15

        call_command("migrate", interactive=False, verbosity=0)
    finally:
        _migrate_to_latest()

    upgraded = _read_tables()
    assert {table: len(upgraded[table][1]) for table in rows if table not in GROWN_BY_MIGRATE} == {
        table: count for table, count in counts.items() if table not in GROWN_BY_MIGRATE
    }
    # Every value the first release had is still there as it was. (A later migration
    # that converts data on purpose must say here what it changes.)
    for table, (columns, values) in rows.items():
        after = _project(upgraded[table], columns)
        if table in GROWN_BY_MIGRATE:
            assert [row for row in values if row not in after] == [], table
        else:
            assert after == values, table
    assert _project(upgraded["django_content_type"], ["app_label", "model"]) == _project(
        built["django_content_type"], ["app_label", "model"]
    )
    assert later <= set(upgraded)
    assert _sample() == sample
    for model in apps.get_models():
        list(model._default_manager.all())

    client = Client()
    response = client.post(
        "/login/", {"username": "pm1", "password": settings.HUIFANG_DEMO_PASSWORD}
    )
    assert (response.status_code, response["Location"]) == (302, "/")
    project = Project.objects.get(code="HDJM-MES")
    visit = project.visits.filter(status=VisitStatus.DONE, record__isnull=False).first()
    assert visit is not None
    pages = [
        "/",
        reverse("projects:list"),
        reverse("projects:detail", args=[project.pk]),
        reverse("visits:list"),
        reverse("visits:detail", args=[visit.pk]),
        reverse("actions:list"),
        reverse("insights:dashboard"),
    ]
    responses = {page: client.get(page) for page in pages}
    assert {page: r.status_code for page, r in responses.items()} == dict.fromkeys(pages, 200)
    assert project.code in responses[reverse("projects:list")].content.decode()
    assert project.name in responses[reverse("projects:detail", args=[project.pk])].content.decode()


def test_migrations_pass_the_migration_linter(capsys: pytest.CaptureFixture[str]) -> None:
    """django-migration-linter on our apps. Initial migrations are skipped: they create
    new tables, so their NOT NULL columns cannot break running code or existing rows."""
    linter = MigrationLinter(
        no_cache=True,
        include_apps=OUR_APPS,
        ignore_initial_migrations=True,
    )
    linter.lint_all_migrations()
    report = capsys.readouterr().out
    assert linter.nb_erroneous == 0, report
