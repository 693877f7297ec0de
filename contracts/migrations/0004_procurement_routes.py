"""Procurement routes, with their rules as data (thresholds editable by commissioners)."""

from decimal import Decimal

from django.db import migrations

LIGHT_TOUCH = Decimal("663540.00")  # the light-touch threshold, including VAT
ROUTES = [
    # code, name, regime, cap, notice, standstill, standstill days
    ("pcr-open", "PCR 2015 open procedure", "pcr2015", None, True, True, 10),
    ("pcr-light-touch", "PCR 2015 light-touch regime", "pcr2015", None, True, True, 10),
    ("qpl-call-off", "Call-off from the Qualified Provider List", "council", None, False, False, 0),
    ("dps-call-off", "Award through the Dynamic Purchasing System", "pcr2015", None, False, True, 10),
    ("dynamic-market", "Dynamic market (Procurement Act 2023)", "pa2023", None, True, True, 8),
    ("psr-direct-a", "PSR direct award process A", "psr", None, True, False, 0),
    ("psr-direct-b", "PSR direct award process B", "psr", None, True, False, 0),
    ("psr-direct-c", "PSR direct award process C", "psr", None, True, True, 8),
    ("psr-most-suitable", "PSR most suitable provider process", "psr", None, True, True, 8),
    ("psr-competitive", "PSR competitive process", "psr", None, True, True, 8),
    ("pa2023-open", "Procurement Act 2023 open procedure", "pa2023", None, True, True, 8),
    ("spot-purchase", "Spot purchase", "council", LIGHT_TOUCH, False, False, 0),
    ("waiver", "Waiver of the council's contract rules", "council", LIGHT_TOUCH, False, False, 0),
]


def create(apps, schema_editor):
    ProcurementRoute = apps.get_model("contracts", "ProcurementRoute")
    for code, name, regime, cap, notice, standstill, days in ROUTES:
        ProcurementRoute.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "regime": regime,
                "max_total_value": cap,
                "key_decision_threshold": Decimal("1000000.00"),
                "requires_transparency_notice": notice,
                "requires_standstill": standstill,
                "standstill_days": days,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("contracts", "0003_register_money_posts_returns")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
