"""Development: everything comes from base.py and the environment (`make run` sets DJANGO_DEBUG=1)."""

from .base import *  # noqa: F403
