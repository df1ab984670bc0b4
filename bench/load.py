"""Filing under load: gunicorn (2 sync workers) and a closed-loop load generator over 127.0.0.1.

The generator is ``concurrency`` threads, each with its own ``http.client`` connection and its share of
the employees' personal API tokens (one employee after another, as many people file), each sending
``POST /api/v1/requests/`` as soon as its previous one answered, until the time is up. Gunicorn's sync
workers answer ``Connection: close``, so ``http.client`` reconnects for every request (a loopback
handshake, tens of microseconds). Threads spend their time waiting on sockets, so the generator needs
little CPU: it reports what it used, next to what the whole machine used, because on two cores a
generator that took a core would halve what it measures.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import ROOT, percentile

API_PATH = "/api/v1/requests/"


@dataclass
class LoadResult:
    concurrency: int
    seconds: float = 0.0
    ok: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    client_cpu_seconds: float = 0.0
    machine_busy: float | None = None  # share of all cores busy during the run (Linux), 0..1
    lost: int = 0  # answered 201 but not in the database (set by the caller, who can count)

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_ms, 0.5)

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies_ms, 0.95)


def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of all cores since boot, from /proc/stat; None elsewhere."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def run_load(
    base_url: str,
    tokens: list[str],
    body: Callable[[int, int], dict[str, Any]],
    *,
    concurrency: int,
    seconds: float,
) -> LoadResult:
    """POST filings from ``concurrency`` threads for ``seconds``.

    Worker w's i-th request sends ``body(w, i)`` signed in with the next of the tokens dealt to it (the
    tokens are dealt round the workers), so the filings spread over every token's owner.
    """
    host, _, port = base_url.removeprefix("http://").rstrip("/").partition(":")
    result = LoadResult(concurrency=concurrency)
    lock = threading.Lock()
    start_gate = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def worker(index: int, own: list[str]) -> None:
        connection = http.client.HTTPConnection(host, int(port or 80), timeout=60)
        latencies, ok, errors, samples = [], 0, 0, []
        start_gate.wait()
        i = 0
        while time.perf_counter() < deadline[0]:
            payload = json.dumps(body(index, i))
            headers = {"Authorization": f"Bearer {own[i % len(own)]}", "Content-Type": "application/json"}
            i += 1
            started = time.perf_counter()
            try:
                connection.request("POST", API_PATH, payload, headers)
                response = connection.getresponse()
                content = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                errors += 1
                samples.append(f"{type(exc).__name__}: {exc}")
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            if status == 201:
                ok += 1
            else:
                errors += 1
                samples.append(f"HTTP {status}: {content[:200]!r}")
        connection.close()
        with lock:
            result.ok += ok
            result.errors += errors
            result.latencies_ms += latencies
            result.error_samples += samples[:3]

    if len(tokens) < concurrency:
        raise ValueError(f"{concurrency} workers need at least as many tokens, got {len(tokens)}")
    dealt = [tokens[w::concurrency] for w in range(concurrency)]
    threads = [threading.Thread(target=worker, args=(w, dealt[w]), daemon=True) for w in range(concurrency)]
    for thread in threads:
        thread.start()
    cpu_before, machine_before = time.process_time(), _cpu_times()
    begin = time.perf_counter()
    deadline[0] = begin + seconds
    start_gate.wait()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - begin
    result.client_cpu_seconds = time.process_time() - cpu_before
    machine_after = _cpu_times()
    if machine_before and machine_after and machine_after[1] > machine_before[1]:
        result.machine_busy = (machine_after[0] - machine_before[0]) / (machine_after[1] - machine_before[1])
    return result


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process (Linux /proc); empty elsewhere."""
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else []:
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        found.append((int(entry.name), parent, command))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds these processes have used so far (those still running)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def database_backends(database: str) -> list[int]:
    """The PostgreSQL server processes serving ``database`` (their title names it)."""
    return [pid for pid, _, command in _processes() if command.startswith("postgres: ") and f" {database} " in command]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


KEEP_ALIVE_SECONDS = "75"  # as the Procfile: longer than a load balancer's idle timeout (60 s is common)


class Gunicorn:
    """``gunicorn servicedesk.wsgi --workers 2 --worker-class gthread --threads 2`` (the production setting
    of the Procfile and the systemd unit) on a free loopback port, with the bench's environment.

    Two threads per worker: while one waits on PostgreSQL or Redis (a filing makes about fifteen round
    trips) the other uses the core; with sync workers the two cores idled about 10% of the time. Idle
    keep-alive connections stay open ``KEEP_ALIVE_SECONDS`` (gunicorn's default, 2 s, closed them
    between a person's actions, and their next request met a broken pipe).
    """

    def __init__(self, env: dict[str, str], workers: int = 2, threads: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
        command = [sys.executable, "-m", "gunicorn", "servicedesk.wsgi", "--workers", str(workers)]
        command += ["--worker-class", "gthread", "--threads", str(threads), "--keep-alive", KEEP_ALIVE_SECONDS]
        command += ["--bind", f"127.0.0.1:{self.port}", "--log-level", "warning"]
        # Gunicorn 27 opens a control socket at one path per user: another gunicorn on the machine would
        # share it, and stopping this one could take it from them.
        command += ["--no-control-socket"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, token: str, timeout: float = 60.0) -> None:
        """Until the API answers a signed-in GET (both workers have then imported the app, or soon will)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"ERROR: gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/api/v1/me/", headers={"Authorization": f"Bearer {token}"})
                status = connection.getresponse().status
                connection.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)  # polling a starting server, not making time pass in a test
        raise SystemExit(f"ERROR: gunicorn did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def workers(self) -> list[int]:
        """The worker processes (the master's children)."""
        return [pid for pid, parent, _ in _processes() if parent == self.process.pid]

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def close(self) -> None:
        self.stop()
        os.unlink(self.log.name)


def server_environment() -> dict[str, str]:
    """The bench process's own settings for gunicorn: database, broker, DEBUG off, quiet logs."""
    from django.conf import settings

    env = {**os.environ, "DEBUG": "false", "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "servicedesk.settings"}
    env["VAR_DIR"] = str(settings.VAR_DIR)
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    return env
