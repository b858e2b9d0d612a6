"""The referral run screen (docs/design.md §11): a run as a dispatcher reads it, book by
book: the list as the run consulted it (from its stored `consulted`, never the list as it
stands now), and each request with its offers and its skips, each skip's reason in words.
Also what confirming it will do, counted before it is done. Read in the same four queries
whatever the size of the run. Reads only."""

from __future__ import annotations

from dataclasses import dataclass, field

from members.models import Member

from .models import LaborRequest, ReferralLine, ReferralRun, SkipReason
from .models.registrations import RegistrationStatus

# Those passed over for these were not there to take the call: confirming gives them no
# check mark (as referral_run_confirm decides, under its locks).
_NOT_MARKED = (SkipReason.EXEMPT, SkipReason.ALREADY_DISPATCHED)


@dataclass(frozen=True)
class ListedLine:
    position: int
    member_id: int
    member: str
    registration_id: int
    status: str


@dataclass(frozen=True)
class DecidedLine:
    position: int
    member: str
    registration_id: int
    offered: bool
    reason_code: str
    # In words (SkipReason's labels).
    reason: str


@dataclass
class RequestDecided:
    request_id: int
    employer: str
    positions: int
    requirements: list[str]
    named: bool
    bidders: int
    lines: list[DecidedLine] = field(default_factory=list)

    @property
    def offers(self) -> int:
        return sum(line.offered for line in self.lines)

    @property
    def unfilled(self) -> int:
        return max(self.positions - self.offers, 0)


@dataclass
class BookRead:
    book_id: int
    code: str
    listed: list[ListedLine]
    requests: list[RequestDecided]


@dataclass(frozen=True)
class WhatConfirmingDoes:
    dispatches: int
    check_marks: int
    unfilled_requests: int


def run_books(run: ReferralRun) -> list[BookRead]:
    """The run's books in the order it read them, each with its list and its requests."""
    consulted = run.consulted
    member_ids = {entry["member"] for book in consulted["books"] for entry in book["list"]}
    names = {
        m.pk: f"{m.full_name} ({m.member_number})"
        for m in Member.objects.filter(pk__in=member_ids).only(
            "pk", "first_name", "last_name", "member_number"
        )
    }
    request_ids = [r["id"] for r in consulted["requests"]]
    requests = LaborRequest.objects.select_related("employer").in_bulk(request_ids)
    status_words = dict(RegistrationStatus.choices)
    books = {}
    for book in consulted["books"]:
        listed = [
            ListedLine(
                position=position,
                member_id=entry["member"],
                member=names.get(entry["member"], f"member #{entry['member']}"),
                registration_id=entry["registration"],
                status=status_words.get(entry["status"], entry["status"]),
            )
            for position, entry in enumerate(book["list"], start=1)
        ]
        books[book["id"]] = BookRead(book["id"], book["code"], listed, [])
    decided: dict[int, RequestDecided] = {}
    for read in consulted["requests"]:
        request = requests.get(read["id"])
        decided[read["id"]] = RequestDecided(
            request_id=read["id"],
            employer=str(request.employer) if request else f"employer #{read['employer']}",
            positions=read["positions"],
            requirements=read["requirements"],
            named=read["named_member"] is not None,
            bidders=len(read["bidders"]),
        )
        books[read["book"]].requests.append(decided[read["id"]])
    reasons = dict(SkipReason.choices)
    decisions = run.lines.order_by("order").values_list(
        "position", "member_id", "registration_id", "labor_request_id", "outcome", "reason"
    )
    for position, member_id, registration_id, request_id, outcome, reason in decisions:
        decided[request_id].lines.append(
            DecidedLine(
                position=position,
                member=names.get(member_id, f"member #{member_id}"),
                registration_id=registration_id,
                offered=outcome == ReferralLine.Outcome.OFFER,
                reason_code=reason,
                reason=reasons.get(reason, reason),
            )
        )
    return list(books.values())


def what_confirming_does(books: list[BookRead]) -> WhatConfirmingDoes:
    """Counted from the run as proposed: a run whose lists changed since is refused, so
    these are the numbers a confirmation that goes through makes. Every offer is a
    dispatch; on a request left unfilled, each registrant passed over for a reason other
    than being exempt or already out gets the day's check mark (one, however many such
    requests passed them over)."""
    requests = [request for book in books for request in book.requests]
    unfilled = [request for request in requests if request.unfilled]
    return WhatConfirmingDoes(
        dispatches=sum(request.offers for request in requests),
        check_marks=len(
            {
                line.registration_id
                for request in unfilled
                for line in request.lines
                if not line.offered and line.reason_code not in _NOT_MARKED
            }
        ),
        unfilled_requests=len(unfilled),
    )
