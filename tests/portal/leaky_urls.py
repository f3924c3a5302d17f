"""A deliberately broken URLconf: proves the isolation harness detects a leak."""

from django.http import HttpResponse
from django.urls import include, path
from django_scopes import scopes_disabled

from customers.models import Customer


def leaky_customer(request, customer_id):
    with scopes_disabled():
        return HttpResponse(Customer.objects.get(pk=customer_id).company_name)


urlpatterns = [
    path("leak/<int:customer_id>/", leaky_customer, name="leak"),
    path("", include("portal.urls")),
]
