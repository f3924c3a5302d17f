"""The base of the portal's Celery tasks (pretix's `EventTask`): a task about one reseller's data
is called with `reseller_id=` and runs inside that reseller's django-scopes scope, so a query that
strays to another reseller fails as it would in a request; an operations-wide task (no
`reseller_id`) runs with scopes disabled, as operations pages do."""

from typing import Any

from celery.contrib.django.task import DjangoTask
from django_scopes import scope, scopes_disabled


class ResellerTask(DjangoTask):  # DjangoTask: delay_on_commit
    # the call's arguments are checked against the function when it runs, not when it is
    # queued: `reseller_id` is the base's, not the function's
    typing = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        reseller_id = kwargs.pop("reseller_id", None)
        if reseller_id is None:
            with scopes_disabled():
                return super().__call__(*args, **kwargs)
        with scope(reseller=reseller_id):
            return super().__call__(*args, **kwargs)
