"""The SEN therapies Qualified Provider List (decision 21/00053) with a lot per therapy type."""

from datetime import date

from django.db import migrations


def create(apps, schema_editor):
    ProviderList = apps.get_model("providers", "ProviderList")
    Lot = apps.get_model("providers", "Lot")
    TherapyType = apps.get_model("core", "TherapyType")
    District = apps.get_model("core", "District")
    qpl, _ = ProviderList.objects.get_or_create(
        reference="KCC-QPL-SEN-THERAPIES",
        defaults={
            "kind": "qpl",
            "name": "SEN therapies Qualified Provider List",
            "description": (
                "Therapy for named children with an EHCP, bought by call-off from qualified providers "
                "selected on quality, under the light-touch regime."
            ),
            "opens_on": date(2021, 9, 1),
            "key_decision_number": "21/00053",
        },
    )
    districts = list(District.objects.all())
    for number, therapy in enumerate(TherapyType.objects.order_by("sort_order", "name"), start=1):
        lot, created = Lot.objects.get_or_create(
            provider_list=qpl, number=number, defaults={"name": therapy.name, "therapy_type": therapy}
        )
        if created:
            lot.districts.set(districts)


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0002_qpl_questionnaire_and_compliance"),
        ("core", "0003_reference_data_and_roles"),
    ]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
