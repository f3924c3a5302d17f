"""Helpers to enter a reseller's scope outside a request (Celery tasks, commands)."""

import functools

from django.db import transaction
from django.http import Http404
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


def member_service(func):
    """Decorate a service taking `member=`: it runs atomically in that member's reseller scope,
    the same whether called from a view, a Celery task or a shell."""
    atomic_func = transaction.atomic(func)

    @functools.wraps(func)
    def wrapper(*args, member, **kwargs):
        with scope(reseller=member.reseller):
            return atomic_func(*args, member=member, **kwargs)

    return wrapper


def require_same_reseller(member, *objects) -> None:
    """A service handed another reseller's object answers "not found", like the selectors."""
    for obj in objects:
        if obj.reseller_id != member.reseller_id:
            raise Http404("Not found.")
