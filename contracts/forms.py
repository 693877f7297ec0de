"""Forms for the contract pages."""

from django import forms

from core.forms import DateInput, GovukForm, GovukModelForm
from core.models import District, TherapyType
from core.periods import FinancialYear

from .models import Contract, ProcurementRoute, Variation


def year_choices():
    return [(y, FinancialYear(y).label) for y in range(2015, 2036)]


class ContractForm(GovukModelForm):
    submit_label = "Save contract"

    class Meta:
        model = Contract
        fields = [
            "reference",
            "title",
            "description",
            "supplier",
            "kind",
            "procurement_route",
            "key_decision_number",
            "start_date",
            "end_date",
            "extension_months_available",
            "extension_months_used",
            "signed_on",
            "lead_commissioner",
            "joint_commissioners",
            "funding_source",
            "budget_envelope",
            "therapy_types",
            "districts",
            "notes",
        ]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "signed_on": DateInput(),
            "therapy_types": forms.CheckboxSelectMultiple,
            "districts": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapy_types"].queryset = TherapyType.objects.all()
        self.fields["districts"].queryset = District.objects.all()


class StatusForm(GovukForm):
    submit_label = "Change status"

    status = forms.ChoiceField(choices=Contract.Status.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "Enter the reason for the change"}
    )


class YearForm(GovukForm):
    submit_label = "Save value"

    financial_year = forms.TypedChoiceField(label="Financial year", coerce=int, choices=year_choices)
    value = forms.DecimalField(
        label="Value (£)",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        error_messages={"min_value": "A contract's value cannot be negative"},
    )


class VariationForm(GovukForm):
    submit_label = "Record variation"

    kind = forms.ChoiceField(choices=Variation.Kind.choices, widget=forms.RadioSelect)
    effective_on = forms.DateField(label="Takes effect on", widget=DateInput())
    uplift_percent = forms.DecimalField(label="Uplift (%)", required=False, max_digits=5, decimal_places=2)
    value_change = forms.DecimalField(
        label="Change in value (£)",
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text="Negative for a reduction.",
    )
    extension_months = forms.IntegerField(label="Extension (months)", required=False, min_value=1)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    decision_reference = forms.CharField(label="Decision reference", required=False, max_length=50)


class FundingForm(GovukForm):
    submit_label = "Save contribution"

    funder = forms.CharField(max_length=200)
    financial_year = forms.TypedChoiceField(label="Financial year", coerce=int, choices=year_choices)
    amount = forms.DecimalField(label="Amount (£)", min_value=0, max_digits=12, decimal_places=2)


class ElementForm(GovukForm):
    submit_label = "Add element"

    name = forms.CharField(max_length=200)
    amount = forms.DecimalField(label="Amount (£)", min_value=0, max_digits=12, decimal_places=2)


class PostForm(GovukForm):
    submit_label = "Add post"

    therapist_type = forms.CharField(label="Type of therapist", max_length=100)
    locality = forms.CharField(max_length=200)
    percent_funded = forms.DecimalField(
        label="Share of the post funded (%)", required=False, min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    fte = forms.DecimalField(label="FTE", required=False, min_value=0, max_digits=6, decimal_places=2)


class RouteForm(GovukModelForm):
    submit_label = "Save rules"

    class Meta:
        model = ProcurementRoute
        fields = [
            "max_total_value",
            "key_decision_threshold",
            "requires_transparency_notice",
            "requires_standstill",
            "standstill_days",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class ReturnUploadForm(GovukForm):
    submit_label = "Upload returns"

    file = forms.FileField(
        label="CSV file", help_text="Use the standard template. Nothing is imported if any row is wrong."
    )
    replace = forms.BooleanField(label="Replace months already uploaded", required=False)


class ComparisonForm(forms.Form):
    therapy_type = forms.ModelChoiceField(
        queryset=TherapyType.objects.all(), required=False, empty_label="Every therapy", label="Therapy"
    )
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())
