"""A realistic bilingual demo company (``huifang demo``).

Everything with a workflow is made through the real services (projects, holds,
visits, records, actions, verifications), so the demo can only contain states the
product itself can reach, and it exercises those services end to end. Users have no
service of their own and are created directly.

Every event happens at its own time: the builder runs each step of a story under a
controlled clock (:mod:`huifang.demo.clock`) set to the moment the step happened, so
the timestamps the services write (records submitted, actions raised and closed,
surveys sent, opened and answered, notifications, history rows) spread over the past
year as in a company that has used the product for one. The clock never runs ahead of
the real time, and after the demo ``timezone.now()`` is the real time again.

Dates are relative to today and the random choices use fixed seeds, so whenever the
demo is built there are overdue visits, visits falling due soon, late and missed
visits, and improvement actions in every state. The few things the home page and the
tests rely on (an overdue and a due-soon visit owned by a member, one action in each
state) are made explicitly rather than left to chance.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Model, ProtectedError, RestrictedError
from django.utils import timezone
from simple_history.models import HistoricalChanges

from huifang.actions.models import OPEN_ACTION_STATUSES, ActionStatus, ImprovementAction
from huifang.actions.services import (
    create_action,
    mark_action_done,
    update_action_progress,
)
from huifang.core.models import Role, User
from huifang.customers.models import Contact, Customer
from huifang.customers.services import create_customer
from huifang.demo.clock import SetClock, controlled_clock
from huifang.insights.services import (
    acknowledge_policy,
    answer_suggestion,
    create_meeting,
    create_review,
    create_suggestion,
    create_training_session,
)
from huifang.policy.services import ensure_default_policy
from huifang.projects.models import Project
from huifang.projects.services import (
    cancel_project,
    complete_project,
    create_project,
    put_project_on_hold,
    resume_project,
)
from huifang.surveys.models import SurveyInvitation
from huifang.surveys.questionnaires import ensure_default_questionnaire
from huifang.surveys.services import (
    invite_contacts,
    record_opened,
    send_survey_reminders,
    submit_survey_response,
)
from huifang.visits.lifecycle import book_visit, create_adhoc_visit, mark_visit_missed
from huifang.visits.models import Visit, VisitRecord, VisitStatus
from huifang.visits.recording import planned_percent, save_visit_record, submit_visit_record

SEED = 20240917
DEFAULT_DEMO_PASSWORD = "huifang-demo"  # noqa: S105 - the documented demo login
DEMO_USERNAMES = ("admin", "quality", "pm1", "pm2", "member1", "member2", "exec")
DAY = datetime.timedelta(days=1)
# Open visits due this recently are left open (overdue) rather than recorded or
# missed: the nightly sweep would only mark them missed after the policy's grace days.
RECENT_DAYS = 13
# The day (from today) the demo company set the product up: before its oldest project.
SETUP_DAY = -350
# The share of ongoing visits after which the manager sends the customer a survey.
ONGOING_SURVEY_SHARE = 0.35


def demo_exists() -> bool:
    return User.objects.filter(username="pm1").exists()


def has_domain_data() -> bool:
    return Customer.objects.exists() or Project.objects.exists()


def reset_demo_data() -> None:
    """Delete every row of every Huifang model except users, then the demo users.

    Models are found from the app registry, so data of apps added later goes too;
    a model still protected by another's rows is retried after the others. History
    tables go last: deleting the other rows writes their "deleted" history, which
    would otherwise survive into the rebuilt demo, dated the moment of the reset."""
    models = [
        model
        for model in apps.get_models()
        if model.__module__.startswith("huifang.") and model is not User
    ]
    with transaction.atomic():
        _delete_rows([m for m in models if not issubclass(m, HistoricalChanges)])
        _delete_rows([m for m in models if issubclass(m, HistoricalChanges)])
        User.objects.filter(username__in=DEMO_USERNAMES).delete()


def _delete_rows(pending: list[type[Model]]) -> None:
    while pending:
        left = []
        for model in pending:
            try:
                with transaction.atomic():
                    model._default_manager.all().delete()
            except (ProtectedError, RestrictedError):
                left.append(model)
        if len(left) == len(pending):
            raise RuntimeError(f"cannot delete {[m.__name__ for m in left]}")
        pending = left


@dataclass(frozen=True)
class _Plan:
    code: str
    name: str
    customer: int
    manager: str
    members: tuple[str, ...]
    cadence: str
    start: int  # days from today
    end: int | None  # days from today; None: open-ended
    story: str = "active"  # active | planned | hold_resume | on_hold | completed | cancelled
    events: tuple[int, ...] = ()  # days from today: hold [, resume] | actual end | cancel
    showcase: str = ""  # the member who owns this project's overdue and due-soon visit
    forced: tuple[tuple[str, int, str], ...] = ()  # (phase, sequence, "late" | "missed")


# fmt: off
PLANS = (
    _Plan("HDJM-MES", "华东精密 MES 系统实施", 0, "pm1", ("member1", "member2"), "biweekly",
          -180, 120, showcase="member1", forced=(("kickoff", 1, "late"),)),
    _Plan("HDJM-WMS", "华东精密仓储管理系统升级", 0, "pm1", ("member1",), "monthly",
          -320, -70, "completed", (-65,)),
    _Plan("YF-CRM", "云帆科技 CRM 定制开发", 1, "pm1", ("member1",), "monthly",
          -240, 90, "hold_resume", (-150, -110), forced=(("ongoing", 1, "late"),)),
    _Plan("KN-QMS", "康宁医疗质量管理系统", 2, "pm1", ("member2",), "biweekly", -90, 150),
    _Plan("NW-ERP", "Northwind ERP integration", 4, "pm1", ("member1",), "monthly",
          -300, 60, forced=(("ongoing", 2, "missed"),)),
    _Plan("TF-TMS", "天府物流运输管理系统", 3, "pm1", ("member1", "member2"), "biweekly",
          -200, 100, "on_hold", (-30,)),
    _Plan("HB-POS", "Harbor Bay point-of-sale rollout", 5, "pm1", ("member2",), "monthly",
          5, 200, "planned"),
    _Plan("YF-DATA", "云帆科技数据中台运维服务", 1, "pm1", ("member1",), "monthly", -150, None),
    _Plan("KN-LIS", "康宁医疗实验室信息系统", 2, "pm2", ("member2", "member1"), "biweekly",
          -120, 60, showcase="member2"),
    _Plan("TF-WH2", "天府物流智能仓储二期", 3, "pm2", ("member2",), "biweekly",
          -270, 60, "completed", (-40,), forced=(("ongoing", 3, "missed"),)),
    _Plan("HB-TRACE", "Harbor Bay food-safety traceability", 5, "pm2", ("member2",),
          "monthly", -45, 240),
    _Plan("NW-BI", "Northwind BI dashboards", 4, "pm2", ("member1",), "monthly",
          -150, 120, "cancelled", (-90,)),
    _Plan("HDJM-IOT", "华东精密设备物联网平台", 0, "pm2", ("member2",), "biweekly", -20, 160),
    _Plan("YF-APP", "云帆科技移动办公应用", 1, "pm2", ("member2",), "monthly", -60, 180),
    _Plan("TF-BI", "天府物流运营数据分析平台", 3, "pm2", ("member1",), "biweekly",
          30, 210, "planned"),
)
# fmt: on
# The project where a recent ad-hoc visit shows one action in every state.
ACTION_SHOWCASE = "YF-APP"


@dataclass
class DemoSummary:
    users: int
    customers: int
    contacts: int
    projects: int
    visits: Counter[str]
    records: int
    actions: Counter[str]


def build_demo(*, today: datetime.date | None = None) -> DemoSummary:
    """Build the demo company into an empty database (see ``huifang demo``)."""
    with transaction.atomic(), controlled_clock() as clock:
        builder = _Builder(today or timezone.localdate(), clock)
        builder.build()
    return demo_summary()


def demo_summary() -> DemoSummary:
    return DemoSummary(
        users=User.objects.count(),
        customers=Customer.objects.count(),
        contacts=Contact.objects.count(),
        projects=Project.objects.count(),
        visits=Counter(Visit.objects.values_list("status", flat=True)),
        records=VisitRecord.objects.count(),
        actions=Counter(ImprovementAction.objects.values_list("status", flat=True)),
    )


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


class _Builder:
    def __init__(self, today: datetime.date, clock: SetClock) -> None:
        self.today = today
        self.clock = clock
        self.users: dict[str, User] = {}
        self.customers: list[tuple[Customer, list[Contact], str]] = []
        self.raised_on: dict[int, datetime.date] = {}  # action → day its work (re)started

    def day(self, offset: int) -> datetime.date:
        return self.today + datetime.timedelta(days=offset)

    def at(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        """What follows happens on ``day`` at ``hour:minute`` (or now, if that is later
        than now: the clock never runs ahead of the real time)."""
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
        return self.clock.set(moment)

    # --- People and customers ---------------------------------------------------------

    def build(self) -> None:
        # The company set the product up a little before its oldest project started.
        self.at(self.day(SETUP_DAY), 9)
        self.policy = ensure_default_policy()
        version = self.policy.versions.filter(status="published").order_by("-number").first()
        self.grace_days = version.missed_grace_days if version is not None else 14
        ensure_default_questionnaire()
        self.make_users()
        self.make_customers()
        for plan in PLANS:
            self.make_project(plan)
        self.action_showcase()
        self.survey_answers()
        self.evaluation_showcase()
        self.clock.release()

    def make_users(self) -> None:
        # One hash for all: hashing is deliberately slow and the demo has seven users.
        password = make_password(settings.HUIFANG_DEMO_PASSWORD)
        joined = self.at(self.day(SETUP_DAY), 10)
        for username, name, role, department in USERS:
            superuser = role == Role.ADMIN
            self.users[username] = User.objects.create(
                username=username,
                password=password,
                display_name=name,
                role=role,
                department=department,
                email=f"{username}@huifang.example.com",
                is_staff=superuser,
                is_superuser=superuser,
                date_joined=joined,  # a model default, bound before the clock was set
            )

    def make_customers(self) -> None:
        for number, (company, *people) in enumerate(CUSTOMERS):
            # Each customer is entered a month before its first project starts.
            first = min(plan.start for plan in PLANS if plan.customer == number)
            self.at(self.day(max(first - 30, SETUP_DAY)), 11)
            name, industry, address, language = company.split("|")
            rows: list[tuple[None, dict[str, Any]]] = []
            for index, person in enumerate(people):
                contact_name, title, phone, email, wechat, channel = person.split("|")
                values = {
                    "name": contact_name,
                    "title": title,
                    "phone": phone,
                    "email": email,
                    "wechat_id": wechat,
                    "preferred_channel": channel,
                    "language": language,
                    "is_primary": index == 0,
                }
                rows.append((None, values))
            customer = create_customer(name=name, industry=industry, address=address, contacts=rows)
            contacts = list(customer.contacts.order_by("-is_primary", "pk"))
            self.customers.append((customer, contacts, "zh" if language == "zh-hans" else "en"))

    # --- Projects -----------------------------------------------------------------------

    def make_project(self, plan: _Plan) -> None:
        rng = random.Random(f"{SEED}:{plan.code}")
        customer, contacts, lang = self.customers[plan.customer]
        manager = self.users[plan.manager]
        team = [manager, *(self.users[name] for name in plan.members)]
        started = plan.story != "planned"
        start = self.day(plan.start)
        # Entered two weeks before it starts (a project starting soon: today). Planned
        # as of today all the same: the nightly re-plan would have rolled it forward.
        self.at(min(start - 14 * DAY, self.today), 14)
        project, _ = create_project(
            code=plan.code,
            name=plan.name,
            customer=customer,
            manager=manager,
            department=manager.department,
            description=DESCRIPTION[lang] % {"customer": customer.name},
            status="active" if started else "planned",
            cadence=plan.cadence,
            planned_start=start,
            planned_end=self.day(plan.end) if plan.end is not None else None,
            actual_start=start + rng.randint(0, 2) * DAY if started else None,
            policy=self.policy,
            members=team[1:],
            default_contacts=contacts[:1],
            today=self.today,
        )
        story = _Story(self, plan, project, team, contacts, lang, rng)
        # Each event is told on its own day, after the visits that fell due before it;
        # the services return the changed project, which the story goes on with.
        first = self.day(plan.events[0]) if plan.events else self.today
        if plan.events:
            story.run_until(first)
            self.at(first, 18)
        if plan.story in {"hold_resume", "on_hold"}:
            project, _ = put_project_on_hold(project=project, reason=HOLD_REASON[lang], today=first)
            if plan.story == "hold_resume":
                resumed = self.day(plan.events[1])
                self.at(resumed, 9)
                project, _ = resume_project(project=project, today=resumed)
        elif plan.story == "completed":
            project, _ = complete_project(project=project, actual_end=first, today=first)
        elif plan.story == "cancelled":
            cancel_project(project=project, today=first)
            return
        story.project = project
        story.run_until(self.today)
        story.advance_actions(self.today + DAY)
        self.at(self.day(-1), 16)  # this week's appointments were made yesterday
        if plan.showcase:
            story.showcase_member_visits(self.users[plan.showcase])
        elif project.status == "active":
            story.book_next(rng.random() < 0.6)

    def survey_answers(self) -> None:
        """Customers open the survey a day or more after it was sent and most answer a
        few days later; some open it and never answer, some never open it (once past
        the policy's expiry those are expired), and a survey sent in the last days may
        simply not be answered yet; those still unanswered after the policy's reminder
        days are reminded once. The first answer to a closing visit's survey is
        unhappy (a detractor: the manager gets an action and a notification)."""
        rng = random.Random(f"{SEED}:surveys")
        unhappy_given = False
        invitations = SurveyInvitation.objects.filter(responded_at__isnull=True).order_by(
            "sent_at", "pk"
        )
        for invitation in invitations.select_related("visit"):
            sent = timezone.localtime(invitation.sent_at)
            fate = rng.choices(("answered", "opened", "ignored"), (70, 12, 18))[0]
            opened = sent.date() + rng.randint(0, 3) * DAY
            answered = opened + rng.randint(0, 4) * DAY
            if fate == "ignored" or opened > self.today:
                continue
            self.at(opened, rng.choice((8, 12, 20)), rng.randint(0, 59))
            record_opened(invitation=invitation)
            if fate == "opened" or answered > self.today:
                continue
            unhappy = not unhappy_given and invitation.visit.phase == "closing"
            unhappy_given |= unhappy
            answers = {
                "overall": 2 if unhappy else rng.choice((4, 5, 5)),
                "quality": 3 if unhappy else rng.choice((4, 5)),
                "schedule": 2 if unhappy else rng.choice((3, 4, 5)),
                "communication": 3 if unhappy else 5,
                "service": 3 if unhappy else rng.choice((4, 5)),
                "recommend": 4 if unhappy else rng.choice((8, 9, 10)),
                "evaluation": "上线后报表速度明显变慢。"
                if unhappy
                else "系统运行稳定，团队响应及时。",
                "suggestions": "希望尽快安排性能优化。" if unhappy else "希望增加移动端报表。",
            }
            # Answered the same evening it was opened, or on a later day.
            self.at(answered, 21 if answered == opened else 10, rng.randint(0, 59))
            submit_survey_response(invitation=invitation, answers=answers, language="zh-hans")
        # The nightly job reminds whoever has not answered after the policy's reminder
        # days: run on each such day, in order, as it would have run then.
        reminder_days = {
            timezone.localdate(sent) + days * DAY
            for sent, days in SurveyInvitation.objects.filter(responded_at__isnull=True)
            .exclude(sent_at=None)
            .values_list("sent_at", "reminder_days")
        }
        for day in sorted(reminder_days):
            if day <= self.today:
                self.at(day, 8)
                send_survey_reminders(today=day)

    def evaluation_showcase(self) -> None:
        """Section six of the policy at work: a quarterly review with its meeting,
        staff who acknowledged the policy, a training session and suggestions."""
        quality, pm1, pm2 = self.users["quality"], self.users["pm1"], self.users["pm2"]
        members = [self.users["member1"], self.users["member2"]]
        quarter_end = self.day(-1)
        # This morning the quality manager reviews the quarter that ended yesterday
        # and files the minutes of the summary meeting held two days ago with it.
        self.at(self.today, 9)
        review = create_review(
            title="季度回访效果评估 / Quarterly follow-up review",
            period_start=quarter_end - datetime.timedelta(days=90),
            period_end=quarter_end,
            created_by=quality,
            findings="按时回访率低于目标；结束阶段回访的客户满意度较高。",
            decisions="进行阶段回访统一提前三天提醒；项目经理每周检查逾期回访。",
            today=self.today,
        )
        create_meeting(
            date=self.day(-2),
            title="回访工作总结会议 / Follow-up summary meeting",
            minutes="讨论逾期回访的原因及改进措施的落实情况。",
            attendees=[quality, pm1, pm2, *members],
            created_by=quality,
            review=review,
        )
        version = self.policy.versions.filter(status="published").order_by("-number").first()
        if version is not None:
            for days, user in zip((-345, -343, -330), (quality, pm1, members[0]), strict=True):
                self.at(self.day(days), 16)
                acknowledge_policy(user=user, version=version)
        self.at(self.day(-29), 10)  # entered the morning after the session
        create_training_session(
            date=self.day(-30),
            topic="回访制度培训 / Follow-up policy training",
            trainer=quality,
            scores={pm1: 92, pm2: 85, members[0]: 88, members[1]: 76},
        )
        self.at(self.day(-75), 15)
        answered = create_suggestion(
            policy=self.policy,
            author=members[0],
            text="电话回访后希望能直接生成回访记录草稿。",
        )
        self.at(self.day(-68), 11)
        answer_suggestion(
            suggestion=answered,
            status="adopted",
            response="已采纳，将在下一版制度中说明。",
            answered_by=quality,
        )
        self.at(self.day(-12), 17)
        create_suggestion(
            policy=self.policy,
            author=pm2,
            text="Monthly visits are too frequent for maintenance projects.",
        )

    def action_showcase(self) -> None:
        """A recent ad-hoc visit on one project that leaves an action in each state:
        verified effective, reopened, done (awaiting verification), in progress, open."""
        project = Project.objects.get(code=ACTION_SHOWCASE)
        manager, member = project.manager, self.users["member2"]
        lang = "zh"
        # Raised at a meeting two weeks ago and done three days ago (one step each).
        self.at(self.day(-17), 10)
        raised_at_meeting = [
            create_action(
                project=project,
                description=description,
                owner=member,
                due_date=self.day(-3),
                created_by=manager,
                origin="meeting",
            )
            for description in MEETING_ACTIONS
        ]
        self.at(self.day(-3), 17)
        meeting = [
            mark_action_done(action=action, note=DONE_NOTE[lang], done_on=self.day(-3))
            for action in raised_at_meeting
        ]
        self.at(self.day(-6), 9)
        visit = create_adhoc_visit(project=project, due_date=self.day(-1), owner=member)
        book_visit(visit=visit, scheduled_at=_at(self.day(-1), 15), form="online")
        problems = [
            {"category": category, "severity": severity, "description": description}
            for category, severity, description in SHOWCASE_PROBLEMS
        ]
        self.at(self.day(-1), 17)
        record = save_visit_record(
            visit=visit,
            recorded_by=member,
            fields={
                "work_completed": SHOWCASE_WORK,
                "schedule_status": "on_track",
                "summary": SHOWCASE_SUMMARY,
            },
            problems=problems,
            feedback={"overall_satisfaction": 4, "likelihood_to_recommend": 8},
            actions=[
                {
                    "description": description,
                    "owner": owner,
                    "due_date": self.day(days),
                    "problem_index": index,
                }
                for index, (description, owner, days) in enumerate(
                    zip(SHOWCASE_ACTIONS, (member, manager, member), (9, 12, 20), strict=True)
                )
            ],
            verifications=[
                {"action": meeting[0], "result": "effective", "note": VERDICT[lang]["effective"]},
                {
                    "action": meeting[1],
                    "result": "not_effective",
                    "note": VERDICT[lang]["not_effective"],
                    "new_due_date": self.day(14),
                },
            ],
        )
        self.at(self.day(-1), 18)
        submit_visit_record(record=record, submitted_by=member, completed_on=self.day(-1))
        raised = list(record.actions.order_by("pk"))
        # The manager asks the customer about it straight away: a survey still open.
        self.at(self.day(-1), 19)
        invite_contacts(visit=visit, contacts=list(visit.contacts.all()), invited_by=manager)
        self.at(self.today, 9)
        mark_action_done(action=raised[0], note=DONE_NOTE[lang], done_on=self.today)
        update_action_progress(action=raised[1], note=PROGRESS_NOTE[lang])


class _Story:
    """One project's history, told visit by visit up to today."""

    def __init__(
        self,
        builder: _Builder,
        plan: _Plan,
        project: Project,
        team: list[User],
        contacts: list[Contact],
        lang: str,
        rng: random.Random,
    ) -> None:
        self.b, self.plan, self.project, self.team = builder, plan, project, team
        self.contacts, self.lang, self.rng = contacts, lang, rng
        self.forced = {(phase, sequence): outcome for phase, sequence, outcome in plan.forced}
        # Its own generator: who is surveyed leaves the rest of the story as it was.
        self.survey_rng = random.Random(f"{SEED}:{plan.code}:surveys")

    def run_until(self, until: datetime.date) -> None:
        """Settle every open visit due before ``until``: done (some late), missed, or
        (when recent) still open and overdue."""
        today = self.b.today
        visits = Visit.objects.filter(
            project=self.project, status__in=[VisitStatus.PLANNED], due_date__lt=until
        ).order_by("due_date", "pk")
        for visit in visits:
            forced = self.forced.get((visit.phase, visit.sequence or 0))
            recent = (today - visit.due_date).days <= RECENT_DAYS
            if recent and (self.plan.showcase or self.rng.random() < 0.5):
                continue
            if forced == "missed" or (not forced and not recent and self.rng.random() < 0.06):
                # The nightly sweep marks it once the policy's grace days have passed.
                self.b.at(visit.due_date + (self.b.grace_days + 1) * DAY, 2)
                mark_visit_missed(visit=visit)
                continue
            late = forced == "late" or (not forced and self.rng.random() < 0.18)
            if late:
                completed = visit.due_date + self.rng.randint(1, 6) * DAY
            else:
                early = min(self.rng.randint(0, 4), (visit.due_date - visit.window_start).days)
                completed = visit.due_date - early * DAY
            self.record(visit, min(completed, today, max(until - DAY, visit.window_start)))

    def record(self, visit: Visit, on: datetime.date) -> None:
        rng, lang = self.rng, self.lang
        self.advance_actions(on)
        owner = rng.choice(self.team[1:]) if rng.random() < 0.45 else self.team[0]
        others = [person for person in self.team if person != owner]
        hour = rng.choice((9, 10, 14, 15))
        self.b.at(on - 3 * DAY, 11)  # the appointment is made a few days ahead
        book_visit(
            visit=visit,
            scheduled_at=_at(on, hour),
            form=rng.choices(("face_to_face", "phone", "online", "email"), (5, 3, 3, 1))[0],
            owner=owner,
            contacts=self.contacts[: rng.randint(1, len(self.contacts))],
            participants=others[:1],
        )
        content = record_content(
            rng=rng,
            lang=lang,
            phase=visit.phase,
            planned=planned_percent(start=self.project.start, end=self.project.end, on=on),
            team=self.team,
            on=on,
            respondent=self.contacts[0],
        )
        verifications = self.verdicts(on)
        self.b.at(on, hour + 2)  # written up after the visit, submitted an hour later
        record = save_visit_record(
            visit=visit, recorded_by=owner, verifications=verifications, **content
        )
        self.b.at(on, hour + 3)
        record = submit_visit_record(record=record, submitted_by=owner, completed_on=on)
        for action in record.actions.all():
            self.b.raised_on[action.pk] = on
        # Closing visits invite the customer by themselves (the policy's survey phase);
        # after some ongoing visits the manager asks the main contact too, next morning.
        if visit.phase == "ongoing" and self.survey_rng.random() < ONGOING_SURVEY_SHARE:
            self.b.at(on + DAY, 9, 30)
            invite_contacts(visit=visit, contacts=self.contacts[:1], invited_by=self.team[0])

    def advance_actions(self, before: datetime.date) -> None:
        """Between visits, owners work on their actions: some get done, some start."""
        for action in ImprovementAction.objects.filter(
            project=self.project, status__in=OPEN_ACTION_STATUSES
        ).order_by("pk"):
            started = self.b.raised_on.get(action.pk, before)
            last = min(before - DAY, self.b.today)
            if started >= last:
                continue
            roll = self.rng.random()
            if roll < 0.5:
                done_on = started + self.rng.randint(1, (last - started).days) * DAY
                self.b.at(done_on, 17)
                mark_action_done(action=action, note=DONE_NOTE[self.lang], done_on=done_on)
            elif roll < 0.8 and action.status != ActionStatus.IN_PROGRESS:
                # Work starts the day after the action was raised (a later "done" is
                # never before it: done_on is drawn from the day after on).
                self.b.at(started + DAY, 10)
                update_action_progress(action=action, note=PROGRESS_NOTE[self.lang])

    def verdicts(self, on: datetime.date) -> list[dict[str, Any]]:
        """The visit looks at the actions done since earlier visits."""
        verdicts: list[dict[str, Any]] = []
        for action in ImprovementAction.objects.filter(
            project=self.project, status__in=[ActionStatus.DONE, ActionStatus.IN_PROGRESS]
        ).order_by("pk"):
            roll = self.rng.random()
            if action.status == ActionStatus.IN_PROGRESS:
                if roll < 0.15:
                    verdicts.append(
                        {
                            "action": action,
                            "result": "not_yet",
                            "note": VERDICT[self.lang]["not_yet"],
                        }
                    )
            elif action.done_on is not None and action.done_on <= on:
                result = "effective" if roll < 0.7 else "not_effective" if roll < 0.9 else "not_yet"
                verdict = {"action": action, "result": result, "note": VERDICT[self.lang][result]}
                if result == "not_effective":
                    verdict["new_due_date"] = on + 21 * DAY
                    self.b.raised_on[action.pk] = on
                verdicts.append(verdict)
        return verdicts

    def book_next(self, wanted: bool, owner: User | None = None) -> Visit | None:
        """Make an appointment for the next visit falling due within two weeks."""
        today = self.b.today
        visit = (
            Visit.objects.filter(
                project=self.project,
                status=VisitStatus.PLANNED,
                due_date__gte=today,
                due_date__lte=today + 14 * DAY,
            )
            .order_by("due_date")
            .first()
        )
        if visit is None or not wanted:
            return visit
        day = max(today, visit.due_date - self.rng.randint(0, 2) * DAY)
        return book_visit(
            visit=visit,
            scheduled_at=_at(day, 15),
            form=self.rng.choice(("face_to_face", "phone", "online")),
            owner=owner,
        )

    def showcase_member_visits(self, member: User) -> None:
        """Give ``member`` an overdue visit and one falling due soon on this project,
        whatever today's calendar made of the plan."""
        today = self.b.today
        overdue = (
            Visit.objects.filter(project=self.project, due_date__lt=today)
            .filter(status__in=[VisitStatus.PLANNED, VisitStatus.SCHEDULED])
            .order_by("-due_date")
            .first()
        )
        if overdue is None:
            overdue = create_adhoc_visit(
                project=self.project, due_date=today - 4 * DAY, owner=member
            )
        book_visit(
            visit=overdue, scheduled_at=_at(overdue.due_date, 10), form="face_to_face", owner=member
        )
        if self.book_next(True, owner=member) is None:
            soon = create_adhoc_visit(project=self.project, due_date=today + 6 * DAY, owner=member)
            book_visit(visit=soon, scheduled_at=_at(soon.due_date, 10), form="phone")


# --- Content --------------------------------------------------------------------------
# Chinese customers get Chinese records, English-speaking ones English records, as a
# real team would write them. Contacts: name|title|phone|e-mail|WeChat|channel.

USERS = (
    ("admin", "系统管理员", Role.ADMIN, "信息部"),
    ("quality", "陈静", Role.QUALITY, "质量与客服部"),
    ("pm1", "王磊", Role.PROJECT_MANAGER, "交付一部"),
    ("pm2", "李娜", Role.PROJECT_MANAGER, "交付二部"),
    ("member1", "张伟", Role.MEMBER, "交付一部"),
    ("member2", "刘洋", Role.MEMBER, "交付二部"),
    ("exec", "赵敏", Role.EXECUTIVE, "总经理办公室"),
)
CUSTOMERS = (
    (
        "华东精密制造有限公司|制造业|江苏省苏州市工业园区星湖街 328 号|zh-hans",
        "周建国|信息化总监|13913572468|zhou.jg@hdjm.example.cn|zhoujg_hd|wechat",
        "孙丽|生产部经理|13862001357|sun.li@hdjm.example.cn|sunli_0512|phone",
        "吴涛|仓储主管|13771234590|wu.tao@hdjm.example.cn||phone",
    ),
    (
        "深圳云帆科技有限公司|软件与信息服务|广东省深圳市南山区科苑路 15 号|zh-hans",
        "黄志强|运营副总裁|13823456789|huang.zq@yunfan.example.cn|hzq_yunfan|wechat",
        "林晓燕|产品经理|13528889012|lin.xy@yunfan.example.cn|linxy_sz|email",
    ),
    (
        "北京康宁医疗器械有限公司|医疗器械|北京市大兴区天华大街 9 号|zh-hans",
        "郑华|质量部部长|13601112233|zheng.hua@kangning.example.cn|zhenghua|face_to_face",
        "马超|检验科主任|13910203040|ma.chao@kangning.example.cn||phone",
    ),
    (
        "成都天府物流集团有限公司|物流|四川省成都市双流区物流大道 88 号|zh-hans",
        "杨帆|信息中心主任|13880011223|yang.fan@tianfu.example.cn|yangfan_tf|wechat",
    ),
    (
        "Northwind Trading Ltd.|Wholesale|12 Harbour Road, Wan Chai, Hong Kong|en",
        "Emily Carter|Head of IT|+852 5123 4567|emily.carter@northwind.example.com||email",
        "James Wong|Finance Controller|+852 6234 5678|james.wong@northwind.example.com|jw_nw|phone",
    ),
    (
        "Harbor Bay Foods Inc.|Food and beverage|450 Market Street, San Francisco|en",
        "Olivia Martinez|VP Operations|+1 415 555 0142|olivia.m@harborbay.example.com||email",
        "Daniel Kim|Quality Manager|+1 415 555 0187|daniel.kim@harborbay.example.com||phone",
        "Sophie Chen|Store Lead|+1 415 555 0163|s.chen@harborbay.example.com|sc_hb|wechat",
    ),
)
WORK = {
    ("kickoff", "zh"): ["召开启动会，确认项目目标、范围和里程碑，明确对接人和周例会机制。"],
    ("kickoff", "en"): [
        "Kickoff held: goals, scope and milestones agreed; contacts named, weekly call set up."
    ],
    ("ongoing", "zh"): [
        "完成需求调研与蓝图设计，客户关键用户确认了业务流程。",
        "完成核心功能开发与内部测试，已部署到客户测试环境。",
        "完成第一轮用户验收测试，发现的问题已全部登记跟踪。",
        "完成历史数据迁移演练，数据一致性校验通过。",
        "完成关键用户培训，编写了操作手册初稿。",
        "完成与客户现有系统的接口联调，主流程已跑通。",
    ],
    ("ongoing", "en"): [
        "Requirements workshops and blueprint done; key users confirmed the processes.",
        "Core features built and tested, deployed to the customer's test environment.",
        "First round of acceptance testing done; every issue is logged and tracked.",
        "Rehearsed the data migration; the consistency checks passed.",
        "Trained the key users and drafted the user manual.",
        "Integration with the customer's existing systems works end to end.",
    ],
    ("closing", "zh"): ["系统已正式上线并稳定运行，客户签署验收报告，项目资料已移交。"],
    ("closing", "en"): ["Live and stable; the customer signed the acceptance report."],
}
OUTSTANDING = {
    "zh": [
        "性能测试和上线切换方案待完成。",
        "部分报表口径待客户确认。",
        "第二批用户培训待安排。",
        "生产环境部署窗口待客户 IT 确认。",
    ],
    "en": [
        "Performance testing and the cut-over plan are still to do.",
        "Some report definitions await the customer's confirmation.",
        "The second round of user training is not yet scheduled.",
        "The production deployment window awaits the customer's IT.",
    ],
}
SUMMARY = {
    ("ahead", "zh"): "进度略有超前，客户对团队效率表示认可。",
    ("on_track", "zh"): "项目按计划推进，双方沟通顺畅。",
    ("behind", "zh"): "进度有所滞后，已与客户商定追赶计划。",
    ("ahead", "en"): "Slightly ahead of plan; the customer praised the team's pace.",
    ("on_track", "en"): "On plan; communication with the customer is good.",
    ("behind", "en"): "Behind plan; a catch-up plan was agreed with the customer.",
}
# category: problem|action in Chinese, problem|action in English
PROBLEMS = (
    (
        "scope",
        "客户提出新增报表需求，超出合同范围。|整理新增需求清单并走变更评审流程。",
        "The customer asked for reports beyond the contract.|Take them through change control.",
    ),
    (
        "schedule",
        "第三方接口文档延迟提供，影响联调进度。|与第三方约定文档交付日期并每周跟踪。",
        "The vendor's interface documents came late.|Agree a date with the vendor; track weekly.",
    ),
    (
        "quality",
        "测试中发现数据同步偶发不一致。|增加对账脚本并每日巡检同步结果。",
        "Testing found occasional data mismatches.|Add a daily reconciliation job and check it.",
    ),
    (
        "resources",
        "客户关键用户因业务繁忙无法全程参加培训。|安排晚间补充培训并录制培训视频。",
        "Key users missed training sessions.|Run evening catch-up sessions and record them.",
    ),
    (
        "communication",
        "项目周报未及时同步给客户管理层。|周报抄送客户管理层，并在周例会上逐项确认。",
        "Management did not get the weekly report.|Copy management and review it in the call.",
    ),
    (
        "technical",
        "旧系统数据库版本过低，数据迁移需要额外转换。|编写数据转换工具并演练两次。",
        "The legacy database needs an extra conversion.|Write a converter; rehearse it twice.",
    ),
    (
        "other",
        "客户办公地点搬迁，现场工作暂停一周。|调整现场计划，能远程完成的改为远程。",
        "An office move paused on-site work for a week.|Re-plan; do remote work meanwhile.",
    ),
    (
        "quality",
        "部分页面在客户的旧版浏览器上显示异常。|完成兼容性修复并在客户电脑上逐一验证。",
        "Some pages break in the customer's old browser.|Fix them and check on the customer's PCs.",
    ),
)
EVALUATION = {
    ("high", "zh"): "团队响应及时，交付质量令人满意。",
    ("mid", "zh"): "整体进展尚可，但沟通频率有待提高。",
    ("low", "zh"): "进度滞后较多，希望加强资源投入。",
    ("high", "en"): "The team responds quickly and the quality is good.",
    ("mid", "en"): "Acceptable progress, but we would like to hear from you more often.",
    ("low", "en"): "Progress is well behind; please put more people on it.",
}
SUGGESTIONS = {
    "zh": [
        "希望提供更详细的操作手册。",
        "建议每两周做一次功能演示。",
        "希望上线前安排全员培训。",
        "",
    ],
    "en": ["A more detailed user manual, please.", "A demo every two weeks would help.", ""],
}


REQUIREMENT_CHANGE = {
    "zh": "希望增加移动端审批功能。",
    "en": "We would like approvals on mobile too.",
}
FEEDBACK_ACTION = {
    "zh": "根据客户建议优化操作流程并更新操作手册。",
    "en": "Streamline the steps the customer found cumbersome; update the manual.",
}
RESOLUTION = {"zh": "已处理，客户确认。", "en": "Handled; the customer confirmed."}
DONE_NOTE = {
    "zh": "已按计划完成，相关记录已归档。",
    "en": "Carried out as planned; evidence filed.",
}
PROGRESS_NOTE = {"zh": "正在实施，已完成约一半。", "en": "Under way, about half done."}
VERDICT = {
    "zh": {
        "effective": "回访确认问题已解决，客户认可。",
        "not_effective": "问题仍有复发，需要重新制定措施。",
        "not_yet": "尚在实施中，下次回访再确认。",
    },
    "en": {
        "effective": "Checked at the visit: resolved, and the customer agrees.",
        "not_effective": "The problem came back; the measure needs rework.",
        "not_yet": "Still under way; check again at the next visit.",
    },
}
HOLD_REASON = {"zh": "客户组织架构调整，项目暂停。", "en": "Paused while the customer reorganises."}
DESCRIPTION = {"zh": "为%(customer)s实施的信息化项目。", "en": "An IT project for %(customer)s."}
MEETING_ACTIONS = ("建立客户问题响应时限，并每周通报处理情况。", "为客户 IT 部门提供系统运维培训。")
SHOWCASE_WORK = "临时回访：客户管理层要求复盘近期的沟通问题与消息推送故障。"
SHOWCASE_SUMMARY = "双方就改进措施达成一致，下周跟进。"
SHOWCASE_PROBLEMS = (
    ("communication", "medium", "客户反映需求变更的确认流程不清晰。"),
    ("technical", "high", "消息推送在部分安卓机型上延迟。"),
    ("resources", "low", "客户测试人员本月请假较多。"),
)
SHOWCASE_ACTIONS = (
    "制定需求变更确认流程并请客户确认。",
    "排查安卓推送延迟并发布修复版本。",
    "与客户协调测试人员排班。",
)
CHECKLIST = {
    "kickoff": ("goals_confirmed", "plan_confirmed"),
    "closing": ("results_accepted", "lessons_learned"),
}
RECOMMEND = {5: (9, 10), 4: (7, 9), 3: (5, 7), 2: (2, 6), 1: (0, 4)}


def record_content(
    *,
    rng: random.Random,
    lang: str,
    phase: str,
    planned: int | None,
    team: list[User],
    on: datetime.date,
    respondent: Contact,
) -> dict[str, Any]:
    """What a visit found: progress, problems, feedback and actions (most records
    have all four sections; a quiet visit has no problems and no actions)."""
    if phase == "closing":
        percent: int | None = 100
    elif planned is None:
        percent = None
    else:
        percent = max(0, min(100, planned + rng.randint(-12, 6)))
    gap = 0 if percent is None or planned is None else percent - planned
    status = "ahead" if gap >= 4 else "behind" if gap <= -5 else "on_track"
    fields = {
        "work_completed": rng.choice(WORK[phase, lang]),
        "work_outstanding": "" if phase == "closing" else rng.choice(OUTSTANDING[lang]),
        "schedule_status": status,
        "percent_complete": percent,
        "summary": SUMMARY[status, lang],
        "checklist": {key: rng.random() < 0.9 for key in CHECKLIST.get(phase, ())},
    }
    problems: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    quiet = rng.random() < 0.15
    for category, zh, en in [] if quiet else rng.sample(PROBLEMS, rng.randint(1, 2)):
        problem, action = (zh if lang == "zh" else en).split("|")
        resolved = rng.random() < 0.35
        problems.append(
            {
                "category": category,
                "severity": rng.choices(("low", "medium", "high", "critical"), (3, 5, 3, 1))[0],
                "description": problem,
                "raised_by": rng.choice(("customer", "customer", "team")),
                "status": "resolved" if resolved else "open",
                "resolution": RESOLUTION[lang] if resolved else "",
            }
        )
        if not resolved or rng.random() < 0.3:
            actions.append(
                {
                    "description": action,
                    "owner": rng.choice(team),
                    "due_date": on + rng.randint(10, 30) * DAY,
                    "problem_index": len(problems) - 1,
                }
            )
    feedback = None
    if rng.random() < 0.9:
        overall = rng.choices((5, 4, 3, 2, 1), (38, 44, 11, 5, 2))[0]
        level = "high" if overall >= 4 else "mid" if overall == 3 else "low"
        feedback = {
            "respondent": respondent,
            "overall_satisfaction": overall,
            "likelihood_to_recommend": rng.randint(*RECOMMEND[overall]),
            "evaluation": EVALUATION[level, lang],
            "suggestions": rng.choice(SUGGESTIONS[lang]),
            "requirement_changes": REQUIREMENT_CHANGE[lang] if rng.random() < 0.1 else "",
            **{
                f"{name}_satisfaction": max(1, min(5, overall + rng.choice((-1, 0, 0, 1))))
                for name in ("quality", "schedule", "communication", "service")
            },
        }
        if feedback["suggestions"] and not quiet and rng.random() < 0.2:
            actions.append(
                {
                    "description": FEEDBACK_ACTION[lang],
                    "owner": rng.choice(team),
                    "due_date": on + rng.randint(14, 30) * DAY,
                    "from_feedback": True,
                }
            )
    return {"fields": fields, "problems": problems, "feedback": feedback, "actions": actions}
