"""NMISS: places in non-maintained and independent special schools, bought through the Dynamic Purchasing System.

Spend by financial year joins two sources and says which is which: the council's own figures for the years
before this service held placements (`NmissHistoricalSpend`), then the cost the school placements commit in
each later year (`SchoolPlacementCommitment`, already pro-rated across years, uplifts included, by the
placements services). Beside it: placements by lot (through the placement request; a placement made without
one is "Direct or block"), by the child's primary need and by school; the average annual fee by element
(agreed, and in force after uplifts); and the uplift trend by the financial year each uplift takes effect.

Every figure is an SQL aggregate. There are no child-level rows: nothing here can name a child.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django import forms
from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Exp, ExtractYear, Ln
from django.utils import timezone

from core.db import Divide
from core.forms import DateInput
from core.money import percent_change
from core.periods import FinancialYear
from placements.models import (
    FeeUplift,
    NmissHistoricalSpend,
    PlacementRequest,
    SchoolPlacement,
    SchoolPlacementCommitment,
)
from placements.selectors import SCHOOL_KINDS
from providers.models import Lot, Provider, ProviderList
from reporting.definitions import Chart, Column, ReportDefinition, ReportParametersForm, Result, Table, register

from .common import council_reader, pks

FIRST_YEAR = 2017  # the earliest NMISS spend the council's papers give (2017-18)
TOTAL = DecimalField(max_digits=14, decimal_places=2)
AVERAGE = DecimalField(max_digits=20, decimal_places=6)  # rounded to the penny once, when the result is stored
FACTOR = DecimalField(max_digits=20, decimal_places=12)

HISTORICAL = "Spend (the council's figures)"
COMMITTED = "Committed (school placements held here)"
DIRECT = "Direct or block"
NOT_RECORDED = "Not recorded"
NO_YEAR_BEFORE = "No year before"
ELEMENTS = (
    ("education_fee", "Education"),
    ("care_fee", "Care"),
    ("therapy_fee", "Therapy"),
    ("other_fee", "Other"),
)
SETTINGS = [("", "Day and residential"), *PlacementRequest.Setting.choices]


def financial_year_choices() -> list[tuple[str, str]]:
    latest = FinancialYear.of(timezone.localdate()).start_year + 2
    return [(FinancialYear(y).label, FinancialYear(y).label) for y in range(FIRST_YEAR, latest + 1)]


class NmissForm(ReportParametersForm):
    financial_years = forms.MultipleChoiceField(
        label="Financial years",
        choices=financial_year_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for every year. Placements count in a year when their term falls in it.",
    )
    lots = forms.ModelMultipleChoiceField(
        label="Lots",
        queryset=Lot.objects.filter(
            provider_list__kind__in=[ProviderList.Kind.DPS, ProviderList.Kind.DYNAMIC_MARKET]
        ).order_by("provider_list__name", "number"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for every lot, and for places bought directly or in a block.",
    )
    schools = forms.ModelMultipleChoiceField(
        label="Schools",
        queryset=Provider.objects.filter(kind__in=SCHOOL_KINDS).order_by("legal_name", "pk"),
        required=False,
        help_text="Leave none chosen for every school.",
    )
    setting = forms.ChoiceField(
        label="Day or residential", choices=SETTINGS, required=False, initial="", widget=forms.RadioSelect
    )
    fees_on = forms.DateField(
        label="Fees in force on",
        required=False,
        widget=DateInput(),
        help_text="The day the fees after uplifts are worked out for. Leave blank for today.",
    )

    def clean_fees_on(self) -> date:
        return self.cleaned_data.get("fees_on") or timezone.localdate()


@dataclass(frozen=True)
class NmissFilters:
    years: list[int]  # start years of the chosen financial years; empty for every year
    lots: list[int] | None = None
    schools: list[int] | None = None
    setting: str = ""

    @property
    def narrows_placements(self) -> bool:
        """Filters the council's historical totals cannot follow: they are not broken down at all."""
        return bool(self.lots or self.schools or self.setting)


def _filters(params: dict) -> NmissFilters:
    return NmissFilters(
        years=sorted(FinancialYear.from_label(label).start_year for label in params.get("financial_years") or []),
        lots=pks(params.get("lots")),
        schools=pks(params.get("schools")),
        setting=params.get("setting") or "",
    )


def _placements(filters: NmissFilters, *, by_year: bool = True) -> QuerySet[SchoolPlacement]:
    """School placements matching the filters; with `by_year`, only those whose term falls in a chosen year."""
    placements = SchoolPlacement.objects.visible_to(council_reader())
    if filters.lots:
        placements = placements.filter(request__lot__in=filters.lots)
    if filters.schools:
        placements = placements.filter(school__in=filters.schools)
    if filters.setting:
        placements = placements.filter(setting=filters.setting)
    if by_year and filters.years:
        overlaps = Q()
        for start_year in filters.years:
            year = FinancialYear(start_year)
            overlaps |= Q(start_date__lte=year.end, end_date__gte=year.start)
        placements = placements.filter(overlaps)
    return placements.order_by()


def _commitments(filters: NmissFilters, *, by_year: bool = True) -> QuerySet[SchoolPlacementCommitment]:
    commitments = SchoolPlacementCommitment.objects.filter(placement__in=_placements(filters, by_year=False))
    if by_year and filters.years:
        commitments = commitments.filter(financial_year__in=filters.years)
    return commitments.order_by()


def _with_committed(placements: QuerySet[SchoolPlacement], filters: NmissFilters) -> QuerySet[SchoolPlacement]:
    """Each placement with `committed`: what it commits in the chosen years (every year if none), summed in a
    subquery, so that one query groups the placements and adds up what they commit. (A placement commits
    cost only in the years its term falls in, so the placements counted in a year are those committing in it.)"""
    commitments = SchoolPlacementCommitment.objects.filter(placement=OuterRef("pk"))
    if filters.years:
        commitments = commitments.filter(financial_year__in=filters.years)
    total = commitments.order_by().values("placement").annotate(total=Sum("amount")).values("total")[:1]
    return placements.annotate(
        committed=Coalesce(Subquery(total, output_field=TOTAL), Value(Decimal("0.00")), output_field=TOTAL)
    )


def _fee(prefix: str = ""):
    return F(f"{prefix}education_fee") + F(f"{prefix}care_fee") + F(f"{prefix}therapy_fee") + F(f"{prefix}other_fee")


def _uplift_factor(on: date):
    """What the uplifts in force on `on` multiply a placement's agreed fee by: the product of (1 + % / 100),
    in SQL as exp(sum(ln(1 + % / 100))); 1 with none. The services round the fee to the penny after each
    uplift, so an average worked out this way can differ from theirs by a fraction of a penny."""
    uplifts = (
        FeeUplift.objects.filter(placement=OuterRef("pk"), effective_from__lte=on)
        .order_by()
        .values("placement")
        .annotate(factor=Exp(Sum(Ln(Value(1, output_field=FACTOR) + Divide(F("percent"), Value(100), FACTOR)))))
        .values("factor")[:1]
    )
    return Coalesce(Subquery(uplifts, output_field=FACTOR), Value(Decimal("1"), output_field=FACTOR))


def _financial_year_of(field: str):
    """The start year of the financial year a date falls in, in SQL (April to March)."""
    return Case(
        When(**{f"{field}__month__gte": 4}, then=ExtractYear(field)),
        default=ExtractYear(field) - 1,
        output_field=IntegerField(),
    )


# The breakdowns: how each reads on a placement, and on a commitment (through its placement).
@dataclass(frozen=True)
class Breakdown:
    key: str
    title: str
    label: str
    fields: tuple[str, ...]  # on SchoolPlacement; the first is the grouping key

    def values(self, prefix: str = "") -> list[str]:
        return [f"{prefix}{name}" for name in self.fields]

    def name(self, row: dict, prefix: str = "") -> str:
        values = [row[f"{prefix}{name}"] for name in self.fields]
        if self.key == "lot":
            return DIRECT if values[0] is None else f"Lot {values[1]}: {values[2]}"
        if self.key == "school":
            return values[1] or values[2]
        return NOT_RECORDED if values[0] is None else values[1]

    def sort_key(self, row: dict):
        values = [row[name] for name in self.fields]
        if self.key == "lot":
            return (values[0] is None, values[1] or 0, values[2] or "")
        if self.key == "need":
            return (values[0] is None, values[2] if values[2] is not None else 0, values[1] or "")
        return (self.name(row).lower(), values[0])


BREAKDOWNS = (
    Breakdown(
        "lot", "School placements by lot", "Lot", ("request__lot_id", "request__lot__number", "request__lot__name")
    ),
    Breakdown(
        "need",
        "School placements by primary need",
        "Primary need",
        ("child__primary_need_id", "child__primary_need__name", "child__primary_need__sort_order"),
    ),
    Breakdown(
        "school", "School placements by school", "School", ("school_id", "school__trading_name", "school__legal_name")
    ),
)


@register
class NmissReport(ReportDefinition):
    kind = "nmiss"
    title = "NMISS spend and school placements"
    description = (
        "Non-maintained and independent special school places: spend by financial year with the years before "
        "this service, placements by lot, need and school, average fees by element, and fee uplifts."
    )
    form_class = NmissForm
    pdf = True
    group = "Spend"

    def build(self, *, params, progress, user) -> Result:
        filters = _filters(params)
        fees_on = params.get("fees_on") or timezone.localdate()
        progress(5, "Adding up spend by financial year")
        years = self._years_table(filters)
        progress(35, "Counting placements by lot, need and school")
        totals = self._totals(filters)
        breakdowns = [self._breakdown_table(b, filters, totals) for b in BREAKDOWNS]
        progress(70, "Averaging the fees")
        fees = self._fees_table(filters, fees_on)
        progress(85, "Following the uplifts")
        uplifts = self._uplifts_table(filters)
        latest = years.rows[-1] if years.rows else None
        summary = [
            {
                "label": (
                    f"{'Committed' if latest['figure'] == COMMITTED else 'Spend'} in {latest['year']}"
                    if latest
                    else "Spend"
                ),
                "value": latest["amount"] if latest else None,
                "kind": "money",
            },
            {
                "label": "Change on the year before",
                "value": latest["change"] if latest else None,
                "kind": "percent",
            },
            {"label": "School placements", "value": totals["placements"], "kind": "int"},
            {"label": "Average annual fee agreed", "value": totals["average_fee"], "kind": "money"},
        ]
        return Result(
            tables=[years, *breakdowns, fees, uplifts],
            charts=[
                Chart(
                    "spend-by-year",
                    "NMISS spend by financial year",
                    "Spend in each financial year: the council's figures before this service, then the cost "
                    "committed by the school placements held here.",
                    "years",
                    "year",
                    ["amount"],
                ),
                Chart(
                    "uplifts",
                    "Average fee uplift by financial year",
                    "The average percentage uplift to school fees taking effect in each financial year.",
                    "uplifts",
                    "year",
                    ["average"],
                    kind="line",
                ),
            ],
            summary=summary,
            notes=[
                "Fees are pounds a year; spend and committed cost are pounds in each financial year.",
                "No child is named in this report.",
            ],
        )

    # Spend by financial year --------------------------------------------------------------------------

    def _years_table(self, filters: NmissFilters) -> Table:
        committed = {
            row["financial_year"]: row["total"]
            for row in _commitments(filters, by_year=False).values("financial_year").annotate(total=Sum("amount"))
        }
        first_held = SchoolPlacementCommitment.objects.aggregate(first=Min("financial_year"))["first"]
        notes = []
        history: dict[int, tuple[Decimal, str]] = {}
        if filters.narrows_placements:
            notes.append(
                "The council's figures for the years before this service are totals for all NMISS places, not "
                "broken down by lot, school or setting, so they are left out when those filters are used."
            )
        else:
            earlier = NmissHistoricalSpend.objects.order_by("financial_year")
            if first_held is not None:
                earlier = earlier.filter(financial_year__lt=first_held)
            history = {row.financial_year: (row.amount, row.source) for row in earlier}
        series: dict[int, dict] = {}
        for year, (amount, source) in history.items():
            series[year] = {"figure": HISTORICAL, "amount": amount, "source": source}
        for year, amount in committed.items():
            series[year] = {"figure": COMMITTED, "amount": amount, "source": "School placement agreements"}
        rows = []
        for year in sorted(series):
            if filters.years and year not in filters.years:
                continue
            before = series.get(year - 1)
            rows.append(
                {
                    "year": FinancialYear(year).label,
                    "figure": series[year]["figure"],
                    "amount": series[year]["amount"],
                    "change": percent_change(before["amount"], series[year]["amount"]) if before else None,
                    "source": series[year]["source"],
                    "crosses": bool(before) and before["figure"] != series[year]["figure"],
                }
            )
        if first_held is not None:
            notes.append(
                f"From {FinancialYear(first_held).label} the figures are the cost committed by the school placements "
                "this service holds; years before that are the spend the council's own figures give."
            )
        if any(row["crosses"] for row in rows):
            notes.append(
                "Where a year's change compares committed cost with the spend of the year before, it compares two "
                "different measures: read it with care."
            )
        for row in rows:
            del row["crosses"]
        return Table(
            "years",
            "NMISS spend by financial year",
            [
                Column("year", "Financial year"),
                Column("figure", "Figure"),
                Column("amount", "Amount", "money"),
                Column("change", "Change on the year before", "percent", empty=NO_YEAR_BEFORE),
                Column("source", "Source"),
            ],
            rows,
            notes=notes,
        )

    # Placements by lot, need and school --------------------------------------------------------------

    def _totals(self, filters: NmissFilters) -> dict:
        totals = _with_committed(_placements(filters), filters).aggregate(
            placements=Count("pk"),
            average_fee=Avg(_fee(), output_field=AVERAGE),
            committed_total=Coalesce(Sum("committed"), Value(Decimal("0.00")), output_field=TOTAL),
        )
        totals["committed"] = totals.pop("committed_total")
        return totals

    def _breakdown_table(self, breakdown: Breakdown, filters: NmissFilters, totals: dict) -> Table:
        grouped = (
            _with_committed(_placements(filters), filters)
            .values(*breakdown.values())
            .annotate(
                placements=Count("pk"),
                average_fee=Avg(_fee(), output_field=AVERAGE),
                committed_total=Coalesce(Sum("committed"), Value(Decimal("0.00")), output_field=TOTAL),
            )
        )
        rows = [
            {
                "name": breakdown.name(row),
                "placements": row["placements"],
                "committed": row["committed_total"],
                "average_fee": row["average_fee"],
            }
            for row in sorted(grouped, key=breakdown.sort_key)
        ]
        years = ", ".join(FinancialYear(y).label for y in filters.years) if filters.years else "every year"
        return Table(
            f"by-{breakdown.key}",
            breakdown.title,
            [
                Column("name", breakdown.label),
                Column("placements", "Placements", "int"),
                Column("committed", "Committed", "money"),
                Column("average_fee", "Average annual fee agreed", "money"),
            ],
            rows,
            notes=[f"Committed cost in {years}; the fee is as agreed, before any uplift."],
            footer={
                "name": "All school placements",
                "placements": totals["placements"],
                "committed": totals["committed"],
                "average_fee": totals["average_fee"],
            },
        )

    # Fees by element -----------------------------------------------------------------------------------

    def _fees_table(self, filters: NmissFilters, fees_on: date) -> Table:
        elements = [*ELEMENTS, ("total", "Total")]
        aggregates = {}
        for name, _label in elements:
            amount = _fee() if name == "total" else F(name)
            aggregates[f"{name}__all"] = Avg(amount, output_field=AVERAGE)
            for setting in PlacementRequest.Setting.values:
                aggregates[f"{name}__{setting}"] = Avg(amount, filter=Q(setting=setting), output_field=AVERAGE)
            aggregates[f"{name}__now"] = Avg(ExpressionWrapper(amount * F("factor"), output_field=AVERAGE))
        for setting in PlacementRequest.Setting.values:
            aggregates[f"count__{setting}"] = Count("pk", filter=Q(setting=setting))
        aggregates["count__all"] = Count("pk")
        # Each placement's uplifts are multiplied out once, not once an element: the averages are taken over a
        # subquery of the placements with their factor, and DISTINCT (a no-op: each row has its pk) keeps the
        # database from folding that subquery back in and working the factor out for each average.
        fields = ["pk", "setting", *(name for name, _label in ELEMENTS), "factor"]
        placements = _placements(filters).annotate(factor=_uplift_factor(fees_on)).values(*fields).distinct()
        averages = placements.aggregate(**aggregates)
        rows = [
            {
                "element": label,
                "all": averages[f"{name}__all"],
                "day": averages[f"{name}__day"],
                "residential": averages[f"{name}__residential"],
                "now": averages[f"{name}__now"],
            }
            for name, label in elements
        ]
        return Table(
            "fees",
            "Average annual fee by element",
            [
                Column("element", "Element"),
                Column("all", "All places, as agreed", "money", empty="No placements"),
                Column("day", "Day places, as agreed", "money", empty="No placements"),
                Column("residential", "Residential places, as agreed", "money", empty="No placements"),
                Column("now", f"All places, in force on {fees_on:%-d %B %Y}", "money", empty="No placements"),
            ],
            rows,
            notes=[
                f"Averages over {averages['count__all']} placements ({averages['count__day']} day, "
                f"{averages['count__residential']} residential). The fee in force includes every uplift taking "
                "effect by that day (a placement that has ended keeps its last fee)."
            ],
        )

    # Uplifts -------------------------------------------------------------------------------------------

    def _uplifts_table(self, filters: NmissFilters) -> Table:
        uplifts = (
            FeeUplift.objects.visible_to(council_reader())
            .filter(placement__in=_placements(filters, by_year=False))
            .annotate(year=_financial_year_of("effective_from"))
            .order_by()
        )
        if filters.years:
            uplifts = uplifts.filter(year__in=filters.years)
        grouped = (
            uplifts.values("year")
            .annotate(
                uplifts=Count("pk"),
                placements=Count("placement", distinct=True),
                average=Avg("percent", output_field=AVERAGE),
                smallest=Min("percent"),
                largest=Max("percent"),
            )
            .order_by("year")
        )
        rows = [
            {
                "year": FinancialYear(row["year"]).label,
                "uplifts": row["uplifts"],
                "placements": row["placements"],
                "average": row["average"],
                "smallest": row["smallest"],
                "largest": row["largest"],
            }
            for row in grouped
        ]
        return Table(
            "uplifts",
            "Fee uplifts by financial year they take effect",
            [
                Column("year", "Financial year"),
                Column("uplifts", "Uplifts", "int"),
                Column("placements", "Placements uplifted", "int"),
                Column("average", "Average uplift", "percent"),
                Column("smallest", "Smallest", "percent"),
                Column("largest", "Largest", "percent"),
            ],
            rows,
            notes=["Each uplift applies to every element of a placement's fee from the day it takes effect."],
        )
