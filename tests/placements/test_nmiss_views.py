"""School places through the DPS, as pages: who may open what, what a school is shown (never the child, never
another school), the forms and their errors, and query counts that stay flat as rows grow. Every name here is
invented."""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from placements import services
from placements.models import (
    BlockContract,
    FeeUplift,
    Invitation,
    NmissHistoricalSpend,
    Offer,
    PlacementRequest,
    SchoolPlacement,
)
from tests.core.factories import UserFactory
from tests.placements.factories import ChildFactory
from tests.placements.test_nmiss import child_with_autism, close, dps_lot, dps_school, offer, raise_request

pytestmark = pytest.mark.django_db

EHCP = "EHCP-TQ0001"
OK, FORBIDDEN, GONE = 200, 403, 404


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def school_user(school, email):
    return UserFactory(email=email, role=Role.PROVIDER, provider=school)


def identity_of(child) -> list[str]:
    """Everything that would say who the child is: name, date of birth (as pages and downloads write it),
    EHCP reference and the pseudonym."""
    born = child.date_of_birth
    return [
        child.first_name,
        child.last_name,
        born.strftime("%-d %B %Y"),
        born.isoformat(),
        born.strftime("%d/%m/%Y"),
        child.ehcp_reference,
        child.pseudonym,
    ]


@pytest.fixture
def nmiss(officer):
    """A request for Tamsin (10, autism) sent to two of three eligible schools, both of which have offered
    (Orchard £50,000 a year, Meadow £55,000); a placement agreement for Tamsin at Orchard with an uplift; a
    block contract at Orchard; and a year of NMISS spend from before the service."""
    orchard = dps_school("Fictional Orchard School")
    meadow = dps_school("Fictional Meadow School")
    willow = dps_school("Fictional Willow School")  # eligible, never invited
    child = child_with_autism(ehcp_reference=EHCP)
    request = raise_request(officer, child=child)
    services.placement_request_invite(request=request, schools=[orchard, meadow], user=officer)
    users = {
        "orchard": school_user(orchard, "head@orchard.example.org"),
        "meadow": school_user(meadow, "head@meadow.example.org"),
        "willow": school_user(willow, "head@willow.example.org"),
    }
    invitations = {i.school_id: i for i in request.invitations.all()}
    orchard_offer = offer(
        invitations[orchard.pk],
        users["orchard"],
        "45000",
        therapy_fee=Decimal("5000"),
        quality_statement="Orchard's own teaching team.",
    )
    meadow_offer = offer(invitations[meadow.pk], users["meadow"], "55000", quality_statement="Meadow's calm rooms.")
    placement = services.school_placement_create(
        child=child,
        school=orchard,
        setting="day",
        weeks=38,
        start_date=date(2025, 9, 1),
        end_date=date(2026, 7, 31),
        education_fee=Decimal("41000.00"),
        user=officer,
    )
    uplift = services.school_placement_uplift(
        placement=placement,
        effective_from=date(2026, 1, 1),
        percent=Decimal("2.5"),
        reason="Annual inflationary uplift",
        decision_reference="26/00042",
        user=officer,
    )
    block = services.block_contract_create(
        school=orchard,
        reference="FICT-BLOCK-1",
        places=3,
        annual_fee=Decimal("150000"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        user=officer,
    )
    services.nmiss_history_set(
        financial_year=2017, amount=Decimal("27911115"), source="Fictional decision paper", user=officer
    )
    return SimpleNamespace(
        child=child,
        request=request,
        orchard=orchard,
        meadow=meadow,
        willow=willow,
        users=users,
        orchard_invitation=invitations[orchard.pk],
        meadow_invitation=invitations[meadow.pk],
        orchard_offer=orchard_offer,
        meadow_offer=meadow_offer,
        placement=placement,
        uplift=uplift,
        block=block,
    )


def score_both(nmiss, officer, orchard_score=70, meadow_score=80):
    """Orchard: 70 x 60% + 100 x 40% = 82.00; Meadow: 80 x 60% + 90.91 x 40% = 84.36 (ranked first)."""
    close(nmiss.request)
    services.offer_score(offer=nmiss.orchard_offer, quality_score=orchard_score, reason="Good", user=officer)
    services.offer_score(offer=nmiss.meadow_offer, quality_score=meadow_score, reason="Very good", user=officer)


# Who may open what ------------------------------------------------------------------------------


def page_urls(w) -> dict[str, str]:
    r, p = w.request.pk, w.placement.pk
    return {
        "placementrequest-list": reverse("placements:placementrequest-list"),
        "placementrequest-create": reverse("placements:placementrequest-create", args=[w.child.pk]),
        "placementrequest-detail": reverse("placements:placementrequest-detail", args=[r]),
        "placementrequest-invite": reverse("placements:placementrequest-invite", args=[r]),
        "placementrequest-award": reverse("placements:placementrequest-award", args=[r]),
        "placementrequest-cancel": reverse("placements:placementrequest-cancel", args=[r]),
        "offer-create": reverse("placements:offer-create", args=[w.orchard_invitation.pk]),
        "invitation-decline": reverse("placements:invitation-decline", args=[w.orchard_invitation.pk]),
        "offer-score": reverse("placements:offer-score", args=[w.orchard_offer.pk]),
        "schoolplacement-list": reverse("placements:schoolplacement-list"),
        "schoolplacement-create": reverse("placements:schoolplacement-create"),
        "schoolplacement-detail": reverse("placements:schoolplacement-detail", args=[p]),
        "feeuplift-create": reverse("placements:feeuplift-create", args=[p]),
        "schoolplacement-end": reverse("placements:schoolplacement-end", args=[p]),
        "blockcontract-list": reverse("placements:blockcontract-list"),
        "blockcontract-create": reverse("placements:blockcontract-create"),
        "nmisshistory-list": reverse("placements:nmisshistory-list"),
    }


# (officer, commissioner, therapy provider A (not invited), Orchard (invited; holds the placement), Meadow
# (invited; holds nothing), Willow (eligible, not invited), administrator) for the records above, Orchard's.
EXPECTED = {
    "placementrequest-list": (OK, OK, OK, OK, OK, OK, FORBIDDEN),
    "placementrequest-create": (OK, FORBIDDEN, GONE, FORBIDDEN, GONE, GONE, FORBIDDEN),
    "placementrequest-detail": (OK, OK, GONE, OK, OK, GONE, FORBIDDEN),
    "placementrequest-invite": (OK, FORBIDDEN, GONE, FORBIDDEN, FORBIDDEN, GONE, FORBIDDEN),
    "placementrequest-award": (OK, FORBIDDEN, GONE, FORBIDDEN, FORBIDDEN, GONE, FORBIDDEN),
    "placementrequest-cancel": (OK, FORBIDDEN, GONE, FORBIDDEN, FORBIDDEN, GONE, FORBIDDEN),
    "offer-create": (FORBIDDEN, FORBIDDEN, GONE, OK, GONE, GONE, FORBIDDEN),
    "invitation-decline": (FORBIDDEN, FORBIDDEN, GONE, OK, GONE, GONE, FORBIDDEN),
    "offer-score": (GONE, GONE, GONE, FORBIDDEN, GONE, GONE, FORBIDDEN),  # sealed from the council until the deadline
    "schoolplacement-list": (OK, OK, OK, OK, OK, OK, FORBIDDEN),
    "schoolplacement-create": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "schoolplacement-detail": (OK, OK, GONE, OK, GONE, GONE, FORBIDDEN),
    "feeuplift-create": (OK, FORBIDDEN, GONE, FORBIDDEN, GONE, GONE, FORBIDDEN),
    "schoolplacement-end": (OK, FORBIDDEN, GONE, FORBIDDEN, GONE, GONE, FORBIDDEN),
    "blockcontract-list": (OK, OK, OK, OK, OK, OK, FORBIDDEN),
    "blockcontract-create": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "nmisshistory-list": (OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
}
PERSONAS = ("officer", "commissioner", "provider_a_user", "orchard", "meadow", "willow", "administrator")


def persona_user(request, nmiss, persona):
    return nmiss.users[persona] if persona in nmiss.users else request.getfixturevalue(persona)


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_page_answers_each_role_as_the_table_says(client, request, nmiss, persona):
    client.force_login(persona_user(request, nmiss, persona))
    column = PERSONAS.index(persona)
    got = {name: client.get(url).status_code for name, url in page_urls(nmiss).items()}
    assert got == {name: statuses[column] for name, statuses in EXPECTED.items()}


def test_every_page_name_is_in_the_table(nmiss):
    assert set(page_urls(nmiss)) == set(EXPECTED)


def test_signed_out_visitors_are_sent_to_sign_in(client, nmiss):
    for name, url in page_urls(nmiss).items():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login")), name


def test_a_school_not_invited_finds_nothing_there_and_changes_nothing(client, nmiss):
    client.force_login(nmiss.users["willow"])
    for url in (
        reverse("placements:placementrequest-detail", args=[nmiss.request.pk]),
        reverse("placements:offer-create", args=[nmiss.orchard_invitation.pk]),
        reverse("placements:invitation-decline", args=[nmiss.orchard_invitation.pk]),
        reverse("placements:offer-score", args=[nmiss.orchard_offer.pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("placements:invitation-decline", args=[nmiss.meadow_invitation.pk]), {"reason": "Not us"}
    )
    assert response.status_code == 404
    nmiss.meadow_invitation.refresh_from_db()
    assert nmiss.meadow_invitation.status == Invitation.Status.OFFERED
    listed = body(client.get(reverse("placements:placementrequest-list")))
    assert nmiss.request.reference not in listed and "No requests match" in listed


def test_an_invited_school_cannot_reach_another_schools_invitation_or_offer(client, nmiss):
    client.force_login(nmiss.users["meadow"])
    for url in (
        reverse("placements:offer-create", args=[nmiss.orchard_invitation.pk]),
        reverse("placements:invitation-decline", args=[nmiss.orchard_invitation.pk]),
        reverse("placements:offer-score", args=[nmiss.orchard_offer.pk]),
        reverse("placements:schoolplacement-detail", args=[nmiss.placement.pk]),
    ):
        assert client.get(url).status_code == 404, url


# What a school is shown -------------------------------------------------------------------------


def school_request_pages(w, school: str) -> list[str]:
    invitation = getattr(w, f"{school}_invitation")
    return [
        reverse("placements:placementrequest-list"),
        reverse("placements:placementrequest-list") + "?status=open",
        reverse("placements:placementrequest-detail", args=[w.request.pk]),
        reverse("placements:offer-create", args=[invitation.pk]),
        reverse("placements:invitation-decline", args=[invitation.pk]),
        reverse("core:home"),
    ]


ORCHARD_SECRETS = ["Orchard", "£45,000", "£50,000", "£5,000.00", "Orchard&#x27;s own teaching team"]
MEADOW_SECRETS = ["Meadow", "£55,000", "Meadow&#x27;s calm rooms"]


def assert_school_sees_only_its_own(client, w, school: str, others: list[str]):
    client.force_login(w.users[school])
    for url in school_request_pages(w, school):
        response = client.get(url)
        assert response.status_code == 200, url
        text = body(response)
        for secret in identity_of(w.child) + others + ["Willow", "Schools invited"]:
            assert secret not in text, f"{secret!r} shown to {school} at {url}"


def test_a_school_sees_the_pseudonymised_profile_and_only_its_own_offer(client, nmiss):
    client.force_login(nmiss.users["meadow"])
    page = body(client.get(reverse("placements:placementrequest-detail", args=[nmiss.request.pk])))
    for shown in (
        nmiss.request.reference,
        "10 when the request was raised",
        "Autistic spectrum disorder",
        "Needs a small, calm class",
        "1 September 2026",
        "60% quality, 40% price",
        "£55,000.00",
        "Meadow&#x27;s calm rooms",
    ):
        assert shown in page, shown
    assert_school_sees_only_its_own(client, nmiss, "meadow", ORCHARD_SECRETS)
    assert_school_sees_only_its_own(client, nmiss, "orchard", MEADOW_SECRETS)


def test_after_the_award_a_school_is_told_whether_its_offer_was_accepted(client, nmiss, officer):
    score_both(nmiss, officer)
    services.placement_request_award(
        request=nmiss.request, offer=nmiss.meadow_offer, end_date=date(2029, 7, 31), user=officer
    )
    client.force_login(nmiss.users["meadow"])
    won = body(client.get(reverse("placements:placementrequest-detail", args=[nmiss.request.pk])))
    assert "Your offer has been accepted" in won and "See the placement agreement" in won
    client.force_login(nmiss.users["orchard"])
    lost = body(client.get(reverse("placements:placementrequest-detail", args=[nmiss.request.pk])))
    assert "Your offer was not successful" in lost and "Your offer has been accepted" not in lost
    # The ranking names every school and uses every fee: no school sees it, before or after the award.
    for school, others in (("meadow", ORCHARD_SECRETS), ("orchard", MEADOW_SECRETS)):
        assert_school_sees_only_its_own(client, nmiss, school, [*others, "84.36", "82.00", "Ranking"])


def test_the_school_holding_a_placement_sees_the_child_by_ehcp_reference_and_first_name(client, nmiss):
    client.force_login(nmiss.users["orchard"])
    page = body(client.get(reverse("placements:schoolplacement-detail", args=[nmiss.placement.pk])))
    assert f"Tamsin ({EHCP})" in page
    assert "Quarrendon" not in page and nmiss.child.pseudonym not in page
    csv = body(client.get(reverse("placements:schoolplacement-list") + "?download=csv"))
    assert f"Tamsin ({EHCP})" in csv and "Quarrendon" not in csv


# What commissioners are shown -------------------------------------------------------------------


def test_a_commissioner_never_sees_the_childs_name_or_date_of_birth(client, nmiss, officer, commissioner):
    score_both(nmiss, officer)
    client.force_login(commissioner)
    urls = [
        reverse("placements:placementrequest-list"),
        reverse("placements:placementrequest-detail", args=[nmiss.request.pk]),
        reverse("placements:schoolplacement-list"),
        reverse("placements:schoolplacement-list") + "?download=csv",
        reverse("placements:schoolplacement-detail", args=[nmiss.placement.pk]),
        reverse("placements:blockcontract-list"),
        reverse("placements:nmisshistory-list"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = body(response)
        for secret in identity_of(nmiss.child)[:5]:  # name and date of birth
            assert secret not in text, f"{secret!r} shown at {url}"
    detail = body(client.get(urls[1]))
    assert nmiss.child.pseudonym in detail and "Ranking" in detail  # the same page, read-only
    assert "Award the place" not in detail and "Invite the chosen schools" not in detail
    assert nmiss.child.pseudonym in body(client.get(urls[3]))


# The officer's request page ---------------------------------------------------------------------


def test_offers_are_sealed_until_the_deadline_then_read_scored_and_ranked(client, nmiss, officer):
    client.force_login(officer)
    url = reverse("placements:placementrequest-detail", args=[nmiss.request.pk])
    before = body(client.get(url))
    assert "Offers are sealed until" in before and "£55,000.00" not in before
    assert "Fictional Willow School" in before  # eligible, still to invite
    assert "Tamsin Quarrendon" in before
    score_both(nmiss, officer)
    after = client.get(url)
    text = body(after)
    for shown in (
        "£45,000.00",  # Orchard's fees by element
        "£5,000.00",
        "£50,000.00",
        "£55,000.00",
        "Meadow&#x27;s calm rooms",
        "84.36",
        "82.00",
        "ranked 1st of 2",
        "Award the place",
    ):
        assert shown in text, shown
    ranked = after.context["ranked"]
    assert [r.offer for r in ranked] == [nmiss.meadow_offer, nmiss.orchard_offer]
    assert reverse("placements:offer-score", args=[nmiss.orchard_offer.pk]) in text


def test_equal_totals_are_shown_as_a_tie(client, nmiss, officer):
    tie = raise_request(officer, child=nmiss.child, needs_summary="Another summary of needs.")
    services.placement_request_invite(request=tie, schools=[nmiss.orchard, nmiss.meadow], user=officer)
    offers = [offer(i, nmiss.users[i.school.trading_name.split()[1].lower()], "50000") for i in tie.invitations.all()]
    close(tie)
    for same in offers:  # the same fee and the same score: 70 x 60% + 100 x 40% = 82.00 each
        services.offer_score(offer=same, quality_score=70, reason="Scored", user=officer)
    client.force_login(officer)
    page = body(client.get(tie.get_absolute_url()))
    assert "tied with Fictional Orchard School" in page and "tied with Fictional Meadow School" in page
    assert page.count("Tied</strong>") == 2


def test_an_officer_raises_invites_scores_and_awards_through_the_pages(client, officer):
    schools = [dps_school("Fictional Orchard School"), dps_school("Fictional Meadow School")]
    child = child_with_autism(ehcp_reference=EHCP)
    client.force_login(officer)
    deadline = timezone.localtime() + timedelta(days=7)
    response = client.post(
        reverse("placements:placementrequest-create", args=[child.pk]),
        {
            "lot": dps_lot(1).pk,
            "needs_summary": "A small class with a speech and language programme.",
            "setting": "day",
            "required_start": "2026-09-01",
            "deadline": deadline.date().isoformat(),
            "deadline_time": "17:00",
            "quality_weight": "60",
            "price_weight": "40",
        },
    )
    request = PlacementRequest.objects.get(child=child)
    assert response["Location"] == request.get_absolute_url()
    assert timezone.localtime(request.deadline).hour == 17 and request.status == PlacementRequest.Status.DRAFT
    page = client.get(request.get_absolute_url())
    assert set(page.context["invite_form"].initial["schools"]) == {s.pk for s in schools}  # all ticked
    client.post(reverse("placements:placementrequest-invite", args=[request.pk]), {"schools": [schools[0].pk]})
    request.refresh_from_db()
    assert request.status == PlacementRequest.Status.OPEN
    assert list(request.invitations.values_list("school_id", flat=True)) == [schools[0].pk]
    staff = school_user(schools[0], "head@orchard.example.org")
    client.force_login(staff)
    invitation = request.invitations.get()
    response = client.post(
        reverse("placements:offer-create", args=[invitation.pk]),
        {
            "education_fee": "48000",
            "care_fee": "0",
            "therapy_fee": "2000",
            "other_fee": "0",
            "weeks": "38",
            "start_date": "2026-09-01",
            "place_confirmed": "on",
            "quality_statement": "Small classes and an on-site therapy team.",
        },
    )
    assert response["Location"] == request.get_absolute_url()
    made = Offer.objects.get(invitation=invitation)
    assert made.annual_fee == Decimal("50000.00") and made.place_confirmed and made.submitted_by == staff
    close(request)
    client.force_login(officer)
    client.post(reverse("placements:offer-score", args=[made.pk]), {"quality_score": "75", "reason": "Strong"})
    made.refresh_from_db()
    assert made.quality_score == 75 and made.quality_reason == "Strong"
    response = client.post(
        reverse("placements:placementrequest-award", args=[request.pk]),
        {"offer": str(made.pk), "end_date": "2029-07-31"},
    )
    placement = SchoolPlacement.objects.get(request=request)
    assert response["Location"] == placement.get_absolute_url()
    agreement = body(client.get(placement.get_absolute_url()))
    assert "Fictional Orchard School" in agreement and "£50,000.00" in agreement
    assert f"Tamsin Quarrendon ({EHCP})" in agreement


def test_a_school_declines_with_a_reason(client, nmiss, officer):
    willow_request = raise_request(officer, child=nmiss.child, needs_summary="Another summary of needs.")
    services.placement_request_invite(request=willow_request, schools=[nmiss.willow], user=officer)
    invitation = willow_request.invitations.get()
    client.force_login(nmiss.users["willow"])
    url = reverse("placements:invitation-decline", args=[invitation.pk])
    refused = client.post(url, {"reason": " "})
    assert "Say why the school cannot offer a place" in " ".join(refused.context["form"].errors["reason"])
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.INVITED
    client.post(url, {"reason": "No place until 2027"})
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.DECLINED


def test_a_request_is_cancelled_with_a_reason(client, nmiss, officer):
    client.force_login(officer)
    url = reverse("placements:placementrequest-cancel", args=[nmiss.request.pk])
    refused = client.post(url, {"reason": ""})
    assert "reason" in refused.context["form"].errors
    client.post(url, {"reason": "The family moved out of the area"})
    nmiss.request.refresh_from_db()
    assert nmiss.request.status == PlacementRequest.Status.CANCELLED
    client.force_login(nmiss.users["orchard"])
    assert "withdrawn" in body(client.get(nmiss.request.get_absolute_url()))


# The child page ---------------------------------------------------------------------------------


def test_the_child_page_links_to_a_request_and_shows_school_places(client, nmiss, officer):
    client.force_login(officer)
    page = body(client.get(reverse("placements:child-detail", args=[nmiss.child.pk])))
    assert reverse("placements:placementrequest-create", args=[nmiss.child.pk]) in page
    assert "Request a school place" in page
    assert nmiss.request.reference in page and f"School placement #{nmiss.placement.pk}" in page


def test_a_school_sees_its_own_placement_on_the_child_page_but_no_requests(client, nmiss):
    client.force_login(nmiss.users["orchard"])
    page = body(client.get(reverse("placements:child-detail", args=[nmiss.child.pk])))
    assert f"School placement #{nmiss.placement.pk}" in page
    assert nmiss.request.reference not in page and "Request a school place" not in page


# Bad input: a clear error on the right field, and nothing changed -------------------------------


def request_data(**overrides):
    tomorrow = timezone.localdate() + timedelta(days=1)
    return {
        "lot": dps_lot(1).pk,
        "needs_summary": "A small class.",
        "setting": "day",
        "required_start": "2026-09-01",
        "deadline": tomorrow.isoformat(),
        "deadline_time": "12:00",
        "quality_weight": "60",
        "price_weight": "40",
        **overrides,
    }


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"quality_weight": "70", "price_weight": "40"}, "quality_weight", "must add up to 100"),
        ({"deadline": "2020-01-01"}, "deadline", "must be in the future"),
        ({"needs_summary": "Tamsin needs a calm class."}, "needs_summary", "must not see the child's name"),
        ({"needs_summary": ""}, "needs_summary", "Summarise the child's needs"),
        ({"deadline_time": "5pm"}, "deadline_time", "Enter a time like 17:00"),
        ({"quality_weight": "120", "price_weight": "-20"}, "quality_weight", "less than or equal to 100"),
    ],
)
def test_a_bad_request_shows_the_error_on_its_field_and_saves_nothing(client, officer, overrides, field, message):
    child = child_with_autism(ehcp_reference=EHCP)
    client.force_login(officer)
    response = client.post(reverse("placements:placementrequest-create", args=[child.pk]), request_data(**overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert 'class="govuk-error-summary"' in body(response)
    assert not PlacementRequest.objects.exists()


def offer_data(**overrides):
    return {
        "education_fee": "48000",
        "care_fee": "0",
        "therapy_fee": "0",
        "other_fee": "0",
        "weeks": "38",
        "start_date": "2026-09-01",
        "quality_statement": "Small classes.",
        **overrides,
    }


@pytest.fixture
def open_invitation(nmiss, officer):
    """Willow invited to a second request for the same child, not yet answered."""
    second = raise_request(officer, child=nmiss.child, needs_summary="Another summary of needs.")
    services.placement_request_invite(request=second, schools=[nmiss.willow], user=officer)
    return second.invitations.get()


def test_an_offer_without_a_quality_statement_is_refused_on_its_field(client, nmiss, open_invitation):
    client.force_login(nmiss.users["willow"])
    url = reverse("placements:offer-create", args=[open_invitation.pk])
    response = client.post(url, offer_data(quality_statement=""))
    assert "meet the child's needs" in " ".join(response.context["form"].errors["quality_statement"])
    assert not Offer.objects.filter(invitation=open_invitation).exists()


@pytest.mark.parametrize("field", ["education_fee", "care_fee", "therapy_fee", "other_fee"])
def test_a_negative_fee_is_refused_on_its_field(client, nmiss, open_invitation, field):
    client.force_login(nmiss.users["willow"])
    response = client.post(reverse("placements:offer-create", args=[open_invitation.pk]), offer_data(**{field: "-1"}))
    assert response.status_code == 200
    assert "Fees cannot be negative" in " ".join(response.context["form"].errors[field])
    assert 'class="govuk-error-summary"' in body(response)
    assert not Offer.objects.filter(invitation=open_invitation).exists()


def test_an_offer_after_the_deadline_is_refused_and_changes_nothing(client, nmiss, open_invitation):
    close(open_invitation.request)
    client.force_login(nmiss.users["willow"])
    url = reverse("placements:offer-create", args=[open_invitation.pk])
    assert "Offers for this request closed on" in body(client.get(url))
    response = client.post(url, offer_data())
    assert response.status_code == 200
    assert "Offers for this request have closed." in response.context["form"].non_field_errors()
    assert "Offers for this request have closed." in body(response)
    assert not Offer.objects.filter(invitation=open_invitation).exists()
    open_invitation.refresh_from_db()
    assert open_invitation.status == Invitation.Status.INVITED
    page = body(client.get(open_invitation.request.get_absolute_url()))
    assert "Offers closed on" in page and "Make an offer" not in page


def test_a_second_offer_is_refused(client, nmiss):
    client.force_login(nmiss.users["orchard"])
    response = client.post(reverse("placements:offer-create", args=[nmiss.orchard_invitation.pk]), offer_data())
    assert "already responded" in body(response)
    assert Offer.objects.filter(invitation=nmiss.orchard_invitation).count() == 1


def test_an_uplift_dated_before_the_placement_is_refused_on_the_date(client, nmiss, officer):
    client.force_login(officer)
    response = client.post(
        reverse("placements:feeuplift-create", args=[nmiss.placement.pk]),
        {"effective_from": "2025-08-01", "percent": "3", "reason": "Too early"},
    )
    assert response.status_code == 200
    assert "before the placement starts" in " ".join(response.context["form"].errors["effective_from"])
    assert FeeUplift.objects.filter(placement=nmiss.placement).count() == 1


def test_an_uplift_is_recorded_and_the_fee_in_force_follows_it(client, nmiss, officer):
    client.force_login(officer)
    client.post(
        reverse("placements:feeuplift-create", args=[nmiss.placement.pk]),
        {"effective_from": "2026-04-01", "percent": "2", "reason": "New financial year", "decision_reference": ""},
    )
    page = client.get(reverse("placements:schoolplacement-detail", args=[nmiss.placement.pk]))
    assert [u.effective_from for u, _ in page.context["uplifts"]] == [date(2026, 1, 1), date(2026, 4, 1)]
    # £41,000 + 2.5% = £42,025.00; + 2% = £42,865.50
    assert [fee for _, fee in page.context["uplifts"]] == [Decimal("42025.00"), Decimal("42865.50")]
    assert page.context["fee_today"] == services.school_fee_on(nmiss.placement, timezone.localdate())
    text = body(page)
    assert "£42,865.50" in text and "26/00042" in text and "2025-26" in text


def test_awarding_other_than_the_top_ranked_offer_needs_a_reason(client, nmiss, officer):
    score_both(nmiss, officer)
    client.force_login(officer)
    url = reverse("placements:placementrequest-award", args=[nmiss.request.pk])
    refused = client.post(url, {"offer": str(nmiss.orchard_offer.pk), "end_date": "2029-07-31"})
    assert "not ranked first" in " ".join(refused.context["form"].errors["reason"])
    assert not SchoolPlacement.objects.filter(request=nmiss.request).exists()
    client.post(
        url,
        {"offer": str(nmiss.orchard_offer.pk), "end_date": "2029-07-31", "reason": "Nearer the family's home"},
    )
    assert SchoolPlacement.objects.get(request=nmiss.request).school == nmiss.orchard


def test_a_score_out_of_range_is_refused_on_its_field(client, nmiss, officer):
    close(nmiss.request)
    client.force_login(officer)
    url = reverse("placements:offer-score", args=[nmiss.orchard_offer.pk])
    refused = client.post(url, {"quality_score": "101", "reason": "Too high"})
    assert "0 to 100" in " ".join(refused.context["form"].errors["quality_score"])
    nmiss.orchard_offer.refresh_from_db()
    assert nmiss.orchard_offer.quality_score is None


def test_a_school_placement_outside_a_request_and_its_bad_input(client, nmiss, officer):
    other = ChildFactory(ehcp_reference="EHCP-TQ0002")
    client.force_login(officer)
    url = reverse("placements:schoolplacement-create")
    form = client.get(url + f"?child={other.pk}").context["form"]
    assert form.initial["child"] == other
    data = {
        "child": "ehcp-tq0002",
        "school": nmiss.orchard.pk,
        "block_contract": nmiss.block.pk,
        "setting": "day",
        "weeks": "38",
        "start_date": "2025-09-01",
        "end_date": "2026-07-31",
        "education_fee": "0",
        "care_fee": "-5",
        "therapy_fee": "0",
        "other_fee": "0",
    }
    refused = client.post(url, data)
    assert "Fees cannot be negative" in " ".join(refused.context["form"].errors["care_fee"])
    unknown = client.post(url, {**data, "care_fee": "0", "child": "EHCP-NOBODY"})
    assert "No child on the service" in " ".join(unknown.context["form"].errors["child"])
    assert not SchoolPlacement.objects.filter(child=other).exists()
    response = client.post(url, {**data, "care_fee": "0"})
    placement = SchoolPlacement.objects.get(child=other)
    assert response["Location"] == placement.get_absolute_url() and placement.block_contract == nmiss.block


def test_ending_a_school_placement(client, nmiss, officer):
    client.force_login(officer)
    url = reverse("placements:schoolplacement-end", args=[nmiss.placement.pk])
    refused = client.post(url, {"end_date": "2027-01-01", "reason": "Moved"})
    assert "within the agreed term" in " ".join(refused.context["form"].errors["end_date"])
    client.post(url, {"end_date": "2026-03-31", "reason": "The family moved away"})
    nmiss.placement.refresh_from_db()
    assert nmiss.placement.status == SchoolPlacement.Status.ENDED and nmiss.placement.end_date == date(2026, 3, 31)


def test_a_block_contract_is_recorded_and_listed_with_places_used(client, nmiss, officer):
    client.force_login(officer)
    url = reverse("placements:blockcontract-create")
    data = {
        "school": nmiss.meadow.pk,
        "reference": "FICT-BLOCK-2",
        "places": "2",
        "annual_fee": "-1",
        "start_date": "2025-04-01",
        "end_date": "2027-03-31",
    }
    refused = client.post(url, data)
    assert "Fees cannot be negative" in " ".join(refused.context["form"].errors["annual_fee"])
    duplicate = client.post(url, {**data, "annual_fee": "90000", "reference": "FICT-BLOCK-1"})
    assert "reference" in duplicate.context["form"].errors
    assert BlockContract.objects.count() == 1
    client.post(url, {**data, "annual_fee": "90000"})
    page = body(client.get(reverse("placements:blockcontract-list")))
    assert "FICT-BLOCK-2" in page and "£90,000.00" in page


def test_officers_enter_nmiss_history_and_commissioners_read_it(client, officer, commissioner):
    url = reverse("placements:nmisshistory-list")
    client.force_login(officer)
    refused = client.post(url, {"financial_year": "2018", "amount": "-1", "source": "Paper"})
    assert "cannot be negative" in " ".join(refused.context["form"].errors["amount"])
    client.post(url, {"financial_year": "2018", "amount": "34167515", "source": "Fictional paper"})
    client.post(url, {"financial_year": "2018", "amount": "34167516", "source": "Corrected"})
    assert NmissHistoricalSpend.objects.get(financial_year=2018).amount == Decimal("34167516.00")
    client.force_login(commissioner)
    page = body(client.get(url))
    assert "2018-19" in page and "£34,167,516.00" in page and "Save the year" not in page
    assert client.post(url, {"financial_year": "2019", "amount": "1", "source": "x"}).status_code == 403
    assert not NmissHistoricalSpend.objects.filter(financial_year=2019).exists()


def test_lists_filter(client, nmiss, officer, commissioner):
    client.force_login(officer)
    requests = reverse("placements:placementrequest-list")
    assert list(client.get(requests + "?status=open").context["placement_requests"]) == [nmiss.request]
    assert not list(client.get(requests + "?status=awarded").context["placement_requests"])
    assert list(client.get(requests + f"?lot={dps_lot(1).pk}").context["placement_requests"]) == [nmiss.request]
    placements = reverse("placements:schoolplacement-list")
    assert list(client.get(placements + f"?school={nmiss.orchard.pk}").context["school_placements"]) == [
        nmiss.placement
    ]
    assert not list(client.get(placements + f"?school={nmiss.meadow.pk}").context["school_placements"])
    assert not list(client.get(placements + "?live_on=2027-01-01").context["school_placements"])


def test_a_school_is_not_offered_other_schools_in_the_filters(client, nmiss):
    client.force_login(nmiss.users["meadow"])
    page = body(client.get(reverse("placements:schoolplacement-list")))
    assert "Orchard" not in page and 'name="school"' not in page
    assert "No school placements match" in page


# Query counts -----------------------------------------------------------------------------------


def assert_flat(client, url, grow, django_assert_num_queries):
    client.get(url)  # warm-up: session and content-type caches
    with CaptureQueriesContext(connection) as one:
        response = client.get(url)
        assert response.status_code == 200
        body(response)
    grow()
    with django_assert_num_queries(len(one)):
        response = client.get(url)
        assert response.status_code == 200
        body(response)


def more_requests(officer, schools, n=5):
    for _ in range(n):
        request = raise_request(officer, child=child_with_autism())
        services.placement_request_invite(request=request, schools=schools, user=officer)
        for invitation in request.invitations.select_related("school"):
            offer(invitation, invitation.school.users.first(), "50000")


@pytest.mark.parametrize("persona", ["officer", "commissioner", "orchard"])
def test_the_request_list_query_count_does_not_grow(
    client, request, nmiss, officer, persona, django_assert_num_queries
):
    client.force_login(persona_user(request, nmiss, persona))
    assert_flat(
        client,
        reverse("placements:placementrequest-list"),
        lambda: more_requests(officer, [nmiss.orchard, nmiss.meadow]),
        django_assert_num_queries,
    )


def test_the_request_page_query_count_does_not_grow_with_offers_and_ranking(
    client, nmiss, officer, django_assert_num_queries
):
    score_both(nmiss, officer)
    client.force_login(officer)

    def grow():
        """Five more schools invited, offering and scored: the deadline moves back, then passes again."""
        PlacementRequest.objects.filter(pk=nmiss.request.pk).update(deadline=timezone.now() + timedelta(days=1))
        nmiss.request.refresh_from_db()
        schools = [dps_school(f"Fictional Extra School {n}") for n in range(5)]
        services.placement_request_invite(request=nmiss.request, schools=schools, user=officer)
        for school in schools:
            invitation = nmiss.request.invitations.get(school=school)
            offer(invitation, school_user(school, f"head{school.pk}@extra.example.org"), "52000")
        close(nmiss.request)
        for extra in Offer.objects.filter(request=nmiss.request, quality_score__isnull=True):
            services.offer_score(offer=extra, quality_score=65, reason="Adequate", user=officer)

    url = reverse("placements:placementrequest-detail", args=[nmiss.request.pk])
    assert_flat(client, url, grow, django_assert_num_queries)
    assert len(client.get(url).context["ranked"]) == 7


def test_the_school_request_page_query_count_is_fixed(client, nmiss, officer, django_assert_num_queries):
    client.force_login(nmiss.users["orchard"])
    url = reverse("placements:placementrequest-detail", args=[nmiss.request.pk])
    assert_flat(client, url, lambda: more_requests(officer, [nmiss.orchard, nmiss.meadow]), django_assert_num_queries)


def more_school_placements(officer, school, n=5):
    for _ in range(n):
        placement = services.school_placement_create(
            child=ChildFactory(),
            school=school,
            setting="day",
            weeks=38,
            start_date=date(2025, 9, 1),
            end_date=date(2026, 7, 31),
            education_fee=Decimal("40000"),
            user=officer,
        )
        services.school_placement_uplift(
            placement=placement, effective_from=date(2026, 1, 1), percent=Decimal("2"), reason="Uplift", user=officer
        )


@pytest.mark.parametrize("query", ["", "?download=csv"])
@pytest.mark.parametrize("persona", ["officer", "orchard"])
def test_the_school_placement_list_query_count_does_not_grow(
    client, request, nmiss, officer, persona, query, django_assert_num_queries
):
    client.force_login(persona_user(request, nmiss, persona))
    url = reverse("placements:schoolplacement-list") + query
    assert_flat(client, url, lambda: more_school_placements(officer, nmiss.orchard), django_assert_num_queries)


def test_the_school_placement_page_query_count_does_not_grow_with_uplifts(
    client, nmiss, officer, django_assert_num_queries
):
    client.force_login(officer)

    def grow():
        for month in range(2, 7):
            services.school_placement_uplift(
                placement=nmiss.placement,
                effective_from=date(2026, month, 1),
                percent=Decimal("1"),
                reason="Monthly review",
                user=officer,
            )

    url = reverse("placements:schoolplacement-detail", args=[nmiss.placement.pk])
    assert_flat(client, url, grow, django_assert_num_queries)


def test_the_block_contract_list_query_count_does_not_grow(client, nmiss, officer, django_assert_num_queries):
    client.force_login(officer)

    def grow():
        for n in range(5):
            block = services.block_contract_create(
                school=nmiss.meadow,
                reference=f"FICT-GROW-{n}",
                places=2,
                annual_fee=Decimal("80000"),
                start_date=date(2025, 4, 1),
                end_date=date(2028, 3, 31),
                user=officer,
            )
            services.school_placement_create(
                child=ChildFactory(),
                school=nmiss.meadow,
                setting="day",
                weeks=38,
                start_date=date(2025, 9, 1),
                end_date=timezone.localdate() + timedelta(days=30),
                education_fee=Decimal("0"),
                block_contract=block,
                user=officer,
            )

    assert_flat(client, reverse("placements:blockcontract-list"), grow, django_assert_num_queries)


def test_the_child_page_query_count_does_not_grow_with_school_places(client, nmiss, officer, django_assert_num_queries):
    client.force_login(officer)

    def grow():
        for _ in range(3):
            raise_request(officer, child=nmiss.child)
        for _ in range(3):
            services.school_placement_create(
                child=nmiss.child,
                school=nmiss.meadow,
                setting="day",
                weeks=38,
                start_date=date(2026, 9, 1),
                end_date=date(2027, 7, 31),
                education_fee=Decimal("40000"),
                user=officer,
            )

    assert_flat(client, reverse("placements:child-detail", args=[nmiss.child.pk]), grow, django_assert_num_queries)
