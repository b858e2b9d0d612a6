"""The hall's notices, through the outbox (referral/notices.py): a re-sign reminder written
once per registration and re-sign date, exactly `reminder_days` before it in the local's
dates; a drop's notice written in the drop's own transaction; the sender sends each notice
once, even twice at once, keeps its failures to try again later, and sends nothing to a
member without an email address."""

from __future__ import annotations

import datetime
import time

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from members.tests.factories import MemberFactory
from referral import notices as notices_module
from referral.models import (
    EventKind,
    Notice,
    NoticeKind,
    NoticeStatus,
    Registration,
    RegistrationStatus,
)
from referral.notices import NOTICE_ATTEMPTS, notices_send, resign_reminders_write
from referral.services import registering as services
from referral.services import registration_register, registration_resign, registrations_drop_missed

pytestmark = pytest.mark.django_db


def _registered_due(book, due: datetime.date, **member) -> Registration:
    registration = registration_register(member=MemberFactory(**member), book=book, actor="tests")
    Registration.objects.filter(pk=registration.pk).update(resign_due=due)
    registration.refresh_from_db()
    return registration


class RefusingBackend(EmailBackend):
    """A mail server that refuses one address (and takes the rest)."""

    def send_messages(self, messages):
        for message in messages:
            if any(to.startswith("bounce") for to in message.to):
                raise ConnectionRefusedError("the mail server refused the connection")
        return super().send_messages(messages)


class SlowBackend(EmailBackend):
    """A mail server that takes a while per message: two senders overlap."""

    def send_messages(self, messages):
        time.sleep(0.02)
        return super().send_messages(messages)


@pytest.mark.parametrize(
    ("due", "day_before_last_minute", "first_minute"),
    [
        # Seven days before Mar 21 is Mar 14, the spring change (a 23-hour day).
        (datetime.date(2027, 3, 21), (2027, 3, 13, 23, 59), (2027, 3, 14, 0, 0)),
        # Seven days before Nov 14 is Nov 7, the fall change (a 25-hour day).
        (datetime.date(2027, 11, 14), (2027, 11, 6, 23, 59), (2027, 11, 7, 0, 0)),
    ],
)
def test_a_reminder_is_written_once_exactly_reminder_days_before_the_resign_date_in_local_dates(
    book, clock, settings, due, day_before_last_minute, first_minute
):
    settings.LOCAL_NAME = "IBEW Local 000"
    clock.set(2027, 1, 5, 9, 0)
    registration = _registered_due(book, due, first_name="Ana", email="ana@example.org")

    clock.set(*day_before_last_minute)  # already that day in UTC: not yet the local's
    assert resign_reminders_write(actor="referral.nightly") == 0
    clock.set(*first_minute)
    assert resign_reminders_write(actor="referral.nightly") == 1
    assert resign_reminders_write(actor="referral.nightly") == 0  # once per key
    clock.advance(days=3)
    assert resign_reminders_write(actor="referral.nightly") == 0

    notice = Notice.objects.get()
    assert notice.key == f"resign_reminder:{registration.pk}:{due}"
    assert (notice.kind, notice.status, notice.to, notice.due_on) == (
        NoticeKind.RESIGN_REMINDER,
        NoticeStatus.WAITING,
        "ana@example.org",
        due,
    )
    # Its words are written when it is sent, and kept as sent.
    assert (notice.subject, notice.body) == ("", "")
    assert notices_send(actor="tests").sent == 1
    notice.refresh_from_db()
    assert notice.subject == f"Re-sign on book WIRE-N by Sun, {due:%b} {due.day}"
    assert f"by Sunday, {due:%B} {due.day}, 2027" in notice.body
    assert "Dear Ana," in notice.body and "North hall office" in notice.body
    assert "8:00 a.m. to 4:30 p.m." in notice.body and "IBEW Local 000" in notice.body
    assert (mail.outbox[-1].subject, mail.outbox[-1].body) == (notice.subject, notice.body)


def test_a_missed_day_still_reminds_once_and_a_resign_brings_a_new_reminder(book, clock):
    clock.set(2027, 1, 5, 9, 0)
    registration = _registered_due(book, datetime.date(2027, 1, 15))
    # The job did not run on the 8th, 7 days before: it reminds on the next day it runs.
    clock.set(2027, 1, 11, 0, 15)
    assert resign_reminders_write(actor="tests") == 1
    clock.set(2027, 1, 12, 0, 15)
    assert resign_reminders_write(actor="tests") == 0

    clock.set(2027, 1, 12, 10, 0)
    registration = registration_resign(registration=registration, actor="tests")
    assert registration.resign_due == datetime.date(2027, 2, 11)
    clock.set(2027, 2, 3, 0, 15)
    assert resign_reminders_write(actor="tests") == 0  # 8 days before
    clock.set(2027, 2, 4, 0, 15)
    assert resign_reminders_write(actor="tests") == 1
    assert sorted(Notice.objects.values_list("due_on", flat=True)) == [
        datetime.date(2027, 1, 15),
        datetime.date(2027, 2, 11),
    ]


def test_a_drop_writes_its_notices_in_its_own_transaction(book, clock, monkeypatch):
    clock.set(2027, 1, 5, 9, 0)
    first = _registered_due(book, datetime.date(2027, 1, 11))
    second = _registered_due(book, datetime.date(2027, 1, 11))
    clock.set(2027, 1, 12, 0, 15)

    written = notices_module.drop_notices_write

    def written_then_failed(**kwargs):
        written(**kwargs)
        raise RuntimeError("the notices could not be written")

    monkeypatch.setattr(services, "drop_notices_write", written_then_failed)
    with pytest.raises(RuntimeError):
        registrations_drop_missed(actor="tests")
    # The drops and their notices roll back together: no drop without its notice.
    for registration in (first, second):
        registration.refresh_from_db()
        assert registration.status == RegistrationStatus.REGISTERED
        assert not registration.events.filter(kind=EventKind.ROLLED_OFF).exists()
    assert not Notice.objects.exists()

    monkeypatch.setattr(services, "drop_notices_write", written)
    assert registrations_drop_missed(actor="tests") == 2
    notice = Notice.objects.get(registration=second)
    assert (notice.kind, notice.due_on) == (NoticeKind.DROPPED, datetime.date(2027, 1, 11))
    clock.set(2027, 1, 12, 0, 20)
    notices_send(actor="tests")
    notice.refresh_from_db()
    assert notice.subject == "Dropped from book WIRE-N: re-sign missed"
    assert "was not re-signed by Monday, January 11, 2027" in notice.body
    assert "dropped from the book on Tuesday, January 12, 2027" in notice.body
    assert Notice.objects.filter(registration=first, kind=NoticeKind.DROPPED).exists()


def test_the_sender_sends_each_notice_once_and_keeps_it_sent(book, clock, mailoutbox):
    clock.set(2027, 1, 5, 9, 0)
    for _ in range(3):
        _registered_due(book, datetime.date(2027, 1, 12))
    resign_reminders_write(actor="tests")

    result = notices_send(actor="referral.notices_send")
    assert (result.sent, result.failed) == (3, 0)
    assert notices_send(actor="referral.notices_send").sent == 0  # a retry sends nothing
    assert len(mailoutbox) == 3
    assert {m.to[0] for m in mailoutbox} == set(Notice.objects.values_list("to", flat=True))
    assert mailoutbox[0].subject == "Re-sign on book WIRE-N by Tue, Jan 12"
    for notice in Notice.objects.all():
        assert (notice.status, notice.sent_at, notice.attempts) == (
            NoticeStatus.SENT,
            clock.now,
            1,
        )


def test_a_failed_send_keeps_its_error_and_is_tried_again_later(book, clock, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    clock.set(2027, 1, 5, 9, 0)
    _registered_due(book, datetime.date(2027, 1, 12), email="bounce@example.org")
    _registered_due(book, datetime.date(2027, 1, 12), email="fine@example.org")
    resign_reminders_write(actor="tests")

    result = notices_send(actor="tests")
    assert (result.sent, result.failed) == (1, 1)
    failed = Notice.objects.get(to="bounce@example.org")
    assert failed.status == NoticeStatus.WAITING and failed.attempts == 1
    assert failed.last_error == "ConnectionRefusedError: the mail server refused the connection"
    assert failed.next_attempt_at == clock.now + datetime.timedelta(minutes=5)
    assert notices_send(actor="tests").failed == 0  # not before its time

    for attempt in range(2, NOTICE_ATTEMPTS + 1):
        clock.advance(hours=6)
        assert notices_send(actor="tests").failed == 1
        failed.refresh_from_db()
        assert failed.attempts == attempt
    assert failed.status == NoticeStatus.GAVE_UP  # kept, with its error, for the office
    clock.advance(days=1)
    assert notices_send(actor="tests").failed == 0
    assert [m.to for m in mail.outbox] == [["fine@example.org"]]


def test_a_notice_that_cannot_be_worded_fails_alone_and_the_rest_go_out(book, clock, monkeypatch):
    clock.set(2027, 1, 5, 9, 0)
    broken = _registered_due(book, datetime.date(2027, 1, 12), email="broken@example.org")
    _registered_due(book, datetime.date(2027, 1, 12), email="fine@example.org")
    resign_reminders_write(actor="tests")
    worded = notices_module.notice_message

    def words(notice):  # a template that fails for one notice (a deploy's mistake, say)
        if notice.registration_id == broken.pk:
            raise KeyError("book")
        return worded(notice)

    monkeypatch.setattr(notices_module, "notice_message", words)
    result = notices_send(actor="tests")

    assert (result.sent, result.failed) == (1, 1)
    assert [m.to for m in mail.outbox] == [["fine@example.org"]]
    failed = Notice.objects.get(registration=broken)
    assert (failed.status, failed.last_error) == (NoticeStatus.WAITING, "KeyError: 'book'")


def test_a_failed_notice_goes_out_once_the_mail_server_takes_it(book, clock, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    clock.set(2027, 1, 5, 9, 0)
    registration = _registered_due(book, datetime.date(2027, 1, 12), email="bounce@example.org")
    resign_reminders_write(actor="tests")
    assert notices_send(actor="tests").failed == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.advance(minutes=5)
    assert notices_send(actor="tests").sent == 1
    notice = Notice.objects.get(registration=registration)
    assert (notice.status, notice.attempts) == (NoticeStatus.SENT, 2)
    assert len(mail.outbox) == 1


def test_a_member_without_email_keeps_the_notice_and_nothing_is_sent(book, clock, mailoutbox):
    clock.set(2027, 1, 5, 9, 0)
    registration = _registered_due(book, datetime.date(2027, 1, 12), email="")
    assert resign_reminders_write(actor="tests") == 1

    assert notices_send(actor="tests").sent == 0
    clock.advance(days=1)
    assert notices_send(actor="tests").sent == 0
    notice = Notice.objects.get(registration=registration)
    assert (notice.status, notice.to, notice.attempts, notice.next_attempt_at) == (
        NoticeStatus.NO_ADDRESS,
        "",
        0,
        None,
    )
    assert mailoutbox == []


def test_a_reminder_no_longer_true_is_not_sent(book, clock, mailoutbox):
    clock.set(2027, 1, 5, 9, 0)
    registration = _registered_due(book, datetime.date(2027, 1, 12))
    resign_reminders_write(actor="tests")
    registration_resign(registration=registration, actor="tests")  # before it went out

    result = notices_send(actor="tests")
    assert (result.sent, result.outdated) == (0, 1)
    assert Notice.objects.get().status == NoticeStatus.OUTDATED
    assert mailoutbox == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_notice_once(book, race, settings):
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    mail.outbox = []
    for _ in range(30):
        _registered_due(book, timezone.localdate() + datetime.timedelta(days=3))
    assert resign_reminders_write(actor="tests") == 30

    results, errors = race(lambda: notices_send(actor="referral.notices_send"), times=2)

    assert errors == []
    assert sum(result.sent for result in results) == 30
    sent_to = [message.to[0] for message in mail.outbox]
    assert len(sent_to) == 30 and len(set(sent_to)) == 30  # none twice
    assert set(Notice.objects.values_list("status", flat=True)) == {NoticeStatus.SENT}
    assert set(Notice.objects.values_list("attempts", flat=True)) == {1}
