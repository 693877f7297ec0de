"""The audit trail: searchable by officers, exportable, read-only, constant queries."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import District, TherapyType
from core.services import record_access, therapy_type_create
from placements import services as placements
from placements.models import Offer, PlacementRequest
from tests.core.factories import UserFactory
from tests.placements.factories import ChildFactory
from tests.placements.test_nmiss import dps_school, offer, raise_request

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


def test_a_childs_identity_is_withheld_from_the_trail_not_half_masked(officer):
    child = ChildFactory(first_name="Perpetua", last_name="Windlestraw", ehcp_reference="EHCP-KENT-0042")
    placements.child_update(child=child, data={"first_name": "Petra", "ehcp_reference": "EHCP-KENT-0043"}, user=officer)
    recorded = str([e.changes for e in LogEntry.objects.filter(object_pk=str(child.pk))])
    assert "[withheld]" in recorded
    for fragment in ("etua", "Petra", "tra", "straw", "0042", "0043"):
        assert fragment not in recorded


def test_an_offers_entries_are_sealed_from_the_council_until_the_deadline(client, officer):
    school = dps_school("Fictional Orchard School")
    request = raise_request(officer)
    placements.placement_request_invite(request=request, schools=[school], user=officer)
    sealed = offer(request.invitations.get(), UserFactory(provider=school), "61234.00")
    assert LogEntry.objects.get_for_object(sealed).exists()  # recorded, as every change to an offer is
    client.force_login(officer)

    def trail() -> str:
        page = client.get(reverse("core:audit-list"), {"object_pk": sealed.pk}).content.decode()
        export = b"".join(client.get(reverse("core:audit-export")).streaming_content).decode()
        return page + export

    assert "61234" not in trail()
    PlacementRequest.objects.filter(pk=request.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    assert Offer.objects.sealed().count() == 0
    assert "61234" in trail()


def test_role_changes_read_as_words_on_the_page_and_in_the_export(client, officer):
    from core.roles import Role

    UserFactory(email="new.officer@example.org", role=Role.OFFICER)  # joins the Officer group: a many-to-many change
    client.force_login(officer)
    page = client.get(reverse("core:audit-list")).content.decode()
    assert "added: Officer" in page
    export = b"".join(client.get(reverse("core:audit-export")).streaming_content).decode()
    assert "groups: (blank) → added: Officer" in export
