"""The SQL that writes the triage benchmark's large tables, one ``INSERT ... SELECT`` per table.

Request g (1..N) is the g-th filed (``generate_series`` on PostgreSQL, a recursive CTE on SQLite).
Pseudo-random choices come from multiplicative hashes of g, so a data set is the same every time it
is generated (its times are relative to the generation).

- Requests spread over two years, newest last. The newest 1% are all active (new, open, waiting),
  the next 2% partly (14%), older ones rarely (0.2%, forgotten and breached): about 1.5% are active,
  the rest resolved, closed or cancelled. Services are picked by their weights, requesters by slots (the heavy
  employees have six each), assignees among the department's agents.
- Active requests carry SLA clocks as the engine stores them: targets per priority, due times
  (business minutes taken as three wall-clock minutes each), ``next_due_at``, ``at_risk_at``,
  breaches already marked, and ``sla_next_check_at`` at the next future event.
- 1 to 5 comments per request (3 on average), a third of the agents' ones internal; a "filed" event per
  request and one for its last status change; one open handoff per request; the search document of
  reference, title, field values and public comments; a watcher on one request in a hundred.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bench.common import at, check_columns, execute, series
from bench.triage_catalog import DEPARTMENTS, LOCATIONS, SERVICES, TARGETS, Catalog

GENERATOR = "bench/triage_sql.py"
FIRST_NUMBER = 1000
SPAN_SECONDS = 730 * 86_400  # requests were filed over two years
BUSINESS_TO_WALL = 3  # a business minute of a target takes about three wall-clock minutes

TITLE_ENDINGS = (
    "for a new colleague", "since Monday", "in the Berlin office", "before Friday", "again",
    "for the Orion project", "on the third floor", "urgent please", "for next week", "after the update",
    "for the whole team", "for the audit", "in Munich", "for my manager", "from home",
    "for the customer visit", "promised last week", "in the Hamburg office", "for the trainee",
    "second request", "for the quarterly close", "for the London trip", "for the new contract",
    "by end of month", "for the board meeting", "in meeting room Alster", "for the Vienna team",
    "with the old account", "for the summer intern", "as discussed",
)  # fmt: skip
SENTENCES = (
    "It worked until yesterday afternoon.", "I tried restarting twice, no change.",
    "Please see the screenshot in my first message.", "Thanks, that fixed it.",
    "Could you give me an update on this?", "My manager approved this last week.",
    "The screen on the second floor shows the same error.", "Could the new driver be the cause?",
    "We need this before the customer visit on Thursday.", "I am in the office until five today.",
    "The error message says access denied.", "It only happens when I am on the VPN.",
    "Can someone call me on my mobile?", "I have attached the form with the signatures.",
    "The whole team is affected, not just me.", "Is there a workaround in the meantime?",
    "We ordered the replacement, it arrives Monday.", "I checked the settings, they look right.",
    "Please close this, it is no longer needed.", "The invoice number is on the second page.",
    "Happy to test a fix whenever you are ready.", "It is the same problem as last month.",
    "I reset the password but the account is still locked.", "The meeting room screen stays black.",
    "The badge reader at the side entrance beeps red.", "My payslip shows the old tax class.",
    "The booking confirmation never arrived.", "Our cost centre is 4711.",
    "We are waiting on the supplier's answer.", "Let us know if you need anything else.",
    "I will be on leave from Friday.", "The laptop fan is very loud since the update.",
    "This blocks the month-end close.", "The contract draft is in the shared folder.",
    "The visitor arrives at nine.", "I can reproduce it every time.",
)  # fmt: skip
# Multiplier, offset and prime of the hashes of g; each choice uses its own.
HASHES = (
    (7919, 11, 1_000_003),
    (104_729, 17, 1_000_033),
    (15_485_863, 23, 1_000_037),
    (32_452_843, 29, 1_000_039),
    (49_979_687, 31, 1_000_081),
    (67_867_967, 37, 1_000_099),
    (86_028_121, 41, 1_000_117),
    (179_424_673, 43, 1_000_121),
    (275_604_541, 47, 1_000_133),
    (373_587_883, 53, 1_000_151),
    (2_038_074_743, 59, 1_000_159),
)


def hashed(k: int, of: str = "g") -> str:
    multiplier, offset, prime = HASHES[k]
    return f"(({of} * {multiplier} + {offset}) %% {prime})"


def _literal(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(int(value))


def _values(name: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A CTE ``name(columns)`` of literal rows."""
    body = ", ".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in rows)
    return f"{name}({', '.join(columns)}) AS (VALUES {body})"


def _least(a: str, b: str) -> str:
    return f"(CASE WHEN ({a}) < ({b}) THEN ({a}) ELSE ({b}) END)"


def _json_object(vendor: str, pairs: Sequence[tuple[str, str]]) -> str:
    function = "jsonb_build_object" if vendor == "postgresql" else "json_object"
    return f"{function}({', '.join(f'{_literal(k)}, {v}' for k, v in pairs)})"


def _json_text(vendor: str, column: str, key: str) -> str:
    return f"({column}->>'{key}')" if vendor == "postgresql" else f"json_extract({column}, '$.{key}')"


def _by_priority(hp: str, values: Sequence[int]) -> str:
    """Request priority is low below 20, normal below 80, high below 95, else critical (``hp`` in 0..99)."""
    low, normal, high, critical = values
    return (
        f"(CASE WHEN {hp} < 20 THEN {low} WHEN {hp} < 80 THEN {normal} WHEN {hp} < 95 THEN {high} ELSE {critical} END)"
    )


# --- the requests ----------------------------------------------------------------------------------


def requests_insert(vendor: str, catalog: Catalog, n: int) -> str:
    """One INSERT ... SELECT of all N requests (see the module's docstring for their shape)."""
    from django.db import connection

    from requests_app.models import ServiceRequest

    slots = [i for i, s in enumerate(SERVICES) for _ in range(s.weight)]
    department_index = {d.slug: i for i, d in enumerate(DEPARTMENTS)}
    services = []
    for i, spec in enumerate(SERVICES):
        d = department_index[spec.department]
        agents = len(catalog.agents[d])
        row = (i, catalog.service_ids[i], catalog.department_ids[d], d, agents, int(spec.asset), spec.name)
        services.append((*row, DEPARTMENTS[d].prefix))
    requesters = catalog.requester_slots()
    agents = [(d * 1000 + k, uid) for d, ids in catalog.agents.items() for k, uid in enumerate(ids)]
    wall = 60 * BUSINESS_TO_WALL  # wall-clock seconds per business minute
    fr_min = _by_priority("hp", [t[0] for t in TARGETS.values()])
    res_min = _by_priority("hp", [t[1] for t in TARGETS.values()])
    fresh, active, recent = "pos * 1000 < 2 * %(n)s", "pos * 1000 < 10 * %(n)s", "pos * 1000 < 30 * %(n)s"
    ctes = [
        series(vendor, "series", "%(n)s"),
        _values("svc", ["i", "service_id", "department_id", "dept", "n_agents", "asset", "name", "prefix"], services),
        _values("slot", ["s", "i"], list(enumerate(slots))),
        _values("req", ["s", "user_id", "home"], [(s, uid, home) for s, (uid, home) in enumerate(requesters)]),
        _values("agent", ["k", "user_id"], agents),
        _values("ending", ["i", "t"], list(enumerate(TITLE_ENDINGS))),
        _values("sentence", ["i", "t"], list(enumerate(SENTENCES))),
        _values("loc", ["i", "t"], list(enumerate(LOCATIONS))),
        "base AS (SELECT g, %(n)s - g AS pos, "
        f"{hashed(0)} %% 1000 AS svc_slot, {hashed(1)} %% {len(requesters)} AS req_slot, "
        f"{hashed(2)} %% 1000 AS hs, {hashed(3)} %% 100 AS hp, {hashed(4)} AS ha, {hashed(5)} AS hr, "
        f"{hashed(6)} AS hq, "
        f"{hashed(7)} %% {len(TITLE_ENDINGS)} AS he, {hashed(8)} %% {len(SENTENCES)} AS ht, "
        f"{hashed(9)} %% {len(LOCATIONS)} AS hl, {hashed(10)} AS hj "
        "FROM (SELECT CAST(g AS bigint) AS g FROM series) AS s)",
        "typed AS (SELECT b.*, v.service_id, v.department_id, v.dept, v.n_agents, v.asset, v.name, v.prefix, "
        "r.user_id AS requester_id, r.home AS requester_department_id, "
        f"CASE WHEN {fresh} THEN (CASE WHEN hs < 400 THEN 'new' WHEN hs < 850 THEN 'open' ELSE 'waiting' END) "
        f"WHEN {active} THEN (CASE WHEN hs < 50 THEN 'new' WHEN hs < 750 THEN 'open' ELSE 'waiting' END) "
        f"WHEN {recent} THEN (CASE WHEN hs < 80 THEN 'open' WHEN hs < 140 THEN 'waiting' WHEN hs < 400 "
        "THEN 'resolved' WHEN hs < 430 THEN 'cancelled' ELSE 'closed' END) "
        "ELSE (CASE WHEN hs < 1 THEN 'open' WHEN hs < 2 THEN 'waiting' WHEN hs < 40 THEN 'cancelled' "
        "ELSE 'closed' END) END AS status, "
        f"{fr_min} AS fr_min, {res_min} AS res_min, "
        f"-60 - pos * {SPAN_SECONDS} / %(n)s - hj %% {max(1, SPAN_SECONDS // n)} AS c "
        "FROM base AS b JOIN slot ON slot.s = b.svc_slot JOIN svc AS v ON v.i = slot.i "
        "JOIN req AS r ON r.s = b.req_slot)",
        # Seconds relative to now: first response (20% late), then waiting, resolution, closing.
        "answered AS (SELECT t.*, CASE WHEN status IN ('new', 'cancelled') THEN NULL "
        f"ELSE {_least(f'c + hr %% (fr_min * {wall * 5 // 4})', '-30')} END AS responded FROM typed AS t)",
        "settled AS (SELECT a.*, "
        f"CASE WHEN status = 'waiting' THEN {_least('responded + 3600 + hq %% 86400', '-15')} END AS waited, "
        f"CASE WHEN status IN ('resolved', 'closed') THEN {_least(f'c + hq %% (res_min * {wall * 6 // 5})', '-20')} "
        "END AS res_at, "
        f"CASE WHEN status = 'cancelled' THEN {_least('c + hq %% 86400', '-10')} END AS cancelled_at "
        "FROM answered AS a)",
        "clocked AS (SELECT s.*, "
        "CASE WHEN res_at IS NOT NULL AND res_at < responded THEN responded ELSE res_at END AS resolved, "
        f"c + fr_min * {wall} AS fr_due, c + res_min * {wall} AS res_due FROM settled AS s)",
        "timed AS (SELECT k.*, "
        f"CASE WHEN status = 'closed' THEN {_least('resolved + 259200', '-10')} "
        "WHEN status = 'cancelled' THEN cancelled_at END AS closed, "
        "CASE WHEN status = 'new' THEN fr_due WHEN status = 'open' THEN res_due END AS next_due, "
        f"CASE WHEN status = 'new' THEN c + fr_min * {wall * 3 // 4} "
        f"WHEN status = 'open' THEN c + res_min * {wall * 3 // 4} END AS at_risk FROM clocked AS k)",
        "numbered AS (SELECT t.*, row_number() OVER (PARTITION BY department_id ORDER BY g) AS rn FROM timed AS t)",
    ]
    stopped_fr = f"CASE WHEN responded - c > fr_min * {wall} THEN fr_due END"
    values = _json_object(vendor, [("location", "loc.t"), ("details", "sentence.t")])
    values_with_tag = _json_object(
        vendor,
        [("location", "loc.t"), ("details", "sentence.t"), ("asset_tag", "'LT-' || CAST(10000 + hq %% 90000 AS text)")],
    )
    columns = {
        "service_id": "service_id",
        "department_id": "department_id",
        "number": f"{FIRST_NUMBER} + rn",
        "reference": f"prefix || '-' || CAST({FIRST_NUMBER} + rn AS text)",
        "requester_id": "requester_id",
        "requester_department_id": "requester_department_id",
        "title": "name || ' ' || ending.t",
        "values": f"CASE WHEN asset = 1 THEN {values_with_tag} ELSE {values} END",
        "status": "status",
        "priority": _by_priority("hp", ["'low'", "'normal'", "'high'", "'critical'"]),
        "priority_rank": _by_priority("hp", [1, 2, 3, 4]),
        "assignee_id": "CASE WHEN status = 'new' OR (status = 'cancelled' AND hs %% 2 = 0) THEN NULL "
        "ELSE agent.user_id END",
        "resolution_note": "CASE WHEN resolved IS NULL THEN '' ELSE 'Done, see the last reply.' END",
        "created_at": at(vendor, "c"),
        "updated_at": at(vendor, "COALESCE(closed, resolved, waited, responded, c)"),
        "first_responded_at": at(vendor, "responded"),
        "resolved_at": at(vendor, "resolved"),
        "closed_at": at(vendor, "closed"),
        "waiting_since": at(vendor, "waited"),
        "first_response_target_minutes": "fr_min",
        "first_response_used_seconds": "CASE WHEN status = 'new' THEN 0 "
        "WHEN status = 'cancelled' THEN (cancelled_at - c) / 3 ELSE (responded - c) / 3 END",
        "first_response_running_since": at(vendor, "CASE WHEN status = 'new' THEN c END"),
        "first_response_due_at": at(vendor, "CASE WHEN status = 'new' THEN fr_due END"),
        "first_response_breached_at": at(
            vendor, f"CASE WHEN status = 'new' THEN (CASE WHEN fr_due <= 0 THEN fr_due END) ELSE {stopped_fr} END"
        ),
        "resolution_target_minutes": "res_min",
        "resolution_used_seconds": "CASE WHEN status = 'waiting' THEN (waited - c) / 3 "
        "WHEN status IN ('resolved', 'closed') THEN (resolved - c) / 3 "
        "WHEN status = 'cancelled' THEN (cancelled_at - c) / 3 ELSE 0 END",
        "resolution_running_since": at(vendor, "CASE WHEN status IN ('new', 'open') THEN c END"),
        "resolution_due_at": at(vendor, "CASE WHEN status IN ('new', 'open') THEN res_due END"),
        "resolution_breached_at": at(
            vendor,
            "CASE WHEN status IN ('new', 'open') THEN (CASE WHEN res_due <= 0 THEN res_due END) "
            f"WHEN status = 'waiting' THEN (CASE WHEN waited - c > res_min * {wall} THEN res_due END) "
            f"WHEN status IN ('resolved', 'closed') THEN (CASE WHEN resolved - c > res_min * {wall} THEN res_due END) "
            "END",
        ),
        "next_due_at": at(vendor, "next_due"),
        "at_risk_at": at(vendor, "at_risk"),
        "sla_generation": "CASE status WHEN 'new' THEN 1 WHEN 'open' THEN 2 WHEN 'cancelled' THEN 2 ELSE 3 END",
        "sla_next_check_at": at(
            vendor,
            "CASE WHEN at_risk > 0 THEN at_risk WHEN next_due > 0 THEN next_due "
            "WHEN status IN ('new', 'open') AND res_due > 0 THEN res_due "
            "WHEN status = 'waiting' AND waited + 172800 > 0 THEN waited + 172800 END",
        ),
    }
    check_columns(ServiceRequest, columns, GENERATOR)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    return (
        f"WITH RECURSIVE {', '.join(ctes)} "
        f"INSERT INTO {ServiceRequest._meta.db_table} ({quoted}) SELECT {', '.join(columns.values())} "
        "FROM numbered LEFT JOIN agent ON agent.k = dept * 1000 + ha %% n_agents "
        "JOIN ending ON ending.i = he JOIN sentence ON sentence.i = ht JOIN loc ON loc.i = hl "
        "ORDER BY g"  # ids in filing order, as the app assigns them
    )


# --- what hangs off the requests -------------------------------------------------------------------


def between(vendor: str, start: str, end: str, share: str) -> str:
    """The instant ``share`` (an SQL fraction) of the way from ``start`` to ``end``."""
    if vendor == "postgresql":
        return f"({start} + ({end} - {start}) * ({share}))"
    return (
        f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', julianday({start}) + (julianday({end}) - julianday({start})) * ({share}))"
    )


def comments_insert(vendor: str) -> str:
    """1 to 5 comments per request, alternating requester and assignee; a third of the assignee's internal."""
    from requests_app.models import Comment, ServiceRequest

    ctes = [
        _values("k", ["i"], [(i,) for i in range(1, 6)]),
        _values("sentence", ["i", "t"], list(enumerate(SENTENCES))),
    ]
    columns = {
        "request_id": "r.id",
        "author_id": "CASE WHEN k.i %% 2 = 1 OR r.assignee_id IS NULL THEN r.requester_id ELSE r.assignee_id END",
        "body": "s1.t || ' ' || s2.t",
        "internal": "CASE WHEN k.i %% 2 = 0 AND r.assignee_id IS NOT NULL AND (r.id + k.i) %% 3 = 0 "
        "THEN TRUE ELSE FALSE END",
        "created_at": between(vendor, "r.created_at", "r.updated_at", "k.i / 6.0"),
    }
    check_columns(Comment, columns, GENERATOR)
    return (
        f"WITH {', '.join(ctes)} INSERT INTO {Comment._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(columns.values())} FROM {ServiceRequest._meta.db_table} AS r "
        f"JOIN k ON k.i <= 1 + {hashed(0, 'r.id')} %% 5 "
        f"JOIN sentence AS s1 ON s1.i = ({hashed(1, 'r.id')} + k.i * 7) %% {len(SENTENCES)} "
        f"JOIN sentence AS s2 ON s2.i = ({hashed(2, 'r.id')} + k.i * 11) %% {len(SENTENCES)}"
    )


def events_insert() -> str:
    """A "filed" event per request, a "reply" at its first response (unless the resolution was the first
    answer), and one for its last status change (none for new requests): what the summary refresh reads."""
    from requests_app.models import RequestEvent, ServiceRequest

    table = ServiceRequest._meta.db_table
    columns = "request_id, actor_id, kind, from_value, to_value, internal, created_at"
    kind = "CASE status WHEN 'resolved' THEN 'resolved' WHEN 'cancelled' THEN 'cancelled' ELSE 'status' END"
    before = (
        "CASE status WHEN 'open' THEN 'new' WHEN 'closed' THEN 'resolved' WHEN 'cancelled' THEN 'new' ELSE 'open' END"
    )
    return (
        f"INSERT INTO {RequestEvent._meta.db_table} ({columns}) "
        f"SELECT id, requester_id, 'filed', '', reference, FALSE, created_at FROM {table} "
        f"UNION ALL SELECT id, CASE WHEN status = 'cancelled' THEN requester_id ELSE assignee_id END, {kind}, "
        f"{before}, status, FALSE, updated_at FROM {table} WHERE status <> 'new' "
        f"UNION ALL SELECT id, assignee_id, 'reply', '', '', FALSE, first_responded_at FROM {table} "
        "WHERE first_responded_at IS NOT NULL AND (resolved_at IS NULL OR first_responded_at < resolved_at)"
    )


def handoffs_insert() -> str:
    from requests_app.models import Handoff, ServiceRequest

    return (
        f"INSERT INTO {Handoff._meta.db_table} (request_id, department_id, service_id, started_at, ended_at, reason) "
        f"SELECT id, department_id, service_id, created_at, NULL, '' FROM {ServiceRequest._meta.db_table}"
    )


def search_insert(vendor: str) -> str:
    """The search document as ``requests_app.services.search`` builds it: reference, title, the values of the
    fields, then the public comments (``to_tsvector('simple', ...)`` on PostgreSQL, lower-cased text on SQLite)."""
    from requests_app.models import Comment, RequestSearch, ServiceRequest

    column = 'r."values"'
    values = " || ' ' || ".join(f"COALESCE({_json_text(vendor, column, k)}, '')" for k in SEARCHED_FIELDS)
    text = f"r.reference || ' ' || r.title || ' ' || {values} || ' ' || COALESCE(c.body, '')"
    aggregate = "string_agg(body, ' ' ORDER BY id)" if vendor == "postgresql" else "group_concat(body, ' ')"
    # Like ``search._words``: PostgreSQL's parser would read "IT-1042" as "it" and "-1042", so the document
    # is built from the words of the text (on SQLite the text stays as it is, lower-cased). The generated
    # text has no non-word characters but PUNCTUATION (checked below), and translate() is several times
    # cheaper than regexp_replace(text, '\W+', ' ', 'g').
    words = f"translate({text}, {_literal(PUNCTUATION)}, '{' ' * len(PUNCTUATION)}')"
    document, plain = (
        (f"to_tsvector('simple', {words})", "''") if vendor == "postgresql" else ("NULL", f"lower({text})")
    )
    return (
        f"INSERT INTO {RequestSearch._meta.db_table} (request_id, document, text) SELECT r.id, {document}, {plain} "
        f"FROM {ServiceRequest._meta.db_table} AS r LEFT JOIN (SELECT request_id, {aggregate} AS body "
        f"FROM {Comment._meta.db_table} WHERE NOT internal GROUP BY request_id) AS c ON c.request_id = r.id"
    )


SEARCHED_FIELDS = ("location", "details", "asset_tag")
PUNCTUATION = "-.,'?!"
_WORDS_AND_PUNCTUATION = re.compile(r"[A-Za-z0-9 " + re.escape(PUNCTUATION) + "]*")
assert all(
    _WORDS_AND_PUNCTUATION.fullmatch(text)
    for text in (*TITLE_ENDINGS, *SENTENCES, *LOCATIONS, *(s.name for s in SERVICES), *(d.prefix for d in DEPARTMENTS))
), "search_insert() blanks only PUNCTUATION: extend it for the new characters"


def watchers_insert(catalog: Catalog) -> str:
    """A colleague follows one request in a hundred."""
    from requests_app.models import ServiceRequest, Watcher

    people = _values("person", ["s", "user_id"], list(enumerate(catalog.employee_ids)))
    return (
        f"WITH {people} INSERT INTO {Watcher._meta.db_table} (request_id, user_id, added_by_id, created_at) "
        f"SELECT r.id, p.user_id, r.requester_id, r.created_at FROM {ServiceRequest._meta.db_table} AS r "
        f"JOIN person AS p ON p.s = {hashed(3, 'r.id')} %% {len(catalog.employee_ids)} "
        f"WHERE {hashed(4, 'r.id')} %% 100 = 0 AND p.user_id <> r.requester_id"
    )


def number_departments() -> None:
    """Each department's last request number, so requests filed later continue the sequence."""
    from departments.models import Department
    from requests_app.models import ServiceRequest

    departments, requests = Department._meta.db_table, ServiceRequest._meta.db_table
    execute(
        f"UPDATE {departments} SET last_request_number = {FIRST_NUMBER} + "
        f"(SELECT count(*) FROM {requests} AS r WHERE r.department_id = {departments}.id)"
    )
