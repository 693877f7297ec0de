"""Prices in force and QPL candidates for a therapy in a district."""

from datetime import date
from decimal import Decimal

import pytest

from core.models import District, TherapyType
from providers.models import CapacityDeclaration, Membership, PriceLine, PricingSchedule, ProviderList
from providers.selectors import price_in_force, qpl_candidates
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def slt():
    return TherapyType.objects.get(code="speech-language")


@pytest.fixture
def swale():
    return District.objects.get(name="Swale")


@pytest.fixture
def qpl():
    return ProviderList.objects.create(
        kind=ProviderList.Kind.QPL, name="SEN therapies QPL", reference="QPL-1", opens_on=date(2021, 9, 1)
    )


def price(provider, version, effective_from, therapy, rate, unit=PriceLine.Unit.HOUR):
    schedule = PricingSchedule.objects.create(provider=provider, version=version, effective_from=effective_from)
    if therapy:
        PriceLine.objects.create(schedule=schedule, therapy_type=therapy, unit=unit, rate=Decimal(rate))
    return schedule


def admitted(provider, qpl, on=date(2022, 1, 1)):
    return Membership.objects.create(
        provider=provider, provider_list=qpl, status=Membership.Status.ADMITTED, applied_on=on, admitted_on=on
    )


def test_price_in_force_is_the_version_effective_on_the_day(slt):
    provider = ProviderFactory()
    price(provider, 1, date(2023, 4, 1), slt, "60.00")
    price(provider, 2, date(2024, 4, 1), slt, "65.00")
    assert price_in_force(provider=provider, therapy_type=slt, unit="hour", on=date(2024, 3, 31)) == Decimal("60.00")
    assert price_in_force(provider=provider, therapy_type=slt, unit="hour", on=date(2024, 4, 1)) == Decimal("65.00")
    assert price_in_force(provider=provider, therapy_type=slt, unit="hour", on=date(2023, 3, 31)) is None


def test_a_newer_version_without_the_therapy_has_no_price_for_it(slt):
    provider = ProviderFactory()
    price(provider, 1, date(2023, 4, 1), slt, "60.00")
    price(provider, 2, date(2024, 4, 1), None, "0")
    assert price_in_force(provider=provider, therapy_type=slt, unit="hour", on=date(2024, 5, 1)) is None


def test_candidates_are_admitted_providers_offering_the_therapy_in_the_district(slt, swale, qpl):
    on = date(2024, 6, 1)
    good, cheap, no_capacity, elsewhere, not_admitted, left = (ProviderFactory() for _ in range(6))
    for provider in (good, cheap, no_capacity, elsewhere, not_admitted, left):
        provider.therapy_types.add(slt)
    for provider in (good, cheap, no_capacity, not_admitted, left):
        provider.districts.add(swale)
    elsewhere.districts.add(District.objects.get(name="Dover"))
    for provider in (good, cheap, no_capacity, elsewhere):
        admitted(provider, qpl)
    gone = admitted(left, qpl)
    Membership.objects.filter(pk=gone.pk).update(status=Membership.Status.LEFT, left_on=date(2024, 1, 1))
    price(good, 1, date(2024, 4, 1), slt, "70.00")
    price(cheap, 1, date(2024, 4, 1), slt, "55.00")
    for provider in (good, cheap):
        CapacityDeclaration.objects.create(
            provider=provider, therapy_type=slt, district=swale, hours_per_week=Decimal("10.0"), from_date=on
        )
    rows = list(qpl_candidates(therapy_type=slt, district=swale, on=on))
    assert rows == [cheap, good, no_capacity]
    assert (rows[0].rate, rows[0].capacity_hours) == (Decimal("55.00"), Decimal("10.0"))
    assert (rows[2].rate, rows[2].capacity_hours) == (None, Decimal("0.0"))
