"""Activating a rule-set version in the admin: a page says what it does (the version, when it
takes effect, the notice given, what changes from the version before), and the service's
refusal (no notice, notice too late) is said as it says it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from accounts import roles
from referral.models import RuleSet

pytestmark = pytest.mark.django_db


def _draft(**fields) -> RuleSet:
    values = {
        "version": 2,
        "effective_on": datetime.date(2027, 3, 1),
        "notice_given_on": datetime.date(2026, 12, 1),
    }
    return RuleSet.objects.create(**(values | fields))


@pytest.fixture
def officer_client(client, user_with_role, clock):
    clock.set(2026, 12, 7, 9, 0)  # the drafts below take effect after it
    client.force_login(user_with_role(roles.OFFICER))
    return client


def test_the_confirmation_says_what_activating_does_and_only_the_button_does_it(
    officer_client, rules
):
    draft = _draft(resign_days=45, register_out_of_standing=True)
    url = reverse("admin:referral_ruleset_activate", args=[draft.pk])
    change = officer_client.get(reverse("admin:referral_ruleset_change", args=[draft.pk]))
    assert url in change.content.decode()

    page = officer_client.get(url)

    html = page.content.decode()
    assert "put <strong>version 2</strong> of the referral rules in force from" in html
    assert "Monday, March 1, 2027" in html
    assert "<strong>December 1, 2026</strong>, 90 days before it takes effect" in html
    assert "in place of version 1" in html
    assert page.context["changes"] == [
        ("Resign days", "30", "45"),
        ("Register out of standing", "no", "yes"),
    ]
    assert 'value="Activate version 2 from Mar 1, 2027"' in html
    draft.refresh_from_db()
    assert not draft.active

    done = officer_client.post(url, {"confirm": "yes"}, follow=True)
    assert "Rules v2 (from Mar 01, 2027) is active" in done.content.decode()
    draft.refresh_from_db()
    assert draft.active and draft.activated_by is not None
    # Now the rules registrants were told of: read-only.
    assert officer_client.get(url, follow=True).redirect_chain
    assert (
        officer_client.post(
            reverse("admin:referral_ruleset_change", args=[draft.pk]), {"resign_days": 10}
        ).status_code
        == 403
    )


def test_the_first_rules_say_there_is_nothing_before_them(officer_client):
    first = _draft(version=1)
    page = officer_client.get(reverse("admin:referral_ruleset_activate", args=[first.pk]))
    assert "No version is in force before this one: these are the first rules." in (
        page.content.decode()
    )


@pytest.mark.parametrize(
    ("notice", "said"),
    [
        (None, "Give registrants notice of these rules before activating them."),
        (
            datetime.date(2026, 12, 1),
            "Notice was given Dec 01, 2026, less than 30 days before these rules take effect "
            "on Dec 20, 2026: move the effective date, or give notice again.",
        ),
        (
            datetime.date(2099, 1, 2),
            "The notice date, Jan 02, 2099, is still to come: activate these rules once "
            "registrants have been told.",
        ),
    ],
)
def test_a_refused_activation_is_said_plainly(officer_client, rules, notice, said):
    effective = datetime.date(2026, 12, 20) if notice == datetime.date(2026, 12, 1) else None
    draft = _draft(notice_given_on=notice, **({"effective_on": effective} if effective else {}))
    url = reverse("admin:referral_ruleset_activate", args=[draft.pk])
    if notice is None:
        assert "<strong>none recorded</strong>" in officer_client.get(url).content.decode()

    response = officer_client.post(url, {"confirm": "yes"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse(
        "admin:referral_ruleset_change", args=[draft.pk]
    )
    assert f"{draft} was not activated: {said}" in response.content.decode()
    draft.refresh_from_db()
    assert not draft.active


def test_a_post_without_the_confirmation_activates_nothing(officer_client, rules):
    draft = _draft()
    url = reverse("admin:referral_ruleset_activate", args=[draft.pk])
    response = officer_client.post(url, {}, follow=True)
    assert "Nothing was activated" in response.content.decode()
    draft.refresh_from_db()
    assert not draft.active


def _posted(page, **changes) -> dict[str, str | list[str]]:
    """The change form as the page fills it, with `changes` typed in."""
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = changes.get(name, form.initial.get(name))
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):  # the boxes ticked
            data[name] = [str(item) for item in value]
        else:
            data[name] = "" if value is None else str(value)
    return data


def test_changing_a_drafts_rules_after_its_notice_clears_the_notice_and_says_so(
    officer_client, rules
):
    draft = _draft()
    url = reverse("admin:referral_ruleset_change", args=[draft.pk])

    response = officer_client.post(
        url, _posted(officer_client.get(url), resign_days=45), follow=True
    )

    html = response.content.decode()
    assert (
        "Notice of these rules was given Dec 01, 2026, before this change: the notice date is "
        "cleared. Give registrants notice of the rules as they are now, and record its date, "
        "before activating them."
    ) in html
    draft.refresh_from_db()
    assert (draft.resign_days, draft.notice_given_on) == (45, None)
    assert draft.history.first().history_user.groups.filter(name="Officer").exists()

    # The notice given again is recorded by itself, and kept.
    officer_client.post(url, _posted(officer_client.get(url), notice_given_on="2026-12-07"))
    draft.refresh_from_db()
    assert draft.notice_given_on == datetime.date(2026, 12, 7)
    page = officer_client.post(url, _posted(officer_client.get(url)), follow=True)
    assert "notice date is cleared" not in page.content.decode()
    draft.refresh_from_db()
    assert draft.notice_given_on == datetime.date(2026, 12, 7)
