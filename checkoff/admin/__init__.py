"""Check-off in the admin: employers and authorizations, remittances (upload, preview,
confirm and post, reverse), and their lines (matched by hand, suspense resolved)."""

from . import employers, lines, remittances

__all__ = ["employers", "lines", "remittances"]
