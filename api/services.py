"""API keys: created (the key is returned once, only its hash is kept) and revoked."""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from api.models import ApiKey, IdempotentRequest, key_digest
from portal.audit import audit
from portal.permissions import require, require_staff
from portal.roles import Role
from portal.tenancy import member_service, require_same_reseller

KEY_PREFIX = "rp_"
# Operations keys read any reseller; they act with a read-only role.
OPERATIONS_ROLES = (Role.VIEWER, Role.BILLING)


def _new_key() -> tuple[str, str, str]:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[:10], key_digest(key)


def _check_expiry(expires_at: datetime | None) -> None:
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError("The expiry must be in the future.")


def _make(*, reseller, user, name: str, role: str, expires_at) -> tuple[ApiKey, str]:
    if role not in Role.values:
        raise ValidationError(f"{role} is not a role (choose one of {', '.join(Role.values)}).")
    _check_expiry(expires_at)
    key, prefix, digest = _new_key()
    api_key = ApiKey(
        reseller=reseller,
        user=user,
        name=name.strip(),
        role=role,
        prefix=prefix,
        key_hash=digest,
        expires_at=expires_at,
    )
    api_key.full_clean()
    api_key.save()
    return api_key, key


@member_service
def api_key_create(
    *, member, name: str, role: str, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A key of the member's reseller acting as `role`; returns the key (shown once)."""
    require(member, "api_keys.manage")
    if role == Role.OWNER and member.role != Role.OWNER:
        raise ValidationError("Only an owner may create a key acting as owner.")
    api_key, key = _make(
        reseller=member.reseller, user=member.user, name=name, role=role, expires_at=expires_at
    )
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=api_key,
        action="api.key.created",
        data={"name": api_key.name, "role": role, "prefix": api_key.prefix},
    )
    return api_key, key


@transaction.atomic
def api_key_create_operations(
    *, user, name: str, role: str = Role.VIEWER, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """An operations key (staff): reads any reseller chosen with `?reseller=`."""
    require_staff(user)
    if role not in OPERATIONS_ROLES:
        raise ValidationError("Operations keys act as viewer or billing (read-only).")
    with scopes_disabled():
        api_key, key = _make(reseller=None, user=user, name=name, role=role, expires_at=expires_at)
    audit(
        actor=user,
        reseller=None,
        obj=api_key,
        action="api.key.created",
        data={"name": api_key.name, "role": role, "prefix": api_key.prefix},
    )
    return api_key, key


@member_service
def api_key_revoke(*, member, api_key: ApiKey) -> ApiKey:
    require(member, "api_keys.manage")
    require_same_reseller(member, api_key)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit(
            actor=member.user,
            reseller=member.reseller,
            obj=api_key,
            action="api.key.revoked",
            data={"prefix": api_key.prefix},
        )
    return api_key


def idempotent_requests_prune(*, now: datetime | None = None) -> int:
    """Forget the stored answers of POSTs older than API_IDEMPOTENCY_KEEP_HOURS (default 24):
    a replay after that is a new request. Returns how many were deleted. (The services keep
    their own keys, derived from the Idempotency-Key: an order retried later is still not
    placed twice in Partner Center.)"""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.API_IDEMPOTENCY_KEEP_HOURS)
    with scopes_disabled():
        deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
