"""Report runs as jobs: queue, build, progress, result, files, failure, redelivery, stuck runs, broker down."""

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from config.celery_app import app
from reporting.models import ReportFile, ReportRun
from reporting.services import report_run_build, report_run_request, report_runs_fail_stuck
from tests.reporting.factories import ReportRunFactory

pytestmark = pytest.mark.django_db


def download(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_run_is_built_with_its_result_and_files(officer):
    run = report_run_request(kind="test-figures", parameters={"label": "x"}, user=officer)
    assert run.status == ReportRun.Status.SUCCEEDED
    assert run.progress == 100
    table = run.result["tables"][0]
    assert table["rows"][2] == {"therapy": "Physiotherapy", "count": 2, "spend": "2001.00", "change": None}
    assert {f.format for f in run.files.all()} == {"csv", "xlsx", "pdf"}
    assert run.parameters == {"label": "x"}


def test_page_flow_request_progress_result_and_downloads(client, commissioner):
    client.force_login(commissioner)
    assert client.get(reverse("reporting:reportrun-create", args=["test-figures"])).status_code == 200
    response = client.post(reverse("reporting:reportrun-create", args=["test-figures"]), {"active_only": "on"})
    run = ReportRun.objects.get()
    assert response["Location"] == run.get_absolute_url()
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Spend by therapy" in page and "£2,001.00" in page and "Not reported" in page
    assert "Only therapies still bought" in page  # the parameters are shown
    csv = download(client.get(reverse("reporting:reportrun-download", args=[run.pk, "csv"]))).decode()
    assert csv.lstrip("\ufeff").splitlines()[0] == "Therapy,Count,Spend,Change"
    assert "Physiotherapy,2,2001.00," in csv
    workbook = load_workbook(
        io.BytesIO(download(client.get(reverse("reporting:reportrun-download", args=[run.pk, "xlsx"]))))
    )
    sheet = workbook["Therapies"]
    assert sheet["C4"].value == 2001 and sheet["C4"].number_format == '"£"#,##0.00'
    pdf = download(client.get(reverse("reporting:reportrun-download", args=[run.pk, "pdf"])))
    assert pdf.startswith(b"%PDF")
    chart = client.get(reverse("reporting:reportrun-chart", args=[run.pk, "spend"]))
    assert chart["Content-Type"] == "image/svg+xml"
    assert b"<title>Spend by therapy</title>" in chart.content
    assert b"<script" not in chart.content


def test_progress_page_refreshes_itself_and_offers_a_link(client, officer):
    run = ReportRunFactory(status=ReportRun.Status.RUNNING, progress=40, step="Adding up", requested_by=officer)
    client.force_login(officer)
    html = client.get(run.get_absolute_url()).content.decode()
    assert 'data-auto-refresh="2"' in html
    assert 'value="40"' in html and "Adding up" in html
    assert "Refresh to see progress" in html


def test_a_failing_run_records_its_error(client, officer):
    run = report_run_request(kind="test-broken", parameters={}, user=officer)
    assert run.status == ReportRun.Status.FAILED
    assert run.error == "RuntimeError: the figures could not be added up"
    client.force_login(officer)
    assert "the figures could not be added up" in client.get(run.get_absolute_url()).content.decode()


def test_bad_parameters_create_nothing(officer):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        report_run_request(kind="test-figures", parameters={"label": "x" * 30}, user=officer)
    assert "label" in caught.value.message_dict
    with pytest.raises(ValidationError):
        report_run_request(kind="no-such-report", parameters={}, user=officer)
    assert not ReportRun.objects.exists()


def test_redelivered_task_does_nothing(officer):
    run = report_run_request(kind="test-figures", parameters={}, user=officer)
    files = list(ReportFile.objects.values_list("pk", flat=True))
    report_run_build(run_id=run.pk)
    assert list(ReportFile.objects.values_list("pk", flat=True)) == files
    assert ReportRun.objects.get(pk=run.pk).finished_at == run.finished_at


def test_progress_is_saved_in_steps_not_per_row(officer):
    run = ReportRunFactory(requested_by=officer)
    with CaptureQueriesContext(connection) as queries:
        report_run_build(run_id=run.pk)
    progress_updates = [q for q in queries if q["sql"].startswith("UPDATE") and '"progress"' in q["sql"]]
    assert len(progress_updates) <= 100 // 5 + 3  # 10 therapies, one progress call each: at most every 5%


def test_stuck_runs_are_marked_failed():
    old = timezone.now() - timedelta(hours=2)
    stuck = ReportRunFactory(status=ReportRun.Status.RUNNING, started_at=old, created_at=old)
    lost = ReportRunFactory(status=ReportRun.Status.QUEUED, created_at=old)
    fresh = ReportRunFactory(status=ReportRun.Status.RUNNING, started_at=timezone.now())
    assert report_runs_fail_stuck() == 2
    stuck.refresh_from_db(), lost.refresh_from_db(), fresh.refresh_from_db()
    assert stuck.status == lost.status == ReportRun.Status.FAILED
    assert "worker may have stopped" in stuck.error
    assert fresh.status == ReportRun.Status.RUNNING


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_with_the_broker_down_reports_are_unavailable_not_an_error(client, api_client, officer):
    app.conf.task_always_eager = False
    try:
        api_client.force_authenticate(officer)
        response = api_client.post(reverse("api:reportrun-list"), {"kind": "test-figures"}, format="json")
        assert response.status_code == 503
        assert "Reports are unavailable" in response.json()["message"]
        client.force_login(officer)
        page = client.post(reverse("reporting:reportrun-create", args=["test-figures"]), {})
        assert page.status_code == 503
        assert "Reports are unavailable" in page.content.decode()
        assert not ReportRun.objects.exists()
        assert client.get(reverse("reporting:reportrun-list")).status_code == 200  # reading still works
    finally:
        app.conf.task_always_eager = True


def test_api_queues_reads_and_downloads(api_client, commissioner):
    api_client.force_authenticate(commissioner)
    created = api_client.post(reverse("api:reportrun-list"), {"kind": "test-figures", "parameters": {}}, format="json")
    assert created.status_code == 202
    run_id = created.json()["id"]
    detail = api_client.get(reverse("api:reportrun-detail", args=[run_id])).json()
    assert detail["status"] == "succeeded" and detail["progress"] == 100
    assert detail["result"]["tables"][0]["rows"][1]["spend"] == "1000.50"
    csv = api_client.get(reverse("api:reportrun-download", args=[run_id]), {"format": "csv"})
    assert csv.status_code == 200
    assert download(csv).decode().lstrip("\ufeff").startswith("Therapy,Count")
    xlsx = api_client.get(reverse("api:reportrun-download", args=[run_id]), {"format": "xlsx"})
    assert download(xlsx)[:2] == b"PK"
    bad = api_client.post(reverse("api:reportrun-list"), {"kind": "nothing"}, format="json")
    assert bad.status_code == 400 and "kind" in bad.json()["errors"]


def test_a_token_needs_the_reports_scopes(token_for):
    reader = token_for(scopes=["reports:read"])
    assert reader.get(reverse("api:reportrun-list")).status_code == 200
    assert reader.post(reverse("api:reportrun-list"), {"kind": "test-figures"}, format="json").status_code == 403
    writer = token_for(scopes=["reports:read", "reports:write"])
    assert writer.post(reverse("api:reportrun-list"), {"kind": "test-figures"}, format="json").status_code == 202


def test_provider_users_cannot_run_or_read_council_reports(client, api_client, provider_a_user, officer):
    run = report_run_request(kind="test-figures", parameters={}, user=officer)
    client.force_login(provider_a_user)
    assert client.get(reverse("reporting:reportrun-list")).status_code == 403
    assert client.get(reverse("reporting:reportrun-create", args=["test-figures"])).status_code == 403
    assert client.get(run.get_absolute_url()).status_code == 403
    assert client.get(reverse("reporting:reportrun-download", args=[run.pk, "csv"])).status_code == 403
    api_client.force_authenticate(provider_a_user)
    assert api_client.get(reverse("api:reportrun-list")).status_code == 403
    assert api_client.post(reverse("api:reportrun-list"), {"kind": "test-figures"}, format="json").status_code == 403


def test_runs_that_name_children_are_hidden_from_commissioners(client, commissioner):
    run = ReportRunFactory(kind="test-children", includes_child_identity=True, status=ReportRun.Status.SUCCEEDED)
    client.force_login(commissioner)
    assert client.get(run.get_absolute_url()).status_code == 404
    assert f"run {run.pk}<" not in client.get(reverse("reporting:reportrun-list")).content.decode()


def test_subscribing_to_the_monthly_email(client, commissioner, mailoutbox, django_capture_on_commit_callbacks):
    from reporting import definitions
    from reporting.services import report_runs_schedule_monthly
    from tests.reporting.conftest import Figures

    class Spend(Figures):
        kind = "spend"
        title = "Spend"

    real = definitions.get_definition("spend")
    definitions.register(Spend)
    try:
        client.force_login(commissioner)
        client.post(reverse("reporting:reportsubscription-set", args=["spend"]), {"subscribe": "1"})
        with django_capture_on_commit_callbacks(execute=True):
            runs = report_runs_schedule_monthly(kinds=("spend",))
        assert runs[0].scheduled and runs[0].status == ReportRun.Status.SUCCEEDED
        assert [m.to for m in mailoutbox] == [[commissioner.email]]
        assert runs[0].get_absolute_url() in mailoutbox[0].body
    finally:
        definitions._REGISTRY.pop("spend", None)
        if real is not None:
            definitions._REGISTRY["spend"] = real


def test_run_list_query_count_does_not_grow(client, api_client, officer, django_assert_num_queries):
    ReportRunFactory(requested_by=officer)
    client.force_login(officer)
    api_client.force_authenticate(officer)
    url = reverse("reporting:reportrun-list")
    api_url = reverse("api:reportrun-list")
    client.get(url), api_client.get(api_url)
    with CaptureQueriesContext(connection) as page_before:
        client.get(url)
    with CaptureQueriesContext(connection) as api_before:
        api_client.get(api_url)
    ReportRunFactory.create_batch(8, requested_by=officer)
    with django_assert_num_queries(len(page_before)):
        client.get(url)
    with django_assert_num_queries(len(api_before)):
        api_client.get(api_url)


def test_records_held_counts_every_kind_of_record(officer):
    from core.models import District

    run = report_run_request(kind="records-held", parameters={}, user=officer)
    assert run.status == ReportRun.Status.SUCCEEDED
    rows = {row["kind"]: row["count"] for row in run.result["tables"][0]["rows"]}
    assert rows["Districts"] == District.objects.count() == 13
    assert run.result["tables"][0]["footer"]["count"] == sum(rows.values())
