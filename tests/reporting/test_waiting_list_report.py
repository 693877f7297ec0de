"""The waiting-list report: the council's referrals by stage and wait, the median and the trend; the NHS
returns by trust and month ("Not reported" never 0); and the two side by side."""

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

from contracts.models import PerformanceReturn
from core.models import District, TherapyType
from placements.models import Referral
from reporting import definitions
from reporting.models import ReportRun
from reporting.reports.waiting_list import WaitingListReport
from reporting.services import report_run_request
from tests.contracts.factories import ContractFactory
from tests.placements.factories import ChildFactory, ProvisionFactory, ReferralFactory
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db

AS_ON = date(2025, 3, 31)
AWAITING_INTERVENTION = Referral.Stage.AWAITING_INTERVENTION


@pytest.fixture(autouse=True)
def waiting_list_report_registered():
    definitions.register(WaitingListReport)


def build(**params) -> dict:
    definition = definitions.get_definition("waiting-list")
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


def referral(referred_on, *, stage=Referral.Stage.AWAITING_ASSESSMENT, ended=None, district="Swale", therapy=None):
    child = ChildFactory(district=District.objects.get(name=district))
    provision = ProvisionFactory(
        child=child,
        start_date=date(2023, 4, 1),
        **({"therapy_type": TherapyType.objects.get(code=therapy)} if therapy else {}),
    )
    return ReferralFactory(provision=provision, referred_on=referred_on, stage=stage, waiting_ended_on=ended)


@pytest.fixture
def waiting_list():
    """Weeks waited on 31 March 2025 in brackets."""
    return {
        "a": referral(date(2025, 3, 17)),  # (2) assessment
        "b": referral(date(2025, 1, 6)),  # (12: 84 days, the first day of "12 weeks or more") assessment
        "c": referral(date(2025, 1, 7)),  # (11: 83 days) assessment
        "d": referral(date(2024, 11, 25), stage=AWAITING_INTERVENTION),  # (18: the first day of 18 to 52)
        "e": referral(date(2024, 3, 25), stage=AWAITING_INTERVENTION),  # (53)
        "f": referral(date(2024, 6, 3), stage=Referral.Stage.PLACED, ended=date(2024, 10, 1)),  # placed before
        # Waiting on 31 March 2025 (65 weeks), closed since: counted as waiting then.
        "g": referral(date(2024, 1, 1), stage=Referral.Stage.CLOSED, ended=date(2025, 4, 15)),
        "h": referral(date(2025, 4, 2)),  # referred after the as-on date
    }


def test_counts_by_stage_and_wait_band(waiting_list):
    result = build(as_on="2025-03-31", trend_from="2024-10-01")
    stages = {r["stage"]: r["referrals"] for r in table(result, "stages")["rows"]}
    assert stages == {
        "Awaiting assessment": 3,
        "Awaiting intervention": 2,
        "Waiting then, since placed or closed": 1,
        "Placed": 1,
        "Closed": 0,
    }
    assert table(result, "stages")["footer"]["referrals"] == 7
    waits = {r["stage"]: r for r in table(result, "waits")["rows"]}
    bands = ("waiting", "under_12", "12_plus", "0_18", "18_52", "52_plus")
    assert [waits["Awaiting assessment"][b] for b in bands] == [3, 2, 1, 3, 0, 0]
    assert [waits["Awaiting intervention"][b] for b in bands] == [2, 0, 2, 0, 1, 1]
    assert [waits["Waiting then, since placed or closed"][b] for b in bands] == [1, 0, 1, 0, 0, 1]
    footer = table(result, "waits")["footer"]
    assert [footer[b] for b in bands] == [6, 2, 4, 3, 1, 2]
    assert footer["share_12_plus"] == "66.7"  # 4 of 6
    assert any("placed or closed since" in note for note in result["notes"])


def test_median_wait_of_those_still_waiting(waiting_list):
    result = build(as_on="2025-03-31")
    waits = {r["stage"]: r["median"] for r in table(result, "waits")["rows"]}
    assert waits == {
        "Awaiting assessment": "11.0",  # 2, 11, 12
        "Awaiting intervention": "35.5",  # 18 and 53: the middle two
        "Waiting then, since placed or closed": "65.0",
    }
    assert table(result, "waits")["footer"]["median"] == "15.0"  # 2, 11, 12, 18, 53, 65
    assert {"label": "Median wait (weeks)", "value": "15.0", "kind": "number"} in result["summary"]
    assert {"label": "Waiting on 31 March 2025", "value": 6, "kind": "int"} in result["summary"]


def test_trend_by_month_end(waiting_list):
    result = build(as_on="2025-03-31", trend_from="2024-10-15")
    trend = [(r["month"], r["day"], r["waiting"], r["over_12"]) for r in table(result, "trend")["rows"]]
    assert trend == [
        ("October 2024", "2024-10-31", 2, 2),  # e, g (f was placed on 1 October)
        ("November 2024", "2024-11-30", 3, 2),  # d joins
        ("December 2024", "2024-12-31", 3, 2),
        ("January 2025", "2025-01-31", 5, 2),  # b, c join
        ("February 2025", "2025-02-28", 5, 3),  # d reaches 12 weeks on 17 February
        ("March 2025", "2025-03-31", 6, 4),  # a joins; b reaches 12 weeks on the day
    ]
    assert table(result, "trend")["rows"][-1]["share"] == "66.7"
    chart = next(c for c in result["charts"] if c["key"] == "trend")
    assert (chart["kind"], chart["series"]) == ("line", ["waiting", "over_12"])


def test_a_month_not_yet_over_is_counted_on_the_as_on_date(waiting_list):
    trend = table(build(as_on="2025-03-20", trend_from="2025-03-01"), "trend")["rows"]
    assert [(r["day"], r["waiting"]) for r in trend] == [("2025-03-20", 6)]


def test_filters_by_therapy_and_district():
    referral(date(2025, 1, 1), district="Ashford", therapy="occupational")
    referral(date(2025, 1, 1), district="Swale", therapy="occupational")
    referral(date(2025, 1, 1), district="Ashford")
    ashford = str(District.objects.get(name="Ashford").pk)
    ot = str(TherapyType.objects.get(code="occupational").pk)
    assert table(build(as_on="2025-03-31", districts=[ashford]), "waits")["footer"]["waiting"] == 2
    assert table(build(as_on="2025-03-31", districts=[ashford], therapy_types=[ot]), "waits")["footer"]["waiting"] == 1


def test_the_trend_cannot_start_after_the_as_on_date(commissioner):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        report_run_request(
            kind="waiting-list", parameters={"as_on": "2025-03-31", "trend_from": "2025-04-01"}, user=commissioner
        )
    assert "trend_from" in caught.value.message_dict


@pytest.fixture
def seeded_returns():
    """The trusts' 2023 speech and language returns as the council's paper gives them."""
    from contracts.demo import seed

    seed(stdout=type("Out", (), {"write": lambda self, *_: None})(), rng=None)


def test_nhs_returns_keep_not_reported_apart_from_zero(seeded_returns):
    ekhuft = ContractFactory(supplier=ProviderFactory(legal_name="Zero Returns Trust", trading_name="Zero Trust"))
    PerformanceReturn.objects.create(
        contract=ekhuft,
        month=date(2023, 5, 1),
        therapy_type=TherapyType.objects.get(code="speech-language"),
        waiting_assessment=0,
        waiting_assessment_over_12_weeks=0,
        waiting_intervention=0,
        waiting_intervention_over_12_weeks=0,
    )
    result = build(as_on="2023-11-30", trend_from="2023-05-01")
    rows = {(r["month"], r["trust"]): r for r in table(result, "nhs-returns")["rows"]}
    may_ek = rows[("May 2023", "EKHUFT")]
    assert (may_ek["assessment"], may_ek["assessment_over_12"], may_ek["assessment_share"]) == (539, 407, "75.5")
    assert (may_ek["intervention"], may_ek["intervention_over_12"], may_ek["intervention_share"]) == (None, None, None)
    assert "not reported" in may_ek["notes"]
    may_kc = rows[("May 2023", "KCHFT")]
    assert (may_kc["intervention"], may_kc["intervention_over_12"], may_kc["intervention_share"]) == (
        3646,
        1663,
        "45.6",
    )
    zero = rows[("May 2023", "Zero Trust")]
    assert (zero["intervention"], zero["intervention_over_12"], zero["intervention_share"]) == (0, 0, "0.0")
    columns = {c["key"]: c for c in table(result, "nhs-returns")["columns"]}
    assert columns["intervention"]["empty"] == "Not reported"


def test_not_reported_is_written_out_in_every_download(seeded_returns, client, commissioner):
    run = report_run_request(
        kind="waiting-list", parameters={"as_on": "2023-11-30", "trend_from": "2023-05-01"}, user=commissioner
    )
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    content = run.files.get(format="csv", table="nhs-returns").file.read().decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(content)))
    ekhuft_may = next(r for r in rows if r[:2] == ["May 2023", "EKHUFT"])
    assert ekhuft_may[header.index("Waiting for intervention")] == "Not reported"
    assert ekhuft_may[header.index("Waiting for assessment")] == "539"
    workbook = load_workbook(io.BytesIO(run.files.get(format="xlsx").file.read()))
    sheet = workbook["NHS returns by trust and month"]
    cells = {(row[0], row[1]): row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}
    assert cells[("May 2023", "EKHUFT")][5] == "Not reported"
    assert cells[("May 2023", "KCHFT")][5] == 3646
    client.force_login(commissioner)
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Not reported" in page and "3,646" in page
    assert run.files.get(format="pdf").file.read().startswith(b"%PDF")
    for chart in ("trend", "comparison"):
        svg = client.get(reverse("reporting:reportrun-chart", args=[run.pk, chart]))
        assert svg.status_code == 200 and b"<title>" in svg.content


def test_the_council_and_the_trusts_side_by_side(seeded_returns):
    referral(date(2023, 1, 2))  # 21 weeks on 31 May 2023
    referral(date(2023, 5, 2))  # 4 weeks on 31 May 2023
    result = build(as_on="2023-07-31", trend_from="2023-05-01")
    rows = {(r["month"], r["source"]): r for r in table(result, "comparison")["rows"]}
    council = rows[("May 2023", "Council referrals")]
    assert (council["waiting"], council["over_12"], council["share"]) == (2, 1, "50.0")
    kchft = rows[("May 2023", "KCHFT")]  # 358 + 3,646 waiting; 27 + 1,663 over 12 weeks
    assert (kchft["covers"], kchft["waiting"], kchft["over_12"], kchft["share"]) == (
        "Assessment and intervention",
        4004,
        1690,
        "42.2",
    )
    ekhuft = rows[("May 2023", "EKHUFT")]
    assert (ekhuft["covers"], ekhuft["waiting"], ekhuft["over_12"], ekhuft["share"]) == (
        "Assessment only: intervention not reported",
        539,
        407,
        "75.5",
    )
    assert rows[("June 2023", "EKHUFT")]["covers"] == "No return"
    assert rows[("June 2023", "EKHUFT")]["waiting"] is None
    shares = {r["month"]: r for r in table(result, "comparison-share")["rows"]}
    assert [c["label"] for c in table(result, "comparison-share")["columns"]] == [
        "Month",
        "Council referrals",
        "EKHUFT",
        "KCHFT",
    ]
    assert list(shares["May 2023"].values())[1:] == ["50.0", "75.5", "42.2"]
    assert list(shares["June 2023"].values())[2:] == [None, None]
    chart = next(c for c in result["charts"] if c["key"] == "comparison")
    assert chart["kind"] == "line" and len(chart["series"]) == 3


def test_a_commissioners_run_names_no_child(waiting_list, commissioner):
    run = report_run_request(kind="waiting-list", parameters={"as_on": "2025-03-31"}, user=commissioner)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    assert not run.includes_child_identity
    text = everything_in(run)
    for item in waiting_list.values():
        child = item.child
        for identity in (child.first_name, child.last_name, child.ehcp_reference, child.pseudonym):
            assert identity not in text
        assert child.date_of_birth.isoformat() not in text


def test_provider_users_cannot_run_the_waiting_list_report(client, api_client, provider_a_user):
    assert not provider_a_user.has_perm("reporting.add_reportrun")
    client.force_login(provider_a_user)
    assert client.get(reverse("reporting:reportrun-create", args=["waiting-list"])).status_code == 403
    assert client.post(reverse("reporting:reportrun-create", args=["waiting-list"]), {}).status_code == 403
    api_client.force_authenticate(provider_a_user)
    response = api_client.post(reverse("api:reportrun-list"), {"kind": "waiting-list"}, format="json")
    assert response.status_code == 403
    assert not ReportRun.objects.exists()


def test_the_monthly_run_needs_no_parameters(commissioner):
    run = report_run_request(kind="waiting-list", parameters={}, user=None, scheduled=True)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    assert len(table(run.result, "trend")["rows"]) == 12


def test_building_the_report_takes_the_same_queries_whatever_the_rows(seeded_returns, django_assert_num_queries):
    definition = definitions.get_definition("waiting-list")
    params = definition.cleaned_params({"as_on": "2023-12-31", "trend_from": "2023-01-01"})
    referral(date(2023, 3, 1))
    with CaptureQueriesContext(connection) as small:
        definition.build(params=params, progress=lambda *_: None, user=None)
    # 4 queries: the referrals by stage with their wait bands and the trend (the totals add the stages up),
    # the median waits by stage and for all, the trusts' returns summed by month, and their data-quality notes.
    assert len(small) == 4
    for day in (date(2023, 2, 1), date(2023, 6, 1), date(2023, 9, 1)):
        referral(day)
        referral(day, stage=AWAITING_INTERVENTION)
        referral(day, stage=Referral.Stage.PLACED, ended=date(2023, 10, 2))
    contract = ContractFactory(supplier=ProviderFactory(trading_name="Another Trust"))
    for month in range(1, 13):
        PerformanceReturn.objects.create(
            contract=contract,
            month=date(2023, month, 1),
            therapy_type=TherapyType.objects.get(code="occupational"),
            waiting_assessment=10,
            data_quality_note=f"Note {month}",
        )
    with django_assert_num_queries(len(small)):
        definition.build(params=params, progress=lambda *_: None, user=None)


def test_a_trust_reporting_a_figure_in_some_returns_only_says_so():
    contract = ContractFactory(supplier=ProviderFactory(trading_name="Partial Trust"))
    for code, intervention in (("speech-language", 5), ("occupational", None)):
        PerformanceReturn.objects.create(
            contract=contract,
            month=date(2025, 3, 1),
            therapy_type=TherapyType.objects.get(code=code),
            waiting_assessment=4,
            waiting_intervention=intervention,
        )
    row = table(build(as_on="2025-03-31"), "nhs-returns")["rows"][0]
    assert (row["assessment"], row["intervention"]) == (8, 5)
    assert "Waiting for intervention is in 1 of its 2 returns only." in row["notes"]
    assert row["assessment_over_12"] is None and row["assessment_share"] is None
    assert Decimal(row["intervention"]) == 5
