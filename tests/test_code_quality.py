"""ruff is the one linter and formatter (house rule 10); the suite fails when the code drifts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_no_lint_errors() -> None:
    result = run_ruff("check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_ruff_formatted() -> None:
    result = run_ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_missing_migrations() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """.ci/run must run what the README tells people to run, not a variant of it."""
    import re

    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```sh\n(.+?)\n```", readme)
    run_command, test_command = commands[0], commands[1]
    assert run_command.endswith("manage.py up")
    assert "pytest" in test_command
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci_lines[-1] == test_command


def test_template_comments_close_on_their_line() -> None:
    """Django's {# #} comments are one line only; a multi-line one is printed on the page as text."""
    unclosed = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "templates").rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if line.count("{#") != line.count("#}")
    ]
    assert unclosed == []


def run_lint_imports(root: Path) -> subprocess.CompletedProcess:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(lint_imports), "--no-cache"], cwd=root, capture_output=True, text=True)


def test_imports_keep_the_architecture_contracts() -> None:
    """departments <- requests_app <- requests_app.feedback, no cycles inside an app (pyproject.toml)."""
    result = run_lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_import_breaks_the_contracts(tmp_path: Path) -> None:
    """The contracts catch what they are for: the core importing the feedback loop, even in a function."""
    import shutil

    for name in ("departments", "requests_app", "servicedesk"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    clocks = tmp_path / "requests_app" / "clocks.py"
    clocks.write_text(clocks.read_text() + "\n\ndef upward() -> None:\n    import requests_app.feedback.charts\n")

    result = run_lint_imports(tmp_path)

    assert result.returncode != 0
    assert "requests_app.clocks -> requests_app.feedback.charts" in result.stdout


def test_every_module_of_an_app_has_its_place_in_the_layers() -> None:
    """A layers contract only checks the modules it names: a new module must be given its layer."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    missing = []
    for contract in (c for c in contracts if c["type"] == "layers"):
        [container] = contract["containers"]
        placed = {name.strip() for layer in contract["layers"] for name in layer.split("|")}
        folder = ROOT.joinpath(*container.split("."))
        children = {path.stem for path in folder.glob("*.py") if path.stem != "__init__"}
        children |= {path.parent.name for path in folder.glob("*/__init__.py")} - {"migrations"}
        missing += [f"{container}.{name}" for name in sorted(children - placed)]
    assert missing == []
