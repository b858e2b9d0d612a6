"""What reads dues, and never writes (docs/style.md): import from `dues.selectors`.

- summary: one member's dues by the ledger rules in Python, and who sees which field of a
  payment;
- standings_sql: the same rules for many members in one SQL statement (its twin);
- kept: reads of the kept ledgers and totals (the member list's standing, arrears,
  counts, a period's money);
- receipts: what one payment paid (the charges it covered, the paid-through after it);
- reports: collections by month, the office's overview, latest payments, statements;
- billing: the rates in force, a period by its month;
- declared: what higher apps declare (protected months, dues deducted at source);
- common: what the two ledger selectors share.

A kept ledger is up to today only once the service member_ledgers_bring_up_to_date()
has run: the views, jobs and extensions that read kept ledgers call it first."""

from .billing import dues_period_get, dues_rates_on
from .common import FAR_FUTURE, day_end, exact_decimal
from .declared import members_deducted_at_source, protected_months
from .kept import (
    arrears_list,
    arrears_totals,
    member_balances,
    member_ledger,
    member_standing_labels,
    members_in_standing,
    members_in_standing_count,
    period_money,
    periods_with_totals,
    standing_counts,
)
from .receipts import CoveredCharge, PaymentApplication, payment_application
from .reports import (
    CollectionsYear,
    DuesOverview,
    Statement,
    StatementLine,
    collections_by_month,
    dues_overview,
    member_statement,
    payments_latest,
)
from .standings_sql import DuesStanding, charge_order, dues_standings, standings_sql
from .summary import (
    PAYMENT_OFFICE_FIELDS,
    ChargeLine,
    MemberDues,
    member_dues_summary,
    payment_fields_hidden_from,
    period_outstanding,
)

__all__ = [
    "FAR_FUTURE",
    "PAYMENT_OFFICE_FIELDS",
    "ChargeLine",
    "CollectionsYear",
    "CoveredCharge",
    "DuesOverview",
    "DuesStanding",
    "MemberDues",
    "PaymentApplication",
    "Statement",
    "StatementLine",
    "arrears_list",
    "arrears_totals",
    "charge_order",
    "collections_by_month",
    "day_end",
    "dues_overview",
    "dues_period_get",
    "dues_rates_on",
    "dues_standings",
    "exact_decimal",
    "member_balances",
    "member_dues_summary",
    "member_ledger",
    "member_standing_labels",
    "member_statement",
    "members_deducted_at_source",
    "members_in_standing",
    "members_in_standing_count",
    "payment_application",
    "payment_fields_hidden_from",
    "payments_latest",
    "period_money",
    "period_outstanding",
    "periods_with_totals",
    "protected_months",
    "standing_counts",
    "standings_sql",
]
