"""Watchers of a request (``requests_app.services.triage``): who may add them, what they see, what they are
emailed."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from requests_app import services
from requests_app.models import Comment, EventKind, ServiceRequest, Status, Watcher

from .. import factories
from .triage_helpers import history, new_request

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def add_watcher(client: Any, sr: ServiceRequest, person: str) -> Any:
    return client.post(reverse("requests_app:request_watcher_add", args=[sr.reference]), {"person": person})


@pytest.fixture
def watched(world: Any) -> ServiceRequest:
    """A request the requester asked their colleague to follow, with a public reply and an internal note."""
    sr = new_request(world, "Broken screen")
    services.watcher_add(service_request=sr, user=world.colleague, by=world.requester)
    services.comment_add(service_request=sr, author=world.agent, body="A new screen is ordered.")
    services.comment_add(service_request=sr, author=world.agent, body="Charge it to cost centre 42.", internal=True)
    return sr


def test_the_requester_adds_a_colleague_as_a_watcher(world, client_for):
    sr = new_request(world)

    response = add_watcher(client_for(world.requester), sr, "colleague")

    assert response.status_code == 302
    assert Watcher.objects.get(request=sr).user == world.colleague
    assert history(sr) == [(EventKind.WATCHER_ADDED, world.requester.pk, "", "Colleague Tester")]
    page = client_for(world.requester).get(sr.get_absolute_url()).content.decode()
    assert "Colleague Tester" in page.split('id="watchers"')[1]


def test_a_watcher_can_be_named_by_email_address(world, client_for):
    sr = new_request(world)

    add_watcher(client_for(world.requester), sr, "COLLEAGUE@example.com")

    assert Watcher.objects.get(request=sr).user == world.colleague


def test_adding_an_unknown_person_as_watcher_is_refused(world, client_for):
    sr = new_request(world)

    response = add_watcher(client_for(world.requester), sr, "nobody-here")

    assert response.status_code == 400
    assert "Nobody active is called" in response.content.decode()
    assert not Watcher.objects.exists()


def test_the_same_colleague_cannot_be_added_twice(world, client_for, watched):
    response = add_watcher(client_for(world.requester), watched, "colleague")

    assert response.status_code == 400
    assert Watcher.objects.filter(request=watched).count() == 1


def test_the_requester_cannot_watch_their_own_request(world, client_for):
    sr = new_request(world)

    response = add_watcher(client_for(world.requester), sr, "requester")

    assert response.status_code == 400
    assert not Watcher.objects.exists()


def test_a_watcher_sees_the_public_conversation_and_status_but_not_internal_notes(world, client_for, watched):
    services.request_change_status(service_request=watched, to_status=Status.WAITING, by=world.agent)

    response = client_for(world.colleague).get(watched.get_absolute_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert "A new screen is ordered." in page
    assert "cost centre 42" not in page
    assert "Internal note" not in page
    assert 'id="request-status">Waiting on requester<' in page
    assert 'id="handoffs"' not in page


def test_a_watcher_cannot_reply(world, client_for, watched):
    client = client_for(world.colleague)
    assert 'id="reply-form"' not in client.get(watched.get_absolute_url()).content.decode()

    response = client.post(reverse("requests_app:request_reply", args=[watched.reference]), {"body": "Me too!"})

    assert response.status_code == 403
    assert not Comment.objects.filter(author=world.colleague).exists()


def test_a_watcher_cannot_add_other_watchers(world, client_for, watched):
    stranger = factories.make_user("stranger")

    response = add_watcher(client_for(world.colleague), watched, "stranger")

    assert response.status_code == 403
    assert not Watcher.objects.filter(user=stranger).exists()


@pytest.mark.parametrize("persona", ["colleague", "other_agent"])
def test_people_who_do_not_see_the_request_cannot_add_watchers(world, client_for, persona):
    sr = new_request(world)

    response = add_watcher(client_for(getattr(world, persona)), sr, "colleague")

    assert response.status_code == 404
    assert not Watcher.objects.exists()


def test_an_agent_of_the_department_can_add_a_watcher(world, client_for):
    sr = new_request(world)

    add_watcher(client_for(world.agent), sr, "colleague")

    assert Watcher.objects.get(request=sr).added_by == world.agent


def test_a_watcher_gets_the_departments_replies_and_the_resolution_by_email(world, client_for, submit, watched):
    mail.outbox.clear()
    agent = client_for(world.agent)

    submit(agent, reverse("requests_app:request_reply", args=[watched.reference]), {"body": "Arrives Tuesday."})
    submit(
        agent,
        reverse("requests_app:request_reply", args=[watched.reference]),
        {"body": "Supplier is slow.", "internal": "on"},
    )
    submit(agent, reverse("requests_app:request_resolve", args=[watched.reference]), {"resolution_note": "Replaced."})

    to_colleague = [m for m in mail.outbox if "colleague@example.com" in m.to]
    assert len(to_colleague) == 2
    assert "Arrives Tuesday." in to_colleague[0].body
    assert "Replaced." in to_colleague[1].body
    assert all("Supplier is slow." not in m.body for m in mail.outbox)
    assert all("requester@example.com" in m.to for m in to_colleague)


def test_a_watcher_is_not_emailed_the_requesters_own_messages(world, client_for, submit, watched):
    mail.outbox.clear()

    submit(client_for(world.requester), reverse("requests_app:request_reply", args=[watched.reference]), {"body": "Hi"})

    assert mail.outbox
    assert all("colleague@example.com" not in m.to for m in mail.outbox)


def test_a_watcher_finds_the_request_under_following_in_my_requests(world, client_for, watched):
    page = client_for(world.colleague).get(reverse("requests_app:my_requests")).content.decode()

    assert f">{watched.reference}<" in page.split('id="watching"')[1]


def test_a_watcher_can_stop_following(world, client_for, watched):
    client = client_for(world.colleague)

    response = client.post(reverse("requests_app:request_watcher_remove", args=[watched.reference, world.colleague.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("requests_app:my_requests")
    assert not Watcher.objects.exists()
    assert client.get(watched.get_absolute_url()).status_code == 404
    assert history(watched)[-1] == (EventKind.WATCHER_REMOVED, world.colleague.pk, "Colleague Tester", "")


def test_the_requester_can_remove_a_watcher(world, client_for, watched):
    response = client_for(world.requester).post(
        reverse("requests_app:request_watcher_remove", args=[watched.reference, world.colleague.pk])
    )

    assert response.status_code == 302
    assert not Watcher.objects.exists()


def test_a_watcher_cannot_remove_another_watcher(world, client_for, watched):
    second = factories.make_user("second")
    services.watcher_add(service_request=watched, user=second, by=world.requester)

    response = client_for(world.colleague).post(
        reverse("requests_app:request_watcher_remove", args=[watched.reference, second.pk])
    )

    assert response.status_code == 403
    assert Watcher.objects.filter(user=second).exists()
