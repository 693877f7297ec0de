"""FilterSets shared by the HTML lists and the API lists of the providers app."""

from datetime import timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone

from core.models import District, TherapyType

from .models import (
    CapacityDeclaration,
    ComplianceDocument,
    Membership,
    PricingSchedule,
    Provider,
    ProviderList,
    SelectionQuestionnaire,
)

COMPLIANCE_CHOICES = [("compliant", "Compliant"), ("expiring", "Evidence expiring soon"), ("suspended", "Suspended")]


class DirectoryFilter(django_filters.FilterSet):
    """The QPL directory. Therapy and district also decide which capacity and price are shown."""

    q = django_filters.CharFilter(method="filter_q", label="Name")
    therapy_type = django_filters.ModelChoiceFilter(
        queryset=TherapyType.objects.all(), method="filter_noop", label="Therapy", empty_label="Any therapy"
    )
    district = django_filters.ModelChoiceFilter(
        queryset=District.objects.all(), method="filter_noop", label="District", empty_label="Any district"
    )
    min_capacity = django_filters.NumberFilter(
        field_name="capacity_hours", lookup_expr="gte", label="At least this many hours a week free"
    )
    compliance = django_filters.ChoiceFilter(
        choices=COMPLIANCE_CHOICES, method="filter_compliance", label="Compliance", empty_label="Any"
    )
    sort = django_filters.OrderingFilter(
        fields=(("legal_name", "name"), ("capacity_hours", "capacity"), ("rate", "price")),
        field_labels={"name": "Name", "capacity": "Capacity", "price": "Price"},
        label="Sort by",
        empty_label="Name",
    )

    class Meta:
        model = Provider
        fields = []

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(legal_name__icontains=value) | Q(trading_name__icontains=value))

    def filter_noop(self, queryset, name, value):
        return queryset  # applied by the selector, which also uses it for capacity and price

    def filter_compliance(self, queryset, name, value):
        soon = timezone.localdate() + timedelta(days=30)
        if value == "suspended":
            return queryset.filter(is_suspended=True)
        if value == "expiring":
            return queryset.filter(is_suspended=False, next_expiry__lte=soon)
        return queryset.filter(is_suspended=False).filter(Q(next_expiry__isnull=True) | Q(next_expiry__gt=soon))


class ReviewQueueFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=[c for c in SelectionQuestionnaire.Status.choices if c[0] != "draft"], label="Status"
    )
    therapy_type = django_filters.ModelChoiceFilter(
        field_name="provider__therapy_types",
        queryset=TherapyType.objects.all(),
        label="Therapy",
        empty_label="Any therapy",
    )
    district = django_filters.ModelChoiceFilter(
        field_name="provider__districts", queryset=District.objects.all(), label="District", empty_label="Any district"
    )
    min_days_waiting = django_filters.NumberFilter(method="filter_days", label="Waiting at least this many days")

    class Meta:
        model = SelectionQuestionnaire
        fields = ["status", "therapy_type", "district", "provider_list"]

    def filter_days(self, queryset, name, value):
        return queryset.filter(submitted_at__lte=timezone.now() - timedelta(days=int(value)))


class ProviderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Name")
    therapy_type = django_filters.ModelChoiceFilter(field_name="therapy_types", queryset=TherapyType.objects.all())
    district = django_filters.ModelChoiceFilter(field_name="districts", queryset=District.objects.all())

    class Meta:
        model = Provider
        fields = ["kind", "status", "legacy_arrangement", "is_sme", "is_vcse"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(legal_name__icontains=value) | Q(trading_name__icontains=value))


class ProviderListFilter(django_filters.FilterSet):
    class Meta:
        model = ProviderList
        fields = ["kind"]


class MembershipFilter(django_filters.FilterSet):
    class Meta:
        model = Membership
        fields = ["provider", "provider_list", "status"]


class QuestionnaireFilter(django_filters.FilterSet):
    class Meta:
        model = SelectionQuestionnaire
        fields = ["provider", "provider_list", "status"]


class PricingScheduleFilter(django_filters.FilterSet):
    effective_on = django_filters.DateFilter(field_name="effective_from", lookup_expr="lte", label="In force by")

    class Meta:
        model = PricingSchedule
        fields = ["provider"]


class ComplianceDocumentFilter(django_filters.FilterSet):
    expires_before = django_filters.DateFilter(field_name="expires_on", lookup_expr="lte")

    class Meta:
        model = ComplianceDocument
        fields = ["provider", "kind", "status", "practitioner"]


class CapacityDeclarationFilter(django_filters.FilterSet):
    class Meta:
        model = CapacityDeclaration
        fields = ["provider", "therapy_type", "district"]
