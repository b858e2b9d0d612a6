"""What the hiring hall adds to the office's header (`appkit.office_links`, declared in
ReferralConfig): its books page."""

from __future__ import annotations

from appkit.extensions import OfficeLink

BOOKS_LINK = OfficeLink("Hiring hall", "referral:books", "referral.view_book")
