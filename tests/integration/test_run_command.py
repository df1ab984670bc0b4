"""The README's run command, for real: it starts web, worker and beat on SQLite
and the embedded broker, the catalog answers over HTTP, and Ctrl-C stops it all."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, opener: urllib.request.OpenerDirector, deadline: float) -> str:
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with opener.open(url, timeout=5) as response:
                return response.read().decode()
        except OSError as exc:
            last_error = exc
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer in time: {last_error}")


def test_run_command_serves_the_catalog_and_stops_cleanly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env["VAR_DIR"] = str(tmp_path / "var")
    port = free_port()
    log = (tmp_path / "up.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "up", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        base = f"http://127.0.0.1:{port}"
        login_page = wait_for(f"{base}/accounts/login/", opener, time.monotonic() + 180)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode(
            {"username": "employee", "password": "demo", "csrfmiddlewaretoken": token, "next": "/"}
        ).encode()
        request = urllib.request.Request(f"{base}/accounts/login/", data=form, headers={"Referer": base})
        with opener.open(request, timeout=10) as response:
            catalog = response.read().decode()
        assert response.url == f"{base}/"
        assert "Service catalog" in catalog
        assert "Laptop replacement" in catalog
        # Wait until worker and beat report ready, so stopping exercises all three.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            log.seek(0)
            output = log.read()
            if "ready." in output and "beat: Starting" in output:
                break
            time.sleep(0.5)
        else:
            raise AssertionError("worker or beat did not start:\n" + output[-3000:])
        # Beat sends a sweep as it starts (its schedule would first run a minute later): /healthz turns
        # healthy within seconds on a brand-new installation.
        health = urllib.request.build_opener()
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                with health.open(f"{base}/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except urllib.error.HTTPError as exc:
                assert exc.code == 503, exc
            time.sleep(1)
        else:
            raise AssertionError("/healthz did not turn healthy within 40 s of beat's start")
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        try:
            returncode = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    log.seek(0)
    output = log.read()
    assert returncode == 0, output[-3000:]
    assert "Stopped web, worker and beat." in output
