"""What the benchmarks in ``bench/`` share: Django set up from this checkout, the safety checks on the
database they fill, raw SQL helpers for server-side generation, and the statistics they report.

Every helper imports Django lazily: ``setup_django()`` must run first, because the settings read
``DATABASE_URL``, ``DEBUG`` and ``VAR_DIR`` from the environment at import.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def setup_django() -> None:
    """Django with production-like query handling: no query log (DEBUG off), no log lines below WARNING.

    Works from the checkout this file belongs to: Celery's Django fix-up puts the
    current directory first on ``sys.path``, so run from elsewhere the bench would
    time whatever ``requests_app`` that directory holds.
    """
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def refuse_unsafe_database(*, allow_sqlite: bool, force: bool) -> str | None:
    """Why this database must not be filled, or None; checked before the first connection."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    engine, name = database["ENGINE"], str(database["NAME"])
    if engine.endswith("sqlite3") and not allow_sqlite:
        return (
            f"refusing to run against SQLite ({name}): the figures are about PostgreSQL. Set DATABASE_URL, e.g. "
            "postgres://postgres@127.0.0.1:5432/servicedesk_bench, or pass --allow-sqlite."
        )
    if "bench" not in Path(name).name.lower() and not force:
        return (
            f'refusing to fill database "{name}": its name does not contain "bench". '
            "Point DATABASE_URL at a bench database or pass --force."
        )
    return None


def create_postgresql_database_if_missing() -> bool:
    """Create the bench database through the ``postgres`` maintenance database; True if it was created."""
    import psycopg
    from django.conf import settings
    from psycopg import sql

    database = settings.DATABASES["default"]
    options = {
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **{k: v for k, v in options.items() if v}) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database["NAME"],)).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database["NAME"])))
        return True


def prepare_database(*, allow_sqlite: bool, force: bool) -> str | None:
    """Refuse an unsafe database, create a missing PostgreSQL one, migrate; the reason for refusing, or None."""
    reason = refuse_unsafe_database(allow_sqlite=allow_sqlite, force=force)
    if reason:
        return reason
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql" and create_postgresql_database_if_missing():
        print(f"created database {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0, interactive=False)
    connection.ensure_connection()
    return None


def database_description() -> str:
    """``servicedesk_bench (postgresql 150020)``: which database the figures are about."""
    from django.db import connection

    connection.ensure_connection()
    server = connection.connection.info.server_version if connection.vendor == "postgresql" else None
    return f"{connection.settings_dict['NAME']} ({connection.vendor}{f' {server}' if server else ''})"


def execute(sql_text: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Run one statement on the default connection; its rows, if it returns any."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql_text, params)
        return cursor.fetchall() if cursor.description else []


def at(vendor: str, seconds: str) -> str:
    """SQL for the instant ``seconds`` (an SQL integer expression) after the ``%(now)s`` parameter.

    NULL seconds give NULL on both databases.
    """
    if vendor == "postgresql":
        return f"(%(now)s::timestamptz + ({seconds}) * interval '1 second')"
    # SQLite keeps Django datetimes as UTC text; strftime's %f gives milliseconds, which Django parses.
    return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', %(now)s, CAST(({seconds}) AS text) || ' seconds')"


def series(vendor: str, name: str, count: str) -> str:
    """A CTE ``name(g)`` of the integers 1..``count`` (an SQL expression): generate_series, or a recursive CTE.

    Put it after ``WITH RECURSIVE``, which both databases accept for plain CTEs as well.
    """
    if vendor == "postgresql":
        return f"{name}(g) AS (SELECT * FROM generate_series(1, {count}))"
    return f"{name}(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM {name} WHERE g < {count})"


def secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the table's indexes that back no constraint (PostgreSQL)."""
    return [
        (str(name), str(definition))
        for name, definition in execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = %s::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [table],
        )
    ]


def droppable_constraints(table: str) -> list[tuple[str, str]]:
    """(name, definition) of the table's foreign keys and unique constraints (PostgreSQL)."""
    return [
        (str(name), str(definition))
        for name, definition in execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY contype DESC, conname",
            [table],
        )
    ]


@contextmanager
def indexes_rebuilt_after(tables: Sequence[str]) -> Iterator[None]:
    """Drop the tables' secondary indexes, foreign keys and unique constraints, let the caller load,
    then build them all again (PostgreSQL); on SQLite this does nothing.

    Building an index once is several times faster than maintaining it row by row, and adding a
    foreign key back checks every row with one join instead of one look-up per inserted row (what
    ``pg_restore`` does too). A violation still fails the load, when the constraint comes back. Call
    inside a transaction: a failure then leaves every index and constraint as it was.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    execute("SET LOCAL maintenance_work_mem = '512MB'")
    execute("SET LOCAL work_mem = '256MB'")  # the generators' sorts and aggregates stay in memory
    # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED; checking the ones that stay at the end
    # of each statement (not at commit) leaves no pending trigger events, which CREATE INDEX refuses.
    execute("SET CONSTRAINTS ALL IMMEDIATE")
    constraints: list[tuple[str, str, str]] = []
    indexes: list[str] = []
    for table in tables:
        for name, definition in droppable_constraints(table):
            execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
            constraints.append((table, name, definition))
    for table in tables:
        for name, definition in secondary_indexes(table):
            execute(f"DROP INDEX {name}")
            indexes.append(definition)
    yield
    for definition in indexes:
        execute(definition)
    for table, name, definition in constraints:
        execute(f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")


def vacuum_analyze(tables: Sequence[str]) -> None:
    """Fresh statistics (and, on PostgreSQL, a set visibility map for index-only scans) after a bulk load.

    VACUUM cannot run in a transaction (a test's, say); then only ANALYZE runs.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        execute("ANALYZE")
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    for table in tables:
        execute(f"{command} {table}")


def check_columns(model: Any, columns: dict[str, str], generator: str) -> None:
    """Fail loudly when ``model`` gained a NOT NULL column the generator does not fill (or lost one it does)."""
    fields = {f.column: f for f in model._meta.concrete_fields if not f.primary_key}
    unknown = sorted(set(columns) - set(fields))
    missing = sorted(c for c, f in fields.items() if not f.null and c not in columns)
    if unknown or missing:
        raise SystemExit(
            f"ERROR: {generator} is out of date with {model.__name__}: unknown columns {unknown}, "
            f"NOT NULL columns without a value {missing}. Update it and bump its DATA_VERSION."
        )


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``share`` of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]
