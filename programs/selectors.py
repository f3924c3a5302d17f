"""Reads of programs and requests; reseller reads are always scoped to one reseller."""

from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_scopes import scopes_disabled

from programs import links, rules
from programs.models import CountryProgramLink, Program, ProgramRequest


@dataclass
class ProgramRow:
    program: Program
    state: str  # available, pending, approved, rejected, sunset, unsupported
    state_label: str
    request: ProgramRequest | None  # the latest request, if any
    refusal: str | None  # why it cannot be requested now


def missing_prerequisites(reseller) -> list[str]:
    return rules.missing_prerequisites(
        partner_id=reseller.partner_id,
        mpa_accepted_on=reseller.mpa_accepted_on,
        partner_id_verified=reseller.partner_id_verified,
        today=timezone.now().date(),
    )


def requests_of(reseller):
    return ProgramRequest.objects.filter(reseller=reseller).select_related(
        "program", "requested_by", "terms_accepted_by"
    )


def program_rows(reseller) -> list[ProgramRow]:
    """Every program with this reseller's state of it (two queries)."""
    programs = list(Program.objects.select_related("requires"))
    latest: dict[int, ProgramRequest] = {}
    for req in requests_of(reseller).order_by("requested_at", "id"):
        latest[req.program_id] = req
    states = {pid: r.state for pid, r in latest.items()}
    open_states = {
        pid: s
        for pid, s in states.items()
        if s in (ProgramRequest.State.PENDING, ProgramRequest.State.APPROVED)
    }
    rows = []
    for p in programs:
        req = latest.get(p.pk)
        if p.status != Program.Status.AVAILABLE:
            state, label = p.status, p.get_status_display()
        elif req:
            state, label = req.state, req.get_state_display()
        else:
            state, label = "available", "Available"
        refusal = rules.request_refusal(
            status=p.status,
            status_label=p.get_status_display(),
            reason=p.reason,
            name=p.name,
            current_state=open_states.get(p.pk),
            prerequisite=p.requires.name if p.requires else None,
            prerequisite_state=states.get(p.requires_id) if p.requires_id else None,
        )
        rows.append(
            ProgramRow(program=p, state=state, state_label=label, request=req, refusal=refusal)
        )
    return rows


def program_get(program_id) -> Program:
    return get_object_or_404(Program, pk=program_id)


def link_countries() -> list[tuple[str, str]]:
    codes = set(CountryProgramLink.objects.values_list("country", flat=True))
    choices = CountryProgramLink._meta.get_field("country").choices or []
    return [(str(c), str(label)) for c, label in choices if c in codes]


def link_values(reseller) -> dict[str, str | None]:
    return {
        "providerTenantId": settings.PARTNER_CENTER_PROVIDER_TENANT_ID,
        "resellerPartnerId": reseller.partner_id,
        "resellerTenantId": str(reseller.tenant_id) if reseller.tenant_id else None,
    }


LINK_VALUE_LABELS = {
    "resellerPartnerId": "MPN/Partner ID",
    "resellerTenantId": "Microsoft tenant ID",
    "providerTenantId": "distributor tenant ID (operations setting)",
}


def country_links(reseller, country: str) -> list[dict]:
    """The links of one country, filled in with this reseller's IDs. A template using {dap}
    gets DAP=false: Microsoft retired delegated admin privileges (DAP); admin access to a
    customer's tenant is a GDAP relationship the customer approves on its own."""
    values = link_values(reseller)
    out = []
    for link in CountryProgramLink.objects.filter(country=country):
        variants = []
        dap: dict[str, str | None] = (
            {"dap": "false"} if "dap" in links.placeholders(link.url_template) else {}
        )
        variants.append(
            {
                "url": links.fill(link.url_template, values | dap),
                "note": "admin access through GDAP, not DAP" if dap else "",
            }
        )
        missing = [
            LINK_VALUE_LABELS.get(n, n)
            for n in links.missing_values(link.url_template, values | {"dap": "x"})
        ]
        out.append({"link": link, "variants": variants, "missing": missing})
    return out


# Operations (staff, all resellers)


def ops_requests(*, show: str = "pending"):
    with scopes_disabled():
        qs = ProgramRequest.objects.select_related(
            "reseller", "program", "requested_by", "decided_by", "revoked_by"
        )
        if show != "all":
            qs = qs.filter(state=ProgramRequest.State.PENDING)
        return qs.order_by("requested_at", "id") if show != "all" else qs


def ops_pending_count() -> int:
    with scopes_disabled():
        return ProgramRequest.objects.filter(state=ProgramRequest.State.PENDING).count()


def ops_request_get(program_request_id: int) -> ProgramRequest:
    with scopes_disabled():
        return get_object_or_404(
            ProgramRequest.objects.select_related("reseller", "program"), pk=program_request_id
        )
