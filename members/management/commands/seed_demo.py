from __future__ import annotations

import random
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from accounts import roles
from audit.context import acting_as
from members.extensions import DEMO_DATA
from members.models import Classification, Member, MemberStatus

CHANGE_REASON = "seed_demo"

CLASSIFICATIONS = [
    ("JW", "Journeyman Wireman"),
    ("AP", "Apprentice"),
    ("RW", "Residential Wireman"),
    ("RT", "Retired"),
]

FIRST_NAMES = [
    "Maria",
    "James",
    "Robert",
    "Linda",
    "Michael",
    "Patricia",
    "David",
    "Jennifer",
    "William",
    "Elizabeth",
    "Joseph",
    "Susan",
    "Thomas",
    "Jessica",
    "Charles",
    "Sarah",
    "Daniel",
    "Karen",
    "Matthew",
    "Nancy",
    "Anthony",
    "Lisa",
    "Mark",
    "Betty",
    "Jose",
    "Sandra",
    "Luis",
    "Ashley",
    "Kevin",
    "Dorothy",
    "Brian",
    "Kimberly",
    "Juan",
    "Donna",
    "Tyrone",
    "Carmen",
    "Marcus",
    "Rosa",
    "Andre",
    "Keisha",
    "Dmitri",
    "Anh",
    "Wei",
    "Fatima",
    "Tomasz",
    "Aisha",
    "Rafael",
    "Ngozi",
    "Darnell",
    "Guadalupe",
]
LAST_NAMES = [
    "Alvarez",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Kowalski",
    "Okafor",
    "O'Brien",
    "Washington",
    "Novak",
    "Murphy",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Kim",
    "Patel",
]
STREETS = [
    "Oak St",
    "Maple Ave",
    "Ashland Ave",
    "Archer Ave",
    "Halsted St",
    "Pulaski Rd",
    "Cicero Ave",
    "Western Ave",
    "Kedzie Ave",
    "Division St",
    "Lake St",
    "Irving Park Rd",
]
CITIES = [
    ("Chicago", "IL", "606"),
    ("Cicero", "IL", "608"),
    ("Oak Park", "IL", "603"),
    ("Evanston", "IL", "602"),
    ("Gary", "IN", "464"),
    ("Joliet", "IL", "604"),
]

DEMO_MEMBER_COUNT = 300
DEMO_PASSWORD_SUFFIX = "-demo-2026"
# username → (role, first name, last name)
DEMO_USERS = {
    "admin": (roles.ADMIN, "Alex", "Admin"),
    "officer": (roles.OFFICER, "Olivia", "Officer"),
    "organizer": (roles.ORGANIZER, "Oscar", "Organizer"),
    "staff": (roles.STAFF, "Sam", "Staff"),
    "dispatcher": (roles.DISPATCHER, "Dana", "Dispatcher"),
    "member": (roles.MEMBER, None, None),
}


class Command(BaseCommand):
    help = "Fill a development database with demo members and one login per role (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=DEMO_MEMBER_COUNT)

    def handle(self, *args, members: int, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo makes logins with published passwords, so it only runs with DEBUG=1 "
                "(a development machine), never against a production database."
            )
        with transaction.atomic(), acting_as(CHANGE_REASON):
            classifications = self._classifications()
            created = self._members(classifications, members)
            logins = self._users()
            # Other apps add their own demo data (`members.demo_data`: dues, check-off...).
            for seed in DEMO_DATA.declarations():
                seed(self.stdout)
        self.stdout.write(f"Demo data ready: {created} new members ({members} in the demo set).")
        self.stdout.write("Demo logins (username / password):")
        for username, (role, _, _) in DEMO_USERS.items():
            where = "member pages" if role == roles.MEMBER else "admin at /admin/"
            self.stdout.write(f"  {role:<10} {username} / {logins[username]}   ({where})")

    def _classifications(self) -> dict[str, Classification]:
        result = {}
        for code, name in CLASSIFICATIONS:
            result[code], _ = Classification.objects.get_or_create(
                code=code, defaults={"name": name}
            )
        return result

    def _members(self, classifications: dict[str, Classification], count: int) -> int:
        rng = random.Random(2026)  # the same demo members every run
        wanted = [_demo_member(rng, i, classifications) for i in range(1, count + 1)]
        existing = set(Member.objects.values_list("member_number", flat=True))
        new = [m for m in wanted if m.member_number not in existing]
        bulk_create_with_history(new, Member, default_change_reason=CHANGE_REASON)
        return len(new)

    def _users(self) -> dict[str, str]:
        User = get_user_model()
        logins = {}
        for username, (role, first_name, last_name) in DEMO_USERS.items():
            user, _ = User.objects.get_or_create(username=username)
            password = f"{username}{DEMO_PASSWORD_SUFFIX}"
            user.set_password(password)
            user.is_active = True
            user.is_staff = role in roles.ADMIN_SITE_ROLES
            user.is_superuser = role == roles.ADMIN
            if role == roles.MEMBER:
                member = Member.objects.order_by("member_number").first()
                first_name, last_name = member.first_name, member.last_name
                user.email = member.email
            user.first_name, user.last_name = first_name, last_name
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            if role == roles.MEMBER and member.user_id != user.pk:
                member.user = user
                member._change_reason = CHANGE_REASON
                member.save()
            logins[username] = password
        return logins


def _demo_member(
    rng: random.Random, index: int, classifications: dict[str, Classification]
) -> Member:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
    joined = max(born.replace(year=born.year + 18), date(1985, 1, 1)) + timedelta(
        days=rng.randrange(0, 365 * 6)
    )
    joined = min(joined, date(2026, 10, 1))
    age_in_2026 = 2026 - born.year
    if age_in_2026 >= 66:
        code, status = "RT", MemberStatus.RETIRED
    else:
        code = "AP" if joined.year >= 2022 else rng.choice(["JW", "JW", "JW", "RW"])
        status = rng.choices(
            [MemberStatus.ACTIVE, MemberStatus.SUSPENDED, MemberStatus.DROPPED],
            weights=[90, 6, 4],
        )[0]
    city, state, zip_prefix = rng.choice(CITIES)
    return Member(
        member_number=f"{100000 + index}",
        first_name=first,
        last_name=last,
        email=f"{first}.{last}{index}@example.org".lower().replace("'", ""),
        phone=f"(312) 555-{rng.randrange(100, 200):04d}",
        address_line1=f"{rng.randrange(100, 9999)} {rng.choice(STREETS)}",
        city=city,
        state=state,
        postal_code=f"{zip_prefix}{rng.randrange(0, 100):02d}",
        date_of_birth=born,
        classification=classifications[code],
        status=status,
        join_date=joined,
    )
