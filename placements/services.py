"""Writes for children's therapy: records, provision, the waiting list, placements, invoices, disputes, reviews.

Every function here is the one place its rule lives: pages, the API and tasks all call it. Each
state change is recorded (core.Transition: who, when, from, to, why) in the same transaction.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract
from core.models import FundingSource, User
from core.money import ZERO, round_to_penny
from core.periods import FinancialYear, days_inclusive, prorate_by_financial_year
from core.roles import Role
from core.services import notification_send, transition_record, users_with_role
from providers.models import Lot, Membership, Provider, ProviderList
from providers.selectors import price_in_force

from .models import (
    DAYS_A_YEAR,
    BlockContract,
    Child,
    Dispute,
    FeeUplift,
    Invitation,
    Invoice,
    NmissHistoricalSpend,
    Offer,
    PersonalBudget,
    Placement,
    PlacementCommitment,
    PlacementRequest,
    PlacementVariation,
    Provision,
    Referral,
    Review,
    SchoolPlacement,
    SchoolPlacementCommitment,
)

DEFAULT_REVIEW_MONTHS = 6
CHILD_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "ehcp_reference",
    "district",
    "school_name",
    "school_urn",
    "primary_need",
    "status",
)
PROVISION_FIELDS = (
    "section",
    "therapy_type",
    "amount",
    "unit",
    "frequency",
    "weeks_per_year",
    "start_date",
    "end_date",
    "review_date",
    "source",
    "description",
)


def _save(instance, *, exclude=None):
    """full_clean (which runs the Meta constraints), then save; a race on a unique value is a clear error too."""
    instance.full_clean(exclude=exclude)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"__all__": "That conflicts with a record saved a moment ago. Check and try again."}
        ) from exc
    return instance


# Children ---------------------------------------------------------------------------------------


@transaction.atomic
def child_create(*, data: dict, user: User) -> Child:
    """Record a child with a plan. The EHCP reference is unique; the pseudonym is generated once, for good."""
    child = Child(**{k: v for k, v in data.items() if k in CHILD_FIELDS})
    child.ehcp_reference = child.ehcp_reference.strip().upper()
    if child.date_of_birth and child.date_of_birth > timezone.localdate():
        raise ValidationError({"date_of_birth": "The date of birth must be in the past."})
    return _save(child)


@transaction.atomic
def child_update(*, child: Child, data: dict, user: User) -> Child:
    child = Child.objects.select_for_update().get(pk=child.pk)
    previous = child.status
    for field, value in data.items():
        if field in CHILD_FIELDS:
            setattr(child, field, value)
    child.ehcp_reference = child.ehcp_reference.strip().upper()
    if child.date_of_birth > timezone.localdate():
        raise ValidationError({"date_of_birth": "The date of birth must be in the past."})
    _save(child)
    if child.status != previous:
        transition_record(subject=child, from_state=previous, to_state=child.status, actor=user)
    return child


# Provision and the waiting list -----------------------------------------------------------------


@transaction.atomic
def provision_save(*, child: Child, data: dict, user: User, provision: Provision | None = None) -> Provision:
    """Add or change a line of the child's plan (Section F or G)."""
    if provision is None:
        provision = Provision(child=child)
    else:
        provision = Provision.objects.select_for_update().get(pk=provision.pk, child=child)
    for field, value in data.items():
        if field in PROVISION_FIELDS:
            setattr(provision, field, value)
    _save(provision)
    later = provision.placements.exclude(status=Placement.Status.CANCELLED)
    if provision.end_date and later.filter(start_date__gt=provision.end_date).exists():
        raise ValidationError({"end_date": "A placement for this provision starts after that date."})
    return provision


@transaction.atomic
def referral_create(*, provision: Provision, referred_on: date, user: User) -> Referral:
    """Put a provision line on the waiting list (one waiting referral per line, held by the database)."""
    if referred_on > timezone.localdate():
        raise ValidationError({"referred_on": "The referral date cannot be in the future."})
    if Referral.objects.waiting().filter(provision=provision).exists():
        raise ValidationError({"__all__": "This provision is already on the waiting list."})
    referral = _save(Referral(child_id=provision.child_id, provision=provision, referred_on=referred_on))
    transition_record(
        subject=referral, from_state="", to_state=referral.stage, actor=user, field="stage", reason="Referred"
    )
    return referral


@transaction.atomic
def referral_move(
    *, referral: Referral, stage: str, user: User | None, on: date | None = None, reason: str = ""
) -> Referral:
    """Move a referral along the waiting list. Placing or closing it stops the wait on `on` (today by default)."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if stage not in Referral.Stage.values:
        raise ValidationError({"stage": "Choose a stage."})
    if referral.stage == stage:
        return referral
    if not referral.is_waiting:
        raise ValidationError(
            {"stage": f"This referral is already {referral.get_stage_display().lower()}: refer the child again."}
        )
    if stage == Referral.Stage.CLOSED and not reason.strip():
        raise ValidationError({"reason": "Enter why the referral is closed."})
    on = on or timezone.localdate()
    previous = referral.stage
    referral.stage = stage
    if stage in (Referral.Stage.PLACED, Referral.Stage.CLOSED):
        referral.waiting_ended_on = max(on, referral.referred_on)
    if stage == Referral.Stage.CLOSED:
        referral.closed_reason = reason.strip()
    _save(referral)
    transition_record(
        subject=referral, from_state=previous, to_state=stage, actor=user, field="stage", reason=reason.strip()
    )
    return referral


# Placements: arranging --------------------------------------------------------------------------


LATEST_PLAUSIBLE_DATE = date(2099, 12, 31)


def _check_term(provision: Provision, start: date, end: date) -> None:
    errors = {}
    if end > LATEST_PLAUSIBLE_DATE or start > LATEST_PLAUSIBLE_DATE:
        errors["end_date"] = "Enter a date before 2100."
    elif end < start:
        errors["end_date"] = "The end date must be on or after the start date."
    if start < provision.start_date:
        errors["start_date"] = "The placement cannot start before the provision in the plan."
    if provision.end_date and end > provision.end_date:
        errors["end_date"] = "The placement cannot run past the end of the provision in the plan."
    if errors:
        raise ValidationError(errors)


def qpl_membership_on(provider: Provider, day: date) -> Membership | None:
    return (
        Membership.objects.admitted_on(day)
        .filter(provider=provider, provider_list__kind=ProviderList.Kind.QPL)
        .order_by("-admitted_on")
        .first()
    )


@transaction.atomic
def placement_arrange(
    *,
    provision: Provision,
    arrangement: str,
    user: User,
    start_date: date,
    end_date: date,
    units_per_week: Decimal,
    weeks_per_year: int | None = None,
    referral: Referral | None = None,
    provider: Provider | None = None,
    contract: Contract | None = None,
    rate: Decimal | None = None,
    spot_reason: str = "",
    spot_reason_detail: str = "",
    purchase_order: str = "",
    budget_amount: Decimal | None = None,
    budget_signed_on: date | None = None,
    budget_review_on: date | None = None,
    budget_paid_to: str = "",
    funding_source: str = "",
) -> Placement:
    """Arrange therapy for a provision line under one of the four arrangements. The placement starts proposed.

    It is paid from `funding_source` (default: the High Needs Block); under an NHS contract, from the contract's.

    - QPL call-off: the provider is admitted to the QPL on the start date and offers the therapy; the rate
      defaults to the price in force on the start date for the therapy and unit.
    - Spot purchase: the provider is not on the QPL then, and the reason is recorded (flagged non-QPL everywhere).
    - Personal budget: no provider; the signed agreement with the family (amount, signed on, review date).
    - NHS contract: the contract is live on the start date; its supplier delivers.
    """
    A = Placement.Arrangement
    if arrangement not in A.values:
        raise ValidationError({"arrangement": "Choose how the therapy is bought."})
    if referral is not None and referral.provision_id != provision.pk:
        raise ValidationError({"referral": "That referral is for another provision."})
    if referral is not None and not referral.is_waiting:
        raise ValidationError({"referral": "That referral is no longer waiting."})
    _check_term(provision, start_date, end_date)
    _check_funding_source(funding_source)
    if units_per_week is None or units_per_week < 0:
        raise ValidationError({"units_per_week": "Units a week cannot be negative."})
    placement = Placement(
        child_id=provision.child_id,
        provision=provision,
        referral=referral,
        arrangement=arrangement,
        start_date=start_date,
        end_date=end_date,
        unit=provision.unit,
        units_per_week=units_per_week,
        weeks_per_year=weeks_per_year or provision.weeks_per_year,
        purchase_order=purchase_order.strip(),
        funding_source=funding_source or FundingSource.HIGH_NEEDS,
        created_by=user,
        review_due_on=first_review_due(provision, start_date, end_date),
    )
    if rate is not None and rate < 0:
        raise ValidationError({"rate": "A rate cannot be negative."})
    if arrangement == A.QPL_CALL_OFF:
        if provider is None:
            raise ValidationError({"provider": "Choose a provider from the QPL."})
        membership = qpl_membership_on(provider, start_date)
        if membership is None:
            raise ValidationError(
                {"provider": f"{provider} is not admitted to the QPL on the start date: use a spot purchase instead."}
            )
        if not provider.therapy_types.filter(pk=provision.therapy_type_id).exists():
            raise ValidationError({"provider": f"{provider} does not offer {provision.therapy_type}."})
        price = price_in_force(
            provider=provider, therapy_type=provision.therapy_type, unit=provision.unit, on=start_date
        )
        if price is None:
            raise ValidationError(
                {"provider": f"{provider}'s prices in force on the start date have no rate for this therapy and unit."}
            )
        placement.provider, placement.membership = provider, membership
        placement.rate = price if rate is None else rate
    elif arrangement == A.SPOT_PURCHASE:
        if provider is None:
            raise ValidationError({"provider": "Choose the provider."})
        if qpl_membership_on(provider, start_date) is not None:
            raise ValidationError({"provider": f"{provider} is on the QPL: call them off the QPL instead."})
        if spot_reason not in [c for c in Placement.SpotReason.values if c]:
            raise ValidationError({"spot_reason": "Say why the QPL could not serve this child."})
        if (
            spot_reason == Placement.SpotReason.BEFORE_QPL
            and ProviderList.objects.filter(kind=ProviderList.Kind.QPL, opens_on__lte=start_date).exists()
        ):
            raise ValidationError(
                {"spot_reason": "The QPL was open on the start date: say why it could not serve this child."}
            )
        if rate is None:
            raise ValidationError({"rate": "Enter the agreed rate."})
        placement.provider, placement.rate = provider, rate
        placement.spot_reason, placement.spot_reason_detail = spot_reason, spot_reason_detail.strip()
    elif arrangement == A.NHS_CONTRACT:
        if contract is None:
            raise ValidationError({"contract": "Choose the contract."})
        if not contract.is_live_on(start_date) or end_date > contract.end_date:
            raise ValidationError({"contract": "The contract does not cover the whole placement."})
        placement.contract, placement.provider = contract, contract.supplier
        placement.funding_source = contract.funding_source
        placement.rate = ZERO if rate is None else rate  # block-funded: the contract's own value carries the cost
    else:  # personal budget
        errors = {}
        if budget_amount is None or budget_amount <= 0:
            errors["budget_amount"] = "Enter the amount agreed with the family."
        if budget_signed_on is None:
            errors["budget_signed_on"] = "Enter the date the agreement was signed."
        if budget_review_on is None:
            errors["budget_review_on"] = "Enter the date the budget will be reviewed."
        elif budget_signed_on and budget_review_on < budget_signed_on:
            errors["budget_review_on"] = "The review cannot be before the agreement is signed."
        if errors:
            raise ValidationError(errors)
        placement.review_due_on = budget_review_on
    _save(placement)
    if arrangement == A.PERSONAL_BUDGET:
        _save(
            PersonalBudget(
                placement=placement,
                amount=budget_amount,
                signed_on=budget_signed_on,
                review_on=budget_review_on,
                paid_to=budget_paid_to.strip() or PersonalBudget._meta.get_field("paid_to").default,
            )
        )
    transition_record(subject=placement, from_state="", to_state=placement.status, actor=user, reason="Arranged")
    return placement


def _check_funding_source(funding_source: str) -> None:
    """Blank means the default (the High Needs Block); anything else must be a known budget."""
    if funding_source and funding_source not in FundingSource.values:
        raise ValidationError({"funding_source": "Choose the budget that pays for the placement."})


def first_review_due(provision: Provision, start: date, end: date) -> date:
    """The first review: the plan's own review date if it falls in the term, else six months in (or the end)."""
    if provision.review_date and start <= provision.review_date <= end:
        return provision.review_date
    from core.periods import add_months

    return min(add_months(start, DEFAULT_REVIEW_MONTHS), end)


def _lock(placement: Placement) -> Placement:
    return (
        Placement.objects.select_for_update(of=("self",)).select_related("provision", "referral").get(pk=placement.pk)
    )


def _move(placement: Placement, to: str, user: User | None, reason: str = "") -> None:
    previous = placement.status
    placement.status = to
    _save(placement)
    transition_record(subject=placement, from_state=previous, to_state=to, actor=user, reason=reason)


@transaction.atomic
def placement_activate(*, placement: Placement, user: User, purchase_order: str = "") -> Placement:
    """Proposed -> active: the therapy is commissioned. The referral (if any) is placed; its wait ends at the start."""
    placement = _lock(placement)
    if placement.status != Placement.Status.PROPOSED:
        raise ValidationError({"__all__": f"This placement is already {placement.get_status_display().lower()}."})
    if purchase_order.strip():
        placement.purchase_order = purchase_order.strip()
    _move(placement, Placement.Status.ACTIVE, user, "Activated")
    if placement.referral_id and placement.referral.is_waiting:
        referral_move(
            referral=placement.referral,
            stage=Referral.Stage.PLACED,
            user=user,
            on=placement.start_date,
            reason="Placed",
        )
    placement_commitments_refresh(placement=placement)
    if placement.provider_id:
        notification_send(
            recipients=placement.provider.users.all(),
            kind="placement-active",
            title=f"Placement #{placement.pk} is confirmed",
            body=f"It runs from {placement.start_date:%-d %B %Y} to {placement.end_date:%-d %B %Y}.",
            url=placement.get_absolute_url(),
        )
    return placement


@transaction.atomic
def placement_end(*, placement: Placement, end_date: date, reason: str, user: User | None, note: str = "") -> Placement:
    """Active -> ended on `end_date` (the last funded day, inclusive), with a reason. Refuses a date before
    the start, after the agreed end, or before the last day already invoiced."""
    placement = _lock(placement)
    if placement.status != Placement.Status.ACTIVE:
        raise ValidationError(
            {"__all__": f"Only an active placement can be ended; this one is {placement.get_status_display().lower()}."}
        )
    if reason not in [c for c in Placement.EndReason.values if c]:
        raise ValidationError({"reason": "Choose why the placement ends."})
    if end_date < placement.start_date:
        raise ValidationError({"end_date": "A placement cannot end before it starts."})
    if end_date > placement.end_date:
        raise ValidationError({"end_date": "To run longer than agreed, arrange a new placement."})
    invoiced = placement.invoices.exclude(status=Invoice.Status.REJECTED).filter(period_end__gt=end_date)
    if invoiced.exists():
        raise ValidationError({"end_date": "Invoices already cover days after that date."})
    placement.end_date, placement.end_reason = end_date, reason
    _move(placement, Placement.Status.ENDED, user, note.strip() or Placement.EndReason(reason).label)
    placement_commitments_refresh(placement=placement)
    return placement


@transaction.atomic
def placement_cancel(*, placement: Placement, reason: str, user: User) -> Placement:
    """Proposed or active with nothing invoiced -> cancelled: nothing is committed. A placed referral waits again."""
    placement = _lock(placement)
    if placement.status not in (Placement.Status.PROPOSED, Placement.Status.ACTIVE):
        raise ValidationError({"__all__": f"This placement is already {placement.get_status_display().lower()}."})
    if not reason.strip():
        raise ValidationError({"reason": "Enter why the placement is cancelled."})
    if placement.invoices.exclude(status=Invoice.Status.REJECTED).exists():
        raise ValidationError({"__all__": "This placement has invoices: end it instead of cancelling it."})
    _move(placement, Placement.Status.CANCELLED, user, reason.strip())
    referral = placement.referral
    if (
        referral
        and referral.stage == Referral.Stage.PLACED
        and not referral.placements.filter(status=Placement.Status.ACTIVE).exists()
    ):
        previous = referral.stage
        referral.stage, referral.waiting_ended_on = Referral.Stage.AWAITING_INTERVENTION, None
        _save(referral)
        transition_record(
            subject=referral,
            from_state=previous,
            to_state=referral.stage,
            actor=user,
            field="stage",
            reason=f"Placement #{placement.pk} cancelled",
        )
    placement_commitments_refresh(placement=placement)
    return placement


@transaction.atomic
def placement_vary_rate(
    *, placement: Placement, effective_from: date, rate: Decimal, reason: str, user: User, decision_reference: str = ""
) -> PlacementVariation:
    """A dated rate change: from `effective_from` (inside the term, after the first day) the new rate applies."""
    placement = _lock(placement)
    if placement.arrangement == Placement.Arrangement.PERSONAL_BUDGET:
        raise ValidationError({"__all__": "A personal budget has no rate: change the agreement instead."})
    if placement.status not in (Placement.Status.PROPOSED, Placement.Status.ACTIVE):
        raise ValidationError({"__all__": "Only a proposed or active placement's rate can change."})
    if not (placement.start_date < effective_from <= placement.end_date):
        raise ValidationError(
            {"effective_from": "The change must take effect after the first day and within the term."}
        )
    if rate is None or rate < 0:
        raise ValidationError({"rate": "A rate cannot be negative."})
    if not reason.strip():
        raise ValidationError({"reason": "Enter the reason for the change."})
    if placement.variations.filter(effective_from=effective_from).exists():
        raise ValidationError({"effective_from": "A change already takes effect on that day."})
    variation = _save(
        PlacementVariation(
            placement=placement,
            effective_from=effective_from,
            rate=rate,
            reason=reason.strip(),
            decision_reference=decision_reference.strip(),
            created_by=user,
        )
    )
    placement_commitments_refresh(placement=placement)
    return variation


# Committed cost ---------------------------------------------------------------------------------


def placement_rate_on(placement: Placement, day: date, variations=None) -> Decimal | None:
    """The rate in force on `day`: the latest variation effective on or before it, else the agreed rate."""
    variations = placement.variations.all() if variations is None else variations
    rate = placement.rate
    for variation in sorted(variations, key=lambda v: v.effective_from):
        if variation.effective_from <= day:
            rate = variation.rate
    return rate


def placement_cost_by_year(placement: Placement, variations=None) -> dict[FinancialYear, Decimal]:
    """The committed cost of a placement split across financial years.

    A rate-based placement costs rate x units a week x weeks a year for each year of 365 days of
    its term, worked out per stretch between rate changes; a personal budget is the amount agreed
    for the term. Each stretch is split across financial years by days (core.periods).
    """
    if placement.status in (Placement.Status.PROPOSED, Placement.Status.CANCELLED):
        return {}
    if placement.arrangement == Placement.Arrangement.PERSONAL_BUDGET:
        return prorate_by_financial_year(placement.personal_budget.amount, placement.start_date, placement.end_date)
    variations = sorted(
        placement.variations.all() if variations is None else variations, key=lambda v: v.effective_from
    )
    changes = [(placement.start_date, placement.rate)] + [
        (v.effective_from, v.rate) for v in variations if placement.start_date < v.effective_from <= placement.end_date
    ]
    shares: dict[FinancialYear, Decimal] = {}
    for index, (start, rate) in enumerate(changes):
        end = changes[index + 1][0] - timedelta(days=1) if index + 1 < len(changes) else placement.end_date
        days = days_inclusive(start, end)
        cost = round_to_penny(rate * placement.units_per_week * placement.weeks_per_year * Decimal(days) / DAYS_A_YEAR)
        for year, share in prorate_by_financial_year(cost, start, end).items():
            shares[year] = shares.get(year, ZERO) + share
    return shares


def placement_commitments_refresh(*, placement: Placement) -> list[PlacementCommitment]:
    """Rewrite the placement's committed cost per financial year (called by every service that changes it)."""
    placement = Placement.objects.select_related("personal_budget").get(pk=placement.pk)
    PlacementCommitment.objects.filter(placement=placement).delete()
    return PlacementCommitment.objects.bulk_create(
        PlacementCommitment(placement=placement, financial_year=year.start_year, amount=amount)
        for year, amount in sorted(placement_cost_by_year(placement).items())
    )


@transaction.atomic
def personal_budget_update(
    *, budget: PersonalBudget, user: User, amount: Decimal, review_on: date, notes: str = ""
) -> PersonalBudget:
    budget = PersonalBudget.objects.select_for_update().get(pk=budget.pk)
    budget.amount, budget.review_on, budget.notes = amount, review_on, notes
    _save(budget)
    Placement.objects.filter(pk=budget.placement_id).update(review_due_on=review_on)
    placement_commitments_refresh(placement=budget.placement)
    return budget


# Invoices ---------------------------------------------------------------------------------------


@transaction.atomic
def invoice_submit(
    *,
    placement: Placement,
    number: str,
    period_start: date,
    period_end: date,
    units_delivered: Decimal,
    amount: Decimal,
    user: User,
) -> Invoice:
    """A provider's invoice for one placement (or an officer recording a payment to a family).

    Only the placement's own provider submits its invoices (or an officer recording one received on paper);
    only the council records payments to a family. Refused: a period outside the placement, a number the
    provider has used before, negative figures.
    Flagged, not refused: an amount that is not units x the rate in force, or a period another invoice covers.
    """
    placement = Placement.objects.select_related("provider").get(pk=placement.pk)
    family_payment = placement.arrangement == Placement.Arrangement.PERSONAL_BUDGET
    if user.provider_id and user.provider_id != placement.provider_id:
        raise PermissionDenied("A provider invoices only its own placements.")
    if family_payment and user.provider_id:
        raise PermissionDenied("Payments to families are recorded by the council.")
    if not family_payment and not user.provider_id and not user.has_perm("placements.decide_invoice"):
        raise PermissionDenied("Only the provider, or an officer recording its invoice, may submit it.")
    number = number.strip()
    errors = {}
    if not number:
        errors["number"] = "Enter the invoice number."
    if placement.status not in (Placement.Status.ACTIVE, Placement.Status.ENDED):
        errors["__all__"] = "Only an active or ended placement can be invoiced."
    if period_end < period_start:
        errors["period_end"] = "The period cannot end before it starts."
    elif period_start < placement.start_date or period_end > placement.end_date:
        term = f"{placement.start_date:%-d %B %Y} to {placement.end_date:%-d %B %Y}"
        errors["period_start"] = f"The period must be inside the placement, {term}."
    if period_end > timezone.localdate():
        errors["period_end"] = "You cannot invoice for days that have not happened yet."
    if units_delivered is None or units_delivered < 0:
        errors["units_delivered"] = "Units delivered cannot be negative."
    if amount is None or amount < 0:
        errors["amount"] = "The amount cannot be negative."
    if number and _number_used(placement, number):
        errors["number"] = "An invoice with that number has already been sent."
    if errors:
        raise ValidationError(errors)
    invoice = Invoice(
        placement=placement,
        provider=placement.provider,
        number=number,
        period_start=period_start,
        period_end=period_end,
        units_delivered=units_delivered,
        amount=round_to_penny(amount),
        submitted_by=user,
    )
    notes = []
    if placement.rate is not None:
        rate = placement_rate_on(placement, period_start)
        invoice.expected_amount = round_to_penny(units_delivered * rate)
        if invoice.expected_amount != invoice.amount:
            notes.append(
                f"The amount, £{invoice.amount:,.2f}, is not {units_delivered.normalize():f} units at "
                f"£{rate:,.2f} (£{invoice.expected_amount:,.2f})."
            )
    overlapping = placement.invoices.exclude(status=Invoice.Status.REJECTED).filter(
        period_start__lte=period_end, period_end__gte=period_start
    )
    overlap_numbers = list(overlapping.values_list("number", flat=True))
    if overlap_numbers:
        notes.append(f"The period overlaps invoice {', '.join(overlap_numbers)}.")
    invoice.has_discrepancy, invoice.discrepancy_note = bool(notes), " ".join(notes)
    _save(invoice)
    transition_record(subject=invoice, from_state="", to_state=invoice.status, actor=user, reason="Submitted")
    if placement.provider_id and user.provider_id:
        notification_send(
            recipients=users_with_role(Role.OFFICER),
            kind="invoice-submitted",
            title=f"Invoice {invoice.number} from {placement.provider} needs checking"
            + (" (discrepancy)" if invoice.has_discrepancy else ""),
            url=invoice.get_absolute_url(),
            email=False,
        )
    return invoice


def _number_used(placement: Placement, number: str) -> bool:
    if placement.provider_id:
        return Invoice.objects.filter(provider_id=placement.provider_id, number__iexact=number).exists()
    return Invoice.objects.filter(placement=placement, provider__isnull=True, number__iexact=number).exists()


def _lock_invoice(invoice: Invoice, allowed: tuple, action: str) -> Invoice:
    locked = Invoice.objects.select_for_update(of=("self",)).select_related("placement", "provider").get(pk=invoice.pk)
    if locked.status not in allowed:
        raise ValidationError(
            {"__all__": f"This invoice is already {locked.get_status_display().lower()}, so it cannot be {action}."}
        )
    return locked


def _decide(invoice: Invoice, to: str, user: User, reason: str = "") -> Invoice:
    previous = invoice.status
    invoice.status, invoice.decided_by, invoice.decided_at = to, user, timezone.now()
    _save(invoice)
    transition_record(subject=invoice, from_state=previous, to_state=to, actor=user, reason=reason)
    return invoice


@transaction.atomic
def invoice_approve(*, invoice: Invoice, user: User, note: str = "") -> Invoice:
    """Submitted -> approved (it becomes actual spend). An invoice with a discrepancy needs a written reason."""
    invoice = _lock_invoice(invoice, (Invoice.Status.SUBMITTED,), "approved")
    if invoice.has_discrepancy and not note.strip():
        raise ValidationError({"note": "This invoice has a discrepancy: say why it is right to approve it."})
    invoice.decision_note = note.strip()
    return _decide(invoice, Invoice.Status.APPROVED, user, note.strip())


@transaction.atomic
def invoice_dispute(*, invoice: Invoice, user: User, category: str, description: str) -> Dispute:
    """Submitted or approved (not yet paid) -> disputed, opening a dispute with the provider."""
    invoice = _lock_invoice(invoice, (Invoice.Status.SUBMITTED, Invoice.Status.APPROVED), "disputed")
    dispute = dispute_raise(
        placement=invoice.placement, invoice=invoice, category=category, description=description, user=user
    )
    _decide(invoice, Invoice.Status.DISPUTED, user, description.strip())
    return dispute


@transaction.atomic
def invoice_mark_paid(*, invoice: Invoice, user: User, paid_on: date, payment_reference: str = "") -> Invoice:
    """Approved -> paid on `paid_on` (not in the future, not before the invoice was sent)."""
    invoice = _lock_invoice(invoice, (Invoice.Status.APPROVED,), "marked paid")
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": "The payment date cannot be in the future."})
    if paid_on < timezone.localtime(invoice.submitted_at).date():
        raise ValidationError({"paid_on": "The payment date cannot be before the invoice was sent."})
    invoice.paid_on, invoice.payment_reference = paid_on, payment_reference.strip()
    return _decide(invoice, Invoice.Status.PAID, user, f"Paid {paid_on:%-d %B %Y}")


# Disputes and reviews ---------------------------------------------------------------------------


@transaction.atomic
def dispute_raise(
    *, placement: Placement, category: str, description: str, user: User, invoice: Invoice | None = None
) -> Dispute:
    if category not in Dispute.Category.values:
        raise ValidationError({"category": "Choose what the dispute is about."})
    if not description.strip():
        raise ValidationError({"description": "Describe the dispute."})
    if invoice is not None and invoice.placement_id != placement.pk:
        raise ValidationError({"invoice": "That invoice is for another placement."})
    dispute = _save(
        Dispute(
            placement=placement, invoice=invoice, category=category, description=description.strip(), raised_by=user
        )
    )
    transition_record(subject=dispute, from_state="", to_state="open", actor=user, reason=description.strip())
    if placement.provider_id:
        notification_send(
            recipients=placement.provider.users.all(),
            kind="dispute-raised",
            title=f"The council has raised a dispute about placement #{placement.pk}",
            body=description.strip(),
            url=reverse("placements:dispute-detail", args=[dispute.pk]),
        )
    return dispute


INVOICE_OUTCOMES = {"approve": Invoice.Status.APPROVED, "reject": Invoice.Status.REJECTED}


@transaction.atomic
def dispute_resolve(
    *, dispute: Dispute, outcome: str, user: User, resolved_on: date | None = None, invoice_decision: str = ""
) -> Dispute:
    """Close a dispute with its outcome. A disputed invoice is then approved or rejected, as the outcome says."""
    dispute = Dispute.objects.select_for_update(of=("self",)).select_related("invoice").get(pk=dispute.pk)
    if not dispute.is_open:
        raise ValidationError({"__all__": "This dispute is already resolved."})
    if not outcome.strip():
        raise ValidationError({"outcome": "Enter the outcome."})
    resolved_on = resolved_on or timezone.localdate()
    if resolved_on < dispute.raised_on:
        raise ValidationError({"resolved_on": "A dispute cannot be resolved before it was raised."})
    invoice = dispute.invoice
    if invoice is not None and invoice.status == Invoice.Status.DISPUTED:
        if invoice_decision not in INVOICE_OUTCOMES:
            raise ValidationError({"invoice_decision": "Say whether the invoice is now approved or rejected."})
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        invoice.decision_note = outcome.strip()
        _decide(invoice, INVOICE_OUTCOMES[invoice_decision], user, outcome.strip())
    dispute.resolved_on, dispute.resolved_by, dispute.outcome = resolved_on, user, outcome.strip()
    _save(dispute)
    transition_record(subject=dispute, from_state="open", to_state="resolved", actor=user, reason=outcome.strip())
    return dispute


@transaction.atomic
def review_record(
    *,
    placement: Placement,
    held_on: date,
    outcomes: str,
    effectiveness: str,
    decision: str,
    user: User,
    next_review_on: date | None = None,
    end_date: date | None = None,
) -> Review:
    """Record a placement review. Continue or change sets the next review; stop ends the placement on `end_date`."""
    placement = _lock(placement)
    errors = {}
    if placement.status not in (Placement.Status.ACTIVE, Placement.Status.ENDED):
        errors["__all__"] = "Only an active or ended placement can be reviewed."
    if held_on > timezone.localdate():
        errors["held_on"] = "A review is recorded once it has been held."
    if held_on < placement.start_date:
        errors["held_on"] = "A review cannot be held before the placement starts."
    if decision == Review.Decision.STOP:
        if placement.status != Placement.Status.ACTIVE:
            errors["decision"] = "The placement has already ended."
        elif end_date is None:
            errors["end_date"] = "Enter the last funded day."
    elif next_review_on is None:
        errors["next_review_on"] = "Enter the date of the next review."
    if errors:
        raise ValidationError(errors)
    review = _save(
        Review(
            placement=placement,
            held_on=held_on,
            outcomes=outcomes.strip(),
            effectiveness=effectiveness,
            decision=decision,
            next_review_on=None if decision == Review.Decision.STOP else next_review_on,
            recorded_by=user,
        )
    )
    if decision == Review.Decision.STOP:
        placement_end(
            placement=placement,
            end_date=end_date,
            reason=Placement.EndReason.REVIEW_STOPPED,
            user=user,
            note=f"Stopped at the review on {held_on:%-d %B %Y}",
        )
        Placement.objects.filter(pk=placement.pk).update(review_due_on=None)
    else:
        Placement.objects.filter(pk=placement.pk).update(review_due_on=next_review_on)
    return review


# NMISS: placement requests, offers, evaluation, award, school placements -------------------------


def _next_request_reference() -> str:
    year = timezone.localdate().year
    count = PlacementRequest.objects.filter(reference__startswith=f"PR-{year}-").count()
    return f"PR-{year}-{count + 1:04d}"


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@transaction.atomic
def placement_request_create(
    *,
    child: Child,
    lot: Lot,
    needs_summary: str,
    setting: str,
    required_start: date,
    deadline,
    user: User,
    quality_weight: int = 60,
    price_weight: int = 40,
) -> PlacementRequest:
    """Raise a request for a school place (draft). Schools will see only a pseudonymised profile:
    the child's age now, primary need, the summary of needs, the start and day or residential."""
    errors = {}
    if lot.provider_list.kind not in (ProviderList.Kind.DPS, ProviderList.Kind.DYNAMIC_MARKET):
        errors["lot"] = "Choose a lot of the Dynamic Purchasing System."
    if not needs_summary.strip():
        errors["needs_summary"] = "Summarise the child's needs for the schools."
    elif _mentions_identity(child, needs_summary):
        errors["needs_summary"] = "Schools must not see the child's name: remove it from the summary."
    if child.primary_need_id is None:
        errors["__all__"] = "Record the child's primary need first."
    if deadline is not None and deadline <= timezone.now():
        errors["deadline"] = "The deadline must be in the future."
    if quality_weight is None or price_weight is None or quality_weight + price_weight != 100:
        errors["quality_weight"] = "The quality and price weights must add up to 100."
    if errors:
        raise ValidationError(errors)
    request = _save(
        PlacementRequest(
            reference=_next_request_reference(),
            child=child,
            lot=lot,
            child_age=_age_on(child.date_of_birth, timezone.localdate()),
            primary_need_id=child.primary_need_id,
            needs_summary=needs_summary.strip(),
            setting=setting,
            required_start=required_start,
            deadline=deadline,
            quality_weight=quality_weight,
            price_weight=price_weight,
            raised_by=user,
        )
    )
    transition_record(subject=request, from_state="", to_state=request.status, actor=user, reason="Raised")
    return request


def _mentions_identity(child: Child, text: str) -> bool:
    words = {w.strip(".,;:!?()'\"").lower() for w in text.split()}
    return bool({child.first_name.lower(), child.last_name.lower(), child.ehcp_reference.lower()} & words)


def _lock_request(request: PlacementRequest) -> PlacementRequest:
    return PlacementRequest.objects.select_for_update(of=("self",)).select_related("lot", "child").get(pk=request.pk)


@transaction.atomic
def placement_request_invite(*, request: PlacementRequest, schools, user: User) -> list[Invitation]:
    """Invite some or all eligible schools. The first invitations open the request and publish its weights."""
    from .selectors import eligible_schools

    request = _lock_request(request)
    if request.status not in (PlacementRequest.Status.DRAFT, PlacementRequest.Status.OPEN):
        raise ValidationError({"__all__": f"This request is {request.get_status_display().lower()}."})
    if not request.is_open_for_offers() and request.status == PlacementRequest.Status.OPEN:
        raise ValidationError({"__all__": "The deadline has passed: no more schools can be invited."})
    eligible = {s.pk: s for s in eligible_schools(request=request)}
    chosen = list(schools)
    if not chosen:
        raise ValidationError({"schools": "Choose at least one school."})
    not_eligible = [str(s) for s in chosen if s.pk not in eligible]
    if not_eligible:
        raise ValidationError({"schools": f"Not eligible for this lot: {', '.join(not_eligible)}."})
    already = set(request.invitations.values_list("school_id", flat=True))
    invitations = [
        _save(Invitation(request=request, school=school, invited_by=user))
        for school in chosen
        if school.pk not in already
    ]
    if request.status == PlacementRequest.Status.DRAFT:
        request.published_at = timezone.now()
        previous = request.status
        request.status = PlacementRequest.Status.OPEN
        _save(request)
        transition_record(
            subject=request,
            from_state=previous,
            to_state=request.status,
            actor=user,
            reason=f"Schools invited; weights published: quality {request.quality_weight}%, "
            f"price {request.price_weight}%",
        )
    for invitation in invitations:
        notification_send(
            recipients=invitation.school.users.all(),
            kind="placement-request",
            title=f"You are invited to offer a place: request {request.reference}",
            body=f"Offers close {timezone.localtime(request.deadline):%-d %B %Y at %H:%M}. "
            f"Offers are scored {request.quality_weight}% on quality and {request.price_weight}% on price.",
            url=request.get_absolute_url(),
        )
    return invitations


def _lock_invitation(invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("request").get(pk=invitation.pk)
    if invitation.status != Invitation.Status.INVITED:
        raise ValidationError({"__all__": f"You have already responded ({invitation.get_status_display().lower()})."})
    if not invitation.request.is_open_for_offers():
        raise ValidationError({"__all__": "Offers for this request have closed."})
    return invitation


@transaction.atomic
def offer_submit(
    *,
    invitation: Invitation,
    user: User,
    education_fee: Decimal,
    weeks: int,
    start_date: date,
    quality_statement: str,
    care_fee: Decimal = ZERO,
    therapy_fee: Decimal = ZERO,
    other_fee: Decimal = ZERO,
    place_confirmed: bool = False,
) -> Offer:
    """A school's offer, before the deadline, once per invitation. Fees are per year, by element.
    A school offers only on its own invitations (an officer may record an offer sent on paper)."""
    if user.provider_id and user.provider_id != invitation.school_id:
        raise PermissionDenied("A school offers only on its own invitations.")
    invitation = _lock_invitation(invitation)
    errors = {}
    for name, value in (
        ("education_fee", education_fee),
        ("care_fee", care_fee),
        ("therapy_fee", therapy_fee),
        ("other_fee", other_fee),
    ):
        if value is None or value < 0:
            errors[name] = "Fees cannot be negative."
    if weeks not in (38, 52):
        errors["weeks"] = "Choose 38 or 52 weeks."
    if not quality_statement.strip():
        errors["quality_statement"] = "Say how the school will meet the child's needs."
    if start_date is None:
        errors["start_date"] = "Enter the date the place can start."
    if errors:
        raise ValidationError(errors)
    offer = _save(
        Offer(
            invitation=invitation,
            request=invitation.request,
            education_fee=education_fee,
            care_fee=care_fee,
            therapy_fee=therapy_fee,
            other_fee=other_fee,
            weeks=weeks,
            start_date=start_date,
            place_confirmed=place_confirmed,
            quality_statement=quality_statement.strip(),
            submitted_by=user,
        )
    )
    invitation.status, invitation.responded_at = Invitation.Status.OFFERED, timezone.now()
    _save(invitation)
    transition_record(subject=offer, from_state="", to_state=offer.status, actor=user, reason="Offer made")
    return offer


@transaction.atomic
def invitation_decline(*, invitation: Invitation, user: User, reason: str) -> Invitation:
    if user.provider_id and user.provider_id != invitation.school_id:
        raise PermissionDenied("A school declines only its own invitations.")
    invitation = _lock_invitation(invitation)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the school cannot offer a place."})
    invitation.status, invitation.declined_reason = Invitation.Status.DECLINED, reason.strip()
    invitation.responded_at = timezone.now()
    _save(invitation)
    transition_record(subject=invitation, from_state="invited", to_state="declined", actor=user, reason=reason.strip())
    return invitation


@transaction.atomic
def offer_score(*, offer: Offer, quality_score: int, reason: str, user: User) -> Offer:
    """An officer scores an offer's quality (0 to 100) with a written reason, once offers have closed."""
    offer = Offer.objects.select_for_update(of=("self",)).select_related("request").get(pk=offer.pk)
    if offer.request.status != PlacementRequest.Status.OPEN:
        raise ValidationError({"__all__": f"This request is {offer.request.get_status_display().lower()}."})
    if timezone.now() <= offer.request.deadline:
        raise ValidationError({"__all__": "Offers are scored after the deadline, when every offer is in."})
    if quality_score is None or not 0 <= quality_score <= 100:
        raise ValidationError({"quality_score": "A quality score is a whole number from 0 to 100."})
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the score."})
    previous = "" if offer.quality_score is None else str(offer.quality_score)
    offer.quality_score, offer.quality_reason = quality_score, reason.strip()
    offer.scored_by, offer.scored_at = user, timezone.now()
    _save(offer)
    transition_record(
        subject=offer,
        from_state=previous,
        to_state=str(quality_score),
        actor=user,
        field="quality_score",
        reason=reason,
    )
    return offer


@transaction.atomic
def placement_request_award(
    *,
    request: PlacementRequest,
    offer: Offer,
    end_date: date,
    user: User,
    reason: str = "",
    funding_source: str = "",
) -> SchoolPlacement:
    """Award the place to one offer, once only (the request row is locked; a second officer is told who
    awarded it). Every offer must be scored; awarding other than the top-ranked offer needs a reason.
    Creates the individual placement agreement and tells the other schools."""
    from .selectors import offers_ranked

    request = _lock_request(request)
    if request.status == PlacementRequest.Status.AWARDED:
        by = f" by {request.awarded_by.display_name}" if request.awarded_by_id else ""
        raise ValidationError({"__all__": f"This request has already been awarded{by}."})
    if request.status != PlacementRequest.Status.OPEN:
        raise ValidationError({"__all__": f"This request is {request.get_status_display().lower()}."})
    if timezone.now() <= request.deadline:
        raise ValidationError({"__all__": "A place is awarded after the deadline."})
    ranked = offers_ranked(request=request)
    if offer.request_id != request.pk or offer.pk not in {r.offer.pk for r in ranked}:
        raise ValidationError({"offer": "Choose an offer made for this request."})
    if any(r.offer.quality_score is None for r in ranked):
        raise ValidationError({"__all__": "Score the quality of every offer before awarding."})
    chosen = next(r for r in ranked if r.offer.pk == offer.pk)
    if chosen.rank != 1 and not reason.strip():
        raise ValidationError({"reason": "This offer is not ranked first: give the reason for awarding it."})
    if end_date < offer.start_date:
        raise ValidationError({"end_date": "The placement cannot end before the offered start date."})
    _check_funding_source(funding_source)
    now = timezone.now()
    Offer.objects.filter(request=request).exclude(pk=offer.pk).update(status=Offer.Status.UNSUCCESSFUL)
    Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.AWARDED)
    request.status, request.awarded_at, request.awarded_by = PlacementRequest.Status.AWARDED, now, user
    _save(request)
    transition_record(
        subject=request,
        from_state=PlacementRequest.Status.OPEN,
        to_state=request.status,
        actor=user,
        reason=reason.strip() or f"Awarded to the top-ranked offer: {chosen.explanation}",
    )
    placement = _save(
        SchoolPlacement(
            child=request.child,
            school=offer.invitation.school,
            request=request,
            offer=offer,
            setting=request.setting,
            weeks=offer.weeks,
            start_date=offer.start_date,
            end_date=end_date,
            education_fee=offer.education_fee,
            care_fee=offer.care_fee,
            therapy_fee=offer.therapy_fee,
            other_fee=offer.other_fee,
            funding_source=funding_source or FundingSource.HIGH_NEEDS,
            created_by=user,
        )
    )
    transition_record(subject=placement, from_state="", to_state=placement.status, actor=user, reason="Awarded")
    school_placement_commitments_refresh(placement=placement)
    for invitation in request.invitations.select_related("school"):
        won = invitation.pk == offer.invitation_id
        notification_send(
            recipients=invitation.school.users.all(),
            kind="placement-request-outcome",
            title=f"Request {request.reference}: "
            + ("your offer has been accepted" if won else "the place has been awarded to another school"),
            url=request.get_absolute_url(),
        )
    return placement


@transaction.atomic
def placement_request_cancel(*, request: PlacementRequest, reason: str, user: User) -> PlacementRequest:
    request = _lock_request(request)
    if request.status in (PlacementRequest.Status.AWARDED, PlacementRequest.Status.CANCELLED):
        raise ValidationError({"__all__": f"This request is already {request.get_status_display().lower()}."})
    if not reason.strip():
        raise ValidationError({"reason": "Enter why the request is cancelled."})
    previous = request.status
    request.status = PlacementRequest.Status.CANCELLED
    _save(request)
    transition_record(subject=request, from_state=previous, to_state=request.status, actor=user, reason=reason.strip())
    for invitation in request.invitations.select_related("school"):
        notification_send(
            recipients=invitation.school.users.all(),
            kind="placement-request-outcome",
            title=f"Request {request.reference} has been withdrawn",
            url=request.get_absolute_url(),
        )
    return request


def school_fee_on(placement: SchoolPlacement, day: date, uplifts=None) -> Decimal:
    """The annual fee in force on `day`: the agreed fee with every uplift effective by then applied in turn."""
    uplifts = placement.uplifts.all() if uplifts is None else uplifts
    fee = placement.annual_fee
    for uplift in sorted(uplifts, key=lambda u: u.effective_from):
        if uplift.effective_from <= day:
            fee = round_to_penny(fee * (100 + uplift.percent) / 100)
    return fee


def school_placement_cost_by_year(placement: SchoolPlacement, uplifts=None) -> dict[FinancialYear, Decimal]:
    """Committed cost per financial year: the annual fee in force for each stretch between uplifts, for each
    year of 365 days of the term, split across financial years by days (core.periods)."""
    uplifts = sorted(placement.uplifts.all() if uplifts is None else uplifts, key=lambda u: u.effective_from)
    starts = [placement.start_date] + [
        u.effective_from for u in uplifts if placement.start_date < u.effective_from <= placement.end_date
    ]
    shares: dict[FinancialYear, Decimal] = {}
    for index, start in enumerate(starts):
        end = starts[index + 1] - timedelta(days=1) if index + 1 < len(starts) else placement.end_date
        cost = round_to_penny(school_fee_on(placement, start, uplifts) * days_inclusive(start, end) / DAYS_A_YEAR)
        for year, share in prorate_by_financial_year(cost, start, end).items():
            shares[year] = shares.get(year, ZERO) + share
    return shares


def school_placement_commitments_refresh(*, placement: SchoolPlacement) -> list[SchoolPlacementCommitment]:
    placement = SchoolPlacement.objects.get(pk=placement.pk)
    SchoolPlacementCommitment.objects.filter(placement=placement).delete()
    return SchoolPlacementCommitment.objects.bulk_create(
        SchoolPlacementCommitment(placement=placement, financial_year=year.start_year, amount=amount)
        for year, amount in sorted(school_placement_cost_by_year(placement).items())
    )


@transaction.atomic
def school_placement_create(
    *,
    child: Child,
    school: Provider,
    setting: str,
    weeks: int,
    start_date: date,
    end_date: date,
    education_fee: Decimal,
    user: User,
    care_fee: Decimal = ZERO,
    therapy_fee: Decimal = ZERO,
    other_fee: Decimal = ZERO,
    block_contract: BlockContract | None = None,
    funding_source: str = "",
) -> SchoolPlacement:
    """Record an individual placement agreement made outside a request (for example a place in a block)."""
    if not school.is_school:
        raise ValidationError({"school": "Choose a special school."})
    _check_funding_source(funding_source)
    if block_contract is not None:
        if block_contract.school_id != school.pk:
            raise ValidationError({"block_contract": "That block contract is with another school."})
        if start_date < block_contract.start_date or end_date > block_contract.end_date:
            raise ValidationError({"block_contract": "The placement must fall within the block contract's term."})
        BlockContract.objects.select_for_update().get(pk=block_contract.pk)  # places are counted under the lock
        overlapping = block_contract.placements.filter(
            status=SchoolPlacement.Status.ACTIVE, start_date__lte=end_date, end_date__gte=start_date
        ).count()
        if overlapping >= block_contract.places:
            raise ValidationError({"block_contract": f"All {block_contract.places} places in the block are in use."})
    placement = _save(
        SchoolPlacement(
            child=child,
            school=school,
            setting=setting,
            weeks=weeks,
            start_date=start_date,
            end_date=end_date,
            education_fee=education_fee,
            care_fee=care_fee,
            therapy_fee=therapy_fee,
            other_fee=other_fee,
            block_contract=block_contract,
            funding_source=funding_source or FundingSource.HIGH_NEEDS,
            created_by=user,
        )
    )
    transition_record(subject=placement, from_state="", to_state=placement.status, actor=user, reason="Agreed")
    school_placement_commitments_refresh(placement=placement)
    return placement


@transaction.atomic
def school_placement_uplift(
    *,
    placement: SchoolPlacement,
    effective_from: date,
    percent: Decimal,
    reason: str,
    user: User,
    decision_reference: str = "",
) -> FeeUplift:
    """A dated uplift to every element of the fee, from a day inside the placement, with its reason."""
    placement = SchoolPlacement.objects.select_for_update().get(pk=placement.pk)
    errors = {}
    if effective_from < placement.start_date:
        errors["effective_from"] = "An uplift cannot take effect before the placement starts."
    elif effective_from > placement.end_date:
        errors["effective_from"] = "An uplift cannot take effect after the placement ends."
    if percent is None or not Decimal("-100") < percent <= Decimal("100"):
        errors["percent"] = "Enter a percentage between -100 and 100."
    if not reason.strip():
        errors["reason"] = "Enter the reason for the uplift."
    if placement.uplifts.filter(effective_from=effective_from).exists():
        errors["effective_from"] = "An uplift already takes effect on that day."
    if errors:
        raise ValidationError(errors)
    uplift = _save(
        FeeUplift(
            placement=placement,
            effective_from=effective_from,
            percent=percent,
            reason=reason.strip(),
            decision_reference=decision_reference.strip(),
            created_by=user,
        )
    )
    school_placement_commitments_refresh(placement=placement)
    return uplift


@transaction.atomic
def school_placement_end(*, placement: SchoolPlacement, end_date: date, reason: str, user: User) -> SchoolPlacement:
    placement = SchoolPlacement.objects.select_for_update().get(pk=placement.pk)
    if placement.status != SchoolPlacement.Status.ACTIVE:
        raise ValidationError({"__all__": "This placement has already ended."})
    if not placement.start_date <= end_date <= placement.end_date:
        raise ValidationError({"end_date": "The last day must fall within the agreed term."})
    if not reason.strip():
        raise ValidationError({"reason": "Enter why the placement ends."})
    placement.end_date, placement.end_reason = end_date, reason.strip()
    previous, placement.status = placement.status, SchoolPlacement.Status.ENDED
    _save(placement)
    transition_record(subject=placement, from_state=previous, to_state=placement.status, actor=user, reason=reason)
    school_placement_commitments_refresh(placement=placement)
    return placement


@transaction.atomic
def block_contract_create(
    *,
    school: Provider,
    reference: str,
    places: int,
    annual_fee: Decimal,
    start_date: date,
    end_date: date,
    user: User,
    decision_reference: str = "",
) -> BlockContract:
    if not school.is_school:
        raise ValidationError({"school": "Choose a special school."})
    return _save(
        BlockContract(
            school=school,
            reference=reference.strip(),
            places=places,
            annual_fee=annual_fee,
            start_date=start_date,
            end_date=end_date,
            decision_reference=decision_reference.strip(),
        )
    )


@transaction.atomic
def nmiss_history_set(*, financial_year: int, amount: Decimal, source: str, user: User) -> NmissHistoricalSpend:
    """Enter (or correct) NMISS spend for a year before the service held placements; reports use it."""
    if amount is None or amount < 0:
        raise ValidationError({"amount": "Spend cannot be negative."})
    row, _ = NmissHistoricalSpend.objects.update_or_create(
        financial_year=financial_year, defaults={"amount": amount, "source": source.strip()}
    )
    return row


# Retention ---------------------------------------------------------------------------------------

ANONYMISED = "Anonymised"
REMOVED = "[removed under the retention rule]"


def children_due_for_anonymisation(*, today: date | None = None):
    """Children past their retention date: born more than CHILD_RETENTION_YEARS_FROM_BIRTH years ago, with
    no placement or school placement ending later than CHILD_RETENTION_YEARS_AFTER_LAST_PLACEMENT years ago
    (and so none still running), and not yet anonymised."""
    from django.conf import settings
    from django.db.models import Exists, OuterRef

    from core.periods import add_months

    today = today or timezone.localdate()
    born_before = add_months(today, -12 * settings.CHILD_RETENTION_YEARS_FROM_BIRTH)
    ended_before = add_months(today, -12 * settings.CHILD_RETENTION_YEARS_AFTER_LAST_PLACEMENT)
    recent = Placement.objects.filter(child=OuterRef("pk"), end_date__gte=ended_before).exclude(
        status=Placement.Status.CANCELLED
    )
    recent_school = SchoolPlacement.objects.filter(child=OuterRef("pk"), end_date__gte=ended_before)
    return Child.objects.filter(anonymised_at__isnull=True, date_of_birth__lt=born_before).exclude(
        Exists(recent) | Exists(recent_school)
    )


# What the retention rule removes from each kind of record about an anonymised child: the text written
# about them, and anything naming their family. The money, dates and decisions stay.
WRITTEN_ABOUT_THE_CHILD = {
    Provision: ("description",),
    Referral: ("closed_reason",),
    Placement: ("spot_reason_detail",),
    PersonalBudget: ("paid_to", "notes"),
    Review: ("outcomes",),
    Dispute: ("description", "outcome"),
    PlacementRequest: ("needs_summary",),
    Invitation: ("declined_reason",),
    Offer: ("quality_statement",),
    SchoolPlacement: ("end_reason",),
}


def _records_about(child: Child) -> dict[type[models.Model], QuerySet]:
    return {
        Provision: Provision.objects.filter(child=child),
        Referral: Referral.objects.filter(provision__child=child),
        Placement: Placement.objects.filter(child=child),
        PersonalBudget: PersonalBudget.objects.filter(placement__child=child),
        Review: Review.objects.filter(placement__child=child),
        Dispute: Dispute.objects.filter(placement__child=child),
        PlacementRequest: PlacementRequest.objects.filter(child=child),
        Invitation: Invitation.objects.filter(request__child=child),
        Offer: Offer.objects.filter(request__child=child),
        SchoolPlacement: SchoolPlacement.objects.filter(child=child),
    }


@transaction.atomic
def child_anonymise(*, child: Child) -> Child:
    """Remove what identifies the child and keep what the council must account for (placements, money).

    The name goes; the date of birth keeps only its year (for age-group statistics); the EHCP reference
    becomes the pseudonym; the school goes; the text written about the child and the names of their family
    are removed from the records and from the audit trail's history of them.
    """
    from core.audit import history_redact

    child = Child.objects.select_for_update().get(pk=child.pk)
    if child.anonymised_at:
        return child
    child.first_name, child.last_name = ANONYMISED, ""
    child.date_of_birth = date(child.date_of_birth.year, 1, 1)
    child.ehcp_reference = f"ANON-{child.pseudonym}"
    child.school_name, child.school_urn = "", ""
    child.anonymised_at = timezone.now()
    child.save()
    history_redact(model=Child, pks=[child.pk], fields=Child.IDENTIFYING_FIELDS, marker=REMOVED)
    for model, records in _records_about(child).items():
        fields = WRITTEN_ABOUT_THE_CHILD[model]
        pks = list(records.values_list("pk", flat=True))
        for field in fields:  # an empty field stays empty; a required one gets the marker
            model.objects.filter(pk__in=pks).exclude(**{field: ""}).update(**{field: REMOVED})
        history_redact(model=model, pks=pks, fields=fields, marker=REMOVED)
    transition_record(
        subject=child,
        from_state="identified",
        to_state="anonymised",
        actor=None,
        field="identity",
        reason="Past its retention date",
    )
    return child


def children_anonymise_expired(*, today: date | None = None) -> int:
    """Anonymise every child past the retention date; returns how many (the beat task logs it)."""
    count = 0
    for child in children_due_for_anonymisation(today=today).only("pk").iterator():
        child_anonymise(child=child)
        count += 1
    return count
