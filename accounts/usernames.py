"""The one spelling of a username that logging in resolves."""

from __future__ import annotations

import unicodedata


def login_name(typed: object) -> str:
    """What Django's login form makes of a typed username (its UsernameField: surrounding
    spaces stripped, then NFKC, so a full-width "victim" is victim). Every login path
    authenticates, and counts failed attempts, under this name."""
    return unicodedata.normalize("NFKC", str(typed or "").strip())
