"""Filters for the list of report runs (page and API)."""

import django_filters

from .definitions import all_definitions
from .models import ReportRun


def _kinds():
    return [(d.kind, d.title) for d in all_definitions()]


class ReportRunFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=_kinds, label="Report", empty_label="Any report")
    status = django_filters.ChoiceFilter(choices=ReportRun.Status.choices, empty_label="Any status")
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only runs I asked for", widget=None)

    class Meta:
        model = ReportRun
        fields = ["kind", "status"]

    def filter_mine(self, queryset, name, value):
        return queryset.filter(requested_by=self.request.user) if value else queryset
