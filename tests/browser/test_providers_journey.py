"""The whole QPL journey in the browser: register, verify the email, complete every questionnaire page,
submit, an officer approves, and the provider appears in the directory. axe checks every page; the same
journey works with JavaScript turned off."""

import re

import pytest
from django.core import mail

from providers.models import Membership, Provider

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def evidence_file(tmp_path):
    path = tmp_path / "certificate.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return str(path)


def task(page, name):
    page.locator(".govuk-task-list").get_by_role("link", name=name, exact=True).click()


def journey(page, live_server, check, evidence_file, email):
    url = live_server.url
    page.goto(f"{url}/providers/join/")
    check(page)
    page.get_by_role("button", name="Start now").click()
    check(page)
    page.get_by_role("button", name="Create account").click()  # empty: errors summarised
    assert page.locator(".govuk-error-summary").is_visible()
    check(page)
    page.fill("#id_organisation_name", "Seaview Speech Ltd")
    page.get_by_label("Company", exact=True).check()
    page.fill("#id_email", email)
    page.fill("#id_password1", "a-strong-enough-password-9")
    page.fill("#id_password2", "a-strong-enough-password-9")
    page.get_by_role("button", name="Create account").click()
    assert page.locator("h1").inner_text() == "Check your email"
    check(page)
    link = re.search(r"http://\S+/account/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link.replace("http://testserver", url).replace("http://127.0.0.1:8000", url))
    check(page)
    page.get_by_role("button", name="Confirm").click()
    page.goto(f"{url}/providers/portal/")
    check(page)
    page.get_by_role("button", name="Apply to the SEN therapies Qualified Provider List").click()
    assert page.locator("h1").inner_text() == "Your application"
    check(page)

    task(page, "Your organisation")
    check(page)
    for field, value in {
        "#id_companies_house_number": "01234567",
        "#id_address_line_1": "2 Harbour Street",
        "#id_town": "Whitstable",
        "#id_postcode": "CT5 1AA",
        "#id_contact_name": "Sam Seaview",
        "#id_contact_email": email,
        "#id_contact_phone": "01632 960123",
    }.items():
        page.fill(field, value)
    page.get_by_label("We are a small or medium-sized enterprise (fewer than 250 staff)").check()
    page.get_by_role("button", name="Save and continue").click()

    task(page, "Services you offer")
    page.get_by_label("Speech and language therapy").check()
    page.get_by_label("Swale").check()
    page.get_by_label("School").check()
    page.get_by_role("button", name="Save and continue").click()
    assert "Services you offer: saved." in page.content()

    task(page, "Practitioners, registrations and DBS")
    check(page)
    page.get_by_role("button", name="Add a practitioner").click()
    page.fill("#id_first_name", "Robin")
    page.fill("#id_last_name", "Seaview")
    page.fill("#id_profession", "Speech and language therapist")
    page.get_by_label("Health and Care Professions Council (HCPC)").check()
    page.fill("#id_registration_number", "XX999")  # not an HCPC number
    page.fill("#id_registration_expires_on", "2030-06-30")
    page.fill("#id_dbs_certificate_number", "001234567890")
    page.fill("#id_dbs_issued_on", "2024-02-01")
    page.get_by_label("The check is an enhanced DBS check with the children's barred list").check()
    page.get_by_role("button", name="Save practitioner").click()
    assert "An HCPC number is the profession" in page.content()
    check(page)
    page.fill("#id_registration_number", "SL12345")
    page.get_by_role("button", name="Save practitioner").click()
    page.get_by_role("button", name="Continue").click()

    task(page, "Insurance")
    check(page)
    for kind, cover in (("public liability insurance", "5000000"), ("professional indemnity insurance", "1000000")):
        page.get_by_role("link", name=f"Add {kind}").click()
        page.fill("#id_insurer", "Fictional Mutual")
        page.fill("#id_policy_number", "POL-1")
        page.fill("#id_cover_amount", cover)
        page.fill("#id_expires_on", "2030-03-31")
        page.get_by_role("button", name="Save policy").click()
    page.get_by_role("button", name="Continue").click()

    task(page, "Safeguarding")
    page.fill("#id_safeguarding_lead_name", "Sam Seaview")
    page.fill("#id_safeguarding_lead_email", email)
    page.get_by_label("We have a written safeguarding policy").check()
    page.get_by_role("button", name="Save and continue").click()

    task(page, "Evidence")
    check(page)
    for kind, practitioner, expires in (
        ("Public liability insurance certificate", None, "2030-03-31"),
        ("Professional indemnity insurance certificate", None, "2030-03-31"),
        ("Safeguarding policy", None, ""),
        ("Professional registration", "Robin Seaview", "2030-06-30"),
        ("Enhanced DBS certificate", "Robin Seaview", ""),
    ):
        page.select_option("#id_kind", label=kind)
        page.select_option("#id_practitioner", label=practitioner or "Not for one practitioner")
        page.fill("#id_expires_on", expires)
        page.set_input_files("#id_file", evidence_file)
        page.get_by_role("button", name="Upload").click()
        assert "The document has been uploaded" in page.content()
    check(page)
    page.get_by_role("link", name="Return to your application").click()

    task(page, "Capacity")
    page.select_option("#id_therapy_type", label="Speech and language therapy")
    page.select_option("#id_district", label="Swale")
    page.fill("#id_hours_per_week", "12")
    page.get_by_role("button", name="Add capacity").click()
    check(page)
    page.get_by_role("link", name="Return to your application").click()

    task(page, "Indicative prices")
    page.get_by_label("Speech and language therapy: per hour (£)").fill("72.50")
    page.get_by_role("button", name="Save prices").click()

    task(page, "Lots")
    page.get_by_label("Lot 1: Speech and language therapy").check()
    page.get_by_role("button", name="Save and continue").click()
    check(page)

    task(page, "Check your answers and submit")
    check(page)
    page.get_by_role("button", name="Continue to the declarations").click()
    check(page)
    for box in page.locator("input[type=checkbox]").all():
        box.check()
    page.get_by_role("button", name="Submit application").click()
    assert page.locator("h1").inner_text() == "Application submitted"
    check(page)
    return page.locator(".govuk-panel__body strong").inner_text()


def approve_and_find(page, live_server, check, officer, sign_in, reference):
    sign_in(page, officer)
    page.goto(f"{live_server.url}/providers/applications/")
    check(page)
    page.get_by_role("link", name=reference).click()
    check(page)
    page.get_by_role("button", name="Start review").click()
    page.get_by_label("Approve: admit the provider to the list").check()
    page.get_by_role("button", name="Record decision").click()
    assert "has been admitted" in page.content()
    check(page)
    page.goto(f"{live_server.url}/providers/")
    assert page.get_by_role("link", name="Seaview Speech Ltd").is_visible()
    check(page)


def test_the_qpl_journey_is_accessible(page, live_server, officer, sign_in, assert_accessible, evidence_file):
    reference = journey(page, live_server, assert_accessible, evidence_file, "hello@seaview.example.org")
    page.get_by_role("button", name="Sign out").click()
    approve_and_find(page, live_server, assert_accessible, officer, sign_in, reference)
    provider = Provider.objects.get(legal_name="Seaview Speech Ltd")
    assert Membership.objects.get(provider=provider).status == Membership.Status.ADMITTED


def test_the_qpl_journey_works_without_javascript(browser, live_server, officer, sign_in, evidence_file):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    reference = journey(page, live_server, lambda page: None, evidence_file, "nojs@seaview.example.org")
    page.get_by_role("button", name="Sign out").click()
    approve_and_find(page, live_server, lambda page: None, officer, sign_in, reference)
    context.close()
