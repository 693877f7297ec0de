"""School places through the DPS over the API: the flow end to end, what a school is shown (a pseudonymised
profile, never the child, never another school), commissioners (never a name or date of birth), bad input,
token scopes, and query counts that stay flat as rows grow. Every name here is invented."""

import itertools
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
from placements.models import FeeUplift, Invitation, Offer, PlacementRequest, SchoolPlacement
from tests.core.factories import UserFactory
from tests.placements.factories import ChildFactory
from tests.placements.test_nmiss import child_with_autism, close, dps_lot, dps_school, offer, raise_request

pytestmark = pytest.mark.django_db

EHCP = "EHCP-TQ0042"
GROWTH = itertools.count(1)
DPS = ["dps:read", "dps:write"]


def url(name: str, *args) -> str:
    return reverse(f"api:{name}", args=args)


def school_user(school, email: str):
    return UserFactory(email=email, role=Role.PROVIDER, provider=school)


def identity_of(child) -> list[bytes]:
    """Everything that would say who the child is to a school: name, date of birth, EHCP reference, pseudonym."""
    return [
        child.first_name.encode(),
        child.last_name.encode(),
        child.date_of_birth.isoformat().encode(),
        child.ehcp_reference.encode(),
        child.pseudonym.encode(),
    ]


def assert_none_in(response, secrets: list[bytes], where: str) -> None:
    for secret in secrets:
        assert secret not in response.content, (where, secret)


@pytest.fixture
def nmiss(officer):
    """A request for Tamsin (10, autism) sent to two of three eligible schools, both of which have offered
    (Orchard £50,000 a year, Meadow £55,000); Willow is eligible but never invited."""
    orchard = dps_school("Fictional Orchard School")
    meadow = dps_school("Fictional Meadow School")
    willow = dps_school("Fictional Willow School")
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
    )


@pytest.fixture
def willow_invited(officer, nmiss):
    """The same, with Willow invited too (and not yet answering)."""
    services.placement_request_invite(request=nmiss.request, schools=[nmiss.willow], user=officer)
    nmiss.willow_invitation = nmiss.request.invitations.get(school=nmiss.willow)
    return nmiss


def score_and_award(nmiss, officer, *, to="meadow"):
    """Orchard: 70 x 60% + 100 x 40% = 82.00; Meadow: 80 x 60% + 90.91 x 40% = 84.36. Officers write names."""
    close(nmiss.request)
    services.offer_score(offer=nmiss.orchard_offer, quality_score=70, reason="Good for Tamsin", user=officer)
    services.offer_score(offer=nmiss.meadow_offer, quality_score=80, reason="Very good for Tamsin", user=officer)
    chosen = nmiss.meadow_offer if to == "meadow" else nmiss.orchard_offer
    return services.placement_request_award(
        request=nmiss.request,
        offer=chosen,
        end_date=date(2029, 7, 31),
        user=officer,
        reason="" if to == "meadow" else "Nearer to Tamsin's home",
    )


# The flow ---------------------------------------------------------------------------------------


def test_the_whole_flow_through_the_api(token_for, officer):
    orchard = dps_school("Fictional Orchard School")
    meadow = dps_school("Fictional Meadow School")
    willow = dps_school("Fictional Willow School")
    child = child_with_autism(ehcp_reference=EHCP)
    council = token_for(scopes=DPS, user=officer)
    schools = {
        name: token_for(scopes=DPS, user=school_user(school, f"head@{name}.example.org"))
        for name, school in (("orchard", orchard), ("meadow", meadow))
    }

    raised = council.post(
        url("placementrequest-list"),
        {
            "child": child.pk,
            "lot": dps_lot(1).pk,
            "needs_summary": "Needs a small, calm class and a speech and language programme.",
            "setting": "day",
            "required_start": "2027-09-01",
            "deadline": (timezone.now() + timedelta(days=14)).isoformat(),
        },
    )
    assert raised.status_code == 201, raised.json()
    request = raised.json()
    assert (request["status"], request["child_age"], request["primary_need"]) == ("draft", 10, "ASD")
    assert (request["quality_weight"], request["price_weight"], request["invitations"]) == (60, 40, [])
    assert request["child"]["last_name"] == "Quarrendon" and request["reference"].startswith("PR-")

    eligible = council.get(url("placementrequest-eligible-schools", request["id"])).json()
    assert [(s["id"], s["invited"]) for s in eligible["results"]] == [
        (meadow.pk, False),
        (orchard.pk, False),
        (willow.pk, False),
    ]
    invited = council.post(url("placementrequest-invite", request["id"]), {"schools": [orchard.pk, meadow.pk]})
    assert invited.status_code == 200, invited.json()
    assert invited.json()["status"] == "open" and invited.json()["published_at"] is not None
    assert sorted(i["school"] for i in invited.json()["invitations"]) == sorted([orchard.pk, meadow.pk])
    eligible = council.get(url("placementrequest-eligible-schools", request["id"])).json()
    assert [s["invited"] for s in eligible["results"]] == [True, True, False]

    offers = {}
    for name, fees in (("orchard", {"education_fee": "45000.00", "therapy_fee": "5000.00"}), ("meadow", {})):
        client = schools[name]
        own = client.get(url("invitation-list")).json()["results"]
        assert len(own) == 1 and own[0]["status"] == "invited"
        made = client.post(
            url("offer-list"),
            {
                "invitation": own[0]["id"],
                "education_fee": "55000.00",
                "weeks": 38,
                "start_date": "2027-09-01",
                "place_confirmed": True,
                "quality_statement": "Specialist teachers and an on-site therapy team.",
                **fees,
            },
        )
        assert made.status_code == 201, made.json()
        assert made.json()["status"] == "submitted" and "quality_score" not in made.json()
        offers[name] = made.json()
    assert offers["orchard"]["annual_fee"] == "50000.00" and offers["meadow"]["annual_fee"] == "55000.00"

    close(PlacementRequest.objects.get(pk=request["id"]))
    for name, score in (("orchard", 70), ("meadow", 80)):
        scored = council.post(url("offer-score", offers[name]["id"]), {"quality_score": score, "reason": "Scored"})
        assert scored.status_code == 200, scored.json()
        assert scored.json()["quality_score"] == score

    ranking = council.get(url("placementrequest-ranking", request["id"]))
    assert ranking.status_code == 200, ranking.json()
    rows = ranking.json()["results"]
    assert [(r["offer"], r["rank"], r["total"]) for r in rows] == [
        (offers["meadow"]["id"], 1, "84.36"),
        (offers["orchard"]["id"], 2, "82.00"),
    ]
    meadow_row = rows[0]
    assert (meadow_row["price_score"], meadow_row["quality_points"], meadow_row["price_points"]) == (
        "90.91",
        "48.00",
        "36.36",
    )
    assert meadow_row["tied_with"] == [] and "ranked 1st of 2" in meadow_row["explanation"]
    assert "lowest fee £50,000.00 / this fee £55,000.00" in meadow_row["explanation"]

    awarded = council.post(
        url("placementrequest-award", request["id"]), {"offer": offers["meadow"]["id"], "end_date": "2030-07-31"}
    )
    assert awarded.status_code == 201, awarded.json()
    placement = awarded.json()
    assert (placement["school"], placement["request"], placement["offer"]) == (
        meadow.pk,
        request["id"],
        offers["meadow"]["id"],
    )
    assert (placement["annual_fee"], placement["fee_today"], placement["status"]) == ("55000.00", "55000.00", "active")
    assert [c["financial_year"] for c in placement["commitments"]] == ["2027-28", "2028-29", "2029-30", "2030-31"]
    assert placement["committed"] == f"{sum(Decimal(c['amount']) for c in placement['commitments']):.2f}"
    detail = council.get(url("placementrequest-detail", request["id"])).json()
    assert (detail["status"], detail["school_placement"]) == ("awarded", placement["id"])
    statuses = {o["id"]: o["status"] for o in council.get(url("offer-list")).json()["results"]}
    assert statuses == {offers["meadow"]["id"]: "awarded", offers["orchard"]["id"]: "unsuccessful"}
    listed = council.get(url("schoolplacement-list"), {"school": meadow.pk}).json()["results"]
    assert [p["id"] for p in listed] == [placement["id"]]

    uplift = council.post(
        url("feeuplift-list"),
        {
            "placement": placement["id"],
            "effective_from": "2028-09-01",
            "percent": "3.00",
            "reason": "Annual inflationary uplift",
            "decision_reference": "28/00007",
        },
    )
    assert uplift.status_code == 201, uplift.json()
    assert (uplift.json()["placement"], uplift.json()["percent"]) == (placement["id"], "3.00")
    after = council.get(url("schoolplacement-detail", placement["id"])).json()
    assert [(u["effective_from"], u["annual_fee_from"]) for u in after["uplifts"]] == [("2028-09-01", "56650.00")]
    assert Decimal(after["committed"]) > Decimal(placement["committed"])

    # The school now holds the place: it sees the child as a therapy provider does.
    own_place = schools["meadow"].get(url("schoolplacement-detail", placement["id"]))
    assert own_place.status_code == 200
    assert own_place.json()["child"] == {"id": child.pk, "ehcp_reference": EHCP, "first_name": "Tamsin"}
    assert schools["orchard"].get(url("schoolplacement-detail", placement["id"])).status_code == 404
    own_offer = schools["orchard"].get(url("offer-detail", offers["orchard"]["id"])).json()
    assert own_offer["status"] == "unsuccessful"


def test_an_invitation_is_declined_and_a_request_cancelled_through_the_api(api_client, officer, willow_invited):
    nmiss = willow_invited
    api_client.force_authenticate(nmiss.users["willow"])
    declined = api_client.post(url("invitation-decline", nmiss.willow_invitation.pk), {"reason": "No place in 2027"})
    assert declined.status_code == 200, declined.json()
    assert (declined.json()["status"], declined.json()["declined_reason"]) == ("declined", "No place in 2027")
    again = api_client.post(url("invitation-decline", nmiss.willow_invitation.pk), {"reason": "Still none"})
    assert again.status_code == 400 and "non_field_errors" in again.json()["errors"]
    api_client.force_authenticate(officer)
    cancelled = api_client.post(url("placementrequest-cancel", nmiss.request.pk), {"reason": "The family moved"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    twice = api_client.post(url("placementrequest-cancel", nmiss.request.pk), {"reason": "Twice"})
    assert twice.status_code == 400 and "non_field_errors" in twice.json()["errors"]
    assert PlacementRequest.objects.get(pk=nmiss.request.pk).status == PlacementRequest.Status.CANCELLED


def test_school_placements_and_block_contracts_outside_a_request(api_client, officer, nmiss):
    api_client.force_authenticate(officer)
    block = api_client.post(
        url("blockcontract-list"),
        {
            "school": nmiss.orchard.pk,
            "reference": "FICT-BLOCK-7",
            "places": 1,
            "annual_fee": "150000.00",
            "start_date": "2026-04-01",
            "end_date": "2029-03-31",
        },
    )
    assert block.status_code == 201, block.json()
    assert (block.json()["places"], block.json()["places_used"]) == (1, 0)
    body = {
        "child": nmiss.child.pk,
        "school": nmiss.orchard.pk,
        "setting": "day",
        "weeks": 52,
        "start_date": "2026-09-01",
        "end_date": "2027-07-31",
        "education_fee": "0.00",
        "block_contract": block.json()["id"],
        "funding_source": "pooled",
    }
    placed = api_client.post(url("schoolplacement-list"), body)
    assert placed.status_code == 201, placed.json()
    assert (placed.json()["block_contract"], placed.json()["weeks"]) == (block.json()["id"], 52)
    assert placed.json()["funding_source"] == "pooled"
    pooled = api_client.get(url("schoolplacement-list"), {"funding_source": "pooled"}).json()["results"]
    assert [p["id"] for p in pooled] == [placed.json()["id"]]
    assert api_client.get(url("blockcontract-detail", block.json()["id"])).json()["places_used"] == 1
    full = api_client.post(url("schoolplacement-list"), {**body, "child": ChildFactory().pk})
    assert full.status_code == 400 and "block_contract" in full.json()["errors"]
    ended = api_client.post(
        url("schoolplacement-end", placed.json()["id"]), {"end_date": "2027-03-31", "reason": "Moved school"}
    )
    assert ended.status_code == 200, ended.json()
    assert (ended.json()["status"], ended.json()["end_date"]) == ("ended", "2027-03-31")


# Who sees what ----------------------------------------------------------------------------------


def school_reads(nmiss) -> list[str]:
    return [
        url("placementrequest-list"),
        url("placementrequest-detail", nmiss.request.pk),
        url("invitation-list"),
        url("invitation-detail", nmiss.orchard_invitation.pk),
        url("offer-list"),
        url("offer-detail", nmiss.orchard_offer.pk),
        url("schoolplacement-list"),
        url("feeuplift-list"),
        url("blockcontract-list"),
    ]


def test_a_school_sees_only_the_pseudonymised_profile_and_its_own_answer(api_client, nmiss):
    api_client.force_authenticate(nmiss.users["orchard"])
    never = [*identity_of(nmiss.child), b"Meadow", str(nmiss.meadow_offer.education_fee).encode()]
    for address in school_reads(nmiss):
        response = api_client.get(address)
        assert response.status_code == 200, address
        assert_none_in(response, never, address)
    detail = api_client.get(url("placementrequest-detail", nmiss.request.pk)).json()
    assert set(detail) == {
        "id",
        "reference",
        "lot",
        "lot_name",
        "child_age",
        "primary_need",
        "needs_summary",
        "setting",
        "required_start",
        "deadline",
        "quality_weight",
        "price_weight",
        "status",
        "invitation_status",
        "offer_status",
        "invitations",
    }
    assert (detail["invitation_status"], detail["offer_status"]) == ("offered", "submitted")
    assert [i["id"] for i in detail["invitations"]] == [nmiss.orchard_invitation.pk]
    listed = api_client.get(url("placementrequest-list")).json()["results"]
    assert [r["id"] for r in listed] == [nmiss.request.pk] and "invited" not in listed[0]
    offers = api_client.get(url("offer-list")).json()["results"]
    assert [o["id"] for o in offers] == [nmiss.orchard_offer.pk]


def test_a_school_never_reaches_another_schools_offer_nor_the_evaluation(api_client, officer, nmiss):
    api_client.force_authenticate(nmiss.users["orchard"])
    request, mine, theirs = nmiss.request.pk, nmiss.orchard_offer.pk, nmiss.meadow_offer.pk
    score = {"quality_score": 100, "reason": "Ours is best"}
    calls = [
        # Another school's records: out of scope, so nothing there.
        ("get", url("offer-detail", theirs), None, 404),
        ("get", url("invitation-detail", nmiss.meadow_invitation.pk), None, 404),
        ("post", url("invitation-decline", nmiss.meadow_invitation.pk), {"reason": "x"}, 404),
        ("post", url("offer-score", theirs), score, 404),
        ("get", url("offer-list"), {"request": request, "school": nmiss.meadow.pk}, 400),  # not a school it may pick
        # The request and its own offer are in scope, but the evaluation is not a school's: 403.
        ("get", url("placementrequest-ranking", request), None, 403),
        ("get", url("placementrequest-eligible-schools", request), None, 403),
        ("post", url("offer-score", mine), score, 403),
        ("post", url("placementrequest-invite", request), {"schools": [nmiss.willow.pk]}, 403),
        ("post", url("placementrequest-award", request), {"offer": mine, "end_date": "2029-07-31"}, 403),
        ("post", url("placementrequest-cancel", request), {"reason": "x"}, 403),
        ("post", url("placementrequest-list"), {}, 403),
    ]
    for method, address, body, expected in calls:
        response = getattr(api_client, method)(address, body)
        assert response.status_code == expected, (method, address)
        assert_none_in(response, [*identity_of(nmiss.child), b"Meadow"], address)
    assert Offer.objects.get(pk=mine).quality_score is None
    assert PlacementRequest.objects.get(pk=request).status == PlacementRequest.Status.OPEN
    assert not Invitation.objects.filter(school=nmiss.willow).exists()


@pytest.mark.parametrize("outsider", ["willow", "therapy_provider"])
def test_a_school_not_invited_finds_nothing_there(api_client, provider_a_user, nmiss, outsider):
    """Willow is eligible but was never invited; Alder is a therapy provider, not a school."""
    api_client.force_authenticate(provider_a_user if outsider == "therapy_provider" else nmiss.users["willow"])
    for address in (
        url("placementrequest-detail", nmiss.request.pk),
        url("placementrequest-eligible-schools", nmiss.request.pk),
        url("placementrequest-ranking", nmiss.request.pk),
        url("invitation-detail", nmiss.orchard_invitation.pk),
        url("offer-detail", nmiss.orchard_offer.pk),
        url("offer-detail", nmiss.meadow_offer.pk),
    ):
        assert api_client.get(address).status_code == 404, address
    for name in ("placementrequest-list", "invitation-list", "offer-list"):
        response = api_client.get(url(name))
        assert response.status_code == 200 and response.json()["count"] == 0, name
        assert_none_in(response, identity_of(nmiss.child), name)
    body = {
        "invitation": nmiss.orchard_invitation.pk,
        "education_fee": "1.00",
        "weeks": 38,
        "start_date": "2027-09-01",
        "quality_statement": "Ours instead",
    }
    assert api_client.post(url("offer-list"), body).status_code == 404
    assert api_client.post(url("invitation-decline", nmiss.orchard_invitation.pk), {"reason": "x"}).status_code == 404
    assert Offer.objects.count() == 2


def test_once_awarded_the_school_sees_the_child_by_ehcp_reference_and_first_name(api_client, officer, nmiss):
    placement = score_and_award(nmiss, officer, to="orchard")
    services.school_placement_uplift(
        placement=placement,
        effective_from=date(2027, 1, 1),
        percent=Decimal("2.5"),
        reason="Uplift agreed for Tamsin",
        user=officer,
    )
    api_client.force_authenticate(nmiss.users["orchard"])
    record = api_client.get(url("schoolplacement-detail", placement.pk))
    assert record.status_code == 200
    assert record.json()["child"] == {"id": nmiss.child.pk, "ehcp_reference": EHCP, "first_name": "Tamsin"}
    assert_none_in(record, [nmiss.child.last_name.encode(), nmiss.child.pseudonym.encode(), b"Meadow"], "placement")
    listed = api_client.get(url("schoolplacement-list")).json()["results"]
    assert [p["child"]["ehcp_reference"] for p in listed] == [EHCP]
    # The request itself stays a pseudonymised profile, and the others' offers stay out of reach.
    detail = api_client.get(url("placementrequest-detail", nmiss.request.pk))
    assert "child" not in detail.json() and detail.json()["offer_status"] == "awarded"
    assert_none_in(detail, identity_of(nmiss.child), "request")
    assert api_client.get(url("offer-detail", nmiss.meadow_offer.pk)).status_code == 404
    assert "quality_score" not in api_client.get(url("offer-detail", nmiss.orchard_offer.pk)).json()
    # Meadow lost: its placement list is empty and Orchard's placement is not there.
    api_client.force_authenticate(nmiss.users["meadow"])
    assert api_client.get(url("schoolplacement-list")).json()["count"] == 0
    assert api_client.get(url("schoolplacement-detail", placement.pk)).status_code == 404
    assert api_client.get(url("offer-detail", nmiss.meadow_offer.pk)).json()["status"] == "unsuccessful"


def test_commissioners_never_see_a_childs_name_or_date_of_birth(api_client, officer, commissioner, nmiss):
    placement = score_and_award(nmiss, officer)
    services.school_placement_uplift(
        placement=placement,
        effective_from=date(2027, 1, 1),
        percent=Decimal("2.5"),
        reason="Uplift agreed for Tamsin",
        user=officer,
    )
    services.school_placement_end(placement=placement, end_date=date(2028, 7, 31), reason="Tamsin moved", user=officer)
    api_client.force_authenticate(commissioner)
    child = nmiss.child
    never = [child.first_name.encode(), child.last_name.encode(), child.date_of_birth.isoformat().encode()]
    uplift = FeeUplift.objects.get(placement=placement)
    for address in (
        url("placementrequest-list"),
        url("placementrequest-detail", nmiss.request.pk),
        url("placementrequest-ranking", nmiss.request.pk),
        url("invitation-list"),
        url("invitation-detail", nmiss.orchard_invitation.pk),
        url("offer-list"),
        url("offer-detail", nmiss.meadow_offer.pk),
        url("schoolplacement-list"),
        url("schoolplacement-detail", placement.pk),
        url("feeuplift-list"),
        url("feeuplift-detail", uplift.pk),
        url("blockcontract-list"),
    ):
        response = api_client.get(address)
        assert response.status_code == 200, address
        assert_none_in(response, never, address)
    request = api_client.get(url("placementrequest-detail", nmiss.request.pk)).json()
    assert request["child"] == {"id": child.pk, "pseudonym": child.pseudonym}
    # Commissioners read the evaluation but take no part in it.
    assert api_client.get(url("placementrequest-eligible-schools", nmiss.request.pk)).status_code == 403
    score = {"quality_score": 1, "reason": "x"}
    assert api_client.post(url("offer-score", nmiss.meadow_offer.pk), score).status_code == 403
    assert api_client.post(url("feeuplift-list"), {}).status_code == 403


def test_officers_see_the_child_and_every_school(api_client, officer, nmiss):
    api_client.force_authenticate(officer)
    detail = api_client.get(url("placementrequest-detail", nmiss.request.pk)).json()
    assert (detail["child"]["first_name"], detail["child"]["ehcp_reference"]) == ("Tamsin", EHCP)
    assert (detail["invited"], detail["offered"]) == (2, 2)
    assert sorted(i["school_name"] for i in detail["invitations"]) == [
        "Fictional Meadow School Ltd",
        "Fictional Orchard School Ltd",
    ]
    # Offers are sealed until the deadline: then the council sees both.
    assert api_client.get(url("offer-list"), {"request": nmiss.request.pk}).json()["count"] == 0
    close(nmiss.request)
    assert api_client.get(url("offer-list"), {"request": nmiss.request.pk}).json()["count"] == 2


# Bad input --------------------------------------------------------------------------------------


def offer_body(nmiss, **changes) -> dict:
    return {
        "invitation": nmiss.willow_invitation.pk,
        "education_fee": "50000.00",
        "weeks": 38,
        "start_date": "2027-09-01",
        "quality_statement": "Specialist teachers.",
        **changes,
    }


def test_an_offer_after_the_deadline_is_refused_and_changes_nothing(token_for, willow_invited):
    nmiss = willow_invited
    client = token_for(scopes=DPS, user=nmiss.users["willow"])
    close(nmiss.request)
    response = client.post(url("offer-list"), offer_body(nmiss))
    assert response.status_code == 400
    assert "closed" in response.json()["errors"]["non_field_errors"][0]
    assert not Offer.objects.filter(invitation=nmiss.willow_invitation).exists()
    assert Invitation.objects.get(pk=nmiss.willow_invitation.pk).status == Invitation.Status.INVITED


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"education_fee": "-1.00"}, "education_fee"),
        ({"care_fee": "-0.01"}, "care_fee"),
        ({"therapy_fee": "-500"}, "therapy_fee"),
        ({"weeks": 40}, "weeks"),
        ({"quality_statement": ""}, "quality_statement"),
        ({"start_date": "not-a-date"}, "start_date"),
    ],
)
def test_bad_offers_are_refused_on_the_right_field_and_change_nothing(token_for, willow_invited, changes, field):
    nmiss = willow_invited
    client = token_for(scopes=DPS, user=nmiss.users["willow"])
    response = client.post(url("offer-list"), offer_body(nmiss, **changes))
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert response.json()["message"] == "The request was not valid."
    assert not Offer.objects.filter(invitation=nmiss.willow_invitation).exists()


def test_an_uplift_before_the_placement_starts_is_refused_and_changes_nothing(api_client, officer, nmiss):
    placement = score_and_award(nmiss, officer)
    committed = list(placement.commitments.values_list("financial_year", "amount"))
    api_client.force_authenticate(officer)
    body = {"placement": placement.pk, "effective_from": "2026-08-31", "percent": "3", "reason": "Early"}
    response = api_client.post(url("feeuplift-list"), body)
    assert response.status_code == 400
    assert "before the placement starts" in response.json()["errors"]["effective_from"][0]
    too_much = api_client.post(url("feeuplift-list"), {**body, "effective_from": "2027-09-01", "percent": "150"})
    assert too_much.status_code == 400 and "percent" in too_much.json()["errors"]
    assert not FeeUplift.objects.exists()
    assert list(placement.commitments.values_list("financial_year", "amount")) == committed


def test_a_second_award_is_refused_and_changes_nothing(api_client, officer, nmiss):
    placement = score_and_award(nmiss, officer)
    api_client.force_authenticate(officer)
    body = {"offer": nmiss.orchard_offer.pk, "end_date": "2029-07-31", "reason": "Closer to home"}
    response = api_client.post(url("placementrequest-award", nmiss.request.pk), body)
    assert response.status_code == 400
    assert "already been awarded" in response.json()["errors"]["non_field_errors"][0]
    assert list(SchoolPlacement.objects.values_list("pk", flat=True)) == [placement.pk]
    assert set(Offer.objects.values_list("pk", "status")) == {
        (nmiss.orchard_offer.pk, "unsuccessful"),
        (nmiss.meadow_offer.pk, "awarded"),
    }


@pytest.mark.parametrize(
    "action, body, field",
    [
        ("award", {"offer": 999999, "end_date": "2029-07-31"}, "offer"),  # no such offer
        ("award", {"end_date": "2029-07-31"}, "offer"),
        ("award", "not-ranked-first", "reason"),
        ("award", "ends-before-it-starts", "end_date"),
        ("score", {"quality_score": 101, "reason": "Too high"}, "quality_score"),
        ("score", {"quality_score": 50, "reason": ""}, "reason"),
    ],
)
def test_bad_evaluation_input_is_refused_on_the_right_field(api_client, officer, nmiss, action, body, field):
    close(nmiss.request)
    services.offer_score(offer=nmiss.orchard_offer, quality_score=70, reason="Good", user=officer)
    services.offer_score(offer=nmiss.meadow_offer, quality_score=80, reason="Very good", user=officer)
    if isinstance(body, str):
        body = {
            "not-ranked-first": {"offer": nmiss.orchard_offer.pk, "end_date": "2029-07-31"},
            "ends-before-it-starts": {"offer": nmiss.meadow_offer.pk, "end_date": "2026-08-31"},
        }[body]
    api_client.force_authenticate(officer)
    address = {
        "award": url("placementrequest-award", nmiss.request.pk),
        "score": url("offer-score", nmiss.orchard_offer.pk),
    }[action]
    response = api_client.post(address, body)
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert PlacementRequest.objects.get(pk=nmiss.request.pk).status == PlacementRequest.Status.OPEN
    assert Offer.objects.get(pk=nmiss.orchard_offer.pk).quality_score == 70
    assert not SchoolPlacement.objects.exists()


def test_only_eligible_schools_can_be_invited(api_client, officer, nmiss):
    api_client.force_authenticate(officer)
    address = url("placementrequest-invite", nmiss.request.pk)
    empty = api_client.post(address, {"schools": []})
    assert empty.status_code == 400 and "schools" in empty.json()["errors"]
    semh = dps_school("Fictional SEMH School", lot_number=3, needs=("SEMH",))
    refused = api_client.post(address, {"schools": [nmiss.willow.pk, semh.pk]})
    assert refused.status_code == 400
    assert "Fictional SEMH School" in refused.json()["errors"]["schools"][0]
    unknown = api_client.post(address, {"schools": [999999]})
    assert unknown.status_code == 400 and "schools" in unknown.json()["errors"]
    assert Invitation.objects.filter(request=nmiss.request).count() == 2


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"needs_summary": "Tamsin needs a calm class."}, "needs_summary"),  # schools must not see the name
        ({"deadline": "2020-01-01T09:00:00Z"}, "deadline"),
        ({"deadline": "9999-12-31T23:59:59Z"}, "deadline"),
        ({"quality_weight": 70}, "quality_weight"),  # 70 + 40 is not 100
        ({"setting": "boarding"}, "setting"),
        ({"lot": 999999}, "lot"),
    ],
)
def test_bad_requests_are_refused_on_the_right_field_and_change_nothing(api_client, officer, changes, field):
    api_client.force_authenticate(officer)
    body = {
        "child": child_with_autism().pk,
        "lot": dps_lot(1).pk,
        "needs_summary": "Needs a small, calm class.",
        "setting": "day",
        "required_start": "2027-09-01",
        "deadline": (timezone.now() + timedelta(days=7)).isoformat(),
        **changes,
    }
    response = api_client.post(url("placementrequest-list"), body)
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not PlacementRequest.objects.exists()


# Token scopes -----------------------------------------------------------------------------------

DPS_LISTS = [
    "placementrequest-list",
    "invitation-list",
    "offer-list",
    "schoolplacement-list",
    "feeuplift-list",
    "blockcontract-list",
]


def test_a_reference_data_token_is_refused_everywhere_here(token_for, officer, nmiss):
    client = token_for(scopes=["reference:read"], user=officer)
    addresses = [url(name) for name in DPS_LISTS] + [
        url("placementrequest-detail", nmiss.request.pk),
        url("placementrequest-ranking", nmiss.request.pk),
        url("offer-detail", nmiss.orchard_offer.pk),
    ]
    for address in addresses:
        response = client.get(address)
        assert response.status_code == 403, address
        assert response.json()["message"] == "This token's scopes do not allow this."


def test_a_dps_read_token_reads_and_writes_nothing(token_for, officer, nmiss):
    client = token_for(scopes=["dps:read"], user=officer)
    for name in DPS_LISTS:
        assert client.get(url(name)).status_code == 200, name
    close(nmiss.request)  # offers are sealed until the deadline
    ranking = client.get(url("placementrequest-ranking", nmiss.request.pk))
    assert ranking.status_code == 200 and ranking.json()["count"] == 2
    assert client.post(url("placementrequest-cancel", nmiss.request.pk), {"reason": "x"}).status_code == 403
    assert PlacementRequest.objects.get(pk=nmiss.request.pk).status == PlacementRequest.Status.OPEN
    assert token_for(scopes=["children:read"], user=officer).get(url("offer-list")).status_code == 403


def test_anonymous_callers_are_asked_to_sign_in(api_client, nmiss):
    assert api_client.get(url("placementrequest-list")).status_code == 401
    assert api_client.get(url("placementrequest-detail", nmiss.request.pk)).status_code == 401


# Query counts -----------------------------------------------------------------------------------


def grow(officer, nmiss) -> None:
    """One more of everything each list shows, at Orchard so the school's lists grow too: an eligible school
    invited to the request with its offer, another request offered on by Orchard, a placement agreement at
    Orchard with an uplift, and a block contract there."""
    n = next(GROWTH)
    extra = dps_school(f"Fictional Extra School {n}")
    services.placement_request_invite(request=nmiss.request, schools=[extra], user=officer)
    offer(nmiss.request.invitations.get(school=extra), school_user(extra, f"head{n}@extra.example.org"), "60000")
    child = child_with_autism(ehcp_reference=f"EHCP-GROW-{n}")
    another = raise_request(officer, child=child)
    services.placement_request_invite(request=another, schools=[nmiss.orchard, extra], user=officer)
    offer(another.invitations.get(school=nmiss.orchard), nmiss.users["orchard"], "47000")
    placement = services.school_placement_create(
        child=child,
        school=nmiss.orchard,
        setting="day",
        weeks=38,
        start_date=date(2026, 9, 1),
        end_date=date(2028, 7, 31),
        education_fee=Decimal("41000.00"),
        user=officer,
    )
    services.school_placement_uplift(
        placement=placement, effective_from=date(2027, 9, 1), percent=Decimal("2"), reason="Uplift", user=officer
    )
    services.block_contract_create(
        school=nmiss.orchard,
        reference=f"FICT-GROW-{n}",
        places=2,
        annual_fee=Decimal("90000"),
        start_date=date(2026, 4, 1),
        end_date=date(2029, 3, 31),
        user=officer,
    )


def offers_closed(closed: bool) -> None:
    """Move every request's deadline just into the past (offers closed) or back into the future."""
    PlacementRequest.objects.update(deadline=timezone.now() + timedelta(minutes=-1 if closed else 60 * 24 * 7))


LISTS = {
    "officer": [*DPS_LISTS, "placementrequest-eligible-schools", "placementrequest-ranking"],
    "commissioner": [*DPS_LISTS, "placementrequest-ranking"],
    "school": DPS_LISTS,
}


def list_url(name: str, nmiss) -> str:
    if name in ("placementrequest-eligible-schools", "placementrequest-ranking"):
        return url(name, nmiss.request.pk)
    return url(name)


@pytest.mark.parametrize("persona, name", [(persona, name) for persona, names in LISTS.items() for name in names])
def test_api_lists_run_a_constant_number_of_queries(
    api_client, officer, commissioner, nmiss, django_assert_num_queries, persona, name
):
    grow(officer, nmiss)  # a first row in every list
    user = {"officer": officer, "commissioner": commissioner, "school": nmiss.users["orchard"]}[persona]
    api_client.force_authenticate(user)
    address = list_url(name, nmiss)
    offers_closed(True)  # the council sees offers once they have closed
    api_client.get(address)  # warm-up: permission and content-type caches
    with CaptureQueriesContext(connection) as one:
        response = api_client.get(address)
    assert response.status_code == 200, response.json()
    offers_closed(False)
    grow(officer, nmiss)
    grow(officer, nmiss)
    offers_closed(True)
    with django_assert_num_queries(len(one)):
        grown = api_client.get(address)
    assert grown.json()["count"] > response.json()["count"]


@pytest.mark.parametrize("persona", ["officer", "school"])
def test_details_run_a_constant_number_of_queries(api_client, officer, nmiss, django_assert_num_queries, persona):
    """A request's invitations and an agreement's uplifts and commitments are read in one query each."""
    placement = services.school_placement_create(
        child=nmiss.child,
        school=nmiss.orchard,
        setting="day",
        weeks=38,
        start_date=date(2026, 9, 1),
        end_date=date(2029, 7, 31),
        education_fee=Decimal("41000.00"),
        user=officer,
    )
    api_client.force_authenticate(officer if persona == "officer" else nmiss.users["orchard"])
    addresses = [url("placementrequest-detail", nmiss.request.pk), url("schoolplacement-detail", placement.pk)]
    counts = {}
    for address in addresses:
        api_client.get(address)
        with CaptureQueriesContext(connection) as one:
            assert api_client.get(address).status_code == 200
        counts[address] = len(one)
    for n in range(3):
        services.placement_request_invite(
            request=nmiss.request, schools=[dps_school(f"Fictional Late School {n}")], user=officer
        )
        services.school_placement_uplift(
            placement=placement, effective_from=date(2027, 1 + n, 1), percent=Decimal("1"), reason="x", user=officer
        )
    for address in addresses:
        with django_assert_num_queries(counts[address]):
            api_client.get(address)
