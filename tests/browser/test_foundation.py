"""Sign in as each role; the home and sign-in pages have no axe violations; pages work without JavaScript."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_sign_in_page_is_accessible(page, live_server, assert_accessible):
    page.goto(f"{live_server.url}/account/login/")
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()  # empty form: the error summary too
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page)


@pytest.mark.parametrize("persona", ["officer", "commissioner", "provider_a_user", "administrator"])
def test_each_role_signs_in_to_an_accessible_home_page(page, request, sign_in, assert_accessible, persona):
    user = request.getfixturevalue(persona)
    sign_in(page, user)
    assert page.locator("h1").inner_text() == "Home"
    assert_accessible(page)


def test_public_pages_are_accessible(page, live_server, assert_accessible):
    for path in ["/", "/cookies/", "/privacy/", "/accessibility/", "/account/password/reset/"]:
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page)


def test_officer_pages_are_accessible(page, officer, sign_in, live_server, assert_accessible):
    sign_in(page, officer)
    for path in [
        "/api-tokens/",
        "/api-tokens/new/",
        "/reference/therapy-types/",
        "/your-account/",
        "/notifications/",
        "/audit/",
        "/audit/?action=3&date_from=not-a-date",
        "/account/2fa/",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page)
    page.goto(f"{live_server.url}/api-tokens/new/")
    page.get_by_role("button", name="Issue token").click()
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page)


def test_keyboard_reaches_the_main_content_first(page, live_server):
    page.goto(f"{live_server.url}/account/login/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"


def test_pages_work_without_javascript(browser, live_server, officer, sign_in):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, officer)
    assert page.locator("h1").inner_text() == "Home"
    page.goto(f"{live_server.url}/api-tokens/new/")
    page.fill("#id_name", "Ledger")
    page.check("input[value='reference:read']")
    page.get_by_role("button", name="Issue token").click()
    assert page.locator("h1").inner_text().startswith("Token issued")
    assert page.locator("#token-key").input_value().startswith("sen_")
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{live_server.url}/api-tokens/")
    assert "/account/login/" in page.url
    context.close()


def test_two_factor_set_up_pages_are_accessible(page, live_server, assert_accessible):
    from allauth.account.models import EmailAddress

    from core.roles import Role
    from tests.core.factories import TEST_PASSWORD, UserFactory

    person = UserFactory(role=Role.COMMISSIONER, authenticator=False)
    EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    page.goto(f"{live_server.url}/account/login/")
    page.fill("#id_login", person.email)
    page.fill("#id_password", TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert "/reauthenticate/" in page.url  # set-up first asks for the password again
    assert_accessible(page)
    page.fill("#id_password", TEST_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    assert "/2fa/totp/activate/" in page.url
    assert_accessible(page)
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page)
