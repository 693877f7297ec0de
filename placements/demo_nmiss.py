"""Demo data for NMISS places: the council's historical spend, placements at the DPS schools (some through
awarded requests, some before the DPS, some in block contracts) with yearly fee uplifts, and requests in
every state. Called by `placements.demo.seed`; fictional children only; idempotent."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from core.models import District, FundingSource, PrimaryNeed, User
from providers.models import Membership, ProviderList, SchoolFeeBand

from . import services
from .models import (
    PSEUDONYM_ALPHABET,
    Child,
    FeeUplift,
    NmissHistoricalSpend,
    PlacementRequest,
    SchoolPlacement,
    SchoolPlacementCommitment,
)
from .selectors import eligible_schools, offers_ranked

REFERENCE_PREFIX = "EHCP-N-"
PLACEMENTS = 1400  # about the number of NMISS places the spend history implies (~£35,000 to £60,000 each)
# Record of decision on the NMISS commissioning strategy: spend by financial year (start year: pounds).
HISTORY = {
    2017: Decimal("27911115"),
    2018: Decimal("34167515"),
    2019: Decimal("39772645"),
    2020: Decimal("49244606"),
}
HISTORY_SOURCE = "NMISS commissioning strategy, proposed record of decision"
FIRST_NAMES = ["Alba", "Bram", "Cass", "Dex", "Edie", "Finn", "Gwen", "Hal", "Iris", "Jem", "Kit", "Lark", "Mabel"]
FIRST_NAMES += ["Ned", "Opal", "Perry", "Quin", "Reuben", "Saffi", "Teddy", "Una", "Vince", "Willa", "Xan", "Yara"]
SURNAMES = ["Ashcombe", "Bellweather", "Cloudsley", "Dunnock", "Everhold", "Foxglove", "Greywether", "Hartsease"]
SURNAMES += ["Inchbold", "Jessamy", "Kingcup", "Lovage", "Meadowsweet", "Nightjar", "Oxlip", "Pennyroyal"]
NEEDS = {"ASD": 40, "SEMH": 30, "SLCN": 10, "SLD": 8, "PMLD": 4, "SPLD": 4, "PD": 4}


def seed(*, stdout, rng: random.Random, officer: User) -> None:
    if (
        NmissHistoricalSpend.objects.exists()
        or Child.objects.filter(ehcp_reference__startswith=REFERENCE_PREFIX).exists()
    ):
        stdout.write("  School places: demo data already present; nothing created.")
        return
    for year, amount in HISTORY.items():
        services.nmiss_history_set(financial_year=year, amount=amount, source=HISTORY_SOURCE, user=officer)
    today = timezone.localdate()
    dps = ProviderList.objects.get(reference="KCC-DPS-NMISS")
    memberships = list(
        Membership.objects.filter(provider_list=dps, status=Membership.Status.ADMITTED)
        .select_related("provider")
        .prefetch_related("lots")
        .order_by("provider__legal_name")
    )
    if not memberships:
        stdout.write("  School places: no schools on the DPS; nothing created.")
        return
    bands = {}
    for band in SchoolFeeBand.objects.filter(provider__in=[m.provider for m in memberships]):
        bands.setdefault((band.provider_id, band.place_type), band)
    children = _children(rng, today)
    blocks = _blocks(memberships, officer)
    placements, uplifts = [], []
    for index, child in enumerate(children[:PLACEMENTS]):  # the last few are for requests
        membership = memberships[index % len(memberships)]
        school = membership.provider
        setting = (
            "residential" if school.offers_residential and (not school.offers_day or rng.random() < 0.3) else "day"
        )
        band = bands.get((school.pk, setting))
        # Places held when the service started are recorded from 1 April 2021 (earlier years are history).
        start = date(2021, 4, 1) if index % 3 == 0 else date(rng.randint(2021, 2025), 9, 1)
        start += timedelta(days=rng.choice([0, 0, 0, 60, 120]))
        end = date(min(start.year + rng.randint(1, 5), 2029), 7, 31)
        variation = Decimal(rng.randint(90, 115)) / 100
        block = blocks.get(school.pk) if index % 11 == 0 else None
        placement = SchoolPlacement(
            child=child,
            school=school,
            setting=setting,
            weeks=52 if setting == "residential" else 38,
            start_date=start,
            end_date=end,
            education_fee=_fee(band.education if band else Decimal("48000"), variation),
            care_fee=_fee(band.care if band else Decimal("0"), variation),
            therapy_fee=_fee(band.therapy if band else Decimal("6000"), variation),
            other_fee=Decimal("0.00"),
            block_contract=block if block and block.start_date <= start and end <= block.end_date else None,
            # Some residential places meet care needs too: jointly funded from the pooled budget.
            funding_source=FundingSource.POOLED
            if setting == "residential" and index % 4 == 1
            else FundingSource.HIGH_NEEDS,
            status=SchoolPlacement.Status.ENDED if end < today else SchoolPlacement.Status.ACTIVE,
            end_reason="Agreement completed" if end < today else "",
            created_by=officer,
        )
        placements.append(placement)
    SchoolPlacement.objects.bulk_create(placements)
    for placement in placements:
        year = placement.start_date.year + 1
        while date(year, 4, 1) <= min(placement.end_date, today):
            if rng.random() < 0.8:  # most agreements are uplifted each April
                uplifts.append(
                    FeeUplift(
                        placement=placement,
                        effective_from=date(year, 4, 1),
                        percent=Decimal(rng.choice(["2.00", "2.50", "3.00", "3.50", "4.00", "5.00"])),
                        reason="Annual inflationary uplift",
                        decision_reference=f"NMISS-UPLIFT-{year}",
                        created_by=officer,
                    )
                )
            year += 1
    FeeUplift.objects.bulk_create(uplifts)
    by_placement: dict[int, list[FeeUplift]] = {}
    for uplift in uplifts:
        by_placement.setdefault(uplift.placement_id, []).append(uplift)
    SchoolPlacementCommitment.objects.bulk_create(
        SchoolPlacementCommitment(placement=p, financial_year=y.start_year, amount=amount)
        for p in placements
        for y, amount in sorted(services.school_placement_cost_by_year(p, by_placement.get(p.pk, [])).items())
    )
    requests = _requests(rng, memberships, officer, today)
    stdout.write(
        f"  School places: {len(placements)} placements, {len(uplifts)} uplifts, {len(blocks)} block contracts, "
        f"{requests} requests; NMISS history 2017-18 to 2020-21."
    )


def _fee(value: Decimal, variation: Decimal) -> Decimal:
    return (value * variation).quantize(Decimal("1"))


def _pseudonym(rng: random.Random, taken: set[str]) -> str:
    while True:
        value = "C-" + "".join(rng.choice(PSEUDONYM_ALPHABET) for _ in range(8))
        if value not in taken:
            taken.add(value)
            return value


def _children(rng: random.Random, today: date, count: int = PLACEMENTS + 12) -> list[Child]:
    districts = list(District.objects.filter(authority="Kent County Council"))
    needs = {n.code: n for n in PrimaryNeed.objects.filter(code__in=NEEDS)}
    taken = set(Child.objects.values_list("pseudonym", flat=True))
    names: set[tuple[str, str]] = set()
    children = []
    for index in range(count):
        while True:
            name = (rng.choice(FIRST_NAMES), f"{rng.choice(SURNAMES)}-{rng.choice(SURNAMES)}")
            if name not in names:
                names.add(name)
                break
        born = date(today.year - rng.randint(6, 18), rng.randint(1, 12), rng.randint(1, 28))
        children.append(
            Child(
                first_name=name[0],
                last_name=name[1],
                date_of_birth=born,
                ehcp_reference=f"{REFERENCE_PREFIX}{index + 1:05d}",
                pseudonym=_pseudonym(rng, taken),
                district=rng.choice(districts),
                primary_need=needs[rng.choices(list(NEEDS), weights=list(NEEDS.values()))[0]],
            )
        )
    return Child.objects.bulk_create(children)


def _blocks(memberships, officer) -> dict[int, object]:
    """Two block contracts: a number of places at a school for a fee."""
    blocks = {}
    for index, membership in enumerate(memberships[:2]):
        blocks[membership.provider_id] = services.block_contract_create(
            school=membership.provider,
            reference=f"NMISS-BLOCK-{index + 1:02d}",
            places=12 + 6 * index,
            annual_fee=Decimal(620000 + 310000 * index),
            start_date=date(2022, 9, 1),
            end_date=date(2027, 8, 31),
            user=officer,
            decision_reference="22/00071",
        )
    return blocks


def _requests(rng: random.Random, memberships, officer, today: date) -> int:
    """Requests in every state: draft, open with offers coming in, closed awaiting evaluation, awarded, cancelled."""
    children = list(Child.objects.filter(ehcp_reference__startswith=REFERENCE_PREFIX).order_by("-pk")[:12])
    plan = ["draft", "open", "open", "open", "evaluating", "evaluating", "awarded", "awarded", "awarded", "cancelled"]
    made = 0
    for child, state in zip(children, plan, strict=False):
        lot = next(
            (lot for m in memberships for lot in m.lots.all() if lot.primary_need_id == child.primary_need_id), None
        )
        if lot is None:
            continue
        request = services.placement_request_create(
            child=child,
            lot=lot,
            needs_summary="Needs a small class with a consistent adult, a sensory-aware environment and weekly "
            "speech and language therapy on site.",
            setting=lot.setting or "day",
            required_start=date(today.year + (today.month >= 7), 9, 1),
            deadline=timezone.now() + timedelta(days=rng.randint(7, 21)),
            user=officer,
        )
        made += 1
        if state == "draft":
            continue
        schools = list(eligible_schools(request=request)[:3])
        if not schools:
            continue
        services.placement_request_invite(request=request, schools=schools, user=officer)
        if state == "cancelled":
            services.placement_request_cancel(
                request=request, reason="The family chose a maintained school", user=officer
            )
            continue
        offers = []
        for number, invitation in enumerate(request.invitations.select_related("school")):
            if state == "open" and number > 0:
                break  # offers still coming in
            if number == 2:
                services.invitation_decline(invitation=invitation, user=officer, reason="No place for September")
                continue
            staff = User.objects.filter(provider=invitation.school).first() or officer
            offers.append(
                services.offer_submit(
                    invitation=invitation,
                    user=staff,
                    education_fee=Decimal(rng.randint(46000, 62000)),
                    therapy_fee=Decimal(rng.randint(3000, 9000)),
                    weeks=38,
                    start_date=request.required_start,
                    place_confirmed=True,
                    quality_statement="Small classes, an on-site speech and language therapist, and a named key "
                    "worker; transition visits before the start.",
                )
            )
        if state == "open":
            continue
        PlacementRequest.objects.filter(pk=request.pk).update(deadline=timezone.now() - timedelta(days=2))
        request.refresh_from_db()
        for offer in offers:
            services.offer_score(
                offer=offer,
                quality_score=rng.choice([55, 60, 65, 70, 75, 80, 85]),
                reason="Scored against the published criteria: meeting needs, outcomes, safeguarding and transition.",
                user=officer,
            )
        if state == "awarded" and offers:
            best = offers_ranked(request=request)[0].offer
            services.placement_request_award(
                request=request, offer=best, end_date=date(request.required_start.year + 3, 7, 31), user=officer
            )
    return made
