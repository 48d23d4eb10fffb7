"""URLs of the reviews app's API (under /api/v1/)."""

from django.urls import path

from reviews.api import changes, checks, people

urlpatterns = [
    path("changes/", changes.ChangeList.as_view(), name="api-changes"),
    path("changes/<int:change_id>/", changes.ChangeDetail.as_view(), name="api-change"),
    path("changes/<int:change_id>/reviews/", changes.ChangeReviews.as_view(), name="api-change-reviews"),
    path("changes/<int:change_id>/checks/", checks.ChangeChecks.as_view(), name="api-change-checks"),
    path("engineers/", people.EngineerList.as_view(), name="api-engineers"),
    path("engineers/<int:engineer_id>/", people.EngineerDetail.as_view(), name="api-engineer"),
    path("engineers/<int:engineer_id>/away/", people.EngineerAway.as_view(), name="api-engineer-away"),
    path("engineers/<int:engineer_id>/queue/", people.EngineerQueue.as_view(), name="api-engineer-queue"),
]
