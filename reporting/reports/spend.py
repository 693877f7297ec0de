"""Spend: committed and actual, by financial year, broken down by one or two dimensions.

Committed spend comes from sources, each summed in SQL on its own (see `committed_by_source`): the
placements' committed cost per financial year (`PlacementCommitment`, already pro-rated across years by
the placements services), the NMISS school placements' (`SchoolPlacementCommitment`, uplifts included)
and the contracts' value for each year (`ContractYear`). Actual spend is
approved and paid invoices, in the financial year of the invoice's period end. Each source is summed in
SQL once, by year and by the breakdown asked for; the sources' subtotals are added, and so are a year's
subtotals for its total (`_rolled_up`): a few dozen SQL sums, never the records themselves. No money is
ever added up row by row in Python. There are no child-level rows: nothing here can name a child.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractYear, NullIf
from django.utils import timezone

from contracts.models import Contract, ContractYear
from core.models import FundingSource
from core.money import ZERO, percent_change
from core.periods import FinancialYear
from placements.models import Invoice, Placement, PlacementCommitment, SchoolPlacement, SchoolPlacementCommitment
from providers.models import Provider
from reporting.definitions import Chart, Column, ReportDefinition, ReportParametersForm, Result, Table, register

from .common import ChildFiltersMixin, council_reader, pks

TOTAL = DecimalField(max_digits=14, decimal_places=2)
FIRST_YEAR = 2017  # the earliest spend the council's papers give (NMISS, 2017-18)

CONTRACT = "contract"  # the arrangement of a contract's own value (not one child's placement)
NOT_SPLIT = "not-split"  # a contract's value has no therapy or district breakdown beyond the contract's own lists
NOT_SPLIT_LABEL = "Contract (not split)"
SCHOOL_PLACEMENT = "school_placement"  # the arrangement of an NMISS individual placement agreement
SCHOOL_PLACE = "school-place"  # a school place is not bought by therapy
SCHOOL_PLACE_LABEL = "School place (not by therapy)"
ON_QPL, OFF_QPL, NOT_QPL = "on", "off", "neither"
NO_COMPARISON = "No year before to compare"  # a change with no spend the year before to compare with
NO_SPEND = "No spend"  # a share of nothing

DIMENSIONS = {
    "therapy": "Therapy",
    "arrangement": "Arrangement",
    "provider": "Provider",
    "district": "District",
    "funding": "Funding source",
    "qpl": "On or off the QPL",
}
CODE_LABELS = {
    "arrangement": {
        **dict(Placement.Arrangement.choices),
        CONTRACT: "Contract",
        SCHOOL_PLACEMENT: "NMISS school placement",
    },
    "funding": dict(FundingSource.choices),
    "qpl": {
        ON_QPL: "On the QPL (call-off)",
        OFF_QPL: "Off the QPL (spot purchase)",
        NOT_QPL: "Not bought through the QPL",
    },
}
ARRANGEMENT_CHOICES = [
    *Placement.Arrangement.choices,
    (CONTRACT, "Contract (a contract's own value)"),
    (SCHOOL_PLACEMENT, "NMISS school placement (independent or non-maintained special school)"),
]


def financial_year_choices() -> list[tuple[str, str]]:
    latest = FinancialYear.of(timezone.localdate()).start_year + 2
    return [(FinancialYear(y).label, FinancialYear(y).label) for y in range(FIRST_YEAR, latest + 1)]


class SpendForm(ChildFiltersMixin, ReportParametersForm):
    field_order = [
        "financial_years",
        "group_by",
        "then_by",
        "therapy_types",
        "districts",
        "arrangements",
        "providers",
    ]

    financial_years = forms.MultipleChoiceField(
        label="Financial years",
        choices=financial_year_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for every year with spend.",
    )
    group_by = forms.ChoiceField(
        label="Break the spend down by",
        choices=list(DIMENSIONS.items()),
        required=False,
        initial="arrangement",
        widget=forms.RadioSelect,
    )
    then_by = forms.ChoiceField(
        label="And then by",
        choices=[("", "Nothing else"), *DIMENSIONS.items()],
        required=False,
        widget=forms.RadioSelect,
    )
    arrangements = forms.MultipleChoiceField(
        label="Arrangements",
        choices=ARRANGEMENT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for every arrangement, contracts and school placements included.",
    )
    providers = forms.ModelMultipleChoiceField(
        label="Providers",
        queryset=Provider.objects.order_by("legal_name", "pk"),
        required=False,
        help_text="Leave none chosen for every provider. A contract's provider is its supplier; a school "
        "placement's, the school.",
    )

    def clean_group_by(self) -> str:
        return self.cleaned_data.get("group_by") or "arrangement"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("then_by") and cleaned.get("then_by") == cleaned.get("group_by"):
            raise ValidationError({"then_by": "Choose a different second breakdown, or nothing else."})
        return cleaned


# Where spend comes from ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendFilters:
    """The report's filters, as primary keys and codes (None or empty: no filter)."""

    years: list[int]  # start years of the financial years to fetch; empty for every year
    therapy_types: list[int] | None = None
    districts: list[int] | None = None
    arrangements: list[str] | None = None
    providers: list[int] | None = None

    def placement_arrangements(self) -> list[str] | None:
        if not self.arrangements:
            return None
        return [a for a in self.arrangements if a not in (CONTRACT, SCHOOL_PLACEMENT)]

    def includes(self, arrangement: str) -> bool:
        return not self.arrangements or arrangement in self.arrangements

    def includes_contracts(self) -> bool:
        return self.includes(CONTRACT)


@dataclass(frozen=True)
class DimensionSql:
    """How a dimension reads on one source: a grouping key and, where the key is an id, a display name."""

    key: object
    name: object = None


def _provider_name(prefix: str):
    return Coalesce(NullIf(F(f"{prefix}trading_name"), Value("")), F(f"{prefix}legal_name"))


class SpendSource:
    """One kind of record spend is summed from: its rows (scoped and filtered), its financial year, its
    amount, what counts as bought off the QPL, and how each dimension reads on it."""

    key = ""
    amount = "amount"

    def queryset(self, filters: SpendFilters) -> QuerySet:
        raise NotImplementedError

    def year(self):
        return F("financial_year")

    def off_qpl(self) -> Q | None:
        return None

    def dimension(self, name: str) -> DimensionSql:
        raise NotImplementedError


class PlacementSource(SpendSource):
    """Rows that belong to one child's placement (commitments and invoices): every dimension applies."""

    prefix = "placement__"

    def _filtered(self, queryset: QuerySet, filters: SpendFilters) -> QuerySet:
        p = self.prefix
        if filters.therapy_types:
            queryset = queryset.filter(**{f"{p}provision__therapy_type__in": filters.therapy_types})
        if filters.districts:
            queryset = queryset.filter(**{f"{p}child__district__in": filters.districts})
        arrangements = filters.placement_arrangements()
        if arrangements is not None:
            queryset = queryset.filter(**{f"{p}arrangement__in": arrangements})
        if filters.providers:
            queryset = queryset.filter(**{f"{p}provider__in": filters.providers})
        return queryset

    def off_qpl(self) -> Q:
        return Q(**{f"{self.prefix}arrangement": Placement.Arrangement.SPOT_PURCHASE})

    def dimension(self, name: str) -> DimensionSql:
        p = self.prefix
        if name == "therapy":
            return DimensionSql(F(f"{p}provision__therapy_type_id"), F(f"{p}provision__therapy_type__name"))
        if name == "arrangement":
            return DimensionSql(F(f"{p}arrangement"))
        if name == "provider":
            return DimensionSql(F(f"{p}provider_id"), _provider_name(f"{p}provider__"))
        if name == "district":
            return DimensionSql(F(f"{p}child__district_id"), F(f"{p}child__district__name"))
        if name == "funding":
            return DimensionSql(F(f"{p}funding_source"))
        if name == "qpl":
            return DimensionSql(
                Case(
                    When(**{f"{p}arrangement": Placement.Arrangement.QPL_CALL_OFF}, then=Value(ON_QPL)),
                    When(**{f"{p}arrangement": Placement.Arrangement.SPOT_PURCHASE}, then=Value(OFF_QPL)),
                    default=Value(NOT_QPL),
                    output_field=CharField(),
                )
            )
        raise ValueError(f"Unknown dimension {name!r}")


class PlacementCommitments(PlacementSource):
    """Each placement's committed cost per financial year (cancelled and proposed placements commit nothing)."""

    key = "placements"

    def queryset(self, filters: SpendFilters) -> QuerySet:
        placements = Placement.objects.visible_to(council_reader())
        return self._filtered(PlacementCommitment.objects.filter(placement__in=placements), filters)


class ContractYears(SpendSource):
    """Each contract's value for a financial year, under the arrangement "Contract", its supplier as provider.

    A contract has no child, therapy mix or district breakdown beyond its own lists: its value is never
    split by therapy or district ("Contract (not split)"); a therapy or district filter keeps the contracts
    that cover any chosen therapy or district, at their full value. Draft contracts commit nothing yet.
    """

    key = "contracts"
    amount = "value"

    def queryset(self, filters: SpendFilters) -> QuerySet:
        if not filters.includes_contracts():
            return ContractYear.objects.none()
        contracts = Contract.objects.visible_to(council_reader()).exclude(status=Contract.Status.DRAFT)
        if filters.therapy_types:
            contracts = contracts.filter(therapy_types__in=filters.therapy_types)
        if filters.districts:
            contracts = contracts.filter(districts__in=filters.districts)
        if filters.providers:
            contracts = contracts.filter(supplier__in=filters.providers)
        return ContractYear.objects.visible_to(council_reader()).filter(contract__in=contracts.values("pk"))

    def dimension(self, name: str) -> DimensionSql:
        if name in ("therapy", "district"):
            return DimensionSql(Value(NOT_SPLIT))
        if name == "arrangement":
            return DimensionSql(Value(CONTRACT))
        if name == "provider":
            return DimensionSql(F("contract__supplier_id"), _provider_name("contract__supplier__"))
        if name == "funding":
            return DimensionSql(F("contract__funding_source"))
        if name == "qpl":
            return DimensionSql(Value(NOT_QPL))
        raise ValueError(f"Unknown dimension {name!r}")


class SchoolPlacementCommitments(SpendSource):
    """Each NMISS school placement's committed cost per financial year, uplifts included, under the
    arrangement "NMISS school placement", the school as provider and the child's district. A school place is
    not bought by therapy: a therapy filter leaves school placements out, and a therapy breakdown shows them
    as "School place (not by therapy)". Their fees are not invoiced through the service: committed only."""

    key = "school_placements"

    def queryset(self, filters: SpendFilters) -> QuerySet:
        if not filters.includes(SCHOOL_PLACEMENT) or filters.therapy_types:
            return SchoolPlacementCommitment.objects.none()
        placements = SchoolPlacement.objects.visible_to(council_reader())
        if filters.districts:
            placements = placements.filter(child__district__in=filters.districts)
        if filters.providers:
            placements = placements.filter(school__in=filters.providers)
        return SchoolPlacementCommitment.objects.filter(placement__in=placements.values("pk"))

    def dimension(self, name: str) -> DimensionSql:
        if name == "therapy":
            return DimensionSql(Value(SCHOOL_PLACE))
        if name == "arrangement":
            return DimensionSql(Value(SCHOOL_PLACEMENT))
        if name == "provider":
            return DimensionSql(F("placement__school_id"), _provider_name("placement__school__"))
        if name == "district":
            return DimensionSql(F("placement__child__district_id"), F("placement__child__district__name"))
        if name == "funding":
            return DimensionSql(F("placement__funding_source"))
        if name == "qpl":
            return DimensionSql(Value(NOT_QPL))
        raise ValueError(f"Unknown dimension {name!r}")


class ApprovedInvoices(PlacementSource):
    """Approved and paid invoices, in the financial year of the invoice's period end."""

    key = "invoices"

    def queryset(self, filters: SpendFilters) -> QuerySet:
        return self._filtered(Invoice.objects.visible_to(council_reader()).actual(), filters)

    def year(self):
        # The financial year starts on 1 April: January to March belong to the year before.
        return Case(
            When(period_end__month__gte=4, then=ExtractYear("period_end")),
            default=ExtractYear("period_end") - 1,
        )


def committed_sources() -> list[SpendSource]:
    """Every source of committed spend: each is summed on its own and every table, total and chart adds them."""
    return [PlacementCommitments(), SchoolPlacementCommitments(), ContractYears()]


def actual_sources() -> list[SpendSource]:
    return [ApprovedInvoices()]


def _sums(source: SpendSource) -> dict:
    """The source's spend, and the part of it bought off the QPL (where the source can be)."""
    sums = {"total": Coalesce(Sum(source.amount), Value(ZERO), output_field=TOTAL)}
    off_qpl = source.off_qpl()
    if off_qpl is not None:
        sums["off_qpl"] = Coalesce(Sum(source.amount, filter=off_qpl), Value(ZERO), output_field=TOTAL)
    return sums


def _grouped(source: SpendSource, filters: SpendFilters, dimensions: list[str]) -> list[dict]:
    """One SQL aggregate: the source's spend (and the part bought off the QPL) per year and dimension values."""
    annotations, fields = {"fy": source.year()}, ["fy"]
    for index, name in enumerate(dimensions):
        spec = source.dimension(name)
        annotations[f"d{index}"] = spec.key
        fields.append(f"d{index}")
        if spec.name is not None:
            annotations[f"d{index}_name"] = spec.name
            fields.append(f"d{index}_name")
    queryset = source.queryset(filters).annotate(**annotations)
    if filters.years:
        queryset = queryset.filter(fy__in=filters.years)
    return list(queryset.values(*fields).annotate(**_sums(source)).order_by())


def committed_by_source(*, filters: SpendFilters, dimensions: list[str]) -> list[tuple[str, list[dict]]]:
    """Committed spend per financial year and dimension values, summed in SQL, one query per source:
    [(source key, [{"fy", "d0", "d0_name", ..., "total", "off_qpl"}])]."""
    return [(source.key, _grouped(source, filters, dimensions)) for source in committed_sources()]


def actual_by_source(*, filters: SpendFilters, dimensions: list[str]) -> list[tuple[str, list[dict]]]:
    return [(source.key, _grouped(source, filters, dimensions)) for source in actual_sources()]


# Putting the figures together ---------------------------------------------------------------------


def _label(dimension: str, key, name) -> str:
    if key == NOT_SPLIT:
        return NOT_SPLIT_LABEL
    if key == SCHOOL_PLACE:
        return SCHOOL_PLACE_LABEL
    if dimension in CODE_LABELS:
        return CODE_LABELS[dimension].get(key, str(key))
    if dimension == "provider" and key is None:
        return "The family (personal budget)"
    return name or "Not recorded"


@dataclass
class Cell:
    committed: Decimal = ZERO
    committed_off_qpl: Decimal = ZERO
    actual: Decimal = ZERO
    actual_off_qpl: Decimal = ZERO


def _combine(committed, actual, dimensions: list[str]) -> tuple[dict[tuple, Cell], dict[tuple, tuple[str, ...]]]:
    """Each source's aggregated rows into one cell per (year, dimension keys): a source adds one subtotal."""
    cells: dict[tuple, Cell] = {}
    labels: dict[tuple, tuple[str, ...]] = {}
    for measure, by_source in (("committed", committed), ("actual", actual)):
        for _source, rows in by_source:
            for row in rows:
                keys = tuple(row[f"d{i}"] for i in range(len(dimensions)))
                labels[keys] = tuple(
                    _label(dimensions[i], row[f"d{i}"], row.get(f"d{i}_name")) for i in range(len(dimensions))
                )
                cell = cells.setdefault((row["fy"], keys), Cell())
                setattr(cell, measure, getattr(cell, measure) + row["total"])
                off = row.get("off_qpl", ZERO)
                setattr(cell, f"{measure}_off_qpl", getattr(cell, f"{measure}_off_qpl") + off)
    return cells, labels


def _rolled_up(cells: dict[tuple, Cell], labels: dict[tuple, tuple[str, ...]], keep: int):
    """The cells of a finer breakdown added up to the first `keep` dimensions (0: one cell a year)."""
    rolled: dict[tuple, Cell] = {}
    for (fy, keys), cell in cells.items():
        total = rolled.setdefault((fy, keys[:keep]), Cell())
        for measure in ("committed", "committed_off_qpl", "actual", "actual_off_qpl"):
            setattr(total, measure, getattr(total, measure) + getattr(cell, measure))
    return rolled, {keys[:keep]: names[:keep] for keys, names in labels.items()}


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    return part * 100 / whole if whole else None


def _is_off_qpl(dimensions: list[str], keys: tuple) -> bool:
    for name, key in zip(dimensions, keys, strict=True):
        if (name, key) in (("arrangement", Placement.Arrangement.SPOT_PURCHASE), ("qpl", OFF_QPL)):
            return True
    return False


NOTES = [
    "Committed spend is each therapy placement's committed cost in each financial year (its rate, amount a week "
    "and weeks a year over its term, split across financial years by days), each NMISS school placement's (its "
    "annual fee with uplifts, split the same way) and each contract's value for the year. Proposed and "
    "cancelled placements and draft contracts commit nothing.",
    "Actual spend is approved and paid invoices, counted in the financial year in which the invoice's period "
    "ends. Contract payments and school fees are not invoiced through the service, so contracts and school "
    "placements have committed spend only.",
    "Year-on-year changes are computed from the spend in this report (this year's spend less last year's, as a "
    "share of last year's), never copied from other papers.",
    "Off the QPL means spot purchases from providers not on the Qualified Provider List; its share is of all "
    "the spend the report shows (choose arrangements to compare it with placements only).",
    f"A contract's value is not split by child, therapy or district: in those breakdowns it shows as "
    f"“{NOT_SPLIT_LABEL}”. A therapy or district filter keeps the contracts covering any chosen therapy or "
    f"district, at their full value.",
    "Placements under an NHS contract are usually paid for by the contract's value, so they commit nothing themselves.",
    f"A school place is not bought by therapy: a therapy filter leaves school placements out, and in a therapy "
    f"breakdown they show as “{SCHOOL_PLACE_LABEL}”. Choose arrangements to see therapy alone.",
]


@register
class SpendReport(ReportDefinition):
    kind = "spend"
    title = "Spend"
    description = (
        "Committed and actual spend by financial year, by therapy, arrangement, provider, district, funding "
        "source or on and off the QPL, with the change on the year before and the share bought off the QPL."
    )
    form_class = SpendForm
    pdf = True
    group = "Spend"

    def build(self, *, params, progress, user) -> Result:
        chosen = sorted(FinancialYear.from_label(label).start_year for label in params.get("financial_years") or [])
        dims = [params.get("group_by") or "arrangement"] + ([params["then_by"]] if params.get("then_by") else [])
        shown = SpendFilters(
            years=chosen,
            therapy_types=pks(params.get("therapy_types")),
            districts=pks(params.get("districts")),
            arrangements=params.get("arrangements") or None,
            providers=pks(params.get("providers")),
        )
        # The year before each chosen year is fetched too, so every change is on the true year before.
        fetched = replace(shown, years=sorted({*chosen, *(y - 1 for y in chosen)}))

        progress(10, f"Adding up spend by year and {DIMENSIONS[dims[0]].lower()}")
        # One query a source, at the finest breakdown; each year's figures and the first breakdown's add those up.
        cells, labels = _combine(
            committed_by_source(filters=fetched, dimensions=dims),
            actual_by_source(filters=fetched, dimensions=dims),
            dims,
        )
        first_cells, first_labels = _rolled_up(cells, labels, 1) if len(dims) > 1 else (cells, labels)
        year_cells, _ = _rolled_up(cells, labels, 0)
        years = chosen or sorted({fy for fy, _ in year_cells})
        totals = Cell()
        for fy in years:  # the years shown, not one fetched only to compare with
            for measure in ("committed", "committed_off_qpl", "actual", "actual_off_qpl"):
                setattr(totals, measure, getattr(totals, measure) + getattr(year_cells.get((fy, ()), Cell()), measure))

        progress(80, "Laying out the tables")
        year_table = self._years_table(years, year_cells, totals)
        breakdown = self._breakdown_table(years, dims, cells, labels, year_cells)
        committed_wide = self._wide_table("committed", years, dims[0], first_cells, first_labels, year_cells)
        actual_wide = self._wide_table("actual", years, dims[0], first_cells, first_labels, year_cells)
        notes = NOTES
        dimension = DIMENSIONS[dims[0]].lower()
        return Result(
            tables=[year_table, breakdown, committed_wide, actual_wide],
            charts=[
                Chart(
                    "years",
                    "Committed and actual spend by financial year",
                    "Bars for each financial year: committed spend beside actual (approved and paid) spend.",
                    "years",
                    "year",
                    ["committed", "actual"],
                ),
                Chart(
                    "committed",
                    f"Committed spend by financial year and {dimension}",
                    f"A bar for each financial year, stacked by {dimension}.",
                    "committed-by",
                    "year",
                    [c.key for c in committed_wide.columns[1:-1]],
                    kind="stacked",
                ),
                Chart(
                    "actual",
                    f"Actual spend by financial year and {dimension}",
                    f"A bar for each financial year, stacked by {dimension}.",
                    "actual-by",
                    "year",
                    [c.key for c in actual_wide.columns[1:-1]],
                    kind="stacked",
                ),
            ],
            summary=self._summary(years, year_table),
            notes=notes,
        )

    def _years_table(self, years: list[int], cells: dict, totals: Cell) -> Table:
        rows = []
        for fy in years:
            cell, before = cells.get((fy, ()), Cell()), cells.get((fy - 1, ()))
            rows.append(
                {
                    "year": FinancialYear(fy).label,
                    "committed": cell.committed,
                    "committed_change": percent_change(before.committed, cell.committed) if before else None,
                    "actual": cell.actual,
                    "actual_change": percent_change(before.actual, cell.actual) if before else None,
                    "committed_off_qpl": cell.committed_off_qpl,
                    "committed_off_qpl_share": _share(cell.committed_off_qpl, cell.committed),
                    "actual_off_qpl": cell.actual_off_qpl,
                    "actual_off_qpl_share": _share(cell.actual_off_qpl, cell.actual),
                }
            )
        committed, committed_off = totals.committed, totals.committed_off_qpl
        actual, actual_off = totals.actual, totals.actual_off_qpl
        return Table(
            "years",
            "Spend by financial year",
            [
                Column("year", "Financial year"),
                Column("committed", "Committed", "money"),
                Column("committed_change", "Committed: change on the year before", "percent", empty=NO_COMPARISON),
                Column("actual", "Actual", "money"),
                Column("actual_change", "Actual: change on the year before", "percent", empty=NO_COMPARISON),
                Column("committed_off_qpl", "Committed off the QPL", "money"),
                Column("committed_off_qpl_share", "Share of committed off the QPL", "share", NO_SPEND, True),
                Column("actual_off_qpl", "Actual off the QPL", "money"),
                Column("actual_off_qpl_share", "Share of actual off the QPL", "share", NO_SPEND, True),
            ],
            rows,
            notes=["The change is worked out from the spend in this table; the shares off the QPL are picked out."],
            footer={
                "year": "All years shown",
                "committed": committed,
                "committed_change": None,
                "actual": actual,
                "actual_change": None,
                "committed_off_qpl": committed_off,
                "committed_off_qpl_share": _share(committed_off, committed),
                "actual_off_qpl": actual_off,
                "actual_off_qpl_share": _share(actual_off, actual),
            },
        )

    def _breakdown_table(self, years, dims, cells, labels, year_cells) -> Table:
        rows = []
        order = sorted(labels, key=lambda keys: tuple(s.lower() for s in labels[keys]))
        for fy in years:
            year_committed = year_cells.get((fy, ()), Cell()).committed
            for keys in order:
                cell = cells.get((fy, keys))
                if cell is None:
                    continue
                before = cells.get((fy - 1, keys))
                row = {"year": FinancialYear(fy).label}
                for index, label in enumerate(labels[keys]):
                    row[f"d{index}"] = label
                row.update(
                    committed=cell.committed,
                    committed_share=_share(cell.committed, year_committed),
                    committed_change=percent_change(before.committed, cell.committed) if before else None,
                    actual=cell.actual,
                    actual_change=percent_change(before.actual, cell.actual) if before else None,
                    off_qpl=_is_off_qpl(dims, keys),
                )
                rows.append(row)
        title = " and ".join(DIMENSIONS[d].lower() for d in dims)
        return Table(
            "breakdown",
            f"Spend by financial year and {title}",
            [
                Column("year", "Financial year"),
                *[Column(f"d{i}", DIMENSIONS[d]) for i, d in enumerate(dims)],
                Column("committed", "Committed", "money"),
                Column("committed_share", "Share of the year's committed", "share", NO_SPEND),
                Column("committed_change", "Committed: change on the year before", "percent", empty=NO_COMPARISON),
                Column("actual", "Actual", "money"),
                Column("actual_change", "Actual: change on the year before", "percent", empty=NO_COMPARISON),
            ],
            rows,
            highlight="off_qpl",
            notes=["Rows bought off the QPL (spot purchases) are picked out."]
            if {"arrangement", "qpl"} & set(dims)
            else [],
        )

    def _wide_table(self, measure, years, dimension, cells, labels, year_cells) -> Table:
        """Years down, the first dimension's values across: the figures the stacked chart draws."""
        shown = {keys for fy, keys in cells if fy in years}  # not values met only in a year fetched for a change
        order = sorted(shown, key=lambda keys: labels[keys][0].lower())
        columns = [Column("year", "Financial year")]
        columns += [Column(f"v{index}", labels[keys][0], "money") for index, keys in enumerate(order)]
        columns.append(Column("total", "Total", "money"))
        rows = []
        for fy in years:
            row = {"year": FinancialYear(fy).label}
            for index, keys in enumerate(order):
                row[f"v{index}"] = getattr(cells.get((fy, keys), Cell()), measure)
            row["total"] = getattr(year_cells.get((fy, ()), Cell()), measure)
            rows.append(row)
        return Table(
            f"{measure}-by",
            f"{measure.capitalize()} spend by financial year and {DIMENSIONS[dimension].lower()}",
            columns,
            rows,
        )

    def _summary(self, years, year_table: Table) -> list[dict]:
        """The totals over the years shown; the share off the QPL this financial year (or the latest shown);
        the change in actual spend for the latest year shown that has ended (a year under way is part-spent)."""
        if not years:
            return [{"label": "Spend", "value": ZERO, "kind": "money"}]
        first, last = FinancialYear(years[0]), FinancialYear(years[-1])
        span = first.label if first == last else f"{first} to {last}"
        today = timezone.localdate()
        rows = dict(zip(years, year_table.rows, strict=True))
        focus = FinancialYear.of(today).start_year
        focus = focus if focus in rows else years[-1]
        ended = [fy for fy in years if FinancialYear(fy).end < today]
        summary = [
            {"label": f"Committed, {span}", "value": year_table.footer["committed"], "kind": "money"},
            {"label": f"Actual, {span}", "value": year_table.footer["actual"], "kind": "money"},
        ]
        for measure in ("committed", "actual"):
            share = rows[focus][f"{measure}_off_qpl_share"]
            if share is not None:
                label = f"{measure.capitalize()} off the QPL, {FinancialYear(focus)}"
                summary.append({"label": label, "value": share, "kind": "share"})
        if ended and rows[ended[-1]]["actual_change"] is not None:
            year = FinancialYear(ended[-1])
            summary.append(
                {
                    "label": f"Change in actual spend, {year} on {year.previous()}",
                    "value": rows[ended[-1]]["actual_change"],
                    "kind": "percent",
                }
            )
        return summary
