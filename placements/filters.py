"""Filters shared by the placements pages and the placements API (one FilterSet serves both lists).

Filters that would let someone probe a child's identity (name, date of birth) only apply for people
who may see it; for anyone else they are ignored, so they reveal nothing.
"""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from core.models import District, FundingSource, PrimaryNeed, TherapyType
from providers.models import Provider

from .models import (
    BlockContract,
    Child,
    Dispute,
    FeeUplift,
    Invitation,
    Invoice,
    Offer,
    PersonalBudget,
    Placement,
    PlacementRequest,
    Provision,
    Referral,
    Review,
    SchoolPlacement,
    sees_child_identity,
)
from .selectors import WAIT_BAND_BY_KEY, WAIT_BANDS, dps_lot_list, school_list

WAITING = "waiting"


class IdFilter(django_filters.NumberFilter):
    """A whole-number id (a NumberFilter would take 1e238 and overflow the database)."""

    field_class = forms.IntegerField


def id_filter(field_name: str, label: str) -> IdFilter:
    """Filter by a related record's id (for the API and links between pages); never a select of every row."""
    return IdFilter(field_name=field_name, label=label, widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)


def provider_search(prefix: str = "provider__") -> django_filters.CharFilter:
    """A search box for the provider by part of its legal or trading name. Where every provider could be on
    the list (thousands at national scale) a page sends this, not a select of each one; the API also takes
    the provider's id (`provider`)."""

    def search(queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(**{f"{prefix}legal_name__icontains": value}) | Q(**{f"{prefix}trading_name__icontains": value})
        )

    return django_filters.CharFilter(method=search, label="Provider", max_length=100, help_text="Part of its name.")


class ScopedFilterSet(django_filters.FilterSet):
    """A FilterSet whose provider choices never list other organisations to a provider user (who is not
    offered a search of providers either: their lists hold only their own organisation's records)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        provider_id = getattr(user, "provider_id", None)
        for name in ("provider", "school"):
            if provider_id and name in self.filters:  # before the form is built from the filters
                self.filters[name].queryset = Provider.objects.filter(pk=provider_id)
        if provider_id:
            self.filters.pop("provider_name", None)


def _sees_identity(filterset) -> bool:
    request = getattr(filterset, "request", None)
    return bool(request and request.user.is_authenticated and sees_child_identity(request.user))


class ChildFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Name or EHCP reference")
    date_of_birth = django_filters.DateFilter(method="filter_date_of_birth", label="Date of birth")
    district = django_filters.ModelChoiceFilter(queryset=District.objects.all(), empty_label="Any district")
    school = django_filters.CharFilter(method="filter_school", label="School (name or URN)")
    primary_need = django_filters.ModelChoiceFilter(queryset=PrimaryNeed.objects.all(), empty_label="Any need")
    status = django_filters.ChoiceFilter(choices=Child.Status.choices, empty_label="Any status")

    class Meta:
        model = Child
        fields = ["q", "date_of_birth", "district", "school", "primary_need", "status"]

    def filter_q(self, queryset, name, value):
        match = Q(ehcp_reference__icontains=value.strip())
        if _sees_identity(self):
            for word in value.split():
                match |= Q(first_name__icontains=word) | Q(last_name__icontains=word)
            words = value.split()
            if len(words) > 1:  # "Ada Quill" finds Ada Quillfeather
                match |= Q(first_name__icontains=words[0], last_name__icontains=words[-1])
        return queryset.filter(match)

    def filter_date_of_birth(self, queryset, name, value):
        return queryset.filter(date_of_birth=value) if _sees_identity(self) else queryset

    def filter_school(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(school_name__icontains=value) | Q(school_urn=value))


class ProvisionFilter(django_filters.FilterSet):
    child = id_filter("child_id", "Child (id)")
    therapy_type = django_filters.ModelChoiceFilter(queryset=TherapyType.objects.all(), empty_label="Any therapy")

    class Meta:
        model = Provision
        fields = ["child", "therapy_type", "section", "source", "unit", "frequency"]


def _stage_choices():
    return [(WAITING, "Waiting (assessment or intervention)"), *Referral.Stage.choices]


class ReferralFilter(django_filters.FilterSet):
    child = id_filter("child_id", "Child (id)")
    provision = id_filter("provision_id", "Provision (id)")
    therapy_type = django_filters.ModelChoiceFilter(
        field_name="provision__therapy_type",
        queryset=TherapyType.objects.all(),
        empty_label="Any therapy",
        label="Therapy",
    )
    district = django_filters.ModelChoiceFilter(
        field_name="child__district", queryset=District.objects.all(), empty_label="Any district"
    )
    stage = django_filters.ChoiceFilter(choices=_stage_choices, method="filter_stage", empty_label="Any stage")
    wait_band = django_filters.ChoiceFilter(
        choices=[(b.key, b.label) for b in WAIT_BANDS],
        method="filter_wait_band",
        empty_label="Any wait",
        label="Weeks waiting",
    )
    referred_from = django_filters.DateFilter(field_name="referred_on", lookup_expr="gte", label="Referred on or after")

    class Meta:
        model = Referral
        fields = ["therapy_type", "district", "stage", "wait_band", "child", "provision"]

    def filter_stage(self, queryset, name, value):
        if value == WAITING:
            return queryset.filter(stage__in=Referral.WAITING)
        return queryset.filter(stage=value)

    def filter_wait_band(self, queryset, name, value):
        """Still waiting, in the band on today's date (a wait that has ended belongs to no band)."""
        band = WAIT_BAND_BY_KEY[value]
        return queryset.filter(Q(stage__in=Referral.WAITING) & band.condition(timezone.localdate()))


# Provider choices are the providers with such records: a semi-join (EXISTS) on the records' provider index,
# reading only the names the select shows, not a DISTINCT over every joined record (80 ms for the invoices).
class PlacementFilter(ScopedFilterSet):
    child = id_filter("child_id", "Child (id)")
    contract = id_filter("contract_id", "Contract (id)")
    status = django_filters.ChoiceFilter(choices=Placement.Status.choices, empty_label="Any status")
    arrangement = django_filters.ChoiceFilter(choices=Placement.Arrangement.choices, empty_label="Any arrangement")
    provider_name = provider_search()
    provider = id_filter("provider_id", "Provider (id)")
    therapy_type = django_filters.ModelChoiceFilter(
        field_name="provision__therapy_type",
        queryset=TherapyType.objects.all(),
        empty_label="Any therapy",
        label="Therapy",
    )
    district = django_filters.ModelChoiceFilter(
        field_name="child__district", queryset=District.objects.all(), empty_label="Any district"
    )
    off_qpl = django_filters.BooleanFilter(
        method="filter_off_qpl", label="Bought off the QPL", widget=django_filters.widgets.BooleanWidget()
    )
    funding_source = django_filters.ChoiceFilter(
        choices=FundingSource.choices, empty_label="Any budget", label="Paid from"
    )
    live_on = django_filters.DateFilter(method="filter_live_on", label="Running on")
    review_due_by = django_filters.DateFilter(field_name="review_due_on", lookup_expr="lte", label="Review due by")

    class Meta:
        model = Placement
        fields = [
            "status",
            "arrangement",
            "provider",
            "therapy_type",
            "district",
            "off_qpl",
            "funding_source",
            "child",
            "contract",
        ]

    def filter_off_qpl(self, queryset, name, value):
        spot = Q(arrangement=Placement.Arrangement.SPOT_PURCHASE)
        return queryset.filter(spot if value else ~spot)

    def filter_live_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value).exclude(
            status__in=[Placement.Status.CANCELLED, Placement.Status.PROPOSED]
        )


class PersonalBudgetFilter(django_filters.FilterSet):
    placement = id_filter("placement_id", "Placement (id)")
    review_by = django_filters.DateFilter(field_name="review_on", lookup_expr="lte", label="Review due by")
    signed_from = django_filters.DateFilter(field_name="signed_on", lookup_expr="gte", label="Signed on or after")

    class Meta:
        model = PersonalBudget
        fields = ["review_by", "signed_from", "placement"]


class InvoiceFilter(ScopedFilterSet):
    placement = id_filter("placement_id", "Placement (id)")
    status = django_filters.ChoiceFilter(choices=Invoice.Status.choices, empty_label="Any status")
    provider_name = provider_search()
    provider = id_filter("provider_id", "Provider (id)")
    has_discrepancy = django_filters.BooleanFilter(
        label="Flagged with a discrepancy", widget=django_filters.widgets.BooleanWidget()
    )
    period_from = django_filters.DateFilter(field_name="period_end", lookup_expr="gte", label="Period ends on or after")
    period_to = django_filters.DateFilter(
        field_name="period_start", lookup_expr="lte", label="Period starts on or before"
    )
    number = django_filters.CharFilter(lookup_expr="icontains", label="Invoice number")

    class Meta:
        model = Invoice
        fields = ["status", "provider", "has_discrepancy", "period_from", "period_to", "number", "placement"]


class DisputeFilter(ScopedFilterSet):
    placement = id_filter("placement_id", "Placement (id)")
    invoice = id_filter("invoice_id", "Invoice (id)")
    category = django_filters.ChoiceFilter(choices=Dispute.Category.choices, empty_label="Any category")
    open = django_filters.BooleanFilter(
        field_name="resolved_on",
        lookup_expr="isnull",
        label="Still open",
        widget=django_filters.widgets.BooleanWidget(),
    )
    provider_name = provider_search("placement__provider__")
    provider = id_filter("placement__provider_id", "Provider (id)")

    class Meta:
        model = Dispute
        fields = ["category", "open", "provider", "placement", "invoice"]


class ReviewFilter(django_filters.FilterSet):
    placement = id_filter("placement_id", "Placement (id)")
    held_from = django_filters.DateFilter(field_name="held_on", lookup_expr="gte", label="Held on or after")
    held_to = django_filters.DateFilter(field_name="held_on", lookup_expr="lte", label="Held on or before")
    decision = django_filters.ChoiceFilter(choices=Review.Decision.choices, empty_label="Any decision")
    effectiveness = django_filters.ChoiceFilter(choices=Review.Effectiveness.choices, empty_label="Any")

    class Meta:
        model = Review
        fields = ["placement", "decision", "effectiveness", "held_from", "held_to"]


# NMISS: school places through the DPS ----------------------------------------------------------


class PlacementRequestFilter(django_filters.FilterSet):
    child = id_filter("child_id", "Child (id)")
    status = django_filters.ChoiceFilter(choices=PlacementRequest.Status.choices, empty_label="Any status")
    lot = django_filters.ModelChoiceFilter(queryset=dps_lot_list(), empty_label="Any lot")

    class Meta:
        model = PlacementRequest
        fields = ["status", "lot", "child"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        if getattr(user, "provider_id", None):  # a school filters its own invitations, never by child
            self.filters.pop("child", None)


class SchoolPlacementFilter(ScopedFilterSet):
    child = id_filter("child_id", "Child (id)")
    block_contract = id_filter("block_contract_id", "Block contract (id)")
    status = django_filters.ChoiceFilter(choices=SchoolPlacement.Status.choices, empty_label="Any status")
    school = django_filters.ModelChoiceFilter(queryset=school_list(), empty_label="Any school")
    setting = django_filters.ChoiceFilter(
        choices=PlacementRequest.Setting.choices, empty_label="Day or residential", label="Day or residential"
    )
    funding_source = django_filters.ChoiceFilter(
        choices=FundingSource.choices, empty_label="Any budget", label="Paid from"
    )
    live_on = django_filters.DateFilter(method="filter_live_on", label="Running on")

    class Meta:
        model = SchoolPlacement
        fields = ["status", "school", "setting", "funding_source", "live_on", "child", "block_contract"]

    def filter_live_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value)


# NMISS over the API: invitations, offers, fee uplifts and block contracts ----------------------


class InvitationFilter(ScopedFilterSet):
    request = id_filter("request_id", "Request (id)")
    status = django_filters.ChoiceFilter(choices=Invitation.Status.choices, empty_label="Any status")
    school = django_filters.ModelChoiceFilter(queryset=school_list(), empty_label="Any school")

    class Meta:
        model = Invitation
        fields = ["request", "status", "school"]


class OfferFilter(ScopedFilterSet):
    request = id_filter("request_id", "Request (id)")
    status = django_filters.ChoiceFilter(choices=Offer.Status.choices, empty_label="Any status")
    school = django_filters.ModelChoiceFilter(
        field_name="invitation__school", queryset=school_list(), empty_label="Any school"
    )

    class Meta:
        model = Offer
        fields = ["request", "status", "school"]


class FeeUpliftFilter(django_filters.FilterSet):
    placement = id_filter("placement_id", "School placement (id)")
    effective_from = django_filters.DateFilter(
        field_name="effective_from", lookup_expr="gte", label="Effective on or after"
    )
    effective_to = django_filters.DateFilter(
        field_name="effective_from", lookup_expr="lte", label="Effective on or before"
    )

    class Meta:
        model = FeeUplift
        fields = ["placement", "effective_from", "effective_to"]


class BlockContractFilter(ScopedFilterSet):
    school = django_filters.ModelChoiceFilter(queryset=school_list(), empty_label="Any school")
    live_on = django_filters.DateFilter(method="filter_live_on", label="Running on")

    class Meta:
        model = BlockContract
        fields = ["school", "live_on"]

    def filter_live_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value)
