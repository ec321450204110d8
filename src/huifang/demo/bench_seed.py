"""Bulk benchmark data (``huifang bench seed --scale small|enterprise``).

Why this module writes with ``bulk_create`` instead of the services: the enterprise
data set is a quarter of a million visits and about a million rows in all, which the
services (one transaction, one row lock and several queries per write) would take
hours to build. It is *benchmark data only* and never runs against a real company's
database (the command refuses a database that already holds customers or projects).
The shortcut is kept honest in two ways:

* Every visit comes from the schedule engine: each project's visits are computed with
  :func:`huifang.visits.scheduling.plan_visits` and the policy version in force (its
  rules and working-day calendar), exactly as ``huifang plan`` would, so re-planning
  the seeded data changes nothing.
* Every row respects the database constraints and the states the services can reach:
  done visits have a completion date and a submitted record, visits of cancelled
  projects that were still planned are cancelled, completed projects have an actual
  end, verified actions were verified in a later record of the same project.

The data covers three years up to today with realistic shapes: most visits done (some
late), a few missed, recent ones overdue or scheduled, satisfaction mostly 4–5, most
old actions verified effective and recent ones still open. The random choices use a
fixed seed, so two runs on the same day build the same data.
"""

from __future__ import annotations

import bisect
import datetime
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from huifang.actions.models import ActionVerification, ImprovementAction
from huifang.core.models import Role, User
from huifang.customers.models import Contact, Customer
from huifang.demo.builder import reset_demo_data
from huifang.policy.queries import version_in_force
from huifang.policy.services import ensure_default_policy
from huifang.projects.models import Membership, Project, ProjectHold
from huifang.visits.models import Feedback, Problem, Visit, VisitRecord
from huifang.visits.planning import PlanningContext
from huifang.visits.recording import planned_percent, schedule_variance_days
from huifang.visits.scheduling import (
    Cadence,
    HoldPeriod,
    PlannedVisit,
    ProjectSpec,
    ProjectStatus,
    plan_visits,
)

SEED = 8_2026
BENCH_PREFIX = "bench-"
BATCH = 2000
DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Scale:
    customers: int
    projects: int
    visits: int
    problems: int
    feedback: int
    actions: int
    users: int


ENTERPRISE = Scale(2000, 10_000, 250_000, 100_000, 150_000, 100_000, 200)
SCALES = {
    "enterprise": ENTERPRISE,
    "small": Scale(*(max(1, value // 50) for value in vars(ENTERPRISE).values())),
}
# Share of each role among the users; every role has at least one user, and at least
# two members, so a member's and a colleague's view can both be measured.
ROLE_SHARES = (
    (Role.ADMIN, "admin", 0.01),
    (Role.QUALITY, "quality", 0.03),
    (Role.PROJECT_MANAGER, "pm", 0.25),
    (Role.EXECUTIVE, "exec", 0.05),
)


def bench_username(prefix: str, number: int) -> str:
    """``bench-pm-1``, ``bench-member-3``, ...: the harness logs in with these."""
    return f"{BENCH_PREFIX}{prefix}-{number}"


def role_counts(total: int) -> dict[str, int]:
    counts = {prefix: max(1, round(total * share)) for _, prefix, share in ROLE_SHARES}
    counts["member"] = max(2, total - sum(counts.values()))
    return counts


class Progress:
    """A plain progress bar on stderr: one line per step, redrawn at most 4× a second."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self._drawn = 0.0

    def update(self, label: str, done: int, total: int, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._drawn < 0.25:
            return
        self._drawn = now
        share = done / total if total else 1.0
        bar = "#" * int(share * 30)
        line = f"\r[{bar:<30}] {share:6.1%} {label} {done}/{total} {now - self.started:6.1f}s"
        self.stream.write(line + ("\n" if final else ""))
        self.stream.flush()


@contextmanager
def _manual_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let bulk rows carry their own created/updated times (years in the past) instead
    of "now": ``auto_now``/``auto_now_add`` are switched off for the duration."""
    saved: list[tuple[Any, bool, bool]] = []
    for model in model_classes:
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.DateField) and (
                model_field.auto_now or model_field.auto_now_add
            ):
                saved.append((model_field, model_field.auto_now, model_field.auto_now_add))
                model_field.auto_now = model_field.auto_now_add = False
    try:
        yield
    finally:
        for model_field, auto_now, auto_now_add in saved:
            model_field.auto_now, model_field.auto_now_add = auto_now, auto_now_add


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def _stamp(record: VisitRecord) -> datetime.datetime:
    return record.submitted_at or record.created_at


def bench_data_exists() -> bool:
    return User.objects.filter(username__startswith=BENCH_PREFIX).exists()


def reset_bench_data() -> None:
    """Empty every Huifang table and remove the bench users (TRUNCATE on PostgreSQL,
    where deleting a million rows through the ORM's collector would take minutes)."""
    if connection.vendor == "postgresql":
        tables = {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.app_config.name.startswith("huifang.")
            and not model._meta.db_table.startswith("core_user")
        }
        with connection.cursor() as cursor:
            # Inside a transaction that already wrote (tests), PostgreSQL refuses to
            # truncate tables with deferred foreign-key checks pending: run them first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(sorted(tables))} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        reset_demo_data()
    User.objects.filter(username__startswith=BENCH_PREFIX).delete()


@dataclass
class SeedSummary:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


# --- Texts ----------------------------------------------------------------------------

CITIES = ("杭州", "苏州", "成都", "武汉", "深圳", "南京", "西安", "青岛", "宁波", "厦门")
WORDS = ("恒远", "华信", "精工", "云帆", "天成", "博瑞", "新锐", "中科", "东方", "海川")
KINDS = ("科技", "制造", "物流", "医疗", "能源", "零售", "金融", "教育")
INDUSTRIES = ("Manufacturing", "Logistics", "Healthcare", "Energy", "Retail", "Finance")
SYSTEMS = ("MES 实施", "ERP 升级", "CRM 定制开发", "仓储管理系统", "数据中台", "质量管理系统")
DEPARTMENTS = ("Delivery East", "Delivery West", "Industry Solutions", "Digital Services")
CATEGORIES = ("scope", "schedule", "quality", "resources", "communication", "technical", "other")
FORMS = (("phone", 35), ("face_to_face", 30), ("online", 25), ("email", 10))
SATISFACTION = ((5, 45), (4, 35), (3, 12), (2, 5), (1, 3))
NPS_BY_SCORE = {5: (8, 10), 4: (7, 9), 3: (5, 8), 2: (2, 6), 1: (0, 4)}


def _weighted(rng: random.Random, pairs: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([value for value, _ in pairs], [weight for _, weight in pairs])[0]


# --- Plans ----------------------------------------------------------------------------


@dataclass
class _ProjectPlan:
    """One project before it is written: its row and its visits with their outcome."""

    project: Project
    members: list[int]
    holds: list[ProjectHold]
    visits: list[tuple[PlannedVisit, str, datetime.date | None]]  # (planned, status, done)
    cancelled_on: datetime.date | None = None


class BenchSeeder:
    def __init__(
        self, scale: Scale, *, today: datetime.date | None = None, progress: Progress | None = None
    ) -> None:
        self.scale = scale
        self.today = today or timezone.localdate()
        self.rng = random.Random(SEED)  # noqa: S311 - reproducible fake data, not secrets
        self.progress = progress or Progress()
        self.summary = SeedSummary()

    # The whole run is one transaction: a failed seed leaves nothing half-built.
    def run(self) -> SeedSummary:
        started = time.monotonic()
        timestamped = (Customer, Project, Visit, VisitRecord, Problem, Feedback)
        with transaction.atomic(), _manual_timestamps(*timestamped, ImprovementAction):
            self.policy = ensure_default_policy()
            version = version_in_force(self.policy, on=self.today)
            if version is None:  # ensure_default_policy publishes one; a bug otherwise
                raise RuntimeError("the default policy has no published version")
            self.context = PlanningContext.for_version(version)
            self.grace = version.missed_grace_days
            self.checklist: dict[str, list[str]] = {}
            for item in version.checklist_items.all():
                self.checklist.setdefault(item.phase, []).append(item.key)
            self.make_users()
            self.make_customers()
            plans = self.plan_projects()
            self.write_projects(plans)
            self.write_visits(plans)
        if connection.vendor == "postgresql":
            # A real database has planner statistics; right after a bulk load it has
            # none until autovacuum gets round to it, and plans are wildly wrong.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def count(self, name: str, number: int) -> None:
        self.summary.counts[name] = self.summary.counts.get(name, 0) + number

    # --- People and customers ---------------------------------------------------------

    def make_users(self) -> None:
        password = make_password(settings.HUIFANG_DEMO_PASSWORD)  # one slow hash for all
        roles = {prefix: role for role, prefix, _ in ROLE_SHARES} | {"member": Role.MEMBER}
        users = []
        for prefix, number in role_counts(self.scale.users).items():
            for index in range(1, number + 1):
                username = bench_username(prefix, index)
                users.append(
                    User(
                        username=username,
                        password=password,
                        role=roles[prefix],
                        display_name=f"Bench {prefix} {index}",
                        department=DEPARTMENTS[index % len(DEPARTMENTS)],
                        email=f"{username}@bench.example.com",
                        is_staff=prefix == "admin",
                        is_superuser=prefix == "admin",
                    )
                )
        User.objects.bulk_create(users)
        self.pms = [u.pk for u in users if u.role == Role.PROJECT_MANAGER]
        self.members = [u.pk for u in users if u.role == Role.MEMBER]
        self.count("users", len(users))

    def make_customers(self) -> None:
        rng, customers = self.rng, []
        for index in range(self.scale.customers):
            name = (
                f"{CITIES[index % 10]}{WORDS[index // 10 % 10]}{KINDS[index // 100 % 8]}"
                f"有限公司 {index + 1:04d}"
            )
            created = _at(self.today - rng.randint(1100, 1300) * DAY, 9)
            customers.append(
                Customer(
                    name=name,
                    industry=rng.choice(INDUSTRIES),
                    address=f"{CITIES[index % 10]}市 {rng.randint(1, 999)} 号",
                    created_at=created,
                    updated_at=created,
                )
            )
        Customer.objects.bulk_create(customers, batch_size=BATCH)
        contacts = []
        for customer in customers:
            for position in range(rng.randint(1, 3)):
                contacts.append(
                    Contact(
                        customer=customer,
                        name=f"联系人 {customer.pk}-{position + 1}",
                        title=("项目负责人", "IT 经理", "采购主管")[position],
                        phone=f"138{rng.randint(0, 99_999_999):08d}",
                        email=f"c{customer.pk}.{position}@customer.example.com",
                        is_primary=position == 0,
                    )
                )
        Contact.objects.bulk_create(contacts, batch_size=BATCH)
        self.primary_contact = {c.customer_id: c.pk for c in contacts if c.is_primary}
        self.customer_ids = [c.pk for c in customers]
        self.count("customers", len(customers))
        self.count("contacts", len(contacts))

    # --- Projects and their schedules -------------------------------------------------

    def plan_projects(self) -> list[_ProjectPlan]:
        """Choose every project's dates and status and run the engine on it. Durations
        aim at the remaining visit budget, so the total lands close to the target."""
        plans: list[_ProjectPlan] = []
        visits_left = self.scale.visits
        total = self.scale.projects
        for index in range(total):
            target = visits_left / (total - index)
            plan = self.plan_project(index, max(2.0, target))
            plans.append(plan)
            visits_left -= len(plan.visits)
            self.progress.update("planning projects", index + 1, total, final=index + 1 == total)
        return plans

    def plan_project(self, index: int, target_visits: float) -> _ProjectPlan:
        rng, today = self.rng, self.today
        cadence = Cadence.BIWEEKLY if rng.random() < 0.4 else Cadence.MONTHLY
        step = 14 if cadence == Cadence.BIWEEKLY else 30.4
        start = today - int(rng.triangular(0, 3 * 365, 3 * 365)) * DAY  # older is likelier
        if rng.random() < 0.03:
            start = today + rng.randint(1, 60) * DAY  # not started yet
        days = max(20, int((target_visits - 1.5) * step * rng.uniform(0.6, 1.4)))
        open_ended = rng.random() < 0.05
        planned_end = None if open_ended else start + days * DAY
        status, actual_start, actual_end = ProjectStatus.PLANNED, None, None
        holds: list[HoldPeriod] = []
        cancelled_on = None
        if start <= today:
            actual_start = min(today, start + rng.randint(0, 3) * DAY)
            status = ProjectStatus.ACTIVE
            if planned_end is not None and planned_end < today - 7 * DAY:
                if rng.random() < 0.08:
                    span = max(1, (planned_end - actual_start).days)
                    cancelled_on = actual_start + rng.randint(1, span) * DAY
                    status = ProjectStatus.CANCELLED
                else:
                    status = ProjectStatus.COMPLETED
                    actual_end = planned_end + rng.randint(-14, 21) * DAY
                    actual_end = max(actual_start, min(today, actual_end))
            elif rng.random() < 0.07 and (today - actual_start).days > 10:
                status = ProjectStatus.ON_HOLD
                held = rng.randint(5, min(90, (today - actual_start).days - 1))
                holds.append(HoldPeriod(today - held * DAY, None))
            ran = (min(today, actual_end or today) - actual_start).days
            if status != ProjectStatus.CANCELLED and not holds and ran > 120 and rng.random() < 0.1:
                hold_start = actual_start + rng.randint(30, ran - 80) * DAY
                holds.append(HoldPeriod(hold_start, hold_start + rng.randint(14, 60) * DAY))
        spec = ProjectSpec(
            planned_start=start,
            planned_end=planned_end,
            actual_start=actual_start,
            actual_end=actual_end,
            # A cancelled project's visits were planned while it was running.
            status=ProjectStatus.ACTIVE if cancelled_on else status,
            cadence=cadence,
            holds=tuple(holds),
        )
        planned = plan_visits(
            spec,
            self.context.spec,
            today=cancelled_on or today,
            is_working_day=self.context.calendar.is_working_day,
        )
        customer_id = rng.choice(self.customer_ids)
        created = _at(start - rng.randint(7, 40) * DAY, 10)
        project = Project(
            code=f"BEN-{index + 1:05d}",
            name=f"{rng.choice(SYSTEMS)} {index + 1:05d}",
            customer_id=customer_id,
            manager_id=rng.choice(self.pms),
            department=rng.choice(DEPARTMENTS),
            description="Benchmark project",
            status=status.value,
            cadence=cadence.value,
            planned_start=start,
            planned_end=planned_end,
            actual_start=actual_start,
            actual_end=actual_end,
            policy=self.policy,
            created_at=created,
            updated_at=created,
        )
        members = rng.sample(self.members, min(len(self.members), rng.randint(1, 3)))
        hold_rows = [
            ProjectHold(started_on=h.start, ended_on=h.end, reason="Customer paused the work")
            for h in holds
        ]
        outcomes = [self.outcome(visit, cancelled_on) for visit in planned]
        return _ProjectPlan(project, members, hold_rows, outcomes, cancelled_on)

    def outcome(
        self, visit: PlannedVisit, cancelled_on: datetime.date | None
    ) -> tuple[PlannedVisit, str, datetime.date | None]:
        """What became of a visit by today: done (some late), missed, overdue, open."""
        if cancelled_on is not None and visit.due_date >= cancelled_on:
            return visit, "cancelled", None
        result = self._outcome(visit)
        if cancelled_on is not None and result[1] == "planned":
            return visit, "cancelled", None  # cancelling the project cancelled it
        return result

    def _outcome(self, visit: PlannedVisit) -> tuple[PlannedVisit, str, datetime.date | None]:
        rng, today, due = self.rng, self.today, visit.due_date
        if due < today - self.grace * DAY:
            if rng.random() < 0.08:
                return visit, "missed", None
            if rng.random() < 0.15:  # late
                return visit, "done", min(today, due + rng.randint(1, 10) * DAY)
            early = min(rng.randint(0, 4), (due - visit.window_start).days)
            return visit, "done", due - early * DAY
        if due < today:
            if rng.random() < 0.55:
                return visit, "done", min(today, due + rng.randint(0, 3) * DAY)
            return visit, ("scheduled" if rng.random() < 0.4 else "planned"), None
        if due <= today + 14 * DAY and rng.random() < 0.5:
            return visit, "scheduled", None
        return visit, "planned", None

    def write_projects(self, plans: list[_ProjectPlan]) -> None:
        projects = [plan.project for plan in plans]
        Project.objects.bulk_create(projects, batch_size=BATCH)
        Membership.objects.bulk_create(
            [Membership(project=p.project, user_id=u) for p in plans for u in p.members],
            batch_size=BATCH,
        )
        holds = []
        for plan in plans:
            for hold in plan.holds:
                hold.project = plan.project
                holds.append(hold)
        ProjectHold.objects.bulk_create(holds, batch_size=BATCH)
        through = Project.default_contacts.through
        through.objects.bulk_create(
            [
                through(project_id=p.pk, contact_id=self.primary_contact[p.customer_id])
                for p in projects
            ],
            batch_size=BATCH,
        )
        self.team = {p.project.pk: (p.project.manager_id, p.members) for p in plans}
        self.count("projects", len(projects))
        self.count("holds", len(holds))

    # --- Visits and what they found ---------------------------------------------------

    def write_visits(self, plans: list[_ProjectPlan]) -> None:
        """Per chunk of projects: visits, records, problems, feedback, actions. The
        per-record quotas are spread over the chunks so the totals are exact."""
        total_records = sum(1 for p in plans for _, status, _ in p.visits if status == "done")
        targets = {
            "problems": self.scale.problems,
            "feedback": self.scale.feedback,
            "actions": self.scale.actions,
        }
        done_records = 0
        chunk = 250
        for first in range(0, len(plans), chunk):
            part = plans[first : first + chunk]
            records = self.write_visit_chunk(part)
            before, done_records = done_records, done_records + len(records)
            quotas = {
                name: round(target * done_records / total_records)
                - round(target * before / total_records)
                for name, target in targets.items()
            }
            self.write_findings(records, quotas)
            self.progress.update(
                "visits, records and findings",
                min(first + chunk, len(plans)),
                len(plans),
                final=first + chunk >= len(plans),
            )

    def write_visit_chunk(self, plans: list[_ProjectPlan]) -> list[VisitRecord]:
        rng, today = self.rng, self.today
        visits: list[Visit] = []
        for plan in plans:
            manager, members = self.team[plan.project.pk]
            for planned, status, completed in plan.visits:
                owner = manager if rng.random() < 0.6 else rng.choice(members)
                when = completed or planned.due_date
                created = plan.project.created_at
                visit = Visit(
                    project=plan.project,
                    phase=planned.phase.value,
                    sequence=planned.sequence,
                    window_start=planned.window_start,
                    due_date=planned.due_date,
                    status=status,
                    owner_id=owner,
                    completed_on=completed,
                    policy_version=self.context.version,
                    created_at=created,
                    updated_at=_at(min(when, today), 18) if status != "planned" else created,
                )
                if status in {"done", "scheduled"}:
                    visit.scheduled_at = _at(when, 10 if status == "done" else 14)
                    visit.form = _weighted(rng, FORMS)
                if status == "cancelled":
                    visit.cancel_reason = "Project cancelled"
                visits.append(visit)
        Visit.objects.bulk_create(visits, batch_size=BATCH)
        through = Visit.contacts.through
        through.objects.bulk_create(
            [
                through(visit_id=v.pk, contact_id=self.primary_contact[v.project.customer_id])
                for v in visits
                if v.status in {"done", "scheduled"}
            ],
            batch_size=BATCH,
        )
        records = [self.record_for(v) for v in visits if v.status == "done"]
        # Some overdue visits have a draft record someone started and did not finish.
        drafts = [
            self.record_for(v, draft=True)
            for v in visits
            if v.status in {"planned", "scheduled"} and v.due_date < today and rng.random() < 0.1
        ]
        VisitRecord.objects.bulk_create(records + drafts, batch_size=BATCH)
        self.count("visits", len(visits))
        self.count("records", len(records) + len(drafts))
        return records

    def record_for(self, visit: Visit, *, draft: bool = False) -> VisitRecord:
        rng, project = self.rng, visit.project
        on = visit.completed_on or self.today
        start = project.actual_start or project.planned_start
        end = project.actual_end or project.planned_end
        planned = planned_percent(start=start, end=end, on=on)
        actual = None if planned is None else max(0, min(100, planned + rng.randint(-15, 8)))
        variance = schedule_variance_days(start=start, end=end, on=on, percent_complete=actual)
        schedule = "on_track"
        if variance is not None and variance > 3:
            schedule = "ahead"
        elif variance is not None and variance < -3:
            schedule = "behind"
        checklist = {key: rng.random() < 0.95 for key in self.checklist.get(visit.phase, [])}
        stamp = _at(on, 18)
        return VisitRecord(
            visit=visit,
            status="draft" if draft else "submitted",
            work_completed="完成了本阶段的开发与联调测试。" if not draft else "",
            work_outstanding="剩余的接口对接和用户培训。" if not draft else "",
            schedule_status="" if draft else schedule,
            percent_complete=actual,
            planned_percent=planned,
            variance_days=variance,
            checklist=checklist,
            summary="" if draft else "客户认可当前进度，提出了若干改进意见。",
            recorded_by_id=visit.owner_id or project.manager_id,
            submitted_at=None if draft else stamp,
            created_at=stamp,
            updated_at=stamp,
        )

    def write_findings(self, records: list[VisitRecord], quotas: dict[str, int]) -> None:
        rng, today = self.rng, self.today
        if not records:
            return
        problems = []
        for record in rng.choices(records, k=quotas["problems"]):
            visit = record.visit
            resolved = (today - (visit.completed_on or today)).days > 45 and rng.random() < 0.85
            problems.append(
                Problem(
                    project_id=visit.project_id,
                    record=record,
                    category=rng.choice(CATEGORIES),
                    severity=_weighted(
                        rng, (("low", 30), ("medium", 45), ("high", 20), ("critical", 5))
                    ),
                    description="接口响应缓慢，客户希望尽快优化。",
                    raised_by="customer" if rng.random() < 0.6 else "team",
                    status="resolved" if resolved else "open",
                    resolution="已优化并经客户确认。" if resolved else "",
                    created_at=_stamp(record),
                )
            )
        Problem.objects.bulk_create(problems, batch_size=BATCH)
        feedback = []
        for record in rng.sample(records, min(len(records), quotas["feedback"])):
            visit = record.visit
            score = _weighted(rng, SATISFACTION)
            low, high = NPS_BY_SCORE[score]

            def around(score: int = score) -> int:
                return max(1, min(5, score + rng.choice((-1, 0, 0, 0, 1))))

            feedback.append(
                Feedback(
                    project_id=visit.project_id,
                    visit=visit,
                    record=record,
                    respondent_id=self.primary_contact[visit.project.customer_id],
                    overall_satisfaction=score,
                    quality_satisfaction=around(),
                    schedule_satisfaction=around(),
                    communication_satisfaction=around(),
                    service_satisfaction=around(),
                    likelihood_to_recommend=rng.randint(low, high),
                    evaluation="整体满意。" if score >= 4 else "进度需要加快。",
                    suggestions="希望加强沟通频率。" if rng.random() < 0.3 else "",
                    requirement_changes="新增报表需求。" if rng.random() < 0.1 else "",
                    received_on=visit.completed_on or today,
                    created_at=_stamp(record),
                )
            )
        Feedback.objects.bulk_create(feedback, batch_size=BATCH)
        self.count("problems", len(problems))
        self.count("feedback", len(feedback))
        self.write_actions(records, problems, feedback, quotas["actions"])

    def write_actions(
        self,
        records: list[VisitRecord],
        problems: list[Problem],
        feedback: list[Feedback],
        quota: int,
    ) -> None:
        rng, today = self.rng, self.today
        # Later records of each project, by date: where an action's effect is verified.
        by_project: dict[int, list[VisitRecord]] = {}
        for record in records:
            by_project.setdefault(record.visit.project_id, []).append(record)
        dates: dict[int, list[datetime.date]] = {}
        for project_id, rows in by_project.items():
            rows.sort(key=lambda r: (r.visit.completed_on or today, r.pk))
            dates[project_id] = [r.visit.completed_on or today for r in rows]
        actions: list[ImprovementAction] = []
        verdicts: list[tuple[int, VisitRecord, str, datetime.date | None]] = []
        for _ in range(quota):
            kind = rng.random()
            problem = rng.choice(problems) if kind < 0.55 and problems else None
            fb = rng.choice(feedback) if 0.55 <= kind < 0.7 and feedback else None
            found = problem.record if problem else fb.record if fb else None
            record = found or rng.choice(records)
            visit = record.visit
            raised = visit.completed_on or today
            manager, members = self.team[visit.project_id]
            due = raised + rng.randint(14, 45) * DAY
            action = ImprovementAction(
                project_id=visit.project_id,
                origin="problem" if problem else "feedback" if fb else "visit",
                record=record,
                problem=problem,
                feedback=fb,
                description="优化系统性能并与客户确认效果。",
                owner_id=manager if rng.random() < 0.3 else rng.choice(members),
                due_date=due,
                status="open",
                created_by_id=record.recorded_by_id,
                created_at=_stamp(record),
                updated_at=_stamp(record),
            )
            old = (today - due).days > 30
            roll = rng.random()
            if roll < (0.93 if old else 0.4):
                action.done_on = min(today, raised + rng.randint(3, (due - raised).days + 10) * DAY)
                action.done_note = "已完成。"
                action.status = "done"
                later = by_project[visit.project_id]
                after = bisect.bisect_right(dates[visit.project_id], action.done_on)
                if after < len(later) and rng.random() < 0.95:
                    verifier = later[after]
                    on = verifier.visit.completed_on or today
                    if rng.random() < 0.93:
                        action.status, action.closed_on = "verified_effective", on
                        verdicts.append((len(actions), verifier, "effective", None))
                    else:
                        action.status, action.due_date = "reopened", on + 21 * DAY
                        verdicts.append((len(actions), verifier, "not_effective", on + 21 * DAY))
            elif roll < (0.97 if old else 0.75):
                action.status, action.progress_note = "in_progress", "正在推进。"
            action.updated_at = _at(min(today, action.closed_on or action.done_on or raised), 18)
            actions.append(action)
        ImprovementAction.objects.bulk_create(actions, batch_size=BATCH)
        ActionVerification.objects.bulk_create(
            [
                ActionVerification(
                    action=actions[index],
                    record=verifier,
                    result=result,
                    note="回访验证。",
                    new_due_date=new_due,
                    verified_by_id=verifier.recorded_by_id,
                    verified_on=verifier.visit.completed_on or today,
                )
                for index, verifier, result, new_due in verdicts
            ],
            batch_size=BATCH,
        )
        self.count("actions", len(actions))
        self.count("verifications", len(verdicts))


def seed_bench_data(
    scale: str, *, today: datetime.date | None = None, progress: Progress | None = None
) -> SeedSummary:
    """Build the benchmark data set of ``scale`` into an empty database."""
    return BenchSeeder(SCALES[scale], today=today, progress=progress).run()
