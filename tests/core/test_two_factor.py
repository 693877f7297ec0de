"""Two-factor authentication is required for officers, commissioners and administrators."""

import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.urls import reverse

from core.roles import Role
from tests.core.factories import TEST_PASSWORD, TEST_TOTP_SECRET, UserFactory

pytestmark = pytest.mark.django_db


def code() -> str:
    return format_hotp_value(hotp_value(TEST_TOTP_SECRET, int(time.time()) // 30))


@pytest.mark.parametrize("role", [Role.OFFICER, Role.COMMISSIONER, Role.ADMINISTRATOR])
def test_staff_without_an_authenticator_must_set_one_up_first(client, role):
    person = UserFactory(role=role, authenticator=False)
    client.force_login(person)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    api = client.get(reverse("api:district-list"))
    assert api.status_code == 403
    assert "two-factor" in api.json()["message"]


def test_setting_up_the_authenticator_lets_them_in(client):
    person = UserFactory(role=Role.OFFICER, authenticator=False)
    EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    signed_in = client.post(reverse("account_login"), {"login": person.email, "password": TEST_PASSWORD})
    assert client.get(signed_in["Location"])["Location"].startswith(reverse("mfa_activate_totp"))
    # allauth asks for the password again before a security change.
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post(
        reverse("mfa_activate_totp"), {"code": format_hotp_value(hotp_value(secret, int(time.time()) // 30))}
    )
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("core:home")).status_code == 200


def test_provider_users_are_not_forced(client, provider_a_user):
    client.force_login(provider_a_user)
    assert client.get(reverse("core:home")).status_code == 200


def test_sign_in_asks_for_the_code_and_refuses_a_wrong_one(client, officer):
    EmailAddress.objects.create(user=officer, email=officer.email, verified=True, primary=True)
    response = client.post(reverse("account_login"), {"login": officer.email, "password": TEST_PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("core:apitoken-list")).status_code == 302  # not signed in yet
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000" if code() != "000000" else "111111"})
    assert wrong.status_code == 200
    assert 'class="govuk-error-summary"' in wrong.content.decode()
    client.post(reverse("mfa_authenticate"), {"code": code()})
    assert client.get(reverse("core:apitoken-list")).status_code == 200


def test_staff_cannot_remove_their_authenticator(client, officer):
    client.force_login(officer)
    client.post(reverse("mfa_deactivate_totp"), {})
    assert Authenticator.objects.filter(user=officer, type=Authenticator.Type.TOTP).exists()


def test_admin_signs_in_through_the_service_sign_in(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))


def test_demo_staff_have_an_authenticator_and_sign_in_with_the_development_code(client, settings):
    from io import StringIO

    from core.demo import DEMO_PASSWORD, seed

    settings.MFA_TOTP_INSECURE_BYPASS_CODE = "000000"
    settings.DEBUG = True
    seed(stdout=StringIO(), rng=None)
    assert Authenticator.objects.filter(user__email="officer@example.org").exists()
    client.post(reverse("account_login"), {"login": "officer@example.org", "password": DEMO_PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert client.get(reverse("core:apitoken-list")).status_code == 200
