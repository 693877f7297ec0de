"""Filters shared by the contract register page and the contracts API."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.models import District, TherapyType
from core.periods import add_months
from providers.models import Provider

from .models import (
    Contract,
    ContractYear,
    FundedPost,
    FundingContribution,
    PerformanceReturn,
    ProcurementRoute,
    Variation,
)


class ContractFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Reference or title")
    supplier = django_filters.ModelChoiceFilter(
        queryset=Provider.objects.filter(Exists(Contract.objects.filter(supplier=OuterRef("pk")))).only(
            "legal_name", "trading_name"
        ),
        empty_label="Any supplier",
    )
    status = django_filters.ChoiceFilter(choices=Contract.Status.choices, empty_label="Any status")
    procurement_route = django_filters.ModelChoiceFilter(
        queryset=ProcurementRoute.objects.all(), empty_label="Any route"
    )
    therapy_type = django_filters.ModelChoiceFilter(
        field_name="therapy_types", queryset=TherapyType.objects.all(), empty_label="Any therapy", label="Therapy"
    )
    district = django_filters.ModelChoiceFilter(
        field_name="districts", queryset=District.objects.all(), empty_label="Any district"
    )
    ending_within_months = django_filters.NumberFilter(
        method="filter_ending", label="Ending within (months)", min_value=0, max_value=120, decimal_places=0
    )
    unsigned = django_filters.BooleanFilter(
        method="filter_unsigned", label="Delivering unsigned", widget=django_filters.widgets.BooleanWidget()
    )
    needs_key_decision = django_filters.BooleanFilter(
        label="Missing a key decision", widget=django_filters.widgets.BooleanWidget()
    )

    class Meta:
        model = Contract
        fields = ["q", "supplier", "status", "procurement_route", "therapy_type", "district", "kind"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value))

    def filter_ending(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.filter(end_date__gte=today, end_date__lte=add_months(today, int(value)))

    def filter_unsigned(self, queryset, name, value):
        return queryset.filter(unsigned_delivering=value)


class RouteFilter(django_filters.FilterSet):
    class Meta:
        model = ProcurementRoute
        fields = ["regime", "code"]


class ContractYearFilter(django_filters.FilterSet):
    class Meta:
        model = ContractYear
        fields = ["contract", "financial_year"]


class VariationFilter(django_filters.FilterSet):
    class Meta:
        model = Variation
        fields = ["contract", "kind"]


class FundingFilter(django_filters.FilterSet):
    class Meta:
        model = FundingContribution
        fields = ["contract", "financial_year", "funder"]


class PostFilter(django_filters.FilterSet):
    class Meta:
        model = FundedPost
        fields = ["contract", "therapist_type", "locality"]


class ReturnFilter(django_filters.FilterSet):
    month_from = django_filters.DateFilter(field_name="month", lookup_expr="gte")
    month_to = django_filters.DateFilter(field_name="month", lookup_expr="lte")
    supplier = django_filters.ModelChoiceFilter(field_name="contract__supplier", queryset=Provider.objects.all())

    class Meta:
        model = PerformanceReturn
        fields = ["contract", "therapy_type", "locality"]
