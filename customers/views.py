import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_scopes import scope
from django_tables2 import RequestConfig

from customers import agreement, links, selectors, services
from customers.filters import CustomerFilter
from customers.forms import CustomerForm, MarkLoggedForm, McaAcceptForm, TenantRelinkForm
from customers.gdap import selectors as gdap_selectors
from customers.tables import CustomerTable
from partner_center.auth import has_admin_credentials
from portal import frame
from portal.confirm import confirm_page
from portal.decorators import member_required, staff_required
from portal.forms_utils import posted
from portal.outcome import act, error_text
from portal.permissions import require
from portal.roles import role_can

PER_PAGE = 25


# Reseller side


@member_required
def customer_list(request):
    require(request.membership, "customers.view")
    customers = selectors.customers_of(request.reseller)
    filtered = CustomerFilter(request.GET, queryset=customers, request=request)
    table = CustomerTable(filtered.qs)
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    # without filters the pages' count is the total: one count, not two
    unfiltered = filtered.is_valid() and not any(filtered.form.cleaned_data.values())
    return render(
        request,
        "customers/list.html",
        {
            "filter": filtered,
            "table": table,
            "total": table.paginator.count if unfiltered else customers.count(),
            "can_edit": role_can(request.membership.role, "customers.edit"),
        },
    )


def _save_customer(request, form, save):
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.fields}
        try:
            return save(**data)
        except ValidationError as exc:
            form.add_error(None, exc)
    return None


@member_required
def customer_create(request):
    require(request.membership, "customers.edit")
    form = CustomerForm(posted(request), reseller=request.reseller)
    customer = _save_customer(
        request, form, lambda **data: services.customer_create(member=request.membership, **data)
    )
    if customer:
        messages.success(request, f"{customer} added. Next: send the MCA click-through.")
        return redirect("customers:detail", customer_id=customer.pk)
    return render(request, "customers/form.html", {"form": form, "customer": None})


@member_required
def customer_edit(request, customer_id):
    customer = selectors.customer_get(member=request.membership, customer_id=customer_id)
    require(request.membership, "customers.edit")
    # the form edits a copy: the service compares against the stored customer
    form = CustomerForm(posted(request), instance=copy.copy(customer))
    saved = _save_customer(
        request,
        form,
        lambda **data: services.customer_update(
            member=request.membership, customer=customer, **data
        ),
    )
    if saved:
        messages.success(request, f"{saved} saved.")
        return redirect("customers:detail", customer_id=saved.pk)
    return render(request, "customers/form.html", {"form": form, "customer": customer})


@member_required
def customer_detail(request, customer_id):
    member = request.membership
    require(member, "customers.view")
    customer = selectors.customer_get(member=member, customer_id=customer_id)
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "mca": selectors.mca_timeline(customer),
            "can_order": role_can(member.role, "orders.place"),
            "relationship_link": links.relationship_link(customer.reseller),
            "can_edit": role_can(member.role, "customers.edit"),
            "gdap": gdap_selectors.card(member, customer),
            "admin_account_waiting": bool(customer.tenant_id)
            and role_can(member.role, "customers.edit")
            and has_admin_credentials(str(customer.tenant_id)),
            # subscriptions, seats, support contact and plans: from the apps above (portal/frame.py)
            **frame.merged("customer_context", member, customer),
        },
    )


@member_required
@require_POST
def admin_account(request, customer_id):
    """The one-time admin account, in this answer only (never stored in messages or cache)."""
    customer = selectors.customer_get(member=request.membership, customer_id=customer_id)
    try:
        user_name, password = services.customer_admin_account_take(
            member=request.membership, customer=customer
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("customers:detail", customer_id=customer.pk)
    response = render(
        request,
        "customers/admin_account.html",
        {"customer": customer, "user_name": user_name, "password": password},
    )
    response["Cache-Control"] = "no-store"
    return response


def _customer_action(request, customer_id, action):
    customer = selectors.customer_get(member=request.membership, customer_id=customer_id)
    return act(
        request,
        lambda: action(customer),
        success=str,
        then="customers:detail",
        customer_id=customer.pk,
    )


@member_required
@require_POST
def mca_send(request, customer_id):
    def send(customer):
        invitation = services.mca_send(member=request.membership, customer=customer)
        return (
            f"MCA click-through sent to {invitation.sent_to}; the link expires on "
            f"{invitation.expires_at:%Y-%m-%d} (UTC). Earlier links no longer work."
        )

    return _customer_action(request, customer_id, send)


@member_required
@require_http_methods(["GET", "POST"])
def mca_revoke(request, customer_id):
    if request.method == "GET":
        require(request.membership, "customers.edit")
        customer = selectors.customer_get(member=request.membership, customer_id=customer_id)
        return confirm_page(
            request,
            title=f"Revoke the MCA link sent to {customer.contact_email}?",
            consequences=[
                "The link stops working: the customer can no longer accept the "
                "Microsoft Customer Agreement with it.",
                "Orders for this customer wait until a new link is sent and accepted.",
            ],
            button="Revoke the link",
            back=reverse("customers:detail", kwargs={"customer_id": customer.pk}),
        )

    def revoke(customer):
        services.mca_revoke(member=request.membership, customer=customer)
        return "The MCA link was revoked; it no longer works."

    return _customer_action(request, customer_id, revoke)


@member_required
@require_POST
def create_tenant(request, customer_id):
    def create(customer):
        customer = services.customer_create_in_partner_center(
            member=request.membership, customer=customer
        )
        return f"Microsoft tenant created in Partner Center: {customer.tenant_id}."

    return _customer_action(request, customer_id, create)


@member_required
@require_POST
def link_tenant(request, customer_id):
    def link(customer):
        customer = services.customer_link_tenant(member=request.membership, customer=customer)
        return f"Microsoft tenant linked from Partner Center: {customer.tenant_id}."

    return _customer_action(request, customer_id, link)


@member_required
@require_POST
def portal_link(request, customer_id):
    def send(customer):
        to = services.portal_link_send(
            member=request.membership, customer=customer, rotate=request.POST.get("rotate") == "1"
        )
        return f"Customer-portal link sent to {to}."

    return _customer_action(request, customer_id, send)


# Customer portal: no account, a signed link per customer


def _client_ip(request):
    # The proxy in front of gunicorn must set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR")


def _refused(request, refusal: services.LinkRefused):
    return render(
        request,
        "customers/portal/refused.html",
        {"message": refusal.message, "reseller": refusal.reseller},
        status=410,
    )


def mca_click_through(request, token):
    try:
        invitation = services.mca_invitation_for_token(token)
    except services.LinkRefused as refusal:
        return _refused(request, refusal)
    customer = invitation.customer
    form = McaAcceptForm(
        posted(request),
        initial={
            "first_name": customer.contact_first_name,
            "last_name": customer.contact_last_name,
            "email": customer.contact_email,
            "phone": customer.contact_phone,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            acceptance = services.mca_accept(
                token=token,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                phone=data["phone"],
                accepted=data["accept"],
                ip_address=_client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
            )
        except services.LinkRefused as refusal:
            return _refused(request, refusal)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return render(
                request,
                "customers/portal/accepted.html",
                {
                    "acceptance": acceptance,
                    "customer": customer,
                    "reseller": invitation.reseller,
                    "portal_token": links.portal_token(customer),
                },
            )
    return render(
        request,
        "customers/portal/mca.html",
        {
            "form": form,
            "customer": customer,
            "reseller": invitation.reseller,
            "invitation": invitation,
            "agreement": agreement.current(),
        },
    )


def portal_home(request, token):
    try:
        customer = services.customer_for_portal_token(token)
    except services.LinkRefused as refusal:
        return _refused(request, refusal)
    with scope(reseller=customer.reseller):
        acceptance = getattr(customer, "mca_acceptance", None) if customer.mca_accepted else None
        return render(
            request,
            "customers/portal/home.html",
            {
                "customer": customer,
                "reseller": customer.reseller,
                "acceptance": acceptance,
                "gdap_pending": gdap_selectors.pending_approval(customer),
                **frame.merged("customer_portal_context", customer),
            },
        )


# Operations


@staff_required
def ops_mca_queue(request):
    show = "logged" if request.GET.get("show") == "logged" else "pending"
    return render(
        request,
        "customers/ops_mca_queue.html",
        {
            "acceptances": selectors.mca_logging_queue(show=show),
            "show": show,
            "form": MarkLoggedForm(),
        },
    )


@staff_required
@require_POST
def ops_mca_mark_logged(request, acceptance_id):
    form = MarkLoggedForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Enter the Partner Center reference of the attestation.")
        acceptance = services.mca_mark_logged(
            user=request.user, acceptance_id=acceptance_id, reference=form.cleaned_data["reference"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"MCA of {acceptance.customer} marked as logged.")
    return redirect("customers_ops:mca_queue")


@staff_required
@require_POST
def ops_mca_log_with_gateway(request, acceptance_id):
    from partner_center.errors import GatewayError

    try:
        acceptance = services.mca_log_with_gateway(acceptance_id=acceptance_id, user=request.user)
    except (ValidationError, GatewayError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, f"Not logged: {text}")
    else:
        messages.success(
            request,
            f"MCA of {acceptance.customer} logged in Partner Center "
            f"({acceptance.partner_center_reference}).",
        )
    return redirect("customers_ops:mca_queue")


@staff_required
def ops_tenant_relink(request, customer_id):
    customer = selectors.ops_customer_get(customer_id)
    form = TenantRelinkForm(request.POST or None, initial={"tenant_id": customer.tenant_id})
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_relink_tenant(
                user=request.user,
                customer_id=customer.pk,
                tenant_id=form.cleaned_data["tenant_id"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"{customer} is linked to "
                f"{customer.tenant_id or 'no tenant'}; its MCA starts "
                "again.",
            )
            return redirect("customers_ops:tenant_relink", customer_id=customer.pk)
    return render(request, "customers/ops_tenant_relink.html", {"customer": customer, "form": form})
