"""Helpers to enter a reseller's scope outside a request (Celery tasks, commands)."""

import functools

from django_scopes import scope

from portal.models import Reseller


def reseller_scope(reseller):
    """`with reseller_scope(reseller_or_id):` — queries of scoped models see only that reseller."""
    if not isinstance(reseller, Reseller):
        reseller = Reseller.objects.get(pk=reseller)
    return scope(reseller=reseller)


def in_reseller_scope(func):
    """Decorate a task whose first keyword argument is `reseller_id`: it runs in that scope."""

    @functools.wraps(func)
    def wrapper(*args, reseller_id, **kwargs):
        reseller = Reseller.objects.get(pk=reseller_id)
        with scope(reseller=reseller):
            return func(*args, reseller=reseller, **kwargs)

    return wrapper
