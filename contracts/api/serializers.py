"""Contracts over the API. Money as strings; "not reported" figures as null."""

from rest_framework import serializers

from contracts.models import (
    Contract,
    ContractYear,
    FundedPost,
    FundingContribution,
    PerformanceReturn,
    ProcurementRoute,
    Variation,
)
from core.models import District, TherapyType


class ProcurementRouteSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcurementRoute
        fields = [
            "id",
            "code",
            "name",
            "regime",
            "max_total_value",
            "key_decision_threshold",
            "requires_transparency_notice",
            "requires_standstill",
            "standstill_days",
            "notes",
        ]
        read_only_fields = ["id", "code", "name", "regime"]


class ContractSerializer(serializers.ModelSerializer):
    supplier_name = serializers.CharField(source="supplier.legal_name", read_only=True)
    procurement_route = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    therapy_types = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    districts = serializers.SlugRelatedField(slug_field="ons_code", many=True, read_only=True)
    total_value = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = [
            "id",
            "reference",
            "title",
            "description",
            "supplier",
            "supplier_name",
            "kind",
            "procurement_route",
            "key_decision_number",
            "start_date",
            "end_date",
            "extension_months_available",
            "extension_months_used",
            "status",
            "signed_on",
            "lead_commissioner",
            "joint_commissioners",
            "funding_source",
            "budget_envelope",
            "therapy_types",
            "districts",
            "total_value",
            "warnings",
            "notes",
        ]

    def get_warnings(self, obj) -> list[str]:
        from contracts.selectors import contract_warnings

        return contract_warnings(obj)


class ContractInputSerializer(serializers.ModelSerializer):
    procurement_route = serializers.SlugRelatedField(
        slug_field="code", queryset=ProcurementRoute.objects.all(), required=False, allow_null=True
    )
    therapy_types = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=TherapyType.objects.all(), required=False
    )
    districts = serializers.SlugRelatedField(
        slug_field="ons_code", many=True, queryset=District.objects.all(), required=False
    )

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
        validators = []  # the service validates (unique reference included), so the error shape is one


class ContractYearSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = ContractYear
        fields = ["id", "contract", "financial_year", "label", "value", "uplift_percent"]
        read_only_fields = ["id", "label", "uplift_percent"]
        validators = []


class VariationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Variation
        fields = [
            "id",
            "contract",
            "kind",
            "effective_on",
            "uplift_percent",
            "value_change",
            "extension_months",
            "reason",
            "decision_reference",
            "applied",
            "recorded_at",
        ]
        read_only_fields = ["id", "applied", "recorded_at"]


class FundingContributionSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundingContribution
        fields = ["id", "contract", "funder", "financial_year", "amount"]
        read_only_fields = ["id"]
        validators = []


class FundedPostSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundedPost
        fields = ["id", "contract", "therapist_type", "locality", "percent_funded", "fte"]
        read_only_fields = ["id"]


class PerformanceReturnSerializer(serializers.ModelSerializer):
    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    supplier = serializers.IntegerField(source="contract.supplier_id", read_only=True)
    therapy_type = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = PerformanceReturn
        fields = [
            "id",
            "contract",
            "contract_reference",
            "supplier",
            "month",
            "therapy_type",
            "locality",
            "referrals_received",
            "waiting_assessment",
            "waiting_assessment_over_12_weeks",
            "waiting_intervention",
            "waiting_intervention_over_12_weeks",
            "waiting_0_18_weeks",
            "waiting_18_52_weeks",
            "waiting_over_52_weeks",
            "caseload",
            "data_quality_note",
        ]


class ReturnImportInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    replace = serializers.BooleanField(required=False, default=False)


class ReturnImportResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    replaced = serializers.IntegerField()
