from django.urls import path

from assignment import views as assignment_views
from intake import views as intake_views
from policy.views import editor as policy_editor
from policy.views import pages as policy_views
from reviews.views import changes, comments, diff, profile
from reviews.views import queue as queue_views

# The delivery log, the policy pages and the what-if pages belong to intake, policy and assignment; their URL names
# stay in the reviews namespace that templates and bookmarks already use.
app_name = "reviews"

urlpatterns = [
    path("queue/", queue_views.queue, name="queue"),
    path("changes/mine/", queue_views.my_changes, name="change-mine"),
    path("team/", queue_views.team_queue, name="team-queue"),
    path("me/away/", queue_views.engineer_away, name="engineer-away"),
    path("me/", profile.profile, name="profile"),
    path("me/token/", profile.profile_token, name="profile-token"),
    path("me/tokens/<int:token_id>/revoke/", profile.profile_token_revoke, name="profile-token-revoke"),
    path("assignments/<int:assignment_id>/hand-back/", queue_views.assignment_hand_back, name="assignment-hand-back"),
    path("assignments/<int:assignment_id>/reroute/", queue_views.assignment_reroute, name="assignment-reroute"),
    path("changes/<int:change_id>/claim/", queue_views.change_claim, name="change-claim"),
    path("changes/<int:change_id>/", changes.change_detail, name="change-detail"),
    path("changes/<int:change_id>/review/", changes.change_review, name="change-review"),
    path("changes/<int:change_id>/signoff-summary/", changes.change_signoff_summary, name="change-signoff-summary"),
    path("changes/<int:change_id>/author/", changes.change_set_author, name="change-set-author"),
    path("changes/<int:change_id>/attest/", changes.change_attest, name="change-attest"),
    path("changes/<int:change_id>/declare-ai/", changes.change_declare_ai, name="change-declare-ai"),
    path("changes/<int:change_id>/override-gate/", changes.change_override_gate, name="change-override-gate"),
    path(
        "changes/<int:change_id>/ai-findings/<int:finding_id>/resolve/",
        changes.change_resolve_ai_finding,
        name="change-resolve-ai-finding",
    ),
    path("changes/<int:change_id>/files/", diff.file_detail, name="file-detail"),
    path("changes/<int:change_id>/files/context/", diff.file_context, name="file-context"),
    path("changes/<int:change_id>/files/viewed/", diff.file_viewed, name="file-viewed"),
    path("changes/<int:change_id>/interdiff/", diff.change_interdiff, name="change-interdiff"),
    path("changes/<int:change_id>/comments/new/", comments.comment_new, name="comment-new"),
    path("changes/<int:change_id>/comments/", comments.comment_create, name="comment-create"),
    path("changes/<int:change_id>/comments/<int:comment_id>/reply/", comments.comment_reply, name="comment-reply"),
    path(
        "changes/<int:change_id>/comments/<int:comment_id>/resolve/", comments.comment_resolve, name="comment-resolve"
    ),
    path("changes/<int:change_id>/comments/<int:comment_id>/reopen/", comments.comment_reopen, name="comment-reopen"),
    path("deliveries/", intake_views.delivery_list, name="delivery-list"),
    path("policy/", policy_views.policy_detail, name="policy-detail"),
    path("policy/v<int:number>/", policy_views.policy_version, name="policy-version"),
    path("policy/compare/", policy_views.policy_compare, name="policy-compare"),
    path("policy/drafts/new/", policy_editor.draft_create, name="policy-draft-create"),
    path("policy/drafts/<int:draft_id>/", policy_editor.draft_detail, name="policy-draft"),
    path("policy/drafts/<int:draft_id>/rules/new/", policy_editor.draft_rule, name="policy-draft-rule-new"),
    path("policy/drafts/<int:draft_id>/rules/<int:number>/", policy_editor.draft_rule, name="policy-draft-rule"),
    path(
        "policy/drafts/<int:draft_id>/rules/<int:number>/delete/",
        policy_editor.draft_rule_delete,
        name="policy-draft-rule-delete",
    ),
    path("policy/drafts/<int:draft_id>/raw/", policy_editor.draft_raw, name="policy-draft-raw"),
    path("policy/drafts/<int:draft_id>/publish/", policy_editor.draft_publish, name="policy-draft-publish"),
    path("policy/drafts/<int:draft_id>/preview/", assignment_views.policy_draft_preview, name="policy-draft-preview"),
    path("whatif/", assignment_views.whatif, name="whatif"),
    path("whatif/<int:run_id>/", assignment_views.whatif_run, name="whatif-run"),
]
