from django.contrib import admin

from .models import Certificate, ServiceRecord, Team, TeamMembership, Volunteer, VolunteerEvent


class SkillInline(admin.TabularInline):
    from .models import VolunteerSkill

    model = VolunteerSkill
    extra = 0


class EventInline(admin.TabularInline):
    model = VolunteerEvent
    extra = 0
    readonly_fields = ("actor", "from_status", "to_status", "note", "created_at")
    can_delete = False


@admin.register(Volunteer)
class VolunteerAdmin(admin.ModelAdmin):
    list_display = ("real_name", "number", "site", "status", "hours", "star_level", "applied_at")
    list_filter = ("status", "star_level", "site__level")
    search_fields = ("real_name", "number", "mobile", "user__username")
    list_select_related = ("site",)
    raw_id_fields = ("user", "reviewed_by")
    autocomplete_fields = ("site",)
    readonly_fields = ("hours", "star_level", "status", "reviewed_by", "reviewed_at")
    inlines = [SkillInline, EventInline]


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    raw_id_fields = ("volunteer",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "kind", "category", "is_active")
    list_filter = ("kind", "category", "is_active")
    search_fields = ("name", "site__name")
    list_select_related = ("site",)
    inlines = [MembershipInline]


@admin.register(ServiceRecord)
class ServiceRecordAdmin(admin.ModelAdmin):
    list_display = ("volunteer", "service_date", "title", "site", "hours", "source_key")
    search_fields = ("volunteer__real_name", "title", "source_key")
    list_select_related = ("volunteer", "site")
    raw_id_fields = ("volunteer", "recorded_by")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # hours are derived from records: corrections go through services


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ("number", "volunteer", "issuing_site", "issued_on", "total_hours")
    search_fields = ("number", "volunteer__real_name")
    list_select_related = ("volunteer", "issuing_site")
    readonly_fields = ("number", "verification_code", "content")
    raw_id_fields = ("volunteer", "issued_by")
