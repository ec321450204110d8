"""Migrations: complete, reversible, linted, and safe to run over existing data."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_migration_linter import MigrationLinter

from huifang.core.models import User
from huifang.projects.models import Project
from huifang.visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)

OUR_APPS = [config.label for config in apps.get_app_configs() if config.name.startswith("huifang.")]


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


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
    graph = executor.loader.graph
    # For each of our apps with migrations after its initial ones: back to the last
    # initial migration (before it there are no tables to hold data).
    targets = []
    for label in OUR_APPS:
        for leaf in graph.leaf_nodes(label):
            own = [node for node in graph.forwards_plan(leaf) if node[0] == label]
            initial = [node for node in own if executor.loader.graph.nodes[node].initial]
            if initial and initial[-1] != leaf:
                targets.append(initial[-1])
    assert targets, "no app has a migration after its initial one"
    try:
        executor.migrate(targets)
    finally:
        _migrate_to_latest()
    assert (User.objects.count(), Project.objects.count(), Visit.objects.count()) == counts


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
