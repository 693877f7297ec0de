"""The NMISS report: spend by financial year with the years before the service, placements by lot, need and
school, average fees by element and the uplift trend, against figures worked out by hand."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import PrimaryNeed
from placements import services
from placements.models import PlacementRequest
from providers.models import Lot, Membership, Provider, ProviderList
from reporting.models import ReportRun
from reporting.services import report_run_request
from tests.core.factories import UserFactory
from tests.placements.factories import ChildFactory
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db

# The council's NMISS spend per financial year (the NMISS commissioning strategy's record of decision).
SEED_HISTORY = {
    2017: Decimal("27911115"),
    2018: Decimal("34167515"),
    2019: Decimal("39772645"),
    2020: Decimal("49244606"),
}
FEES_ON = date(2026, 1, 1)


def dps_lot(number: int) -> Lot:
    return Lot.objects.get(provider_list__reference="KCC-DPS-NMISS", number=number)


def dps_school(name: str, *, lots=(1,), day=True, residential=False) -> Provider:
    school = ProviderFactory(
        legal_name=f"{name} Ltd",
        trading_name=name,
        kind=Provider.Kind.INDEPENDENT_SCHOOL,
        offers_day=day,
        offers_residential=residential,
        age_from=5,
        age_to=18,
    )
    membership = Membership.objects.create(
        provider=school,
        provider_list=ProviderList.objects.get(reference="KCC-DPS-NMISS"),
        status=Membership.Status.ADMITTED,
        applied_on=date(2022, 5, 1),
        admitted_on=date(2022, 6, 1),
    )
    membership.lots.set([dps_lot(n) for n in lots])
    return school


def child_with(need_code: str | None):
    need = PrimaryNeed.objects.get(code=need_code) if need_code else None
    return ChildFactory(date_of_birth=date(2014, 5, 1), primary_need=need)


def awarded(officer, *, school, lot, setting, start, end, weeks=38, **fees):
    """A place bought through the DPS: request, invitation, offer, scoring and award."""
    request = services.placement_request_create(
        child=child_with("ASD"),
        lot=dps_lot(lot),
        needs_summary="Needs a small class with an on-site therapy team.",
        setting=setting,
        required_start=start,
        deadline=timezone.now() + timedelta(days=14),
        user=officer,
    )
    services.placement_request_invite(request=request, schools=[school], user=officer)
    invitation = request.invitations.get()
    offer = services.offer_submit(
        invitation=invitation,
        user=UserFactory(provider=school),
        weeks=weeks,
        start_date=start,
        quality_statement="Specialist staff and an on-site therapy team.",
        **{name: Decimal(value) for name, value in fees.items()},
    )
    PlacementRequest.objects.filter(pk=request.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    request.refresh_from_db()
    services.offer_score(offer=offer, quality_score=80, reason="Meets the published criteria", user=officer)
    return services.placement_request_award(request=request, offer=offer, end_date=end, user=officer)


def direct(officer, *, school, need, setting, start, end, weeks=38, **fees):
    """A place agreed without a request (directly, or in a block)."""
    return services.school_placement_create(
        child=child_with(need),
        school=school,
        setting=setting,
        weeks=weeks,
        start_date=start,
        end_date=end,
        user=officer,
        **{name: Decimal(value) for name, value in fees.items()},
    )


def uplift(officer, placement, effective_from, percent):
    return services.school_placement_uplift(
        placement=placement,
        effective_from=effective_from,
        percent=Decimal(percent),
        reason="Annual inflationary uplift",
        user=officer,
    )


@pytest.fixture
def history(officer):
    for year, amount in SEED_HISTORY.items():
        services.nmiss_history_set(
            financial_year=year, amount=amount, source="NMISS commissioning strategy, 2021", user=officer
        )
    # A figure for a year the service already holds placements for: the committed cost is used instead.
    services.nmiss_history_set(financial_year=2022, amount=Decimal("1000000"), source="Estimate", user=officer)


@pytest.fixture
def placements(officer, history):
    """Four placements, worked by hand (financial years of 365 days each, so a year's fee is a year's cost).

    A  lot 1, Orchard, ASD, day:          45,000 education + 5,000 therapy = 50,000; 2024-25 only.
    B  lot 2, Harbour, ASD, residential:  60,000 + 30,000 care + 6,000 therapy + 4,000 other = 100,000;
       2024-25 and 2025-26, uplifted 3% from 1 April 2025: 100,000 then 103,000.
    C  direct, Orchard, SEMH, day:         40,000 + 2,000 therapy = 42,000; 2022-23, uplifted 2% from 1 October:
       42,000 x 183/365 = 21,057.53, then 42,840 x 182/365 = 21,361.32: 42,418.85.
    D  direct, Harbour, no need recorded, residential: 70,000 + 20,000 care = 90,000; 2025-26, uplifted 5% from
       1 September: 90,000 x 153/365 = 37,726.03, then 94,500 x 212/365 = 54,887.67: 92,613.70.
    """
    orchard = dps_school("Fictional Orchard School", lots=(1,))
    harbour = dps_school("Fictional Harbour School", lots=(2,), day=False, residential=True)
    a = awarded(
        officer,
        school=orchard,
        lot=1,
        setting="day",
        start=date(2024, 4, 1),
        end=date(2025, 3, 31),
        education_fee="45000",
        therapy_fee="5000",
    )
    b = awarded(
        officer,
        school=harbour,
        lot=2,
        setting="residential",
        weeks=52,
        start=date(2024, 4, 1),
        end=date(2026, 3, 31),
        education_fee="60000",
        care_fee="30000",
        therapy_fee="6000",
        other_fee="4000",
    )
    uplift(officer, b, date(2025, 4, 1), "3.00")
    c = direct(
        officer,
        school=orchard,
        need="SEMH",
        setting="day",
        start=date(2022, 4, 1),
        end=date(2023, 3, 31),
        education_fee="40000",
        therapy_fee="2000",
    )
    uplift(officer, c, date(2022, 10, 1), "2.00")
    d = direct(
        officer,
        school=harbour,
        need=None,
        setting="residential",
        weeks=52,
        start=date(2025, 4, 1),
        end=date(2026, 3, 31),
        education_fee="70000",
        care_fee="20000",
    )
    uplift(officer, d, date(2025, 9, 1), "5.00")
    return {"a": a, "b": b, "c": c, "d": d, "orchard": orchard, "harbour": harbour}


def run(user, **params):
    params.setdefault("fees_on", FEES_ON.isoformat())
    result = report_run_request(kind="nmiss", parameters=params, user=user)
    assert result.status == ReportRun.Status.SUCCEEDED, result.error
    return result


def tables(report) -> dict:
    return {t["key"]: t for t in report.result["tables"]}


def test_spend_by_year_joins_the_councils_figures_to_committed_cost_with_the_change_each_year(commissioner, placements):
    years = tables(run(commissioner))["years"]
    assert [(r["year"], r["figure"], r["amount"], r["change"]) for r in years["rows"]] == [
        ("2017-18", "Spend (the council's figures)", "27911115.00", None),
        # 34,167,515 / 27,911,115 = 1.2242; 39,772,645 / 34,167,515 = 1.1640; 49,244,606 / 39,772,645 = 1.2382
        ("2018-19", "Spend (the council's figures)", "34167515.00", "22.4"),
        ("2019-20", "Spend (the council's figures)", "39772645.00", "16.4"),
        ("2020-21", "Spend (the council's figures)", "49244606.00", "23.8"),
        # No figure for 2021-22 or 2023-24, so no change to show; the 2022-23 estimate gives way to committed cost.
        ("2022-23", "Committed (school placements held here)", "42418.85", None),
        ("2024-25", "Committed (school placements held here)", "150000.00", None),
        # (195,613.70 - 150,000) / 150,000 = 30.41%
        ("2025-26", "Committed (school placements held here)", "195613.70", "30.4"),
    ]
    assert years["rows"][0]["source"] == "NMISS commissioning strategy, 2021"
    assert any("From 2022-23" in note for note in years["notes"])


def test_a_year_filter_keeps_its_change_on_the_year_before(commissioner, placements):
    report = run(commissioner, financial_years=["2025-26"])
    found = tables(report)
    assert [(r["year"], r["change"]) for r in found["years"]["rows"]] == [("2025-26", "30.4")]
    # Only B and D are placed in 2025-26; only their 2025-26 cost counts.
    assert found["by-lot"]["rows"] == [
        {
            "name": "Lot 2: Autism: residential places",
            "placements": 1,
            "committed": "103000.00",
            "average_fee": "100000.00",
        },
        {"name": "Direct or block", "placements": 1, "committed": "92613.70", "average_fee": "90000.00"},
    ]
    assert [(r["year"], r["uplifts"]) for r in found["uplifts"]["rows"]] == [("2025-26", 2)]


def test_placements_by_lot_need_and_school(commissioner, placements):
    found = tables(run(commissioner))
    assert found["by-lot"]["rows"] == [
        {"name": "Lot 1: Autism: day places", "placements": 1, "committed": "50000.00", "average_fee": "50000.00"},
        {
            "name": "Lot 2: Autism: residential places",
            "placements": 1,
            "committed": "203000.00",
            "average_fee": "100000.00",
        },
        # C and D: 42,418.85 + 92,613.70; fees (42,000 + 90,000) / 2
        {"name": "Direct or block", "placements": 2, "committed": "135032.55", "average_fee": "66000.00"},
    ]
    assert found["by-lot"]["footer"] == {
        "name": "All school placements",
        "placements": 4,
        "committed": "388032.55",
        "average_fee": "70500.00",
    }
    assert found["by-need"]["rows"] == [  # in the DfE's order of needs
        {
            "name": "Social, emotional and mental health",
            "placements": 1,
            "committed": "42418.85",
            "average_fee": "42000.00",
        },
        {"name": "Autistic spectrum disorder", "placements": 2, "committed": "253000.00", "average_fee": "75000.00"},
        {"name": "Not recorded", "placements": 1, "committed": "92613.70", "average_fee": "90000.00"},
    ]
    assert found["by-school"]["rows"] == [
        {"name": "Fictional Harbour School", "placements": 2, "committed": "295613.70", "average_fee": "95000.00"},
        {"name": "Fictional Orchard School", "placements": 2, "committed": "92418.85", "average_fee": "46000.00"},
    ]


def test_average_fee_by_element_agreed_and_after_uplifts(commissioner, placements):
    fees = {r["element"]: r for r in tables(run(commissioner))["fees"]["rows"]}
    # Agreed: education (45,000 + 60,000 + 40,000 + 70,000) / 4 = 53,750; care (30,000 + 20,000) / 4 = 12,500;
    # therapy (5,000 + 6,000 + 2,000) / 4 = 3,250; other 4,000 / 4 = 1,000; total 282,000 / 4 = 70,500.
    # Day places are A and C, residential B and D.
    # In force on 1 January 2026, every uplift applied: A 50,000, B 103,000, C 42,840, D 94,500.
    assert {k: (v["all"], v["day"], v["residential"], v["now"]) for k, v in fees.items()} == {
        "Education": ("53750.00", "42500.00", "65000.00", "55275.00"),
        "Care": ("12500.00", "0.00", "25000.00", "12975.00"),
        "Therapy": ("3250.00", "3500.00", "3000.00", "3305.00"),
        "Other": ("1000.00", "0.00", "2000.00", "1030.00"),
        "Total": ("70500.00", "46000.00", "95000.00", "72585.00"),
    }


def test_uplift_trend_by_financial_year(commissioner, placements):
    uplifts = tables(run(commissioner))["uplifts"]["rows"]
    assert uplifts == [
        {
            "year": "2022-23",
            "uplifts": 1,
            "placements": 1,
            "average": "2.0",
            "smallest": "2.0",
            "largest": "2.0",
        },
        # (3% + 5%) / 2
        {
            "year": "2025-26",
            "uplifts": 2,
            "placements": 2,
            "average": "4.0",
            "smallest": "3.0",
            "largest": "5.0",
        },
    ]


def test_filters_by_setting_school_and_lot_leave_out_the_councils_undivided_totals(commissioner, placements):
    residential = tables(run(commissioner, setting="residential"))
    assert [r["year"] for r in residential["years"]["rows"]] == ["2024-25", "2025-26"]
    assert [r["amount"] for r in residential["years"]["rows"]] == ["100000.00", "195613.70"]
    assert any("left out" in note for note in residential["years"]["notes"])
    orchard = tables(run(commissioner, schools=[str(placements["orchard"].pk)]))
    assert orchard["by-school"]["rows"][0]["name"] == "Fictional Orchard School"
    assert len(orchard["by-school"]["rows"]) == 1
    lot_one = tables(run(commissioner, lots=[str(dps_lot(1).pk)]))
    assert lot_one["by-lot"]["footer"]["placements"] == 1
    assert [r["amount"] for r in lot_one["years"]["rows"]] == ["50000.00"]


def test_the_report_names_no_child_and_comes_with_a_pdf_and_charts(client, commissioner, placements):
    report = run(commissioner)
    client.force_login(commissioner)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "NMISS spend by financial year" in page and "£49,244,606.00" in page
    for chart in ("spend-by-year", "uplifts"):
        svg = client.get(reverse("reporting:reportrun-chart", args=[report.pk, chart]))
        assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    text = json.dumps(report.result)
    for placement in placements.values():
        child = getattr(placement, "child", None)
        if child is None:
            continue
        for detail in (child.first_name, child.last_name, child.ehcp_reference, child.pseudonym):
            assert detail not in text
    assert report.includes_child_identity is False
    assert {f.format for f in report.files.all()} >= {"csv", "xlsx", "pdf"}


def test_provider_users_cannot_run_the_report(client, api_client, provider_a_user):
    client.force_login(provider_a_user)
    assert client.get(reverse("reporting:reportrun-create", args=["nmiss"])).status_code == 403
    assert client.post(reverse("reporting:reportrun-create", args=["nmiss"]), {}).status_code == 403
    api_client.force_authenticate(provider_a_user)
    assert api_client.post(reverse("api:reportrun-list"), {"kind": "nmiss"}, format="json").status_code == 403
    assert not ReportRun.objects.exists()


def test_query_count_does_not_grow_with_placements(commissioner, officer, history, django_assert_num_queries):
    orchard = dps_school("Fictional Orchard School", lots=(1,))
    direct(
        officer,
        school=orchard,
        need="SEMH",
        setting="day",
        start=date(2024, 4, 1),
        end=date(2025, 3, 31),
        education_fee="40000",
    )
    run(commissioner)  # warm-up: content types and permissions cached
    with CaptureQueriesContext(connection) as one_placement:
        run(commissioner)
    harbour = dps_school("Fictional Harbour School", lots=(2,), day=False, residential=True)
    placement = awarded(
        officer,
        school=harbour,
        lot=2,
        setting="residential",
        start=date(2023, 4, 1),
        end=date(2026, 3, 31),
        education_fee="80000",
        care_fee="10000",
    )
    uplift(officer, placement, date(2024, 4, 1), "2.5")
    uplift(officer, placement, date(2025, 4, 1), "3.5")
    direct(
        officer,
        school=harbour,
        need="ASD",
        setting="residential",
        start=date(2025, 4, 1),
        end=date(2026, 3, 31),
        education_fee="70000",
    )
    with django_assert_num_queries(len(one_placement)):
        run(commissioner)
