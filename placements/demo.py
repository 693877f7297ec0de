"""Demo data for children's therapy: about 400 invented children with EHCP Section F therapy lines, the
waiting list, and placements under every arrangement from September 2018 to today, with rate changes,
personal budgets, reviews, invoices and disputes. Everyone here is invented.

Names are a first name joined to a made-up surname; schools are fictional, with URNs in a range no
real school uses. The figures follow the council's papers:

- Actual spend (approved and paid invoices) on spot purchases is calibrated to the spot-purchased
  spend in decision 24/00008: £1,134,984 in 2019-20, £1,291,166 in 2020-21 and £1,618,487 in
  2021-22, then grows a little until the QPL has prices for every admitted provider (April 2024)
  and call-offs take over. Each demo invoice covers one or two months (three over the summer)
  inside one financial year, and counts in the financial year its period ends in.
- The personal budgets agreed for the 2023-24 school year (September to August) add up to
  £1,427,549, the total the same paper gives for personal budgets for SEND; some are packages for
  children educated other than at school, which fund more than the therapy.
- Until the QPL opened on 1 September 2021 everything was a spot purchase (from a preferred
  provider under the quality framework, or a non-preferred one) or a personal budget (decision
  21/00053). QPL call-offs start once admitted providers have prices in force; the NHS trusts
  deliver a few children's therapy under their 2023-24 and 2024-25 contracts.

The rows are made in bulk (some 4,000 placements and 20,000 invoices) so that the seed stays fast
on SQLite, and nothing is sent to anyone. The rules the services apply are kept by construction:
call-offs only with providers admitted to the QPL with a price in force (`qpl_candidates`,
`price_in_force`), spot purchases only from providers off the QPL that day, invoices inside their
placements and numbered once per provider. Committed costs come from `placement_cost_by_year`, the
services' own arithmetic. Running the seed again changes nothing once the demo children exist.
"""

from __future__ import annotations

import functools
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from contracts.models import Contract
from core.models import District, PrimaryNeed, TherapyType, Transition, User
from core.money import ZERO, round_to_penny
from core.periods import FinancialYear, add_months, month_end
from providers.models import Membership, Provider, ProviderList
from providers.selectors import price_in_force, qpl_candidates

from .models import (
    PSEUDONYM_ALPHABET,
    Child,
    Dispute,
    Invoice,
    PersonalBudget,
    Placement,
    PlacementCommitment,
    PlacementVariation,
    Provision,
    Referral,
    Review,
)
from .services import first_review_due, placement_cost_by_year

REFERENCE_PREFIX = "EHCP-"
CHILDREN = 400
QPL_OPENED = date(2021, 9, 1)
FIRST_TERM = date(2018, 9, 1)
# Decision 24/00008, table 2: spot-purchased therapy spend by financial year (start year: pounds).
SPOT_SPEND = {2019: Decimal("1134984"), 2020: Decimal("1291166"), 2021: Decimal("1618487")}
# Later years: spot spend grows a little on the year before until the QPL has prices for all (2024-25).
LATER_GROWTH = Decimal("1.04")
LAST_COHORT = 2023
# The same paper, 5.6: personal budgets for SEND agreed for September 2023 to August 2024.
PERSONAL_BUDGETS_2023 = Decimal("1427549")
SCHOOL_YEAR_OF_BUDGETS = 2023
NHS_CONTRACTS = {
    # (first day, last day): references by supplier district coverage (contracts.demo)
    (date(2023, 4, 1), date(2024, 3, 31)): (
        "KCC-SEN-THER-EKHUFT-2324",
        "KCC-SEN-THER-KCHFT-E-2324",
        "KCC-SEN-THER-KCHFT-W-2324",
    ),
    (date(2024, 4, 1), date(2025, 8, 31)): (
        "KCC-SEN-THER-EKHUFT-2425",
        "KCC-SEN-THER-KCHFT-E-2425",
        "KCC-SEN-THER-KCHFT-W-2425",
    ),
}
NHS_THERAPIES = {"speech-language", "occupational", "physiotherapy"}
HARBOURSIDE = "Harbourside Therapy Ltd"
# Schools are on the DPS, not the QPL; the NHS trusts deliver only under their contracts.
NOT_THERAPY_PROVIDERS = (
    Provider.Kind.INDEPENDENT_SCHOOL,
    Provider.Kind.NON_MAINTAINED_SCHOOL,
    Provider.Kind.NHS_TRUST,
)

FIRST_NAMES = [
    "Ada", "Aiden", "Alfie", "Amara", "Arlo", "Aria", "Asha", "Ayaan", "Bea", "Bilal", "Callum", "Cleo",
    "Dara", "Darcy", "Eesa", "Eli", "Elsie", "Emre", "Esme", "Ezra", "Faye", "Felix", "Freya", "Gabe",
    "Hana", "Harvey", "Idris", "Imogen", "Isla", "Ivo", "Jago", "Jude", "Juno", "Kai", "Kian", "Lena",
    "Leo", "Lila", "Luca", "Maisie", "Mateo", "Mila", "Milo", "Nia", "Niko", "Noor", "Ola", "Orla",
    "Otis", "Pip", "Priya", "Remy", "Rhea", "Rory", "Rosa", "Ruby", "Sami", "Sienna", "Tate", "Thea",
    "Tobi", "Uma", "Vida", "Wilf", "Yusuf", "Zara", "Zeb", "Zofia",
]  # fmt: skip
SURNAME_STARTS = [
    "Amber", "Birch", "Bracken", "Briar", "Cinder", "Clover", "Copper", "Dapple", "Elder", "Fallow",
    "Fennel", "Flint", "Gorse", "Heather", "Juniper", "Kestrel", "Larch", "Linnet", "Marrow", "Merrow",
    "Moss", "Nettle", "Pepper", "Quill", "Rook", "Sedge", "Sorrel", "Tansy", "Teasel", "Thistle",
    "Wren", "Yarrow",
]  # fmt: skip
SURNAME_ENDS = [
    "by", "combe", "dale", "feather", "field", "ford", "hollow", "hurst", "ley", "mere", "ridge",
    "stead", "thorne", "wick", "wood", "worth",
]  # fmt: skip
SCHOOL_STARTS = [
    "Bramble", "Cobble", "Drizzle", "Fernlow", "Gossam", "Hollin", "Kettle", "Lantern", "Mizzle", "Nutmeg",
    "Pebble", "Quill", "Rushlight", "Tansy", "Umber", "Vetch", "Whimbrel", "Yarrow", "Zephyr", "Oriel",
]  # fmt: skip
SCHOOL_ENDS = ["brook", "mead", "combe", "field", "wold", "stead", "den", "lea"]
SCHOOL_KIND_NAMES = {
    "primary": ["Primary School", "Community Primary School", "Church of England Primary School", "Primary Academy"],
    "secondary": ["Academy", "High School", "School"],
    "special": ["Special School", "School for Communication and Interaction"],
    "college": ["College", "Sixth Form College"],
}
URN_FROM = 970101  # fictional schools' URNs start here

DISTRICT_WEIGHTS = {
    "Ashford": 9,
    "Canterbury": 11,
    "Dartford": 8,
    "Dover": 8,
    "Folkestone and Hythe": 7,
    "Gravesham": 8,
    "Maidstone": 12,
    "Sevenoaks": 8,
    "Swale": 11,
    "Thanet": 10,
    "Tonbridge and Malling": 9,
    "Tunbridge Wells": 8,
}
NEED_WEIGHTS = {
    "SLCN": 26,
    "ASD": 30,
    "SEMH": 12,
    "MLD": 7,
    "SLD": 6,
    "PMLD": 3,
    "PD": 5,
    "SPLD": 4,
    "HI": 2,
    "VI": 1,
    "MSI": 1,
    "OTH": 3,
}
THERAPY_WEIGHTS = {
    "speech-language": 55,
    "occupational": 20,
    "physiotherapy": 6,
    "play": 4,
    "cbt": 4,
    "music": 3,
    "art": 3,
    "drama": 2,
    "hydrotherapy": 3,
}
NEED_LEANS = {
    "SLCN": {"speech-language": 1.6},
    "ASD": {"occupational": 1.3},
    "SEMH": {"cbt": 3, "play": 3, "art": 3, "music": 3, "drama": 3, "speech-language": 0.6},
    "PD": {"physiotherapy": 4, "hydrotherapy": 4, "occupational": 1.5},
    "PMLD": {"physiotherapy": 4, "hydrotherapy": 4, "occupational": 1.5},
    "SLD": {"occupational": 1.4, "hydrotherapy": 2},
}
# Non-preferred (spot) rates ran higher than the preferred providers' (decision 21/00053, 3.7).
SPOT_RATES = {
    "speech-language": (80, 105),
    "occupational": (82, 110),
    "physiotherapy": (72, 96),
    "cbt": (85, 120),
    "play": (62, 85),
    "music": (58, 80),
    "art": (58, 80),
    "drama": (58, 80),
    "hydrotherapy": (60, 85),
}
# How likely a new arrangement was a QPL call-off (when one was possible), by the year it started.
QPL_UPTAKE = {2021: 0.1, 2022: 0.15, 2023: 0.2, 2024: 0.45, 2025: 0.6}
# The uplift a spot provider asked for at renewal: higher in the years of high inflation.
SPOT_UPLIFT = {2022: (0.04, 0.09), 2023: (0.03, 0.07)}
# Hours a week of speech and language therapy in a plan: the earliest cohort had larger packages.
SLT_HOURS = {"1": 20, "1.5": 30, "2": 32, "3": 18}
SLT_HOURS_EARLY = {"1.5": 15, "2": 40, "3": 45}
# Invoice periods: the first month of the block each month falls in (two months or so, inside one financial year).
INVOICE_BLOCKS = {4: 4, 5: 4, 6: 6, 7: 6, 8: 6, 9: 9, 10: 9, 11: 11, 12: 11, 1: 1, 2: 1, 3: 3}
# Term-time delivery: weeks of a 38-week school year in each calendar month (none in August).
TERM_WEEKS = {9: 3.5, 10: 3.5, 11: 4, 12: 3, 1: 3.5, 2: 3, 3: 4, 4: 2.5, 5: 3.5, 6: 4, 7: 3.5, 8: 0}

DESCRIPTIONS = {
    "speech-language": [
        "Direct therapy in school, with a programme for staff to use between sessions.",
        "Individual sessions on understanding and using language, and a visual support plan for the classroom.",
        "Therapy on social communication, in small groups and one to one, with advice to the class team.",
    ],
    "occupational": [
        "Sensory and fine-motor programme, with a sensory diet set up in class.",
        "Sessions on handwriting, dressing and self-care, and advice on seating and equipment.",
    ],
    "physiotherapy": ["Physiotherapy programme for posture and mobility, with staff trained to carry it on."],
    "play": ["Non-directive play therapy in a consistent room at school."],
    "cbt": ["A block of cognitive behavioural therapy sessions for anxiety, reviewed at the end of the block."],
    "music": ["Music therapy sessions to support communication and regulation."],
    "art": ["Art therapy sessions to help express and manage emotions."],
    "drama": ["Drama therapy sessions in a small group, building confidence and social skills."],
    "hydrotherapy": ["Hydrotherapy sessions at a local pool with a physiotherapist."],
}
REVIEW_OUTCOMES = {
    "effective": [
        "Targets met for this period; new targets agreed with the family and school.",
        "Clear progress: the child now uses the strategies in class without prompting.",
        "School staff are confident with the programme; progress is steady.",
    ],
    "partly": [
        "Some targets met; attendance at sessions was patchy, so the plan continues with a timetable change.",
        "Progress is slower than hoped; the therapist will give the class team more support.",
    ],
    "not_effective": [
        "Little change against the targets; the approach will be changed and reviewed again soon.",
    ],
}
DISCREPANCY_OUTCOMES = {
    "approve": "The extra session was agreed with the school in advance: approved as invoiced.",
    "reject": "The session was cancelled by the school and cannot be charged: rejected, corrected invoice requested.",
}
QUALITY_DISPUTES = [
    (
        "quality",
        "The school reports sessions were cut short on several occasions.",
        "Provider has reset the timetable.",
    ),
    ("protocol", "Session times were changed without agreeing them with the school.", "Provider agreed the protocol."),
    ("misunderstanding", "The family understood the therapy would continue over the summer.", "Term dates clarified."),
]
CLOSED_REASONS = {
    "moved": "The family moved out of Kent.",
    "ceased": "The plan ceased.",
    "line": "The therapy was removed from the plan at its annual review.",
}
TWO = Decimal("0.01")
QUARTER = Decimal("0.25")


# The plan, built in memory before anything is saved ----------------------------------------------


@dataclass
class ChildPlan:
    first_name: str
    last_name: str
    date_of_birth: date
    reference: str
    district: District
    need: PrimaryNeed
    school: tuple[str, str]
    entry: date
    exit: date | None = None
    exit_kind: str = ""
    pseudonym: str = ""
    budget_from: date | None = None
    eotas: bool = False
    lines: list[LinePlan] = field(default_factory=list)
    obj: Child | None = None

    @property
    def status(self) -> str:
        if self.exit is None:
            return Child.Status.ACTIVE
        return Child.Status.MOVED if self.exit_kind == "moved" else Child.Status.CEASED


@dataclass
class LinePlan:
    child: ChildPlan
    therapy: TherapyType
    amount: Decimal
    unit: str
    frequency: str
    weeks: int
    units_per_week: Decimal
    start: date
    end: date | None
    source: str
    description: str
    nhs: bool = False
    review_date: date | None = None
    referrals: list[ReferralPlan] = field(default_factory=list)
    placements: list[PlacementPlan] = field(default_factory=list)
    obj: Provision | None = None


@dataclass
class ReferralPlan:
    line: LinePlan
    referred_on: date
    assessed_on: date | None = None
    stage: str = Referral.Stage.AWAITING_ASSESSMENT
    ended_on: date | None = None
    closed_reason: str = ""
    obj: Referral | None = None


@dataclass
class PlacementPlan:
    line: LinePlan
    referral: ReferralPlan | None
    arrangement: str
    start: date
    end: date
    provider: Provider | None = None
    membership: Membership | None = None
    contract: Contract | None = None
    base_rate: Decimal | None = None
    rate: Decimal | None = None
    units_per_week: Decimal = Decimal("1")
    spot_reason: str = ""
    spot_detail: str = ""
    status: str = Placement.Status.ACTIVE
    end_reason: str = ""
    cancel_reason: str = ""
    variations: list[list] = field(default_factory=list)  # [effective_from, base rate, final rate, reason, ref]
    budget: dict | None = None
    reviews: list[dict] = field(default_factory=list)
    review_due: date | None = None
    factor: float = 1.0
    invoices: list[InvoicePlan] = field(default_factory=list)
    arranged_on: date | None = None
    obj: Placement | None = None

    def base_rate_on(self, day: date) -> Decimal:
        rate = self.base_rate
        for effective_from, base, *_ in self.variations:
            if effective_from <= day:
                rate = base
        return rate

    def rate_on(self, day: date) -> Decimal:
        rate = self.rate
        for effective_from, _, final, *_ in self.variations:
            if effective_from <= day:
                rate = final
        return rate


@dataclass
class InvoicePlan:
    placement: PlacementPlan
    period_start: date
    period_end: date
    units: Decimal
    extra: Decimal = ZERO  # units charged beyond those delivered: a discrepancy
    amount: Decimal = ZERO
    status: str = Invoice.Status.PAID
    submitted_on: date | None = None
    decided_on: date | None = None
    paid_on: date | None = None
    note: str = ""
    decision_note: str = ""
    dispute: dict | None = None
    number: str = ""
    obj: Invoice | None = None


# Helpers -----------------------------------------------------------------------------------------


def _cohort(placement: PlacementPlan) -> int:
    """The financial year whose scale a spot purchase's rate takes (see `_Demo.calibrate`)."""
    return min(max(FinancialYear.of(placement.start).start_year, min(SPOT_SPEND)), LAST_COHORT)


def _school_year_end(day: date) -> date:
    """31 August at the end of the school year `day` falls in."""
    return date(day.year if day.month < 9 else day.year + 1, 8, 31)


@functools.cache
def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _pounds(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def _to_step(value: Decimal, step: Decimal) -> Decimal:
    return (Decimal(value) / step).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * step


class _Market:
    """Who could deliver what, when: QPL membership and prices, read once from the providers app."""

    def __init__(self):
        providers = (
            Provider.objects.exclude(kind__in=NOT_THERAPY_PROVIDERS)
            .exclude(status=Provider.Status.CLOSED)
            .prefetch_related("therapy_types", "districts")
        )
        self.providers = {p.pk: p for p in providers}
        self.offers = defaultdict(list)
        self.covers = {p.pk: {d.pk for d in p.districts.all()} for p in providers}
        for provider in providers:
            for therapy in provider.therapy_types.all():
                self.offers[therapy.code].append(provider)
            if not provider.therapy_types.all() and "Hydrotherapy" in provider.legal_name:
                self.offers["hydrotherapy"].append(provider)  # the pools company (contracts.demo) sells sessions
        self.periods = defaultdict(list)  # provider -> [(first day, last day or None)] on the QPL
        self.admitted = {}  # provider -> the membership its call-offs are made under (then, if it has since gone)
        for membership in Membership.objects.filter(provider_list__kind=ProviderList.Kind.QPL).exclude(
            admitted_on__isnull=True
        ):
            last = membership.left_on
            if membership.status == Membership.Status.SUSPENDED and membership.suspended_on:
                last = membership.suspended_on - timedelta(days=1)
            if membership.status in (Membership.Status.ADMITTED, Membership.Status.LEFT, Membership.Status.SUSPENDED):
                self.periods[membership.provider_id].append((membership.admitted_on, last))
                self.admitted[membership.provider_id] = membership
        self._candidates = {}
        self._prices = {}

    def on_qpl(self, provider: Provider, day: date) -> bool:
        """On the QPL that day, as it was then (a provider who has since left or been suspended counts)."""
        return any(first <= day and (last is None or day <= last) for first, last in self.periods[provider.pk])

    def candidates(self, therapy: TherapyType, district: District, day: date, unit: str) -> list[tuple]:
        """qpl_candidates with a price for the therapy and unit, as (provider, rate), most suitable first."""
        key = (therapy.pk, district.pk, day, unit)
        if key not in self._candidates:
            rows = qpl_candidates(therapy_type=therapy, district=district, on=day, unit=unit)
            self._candidates[key] = [(self.providers[p.pk], p.rate) for p in rows if p.rate is not None]
        return self._candidates[key]

    def price(self, provider: Provider, therapy: TherapyType, unit: str, day: date) -> Decimal | None:
        key = (provider.pk, therapy.pk, unit, day)
        if key not in self._prices:
            self._prices[key] = price_in_force(provider=provider, therapy_type=therapy, unit=unit, on=day)
        return self._prices[key]

    def call_off_anywhere(self, therapy: TherapyType, day: date, unit: str) -> list[tuple]:
        """Admitted providers pricing the therapy, wherever they work (a call-off may travel)."""
        found = []
        for provider in self.offers[therapy.code]:
            if self.on_qpl(provider, day):
                rate = self.price(provider, therapy, unit, day)
                if rate is not None:
                    found.append((provider, rate))
        return found

    def off_qpl(self, therapy: TherapyType, district: District, day: date) -> list[Provider]:
        """Providers offering the therapy who were not on the QPL that day, those covering the district first."""
        found = [p for p in self.offers[therapy.code] if not self.on_qpl(p, day)]
        local = [p for p in found if district.pk in self.covers[p.pk]]
        return local or found


# The seed ----------------------------------------------------------------------------------------


def seed(*, stdout, rng) -> None:
    """Create the demo children and everything about them, once: nothing happens if they are already there.

    Runs after the providers and contracts demos (their providers, QPL memberships, prices and NHS
    contracts are used) and prints one summary line. The same rng gives the same data.
    """
    if Child.objects.filter(ehcp_reference__startswith=REFERENCE_PREFIX).exists():
        stdout.write("  Children: demo children already present; nothing created.")
        return
    rng = random.Random((rng or random.Random(2026)).randint(0, 10**6))  # one stream for this app
    today = timezone.localdate()
    officer = User.objects.filter(email="officer@example.org").first()
    if officer is None:
        from core.demo import demo_user
        from core.roles import Role

        officer = demo_user(email="officer@example.org", role=Role.OFFICER, first_name="Olu", last_name="Officer")
    harbourside = Provider.objects.filter(legal_name=HARBOURSIDE).first()
    harbourside_user = User.objects.filter(provider=harbourside).first() if harbourside else None
    demo = _Demo(rng=rng, today=today, harbourside=harbourside)
    demo.plan()
    demo.invoice()
    demo.calibrate()
    counts = demo.save(officer=officer, harbourside_user=harbourside_user)
    spend = ", ".join(f"{FinancialYear(y).label} £{amount:,.0f}" for y, amount in sorted(demo.spot_actual().items()))
    by_arrangement = ", ".join(
        f"{Placement.Arrangement(a).label} {n}" for a, n in sorted(counts["arrangements"].items())
    )
    stdout.write(
        f"  Children: {counts['children']} created; {counts['placements']} placements ({by_arrangement}); "
        f"{counts['invoices']} invoices. Actual spot-purchase spend: {spend}."
    )
    from . import demo_nmiss

    demo_nmiss.seed(stdout=stdout, rng=random.Random(rng.randint(0, 10**6)), officer=officer)


class _Demo:
    """The demo, planned in memory (`plan`, `invoice`, `calibrate`), then written in bulk (`save`)."""

    def __init__(self, *, rng: random.Random, today: date, harbourside: Provider | None):
        self.rng = rng
        self.today = today
        self.harbourside = harbourside
        self.market = _Market()
        self.therapies = {t.code: t for t in TherapyType.objects.all()}
        self.districts = {d.name: d for d in District.objects.filter(authority="Kent County Council")}
        self.needs = {n.code: n for n in PrimaryNeed.objects.all()}
        self.contracts = {
            c.reference: c
            for c in Contract.objects.filter(reference__in=[r for refs in NHS_CONTRACTS.values() for r in refs])
            .select_related("supplier")
            .prefetch_related("districts")
        }
        self.nhs_districts = {d.pk for c in self.contracts.values() for d in c.districts.all()}
        self.children: list[ChildPlan] = []
        self.schools = self._schools()
        self.avoid: Provider | None = None  # the provider of a cancelled placement is not asked again

    # Children and their plans ----------------------------------------------------------------

    def _schools(self) -> dict:
        """A few fictional schools in each district, by phase: {(district, phase): [(name, urn)]}."""
        rng = random.Random(self.rng.randint(0, 10**6))
        names = [f"{a}{b}" for a in SCHOOL_STARTS for b in SCHOOL_ENDS]
        rng.shuffle(names)
        schools, urn = defaultdict(list), URN_FROM
        for district in sorted(self.districts):
            for phase, count in (("primary", 4), ("secondary", 2), ("special", 1), ("college", 1)):
                for _ in range(count):
                    kind = rng.choice(SCHOOL_KIND_NAMES[phase])
                    schools[(district, phase)].append((f"{names.pop()} {kind}", str(urn)))
                    urn += 1
        return schools

    def plan(self) -> None:
        rng = self.rng
        names = rng.sample([(f, a + b) for f in FIRST_NAMES for a in SURNAME_STARTS for b in SURNAME_ENDS], CHILDREN)
        numbers = rng.sample(range(100, 99999), CHILDREN)
        pseudonyms = set(Child.objects.values_list("pseudonym", flat=True))
        entries = sorted(self._entry_date() for _ in range(CHILDREN))
        for entry, name, number in zip(entries, names, numbers, strict=True):
            child = self._child(entry, name, number)
            while True:
                pseudonym = "C-" + "".join(rng.choice(PSEUDONYM_ALPHABET) for _ in range(8))
                if pseudonym not in pseudonyms:
                    pseudonyms.add(pseudonym)
                    child.pseudonym = pseudonym
                    break
            self.children.append(child)
            for line in child.lines:
                self._plan_line(line)

    def _entry_date(self) -> date:
        """When the child's first therapy line starts: a cohort growing fast to 2021, then fewer new plans
        a year. Lines from before September 2018 were already being delivered when the records begin."""
        weights = {2016: 35, 2017: 45, 2018: 50, 2019: 25, 2020: 30, 2021: 70, 2022: 50, 2023: 38, 2024: 32}
        years = list(range(2016, self.today.year + 1))
        year = self.rng.choices(years, weights=[weights.get(y, 28) for y in years])[0]
        first = date(year, 1, 1)
        last = min(date(year, 12, 31), self.today - timedelta(days=21))
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def _child(self, entry: date, name: tuple[str, str], number: int) -> ChildPlan:
        rng, today = self.rng, self.today
        years_in = (today - entry).days / 365.25
        while True:
            age_at_entry = rng.uniform(4, min(13.5, 18.9 - years_in))
            dob = entry - timedelta(days=int(age_at_entry * 365.25))
            age_today = (today - dob).days / 365.25
            if 4 <= age_today < 19 and (entry - dob).days >= 4 * 365:
                break
        district = self.districts[_weighted(rng, DISTRICT_WEIGHTS)]
        need = self.needs[_weighted(rng, NEED_WEIGHTS)]
        issued = entry - timedelta(days=rng.randint(0, 300))
        child = ChildPlan(
            first_name=name[0],
            last_name=name[1],
            date_of_birth=dob,
            reference=f"{REFERENCE_PREFIX}{issued.year}-{number:05d}",
            district=district,
            need=need,
            school=("", ""),
            entry=entry,
        )
        if rng.random() < 0.2:  # the family holds a personal budget, from the start or from a later school year
            child.budget_from = (
                entry if rng.random() < 0.6 else date(rng.choice([2020, 2021, 2022, 2023, 2024, 2025]), 9, 1)
            )
            child.budget_from = max(child.budget_from, entry)
            child.eotas = rng.random() < 0.45
        child.school = self._school_for(child, int(age_today))
        if rng.random() < 0.07 and (today - entry).days > 400:
            child.exit = entry + timedelta(days=rng.randint(380, (today - entry).days - 14))
            child.exit_kind = "moved" if rng.random() < 0.45 else "ceased"
        self._lines(child)
        return child

    def _school_for(self, child: ChildPlan, age: int) -> tuple[str, str]:
        if child.eotas:
            return ("", "")  # educated other than at school
        if child.need.code in ("SLD", "PMLD", "MSI") or (child.need.code == "ASD" and self.rng.random() < 0.3):
            phase = "special"
        else:
            phase = "primary" if age <= 10 else "secondary" if age <= 15 else "college"
        return self.rng.choice(self.schools[(child.district.name, phase)])

    def _lines(self, child: ChildPlan) -> None:
        """One to three Section F lines: the first when the child enters, others added at annual reviews."""
        rng, today = self.rng, self.today
        early = child.entry < date(2020, 1, 1)
        count = rng.choices([1, 2, 3], weights=[10, 50, 40] if early else [30, 45, 25])[0]
        starts = [child.entry]
        for _ in range(count - 1):
            later = child.entry + timedelta(days=rng.choice([0, 0, 0, 365, 365, 730]) + rng.randint(0, 60))
            starts.append(min(later, today - timedelta(days=7)))
        if child.exit is None and (today - child.entry).days > 500 and rng.random() < 0.16:
            starts.append(today - timedelta(days=rng.randint(14, 460)))  # added recently: feeds the waiting list
        later = max(child.entry + timedelta(days=365), date(2021, 9, 1))
        if rng.random() < 0.35 and later < today - timedelta(days=30):
            # Families on an NHS waiting list asked for therapy in Section F (decision 24/00008, 5.5).
            starts.append(later + timedelta(days=rng.randint(0, (today - later).days - 30)))
        held: set[str] = set()
        for start in sorted(starts)[:3]:
            if child.exit and start >= child.exit:
                continue
            therapy = self._therapy_for(child, held)
            held.add(therapy.code)
            child.lines.append(self._line(child, therapy, start))

    def _therapy_for(self, child: ChildPlan, held: set[str]) -> TherapyType:
        weights = {
            code: weight * NEED_LEANS.get(child.need.code, {}).get(code, 1)
            for code, weight in THERAPY_WEIGHTS.items()
            if code not in held
        }
        return self.therapies[_weighted(self.rng, weights)]

    def _line(self, child: ChildPlan, therapy: TherapyType, start: date) -> LinePlan:
        rng = self.rng
        heavy = child.entry < date(2020, 1, 1)  # the earliest cohort had larger packages
        unit, frequency, weeks = Provision.Unit.HOUR, Provision.Frequency.WEEK, 38
        code = therapy.code
        if code == "speech-language":
            amount = Decimal(_weighted(rng, SLT_HOURS_EARLY if heavy else SLT_HOURS))
        elif code == "occupational":
            if rng.random() < 0.15:
                amount, frequency, weeks = Decimal("6"), Provision.Frequency.HALF_TERM, 36
            else:
                amount = Decimal(_weighted(rng, {"1": 25, "1.5": 35, "2": 40 + 20 * heavy}))
        elif code == "physiotherapy":
            amount = Decimal(_weighted(rng, {"1": 50, "1.5": 35, "2": 15}))
        elif code == "cbt":  # a block of hours in the year
            frequency = Provision.Frequency.YEAR
            amount = Decimal(rng.choice([18, 24, 30]))
            weeks = int(amount)
        elif code == "hydrotherapy":  # pools sell sessions, which no QPL price list covers
            unit, amount, weeks = Provision.Unit.SESSION, Decimal(1), rng.choice([30, 38])
        else:  # play, music, art, drama
            amount, weeks = Decimal(rng.choice(["1", "1", "1.5"])), rng.choice([30, 38])
        if frequency == Provision.Frequency.WEEK:
            per_week = amount
        elif frequency == Provision.Frequency.HALF_TERM:
            per_week = amount * 6 / weeks
        else:
            per_week = amount / weeks
        line = LinePlan(
            child=child,
            therapy=therapy,
            amount=amount,
            unit=unit,
            frequency=frequency,
            weeks=weeks,
            units_per_week=per_week.quantize(TWO),
            start=start,
            end=child.exit,
            source=Provision.Source.TRIBUNAL if rng.random() < 0.08 else Provision.Source.PLAN,
            description=rng.choice(DESCRIPTIONS[code]),
        )
        this_year = date(_school_year_end(self.today).year - 1, 9, 1)
        review = (
            start.replace(year=this_year.year) if (start.month, start.day) != (2, 29) else date(this_year.year, 3, 1)
        )
        line.review_date = review if review >= this_year else add_months(review, 12)
        if line.review_date <= start:
            line.review_date = add_months(start, 12)
        line.nhs = code in NHS_THERAPIES and child.district.pk in self.nhs_districts and rng.random() < 0.035
        return line

    # The journey of one line: referral, wait, placements year by year ------------------------

    def _wait_weeks(self, line: LinePlan) -> int:
        rng = self.rng
        if line.therapy.code == "occupational":  # the scarcest therapy (decision 21/00053, 4.9)
            bands = [(40, 3, 12), (32, 12, 26), (20, 26, 52), (8, 52, 75)]
        else:
            bands = [(60, 2, 10), (22, 10, 18), (13, 18, 40), (5, 52, 70)]
        _, low, high = rng.choices(bands, weights=[b[0] for b in bands])[0]
        return rng.randint(low, high)

    def _plan_line(self, line: LinePlan) -> None:
        rng, today = self.rng, self.today
        referral = self._refer(line, line.start + timedelta(days=rng.randint(0, 10)))
        wait = self._wait_weeks(line)
        previous = self._sibling(line, referral.referred_on)
        if previous is not None:
            wait = rng.randint(2, 6)  # the child's therapist for another line takes this one on too
        elif line.start > self.today - timedelta(days=700) and rng.random() < 0.3:
            wait = rng.randint(53, 90)  # no one can take the child: over a year on the waiting list
        while referral is not None:
            start = referral.referred_on + timedelta(weeks=wait, days=rng.randint(0, 4))
            if start.month == 8:
                start = date(start.year, 9, 1)
            placed_on = start
            start = max(start, FIRST_TERM)  # therapy already running when the records begin
            if line.end and start > line.end:
                self._close(referral, line.end, line)
                return
            if start > today:
                self._still_waiting(referral, line, start)
                return
            if rng.random() < 0.025:  # arranged, then cancelled before it began; another provider follows
                cancelled = self._arrange(line, referral, start, previous)
                cancelled.status = Placement.Status.CANCELLED
                cancelled.cancel_reason = "The provider could not start on the agreed date."
                line.placements.append(cancelled)
                self.avoid = cancelled.provider
                wait += rng.randint(3, 10)
                continue
            referral.stage, referral.ended_on = Referral.Stage.PLACED, placed_on
            referral.assessed_on = referral.assessed_on or min(placed_on, referral.referred_on + timedelta(weeks=3))
            placement = self._arrange(line, referral, start, previous)
            self.avoid = None
            referral = None
            while placement is not None:
                line.placements.append(placement)
                follow = self._run(line, placement)
                previous = placement
                if follow == "re-refer":
                    referral = self._refer(line, placement.end + timedelta(days=1))
                    wait = rng.randint(4, 22)
                    break
                next_start = placement.end + timedelta(days=1)
                if follow == "stop" or next_start > today or (line.end and next_start > line.end):
                    break
                placement = self._arrange(line, None, next_start, previous)

    def _sibling(self, line: LinePlan, on: date) -> PlacementPlan | None:
        """A live placement for another of the child's lines whose provider also offers this therapy."""
        for other in line.child.lines:
            for placement in other.placements:
                provider = placement.provider
                if (
                    other is not line
                    and placement.start <= on <= placement.end
                    and placement.status in (Placement.Status.ACTIVE, Placement.Status.ENDED)
                    and provider is not None
                    and placement.arrangement != Placement.Arrangement.NHS_CONTRACT
                    and provider in self.market.offers[line.therapy.code]
                ):
                    return placement
        return None

    def _refer(self, line: LinePlan, on: date) -> ReferralPlan:
        referral = ReferralPlan(line=line, referred_on=min(on, self.today))
        line.referrals.append(referral)
        return referral

    def _close(self, referral: ReferralPlan, on: date, line: LinePlan) -> None:
        referral.stage, referral.ended_on = Referral.Stage.CLOSED, max(on, referral.referred_on)
        referral.closed_reason = CLOSED_REASONS[line.child.exit_kind or "line"]

    def _still_waiting(self, referral: ReferralPlan, line: LinePlan, start: date) -> None:
        waited = (self.today - referral.referred_on).days // 7
        if waited >= 4:
            referral.stage = Referral.Stage.AWAITING_INTERVENTION
            referral.assessed_on = referral.referred_on + timedelta(weeks=min(waited, self.rng.randint(3, 8)))
        if start <= self.today + timedelta(weeks=6) and self.rng.random() < 0.6:
            proposed = self._arrange(line, referral, start, None)
            proposed.status = Placement.Status.PROPOSED
            line.placements.append(proposed)

    def _run(self, line: LinePlan, placement: PlacementPlan) -> str:
        """Settle how the placement went: status, an early end, reviews, delivery. Returns what follows."""
        rng, today = self.rng, self.today
        follow = "renew"
        placement.factor = rng.uniform(0.95, 1.0)
        if rng.random() < (0.05 if placement.arrangement == Placement.Arrangement.SPOT_PURCHASE else 0.03):
            placement.factor = rng.uniform(0.4, 0.72)  # the child missed much of what was bought
        if rng.random() < 0.015 and line.unit == Provision.Unit.HOUR and placement.units_per_week >= 1:
            placement.units_per_week = _to_step(placement.units_per_week / 2, QUARTER)  # all the provider could offer
        natural_end = placement.end
        if line.end and line.end <= natural_end:  # the child moved or the plan ceased
            placement.end = line.end
            placement.end_reason = (
                Placement.EndReason.MOVED if line.child.exit_kind == "moved" else Placement.EndReason.PLAN_CHANGED
            )
            follow = "stop"
        elif placement.arrangement != Placement.Arrangement.NHS_CONTRACT:
            roll = rng.random()
            early = placement.start + timedelta(
                days=rng.randint(40, max(41, (placement.end - placement.start).days - 20))
            )
            inside = early < today and early < placement.end
            if roll < 0.035 and placement.provider is not None and inside:
                placement.end, placement.end_reason, follow = early, Placement.EndReason.PROVIDER_WITHDREW, "re-refer"
            elif roll < 0.05 and inside:
                placement.end, placement.end_reason, follow = early, Placement.EndReason.FAMILY_WITHDREW, "stop"
            elif roll < 0.09 and natural_end < today and placement.start < natural_end - timedelta(days=200):
                placement.end_reason, follow = Placement.EndReason.OUTCOMES_MET, "stop"
        self._reviews(placement)
        placement.variations = [v for v in placement.variations if v[0] <= placement.end]
        if placement.end_reason == Placement.EndReason.REVIEW_STOPPED:
            follow = "stop"
        if placement.end < today:
            placement.status = Placement.Status.ENDED
            placement.end_reason = placement.end_reason or Placement.EndReason.COMPLETED
        else:
            placement.status = Placement.Status.ACTIVE
            placement.end_reason = ""
        if follow == "stop" and placement.status == Placement.Status.ENDED:
            line.end = placement.end
        return follow

    def _reviews(self, placement: PlacementPlan) -> None:
        """Reviews every six months or so from the first due date; a few stop the placement, some are late."""
        rng, today = self.rng, self.today
        provision = Provision(review_date=placement.line.review_date)
        due = first_review_due(provision, placement.start, placement.end)
        placement.review_due = due
        if placement.arrangement == Placement.Arrangement.PERSONAL_BUDGET:
            due = placement.budget["review_on"]
            placement.review_due = due
        while due <= min(today, placement.end) and due > placement.start:
            held = due + timedelta(days=rng.randint(-7, 14))
            if held > today or held <= placement.start or held > placement.end:
                break
            if placement.end >= today and rng.random() < 0.3 and due > today - timedelta(days=70):
                break  # not yet held: the review is overdue
            effectiveness = rng.choices(["effective", "partly", "not_effective"], weights=[65, 28, 7])[0]
            stop = effectiveness == "not_effective" and rng.random() < 0.4 and held + timedelta(days=14) < today
            review = {
                "held_on": held,
                "effectiveness": effectiveness,
                "outcomes": rng.choice(REVIEW_OUTCOMES[effectiveness]),
                "decision": Review.Decision.STOP if stop else Review.Decision.CONTINUE,
                "next_review_on": None if stop else add_months(held, 6),
            }
            if not stop and effectiveness == "not_effective":
                review["decision"] = Review.Decision.CHANGE
                review["next_review_on"] = add_months(held, 3)
            placement.reviews.append(review)
            if stop:
                placement.end = min(placement.end, held + timedelta(days=rng.randint(14, 28)))
                placement.end_reason = Placement.EndReason.REVIEW_STOPPED
                placement.review_due = None
                return
            due = review["next_review_on"]
            placement.review_due = due

    # Choosing the arrangement and the provider -----------------------------------------------

    def _arrange(
        self, line: LinePlan, referral: ReferralPlan | None, start: date, previous: PlacementPlan | None
    ) -> PlacementPlan:
        rng = self.rng
        end = _school_year_end(start)
        if line.end:
            end = min(end, line.end)
        end = max(end, start)
        child = line.child
        placement = PlacementPlan(
            line=line,
            referral=referral,
            arrangement="",
            start=start,
            end=end,
            units_per_week=line.units_per_week,
        )
        A = Placement.Arrangement
        if child.budget_from and start >= child.budget_from:
            placement.arrangement = A.PERSONAL_BUDGET
            placement.budget = self._budget(line, start, end, first=line is child.lines[0])
            return placement
        if line.nhs:
            for (first, last), references in NHS_CONTRACTS.items():
                if first <= start <= last:
                    contract = next(
                        (self.contracts[r] for r in references if r in self.contracts and self._covers(r, child)),
                        None,
                    )
                    if contract is not None:
                        placement.arrangement, placement.contract = A.NHS_CONTRACT, contract
                        placement.provider, placement.base_rate = contract.supplier, ZERO
                        placement.end = min(end, last)
                        return placement
        if start >= QPL_OPENED and line.unit == Provision.Unit.HOUR:
            chosen = self._qpl_choice(line, start, previous)
            if chosen is None and not self._spot_possible(line, start, previous):
                anywhere = [
                    c for c in self.market.call_off_anywhere(line.therapy, start, line.unit) if c[0] != self.avoid
                ]
                chosen = rng.choice(anywhere) if anywhere else None
            if chosen:
                provider, rate = chosen
                placement.arrangement, placement.provider = A.QPL_CALL_OFF, provider
                placement.membership = self.market.admitted[provider.pk]
                placement.base_rate = placement.rate = rate
                self._repricing(placement)
                return placement
        self._spot(placement, previous)
        return placement

    def _spot_possible(self, line: LinePlan, start: date, previous: PlacementPlan | None) -> bool:
        """Someone off the QPL offers this therapy (or the child's spot provider is still off it)."""
        spot = previous is not None and previous.arrangement == Placement.Arrangement.SPOT_PURCHASE
        if spot and previous.provider != self.avoid and not self.market.on_qpl(previous.provider, start):
            return True
        return any(p != self.avoid for p in self.market.off_qpl(line.therapy, line.child.district, start))

    def _covers(self, reference: str, child: ChildPlan) -> bool:
        return child.district.pk in {d.pk for d in self.contracts[reference].districts.all()}

    def _qpl_choice(self, line: LinePlan, start: date, previous: PlacementPlan | None) -> tuple | None:
        """A call-off if a QPL provider can take the child; more likely as the QPL matured."""
        rng, market = self.rng, self.market
        known = previous.provider if previous else None
        if known and market.on_qpl(known, start):
            rate = market.price(known, line.therapy, line.unit, start)
            if rate is not None and known != self.avoid and rng.random() < 0.9:
                return known, rate  # the same therapist carries on, now under the QPL
        stays = previous and previous.arrangement == Placement.Arrangement.SPOT_PURCHASE
        if (
            stays
            and not market.on_qpl(previous.provider, start)
            and rng.random() < (0.85 if start.year < 2024 else 0.6)
        ):
            return None  # the family or a tribunal keeps the child with the provider they know
        likelihood = QPL_UPTAKE.get(start.year, 0.75 if start.year > 2025 else 0)
        if rng.random() >= likelihood:
            return None
        candidates = market.candidates(line.therapy, line.child.district, start, line.unit)
        if not candidates:
            candidates = market.call_off_anywhere(line.therapy, start, line.unit) if rng.random() < 0.5 else []
        candidates = [c for c in candidates if c[0] != self.avoid]
        if not candidates:
            return None
        local = [c for c in candidates if self.harbourside and c[0].pk == self.harbourside.pk]
        if local and rng.random() < 0.6:
            return local[0]
        return rng.choices(candidates[:4], weights=[4, 3, 2, 1][: len(candidates[:4])])[0]

    def _repricing(self, placement: PlacementPlan) -> None:
        """Half the call-offs that run over a provider's new pricing version take the new rate from that day."""
        line = placement.line
        april = date(placement.start.year + (placement.start.month >= 4), 4, 1)
        if placement.start < april <= placement.end and self.rng.random() < 0.5:
            new = self.market.price(placement.provider, line.therapy, line.unit, april)
            if new is not None and new != placement.rate:
                placement.variations.append(
                    [april, new, new, "The provider's new pricing schedule took effect.", f"QPL-PRICE-{april:%Y}"]
                )

    def _spot(self, placement: PlacementPlan, previous: PlacementPlan | None) -> None:
        rng, market, line = self.rng, self.market, placement.line
        start = placement.start
        placement.arrangement = Placement.Arrangement.SPOT_PURCHASE
        keep = (
            previous
            and previous.arrangement == Placement.Arrangement.SPOT_PURCHASE
            and previous.provider != self.avoid
            and not market.on_qpl(previous.provider, start)
            and rng.random() < 0.85
        )
        if keep and previous.line is line:
            provider = previous.provider
            uplift = rng.uniform(*SPOT_UPLIFT.get(start.year, (0, 0.04)))
            base = _to_step(previous.base_rate_on(previous.end) * Decimal(str(1 + uplift)), TWO)
        elif keep:
            provider = previous.provider
            low, high = SPOT_RATES[line.therapy.code]
            base = Decimal(rng.randint(low * 2, high * 2)) / 2
        else:
            pool = [p for p in market.off_qpl(line.therapy, line.child.district, start) if p != self.avoid]
            # Organisations that never joined the QPL: often the families' choice (decision 21/00053, 3.5).
            pool += [p for p in pool if not market.periods.get(p.pk)] * 2
            if self._harbourside_fits(line, start) and not market.on_qpl(self.harbourside, start):
                pool = [*pool, self.harbourside, self.harbourside]  # the demo provider user's organisation
            provider = rng.choice(pool) if pool else self._any_off_qpl(start)
            low, high = SPOT_RATES[line.therapy.code]
            base = Decimal(rng.randint(low * 2, high * 2)) / 2
        placement.provider, placement.base_rate = provider, base
        preferred = bool(market.periods.get(provider.pk))  # joined the QPL later: it was a preferred provider
        if line.source == Provision.Source.TRIBUNAL:
            placement.spot_reason = Placement.SpotReason.TRIBUNAL
            placement.spot_detail = "The tribunal's order names this provider."
        elif start < QPL_OPENED:
            placement.spot_reason = Placement.SpotReason.BEFORE_QPL
            placement.spot_detail = (
                "From a preferred provider under the quality framework."
                if preferred
                else "From a non-preferred provider the family chose."
            )
        elif keep or rng.random() < 0.4:
            placement.spot_reason = Placement.SpotReason.PARENTAL_PREFERENCE
            placement.spot_detail = "The family asked to stay with the therapist the child knows."
        else:
            placement.spot_reason = Placement.SpotReason.NO_CAPACITY
            placement.spot_detail = (
                "No QPL provider prices this therapy by the session."
                if line.unit == Provision.Unit.SESSION
                else "No QPL provider could take the child in this district."
            )
        if rng.random() < 0.09:  # an uplift agreed part-way through
            effective = date(start.year + 1, 1, 1) if start.month >= 9 else date(start.year, 4, 1)
            if start < effective <= placement.end:
                new = _to_step(base * Decimal(str(1 + rng.uniform(0.03, 0.05))), Decimal("0.5"))
                placement.variations.append(
                    [effective, new, None, "Annual uplift agreed with the provider.", f"SEN-UPLIFT-{effective:%y%m}"]
                )

    def _harbourside_fits(self, line: LinePlan, start: date) -> bool:
        return (
            self.harbourside is not None
            and line.therapy.code in ("speech-language", "occupational")
            and line.child.district.pk in self.market.covers.get(self.harbourside.pk, set())
        )

    def _any_off_qpl(self, start: date) -> Provider:
        pool = [p for p in self.market.providers.values() if not self.market.on_qpl(p, start)]
        return self.rng.choice(sorted(pool, key=lambda p: p.pk))

    def _budget(self, line: LinePlan, start: date, end: date, *, first: bool) -> dict:
        rng = self.rng
        days = (end - start).days + 1
        yearly = line.units_per_week * line.weeks * Decimal(rng.randint(68, 92))
        if line.child.eotas and first:  # a package for a child educated other than at school
            yearly += Decimal(rng.randint(22000, 40000))
        growth = Decimal("1.05") ** max(0, start.year - 2019)
        amount = max(Decimal("250"), _to_step(yearly * growth * days / 365, Decimal("10")))
        signed = start - timedelta(days=rng.randint(5, 30))
        return {
            "amount": amount,
            "signed_on": signed,
            "review_on": max(signed, min(add_months(start, rng.randint(3, 7)), end)),
            "notes": (
                "Educated other than at school: the package funds the Section F therapy alongside tuition."
                if line.child.eotas and first
                else ""
            ),
        }

    # Invoices, and the calibration to the paper's spend --------------------------------------

    def _invoices(self, placement: PlacementPlan) -> None:
        """Invoices (payments, for a personal budget) every two months or so, for what was delivered.

        The periods follow INVOICE_BLOCKS, so none crosses a financial year; the latest covers what was
        delivered up to the end of last month, so delivery so far this year is never a term behind.
        """
        rng, today = self.rng, self.today
        if placement.status not in (Placement.Status.ACTIVE, Placement.Status.ENDED):
            return
        line = placement.line
        budget = placement.arrangement == Placement.Arrangement.PERSONAL_BUDGET
        step = QUARTER if line.unit == Provision.Unit.HOUR else Decimal(1)
        carried, delivered, periods = Decimal(0), Decimal(0), []
        month = date(placement.start.year, placement.start.month, 1)
        while month <= placement.end and month_end(month) < today:
            first, last = max(month, placement.start), min(month_end(month), placement.end)
            covered = Decimal((last - first).days + 1) / month_end(month).day
            planned = placement.units_per_week * Decimal(str(TERM_WEEKS[month.month])) * covered * line.weeks / 38
            carried += planned * Decimal(str(placement.factor * rng.uniform(0.94, 1.04)))
            units = max(ZERO, _to_step(carried, step) - delivered)
            delivered += units
            block = (month.year, INVOICE_BLOCKS[month.month])
            if periods and periods[-1][0] == block:
                periods[-1][2], periods[-1][3] = last, periods[-1][3] + units
            else:
                periods.append([block, first, last, units])
            month = month_end(month) + timedelta(days=1)
        for _, first, last, units in periods:
            if units or budget:
                placement.invoices.append(
                    InvoicePlan(placement=placement, period_start=first, period_end=last, units=units.quantize(TWO))
                )
        if budget:
            self._budget_payments(placement)
        for invoice in placement.invoices:
            self._invoice_status(invoice)

    def _budget_payments(self, placement: PlacementPlan) -> None:
        """A family's budget is paid in arrears, in shares by days, adding up to the agreed amount."""
        amount, days = placement.budget["amount"], (placement.end - placement.start).days + 1
        paid, so_far = ZERO, 0
        for invoice in placement.invoices:
            so_far += (invoice.period_end - invoice.period_start).days + 1
            invoice.amount = round_to_penny(amount * so_far / days) - paid
            paid += invoice.amount

    def _invoice_status(self, invoice: InvoicePlan) -> None:
        rng, today = self.rng, self.today
        age = (today - invoice.period_end).days
        invoice.submitted_on = min(today, invoice.period_end + timedelta(days=rng.randint(1, 9)))
        invoice.decided_on = min(today, invoice.submitted_on + timedelta(days=rng.randint(2, 12)))
        invoice.paid_on = min(today, invoice.decided_on + timedelta(days=rng.randint(7, 25)))
        placement = invoice.placement
        rated = placement.arrangement in (Placement.Arrangement.SPOT_PURCHASE, Placement.Arrangement.QPL_CALL_OFF)
        if rated and rng.random() < 0.015 and invoice.units > 0:
            invoice.extra = Decimal(1) if placement.line.unit == Provision.Unit.SESSION else Decimal("0.5")
            if age <= 75:
                invoice.status = Invoice.Status.DISPUTED if rng.random() < 0.6 else Invoice.Status.SUBMITTED
                if invoice.status == Invoice.Status.DISPUTED:
                    invoice.dispute = {"category": Dispute.Category.FINANCIAL, "resolved_on": None, "outcome": ""}
                return
            roll = rng.random()
            if roll < 0.4:
                invoice.status = Invoice.Status.PAID
                invoice.decision_note = "The extra time was agreed with the school for a review meeting."
            else:
                decision = "approve" if roll < 0.75 else "reject"
                invoice.status = Invoice.Status.PAID if decision == "approve" else Invoice.Status.REJECTED
                invoice.decision_note = DISCREPANCY_OUTCOMES[decision]
                invoice.dispute = {
                    "category": Dispute.Category.FINANCIAL,
                    "resolved_on": invoice.decided_on + timedelta(days=rng.randint(5, 30)),
                    "outcome": DISCREPANCY_OUTCOMES[decision],
                    "decision": decision,
                }
                if decision == "approve":
                    invoice.paid_on = min(today, invoice.dispute["resolved_on"] + timedelta(days=rng.randint(5, 15)))
            return
        if age <= 31:
            invoice.status = Invoice.Status.SUBMITTED if rng.random() < 0.15 else Invoice.Status.APPROVED
        elif age <= 62:
            invoice.status = Invoice.Status.APPROVED if rng.random() < 0.2 else Invoice.Status.PAID
        else:
            invoice.status = Invoice.Status.PAID

    def _corrected(self, invoice: InvoicePlan) -> InvoicePlan:
        """After a rejected invoice, the provider sends a corrected one for the units delivered."""
        corrected = InvoicePlan(
            placement=invoice.placement,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            units=invoice.units,
            status=Invoice.Status.PAID,
        )
        corrected.submitted_on = min(self.today, invoice.dispute["resolved_on"] + timedelta(days=3))
        corrected.decided_on = min(self.today, corrected.submitted_on + timedelta(days=4))
        corrected.paid_on = min(self.today, corrected.decided_on + timedelta(days=10))
        corrected.note = "corrected"
        return corrected

    def invoice(self) -> None:
        """Invoices for every placement that ran; a rejected one is followed by a corrected one."""
        for placement in self.placements():
            self._invoices(placement)
            rejected = [i for i in placement.invoices if i.status == Invoice.Status.REJECTED]
            for invoice in rejected:
                placement.invoices.insert(placement.invoices.index(invoice) + 1, self._corrected(invoice))
        self._harbourside_dispute()

    def _harbourside_dispute(self) -> None:
        """Make sure the demo provider user has an invoice in dispute to look at."""
        ours = [
            i
            for p in self.placements()
            if self.harbourside
            and p.provider == self.harbourside
            and p.arrangement != Placement.Arrangement.NHS_CONTRACT
            for i in p.invoices
        ]
        if any(i.dispute and not i.dispute["resolved_on"] for i in ours):
            return
        recent = [i for i in ours if i.status in (Invoice.Status.APPROVED, Invoice.Status.SUBMITTED) and i.units]
        if recent:
            invoice = max(recent, key=lambda i: (i.period_end, i.placement.start))
            invoice.extra = Decimal("0.5") if invoice.placement.line.unit == Provision.Unit.HOUR else Decimal(1)
            invoice.status, invoice.decision_note = Invoice.Status.DISPUTED, ""
            invoice.dispute = {"category": Dispute.Category.FINANCIAL, "resolved_on": None, "outcome": ""}

    def placements(self):
        for child in self.children:
            for line in child.lines:
                yield from line.placements

    def calibrate(self) -> None:
        """Scale spot-purchase rates by the financial year they were agreed in, so that the actual spend of
        2019-20 to 2021-22 is the paper's; 2022-23 and 2023-24 aim at modest growth on it (without moving
        any year's rates by more than a few per cent on the year before), and later years keep 2023-24's."""
        A = Placement.Arrangement
        self._budgets_to_the_paper()
        base: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for placement in self.placements():
            if placement.arrangement != A.SPOT_PURCHASE:
                continue
            cohort = _cohort(placement)
            for invoice in placement.invoices:
                if invoice.status in Invoice.ACTUAL:
                    year = FinancialYear.of(invoice.period_end).start_year
                    base[cohort][year] += (invoice.units + invoice.extra) * placement.base_rate_on(invoice.period_start)
        scale, target = {}, Decimal(0)
        for year in range(min(SPOT_SPEND), LAST_COHORT + 1):
            known = sum((scale[c] * base[c][year] for c in scale), Decimal(0))
            target = SPOT_SPEND.get(year, target * LATER_GROWTH)
            scale[year] = (target - known) / base[year][year] if base[year][year] else scale[year - 1]
            if year not in SPOT_SPEND:
                scale[year] = min(
                    max(scale[year], scale[year - 1] * Decimal("0.96")), scale[year - 1] * Decimal("1.06")
                )
        for placement in self.placements():
            if placement.arrangement == A.SPOT_PURCHASE:
                factor = scale[_cohort(placement)]
                placement.rate = _pounds(placement.base_rate * factor)
                for variation in placement.variations:
                    variation[2] = _pounds(variation[1] * factor)
            elif placement.arrangement != A.PERSONAL_BUDGET:
                placement.rate = placement.base_rate
            if placement.arrangement != A.PERSONAL_BUDGET:
                for invoice in placement.invoices:
                    invoice.amount = round_to_penny(
                        (invoice.units + invoice.extra) * placement.rate_on(invoice.period_start)
                    )

    def _budgets_to_the_paper(self) -> None:
        """Scale every personal budget by one factor, so that those agreed for the 2023-24 school year add up
        to the paper's total, to the pound (the largest of them takes the rounding)."""
        budgets = [p for p in self.placements() if p.arrangement == Placement.Arrangement.PERSONAL_BUDGET]
        chosen = [
            p
            for p in budgets
            if p.status != Placement.Status.CANCELLED and _school_year_end(p.start).year == SCHOOL_YEAR_OF_BUDGETS + 1
        ]
        if not chosen:
            return
        factor = PERSONAL_BUDGETS_2023 / sum((p.budget["amount"] for p in chosen), Decimal(0))
        for p in budgets:
            p.budget["amount"] = max(Decimal(1), _pounds(p.budget["amount"] * factor))
        largest = max(chosen, key=lambda p: p.budget["amount"])
        largest.budget["amount"] += PERSONAL_BUDGETS_2023 - sum((p.budget["amount"] for p in chosen), Decimal(0))
        for p in budgets:
            self._budget_payments(p)

    def spot_actual(self) -> dict[int, Decimal]:
        totals: dict[int, Decimal] = defaultdict(Decimal)
        for placement in self.placements():
            if placement.arrangement == Placement.Arrangement.SPOT_PURCHASE:
                for invoice in placement.invoices:
                    if invoice.status in Invoice.ACTUAL:
                        totals[FinancialYear.of(invoice.period_end).start_year] += invoice.amount
        return dict(totals)

    # Saving ----------------------------------------------------------------------------------

    def save(self, *, officer: User, harbourside_user: User | None) -> dict:
        """Write the plan in bulk, parents first, with each state change in the audit trail's shape."""
        self.officer, self.harbourside_user, self.now = officer, harbourside_user, timezone.now()
        self.transitions: list[Transition] = []
        self.types = {
            m: ContentType.objects.get_for_model(m).pk for m in (Child, Referral, Placement, Invoice, Dispute)
        }
        self._save_children()
        self._save_lines()
        placements = list(self.placements())
        self._save_placements(placements)
        invoices = self._save_invoices(placements)
        disputes = self._save_disputes(placements)
        Transition.objects.bulk_create(self.transitions, batch_size=2000)
        return {
            "children": len(self.children),
            "placements": len(placements),
            "arrangements": Counter(p.arrangement for p in placements),
            "invoices": invoices,
            "disputes": disputes,
        }

    def _moved(self, subject, model, on: date, from_state: str, to_state: str, reason="", field="status", actor=None):
        """A core.Transition row, as `transition_record` writes it (by the officer unless someone else acted)."""
        self.transitions.append(
            Transition(
                content_type_id=self.types[model],
                object_id=subject.pk,
                field=field,
                from_state=from_state,
                to_state=to_state,
                reason=reason,
                actor_id=actor or self.officer.pk,
                at=min(_at(on), self.now),
            )
        )

    def _save_children(self) -> None:
        for c in self.children:
            c.obj = Child(
                first_name=c.first_name,
                last_name=c.last_name,
                date_of_birth=c.date_of_birth,
                ehcp_reference=c.reference,
                pseudonym=c.pseudonym,
                district=c.district,
                school_name=c.school[0],
                school_urn=c.school[1],
                primary_need=c.need,
                status=c.status,
                created_at=_at(c.entry - timedelta(days=7)),
            )
        Child.objects.bulk_create([c.obj for c in self.children])
        for c in self.children:
            if c.exit:
                self._moved(c.obj, Child, c.exit, Child.Status.ACTIVE, c.status, CLOSED_REASONS[c.exit_kind])

    def _save_lines(self) -> None:
        """Provision lines and their referrals (the waiting list), with each referral's moves."""
        lines = [line for c in self.children for line in c.lines]
        for line in lines:
            line.obj = Provision(
                child=line.child.obj,
                section=Provision.Section.F,
                therapy_type=line.therapy,
                amount=line.amount,
                unit=line.unit,
                frequency=line.frequency,
                weeks_per_year=line.weeks,
                start_date=line.start,
                end_date=line.end,
                review_date=None if line.end else line.review_date,  # an ended line has no further review
                source=line.source,
                description=line.description,
            )
        Provision.objects.bulk_create([line.obj for line in lines])
        referrals = [r for line in lines for r in line.referrals]
        for r in referrals:
            r.obj = Referral(
                child=r.line.child.obj,
                provision=r.line.obj,
                referred_on=r.referred_on,
                stage=r.stage,
                waiting_ended_on=r.ended_on,
                closed_reason=r.closed_reason,
                created_at=_at(r.referred_on),
            )
        Referral.objects.bulk_create([r.obj for r in referrals])
        S = Referral.Stage
        for r in referrals:
            self._moved(r.obj, Referral, r.referred_on, "", S.AWAITING_ASSESSMENT, "Referred", "stage")
            stage = S.AWAITING_ASSESSMENT
            if r.assessed_on and r.stage != S.AWAITING_ASSESSMENT:
                assessed = min(r.assessed_on, r.ended_on or self.today)
                self._moved(r.obj, Referral, assessed, stage, S.AWAITING_INTERVENTION, "Assessed", "stage")
                stage = S.AWAITING_INTERVENTION
            if r.stage in (S.PLACED, S.CLOSED):
                self._moved(r.obj, Referral, r.ended_on, stage, r.stage, r.closed_reason or "Placed", "stage")

    def _save_placements(self, placements: list[PlacementPlan]) -> None:
        """Placements, then what hangs off them: budgets, rate changes, reviews and committed cost."""
        rng, today, officer, S = self.rng, self.today, self.officer, Placement.Status
        for order, p in enumerate(placements, start=1):
            arranged = p.start - timedelta(days=rng.randint(10, 40))
            p.arranged_on = min(max(arranged, p.referral.referred_on) if p.referral else arranged, today)
            p.obj = Placement(
                child=p.line.child.obj,
                provision=p.line.obj,
                referral=p.referral.obj if p.referral else None,
                arrangement=p.arrangement,
                provider=p.provider,
                membership=p.membership,
                contract=p.contract,
                spot_reason=p.spot_reason,
                spot_reason_detail=p.spot_detail,
                start_date=p.start,
                end_date=p.end,
                rate=p.rate,
                unit=p.line.unit,
                units_per_week=p.units_per_week,
                weeks_per_year=p.line.weeks,
                purchase_order=f"PO{p.start:%y}{order:05d}" if p.status != S.PROPOSED and p.provider else "",
                status=p.status,
                end_reason=p.end_reason if p.status == S.ENDED else "",
                review_due_on=p.review_due if p.status in (S.ACTIVE, S.ENDED) else None,
                created_at=min(_at(p.arranged_on), self.now),
                created_by=officer,
            )
        Placement.objects.bulk_create([p.obj for p in placements])
        budgets, variations, reviews, commitments = [], [], [], []
        for p in placements:
            obj = p.obj
            self._moved(obj, Placement, p.arranged_on, "", S.PROPOSED, "Arranged")
            if p.status == S.CANCELLED:
                self._moved(obj, Placement, p.arranged_on + timedelta(days=3), S.PROPOSED, p.status, p.cancel_reason)
            elif p.status in (S.ACTIVE, S.ENDED):
                activated = max(p.arranged_on, p.start - timedelta(days=3))
                self._moved(obj, Placement, activated, S.PROPOSED, S.ACTIVE, "Activated")
            if p.status == S.ENDED:
                reason = Placement.EndReason(p.end_reason).label
                self._moved(obj, Placement, p.end + timedelta(days=1), S.ACTIVE, p.status, reason)
            if p.budget:
                obj.personal_budget = PersonalBudget(
                    placement=obj,
                    amount=p.budget["amount"],
                    signed_on=p.budget["signed_on"],
                    review_on=p.budget["review_on"],
                    notes=p.budget["notes"],
                )
                budgets.append(obj.personal_budget)
            changes = [
                PlacementVariation(
                    placement=obj,
                    effective_from=effective_from,
                    rate=rate,
                    reason=reason,
                    decision_reference=reference,
                    created_at=min(_at(effective_from - timedelta(days=20)), self.now),
                    created_by=officer,
                )
                for effective_from, _, rate, reason, reference in p.variations
            ]
            variations += changes
            reviews += [
                Review(placement_id=obj.pk, recorded_by_id=officer.pk, recorded_at=_at(r["held_on"], 16), **r)
                for r in p.reviews
            ]
            if p.status in (S.ACTIVE, S.ENDED):  # the services' own arithmetic, on the rows in memory
                commitments += [
                    PlacementCommitment(placement_id=obj.pk, financial_year=year.start_year, amount=amount)
                    for year, amount in sorted(placement_cost_by_year(obj, variations=changes).items())
                ]
        PersonalBudget.objects.bulk_create(budgets)
        PlacementVariation.objects.bulk_create(variations)
        Review.objects.bulk_create(reviews)
        PlacementCommitment.objects.bulk_create(commitments, batch_size=2000)

    def _save_invoices(self, placements: list[PlacementPlan]) -> int:
        """Invoices numbered in order per provider (a payment to a family by its month), with their moves."""
        rng, officer, harbourside_user, now = self.rng, self.officer, self.harbourside_user, self.now
        numbers: dict[int, int] = defaultdict(int)
        every = sorted(
            (i for p in placements for i in p.invoices),
            key=lambda i: (i.submitted_on, i.period_end, i.placement.obj.pk),
        )
        rows = []
        providers = {p.provider.pk: p.provider for p in placements if p.provider is not None}
        initials = {
            pk: "".join(w[0] for w in str(p).replace("-", " ").split()[:3]).upper() for pk, p in providers.items()
        }
        harbourside = harbourside_user.provider_id if harbourside_user else None
        for invoice in every:
            placement = invoice.placement
            provider = placement.provider
            if provider is None:
                invoice.number = f"PB-{invoice.period_start:%Y-%m}" + ("-C" if invoice.note else "")
            else:
                numbers[provider.pk] += 1
                invoice.number = f"{initials[provider.pk]}-{numbers[provider.pk]:05d}"
            rate = placement.rate_on(invoice.period_start) if placement.rate is not None else None
            expected = round_to_penny(invoice.units * rate) if rate is not None else None
            note = ""
            if expected is not None and expected != invoice.amount:
                note = (
                    f"The amount, £{invoice.amount:,.2f}, is not {invoice.units.normalize():f} units at "
                    f"£{rate:,.2f} (£{expected:,.2f})."
                )
            by = harbourside_user.pk if harbourside and provider and provider.pk == harbourside else officer.pk
            decided = invoice.status != Invoice.Status.SUBMITTED
            invoice.obj = Invoice(
                placement_id=placement.obj.pk,
                provider_id=provider.pk if provider else None,
                number=invoice.number,
                period_start=invoice.period_start,
                period_end=invoice.period_end,
                units_delivered=invoice.units,
                amount=invoice.amount,
                expected_amount=expected,
                has_discrepancy=bool(note),
                discrepancy_note=note,
                status=invoice.status,
                submitted_at=min(_at(invoice.submitted_on, 9), now - timedelta(minutes=5)),
                submitted_by_id=by,
                decided_at=min(_at(invoice.decided_on, 14), now) if decided else None,
                decided_by_id=officer.pk if decided else None,
                decision_note=invoice.decision_note,
                paid_on=invoice.paid_on if invoice.status == Invoice.Status.PAID else None,
                payment_reference=f"KCC{rng.randint(10**6, 10**7 - 1)}"
                if invoice.status == Invoice.Status.PAID
                else "",
            )
            rows.append(invoice.obj)
        Invoice.objects.bulk_create(rows, batch_size=2000)
        recent = self.today - timedelta(days=120)
        for invoice in every:
            obj, S = invoice.obj, Invoice.Status
            if invoice.period_end < recent and not invoice.dispute:
                continue  # older routine invoices: a history of tens of thousands of rows adds nothing to a demo
            self._moved(obj, Invoice, invoice.submitted_on, "", S.SUBMITTED, "Submitted", actor=obj.submitted_by_id)
            if invoice.dispute:
                self._moved(
                    obj, Invoice, invoice.decided_on, S.SUBMITTED, S.DISPUTED, "Charged for more than was delivered"
                )
                if invoice.dispute["resolved_on"]:
                    after = S.APPROVED if invoice.dispute["decision"] == "approve" else S.REJECTED
                    self._moved(
                        obj, Invoice, invoice.dispute["resolved_on"], S.DISPUTED, after, invoice.dispute["outcome"]
                    )
                    if after == S.APPROVED:
                        self._moved(
                            obj, Invoice, invoice.paid_on, S.APPROVED, S.PAID, f"Paid {invoice.paid_on:%-d %B %Y}"
                        )
            elif invoice.status in (S.APPROVED, S.PAID):
                self._moved(obj, Invoice, invoice.decided_on, S.SUBMITTED, S.APPROVED, invoice.decision_note)
                if invoice.status == S.PAID:
                    self._moved(obj, Invoice, invoice.paid_on, S.APPROVED, S.PAID, f"Paid {invoice.paid_on:%-d %B %Y}")
        return len(rows)

    def _save_disputes(self, placements: list[PlacementPlan]) -> int:
        """Disputes over invoices with discrepancies, and a few over how therapy was delivered."""
        rng, today, officer, harbourside_user = self.rng, self.today, self.officer, self.harbourside_user
        rows = []
        for p in placements:
            for invoice in p.invoices:
                if invoice.dispute:
                    d = invoice.dispute
                    rows.append(
                        Dispute(
                            placement=p.obj,
                            invoice=invoice.obj,
                            category=d["category"],
                            description=f"Invoice {invoice.number} charges for more units than were delivered.",
                            raised_on=invoice.decided_on,
                            raised_by=officer,
                            resolved_on=d["resolved_on"],
                            resolved_by=officer if d["resolved_on"] else None,
                            outcome=d["outcome"],
                        )
                    )
            live = p.status in (Placement.Status.ACTIVE, Placement.Status.ENDED)
            chance = 0.05 if p.arrangement == Placement.Arrangement.SPOT_PURCHASE else 0.015
            harbour = harbourside_user and p.provider and p.provider.pk == harbourside_user.provider_id
            if live and p.provider and (rng.random() < chance or (harbour and rng.random() < 0.04)):
                category, description, outcome = rng.choice(QUALITY_DISPUTES)
                raised = p.start + timedelta(days=rng.randint(20, max(21, (min(p.end, today) - p.start).days)))
                raised = min(raised, today)
                resolved = raised + timedelta(days=rng.randint(7, 45))
                is_open = resolved > today or rng.random() < 0.2
                rows.append(
                    Dispute(
                        placement=p.obj,
                        category=category,
                        description=description,
                        raised_on=raised,
                        raised_by=officer,
                        resolved_on=None if is_open else resolved,
                        resolved_by=None if is_open else officer,
                        outcome="" if is_open else outcome,
                    )
                )
        Dispute.objects.bulk_create(rows)
        for dispute in rows:
            self._moved(dispute, Dispute, dispute.raised_on, "", "open", dispute.description)
            if dispute.resolved_on:
                self._moved(dispute, Dispute, dispute.resolved_on, "open", "resolved", dispute.outcome)
        return len(rows)
