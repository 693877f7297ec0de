"""What a report is: its parameters (a form), how it is built (SQL aggregates), and the shape of its result.

Each report registers a `ReportDefinition` (see `reporting/reports/`). A run stores its parameters
as plain JSON, rebuilt into the form to validate them again when the task runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.db import models

from core.forms import GovukForm

NOT_REPORTED = "Not reported"


@dataclass
class Column:
    """One column of a result table.

    `kind` says how a value is shown: text, int, number (one decimal place), money, percent (a change,
    signed: +13.8%), share (a proportion: 25.0%) or date. `empty` is what a cell shows when its value is
    None: "Not reported" for figures (a blank figure is never the same as 0), nothing for text. A column
    with `highlight` is picked out on the page and in the PDF.
    """

    key: str
    label: str
    kind: str = "text"  # text | int | number | money | percent | share | date
    empty: str | None = None
    highlight: bool = False

    def __post_init__(self) -> None:
        if self.empty is None:
            self.empty = "" if self.kind == "text" else NOT_REPORTED


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    notes: list[str] = field(default_factory=list)
    highlight: str | None = None  # a column whose truthy value highlights the row
    footer: dict | None = None  # totals row


@dataclass
class Chart:
    key: str
    title: str
    description: str
    table: str
    x: str
    series: list[str]
    kind: str = "bar"  # bar | line | stacked


@dataclass
class Result:
    tables: list[Table]
    charts: list[Chart] = field(default_factory=list)
    summary: list[dict] = field(default_factory=list)  # {"label", "value", "kind"}
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """JSON-safe, with money rounded to the penny and percentages and numbers to one place (the one rounding
        point)."""
        for table in self.tables:
            kinds = {c.key: c.kind for c in table.columns}
            for row in [*table.rows, *([table.footer] if table.footer else [])]:
                for key, kind in kinds.items():
                    row[key] = _rounded(row.get(key), kind)
        for item in self.summary:
            item["value"] = _rounded(item.get("value"), item.get("kind", "text"))
        return _plain(asdict(self))


def _rounded(value, kind: str):
    if value is None or value == "" or kind not in ("money", "percent", "share", "number"):
        return value
    places = Decimal("0.01") if kind == "money" else Decimal("0.1")
    return Decimal(str(value)).quantize(places, rounding=ROUND_HALF_UP)


def _plain(value):
    """JSON-safe copy: Decimals and dates become strings (money keeps its pence)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


Progress = Callable[[int, str], None]


class ReportParametersForm(GovukForm):
    submit_label = "Run report"


class ReportDefinition:
    """Subclass per report: set kind, title, description, form_class; implement build()."""

    kind: str = ""
    title: str = ""
    description: str = ""
    form_class: type[forms.Form] = ReportParametersForm
    pdf: bool = False  # also produce a PDF summary
    group: str = "Reports"

    def includes_child_identity(self, user) -> bool:
        """Whether a run requested by `user` will name children (then only people who may see them can open it)."""
        return False

    def build(self, *, params: dict, progress: Progress, user) -> Result:
        raise NotImplementedError

    def extra_files(self, *, result: Result, params: dict) -> list[tuple[str, str, bytes]]:
        """Further downloads as (format, filename, content), for example an OCDS JSON package."""
        return []

    # Parameters as plain JSON and back.
    def form(self, data=None, **kwargs) -> forms.Form:
        return self.form_class(data=data, **kwargs)

    def params_from_form(self, form: forms.Form) -> dict:
        return {
            name: _param(value)
            for name, value in form.cleaned_data.items()
            if value is not False
            and value not in (None, "", [])
            and not (isinstance(value, models.QuerySet) and not value.exists())
        }

    def cleaned_params(self, params: dict) -> dict:
        """Validate stored parameters again and return the form's cleaned data."""
        form = self.form(data=params)
        if not form.is_valid():
            raise ValueError(f"The report's parameters are no longer valid: {form.errors.as_text()}")
        return form.cleaned_data

    def describe_params(self, params: dict) -> list[tuple[str, str]]:
        """Human-readable (label, value) pairs for a run's parameters."""
        form = self.form(data=params)
        form.is_valid()
        described = []
        for name, field_ in form.fields.items():
            value = form.cleaned_data.get(name) if hasattr(form, "cleaned_data") else None
            if value in (None, "", []) or (isinstance(value, models.QuerySet) and not value.exists()):
                continue
            described.append((str(field_.label or name), _describe(field_, value)))
        return described


def _param(value):
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, models.QuerySet):
        return [str(pk) for pk in value.values_list("pk", flat=True)]
    if isinstance(value, list | tuple):
        return [_param(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "on" if value else ""
    return str(value)


def _describe(field_, value) -> str:
    choices = dict(getattr(field_, "choices", []) or [])
    if isinstance(value, models.QuerySet):
        return ", ".join(str(v) for v in value)
    if isinstance(value, list | tuple):
        return ", ".join(str(choices.get(v, v)) for v in value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(choices.get(value, value))


_REGISTRY: dict[str, ReportDefinition] = {}


def register(definition_class: type[ReportDefinition]) -> type[ReportDefinition]:
    """Class decorator: make a report available by its kind."""
    _REGISTRY[definition_class.kind] = definition_class()
    return definition_class


def get_definition(kind: str) -> ReportDefinition | None:
    return _REGISTRY.get(kind)


def all_definitions() -> list[ReportDefinition]:
    return sorted(_REGISTRY.values(), key=lambda d: (d.group, d.title))
