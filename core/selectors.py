"""Reads shared by every app."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from .models import ApiToken, District, Notification, PrimaryNeed, TherapyType, Transition, User


def district_list() -> QuerySet[District]:
    return District.objects.all()


def therapy_type_list(*, active_only: bool = False) -> QuerySet[TherapyType]:
    qs = TherapyType.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def primary_need_list() -> QuerySet[PrimaryNeed]:
    return PrimaryNeed.objects.all()


def api_token_list() -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("user", "created_by", "revoked_by")


def notification_list(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def transition_list_for(subject: models.Model) -> QuerySet[Transition]:
    """The recorded state changes of one record, oldest first, with who made them."""
    return Transition.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk
    ).select_related("actor")


def audit_entry_list():
    """The audit trail, newest first, with who and what preloaded."""
    from auditlog.models import LogEntry

    from .audit import audit_visible

    return audit_visible(LogEntry.objects.select_related("actor", "content_type")).order_by("-timestamp", "-pk")
