"""The queue's indexes carry the columns the sidebar's view counts filter on (PostgreSQL's INCLUDE).

"Breached" and "At risk" filter on status and at_risk_at beside the due time, a lead's "Critical" view on
priority beside the status, "Unassigned and at risk" on the clock beside the assignee: with those columns
in the index entries each count is an index-only scan instead of a visit to every matching row (the
count statement of a queue page at a million requests: 8 ms -> 2.4 ms, bench/README.md). The indexes
are rebuilt under the same names, so this takes a write lock on the requests table while they build (a
few seconds at a million rows). Other databases build them without the included columns.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("departments", "0006_audit_log"),
        ("requests_app", "0010_requests_autovacuum"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="servicerequest",
            name="request_queue_status_idx",
        ),
        migrations.RemoveIndex(
            model_name="servicerequest",
            name="request_queue_assignee_idx",
        ),
        migrations.RemoveIndex(
            model_name="servicerequest",
            name="request_queue_due_id_idx",
        ),
        migrations.AddIndex(
            model_name="servicerequest",
            index=models.Index(
                fields=["department", "status", "-created_at"], include=("priority",), name="request_queue_status_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="servicerequest",
            index=models.Index(
                fields=["department", "assignee", "status"],
                include=("next_due_at", "at_risk_at"),
                name="request_queue_assignee_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="servicerequest",
            index=models.Index(
                fields=["department", "next_due_at", "id"],
                include=("status", "at_risk_at"),
                name="request_queue_due_id_idx",
            ),
        ),
    ]
