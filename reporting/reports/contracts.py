"""Reports on contracts and providers: the contract register, compliance, coverage gaps, and the open
data the council must publish about contracts (Transparency Code CSV; OCDS release package)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Max, Q

from contracts.models import Contract
from contracts.selectors import contract_list, contract_warnings, coverage
from core.models import User
from core.periods import add_months
from providers.models import ComplianceDocument, Membership
from reporting.definitions import Column, ReportDefinition, Result, Table, register
from reporting.ocds import OCDS_VERSION

from .common import ComplianceForm, ContractRegisterForm, CoverageForm


def _system_reader() -> User:
    """Reports are computed for council-wide use: read as a commissioner would (no child identity here)."""
    return _CouncilReader()


class _CouncilReader:
    is_authenticated = True
    provider_id = None

    def has_perm(self, perm: str) -> bool:
        return perm.startswith(("contracts.view_", "providers.view_"))


@register
class ContractRegisterReport(ReportDefinition):
    kind = "contract-register"
    title = "Contract register"
    description = (
        "Every contract with its value and the rules it breaks; those ending soon, unsigned, or missing a key decision."
    )
    form_class = ContractRegisterForm
    group = "Contracts"

    def build(self, *, params, progress, user) -> Result:
        on = params["as_on"]
        months = params.get("ending_within_months") or 6
        progress(10, "Reading the register")
        # The register shows no contract's therapies or districts: none of them is read.
        contracts = list(contract_list(user=_system_reader(), today=on).prefetch_related(None))
        rows = []
        for c in contracts:
            warnings = contract_warnings(c)
            rows.append(
                {
                    "reference": c.reference,
                    "title": c.title,
                    "supplier": str(c.supplier),
                    "route": str(c.procurement_route or ""),
                    "key_decision": c.key_decision_number,
                    "start": c.start_date,
                    "end": c.end_date,
                    "status": c.get_status_display(),
                    "signed": c.signed_on,
                    "value": c.total_value,
                    "warnings": " ".join(warnings),
                    "flag": bool(warnings),
                }
            )
        ending = [r for r in rows if on <= r["end"] <= add_months(on, months)]
        columns = [
            Column("reference", "Reference"),
            Column("title", "Title"),
            Column("supplier", "Supplier"),
            Column("route", "Procurement route"),
            Column("key_decision", "Key decision"),
            Column("start", "Start", "date"),
            Column("end", "End", "date"),
            Column("status", "Status"),
            Column("signed", "Signed", "date"),
            Column("value", "Total value", "money"),
            Column("warnings", "Warnings"),
        ]
        progress(80, "Checking the rules")
        return Result(
            tables=[
                Table("register", "All contracts", columns, rows, highlight="flag"),
                Table("ending", f"Ending within {months} months of {on:%-d %B %Y}", columns, ending),
                Table("unsigned", "Unsigned", columns, [r for r in rows if r["signed"] is None]),
                Table(
                    "key-decisions",
                    "Missing a key decision",
                    columns,
                    [r for r, c in zip(rows, contracts, strict=True) if c.needs_key_decision],
                ),
            ],
            summary=[
                {"label": "Contracts", "value": len(rows), "kind": "int"},
                {"label": "With warnings", "value": sum(r["flag"] for r in rows), "kind": "int"},
                {"label": f"Ending within {months} months", "value": len(ending), "kind": "int"},
                {"label": "Total value", "value": sum((r["value"] for r in rows), Decimal("0")), "kind": "money"},
            ],
        )


@register
class ComplianceReport(ReportDefinition):
    kind = "compliance"
    title = "Provider compliance"
    description = "Evidence expiring soon or expired, and memberships suspended for it."
    form_class = ComplianceForm
    group = "Providers"

    def build(self, *, params, progress, user) -> Result:
        on = params["as_on"]
        within = params.get("within_days") or 30
        progress(10, "Finding the latest evidence of each kind")
        latest = (
            ComplianceDocument.objects.filter(status=ComplianceDocument.Status.VERIFIED, expires_on__isnull=False)
            .exclude(practitioner__is_active=False)
            .values("provider__legal_name", "kind", "practitioner__first_name", "practitioner__last_name")
            .annotate(latest_expiry=Max("expires_on"))
            .filter(latest_expiry__lte=on + timedelta(days=within))
            .order_by("latest_expiry", "provider__legal_name")
        )
        labels = dict(ComplianceDocument.Kind.choices)
        mandatory = {str(k) for k in ComplianceDocument.MANDATORY}
        rows = [
            {
                "provider": r["provider__legal_name"],
                "document": labels[r["kind"]],
                "practitioner": " ".join(filter(None, [r["practitioner__first_name"], r["practitioner__last_name"]])),
                "expires": r["latest_expiry"],
                "state": "Expired" if r["latest_expiry"] < on else "Expiring soon",
                "mandatory": "Yes" if r["kind"] in mandatory else "No",
                "flag": r["latest_expiry"] < on,
            }
            for r in latest
        ]
        progress(60, "Listing suspended memberships")
        suspended = [
            {
                "provider": m.provider.legal_name,
                "list": m.provider_list.name,
                "since": m.suspended_on,
                "reason": m.suspension_reason,
            }
            for m in Membership.objects.filter(status=Membership.Status.SUSPENDED).select_related(
                "provider", "provider_list"
            )
        ]
        return Result(
            tables=[
                Table(
                    "documents",
                    f"Evidence expired or expiring within {within} days",
                    [
                        Column("provider", "Provider"),
                        Column("document", "Document"),
                        Column("practitioner", "Practitioner"),
                        Column("expires", "Expires", "date"),
                        Column("state", "State"),
                        Column("mandatory", "Mandatory"),
                    ],
                    rows,
                    highlight="flag",
                ),
                Table(
                    "suspended",
                    "Suspended memberships",
                    [
                        Column("provider", "Provider"),
                        Column("list", "List"),
                        Column("since", "Since", "date"),
                        Column("reason", "Reason"),
                    ],
                    suspended,
                ),
            ],
            summary=[
                {"label": "Expired", "value": sum(r["flag"] for r in rows), "kind": "int"},
                {"label": "Expiring soon", "value": sum(not r["flag"] for r in rows), "kind": "int"},
                {"label": "Suspended", "value": len(suspended), "kind": "int"},
            ],
        )


@register
class CoverageGapsReport(ReportDefinition):
    kind = "coverage-gaps"
    title = "Coverage gaps"
    description = "Districts and therapies that no live contract and no admitted QPL provider covers."
    form_class = CoverageForm
    group = "Contracts"

    def build(self, *, params, progress, user) -> Result:
        therapies = params.get("therapy_types") or None
        progress(20, "Building the district and therapy grid")
        grid = coverage(user=_system_reader(), on=params["as_on"], therapies=therapies)
        cells = [cell for row in grid["grid"] for cell in row["cells"]]
        rows = [
            {
                "district": c.district.name,
                "therapy": c.therapy.name,
                "contracts": len(c.contracts),
                "providers": len(c.providers),
                "gap": "Gap" if c.is_gap else ("No contract" if not c.contracts else ""),
                "flag": c.is_gap,
            }
            for c in cells
            if c.is_gap or not c.contracts
        ]
        return Result(
            tables=[
                Table(
                    "gaps",
                    "Cells without a contract (gaps have no QPL provider either)",
                    [
                        Column("district", "District"),
                        Column("therapy", "Therapy"),
                        Column("contracts", "Contracts", "int"),
                        Column("providers", "QPL providers", "int"),
                        Column("gap", "Gap"),
                    ],
                    rows,
                    highlight="flag",
                )
            ],
            summary=[
                {"label": "Gaps (no contract, no provider)", "value": len(grid["gaps"]), "kind": "int"},
                {"label": "No contract", "value": len(grid["contract_gaps"]), "kind": "int"},
            ],
        )


@register
class TransparencyContractsReport(ReportDefinition):
    """Local Government Transparency Code 2015: contracts over £5,000, in the Code's columns only."""

    kind = "transparency-contracts"
    title = "Transparency Code: contracts over £5,000"
    description = "The contracts the council must publish under the Local Government Transparency Code 2015."
    form_class = ContractRegisterForm
    group = "Open data"

    COLUMNS = [
        Column("reference", "Reference"),
        Column("title", "Title"),
        Column("description", "Description"),
        Column("supplier", "Supplier"),
        Column("sme_vcse", "SME/VCSE"),
        Column("start", "Start date", "date"),
        Column("end", "End date", "date"),
        Column("value", "Value", "money"),
        Column("route", "Procurement route"),
    ]

    def build(self, *, params, progress, user) -> Result:
        contracts = (
            contract_list(user=_system_reader(), today=params["as_on"])
            .filter(total_value__gt=Decimal("5000"))
            .prefetch_related(None)  # the Code's columns include no therapies or districts
        )
        rows = []
        for c in contracts:
            flags = [label for flag, label in ((c.supplier.is_sme, "SME"), (c.supplier.is_vcse, "VCSE")) if flag]
            rows.append(
                {
                    "reference": c.reference,
                    "title": c.title,
                    "description": c.description or c.title,
                    "supplier": c.supplier.legal_name,
                    "sme_vcse": " and ".join(flags) or "Neither",
                    "start": c.start_date,
                    "end": c.end_date,
                    "value": c.total_value,
                    "route": str(c.procurement_route or "Not recorded"),
                }
            )
        return Result(
            tables=[Table("contracts", "Contracts over £5,000", self.COLUMNS, rows)],
            summary=[{"label": "Contracts", "value": len(rows), "kind": "int"}],
        )


OCDS_STATUS = {
    Contract.Status.DRAFT: "pending",
    Contract.Status.ACTIVE: "active",
    Contract.Status.EXPIRED: "terminated",
    Contract.Status.TERMINATED: "terminated",
}
OCDS_METHOD = {
    "pcr-open": "open",
    "pa2023-open": "open",
    "psr-competitive": "open",
    "pcr-light-touch": "selective",
    "qpl-call-off": "selective",
    "dps-call-off": "selective",
    "dynamic-market": "selective",
    "psr-most-suitable": "limited",
}


def ocds_package(contracts, *, published: str) -> dict:
    """The contract register as an OCDS 1.1 release package (one release per contract; no personal data)."""
    prefix = settings.OCDS_OCID_PREFIX
    buyer = {"id": "GB-LAE-KEN", "name": settings.COUNCIL_NAME}
    releases = []
    for c in contracts:
        supplier_id = f"GB-PROVIDER-{c.supplier_id}"
        route = c.procurement_route
        value = {"amount": float(c.total_value), "currency": "GBP"}
        release = {
            "ocid": f"{prefix}-{c.reference}",
            "id": f"{prefix}-{c.reference}-{published[:10]}",
            "date": published,
            "tag": ["contract"],
            "initiationType": "tender",
            "language": "en",
            "buyer": buyer,
            "parties": [
                {**buyer, "roles": ["buyer", "procuringEntity"]},
                {
                    "id": supplier_id,
                    "name": c.supplier.legal_name,
                    "roles": ["supplier"],
                    "details": {"scale": "sme" if c.supplier.is_sme else "large"},
                },
            ],
            "tender": {
                "id": f"{c.reference}-tender",
                "title": c.title,
                "procurementMethod": OCDS_METHOD.get(route.code if route else "", "direct"),
                "procurementMethodDetails": route.name if route else "Not recorded",
                "mainProcurementCategory": "services",
            },
            "awards": [
                {
                    "id": f"{c.reference}-award",
                    "title": c.title,
                    "status": "active",
                    "suppliers": [{"id": supplier_id, "name": c.supplier.legal_name}],
                    "value": value,
                    "contractPeriod": {"startDate": f"{c.start_date}T00:00:00Z", "endDate": f"{c.end_date}T23:59:59Z"},
                }
            ],
            "contracts": [
                {
                    "id": c.reference,
                    "awardID": f"{c.reference}-award",
                    "title": c.title,
                    "description": c.description or c.title,
                    "status": OCDS_STATUS[c.status],
                    "value": value,
                    "period": {"startDate": f"{c.start_date}T00:00:00Z", "endDate": f"{c.end_date}T23:59:59Z"},
                    **({"dateSigned": f"{c.signed_on}T00:00:00Z"} if c.signed_on else {}),
                }
            ],
        }
        releases.append(release)
    return {
        "uri": f"{settings.SITE_URL}/open-data/contracts.json",
        "publisher": {"name": settings.COUNCIL_NAME},
        "publishedDate": published,
        "license": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "publicationPolicy": f"{settings.SITE_URL}/privacy/",
        "version": OCDS_VERSION,
        "releases": releases,
    }


@register
class OcdsReport(ReportDefinition):
    kind = "ocds-contracts"
    title = "Open Contracting Data Standard: contract register"
    description = "The contract register as an OCDS 1.1 release package (JSON), checked against the official schema."
    form_class = ContractRegisterForm
    group = "Open data"

    def build(self, *, params, progress, user) -> Result:
        contracts = (
            contract_list(user=_system_reader(), today=params["as_on"])
            .filter(~Q(status=Contract.Status.DRAFT))
            .prefetch_related(None)  # the releases table reads no therapies or districts (the package is built apart)
        )
        rows = [
            {
                "ocid": f"{settings.OCDS_OCID_PREFIX}-{c.reference}",
                "title": c.title,
                "supplier": c.supplier.legal_name,
                "value": c.total_value,
                "status": OCDS_STATUS[c.status],
            }
            for c in contracts
        ]
        return Result(
            tables=[
                Table(
                    "releases",
                    "Releases in the package",
                    [
                        Column("ocid", "OCID"),
                        Column("title", "Title"),
                        Column("supplier", "Supplier"),
                        Column("value", "Value", "money"),
                        Column("status", "OCDS status"),
                    ],
                    rows,
                )
            ],
            summary=[{"label": "Releases", "value": len(rows), "kind": "int"}],
        )

    def extra_files(self, *, result, params):
        from django.utils import timezone

        from reporting.ocds import validation_errors

        form_data = self.cleaned_params(params)
        contracts = contract_list(user=_system_reader(), today=form_data["as_on"]).filter(
            ~Q(status=Contract.Status.DRAFT)
        )
        published = timezone.now().replace(microsecond=0).isoformat().replace("+00:00", "Z")
        package = ocds_package(contracts, published=published)
        errors = validation_errors(package)
        if errors:
            raise ValueError(f"The OCDS package does not validate: {errors[0]}")
        return [("json", "contract-register-ocds.json", json.dumps(package, indent=2).encode())]
