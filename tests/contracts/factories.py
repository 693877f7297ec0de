"""Factories for contracts."""

from datetime import date
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from contracts.models import Contract, ContractYear, ProcurementRoute
from providers.models import Provider
from tests.providers.factories import ProviderFactory


def route(code: str) -> ProcurementRoute:
    return ProcurementRoute.objects.get(code=code)


class ContractFactory(DjangoModelFactory):
    class Meta:
        model = Contract
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"CON-{n:04d}")
    title = factory.Sequence(lambda n: f"Fictional therapy contract {n}")
    supplier = factory.SubFactory(ProviderFactory, kind=Provider.Kind.NHS_TRUST)
    procurement_route = factory.LazyFunction(lambda: route("psr-direct-c"))
    key_decision_number = "24/00008"
    start_date = date(2023, 4, 1)
    end_date = date(2024, 3, 31)
    status = Contract.Status.ACTIVE
    signed_on = date(2023, 4, 1)

    @factory.post_generation
    def value(obj, create, extracted, **kwargs):
        if create and extracted is not None:
            ContractYear.objects.create(
                contract=obj,
                financial_year=obj.start_date.year if obj.start_date.month >= 4 else obj.start_date.year - 1,
                value=Decimal(extracted),
            )
