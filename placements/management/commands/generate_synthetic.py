"""Write a fictional data set at scale, for load tests and report benchmarks. Never on a live service."""

import time
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from placements import synthetic


def _scale(value: str) -> float:
    scale = float(value)
    if scale < 0:
        raise ValueError("The scale cannot be negative.")
    return scale


class Command(BaseCommand):
    help = (
        "Write fictional data at a scale: 1 is one county (20,000 children with plans, 2,000 therapy and "
        "2,000 school placements, 50,000 invoices), 30 is about national size. Same seed, same data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=_scale, required=True, help="1 = one county; fractions allowed.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same data.")
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="The day the data is 'as of' (YYYY-MM-DD; default today). Part of what makes a run repeatable.",
        )
        parser.add_argument("--flush", action="store_true", help="Delete earlier synthetic data first.")
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never in production).")
        parser.add_argument(
            "--no-copy", action="store_true", help="On PostgreSQL, insert with bulk_create instead of COPY."
        )

    def handle(self, *args, scale, seed, as_of, flush, force, no_copy, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Synthetic data is for development: run with DJANGO_DEBUG=1, or pass --force.")
        with transaction.atomic():  # a failed run leaves the earlier data as it was
            started = time.monotonic()
            if flush:
                deleted = synthetic.flush()
                seconds = time.monotonic() - started
                self.stdout.write(f"Deleted {sum(deleted.values()):,} synthetic rows ({seconds:.1f}s).")
            elif synthetic.synthetic_data_present():
                raise CommandError("This database already holds synthetic data: pass --flush to replace it.")
            if scale == 0:
                return
            as_of = as_of or timezone.localdate()
            self.stdout.write(
                f"Writing synthetic data at scale {scale:g} (seed {seed}, as of {as_of}) to {connection.vendor}."
            )
            bar = synthetic.Progress(self.stdout, synthetic.progress_total(scale))
            began = time.monotonic()
            try:
                counts = synthetic.generate(
                    scale=scale, seed=seed, as_of=as_of, progress=bar.advance, use_copy=not no_copy
                )
            except synthetic.ReferenceDataMissing as exc:
                raise CommandError(str(exc)) from exc
        bar.finish()
        elapsed = time.monotonic() - began
        with connection.cursor() as cursor:  # planner statistics for what was just loaded
            cursor.execute("ANALYZE")
        width = max(len(label) for label in counts)
        for label, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            self.stdout.write(f"  {label:<{width}}  {count:>10,}")
        self.stdout.write(self.style.SUCCESS(f"Wrote {sum(counts.values()):,} rows in {elapsed:.1f}s."))
