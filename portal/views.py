from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_scopes import scopes_disabled

from portal import frame, selectors, services
from portal.confirm import confirm_page
from portal.context_processors import TRANSITION_GUIDE
from portal.decorators import member_required, staff_required
from portal.forms import InvitationForm, ResellerProfileForm, ResellerRegisterForm, RoleForm
from portal.forms_utils import posted, posted_files
from portal.middleware import SESSION_RESELLER_KEY
from portal.models import AuditEvent, Invitation, Reseller, UpkeepFailure
from portal.outcome import error_text
from portal.permissions import require
from portal.roles import role_can


def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return redirect("account_login")


@member_required
def dashboard(request):
    member = request.membership
    reseller = member.reseller
    widgets = frame.collect("dashboard_widgets", request)
    figure_widgets = [w for w in widgets if w.section == "figures"]
    # a filter's swap gets the figures only; htmx restoring a page it no longer holds in its
    # history (HX-History-Restore-Request) puts the answer in the whole body: the full page
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "portal/_widgets.html", {"widgets": figure_widgets})
    # the latest notifications, the team card's counts and the bell's in one query; the
    # bell's count is left on the request for the context processor
    # (portal.context_processors.portal), which would otherwise count again
    notifications, counts = frame.rows_and_counts(
        selectors.notifications_for(member).only("pk", "title", "created_at", "read_at")[:5],
        "created_at DESC, id DESC",  # Notification's order
        members=selectors.members_of(reseller),
        invitations=selectors.pending_invitations(reseller),
        unread=selectors.unread_notifications(member),
    )
    request.unread_notifications = counts["unread"]
    return render(
        request,
        "portal/dashboard.html",
        {
            "figure_widgets": figure_widgets,
            "attention_widgets": [w for w in widgets if w.section == "attention"],
            "profile_missing": selectors.profile_missing(reseller),
            "member_count": counts["members"],
            "pending_invitations": counts["invitations"],
            "recent_notifications": notifications,
        },
    )


@member_required
def bench_hello(request):
    """A signed-in member's hello world: the middleware, session, sign-in and tenant scope of
    every page and nothing else (bench/pages_p95.py's floor; routed only with BENCH_HELLO)."""
    return HttpResponse(f"Hello, {request.reseller.name}", content_type="text/plain")


@login_required
def reseller_register(request):
    if request.membership is not None:
        return redirect("dashboard")
    form = ResellerRegisterForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            member = services.reseller_register(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            request.session[SESSION_RESELLER_KEY] = member.reseller_id
            messages.success(
                request, f"{member.reseller} is registered. Complete your partner profile next."
            )
            return redirect("profile")
    return render(request, "portal/register.html", {"form": form})


@member_required
def profile(request):
    member = request.membership
    editable = role_can(member.role, "reseller.edit_profile")
    form = ResellerProfileForm(
        posted(request), posted_files(request), instance=Reseller.objects.get(pk=member.reseller_id)
    )
    if request.method == "POST":
        require(member, "reseller.edit_profile")
        if form.is_valid():
            changes = {f: form.cleaned_data[f] for f in form.changed_data}
            try:
                services.reseller_update_profile(member=member, **changes)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Partner profile saved.")
                return redirect("profile")
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    return render(request, "portal/profile.html", {"form": form, "editable": editable})


@member_required
def members(request):
    member = request.membership
    return render(
        request,
        "portal/members.html",
        {
            "members": selectors.members_of(member.reseller),
            "invitations": selectors.pending_invitations(member.reseller),
            "invite_form": InvitationForm(),
            "role_form": RoleForm(),
        },
    )


@member_required
@require_POST
def member_invite(request):
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            services.invitation_create(member=request.membership, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("members")


@member_required
@require_POST
def invitation_revoke(request, invitation_id):
    invitation = selectors.invitation_get(member=request.membership, invitation_id=invitation_id)
    try:
        services.invitation_revoke(member=request.membership, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"Invitation of {invitation.email} revoked.")
    return redirect("members")


@member_required
@require_POST
def member_change_role(request, membership_id):
    target = selectors.membership_get(member=request.membership, membership_id=membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles offered.")
        return redirect("members")
    try:
        services.membership_change_role(
            member=request.membership, target=target, role=form.cleaned_data["role"]
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"{target.user.email} is now {target.get_role_display()}.")
    return redirect("members")


@member_required
@require_http_methods(["GET", "POST"])
def member_remove(request, membership_id):
    target = selectors.membership_get(member=request.membership, membership_id=membership_id)
    if request.method == "GET":
        require(request.membership, "members.manage")
        return confirm_page(
            request,
            title=f"Remove {target.user.email} from {target.reseller.name}?",
            consequences=[
                f"{target.user.email} ({target.get_role_display()}) loses access to "
                f"{target.reseller.name} at once; what they did stays in the "
                "activity log.",
                "To let them back, invite them again.",
            ],
            button="Remove the member",
            back=reverse("members"),
        )
    try:
        services.membership_remove(member=request.membership, target=target)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"{target.user.email} no longer has access.")
    return redirect("members")


def invitation(request, token):
    """The link in an invitation e-mail. Anyone holding it sees whom it invites;
    only the invited e-mail address, signed in, can accept it."""
    invitation = selectors.invitation_by_token(token)
    if invitation is None:
        raise Http404("No such invitation.")
    if request.method == "POST" and request.user.is_authenticated:
        try:
            membership = services.invitation_accept(user=request.user, token=token)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            request.session[SESSION_RESELLER_KEY] = membership.reseller_id
            messages.success(request, f"Welcome to {membership.reseller}.")
            return redirect("dashboard")
    usable = invitation.state == Invitation.State.PENDING and not invitation.is_expired()
    email_matches = (
        request.user.is_authenticated and request.user.email.lower() == invitation.email.lower()
    )
    return render(
        request,
        "portal/invitation.html",
        {
            "invitation": invitation,
            "usable": usable,
            "email_matches": email_matches,
        },
    )


@login_required
@require_POST
def switch_reseller(request):
    wanted = request.POST.get("reseller", "")
    match = next((m for m in request.memberships if str(m.reseller_id) == wanted), None)
    if match is None:
        raise Http404("You are not a member of that reseller.")
    request.session[SESSION_RESELLER_KEY] = match.reseller_id
    messages.info(request, f"You are now working for {match.reseller}.")
    return redirect("dashboard")


@member_required
def notifications(request):
    page = Paginator(selectors.notifications_for(request.membership), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/notifications.html", {"page": page})


@member_required
@require_POST
def notifications_read_all(request):
    count = services.notifications_mark_read(member=request.membership)
    messages.info(request, f"{count} notification(s) marked read.")
    return redirect("notifications")


@member_required
def notification_open(request, notification_id):
    note = selectors.notifications_for(request.membership).filter(pk=notification_id).first()
    if note is None:
        raise Http404("No such notification.")
    services.notifications_mark_read(member=request.membership, notification_ids=[note.pk])
    target = note.url if url_has_allowed_host_and_scheme(note.url, allowed_hosts=None) else ""
    return redirect(target or reverse("notifications"))


@member_required
def activity(request):
    require(request.membership, "audit.view")
    page = Paginator(selectors.audit_events_for(request.reseller), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/activity.html", {"page": page})


@require_safe
def help_page(request):
    return render(
        request,
        "portal/help.html",
        {"transition_guide": TRANSITION_GUIDE, **frame.merged("help_context", request)},
    )


@staff_required
def ops_home(request):
    with scopes_disabled():
        resellers = Reseller.objects.annotate(member_count=Count("memberships")).order_by("name")
        events = AuditEvent.objects.select_related("actor", "reseller")[:30]
        queues = [
            frame.Queue(
                "Upkeep failures",
                reverse("ops:upkeep_failures"),
                count=UpkeepFailure.objects.filter(resolved_at=None).count(),
                note="rows the scheduled jobs could not process",
            )
        ]
        return render(
            request,
            "ops/home.html",
            {
                "resellers": resellers,
                "events": events,
                "queues": queues + frame.collect("ops_queues"),
            },
        )


@staff_required
@require_safe
def ops_upkeep_failures(request):
    """Rows the scheduled jobs could not process, open ones first, with the reason."""
    return render(
        request, "ops/upkeep_failures.html", {"failures": selectors.ops_upkeep_failures()}
    )


@staff_required
@require_POST
def ops_verify_partner_id(request, reseller_id):
    try:
        reseller = services.reseller_verify_partner_id(user=request.user, reseller_id=reseller_id)
    except Reseller.DoesNotExist:
        raise Http404("No such reseller.") from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"MPN/Partner ID {reseller.partner_id} of {reseller} verified.")
    return redirect("ops:home")
