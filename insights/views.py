"""The managers' dashboards, the change lists behind their numbers, and CSV exports of their tables.

Managers and staff see every dashboard; incident reviewers see the quality dashboard (and the changes behind
it); everyone else gets 403. Per-person figures of seniors are for the team's own manager (an engineer with
`is_manager` on that team) and staff. Each page renders in full, or its `dashboard-body` partial for htmx.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from insights import services
from insights.csvexport import csv_response
from insights.forms import DrillForm, ScopeForm, SoleForm
from insights.selectors import knowledge, pipeline, quality, seniors
from insights.selectors.drill import METRICS, drill_changes
from insights.selectors.scope import Scope
from insights.tables import TABLES
from portal.access.rules import may
from portal.enqueue import enqueue
from portal.htmx import is_fragment
from portal.ops.dbrouter import reads_from_replica

SECTIONS = {
    "pipeline": "Review pipeline",
    "seniors": "Seniors",
    "quality": "Quality",
    "knowledge": "Knowledge",
}
QUALITY_METRICS = {
    "deployed", "failed", "rubber_stamped", "host_approved", "non_owner", "missing_sign_off", "undeclared",
}  # fmt: skip
PAGE_SIZE = 50
CSV_MAX_ROWS = 100_000


def _is_manager(request: HttpRequest) -> bool:
    return may(request.user, "insights.view_dashboards")


def _may_see(request: HttpRequest, section: str) -> bool:
    return may(request.user, "insights.view_section", section)


def _per_person(request: HttpRequest, scope: Scope) -> bool:
    """Staff, or the manager of the team the dashboard is filtered to."""
    return may(request.user, "insights.view_person_figures", scope.team_id)


def _format(request: HttpRequest) -> str | None:
    """'html' or 'csv'; None for anything else."""
    value = request.GET.get("format", "html") or "html"
    return value if value in ("html", "csv") else None


def section_data(section: str, scope: Scope, *, per_person: bool) -> dict[str, Any]:
    """The plain-value figures of one dashboard section."""
    if section == "pipeline":
        return pipeline.pipeline_section(scope)
    if section == "seniors":
        return seniors.seniors_section(scope, per_person=per_person)
    if section == "quality":
        return quality.quality_section(scope)
    return knowledge.knowledge_section(scope, per_person=True)


def _render(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    name = template + "#dashboard-body" if is_fragment(request) else template
    return render(request, name, context, status=status)


@login_required
@require_GET
@reads_from_replica
def dashboard(request: HttpRequest, section: str = "pipeline") -> HttpResponse:
    """One dashboard, filtered by team, repository and period; `?format=csv&table=NAME` downloads a table."""
    if not _may_see(request, section):
        return HttpResponseForbidden("Dashboards are for managers; incident reviewers may see the quality one.")
    fmt = _format(request)
    form = ScopeForm(request.GET)
    context: dict[str, Any] = {
        "form": form,
        "section": section,
        "sections": [(name, label) for name, label in SECTIONS.items() if _may_see(request, name)],
        "title": SECTIONS[section],
    }
    if fmt is None or not form.is_valid():
        if fmt is None:
            form.add_error(None, "Unknown format: use html or csv.")
        return _render(request, "insights/dashboard.html", context, status=400)
    scope = form.scope()
    facts_at = services.facts_refresh_if_stale()
    began = time.perf_counter()
    data = section_data(section, scope, per_person=_per_person(request, scope))
    took = (time.perf_counter() - began) * 1000
    if fmt == "csv":
        tables = TABLES[section](data)
        table = request.GET.get("table", "")
        if table not in tables:
            return HttpResponseBadRequest(f"Unknown table {table!r}: choose one of {', '.join(sorted(tables))}.")
        header, rows = tables[table]
        start, end = scope.describe()["start_date"], scope.describe()["last_date"]
        return csv_response(f"countersign-{section}-{table}-{scope.team_slug}-{start}-{end}", header, rows)
    context.update(
        data=data, scope=scope.describe(), csv_query=form_query(request), build_ms=round(took), facts_at=facts_at
    )
    response = _render(request, "insights/dashboard.html", context)
    response["Server-Timing"] = f"build;dur={took:.1f}"
    return response


def form_query(request: HttpRequest) -> str:
    """The page's filters as a query string, without format, table and page."""
    params = request.GET.copy()
    for key in ("format", "table", "page"):
        params.pop(key, None)
    return params.urlencode()


@login_required
@require_GET
@reads_from_replica
def change_list(request: HttpRequest) -> HttpResponse:
    """The changes behind a number, paginated; `?format=csv` downloads them all."""
    form = DrillForm(request.GET)
    fmt = _format(request)
    metric = request.GET.get("metric", "")
    section = "quality" if metric in QUALITY_METRICS else "pipeline"
    if not _may_see(request, section):
        return HttpResponseForbidden("This list is for managers; incident reviewers may see the quality lists.")
    context: dict[str, Any] = {"form": form, "query": form_query(request)}
    if fmt is None or not form.is_valid():
        if fmt is None:
            form.add_error(None, "Unknown format: use html or csv.")
        return _render(request, "insights/change_list.html", context, status=400)
    scope = form.scope()
    params = {k: str(v) for k, v in form.cleaned_data.items() if k in ("ai", "bucket", "reviewer", "path") and v}
    if params.get("reviewer") and not _per_person(request, scope):
        return HttpResponseForbidden("Per-person lists are for the team's own manager: filter to your team.")
    services.facts_refresh_if_stale()
    rows = drill_changes(form.cleaned_data["metric"], scope, params)
    if fmt == "csv":
        header = [
            "id",
            "title",
            "repository",
            "author",
            "opened",
            "merged",
            "deployed",
            "ai_assisted",
            "lines",
            "state",
        ]
        data = (
            [
                c.pk,
                c.title,
                c.repository.name,
                c.author.display_name if c.author else c.author_name,
                c.opened_at.isoformat(),
                c.merged_at.isoformat() if c.merged_at else "",
                c.deployed_at.isoformat() if c.deployed_at else "",
                c.ai_assisted,
                c.lines_changed,
                c.state,
            ]
            for c in rows[:CSV_MAX_ROWS].iterator(chunk_size=2000)
        )
        describe = scope.describe()
        return csv_response(f"countersign-{metric}-{describe['start_date']}-{describe['last_date']}", header, data)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(
        page=page,
        changes=list(page.object_list),
        metric=METRICS[form.cleaned_data["metric"]],
        scope=scope.describe(),
        params=params,
    )
    return _render(request, "insights/change_list.html", context)


@login_required
@require_GET
@reads_from_replica
def sole_list(request: HttpRequest) -> HttpResponse:
    """Files or directories only one active person knows, from the newest snapshot; paginated, or CSV."""
    if not _is_manager(request):
        return HttpResponseForbidden("Dashboards are for managers.")
    form = SoleForm(request.GET)
    fmt = _format(request)
    context: dict[str, Any] = {"form": form, "query": form_query(request)}
    if fmt is None or not form.is_valid():
        if fmt is None:
            form.add_error(None, "Unknown format: use html or csv.")
        return _render(request, "insights/sole_list.html", context, status=400)
    scope = form.scope()
    directories = form.cleaned_data.get("directories") == "yes"
    rows = (
        knowledge.sole_knowledge(scope, directories=directories)
        .select_related("repository")
        .order_by("repository__name", "path")
    )
    if fmt == "csv":
        data = ([r.repository.name, r.path, r.person_name, r.as_of.isoformat()] for r in rows[:CSV_MAX_ROWS])
        kind = "directories" if directories else "files"
        return csv_response(f"countersign-known-by-one-{kind}", ["repository", "path", "known only by", "as of"], data)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(page=page, rows=list(page.object_list), directories=directories, scope=scope.describe())
    return _render(request, "insights/sole_list.html", context)


@login_required
@require_POST
def knowledge_rebuild(request: HttpRequest) -> HttpResponse:
    """Queue a rebuild of the knowledge snapshots now (managers and staff)."""
    if not _is_manager(request):
        return HttpResponseForbidden("Dashboards are for managers.")
    enqueue("insights.rebuild_knowledge")
    messages.success(request, "Knowledge snapshots are being rebuilt; reload in a minute.")
    return redirect("insights:knowledge")
