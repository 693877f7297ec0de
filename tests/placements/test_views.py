"""Children's therapy pages: who may open what, what each role is shown, the forms, the audit of child
records, and query counts that stay flat as rows grow. Every name here is invented."""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import District, TherapyType
from core.roles import Role
from placements.models import Child, Dispute, Invoice, PersonalBudget, Placement, Provision, Referral, Review
from tests.contracts.factories import ContractFactory
from tests.core.factories import UserFactory
from tests.placements.factories import (
    ChildFactory,
    DisputeFactory,
    InvoiceFactory,
    PlacementFactory,
    ProvisionFactory,
    ReferralFactory,
    ReviewFactory,
    personal_budget,
    qpl_call_off,
    qpl_provider,
)
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db

FIRST, LAST, BORN = "Zephyrine", "Quillbramble", date(2016, 2, 29)
LAST_NAME_AND_BIRTH = [LAST, "29 February 2016", "2016-02-29", "29/02/2016", "Feb. 29, 2016"]
IDENTITY = [FIRST, *LAST_NAME_AND_BIRTH]
LAST_YEAR = "?start=2024-04-01&end=2025-03-31"  # the period the world's placements run in


@pytest.fixture
def world(officer, provider_a, provider_b):
    """A child with a plan, a referral, a spot purchase from provider A (invoiced, disputed and reviewed) and a
    personal budget; and a child of provider B's, so B has something of its own."""
    child = ChildFactory(first_name=FIRST, last_name=LAST, date_of_birth=BORN, ehcp_reference="EHCP-ZQ0001")
    provision = ProvisionFactory(child=child)
    referral = ReferralFactory(provision=provision, referred_on=date(2024, 4, 1))
    placement = PlacementFactory(provision=provision, provider=provider_a, referral=referral)
    invoice = InvoiceFactory(placement=placement, number="ALDER-0001", submitted_by=officer)
    dispute = DisputeFactory(placement=placement, invoice=invoice, raised_by=officer)
    review = ReviewFactory(placement=placement, recorded_by=officer)
    budget_line = ProvisionFactory(child=child, therapy_type=TherapyType.objects.get(code="occupational"))
    budget = personal_budget(provision=budget_line, user=officer)
    other = PlacementFactory(provider=provider_b)
    return SimpleNamespace(
        child=child,
        provision=provision,
        referral=referral,
        placement=placement,
        invoice=invoice,
        dispute=dispute,
        review=review,
        budget=budget,
        other=other,
    )


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


# Who may open what ------------------------------------------------------------------------------

OK, FORBIDDEN, GONE = 200, 403, 404


def page_urls(w) -> dict[str, str]:
    p = w.placement.pk
    return {
        "child-list": reverse("placements:child-list"),
        "child-create": reverse("placements:child-create"),
        "child-detail": reverse("placements:child-detail", args=[w.child.pk]),
        "child-edit": reverse("placements:child-edit", args=[w.child.pk]),
        "provision-create": reverse("placements:provision-create", args=[w.child.pk]),
        "provision-edit": reverse("placements:provision-edit", args=[w.provision.pk]),
        "referral-create": reverse("placements:referral-create", args=[w.provision.pk]),
        "referral-list": reverse("placements:referral-list"),
        "referral-detail": reverse("placements:referral-detail", args=[w.referral.pk]),
        "referral-stage": reverse("placements:referral-stage", args=[w.referral.pk]),
        "referral-candidates": reverse("placements:referral-candidates", args=[w.referral.pk]),
        "placement-create": reverse("placements:placement-create", args=[w.provision.pk, "spot-purchase"]),
        "placement-list": reverse("placements:placement-list"),
        "placement-detail": reverse("placements:placement-detail", args=[p]),
        "placement-activate": reverse("placements:placement-activate", args=[p]),
        "placement-end": reverse("placements:placement-end", args=[p]),
        "placement-cancel": reverse("placements:placement-cancel", args=[p]),
        "placement-vary": reverse("placements:placement-vary", args=[p]),
        "review-create": reverse("placements:review-create", args=[p]),
        "dispute-create": reverse("placements:dispute-create", args=[p]),
        "invoice-create": reverse("placements:invoice-create", args=[p]),
        "personalbudget-edit": reverse("placements:personalbudget-edit", args=[w.budget.personal_budget.pk]),
        "review-due-list": reverse("placements:review-due-list"),
        "invoice-list": reverse("placements:invoice-list"),
        "invoice-detail": reverse("placements:invoice-detail", args=[w.invoice.pk]),
        "invoice-approve": reverse("placements:invoice-approve", args=[w.invoice.pk]),
        "invoice-dispute": reverse("placements:invoice-dispute", args=[w.invoice.pk]),
        "invoice-mark-paid": reverse("placements:invoice-mark-paid", args=[w.invoice.pk]),
        "dispute-list": reverse("placements:dispute-list"),
        "dispute-detail": reverse("placements:dispute-detail", args=[w.dispute.pk]),
        "dispute-resolve": reverse("placements:dispute-resolve", args=[w.dispute.pk]),
        "provision-assurance": reverse("placements:provision-assurance"),
    }


# (officer, commissioner, provider A, provider B) for the world's records (provider A's).
EXPECTED = {
    "child-list": (OK, FORBIDDEN, OK, OK),
    "child-create": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "child-detail": (OK, FORBIDDEN, OK, GONE),
    "child-edit": (OK, FORBIDDEN, FORBIDDEN, GONE),
    "provision-create": (OK, FORBIDDEN, FORBIDDEN, GONE),
    "provision-edit": (OK, FORBIDDEN, FORBIDDEN, GONE),
    "referral-create": (OK, FORBIDDEN, FORBIDDEN, GONE),
    "referral-list": (OK, OK, FORBIDDEN, FORBIDDEN),
    "referral-detail": (OK, OK, FORBIDDEN, FORBIDDEN),
    "referral-stage": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "referral-candidates": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "placement-create": (OK, FORBIDDEN, FORBIDDEN, GONE),
    "placement-list": (OK, OK, OK, OK),
    "placement-detail": (OK, OK, OK, GONE),
    "placement-activate": (OK, FORBIDDEN, FORBIDDEN, GONE),
    "placement-end": (OK, FORBIDDEN, FORBIDDEN, GONE),
    "placement-cancel": (OK, FORBIDDEN, FORBIDDEN, GONE),
    "placement-vary": (OK, FORBIDDEN, FORBIDDEN, GONE),
    "review-create": (OK, FORBIDDEN, FORBIDDEN, GONE),
    "dispute-create": (OK, FORBIDDEN, FORBIDDEN, GONE),
    # A provider invoices for its own placements; an officer may record one received on paper (and
    # records payments to families).
    "invoice-create": (OK, FORBIDDEN, OK, GONE),
    "personalbudget-edit": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "review-due-list": (OK, OK, OK, OK),
    "invoice-list": (OK, OK, OK, OK),
    "invoice-detail": (OK, OK, OK, GONE),
    "invoice-approve": (OK, FORBIDDEN, FORBIDDEN, GONE),
    "invoice-dispute": (OK, FORBIDDEN, FORBIDDEN, GONE),
    "invoice-mark-paid": (OK, FORBIDDEN, FORBIDDEN, GONE),
    "dispute-list": (OK, OK, OK, OK),
    "dispute-detail": (OK, OK, OK, GONE),
    "dispute-resolve": (OK, FORBIDDEN, FORBIDDEN, GONE),
    "provision-assurance": (OK, OK, OK, OK),
}
PERSONAS = ("officer", "commissioner", "provider_a_user", "provider_b_user")


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_page_answers_each_role_as_the_table_says(client, request, world, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    column = PERSONAS.index(persona)
    got = {name: client.get(url).status_code for name, url in page_urls(world).items()}
    expected = {name: statuses[column] for name, statuses in EXPECTED.items()}
    assert got == expected


def test_every_page_name_is_in_the_table(world):
    assert set(page_urls(world)) == set(EXPECTED)


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    for name, url in page_urls(world).items():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login")), name


def test_another_providers_records_are_not_there(client, world, provider_b_user):
    client.force_login(provider_b_user)
    for url in (
        reverse("placements:placement-detail", args=[world.placement.pk]),
        reverse("placements:invoice-detail", args=[world.invoice.pk]),
        reverse("placements:child-detail", args=[world.child.pk]),
        reverse("placements:dispute-detail", args=[world.dispute.pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("placements:invoice-create", args=[world.placement.pk]),
        {
            "number": "B-1",
            "period_start": "2024-05-01",
            "period_end": "2024-05-31",
            "units_delivered": "1",
            "amount": "70",
        },
    )
    assert response.status_code == 404
    assert not Invoice.objects.filter(number="B-1").exists()
    lists = "".join(
        body(client.get(reverse(f"placements:{name}")))
        for name in ("placement-list", "invoice-list", "dispute-list", "child-list", "review-due-list")
    )
    assert "ALDER-0001" not in lists and "Alder Therapy" not in lists and FIRST not in lists


def test_commissioners_cannot_open_child_pages(client, world, commissioner):
    client.force_login(commissioner)
    for url in (
        reverse("placements:child-list"),
        reverse("placements:child-list") + "?download=csv",
        reverse("placements:child-detail", args=[world.child.pk]),
        reverse("placements:child-edit", args=[world.child.pk]),
        reverse("placements:child-create"),
    ):
        assert client.get(url).status_code == 403, url


# What each role is shown ------------------------------------------------------------------------


def commissioner_pages(w) -> list[str]:
    return [
        reverse("placements:placement-list"),
        reverse("placements:placement-list") + "?download=csv",
        reverse("placements:placement-detail", args=[w.placement.pk]),
        reverse("placements:placement-detail", args=[w.budget.pk]),
        reverse("placements:referral-list"),
        reverse("placements:referral-list") + "?download=csv",
        reverse("placements:referral-detail", args=[w.referral.pk]),
        reverse("placements:invoice-list"),
        reverse("placements:invoice-list") + "?download=csv",
        reverse("placements:invoice-detail", args=[w.invoice.pk]),
        reverse("placements:dispute-list"),
        reverse("placements:dispute-detail", args=[w.dispute.pk]),
        reverse("placements:review-due-list"),
        reverse("placements:provision-assurance") + LAST_YEAR,
        reverse("placements:provision-assurance") + LAST_YEAR + "&download=csv",
        reverse("core:home"),
    ]


def test_a_commissioner_never_sees_a_childs_name_or_date_of_birth(client, world, commissioner):
    client.force_login(commissioner)
    for url in commissioner_pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
        text = body(response)
        for secret in IDENTITY:
            assert secret not in text, f"{secret!r} shown at {url}"
    # ... and they do see the child by the pseudonymous reference instead.
    assert world.child.pseudonym in body(client.get(reverse("placements:placement-list")))
    assert world.child.pseudonym in body(client.get(reverse("placements:provision-assurance") + LAST_YEAR))
    assert world.child.pseudonym in body(client.get(reverse("placements:referral-list") + "?download=csv"))


def provider_pages(w) -> list[str]:
    return [
        reverse("placements:child-list"),
        reverse("placements:child-list") + "?download=csv",
        reverse("placements:child-detail", args=[w.child.pk]),
        reverse("placements:placement-list"),
        reverse("placements:placement-list") + "?download=csv",
        reverse("placements:placement-detail", args=[w.placement.pk]),
        reverse("placements:invoice-list"),
        reverse("placements:invoice-list") + "?download=csv",
        reverse("placements:invoice-detail", args=[w.invoice.pk]),
        reverse("placements:invoice-create", args=[w.placement.pk]),
        reverse("placements:dispute-list"),
        reverse("placements:dispute-detail", args=[w.dispute.pk]),
        reverse("placements:review-due-list"),
        reverse("placements:provision-assurance") + LAST_YEAR,
        reverse("placements:provision-assurance") + LAST_YEAR + "&download=csv",
        reverse("core:home"),
    ]


def test_a_provider_sees_the_child_by_ehcp_reference_and_first_name_only(client, world, provider_a_user):
    client.force_login(provider_a_user)
    for url in provider_pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
        text = body(response)
        for secret in LAST_NAME_AND_BIRTH:
            assert secret not in text, f"{secret!r} shown at {url}"
    page = body(client.get(reverse("placements:child-detail", args=[world.child.pk])))
    assert f"{FIRST} (EHCP-ZQ0001)" in page
    assert world.child.pseudonym not in page
    csv = body(client.get(reverse("placements:placement-list") + "?download=csv"))
    assert f"{FIRST} (EHCP-ZQ0001)" in csv


def test_a_provider_sees_only_what_concerns_its_own_placements_on_the_child_page(
    client, world, provider_a_user, provider_b
):
    elsewhere = PlacementFactory(
        provision=ProvisionFactory(child=world.child, therapy_type=TherapyType.objects.get(code="physiotherapy")),
        provider=provider_b,
    )
    InvoiceFactory(placement=elsewhere, number="BIRCH-0009")
    page = body(get(client, provider_a_user, reverse("placements:child-detail", args=[world.child.pk])))
    assert f"Placement #{world.placement.pk}" in page
    assert f"Placement #{elsewhere.pk}" not in page and "BIRCH-0009" not in page and "Birch" not in page
    assert f"Placement #{world.budget.pk}" not in page  # the family's budget involves no provider
    assert "Physiotherapy" not in page


def test_officers_see_the_name_and_date_of_birth(client, world, officer):
    page = body(get(client, officer, reverse("placements:child-detail", args=[world.child.pk])))
    assert f"{FIRST} {LAST} (EHCP-ZQ0001)" in page and "29 February 2016" in page
    csv = body(client.get(reverse("placements:child-list") + "?download=csv"))
    assert f"{FIRST} {LAST} (EHCP-ZQ0001)" in csv and "2016-02-29" in csv


def test_every_spot_purchase_is_flagged_not_on_the_qpl(client, world, officer):
    client.force_login(officer)
    flag = "Not on the QPL"
    for url in (
        reverse("placements:placement-list"),
        reverse("placements:placement-detail", args=[world.placement.pk]),
        reverse("placements:child-detail", args=[world.child.pk]),
        reverse("placements:invoice-list"),
        reverse("placements:invoice-detail", args=[world.invoice.pk]),
        reverse("placements:dispute-list"),
        reverse("placements:dispute-detail", args=[world.dispute.pk]),
        reverse("placements:review-due-list"),
        reverse("placements:referral-detail", args=[world.referral.pk]),
    ):
        assert f'app-flag">{flag}</strong>' in body(client.get(url)), url
    csv = body(client.get(reverse("placements:placement-list") + "?download=csv"))
    assert "Not on the QPL" in csv.splitlines()[0]


def test_provider_users_are_not_offered_other_providers_in_the_filters(client, world, provider_a_user):
    InvoiceFactory(placement=world.other, number="BIRCH-0001")
    DisputeFactory(placement=world.other)
    client.force_login(provider_a_user)
    for name in ("placement-list", "invoice-list", "dispute-list"):
        page = body(client.get(reverse(f"placements:{name}")))
        assert str(world.other.provider) not in page, name


def test_officers_find_a_providers_records_by_typing_part_of_its_name(client, world, officer, provider_a_user):
    InvoiceFactory(placement=world.other, number="BIRCH-0001")
    DisputeFactory(placement=world.other)
    client.force_login(officer)
    for name, shown in (("placement-list", "placements"), ("invoice-list", "invoices"), ("dispute-list", "disputes")):
        response = client.get(reverse(f"placements:{name}"), {"provider_name": " birch "})
        found = list(response.context[shown] if shown in response.context else response.context["object_list"])
        assert found and {getattr(r, "provider", None) or r.placement.provider for r in found} == {
            world.other.provider
        }, name
        page = body(response)
        assert 'name="provider_name"' in page and '<select name="provider"' not in page, name
        by_id = client.get(reverse(f"placements:{name}"), {"provider": world.placement.provider.pk})
        assert str(world.other.provider) not in body(by_id).split("<tbody", 1)[-1], name
    client.force_login(provider_a_user)  # their lists hold only their own records: no search of providers
    assert 'name="provider_name"' not in body(client.get(reverse("placements:invoice-list")))


def test_identity_filters_are_ignored_and_hidden_for_people_who_may_not_see_identity(client, world, provider_a_user):
    client.force_login(provider_a_user)
    by_surname = body(client.get(reverse("placements:child-list") + "?q=Quillbramble"))
    assert "No children match" in by_surname
    by_reference = body(client.get(reverse("placements:child-list") + "?q=ZQ0001"))
    assert f"{FIRST} (EHCP-ZQ0001)" in by_reference
    assert 'name="date_of_birth"' not in by_reference


# The audit trail --------------------------------------------------------------------------------


def test_every_view_of_a_childs_record_is_recorded(client, world, officer, provider_a_user):
    child_type = ContentType.objects.get_for_model(Child)
    url = reverse("placements:child-detail", args=[world.child.pk])
    for user in (officer, officer, provider_a_user):
        assert get(client, user, url).status_code == 200
    entries = LogEntry.objects.filter(
        content_type=child_type, object_pk=str(world.child.pk), action=LogEntry.Action.ACCESS
    )
    assert [e.actor for e in entries.order_by("pk")] == [officer, officer, provider_a_user]
    assert all(e.additional_data == {"viewed": "child record"} for e in entries)
    assert all(LAST not in str(e.changes) + str(e.object_repr) for e in entries)
    get(client, officer, reverse("placements:child-edit", args=[world.child.pk]))
    assert entries.all().count() == 4  # the edit page shows the record too


def test_a_refused_view_of_a_child_is_not_recorded_as_seen(client, world, provider_b_user, commissioner):
    url = reverse("placements:child-detail", args=[world.child.pk])
    get(client, provider_b_user, url)
    get(client, commissioner, url)
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


# The journey through the forms ------------------------------------------------------------------


def test_an_officer_records_a_child_and_the_plan_and_refers_it(client, officer):
    client.force_login(officer)
    swale = District.objects.get(name="Swale")
    response = client.post(
        reverse("placements:child-create"),
        {
            "first_name": "Wren",
            "last_name": "Fernsby",
            "date_of_birth": "2017-05-04",
            "ehcp_reference": "ehcp-wf-1",
            "district": swale.pk,
            "school_name": "Fictional Academy",
            "school_urn": "",
            "status": "active",
        },
    )
    child = Child.objects.get(ehcp_reference="EHCP-WF-1")
    assert response["Location"] == child.get_absolute_url()
    response = client.post(
        reverse("placements:provision-create", args=[child.pk]),
        {
            "section": "F",
            "therapy_type": TherapyType.objects.get(code="speech-language").pk,
            "amount": "1",
            "unit": "hour",
            "frequency": "week",
            "weeks_per_year": "38",
            "start_date": "2025-09-01",
            "source": "plan",
        },
    )
    provision = Provision.objects.get(child=child)
    assert response["Location"] == child.get_absolute_url()
    response = client.post(reverse("placements:referral-create", args=[provision.pk]), {"referred_on": "2025-09-08"})
    referral = Referral.objects.get(provision=provision)
    assert response["Location"] == referral.get_absolute_url()
    page = body(client.get(referral.get_absolute_url()))
    assert "Wren Fernsby (EHCP-WF-1)" in page and "Awaiting assessment" in page
    again = client.post(reverse("placements:referral-create", args=[provision.pk]), {"referred_on": "2025-09-09"})
    assert "already on the waiting list" in body(again)
    assert Referral.objects.filter(provision=provision).count() == 1


def test_a_duplicate_ehcp_reference_is_refused_on_its_field(client, world, officer):
    client.force_login(officer)
    response = client.post(
        reverse("placements:child-create"),
        {
            "first_name": "Other",
            "last_name": "Fictionalchild",
            "date_of_birth": "2017-05-04",
            "ehcp_reference": "ehcp-zq0001",
            "district": District.objects.get(name="Dover").pk,
            "status": "active",
        },
    )
    assert response.status_code == 200
    assert "ehcp_reference" in response.context["form"].errors
    assert 'class="govuk-error-summary"' in body(response)
    assert not Child.objects.filter(first_name="Other").exists()


def test_the_qpl_call_off_journey_from_the_waiting_list(client, officer):
    provider = qpl_provider(legal_name="Rowan Speech Ltd", trading_name="Rowan Speech", rate="72.50")
    referral = ReferralFactory(referred_on=date(2024, 5, 1))
    client.force_login(officer)
    candidates = client.get(reverse("placements:referral-candidates", args=[referral.pk]) + "?on=2024-09-02")
    page = body(candidates)
    assert "Rowan Speech" in page and "£72.50" in page
    choose = reverse("placements:placement-create", args=[referral.provision_id, "qpl-call-off"])
    choose += f"?provider={provider.pk}&referral={referral.pk}&start=2024-09-02"
    assert choose.replace("&", "&amp;") in page
    form = client.get(choose)
    assert form.context["form"].initial["provider"] == provider.pk
    assert form.context["form"].fields["rate"].initial == Decimal("72.50")
    response = client.post(
        choose,
        {
            "provider": provider.pk,
            "start_date": "2024-09-02",
            "end_date": "2025-07-18",
            "units_per_week": "1",
            "weeks_per_year": "38",
            "rate": "72.50",
        },
    )
    placement = Placement.objects.get(referral=referral)
    assert response["Location"] == placement.get_absolute_url()
    assert placement.arrangement == Placement.Arrangement.QPL_CALL_OFF and placement.rate == Decimal("72.50")
    response = client.post(reverse("placements:placement-activate", args=[placement.pk]), {"purchase_order": "PO-7"})
    placement.refresh_from_db()
    referral.refresh_from_db()
    assert placement.status == Placement.Status.ACTIVE and placement.purchase_order == "PO-7"
    assert referral.stage == Referral.Stage.PLACED
    detail = body(client.get(placement.get_absolute_url()))
    assert "2024-25" in detail and "Not on the QPL" not in detail


def test_an_invoice_is_submitted_by_the_provider_and_approved_by_an_officer(client, officer):
    provider = qpl_provider(rate="70.00")
    provider_user = UserFactory(email="billing@rowan.example.org", role=Role.PROVIDER, provider=provider)
    placement = qpl_call_off(provision=ProvisionFactory(), provider=provider, user=officer)
    client.force_login(provider_user)
    response = client.post(
        reverse("placements:invoice-create", args=[placement.pk]),
        {
            "number": "R-1",
            "period_start": "2024-09-01",
            "period_end": "2024-09-30",
            "units_delivered": "4",
            "amount": "300.00",
        },
    )
    invoice = Invoice.objects.get(number="R-1")
    assert response["Location"] == invoice.get_absolute_url()
    assert invoice.has_discrepancy and invoice.submitted_by == provider_user
    assert client.get(reverse("placements:invoice-approve", args=[invoice.pk])).status_code == 403
    client.force_login(officer)
    page = body(client.get(invoice.get_absolute_url()))
    assert "Discrepancy:" in page and "£280.00" in page
    refused = client.post(reverse("placements:invoice-approve", args=[invoice.pk]), {"note": ""})
    assert "note" in refused.context["form"].errors
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.SUBMITTED
    client.post(reverse("placements:invoice-approve", args=[invoice.pk]), {"note": "Includes an agreed report fee"})
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.APPROVED and invoice.decided_by == officer
    client.post(reverse("placements:invoice-mark-paid", args=[invoice.pk]), {"paid_on": str(timezone.localdate())})
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


def test_a_spot_purchase_offers_only_providers_off_the_qpl_and_needs_the_reason(client, officer):
    on_qpl = qpl_provider(legal_name="Hazel Speech Ltd", trading_name="Hazel Speech")
    off_qpl = ProviderFactory(legal_name="Elder Therapy Ltd", trading_name="Elder Therapy")
    provision = ProvisionFactory()
    client.force_login(officer)
    url = reverse("placements:placement-create", args=[provision.pk, "spot-purchase"])
    choices = list(client.get(url).context["form"].fields["provider"].queryset)
    assert off_qpl in choices and on_qpl not in choices
    data = {
        "provider": off_qpl.pk,
        "start_date": "2024-09-01",
        "end_date": "2025-03-31",
        "units_per_week": "1",
        "weeks_per_year": "38",
        "rate": "95.00",
    }
    refused = client.post(url, data)
    assert "spot_reason" in refused.context["form"].errors
    assert not Placement.objects.exists()
    client.post(url, {**data, "spot_reason": "tribunal_named"})
    placement = Placement.objects.get()
    assert placement.is_off_qpl and placement.spot_reason == "tribunal_named"


def test_a_personal_budget_and_an_nhs_contract_are_arranged_through_their_own_forms(client, officer):
    provision = ProvisionFactory()
    client.force_login(officer)
    response = client.post(
        reverse("placements:placement-create", args=[provision.pk, "personal-budget"]),
        {
            "start_date": "2024-09-01",
            "end_date": "2025-07-31",
            "units_per_week": "1",
            "weeks_per_year": "38",
            "budget_amount": "2400.00",
            "budget_signed_on": "2024-08-15",
            "budget_review_on": "2025-01-15",
            "budget_paid_to": "The child's grandparent",
            "funding_source": "general_fund",
        },
    )
    budget = PersonalBudget.objects.get()
    assert response["Location"] == budget.placement.get_absolute_url()
    assert budget.amount == Decimal("2400.00") and budget.paid_to == "The child's grandparent"
    assert budget.placement.funding_source == "general_fund"
    assert "Council general fund" in client.get(budget.placement.get_absolute_url()).content.decode()
    contract = ContractFactory(
        start_date=date(2024, 4, 1), end_date=timezone.localdate() + timedelta(days=365), title="Fictional NHS SLT"
    )
    nhs = reverse("placements:placement-create", args=[provision.pk, "nhs-contract"])
    assert contract in client.get(nhs).context["form"].fields["contract"].queryset
    assert "funding_source" not in client.get(nhs).context["form"].fields  # paid as the contract is
    client.post(
        nhs,
        {
            "contract": contract.pk,
            "start_date": "2024-09-01",
            "end_date": "2025-07-31",
            "units_per_week": "1",
            "weeks_per_year": "38",
        },
    )
    assert Placement.objects.get(arrangement=Placement.Arrangement.NHS_CONTRACT).provider == contract.supplier
    assert client.get(reverse("placements:placement-create", args=[provision.pk, "barter"])).status_code == 404


def test_an_officer_records_a_payment_to_a_family(client, world, officer):
    client.force_login(officer)
    response = client.post(
        reverse("placements:invoice-create", args=[world.budget.pk]),
        {
            "number": "FAM-1",
            "period_start": "2024-09-01",
            "period_end": "2024-12-31",
            "units_delivered": "12",
            "amount": "1000.00",
        },
    )
    payment = Invoice.objects.get(number="FAM-1")
    assert response["Location"] == payment.get_absolute_url()
    assert payment.provider is None and not payment.has_discrepancy


def test_a_review_that_stops_the_placement_ends_it(client, world, officer):
    client.force_login(officer)
    response = client.post(
        reverse("placements:review-create", args=[world.placement.pk]),
        {
            "held_on": "2025-01-15",
            "outcomes": "Targets met",
            "effectiveness": "effective",
            "decision": "stop",
            "end_date": "2025-01-31",
        },
    )
    assert response.status_code == 302
    world.placement.refresh_from_db()
    assert world.placement.status == Placement.Status.ENDED and world.placement.end_date == date(2025, 1, 31)
    assert Review.objects.filter(placement=world.placement).count() == 2


def test_a_disputed_invoice_is_resolved_from_the_dispute_page(client, world, officer):
    client.force_login(officer)
    client.post(
        reverse("placements:invoice-dispute", args=[world.invoice.pk]),
        {"category": "financial_discrepancy", "description": "Two sessions were cancelled"},
    )
    world.invoice.refresh_from_db()
    assert world.invoice.status == Invoice.Status.DISPUTED
    dispute = Dispute.objects.get(invoice=world.invoice, description="Two sessions were cancelled")
    url = reverse("placements:dispute-resolve", args=[dispute.pk])
    refused = client.post(url, {"outcome": "Credit note agreed"})
    assert "invoice_decision" in refused.context["form"].errors
    client.post(url, {"outcome": "Credit note agreed", "invoice_decision": "reject"})
    dispute.refresh_from_db()
    world.invoice.refresh_from_db()
    assert not dispute.is_open and world.invoice.status == Invoice.Status.REJECTED


def test_moving_a_referral_to_closed_needs_a_reason(client, world, officer):
    client.force_login(officer)
    url = reverse("placements:referral-stage", args=[world.referral.pk])
    refused = client.post(url, {"stage": "closed"})
    assert "reason" in refused.context["form"].errors
    world.referral.refresh_from_db()
    assert world.referral.is_waiting
    client.post(url, {"stage": "closed", "on": "2024-07-01", "reason": "The family moved away"})
    world.referral.refresh_from_db()
    assert world.referral.stage == Referral.Stage.CLOSED and world.referral.weeks_waiting() == 13


def test_a_personal_budget_is_changed_from_its_page(client, world, officer):
    client.force_login(officer)
    url = reverse("placements:personalbudget-edit", args=[world.budget.personal_budget.pk])
    client.post(url, {"amount": "3300.00", "review_on": "2025-02-01", "notes": "Extra sessions agreed"})
    world.budget.refresh_from_db()
    assert world.budget.personal_budget.amount == Decimal("3300.00")
    assert world.budget.review_due_on == date(2025, 2, 1)


# Bad input: a clear error on the right field, and nothing changed -------------------------------


def invoice_data(**overrides):
    return {
        "number": "ALDER-0002",
        "period_start": "2024-05-01",
        "period_end": "2024-05-31",
        "units_delivered": "4",
        "amount": "280.00",
        **overrides,
    }


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"period_start": "2025-05-01", "period_end": "2025-05-31"}, "period_start", "must be inside the placement"),
        ({"number": "ALDER-0001"}, "number", "already been sent"),
        ({"number": "alder-0001"}, "number", "already been sent"),
        ({"amount": "-1.00"}, "amount", "cannot be negative"),
        ({"units_delivered": "-2"}, "units_delivered", "cannot be negative"),
        ({"period_start": "2024-05-31", "period_end": "2024-05-01"}, "period_end", "cannot end before it starts"),
    ],
)
def test_a_bad_invoice_shows_the_error_on_its_field_and_saves_nothing(
    client, world, provider_a_user, overrides, field, message
):
    client.force_login(provider_a_user)
    response = client.post(reverse("placements:invoice-create", args=[world.placement.pk]), invoice_data(**overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert message in body(response) and 'class="govuk-error-summary"' in body(response)
    assert Invoice.objects.filter(placement=world.placement).count() == 1


def test_ending_a_placement_before_it_starts_is_refused_on_the_date(client, world, officer):
    client.force_login(officer)
    response = client.post(
        reverse("placements:placement-end", args=[world.placement.pk]), {"end_date": "2024-03-01", "reason": "other"}
    )
    assert "cannot end before it starts" in " ".join(response.context["form"].errors["end_date"])
    world.placement.refresh_from_db()
    assert world.placement.status == Placement.Status.ACTIVE and world.placement.end_date == date(2025, 3, 31)


def test_arranging_a_placement_that_ends_before_it_starts_is_refused(client, world, officer):
    client.force_login(officer)
    before = Placement.objects.count()
    response = client.post(
        reverse("placements:placement-create", args=[world.provision.pk, "spot-purchase"]),
        {
            "provider": ProviderFactory().pk,
            "spot_reason": "parental_preference",
            "start_date": "2024-09-01",
            "end_date": "2024-08-01",
            "units_per_week": "1",
            "weeks_per_year": "38",
            "rate": "80",
        },
    )
    assert "on or after the start date" in " ".join(response.context["form"].errors["end_date"])
    assert Placement.objects.count() == before


def test_negative_rates_and_budgets_are_refused(client, world, officer):
    client.force_login(officer)
    response = client.post(
        reverse("placements:placement-vary", args=[world.placement.pk]),
        {"effective_from": "2024-10-01", "rate": "-5", "reason": "Mistake"},
    )
    assert "cannot be negative" in " ".join(response.context["form"].errors["rate"])
    assert not world.placement.variations.exists()
    response = client.post(
        reverse("placements:personalbudget-edit", args=[world.budget.personal_budget.pk]),
        {"amount": "-5", "review_on": "2025-02-01"},
    )
    assert "must be more than £0" in body(response)
    assert PersonalBudget.objects.get(pk=world.budget.personal_budget.pk).amount == Decimal("3000.00")


def test_a_missing_reason_to_cancel_is_shown_on_its_field(client, world, officer):
    client.force_login(officer)
    response = client.post(reverse("placements:placement-cancel", args=[world.placement.pk]), {"reason": ""})
    assert "reason" in response.context["form"].errors
    world.placement.refresh_from_db()
    assert world.placement.status == Placement.Status.ACTIVE


# The waiting list, reviews due, assurance -------------------------------------------------------


def test_the_waiting_list_shows_waiting_referrals_longest_first_with_the_bands(client, officer):
    today = timezone.localdate()
    old = ReferralFactory(referred_on=today - timedelta(weeks=20))
    recent = ReferralFactory(referred_on=today - timedelta(weeks=3))
    placed = ReferralFactory(referred_on=today - timedelta(weeks=30))
    Referral.objects.filter(pk=placed.pk).update(stage="placed", waiting_ended_on=today)
    response = get(client, officer, reverse("placements:referral-list"))
    assert [r.pk for r in response.context["referrals"]] == [old.pk, recent.pk]
    bands = {b["key"]: b["count"] for b in response.context["bands"]}
    assert bands["12_plus"] == 1 and bands["under_12"] == 1 and bands["waiting"] == 2
    assert ">20 <strong" in body(response)  # weeks waiting, flagged 12+
    every = get(client, officer, reverse("placements:referral-list") + "?stage=")
    assert {r.pk for r in every.context["referrals"]} == {old.pk, recent.pk, placed.pk}
    long_waits = get(client, officer, reverse("placements:referral-list") + "?wait_band=12_plus")
    assert [r.pk for r in long_waits.context["referrals"]] == [old.pk]


def test_reviews_due_within_a_chosen_number_of_days(client, officer):
    today = timezone.localdate()
    soon = PlacementFactory(start_date=today - timedelta(days=90), end_date=today + timedelta(days=200))
    Placement.objects.filter(pk=soon.pk).update(review_due_on=today + timedelta(days=10))
    later = PlacementFactory(start_date=today - timedelta(days=90), end_date=today + timedelta(days=200))
    Placement.objects.filter(pk=later.pk).update(review_due_on=today + timedelta(days=60))
    client.force_login(officer)
    default = client.get(reverse("placements:review-due-list"))
    assert soon in default.context["placements"] and later not in default.context["placements"]
    wider = client.get(reverse("placements:review-due-list") + "?within=90")
    assert later in wider.context["placements"]


def test_provision_assurance_lists_children_short_of_their_plan(client, world, officer):
    met = ChildFactory(first_name="Ivo", last_name="Fullyserved")
    line = ProvisionFactory(child=met)
    placement = PlacementFactory(provision=line)
    InvoiceFactory(
        placement=placement,
        period_start=date(2024, 4, 1),
        period_end=date(2025, 3, 31),
        units_delivered=Decimal("38"),
        status=Invoice.Status.APPROVED,
    )
    client.force_login(officer)
    response = client.get(reverse("placements:provision-assurance") + LAST_YEAR)
    short = [row["child_id"] for row in response.context["rows"]]
    assert world.child.pk in short and met.pk not in short
    assert response.context["threshold"] == Decimal("20")
    csv = body(client.get(reverse("placements:provision-assurance") + LAST_YEAR + "&download=csv"))
    assert f"{FIRST} {LAST} (EHCP-ZQ0001)" in csv and "Fullyserved" not in csv
    none_short = client.get(reverse("placements:provision-assurance") + LAST_YEAR + "&threshold=100")
    assert not list(none_short.context["rows"])


def test_a_provider_counts_only_its_own_placements_and_invoices_in_assurance(
    client, world, officer, provider_a_user, provider_b
):
    theirs = PlacementFactory(provision=world.provision, provider=provider_b)
    InvoiceFactory(placement=theirs, number="BIRCH-0100", units_delivered=Decimal("30"), status=Invoice.Status.APPROVED)
    InvoiceFactory(placement=world.placement, number="ALDER-0100", units_delivered=Decimal("5"), status="approved")
    url = reverse("placements:child-detail", args=[world.child.pk]) + LAST_YEAR

    def line(user):
        lines = get(client, user, url).context["assurance"]
        return next(line for line in lines if line.pk == world.provision.pk)

    assert (line(officer).delivered, line(officer).commissioned) == (Decimal("35.00"), Decimal("76.00"))
    assert (line(provider_a_user).delivered, line(provider_a_user).commissioned) == (Decimal("5.00"), Decimal("38.00"))


def test_the_child_page_shows_spend_and_assurance_for_the_chosen_period(client, world, officer):
    InvoiceFactory(placement=world.placement, number="ALDER-0002", status=Invoice.Status.APPROVED)
    client.force_login(officer)
    response = client.get(reverse("placements:child-detail", args=[world.child.pk]) + LAST_YEAR)
    spend = response.context["spend"]
    assert [y["financial_year"] for y in spend["years"]] == ["2024-25", "2025-26"]
    assert spend["actual"] == Decimal("280.00")
    assert response.context["assurance_totals"]["specified_total"] > 0
    default = client.get(reverse("placements:child-detail", args=[world.child.pk]))
    assert default.context["period_start"] == date(timezone.localdate().year - (timezone.localdate().month < 4), 4, 1)


# Home panels and the provider page --------------------------------------------------------------


def test_the_officer_home_panel_counts_what_needs_attention(client, world, officer):
    InvoiceFactory(placement=world.placement, number="ALDER-0003", amount=Decimal("1"), has_discrepancy=True)
    page = get(client, officer, reverse("core:home"))
    panel = next(p["context"] for p in page.context["panels"] if p["template"] == "placements/_home_officer.html")
    assert panel == {
        "waiting_12_plus": 1,
        "reviews_due": 3,  # A's spot purchase, B's, and the family's budget
        "invoices_awaiting": 2,
        "invoices_flagged": 1,
        "open_disputes": 1,
    }


def test_the_provider_home_panel_shows_its_own_placements(client, world, provider_a_user):
    page = get(client, provider_a_user, reverse("core:home"))
    text = body(page)
    assert f"Placement #{world.placement.pk}" in text and f"Placement #{world.other.pk}" not in text
    assert "1 invoice awaiting the council's decision" in text


def test_the_provider_page_still_shows_the_dispute_rate(client, world, officer):
    page = body(get(client, officer, reverse("providers:provider-detail", args=[world.placement.provider_id])))
    assert "dispute rate of <strong>100.0%</strong>" in page


# Query counts -----------------------------------------------------------------------------------


def more_rows(child, provider, n=5):
    """n more placements for `child` with `provider`, each invoiced, disputed and reviewed."""
    for _ in range(n):
        placement = PlacementFactory(provision=ProvisionFactory(child=child), provider=provider)
        ReferralFactory(provision=placement.provision)
        InvoiceFactory(placement=placement, status=Invoice.Status.APPROVED)
        DisputeFactory(placement=placement)
        ReviewFactory(placement=placement)


def assert_flat(client, url, grow, django_assert_num_queries):
    client.get(url)  # warm-up: session and content-type caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    grow()
    with django_assert_num_queries(len(one)):
        assert client.get(url).status_code == 200


def test_the_child_page_query_count_does_not_grow(client, world, officer, django_assert_num_queries):
    client.force_login(officer)
    url = reverse("placements:child-detail", args=[world.child.pk])
    assert_flat(client, url, lambda: more_rows(world.child, world.placement.provider), django_assert_num_queries)


def test_the_provider_child_page_query_count_does_not_grow(client, world, provider_a_user, django_assert_num_queries):
    client.force_login(provider_a_user)
    url = reverse("placements:child-detail", args=[world.child.pk])
    assert_flat(client, url, lambda: more_rows(world.child, world.placement.provider), django_assert_num_queries)


@pytest.mark.parametrize(
    "name, query",
    [
        ("referral-list", ""),
        ("referral-list", "?download=csv"),
        ("placement-list", ""),
        ("placement-list", "?download=csv"),
        ("invoice-list", ""),
        ("invoice-list", "?download=csv"),
        ("dispute-list", ""),
        ("review-due-list", "?within=1000"),
        ("provision-assurance", LAST_YEAR),
        ("provision-assurance", LAST_YEAR + "&download=csv"),
        ("child-list", ""),
    ],
)
def test_list_query_counts_do_not_grow_with_rows(client, world, officer, django_assert_num_queries, name, query):
    client.force_login(officer)

    def grow():
        for _ in range(5):
            more_rows(ChildFactory(), ProviderFactory(), n=1)

    url = reverse(f"placements:{name}") + query
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        response = client.get(url)
        body(response)
    grow()
    with django_assert_num_queries(len(one)):
        body(client.get(url))


@pytest.mark.parametrize("persona", ["officer", "provider_a_user", "commissioner"])
def test_home_panels_run_a_fixed_number_of_queries(client, request, world, persona, django_assert_num_queries):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    url = reverse("core:home")
    assert_flat(client, url, lambda: more_rows(world.child, world.placement.provider), django_assert_num_queries)
