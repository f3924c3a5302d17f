from django.core.exceptions import PermissionDenied

from portal.roles import role_can, roles_that_can


def require(member, action: str) -> None:
    """Refuse `action` unless the member's role allows it. Services call this first."""
    if member is None or not role_can(member.role, action):
        allowed = ", ".join(roles_that_can(action)) or "nobody"
        raise PermissionDenied(f"Your role may not do this (allowed: {allowed}).")


def require_staff(user) -> None:
    if not (user and user.is_active and user.is_staff):
        raise PermissionDenied("Only operations staff may do this.")
