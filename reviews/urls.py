from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("changes/mine/", views.my_changes, name="change-mine"),
    path("team/", views.team_queue, name="team-queue"),
    path("me/away/", views.engineer_away, name="engineer-away"),
    path("me/", views.profile, name="profile"),
    path("me/token/", views.profile_token, name="profile-token"),
    path("assignments/<int:assignment_id>/hand-back/", views.assignment_hand_back, name="assignment-hand-back"),
    path("changes/<int:change_id>/claim/", views.change_claim, name="change-claim"),
    path("changes/<int:change_id>/", views.change_detail, name="change-detail"),
    path("changes/<int:change_id>/review/", views.change_review, name="change-review"),
    path("changes/<int:change_id>/signoff-summary/", views.change_signoff_summary, name="change-signoff-summary"),
    path("changes/<int:change_id>/author/", views.change_set_author, name="change-set-author"),
    path("changes/<int:change_id>/attest/", views.change_attest, name="change-attest"),
    path("changes/<int:change_id>/declare-ai/", views.change_declare_ai, name="change-declare-ai"),
    path("changes/<int:change_id>/override-gate/", views.change_override_gate, name="change-override-gate"),
    path("changes/<int:change_id>/files/", views.file_detail, name="file-detail"),
    path("changes/<int:change_id>/files/context/", views.file_context, name="file-context"),
    path("changes/<int:change_id>/files/viewed/", views.file_viewed, name="file-viewed"),
    path("changes/<int:change_id>/interdiff/", views.change_interdiff, name="change-interdiff"),
    path("changes/<int:change_id>/comments/new/", views.comment_new, name="comment-new"),
    path("changes/<int:change_id>/comments/", views.comment_create, name="comment-create"),
    path("changes/<int:change_id>/comments/<int:comment_id>/reply/", views.comment_reply, name="comment-reply"),
    path("changes/<int:change_id>/comments/<int:comment_id>/resolve/", views.comment_resolve, name="comment-resolve"),
    path("changes/<int:change_id>/comments/<int:comment_id>/reopen/", views.comment_reopen, name="comment-reopen"),
    path("deliveries/", views.delivery_list, name="delivery-list"),
    path("policy/", views.policy_detail, name="policy-detail"),
    path("policy/v<int:number>/", views.policy_version, name="policy-version"),
    path("deliveries/<int:delivery_id>/redeliver/", views.delivery_redeliver, name="delivery-redeliver"),
    path("whatif/", views.whatif, name="whatif"),
    path("whatif/<int:run_id>/", views.whatif_run, name="whatif-run"),
]
