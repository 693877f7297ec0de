"""Reads for providers: prices in force, QPL candidates for a child's therapy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import DecimalField, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.models import District, TherapyType

from .models import (
    CapacityDeclaration,
    ComplianceDocument,
    InsuranceMinimums,
    InsurancePolicy,
    Membership,
    Practitioner,
    PriceLine,
    PricingSchedule,
    Provider,
    ProviderList,
    SelectionQuestionnaire,
)


def pricing_schedule_in_force(*, provider: Provider, on: date) -> PricingSchedule | None:
    """The version of the provider's prices in force on `on`: latest effective_from on or before it."""
    return (
        PricingSchedule.objects.filter(provider=provider, effective_from__lte=on)
        .order_by("-effective_from", "-version")
        .first()
    )


def price_in_force(*, provider: Provider, therapy_type: TherapyType, unit: str, on: date) -> Decimal | None:
    """The rate a call-off on `on` uses, from the version in force then; None if that version has no such line."""
    schedule = pricing_schedule_in_force(provider=provider, on=on)
    if schedule is None:
        return None
    return schedule.lines.filter(therapy_type=therapy_type, unit=unit).values_list("rate", flat=True).first()


def _schedule_in_force_subquery(on: date):
    return Subquery(
        PricingSchedule.objects.filter(provider=OuterRef("pk"), effective_from__lte=on)
        .order_by("-effective_from", "-version")
        .values("pk")[:1]
    )


def qpl_candidates(
    *, therapy_type: TherapyType, district: District, on: date, unit: str = PriceLine.Unit.HOUR
) -> QuerySet[Provider]:
    """Providers admitted to the QPL on `on` who offer `therapy_type` in `district`, most suitable first.

    Each row carries `capacity_hours` (the declaration in force for that therapy and district, 0 if
    none) and `rate` (from the pricing version in force, None if it has no line for the therapy and
    unit). Suitability: declared capacity first, then more capacity, then lower price, then name.
    """
    admitted = Membership.objects.admitted_on(on).filter(
        provider=OuterRef("pk"), provider_list__kind=ProviderList.Kind.QPL
    )
    capacity = Subquery(
        CapacityDeclaration.objects.filter(
            provider=OuterRef("pk"), therapy_type=therapy_type, district=district, from_date__lte=on
        )
        .order_by("-from_date")
        .values("hours_per_week")[:1]
    )
    return (
        Provider.objects.filter(Exists(admitted), therapy_types=therapy_type, districts=district)
        .annotate(
            capacity_hours=Coalesce(capacity, Value(Decimal("0.0"))),
            schedule_in_force_id=_schedule_in_force_subquery(on),
        )
        .annotate(
            rate=Subquery(
                PriceLine.objects.filter(
                    schedule_id=OuterRef("schedule_in_force_id"), therapy_type=therapy_type, unit=unit
                )
                .order_by()
                .values("rate")[:1]
            )
        )
        .filter(~Q(status=Provider.Status.CLOSED))
        .order_by("-capacity_hours", "rate", "legal_name", "pk")
    )


# The Selection Questionnaire: sections, completeness, snapshot ---------------------------------------


@dataclass
class Section:
    key: str
    title: str
    url_name: str
    complete: bool
    started: bool
    rows: list = field(default_factory=list)  # (label, value) for "check your answers"
    missing: list = field(default_factory=list)

    @property
    def state(self) -> str:
        return "Completed" if self.complete else ("Incomplete" if self.started else "Not yet started")


IDENTIFIER_FOR_KIND = {
    Provider.Kind.COMPANY: ("companies_house_number", "Companies House number"),
    Provider.Kind.CHARITY: ("charity_number", "charity number"),
    Provider.Kind.NHS_TRUST: ("nhs_ods_code", "NHS ODS code"),
    Provider.Kind.INDEPENDENT_SCHOOL: ("dfe_urn", "DfE URN"),
    Provider.Kind.NON_MAINTAINED_SCHOOL: ("dfe_urn", "DfE URN"),
}


def _money(value) -> str:
    return f"£{value:,.2f}" if value is not None else ""


def questionnaire_sections(sq: SelectionQuestionnaire) -> list[Section]:
    """Each topic of the questionnaire, whether it is complete, and its answers (a fixed number of queries)."""
    provider = Provider.objects.prefetch_related("therapy_types", "districts", "needs_catered_for", "fee_bands").get(
        pk=sq.provider_id
    )
    practitioners = list(provider.practitioners.filter(is_active=True))
    policies = {p.kind: p for p in provider.insurance_policies.all()}
    documents = list(
        provider.documents.exclude(status=ComplianceDocument.Status.REJECTED).select_related("practitioner")
    )
    capacity = list(
        provider.capacity_declarations.select_related("therapy_type", "district").order_by("-from_date")[:50]
    )
    schedule = (
        provider.pricing_schedules.order_by("-effective_from", "-version")
        .prefetch_related("lines__therapy_type")
        .first()
    )
    lots = list(sq.lots.all())
    minimums = InsuranceMinimums.current()
    today = timezone.localdate()
    is_school_list = sq.provider_list.kind in (ProviderList.Kind.DPS, ProviderList.Kind.DYNAMIC_MARKET)
    sections = []

    org_fields = [
        "legal_name",
        "kind",
        "address_line_1",
        "town",
        "postcode",
        "contact_name",
        "contact_email",
        "contact_phone",
    ]
    missing = [f for f in org_fields if not getattr(provider, f)]
    identifier = IDENTIFIER_FOR_KIND.get(provider.kind)
    if identifier and not getattr(provider, identifier[0]):
        missing.append(identifier[0])
    sections.append(
        Section(
            "organisation",
            "Your organisation",
            "providers:sq-organisation",
            not missing,
            bool(provider.address_line_1),
            [
                ("Legal name", provider.legal_name),
                ("Trading name", provider.trading_name or "None"),
                ("Kind", provider.get_kind_display()),
                (
                    "Identifiers",
                    ", ".join(
                        v
                        for v in (
                            provider.companies_house_number,
                            provider.charity_number,
                            provider.nhs_ods_code,
                            provider.dfe_urn,
                        )
                        if v
                    )
                    or "None",
                ),
                (
                    "Address",
                    ", ".join(
                        v
                        for v in (provider.address_line_1, provider.address_line_2, provider.town, provider.postcode)
                        if v
                    ),
                ),
                ("Contact", f"{provider.contact_name}, {provider.contact_email}, {provider.contact_phone}"),
                (
                    "SME / VCSE",
                    f"{'SME' if provider.is_sme else 'Not an SME'}; {'VCSE' if provider.is_vcse else 'not VCSE'}",
                ),
                ("Employs staff", "Yes" if provider.employs_staff else "No"),
            ],
            missing,
        )
    )
    if is_school_list:
        practitioners = []  # schools answer for their staff through safeguarding, not one by one
        sections.append(_school_section(provider))
    else:
        therapies, districts = list(provider.therapy_types.all()), list(provider.districts.all())
        settings_labels = dict(Provider.Setting.choices)
        sections.append(
            Section(
                "services",
                "Services you offer",
                "providers:sq-services",
                bool(therapies and districts and provider.settings_offered),
                bool(therapies or districts),
                [
                    ("Therapies", ", ".join(t.name for t in therapies) or "None"),
                    ("Districts", ", ".join(d.name for d in districts) or "None"),
                    ("Settings", ", ".join(settings_labels.get(s, s) for s in provider.settings_offered) or "None"),
                    ("Ages", f"{provider.age_from}–{provider.age_to}" if provider.age_from is not None else "Any"),
                ],
            )
        )
        sections.append(
            Section(
                "practitioners",
                "Practitioners, registrations and DBS",
                "providers:sq-practitioners",
                bool(practitioners),
                bool(practitioners),
                [
                    (
                        str(p),
                        f"{p.get_registration_body_display()} {p.registration_number} "
                        f"(to {p.registration_expires_on:%-d %b %Y}); "
                        f"DBS {p.dbs_certificate_number[-4:].rjust(12, '•')} issued {p.dbs_issued_on:%-d %b %Y}"
                        f"{', Update Service' if p.dbs_update_service else ''}",
                    )
                    for p in practitioners
                ],
            )
        )
    needed = [InsurancePolicy.Kind.PUBLIC_LIABILITY, InsurancePolicy.Kind.PROFESSIONAL_INDEMNITY]
    if provider.employs_staff:
        needed.append(InsurancePolicy.Kind.EMPLOYERS_LIABILITY)
    ok = all(
        k in policies and policies[k].cover_amount >= minimums.minimum_for(k) and policies[k].expires_on >= today
        for k in needed
    )
    sections.append(
        Section(
            "insurance",
            "Insurance",
            "providers:sq-insurance",
            ok,
            bool(policies),
            [
                (
                    p.get_kind_display(),
                    f"{p.insurer}, policy {p.policy_number}, {_money(p.cover_amount)} to {p.expires_on:%-d %b %Y}",
                )
                for p in policies.values()
            ],
        )
    )
    sections.append(
        Section(
            "safeguarding",
            "Safeguarding",
            "providers:sq-safeguarding",
            bool(
                provider.safeguarding_lead_name
                and provider.safeguarding_lead_email
                and provider.has_safeguarding_policy
            ),
            bool(provider.safeguarding_lead_name),
            [
                ("Safeguarding lead", f"{provider.safeguarding_lead_name} ({provider.safeguarding_lead_email})"),
                ("Safeguarding policy", "Yes" if provider.has_safeguarding_policy else "No"),
            ],
        )
    )
    have = {(d.kind, d.practitioner_id) for d in documents}
    needed_docs = [
        (ComplianceDocument.Kind.PUBLIC_LIABILITY, None),
        (ComplianceDocument.Kind.PROFESSIONAL_INDEMNITY, None),
        (ComplianceDocument.Kind.SAFEGUARDING_POLICY, None),
    ]
    if provider.employs_staff:
        needed_docs.append((ComplianceDocument.Kind.EMPLOYERS_LIABILITY, None))
    for p in practitioners:
        needed_docs += [(ComplianceDocument.Kind.REGISTRATION, p.pk), (ComplianceDocument.Kind.DBS, p.pk)]
    labels = dict(ComplianceDocument.Kind.choices)
    by_id = {p.pk: p for p in practitioners}
    missing_docs = [
        f"{labels[k]}{f' for {by_id[pid]}' if pid else ''}" for k, pid in needed_docs if (k, pid) not in have
    ]
    sections.append(
        Section(
            "evidence",
            "Evidence",
            "providers:sq-evidence",
            not missing_docs,
            bool(documents),
            [
                (
                    d.get_kind_display() + (f" ({d.practitioner})" if d.practitioner_id else ""),
                    f"{d.original_name}{f', expires {d.expires_on:%-d %b %Y}' if d.expires_on else ''}"
                    f" – {d.get_status_display().lower()}",
                )
                for d in documents
            ],
            missing_docs,
        )
    )
    if is_school_list:
        sections.append(_fees_section(provider))
    else:
        sections.append(
            Section(
                "capacity",
                "Capacity",
                "providers:sq-capacity",
                bool(capacity),
                bool(capacity),
                [
                    (
                        f"{c.therapy_type} in {c.district}",
                        f"{c.hours_per_week} hours a week from {c.from_date:%-d %b %Y}",
                    )
                    for c in capacity
                ],
            )
        )
        lines = list(schedule.lines.all()) if schedule else []
        sections.append(
            Section(
                "pricing",
                "Indicative prices",
                "providers:sq-pricing",
                bool(lines),
                bool(schedule),
                [(f"{line.therapy_type} per {line.get_unit_display().lower()}", _money(line.rate)) for line in lines],
            )
        )
    sections.append(
        Section(
            "lots",
            "Lots",
            "providers:sq-lots",
            bool(lots),
            bool(lots),
            [("Applying for", ", ".join(str(lot) for lot in lots) or "None")],
        )
    )
    return sections


def _school_section(provider: Provider) -> Section:
    needs = list(provider.needs_catered_for.all())
    places = [
        label for flag, label in ((provider.offers_day, "day"), (provider.offers_residential, "residential")) if flag
    ]
    complete = bool(
        provider.dfe_urn
        and provider.ofsted_rating
        and provider.registered_capacity
        and needs
        and places
        and provider.age_from is not None
        and provider.age_to is not None
    )
    return Section(
        "school",
        "Your school",
        "providers:sq-school",
        complete,
        bool(provider.ofsted_rating or needs),
        [
            ("DfE URN", provider.dfe_urn or "Not given"),
            (
                "Ofsted",
                f"{provider.get_ofsted_rating_display() or 'Not given'}"
                f"{f', inspected {provider.ofsted_inspected_on:%-d %b %Y}' if provider.ofsted_inspected_on else ''}",
            ),
            ("Registered number of pupils", str(provider.registered_capacity or "Not given")),
            ("Ages", f"{provider.age_from}–{provider.age_to}" if provider.age_from is not None else "Not given"),
            ("Needs catered for", ", ".join(n.name for n in needs) or "None"),
            ("Places", " and ".join(places) or "None"),
        ],
    )


def _fees_section(provider: Provider) -> Section:
    bands = list(provider.fee_bands.all())
    return Section(
        "fees",
        "Indicative annual fees",
        "providers:sq-fees",
        bool(bands),
        bool(bands),
        [
            (
                str(b),
                f"education {_money(b.education)}, care {_money(b.care)}, therapy {_money(b.therapy)}: "
                f"{_money(b.annual_fee)} a year from {b.effective_from:%-d %b %Y}",
            )
            for b in bands
        ],
    )


def questionnaire_snapshot(sq: SelectionQuestionnaire) -> dict:
    """The answers as submitted, kept with the questionnaire even when the provider later changes them."""
    return {
        "taken_at": timezone.now().isoformat(timespec="seconds"),
        "sections": [
            {"key": s.key, "title": s.title, "rows": [[str(label), str(value)] for label, value in s.rows]}
            for s in questionnaire_sections(sq)
        ],
    }


def review_queue(*, user) -> QuerySet[SelectionQuestionnaire]:
    """Submitted applications waiting for a decision, oldest first, with what the queue shows preloaded."""
    return (
        SelectionQuestionnaire.objects.visible_to(user)
        .exclude(status=SelectionQuestionnaire.Status.DRAFT)
        .select_related("provider", "provider_list")
        .prefetch_related("provider__therapy_types", "provider__districts")
        .order_by(F("submitted_at").asc(nulls_last=True), "pk")
    )


def directory(
    *, user, on: date | None = None, therapy_type: TherapyType | None = None, district: District | None = None
) -> QuerySet[Provider]:
    """Admitted QPL providers for the directory, with capacity, price and compliance computed in SQL."""
    on = on or timezone.localdate()
    admitted = Membership.objects.filter(
        provider=OuterRef("pk"),
        provider_list__kind=ProviderList.Kind.QPL,
        status__in=[Membership.Status.ADMITTED, Membership.Status.SUSPENDED],
    )
    later = CapacityDeclaration.objects.filter(
        provider=OuterRef("provider"),
        therapy_type=OuterRef("therapy_type"),
        district=OuterRef("district"),
        from_date__lte=on,
        from_date__gt=OuterRef("from_date"),
    )
    in_force = CapacityDeclaration.objects.filter(provider=OuterRef("pk"), from_date__lte=on).exclude(Exists(later))
    if therapy_type:
        in_force = in_force.filter(therapy_type=therapy_type)
    if district:
        in_force = in_force.filter(district=district)
    capacity = Subquery(
        in_force.order_by().values("provider").annotate(total=Sum("hours_per_week")).values("total")[:1]
    )
    lines = PriceLine.objects.filter(schedule_id=OuterRef("schedule_in_force_id"), unit=PriceLine.Unit.HOUR)
    if therapy_type:
        lines = lines.filter(therapy_type=therapy_type)
    newer_doc = ComplianceDocument.objects.filter(
        provider=OuterRef("provider"),
        kind=OuterRef("kind"),
        practitioner=OuterRef("practitioner"),
        status=ComplianceDocument.Status.VERIFIED,
        expires_on__gt=OuterRef("expires_on"),
    )
    next_expiry = Subquery(
        ComplianceDocument.objects.filter(
            provider=OuterRef("pk"), status=ComplianceDocument.Status.VERIFIED, expires_on__gte=on
        )
        .exclude(Exists(newer_doc))
        .order_by("expires_on")
        .values("expires_on")[:1]
    )
    suspended = Membership.objects.filter(
        provider=OuterRef("pk"), provider_list__kind=ProviderList.Kind.QPL, status=Membership.Status.SUSPENDED
    )
    qs = Provider.objects.visible_to(user).filter(Exists(admitted))
    if therapy_type:
        qs = qs.filter(therapy_types=therapy_type)
    if district:
        qs = qs.filter(districts=district)
    return (
        qs.annotate(
            capacity_hours=Coalesce(
                capacity, Value(Decimal("0.0")), output_field=DecimalField(max_digits=8, decimal_places=1)
            ),
            schedule_in_force_id=_schedule_in_force_subquery(on),
            is_suspended=Exists(suspended),
            next_expiry=next_expiry,
        )
        .annotate(rate=Subquery(lines.order_by("rate").values("rate")[:1]))
        .prefetch_related("therapy_types", "districts")
        .order_by("legal_name", "pk")
    )


def compliance_state(provider: Provider, on: date, warning_days: int) -> str:
    if getattr(provider, "is_suspended", False):
        return "Suspended"
    if provider.next_expiry and provider.next_expiry <= on + timedelta(days=warning_days):
        return "Expiring soon"
    return "Compliant"


def provider_detail(*, user, pk: int) -> Provider:
    return (
        Provider.objects.visible_to(user)
        .prefetch_related(
            "therapy_types",
            "districts",
            Prefetch(
                "memberships", queryset=Membership.objects.select_related("provider_list").prefetch_related("lots")
            ),
            Prefetch("pricing_schedules", queryset=PricingSchedule.objects.prefetch_related("lines__therapy_type")),
            Prefetch("practitioners", queryset=Practitioner.objects.filter(is_active=True)),
            "insurance_policies",
            Prefetch("documents", queryset=ComplianceDocument.objects.select_related("practitioner", "verified_by")),
            Prefetch(
                "capacity_declarations", queryset=CapacityDeclaration.objects.select_related("therapy_type", "district")
            ),
        )
        .get(pk=pk)
    )
