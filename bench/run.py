"""The load benchmark (``make bench``): small vs enterprise scale, on PostgreSQL.

For each scale it creates and migrates a database of its own, seeds it with
``huifang bench seed``, serves the app with ``huifang serve`` (gunicorn) on a loopback
port, logs in as a user of every role and drives real HTTP load with a small asyncio
client over the pages named in issue 8, plus a bare ceiling view that returns a
constant through the same server and middleware. Each page is measured twice: one
request at a time for latency (p50, p95: the scaling targets compare these), then
with several requests in flight for throughput (req/s, compared with the ceiling).
Every loop is bounded in request count and time and talks to 127.0.0.1 only.

At enterprise scale it also times ``huifang plan --all`` and ``huifang sweep``.
Results go to ``bench/results/<timestamp>.json`` (git-ignored) and the table in
``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

# This script runs only the project's own `huifang` command with fixed arguments.
# ruff: noqa: S603

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
HUIFANG = str(Path(sys.executable).with_name("huifang"))
PASSWORD = os.environ.get("HUIFANG_DEMO_PASSWORD", "huifang-demo")
ROLES = ("admin", "quality", "pm", "member", "exec")
WRITERS = ("admin", "quality", "pm", "member")  # the executive may not record visits

# (name, URL template, roles that use it, kind): kind "page" must stay within 1.5× of
# its small-scale p50, "aggregate" (dashboard, metrics) within 3×, "ceiling" is the bar.
PAGES: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("ceiling", "/bench/ceiling", ROLES, "ceiling"),
    # "My work" for every role (quality managers and executives land on the management
    # home, measured apart).
    ("home", "/?mine=1", ROLES, "page"),
    ("management home", "/insights/management/", ("admin", "quality", "exec"), "aggregate"),
    ("project list (filtered)", "/projects/?status=active&q=ERP", ROLES, "page"),
    ("project detail", "/projects/{project}/", ROLES, "page"),
    ("visit list", "/visits/", ROLES, "page"),
    ("record form", "/visits/{visit}/record/", WRITERS, "page"),
    ("actions board", "/actions/", ROLES, "page"),
    ("dashboard", "/insights/", ROLES, "aggregate"),
    (
        "metrics API",
        "/api/v1/metrics/summary?date_from={year_start}&date_to={today}",
        ROLES,
        "aggregate",
    ),
    ("visits API", "/api/v1/visits", ROLES, "page"),
    # The cached ones right after a change: each request follows a visit recorded and
    # submitted (POST /bench/visit-recorded), the write a working day makes all day.
    # What it retires is computed afresh: the home page, this month's figures.
    # Enterprise p50 ≤ NO_CLIFF_LIMIT × small p50 (issue 17).
    ("home after a change", "/?mine=1", ROLES, "fresh"),
    ("dashboard after a change", "/insights/", ROLES, "fresh"),
    (
        "metrics API after a change",
        "/api/v1/metrics/summary?date_from={year_start}&date_to={today}",
        ROLES,
        "fresh",
    ),
    # After a change that names no month (POST /bench/data-changed, as a project edited
    # does): every month computed afresh, what the cache saves. Reported, no target.
    ("dashboard after any change", "/insights/", ROLES, "fresh_all"),
    (
        "metrics API after any change",
        "/api/v1/metrics/summary?date_from={year_start}&date_to={today}",
        ROLES,
        "fresh_all",
    ),
)
LIMITS = {"page": 1.5, "aggregate": 3.0}
NO_CLIFF_LIMIT = 3.0
CHANGE_URL = "/bench/data-changed"
VISIT_RECORDED_URL = "/bench/visit-recorded"
# The working-day phase (issue 17): the pages measured again while a writer does, once
# a second, what a company's day does (demo/working_day.py: a visit recorded and
# submitted through the services, mail sent, notifications read). Each page's p50 then
# stays within LIMITS of the small scale's in the same phase and within
# WORKING_DAY_IDLE_LIMIT of its own idle p50.
WORKING_DAY_URL = "/bench/working-day"
WORKING_DAY_TICK_S = 1.0
WORKING_DAY_IDLE_LIMIT = 2.0
CHANGE_LOG = "## Change log"
CEILING_SHARE = 0.25
PLAN_LIMIT_S, SWEEP_LIMIT_S = 60.0, 30.0

# Run inside `huifang shell` against the scale's database: for every role, the ids its
# pages need (a visible project and an open visit it may record), and which page paths
# the URLconf does not know at all (reported as "missing", not as failures).
DISCOVER = r"""
import json, datetime
from django.urls import Resolver404, resolve
from django.utils import timezone
from huifang.demo.bench_seed import bench_username
from huifang.core.models import User
from huifang.projects.models import Project
from huifang.visits.models import Visit
out = {"users": {}, "missing": []}
for role in %(roles)r:
    user = User.objects.get(username=bench_username(role, 1))
    visits = Visit.objects.visible_to(user).filter(status__in=["planned", "scheduled"],
        record__isnull=True, project__status="active").order_by("due_date")
    visit = visits.first()
    out["users"][role] = {"username": user.username,
        "project": visit.project_id if visit else Project.objects.visible_to(user).first().pk,
        "visit": visit.pk if visit else 0}
for path in %(paths)r:
    try:
        resolve(path.split("?")[0])
    except Resolver404:
        out["missing"].append(path)
today = timezone.localdate()
out["today"] = today.isoformat()
out["year_start"] = today.replace(month=1, day=1).isoformat()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("show server_version")
    out["postgres"] = cursor.fetchone()[0]
print("DISCOVER" + json.dumps(out))
"""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(database_url(base, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def run(args: list[str], env: dict[str, str], *, label: str) -> tuple[float, str]:
    """Run a huifang command, return (seconds, stdout); its stderr (progress) passes."""
    started = time.perf_counter()
    done = subprocess.run([HUIFANG, *args], env=env, stdout=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{label} failed ({done.returncode}):\n{done.stdout}")
    log(f"{label}: {seconds:.1f}s")
    return seconds, done.stdout


def has_command(name: str, env: dict[str, str]) -> bool:
    done = subprocess.run(
        [HUIFANG, "help", name], env=env, capture_output=True, text=True, check=False
    )
    return done.returncode == 0


def probe(template: str) -> str:
    """The page's path with dummy ids: what the URL resolver is asked about."""
    return template.format(project=1, visit=1, today="x", year_start="x")


# --- HTTP load --------------------------------------------------------------------------


async def log_in(client: httpx.AsyncClient, username: str) -> None:
    page = await client.get("/login/")
    token = client.cookies.get("csrftoken") or ""
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    form = {"username": username, "password": PASSWORD}
    form["csrfmiddlewaretoken"] = match.group(1) if match else token
    done = await client.post("/login/", data=form, headers={"Referer": str(page.url)})
    if done.status_code != 302:
        raise SystemExit(f"login as {username} failed: HTTP {done.status_code}")


def summarise(latencies: list[float], errors: int, seconds: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    if not ordered:
        return {"p50_ms": None, "p95_ms": None, "requests": 0, "errors": errors, "rps": 0.0}
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "requests": len(ordered),
        "errors": errors,
        "rps": round(len(ordered) / seconds, 1) if seconds else 0.0,
    }


async def _again_if_closed(
    client: httpx.AsyncClient, method: str, url: str
) -> tuple[httpx.Response, float]:
    """The response and its seconds. gunicorn may close an idle keep-alive connection
    just as we reuse it: not the page's fault, so that request is sent again on a fresh
    connection (and timed from there)."""
    sent = time.perf_counter()
    try:
        response = await client.request(method, url)
    except httpx.RemoteProtocolError:
        sent = time.perf_counter()
        response = await client.request(method, url)
    return response, time.perf_counter() - sent


async def drive(
    clients: list[httpx.AsyncClient],
    urls: list[str],
    *,
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    min_seconds: float = 0.0,
    change: tuple[httpx.AsyncClient, str] | None = None,
) -> tuple[list[float], int, float, dict[int, int]]:
    """Bounded load: ``concurrency`` loops share ``max_requests`` and stop at the
    deadline, but not before ``min_seconds`` (a fast page's 120 requests take a third
    of a second, too short a window to measure a rate: the ceiling's moved by half
    between the two scales of one run); role clients and URLs are taken in turn.
    ``change``: each request follows a POST with that client to that URL (not
    timed)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    issued = 0
    started = time.perf_counter()
    deadline = started + max_seconds
    long_enough = started + min(min_seconds, max_seconds)

    async def worker() -> None:
        nonlocal issued
        while time.perf_counter() < deadline and (
            issued < max_requests or time.perf_counter() < long_enough
        ):
            index = issued
            issued += 1
            client = clients[index % len(clients)]
            url = urls[index % len(urls)]
            if change is not None:
                # If this fails, the page's request below shows whether the server is up.
                with contextlib.suppress(httpx.HTTPError):
                    await _again_if_closed(change[0], "POST", change[1])
            try:
                response, seconds = await _again_if_closed(client, "GET", url)
                code = response.status_code
            except httpx.HTTPError:
                code = 0
            statuses[code] = statuses.get(code, 0) + 1
            if code == 200:
                latencies.append(seconds)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    errors = sum(count for code, count in statuses.items() if code != 200)
    return latencies, errors, elapsed, statuses


async def warm_then_time(
    clients: list[httpx.AsyncClient],
    urls: list[str],
    opts: argparse.Namespace,
    *,
    change: tuple[httpx.AsyncClient, str] | None = None,
    min_seconds: float = 0.0,
) -> tuple[dict[str, Any], dict[int, int]]:
    """A page's latency, one request at a time, after a warm-up of two requests per
    role (a fresh server's templates and connections): its summary and status codes."""
    await drive(
        clients, urls, concurrency=1, max_requests=len(clients) * 2, max_seconds=opts.seconds
    )
    lat, errors, elapsed, codes = await drive(
        clients,
        urls,
        concurrency=1,
        max_requests=opts.requests,
        max_seconds=opts.seconds,
        min_seconds=min_seconds,
        change=change,
    )
    return summarise(lat, errors, elapsed), codes


async def measure_pages(base_url: str, found: dict[str, Any], opts: argparse.Namespace) -> dict:
    # A request slower than this counts as an error (status 0); the server may still
    # be working on it, which the next measurements then feel.
    timeout = httpx.Timeout(opts.timeout)
    clients = {
        role: httpx.AsyncClient(base_url=base_url, timeout=timeout, follow_redirects=False)
        for role in ROLES
    }
    try:
        for role, client in clients.items():
            await log_in(client, found["users"][role]["username"])
        # The visits whose record form is measured stay open.
        changes = {
            "fresh": (clients["admin"], f"{VISIT_RECORDED_URL}?keep={kept_open(found)}"),
            "fresh_all": (clients["admin"], CHANGE_URL),
        }
        results: dict[str, Any] = {}
        for name, template, roles, kind in PAGES:
            urls_by_role = {
                role: template.format(**found["users"][role], **found) for role in roles
            }
            if probe(template) in found["missing"]:
                results[name] = {"kind": kind, "missing": True}
                log(f"{name}: missing (no such URL yet)")
                continue
            role_clients = [clients[role] for role in roles]
            urls = [urls_by_role[role] for role in roles]
            change = changes.get(kind)
            # Latency one at a time (after a warm-up), then load.
            latency, codes = await warm_then_time(role_clients, urls, opts, change=change)
            lat, errors, elapsed, load_codes = await drive(
                role_clients,
                urls,
                concurrency=opts.concurrency,
                max_requests=opts.requests * 2,
                max_seconds=opts.seconds,
                min_seconds=opts.load_seconds,
                change=change,
            )
            load = summarise(lat, errors, elapsed)
            results[name] = {
                "kind": kind,
                "missing": False,
                "urls": urls_by_role,
                "p50_ms": latency["p50_ms"],
                "p95_ms": latency["p95_ms"],
                "latency_requests": latency["requests"],
                "rps": load["rps"],
                "load_requests": load["requests"],
                "load_p50_ms": load["p50_ms"],
                "statuses": {str(k): v for k, v in sorted({**codes, **load_codes}.items())},
                "errors": latency["errors"] + load["errors"],
            }
            log(
                f"{name}: p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms, "
                f"{load['rps']} req/s, statuses {results[name]['statuses']}"
            )
        return results
    finally:
        for client in clients.values():
            await client.aclose()


async def write_all_day(
    client: httpx.AsyncClient, keep: str, stop: asyncio.Event, ticks: list[dict[str, Any]]
) -> None:
    """POST a working-day tick every WORKING_DAY_TICK_S seconds until ``stop``; each
    tick's answer (what it wrote) and its seconds go to ``ticks``."""
    while not stop.is_set():
        started = time.perf_counter()
        try:
            response, seconds = await _again_if_closed(
                client, "POST", f"{WORKING_DAY_URL}?keep={keep}"
            )
            tick = response.json() if response.status_code == 200 else {}
            ticks.append({**tick, "status": response.status_code, "seconds": seconds})
        except (httpx.HTTPError, ValueError):
            ticks.append({"status": 0, "seconds": time.perf_counter() - started})
        rest = WORKING_DAY_TICK_S - (time.perf_counter() - started)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, rest))


def kept_open(found: dict[str, Any]) -> str:
    """The visits whose record form is measured, for the writers to leave open."""
    return ",".join(str(user["visit"]) for user in found["users"].values() if user["visit"])


async def measure_working_day(
    base_url: str, found: dict[str, Any], opts: argparse.Namespace, results: dict[str, Any]
) -> dict[str, Any]:
    """Every page with a target again, one request at a time, while the writer runs.
    The writer signs in as the administrator on a connection of its own and leaves
    open the visits whose record form is measured."""
    keep = kept_open(found)
    timeout = httpx.Timeout(opts.timeout)
    clients = {role: httpx.AsyncClient(base_url=base_url, timeout=timeout) for role in ROLES}
    writer = httpx.AsyncClient(base_url=base_url, timeout=timeout)
    stop, ticks = asyncio.Event(), list[dict[str, Any]]()
    try:
        for role, client in clients.items():
            await log_in(client, found["users"][role]["username"])
        await log_in(writer, found["users"]["admin"]["username"])
        writing = asyncio.create_task(write_all_day(writer, keep, stop, ticks))
        for name, template, roles, kind in PAGES:
            if kind not in LIMITS or results[name].get("missing"):
                continue
            urls = [template.format(**found["users"][role], **found) for role in roles]
            role_clients = [clients[role] for role in roles]
            # Long enough that each page is measured across several ticks.
            latency, _ = await warm_then_time(
                role_clients, urls, opts, min_seconds=opts.working_day_seconds
            )
            results[name].update(
                working_p50_ms=latency["p50_ms"],
                working_p95_ms=latency["p95_ms"],
                working_requests=latency["requests"],
                working_errors=latency["errors"],
            )
            log(f"{name} (working day): p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms")
        stop.set()
        await writing
    finally:
        stop.set()
        for client in (*clients.values(), writer):
            await client.aclose()
    done = [tick for tick in ticks if tick["status"] == 200]
    summary = {
        "ticks": len(ticks),
        "failed_ticks": len(ticks) - len(done),
        "visits_recorded": sum(1 for tick in done if tick.get("recorded_visit")),
        "deliveries_sent": sum(tick.get("deliveries_sent", 0) for tick in done),
        "notifications_read": sum(tick.get("notifications_read", 0) for tick in done),
        "tick_p50_ms": summarise([tick["seconds"] for tick in done], 0, 1)["p50_ms"],
    }
    log(f"working day: {summary}")
    return summary


def wait_until_up(base_url: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("huifang serve exited; see its log in bench/results/")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("huifang serve did not answer /healthz in time")


def discover(scale: str, env: dict[str, str]) -> dict[str, Any]:
    paths = sorted({probe(template) for _, template, _, _ in PAGES})
    _, shell_out = run(
        ["shell", "-c", DISCOVER % {"roles": ROLES, "paths": paths}],
        env,
        label=f"{scale}: discover",
    )
    found: dict[str, Any] = json.loads(shell_out.split("DISCOVER", 1)[1])
    return found


@contextlib.contextmanager
def serving(
    scale: str, env: dict[str, str], opts: argparse.Namespace, out_dir: Path, *, label: str
) -> Iterator[str]:
    """``huifang serve`` on the loopback port for the block; yields its base URL."""
    port = opts.port + (0 if scale == "small" else 1)
    base_url = f"http://127.0.0.1:{port}"
    server_log = (out_dir / f"serve-{scale}-{label.replace(' ', '-')}.log").open("wb")
    server = subprocess.Popen(
        [
            HUIFANG,
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(opts.workers),
            "--threads",
            str(opts.threads),
        ],
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(base_url, server)
        log(f"{scale}: serving on {base_url} ({label})")
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()


def sweep_with_a_broker(scale: str, env: dict[str, str]) -> tuple[float, str]:
    """``huifang sweep`` as an enterprise deployment runs it: with a broker, so the
    sweep queues its deliveries for workers (there are none here) rather than sending
    each inline. The broker is a Redis database of the bench's own, emptied before and
    after so that no queued task lingers; the deliveries stay pending in the database."""
    import redis

    broker_url = os.environ.get("HUIFANG_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    broker = redis.Redis.from_url(broker_url)
    broker.flushdb()
    try:
        return run(["sweep"], {**env, "HUIFANG_REDIS_URL": broker_url}, label=f"{scale}: sweep")
    finally:
        broker.flushdb()


def bench_scale(scale: str, opts: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    name = f"{opts.db_prefix}_{scale}"
    data_dir = Path(tempfile.mkdtemp(prefix=f"huifang-bench-{scale}-"))
    env = {
        **os.environ,
        "HUIFANG_DATABASE_URL": database_url(opts.database, name),
        "HUIFANG_DATA_DIR": str(data_dir),
        "HUIFANG_BENCH": "1",
        "HUIFANG_DEBUG": "0",
        # No periodic jobs beside the server: they must not plan or sweep while pages
        # are measured (the sweep is timed on its own below). A sweep-hour setting
        # alone let runs after 23:00 local plan and sweep during the first pages.
        "HUIFANG_PERIODIC_JOBS": "0",
        "HUIFANG_LOG_LEVEL": "WARNING",
        # The measured users sign in with a password only: no role asks for a code.
        "HUIFANG_MFA_REQUIRED_ROLES": "none",
    }
    env.pop("HUIFANG_REDIS_URL", None)
    result: dict[str, Any] = {"scale": scale, "database": name}
    if not opts.reuse:
        log(f"{scale}: recreating database {name}")
        recreate_database(opts.database, name)
        run(["migrate", "--noinput", "-v", "0"], env, label=f"{scale}: migrate")
        result["seed_s"], seed_out = run(
            ["bench", "seed", "--scale", scale], env, label=f"{scale}: seed"
        )
        result["seed_summary"] = seed_out.strip()
    else:
        # Reused data gets this release's schema (a no-op when nothing is new).
        run(["migrate", "--noinput", "-v", "0"], env, label=f"{scale}: migrate")
    found = discover(scale, env)
    result["postgres"] = found.pop("postgres")
    with serving(scale, env, opts, out_dir, label="idle") as base_url:
        result["pages"] = asyncio.run(measure_pages(base_url, found, opts))
    if scale == "enterprise":
        result["plan_all_s"], result["plan_all_output"] = run(
            ["plan", "--all"], env, label=f"{scale}: plan --all"
        )
    if has_command("sweep", env):
        # The night's sweep, timed at enterprise scale. Its mail is what the working
        # day's workers send (demo/working_day.py).
        result["sweep_s"], result["sweep_output"] = sweep_with_a_broker(scale, env)
    # The sweep marks long-overdue visits missed: ask again which visit each role's
    # record form opens.
    found = discover(scale, env)
    with serving(scale, env, opts, out_dir, label="working day") as base_url:
        pages = result["pages"]
        pages["working day"] = asyncio.run(measure_working_day(base_url, found, opts, pages))
    # No worker sent the rest of the sweep's deliveries. Left pending, a later run's
    # server (no broker: it sends pending deliveries every minute) would send them while
    # pages are measured; the bench's mail goes nowhere, so they count as sent.
    settle = (
        "from django.utils import timezone\n"
        "from huifang.notify.models import Delivery\n"
        "Delivery.objects.filter(status='pending', attempts=0)"
        ".update(status='sent', sent_at=timezone.now())\n"
    )
    run(["shell", "-c", settle], env, label=f"{scale}: settle deliveries")
    shutil.rmtree(data_dir, ignore_errors=True)
    return result


# --- Report -----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def verdicts(report: dict[str, Any]) -> None:
    """Add each page's target ratios and PASS/FAIL to the enterprise results."""
    small = report["scales"].get("small", {}).get("pages", {})
    big = report["scales"].get("enterprise", {}).get("pages", {})
    ceiling = (big.get("ceiling") or {}).get("rps") or 0
    for name, page in big.items():
        if name == "working day" or page.get("missing") or page["kind"] in ("ceiling", "fresh_all"):
            continue
        before = (small.get(name) or {}).get("p50_ms")
        if page["kind"] == "fresh":
            # No cliff (issue 17): right after a visit is recorded, the page stays within
            # NO_CLIFF_LIMIT of the small scale's. Its load runs writes too: no share.
            page["p50_ratio"] = ratio_of(page["p50_ms"], before)
            page["p50_limit"] = NO_CLIFF_LIMIT
            page["pass"] = bool(
                page["p50_ratio"] is not None
                and page["p50_ratio"] <= NO_CLIFF_LIMIT
                and not page["errors"]
            )
            continue
        working_day_verdict(page, small.get(name) or {})
        limit = LIMITS[page["kind"]]
        page["p50_ratio"] = round(page["p50_ms"] / before, 2) if before and page["p50_ms"] else None
        page["p50_limit"] = limit
        page["ceiling_share"] = round(page["rps"] / ceiling, 3) if ceiling else None
        page["pass"] = bool(
            page["p50_ratio"] is not None
            and page["p50_ratio"] <= limit
            and page["ceiling_share"] is not None
            and page["ceiling_share"] >= CEILING_SHARE
            and not page["errors"]
        )


def working_day_verdict(page: dict[str, Any], small: dict[str, Any]) -> None:
    """The working-day targets of issue 17: p50 while writers write within LIMITS of
    the small scale's in the same phase, and within WORKING_DAY_IDLE_LIMIT of its own
    idle p50."""
    working, small_working = page.get("working_p50_ms"), small.get("working_p50_ms")
    page["working_ratio"] = ratio_of(working, small_working)
    page["working_idle_ratio"] = ratio_of(working, page.get("p50_ms"))
    page["working_pass"] = bool(
        page["working_ratio"] is not None
        and page["working_ratio"] <= LIMITS[page["kind"]]
        and page["working_idle_ratio"] is not None
        and page["working_idle_ratio"] <= WORKING_DAY_IDLE_LIMIT
        and not page.get("working_errors")
        and not small.get("working_errors")
    )


def ratio_of(value: float | None, base: float | None) -> float | None:
    return round(value / base, 2) if value and base else None


def fmt(value: Any, suffix: str = "") -> str:
    return "–" if value is None else f"{value}{suffix}"


def markdown(report: dict[str, Any]) -> str:
    info = report["machine"]
    scales = report["scales"]
    small = scales.get("small", {}).get("pages", {})
    big = scales.get("enterprise", {}).get("pages", {})
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`bench/run.py`); see `bench/README.md` for what is "
        "measured and how. Latency (p50, p95) is one request at a time; req/s is with "
        f"{report['options']['concurrency']} requests in flight, gunicorn "
        f"{report['options']['workers']} workers × {report['options']['threads']} threads.",
        "",
        f"Machine: {info['nproc']} cores, {info['memory']} memory, PostgreSQL "
        f"{report.get('postgres', '?')}, Python {info['python']} ({info['platform']}); "
        f"run {info['date']}. The machine is shared, so compare ratios, not absolute times.",
        "",
        "Targets (issue 8): enterprise p50 ≤ 1.5 × small p50 (dashboard and metrics ≤ 3 ×); "
        "enterprise throughput ≥ 25 % of the ceiling view's. No cliff (issue 17): right "
        "after a visit is recorded and submitted, enterprise p50 ≤ 3 × small p50; after a "
        "change that names no month (every month computed afresh) reported only.",
        "",
        "| page | small p50 ms | small p95 ms | small req/s | enterprise p50 ms | "
        "enterprise p95 ms | enterprise req/s | p50 ratio (limit) | share of ceiling | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, _, _, kind in PAGES:
        s, b = small.get(name, {}), big.get(name, {})
        if s.get("missing") or b.get("missing"):
            lines.append(f"| {name} | missing | | | missing | | | | | missing |")
            continue
        if kind == "ceiling":
            result, ratio, share = "ceiling", "", "100 %"
        elif kind == "fresh_all":
            result, ratio, share = "no target (what the cache saves)", "", ""
        elif not b:
            result, ratio, share = "not run", "", ""
        else:
            result = "PASS" if b.get("pass") else "FAIL"
            ratio = f"{fmt(b.get('p50_ratio'))} (≤ {b.get('p50_limit')})"
            share_value = b.get("ceiling_share")
            share = "–" if share_value is None else f"{share_value:.0%}"
            if kind == "fresh":
                share = "(writes)"
        errors = (s.get("errors") or 0) + (b.get("errors") or 0)
        if errors:
            result += f" ({errors} non-200)"
        lines.append(
            f"| {name} | {fmt(s.get('p50_ms'))} | {fmt(s.get('p95_ms'))} | {fmt(s.get('rps'))} "
            f"| {fmt(b.get('p50_ms'))} | {fmt(b.get('p95_ms'))} | {fmt(b.get('rps'))} "
            f"| {ratio} | {share} | {result} |"
        )
    lines += working_day_table(small, big)
    ent = scales.get("enterprise", {})
    lines += ["", "| job (enterprise data) | seconds | limit | result |", "|---|---:|---:|---|"]
    for label, key, limit in (
        ("`huifang plan --all`", "plan_all_s", PLAN_LIMIT_S),
        ("`huifang sweep`", "sweep_s", SWEEP_LIMIT_S),
    ):
        seconds = ent.get(key)
        if seconds is None:
            lines.append(f"| {label} | – | {limit:.0f} | not run |")
        else:
            verdict = "PASS" if seconds < limit else "FAIL"
            lines.append(f"| {label} | {seconds:.1f} | {limit:.0f} | {verdict} |")
    lines += ["", "Seeding (`huifang bench seed`, limit 300 s at enterprise scale):", ""]
    for scale, data in scales.items():
        if "seed_s" in data:
            lines.append(f"- {scale}: {data['seed_s']:.1f} s — {data['seed_summary']}")
    return "\n".join(lines) + "\n"


def working_day_table(small: dict[str, Any], big: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "Working day (issue 17): the pages again, one request at a time, while a writer "
        f"does every {WORKING_DAY_TICK_S:.0f} s what a company's day does (a visit recorded "
        "and submitted through the services, e-mail deliveries sent, notifications read; "
        "`/bench/working-day`). Targets: enterprise p50 ≤ 1.5 × small p50 in the same "
        "phase (dashboard and metrics ≤ 3 ×), and ≤ "
        f"{WORKING_DAY_IDLE_LIMIT:.0f} × its own idle p50.",
        "",
    ]
    for scale, pages in (("small", small), ("enterprise", big)):
        day = pages.get("working day")
        if day:
            lines.append(
                f"- {scale}: {day['ticks']} ticks ({day['failed_ticks']} failed), "
                f"{day['visits_recorded']} visits recorded, {day['deliveries_sent']} "
                f"e-mails sent, {day['notifications_read']} notifications read; a tick "
                f"took {fmt(day['tick_p50_ms'])} ms (p50)."
            )
    lines += [
        "",
        "| page | small idle p50 ms | small working p50 ms | enterprise idle p50 ms | "
        "enterprise working p50 ms | enterprise working p95 ms | vs small (limit) | "
        f"vs idle (≤ {WORKING_DAY_IDLE_LIMIT:.0f}) | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, _, _, kind in PAGES:
        s, b = small.get(name, {}), big.get(name, {})
        if kind not in LIMITS or s.get("missing") or b.get("missing") or not b:
            continue
        result = "PASS" if b.get("working_pass") else "FAIL"
        errors = (s.get("working_errors") or 0) + (b.get("working_errors") or 0)
        if errors:
            result += f" ({errors} non-200)"
        lines.append(
            f"| {name} | {fmt(s.get('p50_ms'))} | {fmt(s.get('working_p50_ms'))} "
            f"| {fmt(b.get('p50_ms'))} | {fmt(b.get('working_p50_ms'))} "
            f"| {fmt(b.get('working_p95_ms'))} "
            f"| {fmt(b.get('working_ratio'))} (≤ {LIMITS[kind]}) "
            f"| {fmt(b.get('working_idle_ratio'))} | {result} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="small,enterprise")
    parser.add_argument(
        "--database",
        default=os.environ.get("HUIFANG_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL; databases <prefix>_<scale> are (re)created on it",
    )
    parser.add_argument("--db-prefix", default="hf_bench")
    parser.add_argument("--reuse", action="store_true", help="keep already seeded databases")
    parser.add_argument("--port", type=int, default=8760)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests", type=int, default=60, help="per page and phase")
    parser.add_argument("--seconds", type=float, default=15.0, help="per page and phase")
    parser.add_argument(
        "--load-seconds",
        type=float,
        default=3.0,
        help="the shortest throughput phase, even when its requests are done sooner",
    )
    parser.add_argument(
        "--working-day-seconds",
        type=float,
        default=8.0,
        help="the shortest working-day measurement of a page (several writer ticks)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="per request")
    parser.add_argument("--no-markdown", action="store_true", help="leave RESULTS.md alone")
    opts = parser.parse_args()
    out_dir = BENCH / "results"
    out_dir.mkdir(exist_ok=True)
    report: dict[str, Any] = {"machine": machine(), "options": vars(opts), "scales": {}}
    for scale in opts.scales.split(","):
        report["scales"][scale] = bench_scale(scale, opts, out_dir)
        report["postgres"] = report["scales"][scale].pop("postgres")
    verdicts(report)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for path in (out_dir / f"{stamp}.json", out_dir / "latest.json"):
        path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    table = markdown(report)
    if not opts.no_markdown:
        results = BENCH / "RESULTS.md"
        # The hand-written change log at the end of the file (what changed between
        # runs, with before/after figures) is kept under the new table.
        previous = results.read_text() if results.exists() else ""
        kept = previous[previous.find(CHANGE_LOG) :] if CHANGE_LOG in previous else ""
        results.write_text(table + ("\n" + kept if kept else ""))
    print(table)


if __name__ == "__main__":
    main()
