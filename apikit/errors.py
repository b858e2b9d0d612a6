from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


class ConflictError(DjangoValidationError):
    """A request that contradicts an earlier one, such as an idempotency key sent again with
    other parameters: a form error in the admin, a 409 in the API (as Stripe answers)."""


class _Conflict(exceptions.APIException):
    status_code = 409
    default_code = "conflict"


def exception_handler(exc, context):
    """DRF's handler, plus: a service's ValidationError is a 400 with its field messages,
    and its ConflictError a 409."""
    if isinstance(exc, ConflictError):
        exc = _Conflict(exc.messages[0] if exc.messages else "Conflict.")
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)
