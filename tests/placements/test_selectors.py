"""Reads: the waiting-list bands and provision assurance, against figures worked out by hand."""

from datetime import date
from decimal import Decimal

import pytest

from placements import services
from placements.models import Invoice, Provision, Referral
from placements.selectors import assurance_by_child, provision_assurance, referral_list, wait_band_counts
from tests.placements.factories import (
    ChildFactory,
    InvoiceFactory,
    ProvisionFactory,
    ReferralFactory,
    qpl_call_off,
    qpl_provider,
)

pytestmark = pytest.mark.django_db
TODAY = date(2025, 6, 30)


def two_places(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def test_wait_bands_count_whole_weeks_at_their_edges(officer):
    for weeks_ago_days in (83, 84, 125, 126, 363, 364):  # either side of 12, 18 and 52 weeks
        ReferralFactory(referred_on=date.fromordinal(TODAY.toordinal() - weeks_ago_days))
    placed = ReferralFactory(referred_on=date(2024, 1, 1))
    Referral.objects.filter(pk=placed.pk).update(stage="placed", waiting_ended_on=date(2024, 3, 1))
    counts = {row["key"]: row["count"] for row in wait_band_counts(referral_list(user=officer), today=TODAY)}
    # 83 days is 11 weeks; 84 is 12; 125 is 17; 126 is 18; 363 is 51; 364 is 52. The placed one is not waiting.
    assert counts == {"under_12": 1, "12_plus": 5, "0_18": 3, "18_52": 2, "52_plus": 1, "waiting": 6}


@pytest.fixture
def assured(officer):
    """One child with two lines of provision, part delivered; another child delivered in full."""
    provider = qpl_provider(rate="70.00")
    child = ChildFactory()
    weekly = ProvisionFactory(child=child, amount=Decimal("1"), frequency="week", weeks_per_year=38)
    ProvisionFactory(
        child=child, amount=Decimal("2"), unit="session", frequency="half_term", start_date=date(2024, 4, 1)
    )
    placement = qpl_call_off(provision=weekly, provider=provider, user=officer, start=date(2024, 9, 1))
    for number, start, end, units, status in (
        ("S1", date(2024, 9, 1), date(2024, 9, 30), "4", Invoice.Status.APPROVED),
        ("S2", date(2024, 10, 1), date(2024, 10, 31), "3", Invoice.Status.PAID),
        ("S3", date(2024, 11, 1), date(2024, 11, 30), "4", Invoice.Status.SUBMITTED),  # not yet spend
        ("S4", date(2024, 12, 1), date(2025, 1, 31), "6", Invoice.Status.APPROVED),  # half of it in the period
    ):
        InvoiceFactory(
            placement=placement,
            number=number,
            period_start=start,
            period_end=end,
            units_delivered=Decimal(units),
            amount=Decimal(units) * 70,
            status=status,
            paid_on=date(2025, 1, 1) if status == Invoice.Status.PAID else None,
        )
    other = ChildFactory()
    other_line = ProvisionFactory(child=other, amount=Decimal("1"), weeks_per_year=38)
    other_placement = qpl_call_off(provision=other_line, provider=provider, user=officer, start=date(2024, 9, 1))
    InvoiceFactory(
        placement=other_placement,
        number="O1",
        period_start=date(2024, 9, 1),
        period_end=date(2024, 12, 31),
        units_delivered=Decimal("13"),
        amount=Decimal("910"),
        status=Invoice.Status.APPROVED,
    )
    return child, other


PERIOD = (date(2024, 9, 1), date(2024, 12, 31))  # 122 days


def test_provision_assurance_matches_the_hand_computed_case(officer, assured):
    child, _ = assured
    lines = {p.unit: p for p in provision_assurance(user=officer, start=PERIOD[0], end=PERIOD[1]).filter(child=child)}
    weekly = lines[Provision.Unit.HOUR]
    # The plan: 1 hour a week for 38 weeks a year = 38 hours a year; 122 days of it = 12.70 hours.
    assert two_places(weekly.specified) == Decimal("12.70")
    assert two_places(weekly.commissioned) == Decimal("12.70")
    # Delivered: 4 (September) + 3 (October) + 6 x 31/62 (the December half of S4); November is not approved.
    assert two_places(weekly.delivered) == Decimal("10.00")
    assert two_places(weekly.shortfall) == Decimal("2.70")
    half_termly = lines[Provision.Unit.SESSION]
    # 2 sessions a half term = 12 a year; 122 days of it = 4.01. Nothing commissioned or delivered.
    assert (two_places(half_termly.specified), two_places(half_termly.commissioned)) == (Decimal("4.01"), 0)
    assert two_places(half_termly.delivered) == 0


def test_children_short_of_their_plan_by_more_than_the_threshold(officer, assured):
    child, _other = assured
    rows = list(assurance_by_child(user=officer, start=PERIOD[0], end=PERIOD[1], threshold_percent=Decimal("20")))
    assert [r["child_id"] for r in rows] == [child.pk]  # the other child got 13 of 12.70 hours
    row = rows[0]
    assert row["lines"] == 2
    assert two_places(row["specified_total"]) == Decimal("16.71")
    assert two_places(row["shortfall_total"]) == Decimal("6.71")  # 40% short
    assert not list(assurance_by_child(user=officer, start=PERIOD[0], end=PERIOD[1], threshold_percent=Decimal("41")))


def test_provision_assurance_is_empty_for_people_without_the_permission(provider_b_user, assured):
    assert not provision_assurance(user=provider_b_user, start=PERIOD[0], end=PERIOD[1]).exists()


def test_services_keep_the_waiting_list_and_assurance_consistent(officer):
    provision = ProvisionFactory()
    referral = services.referral_create(provision=provision, referred_on=date(2024, 5, 1), user=officer)
    assert referral in referral_list(user=officer).filter(stage__in=Referral.WAITING)
