from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, {"section": "pipeline"}, name="dashboard"),
    path("seniors/", views.dashboard, {"section": "seniors"}, name="seniors"),
    path("quality/", views.dashboard, {"section": "quality"}, name="quality"),
    path("knowledge/", views.dashboard, {"section": "knowledge"}, name="knowledge"),
    path("changes/", views.change_list, name="change-list"),
    path("knowledge/known-by-one/", views.sole_list, name="sole-list"),
    path("knowledge/rebuild/", views.knowledge_rebuild, name="knowledge-rebuild"),
]
