"""A school place in the browser: an officer raises a request for a child and invites two schools on the DPS;
each school makes an offer; once offers close the officer scores both, reads the ranking and awards the place;
the placement agreement shows. axe checks every page on the way (and the lists around them); the same journey,
the schools' offer forms included, works with JavaScript turned off. Every name here is invented."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.roles import Role
from placements.models import Offer, PlacementRequest, SchoolPlacement
from tests.core.factories import UserFactory
from tests.placements.test_nmiss import child_with_autism, dps_school

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def schools():
    """Two schools admitted to lot 1 of the DPS, each with one member of staff."""
    orchard = dps_school("Fictional Orchard School")
    meadow = dps_school("Fictional Meadow School")
    return [
        (orchard, UserFactory(email="head@orchard.example.org", role=Role.PROVIDER, provider=orchard)),
        (meadow, UserFactory(email="head@meadow.example.org", role=Role.PROVIDER, provider=meadow)),
    ]


def submit(page, button: str) -> None:
    """Press a form's button and wait for the page that answers (a redirect, or the form with its errors)."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def iso(day) -> str:
    return day.strftime("%Y-%m-%d")


def make_offer(page, url, check, user, sign_in, education_fee, statement):
    """A school signs in, finds the request and makes an offer (a negative fee first: refused on its field)."""
    sign_in(page, user)
    check(page)
    page.goto(f"{url}/school-places/requests/")
    check(page)
    page.get_by_role("link", name="PR-").first.click()
    assert "Tamsin" not in page.content() and "Quarrendon" not in page.content()
    check(page)
    page.fill("#id_education_fee", education_fee)
    page.fill("#id_care_fee", "-100")
    page.check("input[name=weeks][value='38']")
    page.check("#id_place_confirmed")
    page.fill("#id_quality_statement", statement)
    submit(page, "Send the offer")
    assert page.locator(".govuk-error-summary").is_visible()
    assert "Fees cannot be negative" in page.content()
    check(page)
    page.fill("#id_care_fee", "0")
    submit(page, "Send the offer")
    assert "Your offer has been sent." in page.content()
    check(page)
    page.get_by_role("button", name="Sign out").click()


def journey(page, live_server, check, officer, schools, sign_in):
    """The whole journey; `check(page)` runs on every page visited. Returns the placement agreement."""
    url = live_server.url
    child = child_with_autism(ehcp_reference="EHCP-TQ0001")
    (orchard, orchard_user), (meadow, meadow_user) = schools
    sign_in(page, officer)
    page.goto(f"{url}/children/{child.pk}/")
    check(page)
    page.get_by_role("link", name="Request a school place").click()
    check(page)
    submit(page, "Save the request")  # empty: errors summarised, on their fields
    assert page.locator(".govuk-error-summary").is_visible()
    assert "Choose the lot the place is bought under" in page.content()
    check(page)
    page.select_option("#id_lot", index=1)
    page.fill("#id_needs_summary", "Needs a small, calm class and a speech and language programme.")
    page.check("input[name=setting][value=day]")
    page.fill("#id_required_start", "2026-09-01")
    page.fill("#id_deadline", iso(timezone.localdate() + timedelta(days=7)))
    page.fill("#id_deadline_time", "17:00")
    page.fill("#id_quality_weight", "70")  # 70 + 40 is not 100: refused on the field
    submit(page, "Save the request")
    assert "must add up to 100" in page.content()
    check(page)
    page.fill("#id_quality_weight", "60")
    submit(page, "Save the request")
    assert "The request has been saved." in page.content()
    check(page)
    request_url = page.url
    assert page.is_checked(f"input[name=schools][value='{orchard.pk}']")  # every eligible school is ticked
    assert page.is_checked(f"input[name=schools][value='{meadow.pk}']")
    submit(page, "Invite the chosen schools")
    assert "The schools have been invited" in page.content()
    check(page)
    page.get_by_role("button", name="Sign out").click()

    make_offer(page, url, check, orchard_user, sign_in, "50000", "Specialist teachers and an on-site therapy team.")
    make_offer(page, url, check, meadow_user, sign_in, "55000", "Small classes and a sensory room.")

    request = PlacementRequest.objects.get(child=child)
    PlacementRequest.objects.filter(pk=request.pk).update(deadline=timezone.now() - timedelta(minutes=1))

    sign_in(page, officer)
    page.goto(request_url)
    assert "Ranking" in page.content() and "Quality not yet scored" in page.content()
    check(page)
    offers = {o.invitation.school_id: o for o in Offer.objects.filter(request=request).select_related("invitation")}
    for school, score in ((orchard, "70"), (meadow, "80")):
        page.goto(f"{url}/school-places/offers/{offers[school.pk].pk}/score/")
        check(page)
        page.fill("#id_quality_score", "101")  # out of range: refused on the field
        page.fill("#id_reason", "Scored against the published criteria.")
        submit(page, "Save the score")
        assert page.locator(".govuk-error-summary").is_visible()
        check(page)
        page.fill("#id_quality_score", score)
        submit(page, "Save the score")
        assert "The score has been saved." in page.content()
        check(page)
    # Orchard 70 x 60% + 100 x 40% = 82.00; Meadow 80 x 60% + 90.91 x 40% = 84.36: Meadow first.
    content = page.content()
    assert "84.36" in content and "82.00" in content and "ranked 1st of 2" in content
    page.check(f"input[name=offer][value='{offers[orchard.pk].pk}']")  # not ranked first: needs a reason
    page.fill("#id_end_date", "2029-07-31")
    submit(page, "Award the place")
    assert "not ranked first" in page.content()
    check(page)
    page.check(f"input[name=offer][value='{offers[meadow.pk].pk}']")
    page.fill("#id_end_date", "2029-07-31")
    submit(page, "Award the place")
    assert "The place has been awarded" in page.content()
    assert "Individual placement agreement" in page.content()
    assert "Fictional Meadow School" in page.locator("h1").inner_text()
    check(page)
    for path in ("/school-places/requests/", "/school-places/", "/school-places/blocks/", "/school-places/history/"):
        page.goto(f"{url}{path}")
        check(page)
    page.goto(request_url)
    check(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, meadow_user)
    page.goto(request_url)
    assert "Your offer has been accepted" in page.content()
    check(page)
    page.get_by_role("link", name="See the placement agreement").click()
    assert "Tamsin (EHCP-TQ0001)" in page.content() and "Quarrendon" not in page.content()
    check(page)
    return SchoolPlacement.objects.get(request=request)


def assert_done(placement):
    assert placement.school.trading_name == "Fictional Meadow School"
    assert placement.offer.status == Offer.Status.AWARDED
    assert placement.request.status == PlacementRequest.Status.AWARDED


def test_the_school_place_journey_is_accessible(page, live_server, officer, schools, sign_in, assert_accessible):
    assert_done(journey(page, live_server, assert_accessible, officer, schools, sign_in))


def test_the_school_place_journey_works_without_javascript(browser, live_server, officer, schools, sign_in):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    assert_done(journey(page, live_server, lambda page: None, officer, schools, sign_in))
    context.close()
