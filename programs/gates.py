"""Program gates (DESIGN "Programs"): program access is authorization.

Until "Microsoft Azure Reseller Program" is approved a reseller may not onboard customers or
transact; Azure plan purchases need "Microsoft Azure Plan", Modern Workplace (legacy licence)
purchases "Microsoft Modern Workplace"; every other product needs the base program. The
services call `require_programs` / `require_program_for_product`; a refusal names the program
to request and links the Programs page. Revoking an approval stops new transactions; existing
subscriptions are left alone (renewals, cancellations and decreases go on).
"""

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_scopes import scopes_disabled

from programs.defaults import BASE
from programs.models import Program, ProgramRequest

AZURE_PLAN = "azure-plan"
MODERN_WORKPLACE = "modern-workplace"

# Product type code -> programs that must be approved, the base program first.
PRODUCT_PROGRAMS = {
    "azure-plan": (BASE, AZURE_PLAN),
    "azure-legacy": (BASE, AZURE_PLAN),
    "modern-workplace-legacy": (BASE, MODERN_WORKPLACE),
}


class ProgramRequired(PermissionDenied):
    """The reseller lacks an approved program; `program` names it, `link_url` is where to
    request it (shown on the 403 page)."""

    link_text = "Request it on the Programs page"

    def __init__(self, message: str, *, program: Program):
        super().__init__(message)
        self.program = program
        self.link_url = reverse("programs:list")


def programs_for_product(product_type_code: str) -> tuple[str, ...]:
    return PRODUCT_PROGRAMS.get(product_type_code, (BASE,))


def _why_not(program: Program, latest: ProgramRequest | None) -> str:
    if latest is None or latest.state == ProgramRequest.State.APPROVED:
        return f"{program.name} is not approved for you"
    if latest.state == ProgramRequest.State.PENDING:
        return f"Your request for {program.name} is still pending with operations"
    if latest.state == ProgramRequest.State.REVOKED:
        return (
            f"Operations revoked your access to {program.name} on "
            f"{latest.revoked_at:%Y-%m-%d} ({latest.reason})"
        )
    return f"Operations rejected your request for {program.name} ({latest.reason})"


def require_programs(reseller, codes, *, action: str) -> None:
    """Raise ProgramRequired naming the first of `codes` the reseller has not approved."""
    with scopes_disabled():  # gates also run in tasks and ops services; filtered by reseller
        requests = (
            ProgramRequest.objects.filter(reseller_id=reseller.pk, program__code__in=codes)
            .select_related("program")
            .order_by("requested_at", "id")
        )
        latest = {r.program.code: r for r in requests}
        for code in codes:
            request = latest.get(code)
            if request is None or request.state != ProgramRequest.State.APPROVED:
                program = request.program if request else Program.objects.get(code=code)
                raise ProgramRequired(
                    f"{_why_not(program, request)}: request {program.name} on the Programs "
                    f"page before you {action}.",
                    program=program,
                )


def require_program_for_product(reseller, product_type, *, action: str) -> None:
    require_programs(reseller, programs_for_product(product_type.code), action=action)
