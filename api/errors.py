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
