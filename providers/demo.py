"""Demo data for providers: about 50 fictional providers on the QPL in every state. Everyone here is fictional."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from core.demo import DEMO_PASSWORD, demo_user
from core.models import District, TherapyType, User
from core.roles import Role
from core.services import transition_record

from .models import (
    CapacityDeclaration,
    ComplianceDocument,
    InsurancePolicy,
    Membership,
    Practitioner,
    PriceLine,
    PricingSchedule,
    Provider,
    ProviderList,
    SelectionQuestionnaire,
)
from .selectors import questionnaire_snapshot
from .services import DECLARATIONS, compliance_check

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
FIRST = [
    "Ava",
    "Ben",
    "Cara",
    "Dev",
    "Esme",
    "Finn",
    "Gita",
    "Hal",
    "Iris",
    "Joel",
    "Kira",
    "Luca",
    "Mina",
    "Noor",
    "Owen",
    "Pia",
    "Rhys",
    "Sana",
    "Theo",
    "Uma",
    "Vik",
    "Wren",
    "Yara",
    "Zac",
]
LAST = [
    "Ashdown",
    "Brackley",
    "Coldharbour",
    "Dunmore",
    "Eastry",
    "Farthing",
    "Gadsby",
    "Hollins",
    "Ivesley",
    "Jessop",
    "Kettering",
    "Larkhill",
    "Marden",
    "Nettleford",
    "Ormsby",
    "Pendle",
    "Quarry",
    "Rushmere",
]
NAMES = [
    "Alder",
    "Beacon",
    "Bramble",
    "Cedar",
    "Chalkhill",
    "Copperleaf",
    "Downland",
    "Fernbrook",
    "Foxglove",
    "Greenway",
    "Hawthorn",
    "Heron",
    "Juniper",
    "Kestrel",
    "Lantern",
    "Larkspur",
    "Meadowbank",
    "Millstream",
    "Nightingale",
    "Oakleaf",
    "Orchard",
    "Pebble",
    "Primrose",
    "Quayside",
    "Riverside",
    "Rowan",
    "Saltmarsh",
    "Seagull",
    "Skylark",
    "Sorrel",
    "Springfield",
    "Stour Valley",
    "Sunflower",
    "Thistle",
    "Tidewater",
    "Tideway",
    "Wayfarer",
    "Weald",
    "Whitecliff",
    "Willow",
    "Windmill",
    "Woodpecker",
    "Yew Tree",
    "Acorn",
    "Bluebell",
    "Clover",
    "Dovecote",
    "Evergreen",
    "Hopfield",
    "Kingfisher",
]
SUFFIX = {
    "speech-language": "Speech and Language",
    "occupational": "Occupational Therapy",
    "physiotherapy": "Physio",
    "play": "Play Therapy",
    "music": "Music Therapy",
    "art": "Art Therapy",
    "drama": "Drama Therapy",
    "cbt": "Psychological Therapies",
    "hydrotherapy": "Hydrotherapy",
    "assistive-technology": "Communication Aids",
}
HOURLY = {
    "speech-language": (62, 90),
    "occupational": (65, 95),
    "physiotherapy": (60, 85),
    "cbt": (70, 110),
    "hydrotherapy": (55, 80),
    "play": (50, 75),
    "music": (48, 72),
    "art": (48, 72),
    "drama": (48, 72),
    "assistive-technology": (70, 95),
}


def seed(*, stdout, rng) -> None:
    qpl = ProviderList.objects.get(reference="KCC-QPL-SEN-THERAPIES")
    therapies = {t.code: t for t in TherapyType.objects.all()}
    districts = list(District.objects.filter(authority="Kent County Council"))
    swale = next(d for d in districts if d.name == "Swale")
    officer = User.objects.filter(email="officer@example.org").first()
    today = timezone.localdate()
    created = 0
    plan = ["admitted"] * 36 + ["submitted"] * 3 + ["under_review"] * 2 + ["clarification_requested"] * 2
    plan += ["rejected"] * 3 + ["left"] * 2 + ["draft"] * 2
    base = rng.randint(0, 10**6)
    for index, state in enumerate(plan):
        rng = random.Random(base + index)  # one stream per provider: a re-run makes the same providers
        main = (
            "speech-language"
            if index % 3 != 2
            else rng.choice(
                [
                    "occupational",
                    "occupational",
                    "physiotherapy",
                    "play",
                    "cbt",
                    "music",
                    "art",
                    "drama",
                    "hydrotherapy",
                ]
            )
        )
        name = f"{NAMES[index]} {SUFFIX[main]}"
        kind = rng.choice([Provider.Kind.SOLE_PRACTITIONER] * 3 + [Provider.Kind.COMPANY] * 3 + [Provider.Kind.CHARITY])
        legal = (
            f"{name} {'CIC' if kind == Provider.Kind.CHARITY else 'Ltd'}"
            if kind != Provider.Kind.SOLE_PRACTITIONER
            else f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        )
        provider, is_new = Provider.objects.get_or_create(
            legal_name=legal, defaults={"trading_name": name, "kind": kind, "status": Provider.Status.ACTIVE}
        )
        if not is_new:
            continue
        created += 1
        offered = {main} | ({"occupational"} if main == "speech-language" and rng.random() < 0.4 else set())
        if rng.random() < 0.25:
            offered.add(rng.choice(list(HOURLY)))
        covered = rng.sample([d for d in districts if d != swale], rng.randint(2, 7))
        if index % 9 == 0:
            covered.append(swale)  # west Swale is thinly served
        _fill(provider, index, rng, [therapies[c] for c in sorted(offered)], covered, today)
        sq = _questionnaire(provider, qpl, state, index, officer, today)
        _membership(provider, qpl, sq, state, index, officer, today)
    rng = random.Random(base - 1)
    harbourside, _ = Provider.objects.get_or_create(
        legal_name="Harbourside Therapy Ltd",
        defaults={
            "trading_name": "Harbourside Therapy",
            "kind": Provider.Kind.COMPANY,
            "status": Provider.Status.ACTIVE,
        },
    )
    if not harbourside.practitioners.exists():
        _fill(
            harbourside,
            99,
            rng,
            [therapies["speech-language"], therapies["occupational"]],
            [d for d in districts if d.name in ("Canterbury", "Thanet", "Dover", "Swale")],
            today,
        )
        sq = _questionnaire(harbourside, qpl, "admitted", 99, officer, today)
        _membership(harbourside, qpl, sq, "admitted", 99, officer, today)
    email = "provider@example.org"
    demo_user(email=email, role=Role.PROVIDER, first_name="Pat", last_name="Provider", provider=harbourside)
    stdout.write(f"  {Role.PROVIDER.label:<14} {email:<32} password: {DEMO_PASSWORD}")
    schools = _seed_schools(base, officer, today)
    outcome = compliance_check(today=today)
    stdout.write(f"  Schools on the DPS: {schools} created.")
    stdout.write(
        f"  Providers: {created} created; compliance check suspended {outcome.suspended}, warned {outcome.warned}."
    )


def _fill(provider: Provider, index: int, rng, offered, covered, today: date) -> None:
    provider.trading_name = provider.trading_name or provider.legal_name
    provider.address_line_1 = (
        f"{rng.randint(1, 120)} {rng.choice(['High Street', 'Station Road', 'Church Lane', 'Mill Road'])}"
    )
    provider.town = rng.choice(["Maidstone", "Canterbury", "Ashford", "Folkestone", "Margate", "Sevenoaks", "Dartford"])
    provider.postcode = f"ME{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTUW')}"
    provider.contact_name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    provider.contact_email = f"hello{index}@provider.example.org"
    provider.contact_phone = f"01632 96{index:04d}"[:13]
    provider.is_sme = True
    provider.is_vcse = provider.kind == Provider.Kind.CHARITY
    provider.employs_staff = provider.kind != Provider.Kind.SOLE_PRACTITIONER
    if provider.kind == Provider.Kind.COMPANY:
        provider.companies_house_number = f"{10000000 + index * 7919:08d}"
    if provider.kind == Provider.Kind.CHARITY:
        provider.charity_number = f"{1100000 + index * 37}"
    provider.settings_offered = rng.sample(["school", "home", "clinic", "online"], rng.randint(1, 3))
    provider.age_from, provider.age_to = 2, 19
    provider.safeguarding_lead_name = provider.contact_name
    provider.safeguarding_lead_email = provider.contact_email
    provider.has_safeguarding_policy = True
    provider.save()
    provider.therapy_types.set(offered)
    provider.districts.set(covered)
    # Evidence: index 5, 17, 29 have an expired certificate (suspended by the check); 8, 20 expire soon.
    soon = today + timedelta(days=rng.randint(5, 25))
    expired = today - timedelta(days=rng.randint(3, 40))
    later = today + timedelta(days=rng.randint(120, 400))
    policy_expiry = expired if index in (5, 17, 29) else (soon if index in (8, 20) else later)
    for kind, cover in (
        (InsurancePolicy.Kind.PUBLIC_LIABILITY, "5000000"),
        (InsurancePolicy.Kind.PROFESSIONAL_INDEMNITY, "2000000"),
    ):
        InsurancePolicy.objects.update_or_create(
            provider=provider,
            kind=kind,
            defaults={
                "insurer": rng.choice(["Fictional Mutual", "Example Insurance plc", "Demo Assurance"]),
                "policy_number": f"POL-{index:03d}-{kind[:2].upper()}",
                "cover_amount": Decimal(cover),
                "expires_on": max(policy_expiry, today) if kind == InsurancePolicy.Kind.PUBLIC_LIABILITY else later,
            },
        )
        _document(
            provider, None, kind, policy_expiry if kind == InsurancePolicy.Kind.PUBLIC_LIABILITY else later, index
        )
    if provider.employs_staff:
        InsurancePolicy.objects.update_or_create(
            provider=provider,
            kind=InsurancePolicy.Kind.EMPLOYERS_LIABILITY,
            defaults={
                "insurer": "Example Insurance plc",
                "policy_number": f"POL-{index:03d}-EL",
                "cover_amount": Decimal("10000000"),
                "expires_on": later,
            },
        )
        _document(provider, None, ComplianceDocument.Kind.EMPLOYERS_LIABILITY, later, index)
    _document(provider, None, ComplianceDocument.Kind.SAFEGUARDING_POLICY, None, index)
    for n in range(1 if provider.kind == Provider.Kind.SOLE_PRACTITIONER else rng.randint(2, 3)):
        therapy = offered[n % len(offered)]
        body, prefix = {
            "speech-language": ("hcpc", "SL"),
            "occupational": ("hcpc", "OT"),
            "physiotherapy": ("hcpc", "PH"),
            "art": ("hcpc", "AS"),
            "music": ("hcpc", "AS"),
            "drama": ("hcpc", "AS"),
            "play": ("bapt", ""),
            "cbt": ("babcp", ""),
        }.get(therapy.code, ("hcpc", "SL"))
        practitioner = Practitioner.objects.create(
            provider=provider,
            first_name=rng.choice(FIRST),
            last_name=rng.choice(LAST),
            profession=f"{therapy.name.replace(' therapy', '').capitalize()} therapist",
            registration_body=body,
            registration_number=f"{prefix}{rng.randint(10000, 99999)}",
            registration_expires_on=later,
            dbs_certificate_number=f"{rng.randint(10**11, 10**12 - 1)}",
            dbs_issued_on=today - timedelta(days=rng.randint(60, 900)),
            dbs_barred_list_checked=True,
            dbs_update_service=rng.random() < 0.7,
        )
        _document(provider, practitioner, ComplianceDocument.Kind.REGISTRATION, later, index)
        _document(provider, practitioner, ComplianceDocument.Kind.DBS, None, index)
    versions = rng.randint(1, 3)
    for version in range(1, versions + 1):
        schedule = PricingSchedule.objects.create(
            provider=provider, version=version, effective_from=date(2024 - versions + version, 4, 1)
        )
        for therapy in offered:
            low, high = HOURLY[therapy.code]
            hourly = Decimal(rng.randint(low, high)) + Decimal(version * 2)
            PriceLine.objects.create(schedule=schedule, therapy_type=therapy, unit=PriceLine.Unit.HOUR, rate=hourly)
            PriceLine.objects.create(
                schedule=schedule, therapy_type=therapy, unit=PriceLine.Unit.ASSESSMENT, rate=hourly * 3
            )
            PriceLine.objects.create(
                schedule=schedule, therapy_type=therapy, unit=PriceLine.Unit.REPORT, rate=hourly * 2
            )
    for therapy in offered:
        for district in covered:
            CapacityDeclaration.objects.create(
                provider=provider,
                therapy_type=therapy,
                district=district,
                hours_per_week=Decimal(rng.choice([0, 2, 4, 6, 8, 10, 12, 15, 20])),
                from_date=date(2024, 9, 1),
            )


def _document(provider, practitioner, kind, expires_on, index) -> None:
    document = ComplianceDocument(
        provider=provider,
        practitioner=practitioner,
        kind=kind,
        number=f"DOC-{index:03d}",
        expires_on=expires_on,
        original_name=f"{kind.replace('_', '-')}.pdf",
        content_type="application/pdf",
        size=len(PDF),
        uploaded_by=User.objects.filter(provider=provider).first()
        or User.objects.filter(email="officer@example.org").first(),
        status=ComplianceDocument.Status.VERIFIED,
        verified_at=timezone.now(),
    )
    document.file.save(
        f"demo-{provider.pk}-{kind}-{practitioner.pk if practitioner else 0}.pdf", ContentFile(PDF), save=False
    )
    document.save()


def _questionnaire(provider, qpl, state, index, officer, today) -> SelectionQuestionnaire:
    status = {"admitted": "approved", "left": "approved"}.get(state, state)
    submitted = timezone.now() - timedelta(days=10 + index * 3)
    sq = SelectionQuestionnaire.objects.create(
        provider=provider,
        provider_list=qpl,
        reference=f"SQ-DEMO-{index:05d}",
        status="draft",
        created_at=submitted,
    )
    sq.lots.set(qpl.lots.filter(therapy_type__in=provider.therapy_types.all()))
    transition_record(subject=sq, from_state="", to_state="draft", actor=None, reason="Application started")
    if status == "draft":
        return sq
    sq.snapshot = questionnaire_snapshot(sq)
    sq.declarations = dict.fromkeys(DECLARATIONS, True)
    sq.status, sq.submitted_at = status, submitted
    if status in ("approved", "rejected"):
        sq.decided_at, sq.decided_by = submitted + timedelta(days=6), officer
        sq.decision_reason = "" if status == "approved" else "Professional indemnity cover did not meet the minimum."
    if status == "clarification_requested":
        sq.clarification_request = "Please upload the DBS certificate for your second practitioner."
    sq.save()
    transition_record(subject=sq, from_state="draft", to_state="submitted", actor=None)
    if status != "submitted":
        transition_record(subject=sq, from_state="submitted", to_state=status, actor=officer, reason=sq.decision_reason)
    return sq


def _membership(provider, qpl, sq, state, index, officer, today) -> None:
    if state in ("draft",):
        return
    status = {"admitted": "admitted", "left": "left", "rejected": "rejected"}.get(state, "applied")
    admitted_on = date(2021, 9, 1) + timedelta(days=index * 9) if status in ("admitted", "left") else None
    membership = Membership.objects.create(
        provider=provider,
        provider_list=qpl,
        status=status,
        applied_on=(admitted_on or today) - timedelta(days=14),
        admitted_on=admitted_on,
        left_on=today - timedelta(days=20) if status == "left" else None,
    )
    if status in ("admitted", "left"):
        membership.lots.set(sq.lots.all())
        transition_record(subject=membership, from_state="applied", to_state="admitted", actor=officer)
    if status == "left":
        transition_record(
            subject=membership, from_state="admitted", to_state="left", actor=None, reason="Retired from practice"
        )


SCHOOL_NAMES = [
    "Brookfield",
    "Cliffside",
    "Dene Park",
    "Eastwell",
    "Fairlight",
    "Glebe House",
    "Highview",
    "Ivy Lodge",
    "Kingsdown",
    "Leas Court",
    "Marsh Farm",
    "Northdown",
    "Oakwood Grange",
    "Parkside",
    "Quarry Hill",
    "Redcliffe",
    "St Aldhelm's",
    "Tenterden Vale",
    "Upper Deal",
    "Vale View",
    "Westbrook",
    "Yewlands",
    "Ashgrove",
    "Bayview",
    "Chartwell Lees",
    "Downsview",
    "Elmhurst",
    "Foxhill",
    "Greystones",
    "Harbour View",
]


def _seed_schools(base: int, officer, today: date) -> int:
    """About 30 fictional independent and non-maintained special schools, admitted to DPS lots."""
    from core.models import PrimaryNeed

    from .models import OfstedRating, SchoolFeeBand

    dps = ProviderList.objects.get(reference="KCC-DPS-NMISS")
    lots = list(dps.lots.select_related("primary_need"))
    created = 0
    for index, name in enumerate(SCHOOL_NAMES):
        rng = random.Random(base + 1000 + index)
        kind = Provider.Kind.NON_MAINTAINED_SCHOOL if index % 5 == 0 else Provider.Kind.INDEPENDENT_SCHOOL
        school, is_new = Provider.objects.get_or_create(
            legal_name=f"{name} School",
            defaults={"trading_name": f"{name} School", "kind": kind, "status": Provider.Status.ACTIVE},
        )
        if not is_new:
            continue
        created += 1
        chosen = rng.sample(lots, rng.randint(1, 3))
        school.dfe_urn = f"{886000 + index * 13}"
        school.ofsted_rating = rng.choice(
            [OfstedRating.OUTSTANDING, OfstedRating.GOOD, OfstedRating.GOOD, OfstedRating.REQUIRES_IMPROVEMENT]
        )
        school.ofsted_inspected_on = date(2023, 1, 10) + timedelta(days=rng.randint(0, 700))
        school.registered_capacity = rng.choice([40, 60, 80, 110, 150])
        school.age_from, school.age_to = min(lot.age_from for lot in chosen), max(lot.age_to for lot in chosen)
        school.offers_day = any(lot.setting == "day" for lot in chosen)
        school.offers_residential = any(lot.setting == "residential" for lot in chosen)
        school.address_line_1, school.town = f"{name} Road", rng.choice(["Canterbury", "Ashford", "Maidstone", "Deal"])
        school.postcode = f"CT{rng.randint(1, 21)} {rng.randint(1, 9)}XY"
        school.contact_name, school.contact_email = "The Head Teacher", f"office{index}@school.example.org"
        school.contact_phone = f"01632 97{index:04d}"[:13]
        school.employs_staff = True
        school.safeguarding_lead_name, school.safeguarding_lead_email = (
            "Designated Safeguarding Lead",
            school.contact_email,
        )
        school.has_safeguarding_policy = True
        school.save()
        school.needs_catered_for.set(PrimaryNeed.objects.filter(pk__in=[lot.primary_need_id for lot in chosen]))
        for place_type, weeks, base_fee in (("day", 38, 48000), ("residential", 52, 145000)):
            if (place_type == "day" and school.offers_day) or (
                place_type == "residential" and school.offers_residential
            ):
                education = Decimal(base_fee + rng.randint(-6000, 18000))
                SchoolFeeBand.objects.create(
                    provider=school,
                    name=f"Standard {place_type} place",
                    place_type=place_type,
                    weeks=weeks,
                    education=education,
                    care=Decimal(0 if place_type == "day" else rng.randint(40000, 90000)),
                    therapy=Decimal(rng.randint(3000, 15000)),
                    effective_from=date(2025, 4, 1),
                )
        later = today + timedelta(days=rng.randint(150, 500))
        for kind_ in (
            InsurancePolicy.Kind.PUBLIC_LIABILITY,
            InsurancePolicy.Kind.PROFESSIONAL_INDEMNITY,
            InsurancePolicy.Kind.EMPLOYERS_LIABILITY,
        ):
            InsurancePolicy.objects.create(
                provider=school,
                kind=kind_,
                insurer="Example Insurance plc",
                policy_number=f"SCH-{index:03d}-{kind_[:2]}",
                cover_amount=Decimal("10000000"),
                expires_on=later,
            )
            _document(school, None, kind_, later, 500 + index)
        _document(school, None, ComplianceDocument.Kind.SAFEGUARDING_POLICY, None, 500 + index)
        sq = SelectionQuestionnaire.objects.create(
            provider=school,
            provider_list=dps,
            reference=f"SQ-DEMO-{500 + index:05d}",
            status="draft",
            created_at=timezone.now() - timedelta(days=200 + index),
        )
        sq.lots.set(chosen)
        sq.snapshot, sq.declarations = questionnaire_snapshot(sq), dict.fromkeys(DECLARATIONS, True)
        sq.status, sq.submitted_at = "approved", timezone.now() - timedelta(days=190 + index)
        sq.decided_at, sq.decided_by = sq.submitted_at + timedelta(days=7), officer
        sq.save()
        transition_record(subject=sq, from_state="draft", to_state="approved", actor=officer)
        membership = Membership.objects.create(
            provider=school,
            provider_list=dps,
            status="admitted",
            applied_on=date(2022, 4, 1) + timedelta(days=index * 5),
            admitted_on=date(2022, 4, 20) + timedelta(days=index * 5),
        )
        membership.lots.set(chosen)
    return created
