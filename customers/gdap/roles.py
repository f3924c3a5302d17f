"""The Microsoft Entra roles a reseller may ask for in a GDAP relationship, with readable names:
the common least-privileged set for the work a reseller does in a customer's tenant. Pure, no
I/O.

Template IDs (`roleDefinitionId` of accessDetails.unifiedRoles) and names from Microsoft's
"Microsoft Entra built-in roles" (MicrosoftDocs/entra-docs,
docs/identity/role-based-access-control/permissions-reference.md, table "All roles").
"""

from typing import NamedTuple


class EntraRole(NamedTuple):
    id: str
    name: str
    does: str
    default: bool = False  # ticked on a new request


GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"

ROLES: tuple[EntraRole, ...] = (
    # read what the portal shows: users, licences, sign-ins
    EntraRole(
        "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        "Directory Readers",
        "Read basic directory information (users, groups, licences).",
        True,
    ),
    EntraRole(
        "4a5d8f65-41da-4de4-8968-e035b65339cf",
        "Reports Reader",
        "Read sign-in and audit reports (last sign-in of licence holders).",
        True,
    ),
    EntraRole(
        "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
        "License Administrator",
        "Manage product licences on users and groups.",
        True,
    ),
    EntraRole(
        "f023fd81-a637-4b56-95fd-791ac0226033",
        "Service Support Administrator",
        "Read service health and manage Microsoft support tickets.",
        True,
    ),
    EntraRole(
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "Helpdesk Administrator",
        "Reset passwords of non-administrators.",
        True,
    ),
    EntraRole(
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        "Global Reader",
        "Read everything a Global Administrator can, change nothing.",
    ),
    EntraRole(
        "fe930be7-5e62-47db-91af-98c3a49a38b1",
        "User Administrator",
        "Manage users and groups, reset passwords of limited admins.",
    ),
    EntraRole(
        "b0f54661-2d74-4c50-afa3-1ec803f12efe",
        "Billing Administrator",
        "Common billing tasks such as payment information.",
    ),
    EntraRole(
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
        "Exchange Administrator",
        "Manage all aspects of Exchange Online.",
    ),
    EntraRole(
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        "SharePoint Administrator",
        "Manage all aspects of SharePoint.",
    ),
    EntraRole(
        "69091246-20e8-4a56-aa4d-066075b2a7a8",
        "Teams Administrator",
        "Manage the Microsoft Teams service.",
    ),
    EntraRole(
        "3a2c62db-5318-420d-8d74-23affee5d9d5",
        "Intune Administrator",
        "Manage all aspects of Intune.",
    ),
    EntraRole(
        "5d6b6bb7-de71-4623-b4af-96380a352509",
        "Security Reader",
        "Read security information and reports.",
    ),
    EntraRole(
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        "Security Administrator",
        "Manage security configuration in Entra ID and Office 365.",
    ),
    EntraRole(
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Privileged Authentication Administrator",
        "View, set and reset authentication methods of any user, admins included.",
    ),
    EntraRole(
        GLOBAL_ADMINISTRATOR,
        "Global Administrator",
        "Everything. Not least privilege; Microsoft does not auto-extend a relationship "
        "holding it.",
    ),
)
BY_ID = {r.id: r for r in ROLES}
DEFAULTS = tuple(r.id for r in ROLES if r.default)


def names(role_ids) -> list[str]:
    """Readable names of `role_ids`, unknown ones as their id."""
    return [BY_ID[r].name if r in BY_ID else r for r in role_ids]


def auto_extend_allowed(role_ids) -> bool:
    """Microsoft auto-extends a relationship (P180D) only without the Global Administrator."""
    return GLOBAL_ADMINISTRATOR not in role_ids
