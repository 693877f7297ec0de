"""Commissioned services: contracts with NHS trusts and others, the procurement routes they follow (as
data), their money over time, funded posts, and the monthly performance returns in one standard shape."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core.models import FundingSource
from core.money import money_field
from core.periods import FinancialYear


class ProcurementRoute(models.Model):
    """A way the council may buy, with its rules as fields so that a change in the law is a data change.

    A route may be capped (`max_total_value`: above it the route cannot be used); above the
    key-decision threshold a contract needs a key decision; some routes need a transparency notice
    and a standstill period before award.
    """

    class Regime(models.TextChoices):
        PCR_2015 = "pcr2015", "Public Contracts Regulations 2015"
        PSR = "psr", "Health Care Services (Provider Selection Regime) Regulations 2023"
        PA_2023 = "pa2023", "Procurement Act 2023"
        COUNCIL = "council", "The council's own rules"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200, unique=True)
    regime = models.CharField(max_length=10, choices=Regime.choices, default=Regime.COUNCIL)
    max_total_value = money_field(
        "most this route may be used for (£)", null=True, blank=True, help_text="Blank: no cap."
    )
    key_decision_threshold = money_field("key decision needed above (£)", default=Decimal("1000000.00"))
    requires_transparency_notice = models.BooleanField(default=False)
    requires_standstill = models.BooleanField(default=False)
    standstill_days = models.PositiveSmallIntegerField(default=0)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["regime", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_total_value__isnull=True) | Q(max_total_value__gte=0),
                name="contracts_route_cap_not_negative",
            ),
            models.CheckConstraint(condition=Q(key_decision_threshold__gte=0), name="contracts_route_kd_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class ContractQuerySet(models.QuerySet):
    def visible_to(self, user) -> ContractQuerySet:
        """Council staff see every contract; a provider user sees only contracts their organisation supplies."""
        if user.has_perm("contracts.view_contract"):
            return self
        if getattr(user, "provider_id", None):
            return self.filter(supplier_id=user.provider_id)
        return self.none()


class Contract(models.Model):
    """A contract for a commissioned service (block, integrated therapy service, framework, call-off)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        TERMINATED = "terminated", "Terminated"

    class Kind(models.TextChoices):
        BLOCK = "block", "Block contract"
        INTEGRATED_THERAPY = "integrated_therapy", "Integrated therapy service"
        FRAMEWORK = "framework", "Framework"
        DPS_AGREEMENT = "dps_agreement", "DPS agreement"
        CALL_OFF = "call_off", "Call-off contract"
        POOLED_SERVICE = "pooled_service", "Jointly funded service"

    FundingSource = FundingSource

    reference = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    supplier = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="contracts")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.BLOCK)
    procurement_route = models.ForeignKey(
        ProcurementRoute, on_delete=models.PROTECT, related_name="contracts", null=True, blank=True
    )
    key_decision_number = models.CharField(max_length=20, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(help_text="Last day of the contract (inclusive).")
    extension_months_available = models.PositiveSmallIntegerField(default=0)
    extension_months_used = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    signed_on = models.DateField(null=True, blank=True)
    lead_commissioner = models.CharField(max_length=200, default="Kent County Council")
    joint_commissioners = models.CharField(max_length=300, blank=True)
    funding_source = models.CharField(max_length=20, choices=FundingSource.choices, default=FundingSource.HIGH_NEEDS)
    budget_envelope = money_field(
        "budget envelope (£)", null=True, blank=True, help_text="The budget the contract's elements must fit."
    )
    notes = models.TextField(blank=True, help_text="Anything a reader should know, such as figures that disagree.")
    therapy_types = models.ManyToManyField("core.TherapyType", related_name="contracts", blank=True)
    districts = models.ManyToManyField("core.District", related_name="contracts", blank=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        permissions = [("change_contract_status", "Can start, end or terminate a contract")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="contracts_contract_ends_after_start",
                violation_error_message="A contract cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(extension_months_used__lte=F("extension_months_available")),
                name="contracts_contract_extensions_within_options",
                violation_error_message="More extension months used than the contract allows.",
            ),
            models.CheckConstraint(
                condition=Q(budget_envelope__isnull=True) | Q(budget_envelope__gte=0),
                name="contracts_contract_envelope_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["status", "end_date"], name="contracts_status_end_idx")]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("contracts:contract-detail", args=[self.pk])

    def is_live_on(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date and self.status != self.Status.TERMINATED


class ContractOwnedQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user.has_perm("contracts.view_contract"):
            return self
        if getattr(user, "provider_id", None):
            return self.filter(contract__supplier_id=user.provider_id)
        return self.none()


class ContractYear(models.Model):
    """The contract's value in one financial year (uplifts and value variations change it, recorded)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="years")
    financial_year = models.PositiveSmallIntegerField(help_text="The year the financial year starts: 2023 for 2023-24.")
    value = money_field("value (£)")
    uplift_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    objects = ContractOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "financial_year"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "financial_year"], name="contracts_year_unique"),
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="contracts_year_value_not_negative",
                violation_error_message="A contract's value cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.reference} {self.label}"

    @property
    def label(self) -> str:
        return FinancialYear(self.financial_year).label


class Variation(models.Model):
    """A dated change to a contract (uplift, extension, scope or value), with its reason and decision."""

    class Kind(models.TextChoices):
        UPLIFT = "uplift", "Uplift (%)"
        EXTENSION = "extension", "Extension"
        SCOPE = "scope", "Scope change"
        VALUE = "value", "Value change"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="variations")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    effective_on = models.DateField()
    uplift_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    value_change = money_field("value change (£)", null=True, blank=True)
    extension_months = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.TextField()
    decision_reference = models.CharField(max_length=50, blank=True)
    applied = models.JSONField(default=dict, blank=True, help_text="What the variation changed: years and values.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ContractOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "effective_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.effective_on}"


class FundingContribution(models.Model):
    """One funder's share of a (pooled) budget in one financial year."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="funding")
    funder = models.CharField(max_length=200)
    financial_year = models.PositiveSmallIntegerField()
    amount = money_field("amount (£)")

    objects = ContractOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "financial_year", "funder"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "funder", "financial_year"], name="contracts_funding_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="contracts_funding_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.funder} {FinancialYear(self.financial_year).label}"


class BudgetElement(models.Model):
    """A part of a contract's budget envelope (for example a service element); they should add up."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="elements")
    name = models.CharField(max_length=200)
    amount = money_field("amount (£)")

    objects = ContractOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="contracts_element_not_negative")]

    def __str__(self) -> str:
        return self.name


class FundedPost(models.Model):
    """Posts the contract funds: therapist type, locality, the share of the post funded, and FTE."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="posts")
    therapist_type = models.CharField(max_length=100)
    locality = models.CharField(max_length=200)
    percent_funded = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    fte = models.DecimalField("FTE", max_digits=6, decimal_places=2, null=True, blank=True)

    objects = ContractOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "therapist_type", "locality"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent_funded__isnull=True) | (Q(percent_funded__gte=0) & Q(percent_funded__lte=100)),
                name="contracts_post_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(fte__isnull=True) | Q(fte__gte=0), name="contracts_post_fte_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.therapist_type}, {self.locality}"


class ReturnImport(models.Model):
    """One uploaded performance-return file (all its rows or none)."""

    filename = models.CharField(max_length=200)
    rows = models.PositiveIntegerField()
    replaced = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.rows} rows)"


class PerformanceReturn(models.Model):
    """One month's figures for one therapy (and locality) under one contract, in the standard shape.

    A blank figure means "not reported", which is never the same as zero.
    """

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="returns")
    month = models.DateField(help_text="The first day of the month reported.")
    therapy_type = models.ForeignKey("core.TherapyType", on_delete=models.PROTECT, related_name="+")
    locality = models.CharField(max_length=200, blank=True)
    referrals_received = models.PositiveIntegerField(null=True, blank=True)
    waiting_assessment = models.PositiveIntegerField(null=True, blank=True)
    waiting_assessment_over_12_weeks = models.PositiveIntegerField(null=True, blank=True)
    waiting_intervention = models.PositiveIntegerField(null=True, blank=True)
    waiting_intervention_over_12_weeks = models.PositiveIntegerField(null=True, blank=True)
    waiting_0_18_weeks = models.PositiveIntegerField(null=True, blank=True)
    waiting_18_52_weeks = models.PositiveIntegerField(null=True, blank=True)
    waiting_over_52_weeks = models.PositiveIntegerField(null=True, blank=True)
    caseload = models.PositiveIntegerField(null=True, blank=True)
    data_quality_note = models.TextField(blank=True)
    source = models.ForeignKey(ReturnImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="returns")

    objects = ContractOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["month", "contract", "therapy_type", "locality"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "month", "therapy_type", "locality"], name="contracts_return_one_per_month"
            ),
            models.CheckConstraint(
                condition=Q(waiting_assessment_over_12_weeks__isnull=True)
                | Q(waiting_assessment__isnull=True)
                | Q(waiting_assessment_over_12_weeks__lte=F("waiting_assessment")),
                name="contracts_return_assessment_over_12_within_total",
            ),
            models.CheckConstraint(
                condition=Q(waiting_intervention_over_12_weeks__isnull=True)
                | Q(waiting_intervention__isnull=True)
                | Q(waiting_intervention_over_12_weeks__lte=F("waiting_intervention")),
                name="contracts_return_intervention_over_12_within_total",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="contracts_return_month_is_first_day"),
        ]
        indexes = [models.Index(fields=["month", "therapy_type"], name="contracts_return_month_idx")]

    def __str__(self) -> str:
        return f"{self.contract.reference} {self.month:%b %Y}"


class ContractAlert(models.Model):
    """A flag the daily check raises: ending within 6, 3 or 1 months, or unsigned while delivering."""

    class Kind(models.TextChoices):
        ENDING_6 = "ending_6", "Ends within 6 months"
        ENDING_3 = "ending_3", "Ends within 3 months"
        ENDING_1 = "ending_1", "Ends within a month"
        UNSIGNED = "unsigned", "Delivering without a signed contract"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    raised_on = models.DateField(default=timezone.localdate)
    resolved_on = models.DateField(null=True, blank=True)

    objects = ContractOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["raised_on", "contract"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "kind"], condition=Q(resolved_on__isnull=True), name="contracts_alert_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.reference}: {self.get_kind_display()}"
