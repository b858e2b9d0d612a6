"""What writes the hiring hall's ledger (docs/design.md §11). Every change to a registration
writes its event in the same transaction, under a lock: the book's row when an APN is drawn
(concurrent registrations get distinct, ordered APNs), the registration's row when its
status or re-sign date changes (the nightly drop and a last-second re-sign cannot both win).
Every event names the rule version it applied."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from appkit.actors import Actor
from audit.actors import person, saved_by
from audit.context import acting_as, actor_label_for
from audit.history import history_of_created
from dues.ledger import STATUSES_OUT_OF_STANDING
from members.models import Member, MemberStatus

from . import rules
from .models import (
    ACTIVE_STATUSES,
    CAPPED_EXEMPTIONS,
    Book,
    EventKind,
    Exemption,
    Holiday,
    QueuedRegistration,
    Registration,
    RegistrationEvent,
    RegistrationHold,
    RegistrationStatus,
    RollOffReason,
    RuleSet,
)
from .selectors import registration_asked_before, rule_set_in_force


def _require(actor: Actor, permission: str, doing: str) -> None:
    who = person(actor)
    if who is not None and not who.has_perm(permission):
        raise PermissionDenied(f"Your role may not {doing}.")


def _rules_on(day: datetime.date) -> RuleSet:
    rule_set = rule_set_in_force(day)
    if rule_set is None:
        raise ValidationError("No referral rules are in force: activate a rule set first.")
    return rule_set


def _resign_due(book: Book, today: datetime.date, rule_set: RuleSet) -> datetime.date:
    """The re-sign date of a registration made or re-signed today, by the book's region's
    calendar."""
    holidays = set(
        Holiday.objects.filter(
            region_id=book.region_id, day__gte=today, day__lte=today + datetime.timedelta(days=400)
        ).values_list("day", flat=True)
    )
    return rules.resign_due(today, rule_set.resign_days, holidays)


def _event(
    registration: Registration,
    kind: str,
    *,
    at: datetime.datetime,
    rule_set: RuleSet,
    actor: Actor,
    reason: str = "",
    note: str = "",
) -> RegistrationEvent:
    event = RegistrationEvent(
        registration=registration,
        book_id=registration.book_id,
        member_id=registration.member_id,
        kind=kind,
        at=at,
        reason=reason,
        note=note[:300],
        rule_set=rule_set,
        status=registration.status,
        tier=registration.tier,
        apn=registration.apn,
        sequence=registration.sequence,
        recorded_by=person(actor),
        recorded_by_name=actor_label_for(actor),
    )
    saved_by(event, actor=actor)
    return event


# --- Rule sets ----------------------------------------------------------------------------


@transaction.atomic
def rule_set_activate(*, rule_set: RuleSet, actor: Actor) -> RuleSet:
    """Put a rule set version in force from its effective date. Refused unless registrants
    were given notice at least settings.REFERRAL_NOTICE_DAYS before that date."""
    _require(actor, "referral.activate_ruleset", "activate referral rules")
    rule_set = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
    if rule_set.active:
        return rule_set
    days = settings.REFERRAL_NOTICE_DAYS
    if rule_set.notice_given_on is None:
        raise ValidationError(
            {"notice_given_on": "Give registrants notice of these rules before activating them."}
        )
    if (rule_set.effective_on - rule_set.notice_given_on).days < days:
        raise ValidationError(
            {
                "notice_given_on": f"Notice was given {rule_set.notice_given_on:%b %d, %Y}, "
                f"less than {days} days before these rules take effect on "
                f"{rule_set.effective_on:%b %d, %Y}: move the effective date, or give notice again."
            }
        )
    rule_set.activated_at = timezone.now()
    rule_set.activated_by = person(actor)
    saved_by(rule_set, actor=actor)
    return rule_set


# --- Registering --------------------------------------------------------------------------


def _open_hold() -> RegistrationHold | None:
    return RegistrationHold.objects.filter(is_open=True).first()


@transaction.atomic
def registration_register(
    *,
    member: Member,
    book: Book,
    actor: Actor,
    tier: int | None = None,
    tier_reason: str = "",
    idempotency_key: str | None = None,
) -> Registration | QueuedRegistration:
    """Register a member on a book, drawing the next APN of the local's day; or, while the
    morning referral holds the books, queue the registration to be drawn, in arrival order,
    when it ends. With an idempotency key, a retry gets back what the first request made
    (the registration, or the queued one until it is drawn) instead of a refusal."""
    _require(actor, "referral.add_registration", "register members on a book")
    if idempotency_key:
        # Lock the member: a retried request must find what its first attempt made rather
        # than race it.
        Member.objects.select_for_update().get(pk=member.pk)
        asked = registration_asked_before(idempotency_key, member, book, tier, tier_reason)
        if asked is not None:
            return asked
    _registration_refusal(member, book, tier, tier_reason, timezone.localdate())
    # Lock the hold (if any) against its release: a registration queued just as the
    # referral ends would otherwise be left in the queue.
    hold = RegistrationHold.objects.select_for_update().filter(is_open=True).first()
    if hold is not None:
        queued = QueuedRegistration(
            member=member,
            book=book,
            tier=tier,
            tier_reason=tier_reason.strip(),
            asked_by=person(actor),
            asked_by_name=actor_label_for(actor),
            idempotency_key=idempotency_key or None,
        )
        queued.save()
        return queued
    return _register_now(
        member=member,
        book=book,
        tier=tier,
        tier_reason=tier_reason,
        actor=actor,
        idempotency_key=idempotency_key,
    )


def _registration_refusal(
    member: Member, book: Book, tier: int | None, tier_reason: str, today: datetime.date
) -> None:
    """Raise the reason a member may not register on a book, if there is one."""
    rule_set = _rules_on(today)
    if not book.active:
        raise ValidationError({"book": f"Book {book.code} is closed."})
    if member.status == MemberStatus.DECEASED or (
        member.status in STATUSES_OUT_OF_STANDING and not rule_set.register_out_of_standing
    ):
        raise ValidationError(
            {
                "member": f"{member} is {member.get_status_display().lower()}: the referral "
                f"rules (v{rule_set.version}) register only members in good standing."
            }
        )
    if tier is not None:
        if not 1 <= tier <= book.tiers:
            raise ValidationError({"tier": f"Book {book.code} has tiers 1 to {book.tiers}."})
        default = rules.tier_default(member.classification_id, book.classification_id, book.tiers)
        if tier != default and not tier_reason.strip():
            raise ValidationError(
                {"tier_reason": f"Say why this member goes on tier {tier}, not tier {default}."}
            )
    if Registration.objects.filter(member=member, book=book, status__in=ACTIVE_STATUSES).exists():
        raise ValidationError({"book": f"{member} is already registered on book {book.code}."})


def _register_now(
    *,
    member: Member,
    book: Book,
    tier: int | None,
    tier_reason: str,
    actor: Actor,
    idempotency_key: str | None = None,
) -> Registration:
    # The book's lock: APNs and sequences are drawn one registration at a time, so two
    # registering at once get distinct ones, in the order they were drawn.
    book = Book.objects.select_for_update().get(pk=book.pk)
    now = timezone.now()
    today = timezone.localdate(now)
    _registration_refusal(member, book, tier, tier_reason, today)
    rule_set = _rules_on(today)
    whole = rules.day_number(today)
    drawn = Registration.objects.filter(book=book).aggregate(
        last_today=Max("apn", filter=_apn_of_day(whole)), last_sequence=Max("sequence")
    )
    registration = Registration(
        member=member,
        book=book,
        tier=tier
        or rules.tier_default(member.classification_id, book.classification_id, book.tiers),
        tier_reason=tier_reason.strip(),
        apn=rules.apn_next(today, drawn["last_today"]),
        sequence=(drawn["last_sequence"] or 0) + 1,
        registered_at=now,
        resign_due=_resign_due(book, today, rule_set),
        rule_set=rule_set,
        idempotency_key=idempotency_key or None,
    )
    saved_by(registration, actor=actor)
    _event(registration, EventKind.REGISTERED, at=now, rule_set=rule_set, actor=actor)
    return registration


def _apn_of_day(whole: int) -> Q:
    return Q(apn__gte=whole, apn__lt=whole + 1)


@transaction.atomic
def registrations_hold(*, reason: str, actor: Actor) -> RegistrationHold:
    """Hold new registrations (the first book's morning referral has begun): they queue."""
    hold = _open_hold()
    if hold is None:
        hold = RegistrationHold.objects.create(started_at=timezone.now(), reason=reason)
    return hold


@transaction.atomic
def registrations_hold_release(*, actor: Actor) -> list[QueuedRegistration]:
    """End the hold and draw the queued registrations in the order they arrived; one that
    can no longer be made (registered meanwhile, a status changed) keeps its reason."""
    hold = RegistrationHold.objects.select_for_update().filter(is_open=True).first()
    if hold is None:
        return []
    hold.is_open, hold.ended_at = False, timezone.now()
    hold.save()
    queued = list(
        QueuedRegistration.objects.select_related("member", "book", "asked_by").filter(
            registration__isnull=True, refused=""
        )
    )
    for ask in queued:
        asker = ask.asked_by or ask.asked_by_name
        try:
            with transaction.atomic():
                ask.registration = _register_now(
                    member=ask.member,
                    book=ask.book,
                    tier=ask.tier,
                    tier_reason=ask.tier_reason,
                    actor=asker,
                )
        except ValidationError as exc:
            ask.refused = " ".join(exc.messages)[:300]
        ask.save()
    return queued


# --- Re-sign, roll off --------------------------------------------------------------------


def _locked(registration: Registration) -> Registration:
    # The registration's lock: its status and re-sign date change under it, so the nightly
    # drop and a re-sign made in its last second are one after the other, never both.
    return Registration.objects.select_for_update().select_related("book").get(pk=registration.pk)


@transaction.atomic
def registration_resign(*, registration: Registration, actor: Actor) -> Registration:
    """Re-sign: the registration runs another `resign_days` from today (local date)."""
    if person(actor) is None or person(actor) != registration.member.user:
        _require(actor, "referral.resign_registration", "take re-signs")
    registration = _locked(registration)
    now = timezone.now()
    today = timezone.localdate(now)
    if registration.status == RegistrationStatus.ROLLED_OFF or rules.resign_missed(
        registration.resign_due, today
    ):
        raise ValidationError(
            f"This registration on {registration.book.code} was dropped"
            f" ({registration.get_roll_off_reason_display() or 'its re-sign date has passed'}):"
            " register again to go back on the book."
        )
    if registration.status != RegistrationStatus.REGISTERED:
        raise ValidationError(
            f"A {registration.get_status_display().lower()} registration is not re-signed."
        )
    rule_set = _rules_on(today)
    registration.resign_due = _resign_due(registration.book, today, rule_set)
    saved_by(registration, actor=actor)
    _event(registration, EventKind.RESIGNED, at=now, rule_set=rule_set, actor=actor)
    return registration


def _roll_off(
    registration: Registration, *, reason: str, actor: Actor, now: datetime.datetime, note: str = ""
) -> Registration:
    rule_set = _rules_on(timezone.localdate(now))
    registration.status = RegistrationStatus.ROLLED_OFF
    registration.roll_off_reason = reason
    registration.ended_at = now
    saved_by(registration, actor=actor)
    _event(
        registration,
        EventKind.ROLLED_OFF,
        at=now,
        rule_set=rule_set,
        actor=actor,
        reason=reason,
        note=note,
    )
    for exemption in Exemption.objects.filter(registration=registration, ended_at__isnull=True):
        exemption.ended_at = now
        saved_by(exemption, actor=actor)
    return registration


@transaction.atomic
def registration_roll_off(
    *, registration: Registration, reason: str, actor: Actor, note: str = ""
) -> Registration:
    """Take a registrant off a book, with a reason code."""
    _require(actor, "referral.roll_off_registration", "roll registrants off a book")
    if reason not in RollOffReason.values:
        raise ValidationError({"reason": f"Unknown reason {reason!r}."})
    registration = _locked(registration)
    if registration.status == RegistrationStatus.ROLLED_OFF:
        raise ValidationError("This registration is already off the book.")
    return _roll_off(registration, reason=reason, actor=actor, now=timezone.now(), note=note)


def registrations_drop_missed(*, actor: Actor, now: datetime.datetime | None = None) -> int:
    """Drop every registration whose re-sign date passed before today, the local's date
    (idempotent: a dropped one is not dropped again), a chunk at a time, each chunk's rows,
    history and events written together. Returns how many were dropped."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rule_set = _rules_on(today)
    dropped = 0
    while True:
        with transaction.atomic():
            # Locked as they are read: PostgreSQL checks the condition again on a row a
            # re-sign changed while this waited, so a re-sign that got in first keeps its
            # registration, and one that comes after finds it dropped.
            chunk = list(
                Registration.objects.select_for_update(of=("self",))
                .select_related("member", "book")  # what their history rows are named by
                .filter(status=RegistrationStatus.REGISTERED, resign_due__lt=today)
                .order_by("pk")[:DROP_CHUNK]
            )
            if not chunk:
                return dropped
            _rolled_off_together(chunk, RollOffReason.RESIGN_MISSED, rule_set, actor, now)
        dropped += len(chunk)


# Registrations dropped per transaction: memory stays flat however many are due.
DROP_CHUNK = 2_000


def _rolled_off_together(
    registrations: list[Registration],
    reason: str,
    rule_set: RuleSet,
    actor: Actor,
    now: datetime.datetime,
) -> None:
    """Roll these registrations (on the book, none exempt) off at once: their rows and
    history in one statement each, their events with history and audit events in bulk."""
    for registration in registrations:
        registration.status = RegistrationStatus.ROLLED_OFF
        registration.roll_off_reason = reason
        registration.ended_at = now
    # One UPDATE for them all (the same values each), and its history twin at once.
    Registration.objects.filter(pk__in=[r.pk for r in registrations]).update(
        status=RegistrationStatus.ROLLED_OFF, roll_off_reason=reason, ended_at=now
    )
    with acting_as(actor):
        Registration.history.bulk_history_create(
            registrations, update=True, default_user=person(actor), default_date=now
        )
    events = RegistrationEvent.objects.bulk_create(
        [
            RegistrationEvent(
                registration=registration,
                book_id=registration.book_id,
                member_id=registration.member_id,
                kind=EventKind.ROLLED_OFF,
                at=now,
                reason=reason,
                rule_set=rule_set,
                status=registration.status,
                tier=registration.tier,
                apn=registration.apn,
                sequence=registration.sequence,
                recorded_by=person(actor),
                recorded_by_name=actor_label_for(actor),
            )
            for registration in registrations
        ]
    )
    history_of_created(events, actor=actor)


# --- Exemptions ---------------------------------------------------------------------------


@transaction.atomic
def exemption_start(
    *,
    registration: Registration,
    kind: str,
    starts_on: datetime.date,
    actor: Actor,
    ends_on: datetime.date | None = None,
    note: str = "",
) -> Exemption:
    """Excuse a registrant from referral: they keep their place, are passed over as
    exempt, and do not re-sign meanwhile. A capped kind ends by itself after the rules' cap."""
    _require(actor, "referral.add_exemption", "approve exemptions")
    registration = _locked(registration)
    if registration.status != RegistrationStatus.REGISTERED:
        raise ValidationError(
            f"Only a registrant on the book can be exempted (this one is "
            f"{registration.get_status_display().lower()})."
        )
    now = timezone.now()
    rule_set = _rules_on(timezone.localdate(now))
    if kind in CAPPED_EXEMPTIONS:
        cap = rules.capped_exemption_end(starts_on, rule_set.exemption_cap_days)
        ends_on = min(ends_on or cap, cap)
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": "An exemption cannot end before it starts."})
    exemption = Exemption(
        registration=registration,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        approved_by=person(actor),
        approved_by_name=actor_label_for(actor),
        note=note.strip(),
    )
    exemption.full_clean(exclude=["registration", "approved_by"])
    saved_by(exemption, actor=actor)
    registration.status = RegistrationStatus.EXEMPT
    saved_by(registration, actor=actor)
    _event(
        registration,
        EventKind.EXEMPTION_STARTED,
        at=now,
        rule_set=rule_set,
        actor=actor,
        reason=kind,
    )
    return exemption


@transaction.atomic
def exemption_end(*, exemption: Exemption, actor: Actor) -> Exemption:
    """End an exemption: the registrant is back on the book in their place, with a fresh
    re-sign date."""
    _require(actor, "referral.add_exemption", "end exemptions")
    registration = _locked(exemption.registration)
    exemption = Exemption.objects.select_for_update().get(pk=exemption.pk)
    if exemption.ended_at is not None:
        return exemption
    now = timezone.now()
    today = timezone.localdate(now)
    rule_set = _rules_on(today)
    exemption.ended_at = now
    saved_by(exemption, actor=actor)
    registration.status = RegistrationStatus.REGISTERED
    registration.resign_due = _resign_due(registration.book, today, rule_set)
    saved_by(registration, actor=actor)
    _event(
        registration,
        EventKind.EXEMPTION_ENDED,
        at=now,
        rule_set=rule_set,
        actor=actor,
        reason=exemption.kind,
    )
    return exemption


@transaction.atomic
def exemption_extend(
    *, exemption: Exemption, ends_on: datetime.date, reason: str, actor: Actor
) -> Exemption:
    """An officer extends an exemption past its end (a capped one past the rules' cap)."""
    _require(actor, "referral.extend_exemption", "extend exemptions")
    exemption = Exemption.objects.select_for_update().get(pk=exemption.pk)
    if exemption.ended_at is not None:
        raise ValidationError("This exemption has ended: start a new one.")
    if not reason.strip():
        raise ValidationError({"extension_reason": "Say why the exemption is extended."})
    if exemption.ends_on is not None and ends_on <= exemption.ends_on:
        raise ValidationError({"ends_on": f"Extend it past {exemption.ends_on:%b %d, %Y}."})
    exemption.ends_on = ends_on
    exemption.extended_by = person(actor)
    exemption.extension_reason = reason.strip()
    saved_by(exemption, actor=actor)
    return exemption


def exemptions_end_due(*, actor: Actor, now: datetime.datetime | None = None) -> int:
    """End every exemption whose end date has passed (the local's date); idempotent."""
    today = timezone.localdate(now or timezone.now())
    ended = 0
    for exemption in Exemption.objects.filter(ended_at__isnull=True, ends_on__lt=today):
        exemption_end(exemption=exemption, actor=actor)
        ended += 1
    return ended
