"""The API's resources under /api/v1/."""

from rest_framework.routers import SimpleRouter

from api.resources.billing import (
    CreditNoteViewSet,
    InvoiceViewSet,
    StatementViewSet,
    UsageSummaryViewSet,
)
from api.resources.catalog import OfferViewSet, PriceBookViewSet
from api.resources.customers import CustomerViewSet
from api.resources.programs import ProgramViewSet
from api.resources.subscriptions import AssignmentViewSet, SubscriptionViewSet
from api.resources.support import TicketViewSet
from api.resources.webhooks import WebhookDeliveryViewSet, WebhookEndpointViewSet

router = SimpleRouter(trailing_slash="/?")
router.register("customers", CustomerViewSet, basename="customer")
router.register("subscriptions", SubscriptionViewSet, basename="subscription")
router.register("seat-assignments", AssignmentViewSet, basename="seat-assignment")
router.register("catalog/offers", OfferViewSet, basename="offer")
router.register("price-books", PriceBookViewSet, basename="price-book")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("credit-notes", CreditNoteViewSet, basename="credit-note")
router.register("statements", StatementViewSet, basename="statement")
router.register("usage-summaries", UsageSummaryViewSet, basename="usage-summary")
router.register("programs", ProgramViewSet, basename="program")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("webhooks/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
