"""Contracts: rule warnings, money over time, coverage, standard returns, permissions, query counts."""

import html
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contracts import services
from contracts.models import BudgetElement, Contract, ContractAlert, ContractYear, PerformanceReturn, Variation
from contracts.selectors import comparison, contract_list, contract_warnings, coverage
from core.models import District, TherapyType
from core.roles import Role
from tests.contracts.factories import ContractFactory, route
from tests.core.factories import UserFactory
from tests.providers.factories import ProviderFactory, admit, complete_answers

pytestmark = pytest.mark.django_db


def warnings_for(contract, user):
    return contract_warnings(contract_list(user=user).get(pk=contract.pk))


def test_a_total_over_the_key_decision_threshold_needs_a_decision_number(officer):
    contract = ContractFactory(key_decision_number="", value="1000000.01")
    assert any("key-decision threshold of £1,000,000" in w for w in warnings_for(contract, officer))
    Contract.objects.filter(pk=contract.pk).update(key_decision_number="24/00008")
    assert warnings_for(contract, officer) == []


def test_the_threshold_is_data_commissioners_can_change(officer):
    contract = ContractFactory(key_decision_number="", value="900000")
    assert warnings_for(contract, officer) == []
    services.route_update(route=route("psr-direct-c"), data={"key_decision_threshold": Decimal("800000")})
    assert "key-decision threshold of £800,000" in warnings_for(contract, officer)[0]


def test_a_spot_purchase_over_the_light_touch_threshold_is_flagged(officer):
    contract = ContractFactory(procurement_route=route("spot-purchase"), value="663540.01")
    assert any("over the £663,540" in w for w in warnings_for(contract, officer))


def test_unsigned_but_delivering_is_flagged(officer):
    contract = ContractFactory(signed_on=None, value="100")
    assert "It is delivering without a signed contract." in warnings_for(contract, officer)


def test_budget_elements_that_do_not_add_up_are_flagged_with_the_difference(officer):
    contract = ContractFactory(budget_envelope=Decimal("2279491.00"), value="2279491")
    services.element_add(contract=contract, name="Element One", amount=Decimal("1860000"))
    services.element_add(contract=contract, name="Element Two", amount=Decimal("415431"))
    warning = next(w for w in warnings_for(contract, officer) if "budget elements" in w)
    assert warning == (
        "Its budget elements add up to £2,275,431.00, not the budget envelope of £2,279,491.00: "
        "a difference of £4,060.00."
    )
    BudgetElement.objects.filter(name="Element Two").update(amount=Decimal("419491"))
    assert not any("budget elements" in w for w in warnings_for(contract, officer))


def test_an_uplift_applies_to_the_years_it_affects_and_records_what_changed(commissioner):
    contract = ContractFactory(start_date=date(2024, 4, 1), end_date=date(2026, 3, 31))
    services.contract_year_set(contract=contract, financial_year=2024, value=Decimal("752905"))
    services.contract_year_set(contract=contract, financial_year=2025, value=Decimal("752905"))
    variation = services.variation_apply(
        contract=contract,
        kind=Variation.Kind.UPLIFT,
        effective_on=date(2025, 4, 1),
        uplift_percent=Decimal("3.5"),
        reason="Inflationary uplift",
        user=commissioner,
    )
    values = dict(ContractYear.objects.filter(contract=contract).values_list("financial_year", "value"))
    assert values == {2024: Decimal("752905.00"), 2025: Decimal("779256.68")}
    assert variation.applied == {"2025-26": ["752905.00", "779256.68"]}


def test_an_extension_cannot_use_more_months_than_the_option(commissioner):
    contract = ContractFactory(start_date=date(2025, 9, 1), end_date=date(2030, 8, 31), extension_months_available=24)
    services.variation_apply(
        contract=contract,
        kind="extension",
        effective_on=date(2030, 8, 1),
        extension_months=12,
        reason="First year of the option",
        user=commissioner,
    )
    contract.refresh_from_db()
    assert (contract.end_date, contract.extension_months_used) == (date(2031, 8, 31), 12)
    with pytest.raises(ValidationError):
        services.variation_apply(
            contract=contract,
            kind="extension",
            effective_on=date(2031, 8, 1),
            extension_months=13,
            reason="Too far",
            user=commissioner,
        )


def test_database_constraints_hold_the_invariants():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        ContractFactory(start_date=date(2024, 1, 1), end_date=date(2023, 1, 1))


def test_coverage_shows_the_swale_gap(officer):
    slt = TherapyType.objects.get(code="speech-language")
    contract = ContractFactory(start_date=date(2024, 4, 1), end_date=timezone.localdate() + timedelta(days=30))
    contract.therapy_types.add(slt)
    contract.districts.set(District.objects.filter(name__in=["Ashford", "Dover", "Canterbury"]))
    grid = coverage(user=officer, therapies=[slt])
    cells = {row["district"].name: row["cells"][0] for row in grid["grid"]}
    assert cells["Swale"].is_gap and not cells["Ashford"].is_gap
    assert cells["Ashford"].contracts[0]["reference"] == contract.reference
    admit(complete_answers(ProviderFactory(legal_name="Swale Speech Ltd", trading_name="Swale Speech")))
    cells = {row["district"].name: row["cells"][0] for row in coverage(user=officer, therapies=[slt])["grid"]}
    assert not cells["Swale"].is_gap and cells["Swale"].providers == ["Swale Speech"]


TEMPLATE_HEADER = (
    "month,contract_reference,therapy_type,locality,referrals_received,waiting_assessment,"
    "waiting_assessment_over_12_weeks,waiting_intervention,waiting_intervention_over_12_weeks,"
    "waiting_0_18_weeks,waiting_18_52_weeks,waiting_over_52_weeks,caseload,data_quality_note\n"
)


def returns_file(*rows: str) -> bytes:
    return (TEMPLATE_HEADER + "".join(r + "\n" for r in rows)).encode()


@pytest.fixture
def trust_contract():
    return ContractFactory(reference="KCHFT-W", start_date=date(2023, 4, 1), end_date=date(2024, 3, 31))


def test_a_valid_file_imports_every_row(trust_contract, commissioner):
    batch = services.returns_import(
        content=returns_file(
            "2023-05,KCHFT-W,speech-language,,268,358,27,3646,1663,,,,,Includes children receiving intervention",
            "2023-11,KCHFT-W,speech-language,,179,269,8,2409,867,,,,,",
        ),
        filename="returns.csv",
        user=commissioner,
    )
    assert batch.rows == 2
    may = PerformanceReturn.objects.get(month=date(2023, 5, 1))
    assert (may.waiting_intervention, may.waiting_0_18_weeks) == (3646, None)


def test_one_bad_row_imports_nothing_and_names_the_row_and_column(trust_contract, commissioner):
    with pytest.raises(ValidationError) as caught:
        services.returns_import(
            content=returns_file(
                "2023-05,KCHFT-W,speech-language,,268,358,27,3646,1663,,,,,",
                "2023-07,KCHFT-W,speech-language,,230,368,400,2822,1337,,,,,",
                "2025-07,KCHFT-W,speech-language,,-1,,,,,,,,,",
            ),
            filename="returns.csv",
            user=commissioner,
        )
    errors = caught.value.message_dict["file"]
    assert (
        "Row 3, column waiting_assessment_over_12_weeks: 400 waiting over 12 weeks is more than the 368 waiting in all"
        in errors
    )
    assert any(e.startswith("Row 4, column month: July 2025 is outside contract KCHFT-W") for e in errors)
    assert any(e.startswith("Row 4, column referrals_received:") for e in errors)
    assert not PerformanceReturn.objects.exists()


def test_re_uploading_a_month_needs_replace(trust_contract, commissioner):
    content = returns_file("2023-05,KCHFT-W,speech-language,,268,358,27,3646,1663,,,,,")
    services.returns_import(content=content, filename="a.csv", user=commissioner)
    with pytest.raises(ValidationError) as caught:
        services.returns_import(content=content.replace(b"268", b"270"), filename="b.csv", user=commissioner)
    assert "Choose to replace it" in caught.value.messages[0]
    assert PerformanceReturn.objects.get().referrals_received == 268
    batch = services.returns_import(
        content=content.replace(b"268", b"270"), filename="b.csv", user=commissioner, replace=True
    )
    assert batch.replaced == 1 and PerformanceReturn.objects.get().referrals_received == 270


def test_comparison_keeps_not_reported_distinct_from_zero(commissioner):
    ContractFactory(reference="EK", supplier=ProviderFactory(legal_name="EKHUFT", trading_name="EKHUFT"))
    ContractFactory(reference="KC", supplier=ProviderFactory(legal_name="KCHFT", trading_name="KCHFT"))
    services.returns_import(
        content=returns_file(
            "2023-05,EK,speech-language,,83,539,407,,,,,,,Interventions not counted",
            "2023-05,KC,speech-language,,268,358,27,3646,1663,,,,,",
            "2023-11,KC,speech-language,,179,269,8,2409,867,,,,,",
            "2023-11,EK,speech-language,,177,70,16,0,0,,,,,",
        ),
        filename="r.csv",
        user=commissioner,
    )
    result = comparison(user=commissioner)
    names = [name for _, name in result["suppliers"]]
    may, november = result["months"]
    ek, kc = names.index("EKHUFT"), names.index("KCHFT")
    assert may["by_supplier"][ek]["waiting_intervention"] is None  # not reported
    assert november["by_supplier"][ek]["waiting_intervention"] == 0  # reported as zero
    assert (may["by_supplier"][kc]["waiting_intervention"], november["by_supplier"][kc]["waiting_intervention"]) == (
        3646,
        2409,
    )
    assert may["by_supplier"][ek]["notes"] == ["Interventions not counted"]
    assert may["by_supplier"][kc]["assessment_over_12_share"] == Decimal("7.5")


def test_the_comparison_page_shows_the_seed_returns(client, officer):
    from contracts.demo import seed

    seed(stdout=type("Out", (), {"write": lambda self, *_: None})(), rng=None)
    client.force_login(officer)
    html = client.get(reverse("contracts:performance-comparison")).content.decode()
    assert "3,646" in html and "2,409" in html
    assert "Not reported" in html
    assert "Interventions are not counted separately" in html


def test_alerts_are_raised_for_endings_and_unsigned_and_resolved_when_no_longer_true():
    today = timezone.localdate()
    soon = ContractFactory(start_date=today - timedelta(days=300), end_date=today + timedelta(days=20))
    later = ContractFactory(
        start_date=today - timedelta(days=300), end_date=today + timedelta(days=150), signed_on=None
    )
    outcome = services.contract_alerts_check(today=today)
    kinds = {(a.contract_id, a.kind) for a in ContractAlert.objects.filter(resolved_on__isnull=True)}
    assert kinds == {(soon.pk, "ending_1"), (later.pk, "ending_6"), (later.pk, "unsigned")}
    assert outcome["raised"] == 3
    Contract.objects.filter(pk=later.pk).update(signed_on=today)
    assert services.contract_alerts_check(today=today) == {"raised": 0, "resolved": 1}


def test_alerts_show_on_officer_and_commissioner_home_pages(client, officer, commissioner, provider_a_user):
    today = timezone.localdate()
    contract = ContractFactory(
        start_date=today - timedelta(days=30), end_date=today + timedelta(days=40), signed_on=None
    )
    services.contract_alerts_check(today=today)
    for person in (officer, commissioner):
        client.force_login(person)
        html = client.get("/").content.decode()
        assert contract.reference in html and "Ends within 3 months" in html
    client.force_login(provider_a_user)
    assert "Contract alerts" not in client.get("/").content.decode()


def test_commissioners_edit_contracts_and_officers_only_read(client, officer, commissioner):
    contract = ContractFactory()
    url = reverse("contracts:contract-edit", args=[contract.pk])
    client.force_login(officer)
    assert client.get(reverse("contracts:contract-detail", args=[contract.pk])).status_code == 200
    assert client.get(url).status_code == 403
    assert (
        client.post(
            reverse("contracts:contract-part", args=[contract.pk, "year"]), {"financial_year": 2023, "value": "1"}
        ).status_code
        == 403
    )
    client.force_login(commissioner)
    response = client.post(
        reverse("contracts:contract-part", args=[contract.pk, "year"]), {"financial_year": 2023, "value": "5000"}
    )
    assert response.status_code == 302 and contract.years.get().value == Decimal("5000.00")
    bad = client.post(
        reverse("contracts:contract-part", args=[contract.pk, "year"]), {"financial_year": 2030, "value": "5000"}
    )
    assert "outside the contract's term" in html.unescape(bad.content.decode())


def test_providers_see_and_upload_only_their_own_contracts_returns(client, api_client, provider_a_user, provider_b):
    own = ContractFactory(reference="OWN", supplier=provider_a_user.provider)
    other = ContractFactory(reference="OTHER", supplier=provider_b)
    services.returns_import(
        content=returns_file("2023-05,OTHER,speech-language,,1,1,0,,,,,,,"),
        filename="x.csv",
        user=UserFactory(role=Role.COMMISSIONER),
    )
    client.force_login(provider_a_user)
    assert client.get(reverse("contracts:contract-detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("contracts:contract-detail", args=[own.pk])).status_code == 200
    response = client.post(
        reverse("contracts:performance-upload"),
        {
            "file": SimpleUploadedFile("r.csv", returns_file("2023-06,OTHER,speech-language,,5,5,0,,,,,,,")),
        },
    )
    assert response.status_code == 400 and "'OTHER' is not a contract you can send returns for" in html.unescape(
        response.content.decode()
    )
    client.post(
        reverse("contracts:performance-upload"),
        {
            "file": SimpleUploadedFile("r.csv", returns_file("2023-06,OWN,speech-language,,5,5,0,,,,,,,")),
        },
    )
    assert PerformanceReturn.objects.filter(contract=own).count() == 1
    api_client.force_authenticate(provider_a_user)
    listing = api_client.get(reverse("api:performancereturn-list")).json()
    assert [r["contract_reference"] for r in listing["results"]] == ["OWN"]
    assert "OTHER" not in client.get(reverse("contracts:performance-comparison")).content.decode()


def test_the_api_creates_contracts_and_imports_returns(token_for, commissioner, provider_a):
    client = token_for(
        scopes=["contracts:read", "contracts:write", "performance-returns:read", "performance-returns:write"],
        user=commissioner,
    )
    created = client.post(
        reverse("api:contract-list"),
        {
            "reference": "API-1",
            "title": "Through the API",
            "supplier": provider_a.pk,
            "start_date": "2024-04-01",
            "end_date": "2025-03-31",
            "procurement_route": "psr-direct-b",
            "therapy_types": ["speech-language"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["procurement_route"] == "psr-direct-b"
    bad = client.post(
        reverse("api:contract-list"),
        {
            "reference": "API-2",
            "title": "Ends first",
            "supplier": provider_a.pk,
            "start_date": "2024-04-01",
            "end_date": "2023-03-31",
        },
        format="json",
    )
    assert bad.status_code == 400
    year = client.post(
        reverse("api:contractyear-list"),
        {"contract": created.json()["id"], "financial_year": 2024, "value": "1200000"},
        format="json",
    )
    assert year.status_code == 201
    detail = client.get(reverse("api:contract-detail", args=[created.json()["id"]])).json()
    assert detail["total_value"] == "1200000.00"
    assert any("key decision" in w for w in detail["warnings"])
    upload = client.post(
        reverse("api:performancereturn-import"),
        {"file": SimpleUploadedFile("r.csv", returns_file("2024-05,API-1,speech-language,,1,2,0,,,,,,,"))},
        format="multipart",
    )
    assert upload.status_code == 201 and upload.json() == {"rows": 1, "replaced": 0}
    refused = client.post(
        reverse("api:performancereturn-import"),
        {"file": SimpleUploadedFile("r.csv", returns_file("2024-05,API-1,speech-language,,1,2,0,,,,,,,"))},
        format="multipart",
    )
    assert refused.status_code == 400 and refused.json()["errors"]["file"][0].startswith("Row 2, column month")


def test_officer_tokens_cannot_change_contracts(token_for, officer):
    contract = ContractFactory()
    client = token_for(scopes=["contracts:read", "contracts:write"], user=officer)
    assert (
        client.patch(reverse("api:contract-detail", args=[contract.pk]), {"title": "x"}, format="json").status_code
        == 403
    )


@pytest.mark.parametrize("url", ["contracts:contract-list", "contracts:performance-comparison", "contracts:coverage"])
def test_pages_run_a_constant_number_of_queries(client, commissioner, django_assert_num_queries, url):
    def grow():
        contract = ContractFactory(value="1000")
        contract.therapy_types.add(TherapyType.objects.get(code="speech-language"))
        contract.districts.add(District.objects.get(name="Dover"))
        services.returns_import(
            content=returns_file(f"2023-05,{contract.reference},speech-language,,1,2,0,,,,,,,"),
            filename="r.csv",
            user=commissioner,
        )

    grow()
    client.force_login(commissioner)
    client.get(reverse(url))
    with CaptureQueriesContext(connection) as before:
        client.get(reverse(url))
    grow(), grow(), grow()
    with django_assert_num_queries(len(before)):
        client.get(reverse(url))


def test_contract_page_runs_a_constant_number_of_queries(client, commissioner, django_assert_num_queries):
    contract = ContractFactory(value="1000")
    client.force_login(commissioner)
    url = reverse("contracts:contract-detail", args=[contract.pk])

    def grow(n):
        services.element_add(contract=contract, name=f"E{n}", amount=Decimal("1"))
        services.post_add(
            contract=contract, therapist_type="SLT", locality=f"L{n}", percent_funded=Decimal("10"), fte=None
        )
        services.funding_add(contract=contract, funder=f"Funder {n}", financial_year=2023, amount=Decimal("1"))
        services.variation_apply(
            contract=contract, kind="scope", effective_on=date(2023, 6, 1), reason=f"Scope {n}", user=commissioner
        )

    grow(0)
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    grow(1), grow(2)
    with django_assert_num_queries(len(before)):
        client.get(url)


@pytest.mark.parametrize(
    "name",
    [
        "api:contract-list",
        "api:contractyear-list",
        "api:variation-list",
        "api:fundingcontribution-list",
        "api:fundedpost-list",
        "api:performancereturn-list",
        "api:procurementroute-list",
    ],
)
def test_api_lists_run_a_constant_number_of_queries(api_client, commissioner, django_assert_num_queries, name):
    def grow(n):
        contract = ContractFactory(value="1000")
        services.variation_apply(
            contract=contract, kind="scope", effective_on=date(2023, 6, 1), reason="x", user=commissioner
        )
        services.funding_add(contract=contract, funder="F", financial_year=2023, amount=Decimal("1"))
        services.post_add(contract=contract, therapist_type="SLT", locality="L", percent_funded=None, fte=None)
        services.returns_import(
            content=returns_file(f"2023-05,{contract.reference},speech-language,,1,2,0,,,,,,,"),
            filename="r.csv",
            user=commissioner,
        )

    grow(0)
    api_client.force_authenticate(commissioner)
    api_client.get(reverse(name))
    with CaptureQueriesContext(connection) as before:
        api_client.get(reverse(name))
    grow(1), grow(2)
    with django_assert_num_queries(len(before)):
        api_client.get(reverse(name))


def test_template_download_has_the_standard_columns(client, commissioner):
    client.force_login(commissioner)
    body = client.get(reverse("contracts:performance-template")).content.decode()
    assert body.splitlines()[0] == TEMPLATE_HEADER.strip()


def test_the_error_summary_links_to_the_first_radio_button(client, commissioner):
    """crispy-forms-gds numbers radios from 1: the summary's link must land on a real element."""
    import re

    from tests.contracts.factories import ContractFactory

    contract = ContractFactory()
    client.force_login(commissioner)
    page = client.post(reverse("contracts:contract-status", args=[contract.pk]), {"reason": ""}).content.decode()
    targets = re.findall(r'govuk-error-summary__list.*?href="#([^"]+)"', page, re.S)
    assert targets and all(f'id="{target}"' in page for target in re.findall(r'href="#(id_[^"]+)"', page))
