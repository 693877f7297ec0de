"""Forms for the children's therapy pages: the shape of the input only. The rules are the services'; their
errors are put on the matching fields by `add_service_errors`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.forms import DateInput, GovukForm, GovukModelForm, TimeInput
from core.models import FundingSource, TherapyType
from core.money import format_gbp
from core.periods import FinancialYear

from .models import Child, Dispute, Placement, PlacementRequest, Provision, Referral, Review


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError on the form: each message on its field, the rest above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _choices_without_blank(choices) -> list:
    return [(value, label) for value, label in choices if value]


def money(label: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(label=label, max_digits=12, decimal_places=2, **kwargs)


def units(label: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(label=label, max_digits=7, decimal_places=2, **kwargs)


class GetForm(GovukForm):
    """A form that changes what a page shows (GET, no CSRF token): filters and periods."""

    submit_label = "Show"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.form_method = "get"


# Children and their plans -----------------------------------------------------------------------


class ChildForm(GovukModelForm):
    submit_label = "Save child"

    class Meta:
        model = Child
        fields = [
            "first_name",
            "last_name",
            "date_of_birth",
            "ehcp_reference",
            "district",
            "school_name",
            "school_urn",
            "primary_need",
            "status",
        ]
        widgets = {"date_of_birth": DateInput(), "status": forms.RadioSelect}
        error_messages = {
            "first_name": {"required": "Enter the child's first name"},
            "last_name": {"required": "Enter the child's last name"},
            "date_of_birth": {"required": "Enter the child's date of birth"},
            "ehcp_reference": {"required": "Enter the EHCP reference"},
            "district": {"required": "Choose the district the child lives in"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].empty_label = "Choose a district"
        self.fields["primary_need"].empty_label = "Not recorded"

    def validate_unique(self):
        """The service checks the EHCP reference (after tidying it) and says so on the field."""


class ProvisionForm(GovukModelForm):
    submit_label = "Save provision"

    class Meta:
        model = Provision
        fields = [
            "section",
            "therapy_type",
            "amount",
            "unit",
            "frequency",
            "weeks_per_year",
            "start_date",
            "end_date",
            "review_date",
            "source",
            "description",
        ]
        labels = {"amount": "Amount each time", "frequency": "How often", "source": "What it comes from"}
        widgets = {
            "section": forms.RadioSelect,
            "unit": forms.RadioSelect,
            "frequency": forms.RadioSelect,
            "source": forms.RadioSelect,
            "start_date": DateInput(),
            "end_date": DateInput(),
            "review_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "therapy_type": {"required": "Choose the therapy"},
            "amount": {"required": "Enter how many hours or sessions each time"},
            "start_date": {"required": "Enter the date the provision starts"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.therapy_type_id if self.instance.pk else None
        active = TherapyType.objects.filter(is_active=True)
        self.fields["therapy_type"].queryset = active | TherapyType.objects.filter(pk=current)
        self.fields["therapy_type"].empty_label = "Choose a therapy"


class ReferralForm(GovukForm):
    submit_label = "Put on the waiting list"

    referred_on = forms.DateField(
        label="Referred on",
        widget=DateInput(),
        initial=timezone.localdate,
        error_messages={"required": "Enter the date of the referral"},
    )


class ReferralStageForm(GovukForm):
    submit_label = "Move the referral"

    stage = forms.ChoiceField(
        label="New stage",
        choices=Referral.Stage.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a stage"},
    )
    on = forms.DateField(
        label="On",
        required=False,
        widget=DateInput(),
        help_text="When the child was placed or the referral closed. Leave blank for today.",
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed when the referral is closed.",
    )


# Sourcing: one form per arrangement -------------------------------------------------------------


def _funding_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Which budget pays for it?",
        choices=FundingSource.choices,
        initial=FundingSource.HIGH_NEEDS,
        widget=forms.RadioSelect,
        required=False,  # none chosen: the High Needs Block
        help_text="Most placements are paid from the High Needs Block.",
    )


class ArrangeForm(GovukForm):
    """The term and amount every arrangement has; the subclasses add who delivers it and at what price."""

    submit_label = "Propose the placement"

    start_date = forms.DateField(
        label="Start date", widget=DateInput(), error_messages={"required": "Enter the start date"}
    )
    end_date = forms.DateField(
        label="End date",
        widget=DateInput(),
        help_text="The last funded day.",
        error_messages={"required": "Enter the end date"},
    )
    units_per_week = units("Hours or sessions a week", error_messages={"required": "Enter how many a week"})
    weeks_per_year = forms.IntegerField(
        label="Weeks a year", min_value=1, max_value=52, error_messages={"required": "Enter the weeks a year"}
    )
    purchase_order = forms.CharField(label="Purchase order (optional)", max_length=30, required=False)
    funding_source = _funding_field()

    def __init__(self, *args, provision: Provision, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weeks_per_year"].initial = provision.weeks_per_year
        if provision.frequency == Provision.Frequency.WEEK:
            self.fields["units_per_week"].initial = provision.amount
        self.fields["units_per_week"].label = f"{provision.get_unit_display()} a week"


class QplCallOffForm(ArrangeForm):
    provider = forms.ModelChoiceField(
        label="Provider on the QPL", queryset=None, empty_label="Choose a provider", required=False
    )
    rate = money("Rate (£ a unit)", required=False)

    def __init__(self, *args, providers, rate_in_force: Decimal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers
        if rate_in_force is not None:
            self.fields["rate"].initial = rate_in_force
            self.fields["rate"].help_text = (
                f"The provider's price in force is £{rate_in_force:,.2f}. Change it only if a different rate was "
                "agreed; leave it blank to use the price in force on the start date."
            )
        else:
            self.fields["rate"].help_text = "Leave blank to use the provider's price in force on the start date."


class SpotPurchaseForm(ArrangeForm):
    provider = forms.ModelChoiceField(
        label="Provider (not on the QPL)", queryset=None, empty_label="Choose a provider", required=False
    )
    spot_reason = forms.ChoiceField(
        label="Why the QPL could not serve this child",
        choices=_choices_without_blank(Placement.SpotReason.choices),
        widget=forms.RadioSelect,
        required=False,
    )
    spot_reason_detail = forms.CharField(
        label="More about the reason (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    rate = money("Agreed rate (£ a unit)", required=False)

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers


class PersonalBudgetForm(ArrangeForm):
    submit_label = "Propose the personal budget"

    budget_amount = money("Amount agreed for the term (£)", required=False)
    budget_signed_on = forms.DateField(label="Agreement signed on", widget=DateInput(), required=False)
    budget_review_on = forms.DateField(label="Review date", widget=DateInput(), required=False)
    budget_paid_to = forms.CharField(
        label="Paid to",
        max_length=200,
        required=False,
        help_text="Leave blank for the child's parent or carer.",
    )


class NhsContractForm(ArrangeForm):
    funding_source = None  # paid as the contract is
    contract = forms.ModelChoiceField(label="Contract", queryset=None, empty_label="Choose a contract", required=False)
    rate = money(
        "Rate (£ a unit)",
        required=False,
        help_text="Leave blank for a block-funded contract: its own value carries the cost.",
    )

    def __init__(self, *args, contracts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = contracts
        self.fields["contract"].label_from_instance = lambda c: f"{c.reference}: {c.title} ({c.supplier})"


ARRANGEMENTS = {
    "qpl-call-off": (Placement.Arrangement.QPL_CALL_OFF, QplCallOffForm),
    "spot-purchase": (Placement.Arrangement.SPOT_PURCHASE, SpotPurchaseForm),
    "personal-budget": (Placement.Arrangement.PERSONAL_BUDGET, PersonalBudgetForm),
    "nhs-contract": (Placement.Arrangement.NHS_CONTRACT, NhsContractForm),
}
ARRANGEMENT_FIELDS = (
    "start_date",
    "end_date",
    "units_per_week",
    "weeks_per_year",
    "purchase_order",
    "provider",
    "rate",
    "contract",
    "spot_reason",
    "spot_reason_detail",
    "budget_amount",
    "budget_signed_on",
    "budget_review_on",
    "budget_paid_to",
    "funding_source",
)


# Placements -------------------------------------------------------------------------------------


class ActivateForm(GovukForm):
    submit_label = "Activate the placement"

    purchase_order = forms.CharField(label="Purchase order (optional)", max_length=30, required=False)


class EndForm(GovukForm):
    submit_label = "End the placement"

    end_date = forms.DateField(
        label="Last funded day", widget=DateInput(), error_messages={"required": "Enter the last funded day"}
    )
    reason = forms.ChoiceField(
        label="Why it ends",
        choices=_choices_without_blank(Placement.EndReason.choices),
        widget=forms.RadioSelect,
        required=False,
    )
    note = forms.CharField(label="Note (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CancelForm(GovukForm):
    submit_label = "Cancel the placement"

    reason = forms.CharField(label="Why it is cancelled", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class VaryRateForm(GovukForm):
    submit_label = "Record the rate change"

    effective_from = forms.DateField(
        label="New rate applies from", widget=DateInput(), error_messages={"required": "Enter the date it applies from"}
    )
    rate = money("New rate (£ a unit)", error_messages={"required": "Enter the new rate"})
    reason = forms.CharField(label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    decision_reference = forms.CharField(label="Decision reference (optional)", max_length=50, required=False)


class ReviewForm(GovukForm):
    submit_label = "Record the review"

    held_on = forms.DateField(
        label="Held on", widget=DateInput(), error_messages={"required": "Enter the date of the review"}
    )
    outcomes = forms.CharField(
        label="Outcomes",
        help_text="What the therapy achieved against the plan's outcomes.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter what the therapy achieved"},
    )
    effectiveness = forms.ChoiceField(
        label="How well it worked",
        choices=Review.Effectiveness.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how well it worked"},
    )
    decision = forms.ChoiceField(
        label="Decision",
        choices=Review.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the placement continues"},
    )
    next_review_on = forms.DateField(
        label="Next review", widget=DateInput(), required=False, help_text="Unless the placement stops."
    )
    end_date = forms.DateField(
        label="Last funded day", widget=DateInput(), required=False, help_text="Only if the placement stops."
    )


class DisputeForm(GovukForm):
    submit_label = "Raise the dispute"

    category = forms.ChoiceField(
        label="What it is about", choices=Dispute.Category.choices, widget=forms.RadioSelect, required=False
    )
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 4}))


class PersonalBudgetEditForm(GovukForm):
    submit_label = "Save the personal budget"

    amount = money("Amount agreed for the term (£)", error_messages={"required": "Enter the amount"})
    review_on = forms.DateField(
        label="Review date", widget=DateInput(), error_messages={"required": "Enter the review date"}
    )
    notes = forms.CharField(label="Notes (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3}))


# Invoices and disputes --------------------------------------------------------------------------


class InvoiceForm(GovukForm):
    submit_label = "Submit the invoice"

    number = forms.CharField(label="Invoice number", max_length=40, required=False)
    period_start = forms.DateField(
        label="Period from", widget=DateInput(), error_messages={"required": "Enter the first day invoiced"}
    )
    period_end = forms.DateField(
        label="Period to", widget=DateInput(), error_messages={"required": "Enter the last day invoiced"}
    )
    units_delivered = units("Units delivered", error_messages={"required": "Enter the units delivered"})
    amount = money("Amount (£)", error_messages={"required": "Enter the amount"})

    def __init__(self, *args, family_payment: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if family_payment:
            self.fields["number"].label = "Payment reference"
            self.fields["amount"].label = "Amount paid to the family (£)"
            self.fields["units_delivered"].label = "Units the payment covers"
            self.helper.inputs[0].value = "Record the payment"


class ApproveForm(GovukForm):
    submit_label = "Approve the invoice"

    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed when the invoice has a discrepancy: say why it is right to approve it.",
    )


class MarkPaidForm(GovukForm):
    submit_label = "Mark as paid"

    paid_on = forms.DateField(
        label="Paid on",
        widget=DateInput(),
        initial=timezone.localdate,
        error_messages={"required": "Enter the payment date"},
    )
    payment_reference = forms.CharField(label="Payment reference (optional)", max_length=40, required=False)


class InvoiceDisputeForm(DisputeForm):
    submit_label = "Dispute the invoice"


class ResolveForm(GovukForm):
    submit_label = "Resolve the dispute"

    outcome = forms.CharField(label="Outcome", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    resolved_on = forms.DateField(
        label="Resolved on", widget=DateInput(), required=False, help_text="Leave blank for today."
    )
    invoice_decision = forms.ChoiceField(
        label="The disputed invoice is now",
        choices=[("approve", "Approved"), ("reject", "Rejected")],
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args, invoice_disputed: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not invoice_disputed:
            del self.fields["invoice_decision"]


# Page options (GET) -----------------------------------------------------------------------------


def current_financial_year() -> FinancialYear:
    return FinancialYear.of(timezone.localdate())


def year_so_far() -> tuple:
    """The default period: the current financial year up to today (later days have nothing delivered yet)."""
    today = timezone.localdate()
    return current_financial_year().start, today


class PeriodForm(GetForm):
    """A period for provision assurance: the financial year so far unless another is chosen."""

    submit_label = "Show this period"

    start = forms.DateField(label="From", widget=DateInput(), required=False)
    end = forms.DateField(label="To", widget=DateInput(), required=False)

    def __init__(self, data=None, **kwargs):
        start, end = year_so_far()
        super().__init__(data or None, initial={"start": start, "end": end}, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] < cleaned["start"]:
            self.add_error("end", "The end of the period must be on or after its start")
        return cleaned

    def period(self):
        """(start, end): the chosen period, or the financial year so far where it is blank or wrong."""
        start, end = year_so_far()
        if not self.is_bound or not self.is_valid():
            return start, end
        return self.cleaned_data["start"] or start, self.cleaned_data["end"] or end


class AssuranceForm(PeriodForm):
    threshold = forms.DecimalField(
        label="Short of the plan by more than (%)",
        max_digits=5,
        decimal_places=1,
        min_value=0,
        max_value=100,
        required=False,
    )

    DEFAULT_THRESHOLD = Decimal("20")

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.initial["threshold"] = self.DEFAULT_THRESHOLD

    def threshold_percent(self) -> Decimal:
        if not self.is_bound or not self.is_valid() or self.cleaned_data["threshold"] is None:
            return self.DEFAULT_THRESHOLD
        return self.cleaned_data["threshold"]


class ReviewsDueForm(GetForm):
    DEFAULT_DAYS = 30

    within = forms.IntegerField(label="Due within (days)", min_value=0, max_value=366, required=False)

    def __init__(self, data=None, **kwargs):
        super().__init__(data or None, initial={"within": self.DEFAULT_DAYS}, **kwargs)

    def days(self) -> int:
        if not self.is_bound or not self.is_valid() or self.cleaned_data["within"] is None:
            return self.DEFAULT_DAYS
        return self.cleaned_data["within"]


class CandidatesForm(GetForm):
    submit_label = "Find providers"

    on = forms.DateField(
        label="Therapy to start on", widget=DateInput(), required=False, help_text="Leave blank for today."
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data or None, initial={"on": timezone.localdate()}, **kwargs)

    def start(self):
        if not self.is_bound or not self.is_valid() or self.cleaned_data["on"] is None:
            return timezone.localdate()
        return self.cleaned_data["on"]


# NMISS: school places through the DPS ----------------------------------------------------------

WEEKS = [(38, "38 weeks (term time)"), (52, "52 weeks")]


def _weeks_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label="Weeks a year",
        coerce=int,
        choices=WEEKS,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose 38 or 52 weeks"},
    )


def _setting_field(label: str = "Day or residential") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=PlacementRequest.Setting.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose day or residential"},
    )


def _fee(label: str, **kwargs) -> forms.DecimalField:
    return money(label, error_messages={"required": "Enter the fee (0 if none)"}, **kwargs)


def _not_negative_fee(label: str, **kwargs) -> forms.DecimalField:
    return money(
        label,
        min_value=0,
        error_messages={"required": "Enter the fee (0 if none)", "min_value": "Fees cannot be negative"},
        **kwargs,
    )


def _check_term(form: forms.Form, cleaned: dict) -> None:
    if cleaned.get("start_date") and cleaned.get("end_date") and cleaned["end_date"] < cleaned["start_date"]:
        form.add_error("end_date", "The end date must be on or after the start date")


class PlacementRequestForm(GovukForm):
    """A request for a school place. Schools see the summary, the child's age and primary need, the start, day
    or residential and the weights; never the child's name."""

    submit_label = "Save the request"

    lot = forms.ModelChoiceField(
        label="Lot of the Dynamic Purchasing System",
        queryset=None,
        empty_label="Choose a lot",
        error_messages={"required": "Choose the lot the place is bought under"},
    )
    needs_summary = forms.CharField(
        label="Summary of needs",
        help_text="What a school needs to know to offer a place. Schools see this: never write the child's name "
        "or EHCP reference.",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Summarise the child's needs for the schools"},
    )
    setting = _setting_field()
    required_start = forms.DateField(
        label="Place needed from", widget=DateInput(), error_messages={"required": "Enter when the place is needed"}
    )
    deadline = forms.DateField(
        label="Offers close on", widget=DateInput(), error_messages={"required": "Enter the date offers close"}
    )
    deadline_time = forms.TimeField(
        label="Offers close at",
        widget=TimeInput(),
        initial="12:00",
        help_text="24-hour clock, UK time. For example 17:00.",
        error_messages={"required": "Enter the time offers close", "invalid": "Enter a time like 17:00"},
    )
    quality_weight = forms.IntegerField(
        label="Weight for quality (%)",
        initial=60,
        min_value=0,
        max_value=100,
        error_messages={"required": "Enter the weight for quality"},
    )
    price_weight = forms.IntegerField(
        label="Weight for price (%)",
        initial=40,
        min_value=0,
        max_value=100,
        help_text="The two weights add up to 100. Schools are told them when they are invited.",
        error_messages={"required": "Enter the weight for price"},
    )

    def __init__(self, *args, lots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = lots
        self.fields["lot"].label_from_instance = lambda lot: f"{lot.provider_list.name}: {lot}"

    def clean(self):
        """The deadline is a date and a time of day in UK time, passed on as `deadline_at`."""
        cleaned = super().clean()
        if cleaned.get("deadline") and cleaned.get("deadline_time"):
            cleaned["deadline_at"] = timezone.make_aware(
                datetime.combine(cleaned["deadline"], cleaned["deadline_time"])
            )
        return cleaned


class InviteForm(GovukForm):
    submit_label = "Invite the chosen schools"

    schools = forms.ModelMultipleChoiceField(
        label="Schools to invite",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every eligible school is ticked: under the DPS each school admitted to the lot is invited to "
        "offer. Untick a school only if it must not be invited.",
        error_messages={"required": "Choose at least one school"},
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schools"].queryset = schools
        self.fields["schools"].label_from_instance = lambda s: (
            f"{s.display_name}: indicative fee {format_gbp(s.indicative_fee)} a year"
            if s.indicative_fee is not None
            else f"{s.display_name}: no indicative fee for this kind of place"
        )
        if not self.is_bound:
            self.initial["schools"] = [s.pk for s in schools]


class OfferForm(GovukForm):
    """A school's offer: the annual fee by element (the service refuses negative fees, on their fields)."""

    submit_label = "Send the offer"

    education_fee = _fee("Education (£ a year)")
    care_fee = _fee("Care (£ a year)", initial=Decimal("0.00"))
    therapy_fee = _fee("Therapy (£ a year)", initial=Decimal("0.00"))
    other_fee = _fee("Other (£ a year)", initial=Decimal("0.00"))
    weeks = _weeks_field()
    start_date = forms.DateField(
        label="The place can start on", widget=DateInput(), error_messages={"required": "Enter the start date"}
    )
    place_confirmed = forms.BooleanField(label="We confirm a place is available for this child", required=False)
    quality_statement = forms.CharField(
        label="How the school will meet the child's needs",
        help_text="Officers score this for quality against the published weights.",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Say how the school will meet the child's needs"},
    )


class DeclineForm(GovukForm):
    submit_label = "Decline the invitation"

    reason = forms.CharField(
        label="Why the school cannot offer a place", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class ScoreForm(GovukForm):
    submit_label = "Save the score"

    quality_score = forms.IntegerField(
        label="Quality score (0 to 100)",
        error_messages={"required": "Enter a quality score from 0 to 100", "invalid": "Enter a whole number"},
    )
    reason = forms.CharField(
        label="Reason for the score",
        help_text="Recorded with the score and shown with the ranking.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class AwardForm(GovukForm):
    submit_label = "Award the place"

    offer = forms.ChoiceField(
        label="Offer to accept", widget=forms.RadioSelect, error_messages={"required": "Choose the offer to accept"}
    )
    end_date = forms.DateField(
        label="The agreement ends on",
        widget=DateInput(),
        help_text="The last funded day of the individual placement agreement.",
        error_messages={"required": "Enter the end date of the agreement"},
    )
    reason = forms.CharField(
        label="Reason (needed when the offer is not ranked first)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    funding_source = _funding_field()

    def __init__(self, *args, ranked, **kwargs):
        super().__init__(*args, **kwargs)
        self.offers = {str(r.offer.pk): r.offer for r in ranked}
        self.fields["offer"].choices = [
            (
                str(r.offer.pk),
                f"{r.offer.invitation.school}: {format_gbp(r.offer.annual_fee)} a year, "
                + (f"total {r.total}, ranked {r.rank}" if r.rank else "not yet scored"),
            )
            for r in ranked
        ]

    def clean_offer(self):
        return self.offers[self.cleaned_data["offer"]]


class RequestCancelForm(GovukForm):
    submit_label = "Cancel the request"

    reason = forms.CharField(label="Why it is cancelled", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ChildByReferenceField(forms.ModelChoiceField):
    """A child chosen by typing the EHCP reference (never a list of every child's name)."""

    def to_python(self, value):
        return super().to_python(value.strip().upper() if isinstance(value, str) else value)


class SchoolPlacementForm(GovukForm):
    """An individual placement agreement made outside a request, for example a place in a block contract."""

    submit_label = "Record the agreement"

    child = ChildByReferenceField(
        label="Child's EHCP reference",
        queryset=None,
        to_field_name="ehcp_reference",
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-20", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the child's EHCP reference",
            "invalid_choice": "No child on the service has that EHCP reference",
        },
    )
    school = forms.ModelChoiceField(
        label="School", queryset=None, empty_label="Choose a school", error_messages={"required": "Choose the school"}
    )
    block_contract = forms.ModelChoiceField(
        label="Block contract (optional)",
        queryset=None,
        empty_label="Not in a block contract",
        required=False,
    )
    setting = _setting_field()
    weeks = _weeks_field()
    start_date = forms.DateField(
        label="Start date", widget=DateInput(), error_messages={"required": "Enter the start date"}
    )
    end_date = forms.DateField(
        label="End date",
        widget=DateInput(),
        help_text="The last funded day.",
        error_messages={"required": "Enter the end date"},
    )
    education_fee = _not_negative_fee("Education (£ a year)")
    care_fee = _not_negative_fee("Care (£ a year)", initial=Decimal("0.00"))
    therapy_fee = _not_negative_fee("Therapy (£ a year)", initial=Decimal("0.00"))
    other_fee = _not_negative_fee("Other (£ a year)", initial=Decimal("0.00"))
    funding_source = _funding_field()

    def __init__(self, *args, children, schools, block_contracts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = children
        if not self.is_bound and isinstance(self.initial.get("child"), int):  # a child's id: show the reference
            self.initial["child"] = children.filter(pk=self.initial["child"]).first()
        self.fields["school"].queryset = schools
        self.fields["school"].label_from_instance = lambda s: s.display_name
        self.fields["block_contract"].queryset = block_contracts
        self.fields["block_contract"].label_from_instance = lambda b: f"{b.reference}: {b.school} ({b.places} places)"

    def clean(self):
        cleaned = super().clean()
        _check_term(self, cleaned)
        return cleaned


class FeeUpliftForm(GovukForm):
    submit_label = "Record the uplift"

    effective_from = forms.DateField(
        label="Applies from", widget=DateInput(), error_messages={"required": "Enter the date the uplift applies from"}
    )
    percent = forms.DecimalField(
        label="Uplift (%)",
        max_digits=5,
        decimal_places=2,
        help_text="Applied to every element of the fee. A reduction is negative, for example -2.5.",
        error_messages={"required": "Enter the uplift as a percentage"},
    )
    reason = forms.CharField(label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    decision_reference = forms.CharField(label="Decision reference (optional)", max_length=50, required=False)


class SchoolPlacementEndForm(GovukForm):
    submit_label = "End the placement"

    end_date = forms.DateField(
        label="Last funded day", widget=DateInput(), error_messages={"required": "Enter the last funded day"}
    )
    reason = forms.CharField(label="Why it ends", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class BlockContractForm(GovukForm):
    submit_label = "Record the block contract"

    school = forms.ModelChoiceField(
        label="School", queryset=None, empty_label="Choose a school", error_messages={"required": "Choose the school"}
    )
    reference = forms.CharField(
        label="Reference", max_length=30, error_messages={"required": "Enter the contract's reference"}
    )
    places = forms.IntegerField(
        label="Places",
        min_value=1,
        error_messages={"required": "Enter how many places", "min_value": "A block has at least one place"},
    )
    annual_fee = _not_negative_fee("Annual fee for the block (£)")
    start_date = forms.DateField(
        label="Start date", widget=DateInput(), error_messages={"required": "Enter the start date"}
    )
    end_date = forms.DateField(label="End date", widget=DateInput(), error_messages={"required": "Enter the end date"})
    decision_reference = forms.CharField(label="Decision reference (optional)", max_length=50, required=False)

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        self.fields["school"].label_from_instance = lambda s: s.display_name

    def clean(self):
        cleaned = super().clean()
        _check_term(self, cleaned)
        return cleaned


FIRST_NMISS_YEAR = 2010


class NmissHistoryForm(GovukForm):
    """Enter or correct one financial year's NMISS spend from before the service held placements."""

    submit_label = "Save the year's spend"

    financial_year = forms.TypedChoiceField(
        label="Financial year",
        coerce=int,
        choices=(),
        error_messages={"required": "Choose the financial year"},
    )
    amount = money("Spend (£)", error_messages={"required": "Enter the spend"})
    source = forms.CharField(
        label="Source",
        max_length=200,
        help_text="Where the figure comes from, for example the decision or the outturn report.",
        error_messages={"required": "Say where the figure comes from"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        last = current_financial_year().start_year
        self.fields["financial_year"].choices = [("", "Choose a year")] + [
            (year, FinancialYear(year).label) for year in range(last, FIRST_NMISS_YEAR - 1, -1)
        ]
