# ruff: noqa: E501 - one entry per line reads as a table
"""Who gets what from every URL pattern: the expected outcome by role, for GET and POST.

Each entry reads "<default>; <roles>=<outcome>; ...": the outcome for every role not named, then exceptions.
Outcomes: ok (served, or redirected elsewhere than a login page), login (sent to a login page), or the status:
401, 403, 404, 405 for refusals; 400 and 409 where the caller got past the permission check and an empty request
was refused for its content. Roles: see tests/portal/matrix_world.py; "tokens" names every
API token role, "svc" the service account's tokens. The whole admin site is the one entry ADMIN_KEY, checked on
a few of its pages (Django's admin decides by `is_staff`).

New entry: run `PERMISSION_MATRIX_PRINT=1 pytest tests/portal/test_permission_matrix.py -s`, check the printed
line says what the endpoint should allow, and add it here.
"""

ADMIN_KEY = "admin/*"

ALIASES = {
    "tokens": ("svc_read", "svc_review", "svc_ci", "svc_incidents", "tok_admin"),
    "svc": ("svc_read", "svc_review", "svc_ci", "svc_incidents"),
}

MATRIX: dict[str, dict[str, str]] = {
    "login": {"GET": "ok", "POST": "ok"},
    "logout": {"GET": "405", "POST": "login"},
    "webhook-github": {"GET": "405", "POST": "401"},
    "webhook-gitlab": {"GET": "405", "POST": "401"},
    "webhook-pagerduty": {"GET": "405", "POST": "401"},
    "api-changes": {"GET": "ok; anon=401; svc_review,svc_ci,svc_incidents=403", "POST": "405; anon=401"},
    "api-change": {"GET": "ok; anon=401; svc_review,svc_ci,svc_incidents=403", "POST": "405; anon=401"},
    "api-change-reviews": {"GET": "405; anon=401", "POST": "400; anon=401; tokens,admin=403"},
    "api-change-checks": {
        "GET": "ok; anon=401; svc_review,svc_ci,svc_incidents=403",
        "POST": "403; anon=401; admin,svc_ci,tok_admin=400",
    },
    "api-engineers": {"GET": "ok; anon=401; svc_review,svc_ci,svc_incidents=403", "POST": "405; anon=401"},
    "api-engineer": {"GET": "ok; anon=401; svc_review,svc_ci,svc_incidents=403", "POST": "405; anon=401"},
    "api-engineer-away": {
        "GET": "405; anon=401",
        "POST": "403; anon=401; senior,manager,admin,tok_admin=ok; code_owner,other_manager,incident_reviewer,svc_review=404",
    },
    "api-engineer-queue": {
        "GET": "403; anon=401; senior,manager,admin,tok_admin=ok; code_owner,other_manager,incident_reviewer,svc_read=404",
        "POST": "405; anon=401",
    },
    "api-schema": {"GET": "ok; anon=401", "POST": "405; anon=401"},
    "api-docs": {"GET": "ok; anon=401", "POST": "405; anon=401"},
    "api-incidents": {
        "GET": "ok; anon=401; svc_review,svc_ci,svc_incidents=403",
        "POST": "403; anon=401; incident_reviewer,admin,svc_incidents,tok_admin=400",
    },
    "api-incident-suspects": {"GET": "ok; anon=401; svc_review,svc_ci,svc_incidents=403", "POST": "405; anon=401"},
    "api-incident-links": {
        "GET": "405; anon=401",
        "POST": "403; anon=401; incident_reviewer,admin,svc_incidents,tok_admin=400",
    },
    "api-deployments": {"GET": "405; anon=401", "POST": "403; anon=401; admin,svc_ci,tok_admin=400"},
    "incidents:incident-list": {"GET": "ok; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "incidents:incident-create": {
        "GET": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=ok",
        "POST": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=400",
    },
    "incidents:incident-detail": {"GET": "ok; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "incidents:incident-edit": {
        "GET": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=ok",
        "POST": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=400",
    },
    "incidents:incident-link": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=400",
    },
    "incidents:incident-suspects": {"GET": "ok; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "incidents:incident-decide": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=ok",
    },
    "incidents:timeline-add": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=400",
    },
    "incidents:coe-edit": {
        "GET": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=ok",
        "POST": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=ok",
    },
    "incidents:why-chain-add": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=400",
    },
    "incidents:why-chain-edit": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=400",
    },
    "incidents:action-add": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=400",
    },
    "incidents:action-update": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,incident_reviewer,admin=400; senior,code_owner,manager,other_manager=403",
    },
    "incidents:delivery-redeliver": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=ok",
    },
    "incidents:report-weekly": {
        "GET": "login; author,senior,code_owner=403; manager,other_manager,incident_reviewer,admin=ok",
        "POST": "405; tokens,anon=login",
    },
    "incidents:report-draft": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=400",
    },
    "incidents:report-detail": {
        "GET": "login; author,senior,code_owner=403; manager,other_manager,incident_reviewer,admin=ok",
        "POST": "405; tokens,anon=login",
    },
    "incidents:report-status": {
        "GET": "login; author,senior,code_owner=403; manager,other_manager,incident_reviewer,admin=ok",
        "POST": "405; tokens,anon=login",
    },
    "incidents:report-narrative": {
        "GET": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=ok",
        "POST": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=ok",
    },
    "incidents:report-finalise": {
        "GET": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=ok",
        "POST": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=ok",
    },
    "incidents:report-revise": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager=403; incident_reviewer,admin=ok",
    },
    "incidents:report-export": {
        "GET": "login; author,senior,code_owner=403; manager,other_manager,incident_reviewer,admin=409",
        "POST": "405; tokens,anon=login",
    },
    "hostsync:connection-list": {
        "GET": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=ok",
        "POST": "405; tokens,anon=login",
    },
    "hostsync:connection-resync": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=ok",
    },
    "notifications:inbox": {
        "GET": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=ok; admin=403",
        "POST": "405; tokens,anon=login",
    },
    "notifications:bell": {"GET": "ok; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "notifications:read-all": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=ok; admin=403",
    },
    "notifications:preferences": {
        "GET": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=ok; admin=403",
        "POST": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=400; admin=403",
    },
    "notifications:unsubscribe": {"GET": "ok", "POST": "ok"},
    "notifications:open": {
        "GET": "login; author=ok; senior,code_owner,manager,other_manager,incident_reviewer,admin=404",
        "POST": "405; tokens,anon=login",
    },
    "reviews:queue": {"GET": "ok; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "reviews:change-mine": {"GET": "ok; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "reviews:team-queue": {
        "GET": "login; author,incident_reviewer,admin=403; senior,code_owner,manager,other_manager=ok",
        "POST": "405; tokens,anon=login",
    },
    "reviews:engineer-away": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=ok; admin=403",
    },
    "reviews:profile": {"GET": "ok; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "reviews:profile-token": {"GET": "405; tokens,anon=login", "POST": "ok; tokens,anon=login"},
    "reviews:profile-token-revoke": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author=ok; senior,code_owner,manager,other_manager,incident_reviewer,admin=404",
    },
    "reviews:assignment-hand-back": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,manager,admin=403; senior=ok; code_owner,other_manager,incident_reviewer=404",
    },
    "reviews:assignment-reroute": {
        "GET": "login; author,senior=403; code_owner,other_manager,incident_reviewer=404; manager,admin=ok",
        "POST": "login; author,senior,admin=403; code_owner,other_manager,incident_reviewer=404; manager=ok",
    },
    "reviews:change-claim": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,incident_reviewer,admin=403; senior,code_owner,manager,other_manager=ok",
    },
    "reviews:change-detail": {"GET": "ok; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "reviews:change-review": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,incident_reviewer,admin=403; senior,code_owner,manager,other_manager=400",
    },
    "reviews:change-signoff-summary": {
        "GET": "login; author,incident_reviewer,admin=403; senior,code_owner,manager,other_manager=ok",
        "POST": "405; tokens,anon=login",
    },
    "reviews:change-set-author": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=ok",
    },
    "reviews:change-attest": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author=ok; senior,code_owner,manager,other_manager,incident_reviewer,admin=403",
    },
    "reviews:change-declare-ai": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author=400; senior,code_owner,manager,other_manager,incident_reviewer,admin=403",
    },
    "reviews:change-override-gate": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,incident_reviewer,admin=403; senior,code_owner,manager,other_manager=ok",
    },
    "reviews:change-resolve-ai-finding": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager=ok; incident_reviewer,admin=403",
    },
    "reviews:file-detail": {"GET": "ok; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "reviews:file-context": {"GET": "404; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "reviews:file-viewed": {"GET": "405; tokens,anon=login", "POST": "404; tokens,anon=login"},
    "reviews:change-interdiff": {"GET": "404; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "reviews:comment-new": {
        "GET": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=400; admin=403",
        "POST": "405; tokens,anon=login",
    },
    "reviews:comment-create": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=400; admin=403",
    },
    "reviews:comment-reply": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=400; admin=403",
    },
    "reviews:comment-resolve": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,incident_reviewer,admin=403; senior,code_owner,manager,other_manager=ok",
    },
    "reviews:comment-reopen": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,incident_reviewer,admin=403; senior,code_owner,manager,other_manager=ok",
    },
    "reviews:delivery-list": {
        "GET": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=ok",
        "POST": "405; tokens,anon=login",
    },
    "reviews:policy-detail": {"GET": "ok; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "reviews:policy-version": {"GET": "ok; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "reviews:whatif": {
        "GET": "login; author,senior,code_owner,incident_reviewer=403; manager,other_manager,admin=ok",
        "POST": "login; author,senior,code_owner,incident_reviewer=403; manager,other_manager,admin=400",
    },
    "reviews:whatif-run": {
        "GET": "login; author,senior,code_owner,incident_reviewer=403; manager,other_manager,admin=ok",
        "POST": "405; tokens,anon=login",
    },
    "insights:dashboard": {
        "GET": "login; author,senior,code_owner,incident_reviewer=403; manager,other_manager,admin=ok",
        "POST": "405; tokens,anon=login",
    },
    "insights:seniors": {
        "GET": "login; author,senior,code_owner,incident_reviewer=403; manager,other_manager,admin=ok",
        "POST": "405; tokens,anon=login",
    },
    "insights:quality": {
        "GET": "login; author,senior,code_owner=403; manager,other_manager,incident_reviewer,admin=ok",
        "POST": "405; tokens,anon=login",
    },
    "insights:knowledge": {
        "GET": "login; author,senior,code_owner,incident_reviewer=403; manager,other_manager,admin=ok",
        "POST": "405; tokens,anon=login",
    },
    "insights:change-list": {
        "GET": "login; author,senior,code_owner,incident_reviewer=403; manager,other_manager,admin=400",
        "POST": "405; tokens,anon=login",
    },
    "insights:sole-list": {
        "GET": "login; author,senior,code_owner,incident_reviewer=403; manager,other_manager,admin=ok",
        "POST": "405; tokens,anon=login",
    },
    "insights:knowledge-rebuild": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,incident_reviewer=403; manager,other_manager,admin=ok",
    },
    "admin/*": {"GET": "login; admin=ok", "POST": "login; admin=ok"},
    "healthz": {"GET": "ok", "POST": "405"},
    "readyz": {"GET": "ok", "POST": "405"},
    "metrics": {"GET": "ok", "POST": "405"},
    "home": {"GET": "ok; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "oidc_authentication_init": {"GET": "404", "POST": "405"},
    "oidc_authentication_callback": {"GET": "404", "POST": "405"},
    "api-incident": {"GET": "ok; anon=401; svc_review,svc_ci,svc_incidents=403", "POST": "405; anon=401"},
    "api-weekly-reports": {
        "GET": "403; anon=401; manager,other_manager,incident_reviewer,admin,svc_read,tok_admin=ok",
        "POST": "405; anon=401",
    },
    "api-weekly-report": {
        "GET": "403; anon=401; manager,other_manager,incident_reviewer,admin,svc_read,tok_admin=ok",
        "POST": "405; anon=401",
    },
    "api-weekly-report-md": {
        "GET": "403; anon=401; manager,other_manager,incident_reviewer,admin,svc_read,tok_admin=409",
        "POST": "405; anon=401",
    },
    "api-weekly-report-pdf": {
        "GET": "403; anon=401; manager,other_manager,incident_reviewer,admin,svc_read,tok_admin=409",
        "POST": "405; anon=401",
    },
    "api-dashboard": {
        "GET": "403; anon=401; manager,other_manager,incident_reviewer,admin,tok_admin=ok",
        "POST": "405; anon=401",
    },
    "^api/v1(?:/|$)": {"GET": "404", "POST": "404"},
    "navigation:overview": {
        "GET": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=ok",
        "POST": "405; tokens,anon=login",
    },
    "navigation:search": {"GET": "ok; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "reviews:policy-compare": {"GET": "404; tokens,anon=login", "POST": "405; tokens,anon=login"},
    "reviews:policy-draft-create": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=ok",
    },
    "reviews:policy-draft": {
        "GET": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=ok",
        "POST": "405; tokens,anon=login",
    },
    "reviews:policy-draft-rule-new": {
        "GET": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=ok",
        "POST": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=400",
    },
    "reviews:policy-draft-rule": {
        "GET": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=ok",
        "POST": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=400",
    },
    "reviews:policy-draft-rule-delete": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=ok",
    },
    "reviews:policy-draft-raw": {
        "GET": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=ok",
        "POST": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=400",
    },
    "reviews:policy-draft-publish": {
        "GET": "405; tokens,anon=login",
        "POST": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=400",
    },
    "reviews:policy-draft-preview": {
        "GET": "login; author,senior,code_owner,manager,other_manager,incident_reviewer=403; admin=ok",
        "POST": "405; tokens,anon=login",
    },
}
