"""What governance adds to the office's header (`appkit.office_links`, declared in
ComplianceConfig): its pages, for officers and admins."""

from __future__ import annotations

from appkit.extensions import OfficeLink

GOVERNANCE_LINK = OfficeLink("Governance", "compliance:arrears", "compliance.view_arrearspolicy")
