"""The members app's admin: members and classifications, and notes."""

from . import member, note

__all__ = ["member", "note"]
