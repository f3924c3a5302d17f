import io

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from customers.models import Customer
from portal.models import Membership, Reseller, User


@pytest.mark.django_db
def test_seed_demo_loads_the_demo_and_can_run_again(client):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=io.StringIO())
    printed = out.getvalue()
    for login in (
        "ops@example.com",
        "owner@northwind.example",
        "viewer@northwind.example",
        "owner@mapleleaf.example",
        "viewer@mapleleaf.example",
        "consultant@example.com",
    ):
        assert login in printed
    assert "demo-portal-2026" in printed
    assert {(r.name, r.country, r.currency) for r in Reseller.objects.all()} == {
        ("Northwind Cloud Partners", "US", "USD"),
        ("Maple Leaf IT Solutions", "CA", "CAD"),
    }
    with scopes_disabled():
        assert Membership.objects.count() == 6
        assert Customer.objects.count() == 5
    assert User.objects.get(email="ops@example.com").is_staff
    assert client.login(email="viewer@mapleleaf.example", password="demo-portal-2026")
