from django.urls import path

from programs import views

app_name = "programs"

urlpatterns = [
    path("", views.program_list, name="list"),
    path("request/", views.program_request, name="request"),
    path("links/", views.country_links, name="links"),
]
