from django.urls import path

from subscriptions import views

app_name = "subscriptions"

urlpatterns = [
    path("catalog/", views.catalog, name="catalog"),
    path("price-books/", views.price_books, name="price_books"),
    path("price-books/new/", views.price_book_create, name="price_book_create"),
    path("price-books/<int:price_book_id>/", views.price_book, name="price_book"),
    path("price-rules/<int:price_rule_id>/remove/", views.price_rule_remove,
         name="price_rule_remove"),
]
