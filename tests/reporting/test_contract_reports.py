"""Reports on contracts and providers, including the open-data exports."""

import csv
import io
import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from contracts.models import Contract
from providers.models import ComplianceDocument, Membership
from reporting.models import ReportRun
from reporting.ocds import validation_errors
from reporting.services import report_run_request
from tests.contracts.factories import ContractFactory, route
from tests.providers.factories import ProviderFactory, admit, complete_answers

pytestmark = pytest.mark.django_db


def run(kind, user, **params):
    result = report_run_request(kind=kind, parameters=params, user=user)
    assert result.status == ReportRun.Status.SUCCEEDED, result.error
    return result


def file_of(run_, fmt):
    return run_.files.get(format=fmt, table="").file.read()


def test_contract_register_report_flags_what_breaks_the_rules(commissioner):
    ContractFactory(reference="OK-1", value="1000")
    ContractFactory(reference="NO-KD", key_decision_number="", value="2000000")
    today = timezone.localdate()
    ContractFactory(
        reference="SOON", start_date=today - timedelta(days=100), end_date=today + timedelta(days=40), value="10"
    )
    result = run("contract-register", commissioner).result
    tables = {t["key"]: t for t in result["tables"]}
    assert [r["reference"] for r in tables["key-decisions"]["rows"]] == ["NO-KD"]
    assert [r["reference"] for r in tables["ending"]["rows"]] == ["SOON"]
    assert {"label": "Total value", "value": "2001010.00", "kind": "money"} in result["summary"]


def test_transparency_contracts_csv_has_exactly_the_codes_columns(commissioner):
    small_supplier = ProviderFactory(legal_name="Fictional Small Charity", is_sme=True, is_vcse=True)
    ContractFactory(reference="OVER", supplier=small_supplier, value="5000.01")
    ContractFactory(reference="UNDER", value="5000.00")
    report = run("transparency-contracts", commissioner)
    rows = list(csv.reader(io.StringIO(file_of(report, "csv").decode("utf-8-sig"))))
    assert rows[0] == [
        "Reference",
        "Title",
        "Description",
        "Supplier",
        "SME/VCSE",
        "Start date",
        "End date",
        "Value",
        "Procurement route",
    ]
    assert [r[0] for r in rows[1:]] == ["OVER"]
    assert rows[1][4] == "SME and VCSE" and rows[1][7] == "5000.01"


def test_the_ocds_package_validates_against_the_official_schema(commissioner):
    ContractFactory(reference="KCC-1", value="752905", procurement_route=route("psr-direct-c"))
    ContractFactory(
        reference="KCC-2",
        value="1000",
        signed_on=None,
        procurement_route=route("pcr-open"),
        status=Contract.Status.EXPIRED,
    )
    ContractFactory(reference="DRAFT", status=Contract.Status.DRAFT)
    report = run("ocds-contracts", commissioner)
    package = json.loads(file_of(report, "json"))
    assert validation_errors(package) == []
    assert [r["ocid"].rsplit("-", 1)[-1] for r in package["releases"]] == ["1", "2"]
    first = package["releases"][0]
    assert first["contracts"][0]["value"] == {"amount": 752905.0, "currency": "GBP"}
    assert first["tender"]["procurementMethodDetails"] == "PSR direct award process C"
    assert package["releases"][1]["contracts"][0]["status"] == "terminated"


def test_compliance_report_lists_expiring_and_expired_evidence_and_suspensions(officer):
    provider = complete_answers(ProviderFactory(legal_name="Expiring Ltd"))
    membership = admit(provider)
    today = timezone.localdate()
    ComplianceDocument.objects.filter(provider=provider, kind="public_liability").update(
        expires_on=today - timedelta(days=2)
    )
    ComplianceDocument.objects.filter(provider=provider, kind="professional_indemnity").update(
        expires_on=today + timedelta(days=10)
    )
    Membership.objects.filter(pk=membership.pk).update(
        status="suspended", suspended_on=today, suspension_reason="Expired evidence"
    )
    result = run("compliance", officer).result
    documents = {r["document"]: r["state"] for r in result["tables"][0]["rows"]}
    assert documents == {
        "Public liability insurance certificate": "Expired",
        "Professional indemnity insurance certificate": "Expiring soon",
    }
    assert result["tables"][1]["rows"][0]["provider"] == "Expiring Ltd"


def test_coverage_gaps_report_shows_swale(officer):
    from core.models import District, TherapyType

    slt = TherapyType.objects.get(code="speech-language")
    contract = ContractFactory(start_date=date(2024, 1, 1), end_date=timezone.localdate() + timedelta(days=100))
    contract.therapy_types.add(slt)
    contract.districts.set(District.objects.exclude(name="Swale"))
    result = run("coverage-gaps", officer, therapy_types=[str(slt.pk)]).result
    assert [(r["district"], r["gap"]) for r in result["tables"][0]["rows"]] == [("Swale", "Gap")]
