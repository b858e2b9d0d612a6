"""The hall's notices to its registrants, through an outbox (referral.models.Notice): a
reminder before a re-sign falls due, and word of a drop. A notice is written in the same
transaction as what it tells (a drop), or once per key (a reminder per registration and
re-sign date), and sent later by the worker (notices_send, a scheduled job): what is
written is sent, once, even if the mail server is down when it is written."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from appkit.actors import Actor, actor_checked
from appkit.sql import among
from audit.context import actor_label_for
from members.models import Member

from .models import Notice, NoticeKind, NoticeStatus, Registration, RegistrationStatus
from .selectors import rule_set_in_force

# Registrations read and reminded per transaction: the memory and the lock held stay flat
# however many registrations fall due.
REMINDER_CHUNK = 1000
# A notice whose mail failed is tried again after 5 minutes, then 10, 20 ... (at most 6
# hours apart), and given up after this many tries (about half a day of failures).
NOTICE_ATTEMPTS = 8
FIRST_RETRY = datetime.timedelta(minutes=5)
LONGEST_RETRY = datetime.timedelta(hours=6)
SEND_TIMEOUT_SECONDS = 30


def _notice(
    registration: Registration,
    *,
    kind: str,
    key: str,
    actor: Actor,
    now: datetime.datetime,
    due_on: datetime.date | None = None,
) -> Notice:
    """A notice's facts: its words are written when it is sent (notice_message), so a night
    that drops thousands writes rows, not letters."""
    # A member with no email keeps their notice, as a record that the hall had no way to
    # send it (the office tells them at the counter): it is never tried.
    to = registration.member.email.strip()
    return Notice(
        key=key,
        kind=kind,
        member_id=registration.member_id,
        registration=registration,
        due_on=due_on,
        to=to,
        status=NoticeStatus.WAITING if to else NoticeStatus.NO_ADDRESS,
        created_at=now,
        written_by=actor_label_for(actor),
        next_attempt_at=now if to else None,
    )


_TEMPLATES = {
    NoticeKind.RESIGN_REMINDER: "referral/email/resign_reminder.txt",
    NoticeKind.DROPPED: "referral/email/dropped.txt",
}


def notice_message(notice: Notice) -> tuple[str, str]:
    """A notice's subject and body, from its facts and its registration (its member, book
    and region read with it)."""
    registration = notice.registration
    book, due = registration.book, notice.due_on
    subject = {
        NoticeKind.RESIGN_REMINDER: f"Re-sign on book {book.code} by {due:%a, %b} {due.day}",
        NoticeKind.DROPPED: f"Dropped from book {book.code}: re-sign missed",
    }[notice.kind]
    body = render_to_string(
        _TEMPLATES[notice.kind],
        {
            "member": registration.member,
            "registration": registration,
            "book": book,
            "region": book.region,
            "local": settings.LOCAL_NAME,
            "due_on": due,
            "dropped_on": timezone.localdate(notice.created_at),
        },
    )
    return subject, body


def drop_notices_write(
    *, registration_ids: Sequence[int], actor: Actor, now: datetime.datetime
) -> None:
    """Write the notices of these registrations, dropped for a missed re-sign: the facts
    _notice writes, by the database in one statement (a night drops thousands). Called
    inside the drop's transaction (registrations_drop_missed): no drop without its notice,
    and no notice of a drop that rolled back."""
    label = actor_label_for(actor_checked(actor))
    ids_sql, params = among("r.id", registration_ids)
    to = f"trim(m.{connection.ops.quote_name('email')})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Notice._meta.db_table} (key, kind, member_id, registration_id, due_on, "
            f"{connection.ops.quote_name('to')}, subject, body, status, created_at, written_by, "
            "next_attempt_at, attempts, last_error) "
            f"SELECT %(kind)s || ':' || r.id, %(kind)s, r.member_id, r.id, r.resign_due, {to}, "
            f"'', '', CASE WHEN {to} = '' THEN %(no_address)s ELSE %(waiting)s END, %(now)s, "
            f"%(by)s, CASE WHEN {to} = '' THEN NULL ELSE %(now)s END, 0, '' "
            f"FROM {Registration._meta.db_table} r "
            f"JOIN {Member._meta.db_table} m ON m.id = r.member_id WHERE {ids_sql}",
            {
                **params,
                "kind": NoticeKind.DROPPED.value,
                "no_address": NoticeStatus.NO_ADDRESS.value,
                "waiting": NoticeStatus.WAITING.value,
                "now": connection.ops.adapt_datetimefield_value(now),
                "by": label,
            },
        )


def resign_reminders_write(*, actor: Actor, now: datetime.datetime | None = None) -> int:
    """Write a reminder to each registrant whose re-sign falls due within the rules'
    `reminder_days` of today, the local's date: on the day it is exactly that many days
    ahead, or on a later day if the job missed some. Once per registration and re-sign date
    (the notice's key), however often it runs; a re-sign makes a new date, so a new reminder
    before it. One transaction per chunk of registrations. Returns how many were written."""
    actor_checked(actor)
    now = now or timezone.now()
    today = timezone.localdate(now)
    rule_set = rule_set_in_force(today)
    if rule_set is None or not rule_set.reminder_days:
        return 0
    due = Registration.objects.filter(
        status=RegistrationStatus.REGISTERED,
        resign_due__gte=today,
        resign_due__lte=today + datetime.timedelta(days=rule_set.reminder_days),
    ).select_related("member")
    written, after = 0, 0
    while True:
        with transaction.atomic():
            chunk = list(due.filter(pk__gt=after).order_by("pk")[:REMINDER_CHUNK])
            if not chunk:
                return written
            after = chunk[-1].pk
            written += _reminders_written(chunk, actor=actor, now=now)


def _reminder_key(registration: Registration) -> str:
    return f"{NoticeKind.RESIGN_REMINDER}:{registration.pk}:{registration.resign_due}"


def _reminders_written(
    registrations: list[Registration], *, actor: Actor, now: datetime.datetime
) -> int:
    keys = [_reminder_key(r) for r in registrations]
    written = set(Notice.objects.filter(key__in=keys).values_list("key", flat=True))
    new = [
        _notice(
            registration,
            kind=NoticeKind.RESIGN_REMINDER,
            key=key,
            actor=actor,
            now=now,
            due_on=registration.resign_due,
        )
        for registration, key in zip(registrations, keys, strict=True)
        if key not in written
    ]
    # Two runs at once both find a key unwritten: the unique key keeps one notice, and only
    # the ones this run wrote are counted.
    before = Notice.objects.filter(key__in=[n.key for n in new]).count()
    Notice.objects.bulk_create(new, ignore_conflicts=True)
    return Notice.objects.filter(key__in=[n.key for n in new]).count() - before


# --- Sending ------------------------------------------------------------------------------


@dataclass
class NoticesSent:
    sent: int = 0
    failed: int = 0
    outdated: int = 0

    def __str__(self) -> str:
        return (
            f"{self.sent:,} notices sent, {self.failed:,} failed (tried again later), "
            f"{self.outdated:,} no longer true."
        )


def notices_send(*, actor: Actor, limit: int = 500) -> NoticesSent:
    """Send the waiting notices that are due, oldest first, up to `limit` of them. Each is
    sent under its row's lock (a sender running at the same time skips it) and marked sent
    in the transaction that sends it: a notice sent is never sent again, by a retry or
    another sender (the one way to send twice is a crash after the mail server took it and
    before the commit). A failure keeps its error and is tried again later; a reminder the
    registrant no longer needs (they re-signed, or were dropped) is not sent."""
    actor_checked(actor)
    result = NoticesSent()
    # The mail server is given a timeout: one that hangs must not hold a notice's lock (and,
    # on SQLite, the database's write lock) for ever.
    mailer = get_connection(timeout=settings.EMAIL_TIMEOUT or SEND_TIMEOUT_SECONDS)
    try:
        for _ in range(limit):
            with transaction.atomic():
                now = timezone.now()
                # Another sender's notice is locked: skipped, not waited for.
                notice = (
                    Notice.objects.select_for_update(no_key=True, skip_locked=True, of=("self",))
                    .select_related("registration__member", "registration__book__region")
                    .filter(status=NoticeStatus.WAITING, next_attempt_at__lte=now)
                    .order_by("next_attempt_at", "id")
                    .first()
                )
                if notice is None:
                    break
                outcome = _notice_send(notice, mailer, now=now)
                setattr(result, outcome, getattr(result, outcome) + 1)
    finally:
        mailer.close()
    return result


def _notice_send(notice: Notice, mailer: BaseEmailBackend, *, now: datetime.datetime) -> str:
    if _outdated(notice):
        notice.status, notice.next_attempt_at = NoticeStatus.OUTDATED, None
        notice.save(update_fields=["status", "next_attempt_at"])
        return "outdated"
    notice.attempts += 1
    try:
        # Worded inside: a notice that cannot be worded fails alone, as a refused mail
        # does, instead of stopping the outbox at it every run.
        notice.subject, notice.body = notice_message(notice)
        message = EmailMessage(notice.subject, notice.body, to=[notice.to], connection=mailer)
        message.send()
    except Exception as exc:  # the mail server's refusal or absence, or its words: tried again
        mailer.close()  # should the connection have been left open, the next starts anew
        notice.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if notice.attempts >= NOTICE_ATTEMPTS:
            notice.status, notice.next_attempt_at = NoticeStatus.GAVE_UP, None
        else:
            wait = min(FIRST_RETRY * 2 ** (notice.attempts - 1), LONGEST_RETRY)
            notice.next_attempt_at = now + wait
        notice.save(
            update_fields=["attempts", "subject", "body", "last_error", "status", "next_attempt_at"]
        )
        return "failed"
    notice.status, notice.sent_at, notice.next_attempt_at = NoticeStatus.SENT, now, None
    notice.save(
        update_fields=["attempts", "subject", "body", "status", "sent_at", "next_attempt_at"]
    )
    return "sent"


def _outdated(notice: Notice) -> bool:
    """A reminder whose registration has since been re-signed, exempted or dropped."""
    if notice.kind != NoticeKind.RESIGN_REMINDER or notice.registration_id is None:
        return False
    registration = Registration.objects.only("status", "resign_due").get(pk=notice.registration_id)
    return (
        registration.status != RegistrationStatus.REGISTERED
        or registration.resign_due != notice.due_on
    )
