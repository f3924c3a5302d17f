"""Connecting Partner Center (the Secure Application Model's one-time consent): an operator
signs in with a Partner Center account through Microsoft's authorization-code flow, and the
refresh token it yields is kept encrypted (partner_center.auth) for App+User tokens."""

import msal
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from partner_center.auth import PARTNER_CENTER_SCOPE, store_refresh_token
from portal.audit import audit
from portal.permissions import require_staff


def _application(http_client=None) -> msal.ConfidentialClientApplication:
    if not settings.PARTNER_CENTER_CLIENT_ID:
        raise ValidationError(
            "Set PARTNER_CENTER_CLIENT_ID and PARTNER_CENTER_CLIENT_SECRET "
            "(the partner's Entra application) first."
        )
    kwargs = {"http_client": http_client} if http_client else {}
    return msal.ConfidentialClientApplication(
        settings.PARTNER_CENTER_CLIENT_ID,
        client_credential=settings.PARTNER_CENTER_CLIENT_SECRET,
        authority=settings.PARTNER_CENTER_AUTHORITY.rstrip("/"),
        instance_discovery=False,
        **kwargs,
    )


def connection_start(*, user, redirect_uri: str, http_client=None) -> dict:
    """The authorization-code flow to keep in the operator's session; its "auth_uri" is where
    the operator signs in and consents."""
    require_staff(user)
    try:
        return _application(http_client).initiate_auth_code_flow(
            [PARTNER_CENTER_SCOPE], redirect_uri=redirect_uri, prompt="consent"
        )
    except (ValueError, OSError) as e:
        raise ValidationError(
            f"The Microsoft sign-in service could not be reached ({type(e).__name__})."
        ) from None


@transaction.atomic
def connection_finish(*, user, flow: dict, answer: dict, http_client=None) -> None:
    """Redeem Microsoft's answer (the redirect's query) for a refresh token and keep it."""
    require_staff(user)
    if not flow:
        raise ValidationError("The sign-in expired or was started elsewhere; connect again.")
    try:
        result = _application(http_client).acquire_token_by_auth_code_flow(flow, answer)
    except (ValueError, OSError) as e:
        raise ValidationError(
            f"The Microsoft sign-in service could not be reached ({type(e).__name__})."
        ) from None
    if "refresh_token" not in result:
        reason = result.get("error_description") or result.get("error") or "no refresh token"
        raise ValidationError(f"Microsoft did not grant access ({reason}).")
    store_refresh_token(result["refresh_token"])
    claims = result.get("id_token_claims") or {}
    audit(
        actor=user,
        reseller=None,
        action="partner_center.connection.connected",
        data={"account": claims.get("preferred_username", ""), "tenant": claims.get("tid", "")},
    )
