"""Reads for contracts: the register with its rule warnings, coverage, and comparable returns."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.models import District, TherapyType, User
from providers.models import Membership, Provider, ProviderList

from .models import (
    BudgetElement,
    Contract,
    ContractAlert,
    ContractYear,
    PerformanceReturn,
    ProcurementRoute,
    Variation,
)

MONEY = DecimalField(max_digits=14, decimal_places=2)
DEFAULT_KEY_DECISION_THRESHOLD = Decimal("1000000.00")


def _sum_subquery(model, field: str):
    return Coalesce(
        Subquery(
            model.objects.filter(contract=OuterRef("pk"))
            .order_by()
            .values("contract")
            .annotate(total=Sum(field))
            .values("total")[:1],
            output_field=MONEY,
        ),
        Value(Decimal("0.00")),
        output_field=MONEY,
    )


def contract_list(*, user: User, today: date | None = None) -> QuerySet[Contract]:
    """The register: every contract this person may see, its total value and the rules it breaks, in SQL."""
    today = today or timezone.localdate()
    threshold = Coalesce(F("procurement_route__key_decision_threshold"), Value(DEFAULT_KEY_DECISION_THRESHOLD))
    return (
        Contract.objects.visible_to(user)
        .select_related("supplier", "procurement_route")
        .prefetch_related("therapy_types", "districts")
        .annotate(
            total_value=_sum_subquery(ContractYear, "value"),
            elements_total=_sum_subquery(BudgetElement, "amount"),
        )
        .annotate(
            needs_key_decision=ExpressionWrapper(
                Q(total_value__gt=threshold) & Q(key_decision_number=""), output_field=BooleanField()
            ),
            over_route_cap=ExpressionWrapper(
                Q(procurement_route__max_total_value__isnull=False)
                & Q(total_value__gt=F("procurement_route__max_total_value")),
                output_field=BooleanField(),
            ),
            unsigned_delivering=ExpressionWrapper(
                Q(signed_on__isnull=True)
                & Q(status__in=[Contract.Status.ACTIVE, Contract.Status.EXPIRED])
                & Q(start_date__lte=today),
                output_field=BooleanField(),
            ),
            elements_mismatch=Case(
                When(
                    Q(budget_envelope__isnull=False)
                    & Exists(BudgetElement.objects.filter(contract=OuterRef("pk")))
                    & ~Q(elements_total=F("budget_envelope")),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .order_by("reference")
    )


def contract_warnings(contract: Contract) -> list[str]:
    """Plain words for the rules a contract from `contract_list` breaks."""
    warnings = []
    route = contract.procurement_route
    if contract.needs_key_decision:
        threshold = route.key_decision_threshold if route else DEFAULT_KEY_DECISION_THRESHOLD
        warnings.append(
            f"Its total value, £{contract.total_value:,.2f}, is over the key-decision threshold of "
            f"£{threshold:,.0f}, but it has no key decision number."
        )
    if contract.over_route_cap:
        warnings.append(
            f"Its total value, £{contract.total_value:,.2f}, is over the £{route.max_total_value:,.0f} "
            f"that the route ‘{route.name}’ may be used for."
        )
    if contract.unsigned_delivering:
        warnings.append(
            "It is delivering without a signed contract."
            if contract.status == Contract.Status.ACTIVE
            else "It delivered without a signed contract."
        )
    if contract.elements_mismatch:
        difference = contract.budget_envelope - contract.elements_total
        warnings.append(
            f"Its budget elements add up to £{contract.elements_total:,.2f}, not the budget envelope of "
            f"£{contract.budget_envelope:,.2f}: a difference of £{difference:,.2f}."
        )
    if route is None and contract.status != Contract.Status.DRAFT:
        warnings.append("No procurement route is recorded.")
    return warnings


def contract_get(*, user: User, pk: int) -> Contract:
    return (
        contract_list(user=user)
        .prefetch_related(
            "years",
            Prefetch("variations", queryset=Variation.objects.select_related("recorded_by")),
            "funding",
            "elements",
            "posts",
            Prefetch("alerts", queryset=ContractAlert.objects.filter(resolved_on__isnull=True)),
        )
        .get(pk=pk)
    )


def route_list() -> QuerySet[ProcurementRoute]:
    return ProcurementRoute.objects.all()


def funding_by_funder(contract: Contract) -> list[dict]:
    """Each funder's contribution per year, with the year's total (from the prefetched rows)."""
    by_year: dict[int, list] = defaultdict(list)
    for row in contract.funding.all():
        by_year[row.financial_year].append(row)
    return [
        {"year": year, "rows": rows, "total": sum((r.amount for r in rows), Decimal("0.00"))}
        for year, rows in sorted(by_year.items())
    ]


# Coverage ---------------------------------------------------------------------------------------


@dataclass
class CoverageCell:
    district: District
    therapy: TherapyType
    contracts: list
    providers: list

    @property
    def is_gap(self) -> bool:
        return not self.contracts and not self.providers


def coverage(*, user: User, on: date | None = None, therapies=None) -> dict:
    """District × therapy: the live contracts and admitted QPL providers covering each cell (three queries)."""
    on = on or timezone.localdate()
    districts = list(District.objects.current(on))
    therapies = list(therapies if therapies is not None else TherapyType.objects.filter(is_active=True))
    live = (
        Contract.objects.visible_to(user)
        .filter(start_date__lte=on, end_date__gte=on)
        .exclude(status=Contract.Status.TERMINATED)
    )
    contract_pairs = defaultdict(list)
    through = Contract.districts.through
    therapy_through = Contract.therapy_types.through
    rows = through.objects.filter(contract__in=live).values_list(
        "district_id",
        "contract_id",
        "contract__reference",
        "contract__supplier__trading_name",
        "contract__supplier__legal_name",
    )
    contract_therapies = defaultdict(set)
    for contract_id, therapy_id in therapy_through.objects.filter(contract__in=live).values_list(
        "contract_id", "therapytype_id"
    ):
        contract_therapies[contract_id].add(therapy_id)
    for district_id, contract_id, reference, trading, legal in rows:
        for therapy_id in contract_therapies[contract_id]:
            contract_pairs[(district_id, therapy_id)].append(
                {"reference": reference, "supplier": trading or legal, "id": contract_id}
            )
    admitted = Membership.objects.admitted_on(on).filter(provider_list__kind=ProviderList.Kind.QPL).values("provider")
    provider_pairs = defaultdict(list)
    provider_rows = Provider.districts.through.objects.filter(provider__in=admitted).values_list(
        "district_id", "provider_id", "provider__trading_name", "provider__legal_name"
    )
    provider_therapies = defaultdict(set)
    for provider_id, therapy_id in Provider.therapy_types.through.objects.filter(provider__in=admitted).values_list(
        "provider_id", "therapytype_id"
    ):
        provider_therapies[provider_id].add(therapy_id)
    for district_id, provider_id, trading, legal in provider_rows:
        for therapy_id in provider_therapies[provider_id]:
            provider_pairs[(district_id, therapy_id)].append(trading or legal)
    grid = [
        {
            "district": district,
            "cells": [
                CoverageCell(
                    district,
                    therapy,
                    contract_pairs[(district.pk, therapy.pk)],
                    sorted(provider_pairs[(district.pk, therapy.pk)]),
                )
                for therapy in therapies
            ],
        }
        for district in districts
    ]
    gaps = [cell for row in grid for cell in row["cells"] if cell.is_gap]
    contract_gaps = [cell for row in grid for cell in row["cells"] if not cell.contracts]
    return {"therapies": therapies, "grid": grid, "gaps": gaps, "contract_gaps": contract_gaps, "on": on}


# Performance returns --------------------------------------------------------------------------------

MEASURES = [
    ("referrals_received", "Referrals received"),
    ("waiting_assessment", "Waiting for assessment"),
    ("waiting_assessment_over_12_weeks", "Of whom waiting over 12 weeks"),
    ("waiting_intervention", "Waiting for intervention"),
    ("waiting_intervention_over_12_weeks", "Of whom waiting over 12 weeks (intervention)"),
    ("waiting_0_18_weeks", "Waiting 0–18 weeks"),
    ("waiting_18_52_weeks", "Waiting 18–52 weeks"),
    ("waiting_over_52_weeks", "Waiting over 52 weeks"),
    ("caseload", "Caseload"),
]


def return_list(*, user: User) -> QuerySet[PerformanceReturn]:
    return PerformanceReturn.objects.visible_to(user).select_related("contract__supplier", "therapy_type")


def comparison(
    *, user: User, therapy: TherapyType | None = None, date_from: date | None = None, date_to: date | None = None
) -> dict:
    """Trusts side by side, month by month, on the same measures; summed per supplier in SQL.

    A measure nobody reported in a month stays None ("not reported"), never 0.
    """
    returns = PerformanceReturn.objects.visible_to(user)
    if therapy:
        returns = returns.filter(therapy_type=therapy)
    if date_from:
        returns = returns.filter(month__gte=date_from)
    if date_to:
        returns = returns.filter(month__lte=date_to)
    rows = (
        returns.values(
            "month", "contract__supplier_id", "contract__supplier__trading_name", "contract__supplier__legal_name"
        )
        .annotate(**{key: Sum(key) for key, _ in MEASURES})
        .order_by("month", "contract__supplier__legal_name")
    )
    notes = defaultdict(list)
    for month, supplier_id, note in (
        returns.exclude(data_quality_note="")
        .values_list("month", "contract__supplier_id", "data_quality_note")
        .distinct()
    ):
        notes[(month, supplier_id)].append(note)
    suppliers: dict[int, str] = {}
    months: dict[date, dict] = defaultdict(dict)
    for row in rows:
        supplier_id = row["contract__supplier_id"]
        suppliers[supplier_id] = row["contract__supplier__trading_name"] or row["contract__supplier__legal_name"]
        figures = {key: row[key] for key, _ in MEASURES}
        for key, over, total in (
            ("assessment_over_12_share", "waiting_assessment_over_12_weeks", "waiting_assessment"),
            ("intervention_over_12_share", "waiting_intervention_over_12_weeks", "waiting_intervention"),
        ):
            figures[key] = (
                (Decimal(figures[over]) * 100 / Decimal(figures[total])).quantize(Decimal("0.1"))
                if figures[over] is not None and figures[total]
                else None
            )
        figures["notes"] = notes.get((row["month"], supplier_id), [])
        figures["supplier"] = suppliers[supplier_id]
        months[row["month"]][supplier_id] = figures
    supplier_ids = sorted(suppliers, key=lambda s: suppliers[s])
    return {
        "suppliers": [(s, suppliers[s]) for s in supplier_ids],
        "months": [{"month": m, "by_supplier": [months[m].get(s) for s in supplier_ids]} for m in sorted(months)],
        "measures": MEASURES,
    }
