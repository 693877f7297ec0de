"""Reads for providers: prices in force, QPL candidates for a child's therapy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from core.models import District, TherapyType

from .models import CapacityDeclaration, Membership, PriceLine, PricingSchedule, Provider, ProviderList


def pricing_schedule_in_force(*, provider: Provider, on: date) -> PricingSchedule | None:
    """The version of the provider's prices in force on `on`: latest effective_from on or before it."""
    return (
        PricingSchedule.objects.filter(provider=provider, effective_from__lte=on)
        .order_by("-effective_from", "-version")
        .first()
    )


def price_in_force(*, provider: Provider, therapy_type: TherapyType, unit: str, on: date) -> Decimal | None:
    """The rate a call-off on `on` uses, from the version in force then; None if that version has no such line."""
    schedule = pricing_schedule_in_force(provider=provider, on=on)
    if schedule is None:
        return None
    return schedule.lines.filter(therapy_type=therapy_type, unit=unit).values_list("rate", flat=True).first()


def _schedule_in_force_subquery(on: date):
    return Subquery(
        PricingSchedule.objects.filter(provider=OuterRef("pk"), effective_from__lte=on)
        .order_by("-effective_from", "-version")
        .values("pk")[:1]
    )


def qpl_candidates(
    *, therapy_type: TherapyType, district: District, on: date, unit: str = PriceLine.Unit.HOUR
) -> QuerySet[Provider]:
    """Providers admitted to the QPL on `on` who offer `therapy_type` in `district`, most suitable first.

    Each row carries `capacity_hours` (the declaration in force for that therapy and district, 0 if
    none) and `rate` (from the pricing version in force, None if it has no line for the therapy and
    unit). Suitability: declared capacity first, then more capacity, then lower price, then name.
    """
    admitted = Membership.objects.admitted_on(on).filter(
        provider=OuterRef("pk"), provider_list__kind=ProviderList.Kind.QPL
    )
    capacity = Subquery(
        CapacityDeclaration.objects.filter(
            provider=OuterRef("pk"), therapy_type=therapy_type, district=district, from_date__lte=on
        )
        .order_by("-from_date")
        .values("hours_per_week")[:1]
    )
    return (
        Provider.objects.filter(Exists(admitted), therapy_types=therapy_type, districts=district)
        .annotate(
            capacity_hours=Coalesce(capacity, Value(Decimal("0.0"))),
            schedule_in_force_id=_schedule_in_force_subquery(on),
        )
        .annotate(
            rate=Subquery(
                PriceLine.objects.filter(
                    schedule_id=OuterRef("schedule_in_force_id"), therapy_type=therapy_type, unit=unit
                )
                .order_by()
                .values("rate")[:1]
            )
        )
        .filter(~Q(status=Provider.Status.CLOSED))
        .order_by("-capacity_hours", "rate", "legal_name", "pk")
    )
