"""django-allauth adapter: who may sign up, and where people land."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """Self-registration is open only where the service offers it (providers joining a list)."""

    def is_open_for_signup(self, request) -> bool:
        return getattr(settings, "ACCOUNT_SIGNUP_OPEN", False)
