"""The audit trail: searchable by officers, exportable, read-only, constant queries."""

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import District, TherapyType
from core.services import record_access, therapy_type_create

pytestmark = pytest.mark.django_db


def test_officer_searches_changes_and_views(client, officer):
    therapy_type_create(name="Equine therapy")
    record_access(user=officer, instance=District.objects.get(name="Thanet"), what="record page")
    client.force_login(officer)
    html = client.get(reverse("core:audit-list")).content.decode()
    assert "Equine therapy" in html or "Created" in html
    viewed = client.get(reverse("core:audit-list"), {"action": 3}).content.decode()
    assert "record page" in viewed
    assert "Equine" not in viewed


def test_export_has_the_filtered_rows(client, officer):
    therapy_type_create(name="Equine therapy")
    record_access(user=officer, instance=District.objects.get(name="Thanet"), what="record page")
    client.force_login(officer)
    response = client.get(reverse("core:audit-export"), {"action": 3})
    assert response["Content-Disposition"] == 'attachment; filename="audit-trail.csv"'
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].lstrip("\ufeff").startswith("When,Person,Action")
    assert len(lines) == 2
    assert officer.email in lines[1]


@pytest.mark.parametrize("persona", ["commissioner", "provider_a_user"])
def test_only_officers_see_the_audit_trail(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("core:audit-list")).status_code == 403
    assert client.get(reverse("core:audit-export")).status_code == 403


def test_entries_cannot_be_changed_through_the_admin(client, administrator):
    therapy_type_create(name="Equine therapy")
    entry = LogEntry.objects.first()
    client.force_login(administrator)
    assert client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_audit_list_query_count_does_not_grow(client, officer, django_assert_num_queries):
    client.force_login(officer)
    therapy_type_create(name="Therapy one")
    client.get(reverse("core:audit-list"))
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("core:audit-list"))
    for n in range(10):
        TherapyType.objects.create(code=f"t{n}", name=f"Therapy {n}")
        record_access(user=officer, instance=District.objects.get(name="Dover"), what="record page")
    with django_assert_num_queries(len(before)):
        client.get(reverse("core:audit-list"))


def test_csv_cells_cannot_run_as_formulas():
    from core.downloads import safe_cell

    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("-12.50") == "-12.50"
    assert safe_cell("+44 1234") == "'+44 1234"
