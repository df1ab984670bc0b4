"""A lead triages in a real browser: claims and assigns from the queue without a page reload (HTMX),
then answers with a canned response filled in for the request."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from departments.models import CannedResponse
from requests_app import services
from requests_app.models import Comment, ServiceRequest

from ..factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def triage_world(transactional_db: None, world: Any) -> Any:
    """Two new IT requests and a canned response, committed for the live server's thread."""
    world.requester.first_name = "Rita"
    world.requester.save(update_fields=["first_name"])
    for title in ("Printer jams", "VPN drops"):
        services.request_file(
            service=world.laptop,
            requester=world.requester,
            title=title,
            values={"asset_tag": "LT-1", "reason": "Slow", "needed_by": None, "photo": None},
        )
    CannedResponse.objects.create(
        department=world.it,
        title="Asset tag, please",
        body="Hi {{ requester_first_name }}, please send the asset tag for {{ reference }}.",
    )
    return world


def sign_in(driver: Any, wait: Any, live_server: Any, user: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    driver.get(live_server.url + reverse("login"))
    driver.find_element(By.ID, "id_username").send_keys(user.username)
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(ec.title_contains("Service catalog"))


def test_lead_claims_and_assigns_in_the_queue_without_reloading_and_answers_with_a_canned_response(
    live_server: Any, triage_world: Any, driver: Any, wait: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    world = triage_world
    printer = ServiceRequest.objects.get(title="Printer jams")
    vpn = ServiceRequest.objects.get(title="VPN drops")
    sign_in(driver, wait, live_server, world.lead)
    driver.get(live_server.url + reverse("requests_app:queue", args=[world.it.slug]))
    wait.until(ec.presence_of_element_located((By.ID, f"row-{printer.reference}")))
    # A marker on the page survives only if the page is never reloaded.
    driver.execute_script("window.noReload = 'still here';")

    row = driver.find_element(By.ID, f"row-{printer.reference}")
    row.find_element(By.XPATH, ".//button[normalize-space()='Claim']").click()
    wait.until(ec.staleness_of(row))
    row = wait.until(ec.presence_of_element_located((By.ID, f"row-{printer.reference}")))
    assert "Lead Tester" in row.find_element(By.CSS_SELECTOR, ".assignee-cell").text
    printer.refresh_from_db()
    assert printer.assignee == world.lead
    # The row swapped in gets its assign form again, showing its new assignee.
    menu = wait.until(ec.visibility_of_element_located((By.ID, f"assign-{printer.reference}")))
    assert Select(menu).first_selected_option.text == "Lead Tester"

    row = driver.find_element(By.ID, f"row-{vpn.reference}")
    Select(row.find_element(By.ID, f"assign-{vpn.reference}")).select_by_visible_text("Agent Tester")
    row.find_element(By.XPATH, ".//button[normalize-space()='Assign']").click()
    wait.until(ec.staleness_of(row))
    row = wait.until(ec.presence_of_element_located((By.ID, f"row-{vpn.reference}")))
    assert "Agent Tester" in row.find_element(By.CSS_SELECTOR, ".assignee-cell").text
    vpn.refresh_from_db()
    assert vpn.assignee == world.agent
    assert driver.execute_script("return window.noReload;") == "still here"

    # On the request page, the canned response arrives filled in for this request and is sent as a reply.
    driver.find_element(By.LINK_TEXT, printer.reference).click()
    insert = wait.until(ec.element_to_be_clickable((By.ID, "canned-insert")))
    insert.click()
    body = driver.find_element(By.CSS_SELECTOR, "#reply-form textarea[name=body]")
    expected = f"Hi Rita, please send the asset tag for {printer.reference}."
    wait.until(lambda d: body.get_property("value") == expected)
    driver.find_element(By.CSS_SELECTOR, "#reply-form button[type=submit]").click()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".alert-success"), "Reply sent."))
    assert Comment.objects.get(request=printer).body == expected
