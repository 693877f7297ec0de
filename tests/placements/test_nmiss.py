"""NMISS places through the DPS: requests, invitations, offers, evaluation, award, agreements and uplifts."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.models import PrimaryNeed
from core.periods import FinancialYear
from placements import services
from placements.models import Invitation, Offer, PlacementRequest, SchoolPlacement, SchoolPlacementCommitment
from placements.selectors import block_contract_list, eligible_schools, offers_ranked
from providers.models import Lot, Membership, Provider, ProviderList
from tests.core.factories import UserFactory
from tests.placements.factories import ChildFactory
from tests.providers.factories import ProviderFactory

pytestmark = pytest.mark.django_db


def dps_lot(number=1) -> Lot:
    return Lot.objects.get(provider_list__reference="KCC-DPS-NMISS", number=number)


def dps_school(name: str, *, lot_number=1, day=True, residential=False, age=(5, 16), needs=("ASD",)) -> Provider:
    school = ProviderFactory(
        legal_name=f"{name} Ltd",
        trading_name=name,
        kind=Provider.Kind.INDEPENDENT_SCHOOL,
        offers_day=day,
        offers_residential=residential,
        age_from=age[0],
        age_to=age[1],
    )
    school.needs_catered_for.set(PrimaryNeed.objects.filter(code__in=needs))
    membership = Membership.objects.create(
        provider=school,
        provider_list=ProviderList.objects.get(reference="KCC-DPS-NMISS"),
        status=Membership.Status.ADMITTED,
        applied_on=date(2022, 5, 1),
        admitted_on=date(2022, 6, 1),
    )
    membership.lots.set([dps_lot(lot_number)])
    return school


def child_with_autism(**kwargs):
    return ChildFactory(
        first_name="Tamsin",
        last_name="Quarrendon",
        date_of_birth=timezone.localdate().replace(year=timezone.localdate().year - 10) - timedelta(days=3),
        primary_need=PrimaryNeed.objects.get(code="ASD"),
        **kwargs,
    )


def raise_request(officer, child=None, **kwargs):
    values = {
        "child": child or child_with_autism(),
        "lot": dps_lot(1),
        "needs_summary": "Needs a small, calm class and a speech and language programme.",
        "setting": "day",
        "required_start": date(2026, 9, 1),
        "deadline": timezone.now() + timedelta(days=14),
        "user": officer,
    }
    values.update(kwargs)
    return services.placement_request_create(**values)


def close(request):
    """Move the deadline into the past (offers are in; evaluation can start)."""
    PlacementRequest.objects.filter(pk=request.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    request.refresh_from_db()


def offer(invitation, user, fee, **kwargs):
    values = {
        "education_fee": Decimal(fee),
        "weeks": 38,
        "start_date": date(2026, 9, 1),
        "quality_statement": "Specialist autism teachers; on-site therapy team.",
    }
    values.update(kwargs)
    return services.offer_submit(invitation=invitation, user=user, **values)


def test_the_request_shows_schools_a_pseudonymised_profile(officer):
    request = raise_request(officer)
    assert request.child_age == 10 and request.primary_need.code == "ASD"
    assert request.reference.startswith("PR-") and request.status == PlacementRequest.Status.DRAFT
    with pytest.raises(ValidationError) as error:
        raise_request(officer, child=request.child, needs_summary="Tamsin needs a calm class.")
    assert "name" in error.value.message_dict["needs_summary"][0]


def test_eligible_schools_are_those_admitted_to_the_lot_that_take_the_childs_age_need_and_setting(officer):
    right = dps_school("Fictional Orchard School")
    dps_school("Fictional Residential Only School", day=False, residential=True)
    dps_school("Fictional Teen School", age=(11, 19))
    dps_school("Fictional SEMH School", lot_number=3, needs=("SEMH",))
    ProviderFactory(kind=Provider.Kind.INDEPENDENT_SCHOOL, legal_name="Fictional Not On The DPS Ltd", offers_day=True)
    request = raise_request(officer)
    assert list(eligible_schools(request=request)) == [right]


def test_invitations_open_the_request_and_only_eligible_schools_can_be_invited(officer):
    school = dps_school("Fictional Orchard School")
    other = dps_school("Fictional SEMH School", lot_number=3, needs=("SEMH",))
    request = raise_request(officer)
    with pytest.raises(ValidationError) as error:
        services.placement_request_invite(request=request, schools=[school, other], user=officer)
    assert "Fictional SEMH School" in error.value.message_dict["schools"][0]
    assert not Invitation.objects.exists()
    services.placement_request_invite(request=request, schools=[school], user=officer)
    request.refresh_from_db()
    assert request.status == PlacementRequest.Status.OPEN and request.published_at is not None


@pytest.fixture
def three_offers(officer):
    """The hand-computed example: weights 60 quality / 40 price."""
    schools = [dps_school(f"Fictional School {letter}") for letter in "ABC"]
    request = raise_request(officer)
    services.placement_request_invite(request=request, schools=schools, user=officer)
    invitations = {i.school_id: i for i in request.invitations.all()}
    staff = [UserFactory(provider=s) for s in schools]
    offers = [
        offer(invitations[schools[0].pk], staff[0], "45000", therapy_fee=Decimal("5000")),  # £50,000
        offer(invitations[schools[1].pk], staff[1], "55000"),
        offer(invitations[schools[2].pk], staff[2], "52500", care_fee=Decimal("10000")),  # £62,500
    ]
    close(request)
    for o, score in zip(offers, (70, 80, 85), strict=True):
        services.offer_score(offer=o, quality_score=score, reason="Scored against the published criteria", user=officer)
    return request, offers


def test_scoring_and_ranking_match_the_hand_computed_example(three_offers):
    request, (a, b, c) = three_offers
    ranked = {r.offer.pk: r for r in offers_ranked(request=request)}
    # price: lowest £50,000 / fee x 100 -> A 100, B 90.91, C 80.00
    assert [ranked[o.pk].price_score for o in (a, b, c)] == [Decimal("100.00"), Decimal("90.91"), Decimal("80.00")]
    # total: quality x 60% + price x 40% -> A 42 + 40 = 82.00, B 48 + 36.36 = 84.36, C 51 + 32 = 83.00
    assert [ranked[o.pk].total for o in (a, b, c)] == [Decimal("82.00"), Decimal("84.36"), Decimal("83.00")]
    assert [ranked[o.pk].rank for o in (a, b, c)] == [3, 1, 2]
    assert "ranked 1st of 3" in ranked[b.pk].explanation
    assert "lowest fee £50,000.00 / this fee £55,000.00" in ranked[b.pk].explanation


def test_equal_totals_share_a_rank(officer):
    schools = [dps_school(f"Fictional Tie School {n}") for n in range(3)]
    request = raise_request(officer, quality_weight=50, price_weight=50)
    services.placement_request_invite(request=request, schools=schools, user=officer)
    invitations = list(request.invitations.order_by("school__legal_name"))
    fees_and_scores = (("40000", 60), ("50000", 80), ("80000", 90))  # 30+50=80, 40+40=80, 45+25=70
    offers = [
        offer(inv, UserFactory(provider=inv.school), fee)
        for inv, (fee, _) in zip(invitations, fees_and_scores, strict=True)
    ]
    close(request)
    for o, (_, score) in zip(offers, fees_and_scores, strict=True):
        services.offer_score(offer=o, quality_score=score, reason="Scored", user=officer)
    ranked = {r.offer.pk: r for r in offers_ranked(request=request)}
    assert [(ranked[o.pk].total, ranked[o.pk].rank) for o in offers] == [
        (Decimal("80.00"), 1),
        (Decimal("80.00"), 1),
        (Decimal("70.00"), 3),
    ]
    assert "tied with Fictional Tie School 1" in ranked[offers[0].pk].explanation


def test_award_creates_the_agreement_once_and_tells_every_school(three_offers, officer):
    request, (a, b, c) = three_offers
    with pytest.raises(ValidationError) as error:
        services.placement_request_award(request=request, offer=a, end_date=date(2029, 7, 31), user=officer)
    assert "not ranked first" in error.value.message_dict["reason"][0]
    placement = services.placement_request_award(request=request, offer=b, end_date=date(2029, 7, 31), user=officer)
    assert placement.school == b.invitation.school and placement.annual_fee == Decimal("55000.00")
    assert placement.child == request.child and placement.setting == "day" and placement.weeks == 38
    assert set(Offer.objects.values_list("pk", "status")) == {
        (a.pk, "unsuccessful"),
        (b.pk, "awarded"),
        (c.pk, "unsuccessful"),
    }
    for school_offer in (a, b, c):
        assert (
            school_offer.invitation.school.users.get().notifications.filter(kind="placement-request-outcome").exists()
        )
    with pytest.raises(ValidationError) as error:
        services.placement_request_award(request=request, offer=c, end_date=date(2029, 7, 31), user=officer, reason="x")
    assert "already been awarded by" in error.value.messages[0]
    assert SchoolPlacement.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():  # the database holds one award per request
        Offer.objects.filter(pk=c.pk).update(status="awarded")


def test_every_offer_is_scored_before_award(officer):
    school = dps_school("Fictional Orchard School")
    request = raise_request(officer)
    services.placement_request_invite(request=request, schools=[school], user=officer)
    only = offer(request.invitations.get(), UserFactory(provider=school), "60000")
    close(request)
    with pytest.raises(ValidationError) as error:
        services.placement_request_award(request=request, offer=only, end_date=date(2029, 7, 31), user=officer)
    assert "Score the quality" in error.value.messages[0]


def test_bad_offers_are_refused_and_change_nothing(officer):
    school = dps_school("Fictional Orchard School")
    request = raise_request(officer)
    services.placement_request_invite(request=request, schools=[school], user=officer)
    invitation = request.invitations.get()
    staff = UserFactory(provider=school)
    with pytest.raises(ValidationError) as error:
        offer(invitation, staff, "-1")
    assert "education_fee" in error.value.message_dict
    close(request)
    with pytest.raises(ValidationError) as error:
        offer(invitation, staff, "60000")
    assert "closed" in error.value.messages[0]
    assert not Offer.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.INVITED


def test_a_school_declines_with_a_reason(officer):
    school = dps_school("Fictional Orchard School")
    request = raise_request(officer)
    services.placement_request_invite(request=request, schools=[school], user=officer)
    invitation = request.invitations.get()
    with pytest.raises(ValidationError):
        services.invitation_decline(invitation=invitation, user=officer, reason=" ")
    services.invitation_decline(invitation=invitation, user=officer, reason="No place until 2027")
    invitation.refresh_from_db()
    assert invitation.status == "declined"


def commitments(placement):
    return {
        FinancialYear(c.financial_year).label: c.amount
        for c in SchoolPlacementCommitment.objects.filter(placement=placement).order_by("financial_year")
    }


def test_uplifts_apply_from_their_date_and_never_before_the_placement(officer):
    school = dps_school("Fictional Orchard School")
    placement = services.school_placement_create(
        child=child_with_autism(),
        school=school,
        setting="day",
        weeks=38,
        start_date=date(2025, 4, 1),
        end_date=date(2026, 3, 31),
        education_fee=Decimal("36500.00"),
        user=officer,
    )
    assert commitments(placement) == {"2025-26": Decimal("36500.00")}
    with pytest.raises(ValidationError) as error:
        services.school_placement_uplift(
            placement=placement, effective_from=date(2025, 3, 1), percent=Decimal("3"), reason="x", user=officer
        )
    assert "before the placement starts" in error.value.message_dict["effective_from"][0]
    services.school_placement_uplift(
        placement=placement,
        effective_from=date(2025, 10, 1),
        percent=Decimal("10"),
        reason="Annual inflationary uplift",
        decision_reference="25/00001",
        user=officer,
    )
    # 183 days at £36,500 a year (£18,300) and 182 days at £40,150 (£20,020)
    assert commitments(placement) == {"2025-26": Decimal("38320.00")}
    assert services.school_fee_on(placement, date(2025, 10, 1)) == Decimal("40150.00")


def test_a_block_contract_counts_its_places(officer):
    school = dps_school("Fictional Orchard School")
    block = services.block_contract_create(
        school=school,
        reference="BLOCK-1",
        places=1,
        annual_fee=Decimal("400000"),
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        user=officer,
    )
    args = {
        "school": school,
        "setting": "day",
        "weeks": 38,
        "start_date": date(2025, 9, 1),
        "end_date": date(2026, 7, 31),
        "education_fee": Decimal("0"),
        "user": officer,
        "block_contract": block,
    }
    services.school_placement_create(child=child_with_autism(), **args)
    with pytest.raises(ValidationError) as error:
        services.school_placement_create(child=ChildFactory(), **args)
    assert "places in the block are in use" in error.value.message_dict["block_contract"][0]
    assert block_contract_list(user=officer, on=date(2025, 10, 1)).get().places_used == 1


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="Row locks need PostgreSQL; SQLite serialises writers anyway",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # like every transactional test here
def test_two_officers_awarding_at_once_award_once(officer):
    school_a, school_b = dps_school("Fictional School A"), dps_school("Fictional School B")
    request = raise_request(officer)
    services.placement_request_invite(request=request, schools=[school_a, school_b], user=officer)
    offers = [offer(inv, UserFactory(provider=inv.school), "50000") for inv in request.invitations.all()]
    close(request)
    for o in offers:
        services.offer_score(offer=o, quality_score=70, reason="Scored", user=officer)
    second_officer = UserFactory()
    barrier = threading.Barrier(2)
    outcomes = []

    def award(user, chosen):
        barrier.wait()
        try:
            services.placement_request_award(request=request, offer=chosen, end_date=date(2029, 7, 31), user=user)
            outcomes.append("awarded")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [
        threading.Thread(target=award, args=(officer, offers[0])),
        threading.Thread(target=award, args=(second_officer, offers[1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[0].startswith("This request has already been awarded")
    assert outcomes.count("awarded") == 1
    assert SchoolPlacement.objects.filter(request=request).count() == 1
