"""What every app shares: people and roles, reference data, state transitions, notifications, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property

from .roles import Role


class UserManager(BaseUserManager):
    """Users sign in with their email address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person (or an integration's service account) who signs in. Email is the login.

    The role is the Django group the user belongs to (see `core.roles`); a provider user is
    linked to exactly one provider, which scopes everything they can see.
    """

    username = None
    email = models.EmailField("email address", unique=True)
    provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        help_text="For provider users: the organisation they act for.",
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="core_user_email_ci_unique")]
        permissions = [
            ("manage_api_tokens", "Can issue and revoke API tokens"),
            ("manage_reference_data", "Can add and retire reference data"),
            ("view_audit", "Can search the audit trail"),
        ]

    def __str__(self) -> str:
        return self.email

    @cached_property
    def role_names(self) -> frozenset[str]:
        """Names of the role groups this user is in (one query, cached on the instance)."""
        return frozenset(self.groups.values_list("name", flat=True))

    @property
    def role(self) -> Role | None:
        """The user's role; the first in `Role` order if, unusually, they hold several."""
        for role in Role:
            if role.label in self.role_names:
                return role
        return None

    def has_role(self, role: Role) -> bool:
        return role.label in self.role_names

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


class ReferenceQuerySet(models.QuerySet):
    def current(self, on: date | None = None) -> ReferenceQuerySet:
        """Rows valid on `on` (today by default)."""
        on = on or timezone.localdate()
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on)
        )


class District(models.Model):
    """A local authority district (ONS code), with the upper-tier authority responsible for SEN in it.

    Valid-from / valid-to dates let reorganised districts be retired without losing history.
    """

    name = models.CharField(max_length=100)
    ons_code = models.CharField("ONS code", max_length=9, unique=True)
    authority = models.CharField(max_length=100, help_text="The authority responsible for SEN in this district.")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_from__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="core_district_valid_to_after_from",
                violation_error_message="A district cannot stop being valid before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(ons_code__regex=r"^E0[6-9][0-9]{6}$"),
                name="core_district_ons_code_format",
                violation_error_message="An English district ONS code looks like E07000105.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TherapyType(models.Model):
    """A kind of therapy the council buys. Officers may add more and retire old ones."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class PrimaryNeed(models.Model):
    """A DfE SEN2 primary type of need."""

    code = models.CharField(max_length=6, unique=True)
    name = models.CharField(max_length=120)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class FundingSource(models.TextChoices):
    """The budget a commitment is paid from: contracts, therapy placements and school placements alike."""

    HIGH_NEEDS = "dsg_high_needs", "Dedicated Schools Grant: High Needs Block"
    GENERAL_FUND = "general_fund", "Council general fund"
    POOLED = "pooled", "Pooled budget"
    NHS = "nhs", "NHS funding"


class Transition(models.Model):
    """One recorded change of state of any record: who, when, from, to, why.

    SQs, memberships, placements, invoices, offers and contracts record every status move here
    through `core.services.transition_record`.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    field = models.CharField(max_length=50, default="status")
    from_state = models.CharField(max_length=50, blank=True)
    to_state = models.CharField(max_length=50)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Blank when the system made the change (for example a scheduled check).",
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="core_transition_subject_idx")]

    def __str__(self) -> str:
        return f"{self.content_type.model} #{self.object_id}: {self.from_state or '-'} -> {self.to_state}"


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message for one person, shown in the service and usually also emailed."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=50, help_text="Machine-readable topic, for example 'document-expiring'.")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="core_notification_unread_idx")]

    def __str__(self) -> str:
        return self.title


TOKEN_PREFIX = "sen"


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, today: date | None = None) -> ApiTokenQuerySet:
        """Tokens neither revoked nor expired."""
        today = today or timezone.localdate()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))


class ApiToken(models.Model):
    """A bearer token for a system calling the REST API. Only its hash is stored; the key is shown once.

    The token acts as `user` (an integration's service account, or a provider user) and may do
    only what both that user's role and the token's scopes allow.
    """

    name = models.CharField(max_length=100, help_text="What the token is for, for example 'Case management system'.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_on = models.DateField(null=True, blank=True, help_text="Last day the token works; blank means no expiry.")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate_key() -> tuple[str, str]:
        """A new (prefix, key) pair. The key is `sen_<prefix>_<secret>`."""
        prefix = secrets.token_hex(4)
        return prefix, f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_on is None or self.expires_on >= timezone.localdate())

    def matches(self, key: str) -> bool:
        return secrets.compare_digest(self.key_hash, hash_token(key))
