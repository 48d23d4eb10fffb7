from django.urls import path

from hostsync import views

app_name = "hostsync"

urlpatterns = [
    path("", views.connection_list, name="connection-list"),
    path("<int:repository_id>/resync/", views.connection_resync, name="connection-resync"),
]
