"""Every write names who did it: a person or a named system actor, never nobody.

Every service that takes an actor takes it by name and has no default (so forgetting it is
an error, not "unknown"); the writers refuse None and anonymous users; and the office's
writing services, each called in turn by a person and then by a named system actor, leave
no event or history row without that name (nor a notice the hall writes to a registrant)."""

from __future__ import annotations

import ast
import datetime
import importlib
import inspect
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from appkit.actors import ActorMissing
from audit.actors import saved_by
from audit.context import UNKNOWN_ACTOR, acting_as
from audit.history import history_of_created
from audit.models import AuditEvent
from checkoff.importing import authorizations_import, employers_import
from checkoff.services import (
    authorization_save,
    employer_save,
    remittance_check,
    remittance_post,
    remittance_reverse,
    suspense_return,
)
from checkoff.tests.factories import EmployerFactory, remittance_csv
from compliance.services import (
    arrears_policy_apply,
    eligibility_list_create,
    eligibility_list_publish,
    inspection_record,
    per_capita_report_paid,
    per_capita_report_submit,
    per_capita_report_work_out,
    standing_hold,
    standing_hold_release,
    standing_override,
)
from compliance.tests.factories import AffiliateFactory, ArrearsPolicyFactory
from dues.services import (
    adjustment_record,
    dues_charges_generate,
    dues_period_create,
    dues_period_due_date_change,
    dues_rate_create,
    payment_record,
    refund_record,
)
from jobs.services import job_kind, job_start
from members.importing import members_import
from members.models import Member
from members.services import (
    member_create,
    member_note_create,
    member_note_delete,
    member_note_update,
    member_update,
)
from members.tests.factories import ClassificationFactory, MemberFactory, UserFactory
from payments.autopay import autopay_cancel
from payments.models import Autopay, AutopayStatus
from referral.importing import employer_contracts_import, registrations_import
from referral.models import Exemption, Notice, Registration, RuleSet
from referral.notices import notices_send, resign_reminders_write
from referral.services import (
    exemption_end,
    exemption_extend,
    exemption_start,
    exemptions_end_due,
    registration_register,
    registration_resign,
    registration_roll_off,
    registrations_drop_missed,
    registrations_hold,
    registrations_hold_release,
    rule_set_activate,
)
from referral.tests.factories import BookFactory

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "accounts",
    "audit",
    "checkoff",
    "compliance",
    "dues",
    "jobs",
    "members",
    "payments",
    "referral",
)
D = datetime.date
# What names actors rather than writing as one.
HELPERS = {("audit", "context"), ("audit", "actors")}
SETUP = "test-setup"  # what the factories make before the work under test


def _service_modules() -> list[str]:
    """Every module of app code that may write: not a test, a migration, a command or a
    selector (whose `actor` is a filter)."""
    names = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if {"tests", "migrations", "management", "selectors"} & set(parts) or parts in HELPERS:
                continue
            names.append(".".join(p for p in parts if p != "__init__"))
    return names


def _functions_taking_an_actor() -> list[tuple[str, str, inspect.Signature]]:
    found = []
    for name in _service_modules():
        module = importlib.import_module(name)
        tree = ast.parse(Path(module.__file__).read_text())
        for node in tree.body:
            function = getattr(module, getattr(node, "name", ""), None)
            if isinstance(node, ast.FunctionDef) and inspect.isfunction(function):
                signature = inspect.signature(function)
                if "actor" in signature.parameters and not node.name.startswith("_"):
                    found.append((name, node.name, signature))
    return found


def test_every_service_takes_its_actor_by_name_and_without_a_default():
    functions = _functions_taking_an_actor()
    assert len(functions) >= 40  # the scan sees the services (not an empty pass)
    wrong = [
        f"{module}.{name}"
        for module, name, signature in functions
        if signature.parameters["actor"].kind != inspect.Parameter.KEYWORD_ONLY
        or signature.parameters["actor"].default is not inspect.Parameter.empty
    ]
    assert wrong == [
        # Events that are not a model's change: a failed login names who was tried.
        "audit.services.audit_event_record",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("nobody", [None, "", " ", AnonymousUser()], ids=repr)
def test_the_writers_refuse_a_write_that_names_nobody(nobody):
    with acting_as(SETUP):
        classification = ClassificationFactory()
    member = MemberFactory.build(classification=classification, member_number="990001")
    with pytest.raises(ActorMissing):
        saved_by(member, actor=nobody)
    with pytest.raises(ActorMissing):
        history_of_created([member], actor=nobody)
    with pytest.raises(ActorMissing):
        member_create(
            actor=nobody,
            member_number="990001",
            first_name="A",
            last_name="B",
            classification=classification,
            join_date=D(2026, 1, 1),
        )
    assert not Member.objects.filter(member_number="990001").exists()


def _office_work(actor) -> None:
    """Each writing service of the office once (what an officer's month holds), as `actor`."""
    with acting_as(SETUP):
        journeyman = ClassificationFactory(code="JW")
        acme = EmployerFactory(code="ACME")
        ArrearsPolicyFactory()
        international = AffiliateFactory()
    dues_rate_create(
        classification=journeyman,
        monthly_amount="45.00",
        effective_date=D(2026, 1, 1),
        actor=actor,
    )
    periods = [dues_period_create(year=2026, month=m, actor=actor) for m in (1, 2, 3, 4)]
    dues_period_due_date_change(period=periods[0], due_date=D(2026, 1, 30), actor=actor)
    member = member_create(
        actor=actor,
        member_number="1001",
        first_name="Ana",
        last_name="Nunez",
        classification=journeyman,
        join_date=D(2025, 6, 1),
        email="ana@example.com",
    )
    member_update(member=member, actor=actor, changes={"phone": "(312) 555-0100"})
    for period in periods:
        dues_charges_generate(period=period, actor=actor)
    payment = payment_record(
        member=member,
        amount=Decimal("90.00"),
        method="check",
        received_date=D(2026, 2, 1),
        actor=actor,
    )
    refund_record(payment=payment, amount=Decimal("10.00"), reason="Twice", actor=actor)
    adjustment_record(member=member, amount="-5.00", reason="Hardship", actor=actor)
    employer_save(employer=EmployerFactory.build(code="CORE", name="Core"), actor=actor)
    employers_import(csv_text="code,name\nWEST,West\n", actor=actor)
    authorizations_import(
        csv_text="employer_code,member_number,signed_on\nACME,1001,2026-01-01\n", actor=actor
    )
    authorization = acme.authorizations.get()
    authorization.revoked_on = D(2026, 6, 1)
    authorization_save(authorization=authorization, actor=actor)
    content = remittance_csv("1001,Nunez,Ana,,,2026-03,,,45.00", "9999,Nobody,No,,,2026-03,,,45.00")
    check = remittance_check(
        employer=acme,
        content=content,
        file_name="acme.csv",
        received_on=D(2026, 4, 10),
        actor=actor,
    )
    assert check.ok, check.read.errors
    posted = remittance_post(batch=check.batch, actor=actor)
    unmatched = posted.batch.lines.filter(member__isnull=True).get()
    suspense_return(line=unmatched, note="Not ours", actor=actor)
    remittance_reverse(batch=posted.batch, reason="Wrong month", actor=actor)
    arrears_policy_apply(day=D(2026, 4, 30), actor=actor)
    member.refresh_from_db()
    standing_override(member=member, status="suspended", reason="Asked to", actor=actor)
    elist = eligibility_list_create(title="Vote", record_date=D(2026, 4, 1), actor=actor)
    eligibility_list_publish(elist=elist, actor=actor)
    report = per_capita_report_work_out(affiliate=international, year=2026, month=3, actor=actor)
    per_capita_report_submit(report=report, actor=actor)
    per_capita_report_paid(report=report, paid_on=D(2026, 4, 20), actor=actor)
    members_import(
        csv_text="member_number,first_name,last_name,classification,join_date\n"
        "1002,Bo,Lee,JW,2026-01-05\n",
        actor=actor,
    )
    with acting_as(SETUP):
        Autopay.objects.create(member=member, status=AutopayStatus.ACTIVE, payment_method_id="pm_1")
    autopay_cancel(member=member, actor=actor, reason="Asked at the counter")
    job_start(kind=job_kind("audit.verify"), key="", label="Verify", actor=actor)
    if not isinstance(actor, str):  # a hold, an inspection and a note are a person's
        inspection_record(elist=elist, candidate=member, actor=actor, note="At the hall")
        hold = standing_hold(member=member, reason="Hardship request", actor=actor)
        standing_hold_release(hold=hold, actor=actor)
        note = member_note_create(member=member, actor=actor, text="Called", visibility="officers")
        member_note_update(note=note, actor=actor, text="Called twice")
        member_note_delete(note=note, actor=actor)
    _hall_work(actor, journeyman)


def _hall_work(actor, journeyman) -> None:
    """Each writing service of the hiring hall once (a dispatcher's week, and its nights),
    as `actor`: a person, or a named system actor (as the morning run and the night are)."""
    today = timezone.localdate()
    days = datetime.timedelta
    with acting_as(SETUP):
        book = BookFactory(code="WIRE-N", classification=journeyman)
        BookFactory(code="WIRE-S", classification=journeyman)
        rules = RuleSet.objects.create(
            version=1,
            effective_on=today,  # activated from today on, never a past day
            notice_given_on=today - days(62),
            reminder_days=45,  # the registrations below are reminded tonight
        )
        members = [
            MemberFactory(member_number=f"20{n}", classification=journeyman, email=f"m{n}@x.org")
            for n in range(5)
        ]
    rule_set_activate(rule_set=rules, actor=actor)
    first, second, third = (
        registration_register(member=member, book=book, actor=actor) for member in members[:3]
    )
    registration_resign(registration=first, actor=actor)
    exemption = exemption_start(
        registration=second,
        kind="jury_duty",
        starts_on=today,
        ends_on=today + days(10),
        actor=actor,
    )
    exemption_extend(
        exemption=exemption, ends_on=today + days(20), reason="A long trial", actor=actor
    )
    exemption_end(exemption=exemption, actor=actor)
    registration_roll_off(registration=second, reason="withdrawn", actor=actor)
    registrations_hold(reason="Morning referral", actor=actor)
    registration_register(member=members[3], book=book, actor=actor)  # queued
    [drawn] = registrations_hold_release(actor=actor)
    exemption = exemption_start(
        registration=drawn.registration, kind="medical", starts_on=today, actor=actor
    )
    with acting_as(SETUP):  # the night finds an exemption over and a re-sign missed
        Exemption.objects.filter(pk=exemption.pk).update(ends_on=today - days(1))
        Registration.objects.filter(pk=third.pk).update(resign_due=today - days(2))
    assert exemptions_end_due(actor=actor) == 1
    assert registrations_drop_missed(actor=actor) == 1
    assert resign_reminders_write(actor=actor) > 0
    assert notices_send(actor=actor).sent > 0
    imported = registrations_import(
        csv_text="book,member_number,name,tier,apn,registered_at,resign_due,status,check_marks\n"
        f"WIRE-S,204,,1,46300.01,{today - days(3)} 07:42,,,\n",
        actor=actor,
    )
    assert imported.written, imported.errors
    contracts = employer_contracts_import(
        csv_text="employer_code,employer_name,contract_code,agreement_type\n"
        "ACME,Acme,IW-INSIDE,standard\nNEWCO,New Co,IW-INSIDE,standard\n",
        actor=actor,
    )
    assert contracts.written, contracts.errors


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["a person", "a system actor"])
def test_every_office_write_names_its_actor(who):
    with acting_as(SETUP):
        actor = UserFactory(username="clerk", role="Admin") if who == "a person" else "month-end"
    first = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    _office_work(actor)

    written = AuditEvent.objects.filter(seq__gt=first).exclude(action__startswith="block_")
    assert written.count() > 40
    name = actor if isinstance(actor, str) else actor.get_username()
    strays = written.exclude(actor_label__in=[name, SETUP])
    assert list(strays.values_list("actor_label", "model_label", "action")) == []
    assert not written.filter(actor_label=UNKNOWN_ACTOR).exists()
    if not isinstance(actor, str):
        assert not written.exclude(actor_label=SETUP).exclude(actor=actor).exists()
    hall = set(
        written.filter(model_label__startswith="referral.").values_list("model_label", flat=True)
    )
    assert hall >= {
        "referral.ruleset",
        "referral.registration",
        "referral.registrationevent",
        "referral.exemption",
        "referral.registrationhold",
        "referral.queuedregistration",
        "referral.employercontract",
    }
    # The hall's notices (an outbox, not a history-tracked model) name who wrote them.
    assert Notice.objects.exists()
    assert not Notice.objects.exclude(written_by=name).exists()
