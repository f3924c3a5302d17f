"""The ground's demo data: the operations user, the demo resellers and their members. The apps
add theirs in layer order (each app's `demo.seed`, named on its AppConfig; portal/frame.py)."""

import datetime
import uuid

from allauth.account.models import EmailAddress
from django.utils import timezone

from portal.models import Membership, Reseller, User
from portal.roles import Role

DEMO_PASSWORD = "demo-portal-2026"

RESELLERS = [
    {
        "key": "northwind",
        "name": "Northwind Cloud Partners",
        "country": "US",
        "currency": "USD",
        "partner_id": "4567890",
        "mpa_accepted_on": datetime.date(2024, 3, 1),
        "tenant_id": uuid.UUID("6f1d2c3b-0a4e-4c8f-9b7a-1e2d3c4b5a60"),
        "brand_colour": "#0b5cad",
        "accent_colour": "#0f766e",
        "support_email": "help@northwind.example",
        "support_phone": "+1 206 555 0100",
        "support_url": "https://support.northwind.example",
    },
    {
        "key": "mapleleaf",
        "name": "Maple Leaf IT Solutions",
        "country": "CA",
        "currency": "CAD",
        "partner_id": "7654321",
        "mpa_accepted_on": datetime.date(2023, 11, 15),
        "tenant_id": uuid.UUID("0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f"),
        "brand_colour": "#b91c1c",
        "accent_colour": "#1f2937",
        "support_email": "support@mapleleaf.example",
        "support_phone": "+1 416 555 0199",
        "support_url": "",
    },
]


def demo_user(email, *, first, last, staff=False):
    user, _ = User.objects.update_or_create(
        email=email,
        defaults={
            "first_name": first,
            "last_name": last,
            "is_staff": staff,
            "is_superuser": staff,
            "is_active": True,
        },
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def demo_resellers() -> dict[str, Reseller]:
    """The demo resellers by key ("northwind", "mapleleaf")."""
    by_name = {r.name: r for r in Reseller.objects.filter(name__in=[s["name"] for s in RESELLERS])}
    return {s["key"]: by_name[s["name"]] for s in RESELLERS if s["name"] in by_name}


def seed_resellers() -> list[tuple[str, str]]:
    """Resellers with an owner and a viewer each; returns (label, e-mail) of the logins."""
    logins = []
    for spec in RESELLERS:
        spec = dict(spec)
        key = spec.pop("key")
        reseller, _ = Reseller.objects.update_or_create(name=spec.pop("name"), defaults=spec)
        if not reseller.partner_id_verified_at:  # operations checked the demo partner IDs
            reseller.partner_id_verified_at = timezone.now()
            reseller.partner_id_verified_by = User.objects.filter(email="ops@example.com").first()
            reseller.save(update_fields=["partner_id_verified_at", "partner_id_verified_by"])
        for role, first in ((Role.OWNER, "Owen"), (Role.VIEWER, "Vera")):
            user = demo_user(f"{role}@{key}.example", first=first, last=reseller.name.split()[0])
            Membership.objects.update_or_create(
                user=user, reseller=reseller, defaults={"role": role}
            )
            logins.append((f"{reseller.name} {role}", user.email))
    return logins


def seed_consultant() -> tuple[str, str]:
    """One person working for both resellers, to show the reseller switcher."""
    consultant = demo_user("consultant@example.com", first="Casey", last="Consultant")
    resellers = demo_resellers()
    for key, role in (("northwind", Role.ADMIN), ("mapleleaf", Role.SALES)):
        Membership.objects.update_or_create(
            user=consultant, reseller=resellers[key], defaults={"role": role}
        )
    return ("Northwind admin + Maple Leaf sales", consultant.email)


def demo_logins() -> list[tuple[str, str]]:
    """(label, e-mail) of the demo logins seed_demo makes, in the order it lists them."""
    logins = [("Operations (staff, admin)", "ops@example.com")]
    for spec in RESELLERS:
        for role in (Role.OWNER, Role.VIEWER):
            logins.append((f"{spec['name']} {role}", f"{role}@{spec['key']}.example"))
    logins.append(("Northwind admin + Maple Leaf sales", "consultant@example.com"))
    return logins


def login_lines(logins: list[tuple[str, str]]) -> list[str]:
    return [f"  {label:<40} {email:<28} password: {DEMO_PASSWORD}" for label, email in logins]
