"""What check-off adds to the office's header (`appkit.office_links`, declared in
CheckoffConfig): the employers' reconciliation page."""

from __future__ import annotations

from appkit.extensions import OfficeLink

EMPLOYERS_LINK = OfficeLink("Employers", "checkoff:employers", "checkoff.view_remittancebatch")
