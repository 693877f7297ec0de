"""API glue shared by every app: pagination and one error shape.

Every error answers JSON `{"message": "...", "errors": {"field": ["..."]}}`; `errors` is present
for validation failures (`non_field_errors` holds errors about the whole request).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _flatten(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {key: [str(v) for v in (value if isinstance(value, list) else [value])] for key, value in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {"non_field_errors": [str(detail)]}


def exception_handler(exc, context):
    """DRF's handler plus: a Django ValidationError from a service becomes a 400 with field errors."""
    if isinstance(exc, DjangoValidationError):
        errors = _django_errors(exc)
        return Response({"message": "The request was not valid.", "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"message": "The request was not valid.", "errors": _flatten(exc.detail)}
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        message = detail.get("detail", str(detail)) if isinstance(detail, dict) else str(detail)
        response.data = {"message": str(message)}
    return response


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "message": {"type": "string", "description": "What went wrong, for a person to read."},
        "errors": {
            "type": "object",
            "description": "Field errors by field name (`non_field_errors` for the request as a whole).",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["message"],
}

_ERROR_RESPONSES = {
    "400": "The request was not valid (see `errors`).",
    "401": "No credentials, or the token is unknown, expired or revoked.",
    "403": "The role or the token's scopes do not allow this.",
    "404": "No such record, or not one this person may see.",
    "429": "Too many requests: throttled. Retry after the `Retry-After` seconds.",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing: declare the error answers every operation can give, in one shape."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for status_code, description in _ERROR_RESPONSES.items():
                responses.setdefault(
                    status_code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result
