"""Shared plumbing of the fault tests: the test database as a URL another process can
open, free ports, bounded waits, and processes that are always cleaned up."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection

BIN = Path(sys.executable).parent


def database_url() -> str:
    """The test database, for a process of ours started by the test (it sees what
    a ``transaction=True`` test committed)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def app_env(**extra: str) -> dict[str, str]:
    """The environment of a Huifang process pointed at the test database; no Redis
    unless ``extra`` names one."""
    env = {key: value for key, value in os.environ.items() if key != "HUIFANG_REDIS_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="huifang.settings",
        HUIFANG_DATABASE_URL=database_url(),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A process in its own process group, so stopping it reaches its children."""
    return subprocess.Popen(  # noqa: S603
        command,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Stop ``process`` and its group; SIGKILL if it has not gone within ten seconds."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        except ProcessLookupError:
            pass


class OwnRedis:
    """A ``redis-server`` of the test's own on a free port (the machine's shared Redis
    is never stopped): started, killed with SIGKILL, started again empty on the same
    port, as after a crash of a Redis without persistence."""

    BINARY = Path("/usr/bin/redis-server")

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import redis

        command = [
            str(self.BINARY),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.directory),
        ]  # fmt: skip
        self.process = start(command, os.environ.copy(), self.directory / "redis.log")
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_for(answers, 10, "redis-server to answer")
        client.close()

    def kill(self) -> None:
        assert self.process is not None
        stop(self.process, signal.SIGKILL)

    def keys(self) -> int:
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        try:
            return int(client.dbsize())
        finally:
            client.close()
