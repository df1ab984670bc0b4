"""Sign-in throttling: after 5 failed attempts for one user name from one address, a lockout with a clear
message, logged; other people and other addresses are not affected."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from .factories import PASSWORD

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def sign_in(username: str, password: str, address: str = "10.0.0.1") -> Any:
    return Client(REMOTE_ADDR=address).post(reverse("login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_from_that_address_with_a_clear_page(world, caplog):
    with caplog.at_level(logging.WARNING, logger="axes"):
        attempts = [sign_in("requester", "wrong") for _ in range(5)]
        locked = sign_in("requester", PASSWORD)

    assert [a.status_code for a in attempts] == [200, 200, 200, 200, 429]
    assert locked.status_code == 429  # even with the right password
    page = locked.content.decode()
    assert "Too many failed sign-ins" in page
    assert 'id="locked-out"' in page
    lockouts = [r.getMessage() for r in caplog.records if "locking out" in r.getMessage().lower()]
    assert lockouts
    assert "requester" in lockouts[0] and "10.0.0.1" in lockouts[0]  # operators see whom and from where


def test_four_wrong_passwords_do_not_lock_and_a_right_one_resets_the_count(world):
    for _ in range(4):
        sign_in("requester", "wrong")

    assert sign_in("requester", PASSWORD).status_code == 302
    for _ in range(4):
        sign_in("requester", "wrong")
    assert sign_in("requester", PASSWORD).status_code == 302


def test_the_lockout_is_for_that_user_from_that_address_only(world):
    for _ in range(5):
        sign_in("requester", "wrong", address="10.0.0.1")

    assert sign_in("requester", PASSWORD, address="10.0.0.2").status_code == 302
    assert sign_in("colleague", PASSWORD, address="10.0.0.1").status_code == 302
    assert sign_in("requester", PASSWORD, address="10.0.0.1").status_code == 429


def test_the_lockout_ends_after_the_cool_off(world, settings):
    for _ in range(5):
        sign_in("requester", "wrong")
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=5)):
        assert sign_in("requester", PASSWORD).status_code == 302


def test_behind_the_proxy_the_address_it_appended_counts_not_what_the_client_claims(world, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    for n in range(5):
        Client(HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 10.9.9.9", REMOTE_ADDR="10.0.0.254").post(
            reverse("login"), {"username": "requester", "password": "wrong"}
        )

    locked = Client(HTTP_X_FORWARDED_FOR="5.6.7.8, 10.9.9.9", REMOTE_ADDR="10.0.0.254").post(
        reverse("login"), {"username": "requester", "password": PASSWORD}
    )

    assert locked.status_code == 429
