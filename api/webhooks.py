"""The `data` of the webhook events (webhooks/events.py asks the apps for builders by model
label): the API's own serializers where the object is an API resource, so an event carries
the same field names as GET on that resource; small serializers here for the rest."""

from typing import Any

from django_scopes import scopes_disabled
from rest_framework import serializers

from api.resources.billing import InvoiceSerializer, StatementSerializer
from api.resources.customers import (
    CustomerSerializer,
    McaAcceptanceSerializer,
    McaStatusSerializer,
)
from api.resources.programs import ProgramRequestSerializer
from api.resources.subscriptions import SubscriptionSerializer
from api.resources.support import MessageSerializer, TicketSerializer
from billing.insight.models import AnomalyAlert, BudgetAlert
from billing.usage.models import UsageImport
from portal.models import Membership
from portal.roles import Role
from subscriptions.transfers.models import Transfer, TransferItem


class TransferItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = TransferItem
        fields = ["partner_center_id", "offer", "quantity", "target_subscription"]


class TransferSerializer(serializers.ModelSerializer):
    class Meta:
        model = Transfer
        fields = [
            "id",
            "status",
            "source_partner_id",
            "requested_at",
            "expires_at",
            "decided_at",
            "decline_reason",
            "failure_message",
        ]


class UsageImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = UsageImport
        fields = [
            "id",
            "source",
            "status",
            "file_name",
            "period_start",
            "period_end",
            "total_lines",
            "imported_lines",
            "skipped_duplicates",
            "finished_at",
        ]


class BudgetAlertSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="budget.customer_id")
    subscription = serializers.IntegerField(source="budget.subscription_id", allow_null=True)
    amount = serializers.DecimalField(source="budget.amount", max_digits=20, decimal_places=2)
    currency = serializers.CharField(source="budget.currency")

    class Meta:
        model = BudgetAlert
        fields = [
            "id",
            "budget",
            "customer",
            "subscription",
            "month",
            "kind",
            "amount",
            "spent",
            "forecast",
            "currency",
            "created_at",
        ]


class AnomalyAlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = AnomalyAlert
        fields = ["id", "customer", "day", "currency", "amount", "expected", "score", "movers"]


def _subscription(sub, *, reseller_id: int) -> dict[str, Any]:
    # endpoints are managed by owners and admins, who see cost: the payload carries it
    manager = Membership(reseller_id=reseller_id, role=Role.ADMIN)
    return SubscriptionSerializer(sub, context={"member": manager}).data


def _mca(acceptance, *, reseller_id: int) -> dict[str, Any]:
    customer = acceptance.customer
    return McaStatusSerializer(
        {
            "customer": customer.pk,
            "mca_status": customer.mca_status,
            "acceptance": McaAcceptanceSerializer(acceptance).data,
            "active_link": None,
        }
    ).data


def _transfer(transfer, *, reseller_id: int) -> dict[str, Any]:
    data = dict(TransferSerializer(transfer).data)
    target = transfer.target_reseller_id == reseller_id  # the reseller asked for it
    data["side"] = "target" if target else "source"
    # the customer is the target reseller's: the current provider knows it by its tenant
    data["customer"] = transfer.customer_id if target else None
    data["tenant_id"] = str(transfer.tenant_id) if transfer.tenant_id else None
    with scopes_disabled():
        data["items"] = TransferItemSerializer(transfer.items.order_by("pk"), many=True).data
    return data


def _message(message, *, reseller_id: int) -> dict[str, Any]:
    return {
        "ticket": TicketSerializer(message.ticket).data,
        "message": MessageSerializer(message).data,
    }


def _plain(serializer_class):
    return lambda obj, *, reseller_id: serializer_class(obj).data


PAYLOADS = {
    "customers.customer": _plain(CustomerSerializer),
    "customers.mcaacceptance": _mca,
    "subscriptions.subscription": _subscription,
    "subscriptions.transfer": _transfer,
    "billing.invoice": _plain(InvoiceSerializer),
    "billing.statement": _plain(StatementSerializer),
    "billing.usageimport": _plain(UsageImportSerializer),
    "billing.budgetalert": _plain(BudgetAlertSerializer),
    "billing.anomalyalert": _plain(AnomalyAlertSerializer),
    "programs.programrequest": _plain(ProgramRequestSerializer),
    "support.ticketmessage": _message,
}
