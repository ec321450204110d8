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
from typing import Any


def _serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="huifang serve", description="Serve Huifang.")
    parser.add_argument("--bind", default=os.environ.get("HUIFANG_BIND", "127.0.0.1:8000"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("HUIFANG_WORKERS", 2)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("HUIFANG_THREADS", 4)))
    args = parser.parse_args(argv)

    from gunicorn.app.base import BaseApplication  # only `serve` needs gunicorn

    from huifang.notify.periodic import start_periodic_process  # after the settings env
    from huifang.wsgi import application  # sets Django up: after the settings env

    class _App(BaseApplication):
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": args.bind,
                "workers": args.workers,
                "threads": args.threads,
                "accesslog": "-",
                "timeout": 60,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    # Started once, by the master: one loop however many workers serve.
    start_periodic_process()
    _App().run()


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
