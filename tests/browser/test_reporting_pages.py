"""Report request, progress and result pages: accessible, and working without JavaScript."""

import pytest

from reporting import definitions
from reporting.models import ReportRun
from tests.reporting.conftest import Figures
from tests.reporting.factories import ReportRunFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def figures_report():
    definitions.register(Figures)
    yield
    definitions._REGISTRY.pop(Figures.kind, None)


def test_request_progress_and_result_pages_are_accessible(page, live_server, commissioner, sign_in, assert_accessible):
    sign_in(page, commissioner)
    page.goto(f"{live_server.url}/reports/")
    assert_accessible(page)
    page.get_by_role("link", name="Run Test figures").click()
    assert_accessible(page)
    page.get_by_role("button", name="Run report").click()
    assert page.locator("h1").inner_text() == "Test figures"
    assert page.locator("table caption", has_text="Therapies").is_visible()
    assert_accessible(page)
    running = ReportRunFactory(
        status=ReportRun.Status.RUNNING, progress=30, step="Adding up", requested_by=commissioner
    )
    page.goto(f"{live_server.url}{running.get_absolute_url()}")
    assert_accessible(page)
    failed = ReportRunFactory(status=ReportRun.Status.FAILED, error="RuntimeError: no", requested_by=commissioner)
    page.goto(f"{live_server.url}{failed.get_absolute_url()}")
    assert_accessible(page)


def test_reports_work_without_javascript(browser, live_server, officer, sign_in):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, officer)
    page.goto(f"{live_server.url}/reports/new/test-figures/")
    page.get_by_role("button", name="Run report").click()
    assert page.locator("table caption", has_text="Therapies").is_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV of Test figures").click()
    assert download.value.suggested_filename.endswith(".csv")
    context.close()
