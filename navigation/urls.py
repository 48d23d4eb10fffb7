from django.urls import path

from navigation import views

app_name = "navigation"

urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("search/", views.search, name="search"),
]
