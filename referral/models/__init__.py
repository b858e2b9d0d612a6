"""The hiring hall's ledger (docs/design.md §11): out-of-work books, the versioned rules
that order them, members' registrations and the append-only events that are their record.

A registrant's place is derived, never stored: the book's current registrations in (tier,
APN, sequence) order (referral.selectors.book_list). `RegistrationEvent` keeps, with every
change, the registration's place after it, so a book's list as it stood at any instant is
rebuilt from events alone (referral.selectors.book_list_as_of). A check mark is a row of its
own too (`CheckMark`, one per registration per day), beside the event that tells of it."""

from .bids import Bid, BiddingSuspension, BidStatus
from .books import (
    AgreementType,
    Book,
    CheckMarkReason,
    EmployerContract,
    Holiday,
    Region,
    RuleSet,
    WorkLevel,
)
from .dispatches import (
    OPEN_DISPATCH_STATUSES,
    Dispatch,
    DispatchMethod,
    DispatchStatus,
    Qualification,
    TerminationReason,
)
from .marks import CheckMark
from .notices import (
    Notice,
    NoticeKind,
    NoticeStatus,
)
from .registrations import (
    ACTIVE_STATUSES,
    CAPPED_EXEMPTIONS,
    ON_LIST_STATUSES,
    EventKind,
    Exemption,
    ExemptionKind,
    QueuedRegistration,
    Registration,
    RegistrationEvent,
    RegistrationHold,
    RegistrationStatus,
    RollOffReason,
)
from .requests import (
    OPEN_REQUEST_STATUSES,
    Blackout,
    LaborRequest,
    LaborRequestStatus,
    Requirement,
)
from .runs import ReferralLine, ReferralRun, ReferralRunStatus, SkipReason

__all__ = [
    "ACTIVE_STATUSES",
    "CAPPED_EXEMPTIONS",
    "ON_LIST_STATUSES",
    "OPEN_DISPATCH_STATUSES",
    "OPEN_REQUEST_STATUSES",
    "AgreementType",
    "Bid",
    "BidStatus",
    "BiddingSuspension",
    "Blackout",
    "Book",
    "CheckMark",
    "CheckMarkReason",
    "Dispatch",
    "DispatchMethod",
    "DispatchStatus",
    "EmployerContract",
    "EventKind",
    "Exemption",
    "ExemptionKind",
    "Holiday",
    "LaborRequest",
    "LaborRequestStatus",
    "Notice",
    "NoticeKind",
    "NoticeStatus",
    "Qualification",
    "QueuedRegistration",
    "ReferralLine",
    "ReferralRun",
    "ReferralRunStatus",
    "Region",
    "Registration",
    "RegistrationEvent",
    "RegistrationHold",
    "RegistrationStatus",
    "Requirement",
    "RollOffReason",
    "RuleSet",
    "SkipReason",
    "TerminationReason",
    "WorkLevel",
]
