"""Transfer pages: the target's requests (outgoing), the source's (incoming), operations'
page for providers outside the portal."""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from customers.models import Customer
from portal.decorators import member_required, staff_required
from portal.outcome import error_text
from portal.permissions import require
from portal.roles import role_can
from subscriptions.forms import TransferDecisionForm, TransferItemsForm, TransferStartForm
from subscriptions.transfers import services as transfers
from subscriptions.transfers.models import Transfer


@member_required
def transfer_list(request):
    incoming = request.GET.get("tab") == "incoming"
    reseller = request.reseller
    rows = (
        transfers.transfers_incoming(reseller)
        if incoming
        else transfers.transfers_outgoing(reseller)
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "subscriptions/transfers.html",
        {
            "page": page,
            "incoming": incoming,
            "can_request": role_can(request.membership.role, "orders.place"),
        },
    )


@member_required
def transfer_request(request):
    """Step 1 (customer + MPN ID) and step 2 (tick subscriptions listed by Partner Center) on
    one page: step 2 appears once step 1 is valid."""
    member = request.membership
    require(member, "orders.place")
    customers = Customer.objects.filter(reseller=member.reseller)
    source = request.POST if request.method == "POST" else (request.GET or None)
    start = TransferStartForm(source, customers=customers)
    items_form = listed = None
    if start.is_valid():
        customer = start.cleaned_data["customer"]
        try:
            listed = transfers.partner_center_subscriptions(customer)
        except ValidationError as exc:
            start.add_error(None, exc)
        else:
            choices = [(s.subscription_id, s.subscription_id) for s, _ in listed]
            items_form = TransferItemsForm(
                request.POST if request.method == "POST" else None,
                choices=choices,
                initial={"idempotency_key": uuid.uuid4().hex},
            )
            if request.method == "POST" and items_form.is_valid():
                try:
                    transfer = transfers.transfer_request(
                        member=member,
                        customer=customer,
                        source_partner_id=start.cleaned_data["source_partner_id"],
                        source_partner_tenant_id=start.cleaned_data["source_partner_tenant_id"],
                        source_partner_name=start.cleaned_data["source_partner_name"],
                        customer_email=start.cleaned_data["customer_email"],
                        subscription_ids=items_form.cleaned_data["subscription_ids"],
                        idempotency_key=items_form.cleaned_data["idempotency_key"],
                    )
                except ValidationError as exc:
                    items_form.add_error(None, exc)
                else:
                    messages.success(
                        request,
                        f"Transfer requested from partner "
                        f"{transfer.source_partner_id}; it expires on "
                        f"{transfer.expires_at:%Y-%m-%d} if unanswered.",
                    )
                    return redirect("subscriptions:transfer", transfer_id=transfer.pk)
    return render(
        request,
        "subscriptions/transfer_request.html",
        {
            "start": start,
            "items_form": items_form,
            "listed": listed,
            "max_items": Transfer.MAX_ITEMS,
            "chosen": set(items_form["subscription_ids"].value() or []) if items_form else set(),
        },
    )


def _detail(request, transfer, *, side, **extra):
    return render(
        request,
        "subscriptions/transfer_detail.html",
        {"transfer": transfer, "items": transfers.transfer_items(transfer), "side": side, **extra},
    )


@member_required
def transfer_detail(request, transfer_id):
    transfer = transfers.transfer_get_outgoing(member=request.membership, transfer_id=transfer_id)
    return _detail(
        request,
        transfer,
        side="target",
        can_cancel=transfer.is_pending and role_can(request.membership.role, "orders.place"),
    )


@member_required
@require_POST
def transfer_cancel(request, transfer_id):
    transfer = transfers.transfer_get_outgoing(member=request.membership, transfer_id=transfer_id)
    try:
        transfers.transfer_cancel(member=request.membership, transfer=transfer)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, "The transfer request was canceled.")
    return redirect("subscriptions:transfer", transfer_id=transfer.pk)


@member_required
def transfer_incoming(request, transfer_id):
    transfer = transfers.transfer_get_incoming(member=request.membership, transfer_id=transfer_id)
    can_decide = transfer.is_pending and role_can(request.membership.role, "transfers.decide")
    return _detail(
        request,
        transfer,
        side="source",
        can_decide=can_decide,
        decision_form=TransferDecisionForm(),
    )


def _decide(request, transfer, actor):
    form = TransferDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or decline.")
        return
    try:
        transfer = transfers.transfer_decide(
            actor=actor,
            transfer=transfer,
            approve=form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return
    if transfer.status == Transfer.Status.FAILED:
        messages.error(request, f"The transfer failed: {transfer.failure_message}")
    else:
        messages.success(request, f"The transfer is {transfer.get_status_display().lower()}.")


@member_required
@require_POST
def transfer_decide(request, transfer_id):
    transfer = transfers.transfer_get_incoming(member=request.membership, transfer_id=transfer_id)
    _decide(request, transfer, request.membership)
    return redirect("subscriptions:transfer_incoming", transfer_id=transfer.pk)


# Operations: requests whose current provider is outside the portal.


@staff_required
def ops_transfer_list(request):
    page = Paginator(transfers.transfers_external(), 50).get_page(request.GET.get("page"))
    return render(request, "subscriptions/ops_transfers.html", {"page": page})


@staff_required
def ops_transfer_detail(request, transfer_id):
    transfer = get_object_or_404(transfers.transfers_external(), pk=transfer_id)
    if request.method == "POST":
        _decide(request, transfer, request.user)
        return redirect("subscriptions_transfers_ops:detail", transfer_id=transfer.pk)
    return _detail(
        request,
        transfer,
        side="ops",
        can_decide=transfer.is_pending,
        decision_form=TransferDecisionForm(),
    )
