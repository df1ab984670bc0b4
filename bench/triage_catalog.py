"""The catalog and the people of the triage benchmark, written through the ORM (a few thousand rows).

Eight departments on one business calendar and one SLA policy, forty services whose weights make a
few of them busy (IT's password resets and laptops take a quarter of all requests), and E employees
(1,000 at a million requests), each with a home department (``Profile``). The first employees of each
home department staff it: a lead and its agents. The last few employees who staff nothing file six
times as many requests as the others: the "employee with many requests" whose "My requests" is timed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time as clock_time

DEPARTMENT_SLUG_OF_LEAD = "it"

# The business minutes of the SLA policy per priority: (first response, resolution).
TARGETS = {"low": (960, 4800), "normal": (480, 2400), "high": (240, 960), "critical": (60, 480)}
LOCATIONS = ("Berlin", "Munich", "Hamburg", "London", "Vienna", "Remote")
FIRST_NAMES = (
    "Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hannes", "Ida", "Jonas", "Katrin", "Lukas",
    "Mia", "Noah", "Olga", "Paul", "Quentin", "Rosa", "Sven", "Tara", "Uwe", "Vera", "Wim", "Xenia", "Yusuf",
    "Zoe", "Amir", "Birgit", "Chen", "Dana", "Emil", "Fatma", "Georg", "Hana", "Igor", "Jana", "Kemal", "Lea",
    "Marek", "Nina",
)  # fmt: skip
LAST_NAMES = (
    "Becker", "Schmidt", "Novak", "Yilmaz", "Meyer", "Wagner", "Kowalski", "Rossi", "Hoffmann", "Schulz",
    "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Braun", "Hofmann", "Lange", "Weber", "Kaya",
    "Fischer", "Kraus", "Berger", "Nowak", "Huber", "Martin", "Dubois", "Santos", "Jansen", "Peters", "Vogel",
    "Frank", "Roth", "Beck", "Lorenz", "Baumann", "Franke", "Albrecht", "Simon",
)  # fmt: skip


@dataclass(frozen=True)
class DepartmentSpec:
    slug: str
    name: str
    prefix: str
    agents: int
    home_weight: int  # share of employees (percent) whose home department this is
    rule: str = "manual"


@dataclass(frozen=True)
class ServiceSpec:
    department: str
    slug: str
    name: str
    weight: int  # requests per thousand
    asset: bool = False  # asks for an asset tag


DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec("it", "IT", "IT", agents=14, home_weight=22),
    DepartmentSpec("facilities", "Facilities", "FAC", agents=5, home_weight=12),
    DepartmentSpec("hr", "HR", "HR", agents=5, home_weight=12),
    DepartmentSpec("finance", "Finance", "FIN", agents=4, home_weight=18),
    DepartmentSpec("procurement", "Procurement", "PROC", agents=3, home_weight=10),
    DepartmentSpec("legal", "Legal", "LEGAL", agents=2, home_weight=8),
    DepartmentSpec("security", "Security", "SEC", agents=3, home_weight=10),
    DepartmentSpec("travel", "Travel", "TRV", agents=3, home_weight=8, rule="round_robin"),
)
SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("it", "password-reset", "Password reset", 145),
    ServiceSpec("it", "laptop", "Laptop or desktop problem", 110, asset=True),
    ServiceSpec("it", "software", "Software installation", 80),
    ServiceSpec("it", "vpn", "VPN and remote access", 50),
    ServiceSpec("it", "printer", "Printer problem", 40, asset=True),
    ServiceSpec("facilities", "repair", "Desk or room repair", 60),
    ServiceSpec("facilities", "cleaning", "Cleaning request", 30),
    ServiceSpec("facilities", "room-equipment", "Meeting room equipment", 20, asset=True),
    ServiceSpec("facilities", "parking", "Parking permit", 15),
    ServiceSpec("facilities", "moving", "Moving desks", 15),
    ServiceSpec("hr", "certificate", "Employment certificate", 50),
    ServiceSpec("hr", "leave", "Leave question", 40),
    ServiceSpec("hr", "payslip", "Payslip question", 35),
    ServiceSpec("hr", "onboarding", "Onboarding a new hire", 20),
    ServiceSpec("hr", "address", "Address change", 15),
    ServiceSpec("finance", "expenses", "Expense claim", 60),
    ServiceSpec("finance", "invoice", "Invoice question", 25),
    ServiceSpec("finance", "purchase-card", "Purchase card", 10),
    ServiceSpec("finance", "budget-report", "Budget report", 8),
    ServiceSpec("finance", "travel-advance", "Travel advance", 7),
    ServiceSpec("procurement", "hardware", "Buy hardware", 25),
    ServiceSpec("procurement", "licence", "Software licence", 20),
    ServiceSpec("procurement", "supplies", "Office supplies", 12),
    ServiceSpec("procurement", "supplier", "New supplier", 8),
    ServiceSpec("procurement", "renewal", "Contract renewal", 5),
    ServiceSpec("legal", "contract-review", "Contract review", 15),
    ServiceSpec("legal", "nda", "Non-disclosure agreement", 12),
    ServiceSpec("legal", "data-protection", "Data protection question", 8),
    ServiceSpec("legal", "policy", "Policy question", 3),
    ServiceSpec("legal", "trademark", "Trademark question", 2),
    ServiceSpec("security", "badge-access", "Badge access", 20),
    ServiceSpec("security", "visitor", "Visitor pass", 10),
    ServiceSpec("security", "lost-badge", "Lost badge", 8),
    ServiceSpec("security", "incident", "Security incident", 5),
    ServiceSpec("security", "cctv", "CCTV footage", 2),
    ServiceSpec("travel", "trip", "Book a trip", 3),
    ServiceSpec("travel", "booking-change", "Change a booking", 2),
    ServiceSpec("travel", "visa-letter", "Visa letter", 2),
    ServiceSpec("travel", "hotel", "Hotel question", 2),
    ServiceSpec("travel", "rail-card", "Rail card", 1),
)
assert sum(s.weight for s in SERVICES) == 1000, "service weights are requests per thousand"
HEAVY_EXTRA_SLOTS = 5  # a heavy requester files (1 + this) times as many requests as anyone else


def employee_count(requests: int) -> int:
    """1,000 employees at a million requests, scaled down with N, but enough to staff every department."""
    return max(100, min(1000, round(1000 * requests / 1_000_000)))


def home_departments(employees: int) -> list[int]:
    """The index (into DEPARTMENTS) of each employee's home department, interleaved by weight."""
    total = sum(d.home_weight for d in DEPARTMENTS)
    counts = [employees * d.home_weight // total for d in DEPARTMENTS]
    for index in sorted(range(len(DEPARTMENTS)), key=lambda i: -DEPARTMENTS[i].home_weight)[: employees - sum(counts)]:
        counts[index] += 1
    keyed = [((k + 0.5) / count, index) for index, count in enumerate(counts) for k in range(count)]
    return [index for _, index in sorted(keyed)]


@dataclass
class Catalog:
    """Ids the SQL generator needs, and the people the scenarios sign in as."""

    department_ids: list[int] = field(default_factory=list)  # by index into DEPARTMENTS
    service_ids: list[int] = field(default_factory=list)  # by index into SERVICES
    employee_ids: list[int] = field(default_factory=list)
    employee_homes: list[int] = field(default_factory=list)  # department id per employee
    agents: dict[int, list[int]] = field(default_factory=dict)  # department index -> agent user ids
    lead_id: int = 0  # the lead of the busiest department (IT)
    heavy_ids: list[int] = field(default_factory=list)  # employees with many requests

    def requester_slots(self) -> list[tuple[int, int]]:
        """(user id, home department id) per slot: one slot per employee, more for the heavy ones."""
        slots = list(zip(self.employee_ids, self.employee_homes, strict=True))
        homes = dict(slots)
        return slots + [(uid, homes[uid]) for uid in self.heavy_ids for _ in range(HEAVY_EXTRA_SLOTS)]


def create_catalog(employees: int) -> Catalog:
    """Write the catalog, the people, their memberships, canned responses and the lead's saved views."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from departments import models as org
    from departments.services import calendar_compile
    from requests_app.models import SavedView

    calendar = org.BusinessCalendar.objects.create(name="Bench Mon-Fri 09-17", time_zone="Europe/Berlin")
    org.WorkingInterval.objects.bulk_create(
        org.WorkingInterval(calendar=calendar, weekday=day, start=clock_time(9), end=clock_time(17)) for day in range(5)
    )
    calendar_compile(calendar=calendar)
    policy = org.SLAPolicy.objects.create(name="Bench standard", warning_thresholds="75")
    org.SLATarget.objects.bulk_create(
        org.SLATarget(policy=policy, priority=p, first_response_minutes=fr, resolution_minutes=res)
        for p, (fr, res) in TARGETS.items()
    )
    departments = [
        org.Department.objects.create(
            name=d.name,
            slug=d.slug,
            reference_prefix=d.prefix,
            description=f"{d.name} for everyone at the company.",
            calendar=calendar,
            default_sla_policy=policy,
            assignment_rule=d.rule,
        )
        for d in DEPARTMENTS
    ]
    catalog = Catalog(department_ids=[d.pk for d in departments])
    index_of = {d.slug: i for i, d in enumerate(DEPARTMENTS)}
    for spec in SERVICES:
        service = org.Service.objects.create(
            department=departments[index_of[spec.department]],
            name=spec.name,
            slug=spec.slug,
            description=f"{spec.name}: tell us what you need and we take it from there.",
            what_you_get="An answer from the department within the promised time.",
        )
        fields = [
            org.ServiceField(
                service=service,
                name="location",
                label="Location",
                field_type=org.FieldType.CHOICE,
                required=True,
                choices="\n".join(LOCATIONS),
                position=0,
            ),
            org.ServiceField(
                service=service, name="details", label="Details", field_type=org.FieldType.LONG_TEXT, position=1
            ),
        ]
        if spec.asset:
            fields.append(
                org.ServiceField(service=service, name="asset_tag", label="Asset tag", required=True, position=2)
            )
        org.ServiceField.objects.bulk_create(fields)
        catalog.service_ids.append(service.pk)

    homes = home_departments(employees)
    password = make_password(None)  # nobody signs in with a password: the bench uses force_login and tokens
    users = get_user_model().objects.bulk_create(
        get_user_model()(
            username=f"bench-{n:04d}",
            first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
            last_name=LAST_NAMES[(n * 7) % len(LAST_NAMES)],
            email=f"bench-{n:04d}@example.invalid",
            password=password,
        )
        for n in range(1, employees + 1)
    )
    catalog.employee_ids = [u.pk for u in users]
    catalog.employee_homes = [departments[h].pk for h in homes]
    kinds = ("employee",) * 17 + ("contractor", "contractor", "temp")
    org.Profile.objects.bulk_create(
        org.Profile(user=u, department_id=catalog.employee_homes[i], employment=kinds[i % len(kinds)])
        for i, u in enumerate(users)
    )
    staff: set[int] = set()
    memberships = []
    for index, spec in enumerate(DEPARTMENTS):
        people = [users[i] for i, h in enumerate(homes) if h == index][: 1 + spec.agents]
        if len(people) < 1 + spec.agents:
            raise SystemExit(f"ERROR: {employees} employees cannot staff {spec.name}; generate more requests")
        lead, agents = people[0], people[1:]
        memberships.append(org.Membership(user=lead, department=departments[index], role=org.Role.LEAD))
        memberships += [org.Membership(user=a, department=departments[index], role=org.Role.AGENT) for a in agents]
        catalog.agents[index] = [a.pk for a in agents]
        staff.update(p.pk for p in people)
        if spec.slug == DEPARTMENT_SLUG_OF_LEAD:
            catalog.lead_id = lead.pk
        org.CannedResponse.objects.bulk_create(
            [
                org.CannedResponse(
                    department=departments[index],
                    title="We are on it",
                    body="Hello {{ requester_first_name }}, {{ agent_first_name }} is looking into {{ reference }}.",
                ),
                org.CannedResponse(
                    department=departments[index],
                    title="Need more details",
                    body="Hello {{ requester_first_name }}, could you tell us more about “{{ title }}”?",
                ),
            ]
        )
    org.Membership.objects.bulk_create(memberships)
    others = [u.pk for u in users if u.pk not in staff]
    catalog.heavy_ids = others[-max(1, employees // 100) :]
    it = departments[index_of[DEPARTMENT_SLUG_OF_LEAD]]
    SavedView.objects.bulk_create(
        [
            SavedView(
                department=it,
                owner_id=catalog.lead_id,
                name="Unassigned and at risk",
                query="assignee=unassigned&sla=at_risk",
                shared=True,
            ),
            SavedView(department=it, owner_id=catalog.lead_id, name="Critical", query="priority=critical"),
        ]
    )
    return catalog
