"""API foundation: authentication, token scopes, revocation and expiry, errors, pagination, query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from core.models import ApiToken, TherapyType, hash_token
from core.services import api_token_issue, api_token_revoke

pytestmark = pytest.mark.django_db
DISTRICTS = reverse_lazy("api:district-list")


@pytest.mark.parametrize("name", ["api:district-list", "api:therapytype-list", "api:primaryneed-list"])
def test_anonymous_calls_are_refused_with_a_json_message(api_client, name):
    response = api_client.get(reverse(name))
    assert response.status_code == 401
    assert response.json() == {"message": "Authentication credentials were not provided."}


def test_a_token_gets_in(api_client_token):
    response = api_client_token.get(DISTRICTS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 13
    assert {"name": "Swale", "ons_code": "E07000113", "authority": "Kent County Council"}.items() <= next(
        d for d in body["results"] if d["name"] == "Swale"
    ).items()


def test_the_key_is_stored_only_as_a_hash(officer):
    token, key = api_token_issue(name="Ledger", scopes=["reference:read"], created_by=officer)
    stored = ApiToken.objects.get(pk=token.pk)
    assert key not in (stored.key_hash, stored.prefix)
    assert stored.key_hash == hash_token(key)
    assert key.startswith(f"sen_{stored.prefix}_")


def test_a_revoked_token_does_not_get_in(token_for, officer):
    client = token_for(scopes=["reference:read"])
    assert client.get(DISTRICTS).status_code == 200
    api_token_revoke(token=client.token, revoked_by=officer)
    response = client.get(DISTRICTS)
    assert response.status_code == 401
    assert response.json()["message"] == "This token has been revoked."


def test_an_expired_token_does_not_get_in(token_for):
    client = token_for(scopes=["reference:read"])
    ApiToken.objects.filter(pk=client.token.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    assert client.get(DISTRICTS).status_code == 401


def test_a_wrong_key_with_a_real_prefix_does_not_get_in(token_for, api_client):
    client = token_for(scopes=["reference:read"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Token sen_{client.token.prefix}_not-the-secret")
    assert api_client.get(DISTRICTS).status_code == 401


def test_a_token_without_the_scope_is_forbidden(token_for):
    client = token_for(scopes=["reports:read"])
    response = client.get(DISTRICTS)
    assert response.status_code == 403
    assert response.json()["message"] == "This token's scopes do not allow this."


def test_last_used_is_recorded(token_for):
    client = token_for(scopes=["reference:read"])
    client.get(DISTRICTS)
    client.token.refresh_from_db()
    assert client.token.last_used_at is not None


def test_session_users_of_every_role_read_reference_data(client, officer, commissioner, provider_a_user):
    for person in (officer, commissioner, provider_a_user):
        client.force_login(person)
        assert client.get(reverse("api:therapytype-list")).status_code == 200


def test_reference_lists_filter(api_client_token):
    response = api_client_token.get(DISTRICTS, {"authority": "Medway Council"})
    assert [d["name"] for d in response.json()["results"]] == ["Medway"]
    TherapyType.objects.filter(code="drama").update(is_active=False)
    response = api_client_token.get(reverse("api:therapytype-list"), {"is_active": "false"})
    assert [t["code"] for t in response.json()["results"]] == ["drama"]


def test_unknown_detail_is_a_json_404(api_client_token):
    response = api_client_token.get(reverse("api:district-detail", args=[999999]))
    assert response.status_code == 404
    assert response.json() == {"message": "Not found."}


def test_bad_filter_input_is_a_400_with_field_errors(api_client_token):
    response = api_client_token.get(DISTRICTS, {"current_on": "not-a-date"})
    assert response.status_code == 400
    assert "current_on" in response.json()["errors"]


def test_list_query_count_does_not_grow_with_rows(api_client_token, django_assert_num_queries):
    url = reverse("api:therapytype-list")
    api_client_token.get(url)
    with CaptureQueriesContext(connection) as before:
        api_client_token.get(url)
    for n in range(20):
        TherapyType.objects.create(code=f"extra-{n}", name=f"Extra therapy {n}")
    with django_assert_num_queries(len(before)):
        api_client_token.get(url)


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/districts/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_changes_made_with_a_token_are_audited_as_its_account(token_for):
    from auditlog.context import set_extra_data
    from auditlog.models import LogEntry

    from core.api.authentication import _audit_as
    from core.models import TherapyType

    client = token_for(scopes=["reference:read"])
    # A read does not log; prove the actor hook by simulating the middleware context for a write.
    with set_extra_data(context_data={"actor": None, "remote_addr": None, "remote_port": None}):
        _audit_as(client.token.user)
        TherapyType.objects.create(code="audited", name="Audited therapy")
    entry = LogEntry.objects.get_for_object(TherapyType.objects.get(code="audited")).get()
    assert entry.actor == client.token.user


def test_record_access_writes_an_access_entry(officer):
    from auditlog.models import LogEntry

    from core.models import District
    from core.services import record_access

    district = District.objects.get(name="Swale")
    record_access(user=officer, instance=district, what="record page")
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert (entry.actor, entry.object_pk, entry.additional_data) == (
        officer,
        str(district.pk),
        {"viewed": "record page"},
    )
