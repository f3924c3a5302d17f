from django.urls import path

from subscriptions.insight import views

urlpatterns = [
    path("", views.savings, name="savings"),
    path("export.csv", views.savings_csv, name="savings_csv"),
    path("card/", views.savings_card, name="card"),
    path("<int:subscription_id>/decrease/", views.savings_decrease, name="savings_decrease"),
]
