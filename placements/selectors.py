"""Reads for children's therapy: lists with everything their pages and serializers show preloaded,
waiting-list bands, spend per child, and provision assurance, all computed in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.db import DaysBetween, Divide, as_date, overlap_days
from core.models import User
from providers.models import Membership, Provider, SchoolFeeBand

from .models import (
    DAYS_A_YEAR,
    HALF_TERMS_A_YEAR,
    BlockContract,
    Child,
    Dispute,
    FeeUplift,
    Invitation,
    Invoice,
    Offer,
    PersonalBudget,
    Placement,
    PlacementCommitment,
    PlacementRequest,
    PlacementVariation,
    Provision,
    Referral,
    Review,
    SchoolPlacement,
    SchoolPlacementCommitment,
    sees_child_identity,
)

SCHOOL_KINDS = (Provider.Kind.INDEPENDENT_SCHOOL, Provider.Kind.NON_MAINTAINED_SCHOOL)

MONEY = DecimalField(max_digits=14, decimal_places=2)
UNITS = DecimalField(max_digits=12, decimal_places=2)
ZERO_MONEY = Value(Decimal("0.00"), output_field=MONEY)
ZERO_UNITS = Value(Decimal("0.00"), output_field=UNITS)


def _sum(queryset: QuerySet, expression, output_field=MONEY):
    """A correlated subquery summing `expression` over `queryset` (already filtered on OuterRef), 0 if none."""
    return Coalesce(
        Subquery(
            queryset.order_by()
            .annotate(_one=Value(1))
            .values("_one")
            .annotate(total=Sum(expression))
            .values("total")[:1],
            output_field=output_field,
        ),
        Value(Decimal("0.00"), output_field=output_field),
        output_field=output_field,
    )


def _count(queryset: QuerySet):
    """A correlated subquery counting `queryset` (already filtered on OuterRef).

    A list counts this way, not with Count() over a join: a join makes the database group every row of
    the list before it can sort it and take the first page; a subquery is worked out for that page's rows only.
    """
    return Subquery(
        queryset.order_by().annotate(_one=Value(1)).values("_one").annotate(n=Count("pk")).values("n")[:1],
        output_field=IntegerField(),
    )


# Children ---------------------------------------------------------------------------------------


def child_list(*, user: User) -> QuerySet[Child]:
    """Children this person may open, with district, need and counts of what is open for each.

    People who may not see names get them in EHCP reference order (name order would hint at surnames),
    and a provider's counts cover only its own placements (the waiting list is not theirs to see).
    """
    identified = sees_child_identity(user)
    active = Placement.objects.filter(child=OuterRef("pk"), status=Placement.Status.ACTIVE)
    if user.provider_id:
        active = active.filter(provider_id=user.provider_id)
    waiting = Referral.objects.filter(child=OuterRef("pk"), stage__in=Referral.WAITING)
    return (
        Child.objects.visible_to(user)
        .select_related("district", "primary_need")
        .annotate(
            active_placements=_count(active),
            waiting_referrals=_count(waiting) if identified else Value(0, output_field=IntegerField()),
        )
        .order_by(*(("last_name", "first_name", "pk") if identified else ("ehcp_reference", "pk")))
    )


def child_get(*, user: User, pk: int) -> Child:
    """One child's record with everything the child page shows, in a fixed number of queries.

    A provider user gets only what concerns their own placements.
    """
    placements = placement_list(user=user).filter(child_id=pk).select_related("personal_budget")
    provisions = Provision.objects.visible_to(user).select_related("therapy_type")
    referrals = Referral.objects.visible_to(user).select_related("provision__therapy_type")
    return (
        Child.objects.visible_to(user)
        .select_related("district", "primary_need")
        .prefetch_related(
            Prefetch("provisions", queryset=provisions),
            Prefetch("referrals", queryset=referrals),
            Prefetch("placements", queryset=placements),
        )
        .get(pk=pk)
    )


def child_spend(*, user: User, child: Child) -> dict:
    """Committed and actual spend for one child, in all and by financial year (what this person may see)."""
    placements = Placement.objects.visible_to(user).filter(child=child)
    committed = (
        PlacementCommitment.objects.filter(placement__in=placements)
        .values("financial_year")
        .annotate(total=Sum("amount"))
        .order_by("financial_year")
    )
    actual = (
        Invoice.objects.visible_to(user)
        .actual()
        .filter(placement__in=placements)
        .values("period_end__year", "period_end__month")
        .annotate(total=Sum("amount"))
    )
    by_year: dict[int, dict] = {}
    for row in committed:
        by_year.setdefault(row["financial_year"], {"committed": Decimal("0"), "actual": Decimal("0")})
        by_year[row["financial_year"]]["committed"] = row["total"] or Decimal("0")
    for row in actual:  # a handful of month rows: grouped to financial years here
        year = row["period_end__year"] if row["period_end__month"] >= 4 else row["period_end__year"] - 1
        by_year.setdefault(year, {"committed": Decimal("0"), "actual": Decimal("0")})
        by_year[year]["actual"] += row["total"] or Decimal("0")
    from core.periods import FinancialYear

    years = [
        {"financial_year": FinancialYear(y).label, "committed": v["committed"], "actual": v["actual"]}
        for y, v in sorted(by_year.items())
    ]
    return {
        "years": years,
        "committed": sum((y["committed"] for y in years), Decimal("0")),
        "actual": sum((y["actual"] for y in years), Decimal("0")),
    }


# The waiting list -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitBand:
    key: str
    label: str
    min_weeks: int
    max_weeks: int | None  # exclusive

    def condition(self, today: date) -> Q:
        """Waiting referrals in this band on `today`, by their referral date (weeks = whole weeks since)."""
        q = Q(referred_on__lte=today - timedelta(weeks=self.min_weeks))
        if self.max_weeks is not None:
            q &= Q(referred_on__gt=today - timedelta(weeks=self.max_weeks))
        return q


# The council's own measure (12 weeks) and the NHS England community-services buckets.
WAIT_BANDS = (
    WaitBand("under_12", "Under 12 weeks", 0, 12),
    WaitBand("12_plus", "12 weeks or more", 12, None),
    WaitBand("0_18", "0 to 18 weeks", 0, 18),
    WaitBand("18_52", "18 to 52 weeks", 18, 52),
    WaitBand("52_plus", "52 weeks or more", 52, None),
)
WAIT_BAND_BY_KEY = {band.key: band for band in WAIT_BANDS}


def referral_list(*, user: User) -> QuerySet[Referral]:
    """The waiting list, longest wait first, with the child, district and therapy preloaded."""
    return (
        Referral.objects.visible_to(user)
        .select_related("child__district", "provision__therapy_type")
        .order_by("referred_on", "pk")
    )


def wait_band_counts(referrals: QuerySet[Referral], *, today: date | None = None) -> list[dict]:
    """How many of `referrals` that are still waiting fall in each band, in one aggregate query."""
    today = today or timezone.localdate()
    waiting = Q(stage__in=Referral.WAITING)
    counts = referrals.order_by().aggregate(
        **{band.key: Count("pk", filter=waiting & band.condition(today)) for band in WAIT_BANDS},
        waiting=Count("pk", filter=waiting),
    )
    return [{"key": b.key, "label": b.label, "count": counts[b.key]} for b in WAIT_BANDS] + [
        {"key": "waiting", "label": "Waiting in all", "count": counts["waiting"]}
    ]


def referral_get(*, user: User, pk: int) -> Referral:
    return (
        referral_list(user=user)
        .prefetch_related(Prefetch("placements", queryset=Placement.objects.select_related("provider")))
        .get(pk=pk)
    )


# Placements, invoices, disputes, reviews --------------------------------------------------------


def placement_list(*, user: User) -> QuerySet[Placement]:
    """Placements this person may see, with child, provider, therapy and committed cost preloaded.

    Only what a list shows is joined: each more table joined costs PostgreSQL more to plan than the page
    costs to read (two more, the contract and the personal budget, took planning from 1 to 9 ms). The pages
    of one placement (`placement_get`, the child's page) join those themselves."""
    return (
        Placement.objects.visible_to(user)
        .select_related("child__district", "provider", "provision__therapy_type")
        .annotate(committed=_sum(PlacementCommitment.objects.filter(placement=OuterRef("pk")), "amount"))
        .order_by("-start_date", "-pk")
    )


def placement_get(*, user: User, pk: int) -> Placement:
    return (
        placement_list(user=user)
        .select_related("contract", "personal_budget", "referral", "membership__provider_list", "created_by")
        .prefetch_related(
            "variations",
            "commitments",
            Prefetch("invoices", queryset=Invoice.objects.visible_to(user).order_by("period_start", "pk")),
            Prefetch("disputes", queryset=Dispute.objects.visible_to(user).select_related("invoice")),
            Prefetch("reviews", queryset=Review.objects.visible_to(user).select_related("recorded_by")),
        )
        .annotate(
            actual=_sum(Invoice.objects.actual().filter(placement=OuterRef("pk")), "amount"),
        )
        .get(pk=pk)
    )


def invoice_list(*, user: User) -> QuerySet[Invoice]:
    return (
        Invoice.objects.visible_to(user)
        .select_related("placement__child", "placement__provision__therapy_type", "provider")
        .order_by("-submitted_at", "-pk")
    )


def dispute_list(*, user: User) -> QuerySet[Dispute]:
    return (
        Dispute.objects.visible_to(user)
        .select_related("placement__child", "placement__provider", "invoice")  # what a list shows (see placement_list)
        .order_by(F("resolved_on").desc(nulls_first=True), "-raised_on", "-pk")
    )


def review_list(*, user: User) -> QuerySet[Review]:
    return (
        Review.objects.visible_to(user)
        .select_related("placement__child", "placement__provider", "placement__provision__therapy_type", "recorded_by")
        .order_by("-held_on", "-pk")
    )


def reviews_due(*, user: User, within_days: int = 30, today: date | None = None) -> QuerySet[Placement]:
    """Active placements whose review falls due within `within_days` (or is overdue), soonest first."""
    today = today or timezone.localdate()
    return (
        placement_list(user=user)
        .filter(status=Placement.Status.ACTIVE, review_due_on__isnull=False)
        .filter(review_due_on__lte=today + timedelta(days=within_days))
        .order_by("review_due_on", "pk")
    )


def personal_budget_list(*, user: User) -> QuerySet[PersonalBudget]:
    return (
        PersonalBudget.objects.visible_to(user)
        .select_related("placement__child", "placement__provision__therapy_type")
        .order_by("-signed_on", "-pk")
    )


def provider_dispute_rate(*, provider: Provider) -> dict:
    """How often this provider's placements end up in dispute: placements, disputes, open, and the rate."""
    placements = Placement.objects.filter(provider=provider).exclude(status=Placement.Status.CANCELLED)
    counted = placements.aggregate(
        n_placements=Count("pk", distinct=True),
        n_disputed=Count("pk", filter=Q(disputes__isnull=False), distinct=True),
        n_disputes=Count("disputes", distinct=True),
        n_open=Count("disputes", filter=Q(disputes__resolved_on__isnull=True), distinct=True),
    )
    figures = {key.removeprefix("n_"): value for key, value in counted.items()}
    figures["rate"] = (
        (Decimal(figures["disputed"]) * 100 / figures["placements"]).quantize(Decimal("0.1"))
        if figures["placements"]
        else None
    )
    return figures


# Provision assurance ----------------------------------------------------------------------------
# For each line of a plan over a period: what the plan specifies, what was commissioned (placements
# for that line in the same unit, active or ended), and what was delivered (units on approved and
# paid invoices, pro-rated by the days of each invoice's period that fall in the period).


def _specified_units(start: date, end: date):
    annual = Case(
        When(frequency=Provision.Frequency.WEEK, then=F("amount") * F("weeks_per_year")),
        When(frequency=Provision.Frequency.HALF_TERM, then=F("amount") * Value(HALF_TERMS_A_YEAR)),
        default=F("amount"),
        output_field=UNITS,
    )
    days = overlap_days(F("start_date"), Coalesce(F("end_date"), as_date(end)), start, end)
    return Divide(annual * days, Value(DAYS_A_YEAR), output_field=UNITS)


def _commissioned_units(start: date, end: date, provider_id: int | None = None):
    placements = Placement.objects.filter(
        provision=OuterRef("pk"),
        unit=OuterRef("unit"),
        status__in=[Placement.Status.ACTIVE, Placement.Status.ENDED],
    )
    if provider_id:  # a provider user counts only what their own organisation was commissioned for
        placements = placements.filter(provider_id=provider_id)
    days = overlap_days(F("start_date"), F("end_date"), start, end)
    return _sum(placements, Divide(F("units_per_week") * F("weeks_per_year") * days, Value(DAYS_A_YEAR)), UNITS)


def _delivered_units(start: date, end: date, provider_id: int | None = None):
    # Reach the invoices through the line's placements (placement_id IN ...), so the database walks the
    # placement index rather than every invoice of the period for every line.
    lines_placements = Placement.objects.filter(provision=OuterRef(OuterRef("pk")), unit=OuterRef(OuterRef("unit")))
    invoices = Invoice.objects.actual().filter(
        placement__in=lines_placements.values("pk"),
        period_start__lte=end,
        period_end__gte=start,
    )
    if provider_id:  # ... and only what their own organisation invoiced
        invoices = invoices.filter(provider_id=provider_id)
    share = overlap_days(F("period_start"), F("period_end"), start, end)
    length = DaysBetween(F("period_end"), F("period_start")) + 1
    return _sum(invoices, Divide(F("units_delivered") * share, length), UNITS)


def provision_assurance(*, user: User, start: date, end: date) -> QuerySet[Provision]:
    """Every provision line in force during start..end that this person may see, with `specified`,
    `commissioned` and `delivered` units and the `shortfall` (specified - delivered), all in SQL.

    A provider user sees the lines their organisation delivers, and only their own organisation's
    placements and invoices in what was commissioned and delivered."""
    if not user.has_perm("placements.view_provision_assurance"):
        return Provision.objects.none()
    lines = Provision.objects.all() if not user.provider_id else Provision.objects.visible_to(user)
    return (
        lines.filter(start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .select_related("child__district", "therapy_type")
        .annotate(
            specified=_specified_units(start, end),
            commissioned=_commissioned_units(start, end, user.provider_id),
            delivered=_delivered_units(start, end, user.provider_id),
        )
        .annotate(shortfall=ExpressionWrapper(F("specified") - F("delivered"), output_field=UNITS))
        .order_by("child__last_name", "child__first_name", "child_id", "start_date", "pk")
    )


def assurance_by_child(*, user: User, start: date, end: date, threshold_percent: Decimal | None = None) -> QuerySet:
    """Per child: specified, commissioned and delivered units over start..end (summed over their lines), and
    the shortfall as a share of what was specified. With a threshold, only children short by more than it."""
    lines = provision_assurance(user=user, start=start, end=end)
    rows = (
        lines.order_by()
        .values("child_id", "child__pseudonym", "child__first_name", "child__last_name", "child__ehcp_reference")
        .annotate(
            lines=Count("pk"),
            specified_total=Sum("specified"),
            commissioned_total=Sum("commissioned"),
            delivered_total=Sum("delivered"),
        )
        .annotate(shortfall_total=ExpressionWrapper(F("specified_total") - F("delivered_total"), output_field=UNITS))
        .filter(specified_total__gt=0)
        .order_by("-shortfall_total", "child_id")
    )
    if threshold_percent is not None:
        # short by more than threshold% of what the plan specifies
        rows = rows.filter(
            shortfall_total__gt=ExpressionWrapper(
                F("specified_total") * Value(Decimal(threshold_percent) / 100), output_field=UNITS
            )
        )
    return rows


# NMISS: requests, eligible schools, ranked offers, school placements, block contracts -----------


def placement_request_list(*, user: User) -> QuerySet[PlacementRequest]:
    """Requests this person may see, with lot and need preloaded and invitation and offer counts in SQL."""
    invitations = Invitation.objects.filter(request=OuterRef("pk"))
    offers = Offer.objects.filter(request=OuterRef("pk"))
    if getattr(user, "provider_id", None):  # a school is never told how many others were invited or offered
        invitations = invitations.filter(school_id=user.provider_id)
        offers = offers.filter(invitation__school_id=user.provider_id)
    return (
        PlacementRequest.objects.visible_to(user)
        .select_related("lot__provider_list", "primary_need", "child")
        .annotate(invited=_count(invitations), offered=_count(offers))
        .order_by("-created_at", "-pk")
    )


def eligible_schools(*, request: PlacementRequest, on: date | None = None) -> QuerySet[Provider]:
    """Schools admitted to the request's lot on `on` that offer its setting and take the child's age and need.

    Each carries `indicative_fee`: its lowest annual fee band for the setting (education + care + therapy).
    """
    on = on or timezone.localdate()
    admitted = Membership.objects.admitted_on(on).filter(provider=OuterRef("pk"), lots=request.lot)
    age = request.child_age
    setting = Q(offers_day=True) if request.setting == PlacementRequest.Setting.DAY else Q(offers_residential=True)
    catered = Q(needs_catered_for=request.primary_need_id) | ~Exists(
        Provider.needs_catered_for.through.objects.filter(provider_id=OuterRef("pk"))
    )
    bands = SchoolFeeBand.objects.filter(provider=OuterRef("pk"), place_type=request.setting).annotate(
        total=F("education") + F("care") + F("therapy")
    )
    return (
        Provider.objects.filter(Exists(admitted), setting, kind__in=SCHOOL_KINDS)
        .filter(Q(age_from__isnull=True) | Q(age_from__lte=age), Q(age_to__isnull=True) | Q(age_to__gte=age))
        .filter(catered)
        .exclude(status=Provider.Status.CLOSED)
        .annotate(indicative_fee=Subquery(bands.order_by("total").values("total")[:1], output_field=MONEY))
        .distinct()
        .order_by("legal_name", "pk")
    )


@dataclass
class RankedOffer:
    offer: Offer
    price_score: Decimal
    quality_points: Decimal | None
    price_points: Decimal
    total: Decimal | None
    rank: int | None
    tied_with: list[str]
    explanation: str


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def offers_ranked(*, request: PlacementRequest) -> list[RankedOffer]:
    """Every offer for the request, scored and ranked, each with the sum that explains its place.

    Price score: the lowest annual fee offered / this offer's annual fee x 100 (the lowest scores 100).
    Total: quality x quality weight % + price score x price weight %, to two places. Equal totals share a
    rank (1, 1, 3). Offers not yet scored for quality have no total and no rank. Empty until the deadline.
    """
    if timezone.now() <= request.deadline:
        return []  # offers are sealed until the deadline: nothing to compare yet
    offers = list(request.offers.select_related("invitation__school").order_by("pk"))
    if not offers:
        return []
    two = Decimal("0.01")
    lowest = min(o.annual_fee for o in offers)
    qw, pw = Decimal(request.quality_weight) / 100, Decimal(request.price_weight) / 100
    ranked = []
    for offer in offers:
        fee = offer.annual_fee
        price = Decimal("100.00") if fee == lowest else (lowest * 100 / fee).quantize(two) if fee else Decimal("0")
        price_points = (price * pw).quantize(two)
        quality_points = None if offer.quality_score is None else (Decimal(offer.quality_score) * qw).quantize(two)
        total = None if quality_points is None else quality_points + price_points
        ranked.append(RankedOffer(offer, price, quality_points, price_points, total, None, [], ""))
    scored = sorted((r for r in ranked if r.total is not None), key=lambda r: -r.total)
    for r in scored:
        r.rank = 1 + sum(1 for other in scored if other.total > r.total)
        r.tied_with = [str(o.offer.invitation.school) for o in scored if o is not r and o.total == r.total]
    for r in ranked:
        fee = f"£{r.offer.annual_fee:,.2f}"
        price_text = (
            f"price: lowest fee £{lowest:,.2f} / this fee {fee} x 100 = {r.price_score} x {request.price_weight}% "
            f"= {r.price_points}"
        )
        if r.total is None:
            r.explanation = f"Quality not yet scored; {price_text}."
        else:
            tie = f", tied with {', '.join(r.tied_with)}" if r.tied_with else ""
            r.explanation = (
                f"Quality {r.offer.quality_score} x {request.quality_weight}% = {r.quality_points}; {price_text}; "
                f"total {r.total}: ranked {_ordinal(r.rank)} of {len(scored)}{tie}."
            )
    return sorted(ranked, key=lambda r: (r.rank is None, r.rank or 0, r.offer.pk))


def school_placement_list(*, user: User) -> QuerySet[SchoolPlacement]:
    return (
        SchoolPlacement.objects.visible_to(user)
        .select_related("child__district", "school", "request__lot", "block_contract")
        .annotate(committed=_sum(SchoolPlacementCommitment.objects.filter(placement=OuterRef("pk")), "amount"))
        .order_by("-start_date", "-pk")
    )


def fee_uplift_list(*, user: User) -> QuerySet[FeeUplift]:
    return FeeUplift.objects.visible_to(user).select_related("placement__school").order_by("-effective_from", "-pk")


def block_contract_list(*, user: User, on: date | None = None) -> QuerySet[BlockContract]:
    """Block contracts with `places_used`: their active placements running on `on` (today by default)."""
    on = on or timezone.localdate()
    return (
        BlockContract.objects.visible_to(user)
        .select_related("school")
        .annotate(
            places_used=Count(
                "placements",
                filter=Q(
                    placements__status=SchoolPlacement.Status.ACTIVE,
                    placements__start_date__lte=on,
                    placements__end_date__gte=on,
                ),
            )
        )
        .order_by("school__legal_name", "-start_date", "pk")
    )


# Pages ------------------------------------------------------------------------------------------
# Reads the server-rendered pages need beyond the lists above: one call per page, every row it shows
# preloaded, a fixed number of queries however many rows there are.


def child_record(*, user: User, pk: int, start: date, end: date) -> dict:
    """Everything the child's page shows that this person may see: the child with their plan, referrals and
    placements (child_get), the invoices, disputes and reviews of those placements, spend by financial year,
    and provision assurance over start..end (each line, and the child's totals). Raises Child.DoesNotExist
    for a child out of scope."""
    child = child_get(user=user, pk=pk)
    lines = provision_assurance(user=user, start=start, end=end).filter(child_id=child.pk)
    totals = assurance_by_child(user=user, start=start, end=end).filter(child_id=child.pk)
    return {
        "child": child,
        "budgets": [p for p in child.placements.all() if p.arrangement == Placement.Arrangement.PERSONAL_BUDGET],
        "invoices": invoice_list(user=user).filter(placement__child_id=child.pk),
        "disputes": dispute_list(user=user).filter(placement__child_id=child.pk),
        "reviews": review_list(user=user).filter(placement__child_id=child.pk),
        "spend": child_spend(user=user, child=child),
        "assurance": lines,
        "assurance_totals": totals.first(),
    }


def provision_get(*, user: User, pk: int) -> Provision:
    """One line of a plan, with the child and the therapy, if this person may see it."""
    return Provision.objects.visible_to(user).select_related("child__district", "therapy_type").get(pk=pk)


def placement_summary_get(*, user: User, pk: int) -> Placement:
    """One placement this person may see, with what an action page about it shows (child, provider, therapy)."""
    return Placement.objects.visible_to(user).select_related("child", "provider", "provision__therapy_type").get(pk=pk)


def personal_budget_get(*, user: User, pk: int) -> PersonalBudget:
    return (
        PersonalBudget.objects.visible_to(user)
        .select_related("placement__child", "placement__provider", "placement__provision__therapy_type")
        .get(pk=pk)
    )


def placement_history(*, user: User, pk: int) -> dict:
    """A placement's page: the placement (placement_get) and its recorded status changes."""
    from core.selectors import transition_list_for

    placement = placement_get(user=user, pk=pk)
    return {"placement": placement, "history": transition_list_for(placement)}


def invoice_get(*, user: User, pk: int) -> Invoice:
    """One invoice this person may see, with who submitted and decided it and its disputes."""
    return (
        invoice_list(user=user)
        .select_related("placement__provider", "submitted_by", "decided_by")
        .prefetch_related(Prefetch("disputes", queryset=Dispute.objects.visible_to(user).order_by("-raised_on")))
        .get(pk=pk)
    )


def dispute_get(*, user: User, pk: int) -> Dispute:
    return (
        dispute_list(user=user)
        .select_related("placement__provision__therapy_type", "raised_by", "resolved_by")
        .get(pk=pk)
    )


def spot_purchase_providers(*, on: date) -> QuerySet[Provider]:
    """Providers a spot purchase may be made from on `on`: open providers not admitted to the QPL then."""
    from providers.models import Membership, ProviderList

    on_qpl = Membership.objects.admitted_on(on).filter(
        provider=OuterRef("pk"), provider_list__kind=ProviderList.Kind.QPL
    )
    return Provider.objects.exclude(status=Provider.Status.CLOSED).exclude(Exists(on_qpl)).order_by("legal_name", "pk")


def live_contracts(*, user: User, on: date):
    """Contracts an NHS contract arrangement can be made under: active and not yet ended on `on`."""
    from contracts.models import Contract

    return (
        Contract.objects.visible_to(user)
        .filter(status=Contract.Status.ACTIVE, end_date__gte=on)
        .select_related("supplier")
        .order_by("reference", "pk")
    )


def officer_home_counts(*, user: User, today: date | None = None) -> dict:
    """The officer's home panel, in four queries: long waits, reviews due within 30 days, invoices awaiting a
    decision (and how many of them are flagged), and open disputes."""
    today = today or timezone.localdate()
    bands = {row["key"]: row["count"] for row in wait_band_counts(Referral.objects.visible_to(user), today=today)}
    invoices = (
        Invoice.objects.visible_to(user)
        .filter(status=Invoice.Status.SUBMITTED)
        .aggregate(awaiting=Count("pk"), flagged=Count("pk", filter=Q(has_discrepancy=True)))
    )
    return {
        "waiting_12_plus": bands["12_plus"],
        "reviews_due": reviews_due(user=user, within_days=30, today=today).count(),
        "invoices_awaiting": invoices["awaiting"],
        "invoices_flagged": invoices["flagged"],
        "open_disputes": Dispute.objects.visible_to(user).open().count(),
    }


PROVIDER_HOME_ROWS = 10


def provider_home(*, user: User) -> dict:
    """A provider user's home panel in three queries: their active placements (the first few and how many)
    and their invoices awaiting the council's decision."""
    active = placement_list(user=user).filter(status=Placement.Status.ACTIVE)
    return {
        "placements": list(active[:PROVIDER_HOME_ROWS]),
        "placements_count": active.count(),
        "invoices_awaiting": Invoice.objects.visible_to(user).filter(status=Invoice.Status.SUBMITTED).count(),
    }


# Subject access ----------------------------------------------------------------------------------


def _rows(queryset, fields: list[str]) -> list[dict]:
    return [
        {
            key: (
                str(value)
                if isinstance(value, Decimal)
                else value.isoformat()
                if hasattr(value, "isoformat")
                else value
            )
            for key, value in row.items()
        }
        for row in queryset.values(*fields)
    ]


def child_subject_access(*, child: Child) -> dict:
    """Everything the service holds about one child, for a subject access request (UK GDPR article 15):
    the record, the plan, the waiting list, every placement and its money, reviews and disputes, school
    places, and who has viewed the record. Nothing about any other child. A fixed number of queries."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from core.models import Transition

    placements = Placement.objects.filter(child=child)
    school_placements = SchoolPlacement.objects.filter(child=child)
    requests = PlacementRequest.objects.filter(child=child)
    subjects = {
        "child": [child.pk],
        "referral": list(child.referrals.values_list("pk", flat=True)),
        "placement": list(placements.values_list("pk", flat=True)),
        "schoolplacement": list(school_placements.values_list("pk", flat=True)),
        "placementrequest": list(requests.values_list("pk", flat=True)),
        "invoice": list(Invoice.objects.filter(placement__child=child).values_list("pk", flat=True)),
        "dispute": list(Dispute.objects.filter(placement__child=child).values_list("pk", flat=True)),
    }
    history = Transition.objects.none()
    for model, pks in subjects.items():
        history |= Transition.objects.filter(
            content_type=ContentType.objects.get_by_natural_key("placements", model), object_id__in=pks
        )
    return {
        "generated_at": timezone.now().isoformat(),
        "child": _rows(
            Child.objects.filter(pk=child.pk),
            [
                "pseudonym",
                "first_name",
                "last_name",
                "date_of_birth",
                "ehcp_reference",
                "district__name",
                "school_name",
                "school_urn",
                "primary_need__name",
                "status",
                "created_at",
                "anonymised_at",
            ],
        )[0],
        "provision": _rows(
            child.provisions.all(),
            [
                "id",
                "section",
                "therapy_type__name",
                "amount",
                "unit",
                "frequency",
                "weeks_per_year",
                "start_date",
                "end_date",
                "review_date",
                "source",
                "description",
            ],
        ),
        "referrals": _rows(
            child.referrals.all(),
            ["id", "provision_id", "referred_on", "stage", "waiting_ended_on", "closed_reason"],
        ),
        "placements": _rows(
            placements,
            [
                "id",
                "provision_id",
                "arrangement",
                "provider__legal_name",
                "contract__reference",
                "spot_reason",
                "start_date",
                "end_date",
                "rate",
                "unit",
                "units_per_week",
                "weeks_per_year",
                "status",
                "end_reason",
                "purchase_order",
                "review_due_on",
            ],
        ),
        "committed_cost": _rows(
            PlacementCommitment.objects.filter(placement__child=child), ["placement_id", "financial_year", "amount"]
        ),
        "rate_changes": _rows(
            PlacementVariation.objects.filter(placement__child=child),
            ["placement_id", "effective_from", "rate", "reason", "decision_reference"],
        ),
        "personal_budgets": _rows(
            PersonalBudget.objects.filter(placement__child=child),
            ["placement_id", "amount", "signed_on", "review_on", "paid_to", "notes"],
        ),
        "invoices": _rows(
            Invoice.objects.filter(placement__child=child),
            [
                "id",
                "placement_id",
                "provider__legal_name",
                "number",
                "period_start",
                "period_end",
                "units_delivered",
                "amount",
                "status",
                "paid_on",
            ],
        ),
        "disputes": _rows(
            Dispute.objects.filter(placement__child=child),
            ["id", "placement_id", "invoice_id", "category", "description", "raised_on", "resolved_on", "outcome"],
        ),
        "reviews": _rows(
            Review.objects.filter(placement__child=child),
            ["id", "placement_id", "held_on", "outcomes", "effectiveness", "decision", "next_review_on"],
        ),
        "school_place_requests": _rows(
            requests,
            ["id", "reference", "lot__name", "child_age", "needs_summary", "setting", "required_start", "status"],
        ),
        "schools_invited": _rows(
            Invitation.objects.filter(request__child=child),
            ["request_id", "school__legal_name", "status", "invited_at", "responded_at"],
        ),
        "school_placements": _rows(
            school_placements,
            [
                "id",
                "school__legal_name",
                "setting",
                "weeks",
                "start_date",
                "end_date",
                "education_fee",
                "care_fee",
                "therapy_fee",
                "other_fee",
                "status",
                "end_reason",
            ],
        ),
        "fee_uplifts": _rows(
            FeeUplift.objects.filter(placement__child=child),
            ["placement_id", "effective_from", "percent", "reason", "decision_reference"],
        ),
        "history": _rows(
            history.order_by("at", "pk"),
            ["content_type__model", "object_id", "field", "from_state", "to_state", "reason", "at"],
        ),
        "viewed_by": _rows(
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(Child),
                object_pk=str(child.pk),
                action=LogEntry.Action.ACCESS,
            ).order_by("timestamp"),
            ["timestamp", "actor__email", "additional_data"],
        ),
    }


# NMISS pages ------------------------------------------------------------------------------------
# Reads the school-places pages need: one call per page, a fixed number of queries however many
# invitations, offers or placements there are. A school (a provider user) gets only what concerns its
# own invitation: never another school's name, offer or figures, nor how many schools were invited.


def placement_request_rows(*, user: User) -> QuerySet[PlacementRequest]:
    """The requests list: placement_request_list, and for a school its own invitation's status and its own
    offer's status (so it can tell whether its offer was accepted)."""
    requests = placement_request_list(user=user)
    if getattr(user, "provider_id", None):
        # A school never has the child loaded at all, let alone shown.
        requests = requests.select_related(None).select_related("lot__provider_list", "primary_need")
        own_invitation = Invitation.objects.filter(request=OuterRef("pk"), school_id=user.provider_id)
        own_offer = Offer.objects.filter(request=OuterRef("pk"), invitation__school_id=user.provider_id)
        requests = requests.annotate(
            own_invitation_status=Subquery(own_invitation.values("status")[:1]),
            own_offer_status=Subquery(own_offer.values("status")[:1]),
        )
    return requests


def placement_request_page(*, user: User, pk: int) -> dict:
    """Everything the request's page shows this person. Raises PlacementRequest.DoesNotExist out of scope.

    A school sees the request (its pseudonymised profile), its own invitation, its own offer and, once the
    place is awarded to it, the agreement. Council staff also see the child, the eligible schools (with their
    indicative fee) and those still to invite, every invitation, every offer ranked (offers_ranked), the
    status history and the agreement."""
    from core.selectors import transition_list_for

    requests = PlacementRequest.objects.visible_to(user).select_related("lot__provider_list", "primary_need")
    if getattr(user, "provider_id", None):
        request = requests.get(pk=pk)
        invitation = Invitation.objects.visible_to(user).get(request=request)
        offer = Offer.objects.visible_to(user).filter(invitation=invitation).first()
        agreement = None
        if offer is not None and offer.status == Offer.Status.AWARDED:
            agreement = SchoolPlacement.objects.visible_to(user).filter(offer=offer).first()
        return {
            "placement_request": request,
            "school_view": True,
            "invitation": invitation,
            "offer": offer,
            "agreement": agreement,
        }
    request = requests.select_related("child", "raised_by", "awarded_by").get(pk=pk)
    invitations = list(
        Invitation.objects.visible_to(user)
        .filter(request=request)
        .select_related("school", "invited_by")
        .order_by("school__legal_name", "pk")
    )
    invited = {i.school_id for i in invitations}
    eligible = list(eligible_schools(request=request))
    return {
        "placement_request": request,
        "school_view": False,
        "invitations": invitations,
        "eligible": [(school, school.pk in invited) for school in eligible],
        "to_invite": eligible_schools(request=request).exclude(pk__in=invited),
        "ranked": offers_ranked(request=request),
        "closed": timezone.now() > request.deadline,
        "agreement": SchoolPlacement.objects.visible_to(user).filter(request=request).first(),
        "history": transition_list_for(request),
    }


def invitation_get(*, user: User, pk: int) -> Invitation:
    """One invitation this person may see (a school only its own), with its request's profile."""
    return (
        Invitation.objects.visible_to(user)
        .select_related("school", "request__lot__provider_list", "request__primary_need")
        .get(pk=pk)
    )


def offer_get(*, user: User, pk: int) -> Offer:
    """One offer this person may see (a school only its own), with its school and request."""
    return (
        Offer.objects.visible_to(user)
        .select_related("invitation__school", "request__lot", "request__primary_need", "scored_by")
        .get(pk=pk)
    )


def school_placement_summary_get(*, user: User, pk: int) -> SchoolPlacement:
    """One school placement this person may see, with what an action page about it shows."""
    return SchoolPlacement.objects.visible_to(user).select_related("child", "school").get(pk=pk)


def school_placement_page(*, user: User, pk: int, today: date | None = None) -> dict:
    """An individual placement agreement's page: the placement (school_placement_list) with its request, offer,
    block contract, uplifts and committed cost per financial year; the fee in force today; each uplift with
    the fee from its date; and the status history."""
    from core.selectors import transition_list_for

    from .services import school_fee_on

    today = today or timezone.localdate()
    placement = (
        school_placement_list(user=user)
        .select_related("offer", "created_by")
        .prefetch_related(
            Prefetch("uplifts", queryset=FeeUplift.objects.select_related("created_by").order_by("effective_from")),
            "commitments",
        )
        .get(pk=pk)
    )
    uplifts = list(placement.uplifts.all())
    return {
        "placement": placement,
        "fee_today": school_fee_on(placement, today, uplifts),
        "today": today,
        "uplifts": [(u, school_fee_on(placement, u.effective_from, uplifts)) for u in uplifts],
        "history": transition_list_for(placement),
    }


def school_list() -> QuerySet[Provider]:
    """Special schools an agreement or a block contract may be made with: open independent and
    non-maintained special schools."""
    return (
        Provider.objects.filter(kind__in=SCHOOL_KINDS)
        .exclude(status=Provider.Status.CLOSED)
        .order_by("legal_name", "pk")
    )


def dps_lot_list():
    """Lots of the Dynamic Purchasing System (and any dynamic market) a request can be raised under."""
    from providers.models import Lot, ProviderList

    return (
        Lot.objects.filter(provider_list__kind__in=(ProviderList.Kind.DPS, ProviderList.Kind.DYNAMIC_MARKET))
        .select_related("provider_list")
        .order_by("provider_list__name", "number")
    )


def school_placement_form_choices(*, user: User) -> dict:
    """What the form for an agreement outside a request offers: children (by EHCP reference), schools and
    block contracts."""
    return {
        "children": Child.objects.visible_to(user),
        "schools": school_list(),
        "block_contracts": BlockContract.objects.visible_to(user).select_related("school").order_by("reference"),
    }


def nmiss_history_list(*, user: User):
    """NMISS spend by financial year before the service held placements (council staff only)."""
    from .models import NmissHistoricalSpend

    if not user.has_perm("placements.view_nmisshistoricalspend") or getattr(user, "provider_id", None):
        return NmissHistoricalSpend.objects.none()
    return NmissHistoricalSpend.objects.order_by("financial_year")


def child_page(*, user: User, pk: int, start: date, end: date) -> dict:
    """The child's page: child_record, with the child's school placements (a school only its own) and, for
    council staff, the requests for a school place raised for the child."""
    record = child_record(user=user, pk=pk, start=start, end=end)
    requests = PlacementRequest.objects.none()
    if not getattr(user, "provider_id", None):
        requests = placement_request_list(user=user).filter(child_id=pk)
    return {
        **record,
        "school_placements": school_placement_list(user=user).filter(child_id=pk),
        "placement_requests": requests,
    }
