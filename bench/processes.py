"""Real processes for the tests and the benchmarks: a private Redis that can be stopped and started,
free ports, polling, and counting the messages Django's file-based mail backend wrote.

Shared by ``tests/integration`` (a real worker and Redis) and ``bench/faults.py`` (the load and fault run),
so both kill, stop and count the same way.
"""

from __future__ import annotations

import email
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import redis

T = TypeVar("T")
# The filebased mail backend ends every message with a line of 79 dashes. A message without it
# was cut off by a kill in the middle of writing: like an SMTP DATA that never got its final dot.
MESSAGE_END = b"\n" + b"-" * 79 + b"\n"


def free_port() -> int:
    """A TCP port on the loopback that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], T], timeout: float, message: str = "") -> T:
    """Poll ``predicate`` every 0.2 s until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {message or predicate}")
        time.sleep(0.2)


def read_emails(directory: Path) -> list[tuple[int, str]]:
    """(``X-Servicedesk-Notification``, ``Message-ID``) of every complete message the filebased backend wrote."""
    found = []
    for path in sorted(Path(directory).glob("*.log")):
        # Several messages can share a file; whatever follows the last end marker is incomplete.
        for chunk in path.read_bytes().split(MESSAGE_END)[:-1]:
            message = email.message_from_bytes(chunk)
            value = message.get("X-Servicedesk-Notification")
            if value:
                found.append((int(value), str(message.get("Message-ID", ""))))
    return found


def count_emails(directory: Path) -> Counter[int]:
    """How many complete messages the filebased backend wrote, per ``X-Servicedesk-Notification``."""
    counts: Counter[int] = Counter()
    for path in sorted(Path(directory).glob("*.log")):
        # Several messages can share a file; whatever follows the last end marker is incomplete.
        for chunk in path.read_bytes().split(MESSAGE_END)[:-1]:
            value = email.message_from_bytes(chunk).get("X-Servicedesk-Notification")
            if value:
                counts[int(value)] += 1
    return counts


class RedisServer:
    """A private ``redis-server`` that can be stopped and started again on the same port."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        assert self.process is None, "already running"
        self.starts += 1
        log = (self.workdir / f"redis-{self.starts}.log").open("wb")
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir)]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_until(self._answers, timeout=10, message=f"redis-server on port {self.port} to answer PING")

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            log = (self.workdir / f"redis-{self.starts}.log").read_text(errors="replace")
            raise AssertionError(f"redis-server exited with {self.process.returncode}:\n{log[-2000:]}")
        try:
            with redis.Redis.from_url(self.url, socket_connect_timeout=1) as client:
                return bool(client.ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)
