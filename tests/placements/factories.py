"""Factories for children's therapy. Every name here is invented; no real child or practitioner."""

from datetime import date
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from core.models import District, TherapyType
from placements import services
from placements.models import Child, Dispute, Invoice, Placement, Provision, Referral, Review
from tests.core.factories import UserFactory
from tests.providers.factories import ProviderFactory, admit, complete_answers

FIRST_NAMES = ["Ada", "Bilal", "Cleo", "Dara", "Eshan", "Fern", "Gus", "Hana", "Ivo", "Juno"]
LAST_NAMES = ["Quillfeather", "Marrowby", "Tansley", "Brackenridge", "Oakhollow", "Penhallow", "Wrenfield"]


class ChildFactory(DjangoModelFactory):
    class Meta:
        model = Child

    first_name = factory.Sequence(lambda n: FIRST_NAMES[n % len(FIRST_NAMES)])
    last_name = factory.Sequence(lambda n: f"{LAST_NAMES[n % len(LAST_NAMES)]}{n}")
    date_of_birth = date(2015, 6, 15)
    ehcp_reference = factory.Sequence(lambda n: f"EHCP-T{n:06d}")
    district = factory.LazyFunction(lambda: District.objects.get(name="Swale"))
    school_name = "Fictional Primary School"


class ProvisionFactory(DjangoModelFactory):
    class Meta:
        model = Provision

    child = factory.SubFactory(ChildFactory)
    therapy_type = factory.LazyFunction(lambda: TherapyType.objects.get(code="speech-language"))
    amount = Decimal("1.00")
    unit = Provision.Unit.HOUR
    frequency = Provision.Frequency.WEEK
    weeks_per_year = 38
    start_date = date(2024, 4, 1)


class ReferralFactory(DjangoModelFactory):
    class Meta:
        model = Referral

    provision = factory.SubFactory(ProvisionFactory)
    child = factory.LazyAttribute(lambda o: o.provision.child)
    referred_on = date(2024, 4, 1)


class PlacementFactory(DjangoModelFactory):
    """A spot purchase, active, with its commitments computed (use `qpl_call_off` for the QPL journey)."""

    class Meta:
        model = Placement
        skip_postgeneration_save = True

    provision = factory.SubFactory(ProvisionFactory)
    child = factory.LazyAttribute(lambda o: o.provision.child)
    provider = factory.SubFactory(ProviderFactory)
    arrangement = Placement.Arrangement.SPOT_PURCHASE
    spot_reason = Placement.SpotReason.PARENTAL_PREFERENCE
    start_date = date(2024, 4, 1)
    end_date = date(2025, 3, 31)
    rate = Decimal("70.00")
    unit = Placement.Unit.HOUR
    units_per_week = Decimal("1.00")
    weeks_per_year = 38
    status = Placement.Status.ACTIVE
    review_due_on = date(2024, 10, 1)

    @factory.post_generation
    def commitments(obj, create, extracted, **kwargs):
        if create:
            services.placement_commitments_refresh(placement=obj)


class InvoiceFactory(DjangoModelFactory):
    class Meta:
        model = Invoice

    placement = factory.SubFactory(PlacementFactory)
    provider = factory.LazyAttribute(lambda o: o.placement.provider)
    number = factory.Sequence(lambda n: f"INV-{n:05d}")
    period_start = date(2024, 4, 1)
    period_end = date(2024, 4, 30)
    units_delivered = Decimal("4.00")
    amount = Decimal("280.00")
    expected_amount = Decimal("280.00")
    submitted_by = factory.SubFactory(UserFactory)


def qpl_provider(*, therapy_code="speech-language", district_name="Swale", rate="70.00", **kwargs):
    """A provider with complete answers, admitted to the QPL, pricing the therapy by the hour at `rate`."""
    provider = complete_answers(ProviderFactory(**kwargs), therapy_code=therapy_code, district_name=district_name)
    line = provider.pricing_schedules.get().lines.get()
    line.rate = Decimal(rate)
    line.save()
    admit(provider)
    return provider


def qpl_call_off(
    *, provision, provider, user, start=date(2024, 9, 1), end=date(2025, 7, 31), units="1.00", activate=True
):
    placement = services.placement_arrange(
        provision=provision,
        arrangement=Placement.Arrangement.QPL_CALL_OFF,
        provider=provider,
        user=user,
        start_date=start,
        end_date=end,
        units_per_week=Decimal(units),
    )
    if activate:
        placement = services.placement_activate(placement=placement, user=user)
    return placement


class DisputeFactory(DjangoModelFactory):
    class Meta:
        model = Dispute

    placement = factory.SubFactory(PlacementFactory)
    category = Dispute.Category.QUALITY
    description = "Sessions were shorter than agreed."
    raised_on = date(2024, 10, 1)
    raised_by = factory.SubFactory(UserFactory)


class ReviewFactory(DjangoModelFactory):
    class Meta:
        model = Review

    placement = factory.SubFactory(PlacementFactory)
    held_on = date(2024, 10, 1)
    outcomes = "Using two-word phrases at school."
    effectiveness = Review.Effectiveness.EFFECTIVE
    decision = Review.Decision.CONTINUE
    next_review_on = date(2025, 1, 15)
    recorded_by = factory.SubFactory(UserFactory)


def personal_budget(*, provision, user, start=date(2024, 9, 1), end=date(2025, 7, 31), amount="3000.00", activate=True):
    """A personal budget agreed with the family for `provision` (active unless told otherwise)."""
    placement = services.placement_arrange(
        provision=provision,
        arrangement=Placement.Arrangement.PERSONAL_BUDGET,
        user=user,
        start_date=start,
        end_date=end,
        units_per_week=Decimal("1"),
        budget_amount=Decimal(amount),
        budget_signed_on=start,
        budget_review_on=date(start.year + 1, 1, 15),
    )
    if activate:
        placement = services.placement_activate(placement=placement, user=user)
    return placement


def make_qpl_ready(provider, *, therapy_code="speech-language", district_name="Swale", rate="70.00"):
    """Put an existing provider (a persona's) on the QPL, priced by the hour at `rate`, with capacity."""
    complete_answers(provider, therapy_code=therapy_code, district_name=district_name)
    line = provider.pricing_schedules.get().lines.get()
    line.rate = Decimal(rate)
    line.save()
    admit(provider)
    return provider
