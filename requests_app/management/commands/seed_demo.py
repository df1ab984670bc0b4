"""Create demo data: four departments with people and catalogs, and ~200 requests with 60 days of history.

Why it exists: whoever tries the app (``manage.py up`` runs this on an empty
database) should land in a desk that looks lived-in: queues with work in every
state, conversations with internal notes, history, and logins for every role.

Every request is filed and worked through ``requests_app.services`` so that
numbering, events and history are what the app itself produces; afterwards
its timestamps are moved into the past with queryset ``update()`` (fine for a
seed command), keeping filed < replies < resolved < closed. Catalog and people
use ``get_or_create`` and requests are only added when the demo departments
have none, so running it again creates and changes nothing. Notifications are
switched off while seeding (see ``Command.handle``).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property, partial
from typing import Any
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from departments import config_version
from departments.models import (
    CannedResponse,
    Department,
    EmploymentType,
    Membership,
    Profile,
    Role,
    Service,
    ServiceField,
    SLAPolicy,
    SLATarget,
)
from departments.permissions import forget_memberships
from requests_app import clocks, extensions, services
from requests_app.models import Comment, Notification, RequestEvent, ServiceRequest, Status
from requests_app.services.sweep import sla_sweep

from ._demo_data import (
    ADMIN,
    AGENT_FOLLOW_UPS,
    ASSIGNMENT,
    CANNED,
    CONTRACTORS,
    CUSTOMER_DEPARTMENTS,
    DEMO_PASSWORD,
    EMPLOYEES,
    EMPTY,
    FIRST_REPLIES,
    FOLLOW_UPS,
    HOMES,
    POLICIES,
    READERS,
    REOPENS,
    STATUS_FIELDS,
    STATUS_MIX,
    TEAMS,
    TRANSFER_REASON,
    WITHDRAWALS,
    Offer,
    T,
    Team,
)


def _no_notification(*args: Any, **kwargs: Any) -> None:
    """Stands in for ``notifications.notification_create`` while seeding:
    demo data is history, not news."""


def login_rows() -> list[tuple[str, str]]:
    """(username, role) of the demo logins worth printing, in the order a visitor needs them."""
    rows = [("employee", "employee (files requests)"), ("contractor", "contractor (external, files requests)")]
    for team in TEAMS:
        rows += [(f"{team.slug}.lead", f"{team.name} lead (triages, assigns)")]
        rows += [(f"{team.slug}.agent{i}", f"{team.name} agent (works the queue)") for i in (1, 2)]
    return [*rows, ("admin", "Django admin (superuser)")]


@dataclass
class Crew:
    team: Team
    department: Department
    lead: AbstractBaseUser
    agents: list[AbstractBaseUser]
    services: list[tuple[Service, Offer]] = field(default_factory=list)


class Command(BaseCommand):
    help = "Create demo departments, people, services and ~200 requests with history (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=200, help="How many demo requests (default 200).")
        parser.add_argument("--logins-only", action="store_true", help="Only print the demo logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["logins_only"]:
            # Demo data is history, not news: the services would enqueue one email per filing, reply and
            # resolution (hundreds) to addresses at example.com. Nothing is enqueued while seeding.
            with (
                transaction.atomic(),
                mock.patch("requests_app.services.notifications.notification_create", _no_notification),
            ):
                seeder = Seeder(random.Random(42))  # fixed seed: the same demo data on every machine
                seeder.people_and_catalog()
                seeder.requests(options["requests"])
                if seeder.created["requests"]:
                    seeder.rebuild_sla_history()
                    seeder.triage_examples()
                    seeder.extension_examples()
                seeder.triage_setup()
            made = ", ".join(f"{n} {what}" for what, n in seeder.created.items() if n)
            self.stdout.write(
                f"Demo data created: {made}." if made else "Demo data was already there; nothing changed."
            )
        self.print_logins()

    def print_logins(self) -> None:
        """Only users that still look like demo users (demo email) are listed, so a real install lies about no one."""
        emails = {row[0]: row[3] for row in (*EMPLOYEES, ADMIN)}
        emails |= {username: f"{username}@example.com" for username, _ in login_rows() if username not in emails}
        existing = set(get_user_model().objects.filter(username__in=emails).values_list("username", "email").distinct())
        rows = [(u, role) for u, role in login_rows() if (u, emails[u]) in existing]
        if not rows:
            return
        self.stdout.write(f'Demo logins (every password is "{DEMO_PASSWORD}"):')
        for username, role in rows:
            self.stdout.write(f"  {username:<19}{role:<40}{DEMO_PASSWORD}")
        others = [u for u, *_ in EMPLOYEES[2:] if (u, emails[u]) in existing]
        if others:
            self.stdout.write(f"  More employees: {', '.join(others)}")


class Seeder:
    """Builds the demo data; ``created`` counts what was new, so a second run can say it changed nothing."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.now = timezone.now()
        self.created: Counter[str] = Counter()
        self.crews: list[Crew] = []
        self.employees: list[AbstractBaseUser] = []
        self.last_reference: dict[int, str] = {}

    @cached_property
    def password_hash(self) -> str:
        # One hash for all: the password is "demo" for everyone anyway, and hashing two dozen times
        # with the production hasher would take seconds.
        return make_password(DEMO_PASSWORD)

    def user(self, username: str, first: str, last: str, email: str, **flags: Any) -> AbstractBaseUser:
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": email, **flags}
        )
        if created:
            user.password = self.password_hash
            user.save(update_fields=["password"])
            self.created["people"] += 1
        return user

    def tally(self, what: str, created: bool) -> None:
        self.created[what] += int(created)

    def people_and_catalog(self) -> None:
        self.user(*ADMIN, is_staff=True, is_superuser=True)
        self.employees = [self.user(*row) for row in EMPLOYEES]
        policies = {}
        for name, (description, targets) in POLICIES.items():
            policy, created = SLAPolicy.objects.get_or_create(name=name, defaults={"description": description})
            self.tally("SLA policies", created)
            for priority, (first, resolution) in targets.items():
                _, created = SLATarget.objects.get_or_create(
                    policy=policy,
                    priority=priority,
                    defaults={"first_response_minutes": first, "resolution_minutes": resolution},
                )
                self.tally("SLA targets", created)
            policies[name] = policy
        for team in TEAMS:
            department, created = Department.objects.get_or_create(
                slug=team.slug,
                defaults={
                    "name": team.name,
                    "reference_prefix": team.prefix,
                    "description": team.description,
                    "default_sla_policy": policies["Standard"],
                },
            )
            self.tally("departments", created)
            names = [f"{team.slug}.lead", f"{team.slug}.agent1", f"{team.slug}.agent2"]
            people = [
                self.user(u, first, last, f"{u}@example.com")
                for u, (first, last) in zip(names, team.people, strict=True)
            ]
            for person, role in zip(people, (Role.LEAD, Role.AGENT, Role.AGENT), strict=True):
                _, created = Membership.objects.get_or_create(
                    user=person, department=department, defaults={"role": role}
                )
                self.tally("memberships", created)
                forget_memberships(person)
            crew = Crew(team, department, people[0], people[1:])
            for offer in team.offers:
                service, created = Service.objects.get_or_create(
                    department=department,
                    slug=offer.slug,
                    defaults={
                        "name": offer.name,
                        "description": offer.description,
                        "what_you_get": offer.what_you_get,
                        "what_to_provide": offer.what_to_provide,
                        "default_priority": offer.priority,
                        "requester_priority_limit": offer.requester_limit,
                        "sla_policy": policies["Urgent"] if offer.urgent else None,
                    },
                )
                self.tally("services", created)
                for position, spec in enumerate(offer.fields):
                    _, created = ServiceField.objects.get_or_create(
                        service=service,
                        name=spec.name,
                        defaults={
                            "label": spec.label,
                            "field_type": spec.type,
                            "required": spec.required,
                            "help_text": spec.help,
                            "choices": spec.choices,
                            "position": position,
                        },
                    )
                    self.tally("form fields", created)
                crew.services.append((service, offer))
            self.crews.append(crew)
        self.profiles()

    def profiles(self) -> None:
        """Everyone's home department: staff work where they serve, employees in the customer departments."""
        homes: dict[str, Department] = {}
        for slug, name, prefix, description in CUSTOMER_DEPARTMENTS:
            department, created = Department.objects.get_or_create(
                slug=slug, defaults={"name": name, "reference_prefix": prefix, "description": description}
            )
            self.tally("departments", created)
            homes[slug] = department
        homes |= {crew.team.slug: crew.department for crew in self.crews}
        people = [(user, HOMES.get(user.username)) for user in self.employees]
        people += [(person, crew.team.slug) for crew in self.crews for person in (crew.lead, *crew.agents)]
        for user, home in people:
            if home is None:
                continue
            employment = EmploymentType.CONTRACTOR if user.username in CONTRACTORS else EmploymentType.EMPLOYEE
            language, zone = READERS.get(user.username, ("", ""))
            _, created = Profile.objects.get_or_create(
                user=user,
                defaults={"department": homes[home], "employment": employment, "language": language, "time_zone": zone},
            )
            self.tally("profiles", created)

    def triage_setup(self) -> None:
        """Assignment rules and canned responses, set after the history so they shape only new requests."""
        for crew in self.crews:
            slug = crew.team.slug
            rule = ASSIGNMENT.get(slug)
            if rule and self.created["requests"]:  # only on the run that creates the demo: admins may change it
                Department.objects.filter(pk=crew.department.pk).update(assignment_rule=rule)
                if rule == "by_service":
                    for index, (service, _) in enumerate(crew.services):
                        person = crew.agents[index % len(crew.agents)]
                        Service.objects.filter(pk=service.pk, default_assignee=None).update(default_assignee=person)
                config_version.bump()  # update() sends no signal; running processes keep services
            for title, body in CANNED.get(slug, ()):
                _, created = CannedResponse.objects.get_or_create(
                    department=crew.department, title=title, defaults={"body": body}
                )
                self.tally("canned responses", created)

    def triage_examples(self) -> None:
        """A colleague following one of Anna's requests, and a request passed from HR to Finance."""
        anna = self.employees[0]
        watched = ServiceRequest.objects.filter(requester=anna, status__in=(Status.NEW, Status.OPEN)).first()
        if watched is not None:
            services.watcher_add(service_request=watched, user=self.employees[2], by=anna)
        crews = {crew.team.slug: crew for crew in self.crews}
        hr, finance = crews.get("hr"), crews.get("finance")
        if hr is None or finance is None:
            return
        moving = (
            ServiceRequest.objects.filter(department=hr.department, status=Status.OPEN)
            .exclude(requester__memberships__department=finance.department)  # nobody serves their own request
            .order_by("-id")
            .first()
        )
        if moving is not None:
            services.request_transfer(
                service_request=moving, to_service=finance.services[0][0], by=hr.lead, reason=TRANSFER_REASON
            )

    def extension_examples(self) -> None:
        """What the apps built on the core add to the demo (the feedback loop: ratings, thanks, an
        assessment and the dashboards' summaries), over the seeded history and with the same generator."""
        for extension in extensions.registered():
            made = extension.seed_demo(now=self.now, rng=self.rng, departments=[c.department for c in self.crews])
            for what, count in made.items():
                self.created[what] += count

    def requests(self, count: int) -> None:
        """File ``count`` requests in order of their (past) filing time, so numbers rise with time."""
        if ServiceRequest.objects.filter(department__in=[c.department for c in self.crews]).exists():
            return
        rng = self.rng
        statuses = list(STATUS_MIX)
        plans = []
        for i in range(count):
            # The first six cover every status, so even a small --requests shows the whole workflow.
            status = statuses[i] if i < len(statuses) else rng.choices(statuses, [m[0] for m in STATUS_MIX.values()])[0]
            _, low, high = STATUS_MIX[status]
            filed_at = self.office_hours(self.now - timedelta(days=rng.uniform(low, high)))
            crew = rng.choice(self.crews)
            plans.append((filed_at, i, status, crew, rng.choice(crew.services), self.requester(crew)))
        for filed_at, _, status, crew, (service, offer), requester in sorted(plans, key=lambda p: p[:2]):
            self.one_request(filed_at, status, crew, service, offer, requester)
        self.created["requests"] += count

    def rebuild_sla_history(self) -> None:
        """Clocks as the engine would have kept them over the backdated history.

        Then one sweep at seeding time records what fell due in the past
        (warnings, breaches, reminders); those messages are marked as history,
        not sent, so the first start of the app does not mail a backlog.
        """
        demo = ServiceRequest.objects.filter(department__in=[c.department for c in self.crews])
        requests = list(demo.prefetch_related("events"))
        config = clocks.SLAConfig({sr.service_id for sr in requests})
        for sr in requests:
            clocks.replay(sr, sr.events.all(), config)
        ServiceRequest.objects.bulk_update(requests, clocks.CLOCK_FIELDS, batch_size=200)
        with mock.patch("requests_app.enqueue.notification_delivery"):
            sla_sweep(now=self.now)
        Notification.objects.filter(request__in=demo, sent_at__isnull=True, send_after__lte=self.now).update(
            sent_at=self.now, recipients="(demo history, not sent)"
        )

    def office_hours(self, moment: datetime) -> datetime:
        """The same working day (weekends move to Friday) between 8:00 and 18:00, and never in the future."""
        local = timezone.localtime(moment)
        local -= timedelta(days=max(0, local.weekday() - 4))
        filed_at = local.replace(hour=self.rng.randint(8, 17), minute=self.rng.randint(0, 59))
        if filed_at > self.now - timedelta(minutes=10):
            filed_at = self.now - timedelta(minutes=self.rng.uniform(10, 120))
        return filed_at

    def requester(self, crew: Crew) -> AbstractBaseUser:
        """Mostly employees (the primary demo login often); a quarter are staff of other departments."""
        roll = self.rng.random()
        if roll < 0.1:
            return self.employees[0]
        if roll < 0.75:
            return self.rng.choice(self.employees)
        others = [c for c in self.crews if c is not crew]
        other = self.rng.choice(others)
        return self.rng.choice([other.lead, *other.agents])

    def values(self, offer: Offer, filed_at: datetime) -> dict[str, Any]:
        """Field values as the request form would store them; files are left empty (no demo attachments)."""
        rng = self.rng
        values: dict[str, Any] = {}
        for spec in offer.fields:
            if spec.type == T.FILE or (not spec.required and rng.random() < 0.4):
                values[spec.name] = EMPTY.get(spec.type, "")
            elif spec.type == T.CHOICE:
                values[spec.name] = rng.choice(spec.choices.splitlines())
            elif spec.type == T.MULTI_CHOICE:
                options = spec.choices.splitlines()
                picked = set(rng.sample(options, rng.randint(1, min(3, len(options)))))
                values[spec.name] = [o for o in options if o in picked]
            elif spec.type == T.CHECKBOX:
                values[spec.name] = rng.random() < 0.5
            elif spec.type == T.NUMBER:
                amount = round(rng.uniform(*spec.samples), 2)
                values[spec.name] = int(amount) if amount.is_integer() else amount
            elif spec.type == T.DATE:
                day = timezone.localtime(filed_at).date() + timedelta(days=rng.randint(*spec.samples))
                values[spec.name] = day.isoformat()
            else:
                values[spec.name] = rng.choice(spec.samples)
        return values

    def one_request(
        self,
        filed_at: datetime,
        status: str,
        crew: Crew,
        service: Service,
        offer: Offer,
        requester: AbstractBaseUser,
    ) -> None:
        """File, play the script through the services, then move every timestamp to the simulated time.

        Times the services wrote are real (now); each step's events and comments are backdated right after it
        ran, and the request's own timestamps are mapped from the real value to the step that set it.
        """
        title, values = self.rng.choice(offer.titles), self.values(offer, filed_at)
        sr = services.request_file(service=service, requester=requester, title=title, values=values)
        steps = self.script(sr, status, crew, offer)
        available = (self.now - timedelta(minutes=2) - filed_at).total_seconds() / 60
        planned = sum(gap for gap, _ in steps)
        # A life longer than the time since filing is squeezed to end at a random moment before now,
        # not all at the same minute.
        scale = 1.0 if planned <= available else available * self.rng.uniform(0.4, 0.95) / planned
        seen: dict[datetime, datetime] = {}
        at = filed_at
        self.backdate(sr, at, seen)
        for gap, step in steps:
            at += timedelta(minutes=gap * scale)
            step()
            self.backdate(sr, at, seen)
        ServiceRequest.objects.filter(pk=sr.pk).update(
            created_at=filed_at,
            **{name: seen.get(value, at) if (value := getattr(sr, name)) else None for name in STATUS_FIELDS},
        )
        self.last_reference[crew.department.pk] = sr.reference

    def backdate(self, sr: ServiceRequest, at: datetime, seen: dict[datetime, datetime]) -> None:
        RequestEvent.objects.filter(request=sr, created_at__gte=self.now).update(created_at=at)
        Comment.objects.filter(request=sr, created_at__gte=self.now).update(created_at=at)
        for name in STATUS_FIELDS:
            value = getattr(sr, name)
            if value is not None and value >= self.now:
                seen.setdefault(value, at)

    def script(
        self, sr: ServiceRequest, status: str, crew: Crew, offer: Offer
    ) -> list[tuple[float, Callable[[], object]]]:
        """The request's life as (minutes after the previous step, service call) pairs ending in ``status``."""
        rng, requester, lead = self.rng, sr.requester, crew.lead
        worker = rng.choice(crew.agents) if rng.random() < 0.85 else lead
        ask, answer, note, resolution = offer.talk
        steps: list[tuple[float, Callable[[], object]]] = []

        def add(low: float, high: float, call: Callable[..., object], **kwargs: Any) -> None:
            steps.append((rng.uniform(low, high), partial(call, service_request=sr, **kwargs)))

        def say(low: float, high: float, author: AbstractBaseUser, body: str, internal: bool = False) -> None:
            add(low, high, services.comment_add, author=author, body=body, internal=internal)

        def reprioritise(by: AbstractBaseUser) -> None:
            choices = [p for p in ("low", "normal", "high", "high", "critical") if p != sr.priority]
            add(1, 60, services.request_change_priority, priority=rng.choice(choices), by=by)

        if status == Status.CANCELLED:
            if rng.random() < 0.5:
                say(30, 2880, requester, rng.choice(WITHDRAWALS))
                add(1, 2, services.request_cancel, by=requester)
            else:
                duplicate = self.last_reference.get(crew.department.pk)
                add(5, 240, services.request_claim, by=worker)
                why = f"a duplicate of {duplicate}; we continue there" if duplicate else "sorted out on the phone"
                say(1, 30, worker, f"Closing this: {why}.")
                add(1, 2, services.request_cancel, by=worker)
            return steps
        if status == Status.NEW:
            if rng.random() < 0.35:
                say(20, 600, requester, rng.choice(FOLLOW_UPS))
            if rng.random() < 0.2:
                say(10, 300, lead, "Triage: waiting for the agents' capacity tomorrow.", internal=True)
            if rng.random() < 0.15:
                reprioritise(lead)
            return steps
        if worker is not lead and rng.random() < 0.45:
            add(5, 240, services.request_assign, assignee=worker, by=lead)
        else:
            add(5, 240, services.request_claim, by=worker)
        if rng.random() < 0.2:
            reprioritise(rng.choice([lead, worker]))
        first = requester.first_name or requester.get_username()
        say(1, 120, worker, rng.choice(FIRST_REPLIES).format(first=first))
        if rng.random() < 0.35:
            say(10, 600, rng.choice([worker, lead]), note, internal=True)
        if status == Status.OPEN:
            if rng.random() < 0.4:
                say(30, 1440, requester, rng.choice(FOLLOW_UPS))
                say(15, 480, worker, rng.choice(AGENT_FOLLOW_UPS))
            return steps
        if status == Status.WAITING or rng.random() < 0.35:
            say(30, 600, worker, ask)
            add(0.5, 2, services.request_change_status, to_status=Status.WAITING, by=worker)
            if status == Status.WAITING:
                return steps
            say(60, 2880, requester, answer)  # the requester's answer puts the request back to open
        add(60, 4320, services.request_resolve, by=worker, resolution_note=resolution)
        if status == Status.RESOLVED:
            return steps
        if rng.random() < 0.1:
            say(60, 1440, requester, rng.choice(REOPENS))  # reopens the request
            say(15, 240, worker, f"Sorry about that, {first}. Looking at it again.")
            add(60, 1440, services.request_resolve, by=worker, resolution_note="Fixed properly this time.")
        add(1440, 7200, services.request_change_status, to_status=Status.CLOSED, by=worker)
        return steps
