"""The words for a member's dues, settled once, for every page, notice, statement, report
and CSV of the office and of the member:

- balance: everything charged and not paid, charges not yet due included (negative: a
  credit, written "$5.00 credit");
- past due: the part of the balance owed by today, on charges past their due date
  (dues.ledger.past_due);
- paid through: the last period paid, with every period before it;
- months behind: periods past their due date and not fully paid (the ledger's months in
  arrears, which make the standing).

Where two figures differ by rule (a balance that includes next month's charge, and what is
past due), both are shown, each with its name."""

from __future__ import annotations

from decimal import Decimal

from appkit.templatetags.office import currency

BALANCE = "Balance"
PAST_DUE = "Past due"
PAID_THROUGH = "Paid through"
MONTHS_BEHIND = "Months behind"


def balance_words(balance: Decimal) -> str:
    """A balance as the office writes it: "$92.00", or "$5.00 credit"."""
    return f"{currency(-balance)} credit" if balance < 0 else currency(balance)
