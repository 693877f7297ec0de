"""Report definitions used only by the tests of the report-run machinery."""

from decimal import Decimal

import pytest
from django import forms

from core.models import TherapyType
from reporting import definitions
from reporting.definitions import Chart, Column, ReportDefinition, ReportParametersForm, Result, Table


class FiguresForm(ReportParametersForm):
    active_only = forms.BooleanField(label="Only therapies still bought", required=False)
    label = forms.CharField(label="Label", required=False, max_length=20)


class Figures(ReportDefinition):
    kind = "test-figures"
    title = "Test figures"
    description = "Therapy types with made-up money, for testing the machinery."
    form_class = FiguresForm
    pdf = True

    def build(self, *, params, progress, user):
        therapies = TherapyType.objects.all()
        if params.get("active_only"):
            therapies = therapies.filter(is_active=True)
        rows = []
        names = list(therapies.values_list("name", flat=True))
        for index, name in enumerate(names):
            progress(index * 100 // max(1, len(names)), f"Therapy {index + 1} of {len(names)}")
            rows.append({"therapy": name, "count": index, "spend": Decimal("1000.50") * index, "change": None})
        table = Table(
            key="therapies",
            title="Therapies",
            columns=[
                Column("therapy", "Therapy"),
                Column("count", "Count", "int"),
                Column("spend", "Spend", "money"),
                Column("change", "Change", "percent"),
            ],
            rows=rows,
            notes=["Made-up figures."],
        )
        return Result(
            tables=[table],
            charts=[
                Chart("spend", "Spend by therapy", "Made-up spend per therapy.", "therapies", "therapy", ["spend"])
            ],
            summary=[{"label": "Therapies", "value": len(rows), "kind": "int"}],
        )


class Broken(ReportDefinition):
    kind = "test-broken"
    title = "Test broken"
    description = "Always fails."

    def build(self, *, params, progress, user):
        raise RuntimeError("the figures could not be added up")


class NamesChildren(Figures):
    kind = "test-children"
    title = "Test children"

    def includes_child_identity(self, user):
        return True


@pytest.fixture(autouse=True)
def test_reports():
    added = [Figures, Broken, NamesChildren]
    for definition in added:
        definitions.register(definition)
    yield
    for definition in added:
        definitions._REGISTRY.pop(definition.kind, None)
