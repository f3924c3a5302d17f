"""The customer portal: end-customer contacts reach it through signed links, no account."""

from django.urls import path

from customers import views

app_name = "customer_portal"

urlpatterns = [
    path("mca/<str:token>/", views.mca_click_through, name="mca"),
    path("<str:token>/", views.portal_home, name="home"),
]
