"""What programs add to the portal frame (portal/frame.py)."""

from django.db.models import F
from django.urls import reverse

from portal.frame import Queue, Widget, first_and_count
from programs import selectors
from programs.models import ProgramRequest


def dashboard_widgets(request) -> list[Widget]:
    pending = ProgramRequest.objects.filter(
        reseller=request.membership.reseller, state=ProgramRequest.State.PENDING
    )
    # the card's fields only (as every attention card: fewer columns to compile and read);
    # the program's name read with the row, no program built
    rows, count = first_and_count(
        pending.only("requested_at").annotate(program_name=F("program__name"))
    )
    return [
        Widget("programs/_attention_requests.html", {"programs": rows, "programs_count": count})
    ]


def ops_queues() -> list[Queue]:
    return [Queue("Program requests", reverse("programs_ops:queue"), selectors.ops_pending_count())]
