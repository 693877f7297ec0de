"""Children's data: the retention rule anonymises exactly the records due; the subject access export holds
everything about one child and nothing about another."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from core.services import record_access
from placements import services, tasks
from placements.models import Child, Invoice, Placement
from placements.selectors import child_subject_access
from tests.placements.factories import (
    ChildFactory,
    InvoiceFactory,
    PlacementFactory,
    ProvisionFactory,
    personal_budget,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)  # 31 years before is 1 December 1995


def adult_with_placement(*, born, ends, **kwargs):
    child = ChildFactory(date_of_birth=born, **kwargs)
    start = date(min(ends.year - 1, 2012), 4, 1)
    provision = ProvisionFactory(child=child, start_date=start, description="Weekly sessions at home")
    placement = PlacementFactory(provision=provision, start_date=start, end_date=ends)
    return child, placement


def test_retention_anonymises_exactly_the_records_due(settings):
    settings.CHILD_RETENTION_YEARS_AFTER_LAST_PLACEMENT = 0
    due, due_placement = adult_with_placement(born=date(1995, 6, 1), ends=date(2013, 3, 31), first_name="Oriel")
    InvoiceFactory(placement=due_placement, period_start=date(2012, 4, 1), period_end=date(2012, 4, 30))
    still_placed, _ = adult_with_placement(born=date(1995, 6, 1), ends=date(2027, 3, 31), first_name="Perrin")
    too_young, _ = adult_with_placement(born=date(1995, 12, 2), ends=date(2013, 3, 31), first_name="Quenby")
    assert list(services.children_due_for_anonymisation(today=TODAY)) == [due]

    assert services.children_anonymise_expired(today=TODAY) == 1
    due.refresh_from_db()
    assert (due.first_name, due.last_name, due.date_of_birth) == ("Anonymised", "", date(1995, 1, 1))
    assert due.ehcp_reference == f"ANON-{due.pseudonym}" and due.anonymised_at is not None
    assert due.provisions.get().description.startswith("[removed")
    # The money stays: the council must still account for what it bought.
    assert Placement.objects.filter(child=due).count() == 1 and Invoice.objects.filter(placement__child=due).exists()
    for kept, name in ((still_placed, "Perrin"), (too_young, "Quenby")):
        kept.refresh_from_db()
        assert kept.first_name == name and kept.anonymised_at is None
    assert services.children_anonymise_expired(today=TODAY) == 0  # nothing twice


def test_what_was_written_about_an_anonymised_child_goes_from_the_records_and_their_history(settings, officer):
    from auditlog.models import LogEntry

    settings.CHILD_RETENTION_YEARS_AFTER_LAST_PLACEMENT = 0
    child, placement = adult_with_placement(
        born=date(1995, 6, 1), ends=date(2013, 3, 31), first_name="Oriel", last_name="Quennell"
    )
    services.child_update(child=child, data={"school_name": "Fictional Oast Academy"}, user=officer)
    provision = child.provisions.get()
    services.provision_save(
        child=child, provision=provision, data={"description": "Oriel's stammer: twice-weekly sessions"}, user=officer
    )
    budget = personal_budget(
        provision=ProvisionFactory(child=child, start_date=date(2012, 4, 1)), user=officer, start=date(2012, 9, 1)
    )
    services.personal_budget_update(
        budget=budget.personal_budget,
        user=officer,
        amount=Decimal("3000.00"),
        review_on=date(2013, 1, 15),
        notes="Paid to Oriel's grandmother, Mrs Quennell",
    )
    Placement.objects.filter(pk=budget.pk).update(end_date=date(2013, 3, 31))
    dispute = services.dispute_raise(
        placement=placement, category="quality", description="Oriel missed three sessions", user=officer
    )
    other, _ = adult_with_placement(born=date(2014, 1, 1), ends=date(2027, 3, 31), first_name="Sidony")
    other_provision = other.provisions.get()
    services.provision_save(
        child=other, provision=other_provision, data={"description": "Sidony's sessions at home"}, user=officer
    )

    assert services.children_anonymise_expired(today=TODAY) == 1
    provision.refresh_from_db()
    dispute.refresh_from_db()
    budget.personal_budget.refresh_from_db()
    assert provision.description == dispute.description == services.REMOVED
    assert budget.personal_budget.notes == budget.personal_budget.paid_to == services.REMOVED
    history = json.dumps([entry.changes for entry in LogEntry.objects.all()], cls=DjangoJSONEncoder)
    for secret in ("Oriel", "Quennell", "stammer", "grandmother", "Oast", "missed three", child.ehcp_reference):
        assert secret not in history
    assert "Sidony's sessions at home" in history  # another child's history is untouched
    dispute_history = LogEntry.objects.get_for_object(dispute).get()
    assert dispute_history.changes["description"] == ["None", services.REMOVED]  # who and when stay


def test_years_after_the_last_placement_can_be_required_too(settings):
    settings.CHILD_RETENTION_YEARS_AFTER_LAST_PLACEMENT = 6
    recent, _ = adult_with_placement(born=date(1990, 1, 1), ends=date(2022, 3, 31))
    old, _ = adult_with_placement(born=date(1990, 1, 1), ends=date(2020, 3, 31))
    assert list(services.children_due_for_anonymisation(today=TODAY)) == [old]
    assert recent not in services.children_due_for_anonymisation(today=TODAY)


def test_the_beat_task_runs_the_rule_and_logs_the_count(settings, caplog):
    settings.CHILD_RETENTION_YEARS_AFTER_LAST_PLACEMENT = 0
    adult_with_placement(born=date(1960, 1, 1), ends=date(1990, 3, 31))
    with caplog.at_level("INFO", logger="placements.tasks"):
        assert tasks.anonymise_expired_children.apply().get() == 1
    assert "anonymised 1 children" in caplog.text
    assert Child.objects.get().first_name == "Anonymised"


def test_the_subject_access_export_holds_everything_about_the_child_and_nothing_else(officer):
    child, placement = adult_with_placement(born=date(2014, 3, 3), ends=date(2025, 3, 31), first_name="Sorrel")
    invoice = InvoiceFactory(placement=placement, number="SAR-INV-1")
    services.review_record(
        placement=placement,
        held_on=date(2024, 10, 1),
        outcomes="Clearer speech",
        effectiveness="effective",
        decision="continue",
        next_review_on=date(2025, 1, 10),
        user=officer,
    )
    dispute = services.dispute_raise(placement=placement, category="protocol", description="Notes late", user=officer)
    record_access(user=officer, instance=child, what="child record")
    other, other_placement = adult_with_placement(
        born=date(2013, 5, 5), ends=date(2025, 3, 31), first_name="Tobiah", last_name="Elsewhereton"
    )
    InvoiceFactory(placement=other_placement, number="OTHER-INV-9", amount=Decimal("99.00"))

    export = child_subject_access(child=child)
    text = json.dumps(export, cls=DjangoJSONEncoder)
    assert export["child"]["first_name"] == "Sorrel" and export["child"]["ehcp_reference"] == child.ehcp_reference
    assert [p["id"] for p in export["placements"]] == [placement.pk]
    assert [i["number"] for i in export["invoices"]] == [invoice.number]
    assert [d["id"] for d in export["disputes"]] == [dispute.pk]
    assert export["reviews"][0]["outcomes"] == "Clearer speech"
    assert export["committed_cost"] and export["provision"][0]["description"] == "Weekly sessions at home"
    assert export["viewed_by"][0]["actor__email"] == officer.email
    assert {h["to_state"] for h in export["history"]} >= {"open"}
    for secret in ("Tobiah", "Elsewhereton", other.ehcp_reference, "OTHER-INV-9", other.pseudonym):
        assert secret not in text


def test_an_officer_downloads_the_subject_access_export_and_it_is_recorded(client, officer, commissioner):
    from auditlog.models import LogEntry
    from django.urls import reverse

    child, _ = adult_with_placement(born=date(2014, 3, 3), ends=date(2025, 3, 31), first_name="Sorrel")
    other, _ = adult_with_placement(born=date(2013, 5, 5), ends=date(2025, 3, 31), first_name="Tobiah")
    client.force_login(officer)
    response = client.get(reverse("placements:child-export", args=[child.pk, "json"]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    export = json.loads(response.content)
    assert export["child"]["first_name"] == "Sorrel" and "Tobiah" not in response.content.decode()
    pdf = client.get(reverse("placements:child-export", args=[child.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf["Content-Type"] == "application/pdf"
    assert client.get(reverse("placements:child-export", args=[child.pk, "xml"])).status_code == 404
    viewed = LogEntry.objects.filter(object_pk=str(child.pk), action=LogEntry.Action.ACCESS)
    assert sorted(e.additional_data["viewed"] for e in viewed) == [
        "subject access export (json)",
        "subject access export (pdf)",
    ]
    client.force_login(commissioner)
    assert client.get(reverse("placements:child-export", args=[other.pk, "json"])).status_code == 403
