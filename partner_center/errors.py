"""Typed errors of the Partner Center gateway, each carrying Partner Center's error code.

600061 (customer agreement already attested) is Partner Center's documented code. Where the
sandbox refuses something for which we know no documented code it uses the 900xxx range below,
so a code from the sandbox is never mistaken for a real Partner Center one.
"""

MCA_ALREADY_ATTESTED = 600061

INVALID_REQUEST = 900400
CUSTOMER_NOT_FOUND = 900404
SUBSCRIPTION_NOT_FOUND = 900405
OFFER_NOT_FOUND = 900406
TRANSFER_NOT_FOUND = 900407
DOMAIN_TAKEN = 900409
WINDOW_CLOSED = 900410
INVALID_STATE = 900411
IDEMPOTENCY_MISMATCH = 900412
MCA_REQUIRED = 900413
QUANTITY_OUT_OF_RANGE = 900420
SEAT_CAP_EXCEEDED = 900421
TRANSFER_TOO_LARGE = 900430


class GatewayError(Exception):
    """Any failure talking to Partner Center. `message` is ready to show to a person."""

    def __init__(self, message: str, *, code: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return f"{self.message} (Partner Center error {self.code})" if self.code else self.message


class ValidationFailed(GatewayError):
    """The request breaks a rule (bad input, quantity, cap, term)."""


class NotFound(GatewayError):
    """Unknown customer, subscription, offer or transfer."""


class Conflict(GatewayError):
    """The request clashes with the current state (closed window, wrong state, duplicate)."""


class AlreadyAttested(Conflict):
    """The customer's Microsoft Customer Agreement acceptance was already attested: not a
    failure for the portal ("already accepted")."""

    def __init__(
        self,
        message: str = "The customer's acceptance of the Microsoft Customer "
        "Agreement was already attested.",
        *,
        code: int | None = MCA_ALREADY_ATTESTED,
    ):
        super().__init__(message, code=code)


class RateLimited(GatewayError):
    """Too many requests; `retry_after` is the number of seconds Partner Center asked for."""

    def __init__(self, message: str, *, code: int | None = None, retry_after: float | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Unavailable(GatewayError):
    """Partner Center could not be reached or answered nonsense (5xx, timeout, bad body)."""


class OrderPending(Unavailable):
    """Partner Center accepted the order and is still provisioning it (its status is
    "pending"): ask again later with the same idempotency key, which resumes the same order and
    never buys twice."""


class NotSupported(GatewayError):
    """The gateway does not offer this optional operation (e.g. usage budgets)."""
