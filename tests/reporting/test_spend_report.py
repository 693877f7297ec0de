"""The spend report: committed and actual spend by financial year, its breakdowns, changes and QPL share."""

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from contracts.models import Contract, ContractYear
from core.models import District, FundingSource, TherapyType
from placements import services
from placements.models import Invoice, Placement
from providers.models import Provider
from reporting import definitions
from reporting.models import ReportRun
from reporting.reports.spend import SpendReport
from reporting.services import report_run_request
from tests.contracts.factories import ContractFactory
from tests.placements.factories import (
    ChildFactory,
    InvoiceFactory,
    PlacementFactory,
    ProvisionFactory,
    qpl_call_off,
    qpl_provider,
)
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db

FY_2025 = {"financial_years": ["2025-26"]}


@pytest.fixture(autouse=True)
def spend_report_registered():
    """Another test registers a stand-in under the same kind and removes it afterwards: put the real one back."""
    definitions.register(SpendReport)


def build(**params) -> dict:
    definition = definitions.get_definition("spend")
    return definition.build(params=definition.cleaned_params(params), progress=lambda *_: None, user=None).to_json()


def everything_in(run) -> str:
    """The run's result and the text of its CSV and XLSX downloads."""
    parts = [json.dumps(run.result)]
    parts += [f.file.read().decode("utf-8-sig") for f in run.files.filter(format="csv")]
    workbook = load_workbook(io.BytesIO(run.files.get(format="xlsx").file.read()))
    parts += [str(value) for sheet in workbook for row in sheet.iter_rows(values_only=True) for value in row]
    return "\n".join(parts)


def table(result: dict, key: str) -> dict:
    return next(t for t in result["tables"] if t["key"] == key)


def rows_by(result: dict, key: str, *fields) -> dict:
    return {tuple(r[f] for f in fields): r for r in table(result, key)["rows"]}


def therapy(code: str) -> TherapyType:
    return TherapyType.objects.get(code=code)


def district(name: str) -> District:
    return District.objects.get(name=name)


def spot(*, start, end, rate="70.00", therapy_code="speech-language", district_name="Swale", provider=None):
    provision = ProvisionFactory(
        child=ChildFactory(district=district(district_name)), therapy_type=therapy(therapy_code)
    )
    return PlacementFactory(
        provision=provision,
        start_date=start,
        end_date=end,
        rate=Decimal(rate),
        **({"provider": provider} if provider else {}),
    )


def paid(placement, *, amount, period_start, period_end, status=Invoice.Status.PAID):
    return InvoiceFactory(
        placement=placement,
        amount=Decimal(amount),
        expected_amount=Decimal(amount),
        period_start=period_start,
        period_end=period_end,
        status=status,
        paid_on=period_end if status == Invoice.Status.PAID else None,
    )


@pytest.fixture
def three_years_of_spot_purchases():
    """Approved and paid invoices adding up to the council's spot-purchase spend for 2019-20 to 2021-22."""
    placement = spot(start=date(2019, 4, 1), end=date(2022, 3, 31))
    paid(placement, amount="1000000.00", period_start=date(2019, 4, 1), period_end=date(2019, 9, 30))
    # Ends on 31 March 2020: still 2019-20.
    paid(
        placement,
        amount="134984.00",
        period_start=date(2020, 3, 1),
        period_end=date(2020, 3, 31),
        status=Invoice.Status.APPROVED,
    )
    paid(placement, amount="1291000.00", period_start=date(2020, 4, 1), period_end=date(2020, 12, 31))
    # Ends in January 2021: the financial year that started in April 2020.
    paid(placement, amount="166.00", period_start=date(2021, 1, 1), period_end=date(2021, 1, 31))
    paid(placement, amount="1618487.00", period_start=date(2021, 4, 1), period_end=date(2022, 3, 31))
    # Neither submitted nor disputed invoices are spend.
    paid(
        placement,
        amount="99999.00",
        period_start=date(2021, 4, 1),
        period_end=date(2021, 4, 30),
        status=Invoice.Status.SUBMITTED,
    )
    paid(
        placement,
        amount="5000.00",
        period_start=date(2021, 5, 1),
        period_end=date(2021, 5, 31),
        status=Invoice.Status.DISPUTED,
    )
    return placement


def test_year_on_year_change_is_computed_from_the_spend(three_years_of_spot_purchases):
    result = build(financial_years=["2019-20", "2020-21", "2021-22"])
    years = rows_by(result, "years", "year")
    assert [years[(y,)]["actual"] for y in ("2019-20", "2020-21", "2021-22")] == [
        "1134984.00",
        "1291166.00",
        "1618487.00",
    ]
    # (1,291,166 - 1,134,984) / 1,134,984 = 13.76%; (1,618,487 - 1,291,166) / 1,291,166 = 25.35%
    assert years[("2020-21",)]["actual_change"] == "13.8"
    assert years[("2021-22",)]["actual_change"] == "25.4"
    assert years[("2019-20",)]["actual_change"] is None  # nothing in 2018-19 to compare with
    assert table(result, "years")["footer"]["actual"] == "4044637.00"
    assert any("computed from the spend in this report" in note for note in result["notes"])
    assert any("period ends" in note for note in result["notes"])
    assert {"label": "Change in actual spend, 2021-22 on 2020-21", "value": "25.4", "kind": "percent"} in result[
        "summary"
    ]


def test_a_change_compares_with_the_year_before_even_when_that_year_is_not_shown(three_years_of_spot_purchases):
    result = build(financial_years=["2021-22"])
    assert [r["year"] for r in table(result, "years")["rows"]] == ["2021-22"]
    assert table(result, "years")["rows"][0]["actual_change"] == "25.4"


def test_committed_spend_is_split_across_the_year_boundary():
    # 1 January to 30 April 2025 is 120 days: £73 x 1 hour x 38 weeks x 120 / 365 = £912.00,
    # of which 90 days (January to March) fall in 2024-25 and 30 days (April) in 2025-26.
    spot(start=date(2025, 1, 1), end=date(2025, 4, 30), rate="73.00")
    result = build()
    years = rows_by(result, "years", "year")
    assert years[("2024-25",)]["committed"] == "684.00"
    assert years[("2025-26",)]["committed"] == "228.00"
    assert table(result, "years")["footer"]["committed"] == "912.00"
    assert years[("2025-26",)]["committed_change"] == "-66.7"  # (228 - 684) / 684


@pytest.fixture
def a_year_of_arrangements(officer):
    """2025-26: a QPL call-off, a spot purchase and a personal budget for children, and a contract."""
    year = {"start": date(2025, 4, 1), "end": date(2026, 3, 31)}  # 365 days: a full year's cost
    on_qpl = qpl_provider(legal_name="Listed Therapy Ltd", trading_name="Listed Therapy", rate="70.00")
    call_off = qpl_call_off(
        provision=ProvisionFactory(child=ChildFactory(district=district("Ashford"))),
        provider=on_qpl,
        user=officer,
        **year,
    )  # £70 x 1 x 38 = £2,660.00
    spot_purchase = spot(
        **year,
        therapy_code="occupational",
        provider=ProviderFactory(legal_name="Unlisted Therapy Ltd", trading_name="Unlisted Therapy"),
    )  # £2,660.00
    budget = services.placement_arrange(
        provision=ProvisionFactory(child=ChildFactory(district=district("Ashford"))),
        arrangement=Placement.Arrangement.PERSONAL_BUDGET,
        user=officer,
        start_date=year["start"],
        end_date=year["end"],
        units_per_week=Decimal("1.00"),
        budget_amount=Decimal("1330.00"),
        budget_signed_on=date(2025, 3, 1),
        budget_review_on=date(2025, 9, 1),
        funding_source=FundingSource.GENERAL_FUND,  # social care pays this family's budget
    )
    services.placement_activate(placement=budget, user=officer)
    trust = ProviderFactory(legal_name="Fictional Community NHS Trust", trading_name="Fictional Trust")
    contract = ContractFactory(supplier=trust, start_date=date(2025, 4, 1), end_date=date(2026, 3, 31), value="3990.00")
    contract.therapy_types.set([therapy("speech-language"), therapy("occupational")])
    contract.districts.set([district("Swale"), district("Ashford")])
    ContractFactory(  # a draft commits nothing
        status=Contract.Status.DRAFT, start_date=date(2025, 4, 1), end_date=date(2026, 3, 31), value="100000.00"
    )
    paid(call_off, amount="700.00", period_start=date(2025, 4, 1), period_end=date(2025, 6, 30))
    paid(spot_purchase, amount="1400.00", period_start=date(2025, 4, 1), period_end=date(2025, 7, 31))
    return {"call_off": call_off, "spot": spot_purchase, "budget": budget, "contract": contract}


def test_share_bought_off_the_qpl_is_picked_out_each_year(a_year_of_arrangements):
    result = build(**FY_2025)
    year = table(result, "years")["rows"][0]
    # Committed: £2,660 call-off + £2,660 spot + £1,330 budget + £3,990 contract = £10,640; spot is 25%.
    assert (year["committed"], year["committed_off_qpl"], year["committed_off_qpl_share"]) == (
        "10640.00",
        "2660.00",
        "25.0",
    )
    # Actual: £700 call-off + £1,400 spot: two thirds off the QPL.
    assert (year["actual"], year["actual_off_qpl"], year["actual_off_qpl_share"]) == ("2100.00", "1400.00", "66.7")
    columns = {c["key"]: c for c in table(result, "years")["columns"]}
    assert columns["committed_off_qpl_share"]["highlight"] and columns["actual_off_qpl_share"]["highlight"]
    assert {"label": "Committed off the QPL, 2025-26", "value": "25.0", "kind": "share"} in result["summary"]
    assert {"label": "Actual off the QPL, 2025-26", "value": "66.7", "kind": "share"} in result["summary"]


def test_spend_by_arrangement_and_provider(a_year_of_arrangements):
    result = build(group_by="arrangement", then_by="provider", **FY_2025)
    rows = rows_by(result, "breakdown", "d0", "d1")
    assert {key: (r["committed"], r["actual"]) for key, r in rows.items()} == {
        ("QPL call-off", "Listed Therapy"): ("2660.00", "700.00"),
        ("Spot purchase (not on the QPL)", "Unlisted Therapy"): ("2660.00", "1400.00"),
        ("Personal budget", "The family (personal budget)"): ("1330.00", "0.00"),
        ("Contract", "Fictional Trust"): ("3990.00", "0.00"),
    }
    assert rows[("Contract", "Fictional Trust")]["committed_share"] == "37.5"  # 3,990 / 10,640
    assert [r["off_qpl"] for r in table(result, "breakdown")["rows"] if r["off_qpl"]] == [True]
    assert rows[("Spot purchase (not on the QPL)", "Unlisted Therapy")]["off_qpl"] is True


def test_contracts_are_not_split_by_therapy_or_district(a_year_of_arrangements):
    result = build(group_by="therapy", then_by="district", **FY_2025)
    rows = {key: r["committed"] for key, r in rows_by(result, "breakdown", "d0", "d1").items()}
    assert rows == {
        ("Contract (not split)", "Contract (not split)"): "3990.00",
        ("Occupational therapy", "Swale"): "2660.00",
        ("Speech and language therapy", "Ashford"): "3990.00",  # the call-off and the personal budget
    }
    wide = table(result, "committed-by")
    assert [c["label"] for c in wide["columns"]] == [
        "Financial year",
        "Contract (not split)",
        "Occupational therapy",
        "Speech and language therapy",
        "Total",
    ]
    assert wide["rows"][0]["total"] == "10640.00"
    chart = next(c for c in result["charts"] if c["key"] == "committed")
    assert chart["kind"] == "stacked" and chart["table"] == "committed-by" and len(chart["series"]) == 3


def test_filters_keep_contracts_covering_a_therapy_whole_and_drop_them_with_other_arrangements(
    a_year_of_arrangements,
):
    ot = str(therapy("occupational").pk)
    by_therapy = table(build(therapy_types=[ot], **FY_2025), "years")["rows"][0]
    assert by_therapy["committed"] == "6650.00"  # the OT spot purchase and the whole contract
    placements_only = build(arrangements=["qpl_call_off", "spot_purchase"], **FY_2025)
    assert table(placements_only, "years")["rows"][0]["committed"] == "5320.00"
    assert table(placements_only, "years")["rows"][0]["committed_off_qpl_share"] == "50.0"
    contract_only = build(arrangements=["contract"], group_by="funding", **FY_2025)
    assert {r["d0"]: r["committed"] for r in table(contract_only, "breakdown")["rows"]} == {
        "Dedicated Schools Grant: High Needs Block": "3990.00"
    }
    supplier = a_year_of_arrangements["contract"].supplier
    assert table(build(providers=[str(supplier.pk)], **FY_2025), "years")["rows"][0]["committed"] == "3990.00"


def test_on_and_off_the_qpl_and_funding_source(a_year_of_arrangements):
    by_qpl = {r["d0"]: r["committed"] for r in table(build(group_by="qpl", **FY_2025), "breakdown")["rows"]}
    assert by_qpl == {
        "Not bought through the QPL": "5320.00",
        "Off the QPL (spot purchase)": "2660.00",
        "On the QPL (call-off)": "2660.00",
    }
    by_funding = build(group_by="funding", **FY_2025)
    # The contract (£3,990) and the two bought placements (£2,660 each) from the High Needs Block; the budget not.
    assert {r["d0"]: r["committed"] for r in table(by_funding, "breakdown")["rows"]} == {
        "Dedicated Schools Grant: High Needs Block": "9310.00",
        "Council general fund": "1330.00",
    }


def test_nmiss_school_placements_are_committed_spend_pro_rated_across_years(a_year_of_arrangements, officer):
    school = ProviderFactory(
        kind=Provider.Kind.INDEPENDENT_SCHOOL, legal_name="Fictional Weald School Ltd", trading_name="Weald School"
    )
    # 1 January 2026 to 31 December 2026 at £36,500 a year: 90 days (£9,000) in 2025-26, 275 (£27,500) in 2026-27.
    services.school_placement_create(
        child=ChildFactory(district=district("Dover")),
        school=school,
        setting="day",
        weeks=38,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        education_fee=Decimal("30000.00"),
        therapy_fee=Decimal("6500.00"),
        funding_source=FundingSource.POOLED,
        user=officer,
    )
    both = {"financial_years": ["2025-26", "2026-27"]}
    by_arrangement = rows_by(build(**both), "breakdown", "year", "d0")
    assert by_arrangement[("2025-26", "NMISS school placement")]["committed"] == "9000.00"
    assert by_arrangement[("2025-26", "NMISS school placement")]["actual"] == "0.00"
    assert by_arrangement[("2026-27", "NMISS school placement")]["committed"] == "27500.00"
    years = rows_by(build(**both), "years", "year")
    assert years[("2025-26",)]["committed"] == "19640.00"  # £10,640 of therapy and contract, £9,000 of school
    by_funding = rows_by(build(group_by="funding", **FY_2025), "breakdown", "d0")
    assert by_funding[("Pooled budget",)]["committed"] == "9000.00"
    by_district = rows_by(build(group_by="district", **FY_2025), "breakdown", "d0")
    assert by_district[("Dover",)]["committed"] == "9000.00"
    by_provider = rows_by(build(group_by="provider", **FY_2025), "breakdown", "d0")
    assert by_provider[("Weald School",)]["committed"] == "9000.00"
    by_therapy = rows_by(build(group_by="therapy", **FY_2025), "breakdown", "d0")
    assert by_therapy[("School place (not by therapy)",)]["committed"] == "9000.00"
    # A therapy filter, or arrangements without school placements, leave them out; choosing them keeps only them.
    ot = str(therapy("occupational").pk)
    assert table(build(therapy_types=[ot], **FY_2025), "years")["rows"][0]["committed"] == "6650.00"
    assert table(build(arrangements=["spot_purchase"], **FY_2025), "years")["rows"][0]["committed"] == "2660.00"
    schools_only = build(arrangements=["school_placement"], **FY_2025)
    assert table(schools_only, "years")["rows"][0]["committed"] == "9000.00"
    in_swale = build(districts=[str(district("Swale").pk)], arrangements=["school_placement"], **FY_2025)
    assert all(row["committed"] == "0.00" for row in table(in_swale, "years")["rows"])


def test_the_same_breakdown_twice_is_refused(a_year_of_arrangements, commissioner):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        report_run_request(kind="spend", parameters={"group_by": "district", "then_by": "district"}, user=commissioner)
    assert "then_by" in caught.value.message_dict


def test_a_commissioners_run_names_no_child(a_year_of_arrangements, three_years_of_spot_purchases, commissioner):
    run = report_run_request(
        kind="spend", parameters={"group_by": "district", "then_by": "provider"}, user=commissioner
    )
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    assert not run.includes_child_identity
    text = everything_in(run)
    placements = Placement.objects.select_related("child")
    assert placements.count() == 4
    for placement in placements:
        child = placement.child
        for identity in (child.first_name, child.last_name, child.ehcp_reference, child.pseudonym):
            assert identity not in text
        assert child.date_of_birth.isoformat() not in text


def test_provider_users_cannot_run_the_spend_report(client, api_client, provider_a_user):
    assert not provider_a_user.has_perm("reporting.add_reportrun")
    client.force_login(provider_a_user)
    assert client.get(reverse("reporting:reportrun-create", args=["spend"])).status_code == 403
    assert client.post(reverse("reporting:reportrun-create", args=["spend"]), {}).status_code == 403
    api_client.force_authenticate(provider_a_user)
    response = api_client.post(reverse("api:reportrun-list"), {"kind": "spend"}, format="json")
    assert response.status_code == 403
    assert not ReportRun.objects.exists()


def test_the_page_keeps_every_ticked_box_and_shows_the_downloads(client, commissioner, a_year_of_arrangements):
    client.force_login(commissioner)
    slt, ot = therapy("speech-language"), therapy("occupational")
    response = client.post(
        reverse("reporting:reportrun-create", args=["spend"]),
        {"financial_years": ["2025-26"], "therapy_types": [slt.pk, ot.pk], "group_by": "arrangement"},
    )
    run = ReportRun.objects.get()
    assert response["Location"] == run.get_absolute_url()
    assert sorted(run.parameters["therapy_types"]) == sorted([str(slt.pk), str(ot.pk)])
    assert run.result["tables"][0]["rows"][0]["committed"] == "10640.00"
    page = client.get(run.get_absolute_url()).content.decode()
    assert "£10,640.00" in page and "25.0%" in page and "app-cell--gap" in page
    assert "No year before to compare" in page  # a change with nothing before it is not "Not reported"
    years_csv = run.files.get(format="csv", table="").file.read().decode("utf-8-sig")
    header, first = list(csv.reader(io.StringIO(years_csv)))[:2]
    assert header[:3] == ["Financial year", "Committed", "Committed: change on the year before"]
    assert first[:3] == ["2025-26", "10640.00", "No year before to compare"]
    sheet = load_workbook(io.BytesIO(run.files.get(format="xlsx").file.read()))["Spend by financial year"]
    assert sheet["B2"].value == Decimal("10640.00") and sheet["G2"].value == 25
    assert run.files.get(format="pdf").file.read().startswith(b"%PDF")
    chart = client.get(reverse("reporting:reportrun-chart", args=[run.pk, "committed"]))
    assert chart.status_code == 200 and b"<title>Committed spend by financial year and arrangement</title>" in (
        chart.content
    )


def test_building_the_report_takes_the_same_queries_whatever_the_rows(django_assert_num_queries, officer):
    definition = definitions.get_definition("spend")
    params = definition.cleaned_params({"group_by": "provider", "then_by": "district"})
    spot(start=date(2024, 4, 1), end=date(2025, 3, 31))
    with CaptureQueriesContext(connection) as small:
        definition.build(params=params, progress=lambda *_: None, user=None)
    # 4 queries: spend by year, provider and district from each source (placements' and school placements'
    # commitments, contract years, invoices); the figures by year and provider, and the totals, add those up.
    assert len(small) == 4
    for n in range(3):
        placement = spot(start=date(2023, 4, 1), end=date(2026, 3, 31), district_name="Ashford")
        paid(placement, amount="100.00", period_start=date(2024, 4, 1), period_end=date(2024, 4, 30))
        contract = ContractFactory(start_date=date(2021 + n, 4, 1), end_date=date(2025, 3, 31), value="1000")
        ContractYear.objects.create(contract=contract, financial_year=2024, value=Decimal("500.00"))
        services.school_placement_create(
            child=ChildFactory(),
            school=ProviderFactory(kind=Provider.Kind.NON_MAINTAINED_SCHOOL),
            setting="day",
            weeks=38,
            start_date=date(2024, 9, 1),
            end_date=date(2025, 7, 31),
            education_fee=Decimal("40000.00"),
            user=officer,
        )
    with django_assert_num_queries(len(small)):
        definition.build(params=params, progress=lambda *_: None, user=None)


def test_the_monthly_run_needs_no_parameters(a_year_of_arrangements):
    run = report_run_request(kind="spend", parameters={}, user=None, scheduled=True)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    assert [r["year"] for r in table(run.result, "years")["rows"]] == ["2025-26"]
    assert {r["d0"] for r in table(run.result, "breakdown")["rows"]} == {
        "Contract",
        "Personal budget",
        "QPL call-off",
        "Spot purchase (not on the QPL)",
    }
