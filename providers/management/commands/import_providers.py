"""Import an existing provider list from CSV (all or nothing), as the officers' import page does."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from providers.services import provider_import_csv


class Command(BaseCommand):
    help = "Import providers (preferred / non-preferred) from a CSV file; nothing is imported if any row is wrong."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        try:
            created = provider_import_csv(content=path.read_bytes())
        except ValidationError as exc:
            raise CommandError("Nothing imported:\n" + "\n".join(exc.messages)) from exc
        self.stdout.write(f"{len(created)} providers imported.")
