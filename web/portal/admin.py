"""The Django admin (in Vietnamese): read-only views of the record and the audit trail, which are append-only."""

from django.contrib import admin

from web.portal.models import Account, Assessment, Assignment, AuditEvent, Entry, Submission, Unit, Unlock, Upload


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "block", "state"]
    readonly_fields = ["criteria_file", "criteria_name", "criteria_sha256", "state", "finalised_at", "published_at"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "area", "level", "assessment"]
    list_filter = ["assessment", "area"]
    search_fields = ["code", "name"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "unit", "full_name"]
    list_filter = ["role"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["appraiser", "unit", "area", "criterion", "assessment"]


@admin.register(Entry)
class EntryAdmin(ReadOnly):
    list_display = ["unit", "seq", "round", "criterion", "points", "by_name", "at"]
    list_filter = ["round", "role"]


@admin.register(AuditEvent)
class AuditAdmin(ReadOnly):
    list_display = ["at", "username", "action", "unit", "criterion", "old", "new"]
    list_filter = ["action"]


@admin.register(Upload)
class UploadAdmin(ReadOnly):
    list_display = ["original_name", "unit", "kind", "size", "sha256", "uploaded_at"]


admin.site.register(Submission, ReadOnly)
admin.site.register(Unlock, ReadOnly)
