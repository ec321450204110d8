"""``huifang bench seed --scale small|enterprise [--reset]``: benchmark data in bulk.

The load benchmark itself is ``bench/run.py`` (``make bench``); this command only
builds the data it measures. See :mod:`huifang.demo.bench_seed` for why it bypasses
the services."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huifang.core import dataversion
from huifang.demo.bench_seed import (
    SCALES,
    bench_data_exists,
    reset_bench_data,
    seed_bench_data,
)
from huifang.demo.builder import has_domain_data


class Command(BaseCommand):
    help = "Benchmark tools: `bench seed --scale small|enterprise [--reset]` builds bulk data."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        seed = actions.add_parser("seed", help="Fill an empty database with benchmark data.")
        seed.add_argument("--scale", choices=sorted(SCALES), default="small")
        seed.add_argument(
            "--reset",
            action="store_true",
            help="Empty every Huifang table (all data, not only bench data) first.",
        )

    def handle(self, *args: Any, action: str, scale: str, reset: bool, **options: Any) -> None:
        if reset:
            reset_bench_data()
        elif bench_data_exists() or has_domain_data():
            # Never mix bulk benchmark rows into a real company's data.
            raise CommandError(
                "The database already holds data; use a dedicated database, or --reset "
                "to delete all of it first."
            )
        with dataversion.batched():
            summary = seed_bench_data(scale)
        counts = ", ".join(f"{count} {name}" for name, count in summary.counts.items())
        self.stdout.write(f"Bench data ({scale}) built in {summary.seconds:.1f}s: {counts}.")
