"""The Dynamic Purchasing System for non-maintained and independent special school (NMISS) places."""

from datetime import date

from django.db import migrations

LOTS = [
    # (number, name, primary need, setting, age from, age to)
    (1, "Autism: day places", "ASD", "day", 4, 19),
    (2, "Autism: residential places", "ASD", "residential", 8, 19),
    (3, "Social, emotional and mental health: day places", "SEMH", "day", 5, 16),
    (4, "Social, emotional and mental health: residential places", "SEMH", "residential", 8, 19),
    (5, "Speech, language and communication needs: day places", "SLCN", "day", 4, 16),
    (6, "Severe learning difficulty: day places", "SLD", "day", 4, 19),
    (7, "Profound and multiple learning difficulty: residential places", "PMLD", "residential", 4, 19),
    (8, "Specific learning difficulty: day places", "SPLD", "day", 7, 16),
    (9, "Physical disability and sensory impairment: day places", "PD", "day", 4, 19),
]


def create(apps, schema_editor):
    ProviderList = apps.get_model("providers", "ProviderList")
    Lot = apps.get_model("providers", "Lot")
    PrimaryNeed = apps.get_model("core", "PrimaryNeed")
    District = apps.get_model("core", "District")
    dps, _ = ProviderList.objects.get_or_create(
        reference="KCC-DPS-NMISS",
        defaults={
            "kind": "dps",
            "name": "NMISS Dynamic Purchasing System",
            "description": (
                "Places for children and young people with EHCPs in non-maintained and independent special "
                "schools. Open to new schools throughout its term; places are awarded on quality and price."
            ),
            "opens_on": date(2022, 4, 1),
        },
    )
    districts = list(District.objects.all())
    for number, name, need, setting, age_from, age_to in LOTS:
        lot, created = Lot.objects.get_or_create(
            provider_list=dps,
            number=number,
            defaults={
                "name": name,
                "primary_need": PrimaryNeed.objects.get(code=need),
                "setting": setting,
                "age_from": age_from,
                "age_to": age_to,
            },
        )
        if created:
            lot.districts.set(districts)


class Migration(migrations.Migration):
    dependencies = [("providers", "0005_school_answers_and_fee_bands")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
