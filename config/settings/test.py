"""Tests: only what makes them fast and self-contained; everything else is base.py and the environment."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-any-deployment-000000000000")
# live_server with the synchronous Playwright API runs the server in a thread of an event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from .base import *  # noqa: F403
from .base import STORAGES, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "test-private", "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": [], "DEFAULT_THROTTLE_RATES": {}}  # noqa: F405
# Tests run tasks in-process so they see their own uncommitted data; the tests that exercise the
# real broker and worker (marked `services`) switch this off for themselves.
CELERY_TASK_ALWAYS_EAGER = True
# Tolerate one 30-second step of clock skew between generating a code and checking it.
MFA_TOTP_TOLERANCE = 1
