"""The supply side: providers, the lists they join (QPL, DPS), their prices and capacity."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core.money import money_field


class ProviderQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProviderQuerySet:
        """Providers this user may see; callers treat the rest as 404.

        Council staff see every provider; a provider user sees only their own organisation.
        """
        if user.has_perm("providers.view_provider"):
            return self
        if getattr(user, "provider_id", None):
            return self.filter(pk=user.provider_id)
        return self.none()


class OfstedRating(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"
    NOT_INSPECTED = "not_inspected", "Not yet inspected"


# The registered identifiers an organisation may give, each of which names exactly one organisation.
IDENTIFIER_LABELS = {
    "companies_house_number": "Companies House number",
    "charity_number": "charity number",
    "nhs_ods_code": "NHS ODS code",
    "dfe_urn": "DfE URN",
}


class Provider(models.Model):
    """An organisation (or sole practitioner) that delivers therapy or runs a special school.

    Its details are held once and reused by every list it joins (QPL, DPS).
    """

    class Kind(models.TextChoices):
        SOLE_PRACTITIONER = "sole_practitioner", "Sole practitioner"
        COMPANY = "company", "Company"
        CHARITY = "charity", "Charity or community interest company"
        NHS_TRUST = "nhs_trust", "NHS trust"
        INDEPENDENT_SCHOOL = "independent_school", "Independent special school"
        NON_MAINTAINED_SCHOOL = "non_maintained_school", "Non-maintained special school"
        LOCAL_AUTHORITY = "local_authority", "Local authority service"

    class Status(models.TextChoices):
        DRAFT = "draft", "Registered, not yet applied"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    class LegacyArrangement(models.TextChoices):
        NONE = "", "None"
        PREFERRED = "preferred", "Preferred provider (quality framework signed)"
        NON_PREFERRED = "non_preferred", "Non-preferred provider (spot purchase only)"

    class Setting(models.TextChoices):
        SCHOOL = "school", "School"
        HOME = "home", "Home"
        CLINIC = "clinic", "Clinic"
        ONLINE = "online", "Online"

    legal_name = models.CharField(max_length=200)
    trading_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    companies_house_number = models.CharField(max_length=8, blank=True)
    charity_number = models.CharField(max_length=8, blank=True)
    nhs_ods_code = models.CharField("NHS ODS code", max_length=6, blank=True)
    dfe_urn = models.CharField("DfE URN", max_length=6, blank=True)
    address_line_1 = models.CharField(max_length=200, blank=True)
    address_line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=30, blank=True)
    is_sme = models.BooleanField("SME", default=False)
    is_vcse = models.BooleanField("VCSE", default=False)
    employs_staff = models.BooleanField(default=False)
    legacy_arrangement = models.CharField(
        max_length=20, choices=LegacyArrangement.choices, blank=True, default=LegacyArrangement.NONE
    )
    # Services offered: answered once, reused by every list and by sourcing.
    therapy_types = models.ManyToManyField("core.TherapyType", related_name="providers", blank=True)
    districts = models.ManyToManyField("core.District", related_name="providers", blank=True)
    settings_offered = models.JSONField(default=list, blank=True, help_text="Values of Provider.Setting.")
    age_from = models.PositiveSmallIntegerField(null=True, blank=True)
    age_to = models.PositiveSmallIntegerField(null=True, blank=True)
    # Safeguarding, answered once.
    safeguarding_lead_name = models.CharField(max_length=200, blank=True)
    safeguarding_lead_email = models.EmailField(blank=True)
    has_safeguarding_policy = models.BooleanField(default=False)
    safeguarding_policy_reviewed_on = models.DateField(null=True, blank=True)
    # Schools (DPS): answered once, alongside everything above.
    ofsted_rating = models.CharField("Ofsted rating", max_length=30, choices=OfstedRating.choices, blank=True)
    ofsted_inspected_on = models.DateField("date of the last Ofsted inspection", null=True, blank=True)
    registered_capacity = models.PositiveSmallIntegerField("registered number of pupils", null=True, blank=True)
    needs_catered_for = models.ManyToManyField("core.PrimaryNeed", related_name="schools", blank=True)
    offers_day = models.BooleanField("offers day places", default=False)
    offers_residential = models.BooleanField("offers residential places", default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ProviderQuerySet.as_manager()

    class Meta:
        ordering = ["legal_name", "pk"]
        permissions = [
            ("view_provider_directory", "Can search the provider directory"),
            ("use_provider_portal", "Can use the provider portal for their own organisation"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(age_to__isnull=True) | Q(age_from__isnull=True) | Q(age_to__gte=F("age_from")),
                name="providers_provider_age_range_ordered",
                violation_error_message="The upper age cannot be below the lower age.",
            ),
            # One organisation, one record: a registered identifier belongs to a single provider that has
            # not closed (a closed record may be succeeded by a new registration of the same body).
            *(
                models.UniqueConstraint(
                    fields=[field],
                    condition=~Q(**{field: ""}) & ~Q(status="closed"),
                    name=f"providers_provider_{field}_unique",
                    violation_error_message=f"Another organisation is already registered with this {label}.",
                )
                for field, label in IDENTIFIER_LABELS.items()
            ),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="prov_provider_status_idx")]

    def __str__(self) -> str:
        return self.trading_name or self.legal_name

    def get_absolute_url(self) -> str:
        return reverse("providers:provider-detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        if self.trading_name and self.trading_name != self.legal_name:
            return f"{self.trading_name} ({self.legal_name})"
        return self.legal_name

    @property
    def is_school(self) -> bool:
        return self.kind in (self.Kind.INDEPENDENT_SCHOOL, self.Kind.NON_MAINTAINED_SCHOOL)


class ProviderList(models.Model):
    """A commissioning list providers apply to join: the QPL for therapy, the DPS for school places."""

    class Kind(models.TextChoices):
        QPL = "qpl", "Qualified Provider List"
        DPS = "dps", "Dynamic Purchasing System"
        DYNAMIC_MARKET = "dynamic_market", "Dynamic market (Procurement Act 2023)"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200)
    reference = models.CharField(max_length=50, unique=True)
    description = models.TextField(blank=True)
    opens_on = models.DateField()
    closes_on = models.DateField(null=True, blank=True, help_text="Blank: open to new entrants with no end date.")
    key_decision_number = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__isnull=True) | Q(closes_on__gte=F("opens_on")),
                name="providers_providerlist_closes_after_opens",
                violation_error_message="A list cannot close before it opens.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_open_on(self, day: date) -> bool:
        return self.opens_on <= day and (self.closes_on is None or day <= self.closes_on)


class Lot(models.Model):
    """A part of a list: by therapy and districts for the QPL; by need, day/residential, ages and area for the DPS."""

    class Setting(models.TextChoices):
        ANY = "", "Any"
        DAY = "day", "Day"
        RESIDENTIAL = "residential", "Residential"

    provider_list = models.ForeignKey(ProviderList, on_delete=models.PROTECT, related_name="lots")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    therapy_type = models.ForeignKey(
        "core.TherapyType", on_delete=models.PROTECT, null=True, blank=True, related_name="lots"
    )
    primary_need = models.ForeignKey(
        "core.PrimaryNeed", on_delete=models.PROTECT, null=True, blank=True, related_name="lots"
    )
    setting = models.CharField(max_length=12, choices=Setting.choices, blank=True, default=Setting.ANY)
    age_from = models.PositiveSmallIntegerField(null=True, blank=True)
    age_to = models.PositiveSmallIntegerField(null=True, blank=True)
    districts = models.ManyToManyField("core.District", related_name="lots", blank=True)

    class Meta:
        ordering = ["provider_list", "number"]
        constraints = [
            models.UniqueConstraint(fields=["provider_list", "number"], name="providers_lot_number_unique"),
            models.CheckConstraint(
                condition=Q(age_to__isnull=True) | Q(age_from__isnull=True) | Q(age_to__gte=F("age_from")),
                name="providers_lot_age_range_ordered",
                violation_error_message="The upper age cannot be below the lower age.",
            ),
        ]

    def __str__(self) -> str:
        return f"Lot {self.number}: {self.name}"


class MembershipQuerySet(models.QuerySet):
    def visible_to(self, user) -> MembershipQuerySet:
        if user.has_perm("providers.view_provider"):
            return self
        if getattr(user, "provider_id", None):
            return self.filter(provider_id=user.provider_id)
        return self.none()

    def admitted_on(self, day: date) -> MembershipQuerySet:
        """Memberships under which the provider could be called off on `day`, a past day included: admitted
        by then and not yet gone (a provider that has since left was on the list up to its last day; one
        suspended since was on it until the day before its suspension)."""
        S = Membership.Status
        return self.filter(
            Q(status__in=[S.ADMITTED, S.SUSPENDED, S.LEFT], admitted_on__lte=day),
            Q(left_on__isnull=True) | Q(left_on__gte=day),
            Q(suspended_on__isnull=True) | Q(suspended_on__gt=day),
        )


class Membership(models.Model):
    """A provider's place on a list: applied, admitted, suspended, left (or rejected).

    One live membership (applied, admitted or suspended) per provider and list, held by the database.
    """

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        ADMITTED = "admitted", "Admitted"
        SUSPENDED = "suspended", "Suspended"
        LEFT = "left", "Left"
        REJECTED = "rejected", "Rejected"

    LIVE = (Status.APPLIED, Status.ADMITTED, Status.SUSPENDED)

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="memberships")
    provider_list = models.ForeignKey(ProviderList, on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPLIED)
    lots = models.ManyToManyField(Lot, related_name="memberships", blank=True)
    applied_on = models.DateField(default=timezone.localdate)
    admitted_on = models.DateField(null=True, blank=True)
    suspended_on = models.DateField(null=True, blank=True)
    suspension_reason = models.TextField(blank=True)
    left_on = models.DateField(null=True, blank=True, help_text="Last day on the list.")

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["provider_list", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_list"],
                condition=Q(status__in=["applied", "admitted", "suspended"]),
                name="providers_membership_one_live_per_list",
                violation_error_message="This provider already has a live membership of this list.",
            ),
            models.CheckConstraint(
                condition=Q(admitted_on__isnull=True) | Q(admitted_on__gte=F("applied_on")),
                name="providers_membership_admitted_after_applied",
                violation_error_message="A provider cannot be admitted before applying.",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(admitted_on__isnull=True) | Q(left_on__gte=F("admitted_on")),
                name="providers_membership_left_after_admitted",
                violation_error_message="A provider cannot leave before being admitted.",
            ),
        ]
        indexes = [models.Index(fields=["provider_list", "status"], name="prov_membership_status_idx")]

    def __str__(self) -> str:
        return f"Membership #{self.pk}"


class PricingScheduleQuerySet(models.QuerySet):
    def visible_to(self, user) -> PricingScheduleQuerySet:
        if user.has_perm("providers.view_provider"):
            return self
        if getattr(user, "provider_id", None):
            return self.filter(provider_id=user.provider_id)
        return self.none()

    def in_force_on(self, day: date) -> PricingScheduleQuerySet:
        """Versions effective on or before `day`; the first of each provider's is the one in force."""
        return self.filter(effective_from__lte=day).order_by("provider_id", "-effective_from", "-version")


class PricingSchedule(models.Model):
    """One version of a provider's indicative prices, effective from a date. Old versions are kept.

    The version in force on a date (latest `effective_from` on or before it) prices a call-off.
    """

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="pricing_schedules")
    version = models.PositiveIntegerField()
    effective_from = models.DateField()
    submitted_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)

    objects = PricingScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["provider", "-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "version"], name="providers_pricing_version_unique"),
            models.UniqueConstraint(
                fields=["provider", "effective_from"], name="providers_pricing_one_version_per_date"
            ),
        ]

    def __str__(self) -> str:
        return f"Pricing v{self.version} from {self.effective_from:%d %b %Y}"


class PriceLine(models.Model):
    """A rate for one therapy and unit within a pricing schedule version."""

    class Unit(models.TextChoices):
        HOUR = "hour", "Hour"
        SESSION = "session", "Session"
        ASSESSMENT = "assessment", "Assessment"
        REPORT = "report", "Report"

    schedule = models.ForeignKey(PricingSchedule, on_delete=models.CASCADE, related_name="lines")
    therapy_type = models.ForeignKey("core.TherapyType", on_delete=models.PROTECT, related_name="price_lines")
    unit = models.CharField(max_length=12, choices=Unit.choices)
    rate = money_field("rate (£)")

    class Meta:
        ordering = ["schedule", "therapy_type", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "therapy_type", "unit"], name="providers_priceline_unique"),
            models.CheckConstraint(
                condition=Q(rate__gte=0),
                name="providers_priceline_rate_not_negative",
                violation_error_message="A rate cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.therapy_type} per {self.get_unit_display().lower()}: £{self.rate}"


class CapacityDeclarationQuerySet(models.QuerySet):
    def visible_to(self, user) -> CapacityDeclarationQuerySet:
        if user.has_perm("providers.view_provider"):
            return self
        if getattr(user, "provider_id", None):
            return self.filter(provider_id=user.provider_id)
        return self.none()


class CapacityDeclaration(models.Model):
    """Hours a week a provider says it can take on, for one therapy in one district, from a date.

    The latest declaration on or before a date for each (therapy, district) is the one in force.
    """

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="capacity_declarations")
    therapy_type = models.ForeignKey("core.TherapyType", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("core.District", on_delete=models.PROTECT, related_name="+")
    hours_per_week = models.DecimalField(max_digits=6, decimal_places=1)
    from_date = models.DateField()
    declared_at = models.DateTimeField(default=timezone.now)

    objects = CapacityDeclarationQuerySet.as_manager()

    class Meta:
        ordering = ["provider", "therapy_type", "district", "-from_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "therapy_type", "district", "from_date"], name="providers_capacity_unique"
            ),
            models.CheckConstraint(
                condition=Q(hours_per_week__gte=0),
                name="providers_capacity_not_negative",
                violation_error_message="Capacity cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hours_per_week} h/week of {self.therapy_type} in {self.district} from {self.from_date}"


class InsuranceMinimums(models.Model):
    """The minimum cover officers require of providers (one row). Defaults follow the QPL terms."""

    public_liability = money_field("public liability (£)", default=Decimal("5000000.00"))
    professional_indemnity = money_field("professional indemnity (£)", default=Decimal("1000000.00"))
    employers_liability = money_field("employer's liability (£)", default=Decimal("5000000.00"))
    expiry_warning_days = models.PositiveSmallIntegerField(default=30)

    class Meta:
        verbose_name_plural = "insurance minimums"

    def __str__(self) -> str:
        return "Minimum insurance cover"

    @classmethod
    def current(cls) -> InsuranceMinimums:
        return cls.objects.get_or_create(pk=1)[0]

    def minimum_for(self, kind: str) -> Decimal:
        return {
            InsurancePolicy.Kind.PUBLIC_LIABILITY: self.public_liability,
            InsurancePolicy.Kind.PROFESSIONAL_INDEMNITY: self.professional_indemnity,
            InsurancePolicy.Kind.EMPLOYERS_LIABILITY: self.employers_liability,
        }[kind]


class ProviderOwnedQuerySet(models.QuerySet):
    """Records that belong to one provider: council staff see all, a provider user only their own."""

    def visible_to(self, user):
        if user.has_perm("providers.view_provider"):
            return self
        if getattr(user, "provider_id", None):
            return self.filter(provider_id=user.provider_id)
        return self.none()


class Practitioner(models.Model):
    """A person who delivers therapy for a provider, with their professional registration and DBS check."""

    class Body(models.TextChoices):
        HCPC = "hcpc", "Health and Care Professions Council (HCPC)"
        RCSLT = "rcslt", "Royal College of Speech and Language Therapists (RCSLT)"
        BACP = "bacp", "British Association for Counselling and Psychotherapy (BACP)"
        UKCP = "ukcp", "UK Council for Psychotherapy (UKCP)"
        BABCP = "babcp", "British Association for Behavioural and Cognitive Psychotherapies (BABCP)"
        BAPT = "bapt", "British Association of Play Therapists (BAPT)"
        PTUK = "ptuk", "Play Therapy UK (PTUK)"
        OTHER = "other", "Another body"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="practitioners")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    profession = models.CharField(max_length=100, help_text="For example ‘Speech and language therapist’.")
    registration_body = models.CharField(max_length=10, choices=Body.choices)
    registration_body_other = models.CharField("name of the body", max_length=200, blank=True)
    registration_number = models.CharField(max_length=30)
    registration_expires_on = models.DateField()
    dbs_certificate_number = models.CharField("DBS certificate number", max_length=12)
    dbs_issued_on = models.DateField("DBS certificate issue date")
    dbs_barred_list_checked = models.BooleanField("enhanced check with the children's barred list", default=False)
    dbs_update_service = models.BooleanField("subscribed to the DBS Update Service", default=False)
    is_active = models.BooleanField(default=True)

    objects = ProviderOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["provider", "last_name", "first_name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dbs_certificate_number__regex=r"^[0-9]{12}$"),
                name="providers_practitioner_dbs_12_digits",
                violation_error_message="A DBS certificate number is 12 digits.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class InsurancePolicy(models.Model):
    """A provider's current insurance policy of one kind (renewals update it; the audit log keeps history)."""

    class Kind(models.TextChoices):
        PUBLIC_LIABILITY = "public_liability", "Public liability"
        PROFESSIONAL_INDEMNITY = "professional_indemnity", "Professional indemnity"
        EMPLOYERS_LIABILITY = "employers_liability", "Employer's liability"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="insurance_policies")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    insurer = models.CharField(max_length=200)
    policy_number = models.CharField(max_length=60)
    cover_amount = money_field("cover (£)")
    expires_on = models.DateField()

    objects = ProviderOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["provider", "kind"]
        verbose_name_plural = "insurance policies"
        constraints = [
            models.UniqueConstraint(fields=["provider", "kind"], name="providers_insurance_one_per_kind"),
            models.CheckConstraint(
                condition=Q(cover_amount__gt=0),
                name="providers_insurance_cover_positive",
                violation_error_message="Cover must be more than £0.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} insurance"


class ComplianceDocumentQuerySet(ProviderOwnedQuerySet):
    def verified(self):
        return self.filter(status=ComplianceDocument.Status.VERIFIED)


class ComplianceDocument(models.Model):
    """Evidence a provider uploads (certificates, registrations, policies), checked by an officer.

    The file is stored privately under a generated name; the uploader's file name is kept only
    for display. Mandatory kinds suspend a membership when the latest verified one has expired.
    """

    class Kind(models.TextChoices):
        PUBLIC_LIABILITY = "public_liability", "Public liability insurance certificate"
        PROFESSIONAL_INDEMNITY = "professional_indemnity", "Professional indemnity insurance certificate"
        EMPLOYERS_LIABILITY = "employers_liability", "Employer's liability insurance certificate"
        DBS = "dbs", "Enhanced DBS certificate"
        REGISTRATION = "registration", "Professional registration"
        SAFEGUARDING_POLICY = "safeguarding_policy", "Safeguarding policy"
        OTHER = "other", "Other evidence"

    MANDATORY = (Kind.PUBLIC_LIABILITY, Kind.PROFESSIONAL_INDEMNITY, Kind.DBS, Kind.REGISTRATION)

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for checks"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="documents")
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    number = models.CharField("certificate or policy number", max_length=60, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    file = models.FileField(upload_to="evidence/%Y/%m/", max_length=200)
    original_name = models.CharField(max_length=200, help_text="The uploader's file name, for display only.")
    content_type = models.CharField(max_length=50, help_text="Detected from the file's content.")
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    expiry_notified_on = models.DateField(null=True, blank=True)

    objects = ComplianceDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["provider", "kind", "-expires_on", "-pk"]
        permissions = [("verify_compliancedocument", "Can check providers' evidence and open the files")]
        indexes = [models.Index(fields=["status", "expires_on"], name="prov_document_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_mandatory(self) -> bool:
        return self.kind in self.MANDATORY or (
            self.kind == self.Kind.EMPLOYERS_LIABILITY and self.provider.employs_staff
        )


class SelectionQuestionnaireQuerySet(ProviderOwnedQuerySet):
    def open(self):
        return self.filter(status__in=SelectionQuestionnaire.OPEN)


class SelectionQuestionnaire(models.Model):
    """One application (or resubmission) by a provider to join a list, with a snapshot of its answers.

    draft -> submitted -> under review -> (clarification requested -> submitted ...) -> approved / rejected.
    Each move is recorded (core.Transition). The answers themselves live on the provider and are reused.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        UNDER_REVIEW = "under_review", "Under review"
        CLARIFICATION_REQUESTED = "clarification_requested", "Clarification requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    OPEN = (Status.DRAFT, Status.SUBMITTED, Status.UNDER_REVIEW, Status.CLARIFICATION_REQUESTED)

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="questionnaires")
    provider_list = models.ForeignKey(ProviderList, on_delete=models.PROTECT, related_name="questionnaires")
    reference = models.CharField(max_length=20, unique=True)
    previous = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resubmissions",
        help_text="The earlier application this one resubmits or updates.",
    )
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.DRAFT)
    lots = models.ManyToManyField(Lot, related_name="questionnaires", blank=True)
    declarations = models.JSONField(default=dict, blank=True)
    snapshot = models.JSONField(null=True, blank=True, help_text="The answers as they were when submitted.")
    clarification_request = models.TextField(blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = SelectionQuestionnaireQuerySet.as_manager()

    class Meta:
        ordering = ["submitted_at", "pk"]
        permissions = [("review_selectionquestionnaire", "Can review and decide selection questionnaires")]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_list"],
                condition=Q(status__in=["draft", "submitted", "under_review", "clarification_requested"]),
                name="providers_sq_one_open_per_list",
                violation_error_message="This provider already has an application open for this list.",
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="prov_sq_queue_idx")]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("providers:sq-review", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.CLARIFICATION_REQUESTED)


class SchoolFeeBand(models.Model):
    """A school's indicative annual fee for a kind of place, in elements: education, care and therapy.

    Schools give these when applying to the DPS; an offer for a child states its own fee in the same elements.
    """

    class PlaceType(models.TextChoices):
        DAY = "day", "Day"
        RESIDENTIAL = "residential", "Residential"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="fee_bands")
    name = models.CharField(max_length=100, help_text="For example ‘Band B: higher needs’.")
    place_type = models.CharField(max_length=12, choices=PlaceType.choices)
    weeks = models.PositiveSmallIntegerField(choices=[(38, "38 weeks"), (52, "52 weeks")])
    education = money_field("education (£ a year)")
    care = money_field("care (£ a year)", default=Decimal("0.00"))
    therapy = money_field("therapy (£ a year)", default=Decimal("0.00"))
    effective_from = models.DateField()

    objects = ProviderOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["provider", "place_type", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(education__gte=0) & Q(care__gte=0) & Q(therapy__gte=0),
                name="providers_feeband_not_negative",
                violation_error_message="Fees cannot be negative.",
            ),
            models.UniqueConstraint(fields=["provider", "name", "effective_from"], name="providers_feeband_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_place_type_display().lower()}, {self.weeks} weeks)"

    @property
    def annual_fee(self) -> Decimal:
        return self.education + self.care + self.therapy
