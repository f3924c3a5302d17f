from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from customers.gdap import services
from customers.gdap.forms import RelationshipRequestForm
from customers.gdap.models import AdminRelationship
from customers.selectors import customer_get
from partner_center.errors import GatewayError
from portal.confirm import confirm_page
from portal.decorators import member_required
from portal.forms_utils import posted
from portal.outcome import act
from portal.permissions import require


def _relationship(request, customer_id, relationship_id) -> AdminRelationship:
    customer = customer_get(member=request.membership, customer_id=customer_id)
    return get_object_or_404(AdminRelationship, customer=customer, pk=relationship_id)


@member_required
def relationship_request(request, customer_id):
    member = request.membership
    require(member, "customers.edit")
    customer = customer_get(member=member, customer_id=customer_id)
    last = AdminRelationship.objects.exclude(security_group_id="").first()
    form = RelationshipRequestForm(
        posted(request),
        initial={"security_group_id": last.security_group_id if last else None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.relationship_request(
                member=member,
                customer=customer,
                role_ids=data["role_ids"],
                days=data["days"],
                auto_extend=data["auto_extend"],
                security_group_id=str(data["security_group_id"] or ""),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Admin relationship requested. Send {customer.contact_name} the approval link "
                "shown below (it is also in the customer portal).",
            )
            return redirect(
                reverse("customers:detail", kwargs={"customer_id": customer.pk}) + "#gdap"
            )
    return render(request, "customers/gdap/request.html", {"customer": customer, "form": form})


@member_required
@require_POST
def relationship_auto_extend(request, customer_id, relationship_id):
    rel = _relationship(request, customer_id, relationship_id)
    on = request.POST.get("auto_extend") == "1"
    return act(
        request,
        lambda: services.relationship_set_auto_extend(
            member=request.membership, relationship=rel, auto_extend=on
        ),
        success=(
            "Auto-extend is on: Microsoft extends the relationship by 180 days at its end."
            if on
            else "Auto-extend is off: the relationship ends on its end date."
        ),
        then="customers:detail",
        customer_id=customer_id,
    )


@member_required
@require_http_methods(["GET", "POST"])
def relationship_terminate(request, customer_id, relationship_id):
    """GET: what ending the relationship does, and a button that POSTs here."""
    rel = _relationship(request, customer_id, relationship_id)
    require(request.membership, "customers.edit")
    if request.method == "GET":
        return confirm_page(
            request,
            title=f"End admin access to {rel.customer}?",
            consequences=[
                f"The GDAP relationship {rel.display_name} ends at Microsoft now: your "
                "security group loses its roles in the customer's tenant.",
                "Licence use is no longer read from the tenant (seat savings fall back to "
                "the portal's seat assignments).",
                "Admin access again needs a new request the customer approves.",
            ],
            button="End admin access",
            back=reverse("customers:detail", kwargs={"customer_id": customer_id}) + "#gdap",
        )
    return act(
        request,
        lambda: services.relationship_terminate(member=request.membership, relationship=rel),
        success=lambda r: (
            f"Admin access ended: Microsoft has the relationship as "
            f"{r.get_status_display().lower()}."
        ),
        then="customers:detail",
        customer_id=customer_id,
    )


@member_required
@require_POST
def relationship_refresh(request, customer_id, relationship_id):
    rel = _relationship(request, customer_id, relationship_id)
    require(request.membership, "customers.edit")
    try:
        rel = services.relationship_poll(rel.pk)
    except GatewayError as exc:
        messages.error(request, f"Microsoft could not be asked: {exc.message}")
    else:
        messages.success(request, f"Status from Microsoft: {rel.get_status_display()}.")
    return redirect("customers:detail", customer_id=customer_id)


@member_required
@require_POST
def relationship_sandbox_approve(request, customer_id, relationship_id):
    rel = _relationship(request, customer_id, relationship_id)
    return act(
        request,
        lambda: services.sandbox_customer_approves(member=request.membership, relationship=rel),
        success="The sandbox customer approved: the relationship is active.",
        then="customers:detail",
        customer_id=customer_id,
    )
