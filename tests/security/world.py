"""A small world with something of everyone's in it, for walking every URL as every role.

Each role's `secrets` are strings that must never appear in anything that role is shown
(another provider's name, a child's name or date of birth for a commissioner, ...).
"""

from dataclasses import dataclass, field

from core.models import ApiToken, TherapyType
from core.roles import Role
from core.services import api_token_issue
from providers import services as provider_services
from reporting.models import ReportRun
from tests.core.factories import UserFactory
from tests.providers.factories import DocumentFactory, ProviderFactory, admit, complete_answers, qpl
from tests.reporting.factories import ReportRunFactory

PAGE_ROLES = ("anonymous", "officer", "commissioner", "provider_a", "provider_b", "administrator")
API_ROLES = ("anonymous", "officer", "commissioner", "provider_a", "provider_b", "integration")


@dataclass
class World:
    users: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)
    secrets: dict = field(default_factory=dict)  # role -> strings that role must never be shown
    integration_key: str = ""

    def __getitem__(self, name):
        return self.objects[name]


def build_world() -> World:
    world = World()
    provider_a = ProviderFactory(legal_name="Alder Therapy Ltd", trading_name="Alder Therapy")
    provider_b = ProviderFactory(legal_name="Birchwood Sentinel Ltd", trading_name="Birchwood Sentinel")
    world.users = {
        "officer": UserFactory(email="officer@world.example.org", role=Role.OFFICER),
        "commissioner": UserFactory(email="commissioner@world.example.org", role=Role.COMMISSIONER),
        "administrator": UserFactory(email="admin@world.example.org", role=Role.ADMINISTRATOR, is_staff=True),
        "provider_a": UserFactory(email="a@alder.example.org", role=Role.PROVIDER, provider=provider_a),
        "provider_b": UserFactory(email="b@birchwood.example.org", role=Role.PROVIDER, provider=provider_b),
    }
    token, world.integration_key = api_token_issue(
        name="Limited integration", scopes=["reference:read", "reports:read"], created_by=world.users["officer"]
    )
    world.objects.update(
        provider_a=provider_a,
        provider_b=provider_b,
        integration_token=token,
        other_token=ApiToken.objects.exclude(pk=token.pk).first() or token,
        therapy_type=TherapyType.objects.get(code="drama"),
        report_run=ReportRunFactory(requested_by=world.users["officer"], status=ReportRun.Status.SUCCEEDED),
        child_report_run=ReportRunFactory(
            kind="records-held",
            requested_by=world.users["officer"],
            includes_child_identity=True,
            status=ReportRun.Status.SUCCEEDED,
        ),
    )
    complete_answers(provider_a)
    complete_answers(provider_b, district_name="Dover")
    membership_a = admit(provider_a)
    world.objects.update(
        qpl=qpl(),
        sq_a=provider_services.questionnaire_start(
            provider=provider_a, provider_list=qpl(), user=world.users["provider_a"]
        ),
        sq_b=provider_services.questionnaire_start(
            provider=provider_b, provider_list=qpl(), user=world.users["provider_b"]
        ),
        membership_a=membership_a,
        practitioner_a=provider_a.practitioners.first(),
        document_a=provider_a.documents.first(),
        pending_document_a=DocumentFactory(provider=provider_a, status="pending", kind="other", expires_on=None),
        pricing_a=provider_a.pricing_schedules.first(),
        capacity_a=provider_a.capacity_declarations.first(),
    )
    from contracts import services as contract_services
    from tests.contracts.factories import ContractFactory

    contract_a = ContractFactory(reference="WORLD-A", supplier=provider_a, value="500000")
    contract_b = ContractFactory(reference="WORLD-B", supplier=provider_b, title="Birchwood Sentinel contract")
    commissioner = world.users["commissioner"]
    world.objects.update(
        contract_a=contract_a,
        contract_b=contract_b,
        route=contract_a.procurement_route,
        year_a=contract_a.years.first(),
        variation_a=contract_services.variation_apply(
            contract=contract_a, kind="scope", effective_on=contract_a.start_date, reason="Scope", user=commissioner
        ),
        funding_a=contract_services.funding_add(
            contract=contract_a, funder="Kent County Council", financial_year=2023, amount=100
        ),
        post_a=contract_services.post_add(
            contract=contract_a, therapist_type="SLT", locality="East", percent_funded=10, fte=1
        ),
        return_a=contract_a.returns.create(
            month=contract_a.start_date, therapy_type=world["therapy_type"], referrals_received=1
        ),
    )
    _children(world, provider_a, provider_b)
    a, b = world["child_a"], world["child_b"]
    identity = [a.last_name, b.last_name, *_dates(a.date_of_birth), *_dates(b.date_of_birth)]
    world.secrets = {
        # Commissioners never see who a child is: not a name, not a date of birth.
        "commissioner": [a.first_name, b.first_name, *identity],
        # A provider sees its own children by EHCP reference and first name only, and nothing of another's.
        "provider_a": ["Birchwood Sentinel", b.first_name, b.ehcp_reference, *identity],
        "provider_b": ["Alder Therapy", a.first_name, a.ehcp_reference, *identity],
        "integration": [a.first_name, b.first_name, *identity],
        "administrator": [a.first_name, b.first_name, *identity],
    }
    return world


def _dates(day) -> list[str]:
    """The ways a date of birth could appear: ISO, GOV.UK style and day/month/year."""
    return [day.isoformat(), f"{day.day} {day:%B %Y}", f"{day:%d/%m/%Y}"]


def _children(world: World, provider_a, provider_b) -> None:
    """A child with a QPL call-off at provider A and one with a spot purchase at provider B, each with an
    invoice, a dispute and a review; a personal budget; a school place request and placement."""
    from datetime import date, timedelta
    from decimal import Decimal

    from django.utils import timezone

    from core.models import PrimaryNeed
    from placements import services as placement_services
    from tests.placements.factories import ChildFactory, ProvisionFactory, qpl_call_off

    officer = world.users["officer"]
    child_a = ChildFactory(
        first_name="Zephyrine",
        last_name="Quillhaven",
        date_of_birth=date(2013, 7, 19),
        primary_need=PrimaryNeed.objects.get(code="ASD"),
    )
    child_b = ChildFactory(first_name="Ottoline", last_name="Marchbanks", date_of_birth=date(2014, 11, 23))
    provision_a = ProvisionFactory(child=child_a)
    referral_a = placement_services.referral_create(provision=provision_a, referred_on=date(2024, 5, 1), user=officer)
    placement_a = qpl_call_off(provision=provision_a, provider=provider_a, user=officer)
    placement_b = placement_services.placement_arrange(
        provision=ProvisionFactory(child=child_b),
        arrangement="spot_purchase",
        provider=provider_b,
        spot_reason="tribunal_named",
        rate=Decimal("90.00"),
        user=officer,
        start_date=date(2024, 9, 1),
        end_date=date(2025, 7, 31),
        units_per_week=Decimal("1"),
    )
    placement_services.placement_activate(placement=placement_b, user=officer)
    invoices = {}
    for key, placement, user in (
        ("a", placement_a, world.users["provider_a"]),
        ("b", placement_b, world.users["provider_b"]),
    ):
        invoices[key] = placement_services.invoice_submit(
            placement=placement,
            number=f"WORLD-{key.upper()}-1",
            period_start=date(2024, 9, 1),
            period_end=date(2024, 9, 30),
            units_delivered=Decimal("4"),
            amount=placement.rate * 4,
            user=user,
        )
    budget = placement_services.placement_arrange(
        provision=ProvisionFactory(child=child_a, therapy_type=TherapyType.objects.get(code="occupational")),
        arrangement="personal_budget",
        user=officer,
        start_date=date(2024, 9, 1),
        end_date=date(2025, 7, 31),
        units_per_week=Decimal("1"),
        budget_amount=Decimal("2400.00"),
        budget_signed_on=date(2024, 8, 1),
        budget_review_on=date(2025, 2, 1),
    )
    dispute_a = placement_services.dispute_raise(
        placement=placement_a, category="protocol", description="Session notes late", user=officer
    )
    review_a = placement_services.review_record(
        placement=placement_a,
        held_on=date(2024, 12, 1),
        outcomes="Progress",
        effectiveness="effective",
        decision="continue",
        next_review_on=date(2025, 3, 1),
        user=officer,
    )
    pending_a = qpl_call_off(
        provision=ProvisionFactory(child=child_a), provider=provider_a, user=officer, activate=False
    )
    ending_a = qpl_call_off(provision=ProvisionFactory(child=child_a), provider=provider_a, user=officer)
    world.objects.update(
        child_a=child_a,
        child_b=child_b,
        provision_a=provision_a,
        referral_a=referral_a,
        placement_a=placement_a,
        placement_b=placement_b,
        pending_placement_a=pending_a,
        ending_placement_a=ending_a,
        invoice_a=invoices["a"],
        invoice_b=invoices["b"],
        personal_budget=budget.personal_budget,
        dispute_a=dispute_a,
        review_a=review_a,
    )
    # NMISS: a request for child A with provider A's school invited (schools are providers too).
    from providers.models import Lot, Membership, ProviderList

    school = ProviderFactory(
        legal_name="Alder Valley School Ltd",
        trading_name="Alder Valley School",
        kind="independent_school",
        offers_day=True,
        age_from=5,
        age_to=18,
    )
    world.users["school"] = UserFactory(email="head@aldervalley.example.org", role=Role.PROVIDER, provider=school)
    lot = Lot.objects.get(provider_list__reference="KCC-DPS-NMISS", number=1)
    membership = Membership.objects.create(
        provider=school,
        provider_list=ProviderList.objects.get(reference="KCC-DPS-NMISS"),
        status="admitted",
        applied_on=date(2023, 1, 1),
        admitted_on=date(2023, 2, 1),
    )
    membership.lots.set([lot])
    request = placement_services.placement_request_create(
        child=child_a,
        lot=lot,
        needs_summary="Small calm classes",
        setting="day",
        required_start=date(2026, 9, 1),
        deadline=timezone.now() + timedelta(days=10),
        user=officer,
    )
    placement_services.placement_request_invite(request=request, schools=[school], user=officer)
    offer = placement_services.offer_submit(
        invitation=request.invitations.get(),
        user=world.users["school"],
        education_fee=Decimal("48000"),
        weeks=38,
        start_date=date(2026, 9, 1),
        quality_statement="Specialist staff",
    )
    school_placement = placement_services.school_placement_create(
        child=child_b,
        school=school,
        setting="day",
        weeks=38,
        start_date=date(2025, 9, 1),
        end_date=date(2026, 7, 31),
        education_fee=Decimal("45000"),
        user=officer,
    )
    draft_request = placement_services.placement_request_create(
        child=child_a,
        lot=lot,
        needs_summary="A second request, still a draft",
        setting="day",
        required_start=date(2026, 9, 1),
        deadline=timezone.now() + timedelta(days=10),
        user=officer,
    )
    world.objects.update(
        school=school,
        placement_request=request,
        draft_request=draft_request,
        invitation=request.invitations.get(),
        offer=offer,
        school_placement=school_placement,
        fee_uplift=placement_services.school_placement_uplift(
            placement=school_placement,
            effective_from=date(2026, 4, 1),
            percent=Decimal("3"),
            reason="Annual uplift",
            user=officer,
        ),
        block_contract=placement_services.block_contract_create(
            school=school,
            reference="WORLD-BLOCK",
            places=4,
            annual_fee=Decimal("200000"),
            start_date=date(2025, 4, 1),
            end_date=date(2027, 3, 31),
            user=officer,
        ),
    )
