"""FilterSets for reference data (used by the API lists)."""

import django_filters

from .models import District, PrimaryNeed, TherapyType


class DistrictFilter(django_filters.FilterSet):
    authority = django_filters.CharFilter(lookup_expr="iexact")
    current_on = django_filters.DateFilter(method="filter_current_on", label="Valid on this date")

    class Meta:
        model = District
        fields = ["authority", "ons_code"]

    def filter_current_on(self, queryset, name, value):
        return queryset.current(value)


class TherapyTypeFilter(django_filters.FilterSet):
    class Meta:
        model = TherapyType
        fields = ["is_active", "code"]


class PrimaryNeedFilter(django_filters.FilterSet):
    class Meta:
        model = PrimaryNeed
        fields = ["code"]
