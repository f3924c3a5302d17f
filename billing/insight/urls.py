from django.urls import path

from billing.insight import views

urlpatterns = [
    path("anomalies/", views.anomalies, name="anomalies"),
    path("budgets/", views.budgets, name="budgets"),
    path("budgets/<int:budget_id>/remove/", views.budget_remove, name="budget_remove"),
]
