"""Staff support for providers."""

from django.contrib import admin

from .models import Provider


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "trading_name", "kind", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["legal_name", "trading_name"]
