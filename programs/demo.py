"""Demo program requests (seed_demo, layer order)."""

from django.apps import apps
from django.utils import timezone

from portal.demo import demo_resellers
from portal.models import User
from programs.defaults import ensure_country_links, ensure_programs
from programs.models import Program, ProgramRequest


def seed(*, ops_user) -> None:
    """Both demo resellers may transact: the base program, Azure Plan and Modern Workplace
    approved, their terms accepted by the owner."""
    ensure_programs(apps)
    ensure_country_links(apps)
    now = timezone.now()
    for key, reseller in demo_resellers().items():
        owner = User.objects.get(email=f"owner@{key}.example")
        for code in ("azure-reseller", "azure-plan", "modern-workplace"):
            program = Program.objects.get(code=code)
            ProgramRequest.objects.get_or_create(
                reseller=reseller,
                program=program,
                state__in=["pending", "approved"],
                defaults={
                    "state": "approved",
                    "requested_by": owner,
                    "decided_by": ops_user,
                    "decided_at": now,
                    "terms_version": program.terms_version,
                    "terms_accepted_by": owner,
                    "terms_accepted_at": now,
                },
            )
