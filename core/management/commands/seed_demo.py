"""Load fictional demo data: each app's `demo.seed()`, in dependency order. Safe to run again."""

import importlib
import importlib.util
import random

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import override_settings

OUR_APPS = ["core", "providers", "contracts", "placements", "reporting"]


class Command(BaseCommand):
    help = "Load fictional demo data (reference data comes from migrations). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="Random seed, for reproducible data.")
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never in production).")

    def handle(self, *args, seed: int, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo data is for development: run with DJANGO_DEBUG=1, or pass --force.")
        rng = random.Random(seed)
        self.stdout.write("Demo sign-ins (demonstration only):")
        # Demo data notifies nobody by email (notifications still appear in the service).
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            for name in OUR_APPS:
                if not apps.is_installed(name) or importlib.util.find_spec(f"{name}.demo") is None:
                    continue
                module = importlib.import_module(f"{name}.demo")
                with transaction.atomic():
                    module.seed(stdout=self.stdout, rng=rng)
        # Fresh planner statistics after a bulk load: without them SQLite walks the wrong index (provision
        # assurance took seconds instead of milliseconds on the demo data).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
