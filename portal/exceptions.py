"""The one base of the services' refusals. A `ServiceError` carries a stable `code` (what the API
and tests key on: "<app>.<what>") and the message the pages show word for word. It is a
`ValidationError`, so forms and views that catch those keep working; forms keep plain
`ValidationError` for field errors."""

from typing import Any

from django.core.exceptions import ValidationError


class ServiceError(ValidationError):
    code: str

    def __init__(self, message: str, *, code: str, params: dict[str, Any] | None = None):
        super().__init__(message, code=code, params=params)
