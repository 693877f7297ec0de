"""The providers API: same visibility as the pages; provider tokens see and change only their own provider."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from providers import services
from providers.models import PricingSchedule, SelectionQuestionnaire
from tests.providers.factories import PDF, DocumentFactory, ProviderFactory, admit, complete_answers, qpl

pytestmark = pytest.mark.django_db
DECLARED = dict.fromkeys(services.DECLARATIONS, True)


def test_provider_tokens_see_only_their_own_provider(token_for, provider_a_user, provider_b_user):
    client = token_for(scopes=["providers:read", "providers:write"], user=provider_a_user)
    listing = client.get(reverse("api:provider-list")).json()
    assert [p["legal_name"] for p in listing["results"]] == ["Alder Therapy Ltd"]
    assert client.get(reverse("api:provider-detail", args=[provider_b_user.provider_id])).status_code == 404
    assert (
        client.patch(
            reverse("api:provider-detail", args=[provider_b_user.provider_id]), {"town": "X"}, format="json"
        ).status_code
        == 404
    )
    changed = client.patch(
        reverse("api:provider-detail", args=[provider_a_user.provider_id]), {"town": "Whitstable"}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["town"] == "Whitstable"


def test_provider_b_documents_and_pricing_are_invisible_to_provider_a(token_for, provider_a_user, provider_b_user):
    complete_answers(provider_b_user.provider)
    document = provider_b_user.provider.documents.first()
    client = token_for(scopes=["providers:read"], user=provider_a_user)
    assert client.get(reverse("api:compliancedocument-list")).json()["count"] == 0
    assert client.get(reverse("api:compliancedocument-detail", args=[document.pk])).status_code == 404
    assert client.get(reverse("api:compliancedocument-download", args=[document.pk])).status_code == 404
    assert client.get(reverse("api:pricingschedule-list")).json()["count"] == 0


def test_the_questionnaire_through_the_api(token_for, provider_a_user, officer):
    provider = complete_answers(provider_a_user.provider)
    client = token_for(scopes=["providers:read", "providers:write"], user=provider_a_user)
    created = client.post(reverse("api:selectionquestionnaire-list"), {"provider_list": qpl().pk}, format="json")
    assert created.status_code == 201
    sq_id = created.json()["id"]
    SelectionQuestionnaire.objects.get(pk=sq_id).lots.set(
        qpl().lots.filter(therapy_type__in=provider.therapy_types.all())
    )
    submitted = client.post(
        reverse("api:selectionquestionnaire-submit", args=[sq_id]), {"declarations": DECLARED}, format="json"
    )
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    # The provider cannot approve itself.
    assert (
        client.post(reverse("api:selectionquestionnaire-approve", args=[sq_id]), {}, format="json").status_code == 403
    )
    staff = token_for(scopes=["providers:read", "providers:write"], user=officer)
    approved = staff.post(reverse("api:selectionquestionnaire-approve", args=[sq_id]), {}, format="json")
    assert approved.json()["status"] == "approved"
    again = staff.post(reverse("api:selectionquestionnaire-reject", args=[sq_id]), {"reason": "Late"}, format="json")
    assert again.status_code == 400 and "already approved" in again.json()["errors"]["non_field_errors"][0]


def test_commissioners_cannot_decide_through_the_api(api_client, commissioner, provider_a_user):
    complete_answers(provider_a_user.provider)
    sq = services.questionnaire_start(provider=provider_a_user.provider, provider_list=qpl(), user=provider_a_user)
    sq.lots.set(qpl().lots.all()[:1])
    services.questionnaire_submit(sq=sq, user=provider_a_user, declarations=DECLARED)
    api_client.force_authenticate(commissioner)
    assert api_client.get(reverse("api:selectionquestionnaire-detail", args=[sq.pk])).status_code == 200
    for action in ("approve", "reject", "request-clarification"):
        response = api_client.post(
            reverse(f"api:selectionquestionnaire-{action}", args=[sq.pk]), {"reason": "x"}, format="json"
        )
        assert response.status_code == 403, action


def test_pricing_and_capacity_through_the_api(token_for, provider_a_user):
    complete_answers(provider_a_user.provider)
    client = token_for(scopes=["providers:read", "providers:write"], user=provider_a_user)
    created = client.post(
        reverse("api:pricingschedule-list"),
        {
            "effective_from": "2026-04-01",
            "lines": [{"therapy_type": "speech-language", "unit": "hour", "rate": "82.50"}],
        },
        format="json",
    )
    assert created.status_code == 201 and created.json()["version"] == 2
    assert created.json()["lines"] == [{"therapy_type": "speech-language", "unit": "hour", "rate": "82.50"}]
    negative = client.post(
        reverse("api:pricingschedule-list"),
        {
            "effective_from": "2027-04-01",
            "lines": [{"therapy_type": "speech-language", "unit": "hour", "rate": "-1"}],
        },
        format="json",
    )
    assert negative.status_code == 400
    assert PricingSchedule.objects.filter(provider=provider_a_user.provider).count() == 2
    capacity = client.post(
        reverse("api:capacitydeclaration-list"),
        {
            "therapy_type": "speech-language",
            "district": "E07000113",
            "hours_per_week": "12.5",
            "from_date": "2026-01-01",
        },
        format="json",
    )
    assert capacity.status_code == 201 and capacity.json()["hours_per_week"] == "12.5"


def test_evidence_upload_through_the_api_checks_content(token_for, provider_a_user):
    client = token_for(scopes=["providers:read", "providers:write"], user=provider_a_user)
    bad = client.post(
        reverse("api:compliancedocument-list"),
        {"kind": "safeguarding_policy", "file": SimpleUploadedFile("x.pdf", b"<script>alert(1)</script>")},
        format="multipart",
    )
    assert bad.status_code == 400 and bad.json()["errors"]["file"] == ["The file must be a PDF, PNG or JPEG."]
    good = client.post(
        reverse("api:compliancedocument-list"),
        {"kind": "safeguarding_policy", "file": SimpleUploadedFile("x.pdf", PDF)},
        format="multipart",
    )
    assert good.status_code == 201 and good.json()["status"] == "pending"


def test_only_officers_verify_evidence(api_client, officer, commissioner, provider_a):
    document = DocumentFactory(provider=provider_a, status="pending")
    api_client.force_authenticate(commissioner)
    assert api_client.post(reverse("api:compliancedocument-verify", args=[document.pk])).status_code == 403
    api_client.force_authenticate(officer)
    assert api_client.post(reverse("api:compliancedocument-verify", args=[document.pk])).json()["status"] == "verified"


def test_a_token_without_the_providers_scope_is_refused(token_for, officer):
    client = token_for(scopes=["reference:read"], user=officer)
    assert client.get(reverse("api:provider-list")).status_code == 403


@pytest.mark.parametrize(
    "name",
    [
        "api:provider-list",
        "api:membership-list",
        "api:selectionquestionnaire-list",
        "api:pricingschedule-list",
        "api:compliancedocument-list",
        "api:capacitydeclaration-list",
        "api:providerlist-list",
    ],
)
def test_api_lists_run_a_constant_number_of_queries(api_client, officer, django_assert_num_queries, name):
    def grow():
        provider = complete_answers(ProviderFactory())
        admit(provider)
        sq = services.questionnaire_start(provider=provider, provider_list=qpl(), user=None)
        sq.lots.set(qpl().lots.all()[:2])

    grow()
    api_client.force_authenticate(officer)
    url = reverse(name)
    api_client.get(url)
    with CaptureQueriesContext(connection) as before:
        api_client.get(url)
    grow(), grow()
    with django_assert_num_queries(len(before)):
        api_client.get(url)


def test_provider_update_refuses_a_bad_identifier(token_for, provider_a_user):
    client = token_for(scopes=["providers:read", "providers:write"], user=provider_a_user)
    response = client.patch(
        reverse("api:provider-detail", args=[provider_a_user.provider_id]),
        {"companies_house_number": "12"},
        format="json",
    )
    assert response.status_code == 400 and "companies_house_number" in response.json()["errors"]
