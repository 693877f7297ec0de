"""Settings for scripts/loadtest.py only: production's, except that static files are not fingerprinted.

The production storage (whitenoise's CompressedManifestStaticFilesStorage) needs `collectstatic` to build a
manifest, and that fails here: static/govuk/application.css refers to /static/govuk/assets/images/govuk-crest.svg,
which frontend/build.mjs leaves out (docs/benchmarks/README.md). The load test requests no static file, so the
plain storage changes nothing it measures.
"""

from config.settings.production import *  # noqa: F403
from config.settings.production import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
