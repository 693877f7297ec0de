"""The demand side, one child at a time: children, EHCP provision, referrals, placements, invoices,
disputes and reviews. Children's data is the most sensitive thing the service holds.

Who sees a child: officers see everything; commissioners never see a child's name or date of
birth (only the stable pseudonymous reference); a provider user sees only the children their
organisation has placements for, by EHCP reference and first name.
"""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from core.models import FundingSource
from core.money import money_field

# Open placements and referrals count up to "today"; 365 days is the year a rate is quoted for.
DAYS_A_YEAR = Decimal("365")
HALF_TERMS_A_YEAR = 6
PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I, so it can be read out


def new_pseudonym() -> str:
    """A random reference like C-7F3K9Q2M: stable for the child, meaningless outside the service."""
    return "C-" + "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(8))


def sees_child_identity(user) -> bool:
    return user.has_perm("placements.view_child_identity")


class ChildQuerySet(models.QuerySet):
    def visible_to(self, user) -> ChildQuerySet:
        """Children this user may open; callers treat the rest as 404.

        Officers (and integrations acting for them) see every child; a provider user sees only
        children with a therapy or school placement at their organisation; nobody else opens a child's record.
        """
        if user.has_perm("placements.view_child_identity"):
            return self
        if getattr(user, "provider_id", None) and user.has_perm("placements.view_child"):
            placed = Placement.objects.filter(child=OuterRef("pk"), provider_id=user.provider_id)
            at_school = SchoolPlacement.objects.filter(child=OuterRef("pk"), school_id=user.provider_id)
            return self.filter(Exists(placed) | Exists(at_school))
        return self.none()


class Child(models.Model):
    """A child or young person with an Education, Health and Care Plan whose therapy the council secures."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Plan in place"
        CEASED = "ceased", "Plan ceased"
        MOVED = "moved", "Moved out of the area"

    # What identifies the child: masked in the audit trail, removed or replaced by the retention rule.
    IDENTIFYING_FIELDS = ("first_name", "last_name", "date_of_birth", "ehcp_reference", "school_name", "school_urn")

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    ehcp_reference = models.CharField(
        "EHCP reference", max_length=30, unique=True, help_text="The plan's reference in the council's SEN system."
    )
    pseudonym = models.CharField(
        max_length=12,
        unique=True,
        default=new_pseudonym,
        editable=False,
        help_text="What commissioners and reports see instead of the child's name.",
    )
    district = models.ForeignKey("core.District", on_delete=models.PROTECT, related_name="children")
    school_name = models.CharField(max_length=200, blank=True)
    school_urn = models.CharField("school URN", max_length=6, blank=True)
    primary_need = models.ForeignKey(
        "core.PrimaryNeed", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    anonymised_at = models.DateTimeField(
        null=True, blank=True, help_text="When the retention rule removed the child's identity."
    )

    objects = ChildQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name_plural = "children"
        permissions = [
            ("view_child_identity", "Can see children's names and dates of birth"),
            ("export_child_record", "Can export everything held about a child"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(school_urn="") | Q(school_urn__regex=r"^[0-9]{6}$"),
                name="placements_child_school_urn_format",
                violation_error_message="A school URN is 6 digits.",
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="plac_child_name_idx"),
            models.Index(fields=["district", "status"], name="plac_child_district_idx"),
        ]

    def __str__(self) -> str:
        return self.pseudonym  # never the name: __str__ leaks into logs, admin history and audit entries

    def get_absolute_url(self) -> str:
        return reverse("placements:child-detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ProvisionQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProvisionQuerySet:
        """Officers see every plan's lines; a provider user only the lines their organisation delivers."""
        if user.has_perm("placements.view_child_identity"):
            return self
        if getattr(user, "provider_id", None) and user.has_perm("placements.view_provision"):
            placed = Placement.objects.filter(provision=OuterRef("pk"), provider_id=user.provider_id)
            return self.filter(Exists(placed))
        return self.none()


class Provision(models.Model):
    """One line of a child's EHCP (Section F, or G for health provision): a therapy, how much, how often."""

    class Section(models.TextChoices):
        F = "F", "Section F (special educational provision)"
        G = "G", "Section G (health provision)"

    class Unit(models.TextChoices):
        HOUR = "hour", "Hours"
        SESSION = "session", "Sessions"

    class Frequency(models.TextChoices):
        WEEK = "week", "A week"
        HALF_TERM = "half_term", "A half term"
        YEAR = "year", "A year"

    class Source(models.TextChoices):
        PLAN = "plan", "The plan"
        TRIBUNAL = "tribunal", "A tribunal order"

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="provisions")
    section = models.CharField(max_length=1, choices=Section.choices, default=Section.F)
    therapy_type = models.ForeignKey("core.TherapyType", on_delete=models.PROTECT, related_name="provisions")
    amount = models.DecimalField(max_digits=6, decimal_places=2, help_text="Hours or sessions each time.")
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.HOUR)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.WEEK)
    weeks_per_year = models.PositiveSmallIntegerField(default=38, help_text="Weeks a year it is delivered in.")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Last day it applies; blank while the plan says so.")
    review_date = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PLAN)
    description = models.TextField(blank=True, help_text="The wording of the plan, if it helps the provider.")

    objects = ProvisionQuerySet.as_manager()

    class Meta:
        ordering = ["child", "start_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="placements_provision_amount_positive",
                violation_error_message="The amount must be more than 0.",
            ),
            models.CheckConstraint(
                condition=Q(weeks_per_year__gte=1) & Q(weeks_per_year__lte=52),
                name="placements_provision_weeks_in_year",
                violation_error_message="Weeks a year must be between 1 and 52.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="placements_provision_ends_after_start",
                violation_error_message="A provision cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"Provision #{self.pk}"

    @property
    def units_per_year(self) -> Decimal:
        """Hours or sessions a year the plan specifies."""
        if self.frequency == self.Frequency.WEEK:
            return self.amount * self.weeks_per_year
        if self.frequency == self.Frequency.HALF_TERM:
            return self.amount * HALF_TERMS_A_YEAR
        return self.amount

    @property
    def summary(self) -> str:
        unit = self.get_unit_display().lower()
        if self.amount == 1:
            unit = unit.removesuffix("s")  # "1 hour", "2 hours"
        return f"{self.therapy_type}: {self.amount.normalize():f} {unit} {self.get_frequency_display().lower()}"


class ReferralQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReferralQuerySet:
        """Council staff see the whole waiting list (commissioners without names); nobody else does."""
        if user.has_perm("placements.view_referral") and not getattr(user, "provider_id", None):
            return self
        return self.none()

    def waiting(self) -> ReferralQuerySet:
        return self.filter(stage__in=Referral.WAITING)


class Referral(models.Model):
    """A provision line waiting to be delivered: the waiting list. Weeks waiting are computed, never stored."""

    class Stage(models.TextChoices):
        AWAITING_ASSESSMENT = "awaiting_assessment", "Awaiting assessment"
        AWAITING_INTERVENTION = "awaiting_intervention", "Awaiting intervention"
        PLACED = "placed", "Placed"
        CLOSED = "closed", "Closed"

    WAITING = (Stage.AWAITING_ASSESSMENT, Stage.AWAITING_INTERVENTION)

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="referrals")
    provision = models.ForeignKey(Provision, on_delete=models.PROTECT, related_name="referrals")
    referred_on = models.DateField()
    stage = models.CharField(max_length=30, choices=Stage.choices, default=Stage.AWAITING_ASSESSMENT)
    waiting_ended_on = models.DateField(
        null=True, blank=True, help_text="When the child was placed or the referral closed: the wait stops here."
    )
    closed_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["referred_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(waiting_ended_on__isnull=True) | Q(waiting_ended_on__gte=F("referred_on")),
                name="placements_referral_wait_ends_after_referral",
                violation_error_message="A wait cannot end before the referral.",
            ),
            models.CheckConstraint(
                condition=Q(stage__in=["awaiting_assessment", "awaiting_intervention"], waiting_ended_on__isnull=True)
                | Q(stage__in=["placed", "closed"], waiting_ended_on__isnull=False),
                name="placements_referral_wait_end_matches_stage",
                violation_error_message="A referral's wait ends exactly when it is placed or closed.",
            ),
            models.UniqueConstraint(
                fields=["provision"],
                condition=Q(stage__in=["awaiting_assessment", "awaiting_intervention"]),
                name="placements_referral_one_waiting_per_provision",
                violation_error_message="This provision is already on the waiting list.",
            ),
        ]
        indexes = [
            models.Index(fields=["stage", "referred_on"], name="plac_referral_waiting_idx"),
            # the waiting list's order (longest wait first): a page is read off the index, not sorted
            models.Index(fields=["referred_on", "id"], name="plac_referral_list_idx"),
        ]

    def __str__(self) -> str:
        return f"Referral #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("placements:referral-detail", args=[self.pk])

    def weeks_waiting(self, today: date | None = None) -> int:
        """Whole weeks from referral to placement or closure (or to today while still waiting)."""
        until = self.waiting_ended_on or today or timezone.localdate()
        return max(0, (until - self.referred_on).days // 7)

    @property
    def is_waiting(self) -> bool:
        return self.stage in self.WAITING


class PlacementQuerySet(models.QuerySet):
    def visible_to(self, user) -> PlacementQuerySet:
        """Placements this user may see; callers treat the rest as 404.

        Council staff with the permission see all (commissioners without the child's identity);
        a provider user sees only their own organisation's.
        """
        if not user.has_perm("placements.view_placement"):
            return self.none()
        if getattr(user, "provider_id", None):
            return self.filter(provider_id=user.provider_id)
        return self

    def live_on(self, day: date) -> PlacementQuerySet:
        return self.filter(status=Placement.Status.ACTIVE, start_date__lte=day, end_date__gte=day)


class Placement(models.Model):
    """One child's funded course of one therapy, bought under one arrangement, for a term.

    A QPL call-off is with a provider admitted to the QPL whose pricing covers the therapy; a spot
    purchase is from a provider off the QPL and records why; a personal budget has no provider
    (the family buys the therapy); an NHS contract arrangement points at the contract.
    """

    class Arrangement(models.TextChoices):
        QPL_CALL_OFF = "qpl_call_off", "QPL call-off"
        SPOT_PURCHASE = "spot_purchase", "Spot purchase (not on the QPL)"
        PERSONAL_BUDGET = "personal_budget", "Personal budget"
        NHS_CONTRACT = "nhs_contract", "NHS contract"

    class SpotReason(models.TextChoices):
        NONE = "", "Not a spot purchase"
        NO_CAPACITY = "no_qpl_capacity", "No QPL provider has capacity"
        TRIBUNAL = "tribunal_named", "The provider is named by a tribunal"
        PARENTAL_PREFERENCE = "parental_preference", "Parental preference"
        BEFORE_QPL = "before_qpl", "Bought before the QPL opened"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"
        CANCELLED = "cancelled", "Cancelled"

    class EndReason(models.TextChoices):
        NONE = "", "Not ended"
        COMPLETED = "completed", "Term completed"
        OUTCOMES_MET = "outcomes_met", "Outcomes met"
        PLAN_CHANGED = "plan_changed", "The plan changed"
        PROVIDER_WITHDREW = "provider_withdrew", "The provider withdrew"
        FAMILY_WITHDREW = "family_withdrew", "The family withdrew"
        REVIEW_STOPPED = "review_stopped", "Stopped at review"
        MOVED = "moved", "The child moved away"
        OTHER = "other", "Another reason"

    Unit = Provision.Unit

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="placements")
    provision = models.ForeignKey(Provision, on_delete=models.PROTECT, related_name="placements")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="placements")
    arrangement = models.CharField(max_length=20, choices=Arrangement.choices)
    provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="placements",
        help_text="Blank for a personal budget paid to the family.",
    )
    membership = models.ForeignKey(
        "providers.Membership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="call_offs",
        help_text="The QPL membership a call-off is made under.",
    )
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, null=True, blank=True, related_name="placements"
    )
    spot_reason = models.CharField(max_length=30, choices=SpotReason.choices, blank=True, default=SpotReason.NONE)
    spot_reason_detail = models.TextField(blank=True)
    start_date = models.DateField()
    end_date = models.DateField(help_text="Last funded day (inclusive).")
    rate = money_field("rate (£ a unit)", null=True, blank=True, help_text="Blank for a personal budget.")
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.HOUR)
    units_per_week = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1.00"))
    weeks_per_year = models.PositiveSmallIntegerField(default=38)
    purchase_order = models.CharField(max_length=30, blank=True)
    funding_source = models.CharField(
        max_length=20,
        choices=FundingSource.choices,
        default=FundingSource.HIGH_NEEDS,
        help_text="The budget that pays for it; under an NHS contract, the contract's.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True, default=EndReason.NONE)
    review_due_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = PlacementQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-pk"]
        permissions = [
            ("change_placement_status", "Can activate, end or cancel a placement"),
            ("view_provision_assurance", "Can see specified, commissioned and delivered therapy"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="placements_placement_ends_after_start",
                violation_error_message="A placement cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(rate__isnull=True) | Q(rate__gte=0),
                name="placements_placement_rate_not_negative",
                violation_error_message="A rate cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(units_per_week__gte=0) & Q(weeks_per_year__gte=1) & Q(weeks_per_year__lte=52),
                name="placements_placement_amount_in_range",
                violation_error_message="Units a week cannot be negative; weeks a year are 1 to 52.",
            ),
            # Who is paid follows from the arrangement.
            models.CheckConstraint(
                condition=(Q(arrangement="personal_budget") & Q(provider__isnull=True) & Q(rate__isnull=True))
                | (~Q(arrangement="personal_budget") & Q(provider__isnull=False) & Q(rate__isnull=False)),
                name="placements_placement_payee_matches_arrangement",
                violation_error_message="A personal budget has no provider or rate; every other arrangement has both.",
            ),
            models.CheckConstraint(
                condition=(Q(arrangement="spot_purchase") & ~Q(spot_reason=""))
                | (~Q(arrangement="spot_purchase") & Q(spot_reason="")),
                name="placements_placement_spot_needs_reason",
                violation_error_message="A spot purchase needs a reason; other arrangements have none.",
            ),
            models.CheckConstraint(
                condition=Q(arrangement="nhs_contract", contract__isnull=False) | ~Q(arrangement="nhs_contract"),
                name="placements_placement_nhs_needs_contract",
                violation_error_message="An NHS contract arrangement names the contract.",
            ),
            models.CheckConstraint(
                condition=Q(status="ended", end_reason__gt="") | (~Q(status="ended") & Q(end_reason="")),
                name="placements_placement_end_reason_when_ended",
                violation_error_message="An ended placement has an end reason, and only then.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "start_date"], name="plac_placement_status_idx"),
            models.Index(fields=["provider", "status"], name="plac_placement_provider_idx"),
            models.Index(fields=["review_due_on"], name="plac_placement_review_idx"),
            models.Index(fields=["-start_date", "-id"], name="plac_placement_list_idx"),  # the placement list's order
        ]

    def __str__(self) -> str:
        return f"Placement #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("placements:placement-detail", args=[self.pk])

    @property
    def is_off_qpl(self) -> bool:
        """Bought outside the QPL: flagged everywhere the placement is shown."""
        return self.arrangement == self.Arrangement.SPOT_PURCHASE

    @property
    def payee(self) -> str:
        return str(self.provider) if self.provider_id else "The family (personal budget)"


class PlacementVariation(models.Model):
    """A dated change of a placement's rate: from `effective_from` the new rate applies.

    A change in how much therapy is bought is a change of plan: end the placement and arrange another.
    """

    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="variations")
    effective_from = models.DateField()
    rate = money_field("new rate (£ a unit)")
    reason = models.TextField()
    decision_reference = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["placement", "effective_from", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "effective_from"], name="placements_variation_one_per_day"),
            models.CheckConstraint(
                condition=Q(rate__gte=0),
                name="placements_variation_rate_not_negative",
                violation_error_message="A rate cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"Variation #{self.pk}"


class PlacementCommitment(models.Model):
    """The committed cost of a placement in one financial year.

    Derived: `placement_commitments_refresh` rewrites these rows from the placement's rate,
    amount, variations and dates in the same transaction as every change, so spend reports are
    plain sums in SQL. Cancelled and proposed placements commit nothing.
    """

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="commitments")
    financial_year = models.PositiveSmallIntegerField(help_text="The year the financial year starts: 2024 for 2024-25.")
    amount = money_field("committed (£)")

    class Meta:
        ordering = ["placement", "financial_year"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "financial_year"], name="placements_commitment_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="placements_commitment_not_negative"),
        ]
        indexes = [models.Index(fields=["financial_year"], name="plac_commitment_year_idx")]

    def __str__(self) -> str:
        return f"Commitment #{self.pk}"


class PersonalBudgetQuerySet(models.QuerySet):
    def visible_to(self, user) -> PersonalBudgetQuerySet:
        """Council staff only: a family's budget involves no provider."""
        if user.has_perm("placements.view_personalbudget") and not getattr(user, "provider_id", None):
            return self
        return self.none()


class PersonalBudget(models.Model):
    """The signed agreement with a family who buy the therapy themselves: amount, signed on, review date.

    There is no agreement with whoever delivers it, which is why reviews matter here.
    """

    placement = models.OneToOneField(Placement, on_delete=models.PROTECT, related_name="personal_budget")
    amount = money_field("amount agreed for the term (£)")
    signed_on = models.DateField()
    review_on = models.DateField()
    paid_to = models.CharField(max_length=200, default="The child's parent or carer")
    notes = models.TextField(blank=True)

    objects = PersonalBudgetQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="placements_personalbudget_amount_positive",
                violation_error_message="A personal budget must be more than £0.",
            ),
            models.CheckConstraint(
                condition=Q(review_on__gte=F("signed_on")),
                name="placements_personalbudget_review_after_signing",
                violation_error_message="The review cannot be before the agreement is signed.",
            ),
        ]

    def __str__(self) -> str:
        return f"Personal budget #{self.pk}"


class InvoiceQuerySet(models.QuerySet):
    def visible_to(self, user) -> InvoiceQuerySet:
        if not user.has_perm("placements.view_invoice"):
            return self.none()
        if getattr(user, "provider_id", None):
            return self.filter(provider_id=user.provider_id)
        return self

    def actual(self) -> InvoiceQuerySet:
        """Invoices that count as actual spend: approved or paid."""
        return self.filter(status__in=Invoice.ACTUAL)


class Invoice(models.Model):
    """A provider's bill for units delivered on one placement over a period (or a payment to a family).

    The amount is checked against units x rate in force: a mismatch is flagged as a discrepancy,
    never silently accepted. Approved and paid invoices are the actual spend.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        DISPUTED = "disputed", "Disputed"
        PAID = "paid", "Paid"
        REJECTED = "rejected", "Rejected"

    ACTUAL = (Status.APPROVED, Status.PAID)

    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="invoices")
    provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        help_text="The placement's provider; blank for a payment to a family.",
    )
    number = models.CharField("invoice number", max_length=40, help_text="The provider's own invoice number.")
    period_start = models.DateField()
    period_end = models.DateField()
    units_delivered = models.DecimalField(max_digits=7, decimal_places=2)
    amount = money_field("amount (£)")
    expected_amount = money_field(
        "units × rate (£)", null=True, blank=True, help_text="What the units delivered cost at the rate in force."
    )
    has_discrepancy = models.BooleanField(default=False)
    discrepancy_note = models.TextField(blank=True, help_text="Why the invoice was flagged.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(blank=True, help_text="Why it was approved despite a discrepancy, or rejected.")
    paid_on = models.DateField(null=True, blank=True)
    payment_reference = models.CharField(max_length=40, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-period_end", "-pk"]
        permissions = [("decide_invoice", "Can approve, dispute and mark invoices paid")]
        constraints = [
            # Invoice numbers compare without case: "inv-1" and "INV-1" are the same invoice.
            models.UniqueConstraint(
                "provider",
                Lower("number"),
                condition=Q(provider__isnull=False),
                name="placements_invoice_number_unique_per_provider",
                violation_error_message="This provider has already sent an invoice with that number.",
            ),
            models.UniqueConstraint(
                "placement",
                Lower("number"),
                condition=Q(provider__isnull=True),
                name="placements_invoice_number_unique_per_budget",
                violation_error_message="A payment with that reference is already recorded.",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="placements_invoice_period_ordered",
                violation_error_message="An invoice's period cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(units_delivered__gte=0),
                name="placements_invoice_not_negative",
                violation_error_message="Amounts and units cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(status="paid", paid_on__isnull=False) | (~Q(status="paid") & Q(paid_on__isnull=True)),
                name="placements_invoice_paid_on_when_paid",
                violation_error_message="A paid invoice has a payment date, and only then.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "period_end"], name="plac_invoice_status_idx"),
            # delivered units per line (provision assurance) and a placement's invoices
            models.Index(fields=["placement", "status", "period_end"], name="plac_invoice_placement_idx"),
            models.Index(fields=["-submitted_at", "-id"], name="plac_invoice_list_idx"),  # the invoice list's order
        ]

    def __str__(self) -> str:
        return f"Invoice {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("placements:invoice-detail", args=[self.pk])


class DisputeQuerySet(models.QuerySet):
    def visible_to(self, user) -> DisputeQuerySet:
        if not user.has_perm("placements.view_dispute"):
            return self.none()
        if getattr(user, "provider_id", None):
            return self.filter(placement__provider_id=user.provider_id)
        return self

    def open(self) -> DisputeQuerySet:
        return self.filter(resolved_on__isnull=True)


class Dispute(models.Model):
    """A disagreement about an invoice or a placement, tracked until it is resolved with an outcome."""

    class Category(models.TextChoices):
        MISUNDERSTANDING = "misunderstanding", "Misunderstanding"
        FINANCIAL = "financial_discrepancy", "Financial discrepancy"
        QUALITY = "quality", "Quality of delivery"
        PROTOCOL = "protocol", "Not following protocol"

    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="disputes")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="disputes")
    category = models.CharField(max_length=30, choices=Category.choices)
    description = models.TextField()
    raised_on = models.DateField(default=timezone.localdate)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    resolved_on = models.DateField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.TextField(blank=True)

    objects = DisputeQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_on", "-pk"]
        permissions = [("resolve_dispute", "Can resolve disputes")]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=F("raised_on")),
                name="placements_dispute_resolved_after_raised",
                violation_error_message="A dispute cannot be resolved before it is raised.",
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True, outcome="") | (Q(resolved_on__isnull=False) & ~Q(outcome="")),
                name="placements_dispute_outcome_when_resolved",
                violation_error_message="A resolved dispute records its outcome, and only then.",
            ),
        ]
        indexes = [
            models.Index(fields=["resolved_on"], name="plac_dispute_open_idx"),
            # the dispute list's order, open ones first (DESC puts the blank resolved_on first)
            models.Index(fields=["-resolved_on", "-raised_on", "-id"], name="plac_dispute_list_idx"),
        ]

    def __str__(self) -> str:
        return f"Dispute #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("placements:dispute-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.resolved_on is None


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReviewQuerySet:
        if not user.has_perm("placements.view_review"):
            return self.none()
        if getattr(user, "provider_id", None):
            return self.filter(placement__provider_id=user.provider_id)
        return self


class Review(models.Model):
    """A review of a placement: what it achieved, how well it worked, and whether it goes on."""

    class Effectiveness(models.TextChoices):
        EFFECTIVE = "effective", "Effective"
        PARTLY = "partly", "Partly effective"
        NOT_EFFECTIVE = "not_effective", "Not effective"

    class Decision(models.TextChoices):
        CONTINUE = "continue", "Continue"
        CHANGE = "change", "Change"
        STOP = "stop", "Stop"

    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="reviews")
    held_on = models.DateField()
    outcomes = models.TextField(help_text="What the therapy achieved against the plan's outcomes.")
    effectiveness = models.CharField(max_length=15, choices=Effectiveness.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    next_review_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_review_on__isnull=True) | Q(next_review_on__gt=F("held_on")),
                name="placements_review_next_after_held",
                violation_error_message="The next review must be after this one.",
            ),
            models.CheckConstraint(
                condition=Q(decision="stop") | Q(next_review_on__isnull=False),
                name="placements_review_next_unless_stopped",
                violation_error_message="Set the next review date unless the placement stops.",
            ),
        ]
        indexes = [models.Index(fields=["-held_on", "-id"], name="plac_review_list_idx")]  # the review list's order

    def __str__(self) -> str:
        return f"Review #{self.pk}"


# NMISS: special-school places bought through the Dynamic Purchasing System ---------------------
# An officer raises a request for a child, invites eligible schools admitted to a lot, schools offer
# (fees in elements) or decline, officers score quality, price is scored from the fees, one offer is
# awarded, and the individual placement agreement records the place and its dated fee uplifts.
# Schools only ever see a pseudonymised profile of the child until they are awarded the place.


class PlacementRequestQuerySet(models.QuerySet):
    def visible_to(self, user) -> PlacementRequestQuerySet:
        """Council staff see every request (commissioners without names); a school only those it was invited to."""
        if not user.has_perm("placements.view_placementrequest"):
            return self.none()
        if getattr(user, "provider_id", None):
            return self.filter(invitations__school_id=user.provider_id).distinct()
        return self


class PlacementRequest(models.Model):
    """A request for a special-school place for one child, sent to the eligible schools on a DPS lot.

    draft -> open (schools invited; weights published) -> awarded, or cancelled. Awarded once only.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open to offers"
        AWARDED = "awarded", "Awarded"
        CANCELLED = "cancelled", "Cancelled"

    class Setting(models.TextChoices):
        DAY = "day", "Day"
        RESIDENTIAL = "residential", "Residential"

    reference = models.CharField(max_length=20, unique=True)
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="placement_requests")
    lot = models.ForeignKey("providers.Lot", on_delete=models.PROTECT, related_name="placement_requests")
    child_age = models.PositiveSmallIntegerField(help_text="The child's age when the request was raised.")
    primary_need = models.ForeignKey("core.PrimaryNeed", on_delete=models.PROTECT, related_name="+")
    needs_summary = models.TextField(help_text="What the school needs to know. Never the child's name.")
    setting = models.CharField(max_length=12, choices=Setting.choices)
    required_start = models.DateField()
    deadline = models.DateTimeField(help_text="Offers close at this time.")
    quality_weight = models.PositiveSmallIntegerField(default=60)
    price_weight = models.PositiveSmallIntegerField(default=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, help_text="When the invitations and weights went out.")
    awarded_at = models.DateTimeField(null=True, blank=True)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = PlacementRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("award_placementrequest", "Can score offers and award school places")]
        constraints = [
            models.CheckConstraint(
                condition=Q(quality_weight__gte=0)
                & Q(price_weight__gte=0)
                & Q(quality_weight__lte=100)
                & Q(price_weight__lte=100),
                name="placements_request_weights_in_range",
                violation_error_message="Weights are between 0 and 100.",
            ),
            models.CheckConstraint(
                condition=Q(quality_weight=100 - F("price_weight")),
                name="placements_request_weights_add_up",
                violation_error_message="The quality and price weights must add up to 100.",
            ),
            models.CheckConstraint(
                condition=Q(status="awarded", awarded_at__isnull=False)
                | (~Q(status="awarded") & Q(awarded_at__isnull=True)),
                name="placements_request_awarded_at_when_awarded",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="plac_request_status_idx"),
            models.Index(fields=["-created_at", "-id"], name="plac_request_list_idx"),  # the requests list's order
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("placements:placementrequest-detail", args=[self.pk])

    def is_open_for_offers(self, now=None) -> bool:
        return self.status == self.Status.OPEN and (now or timezone.now()) <= self.deadline


class InvitationQuerySet(models.QuerySet):
    def visible_to(self, user) -> InvitationQuerySet:
        if not user.has_perm("placements.view_invitation"):
            return self.none()
        if getattr(user, "provider_id", None):
            return self.filter(school_id=user.provider_id)
        return self


class Invitation(models.Model):
    """A school invited to offer a place for one request: invited -> offered or declined."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        OFFERED = "offered", "Offer made"
        DECLINED = "declined", "Declined"

    request = models.ForeignKey(PlacementRequest, on_delete=models.PROTECT, related_name="invitations")
    school = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="invitations")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    invited_at = models.DateTimeField(default=timezone.now)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    responded_at = models.DateTimeField(null=True, blank=True)
    declined_reason = models.TextField(blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["request", "school"]
        constraints = [
            models.UniqueConstraint(fields=["request", "school"], name="placements_invitation_once_per_school"),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(declined_reason=""),
                name="placements_invitation_decline_has_reason",
                violation_error_message="Say why the school declines.",
            ),
        ]
        indexes = [models.Index(fields=["-invited_at", "-id"], name="plac_invitation_list_idx")]  # the API list's order

    def __str__(self) -> str:
        return f"Invitation #{self.pk}"


class OfferQuerySet(models.QuerySet):
    def visible_to(self, user) -> OfferQuerySet:
        """A school sees only its own offers, never another school's. Offers are sealed until the deadline:
        council staff see them once offers have closed (the invitation shows that an offer was made)."""
        if not user.has_perm("placements.view_offer"):
            return self.none()
        if getattr(user, "provider_id", None):
            return self.filter(invitation__school_id=user.provider_id)
        return self.filter(request__deadline__lt=timezone.now())

    def sealed(self) -> OfferQuerySet:
        """Offers whose request has not yet closed: nobody at the council may read them yet."""
        return self.filter(request__deadline__gte=timezone.now())


class Offer(models.Model):
    """A school's offer of a place: the annual fee in elements, the weeks, the start, and how it will meet
    the child's needs. Officers score its quality (with a reason); its price score comes from the fees."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        AWARDED = "awarded", "Awarded"
        UNSUCCESSFUL = "unsuccessful", "Not successful"

    invitation = models.OneToOneField(Invitation, on_delete=models.PROTECT, related_name="offer")
    request = models.ForeignKey(PlacementRequest, on_delete=models.PROTECT, related_name="offers")
    education_fee = money_field("education (£ a year)")
    care_fee = money_field("care (£ a year)", default=Decimal("0.00"))
    therapy_fee = money_field("therapy (£ a year)", default=Decimal("0.00"))
    other_fee = money_field("other (£ a year)", default=Decimal("0.00"))
    weeks = models.PositiveSmallIntegerField(choices=[(38, "38 weeks"), (52, "52 weeks")])
    start_date = models.DateField()
    place_confirmed = models.BooleanField(default=False)
    quality_statement = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    quality_score = models.PositiveSmallIntegerField(null=True, blank=True)
    quality_reason = models.TextField(blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scored_at = models.DateTimeField(null=True, blank=True)

    objects = OfferQuerySet.as_manager()

    class Meta:
        ordering = ["request", "submitted_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(education_fee__gte=0) & Q(care_fee__gte=0) & Q(therapy_fee__gte=0) & Q(other_fee__gte=0),
                name="placements_offer_fees_not_negative",
                violation_error_message="Fees cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(quality_score__isnull=True) | (Q(quality_score__lte=100) & ~Q(quality_reason="")),
                name="placements_offer_score_in_range_with_reason",
                violation_error_message="A quality score is 0 to 100 and has a written reason.",
            ),
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status="awarded"),
                name="placements_offer_one_award_per_request",
                violation_error_message="This request has already been awarded.",
            ),
        ]
        indexes = [models.Index(fields=["-submitted_at", "-id"], name="plac_offer_list_idx")]  # the API list's order

    def __str__(self) -> str:
        return f"Offer #{self.pk}"

    @property
    def annual_fee(self) -> Decimal:
        return self.education_fee + self.care_fee + self.therapy_fee + self.other_fee


class SchoolOwnedQuerySet(models.QuerySet):
    """Records that belong to one school: council staff see all, a school only its own."""

    school_field = "school_id"

    def visible_to(self, user):
        if not user.has_perm(f"placements.view_{self.model._meta.model_name}"):
            return self.none()
        if getattr(user, "provider_id", None):
            return self.filter(**{self.school_field: user.provider_id})
        return self


class BlockContract(models.Model):
    """A number of places at one school bought for a fee, with the places used tracked by its placements."""

    reference = models.CharField(max_length=30, unique=True)
    school = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="block_contracts")
    places = models.PositiveSmallIntegerField()
    annual_fee = money_field("annual fee for the block (£)")
    start_date = models.DateField()
    end_date = models.DateField()
    decision_reference = models.CharField(max_length=50, blank=True)

    objects = SchoolOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["school", "-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(places__gte=1),
                name="placements_block_has_places",
                violation_error_message="A block has at least one place.",
            ),
            models.CheckConstraint(
                condition=Q(annual_fee__gte=0),
                name="placements_block_fee_not_negative",
                violation_error_message="The fee cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="placements_block_ends_after_start",
                violation_error_message="A block contract cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class SchoolPlacement(models.Model):
    """An individual placement agreement: one child's place at one school, its annual fee in elements,
    and the dated uplifts to it. Its committed cost per financial year is kept in SchoolPlacementCommitment."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="school_placements")
    school = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="school_placements")
    request = models.OneToOneField(
        PlacementRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="school_placement"
    )
    offer = models.OneToOneField(
        Offer, on_delete=models.PROTECT, null=True, blank=True, related_name="school_placement"
    )
    block_contract = models.ForeignKey(
        BlockContract, on_delete=models.PROTECT, null=True, blank=True, related_name="placements"
    )
    setting = models.CharField(max_length=12, choices=PlacementRequest.Setting.choices)
    weeks = models.PositiveSmallIntegerField(choices=[(38, "38 weeks"), (52, "52 weeks")])
    start_date = models.DateField()
    end_date = models.DateField(help_text="Last funded day (inclusive).")
    education_fee = money_field("education (£ a year)")
    care_fee = money_field("care (£ a year)", default=Decimal("0.00"))
    therapy_fee = money_field("therapy (£ a year)", default=Decimal("0.00"))
    other_fee = money_field("other (£ a year)", default=Decimal("0.00"))
    funding_source = models.CharField(
        max_length=20,
        choices=FundingSource.choices,
        default=FundingSource.HIGH_NEEDS,
        help_text="The budget that pays the fee (jointly funded residential places: the pooled budget).",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    end_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = SchoolOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="placements_schoolplacement_ends_after_start",
                violation_error_message="A placement cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(education_fee__gte=0) & Q(care_fee__gte=0) & Q(therapy_fee__gte=0) & Q(other_fee__gte=0),
                name="placements_schoolplacement_fees_not_negative",
                violation_error_message="Fees cannot be negative.",
            ),
        ]
        indexes = [
            models.Index(fields=["school", "status"], name="plac_schoolplacement_idx"),
            models.Index(fields=["-start_date", "-id"], name="plac_schoolplacement_list_idx"),  # the list's order
        ]

    def __str__(self) -> str:
        return f"School placement #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("placements:schoolplacement-detail", args=[self.pk])

    @property
    def annual_fee(self) -> Decimal:
        """The fee agreed at the start, before any uplift."""
        return self.education_fee + self.care_fee + self.therapy_fee + self.other_fee


class FeeUpliftQuerySet(SchoolOwnedQuerySet):
    school_field = "placement__school_id"


class FeeUplift(models.Model):
    """A dated percentage uplift to every element of a school placement's fee, with its reason and decision."""

    placement = models.ForeignKey(SchoolPlacement, on_delete=models.PROTECT, related_name="uplifts")
    effective_from = models.DateField()
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    reason = models.TextField()
    decision_reference = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = FeeUpliftQuerySet.as_manager()

    class Meta:
        ordering = ["placement", "effective_from", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "effective_from"], name="placements_uplift_one_per_day"),
            models.CheckConstraint(
                condition=Q(percent__gt=-100) & Q(percent__lte=100),
                name="placements_uplift_percent_in_range",
                violation_error_message="An uplift is between -100% and 100%.",
            ),
        ]
        indexes = [models.Index(fields=["-effective_from", "-id"], name="plac_uplift_list_idx")]  # the API list's order

    def __str__(self) -> str:
        return f"Uplift #{self.pk}"


class SchoolPlacementCommitment(models.Model):
    """A school placement's committed cost in one financial year (derived; rewritten by the services)."""

    placement = models.ForeignKey(SchoolPlacement, on_delete=models.CASCADE, related_name="commitments")
    financial_year = models.PositiveSmallIntegerField()
    amount = money_field("committed (£)")

    class Meta:
        ordering = ["placement", "financial_year"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "financial_year"], name="placements_schoolcommitment_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="placements_schoolcommitment_not_negative"),
        ]
        indexes = [models.Index(fields=["financial_year"], name="plac_schoolcommit_year_idx")]

    def __str__(self) -> str:
        return f"Commitment #{self.pk}"


class NmissHistoricalSpend(models.Model):
    """NMISS spend for a financial year before the service held placements (from the council's papers)."""

    financial_year = models.PositiveSmallIntegerField(unique=True)
    amount = money_field("spend (£)")
    source = models.CharField(max_length=200, help_text="Where the figure comes from.")

    class Meta:
        ordering = ["financial_year"]
        verbose_name_plural = "NMISS historical spend"
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="placements_nmisshistory_not_negative")]

    def __str__(self) -> str:
        return f"NMISS spend {self.financial_year}"
