"""The demand side, one child at a time: children, EHCP provision, referrals, placements, invoices."""
