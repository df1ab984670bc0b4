"""Every API error is JSON that says which field and why, with the right status, never a 500 page.

Shape: ``{"detail": "<one sentence>", "errors": {"<field>": ["<reason>", ...]}}``; ``errors`` is empty
when the error is not about a field. The sentences and reasons are in the request's active language;
field names stay as they are. Domain errors map to statuses here, in one place:
Django's ``ValidationError``, a post with more files than Django reads and a bad query parameter
(``params.BadParameter``) → 400, ``PermissionDenied`` → 403, ``Http404`` → 404, an illegal transition or a
concurrent change → 409.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext, gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from ..params import BadParameter
from ..selectors import InvalidCursor
from ..services import ConcurrentChange, TransitionNotAllowed
from ..uploads import too_many_files


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request is not in a state that allows this.")
    default_code = "conflict"


def _field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into {"field.sub": [messages]}."""
    errors: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in _field_errors(value, name).items():
                errors.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        for item in detail:
            if isinstance(item, (dict, list)):
                for field, messages in _field_errors(item, prefix).items():
                    errors.setdefault(field, []).extend(messages)
            else:
                errors.setdefault(prefix or "non_field_errors", []).append(str(item))
    else:
        errors.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return errors


def _django_validation(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {("non_field_errors" if k == "__all__" else k): list(v) for k, v in exc.message_dict.items()}
    return {"non_field_errors": list(exc.messages)}


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, TooManyFilesSent):
        # Django stopped reading the post (DATA_UPLOAD_MAX_NUMBER_FILES): a 400 naming the files, not its HTML page.
        return exceptions.ValidationError({"files": [too_many_files(settings.DATA_UPLOAD_MAX_NUMBER_FILES)]})
    if isinstance(exc, (TransitionNotAllowed, ConcurrentChange)):
        text = " ".join(exc.messages) if isinstance(exc, DjangoValidationError) else str(exc)
        return Conflict(text)
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(_django_validation(exc))
    if isinstance(exc, InvalidCursor):
        return exceptions.ValidationError({"cursor": [str(exc)]})
    if isinstance(exc, BadParameter):
        return exceptions.ValidationError({exc.name: [exc.message]})
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    return exc


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = _translate(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django's handler (and logging) takes it
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(detail)
        first = next(iter(errors.items()), ("", [""]))
        field, reasons = first
        if field == "non_field_errors":
            summary = reasons[0]
        else:
            # Translators: the API's one-sentence summary of an invalid field, e.g. "title: This field is
            # required."; %(field)s is the field's name as the API spells it (not translated).
            summary = gettext("%(field)s: %(reason)s") % {"field": field, "reason": reasons[0]}
        response.data = {"detail": summary or gettext("Invalid input."), "errors": errors}
    else:
        text = detail.get("detail", "") if isinstance(detail, dict) else str(detail)
        response.data = {"detail": str(text), "errors": {}}
    return response
