"""Demo contracts from the council's decision papers (24/00008 and 25/00032), plus a few fictional ones."""

from datetime import date
from decimal import Decimal

from core.models import District, TherapyType
from providers.models import Provider

from .models import (
    BudgetElement,
    Contract,
    ContractYear,
    FundedPost,
    FundingContribution,
    PerformanceReturn,
    ProcurementRoute,
)
from .services import contract_alerts_check

EKHUFT = "East Kent Hospitals University NHS Foundation Trust"
KCHFT = "Kent Community Health NHS Foundation Trust"
MEDWAY = "Medway Community Healthcare"
EKHUFT_NOTE = (
    "Decision 24/00008 gives this contract's annual value as £752,905 in its summary and section 2.3.1, and as "
    "£725,905 in section 8.3. £752,905 is used: with KCHFT's £1,526,586 it makes the £2.28M total the paper states."
)


def _supplier(name: str, ods: str, trading: str) -> Provider:
    provider, _ = Provider.objects.get_or_create(
        legal_name=name,
        defaults={
            "trading_name": trading,
            "kind": Provider.Kind.NHS_TRUST,
            "status": Provider.Status.ACTIVE,
            "nhs_ods_code": ods,
            "is_sme": False,
        },
    )
    return provider


def _contract(reference, **fields) -> tuple[Contract, bool]:
    therapies = fields.pop("therapies", [])
    districts = fields.pop("districts", [])
    years = fields.pop("years", {})
    contract, created = Contract.objects.get_or_create(reference=reference, defaults=fields)
    if created:
        contract.therapy_types.set(TherapyType.objects.filter(code__in=therapies))
        contract.districts.set(District.objects.filter(name__in=districts))
        for year, value in years.items():
            ContractYear.objects.create(contract=contract, financial_year=year, value=Decimal(value))
    return contract, created


def seed(*, stdout, rng) -> None:
    ekhuft = _supplier(EKHUFT, "RVV", "EKHUFT")
    kchft = _supplier(KCHFT, "RYY", "KCHFT")
    _supplier(MEDWAY, "", "Medway Community Healthcare")
    routes = {r.code: r for r in ProcurementRoute.objects.all()}
    therapies = ["speech-language", "occupational", "physiotherapy"]
    east = ["Folkestone and Hythe", "Ashford", "Dover"]
    kchft_east = ["Canterbury", "Thanet", "Dartford"]
    kchft_west = ["Gravesham", "Maidstone", "Sevenoaks", "Tonbridge and Malling", "Tunbridge Wells"]
    created = 0
    # 2023-24: agreed retrospectively; delivering without a signed contract all year (decision 24/00008).
    for reference, supplier, title, districts, value, note in (
        (
            "KCC-SEN-THER-EKHUFT-2324",
            ekhuft,
            "SEN therapies: East Kent (2023-24, retrospective)",
            east,
            "752905",
            EKHUFT_NOTE,
        ),
        (
            "KCC-SEN-THER-KCHFT-E-2324",
            kchft,
            "SEN therapies: KCHFT East Kent (2023-24, retrospective)",
            kchft_east,
            "610037",
            "",
        ),
        (
            "KCC-SEN-THER-KCHFT-W-2324",
            kchft,
            "SEN therapies: KCHFT West Kent (2023-24, retrospective)",
            kchft_west,
            "916549",
            "",
        ),
    ):
        _, is_new = _contract(
            reference,
            title=title,
            supplier=supplier,
            kind=Contract.Kind.INTEGRATED_THERAPY,
            procurement_route=routes["pcr-light-touch"],
            key_decision_number="24/00008",
            start_date=date(2023, 4, 1),
            end_date=date(2024, 3, 31),
            status=Contract.Status.EXPIRED,
            signed_on=None,
            joint_commissioners="",
            notes=note,
            therapies=therapies,
            districts=districts,
            years={2023: value},
        )
        created += is_new
    # 1 April 2024 to 31 August 2025: 17 months under PSR direct award C (decision 24/00008).
    for reference, supplier, title, districts, value, note in (
        ("KCC-SEN-THER-EKHUFT-2425", ekhuft, "SEN therapies: East Kent (17 months)", east, "752905", EKHUFT_NOTE),
        ("KCC-SEN-THER-KCHFT-E-2425", kchft, "SEN therapies: KCHFT East Kent (17 months)", kchft_east, "610037", ""),
        ("KCC-SEN-THER-KCHFT-W-2425", kchft, "SEN therapies: KCHFT West Kent (17 months)", kchft_west, "916549", ""),
    ):
        five_months = (Decimal(value) * 5 / 12).quantize(Decimal("0.01"))
        contract, is_new = _contract(
            reference,
            title=title,
            supplier=supplier,
            kind=Contract.Kind.INTEGRATED_THERAPY,
            procurement_route=routes["psr-direct-c"],
            key_decision_number="24/00008",
            start_date=date(2024, 4, 1),
            end_date=date(2025, 8, 31),
            status=Contract.Status.EXPIRED,
            signed_on=date(2024, 6, 14),
            notes=note
            + (
                " Values for 2024-25 stayed at the 2023-24 level; an inflationary "
                "uplift applied from April 2025 (its rate is not in the paper)."
            ),
            therapies=therapies,
            districts=districts,
            years={2024: value, 2025: str(five_months)},
        )
        created += is_new
        if is_new and supplier == ekhuft:
            for therapist, percent, fte in (
                ("Speech and language therapist", "17", "8.14"),
                ("Occupational therapist", "13", "2.56"),
                ("Physiotherapist", "0", "0"),
            ):
                FundedPost.objects.create(
                    contract=contract,
                    therapist_type=therapist,
                    locality="East Kent (Ashford, Folkestone and Dover)",
                    percent_funded=Decimal(percent),
                    fte=Decimal(fte),
                )
        if is_new and reference.endswith("KCHFT-W-2425"):
            for therapist, north, west, east_pct, fte in (
                ("Speech and language therapist", "33", "38", "11", "17.8"),
                ("Occupational therapist", "0", "5", "0", "2.64"),
                ("Physiotherapist", "13", "5", "0", "0.74"),
                ("Generic therapy assistant", "17", "14", "17", None),
            ):
                for locality, percent in (
                    ("North (Dartford, Gravesham and Swanley)", north),
                    ("West (Tunbridge Wells, Tonbridge, Maidstone and Sevenoaks)", west),
                    ("East (Thanet, Canterbury and coastal)", east_pct),
                ):
                    FundedPost.objects.create(
                        contract=contract, therapist_type=therapist, locality=locality, percent_funded=Decimal(percent)
                    )
                if fte:
                    FundedPost.objects.create(
                        contract=contract, therapist_type=therapist, locality="Whole service", fte=Decimal(fte)
                    )
    # KM CAT: a jointly funded service with a pooled budget of about £2.1M.
    kmcat, is_new = _contract(
        "KMCAT-POOLED",
        title="Kent and Medway Communication and Assistive Technology (KM CAT) service",
        supplier=kchft,
        kind=Contract.Kind.POOLED_SERVICE,
        procurement_route=routes["waiver"],
        start_date=date(2023, 4, 1),
        end_date=date(2026, 3, 31),
        status=Contract.Status.ACTIVE,
        signed_on=date(2023, 5, 2),
        funding_source=Contract.FundingSource.POOLED,
        joint_commissioners="NHS England; NHS Kent and Medway; Medway Council",
        therapies=["assistive-technology"],
        districts=[d.name for d in District.objects.all()],
        years={2023: "870000"},
    )
    created += is_new
    if is_new:
        for funder, amount in (
            ("Kent County Council", "870000"),
            ("NHS England", "280000"),
            ("NHS Kent and Medway", "860000"),
            ("Medway Council", "70000"),
        ):
            FundingContribution.objects.create(
                contract=kmcat, funder=funder, financial_year=2023, amount=Decimal(amount)
            )
    # DICE (decision 25/00032): five years from 1 September 2025 with a 24-month extension option.
    dice_provider, _ = Provider.objects.get_or_create(
        legal_name="Fictional Communication Partnership CIC",
        defaults={
            "trading_name": "DICE service provider",
            "kind": Provider.Kind.CHARITY,
            "status": Provider.Status.ACTIVE,
        },
    )
    dice, is_new = _contract(
        "KCC-DICE-2025",
        title="Speech, Language and Communication Needs: Delivering Inclusion within the Curriculum "
        "for Education (DICE)",
        supplier=dice_provider,
        kind=Contract.Kind.INTEGRATED_THERAPY,
        procurement_route=routes["psr-competitive"],
        key_decision_number="25/00032",
        start_date=date(2025, 9, 1),
        end_date=date(2030, 8, 31),
        extension_months_available=24,
        status=Contract.Status.ACTIVE,
        signed_on=date(2025, 8, 20),
        budget_envelope=Decimal("2279491.00"),
        notes="The budget is the current therapy budget funded by KCC (High Needs Block).",
        therapies=["speech-language", "occupational"],
        districts=[d.name for d in District.objects.filter(authority="Kent County Council")],
        years={
            2025: "1330536.42",
            2026: "2279491",
            2027: "2279491",
            2028: "2279491",
            2029: "2279491",
            2030: "948954.58",
        },
    )
    created += is_new
    if is_new:
        BudgetElement.objects.create(
            contract=dice,
            name="Element One: Speech, Language and Communication Needs (DICE)",
            amount=Decimal("1860000"),
        )
        BudgetElement.objects.create(
            contract=dice,
            name="Element Two: Occupational Therapy and Moving and Handling expertise",
            amount=Decimal("415431"),
        )
    # Fictional contracts that show the register's checks.
    hydro, _ = Provider.objects.get_or_create(
        legal_name="Fictional Hydrotherapy Pools Ltd",
        defaults={
            "trading_name": "Fictional Hydrotherapy",
            "kind": Provider.Kind.COMPANY,
            "status": Provider.Status.ACTIVE,
        },
    )
    _, is_new = _contract(
        "KCC-HYDRO-BLOCK",
        title="Hydrotherapy sessions: flexible block",
        supplier=hydro,
        kind=Contract.Kind.BLOCK,
        procurement_route=routes["qpl-call-off"],
        start_date=date(2025, 3, 1),
        end_date=date(2027, 2, 28),
        status=Contract.Status.ACTIVE,
        signed_on=None,
        therapies=["hydrotherapy"],
        districts=["Maidstone", "Swale"],
        years={2024: "4000", 2025: "48000", 2026: "44000"},
    )
    created += is_new
    _, is_new = _contract(
        "KCC-SPOT-OT-OVER",
        title="Occupational therapy: large spot purchase",
        supplier=hydro,
        kind=Contract.Kind.CALL_OFF,
        procurement_route=routes["spot-purchase"],
        start_date=date(2025, 4, 1),
        end_date=date(2028, 3, 31),
        status=Contract.Status.ACTIVE,
        signed_on=date(2025, 4, 1),
        therapies=["occupational"],
        districts=["Swale"],
        years={2025: "410000", 2026: "410000", 2027: "410000"},
    )
    created += is_new
    _returns(ekhuft, kchft)
    outcome = contract_alerts_check()
    stdout.write(f"  Contracts: {created} created; {outcome['raised']} alerts raised.")


def _returns(ekhuft: Provider, kchft: Provider) -> None:
    """The trusts' 2023 speech and language returns and December 2023 caseloads, as the paper gives them."""
    slt = TherapyType.objects.get(code="speech-language")
    e_contract = Contract.objects.get(reference="KCC-SEN-THER-EKHUFT-2324")
    k_contract = Contract.objects.get(reference="KCC-SEN-THER-KCHFT-W-2324")
    if PerformanceReturn.objects.filter(contract__in=[e_contract, k_contract]).exists():
        return
    ekhuft_rows = {5: (83, 539, 407), 7: (55, 259, 148), 9: (67, 98, 40), 11: (177, 70, 16)}
    for month, (referrals, waiting, over) in ekhuft_rows.items():
        PerformanceReturn.objects.create(
            contract=e_contract,
            month=date(2023, month, 1),
            therapy_type=slt,
            locality="East Kent",
            referrals_received=referrals,
            waiting_assessment=waiting,
            waiting_assessment_over_12_weeks=over,
            data_quality_note="Interventions are not counted separately, so waits for intervention are not reported.",
        )
    kchft_rows = {
        5: (268, 358, 27, 3646, 1663),
        7: (230, 368, 22, 2822, 1337),
        9: (113, 235, 35, 2778, 1257),
        11: (179, 269, 8, 2409, 867),
    }
    for month, (referrals, waiting, over, intervention, intervention_over) in kchft_rows.items():
        PerformanceReturn.objects.create(
            contract=k_contract,
            month=date(2023, month, 1),
            therapy_type=slt,
            locality="Whole service",
            referrals_received=referrals,
            waiting_assessment=waiting,
            waiting_assessment_over_12_weeks=over,
            waiting_intervention=intervention,
            waiting_intervention_over_12_weeks=intervention_over,
            data_quality_note="Waiting for intervention includes children already receiving it: read with caution.",
        )
    for contract, locality, caseloads in (
        (e_contract, "East Kent", {"occupational": 387, "speech-language": 783, "physiotherapy": 0}),
        (k_contract, "Whole service", {"occupational": 812, "speech-language": 2237, "physiotherapy": 925}),
    ):
        for code, caseload in caseloads.items():
            therapy = TherapyType.objects.get(code=code)
            PerformanceReturn.objects.get_or_create(
                contract=contract,
                month=date(2023, 12, 1),
                therapy_type=therapy,
                locality=locality,
                defaults={"caseload": caseload},
            )
