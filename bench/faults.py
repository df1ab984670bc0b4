"""Load with faults: the whole desk under load while its worker is killed and its broker stopped, then the
proof that nothing was lost and nothing sent twice (issue 6).

On 127.0.0.1: PostgreSQL (the database named by ``DATABASE_URL``, recreated for the run: its name must
contain "faults"), a private Redis, gunicorn with 2 workers, 1 Celery worker and Celery beat. Employees
file requests and reply to their own; agents read their queue, take requests, answer and resolve them,
all through the JSON API with personal tokens, for ``--seconds``. A quarter of the way in the Celery
worker is killed with SIGKILL and started again; half way in Redis is stopped for ``--redis-outage``
seconds and started again.

Afterwards the run waits until the sweeps have handed out every notification that is due, then checks:
no answer was a 5xx; every request the load generator was told was filed (201) is in the database;
every notification sent produced exactly one complete email (counted in the file-based mail backend's
log by the ``X-Servicedesk-Notification`` header), and none is left unsent. It prints one line per fact
and exits 1 if a check fails.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicedesk_faults python bench/faults.py --seconds 120
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, percentile, setup_django
from bench.load import Gunicorn
from bench.processes import RedisServer, free_port, read_emails, wait_until


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120, help="length of the load (default 120)")
    parser.add_argument("--employees", type=int, default=50, help="employees filing and replying (default 50)")
    parser.add_argument("--agents", type=int, default=10, help="agents triaging and answering (default 10)")
    parser.add_argument("--redis-outage", type=float, default=20, help="seconds Redis is down (default 20)")
    parser.add_argument("--drain-timeout", type=float, default=240, help="seconds to wait for the outbox")
    parser.add_argument(
        "--think", type=float, default=2.0, help="a person's mean pause between actions, in seconds (default 2)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--drop-after", action="store_true", help="drop the run's database at the end (CI)")
    return parser.parse_args(argv)


# --- the database --------------------------------------------------------------------------------


def _maintenance() -> Any:
    """A connection to the server's ``postgres`` database, for creating and dropping the run's."""
    import psycopg
    from django.conf import settings

    database = settings.DATABASES["default"]
    options = {k: database.get(k.upper()) for k in ("host", "port", "user", "password")}
    return psycopg.connect(dbname="postgres", autocommit=True, **{k: v for k, v in options.items() if v})


def drop_database() -> None:
    from django.conf import settings
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    with _maintenance() as conn:
        name = settings.DATABASES["default"]["NAME"]
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def recreate_database() -> str:
    """Drop and create the run's database (a clean slate makes the counts exact) and migrate it."""
    from django.conf import settings
    from django.core.management import call_command
    from psycopg import sql

    database = settings.DATABASES["default"]
    name = str(database["NAME"])
    if database["ENGINE"] != "django.db.backends.postgresql" or "faults" not in name:
        raise SystemExit(f'ERROR: DATABASE_URL must name a PostgreSQL database containing "faults", not {name!r}')
    drop_database()
    with _maintenance() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    call_command("migrate", verbosity=0)
    return name


@dataclass
class Cast:
    employees: list[tuple[str, int]]  # (token, user id)
    agents: list[tuple[str, str]]  # (token, department slug)
    bodies: list[dict[str, Any]]  # valid filing bodies, one per service


def cast_people(employees: int, agents: int) -> Cast:
    """The demo catalog and staff, ``employees`` more people with tokens, and a valid filing per service."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from departments.models import Department, Membership, Profile, Role, Service
    from requests_app import services

    call_command("seed_demo", "--requests", "0", stdout=open(os.devnull, "w"))  # noqa: SIM115
    user_model = get_user_model()
    homes = list(Department.objects.filter(services__isnull=True)) or list(Department.objects.all())
    people = []
    for n in range(employees):
        user = user_model.objects.create_user(username=f"load{n}", email=f"load{n}@example.com", first_name="Load")
        Profile.objects.create(user=user, department=homes[n % len(homes)])
        _, raw = services.api_token_create(user=user, name="faults")
        people.append((raw, user.pk))
    serving = list(Department.objects.filter(services__isnull=False).distinct().order_by("pk"))
    memberships = list(Membership.objects.filter(role=Role.AGENT).select_related("user", "department")[:agents])
    for n in range(agents - len(memberships)):  # the demo has fewer agents than asked: add some
        user = user_model.objects.create_user(username=f"agent{n}", email=f"agent{n}@example.com", first_name="Agent")
        department = serving[n % len(serving)]
        Profile.objects.create(user=user, department=department)
        memberships.append(Membership.objects.create(user=user, department=department, role=Role.AGENT))
    staff = []
    for membership in memberships:
        _, raw = services.api_token_create(user=membership.user, name="faults")
        staff.append((raw, membership.department.slug))
    bodies = []
    for service in Service.objects.active().prefetch_related("fields"):
        values: dict[str, Any] = {}
        for definition in service.fields.all():
            if not definition.required:
                continue
            if definition.field_type == "file":
                break
            values[definition.name] = {
                "choice": (definition.choice_list or [""])[0],
                "multi_choice": (definition.choice_list or [""])[:1],
                "number": 3,
                "date": "2031-01-15",
                "checkbox": True,
            }.get(definition.field_type, "Load test")
        else:
            bodies.append({"service": service.pk, "title": f"Load: {service.name}", "values": values})
    return Cast(people, staff, bodies)


# --- the load -------------------------------------------------------------------------------------


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    filed: set[str] = field(default_factory=set)
    network_errors: list[str] = field(default_factory=list)

    def note(self, status: int, millis: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies_ms.append(millis)


class Client:
    """One simulated person: a keep-alive connection, their token, and the tally."""

    def __init__(self, port: int, token: str, tally: Tally) -> None:
        self.port, self.token, self.tally = port, token, tally
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        started = time.perf_counter()
        try:
            self.connection.request(method, path, json.dumps(body) if body is not None else None, headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            with self.tally.lock:
                self.tally.network_errors.append(f"{method} {path}: {type(exc).__name__}")
            return 0, None
        self.tally.note(response.status, (time.perf_counter() - started) * 1000)
        try:
            return response.status, json.loads(content) if content else None
        except json.JSONDecodeError:
            return response.status, None


def pause(stop: threading.Event, rng: random.Random, think: float) -> None:
    """A person reads and types between actions: half to one and a half times ``think`` seconds."""
    stop.wait(rng.uniform(think / 2, think * 3 / 2))


def employee(
    client: Client, bodies: list[dict[str, Any]], stop: threading.Event, rng: random.Random, think: float
) -> None:
    """Files requests and replies to their own."""
    mine: list[str] = []
    while not stop.is_set():
        if mine and rng.random() < 0.4:
            client.call("POST", f"/api/v1/requests/{rng.choice(mine)}/comments/", {"body": "Any news?"})
        else:
            status, body = client.call("POST", "/api/v1/requests/", rng.choice(bodies))
            if status == 201 and body:
                mine.append(body["reference"])
                with client.tally.lock:
                    client.tally.filed.add(body["reference"])
        pause(stop, rng, think)


def agent(client: Client, department: str, stop: threading.Event, rng: random.Random, think: float) -> None:
    """Reads the queue, takes a request, answers it, sometimes resolves it."""
    me: int | None = None
    while not stop.is_set():
        if me is None:
            status, body = client.call("GET", "/api/v1/me/")
            me = body["id"] if status == 200 and body else None
        status, body = client.call("GET", f"/api/v1/queues/{department}/requests/?sort=due&page_size=10")
        rows = (body or {}).get("results", []) if status == 200 else []
        if rows and me is not None:
            reference = rng.choice(rows)["reference"]
            action = rng.random()
            if action < 0.35:
                client.call("POST", f"/api/v1/requests/{reference}/assign/", {"assignee": me})
            elif action < 0.75:
                client.call("POST", f"/api/v1/requests/{reference}/comments/", {"body": "Looking into it."})
            else:
                client.call("POST", f"/api/v1/requests/{reference}/status/", {"status": "resolved", "note": "Done."})
        pause(stop, rng, think)


# --- the processes ---------------------------------------------------------------------------------


class Celery:
    """``celery worker`` or ``celery beat`` as a process group that can be killed and started again, and
    that is started again when it exits on its own, two seconds later, as the systemd units in
    ``servicedesk/deploy/systemd`` do (``Restart=always``, ``RestartSec=2``).

    A supervisor is part of the documented production run, not a kindness of the test: Celery 5's worker
    can stop with "Unrecoverable error" when Redis goes away while it is still starting (kombu's Redis
    transport loses its connection object mid-reconnect). The report counts such restarts.
    """

    RESTART_SECONDS = 2.0

    def __init__(self, role: str, env: dict[str, str], workdir: Path) -> None:
        self.role, self.env, self.workdir = role, env, workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.crashes: list[int] = []  # exit codes of the exits nobody asked for
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.supervisor = threading.Thread(target=self._supervise, daemon=True)

    def _supervise(self) -> None:
        while not self.done.wait(0.5):
            with self.lock:
                if self.process is None or self.process.poll() is None:
                    continue
                self.crashes.append(self.process.returncode)
                self.process = None
            if not self.done.wait(self.RESTART_SECONDS):
                with self.lock:
                    if self.process is None:
                        self.start()

    def start(self) -> None:
        """Start the process (again); the first start also starts its supervisor."""
        if not self.supervisor.is_alive() and not self.done.is_set():
            self.supervisor.start()
        self.starts += 1
        command = [sys.executable, "-m", "celery", "-A", "servicedesk", self.role, "--loglevel=WARNING"]
        if self.role == "worker":
            command += ["--pool=prefork", "--concurrency=2", f"--hostname=faults-{self.starts}@%h"]
            command += ["--without-mingle", "--without-gossip"]
        else:
            command += ["--schedule", str(self.workdir / "beat-schedule")]
        log = (self.workdir / f"{self.role}-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def kill(self, sig: int = signal.SIGKILL, *, final: bool = False) -> None:
        """Kill the process group; ``final`` also ends the supervision (else the supervisor waits for ``start``)."""
        if final:
            self.done.set()
        with self.lock:
            if self.process is None:
                return
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)
            self.process = None


def server_env(database_url: str, redis_url: str, mail_dir: Path, var_dir: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "EMAIL_", "NOTIFICATION_"))},
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": str(var_dir),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "SLA_SWEEP_SECONDS": "5",
        "FEEDBACK_SWEEP_SECONDS": "60",
        "SUMMARIES_REFRESH_SECONDS": "120",
        "NOTIFICATION_REQUEUE_GRACE_SECONDS": "10",
        "NOTIFICATION_CLAIM_LEASE_SECONDS": "20",
        "CELERY_BROKER_CONNECTION_TIMEOUT": "1",
        "RATE_LIMIT_FILING": "0/hour",
        "RATE_LIMIT_API": "0/minute",
        "RATE_LIMIT_REPLY": "0/minute",
    }


# --- the run --------------------------------------------------------------------------------------


def outbox_state() -> tuple[int, int]:
    """(due and unsent, sent with recipients) notifications."""
    from django.utils import timezone

    from requests_app.models import Notification

    unsent = Notification.objects.filter(sent_at__isnull=True, send_after__lte=timezone.now()).count()
    sent = Notification.objects.filter(sent_at__isnull=False).exclude(recipients="").count()
    return unsent, sent


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    from django.db import connections

    from requests_app.models import Notification, ServiceRequest

    database_url = os.environ.get("DATABASE_URL", "")
    name = recreate_database()
    cast = cast_people(args.employees, args.agents)
    connections.close_all()
    print(
        f"faults setup database={name} employees={len(cast.employees)} agents={len(cast.agents)} "
        f"services={len(cast.bodies)} CPUs={os.cpu_count()}"
    )

    workdir = Path(tempfile.mkdtemp(prefix="servicedesk-faults-"))
    mail_dir = workdir / "mail"
    mail_dir.mkdir()
    redis_server = RedisServer(free_port(), workdir)
    redis_server.start()
    env = server_env(database_url, redis_server.url, mail_dir, workdir / "var")
    worker, beat = Celery("worker", env, workdir), Celery("beat", env, workdir)
    web = Gunicorn(env)
    tally = Tally()
    stop = threading.Event()
    rng = random.Random(args.seed)
    events: list[str] = []
    try:
        worker.start()
        beat.start()
        web.wait_ready(cast.employees[0][0])
        threads = [
            threading.Thread(
                target=employee,
                args=(Client(web.port, token, tally), cast.bodies, stop, random.Random(rng.random()), args.think),
                daemon=True,
            )
            for token, _ in cast.employees
        ] + [
            threading.Thread(
                target=agent,
                args=(Client(web.port, token, tally), slug, stop, random.Random(rng.random()), args.think),
                daemon=True,
            )
            for token, slug in cast.agents
        ]
        began = time.monotonic()
        for thread in threads:
            thread.start()

        def at(fraction: float) -> None:
            stop.wait(max(0.0, began + args.seconds * fraction - time.monotonic()))

        at(0.25)
        worker.kill(signal.SIGKILL)
        events.append(f"worker_killed_at={time.monotonic() - began:.1f}s")
        time.sleep(1)  # a dead worker for a moment, as after a crash; not making time pass in a test
        with worker.lock:
            worker.start()
        at(0.5)
        redis_server.stop()
        down = time.monotonic() - began
        stop.wait(args.redis_outage)
        redis_server.start()
        events.append(f"redis_down={down:.1f}s..{time.monotonic() - began:.1f}s")
        at(1.0)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        elapsed = time.monotonic() - began

        # The sweeps hand out what the outages held back; wait until nothing due is unsent.
        def drained() -> bool:
            unsent, _ = outbox_state()
            return unsent == 0

        drain_started = time.monotonic()
        try:
            wait_until(drained, args.drain_timeout, "every due notification to be sent")
        except AssertionError as exc:
            events.append(str(exc))
        # The last deliveries' files are written a moment after their rows are marked.
        time.sleep(2)  # letting a worker finish writing a file, not making time pass in a test
        drain_seconds = time.monotonic() - drain_started
    finally:
        stop.set()
        web.close()
        worker.kill(signal.SIGTERM, final=True)
        beat.kill(signal.SIGTERM, final=True)
        redis_server.stop()

    statuses = tally.statuses
    total = sum(statuses.values())
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    in_database = set(ServiceRequest.objects.filter(reference__in=tally.filed).values_list("reference", flat=True))
    lost = len(tally.filed - in_database)
    received: dict[int, set[str]] = {}
    transmissions = 0
    for notification_id, message_id in read_emails(mail_dir):
        received.setdefault(notification_id, set()).add(message_id)
        transmissions += 1
    sent = set(Notification.objects.filter(sent_at__isnull=False).exclude(recipients="").values_list("pk", flat=True))
    # A message handed over twice (the worker was killed between sending and recording it) carries the same
    # Message-ID both times, and mail systems keep one copy; two different messages for one notification
    # would be a real duplicate.
    duplicates = sum(1 for ids in received.values() if len(ids) > 1)
    missing = len(sent - set(received))
    stray = len(set(received) - sent)
    retransmitted = transmissions - sum(len(ids) for ids in received.values())
    unsent, _ = outbox_state()
    events.append(f"worker_restarted_after_exit={len(worker.crashes)} beat_restarted_after_exit={len(beat.crashes)}")
    print(" ".join(events))
    print(
        f"faults load seconds={elapsed:.0f} requests={total} rps={total / elapsed:.1f} "
        f"p50_ms={percentile(tally.latencies_ms, 0.5):.1f} p95_ms={percentile(tally.latencies_ms, 0.95):.1f}"
    )
    print(
        f"faults statuses {dict(sorted(statuses.items()))} http_5xx={server_errors} "
        f"network_errors={len(tally.network_errors)}"
    )
    print(f"faults filed={len(tally.filed)} in_database={len(in_database)} lost={lost}")
    print(
        f"faults notifications_sent={len(sent)} emails_received={len(received)} duplicates={duplicates} "
        f"missing={missing} stray={stray} unsent_due={unsent} drained_in={drain_seconds:.0f}s"
    )
    print(
        f"faults transmissions={transmissions} retransmitted_same_message_id={retransmitted} "
        "(handed over again after a kill between sending and recording; one copy reaches the reader)"
    )
    ok = server_errors == 0 and lost == 0 and duplicates == 0 and missing == 0 and stray == 0 and unsent == 0
    ok = ok and not tally.network_errors and len(tally.filed) > 0
    print(f"faults result={'OK' if ok else 'FAILED'} logs={workdir}")
    if args.drop_after:
        drop_database()
    if tally.network_errors:
        print("  network errors: " + "; ".join(tally.network_errors[:5]))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
