"""An employee files a request in a real browser: sign in, catalog, form (one wrong try), request page, list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from requests_app.models import ServiceRequest

from ..factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_world(transactional_db: None, world: Any) -> Any:
    """The shared ``world``, committed for real so the live server's thread sees it."""
    return world


def test_employee_signs_in_and_files_a_request(
    live_server: Any, browser_world: Any, driver: Any, wait: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    # Signed out, the catalog sends the employee to the login page.
    driver.get(live_server.url + reverse("requests_app:catalog"))
    wait.until(ec.title_contains("Sign in"))
    driver.find_element(By.ID, "id_username").send_keys(browser_world.requester.username)
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()

    # Back on the catalog, signed in; open the service.
    wait.until(ec.title_contains("Service catalog"))
    assert "Requester Tester" in driver.find_element(By.CSS_SELECTOR, "nav .navbar-text").text
    driver.find_element(By.LINK_TEXT, "Laptop replacement").click()
    wait.until(ec.presence_of_element_located((By.ID, "file-request-form")))
    assert driver.find_element(By.TAG_NAME, "h1").text == "Laptop replacement"

    # First try without the asset tag: the form comes back with the error and keeps what was typed.
    driver.find_element(By.ID, "id_title").send_keys("Screen flickers")
    Select(driver.find_element(By.ID, "id_f_reason")).select_by_visible_text("Slow")
    submit = driver.find_element(By.CSS_SELECTOR, "#file-request-form button[type=submit]")
    submit.click()
    wait.until(ec.staleness_of(submit))
    asset_tag = wait.until(ec.visibility_of_element_located((By.ID, "id_f_asset_tag")))
    assert "is-invalid" in asset_tag.get_dom_attribute("class")
    error = driver.find_element(By.ID, "error_1_id_f_asset_tag")
    assert error.is_displayed()
    assert error.text == "This field is required."
    assert "Please correct the fields marked below" in driver.find_element(By.CSS_SELECTOR, ".alert-danger").text
    assert driver.find_element(By.ID, "id_title").get_property("value") == "Screen flickers"
    assert Select(driver.find_element(By.ID, "id_f_reason")).first_selected_option.text == "Slow"
    assert not ServiceRequest.objects.exists()

    # Second try: asset tag, another reason, and a photo.
    photo = tmp_path / "screen.txt"
    photo.write_text("stripes across the screen\n")
    asset_tag.send_keys("LT-0042")
    Select(driver.find_element(By.ID, "id_f_reason")).select_by_visible_text("Broken")
    driver.find_element(By.ID, "id_f_photo").send_keys(str(photo.resolve()))
    submit = driver.find_element(By.CSS_SELECTOR, "#file-request-form button[type=submit]")
    submit.click()

    # The request page shows its reference, what was asked and the photo.
    wait.until(ec.url_contains("/requests/IT-1001/"))
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".alert-success"), "Request IT-1001 was filed"))
    assert driver.find_element(By.CSS_SELECTOR, "main .ref").text == "IT-1001"
    assert driver.find_element(By.TAG_NAME, "h1").text == "Screen flickers"
    details = driver.find_element(By.CSS_SELECTOR, "[aria-labelledby=details-heading]").text
    assert "LT-0042" in details
    assert "Broken" in details
    assert driver.find_element(By.LINK_TEXT, "screen.txt").is_displayed()

    sr = ServiceRequest.objects.get()
    assert (sr.reference, sr.title, sr.requester) == ("IT-1001", "Screen flickers", browser_world.requester)
    assert sr.values["asset_tag"] == "LT-0042"
    assert sr.values["reason"] == "Broken"
    assert sr.attachments.get().original_name == "screen.txt"

    # "My requests" in the navigation lists it.
    driver.find_element(By.CSS_SELECTOR, "nav").find_element(By.LINK_TEXT, "My requests").click()
    row = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#my-requests tbody tr")))
    assert row.find_element(By.CSS_SELECTOR, "td.ref").text == "IT-1001"
    assert "Screen flickers" in row.text
    assert "Laptop replacement" in row.text
    assert len(driver.find_elements(By.CSS_SELECTOR, "#my-requests tbody tr")) == 1
