"""The demo data for children's therapy: the paper's figures, every arrangement, and the services' rules.

Actual spend is approved and paid invoices, counted in the financial year each invoice's period ends
in (no demo invoice's period crosses the end of a financial year, which the tests check too).
"""

import io
import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import ExtractYear
from django.test import override_settings

from contracts import demo as contracts_demo
from core import demo as core_demo
from core.models import User
from core.periods import FinancialYear
from placements import demo
from placements.models import (
    Child,
    Dispute,
    Invoice,
    PersonalBudget,
    Placement,
    PlacementCommitment,
    Provision,
    Referral,
)
from placements.selectors import assurance_by_child, wait_band_counts
from providers import demo as providers_demo
from providers.models import Membership, ProviderList

pytestmark = pytest.mark.django_db

PAPER_SPOT_SPEND = {2019: Decimal("1134984"), 2020: Decimal("1291166"), 2021: Decimal("1618487")}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seed once for the module, the way `manage.py seed_demo` does, inside a transaction rolled back at
    the end; each test runs in a savepoint within it. Uploaded evidence goes to a temporary folder."""
    storages = {**settings.STORAGES, "default": {**settings.STORAGES["default"]}}
    storages["default"]["OPTIONS"] = {"location": tmp_path_factory.mktemp("demo-files"), "base_url": None}
    with django_db_blocker.unblock(), override_settings(STORAGES=storages), transaction.atomic():
        out = io.StringIO()
        rng = random.Random(2026)
        for module in (core_demo, providers_demo, contracts_demo, demo):
            module.seed(stdout=out, rng=rng)
        counts = _counts()
        second = io.StringIO()
        demo.seed(stdout=second, rng=random.Random(2026))
        try:
            yield {"output": out.getvalue(), "second": second.getvalue(), "before_second": counts}
        finally:
            transaction.set_rollback(True)


def _counts() -> dict:
    return {model.__name__: model.objects.count() for model in (Child, Provision, Referral, Placement, Invoice)}


def _financial_year(date_field: str):
    """The year a date's financial year starts in (2021 for 2021-22), in SQL."""
    return Case(
        When(**{f"{date_field}__month__gte": 4}, then=ExtractYear(date_field)),
        default=ExtractYear(date_field) - Value(1),
        output_field=IntegerField(),
    )


def _spot_actual_by_year() -> dict[int, Decimal]:
    """Approved and paid spot-purchase invoices, by the financial year their period ends in, in SQL."""
    rows = (
        Invoice.objects.actual()
        .filter(placement__arrangement=Placement.Arrangement.SPOT_PURCHASE)
        .annotate(year=_financial_year("period_end"))
        .values("year")
        .annotate(total=Sum("amount"))
    )
    return {row["year"]: row["total"] for row in rows}


def test_about_four_hundred_invented_children_with_unique_names(seeded):
    children = Child.objects.exclude(ehcp_reference__startswith="EHCP-N-")  # the therapy demo's children
    assert 380 <= children.count() <= 420
    names = Counter(children.values_list("first_name", "last_name"))
    assert max(names.values()) == 1  # no child shares a name with another
    assert children.filter(ehcp_reference__regex=r"^EHCP-20[0-9]{2}-[0-9]{5}$").count() == children.count()
    assert children.exclude(school_urn="").exclude(school_urn__regex=r"^[0-9]{6}$").count() == 0
    assert children.values("district").distinct().count() == 12
    assert not children.exclude(district__authority="Kent County Council").exists()


def test_every_arrangement_and_status_is_there(seeded):
    arrangements = set(Placement.objects.values_list("arrangement", flat=True))
    assert arrangements == set(Placement.Arrangement.values)
    assert set(Placement.objects.values_list("status", flat=True)) == set(Placement.Status.values)
    assert Placement.objects.filter(status=Placement.Status.ENDED).exclude(end_reason="completed").exists()
    assert PersonalBudget.objects.count() == Placement.objects.filter(arrangement="personal_budget").count()
    nhs = Placement.objects.filter(arrangement="nhs_contract")
    assert nhs.exists() and not nhs.filter(contract__isnull=True).exists()


def test_spot_purchase_spend_matches_the_paper_within_two_per_cent(seeded):
    actual = _spot_actual_by_year()
    for year, paper in PAPER_SPOT_SPEND.items():
        assert abs(actual[year] - paper) <= paper * Decimal("0.02"), (FinancialYear(year).label, actual[year])
    assert actual[2022] > actual[2021]  # and it went on growing for a while


def test_personal_budgets_for_2023_24_add_up_to_the_paper(seeded):
    agreed = PersonalBudget.objects.filter(
        placement__start_date__gte=date(2023, 9, 1), placement__start_date__lte=date(2024, 8, 31)
    ).exclude(placement__status=Placement.Status.CANCELLED)
    assert agreed.aggregate(total=Sum("amount"))["total"] == Decimal("1427549")


def test_before_the_qpl_everything_was_spot_purchased_or_a_personal_budget(seeded):
    early = Placement.objects.filter(start_date__lt=date(2021, 9, 1))
    assert set(early.values_list("arrangement", flat=True)) == {"spot_purchase", "personal_budget"}
    assert not Placement.objects.filter(arrangement="spot_purchase", spot_reason="").exists()


def test_call_offs_and_spot_purchases_keep_the_qpl_rules(seeded):
    qpl = ProviderList.Kind.QPL
    for placement in Placement.objects.filter(arrangement="qpl_call_off").select_related("membership"):
        membership = placement.membership
        assert membership.provider_id == placement.provider_id
        # Admitted on the start date, as it was then (it may have left or been suspended since).
        start = placement.start_date
        assert membership.status != Membership.Status.APPLIED and membership.admitted_on <= start
        assert membership.left_on is None or start <= membership.left_on
        assert membership.suspended_on is None or start < membership.suspended_on
    # On the QPL from admission to the last day on the list (or the day before a suspension), as it was then.
    periods: dict[int, list] = {}
    for provider_id, first, left, suspended in Membership.objects.filter(
        provider_list__kind=qpl, admitted_on__isnull=False
    ).values_list("provider_id", "admitted_on", "left_on", "suspended_on"):
        last = left or (suspended - timedelta(days=1) if suspended else None)
        periods.setdefault(provider_id, []).append((first, last))
    spot = Placement.objects.filter(arrangement="spot_purchase").values_list("provider_id", "start_date")
    for provider_id, start in spot:
        for first, last in periods.get(provider_id, []):
            assert not (first <= start and (last is None or start <= last)), "a spot purchase from a QPL member"


def test_invoices_lie_inside_their_placements_and_numbers_are_unique(seeded):
    outside = Invoice.objects.filter(
        Q(period_start__lt=F("placement__start_date")) | Q(period_end__gt=F("placement__end_date"))
    )
    assert not outside.exists()
    assert not Invoice.objects.filter(placement__status__in=["proposed", "cancelled"]).exists()
    repeated = (
        Invoice.objects.filter(provider__isnull=False)
        .values("provider", "number")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not repeated.exists()
    years = Invoice.objects.annotate(start_year=_financial_year("period_start"), end_year=_financial_year("period_end"))
    assert not years.exclude(start_year=F("end_year")).exists()  # each period inside one financial year
    statuses = set(Invoice.objects.values_list("status", flat=True))
    assert statuses == set(Invoice.Status.values)
    assert Invoice.objects.filter(has_discrepancy=True).exists()
    assert Dispute.objects.open().exists() and Dispute.objects.filter(resolved_on__isnull=False).exists()


def test_committed_cost_is_filled_for_every_active_and_ended_placement(seeded):
    live = Placement.objects.filter(status__in=["active", "ended"])
    assert not live.filter(commitments__isnull=True).exists()
    assert not PlacementCommitment.objects.filter(placement__status__in=["proposed", "cancelled"]).exists()


def test_some_children_fall_short_of_their_plan(seeded):
    officer = User.objects.get(email="officer@example.org")
    year = FinancialYear(2024)
    short = assurance_by_child(user=officer, start=year.start, end=year.end, threshold_percent=Decimal(20))
    assert 24 <= short.count() <= 100


def test_the_waiting_list_has_long_waits(seeded):
    bands = {row["key"]: row["count"] for row in wait_band_counts(Referral.objects.all())}
    assert bands["waiting"] >= 30
    assert bands["12_plus"] > 0 and bands["18_52"] > 0 and bands["52_plus"] > 0


def test_the_demo_provider_user_has_placements_and_invoices(seeded):
    user = User.objects.get(email="provider@example.org")
    placements = Placement.objects.visible_to(user)
    assert placements.filter(status="active").count() >= 5
    assert set(placements.values_list("arrangement", flat=True)) >= {"qpl_call_off", "spot_purchase"}
    assert Invoice.objects.visible_to(user).filter(status="submitted").exists()


def test_a_second_run_creates_nothing(seeded):
    assert _counts() == seeded["before_second"]
    assert "nothing created" in seeded["second"]
    assert "Children: 400 created" in seeded["output"]


def test_school_places_history_requests_and_uplifts(seeded):
    from placements.models import FeeUplift, NmissHistoricalSpend, PlacementRequest, SchoolPlacement

    assert dict(NmissHistoricalSpend.objects.values_list("financial_year", "amount")) == {
        2017: Decimal("27911115.00"),
        2018: Decimal("34167515.00"),
        2019: Decimal("39772645.00"),
        2020: Decimal("49244606.00"),
    }
    assert SchoolPlacement.objects.count() >= 1000
    assert FeeUplift.objects.count() > 500 and SchoolPlacement.objects.filter(block_contract__isnull=False).exists()
    states = dict(PlacementRequest.objects.values_list("status").annotate(n=Count("pk")))
    assert set(states) == {"draft", "open", "awarded", "cancelled"}
    assert SchoolPlacement.objects.filter(request__isnull=False).count() == states["awarded"]
    # every place was agreed after the history ends: the spend history and the placements do not overlap
    assert not SchoolPlacement.objects.filter(start_date__lt=date(2021, 4, 1)).exists()
