"""Speed at scale: every report, the main lists and the imports, each timed against the plain SQL that
answers the same question (`manage.py benchmark`; how to run it and read it: docs/benchmarks/README.md).

What is compared with what:

- A report's `build()` (as the monthly schedule runs it, or as an officer for the report that names
  children) against hand-written SQL that produces the same figures: the database's own limit for that
  question. The figures of both are compared, to the penny or to the last place the report shows.
- A list's first page, requested as an officer through the Django test client (pages) or DRF's API client
  (API lists), against the plain SQL for the same rows: the same filter, order and LIMIT, joined to what
  the page shows, and the COUNT the pager needs. The ORM's part on its own (the list's queryset: its count
  and its first page, with what it prefetches) is timed too, and the row ids of both are compared.
- The performance-return CSV import against PostgreSQL COPY of the same file into a scratch table, and a
  batch of invoices submitted one by one through `invoice_submit` (there is no invoice CSV import) against
  COPY of the same rows into the invoice table. Both run inside a transaction that is rolled back.

Each measurement is repeated and the median kept (one untimed run first warms the caches). Nothing here
writes to the data: page requests and imports run inside a transaction that is rolled back at the end.
"""

from __future__ import annotations

import csv
import io
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import django
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone

from contracts.models import Contract
from contracts.services import RETURN_COLUMNS, returns_import
from core.middleware import TWO_FACTOR_SESSION_KEY
from core.models import TherapyType, User
from core.periods import FinancialYear, add_months, month_end, month_start, months_between
from core.roles import Role
from placements.models import Invoice, Placement
from placements.services import invoice_submit
from reporting.definitions import Result, get_definition
from reporting.reports.records_held import OUR_APPS

REPORT_TARGET = Decimal("1.5")  # a report within 1.5x of its plain SQL
LIST_TARGET = Decimal("2")  # a list within 2x of its plain SQL
PAGE_SIZE = 50


# Timing ------------------------------------------------------------------------------------------


@dataclass
class Timing:
    median_ms: float
    runs_ms: list[float]
    result: object = None


def timed(fn: Callable[[], object], repeat: int) -> Timing:
    """`fn` run once untimed (to warm caches), then `repeat` times; the median in milliseconds."""
    fn()
    runs, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        runs.append((time.perf_counter() - started) * 1000)
    return Timing(round(statistics.median(runs), 2), [round(r, 2) for r in runs], result)


def ratio(ours: float, plain: float) -> float | None:
    return round(ours / plain, 2) if plain else None


def within(value: float | None, target: Decimal) -> bool:
    return value is not None and Decimal(str(value)) <= target


class QueryCounter:
    """Counts the statements sent to the database inside a `with` block."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def count_queries(fn: Callable[[], object]) -> int:
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        fn()
    return counter.count


# The machine -------------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _database() -> dict:
    described = {"vendor": connection.vendor}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
            described["version"] = cursor.fetchone()[0]
            for name in ("jit", "shared_buffers", "work_mem", "random_page_cost"):
                cursor.execute(f"SHOW {name}")
                described[name] = cursor.fetchone()[0]
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            described["version"] = f"SQLite {cursor.fetchone()[0]}"
    return described


def machine() -> dict:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": _database(),
    }


# Plain SQL: what differs between PostgreSQL and SQLite -----------------------------------------------


class Dialect:
    """The few expressions hand-written SQL spells differently on PostgreSQL and SQLite."""

    def __init__(self, vendor: str) -> None:
        self.postgresql = vendor == "postgresql"

    def days(self, end: str, start: str) -> str:
        """Whole days from `start` to `end`."""
        if self.postgresql:
            return f"(({end}) - ({start}))"
        return f"CAST(ROUND(julianday({end}) - julianday({start})) AS INTEGER)"

    def greatest(self, *values: str) -> str:
        return f"{'GREATEST' if self.postgresql else 'MAX'}({', '.join(values)})"

    def least(self, *values: str) -> str:
        return f"{'LEAST' if self.postgresql else 'MIN'}({', '.join(values)})"

    def year(self, day: str) -> str:
        return f"EXTRACT(YEAR FROM {day})" if self.postgresql else f"CAST(strftime('%%Y', {day}) AS INTEGER)"

    def month(self, day: str) -> str:
        return f"EXTRACT(MONTH FROM {day})" if self.postgresql else f"CAST(strftime('%%m', {day}) AS INTEGER)"

    def financial_year(self, day: str) -> str:
        return f"(CASE WHEN {self.month(day)} >= 4 THEN {self.year(day)} ELSE {self.year(day)} - 1 END)"

    def exact(self, value: str) -> str:
        """A number SQLite would otherwise divide as an integer (it stores 1.00 as 1)."""
        return f"({value})" if self.postgresql else f"CAST({value} AS REAL)"

    def date(self, value: str) -> str:
        return f"CAST({value} AS DATE)" if self.postgresql else value

    def joined(self, value: str) -> str:
        """Values of a group joined into one text, in order."""
        if self.postgresql:
            return f"string_agg({value}, ', ' ORDER BY {value})"
        return f"group_concat({value}, ', ')"

    def overlap(self, start: str, end: str, period_start: str, period_end: str) -> str:
        """Days (inclusive) that start..end shares with period_start..period_end; 0 when apart."""
        first = self.greatest(self.date(start), self.date(period_start))
        last = self.least(self.date(end), self.date(period_end))
        return self.greatest(f"{self.days(last, first)} + 1", "0")


def _rows(sql: str, params: list | tuple = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _dict_rows(sql: str, params: list | tuple = ()) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# Comparing figures -------------------------------------------------------------------------------


def _number(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _money(value) -> Decimal | None:
    value = _number(value)
    return None if value is None else value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _one_place(value) -> Decimal | None:
    value = _number(value)
    return None if value is None else value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def differences(ours, plain, path: str = "") -> list[str]:
    """Where two figure structures disagree. Numbers agree within one unit of the last place shown (SQLite
    adds decimals as floats, so a half-penny can round either way); whole numbers and text agree exactly."""
    if isinstance(ours, dict) and isinstance(plain, dict):
        found = [f"{path}/{key}: only in one" for key in sorted(set(ours) ^ set(plain), key=str)]
        for key in sorted(set(ours) & set(plain), key=str):
            found += differences(ours[key], plain[key], f"{path}/{key}")
        return found
    if isinstance(ours, list | tuple) and isinstance(plain, list | tuple):
        if len(ours) != len(plain):
            return [f"{path}: {len(ours)} against {len(plain)} rows"]
        found = []
        for index, (a, b) in enumerate(zip(ours, plain, strict=True)):
            found += differences(a, b, f"{path}[{index}]")
        return found
    if isinstance(ours, Decimal) or isinstance(plain, Decimal):
        a, b = _number(ours), _number(plain)
        if a is None or b is None:
            return [] if a == b else [f"{path}: {ours!r} against {plain!r}"]
        unit = Decimal(1).scaleb(min(a.as_tuple().exponent, b.as_tuple().exponent, 0))
        return [] if abs(a - b) <= unit * Decimal("1.01") else [f"{path}: {ours} against {plain}"]
    if isinstance(ours, float) or isinstance(plain, float):
        return [] if abs(float(ours) - float(plain)) < 0.011 else [f"{path}: {ours} against {plain}"]
    return [] if ours == plain else [f"{path}: {ours!r} against {plain!r}"]


def _table(result: dict, key: str) -> dict:
    return next(t for t in result["tables"] if t["key"] == key)


def _summary(result: dict) -> dict:
    return {item["label"]: item["value"] for item in result["summary"]}


# Reports -----------------------------------------------------------------------------------------


@dataclass
class ReportCase:
    """One report: the parameters it runs with, who reads it, and the plain SQL for the same figures."""

    name: str
    kind: str
    plain: Callable[[Dialect, dict], dict]
    figures: Callable[[dict, dict], dict]
    params: Callable[[date], dict] = lambda today: {}
    officer: bool = False
    note: str = ""


def _records_held_plain(d: Dialect, params: dict) -> dict:
    models = [m for m in apps.get_models() if m._meta.app_label in OUR_APPS and not m._meta.auto_created]
    qn = connection.ops.quote_name
    counts = ", ".join(f"(SELECT COUNT(*) FROM {qn(m._meta.db_table)})" for m in models)
    (row,) = _rows(f"SELECT {counts}")
    return {str(m._meta.verbose_name_plural).capitalize(): n for m, n in zip(models, row, strict=True)}


def _records_held_figures(result: dict, params: dict) -> dict:
    return {row["kind"]: row["count"] for row in _table(result, "records")["rows"]}


CONTRACT_FLAGS_SQL = """
SELECT c.reference, c.status, c.signed_on, c.start_date, c.end_date, c.description, c.title,
       s.legal_name AS supplier, s.is_sme, s.is_vcse, r.name AS route,
       COALESCE(v.total, 0) AS total,
       CASE WHEN COALESCE(v.total, 0) > COALESCE(r.key_decision_threshold, 1000000) AND c.key_decision_number = ''
            THEN 1 ELSE 0 END AS needs_key_decision,
       CASE WHEN (r.max_total_value IS NOT NULL AND COALESCE(v.total, 0) > r.max_total_value)
              OR (c.signed_on IS NULL AND c.status IN ('active', 'expired') AND c.start_date <= %s)
              OR (c.budget_envelope IS NOT NULL AND e.n > 0 AND e.total <> c.budget_envelope)
              OR (r.id IS NULL AND c.status <> 'draft')
              OR (COALESCE(v.total, 0) > COALESCE(r.key_decision_threshold, 1000000) AND c.key_decision_number = '')
            THEN 1 ELSE 0 END AS flagged
FROM contracts_contract c
JOIN providers_provider s ON s.id = c.supplier_id
LEFT JOIN contracts_procurementroute r ON r.id = c.procurement_route_id
LEFT JOIN (SELECT contract_id, SUM(value) AS total FROM contracts_contractyear GROUP BY contract_id) v
       ON v.contract_id = c.id
LEFT JOIN (SELECT contract_id, COUNT(*) AS n, SUM(amount) AS total FROM contracts_budgetelement
           GROUP BY contract_id) e ON e.contract_id = c.id
"""


def _contract_register_plain(d: Dialect, params: dict) -> dict:
    on, months = params["as_on"], params.get("ending_within_months") or 6
    rows = _dict_rows(CONTRACT_FLAGS_SQL + " ORDER BY c.reference", [on])
    until = add_months(on, months)
    return {
        "register": [(r["reference"], _money(r["total"]), bool(r["flagged"])) for r in rows],
        "ending": [r["reference"] for r in rows if on <= _day(r["end_date"]) <= until],
        "unsigned": [r["reference"] for r in rows if r["signed_on"] is None],
        "key-decisions": [r["reference"] for r in rows if r["needs_key_decision"]],
    }


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _contract_register_figures(result: dict, params: dict) -> dict:
    register = _table(result, "register")
    return {
        "register": [(r["reference"], _money(r["value"]), bool(r["flag"])) for r in register["rows"]],
        **{
            key: [r["reference"] for r in _table(result, key)["rows"]]
            for key in ("ending", "unsigned", "key-decisions")
        },
    }


def _transparency_contracts_plain(d: Dialect, params: dict) -> dict:
    rows = _dict_rows(
        f"SELECT * FROM ({CONTRACT_FLAGS_SQL}) register WHERE total > 5000 ORDER BY reference", [params["as_on"]]
    )
    return {
        "contracts": [
            (r["reference"], r["supplier"], _sme_vcse(r["is_sme"], r["is_vcse"]), _money(r["total"]), r["route"])
            for r in rows
        ]
    }


def _sme_vcse(sme, vcse) -> str:
    return " and ".join(label for flag, label in ((sme, "SME"), (vcse, "VCSE")) if flag) or "Neither"


def _transparency_contracts_figures(result: dict, params: dict) -> dict:
    return {
        "contracts": [
            (r["reference"], r["supplier"], r["sme_vcse"], _money(r["value"]), r["route"])
            for r in _table(result, "contracts")["rows"]
        ]
    }


OCDS_STATUS = {"draft": "pending", "active": "active", "expired": "terminated", "terminated": "terminated"}


def _ocds_plain(d: Dialect, params: dict) -> dict:
    rows = _dict_rows(
        f"SELECT * FROM ({CONTRACT_FLAGS_SQL}) register WHERE status <> 'draft' ORDER BY reference", [params["as_on"]]
    )
    return {"releases": [(r["reference"], r["supplier"], _money(r["total"]), OCDS_STATUS[r["status"]]) for r in rows]}


def _ocds_figures(result: dict, params: dict) -> dict:
    prefix = len(settings.OCDS_OCID_PREFIX) + 1
    return {
        "releases": [
            (r["ocid"][prefix:], r["supplier"], _money(r["value"]), r["status"])
            for r in _table(result, "releases")["rows"]
        ]
    }


def _compliance_plain(d: Dialect, params: dict) -> dict:
    on, within = params["as_on"], params.get("within_days") or 30
    documents = _rows(
        """
        SELECT p.legal_name, doc.kind, pr.first_name, pr.last_name, MAX(doc.expires_on) AS latest
        FROM providers_compliancedocument doc
        JOIN providers_provider p ON p.id = doc.provider_id
        LEFT JOIN providers_practitioner pr ON pr.id = doc.practitioner_id
        WHERE doc.status = 'verified' AND doc.expires_on IS NOT NULL AND (pr.id IS NULL OR pr.is_active = %s)
        GROUP BY p.legal_name, doc.kind, pr.first_name, pr.last_name
        HAVING MAX(doc.expires_on) <= %s
        """,
        [True, on + timedelta(days=within)],
    )
    suspended = _rows(
        """
        SELECT p.legal_name, l.name, m.suspended_on FROM providers_membership m
        JOIN providers_provider p ON p.id = m.provider_id JOIN providers_providerlist l ON l.id = m.provider_list_id
        WHERE m.status = 'suspended'
        """
    )
    return {
        "documents": sorted(
            (p, kind, " ".join(filter(None, [first, last])), str(_day(latest)))
            for p, kind, first, last, latest in documents
        ),
        "suspended": sorted((p, name, str(_day(since)) if since else None) for p, name, since in suspended),
    }


def _compliance_figures(result: dict, params: dict) -> dict:
    from providers.models import ComplianceDocument

    kinds = {str(label): value for value, label in ComplianceDocument.Kind.choices}
    return {
        "documents": sorted(
            (r["provider"], kinds[r["document"]], r["practitioner"], r["expires"])
            for r in _table(result, "documents")["rows"]
        ),
        "suspended": sorted((r["provider"], r["list"], r["since"]) for r in _table(result, "suspended")["rows"]),
    }


def _coverage_plain(d: Dialect, params: dict) -> dict:
    on = params["as_on"]
    rows = _rows(
        """
        SELECT district, therapy, contracts, providers FROM (
          SELECT dist.name AS district, t.name AS therapy,
            (SELECT COUNT(*) FROM contracts_contract_districts cd
               JOIN contracts_contract c ON c.id = cd.contract_id
               JOIN contracts_contract_therapy_types ct ON ct.contract_id = c.id
              WHERE cd.district_id = dist.id AND ct.therapytype_id = t.id
                AND c.start_date <= %s AND c.end_date >= %s AND c.status <> 'terminated') AS contracts,
            (SELECT COUNT(*) FROM providers_provider_districts pd
               JOIN providers_provider_therapy_types pt ON pt.provider_id = pd.provider_id
              WHERE pd.district_id = dist.id AND pt.therapytype_id = t.id
                AND pd.provider_id IN (
                  SELECT m.provider_id FROM providers_membership m
                  JOIN providers_providerlist l ON l.id = m.provider_list_id
                  WHERE l.kind = 'qpl' AND m.status = 'admitted' AND m.admitted_on <= %s
                    AND (m.left_on IS NULL OR m.left_on >= %s))) AS providers
          FROM core_district dist CROSS JOIN core_therapytype t
          WHERE (dist.valid_from IS NULL OR dist.valid_from <= %s) AND (dist.valid_to IS NULL OR dist.valid_to >= %s)
            AND t.is_active = %s
        ) grid WHERE contracts = 0
        """,
        [on, on, on, on, on, on, True],
    )
    return {"gaps": sorted((a, b, c, p, "Gap" if not p else "No contract") for a, b, c, p in rows)}


def _coverage_figures(result: dict, params: dict) -> dict:
    rows = _table(result, "gaps")["rows"]
    return {"gaps": sorted((r["district"], r["therapy"], r["contracts"], r["providers"], r["gap"]) for r in rows)}


def _spend_plain(d: Dialect, params: dict) -> dict:
    from reporting.reports.spend import CODE_LABELS

    rows = _rows(
        f"""
        SELECT 'committed', pc.financial_year, p.arrangement, SUM(pc.amount)
          FROM placements_placementcommitment pc JOIN placements_placement p ON p.id = pc.placement_id
         GROUP BY pc.financial_year, p.arrangement
        UNION ALL
        SELECT 'committed', sc.financial_year, 'school_placement', SUM(sc.amount)
          FROM placements_schoolplacementcommitment sc GROUP BY sc.financial_year
        UNION ALL
        SELECT 'committed', cy.financial_year, 'contract', SUM(cy.value)
          FROM contracts_contractyear cy JOIN contracts_contract c ON c.id = cy.contract_id
         WHERE c.status <> 'draft' GROUP BY cy.financial_year
        UNION ALL
        SELECT 'actual', {d.financial_year("i.period_end")}, p.arrangement, SUM(i.amount)
          FROM placements_invoice i JOIN placements_placement p ON p.id = i.placement_id
         WHERE i.status IN ('approved', 'paid') GROUP BY 2, 3
        """
    )
    cells: dict[tuple, dict] = {}
    for measure, fy, arrangement, total in rows:
        cell = cells.setdefault((int(fy), arrangement), {"committed": Decimal(0), "actual": Decimal(0)})
        cell[measure] += _number(total)
    years = sorted({fy for fy, _ in cells})
    labels = CODE_LABELS["arrangement"]
    by_year, breakdown = [], []
    for fy in years:
        mine = {a: c for (y, a), c in cells.items() if y == fy}
        spot = mine.get(Placement.Arrangement.SPOT_PURCHASE, {"committed": Decimal(0), "actual": Decimal(0)})
        by_year.append(
            (
                FinancialYear(fy).label,
                _money(sum(c["committed"] for c in mine.values())),
                _money(sum(c["actual"] for c in mine.values())),
                _money(spot["committed"]),
                _money(spot["actual"]),
            )
        )
        for arrangement in sorted(mine, key=lambda a: str(labels.get(a, a)).lower()):
            c = mine[arrangement]
            breakdown.append(
                (
                    FinancialYear(fy).label,
                    str(labels.get(arrangement, arrangement)),
                    _money(c["committed"]),
                    _money(c["actual"]),
                )
            )
    return {
        "years": by_year,
        "total": (_money(sum(y[1] for y in by_year)), _money(sum(y[2] for y in by_year))),
        "breakdown": breakdown,
    }


def _spend_figures(result: dict, params: dict) -> dict:
    years = _table(result, "years")
    return {
        "years": [
            (
                r["year"],
                _money(r["committed"]),
                _money(r["actual"]),
                _money(r["committed_off_qpl"]),
                _money(r["actual_off_qpl"]),
            )
            for r in years["rows"]
        ],
        "total": (_money(years["footer"]["committed"]), _money(years["footer"]["actual"])),
        "breakdown": [
            (r["year"], r["d0"], _money(r["committed"]), _money(r["actual"]))
            for r in _table(result, "breakdown")["rows"]
        ],
    }


def _assurance_lines_sql(d: Dialect) -> str:
    """Each plan line in force over the period with the units specified, commissioned and delivered: the
    placements and invoices are each grouped once and joined, rather than looked up line by line."""
    specified = (
        "CASE pr.frequency WHEN 'week' THEN pr.amount * pr.weeks_per_year WHEN 'half_term' THEN pr.amount * 6 "
        "ELSE pr.amount END"
    )
    line_days = d.overlap("pr.start_date", "COALESCE(pr.end_date, %(end)s)", "%(start)s", "%(end)s")
    placement_days = d.overlap("p.start_date", "p.end_date", "%(start)s", "%(end)s")
    invoice_days = d.overlap("i.period_start", "i.period_end", "%(start)s", "%(end)s")
    length = f"({d.days('i.period_end', 'i.period_start')} + 1)"
    return f"""
    lines AS (
      SELECT pr.id, pr.child_id, pr.therapy_type_id, pr.unit,
             {d.exact(specified)} * {line_days} / 365 AS specified
        FROM placements_provision pr
       WHERE pr.start_date <= %(end)s AND (pr.end_date IS NULL OR pr.end_date >= %(start)s)
    ),
    commissioned AS (
      SELECT p.provision_id, p.unit,
             SUM({d.exact("p.units_per_week")} * p.weeks_per_year * {placement_days} / 365) AS units
        FROM placements_placement p WHERE p.status IN ('active', 'ended')
       GROUP BY p.provision_id, p.unit
    ),
    delivered AS (
      SELECT p.provision_id, p.unit, SUM({d.exact("i.units_delivered")} * {invoice_days} / {length}) AS units
        FROM placements_invoice i JOIN placements_placement p ON p.id = i.placement_id
       WHERE i.status IN ('approved', 'paid') AND i.period_start <= %(end)s AND i.period_end >= %(start)s
       GROUP BY p.provision_id, p.unit
    ),
    figures AS (
      SELECT l.id, l.child_id, l.therapy_type_id, l.specified,
             COALESCE(c.units, 0) AS commissioned, COALESCE(dl.units, 0) AS delivered
        FROM lines l
        LEFT JOIN commissioned c ON c.provision_id = l.id AND c.unit = l.unit
        LEFT JOIN delivered dl ON dl.provision_id = l.id AND dl.unit = l.unit
    )"""


def _assurance_plain(d: Dialect, params: dict, *, children: bool) -> dict:
    start, end = params["period_from"], params["period_to"]
    share = params["threshold"] / 100
    values = {"start": start, "end": end, "share": share}
    short = "specified > 0 AND specified - delivered > specified * %(share)s"
    groups = _rows(
        f"""
        WITH {_assurance_lines_sql(d)},
        by_child AS (
          SELECT f.child_id, c.district_id, SUM(f.specified) AS specified, SUM(f.delivered) AS delivered
            FROM figures f JOIN placements_child c ON c.id = f.child_id GROUP BY f.child_id, c.district_id
        ),
        by_child_therapy AS (
          SELECT child_id, therapy_type_id, SUM(specified) AS specified, SUM(delivered) AS delivered
            FROM figures GROUP BY child_id, therapy_type_id
        )
        SELECT 'district', dist.name, COUNT(*), SUM(specified - delivered)
          FROM by_child JOIN core_district dist ON dist.id = by_child.district_id WHERE {short} GROUP BY dist.name
        UNION ALL
        SELECT 'therapy', t.name, COUNT(*), SUM(specified - delivered)
          FROM by_child_therapy b JOIN core_therapytype t ON t.id = b.therapy_type_id WHERE {short} GROUP BY t.name
        UNION ALL
        SELECT 'short', NULL, COUNT(*), SUM(specified - delivered) FROM by_child WHERE {short}
        UNION ALL
        SELECT 'in_scope', NULL, COUNT(*), NULL FROM by_child
        """,
        values,
    )
    figures = {
        "by-district": sorted((name, n, _one_place(units)) for kind, name, n, units in groups if kind == "district"),
        "by-therapy": sorted((name, n, _one_place(units)) for kind, name, n, units in groups if kind == "therapy"),
    }
    totals = {kind: (n, units) for kind, _, n, units in groups if kind in ("short", "in_scope")}
    figures["summary"] = (totals["in_scope"][0], totals["short"][0], _one_place(totals["short"][1] or 0))
    if children:
        rows = _rows(
            f"""
            WITH {_assurance_lines_sql(d)}
            SELECT c.ehcp_reference, COUNT(*), SUM(f.specified), SUM(f.commissioned), SUM(f.delivered),
                   SUM(f.specified) - SUM(f.delivered)
              FROM figures f JOIN placements_child c ON c.id = f.child_id
             GROUP BY f.child_id, c.ehcp_reference, c.last_name, c.first_name
            HAVING SUM(f.specified) > 0 AND SUM(f.specified) - SUM(f.delivered) > SUM(f.specified) * %(share)s
             ORDER BY SUM(f.specified) - SUM(f.delivered) DESC, c.last_name, c.first_name, f.child_id
            """,
            values,
        )
        figures["children"] = [
            (ref, n, _one_place(s), _one_place(c), _one_place(dl), _one_place(gap)) for ref, n, s, c, dl, gap in rows
        ]
    return figures


def _assurance_figures(result: dict, params: dict) -> dict:
    summary = list(_summary(result).values())
    figures = {
        key: sorted(
            (r["district" if key == "by-district" else "therapy"], r["children"], _one_place(r["shortfall"]))
            for r in _table(result, key)["rows"]
        )
        for key in ("by-district", "by-therapy")
    }
    figures["summary"] = (summary[0], summary[1], _one_place(summary[2]))
    if any(t["key"] == "children" for t in result["tables"]):
        figures["children"] = [
            (
                r["ehcp_reference"],
                r["lines"],
                _one_place(r["specified"]),
                _one_place(r["commissioned"]),
                _one_place(r["delivered"]),
                _one_place(r["shortfall"]),
            )
            for r in _table(result, "children")["rows"]
        ]
    return figures


def _transparency_spend_plain(d: Dialect, params: dict) -> dict:
    rows = _rows(
        """
        SELECT i.paid_on,
               CASE WHEN i.provider_id IS NULL OR p.arrangement = 'personal_budget' THEN 1 ELSE 0 END AS personal,
               pv.legal_name, i.amount
          FROM placements_invoice i
          JOIN placements_placement p ON p.id = i.placement_id
          LEFT JOIN providers_provider pv ON pv.id = i.provider_id
         WHERE i.status = 'paid' AND i.paid_on >= %s AND i.paid_on <= %s AND i.amount >= 500
         ORDER BY i.paid_on, i.id
        """,
        [params["period_from"], params["period_to"]],
    )
    from reporting.reports.transparency_spend import REDACTED

    payments = [
        (str(_day(paid)), REDACTED if personal else name, _money(amount)) for paid, personal, name, amount in rows
    ]
    return {
        "payments": sorted(payments),
        "summary": (len(rows), _money(sum((_number(r[3]) for r in rows), Decimal(0))), sum(r[1] for r in rows)),
    }


def _transparency_spend_figures(result: dict, params: dict) -> dict:
    summary = list(_summary(result).values())
    rows = _table(result, "payments")["rows"]
    return {
        "payments": sorted((r["date"], r["beneficiary"], _money(r["amount"])) for r in rows),
        "summary": (summary[0], _money(summary[1]), summary[2]),
    }


def _waiting_list_plain(d: Dialect, params: dict) -> dict:
    from placements.selectors import WAIT_BANDS
    from reporting.reports.waiting_list import STAGE_LABELS, WAITING_THEN

    as_on, start = params["as_on"], params["trend_from"]
    month_ends = [min(month_end(m), as_on) for m in months_between(start, as_on)]

    def waiting(day: str) -> str:
        return f"(r.referred_on <= {day} AND (r.waiting_ended_on IS NULL OR r.waiting_ended_on > {day}))"

    def band(b, day: date) -> tuple[str, list]:
        sql, values = "r.referred_on <= %s", [day - timedelta(weeks=b.min_weeks)]
        if b.max_weeks is not None:
            sql, values = sql + " AND r.referred_on > %s", [*values, day - timedelta(weeks=b.max_weeks)]
        return sql, values

    group = (
        f"CASE WHEN {waiting('%s')} AND r.stage IN ('awaiting_assessment', 'awaiting_intervention') THEN r.stage "
        f"WHEN {waiting('%s')} THEN '{WAITING_THEN}' ELSE r.stage END"
    )
    columns, values = [], [as_on, as_on, as_on, as_on]
    for b in WAIT_BANDS:
        sql, more = band(b, as_on)
        columns.append(f"SUM(CASE WHEN {sql} THEN 1 ELSE 0 END)")
        values += more
    for day in month_ends:
        columns.append(f"SUM(CASE WHEN {waiting('%s')} THEN 1 ELSE 0 END)")
        columns.append(f"SUM(CASE WHEN {waiting('%s')} AND r.referred_on <= %s THEN 1 ELSE 0 END)")
        values += [day, day, day, day, day - timedelta(weeks=12)]
    rows = _rows(
        f"SELECT {group} AS grp, COUNT(*), {', '.join(columns)} FROM placements_referral r "
        f"WHERE r.referred_on <= %s GROUP BY 1",
        [*values, as_on],
    )
    bands = len(WAIT_BANDS)
    groups = {row[0]: row for row in rows}
    waiting_groups = [g for g in groups if g in ("awaiting_assessment", "awaiting_intervention", WAITING_THEN)]
    weeks = f"({d.days('%s', 'r.referred_on')} / 7)"
    if d.postgresql:
        medians = _rows(
            f"""
            SELECT grp, percentile_cont(0.5) WITHIN GROUP (ORDER BY weeks) FROM (
              SELECT {group} AS grp, {weeks} AS weeks FROM placements_referral r WHERE {waiting("%s")}
            ) waits GROUP BY GROUPING SETS ((grp), ())
            """,
            [as_on, as_on, as_on, as_on, as_on, as_on, as_on],
        )
    else:
        medians = _rows(
            f"""
            WITH waits AS (
              SELECT {group} AS grp, {weeks} AS weeks FROM placements_referral r WHERE {waiting("%s")}
            ), ranked AS (
              SELECT grp, weeks, ROW_NUMBER() OVER (PARTITION BY grp ORDER BY weeks) AS n,
                     COUNT(*) OVER (PARTITION BY grp) AS size FROM waits
              UNION ALL
              SELECT NULL, weeks, ROW_NUMBER() OVER (ORDER BY weeks), COUNT(*) OVER () FROM waits
            )
            SELECT grp, AVG(weeks) FROM ranked WHERE n >= (size + 1) / 2 AND n <= size / 2 + 1 GROUP BY grp
            """,
            [as_on, as_on, as_on, as_on, as_on, as_on, as_on],
        )
    median = {g: _one_place(m) for g, m in medians}
    returns = _dict_rows(
        """
        SELECT pr.month, c.supplier_id, COALESCE(NULLIF(s.trading_name, ''), s.legal_name) AS trust,
               COUNT(*) AS returns,
               SUM(pr.waiting_assessment) AS a, COUNT(pr.waiting_assessment) AS a_n,
               SUM(pr.waiting_assessment_over_12_weeks) AS a12, COUNT(pr.waiting_assessment_over_12_weeks) AS a12_n,
               SUM(pr.waiting_intervention) AS i, COUNT(pr.waiting_intervention) AS i_n,
               SUM(pr.waiting_intervention_over_12_weeks) AS i12, COUNT(pr.waiting_intervention_over_12_weeks) AS i12_n
          FROM contracts_performancereturn pr
          JOIN contracts_contract c ON c.id = pr.contract_id JOIN providers_provider s ON s.id = c.supplier_id
         WHERE pr.month >= %s AND pr.month <= %s
         GROUP BY pr.month, c.supplier_id, COALESCE(NULLIF(s.trading_name, ''), s.legal_name)
         ORDER BY pr.month, 3, c.supplier_id
        """,
        [start, as_on],
    )
    trend = []
    for index, day in enumerate(month_ends):
        column = 2 + bands + 2 * index
        trend.append((str(day), sum(r[column] or 0 for r in rows), sum(r[column + 1] or 0 for r in rows)))
    stage_rows = [
        (STAGE_LABELS[g], groups[g][1] if g in groups else 0) for g in STAGE_LABELS if g != WAITING_THEN or g in groups
    ]
    waits = [
        (STAGE_LABELS[g], groups[g][1], *[groups[g][2 + i] or 0 for i in range(bands)], median.get(g))
        for g in ("awaiting_assessment", "awaiting_intervention", WAITING_THEN)
        if g in groups
    ]
    total_waiting = sum(groups[g][1] for g in waiting_groups)
    footer = (
        total_waiting,
        *[sum(groups[g][2 + i] or 0 for g in waiting_groups) for i in range(bands)],
        median.get(None),
    )

    def reported(row, key):
        return row[key] if row[f"{key}_n"] else None

    nhs = []
    for r in returns:
        figures = {k: reported(r, k) for k in ("a", "a12", "i", "i12")}
        nhs.append(
            (
                month_start(_day(r["month"])).strftime("%B %Y"),
                r["trust"],
                figures["a"],
                figures["a12"],
                figures["i"],
                figures["i12"],
            )
        )
    return {
        "stages": (stage_rows, sum(row[1] for row in rows)),
        "waits": (waits, footer),
        "trend": trend,
        "nhs-returns": nhs,
    }


def _waiting_list_figures(result: dict, params: dict) -> dict:
    from placements.selectors import WAIT_BANDS

    stages, waits = _table(result, "stages"), _table(result, "waits")
    keys = [b.key for b in WAIT_BANDS]

    def wait_row(r):
        return (r["waiting"], *[r[k] for k in keys], _one_place(r["median"]))

    return {
        "stages": ([(r["stage"], r["referrals"]) for r in stages["rows"]], stages["footer"]["referrals"]),
        "waits": ([(r["stage"], *wait_row(r)) for r in waits["rows"]], wait_row(waits["footer"])),
        "trend": [(r["day"], r["waiting"], r["over_12"]) for r in _table(result, "trend")["rows"]],
        "nhs-returns": [
            (
                r["month"],
                r["trust"],
                r["assessment"],
                r["assessment_over_12"],
                r["intervention"],
                r["intervention_over_12"],
            )
            for r in _table(result, "nhs-returns")["rows"]
        ],
    }


def _nmiss_plain(d: Dialect, params: dict) -> dict:
    from reporting.reports.nmiss import COMMITTED, DIRECT, HISTORICAL, NOT_RECORDED

    fees_on = params["fees_on"]
    years = _rows(
        """
        SELECT financial_year, SUM(amount), 'committed' FROM placements_schoolplacementcommitment
         GROUP BY financial_year
        UNION ALL
        SELECT financial_year, amount, 'historical' FROM placements_nmisshistoricalspend
         WHERE financial_year < (SELECT COALESCE(MIN(financial_year), 100000) FROM placements_schoolplacementcommitment)
        """
    )
    fee = "(sp.education_fee + sp.care_fee + sp.therapy_fee + sp.other_fee)"
    groups = _rows(
        f"""
        WITH places AS (
          SELECT sp.*, {fee} AS fee, COALESCE(cm.total, 0) AS committed
            FROM placements_schoolplacement sp
            LEFT JOIN (SELECT placement_id, SUM(amount) AS total FROM placements_schoolplacementcommitment
                       GROUP BY placement_id) cm ON cm.placement_id = sp.id
        )
        SELECT 'lot', l.id, l.number, l.name, NULL, COUNT(*), SUM(sp.committed), AVG(sp.fee)
          FROM places sp LEFT JOIN placements_placementrequest r ON r.id = sp.request_id
          LEFT JOIN providers_lot l ON l.id = r.lot_id GROUP BY l.id, l.number, l.name
        UNION ALL
        SELECT 'need', n.id, n.sort_order, n.name, NULL, COUNT(*), SUM(sp.committed), AVG(sp.fee)
          FROM places sp JOIN placements_child c ON c.id = sp.child_id
          LEFT JOIN core_primaryneed n ON n.id = c.primary_need_id GROUP BY n.id, n.sort_order, n.name
        UNION ALL
        SELECT 'school', s.id, NULL, s.trading_name, s.legal_name, COUNT(*), SUM(sp.committed), AVG(sp.fee)
          FROM places sp JOIN providers_provider s ON s.id = sp.school_id GROUP BY s.id, s.trading_name, s.legal_name
        UNION ALL
        SELECT 'all', NULL, NULL, NULL, NULL, COUNT(*), SUM(sp.committed), AVG(sp.fee) FROM places sp
        """
    )
    averages = []
    for amount in ("sp.education_fee", "sp.care_fee", "sp.therapy_fee", "sp.other_fee", fee):
        averages += [
            f"AVG({amount})",
            f"AVG(CASE WHEN sp.setting = 'day' THEN {amount} END)",
            f"AVG(CASE WHEN sp.setting = 'residential' THEN {amount} END)",
            f"AVG({amount} * COALESCE(u.factor, 1))",
        ]
    (fees,) = _rows(
        f"""
        SELECT {", ".join(averages)}
          FROM placements_schoolplacement sp
          LEFT JOIN (SELECT placement_id, EXP(SUM(LN(1 + {d.exact("percent")} / 100))) AS factor
                       FROM placements_feeuplift WHERE effective_from <= %s GROUP BY placement_id) u
                 ON u.placement_id = sp.id
        """,
        [fees_on],
    )
    uplifts = _rows(
        f"""
        SELECT {d.financial_year("effective_from")} AS fy, COUNT(*), COUNT(DISTINCT placement_id), AVG(percent),
               MIN(percent), MAX(percent)
          FROM placements_feeuplift GROUP BY 1 ORDER BY 1
        """
    )
    year_rows = sorted((int(fy), amount, kind) for fy, amount, kind in years)
    breakdowns: dict[str, list] = {"lot": [], "need": [], "school": []}
    footer = None
    for kind, key, number, name, legal, count, committed, average in groups:
        if kind == "all":
            footer = (count, _money(committed), _money(average))
            continue
        if kind == "lot":
            label = DIRECT if key is None else f"Lot {number}: {name}"
        elif kind == "need":
            label = NOT_RECORDED if key is None else name
        else:
            label = name or legal
        breakdowns[kind].append((label, count, _money(committed), _money(average)))
    names = ["Education", "Care", "Therapy", "Other", "Total"]
    return {
        "years": [
            (FinancialYear(fy).label, COMMITTED if kind == "committed" else HISTORICAL, _money(amount))
            for fy, amount, kind in year_rows
        ],
        **{f"by-{kind}": (sorted(rows), footer) for kind, rows in breakdowns.items()},
        "fees": [(names[i], *[_money(fees[4 * i + j]) for j in range(4)]) for i in range(len(names))],
        "uplifts": [
            (FinancialYear(int(fy)).label, n, places, _one_place(avg), _one_place(low), _one_place(high))
            for fy, n, places, avg, low, high in uplifts
        ],
    }


def _nmiss_figures(result: dict, params: dict) -> dict:
    figures = {
        "years": [(r["year"], r["figure"], _money(r["amount"])) for r in _table(result, "years")["rows"]],
        "fees": [
            (r["element"], _money(r["all"]), _money(r["day"]), _money(r["residential"]), _money(r["now"]))
            for r in _table(result, "fees")["rows"]
        ],
        "uplifts": [
            (
                r["year"],
                r["uplifts"],
                r["placements"],
                _one_place(r["average"]),
                _one_place(r["smallest"]),
                _one_place(r["largest"]),
            )
            for r in _table(result, "uplifts")["rows"]
        ],
    }
    for kind in ("lot", "need", "school"):
        table = _table(result, f"by-{kind}")
        footer = table["footer"]
        figures[f"by-{kind}"] = (
            sorted(
                (r["name"], r["placements"], _money(r["committed"]), _money(r["average_fee"])) for r in table["rows"]
            ),
            (footer["placements"], _money(footer["committed"]), _money(footer["average_fee"])),
        )
    return figures


SMALL_REPORT = (
    "Reads a few dozen rows: the plain SQL takes about a millisecond, and the report's time is building each row in "
    "Python (model instances, labels, rule warnings in words, the tables): a fixed few milliseconds that no index "
    "or query shape changes, and a smaller share as the data grows."
)
WHY_OVER = {
    "contract-register": SMALL_REPORT,
    "transparency-contracts": SMALL_REPORT,
    "ocds-contracts": SMALL_REPORT,
    "compliance": SMALL_REPORT,
    "coverage-gaps": SMALL_REPORT,
    "records-held": "One statement counting every table, as the plain SQL does; the rest is laying out 51 rows.",
    "transparency-spend": (
        "One reading of the paid invoices, as the plain SQL; the synthetic invoices are all under £500, so the "
        "report lists nothing and its fixed cost (building the query and the result) is most of its time."
    ),
    "waiting-list": (
        "Four queries to the plain SQL's three. The medians are a window query (ROW_NUMBER and COUNT OVER, by stage "
        "and for all) where the plain SQL uses PostgreSQL's percentile_cont, an ordered-set aggregate SQLite lacks "
        "(the report runs on both); and building the queries (the month-end trend alone is 24 filtered counts) "
        "costs 15 to 20 ms of Python."
    ),
    "nmiss": (
        "Each of the three breakdowns groups the school placements again with each placement's committed cost as "
        "a subquery, where the plain SQL works the costs out once and groups them three ways in one statement; "
        "and 10 to 15 ms of Python builds the nine queries and the six tables."
    ),
    "spend": "Three queries, one a source, as the plain SQL; the rest is laying out the four tables in Python.",
    "provision-assurance": (
        "Each plan line's commissioned and delivered units are correlated subqueries (the selector's, shared with "
        "the child's page and the API), where the plain SQL groups the placements and invoices once and joins."
    ),
}
WHY_OVER["provision-assurance (officer)"] = WHY_OVER["provision-assurance"]


def report_cases() -> list[ReportCase]:
    """Every registered report once (the one that names children twice: for the council, and as an officer)."""

    def since_2022(today: date) -> dict:
        # No complete quarter of the synthetic data holds a payment over £500: the whole history is read instead.
        return {"period_from": "2022-01-01", "period_to": today.isoformat()}

    return [
        ReportCase("records-held", "records-held", _records_held_plain, _records_held_figures),
        ReportCase("contract-register", "contract-register", _contract_register_plain, _contract_register_figures),
        ReportCase("compliance", "compliance", _compliance_plain, _compliance_figures),
        ReportCase("coverage-gaps", "coverage-gaps", _coverage_plain, _coverage_figures),
        ReportCase(
            "transparency-contracts",
            "transparency-contracts",
            _transparency_contracts_plain,
            _transparency_contracts_figures,
        ),
        ReportCase("ocds-contracts", "ocds-contracts", _ocds_plain, _ocds_figures),
        ReportCase("spend", "spend", _spend_plain, _spend_figures),
        ReportCase(
            "provision-assurance",
            "provision-assurance",
            lambda d, p: _assurance_plain(d, p, children=False),
            _assurance_figures,
        ),
        ReportCase(
            "provision-assurance (officer)",
            "provision-assurance",
            lambda d, p: _assurance_plain(d, p, children=True),
            _assurance_figures,
            officer=True,
        ),
        ReportCase(
            "transparency-spend",
            "transparency-spend",
            _transparency_spend_plain,
            _transparency_spend_figures,
            params=since_2022,
        ),
        ReportCase("waiting-list", "waiting-list", _waiting_list_plain, _waiting_list_figures),
        ReportCase("nmiss", "nmiss", _nmiss_plain, _nmiss_figures),
    ]


def benchmark_reports(*, officer: User, repeat: int, dialect: Dialect, only: set[str] | None = None) -> list[dict]:
    entries = []
    today = timezone.localdate()
    for case in report_cases():
        if only and case.name not in only and case.kind not in only:
            continue
        definition = get_definition(case.kind)
        params = definition.cleaned_params(case.params(today))
        user = officer if case.officer else None

        def build(definition=definition, params=params, user=user) -> Result:
            return definition.build(params=params, progress=lambda percent, step: None, user=user)

        ours = timed(build, repeat)
        plain = timed(lambda case=case, params=params: case.plain(dialect, params), repeat)
        found = differences(case.figures(ours.result.to_json(), params), plain.result)
        entries.append(
            {
                "name": case.name,
                "kind": case.kind,
                "viewer": "officer" if case.officer else "council",
                "ours_ms": ours.median_ms,
                "sql_ms": plain.median_ms,
                "ratio": ratio(ours.median_ms, plain.median_ms),
                "target": float(REPORT_TARGET),
                "queries": count_queries(build),
                "figures_agree": not found,
                "differences": found[:10],
                "meets_target": within(ratio(ours.median_ms, plain.median_ms), REPORT_TARGET),
                "ours_runs_ms": ours.runs_ms,
                "sql_runs_ms": plain.runs_ms,
            }
        )
    return entries


# Lists -------------------------------------------------------------------------------------------


@dataclass
class ListCase:
    """One list's first page: its URL and the plain SQL for the same rows (the queryset the view pages
    through is taken from the view itself, so it is exactly what the page or the API reads)."""

    name: str
    group: str  # "page" or "api"
    url: str
    rows_sql: str  # the page's rows: same filter, order and LIMIT; the first column is the id
    count_sql: str
    params: Callable[[date], list] = lambda today: []


def _committed(table: str, alias: str) -> str:
    return f"COALESCE((SELECT SUM(cm.amount) FROM {table} cm WHERE cm.placement_id = {alias}.id), 0) AS committed"


CHILD_ROWS = f"""
SELECT c.id, c.first_name, c.last_name, c.date_of_birth, c.ehcp_reference, c.pseudonym, c.school_name, c.school_urn,
       c.status, dist.name AS district, n.name AS primary_need,
       (SELECT COUNT(*) FROM placements_placement p WHERE p.child_id = c.id AND p.status = 'active')
           AS active_placements,
       (SELECT COUNT(*) FROM placements_referral r WHERE r.child_id = c.id
           AND r.stage IN ('awaiting_assessment', 'awaiting_intervention')) AS waiting_referrals
  FROM placements_child c
  JOIN core_district dist ON dist.id = c.district_id
  LEFT JOIN core_primaryneed n ON n.id = c.primary_need_id
 ORDER BY c.last_name, c.first_name, c.id LIMIT {PAGE_SIZE}
"""
REFERRAL_ROWS = """
SELECT r.id, r.referred_on, r.stage, r.waiting_ended_on, c.id AS child, c.first_name, c.last_name, c.ehcp_reference,
       c.pseudonym, dist.name AS district, pr.amount, pr.unit, pr.frequency, pr.therapy_type_id, t.name AS therapy
  FROM placements_referral r
  JOIN placements_child c ON c.id = r.child_id
  JOIN core_district dist ON dist.id = c.district_id
  JOIN placements_provision pr ON pr.id = r.provision_id
  JOIN core_therapytype t ON t.id = pr.therapy_type_id
"""
PLACEMENT_ROWS = f"""
SELECT p.*, c.first_name, c.last_name, c.ehcp_reference, c.pseudonym, dist.name AS district,
       pv.legal_name, pv.trading_name, pr.amount, pr.unit AS provision_unit, t.name AS therapy,
       {_committed("placements_placementcommitment", "p")}
  FROM placements_placement p
  JOIN placements_child c ON c.id = p.child_id
  JOIN core_district dist ON dist.id = c.district_id
  JOIN placements_provision pr ON pr.id = p.provision_id
  JOIN core_therapytype t ON t.id = pr.therapy_type_id
  LEFT JOIN providers_provider pv ON pv.id = p.provider_id
"""
INVOICE_ROWS = f"""
SELECT i.*, p.arrangement, c.first_name, c.last_name, c.ehcp_reference, c.pseudonym, t.name AS therapy,
       pv.legal_name, pv.trading_name
  FROM placements_invoice i
  JOIN placements_placement p ON p.id = i.placement_id
  JOIN placements_child c ON c.id = p.child_id
  JOIN placements_provision pr ON pr.id = p.provision_id
  JOIN core_therapytype t ON t.id = pr.therapy_type_id
  LEFT JOIN providers_provider pv ON pv.id = i.provider_id
 ORDER BY i.submitted_at DESC, i.id DESC LIMIT {PAGE_SIZE}
"""
DISPUTE_ROWS = f"""
SELECT dp.*, p.arrangement, c.first_name, c.last_name, c.ehcp_reference, c.pseudonym, pv.legal_name,
       pv.trading_name, i.number AS invoice_number
  FROM placements_dispute dp
  JOIN placements_placement p ON p.id = dp.placement_id
  JOIN placements_child c ON c.id = p.child_id
  LEFT JOIN providers_provider pv ON pv.id = p.provider_id
  LEFT JOIN placements_invoice i ON i.id = dp.invoice_id
 ORDER BY dp.resolved_on DESC NULLS FIRST, dp.raised_on DESC, dp.id DESC LIMIT {PAGE_SIZE}
"""
REVIEW_ROWS = f"""
SELECT rv.*, c.first_name, c.last_name, c.ehcp_reference, c.pseudonym, pv.legal_name, pv.trading_name,
       t.name AS therapy, u.email AS recorded_by
  FROM placements_review rv
  JOIN placements_placement p ON p.id = rv.placement_id
  JOIN placements_child c ON c.id = p.child_id
  LEFT JOIN providers_provider pv ON pv.id = p.provider_id
  JOIN placements_provision pr ON pr.id = p.provision_id
  JOIN core_therapytype t ON t.id = pr.therapy_type_id
  JOIN core_user u ON u.id = rv.recorded_by_id
 ORDER BY rv.held_on DESC, rv.id DESC LIMIT {PAGE_SIZE}
"""
SCHOOL_PLACEMENT_ROWS = f"""
SELECT sp.*, c.first_name, c.last_name, c.ehcp_reference, c.pseudonym, dist.name AS district,
       s.legal_name, s.trading_name, l.number AS lot_number, l.name AS lot, b.reference AS block_reference,
       {_committed("placements_schoolplacementcommitment", "sp")}
  FROM placements_schoolplacement sp
  JOIN placements_child c ON c.id = sp.child_id
  JOIN core_district dist ON dist.id = c.district_id
  JOIN providers_provider s ON s.id = sp.school_id
  LEFT JOIN placements_placementrequest r ON r.id = sp.request_id
  LEFT JOIN providers_lot l ON l.id = r.lot_id
  LEFT JOIN placements_blockcontract b ON b.id = sp.block_contract_id
 ORDER BY sp.start_date DESC, sp.id DESC LIMIT {PAGE_SIZE}
"""
REQUEST_ROWS = f"""
SELECT r.*, l.number AS lot_number, l.name AS lot, pl.name AS provider_list, n.name AS primary_need,
       c.first_name, c.last_name, c.ehcp_reference, c.pseudonym,
       (SELECT COUNT(*) FROM placements_invitation i WHERE i.request_id = r.id) AS invited,
       (SELECT COUNT(*) FROM placements_offer o WHERE o.request_id = r.id) AS offered
  FROM placements_placementrequest r
  JOIN providers_lot l ON l.id = r.lot_id
  JOIN providers_providerlist pl ON pl.id = l.provider_list_id
  JOIN core_primaryneed n ON n.id = r.primary_need_id
  JOIN placements_child c ON c.id = r.child_id
 ORDER BY r.created_at DESC, r.id DESC LIMIT {PAGE_SIZE}
"""


def _directory_rows(d: Dialect) -> str:
    return f"""
SELECT p.id, p.legal_name, p.trading_name, p.kind, p.contact_email, p.is_sme, p.is_vcse,
       COALESCE((SELECT SUM(cd.hours_per_week) FROM providers_capacitydeclaration cd
                  WHERE cd.provider_id = p.id AND cd.from_date <= %s
                    AND NOT EXISTS (SELECT 1 FROM providers_capacitydeclaration later
                                     WHERE later.provider_id = cd.provider_id
                                       AND later.therapy_type_id = cd.therapy_type_id
                                       AND later.district_id = cd.district_id AND later.from_date <= %s
                                       AND later.from_date > cd.from_date)), 0) AS capacity_hours,
       (SELECT MIN(pl.rate) FROM providers_priceline pl
         WHERE pl.unit = 'hour' AND pl.schedule_id = (
           SELECT ps.id FROM providers_pricingschedule ps WHERE ps.provider_id = p.id AND ps.effective_from <= %s
            ORDER BY ps.effective_from DESC, ps.version DESC LIMIT 1)) AS rate,
       EXISTS (SELECT 1 FROM providers_membership m JOIN providers_providerlist l ON l.id = m.provider_list_id
                WHERE m.provider_id = p.id AND l.kind = 'qpl' AND m.status = 'suspended') AS is_suspended,
       (SELECT MIN(doc.expires_on) FROM providers_compliancedocument doc
         WHERE doc.provider_id = p.id AND doc.status = 'verified' AND doc.expires_on >= %s
           AND NOT EXISTS (SELECT 1 FROM providers_compliancedocument newer
                            WHERE newer.provider_id = doc.provider_id AND newer.kind = doc.kind
                              AND newer.practitioner_id = doc.practitioner_id AND newer.status = 'verified'
                              AND newer.expires_on > doc.expires_on)) AS next_expiry,
       (SELECT {d.joined("t.name")} FROM providers_provider_therapy_types pt JOIN core_therapytype t
           ON t.id = pt.therapytype_id WHERE pt.provider_id = p.id) AS therapies,
       (SELECT {d.joined("dist.name")} FROM providers_provider_districts pd JOIN core_district dist
           ON dist.id = pd.district_id WHERE pd.provider_id = p.id) AS districts
  FROM providers_provider p
 WHERE EXISTS (SELECT 1 FROM providers_membership m JOIN providers_providerlist l ON l.id = m.provider_list_id
                WHERE m.provider_id = p.id AND l.kind = 'qpl' AND m.status IN ('admitted', 'suspended'))
 ORDER BY p.legal_name, p.id LIMIT {PAGE_SIZE}
"""


DIRECTORY_COUNT = """
SELECT COUNT(*) FROM providers_provider p
 WHERE EXISTS (SELECT 1 FROM providers_membership m JOIN providers_providerlist l ON l.id = m.provider_list_id
                WHERE m.provider_id = p.id AND l.kind = 'qpl' AND m.status IN ('admitted', 'suspended'))
"""


def _provider_rows(d: Dialect, *, memberships: bool, needs: bool = False, order: str = "p.legal_name, p.id") -> str:
    extra = ""
    if memberships:
        extra += f""",
       (SELECT {d.joined("l.name")} FROM providers_membership m JOIN providers_providerlist l
           ON l.id = m.provider_list_id WHERE m.provider_id = p.id) AS lists"""
    else:
        extra += f""",
       (SELECT {d.joined("t.name")} FROM providers_provider_therapy_types pt JOIN core_therapytype t
           ON t.id = pt.therapytype_id WHERE pt.provider_id = p.id) AS therapies,
       (SELECT {d.joined("dist.name")} FROM providers_provider_districts pd JOIN core_district dist
           ON dist.id = pd.district_id WHERE pd.provider_id = p.id) AS districts"""
    if needs:
        extra += f""",
       (SELECT {d.joined("n.name")} FROM providers_provider_needs_catered_for pn JOIN core_primaryneed n
           ON n.id = pn.primaryneed_id WHERE pn.provider_id = p.id) AS needs"""
    return f"SELECT p.*{extra} FROM providers_provider p ORDER BY {order} LIMIT {PAGE_SIZE}"


def _questionnaire_rows(d: Dialect) -> str:
    return f"""
SELECT sq.*, p.legal_name, p.trading_name, l.name AS provider_list,
       (SELECT {d.joined("t.name")} FROM providers_provider_therapy_types pt JOIN core_therapytype t
           ON t.id = pt.therapytype_id WHERE pt.provider_id = p.id) AS therapies,
       (SELECT {d.joined("dist.name")} FROM providers_provider_districts pd JOIN core_district dist
           ON dist.id = pd.district_id WHERE pd.provider_id = p.id) AS districts
  FROM providers_selectionquestionnaire sq
  JOIN providers_provider p ON p.id = sq.provider_id
  JOIN providers_providerlist l ON l.id = sq.provider_list_id
 WHERE sq.status IN ('submitted', 'under_review', 'clarification_requested')
 ORDER BY sq.submitted_at ASC NULLS LAST, sq.id LIMIT {PAGE_SIZE}
"""


def _contract_rows(d: Dialect) -> str:
    return f"""
SELECT * FROM ({CONTRACT_FLAGS_SQL.replace("SELECT c.reference,", "SELECT c.id, c.reference,", 1)}) register_rows
 ORDER BY reference LIMIT {PAGE_SIZE}
"""


def list_cases(dialect: Dialect) -> list[ListCase]:
    """The main list pages and API lists, each as an officer sees its first page."""
    d = dialect
    waiting = "r.stage IN ('awaiting_assessment', 'awaiting_intervention')"
    due = "p.status = 'active' AND p.review_due_on IS NOT NULL AND p.review_due_on <= %s"

    def due_on(today: date) -> list:
        return [today + timedelta(days=30)]

    def on_today(today: date) -> list:
        return [today, today, today, today]

    cases = [
        ListCase(
            "children",
            "page",
            "/children/",
            CHILD_ROWS,
            "SELECT COUNT(*) FROM placements_child",
        ),
        ListCase(
            "waiting list",
            "page",
            "/waiting-list/",
            f"{REFERRAL_ROWS} WHERE {waiting} ORDER BY r.referred_on, r.id LIMIT {PAGE_SIZE}",
            f"SELECT COUNT(*) FROM placements_referral r WHERE {waiting}",
        ),
        ListCase(
            "placements",
            "page",
            "/placements/",
            f"{PLACEMENT_ROWS} ORDER BY p.start_date DESC, p.id DESC LIMIT {PAGE_SIZE}",
            "SELECT COUNT(*) FROM placements_placement",
        ),
        ListCase(
            "invoices",
            "page",
            "/invoices/",
            INVOICE_ROWS,
            "SELECT COUNT(*) FROM placements_invoice",
        ),
        ListCase(
            "disputes",
            "page",
            "/disputes/",
            DISPUTE_ROWS,
            "SELECT COUNT(*) FROM placements_dispute",
        ),
        ListCase(
            "reviews due",
            "page",
            "/reviews/due/",
            f"{PLACEMENT_ROWS} WHERE {due} ORDER BY p.review_due_on, p.id LIMIT {PAGE_SIZE}",
            f"SELECT COUNT(*) FROM placements_placement p WHERE {due}",
            params=due_on,
        ),
        ListCase(
            "school places",
            "page",
            "/school-places/",
            SCHOOL_PLACEMENT_ROWS,
            "SELECT COUNT(*) FROM placements_schoolplacement",
        ),
        ListCase(
            "school place requests",
            "page",
            "/school-places/requests/",
            REQUEST_ROWS,
            "SELECT COUNT(*) FROM placements_placementrequest",
        ),
        ListCase(
            "QPL directory",
            "page",
            "/providers/",
            _directory_rows(d),
            DIRECTORY_COUNT,
            params=on_today,
        ),
        ListCase(
            "all providers",
            "page",
            "/providers/all/",
            _provider_rows(d, memberships=True, order="p.legal_name"),
            "SELECT COUNT(*) FROM providers_provider",
        ),
        ListCase(
            "applications to review",
            "page",
            "/providers/applications/",
            _questionnaire_rows(d),
            "SELECT COUNT(*) FROM providers_selectionquestionnaire sq "
            "WHERE sq.status IN ('submitted', 'under_review', 'clarification_requested')",
        ),
        ListCase(
            "contracts",
            "page",
            "/contracts/",
            _contract_rows(d),
            "SELECT COUNT(*) FROM contracts_contract",
            params=lambda today: [today],
        ),
        # The API lists (DRF's page of 50 with its count).
        ListCase("children", "api", "/api/v1/children/", CHILD_ROWS, "SELECT COUNT(*) FROM placements_child"),
        ListCase(
            "provisions",
            "api",
            "/api/v1/provisions/",
            f"""SELECT pr.*, c.first_name, c.last_name, c.ehcp_reference, c.pseudonym, t.name AS therapy
                  FROM placements_provision pr JOIN placements_child c ON c.id = pr.child_id
                  JOIN core_therapytype t ON t.id = pr.therapy_type_id
                 ORDER BY pr.child_id, pr.start_date, pr.id LIMIT {PAGE_SIZE}""",
            "SELECT COUNT(*) FROM placements_provision",
        ),
        ListCase(
            "referrals",
            "api",
            "/api/v1/referrals/",
            f"{REFERRAL_ROWS} ORDER BY r.referred_on, r.id LIMIT {PAGE_SIZE}",
            "SELECT COUNT(*) FROM placements_referral",
        ),
        ListCase(
            "placements",
            "api",
            "/api/v1/placements/",
            f"{PLACEMENT_ROWS} ORDER BY p.start_date DESC, p.id DESC LIMIT {PAGE_SIZE}",
            "SELECT COUNT(*) FROM placements_placement",
        ),
        ListCase("invoices", "api", "/api/v1/invoices/", INVOICE_ROWS, "SELECT COUNT(*) FROM placements_invoice"),
        ListCase("disputes", "api", "/api/v1/disputes/", DISPUTE_ROWS, "SELECT COUNT(*) FROM placements_dispute"),
        ListCase("reviews", "api", "/api/v1/reviews/", REVIEW_ROWS, "SELECT COUNT(*) FROM placements_review"),
        ListCase(
            "personal budgets",
            "api",
            "/api/v1/personal-budgets/",
            f"""SELECT pb.*, c.first_name, c.last_name, c.ehcp_reference, c.pseudonym, t.name AS therapy
                  FROM placements_personalbudget pb JOIN placements_placement p ON p.id = pb.placement_id
                  JOIN placements_child c ON c.id = p.child_id JOIN placements_provision pr ON pr.id = p.provision_id
                  JOIN core_therapytype t ON t.id = pr.therapy_type_id
                 ORDER BY pb.signed_on DESC, pb.id DESC LIMIT {PAGE_SIZE}""",
            "SELECT COUNT(*) FROM placements_personalbudget",
        ),
        ListCase(
            "school placements",
            "api",
            "/api/v1/school-placements/",
            SCHOOL_PLACEMENT_ROWS,
            "SELECT COUNT(*) FROM placements_schoolplacement",
        ),
        ListCase(
            "placement requests",
            "api",
            "/api/v1/placement-requests/",
            REQUEST_ROWS,
            "SELECT COUNT(*) FROM placements_placementrequest",
        ),
        ListCase(
            "invitations",
            "api",
            "/api/v1/invitations/",
            f"""SELECT i.*, r.reference, s.legal_name, s.trading_name, o.id AS offer, o.status AS offer_status
                  FROM placements_invitation i JOIN placements_placementrequest r ON r.id = i.request_id
                  JOIN providers_provider s ON s.id = i.school_id LEFT JOIN placements_offer o ON o.invitation_id = i.id
                 ORDER BY i.invited_at DESC, i.id DESC LIMIT {PAGE_SIZE}""",
            "SELECT COUNT(*) FROM placements_invitation",
        ),
        ListCase(
            "offers",
            "api",
            "/api/v1/offers/",
            f"""SELECT o.*, r.reference, s.legal_name, s.trading_name, sp.id AS school_placement
                  FROM placements_offer o JOIN placements_placementrequest r ON r.id = o.request_id
                  JOIN placements_invitation i ON i.id = o.invitation_id JOIN providers_provider s ON s.id = i.school_id
                  LEFT JOIN placements_schoolplacement sp ON sp.offer_id = o.id
                 WHERE r.deadline < %s
                 ORDER BY o.submitted_at DESC, o.id DESC LIMIT {PAGE_SIZE}""",
            """SELECT COUNT(*) FROM placements_offer o JOIN placements_placementrequest r ON r.id = o.request_id
                WHERE r.deadline < %s""",
            params=lambda today: [timezone.now()],  # offers are sealed until the request's deadline
        ),
        ListCase(
            "fee uplifts",
            "api",
            "/api/v1/fee-uplifts/",
            f"""SELECT u.*, s.legal_name, s.trading_name FROM placements_feeuplift u
                  JOIN placements_schoolplacement sp ON sp.id = u.placement_id
                  JOIN providers_provider s ON s.id = sp.school_id
                 ORDER BY u.effective_from DESC, u.id DESC LIMIT {PAGE_SIZE}""",
            "SELECT COUNT(*) FROM placements_feeuplift",
        ),
        ListCase(
            "providers",
            "api",
            "/api/v1/providers/",
            _provider_rows(d, memberships=False, needs=True),
            "SELECT COUNT(*) FROM providers_provider",
        ),
        ListCase(
            "memberships",
            "api",
            "/api/v1/memberships/",
            f"""SELECT m.*, (SELECT {d.joined("l.name")} FROM providers_membership_lots ml JOIN providers_lot l
                                 ON l.id = ml.lot_id WHERE ml.membership_id = m.id) AS lots
                  FROM providers_membership m ORDER BY m.id LIMIT {PAGE_SIZE}""",
            "SELECT COUNT(*) FROM providers_membership",
        ),
        ListCase(
            "selection questionnaires",
            "api",
            "/api/v1/selection-questionnaires/",
            f"""SELECT sq.*, (SELECT {d.joined("l.name")} FROM providers_selectionquestionnaire_lots ql
                                  JOIN providers_lot l ON l.id = ql.lot_id WHERE ql.selectionquestionnaire_id = sq.id)
                             AS lots
                  FROM providers_selectionquestionnaire sq ORDER BY sq.id LIMIT {PAGE_SIZE}""",
            "SELECT COUNT(*) FROM providers_selectionquestionnaire",
        ),
        ListCase(
            "contracts",
            "api",
            "/api/v1/contracts/",
            _contract_rows(d),
            "SELECT COUNT(*) FROM contracts_contract",
            params=lambda today: [today],
        ),
        ListCase(
            "performance returns",
            "api",
            "/api/v1/performance-returns/",
            f"""SELECT pr.*, c.reference, s.legal_name, s.trading_name, t.name AS therapy
                  FROM contracts_performancereturn pr JOIN contracts_contract c ON c.id = pr.contract_id
                  JOIN providers_provider s ON s.id = c.supplier_id JOIN core_therapytype t ON t.id = pr.therapy_type_id
                 ORDER BY pr.month, pr.id LIMIT {PAGE_SIZE}""",
            "SELECT COUNT(*) FROM contracts_performancereturn",
        ),
    ]
    return cases


def view_queryset(url: str, user: User) -> QuerySet:
    """The queryset the view behind `url` pages through for `user`, with its filters' defaults applied (a
    FilterView's filterset, a ListView's queryset, an API list's filtered queryset), so the ORM's part of a
    list is timed exactly as the view runs it."""
    from django.test import RequestFactory
    from django.urls import resolve
    from rest_framework.request import Request
    from rest_framework.views import APIView

    match = resolve(url)
    request = RequestFactory().get(url, HTTP_HOST="127.0.0.1")
    request.user = user
    view_class = match.func.view_class
    view = view_class(**getattr(match.func, "view_initkwargs", {}))
    if issubclass(view_class, APIView):
        view.request = Request(request)
        view.request.user = user
        view.args, view.kwargs, view.format_kwarg = match.args, match.kwargs, None
        return view.filter_queryset(view.get_queryset())
    view.setup(request, *match.args, **match.kwargs)
    if hasattr(view, "get_filterset_class"):
        filterset = view.get_filterset(view.get_filterset_class())
        if not filterset.is_bound or filterset.is_valid() or not view.get_strict():
            return filterset.qs
        return filterset.queryset.none()
    return view.get_queryset()


def officer_client(officer: User, *, api: bool) -> Client:
    """A client signed in as `officer`, past two-factor authentication the way the middleware records it
    (for the benchmark only: the session lives in the transaction that is rolled back)."""
    from rest_framework.test import APIClient

    client = APIClient(HTTP_HOST="127.0.0.1") if api else Client(HTTP_HOST="127.0.0.1")
    client.force_login(officer)
    session = client.session
    session[TWO_FACTOR_SESSION_KEY] = True
    session.save()
    return client


def benchmark_lists(*, officer: User, repeat: int, dialect: Dialect, only: set[str] | None = None) -> list[dict]:
    """Each list's first page as an officer, against the plain SQL for its rows. Inside a transaction that is
    rolled back: a request saves its session and may write the audit trail."""
    entries = []
    today = timezone.localdate()
    with transaction.atomic():
        page_client, api_client = officer_client(officer, api=False), officer_client(officer, api=True)
        for case in list_cases(dialect):
            label = f"{case.group}: {case.name}"
            if only and label not in only and case.name not in only:
                continue
            client = api_client if case.group == "api" else page_client

            def request(client=client, case=case):
                response = client.get(case.url)
                if response.status_code != 200:
                    raise RuntimeError(f"{case.url} answered {response.status_code}")
                return response

            queryset = view_queryset(case.url, officer)

            def orm(queryset=queryset) -> list[int]:
                queryset.count()
                return [row.pk for row in queryset[:PAGE_SIZE]]

            params = case.params(today)

            def plain(case=case, params=params) -> list[int]:
                rows = _rows(case.rows_sql, params)
                _rows(case.count_sql, params[: case.count_sql.count("%s")])
                return [row[0] for row in rows]

            ours = timed(request, repeat)
            orm_timing = timed(orm, repeat)
            sql = timed(plain, repeat)
            agree = orm_timing.result == sql.result
            if case.group == "api":
                agree = agree and [row["id"] for row in ours.result.json()["results"]] == sql.result
            entries.append(
                {
                    "name": label,
                    "url": case.url,
                    "ours_ms": ours.median_ms,
                    "sql_ms": sql.median_ms,
                    "ratio": ratio(ours.median_ms, sql.median_ms),
                    "orm_ms": orm_timing.median_ms,
                    "orm_ratio": ratio(orm_timing.median_ms, sql.median_ms),
                    "target": float(LIST_TARGET),
                    "queries": count_queries(request),
                    "rows": len(sql.result),
                    "rows_agree": agree,
                    "meets_target": within(ratio(ours.median_ms, sql.median_ms), LIST_TARGET),
                    "orm_meets_target": within(ratio(orm_timing.median_ms, sql.median_ms), LIST_TARGET),
                    "ours_runs_ms": ours.runs_ms,
                    "orm_runs_ms": orm_timing.runs_ms,
                    "sql_runs_ms": sql.runs_ms,
                }
            )
        floor = {}
        for name, client, url in (
            ("page", page_client, "/cookies/"),
            ("api", api_client, "/api/v1/therapy-types/"),
        ):
            floor[name] = {
                "url": url,
                "ours_ms": timed(lambda client=client, url=url: client.get(url), repeat).median_ms,
            }
        transaction.set_rollback(True)
    return entries, floor


# Imports -----------------------------------------------------------------------------------------


def _returns_csv(rows: int) -> bytes:
    """A standard performance-return file of `rows` new rows (new localities, so every row is an insert),
    for the NHS contracts' months."""
    contracts = list(Contract.objects.exclude(status=Contract.Status.DRAFT).order_by("reference"))
    therapies = list(TherapyType.objects.order_by("code").values_list("code", flat=True))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RETURN_COLUMNS)
    written = 0
    while written < rows:
        for contract in contracts:
            for month in months_between(contract.start_date.replace(day=1), contract.end_date):
                for therapy in therapies:
                    if written == rows:
                        break
                    waiting = 40 + written % 60
                    writer.writerow(
                        [
                            f"{month:%Y-%m}",
                            contract.reference,
                            therapy,
                            f"Benchmark locality {written // 1000 + 1}",
                            12,
                            waiting,
                            waiting // 3,
                            waiting // 2,
                            waiting // 5,
                            waiting // 2,
                            waiting // 3,
                            waiting - waiting // 2 - waiting // 3,
                            200 + written % 100,
                            "",
                        ]
                    )
                    written += 1
        if not contracts:
            break
    return out.getvalue().encode()


def _copy(sql: str, content: bytes) -> None:
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(sql, io.BytesIO(content))


def _scratch_returns(content: bytes) -> None:
    """The same file into a scratch table: COPY on PostgreSQL, one executemany of INSERT elsewhere."""
    text = ("month", "contract_reference", "therapy_type", "locality", "data_quality_note")
    columns = ", ".join(f"{name} {'text' if name in text else 'integer'}" for name in RETURN_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE benchmark_returns ({columns})")
    try:
        if connection.vendor == "postgresql":
            _copy(
                f"COPY benchmark_returns ({', '.join(RETURN_COLUMNS)}) FROM STDIN WITH (FORMAT csv, HEADER true)",
                content,
            )
        else:
            rows = list(csv.reader(io.StringIO(content.decode())))[1:]
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO benchmark_returns VALUES ({', '.join(['%s'] * len(RETURN_COLUMNS))})",
                    [[value or None for value in row] for row in rows],
                )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE benchmark_returns")


def _rolled_back(fn: Callable[[], object]) -> Callable[[], object]:
    def run():
        with transaction.atomic():
            result = fn()
            transaction.set_rollback(True)
        return result

    return run


def _invoice_batch(size: int, today: date) -> list[dict]:
    """`size` invoices the placements' providers could send: a month inside each active or ended placement
    (that has a provider), numbered so that no provider has used the number before."""
    placements = (
        Placement.objects.filter(status__in=[Placement.Status.ACTIVE, Placement.Status.ENDED], provider__isnull=False)
        .filter(start_date__lte=today - timedelta(days=35))
        .order_by("pk")
    )
    batch = []
    for index, placement in enumerate(placements.iterator()):
        if len(batch) == size:
            break
        last = min(placement.end_date, today)
        period_start = max(placement.start_date, last - timedelta(days=27))
        batch.append(
            {
                "placement": placement,
                "number": f"BENCHMARK-{index + 1:06d}",
                "period_start": period_start,
                "period_end": last,
                "units_delivered": Decimal("4.00"),
                "amount": (placement.rate or Decimal("0")) * 4,
            }
        )
    return batch


def _copy_invoices(batch: list[dict], user: User) -> None:
    """The same invoices straight into the invoice table (PostgreSQL COPY; executemany elsewhere)."""
    now = timezone.now()
    columns = [
        "placement_id", "provider_id", "number", "period_start", "period_end", "units_delivered", "amount",
        "has_discrepancy", "discrepancy_note", "status", "submitted_at", "submitted_by_id", "decision_note",
        "payment_reference",
    ]  # fmt: skip
    rows = [
        [
            *(i["placement"].pk, i["placement"].provider_id, i["number"], i["period_start"], i["period_end"]),
            *(i["units_delivered"], i["amount"], False, "", Invoice.Status.SUBMITTED, now, user.pk, "", ""),
        ]
        for i in batch
    ]
    if connection.vendor == "postgresql":
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        text = "discrepancy_note, decision_note, payment_reference"  # blank, not NULL
        _copy(
            f"COPY placements_invoice ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({text}))",
            out.getvalue().encode(),
        )
    else:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO placements_invoice ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
                rows,
            )


def benchmark_imports(*, officer: User, repeat: int, return_rows: int, invoices: int) -> list[dict]:
    bulk = "COPY" if connection.vendor == "postgresql" else "executemany INSERT"
    entries = []
    content = _returns_csv(return_rows)
    rows = content.count(b"\n") - 1

    def import_returns():
        return returns_import(content=content, filename="benchmark.csv", user=officer)

    ours = timed(_rolled_back(import_returns), repeat)
    plain = timed(_rolled_back(lambda: _scratch_returns(content)), repeat)
    entries.append(
        {
            "name": "performance-return CSV import",
            "rows": rows,
            "ours_ms": ours.median_ms,
            "sql_ms": plain.median_ms,
            "ratio": ratio(ours.median_ms, plain.median_ms),
            "queries": count_queries(_rolled_back(import_returns)),
            "baseline": f"{bulk} of the same file into a scratch table",
            "ours_runs_ms": ours.runs_ms,
            "sql_runs_ms": plain.runs_ms,
        }
    )
    batch = _invoice_batch(invoices, timezone.localdate())

    def submit():
        for invoice in batch:
            invoice_submit(user=officer, **invoice)

    ours = timed(_rolled_back(submit), repeat)
    plain = timed(_rolled_back(lambda: _copy_invoices(batch, officer)), repeat)
    entries.append(
        {
            "name": "invoice_submit batch",
            "rows": len(batch),
            "ours_ms": ours.median_ms,
            "sql_ms": plain.median_ms,
            "ratio": ratio(ours.median_ms, plain.median_ms),
            "queries": count_queries(_rolled_back(submit)),
            "baseline": f"{bulk} of the same rows into the invoice table",
            "note": "There is no invoice CSV import: invoices arrive one at a time through invoice_submit "
            "(the page, the API), so a batch of them is timed against a bulk load of the same rows.",
            "ours_runs_ms": ours.runs_ms,
            "sql_runs_ms": plain.runs_ms,
        }
    )
    return entries


# The whole run -----------------------------------------------------------------------------------


def benchmark_officer() -> User:
    """An officer to read as: the synthetic data's first officer, else any active officer."""
    officers = User.objects.filter(is_active=True, groups__name=Role.OFFICER.label).order_by("email")
    officer = officers.filter(email__startswith="officer0001@").first() or officers.first()
    if officer is None:
        raise LookupError("No officer to read as: generate synthetic data first (manage.py generate_synthetic).")
    return officer


def data_scale() -> float | None:
    """The synthetic scale the data looks like (children held / children at scale 1)."""
    from placements.models import Child
    from placements.synthetic import PER_COUNTY

    children = Child.objects.count()
    return round(children / PER_COUNTY["children"], 3) if children else None


def run(
    *,
    repeat: int = 5,
    seed: int | None = None,
    scale: float | None = None,
    only: set[str] | None = None,
    sections: tuple[str, ...] = ("reports", "lists", "imports"),
    return_rows: int = 1000,
    invoices: int = 200,
) -> dict:
    dialect = Dialect(connection.vendor)
    officer = benchmark_officer()
    started = timezone.now()
    results: dict = {
        "date": started.isoformat(timespec="seconds"),
        "scale": scale if scale is not None else data_scale(),
        "seed": seed,
        "repeat": repeat,
        "machine": machine(),
        "targets": {"report": float(REPORT_TARGET), "list": float(LIST_TARGET)},
    }
    if "reports" in sections:
        results["reports"] = benchmark_reports(officer=officer, repeat=repeat, dialect=dialect, only=only)
    if "lists" in sections:
        results["lists"], results["request_floor"] = benchmark_lists(
            officer=officer, repeat=repeat, dialect=dialect, only=only
        )
    if "imports" in sections:
        results["imports"] = benchmark_imports(
            officer=officer, repeat=repeat, return_rows=return_rows, invoices=invoices
        )
    if "reports" in sections and connection.vendor == "postgresql":
        results["jit"] = jit_effect(repeat=min(repeat, 3))
    results["notes"] = notes(results)
    results["seconds"] = round((timezone.now() - started).total_seconds(), 1)
    return results


def jit_effect(*, repeat: int) -> dict:
    """Provision assurance (the council's report) with PostgreSQL's JIT compiler on and off, for this connection
    only: the evidence for DATABASE_JIT (off by default, config/settings/base.py)."""
    definition = get_definition("provision-assurance")
    params = definition.cleaned_params({})
    timings = {}
    for setting in ("on", "off"):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL jit = {setting}")
            timings[f"jit_{setting}_ms"] = timed(
                lambda: definition.build(params=params, progress=lambda percent, step: None, user=None), repeat
            ).median_ms
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        timings["connection_setting"] = cursor.fetchone()[0]
    return {"report": "provision-assurance", **timings}


def notes(results: dict) -> list[str]:
    """What the figures mean, and why each measurement over its target is over it."""
    found = [
        "Milliseconds are medians of the timed runs (each measurement is run once untimed first). Ratios are "
        "ours / plain SQL. The machine was not otherwise idle: other work may have run beside the benchmark.",
    ]
    for entry in results.get("reports", []):
        if not entry["figures_agree"]:
            found.append(f"{entry['name']}: the report's figures and the plain SQL's differ: {entry['differences']}")
        if not entry["meets_target"]:
            found.append(f"{entry['name']} is {entry['ratio']}x its plain SQL: {WHY_OVER.get(entry['name'], '')}")
    lists = results.get("lists", [])
    if lists:
        floor = results.get("request_floor", {})
        over = [e["name"] for e in lists if not e["meets_target"]]
        found.append(
            f"Lists: {len(lists) - len(over)} of {len(lists)} requests are within {LIST_TARGET}x of the plain SQL for "
            f"their rows. A request has a fixed cost before it reads any list: a signed-in page costs "
            f"{floor.get('page', {}).get('ours_ms')} ms and a signed-in API request "
            f"{floor.get('api', {}).get('ours_ms')} ms here (session, user and permissions, middleware, the layout "
            f"or the JSON renderer); a page also renders its filter form (the provider filter is a select of every "
            f"provider with records) and 50 rows of GOV.UK markup, an API list serialises 50 rows. The plain SQL for "
            f"a first page takes {min(e['sql_ms'] for e in lists):.1f} to {max(e['sql_ms'] for e in lists):.1f} ms, "
            f"so a request comes within 2x of it only where the plain SQL itself is slow (counting hundreds of "
            f"thousands of rows for the pager). The list's own database work (orm_ms: its count and its first page "
            f"through the ORM, with what it prefetches) is compared too (orm_ratio)."
        )
        filtered = [e for e in lists if e["name"] in PROVIDER_SELECT_PAGES]
        if filtered:
            timings = "; ".join(
                f"{e['name']}: {e['ours_ms']:.0f} ms, the ORM's part {e['orm_ms']:.0f} ms" for e in filtered
            )
            found.append(
                f"The placements, invoices and disputes pages ({timings}) render a select of every provider with such "
                "records in their filter form: a few hundred options at scale 1, thousands at scale 10, and most of "
                "those pages' time. A search box or type-ahead in place of that select (a change to the filter's "
                "widget and its template) would remove it."
            )
        orm_over = [e["name"] for e in lists if not e["orm_meets_target"]]
        if orm_over:
            found.append(
                "ORM part over 2x: " + ", ".join(orm_over) + ". These read a few milliseconds of rows: the ORM's "
                "fixed cost (building the query, 50 model instances with their related rows, a prefetch query "
                "for each many-to-many shown) is larger than the plain query itself."
            )
        differing = [e["name"] for e in lists if not e["rows_agree"]]
        if differing:
            found.append("Rows differ from the plain SQL's for: " + ", ".join(differing) + ".")
    for entry in results.get("imports", []):
        found.append(
            f"{entry['name']}: {entry['rows']} rows in {entry['ours_ms']} ms ({entry['queries']} statements) against "
            f"{entry['sql_ms']} ms for {entry['baseline']}: {IMPORT_NOTES.get(entry['name'], '')}"
        )
    jit = results.get("jit")
    if jit:
        found.append(
            f"PostgreSQL JIT: provision assurance takes {jit['jit_on_ms']} ms with jit on and {jit['jit_off_ms']} ms "
            f"with it off; the service turns it off on its connections unless DATABASE_JIT=1."
        )
    return found


PROVIDER_SELECT_PAGES = ("page: placements", "page: invoices", "page: disputes")
IMPORT_NOTES = {
    "performance-return CSV import": (
        "every row is validated (month, contract and its term, therapy, each figure, over-12-week waits within "
        "the total, duplicates), then saved with update_or_create (a savepoint, a locking read, the insert) and "
        "written to the audit trail: about seven statements a row, where COPY loads the file in one."
    ),
    "invoice_submit batch": (
        "each invoice is checked (the provider's number not used before, the rate in force, overlapping periods), "
        "validated by full_clean (each foreign key and each constraint a query in its own savepoint), saved with "
        "its audit entry and its status transition: about 28 statements an invoice."
    ),
}


def table(results: dict) -> str:
    """The results as a plain-text table: milliseconds (medians) and ratios (ours / plain SQL)."""
    lines = []

    def heading(title: str, columns: str) -> None:
        lines.extend(["", title, columns, "-" * len(columns)])

    if results.get("reports"):
        heading("Reports", f"{'report':<34}{'ours ms':>11}{'SQL ms':>11}{'ratio':>8}  {'queries':>7}  figures")
        for r in results["reports"]:
            mark = "" if r["ratio"] is not None and r["ratio"] <= r["target"] else "  over target"
            lines.append(
                f"{r['name']:<34}{r['ours_ms']:>11.1f}{r['sql_ms']:>11.1f}{r['ratio'] or 0:>8.2f}  {r['queries']:>7}  "
                f"{'agree' if r['figures_agree'] else 'DIFFER'}{mark}"
            )
    if results.get("lists"):
        heading(
            "Lists (first page as an officer)",
            f"{'list':<36}{'request ms':>11}{'ORM ms':>9}{'SQL ms':>9}{'ratio':>8}{'ORM ratio':>10}"
            f"{'queries':>9}  rows",
        )
        for r in results["lists"]:
            lines.append(
                f"{r['name']:<36}{r['ours_ms']:>11.1f}{r['orm_ms']:>9.1f}{r['sql_ms']:>9.1f}{r['ratio'] or 0:>8.2f}"
                f"{r['orm_ratio'] or 0:>10.2f}{r['queries']:>9}  {'agree' if r['rows_agree'] else 'DIFFER'}"
            )
        floor = results.get("request_floor") or {}
        for name, entry in floor.items():
            lines.append(f"  the least a signed-in {name} request costs ({entry['url']}): {entry['ours_ms']:.1f} ms")
    if results.get("imports"):
        heading(
            "Imports (in a transaction rolled back)",
            f"{'import':<34}{'rows':>7}{'ours ms':>11}{'bulk ms':>10}{'ratio':>9}",
        )
        for r in results["imports"]:
            lines.append(
                f"{r['name']:<34}{r['rows']:>7}{r['ours_ms']:>11.1f}{r['sql_ms']:>10.1f}{r['ratio'] or 0:>9.1f}"
            )
    return "\n".join(lines).lstrip("\n")
