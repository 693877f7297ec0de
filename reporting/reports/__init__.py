"""Every report the service offers. Importing this package registers them."""

from . import contracts, records_held  # noqa: F401
