"""The hiring hall in the admin: regions (with their holidays) and books; rule-set versions,
editable until activated, activated through a page that says what activating does; and
registrations, made and changed only through the services (register, re-sign, roll off,
exemptions, check marks), each with its events, which no one edits; the morning referral's
hold, started and released from the registrations' list (holds.py); labor requests, received
and cancelled through their services (requests.py); dispatches, made from a request and
checked in, started, ended or marked a no-show through theirs (dispatches.py); the morning
referral's runs, proposed, shown book by book and confirmed through theirs (runs.py); and the
qualifications a request's requirements are checked against (qualifications.py); the
vendor's lists imported (referral/admin_imports.py: registrations, and employers'
contracts)."""

from .. import admin_imports
from . import books, dispatches, qualifications, registrations, requests, rule_sets, runs

__all__ = [
    "admin_imports",
    "books",
    "dispatches",
    "qualifications",
    "registrations",
    "requests",
    "rule_sets",
    "runs",
]
