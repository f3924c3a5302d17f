"""Scheduled (beat) jobs go row by row: each row in its own transaction; any exception of one
row is recorded as an `UpkeepFailure` (listed on the Operations page, its reseller told once)
and the job goes on with the next row. A row that succeeds again closes its open failure."""

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from portal.models import Membership, Reseller, UpkeepFailure
from portal.notifications import notify
from portal.roles import Role

logger = logging.getLogger(__name__)


def reason_of(exc: BaseException) -> str:
    """What went wrong, for people: a ValidationError's messages, else the exception's type
    and text."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def each_row(job: str, model, pks: Iterable, work: Callable[[Any], Any]) -> tuple[list, int]:
    """Run `work(pk)` for each of `pks` (rows of `model`), each in its own transaction.
    Returns (the results of the rows that went through, the number that failed)."""
    pks = list(pks)
    object_type = model._meta.label_lower
    with scopes_disabled():
        open_failures = set(
            UpkeepFailure.objects.filter(
                job=job, object_type=object_type, resolved_at=None
            ).values_list("object_id", flat=True)
        )
    results, failed = [], 0
    for pk in pks:
        try:
            with transaction.atomic():
                results.append(work(pk))
        except Exception as exc:
            logger.exception("%s: %s %s failed", job, object_type, pk)
            record_failure(job, model, pk, reason_of(exc))
            failed += 1
        else:
            if str(pk) in open_failures:
                with scopes_disabled():
                    UpkeepFailure.objects.filter(
                        job=job, object_type=object_type, object_id=str(pk), resolved_at=None
                    ).update(resolved_at=timezone.now())
    return results, failed


@transaction.atomic
def record_failure(job: str, model, pk, reason: str) -> UpkeepFailure:
    """Record (or count again) that `job` could not process row `pk` of `model`; the first
    time, the row's reseller's owners are told."""
    now = timezone.now()
    with scopes_disabled():
        obj = model.objects.filter(pk=pk).first()
        reseller = obj if isinstance(obj, Reseller) else getattr(obj, "reseller", None)
        failure = (
            UpkeepFailure.objects.select_for_update()
            .filter(
                job=job, object_type=model._meta.label_lower, object_id=str(pk), resolved_at=None
            )
            .first()
        )
        if failure is not None:
            failure.attempts += 1
            failure.last_at, failure.reason = now, reason
            failure.save(update_fields=["attempts", "last_at", "reason"])
            return failure
        failure = UpkeepFailure.objects.create(
            job=job,
            reseller=reseller,
            object_type=model._meta.label_lower,
            object_id=str(pk),
            object_repr=str(obj)[:200] if obj is not None else "",
            reason=reason,
            first_at=now,
            last_at=now,
        )
        if reseller is not None:
            owners = [
                m.user
                for m in Membership.objects.filter(
                    reseller=reseller, role=Role.OWNER
                ).select_related("user")
            ]
            notify(
                reseller=reseller,
                users=owners,
                title=f"Scheduled processing of {failure.object_repr or object_repr(model)} failed",
                body=f"{reason} Our operations team has been told and will look into it; "
                "nothing else was held up.",
                url=obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else "",
            )
    return failure


def object_repr(model) -> str:
    return str(model._meta.verbose_name)
