"""Moving the feedback loop's models into their own app (requests_app 0012, feedback 0001) moves them in
Django's migration state only: a database that holds ratings, thanks and summaries migrates forward
with every row where it was, and the content types (and so permissions) follow the models."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from requests_app import services
from requests_app.feedback import services as feedback_services
from requests_app.feedback.models import Feedback, Kudos, ServiceDay, SummaryRun
from requests_app.models import Status

from ... import factories

BEFORE_THE_MOVE = [("requests_app", "0011_queue_indexes_cover_view_counts"), ("feedback", None)]


def migrate(targets: list[tuple[str, str | None]]) -> Any:
    """Migrate the test database to ``targets``; the state's apps afterwards (historical models)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([key for key in targets if key[1] is not None]).apps


def latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] in ("requests_app", "feedback")]


@pytest.fixture
def rated_request(world: Any) -> Any:
    """A resolved request with a rating and a thank-you, and a summary row, written by today's code."""
    service_request = factories.make_request(
        world.laptop, world.requester, title="Broken screen", asset_tag="LT-1", reason="Broken"
    )
    services.request_claim(service_request=service_request, by=world.agent)
    services.request_resolve(service_request=service_request, by=world.agent, resolution_note="Replaced.")
    service_request.refresh_from_db()
    assert service_request.status == Status.RESOLVED
    feedback_services.feedback_give(service_request=service_request, by=world.requester, rating=2, comment="Slow")
    feedback_services.kudos_give(
        service_request=service_request, sender=world.requester, recipient=world.agent, message="Thanks!"
    )
    ServiceDay.objects.create(
        service=world.laptop, department=world.it, day=date(2027, 1, 4), filed=1, computed_at=timezone.now()
    )
    return service_request


@pytest.mark.django_db(transaction=True)
def test_a_database_with_feedback_data_migrates_forward_and_keeps_every_row(rated_request: Any) -> None:
    tables_before = set(connection.introspection.table_names())
    counts = (Feedback.objects.count(), Kudos.objects.count(), ServiceDay.objects.count())

    old = migrate(BEFORE_THE_MOVE)
    # Before the move the rows are requests_app's, in the same tables.
    assert old.get_model("requests_app", "Feedback").objects.get().rating == 2
    assert old.get_model("requests_app", "Kudos").objects.get().message == "Thanks!"
    assert ContentType.objects.filter(app_label="requests_app", model="feedback").exists()

    migrate(latest())

    assert set(connection.introspection.table_names()) == tables_before  # nothing renamed, created or dropped
    assert (Feedback.objects.count(), Kudos.objects.count(), ServiceDay.objects.count()) == counts
    feedback = Feedback.objects.select_related("request").get()
    assert (feedback.request_id, feedback.rating, feedback.comment) == (rated_request.pk, 2, "Slow")
    assert feedback.follow_up.department_id == rated_request.department_id  # a low rating's follow-up
    assert Kudos.objects.get().recipient.username == "agent"
    assert SummaryRun._meta.db_table == "requests_app_statsrun"


@pytest.mark.django_db(transaction=True)
def test_permissions_on_the_moved_models_follow_them(world: Any) -> None:
    migrate(BEFORE_THE_MOVE)
    old_type = ContentType.objects.get(app_label="requests_app", model="feedback")
    permission = Permission.objects.get(content_type=old_type, codename="view_feedback")
    world.lead.user_permissions.add(permission)

    migrate(latest())

    assert ContentType.objects.get(pk=old_type.pk).app_label == "feedback"
    assert not ContentType.objects.filter(app_label="requests_app", model="feedback").exists()
    assert world.lead.user_permissions.get().content_type.app_label == "feedback"
    assert not ContentType.objects.filter(app_label="feedback", model="statsrun").exists()  # renamed model
