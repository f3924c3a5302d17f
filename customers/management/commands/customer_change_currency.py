"""Operations' path to change a customer's billing currency (resellers cannot while
subscriptions run): `manage.py customer_change_currency <customer id> <currency> --by
<staff e-mail> --reason "..."`. See README "Changing a customer's currency"."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from customers.models import Customer
from customers.services import customer_change_currency
from portal.models import Currency


class Command(BaseCommand):
    help = "Change a customer's billing currency (operations; reason required, audited)."

    def add_arguments(self, parser):
        parser.add_argument("customer_id", type=int)
        parser.add_argument("currency", choices=Currency.values)
        parser.add_argument("--by", required=True, help="E-mail of the operations user.")
        parser.add_argument("--reason", required=True)

    def handle(self, *args, customer_id, currency, by, reason, **options):
        user = get_user_model().objects.filter(email__iexact=by, is_staff=True).first()
        if user is None:
            raise CommandError(f"No operations (staff) user {by}.")
        with scopes_disabled():
            customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise CommandError(f"No customer {customer_id}.")
        customer = customer_change_currency(
            user=user, customer=customer, currency=currency, reason=reason
        )
        self.stdout.write(f"{customer} is now billed in {customer.currency}.")
