"""Autovacuum the requests table at 2% dead rows instead of PostgreSQL's 20%.

Every SLA sweep and every change of status, assignee or clock rewrites a request's row with new entries
in each of its indexes (the columns it changes are indexed, so no update is HOT). At the default scale
factor a million-row table waits for 200,000 dead rows before a vacuum, and until then the queue pages
step over the dead entries of the queue indexes (measured in bench/README.md: a queue page slowed as
dead rows piled up and recovered after VACUUM). Other databases ignore this migration.
"""

from django.db import migrations

TABLE = "requests_app_servicerequest"
SETTINGS = "autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02"


def tune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET ({SETTINGS})")


def untune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)")


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0009_fk_indexes_covered_by_composites")]

    operations = [migrations.RunPython(tune, untune, elidable=False)]
