"""Commissioned services: contracts with NHS trusts and others, and the procurement routes they follow."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.urls import reverse


class ProcurementRoute(models.Model):
    """A way the council may buy (QPL call-off, DPS, PSR direct award C, ...), with its rules as data."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["name"]

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

    reference = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=300)
    supplier = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="contracts")
    procurement_route = models.ForeignKey(
        ProcurementRoute, on_delete=models.PROTECT, related_name="contracts", null=True, blank=True
    )
    start_date = models.DateField()
    end_date = models.DateField(help_text="Last day of the contract (inclusive).")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    signed_on = models.DateField(null=True, blank=True)
    therapy_types = models.ManyToManyField("core.TherapyType", related_name="contracts", blank=True)
    districts = models.ManyToManyField("core.District", related_name="contracts", blank=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="contracts_contract_ends_after_start",
                violation_error_message="A contract cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("contracts:contract-detail", args=[self.pk])
