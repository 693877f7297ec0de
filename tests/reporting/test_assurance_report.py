"""Provision assurance: children short of their plan. Officers see the children; commissioners see counts only."""

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import District, TherapyType
from core.periods import FinancialYear
from placements.models import Invoice
from reporting.models import ReportRun
from reporting.services import report_run_request
from tests.placements.factories import ChildFactory, InvoiceFactory, ProvisionFactory, qpl_call_off, qpl_provider

pytestmark = pytest.mark.django_db

PERIOD = {"period_from": "2024-09-01", "period_to": "2024-12-31"}  # 122 days
BIRTHDAYS = (date(2015, 11, 23), date(2014, 2, 7), date(2016, 8, 30))


def therapy(code: str) -> TherapyType:
    return TherapyType.objects.get(code=code)


def delivered(placement, *, start, end, units, status=Invoice.Status.APPROVED):
    InvoiceFactory(
        placement=placement,
        period_start=start,
        period_end=end,
        units_delivered=Decimal(units),
        amount=Decimal(units) * 70,
        status=status,
        paid_on=date(2025, 1, 10) if status == Invoice.Status.PAID else None,
    )


def weekly_line(child, code="speech-language"):
    """1 hour a week for 38 weeks a year: over the 122 days, 38 x 122 / 365 = 12.70 hours."""
    return ProvisionFactory(child=child, therapy_type=therapy(code), amount=Decimal("1"), weeks_per_year=38)


@pytest.fixture
def children(officer):
    """Three children, worked by hand over 1 September to 31 December 2024 with a threshold of 20%.

    Perpetua (Swale): speech and language, 12.70 specified, 7 delivered: 5.70 short (44.9%): short.
    Barnaby (Maidstone): speech and language, 13 delivered of 12.70; occupational therapy, none
        commissioned or delivered: 12.70 short of 25.40 in all (48.8%): short, and short of OT, not of SLT.
    Clementine (Swale): speech and language, 11 delivered of 12.70: 1.70 short (13.4%): not short.
    """
    provider = qpl_provider(rate="70.00")
    swale, maidstone = District.objects.get(name="Swale"), District.objects.get(name="Maidstone")
    perpetua = ChildFactory(
        first_name="Perpetua",
        last_name="Windlestraw",
        ehcp_reference="EHCP-ASSURE-01",
        date_of_birth=BIRTHDAYS[0],
        district=swale,
    )
    placement = qpl_call_off(provision=weekly_line(perpetua), provider=provider, user=officer, start=date(2024, 9, 1))
    delivered(placement, start=date(2024, 9, 1), end=date(2024, 9, 30), units="4")
    delivered(placement, start=date(2024, 10, 1), end=date(2024, 10, 31), units="3", status=Invoice.Status.PAID)
    delivered(placement, start=date(2024, 11, 1), end=date(2024, 11, 30), units="4", status=Invoice.Status.SUBMITTED)
    barnaby = ChildFactory(
        first_name="Barnaby",
        last_name="Quillon",
        ehcp_reference="EHCP-ASSURE-02",
        date_of_birth=BIRTHDAYS[1],
        district=maidstone,
    )
    placement = qpl_call_off(provision=weekly_line(barnaby), provider=provider, user=officer, start=date(2024, 9, 1))
    delivered(placement, start=date(2024, 9, 1), end=date(2024, 12, 31), units="13")
    weekly_line(barnaby, "occupational")
    clementine = ChildFactory(
        first_name="Clementine",
        last_name="Ashgrove",
        ehcp_reference="EHCP-ASSURE-03",
        date_of_birth=BIRTHDAYS[2],
        district=swale,
    )
    placement = qpl_call_off(provision=weekly_line(clementine), provider=provider, user=officer, start=date(2024, 9, 1))
    delivered(placement, start=date(2024, 9, 1), end=date(2024, 12, 31), units="11")
    return perpetua, barnaby, clementine


def run(user, **params):
    result = report_run_request(kind="provision-assurance", parameters={**PERIOD, **params}, user=user)
    assert result.status == ReportRun.Status.SUCCEEDED, result.error
    return result


def tables(report) -> dict:
    return {t["key"]: t for t in report.result["tables"]}


def summary(report) -> dict:
    return {item["label"]: item["value"] for item in report.result["summary"]}


def every_byte(report) -> str:
    """The stored result and every download, as text to search."""
    parts = [json.dumps(report.result)]
    for report_file in report.files.all():
        content = report_file.file.read()
        if report_file.format == "xlsx":
            workbook = load_workbook(io.BytesIO(content))
            content = "\n".join(
                str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row
            ).encode()
        parts.append(content.decode("utf-8-sig"))
    return "\n".join(parts)


def identity_of(child) -> list[str]:
    return [
        child.first_name,
        child.last_name,
        child.ehcp_reference,
        child.pseudonym,
        child.date_of_birth.isoformat(),
        f"{child.date_of_birth:%-d %B %Y}",
    ]


def test_a_commissioner_gets_counts_only_with_no_child_identity(commissioner, children):
    report = run(commissioner)
    assert report.includes_child_identity is False
    assert summary(report) == {
        "Children with therapy in their plans": 3,
        "Short by more than 20%": 2,
        "Shortfall (hours or sessions)": "18.1",  # 5.70 + 12.40
    }
    found = tables(report)
    assert set(found) == {"by-district", "by-therapy"}
    assert found["by-district"]["rows"] == [
        {"district": "Maidstone", "children": 1, "shortfall": "12.4"},
        {"district": "Swale", "children": 1, "shortfall": "5.7"},
    ]
    assert found["by-district"]["footer"] == {"district": "All districts", "children": 2, "shortfall": "18.1"}
    assert found["by-therapy"]["rows"] == [
        {"therapy": "Speech and language therapy", "children": 1, "shortfall": "5.7"},
        {"therapy": "Occupational therapy", "children": 1, "shortfall": "12.7"},
    ]
    text = every_byte(report)
    for child in children:
        for detail in identity_of(child):
            assert detail not in text, detail


def test_an_officer_gets_the_children_by_name_and_ehcp_reference(officer, children):
    clementine = children[2]
    report = run(officer)
    assert report.includes_child_identity is True
    rows = tables(report)["children"]["rows"]
    assert rows == [
        {
            "name": "Barnaby Quillon",
            "ehcp_reference": "EHCP-ASSURE-02",
            "district": "Maidstone",
            "lines": 2,
            "specified": "25.4",
            "commissioned": "12.7",
            "delivered": "13.0",
            "shortfall": "12.4",
            "short_by": "48.8",  # 12.40 / 25.40
        },
        {
            "name": "Perpetua Windlestraw",
            "ehcp_reference": "EHCP-ASSURE-01",
            "district": "Swale",
            "lines": 1,
            "specified": "12.7",
            "commissioned": "12.7",
            "delivered": "7.0",  # the November invoice is not yet approved
            "shortfall": "5.7",
            "short_by": "44.9",  # 5.70 / 12.70
        },
    ]
    assert clementine.last_name not in every_byte(report)
    assert summary(report)["Short by more than 20%"] == len(rows)


def test_a_run_naming_children_is_hidden_from_commissioners(client, officer, commissioner, children):
    named = run(officer)
    counts = run(commissioner)
    assert set(ReportRun.objects.visible_to(commissioner)) == {counts}
    assert set(ReportRun.objects.visible_to(officer)) == {named, counts}
    client.force_login(commissioner)
    assert client.get(named.get_absolute_url()).status_code == 404
    assert client.get(reverse("reporting:reportrun-download", args=[named.pk, "csv"])).status_code == 404
    assert client.get(counts.get_absolute_url()).status_code == 200


def test_threshold_therapy_and_district_filters(officer, commissioner, children):
    assert summary(run(commissioner, threshold="45"))["Short by more than 45%"] == 1  # Barnaby's 48.8% only
    assert summary(run(commissioner, threshold="0"))["Short by more than 0%"] == 3
    occupational = run(commissioner, therapy_types=[str(therapy("occupational").pk)])
    assert summary(occupational) == {
        "Children with therapy in their plans": 1,
        "Short by more than 20%": 1,
        "Shortfall (hours or sessions)": "12.7",
    }
    swale = run(officer, districts=[str(District.objects.get(name="Swale").pk)])
    assert [r["name"] for r in tables(swale)["children"]["rows"]] == ["Perpetua Windlestraw"]
    assert summary(swale)["Children with therapy in their plans"] == 2


def test_the_period_defaults_to_this_financial_year(commissioner, children):
    report = report_run_request(kind="provision-assurance", parameters={}, user=commissioner)
    assert report.status == ReportRun.Status.SUCCEEDED, report.error
    this_year = FinancialYear.of(timezone.localdate())
    assert (report.parameters["period_from"], report.parameters["period_to"]) == (
        this_year.start.isoformat(),
        this_year.end.isoformat(),
    )
    assert report.parameters["threshold"] == "20"
    # Nothing has been delivered this year: every child with a plan line in force is short.
    assert summary(report)["Short by more than 20%"] == 3


def test_provider_users_cannot_run_the_report(client, api_client, provider_a_user):
    client.force_login(provider_a_user)
    url = reverse("reporting:reportrun-create", args=["provision-assurance"])
    assert client.get(url).status_code == 403
    assert client.post(url, PERIOD).status_code == 403
    api_client.force_authenticate(provider_a_user)
    posted = api_client.post(
        reverse("api:reportrun-list"), {"kind": "provision-assurance", "parameters": PERIOD}, format="json"
    )
    assert posted.status_code == 403
    assert not ReportRun.objects.exists()


@pytest.mark.parametrize("persona", ["officer", "commissioner"])
def test_query_count_does_not_grow_with_children(request, persona, officer, django_assert_num_queries):
    user = request.getfixturevalue(persona)
    provider = qpl_provider(rate="70.00")
    first = ChildFactory()
    placement = qpl_call_off(provision=weekly_line(first), provider=provider, user=officer, start=date(2024, 9, 1))
    delivered(placement, start=date(2024, 9, 1), end=date(2024, 9, 30), units="2")
    run(user)  # warm-up: content types and permissions cached
    with CaptureQueriesContext(connection) as one_child:
        run(user)
    for district in ("Maidstone", "Dover", "Thanet"):
        child = ChildFactory(district=District.objects.get(name=district))
        placement = qpl_call_off(provision=weekly_line(child), provider=provider, user=officer, start=date(2024, 9, 1))
        delivered(placement, start=date(2024, 9, 1), end=date(2024, 10, 31), units="1")
        weekly_line(child, "occupational")
    with django_assert_num_queries(len(one_child)):
        run(user)


def test_a_run_whose_requester_may_now_see_children_is_marked_as_naming_them(commissioner, children):
    """Permissions can change between asking and building: the run's mark always covers what it holds."""
    from django.contrib.auth.models import Permission

    from reporting.services import report_run_build

    queued = ReportRun.objects.create(kind="provision-assurance", parameters=PERIOD, requested_by=commissioner)
    assert not queued.includes_child_identity
    commissioner.user_permissions.add(Permission.objects.get(codename="view_child_identity"))
    report_run_build(run_id=queued.pk)
    queued.refresh_from_db()
    assert queued.status == ReportRun.Status.SUCCEEDED and queued.includes_child_identity
