"""Demo data for core: one person per role. Fictional people; passwords are for demonstration only."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.models import Group

from .middleware import requires_two_factor
from .models import User
from .roles import Role

DEMO_PASSWORD = "demo-password-2026"


def demo_user(*, email: str, role: Role, first_name: str, last_name: str, provider=None) -> User:
    """Create or reset a demo user with a verified email address and the demo password."""
    user, _ = User.objects.get_or_create(email=email)
    user.first_name, user.last_name = first_name, last_name
    user.provider = provider
    user.is_active = True
    user.is_staff = role == Role.ADMINISTRATOR  # admin-site access; what they may do there is the role's
    user.is_superuser = False
    user.set_password(DEMO_PASSWORD)
    user.save()
    user.groups.set([Group.objects.get(name=role.label)])
    user.__dict__.pop("role_names", None)
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    if requires_two_factor(user) and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        # A random secret nobody holds: in development, sign in with MFA_TOTP_INSECURE_BYPASS_CODE.
        TOTP.activate(user, generate_totp_secret())
    return user


def seed(*, stdout, rng) -> None:
    people = [
        ("officer@example.org", Role.OFFICER, "Olu", "Officer"),
        ("commissioner@example.org", Role.COMMISSIONER, "Cam", "Commissioner"),
        ("admin@example.org", Role.ADMINISTRATOR, "Ash", "Administrator"),
    ]
    for email, role, first, last in people:
        demo_user(email=email, role=role, first_name=first, last_name=last)
        stdout.write(f"  {role.label:<14} {email:<32} password: {DEMO_PASSWORD}")
    if settings.MFA_TOTP_INSECURE_BYPASS_CODE:
        stdout.write(f"  Two-factor code for staff (development only): {settings.MFA_TOTP_INSECURE_BYPASS_CODE}")
