from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from billing.usage import selectors, services
from billing.usage.forms import UsageFetchForm, UsageUploadForm
from portal.decorators import member_required, staff_required
from portal.forms_utils import posted, posted_files
from portal.permissions import require
from portal.roles import role_can

POLL_SECONDS = 2  # how often an import's page asks for its progress


def _detail_context(usage_import):
    return {
        "imp": usage_import,
        "task_state": selectors.task_state(usage_import),
        "marketplace": selectors.usage_import_marketplace_lines(usage_import)
        if usage_import.marketplace_lines
        else [],
        "poll_seconds": POLL_SECONDS,
    }


@member_required
def usage_imports(request):
    member = request.membership
    require(member, "billing.view_money")
    can_import = role_can(member.role, "usage.import")
    form = UsageUploadForm(posted(request), posted_files(request))
    if request.method == "POST":
        require(member, "usage.import")
        if form.is_valid():
            imp = services.usage_import_upload(member=member, file=form.cleaned_data["file"])
            return redirect("billing:usage_import", usage_import_id=imp.pk)
    page = Paginator(selectors.usage_imports_of(request.reseller), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "billing/usage_imports.html",
        {"page": page, "form": form, "can_import": can_import},
    )


@member_required
def usage_import(request, usage_import_id):
    require(request.membership, "billing.view_money")
    imp = selectors.usage_import_get(member=request.membership, usage_import_id=usage_import_id)
    return render(request, "billing/usage_import.html", _detail_context(imp))


@member_required
def usage_import_status(request, usage_import_id):
    """The htmx partial polled every 2 s until the import has finished."""
    require(request.membership, "billing.view_money")
    imp = selectors.usage_import_get(member=request.membership, usage_import_id=usage_import_id)
    return render(
        request,
        "billing/_usage_import_status.html",
        {**_detail_context(imp), "status_url": request.path},
    )


@staff_required
def ops_usage_imports(request):
    upload = UsageUploadForm(None)
    fetch = UsageFetchForm(None)
    if request.method == "POST":
        try:
            if "start" in request.POST:
                fetch = UsageFetchForm(request.POST)
                if fetch.is_valid():
                    imp = services.usage_fetch_start(user=request.user, **fetch.cleaned_data)
                    return redirect("billing_ops:usage_import", usage_import_id=imp.pk)
            else:
                upload = UsageUploadForm(request.POST, request.FILES)
                if upload.is_valid():
                    imp = services.usage_import_upload_ops(
                        user=request.user, file=upload.cleaned_data["file"]
                    )
                    return redirect("billing_ops:usage_import", usage_import_id=imp.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    page = Paginator(selectors.ops_usage_imports(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "billing/ops_usage_imports.html",
        {
            "page": page,
            "form": upload,
            "fetch_form": fetch,
            "graph_pull": services.last_graph_pull(),
        },
    )


@staff_required
def ops_usage_import(request, usage_import_id):
    imp = selectors.ops_usage_import_get(usage_import_id)
    return render(request, "billing/ops_usage_import.html", _detail_context(imp))


@staff_required
def ops_usage_import_status(request, usage_import_id):
    imp = selectors.ops_usage_import_get(usage_import_id)
    return render(
        request,
        "billing/_usage_import_status.html",
        {**_detail_context(imp), "status_url": request.path},
    )
