"""What writes the hiring hall's ledger (docs/design.md §11). Every change to a registration
writes its event in the same transaction, under a lock: the book's row when an APN is drawn
(concurrent registrations get distinct, ordered APNs), the registration's row when its
status, re-sign date or check marks change (the nightly drop and a last-second re-sign cannot
both win; two giving the day's check mark at once make one).
Every event names the rule version it applied.

The lock order, for every service that takes more than one: a labor request's row, then
the member's registrations by id, then a dispatch's or a run's own row; and every lock
before the first write, since each audited write takes the audit trail's chain head and
holds it to the end. The locks are FOR NO KEY UPDATE: no service changes a key, and an
insert that only names a locked row (an event, a run's line) then never waits for it (a
plain FOR UPDATE made ten dispatchers deadlock on those inserts' key-share locks)."""

from .bids import bid_place, bid_refuse
from .dispatching import (
    dispatch_check_in,
    dispatch_make,
    dispatch_no_show,
    dispatch_start_work,
    dispatch_terminate,
)
from .exemptions import exemption_end, exemption_extend, exemption_start, exemptions_end_due
from .holidays import holiday_save
from .marks import check_marks_give, registration_check_mark
from .registering import (
    registration_register,
    registration_resign,
    registration_roll_off,
    registrations_drop_missed,
    registrations_hold,
    registrations_hold_release,
    rule_set_activate,
    rule_set_save,
)
from .requests import labor_request_cancel, labor_request_receive, labor_requests_expire
from .runs import referral_run_confirm, referral_run_propose

__all__ = [
    "bid_place",
    "bid_refuse",
    "check_marks_give",
    "dispatch_check_in",
    "dispatch_make",
    "dispatch_no_show",
    "dispatch_start_work",
    "dispatch_terminate",
    "exemption_end",
    "exemption_extend",
    "exemption_start",
    "exemptions_end_due",
    "holiday_save",
    "labor_request_cancel",
    "labor_request_receive",
    "labor_requests_expire",
    "referral_run_confirm",
    "referral_run_propose",
    "registration_check_mark",
    "registration_register",
    "registration_resign",
    "registration_roll_off",
    "registrations_drop_missed",
    "registrations_hold",
    "registrations_hold_release",
    "rule_set_activate",
    "rule_set_save",
]
