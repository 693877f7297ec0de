"""Report runs over the API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from reporting.models import ReportFile, ReportRun


class ReportFileSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ReportFile
        fields = ["format", "table", "filename", "size", "url"]

    def get_url(self, obj: ReportFile) -> str:
        query = f"?format={obj.format}" + (f"&table={obj.table}" if obj.table else "")
        return reverse("api:reportrun-download", args=[obj.run_id], request=self.context.get("request")) + query


class ReportRunSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="email", read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api:reportrun-detail")

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "url",
            "kind",
            "parameters",
            "status",
            "progress",
            "step",
            "requested_by",
            "scheduled",
            "created_at",
            "started_at",
            "finished_at",
            "error",
        ]


class ReportRunDetailSerializer(ReportRunSerializer):
    files = ReportFileSerializer(many=True, read_only=True)
    result = serializers.SerializerMethodField()

    class Meta(ReportRunSerializer.Meta):
        fields = [*ReportRunSerializer.Meta.fields, "result", "files"]

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "description": "Tables (columns and rows), charts and summary figures; money as strings in pounds.",
        }
    )
    def get_result(self, obj: ReportRun):
        return obj.result


class ReportRunCreateInputSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="Which report, for example `spend` (the reports page lists them).")
    parameters = serializers.DictField(
        required=False, default=dict, help_text="The report's parameters, named as on its page."
    )
