from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from customers.models import Customer
from portal.context_processors import TRANSITION_GUIDE
from portal.decorators import member_required, staff_required
from portal.forms_utils import posted, posted_files
from portal.outcome import error_text
from portal.permissions import require
from portal.roles import role_can
from support import selectors, services
from support.forms import OpsReplyForm, OpsUpdateForm, ReplyForm, SupportPlanForm, TicketForm
from support.models import DistributorSupport, Ticket


def download(attachment):
    """Attachments always download; they are never rendered by the browser on our origin."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


# Reseller side


@member_required
def home(request):
    require(request.membership, "tickets.view")
    status = request.GET.get("status", "open")
    tickets = selectors.tickets_of(request.reseller)
    if status == "open":
        tickets = tickets.exclude(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
    page = Paginator(tickets, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "support/home.html",
        {"page": page, "status": status, "desk": DistributorSupport.load()},
    )


@member_required
def contact(request):
    """The distributor's support desk, for every member (the help menu links it)."""
    return render(
        request,
        "support/contact.html",
        {"desk": DistributorSupport.load(), "transition_guide": TRANSITION_GUIDE},
    )


@member_required
def ticket_create(request):
    require(request.membership, "tickets.open")
    customers = Customer.objects.filter(reseller=request.reseller)
    initial = {"category": request.GET.get("category")} if request.GET.get("category") else {}
    form = TicketForm(posted(request), posted_files(request), customers=customers, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_open(
                member=request.membership,
                subject=data["subject"],
                category=data["category"],
                priority=data["priority"],
                description=data["description"],
                customer=data["customer"],
                files=data["attachments"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Ticket #{ticket.pk} is open. First response by "
                f"{ticket.first_response_due_at:%Y-%m-%d %H:%M} UTC.",
            )
            return redirect("support:ticket", ticket_id=ticket.pk)
    return render(request, "support/ticket_create.html", {"form": form})


@member_required
def ticket(request, ticket_id):
    require(request.membership, "tickets.view")
    ticket = selectors.ticket_get(member=request.membership, ticket_id=ticket_id)
    form = ReplyForm(posted(request), posted_files(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.ticket_reply(
                member=request.membership,
                ticket=ticket,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Message sent to operations.")
            return redirect("support:ticket", ticket_id=ticket.pk)
    return render(
        request,
        "support/ticket.html",
        {
            "ticket": ticket,
            "thread": selectors.public_thread(ticket),
            "form": form,
            "reopen_until": services.reopen_deadline(ticket),
            "can_write": role_can(request.membership.role, "tickets.open"),
        },
    )


def _ticket_action(request, ticket_id, service, done):
    ticket = selectors.ticket_get(member=request.membership, ticket_id=ticket_id)
    try:
        service(member=request.membership, ticket=ticket)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, done)
    return redirect("support:ticket", ticket_id=ticket.pk)


@member_required
@require_POST
def ticket_resolve(request, ticket_id):
    return _ticket_action(request, ticket_id, services.ticket_resolve, "Ticket resolved.")


@member_required
@require_POST
def ticket_reopen(request, ticket_id):
    return _ticket_action(request, ticket_id, services.ticket_reopen, "Ticket reopened.")


@member_required
def attachment(request, attachment_id):
    return download(
        selectors.attachment_get(member=request.membership, attachment_id=attachment_id)
    )


@member_required
def plans(request):
    member = request.membership
    can_edit = role_can(member.role, "support.manage_plans")
    form = SupportPlanForm(posted(request))
    if request.method == "POST":
        require(member, "support.manage_plans")
        if form.is_valid():
            try:
                plan = services.support_plan_save(member=member, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Support plan “{plan.name}” created.")
                return redirect("support:plans")
    return render(
        request,
        "support/plans.html",
        {
            "plans": selectors.plans_of(member.reseller),
            "form": form,
            "can_edit": can_edit,
            "customers": selectors.customers_with_plans(member.reseller),
        },
    )


@member_required
def plan_edit(request, support_plan_id):
    member = request.membership
    plan = selectors.plan_get(member=member, support_plan_id=support_plan_id)
    form = SupportPlanForm(posted(request), instance=plan)
    if request.method == "POST":
        require(member, "support.manage_plans")
        if form.is_valid():
            changes = {f: form.cleaned_data[f] for f in form.changed_data}
            try:
                services.support_plan_save(member=member, plan=plan, **changes)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Support plan saved.")
                return redirect("support:plans")
    return render(
        request,
        "support/plan_edit.html",
        {"plan": plan, "form": form, "can_edit": role_can(member.role, "support.manage_plans")},
    )


@member_required
@require_POST
def customer_plan(request, customer_id):
    member = request.membership
    customer = selectors.customer_get(member=member, customer_id=customer_id)
    plan_id = request.POST.get("plan", "")
    plan = (
        selectors.plan_get(member=member, support_plan_id=int(plan_id))
        if plan_id.isdigit()
        else None
    )
    services.support_plan_assign(member=member, customer=customer, plan=plan)
    messages.success(request, f"{customer}: {plan.name if plan else 'no support plan'}.")
    return redirect(
        request.POST.get("next")
        if request.POST.get("next", "").startswith("/")
        and not request.POST["next"].startswith("//")
        else "support:plans"
    )


# Operations side (staff, all resellers)


@staff_required
def ops_queue(request):
    show = request.GET.get("show", "open")
    page = Paginator(selectors.ops_queue(show=show, staff_user=request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "support/ops_queue.html", {"page": page, "show": show})


@staff_required
def ops_ticket(request, ticket_id):
    ticket = selectors.ops_ticket_get(ticket_id)
    staff = get_user_model().objects.filter(is_staff=True, is_active=True)
    reply_form = OpsReplyForm(None)
    update_form = OpsUpdateForm(
        initial={"status": ticket.status, "assigned_to": ticket.assigned_to_id}, staff=staff
    )
    if request.method == "POST":
        try:
            if "body" in request.POST:
                reply_form = OpsReplyForm(request.POST, request.FILES)
                if reply_form.is_valid():
                    services.ticket_ops_reply(
                        user=request.user,
                        ticket=ticket,
                        body=reply_form.cleaned_data["body"],
                        internal=reply_form.cleaned_data["internal"],
                        files=reply_form.cleaned_data["attachments"],
                    )
                    messages.success(
                        request,
                        "Note added."
                        if reply_form.cleaned_data["internal"]
                        else "Answer sent to the reseller.",
                    )
                    return redirect("support_ops:ticket", ticket_id=ticket.pk)
            else:
                update_form = OpsUpdateForm(request.POST, staff=staff)
                if update_form.is_valid():
                    assignee = update_form.cleaned_data["assigned_to"]
                    services.ticket_ops_update(
                        user=request.user,
                        ticket=ticket,
                        status=update_form.cleaned_data["status"],
                        assigned_to=assignee,
                        unassign=assignee is None,
                    )
                    messages.success(request, "Ticket updated.")
                    return redirect("support_ops:ticket", ticket_id=ticket.pk)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
    return render(
        request,
        "support/ops_ticket.html",
        {
            "ticket": ticket,
            "thread": selectors.ops_thread(ticket),
            "reply_form": reply_form,
            "update_form": update_form,
        },
    )


@staff_required
def ops_attachment(request, attachment_id):
    return download(selectors.ops_attachment_get(attachment_id))
