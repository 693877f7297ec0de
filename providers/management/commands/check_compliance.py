"""Run the daily compliance check now (the same work as the beat task)."""

from datetime import date

from django.core.management.base import BaseCommand

from providers.services import compliance_check


class Command(BaseCommand):
    help = "Warn about evidence expiring soon and suspend memberships whose mandatory evidence has expired."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="Check as on this day (YYYY-MM-DD).")

    def handle(self, *args, date=None, **options):
        outcome = compliance_check(today=date)
        self.stdout.write(f"{outcome.warned} expiry warnings sent; {outcome.suspended} memberships suspended.")
