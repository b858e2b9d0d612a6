"""A remittance being posted holds no lock on the audit trail's head: its events fill
blocks of numbers reserved as it goes, so a login made while it posts does not wait for
it, and the chain verifies once it commits."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from audit.chain import chain_verify
from audit.models import AuditEvent
from checkoff.models import BatchStatus, RemittanceBatch
from checkoff.services import remittance_check, remittance_post
from dues.models import Payment
from jobs.progress import Progress
from members.tests.factories import PASSWORD, MemberFactory, UserFactory

from .conftest import RECEIVED
from .factories import AuthorizationFactory, remittance_csv

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class _PausedWhilePosting(Progress):
    """Stops the posting, inside its transaction, once its payments are written."""

    def __init__(self):
        self.done = 0
        self.paused, self.go_on = threading.Event(), threading.Event()

    def advance(self, count: int = 1) -> None:
        self.done += count
        self.paused.set()
        self.go_on.wait(60)


def test_a_login_does_not_wait_for_a_remittance_being_posted(acme, journeyman, charged_2026):
    members = [
        MemberFactory(member_number=f"10{i:02d}", classification=journeyman) for i in range(3)
    ]
    for member in members:
        AuthorizationFactory(member=member, employer=acme)
    charged_2026()
    rows = [f"{m.member_number},{m.last_name},{m.first_name},,,2026-09,,,45.00" for m in members]
    batch = remittance_check(
        employer=acme,
        content=remittance_csv(*rows),
        file_name="acme.csv",
        received_on=RECEIVED,
        actor="tests",
    ).batch
    UserFactory(username="lucy")
    paused, posted = _PausedWhilePosting(), []

    def post() -> None:
        try:
            posted.append(remittance_post(batch=batch, progress=paused, actor="tests"))
        finally:
            connections.close_all()

    posting = threading.Thread(target=post)
    posting.start()
    assert paused.paused.wait(60)
    logged_in: list = []

    def log_in() -> None:
        try:
            started = time.monotonic()
            answer = Client().post(reverse("login"), {"username": "lucy", "password": PASSWORD})
            logged_in.append((answer.status_code, time.monotonic() - started))
        finally:
            connections.close_all()

    login = threading.Thread(target=log_in)
    login.start()
    login.join(10)
    waited = login.is_alive()
    still_posting = not Payment.objects.exists()
    paused.go_on.set()
    login.join(60)
    posting.join(60)

    assert not waited, "the login waited for the posting's transaction"
    assert still_posting
    assert logged_in[0][0] == 302
    assert posted[0].posted == 3 and Payment.objects.count() == 3
    assert RemittanceBatch.objects.get().status == BatchStatus.POSTED
    assert AuditEvent.objects.filter(action="block_sealed").count() == 1
    report = chain_verify()
    assert report.ok, report.broken
