"""Local Government Transparency Code 2015: expenditure over £500, as the CSV the council publishes.

One row per payment: an invoice marked paid, dated by the day it was paid, of £500 or more, in the period.
The columns are the Code's own list for each item of expenditure, and nothing else: the date, the department
that incurred it, the beneficiary, a summary of its purpose, the amount, the VAT that cannot be recovered,
and the merchant category. The service does not hold VAT (invoices record the gross amount), so that column
says so rather than guessing a figure.

A payment to a family under a personal budget goes to an individual: the beneficiary is redacted as personal
data, and nothing about the child (name, EHCP reference, pseudonym), the family, or the payment's own number
or reference is read from the database at all. Payments to organisations carry the organisation's legal name.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, CharField, Count, DecimalField, F, Q, Sum, Value, When, Window
from django.utils import timezone

from core.forms import DateInput
from core.periods import add_months
from placements.models import Invoice, Placement
from reporting.definitions import Column, ReportDefinition, ReportParametersForm, Result, Table, register

from .common import council_reader

THRESHOLD = Decimal("500.00")  # the Code asks for expenditure exceeding £500; a payment of exactly £500 is included
DEPARTMENT = "Children, Young People and Education: Special Educational Needs and Disabilities"
REDACTED = "Redacted – personal data"
PERSONAL_BUDGET_PURPOSE = "Personal budget for therapy in an EHCP"
PERSONAL_BUDGET_CATEGORY = "Personal budget payments"
THERAPY_CATEGORY = "Therapy services"
NOT_HELD = "Not held"
TOTAL = DecimalField(max_digits=14, decimal_places=2)


def last_complete_quarter(today: date) -> tuple[date, date]:
    """The last calendar quarter (April to June, and so on: the financial year's quarters) that has ended."""
    this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return add_months(this_quarter, -3), this_quarter - timedelta(days=1)


class TransparencySpendForm(ReportParametersForm):
    period_from = forms.DateField(
        label="Paid from",
        required=False,
        widget=DateInput(),
        help_text="Leave both dates blank for the last complete quarter (the Code asks for quarterly publication).",
    )
    period_to = forms.DateField(label="Paid to", required=False, widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        if "period_from" in self.errors or "period_to" in self.errors:
            return cleaned
        start, end = cleaned.get("period_from"), cleaned.get("period_to")
        if start is None and end is None:
            start, end = last_complete_quarter(timezone.localdate())
        elif start is None:
            raise ValidationError({"period_from": "Enter the first day of the period."})
        elif end is None:
            raise ValidationError({"period_to": "Enter the last day of the period."})
        if end < start:
            raise ValidationError({"period_to": "The period must end on or after the day it starts."})
        cleaned["period_from"], cleaned["period_to"] = start, end
        return cleaned


def _paid(start: date, end: date):
    """Payments of £500 or more made in start..end, personal budgets marked, in SQL."""
    personal = Q(provider__isnull=True) | Q(placement__arrangement=Placement.Arrangement.PERSONAL_BUDGET)
    return (
        Invoice.objects.visible_to(council_reader())
        .filter(status=Invoice.Status.PAID, paid_on__gte=start, paid_on__lte=end, amount__gte=THRESHOLD)
        .annotate(
            personal=Case(When(personal, then=Value(True)), default=Value(False), output_field=BooleanField()),
            beneficiary=Case(
                When(personal, then=Value(REDACTED)), default=F("provider__legal_name"), output_field=CharField()
            ),
            therapy=Case(
                When(personal, then=Value("")),
                default=F("placement__provision__therapy_type__name"),
                output_field=CharField(),
            ),
        )
        .order_by()
    )


@register
class TransparencySpendReport(ReportDefinition):
    """Local Government Transparency Code 2015: each item of expenditure over £500, in the Code's columns only."""

    kind = "transparency-spend"
    title = "Transparency Code: spend over £500"
    description = (
        "Payments of £500 or more for children's therapy, as the Local Government Transparency Code 2015 asks "
        "councils to publish them; payments to families are redacted."
    )
    form_class = TransparencySpendForm
    group = "Open data"

    COLUMNS = [
        Column("date", "Date", "date"),
        Column("department", "Department"),
        Column("beneficiary", "Beneficiary"),
        Column("purpose", "Summary of purpose"),
        Column("amount", "Amount", "money"),
        Column("irrecoverable_vat", "Irrecoverable VAT", "money", empty=NOT_HELD),
        Column("merchant_category", "Merchant category"),
    ]

    def build(self, *, params, progress, user) -> Result:
        start, end = params["period_from"], params["period_to"]
        progress(20, "Reading the payments")
        # One reading of the payments: each row carries the totals (window aggregates over them all).
        payments = list(
            _paid(start, end)
            .annotate(
                payments=Window(Count("pk")),
                redacted=Window(Count("pk", filter=Q(personal=True))),
                total=Window(Sum("amount"), output_field=TOTAL),
            )
            .order_by("paid_on", "beneficiary", "pk")
            .values("paid_on", "amount", "beneficiary", "therapy", "personal", "payments", "redacted", "total")
        )
        rows = [
            {
                "date": row["paid_on"],
                "department": DEPARTMENT,
                "beneficiary": row["beneficiary"],
                "purpose": PERSONAL_BUDGET_PURPOSE if row["personal"] else f"{row['therapy']}: EHCP provision",
                "amount": row["amount"],
                "irrecoverable_vat": None,
                "merchant_category": PERSONAL_BUDGET_CATEGORY if row["personal"] else THERAPY_CATEGORY,
            }
            for row in payments
        ]
        first = payments[0] if payments else {"payments": 0, "redacted": 0, "total": Decimal("0.00")}
        totals = {"payments": first["payments"], "redacted": first["redacted"], "total": first["total"]}
        return Result(
            tables=[
                Table(
                    "payments",
                    f"Payments of £500 or more, {start:%-d %B %Y} to {end:%-d %B %Y}",
                    self.COLUMNS,
                    rows,
                    notes=[
                        "Date is the day the payment was made. Amounts are as invoiced, to the penny.",
                        "Irrecoverable VAT is not held: invoices record the gross amount only.",
                        "Payments to families under personal budgets are to individuals, so the beneficiary is "
                        "redacted as personal data and nothing that could identify the child is published.",
                    ],
                )
            ],
            summary=[
                {"label": "Payments", "value": totals["payments"], "kind": "int"},
                {"label": "Total paid", "value": totals["total"], "kind": "money"},
                {"label": "Redacted as personal data", "value": totals["redacted"], "kind": "int"},
            ],
        )
