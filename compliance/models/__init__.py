"""Governance records (docs/design.md §10): the arrears policy and what it decided, eligibility
lists and who inspected them, per-capita reports, and the facts of a fiscal year the LM
figures need. The money itself stays in dues; this app reads it.

- arrears: policy versions, standing decisions and holds;
- eligibility: eligibility lists, their entries and inspections;
- per_capita: affiliates, per-capita rates and reports;
- lm: fiscal-year facts for the LM figures.
"""

from .arrears import ArrearsPolicy, ChangeKind, Convention, StandingChange, StandingHold
from .eligibility import EligibilityEntry, EligibilityList, Ineligible, Inspection
from .lm import FiscalYear
from .per_capita import (
    PER_CAPITA_COLUMNS,
    Affiliate,
    CountRule,
    PerCapitaChange,
    PerCapitaLine,
    PerCapitaRate,
    PerCapitaReport,
    ReportStatus,
    RollChange,
)

__all__ = [
    "PER_CAPITA_COLUMNS",
    "Affiliate",
    "ArrearsPolicy",
    "ChangeKind",
    "Convention",
    "CountRule",
    "EligibilityEntry",
    "EligibilityList",
    "FiscalYear",
    "Ineligible",
    "Inspection",
    "PerCapitaChange",
    "PerCapitaLine",
    "PerCapitaRate",
    "PerCapitaReport",
    "ReportStatus",
    "RollChange",
    "StandingChange",
    "StandingHold",
]
