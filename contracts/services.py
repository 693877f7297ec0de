"""Writes for contracts: the register, money over time, posts, routes, returns import, alerts."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.models import TherapyType, User
from core.periods import FinancialYear, add_months
from core.roles import Role
from core.services import notification_send, transition_record, users_with_role

from .models import (
    BudgetElement,
    Contract,
    ContractAlert,
    ContractYear,
    FundedPost,
    FundingContribution,
    PerformanceReturn,
    ProcurementRoute,
    ReturnImport,
    Variation,
)

PENNY = Decimal("0.01")


@transaction.atomic
def contract_save(
    *, data: dict, therapy_types=None, districts=None, contract: Contract | None = None, user: User | None = None
) -> Contract:
    """Create or change a contract (commissioners). Status changes go through contract_set_status."""
    contract = contract or Contract()
    for field, value in data.items():
        setattr(contract, field, value)
    if contract.extension_months_used > contract.extension_months_available:
        raise ValidationError({"extension_months_used": "More extension months used than the contract allows."})
    contract.full_clean(exclude=["therapy_types", "districts"])
    is_new = contract.pk is None
    contract.save()
    if therapy_types is not None:
        contract.therapy_types.set(therapy_types)
    if districts is not None:
        contract.districts.set(districts)
    if is_new:
        transition_record(subject=contract, from_state="", to_state=contract.status, actor=user, reason="Recorded")
    return contract


ALLOWED_STATUS_MOVES = {
    Contract.Status.DRAFT: {Contract.Status.ACTIVE, Contract.Status.TERMINATED},
    Contract.Status.ACTIVE: {Contract.Status.EXPIRED, Contract.Status.TERMINATED},
    Contract.Status.EXPIRED: {Contract.Status.ACTIVE},
    Contract.Status.TERMINATED: set(),
}


@transaction.atomic
def contract_set_status(*, contract: Contract, status: str, user: User | None, reason: str) -> Contract:
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if status not in ALLOWED_STATUS_MOVES[contract.status]:
        raise ValidationError(
            {
                "status": f"A contract that is {contract.get_status_display().lower()} cannot become "
                f"{Contract.Status(status).label.lower()}."
            }
        )
    if not reason.strip():
        raise ValidationError({"reason": "Enter the reason for the change."})
    previous = contract.status
    contract.status = status
    contract.save(update_fields=["status"])
    transition_record(subject=contract, from_state=previous, to_state=status, actor=user, reason=reason)
    return contract


@transaction.atomic
def contract_year_set(*, contract: Contract, financial_year: int, value: Decimal) -> ContractYear:
    if value < 0:
        raise ValidationError({"value": "A contract's value cannot be negative."})
    year = FinancialYear(financial_year)
    if year.end < contract.start_date or year.start > contract.end_date:
        raise ValidationError({"financial_year": f"{year.label} is outside the contract's term."})
    row, _ = ContractYear.objects.update_or_create(
        contract=contract, financial_year=financial_year, defaults={"value": value}
    )
    return row


@transaction.atomic
def variation_apply(
    *,
    contract: Contract,
    kind: str,
    effective_on: date,
    reason: str,
    user: User | None,
    decision_reference: str = "",
    uplift_percent: Decimal | None = None,
    value_change: Decimal | None = None,
    extension_months: int | None = None,
) -> Variation:
    """Record a variation and apply it to the years it affects, keeping what changed on the variation.

    An uplift raises every contract year starting on or after its date; a value change alters the year
    it falls in; an extension moves the end date and uses extension months (never more than allowed).
    """
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if not reason.strip():
        raise ValidationError({"reason": "Enter the reason for the variation."})
    applied: dict = {}
    if kind == Variation.Kind.UPLIFT:
        if uplift_percent is None:
            raise ValidationError({"uplift_percent": "Enter the uplift as a percentage."})
        years = ContractYear.objects.select_for_update().filter(
            contract=contract, financial_year__gte=FinancialYear.of(effective_on).start_year
        )
        if not years:
            raise ValidationError({"effective_on": "The contract has no years on or after this date to uplift."})
        for year in years:
            before = year.value
            year.value = (before * (1 + uplift_percent / 100)).quantize(PENNY, rounding=ROUND_HALF_UP)
            year.uplift_percent = uplift_percent
            year.save(update_fields=["value", "uplift_percent"])
            applied[year.label] = [str(before), str(year.value)]
    elif kind == Variation.Kind.VALUE:
        if value_change is None:
            raise ValidationError({"value_change": "Enter the change in value."})
        fy = FinancialYear.of(effective_on)
        year, _ = ContractYear.objects.select_for_update().get_or_create(
            contract=contract, financial_year=fy.start_year, defaults={"value": Decimal("0.00")}
        )
        before = year.value
        if before + value_change < 0:
            raise ValidationError({"value_change": f"The {fy.label} value cannot go below £0."})
        year.value = before + value_change
        year.save(update_fields=["value"])
        applied[fy.label] = [str(before), str(year.value)]
    elif kind == Variation.Kind.EXTENSION:
        if not extension_months:
            raise ValidationError({"extension_months": "Enter how many months the contract is extended by."})
        left = contract.extension_months_available - contract.extension_months_used
        if extension_months > left:
            raise ValidationError({"extension_months": f"Only {left} months of extension are left."})
        before = contract.end_date
        contract.end_date = add_months(contract.end_date + timedelta(days=1), extension_months) - timedelta(days=1)
        contract.extension_months_used += extension_months
        contract.save(update_fields=["end_date", "extension_months_used"])
        applied["end_date"] = [before.isoformat(), contract.end_date.isoformat()]
    return Variation.objects.create(
        contract=contract,
        kind=kind,
        effective_on=effective_on,
        uplift_percent=uplift_percent,
        value_change=value_change,
        extension_months=extension_months,
        reason=reason.strip(),
        decision_reference=decision_reference,
        applied=applied,
        recorded_by=user,
    )


@transaction.atomic
def funding_add(*, contract: Contract, funder: str, financial_year: int, amount: Decimal) -> FundingContribution:
    if amount < 0:
        raise ValidationError({"amount": "A contribution cannot be negative."})
    row, _ = FundingContribution.objects.update_or_create(
        contract=contract, funder=funder.strip(), financial_year=financial_year, defaults={"amount": amount}
    )
    return row


@transaction.atomic
def element_add(*, contract: Contract, name: str, amount: Decimal) -> BudgetElement:
    if amount < 0:
        raise ValidationError({"amount": "An element cannot be negative."})
    return BudgetElement.objects.create(contract=contract, name=name.strip(), amount=amount)


@transaction.atomic
def post_add(
    *,
    contract: Contract,
    therapist_type: str,
    locality: str,
    percent_funded: Decimal | None = None,
    fte: Decimal | None = None,
) -> FundedPost:
    if percent_funded is not None and not (0 <= percent_funded <= 100):
        raise ValidationError({"percent_funded": "Enter a percentage from 0 to 100."})
    if fte is not None and fte < 0:
        raise ValidationError({"fte": "FTE cannot be negative."})
    return FundedPost.objects.create(
        contract=contract,
        therapist_type=therapist_type.strip(),
        locality=locality.strip(),
        percent_funded=percent_funded,
        fte=fte,
    )


@transaction.atomic
def route_update(*, route: ProcurementRoute, data: dict) -> ProcurementRoute:
    for field, value in data.items():
        setattr(route, field, value)
    route.full_clean()
    route.save()
    return route


# Performance returns --------------------------------------------------------------------------------

RETURN_COLUMNS = [
    "month",
    "contract_reference",
    "therapy_type",
    "locality",
    "referrals_received",
    "waiting_assessment",
    "waiting_assessment_over_12_weeks",
    "waiting_intervention",
    "waiting_intervention_over_12_weeks",
    "waiting_0_18_weeks",
    "waiting_18_52_weeks",
    "waiting_over_52_weeks",
    "caseload",
    "data_quality_note",
]
NUMBER_COLUMNS = RETURN_COLUMNS[4:13]
OVER_TOTAL = [
    ("waiting_assessment_over_12_weeks", "waiting_assessment"),
    ("waiting_intervention_over_12_weeks", "waiting_intervention"),
]
MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")
NOT_REPORTED = {"", "n/a", "na", "not reported", "-"}


def returns_template() -> str:
    example = [
        "2023-05",
        "CON-REF",
        "speech-language",
        "",
        "83",
        "539",
        "407",
        "",
        "",
        "",
        "",
        "",
        "",
        "Intervention not counted",
    ]
    return ",".join(RETURN_COLUMNS) + "\r\n" + ",".join(example) + "\r\n"


def returns_import(*, content: bytes, filename: str, user: User, replace: bool = False, contracts=None) -> ReturnImport:
    """Import a standard performance-return CSV. Every row is checked; any bad row imports nothing.

    `contracts` is the queryset the uploader may upload for (a provider: only its own). Re-uploading
    a month already held is refused unless `replace` is set. Errors name the row and the column.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": ["The file must be CSV saved as UTF-8."]}) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in RETURN_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationError({"file": [f"The file is missing the column(s): {', '.join(missing)}. Use the template."]})
    allowed = {c.reference: c for c in (contracts if contracts is not None else Contract.objects.all())}
    therapies = {t.code: t for t in TherapyType.objects.all()} | {t.name.lower(): t for t in TherapyType.objects.all()}
    errors, rows, seen = [], [], set()
    for number, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        problems = []

        def problem(column, message, problems=problems, number=number):
            problems.append(f"Row {number}, column {column}: {message}")

        match = MONTH.match(row["month"])
        month = None
        if not match or not 1 <= int(match.group(2)) <= 12:
            problem("month", f"{row['month']!r} is not a month like 2023-05")
        else:
            month = date(int(match.group(1)), int(match.group(2)), 1)
        contract = allowed.get(row["contract_reference"])
        if contract is None:
            problem("contract_reference", f"{row['contract_reference']!r} is not a contract you can send returns for")
        elif month and not (contract.start_date.replace(day=1) <= month <= contract.end_date):
            problem(
                "month",
                f"{month:%B %Y} is outside contract {contract.reference} "
                f"({contract.start_date:%-d %b %Y} to {contract.end_date:%-d %b %Y})",
            )
        therapy = therapies.get(row["therapy_type"]) or therapies.get(row["therapy_type"].lower())
        if therapy is None:
            problem("therapy_type", f"unknown therapy {row['therapy_type']!r}")
        figures = {}
        for column in NUMBER_COLUMNS:
            value = row[column].replace(",", "")
            if value.lower() in NOT_REPORTED:
                figures[column] = None
            elif not value.isdigit():
                problem(column, f"{row[column]!r} is not a whole number of 0 or more (leave it blank if not reported)")
            else:
                figures[column] = int(value)
        for over, total in OVER_TOTAL:
            if figures.get(over) is not None and figures.get(total) is not None and figures[over] > figures[total]:
                problem(over, f"{figures[over]} waiting over 12 weeks is more than the {figures[total]} waiting in all")
        key = (contract.pk if contract else None, month, therapy.pk if therapy else None, row["locality"])
        if not problems and key in seen:
            problem("month", "this contract, month, therapy and locality appear twice in the file")
        seen.add(key)
        if problems:
            errors.extend(problems)
            continue
        rows.append((number, contract, month, therapy, row["locality"], figures, row["data_quality_note"]))
    if not rows and not errors:
        errors.append("The file has no rows.")
    if not errors and not replace:
        held = Q(pk__in=[])
        for _, contract, month, therapy, locality, _, _ in rows:
            held |= Q(contract=contract, month=month, therapy_type=therapy, locality=locality)
        existing = {
            (r.contract_id, r.month, r.therapy_type_id, r.locality) for r in PerformanceReturn.objects.filter(held)
        }
        for number, contract, month, therapy, locality, _, _ in rows:
            if (contract.pk, month, therapy.pk, locality) in existing:
                errors.append(
                    f"Row {number}, column month: {month:%B %Y} is already held for {contract.reference} "
                    f"({therapy.name}). Choose to replace it to upload it again."
                )
    if errors:
        raise ValidationError({"file": errors})
    with transaction.atomic():
        batch = ReturnImport.objects.create(filename=filename[:200], rows=len(rows), uploaded_by=user)
        replaced = 0
        for _, contract, month, therapy, locality, figures, note in rows:
            _, created = PerformanceReturn.objects.update_or_create(
                contract=contract,
                month=month,
                therapy_type=therapy,
                locality=locality,
                defaults={**figures, "data_quality_note": note, "source": batch},
            )
            replaced += not created
        batch.replaced = replaced
        batch.save(update_fields=["replaced"])
    return batch


# Alerts ----------------------------------------------------------------------------------------------


def contract_alerts_check(*, today: date | None = None) -> dict:
    """The daily check: raise alerts for contracts ending within 6, 3 and 1 months and for unsigned
    contracts delivering; resolve the ones no longer true. New alerts notify officers and commissioners."""
    today = today or timezone.localdate()
    live = Contract.objects.filter(status=Contract.Status.ACTIVE, end_date__gte=today)
    wanted: set[tuple[int, str]] = set()
    for contract in live.only("pk", "end_date", "signed_on", "start_date"):
        for months, kind in (
            (1, ContractAlert.Kind.ENDING_1),
            (3, ContractAlert.Kind.ENDING_3),
            (6, ContractAlert.Kind.ENDING_6),
        ):
            if contract.end_date <= add_months(today, months):
                wanted.add((contract.pk, kind))
                break  # the nearest threshold only
        if contract.signed_on is None and contract.start_date <= today:
            wanted.add((contract.pk, ContractAlert.Kind.UNSIGNED))
    open_alerts = {(a.contract_id, a.kind): a for a in ContractAlert.objects.filter(resolved_on__isnull=True)}
    with transaction.atomic():
        resolved = ContractAlert.objects.filter(
            pk__in=[alert.pk for key, alert in open_alerts.items() if key not in wanted]
        ).update(resolved_on=today)
        new = [ContractAlert(contract_id=pk, kind=kind, raised_on=today) for pk, kind in wanted - set(open_alerts)]
        ContractAlert.objects.bulk_create(new)
    if new:
        contracts = {c.pk: c for c in Contract.objects.filter(pk__in=[a.contract_id for a in new])}
        lines = [f"{contracts[a.contract_id].reference}: {ContractAlert.Kind(a.kind).label}" for a in new]
        notification_send(
            recipients=[*users_with_role(Role.OFFICER), *users_with_role(Role.COMMISSIONER)],
            kind="contract-alerts",
            title=f"{len(new)} new contract alert{'s' if len(new) != 1 else ''}",
            body="\n".join(lines),
            url="/contracts/?alerts=1",
        )
    return {"raised": len(new), "resolved": resolved}
