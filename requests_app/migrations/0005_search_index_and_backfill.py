"""The GIN index of the search documents (PostgreSQL only), and the ledger and search rows of requests
filed before triage existed: one open handoff from filing, and a search document of each request."""

from django.db import migrations

GIN = "CREATE INDEX IF NOT EXISTS requestsearch_document_gin ON requests_app_requestsearch USING gin (document)"

HANDOFFS = """
INSERT INTO requests_app_handoff (request_id, department_id, service_id, started_at, ended_at, reason, by_id)
SELECT r.id, r.department_id, r.service_id, r.created_at, NULL, '', NULL
FROM requests_app_servicerequest r
WHERE NOT EXISTS (SELECT 1 FROM requests_app_handoff h WHERE h.request_id = r.id)
"""

SEARCH_POSTGRES = r"""
INSERT INTO requests_app_requestsearch (request_id, document, text)
SELECT r.id,
       -- Split into the words a search is split into (\w+), as requests_app.services.search does:
       -- PostgreSQL's own parser would read "IT-1042" as "it" and the number "-1042".
       to_tsvector('simple', regexp_replace(
           r.reference || ' ' || r.title || ' ' || r.values::text || ' ' ||
           coalesce((SELECT string_agg(c.body, ' ') FROM requests_app_comment c
                     WHERE c.request_id = r.id AND NOT c.internal), ''),
           '\W+', ' ', 'g')),
       ''
FROM requests_app_servicerequest r
ON CONFLICT (request_id) DO NOTHING
"""

SEARCH_SQLITE = """
INSERT OR IGNORE INTO requests_app_requestsearch (request_id, document, text)
SELECT r.id, NULL,
       lower(r.reference || ' ' || r.title || ' ' || r."values" || ' ' ||
             coalesce((SELECT group_concat(c.body, ' ') FROM requests_app_comment c
                       WHERE c.request_id = r.id AND NOT c.internal), ''))
FROM requests_app_servicerequest r
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(GIN)
    schema_editor.execute(HANDOFFS)
    schema_editor.execute(SEARCH_POSTGRES if vendor == "postgresql" else SEARCH_SQLITE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS requestsearch_document_gin")


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0004_triage_handoffs_watchers_views_search_tokens"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
