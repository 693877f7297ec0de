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
    world.secrets = {
        "provider_a": ["Birchwood Sentinel"],
        "provider_b": ["Alder Therapy"],
    }
    return world
