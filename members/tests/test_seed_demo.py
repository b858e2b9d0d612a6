from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts import roles
from members.models import Member

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_prints_a_login_per_role(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo", "--members", "60")
    first = capsys.readouterr().out
    call_command("seed_demo", "--members", "60")
    second = capsys.readouterr().out

    # The demo set (other apps' demo data add their own people: the hiring hall's).
    numbers = set(Member.objects.values_list("member_number", flat=True))
    assert {str(100000 + i) for i in range(1, 61)} <= numbers and "100061" not in numbers
    assert "60 new members" in first and "0 new members" in second
    for role in roles.ROLES:
        assert role in second
    User = get_user_model()
    for username in ["admin", "officer", "organizer", "staff", "member"]:
        user = User.objects.get(username=username)
        assert user.check_password(f"{username}-demo-2026")
    assert User.objects.get(username="member").member.member_number == "100001"
    assert User.objects.get(username="officer").groups.get().name == roles.OFFICER
    assert Member.history.filter(history_change_reason="seed_demo").count() >= 60


def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not Member.objects.exists()
