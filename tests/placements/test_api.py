"""The children's therapy API: the journey end to end, who sees what about a child, scopes, bad input,
the access trail, and query counts that stay flat as rows grow. Every name here is invented."""

from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from placements import services
from placements.models import Child, Invoice, PersonalBudget, Placement, PlacementVariation
from tests.placements.factories import (
    ChildFactory,
    ProvisionFactory,
    make_qpl_ready,
    personal_budget,
)
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db

SWALE = "E07000113"
A_CHILD = {"first_name": "Oriel", "last_name": "Fablewick", "date_of_birth": date(2015, 2, 14)}
B_CHILD = {"first_name": "Tamsin", "last_name": "Quorrelby", "date_of_birth": date(2014, 11, 3)}
PERIOD = {"start": "2024-09-01", "end": "2025-03-31"}


def url(name: str, *args) -> str:
    return reverse(f"api:{name}", args=args)


def arrange(child, provider, officer, *, number: str, amount: str = "280.00"):
    """A waiting referral placed with `provider` by QPL call-off, invoiced by the provider, disputed and
    reviewed, with free text that names the child (as officers write it)."""
    provision = ProvisionFactory(child=child, description=f"{child.first_name} has weekly sessions at school")
    referral = services.referral_create(provision=provision, referred_on=date(2024, 5, 1), user=officer)
    placement = services.placement_arrange(
        provision=provision,
        referral=referral,
        arrangement=Placement.Arrangement.QPL_CALL_OFF,
        provider=provider,
        user=officer,
        start_date=date(2024, 9, 2),
        end_date=date(2025, 7, 18),
        units_per_week=Decimal("1.00"),
    )
    placement = services.placement_activate(placement=placement, user=officer)
    services.placement_vary_rate(
        placement=placement,
        effective_from=date(2025, 4, 1),
        rate=Decimal("72.00"),
        reason=f"Uplift agreed for {child.first_name}",
        user=officer,
    )
    invoice = services.invoice_submit(
        placement=placement,
        number=number,
        period_start=date(2024, 9, 2),
        period_end=date(2024, 9, 29),
        units_delivered=Decimal("4.00"),
        amount=Decimal(amount),
        user=provider.users.get(),
    )
    dispute = services.dispute_raise(
        placement=placement,
        invoice=invoice,
        category="quality",
        description=f"{child.first_name} missed two sessions",
        user=officer,
    )
    review = services.review_record(
        placement=placement,
        held_on=date(2024, 12, 2),
        outcomes=f"{child.first_name} is using two-word phrases",
        effectiveness="effective",
        decision="continue",
        next_review_on=date(2025, 3, 3),  # overdue by now: it shows in reviews due
        user=officer,
    )
    return {
        "child": child,
        "provision": provision,
        "referral": referral,
        "placement": placement,
        "invoice": invoice,
        "dispute": dispute,
        "review": review,
    }


@pytest.fixture
def world(officer, provider_a, provider_a_user, provider_b, provider_b_user):
    """Two children, one with a placement at provider A and one at provider B, and a personal budget."""
    make_qpl_ready(provider_a)
    make_qpl_ready(provider_b, rate="75.00")
    a = arrange(ChildFactory(**A_CHILD, ehcp_reference="EHCP-ALDER-1"), provider_a, officer, number="A-001")
    b = arrange(ChildFactory(**B_CHILD, ehcp_reference="EHCP-BIRCH-1"), provider_b, officer, number="B-001")
    budget_line = ProvisionFactory(child=a["child"], unit="session")
    a["budget"] = personal_budget(provision=budget_line, user=officer, start=date(2024, 9, 1), end=date(2025, 3, 31))
    PersonalBudget.objects.filter(placement=a["budget"]).update(paid_to="Mrs Fablewick", notes="Oriel's mother buys it")
    return {"a": a, "b": b}


def identity_of(child) -> list[bytes]:
    return [child.first_name.encode(), child.last_name.encode(), child.date_of_birth.isoformat().encode()]


# The journey ------------------------------------------------------------------------------------


def test_the_whole_journey_through_the_api(token_for, officer, provider_a, provider_a_user):
    make_qpl_ready(provider_a)
    council = token_for(scopes=["children:read", "children:write", "invoices:read", "invoices:write"], user=officer)
    provider = token_for(scopes=["invoices:read", "invoices:write"], user=provider_a_user)

    child = council.post(
        url("child-list"),
        {
            "first_name": "Marlo",
            "last_name": "Fenwickshaw",
            "date_of_birth": "2016-03-09",
            "ehcp_reference": "ehcp-api-1",
            "district": SWALE,
            "school_name": "Fictional Primary School",
        },
    )
    assert child.status_code == 201, child.json()
    child = child.json()
    assert child["ehcp_reference"] == "EHCP-API-1" and child["pseudonym"].startswith("C-")
    assert child["last_name"] == "Fenwickshaw" and child["date_of_birth"] == "2016-03-09"

    provision = council.post(
        url("provision-list"),
        {
            "child": child["id"],
            "therapy_type": "speech-language",
            "amount": "1.00",
            "unit": "hour",
            "frequency": "week",
            "weeks_per_year": 38,
            "start_date": "2024-04-01",
        },
    )
    assert provision.status_code == 201, provision.json()
    assert provision.json()["units_per_year"] == "38.00"

    referral = council.post(url("referral-list"), {"provision": provision.json()["id"], "referred_on": "2024-05-01"})
    assert referral.status_code == 201, referral.json()
    referral = referral.json()
    assert referral["stage"] == "awaiting_assessment" and referral["weeks_waiting"] > 100

    candidates = council.get(url("referral-candidates", referral["id"]), {"on": "2024-09-02"}).json()
    assert candidates["results"] == [
        {
            "id": provider_a.pk,
            "legal_name": "Alder Therapy Ltd",
            "trading_name": "Alder Therapy",
            "capacity_hours": "10.0",
            "rate": "70.00",
        }
    ]

    placement = council.post(
        url("placement-list"),
        {
            "provision": provision.json()["id"],
            "referral": referral["id"],
            "arrangement": "qpl_call_off",
            "provider": provider_a.pk,
            "start_date": "2024-09-02",
            "end_date": "2025-07-18",
            "units_per_week": "1.00",
        },
    )
    assert placement.status_code == 201, placement.json()
    placement = placement.json()
    assert (placement["status"], placement["rate"], placement["is_off_qpl"]) == ("proposed", "70.00", False)
    assert placement["commitments"] == [] and placement["committed"] == "0.00"

    active = council.post(url("placement-activate", placement["id"]), {"purchase_order": "PO-1234"})
    assert active.status_code == 200, active.json()
    active = active.json()
    assert active["status"] == "active" and active["purchase_order"] == "PO-1234"
    assert [c["financial_year"] for c in active["commitments"]] == ["2024-25", "2025-26"]
    total = sum(Decimal(c["amount"]) for c in active["commitments"])
    assert active["committed"] == f"{total:.2f}"
    placed = council.get(url("referral-detail", referral["id"])).json()
    assert placed["stage"] == "placed" and placed["waiting_ended_on"] == "2024-09-02"
    assert [p["id"] for p in placed["placements"]] == [placement["id"]]

    invoice = provider.post(
        url("invoice-list"),
        {
            "placement": placement["id"],
            "number": "ALD-001",
            "period_start": "2024-09-02",
            "period_end": "2024-09-29",
            "units_delivered": "4.00",
            "amount": "280.00",
        },
    )
    assert invoice.status_code == 201, invoice.json()
    invoice = invoice.json()
    assert (invoice["status"], invoice["has_discrepancy"], invoice["expected_amount"]) == (
        "submitted",
        False,
        "280.00",
    )
    assert invoice["child"] == {"id": child["id"], "ehcp_reference": "EHCP-API-1", "first_name": "Marlo"}
    # The provider cannot approve its own invoice.
    assert provider.post(url("invoice-approve", invoice["id"]), {}).status_code == 403

    approved = council.post(url("invoice-approve", invoice["id"]), {})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    today = timezone.localdate().isoformat()
    paid = council.post(url("invoice-mark-paid", invoice["id"]), {"paid_on": today, "payment_reference": "BACS-77"})
    assert paid.status_code == 200, paid.json()
    assert (paid.json()["status"], paid.json()["paid_on"]) == ("paid", today)
    detail = council.get(url("placement-detail", placement["id"])).json()
    assert detail["actual"] == "280.00"
    assert [(i["number"], i["status"]) for i in detail["invoices"]] == [("ALD-001", "paid")]


def test_placements_end_cancel_and_change_rate_through_the_api(api_client, officer, world):
    placement = world["a"]["placement"]
    api_client.force_authenticate(officer)
    rate = api_client.post(
        url("placement-rate", placement.pk),
        {"effective_from": "2025-06-01", "rate": "74.50", "reason": "Annual uplift", "decision_reference": "D-1"},
    )
    assert rate.status_code == 200, rate.json()
    assert [v["rate"] for v in rate.json()["variations"]] == ["72.00", "74.50"]
    ended = api_client.post(
        url("placement-end", placement.pk), {"end_date": "2025-03-31", "reason": "outcomes_met", "note": "Done"}
    )
    assert ended.status_code == 200, ended.json()
    assert (ended.json()["status"], ended.json()["end_reason"], ended.json()["end_date"]) == (
        "ended",
        "outcomes_met",
        "2025-03-31",
    )
    proposed = services.placement_arrange(
        provision=ProvisionFactory(),
        arrangement=Placement.Arrangement.SPOT_PURCHASE,
        provider=ProviderFactory(),
        spot_reason="parental_preference",
        rate=Decimal("90.00"),
        user=officer,
        start_date=date(2024, 9, 1),
        end_date=date(2025, 3, 31),
        units_per_week=Decimal("1"),
    )
    cancelled = api_client.post(url("placement-cancel", proposed.pk), {"reason": "The family moved away"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["is_off_qpl"] is True


def test_referrals_move_and_close_through_the_api(api_client, officer):
    provision = ProvisionFactory()
    referral = services.referral_create(provision=provision, referred_on=date(2024, 5, 1), user=officer)
    api_client.force_authenticate(officer)
    moved = api_client.post(url("referral-stage", referral.pk), {"stage": "awaiting_intervention"})
    assert moved.status_code == 200 and moved.json()["stage"] == "awaiting_intervention"
    refused = api_client.post(url("referral-stage", referral.pk), {"stage": "closed"})
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    closed = api_client.post(
        url("referral-stage", referral.pk), {"stage": "closed", "on": "2024-07-01", "reason": "Parent declined"}
    )
    assert closed.status_code == 200, closed.json()
    assert (closed.json()["weeks_waiting"], closed.json()["closed_reason"]) == (8, "Parent declined")


def test_disputes_and_reviews_through_the_api(api_client, officer, world):
    a = world["a"]
    api_client.force_authenticate(officer)
    disputed = api_client.post(
        url("invoice-dispute", a["invoice"].pk), {"category": "financial_discrepancy", "description": "Overcharged"}
    )
    assert disputed.status_code == 201, disputed.json()
    dispute_id = disputed.json()["id"]
    assert disputed.json()["invoice"] == a["invoice"].pk and disputed.json()["is_open"] is True
    unresolved = api_client.post(url("dispute-resolve", dispute_id), {"outcome": "Credit note agreed"})
    assert unresolved.status_code == 400 and "invoice_decision" in unresolved.json()["errors"]
    resolved = api_client.post(
        url("dispute-resolve", dispute_id), {"outcome": "Credit note agreed", "invoice_decision": "reject"}
    )
    assert resolved.status_code == 200 and resolved.json()["is_open"] is False
    assert Invoice.objects.get(pk=a["invoice"].pk).status == Invoice.Status.REJECTED

    raised = api_client.post(
        url("dispute-list"), {"placement": a["placement"].pk, "category": "protocol", "description": "No notes sent"}
    )
    assert raised.status_code == 201, raised.json()
    review = api_client.post(
        url("review-list"),
        {
            "placement": a["placement"].pk,
            "held_on": "2025-03-03",
            "outcomes": "Targets met",
            "effectiveness": "effective",
            "decision": "stop",
            "end_date": "2025-03-31",
        },
    )
    assert review.status_code == 201, review.json()
    assert Placement.objects.get(pk=a["placement"].pk).status == Placement.Status.ENDED
    due = api_client.get(url("review-due")).json()  # the personal budget's review (15 January), then B's
    assert [p["id"] for p in due["results"]] == [a["budget"].pk, world["b"]["placement"].pk]


def test_child_and_provision_changes_through_the_api(api_client, officer, world):
    child, provision = world["a"]["child"], world["a"]["provision"]
    api_client.force_authenticate(officer)
    changed = api_client.patch(url("child-detail", child.pk), {"school_name": "Another Fictional School"})
    assert changed.status_code == 200 and changed.json()["school_name"] == "Another Fictional School"
    line = api_client.patch(url("provision-detail", provision.pk), {"amount": "1.50"})
    assert line.status_code == 200 and line.json()["amount"] == "1.50"
    refused = api_client.patch(url("provision-detail", provision.pk), {"end_date": "2024-06-30"})
    assert refused.status_code == 400 and "end_date" in refused.json()["errors"]


# Who sees what ----------------------------------------------------------------------------------


def commissioner_reads(world) -> list[str]:
    a = world["a"]
    return [
        url("placement-list"),
        url("placement-detail", a["placement"].pk),
        url("placement-detail", a["budget"].pk),
        url("referral-list"),
        url("referral-detail", a["referral"].pk),
        url("invoice-list"),
        url("invoice-detail", a["invoice"].pk),
        url("dispute-list"),
        url("dispute-detail", a["dispute"].pk),
        url("review-list"),
        url("review-detail", a["review"].pk),
        url("review-due"),
        url("personalbudget-list"),
        url("personalbudget-detail", a["budget"].personal_budget.pk),
        url("provision-assurance") + "?start=2024-09-01&end=2025-03-31",
        url("provision-assurance-children") + "?start=2024-09-01&end=2025-03-31",
    ]


def test_commissioners_never_see_a_childs_name_or_date_of_birth(api_client, commissioner, world):
    api_client.force_authenticate(commissioner)
    secrets = [*identity_of(world["a"]["child"]), *identity_of(world["b"]["child"]), b"EHCP-ALDER-1"]
    assert PersonalBudget.objects.get(placement=world["a"]["budget"]).paid_to == "Mrs Fablewick"
    for address in commissioner_reads(world):
        response = api_client.get(address)
        assert response.status_code == 200, address
        for secret in secrets:
            assert secret not in response.content, (address, secret)
    placement = api_client.get(url("placement-detail", world["a"]["placement"].pk)).json()
    assert placement["child"] == {"id": world["a"]["child"].pk, "pseudonym": world["a"]["child"].pseudonym}
    assert "reason" not in placement["variations"][0]


def test_commissioners_have_no_access_to_childrens_records(api_client, commissioner, world):
    api_client.force_authenticate(commissioner)
    child = world["a"]["child"]
    assert api_client.get(url("child-list")).status_code == 403
    assert api_client.get(url("child-detail", child.pk)).status_code == 403
    assert api_client.get(url("provision-list")).status_code == 403
    assert api_client.post(url("child-list"), {"first_name": "X"}).status_code == 403
    # Reading placements is not arranging them, or invoicing them.
    assert (
        api_client.post(
            url("invoice-list"),
            {
                "placement": world["a"]["placement"].pk,
                "number": "C-1",
                "period_start": "2024-10-01",
                "period_end": "2024-10-31",
                "units_delivered": "1",
                "amount": "70",
            },
        ).status_code
        == 403
    )
    assert api_client.post(url("placement-activate", world["a"]["placement"].pk)).status_code == 403


def test_officers_see_the_child(api_client, officer, world):
    api_client.force_authenticate(officer)
    child = world["a"]["child"]
    record = api_client.get(url("child-detail", child.pk)).json()
    assert (record["first_name"], record["last_name"], record["date_of_birth"]) == (
        "Oriel",
        "Fablewick",
        "2015-02-14",
    )
    invoice = api_client.get(url("invoice-detail", world["a"]["invoice"].pk)).json()
    assert invoice["child"]["last_name"] == "Fablewick"
    review = api_client.get(url("review-detail", world["a"]["review"].pk)).json()
    assert review["outcomes"] == "Oriel is using two-word phrases"


def test_provider_b_gets_404_for_provider_as_records(api_client, provider_b_user, world):
    a = world["a"]
    api_client.force_authenticate(provider_b_user)
    for address in (
        url("placement-detail", a["placement"].pk),
        url("invoice-detail", a["invoice"].pk),
        url("dispute-detail", a["dispute"].pk),
        url("review-detail", a["review"].pk),
        url("child-detail", a["child"].pk),
        url("provision-detail", a["provision"].pk),
    ):
        assert api_client.get(address).status_code == 404, address
    submitted = api_client.post(
        url("invoice-list"),
        {
            "placement": a["placement"].pk,
            "number": "B-999",
            "period_start": "2024-10-01",
            "period_end": "2024-10-31",
            "units_delivered": "4",
            "amount": "280",
        },
    )
    assert submitted.status_code == 404
    assert api_client.post(url("invoice-approve", a["invoice"].pk)).status_code == 404
    assert api_client.post(url("placement-end", a["placement"].pk), {}).status_code == 404
    assert not Invoice.objects.filter(number="B-999").exists()


def provider_reads() -> list[str]:
    return [
        url("child-list"),
        url("provision-list"),
        url("placement-list"),
        url("invoice-list"),
        url("dispute-list"),
        url("review-list"),
        url("provision-assurance") + "?start=2024-09-01&end=2025-03-31",
        url("provision-assurance-children") + "?start=2024-09-01&end=2025-03-31",
    ]


def test_provider_lists_show_only_their_own_children_by_reference_and_first_name(api_client, provider_a_user, world):
    api_client.force_authenticate(provider_a_user)
    own, other = world["a"]["child"], world["b"]["child"]
    never = [own.last_name.encode(), own.date_of_birth.isoformat().encode(), own.pseudonym.encode()]
    never += [*identity_of(other), other.ehcp_reference.encode()]
    for address in provider_reads():
        response = api_client.get(address)
        assert response.status_code == 200, address
        assert response.json()["count"] >= 1, address
        for secret in never:
            assert secret not in response.content, (address, secret)
    children = api_client.get(url("child-list")).json()["results"]
    assert children == [{"id": own.pk, "ehcp_reference": "EHCP-ALDER-1", "first_name": "Oriel", "active_placements": 1}]
    record = api_client.get(url("child-detail", own.pk)).json()
    assert set(record) == {"id", "ehcp_reference", "first_name", "provisions", "placements"}
    assert [p["id"] for p in record["placements"]] == [world["a"]["placement"].pk]
    # The referral list and personal budgets are the council's own.
    assert api_client.get(url("referral-list")).status_code == 403
    assert api_client.get(url("personalbudget-list")).status_code == 403


def test_a_provider_cannot_probe_names_through_the_filters(api_client, provider_a_user, world):
    api_client.force_authenticate(provider_a_user)
    assert api_client.get(url("child-list"), {"q": "Fablewick"}).json()["count"] == 0
    assert api_client.get(url("child-list"), {"q": "EHCP-ALDER"}).json()["count"] == 1
    assert api_client.get(url("child-list"), {"date_of_birth": "2099-01-01"}).json()["count"] == 1  # ignored


# Token scopes -----------------------------------------------------------------------------------

CHILDREN_AREA = [
    "child-list",
    "provision-list",
    "referral-list",
    "placement-list",
    "personalbudget-list",
    "review-list",
    "review-due",
    "provision-assurance",
    "provision-assurance-children",
]
INVOICES_AREA = ["invoice-list", "dispute-list"]


def test_a_reference_data_token_is_refused_everywhere_here(token_for, officer):
    client = token_for(scopes=["reference:read"], user=officer)
    for name in (*CHILDREN_AREA, *INVOICES_AREA):
        response = client.get(url(name))
        assert response.status_code == 403, name
        assert response.json()["message"] == "This token's scopes do not allow this."


def test_a_children_read_token_reads_children_and_nothing_else(token_for, world):
    client = token_for(scopes=["children:read"])  # the council's case-management integration
    listing = client.get(url("child-list"))
    assert listing.status_code == 200
    assert {c["last_name"] for c in listing.json()["results"]} == {"Fablewick", "Quorrelby"}
    for name in CHILDREN_AREA:
        assert client.get(url(name)).status_code == 200, name
    for name in INVOICES_AREA:
        assert client.get(url(name)).status_code == 403, name
    assert client.patch(url("child-detail", world["a"]["child"].pk), {"school_name": "X"}).status_code == 403
    assert Child.objects.get(pk=world["a"]["child"].pk).school_name == "Fictional Primary School"


# Bad input --------------------------------------------------------------------------------------


def spot_purchase_body(**changes) -> dict:
    """A spot purchase for a new provision line, as an API client posts it."""
    return {
        "provision": ProvisionFactory().pk,
        "arrangement": "spot_purchase",
        "provider": ProviderFactory().pk,
        "spot_reason": "tribunal_named",
        "rate": "90.00",
        "start_date": "2024-09-02",
        "end_date": "2025-03-31",
        "units_per_week": "1.00",
        **changes,
    }


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"period_start": "2024-08-01", "period_end": "2024-08-31"}, "period_start"),  # before the placement
        ({"period_start": "2024-10-31", "period_end": "2024-10-01"}, "period_end"),  # ends before it starts
        ({"number": "a-001"}, "number"),  # already used by this provider (any case)
        ({"amount": "-1.00"}, "amount"),
        ({"units_delivered": "-2"}, "units_delivered"),
    ],
)
def test_bad_invoices_are_refused_on_the_right_field_and_change_nothing(
    token_for, provider_a_user, world, changes, field
):
    client = token_for(scopes=["invoices:write"], user=provider_a_user)
    before = Invoice.objects.count()
    body = {
        "placement": world["a"]["placement"].pk,
        "number": "A-002",
        "period_start": "2024-10-01",
        "period_end": "2024-10-31",
        "units_delivered": "4",
        "amount": "280.00",
        **changes,
    }
    response = client.post(url("invoice-list"), body)
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert response.json()["message"] == "The request was not valid."
    assert Invoice.objects.count() == before


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"end_date": "2024-08-01"}, "end_date"),  # ends before it starts
        ({"rate": "-5.00"}, "rate"),
        ({"units_per_week": "-1"}, "units_per_week"),
        ({"spot_reason": ""}, "spot_reason"),
        ({"arrangement": "barter"}, "arrangement"),
        ({"funding_source": "lottery"}, "funding_source"),
    ],
)
def test_bad_placements_are_refused_on_the_right_field_and_change_nothing(api_client, officer, changes, field):
    api_client.force_authenticate(officer)
    response = api_client.post(url("placement-list"), spot_purchase_body(**changes))
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not Placement.objects.exists()


def test_a_negative_rate_change_and_a_future_payment_are_refused(api_client, officer, world):
    a = world["a"]
    api_client.force_authenticate(officer)
    rate = api_client.post(
        url("placement-rate", a["placement"].pk), {"effective_from": "2025-06-01", "rate": "-1.00", "reason": "x"}
    )
    assert rate.status_code == 400 and "rate" in rate.json()["errors"]
    assert PlacementVariation.objects.filter(placement=a["placement"]).count() == 1
    services.invoice_approve(invoice=a["invoice"], user=officer)
    paid = api_client.post(url("invoice-mark-paid", a["invoice"].pk), {"paid_on": "2099-01-01"})
    assert paid.status_code == 400 and "paid_on" in paid.json()["errors"]
    assert Invoice.objects.get(pk=a["invoice"].pk).status == Invoice.Status.APPROVED


def test_a_placement_names_the_budget_that_pays_for_it(api_client, officer):
    api_client.force_authenticate(officer)
    created = api_client.post(url("placement-list"), spot_purchase_body(funding_source="pooled"))
    assert created.status_code == 201 and created.json()["funding_source"] == "pooled"
    assert api_client.post(url("placement-list"), spot_purchase_body()).json()["funding_source"] == "dsg_high_needs"
    listed = api_client.get(url("placement-list")).json()["results"]
    assert {p["id"]: p["funding_source"] for p in listed} == {
        created.json()["id"]: "pooled",
        created.json()["id"] + 1: "dsg_high_needs",
    }
    pooled = api_client.get(url("placement-list"), {"funding_source": "pooled"}).json()["results"]
    assert [p["id"] for p in pooled] == [created.json()["id"]]


def test_an_unknown_referral_is_a_field_error(api_client, officer, world):
    api_client.force_authenticate(officer)
    body = {
        "provision": world["a"]["provision"].pk,
        "arrangement": "qpl_call_off",
        "referral": 999999,
        "start_date": "2024-09-02",
        "end_date": "2025-03-31",
        "units_per_week": "1",
    }
    response = api_client.post(url("placement-list"), body)
    assert response.status_code == 400 and "referral" in response.json()["errors"]


@pytest.mark.parametrize(
    "query, field",
    [({"start": "not-a-date"}, "start"), ({"start": "2025-01-01", "end": "2024-01-01"}, "end")],
)
def test_bad_assurance_periods_are_400_with_field_errors(api_client, commissioner, query, field):
    api_client.force_authenticate(commissioner)
    for name in ("provision-assurance", "provision-assurance-children"):
        response = api_client.get(url(name), query)
        assert response.status_code == 400 and field in response.json()["errors"], name


def test_assurance_figures_are_decimal_strings(api_client, officer, world):
    api_client.force_authenticate(officer)
    lines = api_client.get(url("provision-assurance"), PERIOD).json()["results"]
    line = next(row for row in lines if row["provision"] == world["a"]["provision"].pk)
    # 1 hour a week, 38 weeks a year: 212 days of it is 22.07; commissioned from 2 September (211 days).
    assert (line["specified"], line["commissioned"], line["delivered"]) == ("22.07", "21.97", "0.00")
    assert line["shortfall"] == "22.07" and line["unit"] == "hour"
    services.invoice_approve(invoice=world["a"]["invoice"], user=officer)
    children = api_client.get(url("provision-assurance-children"), {**PERIOD, "threshold": "50"}).json()
    row = next(r for r in children["results"] if r["child"]["id"] == world["a"]["child"].pk)
    assert row["delivered"] == "4.00" and row["lines"] == 2
    assert row["child"]["last_name"] == "Fablewick"


# The access trail -------------------------------------------------------------------------------


def test_every_read_of_a_childs_record_is_recorded(api_client, officer, provider_a_user, provider_b_user, world):
    child = world["a"]["child"]
    accesses = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Child),
        object_pk=str(child.pk),
        action=LogEntry.Action.ACCESS,
    )
    api_client.force_authenticate(officer)
    api_client.get(url("child-detail", child.pk))
    api_client.get(url("child-detail", child.pk))
    api_client.force_authenticate(provider_a_user)
    api_client.get(url("child-detail", child.pk))
    api_client.force_authenticate(provider_b_user)
    assert api_client.get(url("child-detail", child.pk)).status_code == 404  # not a read: nothing shown
    assert [(e.actor, e.additional_data) for e in accesses.order_by("pk")] == [
        (officer, {"viewed": "child record (API)"}),
        (officer, {"viewed": "child record (API)"}),
        (provider_a_user, {"viewed": "child record (API)"}),
    ]
    assert child.first_name not in str(list(accesses.values_list("object_repr", flat=True)))


# Query counts -----------------------------------------------------------------------------------


def grow(officer, provider) -> None:
    """One more of everything each list shows: child, plan lines, referral, placement, invoice, dispute,
    review, rate change, personal budget, and another QPL provider for the candidates list."""
    child = ChildFactory()
    arrange(child, provider, officer, number=f"G-{child.pk}")
    services.referral_create(provision=ProvisionFactory(child=child), referred_on=date(2024, 6, 1), user=officer)
    personal_budget(provision=ProvisionFactory(child=child, unit="session"), user=officer, end=date(2025, 3, 31))
    make_qpl_ready(ProviderFactory())


LISTS = [
    *CHILDREN_AREA,
    *INVOICES_AREA,
    "referral-candidates",
]


def list_url(name: str, world) -> str:
    if name == "referral-candidates":
        return url(name, world["a"]["referral"].pk) + "?on=2024-09-02"
    if name.startswith("provision-assurance"):
        return url(name) + "?start=2024-09-01&end=2025-03-31"
    return url(name)


@pytest.mark.parametrize("name", LISTS)
def test_api_lists_run_a_constant_number_of_queries(
    api_client, officer, provider_a, world, django_assert_num_queries, name
):
    api_client.force_authenticate(officer)
    address = list_url(name, world)
    api_client.get(address)  # warm-up: permission and content-type caches
    with CaptureQueriesContext(connection) as one:
        response = api_client.get(address)
    assert response.status_code == 200
    grow(officer, provider_a)
    grow(officer, provider_a)
    with django_assert_num_queries(len(one)):
        grown = api_client.get(address)
    assert grown.json()["count"] > response.json()["count"]


@pytest.mark.parametrize("address", provider_reads())
def test_provider_lists_run_a_constant_number_of_queries(
    api_client, officer, provider_a, provider_a_user, world, django_assert_num_queries, address
):
    api_client.force_authenticate(provider_a_user)
    api_client.get(address)
    with CaptureQueriesContext(connection) as one:
        response = api_client.get(address)
    grow(officer, provider_a)
    grow(officer, provider_a)
    with django_assert_num_queries(len(one)):
        grown = api_client.get(address)
    assert grown.json()["count"] > response.json()["count"]


def test_detail_pages_run_a_constant_number_of_queries(api_client, officer, world, django_assert_num_queries):
    """A placement's detail reads its invoices, disputes, reviews and rate changes in one query each."""
    placement = world["a"]["placement"]
    api_client.force_authenticate(officer)
    address = url("placement-detail", placement.pk)
    api_client.get(address)
    with CaptureQueriesContext(connection) as one:
        api_client.get(address)
    for n in range(3):
        services.dispute_raise(placement=placement, category="protocol", description=f"Late notes {n}", user=officer)
        services.placement_vary_rate(
            placement=placement, effective_from=date(2025, 5, 1 + n), rate=Decimal("73"), reason="x", user=officer
        )
    with django_assert_num_queries(len(one)):
        api_client.get(address)
