"""Who the morning referral offers each request to, and why each registrant above them was
passed over (docs/design.md §11, docs/domain.md §6): a pure function of what the run
consulted, so a stored run decides the same lines again (the replay).

`consulted` is plain JSON, built by referral.services.referral_run_propose:

    {"day": "2026-12-08", "rule_version": 3, "out_of_standing_referred": false,
     "books": [{"id": 1, "code": "WIRE-N",
                "list": [{"registration": 7, "member": 5, "status": "registered"}, ...]}],
     "requests": [{"id": 9, "book": 1, "positions": 2, "employer": 3,
                   "requirements": ["OSHA-30"], "named_member": null, "bidders": [5]}],
     "members": {"5": {"standing": true, "dispatched": false, "bidding_suspended": false,
                       "qualifications": ["OSHA-30"], "blacked_out_from": [3]}}}

Books come in the configured referral order, each list in (tier, APN, sequence) order
(Book 1 before lower tiers), each book's requests oldest first. A request's web bidders are
offered it first, in list order (the order they bid in counts for nothing: the same bids
and list give the same result); the positions they leave go down the list to the rest, and
those above its last offer passed over for a bidder are recorded as not having bid."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

OFFER = "offer"
SKIP = "skip"


@dataclass(frozen=True)
class Line:
    request: int
    registration: int
    member: int
    book: int
    outcome: str
    reason: str
    position: int


def list_hash(consulted: dict) -> str:
    """The SHA-256 of what a run consulted, written canonically (sorted keys, no spaces)."""
    canonical = json.dumps(consulted, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def offers_and_skips(consulted: dict) -> list[Line]:
    """Every offer, and every registrant passed over before the request's last offer (or
    down the whole list, for a request left unfilled), in the order decided. A member gets
    one offer a run; a by-name request goes to its named member only."""
    members = consulted["members"]
    requests_by_book: dict[int, list[dict]] = {}
    for request in consulted["requests"]:
        requests_by_book.setdefault(request["book"], []).append(request)
    offered: set[int] = set()
    lines: list[Line] = []
    for book in consulted["books"]:
        for request in requests_by_book.get(book["id"], []):
            lines += _decide(request, book, members, offered, consulted)
    return lines


def _decide(
    request: dict, book: dict, members: dict, offered: set[int], consulted: dict
) -> list[Line]:
    lines: list[Line] = []
    left = request["positions"]
    bidders = set(request["bidders"])
    # The bidders first, then (for the positions they leave) everyone else on the list.
    for bidding in (True, False) if bidders else (False,):
        for position, entry in enumerate(book["list"], start=1):
            if left == 0:
                break
            member = entry["member"]
            if request["named_member"] is not None and member != request["named_member"]:
                continue
            if bidders and (member in bidders) != bidding:
                continue
            facts = members[str(member)]
            reason = skip_reason(entry, request, facts, offered, consulted)
            if not reason and bidding and facts["bidding_suspended"]:
                reason = "bidding_suspended"
            outcome = SKIP if reason else OFFER
            registration = entry["registration"]
            lines.append(
                Line(request["id"], registration, member, book["id"], outcome, reason, position)
            )
            if outcome == OFFER:
                offered.add(member)
                left -= 1
    return lines + _not_bidding(lines, request, book, bidders)


def _not_bidding(lines: list[Line], request: dict, book: dict, bidders: set[int]) -> list[Line]:
    """Those above the request's last offer who were passed over for bidders, and were not
    decided on again for the positions the bidders left: they did not bid on it."""
    offers = [line.position for line in lines if line.outcome == OFFER]
    if not bidders or not offers:
        return []
    decided = {line.registration for line in lines}
    return [
        Line(
            request["id"],
            entry["registration"],
            entry["member"],
            book["id"],
            SKIP,
            "did_not_bid",
            position,
        )
        for position, entry in enumerate(book["list"][: max(offers) - 1], start=1)
        if entry["registration"] not in decided and entry["member"] not in bidders
    ]


def skip_reason(entry: dict, request: dict, facts: dict, offered: set[int], consulted: dict) -> str:
    """Why this registrant is not offered this request ("" when they are): the first of
    exempt, already dispatched (or offered earlier this run), out of good standing where the
    rules refer only members in it, blacked out from the employer, lacking a requirement."""
    if entry["status"] == "exempt":
        return "exempt"
    if facts["dispatched"] or entry["member"] in offered:
        return "already_dispatched"
    if not facts["standing"] and not consulted["out_of_standing_referred"]:
        return "out_of_standing"
    if request["employer"] in facts["blacked_out_from"]:
        return "blacked_out"
    if not set(request["requirements"]) <= set(facts["qualifications"]):
        return "lacks_requirement"
    return ""
