"""Writes for providers: registration, the Selection Questionnaire and its review, prices, capacity,
evidence and compliance, leaving and rejoining lists, and importing a legacy provider list."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from core.models import District, TherapyType, User
from core.roles import Role
from core.services import notification_send, transition_record, users_with_role

from .models import (
    IDENTIFIER_LABELS,
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
    SchoolFeeBand,
    SelectionQuestionnaire,
)
from .selectors import questionnaire_sections, questionnaire_snapshot
from .uploads import check_upload, display_name
from .validators import validate_dbs_number, validate_identifier, validate_registration

SQ = SelectionQuestionnaire
IDENTIFIER_FIELDS = ("companies_house_number", "charity_number", "nhs_ods_code", "dfe_urn", "postcode")
DECLARATIONS = {
    "information_accurate": "The information in this questionnaire is complete and accurate.",
    "no_exclusion_grounds": "None of the grounds for mandatory or discretionary exclusion apply to us.",
    "registrations_current": "Every practitioner is registered with their professional body and will stay so.",
    "insurance_in_place": "We hold the insurance stated and will keep it in force.",
    "safeguarding": "Every practitioner has an enhanced DBS check with the children's barred list, and we "
    "follow our safeguarding policy and Kent's safeguarding procedures.",
    "accept_terms": "We accept the QPL terms and conditions, including the call-off terms.",
}


# Registration and details -------------------------------------------------------------------------


@transaction.atomic
def provider_register(*, user: User, organisation_name: str, kind: str) -> Provider:
    """A person who signed up becomes the provider user of a new draft provider."""
    if user.provider_id:
        return user.provider
    provider = Provider.objects.create(legal_name=organisation_name.strip(), kind=kind, contact_email=user.email)
    user.provider = provider
    user.save(update_fields=["provider"])
    user.groups.add(Group.objects.get(name=Role.PROVIDER.label))
    return provider


@transaction.atomic
def provider_update(*, provider: Provider, data: dict, therapy_types=None, districts=None) -> Provider:
    """Save organisation or services answers, validating identifiers by their published formats."""
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    errors = {}
    for field in IDENTIFIER_FIELDS:
        if field in data:
            try:
                data[field] = validate_identifier(field, data[field])
            except ValidationError as exc:
                errors.update(exc.message_dict)
    for field in _identifiers_taken({f: v for f, v in data.items() if f not in errors}, provider=provider):
        errors[field] = [
            f"Another organisation is already registered with this {IDENTIFIER_LABELS[field]}. If it is yours, "
            "sign in to that organisation's account or contact the SEN Therapies Team."
        ]
    if errors:
        raise ValidationError(errors)
    for field, value in data.items():
        setattr(provider, field, value)
    provider.full_clean(exclude=["therapy_types", "districts"])
    provider.save()
    if therapy_types is not None:
        provider.therapy_types.set(therapy_types)
    if districts is not None:
        provider.districts.set(districts)
    return provider


def _identifiers_taken(values: dict, *, provider: Provider | None = None) -> list[str]:
    """The registered identifiers in `values` that another provider record, not closed, already holds."""
    others = Provider.objects.exclude(status=Provider.Status.CLOSED)
    if provider is not None:
        others = others.exclude(pk=provider.pk)
    return [
        field for field in IDENTIFIER_LABELS if values.get(field) and others.filter(**{field: values[field]}).exists()
    ]


@transaction.atomic
def practitioner_save(*, provider: Provider, data: dict, practitioner: Practitioner | None = None) -> Practitioner:
    """Add or change a practitioner, with their registration checked per body and a 12-digit DBS number."""
    errors = {}
    try:
        data["registration_number"] = validate_registration(
            data.get("registration_body", ""), data.get("registration_number", "")
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        data["dbs_certificate_number"] = validate_dbs_number(data.get("dbs_certificate_number", ""))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if data.get("registration_body") == Practitioner.Body.OTHER and not data.get("registration_body_other"):
        errors["registration_body_other"] = ["Enter the name of the professional body."]
    if data.get("dbs_issued_on") and data["dbs_issued_on"] > timezone.localdate():
        errors["dbs_issued_on"] = ["The DBS certificate's issue date must be today or in the past."]
    if not data.get("dbs_barred_list_checked"):
        errors["dbs_barred_list_checked"] = [
            "Practitioners working with children need an enhanced check with the barred list."
        ]
    if errors:
        raise ValidationError(errors)
    practitioner = practitioner or Practitioner(provider=provider)
    for field, value in data.items():
        setattr(practitioner, field, value)
    practitioner.full_clean()
    practitioner.save()
    return practitioner


@transaction.atomic
def practitioner_remove(*, practitioner: Practitioner) -> None:
    """Practitioners who leave are kept for the record but no longer count."""
    practitioner.is_active = False
    practitioner.save(update_fields=["is_active"])


@transaction.atomic
def insurance_save(
    *, provider: Provider, kind: str, insurer: str, policy_number: str, cover_amount: Decimal, expires_on: date
) -> InsurancePolicy:
    """Record a policy; cover below the officers' minimum for its kind is refused."""
    minimum = InsuranceMinimums.current().minimum_for(kind)
    errors = {}
    if cover_amount < minimum:
        errors["cover_amount"] = [
            f"Cover must be at least £{minimum:,.0f} for {InsurancePolicy.Kind(kind).label.lower()} insurance."
        ]
    if expires_on < timezone.localdate():
        errors["expires_on"] = ["The policy has expired: enter a policy that is in force."]
    if errors:
        raise ValidationError(errors)
    policy, _ = InsurancePolicy.objects.update_or_create(
        provider=provider,
        kind=kind,
        defaults={
            "insurer": insurer,
            "policy_number": policy_number,
            "cover_amount": cover_amount,
            "expires_on": expires_on,
        },
    )
    return policy


@transaction.atomic
def insurance_minimums_set(
    *,
    public_liability: Decimal,
    professional_indemnity: Decimal,
    employers_liability: Decimal,
    expiry_warning_days: int,
) -> InsuranceMinimums:
    minimums = InsuranceMinimums.current()
    minimums.public_liability = public_liability
    minimums.professional_indemnity = professional_indemnity
    minimums.employers_liability = employers_liability
    minimums.expiry_warning_days = expiry_warning_days
    minimums.full_clean()
    minimums.save()
    return minimums


@transaction.atomic
def school_answers_save(*, provider: Provider, data: dict) -> Provider:
    """A school's DPS answers (URN, Ofsted, capacity, needs, day or residential)."""
    needs = data.pop("needs_catered_for", None)
    provider = provider_update(provider=provider, data=data)
    if needs is not None:
        provider.needs_catered_for.set(needs)
    return provider


@transaction.atomic
def fee_band_add(
    *,
    provider: Provider,
    name: str,
    place_type: str,
    weeks: int,
    education: Decimal,
    care: Decimal,
    therapy: Decimal,
    effective_from: date,
) -> SchoolFeeBand:
    """An indicative annual fee, in elements. Negative elements are refused (the database holds it too)."""
    if min(education, care, therapy) < 0:
        raise ValidationError({"__all__": "Fees cannot be negative."})
    if SchoolFeeBand.objects.filter(provider=provider, name=name, effective_from=effective_from).exists():
        raise ValidationError({"name": "You already have a band with that name from that date."})
    return SchoolFeeBand.objects.create(
        provider=provider,
        name=name,
        place_type=place_type,
        weeks=weeks,
        education=education,
        care=care,
        therapy=therapy,
        effective_from=effective_from,
    )


# Evidence and compliance ---------------------------------------------------------------------------


@transaction.atomic
def document_upload(
    *,
    provider: Provider,
    user: User,
    upload,
    kind: str,
    number: str = "",
    expires_on: date | None = None,
    practitioner: Practitioner | None = None,
) -> ComplianceDocument:
    """Store a piece of evidence privately, after checking its type by content and its size."""
    content_type, stored_name = check_upload(upload)
    if practitioner is not None and practitioner.provider_id != provider.pk:
        raise ValidationError({"practitioner": "Choose one of your own practitioners."})
    if kind in (ComplianceDocument.Kind.DBS, ComplianceDocument.Kind.REGISTRATION) and practitioner is None:
        raise ValidationError({"practitioner": "Choose the practitioner this certificate belongs to."})
    no_expiry = (
        ComplianceDocument.Kind.OTHER,
        ComplianceDocument.Kind.SAFEGUARDING_POLICY,
        ComplianceDocument.Kind.DBS,
    )
    if kind not in no_expiry and not expires_on:
        raise ValidationError({"expires_on": "Enter the date this document expires."})
    document = ComplianceDocument(
        provider=provider,
        practitioner=practitioner,
        kind=kind,
        number=number,
        expires_on=expires_on,
        original_name=display_name(upload.name),
        content_type=content_type,
        size=upload.size,
        uploaded_by=user,
    )
    document.file.save(stored_name, upload, save=False)
    document.save()
    return document


@transaction.atomic
def document_verify(*, document: ComplianceDocument, officer: User) -> ComplianceDocument:
    """An officer has checked the evidence. A valid replacement reinstates a suspended membership."""
    document = ComplianceDocument.objects.select_for_update().get(pk=document.pk)
    if document.expires_on and document.expires_on < timezone.localdate():
        raise ValidationError({"document": "This document has expired: it cannot be verified."})
    previous = document.status
    document.status = ComplianceDocument.Status.VERIFIED
    document.verified_by, document.verified_at, document.rejection_reason = officer, timezone.now(), ""
    document.save(update_fields=["status", "verified_by", "verified_at", "rejection_reason"])
    transition_record(subject=document, from_state=previous, to_state=document.status, actor=officer)
    _reinstate_if_compliant(provider=document.provider, actor=officer)
    return document


@transaction.atomic
def document_reject(*, document: ComplianceDocument, officer: User, reason: str) -> ComplianceDocument:
    if not reason.strip():
        raise ValidationError({"reason": "Enter why the document is not acceptable."})
    document = ComplianceDocument.objects.select_for_update().get(pk=document.pk)
    previous = document.status
    document.status, document.rejection_reason = ComplianceDocument.Status.REJECTED, reason.strip()
    document.verified_by, document.verified_at = officer, timezone.now()
    document.save(update_fields=["status", "rejection_reason", "verified_by", "verified_at"])
    transition_record(subject=document, from_state=previous, to_state=document.status, actor=officer, reason=reason)
    notification_send(
        recipients=document.provider.users.all(),
        kind="document-rejected",
        title=f"Your {document.get_kind_display().lower()} was not accepted",
        body=reason,
        url=reverse("providers:portal"),
    )
    return document


def expired_mandatory_documents(provider: Provider, on: date) -> list[str]:
    """Mandatory evidence whose latest verified copy has expired on `on` (kind, practitioner) as labels."""
    kinds = list(ComplianceDocument.MANDATORY)
    if provider.employs_staff:
        kinds.append(ComplianceDocument.Kind.EMPLOYERS_LIABILITY)
    latest = (
        ComplianceDocument.objects.filter(provider=provider, kind__in=kinds, status=ComplianceDocument.Status.VERIFIED)
        .exclude(practitioner__is_active=False)
        .values("kind", "practitioner_id")
        .annotate(latest_expiry=Max("expires_on"))
    )
    labels = dict(ComplianceDocument.Kind.choices)
    return [labels[row["kind"]] for row in latest if row["latest_expiry"] is not None and row["latest_expiry"] < on]


def _reinstate_if_compliant(*, provider: Provider, actor: User | None) -> None:
    today = timezone.localdate()
    if expired_mandatory_documents(provider, today):
        return
    for membership in Membership.objects.select_for_update().filter(
        provider=provider, status=Membership.Status.SUSPENDED, suspension_reason__startswith=COMPLIANCE_PREFIX
    ):
        membership.status, membership.suspended_on, membership.suspension_reason = Membership.Status.ADMITTED, None, ""
        membership.save(update_fields=["status", "suspended_on", "suspension_reason"])
        transition_record(
            subject=membership,
            from_state=Membership.Status.SUSPENDED,
            to_state=Membership.Status.ADMITTED,
            actor=actor,
            reason="A valid replacement for the expired evidence was verified.",
        )
        notification_send(
            recipients=provider.users.all(),
            kind="membership-reinstated",
            title=f"You are back on the {membership.provider_list.name}",
            body="Your evidence is up to date again, so new call-offs can be made with you.",
            url=reverse("providers:portal"),
        )


COMPLIANCE_PREFIX = "Expired evidence:"


@dataclass
class ComplianceOutcome:
    warned: int = 0
    suspended: int = 0


def compliance_check(*, today: date | None = None) -> ComplianceOutcome:
    """The daily check: warn about evidence expiring soon; suspend memberships with expired mandatory evidence."""
    today = today or timezone.localdate()
    outcome = ComplianceOutcome()
    window = InsuranceMinimums.current().expiry_warning_days
    expiring = (
        ComplianceDocument.objects.verified()
        .filter(expires_on__gte=today, expires_on__lte=today + timedelta(days=window), expiry_notified_on__isnull=True)
        .select_related("provider", "practitioner")
    )
    officers = list(users_with_role(Role.OFFICER))
    for document in expiring:
        with transaction.atomic():
            ComplianceDocument.objects.filter(pk=document.pk).update(expiry_notified_on=today)
            who = f" for {document.practitioner}" if document.practitioner_id else ""
            title = f"{document.get_kind_display()}{who} expires on {document.expires_on:%-d %B %Y}"
            notification_send(
                recipients=[*document.provider.users.all(), *officers],
                kind="document-expiring",
                title=f"{document.provider}: {title}",
                body="Upload the renewed document before it expires, or the provider is suspended from new call-offs.",
                url=reverse("providers:provider-detail", args=[document.provider_id]),
            )
            outcome.warned += 1
    live = Membership.objects.filter(status=Membership.Status.ADMITTED).select_related("provider", "provider_list")
    for membership in live:
        expired = expired_mandatory_documents(membership.provider, today)
        if not expired:
            continue
        with transaction.atomic():
            locked = Membership.objects.select_for_update().get(pk=membership.pk)
            if locked.status != Membership.Status.ADMITTED:
                continue
            reason = f"{COMPLIANCE_PREFIX} {', '.join(sorted(set(expired)))}."
            locked.status, locked.suspended_on, locked.suspension_reason = Membership.Status.SUSPENDED, today, reason
            locked.save(update_fields=["status", "suspended_on", "suspension_reason"])
            transition_record(
                subject=locked,
                from_state=Membership.Status.ADMITTED,
                to_state=Membership.Status.SUSPENDED,
                actor=None,
                reason=reason,
            )
            notification_send(
                recipients=[*membership.provider.users.all(), *officers],
                kind="membership-suspended",
                title=f"{membership.provider} is suspended from the {membership.provider_list.name}",
                body=f"{reason} No new call-offs until a valid replacement is verified.",
                url=reverse("providers:provider-detail", args=[membership.provider_id]),
            )
            outcome.suspended += 1
    return outcome


# Prices and capacity -------------------------------------------------------------------------------


@transaction.atomic
def pricing_submit(
    *, provider: Provider, user: User | None, effective_from: date, rates: dict, note: str = ""
) -> PricingSchedule:
    """A new version of the provider's prices from `effective_from`; old versions are kept.

    `rates` maps (therapy_type_id, unit) to a rate; at least one is needed, none may be negative.
    """
    if not rates:
        raise ValidationError({"__all__": "Enter at least one rate."})
    if any(Decimal(rate) < 0 for rate in rates.values()):
        raise ValidationError({"__all__": "A rate cannot be negative."})
    if PricingSchedule.objects.filter(provider=provider, effective_from=effective_from).exists():
        raise ValidationError({"effective_from": "You already have prices from that date: choose another date."})
    Provider.objects.select_for_update().get(pk=provider.pk)  # serialise version numbers per provider
    version = (PricingSchedule.objects.filter(provider=provider).aggregate(v=Max("version"))["v"] or 0) + 1
    schedule = PricingSchedule.objects.create(
        provider=provider, version=version, effective_from=effective_from, submitted_by=user, note=note
    )
    PriceLine.objects.bulk_create(
        PriceLine(schedule=schedule, therapy_type_id=therapy_id, unit=unit, rate=Decimal(rate))
        for (therapy_id, unit), rate in sorted(rates.items())
    )
    return schedule


@transaction.atomic
def capacity_declare(
    *, provider: Provider, therapy_type: TherapyType, district: District, hours_per_week: Decimal, from_date: date
) -> CapacityDeclaration:
    if hours_per_week < 0:
        raise ValidationError({"hours_per_week": "Capacity cannot be negative."})
    declaration, _ = CapacityDeclaration.objects.update_or_create(
        provider=provider,
        therapy_type=therapy_type,
        district=district,
        from_date=from_date,
        defaults={"hours_per_week": hours_per_week, "declared_at": timezone.now()},
    )
    return declaration


# The Selection Questionnaire ------------------------------------------------------------------------


def _next_reference() -> str:
    year = timezone.localdate().year
    count = SQ.objects.filter(reference__startswith=f"SQ-{year}-").count() + 1
    reference = f"SQ-{year}-{count:05d}"
    while SQ.objects.filter(reference=reference).exists():
        count += 1
        reference = f"SQ-{year}-{count:05d}"
    return reference


@transaction.atomic
def questionnaire_start(
    *, provider: Provider, provider_list: ProviderList, user: User | None
) -> SelectionQuestionnaire:
    """Open an application to a list, or return the one already open. It starts from the last answers."""
    existing = SQ.objects.filter(provider=provider, provider_list=provider_list).open().first()
    if existing:
        return existing
    if not provider_list.is_open_on(timezone.localdate()):
        raise ValidationError({"provider_list": "This list is not open to applications."})
    if provider_list.kind != ProviderList.Kind.QPL and not provider.is_school:
        raise ValidationError(
            {"provider_list": "Only independent and non-maintained special schools can join this list."}
        )
    previous = SQ.objects.filter(provider=provider).exclude(status__in=SQ.OPEN).order_by("-pk").first()
    try:
        with transaction.atomic():
            sq = SQ.objects.create(
                provider=provider,
                provider_list=provider_list,
                reference=_next_reference(),
                previous=previous,
                created_by=user,
                declarations={},
            )
    except IntegrityError:
        return SQ.objects.filter(provider=provider, provider_list=provider_list).open().get()
    if previous and previous.provider_list_id == provider_list.pk:
        sq.lots.set(previous.lots.all())
    transition_record(subject=sq, from_state="", to_state=sq.status, actor=user, reason="Application started")
    return sq


@transaction.atomic
def questionnaire_choose_lots(*, sq: SelectionQuestionnaire, lots) -> None:
    lots = list(lots)
    if not lots:
        raise ValidationError({"lots": "Choose at least one lot."})
    if any(lot.provider_list_id != sq.provider_list_id for lot in lots):
        raise ValidationError({"lots": "Choose lots of this list."})
    sq.lots.set(lots)


def _lock_in(sq: SelectionQuestionnaire, allowed: tuple, action: str) -> SelectionQuestionnaire:
    """Lock the questionnaire; refuse clearly if someone else has already moved it on."""
    locked = SQ.objects.select_for_update().select_related("provider", "provider_list").get(pk=sq.pk)
    if locked.status not in allowed:
        by = f" by {locked.decided_by.display_name}" if locked.decided_by_id else ""
        raise ValidationError(
            {
                "__all__": f"This application is already {locked.get_status_display().lower()}{by}, "
                f"so it cannot be {action}."
            }
        )
    return locked


@transaction.atomic
def questionnaire_submit(*, sq: SelectionQuestionnaire, user: User, declarations: dict) -> SelectionQuestionnaire:
    """Submit (or resubmit after clarification): every section complete and every declaration made."""
    sq = _lock_in(sq, (SQ.Status.DRAFT, SQ.Status.CLARIFICATION_REQUESTED), "submitted")
    missing = [key for key in DECLARATIONS if not declarations.get(key)]
    if missing:
        raise ValidationError({key: ["You must confirm this to apply."] for key in missing})
    incomplete = [s.title for s in questionnaire_sections(sq) if not s.complete]
    if incomplete:
        raise ValidationError({"__all__": f"Complete every section first: {', '.join(incomplete)}."})
    previous_status = sq.status
    sq.declarations = dict.fromkeys(DECLARATIONS, True)
    sq.snapshot = questionnaire_snapshot(sq)
    sq.status, sq.submitted_at = SQ.Status.SUBMITTED, timezone.now()
    sq.save(update_fields=["declarations", "snapshot", "status", "submitted_at"])
    transition_record(subject=sq, from_state=previous_status, to_state=sq.status, actor=user)
    if sq.provider.status == Provider.Status.DRAFT:
        Provider.objects.filter(pk=sq.provider_id).update(status=Provider.Status.ACTIVE)
    Membership.objects.get_or_create(
        provider=sq.provider,
        provider_list=sq.provider_list,
        status__in=Membership.LIVE,
        defaults={"status": Membership.Status.APPLIED, "applied_on": timezone.localdate()},
    )
    notification_send(
        recipients=users_with_role(Role.OFFICER),
        kind="sq-submitted",
        title=f"{sq.provider} has submitted application {sq.reference}",
        url=sq.get_absolute_url(),
        email=False,
    )
    return sq


@transaction.atomic
def questionnaire_start_review(*, sq: SelectionQuestionnaire, officer: User) -> SelectionQuestionnaire:
    sq = _lock_in(sq, (SQ.Status.SUBMITTED,), "taken for review")
    sq.status = SQ.Status.UNDER_REVIEW
    sq.save(update_fields=["status"])
    transition_record(subject=sq, from_state=SQ.Status.SUBMITTED, to_state=sq.status, actor=officer)
    return sq


@transaction.atomic
def questionnaire_approve(
    *, sq: SelectionQuestionnaire, officer: User, lots=None, reason: str = ""
) -> SelectionQuestionnaire:
    """Admit the provider to the list and the lots chosen. Only once, whoever clicks first."""
    sq = _lock_in(sq, (SQ.Status.SUBMITTED, SQ.Status.UNDER_REVIEW), "approved")
    lots = list(lots) if lots is not None else list(sq.lots.all())
    if not lots:
        raise ValidationError({"lots": "Choose at least one lot to admit the provider to."})
    previous = sq.status
    sq.status, sq.decided_at, sq.decided_by, sq.decision_reason = SQ.Status.APPROVED, timezone.now(), officer, reason
    sq.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    transition_record(subject=sq, from_state=previous, to_state=sq.status, actor=officer, reason=reason)
    today = timezone.localdate()
    membership = (
        Membership.objects.select_for_update()
        .filter(provider=sq.provider, provider_list=sq.provider_list, status__in=Membership.LIVE)
        .first()
    )
    if membership is None:
        membership = Membership.objects.create(
            provider=sq.provider, provider_list=sq.provider_list, status=Membership.Status.APPLIED, applied_on=today
        )
    if membership.status != Membership.Status.ADMITTED:
        from_state = membership.status
        membership.status, membership.admitted_on = Membership.Status.ADMITTED, membership.admitted_on or today
        membership.save(update_fields=["status", "admitted_on"])
        transition_record(
            subject=membership,
            from_state=from_state,
            to_state=membership.status,
            actor=officer,
            reason=f"Application {sq.reference} approved",
        )
    membership.lots.set(lots)
    notification_send(
        recipients=sq.provider.users.all(),
        kind="sq-approved",
        title=f"Your application {sq.reference} has been approved",
        body=f"You are on the {sq.provider_list.name}. The council can now call off therapy from you.",
        url=reverse("providers:portal"),
    )
    return sq


@transaction.atomic
def questionnaire_reject(*, sq: SelectionQuestionnaire, officer: User, reason: str) -> SelectionQuestionnaire:
    if not reason.strip():
        raise ValidationError({"reason": "Enter the reason for rejecting the application."})
    sq = _lock_in(sq, (SQ.Status.SUBMITTED, SQ.Status.UNDER_REVIEW), "rejected")
    previous = sq.status
    sq.status, sq.decided_at, sq.decided_by, sq.decision_reason = (
        SQ.Status.REJECTED,
        timezone.now(),
        officer,
        reason.strip(),
    )
    sq.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    transition_record(subject=sq, from_state=previous, to_state=sq.status, actor=officer, reason=reason)
    applied = Membership.objects.filter(
        provider=sq.provider, provider_list=sq.provider_list, status=Membership.Status.APPLIED
    )
    for membership in applied:
        membership.status = Membership.Status.REJECTED
        membership.save(update_fields=["status"])
        transition_record(
            subject=membership,
            from_state=Membership.Status.APPLIED,
            to_state=membership.status,
            actor=officer,
            reason=reason,
        )
    notification_send(
        recipients=sq.provider.users.all(),
        kind="sq-rejected",
        title=f"Your application {sq.reference} has not been approved",
        body=reason.strip(),
        url=reverse("providers:portal"),
    )
    return sq


@transaction.atomic
def questionnaire_request_clarification(
    *, sq: SelectionQuestionnaire, officer: User, message: str
) -> SelectionQuestionnaire:
    if not message.strip():
        raise ValidationError({"message": "Enter what the provider needs to clarify."})
    sq = _lock_in(sq, (SQ.Status.SUBMITTED, SQ.Status.UNDER_REVIEW), "sent back for clarification")
    previous = sq.status
    sq.status, sq.clarification_request = SQ.Status.CLARIFICATION_REQUESTED, message.strip()
    sq.save(update_fields=["status", "clarification_request"])
    transition_record(subject=sq, from_state=previous, to_state=sq.status, actor=officer, reason=message)
    notification_send(
        recipients=sq.provider.users.all(),
        kind="sq-clarification",
        title=f"The council has a question about application {sq.reference}",
        body=message.strip(),
        url=reverse("providers:portal"),
    )
    return sq


# Leaving and legacy arrangements --------------------------------------------------------------------


@transaction.atomic
def membership_leave(*, membership: Membership, user: User, on: date, reason: str = "") -> Membership:
    """The provider leaves the list on `on` (last day). No new call-offs after; existing placements carry on."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.status not in (Membership.Status.ADMITTED, Membership.Status.SUSPENDED, Membership.Status.APPLIED):
        raise ValidationError({"__all__": "You are not on this list."})
    if on < timezone.localdate():
        raise ValidationError({"left_on": "The leaving date must be today or later."})
    if membership.admitted_on and on < membership.admitted_on:
        raise ValidationError({"left_on": "You cannot leave before you were admitted."})
    previous = membership.status
    membership.status, membership.left_on = Membership.Status.LEFT, on
    membership.save(update_fields=["status", "left_on"])
    transition_record(
        subject=membership,
        from_state=previous,
        to_state=membership.status,
        actor=user,
        reason=reason or f"Left the list on {on:%-d %B %Y}",
    )
    SQ.objects.filter(
        provider=membership.provider, provider_list=membership.provider_list, status=SQ.Status.DRAFT
    ).delete()
    return membership


IMPORT_COLUMNS = [
    "legal_name",
    "trading_name",
    "kind",
    "legacy_arrangement",
    "contact_email",
    "contact_phone",
    "postcode",
    "companies_house_number",
    "charity_number",
    "therapy_types",
    "districts",
    "is_sme",
    "is_vcse",
]


def provider_import_csv(*, content: bytes) -> list[Provider]:
    """Import an existing provider list. Every row is checked; any bad row imports nothing.

    Raises ValidationError whose messages name each bad row and column.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": "The file must be CSV saved as UTF-8."}) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("legal_name", "kind", "legacy_arrangement") if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationError({"file": f"The file has no {', '.join(missing)} column. Use the template's columns."})
    therapy_by_code = {t.code: t for t in TherapyType.objects.all()}
    therapy_by_name = {t.name.lower(): t for t in therapy_by_code.values()}
    district_by_key = {d.ons_code: d for d in District.objects.all()} | {
        d.name.lower(): d for d in District.objects.all()
    }
    kinds = dict(Provider.Kind.choices)
    errors, rows = [], []
    existing = {name.lower() for name in Provider.objects.values_list("legal_name", flat=True)}
    seen = set()
    for number, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k}
        problems = []

        def problem(column, message, number=number, problems=problems):
            problems.append(f"Row {number}, column {column}: {message}")

        if not row.get("legal_name"):
            problem("legal_name", "enter the organisation's legal name")
        elif row["legal_name"].lower() in existing or row["legal_name"].lower() in seen:
            problem("legal_name", f"{row['legal_name']} is already on the system")
        if row.get("kind") not in kinds:
            problem("kind", f"must be one of {', '.join(kinds)}")
        if row.get("legacy_arrangement") not in ("preferred", "non_preferred"):
            problem("legacy_arrangement", "must be preferred or non_preferred")
        for field in ("postcode", "companies_house_number", "charity_number"):
            try:
                row[field] = validate_identifier(field, row.get(field, ""))
            except ValidationError as exc:
                problem(field, exc.message_dict[field][0])
        for field in _identifiers_taken(row):
            problem(field, f"{row[field]} is already registered to another organisation")
        for field in ("companies_house_number", "charity_number"):
            if row.get(field) and (field, row[field]) in seen:
                problem(field, f"{row[field]} is on an earlier row too")
        therapies, districts = [], []
        for item in filter(None, (p.strip() for p in row.get("therapy_types", "").split(";"))):
            therapy = therapy_by_code.get(item) or therapy_by_name.get(item.lower())
            (therapies.append(therapy) if therapy else problem("therapy_types", f"unknown therapy {item!r}"))
        for item in filter(None, (p.strip() for p in row.get("districts", "").split(";"))):
            district = district_by_key.get(item) or district_by_key.get(item.lower())
            (districts.append(district) if district else problem("districts", f"unknown district {item!r}"))
        if problems:
            errors.extend(problems)
            continue
        seen.add(row["legal_name"].lower())
        seen.update((field, row[field]) for field in ("companies_house_number", "charity_number") if row.get(field))
        rows.append((row, therapies, districts))
    if not rows and not errors:
        errors.append("The file has no rows.")
    if errors:
        raise ValidationError({"file": errors})
    created = []
    with transaction.atomic():
        for row, therapies, districts in rows:
            provider = Provider.objects.create(
                legal_name=row["legal_name"],
                trading_name=row.get("trading_name", ""),
                kind=row["kind"],
                status=Provider.Status.ACTIVE,
                legacy_arrangement=row["legacy_arrangement"],
                contact_email=row.get("contact_email", ""),
                contact_phone=row.get("contact_phone", ""),
                postcode=row.get("postcode", ""),
                companies_house_number=row.get("companies_house_number", ""),
                charity_number=row.get("charity_number", ""),
                is_sme=row.get("is_sme", "").lower() in ("yes", "true", "1"),
                is_vcse=row.get("is_vcse", "").lower() in ("yes", "true", "1"),
            )
            provider.therapy_types.set(therapies)
            provider.districts.set(districts)
            created.append(provider)
    return created
