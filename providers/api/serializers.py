"""Providers over the API. Explicit fields; money as strings."""

from rest_framework import serializers

from core.models import District, TherapyType
from providers.models import (
    CapacityDeclaration,
    ComplianceDocument,
    Lot,
    Membership,
    PriceLine,
    PricingSchedule,
    Provider,
    ProviderList,
    SelectionQuestionnaire,
)


class ProviderSerializer(serializers.ModelSerializer):
    therapy_types = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    districts = serializers.SlugRelatedField(slug_field="ons_code", many=True, read_only=True)
    needs_catered_for = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Provider
        fields = [
            "id",
            "legal_name",
            "trading_name",
            "kind",
            "status",
            "companies_house_number",
            "charity_number",
            "nhs_ods_code",
            "dfe_urn",
            "address_line_1",
            "address_line_2",
            "town",
            "postcode",
            "contact_name",
            "contact_email",
            "contact_phone",
            "is_sme",
            "is_vcse",
            "employs_staff",
            "legacy_arrangement",
            "therapy_types",
            "districts",
            "settings_offered",
            "age_from",
            "age_to",
            "ofsted_rating",
            "ofsted_inspected_on",
            "registered_capacity",
            "needs_catered_for",
            "offers_day",
            "offers_residential",
        ]


class ProviderUpdateInputSerializer(serializers.Serializer):
    trading_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    address_line_1 = serializers.CharField(required=False, max_length=200)
    address_line_2 = serializers.CharField(required=False, allow_blank=True, max_length=200)
    town = serializers.CharField(required=False, max_length=100)
    postcode = serializers.CharField(required=False, max_length=8)
    contact_name = serializers.CharField(required=False, max_length=200)
    contact_email = serializers.EmailField(required=False)
    contact_phone = serializers.CharField(required=False, max_length=30)
    companies_house_number = serializers.CharField(required=False, allow_blank=True, max_length=10)
    charity_number = serializers.CharField(required=False, allow_blank=True, max_length=10)


class LotSerializer(serializers.ModelSerializer):
    therapy_type = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    primary_need = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Lot
        fields = ["id", "number", "name", "therapy_type", "primary_need", "setting", "age_from", "age_to"]


class ProviderListSerializer(serializers.ModelSerializer):
    lots = LotSerializer(many=True, read_only=True)

    class Meta:
        model = ProviderList
        fields = [
            "id",
            "kind",
            "name",
            "reference",
            "description",
            "opens_on",
            "closes_on",
            "key_decision_number",
            "lots",
        ]


class MembershipSerializer(serializers.ModelSerializer):
    lots = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "provider",
            "provider_list",
            "status",
            "lots",
            "applied_on",
            "admitted_on",
            "suspended_on",
            "suspension_reason",
            "left_on",
        ]


class QuestionnaireSerializer(serializers.ModelSerializer):
    lots = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = SelectionQuestionnaire
        fields = [
            "id",
            "reference",
            "provider",
            "provider_list",
            "status",
            "lots",
            "declarations",
            "snapshot",
            "clarification_request",
            "decision_reason",
            "created_at",
            "submitted_at",
            "decided_at",
        ]


class QuestionnaireCreateInputSerializer(serializers.Serializer):
    provider_list = serializers.PrimaryKeyRelatedField(queryset=ProviderList.objects.all())


class QuestionnaireSubmitInputSerializer(serializers.Serializer):
    declarations = serializers.DictField(child=serializers.BooleanField(), help_text="Each declaration, confirmed.")


class QuestionnaireApproveInputSerializer(serializers.Serializer):
    lots = serializers.PrimaryKeyRelatedField(queryset=Lot.objects.all(), many=True, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField()


class PriceLineSerializer(serializers.ModelSerializer):
    therapy_type = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = PriceLine
        fields = ["therapy_type", "unit", "rate"]


class PricingScheduleSerializer(serializers.ModelSerializer):
    lines = PriceLineSerializer(many=True, read_only=True)

    class Meta:
        model = PricingSchedule
        fields = ["id", "provider", "version", "effective_from", "submitted_at", "note", "lines"]


class PriceLineInputSerializer(serializers.Serializer):
    therapy_type = serializers.SlugRelatedField(slug_field="code", queryset=TherapyType.objects.all())
    unit = serializers.ChoiceField(choices=PriceLine.Unit.choices)
    rate = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)


class PricingScheduleCreateInputSerializer(serializers.Serializer):
    provider = serializers.PrimaryKeyRelatedField(
        queryset=Provider.objects.all(), required=False, help_text="Officers only; a provider's own is assumed."
    )
    effective_from = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="")
    lines = PriceLineInputSerializer(many=True)


class ComplianceDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ComplianceDocument
        fields = [
            "id",
            "provider",
            "practitioner",
            "kind",
            "number",
            "expires_on",
            "original_name",
            "content_type",
            "size",
            "uploaded_at",
            "status",
            "verified_at",
            "rejection_reason",
        ]


class ComplianceDocumentUploadInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ComplianceDocument.Kind.choices)
    file = serializers.FileField()
    number = serializers.CharField(required=False, allow_blank=True, default="")
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    practitioner = serializers.IntegerField(required=False, allow_null=True, default=None)


class CapacityDeclarationSerializer(serializers.ModelSerializer):
    therapy_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    district = serializers.SlugRelatedField(slug_field="ons_code", read_only=True)

    class Meta:
        model = CapacityDeclaration
        fields = ["id", "provider", "therapy_type", "district", "hours_per_week", "from_date", "declared_at"]


class CapacityDeclarationInputSerializer(serializers.Serializer):
    therapy_type = serializers.SlugRelatedField(slug_field="code", queryset=TherapyType.objects.all())
    district = serializers.SlugRelatedField(slug_field="ons_code", queryset=District.objects.all())
    hours_per_week = serializers.DecimalField(max_digits=6, decimal_places=1, min_value=0)
    from_date = serializers.DateField()
