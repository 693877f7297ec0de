"""Run the daily contract check now (the same work as the beat task)."""

from django.core.management.base import BaseCommand

from contracts.services import contract_alerts_check


class Command(BaseCommand):
    help = "Flag contracts ending within 6, 3 and 1 months and unsigned contracts that are delivering."

    def handle(self, *args, **options):
        outcome = contract_alerts_check()
        self.stdout.write(f"{outcome['raised']} alerts raised, {outcome['resolved']} resolved.")
