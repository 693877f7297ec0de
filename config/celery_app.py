"""The Celery application: Django settings under the CELERY_ namespace, tasks autodiscovered from each app.

Run a worker:  celery -A config worker -l info
Run beat:      celery -A config beat -l info
With no broker configured (CELERY_BROKER_URL / REDIS_URL unset), tasks run in-process instead.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("sen_therapies")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The whole beat schedule, in one place. Times are Europe/London (CELERY_TIMEZONE).
app.conf.beat_schedule = {
    "core-clear-expired-sessions": {
        "task": "core.tasks.clear_expired_sessions",
        "schedule": crontab(hour=2, minute=30),  # daily at 02:30, before the working day
    },
    "providers-compliance-check": {
        "task": "providers.tasks.check_compliance",
        "schedule": crontab(hour=6, minute=15),  # daily at 06:15, before officers start work
    },
    "contracts-alerts": {
        "task": "contracts.tasks.check_contract_alerts",
        "schedule": crontab(hour=6, minute=30),  # daily at 06:30: alerts on the home pages by the morning
    },
    "placements-anonymise-expired-children": {
        "task": "placements.tasks.anonymise_expired_children",
        "schedule": crontab(hour=3, minute=0),  # daily at 03:00: records past their retention date lose identity
    },
    "reporting-fail-stuck-runs": {
        "task": "reporting.tasks.fail_stuck_report_runs",
        "schedule": crontab(minute="*/5"),  # every five minutes: no run stays "running" for ever
    },
    "reporting-monthly-runs": {
        "task": "reporting.tasks.run_monthly_reports",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),  # 06:00 on the 1st: last month's figures
    },
}
