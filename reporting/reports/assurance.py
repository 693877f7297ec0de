"""Provision assurance: children whose delivered therapy falls short of what their EHCP specifies.

For every plan line in force over the period, `placements.selectors.provision_assurance` works out in SQL the
units the plan specifies, the units commissioned and the units delivered (approved and paid invoices,
pro-rated by days). A child is short when, over all their lines (of the chosen therapies), what was delivered
falls short of what was specified by more than the threshold percentage: the rule `assurance_by_child` applies.

Officers, who may see who a child is, get one row per child with the child's name and EHCP reference, and a
run of theirs is marked as naming children (so only people who may see children can open it). Everyone else
gets counts only: how many children are short, by district and by therapy, and the shortfall in units.

The lines' figures are the costly part (each line looks up its placements and invoices), so each statement
reads them once: the council's counts come from one statement (`_short_counts`), the children from another.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F, QuerySet
from django.utils import timezone

from core.forms import DateInput
from core.models import District, TherapyType
from core.periods import FinancialYear
from placements.models import Child, Provision, sees_child_identity
from placements.selectors import provision_assurance
from reporting.definitions import Column, ReportDefinition, ReportParametersForm, Result, Table, register

from .common import ChildFiltersMixin, council_reader, pks

DEFAULT_THRESHOLD = Decimal("20")
ZERO = Decimal("0")


class AssuranceForm(ChildFiltersMixin, ReportParametersForm):
    field_order = ["period_from", "period_to", "threshold", "therapy_types", "districts"]

    period_from = forms.DateField(
        label="From",
        required=False,
        widget=DateInput(),
        help_text="The first day of the period. Leave blank for the start of this financial year.",
    )
    period_to = forms.DateField(
        label="To",
        required=False,
        widget=DateInput(),
        help_text="The last day of the period. Leave blank for the end of this financial year.",
    )
    threshold = forms.DecimalField(
        label="Short by more than (%)",
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=4,
        decimal_places=1,
        required=False,
        initial=DEFAULT_THRESHOLD,
        help_text="A child is listed when delivery falls short of the plan by more than this share of it.",
    )

    def clean_threshold(self) -> Decimal:
        value = self.cleaned_data.get("threshold")
        return DEFAULT_THRESHOLD if value is None else value

    def clean(self):
        cleaned = super().clean()
        this_year = FinancialYear.of(timezone.localdate())
        start = cleaned.get("period_from") or this_year.start
        end = cleaned.get("period_to") or this_year.end
        if "period_from" in self.errors or "period_to" in self.errors:
            return cleaned
        if end < start:
            raise ValidationError({"period_to": "The period must end on or after the day it starts."})
        cleaned["period_from"], cleaned["period_to"] = start, end
        return cleaned


def _lines(*, reader, start: date, end: date, therapy_types, districts) -> QuerySet[Provision]:
    """The plan lines in force over the period (of the chosen therapies and districts), with their units."""
    lines = provision_assurance(user=reader, start=start, end=end)
    if therapy_types:
        lines = lines.filter(therapy_type__in=therapy_types)
    if districts:
        lines = lines.filter(child__district__in=districts)
    return lines.order_by()


# A group of lines (a child's, or a child's lines of one therapy) is short when what was delivered falls short
# of what was specified by more than the threshold share of it: shortfall = specified - delivered, compared
# with specified x threshold (the rule `assurance_by_child` applies). The groups below carry `specified` and
# `delivered` sums; the parameter is the threshold as a fraction.
SHORT_SQL = "specified > 0 AND specified - delivered > specified * %s"


def _line_sql(lines: QuerySet[Provision], *figures: str) -> tuple[str, list]:
    """The lines' own SQL, as `provision_assurance` writes it: one row a line, with its child (`line_child`),
    the child's home district (`line_district`), its therapy (`line_therapy`) and the `figures` asked for.

    Every table here groups the lines by child (or by child and therapy) and most then group those groups
    again. The ORM cannot group a grouped query, and each query that reads the lines works out every line's
    figures again (a lookup of its placements and invoices), so the tables wrap this SQL in a common table
    expression and group it in one statement each (the same SQL on PostgreSQL and SQLite)."""
    per_line = lines.annotate(
        line_child=F("child_id"), line_district=F("child__district_id"), line_therapy=F("therapy_type_id")
    ).values("line_child", "line_district", "line_therapy", *figures)
    sql, params = per_line.query.sql_with_params()
    return sql, list(params)


def _table_name(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _units(value) -> Decimal:
    """A sum from the database as a Decimal (SQLite adds decimals as floats)."""
    return ZERO if value is None else value if isinstance(value, Decimal) else Decimal(str(value))


def _short_counts(lines: QuerySet[Provision], threshold: Decimal) -> dict:
    """The council's counts in one statement: the children short (over all their lines) by district and in all,
    the children short of each therapy (their lines of it, together), and the children with lines in scope."""
    line_sql, params = _line_sql(lines, "specified", "delivered")
    share = threshold / 100
    sql = f"""
        WITH line AS ({line_sql}),
        child AS (
            SELECT line_child, line_district, SUM(specified) AS specified, SUM(delivered) AS delivered
              FROM line GROUP BY line_child, line_district
        ),
        child_therapy AS (
            SELECT line_child, line_therapy, SUM(specified) AS specified, SUM(delivered) AS delivered
              FROM line GROUP BY line_child, line_therapy
        ),
        by_district AS (
            SELECT line_district, COUNT(*) AS children, SUM(specified - delivered) AS units
              FROM child WHERE {SHORT_SQL} GROUP BY line_district
        ),
        by_therapy AS (
            SELECT line_therapy, COUNT(*) AS children, SUM(specified - delivered) AS units
              FROM child_therapy WHERE {SHORT_SQL} GROUP BY line_therapy
        )
        SELECT 'district', d.id, d.name, NULL, g.children, g.units
          FROM by_district g JOIN {_table_name(District)} d ON d.id = g.line_district
        UNION ALL
        SELECT 'therapy', t.id, t.name, t.sort_order, g.children, g.units
          FROM by_therapy g JOIN {_table_name(TherapyType)} t ON t.id = g.line_therapy
        UNION ALL
        SELECT 'short', NULL, NULL, NULL, COUNT(*), SUM(specified - delivered) FROM child WHERE {SHORT_SQL}
        UNION ALL
        SELECT 'in scope', NULL, NULL, NULL, COUNT(*), NULL FROM child
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, share, share, share])
        rows = cursor.fetchall()
    counts = {"district": [], "therapy": []}
    for group, key, name, order, children, units in rows:
        if group in counts:
            counts[group].append(
                {"key": key, "name": name, "order": order, "children": children, "units": _units(units)}
            )
        else:
            counts[group] = {"children": children, "units": _units(units)}
    counts["district"].sort(key=lambda row: (row["name"], row["key"]))
    counts["therapy"].sort(key=lambda row: (row["order"], row["name"]))
    return counts


def _children_short(lines: QuerySet[Provision], threshold: Decimal) -> list[dict]:
    """Children short of their plan, one row each with their name, EHCP reference and home district, most
    short first, in one statement."""
    line_sql, params = _line_sql(lines, "specified", "commissioned", "delivered")
    sql = f"""
        WITH line AS ({line_sql}),
        child AS (
            SELECT line_child, COUNT(*) AS lines, SUM(specified) AS specified,
                   SUM(commissioned) AS commissioned, SUM(delivered) AS delivered
              FROM line GROUP BY line_child
        )
        SELECT c.first_name, c.last_name, c.ehcp_reference, d.name, g.lines, g.specified, g.commissioned,
               g.delivered, g.specified - g.delivered AS shortfall
          FROM child g
          JOIN {_table_name(Child)} c ON c.id = g.line_child
          JOIN {_table_name(District)} d ON d.id = c.district_id
         WHERE {SHORT_SQL}
         ORDER BY shortfall DESC, c.last_name, c.first_name, g.line_child
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, threshold / 100])
        rows = cursor.fetchall()
    children = []
    for first, last, reference, district, count, specified, commissioned, delivered, shortfall in rows:
        specified, shortfall = _units(specified), _units(shortfall)
        children.append(
            {
                "name": f"{first} {last}",
                "ehcp_reference": reference,
                "district": district,
                "lines": count,
                "specified": specified,
                "commissioned": _units(commissioned),
                "delivered": _units(delivered),
                "shortfall": shortfall,
                "short_by": shortfall * 100 / specified,
            }
        )
    return children


@register
class ProvisionAssuranceReport(ReportDefinition):
    kind = "provision-assurance"
    title = "Provision assurance: children short of their plan"
    description = (
        "Children whose delivered therapy falls short of what their EHCP specifies by more than a threshold, "
        "over a period. Officers see the children; everyone else sees counts only."
    )
    form_class = AssuranceForm
    group = "Children's therapy"

    def includes_child_identity(self, user) -> bool:
        """Only people who may see who a child is get the list of children (and only they can open the run)."""
        return user is not None and sees_child_identity(user)

    def build(self, *, params, progress, user) -> Result:
        start, end = params["period_from"], params["period_to"]
        threshold = params["threshold"]
        names_children = self.includes_child_identity(user)
        reader = user if names_children else council_reader()
        lines = _lines(
            reader=reader,
            start=start,
            end=end,
            therapy_types=pks(params.get("therapy_types")),
            districts=pks(params.get("districts")),
        )
        progress(10, "Comparing delivery with the plans")
        counts = _short_counts(lines, threshold)
        totals = {
            "short": counts["short"]["children"],
            "units_short": counts["short"]["units"],
            "in_scope": counts["in scope"]["children"],
        }
        progress(60, "Counting by district and by therapy")
        tables = [self._by_district(counts["district"], totals), self._by_therapy(counts["therapy"])]
        if names_children:
            progress(80, "Listing the children")
            tables.insert(0, self._children(lines, threshold))
        period = f"{start:%-d %B %Y} to {end:%-d %B %Y}"
        return Result(
            tables=tables,
            summary=[
                {"label": "Children with therapy in their plans", "value": totals["in_scope"], "kind": "int"},
                {"label": f"Short by more than {threshold.normalize():f}%", "value": totals["short"], "kind": "int"},
                {"label": "Shortfall (hours or sessions)", "value": totals["units_short"], "kind": "number"},
            ],
            notes=[
                f"Over {period}. Specified is what the plans set out for the days of the period they were in force; "
                "delivered is the units on approved and paid invoices, pro-rated by the days of each invoice's "
                "period that fall in it.",
                "Units are the hours or sessions each plan line states, added together.",
                *(
                    []
                    if names_children
                    else ["Counts only: this report names no child for people who may not see children's records."]
                ),
            ],
        )

    def _children(self, lines: QuerySet[Provision], threshold: Decimal) -> Table:
        return Table(
            "children",
            "Children short of their plan",
            [
                Column("name", "Child"),
                Column("ehcp_reference", "EHCP reference"),
                Column("district", "District"),
                Column("lines", "Plan lines", "int"),
                Column("specified", "Specified", "number"),
                Column("commissioned", "Commissioned", "number"),
                Column("delivered", "Delivered", "number"),
                Column("shortfall", "Shortfall", "number", highlight=True),
                Column("short_by", "Short by", "share"),
            ],
            _children_short(lines, threshold),
            notes=["Names children: only people who may see children's records can open this run."],
        )

    def _by_district(self, groups: list[dict], totals: dict) -> Table:
        return Table(
            "by-district",
            "Children short, by district",
            [
                Column("district", "District"),
                Column("children", "Children short", "int"),
                Column("shortfall", "Shortfall (hours or sessions)", "number"),
            ],
            [{"district": row["name"], "children": row["children"], "shortfall": row["units"]} for row in groups],
            notes=["A child counts in their home district."],
            footer={"district": "All districts", "children": totals["short"], "shortfall": totals["units_short"]},
        )

    def _by_therapy(self, groups: list[dict]) -> Table:
        return Table(
            "by-therapy",
            "Children short, by therapy",
            [
                Column("therapy", "Therapy"),
                Column("children", "Children short", "int"),
                Column("shortfall", "Shortfall (hours or sessions)", "number"),
            ],
            [{"therapy": row["name"], "children": row["children"], "shortfall": row["units"]} for row in groups],
            notes=[
                "A child counts under a therapy when what was delivered of that therapy falls short of what their "
                "plan specifies for it by more than the threshold. A child can count under more than one therapy, "
                "so these do not add up to the number of children short."
            ],
        )
