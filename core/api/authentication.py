"""Token authentication for integrations: `Authorization: Token sen_<prefix>_<secret>` (or `Bearer`)."""

from datetime import timedelta

from auditlog.context import auditlog_value
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from core.models import ApiToken

LAST_USED_RESOLUTION = timedelta(minutes=1)  # write last-used at most once a minute per token


def _audit_as(user) -> None:
    """AuditlogMiddleware captured the actor before DRF authenticated the token: fill it in now."""
    try:
        context = auditlog_value.get()
    except LookupError:
        return
    if context.get("actor") is None:
        context["actor"] = user


class ApiTokenAuthentication(BaseAuthentication):
    """Looks the token up by its public prefix and compares the SHA-256 of the whole key."""

    keywords = (b"token", b"bearer")

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("The Authorization header must be 'Token <key>'.")
        key = parts[1].decode(errors="replace")
        pieces = key.split("_", 2)
        if len(pieces) != 3:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = ApiToken.objects.select_related("user").filter(prefix=pieces[1]).first()
        if token is None or not token.matches(key):
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if not token.is_usable:
            raise exceptions.AuthenticationFailed("This token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The account this token acts for is inactive.")
        _audit_as(token.user)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Token realm="api"'


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token sen_<prefix>_<secret>`, issued by an officer; the key is shown once.",
        }
