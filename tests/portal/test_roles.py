import pytest

from portal.roles import Role, role_can

O, A, S, B, V = Role.OWNER, Role.ADMIN, Role.SALES, Role.BILLING, Role.VIEWER


@pytest.mark.parametrize(("action", "allowed"), [
    ("reseller.view", {O, A, S, B, V}),
    ("reseller.edit_profile", {O, A}),
    ("members.manage", {O, A}),
    ("members.manage_owners", {O}),
    ("programs.request", {O, A}),
    ("customers.edit", {O, A, S}),
    ("orders.place", {O, A, S}),
    ("billing.view_money", {O, A, B}),
    ("tickets.open", {O, A, S, B}),
    ("no.such.action", set()),
])
def test_role_matrix(action, allowed):
    assert {r for r in Role if role_can(r, action)} == allowed
