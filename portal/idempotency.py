"""Idempotency keys sent by clients (hidden form fields, later the API): bounded and plain, so
that a hostile one is a 400 with a message, never a database error."""

import hashlib
import re

from django import forms
from django.core.exceptions import BadRequest

MAX_LENGTH = 64
_KEY = re.compile(rf"[A-Za-z0-9_.:-]{{1,{MAX_LENGTH}}}")


def require_valid_key(key) -> str:
    """`key`, or BadRequest (answered 400 with its message) when it is not 1–64 letters,
    digits, '-', '_', '.' or ':'."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise BadRequest(
            f"The request's idempotency key is not valid: it must be 1 to "
            f"{MAX_LENGTH} letters, digits, '-', '_', '.' or ':'. Reload the page "
            "and submit the form again."
        )
    return key


def scoped_key(prefix: str, key: str) -> str:
    """`prefix` + `key` within MAX_LENGTH, for a column of that length: a key too long to carry
    the prefix is replaced by its digest (the same key still gives the same result)."""
    scoped = f"{prefix}{key}"
    if len(scoped) <= MAX_LENGTH:
        return scoped
    return prefix + hashlib.sha256(key.encode()).hexdigest()[: MAX_LENGTH - len(prefix)]


class IdempotencyKeyField(forms.CharField):
    """The hidden idempotency key of a form: a hostile value is a 400 with a message (raised
    while the form is cleaned), not a form error on a field the user cannot see."""

    widget = forms.HiddenInput

    def to_python(self, value):
        value = super().to_python(value)
        return require_valid_key(value) if value not in self.empty_values else value
