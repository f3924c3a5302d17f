from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from portal.decorators import member_required, staff_required
from portal.models import Country
from portal.outcome import error_text
from portal.permissions import require
from portal.roles import role_can
from programs import selectors, services
from programs.forms import DecisionForm, RevokeForm
from programs.models import Program

# Reseller side


@member_required
def program_list(request):
    require(request.membership, "reseller.view")
    rows = selectors.program_rows(request.reseller)
    return render(
        request,
        "programs/list.html",
        {
            "available": [r for r in rows if r.program.status == Program.Status.AVAILABLE],
            "sunset": [r for r in rows if r.program.status == Program.Status.SUNSET],
            "unsupported": [r for r in rows if r.program.status == Program.Status.UNSUPPORTED],
            "missing": selectors.missing_prerequisites(request.reseller),
            "can_request": role_can(request.membership.role, "programs.request"),
            "history": selectors.requests_of(request.reseller)[:20],
        },
    )


@member_required
@require_POST
def program_request(request):
    program_id = request.POST.get("program", "")
    if not program_id.isdigit():
        raise Http404("No such program.")
    program = selectors.program_get(int(program_id))
    accepted = request.POST.get("accept_terms") == "on"
    try:
        services.program_request_create(
            member=request.membership,
            program=program,
            accepted_terms_version=request.POST.get("terms_version", "") if accepted else "",
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            f"Access to {program.name} requested. Operations will "
            "approve or reject it; you will be notified.",
        )
    return redirect("programs:list")


@member_required
def country_links(request):
    countries = selectors.link_countries()
    codes = [c for c, _ in countries]
    country = request.GET.get("country") or request.reseller.country
    if country not in codes:
        country = codes[0] if codes else request.reseller.country
    return render(
        request,
        "programs/links.html",
        {
            "countries": countries,
            "country": country,
            "country_label": Country(country).label if country in Country.values else country,
            "links": selectors.country_links(request.reseller, country),
        },
    )


# Operations side (staff, all resellers)


@staff_required
def ops_queue(request):
    show = "all" if request.GET.get("show") == "all" else "pending"
    page = Paginator(selectors.ops_requests(show=show), 50).get_page(request.GET.get("page"))
    return render(
        request, "programs/ops_queue.html", {"page": page, "show": show, "form": DecisionForm()}
    )


@staff_required
@require_POST
def ops_decide(request, program_request_id):
    program_request = selectors.ops_request_get(program_request_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("programs_ops:queue")
    try:
        if form.cleaned_data["decision"] == "approve":
            services.program_request_approve(user=request.user, program_request=program_request)
            messages.success(
                request, f"Approved {program_request.program} for {program_request.reseller}."
            )
        else:
            services.program_request_reject(
                user=request.user,
                program_request=program_request,
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request, f"Rejected {program_request.program} for {program_request.reseller}."
            )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect("programs_ops:queue")


@staff_required
@require_POST
def ops_revoke(request, program_request_id):
    program_request = selectors.ops_request_get(program_request_id)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the reseller a reason for revoking the program.")
    else:
        try:
            services.program_request_revoke(
                user=request.user,
                program_request=program_request,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request, f"Revoked {program_request.program} for {program_request.reseller}."
            )
    return redirect(f"{reverse('programs_ops:queue')}?show=all")
