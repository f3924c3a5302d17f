"""The Webhooks pages of a reseller (owners and admins): endpoints, their secret (shown once,
rotatable) and the delivery log with redelivery."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from portal.decorators import member_required
from portal.permissions import require
from webhooks import selectors, services
from webhooks.forms import EndpointForm


@member_required
def endpoints(request):
    member = request.membership
    require(member, "webhooks.manage")
    form = EndpointForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, new_secret = services.webhook_endpoint_create(
                member=member, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error("url", " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"Endpoint {endpoint.url} created. Copy its secret now: it is shown only once.",
            )
            form = EndpointForm()
    return render(
        request,
        "webhooks/endpoints.html",
        {
            "endpoints": selectors.webhook_endpoints_of(member.reseller),
            "form": form,
            "new_secret": new_secret,
        },
        status=400 if form.errors else 200,
    )


def _fields(endpoint) -> dict:
    return {f: getattr(endpoint, f) for f in ("url", "description", "events", "enabled")}


def _endpoint_page(request, endpoint, form, *, new_secret=None):
    rows = selectors.webhook_deliveries_of(request.membership.reseller, endpoint=endpoint)
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    context = {"endpoint": endpoint, "form": form, "page": page, "new_secret": new_secret}
    return render(request, "webhooks/endpoint.html", context, status=400 if form.errors else 200)


@member_required
def endpoint(request, endpoint_id):
    member = request.membership
    require(member, "webhooks.manage")
    endpoint = selectors.webhook_endpoint_get(member=member, endpoint_id=endpoint_id)
    form = EndpointForm(request.POST or None, initial=_fields(endpoint))
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_endpoint_update(member=member, endpoint=endpoint, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("url", " ".join(exc.messages))
        else:
            messages.success(request, "Endpoint saved.")
            return redirect("webhooks:endpoint", endpoint_id=endpoint.pk)
    return _endpoint_page(request, endpoint, form)


@member_required
@require_POST
def endpoint_rotate(request, endpoint_id):
    member = request.membership
    endpoint = selectors.webhook_endpoint_get(member=member, endpoint_id=endpoint_id)
    secret = services.webhook_endpoint_rotate_secret(member=member, endpoint=endpoint)
    messages.success(
        request,
        "New secret made. Copy it now: it is shown only this once; the previous one keeps "
        "signing for 24 hours.",
    )
    return _endpoint_page(
        request, endpoint, EndpointForm(initial=_fields(endpoint)), new_secret=secret
    )


@member_required
@require_POST
def endpoint_delete(request, endpoint_id):
    member = request.membership
    endpoint = selectors.webhook_endpoint_get(member=member, endpoint_id=endpoint_id)
    services.webhook_endpoint_delete(member=member, endpoint=endpoint)
    messages.success(request, f"Endpoint {endpoint.url} deleted.")
    return redirect("webhooks:endpoints")


@member_required
@require_POST
def delivery_redeliver(request, endpoint_id, delivery_id):
    member = request.membership
    endpoint = selectors.webhook_endpoint_get(member=member, endpoint_id=endpoint_id)
    delivery = selectors.webhook_delivery_get(
        member=member, delivery_id=delivery_id, endpoint=endpoint
    )
    try:
        services.webhook_delivery_redeliver(member=member, delivery=delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Event {delivery.event.type} queued for redelivery.")
    return redirect("webhooks:endpoint", endpoint_id=endpoint.pk)
