"""Reference data, read-only."""

from rest_framework import serializers

from core.models import District, PrimaryNeed, TherapyType


class DistrictSerializer(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = ["id", "name", "ons_code", "authority", "valid_from", "valid_to"]


class TherapyTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = TherapyType
        fields = ["id", "code", "name", "is_active"]


class PrimaryNeedSerializer(serializers.ModelSerializer):
    class Meta:
        model = PrimaryNeed
        fields = ["id", "code", "name"]
