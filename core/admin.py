"""Staff support: users and roles, reference data, tokens (read-only keys), transitions (read-only)."""

from auditlog.admin import LogEntryAdmin as AuditlogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .audit import audit_visible
from .models import ApiToken, District, Notification, PrimaryNeed, TherapyType, Transition, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "provider", "is_active", "is_staff"]
    list_filter = ["groups", "is_active", "is_staff"]
    list_select_related = ["provider"]
    search_fields = ["email", "first_name", "last_name"]
    autocomplete_fields = ["provider"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "provider")}),
        ("Role", {"fields": ("groups", "is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ["last_login", "date_joined"]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "ons_code", "authority", "valid_from", "valid_to"]
    search_fields = ["name", "ons_code"]


@admin.register(TherapyType)
class TherapyTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_active", "sort_order"]
    search_fields = ["name", "code"]


@admin.register(PrimaryNeed)
class PrimaryNeedAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "expires_on", "last_used_at", "revoked_at"]
    list_select_related = ["user"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at", "revoked_at", "revoked_by", "created_by"]

    def has_add_permission(self, request):
        return False  # issued from the service's own page, which shows the key once


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Transition)
class TransitionAdmin(ReadOnlyAdmin):
    list_display = ["content_type", "object_id", "from_state", "to_state", "actor", "at"]
    list_select_related = ["content_type", "actor"]
    list_filter = ["content_type"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "kind", "title", "created_at", "read_at"]
    list_select_related = ["recipient"]


# The audit trail in the admin: auditlog's read-only view (importing it registered it), less the entries
# of sealed records (see core.audit).
admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class LogEntryAdmin(AuditlogEntryAdmin):
    def get_queryset(self, request):
        return audit_visible(super().get_queryset(request))
