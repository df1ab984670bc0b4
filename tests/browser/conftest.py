"""A headless Chromium driven by Selenium, for tests marked ``browser``.

The browser and its driver come from the system (Debian's ``chromium`` and
``chromium-driver``); Selenium Manager is never asked to download anything.
Without them the test is skipped on a workstation, but fails on CI
(``CI=true``), where they are installed and a skip would hide a broken setup.
When a test fails, a screenshot and the page source are saved next to its
temporary files to show what the browser saw.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_SECONDS = 10

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Bootstrap turns on smooth scrolling unless reduced motion is preferred; a smooth scroll
    # is still running when WebDriver clicks an element it just scrolled to, and the click misses.
    "--force-prefers-reduced-motion",
    "--window-size=1280,900",
]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Remember each phase's report on the test item, so the driver fixture knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _require_browser() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    reason = f"browser test needs {' and '.join(missing)} (apt-get install chromium chromium-driver)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must install them, refusing to skip", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def driver(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Generator[Any]:
    """A fresh headless Chromium with its own profile; closed after the test."""
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager: never reach the network.
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            try:
                browser.save_screenshot(str(tmp_path / "failure.png"))
                (tmp_path / "failure.html").write_text(browser.page_source, encoding="utf-8")
                print(f"browser state at failure ({browser.current_url}) saved in {tmp_path}")
            except Exception as exc:  # noqa: BLE001 - a broken browser must not hide the real failure
                print(f"could not save the browser state: {exc}")
        browser.quit()


@pytest.fixture
def wait(driver: Any) -> Any:
    """``wait.until(condition)``: an explicit wait with the suite's timeout."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SECONDS)
