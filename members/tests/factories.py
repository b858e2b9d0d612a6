from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts import roles
from members.models import Classification, Member, MemberStatus

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(user, create: bool, role: str | None, **kwargs) -> None:
        """UserFactory(role="Officer") puts the user in that group (and the admin site)."""
        if not create or not role:
            return
        user.groups.add(Group.objects.get(name=role))
        if role in roles.ADMIN_SITE_ROLES and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])


class ClassificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Classification
        django_get_or_create = ["code"]

    code = "JW"
    name = "Journeyman Wireman"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    member_number = factory.Sequence(lambda n: f"{500000 + n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda m: f"{m.member_number}@example.org")
    phone = "(312) 555-0100"
    address_line1 = "100 Main St"
    city = "Chicago"
    state = "IL"
    postal_code = "60601"
    date_of_birth = datetime.date(1980, 5, 17)
    classification = factory.SubFactory(ClassificationFactory)
    status = MemberStatus.ACTIVE
    join_date = datetime.date(2010, 3, 1)


def member_form_data(member: Member, **changes) -> dict:
    """What the admin's member form posts for this member, with some fields changed."""
    data = {
        "member_number": member.member_number,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "classification": member.classification_id,
        "status": member.status,
        "join_date": member.join_date.isoformat(),
        "date_of_birth": member.date_of_birth.isoformat() if member.date_of_birth else "",
        "email": member.email,
        "phone": member.phone,
        "address_line1": member.address_line1,
        "address_line2": member.address_line2,
        "city": member.city,
        "state": member.state,
        "postal_code": member.postal_code,
        "user": "",
        "general_notes": member.general_notes,
    }
    data.update(_inline_management_data())
    data.update(changes)
    return data


def _inline_management_data() -> dict:
    """Empty management forms for the inlines other apps add to the member admin."""
    from django.contrib import admin

    data = {}
    for inline in admin.site._registry[Member].get_inlines(None, None):
        fk = next(f for f in inline.model._meta.fields if f.related_model is Member)
        prefix = fk.remote_field.get_accessor_name()
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data
