"""Rules activated after notice, registering under the book's lock, re-sign, roll off and the
night's drop of the re-signs missed."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from appkit.actors import Actor
from appkit.sql import Among
from audit.actors import person, saved_by
from audit.context import actor_label_for
from audit.history import history_of_updated
from members.models import Member

from .. import rules
from ..models import (
    ACTIVE_STATUSES,
    Book,
    EventKind,
    QueuedRegistration,
    Registration,
    RegistrationHold,
    RegistrationStatus,
    RollOffReason,
    RuleSet,
)
from ..notices import drop_notices_write
from ..selectors import registration_asked_before
from .common import (
    _calendar_locked,
    _event,
    _idempotency_key_locked,
    _locked,
    _require,
    _resign_due,
    _roll_off,
    _rules_on,
    registration_events_insert,
)

# --- Rule sets ----------------------------------------------------------------------------


@transaction.atomic
def rule_set_activate(*, rule_set: RuleSet, actor: Actor) -> RuleSet:
    """Put a rule set version in force from its effective date. Refused unless registrants
    were given notice at least settings.REFERRAL_NOTICE_DAYS before that date."""
    _require(actor, "referral.activate_ruleset", "activate referral rules")
    rule_set = RuleSet.objects.select_for_update(no_key=True).get(pk=rule_set.pk)
    if rule_set.active:
        return rule_set
    if rule_set.effective_on < timezone.localdate():
        # The rules in force on a day gone by were what decisions of that day applied (each
        # stores its version): rules put in force from it would re-read them.
        raise ValidationError(
            {
                "effective_on": f"These rules would take effect on "
                f"{rule_set.effective_on:%b %d, %Y}, a day already gone by: decisions made "
                "since under the rules then in force stand. Set an effective date from today "
                "on."
            }
        )
    days = settings.REFERRAL_NOTICE_DAYS
    if rule_set.notice_given_on is not None and rule_set.notice_given_on > timezone.localdate():
        raise ValidationError(
            {
                "notice_given_on": f"The notice date, {rule_set.notice_given_on:%b %d, %Y}, "
                "is still to come: activate these rules once registrants have been told."
            }
        )
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


@transaction.atomic
def rule_set_save(*, rule_set: RuleSet, actor: Actor) -> bool:
    """Record a new rule-set version or a change to one not yet activated. Registrants
    were given notice of the rules as they stood: a change to a rule after that (or an
    effective date moved earlier than they were told) clears the notice date, and the
    rules are activated only once notice of them is given again. An activated version
    never changes. Returns whether the notice date was cleared."""
    _require(actor, f"referral.{'change' if rule_set.pk else 'add'}_ruleset", "write rules")
    cleared = False
    if rule_set.pk is not None:
        # The stored version's lock: it is not activated while this change is made.
        kept = RuleSet.objects.select_for_update(no_key=True).get(pk=rule_set.pk)
        if kept.active:
            raise ValidationError(
                f"{kept} is active: these are the rules registrants were told of, and they no "
                "longer change. Write a new version to change them."
            )
        changed = kept.effective_on > rule_set.effective_on or any(
            field.value_from_object(kept) != field.value_from_object(rule_set)
            for field in RuleSet.rule_fields()
        )
        # A notice date entered with the change is the notice of the rules as changed.
        told_before = rule_set.notice_given_on == kept.notice_given_on
        if kept.notice_given_on is not None and changed and told_before:
            rule_set.notice_given_on, cleared = None, True
    rule_set.full_clean()
    saved_by(rule_set, actor=actor)
    return cleared


# --- Registering --------------------------------------------------------------------------


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
        # Lock the key: a retried request must find what its first attempt made rather than
        # race it, and two requests sent with one key for different members (or books)
        # must not both write: the second finds the first and is refused (a 409).
        _idempotency_key_locked(idempotency_key)
        asked = registration_asked_before(idempotency_key, member, book, tier, tier_reason)
        if asked is not None:
            return asked
    # Lock the hold (if any) against its release: a registration queued just as the
    # referral ends would otherwise be left in the queue.
    hold = RegistrationHold.objects.select_for_update(no_key=True).filter(is_open=True).first()
    if hold is not None:
        # Refused now rather than when the queue is drawn, so the asker hears why; drawn,
        # it is checked again.
        _registration_refusal(member, book, tier, tier_reason, timezone.localdate())
        # Asked twice while the books are held (queued under the hold's lock: no race).
        if QueuedRegistration.objects.filter(
            member=member, book=book, registration__isnull=True, refused=""
        ).exists():
            raise ValidationError(
                {
                    "book": f"{member} is already waiting to be registered on book {book.code}: "
                    "the morning referral holds the books, and the queue is drawn when it ends."
                }
            )
        queued = QueuedRegistration(
            hold=hold,
            member=member,
            book=book,
            tier=tier,
            tier_reason=tier_reason.strip(),
            asked_by=person(actor),
            asked_by_name=actor_label_for(actor),
            idempotency_key=idempotency_key or None,
        )
        saved_by(queued, actor=actor)
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
) -> RuleSet:
    """Raise the reason a member may not register on a book, if there is one; otherwise
    return the rules in force, which allow it."""
    rule_set = _rules_on(today)
    if not book.active:
        raise ValidationError({"book": f"Book {book.code} is closed."})
    if rules.status_refused(member.status, rule_set.register_out_of_standing):
        raise ValidationError(
            {
                "member": f"{member} is {member.get_status_display().lower()}: the referral "
                f"rules (v{rule_set.version}) register only members in good standing."
            }
        )
    if tier is not None:
        if not 1 <= tier <= book.tiers:
            raise ValidationError({"tier": f"Book {book.code} has tiers 1 to {book.tiers}."})
        default = rule_set.tier_of(member, book, today)
        if tier != default and not tier_reason.strip():
            raise ValidationError(
                {"tier_reason": f"Say why this member goes on tier {tier}, not tier {default}."}
            )
    if Registration.objects.filter(member=member, book=book, status__in=ACTIVE_STATUSES).exists():
        raise ValidationError({"book": f"{member} is already registered on book {book.code}."})
    return rule_set


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
    # registering at once get distinct ones, in the order they were drawn. Then the
    # region's calendar, for the re-sign date.
    book = Book.objects.select_for_update(no_key=True).get(pk=book.pk)
    _calendar_locked(book.region_id)
    now = timezone.now()
    today = timezone.localdate(now)
    rule_set = _registration_refusal(member, book, tier, tier_reason, today)
    whole = rules.day_number(today)
    drawn = Registration.objects.filter(book=book).aggregate(
        last_today=Max("apn", filter=_apn_of_day(whole)), last_sequence=Max("sequence")
    )
    registration = Registration(
        member=member,
        book=book,
        tier=tier or rule_set.tier_of(member, book, today),
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
    """Hold new registrations while the first book's morning referral runs: they queue,
    and registrations_hold_release draws them when it ends. One referral at a time: while a
    hold is open, another is refused with who started it and when (a run that stopped
    without releasing is released by a dispatcher, from the registrations' admin)."""
    _require(actor, "referral.roll_off_registration", "hold the books")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say what holds the books (the morning referral)."})
    _refuse_while_held()
    hold = RegistrationHold(
        started_at=timezone.now(),
        started_by=person(actor),
        started_by_name=actor_label_for(actor),
        reason=reason[:200],
    )
    try:
        with transaction.atomic():
            saved_by(hold, actor=actor)
    except IntegrityError:
        # Opened by another between the check and this insert: the partial unique index
        # (one open hold) made this insert wait for that one's commit, then refused it.
        _refuse_while_held()
        raise ValidationError(
            "Another morning referral was started and released just now: start again."
        ) from None
    return hold


def _refuse_while_held() -> None:
    # The open hold's lock: a release under way is waited for, and then found closed.
    hold = RegistrationHold.objects.select_for_update(no_key=True).filter(is_open=True).first()
    if hold is not None:
        since = timezone.localtime(hold.started_at)
        raise ValidationError(
            f"The morning referral is already running: started by "
            f"{hold.started_by_name or 'someone not recorded'} at {since:%H:%M} on "
            f"{since:%b %d, %Y} ({hold.reason}). New registrations queue until it is "
            "released."
        )


@transaction.atomic
def registrations_hold_release(*, actor: Actor) -> list[QueuedRegistration]:
    """End the hold and apply the registrations queued meanwhile, in the order they
    arrived, each drawn as its asker's. One that can no longer be made (the member
    registered on that book meanwhile, went out of good standing, the book closed) keeps
    its reason in `refused`, and the rest are drawn. Refused, changing nothing, when no
    hold is open (a second click on "Release", or a run whose hold a dispatcher released):
    the queue was applied by the release that closed it."""
    _require(actor, "referral.roll_off_registration", "release the books")
    # The open hold's lock: a registration asked for as the referral ends waits for the
    # release, then finds the books open and is drawn after the queue (it locks it too).
    hold = RegistrationHold.objects.select_for_update(no_key=True).filter(is_open=True).first()
    if hold is None:
        raise ValidationError(_not_held())
    hold.is_open, hold.ended_at = False, timezone.now()
    hold.ended_by, hold.ended_by_name = person(actor), actor_label_for(actor)
    saved_by(hold, actor=actor)
    queued = list(
        QueuedRegistration.objects.select_related("member", "book", "asked_by")
        .filter(registration__isnull=True, refused="")
        .order_by("id")  # arrival order: each was queued under the hold's lock
    )
    for ask in queued:
        asker = ask.asked_by or ask.asked_by_name
        try:
            with transaction.atomic():  # a refusal undoes its own writes, not the others'
                ask.registration = _register_now(
                    member=ask.member,
                    book=ask.book,
                    tier=ask.tier,
                    tier_reason=ask.tier_reason,
                    actor=asker,
                )
        except ValidationError as exc:
            ask.refused = " ".join(exc.messages)[:300]
        saved_by(ask, actor=actor)
    return queued


def _not_held() -> str:
    last = RegistrationHold.objects.filter(is_open=False).order_by("-ended_at", "-id").first()
    if last is None or last.ended_at is None:
        return "The books are not held: there is nothing to release."
    ended = timezone.localtime(last.ended_at)
    return (
        "The books are not held: there is nothing to release (the last hold was released "
        f"by {last.ended_by_name or 'someone not recorded'} at {ended:%H:%M} on "
        f"{ended:%b %d, %Y}, and its queue applied then)."
    )


# --- Re-sign, roll off --------------------------------------------------------------------


RESIGN = "referral.resign_registration"


@transaction.atomic
def registration_resign(*, registration: Registration, actor: Actor) -> Registration:
    """Re-sign: the registration runs another `resign_days` from today (local date). The
    hall takes anyone's; a member re-signs their own where the rules allow it online."""
    who = person(actor)
    online = who is not None and who == registration.member.user
    if not online or who.has_perm(RESIGN):
        _require(actor, RESIGN, "take re-signs")
    elif not _rules_on(timezone.localdate()).resign_online:
        raise ValidationError(
            "The hall's rules take re-signs in person or by phone, not online: call the hall."
        )
    _calendar_locked(registration.book.region_id)
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
            f"This registration is {registration.get_status_display().lower()}: only one "
            "waiting on the book is re-signed."
        )
    rule_set = _rules_on(today)
    registration.resign_due = _resign_due(registration.book, today, rule_set)
    saved_by(registration, actor=actor)
    _event(registration, EventKind.RESIGNED, at=now, rule_set=rule_set, actor=actor)
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
    history, events and notices to the registrants (referral.notices) written together.
    Returns how many were dropped. `now` (tests, the bench) fixes the time of every drop;
    otherwise each chunk is stamped when its rows are locked, so no drop is dated before
    the transaction that makes it could be seen."""
    today = timezone.localdate(now or timezone.now())
    rule_set = _rules_on(today)
    dropped = 0
    while True:
        with transaction.atomic():
            # Found through the re-sign dates' index (registration_resign_due: the hall's
            # older rows are not walked through), then locked in id order, the order every
            # service locking several registrations takes (a day's check marks: no
            # deadlock). PostgreSQL checks the condition again on a row a re-sign changed
            # while this waited, so a re-sign that got in first keeps its registration, and
            # one that comes after finds it dropped.
            due = Registration.objects.filter(
                status=RegistrationStatus.REGISTERED, resign_due__lt=today
            )
            first = due.order_by("resign_due", "pk").values("pk")[:DROP_CHUNK]
            chunk = list(
                due.filter(pk__in=first)
                .select_for_update(no_key=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            if not chunk:
                return dropped
            at = now or timezone.now()
            _rolled_off_together(chunk, RollOffReason.RESIGN_MISSED, rule_set, actor, at)
            drop_notices_write(registration_ids=chunk, actor=actor, now=at)
        dropped += len(chunk)


# Registrations dropped per transaction: memory stays flat however many are due.
DROP_CHUNK = 2_000


def _rolled_off_together(
    ids: list[int],
    reason: str,
    rule_set: RuleSet,
    actor: Actor,
    now: datetime.datetime,
) -> None:
    """Roll these registrations (locked, on the book, none exempt) off at once: their rows,
    history, events and audit events a statement each, written by the database (a night
    drops thousands). An exempt registration has an exemption to end: roll it off alone
    (_roll_off)."""
    changed = Registration.objects.filter(
        Among(F("pk"), ids), status=RegistrationStatus.REGISTERED
    ).update(status=RegistrationStatus.ROLLED_OFF, roll_off_reason=reason, ended_at=now)
    if changed != len(ids):
        raise ValueError("Only registrations waiting on the book are rolled off together.")
    history_of_updated(Registration, ids, actor=actor)
    registration_events_insert(
        ids, EventKind.ROLLED_OFF, at=now, rule_set=rule_set, actor=actor, reason=reason
    )
