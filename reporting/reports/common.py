"""Parameters several reports share."""

from django import forms
from django.utils import timezone

from core.forms import DateInput
from core.models import District, TherapyType
from placements.roles import READ_WITHOUT_IDENTITY
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


class CouncilReader:
    """Who a council-wide report reads as: every contract, provider, placement, invoice and referral, as a
    commissioner sees them, and never a child's identity (so no report built this way can name a child).

    Reports are built for everyone who may read reports (often by the monthly schedule, with nobody
    requesting them), so they read the council's whole record rather than the requester's view of it;
    who may run and read them is the reporting permissions' job.
    """

    is_authenticated = True
    provider_id = None

    def has_perm(self, perm: str) -> bool:
        if perm == "placements.view_child_identity":
            return False
        return perm.startswith(("contracts.view_", "providers.view_")) or perm in READ_WITHOUT_IDENTITY


def council_reader() -> CouncilReader:
    return CouncilReader()


def pks(value) -> list[int] | None:
    """A multiple-choice parameter as a list of primary keys (None when nothing was chosen: no filter)."""
    if value is None:
        return None
    chosen = [obj.pk for obj in value]
    return chosen or None


class ChildFiltersMixin(forms.Form):
    """Therapy and district filters for reports over children's therapy (blank: all of them)."""

    therapy_types = forms.ModelMultipleChoiceField(
        label="Therapies",
        queryset=TherapyType.objects.order_by("sort_order", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for every therapy.",
    )
    districts = forms.ModelMultipleChoiceField(
        label="Districts",
        queryset=District.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The child's home district. Leave all unticked for every district.",
    )
