"""Dispatch in the admin (referral/admin/dispatches.py, dispatch_ends.py): the list,
read-only, its queries the same for 1 row as for 10; a member dispatched from a request's
page; checked in, work started, ended (after a page saying what follows: off every book and
blacked out, or back in place) and a no-show (after its page), each through its service, a
refusal shown on the form; Staff see dispatches and do none of it. Qualifications added and
deleted with their history; a member's page lists their dispatches."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from checkoff.tests.factories import EmployerFactory
from members.tests.factories import MemberFactory
from referral.models import (
    ACTIVE_STATUSES,
    Blackout,
    Dispatch,
    DispatchMethod,
    DispatchStatus,
    Qualification,
    Registration,
    RegistrationStatus,
    Requirement,
)
from referral.services import (
    dispatch_check_in,
    dispatch_make,
    dispatch_terminate,
    labor_request_receive,
    registration_register,
)

from .factories import BookFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
WEDNESDAY = datetime.date(2026, 12, 9)
LIST = reverse("admin:referral_dispatch_changelist")


def _url(name: str, *args) -> str:
    return reverse(f"admin:referral_dispatch_{name}", args=args)


@pytest.fixture
def employer(db):
    return EmployerFactory(code="ACME", name="Acme Electric")


@pytest.fixture
def hall(book, employer, clock):
    """Registers members on Dec 1 and receives requests on Tuesday Dec 8, 09:00, to start
    Wednesday at 07:00."""

    class Hall:
        def register(self, member=None, on=book, *, today=False):
            """On Dec 1 (then back to Tuesday), or, `today`, at the clock's time."""
            if not today:
                clock.set(2026, 12, 1, 9, 0)
            member = member or MemberFactory(classification=on.classification)
            registration = registration_register(member=member, book=on, actor="tests")
            if not today:
                clock.set(2026, 12, 8, 9, 0)
            return registration

        def request(self, **changes):
            values = {
                "employer": employer,
                "book": book,
                "positions": 1,
                "start_on": WEDNESDAY,
                "start_at": datetime.time(7, 0),
                "worksite": "1 Main St",
                "report_to": "Gate 3",
                "wage": Decimal("52.10"),
                "requirements": [],
                "short_call": False,
                "agreement_type": "standard",
                "actor": "tests",
                **changes,
            }
            return labor_request_receive(**values)

        def dispatch(self, registration=None, **changes):
            registration = registration or self.register()
            return dispatch_make(
                labor_request=self.request(**changes),
                registration=registration,
                method=DispatchMethod.IN_PERSON,
                actor="tests",
            )

    return Hall()


@pytest.fixture
def south(book):
    return BookFactory(code="WIRE-S", classification=book.classification)


@pytest.fixture
def dispatcher(client, user_with_role):
    client.force_login(user_with_role(roles.DISPATCHER, username="dispatcher1"))
    return client


# --- The list ---------------------------------------------------------------------------


def test_the_list_shows_each_dispatch_in_local_time(dispatcher, hall):
    dispatch = hall.dispatch()

    html = dispatcher.get(LIST).content.decode()

    assert str(dispatch.member) in html and "ACME: Acme Electric" in html
    assert "2026-12-08 09:00" in html  # 17:00 UTC
    assert "2026-12-09 07:00" in html  # report by
    assert "WIRE-N" in html and "In person" in html
    assert reverse("admin:referral_laborrequest_change", args=[dispatch.labor_request_id]) in html


def test_the_list_costs_the_same_queries_for_one_dispatch_as_for_ten(dispatcher, hall):
    hall.dispatch()
    dispatcher.get(LIST)  # warm: permissions, content types, sessions
    with CaptureQueriesContext(connection) as one:
        assert dispatcher.get(LIST).status_code == 200
    for _ in range(9):
        hall.dispatch(employer=EmployerFactory())

    with CaptureQueriesContext(connection) as ten:
        page = dispatcher.get(LIST)

    assert page.context["cl"].result_count == 10
    assert len(ten) == len(one), [q["sql"] for q in ten.captured_queries]


def test_the_list_filters_by_status_method_and_employer_and_finds_a_member(dispatcher, hall):
    kept = hall.dispatch()
    other = hall.dispatch(employer=EmployerFactory(code="OTHR"))
    dispatch_terminate(dispatch=other, reason="laid_off", on=datetime.date(2026, 12, 8), actor="t")

    def listed(**query):
        page = dispatcher.get(LIST, query)
        assert page.status_code == 200, query
        return {d.pk for d in page.context["cl"].result_list}

    assert listed(status__exact="dispatched") == {kept.pk}
    assert listed(status__exact="terminated") == {other.pk}
    assert listed(method__exact="in_person") == {kept.pk, other.pk}
    assert listed(method__exact="by_name") == set()
    assert listed(employer__id__exact=kept.employer_id) == {kept.pk}
    assert listed(q=kept.member.member_number) == {kept.pk}
    assert listed(q=other.member.last_name) == {other.pk}


def test_no_one_adds_changes_or_deletes_a_dispatch_through_the_plain_form(dispatcher, hall):
    dispatch = hall.dispatch()
    assert dispatcher.get(reverse("admin:referral_dispatch_add")).status_code == 403
    assert dispatcher.get(_url("delete", dispatch.pk)).status_code == 403
    page = dispatcher.get(_url("change", dispatch.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert dispatcher.post(_url("change", dispatch.pk), {"note": "x"}).status_code == 403


# --- Dispatching from a request ---------------------------------------------------------


def test_a_member_is_dispatched_from_the_requests_page(dispatcher, hall):
    registration = hall.register()
    labor_request = hall.request()
    listed = dispatcher.get(reverse("admin:referral_laborrequest_changelist")).content.decode()
    make = _url("make", labor_request.pk)
    assert make in listed and "Dispatch a member" in listed

    page = dispatcher.get(make)
    assert page.status_code == 200
    form = page.content.decode()
    assert f"{registration.member}: Book 1, APN {registration.apn}" in form
    assert "<legend>Method</legend>" in form and 'value="in_person"' in form
    answer = dispatcher.post(make, {"registration": registration.pk, "method": "in_person"})

    dispatch = Dispatch.objects.get()
    assert answer.status_code == 302 and answer["Location"] == _url("change", dispatch.pk)
    assert dispatch.labor_request == labor_request and dispatch.method == "in_person"
    assert dispatch.dispatched_by.username == dispatch.dispatched_by_name == "dispatcher1"
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.DISPATCHED


def test_a_member_already_out_is_refused_on_the_form(dispatcher, hall, south):
    registration = hall.register()
    hall.dispatch(registration=hall.register(member=registration.member, on=south), book=south)
    labor_request = hall.request()

    answer = dispatcher.post(
        _url("make", labor_request.pk), {"registration": registration.pk, "method": "in_person"}
    )

    assert answer.status_code == 400
    errors = answer.context["form"].errors
    assert "already dispatched to ACME: Acme Electric" in " ".join(errors["registration"])
    assert Dispatch.objects.count() == 1


def test_a_by_name_method_on_an_open_call_is_refused_on_the_form(dispatcher, hall):
    registration = hall.register()
    labor_request = hall.request()
    answer = dispatcher.post(
        _url("make", labor_request.pk), {"registration": registration.pk, "method": "by_name"}
    )
    assert answer.status_code == 400
    assert "A by-name request is dispatched by name" in " ".join(
        answer.context["form"].errors["method"]
    )
    assert not Dispatch.objects.exists()


def test_a_member_lacking_a_requirement_is_refused_on_the_form(dispatcher, hall):
    registration = hall.register()
    osha = Requirement.objects.get(code="OSHA-30")
    labor_request = hall.request(requirements=[osha])
    answer = dispatcher.post(
        _url("make", labor_request.pk), {"registration": registration.pk, "method": "in_person"}
    )
    assert answer.status_code == 400
    assert "lacks what the request asks: OSHA-30" in answer.content.decode()


# --- Check in, work started -------------------------------------------------------------


def test_check_in_then_work_started(dispatcher, hall, clock):
    dispatch = hall.dispatch()
    clock.set(2026, 12, 9, 6, 45)
    page = dispatcher.get(_url("change", dispatch.pk)).content.decode()
    assert "Check in" in page and "Work started" not in page

    answer = dispatcher.post(_url("check_in", dispatch.pk), {"at": "2026-12-09T06:40"})

    assert answer.status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.CHECKED_IN
    assert dispatch.checked_in_at == clock.set(2026, 12, 9, 6, 40)
    clock.set(2026, 12, 9, 8, 0)
    assert "Work started" in dispatcher.get(_url("change", dispatch.pk)).content.decode()
    answer = dispatcher.post(_url("start_work", dispatch.pk), {"on": "2026-12-09"})
    assert answer.status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.WORKING and dispatch.working_since == WEDNESDAY


def test_a_check_in_after_the_report_time_is_a_form_error(dispatcher, hall, clock):
    dispatch = hall.dispatch()
    clock.set(2026, 12, 9, 8, 0)
    answer = dispatcher.post(_url("check_in", dispatch.pk), {"at": "2026-12-09T07:30"})
    assert answer.status_code == 400
    assert "record a no-show" in " ".join(answer.context["form"].errors["at"])
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.DISPATCHED


def test_work_started_before_a_check_in_is_a_form_error(dispatcher, hall):
    dispatch = hall.dispatch()
    answer = dispatcher.post(_url("start_work", dispatch.pk), {"on": "2026-12-08"})
    assert answer.status_code == 400
    assert "checks in before work starts" in answer.content.decode()


# --- The end ----------------------------------------------------------------------------


def test_a_quit_says_every_book_and_the_blackout_before_it_is_recorded(
    dispatcher, hall, clock, south
):
    registration = hall.register()
    hall.register(member=registration.member, on=south)
    dispatch = hall.dispatch(registration=registration)
    clock.set(2026, 12, 9, 6, 0)
    dispatch_check_in(dispatch=dispatch, actor="tests")
    clock.set(2026, 12, 10, 12, 0)
    end = _url("terminate", dispatch.pk)
    assert "End the dispatch" in dispatcher.get(_url("change", dispatch.pk)).content.decode()
    asked = {"reason": "quit", "on": "2026-12-10", "note": ""}

    confirm = dispatcher.post(end, asked)

    assert confirm.status_code == 200
    html = confirm.content.decode()
    member = registration.member
    assert (
        f"{member} is taken off every book (WIRE-N, WIRE-S) and blacked out from ACME: Acme "
        "Electric until Dec 24, 2026"
    ) in html.replace("&#x27;", "'")
    assert 'name="confirmed"' in html and 'type="hidden" name="reason" value="quit"' in html
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.CHECKED_IN and not Blackout.objects.exists()

    done = dispatcher.post(end, {**asked, "confirmed": "1"})

    assert done.status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.TERMINATED and dispatch.termination_reason == "quit"
    assert Blackout.objects.get().ends_on == datetime.date(2026, 12, 24)
    assert not Registration.objects.filter(member=member, status__in=ACTIVE_STATUSES).exists()


def test_a_short_calls_end_says_the_registration_goes_back_to_its_place(dispatcher, hall, clock):
    dispatch = hall.dispatch(short_call=True)
    clock.set(2026, 12, 9, 6, 0)
    dispatch_check_in(dispatch=dispatch, actor="tests")
    clock.set(2026, 12, 10, 16, 0)
    asked = {"reason": "short_call_ended", "on": "2026-12-10", "note": ""}

    confirm = dispatcher.post(_url("terminate", dispatch.pk), asked)

    assert "the registration goes back to its place on WIRE-N" in confirm.content.decode()
    dispatcher.post(_url("terminate", dispatch.pk), {**asked, "confirmed": "1"})
    dispatch.registration.refresh_from_db()
    assert dispatch.registration.status == RegistrationStatus.REGISTERED


def test_a_long_short_call_says_the_registration_does_not_go_back(dispatcher, hall, clock):
    dispatch = hall.dispatch(short_call=True)
    clock.set(2026, 12, 9, 6, 0)
    dispatch_check_in(dispatch=dispatch, actor="tests")
    clock.set(2026, 12, 28, 16, 0)  # 14 business days: more than a short call's 10
    dispatcher.force_login(User.objects.get(username="dispatcher1"))  # the session timed out
    asked = {"reason": "short_call_ended", "on": "2026-12-28", "note": ""}

    confirm = dispatcher.post(_url("terminate", dispatch.pk), asked)

    assert "the registration does not go back to its place on WIRE-N" in confirm.content.decode()
    dispatcher.post(_url("terminate", dispatch.pk), {**asked, "confirmed": "1"})
    dispatch.registration.refresh_from_db()
    assert dispatch.registration.status == RegistrationStatus.ROLLED_OFF


def test_a_refused_end_is_a_form_error_not_a_crash(dispatcher, hall):
    dispatch = hall.dispatch()  # not a short call
    answer = dispatcher.post(
        _url("terminate", dispatch.pk),
        {"reason": "short_call_ended", "on": "2026-12-08", "note": "", "confirmed": "1"},
    )
    assert answer.status_code == 400
    assert "was not to a short call" in " ".join(answer.context["form"].errors["reason"])
    other = dispatcher.post(
        _url("terminate", dispatch.pk),
        {"reason": "other", "on": "2026-12-08", "note": "", "confirmed": "1"},
    )
    assert other.status_code == 400 and "Say why" in " ".join(other.context["form"].errors["note"])
    dispatch.refresh_from_db()
    assert dispatch.is_open


# --- A no-show --------------------------------------------------------------------------


def test_a_no_show_is_confirmed_then_recorded(dispatcher, hall, clock):
    dispatch = hall.dispatch()
    assert "No-show" not in dispatcher.get(_url("change", dispatch.pk)).content.decode()
    clock.set(2026, 12, 9, 8, 0)
    assert "No-show" in dispatcher.get(_url("change", dispatch.pk)).content.decode()

    page = dispatcher.get(_url("no_show", dispatch.pk))

    html = page.content.decode()
    assert "the check mark of Dec 09, 2026 for failing to report" in html
    assert "position is free again" in html
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.DISPATCHED
    assert dispatcher.post(_url("no_show", dispatch.pk), {"confirmed": "1"}).status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.NO_SHOW


def test_a_no_show_before_the_report_time_is_refused_on_the_page(dispatcher, hall):
    dispatch = hall.dispatch()
    answer = dispatcher.post(_url("no_show", dispatch.pk), {"confirmed": "1"})
    assert answer.status_code == 400
    assert "has until Dec 09, 2026 07:00 to report" in answer.content.decode()


# --- Who may --------------------------------------------------------------------------


def test_staff_see_dispatches_and_may_do_nothing_with_them(client, user_with_role, hall):
    dispatch = hall.dispatch()
    labor_request = hall.request(employer=EmployerFactory())
    registration = hall.register()
    client.force_login(user_with_role(roles.STAFF))
    assert client.get(LIST).status_code == 200
    page = client.get(_url("change", dispatch.pk))
    assert page.status_code == 200 and "What you can do" not in page.content.decode()
    for name, args in [
        ("make", [labor_request.pk]),
        ("check_in", [dispatch.pk]),
        ("start_work", [dispatch.pk]),
        ("terminate", [dispatch.pk]),
        ("no_show", [dispatch.pk]),
    ]:
        assert client.get(_url(name, *args)).status_code == 403, name
        assert client.post(_url(name, *args), {"registration": registration.pk}).status_code == 403
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.DISPATCHED and Dispatch.objects.count() == 1


def test_a_role_without_the_hall_sees_no_dispatches(client, user_with_role, hall):
    dispatch = hall.dispatch()
    client.force_login(user_with_role(roles.ORGANIZER))
    assert client.get(LIST).status_code == 403
    assert client.get(_url("change", dispatch.pk)).status_code == 403


# --- Qualifications ---------------------------------------------------------------------


def test_a_qualification_is_added_and_deleted_with_its_history(client, user_with_role, rules):
    user = user_with_role(roles.DISPATCHER)
    client.force_login(user)
    member = MemberFactory()
    osha = Requirement.objects.get(code="OSHA-30")

    answer = client.post(
        reverse("admin:referral_qualification_add"),
        {"member": member.pk, "requirement": osha.pk, "expires_on": "2027-06-30"},
    )

    assert answer.status_code == 302
    held = Qualification.objects.get()
    assert held.expires_on == datetime.date(2027, 6, 30)
    assert held.history.get().history_user == user
    delete = reverse("admin:referral_qualification_delete", args=[held.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Qualification.objects.exists()
    gone = Qualification.history.filter(history_type="-").get()
    assert gone.history_user == user and gone.member_id == member.pk


def test_staff_may_not_add_a_qualification(client, user_with_role, rules):
    client.force_login(user_with_role(roles.STAFF))
    assert client.get(reverse("admin:referral_qualification_changelist")).status_code == 200
    assert client.get(reverse("admin:referral_qualification_add")).status_code == 403


# --- A member's page --------------------------------------------------------------------


def test_a_members_page_lists_their_dispatches_in_constant_queries(dispatcher, hall, clock):
    member = MemberFactory()
    first = hall.dispatch(registration=hall.register(member=member))
    dispatch_terminate(dispatch=first, reason="laid_off", on=datetime.date(2026, 12, 8), actor="t")
    page = reverse("admin:members_member_change", args=[member.pk])
    dispatcher.get(page)
    with CaptureQueriesContext(connection) as one:
        html = dispatcher.get(page).content.decode()
    assert "Dispatched Dec 08, 2026" in html
    assert (
        "ACME: Acme Electric, Book WIRE-N, in person: Terminated, ended Dec 08, 2026 (laid off)"
        in html
    )
    assert _url("change", first.pk) in html
    for _ in range(4):
        again = hall.register(member=member, today=True)
        later = hall.dispatch(registration=again, employer=EmployerFactory())
        dispatch_terminate(
            dispatch=later, reason="laid_off", on=datetime.date(2026, 12, 8), actor="t"
        )

    with CaptureQueriesContext(connection) as five:
        html = dispatcher.get(page).content.decode()

    assert html.count("Dispatched Dec 08, 2026") == 5
    assert len(five) == len(one), [q["sql"] for q in five.captured_queries]


def test_a_member_never_dispatched_says_so(dispatcher, hall):
    registration = hall.register()
    page = dispatcher.get(reverse("admin:members_member_change", args=[registration.member_id]))
    assert "Never dispatched" in page.content.decode()
