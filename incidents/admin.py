from django.contrib import admin

from incidents.models import Incident, IncidentChangeLink


class LinkInline(admin.TabularInline):
    model = IncidentChangeLink
    raw_id_fields = ("change", "decided_by")
    extra = 0


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("title", "severity", "status", "started_at")
    list_filter = ("severity", "status")
    filter_horizontal = ("services",)
    inlines = [LinkInline]
