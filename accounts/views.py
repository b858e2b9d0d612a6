"""The pages of a login that are not Django's as they are: setting a new password from the
emailed link, which its user does without being logged in."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from audit.context import acting_as


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """Django's page for the emailed link, its change named as its user's own. Whoever holds
    the link proved they own the login's address; nobody is logged in yet, so without this
    the trail would name no one ("unknown")."""

    def form_valid(self, form) -> HttpResponse:
        with acting_as(form.user):
            return super().form_valid(form)
