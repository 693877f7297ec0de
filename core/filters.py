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


def _audited_models():
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.filter(
        app_label__in=["core", "providers", "contracts", "placements", "reporting"]
    ).order_by("app_label", "model")


class AuditFilter(django_filters.FilterSet):
    """Search the audit trail: who, what kind of record, which record, what happened, when."""

    actor = django_filters.CharFilter(field_name="actor_email", lookup_expr="icontains", label="Person (email)")
    content_type = django_filters.ModelChoiceFilter(
        queryset=_audited_models(), label="Kind of record", empty_label="Any kind"
    )
    object_id = django_filters.NumberFilter(label="Record number")
    action = django_filters.ChoiceFilter(
        choices=[(0, "Created"), (1, "Changed"), (2, "Deleted"), (3, "Viewed")],
        label="What happened",
        empty_label="Anything",
    )
    date_from = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__gte", label="From")
    date_to = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__lte", label="To")

    class Meta:
        from auditlog.models import LogEntry

        model = LogEntry
        fields = ["actor", "content_type", "object_id", "action", "date_from", "date_to"]
