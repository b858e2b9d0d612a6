"""The admin's fieldsets drawn in Python (templates/admin/includes/fieldset.html) are, text
for text, what Django's own template draws: on a member's change form, read-only fields,
errors, rows of several fields, checkboxes, hidden fields, descriptions, collapsed sets."""

from __future__ import annotations

from pathlib import Path

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.template import engines

from accounts import roles
from members.tests.factories import MemberFactory, UserFactory

DJANGOS = engines["django"].from_string(
    (Path(admin.__file__).parent / "templates/admin/includes/fieldset.html").read_text()
)
OURS = engines["django"].get_template("admin/includes/fieldset.html")


def _same_either_way(adminform, heading_level=2, prefix="fieldset") -> int:
    drawn = 0
    for index, fieldset in enumerate(adminform):
        context = {
            "fieldset": fieldset,
            "heading_level": heading_level,
            "prefix": prefix,
            "id_prefix": 0,
            "id_suffix": index,
        }
        assert OURS.render(context) == DJANGOS.render(context), fieldset.name
        drawn += 1
    return drawn


class _Form(forms.Form):
    name = forms.CharField(max_length=5, help_text="Your <b>name</b>")
    born = forms.DateField(required=False)
    agree = forms.BooleanField(label="I agree & sign")
    secret = forms.CharField(widget=forms.HiddenInput, required=False, help_text="Hidden")
    note = forms.CharField(widget=forms.Textarea, required=False)


FIELDSETS = [
    (
        "Who <you> are",
        {
            "fields": [("name", "born"), "agree", "secret", ("note", "secret")],
            "classes": ["collapse", "wide"],
            "description": "<b>Say</b> who",
        },
    ),
    (None, {"fields": ["name", ("agree", "born")]}),
    ("Folded", {"fields": ["note"], "classes": ["collapse"]}),
]


@pytest.mark.parametrize("data", [None, {"name": "far too long", "born": "nope"}])
def test_a_form_of_every_kind_of_field_is_drawn_as_django_draws_it(data):
    adminform = helpers.AdminForm(_Form(data), FIELDSETS, prepopulated_fields={})
    assert _same_either_way(adminform) == 3
    assert _same_either_way(adminform, heading_level=4, prefix="notes") == 3


@pytest.mark.django_db
@pytest.mark.parametrize("role", [None, roles.STAFF])
def test_a_members_change_form_is_drawn_as_django_draws_it(client, role):
    """An admin edits every field; Staff see most of them read-only."""
    user = UserFactory(role=role, is_staff=True) if role else UserFactory(is_superuser=True)
    user.is_staff = True
    user.save()
    client.force_login(user)
    member = MemberFactory()
    url = f"/admin/members/member/{member.pk}/change/"
    adminform = client.get(url).context_data["adminform"]
    assert _same_either_way(adminform) >= 4
    if role is None:
        invalid = client.post(url, {"member_number": "", "first_name": "x" * 300})
        assert _same_either_way(invalid.context_data["adminform"]) >= 4
