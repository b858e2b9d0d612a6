"""What every governance page shares: who may open them, and refusals said as messages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from appkit.admin import office_view

governance_view = office_view("compliance.view_arrearspolicy")


def needs(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def refused_said(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def form_errors(form) -> str:
    return " ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
