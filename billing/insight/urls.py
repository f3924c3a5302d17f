from django.urls import path

from billing.insight import views

urlpatterns = [
    path("anomalies/", views.anomalies, name="anomalies"),
]
