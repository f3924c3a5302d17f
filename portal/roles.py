"""Roles of a reseller membership and what each may do. Pure rules, no I/O.

Services check these (`portal.permissions.require`), templates only mirror them.
"""

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    SALES = "sales", "Sales"
    BILLING = "billing", "Billing"
    VIEWER = "viewer", "Viewer"


_ALL = frozenset(Role)
_MANAGERS = frozenset({Role.OWNER, Role.ADMIN})

# action -> roles allowed to do it
PERMISSIONS: dict[str, frozenset[Role]] = {
    "reseller.view": _ALL,
    "reseller.edit_profile": _MANAGERS,
    "members.manage": _MANAGERS,
    "audit.view": _MANAGERS,
    "members.manage_owners": frozenset({Role.OWNER}),
    "programs.request": _MANAGERS,
    "customers.view": _ALL,
    "customers.edit": _MANAGERS | {Role.SALES},
    "orders.place": _MANAGERS | {Role.SALES},
    "transfers.decide": _MANAGERS,
    "pricebooks.edit": _MANAGERS,
    "billing.view_money": _MANAGERS | {Role.BILLING},
    "usage.import": _MANAGERS | {Role.BILLING},
    "reports.view": _ALL,  # quantities and customer prices; cost and margin need view_money
    "tickets.view": _ALL,
    "tickets.open": _ALL - {Role.VIEWER},
    "support.manage_plans": _MANAGERS,
    "api_keys.manage": _MANAGERS,
    "webhooks.manage": _MANAGERS,
    "insight.configure": _MANAGERS,
    "budgets.edit": _MANAGERS | {Role.BILLING},
}


def role_can(role: str, action: str) -> bool:
    """True if a member with `role` may do `action`; unknown actions are refused."""
    return role in PERMISSIONS.get(action, frozenset())


def roles_that_can(action: str) -> list[str]:
    return [r.label for r in Role if r in PERMISSIONS.get(action, frozenset())]
