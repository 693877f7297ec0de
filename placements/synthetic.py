"""Fictional data at scale, for load tests and report benchmarks (`manage.py generate_synthetic`).

Scale 1 is one county: about 20,000 children with plans, 2,000 therapy placements, 2,000 school placements,
50,000 invoices and a few hundred providers; scale 30 is about national size. Reference data (districts,
therapy types, primary needs, the QPL and DPS lists and their lots, procurement routes) comes from the
migrations and is used as it is.

Everything is invented: names are built from made-up syllables, identifiers use ranges no real body issues.
Synthetic rows are marked so that `flush()` removes them and nothing else: EHCP, contract, request,
questionnaire and block references start with `SYN-`, provider legal names end with `PROVIDER_MARKER`
and users' addresses end with `USER_DOMAIN`.

Reproducible: every choice comes from one `random.Random(seed)`, in a fixed order, and never depends on
primary keys, set order or the clock (the reference date is `as_of`). Rows go in with COPY on PostgreSQL
(keys reserved from each table's sequence first) and with `bulk_create` in large batches elsewhere, so no
signal fires: no audit entries, no notifications. Derived rows (committed cost per financial year) are
computed by the services' own functions, `placement_cost_by_year` and `school_placement_cost_by_year`.
"""

from __future__ import annotations

import hashlib
import io
import operator
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection, connections, models, transaction
from django.db.models import Sum
from django.db.models.base import ModelState

from contracts.models import Contract, ContractYear, FundedPost, PerformanceReturn, ProcurementRoute
from core.models import District, PrimaryNeed, TherapyType, User
from core.money import ZERO, round_to_penny
from core.periods import FinancialYear, add_months, financial_years_between, month_start, months_between
from core.roles import Role
from providers.models import (
    CapacityDeclaration,
    InsurancePolicy,
    Lot,
    Membership,
    OfstedRating,
    Practitioner,
    PriceLine,
    PricingSchedule,
    Provider,
    ProviderList,
    SchoolFeeBand,
    SelectionQuestionnaire,
)

from .models import (
    PSEUDONYM_ALPHABET,
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
)
from .services import placement_cost_by_year, placement_rate_on, school_placement_cost_by_year

SYN = "SYN-"
PROVIDER_MARKER = " (synthetic)"
USER_DOMAIN = "@synthetic.invalid"
UNUSABLE_PASSWORD = "!synthetic"  # starts with "!": Django treats it as no password (sign in with force_login)

BATCH_SIZE = 5000
CHUNK_CHILDREN = 5000  # children are generated a chunk at a time, so memory stays flat at any scale
QPL_REFERENCE = "KCC-QPL-SEN-THERAPIES"
DPS_REFERENCE = "KCC-DPS-NMISS"
QPL_FLOOR = date(2022, 1, 1)  # call-offs start after the first providers were admitted
DPS_OPENED = date(2022, 4, 1)

# Counts at scale 1 (one county). Everything scales linearly; reference data does not.
PER_COUNTY = {
    "children": 20_000,
    "therapy_placements": 2_000,
    "school_placements": 2_000,
    "invoices": 50_000,
    "therapy_providers": 250,
    "schools": 60,
    "nhs_trusts": 4,
    "other_contracts": 10,
    "block_contracts": 8,
    "officers": 10,
}
# The fewest of each, so that a tiny scale still has every kind of provider and route.
MINIMUM = {
    "therapy_providers": 14,
    "schools": 10,
    "nhs_trusts": 2,
    "other_contracts": 2,
    "block_contracts": 1,
    "officers": 3,
}

LONDON = ZoneInfo(settings.TIME_ZONE)
CENT = Decimal("0.01")
QUARTER = Decimal("0.25")


class ReferenceDataMissing(RuntimeError):
    """The migrations' reference data (districts, therapies, needs, the QPL and the DPS) is not there."""


def planned_counts(scale: float) -> dict[str, int]:
    """How many of each headline kind `generate(scale=...)` creates (exactly, for these keys)."""
    counts = {key: round(value * scale) for key, value in PER_COUNTY.items()}
    if scale > 0:
        for key, least in MINIMUM.items():
            counts[key] = max(counts[key], least)
    return counts


# Invented words ---------------------------------------------------------------------------------

FIRST_ONSETS = [
    "Al", "Bri", "Cal", "Dar", "Ely", "Fen", "Gal", "Har", "Isa", "Jas", "Kai", "Lys", "Mar",
    "Nye", "Ori", "Pel", "Rho", "Sef", "Tal", "Uri", "Val", "Wyn", "Xan", "Yel", "Zor",
]  # fmt: skip
FIRST_ENDINGS = ["a", "am", "an", "ar", "el", "en", "ia", "ie", "in", "is", "o", "on", "ra", "wen", "y"]
LAST_ROOTS = [
    "Ash", "Birch", "Brack", "Clay", "Dun", "Elm", "Fern", "Gorse", "Hazel", "Ings", "Juni", "Kest", "Lind",
    "Mere", "Nettle", "Orch", "Pike", "Quill", "Reed", "Sedge", "Tarn", "Umber", "Vale", "Wold", "Yarrow",
]  # fmt: skip
LAST_ENDINGS = ["by", "combe", "cott", "den", "field", "ford", "gate", "ham", "hurst", "ley", "mere", "stead",
                "thorpe", "ton", "wick"]  # fmt: skip
THERAPY_WORDS = {
    "speech-language": "Speech and Language",
    "occupational": "Occupational Therapy",
    "physiotherapy": "Physiotherapy",
    "cbt": "Talking Therapies",
    "hydrotherapy": "Hydrotherapy",
    "play": "Play Therapy",
    "music": "Music Therapy",
    "art": "Art Therapy",
    "drama": "Drama Therapy",
    "assistive-technology": "Communication Aids",
}
SCHOOL_WORDS = ["House School", "College", "School", "Hall School", "Park School", "Grange School"]
MAINSTREAM_WORDS = ["Primary School", "Junior School", "Community College", "Academy", "Infant School"]
INSURERS = ["Harbourline Mutual", "Greyfield Insurance", "Kestrel Underwriting", "Marlow Indemnity"]

# Rough relative sizes of the districts' populations of children with plans (unknown districts weigh 1).
DISTRICT_WEIGHTS = {
    "E07000105": 1.3, "E07000106": 1.6, "E07000107": 1.2, "E07000108": 1.2, "E07000109": 1.1,
    "E07000110": 1.8, "E07000111": 1.2, "E07000112": 1.1, "E07000113": 1.5, "E07000114": 1.4,
    "E07000115": 1.3, "E07000116": 1.2, "E06000035": 2.8,
}  # fmt: skip
NEED_WEIGHTS = {
    "ASD": 30, "SLCN": 22, "SEMH": 15, "MLD": 8, "SLD": 5, "SPLD": 5, "PD": 4, "OTH": 4,
    "PMLD": 2, "HI": 2, "VI": 1, "MSI": 1,
}  # fmt: skip
THERAPY_WEIGHTS = {
    "speech-language": 40, "occupational": 25, "physiotherapy": 10, "cbt": 5, "hydrotherapy": 2,
    "play": 5, "music": 3, "art": 4, "drama": 2, "assistive-technology": 4,
}  # fmt: skip
THERAPY_BY_NEED = {  # multipliers on THERAPY_WEIGHTS
    "SLCN": {"speech-language": 4},
    "ASD": {"speech-language": 2, "occupational": 2, "music": 1.5},
    "PD": {"physiotherapy": 5, "occupational": 2, "hydrotherapy": 5, "assistive-technology": 3},
    "PMLD": {"physiotherapy": 3, "hydrotherapy": 4, "assistive-technology": 3, "music": 2},
    "SEMH": {"cbt": 6, "play": 4, "art": 4, "drama": 4, "speech-language": 0.5},
    "SLD": {"speech-language": 2, "occupational": 1.5, "assistive-technology": 2},
    "HI": {"speech-language": 3, "assistive-technology": 2},
    "VI": {"occupational": 2, "assistive-technology": 3},
    "MSI": {"assistive-technology": 3, "occupational": 2},
}
REGISTRATION_BODY = {
    "speech-language": Practitioner.Body.RCSLT,
    "cbt": Practitioner.Body.BABCP,
    "play": Practitioner.Body.BAPT,
}
PROFESSION = {
    "speech-language": "Speech and language therapist",
    "occupational": "Occupational therapist",
    "physiotherapy": "Physiotherapist",
    "cbt": "Cognitive behavioural therapist",
    "hydrotherapy": "Hydrotherapist",
    "play": "Play therapist",
    "music": "Music therapist",
    "art": "Art therapist",
    "drama": "Drama therapist",
    "assistive-technology": "AAC specialist",
}
WAIT_BANDS = [((0, 12), 40), ((12, 18), 18), ((18, 52), 30), ((52, 104), 12)]  # weeks, weight
PROVISION_TEXT = [
    "Direct therapy in school, with a programme for staff to carry on between sessions.",
    "Individual sessions, then advice to the class team at the end of each block.",
    "Assessment, a written programme and termly review with the family.",
    "Small-group sessions alongside individual work.",
]
CLOSED_REASONS = [
    "Needs met through the school's own offer.",
    "The family declined the therapy.",
    "The plan was amended at the annual review.",
    "The child moved out of the area.",
]
SPOT_DETAIL = {
    Placement.SpotReason.NO_CAPACITY: "No provider on the list had capacity in the district within 12 weeks.",
    Placement.SpotReason.TRIBUNAL: "The tribunal order names this provider.",
    Placement.SpotReason.PARENTAL_PREFERENCE: "The family's preferred provider; agreed at the annual review.",
}
REVIEW_OUTCOMES = [
    "Progress against most of the plan's outcomes; targets updated for next term.",
    "Some progress; the programme is being carried on by school staff.",
    "Little progress this term; the approach has been changed.",
]
DISPUTE_TEXT = {
    Dispute.Category.FINANCIAL: "The units invoiced do not match the sessions recorded by the school.",
    Dispute.Category.MISUNDERSTANDING: "The invoice covers a week the school was closed.",
    Dispute.Category.QUALITY: "Sessions were shorter than agreed on several occasions.",
    Dispute.Category.PROTOCOL: "Sessions were moved without telling the school or the family.",
}
NEEDS_SUMMARY = [
    "Needs a small, calm setting with a consistent adult and a structured day.",
    "Needs an on-site therapy team and a waking-night staffed residential setting.",
    "Needs specialist teaching in small groups, with daily communication support.",
    "Needs a setting experienced in supporting anxiety and school avoidance.",
]
QUALITY_STATEMENT = (
    "Placement in a class of six with a specialist teacher and two assistants; therapy team on site "
    "three days a week; a transition plan agreed with the family before the start."
)


# Small helpers ----------------------------------------------------------------------------------


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def _pounds(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _split(start: date, end: date, parts: int) -> list[tuple[date, date]]:
    """`parts` contiguous periods covering start..end (inclusive), as even as whole days allow."""
    days = (end - start).days + 1
    bounds = [start + timedelta(days=days * i // parts) for i in range(parts + 1)]
    return [(bounds[i], bounds[i + 1] - timedelta(days=1)) for i in range(parts)]


def _apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Share the integer `total` in proportion to integer `weights` (largest remainder; exact; no floats)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _copy_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_converter(model_field: models.Field, db) -> Callable[[object], str]:
    """How one field's Python value is written in PostgreSQL's COPY text format (NULL is \\N)."""
    kind = model_field.get_internal_type()
    if kind in ("CharField", "TextField", "SlugField", "EmailField", "FileField"):
        return lambda v: "\\N" if v is None else _copy_escape(v)
    if kind == "BooleanField":
        return lambda v: "\\N" if v is None else ("t" if v else "f")
    if kind in ("DateField", "DateTimeField"):
        return lambda v: "\\N" if v is None else v.isoformat()
    if kind == "DecimalField" or kind.endswith(("IntegerField", "AutoField", "ForeignKey", "OneToOneField")):
        return lambda v: "\\N" if v is None else str(v)

    def prepared(v) -> str:  # anything else: let the field prepare it
        value = model_field.get_db_prep_save(v, db)
        return "\\N" if value is None else _copy_escape(str(value))

    return prepared


_TEMPLATES: dict[type[models.Model], tuple[dict, frozenset, frozenset]] = {}


def _build(model: type[models.Model], **values) -> models.Model:
    """A new, unsaved instance as `Model.from_db` makes one, without `Model.__init__` (several times faster,
    which counts at a million rows): every field's default, then `values`, by attribute name (`child_id`).

    Refuses an unknown name, and a missing field whose default is computed (a clock or a random value)."""
    if model not in _TEMPLATES:
        fields = model._meta.concrete_fields
        computed = frozenset(f.attname for f in fields if f.has_default() and callable(f.default))
        defaults = {f.attname: None if f.attname in computed else f.get_default() for f in fields}
        _TEMPLATES[model] = (defaults, frozenset(defaults), computed)
    defaults, known, computed = _TEMPLATES[model]
    if not values.keys() <= known or not computed <= values.keys():
        unknown, missing = sorted(values.keys() - known), sorted(computed - values.keys())
        raise TypeError(f"{model.__name__}: unknown {unknown}, missing {missing}")
    obj = model.__new__(model)
    obj._state = ModelState()
    obj.__dict__.update(defaults)
    obj.__dict__.update(values)
    return obj


class Progress:
    """A one-line progress bar on a terminal (one line per step when the output is not a terminal)."""

    def __init__(self, stream, total: int, *, width: int = 30):
        self.stream, self.total, self.width, self.done = stream, max(total, 1), width, 0
        self.started = datetime.now(tz=LONDON)
        self.tty = bool(getattr(stream, "isatty", lambda: False)())

    def advance(self, amount: int, label: str) -> None:
        self.done = min(self.total, self.done + amount)
        filled = self.width * self.done // self.total
        seconds = (datetime.now(tz=LONDON) - self.started).total_seconds()
        bar = "#" * filled + "." * (self.width - filled)
        line = f"[{bar}] {100 * self.done // self.total:3d}%  {seconds:6.1f}s  {label}"
        if self.tty:
            self.stream.write("\r" + line.ljust(110), ending="")
            self.stream.flush()
        else:
            self.stream.write(line)

    def finish(self) -> None:
        if self.tty:
            self.stream.write("")


# In-memory views of what the generator has written, for the choices that follow --------------


@dataclass
class _TherapyProvider:
    pk: int
    kind: str
    therapies: list[int]
    districts: list[int]
    user_pk: int
    qpl_admitted_on: date | None = None  # set when the QPL membership is admitted (and still is)
    membership_pk: int | None = None
    schedules: list[tuple[date, dict]] = field(default_factory=list)  # (effective_from, {(therapy, unit): rate})
    invoices: int = 0

    def price_on(self, therapy: int, unit: str, day: date) -> Decimal | None:
        prices = None
        for effective_from, lines in self.schedules:
            if effective_from <= day:
                prices = lines
        return None if prices is None else prices.get((therapy, unit))


@dataclass
class _Lot:
    pk: int
    need: int
    setting: str
    age_from: int
    age_to: int


@dataclass
class _School:
    pk: int
    name: str
    urn: str
    needs: list[int]
    day: bool
    residential: bool
    age_from: int
    age_to: int
    user_pk: int
    lots: list[int] = field(default_factory=list)  # DPS lots the school is admitted to (now)
    bands: dict = field(default_factory=dict)  # place type -> (education, care, therapy)

    def takes(self, lot: _Lot, age: int) -> bool:
        offers = self.day if lot.setting == "day" else self.residential
        return lot.pk in self.lots and offers and self.age_from <= age <= self.age_to and lot.need in self.needs


@dataclass
class _NhsContract:
    pk: int
    supplier_pk: int
    start: date
    end: date
    therapies: list[int]


@dataclass
class _Block:
    pk: int
    school: _School
    start: date
    end: date
    places: int
    slots: int


@dataclass
class _SchoolPlan:
    """What is decided about a child's school place before the child is written (it shapes their age and need)."""

    lot: _Lot
    school: _School
    route: str  # "dps", "direct", "block" or "request" (a request with no placement yet)
    start: date
    end: date
    status: str
    request_status: str = ""
    block: _Block | None = None
    request_day: date | None = None


class Generator:
    """Writes one synthetic data set. Use `generate()`; this class only keeps the state between steps."""

    def __init__(
        self,
        *,
        scale: float,
        seed: int,
        as_of: date,
        progress: Callable[[int, str], None] | None = None,
        use_copy: bool = True,
    ):
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.planned = planned_counts(scale)
        self.progress = progress or (lambda amount, label: None)
        self.counts: Counter[str] = Counter()
        self.copy = use_copy and connection.vendor == "postgresql"
        self.ehcp_seq = self.request_seq = self.po_seq = self.payment_seq = self.sq_seq = 0
        self.pseudonyms_taken = set(Child.objects.values_list("pseudonym", flat=True))
        self.pseudonyms_made: set[str] = set()
        self.invoice_deficit = 0

    # Writing ------------------------------------------------------------------------------------

    def insert(self, model: type[models.Model], objs: list, *, returning: bool = True) -> list:
        """Bulk-insert `objs`, setting their primary keys when `returning`.

        On PostgreSQL (unless told not to) rows go in with COPY: keys are first reserved from the table's
        sequence when they are needed. Elsewhere, `bulk_create` in large batches.
        """
        if not objs:
            return objs
        if self.copy and not any(isinstance(f, models.JSONField) for f in model._meta.concrete_fields):
            self._copy(model, objs, with_keys=returning)
        else:
            model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
        self.counts[model._meta.label] += len(objs)
        return objs

    def _copy(self, model: type[models.Model], objs: list, *, with_keys: bool) -> None:
        pk = model._meta.pk
        quote = connection.ops.quote_name
        fields = [f for f in model._meta.concrete_fields if with_keys or not f.primary_key]
        with connection.cursor() as cursor:
            if with_keys:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [model._meta.db_table, pk.column, len(objs)],
                )
                for obj, (key,) in zip(objs, cursor.fetchall(), strict=True):
                    obj.pk = key
                    obj._state.adding, obj._state.db = False, connection.alias
            db = connections[connection.alias]  # the wrapper itself, not the thread-local proxy
            getters = [(operator.attrgetter(f.attname), _copy_converter(f, db)) for f in fields]
            buffer = io.StringIO()
            buffer.writelines("\t".join([convert(get(obj)) for get, convert in getters]) + "\n" for obj in objs)
            buffer.seek(0)
            columns = ", ".join(quote(f.column) for f in fields)
            cursor.cursor.copy_expert(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN", buffer)

    # Choosing -----------------------------------------------------------------------------------

    def date_between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def money(self, low: int, high: int, step: int = 1) -> Decimal:
        return Decimal(self.rng.randrange(low, high + 1, step))

    def first_name(self) -> str:
        return self.rng.choice(FIRST_ONSETS) + self.rng.choice(FIRST_ENDINGS)

    def last_name(self) -> str:
        return self.rng.choice(LAST_ROOTS) + self.rng.choice(LAST_ENDINGS)

    def pseudonym(self) -> str:
        while True:
            value = "C-" + "".join(self.rng.choice(PSEUDONYM_ALPHABET) for _ in range(8))
            if value not in self.pseudonyms_made and value not in self.pseudonyms_taken:
                self.pseudonyms_made.add(value)
                return value

    def weighted_sample(self, weights: dict[int, float], k: int) -> list[int]:
        """k distinct keys, drawn by weight without replacement."""
        keys, chosen = list(weights), []
        for _ in range(min(k, len(keys))):
            pick = self.rng.choices(keys, weights=[weights[key] for key in keys])[0]
            keys.remove(pick)
            chosen.append(pick)
        return chosen

    # The whole run ------------------------------------------------------------------------------

    def run(self) -> Counter[str]:
        self.load_reference_data()
        self.make_officers()
        self.make_therapy_providers()
        self.make_schools()
        self.make_contracts()
        self.make_block_contracts()
        children = self.planned["children"]
        chunks = [(a, min(a + CHUNK_CHILDREN, children)) for a in range(0, children, CHUNK_CHILDREN)]
        for a, b in chunks:
            self.make_chunk(a, b)
        return self.counts

    def load_reference_data(self) -> None:
        as_of = self.as_of
        districts = District.objects.current(as_of).order_by("ons_code")
        self.districts = [d.pk for d in districts]
        self.district_names = {d.pk: d.name for d in districts}
        self.district_weights = [DISTRICT_WEIGHTS.get(d.ons_code, 1.0) for d in districts]
        therapies = TherapyType.objects.filter(is_active=True).order_by("sort_order", "code")
        self.therapy_code = {t.pk: t.code for t in therapies}
        self.therapy_name = {t.pk: t.name for t in therapies}
        self.therapy_pk = {t.code: t.pk for t in therapies}
        needs = PrimaryNeed.objects.order_by("sort_order", "code")
        self.need_code = {n.pk: n.code for n in needs}
        self.need_weights = {n.pk: NEED_WEIGHTS.get(n.code, 1) for n in needs}
        if not self.districts or not self.therapy_code or not self.need_code:
            raise ReferenceDataMissing("Reference data is missing: run the migrations first.")
        self.qpl = ProviderList.objects.filter(reference=QPL_REFERENCE).first() or (
            ProviderList.objects.filter(kind=ProviderList.Kind.QPL).order_by("opens_on", "pk").first()
        )
        self.dps = ProviderList.objects.filter(reference=DPS_REFERENCE).first() or (
            ProviderList.objects.filter(kind=ProviderList.Kind.DPS).order_by("opens_on", "pk").first()
        )
        if self.qpl is None or self.dps is None:
            raise ReferenceDataMissing("The QPL and the DPS are missing: run the migrations first.")
        self.qpl_lot = {
            lot.therapy_type_id: lot.pk
            for lot in Lot.objects.filter(provider_list=self.qpl, therapy_type__isnull=False).order_by("number")
        }
        self.dps_lots = [
            _Lot(lot.pk, lot.primary_need_id, lot.setting or "day", lot.age_from or 4, lot.age_to or 19)
            for lot in Lot.objects.filter(provider_list=self.dps, primary_need__isnull=False).order_by("number")
        ]
        if not self.dps_lots:
            raise ReferenceDataMissing("The DPS has no lots: run the migrations first.")
        self.routes = dict(ProcurementRoute.objects.values_list("code", "pk"))
        self.groups = dict(Group.objects.filter(name__in=[r.label for r in Role]).values_list("name", "pk"))

    def district(self) -> int:
        return self.rng.choices(self.districts, weights=self.district_weights)[0]

    def therapy_weights(self, need: int | None) -> dict[int, float]:
        boost = THERAPY_BY_NEED.get(self.need_code.get(need, ""), {})
        return {pk: THERAPY_WEIGHTS.get(code, 1) * boost.get(code, 1) for pk, code in self.therapy_code.items()}

    # People -------------------------------------------------------------------------------------

    def users(self, rows: list[tuple[str, str, str, int | None]], role: Role) -> list[int]:
        """Create users (email, first, last, provider) in a role's group; returns their primary keys."""
        joined = _at(self.as_of - timedelta(days=400))
        users = self.insert(
            User,
            [
                User(
                    email=email,
                    first_name=first,
                    last_name=last,
                    provider_id=provider,
                    password=UNUSABLE_PASSWORD,
                    is_active=True,
                    date_joined=joined,
                )
                for email, first, last, provider in rows
            ],
        )
        group = self.groups.get(role.label)
        if group:
            self.insert(User.groups.through, [User.groups.through(user_id=u.pk, group_id=group) for u in users])
        return [u.pk for u in users]

    def make_officers(self) -> None:
        rows = [
            (f"officer{n:04d}{USER_DOMAIN}", self.first_name(), self.last_name(), None)
            for n in range(1, self.planned["officers"] + 1)
        ]
        self.officers = self.users(rows, Role.OFFICER)

    def officer(self) -> int:
        return self.rng.choice(self.officers)

    # Therapy providers: the QPL, prices, capacity -----------------------------------------------

    def make_therapy_providers(self) -> None:
        rng, as_of = self.rng, self.as_of
        count = self.planned["therapy_providers"]
        therapy_keys = list(self.therapy_code)
        base_weights = {pk: THERAPY_WEIGHTS.get(code, 1) for pk, code in self.therapy_code.items()}
        plans, providers = [], []
        for n in range(count):
            guaranteed = n < len(therapy_keys)  # one early QPL member for each therapy, whatever the scale
            kind = rng.choices(
                [Provider.Kind.SOLE_PRACTITIONER, Provider.Kind.COMPANY, Provider.Kind.CHARITY], weights=[40, 40, 20]
            )[0]
            therapies = [therapy_keys[n]] if guaranteed else []
            extra = rng.choices([0, 1, 2], weights=[50, 35, 15])[0] + (0 if guaranteed else 1)
            for pk in self.weighted_sample({k: w for k, w in base_weights.items() if k not in therapies}, extra):
                therapies.append(pk)
            districts = sorted(rng.sample(self.districts, min(len(self.districts), rng.randint(2, 7))))
            if guaranteed:
                membership = "admitted"
            elif n < len(therapy_keys) + 2:  # and always a couple off the QPL, for spot purchases
                membership = "none"
            else:
                membership = rng.choices(
                    ["admitted", "applied", "suspended", "left", "rejected", "none"], weights=[70, 5, 4, 4, 3, 14]
                )[0]
            person_first, person_last = self.first_name(), self.last_name()
            word = THERAPY_WORDS.get(self.therapy_code[therapies[0]], "Therapies")
            if kind == Provider.Kind.SOLE_PRACTITIONER:
                trading = f"{person_first} {person_last} {word}"
                legal = trading
            else:
                trading = f"{self.last_name()} {word}"
                legal = f"{trading} {'Ltd' if kind == Provider.Kind.COMPANY else 'CIC'}"
            created = self.date_between(date(2021, 6, 1), as_of - timedelta(days=60))
            providers.append(
                Provider(
                    legal_name=legal + PROVIDER_MARKER,
                    trading_name=trading,
                    kind=kind,
                    status=Provider.Status.ACTIVE
                    if membership != "none" or rng.random() < 0.8
                    else Provider.Status.DRAFT,
                    companies_house_number=f"SY{n + 1:06d}" if kind == Provider.Kind.COMPANY else "",
                    charity_number=f"S{n + 1:07d}" if kind == Provider.Kind.CHARITY else "",
                    address_line_1=f"{rng.randint(1, 120)} {self.last_name()} Road",
                    town=self.district_names[districts[0]],
                    postcode=f"ZZ{rng.randint(1, 99)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                    f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                    contact_name=f"{person_first} {person_last}",
                    contact_email=f"contact{n + 1:05d}@therapy.synthetic.invalid",
                    contact_phone=f"01632 {rng.randint(100000, 999999)}",  # Ofcom's drama range
                    is_sme=kind != Provider.Kind.CHARITY,
                    is_vcse=kind == Provider.Kind.CHARITY,
                    employs_staff=kind != Provider.Kind.SOLE_PRACTITIONER,
                    legacy_arrangement=Provider.LegacyArrangement.NON_PREFERRED if membership == "none" else "",
                    settings_offered=sorted(rng.sample([s.value for s in Provider.Setting], rng.randint(1, 3))),
                    age_from=rng.choice([0, 2, 4]),
                    age_to=rng.choice([16, 19, 25]),
                    safeguarding_lead_name=f"{person_first} {person_last}",
                    safeguarding_lead_email=f"safeguarding{n + 1:05d}@therapy.synthetic.invalid",
                    has_safeguarding_policy=True,
                    safeguarding_policy_reviewed_on=self.date_between(as_of - timedelta(days=700), as_of),
                    created_at=_at(created),
                )
            )
            plans.append((membership, therapies, districts, created, guaranteed))
        self.insert(Provider, providers)
        user_pks = self.users(
            [
                (f"provider{n + 1:05d}{USER_DOMAIN}", self.first_name(), self.last_name(), p.pk)
                for n, p in enumerate(providers)
            ],
            Role.PROVIDER,
        )
        through_t, through_d = Provider.therapy_types.through, Provider.districts.through
        self.insert(
            through_t,
            [
                through_t(provider_id=p.pk, therapytype_id=t)
                for p, plan in zip(providers, plans, strict=True)
                for t in plan[1]
            ],
            returning=False,
        )
        self.insert(
            through_d,
            [
                through_d(provider_id=p.pk, district_id=d)
                for p, plan in zip(providers, plans, strict=True)
                for d in plan[2]
            ],
            returning=False,
        )
        self.therapy_providers: list[_TherapyProvider] = []
        memberships, membership_lots, questionnaires, schedules, lines, capacity = [], [], [], [], [], []
        policies, practitioners, admitted_members = [], [], []
        for provider, user_pk, (status, therapies, districts, created, guaranteed) in zip(
            providers, user_pks, plans, strict=True
        ):
            view = _TherapyProvider(provider.pk, provider.kind, therapies, districts, user_pk)
            self.therapy_providers.append(view)
            if status != "none":
                opens = self.qpl.opens_on
                if guaranteed:
                    applied = self.date_between(opens, date(2021, 11, 30))
                elif rng.random() < 0.7:  # most joined in the first year
                    applied = self.date_between(opens, date(2022, 9, 30))
                else:
                    applied = self.date_between(opens, as_of - timedelta(days=60))
                admitted = None if status in ("applied", "rejected") else applied + timedelta(days=rng.randint(7, 30))
                left = self.date_between(min(admitted + timedelta(days=90), as_of), as_of) if status == "left" else None
                suspended = self.date_between(admitted, as_of) if status == "suspended" else None
                membership = Membership(
                    provider_id=provider.pk,
                    provider_list_id=self.qpl.pk,
                    status=status,
                    applied_on=applied,
                    admitted_on=admitted,
                    suspended_on=suspended,
                    suspension_reason="Public liability insurance certificate expired." if suspended else "",
                    left_on=left,
                )
                memberships.append(membership)
                questionnaires.append(self.questionnaire(provider.pk, self.qpl.pk, status, applied, admitted))
                if status == "admitted":
                    view.qpl_admitted_on = admitted
                    admitted_members.append((view, membership))
                # Prices: version 1 from admission (or application), a new version each year since.
                effective = admitted or applied
                version, factor = 1, Decimal(1)
                base = {t: self.money(55, 95) for t in therapies}
                while effective <= as_of:
                    rates = {}
                    for t in therapies:
                        hour = _pounds(base[t] * factor)
                        rates[(t, PriceLine.Unit.HOUR)] = hour
                        rates[(t, PriceLine.Unit.SESSION)] = _pounds(hour * Decimal("0.85"))
                        rates[(t, PriceLine.Unit.ASSESSMENT)] = _pounds(hour * Decimal("4.5"))
                        rates[(t, PriceLine.Unit.REPORT)] = _pounds(hour * 3)
                    schedule = PricingSchedule(
                        provider_id=provider.pk,
                        version=version,
                        effective_from=effective,
                        submitted_at=_at(effective - timedelta(days=14)),
                        submitted_by_id=user_pk,
                        note="" if version == 1 else "Annual price review.",
                    )
                    schedules.append((schedule, rates))
                    view.schedules.append((effective, rates))
                    version += 1
                    factor *= Decimal(1) + Decimal(rng.randint(20, 60)) / 1000
                    effective = add_months(effective, 12)
                if admitted:
                    lots = [self.qpl_lot[t] for t in therapies if t in self.qpl_lot]
                    membership_lots.append((membership, lots))
                    for t in therapies:
                        for d in districts:
                            capacity.append(
                                _build(
                                    CapacityDeclaration,
                                    provider_id=provider.pk,
                                    therapy_type_id=t,
                                    district_id=d,
                                    hours_per_week=Decimal(rng.randint(0, 60)) / 2,
                                    from_date=admitted,
                                    declared_at=_at(admitted),
                                )
                            )
                            if rng.random() < 0.3 and admitted + timedelta(days=200) < as_of:
                                later = self.date_between(admitted + timedelta(days=180), as_of)
                                capacity.append(
                                    _build(
                                        CapacityDeclaration,
                                        provider_id=provider.pk,
                                        therapy_type_id=t,
                                        district_id=d,
                                        hours_per_week=Decimal(rng.randint(0, 60)) / 2,
                                        from_date=later,
                                        declared_at=_at(later),
                                    )
                                )
            policies.extend(self.insurance(provider, created))
            practitioners.extend(self.practitioners(provider, therapies))
        self.insert(Membership, memberships)
        for view, membership in admitted_members:
            view.membership_pk = membership.pk
        through_m = Membership.lots.through
        self.insert(
            through_m,
            [through_m(membership_id=m.pk, lot_id=lot) for m, lots in membership_lots for lot in lots],
            returning=False,
        )
        self.insert(SelectionQuestionnaire, questionnaires, returning=False)
        self.insert(PricingSchedule, [s for s, _ in schedules])
        for schedule, rates in schedules:
            for (therapy, unit), rate in rates.items():
                lines.append(_build(PriceLine, schedule_id=schedule.pk, therapy_type_id=therapy, unit=unit, rate=rate))
        self.insert(PriceLine, lines, returning=False)
        self.insert(CapacityDeclaration, capacity, returning=False)
        self.insert(InsurancePolicy, policies, returning=False)
        self.insert(Practitioner, practitioners, returning=False)
        # Indexes the placements draw on: QPL members by therapy (and district), the rest for spot purchases.
        self.qpl_by_therapy: dict[int, list[_TherapyProvider]] = defaultdict(list)
        self.qpl_by_therapy_district: dict[tuple[int, int], list[_TherapyProvider]] = defaultdict(list)
        self.off_qpl: list[_TherapyProvider] = []
        for view in self.therapy_providers:
            if view.qpl_admitted_on:
                for t in view.therapies:
                    self.qpl_by_therapy[t].append(view)
                    for d in view.districts:
                        self.qpl_by_therapy_district[(t, d)].append(view)
            else:
                self.off_qpl.append(view)
        self.progress(count, "Therapy providers, the QPL, prices and capacity")

    def questionnaire(self, provider: int, provider_list: int, status: str, applied: date, admitted: date | None):
        self.sq_seq += 1
        S = SelectionQuestionnaire.Status
        if status == "applied":
            sq_status = self.rng.choice([S.SUBMITTED, S.UNDER_REVIEW, S.CLARIFICATION_REQUESTED])
        else:
            sq_status = S.REJECTED if status == "rejected" else S.APPROVED
        decided = admitted or (applied + timedelta(days=21) if sq_status == S.REJECTED else None)
        return SelectionQuestionnaire(
            provider_id=provider,
            provider_list_id=provider_list,
            reference=f"{SYN}SQ-{self.sq_seq:07d}",
            status=sq_status,
            declarations={},
            clarification_request="Please send the current DBS certificate."
            if sq_status == S.CLARIFICATION_REQUESTED
            else "",
            decision_reason="Evidence of registration not provided." if sq_status == S.REJECTED else "",
            created_at=_at(applied - timedelta(days=7)),
            submitted_at=_at(applied),
            decided_at=_at(decided) if decided else None,
            decided_by_id=self.officer() if decided else None,
        )

    def insurance(self, provider: Provider, created: date) -> list[InsurancePolicy]:
        rng, K = self.rng, InsurancePolicy.Kind
        kinds = [K.PUBLIC_LIABILITY, K.PROFESSIONAL_INDEMNITY] + (
            [K.EMPLOYERS_LIABILITY] if provider.employs_staff else []
        )
        cover = {
            K.PUBLIC_LIABILITY: [5_000_000, 10_000_000],
            K.PROFESSIONAL_INDEMNITY: [1_000_000, 2_000_000, 5_000_000],
            K.EMPLOYERS_LIABILITY: [5_000_000, 10_000_000],
        }
        return [
            InsurancePolicy(
                provider_id=provider.pk,
                kind=kind,
                insurer=rng.choice(INSURERS),
                policy_number=f"SYN{rng.randint(10_000_000, 99_999_999)}",
                cover_amount=Decimal(rng.choice(cover[kind])),
                expires_on=self.date_between(self.as_of - timedelta(days=30), self.as_of + timedelta(days=365)),
            )
            for kind in kinds
        ]

    def practitioners(self, provider: Provider, therapies: list[int]) -> list[Practitioner]:
        rng, as_of = self.rng, self.as_of
        count = 1 if provider.kind == Provider.Kind.SOLE_PRACTITIONER else rng.randint(2, 6)
        rows = []
        for _ in range(count):
            code = self.therapy_code[rng.choice(therapies)]
            body = REGISTRATION_BODY.get(code, Practitioner.Body.HCPC)
            rows.append(
                Practitioner(
                    provider_id=provider.pk,
                    first_name=self.first_name(),
                    last_name=self.last_name(),
                    profession=PROFESSION.get(code, "Therapist"),
                    registration_body=body,
                    registration_number=f"SYN{rng.randint(100_000, 999_999)}",
                    registration_expires_on=self.date_between(as_of - timedelta(days=20), as_of + timedelta(days=700)),
                    dbs_certificate_number=f"{rng.randint(0, 10**12 - 1):012d}",
                    dbs_issued_on=self.date_between(as_of - timedelta(days=1400), as_of - timedelta(days=10)),
                    dbs_barred_list_checked=True,
                    dbs_update_service=rng.random() < 0.7,
                )
            )
        return rows

    # Schools on the DPS -------------------------------------------------------------------------

    def make_schools(self) -> None:
        rng, as_of = self.rng, self.as_of
        count = self.planned["schools"]
        needs_on_lots = [need for need in self.need_code if any(lot.need == need for lot in self.dps_lots)]
        schools, plans = [], []
        for n in range(count):
            first_lot = self.dps_lots[n] if n < len(self.dps_lots) else None  # every lot has a school
            needs = [first_lot.need] if first_lot else []
            for need in rng.sample(needs_on_lots, rng.randint(1, 3)):
                if need not in needs:
                    needs.append(need)
            day = first_lot.setting == "day" if first_lot else rng.random() < 0.8
            residential = (first_lot.setting == "residential") if first_lot else rng.random() < 0.35
            day = day or not residential
            age_from, age_to = rng.choice([(4, 19), (5, 16), (7, 19), (11, 19), (4, 11)])
            if first_lot:
                age_from, age_to = min(age_from, first_lot.age_from), max(age_to, first_lot.age_to)
            name = f"{self.last_name()} {rng.choice(SCHOOL_WORDS)}"
            kind = rng.choices(
                [Provider.Kind.INDEPENDENT_SCHOOL, Provider.Kind.NON_MAINTAINED_SCHOOL], weights=[75, 25]
            )[0]
            status = (
                "admitted" if first_lot else rng.choices(["admitted", "applied", "suspended"], weights=[85, 8, 7])[0]
            )
            schools.append(
                Provider(
                    legal_name=f"{name} Trust{PROVIDER_MARKER}",
                    trading_name=name,
                    kind=kind,
                    status=Provider.Status.ACTIVE,
                    dfe_urn=f"{900_000 + n + 1:06d}",
                    charity_number=f"S{900_000 + n + 1:07d}" if kind == Provider.Kind.NON_MAINTAINED_SCHOOL else "",
                    address_line_1=f"{self.last_name()} Lane",
                    town=self.district_names[self.district()],
                    postcode=f"ZZ{rng.randint(1, 99)} {rng.randint(1, 9)}XX",
                    contact_name=f"{self.first_name()} {self.last_name()}",
                    contact_email=f"admissions{n + 1:05d}@school.synthetic.invalid",
                    contact_phone=f"01632 {rng.randint(100000, 999999)}",
                    employs_staff=True,
                    is_vcse=kind == Provider.Kind.NON_MAINTAINED_SCHOOL,
                    age_from=age_from,
                    age_to=age_to,
                    has_safeguarding_policy=True,
                    ofsted_rating=rng.choices([r.value for r in OfstedRating], weights=[20, 55, 15, 3, 7])[0],
                    ofsted_inspected_on=self.date_between(as_of - timedelta(days=1500), as_of - timedelta(days=30)),
                    registered_capacity=rng.randint(30, 200),
                    offers_day=day,
                    offers_residential=residential,
                    created_at=_at(date(2022, 3, 1)),
                )
            )
            plans.append((needs, status))
        self.insert(Provider, schools)
        user_pks = self.users(
            [
                (f"school{n + 1:05d}{USER_DOMAIN}", self.first_name(), self.last_name(), s.pk)
                for n, s in enumerate(schools)
            ],
            Role.PROVIDER,
        )
        through_n = Provider.needs_catered_for.through
        self.insert(
            through_n,
            [
                through_n(provider_id=s.pk, primaryneed_id=need)
                for s, (needs, _) in zip(schools, plans, strict=True)
                for need in needs
            ],
            returning=False,
        )
        self.schools: list[_School] = []
        memberships, membership_lots, questionnaires, bands = [], [], [], []
        for school, user_pk, (needs, status) in zip(schools, user_pks, plans, strict=True):
            view = _School(
                school.pk,
                school.trading_name,
                school.dfe_urn,
                needs,
                school.offers_day,
                school.offers_residential,
                school.age_from,
                school.age_to,
                user_pk,
            )
            self.schools.append(view)
            lots = [
                lot.pk
                for lot in self.dps_lots
                if lot.need in needs
                and (school.offers_day if lot.setting == "day" else school.offers_residential)
                and min(lot.age_to, school.age_to) - max(lot.age_from, school.age_from) >= 2
            ]
            applied = self.date_between(DPS_OPENED, date(2022, 12, 31))
            admitted = applied + timedelta(days=rng.randint(14, 45)) if status != "applied" else None
            membership = Membership(
                provider_id=school.pk,
                provider_list_id=self.dps.pk,
                status=status,
                applied_on=applied,
                admitted_on=admitted,
                suspended_on=self.date_between(admitted, as_of) if status == "suspended" else None,
                suspension_reason="Ofsted judgement under review." if status == "suspended" else "",
            )
            memberships.append(membership)
            membership_lots.append((membership, lots))
            questionnaires.append(self.questionnaire(school.pk, self.dps.pk, status, applied, admitted))
            if status == "admitted":
                view.lots = lots
            for place_type, ok in (("day", school.offers_day), ("residential", school.offers_residential)):
                if not ok:
                    continue
                education = self.money(35_000, 65_000, 500) if place_type == "day" else self.money(55_000, 95_000, 500)
                care = ZERO if place_type == "day" else self.money(40_000, 120_000, 500)
                therapy = self.money(3_000, 15_000, 250)
                view.bands[place_type] = (education, care, therapy)
                bands.append(
                    SchoolFeeBand(
                        provider_id=school.pk,
                        name=f"Band A: {place_type} place",
                        place_type=place_type,
                        weeks=38 if place_type == "day" else 52,
                        education=education,
                        care=care,
                        therapy=therapy,
                        effective_from=applied,
                    )
                )
        self.insert(Membership, memberships)
        through_m = Membership.lots.through
        self.insert(
            through_m,
            [through_m(membership_id=m.pk, lot_id=lot) for m, lots in membership_lots for lot in lots],
            returning=False,
        )
        self.insert(SelectionQuestionnaire, questionnaires, returning=False)
        self.insert(SchoolFeeBand, bands, returning=False)
        self.schools_by_lot: dict[int, list[_School]] = defaultdict(list)
        for view in self.schools:
            for lot in view.lots:
                self.schools_by_lot[lot].append(view)
        self.progress(count, "Schools on the DPS")

    # Contracts: NHS trusts and other commissioned services --------------------------------------

    def contract_years(self, contract: Contract, annual: Decimal) -> list[ContractYear]:
        rows, value = [], annual
        for index, year in enumerate(financial_years_between(contract.start_date, contract.end_date)):
            uplift = None
            if index:
                uplift = Decimal(self.rng.randint(0, 50)) / 10
                value = round_to_penny(value * (100 + uplift) / 100)
            rows.append(
                ContractYear(contract=contract, financial_year=year.start_year, value=value, uplift_percent=uplift)
            )
        return rows

    def make_contracts(self) -> None:
        rng, as_of = self.rng, self.as_of
        trusts = []
        for n in range(self.planned["nhs_trusts"]):
            place = f"{self.last_name()} and {self.last_name()}"
            trusts.append(
                Provider(
                    legal_name=f"{place} Community Health NHS Trust{PROVIDER_MARKER}",
                    trading_name=f"{place} Community Health",
                    kind=Provider.Kind.NHS_TRUST,
                    status=Provider.Status.ACTIVE,
                    nhs_ods_code=f"Z{n + 1:04d}",
                    town=self.district_names[self.district()],
                    contact_email=f"contracts{n + 1:04d}@nhs.synthetic.invalid",
                    employs_staff=True,
                    has_safeguarding_policy=True,
                    created_at=_at(date(2020, 1, 6)),
                )
            )
        self.insert(Provider, trusts)
        self.users(
            [
                (f"trust{n + 1:04d}{USER_DOMAIN}", self.first_name(), self.last_name(), t.pk)
                for n, t in enumerate(trusts)
            ],
            Role.PROVIDER,
        )
        core = [
            self.therapy_pk[c] for c in ("speech-language", "occupational", "physiotherapy") if c in self.therapy_pk
        ]
        core = core or list(self.therapy_code)[:3]
        contracts, therapies, districts, years, posts, annuals = [], [], [], [], [], []
        self.nhs_contracts: list[_NhsContract] = []
        seq = 0
        current_fy = FinancialYear.of(as_of).start_year
        for trust in trusts:
            start = date(rng.choice([2020, 2021]), 4, 1)
            end = date(current_fy + rng.choice([3, 4]), 3, 31)
            terms = [(start, end, Contract.Status.ACTIVE)]
            if rng.random() < 0.6:
                terms.append((date(start.year - 3, 4, 1), start - timedelta(days=1), Contract.Status.EXPIRED))
            for begin, finish, status in terms:
                seq += 1
                covered = core[:1] + [t for t in core[1:] if rng.random() < 0.8]
                annual = self.money(800_000, 6_000_000, 1000)
                contract = Contract(
                    reference=f"{SYN}C-{seq:05d}",
                    title=f"Integrated children's therapy service ({trust.trading_name})",
                    description="Speech and language, occupational therapy and physiotherapy for children with plans.",
                    supplier_id=trust.pk,
                    kind=Contract.Kind.INTEGRATED_THERAPY,
                    procurement_route_id=self.routes.get(
                        rng.choice(["psr-direct-a", "psr-direct-c", "psr-most-suitable"])
                    ),
                    key_decision_number=f"SYN/{begin.year % 100:02d}/{seq:05d}",
                    start_date=begin,
                    end_date=finish,
                    extension_months_available=24,
                    extension_months_used=0,
                    status=status,
                    signed_on=None if rng.random() < 0.05 else begin - timedelta(days=rng.randint(10, 60)),
                    joint_commissioners="The integrated care board",
                    funding_source=rng.choice([Contract.FundingSource.NHS, Contract.FundingSource.POOLED]),
                )
                contracts.append(contract)
                annuals.append(annual)
                therapies.append(covered)
                districts.append(sorted(rng.sample(self.districts, min(len(self.districts), rng.randint(4, 13)))))
        for _ in range(self.planned["other_contracts"]):
            seq += 1
            supplier = rng.choice(self.therapy_providers)
            begin = self.date_between(date(2019, 4, 1), as_of + timedelta(days=60)).replace(day=1)
            finish = add_months(begin, 12 * rng.randint(2, 5)) - timedelta(days=1)
            route = rng.choice(
                ["pcr-light-touch", "pcr-open", "waiver", "spot-purchase", "pa2023-open", "dynamic-market"]
            )
            capped = route in ("waiver", "spot-purchase")
            years_long = len(financial_years_between(begin, finish))
            annual = self.money(20_000, 600_000 // years_long if capped else 600_000, 500)
            if begin > as_of:
                status = Contract.Status.DRAFT
            elif finish < as_of:
                status = Contract.Status.EXPIRED
            else:
                status = Contract.Status.TERMINATED if rng.random() < 0.05 else Contract.Status.ACTIVE
            available = rng.choice([0, 12, 24])
            contracts.append(
                Contract(
                    reference=f"{SYN}C-{seq:05d}",
                    title=f"{self.therapy_name[supplier.therapies[0]]} service for children with plans",
                    supplier_id=supplier.pk,
                    kind=rng.choice([Contract.Kind.BLOCK, Contract.Kind.POOLED_SERVICE, Contract.Kind.CALL_OFF]),
                    procurement_route_id=self.routes.get(route),
                    key_decision_number=f"SYN/{begin.year % 100:02d}/{seq:05d}" if not capped else "",
                    start_date=begin,
                    end_date=finish,
                    extension_months_available=available,
                    extension_months_used=rng.choice([0, available]),
                    status=status,
                    signed_on=None if status == Contract.Status.DRAFT or rng.random() < 0.1 else begin,
                    funding_source=rng.choice(
                        [
                            Contract.FundingSource.HIGH_NEEDS,
                            Contract.FundingSource.GENERAL_FUND,
                            Contract.FundingSource.POOLED,
                        ]
                    ),
                    budget_envelope=annual * years_long if rng.random() < 0.5 else None,
                )
            )
            annuals.append(annual)
            therapies.append(supplier.therapies[:1])
            districts.append(list(supplier.districts))
        self.insert(Contract, contracts)
        through_t, through_d = Contract.therapy_types.through, Contract.districts.through
        self.insert(
            through_t,
            [
                through_t(contract_id=c.pk, therapytype_id=t)
                for c, ts in zip(contracts, therapies, strict=True)
                for t in ts
            ],
            returning=False,
        )
        self.insert(
            through_d,
            [
                through_d(contract_id=c.pk, district_id=d)
                for c, ds in zip(contracts, districts, strict=True)
                for d in ds
            ],
            returning=False,
        )
        returns = []
        for contract, annual, covered, localities in zip(contracts, annuals, therapies, districts, strict=True):
            years.extend(self.contract_years(contract, annual))
            if contract.kind != Contract.Kind.INTEGRATED_THERAPY:
                continue
            if contract.status == Contract.Status.ACTIVE:
                self.nhs_contracts.append(
                    _NhsContract(contract.pk, contract.supplier_id, contract.start_date, contract.end_date, covered)
                )
            for t in covered:
                for locality in rng.sample(localities, min(2, len(localities))):
                    posts.append(
                        FundedPost(
                            contract=contract,
                            therapist_type=PROFESSION.get(self.therapy_code[t], "Therapist"),
                            locality=self.district_names[locality],
                            percent_funded=Decimal(rng.choice([50, 75, 100])),
                            fte=Decimal(rng.randint(2, 16)) / 4,
                        )
                    )
            returns.extend(self.performance_returns(contract, covered, localities))
        self.insert(ContractYear, years, returning=False)
        self.insert(FundedPost, posts, returning=False)
        self.insert(PerformanceReturn, returns, returning=False)
        self.progress(
            self.planned["nhs_trusts"] + self.planned["other_contracts"],
            "Contracts, contract years and NHS performance returns",
        )

    def performance_returns(self, contract: Contract, therapies: list[int], localities: list[int]):
        """Monthly returns for the last three years of the contract's term, per therapy (and locality for some)."""
        rng = self.rng
        last = add_months(month_start(self.as_of), -1)
        first = max(month_start(contract.start_date), add_months(month_start(self.as_of), -36))
        last = min(last, month_start(contract.end_date))
        by_locality = rng.random() < 0.3
        places = [self.district_names[d] for d in localities[:3]] if by_locality else [""]
        rows = []
        for t in therapies:
            for place in places:
                assessment, intervention = rng.randint(40, 400), rng.randint(20, 200)
                caseload = rng.randint(300, 1500)
                for month in months_between(first, last) if first <= last else []:
                    assessment = max(0, assessment + rng.randint(-15, 18))
                    intervention = max(0, intervention + rng.randint(-10, 12))
                    caseload = max(0, caseload + rng.randint(-30, 35))
                    waiting = assessment + intervention
                    over_52 = waiting * rng.randint(0, 12) // 100
                    from_18 = (waiting - over_52) * rng.randint(20, 50) // 100
                    row = _build(
                        PerformanceReturn,
                        contract_id=contract.pk,
                        month=month,
                        therapy_type_id=t,
                        locality=place,
                        referrals_received=rng.randint(15, 160),
                        waiting_assessment=assessment,
                        waiting_assessment_over_12_weeks=assessment * rng.randint(10, 60) // 100,
                        waiting_intervention=intervention,
                        waiting_intervention_over_12_weeks=intervention * rng.randint(10, 60) // 100,
                        waiting_0_18_weeks=waiting - over_52 - from_18,
                        waiting_18_52_weeks=from_18,
                        waiting_over_52_weeks=over_52,
                        caseload=caseload,
                    )
                    if rng.random() < 0.03:
                        row.waiting_intervention = row.waiting_intervention_over_12_weeks = None
                        row.data_quality_note = "Intervention waits not reported this month: system migration."
                    rows.append(row)
        return rows

    # Block contracts for school places ----------------------------------------------------------

    def make_block_contracts(self) -> None:
        rng, as_of = self.rng, self.as_of
        candidates = [s for s in self.schools if s.lots]
        blocks = []
        for n in range(self.planned["block_contracts"]):
            school = rng.choice(candidates)
            start = date(as_of.year - rng.randint(1, 3), 9, 1)
            end = date(start.year + rng.randint(3, 5), 8, 31)
            places = rng.randint(12, 30)
            band = school.bands.get("day") or school.bands.get("residential")
            blocks.append(
                BlockContract(
                    reference=f"{SYN}BC-{n + 1:05d}",
                    school_id=school.pk,
                    places=places,
                    annual_fee=round_to_penny(sum(band) * places * Decimal("0.9")),
                    start_date=start,
                    end_date=end,
                    decision_reference=f"SYN/{start.year % 100:02d}/B{n + 1:04d}",
                )
            )
        self.insert(BlockContract, blocks)
        slots = [int(b.places * 0.85) for b in blocks]
        total = min(sum(slots), round(0.1 * self.planned["school_placements"]))
        self.blocks = [
            _Block(b.pk, next(s for s in candidates if s.pk == b.school_id), b.start_date, b.end_date, b.places, n)
            for b, n in zip(blocks, _apportion(total, slots), strict=True)
        ]
        self.block_slots = [block for block in self.blocks for _ in range(block.slots)]
        self.rng.shuffle(self.block_slots)
        self.block_share = len(self.block_slots) / max(1, self.planned["school_placements"])

    # Children, a chunk at a time ----------------------------------------------------------------

    def make_chunk(self, a: int, b: int) -> None:
        planned, children_total = self.planned, self.planned["children"]

        def share(key: str) -> int:
            return planned[key] * b // children_total - planned[key] * a // children_total

        size = b - a
        school_count = share("school_placements")
        request_only = round(school_count * 0.15)
        invoices = share("invoices") + self.invoice_deficit
        children = self.write_children(size, school_count, request_only)
        self.progress(size * 3 // 10, "Children")
        provisions, roles = self.write_provisions(children, share("therapy_placements"))
        self.progress(size * 2 // 10, "EHCP provision and the waiting list")
        made = self.write_placements(provisions, roles, invoices)
        self.invoice_deficit = invoices - made
        self.progress(size * 3 // 10, "Therapy placements, invoices, disputes and reviews")
        self.write_school_placements(children)
        self.progress(size - size * 8 // 10, "School placements, requests and offers")

    def fit_birth(self, low: int, high: int, on: date) -> date:
        """A date of birth making the child `low` to `high` years old on `on`."""
        earliest = add_months(on, -12 * (high + 1)) + timedelta(days=1)
        latest = add_months(on, -12 * low)
        return self.date_between(earliest, latest)

    def plan_school(self, route: str) -> _SchoolPlan:
        rng, as_of = self.rng, self.as_of
        if route == "block":
            block = self.block_slots.pop()
            school = block.school
            chosen = rng.choice(school.lots)
            lot = next(lot for lot in self.dps_lots if lot.pk == chosen)
            start = self.date_between(block.start, min(block.end - timedelta(days=90), as_of - timedelta(days=7)))
            end = block.end
            status = SchoolPlacement.Status.ACTIVE if end >= as_of else SchoolPlacement.Status.ENDED
            return _SchoolPlan(lot, school, route, start, end, status, block=block, request_day=start)
        lot = rng.choice([lot for lot in self.dps_lots if self.schools_by_lot.get(lot.pk)])
        school = rng.choice(self.schools_by_lot[lot.pk])
        if route == "request":
            status = rng.choices(
                [PlacementRequest.Status.OPEN, PlacementRequest.Status.DRAFT, PlacementRequest.Status.CANCELLED],
                weights=[50, 20, 30],
            )[0]
            raised = (
                self.date_between(as_of - timedelta(days=10), as_of)
                if status != PlacementRequest.Status.CANCELLED
                else self.date_between(DPS_OPENED + timedelta(days=30), as_of - timedelta(days=30))
            )
            start = raised + timedelta(weeks=rng.randint(8, 16))
            return _SchoolPlan(lot, school, route, start, start, "", request_status=status, request_day=raised)
        if rng.random() < 0.75:
            start = self.date_between(as_of - timedelta(days=5 * 365), as_of - timedelta(days=7))
            end = date(max(as_of.year + (as_of.month > 8), start.year + rng.randint(1, 5)), 8, 31)
            status = SchoolPlacement.Status.ACTIVE
        else:
            start = self.date_between(as_of - timedelta(days=6 * 365), as_of - timedelta(days=365))
            end = self.date_between(start + timedelta(days=180), as_of - timedelta(days=1))
            status = SchoolPlacement.Status.ENDED
        if rng.random() < 0.6:  # most places start with the school year (an earlier day, so the term still fits)
            start = date(start.year if start.month >= 9 else start.year - 1, 9, 1)
        if route == "dps" and start < DPS_OPENED + timedelta(days=60):
            route = "direct"
        request_day = start - timedelta(weeks=rng.randint(8, 16)) if route == "dps" else start
        return _SchoolPlan(lot, school, route, start, end, status, request_day=request_day)

    def write_children(self, size: int, school_count: int, request_only: int) -> list[Child]:
        rng, as_of = self.rng, self.as_of
        placed = rng.sample(range(size), min(size, school_count + request_only))
        plans: dict[int, _SchoolPlan] = {}
        for index, position in enumerate(placed):
            if index >= school_count:
                plans[position] = self.plan_school("request")
            elif self.block_slots and rng.random() < self.block_share * 1.2:  # a little over, to fill the blocks
                plans[position] = self.plan_school("block")
            else:
                plans[position] = self.plan_school("dps" if rng.random() < 0.7 else "direct")
        children = []
        for position in range(size):
            self.ehcp_seq += 1
            plan = plans.get(position)
            if plan:
                need = plan.lot.need
                low = max(plan.lot.age_from, plan.school.age_from)
                high = min(plan.lot.age_to, plan.school.age_to)
                born = self.fit_birth(low, high, plan.request_day)
                status = Child.Status.ACTIVE
            else:
                need = rng.choices(list(self.need_weights), weights=list(self.need_weights.values()))[0]
                born = self.fit_birth(2, 20, as_of)
                status = rng.choices(
                    [Child.Status.ACTIVE, Child.Status.CEASED, Child.Status.MOVED], weights=[92, 6, 2]
                )[0]
            plan_made = self.date_between(max(born + timedelta(days=700), as_of - timedelta(days=7 * 365)), as_of)
            if plan and plan.status == SchoolPlacement.Status.ACTIVE:
                school_name, school_urn = plan.school.name, plan.school.urn
            else:
                school_name = f"{self.last_name()} {rng.choice(MAINSTREAM_WORDS)}"
                school_urn = f"{rng.randint(800_000, 899_999)}"
            child = _build(
                Child,
                first_name=self.first_name(),
                last_name=self.last_name(),
                date_of_birth=born,
                ehcp_reference=f"{SYN}{plan_made.year}-{self.ehcp_seq:07d}",
                pseudonym=self.pseudonym(),
                district_id=self.district(),
                school_name=school_name,
                school_urn=school_urn,
                primary_need_id=need,
                status=status,
                created_at=_at(plan_made),
            )
            child.school_plan = plan
            children.append(child)
        return self.insert(Child, children)

    # Provision and referrals --------------------------------------------------------------------

    def write_provisions(self, children: list[Child], placement_count: int):
        rng, as_of = self.rng, self.as_of
        lines = []  # (child, therapy)
        for child in children:
            how_many = rng.choices([1, 2, 3], weights=[45, 35, 20])[0]
            for therapy in self.weighted_sample(self.therapy_weights(child.primary_need_id), how_many):
                lines.append((child, therapy))
        candidates = [i for i, (child, _) in enumerate(lines) if child.status == Child.Status.ACTIVE]
        chosen = rng.sample(candidates, min(len(candidates), placement_count))
        A, S = Placement.Arrangement, Placement.Status
        roles: dict[int, dict] = {}
        arrangements = [A.QPL_CALL_OFF, A.SPOT_PURCHASE, A.PERSONAL_BUDGET, A.NHS_CONTRACT]
        statuses = [S.ACTIVE, S.ENDED, S.PROPOSED, S.CANCELLED]
        for n, i in enumerate(chosen):
            if n < len(arrangements):  # one of each in every chunk, so even a tiny scale has them all
                arrangement, status = arrangements[n], statuses[n]
            else:
                arrangement = rng.choices(arrangements, weights=[68, 12, 8, 12])[0]
                status = rng.choices(statuses, weights=[45, 35, 8, 12])[0]
            roles[i] = {"arrangement": arrangement, "status": status}
        provisions, referrals = [], []
        floor = as_of - timedelta(days=6 * 365)
        for i, (child, therapy) in enumerate(lines):
            role = roles.get(i)
            unit = Provision.Unit.HOUR if rng.random() < 0.7 else Provision.Unit.SESSION
            frequency = rng.choices(
                [Provision.Frequency.WEEK, Provision.Frequency.HALF_TERM, Provision.Frequency.YEAR],
                weights=[60, 25, 15],
            )[0]
            amount = {
                Provision.Frequency.WEEK: Decimal(rng.choice(["0.5", "0.75", "1", "1", "1.5", "2"])),
                Provision.Frequency.HALF_TERM: Decimal(rng.randint(2, 6)),
                Provision.Frequency.YEAR: Decimal(rng.randint(6, 30)),
            }[frequency]
            weeks = rng.choices([38, 39, 52], weights=[80, 10, 10])[0]
            referral = None
            if role:
                self.plan_placement_term(role)
                wait = timedelta(weeks=rng.randint(0, 40), days=rng.randint(0, 6))
                referred = min(role["start"], as_of) - wait
                start = referred - timedelta(days=rng.randint(0, 90))
                end = None if rng.random() < 0.8 else role["end"] + timedelta(days=rng.randint(0, 365))
                if rng.random() < 0.9:
                    waiting = role["status"] in (Placement.Status.PROPOSED, Placement.Status.CANCELLED)
                    referral = _build(
                        Referral,
                        referred_on=referred,
                        stage=Referral.Stage.AWAITING_INTERVENTION if waiting else Referral.Stage.PLACED,
                        waiting_ended_on=None if waiting else role["start"],
                        created_at=_at(referred),
                    )
            elif child.status == Child.Status.ACTIVE:
                start = self.date_between(floor, as_of)
                end = None if rng.random() < 0.9 else self.date_between(start, as_of + timedelta(days=700))
                pick = rng.random()
                if pick < 0.16:  # still waiting
                    low, high = rng.choices([band for band, _ in WAIT_BANDS], weights=[w for _, w in WAIT_BANDS])[0]
                    referred = as_of - timedelta(days=rng.randint(low * 7, high * 7 - 1))
                    start = min(start, referred - timedelta(days=rng.randint(0, 60)))
                    end = None
                    referral = _build(
                        Referral,
                        referred_on=referred,
                        stage=Referral.Stage.AWAITING_ASSESSMENT
                        if rng.random() < 0.55
                        else Referral.Stage.AWAITING_INTERVENTION,
                        created_at=_at(referred),
                    )
                elif pick < 0.24:  # waited, then closed
                    referral = self.closed_referral(start)
            else:  # the plan has ceased or the child has moved: provision ended
                start = self.date_between(floor, as_of - timedelta(days=60))
                end = self.date_between(start + timedelta(days=30), as_of - timedelta(days=1))
                if rng.random() < 0.3:
                    referral = self.closed_referral(start)
            review = add_months(start, 12)
            while review < as_of - timedelta(days=30):
                review = add_months(review, 12)
            provision = _build(
                Provision,
                child_id=child.pk,
                section=Provision.Section.F if rng.random() < 0.9 else Provision.Section.G,
                therapy_type_id=therapy,
                amount=amount,
                unit=unit,
                frequency=frequency,
                weeks_per_year=weeks,
                start_date=start,
                end_date=end,
                review_date=review if end is None or review <= end else None,
                source=Provision.Source.TRIBUNAL if rng.random() < 0.05 else Provision.Source.PLAN,
                description=rng.choice(PROVISION_TEXT) if rng.random() < 0.3 else "",
            )
            provision.child, provision.role, provision.new_referral = child, role, referral
            provisions.append(provision)
        self.insert(Provision, provisions)
        for provision in provisions:
            if provision.new_referral:
                provision.new_referral.child_id, provision.new_referral.provision_id = provision.child_id, provision.pk
                referrals.append(provision.new_referral)
        self.insert(Referral, referrals)
        return provisions, roles

    def closed_referral(self, provision_start: date) -> Referral | None:
        as_of = self.as_of
        if provision_start >= as_of - timedelta(days=20):
            return None
        referred = self.date_between(provision_start, as_of - timedelta(days=20))
        ended = self.date_between(referred + timedelta(days=14), min(as_of, referred + timedelta(weeks=40)))
        return _build(
            Referral,
            referred_on=referred,
            stage=Referral.Stage.CLOSED,
            waiting_ended_on=ended,
            closed_reason=self.rng.choice(CLOSED_REASONS),
            created_at=_at(referred),
        )

    def plan_placement_term(self, role: dict) -> None:
        rng, as_of = self.rng, self.as_of
        S = Placement.Status
        status = role["status"]
        if status == S.ACTIVE:
            start = self.date_between(max(QPL_FLOOR, as_of - timedelta(days=3 * 365)), as_of - timedelta(days=7))
            end = self.date_between(max(as_of, start + timedelta(days=30)), as_of + timedelta(days=540))
        elif status == S.ENDED:
            start = self.date_between(QPL_FLOOR, as_of - timedelta(days=60))
            end = self.date_between(
                start + timedelta(days=30), min(start + timedelta(days=730), as_of - timedelta(days=1))
            )
        elif status == S.PROPOSED:
            start = self.date_between(as_of - timedelta(days=14), as_of + timedelta(days=60))
            end = add_months(start, rng.randint(6, 12)) - timedelta(days=1)
        else:
            start = self.date_between(QPL_FLOOR, as_of + timedelta(days=30))
            end = add_months(start, rng.randint(6, 12)) - timedelta(days=1)
        role["start"], role["end"] = start, end

    # Therapy placements and what hangs off them -------------------------------------------------

    def units_per_week(self, provision: Provision) -> Decimal:
        F = Provision.Frequency
        if provision.frequency == F.WEEK:
            value = provision.amount
        elif provision.frequency == F.HALF_TERM:
            value = provision.amount * 6 / provision.weeks_per_year
        else:
            value = provision.amount / provision.weeks_per_year
        return max(CENT, value.quantize(CENT, rounding=ROUND_HALF_UP))

    def sample_where(self, pool: Sequence, k: int, accept: Callable[[object], bool]) -> list:
        """Up to `k` distinct members of `pool` that `accept` takes, at random. Draws first, so that the cost
        does not grow with the pool (pools grow with the scale); scans only when draws find too few."""
        if len(pool) <= 4 * k + 8:
            fits = [item for item in pool if accept(item)]
            return self.rng.sample(fits, min(k, len(fits)))
        chosen, tried = [], set()
        for _ in range(4 * k + 8):
            index = self.rng.randrange(len(pool))
            if index not in tried:
                tried.add(index)
                if accept(pool[index]):
                    chosen.append(pool[index])
                    if len(chosen) == k:
                        return chosen
        rest = [item for index, item in enumerate(pool) if index not in tried and accept(item)]
        return chosen + self.rng.sample(rest, min(k - len(chosen), len(rest)))

    def choose_qpl(self, therapy: int, district: int, start: date) -> _TherapyProvider:
        """A provider admitted to the QPL by `start` whose prices then cover the therapy (in the district if any)."""
        for pool in (self.qpl_by_therapy_district.get((therapy, district), []), self.qpl_by_therapy.get(therapy, [])):
            found = self.sample_where(
                pool, 1, lambda p: p.qpl_admitted_on <= start and p.price_on(therapy, "hour", start) is not None
            )
            if found:
                return found[0]
        raise RuntimeError("No QPL provider for a therapy: the guaranteed early members are missing.")

    def write_placements(self, provisions: list[Provision], roles: dict, invoice_target: int) -> int:
        rng, as_of = self.rng, self.as_of
        A, S = Placement.Arrangement, Placement.Status
        placements, budgets, variations = [], [], []
        for provision in provisions:
            role = provision.role
            if not role:
                continue
            arrangement, status, start, end = role["arrangement"], role["status"], role["start"], role["end"]
            child = provision.child
            placement = Placement(
                child_id=child.pk,
                provision_id=provision.pk,
                referral_id=provision.new_referral.pk if provision.new_referral else None,
                arrangement=arrangement,
                start_date=start,
                end_date=end,
                unit=provision.unit,
                units_per_week=self.units_per_week(provision),
                weeks_per_year=provision.weeks_per_year,
                status=status,
                created_at=_at(min(as_of, start - timedelta(days=rng.randint(14, 45)))),
                created_by_id=self.officer(),
            )
            placement.view = None
            if arrangement == A.QPL_CALL_OFF:
                view = self.choose_qpl(provision.therapy_type_id, child.district_id, start)
                placement.provider_id, placement.membership_id, placement.view = view.pk, view.membership_pk, view
                placement.rate = view.price_on(provision.therapy_type_id, provision.unit, start)
            elif arrangement == A.SPOT_PURCHASE:
                therapy = provision.therapy_type_id
                offering = self.sample_where(self.off_qpl, 1, lambda p, t=therapy: t in p.therapies)
                view = offering[0] if offering else rng.choice(self.off_qpl)
                placement.provider_id, placement.view = view.pk, view
                placement.rate = self.money(70, 125)
                reason = rng.choice(list(SPOT_DETAIL))
                placement.spot_reason, placement.spot_reason_detail = reason, SPOT_DETAIL[reason]
            elif arrangement == A.NHS_CONTRACT:
                fits = [c for c in self.nhs_contracts if c.start <= start and end <= c.end]
                contract = rng.choice([c for c in fits if provision.therapy_type_id in c.therapies] or fits)
                placement.contract_id, placement.provider_id, placement.rate = contract.pk, contract.supplier_pk, ZERO
            if status in (S.ACTIVE, S.ENDED):
                self.po_seq += 1
                placement.purchase_order = f"PO{self.po_seq:08d}"
            if status == S.ENDED:
                placement.end_reason = rng.choice([r for r in Placement.EndReason if r])
            if provision.review_date and start <= provision.review_date <= end:
                placement.review_due_on = provision.review_date
            else:
                placement.review_due_on = min(add_months(start, 6), end)
            if arrangement == A.PERSONAL_BUDGET:
                signed = start - timedelta(days=rng.randint(0, 30))
                yearly = placement.units_per_week * placement.weeks_per_year * self.money(55, 80)
                amount = max(Decimal("100.00"), _pounds(yearly * ((end - start).days + 1) / 365 / 10) * 10)
                budget = PersonalBudget(
                    amount=amount, signed_on=signed, review_on=add_months(signed, rng.choice([6, 12]))
                )
                placement.review_due_on = budget.review_on
                placement.personal_budget = budget  # cached on the placement, for the cost below
                budgets.append((placement, budget))
            placement.variation_list = []
            if placement.rate and status in (S.ACTIVE, S.ENDED) and rng.random() < 0.06 and (end - start).days > 60:
                effective = self.date_between(start + timedelta(days=30), end)
                variation = PlacementVariation(
                    effective_from=effective,
                    rate=_pounds(placement.rate * (Decimal(1) + Decimal(rng.randint(25, 60)) / 1000)),
                    reason="Price review agreed with the provider.",
                    decision_reference=f"SYN/VAR/{self.po_seq:06d}",
                    created_at=_at(min(as_of, effective)),
                    created_by_id=self.officer(),
                )
                placement.variation_list.append(variation)
                variations.append((placement, variation))
            placements.append(placement)
        reviews = self.plan_reviews(placements)
        self.insert(Placement, placements)
        for placement, review in reviews:
            review.placement_id = placement.pk
        self.insert(Review, [r for _, r in reviews], returning=False)
        for placement, budget in budgets:
            budget.placement_id = placement.pk
        for placement, variation in variations:
            variation.placement_id = placement.pk
        self.insert(PersonalBudget, [b for _, b in budgets], returning=False)
        self.insert(PlacementVariation, [v for _, v in variations], returning=False)
        commitments = [
            _build(PlacementCommitment, placement_id=p.pk, financial_year=year.start_year, amount=amount)
            for p in placements
            for year, amount in sorted(placement_cost_by_year(p, variations=p.variation_list).items())
        ]
        self.insert(PlacementCommitment, commitments, returning=False)
        return self.write_invoices(placements, invoice_target)

    def plan_reviews(self, placements: list[Placement]) -> list[tuple[Placement, Review]]:
        """One review six months in, where that has happened; it sets the next review date, as `review_record` does."""
        rng, as_of = self.rng, self.as_of
        S, D = Placement.Status, Review.Decision
        reviews = []
        for p in placements:
            if p.status not in (S.ACTIVE, S.ENDED):
                continue
            stopped = p.status == S.ENDED and p.end_reason == Placement.EndReason.REVIEW_STOPPED
            held = add_months(p.start_date, 6) + timedelta(days=rng.randint(-14, 14))
            if stopped:
                held = min(held, p.end_date)
            if held > min(as_of, p.end_date) or held < p.start_date:
                continue
            decision = D.STOP if stopped else rng.choices([D.CONTINUE, D.CHANGE], weights=[85, 15])[0]
            following = None if stopped else add_months(held, 6)
            reviews.append(
                (
                    p,
                    Review(
                        held_on=held,
                        outcomes=rng.choice(REVIEW_OUTCOMES),
                        effectiveness=rng.choices(list(Review.Effectiveness), weights=[60, 30, 10])[0],
                        decision=decision,
                        next_review_on=following,
                        recorded_by_id=self.officer(),
                        recorded_at=_at(held, 15),
                    ),
                )
            )
            if p.status == S.ACTIVE or stopped:
                p.review_due_on = following
        return reviews

    def write_invoices(self, placements: list[Placement], target: int) -> int:
        rng, as_of = self.rng, self.as_of
        A, S, V = Placement.Arrangement, Placement.Status, Invoice.Status
        billable = [
            p
            for p in placements
            if p.status in (S.ACTIVE, S.ENDED) and p.arrangement != A.NHS_CONTRACT and p.start_date < as_of
        ]
        last_days = [min(p.end_date, as_of - timedelta(days=1)) for p in billable]
        days = [(last - p.start_date).days + 1 for p, last in zip(billable, last_days, strict=True)]
        parts = _apportion(min(target, sum(days)), days)
        invoices, disputes = [], []
        for p, last, count in zip(billable, last_days, parts, strict=True):
            view = p.view
            budget = getattr(p, "personal_budget", None) if p.arrangement == A.PERSONAL_BUDGET else None
            term_days = (p.end_date - p.start_date).days + 1
            for k, (period_start, period_end) in enumerate(_split(p.start_date, last, count) if count else [], 1):
                period_days = (period_end - period_start).days + 1
                full = p.units_per_week * p.weeks_per_year * period_days / 364
                delivered = full if rng.random() < 0.85 else full * Decimal(rng.randint(50, 95)) / 100
                units = (delivered / QUARTER).quantize(Decimal(1), rounding=ROUND_HALF_UP) * QUARTER
                if budget is not None:
                    number = f"PB-{k:04d}"
                    expected, amount = None, _pounds(budget.amount * period_days / term_days)
                else:
                    view.invoices += 1
                    number = f"INV-{view.invoices:06d}"
                    rate = placement_rate_on(p, period_start, p.variation_list)
                    expected = round_to_penny(units * rate)
                    amount = expected
                note = ""
                if expected is not None and rng.random() < 0.03:
                    amount = _pounds(expected * Decimal(rng.choice([90, 105, 110, 120])) / 100)
                    note = (
                        f"The amount, £{amount:,.2f}, is not {units.normalize():f} units at "
                        f"£{rate:,.2f} (£{expected:,.2f})."
                    )
                submitted = period_end + timedelta(days=min(rng.randint(1, 12), (as_of - period_end).days))
                recent = (as_of - period_end).days < 45
                status = rng.choices(
                    [V.SUBMITTED, V.APPROVED, V.DISPUTED, V.REJECTED, V.PAID],
                    weights=[50, 35, 10, 5, 0] if recent else [3, 4, 3, 2, 88],
                )[0]
                invoice = _build(
                    Invoice,
                    placement_id=p.pk,
                    provider_id=p.provider_id,
                    number=number,
                    period_start=period_start,
                    period_end=period_end,
                    units_delivered=units,
                    amount=amount,
                    expected_amount=expected,
                    has_discrepancy=bool(note),
                    discrepancy_note=note,
                    status=status,
                    submitted_at=_at(submitted, 9 + k % 8),
                    submitted_by_id=view.user_pk if view else self.officer(),
                )
                if status != V.SUBMITTED:
                    decided = min(as_of, submitted + timedelta(days=rng.randint(1, 14)))
                    invoice.decided_at, invoice.decided_by_id = _at(decided, 14), self.officer()
                    if note and status in (V.APPROVED, V.PAID):
                        invoice.decision_note = "Agreed with the provider: extra sessions in the holidays."
                    if status == V.PAID:
                        paid = decided + timedelta(days=rng.randint(5, 30))
                        if paid > as_of:
                            invoice.status = V.APPROVED
                        else:
                            self.payment_seq += 1
                            invoice.paid_on, invoice.payment_reference = paid, f"BACS-{self.payment_seq:09d}"
                    if status == V.REJECTED:
                        invoice.decision_note = "The sessions invoiced were not delivered."
                    if status == V.DISPUTED or (status in (V.REJECTED, V.PAID) and rng.random() < 0.04):
                        category = rng.choice(list(Dispute.Category))
                        resolved = (
                            None if status == V.DISPUTED else min(as_of, decided + timedelta(days=rng.randint(5, 40)))
                        )
                        dispute = _build(
                            Dispute,
                            placement_id=p.pk,
                            category=category,
                            description=DISPUTE_TEXT[category],
                            raised_on=decided,
                            raised_by_id=self.officer(),
                            resolved_on=resolved,
                            resolved_by_id=self.officer() if resolved else None,
                            outcome="Settled with the provider; the invoice corrected." if resolved else "",
                        )
                        dispute.invoice = invoice
                        disputes.append(dispute)
                invoices.append(invoice)
        self.insert(Invoice, invoices)
        for dispute in disputes:
            dispute.invoice_id = dispute.invoice.pk
        for p in billable:  # a few disputes about the placement itself, not an invoice
            if rng.random() < 0.03:
                raised = self.date_between(p.start_date, min(p.end_date, as_of))
                resolved = self.date_between(raised, as_of) if rng.random() < 0.6 else None
                disputes.append(
                    _build(
                        Dispute,
                        placement_id=p.pk,
                        category=Dispute.Category.QUALITY,
                        description=DISPUTE_TEXT[Dispute.Category.QUALITY],
                        raised_on=raised,
                        raised_by_id=self.officer(),
                        resolved_on=resolved,
                        resolved_by_id=self.officer() if resolved else None,
                        outcome="The provider has changed the therapist." if resolved else "",
                    )
                )
        self.insert(Dispute, disputes, returning=False)
        return len(invoices)

    # School places: requests, invitations, offers, awards, placements and uplifts ---------------

    def write_school_placements(self, children: list[Child]) -> None:
        rng, now = self.rng, _at(self.as_of, 18)
        R = PlacementRequest.Status
        requests, placements = [], []
        for child in children:
            plan = child.school_plan
            if plan is None:
                continue
            if plan.route in ("dps", "request"):
                self.request_seq += 1
                raised = plan.request_day
                status = R.AWARDED if plan.route == "dps" else plan.request_status
                quality = rng.choice([60, 70, 50])
                deadline = _at(raised + timedelta(days=14), 17)
                published = None if status == R.DRAFT else _at(raised + timedelta(days=1))
                request = PlacementRequest(
                    reference=f"{SYN}PR-{self.request_seq:07d}",
                    child_id=child.pk,
                    lot_id=plan.lot.pk,
                    child_age=_age_on(child.date_of_birth, raised),
                    primary_need_id=plan.lot.need,
                    needs_summary=rng.choice(NEEDS_SUMMARY),
                    setting=plan.lot.setting,
                    required_start=plan.start,
                    deadline=deadline,
                    quality_weight=quality,
                    price_weight=100 - quality,
                    status=status,
                    raised_by_id=self.officer(),
                    created_at=_at(raised),
                    published_at=published,
                    awarded_at=_at(raised + timedelta(days=rng.randint(17, 24))) if status == R.AWARDED else None,
                )
                request.awarded_by_id = self.officer() if status == R.AWARDED else None
                request.plan, request.child = plan, child
                requests.append(request)
            else:
                placements.append(self.school_placement(child, plan))
        self.insert(PlacementRequest, requests)
        invitations, offers = [], []
        for request in requests:
            if request.status == R.DRAFT:
                continue
            plan = request.plan
            others = self.sample_where(
                self.schools_by_lot[plan.lot.pk],
                rng.randint(1, 5),
                lambda s, plan=plan, age=request.child_age: s is not plan.school and s.takes(plan.lot, age),
            )
            invited = [plan.school, *others]
            request.offers_made = []
            for school in invited:
                winner = school is plan.school and request.status == R.AWARDED
                if winner:
                    response = Invitation.Status.OFFERED
                else:
                    response = rng.choices(
                        [Invitation.Status.OFFERED, Invitation.Status.DECLINED, Invitation.Status.INVITED],
                        weights=[50, 30, 20],
                    )[0]
                responded = request.published_at + timedelta(days=rng.randint(1, 12))
                if responded > now:  # an open request: this school has not answered yet
                    response = Invitation.Status.INVITED
                invitation = _build(
                    Invitation,
                    request_id=request.pk,
                    school_id=school.pk,
                    status=response,
                    invited_at=request.published_at,
                    invited_by_id=request.raised_by_id,
                    responded_at=None if response == Invitation.Status.INVITED else responded,
                    declined_reason="No place available for the start date."
                    if response == Invitation.Status.DECLINED
                    else "",
                )
                invitations.append(invitation)
                if response == Invitation.Status.OFFERED:
                    education, care, therapy = school.bands.get(plan.lot.setting) or next(iter(school.bands.values()))
                    spread = Decimal(rng.randint(90, 115)) / 100
                    scored = request.status == R.AWARDED
                    offer = _build(
                        Offer,
                        request_id=request.pk,
                        education_fee=_pounds(education * spread),
                        care_fee=_pounds(care * spread),
                        therapy_fee=_pounds(therapy * spread),
                        weeks=38 if plan.lot.setting == "day" else 52,
                        start_date=plan.start,
                        place_confirmed=rng.random() < 0.8,
                        quality_statement=QUALITY_STATEMENT,
                        status=Offer.Status.SUBMITTED,
                        submitted_at=responded,
                        submitted_by_id=school.user_pk,
                        quality_score=rng.randint(40, 95) if scored else None,
                        quality_reason="Meets the needs described; strong therapy offer." if scored else "",
                        scored_by_id=self.officer() if scored else None,
                        scored_at=request.deadline + timedelta(days=2) if scored else None,
                    )
                    offer.invitation, offer.winner = invitation, winner
                    offers.append(offer)
                    request.offers_made.append(offer)
        self.insert(Invitation, invitations)
        for offer in offers:
            offer.invitation_id = offer.invitation.pk
            if offer.winner:
                offer.status = Offer.Status.AWARDED
            elif offer.quality_score is not None:
                offer.status = Offer.Status.UNSUCCESSFUL
        self.insert(Offer, offers)
        for request in requests:
            if request.status != R.AWARDED:
                continue
            offer = next(o for o in request.offers_made if o.winner)
            placements.append(self.school_placement(request.child, request.plan, request=request, offer=offer))
        self.insert(SchoolPlacement, placements)
        uplifts, commitments = [], []
        for placement in placements:
            for uplift in placement.uplift_list:
                uplift.placement_id = placement.pk
                uplifts.append(uplift)
            for year, amount in sorted(school_placement_cost_by_year(placement, uplifts=placement.uplift_list).items()):
                commitments.append(
                    _build(
                        SchoolPlacementCommitment,
                        placement_id=placement.pk,
                        financial_year=year.start_year,
                        amount=amount,
                    )
                )
        self.insert(FeeUplift, uplifts, returning=False)
        self.insert(SchoolPlacementCommitment, commitments, returning=False)

    def school_placement(self, child: Child, plan: _SchoolPlan, request=None, offer=None) -> SchoolPlacement:
        rng, as_of = self.rng, self.as_of
        if offer is not None:
            fees = (offer.education_fee, offer.care_fee, offer.therapy_fee)
            weeks = offer.weeks
        else:
            band = plan.school.bands.get(plan.lot.setting) or next(iter(plan.school.bands.values()))
            fees = tuple(_pounds(v * Decimal(rng.randint(95, 110)) / 100) for v in band)
            weeks = 38 if plan.lot.setting == "day" else 52
        created = request.awarded_at if request is not None else _at(min(plan.start, as_of))
        placement = SchoolPlacement(
            child_id=child.pk,
            school_id=plan.school.pk,
            request_id=request.pk if request is not None else None,
            offer_id=offer.pk if offer is not None else None,
            block_contract_id=plan.block.pk if plan.block else None,
            setting=plan.lot.setting,
            weeks=weeks,
            start_date=plan.start,
            end_date=plan.end,
            education_fee=fees[0],
            care_fee=fees[1],
            therapy_fee=fees[2],
            status=plan.status,
            end_reason=""
            if plan.status == SchoolPlacement.Status.ACTIVE
            else rng.choice(
                [
                    "Moved to a post-16 college.",
                    "Needs now met in a maintained special school.",
                    "Moved out of the area.",
                ]
            ),
            created_at=created,
            created_by_id=self.officer(),
        )
        placement.uplift_list = []
        if rng.random() < 0.35:  # yearly inflationary uplifts, each 1 April within the term
            april = date(plan.start.year + (plan.start.month >= 4), 4, 1)
            while april <= min(plan.end, as_of):
                if april > plan.start:
                    label = FinancialYear(april.year).label
                    placement.uplift_list.append(
                        FeeUplift(
                            effective_from=april,
                            percent=Decimal(rng.randint(150, 600)) / 100,
                            reason=f"Annual inflationary uplift for {label}.",
                            decision_reference=f"SYN/UPL/{april.year}",
                            created_at=_at(april - timedelta(days=20)),
                            created_by_id=self.officer(),
                        )
                    )
                april = date(april.year + 1, 4, 1)
        return placement


# Entry points -----------------------------------------------------------------------------------


def synthetic_data_present() -> bool:
    return (
        Child.objects.filter(ehcp_reference__startswith=SYN).exists()
        or Provider.objects.filter(legal_name__endswith=PROVIDER_MARKER).exists()
        or User.objects.filter(email__endswith=USER_DOMAIN).exists()
    )


def generate(
    *,
    scale: float,
    seed: int,
    as_of: date,
    progress: Callable[[int, str], None] | None = None,
    use_copy: bool = True,
) -> Counter[str]:
    """Write a synthetic data set at `scale` in one transaction; returns rows written per model label.

    The same `seed` and `as_of` give the same data (compare `digest()`), whatever the database.
    """
    if scale <= 0:
        return Counter()
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgresql:
            # Parents are written before children, so foreign keys can be checked as each statement ends,
            # rather than all at commit: the same checks, without a queue of millions of them to work through.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        counts = Generator(scale=scale, seed=seed, as_of=as_of, progress=progress, use_copy=use_copy).run()
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django leaves its foreign keys
    return counts


def progress_total(scale: float) -> int:
    """The units `generate` reports progress in: children, providers and contracts."""
    planned = planned_counts(scale)
    keys = ("children", "therapy_providers", "schools", "nhs_trusts", "other_contracts")
    return sum(planned[key] for key in keys)


def _raw_delete(queryset: models.QuerySet) -> int:
    """One DELETE statement: no signals (so no audit entries), no cascade (callers delete in order)."""
    return queryset._raw_delete(queryset.db)


def flush() -> dict[str, int]:
    """Delete every synthetic row (and only those), children before parents. Returns rows deleted per model."""
    children = Child.objects.filter(ehcp_reference__startswith=SYN)
    providers = Provider.objects.filter(legal_name__endswith=PROVIDER_MARKER)
    contracts = Contract.objects.filter(reference__startswith=SYN)
    users = User.objects.filter(email__endswith=USER_DOMAIN)
    placements = Placement.objects.filter(child__in=children)
    school_placements = SchoolPlacement.objects.filter(child__in=children)
    requests = PlacementRequest.objects.filter(child__in=children)
    memberships = Membership.objects.filter(provider__in=providers)
    steps: list[tuple[type[models.Model], Iterable]] = [
        (Dispute, Dispute.objects.filter(placement__in=placements)),
        (Review, Review.objects.filter(placement__in=placements)),
        (Invoice, Invoice.objects.filter(placement__in=placements)),
        (PlacementCommitment, PlacementCommitment.objects.filter(placement__in=placements)),
        (PlacementVariation, PlacementVariation.objects.filter(placement__in=placements)),
        (PersonalBudget, PersonalBudget.objects.filter(placement__in=placements)),
        (Placement, placements),
        (FeeUplift, FeeUplift.objects.filter(placement__in=school_placements)),
        (SchoolPlacementCommitment, SchoolPlacementCommitment.objects.filter(placement__in=school_placements)),
        (SchoolPlacement, school_placements),
        (Offer, Offer.objects.filter(request__in=requests)),
        (Invitation, Invitation.objects.filter(request__in=requests)),
        (PlacementRequest, requests),
        (BlockContract, BlockContract.objects.filter(reference__startswith=SYN)),
        (Referral, Referral.objects.filter(child__in=children)),
        (Provision, Provision.objects.filter(child__in=children)),
        (Child, children),
        (PerformanceReturn, PerformanceReturn.objects.filter(contract__in=contracts)),
        (ContractYear, ContractYear.objects.filter(contract__in=contracts)),
        (FundedPost, FundedPost.objects.filter(contract__in=contracts)),
        (Contract.therapy_types.through, Contract.therapy_types.through.objects.filter(contract__in=contracts)),
        (Contract.districts.through, Contract.districts.through.objects.filter(contract__in=contracts)),
        (Contract, contracts),
        (PriceLine, PriceLine.objects.filter(schedule__provider__in=providers)),
        (PricingSchedule, PricingSchedule.objects.filter(provider__in=providers)),
        (CapacityDeclaration, CapacityDeclaration.objects.filter(provider__in=providers)),
        (Membership.lots.through, Membership.lots.through.objects.filter(membership__in=memberships)),
        (Membership, memberships),
        (
            SelectionQuestionnaire.lots.through,
            SelectionQuestionnaire.lots.through.objects.filter(selectionquestionnaire__provider__in=providers),
        ),
        (SelectionQuestionnaire, SelectionQuestionnaire.objects.filter(provider__in=providers)),
        (InsurancePolicy, InsurancePolicy.objects.filter(provider__in=providers)),
        (Practitioner, Practitioner.objects.filter(provider__in=providers)),
        (SchoolFeeBand, SchoolFeeBand.objects.filter(provider__in=providers)),
        (Provider.therapy_types.through, Provider.therapy_types.through.objects.filter(provider__in=providers)),
        (Provider.districts.through, Provider.districts.through.objects.filter(provider__in=providers)),
        (
            Provider.needs_catered_for.through,
            Provider.needs_catered_for.through.objects.filter(provider__in=providers),
        ),
        (User.groups.through, User.groups.through.objects.filter(user__in=users)),
        (User.user_permissions.through, User.user_permissions.through.objects.filter(user__in=users)),
        (User, users),
        (Provider, providers),
    ]
    deleted: dict[str, int] = {}
    with transaction.atomic():
        for model, queryset in steps:
            count = _raw_delete(queryset)
            if count:
                deleted[model._meta.label] = count
    return deleted


def digest() -> str:
    """A fingerprint of the synthetic rows that does not depend on primary keys: equal data, equal digest."""
    hasher = hashlib.sha256()

    def feed(rows: Iterable) -> None:
        for row in rows:
            hasher.update(repr(tuple(row)).encode())

    def feed_totals(rows: Iterable) -> None:  # SQLite sums decimals with more places: compare to the penny
        feed((year, round_to_penny(total)) for year, total in rows)

    children = Child.objects.filter(ehcp_reference__startswith=SYN)
    feed(
        children.order_by("ehcp_reference").values_list(
            "ehcp_reference", "pseudonym", "first_name", "last_name", "date_of_birth", "district__ons_code"
        )
    )
    feed(
        Provider.objects.filter(legal_name__endswith=PROVIDER_MARKER)
        .order_by("contact_email")
        .values_list("contact_email", "legal_name", "kind")
    )
    feed(
        Provision.objects.filter(child__in=children)
        .order_by("child__ehcp_reference", "start_date", "therapy_type__code")
        .values_list("child__ehcp_reference", "therapy_type__code", "amount", "start_date", "end_date")
    )
    feed(
        Invoice.objects.filter(placement__child__in=children)
        .order_by("placement__child__ehcp_reference", "placement__provision__therapy_type__code", "period_start")
        .values_list("placement__child__ehcp_reference", "number", "period_start", "amount", "status")
    )
    feed_totals(
        PlacementCommitment.objects.filter(placement__child__in=children)
        .values("financial_year")
        .annotate(total=Sum("amount"))
        .order_by("financial_year")
        .values_list("financial_year", "total")
    )
    feed_totals(
        SchoolPlacementCommitment.objects.filter(placement__child__in=children)
        .values("financial_year")
        .annotate(total=Sum("amount"))
        .order_by("financial_year")
        .values_list("financial_year", "total")
    )
    feed(
        PerformanceReturn.objects.filter(contract__reference__startswith=SYN)
        .order_by("contract__reference", "month", "therapy_type__code", "locality")
        .values_list("contract__reference", "month", "caseload")
    )
    return hasher.hexdigest()
