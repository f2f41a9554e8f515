"""Every API error is JSON of one shape: {"detail": message, "field"?: name, "errors": {field: [messages]}}.

ApplicationError keeps its status (400, or 409 for ConflictError); Django's PermissionDenied, Http404 and
ValidationError and DRF's own exceptions become 403, 404, 400 and so on. An IntegrityError that reaches
this far means a constraint stopped a concurrent write the service did not foresee: 409, not 500.
"""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import ApplicationError

logger = logging.getLogger(__name__)
NON_FIELD = "non_field_errors"


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        for value in errors.values():
            message = _first_message(value)
            if message:
                return message
        return ""
    if isinstance(errors, list):
        for value in errors:
            message = _first_message(value)
            if message:
                return message
        return ""
    return str(errors)


def _validation_body(errors) -> dict:
    if not isinstance(errors, dict):
        errors = {NON_FIELD: errors if isinstance(errors, list) else [errors]}
    body = {"detail": "Invalid input.", "errors": errors}
    fields = [name for name in errors if name != NON_FIELD]
    first = _first_message(errors)
    if fields:
        body["field"] = fields[0]
        body["detail"] = f"{fields[0]}: {_first_message(errors[fields[0]])}"
    elif first:
        body["detail"] = first
    return body


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        body = {"detail": exc.message, "errors": {exc.field: [exc.message]} if exc.field else {}}
        if exc.field:
            body["field"] = exc.field
        if exc.extra:
            body["extra"] = exc.extra
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, IntegrityError):
        logger.warning("Constraint violation answered with 409: %s", exc)
        return Response(
            {"detail": "This conflicts with a concurrent change; reload and try again.", "errors": {}},
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django logs it and answers 500
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(response.data)
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else _first_message(response.data)
        response.data = {"detail": str(detail), "errors": {}}
    return response
