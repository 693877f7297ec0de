"""Factories for providers, and helpers that give a provider complete answers or a QPL place."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from core.models import District, TherapyType
from providers.models import (
    CapacityDeclaration,
    ComplianceDocument,
    InsurancePolicy,
    Membership,
    Practitioner,
    PriceLine,
    PricingSchedule,
    Provider,
    ProviderList,
    SelectionQuestionnaire,
)


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider

    legal_name = factory.Sequence(lambda n: f"Fictional Therapy Provider {n} Ltd")
    trading_name = factory.Sequence(lambda n: f"Fictional Therapy {n}")
    kind = Provider.Kind.COMPANY
    status = Provider.Status.ACTIVE
    contact_email = factory.Sequence(lambda n: f"contact{n}@provider.example.org")


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def qpl() -> ProviderList:
    return ProviderList.objects.get(reference="KCC-QPL-SEN-THERAPIES")


class PractitionerFactory(DjangoModelFactory):
    class Meta:
        model = Practitioner

    provider = factory.SubFactory(ProviderFactory)
    first_name = "Robin"
    last_name = factory.Sequence(lambda n: f"Testpractitioner{n}")
    profession = "Speech and language therapist"
    registration_body = Practitioner.Body.HCPC
    registration_number = factory.Sequence(lambda n: f"SL{10000 + n}")
    registration_expires_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))
    dbs_certificate_number = factory.Sequence(lambda n: f"{100000000000 + n}")
    dbs_issued_on = date(2024, 1, 10)
    dbs_barred_list_checked = True


class DocumentFactory(DjangoModelFactory):
    class Meta:
        model = ComplianceDocument

    provider = factory.SubFactory(ProviderFactory)
    kind = ComplianceDocument.Kind.PUBLIC_LIABILITY
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=200))
    original_name = "certificate.pdf"
    content_type = "application/pdf"
    size = len(PDF)
    status = ComplianceDocument.Status.VERIFIED
    uploaded_by = factory.SubFactory("tests.core.factories.UserFactory")
    file = factory.LazyFunction(lambda: ContentFile(PDF, name="certificate.pdf"))


def complete_answers(provider, *, therapy_code="speech-language", district_name="Swale"):
    """Fill every questionnaire section for `provider` (as a provider who finished the pages would)."""
    therapy = TherapyType.objects.get(code=therapy_code)
    district = District.objects.get(name=district_name)
    provider.address_line_1, provider.town, provider.postcode = "1 High Street", "Sittingbourne", "ME10 4AA"
    provider.contact_name, provider.contact_phone = "Sam Contact", "01632 960000"
    provider.contact_email = provider.contact_email or "contact@provider.example.org"
    provider.companies_house_number = provider.companies_house_number or f"{provider.pk:08d}"
    provider.settings_offered = ["school"]
    provider.safeguarding_lead_name, provider.safeguarding_lead_email = "Sam Lead", "lead@provider.example.org"
    provider.has_safeguarding_policy = True
    provider.save()
    provider.therapy_types.add(therapy)
    provider.districts.add(district)
    practitioner = PractitionerFactory(provider=provider)
    later = timezone.localdate() + timedelta(days=300)
    for kind, cover in (("public_liability", "5000000"), ("professional_indemnity", "1000000")):
        InsurancePolicy.objects.create(
            provider=provider,
            kind=kind,
            insurer="Fictional Mutual",
            policy_number="P1",
            cover_amount=Decimal(cover),
            expires_on=later,
        )
        DocumentFactory(provider=provider, kind=kind, expires_on=later)
    DocumentFactory(provider=provider, kind="safeguarding_policy", expires_on=None)
    DocumentFactory(provider=provider, kind="registration", practitioner=practitioner, expires_on=later)
    DocumentFactory(provider=provider, kind="dbs", practitioner=practitioner, expires_on=None)
    CapacityDeclaration.objects.create(
        provider=provider,
        therapy_type=therapy,
        district=district,
        hours_per_week=Decimal("10"),
        from_date=date(2024, 1, 1),
    )
    schedule = PricingSchedule.objects.create(provider=provider, version=1, effective_from=date(2024, 4, 1))
    PriceLine.objects.create(schedule=schedule, therapy_type=therapy, unit="hour", rate=Decimal("70.00"))
    return provider


def admit(provider, *, on=date(2022, 1, 1)):
    """Put `provider` on the QPL as admitted (with a lot for each therapy it offers)."""
    membership = Membership.objects.create(
        provider=provider, provider_list=qpl(), status=Membership.Status.ADMITTED, applied_on=on, admitted_on=on
    )
    membership.lots.set(qpl().lots.filter(therapy_type__in=provider.therapy_types.all()))
    return membership


class QuestionnaireFactory(DjangoModelFactory):
    class Meta:
        model = SelectionQuestionnaire

    provider = factory.SubFactory(ProviderFactory)
    provider_list = factory.LazyFunction(qpl)
    reference = factory.Sequence(lambda n: f"SQ-TEST-{n:05d}")
    status = SelectionQuestionnaire.Status.DRAFT
