"""Sign-in lockout, session expiry, security headers and the Content Security Policy."""

import pytest
from allauth.account.models import EmailAddress
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse

from tests.core.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_repeated_failures_lock_the_email_and_ip_out(client, provider_a_user):
    EmailAddress.objects.create(user=provider_a_user, email=provider_a_user.email, verified=True, primary=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, provider_a_user.email, "not-the-password-1")
    locked = sign_in(client, provider_a_user.email, TEST_PASSWORD)  # even the right password is refused now
    assert locked.status_code == 429
    assert "locked out" in locked.content.decode()
    attempt = AccessAttempt.objects.get()
    assert attempt.username == provider_a_user.email
    assert client.get(reverse("core:account")).status_code == 302  # not signed in


def test_lockout_is_per_email_so_others_can_still_sign_in(client, provider_a_user, provider_b_user):
    for user in (provider_a_user, provider_b_user):
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, provider_a_user.email, "not-the-password-1")
    assert sign_in(client, provider_b_user.email, TEST_PASSWORD).status_code == 302


def test_sessions_expire_after_inactivity(client, provider_a_user):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST  # each request renews the idle timer
    client.force_login(provider_a_user)
    response = client.get(reverse("core:home"))
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    session = client.session
    session.set_expiry(-1)  # what 30 idle minutes look like to Django
    session.save()
    assert client.get(reverse("core:account")).status_code == 302


def test_pages_send_the_security_headers(client):
    response = client.get(reverse("account_login"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_carry_no_inline_scripts(client, officer):
    client.force_login(officer)
    html = client.get(reverse("core:home")).content.decode()
    import re

    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag, tag
    assert " style=" not in html


def test_production_hardening_settings():
    import subprocess
    import sys

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings.production'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.DEBUG)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", "DJANGO_SECRET_KEY": "x" * 60},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert out.stdout.split() == ["31536000", "True", "True", "True", "False"], out.stderr
