"""The synthetic data generator: the counts it promises, the same data from the same seed, rows that keep
every rule the services keep, commitments that match the services' arithmetic, and its safety catches."""

from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from contracts.models import Contract, PerformanceReturn
from placements import synthetic
from placements.models import (
    Child,
    Dispute,
    Invoice,
    Placement,
    PlacementCommitment,
    PlacementRequest,
    Provision,
    Referral,
    SchoolPlacement,
    SchoolPlacementCommitment,
)
from placements.services import placement_cost_by_year, school_placement_cost_by_year
from providers.models import CapacityDeclaration, Membership, PriceLine, Provider
from tests.placements.factories import ChildFactory
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db

AS_OF = "2026-12-01"
SCALE = "0.01"  # 200 children, 20 therapy and 20 school placements, 500 invoices


def generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_synthetic", "--scale", SCALE, "--as-of", AS_OF, *args, stdout=out)
    connection.check_constraints()  # foreign keys are checked at commit; check them now
    return out.getvalue()


@pytest.fixture(autouse=True)
def debug_on(settings):
    settings.DEBUG = True


def test_it_writes_the_planned_numbers_of_each_kind():
    output = generate("--seed", "3")
    planned = synthetic.planned_counts(float(SCALE))
    children = Child.objects.filter(ehcp_reference__startswith=synthetic.SYN)
    assert children.count() == planned["children"] == 200
    assert Placement.objects.count() == planned["therapy_placements"] == 20
    assert SchoolPlacement.objects.count() == planned["school_placements"] == 20
    assert Invoice.objects.count() == planned["invoices"] == 500
    providers = Provider.objects.filter(legal_name__endswith=synthetic.PROVIDER_MARKER)
    assert providers.count() == planned["therapy_providers"] + planned["schools"] + planned["nhs_trusts"]
    assert "100%" in output

    # Every plan has one to three lines of provision; a share is on the waiting list, in every band.
    per_child = Counter(Provision.objects.values_list("child_id", flat=True))
    assert len(per_child) == planned["children"] and set(per_child.values()) == {1, 2, 3}
    waits = {r.weeks_waiting(date.fromisoformat(AS_OF)) for r in Referral.objects.waiting()}
    assert (
        min(waits) < 12 and any(12 <= w < 18 for w in waits) and any(18 <= w < 52 for w in waits) and max(waits) >= 52
    )
    # Every arrangement and status, with a provider on the QPL for each call-off.
    assert set(Placement.objects.values_list("arrangement", flat=True)) == set(Placement.Arrangement.values)
    assert set(Placement.objects.values_list("status", flat=True)) == set(Placement.Status.values)
    assert set(Invoice.objects.values_list("status", flat=True)) == set(Invoice.Status.values)
    assert Dispute.objects.filter(resolved_on__isnull=True).exists()
    assert PlacementRequest.objects.filter(status=PlacementRequest.Status.AWARDED).exists()
    assert SchoolPlacement.objects.filter(block_contract__isnull=False).exists()
    assert SchoolPlacement.objects.filter(uplifts__isnull=False).exists()
    assert Membership.objects.filter(provider_list__kind="qpl", status="admitted").exists()
    assert PriceLine.objects.exists() and CapacityDeclaration.objects.exists()
    assert Contract.objects.filter(reference__startswith=synthetic.SYN).exists() and PerformanceReturn.objects.exists()
    assert children.values("pseudonym").distinct().count() == planned["children"]


def test_the_rows_keep_the_field_rules_too():
    """The database has held every constraint; full_clean adds what it does not check (choices, lengths)."""
    generate("--seed", "4")
    for model in (Child, Provision, Referral, Placement, Invoice, Dispute, SchoolPlacement, PlacementRequest):
        relations = [f.name for f in model._meta.get_fields() if f.is_relation]
        for row in model.objects.all():
            row.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)


def test_commitments_add_up_to_the_services_cost_by_year():
    generate("--seed", "5")
    placements = Placement.objects.select_related("personal_budget").prefetch_related("variations", "commitments")
    assert PlacementCommitment.objects.exists()
    for placement in placements:
        expected = {year.start_year: amount for year, amount in placement_cost_by_year(placement).items()}
        assert {c.financial_year: c.amount for c in placement.commitments.all()} == expected
    assert SchoolPlacementCommitment.objects.exists()
    for placement in SchoolPlacement.objects.prefetch_related("uplifts", "commitments"):
        expected = {year.start_year: amount for year, amount in school_placement_cost_by_year(placement).items()}
        assert {c.financial_year: c.amount for c in placement.commitments.all()} == expected


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    generate("--seed", "7")
    first = synthetic.digest()
    generate("--seed", "7", "--flush")
    assert synthetic.digest() == first
    generate("--seed", "8", "--flush")
    assert synthetic.digest() != first


def test_flush_removes_synthetic_rows_and_nothing_else():
    real_child, real_provider = ChildFactory(), ProviderFactory()
    generate("--seed", "9")
    call_command("generate_synthetic", "--scale", "0", "--flush", stdout=StringIO())
    connection.check_constraints()
    assert not synthetic.synthetic_data_present()
    assert list(Child.objects.all()) == [real_child]
    assert list(Provider.objects.all()) == [real_provider]
    assert not Invoice.objects.exists() and not Contract.objects.filter(reference__startswith="SYN-").exists()


def test_it_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("generate_synthetic", "--scale", "0", stdout=StringIO())
    call_command("generate_synthetic", "--scale", "0", "--force", stdout=StringIO())


def test_it_refuses_to_add_to_earlier_synthetic_data_without_flush():
    ChildFactory(ehcp_reference=f"{synthetic.SYN}2026-0000001")
    with pytest.raises(CommandError, match="--flush"):
        generate("--seed", "1")
