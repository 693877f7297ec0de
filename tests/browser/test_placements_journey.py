"""A child's therapy in the browser: an officer records the child and the plan, refers it, finds a provider on
the QPL, arranges and activates the call-off; the provider submits an invoice; the officer approves it. axe
checks every page on the way (and the lists and pages around them); the same journey works with JavaScript
turned off. Every name here is invented."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from core.roles import Role
from placements.models import Child, Invoice, Placement, Referral
from tests.core.factories import UserFactory
from tests.placements.factories import qpl_provider

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def rowan():
    """A QPL provider for speech and language therapy in Swale at £70 an hour, and one of its staff."""
    provider = qpl_provider(legal_name="Rowan Speech Ltd", trading_name="Rowan Speech", rate="70.00")
    user = UserFactory(email="billing@rowan.example.org", role=Role.PROVIDER, provider=provider)
    return provider, user


def iso(day) -> str:
    return day.strftime("%Y-%m-%d")


def journey(page, live_server, check, officer, provider_user, sign_in, reference):
    """The whole journey; `check(page)` runs on every page visited. Returns the approved invoice."""
    url = live_server.url
    today = timezone.localdate()
    start = today - timedelta(days=70)
    sign_in(page, officer)
    check(page)

    page.goto(f"{url}/children/")
    check(page)
    page.get_by_role("link", name="Record a child with a plan").click()
    check(page)
    page.get_by_role("button", name="Save child").click()  # empty: errors summarised, on their fields
    assert page.locator(".govuk-error-summary").is_visible()
    assert "Enter the child's first name" in page.content()
    check(page)
    page.fill("#id_first_name", "Wren")
    page.fill("#id_last_name", "Fernsby")
    page.fill("#id_date_of_birth", "2017-05-04")
    page.fill("#id_ehcp_reference", reference)
    page.select_option("#id_district", label="Swale")
    page.fill("#id_school_name", "Fictional Academy")
    page.get_by_role("button", name="Save child").click()
    assert "Wren Fernsby" in page.locator("h1").inner_text()
    check(page)

    page.get_by_role("link", name="Add provision from the plan").click()
    check(page)
    page.select_option("#id_therapy_type", label="Speech and language therapy")
    page.fill("#id_amount", "1")
    page.fill("#id_start_date", iso(today - timedelta(days=90)))
    page.get_by_role("button", name="Save provision").click()
    assert "The provision has been added to the plan." in page.content()
    check(page)

    page.get_by_role("link", name=re.compile("^Put on the waiting list")).click()
    check(page)
    page.fill("#id_referred_on", iso(today - timedelta(days=80)))
    page.get_by_role("button", name="Put on the waiting list").click()
    assert "The provision is on the waiting list." in page.content()
    check(page)

    page.get_by_role("link", name="Find a provider on the QPL").click()
    check(page)
    page.fill("#id_on", iso(start))
    page.get_by_role("button", name="Find providers").click()
    assert "Rowan Speech" in page.content() and "£70.00" in page.content()
    check(page)
    page.get_by_role("link", name=re.compile("^Choose")).first.click()
    check(page)
    assert page.input_value("#id_rate") == "70.00"  # the price in force, shown
    assert page.input_value("#id_start_date") == iso(start)
    page.fill("#id_end_date", iso(today + timedelta(days=200)))
    page.get_by_role("button", name="Propose the placement").click()
    assert "has been proposed" in page.content()
    check(page)
    placement_url = page.url

    page.get_by_role("link", name="Activate the placement").click()
    check(page)
    page.get_by_role("button", name="Activate the placement").click()
    assert "The placement is active" in page.content()
    check(page)
    page.goto(f"{url}/waiting-list/?stage=")
    check(page)
    page.goto(f"{url}/placements/")
    check(page)
    page.goto(f"{url}/")
    check(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, provider_user)
    check(page)
    page.goto(placement_url)
    assert "Fernsby" not in page.content() and "Wren (" in page.content()
    check(page)
    page.get_by_role("link", name="Submit an invoice").click()
    check(page)
    page.fill("#id_number", f"R-{reference}")
    page.fill("#id_period_start", iso(start))
    page.fill("#id_period_end", iso(start + timedelta(days=400)))  # past the placement: refused
    page.fill("#id_units_delivered", "4")
    page.fill("#id_amount", "280.00")
    page.get_by_role("button", name="Submit the invoice").click()
    assert page.locator(".govuk-error-summary").is_visible()
    check(page)
    page.fill("#id_period_end", iso(start + timedelta(days=29)))
    page.get_by_role("button", name="Submit the invoice").click()
    assert f"Invoice R-{reference}" in page.locator("h1").inner_text()
    check(page)
    invoice_url = page.url
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, officer)
    page.goto(f"{url}/invoices/?status=submitted")
    check(page)
    page.goto(invoice_url)
    check(page)
    page.get_by_role("link", name="Approve the invoice").click()
    check(page)
    page.get_by_role("button", name="Approve the invoice").click()
    assert "The invoice has been approved." in page.content()
    check(page)
    child = Child.objects.get(ehcp_reference=reference)
    page.goto(f"{url}/children/{child.pk}/")
    check(page)
    for path in ("/assurance/", "/reviews/due/", "/disputes/", "/invoices/"):
        page.goto(f"{url}{path}")
        check(page)
    return Invoice.objects.get(number=f"R-{reference}")


def assert_done(invoice):
    assert invoice.status == Invoice.Status.APPROVED
    placement = invoice.placement
    assert placement.arrangement == Placement.Arrangement.QPL_CALL_OFF
    assert placement.status == Placement.Status.ACTIVE
    assert placement.referral.stage == Referral.Stage.PLACED


def test_the_placement_journey_is_accessible(page, live_server, officer, rowan, sign_in, assert_accessible):
    _provider, provider_user = rowan
    assert_done(journey(page, live_server, assert_accessible, officer, provider_user, sign_in, "EHCP-WF-0001"))


def test_the_placement_journey_works_without_javascript(browser, live_server, officer, rowan, sign_in):
    _provider, provider_user = rowan
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    assert_done(journey(page, live_server, lambda page: None, officer, provider_user, sign_in, "EHCP-WF-0002"))
    context.close()
