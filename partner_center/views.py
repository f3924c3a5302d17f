from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from partner_center import services
from partner_center.auth import has_refresh_token
from partner_center.models import StoredToken
from portal.decorators import staff_required

FLOW = "partner_center_consent_flow"


@staff_required
def ops_connection(request):
    return render(
        request,
        "partner_center/ops_connection.html",
        {
            "connected": has_refresh_token(),
            "token": StoredToken.objects.filter(name="partner-center").first(),
        },
    )


@staff_required
@require_POST
def ops_connection_start(request):
    redirect_uri = request.build_absolute_uri(reverse("partner_center_ops:callback"))
    try:
        flow = services.connection_start(user=request.user, redirect_uri=redirect_uri)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("partner_center_ops:connection")
    request.session[FLOW] = flow
    return redirect(flow["auth_uri"])


@staff_required
def ops_connection_callback(request):
    try:
        services.connection_finish(
            user=request.user, flow=request.session.pop(FLOW, None), answer=request.GET.dict()
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            "Partner Center is connected: App+User tokens now come from the consent just given.",
        )
    return redirect("partner_center_ops:connection")
