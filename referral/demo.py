"""The demo hiring hall for `manage.py seed_demo` (`members.demo_data`), shaped like the
local of docs/domain.md §6: three regions with the US federal holidays of 2026-2027, rules
v1 in force and a draft v2 with notice given, eleven books (three regional wire books of
about 1,000 registrants each, 87% of the first also on the other two; technician,
stockman, tradeshow; supplemental PLA, CWA, TERO, residential and apprentice books), about
4,000 registrations over the last five months: some exempt, some due to re-sign within a
week, some dropped.

The hall needs more people than the 300 demo members: travelers (members of other locals,
on the wire books' Book 2) and the technician, stockman and tradeshow units are made here,
in bulk. Their classifications pay working dues only (charged by employers' remittances),
so the dues demo, run again, charges none of them and leaves them in good standing.

Written in bulk with their history rows and audit events (audit.history.history_of_created),
as one service call per registration would be far too slow for `make run`: the rows are
those the services would write (APNs drawn per book and day, REGISTERED, RESIGNED,
EXEMPTION_STARTED and ROLLED_OFF events with the registration's place after each)."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Model
from django.utils import timezone

from appkit.sql import bulk_insert
from audit.actors import saved_by
from audit.history import history_of_created
from dues.models import DuesRate, WorkingDuesBasis
from dues.services import dues_rate_create
from members.management.commands.seed_demo import FIRST_NAMES, LAST_NAMES
from members.models import Classification, Member, MemberStatus

from . import rules
from .models import (
    AgreementType,
    Book,
    EventKind,
    Exemption,
    ExemptionKind,
    Holiday,
    Notice,
    NoticeKind,
    NoticeStatus,
    Region,
    Registration,
    RegistrationStatus,
    RollOffReason,
    RuleSet,
    WorkLevel,
)
from .notices import drop_notices_write, notice_message, resign_reminders_write
from .services.common import event_of

ACTOR = "seed_demo"  # the demo's named actor, as members.management.commands.seed_demo
D = datetime.date

FEDERAL_HOLIDAYS = [
    (D(2026, 1, 1), "New Year's Day"),
    (D(2026, 1, 19), "Martin Luther King Jr. Day"),
    (D(2026, 2, 16), "Washington's Birthday"),
    (D(2026, 5, 25), "Memorial Day"),
    (D(2026, 6, 19), "Juneteenth"),
    (D(2026, 7, 3), "Independence Day (observed)"),
    (D(2026, 9, 7), "Labor Day"),
    (D(2026, 10, 12), "Columbus Day"),
    (D(2026, 11, 11), "Veterans Day"),
    (D(2026, 11, 26), "Thanksgiving Day"),
    (D(2026, 12, 25), "Christmas Day"),
    (D(2027, 1, 1), "New Year's Day"),
    (D(2027, 1, 18), "Martin Luther King Jr. Day"),
    (D(2027, 2, 15), "Washington's Birthday"),
    (D(2027, 5, 31), "Memorial Day"),
    (D(2027, 6, 18), "Juneteenth (observed)"),
    (D(2027, 7, 5), "Independence Day (observed)"),
    (D(2027, 9, 6), "Labor Day"),
    (D(2027, 10, 11), "Columbus Day"),
    (D(2027, 11, 11), "Veterans Day"),
    (D(2027, 11, 25), "Thanksgiving Day"),
    (D(2027, 12, 24), "Christmas Day (observed)"),
    (D(2027, 12, 31), "New Year's Day (observed)"),
]
REGIONS = [("NORTH", "North"), ("SOUTH", "South"), ("EAST", "East")]
# code → (name, may vote here): the hall's classifications beyond the members demo's own;
# each pays working dues only (3.5% of gross wages, by the employer's remittance).
HALL_CLASSIFICATIONS = {
    "TR": ("Traveler (member of a sister local)", False),
    "TE": ("Sound and communication technician", True),
    "ST": ("Stockman", True),
    "TS": ("Tradeshow electrician", True),
}
# code, name, classification, region, tiers, agreement (a project agreement's book is
# supplemental to its region's wire book); the apprentices' book is of apprentices.
BOOKS = [
    ("WIRE-N", "Inside wireman, North", "JW", "NORTH", 2, "standard"),
    ("WIRE-S", "Inside wireman, South", "JW", "SOUTH", 2, "standard"),
    ("WIRE-E", "Inside wireman, East", "JW", "EAST", 2, "standard"),
    ("TECH", "Sound and communication technician", "TE", "NORTH", 2, "standard"),
    ("STOCK", "Stockman", "ST", "SOUTH", 1, "standard"),
    ("SHOW", "Tradeshow electrician", "TS", "EAST", 2, "standard"),
    ("RES", "Residential wireman", "RW", "NORTH", 2, "standard"),
    ("APPR", "Apprentice wireman", "AP", "NORTH", 1, "standard"),
    ("WIRE-N-PLA", "Inside wireman, North (PLA projects)", "JW", "NORTH", 2, "pla"),
    ("WIRE-S-CWA", "Inside wireman, South (CWA projects)", "JW", "SOUTH", 2, "cwa"),
    ("WIRE-E-TERO", "Inside wireman, East (TERO)", "JW", "EAST", 2, "tero"),
]
# The shape of the local (docs/domain.md §6).
WIRE_REGISTRANTS = 1000
ON_ALL_WIRE_BOOKS = 870  # 87% of the first wire book's registrants
UNIT_SIZES = {"TE": 260, "ST": 54, "TS": 275}
SHOW_FROM_TECH = 40  # technicians also on the tradeshow book: 315 in all
SUPPLEMENTAL = {"WIRE-N-PLA": 180, "WIRE-S-CWA": 110, "WIRE-E-TERO": 45}
RESIDENTIAL = 60
DAYS_BACK = 150  # registrations made over the last five months
DROPPED, EXEMPT = 0.04, 0.03  # shares of registrations
FIRST_NUMBER = 700001  # the hall's extra members: 700001 on, clear of the demo's 1000xx

RULES_V1 = """Referral rules, version 1.

1. Books. Each classification has an out-of-work book in its region, in tiers: Book 1 is
   referred before Book 2. A member goes on Book 1 of their own classification's book; the
   hall writes down why whenever it places someone otherwise.
2. Order. Each registration takes a number (APN): its whole part is the day, its fraction
   the order within the day. The lowest number is referred first; ties go to whoever
   registered first.
3. Re-sign. A registration runs 30 days and is re-signed by its last day (moved to the
   next day the office is open). One not re-signed is dropped at midnight at the end of
   that day. The hall sends a reminder 7 days before.
4. Requests. An employer's request received by 3:00 p.m. is filled at the next morning's
   referral.
5. Web bids. Bids are taken from 5:30 p.m. to 7:00 a.m. Refusing a job after a successful
   bid counts as a quit; a second refusal within 12 months ends bidding for a year.
6. Short calls. A call of up to 10 business days is a short call: the registrant keeps
   their place, twice per cycle; a call of 3 working days or fewer is not counted.
7. Check marks. A registrant may have two check marks on a book, at most one a day; the
   third rolls them off that book.
8. Quits and discharges. A quit or discharge takes the member off every book and bars
   requests for them by name from that employer for 2 weeks.
9. Requests by name. Never referred to a member who solicited the request.
10. Exemptions. An exempt registrant (military service, union business, medical, jury
    duty and others) keeps their place; a traveling or under-scale exemption lasts 6 months
    at most unless an officer extends it.
11. Changes. These rules change only by a new version, given to registrants at least 30
    days before it takes effect."""
RULES_V2 = """Referral rules, version 2 (a draft: notice given, not yet in force).

As version 1, except:
3. Re-sign. The hall sends its reminder 10 days before a re-sign falls due.
5. Web bids. Bids are taken from 6:00 p.m. to 7:00 a.m."""


def seed_demo_referral(stdout) -> None:
    if Book.objects.exists():
        stdout.write("Demo hiring hall: books already there, left as they are.")
        return
    today = timezone.localdate()
    rng = random.Random(27)  # the same hall every run
    classifications = _classifications(today)
    regions = _regions()
    v1 = _rule_sets(today)
    books = _books(classifications, regions)
    people, new_members = _people(rng, classifications, today)
    holidays = {day for day, _ in FEDERAL_HOLIDAYS}
    hall = _Hall(rng, today, holidays, v1)
    for code, members in _registrants(rng, people).items():
        hall.book(books[code], members)
    hall.write()
    _notices_sent(hall, v1)
    stdout.write(
        f"Demo hiring hall: {len(books)} books, {len(hall.registrations):,} registrations "
        f"({new_members:,} new members: travelers, technicians, stockmen, tradeshow), "
        "rules v1 in force and v2 given notice."
    )


def _notices_sent(hall: _Hall, rule_set: RuleSet) -> None:
    """The notices a running hall has sent by now: the reminders of re-signs due within
    `reminder_days` and the drops' notices, each sent when it was due (so the first nightly
    run reminds only those it would on any night, and `make run`'s worker does not print a
    thousand mails). A member without an email keeps theirs unsent, as the hall would."""
    resign_reminders_write(actor=ACTOR)
    for registration in hall.registrations:
        if registration.status == RegistrationStatus.ROLLED_OFF:
            drop_notices_write(
                registration_ids=[registration.pk], actor=ACTOR, now=registration.ended_at
            )
    notices = list(
        Notice.objects.select_related("registration__member", "registration__book__region")
    )
    for notice in notices:
        if notice.kind == NoticeKind.RESIGN_REMINDER:
            day = notice.due_on - datetime.timedelta(days=rule_set.reminder_days)
            notice.created_at = min(hall.at(day, minute=15), notice.created_at)
        if notice.status == NoticeStatus.WAITING:
            notice.subject, notice.body = notice_message(notice)
            notice.status, notice.attempts, notice.next_attempt_at = NoticeStatus.SENT, 1, None
            notice.sent_at = notice.created_at + datetime.timedelta(minutes=5)
    Notice.objects.bulk_update(
        notices,
        ["created_at", "subject", "body", "status", "attempts", "next_attempt_at", "sent_at"],
        batch_size=500,
    )


def _bulk(objs: Sequence[Model]) -> None:
    """Insert new rows with their history rows and audit events, named for the demo."""
    for start in range(0, len(objs), 2000):
        batch = objs[start : start + 2000]
        bulk_insert(batch)
        history_of_created(batch, actor=ACTOR, reason=ACTOR)


def _classifications(today: datetime.date) -> dict[str, Classification]:
    found = {c.code: c for c in Classification.objects.all()}
    for code, (name, may_vote) in HALL_CLASSIFICATIONS.items():
        if code not in found:
            found[code] = Classification(code=code, name=name, full_dues=False, may_vote=may_vote)
            saved_by(found[code], actor=ACTOR)
        if not DuesRate.objects.filter(classification=found[code]).exists():
            dues_rate_create(
                classification=found[code],
                monthly_amount="0",
                working_basis=WorkingDuesBasis.GROSS_WAGES,
                working_rate="3.5",
                effective_date=D(today.year - 2, 1, 1),
                actor=ACTOR,
            )
    return found


def _regions() -> dict[str, Region]:
    regions = [Region(code=code, name=name) for code, name in REGIONS]
    _bulk(regions)
    _bulk(
        [Holiday(region=r, day=day, name=name) for r in regions for day, name in FEDERAL_HOLIDAYS]
    )
    return {r.code: r for r in regions}


def _rule_sets(today: datetime.date) -> RuleSet:
    effective = D(today.year - 1, 1, 1)
    # The rules in force before the hall's system, written as the history they are (as are
    # the registrations made under them): rule_set_activate puts rules in force from today on.
    v1 = RuleSet(
        version=1,
        effective_on=effective,
        notice_given_on=effective - datetime.timedelta(days=45),
        activated_at=timezone.make_aware(datetime.datetime.combine(effective, datetime.time())),
        text=RULES_V1,
    )
    saved_by(v1, actor=ACTOR)
    v2 = RuleSet(
        version=2,
        effective_on=today + datetime.timedelta(days=45),
        notice_given_on=today - datetime.timedelta(days=3),
        text=RULES_V2,
        reminder_days=10,
        bidding_opens=datetime.time(18, 0),
    )
    saved_by(v2, actor=ACTOR)
    return v1


def _books(
    classifications: dict[str, Classification], regions: dict[str, Region]
) -> dict[str, Book]:
    books = [
        Book(
            code=code,
            name=name,
            classification=classifications[cls],
            region=regions[region],
            tiers=tiers,
            agreement_type=AgreementType(agreement),
            supplemental=agreement != AgreementType.STANDARD,
            work_level=WorkLevel.APPRENTICE if cls == "AP" else WorkLevel.JOURNEYMAN,
            referral_time=datetime.time(8, 30) if order <= 3 else datetime.time(9, 0),
            referral_order=order,
        )
        for order, (code, name, cls, region, tiers, agreement) in enumerate(BOOKS, start=1)
    ]
    _bulk(books)
    return {b.code: b for b in books}


def _people(
    rng: random.Random, classifications: dict[str, Classification], today: datetime.date
) -> tuple[dict[str, list[Member]], int]:
    """The hall's registrants by kind, and how many members were made for it: the demo's
    own active members out of work (about two in three of each classification; the member
    login's among them), travelers and the other units' members, made here."""
    local = defaultdict(list)
    code_of = {c.pk: code for code, c in classifications.items()}
    for member in Member.objects.filter(status=MemberStatus.ACTIVE).order_by("member_number"):
        if member.user_id or rng.random() < 2 / 3:
            local[code_of.get(member.classification_id)].append(member)
    wire_people = WIRE_REGISTRANTS + 2 * (WIRE_REGISTRANTS - ON_ALL_WIRE_BOOKS)
    wire_travelers = max(wire_people - len(local["JW"]), 0)
    maker = _MemberMaker(rng, today)
    travelers = maker.make(
        classifications["TR"], wire_travelers + max(RESIDENTIAL - len(local["RW"]), 0)
    )
    units = {code: maker.make(classifications[code], count) for code, count in UNIT_SIZES.items()}
    _bulk(maker.members)
    wire = local["JW"][:wire_people] + travelers[:wire_travelers]
    rng.shuffle(wire)
    wire.sort(key=lambda m: not m.user_id)  # the member login's: on every wire book
    people = {
        "wire": wire,
        "residential": local["RW"] + travelers[wire_travelers:],
        "apprentice": local["AP"],
        **units,
    }
    return people, len(maker.members)


class _MemberMaker:
    def __init__(self, rng: random.Random, today: datetime.date):
        self.rng, self.today, self.members = rng, today, []

    def make(self, classification: Classification, count: int) -> list[Member]:
        made = []
        for _ in range(count):
            number = FIRST_NUMBER + len(self.members)
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            # One in twenty gave the hall no email: their notices are kept, not sent.
            email = "" if self.rng.random() < 0.05 else f"{first}.{last}{number}@example.net"
            member = Member(
                member_number=str(number),
                first_name=first,
                last_name=last,
                email=email.lower().replace("'", ""),
                phone=f"(312) 555-{self.rng.randrange(200, 999):04d}",
                date_of_birth=D(1960, 1, 1) + datetime.timedelta(days=self.rng.randrange(15000)),
                classification=classification,
                status=MemberStatus.ACTIVE,
                join_date=self.today - datetime.timedelta(days=self.rng.randrange(400, 9000)),
            )
            self.members.append(member)
            made.append(member)
        return made


def _registrants(rng: random.Random, people: dict[str, list]) -> dict[str, list]:
    """Who is on each book, with the overlaps of a real local: most of the first wire book
    on the other two."""
    wire = people["wire"]
    first = WIRE_REGISTRANTS
    others = WIRE_REGISTRANTS - ON_ALL_WIRE_BOOKS
    on_all, north_only = wire[:ON_ALL_WIRE_BOOKS], wire[ON_ALL_WIRE_BOOKS:first]
    south_only, east_only = wire[first : first + others], wire[first + others :]
    tech = people["TE"]
    return {
        "WIRE-N": on_all + north_only,
        "WIRE-S": on_all + south_only,
        "WIRE-E": on_all + east_only,
        "TECH": tech,
        "STOCK": people["ST"],
        "SHOW": people["TS"] + rng.sample(tech, SHOW_FROM_TECH),
        "RES": people["residential"],
        "APPR": people["apprentice"],
        "WIRE-N-PLA": rng.sample(on_all + north_only, SUPPLEMENTAL["WIRE-N-PLA"]),
        "WIRE-S-CWA": rng.sample(on_all + south_only, SUPPLEMENTAL["WIRE-S-CWA"]),
        "WIRE-E-TERO": rng.sample(on_all + east_only, SUPPLEMENTAL["WIRE-E-TERO"]),
    }


class _Hall:
    """The registrations of every book and their events, as the services would have
    written them over the last DAYS_BACK days, gathered to be written in bulk."""

    def __init__(self, rng: random.Random, today: datetime.date, holidays: set, rule_set):
        self.rng, self.today, self.holidays, self.rule_set = rng, today, holidays, rule_set
        self.workdays = [
            day
            for back in range(DAYS_BACK, 0, -1)
            if rules.is_business_day(day := today - datetime.timedelta(days=back), holidays)
        ]
        # A member on several wire books registered on them all at one visit.
        self.visit: dict[int, datetime.datetime] = {}
        self.registrations: list[Registration] = []
        self.events: list[tuple[Registration, str, datetime.datetime, str]] = []
        self.exemptions: list[Exemption] = []

    def at(self, day: datetime.date, minute: int | None = None) -> datetime.datetime:
        minute = self.rng.randrange(8 * 60, 16 * 60 + 30) if minute is None else minute
        moment = datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60))
        return timezone.make_aware(moment)

    def book(self, book: Book, members: list[Member]) -> None:
        made = []
        for member in members:
            if member.pk not in self.visit or book.code in ("RES", "APPR"):
                self.visit[member.pk] = self.at(self.rng.choice(self.workdays))
            at = self.visit[member.pk] + datetime.timedelta(minutes=book.referral_order)
            made.append((at, member))
        made.sort(key=lambda pair: (pair[0], pair[1].pk))
        last_of_day = None
        for sequence, (at, member) in enumerate(made, start=1):
            day = timezone.localdate(at)
            apn = rules.apn_next(day, last_of_day)
            last_of_day = apn
            registration = Registration(
                member=member,
                book=book,
                tier=self.rule_set.tier_of(member, book, day),
                apn=apn,
                sequence=sequence,
                registered_at=at,
                resign_due=rules.resign_due(day, self.rule_set.resign_days, self.holidays),
                rule_set=self.rule_set,
            )
            self.registrations.append(registration)
            self.events.append((registration, EventKind.REGISTERED, at, ""))
            self._since(registration, day)

    def _since(self, registration: Registration, day: datetime.date) -> None:
        """What happened to a registration after it was made: dropped, exempted, or
        re-signed (its last re-sign, within the last 30 days) and still on the book."""
        today, draw = self.today, self.rng.random()
        if draw < DROPPED and registration.resign_due < today - datetime.timedelta(days=2):
            registration.status = RegistrationStatus.ROLLED_OFF
            registration.roll_off_reason = RollOffReason.RESIGN_MISSED
            next_day = registration.resign_due + datetime.timedelta(days=1)
            registration.ended_at = self.at(next_day, minute=15)  # the nightly drop
            self.events.append(
                (registration, EventKind.ROLLED_OFF, registration.ended_at, "resign_missed")
            )
        elif DROPPED <= draw < DROPPED + EXEMPT and (today - day).days > 1:
            starts = day + datetime.timedelta(
                days=self.rng.randrange(1, min(25, (today - day).days))
            )
            kind = self.rng.choice(list(ENDS))
            ends = ENDS[kind](starts)
            registration.status = RegistrationStatus.EXEMPT
            self.exemptions.append(
                Exemption(
                    registration=registration,
                    kind=kind,
                    starts_on=starts,
                    ends_on=ends,
                    approved_by_name=ACTOR,
                    note="Demo",
                )
            )
            self.events.append((registration, EventKind.EXEMPTION_STARTED, self.at(starts), kind))
        elif registration.resign_due < today:
            # Its last re-sign (the ones before are not written: the demo keeps one).
            lately = today - datetime.timedelta(days=self.rule_set.resign_days - 1)
            resigned = self.rng.choice([d for d in self.workdays if d > day and d >= lately])
            registration.resign_due = rules.resign_due(
                resigned, self.rule_set.resign_days, self.holidays
            )
            self.events.append((registration, EventKind.RESIGNED, self.at(resigned), ""))

    def write(self) -> None:
        _bulk(self.registrations)
        events = [
            # Its place after the event: the same as now, but for the status.
            event_of(
                registration,
                kind,
                at=at,
                rule_set=self.rule_set,
                actor=ACTOR,
                reason=reason,
                status=STATUS_AFTER.get(kind, registration.status),
            )
            for registration, kind, at, reason in self.events
        ]
        _bulk(events)
        for exemption in self.exemptions:  # made before its registration had an id
            exemption.registration = exemption.registration
        _bulk(self.exemptions)


# An exemption's end, from its start: a capped kind ends after the rules' cap; jury duty
# soon (some have ended: the first nightly run ends them); the others when the office says.
ENDS = {
    ExemptionKind.TRAVELING: lambda d: rules.capped_exemption_end(d, 183),
    ExemptionKind.MEDICAL: lambda d: None,
    ExemptionKind.UNION_BUSINESS: lambda d: d + datetime.timedelta(days=90),
    ExemptionKind.JURY_DUTY: lambda d: d + datetime.timedelta(days=21),
    ExemptionKind.MILITARY: lambda d: None,
}
STATUS_AFTER = {
    EventKind.REGISTERED: RegistrationStatus.REGISTERED,
    EventKind.RESIGNED: RegistrationStatus.REGISTERED,
}
