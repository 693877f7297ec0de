"""Writes shared by every app: state transitions, notifications, API tokens, reference data."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify

from .api.scopes import SCOPES
from .models import ApiToken, Notification, TherapyType, Transition, User, hash_token
from .roles import Role


def transition_record(
    *, subject: models.Model, from_state: str, to_state: str, actor: User | None, reason: str = "", field="status"
) -> Transition:
    """Record that `subject`'s `field` moved from `from_state` to `to_state`, by whom and why.

    Called by every app's services inside the transaction that makes the change.
    """
    return Transition.objects.create(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        field=field,
        from_state=from_state or "",
        to_state=to_state,
        reason=reason,
        actor=actor if actor and actor.is_authenticated else None,
    )


def record_access(*, user: User, instance: models.Model, what: str = "") -> None:
    """Record that `user` viewed `instance` (a child's record, a subject access export, ...).

    Written to the audit trail as an "access" entry with the person, the time and what they saw.
    """
    from auditlog.models import LogEntry

    LogEntry.objects.log_create(
        instance,
        force_log=True,
        action=LogEntry.Action.ACCESS,
        actor=user if user.is_authenticated else None,
        changes=None,
        additional_data={"viewed": what} if what else None,
    )


def notification_send(
    *, recipients: Iterable[User], kind: str, title: str, body: str = "", url: str = "", email: bool = True
) -> list[Notification]:
    """Add an in-service notification for each recipient and, after commit, email them the same."""
    recipients = [user for user in recipients if user.is_active]
    notes = Notification.objects.bulk_create(
        Notification(recipient=user, kind=kind, title=title, body=body, url=url) for user in recipients
    )
    if email and recipients:
        link = f"\n\n{settings.SITE_URL}{url}" if url else ""
        messages = [(title, f"{body}{link}", settings.DEFAULT_FROM_EMAIL, [user.email]) for user in recipients]
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
    return notes


def users_with_role(role: Role) -> models.QuerySet[User]:
    return User.objects.filter(is_active=True, groups__name=role.label).distinct()


def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, all) of the user's notifications read. Returns how many changed."""
    notes = Notification.objects.filter(recipient=user).unread()
    if notification_id is not None:
        notes = notes.filter(pk=notification_id)
    return notes.update(read_at=timezone.now())


def _validate_scopes(scopes: Iterable[str]) -> list[str]:
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValidationError({"scopes": f"Unknown scopes: {', '.join(unknown)}."})
    if not scopes:
        raise ValidationError({"scopes": "Select at least one scope."})
    return scopes


@transaction.atomic
def integration_account_get_or_create(*, name: str) -> User:
    """The service account an integration's tokens act as (no password; cannot sign in to pages)."""
    slug = slugify(name)[:60] or "integration"
    user, created = User.objects.get_or_create(
        email=f"{slug}@integrations.invalid", defaults={"first_name": name[:150], "is_active": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=Role.INTEGRATION.label))
    return user


@transaction.atomic
def api_token_issue(
    *, name: str, scopes: Iterable[str], created_by: User, user: User | None = None, expires_on: date | None = None
) -> tuple[ApiToken, str]:
    """Issue a token and return it with its key. The key is never stored, only its SHA-256 hash.

    With no `user`, the token acts as the integration service account named `name`.
    """
    scopes = _validate_scopes(scopes)
    if expires_on is not None and expires_on < timezone.localdate():
        raise ValidationError({"expires_on": "The expiry date must be today or in the future."})
    if user is None:
        user = integration_account_get_or_create(name=name)
    prefix, key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        name=name,
        user=user,
        prefix=prefix,
        key_hash=hash_token(key),
        scopes=scopes,
        created_by=created_by,
        expires_on=expires_on,
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, revoked_by: User) -> ApiToken:
    """Revoke a token at once; a revoked token never works again."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = revoked_by
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


@transaction.atomic
def therapy_type_create(*, name: str) -> TherapyType:
    """Add a therapy type that officers buy and providers can offer."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Enter the name of the therapy."})
    if TherapyType.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": "That therapy type already exists."})
    code = slugify(name)[:30]
    base, n = code, 2
    while TherapyType.objects.filter(code=code).exists():
        code = f"{base[:27]}-{n}"
        n += 1
    therapy = TherapyType(name=name, code=code)
    therapy.full_clean()
    therapy.save()
    return therapy


@transaction.atomic
def therapy_type_set_active(*, therapy: TherapyType, active: bool) -> TherapyType:
    therapy.is_active = active
    therapy.save(update_fields=["is_active"])
    return therapy
