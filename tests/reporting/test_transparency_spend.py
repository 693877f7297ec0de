"""The Transparency Code's spend over £500: the Code's columns only, £500 and up, personal budgets redacted."""

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import TherapyType
from placements import services
from placements.models import Invoice, Placement
from reporting.models import ReportRun
from reporting.reports.transparency_spend import last_complete_quarter
from reporting.services import report_run_request
from tests.placements.factories import ChildFactory, InvoiceFactory, PlacementFactory, ProvisionFactory
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db

QUARTER = {"period_from": "2025-04-01", "period_to": "2025-06-30"}
CODE_COLUMNS = [
    "Date",
    "Department",
    "Beneficiary",
    "Summary of purpose",
    "Amount",
    "Irrecoverable VAT",
    "Merchant category",
]
DEPARTMENT = "Children, Young People and Education: Special Educational Needs and Disabilities"


def paid(placement, amount, paid_on, **kwargs):
    return InvoiceFactory(
        placement=placement,
        amount=Decimal(amount),
        status=Invoice.Status.PAID,
        paid_on=paid_on,
        period_start=date(2025, 4, 1),
        period_end=date(2025, 4, 30),
        **kwargs,
    )


def therapy_placement(provider, code="speech-language"):
    provision = ProvisionFactory(therapy_type=TherapyType.objects.get(code=code))
    return PlacementFactory(
        provision=provision, provider=provider, start_date=date(2025, 4, 1), end_date=date(2026, 3, 31)
    )


def personal_budget(officer, child):
    provision = ProvisionFactory(child=child, therapy_type=TherapyType.objects.get(code="occupational"))
    placement = services.placement_arrange(
        provision=provision,
        arrangement=Placement.Arrangement.PERSONAL_BUDGET,
        user=officer,
        start_date=date(2025, 4, 1),
        end_date=date(2026, 3, 31),
        units_per_week=Decimal("1"),
        budget_amount=Decimal("3000.00"),
        budget_signed_on=date(2025, 3, 20),
        budget_review_on=date(2025, 9, 30),
        budget_paid_to="Hester Windlestraw",
    )
    return services.placement_activate(placement=placement, user=officer)


@pytest.fixture
def payments(officer):
    speech = ProviderFactory(legal_name="Fictional Speech Partnership Ltd", trading_name="Speech Partners")
    placement = therapy_placement(speech)
    included = [
        paid(placement, "500.00", date(2025, 4, 15), number="SP-0001"),
        paid(placement, "1234.56", date(2025, 6, 30), number="SP-0002"),
    ]
    paid(placement, "499.99", date(2025, 5, 1), number="SP-0003")  # under £500
    paid(placement, "900.00", date(2025, 7, 1), number="SP-0004")  # paid after the quarter
    paid(placement, "880.00", date(2025, 3, 31), number="SP-0005")  # paid before it
    InvoiceFactory(placement=placement, amount=Decimal("800.00"), status=Invoice.Status.APPROVED, number="SP-0006")
    child = ChildFactory(first_name="Perpetua", last_name="Windlestraw", ehcp_reference="EHCP-PB-0042")
    family = personal_budget(officer, child)
    budget_payment = paid(
        family,
        "750.00",
        date(2025, 5, 20),
        provider=None,
        number=f"PB-{child.ehcp_reference}",
        payment_reference=f"BACS {child.pseudonym}",
    )
    return {"included": included, "child": child, "budget_payment": budget_payment, "family": family}


def run(user, **params):
    result = report_run_request(kind="transparency-spend", parameters={**QUARTER, **params}, user=user)
    assert result.status == ReportRun.Status.SUCCEEDED, result.error
    return result


def csv_bytes(report) -> bytes:
    return report.files.get(format="csv", table="").file.read()


def test_the_csv_has_exactly_the_codes_columns_and_the_payments_of_500_or_more(commissioner, payments):
    report = run(commissioner)
    rows = list(csv.reader(io.StringIO(csv_bytes(report).decode("utf-8-sig"))))
    assert rows[0] == CODE_COLUMNS
    assert rows[1:] == [
        [
            "2025-04-15",
            DEPARTMENT,
            "Fictional Speech Partnership Ltd",
            "Speech and language therapy: EHCP provision",
            "500.00",
            "Not held",
            "Therapy services",
        ],
        [
            "2025-05-20",
            DEPARTMENT,
            "Redacted – personal data",
            "Personal budget for therapy in an EHCP",
            "750.00",
            "Not held",
            "Personal budget payments",
        ],
        [
            "2025-06-30",
            DEPARTMENT,
            "Fictional Speech Partnership Ltd",
            "Speech and language therapy: EHCP provision",
            "1234.56",
            "Not held",
            "Therapy services",
        ],
    ]
    summary = {item["label"]: item["value"] for item in report.result["summary"]}
    assert summary == {"Payments": 3, "Total paid": "2484.56", "Redacted as personal data": 1}


def test_a_personal_budget_payment_leaves_no_trace_of_the_child_or_family(officer, payments):
    report = run(officer)  # even run by an officer, who may see the child
    child, payment, family = payments["child"], payments["budget_payment"], payments["family"]
    secrets = [
        child.first_name,
        child.last_name,
        child.ehcp_reference,
        child.pseudonym,
        child.date_of_birth.isoformat(),
        payment.number,
        payment.payment_reference,
        family.personal_budget.paid_to,
    ]
    content = csv_bytes(report)
    workbook = load_workbook(io.BytesIO(report.files.get(format="xlsx").file.read()))
    spreadsheet = "\n".join(str(c) for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row)
    stored = json.dumps(report.result, ensure_ascii=False)
    for secret in secrets:
        assert secret.encode() not in content, secret
        assert secret not in spreadsheet, secret
        assert secret not in stored, secret
    for invoice in payments["included"]:  # no invoice number for anyone: a number can carry a child's reference
        assert invoice.number.encode() not in content
    assert report.includes_child_identity is False


def test_the_period_defaults_to_the_last_complete_quarter(commissioner):
    assert last_complete_quarter(date(2026, 12, 1)) == (date(2026, 7, 1), date(2026, 9, 30))
    assert last_complete_quarter(date(2026, 4, 1)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert last_complete_quarter(date(2026, 1, 15)) == (date(2025, 10, 1), date(2025, 12, 31))
    report = report_run_request(kind="transparency-spend", parameters={}, user=commissioner)
    assert report.status == ReportRun.Status.SUCCEEDED, report.error
    start, end = last_complete_quarter(timezone.localdate())
    assert report.parameters == {"period_from": start.isoformat(), "period_to": end.isoformat()}


def test_half_a_period_is_refused(commissioner):
    with pytest.raises(ValidationError) as error:
        report_run_request(kind="transparency-spend", parameters={"period_from": "2025-04-01"}, user=commissioner)
    assert "period_to" in error.value.message_dict
    assert not ReportRun.objects.exists()


def test_provider_users_cannot_run_the_report(client, api_client, provider_a_user):
    client.force_login(provider_a_user)
    url = reverse("reporting:reportrun-create", args=["transparency-spend"])
    assert client.get(url).status_code == 403
    assert client.post(url, QUARTER).status_code == 403
    api_client.force_authenticate(provider_a_user)
    posted = api_client.post(
        reverse("api:reportrun-list"), {"kind": "transparency-spend", "parameters": QUARTER}, format="json"
    )
    assert posted.status_code == 403
    assert not ReportRun.objects.exists()


def test_query_count_does_not_grow_with_payments(commissioner, officer, django_assert_num_queries):
    placement = therapy_placement(ProviderFactory(legal_name="Fictional First Therapy Ltd"))
    paid(placement, "600.00", date(2025, 5, 1))
    run(commissioner)  # warm-up: content types and permissions cached
    with CaptureQueriesContext(connection) as one_payment:
        run(commissioner)
    for index in range(3):
        other = therapy_placement(ProviderFactory(legal_name=f"Fictional Therapy {index} Ltd"), code="occupational")
        paid(other, "700.00", date(2025, 5, 2 + index))
    paid(personal_budget(officer, ChildFactory()), "800.00", date(2025, 6, 1), provider=None)
    with django_assert_num_queries(len(one_payment)):
        run(commissioner)
