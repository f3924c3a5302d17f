"""Every error of the API as an RFC 9457 problem (application/problem+json), carrying a stable
`code` and the same words the pages show. Services raise Django's ValidationError,
PermissionDenied and Http404, and a few errors of their own; they are all mapped here."""

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from subscriptions.catalog.pricing import PricingError

PROBLEM_TYPE = "urn:reseller-portal:problem:{code}"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    415: "Unsupported media type",
    422: "Refused",
    429: "Too many requests",
}


class ApiProblem(exceptions.APIException):
    """An API-level refusal with its own code (e.g. a missing Idempotency-Key)."""

    def __init__(self, detail: str, *, code: str, status_code: int = 400):
        super().__init__(detail, code)
        self.status_code = status_code
        self.problem_code = code


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def problem(*, status_code: int, code: str, detail: str, errors=None, headers=None) -> Response:
    body = {
        "type": PROBLEM_TYPE.format(code=code),
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    response = Response(
        body, status=status_code, headers=headers, content_type="application/problem+json"
    )
    return response


def _field_errors(detail) -> list[dict]:
    """DRF's nested field errors as a flat list of {field, message, code}."""
    out = []

    def walk(value, path):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}.{i}" if path and isinstance(v, dict | list) else path)
        else:
            out.append(
                {
                    "field": path or None,
                    "message": str(value),
                    "code": getattr(value, "code", "invalid"),
                }
            )

    walk(detail, "")
    return out


def exception_handler(exc, context):
    if isinstance(exc, ApiProblem):
        return problem(status_code=exc.status_code, code=exc.problem_code, detail=str(exc.detail))
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        detail = "; ".join(
            f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
        )
        return problem(status_code=400, code="invalid_request", detail=detail, errors=errors)
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1) + (1 if exc.wait and exc.wait % 1 else 0)
        return problem(
            status_code=429,
            code="rate_limited",
            detail=f"Too many requests for this key; try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else _snake(type(exc).__name__)
        headers = {}
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            headers["WWW-Authenticate"] = "Bearer"
        return problem(
            status_code=exc.status_code, code=code, detail=str(exc.detail), headers=headers
        )
    if isinstance(exc, Http404):
        return problem(status_code=404, code="not_found", detail="Not found.")
    if isinstance(exc, PermissionDenied):
        return problem(
            status_code=403, code="permission_denied", detail=str(exc) or "You may not do this."
        )
    if isinstance(exc, ValidationError):
        # a service's refusal: its class names the code (NeedsScheduling → needs_scheduling)
        code = exc.code if getattr(exc, "code", None) else _snake(type(exc).__name__)
        errors = None
        if hasattr(exc, "error_dict"):
            errors = [
                {"field": f, "message": m, "code": "invalid"}
                for f, ms in exc.message_dict.items()
                for m in ms
            ]
        return problem(
            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
            code=code,
            detail=" ".join(exc.messages),
            errors=errors,
        )
    if isinstance(exc, PricingError):
        return problem(status_code=422, code="pricing_error", detail=str(exc))
    return None  # a bug: Django's 500


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem (application/problem+json).",
    "properties": {
        "type": {
            "type": "string",
            "description": "urn:reseller-portal:problem:<code>",
            "example": "urn:reseller-portal:problem:not_found",
        },
        "title": {"type": "string", "example": "Not found"},
        "status": {"type": "integer", "example": 404},
        "detail": {
            "type": "string",
            "description": "What went wrong, in the words the portal's pages show.",
        },
        "code": {
            "type": "string",
            "description": "Stable: a service's error code (e.g. "
            "`subscriptions.decrease_needs_scheduling`) or the API's own (`not_found`, "
            "`permission_denied`, `invalid_request`, `idempotency_key_required`, "
            "`idempotency_key_reused`, `rate_limited`, `not_authenticated`, "
            "`authentication_failed`).",
        },
        "errors": {
            "type": "array",
            "description": "Field errors of an invalid request.",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string", "nullable": True},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                },
                "required": ["field", "message", "code"],
            },
        },
    },
    "required": ["type", "title", "status", "detail", "code"],
}
# status -> (when, codes) of every operation's documented problems
PROBLEMS = {
    400: (
        "The request is invalid (a field, a query parameter or a missing header).",
        ["invalid_request", "idempotency_key_required (POST)"],
    ),
    401: (
        "No API key, or one that is unknown, revoked or expired.",
        ["not_authenticated", "authentication_failed"],
    ),
    403: ("The key's role may not do this (the same rule as the pages).", ["permission_denied"]),
    404: (
        "No such object for this key's reseller: another reseller's id answers the same.",
        ["not_found"],
    ),
    409: (
        "The Idempotency-Key was used for another request (or is still being answered).",
        ["idempotency_key_reused"],
    ),
    422: (
        "The service refused the change; `code` is its stable error code and `detail` the "
        "message the page shows.",
        ["<app>.<refusal>", "validation_error"],
    ),
    429: ("Too many requests for this key; retry after `Retry-After` seconds.", ["rate_limited"]),
}
# operations that read through Partner Center or a service that may refuse (422)
READS_THAT_MAY_REFUSE = ("/price/",)


def _problem_response(status: int) -> dict:
    when, codes = PROBLEMS[status]
    response = {
        "description": f"{when} Codes: " + ", ".join(f"`{c}`" for c in codes) + ".",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {
                "schema": {"type": "integer"},
                "description": "Seconds to wait before the next request.",
            }
        }
    return response


def document_problems(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents its error answers as
    problems (400, 401, 403, 404, 429; 409 for POSTs; 422 where a service may refuse)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            statuses = [400, 401, 403, 404, 429]
            if method == "post":
                statuses.append(409)
            if method != "get" or path.endswith(READS_THAT_MAY_REFUSE):
                statuses.append(422)
            responses = operation.setdefault("responses", {})
            for status_code in sorted(statuses):
                responses.setdefault(str(status_code), _problem_response(status_code))
    return result
