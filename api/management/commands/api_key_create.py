"""manage.py api_key_create --email EMAIL --reseller "NAME" --role ROLE [--name N] [--days D]

Creates an API key acting for the member EMAIL of reseller NAME with ROLE, or, without
--reseller, an operations key of the staff user EMAIL. The key is printed on the last line."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_scopes import scopes_disabled

from api import services
from portal.models import Membership, User
from portal.roles import Role


class Command(BaseCommand):
    help = "Create an API key and print it (on the last line); only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="the member (or staff user)")
        parser.add_argument("--reseller", help="the reseller's name; omit for operations keys")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="", help="what uses the key")
        parser.add_argument("--days", type=int, help="the key expires after this many days")

    def handle(self, *args, email, reseller, role, name, days, **options):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with the e-mail address {email}.")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        name = name or f"Created by {email} on the command line"
        try:
            if reseller:
                with scopes_disabled():
                    member = (
                        Membership.objects.select_related("reseller", "user")
                        .filter(user=user, reseller__name=reseller)
                        .first()
                    )
                if member is None:
                    raise CommandError(f"{email} is not a member of a reseller named {reseller!r}.")
                api_key, key = services.api_key_create(
                    member=member, name=name, role=role, expires_at=expires_at
                )
            else:
                api_key, key = services.api_key_create_operations(
                    user=user, name=name, role=role, expires_at=expires_at
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        whose = api_key.reseller.name if api_key.reseller else "operations (every reseller)"
        self.stdout.write(
            f"API key {api_key.prefix}… for {whose}, acting as {role}. It is shown only now:"
        )
        self.stdout.write(key)
