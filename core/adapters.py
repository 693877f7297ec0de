"""django-allauth adapter: who may sign up, and where people land."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """Self-registration is open only where the service offers it (providers joining a list)."""

    def is_open_for_signup(self, request) -> bool:
        return getattr(settings, "ACCOUNT_SIGNUP_OPEN", False)


class MFAAdapter(DefaultMFAAdapter):
    """People whose role requires two-factor authentication cannot remove their authenticator app."""

    def can_delete_authenticator(self, authenticator) -> bool:
        from .middleware import requires_two_factor

        return not requires_two_factor(authenticator.user)
