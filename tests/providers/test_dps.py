"""Special schools apply to the NMISS Dynamic Purchasing System through the same questionnaire."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from core.models import PrimaryNeed
from providers import services
from providers.models import Provider, ProviderList, SchoolFeeBand
from providers.selectors import questionnaire_sections
from tests.providers.factories import ProviderFactory, complete_answers

pytestmark = pytest.mark.django_db


def dps() -> ProviderList:
    return ProviderList.objects.get(reference="KCC-DPS-NMISS")


def test_the_dps_has_lots_by_need_setting_and_age():
    lot = dps().lots.get(number=2)
    assert (lot.primary_need.code, lot.setting, lot.age_from, lot.age_to) == ("ASD", "residential", 8, 19)
    assert dps().closes_on is None  # open to new entrants for its whole term


def test_only_schools_apply_to_the_dps(provider_a):
    with pytest.raises(ValidationError):
        services.questionnaire_start(provider=provider_a, provider_list=dps(), user=None)


def school_with_answers():
    school = complete_answers(
        ProviderFactory(legal_name="Fictional Valley School Ltd", kind=Provider.Kind.INDEPENDENT_SCHOOL)
    )
    school.employs_staff = False
    school.save()
    return school


def test_a_school_reuses_its_answers_and_adds_the_school_sections():
    school = school_with_answers()
    sq = services.questionnaire_start(provider=school, provider_list=dps(), user=None)
    sections = {s.key: s for s in questionnaire_sections(sq)}
    assert set(sections) == {"organisation", "school", "insurance", "safeguarding", "evidence", "fees", "lots"}
    assert sections["insurance"].complete and sections["safeguarding"].complete  # answered once, reused
    assert not sections["school"].complete and not sections["fees"].complete
    assert not sections["organisation"].complete  # a school needs its DfE URN
    services.school_answers_save(
        provider=school,
        data={
            "dfe_urn": "118765",
            "ofsted_rating": "good",
            "ofsted_inspected_on": date(2024, 5, 1),
            "registered_capacity": 60,
            "age_from": 5,
            "age_to": 16,
            "offers_day": True,
            "offers_residential": False,
            "needs_catered_for": PrimaryNeed.objects.filter(code__in=["ASD", "SLCN"]),
        },
    )
    services.fee_band_add(
        provider=school,
        name="Band A",
        place_type="day",
        weeks=38,
        education=Decimal("52000"),
        care=Decimal("0"),
        therapy=Decimal("6500"),
        effective_from=date(2025, 4, 1),
    )
    sections = {s.key: s for s in questionnaire_sections(sq)}
    assert sections["organisation"].complete and sections["school"].complete and sections["fees"].complete
    assert SchoolFeeBand.objects.get().annual_fee == Decimal("58500.00")


def test_negative_fees_are_refused_and_the_database_holds_it():
    school = school_with_answers()
    with pytest.raises(ValidationError):
        services.fee_band_add(
            provider=school,
            name="Band A",
            place_type="day",
            weeks=38,
            education=Decimal("-1"),
            care=Decimal("0"),
            therapy=Decimal("0"),
            effective_from=date(2025, 4, 1),
        )
    with pytest.raises(IntegrityError):
        SchoolFeeBand.objects.create(
            provider=school,
            name="X",
            place_type="day",
            weeks=38,
            education=Decimal("-5"),
            effective_from=date(2025, 4, 1),
        )


def test_school_pages_render(client):
    from core.roles import Role
    from tests.core.factories import UserFactory

    school = school_with_answers()
    user = UserFactory(role=Role.PROVIDER, provider=school)
    client.force_login(user)
    portal = client.get(reverse("providers:portal")).content.decode()
    assert "NMISS Dynamic Purchasing System" in portal
    sq = services.questionnaire_start(provider=school, provider_list=dps(), user=user)
    assert client.get(reverse("providers:sq-school", args=[sq.pk])).status_code == 200
    bad = client.post(
        reverse("providers:sq-fees", args=[sq.pk]),
        {
            "name": "Band A",
            "place_type": "day",
            "weeks": "38",
            "education": "-10",
            "care": "0",
            "therapy": "0",
            "effective_from": "2025-04-01",
        },
    )
    assert "Fees cannot be negative" in bad.content.decode()
    assert not SchoolFeeBand.objects.exists()


def test_therapy_providers_do_not_see_the_dps(client, provider_a_user):
    client.force_login(provider_a_user)
    assert "NMISS Dynamic Purchasing System" not in client.get(reverse("providers:portal")).content.decode()
