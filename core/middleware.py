"""Middleware and responses for when things are down or a person must do something first."""

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse


def database_unavailable_response(request):
    """A friendly 503 (JSON for the API) when the database cannot be reached, instead of a 500."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"message": "The service is temporarily unavailable. Try again later."}, status=503)
    else:
        # Rendered without the request context: the context processors would touch the database.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "60"
    return response


TWO_FACTOR_EXEMPT_PREFIXES = ("/account/", "/static/", "/health/", "/cookies/", "/privacy/", "/accessibility/")
TWO_FACTOR_SESSION_KEY = "two_factor_ready"


def requires_two_factor(user) -> bool:
    """Officers, commissioners and administrators (and anyone with admin access) must use TOTP."""
    from .roles import Role

    if user.is_staff or user.is_superuser:
        return True
    return any(user.has_role(role) for role in (Role.OFFICER, Role.COMMISSIONER, Role.ADMINISTRATOR))


class RequireTwoFactorMiddleware:
    """A person whose role requires two-factor authentication must set up an authenticator app
    before using anything else. Once set up, django-allauth asks for a code at every sign-in
    (and the MFA adapter refuses to remove it). The check is cached in the session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.session.get(TWO_FACTOR_SESSION_KEY)
            and not request.path.startswith(TWO_FACTOR_EXEMPT_PREFIXES)
            and requires_two_factor(user)
        ):
            from allauth.mfa.models import Authenticator

            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                return self.refuse(request)
            request.session[TWO_FACTOR_SESSION_KEY] = True
        return self.get_response(request)

    @staticmethod
    def refuse(request):
        from django.shortcuts import redirect

        if request.path.startswith("/api/"):
            return JsonResponse({"message": "Set up two-factor authentication before using the service."}, status=403)
        return redirect(f"{reverse('mfa_activate_totp')}?next={request.get_full_path()}")
