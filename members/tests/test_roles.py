"""The roles of docs/design.md §3 as groups, and what each may do with members in the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts import roles
from members.models import Member
from members.tests.factories import MemberFactory, member_form_data

pytestmark = pytest.mark.django_db

_VIEW = {"members.view_member", "members.view_classification"}
_PERSONAL = {"members.view_personal"}
_EDIT = {"members.add_member", "members.change_member"}
_MEMBERSHIP = {
    "members.change_membership",
    "members.add_classification",
    "members.change_classification",
}
_AUDIT = {
    "audit.view_auditevent",
    "audit.view_auditcheckpoint",
    "members.view_historicalmember",
    "members.view_historicalclassification",
    "members.view_historicalmembernote",
}
_NOTES = {"members.view_membernote", "members.add_membernote", "members.change_membernote"}

_DUES_VIEW = {
    "dues.view_duesrate",
    "dues.view_duesperiod",
    "dues.view_duescharge",
    "dues.view_payment",
    "dues.view_refund",
    "dues.view_adjustment",
    "dues.view_standing",
}
_DUES_MANAGE = {
    "dues.add_duesrate",
    "dues.change_duesrate",
    "dues.add_duesperiod",
    "dues.change_duesperiod",
    "dues.generate_charges",
    "dues.add_payment",
    "dues.add_refund",
    "dues.add_adjustment",
}
_DUES_HISTORY = {
    f"dues.view_historical{m}"
    for m in ("duesrate", "duesperiod", "duescharge", "payment", "refund", "adjustment")
}
_ONLINE = {
    "payments.view_checkoutsession",
    "payments.view_stripeevent",
    "payments.rerun_stripeevent",
    "payments.view_historicalcheckoutsession",
    "payments.view_autopay",
    "payments.view_autopaycollection",
    "payments.view_historicalautopay",
    "payments.view_historicalautopaycollection",
}
_OFFICE_DUES = _DUES_VIEW | _DUES_MANAGE | _DUES_HISTORY | _ONLINE
_CHECKOFF_VIEW = {
    "checkoff.view_employer",
    "checkoff.view_checkoffauthorization",
    "checkoff.view_remittancebatch",
    "checkoff.view_remittanceline",
    "checkoff.view_suspenseresolution",
}
_CHECKOFF = _CHECKOFF_VIEW | {
    "checkoff.add_employer",
    "checkoff.change_employer",
    "checkoff.add_checkoffauthorization",
    "checkoff.change_checkoffauthorization",
    "checkoff.add_remittancebatch",
    "checkoff.post_remittance",
    "checkoff.add_suspenseresolution",
    "checkoff.view_historicalemployer",
    "checkoff.view_historicalcheckoffauthorization",
    "checkoff.view_historicalremittancebatch",
    "checkoff.view_historicalsuspenseresolution",
}
_GOVERNANCE = {
    f"compliance.{codename}"
    for codename in (
        "view_arrearspolicy",
        "add_arrearspolicy",
        "view_standingchange",
        "add_standingchange",
        "view_standinghold",
        "add_standinghold",
        "change_standinghold",
        "view_eligibilitylist",
        "add_eligibilitylist",
        "inspect_eligibilitylist",
        "view_inspection",
        "view_affiliate",
        "add_affiliate",
        "change_affiliate",
        "view_percapitarate",
        "add_percapitarate",
        "change_percapitarate",
        "view_percapitareport",
        "add_percapitareport",
        "submit_percapitareport",
        "view_fiscalyear",
        "add_fiscalyear",
        "change_fiscalyear",
    )
} | {
    f"compliance.view_historical{model}"
    for model in (
        "arrearspolicy",
        "standingchange",
        "standinghold",
        "eligibilitylist",
        "inspection",
        "affiliate",
        "percapitarate",
        "percapitareport",
        "fiscalyear",
    )
}

_REFERRAL_VIEW = {
    f"referral.view_{model}"
    for model in (
        "region",
        "holiday",
        "book",
        "ruleset",
        "registration",
        "registrationevent",
        "exemption",
        "checkmark",
        "laborrequest",
        "requirement",
        "blackout",
        "qualification",
        "dispatch",
        "referralrun",
        "referralline",
        "bid",
        "biddingsuspension",
    )
}
_REFERRAL_VIEW |= {"referral.view_employercontract"}
_REFERRAL_STAFF = _REFERRAL_VIEW | {"referral.add_registration", "referral.resign_registration"}
_REFERRAL_DISPATCH = (
    _REFERRAL_STAFF
    | {
        "referral.add_book",
        "referral.change_book",
        "referral.add_region",
        "referral.change_region",
        "referral.add_holiday",
        "referral.change_holiday",
        "referral.delete_holiday",
        "referral.add_ruleset",
        "referral.change_ruleset",
        "referral.roll_off_registration",
        "referral.add_exemption",
        "referral.add_checkmark",
        "referral.add_laborrequest",
        "referral.cancel_laborrequest",
        "referral.add_qualification",
        "referral.change_qualification",
        "referral.delete_qualification",
        "referral.add_dispatch",
        "referral.change_dispatch",
        "referral.terminate_dispatch",
        "referral.add_referralrun",
        "referral.confirm_referralrun",
        "referral.add_bid",
        "referral.import_vendor_lists",
        "referral.view_historicalemployercontract",
    }
    | {
        f"referral.view_historical{model}"
        for model in (
            "book",
            "ruleset",
            "registration",
            "registrationevent",
            "exemption",
            "checkmark",
            "laborrequest",
            "blackout",
            "qualification",
            "dispatch",
            "referralrun",
            "bid",
            "biddingsuspension",
        )
    }
)
_REFERRAL_OFFICE = _REFERRAL_DISPATCH | {
    "referral.activate_ruleset",
    "referral.extend_exemption",
}

# docs/design.md §3, as far as the apps built so far go: every permission of every role.
EXPECTED_PERMISSIONS = {
    roles.ADMIN: _VIEW
    | _PERSONAL
    | _EDIT
    | _MEMBERSHIP
    | _AUDIT
    | _NOTES
    | _OFFICE_DUES
    | _CHECKOFF
    | _GOVERNANCE
    | _REFERRAL_OFFICE
    | {
        "audit.view_sensitive",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "jobs.view_job",
        "jobs.view_all_jobs",
    },
    roles.OFFICER: _VIEW
    | _PERSONAL
    | _EDIT
    | _MEMBERSHIP
    | _AUDIT
    | _NOTES
    | _OFFICE_DUES
    | _CHECKOFF
    | _GOVERNANCE
    | _REFERRAL_OFFICE
    | {"auth.view_user", "jobs.view_job", "jobs.view_all_jobs"},
    roles.ORGANIZER: _VIEW | _NOTES | {"dues.view_standing", "jobs.view_job"},
    roles.STAFF: _VIEW
    | _PERSONAL
    | _EDIT
    | _NOTES
    | _DUES_VIEW
    | _CHECKOFF_VIEW
    | {
        "dues.add_payment",
        "payments.view_checkoutsession",
        "payments.view_autopay",
        "jobs.view_job",
    }
    | _REFERRAL_STAFF,
    roles.MEMBER: set(),
    # docs/design.md §3: members seen, standing only, notes as Staff; and the hiring hall.
    roles.DISPATCHER: _VIEW | _NOTES | _REFERRAL_DISPATCH | {"dues.view_standing", "jobs.view_job"},
}


def test_migrations_create_the_roles_with_exactly_their_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)
    for role, expected in EXPECTED_PERMISSIONS.items():
        granted = {
            f"{app_label}.{codename}"
            for app_label, codename in Group.objects.get(name=role).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert granted == expected, role


def test_nobody_may_delete_members_or_users():
    deletes = Group.objects.filter(
        permissions__codename__in=["delete_member", "delete_user", "delete_classification"]
    )
    assert not deletes.exists()


def test_organizer_sees_members_but_cannot_change_them(client, user_with_role):
    member = MemberFactory(last_name="Kowalski")
    client.force_login(user_with_role(roles.ORGANIZER))
    url = reverse("admin:members_member_change", args=[member.pk])

    assert client.get(reverse("admin:members_member_changelist")).status_code == 200
    page = client.get(url)
    assert page.status_code == 200
    assert b"Kowalski" in page.content
    assert b'name="_save"' not in page.content

    response = client.post(url, member_form_data(member, last_name="Changed"))
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.last_name == "Kowalski"


def test_organizer_cannot_add_members(client, user_with_role):
    client.force_login(user_with_role(roles.ORGANIZER))
    assert client.get(reverse("admin:members_member_add")).status_code == 403


def test_officer_changes_membership_data(client, user_with_role):
    member = MemberFactory()
    client.force_login(user_with_role(roles.OFFICER))
    url = reverse("admin:members_member_change", args=[member.pk])
    response = client.post(url, member_form_data(member, status="suspended"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == "suspended"


def test_staff_change_contact_data_but_not_membership_data(client, user_with_role):
    member = MemberFactory(email="old@example.org")
    client.force_login(user_with_role(roles.STAFF))
    url = reverse("admin:members_member_change", args=[member.pk])
    response = client.post(url, member_form_data(member, email="new@example.org", status="dropped"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.email == "new@example.org"
    assert member.status == "active"


def test_members_have_no_admin_site(client, user_with_role):
    client.force_login(user_with_role(roles.MEMBER))
    response = client.get(reverse("admin:members_member_changelist"))
    # Sent on to their own pages, kindly (not a second login); still a 403.
    assert response.status_code == 403
    assert "Your pages are this way" in response.content.decode()


def _assert_delete_refused_with_message(client, delete_url: str, back_to: str, says: str):
    response = client.post(delete_url, {"post": "yes"}, follow=True)
    assert response.redirect_chain[0] == (back_to, 302)
    assert says in next(str(m) for m in response.context["messages"])


@pytest.mark.parametrize("role", [roles.ADMIN, roles.OFFICER])
def test_no_role_is_offered_a_member_delete(client, user_with_role, role):
    member = MemberFactory()
    client.force_login(user_with_role(role))
    changelist = client.get(reverse("admin:members_member_changelist"))
    assert b"delete_selected" not in changelist.content
    change = client.get(reverse("admin:members_member_change", args=[member.pk]))
    assert b"deletelink" not in change.content
    _assert_delete_refused_with_message(
        client,
        reverse("admin:members_member_delete", args=[member.pk]),
        reverse("admin:members_member_change", args=[member.pk]),
        "Members are never deleted",
    )
    assert Member.objects.filter(pk=member.pk).exists()


def test_users_are_deactivated_never_deleted(admin_client, django_user_model):
    user = django_user_model.objects.create_user("leaving", password="x")
    _assert_delete_refused_with_message(
        admin_client,
        reverse("admin:auth_user_delete", args=[user.pk]),
        reverse("admin:auth_user_change", args=[user.pk]),
        "Users are never deleted",
    )
    assert django_user_model.objects.filter(pk=user.pk).exists()

    response = admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate", "_selected_action": [user.pk]},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active is False


def test_even_a_superuser_cannot_delete_a_member(admin_client):
    member = MemberFactory()
    _assert_delete_refused_with_message(
        admin_client,
        reverse("admin:members_member_delete", args=[member.pk]),
        reverse("admin:members_member_change", args=[member.pk]),
        "Members are never deleted",
    )
    assert Member.objects.filter(pk=member.pk).exists()
