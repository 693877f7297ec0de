"""Factories for core: people in each role."""

import factory
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory

from core.models import ApiToken, User
from core.roles import Role

TEST_PASSWORD = "a-long-test-password-2026"
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # base32; every test person's authenticator app


def give_authenticator(user) -> None:
    """Set up TOTP for `user` with TEST_TOTP_SECRET (as if they had scanned the QR code)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TEST_TOTP_SECRET)


class UserFactory(DjangoModelFactory):
    """A person. Pass `role=Role.OFFICER` (etc.) to put them in that role's group.

    People whose role requires two-factor authentication get an authenticator app set up
    (pass `authenticator=False` to test the set-up journey).
    """

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def role(obj, create, extracted: Role | None, **kwargs):
        if create and extracted:
            obj.groups.add(Group.objects.get(name=Role(extracted).label))
        if create:
            obj.save()

    @factory.post_generation
    def authenticator(obj, create, extracted, **kwargs):
        from core.middleware import requires_two_factor

        obj.__dict__.pop("role_names", None)  # roles were cached before the group was added
        if create and extracted is not False and requires_two_factor(obj):
            give_authenticator(obj)


class ApiTokenFactory(DjangoModelFactory):
    """Use `core.services.api_token_issue` when the test needs the key; this is for listing only."""

    class Meta:
        model = ApiToken

    name = factory.Sequence(lambda n: f"Integration {n}")
    user = factory.SubFactory(UserFactory, role=Role.INTEGRATION)
    prefix = factory.Sequence(lambda n: f"{n:08x}")
    key_hash = factory.Sequence(lambda n: f"{n:064x}")
    scopes = factory.LazyFunction(lambda: ["reference:read"])
    created_by = factory.SubFactory(UserFactory, role=Role.OFFICER)
