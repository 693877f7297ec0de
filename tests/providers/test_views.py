"""Provider pages: the questionnaire journey, officer review, the directory, evidence files, permissions."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from providers import services
from providers.models import ComplianceDocument, Membership, SelectionQuestionnaire
from tests.providers.factories import PDF, DocumentFactory, ProviderFactory, admit, complete_answers, qpl

pytestmark = pytest.mark.django_db
DECLARED = dict.fromkeys(services.DECLARATIONS, "on")


def start(client, user):
    client.force_login(user)
    response = client.post(reverse("providers:sq-start", args=[qpl().pk]))
    return SelectionQuestionnaire.objects.get(provider=user.provider), response


def test_the_questionnaire_pages_render_and_save(client, provider_a_user):
    sq, response = start(client, provider_a_user)
    assert response["Location"] == reverse("providers:sq-tasks", args=[sq.pk])
    for name in (
        "sq-tasks",
        "sq-organisation",
        "sq-services",
        "sq-practitioners",
        "sq-practitioner-add",
        "sq-insurance",
        "sq-safeguarding",
        "sq-evidence",
        "sq-capacity",
        "sq-pricing",
        "sq-lots",
        "sq-check",
    ):
        assert client.get(reverse(f"providers:{name}", args=[sq.pk])).status_code == 200, name
    assert client.get(reverse("providers:sq-insurance-edit", args=[sq.pk, "public_liability"])).status_code == 200
    response = client.post(
        reverse("providers:sq-organisation", args=[sq.pk]),
        {
            "legal_name": "Alder Therapy Ltd",
            "kind": "company",
            "companies_house_number": "12",
            "address_line_1": "1 Street",
            "town": "Faversham",
            "postcode": "ME13 8AA",
            "contact_name": "A",
            "contact_email": "a@alder.example.org",
            "contact_phone": "01632 960000",
        },
    )
    assert "A Companies House number is 8 characters" in response.content.decode()
    assert 'class="govuk-error-summary"' in response.content.decode()


def test_evidence_upload_refuses_a_wrong_type_with_an_error_on_the_field(client, provider_a_user):
    sq, _ = start(client, provider_a_user)
    page = client.post(
        reverse("providers:sq-evidence", args=[sq.pk]),
        {
            "kind": "safeguarding_policy",
            "file": SimpleUploadedFile("policy.pdf", b"MZ\x90\x00 not a pdf"),
        },
    )
    assert "The file must be a PDF, PNG or JPEG." in page.content.decode()
    assert not ComplianceDocument.objects.exists()
    client.post(
        reverse("providers:sq-evidence", args=[sq.pk]),
        {
            "kind": "safeguarding_policy",
            "file": SimpleUploadedFile("policy.pdf", PDF),
        },
    )
    assert ComplianceDocument.objects.get().status == ComplianceDocument.Status.PENDING


def test_submit_through_the_declaration_page(client, provider_a_user):
    sq, _ = start(client, provider_a_user)
    complete_answers(provider_a_user.provider)
    sq.lots.set(qpl().lots.filter(therapy_type__code="speech-language"))
    missing = client.post(reverse("providers:sq-declaration", args=[sq.pk]), {})
    assert "You must confirm this to apply" in missing.content.decode()
    response = client.post(reverse("providers:sq-declaration", args=[sq.pk]), DECLARED)
    assert response["Location"] == reverse("providers:sq-confirmation", args=[sq.pk])
    assert sq.reference in client.get(response["Location"]).content.decode()
    # Submitted: the pages no longer change it.
    assert client.get(reverse("providers:sq-organisation", args=[sq.pk])).status_code == 302


def test_officer_approves_from_the_review_page(client, provider_a_user, officer):
    complete_answers(provider_a_user.provider)
    sq = services.questionnaire_start(provider=provider_a_user.provider, provider_list=qpl(), user=provider_a_user)
    sq.lots.set(qpl().lots.filter(therapy_type__code="speech-language"))
    services.questionnaire_submit(sq=sq, user=provider_a_user, declarations=DECLARED)
    client.force_login(officer)
    assert sq.reference in client.get(reverse("providers:sq-review-list")).content.decode()
    page = client.get(reverse("providers:sq-review", args=[sq.pk]))
    assert "Your organisation" in page.content.decode()
    response = client.post(
        reverse("providers:sq-review", args=[sq.pk]),
        {
            "action": "approve",
            "lots": [lot.pk for lot in sq.lots.all()],
            "expected_status": "submitted",
        },
    )
    assert response.status_code == 302
    assert Membership.objects.get(provider=sq.provider).status == Membership.Status.ADMITTED
    directory = client.get(reverse("providers:provider-list")).content.decode()
    assert "Alder Therapy" in directory


def test_a_stale_review_page_cannot_decide_twice(client, provider_a_user, officer):
    complete_answers(provider_a_user.provider)
    sq = services.questionnaire_start(provider=provider_a_user.provider, provider_list=qpl(), user=provider_a_user)
    sq.lots.set(qpl().lots.all()[:1])
    services.questionnaire_submit(sq=sq, user=provider_a_user, declarations=DECLARED)
    services.questionnaire_approve(sq=sq, officer=officer)
    client.force_login(officer)
    response = client.post(
        reverse("providers:sq-review", args=[sq.pk]),
        {
            "action": "reject",
            "reason": "No",
            "expected_status": "submitted",
        },
    )
    assert "Someone else has changed this application" in response.content.decode()
    assert SelectionQuestionnaire.objects.get(pk=sq.pk).status == "approved"


def test_commissioners_read_applications_but_cannot_decide(client, commissioner, provider_a_user):
    complete_answers(provider_a_user.provider)
    sq = services.questionnaire_start(provider=provider_a_user.provider, provider_list=qpl(), user=provider_a_user)
    sq.lots.set(qpl().lots.all()[:1])
    services.questionnaire_submit(sq=sq, user=provider_a_user, declarations=DECLARED)
    client.force_login(commissioner)
    page = client.get(reverse("providers:sq-review", args=[sq.pk]))
    assert page.status_code == 200
    assert "Record decision" not in page.content.decode()
    assert (
        client.post(
            reverse("providers:sq-review", args=[sq.pk]), {"action": "approve", "expected_status": "submitted"}
        ).status_code
        == 403
    )
    assert client.post(reverse("providers:sq-review-start", args=[sq.pk])).status_code == 403
    assert SelectionQuestionnaire.objects.get(pk=sq.pk).status == "submitted"


def test_provider_a_cannot_reach_provider_bs_questionnaire_documents_or_files(client, provider_a_user, provider_b_user):
    sq_b = services.questionnaire_start(provider=provider_b_user.provider, provider_list=qpl(), user=provider_b_user)
    document_b = DocumentFactory(provider=provider_b_user.provider)
    client.force_login(provider_a_user)
    for url in (
        reverse("providers:sq-tasks", args=[sq_b.pk]),
        reverse("providers:sq-organisation", args=[sq_b.pk]),
        reverse("providers:sq-pricing", args=[sq_b.pk]),
        reverse("providers:document-download", args=[document_b.pk]),
        reverse("providers:provider-detail", args=[provider_b_user.provider_id]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(reverse("providers:sq-organisation", args=[sq_b.pk]), {"legal_name": "Hijacked"}).status_code == 404
    )
    assert client.get(reverse("providers:sq-review-list")).status_code == 403
    assert client.get(reverse("providers:provider-list")).status_code == 403


def test_evidence_files_are_served_to_the_provider_and_officers_only_as_attachments(
    client, provider_a_user, officer, commissioner
):
    document = DocumentFactory(provider=provider_a_user.provider)
    url = reverse("providers:document-download", args=[document.pk])
    for person in (provider_a_user, officer):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == PDF
    client.force_login(commissioner)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_directory_filters_and_csv(client, officer):
    for name, therapy, district in (("Alpha Speech", "speech-language", "Swale"), ("Beta OT", "occupational", "Dover")):
        provider = complete_answers(
            ProviderFactory(legal_name=f"{name} Ltd", trading_name=name), therapy_code=therapy, district_name=district
        )
        admit(provider)
    client.force_login(officer)
    from core.models import District, TherapyType

    slt = TherapyType.objects.get(code="speech-language")
    page = client.get(reverse("providers:provider-list"), {"therapy_type": slt.pk}).content.decode()
    assert "Alpha Speech" in page and "Beta OT" not in page and "£70.00" in page
    dover = District.objects.get(name="Dover")
    assert "Alpha Speech" not in client.get(reverse("providers:provider-list"), {"district": dover.pk}).content.decode()
    csv = b"".join(client.get(reverse("providers:provider-list"), {"download": "csv"}).streaming_content).decode()
    assert "Alpha Speech Ltd" in csv and "Beta OT Ltd" in csv
    assert csv.splitlines()[0].lstrip("\ufeff").startswith("Legal name,Trading name")


def test_directory_shows_compliance_state(client, officer):
    provider = complete_answers(ProviderFactory(legal_name="Gamma Ltd", trading_name="Gamma"))
    membership = admit(provider)
    ComplianceDocument.objects.filter(provider=provider, kind="public_liability").update(
        expires_on=timezone.localdate() + timedelta(days=5)
    )
    client.force_login(officer)
    assert "Expiring soon" in client.get(reverse("providers:provider-list")).content.decode()
    Membership.objects.filter(pk=membership.pk).update(status="suspended")
    assert "Suspended" in client.get(reverse("providers:provider-list"), {"compliance": "suspended"}).content.decode()


def test_directory_query_count_does_not_grow_with_rows(client, officer, django_assert_num_queries):
    admit(complete_answers(ProviderFactory()))
    client.force_login(officer)
    url = reverse("providers:provider-list")
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for _ in range(4):
        admit(complete_answers(ProviderFactory()))
    with django_assert_num_queries(len(before)):
        client.get(url)


def test_review_queue_query_count_does_not_grow(client, officer, django_assert_num_queries):
    def one():
        provider = complete_answers(ProviderFactory())
        sq = services.questionnaire_start(provider=provider, provider_list=qpl(), user=None)
        sq.lots.set(qpl().lots.all()[:1])
        from tests.core.factories import UserFactory

        services.questionnaire_submit(sq=sq, user=UserFactory(), declarations=DECLARED)

    one()
    client.force_login(officer)
    url = reverse("providers:sq-review-list")
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for _ in range(3):
        one()
    with django_assert_num_queries(len(before)):
        client.get(url)


def test_import_page_reports_every_bad_row(client, officer):
    from providers.models import Provider

    client.force_login(officer)
    content = b"legal_name,kind,legacy_arrangement\nGood Ltd,company,preferred\nBad Ltd,company,sometimes\n"
    response = client.post(reverse("providers:provider-import"), {"file": SimpleUploadedFile("list.csv", content)})
    assert response.status_code == 400
    assert "Row 3, column legacy_arrangement" in response.content.decode()
    assert not Provider.objects.filter(legal_name="Good Ltd").exists()
    template = client.get(reverse("providers:provider-import"), {"template": 1})
    assert template.content.decode().startswith("legal_name,trading_name,kind")


def test_provider_portal_pricing_capacity_and_leaving(client, provider_a_user):
    provider = complete_answers(provider_a_user.provider)
    membership = admit(provider)
    client.force_login(provider_a_user)
    assert "Change your prices" in client.get(reverse("providers:portal")).content.decode()
    therapy = provider.therapy_types.get()
    client.post(
        reverse("providers:portal-pricing"), {"effective_from": "2026-04-01", f"rate_{therapy.pk}_hour": "80.00"}
    )
    assert provider.pricing_schedules.count() == 2
    bad = client.post(
        reverse("providers:portal-pricing"), {"effective_from": "2027-04-01", f"rate_{therapy.pk}_hour": "-5"}
    )
    assert "A rate cannot be negative" in bad.content.decode()
    leave = reverse("providers:membership-leave", args=[membership.pk])
    client.post(leave, {"left_on": timezone.localdate().isoformat()})
    membership.refresh_from_db()
    assert membership.status == "left"
