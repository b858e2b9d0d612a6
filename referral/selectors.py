"""What reads the hiring hall's ledger (never writes). A registrant's position is derived
from the book's current registrations in (tier, APN, sequence) order; the list as it stood
at a past instant is rebuilt from the events alone, so nothing that happens later changes
an earlier answer."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from apikit.errors import ConflictError
from appkit.sql import Among
from members.models import Member

from .models import (
    ON_LIST_STATUSES,
    Blackout,
    Book,
    Dispatch,
    Qualification,
    QueuedRegistration,
    Registration,
    RegistrationEvent,
    RegistrationStatus,
    RuleSet,
)

LIST_ORDER = ("tier", "apn", "sequence")


def rule_set_in_force(day: datetime.date) -> RuleSet | None:
    """The rules in force on a day: the activated version with the latest effective date
    on or before it."""
    return (
        RuleSet.objects.filter(activated_at__isnull=False, effective_on__lte=day)
        .order_by("-effective_on", "-version")
        .first()
    )


def book_list(book: Book) -> QuerySet[Registration]:
    """A book's out-of-work list now, first to be referred first: its registrants waiting
    for a call (the exempt keep their place), in (tier, APN, sequence) order."""
    return (
        Registration.objects.filter(book=book, status__in=ON_LIST_STATUSES)
        .select_related("member")
        .order_by(*LIST_ORDER)
    )


def registration_position(registration: Registration) -> int | None:
    """Where a registration stands on its book's list now (1 first), or None when it is
    not on it: one count over the list's index."""
    if registration.status not in ON_LIST_STATUSES:
        return None
    r = registration
    ahead = (
        Q(tier__lt=r.tier)
        | Q(tier=r.tier, apn__lt=r.apn)
        | Q(tier=r.tier, apn=r.apn, sequence__lt=r.sequence)
    )
    return (
        Registration.objects.filter(book_id=r.book_id, status__in=ON_LIST_STATUSES)
        .filter(ahead)
        .count()
        + 1
    )


@dataclass(frozen=True)
class ListedAsOf:
    """One line of a book's list as it stood at an instant, from its last event then."""

    position: int
    registration_id: int
    member_id: int
    status: str
    tier: int
    apn: Decimal
    sequence: int
    last_event: str
    last_event_at: datetime.datetime


def book_list_as_of(book: Book, instant: datetime.datetime) -> list[ListedAsOf]:
    """A book's out-of-work list as it stood at `instant`, rebuilt from events alone: each
    registration registered by then, in the state of its last event at or before then.
    Later events (and registrations made later) are after `instant`, so they change nothing."""
    last_event = (
        RegistrationEvent.objects.filter(registration=OuterRef("pk"), at__lte=instant)
        .order_by("-at", "-id")
        .values("id")[:1]
    )
    # Registrations alive at the instant (ended_at is only ever set to the time of their
    # final event, so it only narrows what the events would say).
    alive = (
        Registration.objects.filter(book=book, registered_at__lte=instant)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=instant))
        .annotate(last=Subquery(last_event))
        .values("last")
    )
    events = (
        RegistrationEvent.objects.filter(id__in=alive, status__in=ON_LIST_STATUSES)
        .order_by(*LIST_ORDER)
        .values_list(
            "registration_id", "member_id", "status", "tier", "apn", "sequence", "kind", "at"
        )
    )
    return [ListedAsOf(position, *row) for position, row in enumerate(events, start=1)]


def resign_due_within(days: int, *, today: datetime.date | None = None) -> QuerySet[Registration]:
    """Registrations on a book whose re-sign falls due in the next `days` days."""
    today = today or timezone.localdate()
    return (
        Registration.objects.filter(
            status=RegistrationStatus.REGISTERED,
            resign_due__gte=today,
            resign_due__lte=today + datetime.timedelta(days=days),
        )
        .select_related("member", "book")
        .order_by("resign_due", "book__code", *LIST_ORDER)
    )


def unemployed_counts() -> QuerySet[Book]:
    """Each book with how many are on its list, by status (registered, exempt)."""
    return Book.objects.annotate(
        registered=Count(
            "registrations", filter=Q(registrations__status=RegistrationStatus.REGISTERED)
        ),
        exempt=Count("registrations", filter=Q(registrations__status=RegistrationStatus.EXEMPT)),
    ).order_by("referral_order", "code")


def member_registrations(member_id: int) -> QuerySet[Registration]:
    """A member's registrations, current first, with their books."""
    return (
        Registration.objects.filter(member_id=member_id)
        .select_related("book")
        .order_by("ended_at", "-registered_at")
    )


IDEMPOTENCY_KEY_MAX = 100


def idempotency_key_checked(key: str) -> None:
    """Refuse a key no retry could send back the same (too long, or unprintable)."""
    if len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise ValidationError(
            {
                "idempotency_key": f"An idempotency key is at most {IDEMPOTENCY_KEY_MAX} "
                "printable characters."
            }
        )


def registration_asked_before(
    key: str, member: Member, book: Book, tier: int | None, tier_reason: str
) -> Registration | QueuedRegistration | None:
    """What an earlier request with the same idempotency key made: its registration, or
    its queued one (the registration drawn from it, once drawn). The same key with other
    values is a mistake, refused as dues' payment_record refuses it, not answered with the
    first."""
    idempotency_key_checked(key)
    found = Registration.objects.filter(idempotency_key=key).first()
    if found is None:
        found = QueuedRegistration.objects.filter(idempotency_key=key).first()
    if found is None:
        return None
    asked = {"member_id": member.pk, "book_id": book.pk, "tier_reason": tier_reason.strip()}
    # A registration holds the tier it was given (the rules' when none was asked for); a
    # queued one the tier asked for.
    if tier is not None or isinstance(found, QueuedRegistration):
        asked["tier"] = tier
    differ = sorted(name for name, value in asked.items() if getattr(found, name) != value)
    if differ:
        raise ConflictError(
            f"This idempotency key was already used with other values ({', '.join(differ)}); "
            "nothing was written. Use a new key for a new registration."
        )
    if isinstance(found, QueuedRegistration) and found.registration_id is not None:
        return found.registration
    return found


def registrations_dropped(
    start: datetime.date,
    end: datetime.date,
    *,
    reason: str = "",
    book: Book | None = None,
) -> QuerySet[Registration]:
    """Registrations taken off their book between two of the local's dates (both included),
    for one reason or all, latest first."""
    zone = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    until = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    dropped = Registration.objects.filter(
        status=RegistrationStatus.ROLLED_OFF, ended_at__gte=since, ended_at__lt=until
    )
    if reason:
        dropped = dropped.filter(roll_off_reason=reason)
    if book is not None:
        dropped = dropped.filter(book=book)
    return dropped.select_related("member", "book").order_by("-ended_at", "-id")


def blacked_out(member: Member, employer, day: datetime.date) -> Blackout | None:
    """The blackout that keeps an employer (or its id) from asking for a member by name on
    a day, if one does: the one that ends last."""
    employer_id = getattr(employer, "pk", employer)
    return (
        Blackout.objects.filter(
            member=member, employer_id=employer_id, starts_on__lte=day, ends_on__gte=day
        )
        .order_by("-ends_on")
        .first()
    )


def qualifications_held(member_ids, day: datetime.date) -> dict[int, list[str]]:
    """The requirement codes each member holds on a day (lapsed ones left out)."""
    held: dict[int, list[str]] = {}
    rows = (
        Qualification.objects.filter(Among(F("member_id"), member_ids))
        .exclude(expires_on__lt=day)
        .order_by("requirement__code")
        .values_list("member_id", "requirement__code")
    )
    for member_id, code in rows:
        held.setdefault(member_id, []).append(code)
    return held


def dispatch_asked_before(key: str, labor_request, registration, method: str) -> Dispatch | None:
    """The dispatch an earlier call with this idempotency key made, if the same; the key
    with another request, registration or method is refused (409), nothing written."""
    idempotency_key_checked(key)
    found = Dispatch.objects.filter(idempotency_key=key).first()
    if found is None:
        return None
    asked = (labor_request.pk, registration.pk, method)
    if (found.labor_request_id, found.registration_id, found.method) != asked:
        raise ConflictError(
            "This idempotency key was already used for another dispatch; nothing was written. "
            "Use a new key for a new dispatch."
        )
    return found
