"""Forms for the provider pages: sign-up, each questionnaire topic, review decisions, import."""

from allauth.account.forms import SignupForm
from django import forms
from django.utils import timezone

from core.forms import DateInput, GovukForm, GovukFormMixin, GovukModelForm
from core.models import District, TherapyType

from .models import ComplianceDocument, Lot, Practitioner, PriceLine, Provider
from .services import DECLARATIONS

BOOLEAN_CHOICES = [(True, "Yes"), (False, "No")]


class ProviderSignupForm(GovukFormMixin, SignupForm):
    """Create an account for an organisation applying to a list. The email address is verified first."""

    submit_label = "Create account"

    organisation_name = forms.CharField(
        label="Name of your organisation",
        max_length=200,
        help_text="The legal name, or your own name if you are a sole practitioner.",
        error_messages={"required": "Enter the name of your organisation"},
    )
    organisation_kind = forms.ChoiceField(
        label="What kind of organisation is it?",
        choices=Provider.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what kind of organisation it is"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email address"
        self.fields["email"].help_text = "We will send a link to this address to check it is yours."
        for name in ("email", "password1", "password2"):
            self.fields[name].widget.attrs.pop("placeholder", None)
        self.fields["password1"].help_text = "At least 12 characters. Three random words make a strong password."
        self.order_fields(["organisation_name", "organisation_kind", "email", "password1", "password2"])

    def save(self, request):
        from .services import provider_register

        user = super().save(request)
        provider_register(
            user=user,
            organisation_name=self.cleaned_data["organisation_name"],
            kind=self.cleaned_data["organisation_kind"],
        )
        return user


class OrganisationForm(GovukModelForm):
    submit_label = "Save and continue"

    class Meta:
        model = Provider
        fields = [
            "legal_name",
            "trading_name",
            "kind",
            "companies_house_number",
            "charity_number",
            "nhs_ods_code",
            "dfe_urn",
            "address_line_1",
            "address_line_2",
            "town",
            "postcode",
            "contact_name",
            "contact_email",
            "contact_phone",
            "is_sme",
            "is_vcse",
            "employs_staff",
        ]
        labels = {
            "is_sme": "We are a small or medium-sized enterprise (fewer than 250 staff)",
            "is_vcse": "We are a voluntary, community or social enterprise",
            "employs_staff": "We employ staff",
        }
        help_texts = {
            "companies_house_number": "If you are a company or a charitable company.",
            "charity_number": "If you are a registered charity.",
            "nhs_ods_code": "If you are an NHS organisation.",
            "dfe_urn": "If you are a school.",
            "employs_staff": "Employer's liability insurance is required if you do.",
        }
        widgets = {"kind": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("address_line_1", "town", "postcode", "contact_name", "contact_email", "contact_phone"):
            self.fields[name].required = True
        self.fields["postcode"].widget.attrs["class"] = "govuk-input govuk-input--width-10"


class ServicesForm(GovukModelForm):
    submit_label = "Save and continue"

    settings_offered = forms.MultipleChoiceField(
        label="Where do you deliver therapy?",
        choices=Provider.Setting.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select where you deliver therapy"},
    )

    class Meta:
        model = Provider
        fields = ["therapy_types", "districts", "settings_offered", "age_from", "age_to"]
        labels = {
            "therapy_types": "Which therapies do you offer?",
            "districts": "Which districts do you cover?",
            "age_from": "Youngest age you work with",
            "age_to": "Oldest age you work with",
        }
        widgets = {"therapy_types": forms.CheckboxSelectMultiple, "districts": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapy_types"].queryset = TherapyType.objects.filter(is_active=True)
        self.fields["districts"].queryset = District.objects.current()
        self.fields["therapy_types"].required = self.fields["districts"].required = True
        self.fields["therapy_types"].error_messages["required"] = "Select the therapies you offer"
        self.fields["districts"].error_messages["required"] = "Select the districts you cover"
        for name in ("age_from", "age_to"):
            self.fields[name].widget.attrs["class"] = "govuk-input govuk-input--width-3"


class PractitionerForm(GovukModelForm):
    submit_label = "Save practitioner"

    class Meta:
        model = Practitioner
        fields = [
            "first_name",
            "last_name",
            "profession",
            "registration_body",
            "registration_body_other",
            "registration_number",
            "registration_expires_on",
            "dbs_certificate_number",
            "dbs_issued_on",
            "dbs_barred_list_checked",
            "dbs_update_service",
        ]
        labels = {
            "registration_body": "Professional body",
            "registration_body_other": "If another body, its name",
            "registration_expires_on": "Registration renewal date",
            "dbs_barred_list_checked": "The check is an enhanced DBS check with the children's barred list",
            "dbs_update_service": "The practitioner subscribes to the DBS Update Service",
        }
        help_texts = {
            "registration_number": "For the HCPC, the profession's letters then digits, like SL12345.",
            "dbs_certificate_number": "12 digits, printed at the top right of the certificate.",
        }
        widgets = {
            "registration_body": forms.RadioSelect,
            "registration_expires_on": DateInput(),
            "dbs_issued_on": DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registration_body"].choices = Practitioner.Body.choices
        self.fields["registration_body_other"].required = False

    def _post_clean(self):
        """Validation with side-effect-free rules lives in the service; skip the model's full_clean here."""


class InsuranceForm(GovukForm):
    submit_label = "Save policy"

    insurer = forms.CharField(max_length=200, error_messages={"required": "Enter the insurer's name"})
    policy_number = forms.CharField(max_length=60, error_messages={"required": "Enter the policy number"})
    cover_amount = forms.DecimalField(
        label="Cover (£)",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-10", "inputmode": "decimal"}),
        error_messages={"required": "Enter the amount of cover", "invalid": "Enter the cover in pounds, like 5000000"},
    )
    expires_on = forms.DateField(
        label="Expiry date", widget=DateInput(), error_messages={"required": "Enter the expiry date"}
    )


class SafeguardingForm(GovukModelForm):
    submit_label = "Save and continue"

    class Meta:
        model = Provider
        fields = [
            "safeguarding_lead_name",
            "safeguarding_lead_email",
            "has_safeguarding_policy",
            "safeguarding_policy_reviewed_on",
        ]
        labels = {
            "safeguarding_lead_name": "Name of your designated safeguarding lead",
            "safeguarding_lead_email": "Their email address",
            "has_safeguarding_policy": "We have a written safeguarding policy",
            "safeguarding_policy_reviewed_on": "When was it last reviewed?",
        }
        widgets = {"safeguarding_policy_reviewed_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["safeguarding_lead_name"].required = self.fields["safeguarding_lead_email"].required = True

    def clean_has_safeguarding_policy(self):
        if not self.cleaned_data.get("has_safeguarding_policy"):
            raise forms.ValidationError("Providers on the list must have a written safeguarding policy")
        return True


class DocumentUploadForm(GovukForm):
    submit_label = "Upload"

    kind = forms.ChoiceField(label="What is it?", choices=ComplianceDocument.Kind.choices)
    practitioner = forms.ModelChoiceField(
        label="Which practitioner is it for?",
        queryset=Practitioner.objects.none(),
        required=False,
        empty_label="Not for one practitioner",
        help_text="For DBS certificates and professional registrations.",
    )
    number = forms.CharField(label="Certificate or policy number", required=False, max_length=60)
    expires_on = forms.DateField(label="Expiry date", required=False, widget=DateInput())
    file = forms.FileField(
        label="File",
        help_text="A PDF, PNG or JPEG smaller than 10MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}),
        error_messages={"required": "Select a file to upload"},
    )

    def __init__(self, *args, provider=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = Practitioner.objects.filter(provider=provider, is_active=True)


class CapacityForm(GovukForm):
    submit_label = "Add capacity"

    therapy_type = forms.ModelChoiceField(
        label="Therapy", queryset=TherapyType.objects.none(), error_messages={"required": "Select the therapy"}
    )
    district = forms.ModelChoiceField(
        label="District", queryset=District.objects.current(), error_messages={"required": "Select the district"}
    )
    hours_per_week = forms.DecimalField(
        label="Hours a week you can take on",
        min_value=0,
        max_digits=6,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-5", "inputmode": "decimal"}),
        error_messages={"required": "Enter the hours a week", "min_value": "Capacity cannot be negative"},
    )
    from_date = forms.DateField(label="From", widget=DateInput(), initial=timezone.localdate)

    def __init__(self, *args, provider=None, **kwargs):
        super().__init__(*args, **kwargs)
        offered = provider.therapy_types.all() if provider else TherapyType.objects.none()
        self.fields["therapy_type"].queryset = (
            offered if offered.exists() else TherapyType.objects.filter(is_active=True)
        )


class PricingForm(GovukForm):
    """A rate per therapy offered and unit; blank means not offered at that unit."""

    submit_label = "Save prices"

    effective_from = forms.DateField(label="Prices apply from", widget=DateInput(), initial=timezone.localdate)

    def __init__(self, *args, provider=None, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = current or {}
        self.rate_fields = []
        therapies = provider.therapy_types.all() if provider else TherapyType.objects.none()
        for therapy in therapies:
            for unit, unit_label in PriceLine.Unit.choices:
                name = f"rate_{therapy.pk}_{unit}"
                self.fields[name] = forms.DecimalField(
                    label=f"{therapy.name}: per {unit_label.lower()} (£)",
                    required=False,
                    min_value=0,
                    max_digits=8,
                    decimal_places=2,
                    initial=current.get((therapy.pk, unit)),
                    widget=forms.NumberInput(
                        attrs={"class": "govuk-input govuk-input--width-5", "inputmode": "decimal"}
                    ),
                    error_messages={
                        "min_value": "A rate cannot be negative",
                        "invalid": "Enter a rate in pounds, like 75.00",
                    },
                )
                self.rate_fields.append((name, therapy.pk, unit))

    def rates(self) -> dict:
        return {
            (therapy_id, unit): self.cleaned_data[name]
            for name, therapy_id, unit in self.rate_fields
            if self.cleaned_data.get(name) is not None
        }


class LotsForm(GovukForm):
    submit_label = "Save and continue"

    lots = forms.ModelMultipleChoiceField(
        label="Which lots are you applying for?",
        queryset=Lot.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one lot"},
    )

    def __init__(self, *args, provider_list=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lots"].queryset = Lot.objects.filter(provider_list=provider_list)


class DeclarationForm(GovukForm):
    submit_label = "Submit application"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, text in DECLARATIONS.items():
            self.fields[key] = forms.BooleanField(
                label=text, required=True, error_messages={"required": "You must confirm this to apply"}
            )


class DecisionForm(GovukForm):
    """An officer's decision on an application. `expected_status` catches two officers deciding at once."""

    ACTIONS = [
        ("approve", "Approve: admit the provider to the list"),
        ("clarify", "Ask the provider to clarify something"),
        ("reject", "Reject the application"),
    ]
    submit_label = "Record decision"

    action = forms.ChoiceField(
        label="Decision", choices=ACTIONS, widget=forms.RadioSelect, error_messages={"required": "Choose a decision"}
    )
    lots = forms.ModelMultipleChoiceField(
        label="Admit to these lots",
        queryset=Lot.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label="Reason or message to the provider",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required to reject or to ask for clarification. The provider sees it.",
    )
    expected_status = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, sq=None, **kwargs):
        super().__init__(*args, **kwargs)
        if sq is not None:
            self.fields["lots"].queryset = Lot.objects.filter(provider_list_id=sq.provider_list_id)
            self.fields["lots"].initial = list(sq.lots.values_list("pk", flat=True))
            self.fields["expected_status"].initial = sq.status


class RejectDocumentForm(GovukForm):
    submit_label = "Reject document"

    reason = forms.CharField(
        label="Why is it not acceptable?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the document is not acceptable"},
    )


class LeaveForm(GovukForm):
    submit_label = "Leave the list"

    left_on = forms.DateField(
        label="Last day on the list",
        widget=DateInput(),
        initial=timezone.localdate,
        help_text="No new call-offs after this day. Therapy already arranged carries on.",
    )
    reason = forms.CharField(
        label="Why are you leaving? (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ImportForm(GovukForm):
    submit_label = "Import providers"

    file = forms.FileField(
        label="CSV file", help_text="Use the template's columns. Nothing is imported if any row is wrong."
    )


class InsuranceMinimumsForm(GovukForm):
    submit_label = "Save minimums"

    public_liability = forms.DecimalField(label="Public liability (£)", min_value=0, max_digits=12, decimal_places=2)
    professional_indemnity = forms.DecimalField(
        label="Professional indemnity (£)", min_value=0, max_digits=12, decimal_places=2
    )
    employers_liability = forms.DecimalField(
        label="Employer's liability (£)", min_value=0, max_digits=12, decimal_places=2
    )
    expiry_warning_days = forms.IntegerField(
        label="Warn this many days before evidence expires", min_value=1, max_value=180
    )


class LegacyArrangementForm(GovukForm):
    submit_label = "Save"

    legacy_arrangement = forms.ChoiceField(
        label="Arrangement before the QPL",
        choices=Provider.LegacyArrangement.choices,
        widget=forms.RadioSelect,
        required=False,
    )


class SchoolForm(GovukModelForm):
    """The DPS sections a school answers: held on the provider and reused by every application."""

    submit_label = "Save and continue"

    class Meta:
        model = Provider
        fields = [
            "dfe_urn",
            "ofsted_rating",
            "ofsted_inspected_on",
            "registered_capacity",
            "age_from",
            "age_to",
            "needs_catered_for",
            "offers_day",
            "offers_residential",
        ]
        labels = {
            "dfe_urn": "DfE URN",
            "needs_catered_for": "Which primary needs does the school cater for?",
            "age_from": "Youngest pupils (age)",
            "age_to": "Oldest pupils (age)",
        }
        widgets = {
            "ofsted_rating": forms.RadioSelect,
            "ofsted_inspected_on": DateInput(),
            "needs_catered_for": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("dfe_urn", "ofsted_rating", "registered_capacity", "age_from", "age_to", "needs_catered_for"):
            self.fields[name].required = True
        self.fields["ofsted_rating"].choices = Provider._meta.get_field("ofsted_rating").choices
        for name in ("registered_capacity", "age_from", "age_to"):
            self.fields[name].widget.attrs["class"] = "govuk-input govuk-input--width-4"

    def clean(self):
        data = super().clean()
        if not data.get("offers_day") and not data.get("offers_residential"):
            self.add_error("offers_day", "Say whether the school offers day places, residential places or both")
        if data.get("age_from") is not None and data.get("age_to") is not None and data["age_to"] < data["age_from"]:
            self.add_error("age_to", "The oldest age cannot be below the youngest")
        return data

    def _post_clean(self):
        """Saved by the service, which checks the URN's format."""


class FeeBandForm(GovukForm):
    submit_label = "Add fee band"

    name = forms.CharField(label="Name of the band", max_length=100, help_text="For example ‘Band B: higher needs’.")
    place_type = forms.ChoiceField(
        label="Kind of place", choices=[("day", "Day"), ("residential", "Residential")], widget=forms.RadioSelect
    )
    weeks = forms.TypedChoiceField(
        label="Weeks a year", coerce=int, choices=[(38, "38 weeks"), (52, "52 weeks")], widget=forms.RadioSelect
    )
    education = forms.DecimalField(
        label="Education (£ a year)",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        error_messages={"min_value": "Fees cannot be negative"},
    )
    care = forms.DecimalField(
        label="Care (£ a year)",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        initial=0,
        error_messages={"min_value": "Fees cannot be negative"},
    )
    therapy = forms.DecimalField(
        label="Therapy (£ a year)",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        initial=0,
        error_messages={"min_value": "Fees cannot be negative"},
    )
    effective_from = forms.DateField(label="From", widget=DateInput(), initial=timezone.localdate)
