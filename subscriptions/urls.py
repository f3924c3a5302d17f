from django.urls import include, path

from subscriptions import views
from subscriptions.transfers import views as transfer_views

reseller_patterns = [
    path("", views.subscription_list, name="list"),
    path("renewals/", views.renewals, name="renewals"),
    path("buy/", views.purchase, name="purchase"),
    path("buy/quote/", views.purchase_quote, name="purchase_quote"),
    path("<int:subscription_id>/", views.subscription_detail, name="detail"),
    path("<int:subscription_id>/seats/", views.change_seats, name="change_seats"),
    path("<int:subscription_id>/cancel/", views.cancel, name="cancel"),
    path("<int:subscription_id>/exchange/", views.exchange, name="exchange"),
    path("<int:subscription_id>/upgrade/", views.upgrade, name="upgrade"),
    path("<int:subscription_id>/upgrades/", views.upgrade_options, name="upgrade_options"),
    path(
        "<int:subscription_id>/provisioning/",
        views.provisioning_status,
        name="provisioning_status",
    ),
    path("<int:subscription_id>/auto-renew/", views.auto_renew, name="auto_renew"),
    path("<int:subscription_id>/term/", views.change_term, name="change_term"),
    path(
        "<int:subscription_id>/billing-frequency/", views.change_frequency, name="change_frequency"
    ),
    path(
        "<int:subscription_id>/scheduled/remove/",
        views.scheduled_change_remove,
        name="scheduled_change_remove",
    ),
    path("<int:subscription_id>/assignments/", views.assign, name="assign"),
    path("assignments/<int:assignment_id>/remove/", views.unassign, name="unassign"),
    path("catalog/", views.catalog, name="catalog"),
    path("price-books/", views.price_books, name="price_books"),
    path("price-books/new/", views.price_book_create, name="price_book_create"),
    path("price-books/<int:price_book_id>/", views.price_book, name="price_book"),
    path(
        "price-rules/<int:price_rule_id>/remove/", views.price_rule_remove, name="price_rule_remove"
    ),
    path("transfers/", transfer_views.transfer_list, name="transfers"),
    path("transfers/new/", transfer_views.transfer_request, name="transfer_request"),
    path("transfers/<int:transfer_id>/", transfer_views.transfer_detail, name="transfer"),
    path(
        "transfers/<int:transfer_id>/cancel/",
        transfer_views.transfer_cancel,
        name="transfer_cancel",
    ),
    path(
        "transfers/incoming/<int:transfer_id>/",
        transfer_views.transfer_incoming,
        name="transfer_incoming",
    ),
    path(
        "transfers/incoming/<int:transfer_id>/decide/",
        transfer_views.transfer_decide,
        name="transfer_decide",
    ),
]

catalog_ops_patterns = [
    path("import/", views.ops_catalog_import, name="catalog_import"),
    path("sync/", views.ops_catalog_sync, name="catalog_sync"),
]

transfer_ops_patterns = [
    path("", transfer_views.ops_transfer_list, name="list"),
    path("<int:transfer_id>/", transfer_views.ops_transfer_detail, name="detail"),
]

provisioning_ops_patterns = [
    path("", views.ops_provisioning, name="list"),
    path("<int:subscription_id>/retry/", views.ops_provisioning_retry, name="retry"),
]

urlpatterns = [
    path("subscriptions/", include((reseller_patterns, "subscriptions"))),
    path("savings/", include(("subscriptions.insight.urls", "savings"))),
    path("ops/catalog/", include((catalog_ops_patterns, "subscriptions_ops"))),
    path("ops/transfers/", include((transfer_ops_patterns, "subscriptions_transfers_ops"))),
    path("ops/provisioning/", include((provisioning_ops_patterns, "provisioning_ops"))),
]
