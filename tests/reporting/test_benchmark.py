"""`manage.py benchmark` on a tiny synthetic data set: an entry for every report and every list, each with both
timings and a ratio, and every report's figures the same as its plain SQL's. (Timings are never asserted: a
test machine's speed says nothing about the code.)"""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from contracts.models import PerformanceReturn
from placements.models import Invoice
from reporting.benchmark import Dialect, list_cases
from reporting.definitions import all_definitions

# Marked, so that pytest-django runs these with the other database tests (before the transactional ones,
# which empty the database of its reference data).
pytestmark = pytest.mark.django_db

TIMINGS = ("ours_ms", "sql_ms", "ratio")


@pytest.fixture(scope="module")
def results(django_db_setup, django_db_blocker, tmp_path_factory):
    """One run for the module, on synthetic data at scale 0.01, all of it rolled back afterwards."""
    path = tmp_path_factory.mktemp("benchmark") / "benchmark.json"
    out = StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("generate_synthetic", "--scale", "0.01", "--seed", "1", "--force", stdout=StringIO())
        held = PerformanceReturn.objects.count(), Invoice.objects.count()
        call_command(
            "benchmark",
            *("--repeat", "1", "--return-rows", "20", "--invoices", "5", "--seed", "1"),
            *("--json", str(path), "--force"),
            stdout=out,
        )
        kept = PerformanceReturn.objects.count(), Invoice.objects.count()
        transaction.set_rollback(True)
    return {"json": json.loads(path.read_text()), "table": out.getvalue(), "held": held, "kept": kept}


def numbers(entry: dict) -> bool:
    return all(isinstance(entry[key], int | float) for key in TIMINGS)


def test_every_report_is_timed_against_plain_sql_that_gives_the_same_figures(results):
    reports = results["json"]["reports"]
    registered = {d.kind for d in all_definitions() if not d.kind.startswith("test-")}  # not the machinery's own
    assert {r["kind"] for r in reports} == registered
    for report in reports:
        assert numbers(report), report["name"]
        assert report["figures_agree"], (report["name"], report["differences"])


def test_every_list_is_timed_against_plain_sql_for_the_same_rows(results):
    lists = results["json"]["lists"]
    expected = {f"{case.group}: {case.name}" for case in list_cases(Dialect(connection.vendor))}
    assert {entry["name"] for entry in lists} == expected
    for entry in lists:
        assert numbers(entry), entry["name"]
        assert isinstance(entry["orm_ms"], int | float)
        assert entry["rows_agree"], entry["name"]


def test_the_imports_are_timed_against_a_bulk_load_and_leave_nothing_behind(results):
    assert results["kept"] == results["held"]
    imports = {entry["name"]: entry for entry in results["json"]["imports"]}
    assert set(imports) == {"performance-return CSV import", "invoice_submit batch"}
    assert all(numbers(entry) for entry in imports.values())
    assert imports["performance-return CSV import"]["rows"] == 20


def test_the_results_describe_the_machine_and_the_data(results):
    described = results["json"]
    assert {"cpu", "cores", "memory_gb", "python", "django", "database"} <= set(described["machine"])
    assert described["scale"] == 0.01
    assert described["seed"] == 1
    assert described["date"]
    assert described["notes"]
    assert "Reports" in results["table"] and "Lists" in results["table"]


def test_it_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("benchmark", stdout=StringIO())
