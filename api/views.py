"""The reseller's pages of the API: API keys (and webhook endpoints)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from api import selectors, services
from api.forms import ApiKeyForm
from portal.decorators import member_required
from portal.permissions import require


@member_required
def api_keys(request):
    member = request.membership
    require(member, "api_keys.manage")
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            api_key, new_key = services.api_key_create(
                member=member,
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                expires_at=form.expires_at(),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"API key “{api_key.name}” created. Copy it now: it is shown only this once.",
            )
            form = ApiKeyForm()
    return render(
        request,
        "api/keys.html",
        {"keys": selectors.api_keys_of(member.reseller), "form": form, "new_key": new_key},
        status=400 if form.errors else 200,
    )


@member_required
@require_POST
def api_key_revoke(request, api_key_id):
    member = request.membership
    api_key = selectors.api_key_get(member=member, api_key_id=api_key_id)
    services.api_key_revoke(member=member, api_key=api_key)
    messages.success(request, f"API key “{api_key.name}” revoked.")
    return redirect("api:keys")
