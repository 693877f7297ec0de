"""The rules of children's therapy: arranging, committing, invoicing, disputing and reviewing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from contracts.models import Contract
from core.models import FundingSource, Transition
from core.periods import FinancialYear
from placements import services
from placements.models import Dispute, Invoice, Placement, PlacementCommitment, Referral
from tests.contracts.factories import ContractFactory
from tests.placements.factories import (
    ChildFactory,
    InvoiceFactory,
    PlacementFactory,
    ProvisionFactory,
    ReferralFactory,
    qpl_call_off,
    qpl_provider,
)
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db


def commitments(placement) -> dict[str, Decimal]:
    return {
        FinancialYear(c.financial_year).label: c.amount
        for c in PlacementCommitment.objects.filter(placement=placement).order_by("financial_year")
    }


# Arranging --------------------------------------------------------------------------------------


def test_a_qpl_call_off_takes_the_rate_in_force_and_places_the_referral(officer):
    provider = qpl_provider(rate="72.50")
    referral = ReferralFactory(referred_on=date(2024, 5, 1))
    placement = services.placement_arrange(
        provision=referral.provision,
        referral=referral,
        arrangement=Placement.Arrangement.QPL_CALL_OFF,
        provider=provider,
        user=officer,
        start_date=date(2024, 9, 2),
        end_date=date(2025, 7, 18),
        units_per_week=Decimal("1"),
    )
    assert placement.status == Placement.Status.PROPOSED
    assert placement.rate == Decimal("72.50")
    assert placement.membership.provider_list.kind == "qpl"
    assert not PlacementCommitment.objects.filter(placement=placement).exists()  # proposed commits nothing

    services.placement_activate(placement=placement, user=officer)
    referral.refresh_from_db()
    assert referral.stage == Referral.Stage.PLACED
    assert referral.waiting_ended_on == date(2024, 9, 2)
    assert referral.weeks_waiting() == 17  # 1 May to 2 September 2024, whole weeks
    moves = Transition.objects.filter(object_id=placement.pk, content_type__model="placement")
    assert [(m.from_state, m.to_state, m.actor) for m in moves] == [
        ("", "proposed", officer),
        ("proposed", "active", officer),
    ]


def test_a_call_off_from_a_provider_off_the_qpl_is_refused(officer):
    provider = ProviderFactory()
    provision = ProvisionFactory()
    with pytest.raises(ValidationError) as error:
        services.placement_arrange(
            provision=provision,
            arrangement=Placement.Arrangement.QPL_CALL_OFF,
            provider=provider,
            user=officer,
            start_date=date(2024, 9, 1),
            end_date=date(2025, 3, 31),
            units_per_week=Decimal("1"),
        )
    assert "spot purchase" in error.value.message_dict["provider"][0]
    assert not Placement.objects.exists()


def test_a_spot_purchase_needs_a_reason_and_a_provider_off_the_qpl(officer):
    provision = ProvisionFactory()
    kwargs = {
        "provision": provision,
        "arrangement": Placement.Arrangement.SPOT_PURCHASE,
        "user": officer,
        "start_date": date(2024, 9, 1),
        "end_date": date(2025, 3, 31),
        "units_per_week": Decimal("1"),
        "rate": Decimal("95.00"),
    }
    with pytest.raises(ValidationError) as error:
        services.placement_arrange(provider=ProviderFactory(), **kwargs)
    assert "spot_reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.placement_arrange(provider=qpl_provider(), spot_reason="tribunal_named", **kwargs)
    assert "on the QPL" in error.value.message_dict["provider"][0]
    placement = services.placement_arrange(provider=ProviderFactory(), spot_reason="tribunal_named", **kwargs)
    assert placement.is_off_qpl


def test_a_personal_budget_has_no_provider_and_commits_its_amount_by_days(officer):
    provision = ProvisionFactory(start_date=date(2023, 9, 1))
    placement = services.placement_arrange(
        provision=provision,
        arrangement=Placement.Arrangement.PERSONAL_BUDGET,
        user=officer,
        start_date=date(2024, 1, 1),
        end_date=date(2024, 12, 31),
        units_per_week=Decimal("1"),
        budget_amount=Decimal("3660.00"),
        budget_signed_on=date(2023, 12, 1),
        budget_review_on=date(2024, 7, 1),
    )
    assert placement.provider is None and placement.rate is None
    services.placement_activate(placement=placement, user=officer)
    # 2024 is a leap year: 91 days (1 Jan to 31 Mar) of 366 fall in 2023-24.
    assert commitments(placement) == {"2023-24": Decimal("910.00"), "2024-25": Decimal("2750.00")}
    assert placement.review_due_on == date(2024, 7, 1)


def test_a_personal_budget_needs_the_agreement(officer):
    with pytest.raises(ValidationError) as error:
        services.placement_arrange(
            provision=ProvisionFactory(start_date=date(2023, 9, 1)),
            arrangement=Placement.Arrangement.PERSONAL_BUDGET,
            user=officer,
            start_date=date(2024, 1, 1),
            end_date=date(2024, 12, 31),
            units_per_week=Decimal("1"),
            budget_amount=Decimal("-5"),
        )
    assert set(error.value.message_dict) == {"budget_amount", "budget_signed_on", "budget_review_on"}


def test_an_nhs_contract_arrangement_needs_a_live_contract_and_uses_its_supplier(officer):
    contract = ContractFactory(
        start_date=date(2024, 4, 1),
        end_date=date(2025, 8, 31),
        status=Contract.Status.ACTIVE,
        funding_source=FundingSource.POOLED,
    )
    provision = ProvisionFactory()
    placement = services.placement_arrange(
        provision=provision,
        arrangement=Placement.Arrangement.NHS_CONTRACT,
        contract=contract,
        user=officer,
        start_date=date(2024, 9, 1),
        end_date=date(2025, 7, 31),
        units_per_week=Decimal("1"),
        funding_source=FundingSource.GENERAL_FUND,  # ignored: paid as the contract is
    )
    assert placement.provider == contract.supplier and placement.rate == Decimal("0.00")
    assert placement.funding_source == FundingSource.POOLED
    with pytest.raises(ValidationError) as error:
        services.placement_arrange(
            provision=provision,
            arrangement=Placement.Arrangement.NHS_CONTRACT,
            contract=contract,
            user=officer,
            start_date=date(2025, 4, 1),
            end_date=date(2025, 12, 31),
            units_per_week=Decimal("1"),
        )
    assert "contract" in error.value.message_dict


def test_a_placement_is_paid_from_the_high_needs_block_unless_another_budget_is_named(officer):
    provider = ProviderFactory()
    arrange = {
        "arrangement": Placement.Arrangement.SPOT_PURCHASE,
        "provider": provider,
        "spot_reason": Placement.SpotReason.PARENTAL_PREFERENCE,
        "rate": Decimal("60.00"),
        "user": officer,
        "start_date": date(2024, 9, 1),
        "end_date": date(2025, 7, 31),
        "units_per_week": Decimal("1"),
    }
    assert services.placement_arrange(provision=ProvisionFactory(), **arrange).funding_source == "dsg_high_needs"
    social_care = services.placement_arrange(
        provision=ProvisionFactory(), funding_source=FundingSource.GENERAL_FUND, **arrange
    )
    assert social_care.funding_source == "general_fund"
    before = Placement.objects.count()
    with pytest.raises(ValidationError) as error:
        services.placement_arrange(provision=ProvisionFactory(), funding_source="lottery", **arrange)
    assert error.value.message_dict["funding_source"] == ["Choose the budget that pays for the placement."]
    assert Placement.objects.count() == before


def test_bought_before_the_qpl_opened_is_a_reason_only_for_placements_that_started_before_it(officer):
    arrange = {
        "arrangement": Placement.Arrangement.SPOT_PURCHASE,
        "provider": ProviderFactory(),
        "spot_reason": Placement.SpotReason.BEFORE_QPL,
        "rate": Decimal("55.00"),
        "user": officer,
        "end_date": date(2022, 3, 31),
        "units_per_week": Decimal("1"),
    }
    early = ProvisionFactory(start_date=date(2020, 9, 1), end_date=date(2022, 3, 31))
    placement = services.placement_arrange(provision=early, start_date=date(2021, 8, 31), **arrange)
    assert placement.get_spot_reason_display() == "Bought before the QPL opened"  # the QPL opened on 1 September 2021
    before = Placement.objects.count()
    with pytest.raises(ValidationError) as error:
        services.placement_arrange(provision=early, start_date=date(2021, 9, 1), **arrange)
    assert "The QPL was open on the start date" in error.value.message_dict["spot_reason"][0]
    assert Placement.objects.count() == before


def test_a_placement_cannot_end_before_it_starts_or_leave_its_provision(officer):
    provision = ProvisionFactory(start_date=date(2024, 4, 1), end_date=date(2025, 3, 31))
    for start, end, field in (
        (date(2024, 9, 1), date(2024, 8, 1), "end_date"),
        (date(2024, 3, 1), date(2024, 8, 1), "start_date"),
        (date(2024, 9, 1), date(2025, 4, 30), "end_date"),
    ):
        with pytest.raises(ValidationError) as error:
            services.placement_arrange(
                provision=provision,
                arrangement=Placement.Arrangement.SPOT_PURCHASE,
                provider=ProviderFactory(),
                spot_reason="parental_preference",
                rate=Decimal("60"),
                user=officer,
                start_date=start,
                end_date=end,
                units_per_week=Decimal("1"),
            )
        assert field in error.value.message_dict
    assert not Placement.objects.exists()


def test_the_database_holds_the_placement_invariants():
    placement = PlacementFactory()
    for change in (
        {"end_date": date(2024, 1, 1)},  # before the start
        {"rate": Decimal("-1")},
        {"arrangement": "personal_budget"},  # with a provider and a rate
        {"spot_reason": ""},  # a spot purchase with no reason
        {"status": "ended"},  # ended with no reason
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Placement.objects.filter(pk=placement.pk).update(**change)


# Committed cost ---------------------------------------------------------------------------------


def test_committed_cost_splits_across_the_financial_year_boundary(officer):
    # £73 an hour, 1 hour a week, 38 weeks a year: £2,774 a year of 365 days.
    # 1 January to 30 April 2025 is 120 days: £2,774 x 120 / 365 = £912.00 (to the penny),
    # 90 days of it (January to March) in 2024-25 and 30 (April) in 2025-26.
    placement = PlacementFactory(start_date=date(2025, 1, 1), end_date=date(2025, 4, 30), rate=Decimal("73.00"))
    assert commitments(placement) == {"2024-25": Decimal("684.00"), "2025-26": Decimal("228.00")}


def test_a_one_day_placement_on_31_march_and_1_april(officer):
    last_day = PlacementFactory(start_date=date(2025, 3, 31), end_date=date(2025, 4, 1), rate=Decimal("365.00"))
    # £365 x 38 weeks x 2 days / 365 = £76: one day each side of the boundary.
    assert commitments(last_day) == {"2024-25": Decimal("38.00"), "2025-26": Decimal("38.00")}


def test_a_rate_change_applies_from_its_date(officer):
    placement = PlacementFactory(start_date=date(2024, 4, 1), end_date=date(2025, 3, 31), rate=Decimal("73.00"))
    assert commitments(placement) == {"2024-25": Decimal("2774.00")}
    services.placement_vary_rate(
        placement=placement, effective_from=date(2024, 10, 1), rate=Decimal("146.00"), reason="Uplift", user=officer
    )
    # 183 days at £73 (£1,390.80) and 182 days at £146 (£2,766.40)
    assert commitments(placement) == {"2024-25": Decimal("4157.20")}
    assert services.placement_rate_on(placement, date(2024, 9, 30)) == Decimal("73.00")
    assert services.placement_rate_on(placement, date(2024, 10, 1)) == Decimal("146.00")
    with pytest.raises(ValidationError):
        services.placement_vary_rate(
            placement=placement, effective_from=date(2024, 4, 1), rate=Decimal("1"), reason="x", user=officer
        )


def test_ending_early_reduces_the_commitment_and_cancelling_removes_it(officer):
    placement = PlacementFactory(start_date=date(2024, 4, 1), end_date=date(2025, 3, 31), rate=Decimal("73.00"))
    services.placement_end(placement=placement, end_date=date(2024, 6, 30), reason="outcomes_met", user=officer)
    placement.refresh_from_db()
    assert placement.status == Placement.Status.ENDED and placement.end_reason == "outcomes_met"
    assert commitments(placement) == {"2024-25": Decimal("691.60")}  # 91 days
    with pytest.raises(ValidationError):
        services.placement_end(placement=placement, end_date=date(2024, 6, 1), reason="other", user=officer)
    other = PlacementFactory()
    services.placement_cancel(placement=other, reason="Family moved before it started", user=officer)
    assert commitments(other) == {}


def test_ending_before_the_last_invoiced_day_is_refused(officer):
    invoice = InvoiceFactory(period_start=date(2024, 4, 1), period_end=date(2024, 6, 30))
    with pytest.raises(ValidationError) as error:
        services.placement_end(placement=invoice.placement, end_date=date(2024, 5, 31), reason="other", user=officer)
    assert "Invoices" in error.value.message_dict["end_date"][0]


# The waiting list -------------------------------------------------------------------------------


def test_one_waiting_referral_per_provision_and_closing_needs_a_reason(officer):
    provision = ProvisionFactory()
    referral = services.referral_create(provision=provision, referred_on=date(2024, 5, 1), user=officer)
    with pytest.raises(ValidationError):
        services.referral_create(provision=provision, referred_on=date(2024, 6, 1), user=officer)
    with pytest.raises(ValidationError) as error:
        services.referral_move(referral=referral, stage="closed", user=officer)
    assert "reason" in error.value.message_dict
    services.referral_move(
        referral=referral, stage="closed", user=officer, on=date(2024, 7, 1), reason="Parent declined"
    )
    referral.refresh_from_db()
    assert referral.waiting_ended_on == date(2024, 7, 1) and referral.weeks_waiting() == 8
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(stage="awaiting_assessment")  # waiting, yet its wait ended


def test_cancelling_the_only_placement_puts_the_referral_back_on_the_list(officer):
    referral = ReferralFactory()
    placement = qpl_call_off(provision=referral.provision, provider=qpl_provider(), user=officer, activate=False)
    Placement.objects.filter(pk=placement.pk).update(referral=referral)
    placement.refresh_from_db()
    services.placement_activate(placement=placement, user=officer)
    services.placement_cancel(placement=placement, reason="Provider could not start", user=officer)
    referral.refresh_from_db()
    assert referral.is_waiting and referral.waiting_ended_on is None


# Invoices ---------------------------------------------------------------------------------------


def invoice(placement, user, **overrides):
    values = {
        "number": "A-100",
        "period_start": date(2024, 9, 1),
        "period_end": date(2024, 9, 30),
        "units_delivered": Decimal("4"),
        "amount": Decimal("280.00"),
    }
    values.update(overrides)
    return services.invoice_submit(placement=placement, user=user, **values)


@pytest.fixture
def call_off(officer):
    provision = ProvisionFactory(start_date=date(2024, 4, 1))
    return qpl_call_off(provision=provision, provider=qpl_provider(rate="70.00"), user=officer)


def test_an_invoice_matching_units_times_rate_is_clean_and_approval_makes_it_actual_spend(call_off, officer):
    provider_user = call_off.provider.users.create(email="billing@provider.example.org")
    bill = invoice(call_off, provider_user)
    assert bill.expected_amount == Decimal("280.00") and not bill.has_discrepancy
    services.invoice_approve(invoice=bill, user=officer)
    services.invoice_mark_paid(invoice=bill, user=officer, paid_on=timezone.localdate(), payment_reference="BACS-1")
    bill.refresh_from_db()
    assert bill.status == Invoice.Status.PAID
    assert [t.to_state for t in Transition.objects.filter(content_type__model="invoice", object_id=bill.pk)] == [
        "submitted",
        "approved",
        "paid",
    ]


def test_an_amount_that_is_not_units_times_rate_is_flagged_and_needs_a_reason_to_approve(call_off, officer):
    bill = invoice(call_off, officer, amount=Decimal("300.00"))
    assert bill.has_discrepancy and "£280.00" in bill.discrepancy_note
    with pytest.raises(ValidationError) as error:
        services.invoice_approve(invoice=bill, user=officer)
    assert "note" in error.value.message_dict
    services.invoice_approve(invoice=bill, user=officer, note="Includes an agreed report fee")
    bill.refresh_from_db()
    assert bill.status == Invoice.Status.APPROVED and bill.decision_note == "Includes an agreed report fee"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"period_start": date(2024, 8, 1), "period_end": date(2024, 8, 31)}, "period_start"),  # before the placement
        ({"period_start": date(2024, 9, 30), "period_end": date(2024, 9, 1)}, "period_end"),
        ({"amount": Decimal("-1")}, "amount"),
        ({"units_delivered": Decimal("-1")}, "units_delivered"),
        ({"period_end": timezone.localdate() + timedelta(days=40), "period_start": date(2024, 9, 1)}, "period_end"),
    ],
)
def test_bad_invoices_are_refused_and_change_nothing(call_off, officer, overrides, field):
    with pytest.raises(ValidationError) as error:
        invoice(call_off, officer, **overrides)
    assert field in error.value.message_dict
    assert not Invoice.objects.exists()


def test_a_duplicate_invoice_number_is_refused_even_on_another_placement(call_off, officer):
    invoice(call_off, officer, number="A-7")
    second = qpl_call_off(provision=ProvisionFactory(), provider=call_off.provider, user=officer)
    with pytest.raises(ValidationError) as error:
        invoice(second, officer, number="a-7", period_start=date(2024, 10, 1), period_end=date(2024, 10, 31))
    assert "number" in error.value.message_dict
    assert Invoice.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database holds it, whatever the case
        Invoice.objects.bulk_create(
            [InvoiceFactory.build(placement=second, provider=call_off.provider, number="a-7", submitted_by=officer)]
        )


def test_an_overlapping_period_is_flagged(call_off, officer):
    invoice(call_off, officer, number="A-1")
    second = invoice(call_off, officer, number="A-2", period_start=date(2024, 9, 15), period_end=date(2024, 10, 14))
    assert second.has_discrepancy and "overlaps invoice A-1" in second.discrepancy_note


def test_an_invoice_uses_the_rate_in_force_at_the_start_of_its_period(call_off, officer):
    services.placement_vary_rate(
        placement=call_off, effective_from=date(2024, 10, 1), rate=Decimal("75.00"), reason="Uplift", user=officer
    )
    bill = invoice(
        call_off, officer, period_start=date(2024, 10, 1), period_end=date(2024, 10, 31), amount=Decimal("300")
    )
    assert bill.expected_amount == Decimal("300.00") and not bill.has_discrepancy


def test_a_disputed_invoice_is_resolved_by_approving_or_rejecting_it(call_off, officer):
    bill = invoice(call_off, officer)
    dispute = services.invoice_dispute(
        invoice=bill, user=officer, category="financial_discrepancy", description="Two sessions were cancelled"
    )
    bill.refresh_from_db()
    assert bill.status == Invoice.Status.DISPUTED and dispute.is_open
    with pytest.raises(ValidationError) as error:
        services.dispute_resolve(dispute=dispute, outcome="Credit note agreed", user=officer)
    assert "invoice_decision" in error.value.message_dict
    services.dispute_resolve(dispute=dispute, outcome="Credit note agreed", user=officer, invoice_decision="reject")
    bill.refresh_from_db()
    dispute.refresh_from_db()
    assert bill.status == Invoice.Status.REJECTED and not dispute.is_open
    with pytest.raises(ValidationError):
        services.invoice_approve(invoice=bill, user=officer)


def test_the_dispute_rate_counts_placements_that_were_disputed(officer):
    from placements.selectors import provider_dispute_rate

    provider = ProviderFactory()
    placements = PlacementFactory.create_batch(4, provider=provider)
    services.dispute_raise(placement=placements[0], category="protocol", description="No notes sent", user=officer)
    services.dispute_raise(placement=placements[0], category="quality", description="Late", user=officer)
    assert provider_dispute_rate(provider=provider) == {
        "placements": 4,
        "disputed": 1,
        "disputes": 2,
        "open": 2,
        "rate": Decimal("25.0"),
    }
    assert Dispute.objects.open().count() == 2


# Reviews ----------------------------------------------------------------------------------------


def test_a_review_sets_the_next_one_and_stop_ends_the_placement(officer):
    placement = PlacementFactory(start_date=date(2024, 4, 1), end_date=date(2025, 3, 31))
    services.review_record(
        placement=placement,
        held_on=date(2024, 10, 1),
        outcomes="Using two-word phrases",
        effectiveness="effective",
        decision="continue",
        next_review_on=date(2025, 1, 15),
        user=officer,
    )
    placement.refresh_from_db()
    assert placement.review_due_on == date(2025, 1, 15)
    with pytest.raises(ValidationError) as error:
        services.review_record(
            placement=placement,
            held_on=date(2025, 1, 15),
            outcomes="Targets met",
            effectiveness="effective",
            decision="stop",
            user=officer,
        )
    assert "end_date" in error.value.message_dict
    services.review_record(
        placement=placement,
        held_on=date(2025, 1, 15),
        outcomes="Targets met",
        effectiveness="effective",
        decision="stop",
        end_date=date(2025, 1, 31),
        user=officer,
    )
    placement.refresh_from_db()
    assert placement.status == Placement.Status.ENDED and placement.end_reason == "review_stopped"
    assert placement.end_date == date(2025, 1, 31) and placement.review_due_on is None


def test_a_child_cannot_be_born_in_the_future_and_ehcp_references_are_unique(officer):
    from core.models import District

    data = {
        "first_name": "Wren",
        "last_name": "Testchild",
        "date_of_birth": timezone.localdate() + timedelta(days=1),
        "ehcp_reference": "ehcp-1",
        "district": District.objects.get(name="Dover"),
    }
    with pytest.raises(ValidationError):
        services.child_create(data=data, user=officer)
    data["date_of_birth"] = date(2016, 2, 29)
    child = services.child_create(data=data, user=officer)
    assert child.ehcp_reference == "EHCP-1" and child.pseudonym.startswith("C-") and str(child) == child.pseudonym
    with pytest.raises(ValidationError) as error:
        services.child_create(data={**data, "first_name": "Other"}, user=officer)
    assert "ehcp_reference" in error.value.message_dict
    assert ChildFactory().pseudonym != child.pseudonym


def test_only_the_placements_provider_invoices_it_and_only_the_council_records_family_payments(
    call_off, officer, provider_b_user
):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        invoice(call_off, provider_b_user)
    budget = services.placement_arrange(
        provision=ProvisionFactory(start_date=date(2024, 4, 1)),
        arrangement=Placement.Arrangement.PERSONAL_BUDGET,
        user=officer,
        start_date=date(2024, 9, 1),
        end_date=date(2025, 3, 31),
        units_per_week=Decimal("1"),
        budget_amount=Decimal("1200"),
        budget_signed_on=date(2024, 8, 1),
        budget_review_on=date(2025, 1, 1),
    )
    services.placement_activate(placement=budget, user=officer)
    with pytest.raises(PermissionDenied):
        invoice(budget, provider_b_user)
    payment = invoice(budget, officer, number="FAM-1", amount=Decimal("400"), units_delivered=Decimal("0"))
    assert payment.provider is None and payment.expected_amount is None
    assert not Invoice.objects.filter(submitted_by=provider_b_user).exists()


def test_a_provision_summary_reads_naturally():
    assert ProvisionFactory(amount=Decimal("1")).summary == "Speech and language therapy: 1 hour a week"
    assert ProvisionFactory(amount=Decimal("1.5"), unit="session").summary.endswith("1.5 sessions a week")
