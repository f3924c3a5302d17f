"""Partner Center access tokens through MSAL: the Secure Application Model.

MCA attestation, relationship links and most Partner Center calls need App+User tokens: the
partner's application (PARTNER_CENTER_CLIENT_ID / _CLIENT_SECRET) trades a refresh token,
obtained once through the consent flow, for an access token (Microsoft: enable-secure-app-model,
partner-center-authentication). The refresh token is kept encrypted (Fernet, key from settings)
in the database; PARTNER_CENTER_REFRESH_TOKEN bootstraps it before the consent flow has run.
Access tokens are refreshed shortly before they expire and, once, after a 401. No token is ever
logged or put in an exception message.
"""

import base64
import hashlib
import logging
import threading
from datetime import timedelta
from typing import Protocol

import msal
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from partner_center.errors import GatewayError

logger = logging.getLogger("partner_center.auth")

PARTNER_CENTER_SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
REFRESH_EARLY = timedelta(minutes=5)


class TokenSource(Protocol):
    def access_token(self) -> str: ...

    def refresh(self) -> str:
        """A new access token, even if the current one has not expired (after a 401)."""


class StaticToken:
    """A fixed bearer token (a token obtained elsewhere, or tests)."""

    def __init__(self, token: str):
        self._token = token

    def __repr__(self):
        return "<StaticToken>"

    def access_token(self) -> str:
        return self._token

    def refresh(self) -> str:
        return self._token


def fernet() -> Fernet:
    """PARTNER_CENTER_TOKEN_KEY (a Fernet key), else one derived from SECRET_KEY."""
    key = getattr(settings, "PARTNER_CENTER_TOKEN_KEY", "")
    if not key:
        digest = hashlib.sha256(f"partner-center-tokens:{settings.SECRET_KEY}".encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(value: str) -> str:
    if not value:
        return ""
    try:
        return fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        raise GatewayError(
            "The stored Partner Center credentials cannot be decrypted with "
            "PARTNER_CENTER_TOKEN_KEY; connect Partner Center again."
        ) from None


def store_refresh_token(refresh_token: str, *, name: str = "partner-center") -> None:
    """Keep a refresh token (from the consent flow), encrypted; drops the cached access token."""
    from partner_center.models import StoredToken

    StoredToken.objects.update_or_create(
        name=name,
        defaults={"refresh_token": encrypt(refresh_token), "access_token": "", "expires_at": None},
    )


def has_refresh_token(*, name: str = "partner-center") -> bool:
    from partner_center.models import StoredToken

    return StoredToken.objects.filter(name=name).exclude(refresh_token="").exists() or bool(
        getattr(settings, "PARTNER_CENTER_REFRESH_TOKEN", "")
    )


class AppUserTokens:
    """App+User access tokens from the stored refresh token (Secure Application Model)."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        authority: str,
        bootstrap_refresh_token: str = "",
        scopes: list[str] | None = None,
        name: str = "partner-center",
        http_client=None,
    ):
        self.client_id = client_id
        self._client_secret = client_secret
        self.authority = authority.rstrip("/")
        self._bootstrap = bootstrap_refresh_token
        self.scopes = scopes or [PARTNER_CENTER_SCOPE]
        self.name = name
        self._http_client = http_client
        self._app_instance = None
        self._lock = threading.Lock()

    def __repr__(self):
        return f"<AppUserTokens {self.authority} client={self.client_id}>"

    def _app(self) -> msal.ConfidentialClientApplication:
        if self._app_instance is None:
            kwargs = {"http_client": self._http_client} if self._http_client else {}
            self._app_instance = msal.ConfidentialClientApplication(
                self.client_id,
                client_credential=self._client_secret,
                authority=self.authority,
                instance_discovery=False,
                **kwargs,
            )
        return self._app_instance

    def access_token(self) -> str:
        return self._token(force=False)

    def refresh(self) -> str:
        return self._token(force=True)

    def _token(self, *, force: bool) -> str:
        from partner_center.models import StoredToken

        with self._lock, transaction.atomic():
            row, _ = StoredToken.objects.select_for_update().get_or_create(name=self.name)
            now = timezone.now()
            if (
                not force
                and row.access_token
                and row.expires_at
                and row.expires_at - REFRESH_EARLY > now
            ):
                return decrypt(row.access_token)
            refresh_token = decrypt(row.refresh_token) or self._bootstrap
            if not refresh_token:
                raise GatewayError(
                    "Partner Center is not connected: no refresh token. An "
                    "operator must connect it (consent) from the Operations "
                    "area, or set PARTNER_CENTER_REFRESH_TOKEN."
                )
            try:
                result = self._app().acquire_token_by_refresh_token(refresh_token, self.scopes)
            except (ValueError, OSError) as e:  # authority unreachable or not OpenID
                logger.warning("partner_center token endpoint failed: %s", type(e).__name__)
                raise GatewayError(
                    f"The Microsoft sign-in service could not be reached ({type(e).__name__})."
                ) from None
            if "access_token" not in result:
                logger.warning(
                    "partner_center token refresh refused: %s", result.get("error", "unknown error")
                )
                raise GatewayError(
                    f"Microsoft refused the Partner Center refresh token "
                    f"({result.get('error', 'unknown error')}); an operator must "
                    f"connect Partner Center again."
                )
            row.access_token = encrypt(result["access_token"])
            row.expires_at = now + timedelta(seconds=int(result.get("expires_in") or 0))
            if result.get("refresh_token"):
                row.refresh_token = encrypt(result["refresh_token"])
            row.save()
            logger.info(
                "partner_center token refreshed name=%s expires_at=%s",
                self.name,
                row.expires_at.isoformat(),
            )
            return result["access_token"]


class AppOnlyTokens:
    """App-only tokens (client credentials) for Microsoft Graph: MSAL keeps them in its
    in-memory cache and asks for a new one when the cached one nears expiry."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        authority: str,
        scopes: list[str] | None = None,
        http_client=None,
    ):
        self.client_id = client_id
        self.scopes = scopes or [GRAPH_SCOPE]
        self._new_app = lambda: msal.ConfidentialClientApplication(
            client_id,
            client_credential=client_secret,
            authority=authority.rstrip("/"),
            instance_discovery=False,
            **({"http_client": http_client} if http_client else {}),
        )
        self._app = None

    def __repr__(self):
        return f"<AppOnlyTokens client={self.client_id}>"

    def access_token(self) -> str:
        return self._acquire()

    def refresh(self) -> str:
        self._app = None  # MSAL has no forced refresh for app tokens: drop its cache
        return self._acquire()

    def _acquire(self) -> str:
        try:
            if self._app is None:
                self._app = self._new_app()
            result = self._app.acquire_token_for_client(self.scopes) or {}
        except (ValueError, OSError) as e:
            logger.warning("graph token endpoint failed: %s", type(e).__name__)
            raise GatewayError(
                f"The Microsoft sign-in service could not be reached ({type(e).__name__})."
            ) from None
        if "access_token" not in result:
            raise GatewayError(
                f"Microsoft refused the application's credentials "
                f"({result.get('error', 'unknown error')})."
            )
        return result["access_token"]


def graph_tokens_from_settings() -> AppOnlyTokens:
    return AppOnlyTokens(
        client_id=settings.PARTNER_CENTER_CLIENT_ID,
        client_secret=settings.PARTNER_CENTER_CLIENT_SECRET,
        authority=settings.PARTNER_CENTER_AUTHORITY,
    )


def tokens_from_settings(
    *, scopes: list[str] | None = None, name: str = "partner-center"
) -> TokenSource:
    if getattr(settings, "PARTNER_CENTER_CLIENT_ID", ""):
        return AppUserTokens(
            client_id=settings.PARTNER_CENTER_CLIENT_ID,
            client_secret=settings.PARTNER_CENTER_CLIENT_SECRET,
            authority=settings.PARTNER_CENTER_AUTHORITY,
            bootstrap_refresh_token=settings.PARTNER_CENTER_REFRESH_TOKEN,
            scopes=scopes,
            name=name,
        )
    return StaticToken(getattr(settings, "PARTNER_CENTER_TOKEN", ""))


def keep_admin_credentials(tenant_id: str, user_name: str, password: str) -> None:
    """Keep a new customer's one-time admin account (encrypted) for the reseller to see once."""
    from partner_center.models import AdminCredential

    if user_name and password:
        AdminCredential.objects.update_or_create(
            tenant_id=str(tenant_id),
            defaults={"user_name": user_name, "password": encrypt(password)},
        )


def has_admin_credentials(tenant_id: str) -> bool:
    """Whether a new customer's one-time admin account is still waiting to be shown."""
    from partner_center.models import AdminCredential

    return AdminCredential.objects.filter(tenant_id=str(tenant_id)).exists()


def take_admin_credentials(tenant_id: str) -> tuple[str, str] | None:
    """The one-time admin account (user name, password), then forgotten; None once taken."""
    from partner_center.models import AdminCredential

    with transaction.atomic():
        row = AdminCredential.objects.select_for_update().filter(tenant_id=str(tenant_id)).first()
        if row is None:
            return None
        row.delete()
        return row.user_name, decrypt(row.password)
