from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django_scopes import scopes_disabled

from portal.admin_site import AuditedModelAdmin
from programs import services
from programs.models import CountryProgramLink, Program, ProgramRequest


@admin.register(Program)
class ProgramAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "status", "requires", "sort_order"]
    list_filter = ["status"]
    search_fields = ["name", "code"]
    list_select_related = ["requires"]


@admin.register(CountryProgramLink)
class CountryProgramLinkAdmin(AuditedModelAdmin):
    list_display = ["country", "kind", "label", "url_template", "sort_order"]
    list_filter = ["country", "kind"]


@admin.register(ProgramRequest)
class ProgramRequestAdmin(admin.ModelAdmin):
    """Decisions go through the services (audit + notification), never a plain edit."""

    list_display = [
        "program",
        "reseller",
        "state",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["state", "program", "reseller"]
    search_fields = ["reseller__name", "program__name"]
    list_select_related = ["program", "reseller", "requested_by", "decided_by"]
    readonly_fields = [
        "reseller",
        "program",
        "state",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "reason",
    ]
    actions = ["approve_selected", "reject_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide_each(self, request, queryset, decide):
        done = 0
        with scopes_disabled():
            for program_request in queryset:
                try:
                    decide(program_request)
                except ValidationError as exc:
                    self.message_user(
                        request, f"{program_request}: {' '.join(exc.messages)}", messages.ERROR
                    )
                else:
                    done += 1
        return done

    @admin.action(description="Approve selected pending requests")
    def approve_selected(self, request, queryset):
        done = self._decide_each(
            request,
            queryset,
            lambda r: services.program_request_approve(user=request.user, program_request=r),
        )
        self.message_user(request, f"{done} request(s) approved.", messages.SUCCESS)

    @admin.action(description="Reject selected pending requests (asks for a reason)")
    def reject_selected(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if "confirm" in request.POST and reason:
            done = self._decide_each(
                request,
                queryset,
                lambda r: services.program_request_reject(
                    user=request.user, program_request=r, reason=reason
                ),
            )
            self.message_user(request, f"{done} request(s) rejected.", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/programs/programrequest/reject.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "requests": list(queryset),
                "reason_missing": "confirm" in request.POST,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "title": "Reject program requests",
            },
        )
