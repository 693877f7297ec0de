"""Browser tests: the system Chromium through Playwright, offline, with axe-core for accessibility.

Every test here is marked `browser`; it skips where Chromium is missing, and fails instead under
REQUIRE_SERVICES=1. Never run `playwright install`: it downloads a browser.
"""

import os

import pytest
from allauth.account.models import EmailAddress

from tests.conftest import CHROMIUM, need_service
from tests.core.factories import TEST_PASSWORD, TEST_TOTP_SECRET

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    need_service(os.path.exists(CHROMIUM), f"Chromium at {CHROMIUM}")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": LAUNCH_ARGS, "headless": True}


def totp_code() -> str:
    """The current code from the test authenticator app.

    allauth refuses a code used twice (it remembers used codes in the cache, which the live server
    shares with the tests): forget them, so the same person can sign in again in the same 30 seconds.
    """
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from django.core.cache import cache

    cache.clear()
    return format_hotp_value(hotp_value(TEST_TOTP_SECRET, int(time.time()) // 30))


@pytest.fixture
def sign_in(live_server):
    """`sign_in(page, user)`: sign in through the real sign-in form."""

    def do(page, user):
        EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
        page.goto(f"{live_server.url}/account/login/")
        page.fill("#id_login", user.email)
        page.fill("#id_password", TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        if "/2fa/authenticate" in page.url:
            page.fill("#id_code", totp_code())
            page.get_by_role("button", name="Continue").click()
            page.wait_for_load_state()
        return page

    return do


@pytest.fixture
def assert_accessible():
    """Run axe-core on the page and fail with its report on any violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page):
        results = axe.run(page)
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    return check
