import pytest

from portal.roles import Role, role_can

OWN, A, S, B, V = Role.OWNER, Role.ADMIN, Role.SALES, Role.BILLING, Role.VIEWER


@pytest.mark.parametrize(
    ("action", "allowed"),
    [
        ("reseller.view", {OWN, A, S, B, V}),
        ("reseller.edit_profile", {OWN, A}),
        ("members.manage", {OWN, A}),
        ("members.manage_owners", {OWN}),
        ("programs.request", {OWN, A}),
        ("customers.edit", {OWN, A, S}),
        ("orders.place", {OWN, A, S}),
        ("billing.view_money", {OWN, A, B}),
        ("tickets.open", {OWN, A, S, B}),
        ("no.such.action", set()),
    ],
)
def test_role_matrix(action, allowed):
    assert {r for r in Role if role_can(r, action)} == allowed
