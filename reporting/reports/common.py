"""Parameters several reports share."""

from django import forms
from django.utils import timezone

from core.forms import DateInput
from core.models import TherapyType
from reporting.definitions import ReportParametersForm


class AsOnForm(ReportParametersForm):
    as_on = forms.DateField(label="As on", required=False, widget=DateInput(), help_text="Leave blank for today.")

    def clean_as_on(self):
        return self.cleaned_data.get("as_on") or timezone.localdate()


class CoverageForm(AsOnForm):
    therapy_types = forms.ModelMultipleChoiceField(
        label="Therapies",
        queryset=TherapyType.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for every therapy.",
    )


class ComplianceForm(AsOnForm):
    within_days = forms.IntegerField(
        label="Evidence expiring within (days)", min_value=1, max_value=365, initial=30, required=False
    )


class ContractRegisterForm(AsOnForm):
    ending_within_months = forms.IntegerField(
        label="Ending within (months)", min_value=1, max_value=60, initial=6, required=False
    )
