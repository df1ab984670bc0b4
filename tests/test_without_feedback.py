"""The core does not need the feedback loop: without it in INSTALLED_APPS the project checks clean and a
request is filed, answered and resolved (tests/without_feedback_desk.py, in a process of its own)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "FEEDBACK_LOOP": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'desk.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings",
    }
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_the_project_checks_clean_without_the_feedback_loop(tmp_path: Path) -> None:
    result = run(["manage.py", "check"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_request_is_filed_answered_and_resolved_without_the_feedback_loop(tmp_path: Path) -> None:
    result = run(["tests/without_feedback_desk.py"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("desk works")
