"""Core pages: role-aware navigation and home pages, API tokens, reference data, static pages."""

import re

import pytest
from django.urls import reverse

from core.models import ApiToken, TherapyType, hash_token
from core.roles import Role, role_permissions, sync_role_groups
from providers.models import Provider
from tests.core.factories import UserFactory
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db


def nav_labels(html: str) -> list[str]:
    section = html.split('id="navigation"', 1)[1].split("</ul>", 1)[0]
    return [
        re.sub(r"<[^>]+>", "", label).split(" ")[0].strip()
        for label in re.findall(
            r'class="govuk-service-navigation__link"[^>]*>\s*(.*?)\s*</(?:a|button)>', section, re.S
        )
    ]


@pytest.mark.parametrize(
    ("persona", "expected", "forbidden"),
    [
        ("officer", ["Home", "API"], ["Admin"]),
        ("commissioner", ["Home"], ["API", "Admin"]),
        ("provider_a_user", ["Home"], ["API", "Admin"]),
        ("administrator", ["Home", "Admin"], []),
    ],
)
def test_navigation_shows_only_what_the_role_may_use(client, request, persona, expected, forbidden):
    client.force_login(request.getfixturevalue(persona))
    labels = nav_labels(client.get(reverse("core:home")).content.decode())
    for label in expected:
        assert label in labels
    for label in forbidden:
        assert label not in labels


def test_school_places_are_in_the_navigation_of_schools_and_the_council_not_of_therapy_providers(
    client, officer, provider_a_user
):
    school = ProviderFactory(kind=Provider.Kind.INDEPENDENT_SCHOOL, legal_name="Fictional Oast School Ltd")
    school_staff = UserFactory(email="head@oast.example.org", role=Role.PROVIDER, provider=school)
    seen = {}
    for person in (officer, provider_a_user, school_staff):
        client.force_login(person)
        seen[person.email] = "School" in nav_labels(client.get(reverse("core:home")).content.decode())
    assert seen == {officer.email: True, provider_a_user.email: False, school_staff.email: True}


def test_every_nav_item_is_openable_by_whoever_sees_it(client, officer, commissioner, provider_a_user, administrator):
    for person in (officer, commissioner, provider_a_user, administrator):
        client.force_login(person)
        html = client.get(reverse("core:home")).content.decode()
        section = html.split('id="navigation"', 1)[1].split("</ul>", 1)[0]
        for href in re.findall(r'href="([^"]+)"', section):
            assert client.get(href).status_code == 200, (person.email, href)


def test_each_role_gets_its_own_home_page(client, officer, commissioner, provider_a_user):
    client.force_login(officer)
    assert "core/home_officer.html" in [t.name for t in client.get("/").templates]
    client.force_login(commissioner)
    assert "core/home_commissioner.html" in [t.name for t in client.get("/").templates]
    client.force_login(provider_a_user)
    response = client.get("/")
    assert "core/home_provider.html" in [t.name for t in response.templates]
    assert "Alder Therapy" in response.content.decode()


def test_visitors_see_the_start_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert reverse("account_login") in response.content.decode()


@pytest.mark.parametrize("url", ["core:apitoken-list", "core:apitoken-create", "core:therapytype-list"])
@pytest.mark.parametrize("persona", ["commissioner", "provider_a_user"])
def test_officer_pages_are_forbidden_to_other_roles(client, request, url, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(url)).status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("core:apitoken-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_officer_issues_a_token_and_sees_the_key_once(client, officer):
    client.force_login(officer)
    response = client.post(
        reverse("core:apitoken-create"), {"name": "Finance ledger", "scopes": ["reference:read", "reports:read"]}
    )
    assert response.status_code == 200
    key = re.search(r'value="(sen_[^"]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert token.key_hash == hash_token(key)
    assert token.scopes == ["reference:read", "reports:read"]
    assert token.user.has_role(Role.INTEGRATION)
    assert "no-store" in response["Cache-Control"]
    listing = client.get(reverse("core:apitoken-list")).content.decode()
    assert key not in listing
    assert "Finance ledger" in listing


def test_token_form_errors_are_summarised_and_nothing_is_saved(client, officer):
    client.force_login(officer)
    response = client.post(reverse("core:apitoken-create"), {"name": "", "expires_on": "2000-01-01"})
    html = response.content.decode()
    assert 'class="govuk-error-summary"' in html
    assert "Enter the name of the integration" in html
    assert "Select at least one scope" in html
    assert "The expiry date must be today or in the future" in html
    assert not ApiToken.objects.exists()


def test_officer_revokes_a_token(client, officer, token_for):
    api = token_for(scopes=["reference:read"])
    client.force_login(officer)
    assert client.get(reverse("core:apitoken-revoke", args=[api.token.pk])).status_code == 200
    client.post(reverse("core:apitoken-revoke", args=[api.token.pk]))
    api.token.refresh_from_db()
    assert api.token.revoked_by == officer
    assert api.get(reverse("api:district-list")).status_code == 401


def test_officer_adds_and_retires_a_therapy_type(client, officer):
    client.force_login(officer)
    client.post(reverse("core:therapytype-list"), {"name": "Dance movement therapy"})
    therapy = TherapyType.objects.get(name="Dance movement therapy")
    assert therapy.is_active
    response = client.post(reverse("core:therapytype-list"), {"name": "dance movement therapy"})
    assert "That therapy type already exists." in response.content.decode()
    client.post(reverse("core:therapytype-toggle", args=[therapy.pk]))
    therapy.refresh_from_db()
    assert not therapy.is_active


@pytest.mark.parametrize("name", ["core:cookies", "core:privacy", "core:accessibility"])
def test_static_pages_are_public(client, name):
    assert client.get(reverse(name)).status_code == 200


def test_every_role_permission_exists_and_groups_match():
    sync_role_groups()
    from django.contrib.auth.models import Group

    for role, perms in role_permissions().items():
        group = Group.objects.get(name=role.label)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert granted == perms


def test_sign_in_with_email_and_password(client, provider_a_user):
    from allauth.account.models import EmailAddress

    from tests.core.factories import TEST_PASSWORD

    user = provider_a_user
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    response = client.post(reverse("account_login"), {"login": user.email.upper(), "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("core:account")).status_code == 200


def test_wrong_password_is_an_error_summary(client, officer):
    response = client.post(reverse("account_login"), {"login": officer.email, "password": "wrong-password-123"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="govuk-error-summary"' in html


def test_sign_out_is_a_post(client, officer):
    client.force_login(officer)
    client.post(reverse("account_logout"))
    assert client.get(reverse("core:apitoken-list")).status_code == 302


def test_password_reset_sends_an_email(client, officer, mailoutbox):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=officer, email=officer.email, verified=True, primary=True)
    response = client.post(reverse("account_reset_password"), {"email": officer.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert officer.email in mailoutbox[0].to
