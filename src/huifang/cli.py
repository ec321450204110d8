"""The ``huifang`` command.

``huifang serve`` runs the app under gunicorn (never Django's development server) and,
with no broker configured, the periodic jobs in a background process; ``huifang
worker`` and ``huifang beat`` run Celery (with ``HUIFANG_REDIS_URL``); every other
sub-command is a Django management command (``huifang demo``,
``huifang plan``, ``huifang migrate``, ...), so there is one entry point for
operators and for the Makefile.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


def _serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="huifang serve", description="Serve Huifang.")
    parser.add_argument("--bind", default=os.environ.get("HUIFANG_BIND", "127.0.0.1:8000"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("HUIFANG_WORKERS", 2)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("HUIFANG_THREADS", 4)))
    args = parser.parse_args(argv)

    from gunicorn.app.base import BaseApplication  # only `serve` needs gunicorn

    multiprocess_dir = _prepare_metrics_dir(args.workers)

    from huifang.notify.periodic import start_periodic_process  # after the settings env
    from huifang.wsgi import application  # sets Django up: after the metrics dir

    class _App(BaseApplication):
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": args.bind,
                "workers": args.workers,
                "threads": args.threads,
                "accesslog": "-",
                "timeout": 60,
            }
            if multiprocess_dir:
                options["child_exit"] = _worker_exited
            if os.environ.get("HUIFANG_LOG_FORMAT", "").strip().lower() == "json":
                options["logconfig_dict"] = _json_gunicorn_logs()
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    # Started once, by the master: one loop however many workers serve.
    start_periodic_process()
    _App().run()


def _prepare_metrics_dir(workers: int) -> str:
    """Prometheus counts per process; with several gunicorn workers each one writes its
    request metrics to files in ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` adds them
    up, whichever worker answers. Set it (or let ``/metrics`` being on with more than
    one worker set it to ``$HUIFANG_DATA_DIR/prometheus``); it is emptied here, before
    any worker starts, so the counts of an earlier run are not added in. Returns the
    directory, or "" when each worker would count alone."""
    from django.conf import settings  # reads the settings env; imports no app

    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    metrics_on = bool(settings.HUIFANG_METRICS_TOKEN or settings.HUIFANG_METRICS_ALLOWED_IPS)
    if not directory and metrics_on and workers > 1:
        directory = str(settings.DATA_DIR / "prometheus")
        # Read by prometheus_client when it is first imported (by the middleware).
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    return directory


def _worker_exited(server: object, worker: Any) -> None:
    """gunicorn's child_exit hook: a dead worker's gauges leave the sums (its counters
    and histograms stay, as counts that happened)."""
    from prometheus_client import multiprocess  # imported by the app already

    multiprocess.mark_process_dead(worker.pid)


def _json_gunicorn_logs() -> dict[str, Any]:
    """gunicorn's own lines (start, workers, the access log) as JSON too, like the app's."""
    handler = {"class": "logging.StreamHandler", "formatter": "json"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "huifang.core.log_format.JsonFormatter"}},
        "handlers": {
            "console": {**handler, "stream": "ext://sys.stdout"},
            "error_console": {**handler, "stream": "ext://sys.stderr"},
        },
        # gunicorn's defaults would also replace the root logger's handler (the app's,
        # set up by settings.LOGGING): the same JSON lines to stderr, at the same level.
        "root": {
            "level": os.environ.get("HUIFANG_LOG_LEVEL", "INFO"),
            "handlers": ["error_console"],
        },
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }


def _celery(command: str, argv: list[str]) -> None:
    import django  # after the settings env is set in main()

    django.setup()
    from huifang.celery import app  # its tasks import models: after setup()

    if not any(arg.startswith(("-l", "--loglevel")) for arg in argv):
        argv = ["--loglevel=INFO", *argv]
    app.start([command, *argv])


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huifang.settings")
    if len(argv) > 1 and argv[1] == "serve":
        _serve(argv[2:])
        return
    if len(argv) > 1 and argv[1] in {"worker", "beat"}:
        _celery(argv[1], argv[2:])
        return
    from django.core.management import execute_from_command_line  # after the env

    execute_from_command_line(["huifang", *argv[1:]])


if __name__ == "__main__":
    main()
