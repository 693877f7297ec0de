"""Time every report, the main lists and the imports against plain SQL on the data held (synthetic data:
`generate_synthetic`). Reads only: page requests and imports run in a transaction that is rolled back."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reporting import benchmark


class Command(BaseCommand):
    help = (
        "Benchmark each report, list page, API list and import against the plain SQL for the same answer; "
        "print a table of medians and ratios (ours / plain SQL) and, with --json, write them with the machine."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=5, help="Timed runs of each measurement (median kept).")
        parser.add_argument(
            "--json", dest="json_path", type=Path, help="Write the results, with the machine's description, here."
        )
        parser.add_argument("--seed", type=int, help="The seed the synthetic data was generated with (recorded).")
        parser.add_argument("--scale", type=float, help="The data's scale (recorded; worked out from it if not given).")
        parser.add_argument(
            "--only", action="append", help="Only this report kind or list name (repeatable), e.g. --only spend."
        )
        parser.add_argument(
            "--section", action="append", choices=["reports", "lists", "imports"], help="Only this part (repeatable)."
        )
        parser.add_argument("--return-rows", type=int, default=1000, help="Rows in the performance-return file.")
        parser.add_argument("--invoices", type=int, default=200, help="Invoices in the submitted batch.")
        parser.add_argument("--force", action="store_true", help="Run with DEBUG off (never on a live service).")

    def handle(self, *args, repeat, json_path, seed, scale, only, section, return_rows, invoices, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("The benchmark is for development data: run with DJANGO_DEBUG=1, or pass --force.")
        if repeat < 1:
            raise CommandError("--repeat must be at least 1.")
        try:
            results = benchmark.run(
                repeat=repeat,
                seed=seed,
                scale=scale,
                only=set(only) if only else None,
                sections=tuple(section or ("reports", "lists", "imports")),
                return_rows=return_rows,
                invoices=invoices,
            )
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(benchmark.table(results))
        if json_path:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
            self.stdout.write(f"\nWritten to {json_path}.")
