"""Development: everything comes from base.py and the environment (`make run` sets DJANGO_DEBUG=1).

This is manage.py's default module, on a developer's machine only: without DJANGO_SECRET_KEY it falls back to
the development key so that commands such as `makemigrations --check` run on a fresh checkout with nothing
set. DEBUG still defaults to off. The production settings (wsgi, asgi, the Docker image) never fall back.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "django-insecure-development-only-key-never-use-in-production-0123456789")

from .base import *  # noqa: F403
