"""Contract pages in the browser: axe on the register, a contract, coverage, upload (and a failed upload),
the comparison; the upload journey without JavaScript."""

import pytest

from contracts.demo import seed
from contracts.models import Contract, PerformanceReturn

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

GOOD = (
    "month,contract_reference,therapy_type,locality,referrals_received,waiting_assessment,"
    "waiting_assessment_over_12_weeks,waiting_intervention,waiting_intervention_over_12_weeks,waiting_0_18_weeks,"
    "waiting_18_52_weeks,waiting_over_52_weeks,caseload,data_quality_note\n"
    "2024-05,KCC-SEN-THER-KCHFT-W-2425,speech-language,Whole service,200,300,20,2300,800,,,,,\n"
)


class Quiet:
    def write(self, *args):
        pass


@pytest.fixture
def demo_contracts():
    seed(stdout=Quiet(), rng=None)


def test_contract_pages_are_accessible(
    page, live_server, commissioner, sign_in, assert_accessible, demo_contracts, tmp_path
):
    sign_in(page, commissioner)
    dice = Contract.objects.get(reference="KCC-DICE-2025")
    for path in [
        "/contracts/",
        "/contracts/?needs_key_decision=true",
        f"/contracts/{dice.pk}/",
        "/contracts/coverage/",
        "/contracts/routes/",
        "/contracts/returns/",
        "/contracts/returns/upload/",
        "/contracts/new/",
        f"/contracts/{dice.pk}/add/variation/",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page)
    page.goto(f"{live_server.url}/contracts/{dice.pk}/")
    assert "a difference of £4,060.00" in page.content()
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD.replace(",200,300,20,", ",200,300,400,"))
    page.goto(f"{live_server.url}/contracts/returns/upload/")
    page.set_input_files("#id_file", str(bad))
    page.get_by_role("button", name="Upload returns").click()
    assert "Nothing was imported" in page.content()
    assert_accessible(page)


def test_uploading_returns_works_without_javascript(
    browser, live_server, commissioner, sign_in, demo_contracts, tmp_path
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, commissioner)
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    page.goto(f"{live_server.url}/contracts/returns/upload/")
    page.set_input_files("#id_file", str(good))
    page.get_by_role("button", name="Upload returns").click()
    assert "1 rows imported" in page.content()
    assert PerformanceReturn.objects.filter(month__year=2024).count() == 1
    context.close()
