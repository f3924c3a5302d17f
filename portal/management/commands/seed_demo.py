"""Demo data for a newcomer: `manage.py seed_demo` (safe to run again; it updates in place).
The ground seeds its own rows (portal/demo.py), then each app its own, in layer order."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django_scopes import scopes_disabled

from portal import frame
from portal.demo import demo_user, login_lines, seed_consultant, seed_resellers


class Command(BaseCommand):
    help = (
        "Load demo data: an operations user, a US and a Canadian reseller, "
        "their users and customers."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        ops = demo_user("ops@example.com", first="Olivia", last="Ops", staff=True)
        logins = [("Operations (staff, admin)", ops.email)]
        with scopes_disabled():
            logins += seed_resellers()
            for seed in frame.contributions("demo"):
                seed(ops_user=ops)
            logins.append(seed_consultant())
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Sign in at /accounts/login/ with:"))
        for line in login_lines(logins):
            self.stdout.write(line)
