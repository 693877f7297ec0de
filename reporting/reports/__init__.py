"""Every report the service offers. Importing this package registers them."""

from . import assurance, contracts, nmiss, records_held, spend, transparency_spend, waiting_list  # noqa: F401
