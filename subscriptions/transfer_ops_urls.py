from django.urls import path

from subscriptions import transfer_views

app_name = "subscriptions_transfers_ops"

urlpatterns = [
    path("", transfer_views.ops_transfer_list, name="list"),
    path("<int:transfer_id>/", transfer_views.ops_transfer_detail, name="detail"),
]
