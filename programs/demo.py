"""Demo program requests (seed_demo, layer order)."""

from django.apps import apps
from django.utils import timezone

from portal.demo import demo_resellers
from portal.models import User
from programs.defaults import ensure_country_links, ensure_programs
from programs.models import Program, ProgramRequest


def seed(*, ops_user) -> None:
    """Northwind: base program approved, Azure Plan pending. Maple Leaf: nothing requested."""
    ensure_programs(apps)
    ensure_country_links(apps)
    northwind = demo_resellers()["northwind"]
    owner = User.objects.get(email="owner@northwind.example")
    now = timezone.now()
    for code, state in (("azure-reseller", "approved"), ("azure-plan", "pending")):
        decided = {"decided_by": ops_user, "decided_at": now} if state == "approved" else {}
        ProgramRequest.objects.get_or_create(
            reseller=northwind, program=Program.objects.get(code=code),
            state__in=["pending", "approved"],
            defaults={"state": state, "requested_by": owner, **decided})
