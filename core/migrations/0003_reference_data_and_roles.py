"""Reference data (Kent districts and Medway, therapy types, DfE SEN2 primary needs) and the role groups.

The groups' permissions are set after every migrate by core.roles.sync_role_groups, once every app's
permissions exist.
"""

from django.db import migrations

DISTRICTS = [
    # (name, ONS code, authority)
    ("Ashford", "E07000105", "Kent County Council"),
    ("Canterbury", "E07000106", "Kent County Council"),
    ("Dartford", "E07000107", "Kent County Council"),
    ("Dover", "E07000108", "Kent County Council"),
    ("Gravesham", "E07000109", "Kent County Council"),
    ("Maidstone", "E07000110", "Kent County Council"),
    ("Sevenoaks", "E07000111", "Kent County Council"),
    ("Folkestone and Hythe", "E07000112", "Kent County Council"),
    ("Swale", "E07000113", "Kent County Council"),
    ("Thanet", "E07000114", "Kent County Council"),
    ("Tonbridge and Malling", "E07000115", "Kent County Council"),
    ("Tunbridge Wells", "E07000116", "Kent County Council"),
    ("Medway", "E06000035", "Medway Council"),
]

THERAPY_TYPES = [
    ("speech-language", "Speech and language therapy"),
    ("occupational", "Occupational therapy"),
    ("physiotherapy", "Physiotherapy"),
    ("cbt", "Cognitive behavioural therapy"),
    ("hydrotherapy", "Hydrotherapy"),
    ("play", "Play therapy"),
    ("music", "Music therapy"),
    ("art", "Art therapy"),
    ("drama", "Drama therapy"),
    ("assistive-technology", "Assistive technology and AAC"),
]

# DfE SEN2 / school census primary type of need.
PRIMARY_NEEDS = [
    ("SPLD", "Specific learning difficulty"),
    ("MLD", "Moderate learning difficulty"),
    ("SLD", "Severe learning difficulty"),
    ("PMLD", "Profound and multiple learning difficulty"),
    ("SEMH", "Social, emotional and mental health"),
    ("SLCN", "Speech, language and communication needs"),
    ("HI", "Hearing impairment"),
    ("VI", "Vision impairment"),
    ("MSI", "Multi-sensory impairment"),
    ("PD", "Physical disability"),
    ("ASD", "Autistic spectrum disorder"),
    ("OTH", "Other difficulty or disability"),
]

ROLE_GROUPS = ["Administrator", "Officer", "Commissioner", "Provider user", "Integration"]


def load(apps, schema_editor):
    District = apps.get_model("core", "District")
    TherapyType = apps.get_model("core", "TherapyType")
    PrimaryNeed = apps.get_model("core", "PrimaryNeed")
    Group = apps.get_model("auth", "Group")
    for name, code, authority in DISTRICTS:
        District.objects.update_or_create(ons_code=code, defaults={"name": name, "authority": authority})
    for order, (code, name) in enumerate(THERAPY_TYPES, start=1):
        TherapyType.objects.update_or_create(code=code, defaults={"name": name, "sort_order": order * 10})
    for order, (code, name) in enumerate(PRIMARY_NEEDS, start=1):
        PrimaryNeed.objects.update_or_create(code=code, defaults={"name": name, "sort_order": order * 10})
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_user_provider")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
