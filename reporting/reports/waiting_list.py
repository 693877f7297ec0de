"""Waiting list: the council's own referrals (by stage and wait, the median wait, the month-end trend), the
NHS trusts' monthly returns (by trust and month), and the two side by side on the measures they share.

Weeks waiting are whole weeks from `referred_on` to `waiting_ended_on`, or to the as-on date while a
referral is still waiting; they are worked out in SQL when the report runs, never stored. Every count,
the median and the trend are SQL aggregates over the referrals; a trust's figures are SQL sums over its
returns. A figure a trust did not report stays None ("Not reported"), never 0. There are no child-level
rows: nothing here can name a child.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Avg, Case, CharField, Count, DecimalField, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.expressions import Window
from django.db.models.functions import Cast, Coalesce, NullIf, RowNumber

from contracts.models import Contract, PerformanceReturn
from core.db import DaysBetween, as_date
from core.forms import DateInput
from core.periods import add_months, month_end, month_start, months_between
from placements.models import Referral
from placements.selectors import WAIT_BAND_BY_KEY, WAIT_BANDS
from reporting.definitions import Chart, Column, ReportDefinition, Result, Table, register

from .common import AsOnForm, ChildFiltersMixin, council_reader, pks

MAX_TREND_MONTHS = 60
WAITING_THEN = "waiting_then"  # waiting on the as-on date, since placed or closed: its stage then is not kept
STAGE_LABELS = {
    Referral.Stage.AWAITING_ASSESSMENT: "Awaiting assessment",
    Referral.Stage.AWAITING_INTERVENTION: "Awaiting intervention",
    WAITING_THEN: "Waiting then, since placed or closed",
    Referral.Stage.PLACED: "Placed",
    Referral.Stage.CLOSED: "Closed",
}
WAITING_GROUPS = (Referral.Stage.AWAITING_ASSESSMENT, Referral.Stage.AWAITING_INTERVENTION, WAITING_THEN)
TWELVE_PLUS = WAIT_BAND_BY_KEY["12_plus"]
SHARE = DecimalField(max_digits=8, decimal_places=1)
NO_ONE_WAITING = "No one waiting"


class WaitingListForm(ChildFiltersMixin, AsOnForm):
    field_order = ["as_on", "trend_from", "therapy_types", "districts"]

    trend_from = forms.DateField(
        label="Trend from",
        required=False,
        widget=DateInput(),
        help_text="The month the trend starts in. Leave blank for the 12 months up to the as-on date.",
    )

    def clean(self):
        cleaned = super().clean()
        as_on = cleaned.get("as_on")
        if not as_on:
            return cleaned
        start = cleaned.get("trend_from") or add_months(month_start(as_on), -11)
        if start > as_on:
            raise ValidationError({"trend_from": "The trend must start on or before the as-on date."})
        if len(list(months_between(start, as_on))) > MAX_TREND_MONTHS:
            raise ValidationError({"trend_from": f"The trend can cover at most {MAX_TREND_MONTHS} months."})
        cleaned["trend_from"] = month_start(start)
        return cleaned


def waiting_on(day: date) -> Q:
    """Referrals waiting on `day`: referred by then, and not yet placed or closed (the wait stops the day it ends)."""
    return Q(referred_on__lte=day) & (Q(waiting_ended_on__isnull=True) | Q(waiting_ended_on__gt=day))


def weeks_waited(day: date):
    """Whole weeks from referral to `day`, in SQL (integer division on both SQLite and PostgreSQL)."""
    return Cast(DaysBetween(as_date(day), F("referred_on")) / Value(7), IntegerField())


def stage_on(day: date):
    """Where a referral stood on `day`: its stage if it is still waiting, "waiting then" if it was waiting
    then but has since been placed or closed, or placed / closed if its wait had ended by then."""
    waiting = waiting_on(day)
    return Case(
        When(waiting & Q(stage=Referral.Stage.AWAITING_ASSESSMENT), then=Value(Referral.Stage.AWAITING_ASSESSMENT)),
        When(waiting & Q(stage=Referral.Stage.AWAITING_INTERVENTION), then=Value(Referral.Stage.AWAITING_INTERVENTION)),
        When(waiting, then=Value(WAITING_THEN)),
        default=F("stage"),
        output_field=CharField(),
    )


def _share(part, whole) -> Decimal | None:
    """`part` as a share of `whole` in per cent; None when either is not reported; 0 of nobody is 0%."""
    if part is None or whole is None:
        return None
    return Decimal(part) * 100 / Decimal(whole) if whole else Decimal("0")


# The council's referrals --------------------------------------------------------------------------


def referrals_for(*, as_on: date, therapy_types: list[int] | None, districts: list[int] | None) -> QuerySet:
    referrals = Referral.objects.visible_to(council_reader()).filter(referred_on__lte=as_on)
    if therapy_types:
        referrals = referrals.filter(provision__therapy_type__in=therapy_types)
    if districts:
        referrals = referrals.filter(child__district__in=districts)
    return referrals.order_by()


def _band_counts(day: date) -> dict:
    return {band.key: Count("pk", filter=band.condition(day)) for band in WAIT_BANDS}


def referral_counts(referrals: QuerySet, *, as_on: date, month_ends: list[date]) -> dict:
    """The referrals counted in one query (one reading of the list):

    - `stages`: per stage on the as-on date, the referrals and how many fall in each wait band (the bands
      matter for the waiting stages);
    - `totals`: every referral made by then, everyone waiting on the as-on date and how many of them in each
      band (the waiting stages' counts added up);
    - `trend`: for each month end, how many were waiting then and how many of them 12 weeks or more (each
      stage's count added up).
    """
    trend = {
        name: Count("pk", filter=condition)
        for index, day in enumerate(month_ends)
        for name, condition in (
            (f"waiting_{index}", waiting_on(day)),
            (f"over_{index}", waiting_on(day) & TWELVE_PLUS.condition(day)),
        )
    }
    rows = list(
        referrals.annotate(group=stage_on(as_on))
        .values("group")
        .annotate(referrals=Count("pk"), **_band_counts(as_on), **trend)
        .order_by()
    )
    stages = {row["group"]: row for row in rows}
    waiting = [row for group, row in stages.items() if group in WAITING_GROUPS]
    totals = {
        "referred": sum(row["referrals"] for row in rows),
        "waiting": sum(row["referrals"] for row in waiting),
        **{band.key: sum(row[band.key] for row in waiting) for band in WAIT_BANDS},
    }
    return {
        "stages": stages,
        "totals": totals,
        "trend": [
            {
                "day": day,
                "waiting": sum(row[f"waiting_{index}"] for row in rows),
                "over_12": sum(row[f"over_{index}"] for row in rows),
            }
            for index, day in enumerate(month_ends)
        ],
    }


def median_weeks(referrals: QuerySet, *, as_on: date) -> tuple[dict[str, Decimal], Decimal | None]:
    """The median whole weeks waited by those waiting on the as-on date: per stage, and for all. One query.

    In SQL on both SQLite and PostgreSQL (neither shares a median aggregate): number the waits in order
    within each stage and among all (ROW_NUMBER) beside the number waiting (COUNT OVER), and average the
    middle one or two of each (the middle two when the number waiting is even).
    """
    order = [F("referred_on").desc(), F("pk")]
    ranked = (
        referrals.filter(waiting_on(as_on))
        .annotate(group=stage_on(as_on), weeks=Cast(weeks_waited(as_on), SHARE))
        .annotate(
            position=Window(RowNumber(), partition_by=[F("group")], order_by=order),
            size=Window(Count("pk"), partition_by=[F("group")]),
            overall_position=Window(RowNumber(), order_by=order),
            overall_size=Window(Count("pk")),
        )
    )
    middle = Q(position__gte=(F("size") + 1) / 2, position__lte=F("size") / 2 + 1)
    overall_middle = Q(
        overall_position__gte=(F("overall_size") + 1) / 2, overall_position__lte=F("overall_size") / 2 + 1
    )
    medians = ranked.aggregate(
        all=Avg("weeks", filter=overall_middle, output_field=SHARE),
        **{str(g): Avg("weeks", filter=middle & Q(group=g), output_field=SHARE) for g in WAITING_GROUPS},
    )
    rounded = {
        group: Decimal(str(median)).quantize(Decimal("0.1")) for group, median in medians.items() if median is not None
    }
    overall = rounded.pop("all", None)
    return rounded, overall  # with nobody waiting, no median at all


# The trusts' returns ------------------------------------------------------------------------------

SUPPLIER_NAME = "contract__supplier__legal_name"
RETURN_MEASURES = (
    "waiting_assessment",
    "waiting_assessment_over_12_weeks",
    "waiting_intervention",
    "waiting_intervention_over_12_weeks",
)


def returns_for(
    *, start: date, end: date, therapy_types: list[int] | None, districts: list[int] | None
) -> QuerySet[PerformanceReturn]:
    returns = PerformanceReturn.objects.visible_to(council_reader()).filter(month__gte=start, month__lte=end)
    if therapy_types:
        returns = returns.filter(therapy_type__in=therapy_types)
    if districts:  # returns are not split by district: keep the contracts covering any chosen district
        covering = Contract.objects.filter(districts__in=districts).values("pk")
        returns = returns.filter(contract__in=covering)
    return returns.order_by()


def returns_by_trust(returns: QuerySet[PerformanceReturn]) -> list[dict]:
    """Per month and trust (the contract's supplier): each measure summed over the trust's returns, with how
    many of those returns reported it, so that "not reported" (no return gave it) stays None. One query."""
    sums = {}
    for measure in RETURN_MEASURES:
        sums[f"sum_{measure}"] = Sum(measure)
        sums[f"reported_{measure}"] = Count(measure)
    rows = (
        returns.annotate(trust=Coalesce(NullIf(F("contract__supplier__trading_name"), Value("")), F(SUPPLIER_NAME)))
        .values("month", "contract__supplier_id", "trust")
        .annotate(returns=Count("pk"), **sums)
        .order_by("month", "trust", "contract__supplier_id")
    )
    return list(rows)


def return_notes(returns: QuerySet[PerformanceReturn]) -> dict[tuple[date, int], list[str]]:
    """The trusts' own data-quality notes per month and trust. One query."""
    notes: dict[tuple[date, int], list[str]] = {}
    for month, supplier_id, note in (
        returns.exclude(data_quality_note="")
        .values_list("month", "contract__supplier_id", "data_quality_note")
        .distinct()
        .order_by("month", "contract__supplier_id", "data_quality_note")
    ):
        notes.setdefault((month, supplier_id), []).append(note)
    return notes


MEASURE_LABELS = {
    "waiting_assessment": "Waiting for assessment",
    "waiting_assessment_over_12_weeks": "Waiting for assessment over 12 weeks",
    "waiting_intervention": "Waiting for intervention",
    "waiting_intervention_over_12_weeks": "Waiting for intervention over 12 weeks",
}


@dataclass
class TrustStage:
    label: str
    total: int | None
    over_12: int | None


def _trust_figures(row: dict) -> tuple[dict, list[str]]:
    """The trust's figures for a month, None where no return reported a measure, and what was partly reported."""
    figures, partial = {}, []
    for measure in RETURN_MEASURES:
        reported = row[f"reported_{measure}"]
        figures[measure] = row[f"sum_{measure}"] if reported else None
        if 0 < reported < row["returns"]:
            partial.append(f"{MEASURE_LABELS[measure]} is in {reported} of its {row['returns']} returns only.")
    return figures, partial


def comparable(figures: dict) -> dict:
    """Waiting, over 12 weeks and the share for a trust's month, from the stages it reported.

    A stage counts when its total is reported; "over 12 weeks" needs every counted stage's figure, or it is
    None. `covers` says which stages the figures are for.
    """
    stages = [
        TrustStage("assessment", figures["waiting_assessment"], figures["waiting_assessment_over_12_weeks"]),
        TrustStage("intervention", figures["waiting_intervention"], figures["waiting_intervention_over_12_weeks"]),
    ]
    counted = [s for s in stages if s.total is not None]
    if not counted:
        return {"waiting": None, "over_12": None, "share": None, "covers": "Not reported"}
    waiting = sum(s.total for s in counted)
    over = sum(s.over_12 for s in counted) if all(s.over_12 is not None for s in counted) else None
    if len(counted) == 2:
        covers = "Assessment and intervention"
    else:
        missing = next(s for s in stages if s.total is None)
        covers = f"{counted[0].label.capitalize()} only: {missing.label} not reported"
    return {"waiting": waiting, "over_12": over, "share": _share(over, waiting), "covers": covers}


# The report ---------------------------------------------------------------------------------------


def _month_label(day: date) -> str:
    return f"{day:%B %Y}"


NOTES = [
    "Weeks waiting are whole weeks from the referral to the day the child was placed or the referral closed, or "
    "to the as-on date for those still waiting. They are worked out when the report runs, never stored.",
    "Under 12 weeks and 12 weeks or more are the council's measure; 0 to 18, 18 to 52 and 52 weeks or more are "
    "NHS England's community-services buckets. Each set adds up to the number waiting.",
    "The median wait is the middle wait of those waiting (the average of the middle two when the number is even).",
    "Each month's figures are for its last day, or for the as-on date in the month it falls in.",
    "NHS figures are the trusts' own monthly returns, summed over each trust's therapies and localities. A blank "
    "figure is “Not reported”, which is never the same as 0.",
    "Trusts report waits over 12 weeks; the council counts waits of 12 whole weeks or more.",
]
WAITING_THEN_NOTE = (
    "A referral's stage on an earlier date is not kept, only when its wait started and ended: “Waiting then, since "
    "placed or closed” counts those waiting on the as-on date who have been placed or closed since."
)
DISTRICT_NOTE = (
    "Trusts' returns are not split by district: with a district filter, the returns of every contract covering "
    "any chosen district are included in full."
)


@register
class WaitingListReport(ReportDefinition):
    kind = "waiting-list"
    title = "Waiting list"
    description = (
        "Children waiting for therapy by stage and how long they have waited, the median wait and the trend by "
        "month; the NHS trusts' returns by trust and month; and the two side by side."
    )
    form_class = WaitingListForm
    pdf = True
    group = "Waiting lists"

    def build(self, *, params, progress, user) -> Result:
        as_on: date = params["as_on"]
        start: date = params["trend_from"]
        therapies, districts = pks(params.get("therapy_types")), pks(params.get("districts"))
        month_ends = [min(month_end(m), as_on) for m in months_between(start, as_on)]

        progress(10, "Counting the waiting list")
        referrals = referrals_for(as_on=as_on, therapy_types=therapies, districts=districts)
        counts = referral_counts(referrals, as_on=as_on, month_ends=month_ends)
        stages, totals, trend = counts["stages"], counts["totals"], counts["trend"]
        progress(30, "Finding the median waits")
        medians, median_all = median_weeks(referrals, as_on=as_on)

        progress(60, "Reading the trusts' returns")
        returns = returns_for(start=start, end=as_on, therapy_types=therapies, districts=districts)
        by_trust = returns_by_trust(returns)
        notes_by = return_notes(returns)

        progress(80, "Laying out the tables")
        nhs_table, trusts, nhs = self._nhs_table(by_trust, notes_by)
        trend_table = self._trend_table(trend)
        comparison, comparison_share = self._comparison_tables(trend, trusts, nhs)
        notes = list(NOTES)
        if stages.get(WAITING_THEN):
            notes.append(WAITING_THEN_NOTE)
        if districts:
            notes.append(DISTRICT_NOTE)
        return Result(
            tables=[
                self._stage_table(stages, totals, as_on),
                self._waits_table(stages, totals, medians, median_all, as_on),
                trend_table,
                nhs_table,
                comparison,
                comparison_share,
            ],
            charts=[
                Chart(
                    "trend",
                    "Children waiting at each month end",
                    "Lines for the number waiting and the number waiting 12 weeks or more, month by month.",
                    "trend",
                    "month",
                    ["waiting", "over_12"],
                    kind="line",
                ),
                Chart(
                    "comparison",
                    "Share waiting over 12 weeks: the council and each trust",
                    "A line for the council's referrals and one for each trust, month by month; a gap is a month "
                    "not reported.",
                    "comparison-share",
                    "month",
                    [c.key for c in comparison_share.columns[1:]],
                    kind="line",
                ),
            ],
            summary=self._summary(totals, median_all, as_on),
            notes=notes,
        )

    def _stage_table(self, stages: dict, totals: dict, as_on: date) -> Table:
        groups = [g for g in STAGE_LABELS if g != WAITING_THEN or stages.get(WAITING_THEN)]
        rows = [{"stage": STAGE_LABELS[g], "referrals": stages.get(g, {}).get("referrals", 0)} for g in groups]
        return Table(
            "stages",
            f"Referrals by stage on {as_on:%-d %B %Y}",
            [Column("stage", "Stage"), Column("referrals", "Referrals", "int")],
            rows,
            footer={"stage": "All referrals made by then", "referrals": totals["referred"]},
        )

    def _waits_table(self, stages, totals, medians, median_all, as_on: date) -> Table:
        def figures(counts: dict, waiting: int, median) -> dict:
            return {
                "waiting": waiting,
                **{band.key: counts.get(band.key, 0) for band in WAIT_BANDS},
                "share_12_plus": _share(counts.get("12_plus", 0), waiting),
                "median": median,
            }

        rows = [
            {"stage": STAGE_LABELS[g], **figures(stages[g], stages[g]["referrals"], medians.get(g))}
            for g in WAITING_GROUPS
            if g in stages
        ]
        footer = {"stage": "All waiting", **figures(totals, totals["waiting"], median_all)}
        return Table(
            "waits",
            f"Waiting on {as_on:%-d %B %Y}, by how long",
            [
                Column("stage", "Stage"),
                Column("waiting", "Waiting", "int"),
                *[Column(band.key, band.label, "int") for band in WAIT_BANDS],
                Column("share_12_plus", "Share waiting 12 weeks or more", "share", highlight=True),
                Column("median", "Median wait (weeks)", "number", NO_ONE_WAITING),
            ],
            rows,
            footer=footer,
        )

    def _trend_table(self, trend: list[dict]) -> Table:
        rows = [
            {
                "month": _month_label(point["day"]),
                "day": point["day"],
                "waiting": point["waiting"],
                "over_12": point["over_12"],
                "share": _share(point["over_12"], point["waiting"]),
            }
            for point in trend
        ]
        return Table(
            "trend",
            "Waiting at each month end",
            [
                Column("month", "Month"),
                Column("day", "On", "date"),
                Column("waiting", "Waiting", "int"),
                Column("over_12", "Waiting 12 weeks or more", "int"),
                Column("share", "Share waiting 12 weeks or more", "share", highlight=True),
            ],
            rows,
        )

    def _nhs_table(self, by_trust: list[dict], notes_by: dict) -> tuple[Table, dict[int, str], dict]:
        rows, trusts, figures_by = [], {}, {}
        for row in by_trust:
            supplier_id = row["contract__supplier_id"]
            trusts[supplier_id] = row["trust"]
            figures, partial = _trust_figures(row)
            figures_by[(row["month"], supplier_id)] = figures
            a, a12 = figures["waiting_assessment"], figures["waiting_assessment_over_12_weeks"]
            i, i12 = figures["waiting_intervention"], figures["waiting_intervention_over_12_weeks"]
            rows.append(
                {
                    "month": _month_label(row["month"]),
                    "trust": row["trust"],
                    "assessment": a,
                    "assessment_over_12": a12,
                    "assessment_share": _share(a12, a),
                    "intervention": i,
                    "intervention_over_12": i12,
                    "intervention_share": _share(i12, i),
                    "notes": " ".join([*notes_by.get((row["month"], supplier_id), []), *partial]),
                }
            )
        table = Table(
            "nhs-returns",
            "NHS returns by trust and month",
            [
                Column("month", "Month"),
                Column("trust", "Trust"),
                Column("assessment", "Waiting for assessment", "int"),
                Column("assessment_over_12", "Of whom over 12 weeks", "int"),
                Column("assessment_share", "Share over 12 weeks (assessment)", "share", highlight=True),
                Column("intervention", "Waiting for intervention", "int"),
                Column("intervention_over_12", "Of whom over 12 weeks (intervention)", "int"),
                Column("intervention_share", "Share over 12 weeks (intervention)", "share", highlight=True),
                Column("notes", "Data-quality notes"),
            ],
            rows,
            notes=["“Not reported” means the trust's returns left the figure blank: it is not 0."],
        )
        return table, trusts, figures_by

    def _comparison_tables(self, trend: list[dict], trusts: dict[int, str], nhs: dict) -> tuple[Table, Table]:
        order = sorted(trusts, key=lambda s: (trusts[s].lower(), s))
        rows, wide = [], []
        for point in trend:
            month = month_start(point["day"])
            label = _month_label(point["day"])
            council_share = _share(point["over_12"], point["waiting"])
            rows.append(
                {
                    "month": label,
                    "source": "Council referrals",
                    "covers": "Assessment and intervention",
                    "waiting": point["waiting"],
                    "over_12": point["over_12"],
                    "share": council_share,
                }
            )
            shares = {"month": label, "council": council_share}
            for supplier_id in order:
                figures = nhs.get((month, supplier_id))
                if figures is None:
                    measures = {"waiting": None, "over_12": None, "share": None, "covers": "No return"}
                else:
                    measures = comparable(figures)
                rows.append({"month": label, "source": trusts[supplier_id], **measures})
                shares[f"trust_{supplier_id}"] = measures["share"]
            wide.append(shares)
        comparison = Table(
            "comparison",
            "The council's waiting list and the trusts' side by side",
            [
                Column("month", "Month"),
                Column("source", "Whose figures"),
                Column("covers", "Stages counted"),
                Column("waiting", "Waiting", "int"),
                Column("over_12", "Waiting over 12 weeks", "int"),
                Column("share", "Share waiting over 12 weeks", "share", highlight=True),
            ],
            rows,
            notes=[
                "The council's figures are for each month's last day; a trust's are its return for the month. A trust "
                "that did not report a stage is compared on the stages it did report (see “Stages counted”).",
            ],
        )
        share_table = Table(
            "comparison-share",
            "Share waiting over 12 weeks, by month",
            [
                Column("month", "Month"),
                Column("council", "Council referrals", "share"),
                *[Column(f"trust_{s}", trusts[s], "share") for s in order],
            ],
            wide,
        )
        return comparison, share_table

    def _summary(self, totals: dict, median_all, as_on: date) -> list[dict]:
        waiting = totals["waiting"]
        summary = [
            {"label": f"Waiting on {as_on:%-d %B %Y}", "value": waiting, "kind": "int"},
            {"label": "Waiting 12 weeks or more", "value": totals["12_plus"], "kind": "int"},
        ]
        if waiting:
            share = _share(totals["12_plus"], waiting)
            summary.append({"label": "Share waiting 12 weeks or more", "value": share, "kind": "share"})
            summary.append({"label": "Median wait (weeks)", "value": median_all, "kind": "number"})
        summary.append({"label": "Waiting 52 weeks or more", "value": totals["52_plus"], "kind": "int"})
        return summary
