"""Agents marking themselves away and back (``requests_app.services.triage``), which round robin reads."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from departments.models import Membership
from requests_app import services

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def availability(client: Any, available: str) -> Any:
    return client.post(reverse("requests_app:availability", args=["it"]), {"available": available}, follow=True)


def test_an_agent_marks_themselves_away_and_back_on_the_queue_page(world, client_for):
    client = client_for(world.agent)

    page = availability(client, "0").content.decode()
    assert Membership.objects.get(user=world.agent, department=world.it).is_available is False
    assert '<strong id="availability">away</strong>' in page
    assert "round robin skips you" in page

    page = availability(client, "1").content.decode()
    assert Membership.objects.get(user=world.agent, department=world.it).is_available is True
    assert '<strong id="availability">available</strong>' in page


def test_marking_oneself_away_leaves_other_members_as_they_are(world, client_for):
    availability(client_for(world.agent), "0")

    assert Membership.objects.get(user=world.lead, department=world.it).is_available is True


def test_nobody_outside_the_department_can_mark_themselves_available_there(world, client_for):
    for person in (world.other_agent, world.requester):
        assert availability(client_for(person), "0").status_code == 404


def test_a_lead_can_mark_a_member_away(world):
    membership = Membership.objects.get(user=world.agent, department=world.it)

    services.membership_set_available(membership=membership, available=False, by=world.lead)

    assert Membership.objects.get(pk=membership.pk).is_available is False


def test_an_agent_cannot_mark_another_member_away(world):
    membership = Membership.objects.get(user=world.lead, department=world.it)

    with pytest.raises(PermissionDenied):
        services.membership_set_available(membership=membership, available=False, by=world.agent)
    assert Membership.objects.get(pk=membership.pk).is_available is True
