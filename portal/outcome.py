"""The one shape of a view that runs a service on a button: call it, tell the user what happened
(the view words success; a refusal shows the service's own message), go back to the page."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def act(
    request: HttpRequest,
    call: Callable[[], Any],
    *,
    success: Callable[[Any], str] | str,
    then: Any,
    **then_kwargs: Any,
) -> HttpResponse:
    """Run `call()`; on success show `success` (or `success(result)`), on a refusal the
    service's message; then redirect to `then` (a URL name or object, with `then_kwargs`)."""
    try:
        result = call()
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, success(result) if callable(success) else success)
    return redirect(then, **then_kwargs)
